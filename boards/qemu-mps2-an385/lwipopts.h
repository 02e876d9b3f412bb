/*
 * lwipopts.h - lwIP for the QEMU board: NO_SYS=1, raw API, IPv4 + DHCP over
 * the LAN9118, and a RAM budget of a small part.
 *
 * Received frames are copied into PBUF_RAM pbufs of their exact size from
 * lwIP's static heap (lan9118.c), so a 40-byte IMAP command costs ~70 bytes,
 * not a 1.5 KB pool buffer. The heap is sized so that every session can hold
 * a full receive window of unread input and a full send buffer of
 * unacknowledged output at the same time; when it is short anyway, a frame
 * is dropped (TCP retransmits) or tcp_write() reports ERR_MEM (the session
 * retries), never worse.
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#include "imapd_config.h"

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0        /* lwIP never runs in an interrupt */
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_SINGLE_NETIF 1

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1                    /* DHCP */
#define LWIP_TCP 1
#define LWIP_DHCP 1
/* slirp owns the subnet; a real network would want the RFC 5227 probe. */
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define LWIP_NETIF_HOSTNAME 1         /* DHCP option 12 */
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define IP_REASSEMBLY 0               /* TCP with MSS 1460 never fragments */
#define IP_FRAG 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define ARP_TABLE_SIZE 4              /* slirp's gateway and host alias */

/* No checksum offload in the LAN9118: software both ways. */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_TCP 1
#define LWIP_CHKSUM_ALGORITHM 3

/* Ethernet header padded by 2 so that IP headers are word aligned; the
 * driver programs the same offset into the chip. */
#define ETH_PAD_SIZE 2

#define TCP_MSS 1460
#define TCP_WND (2 * TCP_MSS)
#define TCP_SND_BUF (2 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ 0             /* RAM: the peer retransmits instead */
#define LWIP_TCP_KEEPALIVE 0
#define TCP_LISTEN_BACKLOG 0

/* PCBs: the sessions, one beyond them to say "* BYE Too many connections",
 * one for TIME_WAIT (lwIP recycles the oldest when the pool is empty). */
#define MEMP_NUM_TCP_PCB (IMAPD_MAX_SESSIONS + 2)
#define MEMP_NUM_TCP_PCB_LISTEN 2     /* 143 and 993 */
#define MEMP_NUM_UDP_PCB 1            /* DHCP */
#define MEMP_NUM_TCP_SEG (IMAPD_MAX_SESSIONS * TCP_SND_QUEUELEN)
#define MEMP_NUM_PBUF 4               /* PBUF_REF/ROM: unused by tcp_write(COPY) */
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)

/* Static heap for received frames and unacknowledged output. Sized for
 * full windows both ways on LWIP_BUSY_SESSIONS sessions at once; when more
 * are busy, a frame is dropped (the peer retransmits) or tcp_write() says
 * ERR_MEM (the session retries on the next sent/poll event). */
#define LWIP_BUSY_SESSIONS 2
#define MEM_ALIGNMENT 4
/* + 1 KiB for what is not session data: a DHCP message (~600 B), ARP,
 * SYN/ACK/RST segments and the "* BYE" of a refused connection. */
#define MEM_SIZE (LWIP_BUSY_SESSIONS * (TCP_WND + TCP_SND_BUF) + 1024)
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define PBUF_POOL_SIZE 0              /* received frames are PBUF_RAM (lan9118.c); no pool */

#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0

/* Random numbers for DHCP transaction ids and local ports (net.c). */
#include <stdint.h>
uint32_t net_rand(void);
#define LWIP_RAND() net_rand()

/* Unpredictable initial sequence numbers (RFC 6528), firmware/tcp_isn.c:
 * lwIP's own ISN is a guessable counter. */
#define LWIP_HOOK_FILENAME "tcp_isn.h"
#define LWIP_HOOK_TCP_ISN tcp_isn

#endif
