/* test_imap_date.c - civil dates, IMAP date / date-time, RFC 5322 Date:. */
#include "imap_date.h"
#include "unit.h"

static bool date(const char *s, int64_t *d)
{
	return imap_date_parse(s, strlen(s), d);
}

static bool dt(const char *s, int64_t *t, int16_t *tz)
{
	return imap_datetime_parse(s, strlen(s), t, tz);
}

static bool hdr(const char *s, int64_t *t, int16_t *tz)
{
	return imap_date_rfc5322_parse(s, strlen(s), t, tz);
}

TEST(civil)
{
	CHECK_EQ_INT(imap_days_from_civil(1970, 1, 1), 0);
	CHECK_EQ_INT(imap_days_from_civil(2000, 3, 1), 11017);
	CHECK_EQ_INT(imap_days_from_civil(1969, 12, 31), -1);
	CHECK_EQ_INT(imap_days_from_civil(1600, 2, 29), -135081);
	/* every day from year 0 to 2500 round-trips and days are consecutive */
	int64_t prev = imap_days_from_civil(0, 1, 1) - 1;
	int bad = 0;
	for (int64_t y = 0; y <= 2500; y++)
		for (unsigned m = 1; m <= 12; m++)
			for (unsigned d = 1; d <= 31; d++) {
				bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
				unsigned dim = m == 2 ? (leap ? 29 : 28)
					       : (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;
				if (d > dim)
					continue;
				int64_t n = imap_days_from_civil(y, m, d), yy;
				unsigned mm, dd;
				imap_civil_from_days(n, &yy, &mm, &dd);
				if (n != prev + 1 || yy != y || mm != m || dd != d)
					bad++;
				prev = n;
			}
	CHECK_EQ_INT(bad, 0);
}

TEST(imap_date)
{
	int64_t d;
	CHECK(date("1-Feb-1994", &d));
	CHECK_EQ_INT(d, imap_days_from_civil(1994, 2, 1) * 86400);
	CHECK(date("01-feb-1994", &d));
	CHECK_EQ_INT(d, imap_days_from_civil(1994, 2, 1) * 86400);
	CHECK(date("29-Feb-2000", &d));
	CHECK(date("31-DEC-1969", &d));
	CHECK_EQ_INT(d, -86400);
	CHECK(!date("29-Feb-1900", &d));
	CHECK(!date("0-Jan-2000", &d));
	CHECK(!date("32-Jan-2000", &d));
	CHECK(!date("1-Foo-2000", &d));
	CHECK(!date("1-Jan-200", &d));
	CHECK(!date("1-Jan-20000", &d));
	CHECK(!date("001-Jan-2000", &d));
	CHECK(!date("1 Jan 2000", &d));
	CHECK(!date("", &d));
	CHECK(!date("\"1-Jan-2000\"", &d));
}

TEST(imap_datetime)
{
	int64_t t;
	int16_t tz;
	CHECK(dt("17-Jul-1996 02:44:25 -0700", &t, &tz));
	CHECK_EQ_INT(t, 837596665);
	CHECK_EQ_INT(tz, -420);
	CHECK(dt(" 7-Jul-1996 02:44:25 +0130", &t, &tz));
	CHECK_EQ_INT(tz, 90);
	CHECK_EQ_INT(t, imap_days_from_civil(1996, 7, 7) * 86400 + 2 * 3600 + 44 * 60 + 25 - 90 * 60);
	CHECK(dt("07-Jul-1996 02:44:25 +0000", &t, &tz));
	CHECK(!dt("7-Jul-1996 02:44:25 +0000", &t, &tz));
	CHECK(!dt("17-Jul-1996 24:00:00 +0000", &t, &tz));
	CHECK(!dt("17-Jul-1996 02:60:00 +0000", &t, &tz));
	CHECK(!dt("17-Jul-1996 02:44:25 +2400", &t, &tz));
	CHECK(!dt("17-Jul-1996 02:44:25 +0060", &t, &tz));
	CHECK(!dt("17-Jul-1996 02:44:25 0000", &t, &tz));
	CHECK(!dt("17-Jul-1996 02:44:25 +0000x", &t, &tz));
	CHECK(!dt("31-Jun-1996 02:44:25 +0000", &t, &tz));
}

TEST(format)
{
	char b[IMAP_DATETIME_LEN + 1];
	CHECK_EQ_INT(imap_datetime_format(837596665, -420, b), IMAP_DATETIME_LEN);
	CHECK_EQ_STR(b, "17-Jul-1996 02:44:25 -0700");
	imap_datetime_format(0, 0, b);
	CHECK_EQ_STR(b, "01-Jan-1970 00:00:00 +0000");
	imap_datetime_format(-1, 330, b);
	CHECK_EQ_STR(b, "01-Jan-1970 05:29:59 +0530");
	imap_datetime_format(951782400, 0, b);   /* 2000-02-29 */
	CHECK_EQ_STR(b, "29-Feb-2000 00:00:00 +0000");
	imap_datetime_format(INT64_MAX, 0, b);
	CHECK_EQ_STR(b, "31-Dec-9999 23:59:59 +0000");
	imap_datetime_format(INT64_MAX, 1439, b);
	CHECK_EQ_STR(b, "31-Dec-9999 23:59:59 +2359");
	imap_datetime_format(INT64_MIN, -1439, b);
	CHECK_EQ_STR(b, "01-Jan-0000 00:00:00 -2359");
	CHECK_EQ_INT(imap_date_day(INT64_MAX, 1439), imap_days_from_civil(10000, 1, 2));
	imap_datetime_format(0, 5000, b);        /* not a zone */
	CHECK_EQ_STR(b, "01-Jan-1970 00:00:00 +0000");
	/* format -> parse round trip */
	int bad = 0;
	for (int64_t t = -4000000000LL; t < 8000000000LL; t += 7777777) {
		int16_t z = (int16_t)((t / 7777777) % 1440 * ((t / 7777777) % 2 ? 1 : -1));
		int64_t t2;
		int16_t z2;
		imap_datetime_format(t, z, b);
		if (!imap_datetime_parse(b, IMAP_DATETIME_LEN, &t2, &z2) || t2 != t || z2 != z)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
}

TEST(day_in_zone)
{
	/* 17-Jul-1996 02:44:25 -0700 is 17 July locally, 17 July in UTC too;
	 * 01:00 +0200 on the 2nd is the 1st in UTC but the 2nd locally. */
	int64_t t;
	int16_t tz;
	CHECK(dt("02-Mar-2020 01:00:00 +0200", &t, &tz));
	CHECK_EQ_INT(imap_date_day(t, tz), imap_days_from_civil(2020, 3, 2));
	CHECK_EQ_INT(imap_date_day(t, 0), imap_days_from_civil(2020, 3, 1));
	CHECK_EQ_INT(imap_date_day(-1, 0), -1);
}

TEST(rfc5322)
{
	int64_t t, ref;
	int16_t tz;
	ref = imap_days_from_civil(2003, 7, 1) * 86400 + 10 * 3600 + 52 * 60 + 37 - 120 * 60;
	CHECK(hdr("Tue, 1 Jul 2003 10:52:37 +0200", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK_EQ_INT(tz, 120);
	CHECK(hdr("1 Jul 2003 10:52:37 +0200", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("  Tue ,  01  Jul  2003  10 : 52 : 37  +0200 (CEST)  ", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("(comment (nested \\) )) Tue, 1 (x) Jul 2003 10:52:37 +0200", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("Tuesday, 01 July 2003 10:52:37 +0200", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("Tue,\r\n 1 Jul 2003\r\n\t10:52:37 +0200", &t, &tz));
	CHECK_EQ_INT(t, ref);
	/* missing seconds */
	CHECK(hdr("Tue, 1 Jul 2003 10:52 +0200", &t, &tz));
	CHECK_EQ_INT(t, ref - 37);
	/* obsolete years */
	CHECK(hdr("1 Jul 03 10:52:37 +0200", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("1 Jul 103 10:52:37 +0200", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("1 Jul 99 00:00:00 +0000", &t, &tz));
	CHECK_EQ_INT(t, imap_days_from_civil(1999, 7, 1) * 86400);
	/* named zones */
	CHECK(hdr("Tue, 1 Jul 2003 08:52:37 GMT", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK_EQ_INT(tz, 0);
	CHECK(hdr("Tue, 1 Jul 2003 08:52:37 UT", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("Tue, 1 Jul 2003 03:52:37 EST", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK_EQ_INT(tz, -300);
	CHECK(hdr("Tue, 1 Jul 2003 01:52:37 pdt", &t, &tz));
	CHECK_EQ_INT(tz, -420);
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("Tue, 1 Jul 2003 08:52:37 A", &t, &tz));   /* military: -0000 */
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("Tue, 1 Jul 2003 08:52:37", &t, &tz));     /* no zone */
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("Tue, 1 Jul 2003 08:52:37 -0000", &t, &tz));
	CHECK_EQ_INT(t, ref);
	/* asctime style */
	CHECK(hdr("Tue Jul  1 08:52:37 2003", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("Tue Jul  1 10:52:37 +0200 2003", &t, &tz));
	CHECK_EQ_INT(t, ref);
	CHECK(hdr("1-Jul-2003 08:52:37 +0000", &t, &tz));
	CHECK_EQ_INT(t, ref);
	/* garbage */
	CHECK(!hdr("", &t, &tz));
	CHECK(!hdr("yesterday", &t, &tz));
	CHECK(!hdr("Tue, 31 Jun 2003 10:52:37 +0200", &t, &tz));
	CHECK(!hdr("Tue, 1 Jul 2003", &t, &tz));
	CHECK(!hdr("Tue, 1 Jul 2003 25:00:00 +0000", &t, &tz));
	CHECK(!hdr("Tue, 1 Jul 20030 10:00:00 +0000", &t, &tz));
	/* an unterminated trailing comment is only a comment */
	CHECK(hdr("Tue, 1 Jul 2003 10:52:37 +0200 (unterminated", &t, &tz));
}

int main(void)
{
	RUN(civil);
	RUN(imap_date);
	RUN(imap_datetime);
	RUN(format);
	RUN(day_in_zone);
	RUN(rfc5322);
	return UNIT_DONE();
}
