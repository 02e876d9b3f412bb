/*
 * loadgen - IMAP load generator for benchmarks (ours vs Dovecot).
 *
 *   loadgen load       N clients over M users, each LOGIN, SELECT INBOX, a
 *                      seeded mix of FETCH (flags, header, body, partial),
 *                      APPEND, STORE, SEARCH, EXPUNGE, LOGOUT; --mode login
 *                      logs in anew every --per-session commands, --mode
 *                      long keeps one session per client
 *   loadgen populate   APPEND --count generated messages to each user's INBOX
 *   loadgen maildir    write what populate appends for one user as a Maildir
 *   loadgen fetch      APPEND one --size byte message, FETCH it --repeat times
 *   loadgen flags      SELECT + UID FETCH 1:* (FLAGS), --repeat times
 *   loadgen searchtext SELECT + SEARCH TEXT <a word in ~10% of messages>
 *
 * All connections share one poll() loop; each has at most one command in
 * flight. Results go to stdout as "key=value" lines (see tools/bench.sh).
 * Users are <prefix><i> for i = 1..M with one password.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "msggen.h"

#define MAX_CLIENTS 256

static struct opts {
	struct sockaddr_in addr;
	const char *label;
	const char *prefix, *password, *user, *dir;
	unsigned clients, users, ops, per_session, max_connecting, ramp_ms;
	unsigned count, repeat, max_kib;
	size_t size;
	uint64_t seed;
	bool long_lived, verbose;
} o = {
	.label = "server", .prefix = "user", .password = "password",
	.clients = 8, .users = 4, .ops = 500, .per_session = 5, .max_connecting = MAX_CLIENTS,
	.ramp_ms = 20, .count = 100, .repeat = 5, .max_kib = 16, .size = 1u << 20,
	.seed = 1,
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- latency statistics per command type ---- */

static struct stat_t {
	double *v;
	size_t n, cap;
	unsigned errors;
} st[LG_NCMD];

static void stat_add(enum lg_cmd cmd, double secs, bool ok)
{
	struct stat_t *s = &st[cmd];
	if (!ok)
		s->errors++;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n++] = secs;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double pct(const double *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[k ? k - 1 : 0];
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return pct(v, n, 50);
}

/* ---- scripted single connection ---- */

static enum lg_result sync_cmd(struct lg_conn *c, double *secs, enum lg_cmd cmd,
			       const char *lit, size_t lit_len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static enum lg_result wait_done(struct lg_conn *c, double *secs)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = lg_conn_events(c) };
		if (p.fd < 0)
			die("%s: connection closed during %s", o.label, lg_cmd_name[c->cmd]);
		if (poll(&p, 1, 30000) == 0)
			die("%s: no answer to %s in 30 s", o.label, lg_cmd_name[c->cmd]);
		enum lg_event ev = lg_conn_io(c, p.revents);
		if (ev == LG_EV_CLOSED)
			die("%s: connection closed during %s", o.label, lg_cmd_name[c->cmd]);
		if (ev == LG_EV_DONE) {
			if (secs)
				*secs = lg_now() - c->t0;
			return c->result;
		}
	}
}

