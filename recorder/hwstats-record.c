// SPDX-License-Identifier: MIT
/*
 * hwstats-record - drain every CPU's hwstats channel into a .hws file.
 *
 * One thread per CPU, pinned to that CPU (its data stays in that CPU's
 * caches). The kernel hands out complete sub-buffers only and switches a
 * partly filled one on its flush timer, so every read() returns whole
 * records. Each thread compresses its own chunks (libhws does it in the
 * caller), so compression scales with the CPUs being recorded.
 *
 * Signals only set flags; the main loop stops the session, the threads
 * drain until read() returns 0, and the file is closed with its footer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hwsdev.h"

#define REC_READ_SIZE	(1u << 20)
#define REC_POLL_MS	100

enum rec_exit {
	REC_EXIT_OK = 0,
	REC_EXIT_USAGE = 1,
	REC_EXIT_SETUP = 2,	/* module, device, debugfs, busy */
	REC_EXIT_OUTPUT = 3,	/* output failed; the file holds what it could */
	REC_EXIT_INCOMPLETE = 4,/* records written by the kernel are missing */
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
	int level;
	bool overwrite;
	bool force;
	bool quiet;
};

struct rec;

struct rec_cpu {
	struct rec *r;
	uint32_t cpu;
	pthread_t thread;
	bool started;
	/*
	 * Held around opening, reading and closing the channel file and
	 * appending what was read: its thread and a rotation take turns.
	 */
	pthread_mutex_t lock;
	int fd;
	char *buf;
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
};

struct rec {
	struct rec_opts o;
	char chandir[512];
	int dev;
	struct hwstats_version ver;
	/*
	 * Every source described so far: those listed at the start, then
	 * those met in the stream (registered later), which go into the
	 * current file as source frames and into every next file's header.
	 * Changed under wlock held for writing.
	 */
	struct hws_source *src;
	uint32_t nr_src;
	uint32_t *absent;		/* ids met whose schema was gone */
	uint32_t nr_absent;
	uint64_t src_gen;		/* +1 when the table is pruned */
	uint32_t *ids;
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
	uint32_t nr_ring;
	uint32_t nr_files;
	uint32_t nr_cpus;
	uint32_t nr_threads;		/* workers; each serves every T-th CPU */
	struct rec_cpu *cpus;
	atomic_int drain;		/* session stopped: read until empty */
	atomic_int fatal;		/* -errno of the first output failure */
};

static volatile sig_atomic_t rec_stop_signals;
static volatile sig_atomic_t rec_rotate_signals;
static volatile sig_atomic_t rec_dump_signals;

static void rec_on_signal(int sig)
{
	if (sig == SIGHUP)
		rec_rotate_signals++;
	else if (sig == SIGUSR1)
		rec_dump_signals++;
	else
		rec_stop_signals++;
}

static double rec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void rec_set_fatal(struct rec *r, int err)
{
	int zero = 0;

	atomic_compare_exchange_strong(&r->fatal, &zero, err);
}

/* Walk whole records: count them, note the newest lost count. */
static void rec_account(struct rec_cpu *c, const char *p, size_t len)
{
	uint64_t samples = 0, records = 0;
	size_t off = 0;

	while (off + sizeof(struct hwstats_rec) <= len) {
		const struct hwstats_rec *h = (const void *)(p + off);

		if (h->type == HWSTATS_REC_SAMPLE)
			samples++;
		else if (h->type == HWSTATS_REC_SUBBUF &&
			 h->len >= sizeof(struct hwstats_subbuf_hdr))
			c->seen_lost = ((const struct hwstats_subbuf_hdr *)h)->lost;
		records++;
		off += h->len;
	}
	atomic_fetch_add(&c->samples, samples);
	atomic_fetch_add(&c->records, records);
	atomic_fetch_add(&c->raw_bytes, len);
}

/*
 * Keep this thread on its CPU, where the data it reads was written. When
 * the CPU is offline the kernel has moved us; we read from elsewhere.
 */
static void rec_pin(uint32_t cpu)
{
	cpu_set_t set;

	if (sched_getcpu() == (int)cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int rec_open_channel(struct rec_cpu *c)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s%u", c->r->chandir,
		 HWSTATS_CHANNEL_BASE, c->cpu);
	c->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	return c->fd < 0 ? -errno : 0;
}

