/*
 * startup.c - vector table, reset, and fault reporting for the Cortex-M3.
 * Reset copies .data from flash, clears .bss, paints the stack (for the
 * high-water mark) and calls main().
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "clock.h"
#include "net.h"
#include "semihost.h"
#include "uart.h"

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);
void reset_handler(void);
void fault_handler(void);
void default_handler(void);
void _exit(int code) __attribute__((noreturn));

#define STACK_PAINT 0xa5a5a5a5u

void reset_handler(void)
{
	const uint32_t *src = __data_load;
	for (uint32_t *dst = __data_start; dst < __data_end;)
		*dst++ = *src++;
	for (uint32_t *dst = __bss_start; dst < __bss_end;)
		*dst++ = 0;
	/* Paint the stack below the current frame, leaving a margin for it. */
	uint32_t *sp;
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	for (uint32_t *p = __stack_bottom; p < sp - 16; p++)
		*p = STACK_PAINT;
	semihost_exit(main());
}

uint32_t board_stack_used(void)
{
	const uint32_t *p = __stack_bottom;
	while (p < __stack_top && *p == STACK_PAINT)
		p++;
	return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

uint32_t board_stack_size(void)
{
	return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)__stack_bottom);
}

static void fault_puts(const char *s)
{
	uart_write(s, strlen(s));
}

static void fault_hex(const char *name, uint32_t v)
{
	char b[20];
	static const char digits[] = "0123456789abcdef";
	fault_puts(name);
	for (int i = 0; i < 8; i++)
		b[i] = digits[(v >> (28 - 4 * i)) & 15u];
	b[8] = ' ';
	uart_write(b, 9);
}

/* Any fault is a firmware bug: report where, then stop with exit status 3 so
 * that a test run notices. */
void fault_handler(void)
{
	uint32_t *frame;
	__asm__ volatile("mrs %0, msp" : "=r"(frame));
	fault_puts("\nFAULT ");
	fault_hex("cfsr=", BOARD_SCB_CFSR);
	fault_hex("hfsr=", BOARD_SCB_HFSR);
	fault_hex("bfar=", BOARD_SCB_BFAR);
	fault_hex("pc=", frame[6]);
	fault_hex("lr=", frame[5]);
	fault_puts("\n");
	semihost_exit(3);
}

/* newlib's exit() ends here (Mbed TLS calls it on a corrupted arena). */
void _exit(int code)
{
	fault_puts("\nexit\n");
	semihost_exit(code);
}

void default_handler(void)
{
	fault_puts("\nunexpected interrupt\n");
	semihost_exit(3);
}

#define BOARD_IRQS 32

__attribute__((section(".vectors"), used))
static void (*const vectors[16 + BOARD_IRQS])(void) = {
	(void (*)(void))(uintptr_t)__stack_top,
	reset_handler,
	fault_handler,     /* NMI */
	fault_handler,     /* HardFault */
	fault_handler,     /* MemManage */
	fault_handler,     /* BusFault */
	fault_handler,     /* UsageFault */
	0, 0, 0, 0,
	default_handler,   /* SVCall */
	default_handler,   /* DebugMon */
	0,
	default_handler,   /* PendSV */
	clock_systick_handler,
	/* IRQ 0..31: only the Ethernet controller's is used. */
	default_handler, default_handler, default_handler, default_handler,
	default_handler, default_handler, default_handler, default_handler,
	default_handler, default_handler, default_handler, default_handler,
	default_handler, net_irq_handler, default_handler, default_handler,
	default_handler, default_handler, default_handler, default_handler,
	default_handler, default_handler, default_handler, default_handler,
	default_handler, default_handler, default_handler, default_handler,
	default_handler, default_handler, default_handler, default_handler,
};
_Static_assert(BOARD_LAN9118_IRQ == 13, "vector table places the Ethernet IRQ at 13");
