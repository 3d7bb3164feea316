// SPDX-License-Identifier: MIT
/*
 * hws-simcheck - check a capture of hwstats_sim record by record.
 *
 * Usage: hws-simcheck [MODE] FILE.hws|DIR PRODUCED [PRODUCED_BEFORE]
 *
 * A DIR stands for every *.hws file in it, in name order: a rotated set,
 * whose union must be the stream, each record exactly once.
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
 *
 * MODE: --no-loss (and nothing was lost), --expect-loss (and something
 * was), --partial (a file cut short: no footer needed; every CPU's records
 * form a gapless run from seq 0, no more than were produced), --newest (a
 * flight recorder's dump: every CPU's records are a gapless run ending
 * with the newest record produced, and older ones were overwritten).
 *
 * --seq-base N (before FILE): the session's seqs start at N (hwstats.ko
 * loaded with seq_base=N), not 0. --ticks-base N: the simulator's sample
 * numbers start at N (hwstats_sim.ko ticks_base=N); each CPU's numbers
 * must then only grow, never by 2^31 or more at once (a 64-bit value torn
 * on a 32-bit kernel jumps by about 2^32), and the first and last seq and
 * sample number of every CPU are printed, to show where they crossed.
 * Both may be given with any MODE.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "hws.h"

#define MAX_CPUS 1024

struct cpu_check {
	uint64_t produced, sim_lost, ticks;
	uint64_t recorded, next_seq, gaps, last_ts;
	uint64_t first_seq, first_n, last_n;
	int have_produced;
};

static struct cpu_check cpus[MAX_CPUS];
static uint32_t nr_counters;	/* of kind counter, in the sim's schema */
static uint32_t nr_values;
static int damaged_end;
static uint64_t seq_base, ticks_base;
static int check_ticks;

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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FILE.hws, or every *.hws in DIR sorted by name. */
static int list_files(const char *arg, char ***out)
{
	DIR *d = opendir(arg);
	struct dirent *e;
	char **v = NULL;
	int n = 0;

	if (!d) {
		v = malloc(sizeof(*v));
		v[0] = strdup(arg);
		*out = v;
		return 1;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".hws"))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n] = malloc(strlen(arg) + l + 2);
		sprintf(v[n], "%s/%s", arg, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static uint64_t footer_lost[MAX_CPUS];
static int have_footer;

/* Check one file; returns 1 on a failed check, 2 if unreadable. */
static int check_file(const char *path, int newest)
{
	const struct hws_cpu_totals *tot;
	const struct hws_damage *dmg;
	const struct hws_header *h;
	const struct hws_source *sim = NULL;
	struct hws_chunk_info ci;
	struct hws_reader *r;
	const void *recs;
	uint32_t nr_tot, nr_dmg, i, sim_id;
	int failed = 0, ret;
	size_t len;

	r = hws_reader_open(path);
	if (!r) {
		fprintf(stderr, "hws-simcheck: %s: %s\n", path, strerror(errno));
		return 2;
	}
	h = hws_reader_header(r);
	for (i = 0; i < h->nr_sources; i++)
		if (!strcmp(h->sources[i].name, "sim"))
			sim = &h->sources[i];
	if (!sim) {
		fprintf(stderr, "hws-simcheck: %s: no source 'sim' in the header\n", path);
		hws_reader_close(r);
		return 1;
	}
	sim_id = sim->id;
	nr_values = sim->nr_counters;
	nr_counters = 0;
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
			uint64_t seq;

			off += rec->len;
			if (rec->type != HWSTATS_REC_SAMPLE || rec->source != sim_id)
				continue;
			n = (rec->len - sizeof(*s)) / 8;
			/* Counted from the session's base, as if it were 0. */
			seq = s->seq - seq_base;
			if (!c->recorded)
				c->first_seq = s->seq;
			if (check_ticks && s->first == 0 && n) {
				uint64_t t = s->value[0];

				if (t < ticks_base ||
				    (c->recorded && (t <= c->last_n ||
						     t - c->last_n >= 1ULL << 31))) {
					fprintf(stderr, "cpu%u seq %" PRIu64 ": sample number %" PRIu64 " after %" PRIu64 "\n",
						ci.cpu, (uint64_t)s->seq, t, c->last_n);
					failed = 1;
				}
				if (!c->recorded)
					c->first_n = t;
				c->last_n = t;
			}
			/* A dump starts wherever the kernel still had data. */
			if (newest && !c->recorded)
				c->next_seq = seq;
			if (seq != c->next_seq) {
				if (seq < c->next_seq) {
					fprintf(stderr, "cpu%u: seq %" PRIu64 " after %" PRIu64 " (a duplicate)\n",
						ci.cpu, (uint64_t)s->seq,
						c->next_seq - 1 + seq_base);
					failed = 1;
				} else {
					c->gaps += seq - c->next_seq;
				}
			}
			c->next_seq = seq + 1;
			if (rec->ts < c->last_ts) {
				fprintf(stderr, "cpu%u: time goes backwards at seq %" PRIu64 "\n",
					ci.cpu, (uint64_t)s->seq);
				failed = 1;
			}
			c->last_ts = rec->ts;
			for (k = 0; s->first == 0 && k < n && k < nr_values; k++) {
				uint64_t want = sim_value(ci.cpu, k, s->value[0]);

				if (s->value[k] != want) {
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
		fprintf(stderr, "hws-simcheck: %s: %s\n", path, strerror(-ret));
		failed = 1;
	}
	nr_dmg = hws_reader_damage(r, &dmg);
	for (i = 0; i < nr_dmg; i++) {
		printf("%s: damage at %" PRIu64 ": %s\n", path, dmg[i].offset,
		       dmg[i].what);
		if (dmg[i].kind != HWS_DAMAGE_NO_FOOTER &&
		    dmg[i].kind != HWS_DAMAGE_TRUNCATED)
			failed = 1;
		else
			damaged_end = 1;
	}
	/* Footers hold session totals so far: the largest is the newest. */
	nr_tot = hws_reader_totals(r, &tot);
	for (i = 0; i < nr_tot; i++) {
		if (tot[i].cpu < MAX_CPUS && tot[i].lost >= footer_lost[tot[i].cpu])
			footer_lost[tot[i].cpu] = tot[i].lost;
		have_footer = 1;
	}
	hws_reader_close(r);
	return failed;
}

int main(int argc, char **argv)
{
	int no_loss = 0, expect_loss = 0, partial = 0, newest = 0;
	int failed = 0, nfiles, f;
	uint64_t all_lost = 0;
	char **files;
	uint32_t i;

	while (argc > 1 && !strncmp(argv[1], "--", 2)) {
		if (!strcmp(argv[1], "--no-loss"))
			no_loss = 1;
		else if (!strcmp(argv[1], "--expect-loss"))
			expect_loss = 1;
		else if (!strcmp(argv[1], "--partial"))
			partial = 1;
		else if (!strcmp(argv[1], "--newest"))
			newest = 1;
		else if (!strcmp(argv[1], "--seq-base") && argc > 2) {
			seq_base = strtoull(argv[2], NULL, 0);
			argv++;
			argc--;
		} else if (!strcmp(argv[1], "--ticks-base") && argc > 2) {
			ticks_base = strtoull(argv[2], NULL, 0);
			check_ticks = 1;
			argv++;
			argc--;
		} else {
			break;
		}
		argv++;
		argc--;
	}
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: hws-simcheck [--no-loss|--expect-loss|--partial|--newest] [--seq-base N] [--ticks-base N] FILE.hws|DIR PRODUCED [PRODUCED_BEFORE]\n");
		return 2;
	}
	if (read_produced(argv[2], 1) || (argc == 4 && read_produced(argv[3], -1)))
		return 2;
	nfiles = list_files(argv[1], &files);
	if (!nfiles) {
		fprintf(stderr, "hws-simcheck: %s: no .hws files\n", argv[1]);
		return 2;
	}
	for (f = 0; f < nfiles; f++) {
		int ret = check_file(files[f], newest);

		if (ret == 2)
			return 2;
		failed |= ret;
		/* Only the last file of a set may end without a footer. */
		if (damaged_end && f != nfiles - 1 && !partial) {
			printf("%s: cut short, but it is not the last file\n", files[f]);
			failed = 1;
		}
		damaged_end = 0;
		free(files[f]);
	}
	free(files);
	printf("%d file(s)\n", nfiles);
	if (!have_footer && !partial) {
		printf("no footer with totals\n");
		failed = 1;
	}
	for (i = 0; i < MAX_CPUS; i++) {
		struct cpu_check *c = &cpus[i];
		uint64_t lost = footer_lost[i];
		int bad;

		if (!c->have_produced && !c->recorded && !lost)
			continue;
		all_lost += lost;
		if ((seq_base || check_ticks) && c->recorded)
			printf("cpu%u: seq %" PRIu64 "..%" PRIu64 ", sample numbers %" PRIu64 "..%" PRIu64 "\n",
			       i, c->first_seq, c->next_seq - 1 + seq_base,
			       c->first_n, c->last_n);
		if (newest) {
			printf("cpu%u: produced %" PRIu64 ", the dump holds seq %" PRIu64 "..%" PRIu64 " (%" PRIu64 " records, gaps %" PRIu64 ")",
			       i, c->produced, c->next_seq - c->recorded,
			       c->next_seq - 1, c->recorded, c->gaps);
			bad = c->gaps || c->next_seq != c->produced ||
			      !c->recorded || c->recorded >= c->produced;
		} else if (partial) {
			printf("cpu%u: produced %" PRIu64 ", the file holds the first %" PRIu64 " (seq gaps %" PRIu64 ")",
			       i, c->produced, c->recorded, c->gaps);
			bad = c->gaps || c->recorded > c->produced ||
			      c->next_seq != c->recorded;
		} else {
			/* Records dropped after the last one kept: gaps too. */
			if (c->produced > c->next_seq)
				c->gaps += c->produced - c->next_seq;
			printf("cpu%u: produced %" PRIu64 " = recorded %" PRIu64 " + lost %" PRIu64 " (sim counted %" PRIu64 " dropped, seq gaps %" PRIu64 ")",
			       i, c->produced, c->recorded, lost, c->sim_lost,
			       c->gaps);
			bad = c->produced != c->recorded + lost ||
			      c->sim_lost != lost || c->gaps != lost ||
			      (no_loss && lost);
		}
		printf("  %s\n", bad ? "MISMATCH" : "ok");
		failed |= bad;
	}
	if (expect_loss && !all_lost) {
		printf("expected records to be lost, none were\n");
		failed = 1;
	}
	printf("hws-simcheck: %s\n", failed ? "FAIL" : "PASS");
	return failed;
}
