// SPDX-License-Identifier: MIT
/*
 * summary.c - the engine: records in, in time order; intervals, loss
 * events and a summary out, to the sinks. Its other rooms: sources.c,
 * loss.c, interval.c (engine.h).
 *
 * Memory is bounded by the schema (sources x counters x CPUs) and never
 * by the length of the trace: each series keeps running sums, each gauge
 * a fixed-size quantile sketch, each interval is handed to the sinks and
 * forgotten as soon as time moves past it, and loss events beyond
 * HWR_MAX_EVENTS are counted rather than kept.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct hwr_ctx *hwr_new(const struct hwr_config *cfg)
{
	struct hwr_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->v.interval_ns = cfg->interval_ns ? cfg->interval_ns :
			 HWR_DEFAULT_INTERVAL;
	c->v.epoch = 1;
	c->name = "";
	return c;
}

static void hwr_sink_free(struct hwr_sink *s)
{
	if (s->ops->free)
		s->ops->free(s);
	if (s->close_f && s->f)
		fclose(s->f);
	free(s->path);
	free(s);
}

/* The per-CPU and per-interval state the engine grows as records come. */
void hwr_free_cpu_state(struct hwr_ctx *c)
{
	free(c->cpu_last_ts);
	free(c->cpu_samples);
	free(c->v.cpu_slot);
	free(c->cpu_rotated);
	free(c->cpu_cut);
	free(c->pending);
	free(c->v.slot_data);
	free(c->sb_next_seq);
	free(c->sb_lost);
	free(c->v.lost);
	free(c->dirty);
	free(c->dirty_c);
}

void hwr_free(struct hwr_ctx *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < c->nr_sinks; i++)
		hwr_sink_free(c->sinks[i]);
	free(c->sinks);
	hwr_sources_free(c);
	hwr_free_cpu_state(c);
	hwr_patterns_clear(&c->cfg.sources);
	hwr_patterns_clear(&c->cfg.counters);
	hwr_cpuset_clear(&c->cfg.cpus);
	free(c);
}

int hwr_add_sink(struct hwr_ctx *c, struct hwr_sink *s)
{
	struct hwr_sink **n;

	if (!s)
		return -errno;
	n = realloc(c->sinks, (c->nr_sinks + 1) * sizeof(*n));
	if (!n) {
		hwr_sink_free(s);
		return -ENOMEM;
	}
	c->sinks = n;
	c->sinks[c->nr_sinks++] = s;
	if (s->ops->record)
		c->want_records = true;
	return 0;
}

int hwr_grow_u64(uint64_t **p, uint32_t old, uint32_t n, uint64_t fill)
{
	uint64_t *a = realloc(*p, n * sizeof(**p));
	uint32_t i;

	if (!a)
		return -ENOMEM;
	for (i = old; i < n; i++)
		a[i] = fill;
	*p = a;
	return 0;
}

/*
 * Make room for CPU numbers < @n; tables only ever grow. These are the
 * engine's own (a few words per CPU number, at most 65536); what each
 * source keeps per CPU is sized by slots instead (hwr_source_slots()).
 */
