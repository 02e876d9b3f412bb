/*
 * imap_cmds.h - the command table's handlers, one module per group.
 * Each is called as described in imap_internal.h.
 */
#ifndef IMAP_CMDS_H
#define IMAP_CMDS_H

#include <stdbool.h>
#include <stdint.h>

struct imap_session;

/* imap_cmd_auth.c: any state */
int imap_cmd_capability(struct imap_session *s);
int imap_cmd_noop(struct imap_session *s);
int imap_cmd_logout(struct imap_session *s);
int imap_cmd_id(struct imap_session *s);
/* not authenticated */
int imap_cmd_starttls(struct imap_session *s);
int imap_cmd_login(struct imap_session *s);
int imap_cmd_authenticate(struct imap_session *s);
/* authenticated */
int imap_cmd_enable(struct imap_session *s);
int imap_cmd_namespace(struct imap_session *s);
int imap_cmd_getquota(struct imap_session *s);
int imap_cmd_getquotaroot(struct imap_session *s);
int imap_cmd_setquota(struct imap_session *s);

/* imap_cmd_mailbox.c */
int imap_cmd_select(struct imap_session *s);
int imap_cmd_examine(struct imap_session *s);
int imap_cmd_create(struct imap_session *s);
int imap_cmd_delete(struct imap_session *s);
int imap_cmd_rename(struct imap_session *s);
int imap_cmd_subscribe(struct imap_session *s);
int imap_cmd_unsubscribe(struct imap_session *s);
int imap_cmd_status(struct imap_session *s);
int imap_cmd_check(struct imap_session *s);
int imap_cmd_close(struct imap_session *s);
int imap_cmd_unselect(struct imap_session *s);

/* imap_cmd_list.c */
int imap_cmd_list(struct imap_session *s);
int imap_cmd_lsub(struct imap_session *s);

/* imap_cmd_append.c */
int imap_cmd_append(struct imap_session *s);
/* The reader met "{n}" / "{n+}" ending a line of an APPEND command: returns
 * true if this literal is the message (the APPEND handler now owns the input). */
bool imap_append_literal(struct imap_session *s, uint32_t n, bool nonsync);

/* imap_cmd_idle.c */
int imap_cmd_idle(struct imap_session *s);

/* imap_cmd_fetch.c */
int imap_cmd_fetch(struct imap_session *s);
/* imap_cmd_store.c */
int imap_cmd_store(struct imap_session *s);
/* imap_cmd_search.c */
int imap_cmd_search(struct imap_session *s);
/* imap_cmd_copy.c: COPY and MOVE (RFC 6851) */
int imap_cmd_copy(struct imap_session *s);
int imap_cmd_move(struct imap_session *s);
/* imap_cmd_expunge.c: EXPUNGE and UID EXPUNGE (RFC 4315) */
int imap_cmd_expunge(struct imap_session *s);

/* imap_cmd_acl.c (RFC 4314) */
int imap_cmd_getacl(struct imap_session *s);
int imap_cmd_setacl(struct imap_session *s);
int imap_cmd_deleteacl(struct imap_session *s);
int imap_cmd_listrights(struct imap_session *s);
int imap_cmd_myrights(struct imap_session *s);

#endif
