/*
 * mime_decode.c - streaming base64 / quoted-printable decoders and RFC 2047
 * encoded-word decoding to UTF-8.
 */
#include "mime_decode.h"

#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* ---- transfer decoding ---- */

enum { Q_TEXT, Q_EQ, Q_EQ_HEX, Q_EQ_CR };

void mime_dec_init(struct mime_dec *d, enum mime_enc enc)
{
	memset(d, 0, sizeof(*d));
	d->enc = (uint8_t)enc;
}

static size_t b64_flush(struct mime_dec *d, uint8_t *out)
{
	size_t o = 0;
	if (d->n == 2) {
		out[o++] = (uint8_t)(d->acc >> 4);
	} else if (d->n == 3) {
		out[o++] = (uint8_t)(d->acc >> 10);
		out[o++] = (uint8_t)(d->acc >> 2);
	}
	d->n = 0;
	d->acc = 0;
	return o;
}

static size_t qp_ws_flush(struct mime_dec *d, uint8_t *out)
{
	size_t n = d->ws_n;
	memcpy(out, d->hold, n);
	d->ws_n = 0;
	return n;
}

/* One QP byte (not CR handling) */
static size_t qp_byte(struct mime_dec *d, int c, uint8_t *out)
{
	size_t o = 0;

	switch (d->qst) {
	case Q_EQ:
		if (hexval(c) >= 0) {
			d->acc = (uint32_t)c;
			d->qst = Q_EQ_HEX;
			return 0;
		}
		if (c == ' ' || c == '\t')
			return 0;          /* padding before a soft line break */
		if (c == '\r') {
			d->qst = Q_EQ_CR;
			return 0;
		}
		d->qst = Q_TEXT;
		if (c == '\n')
			return 0;          /* soft line break */
		out[o++] = '=';        /* not an escape: kept as is */
		break;
	case Q_EQ_HEX:
		d->qst = Q_TEXT;
		if (hexval(c) >= 0) {
			out[o++] = (uint8_t)(hexval((int)d->acc) << 4 | hexval(c));
			return o;
		}
		out[o++] = '=';
		out[o++] = (uint8_t)d->acc;
		break;
	case Q_EQ_CR:
		d->qst = Q_TEXT;
		if (c == '\n')
			return 0;
		break;
	default:
		break;
	}
	if (c == '=') {
		o += qp_ws_flush(d, out + o);
		d->qst = Q_EQ;
	} else if (c == ' ' || c == '\t') {
		if (d->ws_n == sizeof(d->hold))
			o += qp_ws_flush(d, out + o);
		d->hold[d->ws_n++] = (char)c;
	} else if (c == '\n') {
		d->ws_n = 0;           /* trailing whitespace is transport padding */
		if (d->cr)
			out[o++] = '\r';
		d->cr = false;
		out[o++] = '\n';
	} else {
		o += qp_ws_flush(d, out + o);
		out[o++] = (uint8_t)c;
	}
	return o;
}

size_t mime_dec_feed(struct mime_dec *d, const void *in, size_t len, void *outp)
{
	const uint8_t *s = in;
	uint8_t *out = outp;
	size_t o = 0;

	switch (d->enc) {
	case MIME_ENC_BASE64:
		for (size_t i = 0; i < len; i++) {
			int v;
			if (d->b64_end)
				break;
			if (s[i] == '=') {
				o += b64_flush(d, out + o);
				d->b64_end = true;
				break;
			}
			v = b64val(s[i]);
			if (v < 0)
				continue;      /* line breaks and junk are skipped */
			d->acc = d->acc << 6 | (uint32_t)v;
			if (++d->n == 4) {
				out[o++] = (uint8_t)(d->acc >> 16);
				out[o++] = (uint8_t)(d->acc >> 8);
				out[o++] = (uint8_t)d->acc;
				d->n = 0;
				d->acc = 0;
			}
		}
		return o;
	case MIME_ENC_QP:
		for (size_t i = 0; i < len; i++) {
			if (d->qst == Q_TEXT && s[i] == '\r' && !d->cr) {
				d->cr = true;
				continue;
			}
			if (d->cr && s[i] != '\n') {
				/* a lone CR is data */
				o += qp_ws_flush(d, out + o);
				out[o++] = '\r';
				d->cr = false;
				if (s[i] == '\r') {
					d->cr = true;
					continue;
				}
			}
			o += qp_byte(d, s[i], out + o);
		}
		return o;
	default:
		memcpy(out, s, len);
		return len;
	}
}

size_t mime_dec_finish(struct mime_dec *d, void *outp)
{
	uint8_t *out = outp;
	size_t o = 0;

	if (d->enc == MIME_ENC_BASE64)
		return b64_flush(d, out);
	if (d->enc != MIME_ENC_QP)
		return 0;
	/* trailing whitespace at the end is padding too; an unfinished escape
	 * is kept as text */
	if (d->qst == Q_EQ)
		out[o++] = '=';
	else if (d->qst == Q_EQ_HEX) {
		out[o++] = '=';
		out[o++] = (uint8_t)d->acc;
	}
	if (d->cr)
		out[o++] = '\r';
	d->qst = Q_TEXT;
	d->cr = false;
	d->ws_n = 0;
	return o;
}

/* ---- RFC 2047 ---- */

enum { W_TEXT, W_WORD };

