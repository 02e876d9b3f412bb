/*
 * powerloss - cut the power everywhere and check the store keeps its word.
 *
 *   powerloss [--cuts N] [--seed S] [-v]
 *
 * Random workloads (mailbox create/rename/delete/attrs, appends of random
 * sizes including multi-sector ones, flag changes, expunges, copies,
 * keywords, config records, garbage collection near full) run on small
 * simulated flashes of several geometries, in write-once mode (a program
 * unit may be programmed once per erase). Each cut replays a workload from
 * a fresh image with the power failing at one flash operation: before it,
 * or during it (a torn program, an interrupted erase). Short workloads are
 * cut at every operation index, long ones at random points. After a cut:
 * mount ("reboot"), then check that every acknowledged change is there,
 * the interrupted change is wholly there or wholly absent, UIDs are not
 * reused and UIDVALIDITY is kept; then keep working on the recovered image
 * (every other time with a second power cut in that work) and check that
 * the store's index equals what a fresh mount (a full rescan) builds.
 * Last line:
 *   powerloss: N cuts, L lost, C corrupt, U unmountable
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "store.h"

#define MAX_BYTES (64u * 1024u)
#define MAX_SECTORS 64u
#define NMB 6                 /* mailboxes the model tracks */
#define NMSG 48               /* messages per mailbox in the model */
#define NCFG 6
#define BIG 12000u

struct geo_cfg { uint32_t ss, sc, prog; };
static const struct geo_cfg geos[] = {
	{ 512, 64, 1 }, { 1024, 48, 16 }, { 2048, 32, 256 }, { 4096, 16, 4 },
};

/* ---- the model: what has been acknowledged ---- */
struct mmsg { uint32_t uid, seed, size, flags; };
struct mmbox {
	bool exists;
	char name[24];
	uint32_t uidv, attrs, maxuid;
	int n;
	struct mmsg m[NMSG];
};
struct model {
	struct mmbox mb[NMB];
	int cfg_len[NCFG];        /* -1 absent */
	uint32_t cfg_seed[NCFG];
	int kw[NMB];              /* keywords defined in each mailbox */
};

/* The operation in flight when the power failed. */
enum op { OP_NONE, OP_CREATE, OP_DELETE, OP_RENAME, OP_ATTRS, OP_APPEND, OP_FLAGS,
	  OP_EXPUNGE, OP_COPY, OP_CFGPUT, OP_CFGDEL, OP_KW };
struct pending {
	enum op op;
	int mb, mb2, idx, cfg;
	uint32_t seed, size, flags, attrs;
	char name[24];
};

static uint8_t mem[MAX_BYTES];
static uint32_t erases[MAX_SECTORS];
static uint8_t written[MAX_BYTES / 8];
static struct flash_sim fs;
static struct store st, chk;
static const struct flash_dev *dev;
static bool verbose;
static char why[200];

static uint32_t rng_state;
static uint32_t rnd(void)
{
	uint32_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

static void pattern(uint8_t *b, uint32_t off, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = (off + i) * 2654435761u ^ seed * 40503u;

		b[i] = (uint8_t)(x >> 13);
	}
}

static void mbox_name(int i, char *out, size_t n, uint32_t gen)
{
	/* box1 is a child of box0, so that renames of box0 carry it along */
	if (i == 1)
		snprintf(out, n, "box0-g%u/sub", gen % 3u);
	else
		snprintf(out, n, "box%d-g%u", i, gen % 3u);
}

/* ---- operations against the store (retry after GC when asked) ---- */

static int retry(int e)
{
	return e == STORE_AGAIN && store_poll(&st);
}

static int do_append(store_mbox_t h, uint32_t size, uint32_t seed, uint32_t flags, uint32_t *uid)
{
	struct store_append *a;
	uint8_t buf[700];
	char meta[32];
	int e;

	while (retry(e = store_append_begin(&st, h, size, seed, (int16_t)(seed % 60), flags, &a)))
		;
	if (e)
		return e;
	for (uint32_t off = 0; off < size;) {
		uint32_t c = size - off < sizeof(buf) ? size - off : (uint32_t)sizeof(buf);
		int w;

		c = 1u + rnd() % c;
		pattern(buf, off, c, seed);
		w = store_append_write(&st, a, buf, c);
		if (w <= 0) {
			store_append_abort(&st, a);
			return w;
		}
		off += (uint32_t)w;
		if (rnd() % 4 == 0)
			store_poll(&st);   /* GC interleaved with a long append */
	}
	snprintf(meta, sizeof(meta), "m%u", seed);
	return store_append_commit(&st, a, meta, (uint32_t)strlen(meta), uid);
}

