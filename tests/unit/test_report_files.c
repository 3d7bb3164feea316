// SPDX-License-Identifier: MIT
/*
 * Unit tests of hwstats-report on real .hws files written with libhws:
 * time merge across CPUs and files, rotated sets, damaged, newer and
 * foreign files, the command line's errors and exit codes. The tool runs
 * in-process (hwr_main) with its output captured in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "report.h"
#include "simgen.h"
#include "hws_internal.h"
#include "report_fixture.h"

/* Run the tool with a NULL-terminated argument list. */
static struct run run(const char *arg0, ...)
{
	struct run r;
	va_list ap;

	va_start(ap, arg0);
	r = run_v(arg0, ap);
	va_end(ap);
	return r;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static struct hwr_sim_opts sim(uint64_t samples)
{
	struct hwr_sim_opts o = {
		.nr_cpus = 2,
		.counters = 3,
		.gauges = 1,
		.samples = samples,
	};

	return o;
}

/* The "summary" member of a --json report: what must not change. */
static char *json_summary(const char *json)
{
	const char *p = strstr(json, "\n  \"summary\"");

	assert_non_null(p);
	return strdup(p);
}

static void test_merge_orders_records_across_cpus(void **state)
{
	struct hwr_sim_opts o = sim(200);
	struct run r;
	const char *line;
	double prev = -1;
	unsigned n = 0, cpu1 = 0;

	(void)state;
	o.nr_cpus = 3;
	/* small chunks: many per CPU, so the merge has work to do */
	o.chunk_bytes = 4096;
	assert_int_equal(hwr_sim_write(&o, path("m.hws"), true), 0);
	r = run("--dump", path("m.hws"), NULL);
	assert_int_equal(r.status, 0);
	for (line = r.out; *line; line = strchr(line, '\n') + 1) {
		double t = strtod(line, NULL);

		if (t < prev)
			fail_msg("out of order at line %u: %.9f < %.9f", n, t,
				 prev);
		prev = t;
		n++;
		cpu1 += strstr(line, "   1  ") == line + 14;
	}
	/* 200 samples per CPU and a sub-buffer header every 63 */
	assert_int_equal(n, 3 * (200 + 4));
	assert_int_equal(cpu1, 204);
	run_free(&r);
}

/*
 * A ring kept only its newest files: the history starts at the first kept
 * file, the records before it were rotated out (not lost); a file missing
 * in the middle of a set is still loss.
 */
static void test_ring_of_kept_files_is_not_loss(void **state)
{
	struct hwr_sim_opts o = sim(120);
	struct run t, j, mid;

	(void)state;
	assert_int_equal(mkdir(path("ring"), 0755), 0);
	o.start_sample = 120;
	o.samples = 90;
	assert_int_equal(hwr_sim_write(&o, path("ring/run-2.hws"), true), 0);
	o.start_sample = 210;
	assert_int_equal(hwr_sim_write(&o, path("ring/run-3.hws"), true), 0);
	t = run(path("ring"), NULL);
	j = run("--json", path("ring"), NULL);
	assert_int_equal(t.status, 0);
	assert_int_equal(j.status, 0);
	/* 120 samples on each of the 2 CPUs came before run-2 */
	assert_non_null(strstr(t.out, "HISTORY    starts at 1.210 s, in "));
	assert_non_null(strstr(t.out, "ring/run-2.hws (the oldest file kept): "
			       "240 earlier records of the session were "
			       "rotated out, not lost\n"));
	assert_non_null(strstr(t.out, "LOSS       none"));
	assert_non_null(strstr(j.out, "\"missing_records\": 0, "
			       "\"rotated_out_records\": 240,"));
	assert_non_null(strstr(j.out, "\"sample_gaps\": 0,"));
	assert_non_null(strstr(j.out, "\"lost_records\": 0,"));
	run_free(&t);
	run_free(&j);

	/* the first and the last file, the middle one gone: that is loss */
	o.start_sample = 0;
	o.samples = 120;
	assert_int_equal(hwr_sim_write(&o, path("ring/run-1.hws"), true), 0);
	assert_int_equal(unlink(path("ring/run-2.hws")), 0);
	mid = run("--json", path("ring"), NULL);
	assert_int_equal(mid.status, 0);
	assert_non_null(strstr(mid.out, "\"sample_gap_records\": 180,"));
	assert_non_null(strstr(mid.out, "\"rotated_out_records\": 0,"));
	run_free(&mid);
}

static void test_rotated_set_equals_one_file(void **state)
{
	struct hwr_sim_opts o = sim(300);
	struct run whole, set, d;
	char *a, *b;

	(void)state;
	o.drop_cpu = 1;
	o.drop_from = 150;
	o.drop_count = 4;
	assert_int_equal(hwr_sim_write(&o, path("whole.hws"), true), 0);
	assert_int_equal(mkdir(path("set"), 0755), 0);
	o.samples = 120;
	assert_int_equal(hwr_sim_write(&o, path("set/run-1.hws"), true), 0);
	o.start_sample = 120;
	o.samples = 180;
	assert_int_equal(hwr_sim_write(&o, path("set/run-2.hws"), true), 0);
	/* something else in the directory is not taken */
	fclose(fopen(path("set/notes.txt"), "w"));

	whole = run("--json", "-p", "-i", "1s", path("whole.hws"), NULL);
	/* files in reverse order: the merge is by time, not by argument */
	set = run("--json", "-p", "-i", "1s", path("set/run-2.hws"),
		  path("set/run-1.hws"), NULL);
	d = run("--json", "-p", "-i", "1s", path("set"), NULL);
	assert_int_equal(whole.status, 0);
	assert_int_equal(set.status, 0);
	assert_int_equal(d.status, 0);
	a = json_summary(whole.out);
	b = json_summary(set.out);
	assert_string_equal(a, b);
	free(b);
	b = json_summary(d.out);
	assert_string_equal(a, b);
	assert_non_null(strstr(d.out, "run-1.hws\", \"format\""));
	assert_null(strstr(d.out, "notes.txt"));
	/* the loss in the middle is seen once, as in the whole file */
	assert_non_null(strstr(set.out, "\"lost_records\": 4,"));
	assert_non_null(strstr(set.out, "\"sample_gap_records\": 4,"));
	assert_non_null(strstr(set.out, "\"missing_records\": 0,"));
	free(a);
	free(b);
	run_free(&whole);
	run_free(&set);
	run_free(&d);
}

static void test_later_file_alone_shows_where_history_starts(void **state)
{
	struct hwr_sim_opts o = sim(100);
	struct run r;

	(void)state;
	o.start_sample = 50;
	assert_int_equal(hwr_sim_write(&o, path("late.hws"), true), 0);
	r = run("late.hws", NULL);
	assert_int_equal(r.status, 2);	/* relative to the cwd: not there */
	run_free(&r);
	r = run(path("late.hws"), NULL);
	assert_int_equal(r.status, 0);
	/* its history starts late: what came before was rotated out */
	assert_non_null(strstr(r.out, "(the oldest file kept): 100 earlier "
				      "records of the session were rotated "
				      "out, not lost"));
	assert_non_null(strstr(r.out, "LOSS       none"));
	assert_null(strstr(r.out, "missing"));
	run_free(&r);
}

static void test_lost_records_from_headers_and_footer(void **state)
{
	struct hwr_sim_opts o = sim(200);
	struct run r;

	(void)state;
	o.drop_cpu = 0;
	o.drop_from = 60;
	o.drop_count = 7;
	assert_int_equal(hwr_sim_write(&o, path("lost.hws"), true), 0);
	r = run(path("lost.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "LOSS       7 records lost by the "
				      "kernel (cpu0 7)"));
	/* dropped between the last record before and the next header */
	assert_non_null(strstr(r.out, "0.600000 .. 0.680000 s  cpu0  7 "
				      "records dropped by the kernel"));
	assert_non_null(strstr(r.out, "0.600000 .. 0.680000 s  cpu0  sim: 7 "
				      "sample records missing (seq 60..66)"));
	assert_int_equal(r.err_len, 0);
	run_free(&r);

	/* CSV carries no loss section: it goes to stderr, one line */
	r = run("--csv", path("lost.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "lost.hws: 7 records lost by the "
				      "kernel"));
	run_free(&r);

	/* without footer totals the sub-buffer headers still tell */
	assert_int_equal(hwr_sim_write(&o, path("lost-nt.hws"), false), 0);
	r = run("--json", path("lost-nt.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"lost_records\": 7,"));
	run_free(&r);
}

static void copy_prefix(const char *from, const char *to, long len)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	char buf[4096];
	long done = 0;