static int rec_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Copy every id the recorder knows into this CPU's sorted list. */
static int rec_known_refresh(struct rec_cpu *c)
{
	struct rec *r = c->r;
	uint32_t n = r->nr_src + r->nr_absent, i;
	uint32_t *k = realloc(c->known, (n ? n : 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	for (i = 0; i < r->nr_src; i++)
		k[i] = r->src[i].id;
	memcpy(k + r->nr_src, r->absent, r->nr_absent * sizeof(*k));
	qsort(k, n, sizeof(*k), rec_cmp_u32);
	c->known = k;
	c->nr_known = n;
	c->known_gen = r->src_gen;
	c->last_id = 0;
	return 0;
}

/*
 * A source id not described yet: a source registered after the start (the
 * session samples every source), or between listing and starting. Ask the
 * module for its schema, keep it for the next files' headers and describe
 * it in the current file. Ids are never reused, so the schema is that
 * source's. Caller holds wlock for writing.
 */
static int rec_learn_source(struct rec *r, uint32_t id)
{
	struct hws_source s = { 0 }, *ns;
	uint32_t i, *na;
	int ret;

	for (i = 0; i < r->nr_src; i++)
		if (r->src[i].id == id)
			return 0;
	for (i = 0; i < r->nr_absent; i++)
		if (r->absent[i] == id)
			return 0;
	ret = hwsdev_schema(r->dev, id, &s);
	if (ret) {
		free(s.counters);
		if (ret == -ENOMEM)
			return ret;
		/* Kept in the file all the same, as records of an unknown source. */
		hwsdev_err("source id %u: no schema (%s); its records are kept without names",
			   id, ret == -ENOENT ? "it is gone and the session did not sample it" :
			   strerror(-ret));
		na = realloc(r->absent, (r->nr_absent + 1) * sizeof(*na));
		if (!na)
			return -ENOMEM;
		r->absent = na;
		r->absent[r->nr_absent++] = id;
		return 0;
	}
	ns = realloc(r->src, (r->nr_src + 1) * sizeof(*ns));
	if (!ns) {
		free(s.counters);
		return -ENOMEM;
	}
	r->src = ns;
	r->src[r->nr_src++] = s;
	r->hdr.sources = r->src;
	r->hdr.nr_sources = r->nr_src;
	return r->w ? hws_writer_add_source(r->w, &s) : -EBADF;
}

/*
 * The first sample of these records whose source this CPU has not seen
 * described, or 0. Caller holds wlock, so the file cannot change between
 * this check and the append.
 */
static uint32_t rec_unknown_source(struct rec_cpu *c, const char *p,
				   size_t len)
{
	size_t off = 0;

	while (off + sizeof(struct hwstats_rec) <= len) {
		const struct hwstats_rec *h = (const void *)(p + off);
		uint32_t id = h->source;

		off += h->len;
		if (h->type != HWSTATS_REC_SAMPLE || id == c->last_id)
			continue;
		if (!bsearch(&id, c->known, c->nr_known, sizeof(id),
			     rec_cmp_u32))
			return id;
		c->last_id = id;
	}
	return 0;
}

/*
 * Append whole records, every source of them described in the file first.
 * The usual case takes wlock for reading. A source met late, or a table
 * pruned by a rotation, takes it alone until the records are appended: the
 * descriptions and the records then go to the same file, and a rotation
 * cannot leave a file describing sources whose records went to the next.
 */
static int rec_append(struct rec_cpu *c, const char *p, size_t len)
{
	struct rec *r = c->r;
	uint32_t id;
	int ret;

	pthread_rwlock_rdlock(&r->wlock);
	if (c->known_gen == r->src_gen && !rec_unknown_source(c, p, len)) {
		ret = r->w ? hws_writer_append(r->w, c->cpu, p, len) : -EBADF;
		pthread_rwlock_unlock(&r->wlock);
		return ret;
	}
	pthread_rwlock_unlock(&r->wlock);

	pthread_rwlock_wrlock(&r->wlock);
	for (;;) {
		if (c->known_gen == r->src_gen) {
			id = rec_unknown_source(c, p, len);
			if (!id)
				break;
			ret = rec_learn_source(r, id);
			if (ret)
				goto out;
		}
		/* Copy the table again: pruned, or @id added to it. */
		ret = rec_known_refresh(c);
		if (ret)
			goto out;
	}
	ret = r->w ? hws_writer_append(r->w, c->cpu, p, len) : -EBADF;
out:
	pthread_rwlock_unlock(&r->wlock);
	return ret;
}

/*
 * Read once; returns bytes of whole records appended, 0 if none, -errno.
 * Caller holds c->lock.
 */
static ssize_t rec_read_locked(struct rec_cpu *c)
{
	struct rec *r = c->r;
	size_t bad = 0;
	ssize_t n;
	long whole;
	int ret;

	if (c->fd < 0)
		return 0;
	n = read(c->fd, c->buf, REC_READ_SIZE);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 0;
	whole = hws_stream_check(c->buf, n, &bad);
	if (whole < 0 || whole != n) {
		/* The kernel hands out whole records only; this is a bug. */
		hwsdev_err("%s/cpu%u: malformed record stream at byte %zu of a %zd-byte read",
			   r->chandir, c->cpu, bad, n);
		return -EBADMSG;
	}
	ret = rec_append(c, c->buf, n);
	if (ret)
		return ret;
	rec_account(c, c->buf, n);
	return n;
}

/*
 * One read of a CPU's channel. A worker (@pin) reads from that CPU when
 * there is one worker per CPU; the main thread, at a cut, from anywhere.
 */
static ssize_t rec_read_once(struct rec_cpu *c, bool pin)
{
	ssize_t n;

	if (pin && c->r->nr_threads == c->r->nr_cpus)
		rec_pin(c->cpu);
	pthread_mutex_lock(&c->lock);
	n = rec_read_locked(c);
	pthread_mutex_unlock(&c->lock);
	return n;
}

/*
 * Read a CPU's channel until it is empty, or until @max bytes (0: no
 * limit); 0, or -errno on a failure.
 */
static int rec_drain_cpu(struct rec_cpu *c, uint64_t max, bool pin)
{
	uint64_t got = 0;
	ssize_t n;

	do {
		n = rec_read_once(c, pin);
		got += n > 0 ? n : 0;
	} while (n > 0 && (!max || got < max));
	return n < 0 ? (int)n : 0;
}

/*
 * One worker serves CPUs i, i + T, i + 2T, ... of T workers (one per CPU
 * unless --threads says fewer). A CPU whose channel file is missing (offline
 * so far) is looked for again on every round.
 */
static void *rec_worker_main(void *arg)
{
	struct rec_cpu *lead = arg;
	struct rec *r = lead->r;
	uint32_t step = r->nr_threads, cpu, nfds;
	struct pollfd *pfd = calloc(r->nr_cpus / step + 1, sizeof(*pfd));
	bool got;
	int err = 0;

	if (!pfd) {
		rec_set_fatal(r, -ENOMEM);
		return NULL;
	}
	while (!atomic_load(&r->fatal) && !err) {
		bool drain = atomic_load(&r->drain);

		nfds = 0;
		for (cpu = lead->cpu; cpu < r->nr_cpus; cpu += step) {
			struct rec_cpu *c = &r->cpus[cpu];

			pthread_mutex_lock(&c->lock);
			if (c->fd < 0)
				rec_open_channel(c);
			pfd[nfds].fd = c->fd;
			pthread_mutex_unlock(&c->lock);
			if (pfd[nfds].fd < 0)
				continue;
			pfd[nfds].events = POLLIN;
			nfds++;
		}
		if (drain) {
			/* The session is stopped and flushed: empty it. */
			for (cpu = lead->cpu; cpu < r->nr_cpus && !err; cpu += step)
				if (r->cpus[cpu].fd >= 0)
					err = rec_drain_cpu(&r->cpus[cpu], 0, true);
			break;
		}
		if (r->o.overwrite || !nfds) {
			/* Flight recorder: the kernel keeps the newest data. */
			usleep(REC_POLL_MS * 1000);
			continue;
		}
		poll(pfd, nfds, REC_POLL_MS);
		/*
		 * One read per CPU per round, rounds until all are empty: a
		 * worker serving several CPUs must not stay on a busy one
		 * while the buffers of the others fill up.
		 */
		do {
			got = false;
			for (cpu = lead->cpu; cpu < r->nr_cpus && !err;
			     cpu += step) {
				ssize_t n;

				if (r->cpus[cpu].fd < 0)
					continue;
				n = rec_read_once(&r->cpus[cpu], true);
				if (n < 0)
					err = (int)n;
				else if (n > 0)
					got = true;
			}
		} while (got && !err && !atomic_load(&r->fatal) &&
			 !atomic_load(&r->drain));
	}
	if (err) {
		lead->err = err;
		rec_set_fatal(r, err);
	}
	for (cpu = lead->cpu; cpu < r->nr_cpus; cpu += step) {
		struct rec_cpu *c = &r->cpus[cpu];

		pthread_mutex_lock(&c->lock);
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		pthread_mutex_unlock(&c->lock);
	}
	free(pfd);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: hwstats-record [OPTION]...\n"
"Record hwstats channels into zstd-compressed .hws trace files.\n"
"\n"
"  -o, --output FILE         trace file to write (default hwstats.hws)\n"
"  -f, --force               overwrite existing files\n"
"  -d, --duration TIME       stop after TIME (e.g. 10s, 500ms, 2h); default:\n"
"                            until SIGINT or SIGTERM\n"
"  -s, --sources LIST        comma-separated source names (default: all,\n"
"                            including sources registered while recording,\n"
"                            whose schemas follow in the file)\n"
"  -p, --period TIME         sampling period of periodic sources (default 10ms)\n"
"  -b, --buffer-size SIZE    relay sub-buffer size per CPU (default 256K)\n"
"  -n, --buffers N           sub-buffers per CPU (default 8)\n"
"  -w, --overwrite           flight recorder: the kernel keeps the newest\n"
"                            data; it is written out on SIGUSR1 and at the end\n"
"  -F, --flush-interval TIME most time a record may wait in the kernel or in\n"
"                            an unfinished chunk: what a crash can lose\n"
"                            (default 1s)\n"
"  -l, --level N             zstd compression level, 1-19 (default 3)\n"
"  -r, --rotate-size SIZE    start a new file when this one reaches SIZE\n"
"  -R, --rotate-time TIME    start a new file every TIME\n"
"  -m, --max-files N         keep only the newest N files (a ring)\n"
"  -t, --threads N           drain with N threads (default: one per CPU, each\n"
"                            pinned to its CPU); fewer share the CPUs\n"
"  -D, --device PATH         control device (default " HWSDEV_DEFAULT_DEVICE ")\n"
"  -q, --quiet               no progress line and no summary\n"
"  -h, --help                this help\n"
"  -V, --version             version\n"
"\n"
"With --rotate-size, --rotate-time, --max-files or --overwrite, files are\n"
"named STEM-000000.hws, STEM-000001.hws, ... after FILE, continuing after\n"
"the highest number already there (existing files count toward --max-files);\n"
"otherwise the first file is FILE and a rotation (SIGHUP) continues with\n"
"STEM-000001.hws.\n"
"\n"
"Signals: SIGINT or SIGTERM stop cleanly (stop the session, drain every\n"
"buffer, close the file with its footer); a second one exits at once and\n"
"leaves every chunk written so far readable. SIGHUP starts a new file;\n"
"the one it closes (or --rotate-time closes) holds every record written\n"
"before.\n"
"SIGUSR1, with --overwrite, writes out what the kernel holds and goes on.\n"
"\n"
"Exit status: 0 captured; 1 bad usage; 2 cannot start (module not loaded,\n"
"no permission, debugfs missing or locked down, a session already running);\n"
"3 the output failed, e.g. disk full (the files keep everything written\n"
"before); 4 records the kernel wrote are missing from the files.\n");
}

static int rec_parse_u64(const char *opt, const char *arg, uint64_t min,
			 uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || end == arg || *arg == '-' || v < min || v > max) {
		hwsdev_err("%s: '%s' must be a number from %llu to %llu", opt,
			   arg, (unsigned long long)min,
			   (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static int rec_parse_args(int argc, char **argv, struct rec_opts *o)
{
	static const struct option longopts[] = {
		{ .name = "output", .has_arg = required_argument, .val = 'o' },
		{ .name = "force", .has_arg = no_argument, .val = 'f' },
		{ .name = "duration", .has_arg = required_argument, .val = 'd' },
		{ .name = "sources", .has_arg = required_argument, .val = 's' },
		{ .name = "period", .has_arg = required_argument, .val = 'p' },
		{ .name = "buffer-size", .has_arg = required_argument, .val = 'b' },
		{ .name = "buffers", .has_arg = required_argument, .val = 'n' },
		{ .name = "overwrite", .has_arg = no_argument, .val = 'w' },
		{ .name = "flush-interval", .has_arg = required_argument, .val = 'F' },
		{ .name = "level", .has_arg = required_argument, .val = 'l' },
		{ .name = "rotate-size", .has_arg = required_argument, .val = 'r' },
		{ .name = "rotate-time", .has_arg = required_argument, .val = 'R' },
		{ .name = "max-files", .has_arg = required_argument, .val = 'm' },
		{ .name = "threads", .has_arg = required_argument, .val = 't' },
		{ .name = "device", .has_arg = required_argument, .val = 'D' },
		{ .name = "quiet", .has_arg = no_argument, .val = 'q' },
		{ .name = "help", .has_arg = no_argument, .val = 'h' },
		{ .name = "version", .has_arg = no_argument, .val = 'V' },
		{ 0 }
	};
	uint64_t v;
	int opt;

	while ((opt = getopt_long(argc, argv, "o:fd:s:p:b:n:wF:l:r:R:m:t:D:qhV",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (!*optarg) {
				hwsdev_err("--output: empty file name");
				return -1;
			}
			o->output = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'd':
			if (hwsdev_parse_duration(optarg, &o->duration_ns) ||
			    !o->duration_ns) {
				hwsdev_err("--duration: '%s' is not a positive time (e.g. 10s, 500ms)", optarg);
				return -1;
			}
			break;
		case 's':
			o->sources = optarg;
			break;
		case 'p':
			if (hwsdev_parse_duration(optarg, &o->period_ns) ||
			    o->period_ns < HWSTATS_MIN_PERIOD_NS) {
				hwsdev_err("--period: '%s' is not a time of at least 100us", optarg);
				return -1;
			}
			break;
		case 'b':
			if (hwsdev_parse_size(optarg, &v) ||
			    v < HWSTATS_MIN_SUBBUF_SIZE ||
			    v > HWSTATS_MAX_SUBBUF_SIZE || (v & 4095)) {
				hwsdev_err("--buffer-size: '%s' must be a multiple of 4K from 4K to 64M", optarg);
				return -1;
			}
			o->subbuf_size = v;
			break;
		case 'n':
			if (rec_parse_u64("--buffers", optarg,
					  HWSTATS_MIN_N_SUBBUFS,
					  HWSTATS_MAX_N_SUBBUFS, &o->n_subbufs))
				return -1;
			break;
		case 'w':
			o->overwrite = true;
			break;
		case 'F':
			if (hwsdev_parse_duration(optarg, &o->flush_ns) ||
			    o->flush_ns < HWSTATS_MIN_FLUSH_NS) {
				hwsdev_err("--flush-interval: '%s' is not a time of at least 10ms", optarg);
				return -1;
			}
			break;
		case 'l':
			if (rec_parse_u64("--level", optarg, 1, 19, &v))
				return -1;
			o->level = (int)v;
			break;
		case 'r':
			if (hwsdev_parse_size(optarg, &o->rotate_size) ||
			    o->rotate_size < 4096) {
				hwsdev_err("--rotate-size: '%s' is not a size of at least 4K (e.g. 64M)", optarg);
				return -1;
			}
			break;
		case 'R':
			if (hwsdev_parse_duration(optarg, &o->rotate_ns) ||
			    o->rotate_ns < 1000000000ULL) {
				hwsdev_err("--rotate-time: '%s' is not a time of at least 1s", optarg);
				return -1;
			}
			break;
		case 'm':
			if (rec_parse_u64("--max-files", optarg, 1, 1000000,
					  &o->max_files))
				return -1;
			break;
		case 't':
			if (rec_parse_u64("--threads", optarg, 1, 4096,
					  &o->threads))
				return -1;
			break;
		case 'D':
			o->device = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(REC_EXIT_OK);
		case 'V':
			printf("hwstats-record %s (format %d.%d, ABI %d.%d)\n",
			       HWSTATS_VERSION, HWS_FORMAT_MAJOR,
			       HWS_FORMAT_MINOR, HWSTATS_ABI_MAJOR,
			       HWSTATS_ABI_MINOR);
			exit(REC_EXIT_OK);
		default:
			fprintf(stderr, "Try 'hwstats-record --help'.\n");
			return -1;
		}
	}
	if (optind < argc) {
		hwsdev_err("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->subbuf_size && o->n_subbufs &&
	    o->subbuf_size * o->n_subbufs > HWSTATS_MAX_BUFFER_SIZE) {
		hwsdev_err("--buffer-size x --buffers exceeds %llu MiB per CPU",
			   HWSTATS_MAX_BUFFER_SIZE >> 20);
		return -1;
	}
	return 0;
}

/* Resolve --sources names to ids; every name must exist. */
static int rec_select_sources(struct rec *r)
{
	char *copy = strdup(r->o.sources), *save = NULL, *name;
	uint32_t *out = calloc(r->nr_src ? r->nr_src : 1, sizeof(*out));
	uint32_t n = 0, i;

	if (!copy || !out) {
		free(copy);
		free(out);
		hwsdev_err("out of memory");
		return -ENOMEM;
	}
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < r->nr_src; i++)
			if (!strcmp(r->src[i].name, name))
				break;
		if (i == r->nr_src) {
			hwsdev_err("--sources: no source named '%s' is registered", name);
			free(copy);
			free(out);
			return -ENOENT;
		}
		if (n < r->nr_src)
			out[n++] = r->src[i].id;
	}
	free(copy);
	if (!n) {
		free(out);
		hwsdev_err("--sources: empty list");
		return -EINVAL;
	}
	r->ids = out;
	r->nr_ids = n;
	return 0;
}

static const char *rec_start_error(int err)
{
	switch (err) {
	case -EBUSY:
		return "a session is already running (another hwstats-record?), or a reader still holds the last one's channel files open";
	case -EPERM:
		return "starting a session needs root (CAP_SYS_ADMIN)";
	case -EOPNOTSUPP:
		return "the module has no debugfs (not mounted at load, or blocked by kernel lockdown)";
	case -ENOMEM:
		return "the kernel could not allocate the buffers; try a smaller --buffer-size or --buffers";
	case -ENOENT:
		return "a selected source went away";
	default:
		return strerror(-err);
	}
}

/* The name of file number @seq. */
static void rec_file_name(const struct rec *r, uint64_t seq, char *out,
			  size_t len)
{
	const char *o = r->o.output;
	size_t n = strlen(o);
	bool ext = n > 4 && !strcmp(o + n - 4, ".hws");

	if (!r->numbered && seq == 0)
		snprintf(out, len, "%s", o);
	else
		snprintf(out, len, "%.*s-%06llu%s", (int)(ext ? n - 4 : n), o,
			 (unsigned long long)seq, ext ? ".hws" : "");
}

static int rec_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A numbered set continues after the files already there, and they count
 * toward --max-files: a restarted recorder (a service, after a reboot)
 * never overwrites a capture and keeps disk use bounded all the same.
 */
static int rec_scan_existing(struct rec *r)
{
	char dir[sizeof(r->path)], first[sizeof(r->path)];
	const char *base, *slash;
	size_t stem_len, ext_len;
	struct dirent *e;
	DIR *d;

	rec_file_name(r, 0, first, sizeof(first));
	slash = strrchr(first, '/');
	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - first), first);
		base = slash + 1;
	} else {
		strcpy(dir, ".");
		base = first;
	}
	/* base is STEM-000000[.hws] */
	ext_len = strlen(base) >= 4 && !strcmp(base + strlen(base) - 4, ".hws") ? 4 : 0;
	stem_len = strlen(base) - ext_len - 6;
	d = opendir(dir[0] ? dir : "/");
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		unsigned long long seq;
		char **ring;
		char *end;

		if (strlen(n) != stem_len + 6 + ext_len ||
		    strncmp(n, base, stem_len) ||
		    strcmp(n + stem_len + 6, base + stem_len + 6))
			continue;
		errno = 0;
		seq = strtoull(n + stem_len, &end, 10);
		if (errno || end != n + stem_len + 6)
			continue;
		if (seq + 1 > r->file_seq)
			r->file_seq = seq + 1;
		ring = realloc(r->ring, (r->nr_ring + 1) * sizeof(*ring));
		if (!ring)
			break;
		r->ring = ring;
		if (asprintf(&r->ring[r->nr_ring], "%s/%s", dir, n) < 0)
			break;
		r->nr_ring++;
	}
	closedir(d);
	qsort(r->ring, r->nr_ring, sizeof(*r->ring), rec_cmp_str);
	return 0;
}

