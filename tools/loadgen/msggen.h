/*
 * msggen.h - deterministic test mail for the load generator: a set of
 * RFC 5322 messages of mixed MIME shapes (plain, quoted-printable,
 * multipart/alternative, multipart/mixed with a base64 attachment, nested
 * message/rfc822), generated from a seed so every run and every server sees
 * the same bytes.
 */
#ifndef LG_MSGGEN_H
#define LG_MSGGEN_H

#include <stddef.h>
#include <stdint.h>

struct lg_msg {
	char *data;     /* CRLF line ends; heap, owned by the set */
	size_t len;
};

struct lg_msgset {
	struct lg_msg *msg;
	size_t count;
};

/* 64-bit xorshift: small, fast, identical on every platform. */
uint64_t lg_rand(uint64_t *state);
uint32_t lg_rand_below(uint64_t *state, uint32_t n);   /* 0..n-1, n > 0 */

/* count messages of roughly 1..max_kib KiB, seeded. Exits on OOM. */
void lg_msgset_make(struct lg_msgset *set, size_t count, unsigned max_kib, uint64_t seed);
void lg_msgset_free(struct lg_msgset *set);

/* One message whose body is about size bytes (for throughput tests). */
struct lg_msg lg_msg_sized(size_t size, uint64_t seed);

/* A word that some generated messages contain in their body text (SEARCH
 * TEXT finds a fraction of messages with it). */
extern const char lg_rare_word[];

#endif
