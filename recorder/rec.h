/* SPDX-License-Identifier: MIT */
/*
 * rec - the parts of hwstats-record, one file each:
 *
 *   rec_opts.c     the command line
 *   rec_drain.c    the drain threads: one per online CPU, pinned to it
 *   rec_sources.c  sources and schemas: which are described where
 *   rec_files.c    the file set: naming, ring, rotation, the cut
 *   rec_session.c  the kernel session, the main loop and the summary
 *   rec_compact.c  finished files rewritten into longer chunks
 *
 * Error convention as in hwsdev.h: 0 or -errno; exit codes are made in
 * main() only, from the -errno and from where it came.
 */
#ifndef REC_H
#define REC_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "hwsdev.h"
#include "hws_internal.h"

#define REC_READ_SIZE	(1u << 20)
/*
 * Set in the environment (to anything), hwstats-record drains the
 * channels with read() even where the module offers its buffers mapped:
 * for tests, and a way round should the mapping ever misbehave.
 */
#define REC_MAP_ENV	"HWSTATS_RECORD_READ"
/*
 * Set in the environment (to anything), hwstats-record prints each move of
 * a CPU's compression level on stderr: when, from and to which rung, why
 * (behind, records lost, calm), the bytes behind and the records the
 * kernel reported lost so far. For finding out where records go missing.
 */
#define REC_LADDER_ENV	"HWSTATS_RECORD_LADDER"
/*
 * A drain of a mapped buffer tells the kernel what it has taken at least
 * once per this many bytes: one ioctl per 256-KiB sub-buffer (the
 * default size), one per 64 of 4 KiB.
 */
#define REC_CONSUME_BYTES	(256u << 10)
/* The writer's chunk size (hws_writer_opts.chunk_bytes left 0). */
#define REC_CHUNK_BYTES	(1u << 20)
/* Calm wakes in a row before a CPU climbs one rung. */
#define REC_CALM_WAKES	16
/* The most a climb waits, after climbs that fell behind one after another. */
#define REC_CALM_MAX	1024
#define REC_POLL_MS	100
/*
 * Sub-buffers per CPU when --buffers is not given and the kernel drops
 * what does not fit (no-overwrite mode): 32 x 256 KiB, four times the
 * kernel's default, rides out a drain that sits in one chunk's encoding
 * and compression for 0.3-0.6 s under load (bench/README.md, part 5).
 * Fewer on a machine with many CPUs, so that all of them together take
 * at most REC_DEFAULT_BUFFERS_TOTAL, but never fewer than the kernel's 8.
 */
#define REC_DEFAULT_N_SUBBUFS		32U
#define REC_DEFAULT_BUFFERS_TOTAL	(256ULL << 20)
/*
 * The spill (--spill): a CPU whose mapped buffer is more than a quarter
 * full has its complete sub-buffers copied out into memory, up to this
 * much per CPU (less when all online CPUs' would pass the total), and
 * compresses them from there, one sub-buffer between two looks at the
 * kernel's buffer: copying a record costs a tenth of compressing it, so
 * a burst the compression cannot follow waits in memory rather than
 * filling the kernel's buffer. Memory is taken as it is first used.
 */
#define REC_DEFAULT_SPILL		(32ULL << 20)
#define REC_DEFAULT_SPILL_TOTAL		(256ULL << 20)

enum rec_exit {
	REC_EXIT_OK = 0,
	REC_EXIT_USAGE = 1,
	REC_EXIT_SETUP = 2,	/* module, device, debugfs, busy */
	REC_EXIT_OUTPUT = 3,	/* output failed; the file holds what it could */
	REC_EXIT_INCOMPLETE = 4,/* records written by the kernel are missing */
};

/* Where rec_run() failed: main() makes the exit code from it. */
enum rec_stage {
	REC_STAGE_OUTPUT,	/* the first file could not be made */
	REC_STAGE_SESSION,	/* the kernel session could not start */
	REC_STAGE_CAPTURE,	/* recording: the output failed */
};

/* When the files are synced to the disk (--sync). */
enum rec_sync {
	REC_SYNC_NONE,		/* never: the page cache decides */
	REC_SYNC_ROTATE,	/* each file when it is closed, and the directory */
	REC_SYNC_CHUNK,		/* every chunk too */
};

struct rec_opts {
	const char *output;
	const char *device;
	const char *sources;
	uint64_t duration_ns;
	uint64_t period_ns;
	uint64_t subbuf_size;
	uint64_t n_subbufs;
	uint64_t flush_ns;
	uint64_t rotate_size;
	uint64_t rotate_ns;
	uint64_t max_files;
	uint64_t threads;
	uint64_t spill;		/* --spill bytes per CPU */
	bool spill_set;		/* --spill given (0: no spill) */
	int level;
	enum rec_sync sync;
	bool adapt;		/* lower the level when a CPU falls behind */
	bool no_compact;	/* keep finished files as written */
	bool overwrite;
	bool force;
	bool quiet;
	bool help;		/* --help or --version was answered */
};

