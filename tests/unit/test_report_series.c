// SPDX-License-Identifier: MIT
/*
 * Unit tests of the report's analysis (analyze/summary.c, series.c), fed
 * hand-made records directly, no file involved: increases, rates summed
 * over CPUs, wraps and resets, interval rates and peaks, gauge statistics,
 * loss and sequence gaps with their time ranges, and the filters.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "report.h"

#define MS 1000000ULL
#define T0 (1000 * HWR_NS_PER_SEC)

#define assert_near(a, b, eps) do {					\
	double a_ = (a), b_ = (b);					\
	if (!(fabs(a_ - b_) <= (eps)))					\
		fail_msg("%s = %.9g, expected %.9g", #a, a_, b_);	\
} while (0)

/* ---- a header: source "dev" (id 7): rx, tx counters, q gauge;
 *      source "aux" (id 9): ev counter ---- */

static struct hws_counter dev_ctr[] = {
	{ .name = "rx", .unit = "bytes", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "tx", .unit = "bytes", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "q", .unit = "entries", .kind = HWSTATS_KIND_GAUGE },
};
static struct hws_counter aux_ctr[] = {
	{ .name = "ev", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
};
static struct hws_source srcs[] = {
	{ .id = 7, .nr_counters = 3, .name = "dev", .counters = dev_ctr },
	{ .id = 9, .nr_counters = 1, .name = "aux", .counters = aux_ctr },
};
static const struct hws_header hdr = {
	.format_major = 1,
	.host = "testhost",
	.kernel = "6.1.0",
	.nr_cpus = 2,
	.period_ns = 10 * MS,
	.start_boot_ns = T0,
	.start_real_ns = 1795813200ULL * HWR_NS_PER_SEC,
	.nr_sources = 2,
	.sources = srcs,
};

/* ---- a sink that keeps what the engine hands out ---- */

struct cap_val {
	uint64_t ts;
	char name[2 * HWSTATS_NAME_LEN + 2];
	int cpu;		/* -1: all CPUs */
	double v;
};

struct cap {
	struct cap_val val[4096];
	uint32_t nval;
	struct hwr_event ev[64];
	uint32_t nev;
	uint32_t nintervals;
	bool ended;
};

static int cap_interval(struct hwr_sink *s, const struct hwr_view *c,
			const struct hwr_interval *iv)
{
	struct cap *k = s->priv;
	uint32_t i, j, cpu;
	double v;

	k->nintervals++;
	for (i = 0; i < c->nr_sources; i++) {
		const struct hwr_source *src = &c->sources[i];

		for (j = 0; src->selected && j < src->nr_counters; j++) {
			const struct hwr_counter *ct = &src->counters[j];

			if (!ct->selected)
				continue;
			if (hwr_counter_value(c, ct, &v) && k->nval < 4096) {
				struct cap_val *cv = &k->val[k->nval++];

				cv->ts = iv->start_ts;
				snprintf(cv->name, sizeof(cv->name), "%s.%s",
					 src->name, ct->name);
				cv->cpu = -1;
				cv->v = v;
			}
			for (cpu = 0; cpu < c->cpu_cap; cpu++) {
				if (!hwr_series_value(c, hwr_series_of(c, ct,
								       cpu),
						      &v) || k->nval >= 4096)
					continue;
				struct cap_val *cv = &k->val[k->nval++];

				cv->ts = iv->start_ts;
				snprintf(cv->name, sizeof(cv->name), "%s.%s",
					 src->name, ct->name);
				cv->cpu = (int)cpu;
				cv->v = v;
			}
		}
	}
	return 0;
}

static int cap_event(struct hwr_sink *s, const struct hwr_view *c,
		     const struct hwr_event *ev)
{
	struct cap *k = s->priv;

	(void)c;
	if (k->nev < 64)
		k->ev[k->nev++] = *ev;
	return 0;
}

static int cap_end(struct hwr_sink *s, const struct hwr_view *c)
{
	(void)c;
	((struct cap *)s->priv)->ended = true;
	return 0;
}

static void cap_free(struct hwr_sink *s)
{
	free(s->priv);
}

static const struct hwr_sink_ops cap_ops = {
	.name = "capture",
	.interval = cap_interval,
	.event = cap_event,
	.end = cap_end,
	.free = cap_free,
};

/* The values captured for @name on @cpu, in order, into @out. */
static uint32_t cap_series(const struct cap *k, const char *name, int cpu,
			   double *out, uint64_t *ts, uint32_t max)
{
	uint32_t i, n = 0;

	for (i = 0; i < k->nval && n < max; i++) {
		if (strcmp(k->val[i].name, name) || k->val[i].cpu != cpu)
			continue;
		if (ts)
			ts[n] = k->val[i].ts;
		out[n++] = k->val[i].v;
	}
	return n;
}

/* ---- building a ctx and feeding it ---- */

static struct hwr_ctx *mk(struct hwr_config *cfg, struct cap **capp)
{
	struct hwr_sink *s = calloc(1, sizeof(*s));
	const char *bad = NULL;
	struct hwr_ctx *c;

