/*
 * mime_decode.h - streaming decoders with bounded state: Content-Transfer-
 * Encodings (base64, quoted-printable) for BINARY[] / BINARY.SIZE and SEARCH
 * BODY, and RFC 2047 encoded-words to UTF-8 for header SEARCH.
 *
 * Every decoder is fed chunks of any size; results do not depend on where the
 * chunks split. BINARY.SIZE is the sum of the outputs of a decoding pass.
 */
#ifndef MIME_DECODE_H
#define MIME_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime.h"

/* ---- transfer decoding ---- */
#define MIME_DEC_SLACK 80          /* extra output room a feed may need */

struct mime_dec {
	uint8_t enc;               /* enum mime_enc */
	uint8_t n;                 /* base64: sextets held */
	uint8_t qst;               /* QP: escape state */
	uint8_t ws_n;              /* QP: whitespace held (dropped if the line ends) */
	bool b64_end;              /* base64: '=' padding seen */
	bool cr;                   /* QP: a CR is held */
	uint32_t acc;
	char hold[MIME_DEC_SLACK];
};

/* enc: 7bit, 8bit, binary pass through; MIME_ENC_OTHER also (callers refuse
 * it first). */
void mime_dec_init(struct mime_dec *d, enum mime_enc enc);
/* Decode len bytes into out, which needs len + MIME_DEC_SLACK bytes.
 * Returns bytes written. Invalid input is skipped (base64) or passed through
 * (a '=' not followed by two hex digits in QP), as Dovecot does. */
size_t mime_dec_feed(struct mime_dec *d, const void *in, size_t len, void *out);
/* End of input; out needs MIME_DEC_SLACK bytes. */
size_t mime_dec_finish(struct mime_dec *d, void *out);

/* ---- RFC 2047 encoded-words ---- */
#define MIME_WORD_MAX 76           /* an encoded-word is at most 75 bytes */
#define MIME_WORDS_OUT(len) (3 * (len) + 3 * MIME_WORD_MAX)

struct mime_words {
	uint8_t st;
	uint8_t wn;                /* bytes of a candidate encoded-word held */
	uint8_t sp_n;              /* whitespace after an encoded-word, held */
	bool after_word;           /* last thing out was an encoded-word */
	char w[MIME_WORD_MAX];
	char sp[MIME_WORD_MAX];
};

/* Decode an unfolded header value to UTF-8: encoded-words in B or Q form in
 * UTF-8, US-ASCII, ISO-8859-1 (and -15 as -1), Windows-1252 are converted;
 * other charsets give their raw decoded bytes; whitespace between adjacent
 * encoded-words is dropped; everything else passes through. */
void mime_words_init(struct mime_words *w);
/* out needs MIME_WORDS_OUT(len) bytes. Returns bytes written. */
size_t mime_words_feed(struct mime_words *w, const void *in, size_t len, char *out);
/* End of value; out needs MIME_WORDS_OUT(0) bytes. */
size_t mime_words_finish(struct mime_words *w, char *out);

#endif
