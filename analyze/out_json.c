// SPDX-License-Identifier: MIT
/*
 * out_json.c - the JSON report, schema "hwstats-report/1", documented in
 * docs/report-json.md. Scripts depend on it: add members, never rename or
 * remove one without bumping the schema number.
 *
 * Written as it goes (intervals stream out as they close), with the
 * members in a fixed order, one interval or counter per line: easy to
 * diff, easy to grep, and any JSON parser reads it.
 *
 * Times are integers in nanoseconds relative to the time zero (the
 * session start) unless the name says otherwise: floating point would
 * lose nanoseconds past 104 days of uptime.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "sink.h"

struct hwr_json {
	bool first_interval;
};

static void hwr_json_rel(FILE *f, const struct hwr_view *c, uint64_t ts)
{
	if (ts >= c->t0)
		fprintf(f, "%" PRIu64, ts - c->t0);
	else
		fprintf(f, "-%" PRIu64, c->t0 - ts);
}

static void hwr_json_fixed(FILE *f, const char *s, size_t n)
{
	char buf[130];

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	snprintf(buf, n + 1, "%s", s);
	hwr_json_str(f, buf);
}

static void hwr_json_patterns(FILE *f, const struct hwr_patterns *p)
{
	uint32_t i;

	if (!p->n) {
		fputs("null", f);
		return;
	}
	fputc('[', f);
	for (i = 0; i < p->n; i++) {
		if (i)
			fputs(", ", f);
		hwr_json_str(f, p->pat[i]);
	}
	fputc(']', f);
}

/*
 * The @n-th counter of a list (from 0), as the opening of its object:
 * source, counter, unit and kind; the caller adds the rest and the brace.
 */
static void hwr_json_counter(FILE *f, const struct hwr_counter *ct,
			     uint32_t n)
{
	fputs(n ? ",\n    {\"source\": " : "\n    {\"source\": ", f);
	hwr_json_str(f, ct->src->name);
	fputs(", \"counter\": ", f);
	hwr_json_str(f, ct->name);
	fputs(", \"unit\": ", f);
	hwr_json_str(f, ct->unit);
	fprintf(f, ", \"kind\": \"%s\"", hwr_kind_name(ct->kind));
}

static int hwr_json_begin(struct hwr_sink *s, const struct hwr_view *c)
{
	const struct hws_header *h = &c->files[0].hdr;
	struct hwr_json *j = s->priv;
	FILE *f = s->f;
	char wall[48];
	uint32_t i, n;

	j->first_interval = true;
	fputs("{\n  \"schema\": \"hwstats-report/1\",\n  \"files\": [", f);
	for (i = 0; i < c->nr_files; i++) {
		const struct hws_header *fh = &c->files[i].hdr;

		fputs(i ? ",\n    " : "\n    ", f);
		fputs("{\"path\": ", f);
		hwr_json_str(f, c->files[i].path);
		fprintf(f, ", \"format\": \"%u.%u\", \"session_id\": %" PRIu64
			", \"start_boot_ns\": %" PRIu64 "}", fh->format_major,
			fh->format_minor, fh->session_id, fh->start_boot_ns);
	}
	fputs("\n  ],\n  \"trace\": {\"host\": ", f);
	hwr_json_fixed(f, h->host, sizeof(h->host));
	fputs(", \"kernel\": ", f);
	hwr_json_fixed(f, h->kernel, sizeof(h->kernel));
	fputs(", \"module_version\": ", f);
	hwr_json_fixed(f, h->module_version, sizeof(h->module_version));
	hwr_fmt_wall_utc(wall, sizeof(wall), hwr_wall_ns(c, c->t0));
	fprintf(f, ",\n    \"session_id\": %" PRIu64 ", \"period_ns\": %"
		PRIu64 ", \"overwrite\": %s, \"nr_cpus\": %u,\n"
		"    \"start_boot_ns\": %" PRIu64 ", \"start_real_ns\": %" PRIu64
		", \"start_utc\": \"%s\"},\n", h->session_id, h->period_ns,
		h->session_flags & HWSTATS_START_OVERWRITE ? "true" : "false",
		c->nr_cpus, c->t0, hwr_wall_ns(c, c->t0), wall);

	fputs("  \"selection\": {\"from_ns\": ", f);
	if (c->cfg->from.kind)
		hwr_json_rel(f, c, c->from_ts);
	else
		fputs("null", f);
	fputs(", \"to_ns\": ", f);
	if (c->cfg->to.kind)
		hwr_json_rel(f, c, c->to_ts);
	else
		fputs("null", f);
	fputs(", \"cpus\": ", f);
	if (c->cfg->cpus.nbits) {
		fputc('[', f);
		for (i = 0, n = 0; i < c->cfg->cpus.nbits; i++)
			if (hwr_cpuset_has(&c->cfg->cpus, i))
				fprintf(f, "%s%u", n++ ? ", " : "", i);
		fputc(']', f);
	} else {
		fputs("null", f);
	}
	fputs(", \"sources\": ", f);
	hwr_json_patterns(f, &c->cfg->sources);
	fputs(", \"counters\": ", f);
	hwr_json_patterns(f, &c->cfg->counters);
	fprintf(f, ",\n    \"interval_ns\": %" PRIu64 ", \"per_cpu\": %s},\n",
		c->interval_ns, c->cfg->per_cpu ? "true" : "false");

	fputs("  \"counters\": [", f);
	n = 0;
	hwr_for_each_selected(c, ct) {
		hwr_json_counter(f, ct, n++);
		fputc('}', f);
	}
	fputs(n ? "\n  ]" : "]", f);
	if (c->cfg->interval_table)
		fputs(",\n  \"intervals\": [", f);
	return ferror(f) ? -EIO : 0;
}

