#ifndef BERTINSPECT_CSUPPORT_H
#define BERTINSPECT_CSUPPORT_H
/* Small C helpers for what Swift cannot reach: the x86 SHA extensions and Linux-only system calls. */
#include <stddef.h>
#include <stdint.h>

/* Runs the SHA-256 compression function over `blocks` 64-byte blocks; uses the x86 SHA extensions when the CPU has
   them. */
void bertinspect_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/* The same without the SHA extensions, for testing both paths. */
void bertinspect_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

/* 1 when bertinspect_sha256_blocks uses the SHA extensions on this CPU. */
int bertinspect_sha256_hardware(void);

/* Starts writing back a file's dirty pages without waiting (sync_file_range on Linux; nothing elsewhere). */
void bertinspect_start_writeback(int fd);

/* Turns a fatal signal raised inside libhdf5, or a call running past `milliseconds` (0: no limit), into exit code 3
   with one line naming `path` (see hdf5guard.c). */
void bertinspect_hdf5_guard_install(void);
void bertinspect_hdf5_guard_enter(const char *path, unsigned milliseconds);
void bertinspect_hdf5_guard_leave(void);
#endif
