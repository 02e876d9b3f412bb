/*
 * tls_heap.c - the fixed arena Mbed TLS allocates from (see tls_heap.h for
 * why large blocks grow down from the top and small ones up from the bottom).
 *
 * Layout: the arena is tiled by blocks, each starting with a header
 * { size, prev }: its own size in bytes (header included, a multiple of 8,
 * bit 0 set while allocated) and the size of the block before it (0 for
 * the first). An allocated 8-byte header marks the end (size 0), and its
 * prev is the last block's size, so the top-down search starts there.
 * Adjacent free blocks are always merged, so a walk never sees two in a row.
 * Headers are read and written with memcpy: the arena is a byte array.
 */
#include "tls_heap.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define USED 1u
#define ALIGN 8u
#define MIN_BLOCK 16u

struct hdr {
	uint32_t size; /* with USED in bit 0 */
	uint32_t prev;
};

static struct {
	unsigned char *mem;
	uint32_t end; /* offset of the end marker */
	size_t used, peak, blocks, failures, bad_frees;
} h;

static struct hdr get(uint32_t off)
{
	struct hdr x;
	memcpy(&x, h.mem + off, sizeof x);
	return x;
}

static void put(uint32_t off, uint32_t size, uint32_t prev)
{
	struct hdr x = { size, prev };
	memcpy(h.mem + off, &x, sizeof x);
}

static void set_prev(uint32_t off, uint32_t prev)
{
	struct hdr x = get(off);
	x.prev = prev;
	memcpy(h.mem + off, &x, sizeof x);
}

int tls_heap_init(void *mem, size_t size)
{
	memset(&h, 0, sizeof h);
	if (!mem || ((uintptr_t)mem & (ALIGN - 1)) || size < 64)
		return -1;
	if (size > 0x7fffffffu)
		size = 0x7fffffffu;
	size &= ~(size_t)(ALIGN - 1);
	h.mem = mem;
	h.end = (uint32_t)(size - TLS_HEAP_HEADER);
	put(0, h.end, 0);
	put(h.end, USED, h.end); /* end marker: size 0, allocated */
	return 0;
}

/* Allocate need bytes (a block size) at the low end of free block off. */
static uint32_t place_low(uint32_t off, struct hdr b, uint32_t need)
{
	if (b.size - need >= MIN_BLOCK) {
		put(off, need | USED, b.prev);
		put(off + need, b.size - need, need);
		set_prev(off + b.size, b.size - need);
	} else {
		put(off, b.size | USED, b.prev);
	}
	return off;
}

/* ... or at its high end: the free remainder keeps the low part. */
static uint32_t place_high(uint32_t off, struct hdr b, uint32_t need)
{
	if (b.size - need >= MIN_BLOCK) {
		uint32_t at = off + b.size - need;
		put(off, b.size - need, b.prev);
		put(at, need | USED, b.size - need);
		set_prev(off + b.size, need);
		return at;
	}
	put(off, b.size | USED, b.prev);
	return off;
}

static bool take(uint32_t need, bool large, uint32_t *at)
{
	if (large) {
		/* Last fit: from the end marker back along the prev sizes. */
		uint32_t off = h.end;
		for (struct hdr x = get(off); x.prev != 0; x = get(off)) {
			off -= x.prev;
			struct hdr b = get(off);
			if (!(b.size & USED) && b.size >= need) {
				*at = place_high(off, b, need);
				return true;
			}
		}
		return false;
	}
	for (uint32_t off = 0; off < h.end;) {
		struct hdr b = get(off);
		if (!(b.size & USED) && b.size >= need) {
			*at = place_low(off, b, need);
			return true;
		}
		off += b.size & ~USED;
	}
	return false;
}

void *tls_heap_calloc(size_t n, size_t size)
{
	/* Zero-sized requests get NULL, as from Mbed TLS's own allocator. */
	if (!h.mem || n == 0 || size == 0)
		return NULL;
	if (n > SIZE_MAX / size) {
		h.failures++;
		return NULL;
	}
	size_t bytes = n * size;
	if (bytes > h.end) {
		h.failures++;
		return NULL;
	}
	uint32_t need = (uint32_t)((bytes + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + TLS_HEAP_HEADER;
	uint32_t at;
	if (!take(need, bytes >= TLS_HEAP_LARGE, &at)) {
		h.failures++;
		return NULL;
	}
	uint32_t got = get(at).size & ~USED;
	h.used += got;
	h.blocks++;
	if (h.used > h.peak)
		h.peak = h.used;
	memset(h.mem + at + TLS_HEAP_HEADER, 0, got - TLS_HEAP_HEADER);
	return h.mem + at + TLS_HEAP_HEADER;
}

void tls_heap_free(void *p)
{
	if (!p)
		return;
	unsigned char *q = p;
	/* Only a pointer this arena handed out, still allocated, whose block
	 * agrees with its neighbour: anything else is counted, not followed. */
	if (!h.mem || q < h.mem + TLS_HEAP_HEADER || q >= h.mem + h.end ||
	    ((size_t)(q - h.mem) & (ALIGN - 1))) {
		h.bad_frees++;
		return;
	}
	uint32_t off = (uint32_t)(q - h.mem) - TLS_HEAP_HEADER;
	struct hdr b = get(off);
	uint32_t size = b.size & ~USED;
	if (!(b.size & USED) || size < MIN_BLOCK || size > h.end - off ||
	    (get(off + size).prev != size) || (b.prev && b.prev > off)) {
		h.bad_frees++;
		return;
	}
	h.used -= size;
	h.blocks--;
	struct hdr next = get(off + size);
	if (!(next.size & USED))
		size += next.size;
	uint32_t prev = b.prev;
	if (prev) {
		struct hdr pb = get(off - prev);
		if (!(pb.size & USED)) {
			off -= prev;
			size += pb.size;
			prev = pb.prev;
		}
	}
	put(off, size, prev);
	set_prev(off + size, size);
}

void tls_heap_get_stats(struct tls_heap_stats *st)
{
	memset(st, 0, sizeof *st);
	if (!h.mem)
		return;
	st->size = h.end;
	st->used = h.used;
	st->peak = h.peak;
	st->blocks = h.blocks;
	st->failures = h.failures;
	st->bad_frees = h.bad_frees;
	for (uint32_t off = 0; off < h.end;) {
		struct hdr b = get(off);
		if (!(b.size & USED) && b.size - TLS_HEAP_HEADER > st->largest_free)
			st->largest_free = b.size - TLS_HEAP_HEADER;
		off += b.size & ~USED;
	}
}

void tls_heap_peak_reset(void)
{
	h.peak = h.used;
}

int tls_heap_check(void)
{
	if (!h.mem)
		return -1;
	uint32_t off = 0, prev = 0;
	size_t used = 0, blocks = 0;
	bool prev_free = false;
	while (off < h.end) {
		struct hdr b = get(off);
		uint32_t size = b.size & ~USED;
		bool free_ = !(b.size & USED);
		if (size < MIN_BLOCK || (size & (ALIGN - 1)) || size > h.end - off || b.prev != prev ||
		    (free_ && prev_free))
			return -1;
		if (!free_) {
			used += size;
			blocks++;
		}
		prev = size;
		prev_free = free_;
		off += size;
	}
	struct hdr e = get(h.end);
	if (off != h.end || e.size != USED || e.prev != prev || used != h.used ||
	    blocks != h.blocks)
		return -1;
	return 0;
}
