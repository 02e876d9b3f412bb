/*
 * auth.c - user accounts kept in the store as config records
 * "user/<name>" = version(1) iterations(4, LE) salt(16) PBKDF2-HMAC-SHA256(32).
 *
 * The iteration count is stored per user so it can be raised later without
 * invalidating existing passwords.
 */
#include <string.h>

#include "auth.h"
#include "imap_mailbox.h"
#include "imapd_config.h"
#include "port.h"
#include "store.h"
#include "tls.h"

#include "mbedtls/constant_time.h"
#include "mbedtls/md.h"
#include "mbedtls/pkcs5.h"
#include "mbedtls/platform_util.h"

/* Measured on the QEMU mps2-an385 board (log level 2 prints each figure):
 * 1000 iterations 14-18 ms, 3000 24-40 ms, 4000 26-64 ms (median 37 ms, a
 * busy 2-core host). About 50 ms per verification, paid by the single task
 * per login attempt; throttling bounds how often. */
#ifndef AUTH_PBKDF2_ITERATIONS
#define AUTH_PBKDF2_ITERATIONS 4000
#endif

/* A record claiming more is damaged: a login would take minutes */
#define AUTH_PBKDF2_MAX 1000000u

#define AUTH_REC_VERSION 1
#define AUTH_SALT 16
#define AUTH_HASH 32
#define AUTH_REC_LEN (1 + 4 + AUTH_SALT + AUTH_HASH)

static bool user_key(const char *user, char key[STORE_CFG_KEY_MAX + 1])
{
	size_t n = strlen(user);
	/* '$' starts pseudo-owners such as the shared namespace's */
	if (n == 0 || n > IMAPD_USER_MAX || n + 5 > STORE_CFG_KEY_MAX || user[0] == '$')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)user[i] <= 0x20 || user[i] == '/' || user[i] == 0x7f)
			return false;
	memcpy(key, "user/", 5);
	memcpy(key + 5, user, n + 1);
	return true;
}

static int derive(const char *password, const uint8_t *salt, uint32_t iter, uint8_t out[AUTH_HASH])
{
	/* Mbed TLS allocates from the static arena tls_crypto_init() sets up
	 * (idempotent), so users can be handled before any listener starts */
	if (tls_crypto_init() != 0)
		return -1;
	return mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, (const unsigned char *)password,
					     strlen(password), salt, AUTH_SALT, iter, AUTH_HASH, out);
}

int auth_user_add(struct store *s, const char *user, const char *password)
{
	char key[STORE_CFG_KEY_MAX + 1];
	uint8_t rec[AUTH_REC_LEN];
	uint32_t iter = AUTH_PBKDF2_ITERATIONS;
	if (!user_key(user, key) || strlen(password) > IMAPD_PASS_MAX)
		return STORE_INVAL;
	rec[0] = AUTH_REC_VERSION;
	for (int i = 0; i < 4; i++)
		rec[1 + i] = (uint8_t)(iter >> (8 * i));
	if (port_entropy(rec + 5, AUTH_SALT) != 0)
		return STORE_IO;
	if (derive(password, rec + 5, iter, rec + 5 + AUTH_SALT) != 0)
		return STORE_IO;
	int r = store_cfg_put(s, key, rec, sizeof(rec));
	memset(rec, 0, sizeof(rec));
	if (r != STORE_OK)
		return r;
	return imap_mbox_create_defaults(s, user);
}

/* One HMAC-SHA256 with the keyed states: out = H(outer || H(inner || m)). */
static void hmac_keyed(const struct auth_check *c, const uint8_t *m, size_t len, uint8_t out[32])
{
	mbedtls_sha256_context h;
	uint8_t in[32];
	mbedtls_sha256_init(&h);
	mbedtls_sha256_clone(&h, &c->inner);
	mbedtls_sha256_update(&h, m, len);
	mbedtls_sha256_finish(&h, in);
	mbedtls_sha256_clone(&h, &c->outer);
	mbedtls_sha256_update(&h, in, sizeof(in));
	mbedtls_sha256_finish(&h, out);
	mbedtls_sha256_free(&h);
}

