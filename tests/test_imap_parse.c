/* Unit tests for firmware/imap_parse.c */
#include <string.h>

#include "imap_parse.h"
#include "unit.h"

static char buf[512];
static struct imap_parser P;

static struct imap_parser *parser(const char *text)
{
	size_t n = strlen(text);
	memcpy(buf, text, n + 1);
	imap_parser_init(&P, buf, n);
	return &P;
}

static bool str_is(const struct imap_str *s, const char *want)
{
	return s->len == strlen(want) && memcmp(s->s, want, s->len) == 0;
}

TEST(tag_and_atom)
{
	struct imap_str t, a;
	struct imap_parser *p = parser("a001 LOGIN");
	CHECK(imap_p_tag(p, &t) && str_is(&t, "a001"));
	CHECK(imap_p_sp(p));
	CHECK(imap_p_atom(p, &a) && str_is(&a, "LOGIN"));
	CHECK(imap_p_end(p));
	p = parser("+tag");
	CHECK(!imap_p_tag(p, &t));
	CHECK(p->err != NULL);
	p = parser("a{b");
	CHECK(imap_p_tag(p, &t) && str_is(&t, "a"));
}

TEST(quoted_escapes)
{
	struct imap_str q;
	struct imap_parser *p = parser("\"a\\\"b\\\\c\" x");
	CHECK(imap_p_quoted(p, &q) && str_is(&q, "a\"b\\c"));
	CHECK(imap_p_sp(p));
	p = parser("\"bad\\n\"");
	CHECK(!imap_p_quoted(p, &q));
	p = parser("\"unterminated");
	CHECK(!imap_p_quoted(p, &q));
	CHECK_EQ_INT(p->pos, 0);
	/* a failed parse leaves the bytes untouched for another grammar */
	p = parser("\"a\\\"b");
	CHECK(!imap_p_quoted(p, &q));
	CHECK_EQ_MEM(buf, "\"a\\\"b", 6);
}

TEST(literals)
{
	struct imap_str l;
	struct imap_parser *p = parser("{5}\r\nhello rest");
	CHECK(imap_p_literal(p, &l) && str_is(&l, "hello") && l.literal);
	CHECK(imap_p_sp(p));
	p = parser("{3+}\r\nabc");
	CHECK(imap_p_string(p, &l) && str_is(&l, "abc"));
	p = parser("{10}\r\nshort");
	CHECK(!imap_p_literal(p, &l));
	p = parser("{99999999999}\r\n");
	CHECK(!imap_p_literal(p, &l));
	/* a NUL inside a literal is refused (CHAR8 excludes it) */
	memcpy(buf, "{3}\r\na\0b", 8);
	imap_parser_init(&P, buf, 8);
	CHECK(!imap_p_literal(&P, &l));
}

TEST(astring_nstring)
{
	struct imap_str s;
	bool nil;
	struct imap_parser *p = parser("INBOX] \"x y\" NIL {1}\r\nz");
	CHECK(imap_p_astring(p, &s) && str_is(&s, "INBOX]"));
	CHECK(imap_p_sp(p) && imap_p_astring(p, &s) && str_is(&s, "x y"));
	CHECK(imap_p_sp(p) && imap_p_nstring(p, &s, &nil) && nil);
	CHECK(imap_p_sp(p) && imap_p_nstring(p, &s, &nil) && !nil && str_is(&s, "z"));
	p = parser("(foo)");
	CHECK(!imap_p_astring(p, &s));
}

TEST(list_mailbox)
{
	struct imap_str s;
	struct imap_parser *p = parser("INBOX/%/* x");
	CHECK(imap_p_list_mailbox(p, &s) && str_is(&s, "INBOX/%/*"));
}

TEST(flags)
{
	struct imap_str f;
	struct imap_parser *p = parser("\\Seen $Junk \\* x");
	CHECK(imap_p_flag(p, &f) && str_is(&f, "\\Seen"));
	CHECK(imap_p_sp(p) && imap_p_flag(p, &f) && str_is(&f, "$Junk"));
	CHECK(imap_p_sp(p) && !imap_p_flag(p, &f));
}

TEST(numbers)
{
	uint32_t n;
	uint64_t m;
	struct imap_parser *p = parser("4294967295");
	CHECK(imap_p_number(p, &n) && n == 4294967295u);
	p = parser("4294967296");
	CHECK(!imap_p_number(p, &n));
	p = parser("0");
	CHECK(!imap_p_nz_number(p, &n));
	p = parser("18446744073709551615");
	CHECK(imap_p_number64(p, &m) && m == UINT64_MAX);
	p = parser("18446744073709551616");
	CHECK(!imap_p_number64(p, &m));
}

TEST(keyword)
{
	struct imap_parser *p = parser("body.peek[TEXT]");
	CHECK(!imap_p_keyword(p, "BODY"));
	CHECK(imap_p_keyword(p, "BODY.PEEK"));
	CHECK(imap_p_char(p, '['));
	p = parser("uidnext)");
	CHECK(imap_p_keyword(p, "UIDNEXT"));
}

TEST(seqset)
{
	struct imap_seqset s;
	size_t c = 0;
	uint32_t lo, hi;
	struct imap_parser *p = parser("1:3,7,*:5,9:* x");
	CHECK(imap_p_seqset(p, &s));
	CHECK(imap_p_sp(p));
	CHECK(imap_seqset_next(&s, &c, 10, &lo, &hi) && lo == 1 && hi == 3);
	CHECK(imap_seqset_next(&s, &c, 10, &lo, &hi) && lo == 7 && hi == 7);
	CHECK(imap_seqset_next(&s, &c, 10, &lo, &hi) && lo == 5 && hi == 10);
	CHECK(imap_seqset_next(&s, &c, 10, &lo, &hi) && lo == 9 && hi == 10);
	CHECK(!imap_seqset_next(&s, &c, 10, &lo, &hi));
	CHECK(imap_seqset_contains(&s, 2, 10));
	CHECK(!imap_seqset_contains(&s, 4, 10));
	CHECK(imap_seqset_contains(&s, 10, 10));
	p = parser("0:4");
	CHECK(!imap_p_seqset(p, &s));
	p = parser("1,,2");
	CHECK(!imap_p_seqset(p, &s));
	p = parser("1:");
	CHECK(!imap_p_seqset(p, &s));
	p = parser("$");
	CHECK(imap_p_seqset(p, &s) && s.dollar);
}

TEST(dates)
{
	int64_t t;
	int16_t tz;
	struct imap_parser *p = parser("1-Feb-1994");
	CHECK(imap_p_date(p, &t) && t == 760060800);
	p = parser("\"17-Jul-1996 02:44:25 -0700\"");
	CHECK(imap_p_date_time(p, &t, &tz) && t == 837596665 && tz == -420);
	p = parser("\"32-Jul-1996 02:44:25 -0700\"");
	CHECK(!imap_p_date_time(p, &t, &tz));
	CHECK_EQ_INT(p->pos, 0);
}

TEST(str_z)
{
	struct imap_str s;
	struct imap_parser *p = parser("abc def");
	CHECK(imap_p_atom(p, &s));
	CHECK_EQ_STR(imap_str_z(&s), "abc");
}

int main(void)
{
	RUN(tag_and_atom);
	RUN(quoted_escapes);
	RUN(literals);
	RUN(astring_nstring);
	RUN(list_mailbox);
	RUN(flags);
	RUN(numbers);
	RUN(keyword);
	RUN(seqset);
	RUN(dates);
	RUN(str_z);
	return UNIT_DONE();
}