struct rec;

struct rec_cpu {
	struct rec *r;
	uint32_t cpu;
	pthread_t thread;
	bool started;
	bool pinned;			/* its thread runs on this CPU only */
	/*
	 * Held around opening, reading and closing the channel file and
	 * appending what was read: its thread and a rotation take turns.
	 */
	pthread_mutex_t lock;
	int fd;
	char *buf;
	/*
	 * The channel's buffer mapped (REC_MAP_ENV unset and the module
	 * offers it), or NULL: read() then. next_seq: the number of the next
	 * sub-buffer to take from it. Under lock.
	 */
	const char *map;
	uint64_t next_seq;
	uint64_t consumed;		/* as the kernel was last told */
	_Atomic uint64_t samples;	/* sample records taken */
	_Atomic uint64_t records;	/* every record, headers included */
	_Atomic uint64_t raw_bytes;
	uint64_t seen_lost;		/* from sub-buffer headers */
	int err;			/* -errno that stopped this thread */
	/* Source ids this CPU has seen described, sorted; under lock. */
	uint32_t *known;
	uint32_t nr_known;
	uint32_t last_id;
	uint64_t known_gen;		/* r->src_gen it was copied at */
	/* Adaptive compression, under lock (at each read). */
	uint32_t rung;			/* index into r->ladder */
	uint32_t calm;			/* wakes in a row with little to read */
	uint32_t calm_need;		/* calm wakes a climb waits for (0: the
					 * least, REC_CALM_WAKES) */
	bool climb_on_trial;		/* climbed, and not yet held there */
	uint64_t wake_bytes;		/* read since its channel was empty */
	uint64_t lost_adapt;		/* seen_lost at the last decision */
	uint64_t bottom_from;		/* raw_bytes when it last took the
					 * bottom rung */
	bool bottom_failed;		/* records were lost there: not again */
	/*
	 * The spill: a FIFO of spill_slots sub-buffers copied out of the
	 * mapping (spill_len[] bytes each), spill_n of them from spill_head
	 * waiting; allocated at first use. Under lock.
	 */
	char *spill;
	uint32_t *spill_len;
	uint32_t spill_slots, spill_head, spill_n, spill_peak;
	/*
	 * What a record costs at each rung, relative to the others: CPU ns
	 * per record on the scale of the first full chunk measured, each
	 * later rung as that measure times what it cost over what the rung
	 * before it cost in the window just before (EWMA); 0: not measured
	 * yet. See rec_cost_note().
	 */
	double cost[33];
	double last_ns;			/* ns per record of the last window, or 0 */
	uint32_t last_rung;		/* the rung that window was encoded at */
	uint64_t win_ns, win_recs;	/* since the last chunk closed */
	uint64_t chunk_fill;		/* raw bytes in the open chunk, about */
};

struct rec {
	struct rec_opts o;
	char chandir[512];
	int dev;
	struct hwstats_version ver;
	bool use_map;			/* map the buffers (ABI minor >= 1) */
	bool trace_ladder;		/* REC_LADDER_ENV set */
	double t_start;			/* rec_now() when the session started */
	/*
	 * The sources described in the current file: those listed at the
	 * start (the selected ones, as many as fit in the header), then
	 * those met in the stream (registered later, or left out of the
	 * header), which go into the current file as source frames and into
	 * every next file's header. Changed under wlock held for writing.
	 */
	struct hws_source *src;
	uint32_t nr_src;
	uint32_t *absent;		/* ids met whose schema was gone */
	uint32_t nr_absent;
	uint64_t src_gen;		/* +1 when the table is pruned */
	uint32_t *ids;			/* --sources, or NULL: all */
	uint32_t nr_ids;
	struct hws_header hdr;
	/*
	 * Appends hold it for reading (CPUs append concurrently); flushing
	 * and rotating hold it for writing, so a record goes into exactly one
	 * file and no CPU's chunk is touched by two threads at once.
	 */
	pthread_rwlock_t wlock;
	struct hws_writer *w;
	int next_fd;			/* the next file, opened ahead */
	char path[4096];		/* the current file */
	uint64_t file_seq;
	bool numbered;			/* file names carry a sequence number */
	double file_t0;
	uint64_t closed_bytes;		/* bytes of the files already closed */
	uint64_t closed_raw;
	char **ring;			/* files kept, oldest first */
	/* Held around removing a ring file and a compaction's rename. */
	pthread_mutex_t ring_lock;
	struct rec_compactor *compactor;	/* NULL: none running */
	uint64_t compacted_files;	/* at the end: how many, */
	uint64_t compact_saved;		/* and the bytes they shrank by */
	uint32_t nr_ring;
	uint32_t nr_files;
	uint32_t nr_cpus;
	uint32_t nr_threads;		/* workers started */
	uint32_t step;			/* a worker serves every step-th CPU */
	struct rec_cpu *cpus;
	atomic_int drain;		/* session stopped: read until empty */
	atomic_int fatal;		/* -errno of the first output failure */
	atomic_int size_due;		/* the file reached --rotate-size */
	/*
	 * zstd levels, the user's first, each next one faster; with --adapt
	 * the last rung stores the records raw (no column transform) at the
	 * fastest level: ladder_raw[] says which.
	 */
	int ladder[33];
	bool ladder_raw[33];
	uint32_t nr_ladder;
	int level_min, level_max;	/* of the chunks written; 0: none */
	uint64_t raw_rung_chunks;	/* of the files closed, stored raw */
	pthread_t main_thread;		/* takes the signals */
	enum rec_stage stage;
	bool incomplete;		/* records the kernel wrote are missing */
};

