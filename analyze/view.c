// SPDX-License-Identifier: MIT
/*
 * view.c - what the sinks see of the engine: the walk over the selected
 * counters, relative and wall-clock times, the duration, and events and
 * damage in words. Everything here reads a const struct hwr_view.
 */
#include <inttypes.h>
#include <stdio.h>

#include "sink.h"

const struct hwr_counter *hwr_next_selected(const struct hwr_view *c,
					    const struct hwr_counter *ct)
{
	uint32_t si = 0, k = 0;

	if (ct) {
		si = (uint32_t)(ct->src - c->sources);
		k = ct->index + 1;
	}
	for (; si < c->nr_sources; si++, k = 0) {
		const struct hwr_source *s = &c->sources[si];

		for (; s->selected && k < s->nr_counters; k++)
			if (s->counters[k].selected)
				return &s->counters[k];
	}
	return NULL;
}

uint32_t hwr_next_cpu_stats(const struct hwr_view *c,
			    const struct hwr_counter *ct, uint32_t cpu,
			    struct hwr_stats *st)
{
	for (; cpu < c->cpu_cap; cpu++) {
		const struct hwr_series *se = hwr_series_of(c, ct, cpu);

		if (se && se->n) {
			hwr_series_stats(se, st);
			return cpu;
		}
	}
	return c->cpu_cap;
}

uint32_t hwr_source_registrations(const struct hwr_source *s)
{
	/* Registrations within sessions: each session's first is not new. */
	return s->nr_regs - s->nr_reg_sessions + 1;
}

void hwr_fmt_rel(char *buf, size_t len, const struct hwr_view *c, uint64_t ts,
		 int decimals)
{
	uint64_t d, div = 1;
	const char *sign = "";
	int i;

	if (ts >= c->t0) {
		d = ts - c->t0;
	} else {
		d = c->t0 - ts;
		sign = "-";
	}
	if (decimals > 9)
		decimals = 9;
	for (i = decimals; i < 9; i++)
		div *= 10;
	/* Round half up to the decimals shown. */
	d = (d + div / 2) / div;
	if (decimals <= 0)
		snprintf(buf, len, "%s%" PRIu64, sign, d);
	else
		snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64, sign,
			 d / (HWR_NS_PER_SEC / div), decimals,
			 d % (HWR_NS_PER_SEC / div));
}

uint64_t hwr_wall_ns(const struct hwr_view *c, uint64_t ts)
{
	/* Unsigned: the offset comes from a header and may be anything. */
	return ts + (uint64_t)c->real_off;
}

uint64_t hwr_duration(const struct hwr_view *c)
{
	uint64_t start = c->time_selected && c->from_ts > c->t0 ?
			 c->from_ts : c->t0;
	uint64_t end = c->time_selected ? c->sel_last_ts : c->last_ts;

	return end > start ? end - start : 0;
}

bool hwr_cpu_has_data(const struct hwr_view *c, uint32_t cpu)
{
	if (cpu >= c->cpu_cap || !c->cpu_slot[cpu])
		return false;
	return c->slot_data[c->cpu_slot[cpu] - 1];
}

const char *hwr_kind_name(uint32_t kind)
{
	return kind == HWSTATS_KIND_COUNTER ? "counter" :
	       kind == HWSTATS_KIND_GAUGE ? "gauge" : "unknown";
}

const char *hwr_event_name(uint32_t kind)
{
	switch (kind) {
	case HWR_EV_LOST: return "lost";
	case HWR_EV_SAMPLE_GAP: return "sample_gap";
	case HWR_EV_SUBBUF_GAP: return "subbuf_gap";
	case HWR_EV_SEQ_BACK: return "seq_backwards";
	case HWR_EV_MISSING: return "missing";
	}
	return "unknown";
}

const char *hwr_damage_name(uint32_t kind)
{
	switch (kind) {
	case HWS_DAMAGE_TRUNCATED: return "truncated";
	case HWS_DAMAGE_CHECKSUM: return "checksum";
	case HWS_DAMAGE_CORRUPT: return "corrupt";
	case HWS_DAMAGE_NO_FOOTER: return "no_footer";
	}
	return "unknown";
}

void hwr_fmt_event(char *buf, size_t len, const struct hwr_view *c,
		   const struct hwr_event *ev)
{
	char a[32], b[32];

	hwr_fmt_rel(a, sizeof(a), c, ev->from_ts, 6);
	hwr_fmt_rel(b, sizeof(b), c, ev->to_ts, 6);
	switch (ev->kind) {
	case HWR_EV_LOST:
		snprintf(buf, len, "%s .. %s s  cpu%u  %" PRIu64
			 " records dropped by the kernel (buffer full)",
			 a, b, ev->cpu, ev->count);
		break;
	case HWR_EV_SAMPLE_GAP:
		snprintf(buf, len, "%s .. %s s  cpu%u  %s: %" PRIu64
			 " sample records missing (seq %" PRIu64 "..%" PRIu64
			 ")", a, b, ev->cpu, ev->src ? ev->src->name : "?",
			 ev->count, ev->seq_from, ev->seq_from + ev->count - 1);
		break;
	case HWR_EV_SUBBUF_GAP:
		snprintf(buf, len, "%s .. %s s  cpu%u  %" PRIu64
			 " sub-buffers missing (seq %" PRIu64 "..%" PRIu64 ")",
			 a, b, ev->cpu, ev->count, ev->seq_from,
			 ev->seq_from + ev->count - 1);
		break;
	case HWR_EV_SEQ_BACK:
		snprintf(buf, len, "%s .. %s s  cpu%u  %s: sample seq went back"
			 " by %" PRIu64 " (to %" PRIu64 "): overlapping files"
			 " or a new session", a, b, ev->cpu,
			 ev->src ? ev->src->name : "?", ev->count,
			 ev->seq_from);
		break;
	case HWR_EV_MISSING:
		snprintf(buf, len, "%s .. %s s  cpu%u  %" PRIu64
			 " records the kernel wrote are not in the files",
			 a, b, ev->cpu, ev->count);
		break;
	default:
		snprintf(buf, len, "%s .. %s s  cpu%u  unknown event", a, b,
			 ev->cpu);
	}
}
