/*
 * test_imap_vanished.c - VANISHED (EARLIER) (firmware/imap_vanished.c)
 * through UID FETCH (CHANGEDSINCE n VANISHED): the complement of the live
 * UIDs below UIDNEXT, narrowed to the client's UID set (unsorted and
 * overlapping ranges included), never naming a live UID, the same when the
 * output is paced a few bytes at a time, and a message another session
 * expunged stays out of it until this session has been told (which then
 * comes as VANISHED, never EXPUNGE).
 */
#include <stdlib.h>

#include "imap_fake.h"
#include "imap_internal.h"
#include "mail_deliver.h"
#include "unit.h"

#define N 300

static struct fake_conn ca, cb;
static struct mail_delivery deliv;
static bool live[N + 2];
static bool seen[N + 2];

static void login(struct fake_conn *c)
{
	fake_open(c);
	fake_cmd(c, "L LOGIN alice secret\r\n");
	fake_cmd(c, "E ENABLE QRESYNC\r\n");
	fake_take(c);
}

static uint32_t deliver(const char *mbox)
{
	static const char m[] = "Subject: v\r\n\r\nbody\r\n";
	uint32_t uid = 0;
	CHECK_EQ_INT(mail_deliver(&deliv, &fake_store, "alice", mbox, m, sizeof m - 1, 0, &uid),
		     STORE_OK);
	return uid;
}

/* Mark every UID of the VANISHED (EARLIER) lines in out; false on a line
 * that does not parse. */
static bool collect(const char *out)
{
	memset(seen, 0, sizeof(seen));
	for (const char *l = strstr(out, "* VANISHED (EARLIER) "); l;
	     l = strstr(l, "* VANISHED (EARLIER) ")) {
		const char *p = l + strlen("* VANISHED (EARLIER) ");
		for (;;) {
			char *e;
			unsigned long a = strtoul(p, &e, 10), b = a;
			if (e == p)
				return false;
			if (*e == ':') {
				p = e + 1;
				b = strtoul(p, &e, 10);
			}
			if (a == 0 || b < a || b > N)
				return false;
			for (unsigned long u = a; u <= b; u++)
				seen[u] = true;
			if (*e != ',')
				break;
			p = e + 1;
		}
		l = p;
	}
	return true;
}

/* Fill mailbox name with N messages and expunge a random third of them. */
static void setup(const char *name, unsigned seed)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "C CREATE %s\r\n", name);
	fake_cmd(&ca, cmd);
	for (int i = 1; i <= N; i++)
		CHECK_EQ_INT(deliver(name), (uint32_t)i);
	snprintf(cmd, sizeof cmd, "S SELECT %s\r\n", name);
	fake_cmd(&ca, cmd);
	srand(seed);
	for (int i = 1; i <= N; i++)
		live[i] = rand() % 3 != 0;
	live[N] = rand() % 2;   /* sometimes the last UID is gone too */
	for (int i = 1; i <= N; i++)
		if (!live[i]) {
			snprintf(cmd, sizeof cmd, "D UID STORE %d +FLAGS.SILENT (\\Deleted)\r\n", i);
			fake_cmd(&ca, cmd);
		}
	fake_cmd(&ca, "X EXPUNGE\r\n");
	fake_take(&ca);
}

/* UID FETCH 1:* with VANISHED on ca: the EARLIER UIDs are exactly the
 * messages that are not live, and nothing else is answered. */
static void check_complement(void)
{
	const char *out = fake_cmd(&ca, "F UID FETCH 1:* (UID) (CHANGEDSINCE 9000000 VANISHED)\r\n");
	CHECK(strstr(out, "F OK ") != NULL);
	CHECK(strstr(out, " FETCH (") == NULL);   /* nothing changed since */
	CHECK(collect(out));
	int wrong = 0;
	for (int u = 1; u <= N; u++)
		wrong += seen[u] == live[u];
	CHECK_EQ_INT(wrong, 0);
}

