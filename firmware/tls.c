/*
 * tls.c - Mbed TLS 3.6 server sessions over a plain transport, the static
 * arena they allocate from, and the device certificate.
 *
 * Records go through the plain transport's read/write, so TCP receive
 * back-pressure is the plain transport's: Mbed TLS asks for exactly the
 * bytes of the record it is parsing, and the plain transport acknowledges
 * (tcp_recved) only what was read. A record is written only when the plain
 * transport can take all of it, so application data never waits inside
 * Mbed TLS (no need to repeat an mbedtls_ssl_write with the same data).
 */
#include "tls.h"

#include <string.h>

#include "mbedtls/ecp.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/psa_util.h"
#include "mbedtls/sha256.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "psa/crypto.h"

#include "imap_date.h"
#include "imapd_config.h"
#include "port.h"
#include "store.h"
#include "tls_heap.h"

#if MBEDTLS_VERSION_NUMBER < 0x03060000
#error "Mbed TLS 3.6 or later required"
#endif

/*
 * Arena size (docs/tls.md). Handshakes take turns (TLS_HANDSHAKES), so the
 * arena holds the base (PSA's key slots, the parsed key and certificate,
 * the server configuration), the established sessions but one (record
 * buffers, 16 KiB in and 2 KiB out, and the traffic keys) and one session at
 * its handshake peak (TLS 1.3 with a P-256 key share: transcript, key share,
 * signature, handshake keys). Measured (tools/bench-tls, tls_heap's 8-byte
 * block headers):
 *   32-bit: base 1,320  established 19,120  handshake peak 22,424
 *   64-bit: base 1,616  established 19,168  handshake peak 22,984
 * Each is rounded up, about 1.8 KB in all, for PBKDF2 at a LOGIN during a
 * handshake (a few hundred bytes), for holes between the small blocks, and
 * for the DER encodings whose lengths vary from run to run.
 */
#if UINTPTR_MAX > 0xffffffffu
#define TLS_ARENA_BASE 2560u
#define TLS_ARENA_SESSION 19712u
#define TLS_ARENA_HANDSHAKE 24064u
#else
#define TLS_ARENA_BASE 2048u
#define TLS_ARENA_SESSION 19456u
#define TLS_ARENA_HANDSHAKE 23168u
#endif
#ifndef TLS_ARENA_SIZE
#define TLS_ARENA_SIZE \
	(TLS_ARENA_BASE + (IMAPD_MAX_TLS_SESSIONS - 1) * TLS_ARENA_SESSION + TLS_ARENA_HANDSHAKE)
#endif

/* Intermediate certificates a user may install after the server's own. */
#define TLS_CHAIN_MAX 2
/* As tls_strerror(TLS_ERR_TOOBIG) says. */
_Static_assert(TLS_CHAIN_MAX == 2 && MBEDTLS_SSL_OUT_CONTENT_LEN == 2048, "fix tls_strerror");
/* Handshake steps per slice: one, so that other sessions run between steps;
 * the longest step is a public-key operation or two (key share, signature). */
#define TLS_SLICE_STEPS 1
/* Handshakes at once: the arena holds one handshake's transient state on
 * top of every session's record buffers; others wait their turn. */
#define TLS_HANDSHAKES 1
/* A client stalling mid-handshake would hold the handshake turn and one of
 * the few TLS contexts. */
#ifndef TLS_HANDSHAKE_TIMEOUT_MS
#define TLS_HANDSHAKE_TIMEOUT_MS 30000u
#endif
/* A connection whose turn has not come by then (every context held by an
 * open session, or stalled handshakes ahead of it) is closed, as one that
 * sends nothing is after the pre-login timeout. Longer than a handshake's
 * timeout, so that one stalled client ahead cannot make it miss its turn. */
#ifndef TLS_WAIT_TIMEOUT_MS
#define TLS_WAIT_TIMEOUT_MS IMAPD_PREAUTH_TIMEOUT_MS
#endif
_Static_assert(TLS_WAIT_TIMEOUT_MS > TLS_HANDSHAKE_TIMEOUT_MS, "a waiter must outlast a stall");

enum tls_conn_state {
	TLS_PLAIN,       /* pass-through, STARTTLS possible */
	TLS_WAIT,        /* queued for a context and the handshake turn */
	TLS_HANDSHAKE,
	TLS_OPEN,
	TLS_DEAD,        /* failed or closed: the plain transport is closing */
};

struct tls_session {
	mbedtls_ssl_context ssl;
	struct tls_conn *owner;      /* NULL: free */
	uint32_t start_ms;
	bool step_ready;             /* the last step wants no I/O: run another */
	bool rx_got;                 /* the BIO delivered bytes during this call */
#if defined(IMAPD_TLS_MEASURE)
	size_t used_before;
#endif
};

static unsigned char tls_arena[TLS_ARENA_SIZE] __attribute__((aligned(8)));
static struct tls_session tls_pool[IMAPD_MAX_TLS_SESSIONS];

static struct {
	bool crypto_up, server_up;
	unsigned handshaking;        /* connections in TLS_HANDSHAKE */
	struct tls_conn *wait_head, *wait_tail;   /* TLS_WAIT, oldest first */
	mbedtls_ssl_config conf;
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	char fingerprint[TLS_FINGERPRINT_LEN];
	struct tls_stats st;
} tls;

