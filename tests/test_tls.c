/*
 * test_tls.c - the TLS transport against Mbed TLS clients in one process,
 * over in-memory plain transports; handshakes taking turns, sessions
 * churning in the server's arena; certificate generation and install.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/base64.h"
#include "mbedtls/pk.h"
#include "mbedtls/pkcs5.h"
#include "mbedtls/platform.h"
#include "mbedtls/psa_util.h"
#include "mbedtls/sha256.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#include "flash_sim.h"
#include "imapd_config.h"
#include "store.h"
#include "tls.h"
#include "tls_heap.h"
#include "unit.h"

/* ---- the store, on the RAM flash simulator ---- */

#define FLASH_SECTOR 4096u
#define FLASH_SECTORS 64u
static uint8_t flash_mem[FLASH_SECTOR * FLASH_SECTORS];
static uint32_t flash_erases[FLASH_SECTORS];
static struct flash_sim flash;
static struct store st;

/* ---- an in-memory plain transport ---- */

#define PIPE_CAP 2048   /* smaller than a full record: writes must split */

struct pipe {
	unsigned char buf[PIPE_CAP];
	size_t len;
};

static size_t pipe_put(struct pipe *p, const void *buf, size_t len)
{
	size_t n = PIPE_CAP - p->len < len ? PIPE_CAP - p->len : len;
	memcpy(p->buf + p->len, buf, n);
	p->len += n;
	return n;
}

static size_t pipe_get(struct pipe *p, void *buf, size_t len)
{
	size_t n = p->len < len ? p->len : len;
	memcpy(buf, p->buf, n);
	memmove(p->buf, p->buf + n, p->len - n);
	p->len -= n;
	return n;
}

struct fake_plain {
	struct transport t;    /* first */
	struct pipe up;        /* client -> server */
	struct pipe down;      /* server -> client */
	bool closed;
};

static size_t fp_read(struct transport *t, void *buf, size_t len)
{
	struct fake_plain *f = (struct fake_plain *)t;
	return f->closed ? 0 : pipe_get(&f->up, buf, len);
}

static size_t fp_write(struct transport *t, const void *buf, size_t len)
{
	struct fake_plain *f = (struct fake_plain *)t;
	return f->closed ? 0 : pipe_put(&f->down, buf, len);
}

static size_t fp_write_space(struct transport *t)
{
	struct fake_plain *f = (struct fake_plain *)t;
	return f->closed ? 0 : PIPE_CAP - f->down.len;
}

static void fp_flush(struct transport *t)
{
	(void)t;
}

static int fp_start_tls(struct transport *t)
{
	(void)t;
	return -1;
}

static int fp_is_secure(const struct transport *t)
{
	(void)t;
	return 0;
}

static void fp_close(struct transport *t)
{
	((struct fake_plain *)t)->closed = true;
}

static uint32_t fp_peer_addr(const struct transport *t)
{
	(void)t;
	return 0x0100007f;
}

static const struct transport_ops fp_ops = {
	.read = fp_read, .write = fp_write, .write_space = fp_write_space, .flush = fp_flush,
	.start_tls = fp_start_tls, .is_secure = fp_is_secure, .close = fp_close,
	.peer_addr = fp_peer_addr,
};

static void fake_init(struct fake_plain *f)
{
	memset(f, 0, sizeof *f);
	f->t.ops = &fp_ops;
}

/* ---- an Mbed TLS client on the other end ----
 *
 * Its memory comes from the C library, not from the server's arena, so the
 * arena holds what the firmware's does and no more: every client call runs
 * between client_mem() and server_mem(). */

static void *cl_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static void client_mem(void)
{
	mbedtls_platform_set_calloc_free(cl_calloc, free);
}

static void server_mem(void)
{
	mbedtls_platform_set_calloc_free(tls_heap_calloc, tls_heap_free);
}

struct client {
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	struct fake_plain *link;
};

static int cl_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct client *cl = ctx;
	size_t n = pipe_put(&cl->link->up, buf, len);
	return n ? (int)n : MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int cl_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct client *cl = ctx;
	size_t n = pipe_get(&cl->link->down, buf, len);
	return n ? (int)n : MBEDTLS_ERR_SSL_WANT_READ;
}

static int cl_rng(void *ctx, unsigned char *out, size_t len)
{
	return mbedtls_psa_get_random(ctx, out, len);
}

/* The device certificate as stored: the client's only trust anchor. */
static unsigned char stored_cert[STORE_CFG_VAL_MAX];
static int stored_cert_len;

