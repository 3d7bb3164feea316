// SPDX-License-Identifier: MIT
/*
 * Unit tests of the report's output helpers (analyze/out_util.c): number
 * formatting that must match printf, escaping for JSON and CSV, and the
 * self-sizing text table.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"

static char *capture(void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, arg);
	fclose(f);
	return buf;
}

static void test_fixed3_matches_printf(void **state)
{
	static const double special[] = {
		0, 0.0005, 0.0015, 0.0025, 1.0005, 2.675, 0.9995, 99.9995,
		123456789.1235, 1e-9, 1e15, 9.2e12, -1.5, -0.0006, -2.675,
	};
	uint64_t s = 7;
	char a[64], b[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		hwr_fmt_fixed3(a, special[i]);
		snprintf(b, sizeof(b), "%.3f", special[i]);
		assert_string_equal(a, b);
	}
	for (i = 0; i < 1000000; i++) {
		double v;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		v = (double)(s >> 11) / (double)(1ULL << 53);
		/* plain, near a tie of the third decimal, large */
		v = i % 3 == 0 ? v * 1e6 : i % 3 == 1 ?
		    floor(v * 1e7) / 1000.0 + 0.0005 : (v - 0.5) * 1e13;
		hwr_fmt_fixed3(a, v);
		snprintf(b, sizeof(b), "%.3f", v);
		if (strcmp(a, b))
			fail_msg("%.17g: %s, printf %s", v, a, b);
	}
	/* no "-0.000" */
	hwr_fmt_fixed3(a, -0.0004);
	assert_string_equal(a, "0.000");
	hwr_fmt_fixed3(a, -0.0);
	assert_string_equal(a, "0.000");
}

static void json_str(FILE *f, const void *s)
{
	hwr_json_str(f, s);
}

static void csv_str(FILE *f, const void *s)
{
	hwr_csv_str(f, s);
}

static void json_nan(FILE *f, const void *s)
{
	(void)s;
	hwr_json_num(f, NAN, 3);
	fputc(' ', f);
	hwr_json_num(f, 1.5, 1);
}

static void test_escaping(void **state)
{
	char *s;

	(void)state;
	s = capture(json_str, "a\"b\\c\n\x01z");
	assert_string_equal(s, "\"a\\\"b\\\\c\\n\\u0001z\"");
	free(s);
	s = capture(csv_str, "plain");
	assert_string_equal(s, "plain");
	free(s);
	s = capture(csv_str, "a,\"b\"");
	assert_string_equal(s, "\"a,\"\"b\"\"\"");
	free(s);
	s = capture(json_nan, NULL);
	assert_string_equal(s, "null 1.5");
	free(s);
}

static void print_table(FILE *f, const void *t)
{
	hwr_table_print(t, f, "> ");
}

static void test_table_sizes_columns_from_cells(void **state)
{
	const char *r1[] = { "name", "value", "x" };
	const char *r2[] = { "a", "12345", NULL };
	struct hwr_table t;
	char *s;

	(void)state;
	assert_int_equal(hwr_table_init(&t, 3, "lrl"), 0);
	assert_int_equal(hwr_table_row(&t, r1), 0);
	assert_int_equal(hwr_table_row(&t, r2), 0);
	s = capture(print_table, &t);
	/* left, right-aligned, and no trailing blanks on the last column */
	assert_string_equal(s, "> name  value  x\n"
			       "> a     12345  -\n");
	free(s);
	hwr_table_free(&t);
}

static void test_u64_dec(void **state)
{
	char buf[32];

	(void)state;
	buf[hwr_u64_dec(buf, 0)] = 0;
	assert_string_equal(buf, "0");
	buf[hwr_u64_dec(buf, UINT64_MAX)] = 0;
	assert_string_equal(buf, "18446744073709551615");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed3_matches_printf),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_table_sizes_columns_from_cells),
		cmocka_unit_test(test_u64_dec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