/* {"sim": {"ticks": 1.0, ...}, ...} for all CPUs or one */
static void hwr_json_values(FILE *f, const struct hwr_view *c, uint32_t cpu)
{
	uint32_t i, k, ns = 0;

	fputc('{', f);
	for (i = 0; i < c->nr_sources; i++) {
		const struct hwr_source *src = &c->sources[i];
		uint32_t nc = 0;

		if (!src->selected)
			continue;
		if (ns++)
			fputs(", ", f);
		hwr_json_str(f, src->name);
		fputs(": {", f);
		for (k = 0; k < src->nr_counters; k++) {
			const struct hwr_counter *ct = &src->counters[k];
			double v;
			bool ok;

			if (!ct->selected)
				continue;
			if (nc++)
				fputs(", ", f);
			hwr_json_str(f, ct->name);
			fputs(": ", f);
			ok = cpu == UINT32_MAX ? hwr_counter_value(c, ct, &v) :
			     hwr_series_value(c, hwr_series_of(c, ct, cpu), &v);
			if (ok)
				hwr_json_num(f, v, 3);
			else
				fputs("null", f);
		}
		fputc('}', f);
	}
	fputc('}', f);
}

static bool hwr_json_cpu_active(const struct hwr_view *c, uint32_t cpu)
{
	double v;

	hwr_for_each_selected(c, ct)
		if (hwr_series_value(c, hwr_series_of(c, ct, cpu), &v))
			return true;
	return false;
}

static int hwr_json_interval(struct hwr_sink *s, const struct hwr_view *c,
			     const struct hwr_interval *iv)
{
	struct hwr_json *j = s->priv;
	FILE *f = s->f;
	uint32_t cpu, n = 0;

	if (!c->cfg->interval_table)
		return 0;
	fputs(j->first_interval ? "\n    {\"t_ns\": " : ",\n    {\"t_ns\": ",
	      f);
	j->first_interval = false;
	hwr_json_rel(f, c, iv->start_ts);
	fprintf(f, ", \"len_ns\": %" PRIu64 ", \"values\": ", iv->len_ns);
	hwr_json_values(f, c, UINT32_MAX);
	if (c->cfg->per_cpu) {
		fputs(", \"cpus\": {", f);
		for (cpu = 0; cpu < c->cpu_cap; cpu++) {
			if (!hwr_json_cpu_active(c, cpu))
				continue;
			fprintf(f, "%s\"%u\": ", n++ ? ", " : "", cpu);
			hwr_json_values(f, c, cpu);
		}
		fputc('}', f);
	}
	fputc('}', f);
	return ferror(f) ? -EIO : 0;
}

