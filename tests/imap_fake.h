/*
 * imap_fake.h - what the IMAP engine's unit tests share: a RAM flash store
 * with users, and fake connections (struct transport) that the test feeds
 * and whose output it reads, driven the way imapd.c drives a session.
 *
 * A connection's transport is paced by the test: read_chunk bounds the bytes
 * one read() returns, write_chunk those one write() accepts, and room those
 * accepted per run() pass (refilled before every pass), so short reads and
 * output back-pressure down to 1 byte can be exercised. Header-only: each
 * test binary includes it once.
 */
#ifndef IMAP_FAKE_H
#define IMAP_FAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "flash_sim.h"
#include "imap_session.h"
#include "port.h"
#include "port_posix.h"
#include "store.h"
#include "tls.h"
#include "transport.h"

#define FAKE_SECTOR 4096u
#define FAKE_SECTORS 128u      /* 512 KiB */
#define FAKE_IN_MAX 65536u
#define FAKE_OUT_MAX 262144u
#define FAKE_SETTLE_MAX 2000000 /* run() passes before a connection counts as livelocked */

static uint8_t fake_mem[FAKE_SECTOR * FAKE_SECTORS];
static uint32_t fake_erases[FAKE_SECTORS];
static struct flash_sim fake_fs;
static struct store fake_store;

static const struct imapd_options fake_opt = {
	.port = 143, .allow_plaintext = true, .store = &fake_store, .hostname = "test.host",
};
static const struct imap_server_info fake_srv = { .opt = &fake_opt, .starttls_available = false };

struct fake_conn {
	struct transport t;        /* first: a transport pointer is the connection */
	struct imap_session s;
	char in[FAKE_IN_MAX];
	size_t in_len, in_pos;
	size_t read_chunk;         /* 0: unbounded */
	size_t write_chunk;        /* 0: unbounded */
	size_t room_per_pass;      /* 0: unbounded */
	size_t room;
	char out[FAKE_OUT_MAX + 1];
	size_t out_len, out_taken;
	int closes;
	size_t out_at_close;
	bool io_after_close;
	uint32_t peer;
};

static inline size_t fake_read(struct transport *t, void *buf, size_t len)
{
	struct fake_conn *c = (struct fake_conn *)t;
	if (c->closes)
		c->io_after_close = true;
	size_t n = c->in_len - c->in_pos;
	if (n > len)
		n = len;
	if (c->read_chunk && n > c->read_chunk)
		n = c->read_chunk;
	memcpy(buf, c->in + c->in_pos, n);
	c->in_pos += n;
	return n;
}

static inline size_t fake_space(struct transport *t)
{
	struct fake_conn *c = (struct fake_conn *)t;
	size_t n = FAKE_OUT_MAX - c->out_len;
	if (c->room_per_pass && n > c->room)
		n = c->room;
	if (c->write_chunk && n > c->write_chunk)
		n = c->write_chunk;
	return c->closes ? 0 : n;
}

static inline size_t fake_write(struct transport *t, const void *buf, size_t len)
{
	struct fake_conn *c = (struct fake_conn *)t;
	if (c->closes)
		c->io_after_close = true;
	size_t n = fake_space(t);
	if (n > len)
		n = len;
	memcpy(c->out + c->out_len, buf, n);
	c->out_len += n;
	if (c->room_per_pass)
		c->room -= n;
	return n;
}

static inline void fake_flush(struct transport *t) { (void)t; }
static inline int fake_start_tls(struct transport *t) { (void)t; return -1; }
static inline int fake_is_secure(const struct transport *t) { (void)t; return 0; }

static inline void fake_close(struct transport *t)
{
	struct fake_conn *c = (struct fake_conn *)t;
	c->closes++;
	c->out_at_close = c->out_len;
}

static inline uint32_t fake_peer(const struct transport *t)
{
	return ((const struct fake_conn *)t)->peer;
}

