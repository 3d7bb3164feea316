// SPDX-License-Identifier: MIT
/*
 * The chunk codec's column encodings (FORMAT.md §6.2 and §6.3), through
 * libhws's private codec interface: round trips on the edges of every
 * prediction, the costs the predictions promise, and the decoder's refusal
 * of what the spec forbids. Files of the older encoding (1) keep decoding.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hws_gen.h"
#include "hws_internal.h"

#define CAP (4u << 20)

struct chunk {
	uint8_t *p;
	size_t len;
	uint32_t n;
};

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 17;
}

static void add_sample(struct chunk *c, uint32_t src, uint64_t ts,
		       uint64_t seq, uint32_t first, uint32_t count,
		       const uint64_t *v)
{
	uint8_t *r = c->p + c->len;
	uint16_t len = (uint16_t)(32 + 8 * count);

	assert_true(c->len + len <= CAP);
	memset(r, 0, len);
	hwsi_put16(r, HWSTATS_REC_SAMPLE);
	hwsi_put16(r + 2, len);
	hwsi_put32(r + 4, src);
	hwsi_put64(r + 8, ts);
	hwsi_put64(r + 16, seq);
	hwsi_put32(r + 24, first);
	for (uint32_t k = 0; k < count; k++)
		hwsi_put64(r + 32 + 8 * k, v[k]);
	c->len += len;
	c->n++;
}

static void add_subbuf(struct chunk *c, uint32_t cpu, uint64_t ts)
{
	uint8_t *r = c->p + c->len;

	memset(r, 0, 48);
	hwsi_put16(r, HWSTATS_REC_SUBBUF);
	hwsi_put16(r + 2, 48);
	hwsi_put32(r + 4, cpu);
	hwsi_put64(r + 8, ts);
	hwsi_put32(r + 16, HWSTATS_SUBBUF_MAGIC);
	c->len += 48;
	c->n++;
}

static int setup(void **state)
{
	struct chunk *c = calloc(1, sizeof(*c));

	if (!c || !(c->p = malloc(CAP)))
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct chunk *c = *state;

	free(c->p);
	free(c);
	return 0;
}

/*
 * Encode @c in @cols (HWS_ENC_COLUMNS or HWS_ENC_COLUMNS2), check that the
 * columns were used (unless @raw_ok: the encoder stores a chunk raw when
 * the columns would not be smaller) and that decoding gives back every
 * byte. Returns the content length.
 */
static size_t roundtrip_effort(const struct chunk *c, uint16_t cols,
			       bool raw_ok, int effort)
{
	struct hws_enc *e = hwsi_enc_new();
	struct hws_dec *d = hwsi_dec_new();
	uint8_t *out = malloc(c->len + 1);
	const void *content;
	uint16_t enc;
	size_t clen;

	assert_non_null(e);
	assert_non_null(d);
	assert_non_null(out);
	assert_int_equal(hwsi_enc_set_encoding(e, cols), 0);
	assert_int_equal(hwsi_enc_set_effort(e, effort), 0);
	assert_int_equal(hwsi_enc_chunk(e, c->p, c->len, c->n, false, &content,
				       &clen, &enc), 0);
	if (!raw_ok || enc != HWS_ENC_RAW)
		assert_int_equal(enc, cols);
	assert_int_equal(hwsi_dec_chunk(d, enc, content, clen, out, c->len,
				       c->n), 0);
	assert_memory_equal(out, c->p, c->len);
	/* one byte short is refused, never read past */
	if (enc != HWS_ENC_RAW)
		assert_int_equal(hwsi_dec_chunk(d, enc, content, clen - 1, out, c->len,
				       c->n), -EBADMSG);
	free(out);
	hwsi_enc_free(e);
	hwsi_dec_free(d);
	return clen;
}

static size_t roundtrip_as(const struct chunk *c, uint16_t cols, bool raw_ok)
{
	return roundtrip_effort(c, cols, raw_ok, HWSI_ENC_FULL);
}

/*
 * Both encodings round-trip, COLUMNS2 in columns and at both efforts;
 * returns its content length at the FULL effort.
 */
