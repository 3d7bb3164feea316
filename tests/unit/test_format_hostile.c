// SPDX-License-Identifier: MIT
/*
 * Hostile files: every checksum right, every length a lie. A small
 * generator here crafts each case of the kind that once overflowed a
 * buffer, exhausted memory or took quadratic time, and each is read through
 * libhws (open, seek, merge) and through hwstats-report in a child process
 * under a memory limit and a time limit that only a regression can reach:
 * RLIMIT_AS in a plain build, the allocator's peak under ASan (whose shadow
 * memory rules out RLIMIT_AS), and alarm() for time; where a case would
 * take long at real sizes (the merge's budget), it is cut to scale by a
 * test hook and its work is bounded by counts instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <zstd.h>

#include "hws.h"
#include "hws_internal.h"
#include "report.h"

#if defined(__SANITIZE_ADDRESS__)
#define HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOSTILE_ASAN 1
#endif
#endif

#define MEM_LIMIT	(700ULL << 20)	/* the old reader needed > 1 GiB */
#define TIME_LIMIT	120		/* seconds; the cases take ~1 s */

static char tmpdir[] = "/tmp/hws-hostile-XXXXXX";

static const char *tpath(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

/* ---- the generator: frames with valid CRCs ---- */

struct out {
	FILE *f;
	uint64_t off;
};

static void out_open(struct out *o, const char *path)
{
	o->f = fopen(path, "wb");
	assert_non_null(o->f);
	o->off = 0;
}

static void out_put(struct out *o, const void *p, size_t n)
{
	assert_int_equal(fwrite(p, 1, n, o->f), n);
	o->off += n;
}

static void out_close(struct out *o)
{
	assert_int_equal(fclose(o->f), 0);
}

/*
 * A header of @nr_cpus CPUs and @nr_sources sources of one counter (of
 * none when there are more than 100000: to fit 16 MiB).
 */
static void put_header(struct out *o, uint32_t nr_cpus, uint32_t nr_sources)
{
	struct hws_header h = { .nr_cpus = nr_cpus, .clock = 0,
				.start_boot_ns = 1000, .start_real_ns = 2000,
				.session_id = 7 };
	struct hws_counter ctr = { .name = "c", .unit = "1",
				   .kind = HWSTATS_KIND_COUNTER };
	uint8_t *frame;
	size_t len;

	strcpy(h.host, "hostile");
	h.nr_sources = nr_sources;
	h.sources = calloc(nr_sources ? nr_sources : 1, sizeof(*h.sources));
	assert_non_null(h.sources);
	for (uint32_t i = 0; i < nr_sources; i++) {
		h.sources[i].id = i + 1;
		h.sources[i].nr_counters = nr_sources > 100000 ? 0 : 1;
		h.sources[i].counters = &ctr;
		snprintf(h.sources[i].name, sizeof(h.sources[i].name), "s%u",
			 i);
	}
	len = hwsi_header_frame_len(&h);
	frame = malloc(len);
	assert_non_null(frame);
	hwsi_header_encode(frame, len, &h);
	out_put(o, frame, len);
	free(frame);
	free(h.sources);
}

static void put_source_frame(struct out *o, uint32_t id)
{
	struct hws_counter ctr = { .name = "c", .unit = "1",
				   .kind = HWSTATS_KIND_COUNTER };
	struct hws_source s = { .id = id, .nr_counters = 1,
				.counters = &ctr };
	uint8_t frame[512];
	size_t len = hwsi_source_frame_len(&s);

	snprintf(s.name, sizeof(s.name), "late%u", id);
	assert_true(len <= sizeof(frame));
	hwsi_source_frame_encode(frame, len, &s);
	out_put(o, frame, len);
}

/*
 * Records of @rec_len bytes (type 1000, unknown to every reader) filling
 * @raw_len bytes, all at @ts; the zstd frame of them.
 */
static void *make_records(size_t raw_len, uint16_t rec_len, uint64_t ts,
			  uint32_t *nr)
{
	uint8_t *rec = calloc(1, raw_len);

	assert_non_null(rec);
	*nr = 0;
	for (size_t off = 0; off + rec_len <= raw_len; off += rec_len) {
		hwsi_put16(rec + off, 1000);
		hwsi_put16(rec + off + 2, rec_len);
		hwsi_put64(rec + off + 8, ts);
		(*nr)++;
	}
	return rec;
}

static void *compress(const void *src, size_t len, size_t *zlen)
{
	ZSTD_CCtx *z = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len);
	void *dst = malloc(cap);

	assert_non_null(z);
	assert_non_null(dst);
	ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	*zlen = ZSTD_compress2(z, dst, cap, src, len);
	assert_false(ZSTD_isError(*zlen));
	ZSTD_freeCCtx(z);
	return dst;
}

