/*
 * fuzz_session.c - a whole IMAP session on arbitrary client bytes.
 *
 * A RAM flash (flash_sim) holds a small store, formatted once with user
 * "fuzz" (password "pw") and three messages in INBOX; every run starts from
 * a copy of that image, mounts it, and drives two sessions over fake
 * transports the way imapd.c does: the input is offered one line (up to and
 * including LF) at a time, to the second session if the line starts with
 * byte 0x01 (which is dropped), else to the first; after each line both
 * sessions run, with store GC slices and timer ticks, until they are idle.
 * So one session sees the other's changes (EXISTS, EXPUNGE, flags). The
 * first input byte picks the transports' read chunk and write room, so short
 * reads and output back-pressure are both exercised.
 *
 * Invariants checked on everything the server sends to either client: it
 * is a sequence of CRLF-terminated lines with no bare CR or LF and no NUL
 * outside literals; each line starts "* ", "+ " or with "<tag> OK|NO|BAD ";
 * a "{n}" at a line end is followed by exactly n literal bytes. And: both
 * sessions go idle after every line (no livelock), never write after
 * close(), and the server's bounded buffers return to the pool (a leaked big
 * buffer would stall a later run, which counts as a livelock).
 * FUZZ_SESSION_TRACE=1 in the environment prints the server's output.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "flash_sim.h"
#include "imap_session.h"
#include "mail_deliver.h"
#include "port.h"
#include "store.h"
#include "tls.h"
#include "transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTOR 4096u
#define SECTORS 48u           /* 192 KiB: room for APPENDs and for GC to run */
#define FUZZ_INPUT_MAX 65536u
#define IDLE_STEPS 4000       /* run() calls one line may take before it is a livelock */

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_session: invariant broken: %s\n", what);
		abort();
	}
}

/* ---- the platform, deterministic ---- */

static uint32_t now_ms;
uint32_t port_now_ms(void) { return now_ms; }
int64_t port_time_unix(void) { return 1700000000 + now_ms / 1000; }
int port_tz_minutes(void) { return 60; }
const char *port_hostname(void) { return "fuzz.example"; }
void port_log(int level, const char *fmt, ...) { (void)level; (void)fmt; }
int port_entropy(void *buf, size_t len)
{
	static uint32_t x = 2463534242u;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		((uint8_t *)buf)[i] = (uint8_t)x;
	}
	return 0;
}

/* ---- output checker ---- */

struct out_check {
	bool cont;          /* this line continues a response after a literal */
	bool cr;            /* last byte was CR */
	uint64_t lit_left;
	char head[IMAPD_TAG_MAX + 8];   /* start of the current line: tag and status */
	size_t hlen;
	char tail[24];      /* end of the current line (ring) */
	size_t len;         /* bytes of the current line so far */
};

static void line_done(struct out_check *oc)
{
	/* the line without CRLF: head holds its start, tail its last bytes */
	size_t len = oc->len;
	char end[sizeof oc->tail];
	size_t n = len < sizeof end ? len : sizeof end;
	for (size_t i = 0; i < n; i++)
		end[i] = oc->tail[(len - n + i) % sizeof oc->tail];

	if (!oc->cont) {
		check(len >= 2, "response line too short");
		if (oc->head[0] == '*' || oc->head[0] == '+') {
			check(oc->head[1] == ' ', "no space after * or +");
		} else {
			const char *sp = memchr(oc->head, ' ', oc->hlen);
			check(sp && sp > oc->head, "tagged line without a tag");
			size_t rest = oc->hlen - (size_t)(sp + 1 - oc->head);
			check((rest >= 3 && !memcmp(sp + 1, "OK ", 3)) ||
			      (rest >= 3 && !memcmp(sp + 1, "NO ", 3)) ||
			      (rest >= 4 && !memcmp(sp + 1, "BAD ", 4)) ||
			      (rest == 2 && !memcmp(sp + 1, "OK", 2)) ||
			      (rest == 2 && !memcmp(sp + 1, "NO", 2)) ||
			      (rest == 3 && !memcmp(sp + 1, "BAD", 3)),
			      "tagged status is not OK, NO or BAD");
		}
	}
	/* "{n}" (or "{n+}") at the end: n literal bytes follow */
	oc->cont = false;
	if (n >= 3 && end[n - 1] == '}') {
		size_t i = n - 1;
		uint64_t v = 0, mul = 1;
		while (i > 0 && end[i - 1] >= '0' && end[i - 1] <= '9') {
			v += (uint64_t)(end[i - 1] - '0') * mul;
			mul *= 10;
			i--;
		}
		if (i > 0 && i < n - 1 && end[i - 1] == '{') {
			oc->lit_left = v;
			oc->cont = true;
		}
	}
	oc->len = oc->hlen = 0;
}