/* Create file @seq before it is needed, so a bad path costs no data. */
static int rec_create_file(struct rec *r, uint64_t seq)
{
	char path[sizeof(r->path)];
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC;
	int fd;

	rec_file_name(r, seq, path, sizeof(path));
	if (!r->o.force)
		flags |= O_EXCL;
	fd = open(path, flags, 0644);
	if (fd < 0) {
		int err = -errno;

		hwsdev_err("%s: %s", path, err == -EEXIST ?
			   "file exists (use --force to overwrite)" :
			   err == -ENOSPC ? "disk full" : strerror(-err));
		return err;
	}
	r->next_fd = fd;
	return 0;
}

/* Take the pre-created next file into use. Caller holds wlock for writing. */
static int rec_file_begin(struct rec *r)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo) };
	char **ring;

	wo.level = r->o.level;
	wo.chunk_ns = r->o.flush_ns ? r->o.flush_ns : HWSTATS_DEFAULT_FLUSH_NS;
	rec_file_name(r, r->file_seq, r->path, sizeof(r->path));
	r->w = hws_writer_fdopen(r->next_fd, &r->hdr, &wo);
	if (!r->w) {
		int err = -errno;

		hwsdev_err("%s: %s", r->path, err == -ENOSPC ? "disk full" :
			   strerror(-err));
		close(r->next_fd);
		r->next_fd = -1;
		return err;
	}
	r->next_fd = -1;
	r->file_t0 = rec_now();
	r->nr_files++;
	ring = realloc(r->ring, (r->nr_ring + 1) * sizeof(*ring));
	if (ring) {
		r->ring = ring;
		r->ring[r->nr_ring] = strdup(r->path);
		if (r->ring[r->nr_ring])
			r->nr_ring++;
	}
	/* The ring: the oldest files go, the newest max_files stay. */
	while (r->o.max_files && r->nr_ring > r->o.max_files) {
		if (unlink(r->ring[0]) < 0 && errno != ENOENT)
			hwsdev_err("%s: cannot remove: %s", r->ring[0],
				   strerror(errno));
		free(r->ring[0]);
		memmove(r->ring, r->ring + 1, --r->nr_ring * sizeof(*r->ring));
	}
	return 0;
}

