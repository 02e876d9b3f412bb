/* test_imap_search.c - SEARCH parsing, three-valued evaluation, set output. */
#include "imap_search.h"
#include "mime_match.h"
#include "imap_date.h"
#include "store.h"
#include "unit.h"

#include <stdint.h>

static char buf[4096];
static struct imap_parser p;
static struct imap_search prog;

/* Parse " <args>" as it follows the command name. */
static int parse_u(const char *args, bool utf8)
{
	size_t n = strlen(args);
	buf[0] = ' ';
	memcpy(buf + 1, args, n);
	imap_parser_init(&p, buf, n + 1);
	p.utf8 = p.utf8_accept = utf8;
	return imap_search_parse(&prog, &p);
}

static int parse(const char *args)
{
	return parse_u(args, false);
}

/* A message in a 10-message mailbox, UIDs = 100 + seq. */
static struct imap_search_msg msg(uint32_t seq, uint32_t flags)
{
	struct imap_search_msg m;
	memset(&m, 0, sizeof m);
	m.max_seq = 10;
	m.max_uid = 110;
	m.seq = seq;
	m.uid = 100 + seq;
	m.flags = flags;
	return m;
}

static int ev(const char *args, const struct imap_search_msg *m)
{
	int r = parse(args);
	if (r != IMAP_SEARCH_OK) {
		printf("  parse \"%s\": %d %s\n", args, r, prog.err ? prog.err : "");
		return -99;
	}
	return imap_search_eval(&prog, m);
}

#define YES IMAP_SEARCH_YES
#define NO IMAP_SEARCH_NO
#define UNK IMAP_SEARCH_UNKNOWN

TEST(flags)
{
	struct imap_search_msg seen = msg(1, STORE_F_SEEN | STORE_F_FLAGGED);
	struct imap_search_msg none = msg(2, 0);
	struct imap_search_msg all = msg(3, STORE_F_SYSTEM_MASK);
	CHECK_EQ_INT(ev("ALL", &none), YES);
	CHECK_EQ_INT(ev("SEEN", &seen), YES);
	CHECK_EQ_INT(ev("seen", &none), NO);
	CHECK_EQ_INT(ev("UNSEEN", &none), YES);
	CHECK_EQ_INT(ev("FLAGGED", &seen), YES);
	CHECK_EQ_INT(ev("UNFLAGGED", &seen), NO);
	CHECK_EQ_INT(ev("ANSWERED", &all), YES);
	CHECK_EQ_INT(ev("UNANSWERED", &all), NO);
	CHECK_EQ_INT(ev("DELETED", &all), YES);
	CHECK_EQ_INT(ev("UNDELETED", &none), YES);
	CHECK_EQ_INT(ev("DRAFT", &all), YES);
	CHECK_EQ_INT(ev("UNDRAFT", &all), NO);
	CHECK_EQ_INT(ev("SEEN FLAGGED", &seen), YES);
	CHECK_EQ_INT(ev("SEEN ANSWERED", &seen), NO);
	CHECK_EQ_INT(imap_search_needs(&prog), 0);
	/* \Recent, NEW, OLD */
	struct imap_search_msg rec = msg(4, 0), recseen = msg(5, STORE_F_SEEN);
	rec.recent = recseen.recent = true;
	CHECK_EQ_INT(ev("RECENT", &rec), YES);
	CHECK_EQ_INT(ev("RECENT", &none), NO);
	CHECK_EQ_INT(ev("NEW", &rec), YES);
	CHECK_EQ_INT(ev("NEW", &recseen), NO);
	CHECK_EQ_INT(ev("OLD", &rec), NO);
	CHECK_EQ_INT(ev("OLD", &none), YES);
}