	cfg->need_intervals = true;
	c = hwr_new(cfg);
	assert_non_null(c);
	assert_non_null(s);
	s->ops = &cap_ops;
	s->priv = calloc(1, sizeof(struct cap));
	assert_non_null(s->priv);
	*capp = s->priv;
	assert_int_equal(hwr_add_sink(c, s), 0);
	assert_int_equal(hwr_add_file(c, "test.hws", &hdr), 0);
	assert_int_equal(hwr_begin(c, &bad), 0);
	return c;
}

static int feed_sample(struct hwr_ctx *c, uint32_t cpu, uint32_t src,
		       uint64_t ts, uint64_t seq, uint32_t first,
		       const uint64_t *v, uint32_t n)
{
	uint64_t buf[64];
	struct hwstats_sample *sm = (void *)buf;

	memset(buf, 0, sizeof(buf));
	sm->hdr.type = HWSTATS_REC_SAMPLE;
	sm->hdr.len = (uint16_t)(sizeof(*sm) + n * 8);
	sm->hdr.source = src;
	sm->hdr.ts = ts;
	sm->seq = seq;
	sm->first = first;
	memcpy(sm->value, v, n * 8);
	return hwr_feed(c, &sm->hdr, cpu, 0);
}

static int feed_subbuf(struct hwr_ctx *c, uint32_t cpu, uint64_t ts,
		       uint64_t seq, uint64_t lost)
{
	struct hwstats_subbuf_hdr h = {
		.hdr = { .type = HWSTATS_REC_SUBBUF, .len = sizeof(h),
			 .source = cpu, .ts = ts },
		.magic = HWSTATS_SUBBUF_MAGIC,
		.cpu = cpu,
		.seq = seq,
		.lost = lost,
		.subbuf_size = 4096,
	};

	return hwr_feed(c, &h.hdr, cpu, 0);
}

static const struct hwr_counter *ctr(const struct hwr_ctx *c, const char *src,
				     const char *name)
{
	uint32_t i, k;

	for (i = 0; i < c->nr_sources; i++)
		for (k = 0; k < c->sources[i].nr_counters; k++)
			if (!strcmp(c->sources[i].name, src) &&
			    !strcmp(c->sources[i].counters[k].name, name))
				return &c->sources[i].counters[k];
	fail_msg("no counter %s.%s", src, name);
	return NULL;
}

/* ---- tests ---- */

static void test_counter_delta_up_wrap_reset(void **state)
{
	int kind;

	(void)state;
	assert_int_equal(hwr_counter_delta(10, 15, &kind), 5);
	assert_int_equal(kind, HWR_DELTA_UP);
	assert_int_equal(hwr_counter_delta(0xFFFFFFF0ULL, 0x10, &kind), 0x20);
	assert_int_equal(kind, HWR_DELTA_WRAP32);
	assert_int_equal(hwr_counter_delta(UINT64_MAX - 5, 4, &kind), 10);
	assert_int_equal(kind, HWR_DELTA_WRAP64);
	/* a drop from the middle of the range is a reset: count from 0 */
	assert_int_equal(hwr_counter_delta(1000, 10, &kind), 10);
	assert_int_equal(kind, HWR_DELTA_RESET);
	assert_int_equal(hwr_counter_delta(0x90000000ULL, 5, &kind), 5);
	assert_int_equal(kind, HWR_DELTA_RESET);
	/* near the 32-bit top but landing high is no wrap either */
	assert_int_equal(hwr_counter_delta(0xFFFFFFF0ULL, 0x80000000ULL,
					   &kind), 0x80000000ULL);
	assert_int_equal(kind, HWR_DELTA_RESET);
}

static void test_counter_rate_one_cpu(void **state)
{
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	const struct hwr_counter *rx;
	double v[16];
	uint64_t i, ts[16];
	uint32_t n;

	(void)state;
	for (i = 1; i <= 300; i++) {
		uint64_t val[2] = { 5 * i, 0 };

		assert_int_equal(feed_sample(c, 0, 7, T0 + i * 10 * MS, i - 1,
					     0, val, 2), 0);
	}
	assert_int_equal(hwr_finish(c), 0);
	rx = ctr(c, "dev", "rx");
	assert_int_equal(rx->st.n, 300);
	assert_int_equal(rx->st.increase, 5 * 299);
	assert_near(rx->st.mean_rate, 500, 1e-6);
	assert_near(rx->st.peak_rate, 500, 1e-6);
	assert_int_equal(rx->st.first_ts, T0 + 10 * MS);
	assert_int_equal(rx->st.last_ts, T0 + 3000 * MS);
	/* intervals start at the time zero, one per second */
	n = cap_series(k, "dev.rx", -1, v, ts, 16);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		assert_near(v[i], 500, 1e-6);
		assert_int_equal(ts[i], T0 + i * HWR_NS_PER_SEC);
	}
	/* q was never sampled; the unselected source aux neither */
	assert_int_equal(ctr(c, "dev", "q")->st.n, 0);
	assert_true(k->ended);
	assert_int_equal(k->nev, 0);
	hwr_free(c);
}