/*
 * Session totals so far, for a footer: cumulative per CPU, so the newest
 * file of a rotated set holds the totals of the whole session.
 */
static struct hws_cpu_totals *rec_totals(struct rec *r, uint32_t *nr,
					 struct hwstats_cpu_stats **stats)
{
	struct hwstats_cpu_stats *st = NULL;
	struct hws_cpu_totals *tot;
	uint32_t nr_st = 0, i;
	int ret;

	ret = hwsdev_stats(r->dev, &st, &nr_st);
	if (ret) {
		hwsdev_err("%s: statistics: %s", r->o.device, strerror(-ret));
		*nr = 0;
		return NULL;
	}
	tot = calloc(nr_st ? nr_st : 1, sizeof(*tot));
	for (i = 0; tot && i < nr_st; i++) {
		tot[i].cpu = st[i].cpu;
		tot[i].flags = st[i].flags;
		tot[i].records = st[i].records;
		tot[i].bytes = st[i].bytes;
		tot[i].lost = st[i].lost;
		tot[i].subbufs = st[i].subbufs;
	}
	*nr = tot ? nr_st : 0;
	if (stats)
		*stats = st;
	else
		free(st);
	return tot;
}

/* Close the current file with @tot. Caller holds wlock for writing. */
static int rec_file_end(struct rec *r, const struct hws_cpu_totals *tot,
			uint32_t nr_tot)
{
	int ret;

	if (!r->w)
		return 0;
	r->closed_bytes += hws_writer_file_bytes(r->w);
	r->closed_raw += hws_writer_raw_bytes(r->w);
	ret = hws_writer_close(r->w, tot, nr_tot);
	r->w = NULL;
	if (ret)
		hwsdev_err("%s: closing: %s", r->path,
			   ret == -ENOSPC ? "disk full" : strerror(-ret));
	return ret;
}

