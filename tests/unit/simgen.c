// SPDX-License-Identifier: MIT
/*
 * simgen.c - traces as the simulated device (kmod/hwstats_sim.c) records
 * them, made without a kernel: for the report's tests (known answers) and
 * for measuring the report's speed on a trace of any size.
 *
 * Sample n of CPU c carries the module's values: value[0] = n ("ticks"),
 * counter i: n * 1000 * i + (splitmix(c, i, n) & 0xff), gauge j:
 * 1000 * (j + 1) + splitmix(c, idx, n) % 200. Sample n of CPU c is stamped
 * start + (n + 1) * period + c * 1000 ns; a sub-buffer header precedes
 * every subbuf_records - 1 samples. A dropped sample consumes its seq and
 * raises the lost count that the next sub-buffer header (forced right
 * after the drop, as a full no-overwrite buffer does) reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "simgen.h"

uint64_t hwr_sim_hash(uint32_t cpu, uint32_t idx, uint64_t n)
{
	uint64_t z = n ^ ((uint64_t)cpu << 48) ^ ((uint64_t)idx << 32);

	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t hwr_sim_value(const struct hwr_sim_opts *o, uint32_t cpu,
		       uint32_t idx, uint64_t n)
{
	if (idx == 0)
		return n;
	if (idx < o->counters)
		return n * 1000 * idx + (hwr_sim_hash(cpu, idx, n) & 0xff);
	return 1000ULL * (idx - o->counters + 1) +
	       hwr_sim_hash(cpu, idx, n) % 200;
}

uint64_t hwr_sim_ts(const struct hwr_sim_opts *o, uint32_t cpu, uint64_t n)
{
	return o->start_boot_ns + (n + 1) * o->period_ns + cpu * 1000ULL;
}

void hwr_sim_defaults(struct hwr_sim_opts *o)
{
	if (!o->nr_cpus)
		o->nr_cpus = 2;
	if (!o->counters)
		o->counters = 4;
	if (!o->period_ns)
		o->period_ns = 10 * 1000 * 1000;
	if (!o->start_boot_ns)
		o->start_boot_ns = 1000 * HWR_NS_PER_SEC;
	if (!o->start_real_ns)
		o->start_real_ns = 1795813200ULL * HWR_NS_PER_SEC;
	if (!o->subbuf_records)
		o->subbuf_records = 64;
	if (!o->source_id)
		o->source_id = 1;
}

int hwr_sim_header(struct hwr_sim *s, const struct hwr_sim_opts *opts)
{
	struct hws_header *h = &s->hdr;
	uint32_t n, i;

	memset(s, 0, sizeof(*s));
	s->o = *opts;
	hwr_sim_defaults(&s->o);
	n = s->o.counters + s->o.gauges;
	s->ctr = calloc(n, sizeof(*s->ctr));
	if (!s->ctr)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct hws_counter *c = &s->ctr[i];

		if (i == 0)
			snprintf(c->name, sizeof(c->name), "ticks");
		else if (i < s->o.counters)
			snprintf(c->name, sizeof(c->name), "counter%u", i);
		else
			snprintf(c->name, sizeof(c->name), "gauge%u",
				 i - s->o.counters);
		snprintf(c->unit, sizeof(c->unit), "%s", i == 0 ? "samples" :
			 i < s->o.counters ? "events" : "level");
		c->kind = i < s->o.counters ? HWSTATS_KIND_COUNTER :
			  HWSTATS_KIND_GAUGE;
	}
	s->src.id = s->o.source_id;
	s->src.nr_counters = n;
	snprintf(s->src.name, sizeof(s->src.name), "sim");
	s->src.counters = s->ctr;
	h->format_major = HWS_FORMAT_MAJOR;
	h->format_minor = HWS_FORMAT_MINOR;
	snprintf(h->host, sizeof(h->host), "simhost");
	snprintf(h->kernel, sizeof(h->kernel), "6.1.0-sim");
	snprintf(h->module_version, sizeof(h->module_version), "0.1.0");
	h->nr_cpus = s->o.nr_cpus;
	h->subbuf_size = 262144;
	h->n_subbufs = 8;
	h->session_id = s->o.session_id ? s->o.session_id : 1;
	h->period_ns = s->o.period_ns;
	h->start_boot_ns = s->o.start_boot_ns;
	h->start_real_ns = s->o.start_real_ns;
	h->nr_sources = 1;
	h->sources = &s->src;
	return 0;
}

void hwr_sim_release(struct hwr_sim *s)
{
	free(s->ctr);
	s->ctr = NULL;
}

static bool hwr_sim_dropped(const struct hwr_sim_opts *o, uint32_t cpu,
			    uint64_t n)
{
	return o->drop_count && cpu == o->drop_cpu && n >= o->drop_from &&
	       n < o->drop_from + o->drop_count;
}

size_t hwr_sim_cpu(const struct hwr_sim *s, uint32_t cpu, uint64_t n_from,
		   uint64_t n_to, struct hwr_sim_state *st, void *buf,
		   size_t cap)
{
	const struct hwr_sim_opts *o = &s->o;
	uint32_t nv = o->counters + o->gauges, per = o->max_values, i;
	size_t len = 0, rec_len;
	uint8_t *p = buf;
	uint64_t n;

	if (!per || per > nv)
		per = nv;
	rec_len = sizeof(struct hwstats_sample) + per * 8;
	for (n = n_from; n < n_to; n++) {
		uint64_t ts = hwr_sim_ts(o, cpu, n);
		uint32_t first;

		if (hwr_sim_dropped(o, cpu, n)) {
			/* A dropped sample still consumes its seqs. */
			st->seq += (nv + per - 1) / per;
			st->lost += (nv + per - 1) / per;
			st->force_switch = true;
			st->next = n + 1;
			continue;
		}
		if (st->in_subbuf == 0 || st->force_switch ||
		    st->in_subbuf >= o->subbuf_records) {
			struct hwstats_subbuf_hdr *h;

			if (len + sizeof(*h) > cap)
				break;
			h = (void *)(p + len);
			memset(h, 0, sizeof(*h));
			h->hdr.type = HWSTATS_REC_SUBBUF;
			h->hdr.len = sizeof(*h);
			h->hdr.source = cpu;
			h->hdr.ts = ts - 500;
			h->magic = HWSTATS_SUBBUF_MAGIC;
			h->cpu = cpu;
			h->seq = st->subbufs++;
			h->lost = st->lost;
			h->subbuf_size = 262144;
			len += sizeof(*h);
			st->in_subbuf = 1;
			st->force_switch = false;
		}
		if (len + rec_len * ((nv + per - 1) / per) > cap)
			break;
		for (first = 0; first < nv; first += per) {
			struct hwstats_sample *sm = (void *)(p + len);
			uint32_t cnt = nv - first < per ? nv - first : per;

			memset(sm, 0, sizeof(*sm));
			sm->hdr.type = HWSTATS_REC_SAMPLE;
			sm->hdr.len = (uint16_t)(sizeof(*sm) + cnt * 8);
			sm->hdr.source = o->source_id;
			sm->hdr.ts = ts;
			sm->seq = st->seq++;
			sm->first = first;
			for (i = 0; i < cnt; i++)
				sm->value[i] = hwr_sim_value(o, cpu, first + i,
							     n);
			len += sm->hdr.len;
			st->records++;
		}
		st->in_subbuf++;
		st->next = n + 1;
	}
	if (n == n_to)
		st->next = n_to;
	return len;
}

