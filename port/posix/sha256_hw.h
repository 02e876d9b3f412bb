/*
 * sha256_hw.h - the host's SHA-256 block function (see sha256_hw.c). Both
 * versions are exposed so that tests can compare them.
 */
#ifndef SHA256_HW_H
#define SHA256_HW_H

#include <stdbool.h>
#include <stdint.h>

/* One 64-byte block into the state (FIPS 180-4, 6.2.2). */
void sha256_hw_block_c(uint32_t st[8], const uint8_t blk[64]);
/* The same with the x86-64 SHA extensions: only if sha256_hw_available(). */
void sha256_hw_block_ni(uint32_t st[8], const uint8_t blk[64]);
bool sha256_hw_available(void);

#endif
