/*
 * imap_mailbox.c - mailbox naming rules and hierarchy helpers.
 * Delimiter '/'; names are stored as UTF-8; INBOX is case-insensitive.
 */
#include <string.h>

#include "imap_internal.h"
#include "imap_mailbox.h"

const char *imap_mbox_name_check(const char *name)
{
	size_t len = strlen(name);
	if (len == 0)
		return "Empty mailbox name";
	if (len > STORE_NAME_MAX)
		return "Mailbox name too long";
	if (name[0] == '/' || name[len - 1] == '/' || strstr(name, "//"))
		return "Empty hierarchy level in mailbox name";
	if (strpbrk(name, "*%"))
		return "Wildcards are not allowed in mailbox names";
	return NULL;
}

int imap_mbox_find(struct imap_session *s, const char *name, store_mbox_t *mb)
{
	return store_mbox_find(imap_store(s), s->user, name, mb);
}

int imap_mbox_create_path(struct imap_session *s, const char *name, uint32_t attrs)
{
	struct store *st = imap_store(s);
	char path[STORE_NAME_MAX + 1];
	store_mbox_t mb;
	size_t len = strlen(name);
	if (len > STORE_NAME_MAX)
		return STORE_INVAL;
	if (store_mbox_find(st, s->user, name, &mb) == STORE_OK)
		return STORE_EXISTS;
	for (size_t i = 1; i < len; i++) {
		if (name[i] != '/')
			continue;
		memcpy(path, name, i);
		path[i] = '\0';
		if (store_mbox_find(st, s->user, path, &mb) == STORE_OK)
			continue;
		int r = store_mbox_create(st, s->user, path, 0, &mb);
		if (r != STORE_OK)
			return r;
	}
	return store_mbox_create(st, s->user, name, attrs, &mb);
}

bool imap_mbox_has_children(struct imap_session *s, const char *name)
{
	struct store *st = imap_store(s);
	struct store_mbox_info info;
	size_t len = strlen(name);
	for (store_mbox_t mb = store_mbox_next(st, s->user, -1); mb >= 0;
	     mb = store_mbox_next(st, s->user, mb))
		if (store_mbox_info(st, mb, &info) == STORE_OK &&
		    strncmp(info.name, name, len) == 0 && info.name[len] == '/')
			return true;
	return false;
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