/* groups: NULL for the library's default list. */
static int client_open_groups(struct client *cl, struct fake_plain *link, const char *host,
			      mbedtls_ssl_protocol_version max, const int *suites,
			      const uint16_t *groups)
{
	client_mem();
	memset(cl, 0, sizeof *cl);
	cl->link = link;
	mbedtls_ssl_init(&cl->ssl);
	mbedtls_ssl_config_init(&cl->conf);
	mbedtls_x509_crt_init(&cl->ca);
	int r = mbedtls_x509_crt_parse_der(&cl->ca, stored_cert, (size_t)stored_cert_len);
	if (r == 0)
		r = mbedtls_ssl_config_defaults(&cl->conf, MBEDTLS_SSL_IS_CLIENT,
						MBEDTLS_SSL_TRANSPORT_STREAM,
						MBEDTLS_SSL_PRESET_DEFAULT);
	if (r != 0) {
		server_mem();
		return r;
	}
	mbedtls_ssl_conf_rng(&cl->conf, cl_rng, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_authmode(&cl->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&cl->conf, &cl->ca, NULL);
	mbedtls_ssl_conf_max_tls_version(&cl->conf, max);
	if (suites)
		mbedtls_ssl_conf_ciphersuites(&cl->conf, suites);
	if (groups)
		mbedtls_ssl_conf_groups(&cl->conf, groups);
	r = mbedtls_ssl_setup(&cl->ssl, &cl->conf);
	if (r == 0)
		r = mbedtls_ssl_set_hostname(&cl->ssl, host);
	mbedtls_ssl_set_bio(&cl->ssl, cl, cl_send, cl_recv, NULL);
	server_mem();
	return r;
}

static int client_open(struct client *cl, struct fake_plain *link, const char *host,
		       mbedtls_ssl_protocol_version max, const int *suites)
{
	return client_open_groups(cl, link, host, max, suites, NULL);
}

static void client_close(struct client *cl)
{
	client_mem();
	mbedtls_ssl_free(&cl->ssl);
	mbedtls_ssl_config_free(&cl->conf);
	mbedtls_x509_crt_free(&cl->ca);
	server_mem();
}

static int cl_handshake(struct client *cl)
{
	client_mem();
	int r = mbedtls_ssl_handshake(&cl->ssl);
	server_mem();
	return r;
}

static int cl_read(struct client *cl, unsigned char *buf, size_t len)
{
	client_mem();
	int r = mbedtls_ssl_read(&cl->ssl, buf, len);
	server_mem();
	return r;
}

static int cl_write(struct client *cl, const void *buf, size_t len)
{
	client_mem();
	int r = mbedtls_ssl_write(&cl->ssl, buf, len);
	server_mem();
	return r;
}

/* Both sides until both are done; the server is driven as imapd.c does. */
static int handshake(struct client *cl, struct tls_conn *c)
{
	struct transport *t = tls_conn_transport(c);
	for (int i = 0; i < 2000; i++) {
		int r = cl_handshake(cl);
		tls_conn_poll(c);
		if (r != 0 && r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
			return r;
		if (r == 0 && t->ops->is_secure(t))
			return 0;
	}
	return -1;
}

/* Server sends len bytes, client receives them (in bounded rounds). */
static bool server_to_client(struct client *cl, struct tls_conn *c, const unsigned char *msg,
			     size_t len)
{
	static unsigned char got[20000];
	struct transport *t = tls_conn_transport(c);
	size_t sent = 0, recvd = 0;
	for (int i = 0; i < 10000 && recvd < len; i++) {
		if (sent < len)
			sent += t->ops->write(t, msg + sent, len - sent);
		int r = cl_read(cl, got + recvd, sizeof got - recvd);
		if (r > 0)
			recvd += (size_t)r;
		else if (r != MBEDTLS_ERR_SSL_WANT_READ)
			return false;
	}
	return recvd == len && memcmp(got, msg, len) == 0;
}

static bool client_to_server(struct client *cl, struct tls_conn *c, const char *msg)
{
	struct transport *t = tls_conn_transport(c);
	size_t len = strlen(msg);
	char got[256];
	size_t recvd = 0;
	if (cl_write(cl, msg, len) != (int)len)
		return false;
	for (int i = 0; i < 100 && recvd < len; i++)
		recvd += t->ops->read(t, got + recvd, sizeof got - recvd);
	return recvd == len && memcmp(got, msg, len) == 0;
}

static struct fake_plain link1;
static struct tls_conn conn1;

/* ---- tests ---- */

/* Arena bytes in use once the server is up (key, certificate, config). */
static size_t arena_base;

TEST(first_start_generates_and_stores)
{
	static const struct flash_geometry geo = { FLASH_SECTOR, FLASH_SECTORS, 4 };
	flash_sim_init(&flash, &geo, flash_mem, flash_erases, NULL, NULL);
	flash_sim_erase_all(&flash);
	CHECK_EQ_INT(store_format(&st, &flash.dev), STORE_OK);
	CHECK_EQ_INT(store_mount(&st, &flash.dev), STORE_OK);
	CHECK_EQ_INT(tls_fingerprint((char[TLS_FINGERPRINT_LEN]){ 0 }), TLS_ERR_NOTREADY);
	CHECK_EQ_INT(tls_init(&st, "test-device", 0x0f02000a /* 10.0.2.15 */), TLS_OK);

	unsigned char key[STORE_CFG_VAL_MAX];
	CHECK(store_cfg_get(&st, "tls/key", key, sizeof key) > 0);
	stored_cert_len = store_cfg_get(&st, "tls/cert", stored_cert, sizeof stored_cert);
	CHECK(stored_cert_len > 0);

	/* The printed fingerprint is the stored certificate's SHA-256. */
	char fp[TLS_FINGERPRINT_LEN], want[TLS_FINGERPRINT_LEN];
	unsigned char h[32];
	CHECK_EQ_INT(tls_fingerprint(fp), TLS_OK);
	mbedtls_sha256(stored_cert, (size_t)stored_cert_len, h, 0);
	for (int i = 0; i < 32; i++)
		snprintf(want + 3 * i, 4, "%02X%s", h[i], i < 31 ? ":" : "");
	CHECK_EQ_STR(fp, want);
	CHECK_EQ_INT(strlen(fp), TLS_FINGERPRINT_LEN - 1);

	/* Self-signed P-256, CN and SAN as promised. */
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	CHECK_EQ_INT(mbedtls_x509_crt_parse_der(&crt, stored_cert, (size_t)stored_cert_len), 0);
	CHECK_EQ_INT(mbedtls_pk_get_type(&crt.pk), MBEDTLS_PK_ECKEY);
	CHECK_EQ_INT(crt.subject_raw.len, crt.issuer_raw.len);
	CHECK(memcmp(crt.subject_raw.p, crt.issuer_raw.p, crt.subject_raw.len) == 0);
	int dns = 0, ips = 0;
	for (const mbedtls_x509_sequence *s = &crt.subject_alt_names; s; s = s->next) {
		mbedtls_x509_subject_alternative_name san;
		if (mbedtls_x509_parse_subject_alt_name(&s->buf, &san) != 0)
			continue;
		const mbedtls_x509_buf *u = &san.san.unstructured_name;
		if (san.type == MBEDTLS_X509_SAN_DNS_NAME &&
		    ((u->len == 11 && memcmp(u->p, "test-device", 11) == 0) ||
		     (u->len == 9 && memcmp(u->p, "localhost", 9) == 0)))
			dns++;
		if (san.type == MBEDTLS_X509_SAN_IP_ADDRESS && u->len == 4 &&
		    (memcmp(u->p, "\x7f\0\0\x01", 4) == 0 || memcmp(u->p, "\x0a\0\x02\x0f", 4) == 0))
			ips++;
		mbedtls_x509_free_subject_alt_name(&san);
	}
	CHECK_EQ_INT(dns, 2);
	CHECK_EQ_INT(ips, 2);
	mbedtls_x509_crt_free(&crt);

	struct tls_stats ts;
	tls_get_stats(&ts);
	arena_base = ts.arena_used;
	CHECK(arena_base > 0 && arena_base < ts.arena_size);
}

TEST(tls13_handshake_and_data)
{
	struct client cl;
	fake_init(&link1);
	tls_conn_init(&conn1, &link1.t);
	struct transport *t = tls_conn_transport(&conn1);
	CHECK_EQ_INT(tls_conn_start(&conn1), 0);
	CHECK(!t->ops->is_secure(t));
	CHECK_EQ_INT(t->ops->write_space(t), 0);   /* nothing before the handshake */
	CHECK_EQ_INT(client_open(&cl, &link1, "localhost", MBEDTLS_SSL_VERSION_TLS1_3, NULL), 0);
	CHECK_EQ_INT(handshake(&cl, &conn1), 0);
	CHECK_EQ_INT(mbedtls_ssl_get_version_number(&cl.ssl), MBEDTLS_SSL_VERSION_TLS1_3);
	CHECK(t->ops->is_secure(t));
	CHECK_EQ_INT(t->ops->peer_addr(t), 0x0100007f);

	/* Bigger than a record and than the pipe: split, never stuck. */
	static unsigned char msg[12000];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	CHECK(server_to_client(&cl, &conn1, (const unsigned char *)"* OK IMAP4rev1\r\n", 16));
	CHECK(server_to_client(&cl, &conn1, msg, sizeof msg));
	CHECK(client_to_server(&cl, &conn1, "a LOGIN alice secret\r\n"));
	size_t space = t->ops->write_space(t);
	CHECK(space > 0 && space < PIPE_CAP);

	/* Close: a close_notify reaches the client, the context is freed. */
	struct tls_stats s;
	tls_get_stats(&s);
	CHECK_EQ_INT(s.sessions, 1);
	t->ops->close(t);
	CHECK(link1.closed);
	link1.closed = false;   /* let the client read what was queued */
	unsigned char b[16];
	CHECK_EQ_INT(cl_read(&cl, b, sizeof b), MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.sessions, 0);
	CHECK(!t->ops->is_secure(t));
	CHECK_EQ_INT(t->ops->read(t, b, sizeof b), 0);
	CHECK_EQ_INT(t->ops->write(t, "x", 1), 0);
	tls_conn_release(&conn1);
	client_close(&cl);
}

TEST(tls12_and_each_cipher)
{
	static const int suites[][2] = {
		{ MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0 },
		{ MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 0 },
		{ MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0 },
		{ MBEDTLS_TLS1_3_AES_128_GCM_SHA256, 0 },
		{ MBEDTLS_TLS1_3_AES_256_GCM_SHA384, 0 },
		{ MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256, 0 },
	};
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
		struct client cl;
		bool v13 = i >= 3;
		fake_init(&link1);
		tls_conn_init(&conn1, &link1.t);
		CHECK_EQ_INT(tls_conn_start(&conn1), 0);
		/* The IP SAN serves clients that connect by address. */
		CHECK_EQ_INT(client_open(&cl, &link1, v13 ? "test-device" : "127.0.0.1",
					 v13 ? MBEDTLS_SSL_VERSION_TLS1_3 : MBEDTLS_SSL_VERSION_TLS1_2,
					 suites[i]),
			     0);
		CHECK_EQ_INT(handshake(&cl, &conn1), 0);
		CHECK_EQ_INT(mbedtls_ssl_get_ciphersuite_id_from_ssl(&cl.ssl), suites[i][0]);
		CHECK(client_to_server(&cl, &conn1, "a NOOP\r\n"));
		CHECK(server_to_client(&cl, &conn1, (const unsigned char *)"a OK\r\n", 6));
		tls_conn_release(&conn1);
		client_close(&cl);
	}
}

TEST(record_without_data_then_data_in_one_read)
{
	/* A TLS 1.2 warning alert and a command arrive together: one read()
	 * must return the command (no network event would come for it). */
	struct client cl;
	fake_init(&link1);
	tls_conn_init(&conn1, &link1.t);
	struct transport *t = tls_conn_transport(&conn1);
	CHECK_EQ_INT(tls_conn_start(&conn1), 0);
	CHECK_EQ_INT(client_open(&cl, &link1, "localhost", MBEDTLS_SSL_VERSION_TLS1_2, NULL), 0);
	CHECK_EQ_INT(handshake(&cl, &conn1), 0);
	client_mem();
	CHECK_EQ_INT(mbedtls_ssl_send_alert_message(&cl.ssl, MBEDTLS_SSL_ALERT_LEVEL_WARNING,
						    MBEDTLS_SSL_ALERT_MSG_NO_RENEGOTIATION),
		     0);
	server_mem();
	CHECK_EQ_INT(cl_write(&cl, "a NOOP\r\n", 8), 8);
	char got[32];
	CHECK_EQ_INT(t->ops->read(t, got, sizeof got), 8);
	CHECK(memcmp(got, "a NOOP\r\n", 8) == 0);
	CHECK(t->ops->is_secure(t));
	tls_conn_release(&conn1);
	client_close(&cl);
}

TEST(wrong_hostname_is_rejected_by_client)
{
	struct client cl;
	fake_init(&link1);
	tls_conn_init(&conn1, &link1.t);
	CHECK_EQ_INT(tls_conn_start(&conn1), 0);
	CHECK_EQ_INT(client_open(&cl, &link1, "other.example", MBEDTLS_SSL_VERSION_TLS1_3, NULL), 0);
	CHECK(handshake(&cl, &conn1) != 0);
	tls_conn_release(&conn1);
	client_close(&cl);
}

TEST(starttls_discards_pipelined_plaintext)
{
	struct client cl;
	struct transport *t;
	char buf[64];
	fake_init(&link1);
	tls_conn_init(&conn1, &link1.t);
	t = tls_conn_transport(&conn1);

	/* Plaintext pass-through first. */
	pipe_put(&link1.up, "a STARTTLS\r\nb CAPABILITY\r\n", 26);
	CHECK_EQ_INT(t->ops->read(t, buf, 12), 12);
	CHECK(memcmp(buf, "a STARTTLS\r\n", 12) == 0);
	CHECK_EQ_INT(t->ops->write(t, "a OK Begin TLS negotiation now\r\n", 32), 32);
	CHECK(!t->ops->is_secure(t));

	CHECK_EQ_INT(t->ops->start_tls(t), 0);
	CHECK_EQ_INT(link1.up.len, 0);          /* "b CAPABILITY" is gone */
	CHECK(!t->ops->is_secure(t));
	CHECK_EQ_INT(t->ops->start_tls(t), -1); /* not twice */
	/* The OK went out in clear, before any TLS byte. */
	CHECK_EQ_INT(pipe_get(&link1.down, buf, 32), 32);
	CHECK(memcmp(buf, "a OK Begin TLS negotiation now\r\n", 32) == 0);

	CHECK_EQ_INT(client_open(&cl, &link1, "localhost", MBEDTLS_SSL_VERSION_TLS1_3, NULL), 0);
	CHECK_EQ_INT(handshake(&cl, &conn1), 0);
	CHECK(t->ops->is_secure(t));
	/* Nothing was left over to read as a command. */
	CHECK_EQ_INT(t->ops->read(t, buf, sizeof buf), 0);
	CHECK(client_to_server(&cl, &conn1, "c CAPABILITY\r\n"));
	tls_conn_release(&conn1);
	client_close(&cl);
}

TEST(garbage_fails_handshake_and_frees_context)
{
	struct tls_stats before, after;
	tls_get_stats(&before);
	fake_init(&link1);
	tls_conn_init(&conn1, &link1.t);
	CHECK_EQ_INT(tls_conn_start(&conn1), 0);
	pipe_put(&link1.up, "a LOGIN alice secret\r\n", 22);
	for (int i = 0; i < 10 && !link1.closed; i++)
		tls_conn_poll(&conn1);
	CHECK(link1.closed);
	tls_get_stats(&after);
	CHECK_EQ_INT(after.failures, before.failures + 1);
	CHECK_EQ_INT(after.sessions, 0);
	struct transport *t = tls_conn_transport(&conn1);
	CHECK(!t->ops->is_secure(t));
	CHECK(!tls_conn_pending(&conn1));
	tls_conn_release(&conn1);
	tls_conn_release(&conn1);   /* idempotent */
}

/* ---- several connections at once ---- */

#define NCONN (IMAPD_MAX_TLS_SESSIONS + 1)
static struct fake_plain links[NCONN];
static struct tls_conn conns[NCONN];
static struct client cls[NCONN];

static bool secure(int i)
{
	struct transport *t = tls_conn_transport(&conns[i]);
	return t->ops->is_secure(t);
}

/* A connection whose client has sent its ClientHello. */
static void conn_hello(int i, mbedtls_ssl_protocol_version v, const uint16_t *groups)
{
	fake_init(&links[i]);
	tls_conn_init(&conns[i], &links[i].t);
	CHECK_EQ_INT(client_open_groups(&cls[i], &links[i], "localhost", v, NULL, groups), 0);
	CHECK_EQ_INT(cl_handshake(&cls[i]), MBEDTLS_ERR_SSL_WANT_READ);
	CHECK(links[i].up.len > 0);
}

static void conn_end(int i)
{
	tls_conn_release(&conns[i]);
	client_close(&cls[i]);
}

/* Two clients start TLS at the same moment: the second one's ClientHello
 * stays unread until the first handshake is over, then it runs. */
TEST(second_handshake_waits_for_the_first)
{
	struct tls_stats s0, s;
	tls_get_stats(&s0);
	conn_hello(0, MBEDTLS_SSL_VERSION_TLS1_3, NULL);
	conn_hello(1, MBEDTLS_SSL_VERSION_TLS1_2, NULL);
	CHECK_EQ_INT(tls_conn_start(&conns[0]), 0);
	CHECK_EQ_INT(tls_conn_start(&conns[1]), 0);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.sessions, 1);
	CHECK_EQ_INT(s.waiting, 1);
	CHECK_EQ_INT(s.queued, s0.queued + 1);
	CHECK(!tls_conn_pending(&conns[1]));
	size_t hello = links[1].up.len;

	/* A context is free, but promised to the waiter: no STARTTLS. */
	fake_init(&links[2]);
	tls_conn_init(&conns[2], &links[2].t);
	struct transport *t2 = tls_conn_transport(&conns[2]);
	if (IMAPD_MAX_TLS_SESSIONS == 2)
		CHECK_EQ_INT(t2->ops->can_start_tls(t2), 0);

	/* Both driven as the server loop does. */
	bool turn_seen = false;
	for (int k = 0; k < 2000 && !(secure(0) && secure(1)); k++) {
		for (int i = 0; i < 2; i++) {
			bool was = secure(0);
			cl_handshake(&cls[i]);
			tls_conn_poll(&conns[i]);
			if (!secure(0))
				CHECK_EQ_INT(links[1].up.len, hello);
			if (i == 0 && !was && secure(0))
				turn_seen = tls_conn_pending(&conns[1]);   /* so the loop comes back */
		}
	}
	CHECK(secure(0) && secure(1));
	CHECK(turn_seen);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.sessions, 2);
	CHECK_EQ_INT(s.waiting, 0);
	CHECK_EQ_INT(s.handshakes, s0.handshakes + 2);
	CHECK(client_to_server(&cls[1], &conns[1], "b NOOP\r\n"));
	CHECK(server_to_client(&cls[0], &conns[0], (const unsigned char *)"* OK\r\n", 6));
	conn_end(0);
	conn_end(1);
	tls_conn_release(&conns[2]);
}

