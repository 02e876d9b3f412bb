/*
 * fuzz_mime.c - the MIME parser on arbitrary bytes. Properties:
 *   - the blob always passes mime_view_check();
 *   - feeding in chunks gives the same blob as feeding at once;
 *   - a small blob (forcing the re-parse fallback) renders the same
 *     ENVELOPE / BODYSTRUCTURE / BODY as a full one, through a small output
 *     buffer;
 *   - sections resolve inside the message; the header filter, decoders and
 *     matcher never overrun.
 * The first input byte picks the chunk size and blob capacity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "mime_decode.h"
#include "mime_hdr_filter.h"
#include "mime_match.h"
#include "mime_render.h"

static const uint8_t *msg;
static uint32_t msg_len;

static int rd(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	if (off >= msg_len)
		return 0;
	if (len > msg_len - off)
		len = msg_len - off;
	memcpy(buf, msg + off, len);
	return (int)len;
}

static uint32_t parse(uint8_t *blob, uint32_t cap, size_t chunk)
{
	static struct mime_parser p;
	mime_parse_init(&p, blob, cap, 0);
	for (uint32_t off = 0; off < msg_len; off += (uint32_t)chunk)
		mime_parse_feed(&p, msg + off, msg_len - off < chunk ? msg_len - off : chunk);
	return mime_parse_finish(&p);
}

static size_t render_all(const struct mime_view *v, enum mime_item item, char *dst, size_t cap,
			 size_t piece)
{
	uint32_t skip = 0;
	size_t n;
	int r;
	do {
		if (skip + piece > cap)
			abort();   /* renderings are bounded */
		r = mime_render(v, 0, item, skip, dst + skip, piece, &n);
		if (r < 0)
			abort();
		skip += (uint32_t)n;
	} while (r == 0);
	return skip;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t full[MIME_BLOB_MAX], small[MIME_BLOB_MAX], chunked[MIME_BLOB_MAX];
	static struct mime_work work;
	static char a[1 << 18], b[1 << 18];
	struct mime_view v1, v2;
	uint32_t n_full, n_small;
	size_t chunk;

	if (size < 1 || size > 65536)
		return 0;
	chunk = 1u + (data[0] & 15u);
	msg = data + 1;
	msg_len = (uint32_t)(size - 1);

	n_full = parse(full, MIME_BLOB_MAX, msg_len ? msg_len : 1);
	if (parse(chunked, MIME_BLOB_MAX, chunk) != n_full || memcmp(full, chunked, n_full))
		abort();
	n_small = parse(small, 64u + (data[0] >> 4) * 40u, chunk);

	v1 = (struct mime_view){ full, n_full, msg_len, rd, NULL, &work };
	v2 = (struct mime_view){ small, n_small, msg_len, rd, NULL, &work };
	for (int item = 0; item < 3; item++) {
		size_t la, lb;
		if (mime_view_check(&v1) != MIME_OK)
			abort();
		la = render_all(&v1, (enum mime_item)item, a, sizeof(a), 4096);
		if (mime_view_check(&v2) != MIME_OK)
			abort();
		/* the fallback re-parses windows (resumed, but a window behind the
		 * resume copy starts at byte 0): keep its cost per run small */
		if (msg_len > 8192)
			continue;
		lb = render_all(&v2, (enum mime_item)item, b, sizeof(b), 64 + chunk * 32);
		if (la != lb || memcmp(a, b, la))
			abort();
	}

	/* sections: every record's ranges lie inside the message */
	mime_view_check(&v1);
	for (uint32_t p1 = 0; p1 < 4; p1++) {
		for (uint32_t p2 = 0; p2 < 3; p2++) {
			uint32_t path[2] = { p1, p2 };
			for (int s = MIME_SECT_ALL; s <= MIME_SECT_MIME; s++) {
				struct mime_range r;
				if (mime_section(&v1, path, p2 ? 2 : (p1 ? 1 : 0), (enum mime_sect)s,
						 &r) == MIME_OK &&
				    ((uint64_t)r.off + r.len > msg_len))
					abort();
			}
		}
	}
	{
		static const struct mime_hdr_name names[] = { { "subject", 7 }, { "from", 4 } };
		struct mime_hdr_filter f;
		struct mime_dec d;
		struct mime_words w;
		static struct mime_match m;
		size_t o;

		mime_hdr_filter_init(&f, names, 2, data[0] & 1);
		o = mime_hdr_filter_feed(&f, msg, msg_len, a);
		o += mime_hdr_filter_end(&f, a + o);
		if (o > msg_len + 2)
			abort();
		mime_dec_init(&d, (data[0] & 2) ? MIME_ENC_QP : MIME_ENC_BASE64);
		o = 0;
		for (uint32_t off = 0; off < msg_len; off += (uint32_t)chunk)
			o += mime_dec_feed(&d, msg + off, msg_len - off < chunk ? msg_len - off : chunk,
					   a + o);
		mime_dec_finish(&d, a + o);
		mime_words_init(&w);
		if (msg_len * 3u + 3u * MIME_WORD_MAX < sizeof(b)) {
			o = mime_words_feed(&w, msg, msg_len, b);
			o += mime_words_finish(&w, b + o);
		}
		uint8_t needle[40];   /* folded in place by the matcher */
		size_t nlen = msg_len < sizeof(needle) ? msg_len : sizeof(needle);
		memcpy(needle, msg, nlen);
		if (mime_match_init(&m, needle, nlen))
			mime_match_feed(&m, msg, msg_len);
	}
	return 0;
}
