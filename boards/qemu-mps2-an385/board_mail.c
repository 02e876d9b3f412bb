/*
 * board_mail.c - compose the welcome and boot-report messages (plain
 * US-ASCII text, CRLF line ends) and deliver them to users' INBOXes.
 */
#include "board_mail.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "board_config.h"
#include "mail_deliver.h"
#include "port.h"
#include "store.h"

#define MAIL_MAX 2048

static struct mail_delivery mail_d;
static char mail_buf[MAIL_MAX];

struct mail_text {
	size_t len;
	bool over;
};

static void mail_add(struct mail_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mail_add(struct mail_text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(mail_buf + t->len, sizeof(mail_buf) - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(mail_buf) - t->len)
		t->over = true;
	else
		t->len += (size_t)n;
}

static void mail_header(struct mail_text *t, const char *user, const char *subject)
{
	char date[MAIL_DATE_MAX];
	int64_t now = port_time_unix();
	const char *host = port_hostname();

	mail_date_format(now, port_tz_minutes(), date);
	mail_add(t, "Date: %s\r\n", date);
	mail_add(t, "From: imapd on %s <postmaster@%s>\r\n", host, host);
	mail_add(t, "To: %s <%s@%s>\r\n", user, user, host);
	mail_add(t, "Subject: %s\r\n", subject);
	mail_add(t, "Message-ID: <%lld.%lu.%s@%s>\r\n", (long long)now, (unsigned long)port_now_ms(),
		 user, host);
	mail_add(t, "MIME-Version: 1.0\r\n");
	mail_add(t, "Content-Type: text/plain; charset=us-ascii\r\n");
	mail_add(t, "Content-Transfer-Encoding: 7bit\r\n\r\n");
}

static int mail_send(const struct mail_text *t, struct store *s, const char *user)
{
	uint32_t uid;
	if (t->over)
		return STORE_INVAL;   /* a bug in this file: the texts are fixed */
	return mail_deliver(&mail_d, s, user, "INBOX", mail_buf, (uint32_t)t->len, 0, &uid);
}

int board_mail_welcome(struct store *s, const char *user)
{
	struct mail_text t = {0, false};
	const char *host = port_hostname();

	mail_header(&t, user, "Welcome to your mail server");
	mail_add(&t, "Hello %s,\r\n\r\n", user);
	mail_add(&t, "this mailbox lives on %s, a %s board running imapd.\r\n"
		     "Mail is kept in the board's NOR flash and survives reboots.\r\n\r\n",
		 host, BOARD_NAME);
	mail_add(&t, "Connect with any IMAP client: port 993 (TLS) or port 143\r\n"
		     "(STARTTLS). The server's certificate is self-signed; compare\r\n"
		     "its fingerprint with the one the board prints at boot.\r\n\r\n"
		     "Folders: INBOX, Drafts, Sent, Trash, Junk, Archive.\r\n");
	return mail_send(&t, s, user);
}

/* Users are the "user/<name>" configuration records (auth.h). */
int board_mail_boot_report(struct store *s, const struct board_boot_info *info)
{
	char key[STORE_CFG_KEY_MAX + 1];
	uint32_t cursor = 0;
	struct store_stats st;
	int sent = 0;

	store_get_stats(s, &st);
	while (store_cfg_next(s, "user/", &cursor, key) == 1) {
		const char *user = key + 5;
		if (*user == '\0' || strchr(user, '/'))
			continue;
		struct mail_text t = {0, false};
		char subject[64];
		snprintf(subject, sizeof(subject), "Boot report: %s boot #%lu", port_hostname(),
			 (unsigned long)info->boot_count);
		mail_header(&t, user, subject);
		mail_add(&t, "Board:        %s\r\n", BOARD_NAME);
		mail_add(&t, "Boot number:  %lu\r\n", (unsigned long)info->boot_count);
		mail_add(&t, "Address:      %s\r\n", info->address);
		mail_add(&t, "Started in:   %lu ms\r\n", (unsigned long)info->boot_ms);
		mail_add(&t, "Flash:        %llu KiB, %llu KiB free\r\n",
			 (unsigned long long)(st.flash_bytes / 1024),
			 (unsigned long long)(st.free_bytes / 1024));
		mail_add(&t, "Mail:         %lu messages in %lu mailboxes\r\n",
			 (unsigned long)st.messages, (unsigned long)st.mailboxes);
		mail_add(&t, "Stack:        %lu of %lu bytes used so far\r\n",
			 (unsigned long)info->stack_used, (unsigned long)info->stack_size);
		if (info->fingerprint[0])
			mail_add(&t, "Certificate:  SHA-256 %s\r\n", info->fingerprint);
		int r = mail_send(&t, s, user);
		if (r == STORE_OK)
			sent++;
		else
			port_log(PORT_LOG_ERR, "boot report for %s: store error %d", user, r);
	}
	return sent;
}
