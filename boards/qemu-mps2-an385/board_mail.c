/*
 * board_mail.c - compose the welcome and boot-report messages (plain
 * US-ASCII text, CRLF line ends) and deliver them to users' INBOXes.
 *
 * A message is composed twice from the same inputs: once to count its
 * bytes (the store wants the exact size up front), once to stream it line
 * by line into the store. No message buffer: one line at a time.
 */
#include "board_mail.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "mail_deliver.h"
#include "port.h"
#include "store.h"

#define MAIL_LINE_MAX 192

struct mail_text {
	struct store *s;
	bool writing;          /* false: only count */
	uint32_t len;
	int err;               /* first error, STORE_OK if none */
	/* fixed for both passes */
	const char *user;
	int64_t now;
	uint32_t now_ms;
	const void *arg;
	/* On mail_send()'s stack (3.3 KB, mostly the MIME blob): mail is only
	 * composed at boot, before the server runs, so no static RAM for it. */
	struct mail_delivery *d;
};

static void mail_add(struct mail_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mail_add(struct mail_text *t, const char *fmt, ...)
{
	char line[MAIL_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (t->err != STORE_OK)
		return;
	if (n < 0 || (size_t)n >= sizeof(line)) {
		t->err = STORE_INVAL;   /* a bug in this file: the texts are fixed */
		return;
	}
	t->len += (uint32_t)n;
	for (int off = 0; t->writing && off < n;) {
		int r = mail_deliver_write(t->d, line + off, (uint32_t)(n - off));
		if (r == STORE_AGAIN && store_poll(t->s))
			continue;
		if (r < 0) {
			t->err = r == STORE_AGAIN ? STORE_NOSPACE : r;
			return;
		}
		off += r;
	}
}

static void mail_header(struct mail_text *t, const char *subject)
{
	char date[MAIL_DATE_MAX];
	const char *host = port_hostname();

	mail_date_format(t->now, port_tz_minutes(), date);
	mail_add(t, "Date: %s\r\n", date);
	mail_add(t, "From: imapd on %s <postmaster@%s>\r\n", host, host);
	mail_add(t, "To: %s <%s@%s>\r\n", t->user, t->user, host);
	mail_add(t, "Subject: %s\r\n", subject);
	mail_add(t, "Message-ID: <%lld.%lu.%s@%s>\r\n", (long long)t->now, (unsigned long)t->now_ms,
		 t->user, host);
	mail_add(t, "MIME-Version: 1.0\r\n");
	mail_add(t, "Content-Type: text/plain; charset=us-ascii\r\n");
	mail_add(t, "Content-Transfer-Encoding: 7bit\r\n\r\n");
}

/* Count, then stream: compose() must produce the same text both times. */
static int mail_send(struct store *s, const char *user, const void *arg,
		     void (*compose)(struct mail_text *t))
{
	struct mail_delivery d;
	struct mail_text t = {s, false, 0, STORE_OK, user, port_time_unix(), port_now_ms(), arg, &d};
	uint32_t uid;
	int r;

	compose(&t);
	if (t.err != STORE_OK)
		return t.err;
	uint32_t size = t.len;
	while ((r = mail_deliver_begin(&d, s, user, "INBOX", size, 0)) == STORE_AGAIN &&
	       store_poll(s))
		;
	if (r != STORE_OK)
		return r == STORE_AGAIN ? STORE_NOSPACE : r;
	t.writing = true;
	t.len = 0;
	compose(&t);
	if (t.err == STORE_OK && t.len != size)
		t.err = STORE_INVAL;
	if (t.err != STORE_OK) {
		mail_deliver_abort(&d);
		return t.err;
	}
	while ((r = mail_deliver_commit(&d, &uid)) == STORE_AGAIN) {
		if (!store_poll(s)) {
			mail_deliver_abort(&d);
			return STORE_NOSPACE;
		}
	}
	return r;
}

static void compose_welcome(struct mail_text *t)
{
	mail_header(t, "Welcome to your mail server");
	mail_add(t, "Hello %s,\r\n\r\n", t->user);
	mail_add(t, "this mailbox lives on %s, a %s board running imapd.\r\n",
		 port_hostname(), BOARD_NAME);
	mail_add(t, "Mail is kept in the board's NOR flash and survives reboots.\r\n\r\n");
	mail_add(t, "Connect with any IMAP client: port 993 (TLS) or port 143\r\n");
	mail_add(t, "(STARTTLS). The server's certificate is self-signed; compare\r\n");
	mail_add(t, "its fingerprint with the one the board prints at boot.\r\n\r\n");
	mail_add(t, "Folders: INBOX, Drafts, Sent, Trash, Junk, Archive.\r\n");
}

int board_mail_welcome(struct store *s, const char *user)
{
	return mail_send(s, user, NULL, compose_welcome);
}

struct boot_report {
	const struct board_boot_info *info;
	struct store_stats st;
};

static void compose_boot_report(struct mail_text *t)
{
	const struct boot_report *b = t->arg;
	const struct board_boot_info *info = b->info;
	char subject[64];

	snprintf(subject, sizeof(subject), "Boot report: %s boot #%lu", port_hostname(),
		 (unsigned long)info->boot_count);
	mail_header(t, subject);
	mail_add(t, "Board:        %s\r\n", BOARD_NAME);
	mail_add(t, "Boot number:  %lu\r\n", (unsigned long)info->boot_count);
	mail_add(t, "Address:      %s\r\n", info->address);
	mail_add(t, "Started in:   %lu ms\r\n", (unsigned long)info->boot_ms);
	mail_add(t, "Flash:        %llu KiB, %llu KiB free\r\n",
		 (unsigned long long)(b->st.flash_bytes / 1024),
		 (unsigned long long)(b->st.free_bytes / 1024));
	mail_add(t, "Mail:         %lu messages in %lu mailboxes\r\n",
		 (unsigned long)b->st.messages, (unsigned long)b->st.mailboxes);
	mail_add(t, "Stack:        %lu of %lu bytes used so far\r\n",
		 (unsigned long)info->stack_used, (unsigned long)info->stack_size);
	if (info->fingerprint[0])
		mail_add(t, "Certificate:  SHA-256 %s\r\n", info->fingerprint);
}

/* Users are the "user/<name>" configuration records (auth.h). */
int board_mail_boot_report(struct store *s, const struct board_boot_info *info)
{
	char key[STORE_CFG_KEY_MAX + 1];
	uint32_t cursor = 0;
	struct boot_report b = {info, {0}};
	int sent = 0;

	store_get_stats(s, &b.st);
	while (store_cfg_next(s, "user/", &cursor, key) == 1) {
		const char *user = key + 5;
		if (*user == '\0' || strchr(user, '/'))
			continue;
		int r = mail_send(s, user, &b, compose_boot_report);
		if (r == STORE_OK)
			sent++;
		else
			port_log(PORT_LOG_ERR, "boot report for %s: store error %d", user, r);
	}
	return sent;
}
