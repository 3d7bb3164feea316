// SPDX-License-Identifier: MIT
/*
 * Unit tests of the report's time arguments (analyze/timeparse.c):
 * durations, --from/--to forms, and how a wall-clock time maps onto the
 * trace's boot clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <cmocka.h>

#include "report.h"

#define S HWR_NS_PER_SEC
/* 2026-11-27T21:00:00Z */
#define T_2100 1795813200ULL

static int setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static uint64_t dur(const char *s)
{
	uint64_t ns = 12345;

	assert_int_equal(hwr_parse_duration(s, &ns), 0);
	return ns;
}

static void test_duration_units(void **state)
{
	(void)state;
	assert_int_equal(dur("10"), 10 * S);
	assert_int_equal(dur("2.5s"), 2500000000ULL);
	assert_int_equal(dur("100ms"), 100000000ULL);
	assert_int_equal(dur("1.5us"), 1500);
	assert_int_equal(dur("0.1"), 100000000ULL);
	assert_int_equal(dur(".25"), 250000000ULL);
	assert_int_equal(dur("1m"), 60 * S);
	assert_int_equal(dur("2min"), 120 * S);
	assert_int_equal(dur("1h"), 3600 * S);
	assert_int_equal(dur("3ns"), 3);
	/* below a nanosecond is dropped, not rounded into an error */
	assert_int_equal(dur("1.0000000019"), 1000000001ULL);
}

static void test_duration_rejects_garbage(void **state)
{
	static const char *const bad[] = {
		"", "s", "1x", "-1", "1.2.3", "1 s", "ms", ".", "1e3",
	};
	uint64_t ns;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hwr_parse_duration(bad[i], &ns) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(hwr_parse_duration("99999999999999999999", &ns),
			 -ERANGE);
	assert_int_equal(hwr_parse_duration("999999999999h", &ns), -ERANGE);
}

static void test_time_forms(void **state)
{
	struct hwr_time t;

	(void)state;
	assert_int_equal(hwr_parse_time("10", &t), 0);
	assert_int_equal(t.kind, HWR_TIME_REL);
	assert_int_equal(t.ns, 10 * S);
	assert_int_equal(hwr_parse_time("+2.5s", &t), 0);
	assert_int_equal(t.kind, HWR_TIME_REL);
	assert_int_equal(t.ns, 2500000000ULL);

	assert_int_equal(hwr_parse_time("21:00", &t), 0);
	assert_int_equal(t.kind, HWR_TIME_TOD);
	assert_int_equal(t.ns, 21 * 3600 * S);
	assert_int_equal(hwr_parse_time("21:00:05.250", &t), 0);
	assert_int_equal(t.ns, (21 * 3600 + 5) * S + 250000000ULL);
	assert_false(t.utc);
	assert_int_equal(hwr_parse_time("07:30:00Z", &t), 0);
	assert_true(t.utc);

	assert_int_equal(hwr_parse_time("2026-11-27T21:00:00Z", &t), 0);
	assert_int_equal(t.kind, HWR_TIME_ABS);
	assert_int_equal(t.ns, T_2100 * S);
	assert_int_equal(hwr_parse_time("2026-11-27 21:00:01.5", &t), 0);
	assert_int_equal(t.ns, (T_2100 + 1) * S + 500000000ULL);	/* TZ=UTC */

	assert_int_equal(hwr_parse_time("25:00", &t), -EINVAL);
	assert_int_equal(hwr_parse_time("21:60", &t), -EINVAL);
	assert_int_equal(hwr_parse_time("2026-13-01T00:00:00", &t), -EINVAL);
	assert_int_equal(hwr_parse_time("2026-11-27", &t), -EINVAL);
	assert_int_equal(hwr_parse_time("21:00:00junk", &t), -EINVAL);
	assert_int_equal(hwr_parse_time("", &t), -EINVAL);
}

static void test_time_resolve_relative_and_absolute(void **state)
{
	const uint64_t boot = 1000 * S;
	const int64_t off = (int64_t)(T_2100 * S - boot);
	struct hwr_time t;
	uint64_t ts;

	(void)state;
	hwr_parse_time("2.5", &t);
	assert_int_equal(hwr_time_resolve(&t, boot, off, &ts), 0);
	assert_int_equal(ts, boot + 2500000000ULL);

	hwr_parse_time("2026-11-27T21:00:10Z", &t);
	assert_int_equal(hwr_time_resolve(&t, boot, off, &ts), 0);
	assert_int_equal(ts, boot + 10 * S);
	/* long before boot: clamped to the clock's zero */
	hwr_parse_time("2000-01-01T00:00:00Z", &t);
	assert_int_equal(hwr_time_resolve(&t, boot, off, &ts), 0);
	assert_int_equal(ts, 0);
}

