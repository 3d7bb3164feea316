// SPDX-License-Identifier: MIT
/*
 * out_openmetrics.c - the selected samples as OpenMetrics text with their
 * timestamps, for backfilling a Prometheus TSDB:
 *
 *   hwstats-report --openmetrics run.om run.hws
 *   promtool tsdb create-blocks-from openmetrics run.om data/
 *
 * Names follow hwstats-stat --prometheus (recorder/hwsprom.h): family
 * "hwstats_<counter>" (characters outside [a-zA-Z0-9_:] as '_'), label
 * source="<source>".
 *
 * Counters are one series per source and counter, the sum over CPUs: its
 * value is the increase since the first sample of the selection, added up
 * over every CPU's series with wraps and resets taken as the report takes
 * them (so Prometheus' increase() over the capture is the report's
 * increase). With --per-cpu each CPU is its own series (label cpu), whose
 * value starts at that CPU's first value and grows by the same increases,
 * so a 32-bit wrap is no reset to Prometheus. Gauges have no sum over
 * CPUs: they are always a series per CPU (label cpu), avg() and
 * avg_over_time() in PromQL combine them.
 *
 * Prometheus keeps milliseconds: of several samples of one series within
 * one millisecond, the last is written. Timestamps are wall-clock seconds
 * (the session start's offset applied).
 *
 * The format wants each series whole and each family in one piece, while
 * the records come in time order across everything: the sink spools the
 * selected samples to an unlinked temporary file and writes the text at
 * the end, one pass per series over the spooled rows that hold it. Memory
 * stays bounded (one offset per row, a few words per selected counter);
 * time is what is written, plus sorting the selected counters by name
 * once to find the families.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sink.h"

/* One spooled record: this header, then count values. */
struct hwr_om_row {
	uint64_t ts;
	uint32_t cpu;
	uint32_t first;
	uint32_t count;
	uint32_t pad;
};

/*
 * A source's rows, grouped by CPU and by the range of counters they hold
 * (a large schema comes in several sample records per sampling, each with
 * its slice): a series reads only the groups that hold it, so the text
 * costs what it writes, not the rows times the series.
 */
struct hwr_om_grp {
	uint32_t cpu, first, count;
	uint64_t *rows;		/* offsets into the spool, ascending */
	size_t n, cap;
};

struct hwr_om_src {
	struct hwr_om_grp *g;
	uint32_t ng, capg;
	uint32_t last;		/* the group of the previous row */
	size_t n;		/* rows in all groups */
};

struct hwr_om {
	FILE *spool;
	uint64_t spool_len;
	struct hwr_om_src *srcs;	/* by index into c->sources */
	uint32_t nr_srcs;
};

struct hwr_om_cur {
	const struct hwr_om_grp *g;
	size_t i;
};

struct hwr_om_series {
	bool renamed;		/* a gauge family with "_gauge" appended */
	bool pending;
	uint64_t ms;
	uint64_t value;
};

/*
 * The group of rows of @cpu holding counters first .. first + count - 1:
 * a source's records come round in the same order each sampling, so the
 * search starts at the previous row's group and nearly always stops at it
 * or the one after.
 */
static struct hwr_om_grp *hwr_om_group(struct hwr_om_src *os, uint32_t cpu,
				       uint32_t first, uint32_t count)
{
	struct hwr_om_grp *g;
	uint32_t i, k;

	for (k = 0; k < os->ng; k++) {
		i = os->last + k < os->ng ? os->last + k : os->last + k - os->ng;
		g = &os->g[i];
		if (g->cpu == cpu && g->first == first && g->count == count) {
			os->last = i;
			return g;
		}
	}
	if (os->ng == os->capg) {
		uint32_t cap = os->capg ? os->capg * 2 : 4;

		g = realloc(os->g, cap * sizeof(*g));
		if (!g)
			return NULL;
		os->g = g;
		os->capg = cap;
	}
	g = &os->g[os->ng];
	*g = (struct hwr_om_grp){ .cpu = cpu, .first = first, .count = count };
	os->last = os->ng++;
	return g;
}

