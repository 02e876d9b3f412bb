/*
 * imap_runs.c - bounded lists of number runs (imap_runs.h).
 */
#include "imap_runs.h"

#include <stdio.h>

void imap_runs_clear(struct imap_runs *r)
{
	r->n = 0;
	r->overflow = false;
}

bool imap_runs_add(struct imap_runs *r, uint32_t v, bool joined)
{
	if (r->overflow)
		return false;
	if (r->n) {
		/* a repeat is a run of its own: COPYUID's two lists must pair up */
		uint32_t *hi = &r->hi[r->n - 1];
		if ((uint64_t)v == (uint64_t)*hi + 1u || (joined && v > *hi)) {
			*hi = v;
			return true;
		}
	}
	if (r->n == IMAPD_RUNS_MAX) {
		r->overflow = true;
		return false;
	}
	r->lo[r->n] = r->hi[r->n] = v;
	r->n++;
	return true;
}

bool imap_runs_contains(const struct imap_runs *r, uint32_t v)
{
	uint32_t lo = 0, hi = r->n;
	while (lo < hi) {   /* first run whose end is >= v */
		uint32_t mid = lo + (hi - lo) / 2u;
		if (r->hi[mid] < v)
			lo = mid + 1u;
		else
			hi = mid;
	}
	return lo < r->n && r->lo[lo] <= v;
}

bool imap_runs_run(const struct imap_runs *r, uint32_t i, uint32_t *lo, uint32_t *hi)
{
	if (i >= r->n)
		return false;
	*lo = r->lo[i];
	*hi = r->hi[i];
	return true;
}

bool imap_runs_text(const struct imap_runs *r, char *out, size_t cap)
{
	size_t len = 0;
	if (r->overflow || r->n == 0 || cap == 0)
		return false;
	for (unsigned i = 0; i < r->n; i++) {
		int n = r->lo[i] == r->hi[i]
				? snprintf(out + len, cap - len, "%s%lu", i ? "," : "",
					   (unsigned long)r->lo[i])
				: snprintf(out + len, cap - len, "%s%lu:%lu", i ? "," : "",
					   (unsigned long)r->lo[i], (unsigned long)r->hi[i]);
		if (n < 0 || (size_t)n >= cap - len)
			return false;
		len += (size_t)n;
	}
	return true;
}