static void test_counter_rates_sum_over_cpus(void **state)
{
	struct hwr_config cfg = { .per_cpu = true };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	const struct hwr_counter *rx;
	struct hwr_stats st;
	double v[16];
	uint64_t i;

	(void)state;
	for (i = 1; i <= 300; i++) {
		uint64_t a[1] = { i }, b[1] = { 1000000 + 3 * i };

		feed_sample(c, 0, 7, T0 + i * 10 * MS, i - 1, 0, a, 1);
		feed_sample(c, 1, 7, T0 + i * 10 * MS + 1000, i - 1, 0, b, 1);
	}
	hwr_finish(c);
	rx = ctr(c, "dev", "rx");
	/* never cpu1's value minus cpu0's: each CPU is its own series */
	assert_int_equal(rx->st.increase, 299 + 3 * 299);
	assert_near(rx->st.mean_rate, 400, 1e-6);
	assert_near(rx->st.peak_rate, 400, 1e-6);
	hwr_series_stats(hwr_series_of(hwr_view(c), rx, 0), &st);
	assert_near(st.mean_rate, 100, 1e-6);
	assert_int_equal(st.increase, 299);
	hwr_series_stats(hwr_series_of(hwr_view(c), rx, 1), &st);
	assert_near(st.mean_rate, 300, 1e-6);
	assert_int_equal(cap_series(k, "dev.rx", -1, v, NULL, 16), 4);
	assert_near(v[1], 400, 1e-6);
	assert_int_equal(cap_series(k, "dev.rx", 1, v, NULL, 16), 4);
	assert_near(v[2], 300, 1e-6);
	hwr_free(c);
}

static void test_counter_wraps_and_resets_counted(void **state)
{
	static const uint64_t rx[] = {
		0xFFFFFF00ULL, 0xFFFFFFF0ULL, 0x10, 0x50, 5, 10,
	};
	static const uint64_t tx[] = {
		UINT64_MAX - 100, UINT64_MAX - 9, 5, 6, 7, 8,
	};
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	const struct hwr_counter *r, *t;
	uint64_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		uint64_t val[2] = { rx[i], tx[i] };

		feed_sample(c, 0, 7, T0 + (i + 1) * 10 * MS, i, 0, val, 2);
	}
	hwr_finish(c);
	r = ctr(c, "dev", "rx");
	t = ctr(c, "dev", "tx");
	assert_int_equal(r->st.increase, 0xF0 + 0x20 + 0x40 + 5 + 5);
	assert_int_equal(r->st.wraps, 1);
	assert_int_equal(r->st.resets, 1);
	assert_int_equal(t->st.increase, 91 + 15 + 1 + 1 + 1);
	assert_int_equal(t->st.wraps, 1);
	assert_int_equal(t->st.resets, 0);
	hwr_free(c);
}

