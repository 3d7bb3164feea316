// SPDX-License-Identifier: MIT
/*
 * out_text.c - the aligned text report, for people at a terminal.
 *
 * Summary mode prints everything at the end, loss first: a reader should
 * not have to scroll past the numbers to learn that some are incomplete.
 * Interval mode prints a sar-like table as the intervals close (so a long
 * trace shows progress and memory stays flat), then an average row, then
 * the loss and damage found.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

struct hwr_text {
	bool table_started;
	bool qualify;		/* column names carry the source name */
	uint32_t ncols;
	int *width;
};

static void hwr_fmt_dur(char *buf, size_t len, uint64_t ns)
{
	static const struct { uint64_t ns; const char *u; } u[] = {
		{ 3600 * HWR_NS_PER_SEC, "h" }, { 60 * HWR_NS_PER_SEC, "min" },
		{ HWR_NS_PER_SEC, "s" }, { 1000000, "ms" }, { 1000, "us" },
		{ 1, "ns" },
	};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]) - 1; i++)
		if (ns >= u[i].ns)
			break;
	if (ns % u[i].ns == 0)
		snprintf(buf, len, "%" PRIu64 " %s", ns / u[i].ns, u[i].u);
	else
		snprintf(buf, len, "%.3f %s", (double)ns / (double)u[i].ns,
			 u[i].u);
}

/* "0-3,5": the CPUs of the selection. */
static void hwr_fmt_cpus(char *buf, size_t len, const struct hwr_cpuset *set)
{
	uint32_t i = 0, j;
	size_t off = 0;

	buf[0] = 0;
	while (i < set->nbits && off < len) {
		if (!hwr_cpuset_has(set, i)) {
			i++;
			continue;
		}
		for (j = i; j + 1 < set->nbits && hwr_cpuset_has(set, j + 1);)
			j++;
		if (j == i)
			off += (size_t)snprintf(buf + off, len - off, "%s%u",
						off ? "," : "", i);
		else
			off += (size_t)snprintf(buf + off, len - off,
						"%s%u-%u", off ? "," : "",
						i, j);
		i = j + 1;
	}
}

static void hwr_text_static(FILE *f, const struct hwr_view *c)
{
	const struct hws_header *h = &c->files[0].hdr;
	char wall[64], per[32];
	uint32_t i;

	if (c->nr_files == 1) {
		fprintf(f, "trace      %s\n", c->files[0].path);
	} else {
		fprintf(f, "trace      %u files:", c->nr_files);
		for (i = 0; i < c->nr_files; i++)
			fprintf(f, " %s", c->files[i].path);
		fputc('\n', f);
	}
	fprintf(f, "host       %.*s, kernel %.*s, hwstats %.*s\n",
		(int)sizeof(h->host), h->host, (int)sizeof(h->kernel),
		h->kernel, (int)sizeof(h->module_version),
		h->module_version);
	hwr_fmt_wall_local(wall, sizeof(wall), hwr_wall_ns(c, c->t0), 6);
	hwr_fmt_dur(per, sizeof(per), h->period_ns);
	fprintf(f, "start      %s (session %" PRIu64 ", period %s%s)\n",
		wall, h->session_id, per,
		h->session_flags & HWSTATS_START_OVERWRITE ?
		", overwrite mode" : "");
	fprintf(f, "cpus       %u\n", c->nr_cpus);
}