TEST(complement_of_live_uids)
{
	login(&ca);
	setup("V1", 11);
	check_complement();
	fake_close_conn(&ca);
}

TEST(narrowed_to_the_clients_set)
{
	static const char *const sets[] = { "250:*,1:40,30:60,100", "7", "2:3,299:300",
					    "290:9999", "41:45,41:45" };
	login(&ca);
	setup("V2", 12);
	for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
		char cmd[160];
		bool in[N + 2] = { false };
		/* the set, expanded ('*' is the highest UID, N) */
		const char *p = sets[k];
		while (*p) {
			char *e;
			unsigned long a = strtoul(p, &e, 10), b = a;
			if (*e == ':') {
				b = e[1] == '*' ? N : strtoul(e + 1, &e, 10);
				if (e[0] == ':')
					e += 2;
			}
			for (unsigned long u = a; u <= b && u <= N; u++)
				in[u] = true;
			p = *e == ',' ? e + 1 : e;
		}
		snprintf(cmd, sizeof cmd, "F UID FETCH %s (UID) (CHANGEDSINCE 9000000 VANISHED)\r\n",
			 sets[k]);
		CHECK(collect(fake_cmd(&ca, cmd)));
		int wrong = 0;
		for (int u = 1; u <= N; u++)
			wrong += seen[u] != (in[u] && !live[u]);
		if (wrong)
			printf("  set %s: %d UIDs wrong\n", sets[k], wrong);
		CHECK_EQ_INT(wrong, 0);
	}
	fake_close_conn(&ca);
}

TEST(paced_output_same_answer)
{
	login(&ca);
	setup("V3", 13);
	ca.room_per_pass = 7;   /* a few bytes a pass: many slices */
	check_complement();
	ca.room_per_pass = 0;
	fake_close_conn(&ca);
}

TEST(unannounced_expunge_is_not_earlier)
{
	login(&ca);
	login(&cb);
	fake_cmd(&ca, "C CREATE V4\r\n");
	for (int i = 1; i <= 5; i++)
		deliver("V4");
	fake_cmd(&ca, "S SELECT V4\r\n");
	fake_cmd(&cb, "S SELECT V4\r\n");
	fake_take(&cb);
	fake_cmd(&ca, "D UID STORE 3 +FLAGS.SILENT (\\Deleted)\r\n");
	fake_cmd(&ca, "X EXPUNGE\r\n");
	fake_take(&ca);
	/* b has not been told: UID 3 still has a sequence number there, so the
	 * EARLIER form leaves it out; a UID command may announce expunges, and
	 * this one does so after its FETCH responses, as VANISHED */
	const char *out = fake_cmd(&cb, "F UID FETCH 1:5 (UID) (CHANGEDSINCE 9000000 VANISHED)\r\n");
	const char *told = strstr(out, "* VANISHED 3\r\n");
	CHECK(told != NULL);
	CHECK(strstr(out, " EXPUNGE\r\n") == NULL);
	char before[512];
	size_t n = told ? (size_t)(told - out) : 0;
	memcpy(before, out, n < sizeof before ? n : sizeof before - 1);
	before[n < sizeof before ? n : sizeof before - 1] = '\0';
	CHECK(collect(before));
	CHECK(!seen[3]);
	out = fake_cmd(&cb, "F UID FETCH 1:5 (UID) (CHANGEDSINCE 9000000 VANISHED)\r\n");
	CHECK(collect(out));
	CHECK(seen[3]);
	CHECK(!seen[1] && !seen[2] && !seen[4] && !seen[5]);
	fake_close_conn(&ca);
	fake_close_conn(&cb);
}

int main(void)
{
	fake_store_init();
	RUN(complement_of_live_uids);
	RUN(narrowed_to_the_clients_set);
	RUN(paced_output_same_answer);
	RUN(unannounced_expunge_is_not_earlier);
	fake_store_done();
	return UNIT_DONE();
}
