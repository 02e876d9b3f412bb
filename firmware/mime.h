/*
 * mime.h - MIME structure of a message, computed once while APPEND streams
 * it in, kept as the message's metadata blob, read back by FETCH.
 *
 * The parser is fed the message in chunks of any size (one byte at a time
 * gives the same result) and writes a compact blob (<= MIME_BLOB_MAX bytes,
 * STORE_META_MAX) holding the part tree in pre-order: per part its byte
 * offsets (header, body, end), body line count, Content-* fields, and for
 * message roots (the top and the body of every message/rfc822 part) the
 * ENVELOPE fields. Field values are stored unfolded, raw (no RFC 2047
 * decoding); a value longer than MIME_VALUE_INLINE_MAX is stored as a
 * reference (offset, length) into the message and read back through the
 * view's read callback.
 *
 * Part tree, as IMAP numbers it: record 0 is the message root. A multipart
 * record's children are its body parts. A message/rfc822 record has one
 * child, the root of the encapsulated message (header = the inner message
 * header), unless it is transfer-encoded or too deep: then none, and it
 * shows as an empty message (Dovecot). Part numbers (RFC 3501 6.4.5) map
 * onto records with mime_part_find().
 *
 * Bounds (documented limits, not failures): at most MIME_MAX_DEPTH nested
 * parts and MIME_MAX_BOUNDARIES nested multiparts whose boundaries total at
 * most MIME_BOUNDARY_POOL bytes; a message/rfc822 deeper than that is kept
 * as a leaf, and a multipart whose boundary does not fit (or is longer than
 * MIME_BOUNDARY_MAX; RFC 2046 allows 70) is parsed as one without a
 * boundary: its body is one empty text part, as Dovecot shows a multipart
 * whose boundary never occurs.
 * When the records do not fit the blob, the blob is marked truncated; the
 * view then recomputes the missing records by re-parsing the message
 * through the read callback into its work area (bounded RAM, more flash
 * reads, same answers). MIME_BLOB_MAX may be set lower than STORE_META_MAX
 * (a board with little RAM); the answers do not change.
 *
 * Offsets are byte offsets into the message as stored (no LF->CRLF
 * rewriting); sizes are therefore physical sizes.
 */
#ifndef MIME_H
#define MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIME_BLOB_VERSION 1
#ifndef MIME_BLOB_MAX
#define MIME_BLOB_MAX 4096         /* = STORE_META_MAX of store.h */
#endif

#ifndef MIME_MAX_DEPTH
#define MIME_MAX_DEPTH 32          /* nested parts, root = depth 0 */
#endif
#ifndef MIME_MAX_BOUNDARIES
#define MIME_MAX_BOUNDARIES 16     /* nested multiparts */
#endif
#ifndef MIME_BOUNDARY_POOL
#define MIME_BOUNDARY_POOL 640     /* bytes of all open boundaries together */
#endif
#ifndef MIME_BOUNDARY_MAX
#define MIME_BOUNDARY_MAX 250      /* bytes of one boundary (RFC 2046: 70) */
#endif
#ifndef MIME_ENV_ENTRIES
#define MIME_ENV_ENTRIES 24        /* envelope header fields kept per message root */
#endif
#ifndef MIME_VALUE_INLINE_MAX
#define MIME_VALUE_INLINE_MAX 768  /* longer field values are stored by reference */
#endif

/* Errors (negative) returned by the functions below. */
enum {
	MIME_OK = 0,
	MIME_ENOPART = -1,         /* no such part */
	MIME_EBLOB = -2,           /* blob malformed or of another version */
	MIME_EIO = -3,             /* the read callback failed */
	MIME_EINVAL = -4,          /* bad argument */
};

/* Content-Transfer-Encoding of a part. */
enum mime_enc {
	MIME_ENC_7BIT, MIME_ENC_8BIT, MIME_ENC_BINARY, MIME_ENC_BASE64, MIME_ENC_QP,
	MIME_ENC_OTHER,            /* unknown: BINARY[] answers NO [UNKNOWN-CTE] */
};

