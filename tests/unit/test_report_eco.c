// SPDX-License-Identifier: MIT
/*
 * hwstats-report for the tools people already run: --openmetrics (exact
 * text for a small trace with a 32-bit wrap, per CPU and summed) and the
 * text summary leaving out counters that never changed unless --zeros;
 * the min-max band of a gauge's plot.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "report.h"

static char dir[256];
static char trace[300];

static struct hws_counter nic_counters[] = {
	{ .name = "rx", .unit = "packets", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "idle", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "temp", .unit = "celsius", .kind = HWSTATS_KIND_GAUGE },
	{ .name = "mode", .unit = "", .kind = HWSTATS_KIND_GAUGE },
};

#define T0	1000000000000ULL
#define MS	1000000ULL

struct sample_rec {
	struct hwstats_sample s;
	uint64_t v[4];
};

/*
 * Two CPUs, four samples each, 10 ms apart (CPU 1 5 ms after CPU 0).
 * rx rises by 10 on CPU 0 and by 3 on CPU 1 through a 32-bit wrap; idle
 * stays 5; temp rises; mode stays 1.
 */
static int write_trace_opts(const char *path, uint32_t flags, uint64_t sb_seq,
			    uint64_t seq0);

static int write_trace(const char *path)
{
	return write_trace_opts(path, 0, 0, 0);
}

/*
 * @flags: the session's (HWSTATS_START_*); each CPU's first sub-buffer has
 * sequence number @sb_seq and its first sample @seq0 (a flight recorder's
 * dump starts late: the older ones were overwritten).
 */
static int write_trace_opts(const char *path, uint32_t flags, uint64_t sb_seq,
			    uint64_t seq0)
{
	static const uint64_t rx1[] = { 4294967290ULL, 4294967293ULL, 0, 3 };
	struct hws_source src = { .id = 7, .nr_counters = 4, .name = "nic",
				  .counters = nic_counters };
	struct hws_header h = {
		.nr_cpus = 2, .subbuf_size = 4096, .n_subbufs = 4,
		.session_id = 1, .period_ns = 10 * MS, .start_boot_ns = T0,
		.session_flags = flags,
		.start_real_ns = 1700000000000000000ULL, .nr_sources = 1,
		.sources = &src,
	};
	struct hws_cpu_totals tot[2];
	struct hws_writer *w;
	uint32_t cpu, i;
	int ret = 0;

	strcpy(h.host, "testhost");
	strcpy(h.kernel, "6.1.0-test");
	w = hws_writer_open(path, &h, NULL);
	if (!w)
		return -errno;
	for (cpu = 0; cpu < 2 && !ret; cpu++) {
		struct hwstats_subbuf_hdr sb = {
			.hdr = { .type = HWSTATS_REC_SUBBUF, .len = sizeof(sb),
				 .source = cpu, .ts = T0 },
			.magic = HWSTATS_SUBBUF_MAGIC, .cpu = cpu,
			.seq = sb_seq, .subbuf_size = 4096,
		};
		struct sample_rec r[4];

		memset(r, 0, sizeof(r));
		for (i = 0; i < 4; i++) {
			r[i].s.hdr.type = HWSTATS_REC_SAMPLE;
			r[i].s.hdr.len = sizeof(r[i]);
			r[i].s.hdr.source = 7;
			r[i].s.hdr.ts = T0 + i * 10 * MS + cpu * 5 * MS;
			r[i].s.seq = seq0 + i;
			r[i].v[0] = cpu ? rx1[i] : 100 + 10 * i;
			r[i].v[1] = 5;
			r[i].v[2] = 20 + i + 10 * cpu;
			r[i].v[3] = 1;
		}
		ret = hws_writer_append(w, cpu, &sb, sizeof(sb));
		if (!ret)
			ret = hws_writer_append(w, cpu, r, sizeof(r));
		tot[cpu] = (struct hws_cpu_totals){ .cpu = cpu, .records = 5,
						    .bytes = sizeof(sb) + sizeof(r),
						    .subbufs = 1 };
	}
	if (ret) {
		hws_writer_close(w, NULL, 0);
		return ret;
	}
	return hws_writer_close(w, tot, 2);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;
	FILE *m;
	int ch;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &n);
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* Run the report on the trace with up to 6 arguments (NULL: fewer). */
static int report_args(char **out, const char *const *args)
{
	char *argv[10];
	int argc = 0, st, i;
	size_t olen = 0, elen = 0;
	char *err = NULL;
	FILE *fo, *fe;

	argv[argc++] = (char *)"hwstats-report";
	for (i = 0; i < 6 && args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc++] = trace;
	argv[argc] = NULL;
	fo = open_memstream(out, &olen);
	fe = open_memstream(&err, &elen);
	optind = 0;
	st = hwr_main(argc, argv, fo, fe);
	fclose(fo);
	fclose(fe);
	if (st)
		fprintf(stderr, "%s", err);
	free(err);
	return st;
}

