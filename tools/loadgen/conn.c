/*
 * conn.c - non-blocking IMAP client connection (see conn.h).
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *const lg_cmd_name[LG_NCMD] = {
	"CONNECT", "LOGIN", "SELECT", "FETCH_FLAGS", "FETCH_HEADER", "FETCH_BODY",
	"FETCH_PARTIAL", "APPEND", "STORE", "SEARCH", "EXPUNGE", "NOOP", "LOGOUT",
};

#define READ_CHUNK 65536

double lg_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int lg_conn_open(struct lg_conn *c, const struct sockaddr_in *addr)
{
	char *in = c->in;
	size_t cap = c->in_cap;
	unsigned tagn = c->tagn;
	memset(c, 0, sizeof *c);
	c->in = in;
	c->in_cap = cap;
	c->tagn = tagn;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->busy = true;
	c->cmd = LG_CONNECT;
	c->t0 = lg_now();
	if (connect(c->fd, (const struct sockaddr *)addr, sizeof *addr) != 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

void lg_conn_close(struct lg_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->busy = false;
	c->nseg = 0;
	c->in_len = c->in_pos = 0;
	c->lit_left = 0;
	c->cont = false;
}

void lg_conn_free(struct lg_conn *c)
{
	lg_conn_close(c);
	free(c->in);
	c->in = NULL;
	c->in_cap = 0;
}

void lg_conn_cmd(struct lg_conn *c, enum lg_cmd cmd, const char *lit, size_t lit_len,
		 const char *fmt, ...)
{
	int n = snprintf(c->tag, sizeof c->tag, "a%u", ++c->tagn);
	memcpy(c->line, c->tag, (size_t)n);
	c->line[n++] = ' ';
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(c->line + n, sizeof c->line - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof c->line - (size_t)n - 2) {
		fprintf(stderr, "loadgen: command too long\n");
		exit(2);
	}
	n += m;
	c->line[n++] = '\r';
	c->line[n++] = '\n';
	c->line_len = (size_t)n;
	c->seg[0] = (struct lg_seg){ c->line, (size_t)n };
	c->nseg = 1;
	c->lit = lit;
	c->lit_len = lit_len;
	c->cmd = cmd;
	c->busy = true;
	c->fetches = c->search_hits = 0;
	c->lit_bytes = 0;
	c->t0 = lg_now();
	/* send at once: the socket almost always has room */
	(void)lg_conn_io(c, POLLOUT);
}

short lg_conn_events(const struct lg_conn *c)
{
	if (c->fd < 0)
		return 0;
	return (short)(POLLIN | (c->nseg ? POLLOUT : 0));
}

static bool starts(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && strncasecmp(s, p, n) == 0;
}

/* "{123}" or "{123+}" at the end of a line: its length, else -1. */
static int64_t trailing_literal(const char *s, size_t len)
{
	if (len < 3 || s[len - 1] != '}')
		return -1;
	size_t i = len - 1;
	if (s[i - 1] == '+')
		i--;
	size_t end = i;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i == end || i == 0 || s[i - 1] != '{' || end - i > 12)
		return -1;
	return strtoll(s + i, NULL, 10);
}

/* One response line (without CRLF). Returns true if it completed the
 * outstanding command or greeting. */
