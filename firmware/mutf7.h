/*
 * mutf7.h - mailbox name codecs: modified UTF-7 (RFC 3501 5.1.3) <-> UTF-8,
 * and a strict UTF-8 check for names received under UTF8=ACCEPT (RFC 6855).
 *
 * Names are stored as UTF-8. Decoding is strict so that every name has
 * exactly one wire form: non-shortest encodings, encoded printable ASCII,
 * adjacent encoded runs, unpaired surrogates and non-zero pad bits are all
 * rejected, as is any raw byte outside printable US-ASCII.
 *
 * Outputs are bounded by an explicit capacity and always NUL-terminated on
 * success (cap counts the NUL). No function allocates or keeps state.
 */
#ifndef MUTF7_H
#define MUTF7_H

#include <stdbool.h>
#include <stddef.h>

enum {
	MUTF7_EINVAL = -1,   /* malformed input */
	MUTF7_ETOOLONG = -2, /* result (plus NUL) does not fit in cap */
};

/* Modified UTF-7 -> UTF-8. Returns the output length or MUTF7_E*. */
int mutf7_decode(const char *in, size_t len, char *out, size_t cap);
/* UTF-8 -> modified UTF-7. Returns the output length or MUTF7_E*
 * (MUTF7_EINVAL for invalid UTF-8). */
int mutf7_encode(const char *in, size_t len, char *out, size_t cap);
/* Well-formed UTF-8 fit for a mailbox name: shortest forms only, no
 * surrogates, <= U+10FFFF, no control characters (U+0000..U+001F,
 * U+007F..U+009F). */
bool mutf7_utf8_valid(const char *s, size_t len);

#endif
