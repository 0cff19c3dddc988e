#ifndef CERTDOCTOR_CSYSTEM_SHIMS_H
#define CERTDOCTOR_CSYSTEM_SHIMS_H
#include <sys/types.h>

/// Starts `path` as a child in a process group of its own, with `in_fd`, `out_fd` and `err_fd` as its standard
/// input, output and error, no other descriptor, no blocked signal, SIGPIPE as the default, and SIGKILL as its
/// parent-death signal (PR_SET_PDEATHSIG), so that the child dies with certdoctor on every exit path, kill -9
/// included; posix_spawn cannot set that. The parent is the calling thread, which must wait for the child.
/// Returns 0 and the child's pid, or the errno of the fork or of the exec.
int cd_spawn_bound_to_parent(const char *path, char *const argv[], char *const envp[],
                             int in_fd, int out_fd, int err_fd, pid_t *pid);

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