static bool msg_ok(struct store *s, store_mbox_t h, uint32_t idx, uint32_t size, uint32_t seed)
{
	uint8_t got[512], want[512];
	struct store_msg_stat ms;
	char meta[32], m[32];
	int r;

	if (store_msg_stat(s, h, idx, &ms) || ms.size != size || ms.internaldate != seed ||
	    ms.tz_minutes != (int16_t)(seed % 60))
		return false;
	for (uint32_t off = 0; off < size; off += (uint32_t)r) {
		r = store_msg_read(s, h, idx, off, got, sizeof(got));
		if (r <= 0)
			return false;
		pattern(want, off, (uint32_t)r, seed);
		if (memcmp(got, want, (size_t)r))
			return false;
	}
	snprintf(meta, sizeof(meta), "m%u", seed);
	r = store_msg_meta_read(s, h, idx, 0, m, sizeof(m));
	return r == (int)strlen(meta) && !memcmp(m, meta, (size_t)r);
}

/* ---- one workload ---- */

struct run {
	struct model md;
	struct pending pend;
	uint32_t gen;             /* names generation for renames */
	bool cut;                 /* the power failed */
	bool bug;                 /* a store call failed without a power cut */
};

static store_mbox_t handle(struct run *r, int i)
{
	store_mbox_t h;

	if (store_mbox_find(&st, "u", r->md.mb[i].name, &h))
		return -1;
	return h;
}

/* Check an error: a power cut ends the workload; other errors are legal
 * refusals (full, limits) unless they are I/O errors without a cut, or a
 * STORE_AGAIN the collector cannot act on (nothing else runs here, so
 * nothing may hold it up: that would be a livelock). */
static bool outcome(struct run *r, int e)
{
	if (e == STORE_AGAIN && !fs.powered_off) {
		fail("STORE_AGAIN while the collector has nothing to do");
		r->bug = true;
		return false;
	}
	if (e == STORE_IO) {
		if (fs.powered_off)
			r->cut = true;
		else
			r->bug = true;
		return false;
	}
	return e == STORE_OK;
}

