/* guard.c - a last line of defence against corrupt HDF5 files crashing the HDF5 library.
 *
 * HDF5 1.10 trusts lengths and addresses in a file's metadata; a corrupt (bit-flipped) file
 * can make it read out of bounds and die with SIGSEGV inside libhdf5 (a known class of
 * upstream bugs). tsct cannot validate HDF5's internal structures before HDF5 parses them, so
 * the program installs this handler: if a fatal signal is raised with the program counter
 * inside libhdf5 while a subcommand has declared which file it is reading, it prints an error
 * naming that file and exits with status 1. Any other fault (ours) is passed on unchanged to
 * the previous handler (the default, or AddressSanitizer's), so bugs in tsct still crash
 * loudly and are caught by the sanitizer build.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const int guarded[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
#define NGUARDED (sizeof guarded / sizeof guarded[0])
static struct sigaction previous[NGUARDED];
static char current_file[4096];
static char current_command[64];

static int is_runtime(const char *lib)
{
    return strstr(lib, "libc.so") || strstr(lib, "libasan") || strstr(lib, "libubsan") ||
           strstr(lib, "ld-linux") || strstr(lib, "libgcc");
}

/* 1 if the code that faulted belongs to libhdf5: walking outward from the handler, skip the
 * handler's own frames (the executable), then the signal trampoline and C-library routines;
 * the first frame after those decides. */
static int fault_in_hdf5(void)
{
    void *frames[48];
    int n = backtrace(frames, 48);
    int i = 0;
    Dl_info dl;
    while (i < n && dladdr(frames[i], &dl) && dl.dli_fname && !is_runtime(dl.dli_fname))
        i++;  /* handler frames */
    while (i < n && dladdr(frames[i], &dl) && dl.dli_fname && is_runtime(dl.dli_fname))
        i++;  /* trampoline, memcpy, sanitizer interceptors */
    return i < n && dladdr(frames[i], &dl) && dl.dli_fname && strstr(dl.dli_fname, "libhdf5");
}

static void write_str(const char *s)
{
    ssize_t r = write(STDERR_FILENO, s, strlen(s));
    (void)r;
}

static void handler(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    if (current_file[0] && fault_in_hdf5()) {
        /* Only async-signal-safe calls from here on. */
        write_str("tsct ");
        write_str(current_command);
        write_str(": error: ");
        write_str(current_file);
        write_str(": the HDF5 library failed while reading this file (fatal signal inside "
                  "libhdf5): the file is corrupt\n");
        _exit(TSCT_EXIT_FAIL);
    }
    /* Not ours to handle: restore the previous disposition and return, so the faulting
     * instruction runs again and reaches it (the default action, or a sanitizer's report). */
    for (size_t i = 0; i < NGUARDED; i++)
        if (guarded[i] == sig)
            sigaction(sig, &previous[i], NULL);
    (void)info;
}

void tsct_cli_guard_install(const char *command)
{
    snprintf(current_command, sizeof current_command, "%s", command);
    /* backtrace() loads its unwinder on first use; do that now, not inside the handler. */
    void *warm[2];
    backtrace(warm, 2);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NGUARDED; i++)
        sigaction(guarded[i], &sa, &previous[i]);
}

void tsct_cli_guard_file(const char *path)
{
    snprintf(current_file, sizeof current_file, "%s", path ? path : "");
}
