// SPDX-License-Identifier: MIT
/*
 * hwsb-gen - the record streams hwstats_sim.ko makes, without a kernel: one
 * file per CPU, shaped as read() returns them from <debugfs>/hwstats/cpuN.
 *
 *   hwsb-gen [-c CPUS] [-n RECORDS] [-r RATE] [-C COUNTERS] [-G GAUGES]
 *            [-j JITTER_NS] [-b SUBBUF] [-F FLUSH_NS] DIR
 *
 * Writes DIR/cpu0.raw ... and prints, as key=value words, the records,
 * bytes and the entropy floor of the stream.
 *
 * Values are the module's closed form (source 0, "sim"): sample n of CPU c
 * carries value[0] = n, counter i: n * 1000 * i + (hash(c, i, n) & 0xff),
 * gauge j: 1000 * (j + 1) + hash(c, idx, n) % 200, hash = splitmix64 as in
 * kmod/hwstats_sim.c. Its time is that of an hrtimer at RATE per second
 * (default 1000) that fires late by a uniformly distributed latency in
 * [0, JITTER_NS) (default 1024 ns): ts = start + (n + 1) * period + c *
 * 1000 + latency. Sub-buffers (default 256 KiB) begin with the 48-byte
 * header record; a record that does not fit the rest of a sub-buffer
 * starts the next one (the rest is relay's padding, which read() skips);
 * the session's flush tick (default every 1 s) switches a sub-buffer that
 * holds records and did not switch since the last tick, as hwstats.ko does.
 *
 * The entropy floor: given the sample number, the ticks counter and seq are
 * known, each other counter has 8 random bits, each gauge log2(200) bits,
 * each timestamp log2(JITTER_NS) bits; the sub-buffer headers follow from
 * the records (0 bits). No lossless coding of the stream can average fewer
 * bits than that.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwsb_subbuf.h"

struct opts {
	uint32_t cpus, counters, gauges, subbuf;
	uint64_t records, rate, jitter, flush_ns;
};

static uint64_t sim_hash(uint32_t cpu, uint32_t idx, uint64_t n)
{
	uint64_t z = n ^ ((uint64_t)cpu << 48) ^ ((uint64_t)idx << 32);

	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t sim_value(const struct opts *o, uint32_t cpu, uint32_t idx,
			  uint64_t n)
{
	if (idx == 0)
		return n;
	if (idx < o->counters)
		return n * 1000 * idx + (sim_hash(cpu, idx, n) & 0xff);
	return 1000ULL * (idx - o->counters + 1) + sim_hash(cpu, idx, n) % 200;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.cpus = 2, .counters = 4, .gauges = 2, .subbuf = 256 * 1024,
		.records = 1000000, .rate = 1000, .jitter = 1024,
		.flush_ns = 1000000000ULL,
	};
	const uint64_t start = 1000ULL * 1000000000ULL;
	uint64_t total_bytes = 0, total_records = 0;
	uint32_t nv, len, cpu;
	double floor_bits;
	int c;

	while ((c = getopt(argc, argv, "c:n:r:C:G:j:b:F:")) != -1) {
		uint64_t v = strtoull(optarg ? optarg : "0", NULL, 0);

		switch (c) {
		case 'c': o.cpus = v; break;
		case 'n': o.records = v; break;
		case 'r': o.rate = v; break;
		case 'C': o.counters = v; break;
		case 'G': o.gauges = v; break;
		case 'j': o.jitter = v; break;
		case 'b': o.subbuf = v; break;
		case 'F': o.flush_ns = v; break;
		default: return 1;
		}
	}
	nv = o.counters + o.gauges;
	len = sizeof(struct hwstats_sample) + nv * 8;
	if (optind != argc - 1 || !o.cpus || !o.counters || !o.rate ||
	    !o.jitter || len > o.subbuf - sizeof(struct hwstats_subbuf_hdr) ||
	    o.jitter >= 1000000000ULL / o.rate) {
		fprintf(stderr, "usage: hwsb-gen [-c CPUS] [-n RECORDS] [-r RATE] [-C COUNTERS] [-G GAUGES] [-j JITTER_NS] [-b SUBBUF] [-F FLUSH_NS] DIR\n");
		return 1;
	}
	for (cpu = 0; cpu < o.cpus; cpu++) {
		uint64_t period = 1000000000ULL / o.rate, n;
		uint64_t rng = 0x853c49e6748fea9bULL ^ ((uint64_t)cpu << 32);
		struct hwsb_out w = { .prog = "hwsb-gen", .sb = malloc(o.subbuf),
				      .size = o.subbuf, .cpu = cpu,
				      .flush_ns = o.flush_ns };
		char path[4096];

		snprintf(path, sizeof(path), "%s/cpu%u.raw", argv[optind], cpu);
		w.f = fopen(path, "w");
		if (!w.f || !w.sb) {
			fprintf(stderr, "hwsb-gen: %s: %s\n", path, strerror(errno));
			return 2;
		}
		hwsb_begin(&w, start);
		for (n = 0; n < o.records; n++) {
			uint64_t ts = start + (n + 1) * period + cpu * 1000ULL +
				      hwsb_rng_next(&rng) % o.jitter;
			struct hwstats_sample *r = hwsb_sample(&w, nv, ts, 1, n);
			uint32_t i;

			for (i = 0; i < nv; i++)
				r->value[i] = sim_value(&o, cpu, i, n);
		}
		if (hwsb_end(&w))
			return 2;
		free(w.sb);
		total_bytes += w.bytes;
		total_records += o.records;
	}
	floor_bits = (o.counters - 1) * 8.0 + o.gauges * log2(200.0) +
		     log2((double)o.jitter);
	printf("gen cpus=%u records=%llu bytes=%llu record_len=%u values=%u rate=%llu jitter_ns=%llu floor_bits_per_record=%.3f floor_bytes=%.0f\n",
	       o.cpus, (unsigned long long)total_records,
	       (unsigned long long)total_bytes, len, nv,
	       (unsigned long long)o.rate, (unsigned long long)o.jitter,
	       floor_bits, floor_bits / 8.0 * (double)total_records);
	return 0;
}