static size_t roundtrip(const struct chunk *c)
{
	roundtrip_as(c, HWS_ENC_COLUMNS, true);
	roundtrip_effort(c, HWS_ENC_COLUMNS2, false, HWSI_ENC_FAST);
	return roundtrip_as(c, HWS_ENC_COLUMNS2, false);
}

/* A varint of content the encoder just made. */
static const uint8_t *skip_varint(const uint8_t *p, uint64_t *v)
{
	assert_int_equal(hwsi_get_varint(&p, p + 10, v), 0);
	return p;
}

struct hdr2 {
	uint8_t mode;
	uint64_t first, ref, slope;
	uint8_t width;
};

/*
 * HDR entry @idx of a COLUMNS2 chunk (0: TS of slot 0) whose streams up to
 * @idx all have 2 values or more, parsed as FORMAT.md §6.3 says.
 */
static struct hdr2 hdr_entry_effort(const struct chunk *c, int idx,
				    int effort)
{
	struct hws_enc *e = hwsi_enc_new();
	const uint8_t *p, *q;
	uint64_t v, len[8];
	struct hdr2 h = { 0 };
	const void *content;
	uint16_t enc;
	size_t clen;

	assert_int_equal(hwsi_enc_set_effort(e, effort), 0);
	assert_int_equal(hwsi_enc_chunk(e, c->p, c->len, c->n, false, &content,
				       &clen, &enc), 0);
	assert_int_equal(enc, HWS_ENC_COLUMNS2);
	p = content;
	for (int i = 0; i < 3; i++)
		p = skip_varint(p, &v);
	for (int i = 0; i < 8; i++)
		p = skip_varint(p, &len[i]);
	q = p;
	for (int i = 0; i < 5; i++)
		q += len[i];
	for (int i = 0; i <= idx; i++) {
		h.mode = *q++;
		q = skip_varint(q, &h.first);
		q = skip_varint(q, &h.ref);
		h.slope = 0;
		if (h.mode & 1)
			q = skip_varint(q, &h.slope);
		h.width = *q++;
	}
	hwsi_enc_free(e);
	return h;
}

static struct hdr2 hdr_entry(const struct chunk *c, int idx)
{
	return hdr_entry_effort(c, idx, HWSI_ENC_FULL);
}

static struct hdr2 first_hdr(const struct chunk *c)
{
	return hdr_entry(c, 0);
}

static void test_codec2_constant_columns_cost_nothing(void **state)
{
	struct chunk *c = *state;
	uint64_t v[16];
	size_t clen;

	for (int k = 0; k < 16; k++)
		v[k] = (uint64_t)k * 0x0123456789abcdefULL;
	for (uint32_t i = 0; i < 1000; i++)
		add_sample(c, 3, 5000000 + i * 1000000ULL, 77 + i, 0, 16, v);
	clen = roundtrip(c);
	/*
	 * An exact period, seq + 1, 16 constant counters: 18 streams of
	 * width 0. What is left is a byte of TAG, SRC and SHAPE a record
	 * and the headers.
	 */
	assert_true(clen < 3 * 1000 + 18 * 24 + 64);
	assert_int_equal(first_hdr(c).width, 0);
}

static void test_codec2_periodic_ts_residual_is_the_jitter(void **state)
{
	struct chunk *c = *state;
	uint64_t s = 1, v = 0;
	struct hdr2 h;

	/* 1 ms period, latency uniform in [0, 1024) ns: 10 bits */
	for (uint32_t i = 0; i < 1000; i++)
		add_sample(c, 1, 1000000000000ULL + (i + 1) * 1000000ULL +
			   lcg(&s) % 1024, i, 0, 1, &v);
	roundtrip(c);
	h = first_hdr(c);
	assert_int_equal(h.mode, 1);		/* a line, over ts */
	assert_int_equal(h.slope, 2 * 1000000);	/* zigzag of the period */
	assert_int_equal(h.width, 10);
	/* the same over 100 samples, where least squares misses the slope */
	c->len = 0;
	c->n = 0;
	for (uint32_t i = 0; i < 100; i++)
		add_sample(c, 1, 5000 + (i + 1) * 10000000ULL + lcg(&s) % 1024,
			   i, 0, 1, &v);
	roundtrip(c);
	h = first_hdr(c);
	assert_int_equal(h.mode, 1);
	assert_int_equal(h.slope, 2 * 10000000);
	assert_int_equal(h.width, 10);
}