/* Header fields kept in the blob. */
enum mime_field {
	MIME_F_CTYPE, MIME_F_CTE, MIME_F_CID, MIME_F_CDESC, MIME_F_CDISP, MIME_F_CLANG,
	MIME_F_CLOC, MIME_F_CMD5,
	/* envelope, message roots only */
	MIME_F_DATE, MIME_F_SUBJECT, MIME_F_FROM, MIME_F_SENDER, MIME_F_REPLY_TO, MIME_F_TO,
	MIME_F_CC, MIME_F_BCC, MIME_F_IN_REPLY_TO, MIME_F_MESSAGE_ID,
	MIME_F_COUNT
};

/* Part kinds. */
enum {
	MIME_K_MULTIPART = 1u << 0,  /* body split into child parts */
	MIME_K_MESSAGE = 1u << 1,    /* message/rfc822 (or global): one child, the inner root */
	MIME_K_ROOT = 1u << 2,       /* a message root: has envelope fields */
	MIME_K_DIGEST = 1u << 3,     /* child of multipart/digest: default type message/rfc822 */
	MIME_K_TEXT = 1u << 4,       /* type text/ *: BODYSTRUCTURE carries a line count */
};

/* One part, as read from the blob. */
struct mime_part {
	uint16_t index;            /* record number, pre-order */
	uint8_t depth;
	uint8_t kind;              /* MIME_K_* */
	uint8_t enc;               /* enum mime_enc */
	uint32_t hdr_off;          /* start of the part's header */
	uint32_t body_off;         /* start of its body (after the blank line) */
	uint32_t end_off;          /* end of its body */
	uint32_t body_lines;       /* lines in the body */
};

/* ---- the parser (APPEND side) ---- */
struct mime_parser;            /* layout in mime_impl.h; sizeof <= 1.5 KiB */

/* Start a parse writing into blob (capacity cap, at most MIME_BLOB_MAX).
 * first_record: records with a smaller index are parsed but not stored (the
 * view uses this to recompute a truncated blob); APPEND passes 0. */
void mime_parse_init(struct mime_parser *p, uint8_t *blob, uint32_t cap, uint16_t first_record);
/* Feed the next len bytes of the message. Never fails: bad MIME is parsed as
 * Dovecot parses it. */
void mime_parse_feed(struct mime_parser *p, const void *data, size_t len);
/* The message is complete: close every open part; returns the blob length. */
uint32_t mime_parse_finish(struct mime_parser *p);
/* Does the blob hold every record (false: a view needs its read callback)? */
bool mime_blob_complete(const uint8_t *blob, uint32_t len);
/* Is a[0..an) equal to the lower-case token b, ignoring ASCII case? (MIME
 * types, parameter and charset names are case-insensitive.) */
bool mime_token_eq(const char *a, size_t an, const char *b);

/* ---- the view (FETCH side) ---- */
/* Reads message bytes [off, off+len) into buf; returns bytes read (<= len,
 * 0 at the end) or < 0 on error. */
typedef int (*mime_read_fn)(void *ctx, uint32_t off, void *buf, uint32_t len);

struct mime_work;              /* a view's scratch area; layout in mime_impl.h */

struct mime_view {
	const uint8_t *blob;
	uint32_t blob_len;
	uint32_t msg_size;
	mime_read_fn read;         /* needed for long values and truncated blobs */
	void *read_ctx;
	struct mime_work *work;    /* caller-allocated (static), one per concurrent user */
};

/* Check the blob (version, record bounds). MIME_OK or MIME_EBLOB. Call once
 * before using a view; every other function assumes a checked blob but still
 * never reads outside it. It also binds the work area to the view, dropping
 * whatever it kept of another message (windows, re-parse state, render
 * shortcut): call it again whenever the blob buffer holds another message. */
int mime_view_check(const struct mime_view *v);
/* Bind the work area to v if it belongs to another view (by blob pointer and
 * message size), dropping what it kept; the view functions call it. */
