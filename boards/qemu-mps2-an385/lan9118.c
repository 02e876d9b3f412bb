/*
 * lan9118.c - LAN9118 driver, written from the SMSC datasheet (register
 * map, TX command words, RX status words) and checked against QEMU's model.
 *
 * Polled: the main loop drains the RX status FIFO, so no lwIP code ever runs
 * in an interrupt; the chip's interrupt (RX status FIFO level) only wakes an
 * idle main loop. Frames are read with RX data offset 2 (ETH_PAD_SIZE) so
 * the IP header lands 4-byte aligned, into one RAM pbuf of the frame's size.
 * Every wait on the chip is bounded by a timeout.
 */
#include "lan9118.h"

#include <stdbool.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "netif/ethernet.h"
#include "port.h"

/* System control and status registers (offsets from the base). */
enum {
	RX_DATA_FIFO = 0x00,
	TX_DATA_FIFO = 0x20,
	RX_STATUS_FIFO = 0x40,
	TX_STATUS_FIFO = 0x48,
	ID_REV = 0x50,
	IRQ_CFG = 0x54,
	INT_STS = 0x58,
	INT_EN = 0x5c,
	BYTE_TEST = 0x64,
	RX_CFG = 0x6c,
	TX_CFG = 0x70,
	HW_CFG = 0x74,
	RX_FIFO_INF = 0x7c,
	TX_FIFO_INF = 0x80,
	PMT_CTRL = 0x84,
	MAC_CSR_CMD = 0xa4,
	MAC_CSR_DATA = 0xa8,
};

#define BYTE_TEST_VALUE 0x87654321u
#define ID_REV_CHIP(v) ((v) >> 16)
#define CHIP_ID_9118 0x0118u
#define HW_CFG_SRST (1u << 0)
#define IRQ_CFG_EN (1u << 8)
#define IRQ_CFG_POL_HIGH (1u << 4)
#define IRQ_CFG_PUSH_PULL (1u << 0)
#define INT_RSFL (1u << 3)                       /* RX status FIFO level */
#define PMT_CTRL_READY (1u << 0)
#define TX_CFG_TX_ON (1u << 1)
#define TX_CFG_TXS_DUMP (1u << 15)
#define RX_CFG_RXDOFF(n) ((uint32_t)(n) << 8)
#define RX_FIFO_INF_RXSUSED(v) (((v) >> 16) & 0xffu)
#define TX_FIFO_INF_TSUSED(v) (((v) >> 16) & 0xffu)
#define TX_FIFO_INF_TDFREE(v) ((v) & 0xffffu)
#define RX_STS_LEN(s) (((s) >> 16) & 0x3fffu)   /* includes the 4-byte FCS */
#define RX_STS_ES (1u << 15)                     /* error summary */
#define TX_STS_ES (1u << 15)
#define TX_CMD_A_FS (1u << 13)
#define TX_CMD_A_LS (1u << 12)
#define TX_CMD_A_OFFSET(n) ((uint32_t)(n) << 16)

/* MAC control registers, reached through MAC_CSR_CMD/DATA. */
enum { MAC_CR = 1, MAC_ADDRH = 2, MAC_ADDRL = 3, MII_ACC = 6, MII_DATA = 7 };
#define MAC_CSR_BUSY (1u << 31)
#define MAC_CSR_READ (1u << 30)
#define MAC_CR_FDPX (1u << 20)
#define MAC_CR_TXEN (1u << 3)
#define MAC_CR_RXEN (1u << 2)
#define MII_ACC_BUSY (1u << 0)
#define MII_ACC_WRITE (1u << 1)
#define PHY_ADDR 1u

/* PHY registers (IEEE 802.3 clause 22). */
enum { PHY_BCR = 0, PHY_BSR = 1, PHY_ID1 = 2 };
#define PHY_BCR_ANENABLE (1u << 12)
#define PHY_BCR_ANRESTART (1u << 9)
#define PHY_BSR_LINK (1u << 2)

#define FRAME_MAX 1518u          /* 1514 + FCS; no VLAN tags */
/* Anything shorter than a header plus FCS is garbage; short frames are not
 * dropped, since an emulator may deliver them unpadded. */