static void out_check(struct out_check *oc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (oc->lit_left) {
			size_t take = len - i < oc->lit_left ? len - i : (size_t)oc->lit_left;
			oc->lit_left -= take;
			i += take - 1;
			continue;
		}
		uint8_t c = p[i];
		if (oc->cr) {
			check(c == '\n', "CR not followed by LF");
			oc->cr = false;
			line_done(oc);
			continue;
		}
		check(c != '\n', "bare LF");
		check(c != 0, "NUL outside a literal");
		if (c == '\r') {
			oc->cr = true;
			continue;
		}
		if (oc->hlen < sizeof oc->head)
			oc->head[oc->hlen++] = (char)c;
		oc->tail[oc->len % sizeof oc->tail] = (char)c;
		oc->len++;
	}
}

/* ---- fake transports, one per client ---- */

static bool trace;   /* FUZZ_SESSION_TRACE=1: copy the server's output to stderr */

#define CLIENTS 2

static struct client {
	struct transport t;          /* first: the session's transport pointer is the client */
	struct imap_session sess;
	struct out_check oc;
	uint8_t in[FUZZ_INPUT_MAX];       /* this client's lines, in arrival order */
	size_t in_len, in_pos;       /* bytes offered so far: [0, in_len) */
	size_t read_chunk;           /* most bytes one read() returns */
	size_t write_room, room;     /* room per run() pass, and what is left */
	bool closed;
} cl[CLIENTS];

static struct client *client_of(const struct transport *t)
{
	return (struct client *)(uintptr_t)t;
}

static size_t f_read(struct transport *t, void *buf, size_t len)
{
	struct client *c = client_of(t);
	check(!c->closed, "read after close");
	size_t n = c->in_len - c->in_pos;
	if (n > len)
		n = len;
	if (n > c->read_chunk)
		n = c->read_chunk;
	memcpy(buf, c->in + c->in_pos, n);
	c->in_pos += n;
	return n;
}

static size_t f_write(struct transport *t, const void *buf, size_t len)
{
	struct client *c = client_of(t);
	check(!c->closed, "write after close");
	size_t n = len < c->room ? len : c->room;
	if (trace)   /* the second client's lines marked "B: " */
		for (size_t i = 0; i < n; i++) {
			if (c == &cl[1] && c->oc.len == 0 && !c->oc.cr && !c->oc.lit_left &&
			    i == 0)
				fputs("B: ", stderr);
			fputc(((const char *)buf)[i], stderr);
			if (c == &cl[1] && ((const char *)buf)[i] == '\n' && i + 1 < n)
				fputs("B: ", stderr);
		}
	out_check(&c->oc, buf, n);
	c->room -= n;
	return n;
}

static size_t f_write_space(struct transport *t)
{
	struct client *c = client_of(t);
	return c->closed ? 0 : c->room;
}
static void f_flush(struct transport *t) { (void)t; }
static int f_start_tls(struct transport *t) { (void)t; return -1; }
static int f_is_secure(const struct transport *t) { (void)t; return 0; }
static void f_close(struct transport *t) { client_of(t)->closed = true; }
static uint32_t f_peer(const struct transport *t) { (void)t; return 0x0100007fu; }

static const struct transport_ops fake_ops = {
	.read = f_read, .write = f_write, .write_space = f_write_space, .flush = f_flush,
	.start_tls = f_start_tls, .is_secure = f_is_secure, .close = f_close,
	.peer_addr = f_peer,
};

/* ---- the store image, built once ---- */

static uint8_t mem[SECTOR * SECTORS], golden[SECTOR * SECTORS];
static uint32_t erases[SECTORS];
static struct flash_sim fs;
static struct store store;
static struct mail_delivery deliv;

static const char *const seed_mail[] = {
	"From: Alice <alice@example.org>\r\nTo: fuzz@example.org\r\n"
	"Subject: plain\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	"Message-ID: <1@example.org>\r\n\r\nHello, world.\r\n",

	"From: =?UTF-8?Q?B=C3=B6b?= <bob@example.org>\r\nTo: fuzz@example.org\r\n"
	"Subject: mixed\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
	"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
	"\r\ngr=C3=BC=C3=9Fe\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n"
	"Subject: inner\r\n\r\ninner body\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQ==\r\n--b1--\r\n",

	"Subject: alt\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n"
	"Content-Type: text/plain\r\n\r\ntext\r\n--x\r\nContent-Type: text/html\r\n\r\n"
	"<p>html</p>\r\n--x--\r\n",
};

