/*
 * imap_date.h - dates and times of IMAP (RFC 3501 date, date-time) and of
 * the RFC 5322 Date: header, as Unix seconds plus a zone offset.
 *
 * Pure functions with their own proleptic Gregorian arithmetic: nothing here
 * depends on libc time functions or the TZ environment.
 */
#ifndef IMAP_DATE_H
#define IMAP_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAP_DATETIME_LEN 26   /* "dd-Mon-yyyy hh:mm:ss +zzzz", no quotes */

/* Days since 1970-01-01 of a civil date (month 1..12) and back. */
int64_t imap_days_from_civil(int64_t y, unsigned m, unsigned d);
void imap_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* IMAP date "d-Mon-yyyy" / "dd-Mon-yyyy" (month name case-insensitive, no
 * quotes): *day_utc = seconds at 00:00 UTC of that day. */
bool imap_date_parse(const char *s, size_t len, int64_t *day_utc);
/* IMAP date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be " d"), no quotes:
 * *t = Unix seconds (UTC), *tz = zone in minutes east of UTC. */
bool imap_datetime_parse(const char *s, size_t len, int64_t *t, int16_t *tz);
/* Format t as seen in zone tz (two-digit day) for INTERNALDATE. Writes
 * IMAP_DATETIME_LEN characters plus a NUL, returns IMAP_DATETIME_LEN. */
size_t imap_datetime_format(int64_t t, int16_t tz, char out[IMAP_DATETIME_LEN + 1]);

/* RFC 5322 date-time as found in a Date: header, including the obsolete
 * syntax (comments/CFWS anywhere, two- and three-digit years, missing
 * seconds, named and military zones) and common deviations (full day or
 * month names, missing day-of-week, missing zone = +0000). */
bool imap_date_rfc5322_parse(const char *s, size_t len, int64_t *t, int16_t *tz);

/* Days since the epoch of the calendar date of t as seen in zone tz: what
 * SEARCH BEFORE/ON/SINCE (INTERNALDATE) and SENT* (Date:) compare. */
int64_t imap_date_day(int64_t t, int16_t tz);

#endif
