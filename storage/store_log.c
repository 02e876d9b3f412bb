/*
 * store_log.c - the log layer of the store: geometry, log offsets, sector
 * headers, record encoding and raw record I/O.
 *
 * A log offset ("lo") is lsn * sector_size + offset-in-sector, where lsn is
 * the log sector number: it only grows, and sector lsn lives in physical
 * sector lsn % sector_count. Record data skips the header at the start of
 * every sector, so a record may run across any number of sectors and a
 * byte's position is plain arithmetic (reads by offset need no scan).
 */
#include <string.h>

#include "crc32.h"
#include "store_int.h"

static bool pow2(uint32_t v) { return v && !(v & (v - 1u)); }

static uint32_t log2u(uint32_t v)
{
	uint32_t n = 0;

	while (v > 1u) {
		v >>= 1;
		n++;
	}
	return n;
}

int log_geometry(struct store *s, const struct flash_dev *f)
{
	const struct flash_geometry *g = &f->geo;

	if (!f->read || !f->prog || !f->erase || !f->sync)
		return STORE_INVAL;
	if (!pow2(g->sector_size) || g->sector_size < 512u || g->sector_size > (1u << 24) ||
	    !pow2(g->prog_size) || g->prog_size > STORE_PROG_MAX ||
	    g->sector_size % g->prog_size || g->sector_count < 4u ||
	    (uint64_t)g->sector_size * g->sector_count > 0xffffffffull)
		return STORE_INVAL;
	s->f = f;
	s->ss = g->sector_size;
	s->sc = g->sector_count;
	s->unit = g->prog_size < 4u ? 4u : g->prog_size;
	/* An index entry holds a record's address in 24 bits, counted in
	 * units: a device above 64 MiB gets a larger unit (FORMAT.md). It stays
	 * <= 256 = STORE_PROG_MAX as the device is < 4 GiB. */
	while ((uint64_t)s->ss * s->sc / s->unit > (1u << 24))
		s->unit *= 2u;
	s->hdr = round_up(EH_LEN, s->unit) + round_up(OH_LEN, s->unit);
	if (s->ss - s->hdr < s->hdr || s->ss - s->hdr < 256u)
		return STORE_INVAL;
	s->region_hdr = round_up(MSG_HDR_LEN, s->unit);
	s->commit_len = round_up(COMMIT_LEN, s->unit);
	return STORE_OK;
}

uint32_t log_payload(const struct store *s)
{
	return s->ss - s->hdr;
}

uint64_t lo_adv(const struct store *s, uint64_t lo, uint64_t n)
{
	uint64_t lsn = lo / s->ss, off = lo % s->ss, rem = s->ss - off, pl = log_payload(s);

	if (n < rem)
		return lo + n;
	n -= rem;
	lsn += 1u + n / pl;
	return lsn * s->ss + s->hdr + n % pl;
}

uint64_t lo_dist(const struct store *s, uint64_t a, uint64_t b)
{
	uint64_t la = a / s->ss, lb = b / s->ss;

	if (la == lb)
		return b - a;
	return (s->ss - a % s->ss) + (lb - la - 1u) * log_payload(s) + (b % s->ss - s->hdr);
}

uint32_t lo_phys(const struct store *s, uint64_t lo)
{
	return (uint32_t)((lo / s->ss) % s->sc) * s->ss + (uint32_t)(lo % s->ss);
}

uint64_t phys_lo(const struct store *s, uint32_t addr)
{
	uint32_t sec = addr / s->ss, off = addr % s->ss;
	uint32_t lsn = s->tail + (sec + s->sc - s->tail % s->sc) % s->sc;

	return lo_make(s, lsn, off);
}

bool mem_blank(const uint8_t *p, uint32_t n)
{
	while (n--)
		if (*p++ != 0xffu)
			return false;
	return true;
}

int flash_err(struct store *s, int ferr)
{
	(void)ferr;
	s->broken = true;
	return STORE_IO;
}

int log_read(struct store *s, uint64_t lo, void *buf, uint32_t len)
{
	uint8_t *p = buf;

	while (len) {
		uint32_t off = lo_off(s, lo), chunk = s->ss - off;
		int e;

		if (chunk > len)
			chunk = len;
		e = s->f->read(s->f, lo_phys(s, lo), p, chunk);
		if (e)
			return STORE_IO;
		p += chunk;
		len -= chunk;
		lo = lo_adv(s, lo, chunk);
	}
	return STORE_OK;
}

