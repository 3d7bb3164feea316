/* SPDX-License-Identifier: MIT */
/*
 * libhws - the one reader and writer of .hws trace files.
 *
 * Error convention (for every function here):
 *  - functions returning int return 0 (or a documented positive value) on
 *    success and -errno on failure;
 *  - functions returning a pointer return NULL and set errno on failure;
 *  - _free()/_close() functions accept NULL.
 * A reader never aborts on a damaged file: it reports the damage (see
 * hws_reader_damage()) and carries on at the next frame it can find.
 *
 * Thread safety: a writer as described at hws_writer_append(); a reader,
 * and a merge with the readers it uses, belong to one thread at a time
 * (separate readers, even of one file, are independent).
 *
 * The format is specified in formats/FORMAT.md.
 */
#ifndef HWS_H
#define HWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hwstats_abi.h"

#define HWS_FORMAT_MAJOR 2
#define HWS_FORMAT_MINOR 0

/* ------------------------------------------------------------------ */
/* The file header: who recorded what, and the schema of every source */

struct hws_counter {
	char name[HWSTATS_NAME_LEN];
	char unit[HWSTATS_UNIT_LEN];
	uint32_t kind;			/* enum hwstats_counter_kind */
};

struct hws_source {
	uint32_t id;
	uint32_t nr_counters;
	char name[HWSTATS_NAME_LEN];
	struct hws_counter *counters;	/* nr_counters entries */
};

struct hws_header {
	uint32_t format_major;		/* filled by the writer */
	uint32_t format_minor;
	char host[64];
	char kernel[64];		/* uname -r of the recorded machine */
	char module_version[32];
	uint32_t clock;			/* 0 = CLOCK_BOOTTIME (ns) */
	uint32_t nr_cpus;		/* nr_cpu_ids of the recorded machine */
	uint32_t subbuf_size;
	uint32_t n_subbufs;
	uint32_t session_flags;		/* HWSTATS_START_* */
	uint64_t session_id;
	uint64_t period_ns;
	uint64_t start_boot_ns;		/* record ts + (start_real_ns - */
	uint64_t start_real_ns;		/* start_boot_ns) = wall-clock ns */
	uint32_t nr_sources;
	struct hws_source *sources;	/* nr_sources entries */
};

/* Look a source up by id; NULL if the header has none by that id. */
const struct hws_source *hws_header_source(const struct hws_header *h,
					   uint32_t id);

/* ------------------------------------------------------------------ */
/* Per-CPU totals, written in the footer by the recorder at the end   */

struct hws_cpu_totals {
	uint32_t cpu;
	uint32_t flags;
	uint64_t records;	/* records written by the kernel */
	uint64_t bytes;
	uint64_t lost;		/* records the kernel dropped (buffer full) */
	uint64_t subbufs;
};

/* ------------------------------------------------------------------ */
/* Writer                                                              */

struct hws_writer;

struct hws_writer_opts {
	size_t sz;			/* sizeof(struct hws_writer_opts) */
	int level;			/* zstd level; 0 = default (3) */
	uint64_t chunk_bytes;		/* close a CPU's chunk at this many raw
					 * bytes; 0 = default (1 MiB) */
	uint64_t chunk_ns;		/* ... or when its records span this
					 * much time; 0 = no limit */
	uint32_t index_every;		/* an index frame every N chunks;
					 * 0 = default (64) */
	bool fsync;			/* fsync after every chunk, and at
					 * close */
	bool raw_chunks;		/* store records as they are (zstd
					 * only): `zstd -dc` then gives the
					 * raw records, at about twice the
					 * size; for debugging */
	bool fsync_close;		/* fsync at close only */
};

/*
 * Create (truncate) path and write the header frame. The writer copies
 * what it needs from @hdr.
 */
struct hws_writer *hws_writer_open(const char *path,
				   const struct hws_header *hdr,
				   const struct hws_writer_opts *opts);

/*
 * Same, on an already open file descriptor the writer then owns (on failure
 * it stays the caller's). The file starts at the descriptor's offset; a pipe
 * works too, but then a failed write cannot be cut off again.
 */
struct hws_writer *hws_writer_fdopen(int fd, const struct hws_header *hdr,
				     const struct hws_writer_opts *opts);

