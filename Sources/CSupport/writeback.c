/* Early writeback for atomic writes: the final fsync then finds little left to do. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "csupport.h"

void bertinspect_start_writeback(int fd) {
#if defined(__linux__)
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
#endif
}

/* mkostemp with O_CLOEXEC, which Glibc exposes to Swift only under _GNU_SOURCE. */
int bertinspect_make_temporary(char *template_path) {
    return mkostemp(template_path, O_CLOEXEC);
}

/* renameat2(RENAME_NOREPLACE): publishes `from` as `to` only if `to` does not exist (-1 with errno EEXIST if it does;
   EINVAL or ENOSYS where the file system or kernel cannot). */
int bertinspect_rename_noreplace(const char *from, const char *to) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 1u /* RENAME_NOREPLACE */);
#else
    (void)from; (void)to;
    errno = ENOSYS;
    return -1;
#endif
}