/* Certificate and key I/O staging (start-up and install only) is borrowed
 * from the arena, whose sessions do not exist yet then. At TLS_HEAP_LARGE or
 * more it comes from the top, where record buffers go, so giving it back
 * leaves no hole among the long-lived small blocks (key, certificate). */
#define TLS_SCRATCH_LEN STORE_CFG_VAL_MAX
_Static_assert(TLS_SCRATCH_LEN >= TLS_HEAP_LARGE, "tls scratch must come from the arena's top");

static const char *const tls_key_name = "tls/key";
static const char *const tls_cert_name = "tls/cert";

/* ------------------------------------------------------------------ */
/* Entropy and crypto start-up                                         */

/* Mbed TLS's hardware entropy hook (MBEDTLS_ENTROPY_HARDWARE_ALT): the
 * source PSA's DRBG seeds from. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
	(void)data;
	if (port_entropy(output, len) != 0) {
		*olen = 0;
		return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
	}
	*olen = len;
	return 0;
}

int tls_crypto_init(void)
{
	if (tls.crypto_up)
		return TLS_OK;
	tls_heap_init(tls_arena, sizeof tls_arena);
	mbedtls_platform_set_calloc_free(tls_heap_calloc, tls_heap_free);
	/* After the arena: PSA takes its key slots from it. */
	psa_status_t ps = psa_crypto_init();
	if (ps != PSA_SUCCESS) {
		port_log(PORT_LOG_ERR, "tls: crypto start-up failed (PSA %d)", (int)ps);
		return TLS_ERR_CRYPTO;
	}
	tls.crypto_up = true;
	tls.st.arena_size = sizeof tls_arena;
	return TLS_OK;
}

static int tls_rng(void *ctx, unsigned char *out, size_t len)
{
	return mbedtls_psa_get_random(ctx, out, len);
}

const char *tls_strerror(int err)
{
	switch (err) {
	case TLS_OK: return "ok";
	case TLS_ERR_CRYPTO: return "crypto start-up or entropy failed";
	case TLS_ERR_STORE: return "store read or write failed";
	case TLS_ERR_CERT: return "certificate is not PEM/DER X.509 with ECDSA signatures";
	case TLS_ERR_KEY: return "key is not an unencrypted PEM or DER private key";
	case TLS_ERR_KEYTYPE: return "key is not ECDSA P-256";
	case TLS_ERR_MISMATCH: return "certificate does not match the key";
	case TLS_ERR_TOOBIG:
		return "certificate chain too large: more than 2 intermediates, or over one "
		       "TLS record (2 KB)";
	case TLS_ERR_NOTREADY: return "TLS not initialised";
	default: return "unknown TLS error";
	}
}

/* ------------------------------------------------------------------ */
/* Store access                                                        */

/* A put may need garbage collection first (STORE_AGAIN); each store_poll()
 * is a bounded slice, so give it a bounded number of tries. */
static int tls_store_put(struct store *s, const char *key, const void *val, uint32_t len)
{
	int r = STORE_AGAIN;
	for (int i = 0; i < 256 && r == STORE_AGAIN; i++) {
		r = store_cfg_put(s, key, val, len);
		if (r == STORE_AGAIN)
			store_poll(s);
	}
	return r == STORE_OK ? TLS_OK : TLS_ERR_STORE;
}

static int tls_store_del(struct store *s, const char *key)
{
	int r = STORE_AGAIN;
	for (int i = 0; i < 256 && r == STORE_AGAIN; i++) {
		r = store_cfg_del(s, key);
		if (r == STORE_AGAIN)
			store_poll(s);
	}
	return (r == STORE_OK || r == STORE_NOENT) ? TLS_OK : TLS_ERR_STORE;
}

static void tls_chain_key(char out[16], int i)
{
	memcpy(out, "tls/chain/", 10);
	out[10] = (char)('0' + i);
	out[11] = '\0';
}

/* ------------------------------------------------------------------ */
/* Key and certificate                                                 */

static bool tls_key_is_p256(const mbedtls_pk_context *pk)
{
	return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
	       mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk)) == MBEDTLS_ECP_DP_SECP256R1;
}

/* The TLS Certificate message must fit one outgoing record. */
static bool tls_chain_fits(const mbedtls_x509_crt *chain)
{
	size_t total = 4 + 1 + 3;   /* handshake header, 1.3 context, list length */
	for (const mbedtls_x509_crt *c = chain; c && c->raw.len; c = c->next)
		total += 3 + c->raw.len + 2;   /* length, DER, 1.3 extensions */
	return total <= MBEDTLS_SSL_OUT_CONTENT_LEN;
}

static int tls_check_pair(mbedtls_x509_crt *chain, mbedtls_pk_context *key)
{
	if (!tls_key_is_p256(key))
		return TLS_ERR_KEYTYPE;
	if (mbedtls_pk_check_pair(&chain->pk, key, tls_rng, MBEDTLS_PSA_RANDOM_STATE) != 0)
		return TLS_ERR_MISMATCH;
	if (!tls_chain_fits(chain))
		return TLS_ERR_TOOBIG;
	return TLS_OK;
}

