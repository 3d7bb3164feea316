// SPDX-License-Identifier: MIT
/*
 * out_perfetto.c - Chrome trace-event JSON that ui.perfetto.dev (and
 * chrome://tracing) opens: one process per source, one counter track per
 * counter ("ph":"C"), and with --per-cpu one more per counter and CPU.
 *
 * Perfetto names a counter track "<event name> <args key>", so the event
 * name is the counter (plus " cpuN") and the single args key is its unit
 * ("events/s" for a counter's rate, the unit itself for a gauge's mean):
 * tracks read "counter1 events/s", "gauge0 level", "counter1 cpu1 events/s".
 * Each value is stamped at the start of its interval, so the step Perfetto
 * draws covers the interval it describes; the last value is repeated at
 * the end of its interval so it has a width too.
 *
 * Loss becomes slices ("ph":"X") in a process "hwstats loss", a thread per
 * CPU and kind of loss, spanning the time in which the records went
 * missing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

struct hwr_pf_last {
	double v;
	uint64_t end_ts;
	bool valid;
};

struct hwr_perfetto {
	bool first;
	uint32_t loss_pid;
	uint32_t ncols;		/* 1 + CPUs the tables below cover */
	uint32_t nsel;
	struct hwr_pf_last *last;	/* [counter][col] */
	uint32_t *named;	/* loss threads named so far */
	uint32_t nnamed, capnamed;
};

static void hwr_pf_sep(struct hwr_perfetto *p, FILE *f)
{
	fputs(p->first ? "\n" : ",\n", f);
	p->first = false;
}

/* Microseconds with nanosecond decimals, relative to the time zero. */
static void hwr_pf_ts(FILE *f, const struct hwr_view *c, uint64_t ts)
{
	uint64_t d = ts >= c->t0 ? ts - c->t0 : 0;

	fprintf(f, "%" PRIu64 ".%03" PRIu64, d / 1000, d % 1000);
}

static int hwr_pf_begin(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_perfetto *p = s->priv;
	FILE *f = s->f;
	uint32_t i;

	p->first = true;
	/*
	 * Only keys every version of the importer knows, before the
	 * events: Perfetto's tokenizer stops at a top-level key it does
	 * not know.
	 */
	fputs("{\"displayTimeUnit\": \"ms\",\n\"traceEvents\": [", f);
	for (i = 0; i < c->nr_sources; i++) {
		const struct hwr_source *src = &c->sources[i];
		char name[HWSTATS_NAME_LEN + 16];

		if (!src->selected)
			continue;
		p->nsel += src->nr_selected;
		hwr_pf_sep(p, f);
		snprintf(name, sizeof(name), "hwstats %s", src->name);
		fprintf(f, "{\"name\": \"process_name\", \"ph\": \"M\", "
			"\"pid\": %u, \"tid\": 0, \"args\": {\"name\": ", i + 1);
		hwr_json_str(f, name);
		fputs("}}", f);
	}
	p->loss_pid = c->nr_sources + 1;
	hwr_pf_sep(p, f);
	fprintf(f, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": %u, "
		"\"tid\": 0, \"args\": {\"name\": \"hwstats loss\"}}",
		p->loss_pid);
	return ferror(f) ? -EIO : 0;
}