static void step(struct run *r)
{
	struct model *md = &r->md;
	int i = (int)(rnd() % NMB), e;
	struct mmbox *b = &md->mb[i];
	uint32_t dice = rnd() % 100;
	store_mbox_t h = b->exists ? handle(r, i) : -1;

	memset(&r->pend, 0, sizeof(r->pend));
	r->pend.mb = i;
	if (!b->exists) {
		if (i == 1 && !md->mb[0].exists)
			return;   /* box1 lives below box0 in the renames */
		mbox_name(i, b->name, sizeof(b->name), r->gen);
		r->pend.op = OP_CREATE;
		strcpy(r->pend.name, b->name);
		while (retry(e = store_mbox_create(&st, "u", b->name, 0, &h)))
			;
		if (outcome(r, e)) {
			struct store_mbox_info in;

			store_mbox_info(&st, h, &in);
			b->exists = true;
			b->uidv = in.uidvalidity;
			b->attrs = 0;
			b->n = 0;
			b->maxuid = 0;
			md->kw[i] = 0;
		}
		return;
	}
	if (h < 0) {
		r->bug = true;
		fail("mailbox %s lost at runtime", b->name);
		return;
	}
	if (dice < 40 && b->n < NMSG) {
		uint32_t size = rnd() % 4 == 0 ? rnd() % BIG : rnd() % 900, uid;
		uint32_t seed = rnd() | 1u, flags = rnd() % 3 ? 0 : STORE_F_SEEN;

		r->pend = (struct pending){ OP_APPEND, i, 0, 0, 0, seed, size, flags, 0, "" };
		e = do_append(h, size, seed, flags, &uid);
		if (outcome(r, e)) {
			if (uid <= b->maxuid)
				fail("uid %u reused in %s", uid, b->name);
			b->m[b->n++] = (struct mmsg){ uid, seed, size, flags };
			b->maxuid = uid;
		}
	} else if (dice < 55 && b->n) {
		int k = (int)(rnd() % (uint32_t)b->n);
		uint32_t f = rnd() & (STORE_F_SYSTEM_MASK | STORE_F_KEYWORD(0) | STORE_F_KEYWORD(1));

		r->pend = (struct pending){ OP_FLAGS, i, 0, k, 0, 0, 0, f, 0, "" };
		while (retry(e = store_msg_set_flags(&st, h, b->m[k].uid, f, NULL)))
			;
		if (outcome(r, e))
			b->m[k].flags = f;
	} else if (dice < 72 && b->n) {
		int k = rnd() % 3 ? 0 : (int)(rnd() % (uint32_t)b->n);

		r->pend = (struct pending){ OP_EXPUNGE, i, 0, k, 0, 0, 0, 0, 0, "" };
		while (retry(e = store_msg_expunge(&st, h, b->m[k].uid)))
			;
		if (outcome(r, e)) {
			memmove(&b->m[k], &b->m[k + 1], sizeof(b->m[0]) * (size_t)(b->n - k - 1));
			b->n--;
			store_mbox_purge(&st, h, UINT64_MAX);
		}
	} else if (dice < 78 && b->n) {
		int j = (int)(rnd() % NMB), k = (int)(rnd() % (uint32_t)b->n);
		struct mmbox *d = &md->mb[j];
		store_mbox_t hd = d->exists ? handle(r, j) : -1;
		struct store_copy cp;
		uint32_t uid;

		if (hd < 0 || d->n >= NMSG)
			return;
		r->pend = (struct pending){ OP_COPY, i, j, k, 0, b->m[k].seed, b->m[k].size,
					    b->m[k].flags, 0, "" };
		memset(&cp, 0, sizeof(cp));
		/* AGAIN: copying (call again), or no room yet (poll, then again) */
		while ((e = store_msg_copy(&st, &cp, h, b->m[k].uid, hd, &uid)) == STORE_AGAIN)
			if (!store_poll(&st) && !cp.state[0]) {
				e = store_msg_copy(&st, &cp, h, b->m[k].uid, hd, &uid);
				if (e == STORE_AGAIN && !cp.state[0])
					break;
			}
		if (outcome(r, e)) {
			if (uid <= d->maxuid)
				fail("uid %u reused in %s by copy", uid, d->name);
			d->m[d->n++] = (struct mmsg){ uid, b->m[k].seed, b->m[k].size, b->m[k].flags };
			d->maxuid = uid;
		}
	} else if (dice < 82) {
		uint32_t a = rnd() & 0x1ffu;

		r->pend = (struct pending){ OP_ATTRS, i, 0, 0, 0, 0, 0, 0, a, "" };
		while (retry(e = store_mbox_set_attrs(&st, h, a)))
			;
		if (outcome(r, e))
			b->attrs = a;
	} else if (dice < 85 && md->kw[i] < 3) {
		char kw[16];

		snprintf(kw, sizeof(kw), "$k%d", md->kw[i]);
		r->pend = (struct pending){ OP_KW, i, 0, 0, 0, 0, 0, 0, 0, "" };
		while (retry(e = store_kw_lookup(&st, h, kw, true)))
			;
		if (e >= 0 && e != md->kw[i])
			fail("keyword index %d, expected %d", e, md->kw[i]);
		if (outcome(r, e < 0 ? e : STORE_OK))
			md->kw[i]++;
	} else if (dice < 89 && i == 0) {
		/* rename box0 (and box1 below it) to the next generation */
		char to[24];

		mbox_name(0, to, sizeof(to), r->gen + 1u);
		r->pend = (struct pending){ OP_RENAME, 0, 0, 0, 0, 0, 0, 0, 0, "" };
		strcpy(r->pend.name, to);
		while (retry(e = store_mbox_rename(&st, "u", b->name, to)))
			;
		if (outcome(r, e)) {
			r->gen++;
			strcpy(b->name, to);
			if (md->mb[1].exists)
				mbox_name(1, md->mb[1].name, sizeof(md->mb[1].name), r->gen);
		}
	} else if (dice < 92 && i != 0) {
		r->pend = (struct pending){ OP_DELETE, i, 0, 0, 0, 0, 0, 0, 0, "" };
		while (retry(e = store_mbox_delete(&st, h)))
			;
		if (outcome(r, e))
			b->exists = false;
	} else {
		int c = (int)(rnd() % NCFG);
		char key[16];

		snprintf(key, sizeof(key), "k%d", c);
		if (rnd() % 3) {
			uint8_t v[600];
			uint32_t seed = rnd(), len = rnd() % sizeof(v);

			pattern(v, 0, len, seed);
			r->pend = (struct pending){ OP_CFGPUT, 0, 0, 0, c, seed, len, 0, 0, "" };
			while (retry(e = store_cfg_put(&st, key, v, len)))
				;
			if (outcome(r, e)) {
				md->cfg_len[c] = (int)len;
				md->cfg_seed[c] = seed;
			}
		} else if (md->cfg_len[c] >= 0) {
			r->pend = (struct pending){ OP_CFGDEL, 0, 0, 0, c, 0, 0, 0, 0, "" };
			while (retry(e = store_cfg_del(&st, key)))
				;
			if (outcome(r, e))
				md->cfg_len[c] = -1;
		}
	}
	if (!r->cut && !r->bug)
		r->pend.op = OP_NONE;
}

