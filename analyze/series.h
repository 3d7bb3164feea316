/* SPDX-License-Identifier: MIT */
/*
 * series.h - the per-value hot path, inline: every value of every sample
 * record passes through one of these two functions, and a call per value
 * across translation units would cost more than the work itself.
 */
#ifndef HWR_SERIES_H
#define HWR_SERIES_H

#include "quantile.h"

void hwr_series_close_interval(struct hwr_series *s, uint32_t kind);

/*
 * First touch of @s in the interval @epoch: start its interval sums and
 * return true (the caller notes it as touched); false if already touched.
 */
static inline bool hwr_series_touch(struct hwr_series *s, uint64_t epoch)
{
	if (s->epoch == epoch)
		return false;
	s->epoch = epoch;
	s->b_inc = 0;
	s->b_dt = 0;
	s->b_n = 0;
	s->b_sum = (struct hwr_sum){ 0, 0 };
	s->b_min = UINT64_MAX;
	s->b_max = 0;
	s->b_valid = false;
	return true;
}

static inline void hwr_series_counter(struct hwr_series *s, uint64_t ts,
				      uint64_t v)
{
	if (__builtin_expect(s->n != 0, 1)) {
		uint64_t d, dt;

		if (__builtin_expect(v >= s->last_val, 1)) {
			d = v - s->last_val;
		} else {
			int kind;

			d = hwr_counter_delta(s->last_val, v, &kind);
			if (kind == HWR_DELTA_RESET)
				s->resets++;
			else
				s->wraps++;
		}
		dt = ts > s->last_ts ? ts - s->last_ts : 0;
		s->increase += d;
		s->span_ns += dt;
		s->b_inc += d;
		s->b_dt += dt;
	} else {
		s->first_ts = ts;
		s->first_val = v;
	}
	s->n++;
	s->last_ts = ts;
	s->last_val = v;
}

static inline void hwr_series_gauge(struct hwr_series *s, uint64_t ts,
				    uint64_t v)
{
	if (__builtin_expect(s->n == 0, 0)) {
		s->first_ts = ts;
		s->first_val = v;
		s->min = v;
		s->max = v;
	}
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	s->n++;
	hwr_sum_add(&s->sum, v);
	hwr_sum_add(&s->b_sum, v);
	s->b_n++;
	if (v < s->b_min)
		s->b_min = v;
	if (v > s->b_max)
		s->b_max = v;
	s->last_ts = ts;
	s->last_val = v;
}

#endif /* HWR_SERIES_H */