static enum lg_result sync_cmd(struct lg_conn *c, double *secs, enum lg_cmd cmd,
			       const char *lit, size_t lit_len, const char *fmt, ...)
{
	char text[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	lg_conn_cmd(c, cmd, lit, lit_len, "%s", text);
	return wait_done(c, secs);
}

static void must(enum lg_result r, const char *what)
{
	if (r != LG_OK)
		die("%s: %s failed (%s)", o.label, what, r == LG_NO ? "NO" : r == LG_BAD ? "BAD" : "BYE");
}

static void sync_login(struct lg_conn *c, const char *user)
{
	if (lg_conn_open(c, &o.addr) != 0)
		die("%s: connect: cannot create socket", o.label);
	must(wait_done(c, NULL), "greeting");
	must(sync_cmd(c, NULL, LG_LOGIN, NULL, 0, "LOGIN \"%s\" \"%s\"", user, o.password),
	     "LOGIN");
}

static void sync_logout(struct lg_conn *c)
{
	sync_cmd(c, NULL, LG_LOGOUT, NULL, 0, "LOGOUT");
	lg_conn_free(c);
}

static const char *user_name(unsigned i, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%u", o.prefix, i + 1);
	return buf;
}

/* ---- load: many clients in one poll loop ---- */

enum phase { P_WAIT_CONNECT, P_GREETING, P_LOGIN, P_SELECT, P_WORK, P_LOGOUT, P_DONE };

struct client {
	struct lg_conn c;
	uint64_t rng;
	unsigned user;
	enum phase phase;
	unsigned ops_left, session_left;
	double next_connect;
};

static struct client cl[MAX_CLIENTS];
static struct lg_msgset msgs;
static unsigned connecting;

static void next_op(struct client *k)
{
	struct lg_conn *c = &k->c;
	uint32_t ex = c->exists, n = ex ? 1 + lg_rand_below(&k->rng, ex) : 0;
	unsigned r = lg_rand_below(&k->rng, 100);
	static const char *const store_ops[] = {
		"+FLAGS (\\Seen)", "-FLAGS (\\Seen)", "+FLAGS (\\Flagged)",
		"-FLAGS (\\Flagged)", "+FLAGS (\\Deleted)", "+FLAGS (\\Deleted)",
	};
	static const char *const searches[] = {
		"UNSEEN", "FROM sender1", "SUBJECT report", "LARGER 5000",
		"SINCE 1-Jan-2024 FLAGGED", "NOT DELETED HEADER Cc team",
	};

	if (ex == 0 || r < 12) {
		const struct lg_msg *m = &msgs.msg[lg_rand_below(&k->rng, (uint32_t)msgs.count)];
		lg_conn_cmd(c, LG_APPEND, m->data, m->len, "APPEND INBOX %s{%zu}",
			    lg_rand_below(&k->rng, 2) ? "(\\Seen) " : "", m->len);
	} else if (r < 32) {
		uint32_t hi = n + lg_rand_below(&k->rng, 20);
		lg_conn_cmd(c, LG_FETCH_FLAGS, NULL, 0, "FETCH %u:%u (FLAGS UID)", n,
			    hi > ex ? ex : hi);
	} else if (r < 47) {
		lg_conn_cmd(c, LG_FETCH_HEADER, NULL, 0, "FETCH %u (UID RFC822.SIZE BODY.PEEK[HEADER])", n);
	} else if (r < 57) {
		lg_conn_cmd(c, LG_FETCH_BODY, NULL, 0, "FETCH %u BODY.PEEK[]", n);
	} else if (r < 67) {
		lg_conn_cmd(c, LG_FETCH_PARTIAL, NULL, 0, "FETCH %u BODY.PEEK[TEXT]<%u.1024>", n,
			    512 * lg_rand_below(&k->rng, 4));
	} else if (r < 85) {
		lg_conn_cmd(c, LG_STORE, NULL, 0, "STORE %u %s", n,
			    store_ops[lg_rand_below(&k->rng, 6)]);
	} else if (r < 95) {
		lg_conn_cmd(c, LG_SEARCH, NULL, 0, "SEARCH %s", searches[lg_rand_below(&k->rng, 6)]);
	} else {
		lg_conn_cmd(c, LG_EXPUNGE, NULL, 0, "EXPUNGE");
	}
}

static void start_session_or_finish(struct client *k, double now)
{
	k->phase = k->ops_left ? P_WAIT_CONNECT : P_DONE;
	k->next_connect = now;
}

static void on_event(struct client *k, enum lg_event ev, double now)
{
	struct lg_conn *c = &k->c;
	char user[64];

	if (ev == LG_EV_CLOSED) {
		if (k->phase == P_GREETING)
			connecting--;
		if (k->phase != P_LOGOUT) {
			stat_add(c->cmd, now - c->t0, false);
			if (o.verbose)
				fprintf(stderr, "loadgen: %s: client %u: connection lost in %s\n",
					o.label, (unsigned)(k - cl), lg_cmd_name[c->cmd]);
			k->next_connect = now + 0.1;
			k->phase = P_WAIT_CONNECT;
			return;
		}
		start_session_or_finish(k, now);
		return;
	}
	bool ok = c->result == LG_OK;
	stat_add(c->cmd, now - c->t0, ok);
	if (!ok && o.verbose && k->phase != P_GREETING)
		fprintf(stderr, "loadgen: %s: %.*s -> %s\n", o.label, (int)c->line_len - 2, c->line,
			c->status);
	switch (k->phase) {
	case P_GREETING:
		connecting--;
		if (!ok) {   /* "* BYE too many connections": try again shortly */
			lg_conn_close(c);
			k->phase = P_WAIT_CONNECT;
			k->next_connect = now + 0.05;
			return;
		}
		k->phase = P_LOGIN;
		lg_conn_cmd(c, LG_LOGIN, NULL, 0, "LOGIN \"%s\" \"%s\"",
			    user_name(k->user, user, sizeof user), o.password);
		return;
	case P_LOGIN:
		if (!ok)
			die("%s: LOGIN %s failed", o.label, user_name(k->user, user, sizeof user));
		k->phase = P_SELECT;
		lg_conn_cmd(c, LG_SELECT, NULL, 0, "SELECT INBOX");
		return;
	case P_SELECT:
		if (!ok)
			die("%s: SELECT INBOX failed", o.label);
		k->phase = P_WORK;
		k->session_left = o.long_lived ? k->ops_left : o.per_session;
		next_op(k);
		return;
	case P_WORK:
		k->ops_left--;
		k->session_left--;
		if (k->ops_left && k->session_left && !c->bye) {
			next_op(k);
			return;
		}
		k->phase = P_LOGOUT;
		lg_conn_cmd(c, LG_LOGOUT, NULL, 0, "LOGOUT");
		return;
	case P_LOGOUT:
		lg_conn_close(c);
		start_session_or_finish(k, now);
		return;
	default:
		return;
	}
}

static int cmd_load(void)
{
	if (o.clients == 0 || o.clients > MAX_CLIENTS || o.users == 0)
		die("--clients must be 1..%d and --users at least 1", MAX_CLIENTS);
	lg_msgset_make(&msgs, 64, o.max_kib, o.seed);
	double t0 = lg_now();
	for (unsigned i = 0; i < o.clients; i++) {
		cl[i].c.fd = -1;
		cl[i].rng = o.seed * 1000003u + i + 1;
		cl[i].user = i % o.users;
		cl[i].ops_left = o.ops;
		cl[i].phase = P_WAIT_CONNECT;
		cl[i].next_connect = t0 + i * o.ramp_ms / 1000.0;
	}
	struct pollfd pfd[MAX_CLIENTS];
	for (;;) {
		double now = lg_now();
		bool waiting = false, live = false;
		for (unsigned i = 0; i < o.clients; i++) {
			struct client *k = &cl[i];
			if (k->phase == P_DONE)
				continue;
			live = true;
			if (k->phase != P_WAIT_CONNECT)
				continue;
			waiting = true;
			if (now < k->next_connect || connecting >= o.max_connecting)
				continue;
			if (lg_conn_open(&k->c, &o.addr) != 0)
				die("socket: out of descriptors?");
			k->phase = P_GREETING;
			connecting++;
		}
		if (!live)
			break;
		for (unsigned i = 0; i < o.clients; i++)
			pfd[i] = (struct pollfd){ .fd = cl[i].c.fd, .events = lg_conn_events(&cl[i].c) };
		int n = poll(pfd, o.clients, waiting ? 5 : 30000);
		if (n == 0 && !waiting)
			die("%s: no progress for 30 s", o.label);
		now = lg_now();
		for (unsigned i = 0; i < o.clients; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			short rev = pfd[i].revents;
			enum lg_event ev;
			while (cl[i].c.fd >= 0 && (ev = lg_conn_io(&cl[i].c, rev)) != LG_EV_NONE) {
				on_event(&cl[i], ev, now);
				rev = 0;
				if (cl[i].c.fd != pfd[i].fd)
					break;   /* closed or reconnected: new socket next pass */
			}
		}
	}
	double secs = lg_now() - t0;

	unsigned long commands = 0, errors = 0;
	for (int i = LG_LOGIN; i < LG_NCMD; i++) {
		commands += st[i].n;
		errors += st[i].errors;
	}
	const char *mode = o.long_lived ? "long" : "login";
	printf("load label=%s mode=%s clients=%u users=%u ops=%u secs=%.3f commands=%lu "
	       "cmds_per_s=%.1f errors=%lu connects=%zu\n",
	       o.label, mode, o.clients, o.users, o.ops, secs, commands,
	       (double)commands / secs, errors, st[LG_CONNECT].n);
	for (int i = 0; i < LG_NCMD; i++) {
		struct stat_t *s = &st[i];
		if (!s->n)
			continue;
		qsort(s->v, s->n, sizeof *s->v, cmp_double);
		printf("latency label=%s mode=%s cmd=%s n=%zu errors=%u p50_ms=%.3f p99_ms=%.3f\n",
		       o.label, mode, lg_cmd_name[i], s->n, s->errors, pct(s->v, s->n, 50) * 1e3,
		       pct(s->v, s->n, 99) * 1e3);
	}
	for (unsigned i = 0; i < o.clients; i++)
		lg_conn_free(&cl[i].c);
	lg_msgset_free(&msgs);
	return 0;
}

/* ---- populate: --count messages into each user's INBOX, users in parallel ---- */

static int cmd_populate(void)
{
	if (o.users == 0 || o.users > MAX_CLIENTS)
		die("--users must be 1..%d", MAX_CLIENTS);
	lg_msgset_make(&msgs, 256, o.max_kib, o.seed);
	struct lg_conn *c = calloc(o.users, sizeof *c);
	unsigned *left = calloc(o.users, sizeof *left);
	struct pollfd *pfd = calloc(o.users, sizeof *pfd);
	if (!c || !left || !pfd)
		die("out of memory");
	double t0 = lg_now();
	char user[64];
	if (o.user && o.users != 1)
		die("populate: --user wants --users 1");
	for (unsigned i = 0; i < o.users; i++) {   /* one at a time: slirp's backlog is 1 */
		sync_login(&c[i], o.user ? o.user : user_name(i, user, sizeof user));
		left[i] = o.count;
	}
	uint64_t rng = o.seed, bytes = 0;
	unsigned busy = 0;
	for (unsigned i = 0; i < o.users; i++)
		if (left[i]) {
			const struct lg_msg *m = &msgs.msg[lg_rand_below(&rng, (uint32_t)msgs.count)];
			lg_conn_cmd(&c[i], LG_APPEND, m->data, m->len, "APPEND INBOX {%zu}", m->len);
			bytes += m->len;
			busy++;
		}
	while (busy) {
		for (unsigned i = 0; i < o.users; i++)
			pfd[i] = (struct pollfd){ .fd = c[i].fd, .events = lg_conn_events(&c[i]) };
		if (poll(pfd, o.users, 30000) == 0)
			die("%s: populate: no progress for 30 s", o.label);
		for (unsigned i = 0; i < o.users; i++) {
			if (!pfd[i].revents || !c[i].busy)
				continue;
			enum lg_event ev = lg_conn_io(&c[i], pfd[i].revents);
			if (ev == LG_EV_CLOSED)
				die("%s: populate: connection closed", o.label);
			if (ev != LG_EV_DONE)
				continue;
			must(c[i].result, "APPEND");
			if (--left[i] == 0) {
				busy--;
				continue;
			}
			const struct lg_msg *m = &msgs.msg[lg_rand_below(&rng, (uint32_t)msgs.count)];
			lg_conn_cmd(&c[i], LG_APPEND, m->data, m->len, "APPEND INBOX {%zu}", m->len);
			bytes += m->len;
		}
	}
	double secs = lg_now() - t0;
	for (unsigned i = 0; i < o.users; i++)
		sync_logout(&c[i]);
	printf("populate label=%s users=%u count=%u bytes=%llu secs=%.3f appends_per_s=%.1f\n",
	       o.label, o.users, o.count, (unsigned long long)bytes, secs,
	       (double)o.users * o.count / secs);
	free(c);
	free(left);
	free(pfd);
	lg_msgset_free(&msgs);
	return 0;
}

/* The messages populate would append for one user, written as a Maildir
 * (<dir>/cur/) for a server that reads one, so a large mailbox can be set
 * up without IMAP (Dovecot fsyncs every APPEND). */
static int cmd_maildir(void)
{
	if (!o.dir)
		die("maildir: --dir missing");
	lg_msgset_make(&msgs, 256, o.max_kib, o.seed);
	char path[4096];
	for (const char *sub = "cur\0new\0tmp\0"; *sub; sub += 4) {
		snprintf(path, sizeof path, "%s/%s", o.dir, sub);
		if (mkdir(o.dir, 0755) != 0 && errno != EEXIST)
			die("mkdir %s: %s", o.dir, strerror(errno));
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			die("mkdir %s: %s", path, strerror(errno));
	}
	uint64_t rng = o.seed, bytes = 0;
	for (unsigned i = 0; i < o.count; i++) {
		const struct lg_msg *m = &msgs.msg[lg_rand_below(&rng, (uint32_t)msgs.count)];
		snprintf(path, sizeof path, "%s/cur/%u.M%uP1.loadgen,S=%zu:2,", o.dir,
			 1700000000u + i, i, m->len);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(m->data, 1, m->len, f) != m->len || fclose(f) != 0)
			die("write %s: %s", path, strerror(errno));
		bytes += m->len;
	}
	printf("maildir label=%s count=%u bytes=%llu\n", o.label, o.count,
	       (unsigned long long)bytes);
	lg_msgset_free(&msgs);
	return 0;
}

