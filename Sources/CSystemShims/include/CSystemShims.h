#ifndef CERTDOCTOR_CSYSTEM_SHIMS_H
#define CERTDOCTOR_CSYSTEM_SHIMS_H
#include <spawn.h>

/// glibc's posix_spawn_file_actions_addclosefrom_np, which Swift cannot see without _GNU_SOURCE.
int cd_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// prctl(PR_SET_DUMPABLE, 0): no core dump, and /proc/PID/environ and /proc/PID/mem of this process become
/// unreadable to other processes of the same user. prctl is variadic, which Swift cannot call.
int cd_set_not_dumpable(void);
#endif
