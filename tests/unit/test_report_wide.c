// SPDX-License-Identifier: MIT
/*
 * Unit tests of hwstats-report on wide traces: a schema of hundreds of
 * counters, each sampling split over several sample records. The sinks
 * that collect before they write (--openmetrics, --svg) must cost what
 * they write: the OpenMetrics text of a split schema is the text of the
 * same samples in one record each, every family written once, and an SVG
 * series keeps at most its bound of points however long the trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report.h"
#include "simgen.h"
#include "report_fixture.h"

#define WIDE_COUNTERS	600
#define WIDE_GAUGES	200
#define WIDE_SAMPLES	7
#define SVG_POINTS	1024	/* HWR_SVG_POINTS, as promised in --help */

/* Run the tool in-process: it must succeed with nothing on stderr. */
static void run(const char *arg0, ...)
{
	struct run r;
	va_list ap;

	va_start(ap, arg0);
	r = run_v(arg0, ap);
	va_end(ap);
	if (r.status || r.err_len)
		fail_msg("exit %d: %s", r.status, r.err);
	run_free(&r);
}

/*
 * Each series in time order, one line per millisecond, and a counter's
 * value (the increase so far) never going down.
 */
static void check_series_order(const char *om)
{
	const char *l, *prev = NULL, *br;
	size_t plen = 0;
	double pts = 0, ts;
	unsigned long long pv = 0, v;

	for (l = om; *l; l = strchr(l, '\n') + 1) {
		if (*l == '#') {
			prev = NULL;
			continue;
		}
		br = strchr(l, '}');
		assert_non_null(br);
		assert_int_equal(sscanf(br + 1, " %llu %lf", &v, &ts), 2);
		if (prev && (size_t)(br - l) == plen &&
		    !memcmp(prev, l, plen)) {
			if (!(ts > pts))
				fail_msg("%.*s: %.3f after %.3f", (int)plen, l,
					 ts, pts);
			if (strstr(l, "_total{") && strstr(l, "_total{") < br)
				assert_true(v >= pv);
		}
		prev = l;
		plen = (size_t)(br - l);
		pts = ts;
		pv = v;
	}
}

static struct hwr_sim_opts wide(uint32_t max_values)
{
	struct hwr_sim_opts o = {
		.nr_cpus = 2,
		.counters = WIDE_COUNTERS,
		.gauges = WIDE_GAUGES,
		.max_values = max_values,
		.samples = WIDE_SAMPLES,
	};

	return o;
}

/*
 * A schema split over 13 records per sampling (64 values each, the last
 * one short) gives the same OpenMetrics text as the whole schema in one
 * record: each series finds exactly its rows, in time order.
 */
static void test_openmetrics_split_schema_same_text(void **state)
{
	struct hwr_sim_opts whole = wide(0), split = wide(64);
	const char *mode[] = { NULL, "-p" };
	char *a, *b;
	unsigned m, series, lines;

	(void)state;
	assert_int_equal(hwr_sim_write(&whole, path("whole.hws"), true), 0);
	assert_int_equal(hwr_sim_write(&split, path("split.hws"), true), 0);
	for (m = 0; m < 2; m++) {
		if (mode[m]) {
			run(mode[m], "--openmetrics", path("w.om"),
			    path("whole.hws"), NULL);
			run(mode[m], "--openmetrics", path("s.om"),
			    path("split.hws"), NULL);
		} else {
			run("--openmetrics", path("w.om"), path("whole.hws"),
			    NULL);
			run("--openmetrics", path("s.om"), path("split.hws"),
			    NULL);
		}
		a = slurp(path("w.om"));
		b = slurp(path("s.om"));
		assert_string_equal(a, b);
		check_series_order(b);
		/* every family once, in schema order */
		assert_int_equal(count(b, "# TYPE "),
				 WIDE_COUNTERS + WIDE_GAUGES);
		assert_int_equal(count(b, "# HELP "),
				 WIDE_COUNTERS + WIDE_GAUGES);
		assert_non_null(strstr(b, "# TYPE hwstats_ticks counter\n"));
		assert_true(strstr(b, "# TYPE hwstats_counter598 counter\n") <
			    strstr(b, "# TYPE hwstats_gauge0 gauge\n"));
		assert_non_null(strstr(b, "# TYPE hwstats_gauge199 gauge\n"));
		/* a line per sample of each series, none lost or doubled:
		 * counters summed over CPUs see each CPU's timestamps
		 * (two CPUs a few ms apart), gauges per CPU */
		series = (mode[m] ? 2 * WIDE_COUNTERS : WIDE_COUNTERS) +
			 2 * WIDE_GAUGES;
		lines = count(b, "\n") - 2 * (WIDE_COUNTERS + WIDE_GAUGES) - 1;
		assert_int_equal(count(b, "{source=\"sim\""), lines);
		assert_true(lines >= series * WIDE_SAMPLES);
		assert_true(lines <= series * 2 * WIDE_SAMPLES);
		assert_int_equal(count(b, "hwstats_gauge7{source=\"sim\",cpu=\"1\"}"),
				 WIDE_SAMPLES);
		assert_int_equal(strcmp(b + strlen(b) - 6, "# EOF\n"), 0);
		free(a);
		free(b);
	}
}