/* ---- single-connection measurements ---- */

static const char *the_user(char *buf, size_t cap)
{
	return o.user ? o.user : user_name(0, buf, cap);
}

static int cmd_fetch(void)
{
	struct lg_conn c = { .fd = -1 };
	char user[64];
	struct lg_msg m = lg_msg_sized(o.size, o.seed);
	double append_s, *t = calloc(o.repeat, sizeof *t);
	if (!t || !o.repeat)
		die("--repeat must be at least 1");
	sync_login(&c, the_user(user, sizeof user));
	must(sync_cmd(&c, NULL, LG_SELECT, NULL, 0, "SELECT INBOX"), "SELECT");
	must(sync_cmd(&c, &append_s, LG_APPEND, m.data, m.len, "APPEND INBOX {%zu}", m.len),
	     "APPEND");
	must(sync_cmd(&c, NULL, LG_NOOP, NULL, 0, "NOOP"), "NOOP");
	for (unsigned i = 0; i < o.repeat; i++) {
		must(sync_cmd(&c, &t[i], LG_FETCH_BODY, NULL, 0, "FETCH * BODY.PEEK[]"), "FETCH");
		if (c.lit_bytes != m.len)
			die("%s: FETCH returned %llu bytes, expected %zu", o.label,
			    (unsigned long long)c.lit_bytes, m.len);
	}
	sync_logout(&c);
	double med = median(t, o.repeat);
	printf("fetch label=%s size=%zu repeat=%u append_s=%.4f fetch_s=%.4f mib_per_s=%.1f\n",
	       o.label, m.len, o.repeat, append_s, med, (double)m.len / med / 1048576.0);
	free(m.data);
	free(t);
	return 0;
}