static void test_time_of_day_picks_the_day_around_the_start(void **state)
{
	const uint64_t boot = 100000 * S;
	/* the trace starts 2026-11-27 20:59:00 UTC */
	const int64_t off = (int64_t)((T_2100 - 60) * S - boot);
	struct hwr_time t;
	uint64_t ts;

	(void)state;
	hwr_parse_time("21:00", &t);
	assert_int_equal(hwr_time_resolve(&t, boot, off, &ts), 0);
	assert_int_equal(ts, boot + 60 * S);
	/* an hour before the start is still that evening, not tomorrow */
	hwr_parse_time("20:00", &t);
	assert_int_equal(hwr_time_resolve(&t, boot, off, &ts), 0);
	assert_int_equal(ts, boot - 59 * 60 * S);
	/* early morning: more than 12 h before, so the next morning */
	hwr_parse_time("01:30:00", &t);
	assert_int_equal(hwr_time_resolve(&t, boot, off, &ts), 0);
	assert_int_equal(ts, boot + (4 * 3600 + 31 * 60) * S);
}

static void test_any_header_clock_is_defined_behaviour(void **state)
{
	static const int64_t offs[] = {
		INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX,
		-8056718294838206464LL,
	};
	static const char *const args[] = {
		"2026-11-27T21:00:00Z", "2500-01-01T00:00:00", "21:00",
		"23:59:59.999999999Z", "10", "0",
	};
	/* every u64 is a date (TZ=UTC), up to 2554-07-21 */
	static const char *const utc[] = {
		"2262-04-11T23:47:16.854775808Z",
		"2262-04-11T23:47:16.854775809Z",
		"2554-07-21T23:34:33.709551615Z",
		"1970-01-01T00:00:00.000000000Z",
		"1970-01-01T00:00:00.000000001Z",
		"2262-04-11T23:47:16.854775807Z",
		"2299-03-31T22:16:18.871345152Z",
	};
	struct hwr_time t;
	uint64_t ts;
	size_t i, k;
	char buf[64];

	(void)state;
	/* years past 2554 do not fit u64 nanoseconds */
	assert_int_equal(hwr_parse_time("4052-11-27T21:00:00", &t), -ERANGE);
	/* the offset to wall-clock time comes from a file: any value must
	 * resolve to a time or -ERANGE, never overflow (UBSan watches) */
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (k = 0; k < sizeof(args) / sizeof(args[0]); k++) {
			int ret;

			assert_int_equal(hwr_parse_time(args[k], &t), 0);
			ret = hwr_time_resolve(&t, UINT64_MAX / 3, offs[i], &ts);
			assert_true(ret == 0 || ret == -ERANGE);
		}
		char local[64], tod[64];

		hwr_fmt_wall_utc(buf, sizeof(buf), (uint64_t)offs[i]);
		assert_string_equal(buf, utc[i]);
		/* local (UTC here) to the millisecond: the same instant */
		snprintf(local, sizeof(local), "%.10s %.12s +0000", utc[i],
			 utc[i] + 11);
		hwr_fmt_wall_local(buf, sizeof(buf), (uint64_t)offs[i], 3);
		assert_string_equal(buf, local);
		snprintf(tod, sizeof(tod), "%.12s", utc[i] + 11);
		hwr_fmt_tod_local(buf, sizeof(buf), (uint64_t)offs[i], 3);
		assert_string_equal(buf, tod);
	}
	/* a wall time before the boot clock's zero clamps to it */
	hwr_parse_time("1970-01-01T00:00:01Z", &t);
	assert_int_equal(hwr_time_resolve(&t, 0, INT64_MAX, &ts), 0);
	assert_int_equal(ts, 0);
	/* and one past its end is out of range */
	assert_int_equal(hwr_parse_time("2500-01-01T00:00:00Z", &t), 0);
	assert_int_equal(hwr_time_resolve(&t, 0, INT64_MIN, &ts), -ERANGE);
}

static void test_wall_formats(void **state)
{
	char buf[64];

	(void)state;
	hwr_fmt_wall_utc(buf, sizeof(buf), T_2100 * S + 5);
	assert_string_equal(buf, "2026-11-27T21:00:00.000000005Z");
	hwr_fmt_wall_local(buf, sizeof(buf), T_2100 * S + 123456789, 3);
	assert_string_equal(buf, "2026-11-27 21:00:00.123 +0000");
	hwr_fmt_tod_local(buf, sizeof(buf), T_2100 * S + 999999999, 3);
	assert_string_equal(buf, "21:00:00.999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_rejects_garbage),
		cmocka_unit_test(test_time_forms),
		cmocka_unit_test(test_time_resolve_relative_and_absolute),
		cmocka_unit_test(test_time_of_day_picks_the_day_around_the_start),
		cmocka_unit_test(test_any_header_clock_is_defined_behaviour),
		cmocka_unit_test(test_wall_formats),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
