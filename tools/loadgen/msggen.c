/*
 * msggen.c - deterministic mixed-MIME test messages (see msggen.h).
 */
#include "msggen.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char lg_rare_word[] = "quetzalcoatl";

static const char *const words[] = {
	"the", "of", "and", "to", "in", "flash", "sector", "mailbox", "server",
	"message", "embedded", "device", "meeting", "report", "invoice", "budget",
	"review", "schedule", "protocol", "network", "packet", "window", "latency",
	"memory", "release", "draft", "question", "answer", "project", "status",
	"update", "weekly", "firmware", "battery", "sensor", "reading", "alarm",
	"gateway", "config", "vendor", "shipping", "order", "please", "thanks",
	"regards", "tomorrow", "friday", "summary", "attached", "document",
};
#define NWORDS (sizeof words / sizeof words[0])

static const char *const names[] = {
	"Alice Example", "Bob Sender", "Carol Jones", "Dave O'Brien", "Eve Mallory",
	"Frank Müller", "Grace Hopper", "Heidi Klum",
};
#define NNAMES (sizeof names / sizeof names[0])

uint64_t lg_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

uint32_t lg_rand_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((lg_rand(s) >> 11) % n);
}

/* ---- growable buffer ---- */

struct sb {
	char *p;
	size_t len, cap;
};

static void sb_need(struct sb *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		fputs("loadgen: out of memory\n", stderr);
		exit(2);
	}
	b->p = p;
	b->cap = cap;
}

