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

/* Measured on the QEMU mps2-an385 board (log level 2 prints each figure):
 * 1000 iterations 14-18 ms, 3000 24-40 ms, 4000 26-64 ms (median 37 ms, a
 * busy 2-core host). About 50 ms per verification, paid by the single task
 * per login attempt; throttling bounds how often. */
#ifndef AUTH_PBKDF2_ITERATIONS
#define AUTH_PBKDF2_ITERATIONS 4000
#endif

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

bool auth_verify(struct store *s, const char *user, const char *password)
{
	char key[STORE_CFG_KEY_MAX + 1];
	uint8_t rec[AUTH_REC_LEN], hash[AUTH_HASH];
	bool known = user_key(user, key) &&
		     store_cfg_get(s, key, rec, sizeof(rec)) == (int)sizeof(rec) &&
		     rec[0] == AUTH_REC_VERSION;
	uint32_t iter = (uint32_t)rec[1] | (uint32_t)rec[2] << 8 | (uint32_t)rec[3] << 16 |
			(uint32_t)rec[4] << 24;
	if (!known || iter == 0) {
		/* An unknown user costs the same derivation as a known one, so the
		 * answer's timing does not tell which names exist. */
		memset(rec, 0, sizeof(rec));
		iter = AUTH_PBKDF2_ITERATIONS;
		known = false;
	}
	uint32_t t0 = port_now_ms();
	bool ok = derive(password, rec + 5, iter, hash) == 0 &&
		  mbedtls_ct_memcmp(hash, rec + 5 + AUTH_SALT, AUTH_HASH) == 0 && known;
	/* the cost the single task pays per attempt: the figure to tune by */
	port_log(PORT_LOG_DEBUG, "auth: PBKDF2-HMAC-SHA256 %lu iterations took %lu ms",
		 (unsigned long)iter, (unsigned long)(port_now_ms() - t0));
	memset(hash, 0, sizeof(hash));
	return ok;
}
