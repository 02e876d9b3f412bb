/*
 * test_imap_mailbox.c - mailbox names as the IMAP layer sees them
 * (firmware/imap_mailbox.c): the three namespaces both ways (visible name
 * <-> owner and store name), length bounds, name rules, and lookups and
 * creation under the rights of imap_acl.h.
 */
#include "imap_acl.h"
#include "imap_fake.h"
#include "imap_mailbox.h"
#include "unit.h"

static struct imap_session alice, bob;

static void as(struct imap_session *s, const char *user)
{
	memset(s, 0, sizeof(*s));
	s->srv = &fake_srv;
	s->v.mb = -1;
	snprintf(s->user, sizeof s->user, "%s", user);
}

/* "owner|name" of a resolved visible name, or "-" if it names none. */
static const char *res(const struct imap_session *s, const char *vname)
{
	static char out[STORE_USER_MAX + STORE_NAME_MAX + 4];
	struct imap_mbref ref;
	if (!imap_mbox_resolve(s, vname, &ref))
		return "-";
	snprintf(out, sizeof out, "%s|%s", ref.owner, ref.name);
	return out;
}

static const char *vname(const struct imap_session *s, const char *owner, const char *name)
{
	static char out[IMAP_VNAME_MAX];
	imap_mbox_vname(s, owner, name, out, sizeof out);
	return out;
}

static char *rep(char *buf, const char *head, char c, size_t n, const char *tail)
{
	size_t h = strlen(head);
	memcpy(buf, head, h);
	memset(buf + h, c, n);
	strcpy(buf + h + n, tail);
	return buf;
}

TEST(resolve_namespaces)
{
	/* own */
	CHECK_EQ_STR(res(&alice, "INBOX"), "alice|INBOX");
	CHECK_EQ_STR(res(&alice, "Projects/x"), "alice|Projects/x");
	CHECK_EQ_STR(res(&alice, "Shared"), "alice|Shared");          /* no prefix: own */
	CHECK_EQ_STR(res(&alice, "Other Users"), "alice|Other Users");
	CHECK_EQ_STR(res(&alice, "shared/x"), "alice|shared/x");      /* prefixes are exact */
	/* another user's */
	CHECK_EQ_STR(res(&alice, "Other Users/bob/x"), "bob|x");
	CHECK_EQ_STR(res(&alice, "Other Users/bob/x/y"), "bob|x/y");
	CHECK_EQ_STR(res(&alice, "Other Users/bob/INBOX"), "bob|INBOX");
	CHECK_EQ_STR(res(&alice, "Other Users/bob/inbox"), "bob|INBOX");
	CHECK_EQ_STR(res(&alice, "Other Users/bob/Inbox/sub"), "bob|INBOX/sub");
	CHECK_EQ_STR(res(&alice, "Other Users/bob/inboxes"), "bob|inboxes");
	/* shared */
	CHECK_EQ_STR(res(&alice, "Shared/x"), "$shared|x");
	CHECK_EQ_STR(res(&alice, "Shared/team/x"), "$shared|team/x");
	/* namespace prefixes themselves name no mailbox */
	CHECK_EQ_STR(res(&alice, "Other Users/"), "-");
	CHECK_EQ_STR(res(&alice, "Other Users/bob"), "-");
	CHECK_EQ_STR(res(&alice, "Other Users/bob/"), "-");
	CHECK_EQ_STR(res(&alice, "Other Users//x"), "-");
	CHECK_EQ_STR(res(&alice, "Shared/"), "-");
	CHECK_EQ_STR(res(&alice, ""), "-");
}

