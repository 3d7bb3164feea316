// SPDX-License-Identifier: MIT
/*
 * Chunk content encodings (FORMAT.md, "Chunk content").
 *
 * HWS_ENC_COLUMNS splits a chunk's records into columns before zstd sees
 * them. Counter values are what makes a trace big, and they are nearly
 * predictable: a counter moves by a small step from one sample of its source
 * to the next. So each counter of each source becomes one stream of deltas
 * from its previous value (zigzag-mapped only when some delta is negative),
 * and so do each source's timestamp and sequence-number residuals.
 *
 * The steps of real counters are close to random within a range, which
 * leaves little for zstd's matcher; what pays is coding each stream in about
 * as many bits as its values need. A byte-oriented layout cannot do that
 * (every stream of a block shares one Huffman table in zstd), so every
 * stream is bit-packed at its own width, and the few values wider than that
 * width (a bursty counter's bursts) are patched in from an exception list
 * (PFOR). Constant counters cost nothing, a 9-bit step costs 9 bits. zstd
 * then squeezes what structure is left in the small columns.
 *
 * Records that are not plain samples (sub-buffer headers, padding, unknown
 * types) go verbatim into a raw column, so decoding gives back exactly the
 * bytes that were encoded.
 *
 * The decoder takes any bytes: every count, index and length is checked
 * before use, and its memory is bounded by the chunk limits.
 */
#include <errno.h>
#include <stdlib.h>

#include "hws_internal.h"

enum {
	COL_TAG,	/* u8 per record: TAG_RAW or TAG_SAMPLE */
	COL_RAW,	/* verbatim records */
	COL_SRCTAB,	/* per slot: varint id, nc, seq_base */
	COL_SRC,	/* per sample: varint slot */
	COL_SHAPE,	/* per sample: 0, or 1 varint first varint count */
	COL_MODES,	/* u8 per stream: width | MODE_ZIGZAG */
	COL_BASE,	/* u64 per counter stream: its first value */
	COL_EXC,	/* per stream: varint n, n * (varint gap, varint high) */
	COL_VAL,	/* per stream: its values' low bits, packed */
	NR_COLS
};

#define TAG_RAW		0
#define TAG_SAMPLE	1

/* Streams of a slot: its ts residuals, seq residuals, then its counters. */
#define ST_TS		0
#define ST_SEQ		1
#define ST_CTR		2

#define MAX_SLOTS	1024U		/* distinct sources in one chunk */
#define MAX_NC		65536U		/* counter index limit of a source */
#define MAX_STREAMS	(1U << 16)	/* sum of nc + 2 over slots */
#define MAX_COUNT	((HWSTATS_REC_MAX_LEN - HWS_SAMPLE_HDR_LEN) / 8)
#define HTAB_SIZE	2048U		/* > 2 * MAX_SLOTS */

#define MODE_WIDTH	0x7fU
#define MODE_ZIGZAG	0x80U

struct hws_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static int buf_reserve(struct hws_buf *b, size_t more)
{
	size_t want = b->len + more, cap;
	uint8_t *p;

