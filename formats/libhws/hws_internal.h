/* SPDX-License-Identifier: MIT */
/*
 * hws_internal.h - private to libhws: on-disk constants, little-endian
 * access, CRC32C, the chunk codec and the frame (de)serializers.
 *
 * Every number here is fixed by formats/FORMAT.md; change them together.
 *
 * Every function declared here is named hwsi_*, never like the public
 * hws_object_verb API of hws.h, so that nothing private is taken for part
 * of it; libhws.so does not export them (-fvisibility=hidden).
 */
#ifndef HWS_INTERNAL_H
#define HWS_INTERNAL_H

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hws.h"

/*
 * Records are read through native structs (struct hwstats_rec and the
 * kernel's record layouts), which FORMAT.md defines as little-endian.
 */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "libhws reads records through native structs: little-endian hosts only (FORMAT.md, section 1)"
#endif

/* ---- zstd frame identifiers (RFC 8878) ---- */
#define HWS_ZSTD_MAGIC		0xFD2FB528U
#define HWS_SKIP_MAGIC_MIN	0x184D2A50U
#define HWS_SKIP_MAGIC_MAX	0x184D2A5FU
#define HWS_SKIP_HDR		8	/* magic + Frame_Size */

/* Skippable-frame magics that carry hws frames, one per kind. */
#define HWS_MAGIC_HEADER	0x184D2A51U
#define HWS_MAGIC_CHUNK		0x184D2A52U
#define HWS_MAGIC_INDEX		0x184D2A53U
#define HWS_MAGIC_FOOTER	0x184D2A54U
#define HWS_MAGIC_SOURCE	0x184D2A55U	/* since 1.1 */

/* First four payload bytes of every hws frame: 'H' 'W' 'S' kind. */
#define HWS_SIG(c)		(0x00535748U | ((uint32_t)(c) << 24))
#define HWS_SIG_MASK		0x00FFFFFFU
#define HWS_SIG_HEADER		HWS_SIG('H')
#define HWS_SIG_CHUNK		HWS_SIG('C')
#define HWS_SIG_INDEX		HWS_SIG('I')
#define HWS_SIG_FOOTER		HWS_SIG('F')
#define HWS_SIG_SOURCE		HWS_SIG('S')
#define HWS_SIG_END		HWS_SIG('E')	/* footer trailer */

/* ---- v1.0 sizes (payload bytes, CRC included) ---- */
#define HWS_PROLOGUE_LEN	8	/* signature + length */
#define HWS_HEADER_FIXED	248	/* offset of the source table */
#define HWS_SOURCE_LEN		40
#define HWS_COUNTER_LEN		56
#define HWS_SOURCE_FIXED	20	/* 1.1: offset of a source frame's entry */
#define HWS_CHUNK_LEN		96
#define HWS_CHUNK_FRAME_LEN	(HWS_SKIP_HDR + HWS_CHUNK_LEN)
#define HWS_INDEX_FIXED		16
#define HWS_INDEX_ENTRY_LEN	40
#define HWS_FOOTER_FIXED	64
/* footer flags (2.0): some chunks were stored raw to keep up (6.4) */
#define HWS_FOOTER_F_RAW_RUNG	1U
#define HWS_TOTALS_LEN		40
#define HWS_INDEX_REF_LEN	32
#define HWS_FOOTER_TRAILER	12	/* length copy, "HWSE", CRC */

/* ---- limits a reader enforces (and a writer never exceeds) ---- */
#define HWS_MAX_CHUNK_RAW	(64U << 20)
#define HWS_MAX_HEADER_LEN	(16U << 20)
#define HWS_MAX_INDEX_ENTRIES	65536U
#define HWS_MAX_FOOTER_LEN	(256U << 20)
#define HWS_MAX_CHUNK_HDR_LEN	4096U	/* payload, with later fields */
#define HWS_MAX_INDEX_LEN	(16U << 20)
#define HWS_MAX_OTHER_LEN	(256U << 20)	/* frames of later kinds */
#define HWS_MAX_CPUS		65536U
#define HWS_MAX_TOTALS		HWS_MAX_CPUS

/*
 * Reader-side bounds (FORMAT.md, "Limits"). A data frame holding
 * @content bytes is never longer than zstd's own worst case for them
 * (ZSTD_COMPRESSBOUND: content + content/256 + a little for small inputs),
 * so a chunk header's frame_len beyond that is damage, whatever the file
 * size.
 */
