/*
 * test_slirp_glib.c - the GLib functions port/posix/slirp_glib.c provides
 * for libslirp behave as GLib documents them where libslirp relies on it.
 * (The integration tests run the whole of libslirp over them.)
 */
#include <glib.h>

#include "unit.h"

TEST(allocation)
{
	char *p;

	CHECK(g_malloc(0) == NULL);
	CHECK(g_malloc0(0) == NULL);
	p = g_malloc0(32);
	for (int i = 0; i < 32; i++)
		CHECK(p[i] == 0);
	p = g_realloc(p, 4096);
	CHECK(p != NULL);
	CHECK(g_realloc(p, 0) == NULL); /* frees */
	CHECK(g_strdup(NULL) == NULL);
	p = g_strdup("abc");
	CHECK_EQ_STR(p, "abc");
	g_free(p);
	g_free(NULL);
}

TEST(strings)
{
	char buf[8];
	const char *hay = "USER x\r\nPASS y\r\n";

	CHECK_EQ_INT(g_strlcpy(buf, "truncated here", sizeof(buf)), 14);
	CHECK_EQ_STR(buf, "truncat");
	CHECK_EQ_INT(g_strlcpy(buf, "ok", sizeof(buf)), 2);
	CHECK_EQ_STR(buf, "ok");
	CHECK_EQ_INT(g_snprintf(buf, sizeof(buf), "%d-%s", 12345, "abcdef"), 12);
	CHECK_EQ_STR(buf, "12345-a");
	CHECK(g_str_has_prefix("nameserver 1.1.1.1", "nameserver"));
	CHECK(!g_str_has_prefix("name", "nameserver"));
	CHECK(g_str_has_prefix("x", ""));

	/* Bounded search: a match that ends past len is not found. */
	CHECK(g_strstr_len(hay, -1, "\r\n") == hay + 6);
	CHECK(g_strstr_len(hay, 8, "\r\n") == hay + 6);
	CHECK(g_strstr_len(hay, 7, "\r\n") == NULL);
	CHECK(g_strstr_len(hay, 0, "U") == NULL);
	CHECK(g_strstr_len("ab\0cd", 5, "cd") == NULL); /* stops at the NUL */

	CHECK(g_ascii_strcasecmp("SlIrP", "slirp") == 0);
	CHECK(g_ascii_strcasecmp("a", "B") < 0);
	CHECK(g_ascii_strcasecmp("b", "A") > 0);
	CHECK(g_ascii_strcasecmp("ab", "a") > 0);
}

TEST(string_vectors)
{
	gchar **v = g_malloc(3 * sizeof(*v));

	v[0] = g_strdup("a");
	v[1] = g_strdup("b");
	v[2] = NULL;
	CHECK_EQ_INT(g_strv_length(v), 2);
	g_strfreev(v);
	g_strfreev(NULL);
}

TEST(gstring_grows)
{
	GString *s = g_string_new(NULL);
	char *out;

	CHECK_EQ_STR(s->str, "");
	for (int i = 0; i < 100; i++)
		g_string_append_printf(s, "%02d,", i);
	CHECK_EQ_INT(s->len, 300);
	CHECK(strncmp(s->str, "00,01,02,", 9) == 0);
	CHECK(strcmp(s->str + 294, "98,99,") == 0);
	out = g_string_free(s, FALSE);
	CHECK_EQ_INT(strlen(out), 300);
	g_free(out);

	s = g_string_new("init");
	g_string_append_printf(s, "%s", "");
	CHECK_EQ_STR(s->str, "init");
	CHECK(g_string_free(s, TRUE) == NULL);
}

TEST(debug_keys)
{
	static const GDebugKey keys[] = { { "call", 1 }, { "misc", 2 }, { "error", 4 } };

	CHECK_EQ_INT(g_parse_debug_string("call:error", keys, 3), 5);
	CHECK_EQ_INT(g_parse_debug_string("MISC, call", keys, 3), 3);
	CHECK_EQ_INT(g_parse_debug_string("all", keys, 3), 7);
	CHECK_EQ_INT(g_parse_debug_string("bogus;cal", keys, 3), 0);
	CHECK_EQ_INT(g_parse_debug_string(NULL, keys, 3), 0);
}

TEST(exec_forwards_refused)
{
	GError *err = NULL;
	gint argc = -1;
	gchar **argv = (gchar **)&argc;

	CHECK(!g_shell_parse_argv("/bin/sh -c true", &argc, &argv, &err));
	CHECK(err != NULL && err->message != NULL && err->message[0] != '\0');
	CHECK_EQ_INT(argc, 0);
	CHECK(argv == NULL);
	g_error_free(err);
}

TEST(rand_range)
{
	GRand *r = g_rand_new();
	int seen_low = 0, seen_high = 0, distinct = 0, last = -1;

	for (int i = 0; i < 20000; i++) {
		gint32 v = g_rand_int_range(r, 49152, 65536);
		CHECK(v >= 49152 && v < 65536);
		if (v < 49152 || v >= 65536)
			break;
		seen_low |= v < 49152 + 1024;
		seen_high |= v >= 65536 - 1024;
		distinct += v != last;
		last = v;
	}
	CHECK(seen_low && seen_high);
	CHECK(distinct > 19000);
	CHECK_EQ_INT(g_rand_int_range(r, 7, 8), 7);
	CHECK_EQ_INT(g_rand_int_range(r, -5, -5), -5);
	for (int i = 0; i < 1000; i++) {
		gint32 v = g_rand_int_range(r, -3, 3);
		CHECK(v >= -3 && v < 3);
	}
	g_rand_free(r);
}

int main(void)
{
	RUN(allocation);
	RUN(strings);
	RUN(string_vectors);
	RUN(gstring_grows);
	RUN(debug_keys);
	RUN(exec_forwards_refused);
	RUN(rand_range);
	return UNIT_DONE();
}
