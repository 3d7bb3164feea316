// SPDX-License-Identifier: MIT
/*
 * hws-simcheck - check a capture of hwstats_sim record by record.
 *
 * Usage: hws-simcheck [--no-loss|--expect-loss] FILE.hws PRODUCED [PRODUCED_BEFORE]
 *
 * PRODUCED is a copy of <debugfs>/hwstats_sim/produced taken after the
 * capture ("cpuN produced lost ticks" lines), PRODUCED_BEFORE one taken
 * before it when earlier sessions ran. For every CPU it asserts
 *   records the simulator produced == sample records in the file + lost
 * where lost is what the file's footer reports, and that the simulator's
 * own count of dropped records equals that lost count. Every sample
 * record's values must match the simulator's closed form, its seq must
 * follow the previous one (a jump must be covered by lost records) and its
 * time must not go backwards. Exit 0 only if all of that holds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hws.h"

#define MAX_CPUS 1024

struct cpu_check {
	uint64_t produced, sim_lost, ticks;
	uint64_t recorded, next_seq, gaps, last_ts;
	int have_produced;
};

static struct cpu_check cpus[MAX_CPUS];
static uint32_t nr_counters;	/* of kind counter, in the sim's schema */
static uint32_t nr_values;

static uint64_t sim_hash(uint32_t cpu, uint32_t idx, uint64_t n)
{
	uint64_t z = n ^ ((uint64_t)cpu << 48) ^ ((uint64_t)idx << 32);

	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t sim_value(uint32_t cpu, uint32_t idx, uint64_t n)
{
	if (idx == 0)
		return n;
	if (idx < nr_counters)
		return n * 1000 * idx + (sim_hash(cpu, idx, n) & 0xff);
	return 1000ULL * (idx - nr_counters + 1) + sim_hash(cpu, idx, n) % 200;
}

static int read_produced(const char *path, int sign)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f) {
		fprintf(stderr, "hws-simcheck: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned int cpu;
		uint64_t p, l, t;

		if (sscanf(line, "cpu%u %" SCNu64 " %" SCNu64 " %" SCNu64,
			   &cpu, &p, &l, &t) == 4 && cpu < MAX_CPUS) {
			cpus[cpu].produced += sign * p;
			cpus[cpu].sim_lost += sign * l;
			cpus[cpu].ticks = t;
			cpus[cpu].have_produced = 1;
		}
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const struct hws_cpu_totals *tot;
	const struct hws_damage *dmg;
	const struct hws_header *h;
	const struct hws_source *sim = NULL;
	struct hws_chunk_info ci;
	struct hws_reader *r;
	const void *recs;
	uint32_t nr_tot, nr_dmg, i, sim_id = 0;
	int no_loss = 0, expect_loss = 0, failed = 0, ret;
	uint64_t all_lost = 0;
	size_t len;

	if (argc > 1 && !strcmp(argv[1], "--no-loss")) {
		no_loss = 1;
		argv++;
		argc--;
	} else if (argc > 1 && !strcmp(argv[1], "--expect-loss")) {
		expect_loss = 1;
		argv++;
		argc--;
	}
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: hws-simcheck [--no-loss|--expect-loss] FILE.hws PRODUCED [PRODUCED_BEFORE]\n");
		return 2;
	}
	if (read_produced(argv[2], 1) || (argc == 4 && read_produced(argv[3], -1)))
		return 2;
	r = hws_reader_open(argv[1]);
	if (!r) {
		fprintf(stderr, "hws-simcheck: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	h = hws_reader_header(r);
	for (i = 0; i < h->nr_sources; i++)
		if (!strcmp(h->sources[i].name, "sim"))
			sim = &h->sources[i];
	if (!sim) {
		fprintf(stderr, "hws-simcheck: %s: no source 'sim' in the header\n", argv[1]);
		return 1;
	}
	sim_id = sim->id;
	nr_values = sim->nr_counters;
	for (i = 0; i < nr_values; i++)
		if (sim->counters[i].kind == HWSTATS_KIND_COUNTER)
			nr_counters = i + 1;

	while ((ret = hws_reader_next_chunk(r, &ci, &recs, &len)) == 1) {
		const char *p = recs;
		size_t off = 0;

		while (off < len) {
			const struct hwstats_rec *rec = (const void *)(p + off);
			const struct hwstats_sample *s = (const void *)rec;
			struct cpu_check *c = &cpus[ci.cpu % MAX_CPUS];
			uint32_t n, k;

			off += rec->len;
			if (rec->type != HWSTATS_REC_SAMPLE || rec->source != sim_id)
				continue;
			n = (rec->len - sizeof(*s)) / 8;
			if (s->seq != c->next_seq) {
				c->gaps += s->seq - c->next_seq;
				if (s->seq < c->next_seq) {
					fprintf(stderr, "cpu%u: seq %" PRIu64 " after %" PRIu64 "\n",
						ci.cpu, (uint64_t)s->seq, c->next_seq - 1);
					failed = 1;
				}
			}
			c->next_seq = s->seq + 1;
			if (rec->ts < c->last_ts) {
				fprintf(stderr, "cpu%u: time goes backwards at seq %" PRIu64 "\n",
					ci.cpu, (uint64_t)s->seq);
				failed = 1;
			}
			c->last_ts = rec->ts;
			for (k = 0; k < n && s->first + k < nr_values; k++) {
				uint64_t want = sim_value(ci.cpu, s->first + k,
							  s->first ? 0 : s->value[0]);

				if (s->first == 0 && s->value[k] != want) {
					fprintf(stderr, "cpu%u seq %" PRIu64 ": value[%u] = %" PRIu64 ", expected %" PRIu64 "\n",
						ci.cpu, (uint64_t)s->seq, k, (uint64_t)s->value[k], want);
					failed = 1;
					break;
				}
			}
			c->recorded++;
		}
	}
	if (ret < 0) {
		fprintf(stderr, "hws-simcheck: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	nr_dmg = hws_reader_damage(r, &dmg);
	for (i = 0; i < nr_dmg; i++) {
		fprintf(stderr, "hws-simcheck: damage at %" PRIu64 ": %s\n",
			dmg[i].offset, dmg[i].what);
		failed = 1;
	}
	nr_tot = hws_reader_totals(r, &tot);
	if (!nr_tot) {
		fprintf(stderr, "hws-simcheck: %s: no footer with totals\n", argv[1]);
		failed = 1;
	}
	for (i = 0; i < MAX_CPUS; i++) {
		struct cpu_check *c = &cpus[i];
		uint64_t lost = 0;
		uint32_t t;

		for (t = 0; t < nr_tot; t++)
			if (tot[t].cpu == i)
				lost = tot[t].lost;
		if (!c->have_produced && !c->recorded && !lost)
			continue;
		all_lost += lost;
		printf("cpu%u: produced %" PRIu64 " = recorded %" PRIu64 " + lost %" PRIu64 " (sim counted %" PRIu64 " dropped, seq gaps %" PRIu64 ")",
		       i, c->produced, c->recorded, lost, c->sim_lost, c->gaps);
		if (c->produced != c->recorded + lost || c->sim_lost != lost ||
		    c->gaps > lost || (no_loss && lost)) {
			printf("  MISMATCH\n");
			failed = 1;
		} else {
			printf("  ok\n");
		}
	}
	if (expect_loss && !all_lost) {
		printf("expected records to be lost, none were\n");
		failed = 1;
	}
	hws_reader_close(r);
	printf("hws-simcheck: %s\n", failed ? "FAIL" : "PASS");
	return failed;
}