static void sb_add(struct sb *b, const char *s, size_t n)
{
	sb_need(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_printf(struct sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	sb_need(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Prose of about n bytes in lines of at most 72 characters; qp adds a few
 * quoted-printable encoded UTF-8 characters. */
static void add_text(struct sb *b, uint64_t *rng, size_t n, bool rare, bool qp)
{
	size_t start = b->len, line = 0;
	bool rare_done = !rare;
	while (b->len - start < n) {
		const char *w = words[lg_rand_below(rng, NWORDS)];
		if (!rare_done && lg_rand_below(rng, 8) == 0) {
			w = lg_rare_word;
			rare_done = true;
		}
		size_t wl = strlen(w);
		if (line + wl + 1 > 72) {
			sb_str(b, "\r\n");
			line = 0;
		} else if (line) {
			sb_str(b, " ");
			line++;
		}
		if (qp && lg_rand_below(rng, 40) == 0) {
			sb_str(b, "gr=C3=BC=C3=9Fe ");   /* "grüße" */
			line += 16;
		}
		sb_add(b, w, wl);
		line += wl;
	}
	if (!rare_done) {
		sb_str(b, "\r\n");
		sb_str(b, lg_rare_word);
	}
	sb_str(b, "\r\n");
}

static void add_base64(struct sb *b, uint64_t *rng, size_t raw)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t quads = (raw + 2) / 3;
	for (size_t i = 0; i < quads; i++) {
		uint64_t r = lg_rand(rng);
		char q[4] = { tab[r & 63], tab[(r >> 6) & 63], tab[(r >> 12) & 63],
			      tab[(r >> 18) & 63] };
		sb_add(b, q, 4);
		if (i % 19 == 18)
			sb_str(b, "\r\n");   /* 76-character lines */
	}
	sb_str(b, "\r\n");
}

static void add_headers(struct sb *b, uint64_t *rng, unsigned idx, const char *ctype)
{
	unsigned day = 1 + lg_rand_below(rng, 28), hour = lg_rand_below(rng, 24);
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	sb_printf(b, "Date: %s, %u %s %u %02u:%02u:%02u +0100\r\n",
		  (const char *[]){ "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" }[idx % 7],
		  day, mon[lg_rand_below(rng, 12)], 2020 + lg_rand_below(rng, 6), hour,
		  lg_rand_below(rng, 60), lg_rand_below(rng, 60));
	const char *from = names[lg_rand_below(rng, NNAMES)];
	bool utf8 = strchr(from, 0xc3) != NULL;
	sb_printf(b, "From: %s%s%s <sender%u@example.org>\r\n",
		  utf8 ? "=?UTF-8?Q?" : "\"", utf8 ? "Frank_M=C3=BCller" : from,
		  utf8 ? "?=" : "\"", lg_rand_below(rng, 100));
	sb_printf(b, "To: user@example.net\r\n");
	if (lg_rand_below(rng, 3) == 0)
		sb_printf(b, "Cc: team%u@example.net\r\n", lg_rand_below(rng, 10));
	sb_printf(b, "Subject: %s %s %s #%u\r\n", words[lg_rand_below(rng, NWORDS)],
		  words[lg_rand_below(rng, NWORDS)], words[lg_rand_below(rng, NWORDS)], idx);
	sb_printf(b, "Message-ID: <%u.%llx@loadgen.example.org>\r\n", idx,
		  (unsigned long long)lg_rand(rng));
	sb_str(b, "MIME-Version: 1.0\r\n");
	sb_printf(b, "Content-Type: %s\r\n", ctype);
}

static struct lg_msg make_one(uint64_t *rng, unsigned idx, size_t target)
{
	struct sb b = { 0 };
	bool rare = lg_rand_below(rng, 10) == 0;
	char ctype[128];
	unsigned shape = lg_rand_below(rng, 5);

	switch (shape) {
	case 0:
		add_headers(&b, rng, idx, "text/plain; charset=us-ascii");
		sb_str(&b, "\r\n");
		add_text(&b, rng, target, rare, false);
		break;
	case 1:
		add_headers(&b, rng, idx, "text/plain; charset=utf-8");
		sb_str(&b, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		add_text(&b, rng, target, rare, true);
		break;
	case 2:
		snprintf(ctype, sizeof ctype, "multipart/alternative; boundary=\"alt-%u\"", idx);
		add_headers(&b, rng, idx, ctype);
		sb_printf(&b, "\r\nThis is a multi-part message in MIME format.\r\n"
			  "--alt-%u\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", idx);
		add_text(&b, rng, target / 2, rare, false);
		sb_printf(&b, "--alt-%u\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n"
			  "<html><body><p>\r\n", idx);
		add_text(&b, rng, target / 2, false, false);
		sb_printf(&b, "</p></body></html>\r\n--alt-%u--\r\n", idx);
		break;
	case 3:
		snprintf(ctype, sizeof ctype, "multipart/mixed; boundary=\"mix-%u\"", idx);
		add_headers(&b, rng, idx, ctype);
		sb_printf(&b, "\r\n--mix-%u\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
			  idx);
		add_text(&b, rng, target / 4, rare, false);
		sb_printf(&b, "--mix-%u\r\nContent-Type: application/octet-stream; "
			  "name=\"data%u.bin\"\r\nContent-Disposition: attachment; "
			  "filename=\"data%u.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			  idx, idx, idx);
		add_base64(&b, rng, target * 3 / 4 * 3 / 4);
		sb_printf(&b, "--mix-%u--\r\n", idx);
		break;
	default:
		snprintf(ctype, sizeof ctype, "multipart/mixed; boundary=\"fwd-%u\"", idx);
		add_headers(&b, rng, idx, ctype);
		sb_printf(&b, "\r\n--fwd-%u\r\nContent-Type: text/plain\r\n\r\nForwarded.\r\n"
			  "--fwd-%u\r\nContent-Type: message/rfc822\r\n\r\n", idx, idx);
		add_headers(&b, rng, idx + 100000, "text/plain; charset=us-ascii");
		sb_str(&b, "\r\n");
		add_text(&b, rng, target, rare, false);
		sb_printf(&b, "--fwd-%u--\r\n", idx);
		break;
	}
	return (struct lg_msg){ b.p, b.len };
}

void lg_msgset_make(struct lg_msgset *set, size_t count, unsigned max_kib, uint64_t seed)
{
	uint64_t rng = seed * 0x2545f4914f6cdd1dull + 1;
	set->msg = calloc(count, sizeof *set->msg);
	if (!set->msg) {
		fputs("loadgen: out of memory\n", stderr);
		exit(2);
	}
	set->count = count;
	for (size_t i = 0; i < count; i++) {
		/* sizes skewed small, as in a real mailbox */
		size_t max = (size_t)max_kib * 1024;
		size_t t = 300 + lg_rand_below(&rng, (uint32_t)(max / 4 + 1));
		if (lg_rand_below(&rng, 8) == 0)
			t = 300 + lg_rand_below(&rng, (uint32_t)max);
		set->msg[i] = make_one(&rng, (unsigned)i, t);
	}
}

void lg_msgset_free(struct lg_msgset *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->msg[i].data);
	free(set->msg);
	set->msg = NULL;
	set->count = 0;
}

struct lg_msg lg_msg_sized(size_t size, uint64_t seed)
{
	uint64_t rng = seed | 1;
	struct sb b = { 0 };
	add_headers(&b, &rng, 0, "application/octet-stream");
	sb_str(&b, "Content-Transfer-Encoding: base64\r\n\r\n");
	/* base64 lines carry 57 raw bytes in 78 (76 + CRLF) */
	size_t head = b.len;
	add_base64(&b, &rng, size > head + 78 ? (size - head) / 78 * 57 : 57);
	return (struct lg_msg){ b.p, b.len };
}