TEST(sets)
{
	struct imap_search_msg m3 = msg(3, 0), m10 = msg(10, 0);
	CHECK_EQ_INT(ev("1:4", &m3), YES);
	CHECK_EQ_INT(ev("1,2,4:5", &m3), NO);
	CHECK_EQ_INT(ev("*", &m10), YES);
	CHECK_EQ_INT(ev("*", &m3), NO);
	CHECK_EQ_INT(ev("5:*", &m10), YES);
	CHECK_EQ_INT(ev("UID 103", &m3), YES);
	CHECK_EQ_INT(ev("UID 3", &m3), NO);
	CHECK_EQ_INT(ev("UID 200:*", &m10), YES);   /* n:* always includes the last UID */
	CHECK_EQ_INT(ev("UID 200:*", &m3), NO);
	CHECK_EQ_INT(ev("UID *", &m10), YES);
	/* '$': the saved result */
	m3.in_saved = true;
	CHECK_EQ_INT(ev("$", &m3), YES);
	CHECK(prog.uses_saved);
	CHECK_EQ_INT(ev("UID $", &m10), NO);
	CHECK(prog.uses_saved);
	CHECK_EQ_INT(ev("1", &m3), NO);
	CHECK(!prog.uses_saved);
}

TEST(logic)
{
	struct imap_search_msg s = msg(1, STORE_F_SEEN), u = msg(2, 0);
	CHECK_EQ_INT(ev("NOT SEEN", &s), NO);
	CHECK_EQ_INT(ev("NOT SEEN", &u), YES);
	CHECK_EQ_INT(ev("NOT NOT SEEN", &s), YES);
	CHECK_EQ_INT(ev("OR SEEN FLAGGED", &s), YES);
	CHECK_EQ_INT(ev("OR SEEN FLAGGED", &u), NO);
	CHECK_EQ_INT(ev("OR FLAGGED (SEEN 1)", &s), YES);
	CHECK_EQ_INT(ev("OR FLAGGED (SEEN 2)", &s), NO);
	CHECK_EQ_INT(ev("(SEEN) (1)", &s), YES);
	CHECK_EQ_INT(ev("((((SEEN))))", &s), YES);
	CHECK_EQ_INT(ev("NOT (SEEN UNFLAGGED)", &u), YES);
	CHECK_EQ_INT(ev("OR OR DELETED DRAFT NOT 1:*", &u), NO);
	CHECK_EQ_INT(ev("OR OR DELETED DRAFT NOT 3:*", &u), YES);
}

TEST(sizes)
{
	struct imap_search_msg m = msg(1, 0);
	CHECK_EQ_INT(ev("LARGER 100", &m), UNK);
	CHECK_EQ_INT(imap_search_needs(&prog), IMAP_SEARCH_NEED_STAT);
	m.have = IMAP_SEARCH_NEED_STAT;
	m.size = 100;
	CHECK_EQ_INT(ev("LARGER 100", &m), NO);
	CHECK_EQ_INT(ev("LARGER 99", &m), YES);
	CHECK_EQ_INT(ev("SMALLER 100", &m), NO);
	CHECK_EQ_INT(ev("SMALLER 101", &m), YES);
	CHECK_EQ_INT(ev("SMALLER 99999999999", &m), YES);
	CHECK_EQ_INT(ev("LARGER 99999999999", &m), NO);
}

