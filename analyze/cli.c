// SPDX-License-Identifier: MIT
/*
 * cli.c - the hwstats-report command line. It lives in the library, not
 * in the file with main(), so that the tests run exactly what users run,
 * with its output captured in memory.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

#ifndef HWSTATS_VERSION
#define HWSTATS_VERSION "unknown"
#endif

enum {
	HWR_OPT_CSV = 256,
	HWR_OPT_JSON,
};

static void hwr_usage(FILE *f)
{
	fputs(
"Usage: hwstats-report [OPTION]... TRACE...\n"
"Summarise hwstats traces (.hws files written by hwstats-record).\n"
"\n"
"TRACE is a .hws file, several files of one session (a rotated set), or a\n"
"directory whose *.hws files are taken together. Records of every CPU and\n"
"every file are merged in time order. A damaged file is reported, one line\n"
"per damaged part, and the rest of it analysed.\n"
"\n"
"What to report (default: a summary per source and counter):\n"
"  -i, --interval TIME    a time series, as sar prints it: one row per TIME\n"
"                         (e.g. 1s, 250ms) with each counter's rate per\n"
"                         second and each gauge's mean. TIME is also the\n"
"                         interval of peak rates, --perfetto and --svg\n"
"                         (default 1s)\n"
"  -d, --dump             every record on one line, in time order\n"
"  -p, --per-cpu          a breakdown per CPU as well as the total\n"
"  -z, --zeros            also counters that never changed (the text\n"
"                         summary leaves them out, as nstat does; CSV\n"
"                         and JSON always have every counter)\n"
"\n"
"Which part of the trace (all by default):\n"
"  -f, --from TIME        start at TIME: seconds from the session start\n"
"                         (10, 2.5s, 500ms, 1m) or a wall-clock time\n"
"                         (2026-11-27T21:00:00, 21:00:00, 21:00:00.5;\n"
"                         local time, or UTC with a trailing Z; a time\n"
"                         of day is the first one after 12 hours before\n"
"                         the session start)\n"
"  -t, --to TIME          stop before TIME (same forms)\n"
"  -s, --source LIST      only these sources\n"
"  -c, --counter LIST     only these counters (NAME or SOURCE.NAME)\n"
"  -C, --cpu LIST         only these CPUs (e.g. 0,2-3)\n"
"                         LISTs are comma-separated; names may be\n"
"                         shell-style patterns (\"rx_*\", \"sim.counter?\")\n"
"\n"
"Output (default: an aligned text table on standard output):\n"
"      --csv              CSV instead of text\n"
"      --json             JSON instead of text (docs/report-json.md)\n"
"  -o, --output FILE      write the report to FILE instead\n"
"  -P, --perfetto FILE    also write a Chrome trace-event JSON file with a\n"
"                         counter track per counter (per CPU with\n"
"                         --per-cpu); open it in ui.perfetto.dev\n"
"  -g, --svg FILE         also write an SVG plot per counter; at most 1024\n"
"                         points per line: a longer run is averaged into\n"
"                         wider bins, their min..max drawn as a band\n"
"      --openmetrics FILE also write the selected samples as OpenMetrics\n"
"                         text with their times, to backfill Prometheus\n"
"                         (promtool tsdb create-blocks-from openmetrics);\n"
"                         counters summed over CPUs (per CPU with\n"
"                         --per-cpu), gauges per CPU\n"
"  -h, --help             this help\n"
"  -V, --version          the version\n"
"\n"
"Counters (kind counter) are per CPU: each CPU's samples form a series,\n"
"whose increase and rates are summed over CPUs. A decrease is a wrap when\n"
"the previous value was in the top quarter of a 32- or 64-bit range and\n"
"the new one in the bottom quarter, otherwise a reset (the increase then\n"
"counts from zero). Gauges report min, mean, max and p50/p95/p99; those\n"
"are exact up to 512 samples per gauge and within 0.4 % beyond.\n"
"\n"
"Loss is always reported, with its time range: records the kernel dropped\n"
"(sub-buffer headers, footer totals), gaps in each source's sample\n"
"sequence per CPU, and missing sub-buffers.\n"
"\n"
"Examples:\n"
"  hwstats-report run.hws\n"
"  hwstats-report -i 1s -c 'rx_*' run.hws\n"
"  hwstats-report --from 21:00 --to 21:05 --per-cpu logs/\n"
"  hwstats-report --json run.hws > run.json\n"
"  hwstats-report -i 100ms --svg run.svg --perfetto run.trace.json run.hws\n"
"  hwstats-report --dump -C 1 -t 2s run.hws | less\n"
"\n"
"Exit status:\n"
"  0  the report was written\n"
"  1  bad usage (unknown option, bad time, a name matching nothing)\n"
"  2  an input is missing, unreadable, not an .hws file or of a newer\n"
"     format; or an output could not be written\n"
"  3  the report was written, but an input is damaged (see the DAMAGE\n"
"     lines); what could be read was analysed\n", f);
}

#define HWR_NOT_A_TIME \
	"is not a time (e.g. 10, 2.5s, 21:00:00, 2026-11-27T21:00:00)"

struct hwr_cli {
	int format;
	const char *output;
	const char *perfetto;
	const char *openmetrics;
	const char *svg;
	struct hwr_config cfg;
};

static int hwr_usage_err(FILE *err, const char *opt, const char *arg,
			 const char *what)
{
	fprintf(err, "hwstats-report: %s: '%s' %s; see --help\n", opt, arg,
		what);
	return HWR_EXIT_USAGE;
}

static int hwr_parse_args(int argc, char **argv, struct hwr_cli *o,
			  FILE *out, FILE *err)
{
	static const struct option longopts[] = {
		{ .name = "interval", .has_arg = required_argument, .val = 'i' },
		{ .name = "dump", .has_arg = no_argument, .val = 'd' },
		{ .name = "per-cpu", .has_arg = no_argument, .val = 'p' },
		{ .name = "zeros", .has_arg = no_argument, .val = 'z' },
		{ .name = "from", .has_arg = required_argument, .val = 'f' },
		{ .name = "to", .has_arg = required_argument, .val = 't' },
		{ .name = "source", .has_arg = required_argument, .val = 's' },
		{ .name = "counter", .has_arg = required_argument, .val = 'c' },
		{ .name = "cpu", .has_arg = required_argument, .val = 'C' },
		{ .name = "csv", .has_arg = no_argument, .val = HWR_OPT_CSV },
		{ .name = "json", .has_arg = no_argument, .val = HWR_OPT_JSON },
		{ .name = "output", .has_arg = required_argument, .val = 'o' },
		{ .name = "perfetto", .has_arg = required_argument, .val = 'P' },
		{ .name = "openmetrics", .has_arg = required_argument, .val = 'M' },
		{ .name = "svg", .has_arg = required_argument, .val = 'g' },
		{ .name = "help", .has_arg = no_argument, .val = 'h' },
		{ .name = "version", .has_arg = no_argument, .val = 'V' },
		{ 0 }
	};
	int opt, nfmt = 0;

	/* getopt keeps state between calls; tests call us many times. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":i:dpzf:t:s:c:C:o:P:g:hV",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (hwr_parse_duration(optarg, &o->cfg.interval_ns) ||
			    !o->cfg.interval_ns)
				return hwr_usage_err(err, "--interval", optarg,
					"is not a positive time (e.g. 1s, 250ms)");
			o->cfg.interval_table = true;
			break;
		case 'd':
			o->format = HWR_FMT_DUMP;
			nfmt++;
			break;
		case 'z':
			o->cfg.zeros = true;
			break;
		case 'p':
			o->cfg.per_cpu = true;
			break;
		case 'f':
			if (hwr_parse_time(optarg, &o->cfg.from))
				return hwr_usage_err(err, "--from", optarg,
						     HWR_NOT_A_TIME);
			break;
		case 't':
			if (hwr_parse_time(optarg, &o->cfg.to))
				return hwr_usage_err(err, "--to", optarg,
						     HWR_NOT_A_TIME);
			break;
		case 's':
			if (hwr_patterns_parse(optarg, &o->cfg.sources))
				return hwr_usage_err(err, "--source", optarg,
					"is not a comma-separated list of names");
			break;
		case 'c':
			if (hwr_patterns_parse(optarg, &o->cfg.counters))
				return hwr_usage_err(err, "--counter", optarg,
					"is not a comma-separated list of names");
			break;
		case 'C':
			if (hwr_cpuset_parse(optarg, &o->cfg.cpus))
				return hwr_usage_err(err, "--cpu", optarg,
					"is not a CPU list (e.g. 0,2-3)");
			break;
		case HWR_OPT_CSV:
			o->format = HWR_FMT_CSV;
			nfmt++;
			break;
		case HWR_OPT_JSON:
			o->format = HWR_FMT_JSON;
			nfmt++;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'P':
			o->perfetto = optarg;
			break;
		case 'M':
			o->openmetrics = optarg;
			break;
		case 'g':
			o->svg = optarg;
			break;
		case 'h':
			hwr_usage(out);
			return -1;
		case 'V':
			fprintf(out, "hwstats-report %s\n", HWSTATS_VERSION);
			return -1;
		case ':':
			fprintf(err, "hwstats-report: %s: needs an argument; "
				"see --help\n", argv[optind - 1]);
			return HWR_EXIT_USAGE;
		default:
			if (optopt)
				fprintf(err, "hwstats-report: -%c: unknown "
					"option; see --help\n", optopt);
			else
				fprintf(err, "hwstats-report: %s: unknown "
					"option; see --help\n",
					argv[optind - 1]);
			return HWR_EXIT_USAGE;
		}
	}
	if (nfmt > 1) {
		fprintf(err, "hwstats-report: --csv, --json and --dump: choose "
			"one; see --help\n");
		return HWR_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(err, "hwstats-report: no trace given; see --help\n");
		return HWR_EXIT_USAGE;
	}
	return 0;
}

/* Open @path for a sink; "-" is standard output. */
static FILE *hwr_open_out(const char *path, FILE *out, bool *close_f)
{
	*close_f = false;
	if (!path || !strcmp(path, "-"))
		return out;
	*close_f = true;
	return fopen(path, "w");
}

