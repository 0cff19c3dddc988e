#define _GNU_SOURCE
#include "CSystemShims.h"
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/close_range.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

int cd_spawn_bound_to_parent(const char *path, char *const argv[], char *const envp[],
                             int in_fd, int out_fd, int err_fd, pid_t *pid) {
    // The exec's errno comes back through a pipe that closes on a successful exec.
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        return saved;
    }
    if (child == 0) {
        // Only async-signal-safe calls from here to exec: the parent has other threads.
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        // The parent may have died before the line above; then no signal will come.
        if (getppid() != parent) _exit(127);
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
            int saved = errno;
            (void)!write(report[1], &saved, sizeof saved);
            _exit(127);
        }
        // Nothing else is inherited: not certdoctor's files, not a file another thread is writing.
        close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        static const int defaults[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT};
        for (unsigned i = 0; i < sizeof defaults / sizeof defaults[0]; i++) signal(defaults[i], SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        int saved = errno;
        (void)!write(report[1], &saved, sizeof saved);
        _exit(127);
    }
    close(report[1]);
    int failure = 0;
    ssize_t count;
    do {
        count = read(report[0], &failure, sizeof failure);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == (ssize_t)sizeof failure) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        return failure;
    }
    *pid = child;
    return 0;
}

int cd_set_not_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

#include <signal.h>
#include <termios.h>
#include <string.h>

static struct termios saved_terminal;
static volatile sig_atomic_t saved_fd = -1;
static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct sigaction saved_actions[4];

static void restore_terminal_and_reraise(int signal_number) {
    if (saved_fd >= 0) tcsetattr(saved_fd, TCSAFLUSH, &saved_terminal);
    saved_fd = -1;
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

int cd_terminal_echo_off(int fd) {
    if (tcgetattr(fd, &saved_terminal) != 0) return -1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = restore_terminal_and_reraise;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 4; i++) sigaction(prompt_signals[i], &action, &saved_actions[i]);
    saved_fd = fd;
    struct termios silent = saved_terminal;
    silent.c_lflag &= ~(tcflag_t)ECHO;
    silent.c_lflag |= ICANON;
    return tcsetattr(fd, TCSAFLUSH, &silent);
}

void cd_terminal_restore(void) {
    if (saved_fd >= 0) tcsetattr(saved_fd, TCSAFLUSH, &saved_terminal);
    saved_fd = -1;
    for (int i = 0; i < 4; i++) sigaction(prompt_signals[i], &saved_actions[i], NULL);
}