int log_sync(struct store *s)
{
	int e = s->f->sync(s->f);

	return e ? flash_err(s, e) : STORE_OK;
}

int sector_read_hdr(struct store *s, uint32_t phys, struct sector_hdr *h, unsigned what)
{
	uint8_t b[OH_LEN];
	uint32_t base = phys * s->ss;

	memset(h, 0, sizeof(*h));
	if ((what & HDR_ERASE) && s->f->read(s->f, base, b, EH_LEN))
		return STORE_IO;
	if ((what & HDR_ERASE) && b[0] == 'M' && b[1] == 'S' && b[2] == 'E' && b[3] == FMT_VERSION &&
	    get32(b + 16) == crc32_update(0, b, 16) && b[4] == log2u(s->ss) &&
	    b[5] == log2u(s->f->geo.prog_size) && get32(b + 8) == s->sc) {
		h->erase_ok = true;
		h->erase_count = get32(b + 12);
	}
	if ((what & HDR_OPEN) && s->f->read(s->f, base + round_up(EH_LEN, s->unit), b, OH_LEN))
		return STORE_IO;
	if ((what & HDR_OPEN) && b[0] == 'M' && b[1] == 'S' && b[2] == 'O' && b[3] == FMT_VERSION &&
	    get32(b + 28) == crc32_update(0, b, 28)) {
		h->open_ok = true;
		h->lsn = get32(b + 4);
		h->tail = get32(b + 8);
		h->first = get32(b + 12);
		h->uidv_next = get32(b + 16);
		h->modseq = get64(b + 20);
		if (h->first != FIRST_NONE && (h->first < s->hdr || h->first >= s->ss))
			h->open_ok = false;
	}
	return STORE_OK;
}

int sector_erase(struct store *s, uint32_t phys, uint32_t count)
{
	uint8_t b[STORE_PROG_MAX];
	uint32_t n = round_up(EH_LEN, s->unit);
	int e;

	rec_cache_clear(s);
	e = s->f->erase(s->f, phys);
	if (e)
		return flash_err(s, e);
	s->erase_count++;
	memset(b, 0xff, n);
	b[0] = 'M';
	b[1] = 'S';
	b[2] = 'E';
	b[3] = FMT_VERSION;
	b[4] = (uint8_t)log2u(s->ss);
	b[5] = (uint8_t)log2u(s->f->geo.prog_size);
	put32(b + 8, s->sc);
	put32(b + 12, count);
	put32(b + 16, crc32_update(0, b, 16));
	e = s->f->prog(s->f, phys * s->ss, b, n);
	if (e)
		return flash_err(s, e);
	s->prog_bytes += n;
	if (count > s->erase_max)
		s->erase_max = count;
	return STORE_OK;
}

/* Is everything after the erase header blank? */
static int sector_blank(struct store *s, uint32_t phys, bool *blank)
{
	uint8_t b[128];

	*blank = true;
	for (uint32_t off = round_up(EH_LEN, s->unit); off < s->ss && *blank; off += sizeof(b)) {
		uint32_t n = s->ss - off < sizeof(b) ? s->ss - off : (uint32_t)sizeof(b);

		if (s->f->read(s->f, phys * s->ss + off, b, n))
			return STORE_IO;
		*blank = mem_blank(b, n);
	}
	return STORE_OK;
}

/* Make sure sector lsn carries its open header before anything else is
 * programmed into it. A sector that is not provably erased (a valid erase
 * header and nothing else programmed) is erased first: that covers
 * interrupted erases and torn headers. [rs, re) is the record being
 * written, which tells where the first record of the sector starts. */