	assert_non_null(a);
	assert_non_null(b);
	while (done < len) {
		size_t n = fread(buf, 1, (size_t)(len - done) < sizeof(buf) ?
				 (size_t)(len - done) : sizeof(buf), a);

		if (!n)
			break;
		fwrite(buf, 1, n, b);
		done += (long)n;
	}
	fclose(a);
	fclose(b);
}

static long file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return (long)st.st_size;
}

static void test_truncated_file_reported_rest_analysed(void **state)
{
	struct hwr_sim_opts o = sim(2000);
	unsigned long long n;
	struct run r;
	long size;

	(void)state;
	o.chunk_bytes = 8192;
	assert_int_equal(hwr_sim_write(&o, path("full.hws"), true), 0);
	size = file_size(path("full.hws"));
	/* cut in the middle: a killed recorder, a full disk */
	copy_prefix(path("full.hws"), path("cut.hws"), size / 2);
	r = run(path("cut.hws"), NULL);
	assert_int_equal(r.status, 3);
	/* stderr: one line per damage, each naming the file */
	assert_true(count_lines(r.err) >= 1);
	assert_non_null(strstr(r.err, "cut.hws: damaged ("));
	assert_non_null(strstr(r.err, "no_footer"));
	assert_non_null(strstr(r.out, "DAMAGE     "));
	/* what is there was analysed */
	assert_non_null(strstr(r.out, "COUNTERS"));
	run_free(&r);
	r = run("--json", path("cut.hws"), NULL);
	assert_int_equal(r.status, 3);
	n = strtoull(strstr(r.out, "\"selected_samples\": ") + 20, NULL, 10);
	assert_true(n > 1000 && n < 4000);
	run_free(&r);
}

