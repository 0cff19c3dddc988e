#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU; its UErrorCode clashes with Foundation's bundled ICU.
#undef LIBXML_ICU_ENABLED
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/transform.h>
#include <libxslt/xsltutils.h>
#include <libxslt/variables.h>
#include <libxslt/security.h>
