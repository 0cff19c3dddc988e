#include "CSystemShims.h"
#include <stddef.h>

// The commit lives in a section of its own, empty when compiled: scripts/package.sh writes it into the copy
// it packages (objcopy --update-section), so that a new commit does not rebuild every module, as a changed
// compiler flag would. volatile: the compiler must read what is there, not the empty initial value.
__attribute__((section(".certdoctor_commit"), used))
volatile const char cd_commit_section[64] = {0};

const char *cd_build_commit(void) {
    if (cd_commit_section[0] == 0 || cd_commit_section[sizeof cd_commit_section - 1] != 0) return NULL;
    return (const char *)cd_commit_section;
}