static void test_corrupt_chunk_skipped_and_seen_as_gap(void **state)
{
	struct hwr_sim_opts o = sim(2000);
	struct run r;
	long size;
	int fd;
	char junk[64];

	(void)state;
	o.chunk_bytes = 8192;
	assert_int_equal(hwr_sim_write(&o, path("bad.hws"), true), 0);
	size = file_size(path("bad.hws"));
	memset(junk, 0x5a, sizeof(junk));
	fd = open(path("bad.hws"), O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), size / 3),
			 (ssize_t)sizeof(junk));
	close(fd);
	r = run("--json", path("bad.hws"), NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "bad.hws: damaged ("));
	assert_non_null(strstr(r.out, "\"damage\": [\n    {\"file\": "));
	/* the skipped chunk's records are a gap, and the footer knows the
	 * kernel wrote them */
	assert_null(strstr(r.out, "\"sample_gaps\": 0,"));
	assert_null(strstr(r.out, "\"missing_records\": 0,"));
	run_free(&r);
}

/* Every output of @args on @files, with HWSTATS_THREADS=@t. */
static struct run run_threads(const char *t, char **args)
{
	struct run r;

	setenv("HWSTATS_THREADS", t, 1);
	r = run(args[0], args[1], args[2], args[3], args[4], args[5], NULL);
	unsetenv("HWSTATS_THREADS");
	return r;
}

/* The report of @args, byte for byte the same with 1, 2, 3 and 16 threads. */
static void same_with_threads(char **args)
{
	static const char *const threads[] = { "2", "3", "16" };
	struct run one = run_threads("1", args);

	assert_true(one.status == 0 || one.status == 3);
	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		struct run n = run_threads(threads[i], args);

		assert_int_equal(n.status, one.status);
		assert_int_equal(n.out_len, one.out_len);
		assert_int_equal(n.err_len, one.err_len);
		assert_memory_equal(n.out, one.out, one.out_len);
		assert_memory_equal(n.err, one.err, one.err_len);
		run_free(&n);
	}
	run_free(&one);
}

static void damage_at(const char *p, long off, size_t len, int c)
{
	char junk[256];
	int fd = open(p, O_WRONLY);

	assert_true(fd >= 0 && len <= sizeof(junk));
	memset(junk, c, len);
	assert_int_equal(pwrite(fd, junk, len, off), (ssize_t)len);
	close(fd);
}

/*
 * Decoding on several threads changes nothing a user sees: every record
 * in the same order (--dump), the same summary, intervals and damage lines,
 * on multi-CPU files intact, cut, with damaged chunks and garbage between
 * frames, a rotated set, and every golden file; and with a budget too
 * small for a chunk per CPU.
 */
