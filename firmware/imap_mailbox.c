/*
 * imap_mailbox.c - mailbox naming rules, namespaces and hierarchy helpers.
 * Delimiter '/'; names are stored as UTF-8; INBOX is case-insensitive.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imap_acl.h"
#include "imap_internal.h"
#include "imap_mailbox.h"

bool imap_mbox_resolve(const struct imap_session *s, const char *vname, struct imap_mbref *ref)
{
	const char *owner = s->user, *name = vname;
	size_t olen = strlen(s->user);
	size_t lo = sizeof(IMAP_NS_OTHER) - 1, ls = sizeof(IMAP_NS_SHARED) - 1;
	if (strncmp(vname, IMAP_NS_OTHER, lo) == 0) {
		owner = vname + lo;
		const char *slash = strchr(owner, '/');
		if (!slash)
			return false;
		olen = (size_t)(slash - owner);
		name = slash + 1;
	} else if (strncmp(vname, IMAP_NS_SHARED, ls) == 0) {
		owner = IMAP_SHARED_OWNER;
		olen = strlen(owner);
		name = vname + ls;
	}
	if (olen == 0 || olen > STORE_USER_MAX || strlen(name) > STORE_NAME_MAX || !*name)
		return false;
	memcpy(ref->owner, owner, olen);
	ref->owner[olen] = '\0';
	strcpy(ref->name, name);
	/* another user's INBOX keeps its canonical spelling */
	if (strncasecmp(ref->name, "INBOX", 5) == 0 && (ref->name[5] == '\0' || ref->name[5] == '/'))
		memcpy(ref->name, "INBOX", 5);
	return true;
}

void imap_mbox_vname(const struct imap_session *s, const char *owner, const char *name,
		     char *out, size_t cap)
{
	if (strcmp(owner, s->user) == 0)
		snprintf(out, cap, "%s", name);
	else if (strcmp(owner, IMAP_SHARED_OWNER) == 0)
		snprintf(out, cap, IMAP_NS_SHARED "%s", name);
	else
		snprintf(out, cap, IMAP_NS_OTHER "%s/%s", owner, name);
}

const char *imap_mbox_name_check(const char *name)
{
	size_t len = strlen(name);
	if (len == 0)
		return "Empty mailbox name";
	if (name[0] == '/' || name[len - 1] == '/' || strstr(name, "//"))
		return "Empty hierarchy level in mailbox name";
	if (strpbrk(name, "*%"))
		return "Wildcards are not allowed in mailbox names";
	return NULL;
}

uint32_t imap_mbox_rights(struct imap_session *s, store_mbox_t mb)
{
	struct store_mbox_info info;
	if (store_mbox_info(imap_store(s), mb, &info) != STORE_OK)
		return 0;
	return imap_acl_rights(imap_store(s), info.uidvalidity, info.user, s->user);
}

int imap_mbox_find(struct imap_session *s, const char *vname, store_mbox_t *mb)
{
	struct imap_mbref ref;
	if (!imap_mbox_resolve(s, vname, &ref))
		return STORE_NOENT;
	int r = store_mbox_find(imap_store(s), ref.owner, ref.name, mb);
	if (r == STORE_OK && !(imap_mbox_rights(s, *mb) & ACL_L))
		return STORE_NOENT;
	return r;
}

/* May this session create ref? Own namespace: yes. Elsewhere: the 'k' right
 * on the nearest existing superior; a new top-level shared mailbox is open
 * to every user, who then administers it. */
static bool may_create(struct imap_session *s, const struct imap_mbref *ref)
{
	struct store *st = imap_store(s);
	char parent[STORE_NAME_MAX + 1];
	store_mbox_t mb;
	if (strcmp(ref->owner, s->user) == 0)
		return true;
	strcpy(parent, ref->name);
	for (char *slash = strrchr(parent, '/'); slash; slash = strrchr(parent, '/')) {
		*slash = '\0';
		if (store_mbox_find(st, ref->owner, parent, &mb) == STORE_OK)
			return (imap_mbox_rights(s, mb) & ACL_K) != 0;
	}
	return strcmp(ref->owner, IMAP_SHARED_OWNER) == 0;
}