/* A raw chunk of CPU @cpu: header frame and data frame. */
static uint64_t put_chunk(struct out *o, uint32_t cpu, uint64_t seq,
			  const void *rec, size_t raw_len, uint32_t nr,
			  uint64_t ts, const void *z, size_t zlen)
{
	struct hws_chunk_hdr ch = {
		.cpu = cpu, .nr_records = nr, .first_ts = ts, .last_ts = ts,
		.chunk_seq = seq, .raw_len = raw_len, .content_len = raw_len,
		.frame_len = (uint32_t)zlen, .encoding = HWS_ENC_RAW,
	};
	uint8_t h[HWS_CHUNK_FRAME_LEN];
	uint64_t at = o->off;

	(void)rec;
	ch.frame_crc = hwsi_crc32c(0, z, zlen);
	hwsi_chunk_hdr_encode(h, &ch);
	out_put(o, h, sizeof(h));
	out_put(o, z, zlen);
	return at;
}

/* A small chunk of @n 16-byte records at @ts. */
static uint64_t put_small_chunk(struct out *o, uint32_t cpu, uint64_t seq,
				uint32_t n, uint64_t ts)
{
	uint32_t nr;
	void *rec = make_records((size_t)n * 16, 16, ts, &nr);
	size_t zlen;
	void *z = compress(rec, (size_t)n * 16, &zlen);
	uint64_t at = put_chunk(o, cpu, seq, rec, (size_t)n * 16, nr, ts, z,
				zlen);

	free(rec);
	free(z);
	return at;
}

static void put_index(struct out *o, const struct hws_index_entry *e,
		      uint32_t n)
{
	uint32_t plen = HWS_INDEX_FIXED + n * HWS_INDEX_ENTRY_LEN + 4;
	uint8_t *f = calloc(1, HWS_SKIP_HDR + plen);

	assert_non_null(f);
	hwsi_frame_begin(f, HWS_MAGIC_INDEX, HWS_SIG_INDEX, plen);
	hwsi_put32(f + HWS_SKIP_HDR + 8, n);
	hwsi_put32(f + HWS_SKIP_HDR + 12, HWS_INDEX_ENTRY_LEN);
	for (uint32_t i = 0; i < n; i++)
		hwsi_index_entry_encode(f + HWS_SKIP_HDR + HWS_INDEX_FIXED +
				       i * HWS_INDEX_ENTRY_LEN, &e[i]);
	hwsi_frame_seal(f, plen);
	out_put(o, f, HWS_SKIP_HDR + plen);
	free(f);
}

/* A footer with no totals and the given index references. */
static void put_footer(struct out *o, const struct hws_index_ref *refs,
		       uint32_t nrefs)
{
	uint32_t plen = HWS_FOOTER_FIXED + nrefs * HWS_INDEX_REF_LEN +
			HWS_FOOTER_TRAILER;
	uint8_t *f = calloc(1, HWS_SKIP_HDR + plen), *p = f + HWS_SKIP_HDR;

	assert_non_null(f);
	hwsi_frame_begin(f, HWS_MAGIC_FOOTER, HWS_SIG_FOOTER, plen);
	hwsi_put32(p + 8, HWS_FOOTER_FIXED);
	hwsi_put32(p + 44, HWS_TOTALS_LEN);
	hwsi_put32(p + 48, nrefs);
	hwsi_put32(p + 52, HWS_INDEX_REF_LEN);
	for (uint32_t i = 0; i < nrefs; i++)
		hwsi_index_ref_encode(p + HWS_FOOTER_FIXED +
				     i * HWS_INDEX_REF_LEN, &refs[i]);
	hwsi_put32(p + plen - 12, plen);
	hwsi_put32(p + plen - 8, HWS_SIG_END);
	hwsi_frame_seal(f, plen);
	out_put(o, f, HWS_SKIP_HDR + plen);
	free(f);
}

