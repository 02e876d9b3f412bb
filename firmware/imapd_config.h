/*
 * imapd_config.h - compile-time bounds of the server. Every buffer in
 * firmware/ is sized from these; override with -D on the command line.
 */
#ifndef IMAPD_CONFIG_H
#define IMAPD_CONFIG_H

#ifndef IMAPD_MAX_SESSIONS
#define IMAPD_MAX_SESSIONS 8          /* concurrent connections */
#endif
#ifndef IMAPD_MAX_TLS_SESSIONS
#define IMAPD_MAX_TLS_SESSIONS 2      /* of which TLS */
#endif
#ifndef IMAPD_LINE_MAX
#define IMAPD_LINE_MAX 8192           /* command line, literals excluded */
#endif
#ifndef IMAPD_TAG_MAX
#define IMAPD_TAG_MAX 64              /* command tag bytes */
#endif
#ifndef IMAPD_LITERAL_MAX
#define IMAPD_LITERAL_MAX 4096        /* non-APPEND literal */
#endif
/* \Recent UID ranges a session keeps; after that many interleavings with
 * other sessions taking new mail, its oldest range loses \Recent. */
#ifndef IMAP_RECENT_RANGES
#define IMAP_RECENT_RANGES 4
#endif

#ifndef IMAPD_OUT_BUF
#define IMAPD_OUT_BUF 4096            /* per-session output staging */
#endif
#ifndef IMAPD_MAX_USERS
#define IMAPD_MAX_USERS 16
#endif
#ifndef IMAPD_USER_MAX
#define IMAPD_USER_MAX 32             /* user name bytes */
#endif
#ifndef IMAPD_PASS_MAX
#define IMAPD_PASS_MAX 128
#endif
#ifndef IMAPD_PREAUTH_TIMEOUT_MS
#define IMAPD_PREAUTH_TIMEOUT_MS (60u * 1000u)
#endif
#ifndef IMAPD_AUTH_TIMEOUT_MS
#define IMAPD_AUTH_TIMEOUT_MS (31u * 60u * 1000u)  /* RFC 3501 5.4: >= 30 min */
#endif
#ifndef IMAPD_APPEND_LIMIT
#define IMAPD_APPEND_LIMIT (32u * 1024u * 1024u)
#endif

#endif