/* tls_load: the store holds no key (first start). */
#define TLS_ABSENT 1

/* Load "tls/key", "tls/cert" and "tls/chain/N" into tls.key / tls.chain,
 * staging each record in scratch (TLS_SCRATCH_LEN). */
static int tls_load(struct store *s, unsigned char *scratch)
{
	int n = store_cfg_get(s, tls_key_name, scratch, TLS_SCRATCH_LEN);
	if (n < 0)
		return n == STORE_NOENT ? TLS_ABSENT : TLS_ERR_STORE;
	int r = mbedtls_pk_parse_key(&tls.key, scratch, (size_t)n, NULL, 0, tls_rng,
				     MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_platform_zeroize(scratch, TLS_SCRATCH_LEN);
	if (r != 0)
		return TLS_ERR_KEY;
	n = store_cfg_get(s, tls_cert_name, scratch, TLS_SCRATCH_LEN);
	if (n < 0)
		return n == STORE_NOENT ? TLS_ERR_CERT : TLS_ERR_STORE;
	if (mbedtls_x509_crt_parse_der(&tls.chain, scratch, (size_t)n) != 0)
		return TLS_ERR_CERT;
	for (int i = 1; i <= TLS_CHAIN_MAX; i++) {
		char name[16];
		tls_chain_key(name, i);
		n = store_cfg_get(s, name, scratch, TLS_SCRATCH_LEN);
		if (n == STORE_NOENT)
			break;
		if (n < 0)
			return TLS_ERR_STORE;
		if (mbedtls_x509_crt_parse_der(&tls.chain, scratch, (size_t)n) != 0)
			return TLS_ERR_CERT;
	}
	return tls_check_pair(&tls.chain, &tls.key);
}

/* "YYYYMMDDhhmmss" for X.509 validity. */
static void tls_format_time(int64_t t, char out[15])
{
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	imap_civil_from_days(days, &y, &m, &d);
	unsigned v[6] = { (unsigned)y, m, d, (unsigned)(secs / 3600),
			  (unsigned)(secs / 60 % 60), (unsigned)(secs % 60) };
	char *p = out;
	for (int i = 0; i < 6; i++) {
		unsigned digits = i == 0 ? 4 : 2;
		for (unsigned k = digits; k-- > 0;) {
			p[k] = (char)('0' + v[i] % 10);
			v[i] /= 10;
		}
		p += digits;
	}
	*p = '\0';
}

/* A host name usable as a CN and a DNS SAN; anything else gets "imapd". */
static const char *tls_cert_name_for(const char *hostname)
{
	size_t n = hostname ? strlen(hostname) : 0;
	if (n == 0 || n > 63)
		return "imapd";
	for (size_t i = 0; i < n; i++) {
		char ch = hostname[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return "imapd";
	}
	return hostname;
}

/* Self-signed P-256 certificate for name, valid from a day ago (clock skew)
 * until 9999-12-31 (RFC 5280 4.1.2.5: no well-defined expiration). Writes the
 * DER at the end of buf; returns its length or an Mbed TLS error. */
static int tls_write_selfsigned(mbedtls_pk_context *key, const char *name, uint32_t ipv4,
				unsigned char *buf, size_t cap)
{
	static const unsigned char loopback[4] = { 127, 0, 0, 1 };
	unsigned char ip[4];
	memcpy(ip, &ipv4, 4);   /* network order in memory */

	mbedtls_x509_san_list san[4];
	int nsan = 0;
	san[nsan].node.type = MBEDTLS_X509_SAN_DNS_NAME;
	san[nsan].node.san.unstructured_name.p = (unsigned char *)(uintptr_t)name;
	san[nsan++].node.san.unstructured_name.len = strlen(name);
	if (strcmp(name, "localhost") != 0) {
		san[nsan].node.type = MBEDTLS_X509_SAN_DNS_NAME;
		san[nsan].node.san.unstructured_name.p = (unsigned char *)(uintptr_t)"localhost";
		san[nsan++].node.san.unstructured_name.len = 9;
	}
	san[nsan].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
	san[nsan].node.san.unstructured_name.p = (unsigned char *)(uintptr_t)loopback;
	san[nsan++].node.san.unstructured_name.len = 4;
	if (ipv4 != 0 && memcmp(ip, loopback, 4) != 0) {
		san[nsan].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
		san[nsan].node.san.unstructured_name.p = ip;
		san[nsan++].node.san.unstructured_name.len = 4;
	}
	for (int i = 0; i < nsan; i++)
		san[i].next = i + 1 < nsan ? &san[i + 1] : NULL;

	char subject[3 + 64];
	memcpy(subject, "CN=", 3);
	memcpy(subject + 3, name, strlen(name) + 1);

	unsigned char serial[16];
	int r = tls_rng(NULL, serial, sizeof serial);
	if (r != 0)
		return r;
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);   /* positive, minimal DER */

	char not_before[15];
	int64_t now = port_time_unix();
	tls_format_time(now > 86400 ? now - 86400 : 0, not_before);

	mbedtls_x509write_cert w;
	mbedtls_x509write_crt_init(&w);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, key);
	mbedtls_x509write_crt_set_issuer_key(&w, key);
	if ((r = mbedtls_x509write_crt_set_subject_name(&w, subject)) == 0 &&
	    (r = mbedtls_x509write_crt_set_issuer_name(&w, subject)) == 0 &&
	    (r = mbedtls_x509write_crt_set_serial_raw(&w, serial, sizeof serial)) == 0 &&
	    (r = mbedtls_x509write_crt_set_validity(&w, not_before, "99991231235959")) == 0 &&
	    /* Its own trust anchor: clients import it as a CA (critical, no path). */
	    (r = mbedtls_x509write_crt_set_basic_constraints(&w, 1, 0)) == 0 &&
	    (r = mbedtls_x509write_crt_set_key_usage(
		     &w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_CERT_SIGN)) == 0 &&
	    (r = mbedtls_x509write_crt_set_subject_alternative_name(&w, san)) == 0)
		r = mbedtls_x509write_crt_der(&w, buf, cap, tls_rng, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_x509write_crt_free(&w);
	return r;
}

/* First start (or an unusable stored pair): new key and certificate, kept
 * in the store. If the store cannot keep them the server still runs with
 * them, but the fingerprint will change at the next start. */
static int tls_generate(struct store *s, const char *hostname, uint32_t ipv4,
			unsigned char *scratch)
{
	mbedtls_pk_free(&tls.key);
	mbedtls_pk_init(&tls.key);
	mbedtls_x509_crt_free(&tls.chain);
	mbedtls_x509_crt_init(&tls.chain);

	if (mbedtls_pk_setup(&tls.key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(tls.key), tls_rng,
				MBEDTLS_PSA_RANDOM_STATE) != 0)
		return TLS_ERR_CRYPTO;

	const char *name = tls_cert_name_for(hostname);
	int n = tls_write_selfsigned(&tls.key, name, ipv4, scratch, TLS_SCRATCH_LEN);
	if (n < 0)
		return TLS_ERR_CRYPTO;
	const unsigned char *der = scratch + TLS_SCRATCH_LEN - n;
	if (mbedtls_x509_crt_parse_der(&tls.chain, der, (size_t)n) != 0)
		return TLS_ERR_CERT;

	int r = tls_store_put(s, tls_cert_name, der, (uint32_t)n);
	for (int i = 1; i <= TLS_CHAIN_MAX && r == TLS_OK; i++) {
		char cname[16];
		tls_chain_key(cname, i);
		r = tls_store_del(s, cname);
	}
	if (r == TLS_OK) {
		n = mbedtls_pk_write_key_der(&tls.key, scratch, TLS_SCRATCH_LEN);
		r = n < 0 ? TLS_ERR_CRYPTO
			  : tls_store_put(s, tls_key_name, scratch + TLS_SCRATCH_LEN - n,
					  (uint32_t)n);
		mbedtls_platform_zeroize(scratch, TLS_SCRATCH_LEN);
	}
	if (r != TLS_OK)
		port_log(PORT_LOG_ERR,
			 "tls: cannot store the new key and certificate; they last until restart");
	port_log(PORT_LOG_INFO, "tls: generated a P-256 key and a self-signed certificate for %s",
		 name);
	return TLS_OK;
}

static void tls_make_fingerprint(const mbedtls_x509_crt *crt, char out[TLS_FINGERPRINT_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char h[32];
	mbedtls_sha256(crt->raw.p, crt->raw.len, h, 0);
	for (int i = 0; i < 32; i++) {
		out[3 * i] = hex[h[i] >> 4];
		out[3 * i + 1] = hex[h[i] & 15];
		out[3 * i + 2] = i < 31 ? ':' : '\0';
	}
}

static int tls_setup_config(void)
{
	/* Preference order: X25519 first (cheapest), P-256 for the rest. */
	static const uint16_t groups[] = { MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
					   MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
					   MBEDTLS_SSL_IANA_TLS_GROUP_NONE };
	mbedtls_ssl_config *c = &tls.conf;
	if (mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		return TLS_ERR_CRYPTO;
	mbedtls_ssl_conf_rng(c, tls_rng, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_min_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_max_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_3);
	mbedtls_ssl_conf_groups(c, groups);
	mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_NONE);
	if (mbedtls_ssl_conf_own_cert(c, &tls.chain, &tls.key) != 0)
		return TLS_ERR_CRYPTO;
	return TLS_OK;
}

int tls_init(struct store *s, const char *hostname, uint32_t ipv4)
{
	if (tls.server_up)
		return TLS_OK;
	int r = tls_crypto_init();
	if (r != TLS_OK)
		return r;
	mbedtls_pk_init(&tls.key);
	mbedtls_x509_crt_init(&tls.chain);
	mbedtls_ssl_config_init(&tls.conf);
	unsigned char *scratch = tls_heap_calloc(1, TLS_SCRATCH_LEN);
	if (!scratch) {
		r = TLS_ERR_CRYPTO;
		goto fail;
	}

	r = tls_load(s, scratch);
	if (r == TLS_ERR_STORE) {
		/* Do not replace a certificate we merely failed to read. */
		port_log(PORT_LOG_ERR, "tls: cannot read the key and certificate: TLS is off");
		goto fail;
	}
	if (r != TLS_OK) {
		if (r != TLS_ABSENT)
			port_log(PORT_LOG_ERR, "tls: stored key and certificate unusable (%s)",
				 tls_strerror(r));
		r = tls_generate(s, hostname, ipv4, scratch);
		if (r != TLS_OK)
			goto fail;
	}
	mbedtls_platform_zeroize(scratch, TLS_SCRATCH_LEN);
	tls_heap_free(scratch);
	scratch = NULL;
	r = tls_setup_config();
	if (r != TLS_OK)
		goto fail;
	tls_make_fingerprint(&tls.chain, tls.fingerprint);
	/* The platform prints it for the user (tls_fingerprint). */
	port_log(PORT_LOG_DEBUG, "tls: certificate SHA-256 fingerprint %s", tls.fingerprint);
	port_log(PORT_LOG_INFO, "tls: arena %u bytes for %d sessions",
		 (unsigned)sizeof tls_arena, IMAPD_MAX_TLS_SESSIONS);
	tls.server_up = true;
	return TLS_OK;
fail:
	if (scratch) {
		mbedtls_platform_zeroize(scratch, TLS_SCRATCH_LEN);
		tls_heap_free(scratch);
	}
	mbedtls_ssl_config_free(&tls.conf);
	mbedtls_x509_crt_free(&tls.chain);
	mbedtls_pk_free(&tls.key);
	return r;
}

int tls_fingerprint(char out[TLS_FINGERPRINT_LEN])
{
	if (!tls.server_up)
		return TLS_ERR_NOTREADY;
	memcpy(out, tls.fingerprint, TLS_FINGERPRINT_LEN);
	return TLS_OK;
}

int tls_install_pem(struct store *s, const char *cert_pem, const char *key_pem)
{
	int r = tls_crypto_init();
	if (r != TLS_OK)
		return r;
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	mbedtls_x509_crt_init(&chain);
	mbedtls_pk_init(&key);

	int count = 0;
	if (mbedtls_x509_crt_parse(&chain, (const unsigned char *)cert_pem, strlen(cert_pem) + 1) != 0) {
		r = TLS_ERR_CERT;
		goto out;
	}
	for (const mbedtls_x509_crt *c = &chain; c && c->raw.len; c = c->next) {
		if (c->raw.len > STORE_CFG_VAL_MAX) {
			r = TLS_ERR_TOOBIG;
			goto out;
		}
		count++;
	}
	if (count > 1 + TLS_CHAIN_MAX) {
		r = TLS_ERR_TOOBIG;
		goto out;
	}
	if (mbedtls_pk_parse_key(&key, (const unsigned char *)key_pem, strlen(key_pem) + 1, NULL, 0,
				 tls_rng, MBEDTLS_PSA_RANDOM_STATE) != 0) {
		r = TLS_ERR_KEY;
		goto out;
	}
	r = tls_check_pair(&chain, &key);
	if (r != TLS_OK)
		goto out;

	/* Key first, then certificates: a power cut in between leaves a pair
	 * that does not match, which the next start replaces (and says so). */
	unsigned char *scratch = tls_heap_calloc(1, TLS_SCRATCH_LEN);
	if (!scratch) {
		r = TLS_ERR_CRYPTO;
		goto out;
	}
	int n = mbedtls_pk_write_key_der(&key, scratch, TLS_SCRATCH_LEN);
	r = n < 0 ? TLS_ERR_KEY
		  : tls_store_put(s, tls_key_name, scratch + TLS_SCRATCH_LEN - n, (uint32_t)n);
	mbedtls_platform_zeroize(scratch, TLS_SCRATCH_LEN);
	tls_heap_free(scratch);
	if (r == TLS_OK)
		r = tls_store_put(s, tls_cert_name, chain.raw.p, (uint32_t)chain.raw.len);
	const mbedtls_x509_crt *c = chain.next;
	for (int i = 1; i <= TLS_CHAIN_MAX && r == TLS_OK; i++) {
		char name[16];
		tls_chain_key(name, i);
		if (c && c->raw.len) {
			r = tls_store_put(s, name, c->raw.p, (uint32_t)c->raw.len);
			c = c->next;
		} else {
			r = tls_store_del(s, name);
		}
	}
out:
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&chain);
	return r;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */

static int tls_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	size_t n = c->plain->ops->write(c->plain, buf, len);
	return n ? (int)n : MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int tls_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	size_t n = c->plain->ops->read(c->plain, buf, len);
	if (n)
		c->ses->rx_got = true;
	return n ? (int)n : MBEDTLS_ERR_SSL_WANT_READ;
}

static void tls_session_free(struct tls_conn *c)
{
	struct tls_session *ses = c->ses;
	if (!ses)
		return;
	if (c->state == TLS_HANDSHAKE)
		tls.handshaking--;
	mbedtls_ssl_free(&ses->ssl);
	ses->owner = NULL;
	c->ses = NULL;
	tls.st.sessions--;
}

/* ---- the queue of connections waiting for a context and their turn ---- */

static void tls_enqueue(struct tls_conn *c)
{
	c->state = TLS_WAIT;
	c->wait_ms = port_now_ms();
	c->next_wait = NULL;
	if (tls.wait_tail)
		tls.wait_tail->next_wait = c;
	else
		tls.wait_head = c;
	tls.wait_tail = c;
	tls.st.waiting++;
}

static void tls_dequeue(struct tls_conn *c)
{
	if (c->state != TLS_WAIT)
		return;
	struct tls_conn *prev = NULL;
	for (struct tls_conn *q = tls.wait_head; q; prev = q, q = q->next_wait) {
		if (q != c)
			continue;
		if (prev)
			prev->next_wait = c->next_wait;
		else
			tls.wait_head = c->next_wait;
		if (tls.wait_tail == c)
			tls.wait_tail = prev;
		tls.st.waiting--;
		break;
	}
	c->next_wait = NULL;
}

static struct tls_session *tls_free_context(void)
{
	for (int i = 0; i < IMAPD_MAX_TLS_SESSIONS; i++)
		if (!tls_pool[i].owner)
			return &tls_pool[i];
	return NULL;
}

static unsigned tls_free_contexts(void)
{
	unsigned n = 0;
	for (int i = 0; i < IMAPD_MAX_TLS_SESSIONS; i++)
		n += !tls_pool[i].owner;
	return n;
}

/* First come, first served: only the oldest waiter may start, so a stream
 * of newcomers cannot keep one waiting until its timeout. */
static bool tls_turn_come(const struct tls_conn *c)
{
	return c->state == TLS_WAIT && tls.wait_head == c && tls.handshaking < TLS_HANDSHAKES &&
	       tls_free_context() != NULL;
}

/* Fatal TLS error or end: drop the context now (another client may use
 * it) and let the plain transport close after its queued bytes (an alert). */
static void tls_kill(struct tls_conn *c)
{
	tls_dequeue(c);
	tls_session_free(c);
	c->state = TLS_DEAD;
	c->out_pending = false;
	c->plain->ops->flush(c->plain);
	c->plain->ops->close(c->plain);
}

/* Mbed TLS's own wrap-up at the end of a TLS 1.2 handshake (internal:
 * library/ssl_misc.h): frees the handshake parameters (transcript hashes,
 * the handshake-traffic keys of TLS 1.3, key share, buffers) and makes the
 * negotiated transform current, which TLS 1.3 does not use. Mbed TLS 3.6
 * does not call it for TLS 1.3, whose handshake state would otherwise stay
 * allocated for the session's life (about 3 KB; docs/tls.md). A TLS 1.3
 * server needs none of it afterwards: it sends no post-handshake messages
 * (no tickets, no KeyUpdate) and refuses any it receives. */
void mbedtls_ssl_handshake_wrapup_free_hs_transform(mbedtls_ssl_context *ssl);
#if MBEDTLS_VERSION_NUMBER >= 0x03070000
#error "check that mbedtls_ssl_handshake_wrapup_free_hs_transform still fits tls_handshake_done"
#endif

static void tls_handshake_done(struct tls_conn *c)
{
	struct tls_session *ses = c->ses;
	if (mbedtls_ssl_get_version_number(&ses->ssl) == MBEDTLS_SSL_VERSION_TLS1_3)
		mbedtls_ssl_handshake_wrapup_free_hs_transform(&ses->ssl);
	c->state = TLS_OPEN;
	tls.handshaking--;
	tls.st.handshakes++;
#if defined(IMAPD_TLS_MEASURE)
	/* Handshakes run one at a time, so the counters are this one's, give
	 * or take what other sessions allocated meanwhile (PBKDF2 at LOGIN). */
	struct tls_heap_stats hs;
	tls_heap_get_stats(&hs);
	size_t before = ses->used_before;
	size_t now = hs.used;
	size_t top = hs.peak;
	size_t peak = top > before ? top - before : 0;
	size_t resident = now > before ? now - before : 0;
	if (peak > tls.st.session_peak)
		tls.st.session_peak = peak;
	port_log(PORT_LOG_INFO, "tls: %s %s in %u ms, arena peak %u resident %u bytes",
		 mbedtls_ssl_get_version(&ses->ssl), mbedtls_ssl_get_ciphersuite(&ses->ssl),
		 (unsigned)(port_now_ms() - ses->start_ms), (unsigned)peak, (unsigned)resident);
#else
	port_log(PORT_LOG_INFO, "tls: %s %s in %u ms", mbedtls_ssl_get_version(&ses->ssl),
		 mbedtls_ssl_get_ciphersuite(&ses->ssl),
		 (unsigned)(port_now_ms() - ses->start_ms));
#endif
}

/* One bounded slice of the handshake. */
static void tls_handshake_slice(struct tls_conn *c)
{
	struct tls_session *ses = c->ses;
	int r = 0;
	ses->step_ready = false;
	for (int i = 0; i < TLS_SLICE_STEPS; i++) {
		r = mbedtls_ssl_handshake_step(&ses->ssl);
		if (r != 0 || mbedtls_ssl_is_handshake_over(&ses->ssl))
			break;
	}
	c->plain->ops->flush(c->plain);
	if (r == 0 && mbedtls_ssl_is_handshake_over(&ses->ssl)) {
		tls_handshake_done(c);
	} else if (r == 0) {
		ses->step_ready = true;
	} else if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
		tls.st.failures++;
		port_log(PORT_LOG_INFO, "tls: handshake failed (-0x%04x)", (unsigned)-r);
		tls_kill(c);
	}
}

