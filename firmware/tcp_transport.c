/*
 * tcp_transport.c - the plain TCP transport (see tcp_transport.h).
 */
#include "tcp_transport.h"

#include <stddef.h>

#include "lwip/pbuf.h"
#include "lwip/tcp.h"

static struct tcp_transport *tt_of(struct transport *t)
{
	return (struct tcp_transport *)(void *)((char *)t - offsetof(struct tcp_transport, t));
}

static const struct tcp_transport *tt_of_const(const struct transport *t)
{
	return (const struct tcp_transport *)(const void *)
		((const char *)t - offsetof(struct tcp_transport, t));
}

static size_t tt_read(struct transport *t, void *buf, size_t len)
{
	struct tcp_transport *tt = tt_of(t);

	if (!tt->rx || tt->closing)
		return 0;
	/* A chain never exceeds the receive window (< 64 KiB), so u16 fits. */
	if (len > tt->rx->tot_len)
		len = tt->rx->tot_len;
	u16_t n = pbuf_copy_partial(tt->rx, buf, (u16_t)len, 0);
	tt->rx = pbuf_free_header(tt->rx, n);
	if (tt->pcb)
		tcp_recved(tt->pcb, n);
	return n;
}

static size_t tt_write_space(struct transport *t)
{
	struct tcp_transport *tt = tt_of(t);

	if (!tt->pcb || tt->closing || tcp_sndqueuelen(tt->pcb) >= TCP_SND_QUEUELEN)
		return 0;
	return tcp_sndbuf(tt->pcb);
}

static size_t tt_write(struct transport *t, const void *buf, size_t len)
{
	struct tcp_transport *tt = tt_of(t);
	size_t room = tt_write_space(t);

	if (len > room)
		len = room;
	if (len == 0)
		return 0;
	/* ERR_MEM: out of segments or heap for this much. One segment's worth
	 * may still fit; otherwise the session retries on the next sent or
	 * poll event. */
	if (tcp_write(tt->pcb, buf, (u16_t)len, TCP_WRITE_FLAG_COPY) == ERR_OK)
		return len;
	if (len > TCP_MSS && tcp_write(tt->pcb, buf, TCP_MSS, TCP_WRITE_FLAG_COPY) == ERR_OK)
		return TCP_MSS;
	return 0;
}

static void tt_flush(struct transport *t)
{
	struct tcp_transport *tt = tt_of(t);

	if (tt->pcb)
		tcp_output(tt->pcb);
}

/* No TLS on this pipe; a TLS transport, when configured, wraps it instead. */
static int tt_start_tls(struct transport *t)
{
	(void)t;
	return -1;
}

static int tt_is_secure(const struct transport *t)
{
	(void)t;
	return 0;
}

static void tt_close(struct transport *t)
{
	struct tcp_transport *tt = tt_of(t);

	tt->closing = true;
	tcp_transport_discard(tt);
}

static uint32_t tt_peer_addr(const struct transport *t)
{
	return tt_of_const(t)->peer;
}

static int tt_can_start_tls(const struct transport *t)
{
	(void)t;
	return 0;   /* a bare TCP transport has no TLS under it */
}

static const struct transport_ops tcp_transport_ops = {
	.read = tt_read,
	.write = tt_write,
	.write_space = tt_write_space,
	.flush = tt_flush,
	.start_tls = tt_start_tls,
	.can_start_tls = tt_can_start_tls,
	.is_secure = tt_is_secure,
	.close = tt_close,
	.peer_addr = tt_peer_addr,
};

void tcp_transport_init(struct tcp_transport *tt, struct tcp_pcb *pcb)
{
	tt->t.ops = &tcp_transport_ops;
	tt->pcb = pcb;
	tt->rx = NULL;
	tt->peer = ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip));
	tt->peer_port = pcb->remote_port;
	tt->eof = false;
	tt->closing = false;
}

void tcp_transport_rx(struct tcp_transport *tt, struct pbuf *p)
{
	if (!p) {
		tt->eof = true;
		return;
	}
	if (tt->closing) {
		/* Nobody will read it: acknowledge and drop. */
		if (tt->pcb)
			tcp_recved(tt->pcb, p->tot_len);
		pbuf_free(p);
		return;
	}
	if (tt->rx)
		pbuf_cat(tt->rx, p);
	else
		tt->rx = p;
}

uint32_t tcp_transport_unread(const struct tcp_transport *tt)
{
	return tt->rx ? tt->rx->tot_len : 0;
}

void tcp_transport_discard(struct tcp_transport *tt)
{
	if (!tt->rx)
		return;
	if (tt->pcb)
		tcp_recved(tt->pcb, tt->rx->tot_len);
	pbuf_free(tt->rx);
	tt->rx = NULL;
}

bool tcp_transport_drained(const struct tcp_transport *tt)
{
	return !tt->pcb ||
	       (tcp_sndqueuelen(tt->pcb) == 0 && tcp_sndbuf(tt->pcb) == TCP_SND_BUF);
}

void tcp_transport_detach(struct tcp_transport *tt)
{
	if (tt->rx) {
		pbuf_free(tt->rx);
		tt->rx = NULL;
	}
	tt->pcb = NULL;
}