static void test_interval_rates_and_peak(void **state)
{
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	const struct hwr_counter *rx;
	uint64_t i, val = 0;
	double v[8];

	(void)state;
	for (i = 1; i < 300; i++) {
		val += i < 100 ? 1 : i < 200 ? 10 : 2;
		feed_sample(c, 0, 7, T0 + i * 10 * MS, i - 1, 0, &val, 1);
	}
	hwr_finish(c);
	assert_int_equal(cap_series(k, "dev.rx", -1, v, NULL, 8), 3);
	assert_near(v[0], 100, 1e-6);
	assert_near(v[1], 1000, 1e-6);
	assert_near(v[2], 200, 1e-6);
	rx = ctr(c, "dev", "rx");
	assert_near(rx->st.peak_rate, 1000, 1e-6);
	/* the mean is over the whole span: (98 + 1000 + 200) / 2.98 s */
	assert_near(rx->st.mean_rate, (98.0 + 1000 + 200) / 2.98, 1e-6);
	hwr_free(c);
}

static void test_interval_option_changes_buckets(void **state)
{
	struct hwr_config cfg = { .interval_ns = 500 * MS,
				  .interval_table = true };
	struct cap *k;
	struct hwr_ctx *c;
	uint64_t i, ts[8], val = 0;
	double v[8];

	(void)state;
	assert_int_equal(hwr_parse_time("0.25", &cfg.from), 0);
	c = mk(&cfg, &k);
	for (i = 1; i < 200; i++) {
		val += 2;
		feed_sample(c, 0, 7, T0 + i * 10 * MS, i - 1, 0, &val, 1);
	}
	hwr_finish(c);
	/* aligned to --from: 0.25, 0.75, 1.25, 1.75 s */
	assert_int_equal(cap_series(k, "dev.rx", -1, v, ts, 8), 4);
	assert_int_equal(ts[0], T0 + 250 * MS);
	assert_int_equal(ts[3], T0 + 1750 * MS);
	assert_near(v[0], 200, 1e-6);
	/* the first selected sample starts the series: no delta before */
	assert_int_equal(ctr(c, "dev", "rx")->st.increase, 2 * (199 - 25));
	hwr_free(c);
}

static void test_gauge_statistics_exact(void **state)
{
	struct hwr_config cfg = { .per_cpu = true };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	const struct hwr_counter *q;
	struct hwr_stats st;
	double v[8];
	uint64_t i;

	(void)state;
	for (i = 1; i <= 100; i++) {
		uint64_t a = i, b = 100 + i;

		feed_sample(c, 0, 7, T0 + i * 10 * MS, i - 1, 2, &a, 1);
		feed_sample(c, 1, 7, T0 + i * 10 * MS + 5, i - 1, 2, &b, 1);
	}
	hwr_finish(c);
	q = ctr(c, "dev", "q");
	assert_int_equal(q->st.n, 200);
	assert_int_equal(q->st.min, 1);
	assert_int_equal(q->st.max, 200);
	assert_near(q->st.mean, 100.5, 1e-9);
	assert_int_equal(q->st.p50, 100);
	assert_int_equal(q->st.p95, 190);
	assert_int_equal(q->st.p99, 198);
	assert_true(q->st.q_exact);
	hwr_series_stats(hwr_series_of(hwr_view(c), q, 0), &st);
	assert_int_equal(st.p50, 50);
	assert_int_equal(st.p99, 99);
	assert_near(st.mean, 50.5, 1e-9);
	/* interval 0 holds samples 1..99 of both CPUs */
	assert_int_equal(cap_series(k, "dev.q", -1, v, NULL, 8), 2);
	assert_near(v[0], (4950.0 + 14850.0) / 198, 1e-9);
	/* interval 1 holds only sample 100: 100 and 200 */
	assert_near(v[1], 150, 1e-9);
	assert_int_equal(cap_series(k, "dev.q", 1, v, NULL, 8), 2);
	assert_near(v[0], 150, 1e-9);
	hwr_free(c);
}

