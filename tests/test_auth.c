/*
 * test_auth.c - user accounts (firmware/auth.c): password checks, which
 * names are accepted, password changes, and the default mailboxes a new
 * user gets with their RFC 6154 special-use attributes.
 */
#include <stdlib.h>

#include "imap_fake.h"
#include "imap_mailbox.h"
#include "unit.h"

TEST(verify)
{
	/* fake_store_init added alice/secret and bob/hunter2 */
	CHECK(auth_verify(&fake_store, "alice", "secret"));
	CHECK(auth_verify(&fake_store, "bob", "hunter2"));
	CHECK(!auth_verify(&fake_store, "alice", "hunter2"));
	CHECK(!auth_verify(&fake_store, "bob", "secret"));
	CHECK(!auth_verify(&fake_store, "alice", "Secret"));
	CHECK(!auth_verify(&fake_store, "alice", "secre"));
	CHECK(!auth_verify(&fake_store, "alice", "secret "));
	CHECK(!auth_verify(&fake_store, "alice", ""));
	/* unknown users, and names that are only near a real one */
	CHECK(!auth_verify(&fake_store, "carol", "secret"));
	CHECK(!auth_verify(&fake_store, "Alice", "secret"));
	CHECK(!auth_verify(&fake_store, "alic", "secret"));
	CHECK(!auth_verify(&fake_store, "alicea", "secret"));
	CHECK(!auth_verify(&fake_store, "", "secret"));
	/* durable */
	store_unmount(&fake_store);
	CHECK_EQ_INT(store_mount(&fake_store, &fake_fs.dev), STORE_OK);
	CHECK(auth_verify(&fake_store, "alice", "secret"));
	CHECK(!auth_verify(&fake_store, "alice", "wrong"));
}

/* The sliced check (the server's path) against the record Mbed TLS's
 * PBKDF2 wrote: passwords up to and past a SHA-256 block (the HMAC key is
 * hashed first), any slice size, and the same number of rounds for an
 * unknown user as for a known one. */
TEST(sliced_check_matches_pbkdf2)
{
	static const uint32_t slices[] = { 1, 7, 250, 3999, 4000, UINT32_MAX };
	char pw[IMAPD_PASS_MAX + 1];
	srand(3);
	for (int round = 0; round < 6; round++) {
		size_t len = round == 0 ? 64 : round == 1 ? 65 : round == 2 ? IMAPD_PASS_MAX
			     : (size_t)(1 + rand() % IMAPD_PASS_MAX);
		for (size_t i = 0; i < len; i++)
			pw[i] = (char)(33 + rand() % 94);
		pw[len] = '\0';
		CHECK_EQ_INT(auth_user_add(&fake_store, "alice", pw), STORE_OK);
		uint32_t slice = slices[round];
		struct auth_check c;
		auth_check_begin(&c, &fake_store, "alice", pw);
		uint32_t steps = 0, rounds = c.left;
		while (!auth_check_step(&c, slice))
			steps++;
		/* each call but the last left rounds over */
		uint64_t calls = rounds ? ((uint64_t)rounds + slice - 1) / slice : 1;
		CHECK_EQ_INT(steps, calls - 1);
		CHECK(auth_check_result(&c));
		pw[len - 1] ^= 1;   /* one bit off */
		auth_check_begin(&c, &fake_store, "alice", pw);
		while (!auth_check_step(&c, slice))
			;
		CHECK(!auth_check_result(&c));
	}
	CHECK_EQ_INT(auth_user_add(&fake_store, "alice", "secret"), STORE_OK);   /* as before */
	struct auth_check known, unknown;
	auth_check_begin(&known, &fake_store, "alice", "x");
	auth_check_begin(&unknown, &fake_store, "nobody-at-all", "x");
	CHECK_EQ_INT(known.left, unknown.left);
	CHECK(known.left > 1000);
	(void)auth_check_step(&known, UINT32_MAX);
	(void)auth_check_step(&unknown, UINT32_MAX);
	CHECK(!auth_check_result(&known));
	CHECK(!auth_check_result(&unknown));
}

TEST(names_refused)
{
	static const char *const bad[] = {
		"",           /* empty */
		"a/b",        /* '/' would reach into other config keys */
		"$shared",    /* '$' starts pseudo-owners (the shared namespace) */
		"$",
		"a b",        /* spaces and controls */
		" a",
		"a\tb",
		"a\x7f",
		"a23456789012345678901234567890123",   /* 33 bytes > IMAPD_USER_MAX */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = auth_user_add(&fake_store, bad[i], "pw");
		if (r != STORE_INVAL)
			printf("  user name \"%s\":\n", bad[i]);
		CHECK_EQ_INT(r, STORE_INVAL);
		CHECK(!auth_verify(&fake_store, bad[i], "pw"));
	}
	/* and nothing of theirs was created */
	CHECK_EQ_INT(store_mbox_next(&fake_store, "a/b", -1), -1);
	CHECK_EQ_INT(store_mbox_next(&fake_store, "$shared", -1), -1);
	CHECK_EQ_INT(store_mbox_next(&fake_store, "a b", -1), -1);
	/* what is fine: '$' inside, UTF-8, punctuation, exactly 32 bytes */
	CHECK_EQ_INT(auth_user_add(&fake_store, "a$b", "pw1"), STORE_OK);
	CHECK_EQ_INT(auth_user_add(&fake_store, "j\xc3\xbcrgen", "pw2"), STORE_OK);
	CHECK_EQ_INT(auth_user_add(&fake_store, "first.last@example.org", "pw3"), STORE_OK);
	CHECK_EQ_INT(auth_user_add(&fake_store, "a2345678901234567890123456789012", "pw4"),
		     STORE_OK);
	CHECK(auth_verify(&fake_store, "a$b", "pw1"));
	CHECK(auth_verify(&fake_store, "j\xc3\xbcrgen", "pw2"));
	CHECK(auth_verify(&fake_store, "first.last@example.org", "pw3"));
	CHECK(auth_verify(&fake_store, "a2345678901234567890123456789012", "pw4"));
	CHECK(!auth_verify(&fake_store, "a2345678901234567890123456789012", "pw1"));
}