static void build_image(void)
{
	static const struct flash_geometry geo = { SECTOR, SECTORS, 4 };
	flash_sim_init(&fs, &geo, mem, erases, NULL, NULL);
	flash_sim_erase_all(&fs);
	check(tls_crypto_init() == 0, "crypto init (PBKDF2)");
	check(store_format(&store, &fs.dev) == STORE_OK, "format");
	check(store_mount(&store, &fs.dev) == STORE_OK, "mount");
	check(auth_user_add(&store, "fuzz", "pw") == STORE_OK, "auth_user_add");
	for (size_t i = 0; i < sizeof seed_mail / sizeof seed_mail[0]; i++) {
		uint32_t uid;
		check(mail_deliver(&deliv, &store, "fuzz", "INBOX", seed_mail[i],
				   (uint32_t)strlen(seed_mail[i]), i ? 0 : STORE_F_SEEN,
				   &uid) == STORE_OK, "seed mail");
	}
	store_unmount(&store);
	memcpy(golden, mem, sizeof mem);
}

/* One client is idle: nothing pending, its input read, its output out. */
static bool client_idle(struct client *c)
{
	if (c->closed)
		return true;
	if (imap_session_pending(&c->sess) || c->in_pos != c->in_len)
		return false;
	/* one more pass with room: output held back for space goes out */
	c->room = c->write_room;
	imap_session_run(&c->sess);
	return c->closed || (!imap_session_pending(&c->sess) && c->room == c->write_room);
}

/* Run both sessions until neither has anything left to do with the input
 * offered (a session may wake for the other's changes). */
static void settle(void)
{
	for (int step = 0; step < IDLE_STEPS; step++) {
		for (int i = 0; i < CLIENTS; i++) {
			struct client *c = &cl[i];
			if (c->closed)
				continue;
			c->room = c->write_room;
			imap_session_run(&c->sess);
		}
		store_poll(&store);
		now_ms += 10;
		if (step % 20 == 19)
			for (int i = 0; i < CLIENTS; i++)
				if (!cl[i].closed)
					imap_session_tick(&cl[i].sess, now_ms);
		bool idle = true;
		for (int i = 0; i < CLIENTS; i++)
			idle = client_idle(&cl[i]) && idle;
		if (idle)
			return;
	}
	check(false, "sessions do not settle (livelock or leaked buffer)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static const struct imapd_options opt = {
		.port = 143, .allow_plaintext = true, .store = &store, .hostname = "fuzz.example",
	};
	static const struct imap_server_info srv = { .opt = &opt, .starttls_available = false };
	static const size_t chunks[4] = { 1, 7, 100, 4096 };
	static const size_t rooms[4] = { 64, 1100, 4096, 1u << 20 };

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	if (!ready) {
		trace = getenv("FUZZ_SESSION_TRACE") != NULL;
		build_image();
		ready = true;
	}
	memcpy(mem, golden, sizeof mem);
	flash_sim_power_on(&fs);
	check(store_mount(&store, &fs.dev) == STORE_OK, "mount of the seed image");
	now_ms = 1000;

	for (int i = 0; i < CLIENTS; i++) {
		struct client *c = &cl[i];
		memset(&c->oc, 0, sizeof c->oc);
		c->t.ops = &fake_ops;
		c->in_len = c->in_pos = 0;
		c->closed = false;
		/* the second client gets the other chunk size and room */
		c->read_chunk = chunks[(data[0] + i) & 3];
		c->write_room = rooms[((data[0] >> 2) + i) & 3];
		imap_session_open(&c->sess, &c->t, &srv);
	}
	settle();
	const uint8_t *p = data + 1, *end = data + size;
	while (p < end) {
		const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *next = lf ? lf + 1 : end;
		struct client *c = &cl[0];
		if (*p == 0x01) {
			c = &cl[1];
			p++;
		}
		memcpy(c->in + c->in_len, p, (size_t)(next - p));
		c->in_len += (size_t)(next - p);
		p = next;
		if (!c->closed)
			settle();
	}
	for (int i = 0; i < CLIENTS; i++) {
		struct client *c = &cl[i];
		if (!c->closed)
			check(c->oc.len == 0 && !c->oc.cr && c->oc.lit_left == 0,
			      "output ends inside a line");
		imap_session_closed(&c->sess);
	}
	store_unmount(&store);
	return 0;
}
