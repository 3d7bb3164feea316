/* SPDX-License-Identifier: MIT */
/*
 * report.h - the analysis library behind hwstats-report.
 *
 * Error convention (as in libhws): int functions return 0 or -errno;
 * pointer functions return NULL and set errno; _free() accepts NULL.
 *
 * The pieces, each usable without a file:
 *   timeparse.c  durations and --from/--to times
 *   quantile.c   bounded-memory quantile sketch for gauges
 *   select.c     --source/--counter/--cpu selection
 *   series.c     per-CPU series: deltas, wraps, resets, interval buckets
 *   summary.c    the engine: records in (hwr_feed), results out to sinks;
 *                with sources.c (cross-file source identity), loss.c and
 *                interval.c, sharing engine.h
 *   view.c       what the sinks see of it (struct hwr_view, sink.h)
 *   input.c      .hws files in, through libhws, into the engine
 *   out_*.c      sinks: text, CSV, JSON, Perfetto, SVG, dump, OpenMetrics;
 *                they include sink.h only
 *   cli.c        the command line (hwr_main), so tests run the real tool
 *
 * Analysis never prints: it hands finished intervals, loss events and the
 * final summary to sinks (struct hwr_sink), so every output format sees
 * the same numbers and a test can look at them directly.
 */
#ifndef HWR_REPORT_H
#define HWR_REPORT_H

#include "sink.h"

/* ------------------------------------------------------------------ */
/* summary.c: the engine                                               */

struct hwr_htab;

struct hwr_ctx {
	struct hwr_config cfg;
	/*
	 * The results the sinks see. Its cfg, name, files, sources, t0,
	 * real_off, from_ts, to_ts and time_selected are the engine's own
	 * below, copied when the sinks begin; the rest is kept there only.
	 */
	struct hwr_view v;
	/* files */
	struct hwr_file *files;
	uint32_t nr_files;
	const char *name;		/* what messages call the input */
	/* the trace, from the headers */
	uint64_t t0;			/* time zero: session start, boot ns */
	int64_t real_off;		/* start_real_ns - start_boot_ns */
	uint64_t from_ts, to_ts;	/* selection, boot ns, [from, to) */
	bool t0_known;
	bool time_selected;
	uint64_t past_to;		/* records in a row past --to */
	/* sources, in order of first appearance in the headers */
	struct hwr_source *sources;
	uint32_t nr_sources, cap_sources;
	struct hwr_htab *src_tab;	/* (name, schema) -> source */
	struct hwr_htab *base_tab;	/* name in the files -> count */
	struct hwr_htab *reg_tab;	/* (source, session[, id]) seen */
	struct hwr_source *last_src;
	uint32_t last_file, last_id;
	/* per CPU, v.cpu_cap entries */
	uint64_t *cpu_last_ts;		/* any record on the CPU */
	uint64_t *cpu_samples;		/* sample records in the files */
	uint32_t nr_slots;
	uint32_t cap_slot_data;
	uint64_t *sb_next_seq;		/* expected sub-buffer seq */
	uint64_t *sb_lost;		/* lost at the last header */
	uint64_t *cpu_rotated;		/* per CPU */
	bool *cpu_cut;			/* per CPU: history starts late */
	struct hwr_event *pending;	/* start gaps, decided at the end */
	uint32_t nr_pending, cap_pending;
	uint32_t first_file;		/* the file of first_ts */
	uint32_t first_cpu;		/* and its CPU */
	/*
	 * A part of a split run (split.c): its sources are a copy of the
	 * main context's, found through the files' tables (which point into
	 * @lookup_base) by index, and each interval it closes goes to
	 * @on_close rather than to sinks.
	 */
	struct hwr_source *lookup_base;
	int (*on_close)(struct hwr_ctx *c, uint64_t index);
	void *part;
	/* intervals */
	uint64_t b_base;		/* intervals align to this */
	uint64_t b_start, b_end;
	bool b_open;
	struct hwr_series **dirty;	/* series touched this interval */
	struct hwr_counter **dirty_c;
	uint32_t nr_dirty, cap_dirty, nr_dirty_c, cap_dirty_c;
	/* outputs */
	struct hwr_sink **sinks;
	uint32_t nr_sinks;
	bool want_records;
	int sink_err;			/* first -errno a sink returned */
	struct hwr_sink *err_sink;
	bool finished;
};


/* Takes ownership of cfg's patterns and cpuset. */
struct hwr_ctx *hwr_new(const struct hwr_config *cfg);
void hwr_free(struct hwr_ctx *c);

/* The ctx owns @s from here on (also on error). */
int hwr_add_sink(struct hwr_ctx *c, struct hwr_sink *s);

/*
 * Describe one input file (in file order). @hdr is copied shallowly: the
 * reader must outlive the ctx, or the caller keeps the header alive.
 */
int hwr_add_file(struct hwr_ctx *c, const char *path,
		 const struct hws_header *hdr);

/*
 * After the files: resolve the selection against the schemas and start
 * the sinks. -ENOENT when a --source/--counter pattern matches nothing
 * (the message names it, through *bad).
 */
int hwr_begin(struct hwr_ctx *c, const char **bad);

/*
 * One record from file @file, CPU @cpu, in time order. Returns 0, 1 when
 * HWR_STOP_AFTER records in a row lay past --to (the caller may stop
 * reading), or -errno (a sink failed).
 */
int hwr_feed(struct hwr_ctx *c, const struct hwstats_rec *rec, uint32_t cpu,
	     uint32_t file);

/* The footer's totals and the damage of file @file, after reading. */
void hwr_set_file_end(struct hwr_ctx *c, uint32_t file,
		      const struct hws_cpu_totals *totals, uint32_t nr_totals,
		      const struct hws_damage *damage, uint32_t nr_damage);

/* Close the last interval, compute the summary, end the sinks. */
int hwr_finish(struct hwr_ctx *c);


/* What the sinks see of @c (kept current by the engine). */
static inline const struct hwr_view *hwr_view(const struct hwr_ctx *c)
{
	return &c->v;
}

/* ------------------------------------------------------------------ */
/* input.c                                                             */

/*
 * Expand @paths (files, or directories whose *.hws files are taken in
 * name order) and open a reader for each. On failure prints one line
 * "hwstats-report: <file>: <reason>" to @err and returns -errno.
 */
struct hwr_input {
	char **paths;
	struct hws_reader **readers;
	uint32_t n;
};

int hwr_input_open(struct hwr_input *in, char *const *paths, int n,
		   FILE *err);
void hwr_input_close(struct hwr_input *in);
/* Feed every record of @in through the engine; 0 or -errno. */
int hwr_input_run(struct hwr_input *in, struct hwr_ctx *c, FILE *err);
/* Runs split by CPU to the end so far (split.c), for the tests to see. */
extern unsigned long hwr_split_runs;
/*
 * Series a part of a split run queues for the calling thread before it
 * waits for it (16384; the tests make it small to make parts wait).
 */
extern unsigned int hwr_split_queue;

/* ------------------------------------------------------------------ */
/* cli.c                                                               */

enum hwr_exit {
	HWR_EXIT_OK = 0,
	HWR_EXIT_USAGE = 1,
	HWR_EXIT_INPUT = 2,
	HWR_EXIT_DAMAGE = 3,
};

/* The whole tool: argv in, exit status out, output to @out and @err. */
int hwr_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* HWR_REPORT_H */
