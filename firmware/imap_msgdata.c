/*
 * imap_msgdata.c - the shared per-step message scratch (imap_msgdata.h).
 */
#include "imap_msgdata.h"

#include "imap_internal.h"
#include "mime_impl.h"

static struct {
	/* cache key of blob[] */
	bool loaded;
	store_mbox_t mb;
	uint32_t uidvalidity, uid;
	/* the read callback's message */
	struct store *st;
	uint32_t idx;
	struct mime_view view;
	struct mime_work work;
	uint8_t blob[STORE_META_MAX];
	char raw[IMAPD_MSG_CHUNK];
	char work_buf[IMAPD_MSGDATA_WORK];
} md;

static int read_cb(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	return store_msg_read(md.st, md.mb, md.idx, off, buf, len);
}

const struct mime_view *imap_msgdata_view(struct imap_session *s, uint32_t idx, uint32_t uid)
{
	struct store *st = imap_store(s);
	bool same = md.loaded && md.mb == s->v.mb && md.uidvalidity == s->v.uidvalidity &&
		    md.uid == uid && md.st == st;
	md.st = st;
	md.idx = idx;   /* the index may have moved since: always take the caller's */
	if (same)
		return &md.view;
	struct store_msg_stat ms;
	md.loaded = false;
	if (store_msg_stat(st, s->v.mb, idx, &ms) != STORE_OK || ms.meta_len > sizeof(md.blob))
		return NULL;
	int n = store_msg_meta_read(st, s->v.mb, idx, 0, md.blob, ms.meta_len);
	if (n < 0 || (uint32_t)n != ms.meta_len)
		return NULL;
	md.mb = s->v.mb;
	md.view.blob = md.blob;
	md.view.blob_len = ms.meta_len;
	md.view.msg_size = ms.size;
	md.view.read = read_cb;
	md.view.read_ctx = NULL;
	md.view.work = &md.work;
	if (mime_view_check(&md.view) != MIME_OK)
		return NULL;
	md.uidvalidity = s->v.uidvalidity;
	md.uid = uid;
	md.loaded = true;
	return &md.view;
}

int imap_msgdata_read(struct imap_session *s, uint32_t idx, uint32_t off, void *buf,
		      uint32_t len)
{
	return store_msg_read(imap_store(s), s->v.mb, idx, off, buf, len);
}

char *imap_msgdata_raw(void) { return md.raw; }
char *imap_msgdata_work(void) { return md.work_buf; }
