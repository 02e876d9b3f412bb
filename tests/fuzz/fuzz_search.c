/*
 * fuzz_search.c - SEARCH argument parsing and evaluation on arbitrary bytes.
 * Input: the bytes after "tag SEARCH" (the first byte's low bit selects a
 * UTF8=ACCEPT session). Checked properties: parsing never reads or writes
 * out of bounds and either succeeds or gives a reason; on success the
 * program is within its bounds, evaluation with every fact known is never
 * UNKNOWN, and a decided answer on partial facts never changes once more
 * facts arrive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_search.h"

#define CAP 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(void *ctx, const char *kw, size_t len)
{
	(void)ctx;
	return len > 0 ? (int)((unsigned char)kw[0] % 30) - 3 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[CAP + 1];
	static struct imap_search s;
	struct imap_parser p;

	if (size < 1 || size - 1 > CAP)
		return 0;
	memcpy(buf, data + 1, size - 1);
	imap_parser_init(&p, buf, size - 1);
	p.utf8 = data[0] & 1;
	p.utf8_accept = p.utf8 && (data[0] & 2);
	int r = imap_search_parse(&s, &p);
	if (r != IMAP_SEARCH_OK) {
		if (r != IMAP_SEARCH_BAD && r != IMAP_SEARCH_BADCHARSET && r != IMAP_SEARCH_LIMIT)
			abort();
		if (!s.err || !s.err[0])
			abort();
		return 0;
	}
	if (s.nodes == 0 || s.nodes > IMAP_SEARCH_MAX_NODES || s.texts > IMAP_SEARCH_MAX_TEXT ||
	    !p.pos || p.pos != p.len)
		abort();
	for (unsigned i = 0; i < s.texts; i++) {
		const struct imap_search_text *t = imap_search_text(&s, i);
		if (t->needle_len && (t->needle < buf || t->needle + t->needle_len > buf + size))
			abort();
	}
	imap_search_bind(&s, lookup, NULL);

	uint32_t seed = (uint32_t)size * 2654435761u;
	for (int k = 0; k < 8; k++) {
		struct imap_search_msg m;
		memset(&m, 0, sizeof m);
		seed = seed * 1103515245u + 12345u;
		m.max_seq = 1 + seed % 20;
		m.seq = 1 + (seed >> 8) % m.max_seq;
		m.max_uid = m.max_seq * 3;
		m.uid = m.seq * 3;
		m.flags = seed >> 3;
		m.recent = seed & 1;
		m.in_saved = (seed >> 1) & 1;
		m.modseq = seed % 100;
		int partial = imap_search_eval(&s, &m);
		m.have = IMAP_SEARCH_NEED_STAT | IMAP_SEARCH_NEED_DATE;
		m.size = seed % 5000;
		m.internaldate = (int64_t)(seed % 2000000000u);
		m.internal_tz = (int16_t)((int)(seed % 1439) - 719);
		m.sent_valid = (seed >> 5) & 1;
		m.sent = m.internaldate - 3600;
		m.sent_tz = 60;
		m.text_known = (1u << s.texts) - 1u;
		m.text_found = seed >> 7;
		int full = imap_search_eval(&s, &m);
		if (full != IMAP_SEARCH_YES && full != IMAP_SEARCH_NO)
			abort();
		if (partial != IMAP_SEARCH_UNKNOWN && partial != full)
			abort();
	}
	return 0;
}
