#include "CSystemShims.h"
#include <stddef.h>

// The commit arrives as a bare token (-DCERTDOCTOR_COMMIT=1a2b3c4) so that no shell or build tool has to
// carry quotes through; it becomes a string here.
#define CD_STRING(x) #x
#define CD_EXPANDED_STRING(x) CD_STRING(x)

const char *cd_build_commit(void) {
#ifdef CERTDOCTOR_COMMIT
    return CD_EXPANDED_STRING(CERTDOCTOR_COMMIT);
#else
    return NULL;
#endif
}