void auth_check_begin(struct auth_check *c, struct store *s, const char *user,
		      const char *password)
{
	char key[STORE_CFG_KEY_MAX + 1];
	uint8_t rec[AUTH_REC_LEN], k[64] = { 0 }, pad[64];
	memset(c, 0, sizeof(*c));
	c->known = user_key(user, key) && store_cfg_get(s, key, rec, sizeof(rec)) == (int)sizeof(rec) &&
		   rec[0] == AUTH_REC_VERSION;
	uint32_t iter = (uint32_t)rec[1] | (uint32_t)rec[2] << 8 | (uint32_t)rec[3] << 16 |
			(uint32_t)rec[4] << 24;
	if (!c->known || iter == 0 || iter > AUTH_PBKDF2_MAX) {
		/* An unknown user costs the same rounds as a known one, so the
		 * answer's timing does not tell which names exist. */
		memset(rec, 0, sizeof(rec));
		iter = AUTH_PBKDF2_ITERATIONS;
		c->known = false;
	}
	memcpy(c->expected, rec + 5 + AUTH_SALT, AUTH_HASH);
	/* HMAC key: the password, hashed first if longer than a block */
	size_t plen = strlen(password);
	if (plen > sizeof(k))
		mbedtls_sha256((const unsigned char *)password, plen, k, 0);
	else
		memcpy(k, password, plen);
	mbedtls_sha256_init(&c->inner);
	mbedtls_sha256_init(&c->outer);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	mbedtls_sha256_starts(&c->inner, 0);
	mbedtls_sha256_update(&c->inner, pad, sizeof(pad));
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	mbedtls_sha256_starts(&c->outer, 0);
	mbedtls_sha256_update(&c->outer, pad, sizeof(pad));
	/* U_1 = HMAC(P, salt || INT(1)) */
	uint8_t first[AUTH_SALT + 4];
	memcpy(first, rec + 5, AUTH_SALT);
	first[AUTH_SALT] = first[AUTH_SALT + 1] = first[AUTH_SALT + 2] = 0;
	first[AUTH_SALT + 3] = 1;
	hmac_keyed(c, first, sizeof(first), c->u);
	memcpy(c->t, c->u, sizeof(c->t));
	c->left = iter - 1;
	c->rounds = iter;
	c->t0_ms = port_now_ms();
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
	memset(rec, 0, sizeof(rec));
}

bool auth_check_step(struct auth_check *c, uint32_t n)
{
	for (; c->left && n; c->left--, n--) {
		hmac_keyed(c, c->u, sizeof(c->u), c->u);   /* U_i = HMAC(P, U_i-1) */
		for (int i = 0; i < 32; i++)
			c->t[i] ^= c->u[i];
	}
	return c->left == 0;
}

bool auth_check_result(struct auth_check *c)
{
	bool ok = c->left == 0 && mbedtls_ct_memcmp(c->t, c->expected, AUTH_HASH) == 0 && c->known;
	/* the time a login takes, spread over slices: the figure to tune by */
	port_log(PORT_LOG_DEBUG, "auth: PBKDF2-HMAC-SHA256 %lu iterations in %lu ms",
		 (unsigned long)c->rounds, (unsigned long)(port_now_ms() - c->t0_ms));
	auth_check_wipe(c);
	return ok;
}

void auth_check_wipe(struct auth_check *c)
{
	mbedtls_sha256_free(&c->inner);
	mbedtls_sha256_free(&c->outer);
	mbedtls_platform_zeroize(c, sizeof(*c));
}

bool auth_verify(struct store *s, const char *user, const char *password)
{
	struct auth_check c;
	auth_check_begin(&c, s, user, password);
	(void)auth_check_step(&c, UINT32_MAX);
	return auth_check_result(&c);
}