/* Run up to steps operations (polling the collector between them); stops
 * at a cut, or before a step once the flash has done op_limit operations.
 * Returns the steps done. */
static int run_steps(struct run *r, int steps, uint64_t op_limit)
{
	int n;

	for (n = 0; n < steps && !r->cut && !r->bug && fs.ops < op_limit; n++) {
		step(r);
		for (int p = (int)(rnd() % 6); p > 0 && !r->cut; p--)
			if (!store_poll(&st) && fs.powered_off)
				r->cut = true;
	}
	if (fs.powered_off)
		r->cut = true;
	return n;
}

/* ---- checking a mounted store against the model ---- */

static bool cfg_ok(int c, int len, uint32_t seed)
{
	uint8_t v[600], w[600];
	char key[16];
	int n;

	snprintf(key, sizeof(key), "k%d", c);
	n = store_cfg_get(&st, key, v, sizeof(v));
	if (len < 0)
		return n == STORE_NOENT;
	pattern(w, 0, (uint32_t)len, seed);
	return n == len && !memcmp(v, w, (size_t)len);
}

/* Verify after a cut; resolve the in-flight operation into the model.
 * Returns 0 ok, 1 lost, 2 corrupt. */
static int verify(struct run *r)
{
	struct model *md = &r->md;
	const struct pending *p = &r->pend;
	int lost = 0;
	int seen_mb = 0, want_mb = 0;

	for (int i = 0; i < NMB; i++) {
		struct mmbox *b = &md->mb[i];
		store_mbox_t h;
		struct store_mbox_info in;
		bool maybe_new = p->op == OP_APPEND && p->mb == i;
		bool maybe_copy = p->op == OP_COPY && p->mb2 == i;

		if (p->op == OP_RENAME && (i == 0 || i == 1) && b->exists) {
			/* atomic: either every old name or every new one */
			char nn[24];
			bool old0 = store_mbox_find(&st, "u", md->mb[0].name, &h) == STORE_OK;

			if (!old0) {
				r->gen++;
				mbox_name(0, nn, sizeof(nn), r->gen);
				strcpy(md->mb[0].name, nn);
				if (md->mb[1].exists)
					mbox_name(1, md->mb[1].name, sizeof(md->mb[1].name), r->gen);
			}
			r->pend.op = OP_NONE;
		}
		if (p->op == OP_CREATE && p->mb == i) {
			if (store_mbox_find(&st, "u", p->name, &h) == STORE_OK) {
				store_mbox_info(&st, h, &in);
				if (in.messages) {
					fail("new mailbox %s not empty", p->name);
					return 2;
				}
				b->exists = true;
				b->uidv = in.uidvalidity;
				b->attrs = 0;
				b->n = 0;
				b->maxuid = 0;
				md->kw[i] = 0;
			}
		}
		if (p->op == OP_DELETE && p->mb == i &&
		    store_mbox_find(&st, "u", b->name, &h) == STORE_NOENT)
			b->exists = false;
		if (!b->exists) {
			if (store_mbox_find(&st, "u", b->name, &h) == STORE_OK &&
			    !(p->op == OP_RENAME && i == 1)) {
				fail("deleted mailbox %s is back", b->name);
				return 2;
			}
			continue;
		}
		want_mb++;
		if (store_mbox_find(&st, "u", b->name, &h)) {
			fail("mailbox %s lost", b->name);
			lost = 1;
			continue;
		}
		seen_mb++;
		store_mbox_info(&st, h, &in);
		if (in.uidvalidity != b->uidv) {
			fail("%s uidvalidity %u, was %u", b->name, in.uidvalidity, b->uidv);
			return 2;
		}
		if (in.attrs != b->attrs) {
			if (p->op == OP_ATTRS && p->mb == i && in.attrs == p->attrs)
				b->attrs = p->attrs;
			else {
				fail("%s attrs %x, want %x", b->name, in.attrs, b->attrs);
				lost = 1;
			}
		}
		if (in.uidnext <= b->maxuid) {
			fail("%s uidnext %u <= acknowledged uid %u", b->name, in.uidnext, b->maxuid);
			return 2;
		}
		/* keywords */
		{
			int k = 0;

			while (k < STORE_MAX_KEYWORDS && store_kw_name(&st, h, k))
				k++;
			if (k == md->kw[i] + 1 && p->op == OP_KW && p->mb == i)
				md->kw[i]++;
			else if (k != md->kw[i]) {
				fail("%s has %d keywords, want %d", b->name, k, md->kw[i]);
				return k < md->kw[i] ? 1 : 2;
			}
		}
		/* messages: the model's, in order, plus perhaps the one in flight */
		{
			uint32_t n = store_msg_entries(&st, h), j = 0;

			for (int k = 0; k < b->n; k++) {
				struct store_msg m;

				if (j >= n || store_msg_get(&st, h, j, &m) || m.uid != b->m[k].uid) {
					if (p->op == OP_EXPUNGE && p->mb == i && p->idx == k) {
						memmove(&b->m[k], &b->m[k + 1], sizeof(b->m[0]) * (size_t)(b->n - k - 1));
						b->n--;
						k--;
						r->pend.op = OP_NONE;
						continue;
					}
					fail("%s uid %u lost", b->name, b->m[k].uid);
					lost = 1;
					continue;
				}
				if (m.expunged || !msg_ok(&st, h, j, b->m[k].size, b->m[k].seed)) {
					fail("%s uid %u damaged", b->name, m.uid);
					return 2;
				}
				if (m.flags != b->m[k].flags) {
					if (p->op == OP_FLAGS && p->mb == i && p->idx == k && m.flags == p->flags)
						b->m[k].flags = p->flags;
					else {
						fail("%s uid %u flags %x want %x", b->name, m.uid, m.flags, b->m[k].flags);
						lost = 1;
					}
				}
				j++;
			}
			if (j < n) {
				struct store_msg m;

				store_msg_get(&st, h, j, &m);
				if (j + 1 == n && (maybe_new || maybe_copy) && m.uid > b->maxuid &&
				    msg_ok(&st, h, j, p->size, p->seed) &&
				    m.flags == (maybe_new ? p->flags : p->flags)) {
					b->m[b->n++] = (struct mmsg){ m.uid, p->seed, p->size, m.flags };
					b->maxuid = m.uid;
				} else {
					fail("%s has unexpected uid %u (%u entries, model %d)", b->name, m.uid, n, b->n);
					return 2;
				}
			}
			if (p->op == OP_APPEND || p->op == OP_COPY)
				b->maxuid = in.uidnext - 1u > b->maxuid ? in.uidnext - 1u : b->maxuid;
		}
	}
	(void)seen_mb;
	(void)want_mb;
	for (int c = 0; c < NCFG; c++) {
		if (cfg_ok(c, md->cfg_len[c], md->cfg_seed[c]))
			continue;
		if (p->op == OP_CFGPUT && p->cfg == c && cfg_ok(c, (int)p->size, p->seed)) {
			md->cfg_len[c] = (int)p->size;
			md->cfg_seed[c] = p->seed;
			continue;
		}
		if (p->op == OP_CFGDEL && p->cfg == c && cfg_ok(c, -1, 0)) {
			md->cfg_len[c] = -1;
			continue;
		}
		fail("config k%d wrong", c);
		lost = 1;
	}
	return lost;
}