/* With every context held by an open session, a new TLS connection waits
 * (STARTTLS is refused instead), and starts when a session ends. */
TEST(connection_beyond_the_cap_waits_for_a_context)
{
	struct tls_stats s;
	for (int i = 0; i < IMAPD_MAX_TLS_SESSIONS; i++) {
		conn_hello(i, MBEDTLS_SSL_VERSION_TLS1_3, NULL);
		CHECK_EQ_INT(tls_conn_start(&conns[i]), 0);
		CHECK_EQ_INT(handshake(&cls[i], &conns[i]), 0);
	}
	int w = IMAPD_MAX_TLS_SESSIONS;
	conn_hello(w, MBEDTLS_SSL_VERSION_TLS1_3, NULL);
	size_t hello = links[w].up.len;
	CHECK_EQ_INT(tls_conn_start(&conns[w]), 0);
	CHECK_EQ_INT(tls_conn_start(&conns[w]), -1);   /* not twice */
	for (int k = 0; k < 50; k++) {
		cl_handshake(&cls[w]);
		CHECK(!tls_conn_poll(&conns[w]));
	}
	CHECK(!secure(w));
	CHECK(!tls_conn_pending(&conns[w]));
	CHECK_EQ_INT(links[w].up.len, hello);
	struct transport *tw = tls_conn_transport(&conns[w]);
	char buf[16];
	CHECK_EQ_INT(tw->ops->read(tw, buf, sizeof buf), 0);
	CHECK_EQ_INT(tw->ops->write_space(tw), 0);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.sessions, IMAPD_MAX_TLS_SESSIONS);
	CHECK_EQ_INT(s.waiting, 1);

	/* STARTTLS on a plain connection finds no context: refused at once. */
	struct fake_plain lp;
	struct tls_conn cp;
	fake_init(&lp);
	tls_conn_init(&cp, &lp.t);
	struct transport *tp = tls_conn_transport(&cp);
	CHECK_EQ_INT(tp->ops->can_start_tls(tp), 0);

	/* The first session ends: the waiter's turn. */
	conn_end(0);
	CHECK(tls_conn_pending(&conns[w]));
	CHECK_EQ_INT(handshake(&cls[w], &conns[w]), 0);
	CHECK(client_to_server(&cls[w], &conns[w], "c LOGIN alice pw\r\n"));
	tls_get_stats(&s);
	CHECK_EQ_INT(s.sessions, IMAPD_MAX_TLS_SESSIONS);
	CHECK_EQ_INT(s.waiting, 0);
	CHECK_EQ_INT(tp->ops->can_start_tls(tp), 0);
	/* A waiter that goes away leaves the queue. */
	conn_hello(0, MBEDTLS_SSL_VERSION_TLS1_2, NULL);
	CHECK_EQ_INT(tls_conn_start(&conns[0]), 0);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.waiting, 1);
	conn_end(0);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.waiting, 0);
	for (int i = 1; i <= w; i++)
		conn_end(i);
	CHECK_EQ_INT(tp->ops->can_start_tls(tp), 1);
	tls_conn_release(&cp);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.sessions, 0);
}