/* Hand the rest of a partly written record to the plain transport. */
static bool tls_flush_pending(struct tls_conn *c)
{
	if (!c->out_pending)
		return true;
	static const unsigned char none;
	int r = mbedtls_ssl_write(&c->ses->ssl, &none, 0);   /* only flushes */
	if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return false;
	c->out_pending = false;
	if (r < 0) {
		tls_kill(c);
		return false;
	}
	return true;
}

/* Take a context and begin the handshake if this waiter's turn has come. */
static void tls_begin(struct tls_conn *c)
{
	if (!tls_turn_come(c))
		return;
	struct tls_session *ses = tls_free_context();
	tls_dequeue(c);
#if defined(IMAPD_TLS_MEASURE)
	struct tls_heap_stats hs;
	tls_heap_get_stats(&hs);
	ses->used_before = hs.used;
	tls_heap_peak_reset();
#endif
	mbedtls_ssl_init(&ses->ssl);
	int r = mbedtls_ssl_setup(&ses->ssl, &tls.conf);
	if (r != 0) {
		/* The arena is sized for the pool, so this means fragmentation or a
		 * mis-sized arena: worth a log line. */
		port_log(PORT_LOG_ERR, "tls: no memory for a session (-0x%04x)", (unsigned)-r);
		mbedtls_ssl_free(&ses->ssl);
		tls.st.refused++;
		tls_kill(c);
		return;
	}
	mbedtls_ssl_set_bio(&ses->ssl, c, tls_bio_send, tls_bio_recv, NULL);
	ses->owner = c;
	ses->start_ms = port_now_ms();
	ses->step_ready = true;
	c->ses = ses;
	c->state = TLS_HANDSHAKE;
	tls.handshaking++;
	tls.st.sessions++;
}

