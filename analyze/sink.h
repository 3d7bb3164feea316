/* SPDX-License-Identifier: MIT */
/*
 * sink.h - what an output sink (out_*.c) may use: the results as a const
 * view (struct hwr_view), the sources and counters, the helpers that
 * format times and events, and the sinks' own utilities. The engine's
 * state (struct hwr_ctx, report.h) is not here.
 *
 * Error convention (as in libhws): int functions return 0 or -errno;
 * pointer functions return NULL and set errno; _free() accepts NULL.
 */
#ifndef HWR_SINK_H
#define HWR_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hws.h"

struct hwr_view;
struct hwr_counter;

#define HWR_NS_PER_SEC		((uint64_t)1000000000)
#define HWR_DEFAULT_INTERVAL	HWR_NS_PER_SEC
/* Records in a row past --to after which reading stops. */
#define HWR_STOP_AFTER		4096
/* Loss events kept for the report; the rest are only counted. */
#define HWR_MAX_EVENTS		64

/* ------------------------------------------------------------------ */
/* timeparse.c                                                         */

/*
 * Parse a duration: a decimal number with an optional unit ns, us, ms, s,
 * m, h (no unit: seconds), e.g. "10", "2.5s", "100ms". Digits finer than a
 * nanosecond are dropped. Returns 0 or -EINVAL (-ERANGE on overflow).
 */
int hwr_parse_duration(const char *s, uint64_t *ns);

enum hwr_time_kind {
	HWR_TIME_NONE = 0,
	HWR_TIME_REL,		/* ns from the start of the trace */
	HWR_TIME_ABS,		/* ns since the epoch (a full date) */
	HWR_TIME_TOD,		/* ns since local (or UTC) midnight */
};

struct hwr_time {
	uint32_t kind;		/* enum hwr_time_kind */
	bool utc;		/* a trailing 'Z': UTC instead of local time */
	uint64_t ns;
};

/*
 * Parse a --from/--to argument: a duration from the start ("10", "2.5s",
 * "+90s"), a date and time ("2026-11-27T21:00:00", "2026-11-27 21:00:00.5",
 * optional trailing Z for UTC), or a time of day ("21:00", "21:00:00.250").
 */
int hwr_parse_time(const char *s, struct hwr_time *t);

/*
 * Turn @t into a trace timestamp (CLOCK_BOOTTIME ns). @start_boot is the
 * trace's time zero, @real_off = start_real_ns - start_boot_ns. A time of
 * day is the first such moment at or after 12 hours before the start, so
 * "21:00" means the evening of the recording whether the trace began just
 * before or just after it, and a trace that runs past midnight can still be
 * cut after it. Returns 0 or -ERANGE (before the epoch of the boot clock
 * is clamped to 0, not an error).
 */
int hwr_time_resolve(const struct hwr_time *t, uint64_t start_boot,
		     int64_t real_off, uint64_t *ts);

/* "2026-11-27 21:00:00.123456 +0100" (local) into buf. */
void hwr_fmt_wall_local(char *buf, size_t len, uint64_t real_ns, int decimals);
/* "2026-11-27T20:00:00.123456789Z" (UTC, RFC 3339) into buf. */
void hwr_fmt_wall_utc(char *buf, size_t len, uint64_t real_ns);
/* "21:00:00.123" (local time of day) into buf. */
void hwr_fmt_tod_local(char *buf, size_t len, uint64_t real_ns, int decimals);

/* ------------------------------------------------------------------ */
/* quantile.c                                                          */

/*
 * A quantile sketch of fixed maximum size. The first HWR_Q_EXACT values
 * are kept as they are, so quantiles of short series are exact. Beyond
 * that, values go into a log-bucketed histogram: values below 256 have a
 * bucket each (exact), larger ones fall into 128 buckets per power of two.
 * A quantile is reported as its bucket's midpoint, clamped to [min, max],
 * so it is within 1/256 (0.39 %) of the exact nearest-rank quantile.
 * Memory: at most 58 KiB per sketch, allocated per power of two actually
 * seen (a gauge spanning one decade uses about 5 KiB).
 */