/*
 * A panel per selected counter and a line per series, as the text of a
 * narrow selection has it: a wide selection changes nothing in a panel.
 */
static void test_svg_wide_selection_panel_per_counter(void **state)
{
	struct hwr_sim_opts o = wide(64);
	char *all, *one, *p, *q;

	(void)state;
	assert_int_equal(hwr_sim_write(&o, path("wsvg.hws"), true), 0);
	run("-i", "20ms", "--svg", path("all.svg"), path("wsvg.hws"), NULL);
	run("-i", "20ms", "--svg", path("one.svg"), "-c", "counter321",
	    path("wsvg.hws"), NULL);
	all = slurp(path("all.svg"));
	one = slurp(path("one.svg"));
	assert_int_equal(count(all, "time since start (s)"),
			 WIDE_COUNTERS + WIDE_GAUGES);
	assert_int_equal(count(all, "<path fill=\"none\""),
			 WIDE_COUNTERS + WIDE_GAUGES);
	/* the panel of counter321 has the same title in both */
	p = strstr(one, "sim.counter321 &#8212;");
	q = strstr(all, "sim.counter321 &#8212;");
	assert_non_null(p);
	assert_non_null(q);
	assert_int_equal(strcspn(p, "<"), strcspn(q, "<"));
	assert_memory_equal(p, q, strcspn(p, "<"));
	assert_int_equal(count(one, "<path fill=\"none\""), 1);
	free(all);
	free(one);
}

/*
 * However long the trace, a series keeps at most SVG_POINTS points:
 * 3000 intervals of 10 ms come out as bins twice as wide or more, the
 * title says so, and the path has at most that many vertices.
 */
static void test_svg_points_per_series_bounded(void **state)
{
	struct hwr_sim_opts o = {
		.nr_cpus = 2,
		.counters = 2,
		.samples = 3000,
	};
	char *svg, *d, *e;
	unsigned pts = 0;

	(void)state;
	assert_int_equal(hwr_sim_write(&o, path("long.hws"), true), 0);
	run("-i", "10ms", "-c", "counter1", "--svg", path("long.svg"),
	    path("long.hws"), NULL);
	svg = slurp(path("long.svg"));
	assert_non_null(strstr(svg, "s, averaged)"));
	d = strstr(svg, "<path fill=\"none\"");
	assert_non_null(d);
	d = strstr(d, " d=\"");
	assert_non_null(d);
	e = strchr(d + 4, '"');
	assert_non_null(e);
	for (; d < e; d++)
		pts += *d == 'M' || *d == 'L';
	assert_true(pts > SVG_POINTS / 2);
	assert_true(pts <= SVG_POINTS);
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openmetrics_split_schema_same_text),
		cmocka_unit_test(test_svg_wide_selection_panel_per_counter),
		cmocka_unit_test(test_svg_points_per_series_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