TEST(dates)
{
	/* 02-Mar-2020 01:00:00 +0200 is 1 March in UTC but 2 March in its own
	 * zone, which is what BEFORE/ON/SINCE compare (RFC 3501 6.4.4). */
	struct imap_search_msg m = msg(1, 0);
	CHECK(imap_datetime_parse("02-Mar-2020 01:00:00 +0200", 26, &m.internaldate,
				  &m.internal_tz));
	CHECK_EQ_INT(ev("ON 2-Mar-2020", &m), UNK);
	m.have = IMAP_SEARCH_NEED_STAT;
	CHECK_EQ_INT(ev("ON 2-Mar-2020", &m), YES);
	CHECK_EQ_INT(ev("ON \"02-mar-2020\"", &m), YES);
	CHECK_EQ_INT(ev("ON 1-Mar-2020", &m), NO);
	CHECK_EQ_INT(ev("BEFORE 2-Mar-2020", &m), NO);
	CHECK_EQ_INT(ev("BEFORE 3-Mar-2020", &m), YES);
	CHECK_EQ_INT(ev("SINCE 2-Mar-2020", &m), YES);
	CHECK_EQ_INT(ev("SINCE 3-Mar-2020", &m), NO);
	CHECK_EQ_INT(ev("SENTON 2-Mar-2020", &m), UNK);
	CHECK_EQ_INT(imap_search_needs(&prog), IMAP_SEARCH_NEED_DATE);
	/* Date: header, in its own zone */
	m.have |= IMAP_SEARCH_NEED_DATE;
	m.sent_valid = true;
	CHECK(imap_date_rfc5322_parse("Sat, 29 Feb 2020 23:30:00 -0500", 31, &m.sent, &m.sent_tz));
	CHECK_EQ_INT(ev("SENTON 29-Feb-2020", &m), YES);
	CHECK_EQ_INT(ev("SENTBEFORE 29-Feb-2020", &m), NO);
	CHECK_EQ_INT(ev("SENTBEFORE 1-Mar-2020", &m), YES);
	CHECK_EQ_INT(ev("SENTSINCE 29-Feb-2020", &m), YES);
	CHECK_EQ_INT(ev("SENTSINCE 1-Mar-2020", &m), NO);
	/* no usable Date: header: in no date range */
	m.sent_valid = false;
	CHECK_EQ_INT(ev("SENTON 29-Feb-2020", &m), NO);
	CHECK_EQ_INT(ev("SENTBEFORE 1-Jan-3000", &m), NO);
	CHECK_EQ_INT(ev("NOT SENTSINCE 1-Jan-1970", &m), YES);
}

TEST(text_keys)
{
	struct imap_search_msg m = msg(1, 0);
	CHECK_EQ_INT(ev("FROM alice SUBJECT \"hello world\" BODY x TEXT y HEADER X-Foo bar", &m), UNK);
	CHECK_EQ_INT(imap_search_text_count(&prog), 5);
	const struct imap_search_text *t = imap_search_text(&prog, 0);
	CHECK_EQ_INT(t->where, IMAP_SEARCH_IN_FIELD);
	CHECK(t->field_len == 4 && memcmp(t->field, "FROM", 4) == 0);
	CHECK(t->needle_len == 5 && memcmp(t->needle, "alice", 5) == 0);
	t = imap_search_text(&prog, 1);
	CHECK(t->needle_len == 11 && memcmp(t->needle, "hello world", 11) == 0);
	CHECK_EQ_INT(imap_search_text(&prog, 2)->where, IMAP_SEARCH_IN_BODY);
	CHECK(!imap_search_text_field_is(imap_search_text(&prog, 2), "", 0));
	CHECK_EQ_INT(imap_search_text(&prog, 3)->where, IMAP_SEARCH_IN_TEXT);
	t = imap_search_text(&prog, 4);
	CHECK(t->field_len == 5 && memcmp(t->field, "X-Foo", 5) == 0);
	CHECK_EQ_INT(imap_search_needs(&prog), IMAP_SEARCH_NEED_HEADER | IMAP_SEARCH_NEED_BODY);
	/* results arrive key by key; the answer settles as soon as it can */
	m.text_known = 1u << 0;
	m.text_found = 1u << 0;
	CHECK_EQ_INT(imap_search_eval(&prog, &m), UNK);
	m.text_known |= 1u << 1;   /* subject not found */
	CHECK_EQ_INT(imap_search_eval(&prog, &m), NO);
	m.text_known = 0x1f;
	m.text_found = 0x1f;
	CHECK_EQ_INT(imap_search_eval(&prog, &m), YES);

	/* cheap keys decide first: no text needed for an unseen message */
	m.text_known = m.text_found = 0;
	CHECK_EQ_INT(ev("SEEN BODY foo", &m), NO);
	CHECK_EQ_INT(imap_search_needs(&prog), IMAP_SEARCH_NEED_BODY);
	CHECK_EQ_INT(ev("OR UNSEEN BODY foo", &m), YES);
	/* identical keys share a slot; header names compare caselessly */
	CHECK_EQ_INT(ev("OR SUBJECT a NOT SUBJECT a HEADER subject a", &m), UNK);
	CHECK_EQ_INT(imap_search_text_count(&prog), 1);
	/* literal and empty strings */
	CHECK_EQ_INT(parse("SUBJECT {5}\r\nhe\"lo HEADER List-Id \"\""), IMAP_SEARCH_OK);
	CHECK_EQ_INT(imap_search_text_count(&prog), 2);
	CHECK(memcmp(imap_search_text(&prog, 0)->needle, "he\"lo", 5) == 0);
	CHECK_EQ_INT(imap_search_text(&prog, 1)->needle_len, 0);
	CHECK_EQ_INT(parse("TO \"a\\\"b\""), IMAP_SEARCH_OK);
	CHECK(imap_search_text(&prog, 0)->needle_len == 3 &&
	      memcmp(imap_search_text(&prog, 0)->needle, "a\"b", 3) == 0);
	CHECK(imap_search_text_field_is(imap_search_text(&prog, 0), "to", 2));
	CHECK(!imap_search_text_field_is(imap_search_text(&prog, 0), "tO-x", 4));
	CHECK_EQ_INT(parse("CC x BCC y"), IMAP_SEARCH_OK);
	CHECK(memcmp(imap_search_text(&prog, 1)->field, "BCC", 3) == 0);
}