static void test_codec2_sources_on_one_tick_use_gaps(void **state)
{
	struct chunk *c = *state;
	uint64_t s = 2, v[2] = { 0, 0 };

	/*
	 * Four sources sampled one after another on a jittery tick: each
	 * source's ts is best told as its gap to the sample before it.
	 */
	for (uint32_t i = 0; i < 500; i++) {
		uint64_t t = 1000000 + i * 1000000ULL + lcg(&s) % 100000;

		for (uint32_t k = 0; k < 4; k++) {
			t += 200 + lcg(&s) % 4;
			v[0] += lcg(&s) % 300;
			add_sample(c, 10 + k, t, i, 0, 2, v);
		}
	}
	roundtrip(c);
	/*
	 * Slot 1's TS (after slot 0's TS, SEQ and 2 counters): its gaps
	 * vary by 4 ns, stored in 2 bits.
	 */
	assert_int_equal(hdr_entry(c, 4).mode & 2, 2);
	assert_int_equal(hdr_entry(c, 4).width, 2);
}

static void test_codec2_wraps_and_64bit_extremes(void **state)
{
	struct chunk *c = *state;
	uint64_t s = 3, v[6];

	for (uint32_t i = 0; i < 700; i++) {
		v[0] = UINT64_MAX - 1000 + i * 7;	/* wraps past 2^64 */
		v[1] = 0xffffff00ULL + i;		/* past 2^32 */
		v[2] = i & 1 ? UINT64_MAX : 0;		/* full swing */
		v[3] = i & 1 ? (uint64_t)INT64_MIN : (uint64_t)INT64_MAX;
		v[4] = lcg(&s) << 32 ^ lcg(&s);		/* 64 random bits */
		v[5] = i % 97 ? 5 : UINT64_MAX / 3;	/* rare far values */
		add_sample(c, 0xffffffffU, UINT64_MAX - 700000 + i * 1000ULL,
			   UINT64_MAX - 800 + i, 0, 6, v);
	}
	roundtrip(c);
	/* ts and seq wrapping too, and a ts going back to 0 */
	add_sample(c, 0xffffffffU, 0, 5, 0, 6, v);
	add_sample(c, 0xffffffffU, UINT64_MAX, 6, 0, 6, v);
	roundtrip(c);
}

static void test_codec2_one_and_two_records(void **state)
{
	struct chunk *c = *state;
	uint64_t v[64] = { UINT64_MAX, 0, 12345 };

	/* 64 counters, so that the columns are smaller than the record */
	for (int k = 3; k < 64; k++)
		v[k] = (uint64_t)k;
	add_sample(c, 9, 123456789, 0, 2, 64, v);
	roundtrip(c);
	v[0] = 0;
	v[1] = UINT64_MAX;
	add_sample(c, 9, 123456789 - 5, UINT64_MAX, 2, 64, v);
	roundtrip(c);
	/* one sample of each of two sources */
	c->len = 0;
	c->n = 0;
	add_sample(c, 1, 10, 0, 0, 64, v);
	add_sample(c, 2, 5, 0, 0, 64, v);
	roundtrip(c);
}

static void test_codec2_negative_deltas_and_resets(void **state)
{
	struct chunk *c = *state;
	uint64_t s = 4, v[4] = { 1000000, 500, 1ULL << 40, 0 };

	for (uint32_t i = 0; i < 2000; i++) {
		v[0] -= lcg(&s) % 50;			/* falling */
		v[1] = 500 + lcg(&s) % 100 - 50;	/* a gauge */
		v[2] += lcg(&s) % 1000;
		if (i == 1234)
			v[2] = 3;			/* a reset */
		v[3] = i % 3 ? v[3] + 1 : v[3] - 2;	/* back and forth */
		add_sample(c, 4, 1000 + i * 333ULL - lcg(&s) % 500, i, 0, 4,
			   v);
	}
	roundtrip(c);
}

