// SPDX-License-Identifier: MIT
/*
 * hws-netcheck - check the samples of one network interface source in a
 * capture.
 *
 * Usage: hws-netcheck FILE.hws SOURCE [COUNTER=FIRST:LAST | COUNTER+=DELTA]...
 *   e.g. hws-netcheck net.hws net:lo rx_packets=12:112 tx_packets+=100
 *
 * The samples of SOURCE (one record each, taken one after the other by the
 * session's sampler, on whichever CPU it ran) are put in time order. It
 * asserts that there is at least one, that no record was lost (the file's
 * footer says 0 lost on every CPU and every CPU's seq runs without a gap),
 * that every counter of kind "counter" never decreases from one sample to
 * the next, and, for each argument, that the counter's value in the first
 * sample is FIRST and in the last is LAST, or that it rose by exactly
 * DELTA from the first sample to the last. Exit 0 only if all of that
 * holds; 1 when a check fails; 2 for bad usage or an unreadable file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hws.h"

#define MAX_CPUS 1024

struct sample {
	uint64_t ts;
	uint32_t cpu;
	uint64_t *v;
};

struct expect {
	uint32_t idx;
	int delta;		/* COUNTER+=DELTA rather than =FIRST:LAST */
	uint64_t first, last;
};

static int cmp_ts(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

static int parse_expect(const struct hws_source *src, const char *arg,
			struct expect *e)
{
	char name[HWSTATS_NAME_LEN + 1];
	const char *op = strchr(arg, '=');
	size_t len;
	uint32_t k;

	if (!op || op == arg)
		return -1;
	e->delta = op[-1] == '+';
	len = (size_t)(op - arg) - e->delta;
	if (!len || len > HWSTATS_NAME_LEN)
		return -1;
	memcpy(name, arg, len);
	name[len] = '\0';
	for (k = 0; k < src->nr_counters; k++)
		if (!strcmp(src->counters[k].name, name))
			break;
	if (k == src->nr_counters) {
		fprintf(stderr, "hws-netcheck: %s has no counter '%s'\n",
			src->name, name);
		return -1;
	}
	e->idx = k;
	if (e->delta)
		return parse_u64(op + 1, &e->first);
	{
		char buf[64];
		char *colon;

		snprintf(buf, sizeof(buf), "%s", op + 1);
		colon = strchr(buf, ':');
		if (!colon)
			return -1;
		*colon = '\0';
		if (parse_u64(buf, &e->first) || parse_u64(colon + 1, &e->last))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint64_t next_seq[MAX_CPUS];
	const struct hws_cpu_totals *tot;
	const struct hws_damage *dmg;
	const struct hws_header *h;
	const struct hws_source *src = NULL;
	struct hws_chunk_info ci;
	struct hws_reader *r;
	struct sample *samples = NULL;
	struct expect *exp;
	size_t n = 0, cap = 0, i, len;
	const void *recs;
	uint32_t nr_tot, nr_dmg, k, t;
	uint64_t lost = 0, gaps = 0;
	int failed = 0, ret, a;

	if (argc < 3) {
		fprintf(stderr, "usage: hws-netcheck FILE.hws SOURCE [COUNTER=FIRST:LAST | COUNTER+=DELTA]...\n");
		return 2;
	}
	r = hws_reader_open(argv[1]);
	if (!r) {
		fprintf(stderr, "hws-netcheck: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	h = hws_reader_header(r);
	for (k = 0; k < h->nr_sources; k++)
		if (!strcmp(h->sources[k].name, argv[2]))
			src = &h->sources[k];
	if (!src) {
		fprintf(stderr, "hws-netcheck: %s: no source '%s' in the header\n",
			argv[1], argv[2]);
		hws_reader_close(r);
		return 2;
	}
	exp = calloc(argc, sizeof(*exp));
	if (!exp)
		return 2;
	for (a = 3; a < argc; a++) {
		if (parse_expect(src, argv[a], &exp[a])) {
			fprintf(stderr, "hws-netcheck: bad expectation '%s'\n", argv[a]);
			free(exp);
			hws_reader_close(r);
			return 2;
		}
	}

	while ((ret = hws_reader_next_chunk(r, &ci, &recs, &len)) == 1) {
		const char *p = recs;
		size_t off = 0;

		while (off < len) {
			const struct hwstats_rec *rec = (const void *)(p + off);
			const struct hwstats_sample *s = (const void *)rec;
			uint32_t cpu = ci.cpu % MAX_CPUS;
			uint32_t nv;

			off += rec->len;
			if (rec->type != HWSTATS_REC_SAMPLE || rec->source != src->id)
				continue;
			nv = (rec->len - sizeof(*s)) / 8;
			if (s->first != 0 || nv != src->nr_counters) {
				fprintf(stderr, "cpu%u seq %" PRIu64 ": values [%u, %u) of %u: one record should carry them all\n",
					ci.cpu, (uint64_t)s->seq, s->first,
					s->first + nv, src->nr_counters);
				failed = 1;
				continue;
			}
			if (s->seq != next_seq[cpu]) {
				fprintf(stderr, "cpu%u: seq %" PRIu64 " after %" PRIu64 "\n",
					ci.cpu, (uint64_t)s->seq, next_seq[cpu]);
				gaps++;
			}
			next_seq[cpu] = s->seq + 1;
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				samples = realloc(samples, cap * sizeof(*samples));
				if (!samples)
					return 2;
			}
			samples[n].ts = rec->ts;
			samples[n].cpu = ci.cpu;
			samples[n].v = malloc(nv * sizeof(uint64_t));
			if (!samples[n].v)
				return 2;
			memcpy(samples[n].v, s->value, nv * sizeof(uint64_t));
			n++;
		}
	}
	if (ret < 0) {
		fprintf(stderr, "hws-netcheck: %s: %s\n", argv[1], strerror(-ret));
		return 2;
	}
	nr_dmg = hws_reader_damage(r, &dmg);
	for (i = 0; i < nr_dmg; i++) {
		fprintf(stderr, "hws-netcheck: damage at %" PRIu64 ": %s\n",
			dmg[i].offset, dmg[i].what);
		failed = 1;
	}
	nr_tot = hws_reader_totals(r, &tot);
	if (!nr_tot) {
		fprintf(stderr, "hws-netcheck: %s: no footer with totals\n", argv[1]);
		failed = 1;
	}
	for (t = 0; t < nr_tot; t++)
		lost += tot[t].lost;
	printf("%s: %zu samples, %" PRIu64 " records lost, %" PRIu64 " seq gaps\n",
	       src->name, n, lost, gaps);
	if (!n || lost || gaps)
		failed = 1;
	if (!n)
		goto out;

	qsort(samples, n, sizeof(*samples), cmp_ts);
	for (k = 0; k < src->nr_counters; k++) {
		if (src->counters[k].kind != HWSTATS_KIND_COUNTER)
			continue;
		for (i = 1; i < n; i++) {
			if (samples[i].v[k] < samples[i - 1].v[k]) {
				printf("%s: %s falls from %" PRIu64 " to %" PRIu64 " at ts %" PRIu64 " (cpu%u)\n",
				       src->name, src->counters[k].name,
				       samples[i - 1].v[k], samples[i].v[k],
				       samples[i].ts, samples[i].cpu);
				failed = 1;
			}
		}
	}
	for (a = 3; a < argc; a++) {
		const struct expect *e = &exp[a];
		uint64_t first = samples[0].v[e->idx];
		uint64_t last = samples[n - 1].v[e->idx];
		int ok = e->delta ? last - first == e->first :
			 first == e->first && last == e->last;

		if (e->delta)
			printf("%s: %s first %" PRIu64 " last %" PRIu64 ": rose by %" PRIu64 ", expected %" PRIu64 "  %s\n",
			       src->name, src->counters[e->idx].name, first, last,
			       last - first, e->first, ok ? "ok" : "MISMATCH");
		else
			printf("%s: %s first %" PRIu64 " last %" PRIu64 ", expected %" PRIu64 " and %" PRIu64 "  %s\n",
			       src->name, src->counters[e->idx].name, first, last,
			       e->first, e->last, ok ? "ok" : "MISMATCH");
		if (!ok)
			failed = 1;
	}
out:
	for (i = 0; i < n; i++)
		free(samples[i].v);
	free(samples);
	free(exp);
	hws_reader_close(r);
	printf("hws-netcheck: %s\n", failed ? "FAIL" : "PASS");
	return failed;
}
