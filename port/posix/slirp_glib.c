/*
 * slirp_glib.c - the 29 GLib functions libslirp calls, so that the host
 * server links without GLib.
 *
 * Why: linked statically, GLib brought 0.8 MB of code and tables (Unicode,
 * iconv, spawn, the log machinery) into an executable whose own code is
 * 0.6 MB, and the kernel maps a binary's text in 64 KiB fault-around runs,
 * so most of it was resident (docs/architecture.md, "Host memory").
 * libslirp still compiles against <glib.h> for types and macros; only these
 * out-of-line functions are ours. Semantics follow GLib's documentation
 * where libslirp depends on them: allocation failure aborts, g_malloc(0) is
 * NULL, G_LOG_LEVEL_ERROR aborts, snprintf-style returns are C99's.
 *
 * Not provided: running programs (guestfwd "exec"), which the server never
 * asks for: g_shell_parse_argv fails with a GError, so slirp logs and
 * refuses the forward.
 */
#include <glib.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void oom(size_t n)
{
	fprintf(stderr, "slirp: out of memory (%zu bytes)\n", n);
	abort();
}

gpointer g_malloc(gsize n)
{
	void *p;

	if (n == 0)
		return NULL;
	p = malloc(n);
	if (!p)
		oom(n);
	return p;
}

gpointer g_malloc0(gsize n)
{
	void *p;

	if (n == 0)
		return NULL;
	p = calloc(1, n);
	if (!p)
		oom(n);
	return p;
}

gpointer g_realloc(gpointer mem, gsize n)
{
	void *p;

	if (n == 0) {
		free(mem);
		return NULL;
	}
	p = realloc(mem, n);
	if (!p)
		oom(n);
	return p;
}

void g_free(gpointer mem)
{
	free(mem);
}

gchar *g_strdup(const gchar *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(g_malloc(n), s, n);
}

gint g_vsnprintf(gchar *buf, gulong n, gchar const *fmt, va_list ap)
{
	return vsnprintf(buf, n, fmt, ap);
}