/* SIGINT and SIGTERM received: the first stops, a second ends at once. */
extern volatile sig_atomic_t rec_stop_signals;

static inline double rec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void rec_set_fatal(struct rec *r, int err)
{
	int zero = 0;

	atomic_compare_exchange_strong(&r->fatal, &zero, err);
}

/* rec_opts.c */
void rec_usage(FILE *f);
/* 0, or -EINVAL after one line on stderr. Sets o->help if it answered. */
int rec_parse_args(int argc, char **argv, struct rec_opts *o);
uint32_t rec_n_subbufs(const struct rec_opts *o, uint32_t nr_online);
uint64_t rec_spill_bytes(const struct rec_opts *o, uint32_t nr_online);
uint64_t rec_subbuf_size(const struct rec_opts *o);

/* rec_drain.c */
void rec_ladder_init(struct rec *r);
/* What the one walk over a read found. */
struct rec_walk {
	uint64_t samples;
	uint64_t records;
	uint64_t lost;		/* of the newest sub-buffer header */
	bool have_lost;
	uint32_t unknown;	/* first sample's source not yet described */
	size_t whole;		/* bytes of whole records */
	bool bad;		/* a record length that cannot be */
};

void rec_walk(struct rec_cpu *c, const char *p, size_t len,
	      struct rec_walk *w);
/* How a CPU's drain keeps up, at a decision. */
enum rec_pace {
	REC_PACE_OK,		/* little or nothing waiting */
	REC_PACE_BEHIND,	/* half a buffer or more waiting */
	REC_PACE_LOST,		/* the kernel dropped records since the last */
};

uint32_t rec_ladder_choose(const double *cost, uint32_t n, uint32_t rung,
			   enum rec_pace pace, uint32_t calm, bool bottom);
void rec_adapt(struct rec_cpu *c, uint64_t bytes, bool empty);
void rec_cost_note(struct rec_cpu *c, uint64_t ns, uint64_t recs,
		   uint64_t bytes, bool flushed);
int rec_drain_cpu(struct rec_cpu *c, uint64_t max);
int rec_threads_start(struct rec *r);
int rec_threads_poll(struct rec *r);
void rec_threads_stop(struct rec *r);

/* rec_sources.c */
int rec_append(struct rec_cpu *c, const char *p, size_t len, uint32_t unknown);
uint32_t rec_source_unknown(struct rec_cpu *c, uint32_t id);
int rec_select_sources(struct rec *r);
void rec_sources_prune(struct rec *r);

/* rec_files.c */
void rec_file_name(const struct rec *r, uint64_t seq, char *out, size_t len);
void rec_output_dir(const struct rec *r, char *dir, size_t len);
int rec_scan_existing(struct rec *r);
int rec_create_file(struct rec *r, uint64_t seq);
int rec_file_begin(struct rec *r);
int rec_file_end(struct rec *r, const struct hws_cpu_totals *tot,
		 uint32_t nr_tot);
void rec_file_discard_next(struct rec *r);
struct hws_cpu_totals *rec_totals(struct rec *r, uint32_t *nr,
				  struct hwstats_cpu_stats **stats);
int rec_rotate(struct rec *r, bool cut);
void rec_files_free(struct rec *r);

/* rec_compact.c */
int rec_compact_start(struct rec *r);
void rec_compact_queue(struct rec *r, const char *path);
void rec_compact_finish(struct rec *r, const char *path);

/* rec_session.c */
void rec_init(struct rec *r);
int rec_setup(struct rec *r);
int rec_run(struct rec *r);
void rec_size_reached(struct rec *r);
void rec_free(struct rec *r);

#endif