/*
 * A new file describes the sources registered now, not every one met so
 * far: a driver reloaded every minute for a month must not grow every
 * header (and the recorder) without end. Records of a source gone since
 * still find their schema: the check before each append meets an id the
 * new file does not describe and asks the module, which keeps the schemas
 * the session sampled. Caller holds wlock for writing, or the threads are
 * stopped. On failure the table stays as it is (larger, still right).
 */
static void rec_sources_prune(struct rec *r)
{
	struct hws_source *now;
	uint32_t nr;

	if (hwsdev_sources(r->dev, &now, &nr))
		return;
	hwsdev_sources_free(r->src, r->nr_src);
	r->src = now;
	r->nr_src = nr;
	r->hdr.sources = now;
	r->hdr.nr_sources = nr;
	r->src_gen++;
}

/*
 * Cut the capture here, before a new file on SIGHUP or --rotate-time:
 * complete every CPU's current sub-buffer (FLUSH) and read every channel
 * empty from this thread, so the file that closes holds every record
 * written before the rotation, not up to two flush intervals less (a file
 * of an hour holds that hour). Reading stops after a buffer's worth per
 * CPU, so a CPU written faster than it is read cannot hold the rotation
 * up; a CPU gone offline keeps its last partial sub-buffer until it comes
 * back or the session ends. Whatever misses the cut goes into the next
 * file: nothing is lost either way.
 */
