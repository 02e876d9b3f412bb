/*
 * unit.h - a minimal unit-test harness. Each tests/test_<module>.c defines
 * TEST(name) functions and a main() that runs them with RUN(name); the last
 * line a test binary prints is "N passed, N failed" (the runner sums them).
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_cur_failed;

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			printf("  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			unit_cur_failed = 1;                                     \
		}                                                                \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                       \
	do {                                                                     \
		long long a_ = (long long)(a), b_ = (long long)(b);              \
		if (a_ != b_) {                                                  \
			printf("  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, \
			       __LINE__, #a, a_, #b, b_);                        \
			unit_cur_failed = 1;                                     \
		}                                                                \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                       \
	do {                                                                     \
		const char *a_ = (a), *b_ = (b);                                 \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                         \
			printf("  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,  \
			       a_ ? a_ : "(null)", b_ ? b_ : "(null)");          \
			unit_cur_failed = 1;                                     \
		}                                                                \
	} while (0)

#define CHECK_EQ_MEM(a, b, n)                                                    \
	do {                                                                     \
		if (memcmp((a), (b), (n)) != 0) {                                \
			printf("  %s:%d: memory differs: %s vs %s\n", __FILE__,   \
			       __LINE__, #a, #b);                                \
			unit_cur_failed = 1;                                     \
		}                                                                \
	} while (0)

#define RUN(name)                                                                \
	do {                                                                     \
		unit_cur_failed = 0;                                             \
		test_##name();                                                   \
		if (unit_cur_failed) {                                           \
			unit_failed++;                                           \
			printf("FAIL %s\n", #name);                              \
		} else {                                                         \
			unit_passed++;                                           \
		}                                                                \
	} while (0)

#define UNIT_DONE()                                                              \
	(printf("%d passed, %d failed\n", unit_passed, unit_failed), unit_failed ? 1 : 0)

#endif