/* Sessions opening and closing in turn, each handshake while the others
 * are open (A, B; close A, C; close B, D; ...), every version and key
 * exchange, data both ways, and a LOGIN's PBKDF2 in the middle of each
 * handshake: the arena, sized for the cap's established sessions plus one
 * handshake, never refuses a request. */
TEST(sessions_churn_in_the_arena)
{
	static const uint16_t x25519[] = { MBEDTLS_SSL_IANA_TLS_GROUP_X25519, 0 };
	static const uint16_t p256[] = { MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, 0 };
	static const struct {
		mbedtls_ssl_protocol_version v;
		const uint16_t *groups;
	} cases[] = {
		{ MBEDTLS_SSL_VERSION_TLS1_3, x25519 },
		{ MBEDTLS_SSL_VERSION_TLS1_3, p256 },
		{ MBEDTLS_SSL_VERSION_TLS1_2, NULL },   /* X25519 first, P-256 listed */
		{ MBEDTLS_SSL_VERSION_TLS1_2, p256 },
	};
	static unsigned char msg[6000];
	struct tls_stats s0, s;
	struct tls_heap_stats hs;
	bool open[IMAPD_MAX_TLS_SESSIONS] = { false };
	int ok = 0, rounds = 8 * (int)(sizeof cases / sizeof cases[0]);

	tls_get_stats(&s0);
	tls_heap_peak_reset();
	for (int k = 0; k < rounds; k++) {
		int i = k % IMAPD_MAX_TLS_SESSIONS;
		if (open[i])
			conn_end(i);
		int c = (k + k / 4) % 4;
		conn_hello(i, cases[c].v, cases[c].groups);
		CHECK_EQ_INT(tls_conn_start(&conns[i]), 0);
		tls_conn_poll(&conns[i]);   /* the key share and signature */
		unsigned char key[32];
		CHECK_EQ_INT(mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256,
							   (const unsigned char *)"pw", 2,
							   (const unsigned char *)"salt", 4, 2,
							   sizeof key, key), 0);
		open[i] = handshake(&cls[i], &conns[i]) == 0;
		CHECK(open[i]);
		if (!open[i])
			break;
		for (size_t b = 0; b < sizeof msg; b++)
			msg[b] = (unsigned char)(b + (size_t)k);
		size_t n = 100 + (size_t)(k * 733) % (sizeof msg - 100);
		ok += server_to_client(&cls[i], &conns[i], msg, n) &&
		      client_to_server(&cls[i], &conns[i], "a NOOP\r\n");
	}
	CHECK_EQ_INT(ok, rounds);
	tls_heap_get_stats(&hs);
	tls_get_stats(&s);
	printf("  arena peak %zu of %zu bytes (%d sessions, one handshaking)\n", hs.peak,
	       s.arena_size, IMAPD_MAX_TLS_SESSIONS);
	CHECK_EQ_INT(s.arena_failures, 0);
	CHECK_EQ_INT(s.refused, s0.refused);
	CHECK_EQ_INT(s.handshakes, s0.handshakes + (uint32_t)rounds);
	for (int i = 0; i < IMAPD_MAX_TLS_SESSIONS; i++)
		if (open[i])
			conn_end(i);
}