gint g_snprintf(gchar *buf, gulong n, gchar const *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

gsize g_strlcpy(gchar *dst, const gchar *src, gsize n)
{
	size_t len = strlen(src);

	if (n) {
		size_t k = len < n - 1 ? len : n - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return len;
}

gboolean g_str_has_prefix(const gchar *s, const gchar *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* First needle in at most len bytes of haystack (len < 0: up to its NUL). */
gchar *g_strstr_len(const gchar *haystack, gssize len, const gchar *needle)
{
	size_t nl = strlen(needle);
	size_t hl;

	if (len < 0)
		return strstr(haystack, needle);
	hl = strnlen(haystack, (size_t)len);
	if (nl == 0)
		return (gchar *)haystack;
	for (size_t i = 0; i + nl <= hl; i++)
		if (haystack[i] == needle[0] && memcmp(haystack + i, needle, nl) == 0)
			return (gchar *)haystack + i;
	return NULL;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

gint g_ascii_strcasecmp(const gchar *a, const gchar *b)
{
	for (;; a++, b++) {
		int ca = ascii_lower((unsigned char)*a), cb = ascii_lower((unsigned char)*b);
		if (ca != cb || ca == 0)
			return ca - cb;
	}
}

const gchar *g_strerror(gint errnum)
{
	return strerror(errnum);
}

const gchar *g_getenv(const gchar *name)
{
	return getenv(name);
}

void g_strfreev(gchar **v)
{
	if (!v)
		return;
	for (gchar **p = v; *p; p++)
		free(*p);
	free(v);
}

guint g_strv_length(gchar **v)
{
	guint n = 0;

	while (v[n])
		n++;
	return n;
}

/* "call:misc", "call,error", "all" (case-insensitive), as GLib parses them. */
guint g_parse_debug_string(const gchar *s, const GDebugKey *keys, guint nkeys)
{
	guint flags = 0;

	if (!s)
		return 0;
	while (*s) {
		size_t n = strcspn(s, ":;, \t");
		if (n == 3 && strncasecmp(s, "all", 3) == 0) {
			for (guint i = 0; i < nkeys; i++)
				flags |= keys[i].value;
		} else {
			for (guint i = 0; i < nkeys; i++)
				if (strlen(keys[i].key) == n && strncasecmp(s, keys[i].key, n) == 0)
					flags |= keys[i].value;
		}
		s += n;
		if (*s)
			s++;
	}
	return flags;
}

/* --- GString: only creation, printf-append and freeing are used ----------- */

GString *g_string_new(const gchar *init)
{
	GString *g = g_malloc(sizeof(*g));
	size_t n = init ? strlen(init) : 0;

	g->allocated_len = n + 64;
	g->str = g_malloc(g->allocated_len);
	memcpy(g->str, init ? init : "", n + 1);
	g->len = n;
	return g;
}

void g_string_append_printf(GString *g, const gchar *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (g->len + (size_t)n + 1 > g->allocated_len) {
		size_t want = g->allocated_len;
		while (g->len + (size_t)n + 1 > want)
			want *= 2;
		g->str = g_realloc(g->str, want);
		g->allocated_len = want;
	}
	va_start(ap, fmt);
	vsnprintf(g->str + g->len, g->allocated_len - g->len, fmt, ap);
	va_end(ap);
	g->len += (size_t)n;
}

gchar *g_string_free(GString *g, gboolean free_segment)
{
	gchar *s = g->str;

	free(g);
	if (free_segment) {
		free(s);
		return NULL;
	}
	return s;
}

/* --- Logging ---------------------------------------------------------------- */

/* MESSAGE and above to stderr, INFO and DEBUG dropped (GLib's default without
 * G_MESSAGES_DEBUG); ERROR is fatal, as in GLib. */
void g_log(const gchar *domain, GLogLevelFlags level, const gchar *fmt, ...)
{
	const char *what = level & G_LOG_LEVEL_ERROR	? "error"
			   : level & G_LOG_LEVEL_CRITICAL ? "critical"
			   : level & G_LOG_LEVEL_WARNING  ? "warning"
			   : level & G_LOG_LEVEL_MESSAGE  ? "message"
							  : NULL;
	va_list ap;

	if (what) {
		fprintf(stderr, "%s: %s: ", domain ? domain : "slirp", what);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL))
		abort();
}

void g_warn_message(const char *domain, const char *file, int line, const char *func,
		    const char *expr)
{
	fprintf(stderr, "%s: warning: %s:%d %s: %s\n", domain ? domain : "slirp", file, line, func,
		expr ? expr : "code should not be reached");
}

void g_return_if_fail_warning(const char *domain, const char *func, const char *expr)
{
	fprintf(stderr, "%s: critical: %s: assertion '%s' failed\n", domain ? domain : "slirp",
		func, expr);
}

void g_assertion_message_expr(const char *domain, const char *file, int line, const char *func,
			      const char *expr)
{
	fprintf(stderr, "%s: %s:%d %s: %s\n", domain ? domain : "slirp", file, line, func,
		expr ? expr : "code should not be reached");
	abort();
}

/* --- Errors, and the "exec" forwards we do not run -------------------------- */

void g_error_free(GError *e)
{
	if (!e)
		return;
	free(e->message);
	free(e);
}

static void set_error(GError **err, const char *msg)
{
	GError *e;

	if (!err)
		return;
	e = g_malloc(sizeof(*e));
	e->domain = 0;
	e->code = 0;
	e->message = g_strdup(msg);
	*err = e;
}

gboolean g_shell_parse_argv(const gchar *cmd, gint *argcp, gchar ***argvp, GError **err)
{
	(void)cmd;
	if (argcp)
		*argcp = 0;
	if (argvp)
		*argvp = NULL;
	set_error(err, "running programs is not supported by this server");
	return FALSE;
}

gboolean g_spawn_async_with_fds(const gchar *wd, gchar **argv, gchar **envp, GSpawnFlags flags,
				GSpawnChildSetupFunc setup, gpointer data, GPid *pid, gint in_fd,
				gint out_fd, gint err_fd, GError **err)
{
	(void)wd, (void)argv, (void)envp, (void)flags, (void)setup, (void)data;
	(void)in_fd, (void)out_fd, (void)err_fd;
	if (pid)
		*pid = -1;
	set_error(err, "running programs is not supported by this server");
	return FALSE;
}

/* --- GRand: port numbers and router-advertisement intervals, not secrets ---- */

struct _GRand {
	guint64 s;
};

GRand *g_rand_new(void)
{
	GRand *r = g_malloc(sizeof(*r));
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	r->s = 0;
	if (fd >= 0) {
		if (read(fd, &r->s, sizeof(r->s)) != (ssize_t)sizeof(r->s))
			r->s = 0;
		close(fd);
	}
	if (r->s == 0)
		r->s = (guint64)time(NULL) ^ ((guint64)getpid() << 32) ^ 0x9e3779b97f4a7c15u;
	return r;
}

void g_rand_free(GRand *r)
{
	free(r);
}

/* splitmix64, then a multiply-shift into [begin, end). */
gint32 g_rand_int_range(GRand *r, gint32 begin, gint32 end)
{
	guint64 z = (r->s += 0x9e3779b97f4a7c15u);
	guint64 span = (guint64)((gint64)end - begin);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	z ^= z >> 31;
	if (span == 0)
		return begin;
	return (gint32)((gint64)begin + (gint64)(((z >> 32) * span) >> 32));
}