/* Table of last values, grown when CPUs beyond the header appear. */
static int hwr_pf_table(struct hwr_perfetto *p, const struct hwr_view *c)
{
	uint32_t ncols = 1 + (c->cfg->per_cpu ? c->cpu_cap : 0), k, j;
	struct hwr_pf_last *n;

	if (ncols <= p->ncols && p->last)
		return 0;
	n = calloc((size_t)(p->nsel ? p->nsel : 1) * ncols, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (k = 0; p->last && k < p->nsel; k++)
		for (j = 0; j < p->ncols; j++)
			n[k * ncols + j] = p->last[k * p->ncols + j];
	free(p->last);
	p->last = n;
	p->ncols = ncols;
	return 0;
}

/* A source's process: its place among the sources, from 1. */
static uint32_t hwr_pf_pid(const struct hwr_view *c,
			   const struct hwr_counter *ct)
{
	return (uint32_t)(ct->src - c->sources) + 1;
}

static void hwr_pf_counter(struct hwr_sink *s, const struct hwr_view *c,
			   const struct hwr_counter *ct, uint32_t pid,
			   int cpu, uint64_t ts, double v)
{
	struct hwr_perfetto *p = s->priv;
	char name[HWSTATS_NAME_LEN + 16];
	FILE *f = s->f;

	if (cpu < 0)
		snprintf(name, sizeof(name), "%s", ct->name);
	else
		snprintf(name, sizeof(name), "%s cpu%d", ct->name, cpu);
	hwr_pf_sep(p, f);
	fputs("{\"name\": ", f);
	hwr_json_str(f, name);
	fprintf(f, ", \"ph\": \"C\", \"pid\": %u, \"tid\": 0, \"ts\": ", pid);
	hwr_pf_ts(f, c, ts);
	fputs(", \"args\": {", f);
	hwr_json_str(f, ct->kind == HWSTATS_KIND_COUNTER ? ct->rate_unit :
		     ct->unit);
	fputs(": ", f);
	hwr_json_num(f, v, 3);
	fputs("}}", f);
}

static int hwr_pf_interval(struct hwr_sink *s, const struct hwr_view *c,
			   const struct hwr_interval *iv)
{
	struct hwr_perfetto *p = s->priv;
	uint32_t cpu, idx = 0;
	uint64_t end = iv->start_ts + iv->len_ns;
	double v;
	int ret;

	ret = hwr_pf_table(p, c);
	if (ret)
		return ret;
	hwr_for_each_selected(c, ct) {
		struct hwr_pf_last *row = &p->last[idx++ * p->ncols];
		uint32_t pid = hwr_pf_pid(c, ct);

		if (hwr_counter_value(c, ct, &v)) {
			hwr_pf_counter(s, c, ct, pid, -1, iv->start_ts, v);
			row[0] = (struct hwr_pf_last){ v, end, true };
		}
		for (cpu = 0; c->cfg->per_cpu && cpu < c->cpu_cap; cpu++) {
			if (!hwr_series_value(c, hwr_series_of(c, ct, cpu),
					      &v))
				continue;
			hwr_pf_counter(s, c, ct, pid, (int)cpu, iv->start_ts,
				       v);
			row[1 + cpu] = (struct hwr_pf_last){ v, end, true };
		}
	}
	return ferror(s->f) ? -EIO : 0;
}

/*
 * Slices on one thread must nest, and losses of different kinds (the
 * kernel's count, each source's sequence) overlap in time: each kind, per
 * CPU and source, gets a thread of its own, where they follow each other.
 */
static uint32_t hwr_pf_loss_tid(const struct hwr_view *c,
				const struct hwr_event *ev)
{
	uint32_t src = ev->src ? (uint32_t)(ev->src - c->sources) % 128 : 0;

	return 1 + ev->cpu * 1024 + ev->kind * 128 + src;
}

static int hwr_pf_name_thread(struct hwr_sink *s, const struct hwr_view *c,
			      const struct hwr_event *ev, uint32_t tid)
{
	static const char *const what[] = {
		[HWR_EV_LOST] = "lost",
		[HWR_EV_SAMPLE_GAP] = "gaps",
		[HWR_EV_SUBBUF_GAP] = "sub-buffer gaps",
		[HWR_EV_SEQ_BACK] = "seq back",
		[HWR_EV_MISSING] = "missing",
	};
	struct hwr_perfetto *p = s->priv;
	char name[HWSTATS_NAME_LEN + 48];
	uint32_t i;

	(void)c;
	for (i = 0; i < p->nnamed; i++)
		if (p->named[i] == tid)
			return 0;
	if (p->nnamed == p->capnamed) {
		uint32_t cap = p->capnamed ? p->capnamed * 2 : 16;
		uint32_t *n = realloc(p->named, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->named = n;
		p->capnamed = cap;
	}
	p->named[p->nnamed++] = tid;
	snprintf(name, sizeof(name), "cpu%u %s%s%s", ev->cpu,
		 ev->src ? ev->src->name : "", ev->src ? " " : "",
		 ev->kind <= HWR_EV_MISSING ? what[ev->kind] : "other");
	hwr_pf_sep(p, s->f);
	fprintf(s->f, "{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": %u, "
		"\"tid\": %u, \"args\": {\"name\": ", p->loss_pid, tid);
	hwr_json_str(s->f, name);
	fputs("}}", s->f);
	return 0;
}

static int hwr_pf_event(struct hwr_sink *s, const struct hwr_view *c,
			const struct hwr_event *ev)
{
	struct hwr_perfetto *p = s->priv;
	uint32_t tid = hwr_pf_loss_tid(c, ev);
	char line[256], name[96];
	FILE *f = s->f;
	int ret;

	ret = hwr_pf_name_thread(s, c, ev, tid);
	if (ret)
		return ret;
	switch (ev->kind) {
	case HWR_EV_LOST:
		snprintf(name, sizeof(name), "%" PRIu64 " records lost",
			 ev->count);
		break;
	case HWR_EV_SAMPLE_GAP:
		snprintf(name, sizeof(name), "%s: %" PRIu64 " samples missing",
			 ev->src ? ev->src->name : "?", ev->count);
		break;
	case HWR_EV_SUBBUF_GAP:
		snprintf(name, sizeof(name), "%" PRIu64
			 " sub-buffers missing", ev->count);
		break;
	default:
		snprintf(name, sizeof(name), "%s", hwr_event_name(ev->kind));
	}
	hwr_fmt_event(line, sizeof(line), c, ev);
	hwr_pf_sep(p, f);
	fputs("{\"name\": ", f);
	hwr_json_str(f, name);
	fprintf(f, ", \"cat\": \"loss\", \"ph\": \"X\", \"pid\": %u, "
		"\"tid\": %u, \"ts\": ", p->loss_pid, tid);
	hwr_pf_ts(f, c, ev->from_ts);
	fputs(", \"dur\": ", f);
	hwr_pf_ts(f, c, c->t0 + (ev->to_ts > ev->from_ts ?
				 ev->to_ts - ev->from_ts : 0));
	fputs(", \"args\": {\"what\": ", f);
	hwr_json_str(f, line);
	fputs("}}", f);
	return ferror(f) ? -EIO : 0;
}

static int hwr_pf_end(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_perfetto *p = s->priv;
	uint32_t j, idx = 0;
	FILE *f = s->f;

	hwr_for_each_selected(c, ct) {
		const struct hwr_pf_last *row;

		if (!p->last)
			break;
		row = &p->last[idx++ * p->ncols];
		for (j = 0; j < p->ncols; j++)
			if (row[j].valid)
				hwr_pf_counter(s, c, ct, hwr_pf_pid(c, ct),
					       (int)j - 1, row[j].end_ts,
					       row[j].v);
	}
	fputs("\n]}\n", f);
	return ferror(f) ? -EIO : 0;
}

static void hwr_pf_free(struct hwr_sink *s)
{
	struct hwr_perfetto *p = s->priv;

	if (p) {
		free(p->last);
		free(p->named);
	}
	free(p);
}

static const struct hwr_sink_ops hwr_pf_ops = {
	.name = "perfetto",
	.begin = hwr_pf_begin,
	.interval = hwr_pf_interval,
	.event = hwr_pf_event,
	.end = hwr_pf_end,
	.free = hwr_pf_free,
};

struct hwr_sink *hwr_sink_perfetto(FILE *f)
{
	return hwr_sink_new(f, &hwr_pf_ops, sizeof(struct hwr_perfetto));
}
