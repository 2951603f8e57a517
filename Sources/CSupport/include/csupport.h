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

/* mkostemp(template, O_CLOEXEC). */
int bertinspect_make_temporary(char *template_path);

/* Renames `from` to `to` only if `to` does not exist (renameat2 RENAME_NOREPLACE); -1 and errno otherwise. */
int bertinspect_rename_noreplace(const char *from, const char *to);

/* The fault guard (faultguard.c): installs handlers that turn a fatal signal inside libhdf5, a libhdf5 call running
   past its time limit, or a fault inside a registered memory mapping (an input that shrank while it was read) into exit
   code 3 with one line naming the file, after removing every registered temporary output. */
void bertinspect_fault_guard_install(void);
/* Registers a read-only mapping of `path`; returns a slot for bertinspect_unregister_mapping, or -1 when full. */
int bertinspect_register_mapping(const void *start, size_t length, const char *path);
void bertinspect_unregister_mapping(int slot);
/* Registers a temporary output file to remove if the process dies in the guard; returns a slot, or -1 when full. */
int bertinspect_register_temporary(const char *path);
void bertinspect_unregister_temporary(int slot);
/* Marks entry into libhdf5 for `path`, with a time limit in milliseconds (0: none); nested entries keep the outermost
   path and limit. `writing` says the file is an output being written: a crash then ends the process with exit code 5
   (the output cannot be written) instead of 3. A `memory_budget` above 0 caps the process's data segment
   (RLIMIT_DATA) at its current size plus the budget until the outermost call leaves, so libhdf5 cannot allocate
   gigabytes for a small hostile file: the allocation fails and libhdf5 reports it. Returns 1 for the outermost entry. */
int bertinspect_hdf5_guard_enter(const char *path, unsigned milliseconds, int writing, size_t memory_budget);
/* Whether the memory limit of the current libhdf5 call (see bertinspect_hdf5_guard_enter) is in force. */
int bertinspect_hdf5_memory_limited(void);
void bertinspect_hdf5_guard_leave(void);
/* The current thread's nesting depth in libhdf5 calls: enter returns the depth before entering. */
int bertinspect_hdf5_depth_enter(void);
void bertinspect_hdf5_depth_leave(void);
/* Inflates raw deflate data (zip method 8) from `source` into `target`, which must be exactly its inflated size;
   sets `produced` and the CRC-32 of the output. Returns NULL on success, else what went wrong. zlib is opened with
   dlopen on first use. */
const char *bertinspect_inflate_raw(const unsigned char *source, size_t source_length, unsigned char *target,
                                    size_t target_length, size_t *produced, unsigned long *crc);
/* Continues the CRC-32 `crc` (start from 0) over `bytes` with zlib's crc32; returns 0 when zlib cannot be loaded. */
int bertinspect_crc32(const unsigned char *bytes, size_t length, unsigned long *crc);
#endif