static bool on_line(struct lg_conn *c, char *s, size_t len)
{
	bool cont = c->cont;
	int64_t lit = trailing_literal(s, len);
	c->cont = lit >= 0;
	if (lit >= 0)
		c->lit_left = (uint64_t)lit;
	if (cont)
		return false;   /* the rest of a response already classified */

	if (len >= 1 && s[0] == '+') {
		if (c->lit && c->nseg == 0) {
			c->seg[0] = (struct lg_seg){ c->lit, c->lit_len };
			c->seg[1] = (struct lg_seg){ "\r\n", 2 };
			c->nseg = 2;
			c->lit = NULL;
		}
		return false;
	}
	if (starts(s, len, "* ")) {
		const char *p = s + 2, *end = s + len;
		if (c->cmd == LG_CONNECT && c->busy) {
			c->result = starts(p, (size_t)(end - p), "OK") ? LG_OK : LG_BYE;
			if (starts(p, (size_t)(end - p), "BYE"))
				c->bye = true;
			return true;
		}
		if (starts(p, (size_t)(end - p), "BYE")) {
			c->bye = true;
			return false;
		}
		if (starts(p, (size_t)(end - p), "SEARCH")) {
			for (p += 6; p < end; p++)
				if (*p == ' ' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
					c->search_hits++;
			return false;
		}
		if (*p >= '0' && *p <= '9') {
			char *q;
			unsigned long n = strtoul(p, &q, 10);
			size_t rest = (size_t)(end - q);
			if (starts(q, rest, " EXISTS"))
				c->exists = (uint32_t)n;
			else if (starts(q, rest, " EXPUNGE") && c->exists)
				c->exists--;
			else if (starts(q, rest, " FETCH"))
				c->fetches++;
		}
		return false;
	}
	size_t tl = strlen(c->tag);
	if (c->busy && len > tl && memcmp(s, c->tag, tl) == 0 && s[tl] == ' ') {
		const char *r = s + tl + 1;
		size_t rl = len - tl - 1;
		c->result = starts(r, rl, "OK") ? LG_OK : starts(r, rl, "NO") ? LG_NO : LG_BAD;
		size_t n = len < sizeof c->status - 1 ? len : sizeof c->status - 1;
		memcpy(c->status, s, n);
		c->status[n] = '\0';
		return true;
	}
	return false;
}

/* Parse buffered input up to the first completion. */
static bool parse(struct lg_conn *c)
{
	for (;;) {
		if (c->lit_left) {
			size_t avail = c->in_len - c->in_pos;
			size_t take = avail < c->lit_left ? avail : (size_t)c->lit_left;
			c->in_pos += take;
			c->lit_left -= take;
			c->lit_bytes += take;
			if (c->lit_left)
				break;
			continue;
		}
		if (c->in_pos == c->in_len)
			break;
		char *s = c->in + c->in_pos;
		size_t avail = c->in_len - c->in_pos;
		char *lf = memchr(s, '\n', avail);
		if (!lf)
			break;
		size_t len = (size_t)(lf - s);
		c->in_pos += len + 1;
		if (len && s[len - 1] == '\r')
			len--;
		if (on_line(c, s, len)) {
			c->busy = false;
			return true;
		}
	}
	/* keep only the unparsed tail */
	if (c->in_pos) {
		memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
		c->in_len -= c->in_pos;
		c->in_pos = 0;
	}
	return false;
}

static bool do_write(struct lg_conn *c)
{
	while (c->nseg) {
		ssize_t n = send(c->fd, c->seg[0].p, c->seg[0].len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		c->seg[0].p += n;
		c->seg[0].len -= (size_t)n;
		if (c->seg[0].len == 0) {
			memmove(&c->seg[0], &c->seg[1], sizeof c->seg[0] * (size_t)(c->nseg - 1));
			c->nseg--;
		}
	}
	return true;
}

enum lg_event lg_conn_io(struct lg_conn *c, short revents)
{
	if (c->fd < 0)
		return LG_EV_NONE;
	if (c->cmd == LG_CONNECT && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		int err = 0;
		socklen_t l = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err)
			goto closed;
	}
	if ((revents & POLLOUT) && !do_write(c))
		goto closed;
	if (parse(c))
		return LG_EV_DONE;
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		for (;;) {
			if (c->in_cap - c->in_len < READ_CHUNK) {
				size_t cap = c->in_cap ? c->in_cap * 2 : 2 * READ_CHUNK;
				char *p = realloc(c->in, cap);
				if (!p) {
					fputs("loadgen: out of memory\n", stderr);
					exit(2);
				}
				c->in = p;
				c->in_cap = cap;
			}
			ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
			if (n == 0)
				goto closed;
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				if (errno == EINTR)
					continue;
				goto closed;
			}
			c->in_len += (size_t)n;
			if (parse(c))
				return LG_EV_DONE;
		}
		/* after a continuation request the literal can go out now */
		if (c->nseg && !do_write(c))
			goto closed;
	}
	return LG_EV_NONE;
closed:
	lg_conn_close(c);
	return LG_EV_CLOSED;
}
