// SPDX-License-Identifier: MIT
/*
 * hwstats-record's command line: parsed into struct rec_opts, checked
 * edge by edge, one line on stderr for each bad value.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "hws_duration.h"
#include "rec.h"

void rec_usage(FILE *f)
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
"  -n, --buffers N           sub-buffers per CPU (default 32, fewer when\n"
"                            all CPUs' buffers would pass 256 MiB, but at\n"
"                            least 8; 8 with --overwrite)\n"
"      --spill SIZE          memory per CPU that complete sub-buffers are\n"
"                            copied out into when the CPU's buffer is more\n"
"                            than a quarter full, to be compressed from there\n"
"                            (default 32M, less when all CPUs' would pass\n"
"                            256M; 0: none)\n"
"  -w, --overwrite           flight recorder: the kernel keeps the newest\n"
"                            data; it is written out on SIGUSR1 and at the end\n"
"  -F, --flush-interval TIME most time a record may wait in the kernel or in\n"
"                            an unfinished chunk: what a crash can lose\n"
"                            (default 1s), and what waits in the spill when\n"
"                            a CPU's drain has fallen behind (--spill)\n"
"  -l, --level N             zstd compression level (default 3; the range\n"
"                            this libzstd offers is on the last line); a\n"
"                            CPU whose buffer fills faster than its chunks\n"
"                            are compressed gets faster levels, down to\n"
"                            -64 and then chunks stored uncompressed (a\n"
"                            step kept only while it measures cheaper per\n"
"                            record than the levels above), until it\n"
"                            catches up\n"
"      --fixed-level         keep --level on every CPU, even when records\n"
"                            are dropped for it\n"
"  -r, --rotate-size SIZE    start a new file when this one reaches SIZE (it\n"
"                            passes SIZE by the chunks closing meanwhile:\n"
"                            about one compressed chunk per CPU)\n"
"  -R, --rotate-time TIME    start a new file every TIME\n"
"  -m, --max-files N         keep only the newest N files (a ring)\n"
"  -S, --sync POLICY         when files reach the disk: none (the kernel's\n"
"                            page cache decides), rotate (each file and its\n"
"                            directory when the file is closed; default),\n"
"                            chunk (also every chunk as it is written)\n"
"      --no-compact          keep finished files as written; by default a\n"
"                            closed file whose chunks are small (low rates:\n"
"                            one per --flush-interval) is rewritten into\n"
"                            chunks of up to 1 MiB or 64 s, the same records\n"
"                            byte for byte, and replaces it atomically (a\n"
"                            crash leaves the old or the new file, complete);\n"
"                            in the background at a rotation, before the\n"
"                            summary at the end (a stop signal then skips\n"
"                            it: the file stays as written)\n"
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
	fprintf(f, "\nCompression levels: %d (fastest) to %d.\n",
		ZSTD_minCLevel(), ZSTD_maxCLevel());
}

static int rec_parse_u64(const char *opt, const char *arg, uint64_t min,
			 uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	/* strtoull() takes " -1" as 2^64 - 1: digits only. */
	if (errno || *end || !isdigit((unsigned char)*arg) || v < min ||
	    v > max) {
		hwsdev_err("%s: '%s' must be a number from %llu to %llu", opt,
			   arg, (unsigned long long)min,
			   (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A size, digits first: hwsdev_parse_size() alone lets " -1" through. */
static int rec_parse_size(const char *arg, uint64_t *out)
{
	if (!isdigit((unsigned char)*arg))
		return -EINVAL;
	return hwsdev_parse_size(arg, out);
}

static int rec_parse_level(const char *arg, int *out)
{
	long v;
	char *end;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || isspace((unsigned char)*arg) ||
	    v < ZSTD_minCLevel() || v > ZSTD_maxCLevel() || v == 0) {
		hwsdev_err("--level: '%s' must be a number from %d to %d other than 0",
			   arg, ZSTD_minCLevel(), ZSTD_maxCLevel());
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

static int rec_parse_sync(const char *arg, enum rec_sync *out)
{
	if (!strcmp(arg, "none"))
		*out = REC_SYNC_NONE;
	else if (!strcmp(arg, "rotate"))
		*out = REC_SYNC_ROTATE;
	else if (!strcmp(arg, "chunk"))
		*out = REC_SYNC_CHUNK;
	else {
		hwsdev_err("--sync: '%s' is not one of none, rotate, chunk", arg);
		return -EINVAL;
	}
	return 0;
}

/* A time; @min_ns and @what say what the option needs. */
static int rec_parse_time(const char *opt, const char *arg, uint64_t min_ns,
			  const char *what, uint64_t *out)
{
	if (hws_parse_duration(arg, out) || *out < min_ns) {
		hwsdev_err("%s: '%s' is not %s", opt, arg, what);
		return -EINVAL;
	}
	return 0;
}

int rec_parse_args(int argc, char **argv, struct rec_opts *o)
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
		{ .name = "sync", .has_arg = required_argument, .val = 'S' },
		{ .name = "fixed-level", .has_arg = no_argument, .val = 'L' },
		{ .name = "no-compact", .has_arg = no_argument, .val = 'C' },
		{ .name = "threads", .has_arg = required_argument, .val = 't' },
		{ .name = "spill", .has_arg = required_argument, .val = 'P' },
		{ .name = "device", .has_arg = required_argument, .val = 'D' },
		{ .name = "quiet", .has_arg = no_argument, .val = 'q' },
		{ .name = "help", .has_arg = no_argument, .val = 'h' },
		{ .name = "version", .has_arg = no_argument, .val = 'V' },
		{ 0 }
	};
	uint64_t v;
	int opt;

	o->output = "hwstats.hws";
	o->device = HWSDEV_DEFAULT_DEVICE;
	o->sync = REC_SYNC_ROTATE;
	o->adapt = true;
	optind = 0;	/* glibc: start afresh (the unit tests parse often) */
	while ((opt = getopt_long(argc, argv, "o:fd:s:p:b:n:wF:l:r:R:m:S:t:D:qhV",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (!*optarg) {
				hwsdev_err("--output: empty file name");
				return -EINVAL;
			}
			o->output = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'd':
			if (rec_parse_time("--duration", optarg, 1,
					   "a positive time (e.g. 10s, 500ms)",
					   &o->duration_ns))
				return -EINVAL;
			break;
		case 's':
			if (!*optarg) {
				hwsdev_err("--sources: empty list");
				return -EINVAL;
			}
			o->sources = optarg;
			break;
		case 'p':
			if (rec_parse_time("--period", optarg,
					   HWSTATS_MIN_PERIOD_NS,
					   "a time of at least 100us",
					   &o->period_ns))
				return -EINVAL;
			break;
		case 'b':
			if (rec_parse_size(optarg, &v) ||
			    v < HWSTATS_MIN_SUBBUF_SIZE ||
			    v > HWSTATS_MAX_SUBBUF_SIZE || (v & 4095)) {
				hwsdev_err("--buffer-size: '%s' must be a multiple of 4K from 4K to 64M", optarg);
				return -EINVAL;
			}
			o->subbuf_size = v;
			break;
		case 'n':
			if (rec_parse_u64("--buffers", optarg,
					  HWSTATS_MIN_N_SUBBUFS,
					  HWSTATS_MAX_N_SUBBUFS, &o->n_subbufs))
				return -EINVAL;
			break;
		case 'P':
			if (rec_parse_size(optarg, &v) || v > (64ULL << 30)) {
				hwsdev_err("--spill: '%s' is not a size up to 64G (0: no spill)", optarg);
				return -EINVAL;
			}
			o->spill = v;
			o->spill_set = true;
			break;
		case 'w':
			o->overwrite = true;
			break;
		case 'F':
			if (rec_parse_time("--flush-interval", optarg,
					   HWSTATS_MIN_FLUSH_NS,
					   "a time of at least 10ms", &o->flush_ns))
				return -EINVAL;
			break;
		case 'l':
			if (rec_parse_level(optarg, &o->level))
				return -EINVAL;
			break;
		case 'r':
			if (rec_parse_size(optarg, &o->rotate_size) ||
			    o->rotate_size < 4096) {
				hwsdev_err("--rotate-size: '%s' is not a size of at least 4K (e.g. 64M)", optarg);
				return -EINVAL;
			}
			break;
		case 'R':
			if (rec_parse_time("--rotate-time", optarg,
					   1000000000ULL, "a time of at least 1s",
					   &o->rotate_ns))
				return -EINVAL;
			break;
		case 'm':
			if (rec_parse_u64("--max-files", optarg, 1, 1000000,
					  &o->max_files))
				return -EINVAL;
			break;
		case 'S':
			if (rec_parse_sync(optarg, &o->sync))
				return -EINVAL;
			break;
		case 'L':
			o->adapt = false;
			break;
		case 'C':
			o->no_compact = true;
			break;
		case 't':
			if (rec_parse_u64("--threads", optarg, 1, 4096,
					  &o->threads))
				return -EINVAL;
			break;
		case 'D':
			o->device = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			rec_usage(stdout);
			o->help = true;
			return 0;
		case 'V':
			printf("hwstats-record %s (format %d.%d, ABI %d.%d)\n",
			       HWSTATS_VERSION, HWS_FORMAT_MAJOR,
			       HWS_FORMAT_MINOR, HWSTATS_ABI_MAJOR,
			       HWSTATS_ABI_MINOR);
			o->help = true;
			return 0;
		default:
			fprintf(stderr, "Try 'hwstats-record --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		hwsdev_err("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->subbuf_size && o->n_subbufs &&
	    o->subbuf_size * o->n_subbufs > HWSTATS_MAX_BUFFER_SIZE) {
		hwsdev_err("--buffer-size x --buffers exceeds %llu MiB per CPU",
			   HWSTATS_MAX_BUFFER_SIZE >> 20);
		return -EINVAL;
	}
	return 0;
}

uint64_t rec_subbuf_size(const struct rec_opts *o)
{
	return o->subbuf_size ? o->subbuf_size : HWSTATS_DEFAULT_SUBBUF_SIZE;
}

/*
 * The sub-buffers per CPU asked of the kernel: --buffers; else the
 * kernel's default for a flight recorder (its buffer is what a dump
 * holds); else REC_DEFAULT_N_SUBBUFS, fewer when @nr_online CPUs' buffers
 * would pass REC_DEFAULT_BUFFERS_TOTAL (but not fewer than the kernel's
 * default) or one CPU's the kernel's limit (a large --buffer-size).
 */
/*
 * The spill per CPU: --spill; else REC_DEFAULT_SPILL, less when
 * @nr_online CPUs' would pass REC_DEFAULT_SPILL_TOTAL. A flight recorder
 * has none: its kernel buffer is what it keeps.
 */
uint64_t rec_spill_bytes(const struct rec_opts *o, uint32_t nr_online)
{
	uint64_t each = REC_DEFAULT_SPILL_TOTAL / (nr_online ? nr_online : 1);

	if (o->overwrite)
		return 0;
	if (o->spill_set)
		return o->spill;
	return each < REC_DEFAULT_SPILL ? each : REC_DEFAULT_SPILL;
}

uint32_t rec_n_subbufs(const struct rec_opts *o, uint32_t nr_online)
{
	uint64_t size = rec_subbuf_size(o);
	uint64_t n = REC_DEFAULT_BUFFERS_TOTAL / size / (nr_online ? nr_online : 1);

	if (o->n_subbufs)
		return (uint32_t)o->n_subbufs;
	if (o->overwrite)
		return HWSTATS_DEFAULT_N_SUBBUFS;
	if (n > REC_DEFAULT_N_SUBBUFS)
		n = REC_DEFAULT_N_SUBBUFS;
	if (n < HWSTATS_DEFAULT_N_SUBBUFS)
		n = HWSTATS_DEFAULT_N_SUBBUFS;
	if (n > HWSTATS_MAX_BUFFER_SIZE / size)
		n = HWSTATS_MAX_BUFFER_SIZE / size;
	return n < HWSTATS_MIN_N_SUBBUFS ? HWSTATS_MIN_N_SUBBUFS : (uint32_t)n;
}