static void test_threads_give_the_same_report(void **state)
{
	static const char *const golden[] = {
		"intact", "chunk-size-lies", "flipped-bit-in-chunk-data",
		"flipped-bit-in-chunk-header", "flipped-bit-in-footer",
		"flipped-bit-in-index", "flipped-chunk-magic",
		"garbage-between-chunks", "no-footer",
		"newer-minor-unknown-frames", "stray-bytes-after-footer",
		"truncated-between-chunk-frames", "truncated-in-chunk-data",
		"truncated-in-chunk-header", "truncated-in-footer",
		"truncated-in-index", "unknown-encoding", "zeroed-block",
	};
	struct hwr_sim_opts o = sim(3000);
	const char *files[6];
	char gp[128];
	long size;

	(void)state;
	o.nr_cpus = 5;
	o.chunk_bytes = 4096;
	o.drop_cpu = 3;
	o.drop_from = 700;
	o.drop_count = 40;
	assert_int_equal(hwr_sim_write(&o, path("mt.hws"), true), 0);
	size = file_size(path("mt.hws"));
	copy_prefix(path("mt.hws"), path("mt-cut.hws"), size * 2 / 3);
	copy_prefix(path("mt.hws"), path("mt-bad.hws"), size);
	/* damaged chunks, one of them a header, and noise between frames */
	damage_at(path("mt-bad.hws"), size / 5, 64, 0x5a);
	damage_at(path("mt-bad.hws"), size / 3, 1, 0x00);
	damage_at(path("mt-bad.hws"), size / 2, 200, 0xff);
	damage_at(path("mt-bad.hws"), size * 4 / 5, 3, 0x28);
	/* a rotated set: the second half of the session in a second file */
	o.samples = 1500;
	assert_int_equal(hwr_sim_write(&o, path("mt-a.hws"), true), 0);
	o.start_sample = 1500;
	assert_int_equal(hwr_sim_write(&o, path("mt-b.hws"), true), 0);

	{
		struct run r = run(path("mt-bad.hws"), NULL);

		/* the damage is there to be reported */
		assert_int_equal(r.status, 3);
		assert_true(count(r.err, "mt-bad.hws: damaged (") >= 3);
		run_free(&r);
	}
	files[0] = path("mt.hws");
	files[1] = path("mt-cut.hws");
	files[2] = path("mt-bad.hws");
	for (int i = 0; i < 3; i++) {
		char *dump[6] = { "--dump", (char *)files[i] };
		char *json[6] = { "--json", "-i", "1s", (char *)files[i] };
		char *text[6] = { "--per-cpu", (char *)files[i] };

		same_with_threads(dump);
		same_with_threads(json);
		same_with_threads(text);
	}
	/*
	 * A budget of three decoded chunks for five CPUs: chunks are dropped
	 * and decoded again, and decoding ahead gives way, on every thread
	 * count alike.
	 */
	hwsi_merge_set_budget(3 * 64 * 1024);
	for (int i = 0; i < 3; i += 2) {
		char *dump[6] = { "--dump", (char *)files[i] };
		char *json[6] = { "--json", "-i", "1s", (char *)files[i] };

		same_with_threads(dump);
		same_with_threads(json);
	}
	hwsi_merge_set_budget(0);
	{
		char *a = strdup(path("mt-a.hws")), *b = strdup(path("mt-b.hws"));
		char *set[6] = { "--dump", a, b };
		char *setj[6] = { "--json", a, b };

		same_with_threads(set);
		same_with_threads(setj);
		free(a);
		free(b);
	}
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		char *dump[6] = { "--dump", gp };
		char *json[6] = { "--json", gp };

		snprintf(gp, sizeof(gp), "tests/golden/hws/%s.hws", golden[i]);
		same_with_threads(dump);
		same_with_threads(json);
	}
}

/*
 * The report of @args, the same with one thread and with 2, 3 and 16
 * (same_with_threads()), and it was split by CPU (split.c) each time there
 * were several threads, or, without @split, it fell back to the one merge.
 */
static void same_split(char **args, bool split)
{
	unsigned long before = hwr_split_runs;

	same_with_threads(args);
	assert_int_equal(hwr_split_runs - before, split ? 3 : 0);
}

/*
 * Edited records: with @jump, two CPUs, one of whose timestamps go back
 * 2.5 s for ten records; else three CPUs, two of which skip a sample
 * sequence number every 10 samples (loss events, more than are kept).
 */
static void write_edited(const char *file, bool jump)
{
	struct hwr_sim_opts o = sim(400);
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 4096 };
	struct hwr_sim_state st[3] = { 0 };
	struct hwr_sim s;
	struct hws_writer *w;
	static uint8_t buf[1 << 16];
	size_t len, off;
	uint32_t n;

	o.nr_cpus = jump ? 2 : 3;
	hwr_sim_defaults(&o);
	assert_int_equal(hwr_sim_header(&s, &o), 0);
	w = hws_writer_open(file, &s.hdr, &wo);
	assert_non_null(w);
	for (uint32_t cpu = 0; cpu < o.nr_cpus; cpu++) {
		uint64_t skip = 0, samples = 0;

		len = hwr_sim_cpu(&s, cpu, 0, 400, &st[cpu], buf, sizeof(buf));
		for (off = 0, n = 0; cpu && off < len; n++) {
			struct hwstats_rec *r = (void *)(buf + off);

			if (jump && n >= 150 && n < 160)
				r->ts -= 2500000000ULL;
			if (!jump && r->type == HWSTATS_REC_SAMPLE) {
				struct hwstats_sample *sm = (void *)r;

				if (++samples % 10 == 0)
					skip += cpu;
				sm->seq += skip;
			}
			off += r->len;
		}
		assert_int_equal(hws_writer_append(w, cpu, buf, len), 0);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	hwr_sim_release(&s);
}

/*
 * Split by CPU, each CPU's records analysed on the thread that decodes
 * them, the report is the one merge's to the byte: summary and intervals
 * of several lengths, per CPU, JSON, CSV and SVG, --from and --to, a CPU
 * filter, loss events (more than the report keeps), a rotated set, and
 * gauges whose values fit the exact quantile sketch in each part but not
 * together. What it cannot reproduce falls
 * back to the merge, with the same bytes: a timestamp that jumps back,
 * damage, a file without a footer, and the sinks that take records or
 * events as they come (--dump, OpenMetrics, Perfetto).
 */
