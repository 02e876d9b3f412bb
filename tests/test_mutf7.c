/* test_mutf7.c - modified UTF-7 and UTF-8 mailbox name codecs. */
#include "mutf7.h"
#include "unit.h"

#include <stdint.h>

static char out[256];

static int dec(const char *s)
{
	return mutf7_decode(s, strlen(s), out, sizeof out);
}

static int enc(const char *s)
{
	return mutf7_encode(s, strlen(s), out, sizeof out);
}

TEST(rfc3501_example)
{
	CHECK(dec("~peter/mail/&U,BTFw-/&ZeVnLIqe-") > 0);
	CHECK_EQ_STR(out, "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	CHECK(enc("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e") > 0);
	CHECK_EQ_STR(out, "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
}

TEST(ampersand)
{
	CHECK_EQ_INT(dec("&-"), 1);
	CHECK_EQ_STR(out, "&");
	CHECK_EQ_INT(enc("&"), 2);
	CHECK_EQ_STR(out, "&-");
	CHECK(dec("Tom &- Jerry") > 0);
	CHECK_EQ_STR(out, "Tom & Jerry");
	CHECK(enc("a&b&&") > 0);
	CHECK_EQ_STR(out, "a&-b&-&-");
	/* a run followed by a literal '&' is not two adjacent runs */
	CHECK(dec("&AOQ-&-") > 0);
	CHECK_EQ_STR(out, "\xc3\xa4&");
}

TEST(plain_ascii)
{
	CHECK_EQ_INT(dec("INBOX/Sent Items"), 16);
	CHECK_EQ_STR(out, "INBOX/Sent Items");
	CHECK_EQ_INT(enc(""), 0);
	CHECK_EQ_STR(out, "");
	CHECK_EQ_INT(dec(""), 0);
}

TEST(known_encodings)
{
	/* German umlauts, as sent by common clients */
	CHECK(enc("Entw\xc3\xbcrfe") > 0);
	CHECK_EQ_STR(out, "Entw&APw-rfe");
	CHECK(enc("\xc3\xa4\xc3\xb6\xc3\xbc") > 0);
	CHECK_EQ_STR(out, "&AOQA9gD8-");
	/* astral plane: U+1F600 as a surrogate pair */
	CHECK(enc("\xf0\x9f\x98\x80") > 0);
	CHECK_EQ_STR(out, "&2D3eAA-");
	CHECK(dec("&2D3eAA-") > 0);
	CHECK_EQ_STR(out, "\xf0\x9f\x98\x80");
	/* the highest BMP code points */
	CHECK(enc("\xef\xbf\xbd") > 0);
	CHECK_EQ_STR(out, "&,,0-");
	CHECK(dec("&,,0-") > 0);
	CHECK_EQ_STR(out, "\xef\xbf\xbd");
	/* U+00A0 is the first code point after the controls */
	CHECK(enc("\xc2\xa0") > 0);
	CHECK_EQ_STR(out, "&AKA-");
}

TEST(invalid)
{
	static const char *const bad[] = {
		"&",             /* unterminated */
		"abc&U,BT",      /* unterminated run */
		"&U,BTFw",       /* unterminated run */
		"&U,B*Fw-",      /* bad base64 character */
		"&U/BTFw-",      /* '/' is not in the modified alphabet */
		"&AGE-",         /* encoded printable ASCII 'a' */
		"&ACY-",         /* encoded '&' */
		"&AAA-",         /* encoded NUL */
		"a&AAk-b",       /* encoded TAB: no controls in names */
		"&AA0ACg-",      /* encoded CR LF */
		"&AH8-",         /* encoded DEL */
		"&AIU-",         /* encoded C1 control U+0085 */
		"&AOQ-&APY-",    /* two adjacent runs */
		"&2D0-",         /* lone high surrogate */
		"&2D0AYQ-",      /* high surrogate + 'a' */
		"&3gA-",         /* lone low surrogate */
		"&AOR-",         /* non-zero pad bits */
		"&AOQA-",        /* a whole extra base64 digit */
		"&A-",           /* fewer than 16 bits */
		"&AOQ=-",        /* '=' padding is not used */
		"a\tb",          /* raw control character */
		"\xc3\xa4",      /* raw 8-bit */
		"a\x7f",         /* raw DEL */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = dec(bad[i]);
		if (r != MUTF7_EINVAL)
			printf("  accepted \"%s\" -> %d\n", bad[i], r);
		CHECK_EQ_INT(r, MUTF7_EINVAL);
	}
}

TEST(utf8_validity)
{
	CHECK(mutf7_utf8_valid("", 0));
	CHECK(mutf7_utf8_valid("abc", 3));
	CHECK(mutf7_utf8_valid("\xe6\x97\xa5", 3));
	CHECK(mutf7_utf8_valid("\xf4\x8f\xbf\xbf", 4));      /* U+10FFFF */
	CHECK(!mutf7_utf8_valid("\xf4\x90\x80\x80", 4));     /* > U+10FFFF */
	CHECK(!mutf7_utf8_valid("\xc0\xaf", 2));             /* overlong '/' */
	CHECK(!mutf7_utf8_valid("\xe0\x80\xaf", 3));         /* overlong */
	CHECK(!mutf7_utf8_valid("\xf0\x80\x80\xaf", 4));     /* overlong */
	CHECK(!mutf7_utf8_valid("\xed\xa0\x80", 3));         /* surrogate */
	CHECK(!mutf7_utf8_valid("\xe6\x97", 2));             /* truncated */
	CHECK(!mutf7_utf8_valid("\x80", 1));                 /* stray continuation */
	CHECK(!mutf7_utf8_valid("a\0b", 3));                 /* NUL */
	CHECK(!mutf7_utf8_valid("a\r\nb", 4));              /* controls */
	CHECK(!mutf7_utf8_valid("\x7f", 1));
	CHECK(!mutf7_utf8_valid("\xc2\x85", 2));             /* C1 control */
	CHECK(mutf7_utf8_valid("\xc2\xa0", 2));
	CHECK_EQ_INT(enc("a\tb"), MUTF7_EINVAL);
	CHECK(!mutf7_utf8_valid("\xff", 1));
	CHECK_EQ_INT(enc("\xc0\xaf"), MUTF7_EINVAL);
}

TEST(capacity)
{
	char small[4];
	CHECK_EQ_INT(mutf7_decode("abc", 3, small, sizeof small), 3);
	CHECK_EQ_INT(mutf7_decode("abcd", 4, small, sizeof small), MUTF7_ETOOLONG);
	CHECK_EQ_INT(mutf7_decode("&AOQ-", 5, small, 3), 2);
	CHECK_EQ_INT(mutf7_decode("&AOQ-", 5, small, 2), MUTF7_ETOOLONG);
	CHECK_EQ_INT(mutf7_encode("\xc3\xa4", 2, small, sizeof small), MUTF7_ETOOLONG);
	CHECK_EQ_INT(mutf7_encode("ab", 2, small, sizeof small), 2);
	CHECK_EQ_INT(mutf7_encode("&", 1, small, 2), MUTF7_ETOOLONG);
	CHECK_EQ_INT(mutf7_decode("a", 1, small, 0), MUTF7_ETOOLONG);
}

TEST(round_trip_all_bmp_and_astral)
{
	/* Every code point, in a name with ASCII around it, survives
	 * encode -> decode unchanged, and re-encoding the decoded form gives
	 * back the same wire form. */
	char name[16], wire[64], back[16];
	int fails = 0;
	for (uint32_t cp = 0x20; cp <= 0x10ffff && fails < 5; cp += (cp < 0x3000 ? 1 : 97)) {
		if ((cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x7f && cp <= 0x9f))
			continue;
		size_t n = 0;
		name[n++] = 'x';
		if (cp < 0x80) {
			name[n++] = (char)cp;
		} else if (cp < 0x800) {
			name[n++] = (char)(0xc0 | (cp >> 6));
			name[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			name[n++] = (char)(0xe0 | (cp >> 12));
			name[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			name[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			name[n++] = (char)(0xf0 | (cp >> 18));
			name[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			name[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			name[n++] = (char)(0x80 | (cp & 0x3f));
		}
		name[n++] = '\xc3';
		name[n++] = '\xa9';
		int w = mutf7_encode(name, n, wire, sizeof wire);
		int b = w < 0 ? -1 : mutf7_decode(wire, (size_t)w, back, sizeof back);
		if (w < 0 || b != (int)n || memcmp(back, name, n) != 0) {
			printf("  round trip failed for U+%04X (%d %d)\n", (unsigned)cp, w, b);
			fails++;
		}
	}
	CHECK_EQ_INT(fails, 0);
}

int main(void)
{
	RUN(rfc3501_example);
	RUN(ampersand);
	RUN(plain_ascii);
	RUN(known_encodings);
	RUN(invalid);
	RUN(utf8_validity);
	RUN(capacity);
	RUN(round_trip_all_bmp_and_astral);
	return UNIT_DONE();
}