static void hwr_text_selection(FILE *f, const struct hwr_view *c)
{
	const struct hwr_config *cfg = c->cfg;
	char a[32], b[32], buf[256];
	const char *sep = "";
	uint32_t i;

	if (!c->time_selected && !cfg->cpus.nbits && !cfg->sources.n &&
	    !cfg->counters.n)
		return;
	fprintf(f, "selection  ");
	if (c->time_selected) {
		hwr_fmt_rel(a, sizeof(a), c, c->from_ts > c->t0 ?
			    c->from_ts : c->t0, 3);
		if (c->to_ts == UINT64_MAX)
			snprintf(b, sizeof(b), "end");
		else
			hwr_fmt_rel(b, sizeof(b), c, c->to_ts, 3);
		fprintf(f, "time %s .. %s s", a, b);
		sep = "; ";
	}
	if (cfg->cpus.nbits) {
		hwr_fmt_cpus(buf, sizeof(buf), &cfg->cpus);
		fprintf(f, "%scpus %s", sep, buf);
		sep = "; ";
	}
	if (cfg->sources.n) {
		fprintf(f, "%ssources ", sep);
		for (i = 0; i < cfg->sources.n; i++)
			fprintf(f, "%s%s", i ? "," : "", cfg->sources.pat[i]);
		sep = "; ";
	}
	if (cfg->counters.n) {
		fprintf(f, "%scounters ", sep);
		for (i = 0; i < cfg->counters.n; i++)
			fprintf(f, "%s%s", i ? "," : "", cfg->counters.pat[i]);
	}
	fputc('\n', f);
}

static void hwr_text_totals(FILE *f, const struct hwr_view *c)
{
	char a[32], b[32], d[32];

	hwr_fmt_rel(a, sizeof(a), c, c->first_ts, 3);
	hwr_fmt_rel(b, sizeof(b), c, c->last_ts, 3);
	hwr_fmt_rel(d, sizeof(d), c, c->t0 + hwr_duration(c), 3);
	if (c->records)
		fprintf(f, "duration   %s s (records at %s .. %s s)\n", d, a,
			b);
	else
		fprintf(f, "duration   %s s (no records)\n", d);
	fprintf(f, "records    %" PRIu64 "%s (%" PRIu64 " samples, %" PRIu64
		" sub-buffer headers", c->records, c->time_selected ?
		" in the time selected" : "", c->samples, c->subbufs);
	if (c->unknown)
		fprintf(f, ", %" PRIu64 " of unknown type", c->unknown);
	if (c->unknown_source)
		fprintf(f, ", %" PRIu64 " of unknown sources",
			c->unknown_source);
	if (c->malformed)
		fprintf(f, ", %" PRIu64 " malformed", c->malformed);
	fprintf(f, ")\n");
}

