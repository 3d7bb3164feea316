// SPDX-License-Identifier: MIT
/*
 * The .hws writer.
 *
 * Each CPU's records collect in that CPU's buffer until a chunk is full (by
 * bytes or by the time its records span). The thread that fills it encodes
 * and compresses the chunk itself, under the CPU's own lock only, so CPUs
 * compress in parallel; only the write of the finished frames takes the
 * file lock. A chunk's header frame and data frame leave in one write
 * sequence, so a crash leaves at most one partial chunk at the end, and a
 * failed write is cut off again with ftruncate(): whatever happens, the file
 * ends on a frame boundary and every chunk before the failure stays
 * readable. After a write error the writer writes nothing more and closes
 * without a footer, so a reader sees that the recording did not end well.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zstd.h>

#include "hws_internal.h"

#define DEFAULT_LEVEL		3
#define DEFAULT_CHUNK_BYTES	(1U << 20)
#define DEFAULT_INDEX_EVERY	64U

/* What one CPU has collected for its next chunk. */
struct hws_cpu_state {
	pthread_mutex_t lock;
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint32_t nr_records;
	uint64_t first_ts;	/* min and max of the records' ts */
	uint64_t last_ts;
	bool chunk_has_subbuf;
	uint64_t seq_first;
	uint64_t seq_last;
	/* carried from chunk to chunk */
	bool seen_subbuf;
	uint64_t cur_seq;	/* of the newest sub-buffer header */
	uint64_t lost;
	int level;		/* zstd level of this CPU's next chunk */
	bool raw;		/* its next chunks: records as they are */
};

/* Encoder and compressor state: one per thread compressing at a time. */
struct hws_ctx {
	struct hws_ctx *next;
	struct hws_enc *enc;
	ZSTD_CCtx *cctx;
	uint8_t *out;
	size_t out_cap;
	int level;		/* the level cctx is set to */
};

struct hws_writer {
	int fd;
	bool seekable;
	uint64_t base;		/* fd offset where the file starts */
	struct hws_writer_opts opts;
	uint32_t nr_cpus;
	struct hws_cpu_state *cpus;
	uint32_t chunk_hdr_len;	/* payload bytes of chunk headers */

	pthread_mutex_t lock;	/* everything below */
	uint64_t off;		/* bytes written */
	int err;		/* first write error: no more writes */
	uint64_t chunk_seq;
	uint64_t nr_records;
	uint64_t raw_written;
	struct hws_index_entry *pending;
	uint32_t nr_pending;
	struct hws_index_ref *refs;
	size_t nr_refs;
	size_t cap_refs;
	struct hws_ctx *free_ctx;
	uint32_t *ids;		/* sources described: header and frames */
	size_t nr_ids;
	size_t cap_ids;
	int level_min;		/* of the chunks written; 0: none yet */
	int level_max;
	uint64_t nr_raw_rung;	/* chunks stored raw on hwsi_writer_set_raw() */

	uint64_t raw_in;	/* atomic */
};

static int opts_load(struct hws_writer_opts *dst,
		     const struct hws_writer_opts *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src) {
		size_t sz = src->sz;

		if (sz < sizeof(src->sz))
			return -EINVAL;
		/* A newer caller's extra fields must be zero: we ignore them. */
		for (size_t i = sizeof(*dst); i < sz; i++)
			if (((const uint8_t *)src)[i])
				return -EINVAL;
		memcpy(dst, src, sz < sizeof(*dst) ? sz : sizeof(*dst));
	}
	dst->sz = sizeof(*dst);
	if (!dst->level)
		dst->level = DEFAULT_LEVEL;
	if (dst->level < ZSTD_minCLevel() || dst->level > ZSTD_maxCLevel())
		return -EINVAL;
	if (!dst->chunk_bytes)
		dst->chunk_bytes = DEFAULT_CHUNK_BYTES;
	if (dst->chunk_bytes > HWS_MAX_CHUNK_RAW)
		return -EINVAL;
	if (!dst->index_every)
		dst->index_every = DEFAULT_INDEX_EVERY;
	if (dst->index_every > HWS_MAX_INDEX_ENTRIES)
		return -EINVAL;
	return 0;
}

static int header_valid(const struct hws_header *h)
{
	if (!h || h->nr_cpus == 0 || h->nr_cpus > HWS_MAX_CPUS)
		return -EINVAL;
	if (h->nr_sources && !h->sources)
		return -EINVAL;
	for (uint32_t i = 0; i < h->nr_sources; i++)
		if (h->sources[i].nr_counters && !h->sources[i].counters)
			return -EINVAL;
	if (hwsi_header_frame_len(h) > HWS_MAX_HEADER_LEN)
		return -E2BIG;
	return 0;
}