#define FRAME_MIN (14u + 4u)
#define RX_FRAMES_PER_POLL 16    /* bound one poll's work */
#define WAIT_MS 50u              /* any single register handshake */
#define LINK_CHECK_MS 500u

_Static_assert(ETH_PAD_SIZE == 2, "the RX data offset is ETH_PAD_SIZE");

static struct lan9118_stats lan_stats;
static uint32_t lan_link_checked;

static inline volatile uint32_t *lan_reg(const struct netif *nif, uint32_t off)
{
	return (volatile uint32_t *)((uintptr_t)nif->state + off);
}

static inline uint32_t lan_rd(const struct netif *nif, uint32_t off)
{
	return *lan_reg(nif, off);
}

static inline void lan_wr(const struct netif *nif, uint32_t off, uint32_t v)
{
	*lan_reg(nif, off) = v;
}

/* Wait until (reg & mask) == want; false on timeout. */
static bool lan_wait(const struct netif *nif, uint32_t off, uint32_t mask, uint32_t want)
{
	uint32_t t0 = port_now_ms();
	while ((lan_rd(nif, off) & mask) != want) {
		if (port_now_ms() - t0 > WAIT_MS)
			return false;
	}
	return true;
}

static bool mac_read(const struct netif *nif, uint32_t idx, uint32_t *v)
{
	if (!lan_wait(nif, MAC_CSR_CMD, MAC_CSR_BUSY, 0))
		return false;
	lan_wr(nif, MAC_CSR_CMD, MAC_CSR_BUSY | MAC_CSR_READ | idx);
	if (!lan_wait(nif, MAC_CSR_CMD, MAC_CSR_BUSY, 0))
		return false;
	*v = lan_rd(nif, MAC_CSR_DATA);
	return true;
}

static bool mac_write(const struct netif *nif, uint32_t idx, uint32_t v)
{
	if (!lan_wait(nif, MAC_CSR_CMD, MAC_CSR_BUSY, 0))
		return false;
	lan_wr(nif, MAC_CSR_DATA, v);
	lan_wr(nif, MAC_CSR_CMD, MAC_CSR_BUSY | idx);
	return lan_wait(nif, MAC_CSR_CMD, MAC_CSR_BUSY, 0);
}

static bool mii_wait(const struct netif *nif)
{
	uint32_t t0 = port_now_ms(), v;
	do {
		if (!mac_read(nif, MII_ACC, &v))
			return false;
		if (!(v & MII_ACC_BUSY))
			return true;
	} while (port_now_ms() - t0 <= WAIT_MS);
	return false;
}

static bool phy_read(const struct netif *nif, uint32_t reg, uint32_t *v)
{
	return mii_wait(nif) &&
	       mac_write(nif, MII_ACC, (PHY_ADDR << 11) | (reg << 6) | MII_ACC_BUSY) &&
	       mii_wait(nif) && mac_read(nif, MII_DATA, v);
}

static bool phy_write(const struct netif *nif, uint32_t reg, uint32_t v)
{
	return mii_wait(nif) && mac_write(nif, MII_DATA, v) &&
	       mac_write(nif, MII_ACC,
			 (PHY_ADDR << 11) | (reg << 6) | MII_ACC_WRITE | MII_ACC_BUSY) &&
	       mii_wait(nif);
}

/* Pop n words from the RX data FIFO into dst (NULL: discard). */
static void rx_words(const struct netif *nif, uint32_t *dst, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t w = lan_rd(nif, RX_DATA_FIFO);
		if (dst)
			dst[i] = w;
	}
}

static void lan_receive_one(struct netif *nif)
{
	uint32_t sts = lan_rd(nif, RX_STATUS_FIFO);
	uint32_t len = RX_STS_LEN(sts);
	/* The FIFO holds the pad, the frame and its FCS, in whole words. */
	uint32_t words = (ETH_PAD_SIZE + len + 3u) / 4u;

	if ((sts & RX_STS_ES) || len < FRAME_MIN || len > FRAME_MAX) {
		rx_words(nif, NULL, words);
		lan_stats.rx_errors++;
		port_log(PORT_LOG_DEBUG, "eth: dropped a frame, RX status %08lx", (unsigned long)sts);
		return;
	}
	uint32_t keep = ETH_PAD_SIZE + len - 4u;   /* without the FCS */
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)keep, PBUF_RAM);
	if (!p) {
		/* Heap full: drop, as the chip would with a full FIFO. */
		rx_words(nif, NULL, words);
		lan_stats.rx_nobuf++;
		return;
	}
	LWIP_ASSERT("RAM pbuf payload word aligned", ((uintptr_t)p->payload & 3u) == 0);
	uint32_t full = keep / 4u;
	rx_words(nif, p->payload, full);
	if (keep % 4u) {
		uint32_t w = lan_rd(nif, RX_DATA_FIFO);
		memcpy((uint8_t *)p->payload + full * 4u, &w, keep % 4u);
		full++;
	}
	rx_words(nif, NULL, words - full);         /* the rest of the FCS */
	lan_stats.rx_frames++;
	if (nif->input(p, nif) != ERR_OK)
		pbuf_free(p);
}