int imap_mbox_create_path(struct imap_session *s, const char *vname, uint32_t attrs)
{
	struct store *st = imap_store(s);
	struct imap_mbref ref;
	char path[STORE_NAME_MAX + 1];
	store_mbox_t mb;
	if (!imap_mbox_resolve(s, vname, &ref))
		return STORE_INVAL;
	if (store_mbox_find(st, ref.owner, ref.name, &mb) == STORE_OK)
		return (imap_mbox_rights(s, mb) & ACL_L) ? STORE_EXISTS : IMAP_ERR_NOPERM;
	if (!may_create(s, &ref))
		return IMAP_ERR_NOPERM;
	bool foreign = strcmp(ref.owner, s->user) != 0;
	size_t len = strlen(ref.name);
	for (size_t i = 1; i <= len; i++) {
		if (ref.name[i] != '/' && ref.name[i] != '\0')
			continue;
		memcpy(path, ref.name, i);
		path[i] = '\0';
		if (store_mbox_find(st, ref.owner, path, &mb) == STORE_OK)
			continue;
		/* a subscription kept from a deleted mailbox of this name comes back */
		uint32_t sub = !foreign && imap_sub_take(st, ref.owner, path) ? STORE_MB_SUBSCRIBED : 0;
		int r = store_mbox_create(st, ref.owner, path, (i == len ? attrs : 0) | sub, &mb);
		if (r != STORE_OK)
			return r;
		if (foreign) {
			/* the creator administers what it created (RFC 4314 5.1.1) */
			struct store_mbox_info info;
			if (store_mbox_info(st, mb, &info) == STORE_OK)
				(void)imap_acl_set(st, info.uidvalidity, s->user, '=', ACL_ALL);
		}
	}
	return STORE_OK;
}

bool imap_mbox_has_children(struct imap_session *s, const char *vname)
{
	struct store *st = imap_store(s);
	struct store_mbox_info info;
	struct imap_mbref ref;
	if (!imap_mbox_resolve(s, vname, &ref))
		return false;
	size_t len = strlen(ref.name);
	for (store_mbox_t mb = store_mbox_next(st, ref.owner, -1); mb >= 0;
	     mb = store_mbox_next(st, ref.owner, mb))
		if (store_mbox_info(st, mb, &info) == STORE_OK &&
		    strncmp(info.name, ref.name, len) == 0 && info.name[len] == '/')
			return true;
	return false;
}

static void sub_key(struct imap_session *s, uint32_t uidvalidity, char key[STORE_CFG_KEY_MAX + 1])
{
	snprintf(key, STORE_CFG_KEY_MAX + 1, "sub/%s/%08lx", s->user, (unsigned long)uidvalidity);
}

bool imap_mbox_subscribed(struct imap_session *s, store_mbox_t mb)
{
	struct store_mbox_info info;
	char key[STORE_CFG_KEY_MAX + 1];
	uint8_t one;
	if (store_mbox_info(imap_store(s), mb, &info) != STORE_OK)
		return false;
	if (strcmp(info.user, s->user) == 0)
		return (info.attrs & STORE_MB_SUBSCRIBED) != 0;
	sub_key(s, info.uidvalidity, key);
	return store_cfg_get(imap_store(s), key, &one, 1) == 1;
}

int imap_mbox_subscribe(struct imap_session *s, store_mbox_t mb, bool on)
{
	struct store *st = imap_store(s);
	struct store_mbox_info info;
	char key[STORE_CFG_KEY_MAX + 1];
	int r = store_mbox_info(st, mb, &info);
	if (r != STORE_OK)
		return r;
	if (strcmp(info.user, s->user) == 0) {
		uint32_t attrs = on ? (info.attrs | STORE_MB_SUBSCRIBED) : (info.attrs & ~STORE_MB_SUBSCRIBED);
		return attrs == info.attrs ? STORE_OK : store_mbox_set_attrs(st, mb, attrs);
	}
	sub_key(s, info.uidvalidity, key);
	if (on) {
		uint8_t one = 1;
		return store_cfg_put(st, key, &one, 1);
	}
	r = store_cfg_del(st, key);
	return r == STORE_NOENT ? STORE_OK : r;
}