static int report(char **out, const char *a1, const char *a2, const char *a3)
{
	const char *args[] = { a1, a1 ? a2 : NULL, a1 && a2 ? a3 : NULL, NULL };

	return report_args(out, args);
}

static const char om_summed[] =
	"# TYPE hwstats_rx counter\n"
	"# HELP hwstats_rx hwstats rx (packets)\n"
	"hwstats_rx_total{source=\"nic\"} 0 1700000000.000\n"
	"hwstats_rx_total{source=\"nic\"} 0 1700000000.005\n"
	"hwstats_rx_total{source=\"nic\"} 10 1700000000.010\n"
	"hwstats_rx_total{source=\"nic\"} 13 1700000000.015\n"
	"hwstats_rx_total{source=\"nic\"} 23 1700000000.020\n"
	"hwstats_rx_total{source=\"nic\"} 26 1700000000.025\n"
	"hwstats_rx_total{source=\"nic\"} 36 1700000000.030\n"
	"hwstats_rx_total{source=\"nic\"} 39 1700000000.035\n"
	"# TYPE hwstats_idle counter\n"
	"# HELP hwstats_idle hwstats idle (events)\n"
	"hwstats_idle_total{source=\"nic\"} 0 1700000000.000\n"
	"hwstats_idle_total{source=\"nic\"} 0 1700000000.005\n"
	"hwstats_idle_total{source=\"nic\"} 0 1700000000.010\n"
	"hwstats_idle_total{source=\"nic\"} 0 1700000000.015\n"
	"hwstats_idle_total{source=\"nic\"} 0 1700000000.020\n"
	"hwstats_idle_total{source=\"nic\"} 0 1700000000.025\n"
	"hwstats_idle_total{source=\"nic\"} 0 1700000000.030\n"
	"hwstats_idle_total{source=\"nic\"} 0 1700000000.035\n"
	"# TYPE hwstats_temp gauge\n"
	"# HELP hwstats_temp hwstats temp (celsius)\n"
	"hwstats_temp{source=\"nic\",cpu=\"0\"} 20 1700000000.000\n"
	"hwstats_temp{source=\"nic\",cpu=\"0\"} 21 1700000000.010\n"
	"hwstats_temp{source=\"nic\",cpu=\"0\"} 22 1700000000.020\n"
	"hwstats_temp{source=\"nic\",cpu=\"0\"} 23 1700000000.030\n"
	"hwstats_temp{source=\"nic\",cpu=\"1\"} 30 1700000000.005\n"
	"hwstats_temp{source=\"nic\",cpu=\"1\"} 31 1700000000.015\n"
	"hwstats_temp{source=\"nic\",cpu=\"1\"} 32 1700000000.025\n"
	"hwstats_temp{source=\"nic\",cpu=\"1\"} 33 1700000000.035\n"
	"# TYPE hwstats_mode gauge\n"
	"# HELP hwstats_mode hwstats mode\n"
	"hwstats_mode{source=\"nic\",cpu=\"0\"} 1 1700000000.000\n"
	"hwstats_mode{source=\"nic\",cpu=\"0\"} 1 1700000000.010\n"
	"hwstats_mode{source=\"nic\",cpu=\"0\"} 1 1700000000.020\n"
	"hwstats_mode{source=\"nic\",cpu=\"0\"} 1 1700000000.030\n"
	"hwstats_mode{source=\"nic\",cpu=\"1\"} 1 1700000000.005\n"
	"hwstats_mode{source=\"nic\",cpu=\"1\"} 1 1700000000.015\n"
	"hwstats_mode{source=\"nic\",cpu=\"1\"} 1 1700000000.025\n"
	"hwstats_mode{source=\"nic\",cpu=\"1\"} 1 1700000000.035\n"
	"# EOF\n";

static void test_openmetrics_summed_is_exact(void **state)
{
	char path[320], *out = NULL, *om;

	(void)state;
	snprintf(path, sizeof(path), "%s/s.om", dir);
	assert_int_equal(report(&out, "--openmetrics", path, NULL), 0);
	om = slurp(path);
	assert_non_null(om);
	assert_string_equal(om, om_summed);
	free(om);
	free(out);
}

static void test_openmetrics_per_cpu_goes_through_the_wrap(void **state)
{
	char path[320], *out = NULL, *om;

	(void)state;
	snprintf(path, sizeof(path), "%s/p.om", dir);
	assert_int_equal(report(&out, "--per-cpu", "--openmetrics", path), 0);
	om = slurp(path);
	assert_non_null(om);
	/* CPU 0 from its first value; CPU 1 through the 32-bit wrap */
	assert_non_null(strstr(om,
		"hwstats_rx_total{source=\"nic\",cpu=\"0\"} 100 1700000000.000\n"
		"hwstats_rx_total{source=\"nic\",cpu=\"0\"} 110 1700000000.010\n"
		"hwstats_rx_total{source=\"nic\",cpu=\"0\"} 120 1700000000.020\n"
		"hwstats_rx_total{source=\"nic\",cpu=\"0\"} 130 1700000000.030\n"
		"hwstats_rx_total{source=\"nic\",cpu=\"1\"} 4294967290 1700000000.005\n"
		"hwstats_rx_total{source=\"nic\",cpu=\"1\"} 4294967293 1700000000.015\n"
		"hwstats_rx_total{source=\"nic\",cpu=\"1\"} 4294967296 1700000000.025\n"
		"hwstats_rx_total{source=\"nic\",cpu=\"1\"} 4294967299 1700000000.035\n"
		"# TYPE hwstats_idle counter\n"));
	assert_string_equal(om + strlen(om) - 6, "# EOF\n");
	free(om);
	free(out);
}

