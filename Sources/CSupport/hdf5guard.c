/* A last line of defence around libhdf5: its parsers have crashed and looped forever on hostile files (a corrupt
   global heap makes H5HG_read copy far past its buffer, or spin). While a libhdf5 call runs, a fatal signal ends the process with exit code 3
   and one line naming the file, as every other malformed input does, instead of a crash; a call that runs past
   its time limit (SIGALRM) is treated the same way. Outside libhdf5 the
   signal keeps its default meaning. Only async-signal-safe calls are made in the handler. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include "csupport.h"

static volatile sig_atomic_t inside_hdf5 = 0;
static char current_path[4096];
static size_t current_length = 0;

static void write_all(const char *text, size_t length) {
    while (length > 0) {
        ssize_t written = write(2, text, length);
        if (written <= 0) return;
        text += written;
        length -= (size_t)written;
    }
}

static void on_fatal_signal(int signal_number) {
    if (signal_number == SIGALRM && !inside_hdf5) return;
    if (!inside_hdf5) {
        struct sigaction original;
        memset(&original, 0, sizeof original);
        original.sa_handler = SIG_DFL;
        sigaction(signal_number, &original, NULL);
        raise(signal_number);
        return;
    }
    static const char prefix[] = "bertinspect: ";
    static const char suffix[] = ": libhdf5 failed fatally while parsing the file's structures; the file is malformed or hostile.\n";
    static const char hung[] = ": libhdf5 did not finish parsing the file's structures within the time limit; the file is malformed or hostile.\n";
    write_all(prefix, sizeof prefix - 1);
    write_all(current_path, current_length);
    if (signal_number == SIGALRM) write_all(hung, sizeof hung - 1);
    else write_all(suffix, sizeof suffix - 1);
    _exit(3);
}

void bertinspect_hdf5_guard_install(void) {
    static int installed = 0;
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
    action.sa_handler = on_fatal_signal;
    action.sa_flags = SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM};
    sigset_t unblock;
    sigemptyset(&unblock);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &action, NULL);
        sigaddset(&unblock, signals[i]);
    }
    /* A parent may have started us with these blocked (the mask survives exec); the guard needs them delivered. */
    sigprocmask(SIG_UNBLOCK, &unblock, NULL);
}

static void set_timer(unsigned milliseconds) {
    struct itimerval timer;
    memset(&timer, 0, sizeof timer);
    timer.it_value.tv_sec = milliseconds / 1000;
    timer.it_value.tv_usec = (milliseconds % 1000) * 1000;
    setitimer(ITIMER_REAL, &timer, NULL);
}

void bertinspect_hdf5_guard_enter(const char *path, unsigned milliseconds) {
    size_t length = strlen(path);
    if (length >= sizeof current_path) length = sizeof current_path - 1;
    memcpy(current_path, path, length);
    current_length = length;
    inside_hdf5 = 1;
    set_timer(milliseconds);
}

void bertinspect_hdf5_guard_leave(void) {
    set_timer(0);
    inside_hdf5 = 0;
}