static void test_codec2_one_far_value_is_an_exception(void **state)
{
	struct chunk *c = *state;
	uint64_t s = 8, v = 1ULL << 50;
	struct hdr2 h;

	/*
	 * Steps of 0..255, and once 2 million down (samples lost, a
	 * reset): packing from that one would cost 21 bits a value; from
	 * the others' smallest, 8 and one exception.
	 */
	for (uint32_t i = 0; i < 2000; i++) {
		v += lcg(&s) % 256;
		if (i == 1000)
			v -= 2000000;
		add_sample(c, 6, 1000000 + i * 1000ULL, i, 0, 1, &v);
	}
	roundtrip(c);
	h = hdr_entry(c, 2);		/* C(0, 0) after TS and SEQ */
	assert_int_equal(h.mode, 0);
	assert_int_equal(h.width, 8);
}

/*
 * The FAST effort (the writer's below level 0): every stream as deltas
 * (mode 0) from the smallest, at the width most of them need; a counter
 * that jumps once by 2 million is one exception, not 21 bits a value; a
 * counter on a line plus 0..3 costs its deltas' range (3 bits), where FULL
 * codes the line (2 bits).
 */
static void test_codec2_fast_effort_deltas_and_exceptions(void **state)
{
	struct chunk *c = *state;
	uint64_t s = 9, v[2] = { 1ULL << 50, 77 };
	struct hdr2 h;

	for (uint32_t i = 0; i < 3000; i++) {
		v[0] += lcg(&s) % 256;
		if (i == 1234)
			v[0] += 2000000;
		v[1] = 77 + 1000ULL * i + lcg(&s) % 4;
		add_sample(c, 6, 1000000 + i * 1000ULL, i, 0, 2, v);
	}
	roundtrip(c);
	h = hdr_entry_effort(c, 2, HWSI_ENC_FAST);	/* C(0, 0) */
	assert_int_equal(h.mode, 0);
	assert_int_equal(h.width, 8);
	h = hdr_entry_effort(c, 3, HWSI_ENC_FAST);	/* C(0, 1): 997..1003 */
	assert_int_equal(h.mode, 0);
	assert_int_equal(h.ref, 1994);			/* zigzag(997) */
	assert_int_equal(h.width, 3);
	h = hdr_entry_effort(c, 0, HWSI_ENC_FAST);	/* TS: deltas, no gaps */
	assert_int_equal(h.mode, 0);
	assert_int_equal(h.width, 0);
	h = hdr_entry(c, 3);
	assert_int_equal(h.mode & 1, 1);		/* FULL: the line, */
	assert_int_equal(h.width, 2);			/* 0..3 around it */
}

static void test_codec2_shapes_gaps_and_raw_records(void **state)
{
	struct chunk *c = *state;
	uint64_t s = 5, v[40];

	for (int k = 0; k < 40; k++)
		v[k] = lcg(&s);
	add_subbuf(c, 1, 100);
	for (uint32_t i = 0; i < 1500; i++) {
		uint32_t first = (uint32_t)(lcg(&s) % 4 ? 0 : lcg(&s) % 30);
		uint32_t count = (uint32_t)(lcg(&s) % 11);

		for (int k = 0; k < 40; k++)
			v[k] += lcg(&s) % 64;
		if (i % 300 == 299)
			add_subbuf(c, 1, 100 + i * 10ULL);
		/* seq skips: samples lost */
		add_sample(c, (uint32_t)(lcg(&s) % 3), 200 + i * 10ULL,
			   i + (i > 700 ? 50 : 0), first, count, v);
	}
	roundtrip(c);
}

static void test_codec2_generated_streams(void **state)
{
	static const struct hws_gen_opts cfg[] = {
		{ .seed = 11 },
		{ .seed = 12, .nr_sources = 4, .min_counters = 32 },
		{ .seed = 13, .loss_every = 2, .subbuf_size = 4096 },
		{ .seed = 14, .jitter_ns = ~0ULL, .extra_types = 3 },
	};
	struct chunk *c = *state;

	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		struct hws_gen *g = hws_gen_new(&cfg[i]);
		size_t off = 0;

		assert_non_null(g);
		c->len = hws_gen_fill(g, c->p, 1 << 20);
		for (c->n = 0; off < c->len; c->n++)
			off += hwsi_get16(c->p + off + 2);
		roundtrip(c);
		hws_gen_free(g);
	}
}