static void test_sample_seq_gaps_have_time_ranges(void **state)
{
	static const uint64_t seqs[] = { 0, 1, 2, 5, 6 };
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	uint64_t i, v = 1;

	(void)state;
	for (i = 0; i < 5; i++) {
		/* cpu1 starts at seq 3: its first three are missing */
		if (i == 2)
			feed_sample(c, 1, 7, T0 + 25 * MS, 3, 0, &v, 1);
		feed_sample(c, 0, 7, T0 + (i + 1) * 10 * MS, seqs[i], 0, &v, 1);
	}
	hwr_finish(c);
	/*
	 * A gap at the very start is told at the end, once it is known
	 * that the CPU's history does start at 0 (no sub-buffer header says
	 * otherwise here): so cpu1's comes second.
	 */
	assert_int_equal(k->nev, 2);
	assert_int_equal(k->ev[1].kind, HWR_EV_SAMPLE_GAP);
	assert_int_equal(k->ev[1].cpu, 1);
	assert_int_equal(k->ev[1].count, 3);
	assert_int_equal(k->ev[1].seq_from, 0);
	assert_int_equal(k->ev[1].from_ts, T0);
	assert_int_equal(k->ev[1].to_ts, T0 + 25 * MS);
	assert_int_equal(k->ev[0].kind, HWR_EV_SAMPLE_GAP);
	assert_int_equal(k->ev[0].cpu, 0);
	assert_int_equal(k->ev[0].count, 2);
	assert_int_equal(k->ev[0].seq_from, 3);
	assert_int_equal(k->ev[0].from_ts, T0 + 30 * MS);
	assert_int_equal(k->ev[0].to_ts, T0 + 40 * MS);
	assert_string_equal(k->ev[0].src->name, "dev");
	assert_int_equal(hwr_view(c)->sample_gaps, 2);
	assert_int_equal(hwr_view(c)->sample_gap_records, 5);
	assert_int_equal(hwr_view(c)->lost_total, 0);
	hwr_free(c);
}

static void test_subbuf_lost_and_gaps(void **state)
{
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	uint64_t v = 1;

	(void)state;
	feed_subbuf(c, 0, T0 + 1 * MS, 0, 0);
	feed_sample(c, 0, 7, T0 + 2 * MS, 0, 0, &v, 1);
	feed_sample(c, 0, 7, T0 + 3 * MS, 1, 0, &v, 1);
	/* buffer full: 7 records dropped, then a new sub-buffer */
	feed_subbuf(c, 0, T0 + 20 * MS, 1, 7);
	feed_sample(c, 0, 7, T0 + 21 * MS, 9, 0, &v, 1);
	/* sub-buffer 2 overwritten */
	feed_subbuf(c, 0, T0 + 40 * MS, 3, 7);
	feed_sample(c, 0, 7, T0 + 41 * MS, 10, 0, &v, 1);
	hwr_finish(c);
	assert_int_equal(k->nev, 3);
	assert_int_equal(k->ev[0].kind, HWR_EV_LOST);
	assert_int_equal(k->ev[0].count, 7);
	assert_int_equal(k->ev[0].from_ts, T0 + 3 * MS);
	assert_int_equal(k->ev[0].to_ts, T0 + 20 * MS);
	assert_int_equal(k->ev[1].kind, HWR_EV_SAMPLE_GAP);
	assert_int_equal(k->ev[1].count, 7);
	assert_int_equal(k->ev[2].kind, HWR_EV_SUBBUF_GAP);
	assert_int_equal(k->ev[2].count, 1);
	assert_int_equal(k->ev[2].seq_from, 2);
	assert_int_equal(hwr_view(c)->lost_total, 7);
	assert_int_equal(hwr_view(c)->lost[0], 7);
	assert_int_equal(hwr_view(c)->subbuf_gaps, 1);
	assert_int_equal(hwr_view(c)->subbufs, 3);
	hwr_free(c);
}

static void test_time_selection_starts_sequences_where_it_starts(void **state)
{
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c;
	uint64_t v = 1;

	(void)state;
	assert_int_equal(hwr_parse_time("1", &cfg.from), 0);
	c = mk(&cfg, &k);
	/* as after a seek: the first records seen are well into the
	 * trace, with sequence numbers and a lost count far from zero */
	feed_subbuf(c, 0, T0 + 1000 * MS, 40, 12);
	feed_sample(c, 0, 7, T0 + 1001 * MS, 700, 0, &v, 1);
	feed_sample(c, 0, 7, T0 + 1002 * MS, 701, 0, &v, 1);
	feed_subbuf(c, 0, T0 + 1010 * MS, 41, 15);
	feed_sample(c, 0, 7, T0 + 1011 * MS, 705, 0, &v, 1);
	hwr_finish(c);
	/* only what happened inside the selection */
	assert_int_equal(k->nev, 2);
	assert_int_equal(k->ev[0].kind, HWR_EV_LOST);
	assert_int_equal(k->ev[0].count, 3);
	assert_int_equal(k->ev[1].kind, HWR_EV_SAMPLE_GAP);
	assert_int_equal(k->ev[1].count, 3);
	assert_int_equal(hwr_view(c)->lost_total, 3);
	hwr_free(c);
}