/*
 * Append whole records of one CPU's stream (as read from
 * <debugfs>/hwstats/cpuN: struct hwstats_rec framing, sub-buffer header
 * records included). @len must cover whole records; a trailing partial
 * record is an error (-EINVAL) and nothing is appended.
 *
 * Thread safety: calls for different CPUs may run concurrently; the
 * compression of a chunk runs in the calling thread, only the write of the
 * finished frame is serialized. Calls for the same CPU must not overlap.
 *
 * Returns 0 or -errno (-ENOSPC: the disk is full; everything before the
 * failed chunk stays readable).
 */
int hws_writer_append(struct hws_writer *w, uint32_t cpu,
		      const void *records, size_t len);

/*
 * Close every open chunk now (e.g. on a timer): bounds data at risk. After a
 * write error (disk full) the writer writes nothing more; every call then
 * returns that error, and close writes no footer, so that readers report the
 * recording as cut short.
 */
int hws_writer_flush(struct hws_writer *w);

/*
 * Whether @hdr makes a valid header frame: 0, -EINVAL (malformed), or
 * -E2BIG (its schemas pass the 16 MiB a header frame may hold; describe
 * some sources later with hws_writer_add_source() instead).
 */
int hws_writer_header_check(const struct hws_header *hdr);

/*
 * Close CPU @cpu's open chunk now, under that CPU's lock only: a drain
 * thread closes its own CPU's chunk without holding up the others. Thread
 * safety: as hws_writer_append() for that CPU. Returns 0 or -errno.
 */
int hws_writer_flush_cpu(struct hws_writer *w, uint32_t cpu);

/*
 * A source that is not in the header (it joined the session later): write
 * its schema now, as a source frame (format 1.1), before any chunk that
 * holds its records. Call it before appending the first such record; an id
 * already written is not written again (returns 0). Readers find every
 * source frame of a file at open (hws_reader_header()). Thread safety: as
 * hws_writer_append(). Returns 0 or -errno (-EINVAL for a malformed source;
 * after a write error, that error).
 */
int hws_writer_add_source(struct hws_writer *w, const struct hws_source *src);

/*
 * The zstd level of CPU @cpu's next chunks (from ZSTD_minCLevel() to
 * ZSTD_maxCLevel(), not 0): a drain falling behind trades size for speed,
 * and climbs back when it catches up. Any thread, any time; the chunk
 * being compressed keeps its level. Returns 0 or -EINVAL.
 */
int hws_writer_set_level(struct hws_writer *w, uint32_t cpu, int level);

/*
 * The lowest and highest level of the chunks written so far (the footer
 * keeps them too). Returns 0, or -ENODATA before the first chunk.
 */
int hws_writer_levels(struct hws_writer *w, int *min, int *max);

/* Bytes written to the file so far, and raw record bytes taken in. */
uint64_t hws_writer_file_bytes(const struct hws_writer *w);
uint64_t hws_writer_raw_bytes(const struct hws_writer *w);

/*
 * Flush, write the final index and the footer with @totals (may be NULL
 * when unknown), close the file and free @w (also on error).
 */
int hws_writer_close(struct hws_writer *w,
		     const struct hws_cpu_totals *totals, uint32_t nr_totals);

/* ------------------------------------------------------------------ */
/* Reader                                                              */

struct hws_reader;

/* What one data chunk holds (from its chunk header) */
struct hws_chunk_info {
	uint32_t cpu;
	uint32_t nr_records;		/* every record, sub-buffer headers too */
	uint64_t first_ts;
	uint64_t last_ts;
	uint64_t lost;			/* records lost on this CPU so far, as
					 * the newest sub-buffer header says */
	uint64_t seq_first;		/* sub-buffer sequence range */
	uint64_t seq_last;
	uint64_t file_offset;		/* of the chunk's frame */
	uint32_t flags;			/* HWS_CHUNK_* */
};

/*
 * seq_first/seq_last are the sequence numbers of the first and last
 * sub-buffer header in the chunk, or both that of the last one before it
 * when the chunk has none; without this flag no header was seen yet.
 */
#define HWS_CHUNK_SEQ_VALID	(1U << 0)