#define HWS_DATA_FRAME_MAX(content)					\
	((uint64_t)(content) + ((uint64_t)(content) >> 8) +		\
	 ((uint64_t)(content) < (128U << 10) ?				\
	  (((128U << 10) - (uint64_t)(content)) >> 11) : 0))
/* Smallest payload of each known kind (CRC included). */
#define HWS_MIN_HEADER_LEN	16U	/* prologue, version, CRC: all a
					 * later major must keep */
#define HWS_MIN_CHUNK_LEN	HWS_CHUNK_LEN
#define HWS_MIN_INDEX_LEN	(HWS_INDEX_FIXED + 4)
#define HWS_MIN_FOOTER_LEN	(HWS_FOOTER_FIXED + HWS_FOOTER_TRAILER)
#define HWS_MIN_SOURCE_LEN	(HWS_SOURCE_FIXED + HWS_SOURCE_LEN + 4)

/* Chunk encodings (chunk header field "encoding") */
#define HWS_ENC_RAW		0
#define HWS_ENC_COLUMNS		1
#define HWS_ENC_COLUMNS2	3	/* since 2.0; what writers use */

/* Chunk header flags */
#define HWS_CHUNK_F_SEQ		(1U << 0)	/* seq_first/seq_last are valid */

/* ---- little-endian access: fields are LE whatever the host ---- */
/*
 * Copy in 64-byte steps the compiler makes of vector moves: a long
 * memcpy() may become "rep movsb", which emulators run a byte at a time
 * (under QEMU's TCG, one pass through the dispatcher per byte).
 */
static inline void hwsi_copy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	for (; n >= 64; n -= 64, d += 64, s += 64)
		memcpy(d, s, 64);
	memcpy(d, s, n);
}

static inline uint16_t hwsi_get16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t hwsi_get32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t hwsi_get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline void hwsi_put16(void *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void hwsi_put32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void hwsi_put64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* ---- crc32c.c ---- */
/*
 * FORMAT.md §1's varint (unsigned LEB128): the writer's shortest form, and a
 * reader that takes any form of at most 10 bytes and refuses one running
 * past @end or above 64 bits (-EBADMSG).
 */
static inline uint8_t *hwsi_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline int hwsi_get_varint(const uint8_t **pp, const uint8_t *end,
				  uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (p == end)
			return -EBADMSG;
		b = *p++;
		/* the 10th byte holds only bit 63 */
		if (shift == 63 && b > 1)
			return -EBADMSG;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*v = x;
			return 0;
		}
	}
	return -EBADMSG;
}

uint32_t hwsi_crc32c(uint32_t crc, const void *buf, size_t len);

/*
 * Which implementation hwsi_crc32c() uses: by default (AUTO) the faster of
 * the two measured at the first call; the others for tests. Returns 0,
 * -ENOTSUP (no such instruction here) or -EINVAL. Not thread safe.
 */
#define HWSI_CRC_AUTO	0
#define HWSI_CRC_SW	1	/* slicing-by-8 */
#define HWSI_CRC_HW	2	/* the SSE4.2 crc32 instruction */
int hwsi_crc32c_force(int impl);

/*
 * Does a computed CRC match the stored one? A fuzzing build accepts every
 * CRC, so that mutated inputs reach the checks behind the checksums (a
 * crafted file can always carry valid CRCs).
 */
static inline bool hwsi_crc_match(uint32_t got, uint32_t want)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)got;
	(void)want;
	return true;
#else
	return got == want;
#endif
}

/* ---- codec.c: chunk content encoding ---- */
struct hws_enc;
struct hws_dec;

struct hws_enc *hwsi_enc_new(void);
void hwsi_enc_free(struct hws_enc *e);
/*
 * Encode a walkable record stream of @nr_records records. Returns 0 and
 * sets *out, *out_len and *encoding; *out points into @e (or at @rec for the
 * raw encoding) and stays valid until the next call.
 */
int hwsi_enc_chunk(struct hws_enc *e, const void *rec, size_t len,
		  uint32_t nr_records, bool force_raw, const void **out,
		  size_t *out_len, uint16_t *encoding);

