/*
 * mail_deliver.c - device mail into the store (see mail_deliver.h).
 */
#include "mail_deliver.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "imap_date.h"
#include "port.h"

int mail_deliver_begin(struct mail_delivery *d, struct store *s, const char *user,
		       const char *mailbox, uint32_t size, uint32_t flags)
{
	store_mbox_t mb;
	int r;

	d->append = NULL;
	r = store_mbox_find(s, user, mailbox, &mb);
	if (r != STORE_OK)
		return r;
	r = store_append_begin(s, mb, size, port_time_unix(), (int16_t)port_tz_minutes(), flags,
			       &d->append);
	if (r != STORE_OK) {
		d->append = NULL;
		return r;
	}
	d->store = s;
	d->left = size;
	d->parsed = false;
	mime_parse_init(&d->parser, d->blob, sizeof(d->blob), 0);
	return STORE_OK;
}

int mail_deliver_write(struct mail_delivery *d, const void *buf, uint32_t len)
{
	if (!d->append)
		return STORE_INVAL;
	if (len > d->left) {
		mail_deliver_abort(d);
		return STORE_INVAL;
	}
	if (len == 0)
		return 0;
	int r = store_append_write(d->store, d->append, buf, len);
	if (r == STORE_AGAIN)
		return r;
	if (r < 0) {
		mail_deliver_abort(d);
		return r;
	}
	/* Parse only what the store took, so the blob matches the bytes kept. */
	mime_parse_feed(&d->parser, buf, (size_t)r);
	d->left -= (uint32_t)r;
	return r;
}

int mail_deliver_commit(struct mail_delivery *d, uint32_t *uid)
{
	if (!d->append || d->left != 0)
		return STORE_INVAL;
	/* A commit retried after STORE_AGAIN attaches the same blob. */
	if (!d->parsed) {
		d->blob_len = mime_parse_finish(&d->parser);
		d->parsed = true;
	}
	int r = store_append_commit(d->store, d->append, d->blob, d->blob_len, uid);
	if (r == STORE_AGAIN)
		return r;
	if (r != STORE_OK)
		store_append_abort(d->store, d->append);
	d->append = NULL;
	return r;
}

void mail_deliver_abort(struct mail_delivery *d)
{
	if (d->append)
		store_append_abort(d->store, d->append);
	d->append = NULL;
}

int mail_deliver(struct mail_delivery *d, struct store *s, const char *user,
		 const char *mailbox, const void *msg, uint32_t len, uint32_t flags,
		 uint32_t *uid)
{
	const uint8_t *p = msg;
	int r;

	do {
		r = mail_deliver_begin(d, s, user, mailbox, len, flags);
	} while (r == STORE_AGAIN && store_poll(s));
	if (r != STORE_OK)
		return r == STORE_AGAIN ? STORE_NOSPACE : r;
	while (len > 0) {
		r = mail_deliver_write(d, p, len);
		if (r == STORE_AGAIN) {
			if (!store_poll(s)) {
				mail_deliver_abort(d);
				return STORE_NOSPACE;
			}
			continue;
		}
		if (r < 0)
			return r;
		p += r;
		len -= (uint32_t)r;
	}
	while ((r = mail_deliver_commit(d, uid)) == STORE_AGAIN) {
		if (!store_poll(s)) {
			mail_deliver_abort(d);
			return STORE_NOSPACE;
		}
	}
	return r;
}

int mail_date_format(int64_t t, int tz_minutes, char out[MAIL_DATE_MAX])
{
	static const char wday[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t local = t + (int64_t)tz_minutes * 60;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t secs = local - days * 86400;
	int64_t y;
	unsigned m, dd;
	imap_civil_from_days(days, &y, &m, &dd);
	int tz = tz_minutes < 0 ? -tz_minutes : tz_minutes;
	int wd = (int)(((days % 7) + 7) % 7);   /* 1970-01-01 was a Thursday */
	return snprintf(out, MAIL_DATE_MAX, "%s, %02u %s %04lld %02d:%02d:%02d %c%02d%02d", wday[wd],
			dd, mon[m - 1], (long long)y, (int)(secs / 3600), (int)(secs / 60 % 60),
			(int)(secs % 60), tz_minutes < 0 ? '-' : '+', tz / 60, tz % 60);
}
