/* SPDX-License-Identifier: MIT */
/*
 * quantile.h - the sketch's layout, shared with the hot path: adding a
 * value to a histogram that has its bucket already is a handful of
 * instructions, and a call per gauge value would cost more than that.
 */
#ifndef HWR_QUANTILE_H
#define HWR_QUANTILE_H

#include "sink.h"

#define HWR_Q_SUB	(1U << HWR_Q_SUB_BITS)		/* 128 */
#define HWR_Q_LOW	(2U * HWR_Q_SUB)		/* 256: exact below */
#define HWR_Q_BLOCKS	(64 - HWR_Q_SUB_BITS)		/* 0..56 */

struct hwr_qsketch {
	uint64_t n;
	uint64_t min, max;
	uint32_t nexact;
	bool hist;
	uint64_t *exact;		/* HWR_Q_EXACT values until hist */
	uint64_t *block[HWR_Q_BLOCKS];
};

/*
 * Add every value @o took to @q: the same sketch as if @q had taken them
 * itself, in any order (exact values are a multiset until HWR_Q_EXACT,
 * then bucket counts, which add up).
 */
int hwr_qsketch_merge(struct hwr_qsketch *q, const struct hwr_qsketch *o);

/* Everything but the common case: exact mode, a new block. */
int hwr_qsketch_add_slow(struct hwr_qsketch *q, uint64_t v);

static inline void hwr_q_index(uint64_t v, uint32_t *blk, uint32_t *sub)
{
	uint32_t e;

	if (v < HWR_Q_LOW) {
		*blk = 0;
		*sub = (uint32_t)v;
		return;
	}
	e = 63 - (uint32_t)__builtin_clzll(v);		/* >= 8 */
	*blk = e - HWR_Q_SUB_BITS;
	*sub = (uint32_t)(v >> (e - HWR_Q_SUB_BITS)) & (HWR_Q_SUB - 1);
}

static inline int hwr_qsketch_add_inline(struct hwr_qsketch *q, uint64_t v)
{
	uint32_t blk, sub;

	if (__builtin_expect(q->hist, 1)) {
		hwr_q_index(v, &blk, &sub);
		if (__builtin_expect(q->block[blk] != NULL, 1)) {
			q->block[blk][sub]++;
			q->n++;
			if (v < q->min)
				q->min = v;
			if (v > q->max)
				q->max = v;
			return 0;
		}
	}
	return hwr_qsketch_add_slow(q, v);
}

#endif /* HWR_QUANTILE_H */
