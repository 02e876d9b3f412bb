/*
 * board.h - QEMU mps2-an385 (Cortex-M3, 25 MHz): addresses and board settings.
 * Everything hardware-specific the rest of the board code shares lives here.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

#define BOARD_NAME "qemu-mps2-an385"
#define BOARD_CPU_HZ 25000000u

/* Peripherals (QEMU hw/arm/mps2.c). */
#define BOARD_UART0_BASE 0x40004000u
#define BOARD_LAN9118_BASE 0x40200000u
#define BOARD_LAN9118_IRQ 13

/* Emulated NOR flash behind semihosting: 4 KiB sectors x 4096 = 16 MiB, the
 * geometry of a common 128 Mbit serial NOR part (byte-programmable). */
#ifndef BOARD_FLASH_SECTOR_SIZE
#define BOARD_FLASH_SECTOR_SIZE 4096u
#endif
#ifndef BOARD_FLASH_SECTORS
#define BOARD_FLASH_SECTORS 4096u
#endif
#ifndef BOARD_FLASH_PROG_SIZE
#define BOARD_FLASH_PROG_SIZE 1u
#endif

/* Cortex-M3 system registers used by the board. */
#define BOARD_SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define BOARD_SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define BOARD_SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define BOARD_SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define BOARD_SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define BOARD_SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

/* Board services shared by the board's modules (port.c). */
struct store;
void port_board_init(void);   /* clock base and entropy source */
/* Renew the entropy seed kept in the store and start mixing it in. */
int port_entropy_seed(struct store *s);

#endif