int hws_writer_header_check(const struct hws_header *hdr)
{
	return header_valid(hdr);
}

/*
 * Write @n pieces at the end of the file, without gathering them into one
 * buffer first; on failure cut the file back (a pipe cannot be cut: a
 * reader then sees one truncated frame). @iov is consumed (its entries are
 * advanced past what was written).
 */
static int file_putv(struct hws_writer *w, struct iovec *iov, int n)
{
	size_t len = 0, done = 0;
	int err;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	while (done < len) {
		ssize_t k;

		while (n && !iov->iov_len) {
			iov++;
			n--;
		}
		k = w->seekable ?
			pwritev(w->fd, iov, n > IOV_MAX ? IOV_MAX : n,
				(off_t)(w->base + w->off + done)) :
			writev(w->fd, iov, n > IOV_MAX ? IOV_MAX : n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto fail;
		}
		if (k == 0) {
			err = -EIO;
			goto fail;
		}
		done += (size_t)k;
		while (k) {
			size_t m = (size_t)k < iov->iov_len ? (size_t)k :
				   iov->iov_len;

			iov->iov_base = (uint8_t *)iov->iov_base + m;
			iov->iov_len -= m;
			k -= (ssize_t)m;
			if (!iov->iov_len && k) {
				iov++;
				n--;
			}
		}
	}
	__atomic_store_n(&w->off, w->off + len, __ATOMIC_RELAXED);
	return 0;
fail:
	if (done && w->seekable)
		while (ftruncate(w->fd, (off_t)(w->base + w->off)) < 0 &&
		       errno == EINTR)
			;
	return err;
}

/* Write all of @buf at the end of the file; on failure cut it off again. */
static int file_put(struct hws_writer *w, const void *buf, size_t len)
{
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };

	return file_putv(w, &v, 1);
}

static void writer_fail(struct hws_writer *w, int err)
{
	if (!w->err)
		__atomic_store_n(&w->err, err, __ATOMIC_RELAXED);
}

/*
 * A context from the pool, one last used at @level if there is one: zstd
 * keeps its tables between frames of the same parameters, but a context
 * that changes level must reset them, and with CPUs at different levels a
 * pool that hands out contexts in any order would change level at nearly
 * every chunk.
 */
static struct hws_ctx *ctx_get(struct hws_writer *w, int level)
{
	struct hws_ctx *c, **pp;

	pthread_mutex_lock(&w->lock);
	for (pp = &w->free_ctx; *pp && (*pp)->level != level; pp = &(*pp)->next)
		;
	if (!*pp)
		pp = &w->free_ctx;
	c = *pp;
	if (c)
		*pp = c->next;
	pthread_mutex_unlock(&w->lock);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->enc = hwsi_enc_new();
	c->cctx = ZSTD_createCCtx();
	c->level = w->opts.level;
	if (!c->enc || !c->cctx)
		goto err;
	/* Checksums and sizes in every frame: readers rely on both. */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx,
						ZSTD_c_compressionLevel,
						w->opts.level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_checksumFlag,
						1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx,
						ZSTD_c_contentSizeFlag, 1)))
		goto err;
	return c;
err:
	hwsi_enc_free(c->enc);
	ZSTD_freeCCtx(c->cctx);
	free(c);
	return NULL;
}

static void ctx_put(struct hws_writer *w, struct hws_ctx *c)
{
	pthread_mutex_lock(&w->lock);
	c->next = w->free_ctx;
	w->free_ctx = c;
	pthread_mutex_unlock(&w->lock);
}

static void ctx_free(struct hws_ctx *c)
{
	hwsi_enc_free(c->enc);
	ZSTD_freeCCtx(c->cctx);
	free(c->out);
	free(c);
}

static size_t index_frame_len(uint32_t n)
{
	return HWS_SKIP_HDR + HWS_INDEX_FIXED +
	       (size_t)n * HWS_INDEX_ENTRY_LEN + 4;
}

static void index_frame_encode(struct hws_writer *w, uint8_t *frame)
{
	uint32_t plen = (uint32_t)(index_frame_len(w->nr_pending) -
				   HWS_SKIP_HDR);
	uint8_t *p = frame + HWS_SKIP_HDR;

	hwsi_frame_begin(frame, HWS_MAGIC_INDEX, HWS_SIG_INDEX, plen);
	hwsi_put32(p + 8, w->nr_pending);
	hwsi_put32(p + 12, HWS_INDEX_ENTRY_LEN);
	for (uint32_t i = 0; i < w->nr_pending; i++)
		hwsi_index_entry_encode(p + HWS_INDEX_FIXED +
				       (size_t)i * HWS_INDEX_ENTRY_LEN,
				       &w->pending[i]);
	hwsi_frame_seal(frame, plen);
}