/* An hws frame of a kind no reader knows ('X'), around @len bytes. */
static void put_unknown(struct out *o, const void *body, uint32_t len)
{
	uint32_t plen = HWS_PROLOGUE_LEN + len + 4;
	uint8_t *f = calloc(1, HWS_SKIP_HDR + plen);

	assert_non_null(f);
	hwsi_frame_begin(f, 0x184D2A56U, HWS_SIG('X'), plen);
	memcpy(f + HWS_SKIP_HDR + HWS_PROLOGUE_LEN, body, len);
	hwsi_frame_seal(f, plen);
	out_put(o, f, HWS_SKIP_HDR + plen);
	free(f);
}

/* ---- running a case under limits ---- */

#ifdef HOSTILE_ASAN
int __sanitizer_install_malloc_and_free_hooks(
	void (*malloc_hook)(const volatile void *, size_t),
	void (*free_hook)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

static size_t heap_now, heap_peak;

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	heap_now += n;
	if (heap_now > heap_peak)
		heap_peak = heap_now;
}

static void on_free(const volatile void *p)
{
	if (p)
		heap_now -= __sanitizer_get_allocated_size(p);
}
#endif

/* Run @fn in a child within the limits; its exit status must be 0. */
static void run_limited(int (*fn)(const char *), const char *path)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc;

		alarm(TIME_LIMIT);
#ifdef HOSTILE_ASAN
		__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
#else
		struct rlimit rl = { MEM_LIMIT, MEM_LIMIT };

		setrlimit(RLIMIT_AS, &rl);
#endif
		rc = fn(path);
#ifdef HOSTILE_ASAN
		if (!rc && heap_peak > MEM_LIMIT) {
			fprintf(stderr, "%s: heap peak %zu MiB\n", path,
				heap_peak >> 20);
			rc = 90;
		}
