/*
 * bench-tls - what one TLS session costs the server: handshake CPU time and
 * arena bytes (peak during the handshake, resident afterwards), for TLS 1.3
 * and 1.2 with each key-exchange group, plus the arena's size.
 *
 * Client and server run in this one process over an in-memory pipe. The
 * server allocates from its arena, the client from the C library (the
 * allocator is switched around every server call), so the arena counters
 * are the server's alone, and the arena need not hold the client. Needs a
 * build with IMAPD_TLS_MEASURE and IMAPD_TLS_HOST (the host build has both).
 *
 * Times are CPU time of the server calls (clock(): the machine may be
 * busy). The same program runs on the board's CPU under QEMU (make
 * bench-tls-qemu, tools/bench-tls/qemu/): its arena figures are the 32-bit
 * ones the firmware's arena is sized from; its times mean nothing.
 *
 * Usage: bench-tls [rounds]      (default 50 handshakes per case)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbedtls/platform.h"
#include "mbedtls/psa_util.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#include "flash_sim.h"
#include "imapd_config.h"
#include "store.h"
#include "tls.h"
#include "tls_heap.h"

#if !defined(IMAPD_TLS_MEASURE) || !defined(MBEDTLS_SSL_CLI_C)
#error "bench-tls needs IMAPD_TLS_MEASURE and IMAPD_TLS_HOST"
#endif


/* ---- the store that keeps the certificate, on the RAM flash simulator ---- */
#define SECTOR 4096u
#define SECTORS 64u
static unsigned char flash_mem[SECTOR * SECTORS];
static uint32_t flash_erases[SECTORS];
static struct flash_sim flash;
static struct store store;

/* ---- the pipe: a plain transport on the server side ---- */
#define PIPE_CAP 16384

struct pipe {
	unsigned char buf[PIPE_CAP];
	size_t len;
};

static size_t pipe_put(struct pipe *p, const void *b, size_t n)
{
	if (n > PIPE_CAP - p->len)
		n = PIPE_CAP - p->len;
	memcpy(p->buf + p->len, b, n);
	p->len += n;
	return n;
}

static size_t pipe_get(struct pipe *p, void *b, size_t n)
{
	if (n > p->len)
		n = p->len;
	memcpy(b, p->buf, n);
	memmove(p->buf, p->buf + n, p->len - n);
	p->len -= n;
	return n;
}

static struct link {
	struct transport t;
	struct pipe up, down;
} link;

static size_t l_read(struct transport *t, void *b, size_t n)
{
	return pipe_get(&((struct link *)t)->up, b, n);
}

static size_t l_write(struct transport *t, const void *b, size_t n)
{
	return pipe_put(&((struct link *)t)->down, b, n);
}

static size_t l_space(struct transport *t)
{
	return PIPE_CAP - ((struct link *)t)->down.len;
}

static void l_flush(struct transport *t)
{
	(void)t;
}

static int l_start_tls(struct transport *t)
{
	(void)t;
	return -1;
}

static int l_secure(const struct transport *t)
{
	(void)t;
	return 0;
}

static void l_close(struct transport *t)
{
	(void)t;
}

static uint32_t l_peer(const struct transport *t)
{
	(void)t;
	return 0;
}

static const struct transport_ops link_ops = {
	.read = l_read, .write = l_write, .write_space = l_space, .flush = l_flush,
	.start_tls = l_start_tls, .is_secure = l_secure, .close = l_close, .peer_addr = l_peer,
};

