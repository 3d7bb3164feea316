// SPDX-License-Identifier: MIT
/*
 * bench_format - size and speed of .hws files against plain zstd on the
 * same raw records.
 *
 * For each kind of stream (tests/unit/hws_gen.c makes them as the simulated
 * device and real drivers do) it generates the raw records of one CPU in
 * memory and measures:
 *  - zstd levels 1 and 3 on the raw bytes, in 1 MiB frames with checksums
 *    (what a recorder compressing raw records per chunk would write), and
 *    level 3 as one stream (what `zstd -3 file` makes: the baseline of the
 *    size target);
 *  - libhws at levels 1 and 3 (3 is the writer's default): the whole
 *    writer path, chunk framing, index and footer included, into a file in
 *    memory (memfd), and the reader back.
 * Speeds are raw megabytes (1e6 bytes) per CPU second of one thread (thread
 * CPU time, so that other load on the machine does not count), best of
 * several runs.
 *
 * Usage: bench_format [MiB per stream (default 64)] [runs (default 5)]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "hws.h"
#include "hws_gen.h"

#define CHUNK (1U << 20)

/*
 * CPU time of this thread: a benchmark on a shared machine is then not
 * distorted by other processes taking the CPU (caches are still shared).
 */
static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_format: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct result {
	const char *name;
	size_t bytes;
	double comp_mbs;
	double decomp_mbs;
};

/* zstd on the raw records in frames of CHUNK bytes (whole records). */
static struct result zstd_frames(const uint8_t *raw, size_t len,
				 const size_t *cuts, size_t ncuts, int level,
				 int runs, const char *name)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t cap = ZSTD_compressBound(CHUNK + 65536);
	uint8_t *dst = malloc(cap * (ncuts + 1)), *back = malloc(CHUNK + 65536);
	size_t *zlen = calloc(ncuts, sizeof(*zlen));
	struct result res = { .name = name };
	double best = 1e9, bestd = 1e9;

	if (!c || !d || !dst || !back || !zlen)
		die("memory");
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	for (int r = 0; r < runs; r++) {
		size_t off = 0, total = 0;
		double t = now();

		for (size_t i = 0; i < ncuts; i++) {
			zlen[i] = ZSTD_compress2(c, dst + cap * i, cap,
						 raw + off, cuts[i]);
			if (ZSTD_isError(zlen[i]))
				die("zstd");
			total += zlen[i];
			off += cuts[i];
		}
		t = now() - t;
		if (t < best)
			best = t;
		res.bytes = total;
	}
	for (int r = 0; r < runs; r++) {
		double t = now();

		for (size_t i = 0; i < ncuts; i++)
			if (ZSTD_isError(ZSTD_decompressDCtx(d, back,
							     CHUNK + 65536,
							     dst + cap * i,
							     zlen[i])))
				die("unzstd");
		t = now() - t;
		if (t < bestd)
			bestd = t;
	}
	res.comp_mbs = (double)len / best / 1e6;
	res.decomp_mbs = (double)len / bestd / 1e6;
	ZSTD_freeCCtx(c);
	ZSTD_freeDCtx(d);
	free(dst);
	free(back);
	free(zlen);
	return res;
}

/* zstd as one stream, as the command line tool compresses a file. */
static struct result zstd_stream(const uint8_t *raw, size_t len, int level,
				 int runs, const char *name)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len);
	uint8_t *dst = malloc(cap), *back = malloc(len);
	struct result res = { .name = name };
	double best = 1e9, bestd = 1e9;

	if (!c || !dst || !back)
		die("memory");
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	for (int r = 0; r < runs; r++) {
		double t = now();

		res.bytes = ZSTD_compress2(c, dst, cap, raw, len);
		if (ZSTD_isError(res.bytes))
			die("zstd");
		t = now() - t;
		if (t < best)
			best = t;
	}
	for (int r = 0; r < runs; r++) {
		double t = now();

		if (ZSTD_isError(ZSTD_decompress(back, len, dst, res.bytes)))
			die("unzstd");
		t = now() - t;
		if (t < bestd)
			bestd = t;
	}
	res.comp_mbs = (double)len / best / 1e6;
	res.decomp_mbs = (double)len / bestd / 1e6;
	ZSTD_freeCCtx(c);
	free(dst);
	free(back);
	return res;
}