enum hws_damage_kind {
	HWS_DAMAGE_TRUNCATED = 1,	/* file ends inside a frame */
	HWS_DAMAGE_CHECKSUM,		/* frame checksum mismatch */
	HWS_DAMAGE_CORRUPT,		/* undecodable frame or bad contents */
	HWS_DAMAGE_NO_FOOTER,		/* file ends without a footer */
};

/*
 * One damaged region: [offset, offset + length) was skipped. A damaged chunk
 * is reported at the offset of its header frame and covers its data frame
 * too. NO_FOOTER is reported at open with offset = file size, length 0.
 */
struct hws_damage {
	uint32_t kind;			/* enum hws_damage_kind */
	uint64_t offset;		/* file offset of the damaged frame */
	uint64_t length;		/* bytes skipped */
	char what[128];			/* one line, for people */
};

/*
 * Open and read the header. Fails with -EPROTONOSUPPORT (errno) on a newer
 * major version, -EBADMSG (errno) if this is not an .hws file or its
 * header is unreadable, -EISDIR for a directory and -EINVAL for anything
 * else that is not a regular file (a FIFO, a device: never waited on).
 */
struct hws_reader *hws_reader_open(const char *path);

/*
 * Options of hws_reader_open_opts(), in libbpf's manner: set sz to
 * sizeof(struct hws_reader_opts) and zero what you do not set; a later
 * version appends fields, and a caller built against it that sets them
 * gets EINVAL from this one.
 */
struct hws_reader_opts {
	size_t sz;
	uint32_t max_damage;	/* damage regions hws_reader_damage() keeps:
				 * 0 = 1024, at most 4096 (the rest are
				 * counted in damage_dropped) */
};

/* Same as hws_reader_open(), with @opts (NULL: the defaults). EINVAL for
 * an opts whose sz is too small, whose unknown fields are not zero, or
 * whose values are out of range. */
struct hws_reader *hws_reader_open_opts(const char *path,
					const struct hws_reader_opts *opts);

/* Same, on an open descriptor (read with pread(), never closed by r). */
struct hws_reader *hws_reader_fdopen(int fd);
void hws_reader_close(struct hws_reader *r);

/*
 * The format version in a file's header, also when this library cannot read
 * that version: for the one-line error after -EPROTONOSUPPORT. Returns 0, or
 * -EBADMSG if the file has no intact header, -errno on an I/O error.
 */
int hws_file_version(const char *path, uint32_t *major, uint32_t *minor);

const struct hws_header *hws_reader_header(const struct hws_reader *r);

/*
 * The next intact data chunk in file order: its info and its records,
 * decoded back to the exact bytes the writer was given (valid until the
 * next call). Returns 1 for a chunk, 0 at the end, -errno on an I/O error.
 * Damaged frames are skipped and recorded as damage.
 */
int hws_reader_next_chunk(struct hws_reader *r, struct hws_chunk_info *info,
			  const void **records, size_t *len);

/*
 * Position the reader at the first chunk that may hold records >= ts: the
 * first chunk in file order whose last_ts >= ts, so that no chunk before it
 * holds such a record (later ones may start before ts; skip those records).
 * Uses the index when the file has a footer, else reads chunk headers from
 * the start (never decompressing). seek_time(r, 0) rewinds.
 */
int hws_reader_seek_time(struct hws_reader *r, uint64_t ts);

/*
 * The footer's per-CPU totals, if the file has a footer (and the reader has
 * reached it, or could read it at open). Returns the count, 0 when absent.
 */
uint32_t hws_reader_totals(const struct hws_reader *r,
			   const struct hws_cpu_totals **totals);

/*
 * Damage found so far, in the order found, each region once (at most 1024,
 * or hws_reader_opts.max_damage; see hws_reader_stats()); the array stays
 * valid until the reader is closed.
 */
uint32_t hws_reader_damage(const struct hws_reader *r,
			   const struct hws_damage **damage);

/*
 * What the reader recovered so far, and where it stopped. With the damage
 * list this is the whole story of a damaged file: "read 41 chunks up to
 * offset X; then the file ends inside chunk 42".
 */
