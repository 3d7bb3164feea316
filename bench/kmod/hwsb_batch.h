/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batch timing shared by the benchmark modules (hwstats_bench.c, part 1;
 * bench/peers/kmod/hwsb_peers.c, the peers): several methods take turns,
 * a batch of records each, each full batch timed with ktime_get_ns(); a
 * method's account keeps every full batch's time in turn order, so that
 * two methods' batches of the same turn can be compared (the ratio a busy
 * host disturbs least).
 */
#ifndef _HWSB_BATCH_H
#define _HWSB_BATCH_H

#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/types.h>

/* The times of one method's full batches, in turn order. */
struct hwsb_batches {
	u64 *ns;
	u64 nr;
};

/* The summary of one method's batches against a reference method's. */
struct hwsb_batch_sum {
	u64 min;	/* the fastest batch, ns */
	u64 med;	/* the median batch, ns */
	u64 vs;		/* median over turns of ns / ref ns, thousandths */
};

static inline int hwsb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Summarise @b against @ref (the same number of turns; @ref may be @b),
 * with @tmp room for @b->nr values. Neither @b nor @ref is reordered: the
 * ratio of each turn is taken before anything is sorted, and the sorting
 * is done in @tmp. All zero when there are no batches or the counts differ.
 */
static inline struct hwsb_batch_sum
hwsb_batch_sum(const struct hwsb_batches *b, const struct hwsb_batches *ref,
	       u64 *tmp)
{
	struct hwsb_batch_sum s = { 0 };
	u64 i, nb = b->nr;

	if (!nb || ref->nr != nb)
		return s;
	for (i = 0; i < nb; i++)
		tmp[i] = div64_u64(b->ns[i] * 1000, max_t(u64, ref->ns[i], 1));
	sort(tmp, nb, sizeof(u64), hwsb_cmp_u64, NULL);
	s.vs = tmp[nb / 2];
	memcpy(tmp, b->ns, nb * sizeof(u64));
	sort(tmp, nb, sizeof(u64), hwsb_cmp_u64, NULL);
	s.min = tmp[0];
	s.med = tmp[nb / 2];
	return s;
}

#endif /* _HWSB_BATCH_H */
