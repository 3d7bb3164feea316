// SPDX-License-Identifier: MIT
/*
 * Option parsing shared by the recorder and hwstats-stat: every accepted
 * spelling gives the exact value, every bad one is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hwsdev.h"

static void test_size_accepts_units(void **state)
{
	static const struct {
		const char *in;
		uint64_t want;
	} ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "4K", 4096 }, { "4k", 4096 },
		{ "4KiB", 4096 }, { "4KB", 4096 }, { "256K", 262144 },
		{ "1M", 1048576 }, { "64MiB", 67108864 }, { "2G", 2147483648ULL },
	};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(hwsdev_parse_size(ok[i].in, &v), 0);
		assert_int_equal(v, ok[i].want);
	}
}

static void test_size_refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"", "-1", "K", "4X", "4 K", "4KK", "1.5M", "0x10", "4Ki B",
	};
	uint64_t v = 77;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hwsdev_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(hwsdev_parse_size(NULL, &v), -EINVAL);
	assert_int_equal(hwsdev_parse_size("99999999999999G", &v), -ERANGE);
	assert_int_equal(v, 77);
}

static void test_duration_accepts_units(void **state)
{
	static const struct {
		const char *in;
		uint64_t want;
	} ok[] = {
		{ "10", 10000000000ULL }, { "10s", 10000000000ULL },
		{ "1.5s", 1500000000ULL }, { "500ms", 500000000ULL },
		{ "250us", 250000 }, { "100ns", 100 }, { "2m", 120000000000ULL },
		{ "1h", 3600000000000ULL }, { "1d", 86400000000000ULL },
		{ "0", 0 },
	};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(hwsdev_parse_duration(ok[i].in, &v), 0);
		assert_int_equal(v, ok[i].want);
	}
}

static void test_duration_refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"", "-1s", "s", "10x", "10 s", "ms", "1e", "10sec",
	};
	uint64_t v = 5;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hwsdev_parse_duration(bad[i], &v), -EINVAL);
	assert_int_equal(hwsdev_parse_duration("1e300d", &v), -ERANGE);
	assert_int_equal(v, 5);
}

static void test_open_hint_names_the_module(void **state)
{
	(void)state;
	assert_non_null(strstr(hwsdev_open_hint(-ENOENT), "hwstats.ko"));
	assert_non_null(strstr(hwsdev_open_hint(-EACCES), "permission"));
	assert_non_null(strstr(hwsdev_open_hint(-EPROTONOSUPPORT), "ABI"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_accepts_units),
		cmocka_unit_test(test_size_refuses_garbage),
		cmocka_unit_test(test_duration_accepts_units),
		cmocka_unit_test(test_duration_refuses_garbage),
		cmocka_unit_test(test_open_hint_names_the_module),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
