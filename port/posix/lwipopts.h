/*
 * lwipopts.h - lwIP options for the host build (NO_SYS=1, raw API only).
 *
 * Memory is sized from the server's compile-time bounds: every session may
 * hold a full receive window of unread data (the transport frees it only as
 * the session reads) and a full send buffer of unacknowledged output.
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#include "imapd_config.h"

/* One task, raw API: no threads, sockets or netconn. */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_SINGLE_NETIF 1

/* IPv4 over Ethernet, DHCP from slirp; nothing else. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1                    /* DHCP */
#define LWIP_TCP 1
#define LWIP_DHCP 1
/* slirp owns the subnet: the ARP probe before using the lease (RFC 5227)
 * would only add seconds to start-up. */
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define IP_REASSEMBLY 0               /* TCP with MSS 1460 never fragments */
#define IP_FRAG 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
/* Two bytes before the 14-byte Ethernet header keep the IP header aligned. */
#define ETH_PAD_SIZE 2
/* The C library's htonl() and friends are used instead of lwIP's. */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1

/* Checksums are generated and checked in software on every packet. */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_TCP 1

/* TCP: full Ethernet MSS; slirp has no window scaling, so TCP_WND <= 65535. */
#define TCP_MSS 1460
#define TCP_WND (8 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_KEEPALIVE 0
/* Unpredictable initial sequence numbers (RFC 6528), firmware/tcp_isn.c. */
#define LWIP_HOOK_FILENAME "tcp_isn.h"
#define LWIP_HOOK_TCP_ISN tcp_isn
#define TCP_LISTEN_BACKLOG 0

/* PCBs: every session, the connections that are only told "* BYE" while
 * all slots are busy, and TIME_WAIT (lwIP recycles the oldest TIME_WAIT pcb
 * when the pool is empty, so this bounds memory, not connections). */
#define IMAPD_EXTRA_PCBS 12
#define MEMP_NUM_TCP_PCB (IMAPD_MAX_SESSIONS + IMAPD_EXTRA_PCBS)
#define MEMP_NUM_TCP_PCB_LISTEN 2     /* 143 and 993 */
#define MEMP_NUM_UDP_PCB 1            /* DHCP */
#define MEMP_NUM_TCP_SEG (MEMP_NUM_TCP_PCB * TCP_SND_QUEUELEN)
#define MEMP_NUM_PBUF 32              /* PBUF_REF/ROM: unused by tcp_write(COPY) */
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)

/* Heap (lwIP's own, static): received frames are allocated here at their
 * exact size (see slirp_netif.c), and output segments are copied here by
 * tcp_write(COPY). Bound: per session one window in and one send buffer out,
 * plus ~25% for pbuf headers and small segments. */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (IMAPD_MAX_SESSIONS * (TCP_WND + TCP_SND_BUF) * 5 / 4 + 16 * 1024)
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
/* The pool serves lwIP's own small packets (ARP, DHCP, ICMP replies). */
#define PBUF_POOL_SIZE 16

#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0

#endif