static int cmd_flags(void)
{
	struct lg_conn c = { .fd = -1 };
	char user[64];
	double *ts = calloc(o.repeat, sizeof *ts), *tf = calloc(o.repeat, sizeof *tf);
	if (!ts || !tf || !o.repeat)
		die("--repeat must be at least 1");
	sync_login(&c, the_user(user, sizeof user));
	uint32_t fetches = 0, exists = 0;
	for (unsigned i = 0; i < o.repeat; i++) {
		must(sync_cmd(&c, &ts[i], LG_SELECT, NULL, 0, "SELECT INBOX"), "SELECT");
		exists = c.exists;
		must(sync_cmd(&c, &tf[i], LG_FETCH_FLAGS, NULL, 0, "UID FETCH 1:* (FLAGS)"),
		     "UID FETCH");
		fetches = c.fetches;
	}
	sync_logout(&c);
	if (fetches != exists)
		die("%s: UID FETCH 1:* gave %u responses for %u messages", o.label, fetches, exists);
	double s = median(ts, o.repeat), f = median(tf, o.repeat);
	printf("flags label=%s messages=%u repeat=%u select_ms=%.3f fetch_ms=%.3f total_ms=%.3f\n",
	       o.label, exists, o.repeat, s * 1e3, f * 1e3, (s + f) * 1e3);
	free(ts);
	free(tf);
	return 0;
}

