/* The process's last line of defence against faults it cannot prevent, in one place:

   - libhdf5 has crashed and looped forever on hostile files (a corrupt global heap makes H5HG_read copy far past its
     buffer, or spin). While a libhdf5 call runs, a fatal signal, or the call running past its time limit (SIGALRM),
     ends the process with exit code 3 and one line naming the file, as every other malformed input does.
   - A memory-mapped input that shrinks while it is read (another process truncates it) raises SIGBUS on the next
     access of a page past the new end. A fault at an address inside a registered mapping ends the process with
     exit code 3 and one line naming that file.

   Either way, every temporary output file registered here is removed first, so no partial output is left behind.
   Outside these cases a signal keeps its default meaning. Only async-signal-safe calls are made in the handler. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>
#include "csupport.h"

#define SLOTS 64
#define PATH_CAPACITY 4096

struct mapping_slot {
    volatile sig_atomic_t used;
    uintptr_t start;
    uintptr_t end;
    char path[PATH_CAPACITY];
};

struct temporary_slot {
    volatile sig_atomic_t used;
    char path[PATH_CAPACITY];
};

static struct mapping_slot mappings[SLOTS];
static struct temporary_slot temporaries[SLOTS];
static volatile sig_atomic_t hdf5_depth = 0;
static char hdf5_path[PATH_CAPACITY];
static size_t hdf5_path_length = 0;
static volatile sig_atomic_t hdf5_time_limited = 0;
static volatile sig_atomic_t hdf5_writing = 0;
static int memory_limited = 0;
static struct rlimit saved_data_limit;

static void write_all(const char *text, size_t length) {
    while (length > 0) {
        ssize_t written = write(2, text, length);
        if (written <= 0) return;
        text += written;
        length -= (size_t)written;
    }
}

/* Writes `text` with control characters escaped (\n, \u{1b}), so a hostile name cannot break the one-line message. */
static void write_escaped(const char *text, size_t length) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') { write_all("\\n", 2); continue; }
        if (c == '\t') { write_all("\\t", 2); continue; }
        if (c == '\r') { write_all("\\r", 2); continue; }
        if (c < 0x20 || c == 0x7f) {
            char escape[8] = {'\\', 'u', '{', hex[c >> 4], hex[c & 15], '}'};
            write_all(escape, 6);
            continue;
        }
        write_all((const char *)&text[i], 1);
    }
}

static void remove_temporaries(void) {
    for (int i = 0; i < SLOTS; i++) {
        if (temporaries[i].used) unlink(temporaries[i].path);
    }
}

static void finish(const char *path, size_t length, const char *reason, int code) {
    static const char prefix[] = "bertinspect: ";
    remove_temporaries();
    write_all(prefix, sizeof prefix - 1);
    write_escaped(path, length);
    write_all(reason, strlen(reason));
    _exit(code);
}

static void restore_and_raise(int signal_number) {
    struct sigaction original;
    memset(&original, 0, sizeof original);
    original.sa_handler = SIG_DFL;
    sigaction(signal_number, &original, NULL);
    raise(signal_number);
}

static void on_fatal_signal(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    if (signal_number == SIGBUS || signal_number == SIGSEGV) {
        uintptr_t address = (uintptr_t)(info ? info->si_addr : 0);
        for (int i = 0; i < SLOTS; i++) {
            if (mappings[i].used && address >= mappings[i].start && address < mappings[i].end) {
                finish(mappings[i].path, strlen(mappings[i].path),
                       ": the file changed while it was read (it shrank under a memory mapping); nothing was written.\n", 3);
            }
        }
    }
    if (signal_number == SIGALRM) {
        if (hdf5_depth > 0 && hdf5_time_limited) {
            finish(hdf5_path, hdf5_path_length,
                   ": libhdf5 did not finish parsing the file's structures within the time limit for a file of this size; the file is malformed or hostile.\n", 3);
        }
        return;
    }
    if (hdf5_depth > 0 && hdf5_writing) {
        finish(hdf5_path, hdf5_path_length, ": cannot write the output: libhdf5 failed fatally while writing it; nothing was written.\n", 5);
    }
    if (hdf5_depth > 0) {
        finish(hdf5_path, hdf5_path_length,
               ": libhdf5 failed fatally while parsing the file's structures; the file is malformed or hostile.\n", 3);
    }
    remove_temporaries();
    restore_and_raise(signal_number);
}

