/*
 * imap_date.c - civil-date arithmetic and the date syntaxes of IMAP and of
 * the RFC 5322 Date: header.
 */
#include "imap_date.h"

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char wdays[7][4] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* Valid formatting range: years 0000..9999. */
#define T_MIN (-62167219200LL)   /* 0000-01-01T00:00:00Z */
#define T_MAX (253402300799LL)   /* 9999-12-31T23:59:59Z */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Proleptic Gregorian calendar in 400-year eras of 146097 days, with the
 * year starting on 1 March so the leap day is the era's last day. */
int64_t imap_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                                /* [0, 399] */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;        /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

void imap_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	days += 719468;
	int64_t era = floor_div(days, 146097);
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Keeps t + zone offset from overflowing; far outside any real date. */
static int64_t clamp_t(int64_t t)
{
	return t < T_MIN - 86400 ? T_MIN - 86400 : t > T_MAX + 86400 ? T_MAX + 86400 : t;
}

int64_t imap_date_day(int64_t t, int16_t tz)
{
	return floor_div(clamp_t(t) + (int64_t)tz * 60, 86400);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Index (0..n-1) of a three-letter name in table, case-insensitive, or -1. */
static int name3(const char *s, const char (*table)[4], int n)
{
	for (int i = 0; i < n; i++)
		if (lower(s[0]) == lower(table[i][0]) && lower(s[1]) == lower(table[i][1]) &&
		    lower(s[2]) == lower(table[i][2]))
			return i;
	return -1;
}

/* n digits at s as a number. */
static bool digits(const char *s, unsigned n, unsigned *out)
{
	unsigned v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool valid_ymd(int64_t y, unsigned m, unsigned d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* "Mon-yyyy" at s (8 bytes): month 1..12 and year. */
static bool month_year(const char *s, unsigned *m, unsigned *y)
{
	int mi = name3(s, months, 12);
	if (mi < 0 || s[3] != '-' || !digits(s + 4, 4, y))
		return false;
	*m = (unsigned)mi + 1;
	return true;
}

bool imap_date_parse(const char *s, size_t len, int64_t *day_utc)
{
	unsigned d, m, y;
	size_t dl = len == 10 ? 1 : len == 11 ? 2 : 0;   /* date-day is 1*2DIGIT */

	if (dl == 0 || !digits(s, (unsigned)dl, &d) || s[dl] != '-' ||
	    !month_year(s + dl + 1, &m, &y) || !valid_ymd(y, m, d))
		return false;
	*day_utc = imap_days_from_civil(y, m, d) * 86400;
	return true;
}

bool imap_datetime_parse(const char *s, size_t len, int64_t *t, int16_t *tz)
{
	unsigned d, m, y, hh, mm, ss, zh, zm;

	if (len != IMAP_DATETIME_LEN)
		return false;
	/* date-day-fixed = (SP DIGIT) / 2DIGIT */
	if (s[0] == ' ' ? !digits(s + 1, 1, &d) : !digits(s, 2, &d))
		return false;
	if (s[2] != '-' || !month_year(s + 3, &m, &y) || s[11] != ' ' || !valid_ymd(y, m, d))
		return false;
	if (!digits(s + 12, 2, &hh) || s[14] != ':' || !digits(s + 15, 2, &mm) || s[17] != ':' ||
	    !digits(s + 18, 2, &ss) || s[20] != ' ' || hh > 23 || mm > 59 || ss > 60)
		return false;
	if ((s[21] != '+' && s[21] != '-') || !digits(s + 22, 2, &zh) || !digits(s + 24, 2, &zm) ||
	    zh > 23 || zm > 59)
		return false;
	int zone = (int)(zh * 60 + zm);
	if (s[21] == '-')
		zone = -zone;
	*tz = (int16_t)zone;
	*t = imap_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss - zone * 60;
	return true;
}

static void put2(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
}

size_t imap_datetime_format(int64_t t, int16_t tz, char out[IMAP_DATETIME_LEN + 1])
{
	if (tz <= -1440 || tz >= 1440)
		tz = 0;   /* not a zone: show UTC rather than garbage */
	int64_t local = clamp_t(t) + (int64_t)tz * 60;
	if (local < T_MIN)
		local = T_MIN;
	if (local > T_MAX)
		local = T_MAX;
	int64_t days = floor_div(local, 86400), y;
	int64_t secs = local - days * 86400;
	unsigned m, d, az = (unsigned)(tz < 0 ? -tz : tz);
	imap_civil_from_days(days, &y, &m, &d);

	put2(out, d);
	out[2] = '-';
	out[3] = months[m - 1][0];
	out[4] = months[m - 1][1];
	out[5] = months[m - 1][2];
	out[6] = '-';
	put2(out + 7, (unsigned)(y / 100));
	put2(out + 9, (unsigned)(y % 100));
	out[11] = ' ';
	put2(out + 12, (unsigned)(secs / 3600));
	out[14] = ':';
	put2(out + 15, (unsigned)(secs / 60 % 60));
	out[17] = ':';
	put2(out + 18, (unsigned)(secs % 60));
	out[20] = ' ';
	out[21] = tz < 0 ? '-' : '+';
	put2(out + 22, az / 60);
	put2(out + 24, az % 60);
	out[26] = '\0';
	return IMAP_DATETIME_LEN;
}

/* ---- RFC 5322 Date: ---- */

struct scan {
	const char *s;
	size_t len, pos;
};

/* Skip folding white space and (nested, escaped) comments. */
static void cfws(struct scan *c)
{
	unsigned depth = 0;
	while (c->pos < c->len) {
		char ch = c->s[c->pos];
		if (depth == 0 && (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')) {
			c->pos++;
		} else if (ch == '(') {
			depth++;
			c->pos++;
		} else if (depth > 0 && ch == ')') {
			depth--;
			c->pos++;
		} else if (depth > 0 && ch == '\\' && c->pos + 1 < c->len) {
			c->pos += 2;
		} else if (depth > 0) {
			c->pos++;
		} else {
			return;
		}
	}
}

static bool sc_char(struct scan *c, char ch)
{
	cfws(c);
	if (c->pos < c->len && c->s[c->pos] == ch) {
		c->pos++;
		return true;
	}
	return false;
}

/* A run of 1..max digits; *n = count. */
static bool sc_number(struct scan *c, unsigned max, unsigned *v, unsigned *n)
{
	cfws(c);
	unsigned k = 0, x = 0;
	while (c->pos + k < c->len && is_digit(c->s[c->pos + k])) {
		if (k == max)
			return false;
		x = x * 10 + (unsigned)(c->s[c->pos + k] - '0');
		k++;
	}
	if (k == 0)
		return false;
	c->pos += k;
	*v = x;
	*n = k;
	return true;
}

/* An alphabetic word; returns its length (0 if none) and start. */
static size_t sc_word(struct scan *c, const char **w)
{
	cfws(c);
	size_t k = 0;
	while (c->pos + k < c->len && is_alpha(c->s[c->pos + k]))
		k++;
	*w = c->s + c->pos;
	c->pos += k;
	return k;
}

static bool peek_alpha(struct scan *c)
{
	cfws(c);
	return c->pos < c->len && is_alpha(c->s[c->pos]);
}

static bool sc_month(struct scan *c, unsigned *m)
{
	const char *w;
	size_t n = sc_word(c, &w);
	int i = n >= 3 ? name3(w, months, 12) : -1;
	if (i < 0)
		return false;
	*m = (unsigned)i + 1;
	return true;
}

static bool sc_time(struct scan *c, unsigned *hh, unsigned *mm, unsigned *ss)
{
	unsigned n;
	if (!sc_number(c, 2, hh, &n) || !sc_char(c, ':') || !sc_number(c, 2, mm, &n))
		return false;
	*ss = 0;
	if (sc_char(c, ':') && !sc_number(c, 2, ss, &n))
		return false;
	return *hh <= 23 && *mm <= 59 && *ss <= 60;
}

/* Zone in minutes east; anything unrecognised counts as +0000 (RFC 5322
 * 4.3: unknown and military zones are to be taken as -0000). */
static int sc_zone(struct scan *c)
{
	static const struct { char name[4]; int16_t min; } named[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
		{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
	};
	cfws(c);
	if (c->pos < c->len && (c->s[c->pos] == '+' || c->s[c->pos] == '-')) {
		unsigned h, m;
		if (c->len - c->pos < 5 || !digits(c->s + c->pos + 1, 2, &h) ||
		    !digits(c->s + c->pos + 3, 2, &m) || h > 23 || m > 59)
			return 0;
		int z = (int)(h * 60 + m);
		z = c->s[c->pos] == '-' ? -z : z;
		c->pos += 5;
		return z;
	}
	const char *w;
	size_t n = sc_word(c, &w);
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
		size_t k = 0;
		while (k < n && named[i].name[k] && lower(w[k]) == lower(named[i].name[k]))
			k++;
		if (k == n && named[i].name[k] == '\0')
			return named[i].min;
	}
	return 0;
}

static bool sc_year(struct scan *c, int64_t *y)
{
	unsigned v, n;
	if (!sc_number(c, 4, &v, &n))
		return false;
	if (n == 2)
		v += v < 50 ? 2000 : 1900;   /* RFC 5322 4.3 */
	else if (n == 3)
		v += 1900;
	*y = v;
	return true;
}

bool imap_date_rfc5322_parse(const char *s, size_t len, int64_t *t, int16_t *tz)
{
	struct scan c = { s, len, 0 };
	unsigned d, m, n, hh, mm, ss;
	int64_t y;
	int zone;

	/* [ day-of-week "," ]: also a full day name, and the comma missing */
	if (peek_alpha(&c)) {
		size_t save = c.pos;
		const char *w;
		size_t wl = sc_word(&c, &w);
		if (wl >= 3 && name3(w, wdays, 7) >= 0)
			(void)sc_char(&c, ',');
		else
			c.pos = save;
	}
	if (peek_alpha(&c)) {
		/* asctime()-like: "Jan 2 15:04:05 [zone] 2006" */
		if (!sc_month(&c, &m) || !sc_number(&c, 2, &d, &n) || !sc_time(&c, &hh, &mm, &ss))
			return false;
		zone = peek_alpha(&c) || (c.pos < c.len && (s[c.pos] == '+' || s[c.pos] == '-'))
			       ? sc_zone(&c)
			       : 0;
		if (!sc_year(&c, &y))
			return false;
	} else {
		if (!sc_number(&c, 2, &d, &n))
			return false;
		(void)sc_char(&c, '-');   /* "2-Jan-2006", seen in the wild */
		if (!sc_month(&c, &m))
			return false;
		(void)sc_char(&c, '-');
		if (!sc_year(&c, &y) || !sc_time(&c, &hh, &mm, &ss))
			return false;
		zone = sc_zone(&c);
	}
	if (!valid_ymd(y, m, d))
		return false;
	*tz = (int16_t)zone;
	*t = imap_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)zone * 60;
	return true;
}