static void test_split_by_cpu_gives_the_same_report(void **state)
{
	struct hwr_sim_opts o = sim(3000);
	char *f, *a, *b, *jb, *gaps, *bad, *cut, *svg, *om, *pf;
	long size;

	(void)state;
	o.nr_cpus = 5;
	o.gauges = 2;
	o.chunk_bytes = 4096;
	o.drop_cpu = 3;
	o.drop_from = 700;
	o.drop_count = 40;
	f = strdup(path("sp.hws"));
	assert_int_equal(hwr_sim_write(&o, f, true), 0);
	/* a rotated set */
	o.samples = 1500;
	a = strdup(path("sp-a.hws"));
	b = strdup(path("sp-b.hws"));
	assert_int_equal(hwr_sim_write(&o, a, true), 0);
	o.start_sample = 1500;
	assert_int_equal(hwr_sim_write(&o, b, true), 0);
	jb = strdup(path("sp-jump.hws"));
	write_edited(jb, true);
	gaps = strdup(path("sp-gaps.hws"));
	write_edited(gaps, false);
	size = file_size(f);
	cut = strdup(path("sp-cut.hws"));
	copy_prefix(f, cut, size / 2);
	bad = strdup(path("sp-bad.hws"));
	copy_prefix(f, bad, size);
	damage_at(bad, size / 3, 64, 0x5a);
	svg = strdup(path("sp.svg"));
	om = strdup(path("sp.om"));
	pf = strdup(path("sp.pftrace"));

	{
		char *args[][6] = {
			{ f },
			{ "--per-cpu", f },
			{ "--json", "-i", "1s", "--per-cpu", f },
			{ "-i", "250ms", "--per-cpu", f },
			{ "-i", "7s", f },
			{ "--json", "-i", "100ms", f },
			{ "--from", "3", "--to", "17.5s", "--per-cpu", f },
			{ "--json", "--from", "4", "--to", "9.5s", f },
			{ "-i", "2s", "--from", "4.3", f },
			{ "-i", "2s", "--to", "9.5s", f },
			/* gauges: exact in each part, a histogram together */
			{ "--per-cpu", "--from", "4", "--to", "5.5s", f },
			{ "--json", "--from", "4", "--to", "4.8s", f },
			{ "--cpu", "1,3", "--per-cpu", "-i", "1s", f },
			{ "--json", "--cpu", "4", f },
			{ "--svg", svg, "-i", "1s", "--per-cpu", f },
			{ "--json", "--per-cpu", a, b },
			{ "-i", "3s", a },
			{ "--json", "-i", "1s", b },
			{ "--json", "--per-cpu", gaps },
			{ gaps },
			{ "--csv", f },
			{ "--csv", "-i", "1s", "--per-cpu", f },
		};

		for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
			same_split(args[i], true);
		/* queues of a few series: parts wait for the calling thread */
		hwr_split_queue = 8;
		for (size_t i = 0; i < 5; i++)
			same_split(args[i], true);
		hwr_split_queue = 16384;
	}
	{
		char *args[][6] = {
			{ jb },
			{ "--json", "-i", "1s", "--per-cpu", jb },
			{ bad },
			{ "-i", "1s", cut },
			{ "--dump", f },
			{ "--openmetrics", om, f },
			{ "--perfetto", pf, f },
		};

		for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
			same_split(args[i], false);
	}
	{
		struct run r = run("--json", gaps, NULL);

		/* more loss events than the report keeps */
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "\"sample_gaps\": 80, \"sample_gap_records\": 120,"));
		assert_non_null(strstr(r.out, "\"events_not_listed\": 16}"));
		run_free(&r);
		r = run("--json", f, NULL);
		assert_non_null(strstr(r.out, "\"sample_gaps\": 1,"));
		run_free(&r);
		r = run(jb, NULL);
		assert_int_equal(r.status, 0);
		run_free(&r);
	}
	free(f);
	free(a);
	free(b);
	free(jb);
	free(gaps);
	free(bad);
	free(cut);
	free(svg);
	free(om);
	free(pf);
}

/* A source described by a source frame reads as one in the header. */
static void test_late_source_reads_as_in_header(void **state)
{
	struct hwr_sim_opts o = sim(300);
	struct run a, b;
	const char *ta, *tb;

	(void)state;
	mkdir(path("late-src"), 0755);
	mkdir(path("hdr-src"), 0755);
	assert_int_equal(hwr_sim_write(&o, path("hdr-src/t.hws"), true), 0);
	o.late_source = true;
	assert_int_equal(hwr_sim_write(&o, path("late-src/t.hws"), true), 0);
	a = run(path("hdr-src/t.hws"), NULL);
	b = run(path("late-src/t.hws"), NULL);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.status, 0);
	assert_null(strstr(b.out, "unknown source"));
	assert_non_null(strstr(b.out, "sim"));
	/* Equal after the first line, which names the file. */
	ta = strchr(a.out, '\n');
	tb = strchr(b.out, '\n');
	assert_non_null(ta);
	assert_non_null(tb);
	assert_string_equal(ta, tb);
	run_free(&a);
	run_free(&b);
}

