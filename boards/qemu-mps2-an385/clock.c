/*
 * clock.c - SysTick at 1 kHz. The only interrupt the board enables: it
 * touches nothing but the counter, so the main loop needs no locking.
 */
#include "clock.h"

#include "board.h"

#define SYST_CSR_ENABLE 1u
#define SYST_CSR_TICKINT 2u
#define SYST_CSR_CLKSOURCE 4u  /* core clock */

static volatile uint32_t clock_ticks;

void clock_systick_handler(void)
{
	clock_ticks++;
}

void clock_init(void)
{
	BOARD_SYST_RVR = BOARD_CPU_HZ / 1000u - 1u;
	BOARD_SYST_CVR = 0;
	BOARD_SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
}

uint32_t clock_ms(void)
{
	return clock_ticks;  /* one aligned 32-bit load: atomic on the M3 */
}
