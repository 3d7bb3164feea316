// SPDX-License-Identifier: MIT
/*
 * hws-schemacheck - check that every sample in a capture is described.
 *
 * Usage: hws-schemacheck [--max-idle N] [--expect PREFIX COUNT] FILE...
 *
 * Reads every chunk of each FILE (one file, or the files of one session)
 * and asserts that the source of every sample record has a schema in that
 * file (its header or a source frame), that the sample's counters lie
 * inside that schema, and that the file is intact. With --max-idle, also
 * that no file describes more than N sources without samples in it (a
 * recorder describes the sources registered when a file begins and those
 * met in it, not every one met before). With --expect, that exactly COUNT distinct source
 * ids whose name starts with PREFIX have samples in all the files:
 * sources registered, unregistered and registered again during a session
 * each get an id of their own. Prints one line of counts per file (with
 * --expect, also how many sources named PREFIX* have samples in it) and
 * one in all. Exit 0 only if all of that holds; 1 when a check fails; 2 for
 * bad usage or an unreadable file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hws.h"

static uint32_t *ids;
static size_t nr_ids, cap_ids;

static void note_id(uint32_t id)
{
	for (size_t i = 0; i < nr_ids; i++)
		if (ids[i] == id)
			return;
	if (nr_ids == cap_ids) {
		cap_ids = cap_ids ? 2 * cap_ids : 64;
		ids = realloc(ids, cap_ids * sizeof(*ids));
		if (!ids)
			exit(2);
	}
	ids[nr_ids++] = id;
}

/* Check one file; returns the number of failed checks, or -1. */
static int check_file(const char *path, const char *prefix,
		      unsigned long max_idle)
{
	const struct hws_header *h;
	struct hws_chunk_info ci;
	struct hws_reader *r;
	const void *rec;
	uint64_t samples = 0, *per_src;
	size_t len, plen = prefix ? strlen(prefix) : 0;
	uint32_t i, with = 0, named = 0, idle;
	int ret, bad = 0;

	r = hws_reader_open(path);
	if (!r) {
		fprintf(stderr, "hws-schemacheck: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	h = hws_reader_header(r);
	per_src = calloc(h->nr_sources + 1, sizeof(*per_src));
	if (!per_src)
		return -1;
	while ((ret = hws_reader_next_chunk(r, &ci, &rec, &len)) == 1) {
		size_t off = 0;

		while (off + sizeof(struct hwstats_rec) <= len) {
			const struct hwstats_rec *x =
				(const void *)((const char *)rec + off);
			const struct hwstats_sample *s = (const void *)x;
			const struct hws_source *src;

			off += x->len;
			if (x->type != HWSTATS_REC_SAMPLE)
				continue;
			samples++;
			src = hws_header_source(h, x->source);
			if (!src) {
				if (bad++ < 5)
					printf("FAIL: %s: cpu%u: a sample of source id %u, which the file does not describe\n",
					       path, ci.cpu, x->source);
				continue;
			}
			if (s->first + (x->len - sizeof(*s)) / 8 >
			    src->nr_counters) {
				if (bad++ < 5)
					printf("FAIL: %s: a sample of %s (id %u) has counters %u.. past its %u\n",
					       path, src->name, src->id,
					       s->first, src->nr_counters);
				continue;
			}
			per_src[src - h->sources]++;
		}
	}
	if (ret < 0) {
		fprintf(stderr, "hws-schemacheck: %s: %s\n", path,
			strerror(-ret));
		free(per_src);
		hws_reader_close(r);
		return -1;
	}
	if (hws_reader_damage(r, NULL)) {
		printf("FAIL: %s is damaged\n", path);
		bad++;
	}
	for (i = 0; i < h->nr_sources; i++) {
		if (!per_src[i])
			continue;
		with++;
		if (plen && !strncmp(h->sources[i].name, prefix, plen)) {
			note_id(h->sources[i].id);
			named++;
		}
	}
	printf("%s: %llu samples of %u sources, every one described (%u sources in the file)",
	       path, (unsigned long long)samples, with, h->nr_sources);
	if (plen)
		printf("; %u named %s* with samples", named, prefix);
	printf("\n");
	idle = h->nr_sources - with;
	if (max_idle && idle > max_idle) {
		printf("FAIL: %s describes %u sources without samples in it, more than %lu\n",
		       path, idle, max_idle);
		bad++;
	}
	free(per_src);
	hws_reader_close(r);
	return bad;
}

int main(int argc, char **argv)
{
	const char *prefix = NULL;
	unsigned long want = 0, max_idle = 0;
	int i = 1, bad = 0, n;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--max-idle") && i + 1 < argc) {
			max_idle = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--expect") && i + 2 < argc) {
			prefix = argv[++i];
			want = strtoul(argv[++i], NULL, 10);
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: hws-schemacheck [--max-idle N] [--expect PREFIX COUNT] FILE...\n");
		return 2;
	}
	for (; i < argc; i++) {
		n = check_file(argv[i], prefix, max_idle);
		if (n < 0)
			return 2;
		bad += n;
	}
	if (prefix) {
		printf("%zu distinct ids named %s* with samples (expected %lu)\n",
		       nr_ids, prefix, want);
		if (nr_ids != want) {
			printf("FAIL: %zu distinct %s* sources with samples, expected %lu\n",
			       nr_ids, prefix, want);
			bad++;
		}
	}
	free(ids);
	printf("hws-schemacheck: %s\n", bad ? "FAIL" : "PASS");
	return bad ? 1 : 0;
}
