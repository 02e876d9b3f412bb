/*
 * mbedtls_config_imapd.h - the Mbed TLS 3.6 configuration of the IMAP server.
 *
 * A TLS server and nothing else: TLS 1.3 and 1.2, ECDHE over X25519 and
 * secp256r1, ECDSA P-256 certificates, AES-GCM and ChaCha20-Poly1305, no
 * renegotiation, no session resumption, no sockets, files or clocks. Key and
 * self-signed certificate generation (first boot), PEM import of a user's
 * certificate, and PBKDF2-HMAC-SHA256 (password hashes) are the other users.
 * Every allocation comes from the static arena in tls.c.
 *
 * Selected with -DMBEDTLS_CONFIG_FILE='"mbedtls_config_imapd.h"' for the
 * library and for every file that includes an Mbed TLS header.
 */
#ifndef MBEDTLS_CONFIG_IMAPD_H
#define MBEDTLS_CONFIG_IMAPD_H

/* ---- platform: no heap, no libc allocator, no OS entropy ---- */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
/* With no std functions the default allocator returns NULL until the arena is
 * set up, so calloc/free are never linked into the firmware. */
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#include <stdio.h>   /* the printf family below; platform.h no longer includes it */
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO snprintf
#define MBEDTLS_PLATFORM_VSNPRINTF_MACRO vsnprintf
#define MBEDTLS_PLATFORM_PRINTF_MACRO printf
#define MBEDTLS_PLATFORM_FPRINTF_MACRO fprintf
#define MBEDTLS_PLATFORM_SETBUF_MACRO setbuf
#define MBEDTLS_PLATFORM_EXIT_MACRO exit
/* The allocator is ours: tls_heap.c, over a static arena (tls.c). */
/* Entropy only through mbedtls_hardware_poll() -> port_entropy(); PSA's
 * DRBG seeds from it (tls.c). */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* ---- crypto primitives ---- */
#define MBEDTLS_PSA_CRYPTO_C
/* Mbed TLS owns the buffers it hands PSA: avoids a 3.5 KB copy at the peak. */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS
/* TLS through PSA: a session's record keys are PSA keys (tens of bytes) and
 * each record's AEAD context lives on the stack for that record, instead of
 * two AES-GCM contexts a session kept in the arena (1.5 KB on the board). */
#define MBEDTLS_USE_PSA_CRYPTO
#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C            /* *_SHA384 suites */
#define MBEDTLS_SHA512_C            /* SHA-384 is built on it */
#define MBEDTLS_HKDF_C
#define MBEDTLS_PKCS5_C             /* PBKDF2-HMAC-SHA256 for password hashes */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
/* P-256 multiplications precompute 4 points instead of 8: the handshake
 * peak drops 1.4 KB on the board, for about 14% slower P-256 key exchange
 * and signature (Mbed TLS's own figures; X25519 does not use the window). */
#define MBEDTLS_ECP_WINDOW_SIZE 3
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C

/* ---- keys and certificates ---- */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C         /* a user's certificate and key arrive as PEM */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C

/* ---- TLS: server only, 1.2 and 1.3 ---- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE   /* required by the TLS 1.3 code */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
/* Only the six suites we serve: also keeps the suite table out of flash. */
#define MBEDTLS_SSL_CIPHERSUITES                                \
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256,                      \
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384,                      \
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,                \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,        \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,        \
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
/* Clients may send full 16 KB records (TLS 1.3 has no max_fragment_length);
 * ours need only hold the largest handshake message, the Certificate (Mbed
 * TLS fragments handshake messages over records only in DTLS), so
 * tls_install_pem refuses a chain that would not fit. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048

/* Host builds add a TLS client: unit tests run it against the server in one
 * process. The firmware has none. */
#if defined(IMAPD_TLS_HOST)
#define MBEDTLS_SSL_CLI_C
#endif
/* A platform with its own SHA-256 block function (a hash peripheral, or the
 * host's CPU instructions: port/posix/sha256_hw.c) provides it. */
#if defined(IMAPD_SHA256_ALT)
#define MBEDTLS_SHA256_PROCESS_ALT
#endif

#endif
