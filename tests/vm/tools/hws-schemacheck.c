// SPDX-License-Identifier: MIT
/*
 * hws-schemacheck - check that every sample in a capture is described.
 *
 * Usage: hws-schemacheck FILE.hws [PREFIX COUNT]
 *
 * Reads every chunk of FILE and asserts that the source of every sample
 * record has a schema in the file (its header or a source frame), that the
 * sample's counters lie inside that schema, and that the file is intact.
 * With PREFIX and COUNT, also that exactly COUNT distinct source ids whose
 * name starts with PREFIX have samples: sources registered, unregistered
 * and registered again during the capture each get an id of their own.
 * Prints one line of counts. Exit 0 only if all of that holds; 1 when a
 * check fails; 2 for bad usage or an unreadable file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hws.h"

int main(int argc, char **argv)
{
	const struct hws_header *h;
	struct hws_chunk_info ci;
	struct hws_reader *r;
	const void *rec;
	uint64_t samples = 0, *per_src;
	unsigned long want = 0;
	uint32_t i, with = 0, matched = 0;
	size_t len, plen = 0;
	int ret, bad = 0;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: hws-schemacheck FILE.hws [PREFIX COUNT]\n");
		return 2;
	}
	if (argc == 4) {
		plen = strlen(argv[2]);
		want = strtoul(argv[3], NULL, 10);
	}
	r = hws_reader_open(argv[1]);
	if (!r) {
		fprintf(stderr, "hws-schemacheck: %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	h = hws_reader_header(r);
	per_src = calloc(h->nr_sources + 1, sizeof(*per_src));
	if (!per_src)
		return 2;
	while ((ret = hws_reader_next_chunk(r, &ci, &rec, &len)) == 1) {
		size_t off = 0;

		while (off + sizeof(struct hwstats_rec) <= len) {
			const struct hwstats_rec *x = (const void *)((const char *)rec + off);
			const struct hwstats_sample *s = (const void *)x;
			const struct hws_source *src;

			off += x->len;
			if (x->type != HWSTATS_REC_SAMPLE)
				continue;
			samples++;
			src = hws_header_source(h, x->source);
			if (!src) {
				if (bad++ < 5)
					printf("FAIL: cpu%u: a sample of source id %u, which the file does not describe\n",
					       ci.cpu, x->source);
				continue;
			}
			if (s->first + (x->len - sizeof(*s)) / 8 > src->nr_counters) {
				if (bad++ < 5)
					printf("FAIL: a sample of %s (id %u) has counters %u.. past its %u\n",
					       src->name, src->id, s->first,
					       src->nr_counters);
				continue;
			}
			per_src[src - h->sources]++;
		}
	}
	if (ret < 0) {
		fprintf(stderr, "hws-schemacheck: %s: %s\n", argv[1],
			strerror(-ret));
		return 2;
	}
	if (hws_reader_damage(r, NULL)) {
		printf("FAIL: the file is damaged\n");
		bad++;
	}
	for (i = 0; i < h->nr_sources; i++) {
		if (!per_src[i])
			continue;
		with++;
		if (plen && !strncmp(h->sources[i].name, argv[2], plen))
			matched++;
	}
	printf("%llu samples of %u sources, every one described (%u sources in the file)",
	       (unsigned long long)samples, with, h->nr_sources);
	if (plen)
		printf("; %u ids named %s* with samples", matched, argv[2]);
	printf("\n");
	if (plen && matched != want) {
		printf("FAIL: %u distinct %s* sources with samples, expected %lu\n",
		       matched, argv[2], want);
		bad++;
	}
	free(per_src);
	hws_reader_close(r);
	return bad ? 1 : 0;
}
