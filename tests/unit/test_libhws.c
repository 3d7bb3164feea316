// SPDX-License-Identifier: MIT
/*
 * libhws: writer, reader, merge, seek and the chunk codec, through the API
 * (and the codec through its private interface).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <zstd.h>

#include "hws.h"
#include "hws_gen.h"
#include "hws_internal.h"

static char tmpdir[] = "/tmp/hws-test-XXXXXX";

static const char *tpath(const char *name)
{
	static char buf[8][256];
	static int k;
	char *p = buf[k++ % 8];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

struct bytes {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static void bytes_add(struct bytes *b, const void *p, size_t len)
{
	if (!len)
		return;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 4096;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void bytes_free(struct bytes *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(b[i].p);
		b[i] = (struct bytes){ 0 };
	}
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/*
 * Write @nr_cpus generated streams of about @bytes each, appended in pieces
 * of random size and CPU order; the appended bytes land in @exp[cpu].
 */
static void write_gen_file(const char *path, uint32_t nr_cpus, size_t bytes,
			   const struct hws_gen_opts *go,
			   const struct hws_writer_opts *wo,
			   const struct hws_cpu_totals *tot, uint32_t ntot,
			   struct bytes *exp)
{
	struct hws_gen **g = calloc(nr_cpus, sizeof(*g));
	uint8_t *piece = malloc(64 * 1024);
	struct hws_header h;
	struct hws_writer *w;
	uint64_t seed = 12345;
	size_t done = 0;

	assert_non_null(g);
	for (uint32_t c = 0; c < nr_cpus; c++) {
		struct hws_gen_opts o = *go;

		o.cpu = c;
		g[c] = hws_gen_new(&o);
		assert_non_null(g[c]);
	}
	assert_int_equal(hws_gen_header(g[0], nr_cpus, &h), 0);
	w = hws_writer_open(path, &h, wo);
	assert_non_null(w);
	while (done < bytes * nr_cpus) {
		uint32_t c = (uint32_t)(lcg(&seed) % nr_cpus);
		size_t want = 1 + lcg(&seed) % (16 * 1024);
		size_t n = hws_gen_fill(g[c], piece, want);

		assert_int_equal(hws_writer_append(w, c, piece, n), 0);
		bytes_add(&exp[c], piece, n);
		done += n;
	}
	assert_int_equal(hws_writer_close(w, tot, ntot), 0);
	hws_gen_header_free(&h);
	for (uint32_t c = 0; c < nr_cpus; c++)
		hws_gen_free(g[c]);
	free(g);
	free(piece);
}

/* Every chunk's records, concatenated per CPU; returns the chunk count. */
static size_t read_all(struct hws_reader *r, struct bytes *got,
		       uint32_t nr_cpus)
{
	struct hws_chunk_info ci;
	const void *rec;
	size_t len, n = 0;
	int ret;

	while ((ret = hws_reader_next_chunk(r, &ci, &rec, &len)) == 1) {
		assert_true(ci.cpu < nr_cpus);
		bytes_add(&got[ci.cpu], rec, len);
		n++;
	}
	assert_int_equal(ret, 0);
	return n;
}

/* Read every chunk and check each CPU's records equal @exp's, byte for byte. */
static void read_all_equal(struct hws_reader *r, const struct bytes *exp,
			   uint32_t nr_cpus)
{
	struct bytes got[8] = { 0 };

	assert_true(nr_cpus <= 8);
	read_all(r, got, nr_cpus);
	for (uint32_t c = 0; c < nr_cpus; c++) {
		assert_int_equal(got[c].len, exp[c].len);
		assert_memory_equal(got[c].p, exp[c].p, exp[c].len);
	}
	bytes_free(got, nr_cpus);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */

static void test_crc32c_matches_known_vectors(void **state)
{
	const char *s = "123456789";
	uint8_t zeros[32] = { 0 };

	(void)state;
	assert_int_equal(hwsi_crc32c(0, s, 9), 0xE3069283U);
	/* pieces compose */
	assert_int_equal(hwsi_crc32c(hwsi_crc32c(0, s, 4), s + 4, 5),
			 0xE3069283U);
	/* RFC 3720 B.4: 32 bytes of zeros */
	assert_int_equal(hwsi_crc32c(0, zeros, 32), 0x8A9136AAU);
}

/*
 * Both implementations (slicing-by-8, and the crc32 instruction where the
 * CPU has it) give the known vectors and the same CRC of any bytes, at any
 * alignment and length, in pieces or whole: the writer picks either by
 * speed.
 */
static void test_crc32c_paths_agree(void **state)
{
	static const int impl[2] = { HWSI_CRC_SW, HWSI_CRC_HW };
	uint8_t buf[4096 + 16];
	uint32_t want[64];
	uint64_t x = 12345;
	int ran = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[i] = (uint8_t)(x >> 56);
	}
	assert_int_equal(hwsi_crc32c_force(99), -EINVAL);
	for (int k = 0; k < 2; k++) {
		int err = hwsi_crc32c_force(impl[k]);

		if (err == -ENOTSUP && impl[k] == HWSI_CRC_HW)
			continue;
		assert_int_equal(err, 0);
		ran++;
		assert_int_equal(hwsi_crc32c(0, "123456789", 9), 0xE3069283U);
		for (int t = 0; t < 64; t++) {
			size_t off = (size_t)t % 13, len = (size_t)t * 61 + t % 7;
			size_t cut = len / 3;
			uint32_t whole = hwsi_crc32c(0, buf + off, len);

			assert_int_equal(hwsi_crc32c(hwsi_crc32c(0, buf + off,
								  cut),
						     buf + off + cut, len - cut),
					 whole);
			if (k == 0)
				want[t] = whole;
			else
				assert_int_equal(whole, want[t]);
		}
	}
	assert_true(ran >= 1);
	assert_int_equal(hwsi_crc32c_force(HWSI_CRC_AUTO), 0);
	assert_int_equal(hwsi_crc32c(0, "123456789", 9), 0xE3069283U);
}

/*
 * The writer encodes the chunks it compresses at a negative level (the
 * recorder's fast rungs) at the encoder's FAST effort, the others at
 * FULL: each chunk's content is what that effort makes of its records,
 * and every record reads back.
 */
