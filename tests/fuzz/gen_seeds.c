// SPDX-License-Identifier: MIT
/*
 * gen_seeds - the committed seed inputs of the fuzz targets (besides the
 * golden files): small record streams from hws_gen, and small .hws files in
 * both chunk encodings, one with a source frame. Usage: gen_seeds DIR (writes DIR/reader/seed-* and
 * DIR/stream_check/seed-*).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hws.h"
#include "hws_gen.h"

static void put(const char *dir, const char *name, const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "gen_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* @late: the header describes the first source, a source frame the next */
static void hws_file(const char *path, uint64_t seed, bool raw,
		     uint64_t chunk, int pieces, bool late)
{
	struct hws_gen_opts go = { .seed = seed, .nr_sources = 2,
				   .min_counters = 3, .max_counters = 6,
				   .subbuf_size = 1024, .loss_every = 2,
				   .extra_types = 4 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = chunk,
				      .index_every = 2, .raw_chunks = raw };
	struct hws_cpu_totals t = { .cpu = 1, .records = 9, .lost = 1 };
	struct hws_gen *g[2];
	struct hws_header h;
	struct hws_writer *w;
	uint8_t piece[400];

	for (uint32_t c = 0; c < 2; c++) {
		struct hws_gen_opts o = go;

		o.cpu = c;
		g[c] = hws_gen_new(&o);
	}
	hws_gen_header(g[0], 2, &h);
	if (late)
		h.nr_sources--;
	w = hws_writer_open(path, &h, &wo);
	if (!w) {
		fprintf(stderr, "gen_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (late) {
		h.nr_sources++;
		hws_writer_add_source(w, &h.sources[1]);
	}
	for (int i = 0; i < pieces; i++) {
		uint32_t c = (uint32_t)(i & 1);
		size_t n = hws_gen_fill(g[c], piece, sizeof(piece));

		hws_writer_append(w, c, piece, n);
	}
	hws_writer_close(w, &t, 1);
	hws_gen_header_free(&h);
	hws_gen_free(g[0]);
	hws_gen_free(g[1]);
}

int main(int argc, char **argv)
{
	static const struct hws_gen_opts streams[] = {
		{ .seed = 1, .nr_sources = 1, .min_counters = 4,
		  .max_counters = 4 },
		{ .seed = 2, .nr_sources = 3, .min_counters = 2,
		  .max_counters = 9, .subbuf_size = 512, .loss_every = 2 },
		{ .seed = 3, .nr_sources = 4, .min_counters = 32,
		  .extra_types = 2 },
	};
	char dir[512], name[64];
	uint8_t buf[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/stream_check", argv[1]);
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		struct hws_gen *g = hws_gen_new(&streams[i]);
		size_t n = hws_gen_fill(g, buf, 1000 + 1500 * i);

		snprintf(name, sizeof(name), "seed-stream-%zu", i);
		put(dir, name, buf, n);
		hws_gen_free(g);
	}
	snprintf(dir, sizeof(dir), "%s/reader/seed-columns.hws", argv[1]);
	hws_file(dir, 7, false, 600, 8, false);
	/* seed-columns.hws is of encoding 1 as committed; this one of 3 */
	snprintf(dir, sizeof(dir), "%s/reader/seed-columns3.hws", argv[1]);
	hws_file(dir, 11, false, 600, 8, false);
	snprintf(dir, sizeof(dir), "%s/reader/seed-raw.hws", argv[1]);
	hws_file(dir, 8, true, 500, 6, false);
	snprintf(dir, sizeof(dir), "%s/reader/seed-one-chunk.hws", argv[1]);
	hws_file(dir, 9, false, 65536, 2, false);
	snprintf(dir, sizeof(dir), "%s/reader/seed-late-source.hws", argv[1]);
	hws_file(dir, 10, false, 600, 6, true);
	return 0;
}
