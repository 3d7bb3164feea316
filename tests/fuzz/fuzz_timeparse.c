// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: hwstats-report's durations and points in time
 * (--interval, --from, --to), resolved against any trace's clock, and the
 * wall-clock formatters.
 *
 * The input: 16 bytes of trace clock (start_boot_ns, and the offset to
 * wall-clock time, which come from a file's header and so can be anything),
 * then the argument. Everything must stay defined behaviour (no signed
 * overflow, no out-of-range float conversion), return only documented
 * errors, and what is accepted must mean what it says: a duration is
 * exactly its digits times its unit, a date in UTC names that date, a time
 * of day is below 24 h, and resolving a duration from the start lands
 * exactly that far after it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

static const char *const units[] = { "ns", "us", "ms", "s", "sec", "m", "min", "h" };
static const uint64_t unit_ns[] = { 1, 1000, 1000000, 1000000000ULL,
				    1000000000ULL, 60000000000ULL,
				    60000000000ULL, 3600000000000ULL };

/* Whole numbers with a unit: exact, or -ERANGE. */
static void check_duration(const char *s)
{
	unsigned long long v;
	uint64_t ns = 0;
	size_t i;
	int n = 0, ret;

	ret = hwr_parse_duration(s, &ns);
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE)
		abort();
	if (sscanf(s, "%15llu%n", &v, &n) != 1 || s[0] < '0' || s[0] > '9' ||
	    n > 15)
		return;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		/* No unit means seconds. */
		if (strcmp(s + n, units[i]) && (s[n] || unit_ns[i] != 1000000000ULL))
			continue;
		if (v > UINT64_MAX / unit_ns[i]) {
			if (ret != -ERANGE)
				abort();
		} else if (ret != 0 || ns != v * unit_ns[i]) {
			abort();
		}
	}
}

static void check_time(const char *s, uint64_t start_boot, int64_t real_off)
{
	struct hwr_time t;
	uint64_t ts = 0;
	char buf[128];
	int ret;

	ret = hwr_parse_time(s, &t);
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE)
		abort();
	if (ret)
		return;
	switch (t.kind) {
	case HWR_TIME_REL:
		break;
	case HWR_TIME_TOD:
		/* A leap second may make it 24:00:00.x at most. */
		if (t.ns >= 24ULL * 3600 * HWR_NS_PER_SEC + HWR_NS_PER_SEC)
			abort();
		break;
	case HWR_TIME_ABS:
		if (t.utc) {
			/* The date it names, back through gmtime. */
			time_t sec = (time_t)(t.ns / HWR_NS_PER_SEC);
			struct tm tm;
			int y, mo, d;

			if (!gmtime_r(&sec, &tm) ||
			    sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) != 3)
				abort();
			/*
			 * timegm() normalises 31 February to 3 March: only
			 * a date that exists must come back unchanged.
			 */
			if (tm.tm_mday == d && tm.tm_mon + 1 == mo &&
			    tm.tm_year + 1900 != y)
				abort();
		}
		break;
	default:
		abort();
	}
	ret = hwr_time_resolve(&t, start_boot, real_off, &ts);
	if (ret != 0 && ret != -ERANGE)
		abort();
	if (!ret && t.kind == HWR_TIME_REL && ts != start_boot + t.ns)
		abort();
	if (!ret) {
		hwr_fmt_wall_utc(buf, sizeof(buf), ts + (uint64_t)real_off);
		hwr_fmt_wall_local(buf, sizeof(buf), ts + (uint64_t)real_off, 9);
		hwr_fmt_tod_local(buf, sizeof(buf), ts + (uint64_t)real_off, 3);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t start_boot = 0;
	int64_t real_off = 0;
	char *s;

	if (size > 4096)
		return 0;
	if (size >= 16) {
		memcpy(&start_boot, data, 8);
		memcpy(&real_off, data + 8, 8);
		data += 16;
		size -= 16;
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_duration(s);
	check_time(s, start_boot, real_off);
	free(s);
	return 0;
}