static void test_writer_fast_effort_below_level_zero(void **state)
{
	static const int level[4] = { 3, -1, 1, -7 };
	struct hws_gen_opts go = { .seed = 21, .nr_sources = 2 };
	struct hws_gen *g = hws_gen_new(&go);
	const char *path = tpath("effort.hws");
	struct hws_enc *e = hwsi_enc_new();
	static uint8_t in[4][96 * 1024];
	size_t inlen[4], len;
	struct hws_chunk_info ci;
	struct hws_writer *w;
	struct hws_reader *rd;
	struct hws_header h;
	uint8_t ch[8 + 96];
	const void *recs;
	int fd, i;

	(void)state;
	assert_non_null(g);
	assert_non_null(e);
	assert_int_equal(hwsi_enc_set_effort(e, 2), -EINVAL);
	assert_int_equal(hws_gen_header(g, 1, &h), 0);
	w = hws_writer_open(path, &h, NULL);
	assert_non_null(w);
	for (i = 0; i < 4; i++) {
		inlen[i] = hws_gen_fill(g, in[i], sizeof(in[i]));
		assert_int_equal(hws_writer_set_level(w, 0, level[i]), 0);
		assert_int_equal(hwsi_writer_append_checked(w, 0, in[i], inlen[i]), 0);
		assert_int_equal(hws_writer_flush_cpu(w, 0), 0);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	hws_gen_header_free(&h);
	hws_gen_free(g);

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	rd = hws_reader_open(path);
	assert_non_null(rd);
	for (i = 0; hws_reader_next_chunk(rd, &ci, &recs, &len) == 1; i++) {
		uint32_t n = 0;
		size_t lens[2];
		const void *o;
		uint16_t enc;

		assert_true(i < 4);
		assert_int_equal(len, inlen[i]);
		assert_memory_equal(recs, in[i], len);
		for (size_t off = 0; off < len; n++)
			off += hwsi_rec_len(in[i] + off);
		for (int k = 0; k < 2; k++) {
			assert_int_equal(hwsi_enc_set_effort(e, k ? HWSI_ENC_FAST :
							       HWSI_ENC_FULL), 0);
			assert_int_equal(hwsi_enc_chunk(e, in[i], len, n, false,
						       &o, &lens[k], &enc), 0);
			assert_int_equal(enc, HWS_ENC_COLUMNS2);
		}
		/* the generator's counters fit a line: FAST costs more */
		assert_true(lens[1] != lens[0]);
		/* the chunk header's content length (FORMAT.md 5, offset 72) */
		assert_int_equal(pread(fd, ch, sizeof(ch), (off_t)ci.file_offset),
				 sizeof(ch));
		assert_int_equal(hwsi_get64(ch + 8 + 72),
				 lens[level[i] < 0]);
	}
	assert_int_equal(i, 4);
	hws_reader_close(rd);
	close(fd);
	hwsi_enc_free(e);
}

static void put_rec(uint8_t *p, uint16_t type, uint16_t len, uint32_t src,
		    uint64_t ts)
{
	memset(p, 0, len);
	hwsi_put16(p, type);
	hwsi_put16(p + 2, len);
	hwsi_put32(p + 4, src);
	hwsi_put64(p + 8, ts);
}

static void test_stream_check_finds_malformed_records(void **state)
{
	uint8_t buf[256];
	size_t bad = 99;

	(void)state;
	put_rec(buf, 2, 40, 1, 5);
	put_rec(buf + 40, 0, 16, 0, 0);
	assert_int_equal(hws_stream_check(buf, 56, NULL), 56);
	/* a partial record at the end is not an error */
	assert_int_equal(hws_stream_check(buf, 50, NULL), 40);
	assert_int_equal(hws_stream_check(buf, 10, NULL), 0);
	assert_int_equal(hws_stream_check(buf, 0, NULL), 0);
	/* too short, not a multiple of 8 */
	hwsi_put16(buf + 42, 8);
	assert_int_equal(hws_stream_check(buf, 56, &bad), -EBADMSG);
	assert_int_equal(bad, 40);
	hwsi_put16(buf + 42, 20);
	assert_int_equal(hws_stream_check(buf, 56, &bad), -EBADMSG);
	hwsi_put16(buf + 42, 0);
	assert_int_equal(hws_stream_check(buf, 56, &bad), -EBADMSG);
	assert_int_equal(bad, 40);
}

/*
 * Encode and decode one chunk through the private codec interface, in
 * either column encoding.
 */
static void codec_roundtrip_as(const uint8_t *rec, size_t len,
			       bool expect_cols, uint16_t cols)
{
	struct hws_enc *e = hwsi_enc_new();
	struct hws_dec *d = hwsi_dec_new();
	uint8_t *out = malloc(len + 1);
	const void *content;
	size_t clen, off = 0;
	uint32_t n = 0;
	uint16_t enc;

	assert_non_null(e);
	assert_non_null(d);
	assert_int_equal(hwsi_enc_set_encoding(e, cols), 0);
	while (off < len) {
		off += hwsi_get16(rec + off + 2);
		n++;
	}
	assert_int_equal(hwsi_enc_chunk(e, rec, len, n, false, &content, &clen,
				       &enc), 0);
	if (expect_cols)
		assert_int_equal(enc, cols);
	assert_int_equal(hwsi_dec_chunk(d, enc, content, clen, out, len, n), 0);
	assert_memory_equal(out, rec, len);
	/* a wrong size or count is refused, not trusted */
	if (enc != HWS_ENC_RAW) {
		assert_int_equal(hwsi_dec_chunk(d, enc, content, clen, out,
					       len - 8, n), -EBADMSG);
		assert_int_equal(hwsi_dec_chunk(d, enc, content, clen, out, len,
					       n + 1), -EBADMSG);
	}
	assert_int_equal(hwsi_dec_chunk(d, 77, content, clen, out, len, n),
			 -EPROTONOSUPPORT);
	free(out);
	hwsi_enc_free(e);
	hwsi_dec_free(d);
}

static void codec_roundtrip(const uint8_t *rec, size_t len, bool expect_cols)
{
	codec_roundtrip_as(rec, len, expect_cols, HWS_ENC_COLUMNS);
	codec_roundtrip_as(rec, len, expect_cols, HWS_ENC_COLUMNS2);
}

static void test_codec_roundtrip_generated_streams(void **state)
{
	static const struct hws_gen_opts cfg[] = {
		{ .seed = 1 },
		{ .seed = 2, .nr_sources = 4, .min_counters = 32 },
		{ .seed = 3, .nr_sources = 1, .min_counters = 4,
		  .max_counters = 4 },
		{ .seed = 4, .loss_every = 2, .subbuf_size = 4096,
		  .extra_types = 3 },
		{ .seed = 5, .jitter_ns = ~0ULL },
		{ .seed = 6, .first_seq = 123456789012ULL },
	};
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);

	(void)state;
	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		struct hws_gen *g = hws_gen_new(&cfg[i]);

		for (int k = 0; k < 3; k++) {
			size_t n = hws_gen_fill(g, buf, cap >> (2 * k));

			codec_roundtrip(buf, n, true);
		}
		hws_gen_free(g);
	}
	free(buf);
}

static void test_codec_roundtrip_unusual_records(void **state)
{
	size_t cap = 4 << 20, len = 0;
	uint8_t *buf = malloc(cap);
	uint64_t s = 99;

	(void)state;
	/* samples of every shape, values wrapping, ts going back */
	for (int i = 0; i < 3000; i++) {
		uint32_t count = (uint32_t)(lcg(&s) % 20);
		uint32_t first = (uint32_t)(lcg(&s) % 3 ? 0 : lcg(&s) % 50);
		uint16_t rl = (uint16_t)(32 + 8 * count);
		uint8_t *r = buf + len;

		put_rec(r, HWSTATS_REC_SAMPLE, rl, (uint32_t)(lcg(&s) % 7),
			1000000 + (uint64_t)i * 1000 - lcg(&s) % 5000);
		hwsi_put64(r + 16, (uint64_t)i / 7 + (lcg(&s) % 9 == 0));
		hwsi_put32(r + 24, first);
		for (uint32_t k = 0; k < count; k++)
			hwsi_put64(r + 32 + 8 * k, lcg(&s) % 4 ? lcg(&s) :
				  ~0ULL - (uint64_t)i);
		len += rl;
		if (i % 97 == 0) {	/* reserved field set: kept raw */
			put_rec(buf + len, HWSTATS_REC_SAMPLE, 40, 3, 5);
			hwsi_put32(buf + len + 28, 1);
			len += 40;
		}
		if (i % 101 == 0) {	/* first + count beyond the limit */
			put_rec(buf + len, HWSTATS_REC_SAMPLE, 40, 3, 5);
			hwsi_put32(buf + len + 24, 0xfffffff0U);
			len += 40;
		}
		if (i % 50 == 0) {	/* padding and unknown types */
			put_rec(buf + len, HWSTATS_REC_PAD, 24, 0, 0);
			len += 24;
			put_rec(buf + len, 4242, 16, 9, ~0ULL);
			len += 16;
			put_rec(buf + len, HWSTATS_REC_SAMPLE, 24, 9, 1);
			len += 24;	/* too short to be a sample */
		}
	}
	codec_roundtrip(buf, len, true);

	/* more sources than a chunk tracks: the rest stay raw */
	len = 0;
	for (uint32_t i = 0; i < 3000; i++) {
		put_rec(buf + len, HWSTATS_REC_SAMPLE, 48, i * 2654435761U, i);
		hwsi_put64(buf + len + 32, i);
		hwsi_put64(buf + len + 40, 7);
		len += 48;
	}
	codec_roundtrip(buf, len, true);

	/* counter indices that would need too many streams */
	len = 0;
	for (uint32_t i = 0; i < 64; i++) {
		put_rec(buf + len, HWSTATS_REC_SAMPLE, 40, i, i);
		hwsi_put32(buf + len + 24, 65000);
		len += 40;
	}
	codec_roundtrip(buf, len, false);

	/* the largest sample there is */
	len = 0;
	for (int i = 0; i < 4; i++) {
		put_rec(buf + len, HWSTATS_REC_SAMPLE, HWSTATS_REC_MAX_LEN, 1,
			(uint64_t)i);
		for (size_t k = 32; k < HWSTATS_REC_MAX_LEN; k += 8)
			hwsi_put64(buf + len + k, lcg(&s) << (i * 8));
		len += HWSTATS_REC_MAX_LEN;
	}
	codec_roundtrip(buf, len, false);

	/* only non-samples: stored raw */
	len = 0;
	for (int i = 0; i < 100; i++) {
		put_rec(buf + len, HWSTATS_REC_SUBBUF, 48, 0, (uint64_t)i);
		len += 48;
	}
	codec_roundtrip(buf, len, false);
	free(buf);
}

static void test_codec_decoder_refuses_garbage(void **state)
{
	struct hws_gen_opts go = { .seed = 7, .nr_sources = 2 };
	struct hws_gen *g = hws_gen_new(&go);
	struct hws_enc *e = hwsi_enc_new();
	struct hws_dec *d = hwsi_dec_new();
	size_t len, clen, off = 0;
	uint8_t *buf = malloc(65536), *mut, *out = malloc(65536);
	const void *content;
	uint32_t n = 0;
	uint16_t enc;
	uint64_t s = 5;
	int bad = 0;

	(void)state;
	len = hws_gen_fill(g, buf, 65536);
	while (off < len) {
		off += hwsi_get16(buf + off + 2);
		n++;
	}
	assert_int_equal(hwsi_enc_chunk(e, buf, len, n, false, &content, &clen,
				       &enc), 0);
	mut = malloc(clen);
	/* Every single-byte change either still decodes (to the same
	 * size) or is refused; none may crash (ASan watches). */
	for (size_t i = 0; i < clen; i++) {
		memcpy(mut, content, clen);
		mut[i] ^= (uint8_t)(1 + lcg(&s) % 255);
		if (hwsi_dec_chunk(d, enc, mut, clen, out, len, n))
			bad++;
	}
	assert_true(bad > 0);
	/* every truncation is refused */
	for (size_t i = 0; i < clen; i++)
		assert_int_equal(hwsi_dec_chunk(d, enc, content, i, out, len, n),
				 -EBADMSG);
	free(mut);
	free(buf);
	free(out);
	hwsi_enc_free(e);
	hwsi_dec_free(d);
	hws_gen_free(g);
}

