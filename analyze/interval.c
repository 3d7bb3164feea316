// SPDX-License-Identifier: MIT
/*
 * interval.c - the open interval: the series touched in it (the engine's
 * own dirty list, so series.c stays a leaf), and closing it into per-CPU
 * and per-counter values for the sinks.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"

int hwr_intervals_init(struct hwr_ctx *c, uint32_t total, uint32_t nsel)
{
	c->cap_dirty = total + 16;
	c->dirty = calloc(c->cap_dirty, sizeof(*c->dirty));
	c->cap_dirty_c = nsel + 1;
	c->dirty_c = calloc(c->cap_dirty_c, sizeof(*c->dirty_c));
	return c->dirty && c->dirty_c ? 0 : -ENOMEM;
}

int hwr_dirty_grow(struct hwr_ctx *c)
{
	uint32_t n = c->cap_dirty * 2 + 16;
	struct hwr_series **d = realloc(c->dirty, n * sizeof(*d));

	if (!d)
		return -ENOMEM;
	c->dirty = d;
	c->cap_dirty = n;
	return 0;
}

static int hwr_series_cpu_cmp(const void *a, const void *b)
{
	const struct hwr_series *x = *(struct hwr_series *const *)a;
	const struct hwr_series *y = *(struct hwr_series *const *)b;

	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

/*
 * The touched series in CPU order: a counter's rate is the sum of its
 * CPUs' rates, doubles added in CPU order, so that a split run (split.c),
 * which sees each CPU's rates apart, adds them up to the same bits. A
 * counter has one series per CPU, so the order within a CPU is free.
 */
static void hwr_dirty_sort(struct hwr_ctx *c)
{
	uint32_t i;

	for (i = 1; i < c->nr_dirty; i++)
		if (c->dirty[i]->cpu < c->dirty[i - 1]->cpu)
			break;
	if (i < c->nr_dirty)
		qsort(c->dirty, c->nr_dirty, sizeof(*c->dirty),
		      hwr_series_cpu_cmp);
}

/* Hand the open interval to the sinks, then forget it. */
int hwr_close_interval(struct hwr_ctx *c)
{
	struct hwr_interval iv = {
		.start_ts = c->b_start,
		.len_ns = c->v.interval_ns,
	};
	uint32_t i;
	int ret;

	if (!c->b_open)
		return 0;
	iv.index = (c->b_start - c->b_base) / c->v.interval_ns;
	hwr_dirty_sort(c);
	for (i = 0; i < c->nr_dirty; i++) {
		struct hwr_series *s = c->dirty[i];
		struct hwr_counter *ct = s->ctr;

		hwr_series_close_interval(s, ct->kind);
		if (ct->epoch != c->v.epoch) {
			ct->epoch = c->v.epoch;
			ct->b_rate = 0;
			ct->b_sum = (struct hwr_sum){ 0, 0 };
			ct->b_n = 0;
			ct->b_min = UINT64_MAX;
			ct->b_max = 0;
			ct->b_valid = false;
			c->dirty_c[c->nr_dirty_c++] = ct;
		}
		if (ct->kind == HWSTATS_KIND_COUNTER) {
			if (s->b_valid) {
				ct->b_rate += s->b_value;
				ct->b_valid = true;
			}
		} else {
			hwr_sum_merge(&ct->b_sum, &s->b_sum);
			ct->b_n += s->b_n;
			if (s->b_n && s->b_min < ct->b_min)
				ct->b_min = s->b_min;
			if (s->b_n && s->b_max > ct->b_max)
				ct->b_max = s->b_max;
		}
	}
	for (i = 0; i < c->nr_dirty_c; i++) {
		struct hwr_counter *ct = c->dirty_c[i];

		if (ct->kind == HWSTATS_KIND_COUNTER) {
			ct->b_value = ct->b_rate;
			if (ct->b_valid && ct->b_value > ct->peak)
				ct->peak = ct->b_value;
		} else if (ct->b_n) {
			ct->b_value = hwr_sum_mean(&ct->b_sum, ct->b_n);
			ct->b_valid = true;
		}
	}
	if (c->on_close && c->nr_dirty) {
		ret = c->on_close(c, iv.index);
		if (ret)
			return ret;
	}
	if (c->cfg.need_intervals && c->nr_dirty) {
		ret = hwr_sinks_call(c, interval, &iv);
		if (ret)
			return ret;
	}
	c->v.nr_intervals += c->nr_dirty != 0;
	c->nr_dirty = 0;
	c->nr_dirty_c = 0;
	c->v.epoch++;
	c->b_open = false;
	return 0;
}

int hwr_open_interval(struct hwr_ctx *c, uint64_t ts)
{
	uint64_t k;
	int ret;

	ret = hwr_close_interval(c);
	if (ret)
		return ret;
	/* Intervals are aligned to the time zero (or --from): rows read
	 * 1.000, 2.000, ... and two reports of one trace line up. */
	k = ts > c->b_base ? (ts - c->b_base) / c->v.interval_ns : 0;
	c->b_start = c->b_base + k * c->v.interval_ns;
	c->b_end = c->b_start + c->v.interval_ns;
	if (c->b_end < c->b_start)
		c->b_end = UINT64_MAX;
	c->b_open = true;
	return 0;
}
