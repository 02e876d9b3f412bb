/*
 * imapd.c - the server: lwIP raw-API listeners (IMAP with STARTTLS, and
 * IMAPS), a fixed pool of session slots, and the event plumbing between lwIP
 * and the sessions.
 *
 * lwIP callbacks only record events (queue input, note output space, note a
 * dead pcb) and mark the slot runnable; sessions run from imapd_poll(), in
 * the main loop, never inside lwIP. So a session's transport calls
 * (tcp_write, tcp_output) are never re-entered from lwIP's input path.
 *
 * A slot's life: FREE -> OPEN (accepted; session running) -> CLOSING (the
 * session closed its transport, or the peer is gone and the session has
 * nothing left to do) -> FREE after tcp_close(), which lwIP completes on its
 * own (CLOSING lasts only while a FIN finds no memory), or at once when
 * lwIP reports the pcb dead (imapd_err).
 */
#include "imapd.h"

#include <string.h>

#include "imap_session.h"
#include "imapd_config.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "port.h"
#include "store.h"
#include "tcp_transport.h"
#include "tls.h"

/* lwIP's coarse poll interval is 500 ms; imapd_poll_cb runs every second. */
#define IMAPD_POLL_INTERVAL 2
/* A connection whose FIN finds no memory this long is aborted. */
#define IMAPD_CLOSE_TIMEOUT_MS 10000u
/* Session timer (idle timeouts, IDLE notifications). */
#define IMAPD_TICK_MS 200u

enum slot_state { SLOT_FREE, SLOT_OPEN, SLOT_CLOSING };

struct imapd_slot {
	struct imap_session session;
	struct tcp_transport tcp;
	struct tls_conn tls;       /* over tcp: pass-through until (STARTTLS or port 993) TLS */
	struct transport *t;       /* what the session talks to: &tcp.t, or &tls when TLS is up */
	enum slot_state state;
	bool kick;                 /* an lwIP event since the session last ran */
	bool greet_after_tls;      /* port 993: the session opens once TLS is up */
	bool tls_wait;             /* port 993: no TLS context until the ClientHello comes */
	uint32_t opened_ms;
	uint32_t closing_since;
};

static struct imapd {
	struct imapd_options opt;
	struct imap_server_info srv;
	struct tcp_pcb *listener;
	struct tcp_pcb *tls_listener;
	bool tls_up;               /* key, certificate and TLS config ready */
	struct imapd_slot slots[IMAPD_MAX_SESSIONS];
	unsigned next;             /* round-robin start of the next pass */
	uint32_t last_tick;
} srv;

static const char too_many[] = "* BYE Too many connections\r\n";

/* Uses only the transport's copy of the peer: the pcb may be gone. */
static void slot_log_peer(const struct imapd_slot *sl, const char *what)
{
	uint32_t a = sl->tcp.peer;    /* network order: first octet first in memory */
	const uint8_t *o = (const uint8_t *)&a;

	port_log(PORT_LOG_INFO, "slot %u: %s %u.%u.%u.%u:%u", (unsigned)(sl - srv.slots), what,
		 o[0], o[1], o[2], o[3], sl->tcp.peer_port);
}

static err_t imapd_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t imapd_sent(void *arg, struct tcp_pcb *pcb, u16_t len);
static err_t imapd_poll_cb(void *arg, struct tcp_pcb *pcb);
static void imapd_err(void *arg, err_t err);

static void pcb_attach(struct tcp_pcb *pcb, struct imapd_slot *sl)
{
	tcp_arg(pcb, sl);
	tcp_recv(pcb, imapd_recv);
	tcp_sent(pcb, imapd_sent);
	tcp_err(pcb, imapd_err);
	tcp_poll(pcb, imapd_poll_cb, IMAPD_POLL_INTERVAL);
}

/* Forget the pcb's callbacks so lwIP never calls back into a freed slot. */
static void pcb_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

/* The pcb is gone or lwIP's now: forget it first, so nothing released
 * below can reach it through the transport. */
static void slot_free(struct imapd_slot *sl)
{
	tcp_transport_detach(&sl->tcp);
	imap_session_closed(&sl->session);
	tls_conn_release(&sl->tls);
	sl->state = SLOT_FREE;
	sl->kick = false;
}

static void slot_abort(struct imapd_slot *sl)
{
	struct tcp_pcb *pcb = sl->tcp.pcb;

	slot_log_peer(sl, "aborted");
	if (pcb) {
		pcb_detach(pcb);
		tcp_abort(pcb);
	}
	slot_free(sl);
}

/* Closing: everything the session will send is in lwIP's send queue, and
 * tcp_close() queues FIN right behind it; lwIP delivers the rest on its own
 * (retransmissions included) with the slot already free. Closing before
 * the peer has acknowledged the last bytes makes this side the one that
 * closes first, so the TIME_WAIT state is ours (a pcb lwIP reclaims when
 * short of them) rather than the client's peer's: a client that closes
 * first after LOGOUT leaves whatever relays it (slirp on the host, a NAT)
 * holding the connection for twice the segment lifetime. */