static int cmd_searchtext(void)
{
	struct lg_conn c = { .fd = -1 };
	char user[64];
	double *t = calloc(o.repeat, sizeof *t);
	if (!t || !o.repeat)
		die("--repeat must be at least 1");
	sync_login(&c, the_user(user, sizeof user));
	must(sync_cmd(&c, NULL, LG_SELECT, NULL, 0, "SELECT INBOX"), "SELECT");
	uint32_t hits = 0;
	for (unsigned i = 0; i < o.repeat; i++) {
		must(sync_cmd(&c, &t[i], LG_SEARCH, NULL, 0, "SEARCH TEXT \"%s\"", lg_rare_word),
		     "SEARCH TEXT");
		hits = c.search_hits;
	}
	uint32_t exists = c.exists;
	sync_logout(&c);
	printf("searchtext label=%s messages=%u repeat=%u hits=%u ms=%.3f\n", o.label, exists,
	       o.repeat, hits, median(t, o.repeat) * 1e3);
	free(t);
	return 0;
}

/* ---- options ---- */

static void usage(void)
{
	fputs("usage: loadgen load|populate|maildir|fetch|flags|searchtext [options]\n"
	      "  --host A --port N       server (default 127.0.0.1, port required)\n"
	      "  --label NAME            name in the output lines\n"
	      "  --users M --prefix P    users P1..PM (default user1..user4)\n"
	      "  --password PW           every user's password (default password)\n"
	      "  --user NAME             fetch/flags/searchtext: this user (default P1)\n"
	      "  --seed S                random seed (default 1)\n"
	      "  --verbose               report every command that did not succeed\n"
	      "load:  --clients N --ops K (mixed commands per client) --mode login|long\n"
	      "       --per-session C (login mode) --ramp-ms MS (between first connects)\n"
	      "       --max-connecting N (connects awaiting a greeting; default no limit)\n"
	      "       --max-kib K (largest generated message)\n"
	      "populate: --count K (messages per user) --max-kib K [--user NAME]\n"
	      "maildir: --dir D --count K --max-kib K (populate's messages for one user)\n"
	      "fetch: --size BYTES --repeat R;  flags, searchtext: --repeat R\n",
	      stderr);
	exit(2);
}

