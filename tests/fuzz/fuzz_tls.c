/*
 * fuzz_tls.c - the TLS transport fed arbitrary client bytes.
 *
 * Input: one mode byte, then what the client sends. Mode bit 0: STARTTLS
 * (the bytes up to the first LF arrive as pipelined plaintext before
 * start_tls and must never be read afterwards); bits 1-3: how much the plain
 * transport accepts per write (exercises split records); bits 4-7: the size
 * of the chunks the input arrives in. Checked properties: no crash, no
 * hang (bounded polls), a failed handshake closes the connection and frees
 * its context, plaintext sent before STARTTLS never comes out of read(), and
 * the pool is empty after every run.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "store.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTOR 4096u
#define SECTORS 16u
static uint8_t flash_mem[SECTOR * SECTORS];
static uint32_t flash_erases[SECTORS];
static struct flash_sim flash;
static struct store store;

/* The plain transport: input arrives chunk by chunk, output is dropped. */
static struct plain {
	struct transport t;
	const uint8_t *in;
	size_t in_len, avail, chunk;
	size_t write_max;
	bool closed;
} pl;

static size_t p_read(struct transport *t, void *buf, size_t len)
{
	(void)t;
	if (pl.closed)
		return 0;
	size_t n = pl.avail < len ? pl.avail : len;
	memcpy(buf, pl.in, n);
	pl.in += n;
	pl.in_len -= n;
	pl.avail -= n;
	return n;
}

static size_t p_write(struct transport *t, const void *buf, size_t len)
{
	(void)t;
	(void)buf;
	if (pl.closed)
		return 0;
	return len < pl.write_max ? len : pl.write_max;
}

static size_t p_space(struct transport *t)
{
	(void)t;
	return pl.closed ? 0 : pl.write_max;
}

static void p_flush(struct transport *t)
{
	(void)t;
}

static int p_start_tls(struct transport *t)
{
	(void)t;
	return -1;
}

static int p_secure(const struct transport *t)
{
	(void)t;
	return 0;
}

static void p_close(struct transport *t)
{
	(void)t;
	pl.closed = true;
}

static uint32_t p_peer(const struct transport *t)
{
	(void)t;
	return 0;
}

static const struct transport_ops p_ops = {
	.read = p_read, .write = p_write, .write_space = p_space, .flush = p_flush,
	.start_tls = p_start_tls, .is_secure = p_secure, .close = p_close, .peer_addr = p_peer,
};

/* The next chunk of input becomes readable. */
static void arrive(void)
{
	size_t more = pl.in_len - pl.avail;
	pl.avail += more < pl.chunk ? more : pl.chunk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool up;
	static struct tls_conn conn;
	static uint8_t buf[4096];

	if (!up) {
		static const struct flash_geometry geo = { SECTOR, SECTORS, 4 };
		flash_sim_init(&flash, &geo, flash_mem, flash_erases, NULL, NULL);
		flash_sim_erase_all(&flash);
		if (store_format(&store, &flash.dev) != STORE_OK ||
		    store_mount(&store, &flash.dev) != STORE_OK || tls_init(&store, "fuzz", 0) != TLS_OK)
			abort();
		up = true;
	}
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	memset(&pl, 0, sizeof pl);
	pl.t.ops = &p_ops;
	pl.in = data + 1;
	pl.in_len = size - 1;
	pl.write_max = 1u + ((mode >> 1) & 7u) * 700u;
	pl.chunk = 1u + ((size_t)(mode >> 4) << 8);
	tls_conn_init(&conn, &pl.t);
	struct transport *t = tls_conn_transport(&conn);

	if (mode & 1) {
		/* STARTTLS: the plaintext line (and all else received so far) is
		 * pipelined before the session switches. */
		const uint8_t *lf = memchr(pl.in, '\n', pl.in_len);
		size_t line = lf ? (size_t)(lf - pl.in) + 1 : pl.in_len;
		pl.avail = line;
		if (t->ops->write(t, "a OK Begin TLS negotiation now\r\n", 32) == 0 && pl.write_max >= 32)
			abort();
		if (t->ops->start_tls(t) != 0 || pl.avail != 0)
			abort();   /* a free context, and the plaintext discarded */
	} else if (tls_conn_start(&conn) != 0) {
		abort();
	}

	for (int i = 0; i < 400 && !pl.closed; i++) {
		arrive();
		tls_conn_poll(&conn);
		size_t n = t->ops->read(t, buf, sizeof buf);
		if (n > sizeof buf || (n && !t->ops->is_secure(t)))
			abort();
		if (t->ops->is_secure(t) && t->ops->write_space(t) > 0)
			t->ops->write(t, "* OK\r\n", 6);
		if (pl.in_len == 0 && n == 0 && !tls_conn_pending(&conn))
			break;
	}
	if (pl.closed && t->ops->is_secure(t))
		abort();
	t->ops->close(t);
	tls_conn_release(&conn);
	struct tls_stats st;
	tls_get_stats(&st);
	if (st.sessions != 0)
		abort();
	return 0;
}