/*
 * How hard COLUMNS2 looks for a stream's prediction. FULL (the default)
 * tries deltas, a line and, for timestamps, the gaps between sources, on
 * samples of each stream, two references for its residuals, and the
 * packing width that costs least with exceptions. FAST packs every stream
 * as deltas from its smallest one at the width of the widest: fewer passes
 * over the values, a bigger chunk, any reader decodes it. The
 * writer uses FAST for chunks it compresses at a negative zstd level,
 * where it is behind.
 */
#define HWSI_ENC_FULL	0
#define HWSI_ENC_FAST	1
int hwsi_enc_set_effort(struct hws_enc *e, int effort);

/*
 * The column encoding hwsi_enc_chunk() uses: HWS_ENC_COLUMNS2 (the default)
 * or HWS_ENC_COLUMNS (what 1.0 and 1.1 writers wrote; for tests of old
 * files). Returns 0 or -EINVAL.
 */
int hwsi_enc_set_encoding(struct hws_enc *e, uint16_t encoding);

struct hws_dec *hwsi_dec_new(void);
void hwsi_dec_free(struct hws_dec *d);
/*
 * Decode @in (encoding @encoding) into exactly @raw_len bytes at @out: a
 * walkable record stream of exactly @nr_records records, or an error. Any
 * input is safe: malformed content returns -EBADMSG, an unknown encoding
 * -EPROTONOSUPPORT.
 */
int hwsi_dec_chunk(struct hws_dec *d, uint16_t encoding, const void *in,
		  size_t in_len, void *out, size_t raw_len,
		  uint32_t nr_records);

/* ---- format.c: frame layouts ---- */
struct hws_chunk_hdr {
	uint32_t cpu;
	uint32_t nr_records;
	uint64_t first_ts;
	uint64_t last_ts;
	uint64_t lost;
	uint64_t seq_first;
	uint64_t seq_last;
	uint64_t chunk_seq;
	uint64_t raw_len;
	uint64_t content_len;
	uint32_t frame_len;
	uint32_t frame_crc;
	uint16_t encoding;
	uint16_t flags;
};

struct hws_index_entry {
	uint64_t offset;
	uint64_t first_ts;
	uint64_t last_ts;
	uint32_t cpu;
	uint32_t nr_records;
	uint64_t chunk_seq;
};

struct hws_index_ref {
	uint64_t offset;
	uint64_t min_first_ts;
	uint64_t max_last_ts;
	uint32_t nr_entries;
};

/* Skippable frame header + signature + length, and the CRC at the end. */
void hwsi_frame_begin(uint8_t *frame, uint32_t magic, uint32_t sig,
		     uint32_t payload_len);
void hwsi_frame_seal(uint8_t *frame, uint32_t payload_len);
/* Checks signature, length field and CRC of an hws frame's payload. */
int hwsi_payload_check(const uint8_t *payload, uint32_t len, uint32_t sig);

size_t hwsi_header_frame_len(const struct hws_header *h);
void hwsi_header_encode(uint8_t *frame, size_t frame_len,
		       const struct hws_header *h);
/* Payload already checked; fills @h (which then owns allocations). */
int hwsi_header_decode(const uint8_t *payload, uint32_t len,
		      struct hws_header *h);
int hwsi_header_copy(struct hws_header *dst, const struct hws_header *src);
void hwsi_header_release(struct hws_header *h);

/* Source frames (1.1); decode: payload already checked, @s owns counters. */
size_t hwsi_source_frame_len(const struct hws_source *s);
void hwsi_source_frame_encode(uint8_t *frame, size_t frame_len,
			     const struct hws_source *s);
int hwsi_source_frame_decode(const uint8_t *payload, uint32_t len,
			    struct hws_source *s);

void hwsi_chunk_hdr_encode(uint8_t *frame, const struct hws_chunk_hdr *c);
void hwsi_chunk_hdr_encode_len(uint8_t *frame, const struct hws_chunk_hdr *c,
			      uint32_t plen);
int hwsi_chunk_hdr_decode(const uint8_t *payload, uint32_t len,
			 struct hws_chunk_hdr *c);

void hwsi_index_entry_encode(uint8_t *p, const struct hws_index_entry *e);
void hwsi_index_entry_decode(const uint8_t *p, struct hws_index_entry *e);
void hwsi_index_ref_decode(const uint8_t *p, struct hws_index_ref *r);
void hwsi_index_ref_encode(uint8_t *p, const struct hws_index_ref *r);
void hwsi_totals_encode(uint8_t *p, const struct hws_cpu_totals *t);
void hwsi_totals_decode(const uint8_t *p, struct hws_cpu_totals *t);