#endif
		_exit(rc);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fprintf(stderr, "%s: killed by signal %d\n", path,
			WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Every record through the merge; returns the count, or -1. */
static long merge_all(struct hws_reader *r)
{
	const struct hwstats_rec *rec;
	struct hws_merge *m = hws_merge_new(&r, 1);
	long n = 0;
	int ret;

	if (!m)
		return -1;
	while ((ret = hws_merge_next(m, &rec, NULL, NULL)) == 1)
		n++;
	hws_merge_free(m);
	return ret < 0 ? -1 : n;
}

/* hwstats-report over @path with @extra arguments: its exit status. */
static int report(const char *path, const char *a1, const char *a2)
{
	char *argv[] = { "hwstats-report", (char *)path, (char *)a1,
			 (char *)a2, NULL };
	FILE *out = fopen("/dev/null", "w"), *err = fopen("/dev/null", "w");
	int argc = a2 ? 4 : a1 ? 3 : 2, rc;

	if (!out || !err)
		return -1;
	optind = 0;
	rc = hwr_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return rc;
}

/* ---- the cases ---- */

/* An index frame with a 19-byte payload, and a reference past 2^64. */
static void make_short_index(const char *path, bool wrap)
{
	struct hws_index_ref ref = { .max_last_ts = UINT64_MAX,
				     .nr_entries = 1 };
	struct out o;
	uint8_t f[HWS_SKIP_HDR + 19];

	out_open(&o, path);
	put_header(&o, 2, 1);
	put_small_chunk(&o, 0, 0, 10, 5000);
	ref.offset = wrap ? UINT64_MAX - 3 : o.off;
	/*
	 * 19 bytes: length - 16 - 4 wraps, and 2000 entries of 40 bytes
	 * "fit"; reading them ran past the 64 KiB frame buffer.
	 */
	hwsi_frame_begin(f, HWS_MAGIC_INDEX, HWS_SIG_INDEX, 19);
	hwsi_put32(f + HWS_SKIP_HDR + 8, 2000);		/* nr_entries */
	hwsi_put32(f + HWS_SKIP_HDR + 12, HWS_INDEX_ENTRY_LEN);
	hwsi_frame_seal(f, 19);
	out_put(&o, f, sizeof(f));
	put_footer(&o, &ref, 1);
	out_close(&o);
}

static int check_short_index(const char *path)
{
	struct hws_reader *r = hws_reader_open(path);

	if (!r || hws_reader_seek_time(r, 4000) || merge_all(r) != 10)
		return 1;
	hws_reader_close(r);
	/* --from makes the report seek through the index */
	return report(path, "--from", "+0") == HWR_EXIT_DAMAGE ? 0 : 2;
}

static void test_short_index_payload_is_refused(void **state)
{
	(void)state;
	make_short_index(tpath("short-index.hws"), false);
	run_limited(check_short_index, tpath("short-index.hws"));
	make_short_index(tpath("wrap-ref.hws"), true);
	run_limited(check_short_index, tpath("wrap-ref.hws"));
}

/* A chunk whose frame_len is far more than its content can need. */
static int check_long_frame(const char *path)
{
	struct hws_reader *r = hws_reader_open(path);
	const struct hws_damage *d;

	if (!r || merge_all(r) != 10)
		return 1;
	/* the lying chunk is damage, the good one is read */
	if (hws_reader_damage(r, &d) < 2 || d[1].kind != HWS_DAMAGE_CORRUPT)
		return 2;
	hws_reader_close(r);
	return report(path, NULL, NULL) == HWR_EXIT_DAMAGE ? 0 : 3;
}

static void test_frame_len_is_bounded_by_content(void **state)
{
	const char *path = tpath("long-frame.hws");
	struct hws_chunk_hdr ch = {
		.cpu = 1, .nr_records = 1, .first_ts = 1, .last_ts = 1,
		.raw_len = 16, .content_len = 16,
		.frame_len = 900U << 20, .encoding = HWS_ENC_RAW,
	};
	uint8_t h[HWS_CHUNK_FRAME_LEN];
	struct out o;

	(void)state;
	out_open(&o, path);
	put_header(&o, 2, 1);
	put_small_chunk(&o, 0, 0, 10, 5000);
	hwsi_chunk_hdr_encode(h, &ch);
	out_put(&o, h, sizeof(h));
	out_close(&o);
	/* a sparse file long enough to hold the claimed frame */
	assert_int_equal(truncate(path, (off_t)(901U << 20)), 0);
	run_limited(check_long_frame, path);
}

/*
 * The merge's memory: 16 CPUs with two chunks each that no budget holds
 * at once. The budget is cut to what four chunks take, so that the case
 * is the same at any size (it once used the real 256 MiB, and 64 MiB
 * chunks that took minutes on a busy machine): the work is bounded by
 * counts. All records of a CPU's chunk share one timestamp, so the merge
 * drains the CPUs one after another, and a chunk dropped to make room is
 * decoded again at most once when its turn comes.
 */
#define BIG_CPUS	16U
#define BIG_CHUNK	(1U << 20)
#define BIG_REC		8192U
#define BIG_BUDGET	(4ULL * BIG_CHUNK)

/* Merge every record with @threads threads; 0, or what went wrong. */
static int merge_counted(const char *path, unsigned int threads)
{
	struct hws_merge_opts mo = { .sz = sizeof(mo), .threads = threads };
	struct hws_reader *r = hws_reader_open(path);
	const struct hwstats_rec *rec;
	uint64_t peak, decodes, last = 0, n = 0;
	struct hws_merge *m;
	uint32_t cpu;
	int ret;

	if (!r)
		return 10;
	m = hws_merge_new_opts(&r, 1, &mo);
	if (!m)
		return 11;
	while ((ret = hws_merge_next(m, &rec, &cpu, NULL)) == 1) {
		if (rec->ts < last)
			return 12;
		last = rec->ts;
		n++;
	}
	hwsi_merge_stats(m, &peak, &decodes);
	hws_merge_free(m);
	hws_reader_close(r);
	if (ret < 0 || n != 2ULL * BIG_CPUS * (BIG_CHUNK / BIG_REC))
		return 13;
	if (peak > BIG_BUDGET) {
		fprintf(stderr, "%u threads: held %" PRIu64 " bytes\n", threads,
			peak);
		return 14;
	}
	/* every chunk once, and each at most once more */
	if (decodes < 2 * BIG_CPUS || decodes > 4 * BIG_CPUS) {
		fprintf(stderr, "%u threads: %" PRIu64 " decodes\n", threads,
			decodes);
		return 15;
	}
	return 0;
}

static int check_big_chunks(const char *path)
{
	int ret;

	hwsi_merge_set_budget(BIG_BUDGET);
	ret = merge_counted(path, 1);
	if (!ret)
		ret = merge_counted(path, 2);
	/* damage: no footer */
	if (!ret && report(path, NULL, NULL) != HWR_EXIT_DAMAGE)
		ret = 16;
	hwsi_merge_set_budget(0);
	return ret;
}

static void test_merge_memory_is_bounded(void **state)
{
	const char *path = tpath("big-chunks.hws");
	size_t zlen[2];
	void *rec[2], *z[2];
	uint32_t nr;
	struct out o;

	(void)state;
	for (int k = 0; k < 2; k++) {
		rec[k] = make_records(BIG_CHUNK, BIG_REC, 5000 + k, &nr);
		assert_int_equal(nr, BIG_CHUNK / BIG_REC);
		z[k] = compress(rec[k], BIG_CHUNK, &zlen[k]);
	}
	out_open(&o, path);
	put_header(&o, BIG_CPUS, 1);
	for (uint32_t k = 0; k < 2; k++)
		for (uint32_t cpu = 0; cpu < BIG_CPUS; cpu++)
			put_chunk(&o, cpu, k * BIG_CPUS + cpu, rec[k],
				  BIG_CHUNK, nr, 5000 + k, z[k], zlen[k]);
	out_close(&o);
	for (int k = 0; k < 2; k++) {
		free(rec[k]);
		free(z[k]);
	}
	run_limited(check_big_chunks, path);
}

static int check_many_cpus(const char *path)
{
	return report(path, NULL, NULL) == HWR_EXIT_DAMAGE ? 0 : 1;
}

/* One sample of each of sources 1..@n (one counter each) on @cpu. */
static void put_sample_chunk(struct out *o, uint32_t cpu, uint64_t seq,
			     uint32_t n, uint64_t ts)
{
	size_t raw = (size_t)n * 40, zlen;
	uint8_t *rec = calloc(1, raw);
	void *z;

	assert_non_null(rec);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *r = rec + (size_t)i * 40;

		hwsi_put16(r, HWSTATS_REC_SAMPLE);
		hwsi_put16(r + 2, 40);
		hwsi_put32(r + 4, i + 1);
		hwsi_put64(r + 8, ts);
		hwsi_put64(r + 32, 1000 + i);
	}
	z = compress(rec, raw, &zlen);
	put_chunk(o, cpu, seq, rec, raw, n, ts, z, zlen);
	free(rec);
	free(z);
}