static void test_text_leaves_out_unchanged_counters(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(report(&out, NULL, NULL, NULL), 0);
	assert_non_null(strstr(out, "UNCHANGED  2 counters kept one value "
				    "throughout (not shown; --zeros shows them)"));
	assert_null(strstr(out, " idle "));
	assert_null(strstr(out, " mode "));
	assert_non_null(strstr(out, " rx "));
	assert_non_null(strstr(out, " temp "));
	free(out);

	assert_int_equal(report(&out, "--zeros", NULL, NULL), 0);
	assert_null(strstr(out, "UNCHANGED"));
	assert_non_null(strstr(out, " idle "));
	assert_non_null(strstr(out, " mode "));
	free(out);

	/* JSON keeps every counter */
	assert_int_equal(report(&out, "--json", NULL, NULL), 0);
	assert_non_null(strstr(out, "\"counter\": \"idle\""));
	free(out);
}

/*
 * A gauge's plot has a band from each interval's lowest to its highest
 * value; a counter's has none while no intervals were merged.
 */
static void test_svg_gauge_has_min_max_band(void **state)
{
	char path[320], *out = NULL, *svg;
	const char *gauge[] = { "-i", "20ms", "-c", "temp", "--svg", path, NULL };
	const char *counter[] = { "-i", "20ms", "-c", "rx", "--svg", path, NULL };

	(void)state;
	snprintf(path, sizeof(path), "%s/t.svg", dir);
	assert_int_equal(report_args(&out, gauge), 0);
	free(out);
	svg = slurp(path);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "nic.temp &#8212; mean, min&#8211;max band"));
	assert_non_null(strstr(svg, "fill-opacity=\"0.15\""));
	free(svg);

	assert_int_equal(report_args(&out, counter), 0);
	free(out);
	svg = slurp(path);
	assert_non_null(svg);
	assert_null(strstr(svg, "fill-opacity=\"0.15\""));
	free(svg);
}

/*
 * An output that cannot be written ends the report with an error; a
 * half-written regular file is removed, but a device named as the output
 * is not the report's to remove. A private node with /dev/full's numbers
 * (writes fail with ENOSPC) stands in for the device.
 */
static void test_failed_output_keeps_devices(void **state)
{
	char path[320], *out = NULL;
	const char *svg[] = { "-i", "20ms", "--svg", path, NULL };
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/full", dir);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 7))) {
		assert_true(errno == EPERM || errno == EACCES);
		skip();
	}
	assert_int_not_equal(report_args(&out, svg), 0);
	free(out);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(unlink(path), 0);
}

/*
 * A flight recorder's dump begins after the session did: the history
 * before it was overwritten, as that mode intends. The report says where
 * the kept history starts and how much was overwritten, never as loss.
 */
static void test_overwrite_history_is_not_loss(void **state)
{
	char ow[320], *out = NULL;
	const char *json[] = { "--json", NULL };
	const char *text[] = { NULL };
	char saved[300];

	(void)state;
	snprintf(ow, sizeof(ow), "%s/ow.hws", dir);
	assert_int_equal(write_trace_opts(ow, HWSTATS_START_OVERWRITE, 5, 40), 0);
	/* report_args() appends the trace: point it at this file */
	strcpy(saved, trace);
	strcpy(trace, ow);
	assert_int_equal(report_args(&out, text), 0);
	assert_non_null(strstr(out, "HISTORY    kept from 0.000 s (overwrite "
				    "mode keeps the newest records): 80 earlier "
				    "records of the session were overwritten, "
				    "not lost"));
	assert_non_null(strstr(out, "LOSS       none"));
	assert_null(strstr(out, "rotated out"));
	free(out);
	assert_int_equal(report_args(&out, json), 0);
	assert_non_null(strstr(out, "\"rotated_out_records\": 0, "
				    "\"overwritten_records\": 80"));
	free(out);
	strcpy(trace, saved);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/hwr-eco-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	setenv("TZ", "UTC", 1);
	snprintf(trace, sizeof(trace), "%s/nic.hws", dir);
	return write_trace(trace) ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openmetrics_summed_is_exact),
		cmocka_unit_test(test_openmetrics_per_cpu_goes_through_the_wrap),
		cmocka_unit_test(test_text_leaves_out_unchanged_counters),
		cmocka_unit_test(test_svg_gauge_has_min_max_band),
		cmocka_unit_test(test_overwrite_history_is_not_loss),
		cmocka_unit_test(test_failed_output_keeps_devices),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