/* Which hws frame kind a skippable magic carries: its signature, or 0. */
uint32_t hwsi_sig_for_magic(uint32_t magic);

/*
 * ---- reader.c: the frame scanner, shared with merge.c ----
 */
enum hws_frame_kind {
	HWS_FR_EOF,		/* no more frames */
	HWS_FR_CHUNK,		/* a chunk header (and its data frame) */
	HWS_FR_INDEX,
	HWS_FR_FOOTER,
	HWS_FR_SOURCE,		/* a source frame (1.1), in r->fbuf */
	HWS_FR_OTHER,		/* skipped without a word (later kinds,
				 * other tools' frames, headers) */
	HWS_FR_BAD,		/* damage, recorded; go on at next */
};

struct hws_frame {
	enum hws_frame_kind kind;
	uint64_t off;		/* of the frame (the chunk's header frame) */
	uint64_t len;		/* all of it, a chunk's data frame included */
	uint64_t next;		/* where the next frame starts */
	struct hws_chunk_hdr ch;	/* HWS_FR_CHUNK */
};

/* What decoding a chunk needs, one per thread that decodes. */
struct hwsi_decoder {
	uint8_t *fbuf;		/* the data frame as stored */
	size_t fbuf_cap;
	uint8_t *cbuf;		/* its decompressed content */
	size_t cbuf_cap;
	void *dctx;		/* ZSTD_DCtx */
	struct hws_dec *dec;
};

int hwsi_decoder_init(struct hwsi_decoder *d);
void hwsi_decoder_fini(struct hwsi_decoder *d);

/* The frame at @pos (structure only: a chunk's data is not read). */
int hwsi_frame_at(struct hws_reader *r, uint64_t pos, struct hws_frame *fr);
/*
 * The chunk's records into *buf: 1, or 0 if damaged (recorded), -errno.
 * @count: add it to the reader's stats (not when loading it again).
 */
int hwsi_chunk_load(struct hws_reader *r, const struct hws_frame *fr,
		    uint8_t **buf, size_t *cap, bool count);
/*
 * The two halves of hwsi_chunk_load(), for decoding on other threads:
 * hwsi_chunk_decode() touches only @d, *buf and the file (pread), and
 * returns 1, or 0 with the damage's kind and reason, or -errno;
 * hwsi_chunk_account() then records that outcome in the reader (its
 * damage list and stats), in the reader's own thread.
 */
int hwsi_chunk_decode(int fd, struct hwsi_decoder *d,
		      const struct hws_frame *fr, uint8_t **buf, size_t *cap,
		      uint32_t *kind, const char **why);
void hwsi_chunk_account(struct hws_reader *r, const struct hws_frame *fr,
			int res, uint32_t kind, const char *why, bool count);
int hwsi_reader_fd(const struct hws_reader *r);
/* Where hws_reader_next_chunk() would go on, and the end of the chunks. */
uint64_t hwsi_reader_pos(const struct hws_reader *r);
bool hwsi_at_end(const struct hws_reader *r, const struct hws_frame *fr);

/*
 * Test hooks (not API): a writer that starts with a given header frame,
 * hand-made frames between chunks, and longer chunk headers, which is how
 * tests make the files a later minor version would write. The last two
 * are built into the static library only (libhws.so is built with
 * HWS_SHARED_LIB); the first is how hws_writer_fdopen() starts a file.
 */
struct hws_writer *hwsi_writer_fdopen_frame(int fd, const void *frame,
					    size_t len,
					    const struct hws_header *hdr,
					    const struct hws_writer_opts *opts);
int hwsi_writer_put_frame(struct hws_writer *w, const void *frame,
			  size_t len);
void hwsi_writer_set_chunk_hdr_len(struct hws_writer *w, uint32_t len);
/* The merge's bound on queued chunk offsets (0: the default), so that
 * tests reach the walks it falls back to; static library only. */
void hwsi_merge_set_queue_max(uint32_t n);
/* The merge's budget of decoded bytes (0: the default), and what a merge
 * held at most and how many chunks it decoded; static library only. */
void hwsi_merge_set_budget(uint64_t bytes);
void hwsi_merge_stats(const struct hws_merge *m, uint64_t *peak,
		      uint64_t *decodes);