/* Start or run the handshake if one is due; true if application data can
 * flow. */
static bool tls_ready(struct tls_conn *c)
{
	if (c->state == TLS_WAIT)
		tls_begin(c);
	if (c->state == TLS_HANDSHAKE)
		tls_handshake_slice(c);
	return c->state == TLS_OPEN;
}

static size_t tls_op_read(struct transport *t, void *buf, size_t len)
{
	struct tls_conn *c = (struct tls_conn *)t;
	if (c->state == TLS_PLAIN)
		return c->plain->ops->read(c->plain, buf, len);
	if (!tls_ready(c) || len == 0)
		return 0;
	/* A record without application data (an alert, a post-handshake
	 * message) also ends in WANT_READ; the next record may already be
	 * queued, and no network event would come for it: try again while
	 * bytes keep arriving. */
	int r;
	int tries = 4;
	do {
		c->ses->rx_got = false;
		r = mbedtls_ssl_read(&c->ses->ssl, buf, len);
	} while (r == MBEDTLS_ERR_SSL_WANT_READ && c->ses->rx_got && --tries > 0);
	if (r > 0)
		return (size_t)r;
	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	/* close_notify, or a fatal record error (alert already sent). */
	if (r != MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY && r != 0)
		port_log(PORT_LOG_INFO, "tls: read failed (-0x%04x)", (unsigned)-r);
	tls_kill(c);
	return 0;
}