static int rec_cut(struct rec *r)
{
	uint64_t max = (uint64_t)r->hdr.subbuf_size * r->hdr.n_subbufs;
	uint32_t i;
	int ret = 0;

	if (r->o.overwrite || hwsdev_flush(r->dev))
		return 0;
	for (i = 0; i < r->nr_cpus && !ret; i++)
		ret = rec_drain_cpu(&r->cpus[i], max, false);
	return ret;
}

/*
 * A new file, same session: no record is lost or written twice. With
 * @cut, the file that closes holds every record written before this call.
 * The next file is created under the lock, so once it exists no record
 * goes into the one before.
 */
static int rec_rotate(struct rec *r, bool cut)
{
	struct hws_cpu_totals *tot;
	uint32_t nr_tot;
	int ret;

	if (cut) {
		ret = rec_cut(r);
		if (ret)
			return ret;
	}
	pthread_rwlock_wrlock(&r->wlock);
	ret = rec_create_file(r, r->file_seq + 1);
	if (!ret) {
		tot = rec_totals(r, &nr_tot, NULL);
		ret = rec_file_end(r, tot, nr_tot);
		free(tot);
		r->file_seq++;
		if (!ret) {
			rec_sources_prune(r);
			ret = rec_file_begin(r);
		}
	}
	pthread_rwlock_unlock(&r->wlock);
	return ret;
}

static int rec_build_header(struct rec *r)
{
	struct hwstats_info info;
	struct hws_header *h = &r->hdr;
	struct utsname u;
	int ret;

	ret = hwsdev_info(r->dev, &info);
	if (ret)
		return ret;
	memset(h, 0, sizeof(*h));
	if (gethostname(h->host, sizeof(h->host) - 1) < 0)
		strcpy(h->host, "unknown");
	/* Both fit: 64 >= sizeof(u.release) here, 32 == the ABI's field. */
	if (uname(&u) == 0)
		memcpy(h->kernel, u.release,
		       sizeof(h->kernel) < sizeof(u.release) ?
		       sizeof(h->kernel) - 1 : sizeof(u.release));
	memcpy(h->module_version, r->ver.module_version,
	       sizeof(h->module_version) - 1);
	h->clock = 0;
	h->nr_cpus = info.nr_cpu_ids;
	h->subbuf_size = info.subbuf_size;
	h->n_subbufs = info.n_subbufs;
	h->session_flags = info.session_flags;
	h->session_id = info.session_id;
	h->period_ns = info.period_ns;
	h->start_boot_ns = info.start_boot_ns;
	h->start_real_ns = info.start_real_ns;
	h->nr_sources = r->nr_src;
	h->sources = r->src;
	r->nr_cpus = info.nr_cpu_ids;
	return 0;
}

static int rec_session_start(struct rec *r)
{
	struct hwstats_start start = { .size = sizeof(start) };
	int ret;

	start.flags = r->o.overwrite ? HWSTATS_START_OVERWRITE : 0;
	start.subbuf_size = r->o.subbuf_size;
	start.n_subbufs = r->o.n_subbufs;
	start.period_ns = r->o.period_ns;
	start.flush_interval_ns = r->o.flush_ns;
	start.nr_sources = r->nr_ids;
	start.source_ids = (uintptr_t)r->ids;
	ret = hwsdev_start(r->dev, &start);
	if (ret) {
		hwsdev_err("%s: cannot start: %s", r->o.device,
			   rec_start_error(ret));
		return ret;
	}
	ret = rec_build_header(r);
	if (ret)
		hwsdev_err("%s: session information: %s", r->o.device,
			   strerror(-ret));
	return ret;
}

static int rec_threads_start(struct rec *r)
{
	uint32_t i;
	int ret;

	atomic_store(&r->drain, 0);
	for (i = 0; i < r->nr_cpus; i++)
		r->cpus[i].fd = -1;
	for (i = 0; i < r->nr_threads; i++) {
		struct rec_cpu *c = &r->cpus[i];

		ret = pthread_create(&c->thread, NULL, rec_worker_main, c);
		if (ret) {
			hwsdev_err("cpu%u: cannot start a thread: %s", i,
				   strerror(ret));
			rec_set_fatal(r, -ret);
			return -ret;
		}
		c->started = true;
	}
	return 0;
}

/* Stop the session, drain every channel, wait for the threads. */
static void rec_session_stop(struct rec *r)
{
	uint32_t i;
	int ret;

	ret = hwsdev_stop(r->dev);
	if (ret && ret != -EINVAL)
		hwsdev_err("%s: stop: %s", r->o.device, strerror(-ret));
	atomic_store(&r->drain, 1);
	for (i = 0; i < r->nr_cpus; i++) {
		struct rec_cpu *c = &r->cpus[i];

		if (!c->started)
			continue;
		/* A second signal: leave now; the chunks written so far stay. */
		while (pthread_tryjoin_np(c->thread, NULL) == EBUSY) {
			if (rec_stop_signals > 1)
				_exit(REC_EXIT_INCOMPLETE);
			usleep(10000);
		}
		c->started = false;
	}
}