static void check_header_equal(const struct hws_header *a,
			       const struct hws_header *b)
{
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->kernel, b->kernel);
	assert_string_equal(a->module_version, b->module_version);
	assert_int_equal(a->clock, b->clock);
	assert_int_equal(a->nr_cpus, b->nr_cpus);
	assert_int_equal(a->subbuf_size, b->subbuf_size);
	assert_int_equal(a->n_subbufs, b->n_subbufs);
	assert_int_equal(a->session_flags, b->session_flags);
	assert_int_equal(a->session_id, b->session_id);
	assert_int_equal(a->period_ns, b->period_ns);
	assert_int_equal(a->start_boot_ns, b->start_boot_ns);
	assert_int_equal(a->start_real_ns, b->start_real_ns);
	assert_int_equal(a->nr_sources, b->nr_sources);
	for (uint32_t i = 0; i < a->nr_sources; i++) {
		const struct hws_source *x = &a->sources[i];
		const struct hws_source *y = hws_header_source(b, x->id);

		assert_non_null(y);
		assert_string_equal(x->name, y->name);
		assert_int_equal(x->nr_counters, y->nr_counters);
		for (uint32_t c = 0; c < x->nr_counters; c++) {
			assert_string_equal(x->counters[c].name,
					    y->counters[c].name);
			assert_string_equal(x->counters[c].unit,
					    y->counters[c].unit);
			assert_int_equal(x->counters[c].kind,
					 y->counters[c].kind);
		}
	}
}

static void test_roundtrip_is_byte_exact(void **state)
{
	struct hws_gen_opts go = { .seed = 11, .loss_every = 3,
				   .subbuf_size = 16384, .extra_types = 50 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 50000,
				      .index_every = 4 };
	struct hws_cpu_totals tot[4] = {
		{ .cpu = 0, .records = 10, .bytes = 20, .lost = 3, .subbufs = 4 },
		{ .cpu = 3, .flags = 1, .records = ~0ULL, .lost = 1 },
	};
	const struct hws_cpu_totals *rt;
	struct bytes exp[4] = { 0 }, got[4] = { 0 };
	struct hws_reader_stats st;
	struct hws_gen *g = hws_gen_new(&go);
	struct hws_reader *r;
	struct hws_header h;
	const char *path = tpath("roundtrip.hws");
	size_t n;

	(void)state;
	write_gen_file(path, 4, 300000, &go, &wo, tot, 2, exp);
	r = hws_reader_open(path);
	assert_non_null(r);
	assert_int_equal(hws_gen_header(g, 4, &h), 0);
	check_header_equal(&h, hws_reader_header(r));
	assert_int_equal(hws_reader_header(r)->format_major, HWS_FORMAT_MAJOR);
	assert_int_equal(hws_reader_header(r)->format_minor, HWS_FORMAT_MINOR);
	assert_null(hws_header_source(hws_reader_header(r), 999));
	n = read_all(r, got, 4);
	assert_true(n >= 4 * 6);
	for (int c = 0; c < 4; c++) {
		assert_int_equal(got[c].len, exp[c].len);
		assert_memory_equal(got[c].p, exp[c].p, exp[c].len);
	}
	assert_int_equal(hws_reader_totals(r, &rt), 2);
	assert_memory_equal(&rt[0], &tot[0], sizeof(tot[0]));
	assert_memory_equal(&rt[1], &tot[1], sizeof(tot[1]));
	assert_int_equal(hws_reader_damage(r, NULL), 0);
	assert_int_equal(hws_reader_stats(r, &st), 0);
	assert_int_equal(st.chunks, n);
	assert_true(st.has_footer);
	assert_int_equal(st.damaged_chunks, 0);
	{
		struct stat sb;

		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(st.end_offset, (uint64_t)sb.st_size);
	}
	hws_reader_close(r);
	hws_gen_header_free(&h);
	hws_gen_free(g);
	bytes_free(exp, 4);
	bytes_free(got, 4);
}

/* zstd itself decodes a whole file: skippable frames are skipped. */
static struct bytes zstd_decompress_file(const char *path)
{
	struct bytes out = { 0 }, in = { 0 };
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib;
	uint8_t tmp[65536];
	size_t ret = 0;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	while ((ret = fread(tmp, 1, sizeof(tmp), f)) > 0)
		bytes_add(&in, tmp, ret);
	fclose(f);
	ib = (ZSTD_inBuffer){ in.p, in.len, 0 };
	while (ib.pos < ib.size) {
		ZSTD_outBuffer ob = { tmp, sizeof(tmp), 0 };

		ret = ZSTD_decompressStream(d, &ob, &ib);
		assert_false(ZSTD_isError(ret));
		bytes_add(&out, tmp, ob.pos);
	}
	assert_int_equal(ret, 0);	/* ended on a frame boundary */
	ZSTD_freeDCtx(d);
	free(in.p);
	return out;
}

static void test_zstd_decodes_every_complete_file(void **state)
{
	struct hws_gen_opts go = { .seed = 12 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 70000,
				      .raw_chunks = true };
	struct bytes exp[2] = { 0 }, got[2] = { 0 }, z, all = { 0 };
	struct hws_chunk_info ci;
	struct hws_reader *r;
	const void *rec;
	size_t len;

	(void)state;
	/* raw chunks: zstd -dc gives the records, in file order */
	write_gen_file(tpath("raw.hws"), 2, 200000, &go, &wo, NULL, 0, exp);
	z = zstd_decompress_file(tpath("raw.hws"));
	r = hws_reader_open(tpath("raw.hws"));
	assert_non_null(r);
	while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1)
		bytes_add(&all, rec, len);
	hws_reader_close(r);
	assert_int_equal(z.len, all.len);
	assert_memory_equal(z.p, all.p, all.len);
	free(z.p);
	free(all.p);
	bytes_free(exp, 2);

	/* columns: zstd decodes it all without an error */
	wo.raw_chunks = false;
	write_gen_file(tpath("cols.hws"), 2, 200000, &go, &wo, NULL, 0, exp);
	z = zstd_decompress_file(tpath("cols.hws"));
	assert_true(z.len > 0);
	free(z.p);
	r = hws_reader_open(tpath("cols.hws"));
	read_all(r, got, 2);
	assert_memory_equal(got[0].p, exp[0].p, exp[0].len);
	assert_memory_equal(got[1].p, exp[1].p, exp[1].len);
	hws_reader_close(r);
	bytes_free(exp, 2);
	bytes_free(got, 2);
}

static void test_many_cpus_and_sources(void **state)
{
	struct hws_header h = { .nr_cpus = 64, .host = "big" };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 8192 };
	struct bytes exp[64] = { 0 }, got[64] = { 0 };
	struct hws_reader *r;
	struct hws_writer *w;
	uint8_t rec[HWSTATS_REC_MAX_LEN];
	uint64_t s = 3;

	(void)state;
	h.nr_sources = 300;
	h.sources = calloc(h.nr_sources, sizeof(*h.sources));
	for (uint32_t i = 0; i < h.nr_sources; i++) {
		h.sources[i].id = 1000 + i * 7;
		h.sources[i].nr_counters = 1 + i % 40;
		snprintf(h.sources[i].name, sizeof(h.sources[i].name),
			 "source-%u", i);
		h.sources[i].counters = calloc(h.sources[i].nr_counters,
					       sizeof(struct hws_counter));
		for (uint32_t c = 0; c < h.sources[i].nr_counters; c++) {
			snprintf(h.sources[i].counters[c].name,
				 HWSTATS_NAME_LEN, "c%u.%u", i, c);
			strcpy(h.sources[i].counters[c].unit, "u");
			h.sources[i].counters[c].kind = c & 1;
		}
	}
	w = hws_writer_open(tpath("many.hws"), &h, &wo);
	assert_non_null(w);
	for (int i = 0; i < 40000; i++) {
		uint32_t cpu = (uint32_t)(lcg(&s) % 64);
		uint32_t si = (uint32_t)(lcg(&s) % h.nr_sources);
		uint32_t nc = h.sources[si].nr_counters;
		uint16_t rl = (uint16_t)(32 + 8 * nc);

		put_rec(rec, HWSTATS_REC_SAMPLE, rl, h.sources[si].id,
			(uint64_t)i * 1000);
		hwsi_put64(rec + 16, (uint64_t)i);
		for (uint32_t c = 0; c < nc; c++)
			hwsi_put64(rec + 32 + 8 * c, (uint64_t)i * c + c);
		assert_int_equal(hws_writer_append(w, cpu, rec, rl), 0);
		bytes_add(&exp[cpu], rec, rl);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	r = hws_reader_open(tpath("many.hws"));
	assert_non_null(r);
	check_header_equal(&h, hws_reader_header(r));
	read_all(r, got, 64);
	for (int c = 0; c < 64; c++) {
		assert_int_equal(got[c].len, exp[c].len);
		assert_memory_equal(got[c].p, exp[c].p, exp[c].len);
	}
	assert_int_equal(hws_reader_totals(r, NULL), 0);
	hws_reader_close(r);
	hwsi_header_release(&h);
	bytes_free(exp, 64);
	bytes_free(got, 64);
}

