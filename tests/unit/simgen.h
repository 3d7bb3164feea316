/* SPDX-License-Identifier: MIT */
/*
 * simgen - traces as hwstats_sim.ko makes them, without a kernel: a test
 * fixture (known answers for the report's tests), kept out of the
 * report's library.
 */
#ifndef HWS_SIMGEN_H
#define HWS_SIMGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hws.h"

struct hwr_sim_opts {
	uint32_t nr_cpus;		/* 0: 2 */
	uint32_t counters;		/* monotonic, ticks included; 0: 4 */
	uint32_t gauges;		/* may be 0 */
	uint32_t max_values;		/* per record (0: all in one) */
	uint64_t samples;		/* per CPU */
	uint64_t start_sample;		/* write [start, start + samples):
					 * one file of a rotated set */
	uint64_t period_ns;		/* 0: 10 ms */
	uint64_t start_boot_ns;		/* session start; 0: 1000 s */
	uint64_t start_real_ns;		/* 0: 2026-11-27T21:00:00Z */
	uint64_t session_id;		/* 0: 1 */
	uint32_t subbuf_records;	/* records per sub-buffer; 0: 64 */
	uint32_t source_id;		/* 0: 1 */
	/* drop samples [drop_from, drop_from + drop_count) on drop_cpu */
	uint32_t drop_cpu;
	uint64_t drop_from, drop_count;
	/* writer */
	int level;
	uint64_t chunk_bytes;
	bool raw_chunks;		/* records as they are, zstd only */
	bool late_source;		/* the header lists no source; a
					 * source frame describes it */
};

struct hwr_sim {
	struct hwr_sim_opts o;		/* with defaults filled in */
	struct hws_header hdr;
	struct hws_source src;
	struct hws_counter *ctr;
};

struct hwr_sim_state {
	uint64_t next;			/* next sample number */
	uint64_t seq, lost, subbufs, records;
	uint32_t in_subbuf;
	bool force_switch;
};

void hwr_sim_defaults(struct hwr_sim_opts *o);
uint64_t hwr_sim_hash(uint32_t cpu, uint32_t idx, uint64_t n);
uint64_t hwr_sim_value(const struct hwr_sim_opts *o, uint32_t cpu,
		       uint32_t idx, uint64_t n);
uint64_t hwr_sim_ts(const struct hwr_sim_opts *o, uint32_t cpu, uint64_t n);
/* The header (s->hdr) for @opts; release with hwr_sim_release(). */
int hwr_sim_header(struct hwr_sim *s, const struct hwr_sim_opts *opts);
void hwr_sim_release(struct hwr_sim *s);
/*
 * Records of samples [n_from, n_to) of @cpu into @buf (whole records, at
 * most @cap bytes); @st carries sequence state from call to call and
 * st->next says where the next call should start. Returns the bytes.
 */
size_t hwr_sim_cpu(const struct hwr_sim *s, uint32_t cpu, uint64_t n_from,
		   uint64_t n_to, struct hwr_sim_state *st, void *buf,
		   size_t cap);
/* A whole .hws file; footer totals as the kernel would count, if @totals. */
int hwr_sim_write(const struct hwr_sim_opts *opts, const char *path,
		  bool totals);

#endif /* HWS_SIMGEN_H */
