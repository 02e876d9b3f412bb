/*
 * imap_cmd_auth.c - commands valid in any state and the way into the
 * authenticated state: CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN,
 * AUTHENTICATE PLAIN (RFC 4616, SASL-IR RFC 4959), ENABLE (RFC 5161),
 * NAMESPACE (RFC 2342).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "imap_caps.h"
#include "imap_cmds.h"
#include "imap_internal.h"
#include "imapd_config.h"
#include "login_throttle.h"
#include "port.h"

#include "mbedtls/base64.h"
#include "mbedtls/platform_util.h"

static bool secure(const struct imap_session *s) { return s->t->ops->is_secure(s->t); }

/* Credentials may cross only an encrypted pipe unless the device allows it. */
static bool plaintext_ok(const struct imap_session *s)
{
	return secure(s) || s->srv->opt->allow_plaintext;
}

void imap_out_capabilities(struct imap_session *s)
{
	imap_out_str(s, IMAP_CAPS_BASE);
	if (s->state == IMAP_S_NOTAUTH) {
		if (s->srv->starttls_available && !secure(s))
			imap_out_str(s, " STARTTLS");
		if (plaintext_ok(s))
			imap_out_str(s, " AUTH=PLAIN");
		else
			imap_out_str(s, " LOGINDISABLED");
	} else {
		imap_out_str(s, " " IMAP_CAPS_AUTHED);
		imap_printf(s, " APPENDLIMIT=%lu", (unsigned long)IMAPD_APPEND_LIMIT);
	}
}

int imap_cmd_capability(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	imap_out_str(s, "* CAPABILITY ");
	imap_out_capabilities(s);
	imap_out_str(s, "\r\n");
	imap_tagged(s, "OK", "CAPABILITY completed");
	return IMAP_DONE;
}

int imap_cmd_noop(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	imap_tagged(s, "OK", "NOOP completed");
	return IMAP_DONE;
}

int imap_cmd_logout(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	imap_out_str(s, "* BYE Logging out\r\n");
	imap_select_close(s);
	s->state = IMAP_S_LOGOUT;
	imap_tagged(s, "OK", "LOGOUT completed");
	return IMAP_DONE;
}

/* ID ( "name" "value" ... ) / ID NIL: we log the client, answer who we are. */
int imap_cmd_id(struct imap_session *s)
{
	struct imap_parser *p = &s->p;
	struct imap_str k, v;
	bool nil;
	if (!imap_p_sp(p))
		return imap_bad_syntax(s);
	if (!imap_p_keyword(p, "NIL")) {
		if (!imap_p_char(p, '('))
			return imap_bad_syntax(s);
		int pairs = 0;
		while (!imap_p_char(p, ')')) {
			if ((pairs && !imap_p_sp(p)) || !imap_p_string(p, &k) || !imap_p_sp(p) ||
			    !imap_p_nstring(p, &v, &nil) || ++pairs > 30 || k.len > 30 ||
			    v.len > 1024)
				return imap_bad_syntax(s);
			if (k.len == 4 && strncasecmp(k.s, "name", 4) == 0 && !nil)
				port_log(PORT_LOG_INFO, "imap[%u]: client %.*s", (unsigned)s->id,
					 (int)(v.len > 64 ? 64 : v.len), v.s);
		}
	}
	if (!imap_p_end(p))
		return imap_bad_syntax(s);
	imap_out_str(s, "* ID (\"name\" \"imapd\" \"vendor\" \"embedded imapd\" \"version\" \"1.0\")\r\n");
	imap_tagged(s, "OK", "ID completed");
	return IMAP_DONE;
}

int imap_cmd_starttls(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	if (secure(s)) {
		imap_tagged(s, "BAD", "TLS is already active");
		return IMAP_DONE;
	}
	if (!s->srv->starttls_available) {
		imap_tagged(s, "NO", "[UNAVAILABLE] TLS is not available");
		return IMAP_DONE;
	}
	if (s->t->ops->can_start_tls && !s->t->ops->can_start_tls(s->t)) {
		imap_tagged(s, "NO", "[UNAVAILABLE] All TLS sessions are in use, try again later");
		return IMAP_DONE;
	}
	imap_tagged(s, "OK", "Begin TLS negotiation now");
	s->starttls_req = true;
	return IMAP_DONE;
}

static void login_done(struct imap_session *s, const char *user)
{
	login_throttle_ok(s->t->ops->peer_addr(s->t));
	s->state = IMAP_S_AUTH;
	snprintf(s->user, sizeof(s->user), "%s", user);
	port_log(PORT_LOG_INFO, "imap[%u]: %s logged in", (unsigned)s->id, s->user);
	/* RFC 3501 6.2.3: capabilities change after login; tell the client */
	char caps[400];
	size_t save = s->out_len;
	imap_out_capabilities(s);
	size_t n = s->out_len - save;
	if (n >= sizeof(caps))
		n = sizeof(caps) - 1;
	memcpy(caps, s->out + save, n);
	caps[n] = '\0';
	s->out_len = (uint16_t)save;
	imap_tagged(s, "OK", "[CAPABILITY %s] Logged in", caps);
}

