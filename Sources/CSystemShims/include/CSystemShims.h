#ifndef CERTDOCTOR_CSYSTEM_SHIMS_H
#define CERTDOCTOR_CSYSTEM_SHIMS_H
#include <spawn.h>

/// glibc's posix_spawn_file_actions_addclosefrom_np, which Swift cannot see without _GNU_SOURCE.
int cd_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// prctl(PR_SET_DUMPABLE, 0): no core dump, and /proc/PID/environ and /proc/PID/mem of this process become
/// unreadable to other processes of the same user. prctl is variadic, which Swift cannot call.
int cd_set_not_dumpable(void);

/// Turns echo off on the terminal `fd` for a secret prompt. Until cd_terminal_restore, SIGINT, SIGTERM,
/// SIGHUP and SIGQUIT first put the terminal back as it was, then end the process as the signal would have:
/// a signal handler must be async-signal-safe C, which a Swift closure is not. Returns 0, or -1 with errno.
int cd_terminal_echo_off(int fd);

/// Puts the terminal back as cd_terminal_echo_off found it and restores the signal dispositions.
void cd_terminal_restore(void);
/// The git commit certdoctor was built from, as scripts/package.sh writes it into the executable's
/// `.certdoctor_commit` section, or NULL when nothing was written (a checkout's own build): no generated file
/// has to be kept in the tree.
const char *cd_build_commit(void);
#endif