static int hwr_add_out(struct hwr_ctx *c, struct hwr_sink *(*mk)(FILE *),
		       const char *path, FILE *out, FILE *err)
{
	struct hwr_sink *s;
	bool close_f;
	FILE *f = hwr_open_out(path, out, &close_f);

	if (!f) {
		int e = errno;

		fprintf(err, "hwstats-report: %s: %s\n", path, strerror(e));
		return -e;
	}
	s = mk(f);
	if (!s) {
		int e = errno;

		if (close_f)
			fclose(f);
		fprintf(err, "hwstats-report: %s: %s\n", path ? path : "output",
			strerror(e));
		return -e;
	}
	s->close_f = close_f;
	/* From here on the ctx owns the sink and closes its file. */
	if (close_f)
		s->path = strdup(path);
	if (hwr_add_sink(c, s) || (close_f && !s->path)) {
		fprintf(err, "hwstats-report: %s: %s\n", path ? path : "output",
			strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

/* Close every file a sink wrote, so a full disk is an error, not a
 * truncated plot. */
static int hwr_close_outs(struct hwr_ctx *c, FILE *err)
{
	int ret = 0;
	uint32_t i;

	for (i = 0; i < c->nr_sinks; i++) {
		struct hwr_sink *s = c->sinks[i];
		int bad;

		if (!s->close_f || !s->f)
			continue;
		bad = ferror(s->f);
		if (fclose(s->f) || bad) {
			fprintf(err, "hwstats-report: %s: %s\n", s->path,
				bad ? "write error" : strerror(errno));
			ret = -EIO;
		}
		s->f = NULL;
	}
	return ret;
}

/* A report that failed leaves no half-written files behind. */
static void hwr_remove_outs(struct hwr_ctx *c)
{
	struct stat st;
	uint32_t i;

	for (i = 0; c && i < c->nr_sinks; i++) {
		struct hwr_sink *s = c->sinks[i];

		if (!s->close_f || !s->path)
			continue;
		if (s->f)
			fclose(s->f);
		s->f = NULL;
		/* A half-written file goes; a device or a FIFO named as the
		 * output is not ours to remove. */
		if (!lstat(s->path, &st) && S_ISREG(st.st_mode))
			unlink(s->path);
	}
}

static void hwr_warn_loss(const struct hwr_ctx *c, FILE *err)
{
	if (!c->v.lost_total && !c->v.sample_gaps && !c->v.subbuf_gaps &&
	    !c->v.missing)
		return;
	fprintf(err, "hwstats-report: %s: %" PRIu64 " records lost by the "
		"kernel, %" PRIu64 " sample sequence gaps (%" PRIu64
		" records), %" PRIu64 " sub-buffer gaps, %" PRIu64
		" records missing from the files\n", c->name, c->v.lost_total,
		c->v.sample_gaps, c->v.sample_gap_records, c->v.subbuf_gaps,
		c->v.missing);
}

static void hwr_print_damage(const struct hwr_ctx *c, FILE *err)
{
	uint32_t fi, i;

	for (fi = 0; fi < c->nr_files; fi++) {
		const struct hwr_file *f = &c->files[fi];

		for (i = 0; i < f->nr_damage; i++) {
			const struct hws_damage *d = &f->damage[i];

			fprintf(err, "hwstats-report: %s: damaged (%s): %.*s "
				"(offset %" PRIu64 ", %" PRIu64
				" bytes skipped)\n", f->path,
				hwr_damage_name(d->kind),
				(int)sizeof(d->what), d->what, d->offset,
				d->length);
		}
	}
}

static void hwr_warn_sessions(const struct hwr_ctx *c, FILE *err)
{
	uint32_t i;

	for (i = 1; i < c->nr_files; i++)
		if (c->files[i].hdr.session_id != c->files[0].hdr.session_id)
			fprintf(err, "hwstats-report: %s: from session %" PRIu64
				", %s is from session %" PRIu64 "; sequence "
				"checks across them may report gaps\n",
				c->files[i].path, c->files[i].hdr.session_id,
				c->files[0].path, c->files[0].hdr.session_id);
}

int hwr_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct hwr_cli o = { .format = HWR_FMT_TEXT };
	struct hwr_input in = { 0 };
	struct hwr_ctx *c = NULL;
	struct hwr_sink *(*mk)(FILE *);
	const char *bad = NULL;
	FILE *rep_out = out;
	uint32_t i;
	int ret, status;

	ret = hwr_parse_args(argc, argv, &o, out, err);
	if (ret) {
		hwr_patterns_clear(&o.cfg.sources);
		hwr_patterns_clear(&o.cfg.counters);
		hwr_cpuset_clear(&o.cfg.cpus);
		return ret < 0 ? HWR_EXIT_OK : ret;
	}
	o.cfg.need_intervals = o.cfg.interval_table || o.perfetto || o.svg;
	c = hwr_new(&o.cfg);
	if (!c) {
		fprintf(err, "hwstats-report: %s\n", strerror(errno));
		hwr_patterns_clear(&o.cfg.sources);
		hwr_patterns_clear(&o.cfg.counters);
		hwr_cpuset_clear(&o.cfg.cpus);
		return HWR_EXIT_INPUT;
	}

	if (hwr_input_open(&in, argv + optind, argc - optind, err)) {
		status = HWR_EXIT_INPUT;
		goto out;
	}
	for (i = 0; i < in.n; i++) {
		ret = hwr_add_file(c, in.paths[i],
				   hws_reader_header(in.readers[i]));
		if (ret) {
			fprintf(err, "hwstats-report: %s: %s\n", in.paths[i],
				strerror(-ret));
			status = HWR_EXIT_INPUT;
			goto out;
		}
	}
	hwr_warn_sessions(c, err);

	switch (o.format) {
	case HWR_FMT_CSV:
		mk = hwr_sink_csv;
		break;
	case HWR_FMT_JSON:
		mk = hwr_sink_json;
		break;
	case HWR_FMT_DUMP:
		mk = hwr_sink_dump;
		break;
	default:
		mk = hwr_sink_text;
	}
	status = HWR_EXIT_INPUT;
	if (hwr_add_out(c, mk, o.output, rep_out, err))
		goto out;
	if (o.perfetto && hwr_add_out(c, hwr_sink_perfetto, o.perfetto, out,
				      err))
		goto out;
	if (o.svg && hwr_add_out(c, hwr_sink_svg, o.svg, out, err))
		goto out;
	if (o.openmetrics && hwr_add_out(c, hwr_sink_openmetrics,
					 o.openmetrics, out, err))
		goto out;

	ret = hwr_begin(c, &bad);
	if (ret == -ENOENT && bad) {
		bool src = false;

		for (i = 0; i < c->cfg.sources.n; i++)
			src |= bad == c->cfg.sources.pat[i];
		fprintf(err, "hwstats-report: %s: %s '%s' matches no %s\n",
			c->name, src ? "--source" : "--counter", bad,
			src ? "source" : "counter of the selected sources");
		status = HWR_EXIT_USAGE;
		goto out;
	}
	if (ret == -ERANGE || ret == -EINVAL) {
		fprintf(err, "hwstats-report: %s: --from/--to lies outside "
			"what the trace's clock can express\n", c->name);
		status = HWR_EXIT_USAGE;
		goto out;
	}
	if (ret) {
		fprintf(err, "hwstats-report: %s: %s\n",
			c->err_sink && c->err_sink->path ? c->err_sink->path :
			c->name, strerror(-ret));
		goto out;
	}
	if (c->time_selected && c->from_ts >= c->to_ts) {
		fprintf(err, "hwstats-report: %s: --from is not before --to\n",
			c->name);
		status = HWR_EXIT_USAGE;
		goto out;
	}
	if (hwr_input_run(&in, c, err))
		goto out;
	ret = hwr_finish(c);
	if (ret) {
		fprintf(err, "hwstats-report: %s: %s\n",
			c->err_sink && c->err_sink->path ? c->err_sink->path :
			"output", strerror(-ret));
		goto out;
	}
	if (hwr_close_outs(c, err))
		goto out;
	if (fflush(out) || ferror(out)) {
		fprintf(err, "hwstats-report: %s: write error\n",
			o.output ? o.output : "standard output");
		goto out;
	}
	if (o.format == HWR_FMT_CSV || o.format == HWR_FMT_DUMP)
		hwr_warn_loss(c, err);
	hwr_print_damage(c, err);
	status = c->v.nr_damage ? HWR_EXIT_DAMAGE : HWR_EXIT_OK;
out:
	if (status != HWR_EXIT_OK && status != HWR_EXIT_DAMAGE)
		hwr_remove_outs(c);
	hwr_free(c);
	hwr_input_close(&in);
	return status;
}