int hwr_grow_cpus(struct hwr_ctx *c, uint32_t n)
{
	uint32_t old = c->v.cpu_cap, *slot;
	bool *cut;

	if (n <= old)
		return 0;
	if (hwr_grow_u64(&c->cpu_last_ts, old, n, 0) ||
	    hwr_grow_u64(&c->cpu_samples, old, n, 0) ||
	    hwr_grow_u64(&c->sb_next_seq, old, n, UINT64_MAX) ||
	    hwr_grow_u64(&c->sb_lost, old, n, 0) ||
	    hwr_grow_u64(&c->v.lost, old, n, 0))
		return -ENOMEM;
	if (hwr_grow_u64(&c->cpu_rotated, old, n, 0))
		return -ENOMEM;
	cut = realloc(c->cpu_cut, n * sizeof(*cut));
	if (!cut)
		return -ENOMEM;
	memset(cut + old, 0, (n - old) * sizeof(*cut));
	c->cpu_cut = cut;
	slot = realloc(c->v.cpu_slot, n * sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	memset(slot + old, 0, (n - old) * sizeof(*slot));
	c->v.cpu_slot = slot;
	c->v.cpu_cap = n;
	if (n > c->v.nr_cpus)
		c->v.nr_cpus = n;
	return 0;
}

/* The slot of @cpu (< cpu_cap), given one when it first has a sample. */
int hwr_cpu_slot(struct hwr_ctx *c, uint32_t cpu, uint32_t *slot)
{
	if (!c->v.cpu_slot[cpu]) {
		if (c->nr_slots == c->cap_slot_data) {
			uint32_t cap = c->cap_slot_data ?
				       c->cap_slot_data * 2 : 8;
			bool *d = realloc(c->v.slot_data, cap * sizeof(*d));

			if (!d)
				return -ENOMEM;
			memset(d + c->cap_slot_data, 0,
			       (cap - c->cap_slot_data) * sizeof(*d));
			c->v.slot_data = d;
			c->cap_slot_data = cap;
		}
		c->v.cpu_slot[cpu] = ++c->nr_slots;
	}
	*slot = c->v.cpu_slot[cpu] - 1;
	return 0;
}

static int hwr_resolve_time(struct hwr_ctx *c)
{
	int ret;

	c->from_ts = 0;
	c->to_ts = UINT64_MAX;
	if (c->cfg.from.kind) {
		ret = hwr_time_resolve(&c->cfg.from, c->t0, c->real_off,
				       &c->from_ts);
		if (ret)
			return ret;
		c->time_selected = true;
	}
	if (c->cfg.to.kind) {
		ret = hwr_time_resolve(&c->cfg.to, c->t0, c->real_off,
				       &c->to_ts);
		if (ret)
			return ret;
		c->time_selected = true;
	}
	return 0;
}

int hwr_begin(struct hwr_ctx *c, const char **bad)
{
	uint32_t total, nsel_c;
	int ret;

	*bad = NULL;
	ret = hwr_map_sources(c);
	if (!ret)
		ret = hwr_select(c, &total, &nsel_c, bad);
	if (ret)
		return ret;
	ret = hwr_resolve_time(c);
	if (ret)
		return ret;
	c->b_base = c->cfg.from.kind ? c->from_ts : c->t0;
	/*
	 * Per-CPU state grows with the CPUs records come from, never to what
	 * a header claims (a file may claim 65536 CPUs and hold one).
	 */
	ret = hwr_grow_cpus(c, 1);
	if (ret)
		return ret;
	ret = hwr_intervals_init(c, total, nsel_c);
	if (ret)
		return ret;
	c->v.first_ts = UINT64_MAX;
	/* From here on these stay as they are: the sinks' copy. */
	c->v.cfg = &c->cfg;
	c->v.name = c->name;
	c->v.files = c->files;
	c->v.nr_files = c->nr_files;
	c->v.t0 = c->t0;
	c->v.real_off = c->real_off;
	c->v.from_ts = c->from_ts;
	c->v.to_ts = c->to_ts;
	c->v.time_selected = c->time_selected;
	c->v.sources = c->sources;
	c->v.nr_sources = c->nr_sources;
	return hwr_sinks_call(c, begin);
}

static struct hwr_series *hwr_row(struct hwr_ctx *c, struct hwr_source *s,
				  uint32_t slot, uint32_t cpu)
{
	struct hwr_series *row;
	uint32_t k;

	row = calloc(s->nr_counters ? s->nr_counters : 1, sizeof(*row));
	if (!row)
		return NULL;
	for (k = 0; k < s->nr_counters; k++) {
		row[k].ctr = &s->counters[k];
		row[k].selected = s->counters[k].selected;
		row[k].cpu = cpu;
		if (row[k].selected && c->cfg.per_cpu &&
		    s->counters[k].kind == HWSTATS_KIND_GAUGE) {
			row[k].q = hwr_qsketch_new();
			if (!row[k].q) {
				while (k--)
					hwr_qsketch_free(row[k].q);
				free(row);
				return NULL;
			}
		}
	}
	s->series[slot] = row;
	c->v.slot_data[slot] = true;
	return row;
}

static int hwr_sinks_record(struct hwr_ctx *c, const struct hwstats_rec *rec,
			    uint32_t cpu, const struct hwr_source *src)
{
	return hwr_sinks_call(c, record, rec, cpu, src);
}

/*
 * The source was registered again, or a new session began, on a CPU: the
 * next sample starts its sequence afresh. Counters keep their history: a
 * counter that restarted from zero shows as a reset, one that went on (a
 * new session of the same registration) goes on.
 */
static void hwr_source_restart(struct hwr_source *s, uint32_t slot)
{
	s->next_seq[slot] = UINT64_MAX;
}

static int hwr_sample(struct hwr_ctx *c, const struct hwstats_rec *rec,
		      uint32_t cpu, uint32_t file, bool in_range)
{
	const struct hwstats_sample *sm = (const void *)rec;
	struct hwr_source *s;
	struct hwr_series *row;
	uint32_t count, i, first, slot;
	bool first_ever;
	uint64_t ts = rec->ts;
	int ret;

	if (__builtin_expect(rec->len < sizeof(*sm), 0)) {
		c->v.malformed++;
		return 0;
	}
	c->v.samples += in_range;
	c->cpu_samples[cpu]++;
	s = hwr_lookup(c, file, rec->source);
	if (__builtin_expect(!s, 0)) {
		c->v.unknown_source++;
		return 0;
	}
	if (!s->selected)
		return 0;
	ret = hwr_cpu_slot(c, cpu, &slot);
	if (!ret)
		ret = hwr_source_slots(s, slot + 1);
	if (ret)
		return ret;

	/*
	 * Another registration of the source on this CPU (registered again,
	 * or a new session): its sequence numbers start afresh.
	 */
	first_ever = s->last_reg[slot] == UINT64_MAX;
	if (__builtin_expect(s->last_reg[slot] !=
			     hwr_reg_key(c, file, rec->source), 0)) {
		if (s->last_reg[slot] != UINT64_MAX)
			hwr_source_restart(s, slot);
		s->last_reg[slot] = hwr_reg_key(c, file, rec->source);
	}

	/* Sequence: any gap is records lost between these two. */
	if (__builtin_expect(sm->seq != s->next_seq[slot], 0)) {
		ret = hwr_seq_gap(c, s, slot, sm->seq, cpu, ts, first_ever,
				  in_range);
		if (ret)
			return ret;
	}
	s->next_seq[slot] = sm->seq + 1;
	s->last_ts[slot] = ts;
	if (!in_range)
		return 0;

	if (c->want_records) {
		ret = hwr_sinks_record(c, rec, cpu, s);
		if (ret)
			return ret;
	}
	c->v.sel_last_ts = ts;
	c->v.sel_samples++;

	if (__builtin_expect(ts >= c->b_end || !c->b_open, 0)) {
		ret = hwr_open_interval(c, ts);
		if (ret)
			return ret;
	}
	row = s->series[slot];
	if (__builtin_expect(!row, 0)) {
		row = hwr_row(c, s, slot, cpu);
		if (!row)
			return -ENOMEM;
	}
	first = sm->first;
	count = (rec->len - (uint32_t)sizeof(*sm)) / 8;
	if (__builtin_expect(first >= s->nr_counters ||
			     count > s->nr_counters - first, 0)) {
		/* Values past the schema: keep the ones it describes. */
		s->malformed++;
		if (first >= s->nr_counters)
			return 0;
		count = s->nr_counters - first;
	}
	row += first;
	for (i = 0; i < count; i++) {
		struct hwr_series *se = &row[i];
		uint64_t v = sm->value[i];

		if (!se->selected)
			continue;
		if (__builtin_expect(se->epoch != c->v.epoch, 0)) {
			ret = hwr_touch(c, se);
			if (ret)
				return ret;
		}
		if (se->ctr->kind == HWSTATS_KIND_COUNTER) {
			hwr_series_counter(se, ts, v);
		} else {
			hwr_series_gauge(se, ts, v);
			ret = hwr_qsketch_add_inline(se->ctr->q, v);
			if (!ret && se->q)
				ret = hwr_qsketch_add_inline(se->q, v);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int hwr_feed(struct hwr_ctx *c, const struct hwstats_rec *rec, uint32_t cpu,
	     uint32_t file)
{
	uint64_t ts = rec->ts;
	bool in_range;
	int ret = 0;

	if (__builtin_expect(cpu >= c->v.cpu_cap, 0)) {
		ret = hwr_grow_cpus(c, cpu + 1);
		if (ret)
			return ret;
	}
	/*
	 * Records come in time order, so past --to nothing more is wanted;
	 * but a CPU's records keep their order even if a timestamp jumps,
	 * so one wild timestamp must not end the report: stop only after a
	 * long run of records that all lie past --to.
	 */
	if (ts >= c->to_ts) {
		if (++c->past_to >= HWR_STOP_AFTER)
			return 1;
		return 0;
	}
	c->past_to = 0;
	in_range = ts >= c->from_ts;
	/* What the trace holds in the time selected, whatever the CPU. */
	if (in_range) {
		c->v.records++;
		if (ts < c->v.first_ts) {
			c->v.first_ts = ts;
			c->first_file = file;
			c->first_cpu = cpu;
		}
		if (ts > c->v.last_ts)
			c->v.last_ts = ts;
	}

	if (!hwr_cpuset_has(&c->cfg.cpus, cpu)) {
		if (rec->type == HWSTATS_REC_SAMPLE)
			c->v.samples += in_range;
		else if (rec->type == HWSTATS_REC_SUBBUF)
			c->v.subbufs += in_range;
		goto out;
	}
	switch (rec->type) {
	case HWSTATS_REC_SAMPLE:
		ret = hwr_sample(c, rec, cpu, file, in_range);
		break;
	case HWSTATS_REC_SUBBUF:
		ret = hwr_subbuf(c, rec, cpu, in_range);
		if (!ret && in_range && c->want_records)
			ret = hwr_sinks_record(c, rec, cpu, NULL);
		break;
	case HWSTATS_REC_PAD:
		c->v.pads += in_range;
		break;
	default:
		c->v.unknown += in_range;
		if (in_range && c->want_records)
			ret = hwr_sinks_record(c, rec, cpu, NULL);
		break;
	}
out:
	c->cpu_last_ts[cpu] = ts;
	return ret;
}

void hwr_set_file_end(struct hwr_ctx *c, uint32_t file,
		      const struct hws_cpu_totals *totals, uint32_t nr_totals,
		      const struct hws_damage *damage, uint32_t nr_damage)
{
	struct hwr_file *f = &c->files[file];

	f->totals = totals;
	f->nr_totals = nr_totals;
	f->damage = damage;
	f->nr_damage = nr_damage;
}

/* @order: the slots in CPU order, so that sums add up as they always did */
static void hwr_counter_stats(const struct hwr_ctx *c, struct hwr_counter *ct,
			      const uint32_t *order)
{
	struct hwr_stats *st = &ct->st;
	struct hwr_source *s = ct->src;
	struct hwr_sum sum = { 0, 0 };
	uint32_t k;

	memset(st, 0, sizeof(*st));
	st->min = UINT64_MAX;
	for (k = 0; k < c->nr_slots; k++) {
		const struct hwr_series *se;
		uint32_t slot = order[k];

		if (slot >= s->slot_cap || !s->series[slot])
			continue;
		se = &s->series[slot][ct->index];
		if (!se->n)
			continue;
		if (!st->n || se->first_ts < st->first_ts)
			st->first_ts = se->first_ts;
		if (se->last_ts > st->last_ts)
			st->last_ts = se->last_ts;
		st->n += se->n;
		if (ct->kind == HWSTATS_KIND_COUNTER) {
			st->increase += se->increase;
			if (se->span_ns)
				st->mean_rate += (double)se->increase * 1e9 /
						 (double)se->span_ns;
			st->wraps += se->wraps;
			st->resets += se->resets;
		} else {
			if (se->min < st->min)
				st->min = se->min;
			if (se->max > st->max)
				st->max = se->max;
			hwr_sum_merge(&sum, &se->sum);
		}
	}
	if (!st->n)
		st->min = 0;
	if (ct->kind == HWSTATS_KIND_COUNTER) {
		st->peak_rate = ct->peak;
	} else if (st->n) {
		st->mean = hwr_sum_mean(&sum, st->n);
		st->p50 = hwr_qsketch_quantile(ct->q, 0.50);
		st->p95 = hwr_qsketch_quantile(ct->q, 0.95);
		st->p99 = hwr_qsketch_quantile(ct->q, 0.99);
		st->q_exact = hwr_qsketch_exact(ct->q);
	}
}

int hwr_finish(struct hwr_ctx *c)
{
	uint32_t i, k, *order;
	int ret;

	if (c->finished)
		return 0;
	c->finished = true;
	ret = hwr_close_interval(c);
	if (ret)
		return ret;
	if (c->v.first_ts == UINT64_MAX)
		c->v.first_ts = 0;
	ret = hwr_start_gaps(c);
	if (ret)
		return ret;
	/* The footer speaks for the whole trace, so only without --from
	 * or --to can it add to what the headers showed. */
	if (!c->time_selected) {
		ret = hwr_footer_loss(c);
		if (ret)
			return ret;
	}
	for (i = 0; i < c->v.cpu_cap; i++)
		c->v.lost_total += c->v.lost[i];
	for (i = 0; i < c->nr_files; i++)
		c->v.nr_damage += c->files[i].nr_damage;
	order = malloc((c->nr_slots ? c->nr_slots : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (i = 0, k = 0; i < c->v.cpu_cap; i++)
		if (c->v.cpu_slot[i])
			order[k++] = c->v.cpu_slot[i] - 1;
	hwr_for_each_selected(&c->v, sel)
		hwr_counter_stats(c, &c->sources[sel->src - c->v.sources]
				     .counters[sel->index], order);
	free(order);
	return hwr_sinks_call(c, end);
}