/* Records with chosen timestamps, one chunk per @per records. */
static void write_ts_file(const char *path, uint32_t nr_cpus,
			  const uint64_t *ts, const uint32_t *cpu, size_t n,
			  uint64_t chunk_bytes)
{
	struct hws_header h = { .nr_cpus = nr_cpus };
	struct hws_writer_opts wo = { .sz = sizeof(wo),
				      .chunk_bytes = chunk_bytes,
				      .index_every = 2 };
	struct hws_writer *w = hws_writer_open(path, &h, &wo);
	uint8_t rec[40];

	assert_non_null(w);
	for (size_t i = 0; i < n; i++) {
		put_rec(rec, HWSTATS_REC_SAMPLE, 40, 1, ts[i]);
		hwsi_put64(rec + 16, i);		/* tells records apart */
		hwsi_put64(rec + 32, cpu[i]);
		assert_int_equal(hws_writer_append(w, cpu[i], rec, 40), 0);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
}

/* Reader options: max_damage bounds the list, the rest are counted. */
static void test_reader_opts_bound_the_damage_list(void **state)
{
	struct hws_reader_opts two = { .sz = sizeof(two), .max_damage = 2 };
	struct hws_reader_opts big = { .sz = sizeof(big), .max_damage = 4097 };
	struct hws_reader_opts small = { .sz = 3 };
	struct {
		struct hws_reader_opts o;
		uint64_t later;
	} newer = { .o = { .sz = sizeof(newer) }, .later = 1 };
	struct hws_gen_opts go = { .seed = 21 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 2048 };
	struct bytes exp[3] = { 0 }, got[3] = { 0 };
	const struct hws_damage *d, *d2;
	struct hws_reader_stats st;
	struct hws_reader *r, *all;
	uint32_t n, n2;
	struct stat sb;
	int fd;

	(void)state;
	write_gen_file(tpath("dmg.hws"), 3, 40000, &go, &wo, NULL, 0, exp);
	bytes_free(exp, 3);
	assert_int_equal(stat(tpath("dmg.hws"), &sb), 0);
	fd = open(tpath("dmg.hws"), O_WRONLY);
	assert_true(fd >= 0);
	for (int k = 1; k <= 5; k++)
		assert_int_equal(pwrite(fd, "\xff\xff\xff\xff", 4,
					sb.st_size * k / 7), 4);
	close(fd);

	all = hws_reader_open_opts(tpath("dmg.hws"), NULL);
	r = hws_reader_open_opts(tpath("dmg.hws"), &two);
	assert_non_null(all);
	assert_non_null(r);
	read_all(all, got, 3);
	bytes_free(got, 3);
	read_all(r, got, 3);
	bytes_free(got, 3);
	n = hws_reader_damage(all, &d);
	n2 = hws_reader_damage(r, &d2);
	assert_true(n >= 4);
	assert_int_equal(n2, 2);
	assert_memory_equal(d, d2, 2 * sizeof(*d));
	assert_int_equal(hws_reader_stats(r, &st), 0);
	assert_int_equal(st.damage_dropped, n - 2);
	hws_reader_close(r);
	hws_reader_close(all);

	errno = 0;
	assert_null(hws_reader_open_opts(tpath("dmg.hws"), &big));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(hws_reader_open_opts(tpath("dmg.hws"), &small));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(hws_reader_open_opts(tpath("dmg.hws"), &newer.o));
	assert_int_equal(errno, EINVAL);
	newer.later = 0;
	r = hws_reader_open_opts(tpath("dmg.hws"), &newer.o);
	assert_non_null(r);
	hws_reader_close(r);
}

/* Everything a merge over @path shows, into a memory stream. */
static char *merge_trace(const char *const *paths, size_t n,
			 const struct hws_merge_opts *opts, size_t *len)
{
	struct hws_reader *r[4];
	const struct hwstats_rec *rec;
	struct hws_merge *m;
	char *text = NULL;
	uint32_t cpu;
	size_t ri;
	FILE *f = open_memstream(&text, len);
	int ret;

	assert_non_null(f);
	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++) {
		r[i] = hws_reader_open(paths[i]);
		assert_non_null(r[i]);
	}
	m = hws_merge_new_opts(r, n, opts);
	assert_non_null(m);
	while ((ret = hws_merge_next(m, &rec, &cpu, &ri)) == 1) {
		fprintf(f, "%u %zu ", cpu, ri);
		fwrite(rec, 1, rec->len, f);
		fputc('\n', f);
	}
	assert_int_equal(ret, 0);
	hws_merge_free(m);
	for (size_t i = 0; i < n; i++) {
		const struct hws_damage *d;
		struct hws_reader_stats st;
		uint32_t nd = hws_reader_damage(r[i], &d);

		for (uint32_t k = 0; k < nd; k++)
			fprintf(f, "damage %u %llu %llu %s\n", d[k].kind,
				(unsigned long long)d[k].offset,
				(unsigned long long)d[k].length, d[k].what);
		assert_int_equal(hws_reader_stats(r[i], &st), 0);
		fprintf(f, "stats %llu %llu %llu %llu %llu %llu %u\n",
			(unsigned long long)st.chunks,
			(unsigned long long)st.records,
			(unsigned long long)st.raw_bytes,
			(unsigned long long)st.damaged_chunks,
			(unsigned long long)st.bytes_skipped,
			(unsigned long long)st.end_offset, st.damage_dropped);
		hws_reader_close(r[i]);
	}
	fclose(f);
	return text;
}

/*
 * mt1.hws: 6 CPUs of small chunks with damage in four places, chunks and
 * what lies between them; mt2.hws: the same CPUs, intact.
 */
static void write_mt_files(void)
{
	struct hws_gen_opts go = { .seed = 11 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 2048,
				      .index_every = 4 };
	struct bytes exp[6] = { 0 };
	struct stat st;
	int fd;

	write_gen_file(tpath("mt1.hws"), 6, 60000, &go, &wo, NULL, 0, exp);
	bytes_free(exp, 6);
	go.seed = 12;
	write_gen_file(tpath("mt2.hws"), 6, 30000, &go, &wo, NULL, 0, exp);
	bytes_free(exp, 6);
	assert_int_equal(stat(tpath("mt1.hws"), &st), 0);
	fd = open(tpath("mt1.hws"), O_WRONLY);
	assert_true(fd >= 0);
	for (int k = 1; k <= 4; k++) {
		char junk[40];

		memset(junk, 0x40 + k, sizeof(junk));
		assert_int_equal(pwrite(fd, junk, 10 * k,
					st.st_size * k / 5),
				 10 * k);
	}
	close(fd);
}

/*
 * A merge decoding on several threads returns the same records, in the same
 * order, and leaves the same damage list and stats as one decoding in the
 * calling thread: on 6 CPUs of many small chunks, intact and damaged, and
 * across two files.
 */
static void test_merge_threads_change_nothing(void **state)
{
	const char *one[1], *two[2];
	struct hws_merge_opts o1 = { .sz = sizeof(o1), .threads = 1 };
	char *want, *got;
	size_t wlen, glen;

	(void)state;
	write_mt_files();
	one[0] = tpath("mt1.hws");
	two[0] = tpath("mt1.hws");
	two[1] = tpath("mt2.hws");
	for (int set = 0; set < 2; set++) {
		const char *const *p = set ? two : one;
		size_t n = set ? 2 : 1;

		want = merge_trace(p, n, &o1, &wlen);
		assert_non_null(memmem(want, wlen, "\ndamage ", 8));
		for (uint32_t t = 0; t <= 5; t++) {
			struct hws_merge_opts o = { .sz = sizeof(o),
						    .threads = t };

			got = merge_trace(p, n, t == 5 ? NULL : &o, &glen);
			assert_int_equal(glen, wlen);
			assert_memory_equal(got, want, wlen);
			free(got);
		}
		free(want);
	}
}

/*
 * Past its bound on queued chunk offsets the merge falls back to a walk per
 * CPU: the same records in the same order, the same damage regions, on
 * one thread and on several.
 */
static void test_merge_full_queues_fall_back_to_own_walks(void **state)
{
	struct hws_merge_opts o1 = { .sz = sizeof(o1), .threads = 1 };
	struct hws_merge_opts o3 = { .sz = sizeof(o3), .threads = 3 };
	const char *two[2] = { tpath("mt1.hws"), tpath("mt2.hws") };
	char *want, *got, *w_dmg, *g_dmg;
	size_t wlen, glen;

	(void)state;
	write_mt_files();
	want = merge_trace(two, 2, &o1, &wlen);
	w_dmg = memmem(want, wlen, "\ndamage ", 8);
	assert_non_null(w_dmg);
	for (uint32_t q = 1; q <= 9; q += 4) {
		for (int t = 0; t < 2; t++) {
			hwsi_merge_set_queue_max(q);
			got = merge_trace(two, 2, t ? &o3 : &o1, &glen);
			hwsi_merge_set_queue_max(0);
			g_dmg = memmem(got, glen, "\ndamage ", 8);
			assert_non_null(g_dmg);
			/* records: identical */
			assert_int_equal(g_dmg - got, w_dmg - want);
			assert_memory_equal(got, want, (size_t)(w_dmg - want));
			/* damage and stats: the same lines (walks alone may
			 * meet the damage in another order) */
			assert_int_equal(glen, wlen);
			for (char *l = w_dmg + 1; l < want + wlen;) {
				char *e = memchr(l, '\n',
						 (size_t)(want + wlen - l));
				char line[300];

				assert_non_null(e);
				*e = 0;
				snprintf(line, sizeof(line), "\n%s\n", l);
				*e = '\n';
				assert_non_null(memmem(g_dmg, glen -
						       (size_t)(g_dmg - got),
						       line, strlen(line)));
				l = e + 1;
			}
			free(got);
		}
	}
	free(want);
}

