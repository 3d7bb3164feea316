// SPDX-License-Identifier: MIT
/*
 * series.c - one counter on one CPU: increases, wraps and resets, and
 * what an interval makes of them.
 *
 * Counters are per CPU in the record stream (each CPU samples its own
 * copy), so each CPU's samples form one series; increases and rates are
 * computed per series and summed, never by subtracting values of
 * different CPUs.
 *
 * A leaf: it knows series, not the engine (summary.c), which keeps its own
 * list of the series touched in the open interval.
 */
#include <string.h>

#include "series.h"

uint64_t hwr_counter_delta(uint64_t prev, uint64_t cur, int *kind)
{
	const uint64_t q64 = 1ULL << 62, q32 = 1ULL << 30;

	if (cur >= prev) {
		*kind = HWR_DELTA_UP;
		return cur - prev;
	}
	/*
	 * A wrap goes from near the top of the range to near zero; a reset
	 * (device restart, driver reload) goes from anywhere to near zero.
	 * Quarters of the range tell them apart without knowing the
	 * sampling rate; unsigned arithmetic makes the 64-bit increase
	 * cur + 2^64 - prev come out of cur - prev directly.
	 */
	if (prev >= 3 * q64 && cur < q64) {
		*kind = HWR_DELTA_WRAP64;
		return cur - prev;
	}
	if (prev < (1ULL << 32) && prev >= 3 * q32 && cur < q32) {
		*kind = HWR_DELTA_WRAP32;
		return cur + (1ULL << 32) - prev;
	}
	*kind = HWR_DELTA_RESET;
	return cur;
}

void hwr_series_close_interval(struct hwr_series *s, uint32_t kind)
{
	s->b_valid = false;
	if (kind == HWSTATS_KIND_COUNTER) {
		/*
		 * The rate over the time the deltas cover, not over the
		 * nominal interval: the first interval of a series, the last
		 * one, and one after a gap are then as right as the others.
		 */
		if (s->b_dt) {
			s->b_value = (double)s->b_inc * 1e9 / (double)s->b_dt;
			s->b_valid = true;
			if (s->b_value > s->peak)
				s->peak = s->b_value;
		}
	} else if (s->b_n) {
		s->b_value = hwr_sum_mean(&s->b_sum, s->b_n);
		s->b_valid = true;
	}
}

void hwr_series_stats(const struct hwr_series *s, struct hwr_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s || !s->n)
		return;
	st->n = s->n;
	st->first_ts = s->first_ts;
	st->last_ts = s->last_ts;
	if (s->ctr->kind == HWSTATS_KIND_COUNTER) {
		st->increase = s->increase;
		st->mean_rate = s->span_ns ?
			(double)s->increase * 1e9 / (double)s->span_ns : 0;
		st->peak_rate = s->peak;
		st->wraps = s->wraps;
		st->resets = s->resets;
	} else {
		st->min = s->min;
		st->max = s->max;
		st->mean = hwr_sum_mean(&s->sum, s->n);
		if (s->q) {
			st->p50 = hwr_qsketch_quantile(s->q, 0.50);
			st->p95 = hwr_qsketch_quantile(s->q, 0.95);
			st->p99 = hwr_qsketch_quantile(s->q, 0.99);
			st->q_exact = hwr_qsketch_exact(s->q);
		}
	}
}
