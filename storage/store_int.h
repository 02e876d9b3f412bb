/*
 * store_int.h - private to storage/store*.c: the on-flash layout (see
 * FORMAT.md, which this must match), little-endian codecs, and the log
 * layer shared by the index (store.c), the collector (store_gc.c) and the
 * checker (store_fsck.c).
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include "store.h"

#define FMT_VERSION 2u

/* Sector header: erase header, then open header, each unit aligned. */
#define EH_LEN 20u
#define OH_LEN 32u
#define FIRST_NONE 0xffffffffu

/* Record types (first byte of every record; never 0xff = erased). */
enum {
	REC_MSG = 'M',            /* message record: header, data, commit block */
	REC_COMMIT = 'S',         /* commit block at the end of a message record */
	REC_META = 'A',           /* metadata blob of a message */
	REC_MBOX = 'B',
	REC_DELMBOX = 'D',
	REC_RENAME = 'R',
	REC_FLAGS = 'F',
	REC_EXPUNGE = 'X',
	REC_CFG = 'C',
	REC_CFGDEL = 'Z',
	REC_TAIL = 'T',
};

#define MSG_HDR_LEN 16u
#define COMMIT_LEN 56u
#define META_HDR_LEN 20u
#define SMALL_HDR 4u              /* type, slot, body length (2) */
#define FLAGS_BODY 24u
#define EXPUNGE_BODY 16u
#define NO_SLOT 0xffu
/* MBOX body: uidv, uidnext, hms, attrs, user/name lengths, keyword count,
 * user, name, then keywords as (length, bytes). */
#define MBOX_FIXED 23u
#define MBOX_BODY_MAX (MBOX_FIXED + STORE_USER_MAX + STORE_NAME_MAX + \
		       STORE_MAX_KEYWORDS * (1u + STORE_KEYWORD_MAX))

/* An index entry's word w (struct store_entry). Live message: bits 0..4
 * its system flags, EF_FLAGREC, EF_KW, bits 8..31 the address / unit of
 * the record that holds its full state (flags with keywords, modseq): its
 * message record, or with EF_FLAGREC its latest FLAGS record, which names
 * the message record. Tombstone: EF_EXPUNGED, the other 31 bits hold the
 * expunge modseq (bits 0..6 in 0..6, bits 7..30 in 8..31). */
#define EF_FLAGREC (1u << 5)      /* w points at a FLAGS record */
#define EF_KW (1u << 6)           /* the message has keyword bits set */
#define EF_EXPUNGED (1u << 7)
#define EF_API_MASK (~(uint32_t)0xe0u)   /* private bits 5..7 of caller flags */
#define EF_LOC_SHIFT 8u
#define MODSEQ_MAX 0x7fffffffull  /* a tombstone keeps 31 bits of modseq */

static inline uint32_t ent_live_w(const struct store *s, uint32_t flags, uint32_t loc, bool flagrec)
{
	return (flags & STORE_F_SYSTEM_MASK) | (flagrec ? EF_FLAGREC : 0) |
	       (flags & ~(uint32_t)0xffu ? EF_KW : 0) | (loc / s->unit) << EF_LOC_SHIFT;
}
static inline uint32_t ent_loc(const struct store *s, const struct store_entry *x)
{
	return (x->w >> EF_LOC_SHIFT) * s->unit;
}
static inline uint32_t ent_tomb_w(uint64_t modseq)
{
	return EF_EXPUNGED | ((uint32_t)modseq & 0x7fu) | (uint32_t)(modseq >> 7) << EF_LOC_SHIFT;
}
static inline uint64_t ent_tomb_modseq(const struct store_entry *x)
{
	return (x->w & 0x7fu) | (uint64_t)(x->w >> EF_LOC_SHIFT) << 7;
}

/* Mailbox slot states. */
enum { MB_FREE = 0, MB_LIVE = 1, MB_PLACEHOLDER = 2, MB_DELETED = 3 };

/* GC states */
enum { GC_WALK = 0, GC_MOVE = 1, GC_ERASE = 2 };

/* ---- little endian ---- */
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static inline uint32_t round_up(uint32_t v, uint32_t a) { return (v + a - 1u) / a * a; }

/* A decoded sector header. */
struct sector_hdr {
	bool erase_ok, open_ok;
	uint32_t erase_count;
	uint32_t lsn, tail, first, uidv_next;
	uint64_t modseq;
};