static int hwr_om_record(struct hwr_sink *s, const struct hwr_view *c,
			 const struct hwstats_rec *rec, uint32_t cpu,
			 const struct hwr_source *src)
{
	struct hwr_om *om = s->priv;
	const struct hwstats_sample *sm = (const void *)rec;
	struct hwr_om_row row = { .ts = rec->ts, .cpu = cpu };
	struct hwr_om_src *os;
	struct hwr_om_grp *g;
	uint32_t idx;

	if (rec->type != HWSTATS_REC_SAMPLE || !src || !src->selected ||
	    rec->len < sizeof(*sm))
		return 0;
	idx = (uint32_t)(src - c->sources);
	if (idx >= om->nr_srcs) {
		struct hwr_om_src *n = realloc(om->srcs, (size_t)c->nr_sources *
					       sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + om->nr_srcs, 0,
		       (c->nr_sources - om->nr_srcs) * sizeof(*n));
		om->srcs = n;
		om->nr_srcs = c->nr_sources;
	}
	os = &om->srcs[idx];
	row.first = sm->first;
	row.count = (rec->len - (uint32_t)sizeof(*sm)) / 8;
	g = hwr_om_group(os, cpu, row.first, row.count);
	if (!g)
		return -ENOMEM;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		uint64_t *n = realloc(g->rows, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		g->rows = n;
		g->cap = cap;
	}
	if (fwrite(&row, sizeof(row), 1, om->spool) != 1 ||
	    fwrite(sm->value, 8, row.count, om->spool) != row.count)
		return errno ? -errno : -EIO;
	g->rows[g->n++] = om->spool_len;
	os->n++;
	om->spool_len += sizeof(row) + (uint64_t)row.count * 8;
	return 0;
}

static void hwr_om_name(FILE *f, const char *name)
{
	fputs("hwstats_", f);
	for (; *name; name++) {
		char ch = *name;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == ':';

		fputc(ok ? ch : '_', f);
	}
}

