#define _GNU_SOURCE
#include "CSystemShims.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// A fixed table, so that the handler reads it without taking a lock or allocating. A run maps a few files at a
// time (two hives, a PFX's siblings); a mapping beyond the table is simply not guarded.
enum { guard_slots = 64 };

struct guarded_mapping {
    // 0 while the slot is free. Published last (release) and cleared first, so that the handler, which reads it
    // with acquire, sees the rest of the slot as it was set.
    _Atomic uintptr_t start;
    size_t length;
    char *message;
    size_t message_length;
    int status;
    // Taken by cd_mapping_guard under the lock, before `start` is published.
    int reserved;
};

static struct guarded_mapping guarded[guard_slots];
static pthread_mutex_t guarded_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handler_installed = PTHREAD_ONCE_INIT;
static struct sigaction previous_action;

static void write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        bytes += written;
        length -= (size_t)written;
    }
}

static void on_bus_error(int signal, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < guard_slots; i++) {
        uintptr_t start = atomic_load_explicit(&guarded[i].start, memory_order_acquire);
        if (start != 0 && address >= start && address - start < guarded[i].length) {
            write_all(2, guarded[i].message, guarded[i].message_length);
            _exit(guarded[i].status);
        }
    }
    // Not a guarded mapping: the action there was before. A fault comes back when the instruction runs again
    // and meets that action; a signal sent with kill is sent again.
    sigaction(SIGBUS, &previous_action, NULL);
    if (info->si_code <= 0) raise(signal);
    (void)context;
}

static void install_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_bus_error;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
}

int cd_mapping_guard(const void *start, size_t length, const char *message, int status) {
    if (start == NULL || length == 0 || message == NULL) return -1;
    pthread_once(&handler_installed, install_handler);
    char *copy = strdup(message);
    if (copy == NULL) return -1;
    pthread_mutex_lock(&guarded_lock);
    int slot = -1;
    for (int i = 0; i < guard_slots; i++) {
        if (!guarded[i].reserved) {
            slot = i;
            break;
        }
    }
    if (slot >= 0) {
        guarded[slot].reserved = 1;
        guarded[slot].length = length;
        guarded[slot].message = copy;
        guarded[slot].message_length = strlen(copy);
        guarded[slot].status = status;
        atomic_store_explicit(&guarded[slot].start, (uintptr_t)start, memory_order_release);
    }
    pthread_mutex_unlock(&guarded_lock);
    if (slot < 0) free(copy);
    return slot;
}

void cd_mapping_forget(int slot) {
    if (slot < 0 || slot >= guard_slots) return;
    pthread_mutex_lock(&guarded_lock);
    // Cleared before the message is freed; the mapping is being unmapped, so no read of it can fault meanwhile.
    atomic_store_explicit(&guarded[slot].start, 0, memory_order_release);
    free(guarded[slot].message);
    guarded[slot].message = NULL;
    guarded[slot].reserved = 0;
    pthread_mutex_unlock(&guarded_lock);
}