static void test_filters_cpu_source_counter(void **state)
{
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c;
	uint64_t i;

	(void)state;
	assert_int_equal(hwr_cpuset_parse("1", &cfg.cpus), 0);
	assert_int_equal(hwr_patterns_parse("dev", &cfg.sources), 0);
	assert_int_equal(hwr_patterns_parse("r?,dev.q", &cfg.counters), 0);
	c = mk(&cfg, &k);
	for (i = 1; i <= 10; i++) {
		uint64_t v[3] = { i, i, i }, e = i;

		feed_sample(c, 0, 7, T0 + i * MS, i - 1, 0, v, 3);
		feed_sample(c, 1, 7, T0 + i * MS + 1, i - 1, 0, v, 3);
		feed_sample(c, 1, 9, T0 + i * MS + 2, i - 1, 0, &e, 1);
	}
	hwr_finish(c);
	assert_true(ctr(c, "dev", "rx")->selected);
	assert_false(ctr(c, "dev", "tx")->selected);
	assert_true(ctr(c, "dev", "q")->selected);
	assert_false(ctr(c, "aux", "ev")->selected);
	assert_int_equal(ctr(c, "dev", "rx")->st.n, 10);	/* cpu1 only */
	assert_int_equal(ctr(c, "dev", "q")->st.n, 10);
	assert_int_equal(ctr(c, "dev", "tx")->st.n, 0);
	assert_int_equal(hwr_view(c)->sel_samples, 10);
	assert_int_equal(hwr_view(c)->samples, 30);
	hwr_free(c);
}

static void test_pattern_matching_nothing_is_an_error(void **state)
{
	struct hwr_config cfg = { 0 };
	const char *bad = NULL;
	struct hwr_ctx *c;

	(void)state;
	assert_int_equal(hwr_patterns_parse("rx,nosuch*", &cfg.counters), 0);
	c = hwr_new(&cfg);
	assert_int_equal(hwr_add_file(c, "t.hws", &hdr), 0);
	assert_int_equal(hwr_begin(c, &bad), -ENOENT);
	assert_string_equal(bad, "nosuch*");
	hwr_free(c);

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(hwr_patterns_parse("aux", &cfg.sources), 0);
	/* rx exists, but not in the selected source */
	assert_int_equal(hwr_patterns_parse("rx", &cfg.counters), 0);
	c = hwr_new(&cfg);
	assert_int_equal(hwr_add_file(c, "t.hws", &hdr), 0);
	assert_int_equal(hwr_begin(c, &bad), -ENOENT);
	assert_string_equal(bad, "rx");
	hwr_free(c);
}

static void test_time_selection_stops_at_to(void **state)
{
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c;
	uint64_t i;
	int ret = 0;

	(void)state;
	assert_int_equal(hwr_parse_time("1", &cfg.from), 0);
	assert_int_equal(hwr_parse_time("2s", &cfg.to), 0);
	c = mk(&cfg, &k);
	for (i = 1; i <= 300; i++) {
		uint64_t v = i;

		/* one wild timestamp in the selection does not stop it */
		if (i == 150)
			assert_int_equal(feed_sample(c, 0, 7, UINT64_MAX / 2,
						     i - 1, 0, &v, 1), 0);
		ret = feed_sample(c, 0, 7, T0 + i * 10 * MS, i - 1, 0, &v, 1);
		assert_int_equal(ret, 0);
	}
	/* a long run past --to says stop */
	for (i = 0; i < HWR_STOP_AFTER && !ret; i++) {
		uint64_t v = 1;

		ret = feed_sample(c, 1, 7, T0 + 5 * HWR_NS_PER_SEC + i, i, 0,
				  &v, 1);
	}
	assert_int_equal(ret, 1);
	/* samples 200..300 already lay past --to: 101 of the run */
	assert_int_equal(i + 101, HWR_STOP_AFTER);
	hwr_finish(c);
	assert_int_equal(ctr(c, "dev", "rx")->st.n, 100);
	assert_int_equal(ctr(c, "dev", "rx")->st.first_ts, T0 + HWR_NS_PER_SEC);
	assert_int_equal(hwr_duration(hwr_view(c)), 990 * MS);
	hwr_free(c);
}