static const struct transport_ops fake_ops = {
	.read = fake_read, .write = fake_write, .write_space = fake_space, .flush = fake_flush,
	.start_tls = fake_start_tls, .is_secure = fake_is_secure, .close = fake_close,
	.peer_addr = fake_peer,
};

/* A blank store with users alice/secret and bob/hunter2. */
static inline void fake_store_init(void)
{
	static const struct flash_geometry geo = { FAKE_SECTOR, FAKE_SECTORS, 4 };
	static bool crypto;
	port_set_log_level(PORT_LOG_ERR);
	if (!crypto && tls_crypto_init() != 0) {
		printf("tls_crypto_init failed\n");
		exit(2);
	}
	crypto = true;
	flash_sim_init(&fake_fs, &geo, fake_mem, fake_erases, NULL, NULL);
	flash_sim_erase_all(&fake_fs);
	if (store_format(&fake_store, &fake_fs.dev) != STORE_OK ||
	    store_mount(&fake_store, &fake_fs.dev) != STORE_OK ||
	    auth_user_add(&fake_store, "alice", "secret") != STORE_OK ||
	    auth_user_add(&fake_store, "bob", "hunter2") != STORE_OK) {
		printf("store set-up failed\n");
		exit(2);
	}
}

static inline void fake_store_done(void) { store_unmount(&fake_store); }

static uint32_t fake_next_peer = 0x0a000001u;

/* Open a session on c (its greeting is left in c->out). */
static inline void fake_open(struct fake_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->t.ops = &fake_ops;
	c->peer = fake_next_peer++;   /* one source each: no login throttling across tests */
	imap_session_open(&c->s, &c->t, &fake_srv);
}

static inline void fake_send(struct fake_conn *c, const char *data, size_t len)
{
	if (c->in_len + len > FAKE_IN_MAX) {
		printf("fake_send: input overflow\n");
		exit(2);
	}
	memcpy(c->in + c->in_len, data, len);
	c->in_len += len;
}

static inline void fake_sends(struct fake_conn *c, const char *z) { fake_send(c, z, strlen(z)); }

/* Run the session (and store GC slices) until it makes no more progress:
 * no input consumed, no output accepted, nothing pending. Returns the passes. */
static inline long fake_settle(struct fake_conn *c)
{
	for (long pass = 1; pass <= FAKE_SETTLE_MAX; pass++) {
		size_t in0 = c->in_pos, out0 = c->out_len;
		int closes0 = c->closes;
		c->room = c->room_per_pass;
		imap_session_run(&c->s);
		bool gc = store_poll(&fake_store);
		if (c->closes)
			return pass;
		if (c->in_pos == in0 && c->out_len == out0 && c->closes == closes0 && !gc &&
		    !imap_session_pending(&c->s))
			return pass;
	}
	printf("fake_settle: the session does not settle\n");
	return -1;
}

/* Output since the last call, NUL-terminated (valid until the next call). */
static inline const char *fake_take(struct fake_conn *c)
{
	static char buf[FAKE_OUT_MAX + 1];
	size_t n = c->out_len - c->out_taken;
	memcpy(buf, c->out + c->out_taken, n);
	buf[n] = '\0';
	c->out_taken = c->out_len;
	return buf;
}

/* Send a command, settle, return the output it produced. */
static inline const char *fake_cmd(struct fake_conn *c, const char *line)
{
	fake_sends(c, line);
	fake_settle(c);
	return fake_take(c);
}

static inline void fake_close_conn(struct fake_conn *c) { imap_session_closed(&c->s); }

/* The capability lists of the greeting (not authenticated) and after login. */
#define FAKE_CAPS_NA                                                                       \
	"IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ENABLE ID IDLE NAMESPACE UNSELECT AUTH=PLAIN"
#define FAKE_CAPS_AU                                                                       \
	"IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ENABLE ID IDLE NAMESPACE UNSELECT CHILDREN "     \
	"LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UTF8=ACCEPT ACL RIGHTS=kxte " \
	"UIDPLUS MOVE ESEARCH SEARCHRES BINARY STATUS=SIZE CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE APPENDLIMIT=33554432"

#endif
