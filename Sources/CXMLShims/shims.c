#include "CXMLShims.h"
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/globals.h>

void cxml_free(void *ptr) { xmlFree(ptr); }
