/*
 * test_tls_heap.c - the arena allocator Mbed TLS runs on: placement (large
 * blocks from the top, small from the bottom), merging, refusal, bad frees,
 * a random workload checked byte by byte, and TLS-shaped session churn in an
 * arena of the firmware's size.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_heap.h"
#include "unit.h"

static unsigned char arena[65536] __attribute__((aligned(8)));

static size_t used(void)
{
	struct tls_heap_stats st;
	tls_heap_get_stats(&st);
	return st.used;
}

TEST(small_low_large_high)
{
	CHECK_EQ_INT(tls_heap_init(arena, sizeof arena), 0);
	unsigned char *a = tls_heap_calloc(1, 100);
	unsigned char *big = tls_heap_calloc(1, 16717);
	unsigned char *b = tls_heap_calloc(10, 10);
	unsigned char *big2 = tls_heap_calloc(4429, 1);
	CHECK(a && b && big && big2);
	CHECK(a == arena + TLS_HEAP_HEADER);             /* first fit from the bottom */
	CHECK(b > a && b < big2 && big2 < big);           /* large ones from the top down */
	CHECK(big + 16717 <= arena + sizeof arena - TLS_HEAP_HEADER);
	CHECK(big + 16720 + TLS_HEAP_HEADER > arena + sizeof arena - 2 * TLS_HEAP_HEADER);
	CHECK(((uintptr_t)a & 7) == 0 && ((uintptr_t)big & 7) == 0 && ((uintptr_t)b & 7) == 0);
	for (int i = 0; i < 16717; i++)
		CHECK(big[i] == 0);
	CHECK_EQ_INT(tls_heap_check(), 0);
	/* 100 -> 104 + 8; 16717 -> 16720 + 8; 100 -> 104 + 8; 4429 -> 4432 + 8 */
	CHECK_EQ_INT(used(), 112 + 16728 + 112 + 4440);
	tls_heap_free(a);
	tls_heap_free(big);
	tls_heap_free(b);
	tls_heap_free(big2);
	CHECK_EQ_INT(used(), 0);
	CHECK_EQ_INT(tls_heap_check(), 0);
}

TEST(free_merges_both_neighbours)
{
	struct tls_heap_stats st;
	tls_heap_init(arena, sizeof arena);
	void *p[5];
	for (int i = 0; i < 5; i++)
		p[i] = tls_heap_calloc(1, 600);
	tls_heap_free(p[1]);
	tls_heap_free(p[3]);
	CHECK_EQ_INT(tls_heap_check(), 0);
	tls_heap_free(p[2]); /* joins 1, 2 and 3 */
	CHECK_EQ_INT(tls_heap_check(), 0);
	/* The 3 x 608-byte hole takes a 1,800-byte (small) request at p[1]. */
	void *q = tls_heap_calloc(1, 1800);
	CHECK(q == p[1]);
	tls_heap_free(q);
	tls_heap_free(p[0]);
	tls_heap_free(p[4]);
	tls_heap_get_stats(&st);
	CHECK_EQ_INT(st.blocks, 0);
	CHECK_EQ_INT(st.largest_free, sizeof arena - 2 * TLS_HEAP_HEADER);
	CHECK_EQ_INT(tls_heap_check(), 0);
}

TEST(refusals_and_bad_frees)
{
	struct tls_heap_stats st;
	tls_heap_init(arena, 4096);
	CHECK(tls_heap_calloc(0, 10) == NULL);
	CHECK(tls_heap_calloc(10, 0) == NULL);
	CHECK(tls_heap_calloc(SIZE_MAX / 2, 4) == NULL); /* n x size overflows */
	CHECK(tls_heap_calloc(1, 5000) == NULL);
	void *a = tls_heap_calloc(1, 2000);
	void *b = tls_heap_calloc(1, 2100); /* 2,080 bytes are left */
	CHECK(a && !b);
	tls_heap_get_stats(&st);
	CHECK_EQ_INT(st.failures, 3);
	CHECK(st.largest_free < 2100);

	tls_heap_free(a);
	tls_heap_free(a);                /* twice */
	tls_heap_free(arena + 4);        /* misaligned */
	tls_heap_free(arena + 8192);     /* outside */
	static char elsewhere[16];
	tls_heap_free(elsewhere);
	tls_heap_free(NULL);             /* fine, as free(NULL) */
	tls_heap_get_stats(&st);
	CHECK_EQ_INT(st.bad_frees, 4);
	CHECK_EQ_INT(st.used, 0);
	CHECK_EQ_INT(tls_heap_check(), 0);
	CHECK(tls_heap_calloc(1, 4000) != NULL); /* all of it is one block again */
}

/* Random sizes and lifetimes; every block is filled with its own byte and
 * checked before it is freed, so overlapping blocks cannot go unnoticed. */
