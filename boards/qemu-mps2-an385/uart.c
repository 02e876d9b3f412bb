/*
 * uart.c - CMSDK APB UART0: DATA at +0, STATE at +4 (bit 0: TX buffer full),
 * CTRL at +8 (bit 0: TX enable), BAUDDIV at +0x10 (>= 16).
 */
#include "uart.h"

#include <stdint.h>

#include "board.h"

#define UART_REG(off) (*(volatile uint32_t *)(BOARD_UART0_BASE + (off)))
#define UART_DATA UART_REG(0x00)
#define UART_STATE UART_REG(0x04)
#define UART_CTRL UART_REG(0x08)
#define UART_BAUDDIV UART_REG(0x10)

#define UART_STATE_TXFULL 1u
#define UART_CTRL_TXEN 1u

void uart_init(void)
{
	UART_BAUDDIV = BOARD_CPU_HZ / 115200u;
	UART_CTRL = UART_CTRL_TXEN;
}

void uart_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n') {
			while (UART_STATE & UART_STATE_TXFULL)
				;
			UART_DATA = '\r';
		}
		while (UART_STATE & UART_STATE_TXFULL)
			;
		UART_DATA = (uint8_t)s[i];
	}
}