static size_t tls_op_write_space(struct transport *t)
{
	struct tls_conn *c = (struct tls_conn *)t;
	if (c->state == TLS_PLAIN)
		return c->plain->ops->write_space(c->plain);
	if (!tls_ready(c) || !tls_flush_pending(c))
		return 0;
	/* Room for one whole record: payload plus header, IV and tag. */
	size_t room = c->plain->ops->write_space(c->plain);
	int exp = mbedtls_ssl_get_record_expansion(&c->ses->ssl);
	int max = mbedtls_ssl_get_max_out_record_payload(&c->ses->ssl);
	if (exp < 0 || max <= 0 || room <= (size_t)exp)
		return 0;
	room -= (size_t)exp;
	return room < (size_t)max ? room : (size_t)max;
}

static size_t tls_op_write(struct transport *t, const void *buf, size_t len)
{
	struct tls_conn *c = (struct tls_conn *)t;
	if (c->state == TLS_PLAIN)
		return c->plain->ops->write(c->plain, buf, len);
	size_t done = 0;
	while (done < len) {
		size_t n = tls_op_write_space(t);
		if (n == 0)
			break;
		if (n > len - done)
			n = len - done;
		int r = mbedtls_ssl_write(&c->ses->ssl, (const unsigned char *)buf + done, n);
		if (r == MBEDTLS_ERR_SSL_WANT_WRITE) {
			/* The record is built and owns the data; only its tail waits. */
			c->out_pending = true;
			done += n;
			break;
		}
		if (r < 0) {
			port_log(PORT_LOG_INFO, "tls: write failed (-0x%04x)", (unsigned)-r);
			tls_kill(c);
			break;
		}
		done += (size_t)r;
	}
	return done;
}