/*
 * One file: "sim" (id 1) for 100 samples per CPU, then id 2 registered
 * later, 10 s on, with the same name: with the same schema when @same, else
 * with one counter more. Sequence numbers start again at 0 for id 2.
 */
static void write_reregistered(const char *file, bool same)
{
	struct hwr_sim_opts o1 = sim(100), o2;
	struct hws_writer_opts wo = { .sz = sizeof(wo) };
	struct hwr_sim_state st[2] = { 0 };
	struct hwr_sim s1, s2;
	struct hws_writer *w;
	static uint8_t buf[1 << 16];
	size_t len;

	o2 = o1;
	o2.source_id = 2;
	hwr_sim_defaults(&o1);
	o2.start_boot_ns = o1.start_boot_ns + 10000000000ULL;
	if (!same)
		o2.counters = o1.counters + 1;
	assert_int_equal(hwr_sim_header(&s1, &o1), 0);
	assert_int_equal(hwr_sim_header(&s2, &o2), 0);
	w = hws_writer_open(file, &s1.hdr, &wo);
	assert_non_null(w);
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		len = hwr_sim_cpu(&s1, cpu, 0, 100, &st[cpu], buf, sizeof(buf));
		assert_int_equal(hws_writer_append(w, cpu, buf, len), 0);
	}
	assert_int_equal(hws_writer_add_source(w, &s2.src), 0);
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		st[cpu].seq = 0;	/* a new registration */
		len = hwr_sim_cpu(&s2, cpu, 0, 100, &st[cpu], buf, sizeof(buf));
		assert_int_equal(hws_writer_append(w, cpu, buf, len), 0);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	hwr_sim_release(&s1);
	hwr_sim_release(&s2);
}

/* A driver reloaded during a capture: no false loss, and it is said. */
static void test_source_registered_again(void **state)
{
	struct run r;

	(void)state;
	write_reregistered(path("rereg.hws"), true);
	r = run(path("rereg.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "LOSS       none"));
	assert_non_null(strstr(r.out, "SOURCES    sim registered 2 times\n"));
	assert_null(strstr(r.out, "went back"));
	assert_null(strstr(r.out, "sim#2"));
	/* 200 samples per CPU under one name */
	assert_non_null(strstr(r.out, "  sim     ticks     samples  all      400"));
	run_free(&r);

	/* Another schema under the same name: another source. */
	write_reregistered(path("reschema.hws"), false);
	r = run(path("reschema.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "LOSS       none"));
	assert_non_null(strstr(r.out, "SOURCES    sim#2 (\"sim\" with another schema)\n"));
	assert_non_null(strstr(r.out, "  sim#2   counter3"));
	assert_null(strstr(r.out, "  sim     counter3"));
	assert_null(strstr(r.out, "loaded again"));
	run_free(&r);
}

/* Files of two sessions with the same source: its seq restarts, no loss. */
static void test_two_sessions_one_source(void **state)
{
	struct hwr_sim_opts o = sim(100);
	struct run r;

	(void)state;
	mkdir(path("sessions"), 0755);
	o.session_id = 1;
	assert_int_equal(hwr_sim_write(&o, path("sessions/a.hws"), true), 0);
	hwr_sim_defaults(&o);
	o.session_id = 2;
	o.start_boot_ns += 10000000000ULL;
	assert_int_equal(hwr_sim_write(&o, path("sessions/b.hws"), true), 0);
	r = run(path("sessions/a.hws"), path("sessions/b.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "LOSS       none"));
	assert_null(strstr(r.out, "SOURCES"));
	assert_null(strstr(r.out, "went back"));
	run_free(&r);
}

_Static_assert(HWS_FORMAT_MAJOR == 2, "the expected message below names majors 3 and 2");
static void test_newer_major_refused_in_one_line(void **state)
{
	struct hwr_sim s;
	struct hwr_sim_opts o = sim(10);
	uint8_t *frame;
	size_t len;
	FILE *f;
	struct run r;

	(void)state;
	assert_int_equal(hwr_sim_header(&s, &o), 0);
	len = hwsi_header_frame_len(&s.hdr);
	frame = malloc(len);
	assert_non_null(frame);
	hwsi_header_encode(frame, len, &s.hdr);
	/* a header one major newer, sealed with a valid checksum */
	hwsi_put16(frame + HWS_SKIP_HDR + 8, HWS_FORMAT_MAJOR + 1);
	hwsi_put16(frame + HWS_SKIP_HDR + 10, 0);
	hwsi_frame_seal(frame, (uint32_t)(len - HWS_SKIP_HDR));
	f = fopen(path("vnext.hws"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(frame, 1, len, f), len);
	fclose(f);
	free(frame);
	hwr_sim_release(&s);

	r = run(path("vnext.hws"), NULL);
	assert_int_equal(r.status, 2);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "hwstats-report: "));
	assert_non_null(strstr(r.err, "vnext.hws: written in .hws format 3.0, "
				      "newer than the 2.x"));
	assert_int_equal(r.out_len, 0);
	run_free(&r);
}

static void test_foreign_and_missing_files(void **state)
{
	struct run r;
	FILE *f;

	(void)state;
	f = fopen(path("text.hws"), "w");
	fputs("this is not a trace\n", f);
	fclose(f);
	r = run(path("text.hws"), NULL);
	assert_int_equal(r.status, 2);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "text.hws: not an hwstats trace"));
	run_free(&r);

	r = run(path("nosuch.hws"), NULL);
	assert_int_equal(r.status, 2);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "nosuch.hws: No such file or directory"));
	run_free(&r);

	assert_int_equal(mkdir(path("empty"), 0755), 0);
	r = run(path("empty"), NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "empty: no .hws files in this directory"));
	run_free(&r);
}

