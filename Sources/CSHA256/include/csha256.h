#ifndef BERTINSPECT_CSHA256_H
#define BERTINSPECT_CSHA256_H
#include <stddef.h>
#include <stdint.h>

/* Runs the SHA-256 compression function over `blocks` 64-byte blocks; uses the x86 SHA extensions when the CPU has
   them. */
void bertinspect_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/* The same without the SHA extensions, for testing both paths. */
void bertinspect_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

/* 1 when bertinspect_sha256_blocks uses the SHA extensions on this CPU. */
int bertinspect_sha256_hardware(void);
#endif
