// SPDX-License-Identifier: MIT
/*
 * quantile.c - a bounded-memory quantile sketch for gauge values.
 *
 * Why this shape: a trace can hold billions of samples of one gauge, so
 * keeping them to sort is out; t-digest and friends give rank error, but
 * people read p99 of a latency or a queue depth as a value, so we bound
 * the *value* error instead, with a log-bucketed histogram in the manner
 * of HdrHistogram: 128 linear sub-buckets per power of two make every
 * bucket at most 1/128 of its lower bound wide, and its midpoint is within
 * 1/256 of anything in it. Values below 256 get a bucket each and are
 * exact. Short series (up to HWR_Q_EXACT values) are kept verbatim and
 * answered exactly, which is what unit tests and short captures need.
 *
 * Histogram layout: block 0 holds values 0..255 (256 counts); block b >= 1
 * holds [2^(b+7), 2^(b+8)) in 128 buckets of width 2^b. Blocks are
 * allocated when first hit, so memory follows the range actually seen.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quantile.h"


struct hwr_qsketch *hwr_qsketch_new(void)
{
	struct hwr_qsketch *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->min = UINT64_MAX;
	return q;
}

void hwr_qsketch_free(struct hwr_qsketch *q)
{
	uint32_t i;

	if (!q)
		return;
	for (i = 0; i < HWR_Q_BLOCKS; i++)
		free(q->block[i]);
	free(q->exact);
	free(q);
}

static int hwr_q_hist_add(struct hwr_qsketch *q, uint64_t v, uint64_t count)
{
	uint32_t blk, sub;

	hwr_q_index(v, &blk, &sub);
	if (!q->block[blk]) {
		q->block[blk] = calloc(blk ? HWR_Q_SUB : HWR_Q_LOW,
				       sizeof(uint64_t));
		if (!q->block[blk])
			return -ENOMEM;
	}
	q->block[blk][sub] += count;
	return 0;
}

static int hwr_q_to_hist(struct hwr_qsketch *q)
{
	uint32_t i;
	int ret;

	for (i = 0; i < q->nexact; i++) {
		ret = hwr_q_hist_add(q, q->exact[i], 1);
		if (ret)
			return ret;
	}
	free(q->exact);
	q->exact = NULL;
	q->hist = true;
	return 0;
}

int hwr_qsketch_add_slow(struct hwr_qsketch *q, uint64_t v)
{
	int ret;

	if (!q->hist) {
		if (!q->exact) {
			q->exact = malloc(HWR_Q_EXACT * sizeof(uint64_t));
			if (!q->exact)
				return -ENOMEM;
		}
		if (q->nexact < HWR_Q_EXACT) {
			q->exact[q->nexact++] = v;
			goto stats;
		}
		/* Full: from now on a histogram, the kept values first. */
		ret = hwr_q_to_hist(q);
		if (ret)
			return ret;
	}
	ret = hwr_q_hist_add(q, v, 1);
	if (ret)
		return ret;
stats:
	q->n++;
	if (v < q->min)
		q->min = v;
	if (v > q->max)
		q->max = v;
	return 0;
}

int hwr_qsketch_merge(struct hwr_qsketch *q, const struct hwr_qsketch *o)
{
	uint32_t i, blk, nsub;
	int ret;

	if (!o->hist) {
		for (i = 0; i < o->nexact; i++) {
			ret = hwr_qsketch_add_slow(q, o->exact[i]);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (!q->hist) {
		ret = hwr_q_to_hist(q);
		if (ret)
			return ret;
	}
	for (blk = 0; blk < HWR_Q_BLOCKS; blk++) {
		if (!o->block[blk])
			continue;
		nsub = blk ? HWR_Q_SUB : HWR_Q_LOW;
		if (!q->block[blk]) {
			q->block[blk] = calloc(nsub, sizeof(uint64_t));
			if (!q->block[blk])
				return -ENOMEM;
		}
		for (i = 0; i < nsub; i++)
			q->block[blk][i] += o->block[blk][i];
	}
	q->n += o->n;
	if (o->min < q->min)
		q->min = o->min;
	if (o->max > q->max)
		q->max = o->max;
	return 0;
}

uint64_t hwr_qsketch_count(const struct hwr_qsketch *q)
{
	return q ? q->n : 0;
}

bool hwr_qsketch_exact(const struct hwr_qsketch *q)
{
	return !q || !q->hist;
}

static int hwr_q_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t hwr_q_rank(const struct hwr_qsketch *q, double p)
{
	double r = ceil(p * (double)q->n);

	if (!(r >= 1))
		return 1;
	if (r >= (double)q->n)
		return q->n;
	return (uint64_t)r;
}

/* Midpoint of bucket (blk, sub), computed without overflow at 2^64. */
static uint64_t hwr_q_mid(uint32_t blk, uint32_t sub)
{
	uint32_t shift;
	uint64_t lo, w;

	if (!blk)
		return sub;
	shift = blk;
	lo = (uint64_t)(HWR_Q_SUB + sub) << shift;
	w = 1ULL << shift;
	return lo + w / 2;
}

uint64_t hwr_qsketch_quantile(const struct hwr_qsketch *q, double p)
{
	uint64_t rank, seen = 0, v = 0;
	uint32_t blk, sub, nsub;

	if (!q || !q->n)
		return 0;
	rank = hwr_q_rank(q, p);
	/* The extremes are known exactly; no bucket needed. */
	if (rank == 1)
		return q->min;
	if (rank == q->n)
		return q->max;
	if (!q->hist) {
		uint64_t *tmp = malloc(q->nexact * sizeof(uint64_t));

		if (!tmp)
			return 0;
		memcpy(tmp, q->exact, q->nexact * sizeof(uint64_t));
		qsort(tmp, q->nexact, sizeof(uint64_t), hwr_q_cmp);
		v = tmp[rank - 1];
		free(tmp);
		return v;
	}
	for (blk = 0; blk < HWR_Q_BLOCKS; blk++) {
		if (!q->block[blk])
			continue;
		nsub = blk ? HWR_Q_SUB : HWR_Q_LOW;
		for (sub = 0; sub < nsub; sub++) {
			seen += q->block[blk][sub];
			if (seen >= rank) {
				v = hwr_q_mid(blk, sub);
				goto out;
			}
		}
	}
	v = q->max;
out:
	if (v < q->min)
		v = q->min;
	if (v > q->max)
		v = q->max;
	return v;
}

int hwr_qsketch_add(struct hwr_qsketch *q, uint64_t v)
{
	return hwr_qsketch_add_inline(q, v);
}