static int lookup(void *ctx, const char *kw, size_t len)
{
	(void)ctx;
	if (len == 6 && memcmp(kw, "$Junk", 5) == 0)
		return -1;
	if (len == 10 && memcmp(kw, "$Forwarded", 10) == 0)
		return 3;
	if (len == 4 && memcmp(kw, "last", 4) == 0)
		return STORE_MAX_KEYWORDS - 1;
	if (len == 8 && memcmp(kw, "too-high", 8) == 0)
		return STORE_MAX_KEYWORDS;
	return -1;
}

TEST(keywords)
{
	struct imap_search_msg fw = msg(1, STORE_F_KEYWORD(3)), no = msg(2, 0);
	CHECK_EQ_INT(parse("KEYWORD $Forwarded"), IMAP_SEARCH_OK);
	imap_search_bind(&prog, lookup, NULL);
	CHECK_EQ_INT(imap_search_eval(&prog, &fw), YES);
	CHECK_EQ_INT(imap_search_eval(&prog, &no), NO);
	CHECK_EQ_INT(parse("UNKEYWORD $Forwarded"), IMAP_SEARCH_OK);
	imap_search_bind(&prog, lookup, NULL);
	CHECK_EQ_INT(imap_search_eval(&prog, &fw), NO);
	CHECK_EQ_INT(imap_search_eval(&prog, &no), YES);
	/* a keyword the mailbox does not know: nobody has it */
	CHECK_EQ_INT(parse("KEYWORD $Unknown"), IMAP_SEARCH_OK);
	imap_search_bind(&prog, lookup, NULL);
	CHECK_EQ_INT(imap_search_eval(&prog, &fw), NO);
	CHECK_EQ_INT(parse("UNKEYWORD $Unknown"), IMAP_SEARCH_OK);
	imap_search_bind(&prog, lookup, NULL);
	CHECK_EQ_INT(imap_search_eval(&prog, &fw), YES);
	/* the highest keyword bit (bit 31 with 24 keywords) */
	struct imap_search_msg last = msg(3, 1u << (8 + STORE_MAX_KEYWORDS - 1));
	CHECK_EQ_INT(parse("KEYWORD last"), IMAP_SEARCH_OK);
	imap_search_bind(&prog, lookup, NULL);
	CHECK_EQ_INT(imap_search_eval(&prog, &last), YES);
	CHECK_EQ_INT(imap_search_eval(&prog, &fw), NO);
	/* an index the store could not have: matches nothing */
	CHECK_EQ_INT(parse("KEYWORD too-high"), IMAP_SEARCH_OK);
	imap_search_bind(&prog, lookup, NULL);
	CHECK_EQ_INT(imap_search_eval(&prog, &last), NO);
	CHECK_EQ_INT(parse("KEYWORD \\Seen"), IMAP_SEARCH_BAD);
}

