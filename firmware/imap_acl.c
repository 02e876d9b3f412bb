/*
 * imap_acl.c - RFC 4314 rights stored per mailbox in the store's config
 * records. The list of a mailbox is small (<= ACL_MAX_ENTRIES) and read
 * whole; lookups happen once per command, not per message.
 */
#include <string.h>

#include "imap_acl.h"
#include "imapd_config.h"

#define ACL_REC_MAX (ACL_MAX_ENTRIES * (1 + IMAPD_USER_MAX + 2))

static uint8_t rec_buf[ACL_REC_MAX];

static void acl_key(uint32_t uidvalidity, char key[24])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(key, "acl/", 4);
	for (int i = 0; i < 8; i++)
		key[4 + i] = hex[(uidvalidity >> (28 - 4 * i)) & 15];
	key[12] = '\0';
}

static int load(struct store *st, uint32_t uidvalidity)
{
	char key[24];
	acl_key(uidvalidity, key);
	int n = store_cfg_get(st, key, rec_buf, sizeof(rec_buf));
	return n < 0 ? 0 : n;
}

static bool entry_at(int len, uint32_t *pos, const char **ident, size_t *ilen, uint32_t *rights)
{
	if (*pos >= (uint32_t)len)
		return false;
	size_t n = rec_buf[*pos];
	if (*pos + 1 + n + 2 > (uint32_t)len)
		return false;   /* a damaged list ends here */
	*ident = (const char *)rec_buf + *pos + 1;
	*ilen = n;
	*rights = (uint32_t)rec_buf[*pos + 1 + n] | (uint32_t)rec_buf[*pos + 2 + n] << 8;
	*pos += (uint32_t)(1 + n + 2);
	return true;
}

uint32_t imap_acl_rights(struct store *st, uint32_t uidvalidity, const char *owner,
			 const char *login)
{
	if (strcmp(owner, login) == 0)
		return ACL_ALL;
	int len = load(st, uidvalidity);
	uint32_t pos = 0, r, mine = 0, anyone = 0;
	bool have_mine = false;
	const char *id;
	size_t n;
	while (entry_at(len, &pos, &id, &n, &r)) {
		if (n == strlen(login) && memcmp(id, login, n) == 0) {
			mine = r;
			have_mine = true;
		} else if (n == 6 && memcmp(id, "anyone", 6) == 0) {
			anyone = r;
		}
	}
	/* RFC 4314 2: rights of "anyone" and of the user's own entry combine */
	return (have_mine ? mine : 0) | anyone;
}

bool imap_acl_parse(const char *s, size_t len, uint32_t *rights)
{
	uint32_t r = 0;
	for (size_t i = 0; i < len; i++) {
		const char *p = memchr(ACL_CHARS, s[i], sizeof(ACL_CHARS) - 1);
		if (p)
			r |= 1u << (p - ACL_CHARS);
		else if (s[i] == 'c')
			r |= ACL_K;
		else if (s[i] == 'd')
			r |= ACL_X | ACL_T | ACL_E;
		else if (s[i] >= '0' && s[i] <= '9')
			;   /* digits are reserved for extensions: accepted, meaningless */
		else
			return false;
	}
	*rights = r;
	return true;
}

size_t imap_acl_format(uint32_t rights, char out[16])
{
	size_t n = 0;
	for (int i = 0; i < 11; i++)
		if (rights & (1u << i))
			out[n++] = ACL_CHARS[i];
	out[n] = '\0';
	return n;
}

int imap_acl_set(struct store *st, uint32_t uidvalidity, const char *ident, char mode,
		 uint32_t rights)
{
	size_t ilen = strlen(ident);
	if (ilen == 0 || ilen > IMAPD_USER_MAX)
		return STORE_INVAL;
	/* Edited in place: the ident's entry is cut out, the new one appended. */
	int len = load(st, uidvalidity);
	uint32_t pos = 0, r, old = 0, count = 0;
	size_t n;
	const char *id;
	while (entry_at(len, &pos, &id, &n, &r)) {
		if (n == ilen && memcmp(id, ident, n) == 0) {
			old = r;
			uint32_t at = pos - (uint32_t)(1 + n + 2);
			memmove(rec_buf + at, rec_buf + pos, (size_t)len - pos);
			len -= (int)(1 + n + 2);
			pos = at;
			continue;
		}
		count++;
	}
	size_t o = pos;   /* a damaged tail is dropped */
	uint32_t now = mode == '+' ? (old | rights) : mode == '-' ? (old & ~rights) : rights;
	if (now) {
		if (count >= ACL_MAX_ENTRIES)
			return STORE_LIMIT;
		rec_buf[o++] = (uint8_t)ilen;
		memcpy(rec_buf + o, ident, ilen);
		o += ilen;
		rec_buf[o++] = (uint8_t)now;
		rec_buf[o++] = (uint8_t)(now >> 8);
	}
	char key[24];
	acl_key(uidvalidity, key);
	if (o == 0) {
		int e = store_cfg_del(st, key);
		return e == STORE_NOENT ? STORE_OK : e;
	}
	return store_cfg_put(st, key, rec_buf, (uint32_t)o);
}

int imap_acl_delete(struct store *st, uint32_t uidvalidity, const char *ident)
{
	return imap_acl_set(st, uidvalidity, ident, '=', 0);
}

bool imap_acl_next(struct store *st, uint32_t uidvalidity, uint32_t *pos, char *ident,
		   size_t cap, uint32_t *rights)
{
	int len = load(st, uidvalidity);
	const char *id;
	size_t n;
	if (!entry_at(len, pos, &id, &n, rights) || n + 1 > cap)
		return false;
	memcpy(ident, id, n);
	ident[n] = '\0';
	return true;
}

void imap_acl_drop(struct store *st, uint32_t uidvalidity)
{
	char key[24];
	acl_key(uidvalidity, key);
	(void)store_cfg_del(st, key);
}
