/*
 * imap_cmd_idle.c - IDLE (RFC 2177). While idling, updates to the selected
 * mailbox are pushed as they happen (imap_session_run checks on each pass);
 * the client ends it with "DONE".
 */
#include <string.h>
#include <strings.h>

#include "imap_cmds.h"
#include "imap_internal.h"

static int idle_sink(struct imap_session *s, const char *d, uint32_t len)
{
	struct imap_idle_state *st = &s->u.idle;
	if (!d) {
		s->idling = false;
		return 0;
	}
	uint32_t used = 0;
	while (used < len) {
		char c = d[used++];
		if (c != '\n') {
			if (st->len < sizeof(st->buf))
				st->buf[st->len] = c;
			if (st->len < 255)
				st->len++;
			continue;
		}
		if (st->len && st->len <= sizeof(st->buf) && st->buf[st->len - 1] == '\r')
			st->len--;
		s->idling = false;
		imap_stream_end(s);
		if (st->len == 4 && strncasecmp(st->buf, "DONE", 4) == 0)
			imap_tagged(s, "OK", "IDLE terminated");
		else
			imap_tagged(s, "BAD", "Expected DONE to end IDLE");
		return (int)used;
	}
	return (int)used;
}

int imap_cmd_idle(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	memset(&s->u.idle, 0, sizeof(s->u.idle));
	/* updates already pending go out first, then the continuation */
	if (s->state == IMAP_S_SELECTED && imap_view_sync(s, true) == IMAP_MORE)
		return IMAP_MORE;
	imap_send_continuation(s, "idling");
	s->idling = true;
	s->step = NULL;
	imap_stream_begin(s, idle_sink);
	return IMAP_WAIT;
}
