/*
 * imap_search.h - the SEARCH command: parsing its arguments into a small
 * bounded program and evaluating that program one message at a time.
 *
 * Grammar: RFC 3501 search (every key, NOT, OR, parentheses, sequence sets,
 * UID sets, '$' of RFC 5182), RFC 4731 "RETURN (MIN MAX ALL COUNT SAVE)",
 * CHARSET US-ASCII / UTF-8, and MODSEQ (RFC 7162). The program references
 * strings inside the parser's command buffer, which must stay untouched
 * while the program is in use.
 *
 * Evaluation is three-valued so the session can do the cheap work first and
 * the expensive work only when the answer still depends on it:
 *   1. fill the RAM facts of struct imap_search_msg (sequence number, UID,
 *      flags...) and call imap_search_eval(); usually the answer is final;
 *   2. on IMAP_SEARCH_UNKNOWN, supply what imap_search_needs() asks for:
 *      the message stat (size, INTERNALDATE), the parsed Date: header, and
 *      the result of each text key (imap_search_text()) that the session
 *      finds by streaming the decoded header fields / body through
 *      case-insensitive substring matchers, marking each key known as soon as
 *      it is decided; re-evaluate whenever convenient (a key found early
 *      may settle the answer before the body has been read to its end).
 * The evaluator has no state of its own: any number of sessions may search
 * concurrently, and a search may be spread over as many slices as needed.
 */
#ifndef IMAP_SEARCH_H
#define IMAP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_parse.h"

#ifndef IMAP_SEARCH_MAX_NODES
#define IMAP_SEARCH_MAX_NODES 64   /* keys, NOT/OR/lists included */
#endif
#ifndef IMAP_SEARCH_MAX_DEPTH
#define IMAP_SEARCH_MAX_DEPTH 16   /* nesting of NOT / OR / parentheses; parsing and
				      evaluation recurse once per level (about 48
				      bytes of stack each on a Cortex-M3) */
#endif
#ifndef IMAP_SEARCH_MAX_TEXT
#define IMAP_SEARCH_MAX_TEXT 8     /* text keys (FROM, SUBJECT, HEADER, BODY, TEXT...);
				      each costs the session a matcher */
#endif

/* imap_search_parse() results */
enum {
	IMAP_SEARCH_OK = 0,
	IMAP_SEARCH_BAD = -1,         /* syntax: tagged BAD with s->err */
	IMAP_SEARCH_BADCHARSET = -2,  /* NO [BADCHARSET (US-ASCII UTF-8)] */
	IMAP_SEARCH_LIMIT = -3,       /* too many keys, too deep, string too long:
					 NO [LIMIT] with s->err */
};

/* RETURN options (RFC 4731 / RFC 5182). Reminders for the session: SAVE
 * alone gives no ESEARCH response; SAVE with MIN and/or MAX saves only those
 * messages; a failed SEARCH ... SAVE empties the saved result. */
enum {
	IMAP_SEARCH_RET_MIN = 1u << 0,
	IMAP_SEARCH_RET_MAX = 1u << 1,
	IMAP_SEARCH_RET_ALL = 1u << 2,
	IMAP_SEARCH_RET_COUNT = 1u << 3,
	IMAP_SEARCH_RET_SAVE = 1u << 4,
};

/* What evaluation may need beyond the RAM facts (imap_search_needs()), and
 * which of it a struct imap_search_msg carries (its have field). */
enum {
	IMAP_SEARCH_NEED_STAT = 1u << 0,    /* size, INTERNALDATE: store_msg_stat() */
	IMAP_SEARCH_NEED_DATE = 1u << 1,    /* the Date: header, parsed */
	IMAP_SEARCH_NEED_HEADER = 1u << 2,  /* text keys on header fields */
	IMAP_SEARCH_NEED_BODY = 1u << 3,    /* text keys on the body (BODY, TEXT) */
};

/* imap_search_eval() results */
enum {
	IMAP_SEARCH_NO = 0,
	IMAP_SEARCH_YES = 1,
	IMAP_SEARCH_UNKNOWN = 2,
};

/* A text key: a case-insensitive substring to look for in decoded text. */
enum imap_search_where {
	IMAP_SEARCH_IN_FIELD,   /* value of header field `field` (unfolded, RFC 2047
				   decoded); an empty needle matches any message
				   that has the field */
	IMAP_SEARCH_IN_BODY,    /* the body, transfer-decoded (BODY) */
	IMAP_SEARCH_IN_TEXT,    /* header and body (TEXT) */
};
struct imap_search_text {
	enum imap_search_where where;
	const char *field;      /* IN_FIELD: field name without ':' */
	size_t field_len;
	char *needle;           /* in the command buffer; SEARCH's matcher folds it in place */
	size_t needle_len;
};

/* Is this IN_FIELD key about header field name (case-insensitive)? */
bool imap_search_text_field_is(const struct imap_search_text *t, const char *name, size_t len);

