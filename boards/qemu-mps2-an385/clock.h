/*
 * clock.h - the board's millisecond tick (SysTick at 1 kHz from the 25 MHz
 * core clock) and the wall clock (semihosting SYS_TIME at boot + the tick).
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

void clock_init(void);
uint32_t clock_ms(void);
void clock_systick_handler(void);

/* Stack high-water mark (startup.c), for the boot log. */
uint32_t board_stack_used(void);
uint32_t board_stack_size(void);

#endif
