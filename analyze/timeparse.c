// SPDX-License-Identifier: MIT
/*
 * timeparse.c - durations and points in time for --interval, --from, --to,
 * and the wall-clock formats the outputs print.
 *
 * Everything is integer nanoseconds: a decimal like "2.5s" is parsed digit
 * by digit rather than through a double, so "0.1s" is exactly 100000000 ns
 * and interval boundaries never drift by a rounding error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hws_duration.h"
#include "report.h"

/* The grammar every tool shares: hws_duration.h. */
int hwr_parse_duration(const char *s, uint64_t *ns)
{
	return hws_parse_duration(s, ns);
}

/* Exactly @n digits into *v. */
static int hwr_fixed(const char **pp, int n, int *v)
{
	const char *p = *pp;
	int i, r = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -EINVAL;
		r = r * 10 + (p[i] - '0');
	}
	*v = r;
	*pp = p + n;
	return 0;
}

/* HH:MM[:SS[.frac]][Z] */
static int hwr_clock(const char *p, int *h, int *m, int *sec, uint64_t *frac,
		     bool *utc)
{
	const char *fp;
	size_t nf = 0;

	*sec = 0;
	*frac = 0;
	*utc = false;
	if (hwr_fixed(&p, 2, h) || *p++ != ':' || hwr_fixed(&p, 2, m))
		return -EINVAL;
	if (*p == ':') {
		p++;
		if (hwr_fixed(&p, 2, sec))
			return -EINVAL;
		if (*p == '.') {
			fp = ++p;
			while (isdigit((unsigned char)*p))
				p++;
			nf = (size_t)(p - fp);
			if (!nf || hws_scale_decimal("", 0, fp, nf,
						      HWR_NS_PER_SEC, frac))
				return -EINVAL;
		}
	}
	if (*p == 'Z') {
		*utc = true;
		p++;
	}
	if (*p || *h > 23 || *m > 59 || *sec > 60)
		return -EINVAL;
	return 0;
}

/* Seconds since the epoch, plus @frac ns, beyond a u64 of ns (year 2554). */
static bool hwr_sec_overflows(time_t when, uint64_t frac)
{
	return (uint64_t)when > (UINT64_MAX - frac) / HWR_NS_PER_SEC;
}

int hwr_parse_time(const char *s, struct hwr_time *t)
{
	int y, mo, d, h, m, sec;
	const char *p = s;
	uint64_t frac;
	bool utc;

	memset(t, 0, sizeof(*t));
	if (!s || !*s)
		return -EINVAL;
	if (!strchr(s, ':')) {
		if (*p == '+')
			p++;
		t->kind = HWR_TIME_REL;
		return hwr_parse_duration(p, &t->ns);
	}
	if (strlen(s) >= 10 && s[4] == '-') {
		struct tm tm = { 0 };
		time_t when;

		if (hwr_fixed(&p, 4, &y) || *p++ != '-' ||
		    hwr_fixed(&p, 2, &mo) || *p++ != '-' ||
		    hwr_fixed(&p, 2, &d) || (*p != 'T' && *p != ' '))
			return -EINVAL;
		p++;
		if (hwr_clock(p, &h, &m, &sec, &frac, &utc))
			return -EINVAL;
		if (mo < 1 || mo > 12 || d < 1 || d > 31)
			return -EINVAL;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		when = utc ? timegm(&tm) : mktime(&tm);
		if (when < 0 || hwr_sec_overflows(when, frac))
			return -ERANGE;
		t->kind = HWR_TIME_ABS;
		t->utc = utc;
		t->ns = (uint64_t)when * HWR_NS_PER_SEC + frac;
		return 0;
	}
	if (hwr_clock(p, &h, &m, &sec, &frac, &utc))
		return -EINVAL;
	t->kind = HWR_TIME_TOD;
	t->utc = utc;
	t->ns = ((uint64_t)h * 3600 + (uint64_t)m * 60 + (uint64_t)sec) *
		HWR_NS_PER_SEC + frac;
	return 0;
}

/*
 * wall - real_off, in unsigned arithmetic: the offset comes from a file's
 * header and may be anything, so no signed overflow may happen here.
 */
static int hwr_wall_to_boot(uint64_t wall, int64_t real_off, uint64_t *ts)
{
	uint64_t off;

	if (real_off >= 0) {
		off = (uint64_t)real_off;
		/* Before the boot clock's zero there are no records. */
		*ts = wall < off ? 0 : wall - off;
		return 0;
	}
	off = 0 - (uint64_t)real_off;
	if (wall > UINT64_MAX - off)
		return -ERANGE;
	*ts = wall + off;
	return 0;
}