void mime_work_bind(const struct mime_view *v);
/* Drop everything the work area kept (the next use re-parses from byte 0). */
void mime_work_forget(struct mime_work *w);
/* Record i (0 = root). MIME_OK, MIME_ENOPART past the last, MIME_EIO. */
int mime_part_get(const struct mime_view *v, uint16_t i, struct mime_part *out);
/* Resolve an IMAP part number path (n parts; n == 0 means the message
 * itself) to its record, as Dovecot does (RFC 3501 6.4.5): in a multipart
 * part k is its k-th child; a non-multipart has only part 1, itself, and the
 * path may continue below it only if it is a message/rfc822, inside the
 * encapsulated message. MIME_OK / MIME_ENOPART / MIME_EIO. */
int mime_part_find(const struct mime_view *v, const uint32_t *path, unsigned n,
		   struct mime_part *out);
/* A stored field value: inline in the blob (or the work window) or by
 * reference into the message. Read it with mime_value_getc(); the inline
 * pointer is valid until the next call that may re-parse (any function
 * taking the view), so read a value before looking up another part. */
struct mime_value {
	const uint8_t *data;       /* inline bytes */
	uint32_t off, len, pos;    /* reference: raw folded bytes [off, off+len) */
	bool ref;
	bool keep_lf;              /* getc also returns the line breaks of folds */
	uint8_t cache_n, cache_pos;
	uint8_t cache[32];
};
/* 1 with *out set if part p has field f, 0 if not, < 0 on error. Content-*
 * fields occur at most once (the first in the header); envelope fields as
 * often as the header has them (nth: 0 = first). */
int mime_field_ref(const struct mime_view *v, const struct mime_part *p, enum mime_field f,
		   struct mime_value *out);
int mime_field_nth(const struct mime_view *v, const struct mime_part *p, enum mime_field f,
		   unsigned nth, struct mime_value *out);
/* Next byte of the unfolded value (CR/LF dropped), -1 at the end, -2 on a
 * read error. */
int mime_value_getc(const struct mime_view *v, struct mime_value *val);
void mime_value_rewind(struct mime_value *val);
/* Copy the (unfolded) value of field f of part p, up to cap bytes; *len gets
 * the full length. Returns 1 if present, 0 if absent, < 0 on error. */
int mime_field_get(const struct mime_view *v, const struct mime_part *p, enum mime_field f,
		   char *buf, uint32_t cap, uint32_t *len);

/* ---- sections: BODY[section] / BINARY[section] ---- */
enum mime_sect {
	MIME_SECT_ALL,             /* BODY[path] (BODY[] when path is empty) */
	MIME_SECT_HEADER,          /* [path.]HEADER */
	MIME_SECT_HEADER_FIELDS,   /* [path.]HEADER.FIELDS (...): filter the range */
	MIME_SECT_HEADER_FIELDS_NOT,
	MIME_SECT_TEXT,            /* [path.]TEXT */
	MIME_SECT_MIME,            /* path.MIME */
};

struct mime_range {
	uint32_t off, len;         /* bytes of the message */
	uint8_t enc;               /* enum mime_enc of the part (BINARY) */
	bool is_header;            /* the range is a header (incl. its blank line);
				      HEADER.FIELDS[.NOT] run it through a mime_hdr_filter */
};

/* Resolve a section to a byte range. HEADER/TEXT (and HEADER.FIELDS) of a
 * message/rfc822 part refer to the encapsulated message; BODY[n] and
 * BODY[n.MIME] on a message/rfc822 part to the part itself (its body = the
 * whole inner message; MIME = its MIME header). HEADER/TEXT of a part that
 * is not a message/rfc822 give MIME_ENOPART, as does a missing part: FETCH
 * answers those with an empty string as Dovecot does (BINARY: NO).
 * MIME with an empty path is MIME_EINVAL (a BAD per RFC 3501 grammar). */
int mime_section(const struct mime_view *v, const uint32_t *path, unsigned n,
		 enum mime_sect sect, struct mime_range *out);

#include "mime_impl.h"

#endif
