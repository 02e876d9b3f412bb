/*
 * test_imap_acl.c - RFC 4314 rights (firmware/imap_acl.c): the letters,
 * the per-mailbox list in the store (set, add, remove, delete, iterate,
 * drop), how rights combine, and the list's bound.
 */
#include "imap_acl.h"
#include "imap_fake.h"
#include "unit.h"

#define UV 0x1234abcdu   /* a mailbox identity (its UIDVALIDITY) */

static const char *fmt(uint32_t rights)
{
	static char out[16];
	size_t n = imap_acl_format(rights, out);
	CHECK_EQ_INT(n, strlen(out));
	return out;
}

static uint32_t parse(const char *z)
{
	uint32_t r = 0xdeadbeef;
	CHECK(imap_acl_parse(z, strlen(z), &r));
	return r;
}

/* The list of UV as "ident=rights ident=rights" in stored order. */
static const char *list(uint32_t uv)
{
	static char out[2048];
	char ident[IMAPD_USER_MAX + 1];
	uint32_t pos = 0, r;
	size_t n = 0;
	out[0] = '\0';
	while (imap_acl_next(&fake_store, uv, &pos, ident, sizeof ident, &r))
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s=%s", n ? " " : "", ident,
				      fmt(r));
	return out;
}

TEST(letters)
{
	CHECK_EQ_INT(parse("l"), ACL_L);
	CHECK_EQ_INT(parse("a"), ACL_A);
	CHECK_EQ_INT(parse(""), 0);
	CHECK_EQ_INT(parse(ACL_CHARS), ACL_ALL);
	CHECK_EQ_STR(fmt(ACL_ALL), "lrswipkxtea");
	CHECK_EQ_STR(fmt(0), "");
	/* output is in canonical order whatever the input order */
	CHECK_EQ_STR(fmt(parse("aelr")), "lrea");
	CHECK_EQ_STR(fmt(parse("rrl")), "lr");
	/* every single right round-trips */
	for (uint32_t b = 0; b < 11; b++) {
		char z[2] = { ACL_CHARS[b], 0 };
		CHECK_EQ_INT(parse(z), 1u << b);
		CHECK_EQ_STR(fmt(1u << b), z);
	}
	/* every set of rights round-trips */
	for (uint32_t r = 0; r <= ACL_ALL; r++) {
		char z[16];
		imap_acl_format(r, z);
		uint32_t back = 0;
		CHECK(imap_acl_parse(z, strlen(z), &back));
		if (back != r) {
			CHECK_EQ_INT(back, r);
			break;
		}
	}
	/* RFC 2086's c and d (RFC 4314 2.1.1) */
	CHECK_EQ_INT(parse("c"), ACL_K);
	CHECK_EQ_INT(parse("d"), ACL_X | ACL_T | ACL_E);
	CHECK_EQ_STR(fmt(parse("lrcd")), "lrkxte");
	/* digits are reserved for extensions: accepted, no rights */
	CHECK_EQ_INT(parse("0l9"), ACL_L);
	/* unknown letters refuse the whole string, and *rights is untouched */
	uint32_t r = 77;
	CHECK(!imap_acl_parse("lrz", 3, &r));
	CHECK(!imap_acl_parse("L", 1, &r));
	CHECK(!imap_acl_parse("l r", 3, &r));
	CHECK(!imap_acl_parse("l\0", 2, &r));
	CHECK_EQ_INT(r, 77);
	/* len counts, not NUL */
	CHECK(imap_acl_parse("lrz", 2, &r));
	CHECK_EQ_INT(r, ACL_L | ACL_R);
}

TEST(set_modes)
{
	CHECK_EQ_STR(list(UV), "");
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "bob", '=', parse("lr")), STORE_OK);
	CHECK_EQ_STR(list(UV), "bob=lr");
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "bob", '+', parse("rsw")), STORE_OK);
	CHECK_EQ_STR(list(UV), "bob=lrsw");
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "bob", '-', parse("rx")), STORE_OK);
	CHECK_EQ_STR(list(UV), "bob=lsw");
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "carol", '+', parse("i")), STORE_OK);
	CHECK_EQ_STR(list(UV), "bob=lsw carol=i");
	/* '=' replaces */
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "bob", '=', parse("a")), STORE_OK);
	CHECK_EQ_STR(list(UV), "carol=i bob=a");
	/* removing a right one does not hold changes nothing */
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "dave", '-', parse("l")), STORE_OK);
	CHECK_EQ_STR(list(UV), "carol=i bob=a");
	/* removing every right drops the entry */
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "carol", '-', parse("il")), STORE_OK);
	CHECK_EQ_STR(list(UV), "bob=a");
	/* the list is durable */
	store_unmount(&fake_store);
	CHECK_EQ_INT(store_mount(&fake_store, &fake_fs.dev), STORE_OK);
	CHECK_EQ_STR(list(UV), "bob=a");
	CHECK_EQ_INT(imap_acl_delete(&fake_store, UV, "bob"), STORE_OK);
	CHECK_EQ_STR(list(UV), "");
	/* deleting what is not there is fine */
	CHECK_EQ_INT(imap_acl_delete(&fake_store, UV, "bob"), STORE_OK);
	/* bad identifiers */
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "", '=', ACL_L), STORE_INVAL);
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "a23456789012345678901234567890123", '=', ACL_L),
		     STORE_INVAL);
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "a2345678901234567890123456789012", '=', ACL_L),
		     STORE_OK);
	CHECK_EQ_STR(list(UV), "a2345678901234567890123456789012=l");
	/* lists of different mailboxes are separate; drop removes one */
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV + 1, "bob", '=', ACL_R), STORE_OK);
	CHECK_EQ_STR(list(UV + 1), "bob=r");
	imap_acl_drop(&fake_store, UV);
	CHECK_EQ_STR(list(UV), "");
	CHECK_EQ_STR(list(UV + 1), "bob=r");
	imap_acl_drop(&fake_store, UV + 1);
}

