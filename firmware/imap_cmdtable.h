/*
 * imap_cmdtable.h - which commands exist, in which states, and who handles
 * them. Included once, by imap_session.c.
 */
static const struct cmd_def cmd_table[] = {
	{ "CAPABILITY", ST_ANY, imap_cmd_capability },
	{ "NOOP", ST_ANY, imap_cmd_noop },
	{ "LOGOUT", ST_ANY, imap_cmd_logout },
	{ "ID", ST_ANY, imap_cmd_id },
	{ "STARTTLS", ST_NA, imap_cmd_starttls },
	{ "LOGIN", ST_NA, imap_cmd_login },
	{ "AUTHENTICATE", ST_NA, imap_cmd_authenticate },
	{ "ENABLE", ST_AUTHED, imap_cmd_enable },
	{ "NAMESPACE", ST_AUTHED, imap_cmd_namespace },
	{ "SELECT", ST_AUTHED, imap_cmd_select },
	{ "EXAMINE", ST_AUTHED, imap_cmd_examine },
	{ "CREATE", ST_AUTHED, imap_cmd_create },
	{ "DELETE", ST_AUTHED, imap_cmd_delete },
	{ "RENAME", ST_AUTHED, imap_cmd_rename },
	{ "SUBSCRIBE", ST_AUTHED, imap_cmd_subscribe },
	{ "UNSUBSCRIBE", ST_AUTHED, imap_cmd_unsubscribe },
	{ "LIST", ST_AUTHED, imap_cmd_list },
	{ "LSUB", ST_AUTHED, imap_cmd_lsub },
	{ "STATUS", ST_AUTHED, imap_cmd_status },
	{ "APPEND", ST_AUTHED, imap_cmd_append },
	{ "IDLE", ST_AUTHED, imap_cmd_idle },
	{ "CHECK", ST_SE, imap_cmd_check },
	{ "CLOSE", ST_SE, imap_cmd_close },
	{ "UNSELECT", ST_SE, imap_cmd_unselect },
};
