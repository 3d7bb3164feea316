// SPDX-License-Identifier: MIT
/*
 * loss.c - what is missing, and where: the kernel's lost counts (sub-buffer
 * headers and footers), sub-buffer and sample sequence gaps, records the
 * footer says were written but the files lack, and a history that starts
 * late (records rotated out or overwritten, which is not loss).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* CPU numbers a footer's totals may name (the format's limit). */
#define HWS_MAX_CPUS_REPORT	65536U

static int hwr_sinks_call_event(struct hwr_ctx *c, const struct hwr_event *ev)
{
	return hwr_sinks_call(c, event, ev);
}

int hwr_event(struct hwr_ctx *c, const struct hwr_event *ev)
{
	switch (ev->kind) {
	case HWR_EV_LOST:
		c->v.lost[ev->cpu] += ev->count;
		break;
	case HWR_EV_SAMPLE_GAP:
		c->v.sample_gaps++;
		c->v.sample_gap_records += ev->count;
		break;
	case HWR_EV_SUBBUF_GAP:
		c->v.subbuf_gaps++;
		c->v.subbuf_gap_count += ev->count;
		break;
	case HWR_EV_SEQ_BACK:
		c->v.seq_backwards++;
		break;
	case HWR_EV_MISSING:
		c->v.missing += ev->count;
		break;
	}
	if (c->v.nr_events < HWR_MAX_EVENTS)
		c->v.events[c->v.nr_events++] = *ev;
	else
		c->v.events_dropped++;
	return hwr_sinks_call_event(c, ev);
}

int hwr_subbuf(struct hwr_ctx *c, const struct hwstats_rec *rec,
	       uint32_t cpu, bool in_range)
{
	const struct hwstats_subbuf_hdr *h = (const void *)rec;
	uint64_t prev_ts = c->cpu_last_ts[cpu] ? c->cpu_last_ts[cpu] : c->t0;
	int ret;

	if (rec->len < sizeof(*h)) {
		c->v.malformed++;
		return 0;
	}
	c->v.subbufs += in_range;
	if (c->sb_next_seq[cpu] == UINT64_MAX) {
		/*
		 * First header of this CPU. Without a time selection the
		 * stream must start at sub-buffer 0 with nothing lost; with
		 * one (and a seek past earlier chunks), it starts wherever
		 * it starts, and only what changes from here on counts.
		 */
		c->sb_next_seq[cpu] = c->time_selected ? h->seq : 0;
		c->sb_lost[cpu] = c->time_selected ? h->lost : 0;
		/*
		 * The recorder drains from the session's first sub-buffer:
		 * a later one first means the files start after the session
		 * did (a ring deleted the older ones, or an overwriting
		 * buffer dropped them). Its history starts here; what came
		 * before, dropped records included, is not loss in it.
		 */
		if (!c->time_selected && h->seq) {
			c->cpu_cut[cpu] = true;
			c->sb_next_seq[cpu] = h->seq;
			c->sb_lost[cpu] = h->lost;
		}
	}
	if (in_range && h->seq > c->sb_next_seq[cpu]) {
		struct hwr_event ev = {
			.kind = HWR_EV_SUBBUF_GAP,
			.cpu = cpu,
			.count = h->seq - c->sb_next_seq[cpu],
			.seq_from = c->sb_next_seq[cpu],
			.from_ts = prev_ts,
			.to_ts = rec->ts,
		};

		ret = hwr_event(c, &ev);
		if (ret)
			return ret;
	}
	c->sb_next_seq[cpu] = h->seq + 1;
	/*
	 * The lost count is cumulative per CPU for the session; records
	 * were dropped while the buffer was full, i.e. after the last
	 * record this CPU wrote and before this header.
	 */
	if (in_range && h->lost > c->sb_lost[cpu]) {
		struct hwr_event ev = {
			.kind = HWR_EV_LOST,
			.cpu = cpu,
			.count = h->lost - c->sb_lost[cpu],
			.from_ts = prev_ts,
			.to_ts = rec->ts,
		};

		ret = hwr_event(c, &ev);
		if (ret)
			return ret;
	}
	c->sb_lost[cpu] = h->lost;
	return 0;
}

