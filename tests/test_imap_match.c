/* test_imap_match.c - LIST wildcards, INBOX rule, child pruning, reference. */
#include "imap_match.h"
#include "unit.h"

#include <stdint.h>

static bool m(const char *pat, const char *name)
{
	return imap_match(pat, strlen(pat), name, strlen(name));
}

static bool ch(const char *pat, const char *name)
{
	return imap_match_children(pat, strlen(pat), name, strlen(name));
}

TEST(wildcards)
{
	CHECK(m("*", "INBOX"));
	CHECK(m("*", "a/b/c"));
	CHECK(m("%", "a"));
	CHECK(!m("%", "a/b"));
	CHECK(m("%/%", "a/b"));
	CHECK(!m("%/%", "a/b/c"));
	CHECK(m("a/*", "a/b/c"));
	CHECK(!m("a/*", "a"));
	CHECK(m("a*", "a"));
	CHECK(m("a%", "abc"));
	CHECK(!m("a%", "ab/c"));
	CHECK(m("*c", "a/b/c"));
	CHECK(m("%c", "abc"));
	CHECK(!m("%c", "a/bc"));
	CHECK(m("a%b*c", "axb/yc"));
	CHECK(!m("a%b%c", "axb/yc"));
	CHECK(m("", ""));
	CHECK(!m("", "a"));
	CHECK(m("Sent", "Sent"));
	CHECK(!m("sent", "Sent"));            /* case-sensitive outside INBOX */
	CHECK(m("Entw\xc3\xbcrfe", "Entw\xc3\xbcrfe"));
	CHECK(m("*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%*%x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay") == false);
}

TEST(inbox_rule)
{
	CHECK(m("inbox", "INBOX"));
	CHECK(m("InBoX", "INBOX"));
	CHECK(m("inbox/%", "INBOX/Sub"));
	CHECK(m("Inbox/Sub", "INBOX/Sub"));
	CHECK(!m("inbox/sub", "INBOX/Sub"));  /* only the INBOX part is caseless */
	CHECK(m("i*", "INBOX"));
	CHECK(m("%", "INBOX"));
	CHECK(!m("inbox", "INBOXES"));
	CHECK(!m("inboxes", "INBOXES"));
	CHECK(m("INBOXES", "INBOXES"));
}

TEST(children)
{
	CHECK(ch("*", "a"));
	CHECK(!ch("%", "a"));
	CHECK(ch("%/%", "a"));
	CHECK(!ch("%/%", "a/b"));
	CHECK(ch("a/b/c", "a"));
	CHECK(ch("a/b/c", "a/b"));
	CHECK(!ch("a/b/c", "a/b/c"));
	CHECK(!ch("a/b/c", "x"));
	CHECK(ch("a/*", "a"));
	CHECK(!ch("a/", "a"));                /* only "a/" itself, not a child */
	CHECK(ch("a*", "abc"));
	CHECK(ch("inbox/x", "INBOX"));
	CHECK(!ch("b%", "a"));
}

/* Reference matcher by plain recursion, for small random cases. */
static bool ref_match(const char *p, size_t pl, const char *n, size_t nl, size_t pos, size_t ci)
{
	if (pl == 0)
		return nl == 0;
	if (*p == '*' || *p == '%') {
		for (size_t k = 0; k <= nl; k++) {
			if (ref_match(p + 1, pl - 1, n + k, nl - k, pos + k, ci))
				return true;
			if (k < nl && *p == '%' && n[k] == '/')
				return false;
		}
		return false;
	}
	if (nl == 0)
		return false;
	char a = *p, b = *n;
	if (pos < ci) {
		a = (char)(a >= 'A' && a <= 'Z' ? a + 32 : a);
		b = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
	}
	return a == b && ref_match(p + 1, pl - 1, n + 1, nl - 1, pos + 1, ci);
}

TEST(random_against_reference)
{
	static const char alpha[] = "ab/*%";
	uint32_t x = 12345;
	int bad = 0;
	for (int iter = 0; iter < 200000 && bad < 5; iter++) {
		char p[8], n[9];
		x = x * 1103515245 + 12345;
		size_t pl = (x >> 16) % 8, nl = (x >> 20) % 9;
		for (size_t i = 0; i < pl; i++) {
			x = x * 1103515245 + 12345;
			p[i] = alpha[(x >> 16) % 5];
		}
		for (size_t i = 0; i < nl; i++) {
			x = x * 1103515245 + 12345;
			n[i] = alpha[(x >> 16) % 3];
		}
		bool want = ref_match(p, pl, n, nl, 0, 0);
		if (imap_match(p, pl, n, nl) != want) {
			printf("  \"%.*s\" vs \"%.*s\"\n", (int)pl, p, (int)nl, n);
			bad++;
		}
		/* children: does some child of n (n + "/" + 1..3 chars of "ab/") match? */
		bool cw = false;
		char c[16];
		memcpy(c, n, nl);
		c[nl] = '/';
		for (unsigned k = 1; k <= 3 && !cw; k++)
			for (unsigned v = 0; v < 27 && !cw; v++) {
				unsigned vv = v;
				for (unsigned i = 0; i < k; i++, vv /= 3)
					c[nl + 1 + i] = alpha[vv % 3];
				cw = ref_match(p, pl, c, nl + 1 + k, 0, 0);
			}
		/* a child the brute force finds must never be pruned */
		if (cw && !imap_match_children(p, pl, n, nl)) {
			printf("  children \"%.*s\" of \"%.*s\"\n", (int)pl, p, (int)nl, n);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
}

TEST(bounds)
{
	char big[IMAP_MATCH_MAX + 2];
	memset(big, 'a', sizeof big);
	CHECK(imap_match("*", 1, big, IMAP_MATCH_MAX));
	CHECK(!imap_match("*", 1, big, IMAP_MATCH_MAX + 1));
	CHECK(imap_match(big, IMAP_MATCH_MAX, big, IMAP_MATCH_MAX));
	CHECK(!imap_match(big, IMAP_MATCH_MAX + 1, big, IMAP_MATCH_MAX + 1));
}

TEST(combine)
{
	char out[64];
	CHECK_EQ_INT(imap_match_combine("", 0, "%", 1, out, sizeof out), 1);
	CHECK_EQ_STR(out, "%");
	CHECK_EQ_INT(imap_match_combine("Archive/", 8, "%", 1, out, sizeof out), 9);
	CHECK_EQ_STR(out, "Archive/%");
	CHECK_EQ_INT(imap_match_combine("foo", 3, "bar", 3, out, sizeof out), 6);
	CHECK_EQ_STR(out, "foobar");
	CHECK_EQ_INT(imap_match_combine("foo/", 4, "/bar", 4, out, sizeof out), 4);
	CHECK_EQ_STR(out, "/bar");
	CHECK_EQ_INT(imap_match_combine("foo/", 4, "", 0, out, sizeof out), 4);
	CHECK_EQ_INT(imap_match_combine("abcd", 4, "efgh", 4, out, 8), -1);
	CHECK_EQ_INT(imap_match_combine("abcd", 4, "efg", 3, out, 8), 7);
}

int main(void)
{
	RUN(wildcards);
	RUN(inbox_rule);
	RUN(children);
	RUN(random_against_reference);
	RUN(bounds);
	RUN(combine);
	return UNIT_DONE();
}