static void lan_check_link(struct netif *nif)
{
	uint32_t bsr;
	if (!phy_read(nif, PHY_BSR, &bsr))
		return;
	if ((bsr & PHY_BSR_LINK) && !netif_is_link_up(nif)) {
		port_log(PORT_LOG_INFO, "eth: link up");
		netif_set_link_up(nif);
	} else if (!(bsr & PHY_BSR_LINK) && netif_is_link_up(nif)) {
		port_log(PORT_LOG_INFO, "eth: link down");
		netif_set_link_down(nif);
	}
}

void lan9118_poll(struct netif *nif)
{
	/* Acknowledge first, then drain: a frame arriving meanwhile raises the
	 * interrupt again instead of being missed. */
	lan_wr(nif, INT_STS, INT_RSFL);
	for (int i = 0; i < RX_FRAMES_PER_POLL; i++) {
		if (RX_FIFO_INF_RXSUSED(lan_rd(nif, RX_FIFO_INF)) == 0)
			break;
		lan_receive_one(nif);
	}
	if (sys_now() - lan_link_checked >= LINK_CHECK_MS) {
		lan_link_checked = sys_now();
		lan_check_link(nif);
	}
}

static void lan_drain_tx_status(const struct netif *nif)
{
	while (TX_FIFO_INF_TSUSED(lan_rd(nif, TX_FIFO_INF)) > 0) {
		if (lan_rd(nif, TX_STATUS_FIFO) & TX_STS_ES)
			lan_stats.tx_errors++;
	}
}

static err_t lan_linkoutput(struct netif *nif, struct pbuf *p)
{
	const struct pbuf *last = NULL;
	uint32_t frame_len = p->tot_len - ETH_PAD_SIZE;

	if (frame_len > FRAME_MAX - 4u)
		return ERR_ARG;
	for (const struct pbuf *q = p; q; q = q->next) {
		if (q->len > (q == p ? ETH_PAD_SIZE : 0))
			last = q;
	}
	if (!last)
		return ERR_ARG;
	lan_drain_tx_status(nif);
	/* Room for the whole frame first, so a timeout never leaves half a
	 * frame in the FIFO: two command words plus the data words a segment. */
	uint32_t need = 0;
	for (const struct pbuf *q = p; q; q = q->next) {
		const uint8_t *data = (const uint8_t *)q->payload + (q == p ? ETH_PAD_SIZE : 0);
		uint32_t len = q->len - (q == p ? ETH_PAD_SIZE : 0);
		if (len > 0)
			need += (2u + (((uintptr_t)data & 3u) + len + 3u) / 4u) * 4u;
	}
	uint32_t t0 = port_now_ms();
	while (TX_FIFO_INF_TDFREE(lan_rd(nif, TX_FIFO_INF)) < need) {
		if (port_now_ms() - t0 > WAIT_MS) {
			lan_stats.tx_timeouts++;
			return ERR_IF;
		}
	}
	/* One buffer segment per non-empty pbuf: the chip gathers them, each
	 * starting at its own byte offset within the first word. */
	for (const struct pbuf *q = p; q; q = q->next) {
		const uint8_t *data = (const uint8_t *)q->payload + (q == p ? ETH_PAD_SIZE : 0);
		uint32_t len = q->len - (q == p ? ETH_PAD_SIZE : 0);
		if (len == 0)
			continue;
		uint32_t off = (uintptr_t)data & 3u;
		const uint32_t *w = (const uint32_t *)(uintptr_t)(data - off);
		uint32_t words = (off + len + 3u) / 4u;
		uint32_t cmd_a = TX_CMD_A_OFFSET(off) | len | (q == p ? TX_CMD_A_FS : 0) |
				 (q == last ? TX_CMD_A_LS : 0);
		lan_wr(nif, TX_DATA_FIFO, cmd_a);
		lan_wr(nif, TX_DATA_FIFO, frame_len);   /* command B: tag 0, length */
		/* Whole words around the segment; the chip drops the bytes outside. */
		for (uint32_t i = 0; i < words; i++)
			lan_wr(nif, TX_DATA_FIFO, w[i]);
		if (q == last)
			break;
	}
	lan_stats.tx_frames++;
	return ERR_OK;
}