/* Remember where the index frame about to be written at w->off goes. */
static int index_ref_add(struct hws_writer *w)
{
	struct hws_index_ref r = {
		.offset = w->off,
		.min_first_ts = UINT64_MAX,
		.nr_entries = w->nr_pending,
	};

	if (w->nr_refs == w->cap_refs) {
		size_t cap = w->cap_refs ? 2 * w->cap_refs : 64;
		struct hws_index_ref *n = realloc(w->refs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		w->refs = n;
		w->cap_refs = cap;
	}
	for (uint32_t i = 0; i < w->nr_pending; i++) {
		if (w->pending[i].first_ts < r.min_first_ts)
			r.min_first_ts = w->pending[i].first_ts;
		if (w->pending[i].last_ts > r.max_last_ts)
			r.max_last_ts = w->pending[i].last_ts;
	}
	w->refs[w->nr_refs++] = r;
	return 0;
}

/* Write an index frame of the pending entries. Called with w->lock. */
static int index_flush(struct hws_writer *w)
{
	size_t len = index_frame_len(w->nr_pending);
	uint8_t *frame;
	int err;

	if (!w->nr_pending)
		return 0;
	frame = malloc(len);
	if (!frame)
		return -ENOMEM;
	index_frame_encode(w, frame);
	err = index_ref_add(w);
	if (!err) {
		err = file_put(w, frame, len);
		if (err)
			w->nr_refs--;
	}
	free(frame);
	if (!err)
		w->nr_pending = 0;
	return err;
}

/* XXH64 (seed 0) of @len bytes: the content checksum of a zstd frame. */
#define XXH_P1 0x9E3779B185EBCA87ULL
#define XXH_P2 0xC2B2AE3D27D4EB4FULL
#define XXH_P3 0x165667B19E3779F9ULL
#define XXH_P4 0x85EBCA77C2B2AE63ULL
#define XXH_P5 0x27D4EB2F165667C5ULL

static inline uint64_t xxh_rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t xxh_round(uint64_t acc, uint64_t in)
{
	return xxh_rotl(acc + in * XXH_P2, 31) * XXH_P1;
}

static inline uint64_t xxh_merge(uint64_t h, uint64_t v)
{
	return (h ^ xxh_round(0, v)) * XXH_P1 + XXH_P4;
}

static uint64_t xxh64(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t v1 = XXH_P1 + XXH_P2, v2 = XXH_P2, v3 = 0;
		uint64_t v4 = -XXH_P1;

		for (; end - p >= 32; p += 32) {
			v1 = xxh_round(v1, hwsi_get64(p));
			v2 = xxh_round(v2, hwsi_get64(p + 8));
			v3 = xxh_round(v3, hwsi_get64(p + 16));
			v4 = xxh_round(v4, hwsi_get64(p + 24));
		}
		h = xxh_rotl(v1, 1) + xxh_rotl(v2, 7) + xxh_rotl(v3, 12) +
		    xxh_rotl(v4, 18);
		h = xxh_merge(xxh_merge(xxh_merge(xxh_merge(h, v1), v2), v3),
			      v4);
	} else {
		h = XXH_P5;
	}
	h += len;
	for (; end - p >= 8; p += 8)
		h = xxh_rotl(h ^ xxh_round(0, hwsi_get64(p)), 27) * XXH_P1 +
		    XXH_P4;
	if (end - p >= 4) {
		h = xxh_rotl(h ^ (uint64_t)hwsi_get32(p) * XXH_P1, 23) * XXH_P2 +
		    XXH_P3;
		p += 4;
	}
	for (; p < end; p++)
		h = xxh_rotl(h ^ *p * XXH_P5, 11) * XXH_P1;
	h ^= h >> 33;
	h *= XXH_P2;
	h ^= h >> 29;
	h *= XXH_P3;
	return h ^ (h >> 32);
}

/* Largest content of a stored frame: 64 MiB, 512 blocks. */
#define STORED_MAX_BLOCKS	(HWS_MAX_CHUNK_RAW / HWS_STORED_BLOCK + 1)

/*
 * A regular zstd frame of raw blocks (RFC 8878: no compression, no
 * entropy coding; content size and checksum present, single segment) for
 * the @len bytes at @in, as pieces: @hdr (9 bytes), @bh (3 bytes a
 * block), the content itself (not copied) and @sum (4 bytes), described
 * in @iov (at most 2 * blocks + 2 entries, returned); *@crc gets the
 * frame's CRC32C and *@flen its length. Any zstd decoder reads it.
 */
