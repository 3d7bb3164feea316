// SPDX-License-Identifier: MIT
/*
 * hwstats-record - drain every CPU's hwstats channel into a .hws file.
 *
 * One thread per CPU, pinned to that CPU: the kernel writes a record with
 * interrupts off on its own CPU, so a reader running on that same CPU can
 * never observe a record that is reserved but not yet filled, and may read
 * the partly filled current sub-buffer without waiting for it to complete.
 * Each thread compresses its own chunks (libhws does it in the caller), so
 * compression scales with the CPUs being recorded.
 *
 * Signals only set flags; the main loop stops the session, the threads
 * drain until read() returns 0, and the file is closed with its footer.
 */
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
	int fd;
	char *buf;
	_Atomic uint64_t samples;	/* sample records taken */
	_Atomic uint64_t records;	/* every record, headers included */
	_Atomic uint64_t raw_bytes;
	uint64_t seen_lost;		/* from sub-buffer headers */
	int err;			/* -errno that stopped this thread */
};

struct rec {
	struct rec_opts o;
	char chandir[512];
	int dev;
	struct hws_writer *w;
	uint32_t nr_cpus;
	struct rec_cpu *cpus;
	atomic_int drain;		/* session stopped: read until empty */
	atomic_int fatal;		/* -errno of the first output failure */
};

static volatile sig_atomic_t rec_signals;

static void rec_on_signal(int sig)
{
	(void)sig;
	rec_signals++;
}

static double rec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
 * Keep this thread on its CPU. When the CPU is offline the kernel has moved
 * us: no writer runs there then, so reading from elsewhere is safe.
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

/* Read once; returns bytes of whole records appended, 0 if none, -errno. */
static ssize_t rec_read_once(struct rec_cpu *c)
{
	struct rec *r = c->r;
	size_t bad;
	ssize_t n;
	long whole;
	int ret;

	rec_pin(c->cpu);
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
	ret = hws_writer_append(r->w, c->cpu, c->buf, n);
	if (ret)
		return ret;
	rec_account(c, c->buf, n);
	return n;
}

