/*
 * mime_match.c - streaming case-insensitive substring matcher (KMP over
 * case-folded UTF-8).
 *
 * Folding maps capitals to small letters within the same UTF-8 length
 * (ASCII; U+00C0..U+00DE; Latin Extended-A), so a folded text byte stream
 * can be produced byte by byte, holding at most one lead byte.
 */
#include "mime_match.h"

#include <string.h>

static uint32_t fold_cp(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 32;
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
		return cp | 1;             /* even capitals, odd small letters */
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
		return (cp & 1) ? cp + 1 : cp;
	if (cp == 0x178)
		return 0xff;
	return cp;
}

/* Fold one byte of text through the UTF-8 state; out gets 0..2 bytes. */
static unsigned fold_byte(struct mime_match *m, uint8_t b, uint8_t out[2])
{
	unsigned o = 0;

	if (m->u8n) {
		uint8_t lead = m->u8[0];
		m->u8n = 0;
		if ((b & 0xc0) == 0x80) {
			uint32_t cp = fold_cp((uint32_t)(lead & 0x1f) << 6 | (b & 0x3f));
			out[0] = (uint8_t)(0xc0 | cp >> 6);
			out[1] = (uint8_t)(0x80 | (cp & 0x3f));
			return 2;
		}
		/* not a continuation: the lead stands for itself, b starts afresh */
		out[o++] = lead;
	}
	if (b >= 0xc3 && b <= 0xc5) {
		m->u8[0] = b;
		m->u8n = 1;
		return o;
	}
	out[o++] = b < 0x80 ? (uint8_t)fold_cp(b) : b;
	return o;
}

static void step(struct mime_match *m, uint8_t b)
{
	while (m->q > 0 && m->needle[m->q] != b)
		m->q = m->fail[m->q - 1];
	if (m->needle[m->q] == b)
		m->q++;
	if (m->q == m->n) {
		m->found = true;
		m->q = m->fail[m->q - 1];
	}
}

bool mime_match_init(struct mime_match *m, void *needle, size_t len)
{
	uint8_t *s = needle;
	uint8_t f[2];
	size_t n = 0;

	_Static_assert(MIME_MATCH_MAX <= 256, "fail[] holds lengths below MIME_MATCH_MAX in a byte");
	memset(m, 0, sizeof(*m));
	if (len > MIME_MATCH_MAX)
		return false;
	/* In place: a folded character is as long as the original, and a lead
	 * byte held back is written with the byte after it, so the output
	 * never overtakes the input. */
	for (size_t i = 0; i < len; i++) {
		unsigned k = fold_byte(m, s[i], f);
		memcpy(s + n, f, k);
		n += k;
	}
	if (m->u8n) {
		s[n++] = m->u8[0];
		m->u8n = 0;
	}
	m->needle = s;
	m->n = (uint16_t)n;
	/* KMP failure function */
	for (uint16_t i = 1, k = 0; i < m->n; i++) {
		while (k > 0 && m->needle[i] != m->needle[k])
			k = m->fail[k - 1];
		if (m->needle[i] == m->needle[k])
			k++;
		m->fail[i] = (uint8_t)k;
	}
	mime_match_reset(m);
	return true;
}

void mime_match_reset(struct mime_match *m)
{
	m->q = 0;
	m->u8n = 0;
	m->found = m->n == 0;
}

bool mime_match_feed(struct mime_match *m, const void *text, size_t len)
{
	const uint8_t *s = text;
	uint8_t f[2];

	for (size_t i = 0; i < len && !m->found; i++) {
		unsigned k = fold_byte(m, s[i], f);
		for (unsigned j = 0; j < k && !m->found; j++)
			step(m, f[j]);
	}
	return m->found;
}