static void hwr_json_stats(FILE *f, const struct hwr_view *c,
			   const struct hwr_counter *ct,
			   const struct hwr_stats *st)
{
	fprintf(f, "\"samples\": %" PRIu64 ", \"first_ns\": ", st->n);
	if (st->n)
		hwr_json_rel(f, c, st->first_ts);
	else
		fputs("null", f);
	fputs(", \"last_ns\": ", f);
	if (st->n)
		hwr_json_rel(f, c, st->last_ts);
	else
		fputs("null", f);
	if (ct->kind == HWSTATS_KIND_COUNTER) {
		fprintf(f, ", \"increase\": %" PRIu64 ", \"mean_rate\": ",
			st->increase);
		hwr_json_num(f, st->n ? st->mean_rate : NAN, 3);
		fputs(", \"peak_rate\": ", f);
		hwr_json_num(f, st->n ? st->peak_rate : NAN, 3);
		fprintf(f, ", \"wraps\": %u, \"resets\": %u", st->wraps,
			st->resets);
	} else if (st->n) {
		fprintf(f, ", \"min\": %" PRIu64 ", \"mean\": ", st->min);
		hwr_json_num(f, st->mean, 3);
		fprintf(f, ", \"max\": %" PRIu64 ", \"p50\": %" PRIu64
			", \"p95\": %" PRIu64 ", \"p99\": %" PRIu64
			", \"quantiles_exact\": %s", st->max, st->p50, st->p95,
			st->p99, st->q_exact ? "true" : "false");
	} else {
		fputs(", \"min\": null, \"mean\": null, \"max\": null, "
		      "\"p50\": null, \"p95\": null, \"p99\": null, "
		      "\"quantiles_exact\": true", f);
	}
}

static void hwr_json_summary(FILE *f, const struct hwr_view *c)
{
	struct hwr_stats st;
	uint32_t n = 0;

	fputs(",\n  \"summary\": [", f);
	hwr_for_each_selected(c, ct) {
		uint32_t nc = 0;

		hwr_json_counter(f, ct, n++);
		fputs(", ", f);
		hwr_json_stats(f, c, ct, &ct->st);
		if (c->cfg->per_cpu) {
			fputs(",\n     \"cpus\": [", f);
			hwr_for_each_cpu_stats(c, ct, cpu, &st) {
				fprintf(f, "%s{\"cpu\": %u, ",
					nc++ ? ",\n       " :
					"\n       ", cpu);
				hwr_json_stats(f, c, ct, &st);
				fputc('}', f);
			}
			fputs("]", f);
		}
		fputc('}', f);
	}
	fputs(n ? "\n  ]" : "]", f);
}

