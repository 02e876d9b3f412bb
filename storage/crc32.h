/*
 * crc32.h - CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the
 * checksum of every record the store writes. Table-free: the store checks
 * small headers, so a nibble-wise loop is fast enough and costs no ROM.
 */
#ifndef CRC32_H
#define CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Start with crc = 0; feed chunks; the result of the last call is the CRC. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
