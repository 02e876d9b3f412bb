/*
 * test_libc_fmt.c - the firmware's heap-free snprintf/vsnprintf
 * (boards/qemu-mps2-an385/libc_fmt.c) against the host C library's, for
 * every conversion, flag and length the firmware uses, and truncation.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

/* Compile the board's formatter under other names next to the host's. */
#define vsnprintf fmt_vsnprintf
#define snprintf fmt_snprintf
int fmt_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t cap, const char *fmt, ...);
#include "../boards/qemu-mps2-an385/libc_fmt.c"
#undef vsnprintf
#undef snprintf

static int same(size_t cap, const char *fmt, ...)
{
	char a[256], b[256];
	va_list ap, aq;
	memset(a, 'x', sizeof(a));
	memset(b, 'x', sizeof(b));
	va_start(ap, fmt);
	va_copy(aq, ap);
	int ra = fmt_vsnprintf(a, cap, fmt, ap);
	int rb = vsnprintf(b, cap, fmt, aq);
	va_end(aq);
	va_end(ap);
	if (ra != rb || memcmp(a, b, sizeof(a)) != 0) {
		printf("  format \"%s\" cap %zu: got %d \"%.*s\", want %d \"%.*s\"\n", fmt, cap, ra,
		       (int)(cap ? cap : 1), a, rb, (int)(cap ? cap : 1), b);
		return 0;
	}
	return 1;
}

TEST(integers)
{
	CHECK(same(64, "%d %i %u", 0, -1, 4294967295u));
	CHECK(same(64, "%d|%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42, 42));
	CHECK(same(64, "%d %d", INT32_MIN, INT32_MAX));
	CHECK(same(64, "%ld %lu %lx", -123456789L, 123456789UL, 0xdeadbeefUL));
	CHECK(same(64, "%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX));
	CHECK(same(64, "%zu %zx", (size_t)12345, (size_t)0xabc));
	CHECK(same(64, "%hhu %hd %hhx", 300, 70000, 0x1ff));
	CHECK(same(64, "%x %X %#x %#X %o %#o", 255, 255, 255, 255, 8, 8));
	CHECK(same(64, "%08x %-8x| %8.3x %.0d| %.0x|", 0xbeef, 0xbeef, 7, 0, 0));
	CHECK(same(64, "%.5d %8.5d %-8.5d| %+.3d", -42, 42, 42, 7));
	CHECK(same(64, "%*d %-*d| %.*d", 6, 1, 6, 2, 4, 3));
	CHECK(same(64, "%02u:%02u:%02u %c%02d%02d", 9u, 5u, 7u, '+', 1, 0));
	CHECK(same(64, "%#o %#x", 0, 0));
}

TEST(strings_chars_pointers)
{
	CHECK(same(64, "[%s] [%10s] [%-10s] [%.3s] [%*.*s]", "abc", "abc", "abc", "abcdef", 6, 2,
		   "xyz"));
	CHECK(same(64, "%c%c%c %3c %-3c|", 'a', 'b', 'c', 'd', 'e'));
	CHECK(same(64, "%.*s|", 3, "truncated"));
	CHECK(same(64, "100%% %s", "done"));
	char a[32], b[32];
	void *p = (void *)(uintptr_t)0x1234;
	fmt_snprintf(a, sizeof(a), "%p", p);
	snprintf(b, sizeof(b), "%p", p);
	CHECK_EQ_STR(a, b);
}

TEST(truncation)
{
	for (size_t cap = 0; cap < 24; cap++)
		CHECK(same(cap, "%s=%d (%x)", "value", -12345, 0xfeed));
	char one[1] = {'x'};
	CHECK_EQ_INT(fmt_snprintf(one, 1, "%s", "abc"), 3);
	CHECK_EQ_INT(one[0], '\0');
	CHECK_EQ_INT(fmt_snprintf(NULL, 0, "%d", 12345), 5);
}

TEST(unknown_conversion_copied)
{
	char a[32];
	fmt_snprintf(a, sizeof(a), "a%fb%d", 7);
	CHECK_EQ_STR(a, "a%fb7");
}

int main(void)
{
	RUN(integers);
	RUN(strings_chars_pointers);
	RUN(truncation);
	RUN(unknown_conversion_copied);
	return UNIT_DONE();
}
