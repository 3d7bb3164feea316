/* SPDX-License-Identifier: MIT */
/*
 * report_fixture.h - what the tests of hwstats-report on files share: a
 * scratch directory per test binary (cmocka's group setup and teardown),
 * paths in it, running the tool in-process with its output captured, and
 * reading an output file back. Header-only, included by
 * one test file each; static inline so that a test that uses only part
 * of it builds without warnings.
 */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static char dir[256];

/* @name in the scratch directory; the last four results stay valid. */
static inline char *path(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Group setup: the scratch directory under $TMPDIR, times in UTC. */
static inline int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/hwr-report-XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	setenv("TZ", "UTC", 1);
	return 0;
}

static inline int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

struct run {
	int status;
	char *out, *err;
	size_t out_len, err_len;
};

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/*
 * hwstats-report with the arguments @arg0, then those of @ap up to a NULL,
 * run in-process (hwr_main) with its output and errors in memory.
 */
static inline struct run run_v(const char *arg0, va_list ap)
{
	char *argv[32];
	struct run r = { 0 };
	FILE *out, *err;
	int argc = 0;
	const char *a;

	argv[argc++] = (char *)"hwstats-report";
	for (a = arg0; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	argv[argc] = NULL;
	out = open_memstream(&r.out, &r.out_len);
	err = open_memstream(&r.err, &r.err_len);
	assert_non_null(out);
	assert_non_null(err);
	r.status = hwr_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

/* The whole of file @p, NUL-terminated; the caller frees it. */
static inline char *slurp(const char *p)
{
	FILE *f = fopen(p, "rb");
	char *s;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* How often @what occurs in @s, not overlapping. */
static inline unsigned count(const char *s, const char *what)
{
	unsigned n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

#endif /* REPORT_FIXTURE_H */