static void slot_try_close(struct imapd_slot *sl)
{
	struct tcp_pcb *pcb = sl->tcp.pcb;

	tcp_transport_discard(&sl->tcp);
	if (pcb) {
		pcb_detach(pcb);
		if (tcp_close(pcb) != ERR_OK) {
			/* Out of memory for the FIN: try again on the next
			 * pass, for a while. */
			pcb_attach(pcb, sl);
			if (port_now_ms() - sl->closing_since > IMAPD_CLOSE_TIMEOUT_MS)
				slot_abort(sl);
			return;
		}
	}
	slot_log_peer(sl, "closed");
	slot_free(sl);
}

static void slot_closing(struct imapd_slot *sl)
{
	sl->state = SLOT_CLOSING;
	sl->tcp.closing = true;   /* late input is acknowledged and dropped */
	sl->closing_since = port_now_ms();
	slot_try_close(sl);
}

/* ---- lwIP callbacks ---- */

static err_t imapd_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct imapd_slot *sl = arg;

	(void)pcb;
	if (err != ERR_OK) {   /* lwIP passes ERR_OK only; be safe */
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	tcp_transport_rx(&sl->tcp, p);
	sl->kick = true;
	return ERR_OK;
}

static err_t imapd_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct imapd_slot *sl = arg;

	(void)pcb;
	(void)len;
	sl->kick = true;
	return ERR_OK;
}

/* Every second: retry what may have failed for lack of memory (a write, a
 * close) by running the slot again. */
static err_t imapd_poll_cb(void *arg, struct tcp_pcb *pcb)
{
	struct imapd_slot *sl = arg;

	(void)pcb;
	sl->kick = true;
	return ERR_OK;
}

/* The pcb is already freed by lwIP (reset, or retransmissions gave up). */
static void imapd_err(void *arg, err_t err)
{
	struct imapd_slot *sl = arg;

	slot_log_peer(sl, err == ERR_RST ? "reset by" : err == ERR_ABRT ? "timed out:" : "lost");
	slot_free(sl);
}

static struct imapd_slot *slot_take(void)
{
	for (unsigned i = 0; i < IMAPD_MAX_SESSIONS; i++)
		if (srv.slots[i].state == SLOT_FREE)
			return &srv.slots[i];
	return NULL;
}

/* Close a connection we keep nothing for; a plain client is told why. */
static err_t refuse(struct tcp_pcb *pcb, const char *why)
{
	if (why) {
		tcp_write(pcb, why, (u16_t)strlen(why), 0);
		tcp_output(pcb);
	}
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

/* arg: non-NULL on the implicit-TLS listener. */
static err_t imapd_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct imapd_slot *sl;
	bool implicit_tls = arg != NULL;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_nagle_disable(pcb);
	sl = slot_take();
	if (!sl) {
		port_log(PORT_LOG_INFO, "refused a connection: all %u slots busy",
			 (unsigned)IMAPD_MAX_SESSIONS);
		return refuse(pcb, implicit_tls ? NULL : too_many);
	}
	tcp_transport_init(&sl->tcp, pcb);
	sl->t = &sl->tcp.t;
	if (srv.tls_up) {
		tls_conn_init(&sl->tls, &sl->tcp.t);
		sl->t = tls_conn_transport(&sl->tls);
	}
	sl->state = SLOT_OPEN;
	sl->kick = true;
	sl->tls_wait = implicit_tls;
	sl->opened_ms = port_now_ms();
	pcb_attach(pcb, sl);
	slot_log_peer(sl, "connection from");
	/* On the TLS port the session (and its greeting, whose capabilities
	 * depend on is_secure()) starts when the handshake is done. */
	sl->greet_after_tls = implicit_tls;
	if (!implicit_tls)
		imap_session_open(&sl->session, sl->t, &srv.srv);
	return ERR_OK;
}

/* ---- the main loop's side ---- */

static err_t listen_on(uint16_t port, void *arg, struct tcp_pcb **out)
{
	struct tcp_pcb *pcb, *lpcb;
	err_t err;

	pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb)
		return ERR_MEM;
	err = tcp_bind(pcb, IP4_ADDR_ANY, port);
	if (err != ERR_OK) {
		tcp_close(pcb);
		return err;
	}
	lpcb = tcp_listen(pcb);   /* frees pcb on success only */
	if (!lpcb) {
		tcp_close(pcb);
		return ERR_MEM;
	}
	tcp_arg(lpcb, arg);
	tcp_accept(lpcb, imapd_accept);
	*out = lpcb;
	return ERR_OK;
}

