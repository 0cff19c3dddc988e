#ifndef CERTDOCTOR_CSYSTEM_SHIMS_H
#define CERTDOCTOR_CSYSTEM_SHIMS_H
#include <stddef.h>
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
/// A file the process maps can shrink under it (another program truncating or rewriting it in place), and
/// reading a page past its new end raises SIGBUS, as does a read the disk or file system fails. cd_mapping_guard
/// registers the mapping [start, start + length) of `path`: such a fault in it then writes `shrunk_message` and
/// ends the process with `shrunk_status` when the file now ends before the page read, and `failed_message` and
/// `failed_status` otherwise, where it would have crashed; a handler must be async-signal-safe C, which Swift is
/// not. Any other SIGBUS goes to the action there was before. The strings are copied. Returns the slot to pass to
/// cd_mapping_forget, or -1 when every slot is taken (that mapping is then not guarded).
int cd_mapping_guard(const void *start, size_t length, const char *path, const char *shrunk_message, int shrunk_status,
                     const char *failed_message, int failed_status);

/// Forgets a guarded mapping; called before it is unmapped.
void cd_mapping_forget(int slot);

/// The git commit certdoctor was built from, as scripts/package.sh writes it into the executable's
/// `.certdoctor_commit` section, or NULL when nothing was written (a checkout's own build): no generated file
/// has to be kept in the tree.
const char *cd_build_commit(void);
#endif