/* ---- store_log.c: geometry, log offsets, sectors, raw record I/O ---- */
int log_geometry(struct store *s, const struct flash_dev *f);
uint32_t log_payload(const struct store *s);                 /* payload bytes per sector */
uint64_t lo_adv(const struct store *s, uint64_t lo, uint64_t n);
uint64_t lo_dist(const struct store *s, uint64_t a, uint64_t b);
static inline uint32_t lo_lsn(const struct store *s, uint64_t lo) { return (uint32_t)(lo / s->ss); }
static inline uint32_t lo_off(const struct store *s, uint64_t lo) { return (uint32_t)(lo % s->ss); }
static inline uint64_t lo_make(const struct store *s, uint32_t lsn, uint32_t off)
{
	return (uint64_t)lsn * s->ss + off;
}
uint32_t lo_phys(const struct store *s, uint64_t lo);
uint64_t phys_lo(const struct store *s, uint32_t addr);     /* relative to the tail */
int log_read(struct store *s, uint64_t lo, void *buf, uint32_t len);
/* Program len bytes (a multiple of the unit) of the record [rs, re). */
int log_write(struct store *s, uint64_t lo, const void *buf, uint32_t len, uint64_t rs, uint64_t re);
int log_sync(struct store *s);
/* Read a sector's headers: HDR_ERASE, HDR_OPEN or both (mount reads only
 * what it needs: its cost is counted against the bytes it scans). */
enum { HDR_ERASE = 1, HDR_OPEN = 2 };
int sector_read_hdr(struct store *s, uint32_t phys, struct sector_hdr *h, unsigned what);
int sector_erase(struct store *s, uint32_t phys, uint32_t count);
int flash_err(struct store *s, int ferr);                    /* map + mark broken */
uint64_t log_free(const struct store *s);                   /* payload bytes head can still use */
bool log_fits(const struct store *s, uint64_t lo, uint64_t len);  /* stays clear of the tail */
uint64_t log_used(const struct store *s);
bool mem_blank(const uint8_t *p, uint32_t n);

/* ---- record helpers (store_log.c) ---- */
uint32_t small_len(const struct store *s, uint32_t body);   /* log bytes */
uint32_t msg_len(const struct store *s, uint32_t size);     /* log bytes of a message record */
uint32_t meta_len(const struct store *s, uint32_t len);     /* log bytes of a META record */
/* Write a small record (body in s->scratch + SMALL_HDR) at the head. */
int rec_put_small(struct store *s, uint8_t type, uint8_t slot, uint32_t body, uint64_t *at);

/* struct rec (a parsed record header) is in store_impl.h: the record
 * cache holds some. */
/* Read and check the record at lo. Returns 1 if valid, 0 if not a valid
 * record (erased, torn or corrupt), or a negative store error. A small
 * record is read whole into s->scratch (its CRC covers it); a message
 * record's header and commit block are read (not via the scratch buffer),
 * never its data. */
int rec_read(struct store *s, uint64_t lo, struct rec *r);
int commit_read(struct store *s, uint64_t msg_lo, uint32_t size, struct rec *r);

/* ---- store.c internals used by the collector and checker ---- */
int entry_find(struct store *s, int mb, uint32_t uid, uint32_t *idx, bool *exact);
int mbox_by_uidv(struct store *s, uint8_t slot, uint32_t uidv);
int mbox_write_rec(struct store *s, int mb, uint64_t *at);
int msg_finish(struct store *s, struct store_append *a, const void *meta, uint32_t meta_len,
	       uint32_t meta_src, uint32_t uid, uint32_t flags, uint64_t modseq);
int space_check(struct store *s, uint64_t need, uint32_t region, int cls);
enum { SPACE_USER = 0, SPACE_FREEING = 1 };
int msg_rec(struct store *s, uint32_t loc, struct rec *r);
/* A live entry's message record (through its FLAGS record if it points at
 * one) and its address; an entry's full flags and modseq. Flash reads on a
 * cache miss; none of these touches the scratch buffer. */
int flag_rec(struct store *s, uint32_t loc, struct rec *r);   /* a FLAGS record, cached */
int ent_msg(struct store *s, const struct store_entry *x, struct rec *r, uint32_t *loc);
int ent_state(struct store *s, const struct store_entry *x, uint32_t *flags, uint64_t *modseq);
void rec_cache_clear(struct store *s);   /* an erase makes locations reusable */
uint64_t store_reclaimable(const struct store *s);
int msg_open(struct store *s, struct store_append *a, int mb, uint32_t size);
int msg_feed(struct store *s, struct store_append *a, const uint8_t *p, uint32_t n);
void msg_drop(struct store *s, struct store_append *a);
int cfg_find(struct store *s, const char *key, size_t kl, uint32_t hash);
uint32_t cfg_hash(const char *key, size_t kl);

/* ---- store_gc.c ---- */
void gc_reset(struct store *s, uint64_t first);
/* Is the record at lo still needed? 0 dead, 1 live, 2 busy (a message being
 * written, or a read failed: the store is then broken). aux: config slot of
 * a live CFG record, entry index (in s->ent) of a live FLAGS record. */
enum { REC_DEAD = 0, REC_LIVE = 1, REC_BUSY = 2 };
int rec_live(struct store *s, uint64_t lo, const struct rec *r, int *aux);

#endif