int imapd_start(const struct imapd_options *opt)
{
	err_t err;

	memset(&srv, 0, sizeof srv);
	srv.opt = *opt;
	srv.srv.opt = &srv.opt;
	srv.last_tick = port_now_ms();
	if (opt->port == 0 && opt->tls_port == 0)
		return 0;
	/* The certificate names the device's address if it has one yet. */
	uint32_t ip = netif_default ? ip4_addr_get_u32(netif_ip4_addr(netif_default)) : 0;
	srv.tls_up = tls_init(opt->store, opt->hostname, ip) == TLS_OK;
	if (!srv.tls_up)
		port_log(PORT_LOG_ERR, "TLS unavailable: no STARTTLS%s",
			 opt->tls_port ? " and no IMAPS" : "");
	srv.srv.starttls_available = srv.tls_up;
	if (opt->port != 0) {
		err = listen_on(opt->port, NULL, &srv.listener);
		if (err != ERR_OK)
			return err;
	}
	if (opt->tls_port != 0 && srv.tls_up) {
		err = listen_on(opt->tls_port, &srv.tls_listener, &srv.tls_listener);
		if (err != ERR_OK)
			return err;
	}
	return 0;
}

/* Port 993: the TLS context (20 KiB of the arena) is taken when the
 * ClientHello starts to arrive, so a connection that sends nothing (a port
 * scan, a monitor's connect check, a stalled client) holds none; it is
 * closed after the pre-login timeout. Beyond IMAPD_MAX_TLS_SESSIONS, or
 * while another handshake runs, tls.c queues it, its ClientHello unread,
 * until its turn (plain sessions are unaffected). True once TLS has
 * started. */
static bool tls_wait_over(struct imapd_slot *sl, uint32_t now)
{
	if (tcp_transport_unread(&sl->tcp) == 0) {
		if (now - sl->opened_ms > IMAPD_PREAUTH_TIMEOUT_MS) {
			slot_log_peer(sl, "sent no TLS handshake:");
			slot_closing(sl);
		}
		return false;   /* a FIN alone is handled like any other */
	}
	sl->tls_wait = false;
	if (tls_conn_start(&sl->tls) != 0) {
		slot_closing(sl);   /* no memory for it: tls.c has said so */
		return false;
	}
	return true;
}

/* One pass over the slots, starting after the slot that went first last
 * time so that no session can starve the others. */
uint32_t imapd_poll(void)
{
	uint32_t now = port_now_ms();
	bool tick = now - srv.last_tick >= IMAPD_TICK_MS;
	bool busy = false;

	if (tick)
		srv.last_tick = now;
	for (unsigned k = 0; k < IMAPD_MAX_SESSIONS; k++) {
		struct imapd_slot *sl = &srv.slots[(srv.next + k) % IMAPD_MAX_SESSIONS];
		struct imap_session *s = &sl->session;

		if (sl->state == SLOT_CLOSING) {
			/* only a FIN that found no memory waits here */
			slot_try_close(sl);
			continue;
		}
		if (sl->state != SLOT_OPEN)
			continue;
		if (sl->tls_wait && !tls_wait_over(sl, now)) {
			if (sl->state == SLOT_OPEN && sl->tcp.eof)
				slot_closing(sl);
			continue;
		}
		if (tick)
			imap_session_tick(s, now);
		/* A finished (or failed) handshake lets the session's output flow. */
		if (srv.tls_up && tls_conn_poll(&sl->tls)) {
			sl->kick = true;
			if (sl->greet_after_tls && sl->t->ops->is_secure(sl->t)) {
				sl->greet_after_tls = false;
				imap_session_open(s, sl->t, &srv.srv);
			}
		}
		if (sl->kick || imap_session_pending(s)) {
			sl->kick = false;
			imap_session_run(s);
		}
		if (sl->tcp.closing) {
			slot_closing(sl);
		} else if (sl->tcp.eof && tcp_transport_unread(&sl->tcp) == 0 &&
			   !imap_session_pending(s) && tcp_transport_drained(&sl->tcp)) {
			/* The peer has finished sending and the session has answered
			 * all of it. */
			slot_closing(sl);
		}
		busy |= sl->state == SLOT_OPEN && (sl->kick || imap_session_pending(s) ||
						    (srv.tls_up && tls_conn_pending(&sl->tls)));
	}
	srv.next = (srv.next + 1) % IMAPD_MAX_SESSIONS;
	if (srv.opt.store && store_poll(srv.opt.store))
		busy = true;
	if (busy)
		return 0;
	now = port_now_ms() - srv.last_tick;
	return now >= IMAPD_TICK_MS ? 0 : IMAPD_TICK_MS - now;
}

void imapd_stop(void)
{
	if (srv.listener) {
		tcp_close(srv.listener);
		srv.listener = NULL;
	}
	if (srv.tls_listener) {
		tcp_close(srv.tls_listener);
		srv.tls_listener = NULL;
	}
	for (unsigned i = 0; i < IMAPD_MAX_SESSIONS; i++)
		if (srv.slots[i].state != SLOT_FREE)
			slot_abort(&srv.slots[i]);
}

uint16_t imapd_port(bool tls)
{
	if (tls)
		return srv.tls_listener ? srv.opt.tls_port : 0;
	return srv.listener ? srv.opt.port : 0;
}