int hwr_sim_write(const struct hwr_sim_opts *opts, const char *path,
		  bool totals)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo) };
	struct hwr_sim_state *st = NULL;
	struct hws_cpu_totals *tot = NULL;
	struct hws_writer *w = NULL;
	const size_t cap = 1 << 20;
	struct hwr_sim s;
	uint32_t cpu;
	uint8_t *buf = NULL;
	bool more = true;
	int ret;

	ret = hwr_sim_header(&s, opts);
	if (ret)
		return ret;
	st = calloc(s.o.nr_cpus, sizeof(*st));
	tot = calloc(s.o.nr_cpus, sizeof(*tot));
	buf = malloc(cap);
	if (!st || !tot || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	wo.level = s.o.level;
	wo.chunk_bytes = s.o.chunk_bytes;
	wo.raw_chunks = s.o.raw_chunks;
	if (s.o.late_source)
		s.hdr.nr_sources = 0;
	w = hws_writer_open(path, &s.hdr, &wo);
	if (!w) {
		ret = -errno;
		goto out;
	}
	if (s.o.late_source) {
		ret = hws_writer_add_source(w, &s.src);
		if (ret)
			goto out;
	}
	/*
	 * A later file of a rotated set continues the streams: run the
	 * samples before it through the generator and throw them away, so
	 * its sequence numbers and lost counts go on where they were.
	 */
	for (cpu = 0; cpu < s.o.nr_cpus; cpu++)
		while (st[cpu].next < s.o.start_sample)
			hwr_sim_cpu(&s, cpu, st[cpu].next, s.o.start_sample,
				    &st[cpu], buf, cap);
	/* CPUs in turns of at most 1 MiB, as a recorder's threads would. */
	while (more) {
		uint64_t end = s.o.start_sample + s.o.samples;

		more = false;
		for (cpu = 0; cpu < s.o.nr_cpus; cpu++) {
			size_t len;

			if (st[cpu].next >= end)
				continue;
			len = hwr_sim_cpu(&s, cpu, st[cpu].next, end,
					  &st[cpu], buf, cap);
			if (len) {
				ret = hws_writer_append(w, cpu, buf, len);
				if (ret)
					goto out;
			}
			if (st[cpu].next < end)
				more = true;
		}
	}
	for (cpu = 0; cpu < s.o.nr_cpus; cpu++) {
		tot[cpu].cpu = cpu;
		tot[cpu].flags = HWSTATS_CPU_HAS_BUFFER;
		tot[cpu].records = st[cpu].records;
		tot[cpu].lost = st[cpu].lost;
		tot[cpu].subbufs = st[cpu].subbufs;
	}
	ret = hws_writer_close(w, totals ? tot : NULL, totals ? s.o.nr_cpus : 0);
	w = NULL;
out:
	if (w)
		hws_writer_close(w, NULL, 0);
	free(buf);
	free(st);
	free(tot);
	hwr_sim_release(&s);
	return ret;
}