static int stored_frame(const uint8_t *in, size_t len, uint8_t *hdr,
			uint8_t *bh, uint8_t *sum, struct iovec *iov,
			uint32_t *crc, size_t *flen)
{
	size_t off = 0;
	int n = 0;

	hwsi_put32(hdr, 0xFD2FB528);		/* magic */
	hdr[4] = 2 << 6 | 1 << 5 | 1 << 2;	/* FCS 4 bytes, single segment,
						 * checksum */
	hwsi_put32(hdr + 5, (uint32_t)len);
	iov[n++] = (struct iovec){ hdr, 9 };
	*crc = hwsi_crc32c(0, hdr, 9);
	*flen = 9 + len + 4;
	do {
		size_t k = len - off < HWS_STORED_BLOCK ? len - off :
			   HWS_STORED_BLOCK;
		uint32_t h = (uint32_t)k << 3 | (off + k == len); /* raw */

		bh[0] = (uint8_t)h;
		bh[1] = (uint8_t)(h >> 8);
		bh[2] = (uint8_t)(h >> 16);
		iov[n++] = (struct iovec){ bh, 3 };
		iov[n++] = (struct iovec){ (void *)(in + off), k };
		*crc = hwsi_crc32c(hwsi_crc32c(*crc, bh, 3), in + off, k);
		*flen += 3;
		bh += 3;
		off += k;
	} while (off < len);
	hwsi_put32(sum, (uint32_t)xxh64(in, len));
	iov[n++] = (struct iovec){ sum, 4 };
	*crc = hwsi_crc32c(*crc, sum, 4);
	return n;
}

static void cpu_reset_chunk(struct hws_cpu_state *c)
{
	c->len = 0;
	c->nr_records = 0;
	c->first_ts = UINT64_MAX;
	c->last_ts = 0;
	c->chunk_has_subbuf = false;
}

/* Encode, compress and write one CPU's chunk. Called with c->lock held. */
static int cpu_emit(struct hws_writer *w, uint32_t cpu,
		    struct hws_cpu_state *c)
{
	uint32_t hlen = HWS_SKIP_HDR + w->chunk_hdr_len;
	struct hws_chunk_hdr ch = { 0 };
	const void *content;
	size_t clen, bound, zlen;
	uint16_t encoding;
	struct hws_ctx *x;
	int err, level, niov = 0;
	bool rung_raw;
	/* a stored frame's pieces: chunk header, frame header, blocks, sum */
	struct iovec iov[2 * STORED_MAX_BLOCKS + 3];
	uint8_t shdr[9], sbh[3 * STORED_MAX_BLOCKS], ssum[4];

	if (!c->len)
		return 0;
	/* The bottom rung: no column transform, the records as they are. */
	rung_raw = __atomic_load_n(&c->raw, __ATOMIC_RELAXED);
	level = __atomic_load_n(&c->level, __ATOMIC_RELAXED);
	x = ctx_get(w, level);
	if (!x)
		return -ENOMEM;
	/* a negative level: the drain is behind, the columns cost less too */
	hwsi_enc_set_effort(x->enc, level < 0 ? HWSI_ENC_FAST : HWSI_ENC_FULL);
	err = hwsi_enc_chunk(x->enc, c->buf, c->len, c->nr_records,
			    w->opts.raw_chunks || rung_raw, &content, &clen,
			    &encoding);
	if (err)
		goto out;
	bound = hlen + (rung_raw ? 0 : ZSTD_compressBound(clen));
	if (bound > x->out_cap) {
		uint8_t *n = realloc(x->out, bound);

		if (!n) {
			err = -ENOMEM;
			goto out;
		}
		x->out = n;
		x->out_cap = bound;
	}
	if (rung_raw) {
		/* the bottom rung: neither columns nor compression */
		niov = 1 + stored_frame(content, clen, shdr, sbh, ssum,
					iov + 1, &ch.frame_crc, &zlen);
		goto framed;
	}
	if (x->level != level) {
		/* Between frames: the next frame is made at @level. */
		if (ZSTD_isError(ZSTD_CCtx_setParameter(x->cctx,
						ZSTD_c_compressionLevel, level))) {
			err = -EINVAL;
			goto out;
		}
		x->level = level;
	}
	zlen = ZSTD_compress2(x->cctx, x->out + hlen, x->out_cap - hlen,
			      content, clen);
	if (ZSTD_isError(zlen)) {
		err = -EIO;
		goto out;
	}
framed:
	ch.cpu = cpu;
	ch.nr_records = c->nr_records;
	ch.first_ts = c->first_ts;
	ch.last_ts = c->last_ts;
	ch.lost = c->lost;
	if (c->chunk_has_subbuf) {
		ch.seq_first = c->seq_first;
		ch.seq_last = c->seq_last;
	} else {
		/* the records belong to the sub-buffer seen last */
		ch.seq_first = ch.seq_last = c->cur_seq;
	}
	ch.flags = c->seen_subbuf ? HWS_CHUNK_F_SEQ : 0;
	ch.raw_len = c->len;
	ch.content_len = clen;
	ch.frame_len = (uint32_t)zlen;
	if (!niov)
		ch.frame_crc = hwsi_crc32c(0, x->out + hlen, zlen);
	ch.encoding = encoding;