static void test_values_past_schema_are_malformed(void **state)
{
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	uint64_t v[3] = { 40, 41, 42 };

	(void)state;
	/* first = 2, three values: only q (index 2) is in the schema */
	feed_sample(c, 0, 7, T0 + MS, 0, 2, v, 3);
	feed_sample(c, 0, 7, T0 + 2 * MS, 1, 5, v, 1);
	/* a source id no header describes */
	feed_sample(c, 0, 99, T0 + 3 * MS, 0, 0, v, 1);
	hwr_finish(c);
	assert_int_equal(c->sources[0].malformed, 2);
	assert_int_equal(ctr(c, "dev", "q")->st.n, 1);
	assert_int_equal(ctr(c, "dev", "q")->st.max, 40);
	assert_int_equal(hwr_view(c)->unknown_source, 1);
	hwr_free(c);
}

static void test_split_records_share_one_seq_stream(void **state)
{
	struct hwr_config cfg = { 0 };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	uint64_t i, seq = 0;

	(void)state;
	for (i = 1; i <= 50; i++) {
		uint64_t a[2] = { i * 10, i * 20 }, b[1] = { 7 };

		feed_sample(c, 0, 7, T0 + i * MS, seq++, 0, a, 2);
		feed_sample(c, 0, 7, T0 + i * MS, seq++, 2, b, 1);
	}
	hwr_finish(c);
	assert_int_equal(k->nev, 0);
	assert_int_equal(ctr(c, "dev", "tx")->st.increase, 49 * 20);
	assert_int_equal(ctr(c, "dev", "q")->st.n, 50);
	assert_near(ctr(c, "dev", "q")->st.mean, 7, 0);
	hwr_free(c);
}

static void test_cpu_beyond_header_grows(void **state)
{
	struct hwr_config cfg = { .per_cpu = true };
	struct cap *k;
	struct hwr_ctx *c = mk(&cfg, &k);
	uint64_t i;

	(void)state;
	for (i = 1; i <= 20; i++) {
		uint64_t v = i;

		feed_sample(c, 0, 7, T0 + i * 100 * MS, i - 1, 0, &v, 1);
		/* a CPU hot-plugged after the header was written */
		feed_sample(c, 5, 7, T0 + i * 100 * MS + 1, i - 1, 0, &v, 1);
	}
	hwr_finish(c);
	assert_true(hwr_view(c)->cpu_cap >= 6);
	assert_int_equal(ctr(c, "dev", "rx")->st.increase, 2 * 19);
	assert_non_null(hwr_series_of(hwr_view(c), ctr(c, "dev", "rx"), 5));
	assert_true(hwr_cpu_has_data(hwr_view(c), 5));
	assert_false(hwr_cpu_has_data(hwr_view(c), 3));
	hwr_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_delta_up_wrap_reset),
		cmocka_unit_test(test_counter_rate_one_cpu),
		cmocka_unit_test(test_counter_rates_sum_over_cpus),
		cmocka_unit_test(test_counter_wraps_and_resets_counted),
		cmocka_unit_test(test_interval_rates_and_peak),
		cmocka_unit_test(test_interval_option_changes_buckets),
		cmocka_unit_test(test_gauge_statistics_exact),
		cmocka_unit_test(test_sample_seq_gaps_have_time_ranges),
		cmocka_unit_test(test_subbuf_lost_and_gaps),
		cmocka_unit_test(test_time_selection_starts_sequences_where_it_starts),
		cmocka_unit_test(test_filters_cpu_source_counter),
		cmocka_unit_test(test_pattern_matching_nothing_is_an_error),
		cmocka_unit_test(test_time_selection_stops_at_to),
		cmocka_unit_test(test_values_past_schema_are_malformed),
		cmocka_unit_test(test_split_records_share_one_seq_stream),
		cmocka_unit_test(test_cpu_beyond_header_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
