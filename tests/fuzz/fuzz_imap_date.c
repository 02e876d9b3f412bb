/*
 * fuzz_imap_date.c - the date parsers on arbitrary bytes (a Date: header
 * comes from any sender). Properties: no out-of-bounds access or undefined
 * behaviour; accepted zones are real offsets; IMAP date-time formatting and
 * parsing are inverse; an RFC 5322 date that parses formats to a valid
 * INTERNALDATE string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_format(int64_t t, int16_t tz)
{
	char b[IMAP_DATETIME_LEN + 1];
	int64_t t2;
	int16_t z2;

	if (tz <= -1440 || tz >= 1440)
		abort();
	if (imap_datetime_format(t, tz, b) != IMAP_DATETIME_LEN || strlen(b) != IMAP_DATETIME_LEN)
		abort();
	/* years past 9999 are clamped by the formatter */
	if (t > -62000000000LL && t < 253000000000LL &&
	    (!imap_datetime_parse(b, IMAP_DATETIME_LEN, &t2, &z2) || t2 != t || z2 != tz))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t t, day;
	int16_t tz;

	if (imap_date_rfc5322_parse(s, size, &t, &tz))
		check_format(t, tz);
	if (imap_datetime_parse(s, size, &t, &tz))
		check_format(t, tz);
	if (imap_date_parse(s, size, &day) && day % 86400 != 0)
		abort();
	return 0;
}
