#define _GNU_SOURCE
#include "CSystemShims.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// A fixed table, so that the handler reads it without taking a lock or allocating. A run maps a few files at a
// time (two hives, a PFX's siblings); a mapping beyond the table is simply not guarded.
enum { guard_slots = 64 };

struct guarded_mapping {
    // 0 while the slot is free; set and cleared only under the lock. Published last (release) and cleared first,
    // so that the handler, which reads it with acquire, sees the rest of the slot as it was set.
    _Atomic uintptr_t start;
    size_t length;
    // The file, to tell a file that now ends before the fault (shortened) from a read that failed.
    char *path;
    char *shrunk_message;
    int shrunk_status;
    char *failed_message;
    int failed_status;
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

// A SIGBUS that is no fault in a guarded mapping goes where it went before.
static void pass_on(int signal, siginfo_t *info, void *context) {
    if (previous_action.sa_flags & SA_SIGINFO) {
        previous_action.sa_sigaction(signal, info, context);
    } else if (previous_action.sa_handler == SIG_DFL) {
        // Blocked while this handler runs: the default action ends the process as the handler returns.
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(SIGBUS, &fallback, NULL);
        raise(signal);
    } else if (previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(signal);
    }
}

static void on_bus_error(int signal, siginfo_t *info, void *context) {
    // si_code > 0: the kernel's, for a fault at si_addr; a signal another process sent has no address.
    if (info->si_code > 0) {
        uintptr_t address = (uintptr_t)info->si_addr;
        for (int i = 0; i < guard_slots; i++) {
            uintptr_t start = atomic_load_explicit(&guarded[i].start, memory_order_acquire);
            if (start == 0 || address < start || address - start >= guarded[i].length) continue;
            const char *path = guarded[i].path;
            const char *shrunk = guarded[i].shrunk_message, *failed = guarded[i].failed_message;
            int shrunk_status = guarded[i].shrunk_status, failed_status = guarded[i].failed_status;
            // A slot forgotten and taken again meanwhile is not this fault's (no read of a mapping can fault
            // while it is forgotten, as that happens when it is unmapped; this only makes sure).
            if (atomic_load_explicit(&guarded[i].start, memory_order_acquire) != start) continue;
            // The file now ends before the page read: another program shortened it. Anything else (BUS_OBJERR,
            // a memory error) is a read that failed.
            struct stat now;
            if (info->si_code == BUS_ADRERR && stat(path, &now) == 0 && (uintmax_t)now.st_size <= address - start) {
                write_all(2, shrunk, strlen(shrunk));
                _exit(shrunk_status);
            }
            write_all(2, failed, strlen(failed));
            _exit(failed_status);
        }
        // A fault outside the guarded mappings meets the previous action when the instruction runs again.
        sigaction(SIGBUS, &previous_action, NULL);
        return;
    }
    pass_on(signal, info, context);
}

static void install_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_bus_error;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
}

int cd_mapping_guard(const void *start, size_t length, const char *path, const char *shrunk_message, int shrunk_status,
                     const char *failed_message, int failed_status) {
    if (start == NULL || length == 0 || path == NULL || shrunk_message == NULL || failed_message == NULL) return -1;
    pthread_once(&handler_installed, install_handler);
    char *path_copy = strdup(path), *shrunk_copy = strdup(shrunk_message), *failed_copy = strdup(failed_message);
    int slot = -1;
    if (path_copy != NULL && shrunk_copy != NULL && failed_copy != NULL) {
        pthread_mutex_lock(&guarded_lock);
        for (int i = 0; i < guard_slots; i++) {
            if (atomic_load_explicit(&guarded[i].start, memory_order_relaxed) == 0) {
                slot = i;
                break;
            }
        }
        if (slot >= 0) {
            guarded[slot].length = length;
            guarded[slot].path = path_copy;
            guarded[slot].shrunk_message = shrunk_copy;
            guarded[slot].shrunk_status = shrunk_status;
            guarded[slot].failed_message = failed_copy;
            guarded[slot].failed_status = failed_status;
            atomic_store_explicit(&guarded[slot].start, (uintptr_t)start, memory_order_release);
        }
        pthread_mutex_unlock(&guarded_lock);
    }
    if (slot < 0) {
        free(path_copy);
        free(shrunk_copy);
        free(failed_copy);
    }
    return slot;
}

void cd_mapping_forget(int slot) {
    if (slot < 0 || slot >= guard_slots) return;
    pthread_mutex_lock(&guarded_lock);
    // Cleared before the strings are freed; the mapping is being unmapped, so no read of it can fault meanwhile.
    atomic_store_explicit(&guarded[slot].start, 0, memory_order_release);
    free(guarded[slot].path);
    free(guarded[slot].shrunk_message);
    free(guarded[slot].failed_message);
    guarded[slot].path = guarded[slot].shrunk_message = guarded[slot].failed_message = NULL;
    pthread_mutex_unlock(&guarded_lock);
}