/* The libhws writer into a memfd, then the reader back, byte-checked. */
static struct result hws_file(const uint8_t *raw, size_t len,
			      const struct hws_header *h, int level,
			      int runs, const char *name)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo), .level = level };
	struct result res = { .name = name };
	double best = 1e9, bestd = 1e9;
	size_t *ap = malloc(sizeof(*ap) * (len / 4096 + 1)), nap = 0;

	/* whole records in pieces of at most 256 KiB */
	for (size_t off = 0; off < len; nap++) {
		size_t k = 0;

		while (off + k < len) {
			uint16_t rl;

			memcpy(&rl, raw + off + k + 2, 2);
			if (k + rl > 256 * 1024)
				break;
			k += rl;
		}
		ap[nap] = k;
		off += k;
	}
	for (int r = 0; r < runs; r++) {
		int fd = memfd_create("bench", MFD_CLOEXEC);
		struct hws_chunk_info ci;
		struct hws_writer *w;
		struct hws_reader *rd;
		const void *rec;
		size_t got = 0, n;
		struct stat st;
		double t;

		if (fd < 0)
			die("memfd_create");
		t = now();
		w = hws_writer_fdopen(fd, h, &wo);
		if (!w)
			die("hws_writer_fdopen");
		/* appends of up to 256 KiB, as a recorder reads them */
		for (size_t i = 0, off = 0; i < nap; off += ap[i++])
			if (hws_writer_append(w, 0, raw + off, ap[i]))
				die("hws_writer_append");
		/* the writer owns fd: keep a second one for reading */
		n = (size_t)dup(fd);
		if (hws_writer_close(w, NULL, 0))
			die("hws_writer_close");
		t = now() - t;
		if (t < best)
			best = t;
		fd = (int)n;
		if (fstat(fd, &st))
			die("fstat");
		res.bytes = (size_t)st.st_size;

		t = now();
		rd = hws_reader_fdopen(fd);
		if (!rd)
			die("hws_reader_fdopen");
		while (hws_reader_next_chunk(rd, &ci, &rec, &n) == 1) {
			if (got + n > len || memcmp(rec, raw + got, n)) {
				fprintf(stderr, "bench_format: round trip differs\n");
				exit(1);
			}
			got += n;
		}
		t = now() - t;
		if (got != len) {
			fprintf(stderr, "bench_format: round trip short\n");
			exit(1);
		}
		if (t < bestd)
			bestd = t;
		hws_reader_close(rd);
		close(fd);
	}
	res.comp_mbs = (double)len / best / 1e6;
	res.decomp_mbs = (double)len / bestd / 1e6;
	free(ap);
	return res;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		struct hws_gen_opts o;
	} streams[] = {
		{ "mixed: 1..4 sources, 4..32 counters (seed 1)",
		  { .seed = 1 } },
		{ "mixed: 1..4 sources, 4..32 counters (seed 7)",
		  { .seed = 7 } },
		{ "wide: 4 sources x 32 counters",
		  { .seed = 2, .nr_sources = 4, .min_counters = 32,
		    .max_counters = 32 } },
		{ "narrow: 1 source x 4 counters",
		  { .seed = 3, .nr_sources = 1, .min_counters = 4,
		    .max_counters = 4 } },
		{ "lossy: 3 sources x 16 counters, drops every 2nd switch",
		  { .seed = 4, .nr_sources = 3, .min_counters = 16,
		    .max_counters = 16, .loss_every = 2 } },
	};
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	size_t cap = mib << 20;
	uint8_t *raw = malloc(cap);
	size_t *cuts = malloc(sizeof(*cuts) * (cap / 4096 + 1));

	if (!raw || !cuts || !mib || runs < 1)
		die("usage: bench_format [MiB] [runs]");
	printf("zstd %s, %ld CPUs online; speeds are raw MB per CPU second "
	       "of one thread, best of %d\n", ZSTD_versionString(),
	       sysconf(_SC_NPROCESSORS_ONLN), runs);
	for (size_t s = 0; s < sizeof(streams) / sizeof(streams[0]); s++) {
		struct hws_gen *g = hws_gen_new(&streams[s].o);
		struct result res[5];
		struct hws_header h;
		size_t len = 0, ncuts = 0;
		uint64_t recs;

		if (!g || hws_gen_header(g, 1, &h))
			die("hws_gen");
		while (len < cap) {
			size_t n = hws_gen_fill(g, raw + len,
						cap - len < CHUNK ? cap - len
								  : CHUNK);

			if (!n)
				break;
			cuts[ncuts++] = n;
			len += n;
		}
		recs = hws_gen_records(g);
		res[0] = zstd_frames(raw, len, cuts, ncuts, 1, runs,
				     "zstd -1, 1 MiB frames");
		res[1] = zstd_frames(raw, len, cuts, ncuts, 3, runs,
				     "zstd -3, 1 MiB frames");
		res[2] = zstd_stream(raw, len, 3, runs, "zstd -3, one stream");
		res[3] = hws_file(raw, len, &h, 1, runs, "libhws, level 1");
		res[4] = hws_file(raw, len, &h, 3, runs,
				  "libhws, level 3 (default)");
		printf("\n%s\n%.1f MiB raw, %llu records, %u sources\n",
		       streams[s].name, (double)len / (1 << 20),
		       (unsigned long long)recs, h.nr_sources);
		printf("  %-28s %12s %8s %10s %11s %11s\n", "method", "bytes",
		       "% raw", "/ zstd -3", "comp MB/s", "read MB/s");
		for (int i = 0; i < 5; i++)
			printf("  %-28s %12zu %7.2f%% %10.3f %11.0f %11.0f\n",
			       res[i].name, res[i].bytes,
			       100.0 * (double)res[i].bytes / (double)len,
			       (double)res[i].bytes / (double)res[2].bytes,
			       res[i].comp_mbs, res[i].decomp_mbs);
		hws_gen_header_free(&h);
		hws_gen_free(g);
	}
	free(raw);
	free(cuts);
	return 0;
}
