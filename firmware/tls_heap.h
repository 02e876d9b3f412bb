/*
 * tls_heap.h - the fixed arena Mbed TLS allocates from.
 *
 * Mbed TLS needs a heap (record buffers, handshake state, big numbers); the
 * server gives it one static region. Sessions come and go in any order, so
 * the arena's enemy is fragmentation, not size: with one first-fit heap, a
 * session's 16 KiB input buffer could find no hole although the free bytes
 * were there (seen as "tls: no memory for a session" under churn).
 *
 * So large requests (at least TLS_HEAP_LARGE: the record buffers, 16 KiB in
 * and 2 KiB out, which live as long as their session, and tls.c's start-up
 * staging buffer) are placed from the top of the arena down, last fit, and
 * everything else (handshake state, numbers, certificates; Mbed TLS asks
 * for nothing else of 2 KiB or more) from the bottom up, first fit. A closed
 * session's record buffers leave holes of exactly the size the next session
 * asks for, and short-lived small blocks never sit between them.
 *
 * Blocks carry an 8-byte header (their size and the previous block's), so
 * freeing merges with both neighbours in constant time. Not thread-safe:
 * the server is one task.
 */
#ifndef TLS_HEAP_H
#define TLS_HEAP_H

#include <stddef.h>

#define TLS_HEAP_HEADER 8u
#define TLS_HEAP_LARGE 2048u

struct tls_heap_stats {
	size_t size;         /* usable bytes of the arena */
	size_t used;         /* in allocated blocks, headers included */
	size_t peak;         /* most of used since init or tls_heap_peak_reset */
	size_t blocks;       /* allocated blocks */
	size_t largest_free; /* the biggest request that would succeed now */
	size_t failures;     /* requests refused */
	size_t bad_frees;    /* pointers not from this arena, or freed twice */
};

/* mem must be 8-byte aligned; at least 64 bytes. Forgets any earlier arena. */
int tls_heap_init(void *mem, size_t size);
/* calloc/free as Mbed TLS's platform layer wants them. */
void *tls_heap_calloc(size_t n, size_t size);
void tls_heap_free(void *p);

void tls_heap_get_stats(struct tls_heap_stats *st);
void tls_heap_peak_reset(void);
/* Walks every block: 0 if the headers are consistent, -1 if not (tests). */
int tls_heap_check(void);

#endif