/*
 * A header claiming 65536 CPUs; samples of 2000 sources on CPUs 0, 1 and
 * 65535: per-source state follows the three CPUs present (it once grew
 * to 65536 per source: 4 GiB).
 */
static void test_claimed_cpus_cost_nothing(void **state)
{
	const char *path = tpath("many-cpus.hws");
	struct out o;

	(void)state;
	out_open(&o, path);
	put_header(&o, HWS_MAX_CPUS, 2000);
	put_sample_chunk(&o, 0, 0, 2000, 5000);
	put_sample_chunk(&o, 1, 1, 2000, 5000);
	put_sample_chunk(&o, HWS_MAX_CPUS - 1, 2, 2000, 5000);
	out_close(&o);
	run_limited(check_many_cpus, path);
}

/* 150000 sources in the header, 20000 in source frames (the old linear
 * searches took minutes). */
static int check_many_sources(const char *path)
{
	struct hws_reader *r = hws_reader_open(path);

	if (!r || hws_reader_header(r)->nr_sources != 170000)
		return 1;
	hws_reader_close(r);
	return report(path, NULL, NULL) == HWR_EXIT_DAMAGE ? 0 : 2;
}

static void test_many_sources_are_hashed(void **state)
{
	const char *path = tpath("many-sources.hws");
	struct out o;

	(void)state;
	out_open(&o, path);
	put_header(&o, 2, 150000);
	for (uint32_t i = 0; i < 20000; i++)
		put_source_frame(&o, 1000000 + i);
	put_small_chunk(&o, 0, 0, 10, 5000);
	out_close(&o);
	run_limited(check_many_sources, path);
}