static int hwr_pending_add(struct hwr_ctx *c, const struct hwr_event *ev)
{
	if (c->nr_pending == c->cap_pending) {
		uint32_t cap = c->cap_pending ? c->cap_pending * 2 : 16;
		struct hwr_event *p = realloc(c->pending, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->pending = p;
		c->cap_pending = cap;
	}
	c->pending[c->nr_pending++] = *ev;
	return 0;
}

int hwr_seq_gap(struct hwr_ctx *c, struct hwr_source *s, uint32_t slot,
		uint64_t seq, uint32_t cpu, uint64_t ts, bool first_ever,
		bool in_range)
{
	uint64_t expect = s->next_seq[slot];
	struct hwr_event ev;

	if (expect == UINT64_MAX)
		/* First sight: without a time selection the seq
		 * must start at 0, or the start is missing. */
		expect = c->time_selected ? seq : 0;
	if (!in_range || seq == expect)
		return 0;
	ev = (struct hwr_event){
		.kind = seq > expect ? HWR_EV_SAMPLE_GAP : HWR_EV_SEQ_BACK,
		.cpu = cpu,
		.src = s,
		.count = seq > expect ? seq - expect : expect - seq,
		.seq_from = seq > expect ? expect : seq,
		.from_ts = s->last_ts[slot] ? s->last_ts[slot] : c->t0,
		.to_ts = ts,
	};
	/* the set may start after the session: decided at the end
	 * (hwr_start_gaps()) */
	if (first_ever && !c->time_selected && seq > expect)
		return hwr_pending_add(c, &ev);
	if (seq > expect) {
		s->gaps++;
		s->gap_records += ev.count;
	} else {
		s->seq_backwards++;
	}
	return hwr_event(c, &ev);
}

/*
 * Sample sequences that began above 0: on a CPU whose history starts late
 * (hwr_subbuf()) those samples were rotated out with the older files;
 * elsewhere they are lost, as always.
 */
int hwr_start_gaps(struct hwr_ctx *c)
{
	uint32_t i;
	int ret;

	for (i = 0; i < c->nr_pending; i++) {
		struct hwr_event *ev = &c->pending[i];
		struct hwr_source *s = (struct hwr_source *)ev->src;

		if (c->cpu_cut[ev->cpu]) {
			c->cpu_rotated[ev->cpu] += ev->count;
			c->v.rotated_out += ev->count;
			continue;
		}
		s->gaps++;
		s->gap_records += ev->count;
		ret = hwr_event(c, ev);
		if (ret)
			return ret;
	}
	c->nr_pending = 0;
	if (c->v.rotated_out) {
		c->v.history_ts = c->v.first_ts;
		c->v.history_file = c->first_file;
	}
	return 0;
}

/* Loss the headers could not show: only the footer knows it. */
int hwr_footer_loss(struct hwr_ctx *c)
{
	uint64_t *kern_lost, *kern_records;
	uint32_t fi, i;
	int ret = 0;

	/* CPUs the footers count, even if no record of them is left */
	for (fi = 0; fi < c->nr_files; fi++)
		for (i = 0; i < c->files[fi].nr_totals; i++)
			if (c->files[fi].totals[i].cpu >= c->v.cpu_cap &&
			    c->files[fi].totals[i].cpu < HWS_MAX_CPUS_REPORT &&
			    (c->files[fi].totals[i].records ||
			     c->files[fi].totals[i].lost)) {
				ret = hwr_grow_cpus(c,
					c->files[fi].totals[i].cpu + 1);
				if (ret)
					return ret;
			}
	kern_lost = calloc(c->v.cpu_cap, sizeof(uint64_t));
	kern_records = calloc(c->v.cpu_cap, sizeof(uint64_t));
	if (!kern_lost || !kern_records) {
		ret = -ENOMEM;
		goto out;
	}
	/* Totals are cumulative for the session: a rotated set's newest
	 * footer has the largest; take the largest per CPU. */
	for (fi = 0; fi < c->nr_files; fi++) {
		const struct hwr_file *f = &c->files[fi];

		for (i = 0; i < f->nr_totals; i++) {
			const struct hws_cpu_totals *t = &f->totals[i];

			if (t->cpu >= c->v.cpu_cap)
				continue;
			if (t->lost > kern_lost[t->cpu])
				kern_lost[t->cpu] = t->lost;
			if (t->records > kern_records[t->cpu])
				kern_records[t->cpu] = t->records;
		}
	}
	for (i = 0; i < c->v.cpu_cap; i++) {
		uint64_t end = c->v.last_ts ? c->v.last_ts : c->t0;

		if (!hwr_cpuset_has(&c->cfg.cpus, i))
			continue;
		if (kern_lost[i] > c->sb_lost[i]) {
			struct hwr_event ev = {
				.kind = HWR_EV_LOST,
				.cpu = i,
				.count = kern_lost[i] - c->sb_lost[i],
				.from_ts = c->cpu_last_ts[i] ?
					   c->cpu_last_ts[i] : c->t0,
				.to_ts = end,
			};

			ret = hwr_event(c, &ev);
			if (ret)
				goto out;
		}
		/* records rotated out are not in the files, as expected */
		if (kern_records[i] > c->cpu_samples[i] + c->cpu_rotated[i]) {
			struct hwr_event ev = {
				.kind = HWR_EV_MISSING,
				.cpu = i,
				.count = kern_records[i] - c->cpu_samples[i] -
					 c->cpu_rotated[i],
				.from_ts = c->t0,
				.to_ts = end,
			};

			ret = hwr_event(c, &ev);
			if (ret)
				goto out;
		}
	}
out:
	free(kern_lost);
	free(kern_records);
	return ret;
}
