/* SPDX-License-Identifier: MIT */
/*
 * hws_gen - a deterministic generator of realistic hwstats record streams,
 * shared by the unit tests and bench/format.
 *
 * What the simulated device and real drivers produce, per CPU: a sub-buffer
 * header record at the start of every sub-buffer (256 KiB by default), and
 * sample records of 1..4 sources with 4..32 u64 counters each. Sources are
 * sampled together on a periodic tick (1 ms +- a few us of jitter), so their
 * timestamps are nearly equal; each source's seq rises by one per sample.
 * Monotonic counters rise by small pseudo-random steps (0..2^k, k in 4..12),
 * some counters stay constant, some are bursty, gauges wander within a
 * range. Optional loss: every Nth sub-buffer switch drops a few samples, as
 * a full no-overwrite buffer does (seq gaps, a rise of the lost count).
 *
 * The same opts give the same bytes on every machine.
 */
#ifndef HWS_GEN_H
#define HWS_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "hws.h"

struct hws_gen_opts {
	uint64_t seed;			/* values and timing */
	uint64_t schema_seed;		/* sources and counters; 0 = seed.
					 * Give every CPU the same one. */
	uint32_t cpu;
	uint32_t nr_sources;		/* 0 = 1..4 from schema_seed */
	uint32_t min_counters;		/* 0 = 4 */
	uint32_t max_counters;		/* 0 = 32 */
	uint64_t period_ns;		/* 0 = 1 ms */
	uint64_t jitter_ns;		/* 0 = 3 us; ~0 = none */
	uint64_t start_ns;		/* first tick; 0 = 1e12 */
	uint32_t subbuf_size;		/* 0 = 256 KiB */
	uint32_t loss_every;		/* drop samples every N switches; 0 = never */
	uint32_t extra_types;		/* every Nth tick, also emit a record of
					 * an unknown type (1000); 0 = never */
	uint64_t first_seq;		/* seq of each source's first sample: 0
					 * as at the start of a recording, more
					 * to begin mid-stream */
};

struct hws_gen;

struct hws_gen *hws_gen_new(const struct hws_gen_opts *opts);
void hws_gen_free(struct hws_gen *g);

/* Whole records into @buf, at most @cap bytes; returns the bytes written. */
size_t hws_gen_fill(struct hws_gen *g, void *buf, size_t cap);

/* Records and samples produced so far, and the timestamp of the last one. */
uint64_t hws_gen_records(const struct hws_gen *g);
uint64_t hws_gen_last_ts(const struct hws_gen *g);

/*
 * A header describing the generator's sources (and the usual fields). The
 * header owns allocations: release with hws_gen_header_free().
 */
int hws_gen_header(const struct hws_gen *g, uint32_t nr_cpus,
		   struct hws_header *h);
void hws_gen_header_free(struct hws_header *h);

#endif /* HWS_GEN_H */