/* Merge options in libbpf's manner: sz checked, unknown tail zero. */
static void test_merge_opts_are_checked(void **state)
{
	struct hws_gen_opts go = { .seed = 3 };
	struct bytes exp[2] = { 0 };
	struct {
		struct hws_merge_opts o;
		uint64_t later;
	} big = { .o = { .sz = sizeof(big) } };
	struct hws_merge_opts small = { .sz = 2 };
	struct hws_reader *r;
	struct hws_merge *m;

	(void)state;
	write_gen_file(tpath("opts.hws"), 2, 1000, &go, NULL, NULL, 0, exp);
	bytes_free(exp, 2);
	r = hws_reader_open(tpath("opts.hws"));
	assert_non_null(r);
	errno = 0;
	assert_null(hws_merge_new_opts(&r, 1, &small));
	assert_int_equal(errno, EINVAL);
	big.later = 1;
	errno = 0;
	assert_null(hws_merge_new_opts(&r, 1, &big.o));
	assert_int_equal(errno, EINVAL);
	big.later = 0;
	big.o.cpu_parts = 2;
	big.o.cpu_part = 2;	/* no such part */
	errno = 0;
	assert_null(hws_merge_new_opts(&r, 1, &big.o));
	assert_int_equal(errno, EINVAL);
	big.o.cpu_part = 1;
	big.o.threads = 2;
	m = hws_merge_new_opts(&r, 1, &big.o);
	assert_non_null(m);
	hws_merge_free(m);
	hws_reader_close(r);
}

/*
 * The records of the CPUs of one part (cpu % parts == part), in order:
 * from a merge over that part only (@opts' cpu_parts), or, without @opts,
 * picked out of the merge of every CPU.
 */
static char *merge_part(const char *const *paths, size_t n, uint32_t parts,
			uint32_t part, const struct hws_merge_opts *opts,
			size_t *len)
{
	struct hws_reader *r[4];
	const struct hwstats_rec *rec;
	struct hws_merge *m;
	char *text = NULL;
	uint32_t cpu;
	size_t ri;
	FILE *f = open_memstream(&text, len);
	int ret;

	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		r[i] = hws_reader_open(paths[i]);
		assert_non_null(r[i]);
	}
	m = hws_merge_new_opts(r, n, opts);
	assert_non_null(m);
	while ((ret = hws_merge_next(m, &rec, &cpu, &ri)) == 1) {
		if (opts)
			assert_int_equal(cpu % parts, part);
		else if (cpu % parts != part)
			continue;
		fprintf(f, "%u %zu ", cpu, ri);
		fwrite(rec, 1, rec->len, f);
		fputc('\n', f);
	}
	assert_int_equal(ret, 0);
	hws_merge_free(m);
	for (size_t i = 0; i < n; i++)
		hws_reader_close(r[i]);
	fclose(f);
	return text;
}

/*
 * A merge over a part of the CPUs gives that part's records in the order
 * the merge of every CPU gives them, on one thread and on several, intact
 * and damaged, one file and two: what a report split by CPU relies on.
 */
static void test_merge_cpu_parts_are_the_merge_filtered(void **state)
{
	const char *two[2] = { tpath("mt1.hws"), tpath("mt2.hws") };
	char *want, *got;
	size_t wlen, glen;

	(void)state;
	write_mt_files();
	for (size_t n = 1; n <= 2; n++) {
		for (uint32_t parts = 2; parts <= 4; parts++) {
			for (uint32_t part = 0; part < parts; part++) {
				struct hws_merge_opts o = {
					.sz = sizeof(o), .threads = 1,
					.cpu_parts = parts, .cpu_part = part,
				};

				want = merge_part(two, n, parts, part, NULL,
						  &wlen);
				assert_true(wlen > 0);
				for (o.threads = 1; o.threads <= 3;
				     o.threads += 2) {
					got = merge_part(two, n, parts, part,
							 &o, &glen);
					assert_int_equal(glen, wlen);
					assert_memory_equal(got, want, wlen);
					free(got);
				}
				free(want);
			}
		}
	}
}

static void test_merge_orders_by_time_then_cpu(void **state)
{
	enum { N = 3000 };
	uint64_t *ts = malloc(N * sizeof(*ts)), s = 17, prev_ts = 0;
	uint32_t *cpu = malloc(N * sizeof(*cpu)), prev_cpu = 0;
	uint64_t next_ts[3] = { 0 }, seen = 0, last_seq[3];
	const struct hwstats_rec *rec;
	struct hws_reader *r;
	struct hws_merge *m;
	uint32_t c;
	size_t ri;
	int ret;

	(void)state;
	/* CPU 2 is slow: one record per 10 of the others, so its chunks
	 * come late in the file and span long times. Ties are frequent. */
	for (size_t i = 0; i < N; i++) {
		cpu[i] = lcg(&s) % 21 == 0 ? 2 : (uint32_t)(lcg(&s) % 2);
		next_ts[cpu[i]] += lcg(&s) % 3;
		ts[i] = next_ts[cpu[i]];
	}
	write_ts_file(tpath("merge.hws"), 3, ts, cpu, N, 640);
	r = hws_reader_open(tpath("merge.hws"));
	m = hws_merge_new(&r, 1);
	assert_non_null(m);
	memset(last_seq, 0xff, sizeof(last_seq));
	while ((ret = hws_merge_next(m, &rec, &c, &ri)) == 1) {
		uint64_t seq = hwsi_get64((const uint8_t *)rec + 16);

		assert_int_equal(ri, 0);
		assert_int_equal(hwsi_get64((const uint8_t *)rec + 32), c);
		assert_true(rec->ts >= prev_ts);
		if (rec->ts == prev_ts && seen)
			assert_true(c >= prev_cpu);
		/* a CPU's records keep their order */
		assert_true(last_seq[c] == ~0ULL || seq > last_seq[c]);
		last_seq[c] = seq;
		prev_ts = rec->ts;
		prev_cpu = c;
		seen++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(seen, N);
	assert_int_equal(hws_merge_next(m, &rec, &c, &ri), 0);
	hws_merge_free(m);
	hws_reader_close(r);
	free(ts);
	free(cpu);
}

static void test_merge_across_files_keeps_file_order_on_ties(void **state)
{
	/* a rotated pair: the second file starts where the first ends, with
	 * equal timestamps at the seam and CPU 1 only in the second file */
	uint64_t ts_a[] = { 1, 2, 3, 5, 5, 5 };
	uint32_t cpu_a[] = { 0, 0, 0, 0, 2, 0 };
	uint64_t ts_b[] = { 5, 5, 6, 7, 5 };
	uint32_t cpu_b[] = { 0, 1, 0, 0, 2 };
	struct {
		uint64_t ts;
		uint32_t cpu;
		size_t file;
		uint64_t seq;
	} want[] = {
		{ 1, 0, 0, 0 }, { 2, 0, 0, 1 }, { 3, 0, 0, 2 },
		{ 5, 0, 0, 3 }, { 5, 0, 0, 5 }, { 5, 0, 1, 0 },
		{ 5, 1, 1, 1 }, { 5, 2, 0, 4 }, { 5, 2, 1, 4 },
		{ 6, 0, 1, 2 }, { 7, 0, 1, 3 },
	};
	struct hws_reader *r[2];
	const struct hwstats_rec *rec;
	struct hws_merge *m;
	size_t ri, k = 0;
	uint32_t c;

	(void)state;
	write_ts_file(tpath("a.hws"), 3, ts_a, cpu_a, 6, 80);
	write_ts_file(tpath("b.hws"), 3, ts_b, cpu_b, 5, 80);
	r[0] = hws_reader_open(tpath("a.hws"));
	r[1] = hws_reader_open(tpath("b.hws"));
	m = hws_merge_new(r, 2);
	assert_non_null(m);
	while (hws_merge_next(m, &rec, &c, &ri) == 1) {
		assert_true(k < sizeof(want) / sizeof(want[0]));
		assert_int_equal(rec->ts, want[k].ts);
		assert_int_equal(c, want[k].cpu);
		assert_int_equal(ri, want[k].file);
		assert_int_equal(hwsi_get64((const uint8_t *)rec + 16),
				 want[k].seq);
		k++;
	}
	assert_int_equal(k, sizeof(want) / sizeof(want[0]));
	hws_merge_free(m);
	hws_reader_close(r[0]);
	hws_reader_close(r[1]);
	assert_null(hws_merge_new(NULL, 1));
	assert_int_equal(errno, EINVAL);
}

/* Records >= ts in the whole file, by reading every chunk. */
static uint64_t count_from(const char *path, uint64_t ts)
{
	struct hws_reader *r = hws_reader_open(path);
	struct hws_chunk_info ci;
	const void *rec;
	uint64_t n = 0;
	size_t len;

	assert_non_null(r);
	while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1)
		for (size_t o = 0; o < len; o += hwsi_get16((const uint8_t *)rec + o + 2))
			n += hwsi_get64((const uint8_t *)rec + o + 8) >= ts;
	hws_reader_close(r);
	return n;
}

static void check_seek(const char *path, uint64_t ts, bool footer)
{
	struct hws_reader *r = hws_reader_open(path);
	struct hws_reader_stats st;
	struct hws_chunk_info ci, prev = { 0 };
	const void *rec;
	uint64_t n = 0, first_off = 0;
	bool have_prev = false;
	size_t len;

	assert_non_null(r);
	assert_int_equal(hws_reader_stats(r, &st), 0);
	assert_int_equal(st.has_footer, footer);
	/* the chunk just before the seek position ends before ts */
	assert_int_equal(hws_reader_seek_time(r, ts), 0);
	if (hws_reader_next_chunk(r, &ci, &rec, &len) == 1) {
		first_off = ci.file_offset;
		assert_true(ci.last_ts >= ts);
		do {
			for (size_t o = 0; o < len;
			     o += hwsi_get16((const uint8_t *)rec + o + 2))
				n += hwsi_get64((const uint8_t *)rec + o + 8) >= ts;
		} while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1);
	}
	assert_int_equal(n, count_from(path, ts));
	/* and every chunk before it ends before ts */
	assert_int_equal(hws_reader_seek_time(r, 0), 0);
	while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1) {
		if (first_off && ci.file_offset >= first_off)
			break;
		assert_true(ci.last_ts < ts);
		prev = ci;
		have_prev = true;
	}
	(void)prev;
	(void)have_prev;
	hws_reader_close(r);
}