static void test_usage_errors_are_one_line_exit_1(void **state)
{
	struct hwr_sim_opts o = sim(10);
	const char *t;
	struct run r;

	(void)state;
	assert_int_equal(hwr_sim_write(&o, path("u.hws"), true), 0);
	t = path("u.hws");
#define USAGE(...) do {							\
		r = run(__VA_ARGS__, NULL);				\
		assert_int_equal(r.status, 1);				\
		assert_int_equal(count_lines(r.err), 1);		\
		assert_non_null(strstr(r.err, "hwstats-report: "));	\
		run_free(&r);						\
	} while (0)
	USAGE("--bogus", t);
	USAGE("-x", t);
	USAGE("--interval", "0", t);
	USAGE("--interval", "soon", t);
	USAGE("--from", "yesterday", t);
	USAGE("--cpu", "1-", t);
	USAGE("--csv", "--json", t);
	USAGE("--counter", "nosuch", t);
	USAGE("--source", "nosuch", t);
	USAGE("--from", "2", "--to", "1", t);
	USAGE("--interval");
	r = run(NULL, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no trace given"));
	run_free(&r);
#undef USAGE
}

static void test_help_lists_every_option_and_version(void **state)
{
	static const char *const opts[] = {
		"--interval", "--dump", "--per-cpu", "--from", "--to",
		"--source", "--counter", "--cpu", "--csv", "--json",
		"--output", "--perfetto", "--svg", "--help", "--version",
		"Exit status", "Examples",
	};
	struct run r;
	size_t i;

	(void)state;
	r = run("--help", NULL);
	assert_int_equal(r.status, 0);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strstr(r.out, opts[i]))
			fail_msg("--help does not mention %s", opts[i]);
	run_free(&r);
	r = run("-V", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "hwstats-report " HWSTATS_VERSION "\n");
	run_free(&r);
}

static void test_wall_clock_selection_equals_relative(void **state)
{
	struct hwr_sim_opts o = sim(400);
	struct run a, b;
	char *sa, *sb;

	(void)state;
	assert_int_equal(hwr_sim_write(&o, path("w.hws"), true), 0);
	/* the trace starts 2026-11-27 21:00:00 UTC (TZ=UTC here) */
	a = run("--json", "--from", "1", "--to", "2.5s", path("w.hws"), NULL);
	b = run("--json", "--from", "21:00:01", "--to",
		"2026-11-27T21:00:02.5", path("w.hws"), NULL);
	assert_int_equal(a.status, 0);
	assert_int_equal(b.status, 0);
	sa = json_summary(a.out);
	sb = json_summary(b.out);
	assert_string_equal(sa, sb);
	assert_non_null(strstr(sa, "\"counter\": \"ticks\", \"unit\": "
				   "\"samples\", \"kind\": \"counter\", "
				   "\"samples\": 300,"));
	free(sa);
	free(sb);
	run_free(&a);
	run_free(&b);
}

static void test_from_seeks_without_false_gaps(void **state)
{
	struct hwr_sim_opts o = sim(1000);
	struct run r;

	(void)state;
	/* many small chunks, so --from skips most of them unread */
	o.chunk_bytes = 4096;
	o.drop_cpu = 0;
	o.drop_from = 200;
	o.drop_count = 3;
	assert_int_equal(hwr_sim_write(&o, path("seek.hws"), true), 0);
	r = run("--json", "--from", "5", "--to", "6", path("seek.hws"), NULL);
	assert_int_equal(r.status, 0);
	/* the drop at 2 s lies before the selection: not reported */
	assert_non_null(strstr(r.out, "\"lost_records\": 0,"));
	assert_non_null(strstr(r.out, "\"sample_gaps\": 0,"));
	assert_non_null(strstr(r.out, "\"subbuf_gaps\": 0,"));
	assert_non_null(strstr(r.out, "\"selected_samples\": 200,"));
	run_free(&r);
	r = run("--json", "--from", "1", "--to", "3", path("seek.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"lost_records\": 3,"));
	assert_non_null(strstr(r.out, "\"sample_gap_records\": 3,"));
	run_free(&r);
}

