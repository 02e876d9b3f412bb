/*
 * imap_searchres.c - the saved search result as UID runs (imap_searchres.h).
 */
#include "imap_searchres.h"

void imap_searchres_clear(struct imap_searchres *r)
{
	r->n = 0;
	r->overflow = false;
}

bool imap_searchres_add(struct imap_searchres *r, uint32_t uid, bool joined)
{
	if (r->overflow)
		return false;
	if (r->n && uid <= r->hi[r->n - 1])
		return true;   /* not ascending: callers add in UID order, never so */
	if (r->n && (joined || uid == r->hi[r->n - 1] + 1u)) {
		r->hi[r->n - 1] = uid;
		return true;
	}
	if (r->n == IMAPD_SEARCHRES_RUNS) {
		r->overflow = true;
		return false;
	}
	r->lo[r->n] = r->hi[r->n] = uid;
	r->n++;
	return true;
}

bool imap_searchres_contains(const struct imap_searchres *r, uint32_t uid)
{
	uint32_t lo = 0, hi = r->n;
	while (lo < hi) {   /* first run whose end is >= uid */
		uint32_t mid = lo + (hi - lo) / 2u;
		if (r->hi[mid] < uid)
			lo = mid + 1u;
		else
			hi = mid;
	}
	return lo < r->n && r->lo[lo] <= uid;
}

bool imap_searchres_run(const struct imap_searchres *r, uint32_t i, uint32_t *lo, uint32_t *hi)
{
	if (i >= r->n)
		return false;
	*lo = r->lo[i];
	*hi = r->hi[i];
	return true;
}