/*
 * After damage, thousands of candidate frames that pass every cheap test
 * and each claim megabytes, then the real chunks: the resync is linear.
 */
static int check_resync(const char *path)
{
	struct hws_reader *r = hws_reader_open(path);

	if (!r || merge_all(r) != 9 * 10)
		return 1;
	hws_reader_close(r);
	return report(path, NULL, NULL) == HWR_EXIT_DAMAGE ? 0 : 2;
}

static void put_candidate(struct out *o, uint32_t magic, uint32_t sig,
			  uint32_t plen, uint32_t n)
{
	uint8_t cand[24] = { 0 };

	hwsi_put32(cand, magic);
	hwsi_put32(cand + 4, plen);
	hwsi_put32(cand + 8, sig);
	hwsi_put32(cand + 12, plen);
	hwsi_put32(cand + 16, n);
	hwsi_put32(cand + 20, 40);
	out_put(o, cand, sizeof(cand));
}

static void test_resync_is_linear(void **state)
{
	const char *path = tpath("resync.hws");
	uint32_t n = 65536, iplen = HWS_INDEX_FIXED + n * 40 + 4, k;
	uint32_t uplen = 64U << 20;
	struct out o;
	uint64_t start;

	(void)state;
	out_open(&o, path);
	put_header(&o, 8, 1);
	put_small_chunk(&o, 0, 0, 10, 5000);
	out_put(&o, "x", 1);			/* the damage */
	start = o.off;
	/* frames of a later kind claiming 64 MiB, CRC wrong */
	for (k = 0; k < 2048; k++)
		put_candidate(&o, 0x184D2A56U, HWS_SIG('X'), uplen, 0);
	/* index frames of 65536 entries, every field agreeing, CRC wrong */
	for (k = 0; k < 2048; k++)
		put_candidate(&o, HWS_MAGIC_INDEX, HWS_SIG_INDEX, iplen, n);
	/* a hole as long as the longest claim, then the real chunks */
	assert_int_equal(fseek(o.f, (long)(start + uplen + 4096 * 24 + 64),
			       SEEK_SET), 0);
	o.off = start + uplen + 4096 * 24 + 64;
	for (k = 1; k < 8; k++)
		put_small_chunk(&o, k, k, 10, 5000);
	put_small_chunk(&o, 0, 8, 10, 6000);
	out_close(&o);
	run_limited(check_resync, path);
}

/*
 * An index entry naming a chunk hidden inside a frame of an unknown kind:
 * seeking must not show it, nor skip the real chunk.
 */