TEST(resolve_lengths)
{
	char v[400], want[400], u[STORE_USER_MAX + 2];
	/* store names up to STORE_NAME_MAX, in every namespace */
	CHECK_EQ_STR(res(&alice, rep(v, "", 'n', STORE_NAME_MAX, "")),
		     rep(want, "alice|", 'n', STORE_NAME_MAX, ""));
	CHECK_EQ_STR(res(&alice, rep(v, "", 'n', STORE_NAME_MAX + 1, "")), "-");
	CHECK_EQ_STR(res(&alice, rep(v, "Shared/", 'n', STORE_NAME_MAX, "")),
		     rep(want, "$shared|", 'n', STORE_NAME_MAX, ""));
	CHECK_EQ_STR(res(&alice, rep(v, "Shared/", 'n', STORE_NAME_MAX + 1, "")), "-");
	CHECK_EQ_STR(res(&alice, rep(v, "Other Users/bob/", 'n', STORE_NAME_MAX, "")),
		     rep(want, "bob|", 'n', STORE_NAME_MAX, ""));
	CHECK_EQ_STR(res(&alice, rep(v, "Other Users/bob/", 'n', STORE_NAME_MAX + 1, "")), "-");
	/* user names up to STORE_USER_MAX */
	rep(u, "", 'u', STORE_USER_MAX, "");
	CHECK_EQ_STR(res(&alice, rep(v, "Other Users/", 'u', STORE_USER_MAX, "/x")),
		     rep(want, "", 'u', STORE_USER_MAX, "|x"));
	CHECK_EQ_STR(res(&alice, rep(v, "Other Users/", 'u', STORE_USER_MAX + 1, "/x")), "-");
	/* the longest visible name fits IMAP_VNAME_MAX and comes back */
	rep(want, "", 'n', STORE_NAME_MAX, "");
	const char *longest = vname(&alice, u, want);
	CHECK_EQ_INT(strlen(longest), IMAP_VNAME_MAX - 1);
	struct imap_mbref ref;
	CHECK(imap_mbox_resolve(&alice, longest, &ref));
	CHECK_EQ_STR(ref.owner, u);
	CHECK_EQ_STR(ref.name, want);
}

TEST(vname_round_trip)
{
	CHECK_EQ_STR(vname(&alice, "alice", "INBOX"), "INBOX");
	CHECK_EQ_STR(vname(&alice, "alice", "a/b"), "a/b");
	CHECK_EQ_STR(vname(&alice, "bob", "INBOX"), "Other Users/bob/INBOX");
	CHECK_EQ_STR(vname(&alice, "bob", "a/b"), "Other Users/bob/a/b");
	CHECK_EQ_STR(vname(&alice, "$shared", "team"), "Shared/team");
	CHECK_EQ_STR(vname(&bob, "alice", "INBOX"), "Other Users/alice/INBOX");
	CHECK_EQ_STR(vname(&bob, "bob", "INBOX"), "INBOX");
	/* a small buffer truncates, never overflows */
	char small[8];
	imap_mbox_vname(&alice, "bob", "x", small, sizeof small);
	CHECK_EQ_STR(small, "Other U");
	static const char *const owners[] = { "alice", "bob", "$shared" };
	/* (an own name under a namespace prefix cannot exist: creating or
	 * renaming to it resolves into that namespace) */
	static const char *const names[] = { "INBOX", "x", "a/b/c", "Shared", "Other Users" };
	for (size_t o = 0; o < 3; o++)
		for (size_t n = 0; n < 5; n++) {
			char want[200];
			snprintf(want, sizeof want, "%s|%s", owners[o], names[n]);
			CHECK_EQ_STR(res(&alice, vname(&alice, owners[o], names[n])), want);
		}
}