static const char cert1_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBnTCCAUSgAwIBAgIUaIQeQ4TsqKmkRFKy3dvvdJr1KkYwCgYIKoZIzj0EAwIw\n"
	"FzEVMBMGA1UEAwwMbWFpbC5leGFtcGxlMCAXDTI2MTEyNTE4NDg1OFoYDzIxMjYx\n"
	"MTAxMTg0ODU4WjAXMRUwEwYDVQQDDAxtYWlsLmV4YW1wbGUwWTATBgcqhkjOPQIB\n"
	"BggqhkjOPQMBBwNCAASGiM0K3e7TPjSuYd1g59TFaqr1lyYx9E05dLv4BFGGr/WJ\n"
	"Q8tmV3P0lpNMPdynbsX8cHNxUxbvIQSBUVkfUu9/o2wwajAdBgNVHQ4EFgQU2zA3\n"
	"TiYtnsJagwGAQtm8UEr7k84wHwYDVR0jBBgwFoAU2zA3TiYtnsJagwGAQtm8UEr7\n"
	"k84wDwYDVR0TAQH/BAUwAwEB/zAXBgNVHREEEDAOggxtYWlsLmV4YW1wbGUwCgYI\n"
	"KoZIzj0EAwIDRwAwRAIgZZwBO8XCDkig2hlKVW8rV+Hx0Fp1EK9HHw5ZKvOaaagC\n"
	"IAdR+M2pUEOoWD80qdDFTJINqDOmj8wXyTw5oc8Vucew\n"
	"-----END CERTIFICATE-----\n";
