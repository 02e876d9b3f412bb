/*
 * slirp_netif.c - lwIP netif over libslirp (see slirp_netif.h).
 *
 * Frames lwIP sends go straight into slirp_input(), unless the barrier holds
 * them until the writes they may acknowledge are durable (group commit, see
 * slirp_netif_set_barrier()). Frames slirp sends are
 * queued and handed to lwIP from slirp_netif_poll(): slirp produces them
 * from inside its own processing (and from inside our linkoutput), where
 * re-entering lwIP's input path would corrupt its state.
 */
#include "slirp_netif.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libslirp.h>

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"
#include "port.h"

#define FRAME_MAX 1514            /* Ethernet header + MTU 1500 */
#define RX_QUEUE 128              /* frames from slirp not yet given to lwIP */
#define TX_HOLD 64                /* frames from lwIP held at the barrier */
#define MAX_POLLFDS 256           /* slirp's sockets: forwards + connections */
#define MAX_TIMERS 4              /* slirp asks for one (IPv6 RA) */
#define MAX_FD_SCAN 1024          /* where to look for slirp's listening sockets */

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static Slirp *slirp;

/* Ring of frames from slirp: lwIP heap pbufs of the frame's exact size, so
 * memory use follows bytes, not frame count. */
static struct pbuf *rxq[RX_QUEUE];
static unsigned rxq_head, rxq_len;

/* Frames lwIP sent while the barrier was pending, in order. */
static struct {
	uint16_t len;
	uint8_t frame[FRAME_MAX];
} txq[TX_HOLD];
static unsigned txq_len;
static const struct slirp_netif_barrier *barrier;

static struct pollfd pfds[MAX_POLLFDS];
static int npfds;

static struct slirp_timer {
	bool used, armed;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms;
} timers[MAX_TIMERS];

static int64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- slirp callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct pbuf *p;

	(void)opaque;
	/* Dropping is allowed (slirp's TCP retransmits), as a NIC out of
	 * buffers would. ETH_PAD_SIZE keeps the IP header 4-byte aligned. */
	if (len > FRAME_MAX || rxq_len == RX_QUEUE)
		return (ssize_t)len;
	p = pbuf_alloc(PBUF_RAW, (u16_t)(len + ETH_PAD_SIZE), PBUF_RAM);
	if (!p)
		return (ssize_t)len;
	pbuf_take_at(p, buf, (u16_t)len, ETH_PAD_SIZE);
	rxq[(rxq_head + rxq_len++) % RX_QUEUE] = p;
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	port_log(PORT_LOG_ERR, "slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return clock_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	(void)opaque;
	for (int i = 0; i < MAX_TIMERS; i++) {
		if (!timers[i].used) {
			timers[i] = (struct slirp_timer){.used = true, .id = id, .cb_opaque = cb_opaque};
			return &timers[i];
		}
	}
	port_log(PORT_LOG_ERR, "slirp: out of timers");
	return NULL;
}

static void cb_timer_free(void *timer, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct slirp_timer *)timer)->used = false;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	(void)opaque;
	if (t) {
		t->armed = true;
		t->expire_ms = expire_ms;
	}
}

/* The poll set is rebuilt from slirp_pollfds_fill() on every pass and slirp
 * is polled on every pass, so fd registration and wake-ups need no action. */
static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_register_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

static int to_poll(int ev)
{
	return (ev & SLIRP_POLL_IN ? POLLIN : 0) | (ev & SLIRP_POLL_OUT ? POLLOUT : 0) |
	       (ev & SLIRP_POLL_PRI ? POLLPRI : 0) | (ev & SLIRP_POLL_ERR ? POLLERR : 0) |
	       (ev & SLIRP_POLL_HUP ? POLLHUP : 0);
}