TEST(modseq)
{
	struct imap_search_msg m = msg(1, 0);
	m.modseq = 50;
	CHECK_EQ_INT(ev("MODSEQ 50", &m), YES);
	CHECK(prog.uses_modseq);
	CHECK_EQ_INT(ev("MODSEQ 51", &m), NO);
	CHECK_EQ_INT(ev("MODSEQ \"/flags/\\\\draft\" all 20", &m), YES);
	CHECK_EQ_INT(ev("MODSEQ \"/flags/$Junk\" PRIV 20", &m), YES);
	CHECK_EQ_INT(parse("MODSEQ \"/flags/x\" other 20"), IMAP_SEARCH_BAD);
	CHECK_EQ_INT(parse("MODSEQ \"/other/x\" all 20"), IMAP_SEARCH_BAD);
	CHECK_EQ_INT(parse("MODSEQ 9223372036854775808"), IMAP_SEARCH_BAD);
	CHECK_EQ_INT(parse("SEEN"), IMAP_SEARCH_OK);
	CHECK(!prog.uses_modseq);
}

TEST(return_and_charset)
{
	CHECK_EQ_INT(parse("RETURN (MIN MAX) ALL"), IMAP_SEARCH_OK);
	CHECK(prog.esearch);
	CHECK_EQ_INT(prog.ret, IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX);
	CHECK_EQ_INT(parse("RETURN () ALL"), IMAP_SEARCH_OK);
	CHECK_EQ_INT(prog.ret, IMAP_SEARCH_RET_ALL);
	CHECK_EQ_INT(parse("RETURN (count all save) SEEN"), IMAP_SEARCH_OK);
	CHECK_EQ_INT(prog.ret, IMAP_SEARCH_RET_COUNT | IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_SAVE);
	CHECK_EQ_INT(parse("SEEN"), IMAP_SEARCH_OK);
	CHECK(!prog.esearch);
	CHECK_EQ_INT(parse("RETURN (PARTIAL 1:10) ALL"), IMAP_SEARCH_BAD);
	CHECK_EQ_INT(parse("RETURN MIN ALL"), IMAP_SEARCH_BAD);
	CHECK_EQ_INT(parse("RETURN (MIN) CHARSET UTF-8 SUBJECT x"), IMAP_SEARCH_OK);
	CHECK_EQ_INT(parse("CHARSET UTF-8 SUBJECT \"\xc3\xa4\""), IMAP_SEARCH_OK);
	CHECK_EQ_INT(parse("CHARSET us-ascii ALL"), IMAP_SEARCH_OK);
	CHECK_EQ_INT(parse("CHARSET \"UTF-8\" ALL"), IMAP_SEARCH_OK);
	CHECK_EQ_INT(parse("CHARSET ISO-8859-1 SUBJECT x"), IMAP_SEARCH_BADCHARSET);
	CHECK_EQ_INT(parse("CHARSET KOI8-R ALL"), IMAP_SEARCH_BADCHARSET);
	CHECK_EQ_INT(parse("CHARSET"), IMAP_SEARCH_BAD);
	CHECK_EQ_INT(parse_u("CHARSET UTF-8 ALL", true), IMAP_SEARCH_BAD);
	CHECK_EQ_INT(parse_u("SUBJECT \"\xc3\xa4\"", true), IMAP_SEARCH_OK);
	/* IMAP4rev2 without UTF8=ACCEPT: UTF-8 strings and CHARSET both fine */
	strcpy(buf, " CHARSET UTF-8 SUBJECT \"\xc3\xa4\"");
	imap_parser_init(&p, buf, strlen(buf));
	p.utf8 = true;
	CHECK_EQ_INT(imap_search_parse(&prog, &p), IMAP_SEARCH_OK);
}

