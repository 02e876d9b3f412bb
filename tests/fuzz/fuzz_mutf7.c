/*
 * fuzz_mutf7.c - modified UTF-7 codec properties on arbitrary bytes:
 *  - whatever decodes is valid UTF-8 and re-encodes to exactly the input
 *    (the decoder accepts only the one canonical form of each name);
 *  - whatever is valid UTF-8 encodes, and decodes back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mutf7.h"

#define CAP 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[CAP], b[4 * CAP];
	const char *in = (const char *)data;

	if (size > CAP / 4)
		return 0;
	int d = mutf7_decode(in, size, a, sizeof a);
	if (d >= 0) {
		if (!mutf7_utf8_valid(a, (size_t)d))
			abort();
		int e = mutf7_encode(a, (size_t)d, b, sizeof b);
		if (e != (int)size || memcmp(b, in, size) != 0)
			abort();
	} else if (d != MUTF7_EINVAL) {
		abort();   /* the output buffer is large enough for any input here */
	}
	int e = mutf7_encode(in, size, b, sizeof b);
	if (e >= 0) {
		if (!mutf7_utf8_valid(in, size))
			abort();
		int r = mutf7_decode(b, (size_t)e, a, sizeof a);
		if (r != (int)size || memcmp(a, in, size) != 0)
			abort();
	} else if (e != MUTF7_EINVAL || mutf7_utf8_valid(in, size)) {
		abort();
	}
	return 0;
}