	pthread_mutex_lock(&w->lock);
	err = w->err;
	if (!err) {
		struct hws_index_entry e = {
			.offset = w->off,
			.first_ts = ch.first_ts,
			.last_ts = ch.last_ts,
			.cpu = cpu,
			.nr_records = ch.nr_records,
		};

		ch.chunk_seq = e.chunk_seq = w->chunk_seq;
		hwsi_chunk_hdr_encode_len(x->out, &ch, w->chunk_hdr_len);
		if (niov) {
			iov[0] = (struct iovec){ x->out, hlen };
			err = file_putv(w, iov, niov);
		} else {
			err = file_put(w, x->out, hlen + zlen);
		}
		if (!err && rung_raw) {
			/* stored: no zstd level */
			w->nr_raw_rung++;
		} else if (!err) {
			if (!w->level_min || level < w->level_min)
				w->level_min = level;
			if (!w->level_max || level > w->level_max)
				w->level_max = level;
		}
		if (!err) {
			w->chunk_seq++;
			w->nr_records += ch.nr_records;
			w->raw_written += ch.raw_len;
			w->pending[w->nr_pending++] = e;
			if (w->nr_pending >= w->opts.index_every)
				err = index_flush(w);
		}
		if (err)
			writer_fail(w, err);
	}
	pthread_mutex_unlock(&w->lock);
	if (!err && w->opts.fsync && fsync(w->fd) < 0 && errno != EINVAL)
		err = -errno;
out:
	ctx_put(w, x);
	/* Whatever happened, these records are done with. */
	cpu_reset_chunk(c);
	return err;
}

static int cpu_buf_reserve(struct hws_writer *w, struct hws_cpu_state *c,
			   size_t more)
{
	size_t want = c->len + more, cap;
	uint8_t *n;

	if (want <= c->cap)
		return 0;
	cap = c->cap ? c->cap : 64 * 1024;
	while (cap < want)
		cap *= 2;
	/* A chunk never grows past chunk_bytes plus one record. */
	if (cap > w->opts.chunk_bytes + HWSTATS_REC_MAX_LEN &&
	    want <= w->opts.chunk_bytes + HWSTATS_REC_MAX_LEN)
		cap = w->opts.chunk_bytes + HWSTATS_REC_MAX_LEN;
	n = realloc(c->buf, cap);
	if (!n)
		return -ENOMEM;
	c->buf = n;
	c->cap = cap;
	return 0;
}

/* Note one sub-buffer header record @r in CPU @c's open chunk. */
static void cpu_note_subbuf(struct hws_cpu_state *c, const uint8_t *r)
{
	uint64_t seq = hwsi_get64(r + 24);

	if (!c->chunk_has_subbuf)
		c->seq_first = seq;
	c->seq_last = seq;
	c->chunk_has_subbuf = true;
	c->seen_subbuf = true;
	c->cur_seq = seq;
	c->lost = hwsi_get64(r + 32);
}

/* Copy @n records, @len bytes, whose ts span [@first, @last] (the chunk's
 * earlier records' included), into @c's open chunk. */
static int append_run(struct hws_writer *w, struct hws_cpu_state *c,
		      const uint8_t *p, size_t len, uint32_t n, uint64_t first,
		      uint64_t last)
{
	int err = cpu_buf_reserve(w, c, len);

	if (err)
		return err;
	hwsi_copy(c->buf + c->len, p, len);
	c->len += len;
	c->nr_records += n;
	c->first_ts = first;
	c->last_ts = last;
	return 0;
}

/*
 * One walk over records already checked to be a whole record stream:
 * chunk boundaries, ts range and sub-buffer headers, the records copied in
 * runs (one memcpy per run that goes into one chunk, not one per record).
 */