/* The live index must equal a fresh mount's (tombstones purged first). */
static bool same_index(void)
{
	for (store_mbox_t h = 0; h < STORE_MAX_MAILBOXES; h++) {
		struct store_mbox_info a, b;
		int ea = store_mbox_info(&st, h, &a), eb = store_mbox_info(&chk, h, &b);

		if (ea != eb) {
			fail("mailbox handle %d: live %d, rescan %d", h, ea, eb);
			return false;
		}
		if (ea)
			continue;
		store_mbox_purge(&st, h, UINT64_MAX);
		if (strcmp(a.name, b.name) || strcmp(a.user, b.user) || a.attrs != b.attrs ||
		    a.uidvalidity != b.uidvalidity || a.uidnext != b.uidnext ||
		    a.highestmodseq != b.highestmodseq || a.messages != b.messages ||
		    a.unseen != b.unseen || a.size != b.size) {
			fail("mailbox %s: live and rescan differ (uidnext %u/%u hms %llu/%llu n %u/%u size %llu/%llu)",
			     a.name, a.uidnext, b.uidnext, (unsigned long long)a.highestmodseq,
			     (unsigned long long)b.highestmodseq, a.messages, b.messages,
			     (unsigned long long)a.size, (unsigned long long)b.size);
			return false;
		}
		if (store_msg_entries(&st, h) != store_msg_entries(&chk, h))
			return fail("entries differ in %s", a.name), false;
		for (uint32_t j = 0; j < store_msg_entries(&st, h); j++) {
			struct store_msg x, y;

			store_msg_get(&st, h, j, &x);
			store_msg_get(&chk, h, j, &y);
			if (x.uid != y.uid || x.flags != y.flags || x.modseq != y.modseq)
				return fail("entry %u of %s differs", j, a.name), false;
		}
		for (int k = 0; k < STORE_MAX_KEYWORDS; k++) {
			const char *ka = store_kw_name(&st, h, k), *kb = store_kw_name(&chk, h, k);

			if (!ka != !kb || (ka && strcmp(ka, kb)))
				return fail("keyword %d of %s differs", k, a.name), false;
		}
	}
	{
		/* the same keys with the same values (table order may differ) */
		char k[STORE_CFG_KEY_MAX + 1];
		uint8_t va[600], vb[600];
		uint32_t cur = 0, na = 0, nb = 0;

		while (store_cfg_next(&st, NULL, &cur, k) == 1) {
			int ra = store_cfg_get(&st, k, va, sizeof(va)), rb = store_cfg_get(&chk, k, vb, sizeof(vb));

			if (ra != rb || ra < 0 || memcmp(va, vb, (size_t)ra))
				return fail("config %s differs", k), false;
			na++;
		}
		cur = 0;
		while (store_cfg_next(&chk, NULL, &cur, k) == 1)
			nb++;
		if (na != nb)
			return fail("config: %u keys live, %u after a rescan", na, nb), false;
	}
	{
		struct store_stats a, b;

		store_get_stats(&st, &a);
		store_get_stats(&chk, &b);
		if (a.live_bytes != b.live_bytes || a.messages != b.messages)
			return fail("stats differ: live %llu/%llu", (unsigned long long)a.live_bytes,
				    (unsigned long long)b.live_bytes), false;
	}
	return true;
}