void bertinspect_fault_guard_install(void) {
    static volatile sig_atomic_t installed = 0;
    if (installed) return;
    installed = 1;
    static char alternate_stack[65536];
    stack_t stack;
    memset(&stack, 0, sizeof stack);
    stack.ss_sp = alternate_stack;
    stack.ss_size = sizeof alternate_stack;
    sigaltstack(&stack, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fatal_signal;
    action.sa_flags = SA_ONSTACK | SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM};
    sigset_t unblock;
    sigemptyset(&unblock);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &action, NULL);
        sigaddset(&unblock, signals[i]);
    }
    /* A write past RLIMIT_FSIZE must fail with EFBIG, as a full disk fails with ENOSPC, not kill the process. */
    signal(SIGXFSZ, SIG_IGN);
    /* A parent may have started us with these blocked (the mask survives exec); the guard needs them delivered. */
    sigprocmask(SIG_UNBLOCK, &unblock, NULL);
}

static int copy_into(char *target, const char *path) {
    size_t length = strlen(path);
    if (length >= PATH_CAPACITY) length = PATH_CAPACITY - 1;
    memcpy(target, path, length);
    target[length] = 0;
    return (int)length;
}

int bertinspect_register_mapping(const void *start, size_t length, const char *path) {
    for (int i = 0; i < SLOTS; i++) {
        if (!__sync_bool_compare_and_swap(&mappings[i].used, 0, 2)) continue;
        mappings[i].start = (uintptr_t)start;
        mappings[i].end = (uintptr_t)start + length;
        copy_into(mappings[i].path, path);
        __sync_synchronize();
        mappings[i].used = 1;
        return i;
    }
    return -1;
}

void bertinspect_unregister_mapping(int slot) {
    if (slot >= 0 && slot < SLOTS) mappings[slot].used = 0;
}

int bertinspect_register_temporary(const char *path) {
    for (int i = 0; i < SLOTS; i++) {
        if (!__sync_bool_compare_and_swap(&temporaries[i].used, 0, 2)) continue;
        copy_into(temporaries[i].path, path);
        __sync_synchronize();
        temporaries[i].used = 1;
        return i;
    }
    return -1;
}

void bertinspect_unregister_temporary(int slot) {
    if (slot >= 0 && slot < SLOTS) temporaries[slot].used = 0;
}

static void set_timer(unsigned milliseconds) {
    struct itimerval timer;
    memset(&timer, 0, sizeof timer);
    timer.it_value.tv_sec = milliseconds / 1000;
    timer.it_value.tv_usec = (milliseconds % 1000) * 1000;
    setitimer(ITIMER_REAL, &timer, NULL);
}

/* The process's data segment in bytes (/proc/self/statm: size resident shared text lib data dt, in pages). */
static size_t data_segment_bytes(void) {
    FILE *file = fopen("/proc/self/statm", "r");
    if (!file) return 0;
    unsigned long size = 0, resident = 0, shared = 0, text = 0, lib = 0, data = 0;
    int fields = fscanf(file, "%lu %lu %lu %lu %lu %lu", &size, &resident, &shared, &text, &lib, &data);
    fclose(file);
    return fields == 6 ? (size_t)data * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

int bertinspect_hdf5_guard_enter(const char *path, unsigned milliseconds, int writing, size_t memory_budget) {
    if (hdf5_depth++ > 0) return 0;
    hdf5_path_length = (size_t)copy_into(hdf5_path, path);
    hdf5_time_limited = milliseconds > 0;
    hdf5_writing = writing;
    memory_limited = 0;
    if (memory_budget > 0 && getrlimit(RLIMIT_DATA, &saved_data_limit) == 0) {
        size_t current = data_segment_bytes();
        struct rlimit limited = saved_data_limit;
        rlim_t wanted = (rlim_t)(current + memory_budget);
        if (current > 0 && (limited.rlim_max == RLIM_INFINITY || wanted < limited.rlim_max) &&
            (limited.rlim_cur == RLIM_INFINITY || wanted < limited.rlim_cur)) {
            limited.rlim_cur = wanted;
            memory_limited = setrlimit(RLIMIT_DATA, &limited) == 0;
        }
    }
    set_timer(milliseconds);
    return 1;
}

void bertinspect_hdf5_guard_leave(void) {
    if (hdf5_depth <= 0) return;
    if (--hdf5_depth > 0) return;
    set_timer(0);
    hdf5_time_limited = 0;
    hdf5_writing = 0;
    if (memory_limited) setrlimit(RLIMIT_DATA, &saved_data_limit);
    memory_limited = 0;
}

int bertinspect_hdf5_memory_limited(void) {
    return memory_limited;
}

/* How deeply the current thread is inside HDF5Library.withLibrary: the writer reads source datasets (a nested call)
   while it holds the library, so only the outermost call takes the lock. */
static _Thread_local int library_depth = 0;

int bertinspect_hdf5_depth_enter(void) { return library_depth++; }

void bertinspect_hdf5_depth_leave(void) { if (library_depth > 0) library_depth--; }