/*
 * hws_writer_append() of records the caller has already walked and found
 * to be a whole record stream (hws_stream_check() returned @len): the
 * records are walked once more only, not twice.
 */
int hwsi_writer_append_checked(struct hws_writer *w, uint32_t cpu,
			       const void *records, size_t len);
/*
 * The bottom rung of a recorder's ladder: CPU @cpu's next chunks are stored
 * raw (encoding 0, no column transform) in a zstd frame of raw blocks (no
 * compression), to keep up, until called again with false. Any thread, any
 * time. 0 or -EINVAL.
 */
#define HWS_STORED_BLOCK	(128U * 1024)	/* zstd's largest block */
int hwsi_writer_set_raw(struct hws_writer *w, uint32_t cpu, bool raw);
/* Chunks written so far on hwsi_writer_set_raw(). */
uint64_t hwsi_writer_raw_rung_chunks(struct hws_writer *w);

/*
 * ---- compact.c: a finished file rewritten into longer chunks ----
 *
 * Each CPU's consecutive chunks joined up to 1 MiB of records (the
 * writer's default chunk, FORMAT.md §11) or 64 s of time, whichever comes
 * first; everything else kept (header frame, source frames, records and
 * their order per CPU, footer totals and flags); the index rebuilt. Only
 * files whose chunks average under HWSI_COMPACT_MIN_AVG raw bytes.
 */
#define HWSI_COMPACT_CHUNK_BYTES	(1U << 20)
#define HWSI_COMPACT_CHUNK_NS		(64ULL * 1000000000ULL)
#define HWSI_COMPACT_MIN_AVG		(256U << 10)

/* Points at which a test may stop a compaction as a kill would. */
enum hwsi_compact_step {
	HWSI_CS_TEMP_CREATED,	/* the temporary file exists, empty */
	HWSI_CS_TEMP_WRITTEN,	/* it is complete, checked and synced */
	HWSI_CS_RENAMED,	/* it has replaced the original */
};

struct hwsi_compact_opts {
	/* true: abandon (the original stays); checked between chunks */
	bool (*cancelled)(void *arg);
	void *arg;
	/* held around the same-file check and the rename, so that whoever
	 * removes or renames files in the directory does not race it */
	pthread_mutex_t *lock;
	/* tests: true stops at @step, leaving everything as a kill would */
	bool (*stop_at)(enum hwsi_compact_step step, void *arg);
	uint64_t min_avg;	/* 0: HWSI_COMPACT_MIN_AVG */
};

struct hwsi_compact_result {
	uint64_t size_before, size_after;
	uint64_t chunks_before, chunks_after;
};

/*
 * Compact the finished file @path in place: writes
 * "<dir>/.<name>.compact-XXXXXX", fsyncs it, reads it back and compares it
 * with the original, renames it over @path if @path is still the file that
 * was read (same inode, size and mtime), fsyncs the directory. A kill at
 * any point leaves either the original or the compacted file under @path.
 * Returns 1 (compacted), 0 (left alone: it would not pay), or -errno with
 * @path untouched: -EBADMSG damaged or not finished, -EPROTO not what this
 * libhws writes, -ECANCELED, -ESTALE (replaced meanwhile), -EINTR (a
 * test's stop_at), or what the file system said (ENOSPC, EFBIG, ...).
 */
int hwsi_compact(const char *path, const struct hwsi_compact_opts *o,
		 struct hwsi_compact_result *res);
/* Is @name (no directory) a compaction's temporary file? */
bool hwsi_compact_temp_name(const char *name);
/*
 * Remove the temporary files a killed compaction left in @dir, those of
 * files named STEM.* or STEM-* only unless @stem is NULL: how many, or
 * -errno.
 */
int hwsi_compact_clean(const char *dir, const char *stem);

/* Record header fields */
static inline uint16_t hwsi_rec_type(const uint8_t *r) { return hwsi_get16(r); }
static inline uint16_t hwsi_rec_len(const uint8_t *r) { return hwsi_get16(r + 2); }
static inline uint32_t hwsi_rec_source(const uint8_t *r) { return hwsi_get32(r + 4); }
static inline uint64_t hwsi_rec_ts(const uint8_t *r) { return hwsi_get64(r + 8); }

#define HWS_REC_HDR_LEN		16
#define HWS_SAMPLE_HDR_LEN	32
#define HWS_SUBBUF_LEN		48

#endif /* HWS_INTERNAL_H */