TEST(next_small_buffer)
{
	char ident[4];
	uint32_t pos = 0, r;
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "bob", '=', ACL_L), STORE_OK);
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "carol", '=', ACL_R), STORE_OK);
	CHECK(imap_acl_next(&fake_store, UV, &pos, ident, sizeof ident, &r));
	CHECK_EQ_STR(ident, "bob");
	CHECK_EQ_INT(r, ACL_L);
	/* "carol" does not fit: the iteration stops instead of overflowing */
	CHECK(!imap_acl_next(&fake_store, UV, &pos, ident, sizeof ident, &r));
	imap_acl_drop(&fake_store, UV);
}

TEST(rights_combine)
{
	/* the owner has every right, whatever the list says */
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "alice"), ACL_ALL);
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "alice", '=', ACL_L), STORE_OK);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "alice"), ACL_ALL);
	/* nobody else has any without an entry */
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "bob"), 0);
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "bob", '=', parse("lr")), STORE_OK);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "bob"), ACL_L | ACL_R);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "carol"), 0);
	/* "anyone" reaches everyone, and adds to a user's own entry */
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "anyone", '=', parse("ls")), STORE_OK);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "carol"), ACL_L | ACL_S);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "bob"), ACL_L | ACL_R | ACL_S);
	/* names are compared whole, case-sensitively */
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "bo"), ACL_L | ACL_S);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "bobby"), ACL_L | ACL_S);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "Bob"), ACL_L | ACL_S);
	/* another mailbox's list does not apply */
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV + 1, "alice", "bob"), 0);
	imap_acl_drop(&fake_store, UV);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "bob"), 0);
}

TEST(list_bounded)
{
	char id[16];
	for (int i = 0; i < ACL_MAX_ENTRIES; i++) {
		snprintf(id, sizeof id, "user%02d", i);
		CHECK_EQ_INT(imap_acl_set(&fake_store, UV, id, '=', ACL_L | ACL_R), STORE_OK);
	}
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "oneMore", '=', ACL_L), STORE_LIMIT);
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "oneMore", '+', ACL_L), STORE_LIMIT);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "oneMore"), 0);
	/* existing entries can still change, and removing one makes room */
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "user05", '+', ACL_A), STORE_OK);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "user05"), ACL_L | ACL_R | ACL_A);
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "oneMore", '-', ACL_L), STORE_OK);
	CHECK_EQ_INT(imap_acl_delete(&fake_store, UV, "user00"), STORE_OK);
	CHECK_EQ_INT(imap_acl_set(&fake_store, UV, "oneMore", '=', ACL_L), STORE_OK);
	CHECK_EQ_INT(imap_acl_rights(&fake_store, UV, "alice", "oneMore"), ACL_L);
	uint32_t pos = 0, r, n = 0;
	char ident[IMAPD_USER_MAX + 1];
	while (imap_acl_next(&fake_store, UV, &pos, ident, sizeof ident, &r))
		n++;
	CHECK_EQ_INT(n, ACL_MAX_ENTRIES);
	/* full list of longest names fits the store's record */
	imap_acl_drop(&fake_store, UV);
	for (int i = 0; i < ACL_MAX_ENTRIES; i++) {
		char longid[IMAPD_USER_MAX + 1];
		memset(longid, 'u', IMAPD_USER_MAX);
		snprintf(longid, sizeof longid, "%02d", i);
		longid[2] = 'u';
		longid[IMAPD_USER_MAX] = '\0';
		CHECK_EQ_INT(imap_acl_set(&fake_store, UV, longid, '=', ACL_ALL), STORE_OK);
	}
	pos = n = 0;
	while (imap_acl_next(&fake_store, UV, &pos, ident, sizeof ident, &r)) {
		CHECK_EQ_INT(strlen(ident), IMAPD_USER_MAX);
		CHECK_EQ_INT(r, ACL_ALL);
		n++;
	}
	CHECK_EQ_INT(n, ACL_MAX_ENTRIES);
	imap_acl_drop(&fake_store, UV);
}

int main(void)
{
	fake_store_init();
	RUN(letters);
	RUN(set_modes);
	RUN(next_small_buffer);
	RUN(rights_combine);
	RUN(list_bounded);
	fake_store_done();
	return UNIT_DONE();
}