static unsigned long num(const char *s, unsigned long max)
{
	char *e;
	unsigned long v = strtoul(s, &e, 10);
	if (*s < '0' || *s > '9' || v > max)
		usage();
	if (*e == 'K' || *e == 'k')
		v <<= 10, e++;
	else if (*e == 'M' || *e == 'm')
		v <<= 20, e++;
	if (*e)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", 1, 0, 'H' }, { "port", 1, 0, 'p' }, { "label", 1, 0, 'l' },
		{ "users", 1, 0, 'u' }, { "prefix", 1, 0, 'P' }, { "password", 1, 0, 'w' },
		{ "user", 1, 0, 'U' }, { "seed", 1, 0, 's' }, { "clients", 1, 0, 'c' },
		{ "ops", 1, 0, 'o' }, { "mode", 1, 0, 'm' }, { "per-session", 1, 0, 'e' },
		{ "max-connecting", 1, 0, 'x' }, { "ramp-ms", 1, 0, 'r' },
		{ "count", 1, 0, 'n' }, { "repeat", 1, 0, 'R' }, { "size", 1, 0, 'S' },
		{ "max-kib", 1, 0, 'k' }, { "dir", 1, 0, 'd' },
		{ "verbose", 0, 0, 'v' }, { 0, 0, 0, 0 },
	};
	if (argc < 2)
		usage();
	const char *sub = argv[1];
	unsigned long port = 0;
	o.addr.sin_family = AF_INET;
	o.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	optind = 2;
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (inet_pton(AF_INET, optarg, &o.addr.sin_addr) != 1)
				die("--host wants an IPv4 address");
			break;
		case 'p': port = num(optarg, 65535); break;
		case 'l': o.label = optarg; break;
		case 'u': o.users = (unsigned)num(optarg, MAX_CLIENTS); break;
		case 'P': o.prefix = optarg; break;
		case 'w': o.password = optarg; break;
		case 'U': o.user = optarg; break;
		case 's': o.seed = num(optarg, ~0ul); break;
		case 'c': o.clients = (unsigned)num(optarg, MAX_CLIENTS); break;
		case 'o': o.ops = (unsigned)num(optarg, 100000000); break;
		case 'm':
			if (strcmp(optarg, "login") && strcmp(optarg, "long"))
				usage();
			o.long_lived = strcmp(optarg, "long") == 0;
			break;
		case 'e': o.per_session = (unsigned)num(optarg, 1000000); break;
		case 'x': o.max_connecting = (unsigned)num(optarg, MAX_CLIENTS); break;
		case 'r': o.ramp_ms = (unsigned)num(optarg, 60000); break;
		case 'n': o.count = (unsigned)num(optarg, 10000000); break;
		case 'R': o.repeat = (unsigned)num(optarg, 100000); break;
		case 'S': o.size = num(optarg, 1ul << 30); break;
		case 'd': o.dir = optarg; break;
		case 'v': o.verbose = true; break;
		case 'k': o.max_kib = (unsigned)num(optarg, 65536); break;
		default: usage();
		}
	}
	if (optind != argc || (port == 0 && strcmp(sub, "maildir") != 0))
		usage();
	if (o.per_session == 0 || o.max_connecting == 0 || o.max_kib == 0)
		usage();
	o.addr.sin_port = htons((uint16_t)port);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(sub, "load"))
		return cmd_load();
	if (!strcmp(sub, "populate"))
		return cmd_populate();
	if (!strcmp(sub, "maildir"))
		return cmd_maildir();
	if (!strcmp(sub, "fetch"))
		return cmd_fetch();
	if (!strcmp(sub, "flags"))
		return cmd_flags();
	if (!strcmp(sub, "searchtext"))
		return cmd_searchtext();
	usage();
}