/* ---- driver ---- */

static void setup_flash(const struct geo_cfg *g)
{
	struct flash_geometry geo = { g->ss, g->sc, g->prog };

	flash_sim_init(&fs, &geo, mem, erases, written, NULL);
	flash_sim_erase_all(&fs);
	dev = &fs.dev;
}

static void start(struct run *r, uint32_t wseed)
{
	memset(r, 0, sizeof(*r));
	for (int c = 0; c < NCFG; c++)
		r->md.cfg_len[c] = -1;
	rng_state = wseed * 2654435761u + 1u;
	if (store_format(&st, dev) || store_mount(&st, dev)) {
		fprintf(stderr, "powerloss: cannot format the simulator\n");
		exit(2);
	}
	fs.ops = 0;
}

/* Returns the number of flash operations the whole workload performs. */
static uint64_t dry_run(const struct geo_cfg *g, uint32_t wseed, int steps)
{
	struct run r;

	why[0] = 0;
	setup_flash(g);
	start(&r, wseed);
	run_steps(&r, steps, UINT64_MAX);
	if (r.bug || why[0]) {
		fprintf(stderr, "powerloss: workload %u fails without a cut: %s\n", wseed,
			why[0] ? why : "I/O error");
		exit(1);
	}
	if (verbose) {
		struct store_stats ss;

		store_get_stats(&st, &ss);
		printf("workload %u: %d steps, %llu erases, %u messages, live %llu of %llu bytes\n", wseed,
		       steps, (unsigned long long)fs.erase_total, ss.messages,
		       (unsigned long long)ss.live_bytes, (unsigned long long)ss.flash_bytes);
	}
	return fs.ops;
}