/* cert1's key, PKCS#8. */
static const char key1_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggkz5OpQ40crYjjXY\n"
	"n9SOhdLJOqFtsGGsyWYaL2BDHw+hRANCAASGiM0K3e7TPjSuYd1g59TFaqr1lyYx\n"
	"9E05dLv4BFGGr/WJQ8tmV3P0lpNMPdynbsX8cHNxUxbvIQSBUVkfUu9/\n"
	"-----END PRIVATE KEY-----\n";
/* Another P-256 key, SEC1. */
static const char key2_pem[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIFH/LAv9akr0OX/3Ej0ypYtnlLzYckC6cc0gzsCPzvYBoAoGCCqGSM49\n"
	"AwEHoUQDQgAEWMCyePp7LTQ5vvt7mipWsTV1ODUeN5MvVfN7JF+loz5AGPJi9mf1\n"
	"cOE7an51ZmTjFi8NwrKmvLAkAMBx3nGCrg==\n"
	"-----END EC PRIVATE KEY-----\n";
/* A P-384 key: a curve this build does not have. */
static const char key384_pem[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MIGkAgEBBDB7nKild3jVJGxmL/JXwAvjYjutZOj8rdzy5o6vmCFJJV7z1xO1jMtd\n"
	"LqK/jhUgrsegBwYFK4EEACKhZANiAARh5DZb9wg7vnQqGwwniFCNZ8sUw1Gz160+\n"
	"tfk8hayrrRAqdJQmpaoDh04gXt0tDufc3crsxTXlHXfWbfoeMPqem7+Y2sI7wynA\n"
	"76sNbaDf9K7vFvIjtkjXLSDhlJWotnU=\n"
	"-----END EC PRIVATE KEY-----\n";

TEST(install_pem)
{
	unsigned char before[STORE_CFG_VAL_MAX], after[STORE_CFG_VAL_MAX];
	int n = store_cfg_get(&st, "tls/cert", before, sizeof before);
	CHECK(n > 0);

	/* Bad input is refused and the store is untouched. */
	CHECK_EQ_INT(tls_install_pem(&st, cert1_pem, key2_pem), TLS_ERR_MISMATCH);
	int r = tls_install_pem(&st, cert1_pem, key384_pem);
	CHECK(r == TLS_ERR_KEY || r == TLS_ERR_KEYTYPE);
	CHECK_EQ_INT(tls_install_pem(&st, "not a certificate", key1_pem), TLS_ERR_CERT);
	CHECK_EQ_INT(tls_install_pem(&st, cert1_pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
						     "-----END PRIVATE KEY-----\n"),
		     TLS_ERR_KEY);
	CHECK_EQ_INT(store_cfg_get(&st, "tls/cert", after, sizeof after), n);
	CHECK(memcmp(before, after, (size_t)n) == 0);

	/* A matching pair replaces the stored one. */
	CHECK_EQ_INT(tls_install_pem(&st, cert1_pem, key1_pem), TLS_OK);
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	CHECK_EQ_INT(mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert1_pem,
					    sizeof cert1_pem), 0);
	CHECK_EQ_INT(store_cfg_get(&st, "tls/cert", after, sizeof after), (int)crt.raw.len);
	CHECK(memcmp(after, crt.raw.p, crt.raw.len) == 0);
	CHECK_EQ_INT(store_cfg_get(&st, "tls/chain/1", after, sizeof after), STORE_NOENT);
	mbedtls_x509_crt_free(&crt);
	CHECK(tls_strerror(TLS_ERR_MISMATCH)[0] != '\0');
}

/* A certificate for key1 (self-signed), its DER dlen bytes long, padded
 * with DNS names: PEM into pem. 0 or -1. */
static int padded_cert_pem(size_t dlen, char *pem, size_t cap)
{
	enum { NAMES = 16, NAME_MAX_LEN = 100 };
	static char names[NAMES][NAME_MAX_LEN + 1];
	static unsigned char der[STORE_CFG_VAL_MAX];
	mbedtls_pk_context key;
	mbedtls_pk_init(&key);
	int r = mbedtls_pk_parse_key(&key, (const unsigned char *)key1_pem, sizeof key1_pem, NULL,
				     0, cl_rng, MBEDTLS_PSA_RANDOM_STATE);
	size_t pad = dlen > 400 ? dlen - 400 : 16;
	int n = -1;
	/* The signature's DER length varies by a byte or two: retry. */
	for (int tries = 0; r == 0 && tries < 40; tries++) {
		mbedtls_x509_san_list san[NAMES];
		for (int i = 0; i < NAMES; i++) {
			size_t len = pad / NAMES + ((size_t)i < pad % NAMES);
			if (len == 0 || len > NAME_MAX_LEN)
				return -1;
			memset(names[i], 'a' + i, len);
			san[i].node.type = MBEDTLS_X509_SAN_DNS_NAME;
			san[i].node.san.unstructured_name.p = (unsigned char *)names[i];
			san[i].node.san.unstructured_name.len = len;
			san[i].next = i + 1 < NAMES ? &san[i + 1] : NULL;
		}
		static const unsigned char serial[1] = { 7 };
		mbedtls_x509write_cert w;
		mbedtls_x509write_crt_init(&w);
		mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
		mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
		mbedtls_x509write_crt_set_subject_key(&w, &key);
		mbedtls_x509write_crt_set_issuer_key(&w, &key);
		if (mbedtls_x509write_crt_set_subject_name(&w, "CN=padded") == 0 &&
		    mbedtls_x509write_crt_set_issuer_name(&w, "CN=padded") == 0 &&
		    mbedtls_x509write_crt_set_serial_raw(&w, (unsigned char *)serial, 1) == 0 &&
		    mbedtls_x509write_crt_set_validity(&w, "20260101000000", "20360101000000") == 0 &&
		    mbedtls_x509write_crt_set_subject_alternative_name(&w, san) == 0)
			n = mbedtls_x509write_crt_der(&w, der, sizeof der, cl_rng,
						      MBEDTLS_PSA_RANDOM_STATE);
		mbedtls_x509write_crt_free(&w);
		if (n <= 0 || (size_t)n == dlen)
			break;
		pad = pad + dlen - (size_t)n;
	}
	mbedtls_pk_free(&key);
	if (n <= 0 || (size_t)n != dlen)
		return -1;
	static const char head[] = "-----BEGIN CERTIFICATE-----\n";
	static const char tail[] = "\n-----END CERTIFICATE-----\n";
	size_t b64;
	if (cap < sizeof head + sizeof tail ||
	    mbedtls_base64_encode((unsigned char *)pem + sizeof head - 1,
				  cap - sizeof head - sizeof tail, &b64, der + sizeof der - n,
				  (size_t)n) != 0)
		return -1;
	memcpy(pem, head, sizeof head - 1);
	memcpy(pem + sizeof head - 1 + b64, tail, sizeof tail);
	return 0;
}

/* The Certificate message, the largest handshake message, goes out in one
 * record (Mbed TLS fragments handshake messages only in DTLS): a chain that
 * fills a record exactly installs, one byte more is refused at install time
 * (not at every handshake later), the store untouched. */
TEST(install_refuses_chain_beyond_one_record)
{
	mbedtls_x509_crt inter;
	mbedtls_x509_crt_init(&inter);
	CHECK_EQ_INT(mbedtls_x509_crt_parse(&inter, (const unsigned char *)cert1_pem,
					    sizeof cert1_pem), 0);
	/* handshake header, TLS 1.3 context, list length; each certificate:
	 * length, DER, TLS 1.3 extensions */
	size_t fixed = 4 + 1 + 3 + (3 + inter.raw.len + 2) + 3 + 2;
	mbedtls_x509_crt_free(&inter);
	static char chain[8192];
	unsigned char before[STORE_CFG_VAL_MAX];
	int nb = store_cfg_get(&st, "tls/cert", before, sizeof before);
	CHECK(nb > 0);

	CHECK_EQ_INT(padded_cert_pem(MBEDTLS_SSL_OUT_CONTENT_LEN + 1 - fixed, chain,
				     sizeof chain - sizeof cert1_pem), 0);
	strcat(chain, cert1_pem);
	CHECK_EQ_INT(tls_install_pem(&st, chain, key1_pem), TLS_ERR_TOOBIG);
	unsigned char after[STORE_CFG_VAL_MAX];
	CHECK_EQ_INT(store_cfg_get(&st, "tls/cert", after, sizeof after), nb);
	CHECK(memcmp(before, after, (size_t)nb) == 0);

	CHECK_EQ_INT(padded_cert_pem(MBEDTLS_SSL_OUT_CONTENT_LEN - fixed, chain,
				     sizeof chain - sizeof cert1_pem), 0);
	strcat(chain, cert1_pem);
	CHECK_EQ_INT(tls_install_pem(&st, chain, key1_pem), TLS_OK);
	CHECK(store_cfg_get(&st, "tls/chain/1", after, sizeof after) > 0);
}

/* After every handshake, failure and install above, server and client
 * alike: nothing refused, nothing freed twice, nothing left behind. */
TEST(arena_back_to_base)
{
	struct tls_stats ts;
	tls_get_stats(&ts);
	CHECK_EQ_INT(ts.sessions, 0);
	CHECK_EQ_INT(ts.arena_failures, 0);
	CHECK_EQ_INT(ts.arena_used, arena_base);
}

int main(void)
{
	RUN(first_start_generates_and_stores);
	RUN(tls13_handshake_and_data);
	RUN(tls12_and_each_cipher);
	RUN(record_without_data_then_data_in_one_read);
	RUN(wrong_hostname_is_rejected_by_client);
	RUN(starttls_discards_pipelined_plaintext);
	RUN(garbage_fails_handshake_and_frees_context);
	RUN(second_handshake_waits_for_the_first);
	RUN(connection_beyond_the_cap_waits_for_a_context);
	RUN(sessions_churn_in_the_arena);
	RUN(install_refuses_chain_beyond_one_record);
	RUN(install_pem);
	RUN(arena_back_to_base);
	return UNIT_DONE();
}
