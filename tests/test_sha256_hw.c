/*
 * test_sha256_hw.c - SHA-256 as the host build computes it (Mbed TLS with
 * port/posix/sha256_hw.c's block function on x86-64): FIPS 180-2 and
 * RFC 7914 answers through Mbed TLS, and the CPU-instruction block function
 * against the plain one on random states and blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/md.h"
#include "mbedtls/pkcs5.h"
#include "mbedtls/sha256.h"
#include "tls.h"
#include "unit.h"
#if defined(IMAPD_SHA256_ALT)
#include "sha256_hw.h"
#endif

static const char *hex(const unsigned char *p, size_t n)
{
	static char buf[2 * 64 + 1];

	for (size_t i = 0; i < n && i < 64; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	return buf;
}

static const char *sha(const void *msg, size_t len)
{
	unsigned char out[32];

	CHECK_EQ_INT(mbedtls_sha256(msg, len, out, 0), 0);
	return hex(out, 32);
}

TEST(fips_180_2)
{
	static unsigned char million[1000000];
	mbedtls_sha256_context c;
	unsigned char out[32];

	CHECK_EQ_STR(sha("abc", 3),
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_EQ_STR(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56),
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million));
	CHECK_EQ_STR(sha(million, sizeof(million)),
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* the same in odd pieces: partial blocks around the block function */
	mbedtls_sha256_init(&c);
	CHECK_EQ_INT(mbedtls_sha256_starts(&c, 0), 0);
	for (size_t off = 0, k = 1; off < sizeof(million); off += k, k = k * 7 % 1000 + 1)
		CHECK_EQ_INT(mbedtls_sha256_update(&c, million + off,
						   k < sizeof(million) - off ? k : sizeof(million) - off), 0);
	CHECK_EQ_INT(mbedtls_sha256_finish(&c, out), 0);
	mbedtls_sha256_free(&c);
	CHECK_EQ_STR(hex(out, 32), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* What auth.c uses: PBKDF2-HMAC-SHA256 (RFC 7914, section 11; RFC 6070's
 * inputs with SHA-256). */
TEST(pbkdf2_hmac_sha256)
{
	unsigned char dk[64];

	CHECK_EQ_INT(tls_crypto_init(), 0);   /* HMAC contexts come from its arena */
	CHECK_EQ_INT(mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, (const unsigned char *)"passwd",
						   6, (const unsigned char *)"salt", 4, 1, 64, dk), 0);
	CHECK_EQ_STR(hex(dk, 64), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
				  "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
	CHECK_EQ_INT(mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256,
						   (const unsigned char *)"password", 8,
						   (const unsigned char *)"salt", 4, 4096, 32, dk), 0);
	CHECK_EQ_STR(hex(dk, 32), "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

TEST(instructions_match_plain_c)
{
#if defined(IMAPD_SHA256_ALT)
	uint32_t a[8], b[8];
	uint8_t blk[64];

	if (!sha256_hw_available()) {
		printf("  (no SHA instructions on this CPU: plain C only)\n");
		return;
	}
	srand(7);
	for (int n = 0; n < 2000; n++) {
		for (int i = 0; i < 8; i++)
			a[i] = b[i] = (uint32_t)rand() << 16 ^ (uint32_t)rand();
		for (int i = 0; i < 64; i++)
			blk[i] = (uint8_t)rand();
		sha256_hw_block_c(a, blk);
		sha256_hw_block_ni(b, blk);
		CHECK(memcmp(a, b, sizeof(a)) == 0);
		if (memcmp(a, b, sizeof(a)))
			return;
	}
#else
	printf("  (no platform block function in this build)\n");
#endif
}

int main(void)
{
	RUN(fips_180_2);
	RUN(pbkdf2_hmac_sha256);
	RUN(instructions_match_plain_c);
	return UNIT_DONE();
}