struct hws_reader_stats {
	uint64_t chunks;		/* intact chunks decoded (by
					 * next_chunk or by a merge) */
	uint64_t records;		/* in those chunks */
	uint64_t raw_bytes;
	uint64_t damaged_chunks;	/* damaged regions that began with a
					 * chunk header */
	uint64_t bytes_skipped;		/* sum of damage lengths */
	uint64_t end_offset;		/* the end of the last intact frame
					 * next_chunk passed; the file size
					 * once it reached the footer */
	uint32_t damage_dropped;	/* damage beyond what the list keeps */
	bool has_footer;		/* an intact footer ends the file */
};

int hws_reader_stats(const struct hws_reader *r, struct hws_reader_stats *st);

/* ------------------------------------------------------------------ */
/* Time-merged record stream across CPUs and files                     */

struct hws_merge;

/*
 * Merge the records of every chunk of @readers (several files of one
 * session, e.g. a rotated set, or one file) in timestamp order. The merge
 * does not own the readers. Each reader is merged from its current position
 * (so hws_reader_seek_time() first to merge from a time), and every record
 * is returned, sub-buffer headers and unknown types included. Records of one
 * CPU keep their order even if their timestamps do not rise.
 *
 * Memory: at most 256 MiB of decoded chunks plus one, those decoded ahead
 * included, whatever the number of CPUs and chunks (past that, a chunk is
 * dropped and decoded again when needed, and nothing is decoded ahead; files
 * with 1 MiB chunks and fewer than 256 CPUs never reach it); one reader's
 * buffers per file; each decoding thread's buffers; and 8 bytes per chunk
 * found but not yet merged, for at most 2^20 chunks (past that the merge
 * reads the file once per CPU instead of once).
 *
 * hws_merge_new() decodes in the calling thread. Each reader's file is
 * read front to back once.
 */
struct hws_merge *hws_merge_new(struct hws_reader **readers, size_t n);

/*
 * Options of hws_merge_new_opts(), in libbpf's manner: set sz to
 * sizeof(struct hws_merge_opts) and zero what you do not set; a later
 * version appends fields, and a caller built against it that sets them
 * gets -EINVAL from this one.
 */
struct hws_merge_opts {
	size_t sz;
	uint32_t threads;	/* threads that decode chunks, the calling
				 * one included (at most 16): 1 = the calling
				 * thread only; 0 = one per online CPU */
	/*
	 * Only the records of CPUs whose number is @cpu_part modulo
	 * @cpu_parts (0: every CPU). Several merges, each over one part of
	 * the CPUs, can run at once on readers of their own; each holds
	 * decoded chunks within its share (1/@cpu_parts) of the bound above.
	 */
	uint32_t cpu_parts;
	uint32_t cpu_part;
};

/*
 * Same, decoding chunks on @opts->threads threads (NULL opts: as
 * hws_merge_new()). The chunks each CPU needs next are decoded ahead, at
 * most two per thread at a time and within the memory bound above; the
 * records, damage reports (hws_reader_damage()) and stats are the same, in
 * the same order, whatever the number of threads. The merge and its readers
 * still belong to one calling thread at a time. Fails with EINVAL for an
 * opts whose sz is too small or whose unknown fields are not zero.
 */
struct hws_merge *hws_merge_new_opts(struct hws_reader **readers, size_t n,
				     const struct hws_merge_opts *opts);
void hws_merge_free(struct hws_merge *m);

/*
 * The next record in time order (ties: lower CPU first, then file order).
 * Returns 1 and sets *rec (valid until the next call), *cpu and *reader
 * (index into readers), 0 at the end, -errno on error.
 */
int hws_merge_next(struct hws_merge *m, const struct hwstats_rec **rec,
		   uint32_t *cpu, size_t *reader);

/* ------------------------------------------------------------------ */
/* Record-stream helpers (no file involved)                            */

/*
 * Check that [buf, buf+len) is a walkable record stream: every record's len
 * is >= sizeof(struct hwstats_rec), a multiple of 8 and fits. Returns the
 * number of bytes of whole records (<= len; a partial record at the end is
 * not an error), or -EBADMSG at the first malformed record (*bad_off set to
 * its offset when bad_off != NULL).
 */
long hws_stream_check(const void *buf, size_t len, size_t *bad_off);

#endif /* HWS_H */