enum { OK = 0, LOST = 1, CORRUPT = 2, UNMOUNTABLE = 3 };

/* The state of a workload a number of steps in, so that the cuts of its
 * later stretch need not replay it from the start. */
static struct snapshot {
	bool valid;
	uint32_t wseed;
	int steps_done;
	uint32_t rng;
	struct run r;
	struct flash_sim fs;
	struct store st;
	uint8_t mem[MAX_BYTES], written[MAX_BYTES / 8];
	uint32_t erases[MAX_SECTORS];
} snap;

static void snapshot_take(const struct geo_cfg *g, uint32_t wseed, int steps, uint64_t op_limit)
{
	setup_flash(g);
	start(&snap.r, wseed);
	snap.steps_done = run_steps(&snap.r, steps, op_limit);
	snap.valid = !snap.r.cut && !snap.r.bug;
	snap.wseed = wseed;
	snap.rng = rng_state;
	snap.fs = fs;
	snap.st = st;
	memcpy(snap.mem, mem, sizeof(mem));
	memcpy(snap.written, written, sizeof(written));
	memcpy(snap.erases, erases, sizeof(erases));
}

/* Power back on after a cut: a fresh mount on the same bytes, then every
 * acknowledged operation must be there. OK, or what failed. */
static int reboot(struct run *r, const char *after)
{
	int e;

	store_unmount(&st);
	e = store_mount(&st, dev);
	if (e) {
		fail("mount after %s: %d", after, e);
		return UNMOUNTABLE;
	}
	e = verify(r);
	if (e)
		return e;
	r->pend.op = OP_NONE;
	r->cut = false;
	return OK;
}

static int one_cut(const struct geo_cfg *g, uint32_t wseed, int steps, uint64_t at,
		   enum flash_sim_cut mode)
{
	struct run r;
	int v, e, done = 0;

	why[0] = 0;
	if (snap.valid && snap.wseed == wseed && snap.fs.ops < at) {
		/* resume from the snapshot: same bytes, same RAM, same dice */
		fs = snap.fs;
		st = snap.st;
		memcpy(mem, snap.mem, sizeof(mem));
		memcpy(written, snap.written, sizeof(written));
		memcpy(erases, snap.erases, sizeof(erases));
		r = snap.r;
		rng_state = snap.rng;
		done = snap.steps_done;
		dev = &fs.dev;
	} else {
		setup_flash(g);
		start(&r, wseed);
	}
	flash_sim_plan_cut(&fs, at - fs.ops, mode, wseed ^ (uint32_t)at);
	run_steps(&r, steps - done, UINT64_MAX);
	if (r.bug) {
		fail("store I/O error without a power cut");
		return CORRUPT;
	}
	if (why[0])
		return CORRUPT;
	flash_sim_power_on(&fs);
	v = reboot(&r, "the cut");
	if (v)
		return v;
	/* Every other cut, the power fails again while the recovered image is
	 * worked on (torn tails of an earlier mount, half-done collection). */
	if (at & 2u) {
		flash_sim_plan_cut(&fs, 1u + (wseed * 31u + (uint32_t)at) % 300u, mode,
				   wseed * 7u + (uint32_t)at);
		run_steps(&r, 12, UINT64_MAX);
		while (!r.cut && store_poll(&st))
			;
		if (fs.powered_off)
			r.cut = true;
		if (r.bug || why[0])
			return why[0] ? CORRUPT : (fail("I/O error after recovery"), CORRUPT);
		flash_sim_power_on(&fs);
		if (r.cut && (v = reboot(&r, "the second cut")) != 0)
			return v;
	}
	/* keep working on the recovered image, then compare with a rescan */
	run_steps(&r, 12, UINT64_MAX);
	while (store_poll(&st))
		;
	if (r.bug || why[0])
		return why[0] ? CORRUPT : (fail("I/O error after recovery"), CORRUPT);
	e = store_mount(&chk, dev);
	if (e) {
		fail("second mount: %d", e);
		return UNMOUNTABLE;
	}
	v = same_index() ? OK : CORRUPT;
	store_unmount(&chk);
	if (v == OK && verify(&r))
		v = CORRUPT;
	store_unmount(&st);
	return v;
}

