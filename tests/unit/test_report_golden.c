// SPDX-License-Identifier: MIT
/*
 * Golden outputs of hwstats-report: every format, on one trace made as
 * the simulated device makes it (2 CPUs, 250 samples each at 10 ms, four
 * counters and two gauges, 5 records dropped on cpu1), compared byte for
 * byte with tests/golden/report/.
 *
 * After an intended change of output, regenerate and review the
 * difference (a test run never passes while it rewrites a file):
 *
 *   make -C tests/golden report
 *   git diff tests/golden/report
 *
 * (HWS_GOLDEN_DIR overrides where the golden files are looked for.)
 * The tool runs with TZ=UTC, so wall-clock times do not depend on where
 * the test runs.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "report.h"
#include "simgen.h"

struct golden {
	const char *name;	/* file under tests/golden/report/ */
	const char *file;	/* the tool writes this file, else stdout */
	const char *args[16];
};

static const struct golden cases[] = {
	{ "summary.txt", NULL, { "sim.hws" } },
	{ "summary-per-cpu.txt", NULL, { "-p", "sim.hws" } },
	{ "interval.txt", NULL, { "-i", "500ms", "sim.hws" } },
	{ "interval-per-cpu.txt", NULL,
	  { "-i", "1s", "-p", "-c", "ticks,counter1,gauge0", "sim.hws" } },
	{ "selection.txt", NULL,
	  { "--from", "0.5", "--to", "2", "-C", "1", "-c", "counter*",
	    "sim.hws" } },
	{ "summary.csv", NULL, { "--csv", "-p", "sim.hws" } },
	{ "interval.csv", NULL,
	  { "--csv", "-i", "1s", "-p", "-c", "ticks,gauge1", "sim.hws" } },
	{ "summary.json", NULL, { "--json", "-p", "sim.hws" } },
	{ "interval.json", NULL, { "--json", "-i", "1s", "-p", "sim.hws" } },
	{ "dump.txt", NULL, { "--dump", "--to", "0.05", "sim.hws" } },
	{ "perfetto.json", "out.json",
	  { "-i", "500ms", "-p", "-c", "ticks,counter1,gauge0",
	    "--perfetto", "out.json", "sim.hws" } },
	{ "plot.svg", "out.svg",
	  { "-i", "100ms", "-p", "-c", "ticks,counter2,gauge0", "--svg",
	    "out.svg", "sim.hws" } },
};

static char golden_dir[PATH_MAX + 64];
static char work_dir[PATH_MAX];
static char old_cwd[PATH_MAX];
static bool keep;

static bool is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* tests/golden/report from the cwd, or from above this executable. */
static int find_golden(void)
{
	const char *env = getenv("HWS_GOLDEN_DIR");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env) {
		snprintf(golden_dir, sizeof(golden_dir), "%s", env);
		return is_dir(golden_dir) ? 0 : -1;
	}
	if (is_dir("tests/golden/report") &&
	    realpath("tests/golden/report", golden_dir))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	while ((slash = strrchr(exe, '/'))) {
		char cand[PATH_MAX + 32];

		*slash = 0;
		snprintf(cand, sizeof(cand), "%s/tests/golden/report", exe);
		if (is_dir(cand)) {
			snprintf(golden_dir, sizeof(golden_dir), "%s", cand);
			return 0;
		}
	}
	return -1;
}

static int setup(void **state)
{
	struct hwr_sim_opts o = {
		.nr_cpus = 2,
		.counters = 4,
		.gauges = 2,
		.samples = 250,
		.drop_cpu = 1,
		.drop_from = 100,
		.drop_count = 5,
	};
	const char *tmp = getenv("TMPDIR");

	(void)state;
	if (find_golden()) {
		fprintf(stderr, "tests/golden/report not found: run from the "
			"top of the source tree or set HWS_GOLDEN_DIR\n");
		return -1;
	}
	snprintf(work_dir, sizeof(work_dir), "%s/hwr-golden-XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(work_dir) || !getcwd(old_cwd, sizeof(old_cwd)))
		return -1;
	/* Relative names, so the outputs do not carry the temp dir. */
	if (chdir(work_dir))
		return -1;
	setenv("TZ", "UTC", 1);
	tzset();
	return hwr_sim_write(&o, "sim.hws", true) ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	if (chdir(old_cwd))
		return -1;
	if (keep)
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work_dir);
	return system(cmd) ? -1 : 0;
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return s;
}

static void spill(const char *p, const char *s, size_t len)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_golden(void **state)
{
	const struct golden *g = *state;
	char *argv[20], *out = NULL, *err = NULL, *got, *want;
	char gpath[PATH_MAX + 128], apath[PATH_MAX + 64];
	size_t out_len = 0, err_len = 0, got_len, want_len, i, line = 1;
	FILE *fo, *fe;
	int argc = 0, status;

	argv[argc++] = (char *)"hwstats-report";
	for (i = 0; g->args[i]; i++)
		argv[argc++] = (char *)g->args[i];
	argv[argc] = NULL;
	fo = open_memstream(&out, &out_len);
	fe = open_memstream(&err, &err_len);
	status = hwr_main(argc, argv, fo, fe);
	fclose(fo);
	fclose(fe);
	if (status)
		fail_msg("%s: exit %d: %s", g->name, status, err);
	if (g->file) {
		got = slurp(g->file, &got_len);
		assert_non_null(got);
		free(out);
	} else {
		got = out;
		got_len = out_len;
	}
	free(err);

	snprintf(gpath, sizeof(gpath), "%s/%s", golden_dir, g->name);
	want = slurp(gpath, &want_len);
	/*
	 * Regenerating writes the new output, and still fails where it
	 * differed: a run that changes a golden file is never a pass.
	 */
	if (getenv("HWS_UPDATE_GOLDEN") &&
	    (!want || got_len != want_len || memcmp(got, want, got_len))) {
		spill(gpath, got, got_len);
		free(got);
		free(want);
		fail_msg("%s rewritten: review `git diff %s`", g->name, gpath);
	}
	if (!want)
		fail_msg("%s missing: `make -C tests/golden report` creates "
			 "it", gpath);
	if (got_len != want_len || memcmp(got, want, got_len)) {
		for (i = 0; i < got_len && i < want_len && got[i] == want[i];
		     i++)
			line += got[i] == '\n';
		snprintf(apath, sizeof(apath), "%s/%s.actual", work_dir,
			 g->name);
		spill(apath, got, got_len);
		keep = true;	/* the temp dir stays, for a look */
		fail_msg("%s differs from the golden file at line %zu; "
			 "output kept in %s", g->name, line, apath);
	}
	free(got);
	free(want);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(
			test_golden, (void *)&cases[i]);
		tests[i].name = cases[i].name;
	}
	return _cmocka_run_group_tests("golden", tests, i, setup, teardown);
}