static void test_empty_trace_in_every_format(void **state)
{
	struct hwr_sim_opts o = sim(0);
	struct run r;

	(void)state;
	assert_int_equal(hwr_sim_write(&o, path("empty.hws"), true), 0);
	r = run(path("empty.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "NO SAMPLES sim: all 4 counters\n"));
	assert_null(strstr(r.out, "COUNTERS"));
	run_free(&r);
	r = run("--json", "-p", "-i", "1s", path("empty.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"intervals\": [],"));
	assert_non_null(strstr(r.out, "\"first_ns\": null, \"last_ns\": null"));
	run_free(&r);
	r = run("--csv", "-i", "1s", "--svg", path("empty.svg"), "--perfetto",
		path("empty.json"), path("empty.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out,
			    "t_s,wall_utc,source,counter,unit,kind,cpu,value\n");
	run_free(&r);
	r = run("--dump", path("empty.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out_len, 0);
	run_free(&r);
}

static void test_output_files_written(void **state)
{
	struct hwr_sim_opts o = sim(200);
	struct run r;
	char *pf, *svg, *rep;

	(void)state;
	assert_int_equal(hwr_sim_write(&o, path("o.hws"), true), 0);
	r = run("-i", "500ms", "--perfetto", path("o.trace.json"), "--svg",
		path("o.svg"), "-o", path("o.txt"), "-c", "ticks,gauge0",
		path("o.hws"), NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out_len, 0);
	pf = slurp(path("o.trace.json"));
	svg = slurp(path("o.svg"));
	rep = slurp(path("o.txt"));
	/* 2.0 s of samples: intervals 0 .. 2.0, 5 of them, per counter,
	 * plus the closing value of each track */
	assert_int_equal(count(pf, "\"ph\": \"C\""), 2 * 5 + 2);
	assert_int_equal(count(pf, "\"name\": \"ticks\""), 6);
	assert_non_null(strstr(pf, "\"args\": {\"samples/s\": 200.000}"));
	assert_int_equal(strncmp(pf + strlen(pf) - 4, "\n]}\n", 4), 0);
	assert_int_equal(strncmp(svg, "<?xml", 5), 0);
	assert_int_equal(count(svg, "time since start (s)"), 2);
	assert_non_null(strstr(svg, "sim.gauge0 &#8212; mean, min&#8211;max band (level"));
	assert_int_equal(strcmp(svg + strlen(svg) - 7, "</svg>\n"), 0);
	assert_non_null(strstr(rep, "average"));
	free(pf);
	free(svg);
	free(rep);
	run_free(&r);

	/* a run that fails leaves no half-written output behind */
	r = run("--svg", path("gone.svg"), "-o", path("gone.txt"), "-c",
		"nosuch", path("o.hws"), NULL);
	assert_int_equal(r.status, 1);
	assert_int_equal(access(path("gone.svg"), F_OK), -1);
	assert_int_equal(access(path("gone.txt"), F_OK), -1);
	run_free(&r);

	r = run("--svg", path("nodir/x.svg"), path("o.hws"), NULL);
	assert_int_equal(r.status, 2);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "nodir/x.svg: No such file or directory"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_orders_records_across_cpus),
		cmocka_unit_test(test_threads_give_the_same_report),
		cmocka_unit_test(test_split_by_cpu_gives_the_same_report),
		cmocka_unit_test(test_rotated_set_equals_one_file),
		cmocka_unit_test(test_ring_of_kept_files_is_not_loss),
		cmocka_unit_test(test_later_file_alone_shows_where_history_starts),
		cmocka_unit_test(test_lost_records_from_headers_and_footer),
		cmocka_unit_test(test_truncated_file_reported_rest_analysed),
		cmocka_unit_test(test_corrupt_chunk_skipped_and_seen_as_gap),
		cmocka_unit_test(test_late_source_reads_as_in_header),
		cmocka_unit_test(test_source_registered_again),
		cmocka_unit_test(test_two_sessions_one_source),
		cmocka_unit_test(test_newer_major_refused_in_one_line),
		cmocka_unit_test(test_foreign_and_missing_files),
		cmocka_unit_test(test_usage_errors_are_one_line_exit_1),
		cmocka_unit_test(test_help_lists_every_option_and_version),
		cmocka_unit_test(test_wall_clock_selection_equals_relative),
		cmocka_unit_test(test_from_seeks_without_false_gaps),
		cmocka_unit_test(test_empty_trace_in_every_format),
		cmocka_unit_test(test_output_files_written),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
