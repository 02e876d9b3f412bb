/*
 * mutf7.c - modified UTF-7 (RFC 3501 5.1.3) and UTF-8 for mailbox names.
 */
#include "mutf7.h"

#include <limits.h>
#include <stdint.h>

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

static bool printable(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* C0, DEL and C1 controls: never part of a name (RFC 5198 Net-Unicode, which
 * RFC 6855 asks of UTF-8 names), so no wire form can smuggle CR LF into a
 * quoted mailbox name. */
static bool control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/* Decode one UTF-8 sequence at s[*i] and step past it: the code point, or
 * -1 if the sequence is not allowed (see mutf7_utf8_valid). */
static int32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t v, min;
	size_t n;

	if (c < 0x80) {
		*i += 1;
		return control(c) ? -1 : c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1; v = c & 0x1fu; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2; v = c & 0x0fu; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3; v = c & 0x07u; min = 0x10000;
	} else {
		return -1;   /* continuation byte, overlong lead, or > U+10FFFF lead */
	}
	if (len - *i <= n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		unsigned char cc = s[*i + k];
		if ((cc & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (cc & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || control(v))
		return -1;
	*i += n + 1;
	return (int32_t)v;
}

bool mutf7_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len)
		if (utf8_next(u, len, &i) < 0)
			return false;
	return true;
}

/* Append code point cp as UTF-8, keeping room for the final NUL. */
static bool put_utf8(char *out, size_t cap, size_t *o, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp; n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f)); n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f)); n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f)); n = 4;
	}
	if (cap - *o <= n)
		return false;
	for (size_t k = 0; k < n; k++)
		out[(*o)++] = (char)b[k];
	return true;
}

static bool put_byte(char *out, size_t cap, size_t *o, char c)
{
	if (cap - *o <= 1)
		return false;
	out[(*o)++] = c;
	return true;
}

/* Decode the base64 run starting at in[*i] (just past '&') up to its '-'. */
static int decode_run(const char *in, size_t len, size_t *i, char *out, size_t cap, size_t *o)
{
	uint32_t bits = 0, high = 0;
	unsigned nbits = 0, units = 0;

	for (;;) {
		if (*i >= len)
			return MUTF7_EINVAL;          /* unterminated */
		unsigned char c = (unsigned char)in[(*i)++];
		if (c == '-')
			break;
		int v = b64val(c);
		if (v < 0)
			return MUTF7_EINVAL;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xffffu;
		bits &= (1u << nbits) - 1u;
		units++;
		if (high) {
			if (u < 0xdc00 || u > 0xdfff)
				return MUTF7_EINVAL;  /* high surrogate not followed by low */
			u = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
			high = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return MUTF7_EINVAL;          /* lone low surrogate */
		} else if (printable(u) || control(u)) {
			return MUTF7_EINVAL;          /* must be written as itself / never in a name */
		}
		if (!put_utf8(out, cap, o, u))
			return MUTF7_ETOOLONG;
	}
	/* "&-" is handled by the caller, so an empty run here is "&" + padding
	 * only; a whole unused base64 digit or non-zero pad bits are not the
	 * shortest form. */
	if (units == 0 || high || nbits >= 6 || bits != 0)
		return MUTF7_EINVAL;
	return 0;
}

int mutf7_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	bool after_run = false;

	if (cap == 0)
		return MUTF7_ETOOLONG;
	if (cap > INT_MAX)
		cap = INT_MAX;   /* lengths are returned as int */
	while (i < len) {
		unsigned char c = (unsigned char)in[i++];
		if (!printable(c))
			return MUTF7_EINVAL;
		if (c != '&') {
			if (!put_byte(out, cap, &o, (char)c))
				return MUTF7_ETOOLONG;
			after_run = false;
			continue;
		}
		if (i < len && in[i] == '-') {
			i++;
			if (!put_byte(out, cap, &o, '&'))
				return MUTF7_ETOOLONG;
			after_run = false;
			continue;
		}
		if (after_run)
			return MUTF7_EINVAL;   /* "&..-&..-" must be one run */
		int r = decode_run(in, len, &i, out, cap, &o);
		if (r < 0)
			return r;
		after_run = true;
	}
	out[o] = '\0';
	return (int)o;
}

/* Encoder state: the base64 run being written. */
struct enc {
	char *out;
	size_t cap, o;
	uint32_t bits;
	unsigned nbits;
	bool in_run;
};

static bool enc_unit(struct enc *e, uint32_t u)
{
	if (!e->in_run) {
		if (!put_byte(e->out, e->cap, &e->o, '&'))
			return false;
		e->in_run = true;
	}
	e->bits = (e->bits << 16) | u;
	e->nbits += 16;
	while (e->nbits >= 6) {
		e->nbits -= 6;
		if (!put_byte(e->out, e->cap, &e->o, b64chars[(e->bits >> e->nbits) & 0x3f]))
			return false;
	}
	e->bits &= (1u << e->nbits) - 1u;
	return true;
}

static bool enc_close(struct enc *e)
{
	if (!e->in_run)
		return true;
	if (e->nbits && !put_byte(e->out, e->cap, &e->o, b64chars[(e->bits << (6 - e->nbits)) & 0x3f]))
		return false;
	e->bits = 0;
	e->nbits = 0;
	e->in_run = false;
	return put_byte(e->out, e->cap, &e->o, '-');
}

int mutf7_encode(const char *in, size_t len, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)in;
	struct enc e = { .out = out, .cap = cap };
	size_t i = 0;

	/* Validate first: invalid input is EINVAL whatever the capacity. */
	if (!mutf7_utf8_valid(in, len))
		return MUTF7_EINVAL;
	if (cap == 0)
		return MUTF7_ETOOLONG;
	if (cap > INT_MAX)
		e.cap = INT_MAX;
	while (i < len) {
		uint32_t cp = (uint32_t)utf8_next(u, len, &i);   /* valid: >= 0 */
		bool ok;
		if (printable(cp)) {
			ok = enc_close(&e) && put_byte(out, e.cap, &e.o, (char)cp) &&
			     (cp != '&' || put_byte(out, e.cap, &e.o, '-'));
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			ok = enc_unit(&e, 0xd800 + (cp >> 10)) && enc_unit(&e, 0xdc00 + (cp & 0x3ff));
		} else {
			ok = enc_unit(&e, cp);
		}
		if (!ok)
			return MUTF7_ETOOLONG;
	}
	if (!enc_close(&e))
		return MUTF7_ETOOLONG;
	out[e.o] = '\0';
	return (int)e.o;
}