static void rec_progress(struct rec *r, double elapsed)
{
	uint64_t samples = 0, raw, file;
	uint32_t i;

	pthread_rwlock_rdlock(&r->wlock);
	file = r->closed_bytes + (r->w ? hws_writer_file_bytes(r->w) : 0);
	raw = r->closed_raw + (r->w ? hws_writer_raw_bytes(r->w) : 0);
	pthread_rwlock_unlock(&r->wlock);
	for (i = 0; i < r->nr_cpus; i++)
		samples += atomic_load(&r->cpus[i].samples);
	fprintf(stderr, "\r%7.1fs  %10llu records  %8.0f rec/s  %9.1f KiB  ratio %5.1fx ",
		elapsed, (unsigned long long)samples,
		elapsed > 0 ? samples / elapsed : 0.0, file / 1024.0,
		file ? (double)raw / file : 0.0);
	fflush(stderr);
}

static bool rec_summary(struct rec *r, const struct hwstats_cpu_stats *st,
			uint32_t nr_st, double elapsed)
{
	uint64_t t_samples = 0, t_raw = 0, t_lost = 0;
	bool incomplete = false;
	uint32_t i;

	if (!r->o.quiet)
		printf("\n%-5s %12s %12s %10s %8s\n", "cpu", "records",
		       "raw bytes", "lost", "% lost");
	for (i = 0; i < r->nr_cpus; i++) {
		struct rec_cpu *c = &r->cpus[i];
		uint64_t s = atomic_load(&c->samples);
		uint64_t raw = atomic_load(&c->raw_bytes);
		uint64_t lost = i < nr_st ? st[i].lost : c->seen_lost;
		uint64_t kern = i < nr_st ? st[i].records : s;

		/*
		 * Overwrite mode drops old data by design, and after an output
		 * failure the files hold less than was taken: no comparison.
		 */
		if (kern != s && !r->o.overwrite && !atomic_load(&r->fatal)) {
			incomplete = true;
			hwsdev_err("cpu%u: the kernel wrote %llu records, the files have %llu",
				   i, (unsigned long long)kern,
				   (unsigned long long)s);
		}
		t_samples += s;
		t_raw += raw;
		t_lost += lost;
		if (r->o.quiet || (!s && !lost))
			continue;
		printf("%-5u %12llu %12llu %10llu %7.3f%%\n", i,
		       (unsigned long long)s, (unsigned long long)raw,
		       (unsigned long long)lost,
		       s + lost ? 100.0 * lost / (s + lost) : 0.0);
	}
	if (r->o.quiet)
		return incomplete;
	printf("%-5s %12llu %12llu %10llu %7.3f%%\n", "total",
	       (unsigned long long)t_samples, (unsigned long long)t_raw,
	       (unsigned long long)t_lost,
	       t_samples + t_lost ? 100.0 * t_lost / (t_samples + t_lost) : 0.0);
	if (atomic_load(&r->fatal))
		printf("the output failed: the records above were read, the files hold those of every chunk completed before the failure\n");
	printf("%s%s: %llu records in %.2f s, %llu bytes (%.1fx smaller than raw), %llu lost\n",
	       r->nr_files > 1 ? "last of the files, " : "", r->path,
	       (unsigned long long)t_samples, elapsed,
	       (unsigned long long)r->closed_bytes,
	       r->closed_bytes ? (double)t_raw / r->closed_bytes : 0.0,
	       (unsigned long long)t_lost);
	if (r->nr_files > 1)
		printf("%u files written, %u kept\n", r->nr_files, r->nr_ring);
	if (t_lost && !r->o.overwrite)
		printf("advice: records were dropped because a CPU's buffer was full; "
		       "raise --buffer-size or --buffers (now %u x %u bytes per CPU), "
		       "or lower the rate. 'hwstats-report' shows when.\n",
		       (unsigned)(r->o.n_subbufs ? r->o.n_subbufs : HWSTATS_DEFAULT_N_SUBBUFS),
		       (unsigned)(r->o.subbuf_size ? r->o.subbuf_size : HWSTATS_DEFAULT_SUBBUF_SIZE));
	return incomplete;
}

static int rec_setup(struct rec *r)
{
	int ret;

	r->dev = hwsdev_open(r->o.device, &r->ver);
	if (r->dev < 0) {
		hwsdev_err("%s: %s", r->o.device, hwsdev_open_hint(r->dev));
		return REC_EXIT_SETUP;
	}
	ret = hwsdev_channel_dir(r->chandir, sizeof(r->chandir));
	if (ret) {
		hwsdev_err("debugfs: %s", ret == -ENOENT ?
			   "not mounted (mount -t debugfs none /sys/kernel/debug)" :
			   ret == -EACCES || ret == -EPERM ?
			   "permission denied: capturing needs root (CAP_SYS_ADMIN); without it, hwstats-stat takes snapshots" :
			   ret == -ENOTDIR ?
			   "no hwstats directory (debugfs mounted after the module loaded, or blocked by kernel lockdown)" :
			   strerror(-ret));
		return REC_EXIT_SETUP;
	}
	ret = hwsdev_sources(r->dev, &r->src, &r->nr_src);
	if (ret) {
		hwsdev_err("%s: listing sources: %s", r->o.device,
			   strerror(-ret));
		return REC_EXIT_SETUP;
	}
	if (r->o.sources && rec_select_sources(r))
		return REC_EXIT_USAGE;
	return 0;
}