static void test_seek_time_with_and_without_index(void **state)
{
	struct hws_gen_opts go = { .seed = 21, .nr_sources = 2 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 20000,
				      .index_every = 3 };
	struct bytes exp[3] = { 0 };
	const char *path = tpath("seek.hws"), *cut = tpath("seek-cut.hws");
	uint64_t t0 = 1000000000000ULL;
	struct stat sb;
	char cmd[600];

	(void)state;
	write_gen_file(path, 3, 300000, &go, &wo, NULL, 0, exp);
	assert_int_equal(stat(path, &sb), 0);
	/* the same file without its footer: seeking reads chunk headers */
	snprintf(cmd, sizeof(cmd), "head -c %lld '%s' > '%s'",
		 (long long)sb.st_size - 20, path, cut);
	assert_int_equal(system(cmd), 0);
	for (uint64_t ms = 0; ms < 400; ms += 37) {
		check_seek(path, t0 + ms * 1000000, true);
		check_seek(cut, t0 + ms * 1000000, false);
	}
	check_seek(path, ~0ULL, true);
	check_seek(cut, ~0ULL, false);
	bytes_free(exp, 3);
}

static void test_seek_then_merge_gives_every_later_record(void **state)
{
	struct hws_gen_opts go = { .seed = 22, .nr_sources = 3 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 9000 };
	struct bytes exp[2] = { 0 };
	const char *path = tpath("seekmerge.hws");
	uint64_t t = 1000000000000ULL + 77 * 1000000ULL, n = 0, prev = 0;
	const struct hwstats_rec *rec;
	struct hws_reader *r;
	struct hws_merge *m;

	(void)state;
	write_gen_file(path, 2, 150000, &go, &wo, NULL, 0, exp);
	r = hws_reader_open(path);
	assert_int_equal(hws_reader_seek_time(r, t), 0);
	m = hws_merge_new(&r, 1);
	assert_non_null(m);
	while (hws_merge_next(m, &rec, NULL, NULL) == 1) {
		assert_true(rec->ts >= prev);
		prev = rec->ts;
		n += rec->ts >= t;
	}
	assert_int_equal(n, count_from(path, t));
	hws_merge_free(m);
	hws_reader_close(r);
	bytes_free(exp, 2);
}

/* A frame of a kind this version does not know, as a later minor adds. */
static size_t unknown_frame(uint8_t *buf, uint32_t magic, char kind,
			    size_t body)
{
	uint32_t plen = (uint32_t)(HWS_PROLOGUE_LEN + body + 4);

	hwsi_frame_begin(buf, magic, HWS_SIG(kind), plen);
	for (size_t i = 0; i < body; i++)
		buf[16 + i] = (uint8_t)(i * 7);
	hwsi_frame_seal(buf, plen);
	return HWS_SKIP_HDR + plen;
}