static int cl_send(void *ctx, const unsigned char *b, size_t n)
{
	(void)ctx;
	size_t k = pipe_put(&link.up, b, n);
	return k ? (int)k : MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int cl_recv(void *ctx, unsigned char *b, size_t n)
{
	(void)ctx;
	size_t k = pipe_get(&link.down, b, n);
	return k ? (int)k : MBEDTLS_ERR_SSL_WANT_READ;
}

static int cl_rng(void *ctx, unsigned char *out, size_t n)
{
	return mbedtls_psa_get_random(ctx, out, n);
}

/* ---- the server's share of the arena and of the CPU ---- */
static struct {
	long long used;     /* bytes incl. headers the server holds now */
	long long peak;
	double cpu_s;
	size_t u0;
	clock_t t0;
} srv;

static size_t arena_used(void)
{
	struct tls_heap_stats hs;
	tls_heap_get_stats(&hs);
	return hs.used;
}

static void *cl_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static void srv_enter(void)
{
	mbedtls_platform_set_calloc_free(tls_heap_calloc, tls_heap_free);
	srv.u0 = arena_used();
	tls_heap_peak_reset();
	srv.t0 = clock();
}

static void srv_leave(void)
{
	mbedtls_platform_set_calloc_free(cl_calloc, free);
	struct tls_heap_stats hs;
	srv.cpu_s += (double)(clock() - srv.t0) / CLOCKS_PER_SEC;
	tls_heap_get_stats(&hs);
	long long top = srv.used + (long long)hs.peak - (long long)srv.u0;
	if (top > srv.peak)
		srv.peak = top;
	srv.used += (long long)hs.used - (long long)srv.u0;
}

struct result {
	double ms[1000];
	long long peak, resident;
	int n;
	const char *version, *suite;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One handshake plus a greeting and a command each way. */
static int one(mbedtls_ssl_config *cc, struct result *res)
{
	static const char greeting[] = "* OK [CAPABILITY IMAP4rev1] ready\r\n";
	static const char cmd[] = "a NOOP\r\n";
	static struct tls_conn conn;
	mbedtls_ssl_context cl;
	unsigned char buf[256];
	int r, ok = -1;

	memset(&link, 0, sizeof link);
	link.t.ops = &link_ops;
	mbedtls_ssl_init(&cl);
	memset(&srv, 0, sizeof srv);
	tls_conn_init(&conn, &link.t);
	struct transport *t = tls_conn_transport(&conn);

	srv_enter();
	r = tls_conn_start(&conn);
	srv_leave();
	if (r != 0 || mbedtls_ssl_setup(&cl, cc) != 0 || mbedtls_ssl_set_hostname(&cl, "localhost"))
		goto out;
	mbedtls_ssl_set_bio(&cl, NULL, cl_send, cl_recv, NULL);
	for (int i = 0; i < 1000; i++) {
		r = mbedtls_ssl_handshake(&cl);
		srv_enter();
		tls_conn_poll(&conn);
		int up = t->ops->is_secure(t);
		srv_leave();
		if (r != 0 && r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
			fprintf(stderr, "bench-tls: client handshake -0x%04x\n", (unsigned)-r);
			goto out;
		}
		if (r == 0 && up)
			break;
	}
	srv_enter();
	size_t n = t->ops->write(t, greeting, sizeof greeting - 1);
	srv_leave();
	if (n != sizeof greeting - 1 || mbedtls_ssl_read(&cl, buf, sizeof buf) != (int)n)
		goto out;
	if (mbedtls_ssl_write(&cl, (const unsigned char *)cmd, sizeof cmd - 1) != sizeof cmd - 1)
		goto out;
	srv_enter();
	n = t->ops->read(t, buf, sizeof buf);
	srv_leave();
	if (n != sizeof cmd - 1)
		goto out;

	res->ms[res->n++] = srv.cpu_s * 1000.0;
	if (srv.peak > res->peak)
		res->peak = srv.peak;
	if (srv.used > res->resident)
		res->resident = srv.used;
	res->version = mbedtls_ssl_get_version(&cl);
	res->suite = mbedtls_ssl_get_ciphersuite(&cl);
	ok = 0;
out:
	srv_enter();
	t->ops->close(t);
	tls_conn_release(&conn);
	srv_leave();
	mbedtls_ssl_free(&cl);
	return ok;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 50;
	if (rounds < 1 || rounds > 1000) {
		fprintf(stderr, "usage: bench-tls [rounds 1..1000]\n");
		return 2;
	}
	static const struct flash_geometry geo = { SECTOR, SECTORS, 4 };
	flash_sim_init(&flash, &geo, flash_mem, flash_erases, NULL, NULL);
	flash_sim_erase_all(&flash);
	if (store_format(&store, &flash.dev) != STORE_OK || store_mount(&store, &flash.dev) != STORE_OK) {
		fprintf(stderr, "bench-tls: store on RAM flash failed\n");
		return 1;
	}
	int r = tls_crypto_init();
	long long crypto_base = (long long)arena_used();
	if (r == TLS_OK)
		r = tls_init(&store, "bench", 0);
	if (r != TLS_OK) {
		fprintf(stderr, "bench-tls: %s\n", tls_strerror(r));
		return 1;
	}
	long long base = (long long)arena_used();
	/* From here on the client allocates from the C library; srv_enter()
	 * and srv_leave() switch to the arena and back around server calls. */
	srv_leave();

	/* The client trusts the certificate the server just made. */
	static unsigned char der[STORE_CFG_VAL_MAX];
	int dlen = store_cfg_get(&store, "tls/cert", der, sizeof der);
	mbedtls_x509_crt ca;
	mbedtls_x509_crt_init(&ca);
	if (dlen <= 0 || mbedtls_x509_crt_parse_der(&ca, der, (size_t)dlen) != 0) {
		fprintf(stderr, "bench-tls: no certificate in the store\n");
		return 1;
	}

	static const struct {
		const char *name;
		mbedtls_ssl_protocol_version v;
		uint16_t groups[3];
	} cases[] = {
		{ "TLS 1.3, X25519", MBEDTLS_SSL_VERSION_TLS1_3,
		  { MBEDTLS_SSL_IANA_TLS_GROUP_X25519, 0 } },
		{ "TLS 1.3, P-256", MBEDTLS_SSL_VERSION_TLS1_3,
		  { MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, 0 } },
		/* A 1.2 client must offer the certificate's curve as well. */
		{ "TLS 1.2, X25519", MBEDTLS_SSL_VERSION_TLS1_2,
		  { MBEDTLS_SSL_IANA_TLS_GROUP_X25519, MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, 0 } },
		{ "TLS 1.2, P-256", MBEDTLS_SSL_VERSION_TLS1_2,
		  { MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, 0 } },
	};
	static struct result res[sizeof cases / sizeof cases[0]];
	long long worst = 0, worst_resident = 0;

	printf("bench-tls: %d handshakes per case, server side only, in-process client\n", rounds);
	printf("%-18s %-40s %10s %9s %10s %10s\n", "case", "suite", "cpu ms p50", "ms max", "peak B",
	       "resident B");
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		mbedtls_ssl_config cc;
		mbedtls_ssl_config_init(&cc);
		if (mbedtls_ssl_config_defaults(&cc, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
						MBEDTLS_SSL_PRESET_DEFAULT) != 0)
			return 1;
		mbedtls_ssl_conf_rng(&cc, cl_rng, MBEDTLS_PSA_RANDOM_STATE);
		mbedtls_ssl_conf_authmode(&cc, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(&cc, &ca, NULL);
		mbedtls_ssl_conf_min_tls_version(&cc, cases[k].v);
		mbedtls_ssl_conf_max_tls_version(&cc, cases[k].v);
		mbedtls_ssl_conf_groups(&cc, cases[k].groups);
		struct result *rs = &res[k];
		for (int i = 0; i < rounds; i++)
			if (one(&cc, rs) != 0) {
				fprintf(stderr, "bench-tls: %s failed\n", cases[k].name);
				return 1;
			}
		mbedtls_ssl_config_free(&cc);
		qsort(rs->ms, (size_t)rs->n, sizeof rs->ms[0], cmp_double);
		printf("%-18s %-40s %10.3f %9.3f %10lld %10lld\n", cases[k].name, rs->suite,
		       rs->ms[rs->n / 2], rs->ms[rs->n - 1], rs->peak, rs->resident);
		if (rs->peak > worst)
			worst = rs->peak;
		if (rs->resident > worst_resident)
			worst_resident = rs->resident;
	}
	struct tls_stats st;
	tls_get_stats(&st);
	printf("word size: %u bits; arena block header %u bytes\n", (unsigned)(8 * sizeof(void *)),
	       (unsigned)TLS_HEAP_HEADER);
	printf("arena base: %lld bytes after crypto start-up, %lld with key, certificate and "
	       "config\n", crypto_base, base);
	printf("arena per TLS session: peak %lld, established %lld bytes (worst cases above)\n",
	       worst, worst_resident);
	/* Handshakes take turns (tls.c): one session at its peak at a time. */
	printf("arena size: %u bytes for %d TLS sessions (needs >= %lld = base + %d x "
	       "established + peak)\n",
	       (unsigned)st.arena_size, IMAPD_MAX_TLS_SESSIONS,
	       base + (IMAPD_MAX_TLS_SESSIONS - 1) * worst_resident + worst,
	       IMAPD_MAX_TLS_SESSIONS - 1);
	mbedtls_x509_crt_free(&ca);
	return 0;
}