static void hwr_om_escaped(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/*
 * The families: one per counter name and kind, written in one piece at
 * the place of its first selected counter, holding that counter and its
 * namesakes of later sources. Found once, by sorting the selected
 * counters by name, so the cost is the counters times log of them, not
 * their square (a schema may have hundreds of thousands).
 *
 * A gauge's family gets "_gauge" appended when its name ends in "_total"
 * (as in hwsprom.h) or when a selected counter of any source has the same
 * name: one family name cannot be a counter and a gauge.
 */
struct hwr_om_fam {
	const struct hwr_counter **sel;	/* the selected counters, in order */
	uint32_t *next;		/* next member of the same family, or N */
	bool *head;		/* first member of its family */
	bool *renamed;
	uint32_t n;
};

static const struct hwr_counter **hwr_om_sort_sel;

static int hwr_om_by_name(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(hwr_om_sort_sel[x]->name, hwr_om_sort_sel[y]->name);

	if (r)
		return r;
	return x < y ? -1 : x > y;
}

static bool hwr_om_total(const char *name)
{
	size_t n = strlen(name);

	return n >= 6 && !strcmp(name + n - 6, "_total");
}

static void hwr_om_fam_free(struct hwr_om_fam *fm)
{
	free(fm->sel);
	free(fm->next);
	free(fm->head);
	free(fm->renamed);
}

static int hwr_om_fam_build(struct hwr_om_fam *fm, const struct hwr_view *c)
{
	uint32_t n = 0, i, j, k, *ord;

	memset(fm, 0, sizeof(*fm));
	hwr_for_each_selected(c, ct)
		n++;
	fm->n = n;
	fm->sel = calloc(n ? n : 1, sizeof(*fm->sel));
	fm->next = calloc(n ? n : 1, sizeof(*fm->next));
	fm->head = calloc(n ? n : 1, sizeof(*fm->head));
	fm->renamed = calloc(n ? n : 1, sizeof(*fm->renamed));
	ord = calloc(n ? n : 1, sizeof(*ord));
	if (!fm->sel || !fm->next || !fm->head || !fm->renamed || !ord) {
		free(ord);
		hwr_om_fam_free(fm);
		memset(fm, 0, sizeof(*fm));
		return -ENOMEM;
	}
	n = 0;
	hwr_for_each_selected(c, ct) {
		ord[n] = n;
		fm->sel[n++] = ct;
	}
	hwr_om_sort_sel = fm->sel;
	qsort(ord, n, sizeof(*ord), hwr_om_by_name);
	hwr_om_sort_sel = NULL;
	for (i = 0; i < n; i = j) {
		bool any_counter = false;
		uint32_t last[2] = { n, n };	/* per kind: gauge, counter */

		for (j = i; j < n && !strcmp(fm->sel[ord[j]]->name,
					     fm->sel[ord[i]]->name); j++)
			any_counter |= fm->sel[ord[j]]->kind ==
				       HWSTATS_KIND_COUNTER;
		/* A run of one name, in selection order: chain each kind. */
		for (k = i; k < j; k++) {
			uint32_t o = ord[k];
			const struct hwr_counter *ct = fm->sel[o];
			int kc = ct->kind == HWSTATS_KIND_COUNTER;

			fm->next[o] = n;
			fm->renamed[o] = !kc && (any_counter ||
						 hwr_om_total(ct->name));
			if (last[kc] == n)
				fm->head[o] = true;
			else
				fm->next[last[kc]] = o;
			last[kc] = o;
		}
	}
	free(ord);
	return 0;
}

static void hwr_om_flush(FILE *f, const struct hwr_counter *ct, int cpu,
			 struct hwr_om_series *se)
{
	if (!se->pending)
		return;
	hwr_om_name(f, ct->name);
	if (ct->kind == HWSTATS_KIND_COUNTER)
		fputs("_total", f);
	else if (se->renamed)
		fputs("_gauge", f);
	fputs("{source=\"", f);
	hwr_om_escaped(f, ct->src->name);
	if (cpu >= 0)
		fprintf(f, "\",cpu=\"%d", cpu);
	fprintf(f, "\"} %" PRIu64 " %" PRIu64 ".%03" PRIu64 "\n", se->value,
		se->ms / 1000, se->ms % 1000);
	se->pending = false;
}

static void hwr_om_put(FILE *f, const struct hwr_counter *ct, int cpu,
		       struct hwr_om_series *se, uint64_t ms, uint64_t v)
{
	if (se->pending && se->ms != ms)
		hwr_om_flush(f, ct, cpu, se);
	se->pending = true;
	se->ms = ms;
	se->value = v;
}

/*
 * One series: counter @ct on @cpu (-1: the sum over CPUs, counters only),
 * from the groups of rows that hold it, merged back into spool order
 * (@cur: room for a cursor per group of the source).
 */
static void hwr_om_series(struct hwr_sink *s, const struct hwr_view *c,
			  const unsigned char *map, const struct hwr_om_src *os,
			  const struct hwr_counter *ct, bool renamed, int cpu,
			  uint64_t *last, uint8_t *seen, uint32_t ncpu,
			  struct hwr_om_cur *cur)
{
	struct hwr_om_series se = { .renamed = renamed };
	uint64_t total = 0;
	uint32_t k, nc = 0;

	memset(seen, 0, ncpu);
	for (k = 0; k < os->ng; k++) {
		const struct hwr_om_grp *g = &os->g[k];

		if (ct->index < g->first || ct->index - g->first >= g->count ||
		    (cpu >= 0 && g->cpu != (uint32_t)cpu) || g->cpu >= ncpu ||
		    !g->n)
			continue;
		cur[nc++] = (struct hwr_om_cur){ g, 0 };
	}
	while (nc) {
		const struct hwr_om_row *r;
		const uint64_t *v;
		uint64_t val, ms;
		uint32_t m = 0;
		int kind;

		for (k = 1; k < nc; k++)
			if (cur[k].g->rows[cur[k].i] < cur[m].g->rows[cur[m].i])
				m = k;
		r = (const void *)(map + cur[m].g->rows[cur[m].i]);
		if (++cur[m].i == cur[m].g->n)
			cur[m] = cur[--nc];
		v = (const void *)(r + 1);
		val = v[ct->index - r->first];
		ms = hwr_wall_ns(c, r->ts) / 1000000;
		if (ct->kind == HWSTATS_KIND_GAUGE) {
			hwr_om_put(s->f, ct, cpu, &se, ms, val);
			continue;
		}
		if (!seen[r->cpu]) {
			seen[r->cpu] = 1;
			if (cpu >= 0)
				total = val;
		} else {
			total += hwr_counter_delta(last[r->cpu], val, &kind);
		}
		last[r->cpu] = val;
		hwr_om_put(s->f, ct, cpu, &se, ms, total);
	}
	hwr_om_flush(s->f, ct, cpu, &se);
}

static int hwr_om_end(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_om *om = s->priv;
	unsigned char *map = NULL;
	uint64_t *last = NULL;
	uint8_t *seen = NULL;
	uint32_t ncpu = c->cpu_cap ? c->cpu_cap : 1, i, maxg = 1;
	struct hwr_om_cur *cur = NULL;
	struct hwr_om_fam fm = { 0 };
	int ret = 0;

	if (fflush(om->spool))
		return -errno;
	if (om->spool_len) {
		map = mmap(NULL, om->spool_len, PROT_READ, MAP_PRIVATE,
			   fileno(om->spool), 0);
		if (map == MAP_FAILED)
			return -errno;
	}
	last = calloc(ncpu, sizeof(*last));
	seen = calloc(ncpu, 1);
	for (i = 0; i < om->nr_srcs; i++)
		if (om->srcs[i].ng > maxg)
			maxg = om->srcs[i].ng;
	cur = calloc(maxg, sizeof(*cur));
	if (!last || !seen || !cur || hwr_om_fam_build(&fm, c)) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * One family per counter name: sources sharing a counter name share
	 * a family, which must be written in one piece.
	 */
	for (i = 0; i < fm.n; i++) {
		const struct hwr_counter *ct = fm.sel[i];
		bool renamed = fm.renamed[i];
		uint32_t cpu, m;

		/* Written already with an earlier counter's family? */
		if (!fm.head[i])
			continue;
		fputs("# TYPE ", s->f);
		hwr_om_name(s->f, ct->name);
		if (renamed)
			fputs("_gauge", s->f);
		fprintf(s->f, " %s\n# HELP ", ct->kind == HWSTATS_KIND_GAUGE ?
			"gauge" : "counter");
		hwr_om_name(s->f, ct->name);
		if (renamed)
			fputs("_gauge", s->f);
		fputs(" hwstats ", s->f);
		hwr_om_escaped(s->f, ct->name);
		if (ct->unit[0]) {
			fputs(" (", s->f);
			hwr_om_escaped(s->f, ct->unit);
			fputs(")", s->f);
		}
		fputc('\n', s->f);
		/* The family: this counter and its namesakes after it. */
		for (m = i; m < fm.n; m = fm.next[m]) {
			const struct hwr_counter *o = fm.sel[m];
			uint32_t j = (uint32_t)(o->src - c->sources);

			if (j >= om->nr_srcs || !om->srcs[j].n)
				continue;
			if (o->kind == HWSTATS_KIND_COUNTER &&
			    !c->cfg->per_cpu) {
				hwr_om_series(s, c, map, &om->srcs[j], o,
					      renamed, -1, last, seen, ncpu,
					      cur);
				continue;
			}
			for (cpu = 0; cpu < ncpu; cpu++)
				if (hwr_series_of(c, o, cpu))
					hwr_om_series(s, c, map, &om->srcs[j],
						      o, renamed, (int)cpu,
						      last, seen, ncpu, cur);
		}
	}
	fputs("# EOF\n", s->f);
	if (fflush(s->f) || ferror(s->f))
		ret = errno ? -errno : -EIO;
out:
	if (map)
		munmap(map, om->spool_len);
	hwr_om_fam_free(&fm);
	free(cur);
	free(last);
	free(seen);
	return ret;
}

static void hwr_om_free(struct hwr_sink *s)
{
	struct hwr_om *om = s->priv;
	uint32_t i, j;

	if (om) {
		if (om->spool)
			fclose(om->spool);
		for (i = 0; i < om->nr_srcs; i++) {
			for (j = 0; j < om->srcs[i].ng; j++)
				free(om->srcs[i].g[j].rows);
			free(om->srcs[i].g);
		}
		free(om->srcs);
		free(om);
	}
	s->priv = NULL;
}

static const struct hwr_sink_ops hwr_om_ops = {
	.name = "openmetrics",
	.record = hwr_om_record,
	.end = hwr_om_end,
	.free = hwr_om_free,
};

struct hwr_sink *hwr_sink_openmetrics(FILE *f)
{
	struct hwr_sink *s = hwr_sink_new(f, &hwr_om_ops, sizeof(struct hwr_om));
	struct hwr_om *om;

	if (!s)
		return NULL;
	om = s->priv;
	om->spool = tmpfile();
	if (!om->spool) {
		int e = errno;

		free(om);
		free(s);
		errno = e;
		return NULL;
	}
	return s;
}