static void tls_op_flush(struct transport *t)
{
	struct tls_conn *c = (struct tls_conn *)t;
	if (c->state == TLS_DEAD)
		return;
	if (c->state == TLS_OPEN)
		tls_flush_pending(c);
	else if (c->state != TLS_PLAIN)
		tls_ready(c);
	if (c->state != TLS_DEAD)
		c->plain->ops->flush(c->plain);
}

static int tls_op_start_tls(struct transport *t)
{
	struct tls_conn *c = (struct tls_conn *)t;
	if (c->state != TLS_PLAIN)
		return -1;
	/* The tagged OK goes out in clear; whatever the client sent before it
	 * saw that OK is discarded, never read as commands (plaintext
	 * injection, RFC 3207 5 / RFC 9051 11.1). */
	c->plain->ops->flush(c->plain);
	unsigned char junk[128];
	while (c->plain->ops->read(c->plain, junk, sizeof junk) > 0)
		;
	return tls_conn_start(c);
}

/* A context is free and not promised to an earlier waiter (which may be
 * on port 993, waiting for one): STARTTLS then waits only for the
 * handshake turn, never for an open session to end. */
static int tls_op_can_start_tls(const struct transport *t)
{
	const struct tls_conn *c = (const struct tls_conn *)t;
	if (!tls.server_up || c->state != TLS_PLAIN)
		return 0;
	return tls_free_contexts() > tls.st.waiting;
}