static int append_walk(struct hws_writer *w, uint32_t cpu, const uint8_t *p,
		       size_t len)
{
	struct hws_cpu_state *c = &w->cpus[cpu];
	size_t off = 0, run = 0;	/* records [run, off) not yet copied */
	uint32_t nrun = 0;		/* how many */
	uint64_t first, last;
	/* in locals: the loop's stores could alias them, as far as C knows */
	const size_t chunk_bytes = w->opts.chunk_bytes;
	const uint64_t chunk_ns = w->opts.chunk_ns;
	size_t held;			/* c->len */
	int err = 0;

	pthread_mutex_lock(&c->lock);
	first = c->first_ts;
	last = c->last_ts;
	held = c->len;
	while (off < len) {
		const uint8_t *r = p + off;
		uint16_t rlen = hwsi_rec_len(r);
		uint64_t ts = hwsi_rec_ts(r);
		size_t have = held + (off - run);

		if (have && (have + rlen > chunk_bytes ||
			     (chunk_ns && ts > first &&
			      ts - first >= chunk_ns))) {
			/* the run so far completes the chunk */
			err = append_run(w, c, p + run, off - run, nrun,
					 first, last);
			if (!err)
				err = cpu_emit(w, cpu, c);
			if (err)
				break;
			run = off;
			nrun = 0;
			first = c->first_ts;
			last = c->last_ts;
			held = c->len;
		}
		nrun++;
		if (ts < first)
			first = ts;
		if (ts > last)
			last = ts;
		if (hwsi_rec_type(r) == HWSTATS_REC_SUBBUF &&
		    rlen >= HWS_SUBBUF_LEN &&
		    hwsi_get32(r + 16) == HWSTATS_SUBBUF_MAGIC)
			cpu_note_subbuf(c, r);
		off += rlen;
	}
	if (!err && nrun)
		err = append_run(w, c, p + run, off - run, nrun, first, last);
	pthread_mutex_unlock(&c->lock);
	__atomic_add_fetch(&w->raw_in, off, __ATOMIC_RELAXED);
	return err;
}

int hws_writer_append(struct hws_writer *w, uint32_t cpu,
		      const void *records, size_t len)
{
	long ok;

	if (!w || cpu >= w->nr_cpus || (!records && len))
		return -EINVAL;
	ok = hws_stream_check(records, len, NULL);
	if (ok < 0 || (size_t)ok != len)
		return -EINVAL;
	return hwsi_writer_append_checked(w, cpu, records, len);
}

int hwsi_writer_append_checked(struct hws_writer *w, uint32_t cpu,
			       const void *records, size_t len)
{
	int err;

	if (!w || cpu >= w->nr_cpus || (!records && len))
		return -EINVAL;
	err = __atomic_load_n(&w->err, __ATOMIC_RELAXED);
	if (err)
		return err;
	return append_walk(w, cpu, records, len);
}

int hws_writer_flush_cpu(struct hws_writer *w, uint32_t cpu)
{
	struct hws_cpu_state *c;
	int err;

	if (!w || cpu >= w->nr_cpus)
		return -EINVAL;
	c = &w->cpus[cpu];
	pthread_mutex_lock(&c->lock);
	err = cpu_emit(w, cpu, c);
	pthread_mutex_unlock(&c->lock);
	if (!err)
		err = __atomic_load_n(&w->err, __ATOMIC_RELAXED);
	return err;
}

int hws_writer_set_level(struct hws_writer *w, uint32_t cpu, int level)
{
	if (!w || cpu >= w->nr_cpus || !level || level < ZSTD_minCLevel() ||
	    level > ZSTD_maxCLevel())
		return -EINVAL;
	__atomic_store_n(&w->cpus[cpu].level, level, __ATOMIC_RELAXED);
	return 0;
}

int hwsi_writer_set_raw(struct hws_writer *w, uint32_t cpu, bool raw)
{
	if (!w || cpu >= w->nr_cpus)
		return -EINVAL;
	__atomic_store_n(&w->cpus[cpu].raw, raw, __ATOMIC_RELAXED);
	return 0;
}

uint64_t hwsi_writer_raw_rung_chunks(struct hws_writer *w)
{
	uint64_t n;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	n = w->nr_raw_rung;
	pthread_mutex_unlock(&w->lock);
	return n;
}

int hws_writer_levels(struct hws_writer *w, int *min, int *max)
{
	if (!w)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	*min = w->level_min;
	*max = w->level_max;
	pthread_mutex_unlock(&w->lock);
	return w->level_min ? 0 : -ENODATA;
}

int hws_writer_flush(struct hws_writer *w)
{
	int err = 0;

	if (!w)
		return -EINVAL;
	for (uint32_t i = 0; i < w->nr_cpus; i++) {
		struct hws_cpu_state *c = &w->cpus[i];
		int e;

		pthread_mutex_lock(&c->lock);
		e = cpu_emit(w, i, c);
		pthread_mutex_unlock(&c->lock);
		if (e && !err)
			err = e;
	}
	if (!err)
		err = __atomic_load_n(&w->err, __ATOMIC_RELAXED);
	return err;
}

uint64_t hws_writer_file_bytes(const struct hws_writer *w)
{
	return w ? __atomic_load_n(&w->off, __ATOMIC_RELAXED) : 0;
}

uint64_t hws_writer_raw_bytes(const struct hws_writer *w)
{
	return w ? __atomic_load_n(&w->raw_in, __ATOMIC_RELAXED) : 0;
}