int hwr_time_resolve(const struct hwr_time *t, uint64_t start_boot,
		     int64_t real_off, uint64_t *ts)
{
	struct tm tm;
	time_t ref, when;
	uint64_t tod_s;

	switch (t->kind) {
	case HWR_TIME_REL:
		if (t->ns > UINT64_MAX - start_boot)
			return -ERANGE;
		*ts = start_boot + t->ns;
		return 0;
	case HWR_TIME_ABS:
		return hwr_wall_to_boot(t->ns, real_off, ts);
	case HWR_TIME_TOD:
		ref = (time_t)((start_boot + (uint64_t)real_off) /
			       HWR_NS_PER_SEC) - 12 * 3600;
		if (!(t->utc ? gmtime_r(&ref, &tm) : localtime_r(&ref, &tm)))
			return -ERANGE;
		tod_s = t->ns / HWR_NS_PER_SEC;
		tm.tm_hour = (int)(tod_s / 3600);
		tm.tm_min = (int)(tod_s / 60 % 60);
		tm.tm_sec = (int)(tod_s % 60);
		tm.tm_isdst = -1;
		when = t->utc ? timegm(&tm) : mktime(&tm);
		if (when < ref) {
			tm.tm_mday++;
			tm.tm_hour = (int)(tod_s / 3600);
			tm.tm_min = (int)(tod_s / 60 % 60);
			tm.tm_sec = (int)(tod_s % 60);
			tm.tm_isdst = -1;
			when = t->utc ? timegm(&tm) : mktime(&tm);
		}
		if (when < 0 || hwr_sec_overflows(when, t->ns % HWR_NS_PER_SEC))
			return -ERANGE;
		return hwr_wall_to_boot((uint64_t)when * HWR_NS_PER_SEC +
					t->ns % HWR_NS_PER_SEC, real_off, ts);
	default:
		return -EINVAL;
	}
}

static void hwr_frac(char *buf, size_t len, uint64_t ns, int decimals)
{
	uint64_t div = 1;
	int i;

	if (decimals <= 0) {
		if (len)
			buf[0] = 0;
		return;
	}
	if (decimals > 9)
		decimals = 9;
	for (i = decimals; i < 9; i++)
		div *= 10;
	snprintf(buf, len, ".%0*llu", decimals,
		 (unsigned long long)(ns % HWR_NS_PER_SEC / div));
}

/* A time no calendar function takes (a header's garbage): say so. */
static void hwr_fmt_raw(char *buf, size_t len, uint64_t real_ns)
{
	snprintf(buf, len, "@%llu.%09llu",
		 (unsigned long long)(real_ns / HWR_NS_PER_SEC),
		 (unsigned long long)(real_ns % HWR_NS_PER_SEC));
}

void hwr_fmt_wall_local(char *buf, size_t len, uint64_t real_ns, int decimals)
{
	time_t sec = (time_t)(real_ns / HWR_NS_PER_SEC);
	char date[32], frac[16], zone[8];
	struct tm tm;

	if (!localtime_r(&sec, &tm)) {
		hwr_fmt_raw(buf, len, real_ns);
		return;
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	hwr_frac(frac, sizeof(frac), real_ns, decimals);
	snprintf(buf, len, "%s%s %s", date, frac, zone);
}

void hwr_fmt_wall_utc(char *buf, size_t len, uint64_t real_ns)
{
	time_t sec = (time_t)(real_ns / HWR_NS_PER_SEC);
	char date[32], frac[16];
	struct tm tm;

	if (!gmtime_r(&sec, &tm)) {
		hwr_fmt_raw(buf, len, real_ns);
		return;
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	hwr_frac(frac, sizeof(frac), real_ns, 9);
	snprintf(buf, len, "%s%sZ", date, frac);
}

void hwr_fmt_tod_local(char *buf, size_t len, uint64_t real_ns, int decimals)
{
	time_t sec = (time_t)(real_ns / HWR_NS_PER_SEC);
	char tod[16], frac[16];
	struct tm tm;

	if (!localtime_r(&sec, &tm)) {
		hwr_fmt_raw(buf, len, real_ns);
		return;
	}
	strftime(tod, sizeof(tod), "%H:%M:%S", &tm);
	hwr_frac(frac, sizeof(frac), real_ns, decimals);
	snprintf(buf, len, "%s%s", tod, frac);
}