static int tls_op_is_secure(const struct transport *t)
{
	const struct tls_conn *c = (const struct tls_conn *)t;
	return c->state == TLS_OPEN;
}

static void tls_op_close(struct transport *t)
{
	struct tls_conn *c = (struct tls_conn *)t;
	if (c->state == TLS_DEAD)
		return;
	if (c->state == TLS_OPEN && tls_flush_pending(c))
		mbedtls_ssl_close_notify(&c->ses->ssl);   /* best effort */
	if (c->state == TLS_DEAD)
		return;
	tls_kill(c);
}

static uint32_t tls_op_peer_addr(const struct transport *t)
{
	const struct tls_conn *c = (const struct tls_conn *)t;
	return c->plain->ops->peer_addr(c->plain);
}

static const struct transport_ops tls_ops = {
	.read = tls_op_read,
	.write = tls_op_write,
	.write_space = tls_op_write_space,
	.flush = tls_op_flush,
	.start_tls = tls_op_start_tls,
	.can_start_tls = tls_op_can_start_tls,
	.is_secure = tls_op_is_secure,
	.close = tls_op_close,
	.peer_addr = tls_op_peer_addr,
};

void tls_conn_init(struct tls_conn *c, struct transport *plain)
{
	c->base.ops = &tls_ops;
	c->plain = plain;
	c->ses = NULL;
	c->next_wait = NULL;
	c->wait_ms = 0;
	c->state = TLS_PLAIN;
	c->out_pending = false;
}

int tls_conn_start(struct tls_conn *c)
{
	if (!tls.server_up || c->state != TLS_PLAIN)
		return -1;
	tls_enqueue(c);
	tls_begin(c);
	if (c->state == TLS_WAIT) {
		tls.st.queued++;
		if (tls_free_contexts() == 0)
			port_log(PORT_LOG_INFO, "tls: all %u TLS sessions busy: waiting for one to end",
				 (unsigned)IMAPD_MAX_TLS_SESSIONS);
		else
			port_log(PORT_LOG_INFO, "tls: waiting for another handshake to finish");
	}
	return c->state == TLS_DEAD ? -1 : 0;   /* DEAD: no memory, closing */
}

bool tls_conn_poll(struct tls_conn *c)
{
	if (c->state == TLS_WAIT) {
		tls_begin(c);
		if (c->state == TLS_WAIT) {
			if (port_now_ms() - c->wait_ms <= TLS_WAIT_TIMEOUT_MS)
				return false;
			tls.st.refused++;
			port_log(PORT_LOG_INFO, "tls: no turn to handshake within %u s: closed",
				 (unsigned)(TLS_WAIT_TIMEOUT_MS / 1000u));
			tls_kill(c);
			return true;
		}
		if (c->state != TLS_HANDSHAKE)
			return true;
	}
	if (c->state != TLS_HANDSHAKE)
		return false;
	if (port_now_ms() - c->ses->start_ms > TLS_HANDSHAKE_TIMEOUT_MS) {
		tls.st.failures++;
		port_log(PORT_LOG_INFO, "tls: handshake timed out");
		tls_kill(c);
		return true;
	}
	tls_handshake_slice(c);
	return c->state != TLS_HANDSHAKE;
}

bool tls_conn_pending(const struct tls_conn *c)
{
	return (c->state == TLS_HANDSHAKE && c->ses->step_ready) || tls_turn_come(c);
}

void tls_conn_release(struct tls_conn *c)
{
	tls_dequeue(c);
	tls_session_free(c);
	if (c->state != TLS_PLAIN)
		c->state = TLS_DEAD;
}

void tls_get_stats(struct tls_stats *st)
{
	*st = tls.st;
	st->arena_size = sizeof tls_arena;
	struct tls_heap_stats hs;
	tls_heap_get_stats(&hs);
	st->arena_used = hs.used;
	st->arena_failures = hs.failures + hs.bad_frees;
}