static int throttled(struct imap_session *s)
{
	return s->sleeping ? IMAP_AGAIN : IMAP_DONE;
}

/* The NO is held back as long as the source's failure record says; the
 * session sleeps, the task does not. */
static void login_failed(struct imap_session *s)
{
	imap_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
	uint32_t delay = login_throttle_fail(s->t->ops->peer_addr(s->t), port_now_ms());
	if (delay) {
		port_log(PORT_LOG_INFO, "imap[%u]: failed login, answer delayed %lu ms",
			 (unsigned)s->id, (unsigned long)delay);
		imap_sleep(s, delay);
		s->step = throttled;
	}
}

#ifndef IMAPD_AUTH_SLICE
#define IMAPD_AUTH_SLICE 250   /* PBKDF2 rounds per slice: a few ms on the board */
#endif

/* The password check, a slice per poll: IMAP_AGAIN hands the task to the
 * other sessions between slices (IMAP_MORE would run up to a whole run()'s
 * steps at once). */
static int login_step(struct imap_session *s)
{
	struct imap_login_state *l = &s->u.login;
	if (!auth_check_step(&l->check, IMAPD_AUTH_SLICE)) {
		s->wake = true;
		return IMAP_AGAIN;
	}
	s->step = NULL;
	s->abort = NULL;
	if (auth_check_result(&l->check))
		login_done(s, l->user);
	else
		login_failed(s);
	return s->sleeping ? IMAP_AGAIN : IMAP_DONE;
}

/* The connection went away mid-check: the keyed HMAC states go too. */
static void login_abort(struct imap_session *s)
{
	auth_check_wipe(&s->u.login.check);
}

/* Begin checking user's password (wiped by the caller); the command goes
 * on in login_step. */
static int login_begin(struct imap_session *s, const char *user, const char *pass)
{
	struct imap_login_state *l = &s->u.login;
	auth_check_begin(&l->check, imap_store(s), user, pass);
	snprintf(l->user, sizeof(l->user), "%s", user);
	s->step = login_step;
	s->abort = login_abort;
	return login_step(s);
}

int imap_cmd_login(struct imap_session *s)
{
	struct imap_parser *p = &s->p;
	struct imap_str u, pw;
	if (!imap_p_sp(p) || !imap_p_astring(p, &u) || !imap_p_sp(p) ||
	    !imap_p_astring(p, &pw) || !imap_p_end(p))
		return imap_bad_syntax(s);
	if (!plaintext_ok(s)) {
		imap_tagged(s, "NO", "[PRIVACYREQUIRED] Use STARTTLS or port 993 first");
		return IMAP_DONE;
	}
	if (u.len > IMAPD_USER_MAX || pw.len > IMAPD_PASS_MAX) {
		login_failed(s);
		return s->sleeping ? IMAP_AGAIN : IMAP_DONE;
	}
	char user[IMAPD_USER_MAX + 1], pass[IMAPD_PASS_MAX + 1];
	memcpy(user, u.s, u.len);
	user[u.len] = '\0';
	memcpy(pass, pw.s, pw.len);
	pass[pw.len] = '\0';
	if (strlen(user) != u.len || strlen(pass) != pw.len) {   /* a NUL inside */
		memset(pass, 0, sizeof(pass));
		login_failed(s);
		return s->sleeping ? IMAP_AGAIN : IMAP_DONE;
	}
	int r = login_begin(s, user, pass);
	memset(pass, 0, sizeof(pass));
	return r;
}

/* PLAIN message: [authzid] NUL authcid NUL passwd (RFC 4616). b64 (the
 * command line or the SASL state's buffer) is wiped once decoded: the state
 * is reused for the check. Returns the command's result so far. */
static int sasl_plain(struct imap_session *s, char *b64, size_t len)
{
	unsigned char msg[IMAPD_USER_MAX * 2 + IMAPD_PASS_MAX + 4];
	size_t n = 0;
	s->step = NULL;
	if (len == 1 && b64[0] == '=')
		len = 0;   /* empty initial response */
	int bad = mbedtls_base64_decode(msg, sizeof(msg) - 1, &n, (const unsigned char *)b64, len);
	mbedtls_platform_zeroize(b64, len);
	if (bad && bad != MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) {
		imap_tagged(s, "BAD", "Invalid base64 in SASL response");
		return IMAP_DONE;
	}
	msg[bad ? 0 : n] = '\0';
	const char *authz = (const char *)msg;
	const char *end = (const char *)msg + (bad ? 0 : n);
	const char *z1 = memchr(msg, 0, (size_t)(end - authz));
	const char *z2 = z1 ? memchr(z1 + 1, 0, (size_t)(end - (z1 + 1))) : NULL;
	int r;
	/* Longer than any name and password we keep, empty, without its two
	 * NULs or with a third (RFC 4616 2: no NUL in the password): the
	 * credentials are rejected, as a wrong password is. */
	if (bad || !z1 || !z2 || memchr(z2 + 1, 0, (size_t)(end - (z2 + 1))) ||
	    strlen(z1 + 1) > IMAPD_USER_MAX || strlen(z2 + 1) > IMAPD_PASS_MAX ||
	    (authz[0] && strcmp(authz, z1 + 1) != 0)) {
		login_failed(s);
		r = s->sleeping ? IMAP_AGAIN : IMAP_DONE;
	} else {
		r = login_begin(s, z1 + 1, z2 + 1);
	}
	mbedtls_platform_zeroize(msg, sizeof(msg));
	return r;
}

