/*
 * test_imap_runs.c - lists of number runs (firmware/imap_runs.c): runs
 * joined over gaps, membership, the bound, the text form, lists in walk
 * order (COPYUID's pairs, MODIFIED), and a random comparison with a plain
 * set.
 */
#include <stdlib.h>
#include <string.h>

#include "imap_runs.h"
#include "unit.h"

static struct imap_runs r;

TEST(empty)
{
	uint32_t lo, hi;
	imap_runs_clear(&r);
	CHECK(!imap_runs_contains(&r, 1));
	CHECK(!imap_runs_contains(&r, 0));
	CHECK(!imap_runs_run(&r, 0, &lo, &hi));
}

TEST(runs_and_gaps)
{
	uint32_t lo, hi;
	imap_runs_clear(&r);
	CHECK(imap_runs_add(&r, 3, false));
	CHECK(imap_runs_add(&r, 4, false));    /* adjacent UIDs join anyway */
	CHECK(imap_runs_add(&r, 9, true));     /* 5..8: no message, one run */
	CHECK(imap_runs_add(&r, 20, false));   /* a message in between did not match */
	CHECK_EQ_INT(r.n, 2);
	CHECK(imap_runs_run(&r, 0, &lo, &hi));
	CHECK_EQ_INT(lo, 3);
	CHECK_EQ_INT(hi, 9);
	CHECK(imap_runs_run(&r, 1, &lo, &hi));
	CHECK_EQ_INT(lo, 20);
	CHECK_EQ_INT(hi, 20);
	CHECK(!imap_runs_run(&r, 2, &lo, &hi));
	CHECK(!imap_runs_contains(&r, 2));
	CHECK(imap_runs_contains(&r, 3));
	CHECK(imap_runs_contains(&r, 6));
	CHECK(imap_runs_contains(&r, 9));
	CHECK(!imap_runs_contains(&r, 10));
	CHECK(imap_runs_contains(&r, 20));
	CHECK(!imap_runs_contains(&r, 21));
	CHECK(imap_runs_add(&r, 0xffffffffu, false));
	CHECK(imap_runs_contains(&r, 0xffffffffu));
	CHECK(!imap_runs_contains(&r, 0xfffffffeu));
}

TEST(bound)
{
	imap_runs_clear(&r);
	for (uint32_t i = 0; i < IMAPD_RUNS_MAX; i++)
		CHECK(imap_runs_add(&r, 10 * i + 1, false));
	CHECK(!r.overflow);
	CHECK(imap_runs_add(&r, 10 * (IMAPD_RUNS_MAX - 1) + 2, false));   /* joins */
	CHECK(!imap_runs_add(&r, 100000, false));
	CHECK(r.overflow);
	CHECK(!imap_runs_add(&r, 100001, true));   /* stays refused once full */
	imap_runs_clear(&r);
	CHECK(!r.overflow);
	CHECK_EQ_INT(r.n, 0);
}

/* A mailbox of random UIDs, a random match pattern: the runs must name
 * exactly the matching messages, whatever the gaps between UIDs. */
TEST(random_against_set)
{
	enum { N = 400 };
	static uint32_t uid[N];
	static bool match[N];
	int checked = 0;
	srand(7);
	for (int round = 0; round < 300; round++) {
		uint32_t u = 1 + (uint32_t)(rand() % 5);
		for (int i = 0; i < N; i++) {
			uid[i] = u;
			u += 1 + (uint32_t)(rand() % 4);
		}
		/* blocks: a toggle every ~16 messages, ~12 runs, sometimes too many */
		bool on = rand() % 2;
		for (int i = 0; i < N; i++) {
			if (rand() % N < 25)
				on = !on;
			match[i] = on;
		}
		imap_runs_clear(&r);
		bool prev = false, ok = true;
		for (int i = 0; i < N; i++) {
			if (match[i])
				ok &= imap_runs_add(&r, uid[i], prev);
			prev = match[i];
		}
		if (!ok) {
			CHECK(r.overflow);
			continue;
		}
		checked++;
		for (int i = 0; i < N; i++)
			if (imap_runs_contains(&r, uid[i]) != match[i]) {
				CHECK(!"membership differs");
				return;
			}
	}
	CHECK(checked > 100);   /* most rounds fit the bound */
}

TEST(text_and_walk_order)
{
	char buf[64];
	imap_runs_clear(&r);
	CHECK(!imap_runs_text(&r, buf, sizeof buf));   /* empty: no set to write */
	/* a client's set walked as given: 5,1:3,2 */
	static const uint32_t walk[] = { 5, 1, 2, 3, 2 };
	for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++)
		CHECK(imap_runs_add(&r, walk[i], false));
	CHECK(imap_runs_text(&r, buf, sizeof buf));
	CHECK_EQ_STR(buf, "5,1:3,2");   /* order kept, repeats kept: pairs stay aligned */
	/* the destination UIDs of the same walk: one run, same count */
	struct imap_runs d;
	imap_runs_clear(&d);
	for (uint32_t u = 10; u < 15; u++)
		CHECK(imap_runs_add(&d, u, false));
	CHECK(imap_runs_text(&d, buf, sizeof buf));
	CHECK_EQ_STR(buf, "10:14");
	CHECK(!imap_runs_text(&d, buf, 5));   /* "10:14" needs 6 bytes with its NUL */
	CHECK(imap_runs_text(&d, buf, 6));
	imap_runs_clear(&d);
	CHECK(imap_runs_add(&d, 0xfffffffeu, false));
	CHECK(imap_runs_add(&d, 0xffffffffu, false));
	CHECK(imap_runs_add(&d, 0, false));   /* no wrap into the last run */
	CHECK(imap_runs_text(&d, buf, sizeof buf));
	CHECK_EQ_STR(buf, "4294967294:4294967295,0");
	for (uint32_t i = 0; i < IMAPD_RUNS_MAX; i++)
		(void)imap_runs_add(&d, 2 * i + 10, false);
	CHECK(d.overflow);
	CHECK(!imap_runs_text(&d, buf, sizeof buf));   /* incomplete: never written */
}

int main(void)
{
	RUN(empty);
	RUN(runs_and_gaps);
	RUN(bound);
	RUN(random_against_set);
	RUN(text_and_walk_order);
	return UNIT_DONE();
}