static int check_hidden(const char *path)
{
	const struct hwstats_rec *rec;
	struct hws_reader *r = hws_reader_open(path);
	struct hws_merge *m;
	long n = 0;

	if (!r || hws_reader_seek_time(r, 6000))
		return 1;
	m = hws_merge_new(&r, 1);
	if (!m)
		return 2;
	while (hws_merge_next(m, &rec, NULL, NULL) == 1) {
		if (rec->ts == 9999)
			return 3;	/* the hidden chunk's records */
		n += rec->ts == 7000;
	}
	hws_merge_free(m);
	hws_reader_close(r);
	return n == 10 ? 0 : 4;
}

static void test_index_cannot_point_into_a_frame(void **state)
{
	const char *path = tpath("hidden.hws");
	struct hws_index_entry e[2];
	struct hws_index_ref ref = { .min_first_ts = 5000,
				     .max_last_ts = 9999, .nr_entries = 2 };
	struct out o, hid;
	uint8_t *body;
	long blen;
	uint64_t real, hidden_off;

	(void)state;
	/* the hidden chunk, crafted alone first */
	out_open(&hid, tpath("hidden-body"));
	put_small_chunk(&hid, 0, 1, 10, 9999);
	out_close(&hid);
	{
		FILE *f = fopen(tpath("hidden-body"), "rb");

		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		blen = ftell(f);
		rewind(f);
		body = malloc((size_t)blen);
		assert_non_null(body);
		assert_int_equal(fread(body, 1, (size_t)blen, f), blen);
		fclose(f);
	}
	out_open(&o, path);
	put_header(&o, 2, 1);
	e[0].offset = put_small_chunk(&o, 0, 0, 10, 5000);
	hidden_off = o.off + HWS_SKIP_HDR + HWS_PROLOGUE_LEN;
	put_unknown(&o, body, (uint32_t)blen);
	real = put_small_chunk(&o, 0, 1, 10, 7000);
	(void)real;
	e[0].first_ts = e[0].last_ts = 5000;
	e[0].cpu = 0;
	e[0].nr_records = 10;
	e[0].chunk_seq = 0;
	e[1] = e[0];
	e[1].offset = hidden_off;
	e[1].first_ts = e[1].last_ts = 9999;
	e[1].chunk_seq = 1;
	ref.offset = o.off;
	put_index(&o, e, 2);
	put_footer(&o, &ref, 1);
	out_close(&o);
	free(body);
	run_limited(check_hidden, path);
}

/* ---- not a regular file ---- */

static void test_fifo_and_devices_are_refused(void **state)
{
	const char *fifo = tpath("fifo.hws");
	struct hws_reader *r;
	char *argv[] = { "hwstats-report", (char *)fifo, NULL };
	char buf[512] = "";
	FILE *out = fopen("/dev/null", "w"), *err = fmemopen(buf, sizeof(buf),
							      "w");

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(30);	/* the old reader blocked here forever */
	r = hws_reader_open(fifo);
	assert_null(r);
	assert_int_equal(errno, EINVAL);
	assert_null(hws_reader_open("/dev/zero"));
	assert_int_equal(errno, EINVAL);
	assert_null(hws_reader_open(tmpdir));
	assert_int_equal(errno, EISDIR);
	optind = 0;
	assert_int_not_equal(hwr_main(2, argv, out, err), 0);
	alarm(0);
	fclose(out);
	fclose(err);
	assert_non_null(strstr(buf, "not a regular file (a FIFO)"));
	assert_null(strchr(strchr(buf, '\n') + 1, '\n'));	/* one line */
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	if (getenv("HWS_KEEP_TMP")) {
		fprintf(stderr, "files kept in %s\n", tmpdir);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_index_payload_is_refused),
		cmocka_unit_test(test_frame_len_is_bounded_by_content),
		cmocka_unit_test(test_merge_memory_is_bounded),
		cmocka_unit_test(test_claimed_cpus_cost_nothing),
		cmocka_unit_test(test_many_sources_are_hashed),
		cmocka_unit_test(test_resync_is_linear),
		cmocka_unit_test(test_index_cannot_point_into_a_frame),
		cmocka_unit_test(test_fifo_and_devices_are_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