/* Collect the client's continuation line (RD_STREAM). */
static int sasl_sink(struct imap_session *s, const char *d, uint32_t len)
{
	struct imap_sasl_state *st = &s->u.sasl;
	if (!d)
		return 0;   /* connection lost */
	uint32_t used = 0;
	while (used < len) {
		char c = d[used++];
		if (c == '\n') {
			if (st->len && st->buf[st->len - 1] == '\r')
				st->len--;
			imap_stream_end(s);
			if (st->overflow || (st->len == 1 && st->buf[0] == '*')) {
				/* wiped first: the tagged line takes the state's tail */
				bool overflow = st->overflow;
				mbedtls_platform_zeroize(st->buf, sizeof(st->buf));
				imap_tagged(s, "BAD", overflow ? "[TOOBIG] SASL response too long"
							       : "Authentication canceled");
			} else
				(void)sasl_plain(s, st->buf, st->len);   /* a check goes on in s->step */
			return (int)used;
		}
		if (st->len < sizeof(st->buf))
			st->buf[st->len++] = c;
		else
			st->overflow = true;
	}
	return (int)used;
}

int imap_cmd_authenticate(struct imap_session *s)
{
	struct imap_parser *p = &s->p;
	struct imap_str mech, ir;
	if (!imap_p_sp(p) || !imap_p_atom(p, &mech))
		return imap_bad_syntax(s);
	bool have_ir = false;
	if (imap_p_char(p, ' ')) {
		if (!imap_p_atom(p, &ir))   /* base64 chars and '=' are atom chars */
			return imap_bad_syntax(s);
		have_ir = true;
	}
	if (!imap_p_end(p))
		return imap_bad_syntax(s);
	if (!(mech.len == 5 && strncasecmp(mech.s, "PLAIN", 5) == 0)) {
		imap_tagged(s, "NO", "[CANNOT] Unsupported authentication mechanism");
		return IMAP_DONE;
	}
	if (!plaintext_ok(s)) {
		imap_tagged(s, "NO", "[PRIVACYREQUIRED] Use STARTTLS or port 993 first");
		return IMAP_DONE;
	}
	if (have_ir)
		return sasl_plain(s, ir.s, ir.len);
	memset(&s->u.sasl, 0, sizeof(s->u.sasl));
	imap_send_continuation(s, "");
	imap_stream_begin(s, sasl_sink);
	s->step = NULL;
	return IMAP_WAIT;
}

int imap_cmd_enable(struct imap_session *s)
{
	struct imap_parser *p = &s->p;
	struct imap_str cap;
	char enabled[64] = "";
	bool had_condstore = s->condstore;
	if (!imap_p_sp(p))
		return imap_bad_syntax(s);
	do {
		if (!imap_p_atom(p, &cap))
			return imap_bad_syntax(s);
		if (cap.len == 11 && strncasecmp(cap.s, "UTF8=ACCEPT", 11) == 0 && !s->utf8) {
			s->utf8 = true;
			strcat(enabled, " UTF8=ACCEPT");
		}
		if (cap.len == 9 && strncasecmp(cap.s, "CONDSTORE", 9) == 0 && !had_condstore &&
		    !strstr(enabled, " CONDSTORE")) {
			/* listed even if QRESYNC in this same command enabled it already */
			imap_condstore_enable(s);
			strcat(enabled, " CONDSTORE");
		}
		if (cap.len == 7 && strncasecmp(cap.s, "QRESYNC", 7) == 0 && !s->qresync) {
			s->qresync = true;   /* implies CONDSTORE (RFC 7162 3.2.3) */
			imap_condstore_enable(s);
			strcat(enabled, " QRESYNC");
		}
		if (cap.len == 9 && strncasecmp(cap.s, "IMAP4rev2", 9) == 0 && !s->rev2) {
			/* RFC 9051: no \Recent, ESEARCH for SEARCH, UTF-8 names (imap-rev2.md) */
			s->rev2 = true;
			strcat(enabled, " IMAP4rev2");
		}
		/* Unknown or unadvertised capabilities are ignored (RFC 5161 3.1) */
	} while (imap_p_char(p, ' '));
	if (!imap_p_end(p))
		return imap_bad_syntax(s);
	imap_printf(s, "* ENABLED%s\r\n", enabled);
	imap_tagged(s, "OK", "ENABLE completed");
	return IMAP_DONE;
}

int imap_cmd_namespace(struct imap_session *s)
{
	if (!imap_p_end(&s->p))
		return imap_bad_syntax(s);
	imap_out_str(s, "* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Shared/\" \"/\"))\r\n");
	imap_tagged(s, "OK", "NAMESPACE completed");
	return IMAP_DONE;
}
