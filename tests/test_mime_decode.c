/* test_mime_decode.c - base64 / quoted-printable / RFC 2047 decoders and
 * the streaming case-insensitive matcher, each fed in every chunk size. */
#include "mime_decode.h"
#include "mime_match.h"
#include "unit.h"

#include <stdint.h>

static char out[65536];

static const char *dec(enum mime_enc enc, const char *in, size_t chunk, size_t *len)
{
	struct mime_dec d;
	size_t n = strlen(in), o = 0;

	mime_dec_init(&d, enc);
	for (size_t off = 0; off < n; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		o += mime_dec_feed(&d, in + off, k, out + o);
	}
	o += mime_dec_finish(&d, out + o);
	out[o] = 0;
	if (len)
		*len = o;
	return out;
}

static const char *words(const char *in, size_t chunk)
{
	struct mime_words w;
	size_t n = strlen(in), o = 0;

	mime_words_init(&w);
	for (size_t off = 0; off < n; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		o += mime_words_feed(&w, in + off, k, out + o);
	}
	o += mime_words_finish(&w, out + o);
	out[o] = 0;
	return out;
}

static bool find(const char *needle, const char *text, size_t chunk)
{
	static struct mime_match m;
	static char folded[MIME_MATCH_MAX + 1];
	size_t n = strlen(text);
	bool r = false;

	snprintf(folded, sizeof(folded), "%s", needle);   /* the matcher folds it in place */
	CHECK(mime_match_init(&m, folded, strlen(folded)));
	for (size_t off = 0; off < n; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		r = mime_match_feed(&m, text + off, k);
	}
	if (n == 0)
		r = mime_match_feed(&m, "", 0);
	return r;
}

TEST(base64)
{
	size_t len;
	for (size_t c = 1; c < 9; c++) {
		CHECK_EQ_STR(dec(MIME_ENC_BASE64, "aGVs\r\nbG8g\r\nd29y bGQ=\r\n", c, NULL),
			     "hello world");
		CHECK_EQ_STR(dec(MIME_ENC_BASE64, "aGk", c, NULL), "hi");
		CHECK_EQ_STR(dec(MIME_ENC_BASE64, "aGk=\r\nignored", c, NULL), "hi");
		dec(MIME_ENC_BASE64, "AAEC/w==", c, &len);
		CHECK_EQ_INT(len, 4);
		CHECK_EQ_MEM(out, "\x00\x01\x02\xff", 4);
	}
}

TEST(quoted_printable)
{
	for (size_t c = 1; c < 9; c++) {
		CHECK_EQ_STR(dec(MIME_ENC_QP, "caf=C3=A9 =\r\nsoft\r\nx=3Dy  \r\nend", c, NULL),
			     "caf\xc3\xa9 soft\r\nx=y\r\nend");
		CHECK_EQ_STR(dec(MIME_ENC_QP, "a=\nb\nc \t\nd", c, NULL), "ab\nc\nd");
		CHECK_EQ_STR(dec(MIME_ENC_QP, "bad=ZZ=4", c, NULL), "bad=ZZ=4");
		CHECK_EQ_STR(dec(MIME_ENC_QP, "pad= \t\r\nnext", c, NULL), "padnext");
		CHECK_EQ_STR(dec(MIME_ENC_QP, "cr\ronly", c, NULL), "cr\ronly");
		CHECK_EQ_STR(dec(MIME_ENC_7BIT, "as is=41", c, NULL), "as is=41");
	}
}

TEST(encoded_words)
{
	for (size_t c = 1; c < 12; c += 2) {
		CHECK_EQ_STR(words("=?utf-8?q?caf=C3=A9?=", c), "caf\xc3\xa9");
		CHECK_EQ_STR(words("a =?UTF-8?B?w6k=?= =?utf-8?Q?_x?= b", c), "a \xc3\xa9 x b");
		CHECK_EQ_STR(words("=?iso-8859-1?q?M=FCller?=", c), "M\xc3\xbcller");
		CHECK_EQ_STR(words("=?windows-1252?q?=80=9C?=", c), "\xe2\x82\xac\xc5\x93");
		CHECK_EQ_STR(words("=?x-unknown?q?=FF?=", c), "\xff");
		CHECK_EQ_STR(words("=?utf-8*en?q?hi?=", c), "hi");
		CHECK_EQ_STR(words("not =?bad?x?word?= =? a", c), "not =?bad?x?word?= =? a");
		CHECK_EQ_STR(words("=?utf-8?q?a?=  x", c), "a  x");
		CHECK_EQ_STR(words("plain   text", c), "plain   text");
	}
}

TEST(matcher)
{
	for (size_t c = 1; c < 6; c++) {
		CHECK(find("World", "hello wORLD!", c));
		CHECK(!find("worlds", "hello world", c));
		CHECK(find("aab", "aaaab", c));
		CHECK(find("\xc3\x89t\xc3\xa9", "un \xc3\xa9T\xc3\x89 chaud", c));   /* Été */
		CHECK(find("\xc5\x81\xc3\xb3" "d\xc5\xba", "w \xc5\x82\xc3\x93" "D\xc5\xb9 x", c));
		CHECK(!find("\xc3\xa9", "e", c));
		CHECK(find("", "", c));
		CHECK(find("a\xff", "xA\xff", c));
	}
}

/* The needle is folded where it lies (SEARCH's command buffer), keeping its
 * length, and the matcher reads it from there. */
TEST(match_needle_in_place)
{
	static struct mime_match m;
	char a[] = "\xc3\x89Tz\xc3";   /* Ét, z, and a lead byte with nothing after it */
	CHECK(mime_match_init(&m, a, 5));
	CHECK(memcmp(a, "\xc3\xa9tz\xc3", 5) == 0);
	CHECK(mime_match_feed(&m, "x\xc3\xa9TZ\xc3!", 7));
	char b[] = "\xc3" "A";   /* a lead byte before ASCII stands for itself */
	CHECK(mime_match_init(&m, b, 2));
	CHECK(memcmp(b, "\xc3" "a", 2) == 0);
	/* the longest needle, its failure links as long as a byte holds */
	static char text[2 * MIME_MATCH_MAX + 2], longest[MIME_MATCH_MAX + 1];
	memset(longest, 'A', MIME_MATCH_MAX);
	longest[MIME_MATCH_MAX - 1] = 'B';
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 2] = 'b';
	CHECK(mime_match_init(&m, longest, MIME_MATCH_MAX));
	CHECK(!mime_match_feed(&m, text, sizeof(text) - 2));
	CHECK(mime_match_feed(&m, text + sizeof(text) - 2, 1));
	CHECK(!mime_match_init(&m, longest, MIME_MATCH_MAX + 1));
}

int main(void)
{
	RUN(base64);
	RUN(quoted_printable);
	RUN(encoded_words);
	RUN(matcher);
	RUN(match_needle_in_place);
	return UNIT_DONE();
}
