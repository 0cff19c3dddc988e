#ifndef CERTDOCTOR_CSYSTEM_SHIMS_H
#define CERTDOCTOR_CSYSTEM_SHIMS_H
#include <spawn.h>

/// glibc's posix_spawn_file_actions_addclosefrom_np, which Swift cannot see without _GNU_SOURCE.
int cd_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);
#endif
