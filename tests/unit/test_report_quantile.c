// SPDX-License-Identifier: MIT
/*
 * Unit tests of the gauge quantile sketch (analyze/quantile.c): exact on
 * short series, within its documented 1/256 relative error on long ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "report.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank quantile of a sorted array, as the sketch defines it. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double p)
{
	size_t r = (size_t)(p * (double)n);

	if ((double)r < p * (double)n)
		r++;
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return sorted[r - 1];
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 11;
}

static void test_quantile_empty_is_zero(void **state)
{
	struct hwr_qsketch *q = hwr_qsketch_new();

	(void)state;
	assert_non_null(q);
	assert_int_equal(hwr_qsketch_count(q), 0);
	assert_int_equal(hwr_qsketch_quantile(q, 0.5), 0);
	hwr_qsketch_free(q);
	hwr_qsketch_free(NULL);
}

static void test_quantile_short_series_is_exact(void **state)
{
	struct hwr_qsketch *q = hwr_qsketch_new();
	uint64_t v;

	(void)state;
	/* 1..100 added in a scrambled order */
	for (v = 0; v < 100; v++)
		assert_int_equal(hwr_qsketch_add(q, (v * 37) % 100 + 1), 0);
	assert_true(hwr_qsketch_exact(q));
	assert_int_equal(hwr_qsketch_quantile(q, 0.50), 50);
	assert_int_equal(hwr_qsketch_quantile(q, 0.95), 95);
	assert_int_equal(hwr_qsketch_quantile(q, 0.99), 99);
	assert_int_equal(hwr_qsketch_quantile(q, 1.0), 100);
	assert_int_equal(hwr_qsketch_quantile(q, 0.0), 1);
	hwr_qsketch_free(q);
}

static void test_quantile_exact_up_to_limit_then_histogram(void **state)
{
	struct hwr_qsketch *q = hwr_qsketch_new();
	uint64_t i;

	(void)state;
	for (i = 0; i < HWR_Q_EXACT; i++)
		hwr_qsketch_add(q, 1000000 + i * 1000);
	assert_true(hwr_qsketch_exact(q));
	/* rank ceil(0.5 * 512) = 256 -> the 256th value */
	assert_int_equal(hwr_qsketch_quantile(q, 0.5), 1000000 + 255 * 1000);
	hwr_qsketch_add(q, 5);
	assert_false(hwr_qsketch_exact(q));
	assert_int_equal(hwr_qsketch_count(q), HWR_Q_EXACT + 1);
	/* the minimum is exact even in histogram mode */
	assert_int_equal(hwr_qsketch_quantile(q, 0.0), 5);
	hwr_qsketch_free(q);
}

static void test_quantile_small_values_exact_in_histogram(void **state)
{
	struct hwr_qsketch *q = hwr_qsketch_new();
	uint64_t i;

	(void)state;
	/* 0..199, ten times each: below 256 every value has its bucket */
	for (i = 0; i < 2000; i++)
		hwr_qsketch_add(q, i % 200);
	assert_false(hwr_qsketch_exact(q));
	assert_int_equal(hwr_qsketch_quantile(q, 0.50), 99);
	assert_int_equal(hwr_qsketch_quantile(q, 0.95), 189);
	assert_int_equal(hwr_qsketch_quantile(q, 0.99), 197);
	hwr_qsketch_free(q);
}

static void check_bound(const uint64_t *sorted, size_t n,
			const struct hwr_qsketch *q, double p)
{
	uint64_t e = exact_quantile(sorted, n, p);
	uint64_t a = hwr_qsketch_quantile(q, p);
	double err = a > e ? (double)(a - e) : (double)(e - a);

	if (err > (double)e / 256.0)
		fail_msg("p%.3f: sketch %llu, exact %llu, error %.6f > 1/256",
			 p, (unsigned long long)a, (unsigned long long)e,
			 err / (double)e);
}

static void test_quantile_large_within_bound(void **state)
{
	static const double ps[] = { 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999 };
	const size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v)), s = 42;
	struct hwr_qsketch *q = hwr_qsketch_new();
	size_t i, k;

	(void)state;
	assert_non_null(v);
	/* a skewed distribution spanning six decades */
	for (i = 0; i < n; i++) {
		uint64_t x = lcg(&s) % 1000000;

		v[i] = x * x / 1000 + 300;
		assert_int_equal(hwr_qsketch_add(q, v[i]), 0);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (k = 0; k < sizeof(ps) / sizeof(ps[0]); k++)
		check_bound(v, n, q, ps[k]);
	assert_int_equal(hwr_qsketch_quantile(q, 1.0), v[n - 1]);
	free(v);
	hwr_qsketch_free(q);
}

static void test_quantile_extremes(void **state)
{
	struct hwr_qsketch *q = hwr_qsketch_new();
	uint64_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		hwr_qsketch_add(q, i & 1 ? UINT64_MAX : 0);
	assert_int_equal(hwr_qsketch_quantile(q, 0.25), 0);
	/* the top bucket's midpoint, clamped to the maximum seen */
	assert_true(hwr_qsketch_quantile(q, 0.99) >=
		    UINT64_MAX - UINT64_MAX / 256);
	assert_int_equal(hwr_qsketch_quantile(q, 1.0), UINT64_MAX);
	hwr_qsketch_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_empty_is_zero),
		cmocka_unit_test(test_quantile_short_series_is_exact),
		cmocka_unit_test(test_quantile_exact_up_to_limit_then_histogram),
		cmocka_unit_test(test_quantile_small_values_exact_in_histogram),
		cmocka_unit_test(test_quantile_large_within_bound),
		cmocka_unit_test(test_quantile_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