static void test_newer_minor_with_unknown_frames_reads(void **state)
{
	struct hws_gen_opts go = { .seed = 31 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 30000,
				      .index_every = 2 };
	struct bytes exp[2] = { 0 };
	struct hws_gen *g[2];
	struct hws_header h;
	struct hws_writer *w;
	struct hws_reader *r;
	uint8_t *frame, *piece = malloc(40000), zf[256], other[300];
	size_t hlen, xlen, n;
	uint32_t extra_fixed = 24, extra_src = 8, extra_ctr = 16, off;
	int fd;

	(void)state;
	for (int c = 0; c < 2; c++) {
		struct hws_gen_opts o = go;

		o.cpu = (uint32_t)c;
		g[c] = hws_gen_new(&o);
	}
	assert_int_equal(hws_gen_header(g[0], 2, &h), 0);

	/* A header as minor 9 writes it: every part longer. */
	hlen = hwsi_header_frame_len(&h);
	xlen = hlen + extra_fixed + h.nr_sources * extra_src;
	for (uint32_t i = 0; i < h.nr_sources; i++)
		xlen += h.sources[i].nr_counters * extra_ctr;
	frame = calloc(1, xlen);
	{
		uint8_t *old = malloc(hlen), *p = frame + HWS_SKIP_HDR;
		const uint8_t *q = old + HWS_SKIP_HDR + HWS_HEADER_FIXED;

		hwsi_header_encode(old, hlen, &h);
		hwsi_frame_begin(frame, HWS_MAGIC_HEADER, HWS_SIG_HEADER,
				(uint32_t)(xlen - HWS_SKIP_HDR));
		memcpy(p + 8, old + HWS_SKIP_HDR + 8, HWS_HEADER_FIXED - 8);
		hwsi_put16(p + 10, 9);
		hwsi_put32(p + 12, HWS_HEADER_FIXED + extra_fixed);
		hwsi_put32(p + 76, HWS_SOURCE_LEN + extra_src);
		hwsi_put32(p + 80, HWS_COUNTER_LEN + extra_ctr);
		memset(p + HWS_HEADER_FIXED, 0xAB, extra_fixed);
		off = HWS_HEADER_FIXED + extra_fixed;
		for (uint32_t i = 0; i < h.nr_sources; i++) {
			memcpy(p + off, q, HWS_SOURCE_LEN);
			memset(p + off + HWS_SOURCE_LEN, 0xCD, extra_src);
			off += HWS_SOURCE_LEN + extra_src;
			q += HWS_SOURCE_LEN;
			for (uint32_t c = 0; c < h.sources[i].nr_counters; c++) {
				memcpy(p + off, q, HWS_COUNTER_LEN);
				memset(p + off + HWS_COUNTER_LEN, 0xEF,
				       extra_ctr);
				off += HWS_COUNTER_LEN + extra_ctr;
				q += HWS_COUNTER_LEN;
			}
		}
		hwsi_frame_seal(frame, (uint32_t)(xlen - HWS_SKIP_HDR));
		free(old);
	}
	fd = open(tpath("minor9.hws"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	w = hwsi_writer_fdopen_frame(fd, frame, xlen, &h, &wo);
	assert_non_null(w);
	/* chunk headers with 8 more bytes of fields */
	hwsi_writer_set_chunk_hdr_len(w, HWS_CHUNK_LEN + 8);
	/* an unknown kind with a regular zstd frame after it, and another
	 * tool's skippable frame */
	n = ZSTD_compress(zf, sizeof(zf), "later data", 10, 1);
	assert_false(ZSTD_isError(n));
	for (int i = 0; i < 6; i++) {
		for (int c = 0; c < 2; c++) {
			size_t k = hws_gen_fill(g[c], piece, 25000);

			assert_int_equal(hws_writer_append(w, (uint32_t)c,
							   piece, k), 0);
			bytes_add(&exp[c], piece, k);
		}
		assert_int_equal(hws_writer_flush(w), 0);
		assert_int_equal(hwsi_writer_put_frame(w, other,
				 unknown_frame(other, 0x184D2A56, 'X', 100)), 0);
		assert_int_equal(hwsi_writer_put_frame(w, zf, n), 0);
		hwsi_put32(other, 0x184D2A50);	/* pzstd's */
		hwsi_put32(other + 4, 20);
		memset(other + 8, 0x5A, 20);
		assert_int_equal(hwsi_writer_put_frame(w, other, 28), 0);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);

	r = hws_reader_open(tpath("minor9.hws"));
	assert_non_null(r);
	assert_int_equal(hws_reader_header(r)->format_minor, 9);
	check_header_equal(&h, hws_reader_header(r));
	read_all_equal(r, exp, 2);
	assert_int_equal(hws_reader_damage(r, NULL), 0);
	assert_int_equal(hws_reader_seek_time(r, 0), 0);
	hws_reader_close(r);

	free(frame);
	free(piece);
	hws_gen_header_free(&h);
	hws_gen_free(g[0]);
	hws_gen_free(g[1]);
	bytes_free(exp, 2);
}

static void write_bytes(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/*
 * Sources that join after the header (format 1.1): the writer describes
 * each in a source frame, once; a reader knows them all at open, also when
 * the file was cut short; a damaged source frame is reported, not believed.
 */
static void test_late_sources_in_source_frames(void **state)
{
	struct hws_gen_opts go = { .seed = 5, .nr_sources = 4 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 20000 };
	struct bytes exp[2] = { 0 }, got[2] = { 0 };
	struct hws_gen *g[2];
	struct hws_header h, first;
	const struct hws_damage *d;
	struct hws_reader *r;
	struct hws_writer *w;
	uint8_t *piece = malloc(16384), *file;
	const char *path = tpath("late.hws");
	uint64_t src_off[4] = { 0 }, size, before;
	struct hws_source bad = { .id = 0 };
	FILE *f;
	uint32_t i;

	(void)state;
	assert_non_null(piece);
	for (int c = 0; c < 2; c++) {
		struct hws_gen_opts o = go;

		o.cpu = (uint32_t)c;
		g[c] = hws_gen_new(&o);
		assert_non_null(g[c]);
	}
	assert_int_equal(hws_gen_header(g[0], 2, &h), 0);
	assert_int_equal(h.nr_sources, 4);
	/* The file's header knows only the first source. */
	first = h;
	first.nr_sources = 1;
	w = hws_writer_open(path, &first, &wo);
	assert_non_null(w);
	assert_int_equal(hws_writer_add_source(NULL, &h.sources[1]), -EINVAL);
	assert_int_equal(hws_writer_add_source(w, NULL), -EINVAL);
	assert_int_equal(hws_writer_add_source(w, &bad), -EINVAL);
	/* Already in the header: nothing written. */
	before = hws_writer_file_bytes(w);
	assert_int_equal(hws_writer_add_source(w, &h.sources[0]), 0);
	assert_int_equal(hws_writer_file_bytes(w), before);
	for (i = 1; i < 4; i++) {
		src_off[i] = hws_writer_file_bytes(w);
		assert_int_equal(hws_writer_add_source(w, &h.sources[i]), 0);
		assert_true(hws_writer_file_bytes(w) > src_off[i]);
		/* Once only. */
		before = hws_writer_file_bytes(w);
		assert_int_equal(hws_writer_add_source(w, &h.sources[i]), 0);
		assert_int_equal(hws_writer_file_bytes(w), before);
	}
	for (int k = 0; k < 20; k++)
		for (int c = 0; c < 2; c++) {
			size_t n = hws_gen_fill(g[c], piece, 16384);

			assert_int_equal(hws_writer_append(w, (uint32_t)c,
							   piece, n), 0);
			bytes_add(&exp[c], piece, n);
		}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);

	/* Whole file: every source, every record, no damage. */
	r = hws_reader_open(path);
	assert_non_null(r);
	assert_int_equal(hws_reader_header(r)->format_minor, HWS_FORMAT_MINOR);
	check_header_equal(&h, hws_reader_header(r));
	read_all_equal(r, exp, 2);
	assert_int_equal(hws_reader_damage(r, NULL), 0);
	/* Seeking past the source frames forgets none. */
	assert_int_equal(hws_reader_seek_time(r, hws_gen_last_ts(g[0])), 0);
	check_header_equal(&h, hws_reader_header(r));
	hws_reader_close(r);

	/* Cut inside the second chunk: no footer, all sources still known. */
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = (uint64_t)ftell(f);
	rewind(f);
	file = malloc(size);
	assert_non_null(file);
	assert_int_equal(fread(file, 1, size, f), size);
	fclose(f);
	assert_int_equal(truncate(path, (off_t)(src_off[3] + 20000)), 0);
	r = hws_reader_open(path);
	assert_non_null(r);
	check_header_equal(&h, hws_reader_header(r));
	read_all(r, got, 2);
	assert_true(hws_reader_damage(r, &d) >= 1);
	assert_int_equal(d[0].kind, HWS_DAMAGE_NO_FOOTER);
	hws_reader_close(r);
	bytes_free(got, 2);

	/* A bit flipped in source 3's frame: reported, and not believed. */
	file[src_off[2] + 40] ^= 0x10;
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(file, 1, size, f), size);
	fclose(f);
	r = hws_reader_open(path);
	assert_non_null(r);
	assert_int_equal(hws_reader_header(r)->nr_sources, 3);
	assert_null(hws_header_source(hws_reader_header(r), h.sources[2].id));
	assert_int_equal(hws_reader_damage(r, NULL), 0);
	read_all_equal(r, exp, 2);
	assert_int_equal(hws_reader_damage(r, &d), 1);
	assert_int_equal(d[0].kind, HWS_DAMAGE_CHECKSUM);
	assert_int_equal(d[0].offset, src_off[2]);
	assert_non_null(strstr(d[0].what, "source frame"));
	hws_reader_close(r);

	bytes_free(exp, 2);
	free(file);
	free(piece);
	hws_gen_header_free(&h);
	hws_gen_free(g[0]);
	hws_gen_free(g[1]);
}

static void test_newer_major_is_refused(void **state)
{
	struct hws_header h = { .nr_cpus = 1 };
	size_t len = hwsi_header_frame_len(&h);
	uint8_t *f = malloc(len);
	uint32_t maj = 0, min = 0;

	(void)state;
	hwsi_header_encode(f, len, &h);
	hwsi_put16(f + HWS_SKIP_HDR + 8, HWS_FORMAT_MAJOR + 1);
	hwsi_put16(f + HWS_SKIP_HDR + 10, 3);
	hwsi_frame_seal(f, (uint32_t)(len - HWS_SKIP_HDR));
	write_bytes(tpath("major2.hws"), f, len);
	errno = 0;
	assert_null(hws_reader_open(tpath("major2.hws")));
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_int_equal(hws_file_version(tpath("major2.hws"), &maj, &min), 0);
	assert_int_equal(maj, HWS_FORMAT_MAJOR + 1);
	assert_int_equal(min, 3);
	/* a damaged header is not a newer one */
	f[HWS_SKIP_HDR + 30] ^= 1;
	write_bytes(tpath("major2.hws"), f, len);
	errno = 0;
	assert_null(hws_reader_open(tpath("major2.hws")));
	assert_int_equal(errno, EBADMSG);
	free(f);
}

static void test_not_an_hws_file_is_refused(void **state)
{
	uint8_t z[64];
	size_t n = ZSTD_compress(z, sizeof(z), "hello", 5, 3);
	int fd;

	(void)state;
	write_bytes(tpath("empty"), "", 0);
	write_bytes(tpath("text"), "hello, world\n", 13);
	write_bytes(tpath("zstd"), z, n);
	errno = 0;
	assert_null(hws_reader_open(tpath("empty")));
	assert_int_equal(errno, EBADMSG);
	errno = 0;
	assert_null(hws_reader_open(tpath("text")));
	assert_int_equal(errno, EBADMSG);
	errno = 0;
	assert_null(hws_reader_open(tpath("zstd")));
	assert_int_equal(errno, EBADMSG);
	errno = 0;
	assert_null(hws_reader_open(tpath("does-not-exist")));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(hws_file_version(tpath("text"), NULL, NULL), -EBADMSG);
	fd = open(tpath("text"), O_RDONLY);
	errno = 0;
	assert_null(hws_reader_fdopen(fd));
	assert_int_equal(errno, EBADMSG);
	/* the caller still owns the descriptor */
	assert_int_equal(close(fd), 0);
}

static void test_disk_full_leaves_readable_file(void **state)
{
	struct hws_gen_opts go = { .seed = 41 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 16384,
				      .index_every = 3 };
	struct rlimit old, lim;
	struct hws_gen *g = hws_gen_new(&go);
	struct hws_header h;
	struct hws_writer *w;
	struct hws_reader *r;
	struct bytes exp = { 0 }, got = { 0 };
	const struct hws_damage *dmg;
	uint8_t piece[8192];
	uint64_t good_bytes = 0, limit = 50000;
	size_t good_len = 0;
	int err = 0;
	void (*oldsig)(int);

	(void)state;
	/* The file size limit is how an unprivileged test fills a disk:
	 * write() past it fails with EFBIG once SIGXFSZ is ignored. */
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	assert_int_equal(hws_gen_header(g, 1, &h), 0);
	w = hws_writer_open(tpath("full.hws"), &h, &wo);
	assert_non_null(w);
	while (!err) {
		size_t n = hws_gen_fill(g, piece, sizeof(piece));

		bytes_add(&exp, piece, n);
		err = hws_writer_append(w, 0, piece, n);
		if (!err) {
			/* appends succeeded so far: what is in closed
			 * chunks is safe; the rest waits in the buffer */
			good_bytes = hws_writer_file_bytes(w);
		}
	}
	assert_int_equal(err, -EFBIG);
	assert_true(good_bytes > 0 && good_bytes <= limit);
	/* nothing more is written, and close says why */
	assert_int_equal(hws_writer_append(w, 0, piece, 0), -EFBIG);
	assert_int_equal(hws_writer_flush(w), -EFBIG);
	assert_int_equal(hws_writer_close(w, NULL, 0), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);

	r = hws_reader_open(tpath("full.hws"));
	assert_non_null(r);
	read_all(r, &got, 1);
	/* the file was cut back to a frame boundary: only the footer is
	 * missing, and every chunk written is there */
	assert_int_equal(hws_reader_damage(r, &dmg), 1);
	assert_int_equal(dmg[0].kind, HWS_DAMAGE_NO_FOOTER);
	{
		struct stat sb;

		assert_int_equal(stat(tpath("full.hws"), &sb), 0);
		assert_true((uint64_t)sb.st_size <= limit);
		assert_int_equal(dmg[0].offset, (uint64_t)sb.st_size);
		assert_true((uint64_t)sb.st_size >= good_bytes);
	}
	good_len = got.len;
	assert_true(good_len > 0);
	assert_true(good_len <= exp.len);
	assert_memory_equal(got.p, exp.p, good_len);
	hws_reader_close(r);
	hws_gen_header_free(&h);
	hws_gen_free(g);
	free(exp.p);
	free(got.p);
}

struct thread_arg {
	struct hws_writer *w;
	uint32_t cpu;
	struct bytes exp;
};

static void *append_thread(void *p)
{
	struct thread_arg *a = p;
	struct hws_gen_opts go = { .seed = 51, .cpu = a->cpu };
	struct hws_gen *g = hws_gen_new(&go);
	uint8_t piece[5000];
	uint64_t s = a->cpu;

	for (int i = 0; i < 400; i++) {
		size_t n = hws_gen_fill(g, piece, 100 + lcg(&s) % 4900);

		if (hws_writer_append(a->w, a->cpu, piece, n))
			abort();
		bytes_add(&a->exp, piece, n);
		if (i % 50 == 0 && hws_writer_flush(a->w))
			abort();
	}
	hws_gen_free(g);
	return NULL;
}

static void test_concurrent_appends_for_different_cpus(void **state)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 30000,
				      .index_every = 5 };
	struct hws_header h = { .nr_cpus = 4 };
	struct thread_arg a[4] = { 0 };
	struct bytes got[4] = { 0 };
	pthread_t t[4];
	struct hws_writer *w;
	struct hws_reader *r;

	(void)state;
	w = hws_writer_open(tpath("threads.hws"), &h, &wo);
	assert_non_null(w);
	for (int i = 0; i < 4; i++) {
		a[i].w = w;
		a[i].cpu = (uint32_t)i;
		assert_int_equal(pthread_create(&t[i], NULL, append_thread,
						&a[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(hws_writer_raw_bytes(w),
			 a[0].exp.len + a[1].exp.len + a[2].exp.len +
			 a[3].exp.len);
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	r = hws_reader_open(tpath("threads.hws"));
	read_all(r, got, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(got[i].len, a[i].exp.len);
		assert_memory_equal(got[i].p, a[i].exp.p, a[i].exp.len);
		free(a[i].exp.p);
	}
	assert_int_equal(hws_reader_damage(r, NULL), 0);
	hws_reader_close(r);
	bytes_free(got, 4);
}

static void test_writer_refuses_bad_input(void **state)
{
	struct hws_header h = { .nr_cpus = 2 }, bad = { .nr_cpus = 0 };
	struct {
		struct hws_writer_opts o;
		uint64_t future;
	} big = { .o = { .sz = sizeof(big) }, .future = 1 };
	struct hws_writer_opts o = { .sz = sizeof(o) };
	struct hws_writer *w;
	uint8_t rec[64];

	(void)state;
	errno = 0;
	assert_null(hws_writer_open(tpath("bad.hws"), &bad, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(hws_writer_open(tpath("bad.hws"), &h,
				    (struct hws_writer_opts *)&big));
	assert_int_equal(errno, EINVAL);
	big.future = 0;		/* zero in unknown fields is fine */
	w = hws_writer_open(tpath("bad.hws"), &h,
			    (struct hws_writer_opts *)&big);
	assert_non_null(w);
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	o.chunk_bytes = 1ULL << 40;
	errno = 0;
	assert_null(hws_writer_open(tpath("bad.hws"), &h, &o));
	assert_int_equal(errno, EINVAL);

	w = hws_writer_open(tpath("bad.hws"), &h, NULL);
	assert_non_null(w);
	put_rec(rec, HWSTATS_REC_SAMPLE, 40, 1, 1);
	put_rec(rec + 40, HWSTATS_REC_SAMPLE, 24, 1, 2);
	/* a partial record at the end: nothing is appended */
	assert_int_equal(hws_writer_append(w, 0, rec, 60), -EINVAL);
	assert_int_equal(hws_writer_raw_bytes(w), 0);
	hwsi_put16(rec + 2, 12);
	assert_int_equal(hws_writer_append(w, 0, rec, 64), -EINVAL);
	hwsi_put16(rec + 2, 40);
	assert_int_equal(hws_writer_append(w, 2, rec, 40), -EINVAL);
	assert_int_equal(hws_writer_append(w, 1, rec, 64), 0);
	assert_int_equal(hws_writer_raw_bytes(w), 64);
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	assert_int_equal(hws_writer_close(NULL, NULL, 0), 0);
	hws_reader_close(NULL);
	hws_merge_free(NULL);
}

static void test_chunks_close_by_time_and_carry_subbuf_state(void **state)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_ns = 1000 };
	struct hws_header h = { .nr_cpus = 1 };
	struct hws_chunk_info ci;
	struct hws_writer *w;
	struct hws_reader *r;
	uint8_t rec[48];
	const void *p;
	size_t len;
	int k = 0;

	(void)state;
	w = hws_writer_open(tpath("time.hws"), &h, &wo);
	/* a sample before any sub-buffer header: no sequence yet */
	put_rec(rec, HWSTATS_REC_SAMPLE, 32, 1, 0);
	assert_int_equal(hws_writer_append(w, 0, rec, 32), 0);
	for (int i = 0; i < 3; i++) {
		put_rec(rec, HWSTATS_REC_SUBBUF, 48, 0, 1000 + 1000 * (uint64_t)i);
		hwsi_put32(rec + 16, HWSTATS_SUBBUF_MAGIC);
		hwsi_put64(rec + 24, 5 + (uint64_t)i);
		hwsi_put64(rec + 32, 10 * (uint64_t)i);
		assert_int_equal(hws_writer_append(w, 0, rec, 48), 0);
		put_rec(rec, HWSTATS_REC_SAMPLE, 32, 1, 1500 + 1000 * (uint64_t)i);
		assert_int_equal(hws_writer_append(w, 0, rec, 32), 0);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	r = hws_reader_open(tpath("time.hws"));
	while (hws_reader_next_chunk(r, &ci, &p, &len) == 1) {
		assert_true(ci.last_ts - ci.first_ts < 1000);
		if (k == 0) {
			assert_int_equal(ci.flags, 0);
			assert_int_equal(ci.nr_records, 1);
		} else {
			assert_int_equal(ci.flags, HWS_CHUNK_SEQ_VALID);
			assert_int_equal(ci.seq_first, 4 + k);
			assert_int_equal(ci.seq_last, 4 + k);
			assert_int_equal(ci.lost, 10 * (k - 1));
			assert_int_equal(ci.nr_records, 2);
		}
		k++;
	}
	assert_int_equal(k, 4);
	hws_reader_close(r);
}

struct pipe_arg {
	int fd;
	const char *path;
};

static void *drain_pipe(void *p)
{
	struct pipe_arg *a = p;
	FILE *f = fopen(a->path, "wb");
	uint8_t buf[4096];
	ssize_t n;

	while ((n = read(a->fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, f);
	fclose(f);
	return NULL;
}

static void test_writer_on_a_pipe(void **state)
{
	struct hws_gen_opts go = { .seed = 61 };
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 10000 };
	struct pipe_arg a = { .path = tpath("piped.hws") };
	struct hws_gen *g = hws_gen_new(&go);
	struct bytes exp = { 0 }, got = { 0 };
	struct hws_header h;
	struct hws_writer *w;
	struct hws_reader *r;
	uint8_t piece[3000];
	pthread_t t;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	a.fd = fds[0];
	assert_int_equal(pthread_create(&t, NULL, drain_pipe, &a), 0);
	assert_int_equal(hws_gen_header(g, 1, &h), 0);
	w = hws_writer_fdopen(fds[1], &h, &wo);
	assert_non_null(w);
	for (int i = 0; i < 50; i++) {
		size_t n = hws_gen_fill(g, piece, sizeof(piece));

		assert_int_equal(hws_writer_append(w, 0, piece, n), 0);
		bytes_add(&exp, piece, n);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	pthread_join(t, NULL);
	close(fds[0]);
	r = hws_reader_open(a.path);
	assert_non_null(r);
	read_all(r, &got, 1);
	assert_int_equal(got.len, exp.len);
	assert_memory_equal(got.p, exp.p, exp.len);
	assert_int_equal(hws_reader_damage(r, NULL), 0);
	hws_reader_close(r);
	hws_gen_header_free(&h);
	hws_gen_free(g);
	free(exp.p);
	free(got.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_matches_known_vectors),
		cmocka_unit_test(test_crc32c_paths_agree),
		cmocka_unit_test(test_writer_fast_effort_below_level_zero),
		cmocka_unit_test(test_stream_check_finds_malformed_records),
		cmocka_unit_test(test_codec_roundtrip_generated_streams),
		cmocka_unit_test(test_codec_roundtrip_unusual_records),
		cmocka_unit_test(test_codec_decoder_refuses_garbage),
		cmocka_unit_test(test_roundtrip_is_byte_exact),
		cmocka_unit_test(test_zstd_decodes_every_complete_file),
		cmocka_unit_test(test_many_cpus_and_sources),
		cmocka_unit_test(test_merge_orders_by_time_then_cpu),
		cmocka_unit_test(test_merge_across_files_keeps_file_order_on_ties),
		cmocka_unit_test(test_seek_time_with_and_without_index),
		cmocka_unit_test(test_seek_then_merge_gives_every_later_record),
		cmocka_unit_test(test_newer_minor_with_unknown_frames_reads),
		cmocka_unit_test(test_late_sources_in_source_frames),
		cmocka_unit_test(test_newer_major_is_refused),
		cmocka_unit_test(test_not_an_hws_file_is_refused),
		cmocka_unit_test(test_disk_full_leaves_readable_file),
		cmocka_unit_test(test_concurrent_appends_for_different_cpus),
		cmocka_unit_test(test_writer_refuses_bad_input),
		cmocka_unit_test(test_chunks_close_by_time_and_carry_subbuf_state),
		cmocka_unit_test(test_writer_on_a_pipe),
		cmocka_unit_test(test_merge_threads_change_nothing),
		cmocka_unit_test(test_merge_full_queues_fall_back_to_own_walks),
		cmocka_unit_test(test_merge_opts_are_checked),
		cmocka_unit_test(test_merge_cpu_parts_are_the_merge_filtered),
		cmocka_unit_test(test_reader_opts_bound_the_damage_list),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