int main(int argc, char **argv)
{
	struct rec r = { .dev = -1, .next_fd = -1 };
	struct hwstats_cpu_stats *st = NULL;
	struct hws_cpu_totals *tot;
	struct sigaction sa = { .sa_handler = rec_on_signal };
	uint32_t nr_st = 0, nr_tot, i;
	double t0, next_progress, next_flush, flush_s, elapsed;
	int ret, status = REC_EXIT_OK, hup_seen = 0, dump_seen = 0;
	bool tty, dump, hup, timed;

	hwsdev_prog = "hwstats-record";
	r.o.output = "hwstats.hws";
	r.o.device = HWSDEV_DEFAULT_DEVICE;
	if (rec_parse_args(argc, argv, &r.o))
		return REC_EXIT_USAGE;
	r.numbered = r.o.rotate_size || r.o.rotate_ns || r.o.max_files ||
		     r.o.overwrite;
	pthread_rwlock_init(&r.wlock, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = rec_setup(&r);
	if (ret)
		return ret;
	if (r.numbered && rec_scan_existing(&r)) {
		hwsdev_err("%s: cannot list the files already there: %s",
			   r.o.output, strerror(errno));
		return REC_EXIT_OUTPUT;
	}
	if (rec_create_file(&r, r.file_seq))
		return REC_EXIT_OUTPUT;
	if (rec_session_start(&r)) {
		char path[sizeof(r.path)];

		rec_file_name(&r, r.file_seq, path, sizeof(path));
		close(r.next_fd);
		unlink(path);
		return REC_EXIT_SETUP;
	}
	r.nr_threads = r.o.threads && r.o.threads < r.nr_cpus ?
		       (uint32_t)r.o.threads : r.nr_cpus;
	r.cpus = calloc(r.nr_cpus, sizeof(*r.cpus));
	if (!r.cpus) {
		hwsdev_err("out of memory");
		return REC_EXIT_SETUP;
	}
	for (i = 0; i < r.nr_cpus; i++) {
		r.cpus[i].r = &r;
		r.cpus[i].cpu = i;
		r.cpus[i].fd = -1;
		pthread_mutex_init(&r.cpus[i].lock, NULL);
		r.cpus[i].buf = malloc(REC_READ_SIZE);
		if (!r.cpus[i].buf) {
			hwsdev_err("out of memory");
			return REC_EXIT_SETUP;
		}
	}

	tty = !r.o.quiet && isatty(STDERR_FILENO);
	flush_s = (r.o.flush_ns ? r.o.flush_ns : HWSTATS_DEFAULT_FLUSH_NS) / 1e9;
	t0 = rec_now();
	for (;;) {
		/* One kernel session: the first, or the next after a dump. */
		pthread_rwlock_wrlock(&r.wlock);
		ret = rec_file_begin(&r);
		pthread_rwlock_unlock(&r.wlock);
		if (ret) {
			rec_set_fatal(&r, ret);
			hwsdev_stop(r.dev);
			break;
		}
		rec_threads_start(&r);
		next_progress = rec_now() + 0.5;
		next_flush = rec_now() + flush_s;
		dump = false;
		while (!rec_stop_signals && !atomic_load(&r.fatal)) {
			double now = rec_now();

			if (r.o.duration_ns && now - t0 >= r.o.duration_ns / 1e9)
				break;
			if (tty && now >= next_progress) {
				rec_progress(&r, now - t0);
				next_progress = now + 0.5;
			}
			if (r.o.overwrite && rec_dump_signals != dump_seen) {
				dump_seen = rec_dump_signals;
				dump = true;
				break;
			}
			hup = rec_rotate_signals != hup_seen;
			timed = r.o.rotate_ns &&
				now - r.file_t0 >= r.o.rotate_ns / 1e9;
			if (hup || timed ||
			    (r.o.rotate_size && r.w &&
			     hws_writer_file_bytes(r.w) >= r.o.rotate_size)) {
				hup_seen = rec_rotate_signals;
				ret = rec_rotate(&r, hup || timed);
				if (ret)
					rec_set_fatal(&r, ret);
			}
			if (now >= next_flush && !r.o.overwrite) {
				pthread_rwlock_wrlock(&r.wlock);
				ret = hws_writer_flush(r.w);
				pthread_rwlock_unlock(&r.wlock);
				if (ret)
					rec_set_fatal(&r, ret);
				next_flush = now + flush_s;
			}
			usleep(20000);
		}
		rec_session_stop(&r);
		if (!dump)
			break;
		/* Flight recorder dump: close this file, go on in the next. */
		if (rec_create_file(&r, r.file_seq + 1)) {
			rec_set_fatal(&r, -EIO);
			break;
		}
		pthread_rwlock_wrlock(&r.wlock);
		tot = rec_totals(&r, &nr_tot, NULL);
		rec_file_end(&r, tot, nr_tot);
		free(tot);
		r.file_seq++;
		pthread_rwlock_unlock(&r.wlock);
		hwsdev_reset(r.dev);
		rec_sources_prune(&r);
		if (rec_session_start(&r)) {
			rec_set_fatal(&r, -EIO);
			break;
		}
		if (!r.o.quiet)
			fprintf(stderr, "%s: flight recorder dumped, recording into %s\n",
				hwsdev_prog, r.path);
	}
	elapsed = rec_now() - t0;
	if (tty)
		fputc('\n', stderr);

	pthread_rwlock_wrlock(&r.wlock);
	tot = rec_totals(&r, &nr_tot, &st);
	nr_st = st ? nr_tot : 0;
	if (atomic_load(&r.fatal)) {
		ret = atomic_load(&r.fatal);
		hwsdev_err("%s: %s; the file keeps every chunk written before",
			   r.path, ret == -ENOSPC ? "disk full" : strerror(-ret));
		status = REC_EXIT_OUTPUT;
	}
	ret = rec_file_end(&r, tot, nr_tot);
	pthread_rwlock_unlock(&r.wlock);
	if (ret && status == REC_EXIT_OK)
		status = REC_EXIT_OUTPUT;
	if (r.next_fd >= 0) {
		char path[sizeof(r.path)];

		rec_file_name(&r, r.file_seq + 1, path, sizeof(path));
		close(r.next_fd);
		unlink(path);
	}
	if (rec_summary(&r, st, nr_st, elapsed) && status == REC_EXIT_OK)
		status = REC_EXIT_INCOMPLETE;
	for (i = 0; i < r.nr_cpus; i++) {
		free(r.cpus[i].buf);
		free(r.cpus[i].known);
	}
	for (i = 0; i < r.nr_ring; i++)
		free(r.ring[i]);
	free(r.ring);
	free(r.cpus);
	free(st);
	free(tot);
	free(r.ids);
	free(r.absent);
	hwsdev_sources_free(r.src, r.nr_src);
	close(r.dev);
	return status;
}