TEST(password_bounds)
{
	char pw[IMAPD_PASS_MAX + 2];
	memset(pw, 'p', sizeof pw);
	pw[IMAPD_PASS_MAX + 1] = '\0';
	CHECK_EQ_INT(auth_user_add(&fake_store, "dave", pw), STORE_INVAL);
	CHECK(!auth_verify(&fake_store, "dave", pw));
	pw[IMAPD_PASS_MAX] = '\0';
	CHECK_EQ_INT(auth_user_add(&fake_store, "dave", pw), STORE_OK);
	CHECK(auth_verify(&fake_store, "dave", pw));
	pw[IMAPD_PASS_MAX - 1] = '\0';
	CHECK(!auth_verify(&fake_store, "dave", pw));
	/* passwords are bytes: UTF-8 and spaces are kept as they are */
	CHECK_EQ_INT(auth_user_add(&fake_store, "erin", "p\xc3\xa4ss word"), STORE_OK);
	CHECK(auth_verify(&fake_store, "erin", "p\xc3\xa4ss word"));
	CHECK(!auth_verify(&fake_store, "erin", "pass word"));
}

TEST(readd_changes_password)
{
	store_mbox_t mb;
	CHECK_EQ_INT(auth_user_add(&fake_store, "frank", "old"), STORE_OK);
	CHECK_EQ_INT(store_mbox_find(&fake_store, "frank", "Sent", &mb), STORE_OK);
	CHECK_EQ_INT(store_mbox_set_attrs(&fake_store, mb, STORE_MB_SENT), STORE_OK);   /* unsubscribe */
	CHECK_EQ_INT(auth_user_add(&fake_store, "frank", "new"), STORE_OK);
	CHECK(auth_verify(&fake_store, "frank", "new"));
	CHECK(!auth_verify(&fake_store, "frank", "old"));
	/* the same password again still works (a fresh salt each time) */
	CHECK_EQ_INT(auth_user_add(&fake_store, "frank", "new"), STORE_OK);
	CHECK(auth_verify(&fake_store, "frank", "new"));
	/* existing mailboxes are left as they are, none doubled */
	struct store_mbox_info info;
	CHECK_EQ_INT(store_mbox_find(&fake_store, "frank", "Sent", &mb), STORE_OK);
	CHECK_EQ_INT(store_mbox_info(&fake_store, mb, &info), STORE_OK);
	CHECK_EQ_INT(info.attrs, STORE_MB_SENT);
	int n = 0;
	for (store_mbox_t m = store_mbox_next(&fake_store, "frank", -1); m >= 0;
	     m = store_mbox_next(&fake_store, "frank", m))
		n++;
	CHECK_EQ_INT(n, 6);
	/* other users untouched */
	CHECK(auth_verify(&fake_store, "alice", "secret"));
}

TEST(default_mailboxes)
{
	static const struct {
		const char *name;
		uint32_t attrs;
		const char *use;
	} want[] = {
		{ "INBOX", 0, NULL },
		{ "Drafts", STORE_MB_DRAFTS, "\\Drafts" },
		{ "Sent", STORE_MB_SENT, "\\Sent" },
		{ "Trash", STORE_MB_TRASH, "\\Trash" },
		{ "Junk", STORE_MB_JUNK, "\\Junk" },
		{ "Archive", STORE_MB_ARCHIVE, "\\Archive" },
	};
	CHECK_EQ_INT(auth_user_add(&fake_store, "gina", "pw"), STORE_OK);
	int n = 0;
	for (store_mbox_t m = store_mbox_next(&fake_store, "gina", -1); m >= 0;
	     m = store_mbox_next(&fake_store, "gina", m)) {
		struct store_mbox_info info;
		CHECK_EQ_INT(store_mbox_info(&fake_store, m, &info), STORE_OK);
		CHECK_EQ_STR(info.user, "gina");
		CHECK_EQ_INT(info.messages, 0);
		n++;
	}
	CHECK_EQ_INT(n, 6);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		store_mbox_t mb;
		struct store_mbox_info info;
		CHECK_EQ_INT(store_mbox_find(&fake_store, "gina", want[i].name, &mb), STORE_OK);
		CHECK_EQ_INT(store_mbox_info(&fake_store, mb, &info), STORE_OK);
		CHECK_EQ_STR(info.name, want[i].name);
		/* each with its special use, all subscribed */
		CHECK_EQ_INT(info.attrs, want[i].attrs | STORE_MB_SUBSCRIBED);
		const char *use = imap_special_use_name(info.attrs & ~STORE_MB_SUBSCRIBED);
		if (want[i].use)
			CHECK_EQ_STR(use, want[i].use);
		else
			CHECK(use == NULL);
	}
	/* an unknown user has no mailboxes; a failed verify creates none */
	CHECK(!auth_verify(&fake_store, "henry", "pw"));
	CHECK_EQ_INT(store_mbox_next(&fake_store, "henry", -1), -1);
}

int main(void)
{
	fake_store_init();
	RUN(verify);
	RUN(sliced_check_matches_pbkdf2);
	RUN(names_refused);
	RUN(password_bounds);
	RUN(readd_changes_password);
	RUN(default_mailboxes);
	fake_store_done();
	return UNIT_DONE();
}
