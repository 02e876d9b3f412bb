/*
 * mimedump - run the MIME parser over a message file exactly as APPEND does
 * (streamed in chunks) and print what FETCH would answer: ENVELOPE,
 * BODYSTRUCTURE, BODY, the part map, and any BODY[section] asked for.
 *
 *   mimedump [-c chunk] [-m meta_cap] [-o outbuf] [-x] file [section ...]
 *
 * -c: feed size (default 4096; 1 tests byte-at-a-time streaming)
 * -m: blob capacity (default MIME_BLOB_MAX; small values force the re-parse
 *     fallback), -o: renderer output buffer (default 4096), -x: print only
 *     the FETCH items (no part map), for the differential test.
 * Sections use IMAP syntax without "BODY[...]": "", "1.2", "1.MIME",
 * "HEADER", "2.TEXT", "HEADER.FIELDS (FROM TO)", "1.HEADER.FIELDS.NOT (X)".
 * Each is printed as: BODY[section] {n}CRLF<bytes>CRLF (-x: as above; a
 * section that is a BAD command prints LEN -1).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "mime_hdr_filter.h"
#include "mime_render.h"

static unsigned char *msg;
static uint32_t msg_len;
static uint64_t read_bytes;    /* through the view's callback (re-parses) */

static int file_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	if (off >= msg_len)
		return 0;
	if (len > msg_len - off)
		len = msg_len - off;
	memcpy(buf, msg + off, len);
	read_bytes += len;
	return (int)len;
}

static size_t outcap = 4096;
static bool machine;

/* Start an item of len bytes (machine mode) or with a literal prefix. */
static void item_head(const char *name, long len, bool literal)
{
	if (machine)
		printf("%s %ld\n", name, len);
	else if (literal)
		printf("%s {%ld}\r\n", name, len);
	else
		printf("%s ", name);
}

static int print_item(const struct mime_view *v, enum mime_item item, const char *name)
{
	static char all[1 << 20];
	static char buf[65536];
	uint32_t skip = 0;
	size_t n;
	int r;

	do {
		r = mime_render(v, 0, item, skip, buf, outcap, &n);
		if (r < 0) {
			printf("%s <error %d>\n", name, r);
			return r;
		}
		if (skip + n > sizeof(all))
			return -1;
		memcpy(all + skip, buf, n);
		skip += (uint32_t)n;
	} while (r == 0);
	item_head(name, (long)skip, false);
	fwrite(all, 1, skip, stdout);
	printf("\n");
	return 0;
}

static void print_map(const struct mime_view *v)
{
	struct mime_part p;
	for (uint16_t i = 0; mime_part_get(v, i, &p) == MIME_OK; i++)
		printf("part %u depth %u kind %#x enc %u hdr %lu body %lu end %lu lines %lu\n",
		       (unsigned)i, (unsigned)p.depth, (unsigned)p.kind, (unsigned)p.enc,
		       (unsigned long)p.hdr_off, (unsigned long)p.body_off,
		       (unsigned long)p.end_off, (unsigned long)p.body_lines);
}

/* Parse "1.2.HEADER.FIELDS (A B)" into path, kind and names. */
static int parse_section(char *spec, uint32_t *path, unsigned *n, enum mime_sect *sect,
			 struct mime_hdr_name *names, unsigned *nn)
{
	char *s = spec;
	*n = 0;
	*nn = 0;
	*sect = MIME_SECT_ALL;
	while (isdigit((unsigned char)*s)) {
		if (*n == MIME_MAX_DEPTH)
			return -1;
		path[(*n)++] = (uint32_t)strtoul(s, &s, 10);
		if (*s == '.')
			s++;
		else if (*s)
			return -1;
	}
	if (!*s)
		return 0;
	if (!strncmp(s, "HEADER.FIELDS.NOT", 17)) {
		*sect = MIME_SECT_HEADER_FIELDS_NOT;
		s += 17;
	} else if (!strncmp(s, "HEADER.FIELDS", 13)) {
		*sect = MIME_SECT_HEADER_FIELDS;
		s += 13;
	} else if (!strcmp(s, "HEADER")) {
		*sect = MIME_SECT_HEADER;
		return 0;
	} else if (!strcmp(s, "TEXT")) {
		*sect = MIME_SECT_TEXT;
		return 0;
	} else if (!strcmp(s, "MIME")) {
		*sect = MIME_SECT_MIME;
		return 0;
	} else {
		return -1;
	}
	while (*s == ' ' || *s == '(')
		s++;
	while (*s && *s != ')') {
		char *e = s;
		while (*e && *e != ' ' && *e != ')')
			e++;
		if (*nn == MIME_HDR_FILTER_NAMES)
			return -1;
		names[*nn].s = s;
		names[(*nn)++].len = (size_t)(e - s);
		s = e;
		while (*s == ' ')
			s++;
	}
	return 0;
}

