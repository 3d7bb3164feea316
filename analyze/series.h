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
/* Slow path of hwr_series_touch(): the dirty list is full. */
int hwr_dirty_grow(struct hwr_ctx *c);

/* First touch of @s in the open interval: start its interval sums. */
static inline int hwr_series_touch(struct hwr_ctx *c, struct hwr_series *s)
{
	if (s->epoch == c->epoch)
		return 0;
	s->epoch = c->epoch;
	s->b_inc = 0;
	s->b_dt = 0;
	s->b_n = 0;
	s->b_sum = (struct hwr_sum){ 0, 0 };
	s->b_min = UINT64_MAX;
	s->b_max = 0;
	s->b_valid = false;
	if (__builtin_expect(c->nr_dirty == c->cap_dirty, 0)) {
		int ret = hwr_dirty_grow(c);

		if (ret)
			return ret;
	}
	c->dirty[c->nr_dirty++] = s;
	return 0;
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