static int from_poll(int ev)
{
	return (ev & POLLIN ? SLIRP_POLL_IN : 0) | (ev & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (ev & POLLPRI ? SLIRP_POLL_PRI : 0) | (ev & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (ev & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	(void)opaque;
	if (npfds == MAX_POLLFDS)
		return -1;   /* slirp then skips this socket for one pass */
	pfds[npfds] = (struct pollfd){.fd = fd, .events = (short)to_poll(events)};
	return npfds++;
}

static int cb_get_revents(int idx, void *opaque)
{
	(void)opaque;
	return idx >= 0 && idx < npfds ? from_poll(pfds[idx].revents) : 0;
}

/* ---- lwIP side ---- */

void slirp_netif_set_barrier(const struct slirp_netif_barrier *b)
{
	slirp_netif_release();
	barrier = b;
}

void slirp_netif_release(void)
{
	if (barrier && barrier->pending(barrier->ctx))
		barrier->pass(barrier->ctx);
	for (unsigned i = 0; i < txq_len; i++)
		slirp_input(slirp, txq[i].frame, txq[i].len);
	txq_len = 0;
}

static err_t linkoutput(struct netif *nif, struct pbuf *p)
{
	uint8_t frame[FRAME_MAX];
	u16_t len = (u16_t)(p->tot_len - ETH_PAD_SIZE);

	(void)nif;
	if (len > sizeof frame)
		return ERR_IF;
	/* Behind held frames, or itself possibly acknowledging what is not yet
	 * durable: hold it. A full queue passes the barrier at once. */
	if (txq_len || (barrier && barrier->pending(barrier->ctx))) {
		if (txq_len == TX_HOLD)
			slirp_netif_release();
		else {
			txq[txq_len].len = len;
			pbuf_copy_partial(p, txq[txq_len].frame, len, ETH_PAD_SIZE);
			txq_len++;
			return ERR_OK;
		}
	}
	pbuf_copy_partial(p, frame, len, ETH_PAD_SIZE);
	slirp_input(slirp, frame, len);
	return ERR_OK;
}

static err_t netif_setup(struct netif *nif)
{
	nif->name[0] = 's';
	nif->name[1] = 'l';
	nif->mtu = 1500;
	nif->hwaddr_len = sizeof guest_mac;
	memcpy(nif->hwaddr, guest_mac, sizeof guest_mac);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	nif->output = etharp_output;
	nif->linkoutput = linkoutput;
	return ERR_OK;
}

int slirp_netif_init(struct netif *nif)
{
	SlirpConfig cfg = {
		.version = 4,
		.restricted = 1,          /* the guest reaches nothing outside */
		.in_enabled = true,
		.disable_host_loopback = true,
		.disable_dns = true,
	};

	cfg.vnetwork.s_addr = PP_HTONL(0x0a000200);      /* 10.0.2.0/24 */
	cfg.vnetmask.s_addr = PP_HTONL(0xffffff00);
	cfg.vhost.s_addr = PP_HTONL(0x0a000202);         /* 10.0.2.2 */
	cfg.vdhcp_start.s_addr = PP_HTONL(0x0a00020f);   /* 10.0.2.15 */
	cfg.vnameserver.s_addr = PP_HTONL(0x0a000203);
	slirp = slirp_new(&cfg, &callbacks, NULL);
	if (!slirp)
		return -1;
	if (!netif_add(nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, netif_setup,
		       ethernet_input))
		return -1;
	netif_set_default(nif);
	netif_set_up(nif);
	netif_set_link_up(nif);
	return dhcp_start(nif) == ERR_OK ? 0 : -1;
}

bool slirp_netif_ready(const struct netif *nif)
{
	return dhcp_supplied_address(nif) != 0;
}

/* slirp listens with a backlog of 1: a burst of connections then loses
 * handshakes in the kernel, and a client may wait seconds for SYN-ACK
 * retransmissions. Find slirp's listening socket for host_port and widen
 * its backlog (listen() again on a listening socket only resizes it). */
static void widen_backlog(uint16_t host_port)
{
	for (int fd = 0; fd < MAX_FD_SCAN; fd++) {
		struct sockaddr_in sa;
		socklen_t len = sizeof sa;
		int on = 0;
		socklen_t olen = sizeof on;

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) != 0 || !on)
			continue;
		if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET &&
		    ntohs(sa.sin_port) == host_port) {
			listen(fd, SOMAXCONN);
			return;
		}
	}
}

int slirp_netif_forward(const struct netif *nif, uint16_t host_port, uint16_t guest_port)
{
	struct in_addr host = {.s_addr = PP_HTONL(0x7f000001)};
	struct in_addr guest = {.s_addr = ip4_addr_get_u32(netif_ip4_addr(nif))};

	errno = 0;
	if (slirp_add_hostfwd(slirp, 0, host, host_port, guest, guest_port) != 0)
		return errno ? -errno : -EIO;
	widen_backlog(host_port);
	return 0;
}

void slirp_netif_poll(struct netif *nif, uint32_t timeout_ms)
{
	int64_t now_ms = clock_ns() / 1000000;
	uint32_t timeout = timeout_ms;
	int n;

	/* nothing held may wait for poll(): pass the barrier first */
	slirp_netif_release();
	npfds = 0;
	slirp_pollfds_fill(slirp, &timeout, cb_add_poll, NULL);
	for (int i = 0; i < MAX_TIMERS; i++) {
		if (timers[i].used && timers[i].armed) {
			int64_t left = timers[i].expire_ms - now_ms;
			if (left < (int64_t)timeout)
				timeout = left > 0 ? (uint32_t)left : 0;
		}
	}
	if (rxq_len)
		timeout = 0;
	n = poll(pfds, (nfds_t)npfds, (int)timeout);
	slirp_pollfds_poll(slirp, n < 0, cb_get_revents, NULL);

	now_ms = clock_ns() / 1000000;
	for (int i = 0; i < MAX_TIMERS; i++) {
		if (timers[i].used && timers[i].armed && timers[i].expire_ms <= now_ms) {
			timers[i].armed = false;
			slirp_handle_timer(slirp, timers[i].id, timers[i].cb_opaque);
		}
	}

	/* Only the frames queued so far: lwIP's replies may queue more, which
	 * wait for the next pass (poll() then does not sleep). */
	for (unsigned k = rxq_len; k > 0; k--) {
		struct pbuf *p = rxq[rxq_head];

		rxq_head = (rxq_head + 1) % RX_QUEUE;
		rxq_len--;
		if (nif->input(p, nif) != ERR_OK)
			pbuf_free(p);
	}
}

void slirp_netif_shutdown(void)
{
	slirp_netif_release();
	barrier = NULL;
	while (rxq_len) {
		pbuf_free(rxq[rxq_head]);
		rxq_head = (rxq_head + 1) % RX_QUEUE;
		rxq_len--;
	}
	if (slirp) {
		slirp_cleanup(slirp);
		slirp = NULL;
	}
}
