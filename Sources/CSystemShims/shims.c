#define _GNU_SOURCE
#include "CSystemShims.h"
#include <sys/prctl.h>

int cd_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
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