static int print_section(const struct mime_view *v, char *spec)
{
	uint32_t path[MIME_MAX_DEPTH];
	unsigned n, nn;
	enum mime_sect sect;
	struct mime_hdr_name names[MIME_HDR_FILTER_NAMES];
	struct mime_range r;
	char label[512];
	int err;

	snprintf(label, sizeof(label), "BODY[%s]", spec);
	err = parse_section(spec, path, &n, &sect, names, &nn) < 0
		      ? MIME_EINVAL
		      : mime_section(v, path, n, sect, &r);
	if (err == MIME_EINVAL) {
		item_head(label, -1, false);
		printf("BAD\n");
		return 0;
	}
	if (err == MIME_ENOPART) {
		item_head(label, 0, true);
		printf("\n");
		return 0;
	}
	if (err)
		return err;
	if (sect == MIME_SECT_HEADER_FIELDS || sect == MIME_SECT_HEADER_FIELDS_NOT) {
		static char out[1 << 16];
		struct mime_hdr_filter f;
		size_t total = 0;
		for (int pass = 0; pass < 2; pass++) {
			uint32_t off = r.off, end = r.off + r.len;
			mime_hdr_filter_init(&f, names, nn, sect == MIME_SECT_HEADER_FIELDS_NOT);
			if (pass == 1)
				item_head(label, (long)total, true);
			while (off < end) {
				char in[100];
				uint32_t k = end - off > sizeof(in) ? (uint32_t)sizeof(in) : end - off;
				size_t o;
				file_read(NULL, off, in, k);
				o = mime_hdr_filter_feed(&f, in, k, pass ? out : NULL);
				if (pass)
					fwrite(out, 1, o, stdout);
				else
					total += o;
				off += k;
			}
			if (pass) {
				size_t o = mime_hdr_filter_end(&f, out);
				fwrite(out, 1, o, stdout);
			} else {
				total += mime_hdr_filter_end(&f, NULL);
			}
		}
		printf("\n");
		return 0;
	}
	item_head(label, (long)r.len, true);
	fwrite(msg + r.off, 1, r.len, stdout);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t blob[MIME_BLOB_MAX];
	static struct mime_parser parser;
	static struct mime_work work;
	size_t chunk = 4096, cap = MIME_BLOB_MAX, n, got;
	struct mime_view v;
	FILE *f;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-x")) {
			machine = true;
		} else if (i + 1 < argc && !strcmp(argv[i], "-c")) {
			chunk = strtoul(argv[++i], NULL, 0);
		} else if (i + 1 < argc && !strcmp(argv[i], "-m")) {
			cap = strtoul(argv[++i], NULL, 0);
		} else if (i + 1 < argc && !strcmp(argv[i], "-o")) {
			outcap = strtoul(argv[++i], NULL, 0);
		} else {
			break;
		}
	}
	if (i >= argc || chunk == 0 || cap > MIME_BLOB_MAX || outcap == 0 || outcap > 65536) {
		fprintf(stderr, "usage: mimedump [-c chunk] [-m meta_cap] [-o outbuf] [-x] file "
				"[section ...]\n");
		return 2;
	}
	f = strcmp(argv[i], "-") ? fopen(argv[i], "rb") : stdin;
	if (!f) {
		perror(argv[i]);
		return 1;
	}
	for (size_t cap_msg = 0;;) {
		if (msg_len == cap_msg) {
			unsigned char *m2;
			cap_msg = cap_msg ? cap_msg * 2 : 65536;
			m2 = realloc(msg, cap_msg);
			if (!m2)
				return 1;
			msg = m2;
		}
		got = fread(msg + msg_len, 1, cap_msg - msg_len, f);
		msg_len += (uint32_t)got;
		if (got == 0)
			break;
	}
	mime_parse_init(&parser, blob, (uint32_t)cap, 0);
	for (uint32_t off = 0; off < msg_len; off += (uint32_t)n) {
		n = msg_len - off < chunk ? msg_len - off : chunk;
		mime_parse_feed(&parser, msg + off, n);
	}
	v.blob = blob;
	v.blob_len = mime_parse_finish(&parser);
	v.msg_size = msg_len;
	v.read = file_read;
	v.read_ctx = NULL;
	v.work = &work;
	if (mime_view_check(&v) != MIME_OK) {
		printf("bad blob\n");
		return 1;
	}
	if (!machine) {
		printf("blob %lu bytes%s, message %lu bytes\n", (unsigned long)v.blob_len,
		       mime_blob_complete(blob, v.blob_len) ? "" : " (truncated)",
		       (unsigned long)msg_len);
		print_map(&v);
	}
	if (print_item(&v, MIME_ITEM_ENVELOPE, "ENVELOPE") ||
	    print_item(&v, MIME_ITEM_BODYSTRUCTURE, "BODYSTRUCTURE") ||
	    print_item(&v, MIME_ITEM_BODY, "BODY"))
		return 1;
	for (i++; i < argc; i++)
		if (print_section(&v, argv[i]))
			return 1;
	if (!machine)
		printf("read back through the view: %llu bytes\n", (unsigned long long)read_bytes);
	free(msg);
	return 0;
}