int main(int argc, char **argv)
{
	uint64_t cuts = 2000, done = 0, res[4] = { 0, 0, 0, 0 };
	uint32_t seed = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cuts") && i + 1 < argc)
			cuts = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else {
			fprintf(stderr, "usage: powerloss [--cuts N] [--seed S] [-v]\n");
			return 2;
		}
	}
	for (uint32_t w = seed; done < cuts; w++) {
		const struct geo_cfg *g = &geos[(w + w / 4u) % (sizeof(geos) / sizeof(geos[0]))];
		/* mostly short workloads cut everywhere, every fourth a long one cut
		 * at random points */
		/* Three kinds of workload: short ones cut at every operation from
		 * the start; long ones cut at every operation of their last
		 * stretch (full, collecting); long ones cut at random points. */
		int kind = (int)(w % 4u);
		int steps = kind == 0 ? 20 + (int)(w % 40) : 300 + (int)(w % 200);
		uint64_t total = dry_run(g, w, steps);
		uint64_t window = kind == 0 ? total : total < 300 ? total : 300;
		uint64_t n = kind == 3 ? 500 : 2u * window;
		bool lng = kind == 3;

		snap.valid = false;
		if (kind != 0) {
			uint32_t save = rng_state;

			snapshot_take(g, w, steps, lng ? total / 2u : total - window);
			rng_state = save;
		}

		for (uint64_t k = 0; k < n && done < cuts; k++, done++) {
			uint64_t at;
			enum flash_sim_cut mode;
			int v;

			if (lng) {
				uint32_t x = rnd();

				rng_state ^= (uint32_t)k * 7919u;
				at = 1u + (uint64_t)x % total;
				mode = x & 1u ? FLASH_SIM_CUT_DURING : FLASH_SIM_CUT_BEFORE;
			} else {
				at = total - window + 1u + k / 2u;
				mode = k & 1u ? FLASH_SIM_CUT_DURING : FLASH_SIM_CUT_BEFORE;
			}
			{
				uint32_t save = rng_state;

				v = one_cut(g, w, steps, at, mode);
				rng_state = save;
			}
			res[v]++;
			if (v && (verbose || res[1] + res[2] + res[3] <= 10))
				printf("workload %u (sector %u x %u, prog %u), cut at op %llu %s: %s: %s\n",
				       w, g->ss, g->sc, g->prog, (unsigned long long)at,
				       mode == FLASH_SIM_CUT_DURING ? "during" : "before",
				       v == LOST ? "lost" : v == CORRUPT ? "corrupt" : "unmountable", why);
		}
		if (verbose)
			printf("workload %u: %llu flash ops, %llu cuts so far\n", w,
			       (unsigned long long)total, (unsigned long long)done);
	}
	printf("powerloss: %llu cuts, %llu lost, %llu corrupt, %llu unmountable\n",
	       (unsigned long long)done, (unsigned long long)res[1], (unsigned long long)res[2],
	       (unsigned long long)res[3]);
	return res[1] + res[2] + res[3] ? 1 : 0;
}