/* Subscriptions outlive their mailbox (RFC 3501 6.3.6: a server MUST NOT
 * drop a name from the subscription list on its own). A user's own mailbox
 * carries its subscription as an attribute; when the mailbox is deleted the
 * name goes to a config record "subn/<user>/<hash>" (value: the name) that
 * LSUB and LIST (SUBSCRIBED) report, until UNSUBSCRIBE removes it or a
 * mailbox of that name is created again and takes it back. Colliding hashes
 * probe the next few keys. */
#define SUBN_PROBES 4u

static void subn_key(const char *user, uint32_t h, char key[STORE_CFG_KEY_MAX + 1])
{
	snprintf(key, STORE_CFG_KEY_MAX + 1, "subn/%s/%08lx", user, (unsigned long)h);
}

/* True with name's key in key[]; else false with a free key in key[] ("" if
 * every probe is taken). */
static bool subn_lookup(struct store *st, const char *user, const char *name,
			char key[STORE_CFG_KEY_MAX + 1])
{
	char probe[STORE_CFG_KEY_MAX + 1], val[STORE_NAME_MAX];
	size_t len = strlen(name);
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	key[0] = '\0';
	for (uint32_t k = 0; k < SUBN_PROBES; k++) {
		subn_key(user, h + k, probe);
		int n = store_cfg_get(st, probe, val, sizeof(val));
		if (n == STORE_NOENT) {
			if (!key[0])
				memcpy(key, probe, sizeof(probe));
		} else if (n >= 0 && (size_t)n == len && memcmp(val, name, len) == 0) {
			memcpy(key, probe, sizeof(probe));
			return true;
		}
	}
	return false;
}

int imap_sub_keep(struct store *st, const char *user, const char *name)
{
	char key[STORE_CFG_KEY_MAX + 1];
	if (subn_lookup(st, user, name, key))
		return STORE_OK;
	if (!key[0])
		return STORE_LIMIT;
	return store_cfg_put(st, key, name, (uint32_t)strlen(name));
}

bool imap_sub_take(struct store *st, const char *user, const char *name)
{
	char key[STORE_CFG_KEY_MAX + 1];
	return subn_lookup(st, user, name, key) && store_cfg_del(st, key) == STORE_OK;
}

int imap_sub_next(struct store *st, const char *user, uint32_t *cursor, char name[STORE_NAME_MAX + 1])
{
	char prefix[STORE_CFG_KEY_MAX + 1], key[STORE_CFG_KEY_MAX + 1];
	snprintf(prefix, sizeof(prefix), "subn/%s/", user);
	int r;
	while ((r = store_cfg_next(st, prefix, cursor, key)) == 1) {
		int n = store_cfg_get(st, key, name, STORE_NAME_MAX);
		if (n >= 0) {
			name[n] = '\0';
			return 1;
		}
	}
	return r;
}

int imap_mbox_create_defaults(struct store *st, const char *user)
{
	static const struct {
		const char *name;
		uint32_t attrs;
	} defaults[] = {
		{ "INBOX", 0 },
		{ "Drafts", STORE_MB_DRAFTS },
		{ "Sent", STORE_MB_SENT },
		{ "Trash", STORE_MB_TRASH },
		{ "Junk", STORE_MB_JUNK },
		{ "Archive", STORE_MB_ARCHIVE },
	};
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		store_mbox_t mb;
		if (store_mbox_find(st, user, defaults[i].name, &mb) == STORE_OK)
			continue;
		int r = store_mbox_create(st, user, defaults[i].name,
					  defaults[i].attrs | STORE_MB_SUBSCRIBED, &mb);
		if (r != STORE_OK)
			return r;
	}
	return STORE_OK;
}