/* Per-message facts for imap_search_eval(). */
struct imap_search_msg {
	/* mailbox: for '*' in sequence / UID sets */
	uint32_t max_seq, max_uid;
	/* RAM facts, always valid */
	uint32_t seq, uid;
	uint32_t flags;         /* STORE_F_* incl. keyword bits */
	bool recent;            /* \Recent in this session */
	bool in_saved;          /* in the SEARCHRES saved result ('$') */
	uint64_t modseq;
	/* valid when have includes the bit named */
	uint32_t have;          /* IMAP_SEARCH_NEED_STAT / _DATE */
	uint32_t size;          /* NEED_STAT: RFC822.SIZE */
	int64_t internaldate;   /* NEED_STAT */
	int16_t internal_tz;    /* NEED_STAT: minutes east of UTC */
	bool sent_valid;        /* NEED_DATE: a parseable Date: header exists */
	int64_t sent;           /* NEED_DATE */
	int16_t sent_tz;        /* NEED_DATE */
	uint32_t text_known;    /* bit i: text key i decided */
	uint32_t text_found;    /* bit i: text key i matched */
};

/* ---- the program (layout public so it can be allocated statically) ---- */
struct imap_search_node {
	uint8_t op;             /* private opcode */
	uint8_t text;           /* text key index */
	uint16_t end;           /* index one past this node's subtree */
	union {
		uint32_t mask;  /* flag tests */
		uint64_t num;   /* LARGER / SMALLER */
		int64_t day;    /* date tests: days since the epoch */
		uint64_t modseq;
		struct imap_seqset set;
		struct {
			const char *name;
			uint32_t len;
			uint32_t mask;  /* keyword bit after imap_search_bind(), 0 if none */
		} kw;
	} u;
};

struct imap_search {
	struct imap_search_node node[IMAP_SEARCH_MAX_NODES];
	struct imap_search_text text[IMAP_SEARCH_MAX_TEXT];
	uint8_t nodes, texts;
	uint8_t ret;            /* IMAP_SEARCH_RET_* */
	bool esearch;           /* RETURN given: answer with ESEARCH */
	bool uses_modseq;       /* MODSEQ key: append "(MODSEQ n)" to the result */
	bool uses_saved;        /* '$' appears */
	bool uses_keywords;     /* KEYWORD or UNKEYWORD: keywords are on flash */
	uint32_t needs;         /* IMAP_SEARCH_NEED_* */
	const char *err;        /* reason for BAD / LIMIT */
};

/* Parse the arguments of SEARCH: p->pos is just past the command name (at
 * the SP before the first argument); on success the whole command has been
 * consumed. Returns IMAP_SEARCH_OK or an error code above. */
int imap_search_parse(struct imap_search *s, struct imap_parser *p);

/* Resolve KEYWORD / UNKEYWORD names to flag bits of the selected mailbox:
 * lookup returns the keyword index (bit STORE_F_KEYWORD(index)) or < 0 if the
 * mailbox has no such keyword. Call before evaluating and again whenever the
 * mailbox's keyword table may have changed (e.g. at the start of a slice). */
void imap_search_bind(struct imap_search *s,
		      int (*lookup)(void *ctx, const char *kw, size_t len), void *ctx);

/* IMAP_SEARCH_NEED_* bits that some key of the program depends on. */
static inline uint32_t imap_search_needs(const struct imap_search *s) { return s->needs; }
/* The text keys, index 0 .. imap_search_text_count() - 1. */
static inline unsigned imap_search_text_count(const struct imap_search *s) { return s->texts; }
static inline const struct imap_search_text *imap_search_text(const struct imap_search *s,
							       unsigned i)
{
	return &s->text[i];
}

/* IMAP_SEARCH_YES / _NO, or _UNKNOWN if the answer depends on facts m does
 * not have yet. */
int imap_search_eval(const struct imap_search *s, const struct imap_search_msg *m);

/* ---- result formatting ---- */
/* Compressed ascending number sets for ESEARCH ALL: "1:3,5,7:9". Feed numbers
 * in ascending order; each call writes at most IMAP_SEARCH_SETW_MAX bytes. */
#define IMAP_SEARCH_SETW_MAX 22   /* ",4294967295:4294967295" */
struct imap_search_setw {
	uint32_t lo, hi;
	bool open;              /* a run lo..hi is pending */
	bool started;           /* something was written */
};
void imap_search_setw_init(struct imap_search_setw *w);
/* Add n; returns bytes written to out (a completed run, or 0). */
size_t imap_search_setw_add(struct imap_search_setw *w, uint32_t n,
			    char out[IMAP_SEARCH_SETW_MAX]);
/* Flush the pending run; returns bytes written. */
size_t imap_search_setw_finish(struct imap_search_setw *w, char out[IMAP_SEARCH_SETW_MAX]);

#endif