static void writer_free(struct hws_writer *w)
{
	struct hws_ctx *x;

	if (!w)
		return;
	if (w->cpus) {
		for (uint32_t i = 0; i < w->nr_cpus; i++) {
			pthread_mutex_destroy(&w->cpus[i].lock);
			free(w->cpus[i].buf);
		}
		free(w->cpus);
	}
	while ((x = w->free_ctx)) {
		w->free_ctx = x->next;
		ctx_free(x);
	}
	pthread_mutex_destroy(&w->lock);
	free(w->pending);
	free(w->refs);
	free(w->ids);
	free(w);
}

/* The writer's state, without the header frame. */
/* Note a source id as described in this file. Caller owns w->lock. */
static int ids_add(struct hws_writer *w, uint32_t id)
{
	if (w->nr_ids == w->cap_ids) {
		size_t cap = w->cap_ids ? 2 * w->cap_ids : 16;
		uint32_t *n = realloc(w->ids, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		w->ids = n;
		w->cap_ids = cap;
	}
	w->ids[w->nr_ids++] = id;
	return 0;
}

static bool ids_have(const struct hws_writer *w, uint32_t id)
{
	for (size_t i = 0; i < w->nr_ids; i++)
		if (w->ids[i] == id)
			return true;
	return false;
}

static struct hws_writer *writer_new(int fd, const struct hws_header *hdr,
				     const struct hws_writer_opts *opts)
{
	struct hws_writer *w;
	struct stat st;
	off_t pos;
	int err;

	err = header_valid(hdr);
	if (err) {
		errno = -err;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	err = opts_load(&w->opts, opts);
	if (err)
		goto err;
	w->fd = fd;
	w->chunk_hdr_len = HWS_CHUNK_LEN;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto err;
	}
	pos = lseek(fd, 0, SEEK_CUR);
	w->seekable = S_ISREG(st.st_mode) && pos >= 0;
	w->base = w->seekable ? (uint64_t)pos : 0;
	w->nr_cpus = hdr->nr_cpus;
	w->cpus = calloc(w->nr_cpus, sizeof(*w->cpus));
	w->pending = calloc(w->opts.index_every, sizeof(*w->pending));
	if (!w->cpus || !w->pending) {
		err = -ENOMEM;
		goto err;
	}
	for (uint32_t i = 0; i < w->nr_cpus; i++) {
		pthread_mutex_init(&w->cpus[i].lock, NULL);
		cpu_reset_chunk(&w->cpus[i]);
		w->cpus[i].level = w->opts.level;
	}
	for (uint32_t i = 0; i < hdr->nr_sources; i++) {
		err = ids_add(w, hdr->sources[i].id);
		if (err)
			goto err;
	}
	return w;
err:
	writer_free(w);
	errno = -err;
	return NULL;
}

struct hws_writer *hwsi_writer_fdopen_frame(int fd, const void *frame,
					    size_t len,
					    const struct hws_header *hdr,
					    const struct hws_writer_opts *opts)
{
	struct hws_writer *w = writer_new(fd, hdr, opts);
	int err;

	if (!w)
		return NULL;
	err = file_put(w, frame, len);
	if (err) {
		writer_free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

struct hws_writer *hws_writer_fdopen(int fd, const struct hws_header *hdr,
				     const struct hws_writer_opts *opts)
{
	struct hws_writer *w;
	uint8_t *frame;
	size_t len;
	int err;

	if (fd < 0 || header_valid(hdr)) {
		errno = EINVAL;
		return NULL;
	}
	len = hwsi_header_frame_len(hdr);
	frame = malloc(len);
	if (!frame)
		return NULL;
	hwsi_header_encode(frame, len, hdr);
	w = hwsi_writer_fdopen_frame(fd, frame, len, hdr, opts);
	err = errno;
	free(frame);
	errno = err;
	return w;
}

struct hws_writer *hws_writer_open(const char *path,
				   const struct hws_header *hdr,
				   const struct hws_writer_opts *opts)
{
	struct hws_writer *w;
	int fd, err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	w = hws_writer_fdopen(fd, hdr, opts);
	if (!w) {
		err = errno;
		close(fd);
		errno = err;
	}
	return w;
}

int hws_writer_add_source(struct hws_writer *w, const struct hws_source *src)
{
	uint8_t *frame;
	size_t len;
	int err;

	if (!w || !src || !src->id || (src->nr_counters && !src->counters) ||
	    src->nr_counters > HWSTATS_MAX_COUNTERS)
		return -EINVAL;
	len = hwsi_source_frame_len(src);
	frame = malloc(len);
	if (!frame)
		return -ENOMEM;
	hwsi_source_frame_encode(frame, len, src);
	pthread_mutex_lock(&w->lock);
	err = w->err;
	if (!err && !ids_have(w, src->id)) {
		err = ids_add(w, src->id);
		if (!err) {
			err = file_put(w, frame, len);
			if (err) {
				w->nr_ids--;
				writer_fail(w, err);
			}
		}
	}
	pthread_mutex_unlock(&w->lock);
	free(frame);
	return err;
}

/* Test hooks: in the static library only, never in libhws.so. */
#ifndef HWS_SHARED_LIB
int hwsi_writer_put_frame(struct hws_writer *w, const void *frame,
			  size_t len)
{
	int err;

	pthread_mutex_lock(&w->lock);
	err = w->err ? w->err : file_put(w, frame, len);
	pthread_mutex_unlock(&w->lock);
	return err;
}

void hwsi_writer_set_chunk_hdr_len(struct hws_writer *w, uint32_t len)
{
	w->chunk_hdr_len = len;
}
#endif

static size_t footer_len(uint32_t nr_totals, size_t nr_refs)
{
	return HWS_SKIP_HDR + HWS_FOOTER_FIXED +
	       (size_t)nr_totals * HWS_TOTALS_LEN +
	       nr_refs * HWS_INDEX_REF_LEN + HWS_FOOTER_TRAILER;
}

/* The last index and the footer, in one write. Called with w->lock. */
static int write_end(struct hws_writer *w, const struct hws_cpu_totals *t,
		     uint32_t nr_totals)
{
	size_t ilen = w->nr_pending ? index_frame_len(w->nr_pending) : 0;
	size_t flen, plen;
	uint8_t *buf, *p;
	int err;

	if (w->nr_pending) {
		err = index_ref_add(w);
		if (err)
			return err;
	}
	flen = footer_len(nr_totals, w->nr_refs);
	if (flen - HWS_SKIP_HDR > HWS_MAX_FOOTER_LEN)
		return -E2BIG;
	buf = malloc(ilen + flen);
	if (!buf)
		return -ENOMEM;
	if (ilen)
		index_frame_encode(w, buf);
	plen = flen - HWS_SKIP_HDR;
	hwsi_frame_begin(buf + ilen, HWS_MAGIC_FOOTER, HWS_SIG_FOOTER,
			(uint32_t)plen);
	p = buf + ilen + HWS_SKIP_HDR;
	hwsi_put32(p + 8, HWS_FOOTER_FIXED);
	/* flags: bit 0, chunks were stored raw to keep up (FORMAT.md, 6.3) */
	hwsi_put32(p + 12, w->nr_raw_rung ? HWS_FOOTER_F_RAW_RUNG : 0);
	hwsi_put64(p + 16, w->chunk_seq);
	hwsi_put64(p + 24, w->nr_records);
	hwsi_put64(p + 32, w->raw_written);
	hwsi_put32(p + 40, nr_totals);
	hwsi_put32(p + 44, HWS_TOTALS_LEN);
	hwsi_put32(p + 48, (uint32_t)w->nr_refs);
	hwsi_put32(p + 52, HWS_INDEX_REF_LEN);
	/* the zstd levels the chunks were made at (FORMAT.md, footer) */
	hwsi_put32(p + 56, (uint32_t)w->level_min);
	hwsi_put32(p + 60, (uint32_t)w->level_max);
	p += HWS_FOOTER_FIXED;
	for (uint32_t i = 0; i < nr_totals; i++, p += HWS_TOTALS_LEN)
		hwsi_totals_encode(p, &t[i]);
	for (size_t i = 0; i < w->nr_refs; i++, p += HWS_INDEX_REF_LEN)
		hwsi_index_ref_encode(p, &w->refs[i]);
	hwsi_put32(p, (uint32_t)plen);
	hwsi_put32(p + 4, HWS_SIG_END);
	hwsi_frame_seal(buf + ilen, (uint32_t)plen);
	err = file_put(w, buf, ilen + flen);
	free(buf);
	return err;
}

int hws_writer_close(struct hws_writer *w,
		     const struct hws_cpu_totals *totals, uint32_t nr_totals)
{
	int err, e;

	if (!w)
		return 0;
	err = hws_writer_flush(w);
	if (nr_totals && (!totals || nr_totals > HWS_MAX_TOTALS)) {
		if (!err)
			err = -EINVAL;
		nr_totals = 0;
	}
	pthread_mutex_lock(&w->lock);
	if (!w->err) {
		e = write_end(w, totals, nr_totals);
		if (e) {
			writer_fail(w, e);
			if (!err)
				err = e;
		}
	} else if (!err) {
		err = w->err;
	}
	pthread_mutex_unlock(&w->lock);
	if ((w->opts.fsync || w->opts.fsync_close) && fsync(w->fd) < 0 &&
	    errno != EINVAL && !err)
		err = -errno;
	if (close(w->fd) < 0 && !err)
		err = -errno;
	writer_free(w);
	return err;
}