static void *rec_cpu_main(void *arg)
{
	struct rec_cpu *c = arg;
	struct rec *r = c->r;
	ssize_t n;

	rec_pin(c->cpu);
	while (!atomic_load(&r->fatal)) {
		struct pollfd pfd;

		if (c->fd < 0 && rec_open_channel(c) < 0) {
			/* No buffer for this CPU (offline so far). */
			if (atomic_load(&r->drain))
				break;
			usleep(REC_POLL_MS * 1000);
			continue;
		}
		if (atomic_load(&r->drain)) {
			/* The session is stopped and flushed: empty it. */
			do {
				n = rec_read_once(c);
			} while (n > 0);
			if (n < 0)
				c->err = (int)n;
			break;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		/* A timeout also reads: the partly filled sub-buffer. */
		poll(&pfd, 1, REC_POLL_MS);
		do {
			n = rec_read_once(c);
		} while (n == REC_READ_SIZE);
		if (n < 0) {
			c->err = (int)n;
			break;
		}
	}
	if (c->err) {
		int zero = 0;

		atomic_compare_exchange_strong(&r->fatal, &zero, c->err);
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: hwstats-record [OPTION]...\n"
"Record hwstats channels into a zstd-compressed .hws trace file.\n"
"\n"
"  -o, --output FILE         trace file to write (default hwstats.hws)\n"
"  -f, --force               overwrite FILE if it exists\n"
"  -d, --duration TIME       stop after TIME (e.g. 10s, 500ms, 2h); default:\n"
"                            until SIGINT or SIGTERM\n"
"  -s, --sources LIST        comma-separated source names (default: all,\n"
"                            including sources registered while recording)\n"
"  -p, --period TIME         sampling period of periodic sources (default 10ms)\n"
"  -b, --buffer-size SIZE    relay sub-buffer size per CPU (default 256K)\n"
"  -n, --buffers N           sub-buffers per CPU (default 8)\n"
"  -w, --overwrite           flight recorder: keep the newest data in the\n"
"                            kernel buffers instead of dropping new records\n"
"  -F, --flush-interval TIME most time a record may wait in the kernel or in\n"
"                            an unfinished chunk (default 1s)\n"
"  -l, --level N             zstd compression level (default 3)\n"
"  -D, --device PATH         control device (default " HWSDEV_DEFAULT_DEVICE ")\n"
"  -q, --quiet               no progress line and no summary\n"
"  -h, --help                this help\n"
"  -V, --version             version\n"
"\n"
"SIGINT or SIGTERM stops the capture cleanly; a second SIGINT exits at once,\n"
"leaving a file readable up to its last complete chunk.\n"
"\n"
"Exit status: 0 captured; 1 bad usage; 2 cannot start (module not loaded,\n"
"no permission, debugfs missing or locked down, a session already running);\n"
"3 the output failed (the file keeps everything written before);\n"
"4 records the kernel wrote are missing from the file.\n");
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
		{ .name = "device", .has_arg = required_argument, .val = 'D' },
		{ .name = "quiet", .has_arg = no_argument, .val = 'q' },
		{ .name = "help", .has_arg = no_argument, .val = 'h' },
		{ .name = "version", .has_arg = no_argument, .val = 'V' },
		{ 0 }
	};
	uint64_t v;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "o:fd:s:p:b:n:wF:l:D:qhV",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
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
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg ||
			    v < HWSTATS_MIN_N_SUBBUFS ||
			    v > HWSTATS_MAX_N_SUBBUFS) {
				hwsdev_err("--buffers: '%s' must be a number from %u to %u",
					   optarg, HWSTATS_MIN_N_SUBBUFS,
					   HWSTATS_MAX_N_SUBBUFS);
				return -1;
			}
			o->n_subbufs = v;
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
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > 19) {
				hwsdev_err("--level: '%s' must be a number from 1 to 19", optarg);
				return -1;
			}
			o->level = (int)v;
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
static int rec_select_sources(const char *list, const struct hws_source *src,
			      uint32_t nr, uint32_t **ids, uint32_t *nr_ids)
{
	char *copy = strdup(list), *save = NULL, *name;
	uint32_t *out = calloc(nr ? nr : 1, sizeof(*out));
	uint32_t n = 0, i;

	if (!copy || !out) {
		free(copy);
		free(out);
		return -ENOMEM;
	}
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nr; i++)
			if (!strcmp(src[i].name, name))
				break;
		if (i == nr) {
			hwsdev_err("--sources: no source named '%s' is registered", name);
			free(copy);
			free(out);
			return -ENOENT;
		}
		out[n++] = src[i].id;
	}
	free(copy);
	if (!n) {
		free(out);
		hwsdev_err("--sources: empty list");
		return -EINVAL;
	}
	*ids = out;
	*nr_ids = n;
	return 0;
}