TEST(name_check)
{
	CHECK(imap_mbox_name_check("INBOX") == NULL);
	CHECK(imap_mbox_name_check("a") == NULL);
	CHECK(imap_mbox_name_check("a/b/c") == NULL);
	CHECK(imap_mbox_name_check("with space & \"quotes\"") == NULL);
	CHECK(imap_mbox_name_check("caf\xc3\xa9") == NULL);
	CHECK_EQ_STR(imap_mbox_name_check(""), "Empty mailbox name");
	CHECK_EQ_STR(imap_mbox_name_check("/a"), "Empty hierarchy level in mailbox name");
	CHECK_EQ_STR(imap_mbox_name_check("a/"), "Empty hierarchy level in mailbox name");
	CHECK_EQ_STR(imap_mbox_name_check("a//b"), "Empty hierarchy level in mailbox name");
	CHECK_EQ_STR(imap_mbox_name_check("/"), "Empty hierarchy level in mailbox name");
	CHECK_EQ_STR(imap_mbox_name_check("a*"), "Wildcards are not allowed in mailbox names");
	CHECK_EQ_STR(imap_mbox_name_check("a/%/b"), "Wildcards are not allowed in mailbox names");
}

TEST(find_and_create_with_rights)
{
	store_mbox_t mb, mb2;
	/* own: superiors are created too */
	CHECK_EQ_INT(imap_mbox_create_path(&alice, "Projects/a/b", 0), STORE_OK);
	CHECK_EQ_INT(imap_mbox_find(&alice, "Projects", &mb), STORE_OK);
	CHECK_EQ_INT(imap_mbox_find(&alice, "Projects/a", &mb), STORE_OK);
	CHECK_EQ_INT(imap_mbox_find(&alice, "Projects/a/b", &mb), STORE_OK);
	CHECK_EQ_INT(imap_mbox_create_path(&alice, "Projects/a/b", 0), STORE_EXISTS);
	CHECK(imap_mbox_has_children(&alice, "Projects"));
	CHECK(imap_mbox_has_children(&alice, "Projects/a"));
	CHECK(!imap_mbox_has_children(&alice, "Projects/a/b"));
	CHECK(!imap_mbox_has_children(&alice, "Proj"));
	CHECK_EQ_INT(imap_mbox_rights(&alice, mb), ACL_ALL);

	/* bob sees none of alice's mailboxes without the lookup right: the
	 * answer is the same as for a missing one */
	CHECK_EQ_INT(imap_mbox_find(&bob, "Other Users/alice/Projects", &mb), STORE_NOENT);
	CHECK_EQ_INT(imap_mbox_find(&bob, "Other Users/alice/Nothing", &mb), STORE_NOENT);
	CHECK_EQ_INT(imap_mbox_create_path(&bob, "Other Users/alice/Projects", 0),
		     IMAP_ERR_NOPERM);
	CHECK_EQ_INT(imap_mbox_create_path(&bob, "Other Users/alice/Projects/c", 0),
		     IMAP_ERR_NOPERM);
	CHECK_EQ_INT(store_mbox_find(&fake_store, "alice", "Projects", &mb), STORE_OK);
	struct store_mbox_info info;
	CHECK_EQ_INT(store_mbox_info(&fake_store, mb, &info), STORE_OK);
	CHECK_EQ_INT(imap_acl_set(&fake_store, info.uidvalidity, "bob", '=', ACL_L | ACL_K),
		     STORE_OK);
	CHECK_EQ_INT(imap_mbox_find(&bob, "Other Users/alice/Projects", &mb2), STORE_OK);
	CHECK_EQ_INT(mb2, mb);
	CHECK_EQ_INT(imap_mbox_rights(&bob, mb), ACL_L | ACL_K);
	CHECK_EQ_INT(imap_mbox_create_path(&bob, "Other Users/alice/Projects", 0), STORE_EXISTS);
	/* 'k' on the nearest existing superior lets bob create below it, and
	 * he administers what he created */
	CHECK_EQ_INT(imap_mbox_create_path(&bob, "Other Users/alice/Projects/c/d", 0), STORE_OK);
	CHECK_EQ_INT(imap_mbox_find(&bob, "Other Users/alice/Projects/c/d", &mb2), STORE_OK);
	CHECK_EQ_INT(imap_mbox_rights(&bob, mb2), ACL_ALL);
	CHECK_EQ_INT(store_mbox_info(&fake_store, mb2, &info), STORE_OK);
	CHECK_EQ_STR(info.user, "alice");
	CHECK_EQ_STR(info.name, "Projects/c/d");
	/* but not beside it: Projects/a's nearest superior is not his */
	CHECK_EQ_INT(imap_mbox_create_path(&bob, "Other Users/alice/Top", 0), IMAP_ERR_NOPERM);

	/* shared: a new top-level one is open to anyone, who then administers it */
	CHECK_EQ_INT(imap_mbox_create_path(&bob, "Shared/team", 0), STORE_OK);
	CHECK_EQ_INT(imap_mbox_find(&bob, "Shared/team", &mb), STORE_OK);
	CHECK_EQ_INT(imap_mbox_rights(&bob, mb), ACL_ALL);
	CHECK_EQ_INT(store_mbox_info(&fake_store, mb, &info), STORE_OK);
	CHECK_EQ_STR(info.user, IMAP_SHARED_OWNER);
	CHECK_EQ_INT(imap_mbox_find(&alice, "Shared/team", &mb2), STORE_NOENT);
	CHECK_EQ_INT(imap_mbox_create_path(&alice, "Shared/team", 0), IMAP_ERR_NOPERM);
	CHECK_EQ_INT(imap_mbox_create_path(&alice, "Shared/team/sub", 0), IMAP_ERR_NOPERM);
	CHECK_EQ_INT(imap_acl_set(&fake_store, info.uidvalidity, "anyone", '=', ACL_L | ACL_R),
		     STORE_OK);
	CHECK_EQ_INT(imap_mbox_find(&alice, "Shared/team", &mb2), STORE_OK);
	CHECK_EQ_INT(imap_mbox_rights(&alice, mb2), ACL_L | ACL_R);
	/* names that resolve to nothing */
	CHECK_EQ_INT(imap_mbox_create_path(&alice, "Shared/", 0), STORE_INVAL);
	CHECK_EQ_INT(imap_mbox_find(&alice, "Other Users/bob", &mb), STORE_NOENT);
}