	/* always a buffer, even for nothing: memcpy/memset want one */
	if (want <= b->cap && b->p)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Grow an array to hold at least @n elements (contents kept). */
static int grow(void *pp, size_t *cap, size_t n, size_t elsize)
{
	void **p = pp;
	size_t c = *cap ? *cap : 64;
	void *q;

	if (n <= *cap && *p)
		return 0;
	while (c < n)
		c *= 2;
	q = realloc(*p, c * elsize);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* An array with its own capacity, grown by ENSURE(). */
#define ARR(type, name)	type *name; size_t name##_cap
#define ENSURE(o, name, n) \
	grow(&(o)->name, &(o)->name##_cap, (n), sizeof(*(o)->name))

static inline uint64_t zigzag(uint64_t v)
{
	return (v << 1) ^ (0 - (v >> 63));
}

static inline uint64_t unzigzag(uint64_t v)
{
	return (v >> 1) ^ (0 - (v & 1));
}

static inline unsigned int bitlen(uint64_t v)
{
	return v ? 64 - (unsigned int)__builtin_clzll(v) : 0;
}

static inline uint64_t low_mask(unsigned int b)
{
	return b >= 64 ? ~0ULL : (1ULL << b) - 1;
}

static inline size_t packed_len(uint64_t n, unsigned int b)
{
	return (size_t)((n * b + 7) / 8);
}

/*
 * Value i of a stream packed at b bits: bits [i*b, i*b + b) of the stream's
 * bit string, bit k of which is bit k % 8 of byte k / 8. @lim is the end of
 * the readable buffer; the caller checked that the value lies before it.
 */
static inline uint64_t get_bits(const uint8_t *base, uint64_t i,
				unsigned int b, const uint8_t *lim)
{
	uint64_t bit = i * b, v;
	const uint8_t *p = base + bit / 8;
	unsigned int sh = bit % 8;

	if (!b)
		return 0;
	if (lim - p >= 9) {
		v = hwsi_get64(p) >> sh;
		if (sh + b > 64)
			v |= (uint64_t)p[8] << (64 - sh);
	} else {
		unsigned int need = (sh + b + 7) / 8;
		uint8_t tmp[9] = { 0 };

		memcpy(tmp, p, need);
		v = hwsi_get64(tmp) >> sh;
		if (sh + b > 64)
			v |= (uint64_t)tmp[8] << (64 - sh);
	}
	return v & low_mask(b);
}

struct bitw {
	uint8_t *p;
	uint64_t acc;
	unsigned int n;		/* bits in acc, < 64 */
};

static inline void bitw_put(struct bitw *w, uint64_t v, unsigned int b)
{
	v &= low_mask(b);
	w->acc |= v << w->n;
	if (w->n + b >= 64) {
		hwsi_put64(w->p, w->acc);
		w->p += 8;
		w->acc = w->n ? v >> (64 - w->n) : 0;
		w->n = w->n + b - 64;
	} else {
		w->n += b;
	}
}

static inline uint8_t *bitw_end(struct bitw *w)
{
	for (unsigned int k = 0; k < w->n; k += 8) {
		*w->p++ = (uint8_t)w->acc;
		w->acc >>= 8;
	}
	return w->p;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                             */

struct enc_slot {
	uint32_t id;
	uint32_t nc;		/* counter index limit seen in the chunk */
	uint32_t first;		/* shape of the previous sample */
	uint32_t count;
	uint32_t stream0;	/* first stream of this slot */
	uint32_t nsamples;
	bool shaped;
	bool reshaped;		/* a second shape in this chunk */
	uint32_t ord;		/* COLUMNS2 pass B: samples placed so far */
	uint64_t seq_base;
	uint64_t prev_seq;
	uint64_t prev_gap;
};

struct hws_enc {
	struct hws_buf col[NR_COLS];
	struct hws_buf out;
	ARR(struct enc_slot, slots);
	uint32_t nr_slots;
	int32_t htab[HTAB_SIZE];

	/* per sample */
	ARR(uint32_t, s_slot);
	ARR(uint32_t, s_first);
	ARR(uint32_t, s_count);
	ARR(size_t, s_off);
	ARR(uint64_t, ts_res);
	ARR(uint64_t, seq_res);

	/* per stream */
	ARR(uint32_t, diff);		/* nc + 1 per slot */
	ARR(uint32_t, st_count);
	ARR(uint32_t, st_start);
	ARR(uint32_t, st_pos);
	ARR(uint64_t, st_prev);
	ARR(uint8_t, st_neg);

	ARR(uint64_t, x);		/* every value, stream after stream */
	ARR(uint64_t, g);		/* COLUMNS2: TS streams' gap series */
	ARR(uint32_t, xi);		/* COLUMNS2: a stream's exceptions */
	uint16_t encoding;
	int effort;			/* HWSI_ENC_* */
};

struct hws_enc *hwsi_enc_new(void)
{
	struct hws_enc *e = calloc(1, sizeof(struct hws_enc));

	if (e)
		e->encoding = HWS_ENC_COLUMNS2;
	return e;
}

int hwsi_enc_set_encoding(struct hws_enc *e, uint16_t encoding)
{
	if (encoding != HWS_ENC_COLUMNS && encoding != HWS_ENC_COLUMNS2)
		return -EINVAL;
	e->encoding = encoding;
	return 0;
}

int hwsi_enc_set_effort(struct hws_enc *e, int effort)
{
	if (effort != HWSI_ENC_FULL && effort != HWSI_ENC_FAST)
		return -EINVAL;
	e->effort = effort;
	return 0;
}

void hwsi_enc_free(struct hws_enc *e)
{
	if (!e)
		return;
	for (int i = 0; i < NR_COLS; i++)
		free(e->col[i].p);
	free(e->out.p);
	free(e->slots);
	free(e->s_slot);
	free(e->s_first);
	free(e->s_count);
	free(e->s_off);
	free(e->ts_res);
	free(e->seq_res);
	free(e->diff);
	free(e->st_count);
	free(e->st_start);
	free(e->st_pos);
	free(e->st_prev);
	free(e->st_neg);
	free(e->x);
	free(e->g);
	free(e->xi);
	free(e);
}

static inline uint32_t slot_hash(uint32_t id)
{
	return (id * 0x9E3779B1U) >> 21;	/* 11 bits for HTAB_SIZE */
}

/* The slot of @id, or -1 with *probe where it would be inserted. */
static inline int enc_slot_lookup(const struct hws_enc *e, uint32_t id,
				  uint32_t *probe)
{
	uint32_t h = slot_hash(id);

	while (e->htab[h] >= 0) {
		if (e->slots[e->htab[h]].id == id)
			return e->htab[h];
		h = (h + 1) & (HTAB_SIZE - 1);
	}
	*probe = h;
	return -1;
}

static int enc_reserve(struct hws_enc *e, size_t len, uint32_t nr_records)
{
	for (int i = 0; i < NR_COLS; i++)
		e->col[i].len = 0;
	/* Upper bounds, so that pass A writes without checks. */
	if (buf_reserve(&e->col[COL_TAG], nr_records) ||
	    buf_reserve(&e->col[COL_RAW], len) ||
	    buf_reserve(&e->col[COL_SRC], 2 * (size_t)nr_records) ||
	    buf_reserve(&e->col[COL_SHAPE], 7 * (size_t)nr_records) ||
	    buf_reserve(&e->col[COL_SRCTAB], 30 * (size_t)MAX_SLOTS) ||
	    ENSURE(e, slots, MAX_SLOTS) ||
	    ENSURE(e, s_slot, nr_records) || ENSURE(e, s_first, nr_records) ||
	    ENSURE(e, s_count, nr_records) || ENSURE(e, s_off, nr_records) ||
	    ENSURE(e, ts_res, nr_records) || ENSURE(e, seq_res, nr_records))
		return -ENOMEM;
	return 0;
}

/*
 * The packing width of a stream: the b that minimises b bits per value plus,
 * for every value wider than b, an exception: about a byte of gap and its
 * high bits, packed at the width of the widest.
 */
static unsigned int enc_pick_width(const uint32_t hist[65], uint64_t n)
{
	unsigned int maxl = 64, best_b;
	uint64_t best, nexc = 0;

	while (maxl && !hist[maxl])
		maxl--;
	best_b = maxl;
	best = n * maxl;
	for (unsigned int b = maxl; b-- > 0;) {
		uint64_t cost;

		nexc += hist[b + 1];	/* values longer than b bits */
		cost = n * b + nexc * (8 + (maxl - b));
		if (cost < best) {
			best = cost;
			best_b = b;
		}
	}
	return best_b;
}

/*
 * Mode, exceptions and packed bits of one stream's values. An exception
 * list is: varint count; if any, a byte with the width of the high parts,
 * the gaps between exception indices as varints, then the high parts packed
 * at that width.
 */
static void enc_stream(uint64_t *x, uint64_t n, bool neg, uint8_t **val,
		       uint8_t **exc, uint8_t *mode)
{
	uint32_t hist[65] = { 0 };
	uint64_t nexc = 0, last = 0;
	struct bitw w = { .p = *val };
	unsigned int b, hb = 0;
	uint8_t *q;

	if (!n) {
		/* counters a source never sent in this chunk */
		*mode = 0;
		*(*exc)++ = 0;
		return;
	}
	if (neg)
		for (uint64_t i = 0; i < n; i++)
			x[i] = zigzag(x[i]);
	for (uint64_t i = 0; i < n; i++)
		hist[bitlen(x[i])]++;
	b = enc_pick_width(hist, n);
	*mode = (uint8_t)(b | (neg ? MODE_ZIGZAG : 0));
	for (unsigned int l = b + 1; l <= 64; l++) {
		nexc += hist[l];
		if (hist[l])
			hb = l - b;
	}
	for (uint64_t i = 0; i < n; i++)
		bitw_put(&w, x[i], b);
	*val = bitw_end(&w);

	q = hwsi_put_varint(*exc, nexc);
	if (nexc) {
		*q++ = (uint8_t)hb;
		for (uint64_t i = 0; i < n; i++) {
			if (x[i] >> b) {
				q = hwsi_put_varint(q, i - last);
				last = i + 1;
			}
		}
		w = (struct bitw){ .p = q };
		for (uint64_t i = 0; i < n; i++)
			if (x[i] >> b)
				bitw_put(&w, x[i] >> b, hb);
		q = bitw_end(&w);
	}
	*exc = q;
}

/* ---- COLUMNS2 --------------------------------------------------------- */

#define MODE2_LINEAR	0x01U	/* residuals around a line, not deltas */
#define MODE2_GAP	0x02U	/* TS only: the series is the gap to the
				 * previous sample of any source */

static inline size_t varint_len(uint64_t v)
{
	return bitlen(v | 1) / 7 + (bitlen(v | 1) % 7 != 0);
}

/*
 * The n values x[i] - @ref, @b bits each (b >= 1), packed at *pp (as
 * bitw_put() would); with @idx, the indices of those wider than b (b < 64)
 * go there. Returns how many those are.
 */
static uint64_t pack_bits(uint8_t **pp, const uint64_t *x, uint64_t n,
			  uint64_t ref, unsigned int b, uint32_t *idx)
{
	uint64_t mask = low_mask(b), acc = 0, m = 0;
	unsigned int have = 0;
	uint8_t *p = *pp;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t d = x[i] - ref, v = d & mask;

		if (idx) {
			/* no branch: exceptions are few and anywhere */
			idx[m] = (uint32_t)i;
			m += (d >> b) != 0;
		}
		acc |= v << have;
		have += b;
		if (have >= 64) {
			hwsi_put64(p, acc);
			p += 8;
			have -= 64;
			acc = have ? v >> (b - have) : 0;
		}
	}
	for (unsigned int k = 0; k < have; k += 8) {
		*p++ = (uint8_t)acc;
		acc >>= 8;
	}
	*pp = p;
	return m;
}

/*
 * @x (n values) less @ref packed at width @b, low bits into *val, those
 * wider than b (the widest @hb bits wider) into the exception list at
 * *exc. @idx has room for n indices.
 */
static void enc_pfor_at(const uint64_t *x, uint64_t n, uint64_t ref,
			unsigned int b, unsigned int hb, uint8_t **val,
			uint8_t **exc, uint32_t *idx)
{
	uint64_t nexc = 0, last = 0;
	struct bitw w;
	uint8_t *q;

	/* one pass packs the low bits and finds the exceptions */
	if (b)
		nexc = pack_bits(val, x, n, ref, b, hb ? idx : NULL);
	else if (hb)
		for (uint64_t i = 0; i < n; i++) {
			idx[nexc] = (uint32_t)i;
			nexc += x[i] != ref;
		}
	q = hwsi_put_varint(*exc, nexc);
	if (nexc) {
		*q++ = (uint8_t)hb;
		for (uint64_t j = 0; j < nexc; j++) {
			q = hwsi_put_varint(q, idx[j] - last);
			last = idx[j] + 1;
		}
		w = (struct bitw){ .p = q };
		for (uint64_t j = 0; j < nexc; j++)
			bitw_put(&w, (x[idx[j]] - ref) >> b, hb);
		q = bitw_end(&w);
	}
	*exc = q;
}

/*
 * @x (n values) less @ref, whose bit lengths @hist counts, at the PFOR
 * width: low bits packed into *val, the exception list into *exc. @idx
 * has room for n indices. Returns the width.
 */
static unsigned int enc_pfor(const uint64_t *x, uint64_t n, uint64_t ref,
			     const uint32_t hist[65], uint8_t **val,
			     uint8_t **exc, uint32_t *idx)
{
	unsigned int b = enc_pick_width(hist, n), hb = 0;

	for (unsigned int l = b + 1; l <= 64; l++)
		if (hist[l])
			hb = l - b;
	enc_pfor_at(x, n, ref, b, hb, val, exc, idx);
	return b;
}

struct cand2 {
	uint64_t cost;		/* bits, about */
	int64_t slope;
	int64_t lo;		/* smallest of the sampled residuals */
	unsigned int mode;
};

/* The bits enc_pick_width()'s choice costs. */
static uint64_t pfor_cost(const uint32_t hist[65], uint64_t n)
{
	unsigned int maxl = 64;
	uint64_t best, nexc = 0;

	while (maxl && !hist[maxl])
		maxl--;
	best = n * maxl;
	for (unsigned int b = maxl; b-- > 0;) {
		uint64_t cost;

		nexc += hist[b + 1];
		cost = n * b + nexc * (8 + (maxl - b));
		if (cost < best)
			best = cost;
	}
	return best;
}

/* bitlen() without a branch: hot loops meet zeros and non-zeros mixed. */
static inline unsigned int bitlen_nb(uint64_t v)
{
	return 64 - (unsigned int)__builtin_clzll(v | 1) - (v == 0);
}

/*
 * @hist[l] = how many of the @n values x[i] - @ref are l bits long.
 * Counted in four tables in turn and summed: values of one length would
 * otherwise make every increment wait for the one before it.
 */
static void hist_bitlen(const uint64_t *x, uint64_t n, uint64_t ref,
			uint32_t hist[65])
{
	uint32_t h[4][65];
	uint64_t i = 0;

	memset(h, 0, sizeof(h));
	for (; i + 4 <= n; i += 4) {
		h[0][bitlen_nb(x[i] - ref)]++;
		h[1][bitlen_nb(x[i + 1] - ref)]++;
		h[2][bitlen_nb(x[i + 2] - ref)]++;
		h[3][bitlen_nb(x[i + 3] - ref)]++;
	}
	for (; i < n; i++)
		h[0][bitlen_nb(x[i] - ref)]++;
	for (unsigned int l = 0; l <= 64; l++)
		hist[l] = h[0][l] + h[1][l] + h[2][l] + h[3][l];
}

/* The same from two references at once, into @ha and @hb. */
static void hist_bitlen2(const uint64_t *x, uint64_t n, uint64_t ra,
			 uint32_t ha[65], uint64_t rb, uint32_t hb[65])
{
	uint32_t h[4][65];
	uint64_t i = 0;

	memset(h, 0, sizeof(h));
	for (; i + 2 <= n; i += 2) {
		h[0][bitlen_nb(x[i] - ra)]++;
		h[1][bitlen_nb(x[i + 1] - ra)]++;
		h[2][bitlen_nb(x[i] - rb)]++;
		h[3][bitlen_nb(x[i + 1] - rb)]++;
	}
	for (; i < n; i++) {
		h[0][bitlen_nb(x[i] - ra)]++;
		h[2][bitlen_nb(x[i] - rb)]++;
	}
	for (unsigned int l = 0; l <= 64; l++) {
		ha[l] = h[0][l] + h[1][l];
		hb[l] = h[2][l] + h[3][l];
	}
}

#define SAMPLES2	64	/* residuals a choice is made on */

/* A residual of the series @y at i >= 1 under @mode and @slope. */
static inline uint64_t resid2(const uint64_t *y, uint64_t i,
			      unsigned int mode, int64_t slope)
{
	if (mode & MODE2_LINEAR)
		return y[i] - y[0] - i * (uint64_t)slope;
	return y[i] - y[i - 1];
}

/*
 * What a choice costs, estimated from the residuals at the @m indices
 * @idx: the width rule's bits from their smallest (scaled to the n - 1
 * residuals), and the header's varints.
 */
static uint64_t cand_cost(const uint64_t *y, uint64_t n, const uint64_t *idx,
			  uint64_t m, unsigned int mode, int64_t slope,
			  int64_t *lo_out)
{
	uint32_t hist[65] = { 0 };
	int64_t lo = INT64_MAX;
	uint64_t r[SAMPLES2];

	for (uint64_t k = 0; k < m; k++) {
		r[k] = resid2(y, idx[k], mode, slope);
		lo = (int64_t)r[k] < lo ? (int64_t)r[k] : lo;
	}
	for (uint64_t k = 0; k < m; k++)
		hist[bitlen(r[k] - (uint64_t)lo)]++;
	*lo_out = lo;
	return pfor_cost(hist, m) * (n - 1) / m +
	       8 * (varint_len(zigzag((uint64_t)lo)) +
		    (mode & MODE2_LINEAR ?
		     varint_len(zigzag((uint64_t)slope)) : 0));
}

/*
 * The two predictions of series @y (n >= 2): each value from the previous
 * one (deltas), or from a line (residuals); if one is estimated cheaper
 * than *best, it becomes *best. The choice looks at no more than 64
 * residuals spread evenly, so that it costs little beside the packing:
 * a line's slope is the least-squares one of those points or, as it can
 * miss by a few units over a short series, one of its neighbours,
 * whichever leaves the narrowest residuals there.
 */
static void enc_cands(const uint64_t *y, uint64_t n, unsigned int gap,
		      struct cand2 *best)
{
	uint64_t idx[SAMPLES2] = { 0 }, m = 0, step, cost;
	uint64_t brange = UINT64_MAX;
	double sx = 0, sy = 0, sxx = 0, sxy = 0, q, det;
	int64_t slope = 0, bslope = 0, lo;

	/* from 1 to n - 1 in steps that fit: the ends fix a line best */
	step = (n - 2) / SAMPLES2 + 1;
	for (uint64_t i = n - 1; m < SAMPLES2; i -= step) {
		idx[m++] = i;
		if (i <= step)
			break;
	}
	cost = cand_cost(y, n, idx, m, gap, 0, &lo);
	if (cost < best->cost)
		*best = (struct cand2){ cost, 0, lo, gap };

	for (uint64_t k = 0; k < m; k++) {
		double xi = (double)idx[k];
		double yi = (double)(int64_t)(y[idx[k]] - y[0]);

		sx += xi;
		sy += yi;
		sxx += xi * xi;
		sxy += xi * yi;
	}
	/* through (0, y_0) as well: the line starts at the first value */
	det = (double)(m + 1) * sxx - sx * sx;
	q = det > 0 ? ((double)(m + 1) * sxy - sx * sy) / det : 0;
	if (q > -9e18 && q < 9e18)
		slope = (int64_t)(q + (q < 0 ? -0.5 : 0.5));
	/* over a long series the sampled points fix the slope well enough */
	for (int d = n > 256 ? 0 : -2; d <= (n > 256 ? 0 : 2); d++) {
		int64_t sl = (int64_t)((uint64_t)slope + (uint64_t)(int64_t)d);
		int64_t lo = INT64_MAX, hi = INT64_MIN;

		for (uint64_t k = 0; k < m; k++) {
			int64_t r = (int64_t)resid2(y, idx[k], MODE2_LINEAR,
						    sl);

			lo = r < lo ? r : lo;
			hi = r > hi ? r : hi;
		}
		if ((uint64_t)hi - (uint64_t)lo < brange) {
			brange = (uint64_t)hi - (uint64_t)lo;
			bslope = sl;
		}
	}
	cost = cand_cost(y, n, idx, m, gap | MODE2_LINEAR, bslope, &lo);
	if (cost < best->cost)
		*best = (struct cand2){ cost, bslope, lo, gap | MODE2_LINEAR };
}

/*
 * One stream of n >= 1 values: its header (mode, first value, and for
 * n >= 2 the smallest residual, the slope of a line, the width) into *hdr,
 * its exception list into *exc, its packed residuals into *val. @g, for a
 * TS stream, is the other series it may be stored as. @y and @g are
 * clobbered.
 */
static void enc_stream2(uint64_t *y, uint64_t *g, uint64_t n, uint8_t **hdr,
			uint8_t **exc, uint8_t **val, uint32_t *idx, bool fast)
{
	uint32_t hist[65], hlo[65];
	struct cand2 c = { .cost = UINT64_MAX };
	int64_t ref = INT64_MAX;
	uint8_t *h = *hdr;
	uint64_t *x;

	if (n < 2) {
		*h++ = 0;
		*hdr = hwsi_put_varint(h, y[0]);
		return;
	}
	if (fast) {
		/*
		 * Deltas from the smallest, at the width the rule picks for
		 * 64 of them spread evenly: no candidates, no histogram of
		 * them all, exceptions found as they are packed.
		 */
		int64_t top = INT64_MIN;
		uint64_t step = (n - 2) / SAMPLES2 + 1, m = 0;
		unsigned int b, maxl;

		for (uint64_t i = n - 1; i > 0; i--) {
			y[i] -= y[i - 1];
			ref = (int64_t)y[i] < ref ? (int64_t)y[i] : ref;
			top = (int64_t)y[i] > top ? (int64_t)y[i] : top;
		}
		memset(hist, 0, sizeof(hist));
		for (uint64_t i = n - 1; m < SAMPLES2; i -= step) {
			hist[bitlen(y[i] - (uint64_t)ref)]++;
			m++;
			if (i <= step)
				break;
		}
		b = enc_pick_width(hist, m);
		maxl = bitlen((uint64_t)top - (uint64_t)ref);
		if (b > maxl)
			b = maxl;
		*h++ = 0;
		h = hwsi_put_varint(h, y[0]);
		h = hwsi_put_varint(h, zigzag((uint64_t)ref));
		*h++ = (uint8_t)b;
		enc_pfor_at(y + 1, n - 1, (uint64_t)ref, b, maxl - b, val, exc,
			    idx);
		*hdr = h;
		return;
	}
	enc_cands(y, n, 0, &c);
	if (g)
		enc_cands(g, n, MODE2_GAP, &c);
	x = c.mode & MODE2_GAP ? g : y;
	/* The residuals, in place, and the smallest of them all. */
	if (c.mode & MODE2_LINEAR) {
		uint64_t line = x[0];

		for (uint64_t i = 1; i < n; i++) {
			line += (uint64_t)c.slope;
			x[i] -= line;
			ref = (int64_t)x[i] < ref ? (int64_t)x[i] : ref;
		}
	} else {
		for (uint64_t i = n - 1; i > 0; i--) {
			x[i] -= x[i - 1];
			ref = (int64_t)x[i] < ref ? (int64_t)x[i] : ref;
		}
	}
	/*
	 * Their bit lengths from the smallest residual, or from the smallest
	 * sampled one when a few far below it (a gap in the samples) would
	 * widen every value more than their exceptions cost.
	 */
	if (c.lo != ref) {
		hist_bitlen2(x + 1, n - 1, (uint64_t)c.lo, hlo, (uint64_t)ref,
			     hist);
		if (pfor_cost(hlo, n - 1) < pfor_cost(hist, n - 1)) {
			ref = c.lo;
			memcpy(hist, hlo, sizeof(hist));
		}
	} else {
		hist_bitlen(x + 1, n - 1, (uint64_t)ref, hist);
	}
	*h++ = (uint8_t)c.mode;
	h = hwsi_put_varint(h, x[0]);
	h = hwsi_put_varint(h, zigzag((uint64_t)ref));
	if (c.mode & MODE2_LINEAR)
		h = hwsi_put_varint(h, zigzag((uint64_t)c.slope));
	*h++ = (uint8_t)enc_pfor(x + 1, n - 1, (uint64_t)ref, hist, val, exc,
				 idx);
	*hdr = h;
}

/*
 * Passes B and C of COLUMNS2: each stream gets the series it predicts
 * (a source's timestamps less base_ts and their gaps, its sequence
 * numbers, each counter's values), then its cheapest prediction.
 */
static int enc_columns2(struct hws_enc *e, const uint8_t *rec, size_t n,
			size_t nstreams, uint64_t nvalues, uint64_t base_ts)
{
	bool fast = e->effort == HWSI_ENC_FAST;
	uint8_t *hdr, *val, *exc;
	uint64_t last = base_ts;
	size_t vcap = 0, ecap = 0;

	/* a stream has at most one value a sample */
	if (ENSURE(e, g, nvalues + 1) || ENSURE(e, xi, n + 1))
		return -ENOMEM;
	for (uint32_t i = 0; i < e->nr_slots; i++)
		e->slots[i].ord = 0;
	/*
	 * A slot's k-th sample is value k of its TS and SEQ streams and, if
	 * all its samples have one shape, of each of its counters' streams,
	 * which then lie nsamples apart.
	 */
	for (size_t i = 0; i < n; i++) {
		struct enc_slot *s = &e->slots[e->s_slot[i]];
		uint32_t st0 = s->stream0 + ST_CTR + e->s_first[i];
		const uint8_t *v = rec + e->s_off[i] + HWS_SAMPLE_HDR_LEN;
		uint32_t cnt = e->s_count[i], k = s->ord++, pos;
		uint64_t ts = e->ts_res[i];

		pos = e->st_start[s->stream0 + ST_TS] + k;
		e->x[pos] = ts - base_ts;
		if (!fast)
			e->g[pos] = ts - last;
		last = ts;
		e->x[e->st_start[s->stream0 + ST_SEQ] + k] = e->seq_res[i];
		if (!s->reshaped) {
			uint64_t *xs = e->x + e->st_start[st0] + k;
			size_t stride = s->nsamples;

			for (uint32_t c = 0; c < cnt; c++)
				xs[c * stride] = hwsi_get64(v + 8 * c);
			continue;
		}
		for (uint32_t c = 0; c < cnt; c++)
			e->x[e->st_pos[st0 + c]++] = hwsi_get64(v + 8 * c);
	}
	for (size_t st = 0; st < nstreams; st++) {
		vcap += 8 * (size_t)e->st_count[st] + 8;
		ecap += 20 + 19 * (size_t)e->st_count[st];
	}
	if (buf_reserve(&e->col[COL_VAL], vcap) ||
	    buf_reserve(&e->col[COL_EXC], ecap) ||
	    buf_reserve(&e->col[COL_MODES], 32 * nstreams))
		return -ENOMEM;
	hdr = e->col[COL_MODES].p;
	val = e->col[COL_VAL].p;
	exc = e->col[COL_EXC].p;
	for (uint32_t i = 0; i < e->nr_slots; i++) {
		const struct enc_slot *s = &e->slots[i];

		for (uint32_t k = 0; k < ST_CTR + s->nc; k++) {
			uint32_t st = s->stream0 + k;

			if (!e->st_count[st])
				continue;
			enc_stream2(e->x + e->st_start[st],
				    k == ST_TS && !fast ?
				    e->g + e->st_start[st] : NULL,
				    e->st_count[st], &hdr, &exc, &val, e->xi,
				    e->effort == HWSI_ENC_FAST);
		}
	}
	e->col[COL_BASE].len = 0;
	e->col[COL_MODES].len = (size_t)(hdr - e->col[COL_MODES].p);
	e->col[COL_VAL].len = (size_t)(val - e->col[COL_VAL].p);
	e->col[COL_EXC].len = (size_t)(exc - e->col[COL_EXC].p);
	return 0;
}

static int enc_columns(struct hws_enc *e, const uint8_t *rec, size_t len,
		       uint32_t nr_records, uint64_t *base_ts_out)
{
	uint64_t last_ts = 0, base_ts = 0, total_st = 0, nvalues, nctr;
	bool v2 = e->encoding == HWS_ENC_COLUMNS2;
	int last_si = -1;	/* the slot of the sample before */
	size_t n = 0, off, nstreams, vcap, ecap;
	uint8_t *tag, *src, *shape, *p, *base, *val, *exc;

	if (enc_reserve(e, len, nr_records))
		return -ENOMEM;
	e->nr_slots = 0;
	memset(e->htab, 0xff, sizeof(e->htab));
	tag = e->col[COL_TAG].p;
	src = e->col[COL_SRC].p;
	shape = e->col[COL_SHAPE].p;

	/* Pass A: classify records; source and shape columns, residuals. */
	for (off = 0; off < len;) {
		const uint8_t *r = rec + off;
		uint16_t rlen = hwsi_rec_len(r);
		uint32_t first, count, probe = 0, limit;
		struct enc_slot *s;
		uint64_t ts, seq, gap;
		int si;

		if (hwsi_rec_type(r) != HWSTATS_REC_SAMPLE ||
		    rlen < HWS_SAMPLE_HDR_LEN || hwsi_get32(r + 28) != 0)
			goto raw;
		first = hwsi_get32(r + 24);
		count = (rlen - HWS_SAMPLE_HDR_LEN) / 8;
		if ((uint64_t)first + count > MAX_NC)
			goto raw;
		limit = first + count;
		/* a source's samples come in runs: ask the table less often */
		if (last_si >= 0 && e->slots[last_si].id == hwsi_rec_source(r))
			si = last_si;
		else
			si = enc_slot_lookup(e, hwsi_rec_source(r), &probe);
		if (si < 0) {
			if (e->nr_slots >= MAX_SLOTS ||
			    total_st + ST_CTR + limit > MAX_STREAMS)
				goto raw;
			si = (int)e->nr_slots++;
			e->htab[probe] = si;
			s = &e->slots[si];
			memset(s, 0, sizeof(*s));
			s->id = hwsi_rec_source(r);
			s->seq_base = hwsi_get64(r + 16);
			s->prev_seq = s->seq_base - 1;
			total_st += ST_CTR;
		}
		s = &e->slots[si];
		if (limit > s->nc) {
			if (total_st - s->nc + limit > MAX_STREAMS)
				goto raw;
			total_st += limit - s->nc;
			s->nc = limit;
		}
		*tag++ = TAG_SAMPLE;
		src = hwsi_put_varint(src, (uint32_t)si);
		if (s->shaped && s->first == first && s->count == count) {
			*shape++ = 0;
		} else {
			*shape++ = 1;
			shape = hwsi_put_varint(shape, first);
			shape = hwsi_put_varint(shape, count);
			s->reshaped |= s->shaped;
			s->first = first;
			s->count = count;
			s->shaped = true;
		}
		ts = hwsi_rec_ts(r);
		seq = hwsi_get64(r + 16);
		if (n == 0)
			base_ts = last_ts = ts;
		if (v2) {
			/* kept as they are: pass C chooses the prediction */
			if (ts < base_ts)
				base_ts = ts;
			e->ts_res[n] = ts;
			e->seq_res[n] = seq;
			goto sampled;
		}
		/* ts is predicted from the previous sample of any source plus
		 * this source's previous gap: sources sampled on one tick keep
		 * their small gaps, and the tick's jitter shows only once */
		gap = ts - last_ts;
		e->ts_res[n] = gap - s->prev_gap;
		s->prev_gap = gap;
		last_ts = ts;
		e->seq_res[n] = seq - (s->prev_seq + 1);
		s->prev_seq = seq;
sampled:
		last_si = si;
		s->nsamples++;
		e->s_slot[n] = (uint32_t)si;
		e->s_first[n] = first;
		e->s_count[n] = count;
		e->s_off[n] = off;
		n++;
		off += rlen;
		continue;
raw:
		*tag++ = TAG_RAW;
		memcpy(e->col[COL_RAW].p + e->col[COL_RAW].len, r, rlen);
		e->col[COL_RAW].len += rlen;
		off += rlen;
	}
	e->col[COL_TAG].len = (size_t)(tag - e->col[COL_TAG].p);
	e->col[COL_SRC].len = (size_t)(src - e->col[COL_SRC].p);
	e->col[COL_SHAPE].len = (size_t)(shape - e->col[COL_SHAPE].p);
	*base_ts_out = base_ts;

	/* The slot table, and where each slot's streams start. */
	p = e->col[COL_SRCTAB].p;
	nstreams = 0;
	nctr = 0;
	for (uint32_t i = 0; i < e->nr_slots; i++) {
		struct enc_slot *s = &e->slots[i];

		s->stream0 = (uint32_t)nstreams;
		nstreams += ST_CTR + s->nc;
		nctr += s->nc;
		p = hwsi_put_varint(p, s->id);
		p = hwsi_put_varint(p, s->nc);
		if (!v2)
			p = hwsi_put_varint(p, s->seq_base);
	}
	e->col[COL_SRCTAB].len = (size_t)(p - e->col[COL_SRCTAB].p);

	if (ENSURE(e, diff, nctr + e->nr_slots + 1) ||
	    ENSURE(e, st_count, nstreams + 1) ||
	    ENSURE(e, st_start, nstreams + 1) ||
	    ENSURE(e, st_pos, nstreams + 1) ||
	    ENSURE(e, st_prev, nstreams + 1) ||
	    ENSURE(e, st_neg, nstreams + 1) ||
	    buf_reserve(&e->col[COL_BASE], 8 * nctr) ||
	    buf_reserve(&e->col[COL_MODES], nstreams))
		return -ENOMEM;

	/* Values per counter stream, by difference arrays (nc + 1 a slot). */
	memset(e->diff, 0, (nctr + e->nr_slots + 1) * sizeof(*e->diff));
	for (size_t i = 0; i < n; i++) {
		const struct enc_slot *s = &e->slots[e->s_slot[i]];
		uint32_t d0 = s->stream0 - ST_CTR * e->s_slot[i] + e->s_slot[i];

		e->diff[d0 + e->s_first[i]]++;
		e->diff[d0 + e->s_first[i] + e->s_count[i]]--;
	}
	nvalues = 0;
	for (uint32_t i = 0; i < e->nr_slots; i++) {
		const struct enc_slot *s = &e->slots[i];
		uint32_t d0 = s->stream0 - ST_CTR * i + i, run = 0;
		uint32_t st = s->stream0;

		for (uint32_t c = 0; c < ST_CTR + s->nc; c++, st++) {
			if (c < ST_CTR) {
				e->st_count[st] = s->nsamples;
			} else {
				run += e->diff[d0 + c - ST_CTR];
				e->st_count[st] = run;
			}
			e->st_start[st] = (uint32_t)nvalues;
			e->st_pos[st] = (uint32_t)nvalues;
			nvalues += e->st_count[st];
		}
	}
	if (ENSURE(e, x, nvalues + 1))
		return -ENOMEM;
	if (v2)
		return enc_columns2(e, rec, n, nstreams, nvalues, base_ts);
	memset(e->st_neg, 0, nstreams);
	base = e->col[COL_BASE].p;
	memset(base, 0, 8 * nctr);
	e->col[COL_BASE].len = 8 * nctr;

	/* Pass B: every value into its stream. */
	for (size_t i = 0; i < n; i++) {
		const struct enc_slot *s = &e->slots[e->s_slot[i]];
		uint32_t st0 = s->stream0 + ST_CTR + e->s_first[i];
		uint32_t b0 = st0 - ST_CTR * (e->s_slot[i] + 1);
		const uint8_t *v = rec + e->s_off[i] + HWS_SAMPLE_HDR_LEN;
		uint32_t cnt = e->s_count[i];
		uint64_t d;

		d = e->ts_res[i];
		e->x[e->st_pos[s->stream0 + ST_TS]++] = d;
		e->st_neg[s->stream0 + ST_TS] |= (uint8_t)(d >> 63);
		d = e->seq_res[i];
		e->x[e->st_pos[s->stream0 + ST_SEQ]++] = d;
		e->st_neg[s->stream0 + ST_SEQ] |= (uint8_t)(d >> 63);
		for (uint32_t c = 0; c < cnt; c++) {
			uint32_t st = st0 + c;
			uint64_t value = hwsi_get64(v + 8 * c);

			/* a stream's first value is its base: delta 0 */
			if (e->st_pos[st] == e->st_start[st]) {
				hwsi_put64(base + 8 * (size_t)(b0 + c), value);
				e->st_prev[st] = value;
			}
			d = value - e->st_prev[st];
			e->st_prev[st] = value;
			e->x[e->st_pos[st]++] = d;
			e->st_neg[st] |= (uint8_t)(d >> 63);
		}
	}

	/* Pass C: widths, exceptions and packed bits, stream by stream. */
	vcap = 0;
	ecap = 0;
	for (size_t st = 0; st < nstreams; st++) {
		vcap += 8 * (size_t)e->st_count[st] + 8;
		ecap += 20 + 19 * (size_t)e->st_count[st];
	}
	if (buf_reserve(&e->col[COL_VAL], vcap) ||
	    buf_reserve(&e->col[COL_EXC], ecap))
		return -ENOMEM;
	val = e->col[COL_VAL].p;
	exc = e->col[COL_EXC].p;
	for (size_t st = 0; st < nstreams; st++)
		enc_stream(e->x + e->st_start[st], e->st_count[st],
			   e->st_neg[st], &val, &exc, &e->col[COL_MODES].p[st]);
	e->col[COL_MODES].len = nstreams;
	e->col[COL_VAL].len = (size_t)(val - e->col[COL_VAL].p);
	e->col[COL_EXC].len = (size_t)(exc - e->col[COL_EXC].p);
	return 0;
}

int hwsi_enc_chunk(struct hws_enc *e, const void *rec, size_t len,
		  uint32_t nr_records, bool force_raw, const void **out,
		  size_t *out_len, uint16_t *encoding)
{
	uint64_t base_ts;
	size_t total;
	uint8_t *p;
	int err;

	if (force_raw)
		goto raw;
	err = enc_columns(e, rec, len, nr_records, &base_ts);
	if (err)
		return err;
	total = 3 * 10 + NR_COLS * 10;
	for (int i = 0; i < NR_COLS; i++)
		total += e->col[i].len;
	e->out.len = 0;
	if (buf_reserve(&e->out, total))
		return -ENOMEM;
	p = e->out.p;
	p = hwsi_put_varint(p, nr_records);
	p = hwsi_put_varint(p, e->nr_slots);
	p = hwsi_put_varint(p, base_ts);
	/* COLUMNS2 has no BASE column: first values are in the headers */
	for (int i = 0; i < NR_COLS; i++)
		if (i != COL_BASE || e->encoding == HWS_ENC_COLUMNS)
			p = hwsi_put_varint(p, e->col[i].len);
	for (int i = 0; i < NR_COLS; i++) {
		hwsi_copy(p, e->col[i].p, e->col[i].len);
		p += e->col[i].len;
	}
	e->out.len = (size_t)(p - e->out.p);
	/* Columns that do not pay (e.g. no samples at all): keep the records. */
	if (e->out.len >= len)
		goto raw;
	*out = e->out.p;
	*out_len = e->out.len;
	*encoding = e->encoding;
	return 0;
raw:
	*out = rec;
	*out_len = len;
	*encoding = HWS_ENC_RAW;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Decoder                                                             */

struct dec_slot {
	uint32_t id;
	uint32_t nc;
	uint32_t stream0;
	uint32_t first;
	uint32_t count;
	uint32_t nsamples;
	bool shaped;
	uint64_t seq_base;
	uint64_t prev_seq;
	uint64_t prev_gap;
	bool tsgap;		/* COLUMNS2: TS(s) is gaps, not ts - base_ts */
};

struct dec_stream {
	uint64_t n;		/* values */
	const uint8_t *bits;	/* packed low bits */
	const uint8_t *gaps;	/* exception gaps */
	const uint8_t *highs;	/* packed high parts of the exceptions */
	uint64_t nexc;		/* exceptions */
	uint8_t width;
	uint8_t hwidth;		/* of the high parts */
	uint8_t zigzag;
	uint8_t mode;		/* COLUMNS2 */
	uint64_t nv;		/* COLUMNS2: values, the first included */
	uint64_t first;		/* COLUMNS2: the first value */
	uint64_t ref;		/* COLUMNS2: added to every residual */
	uint64_t slope;		/* COLUMNS2, MODE2_LINEAR */
};

struct hws_dec {
	ARR(struct dec_slot, slots);
	ARR(uint32_t, diff);
	ARR(struct dec_stream, st);
	ARR(uint64_t, vals);	/* every stream decoded, one after another */
	ARR(const uint64_t *, cur);	/* per stream: its next value */
};

struct hws_dec *hwsi_dec_new(void)
{
	return calloc(1, sizeof(struct hws_dec));
}

void hwsi_dec_free(struct hws_dec *d)
{
	if (!d)
		return;
	free(d->slots);
	free(d->diff);
	free(d->st);
	free(d->vals);
	free(d->cur);
	free(d);
}

struct col {
	const uint8_t *p;
	const uint8_t *end;
};

/* Slot and shape of the next sample; every bound checked. */
static int dec_sample_shape(struct hws_dec *d, struct col *src,
			    struct col *shape, uint64_t nr_slots,
			    struct dec_slot **sp)
{
	struct dec_slot *s;
	uint64_t v, first, count;

	if (hwsi_get_varint(&src->p, src->end, &v) || v >= nr_slots)
		return -EBADMSG;
	s = &d->slots[v];
	if (shape->p == shape->end)
		return -EBADMSG;
	switch (*shape->p++) {
	case 0:
		if (!s->shaped)
			return -EBADMSG;
		break;
	case 1:
		if (hwsi_get_varint(&shape->p, shape->end, &first) ||
		    hwsi_get_varint(&shape->p, shape->end, &count))
			return -EBADMSG;
		if (count > MAX_COUNT || first > s->nc ||
		    count > s->nc - first)
			return -EBADMSG;
		s->first = (uint32_t)first;
		s->count = (uint32_t)count;
		s->shaped = true;
		break;
	default:
		return -EBADMSG;
	}
	*sp = s;
	return 0;
}

/* A verbatim record at the head of the raw column; returns its length. */
static long dec_raw_len(const struct col *raw)
{
	size_t rem = (size_t)(raw->end - raw->p);
	uint16_t rlen;

	if (rem < HWS_REC_HDR_LEN)
		return -EBADMSG;
	rlen = hwsi_rec_len(raw->p);
	if (rlen < HWS_REC_HDR_LEN || rlen % 8 || rlen > rem)
		return -EBADMSG;
	return rlen;
}

/*
 * Check a stream's exception list: indices rising and below n, high parts
 * fitting above the width.
 */
static int dec_stream_exc(struct dec_stream *t, struct col *exc)
{
	uint64_t nexc, idx = 0, gap;
	size_t hlen;

	t->nexc = 0;
	if (hwsi_get_varint(&exc->p, exc->end, &nexc) || nexc > t->n)
		return -EBADMSG;
	if (!nexc)
		return 0;
	if (exc->p == exc->end)
		return -EBADMSG;
	t->hwidth = *exc->p++;
	if (!t->hwidth || t->hwidth > 64 - t->width)
		return -EBADMSG;
	t->gaps = exc->p;
	for (uint64_t i = 0; i < nexc; i++) {
		if (hwsi_get_varint(&exc->p, exc->end, &gap) || gap >= t->n - idx)
			return -EBADMSG;
		idx += gap + 1;
	}
	hlen = packed_len(nexc, t->hwidth);
	if (hlen > (size_t)(exc->end - exc->p))
		return -EBADMSG;
	t->highs = exc->p;
	exc->p += hlen;
	t->nexc = nexc;
	return 0;
}

/*
 * All n values of a checked stream into @out: low bits, exceptions patched
 * in, zigzag undone. Whole streams in tight loops rather than value by
 * value as records are rebuilt: that is what makes decoding fast.
 */
static void dec_unpack(const struct dec_stream *t, uint64_t *out,
		       const uint8_t *lim)
{
	uint64_t mask = low_mask(t->width), pos = 0, i = 0, idx = 0;
	const uint8_t *g = t->gaps;
	unsigned int w = t->width;

	if (!w) {
		memset(out, 0, t->n * sizeof(*out));
	} else {
		for (; i < t->n; i++, pos += w) {
			const uint8_t *p = t->bits + pos / 8;
			unsigned int sh = pos % 8;
			uint64_t v;

			if (lim - p < 9)
				break;
			v = hwsi_get64(p) >> sh;
			if (sh + w > 64)
				v |= (uint64_t)p[8] << (64 - sh);
			out[i] = v & mask;
		}
		for (; i < t->n; i++)
			out[i] = get_bits(t->bits, i, w, lim);
	}
	for (uint64_t j = 0; j < t->nexc; j++) {
		uint64_t gap = 0;

		hwsi_get_varint(&g, lim, &gap);
		idx += gap + (j ? 1 : 0);
		out[idx] |= get_bits(t->highs, j, t->hwidth, lim) << w;
	}
	if (t->zigzag)
		for (i = 0; i < t->n; i++)
			out[i] = unzigzag(out[i]);
}

/*
 * The values of a checked COLUMNS2 stream with t->n packed residuals into
 * @out: the first, then each from the previous one or from the line, plus
 * ref, plus its residual. Returns how many (t->n + 1).
 */
static uint64_t dec_values2(const struct dec_stream *t, uint64_t *out,
			    const uint8_t *lim)
{
	uint64_t acc = t->first;

	if (!t->nv)
		return 0;
	out[0] = acc;
	dec_unpack(t, out + 1, lim);
	if (t->mode & MODE2_LINEAR) {
		uint64_t line = acc + t->ref;

		for (uint64_t j = 1; j <= t->n; j++) {
			line += t->slope;
			out[j] += line;
		}
	} else {
		for (uint64_t j = 1; j <= t->n; j++)
			out[j] = acc += t->ref + out[j];
	}
	return t->n + 1;
}

/*
 * A COLUMNS2 stream's header (HDR) for n >= 1 values; exceptions and
 * packed bits are checked against their columns. TS streams (@ts) may
 * have MODE2_GAP.
 */
static int dec_stream2(struct dec_stream *t, uint64_t n, bool ts,
		       struct col *hdr, struct col *exc, const uint8_t **bits,
		       const uint8_t *bits_end)
{
	uint64_t v;
	size_t plen;

	if (hdr->p == hdr->end)
		return -EBADMSG;
	t->mode = *hdr->p++;
	if (t->mode & ~(MODE2_LINEAR | (ts ? MODE2_GAP : 0)))
		return -EBADMSG;
	if (hwsi_get_varint(&hdr->p, hdr->end, &t->first))
		return -EBADMSG;
	t->nv = n;
	t->n = n - 1;		/* packed residuals: all but the first */
	if (n < 2)
		return t->mode & MODE2_LINEAR ? -EBADMSG : 0;
	if (hwsi_get_varint(&hdr->p, hdr->end, &v))
		return -EBADMSG;
	t->ref = unzigzag(v);
	if (t->mode & MODE2_LINEAR) {
		if (hwsi_get_varint(&hdr->p, hdr->end, &v))
			return -EBADMSG;
		t->slope = unzigzag(v);
	}
	if (hdr->p == hdr->end || *hdr->p > 64)
		return -EBADMSG;
	t->width = *hdr->p++;
	plen = packed_len(t->n, t->width);
	if (plen > (size_t)(bits_end - *bits))
		return -EBADMSG;
	t->bits = *bits;
	*bits += plen;
	return dec_stream_exc(t, exc);
}

static int dec_columns(struct hws_dec *d, const uint8_t *in, size_t in_len,
		       uint8_t *out, size_t raw_len, uint32_t nr_records,
		       bool v2)
{
	const uint8_t *p = in, *end = in + in_len;
	uint64_t nrec, nslots, base_ts, len[NR_COLS];
	uint64_t nstreams = 0, nctr = 0, nsamples = 0, out_total = 0;
	struct col c[NR_COLS], src, shape, raw, exc;
	uint64_t last_ts, nvals;
	const uint8_t *bits;
	uint64_t *v;
	size_t o;

	if (hwsi_get_varint(&p, end, &nrec) || hwsi_get_varint(&p, end, &nslots) ||
	    hwsi_get_varint(&p, end, &base_ts))
		return -EBADMSG;
	if (nrec != nr_records || nslots > MAX_SLOTS)
		return -EBADMSG;
	for (int i = 0; i < NR_COLS; i++) {
		len[i] = 0;
		/* COLUMNS2 has no BASE column */
		if ((!v2 || i != COL_BASE) && hwsi_get_varint(&p, end, &len[i]))
			return -EBADMSG;
	}
	for (int i = 0; i < NR_COLS; i++) {
		if (len[i] > (uint64_t)(end - p))
			return -EBADMSG;
		c[i].p = p;
		c[i].end = p + len[i];
		p += len[i];
	}
	if (p != end || len[COL_TAG] != nrec)
		return -EBADMSG;

	/* Slot table */
	if (ENSURE(d, slots, nslots + 1))
		return -ENOMEM;
	for (uint64_t i = 0; i < nslots; i++) {
		struct dec_slot *s = &d->slots[i];
		uint64_t id, nc, seq = 0;

		if (hwsi_get_varint(&c[COL_SRCTAB].p, c[COL_SRCTAB].end, &id) ||
		    hwsi_get_varint(&c[COL_SRCTAB].p, c[COL_SRCTAB].end, &nc) ||
		    (!v2 && hwsi_get_varint(&c[COL_SRCTAB].p, c[COL_SRCTAB].end,
				       &seq)))
			return -EBADMSG;
		if (id > UINT32_MAX || nc > MAX_NC ||
		    nstreams + ST_CTR + nc > MAX_STREAMS)
			return -EBADMSG;
		memset(s, 0, sizeof(*s));
		s->id = (uint32_t)id;
		s->nc = (uint32_t)nc;
		s->stream0 = (uint32_t)nstreams;
		s->seq_base = seq;
		nstreams += ST_CTR + nc;
		nctr += nc;
	}
	if (c[COL_SRCTAB].p != c[COL_SRCTAB].end)
		return -EBADMSG;
	if (ENSURE(d, diff, nctr + nslots + 1) || ENSURE(d, st, nstreams + 1))
		return -ENOMEM;
	memset(d->diff, 0, (nctr + nslots + 1) * sizeof(*d->diff));

	/* Pass 1: shapes, sizes and the number of values of each stream. */
	src = c[COL_SRC];
	shape = c[COL_SHAPE];
	raw = c[COL_RAW];
	for (uint64_t i = 0; i < nrec; i++) {
		struct dec_slot *s;
		uint32_t si, d0;
		long rlen;

		switch (c[COL_TAG].p[i]) {
		case TAG_RAW:
			rlen = dec_raw_len(&raw);
			if (rlen < 0)
				return -EBADMSG;
			raw.p += rlen;
			out_total += (uint64_t)rlen;
			break;
		case TAG_SAMPLE:
			if (dec_sample_shape(d, &src, &shape, nslots, &s))
				return -EBADMSG;
			si = (uint32_t)(s - d->slots);
			d0 = s->stream0 - ST_CTR * si + si;
			d->diff[d0 + s->first]++;
			d->diff[d0 + s->first + s->count]--;
			s->nsamples++;
			out_total += HWS_SAMPLE_HDR_LEN + 8 * (uint64_t)s->count;
			nsamples++;
			break;
		default:
			return -EBADMSG;
		}
		if (out_total > raw_len)
			return -EBADMSG;
	}
	if (out_total != raw_len || raw.p != raw.end || src.p != src.end ||
	    shape.p != shape.end)
		return -EBADMSG;

	/* Stream layout: counts, widths, bases, exceptions, packed bits. */
	if (!v2 && (len[COL_MODES] != nstreams || len[COL_BASE] != 8 * nctr))
		return -EBADMSG;
	bits = c[COL_VAL].p;
	exc = c[COL_EXC];
	nvals = 0;
	for (uint64_t i = 0; i < nslots; i++) {
		struct dec_slot *s = &d->slots[i];
		uint32_t d0 = s->stream0 - ST_CTR * (uint32_t)i + (uint32_t)i;
		uint32_t run = 0;

		for (uint32_t k = 0; k < ST_CTR + s->nc; k++) {
			struct dec_stream *t = &d->st[s->stream0 + k];
			uint8_t m;
			size_t plen;

			memset(t, 0, sizeof(*t));
			if (k < ST_CTR) {
				t->n = s->nsamples;
			} else {
				run += d->diff[d0 + k - ST_CTR];
				t->n = run;
			}
			nvals += t->n;
			if (v2) {
				if (t->n && dec_stream2(t, t->n, k == ST_TS,
							&c[COL_MODES], &exc,
							&bits, c[COL_VAL].end))
					return -EBADMSG;
				if (k == ST_TS)
					s->tsgap = t->mode & MODE2_GAP;
				continue;
			}
			m = c[COL_MODES].p[s->stream0 + k];
			t->width = m & MODE_WIDTH;
			t->zigzag = !!(m & MODE_ZIGZAG);
			if (t->width > 64)
				return -EBADMSG;
			plen = packed_len(t->n, t->width);
			if (plen > (size_t)(c[COL_VAL].end - bits))
				return -EBADMSG;
			t->bits = bits;
			bits += plen;
			if (dec_stream_exc(t, &exc))
				return -EBADMSG;
		}
	}
	if (bits != c[COL_VAL].end || exc.p != exc.end ||
	    (v2 && c[COL_MODES].p != c[COL_MODES].end))
		return -EBADMSG;

	/*
	 * Every stream decoded, and turned into what the records hold: a
	 * source's gaps, its sequence numbers, each counter's values. The
	 * values are at most about raw_len / 4 numbers: bounded by the chunk.
	 */
	if (ENSURE(d, vals, nvals + 1) || ENSURE(d, cur, nstreams + 1))
		return -ENOMEM;
	v = d->vals;
	for (uint64_t i = 0; i < nslots; i++) {
		struct dec_slot *s = &d->slots[i];
		uint32_t b0 = s->stream0 - ST_CTR * (uint32_t)i;

		for (uint32_t k = 0; k < ST_CTR + s->nc; k++) {
			struct dec_stream *t = &d->st[s->stream0 + k];
			uint64_t acc;

			d->cur[s->stream0 + k] = v;
			if (v2) {
				v += dec_values2(t, v, end);
				continue;
			}
			dec_unpack(t, v, end);
			if (k == ST_TS) {
				acc = 0;
				for (uint64_t j = 0; j < t->n; j++)
					v[j] = acc += v[j];
			} else if (k == ST_SEQ) {
				acc = s->seq_base - 1;
				for (uint64_t j = 0; j < t->n; j++)
					v[j] = acc += 1 + v[j];
			} else {
				acc = hwsi_get64(c[COL_BASE].p +
						8 * (size_t)(b0 + k - ST_CTR));
				for (uint64_t j = 0; j < t->n; j++)
					v[j] = acc += v[j];
			}
			v += t->n;
		}
		s->shaped = false;
	}

	/* Pass 2: the records. Everything was bounds-checked above. */
	src = c[COL_SRC];
	shape = c[COL_SHAPE];
	raw = c[COL_RAW];
	last_ts = base_ts;
	o = 0;
	for (uint64_t i = 0; i < nrec; i++) {
		const uint64_t **cu;
		struct dec_slot *s;
		uint8_t *r = out + o;
		uint64_t ts, seq;
		long rlen;

		if (c[COL_TAG].p[i] == TAG_RAW) {
			rlen = dec_raw_len(&raw);
			if (rlen < 0)
				return -EBADMSG;
			memcpy(r, raw.p, (size_t)rlen);
			raw.p += rlen;
			o += (size_t)rlen;
			continue;
		}
		if (dec_sample_shape(d, &src, &shape, nslots, &s))
			return -EBADMSG;
		/* cursors of one slot's streams sit together: the hot loop */
		cu = d->cur + s->stream0;
		if (v2 && !s->tsgap)
			ts = base_ts + *cu[ST_TS]++;
		else
			ts = last_ts + *cu[ST_TS]++;
		last_ts = ts;
		seq = *cu[ST_SEQ]++;

		hwsi_put16(r, HWSTATS_REC_SAMPLE);
		hwsi_put16(r + 2, (uint16_t)(HWS_SAMPLE_HDR_LEN + 8 * s->count));
		hwsi_put32(r + 4, s->id);
		hwsi_put64(r + 8, ts);
		hwsi_put64(r + 16, seq);
		hwsi_put32(r + 24, s->first);
		hwsi_put32(r + 28, 0);
		r += HWS_SAMPLE_HDR_LEN;
		cu += ST_CTR + s->first;
		for (uint32_t k = 0; k < s->count; k++)
			hwsi_put64(r + 8 * (size_t)k, *cu[k]++);
		o += HWS_SAMPLE_HDR_LEN + 8 * (size_t)s->count;
	}
	return o == raw_len ? 0 : -EBADMSG;
}

int hwsi_dec_chunk(struct hws_dec *d, uint16_t encoding, const void *in,
		  size_t in_len, void *out, size_t raw_len,
		  uint32_t nr_records)
{
	switch (encoding) {
	case HWS_ENC_RAW: {
		const uint8_t *p = in;
		size_t off = 0;
		uint64_t n = 0;

		if (in_len != raw_len ||
		    hws_stream_check(in, in_len, NULL) != (long)in_len)
			return -EBADMSG;
		for (; off < in_len; n++)
			off += hwsi_rec_len(p + off);
		if (n != nr_records)
			return -EBADMSG;
		memcpy(out, in, raw_len);
		return 0;
	}
	case HWS_ENC_COLUMNS:
		return dec_columns(d, in, in_len, out, raw_len, nr_records,
				   false);
	case HWS_ENC_COLUMNS2:
		return dec_columns(d, in, in_len, out, raw_len, nr_records,
				   true);
	default:
		return -EPROTONOSUPPORT;
	}
}
