/*
 * mime_impl.h - layouts behind mime.h, public only so callers can allocate
 * them statically. Fields are private to mime.c / mime_render.c.
 */
#ifndef MIME_IMPL_H
#define MIME_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#define MIME_NAME_MAX 32           /* longest field name the parser cares about */
#define MIME_TOKEN_MAX 16          /* type / subtype / parameter name bytes kept */

struct mime_bound {
	uint16_t off;              /* in mime_parser.pool */
	uint8_t len;
	uint8_t depth;             /* of the multipart part */
};

struct mime_open {
	uint16_t rec;              /* blob offset of the record, 0 if not stored */
	uint16_t index;
	uint8_t kind;
	bool digest;               /* multipart/digest: children default to message/rfc822 */
	uint32_t lines0;           /* LF count at body start */
};

/* Streaming Content-Type scanner: type, subtype, boundary parameter. */
struct mime_ct_scan {
	uint8_t st, cdepth, tn, sn, pn;
	bool bq;                   /* a boundary parameter was seen (the first counts) */
	bool bover;                /* ... and it was longer than MIME_BOUNDARY_MAX */
	bool isb;                  /* the parameter being read is that boundary */
	uint8_t bn;
	char type[MIME_TOKEN_MAX], sub[MIME_TOKEN_MAX], pname[MIME_TOKEN_MAX];
};

struct mime_parser {
	uint8_t *blob;
	uint32_t cap, len;
	uint16_t first, nrec;      /* window start; records numbered so far */
	bool full;                 /* a record did not fit: no more stored */
	uint32_t off;              /* bytes fed */
	uint32_t lines;            /* LFs fed */
	uint8_t st;                /* header / body state */
	uint8_t hst;               /* header line sub-state */
	bool cr;                   /* last byte was CR */
	bool bol;                  /* next byte starts a line */
	bool line_blank;           /* the line so far is only CR/LF */
	/* current line */
	uint32_t line_off, line_lines;
	uint8_t prev_eol;          /* 1 or 2: terminator length of the previous line */
	uint16_t lpos;             /* line bytes seen by the delimiter matcher */
	uint16_t lcand, lmatch, lclose;   /* bit i: boundary i (see line_match_byte) */
	/* current header field */
	char name[MIME_NAME_MAX];
	uint8_t name_n;
	int8_t field;              /* enum mime_field being stored, -1 none */
	bool name_over;
	uint16_t fpos;             /* blob offset of the field entry being written */
	uint32_t val_off, val_len, val_end;
	bool val_ref;              /* too long to copy: stored as a reference */
	bool val_lead;             /* no value byte yet */
	bool val_folded;           /* past the first line of the field */
	bool val_lf;               /* a line break is pending (fold or end) */
	uint8_t nent;              /* field entries begun in this record */
	uint8_t nenv;              /* envelope field occurrences seen */
	uint32_t seen;             /* fields present in this header (first wins) */
	bool ct_seen, cte_seen;
	bool mv_seen;              /* MIME-Version present */
	uint8_t cte_n;             /* > sizeof(cte): too long */
	bool cte_done;
	char cte[MIME_TOKEN_MAX];
	struct mime_ct_scan ct;
	/* nesting */
	uint8_t nopen, nbnd;
	struct mime_open open[MIME_MAX_DEPTH];
	struct mime_bound bnd[MIME_MAX_BOUNDARIES];
	char pool[MIME_BOUNDARY_POOL];  /* boundaries of the open multiparts, stacked */
};

#define MIME_RENDER_TOK 512        /* one address component / parameter kept by renderers */

struct mime_work {
	const uint8_t *key_blob;   /* view the window belongs to */
	uint32_t key_size;
	bool win_valid;
	uint16_t win_first;
	uint32_t win_len;
	uint8_t win[MIME_BLOB_MAX];
	struct mime_parser parser;
	/* A copy of the parser taken during a re-parse before a record past the
	 * window began: a later window from resume.nrec on continues from it
	 * instead of from byte 0 (mime.c, window_fill). */
	bool resume_valid;
	uint32_t resume_off;
	struct mime_parser resume;
	/* Where the last BODY/BODYSTRUCTURE rendering began a child of the root
	 * multipart: a later call whose skip reaches pos starts its walk there
	 * (mime_render.c). */
	struct {
		bool valid;
		uint8_t item;
		uint16_t root, next;
		uint32_t pos;
	} ck;
	char tok[5][MIME_RENDER_TOK];  /* name, route, mailbox, host, comment */
	uint16_t tok_len[5];
};

#endif