static const char *hwr_s(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* The trace was recorded in overwrite (flight recorder) mode. */
static bool hwr_overwrite(const struct hwr_view *c)
{
	return c->nr_files &&
	       (c->files[0].hdr.session_flags & HWSTATS_START_OVERWRITE);
}

static void hwr_text_loss(FILE *f, const struct hwr_view *c)
{
	uint32_t i, n = 0;
	char line[256];

	/*
	 * Overwrite mode (a flight recorder's dump): the buffers kept the
	 * newest records, the older ones were overwritten by design. A
	 * ring's kept files: the older ones were deleted. Neither is loss.
	 */
	if (c->rotated_out && hwr_overwrite(c))
		fprintf(f, "HISTORY    kept from %.3f s (overwrite mode keeps the "
			"newest records): %" PRIu64 " earlier record%s of the "
			"session were overwritten, not lost\n",
			(double)(c->history_ts - c->t0) / 1e9, c->rotated_out,
			hwr_s(c->rotated_out));
	else if (c->rotated_out)
		fprintf(f, "HISTORY    starts at %.3f s, in %s (the oldest file "
			"kept): %" PRIu64 " earlier record%s of the session "
			"were rotated out, not lost\n",
			(double)(c->history_ts - c->t0) / 1e9,
			c->files[c->history_file].path, c->rotated_out,
			hwr_s(c->rotated_out));
	else if (hwr_overwrite(c) && c->samples)
		fprintf(f, "HISTORY    complete: overwrite mode, and nothing "
			"was overwritten\n");

	if (!c->lost_total && !c->sample_gaps && !c->subbuf_gaps &&
	    !c->seq_backwards && !c->missing) {
		fprintf(f, "LOSS       none: no records lost, no sequence "
			"gaps\n");
		return;
	}
	fprintf(f, "LOSS       %" PRIu64 " record%s lost by the kernel",
		c->lost_total, hwr_s(c->lost_total));
	if (c->lost_total) {
		fprintf(f, " (");
		for (i = 0; i < c->cpu_cap; i++) {
			if (!c->lost[i])
				continue;
			fprintf(f, "%scpu%u %" PRIu64, n++ ? ", " : "", i,
				c->lost[i]);
		}
		fputc(')', f);
	}
	fprintf(f, "\n           %" PRIu64 " sample sequence gap%s (%" PRIu64
		" record%s missing)\n           %" PRIu64 " sub-buffer gap%s (%"
		PRIu64 " sub-buffer%s missing)\n", c->sample_gaps,
		hwr_s(c->sample_gaps), c->sample_gap_records,
		hwr_s(c->sample_gap_records), c->subbuf_gaps,
		hwr_s(c->subbuf_gaps), c->subbuf_gap_count,
		hwr_s(c->subbuf_gap_count));
	if (c->missing)
		fprintf(f, "           %" PRIu64 " record%s the kernel wrote "
			"missing from the files\n", c->missing,
			hwr_s(c->missing));
	if (c->seq_backwards)
		fprintf(f, "           %" PRIu64 " time%s a sequence went "
			"backwards\n", c->seq_backwards,
			hwr_s(c->seq_backwards));
	for (i = 0; i < c->nr_events; i++) {
		hwr_fmt_event(line, sizeof(line), c, &c->events[i]);
		fprintf(f, "  %s\n", line);
	}
	if (c->events_dropped)
		fprintf(f, "  ... and %" PRIu64 " more\n", c->events_dropped);
}

static void hwr_text_damage(FILE *f, const struct hwr_view *c)
{
	uint32_t fi, i;

	if (!c->nr_damage)
		return;
	for (fi = 0; fi < c->nr_files; fi++) {
		const struct hwr_file *fl = &c->files[fi];

		for (i = 0; i < fl->nr_damage; i++) {
			const struct hws_damage *d = &fl->damage[i];

			fprintf(f, "DAMAGE     %s: %s: %.*s (offset %" PRIu64
				", %" PRIu64 " bytes skipped)\n", fl->path,
				hwr_damage_name(d->kind),
				(int)sizeof(d->what), d->what, d->offset,
				d->length);
		}
	}
}

static void hwr_u64s(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
}

static void hwr_row_cells(const struct hwr_view *c,
			  const struct hwr_counter *ct,
			  const struct hwr_stats *st, char cells[][40])
{
	uint32_t i;

	hwr_u64s(cells[0], 40, st->n);
	if (!st->n) {
		for (i = 1; i < 9; i++)
			strcpy(cells[i], "-");
		return;
	}
	hwr_fmt_rel(cells[1], 40, c, st->first_ts, 3);
	hwr_fmt_rel(cells[2], 40, c, st->last_ts, 3);
	if (ct->kind == HWSTATS_KIND_COUNTER) {
		hwr_u64s(cells[3], 40, st->increase);
		hwr_fmt_fixed3(cells[4], st->mean_rate);
		hwr_fmt_fixed3(cells[5], st->peak_rate);
		snprintf(cells[6], 40, "%u", st->wraps);
		snprintf(cells[7], 40, "%u", st->resets);
	} else {
		hwr_u64s(cells[3], 40, st->min);
		hwr_fmt_fixed3(cells[4], st->mean);
		hwr_u64s(cells[5], 40, st->max);
		hwr_u64s(cells[6], 40, st->p50);
		hwr_u64s(cells[7], 40, st->p95);
		hwr_u64s(cells[8], 40, st->p99);
	}
}

bool hwr_counter_unchanged(const struct hwr_counter *ct)
{
	const struct hwr_stats *st = &ct->st;

	if (!st->n)
		return false;
	if (ct->kind == HWSTATS_KIND_GAUGE)
		return st->min == st->max;
	return !st->increase && !st->wraps && !st->resets;
}

/*
 * Sampled counters that never changed, left out of the tables unless
 * --zeros: the netdev source alone has 21 such on an idle interface, and
 * they buried the lines that matter.
 */
static void hwr_text_unchanged(FILE *f, const struct hwr_view *c)
{
	uint32_t n = 0;

	if (c->cfg->zeros)
		return;
	hwr_for_each_selected(c, ct)
		n += hwr_counter_unchanged(ct);
	if (n)
		fprintf(f, "\nUNCHANGED  %u counter%s kept one value throughout "
			"(not shown; --zeros shows them)\n", n, n == 1 ? "" : "s");
}

static int hwr_text_table(FILE *f, const struct hwr_view *c, uint32_t kind)
{
	static const char *const chead[] = {
		"source", "counter", "unit", "cpu", "samples", "first s",
		"last s", "increase", "mean/s", "peak/s", "wraps", "resets",
	};
	static const char *const ghead[] = {
		"source", "counter", "unit", "cpu", "samples", "first s",
		"last s", "min", "mean", "max", "p50", "p95", "p99",
	};
	bool per_cpu = c->cfg->per_cpu, any = false, approx = false;
	uint32_t ncols = kind == HWSTATS_KIND_COUNTER ? 12 : 13;
	struct hwr_stats st;
	struct hwr_table t;
	int ret;

	ret = hwr_table_init(&t, ncols, kind == HWSTATS_KIND_COUNTER ?
			     "lllrrrrrrrrr" : "lllrrrrrrrrrr");
	if (ret)
		return ret;
	ret = hwr_table_row(&t, kind == HWSTATS_KIND_COUNTER ? chead : ghead);
	hwr_for_each_selected(c, ct) {
		char cells[9][40];
		const char *row[13];
		uint32_t j;

		if (ret)
			break;
		/* Unsampled counters get one line at the end. */
		if (ct->kind != kind || !ct->st.n)
			continue;
		if (!c->cfg->zeros && hwr_counter_unchanged(ct))
			continue;
		any = true;
		approx |= kind == HWSTATS_KIND_GAUGE && ct->st.n &&
			  !ct->st.q_exact;
		hwr_row_cells(c, ct, &ct->st, cells);
		row[0] = ct->src->name;
		row[1] = ct->name;
		row[2] = ct->unit;
		row[3] = "all";
		for (j = 0; j < ncols - 4; j++)
			row[4 + j] = cells[j];
		ret = hwr_table_row(&t, row);
		if (!per_cpu)
			continue;
		hwr_for_each_cpu_stats(c, ct, cpu, &st) {
			char cpus[16];

			if (ret)
				break;
			approx |= kind == HWSTATS_KIND_GAUGE &&
				  st.n && !st.q_exact;
			hwr_row_cells(c, ct, &st, cells);
			snprintf(cpus, sizeof(cpus), "%u", cpu);
			row[0] = "";
			row[1] = "";
			row[2] = "";
			row[3] = cpus;
			ret = hwr_table_row(&t, row);
		}
	}
	if (!ret && any) {
		char iv[32];

		fputc('\n', f);
		if (kind == HWSTATS_KIND_COUNTER) {
			hwr_fmt_dur(iv, sizeof(iv), c->interval_ns);
			fprintf(f, "COUNTERS   increase and rates per CPU, "
				"summed; peak over %s intervals\n", iv);
		} else {
			fprintf(f, "GAUGES     percentiles %s\n", approx ?
				"within 0.4 % (log-bucketed histogram)" :
				"exact");
		}
		hwr_table_print(&t, f, "  ");
	}
	hwr_table_free(&t);
	return ret;
}

/*
 * A source the trace names but never sampled (a network device that was
 * down, a source not enabled) would fill the tables with dashes: one line
 * per source says which counters have no samples instead.
 */
static void hwr_text_unsampled(FILE *f, const struct hwr_view *c)
{
	bool first = true;
	uint32_t i, k;

	for (i = 0; i < c->nr_sources; i++) {
		const struct hwr_source *src = &c->sources[i];
		uint32_t none = 0, shown = 0;

		for (k = 0; src->selected && k < src->nr_counters; k++)
			none += src->counters[k].selected &&
				!src->counters[k].st.n;
		if (!none)
			continue;
		fprintf(f, "%s%s: ", first ? "\nNO SAMPLES " : "           ",
			src->name);
		first = false;
		if (none == src->nr_selected) {
			fprintf(f, "%s%u counter%s\n", none > 1 ? "all " : "",
				none, none == 1 ? "" : "s");
			continue;
		}
		for (k = 0; k < src->nr_counters && shown < 8; k++) {
			const struct hwr_counter *ct = &src->counters[k];

			if (ct->selected && !ct->st.n)
				fprintf(f, "%s%s", shown++ ? ", " : "",
					ct->name);
		}
		if (none > shown)
			fprintf(f, " and %u more", none - shown);
		fputc('\n', f);
	}
}

static int hwr_text_begin(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_text *t = s->priv;
	uint32_t i, k, nsrc = 0;

	if (!c->cfg->interval_table)
		return 0;
	hwr_text_static(s->f, c);
	hwr_text_selection(s->f, c);
	for (i = 0; i < c->nr_sources; i++) {
		const struct hwr_source *src = &c->sources[i];

		if (!src->selected)
			continue;
		nsrc++;
		t->ncols += src->nr_selected;
	}
	t->qualify = nsrc > 1;
	t->width = calloc(t->ncols + 1, sizeof(int));
	if (!t->width)
		return -ENOMEM;
	/* Column widths fixed up front, so rows can stream out. */
	k = 0;
	hwr_for_each_selected(c, ct) {
	int w = 14, l;

	l = (int)strlen(ct->name) +
	    (t->qualify ? (int)strlen(ct->src->name) + 1 : 0);
	if (l > w)
		w = l;
	l = (int)strlen(ct->kind == HWSTATS_KIND_COUNTER ?
			ct->rate_unit : ct->unit);
	if (l > w)
		w = l;
	t->width[k++] = w;
	}
	return ferror(s->f) ? -EIO : 0;
}

static void hwr_text_head(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_text *t = s->priv;
	uint32_t k = 0;
	FILE *f = s->f;

	fprintf(f, "\n%12s  %-12s", "time s", "wall-clock");
	if (c->cfg->per_cpu)
		fprintf(f, "  %4s", "cpu");
	hwr_for_each_selected(c, ct) {
		const struct hwr_source *src = ct->src;
		char name[2 * HWSTATS_NAME_LEN + 2];

		if (t->qualify)
			snprintf(name, sizeof(name), "%s.%s",
				 src->name, ct->name);
		else
			snprintf(name, sizeof(name), "%s", ct->name);
		fprintf(f, "  %*s", t->width[k++], name);
	}
	fprintf(f, "\n%12s  %-12s", "", "");
	if (c->cfg->per_cpu)
		fprintf(f, "  %4s", "");
	k = 0;
	hwr_for_each_selected(c, ct) {
		fprintf(f, "  %*s", t->width[k++],
			ct->kind == HWSTATS_KIND_COUNTER ?
			ct->rate_unit : ct->unit);
	}
	fputc('\n', f);
}

/* One row: @cpu UINT32_MAX for all CPUs, @avg for the final average. */
static void hwr_text_row(struct hwr_sink *s, const struct hwr_view *c,
			 uint64_t ts, uint32_t cpu, bool avg)
{
	struct hwr_text *t = s->priv;
	char rel[32], wall[32], cpus[16];
	uint32_t k = 0;
	FILE *f = s->f;

	if (avg) {
		snprintf(rel, sizeof(rel), "average");
		wall[0] = 0;
	} else {
		hwr_fmt_rel(rel, sizeof(rel), c, ts, 3);
		hwr_fmt_tod_local(wall, sizeof(wall), hwr_wall_ns(c, ts), 3);
	}
	fprintf(f, "%12s  %-12s", rel, wall);
	if (c->cfg->per_cpu) {
		if (cpu == UINT32_MAX)
			snprintf(cpus, sizeof(cpus), "all");
		else
			snprintf(cpus, sizeof(cpus), "%u", cpu);
		fprintf(f, "  %4s", cpus);
	}
	hwr_for_each_selected(c, ct) {
		bool ok;
		double v = 0;

		if (avg) {
			ok = ct->st.n > 0;
			v = ct->kind == HWSTATS_KIND_COUNTER ?
			    ct->st.mean_rate : ct->st.mean;
		} else if (cpu == UINT32_MAX) {
			ok = hwr_counter_value(c, ct, &v);
		} else {
			ok = hwr_series_value(c,
				hwr_series_of(c, ct, cpu), &v);
		}
		if (ok) {
			char num[40];

			hwr_fmt_fixed3(num, v);
			fprintf(f, "  %*s", t->width[k++], num);
		} else {
			fprintf(f, "  %*s", t->width[k++], "-");
		}
	}
	fputc('\n', f);
}

static bool hwr_cpu_in_interval(const struct hwr_view *c, uint32_t cpu)
{

	if (!hwr_cpu_has_data(c, cpu))
		return false;
	hwr_for_each_selected(c, ct) {
		const struct hwr_series *se = hwr_series_of(c, ct, cpu);

		if (se && se->epoch == c->epoch)
			return true;
	}
	return false;
}

static int hwr_text_interval(struct hwr_sink *s, const struct hwr_view *c,
			     const struct hwr_interval *iv)
{
	struct hwr_text *t = s->priv;
	uint32_t cpu;

	if (!c->cfg->interval_table)
		return 0;
	if (!t->table_started) {
		hwr_text_head(s, c);
		t->table_started = true;
	}
	hwr_text_row(s, c, iv->start_ts, UINT32_MAX, false);
	for (cpu = 0; c->cfg->per_cpu && cpu < c->cpu_cap; cpu++)
		if (hwr_cpu_in_interval(c, cpu))
			hwr_text_row(s, c, iv->start_ts, cpu, false);
	return ferror(s->f) ? -EIO : 0;
}

/*
 * Sources registered more than once during the capture (a driver reloaded:
 * a new id each time), and schemas that changed under a name (NAME#2 ...).
 */
static void hwr_text_registrations(FILE *f, const struct hwr_view *c)
{
	uint32_t i, n = 0;
	bool again = false;

	for (i = 0; i < c->nr_sources; i++) {
		const struct hwr_source *src = &c->sources[i];
		bool renamed = strcmp(src->name, src->base) != 0;
		uint32_t regs = hwr_source_registrations(src);

		if (regs < 2 && !renamed)
			continue;
		fprintf(f, "%s%s", n++ ? ", " : "SOURCES    ", src->name);
		if (regs > 1)
			fprintf(f, " registered %u times", regs);
		if (renamed)
			fprintf(f, " (\"%s\" with another schema)", src->base);
		again |= regs > 1;
	}
	if (n)
		fputc('\n', f);
	if (again)
		fprintf(f, "           (a driver unloaded and loaded again: "
			"its sequence numbers start afresh)\n");
}

static int hwr_text_end(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_text *t = s->priv;
	FILE *f = s->f;
	int ret;

	if (c->cfg->interval_table) {
		if (!t->table_started)
			hwr_text_head(s, c);
		hwr_text_row(s, c, 0, UINT32_MAX, true);
		fputc('\n', f);
		hwr_text_totals(f, c);
		hwr_text_loss(f, c);
		hwr_text_damage(f, c);
		return ferror(f) ? -EIO : 0;
	}
	hwr_text_static(f, c);
	hwr_text_totals(f, c);
	hwr_text_selection(f, c);
	hwr_text_loss(f, c);
	hwr_text_damage(f, c);
	hwr_text_registrations(f, c);
	ret = hwr_text_table(f, c, HWSTATS_KIND_COUNTER);
	if (!ret)
		ret = hwr_text_table(f, c, HWSTATS_KIND_GAUGE);
	if (ret)
		return ret;
	hwr_text_unchanged(f, c);
	hwr_text_unsampled(f, c);
	return ferror(f) ? -EIO : 0;
}

static void hwr_text_free(struct hwr_sink *s)
{
	struct hwr_text *t = s->priv;

	if (t)
		free(t->width);
	free(t);
}

static const struct hwr_sink_ops hwr_text_ops = {
	.name = "text",
	.begin = hwr_text_begin,
	.interval = hwr_text_interval,
	.end = hwr_text_end,
	.free = hwr_text_free,
};

struct hwr_sink *hwr_sink_text(FILE *f)
{
	return hwr_sink_new(f, &hwr_text_ops, sizeof(struct hwr_text));
}