TEST(subscriptions)
{
	store_mbox_t mb;
	/* own mailboxes: an attribute; the defaults start subscribed */
	CHECK_EQ_INT(imap_mbox_find(&alice, "Trash", &mb), STORE_OK);
	CHECK(imap_mbox_subscribed(&alice, mb));
	CHECK_EQ_INT(imap_mbox_subscribe(&alice, mb, false), STORE_OK);
	CHECK(!imap_mbox_subscribed(&alice, mb));
	CHECK_EQ_INT(imap_mbox_subscribe(&alice, mb, false), STORE_OK);
	CHECK_EQ_INT(imap_mbox_subscribe(&alice, mb, true), STORE_OK);
	CHECK(imap_mbox_subscribed(&alice, mb));
	/* someone else's: the subscriber's own record, not the owner's flag */
	CHECK_EQ_INT(imap_mbox_find(&alice, "Shared/team", &mb), STORE_OK);
	CHECK(!imap_mbox_subscribed(&alice, mb));
	CHECK(!imap_mbox_subscribed(&bob, mb));
	CHECK_EQ_INT(imap_mbox_subscribe(&alice, mb, true), STORE_OK);
	CHECK(imap_mbox_subscribed(&alice, mb));
	CHECK(!imap_mbox_subscribed(&bob, mb));
	CHECK_EQ_INT(imap_mbox_subscribe(&alice, mb, false), STORE_OK);
	CHECK(!imap_mbox_subscribed(&alice, mb));
	CHECK_EQ_INT(imap_mbox_subscribe(&alice, mb, false), STORE_OK);
}

int main(void)
{
	fake_store_init();
	as(&alice, "alice");
	as(&bob, "bob");
	RUN(resolve_namespaces);
	RUN(resolve_lengths);
	RUN(vname_round_trip);
	RUN(name_check);
	RUN(find_and_create_with_rights);
	RUN(subscriptions);
	fake_store_done();
	return UNIT_DONE();
}