static void hwr_json_loss(FILE *f, const struct hwr_view *c)
{
	/* Records before the kept history: overwritten in overwrite mode,
	 * rotated out of a ring otherwise; never loss. */
	bool overwrite = c->nr_files &&
		(c->files[0].hdr.session_flags & HWSTATS_START_OVERWRITE);
	uint32_t i, n = 0;

	fprintf(f, ",\n  \"loss\": {\"lost_records\": %" PRIu64
		", \"lost_per_cpu\": {", c->lost_total);
	for (i = 0; i < c->cpu_cap; i++)
		if (c->lost[i])
			fprintf(f, "%s\"%u\": %" PRIu64, n++ ? ", " : "", i,
				c->lost[i]);
	fprintf(f, "},\n    \"sample_gaps\": %" PRIu64
		", \"sample_gap_records\": %" PRIu64 ", \"subbuf_gaps\": %"
		PRIu64 ", \"subbuf_gap_subbufs\": %" PRIu64
		", \"seq_backwards\": %" PRIu64 ", \"missing_records\": %"
		PRIu64 ", \"rotated_out_records\": %" PRIu64
		", \"overwritten_records\": %" PRIu64
		",\n    \"events\": [", c->sample_gaps,
		c->sample_gap_records, c->subbuf_gaps, c->subbuf_gap_count,
		c->seq_backwards, c->missing, overwrite ? 0 : c->rotated_out,
		overwrite ? c->rotated_out : 0);
	for (i = 0; i < c->nr_events; i++) {
		const struct hwr_event *ev = &c->events[i];

		fprintf(f, "%s{\"kind\": \"%s\", \"cpu\": %u, \"source\": ",
			i ? ",\n      " : "\n      ", hwr_event_name(ev->kind),
			ev->cpu);
		if (ev->src)
			hwr_json_str(f, ev->src->name);
		else
			fputs("null", f);
		fprintf(f, ", \"count\": %" PRIu64 ", \"seq_from\": ",
			ev->count);
		if (ev->kind == HWR_EV_SAMPLE_GAP ||
		    ev->kind == HWR_EV_SUBBUF_GAP ||
		    ev->kind == HWR_EV_SEQ_BACK)
			fprintf(f, "%" PRIu64, ev->seq_from);
		else
			fputs("null", f);
		fputs(", \"from_ns\": ", f);
		hwr_json_rel(f, c, ev->from_ts);
		fputs(", \"to_ns\": ", f);
		hwr_json_rel(f, c, ev->to_ts);
		fputc('}', f);
	}
	fprintf(f, "%s],\n    \"events_not_listed\": %" PRIu64 "}",
		c->nr_events ? "\n    " : "", c->events_dropped);
}

static void hwr_json_damage(FILE *f, const struct hwr_view *c)
{
	uint32_t fi, i, n = 0;

	fputs(",\n  \"damage\": [", f);
	for (fi = 0; fi < c->nr_files; fi++) {
		const struct hwr_file *fl = &c->files[fi];

		for (i = 0; i < fl->nr_damage; i++) {
			const struct hws_damage *d = &fl->damage[i];

			fputs(n++ ? ",\n    {\"file\": " : "\n    {\"file\": ",
			      f);
			hwr_json_str(f, fl->path);
			fprintf(f, ", \"kind\": \"%s\", \"offset\": %" PRIu64
				", \"length\": %" PRIu64 ", \"what\": ",
				hwr_damage_name(d->kind), d->offset,
				d->length);
			hwr_json_fixed(f, d->what, sizeof(d->what));
			fputc('}', f);
		}
	}
	fputs(n ? "\n  ]" : "]", f);
}

static int hwr_json_end(struct hwr_sink *s, const struct hwr_view *c)
{
	FILE *f = s->f;

	if (c->cfg->interval_table)
		fputs(c->nr_intervals ? "\n  ]" : "]", f);
	fprintf(f, ",\n  \"totals\": {\"records\": %" PRIu64 ", \"samples\": %"
		PRIu64 ", \"subbuf_headers\": %" PRIu64 ", \"pad\": %" PRIu64
		", \"unknown_type\": %" PRIu64 ", \"unknown_source\": %" PRIu64
		", \"malformed\": %" PRIu64 ",\n    \"selected_samples\": %"
		PRIu64 ", \"first_ns\": ", c->records, c->samples, c->subbufs,
		c->pads, c->unknown, c->unknown_source, c->malformed,
		c->sel_samples);
	if (c->records)
		hwr_json_rel(f, c, c->first_ts);
	else
		fputs("null", f);
	fputs(", \"last_ns\": ", f);
	if (c->records)
		hwr_json_rel(f, c, c->last_ts);
	else
		fputs("null", f);
	fprintf(f, ", \"duration_ns\": %" PRIu64 "}", hwr_duration(c));
	hwr_json_loss(f, c);
	hwr_json_damage(f, c);
	hwr_json_summary(f, c);
	fputs("\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

static void hwr_json_free(struct hwr_sink *s)
{
	free(s->priv);
}

static const struct hwr_sink_ops hwr_json_ops = {
	.name = "json",
	.begin = hwr_json_begin,
	.interval = hwr_json_interval,
	.end = hwr_json_end,
	.free = hwr_json_free,
};

struct hwr_sink *hwr_sink_json(FILE *f)
{
	return hwr_sink_new(f, &hwr_json_ops, sizeof(struct hwr_json));
}