static bool lan_hw_init(struct netif *nif)
{
	if (lan_rd(nif, BYTE_TEST) != BYTE_TEST_VALUE ||
	    ID_REV_CHIP(lan_rd(nif, ID_REV)) != CHIP_ID_9118) {
		port_log(PORT_LOG_ERR, "eth: no LAN9118 at %p", nif->state);
		return false;
	}
	lan_wr(nif, HW_CFG, HW_CFG_SRST);
	if (!lan_wait(nif, HW_CFG, HW_CFG_SRST, 0) ||
	    !lan_wait(nif, PMT_CTRL, PMT_CTRL_READY, PMT_CTRL_READY)) {
		port_log(PORT_LOG_ERR, "eth: reset timed out");
		return false;
	}
	/* The only interrupt: "a frame is waiting" (RX status FIFO level above
	 * 0), active high. It just wakes the main loop; see net.c. */
	lan_wr(nif, INT_EN, 0);
	lan_wr(nif, INT_STS, 0xffffffffu);
	lan_wr(nif, IRQ_CFG, IRQ_CFG_EN | IRQ_CFG_POL_HIGH | IRQ_CFG_PUSH_PULL);
	lan_wr(nif, INT_EN, INT_RSFL);

	/* The MAC address the chip loaded from its EEPROM. */
	uint32_t lo, hi, id1;
	if (!mac_read(nif, MAC_ADDRL, &lo) || !mac_read(nif, MAC_ADDRH, &hi))
		return false;
	const uint8_t mac[6] = {(uint8_t)lo, (uint8_t)(lo >> 8), (uint8_t)(lo >> 16),
				(uint8_t)(lo >> 24), (uint8_t)hi, (uint8_t)(hi >> 8)};
	memcpy(nif->hwaddr, mac, sizeof(mac));
	nif->hwaddr_len = ETH_HWADDR_LEN;

	if (!phy_read(nif, PHY_ID1, &id1) ||
	    !phy_write(nif, PHY_BCR, PHY_BCR_ANENABLE | PHY_BCR_ANRESTART)) {
		port_log(PORT_LOG_ERR, "eth: PHY does not answer");
		return false;
	}
	/* Unicast to our address and broadcast (ARP, DHCP); full duplex. */
	if (!mac_write(nif, MAC_CR, MAC_CR_FDPX | MAC_CR_TXEN | MAC_CR_RXEN))
		return false;
	lan_wr(nif, TX_CFG, TX_CFG_TX_ON | TX_CFG_TXS_DUMP);
	lan_wr(nif, RX_CFG, RX_CFG_RXDOFF(ETH_PAD_SIZE));
	port_log(PORT_LOG_INFO, "eth: LAN9118 rev %lu, PHY id %04lx, MAC %02x:%02x:%02x:%02x:%02x:%02x",
		 (unsigned long)(lan_rd(nif, ID_REV) & 0xffffu), (unsigned long)id1, mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return true;
}

err_t lan9118_netif_init(struct netif *nif)
{
	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->mtu = 1500;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	nif->output = etharp_output;
	nif->linkoutput = lan_linkoutput;
	if (!lan_hw_init(nif))
		return ERR_IF;
	lan_link_checked = sys_now() - LINK_CHECK_MS;   /* check on the first poll */
	return ERR_OK;
}

bool lan9118_rx_pending(const struct netif *nif)
{
	return RX_FIFO_INF_RXSUSED(lan_rd(nif, RX_FIFO_INF)) != 0;
}

const struct lan9118_stats *lan9118_get_stats(void)
{
	return &lan_stats;
}