static int ensure_open(struct store *s, uint32_t lsn, uint64_t rs, uint64_t re)
{
	uint32_t phys = lsn % s->sc, eh = round_up(EH_LEN, s->unit), n = round_up(OH_LEN, s->unit);
	uint64_t start = lo_make(s, lsn, s->hdr), end = lo_make(s, lsn + 1u, 0);
	struct sector_hdr h;
	uint8_t b[STORE_PROG_MAX];
	bool blank;
	int e;

	for (int i = 0; i < 4; i++)
		if (s->open_cache[i] == lsn)
			return STORE_OK;
	if (sector_read_hdr(s, phys, &h, HDR_ERASE | HDR_OPEN))
		return flash_err(s, FLASH_ERR_IO);
	if (!(h.open_ok && h.lsn == lsn)) {
		if (sector_blank(s, phys, &blank))
			return flash_err(s, FLASH_ERR_IO);
		if (!h.erase_ok || !blank) {
			e = sector_erase(s, phys, h.erase_ok ? h.erase_count + 1u : s->erase_max + 1u);
			if (e)
				return e;
		}
		memset(b, 0xff, n);
		b[0] = 'M';
		b[1] = 'S';
		b[2] = 'O';
		b[3] = FMT_VERSION;
		put32(b + 4, lsn);
		put32(b + 8, s->tail);
		if (rs >= start && rs < end)
			put32(b + 12, lo_off(s, rs));
		else if (re >= start && re < end)
			put32(b + 12, lo_off(s, re));
		else
			put32(b + 12, FIRST_NONE);
		put32(b + 16, s->uidv_next);
		put64(b + 20, s->modseq);
		put32(b + 28, crc32_update(0, b, 28));
		e = s->f->prog(s->f, phys * s->ss + eh, b, n);
		if (e)
			return flash_err(s, e);
		s->prog_bytes += n;
	}
	memmove(s->open_cache + 1, s->open_cache, sizeof(s->open_cache) - sizeof(s->open_cache[0]));
	s->open_cache[0] = lsn;
	return STORE_OK;
}

int log_write(struct store *s, uint64_t lo, const void *buf, uint32_t len, uint64_t rs, uint64_t re)
{
	const uint8_t *p = buf;

	if (s->broken)
		return STORE_IO;
	if (!log_fits(s, lo, len))
		return STORE_NOSPACE;   /* never overrun the tail (a space check failed) */
	while (len) {
		uint32_t off = lo_off(s, lo), chunk = s->ss - off;
		int e = ensure_open(s, lo_lsn(s, lo), rs, re);

		if (e)
			return e;
		if (chunk > len)
			chunk = len;
		e = s->f->prog(s->f, lo_phys(s, lo), p, chunk);
		if (e)
			return flash_err(s, e);
		s->prog_bytes += chunk;
		p += chunk;
		len -= chunk;
		lo = lo_adv(s, lo, chunk);
	}
	return STORE_OK;
}

bool log_fits(const struct store *s, uint64_t lo, uint64_t len)
{
	return !len || lo_lsn(s, lo_adv(s, lo, len - 1u)) < s->tail + s->sc;
}

uint64_t log_free(const struct store *s)
{
	return lo_dist(s, s->head, lo_make(s, s->tail + s->sc, s->hdr));
}

uint64_t log_used(const struct store *s)
{
	return lo_dist(s, lo_make(s, s->tail, s->hdr), s->head);
}

uint32_t small_len(const struct store *s, uint32_t body)
{
	return round_up(SMALL_HDR + body + 4u, s->unit);
}

uint32_t msg_len(const struct store *s, uint32_t size)
{
	return s->region_hdr + round_up(size, s->unit) + s->commit_len;
}

uint32_t meta_len(const struct store *s, uint32_t len)
{
	return round_up(META_HDR_LEN, s->unit) + round_up(len, s->unit);
}

int rec_put_small(struct store *s, uint8_t type, uint8_t slot, uint32_t body, uint64_t *at)
{
	uint32_t len = small_len(s, body);
	uint8_t *b = s->scratch;
	int e;

	b[0] = type;
	b[1] = slot;
	put16(b + 2, (uint16_t)body);
	put32(b + SMALL_HDR + body, crc32_update(0, b, SMALL_HDR + body));
	memset(b + SMALL_HDR + body + 4u, 0xff, len - (SMALL_HDR + body + 4u));
	e = log_write(s, s->head, b, len, s->head, lo_adv(s, s->head, len));
	if (e)
		return e;
	if (at)
		*at = s->head;
	s->head = lo_adv(s, s->head, len);
	return STORE_OK;
}