TEST(random_workload_keeps_contents)
{
	enum { SLOTS = 64 };
	static unsigned char *p[SLOTS];
	static size_t n[SLOTS];
	struct tls_heap_stats st;
	unsigned seed = 12345;
	size_t live = 0, refused = 0;

	tls_heap_init(arena, sizeof arena);
	for (int step = 0; step < 200000; step++) {
		seed = seed * 1103515245u + 12345u;
		int k = (int)((seed >> 16) % SLOTS);
		if (p[k]) {
			for (size_t i = 0; i < n[k]; i++)
				if (p[k][i] != (unsigned char)k) {
					CHECK(!"block contents changed");
					return;
				}
			tls_heap_free(p[k]);
			p[k] = NULL;
			live--;
		} else {
			seed = seed * 1103515245u + 12345u;
			unsigned r = seed >> 8;
			n[k] = r % 8 == 0 ? 4096 + r % 12000 : 1 + r % 700;
			p[k] = tls_heap_calloc(1, n[k]);
			if (!p[k]) {
				refused++;
				continue;
			}
			for (size_t i = 0; i < n[k]; i++)
				CHECK(p[k][i] == 0);
			memset(p[k], k, n[k]);
			live++;
		}
		if (step % 997 == 0 && tls_heap_check() != 0) {
			CHECK(!"heap headers inconsistent");
			return;
		}
	}
	CHECK(refused > 0); /* the workload does fill the arena */
	tls_heap_get_stats(&st);
	CHECK_EQ_INT(st.blocks, live);
	CHECK_EQ_INT(st.bad_frees, 0);
	for (int k = 0; k < SLOTS; k++)
		tls_heap_free(p[k]), p[k] = NULL;
	CHECK_EQ_INT(used(), 0);
	CHECK_EQ_INT(tls_heap_check(), 0);
}

/*
 * Sessions shaped like Mbed TLS's on the board (sizes from tools/bench-tls,
 * 32-bit): at setup a 16,429-byte input and a 2,093-byte output record
 * buffer and a 700-byte handshake block; during the handshake up to 5
 * short-lived small blocks at a time (at most 2.5 KB) and 4 blocks (about
 * 560 bytes) that stay for the session; at its end the handshake block and
 * the short-lived ones go. At most 22.4 KB while handshaking, 19.1 KB after.
 * One session handshakes at a time (tls.c), the other is established or
 * closed; they open, step and close in random order for 100,000 steps in
 * the firmware's arena (2,048 + 19,456 + 23,168 bytes): no request may be
 * refused. (With one first-fit heap for every size this workload runs out
 * within a few hundred steps.)
 */
struct model_ses {
	bool open, established;
	void *in, *out, *hs;
	void *keep[4];
	int nkeep;
	void *tmp[16];
	int ntmp, steps;
};

static void model_close(struct model_ses *s)
{
	tls_heap_free(s->in);
	tls_heap_free(s->out);
	tls_heap_free(s->hs);
	for (int i = 0; i < s->nkeep; i++)
		tls_heap_free(s->keep[i]);
	for (int i = 0; i < 16; i++)
		tls_heap_free(s->tmp[i]);
	memset(s, 0, sizeof *s);
}

TEST(tls_session_churn_in_firmware_arena)
{
	static const size_t keep_sizes[4] = { 200, 160, 120, 48 };
	struct model_ses ses[2];
	struct tls_heap_stats st;
	unsigned seed = 777;
	int refused = 0, opened = 0;

	memset(ses, 0, sizeof ses);
	tls_heap_init(arena, 2048 + 19456 + 23168);
	void *base = tls_heap_calloc(1, 1312); /* key, certificate, configuration */
	CHECK(base != NULL);
	for (int step = 0; step < 100000 && !refused; step++) {
		seed = seed * 1103515245u + 12345u;
		int which = (seed >> 16) & 1;
		struct model_ses *s = &ses[which], *other = &ses[!which];
		unsigned r = seed >> 18;
		if (!s->open) {
			if (other->open && !other->established)
				continue;   /* its turn comes when the other's handshake ends */
			s->in = tls_heap_calloc(1, 16429);
			s->out = tls_heap_calloc(1, 2093);
			s->hs = tls_heap_calloc(1, 700);
			refused += !s->in || !s->out || !s->hs;
			s->open = true;
			opened++;
		} else if (!s->established) {
			int t = (int)(r % 16);
			if (s->tmp[t]) {
				tls_heap_free(s->tmp[t]);
				s->tmp[t] = NULL;
				s->ntmp--;
			} else if (s->ntmp < 5) {
				s->tmp[t] = tls_heap_calloc(1, 24 + r % 500);
				refused += !s->tmp[t];
				s->ntmp++;
			}
			if (s->nkeep < 4 && r % 7 == 0) {
				s->keep[s->nkeep] = tls_heap_calloc(1, keep_sizes[s->nkeep]);
				refused += !s->keep[s->nkeep];
				s->nkeep++;
			}
			if (++s->steps > 40 && s->nkeep == 4) {
				for (int i = 0; i < 16; i++)
					tls_heap_free(s->tmp[i]), s->tmp[i] = NULL;
				s->ntmp = 0;
				tls_heap_free(s->hs);
				s->hs = NULL;
				s->established = true;
			}
		} else if (r % 4 == 0) {
			model_close(s);
		}
	}
	CHECK_EQ_INT(refused, 0);
	CHECK(opened > 1000);
	tls_heap_get_stats(&st);
	CHECK_EQ_INT(st.failures, 0);
	CHECK_EQ_INT(tls_heap_check(), 0);
	model_close(&ses[0]);
	model_close(&ses[1]);
	tls_heap_free(base);
	CHECK_EQ_INT(used(), 0);
}

int main(void)
{
	RUN(small_low_large_high);
	RUN(free_merges_both_neighbours);
	RUN(refusals_and_bad_frees);
	RUN(random_workload_keeps_contents);
	RUN(tls_session_churn_in_firmware_arena);
	return UNIT_DONE();
}
