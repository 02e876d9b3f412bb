/*
 * test_tls.c - the TLS transport against an Mbed TLS client in one process,
 * over an in-memory plain transport; certificate generation and install.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mbedtls/pk.h"
#include "mbedtls/psa_util.h"
#include "mbedtls/sha256.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#include "flash_sim.h"
#include "imapd_config.h"
#include "store.h"
#include "tls.h"
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

/* ---- an Mbed TLS client on the other end ---- */

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

static int client_open(struct client *cl, struct fake_plain *link, const char *host,
		       mbedtls_ssl_protocol_version max, const int *suites)
{
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
	if (r != 0)
		return r;
	mbedtls_ssl_conf_rng(&cl->conf, cl_rng, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_authmode(&cl->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&cl->conf, &cl->ca, NULL);
	mbedtls_ssl_conf_max_tls_version(&cl->conf, max);
	if (suites)
		mbedtls_ssl_conf_ciphersuites(&cl->conf, suites);
	r = mbedtls_ssl_setup(&cl->ssl, &cl->conf);
	if (r == 0)
		r = mbedtls_ssl_set_hostname(&cl->ssl, host);
	mbedtls_ssl_set_bio(&cl->ssl, cl, cl_send, cl_recv, NULL);
	return r;
}

static void client_close(struct client *cl)
{
	mbedtls_ssl_free(&cl->ssl);
	mbedtls_ssl_config_free(&cl->conf);
	mbedtls_x509_crt_free(&cl->ca);
}

/* Both sides until both are done; the server is driven as imapd.c does. */
static int handshake(struct client *cl, struct tls_conn *c)
{
	struct transport *t = tls_conn_transport(c);
	for (int i = 0; i < 2000; i++) {
		int r = mbedtls_ssl_handshake(&cl->ssl);
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
		int r = mbedtls_ssl_read(&cl->ssl, got + recvd, sizeof got - recvd);
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
	if (mbedtls_ssl_write(&cl->ssl, (const unsigned char *)msg, len) != (int)len)
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
	CHECK_EQ_INT(mbedtls_ssl_read(&cl.ssl, b, sizeof b), MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
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
	CHECK_EQ_INT(mbedtls_ssl_send_alert_message(&cl.ssl, MBEDTLS_SSL_ALERT_LEVEL_WARNING,
						    MBEDTLS_SSL_ALERT_MSG_NO_RENEGOTIATION),
		     0);
	CHECK_EQ_INT(mbedtls_ssl_write(&cl.ssl, (const unsigned char *)"a NOOP\r\n", 8), 8);
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

TEST(session_cap)
{
	static struct fake_plain links[IMAPD_MAX_TLS_SESSIONS + 1];
	static struct tls_conn conns[IMAPD_MAX_TLS_SESSIONS + 1];
	struct tls_stats s;
	for (int i = 0; i <= IMAPD_MAX_TLS_SESSIONS; i++) {
		fake_init(&links[i]);
		tls_conn_init(&conns[i], &links[i].t);
	}
	for (int i = 0; i < IMAPD_MAX_TLS_SESSIONS; i++)
		CHECK_EQ_INT(tls_conn_start(&conns[i]), 0);
	tls_get_stats(&s);
	uint32_t refused = s.refused;
	CHECK_EQ_INT(tls_conn_start(&conns[IMAPD_MAX_TLS_SESSIONS]), -1);
	struct transport *t = tls_conn_transport(&conns[IMAPD_MAX_TLS_SESSIONS]);
	CHECK_EQ_INT(t->ops->start_tls(t), -1);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.refused, refused + 2);
	CHECK_EQ_INT(s.sessions, IMAPD_MAX_TLS_SESSIONS);
	/* A freed context is available again. */
	tls_conn_release(&conns[0]);
	tls_conn_init(&conns[IMAPD_MAX_TLS_SESSIONS], &links[IMAPD_MAX_TLS_SESSIONS].t);
	CHECK_EQ_INT(tls_conn_start(&conns[IMAPD_MAX_TLS_SESSIONS]), 0);
	for (int i = 0; i <= IMAPD_MAX_TLS_SESSIONS; i++)
		tls_conn_release(&conns[i]);
	tls_get_stats(&s);
	CHECK_EQ_INT(s.sessions, 0);
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
	RUN(session_cap);
	RUN(install_pem);
	RUN(arena_back_to_base);
	return UNIT_DONE();
}