/* Every single-byte change is decoded or refused; no crash (ASan). */
static void garbage(struct chunk *c, uint16_t cols)
{
	struct hws_enc *e = hwsi_enc_new();
	struct hws_dec *d = hwsi_dec_new();
	uint8_t *mut, *out = malloc(c->len);
	const void *content;
	uint64_t s = 6;
	uint16_t enc;
	size_t clen;
	int bad = 0;

	assert_int_equal(hwsi_enc_set_encoding(e, cols), 0);
	assert_int_equal(hwsi_enc_chunk(e, c->p, c->len, c->n, false, &content,
				       &clen, &enc), 0);
	assert_int_equal(enc, cols);
	mut = malloc(clen);
	for (size_t i = 0; i < clen; i++) {
		memcpy(mut, content, clen);
		mut[i] ^= (uint8_t)(1 + lcg(&s) % 255);
		if (hwsi_dec_chunk(d, enc, mut, clen, out, c->len, c->n))
			bad++;
	}
	assert_true(bad > 0);
	for (size_t i = 0; i < clen; i++)
		assert_int_equal(hwsi_dec_chunk(d, enc, content, i, out, c->len,
					       c->n), -EBADMSG);
	free(mut);
	free(out);
	hwsi_enc_free(e);
	hwsi_dec_free(d);
}

static void test_codec_decoders_refuse_garbage(void **state)
{
	struct hws_gen_opts go = { .seed = 7, .nr_sources = 2 };
	struct hws_gen *g = hws_gen_new(&go);
	struct chunk *c = *state;
	size_t off = 0;

	c->len = hws_gen_fill(g, c->p, 32768);
	for (c->n = 0; off < c->len; c->n++)
		off += hwsi_get16(c->p + off + 2);
	garbage(c, HWS_ENC_COLUMNS);
	garbage(c, HWS_ENC_COLUMNS2);
	hws_gen_free(g);
}

/* Mode bits the spec does not allow are refused. */
static void test_codec2_refuses_bad_modes(void **state)
{
	struct hws_enc *e = hwsi_enc_new();
	struct hws_dec *d = hwsi_dec_new();
	struct chunk *c = *state;
	uint8_t *mut, *out;
	const uint8_t *p, *q;
	const void *content;
	uint64_t v = 7, len[8];
	uint16_t enc;
	size_t clen;

	assert_int_equal(hwsi_enc_set_encoding(e, 99), -EINVAL);
	assert_int_equal(hwsi_enc_set_encoding(e, HWS_ENC_RAW), -EINVAL);
	c->len = 0;
	c->n = 0;
	for (uint32_t i = 0; i < 20; i++)
		add_sample(c, 1, 100 + i * 10ULL, i, 0, 1, &v);
	assert_int_equal(hwsi_enc_chunk(e, c->p, c->len, c->n, false, &content,
				       &clen, &enc), 0);
	assert_int_equal(enc, HWS_ENC_COLUMNS2);
	mut = malloc(clen);
	out = malloc(c->len);
	memcpy(mut, content, clen);
	p = mut;
	for (int i = 0; i < 3; i++)
		p = skip_varint(p, &v);
	for (int i = 0; i < 8; i++)
		p = skip_varint(p, &len[i]);
	q = p + len[0] + len[1] + len[2] + len[3] + len[4];
	assert_int_equal(hwsi_dec_chunk(d, enc, mut, clen, out, c->len, c->n),
			 0);
	/* TS of slot 0: only bits 0 and 1 exist */
	mut[q - mut] = (uint8_t)(*q | 4);
	assert_int_equal(hwsi_dec_chunk(d, enc, mut, clen, out, c->len, c->n),
			 -EBADMSG);
	free(mut);
	free(out);
	hwsi_enc_free(e);
	hwsi_dec_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_codec2_constant_columns_cost_nothing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_periodic_ts_residual_is_the_jitter, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_sources_on_one_tick_use_gaps, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_wraps_and_64bit_extremes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_one_and_two_records, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_negative_deltas_and_resets, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_one_far_value_is_an_exception, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_fast_effort_deltas_and_exceptions, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_shapes_gaps_and_raw_records, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_generated_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_codec_decoders_refuse_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_codec2_refuses_bad_modes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
