/*
 * store_impl.h - the layout of struct store, so that callers can allocate it
 * statically. Everything here is private to storage/store*.c; RAM use is
 * fixed at compile time: a fixed part plus 8 bytes per message slot
 * (STORE_SIZEOF gives the total).
 */
#ifndef STORE_IMPL_H
#define STORE_IMPL_H

#ifndef STORE_KW_POOL
#define STORE_KW_POOL 64          /* distinct keyword names, store-wide */
#endif
#define STORE_PROG_MAX 256        /* largest supported program unit */
#define STORE_SCRATCH 2304        /* holds the largest small record (a config value) */

/* One message slot: 8 bytes. Entries of one mailbox are contiguous and in
 * UID order; mailboxes follow each other in slot order. Keywords and the
 * modseq of a live message stay on flash, in the record w points at (the
 * encoding is in store_int.h and FORMAT.md). */
struct store_entry {
	uint32_t uid;
	uint32_t w;               /* live: system flags, EF_* bits, record address / unit;
				   * tombstone: EF_EXPUNGED and the expunge modseq */
};

struct store_mbox {           /* widest fields first: no padding holes */
	uint64_t hms;             /* HIGHESTMODSEQ */
	uint64_t size;            /* live message bytes */
	uint64_t log_bytes;       /* flash bytes of its live message records */
	uint32_t uidvalidity;     /* also the mailbox's identity on flash */
	uint32_t uidnext;
	uint32_t attrs;
	uint32_t start, count;    /* entry range */
	uint32_t live, unseen;
	uint32_t changes;
	uint32_t rec;             /* flash address of its current MBOX record */
	uint8_t state;            /* 0 free, 1 live (mount also: placeholder, deleted) */
	uint8_t user_len, name_len;
	uint8_t kw[STORE_MAX_KEYWORDS];   /* keyword index -> pool index + 1, 0: unused */
	char user[STORE_USER_MAX];
	char name[STORE_NAME_MAX];
};

/* Parsed view of any record header at a log offset (store_int.h). */
struct rec {
	uint8_t type, slot;
	uint32_t len;             /* log bytes of the whole record */
	uint32_t body;            /* small records: body length (body in s->scratch+4) */
	bool oversize;            /* valid, but bigger than this build can hold */
	/* message records */
	uint32_t size, uidv;
	bool committed;
	uint32_t uid, flags, dcrc, meta_addr, meta_len, meta_crc;
	uint32_t msg;             /* FLAGS record: address of the message record it names */
	uint64_t modseq;
	int64_t date;
	int16_t tz;
};

#ifndef STORE_FLAG_JOURNAL
#define STORE_FLAG_JOURNAL 16     /* latest flag changes remembered (RAM only) */
#endif
/* Which messages had their flags changed lately: a session catching up on
 * others' changes reads flash only for those (a live message's modseq is
 * on flash), as long as the journal reaches back to its last catch-up. */
struct store_flag_journal {
	uint64_t floor;           /* changes with a modseq above it are all here */
	uint32_t uid[STORE_FLAG_JOURNAL];
	uint32_t modseq[STORE_FLAG_JOURNAL];
	uint8_t mb[STORE_FLAG_JOURNAL];
	uint8_t next;             /* slot the next change takes */
};

#ifndef STORE_REC_CACHE
#define STORE_REC_CACHE 8         /* message and FLAGS records remembered */
#endif
/* A committed message record or a FLAGS record never changes until its
 * sector is erased, and FETCH and SEARCH ask for the same few again and
 * again: each hit saves up to three flash reads and two CRCs. Emptied by
 * every erase. */
struct store_rec_cache {
	uint32_t loc_plus1;       /* 0: empty */
	struct rec r;
};

struct store_cfg_slot {
	uint32_t hash;            /* FNV-1a of the key; 0: unused */
	uint32_t loc;             /* flash address of the current CFG record */
};

/* A message record being written: an append, a copy, or a GC move. */
struct store_append {
	uint8_t state;            /* 0 free, else in use */
	uint8_t mb;               /* mailbox slot */
	uint16_t staged;          /* bytes in stage[] */
	uint32_t uidvalidity;
	uint32_t size, written;
	uint32_t flags;
	uint32_t crc;             /* CRC-32 of the data so far */
	int64_t date;
	int16_t tz;
	uint32_t src_uid;         /* GC move: the message being moved */
	uint64_t lo;              /* log offset of the record */
	uint64_t wlo;             /* next data byte goes here (unit aligned) */
	uint64_t len;             /* log bytes of the whole record */
	uint8_t stage[STORE_PROG_MAX];
};

struct store {
	const struct flash_dev *f;
	bool mounted, broken;
	bool over_limits;         /* mount: the image needs a build with larger limits */
	/* geometry, derived at mount */
	uint32_t ss, sc, unit;    /* sector size, count, record alignment (FORMAT.md) */
	uint32_t hdr;             /* sector header bytes (erase + open header) */
	uint32_t region_hdr, commit_len;
	/* the log: sectors tail .. lsn(head), head = log offset of the next record */
	uint32_t tail;
	uint64_t head;
	uint32_t open_cache[4];   /* sectors known to carry their open header */
	uint32_t erase_max;
	/* counters persisted through records and sector headers */
	uint32_t uidv_next;
	uint64_t modseq;
	/* accounting */
	uint64_t live_bytes;      /* log bytes of live records */
	uint64_t pending_bytes;   /* log bytes of messages being written */
	uint32_t max_region;      /* largest live message record, log bytes */
	uint64_t pending_meta;    /* space promised to open appends' metadata */
	uint32_t entries, live_msgs;
	uint64_t prog_bytes, erase_count;
	/* garbage collector */
	uint8_t gc_state;
	uint64_t gc_pos;          /* next record to examine */
	uint64_t gc_need;         /* free bytes a refused writer waits for */
	uint64_t gc_moved;        /* bytes rewritten in this collection episode */
	bool gc_stuck;            /* a whole turn of the log won nothing */
	uint32_t gc_erase_next, gc_erase_end;
	/* tables */
	struct store_mbox mbox[STORE_MAX_MAILBOXES];
	struct store_cfg_slot cfg[STORE_MAX_CFG];
	char kw_pool[STORE_KW_POOL][STORE_KEYWORD_MAX + 1];
	struct store_append app[STORE_MAX_APPENDS + 1];   /* last one: GC moves */
	uint8_t scratch[STORE_SCRATCH];
	struct store_rec_cache rc[STORE_REC_CACHE];
	struct store_flag_journal fj;
	struct store_entry ent[STORE_MAX_MESSAGES];
};

#define STORE_SIZEOF sizeof(struct store)

#endif