#define HWR_Q_EXACT	512
#define HWR_Q_SUB_BITS	7

struct hwr_qsketch;

struct hwr_qsketch *hwr_qsketch_new(void);
void hwr_qsketch_free(struct hwr_qsketch *q);
int hwr_qsketch_add(struct hwr_qsketch *q, uint64_t v);
uint64_t hwr_qsketch_count(const struct hwr_qsketch *q);
bool hwr_qsketch_exact(const struct hwr_qsketch *q);
/*
 * Nearest-rank quantile: the value of rank ceil(p * n) (1-based) among the
 * n values added; p in [0, 1]. 0 when empty.
 */
uint64_t hwr_qsketch_quantile(const struct hwr_qsketch *q, double p);

/* ------------------------------------------------------------------ */
/* select.c                                                            */

struct hwr_cpuset {
	uint32_t nbits;		/* 0: every CPU */
	uint64_t *bits;
};

/* "0,2-5,7" into @set. Returns 0 or -EINVAL. */
int hwr_cpuset_parse(const char *s, struct hwr_cpuset *set);
void hwr_cpuset_clear(struct hwr_cpuset *set);

static inline bool hwr_cpuset_has(const struct hwr_cpuset *set, uint32_t cpu)
{
	if (!set->nbits)
		return true;
	return cpu < set->nbits && (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

/* A comma-separated list of fnmatch(3) patterns. */
struct hwr_patterns {
	uint32_t n;
	char **pat;
	bool *used;		/* did any name match pattern i */
};

int hwr_patterns_parse(const char *s, struct hwr_patterns *p);
void hwr_patterns_clear(struct hwr_patterns *p);
/* True when @p is empty or one of its patterns matches one of the names. */
bool hwr_patterns_match(struct hwr_patterns *p, const char *name,
			const char *alt);

/* ------------------------------------------------------------------ */
/* series.c: one counter on one CPU                                    */

enum hwr_delta_kind {
	HWR_DELTA_UP = 0,
	HWR_DELTA_WRAP32,
	HWR_DELTA_WRAP64,
	HWR_DELTA_RESET,
};

/*
 * The increase from @prev to @cur of a monotonic counter. A decrease is a
 * wrap when @prev lies in the top quarter of a 32- or 64-bit range and @cur
 * in its bottom quarter (the increase then goes through the wrap); any
 * other decrease is a reset to zero, and the increase is @cur, the count
 * since the reset (as Prometheus' increase() does).
 */
uint64_t hwr_counter_delta(uint64_t prev, uint64_t cur, int *kind);

/*
 * An exact sum of u64 values, as two words: adding is an add and a
 * carry, where a long double would cost x87 loads and stores per value,
 * and a double would lose the low digits of large gauges.
 */
struct hwr_sum {
	uint64_t lo, hi;
};

static inline void hwr_sum_add(struct hwr_sum *s, uint64_t v)
{
	s->lo += v;
	s->hi += s->lo < v;
}

static inline void hwr_sum_merge(struct hwr_sum *s, const struct hwr_sum *o)
{
	uint64_t lo = s->lo + o->lo;

	s->hi += o->hi + (lo < o->lo);
	s->lo = lo;
}

static inline double hwr_sum_mean(const struct hwr_sum *s, uint64_t n)
{
	long double v = (long double)s->hi * 18446744073709551616.0L +
			(long double)s->lo;

	return n ? (double)(v / (long double)n) : 0;
}

struct hwr_series {
	struct hwr_counter *ctr;
	uint64_t n;		/* samples */
	uint64_t first_ts, last_ts;
	uint64_t first_val, last_val;
	/* counters */
	uint64_t increase;
	uint64_t span_ns;	/* time covered by the deltas */
	uint32_t wraps, resets;
	double peak;		/* highest interval rate */
	/* gauges */
	uint64_t min, max;
	struct hwr_sum sum;
	struct hwr_qsketch *q;	/* only with a per-CPU breakdown */
	/* the open interval (valid when epoch == the engine's epoch) */
	uint64_t epoch;
	uint64_t b_inc, b_dt, b_n;
	struct hwr_sum b_sum;
	uint64_t b_min, b_max;	/* gauges: the interval's extremes */
	double b_value;		/* rate or mean, when the interval closes */
	bool b_valid;
	bool selected;
	uint32_t cpu;		/* the CPU whose records it takes */
};

/* ------------------------------------------------------------------ */
/* Sources, counters and what the engine finds                         */


/* The combined value of one counter over all selected CPUs. */
struct hwr_stats {
	uint64_t n;
	uint64_t first_ts, last_ts;	/* boot ns; 0/0 when n == 0 */
	uint64_t increase;
	double mean_rate;		/* per second, summed over CPUs */
	double peak_rate;		/* highest interval rate, summed */
	uint32_t wraps, resets;
	uint64_t min, max;
	double mean;
	uint64_t p50, p95, p99;
	bool q_exact;
};

struct hwr_source {
	uint32_t id;
	uint32_t nr_counters;
	char name[HWSTATS_NAME_LEN + 1];	/* base, or base#2 ... for another
						 * schema under the same name */
	char base[HWSTATS_NAME_LEN + 1];	/* the name in the files */
	/*
	 * Registrations seen: (session, id) pairs. A driver that unregisters
	 * and registers again gets a new id; its samples then continue this
	 * source (same name and schema) with sequence numbers and counters
	 * started afresh.
	 */
	struct hwr_reg { uint64_t session; uint32_t id; } *regs;
	uint32_t nr_regs;
	uint32_t nr_reg_sessions;	/* distinct sessions among regs */
	uint32_t nr_same_base;		/* sources named as this one (kept on
					 * the first of them) */
	bool selected;
	uint32_t nr_selected;
	struct hwr_counter *counters;
	/*
	 * [slot][counter], where slot is the CPU's place among the CPUs
	 * records came from (hwr_cpu_slot()), so that memory follows the
	 * CPUs present, never the highest CPU number. A row is allocated
	 * when the source first shows up on that CPU: rows never move, so
	 * pointers into them stay valid when the table grows.
	 */
	struct hwr_series **series;
	uint32_t slot_cap;		/* entries of the four arrays */
	/* sample sequence tracking, per slot (UINT64_MAX: not seen yet) */
	uint64_t *next_seq;
	uint64_t *last_ts;
	/* per slot, the registration of the last sample (file, id) */
	uint64_t *last_reg;
	uint64_t gaps, gap_records, seq_backwards;
	uint64_t malformed;
};

/* How many times @s was registered in the sessions read (1: once). */
uint32_t hwr_source_registrations(const struct hwr_source *s);

struct hwr_counter {
	struct hwr_source *src;
	uint32_t index;			/* in the source's schema */
	uint32_t kind;			/* enum hwstats_counter_kind */
	char name[HWSTATS_NAME_LEN + 1];
	char unit[HWSTATS_UNIT_LEN + 1];
	char rate_unit[HWSTATS_UNIT_LEN + 3];	/* "events/s" */
	bool selected;
	struct hwr_qsketch *q;		/* gauges: every selected CPU */
	/* the open interval, combined over CPUs */
	uint64_t epoch;
	double b_rate;			/* sum of the CPUs' rates */
	struct hwr_sum b_sum;		/* gauges: sum and count of values */
	uint64_t b_n;
	uint64_t b_min, b_max;		/* gauges: extremes over the CPUs */
	double b_value;			/* rate or mean, when it closes */
	bool b_valid;
	double peak;
	struct hwr_stats st;		/* filled by hwr_finish() */
};

enum hwr_event_kind {
	HWR_EV_LOST = 1,	/* the kernel's lost count rose */
	HWR_EV_SAMPLE_GAP,	/* a source's sample seq skipped */
	HWR_EV_SUBBUF_GAP,	/* a sub-buffer seq skipped */
	HWR_EV_SEQ_BACK,	/* a sample seq went backwards */
	HWR_EV_MISSING,		/* kernel wrote more than the files hold */
};

struct hwr_event {
	uint32_t kind;		/* enum hwr_event_kind */
	uint32_t cpu;
	const struct hwr_source *src;	/* sample gaps only */
	uint64_t count;		/* records (sub-buffers for SUBBUF_GAP) */
	uint64_t seq_from;	/* first missing seq (gaps) */
	uint64_t from_ts, to_ts;	/* between these two times */
};

struct hwr_interval {
	uint64_t start_ts;	/* bucket start, boot ns */
	uint64_t len_ns;	/* nominal interval */
	uint64_t index;		/* bucket number from the time zero */
};

struct hwr_file {
	char *path;
	struct hws_header hdr;	/* shallow copy: pointers into the reader */
	uint32_t session;	/* files of one session share the number */
	/* this file's source ids to the merged sources */
	struct hwr_source **direct;	/* by id, for ids < ndirect */
	uint32_t ndirect;
	struct hwr_idsrc { uint32_t id; struct hwr_source *src; } *byid;
	uint32_t nbyid;			/* else sorted by id, searched */
	const struct hws_cpu_totals *totals;
	uint32_t nr_totals;
	const struct hws_damage *damage;
	uint32_t nr_damage;
};

struct hwr_sink;

struct hwr_sink_ops {
	const char *name;
	/* the headers are known; nothing read yet */
	int (*begin)(struct hwr_sink *s, const struct hwr_view *c);
	/* every record passing the filters, before analysis (--dump) */
	int (*record)(struct hwr_sink *s, const struct hwr_view *c,
		      const struct hwstats_rec *rec, uint32_t cpu,
		      const struct hwr_source *src);
	/* an interval closed: read counter/series b_value/b_valid */
	int (*interval)(struct hwr_sink *s, const struct hwr_view *c,
			const struct hwr_interval *iv);
	/* a loss was found */
	int (*event)(struct hwr_sink *s, const struct hwr_view *c,
		     const struct hwr_event *ev);
	/* everything is read: summary, loss and damage are final */
	int (*end)(struct hwr_sink *s, const struct hwr_view *c);
	void (*free)(struct hwr_sink *s);
};

struct hwr_sink {
	const struct hwr_sink_ops *ops;
	FILE *f;
	char *path;		/* for error messages; NULL: stdout */
	bool close_f;
	void *priv;
};

struct hwr_config {
	uint64_t interval_ns;		/* 0: HWR_DEFAULT_INTERVAL */
	bool interval_table;		/* --interval given */
	bool per_cpu;
	bool zeros;			/* --zeros: show unchanged counters */
	bool need_intervals;		/* some sink wants interval rows */
	struct hwr_time from, to;
	struct hwr_patterns sources;
	struct hwr_patterns counters;
	struct hwr_cpuset cpus;
};


/* ------------------------------------------------------------------ */
/* What a sink sees of the engine                                      */

/*
 * The engine's results as they stand: the input, the counts, the loss
 * found so far and the interval being closed. The engine keeps it current
 * and hands it to every sink call, const; a sink sees nothing else of the
 * engine (struct hwr_ctx is report.h's, and no sink includes it).
 */
struct hwr_view {
	const struct hwr_config *cfg;
	const char *name;		/* what messages call the input */
	/* files, in order */
	const struct hwr_file *files;
	uint32_t nr_files;
	/* the trace, from the headers */
	uint32_t nr_cpus;
	uint64_t t0;			/* time zero: session start, boot ns */
	int64_t real_off;		/* start_real_ns - start_boot_ns */
	uint64_t from_ts, to_ts;	/* selection, boot ns, [from, to) */
	bool time_selected;
	/* sources, in order of first appearance in the headers */
	const struct hwr_source *sources;
	uint32_t nr_sources;
	/* counts, over the whole input */
	uint64_t records, samples, subbufs, pads, unknown;
	uint64_t unknown_source, malformed;
	uint64_t first_ts, last_ts;	/* any record */
	uint64_t sel_last_ts;		/* last selected sample */
	uint64_t sel_samples;
	/* per CPU, cpu_cap entries */
	uint32_t cpu_cap;
	uint32_t *cpu_slot;		/* per CPU: 0, or its slot + 1 */
	bool *slot_data;		/* per slot: a selected source has a row */
	uint64_t *lost;			/* final, per CPU */
	/* loss */
	uint64_t lost_total;
	uint64_t subbuf_gaps, subbuf_gap_count;
	uint64_t sample_gaps, sample_gap_records, seq_backwards;
	uint64_t missing;		/* kernel wrote, files lack */
	/*
	 * The files begin after the session did (the older files of a ring
	 * were deleted): records before the first kept one were rotated
	 * out, which is not loss. rotated_out counts them (sample records,
	 * from the first sequence numbers seen, on CPUs whose first
	 * sub-buffer header is not the session's first).
	 */
	uint64_t rotated_out;
	uint64_t history_ts;		/* first record of such a set */
	uint32_t history_file;		/* the file that holds it */
	struct hwr_event events[HWR_MAX_EVENTS];
	uint32_t nr_events;
	uint64_t events_dropped;
	uint32_t nr_damage;
	/* intervals */
	uint64_t interval_ns;
	uint64_t epoch;			/* bumps at every interval */
	uint64_t nr_intervals;
};

/* view.c: for the sinks */

/*
 * The selected counters, source by source in header order and each
 * source's in schema order: the one walk behind every table, column and
 * series a sink writes. NULL starts it; NULL after the last.
 */
const struct hwr_counter *hwr_next_selected(const struct hwr_view *c,
					    const struct hwr_counter *ct);
#define hwr_for_each_selected(c, ct)					\
	for (const struct hwr_counter *ct = hwr_next_selected((c), NULL); \
	     ct; ct = hwr_next_selected((c), ct))

/* The statistics of one series (one counter on one CPU). */
void hwr_series_stats(const struct hwr_series *s, struct hwr_stats *st);

/*
 * The first CPU from @cpu on with samples of @ct, its statistics in *st;
 * c->cpu_cap when there is none. hwr_for_each_cpu_stats() walks them all,
 * in CPU order: the per-CPU rows of every summary.
 */
uint32_t hwr_next_cpu_stats(const struct hwr_view *c,
			    const struct hwr_counter *ct, uint32_t cpu,
			    struct hwr_stats *st);
#define hwr_for_each_cpu_stats(c, ct, cpu, st)				\
	for (uint32_t cpu = hwr_next_cpu_stats((c), (ct), 0, (st));	\
	     cpu < (c)->cpu_cap;					\
	     cpu = hwr_next_cpu_stats((c), (ct), cpu + 1, (st)))

/* The series of @ct on @cpu, NULL when that CPU has none. */
static inline const struct hwr_series *
hwr_series_of(const struct hwr_view *c, const struct hwr_counter *ct,
	      uint32_t cpu)
{
	const struct hwr_source *s = ct->src;
	uint32_t slot;

	if (cpu >= c->cpu_cap || !c->cpu_slot[cpu])
		return NULL;
	slot = c->cpu_slot[cpu] - 1;
	if (slot >= s->slot_cap || !s->series[slot])
		return NULL;
	return &s->series[slot][ct->index];
}

/* Its interval value, when it has one in the interval being closed. */
static inline bool hwr_series_value(const struct hwr_view *c,
				    const struct hwr_series *se, double *v)
{
	if (!se || se->epoch != c->epoch || !se->b_valid)
		return false;
	*v = se->b_value;
	return true;
}

/* A gauge's lowest and highest value in the interval being closed. */
static inline bool hwr_series_range(const struct hwr_view *c,
				    const struct hwr_series *se,
				    uint64_t *lo, uint64_t *hi)
{
	if (!se || se->epoch != c->epoch || !se->b_n)
		return false;
	*lo = se->b_min;
	*hi = se->b_max;
	return true;
}

static inline bool hwr_counter_range(const struct hwr_view *c,
				     const struct hwr_counter *ct,
				     uint64_t *lo, uint64_t *hi)
{
	if (ct->epoch != c->epoch || !ct->b_n)
		return false;
	*lo = ct->b_min;
	*hi = ct->b_max;
	return true;
}

static inline bool hwr_counter_value(const struct hwr_view *c,
				     const struct hwr_counter *ct, double *v)
{
	if (ct->epoch != c->epoch || !ct->b_valid)
		return false;
	*v = ct->b_value;
	return true;
}

static inline double hwr_rel_s(const struct hwr_view *c, uint64_t ts)
{
	return ((double)ts - (double)c->t0) / 1e9;
}

/* Seconds from the time zero with 9 decimals, exact, into buf. */
void hwr_fmt_rel(char *buf, size_t len, const struct hwr_view *c, uint64_t ts,
		 int decimals);
uint64_t hwr_wall_ns(const struct hwr_view *c, uint64_t ts);
const char *hwr_kind_name(uint32_t kind);
const char *hwr_event_name(uint32_t kind);
const char *hwr_damage_name(uint32_t kind);
/* One line describing an event, without a newline. */
void hwr_fmt_event(char *buf, size_t len, const struct hwr_view *c,
		   const struct hwr_event *ev);
/* From the time zero (or --from) to the last record of the selection. */
uint64_t hwr_duration(const struct hwr_view *c);
/*
 * A counter that never changed over the selection: a counter with no
 * increase, wrap or reset; a gauge whose min is its max. The text report
 * leaves these out unless --zeros (as nstat does).
 */
bool hwr_counter_unchanged(const struct hwr_counter *ct);
bool hwr_cpu_has_data(const struct hwr_view *c, uint32_t cpu);

/* ------------------------------------------------------------------ */
/* Sinks (out_*.c)                                                     */

enum hwr_format {
	HWR_FMT_TEXT = 0,
	HWR_FMT_CSV,
	HWR_FMT_JSON,
	HWR_FMT_DUMP,
};

/*
 * A sink writing to @f with @ops and @priv_size zeroed bytes of private
 * state (none if 0): the one constructor behind every hwr_sink_*().
 */
struct hwr_sink *hwr_sink_new(FILE *f, const struct hwr_sink_ops *ops,
			      size_t priv_size);
/*
 * Sinks writing to @f. The sink does not close @f unless the caller sets
 * close_f (and path, for messages) before handing it to hwr_add_sink().
 */
struct hwr_sink *hwr_sink_text(FILE *f);
struct hwr_sink *hwr_sink_csv(FILE *f);
struct hwr_sink *hwr_sink_json(FILE *f);
struct hwr_sink *hwr_sink_dump(FILE *f);
struct hwr_sink *hwr_sink_perfetto(FILE *f);
struct hwr_sink *hwr_sink_svg(FILE *f);
/* The selected samples as OpenMetrics text (out_openmetrics.c). */
struct hwr_sink *hwr_sink_openmetrics(FILE *f);

/* out_util.c */
/* Write s as a JSON string literal (with quotes). */
void hwr_json_str(FILE *f, const char *s);
/* A double as JSON: fixed @decimals, or null when not finite. */
void hwr_json_num(FILE *f, double v, int decimals);
/* v with three decimals, as printf("%.3f") writes it, into buf (>= 32
 * bytes); returns the length. */
size_t hwr_fmt_fixed3(char *buf, double v);
/* A CSV cell, quoted when needed. */
void hwr_csv_str(FILE *f, const char *s);
/* Fast unsigned decimal into buf (no NUL); returns the length. */
size_t hwr_u64_dec(char *buf, uint64_t v);

/* A left/right-aligned text table whose widths come from its cells. */
struct hwr_table {
	uint32_t ncols, nrows, cap;
	char *align;		/* 'l' or 'r' per column */
	size_t *off;		/* nrows * ncols cells: offsets into text */
	char *text;		/* the cells, NUL-terminated, one after
				 * another (no allocation per cell) */
	size_t len, text_cap;
};

int hwr_table_init(struct hwr_table *t, uint32_t ncols, const char *align);
/* Append a row of ncols strings (copied); NULL cells print as "-". */
int hwr_table_row(struct hwr_table *t, const char *const *cells);
void hwr_table_print(const struct hwr_table *t, FILE *f, const char *indent);
void hwr_table_free(struct hwr_table *t);

#endif /* HWR_SINK_H */