TEST(errors)
{
	static const char *const bad[] = {
		"", " ALL", "ALL ", "FOO", "SEEN  FLAGGED", "(SEEN", "SEEN)", "()", "NOT",
		"OR SEEN", "BEFORE", "BEFORE 1-Foo-2000", "BEFORE 32-Jan-2000", "ON x",
		"LARGER", "LARGER x", "SMALLER -1", "FROM", "HEADER", "HEADER Subject",
		"HEADER \"\" x", "HEADER \"a:b\" x", "UID", "UID x", "UID 0", "0", "1:",
		"1,", "KEYWORD", "SUBJECT {5}\r\nab", "SUBJECT \"x", "SEENX", "ALL\r\n",
		"MODSEQ", "MODSEQ x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = parse(bad[i]);
		if (r != IMAP_SEARCH_BAD)
			printf("  accepted \"%s\" -> %d\n", bad[i], r);
		CHECK_EQ_INT(r, IMAP_SEARCH_BAD);
		CHECK(prog.err != NULL && prog.err[0] != '\0');
	}
	CHECK_EQ_INT(parse(""), IMAP_SEARCH_BAD);
	CHECK_EQ_STR(prog.err, "Missing search keys");
	buf[0] = 'x';
	imap_parser_init(&p, buf, 1);
	CHECK_EQ_INT(imap_search_parse(&prog, &p), IMAP_SEARCH_BAD);
	CHECK_EQ_STR(prog.err, "Expected a space");
	imap_parser_init(&p, buf, 0);
	CHECK_EQ_INT(imap_search_parse(&prog, &p), IMAP_SEARCH_BAD);
	CHECK_EQ_STR(prog.err, "Missing search keys");
	CHECK_EQ_INT(parse("FOO"), IMAP_SEARCH_BAD);
	CHECK_EQ_STR(prog.err, "Unknown search key");
	/* limits */
	char big[8 * IMAP_SEARCH_MAX_NODES + 64];
	size_t n = 0;
	for (int i = 0; i < IMAP_SEARCH_MAX_NODES; i++)
		n += (size_t)sprintf(big + n, "%sSEEN", i ? " " : "");
	CHECK_EQ_INT(parse(big), IMAP_SEARCH_LIMIT);
	n = 0;
	for (int i = 0; i < IMAP_SEARCH_MAX_NODES - 1; i++)
		n += (size_t)sprintf(big + n, "%s1", i ? " " : "");
	CHECK_EQ_INT(parse(big), IMAP_SEARCH_OK);
	n = 0;
	for (int i = 0; i <= IMAP_SEARCH_MAX_DEPTH; i++)
		n += (size_t)sprintf(big + n, "NOT ");
	sprintf(big + n, "SEEN");
	CHECK_EQ_INT(parse(big), IMAP_SEARCH_LIMIT);
	CHECK_EQ_INT(parse(big + 4), IMAP_SEARCH_OK);
	n = 0;
	for (int i = 0; i <= IMAP_SEARCH_MAX_TEXT; i++)
		n += (size_t)sprintf(big + n, "%sBODY x%d", i ? " " : "", i);
	CHECK_EQ_INT(parse(big), IMAP_SEARCH_LIMIT);
	char longs[MIME_MATCH_MAX + 32];
	memcpy(longs, "BODY ", 5);
	memset(longs + 5, 'a', MIME_MATCH_MAX + 1);
	longs[5 + MIME_MATCH_MAX + 1] = '\0';
	CHECK_EQ_INT(parse(longs), IMAP_SEARCH_LIMIT);
	longs[5 + MIME_MATCH_MAX] = '\0';
	CHECK_EQ_INT(parse(longs), IMAP_SEARCH_OK);
}

TEST(setw)
{
	static const uint32_t in[] = { 1, 2, 3, 5, 7, 8, 9, 4294967294u, 4294967295u };
	struct imap_search_setw w;
	char out[256], part[IMAP_SEARCH_SETW_MAX];
	size_t n = 0;
	imap_search_setw_init(&w);
	CHECK_EQ_INT(imap_search_setw_finish(&w, part), 0);
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		size_t k = imap_search_setw_add(&w, in[i], part);
		memcpy(out + n, part, k);
		n += k;
	}
	n += imap_search_setw_finish(&w, out + n);
	out[n] = '\0';
	CHECK_EQ_STR(out, "1:3,5,7:9,4294967294:4294967295");
	imap_search_setw_init(&w);
	n = imap_search_setw_add(&w, 42, out);
	n += imap_search_setw_finish(&w, out + n);
	out[n] = '\0';
	CHECK_EQ_STR(out, "42");
}

int main(void)
{
	RUN(flags);
	RUN(sets);
	RUN(logic);
	RUN(sizes);
	RUN(dates);
	RUN(text_keys);
	RUN(keywords);
	RUN(modseq);
	RUN(return_and_charset);
	RUN(errors);
	RUN(setw);
	return UNIT_DONE();
}