static const char *rec_start_error(int err)
{
	switch (err) {
	case -EBUSY:
		return "a session is already running (another hwstats-record?)";
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

static void rec_progress(struct rec *r, double elapsed)
{
	uint64_t samples = 0, raw;
	uint64_t file = hws_writer_file_bytes(r->w);
	uint32_t i;

	raw = hws_writer_raw_bytes(r->w);
	for (i = 0; i < r->nr_cpus; i++)
		samples += atomic_load(&r->cpus[i].samples);
	fprintf(stderr, "\r%7.1fs  %10llu records  %8.0f rec/s  %9.1f KiB  ratio %5.1fx ",
		elapsed, (unsigned long long)samples,
		elapsed > 0 ? samples / elapsed : 0.0, file / 1024.0,
		file ? (double)raw / file : 0.0);
	fflush(stderr);
}

static void rec_summary(struct rec *r, const struct hwstats_cpu_stats *st,
			uint32_t nr_st, double elapsed, bool *incomplete)
{
	uint64_t t_samples = 0, t_raw = 0, t_lost = 0, t_kernel = 0;
	uint64_t file = hws_writer_file_bytes(r->w);
	uint32_t i;

	*incomplete = false;
	if (!r->o.quiet)
		printf("\n%-5s %12s %12s %10s %8s\n", "cpu", "records",
		       "raw bytes", "lost", "% lost");
	for (i = 0; i < r->nr_cpus; i++) {
		struct rec_cpu *c = &r->cpus[i];
		uint64_t s = atomic_load(&c->samples);
		uint64_t raw = atomic_load(&c->raw_bytes);
		uint64_t lost = i < nr_st ? st[i].lost : c->seen_lost;
		uint64_t kern = i < nr_st ? st[i].records : s;

		if (kern != s) {
			*incomplete = true;
			hwsdev_err("cpu%u: the kernel wrote %llu records, the file has %llu",
				   i, (unsigned long long)kern,
				   (unsigned long long)s);
		}
		t_samples += s;
		t_raw += raw;
		t_lost += lost;
		t_kernel += kern;
		if (r->o.quiet || (!s && !lost))
			continue;
		printf("%-5u %12llu %12llu %10llu %7.3f%%\n", i,
		       (unsigned long long)s, (unsigned long long)raw,
		       (unsigned long long)lost,
		       s + lost ? 100.0 * lost / (s + lost) : 0.0);
	}
	if (r->o.quiet)
		return;
	printf("%-5s %12llu %12llu %10llu %7.3f%%\n", "total",
	       (unsigned long long)t_samples, (unsigned long long)t_raw,
	       (unsigned long long)t_lost,
	       t_samples + t_lost ? 100.0 * t_lost / (t_samples + t_lost) : 0.0);
	printf("%s: %llu records in %.2f s, %llu bytes (%.1fx smaller than raw), %llu lost\n",
	       r->o.output, (unsigned long long)t_samples, elapsed,
	       (unsigned long long)file, file ? (double)t_raw / file : 0.0,
	       (unsigned long long)t_lost);
	if (t_lost)
		printf("advice: records were dropped because a CPU's buffer was full; "
		       "raise --buffer-size or --buffers (now %u x %u bytes per CPU), "
		       "or lower the rate. 'hwstats-report' shows when.\n",
		       (unsigned)(r->o.n_subbufs ? r->o.n_subbufs : HWSTATS_DEFAULT_N_SUBBUFS),
		       (unsigned)(r->o.subbuf_size ? r->o.subbuf_size : HWSTATS_DEFAULT_SUBBUF_SIZE));
}

static int rec_build_header(struct rec *r, const struct hwstats_version *ver,
			    const struct hwstats_info *info,
			    struct hws_source *src, uint32_t nr_src,
			    struct hws_header *h)
{
	struct utsname u;

	memset(h, 0, sizeof(*h));
	if (gethostname(h->host, sizeof(h->host) - 1) < 0)
		strcpy(h->host, "unknown");
	/* Both fit: 64 >= sizeof(u.release) here, 32 == the ABI's field. */
	if (uname(&u) == 0)
		memcpy(h->kernel, u.release,
		       sizeof(h->kernel) < sizeof(u.release) ?
		       sizeof(h->kernel) - 1 : sizeof(u.release));
	memcpy(h->module_version, ver->module_version,
	       sizeof(h->module_version) - 1);
	h->clock = 0;
	h->nr_cpus = info->nr_cpu_ids;
	h->subbuf_size = info->subbuf_size;
	h->n_subbufs = info->n_subbufs;
	h->session_flags = info->session_flags;
	h->session_id = info->session_id;
	h->period_ns = info->period_ns;
	h->start_boot_ns = info->start_boot_ns;
	h->start_real_ns = info->start_real_ns;
	h->nr_sources = nr_src;
	h->sources = src;
	(void)r;
	return 0;
}

int main(int argc, char **argv)
{
	struct rec r = { .dev = -1 };
	struct hwstats_version ver;
	struct hwstats_info info;
	struct hwstats_start start = { .size = sizeof(start) };
	struct hws_writer_opts wo = { .sz = sizeof(wo) };
	struct hws_source *src = NULL;
	struct hwstats_cpu_stats *st = NULL;
	struct hws_cpu_totals *tot = NULL;
	struct hws_header hdr;
	struct sigaction sa = { .sa_handler = rec_on_signal };
	uint32_t nr_src = 0, nr_st = 0, *ids = NULL, nr_ids = 0, i;
	double t0, next_progress, next_flush, elapsed;
	int ret, status = REC_EXIT_OK, fd;
	bool tty, incomplete = false;

	hwsdev_prog = "hwstats-record";
	r.o.output = "hwstats.hws";
	r.o.device = HWSDEV_DEFAULT_DEVICE;
	if (rec_parse_args(argc, argv, &r.o))
		return REC_EXIT_USAGE;
	if (!r.o.force && access(r.o.output, F_OK) == 0) {
		hwsdev_err("%s: file exists (use --force to overwrite)", r.o.output);
		return REC_EXIT_USAGE;
	}

	r.dev = hwsdev_open(r.o.device, &ver);
	if (r.dev < 0) {
		hwsdev_err("%s: %s", r.o.device, hwsdev_open_hint(r.dev));
		return REC_EXIT_SETUP;
	}
	ret = hwsdev_channel_dir(r.chandir, sizeof(r.chandir));
	if (ret) {
		hwsdev_err("debugfs: %s", ret == -ENOENT ?
			   "not mounted (mount -t debugfs none /sys/kernel/debug)" :
			   ret == -ENOTDIR ?
			   "no hwstats directory (debugfs mounted after the module loaded, or blocked by kernel lockdown)" :
			   strerror(-ret));
		return REC_EXIT_SETUP;
	}
	ret = hwsdev_sources(r.dev, &src, &nr_src);
	if (ret) {
		hwsdev_err("%s: listing sources: %s", r.o.device, strerror(-ret));
		return REC_EXIT_SETUP;
	}
	if (r.o.sources &&
	    rec_select_sources(r.o.sources, src, nr_src, &ids, &nr_ids))
		return REC_EXIT_USAGE;

	/* Create the output before starting, so that a bad path costs nothing. */
	fd = open(r.o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		hwsdev_err("%s: %s", r.o.output, strerror(errno));
		return REC_EXIT_OUTPUT;
	}

	start.flags = r.o.overwrite ? HWSTATS_START_OVERWRITE : 0;
	start.subbuf_size = r.o.subbuf_size;
	start.n_subbufs = r.o.n_subbufs;
	start.period_ns = r.o.period_ns;
	start.flush_interval_ns = r.o.flush_ns;
	start.nr_sources = nr_ids;
	start.source_ids = (uintptr_t)ids;
	ret = hwsdev_start(r.dev, &start);
	if (ret) {
		hwsdev_err("%s: cannot start: %s", r.o.device, rec_start_error(ret));
		close(fd);
		unlink(r.o.output);
		return REC_EXIT_SETUP;
	}
	hwsdev_info(r.dev, &info);
	rec_build_header(&r, &ver, &info, src, nr_src, &hdr);
	wo.level = r.o.level;
	wo.chunk_ns = r.o.flush_ns ? r.o.flush_ns : HWSTATS_DEFAULT_FLUSH_NS;
	r.w = hws_writer_fdopen(fd, &hdr, &wo);
	if (!r.w) {
		hwsdev_err("%s: %s", r.o.output, strerror(errno));
		return REC_EXIT_OUTPUT;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r.nr_cpus = info.nr_cpu_ids;
	r.cpus = calloc(r.nr_cpus, sizeof(*r.cpus));
	if (!r.cpus) {
		hwsdev_err("out of memory");
		return REC_EXIT_SETUP;
	}
	for (i = 0; i < r.nr_cpus; i++) {
		struct rec_cpu *c = &r.cpus[i];

		c->r = &r;
		c->cpu = i;
		c->fd = -1;
		c->buf = malloc(REC_READ_SIZE);
		if (!c->buf) {
			hwsdev_err("out of memory");
			return REC_EXIT_SETUP;
		}
		ret = pthread_create(&c->thread, NULL, rec_cpu_main, c);
		if (ret) {
			hwsdev_err("cpu%u: cannot start a thread: %s", i,
				   strerror(ret));
			atomic_store(&r.fatal, -ret);
			break;
		}
		c->started = true;
	}

	tty = !r.o.quiet && isatty(STDERR_FILENO);
	t0 = rec_now();
	next_progress = t0 + 0.5;
	next_flush = t0 + (r.o.flush_ns ? r.o.flush_ns : HWSTATS_DEFAULT_FLUSH_NS) / 1e9;
	while (!rec_signals && !atomic_load(&r.fatal)) {
		double now = rec_now();

		if (r.o.duration_ns && now - t0 >= r.o.duration_ns / 1e9)
			break;
		if (tty && now >= next_progress) {
			rec_progress(&r, now - t0);
			next_progress = now + 0.5;
		}
		if (now >= next_flush) {
			ret = hws_writer_flush(r.w);
			if (ret) {
				int zero = 0;

				atomic_compare_exchange_strong(&r.fatal, &zero, ret);
			}
			next_flush = now + (r.o.flush_ns ? r.o.flush_ns : HWSTATS_DEFAULT_FLUSH_NS) / 1e9;
		}
		usleep(20000);
	}
	elapsed = rec_now() - t0;

	ret = hwsdev_stop(r.dev);
	if (ret)
		hwsdev_err("%s: stop: %s", r.o.device, strerror(-ret));
	atomic_store(&r.drain, 1);
	for (i = 0; i < r.nr_cpus; i++) {
		/* A second signal: leave now; the chunks written so far stay. */
		if (rec_signals > 1)
			_exit(REC_EXIT_INCOMPLETE);
		if (r.cpus[i].started)
			pthread_join(r.cpus[i].thread, NULL);
	}
	if (tty)
		fputc('\n', stderr);

	ret = hwsdev_stats(r.dev, &st, &nr_st);
	if (ret) {
		hwsdev_err("%s: final statistics: %s", r.o.device, strerror(-ret));
		nr_st = 0;
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
	if (atomic_load(&r.fatal)) {
		ret = atomic_load(&r.fatal);
		hwsdev_err("%s: %s; the file keeps every chunk written before",
			   r.o.output, ret == -ENOSPC ? "disk full" : strerror(-ret));
		status = REC_EXIT_OUTPUT;
	}
	rec_summary(&r, st, nr_st, elapsed, &incomplete);
	ret = hws_writer_close(r.w, tot, tot ? nr_st : 0);
	if (ret && status == REC_EXIT_OK) {
		hwsdev_err("%s: closing: %s", r.o.output,
			   ret == -ENOSPC ? "disk full" : strerror(-ret));
		status = REC_EXIT_OUTPUT;
	}
	if (incomplete && status == REC_EXIT_OK)
		status = REC_EXIT_INCOMPLETE;
	for (i = 0; i < r.nr_cpus; i++) {
		if (r.cpus[i].fd >= 0)
			close(r.cpus[i].fd);
		free(r.cpus[i].buf);
	}
	free(r.cpus);
	free(st);
	free(tot);
	free(ids);
	hwsdev_sources_free(src, nr_src);
	close(r.dev);
	return status;
}