void mime_words_init(struct mime_words *w)
{
	memset(w, 0, sizeof(*w));
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* Windows-1252 0x80..0x9F; 0 = undefined (kept as the C1 control). */
static const uint16_t cp1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
	0x2039, 0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013,
	0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

enum { CS_RAW, CS_LATIN1, CS_1252 };

static int charset_kind(const char *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cs[i] == '*')
			n = i;          /* RFC 2231 language suffix */
	if (mime_token_eq(cs, n, "iso-8859-1") || mime_token_eq(cs, n, "iso-8859-15") || mime_token_eq(cs, n, "latin1") ||
	    mime_token_eq(cs, n, "iso_8859-1"))
		return CS_LATIN1;
	if (mime_token_eq(cs, n, "windows-1252") || mime_token_eq(cs, n, "cp1252"))
		return CS_1252;
	return CS_RAW;             /* UTF-8, US-ASCII, and unknown charsets */
}

static size_t put_cs(char *out, int cs, uint8_t b)
{
	if (b < 0x80 || cs == CS_RAW) {
		out[0] = (char)b;
		return 1;
	}
	if (cs == CS_1252 && b < 0xa0 && cp1252[b - 0x80])
		return put_utf8(out, cp1252[b - 0x80]);
	return put_utf8(out, b);
}

/* Decode the complete candidate w->w[0..wn) ("=?cs?e?text?="). Returns the
 * bytes written, or -1 if it is not a valid encoded-word. */
static long word_decode(const struct mime_words *w, char *out)
{
	const char *s = w->w, *q1, *q2, *end = w->w + w->wn - 2;
	int cs, enc;
	size_t o = 0;

	q1 = memchr(s + 2, '?', (size_t)(end - (s + 2)));
	if (!q1 || q1 == s + 2 || q1 + 2 >= end || q1[2] != '?')
		return -1;
	enc = q1[1] | 0x20;
	if (enc != 'b' && enc != 'q')
		return -1;
	q2 = q1 + 3;
	cs = charset_kind(s + 2, (size_t)(q1 - (s + 2)));
	if (enc == 'q') {
		for (const char *p = q2; p < end; p++) {
			uint8_t b = (uint8_t)*p;
			if (*p == '_') {
				b = ' ';
			} else if (*p == '=' && p + 2 < end && hexval(p[1]) >= 0 &&
				   hexval(p[2]) >= 0) {
				b = (uint8_t)(hexval(p[1]) << 4 | hexval(p[2]));
				p += 2;
			}
			o += put_cs(out + o, cs, b);
		}
	} else {
		uint32_t acc = 0;
		int n = 0;
		for (const char *p = q2; p < end && *p != '='; p++) {
			int v = b64val(*p);
			if (v < 0)
				return -1;
			acc = acc << 6 | (uint32_t)v;
			if (++n == 4) {
				o += put_cs(out + o, cs, (uint8_t)(acc >> 16));
				o += put_cs(out + o, cs, (uint8_t)(acc >> 8));
				o += put_cs(out + o, cs, (uint8_t)acc);
				n = 0;
				acc = 0;
			}
		}
		if (n == 2) {
			o += put_cs(out + o, cs, (uint8_t)(acc >> 4));
		} else if (n == 3) {
			o += put_cs(out + o, cs, (uint8_t)(acc >> 10));
			o += put_cs(out + o, cs, (uint8_t)(acc >> 2));
		}
	}
	return (long)o;
}

static size_t flush_sp(struct mime_words *w, char *out)
{
	size_t n = w->sp_n;
	memcpy(out, w->sp, n);
	w->sp_n = 0;
	return n;
}

/* The candidate failed: it is plain text. */
static size_t flush_word(struct mime_words *w, char *out)
{
	size_t o = flush_sp(w, out);
	memcpy(out + o, w->w, w->wn);
	o += w->wn;
	w->wn = 0;
	w->st = W_TEXT;
	w->after_word = false;
	return o;
}

static size_t text_byte(struct mime_words *w, char c, char *out)
{
	size_t o = 0;

	if (c == '=') {
		w->st = W_WORD;
		w->w[0] = c;
		w->wn = 1;
		return 0;
	}
	if ((c == ' ' || c == '\t') && w->after_word) {
		/* dropped if another encoded-word follows */
		if (w->sp_n == sizeof(w->sp)) {
			o += flush_sp(w, out);
			w->after_word = false;
			out[o++] = c;
			return o;
		}
		w->sp[w->sp_n++] = c;
		return 0;
	}
	o += flush_sp(w, out);
	w->after_word = false;
	out[o++] = c;
	return o;
}

size_t mime_words_feed(struct mime_words *w, const void *in, size_t len, char *out)
{
	const char *s = in;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned q = 0;

		if (w->st == W_TEXT) {
			o += text_byte(w, c, out + o);
			continue;
		}
		/* collecting "=?charset?e?text?=" */
		if (w->wn == 1 && c != '?') {
			o += flush_word(w, out + o);
			o += text_byte(w, c, out + o);
			continue;
		}
		if ((unsigned char)c <= ' ' || (unsigned char)c >= 0x7f || w->wn == sizeof(w->w)) {
			o += flush_word(w, out + o);
			o += text_byte(w, c, out + o);
			continue;
		}
		w->w[w->wn++] = c;
		for (unsigned k = 0; k < w->wn; k++)
			q += w->w[k] == '?';
		if (q >= 4 && c == '=' && w->w[w->wn - 2] == '?') {
			long r = word_decode(w, out + o);
			if (r < 0) {
				o += flush_word(w, out + o);
				continue;
			}
			/* whitespace between two encoded-words vanishes */
			w->sp_n = 0;
			o += (size_t)r;
			w->wn = 0;
			w->st = W_TEXT;
			w->after_word = true;
		}
	}
	return o;
}

size_t mime_words_finish(struct mime_words *w, char *out)
{
	size_t o = 0;
	if (w->st == W_WORD)
		o += flush_word(w, out);
	o += flush_sp(w, out + o);
	w->after_word = false;
	return o;
}