static bool small_type(uint8_t type)
{
	switch (type) {
	case REC_MBOX: case REC_DELMBOX: case REC_RENAME: case REC_FLAGS:
	case REC_EXPUNGE: case REC_CFG: case REC_CFGDEL: case REC_TAIL:
		return true;
	default:
		return false;
	}
}

/* CRC check of a small record too big for the scratch buffer (written by a
 * build with larger limits): streamed, so that it is still recognised as a
 * valid record rather than mistaken for a torn one. */
static int small_crc_streamed(struct store *s, uint64_t lo, uint32_t n, bool *ok)
{
	uint8_t b[128], c[4];
	uint32_t crc = 0;

	for (uint32_t off = 0; off < n;) {
		uint32_t k = n - off < sizeof(b) ? n - off : (uint32_t)sizeof(b);

		if (log_read(s, lo_adv(s, lo, off), b, k))
			return STORE_IO;
		crc = crc32_update(crc, b, k);
		off += k;
	}
	if (log_read(s, lo_adv(s, lo, n), c, 4))
		return STORE_IO;
	*ok = get32(c) == crc;
	return STORE_OK;
}

int commit_read(struct store *s, uint64_t msg_lo, uint32_t size, struct rec *r)
{
	uint8_t b[COMMIT_LEN];
	uint64_t at = lo_adv(s, msg_lo, s->region_hdr + (uint64_t)round_up(size, s->unit));

	r->committed = false;
	if (log_read(s, at, b, COMMIT_LEN))
		return STORE_IO;
	if (b[0] != REC_COMMIT || b[1] != r->slot || get32(b + 48) != lo_lsn(s, msg_lo) ||
	    get32(b + 52) != crc32_update(0, b, 52))
		return STORE_OK;
	r->committed = true;
	r->uid = get32(b + 4);
	r->flags = get32(b + 8);
	r->modseq = get64(b + 12);
	r->date = (int64_t)get64(b + 20);
	r->tz = (int16_t)get16(b + 28);
	r->dcrc = get32(b + 32);
	r->meta_addr = get32(b + 36);
	r->meta_len = get32(b + 40);
	r->meta_crc = get32(b + 44);
	return STORE_OK;
}

int rec_read(struct store *s, uint64_t lo, struct rec *r)
{
	/* headers of large records in a local buffer: reading a message record
	 * leaves a small record's body in the scratch buffer intact */
	uint8_t b[META_HDR_LEN];
	uint64_t cap = (uint64_t)(s->sc - 1u) * log_payload(s);
	int e;

	memset(r, 0, sizeof(*r));
	if (log_read(s, lo, b, SMALL_HDR))
		return STORE_IO;
	r->type = b[0];
	r->slot = b[1];
	switch (r->type) {
	case REC_MSG:
		if (log_read(s, lo, b, MSG_HDR_LEN))
			return STORE_IO;
		if (get32(b + 12) != crc32_update(0, b, 12))
			return 0;
		r->size = get32(b + 4);
		r->uidv = get32(b + 8);
		if ((uint64_t)r->size + s->region_hdr + s->commit_len + s->unit > cap)
			return 0;
		r->len = msg_len(s, r->size);
		e = commit_read(s, lo, r->size, r);
		return e ? e : 1;
	case REC_META:
		if (log_read(s, lo, b, META_HDR_LEN))
			return STORE_IO;
		if (get32(b + 16) != crc32_update(0, b, 16) || get32(b + 4) > cap)
			return 0;
		r->size = get32(b + 4);
		r->uidv = get32(b + 8);
		r->uid = get32(b + 12);
		r->len = meta_len(s, r->size);
		return 1;
	default:
		r->body = get16(b + 2);
		if (!small_type(r->type))
			return 0;
		r->len = small_len(s, r->body);
		if (SMALL_HDR + r->body + 4u > STORE_SCRATCH) {
			bool ok;

			if (small_crc_streamed(s, lo, SMALL_HDR + r->body, &ok))
				return STORE_IO;
			r->oversize = true;
			return ok ? 1 : 0;
		}
		if (log_read(s, lo, s->scratch, SMALL_HDR + r->body + 4u))
			return STORE_IO;
		if (get32(s->scratch + SMALL_HDR + r->body) != crc32_update(0, s->scratch, SMALL_HDR + r->body))
			return 0;
		r->len = small_len(s, r->body);
		return 1;
	}
}
