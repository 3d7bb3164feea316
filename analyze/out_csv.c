// SPDX-License-Identifier: MIT
/*
 * out_csv.c - one table, nothing else, for spreadsheets and scripts.
 *
 * Summary mode: a row per counter (and per CPU with --per-cpu), columns
 * that do not apply to its kind left empty. Interval mode: long ("tidy")
 * rows, one value per interval, counter and CPU, so that any number of
 * sources fits one header. Loss and damage go to stderr as warnings;
 * mixing them into the table would break every CSV reader.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "sink.h"

static int hwr_csv_begin(struct hwr_sink *s, const struct hwr_view *c)
{
	if (c->cfg->interval_table)
		fputs("t_s,wall_utc,source,counter,unit,kind,cpu,value\n",
		      s->f);
	else
		fputs("source,counter,unit,kind,cpu,samples,first_s,last_s,"
		      "increase,mean_rate,peak_rate,wraps,resets,min,mean,max,"
		      "p50,p95,p99\n", s->f);
	return ferror(s->f) ? -EIO : 0;
}

static void hwr_csv_ival(FILE *f, const struct hwr_view *c,
			 const struct hwr_counter *ct, const char *t,
			 const char *wall, const char *cpu, double v)
{
	fprintf(f, "%s,%s,", t, wall);
	hwr_csv_str(f, ct->src->name);
	fputc(',', f);
	hwr_csv_str(f, ct->name);
	fputc(',', f);
	hwr_csv_str(f, ct->kind == HWSTATS_KIND_COUNTER ? ct->rate_unit :
		    ct->unit);
	char num[40];

	hwr_fmt_fixed3(num, v);
	fprintf(f, ",%s,%s,%s\n", hwr_kind_name(ct->kind), cpu, num);
	(void)c;
}

static int hwr_csv_interval(struct hwr_sink *s, const struct hwr_view *c,
			    const struct hwr_interval *iv)
{
	char t[32], wall[48], cpus[16];
	uint32_t cpu;
	double v;

	if (!c->cfg->interval_table)
		return 0;
	hwr_fmt_rel(t, sizeof(t), c, iv->start_ts, 9);
	hwr_fmt_wall_utc(wall, sizeof(wall), hwr_wall_ns(c, iv->start_ts));
	hwr_for_each_selected(c, ct) {
		if (hwr_counter_value(c, ct, &v))
			hwr_csv_ival(s->f, c, ct, t, wall, "all", v);
		for (cpu = 0; c->cfg->per_cpu && cpu < c->cpu_cap;
		     cpu++) {
			if (!hwr_series_value(c,
				hwr_series_of(c, ct, cpu), &v))
				continue;
			snprintf(cpus, sizeof(cpus), "%u", cpu);
			hwr_csv_ival(s->f, c, ct, t, wall, cpus, v);
		}
	}
	return ferror(s->f) ? -EIO : 0;
}

static void hwr_csv_row(FILE *f, const struct hwr_view *c,
			const struct hwr_counter *ct, const char *cpu,
			const struct hwr_stats *st)
{
	char a[32] = "", b[32] = "";

	hwr_csv_str(f, ct->src->name);
	fputc(',', f);
	hwr_csv_str(f, ct->name);
	fputc(',', f);
	hwr_csv_str(f, ct->unit);
	if (st->n) {
		hwr_fmt_rel(a, sizeof(a), c, st->first_ts, 9);
		hwr_fmt_rel(b, sizeof(b), c, st->last_ts, 9);
	}
	fprintf(f, ",%s,%s,%" PRIu64 ",%s,%s,", hwr_kind_name(ct->kind), cpu,
		st->n, a, b);
	if (ct->kind == HWSTATS_KIND_COUNTER && st->n)
		fprintf(f, "%" PRIu64 ",%.3f,%.3f,%u,%u,,,,,,\n",
			st->increase, st->mean_rate, st->peak_rate, st->wraps,
			st->resets);
	else if (st->n)
		fprintf(f, ",,,,,%" PRIu64 ",%.3f,%" PRIu64 ",%" PRIu64 ",%"
			PRIu64 ",%" PRIu64 "\n", st->min, st->mean, st->max,
			st->p50, st->p95, st->p99);
	else
		fputs(",,,,,,,,,,\n", f);
}

static int hwr_csv_end(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_stats st;
	char cpus[16];

	if (c->cfg->interval_table)
		return ferror(s->f) ? -EIO : 0;
	hwr_for_each_selected(c, ct) {
		hwr_csv_row(s->f, c, ct, "all", &ct->st);
		if (!c->cfg->per_cpu)
			continue;
		hwr_for_each_cpu_stats(c, ct, cpu, &st) {
			snprintf(cpus, sizeof(cpus), "%u", cpu);
			hwr_csv_row(s->f, c, ct, cpus, &st);
		}
	}
	return ferror(s->f) ? -EIO : 0;
}

static const struct hwr_sink_ops hwr_csv_ops = {
	.name = "csv",
	.begin = hwr_csv_begin,
	.interval = hwr_csv_interval,
	.end = hwr_csv_end,
};

struct hwr_sink *hwr_sink_csv(FILE *f)
{
	return hwr_sink_new(f, &hwr_csv_ops, 0);
}
