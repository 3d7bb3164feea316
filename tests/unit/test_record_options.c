// SPDX-License-Identifier: MIT
/*
 * hwstats-record's command line: every value lands exactly, every bad one
 * is refused with -EINVAL, and the duration grammar is the one all tools
 * share.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <zstd.h>

#include "hws_duration.h"
#include "rec.h"

#define S 1000000000ULL

static int parse(struct rec_opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	return rec_parse_args(argc, argv, o);
}

#define PARSE(o, ...) ({						\
	char *argv_[] = { "hwstats-record", __VA_ARGS__, NULL };	\
	parse((o), (int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_); \
})

static void test_options_defaults(void **state)
{
	char *argv[] = { "hwstats-record", NULL };
	struct rec_opts o;

	(void)state;
	assert_int_equal(parse(&o, 1, argv), 0);
	assert_string_equal(o.output, "hwstats.hws");
	assert_string_equal(o.device, HWSDEV_DEFAULT_DEVICE);
	assert_int_equal(o.sync, REC_SYNC_ROTATE);
	assert_int_equal(o.level, 0);
	assert_int_equal(o.duration_ns, 0);
	assert_int_equal(o.rotate_size, 0);
	assert_false(o.help);
}

/*
 * The buffers asked of the kernel: 32 x 256 KiB per CPU by default, fewer
 * (not under 8) when all online CPUs' would pass 256 MiB, --buffers as
 * given, never past the kernel's limit per CPU with a large --buffer-size,
 * the kernel's 8 for a flight recorder.
 */
static void test_options_buffer_geometry(void **state)
{
	struct rec_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "-q"), 0);
	assert_int_equal(rec_subbuf_size(&o), 256 * 1024);
	assert_int_equal(rec_n_subbufs(&o, 1), 32);
	assert_int_equal(rec_n_subbufs(&o, 32), 32);
	assert_int_equal(rec_n_subbufs(&o, 33), 31);
	assert_int_equal(rec_n_subbufs(&o, 64), 16);
	assert_int_equal(rec_n_subbufs(&o, 128), 8);
	assert_int_equal(rec_n_subbufs(&o, 4096), 8);
	assert_int_equal(rec_n_subbufs(&o, 0), 32);
	assert_int_equal(PARSE(&o, "-n", "3"), 0);
	assert_int_equal(rec_n_subbufs(&o, 1), 3);
	assert_int_equal(rec_n_subbufs(&o, 4096), 3);
	assert_int_equal(PARSE(&o, "-b", "4M"), 0);
	assert_int_equal(rec_n_subbufs(&o, 2), 32);
	assert_int_equal(rec_n_subbufs(&o, 8), 8);
	assert_int_equal(PARSE(&o, "-b", "16M"), 0);
	assert_int_equal(rec_subbuf_size(&o), 16 << 20);
	assert_int_equal(rec_n_subbufs(&o, 1), 16);
	assert_int_equal(PARSE(&o, "-b", "64M"), 0);
	assert_int_equal(rec_n_subbufs(&o, 1), 4);
	assert_int_equal(PARSE(&o, "-w"), 0);
	assert_int_equal(rec_n_subbufs(&o, 1), 8);
	assert_int_equal(PARSE(&o, "-w", "-n", "64"), 0);
	assert_int_equal(rec_n_subbufs(&o, 1), 64);
}

/* The spill: 32 MiB per CPU, 256 MiB in all, none for a flight recorder. */
static void test_options_spill(void **state)
{
	struct rec_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "-q"), 0);
	assert_int_equal(rec_spill_bytes(&o, 1), 32 << 20);
	assert_int_equal(rec_spill_bytes(&o, 0), 32 << 20);
	assert_int_equal(rec_spill_bytes(&o, 8), 32 << 20);
	assert_int_equal(rec_spill_bytes(&o, 16), 16 << 20);
	assert_int_equal(rec_spill_bytes(&o, 256), 1 << 20);
	assert_int_equal(PARSE(&o, "--spill", "1G"), 0);
	assert_int_equal(rec_spill_bytes(&o, 256), 1ULL << 30);
	assert_int_equal(PARSE(&o, "--spill=0"), 0);
	assert_int_equal(rec_spill_bytes(&o, 1), 0);
	assert_int_equal(PARSE(&o, "-w"), 0);
	assert_int_equal(rec_spill_bytes(&o, 1), 0);
	assert_int_equal(PARSE(&o, "-w", "--spill", "8M"), 0);
	assert_int_equal(rec_spill_bytes(&o, 1), 0);
}

static void test_options_every_value_lands(void **state)
{
	struct rec_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "-o", "x.hws", "-f", "-d", "1.5s",
			       "-s", "net:lo,sim", "-p", "250us", "-b", "64K",
			       "-n", "4", "-F", "100ms", "-l", "-5", "-r", "16K",
			       "-R", "1d", "-m", "7", "--sync", "chunk",
			       "-t", "2", "-D", "/dev/x", "-q"), 0);
	assert_string_equal(o.output, "x.hws");
	assert_true(o.force);
	assert_int_equal(o.duration_ns, 1500000000ULL);
	assert_string_equal(o.sources, "net:lo,sim");
	assert_int_equal(o.period_ns, 250000);
	assert_int_equal(o.subbuf_size, 65536);
	assert_int_equal(o.n_subbufs, 4);
	assert_int_equal(o.flush_ns, 100000000ULL);
	assert_int_equal(o.level, -5);
	assert_int_equal(o.rotate_size, 16384);
	assert_int_equal(o.rotate_ns, 86400 * S);
	assert_int_equal(o.max_files, 7);
	assert_int_equal(o.sync, REC_SYNC_CHUNK);
	assert_int_equal(o.threads, 2);
	assert_string_equal(o.device, "/dev/x");
	assert_true(o.quiet);
	assert_int_equal(PARSE(&o, "--sync", "none"), 0);
	assert_int_equal(o.sync, REC_SYNC_NONE);
	assert_int_equal(PARSE(&o, "--sync=rotate", "-w"), 0);
	assert_int_equal(o.sync, REC_SYNC_ROTATE);
	assert_true(o.overwrite);
}

static void test_options_refuse_bad_values(void **state)
{
	static const char *const bad[][2] = {
		{ "-r", " -1" }, { "-r", "-1" }, { "-r", "4095" },
		{ "-r", "+64M" }, { "-d", "0" }, { "-d", "0x10s" },
		{ "-d", "1e3" }, { "-d", " 1s" }, { "-d", "-1s" },
		{ "-p", "99us" }, { "-F", "9ms" }, { "-R", "999ms" },
		{ "-b", "5000" }, { "-b", "128M" }, { "-n", "1" },
		{ "-n", " 4" }, { "-m", "0" }, { "-t", "0" }, { "-l", "0" },
		{ "-l", " 3" }, { "-l", "3x" }, { "--sync", "always" },
		{ "-o", "" }, { "-s", "" }, { "--spill", "-1" },
		{ "--spill", " 1M" }, { "--spill", "65G" }, { "--spill", "x" },
	};
	struct rec_opts o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (PARSE(&o, (char *)bad[i][0], (char *)bad[i][1]) != -EINVAL)
			fail_msg("%s '%s' accepted", bad[i][0], bad[i][1]);
	assert_int_equal(PARSE(&o, "stray"), -EINVAL);
	assert_int_equal(PARSE(&o, "--no-such-option"), -EINVAL);
	assert_int_equal(PARSE(&o, "-b", "64M", "-n", "64"), -EINVAL);
}

static void test_options_level_range_is_zstd_s(void **state)
{
	char lo[32], hi[32], over[32], under[32];
	struct rec_opts o;

	(void)state;
	snprintf(lo, sizeof(lo), "%d", ZSTD_minCLevel());
	snprintf(hi, sizeof(hi), "%d", ZSTD_maxCLevel());
	snprintf(over, sizeof(over), "%d", ZSTD_maxCLevel() + 1);
	snprintf(under, sizeof(under), "%d", ZSTD_minCLevel() - 1);
	assert_int_equal(PARSE(&o, "-l", lo), 0);
	assert_int_equal(o.level, ZSTD_minCLevel());
	assert_int_equal(PARSE(&o, "-l", hi), 0);
	assert_int_equal(o.level, ZSTD_maxCLevel());
	assert_int_equal(PARSE(&o, "-l", over), -EINVAL);
	assert_int_equal(PARSE(&o, "-l", under), -EINVAL);
}

static void test_options_help_and_version_answer(void **state)
{
	struct rec_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "--help"), 0);
	assert_true(o.help);
	assert_int_equal(PARSE(&o, "-V"), 0);
	assert_true(o.help);
}

static void test_duration_grammar_shared(void **state)
{
	static const struct {
		const char *in;
		uint64_t ns;
	} ok[] = {
		{ "10", 10 * S }, { "1d", 86400 * S }, { "2.5s", 2500000000ULL },
		{ "1h", 3600 * S }, { "2min", 120 * S }, { "1m", 60 * S },
		{ ".25", 250000000ULL }, { "3ns", 3 }, { "1.5us", 1500 },
		{ "100ms", 100000000ULL }, { "7sec", 7 * S },
	};
	static const char *const bad[] = {
		"", "s", "0x10s", "1e3", "-1", " 1", "1 s", "1.2.3", ".", "1x",
		"inf", "nan", "+1",
	};
	uint64_t ns;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(hws_parse_duration(ok[i].in, &ns), 0);
		assert_int_equal(ns, ok[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hws_parse_duration(bad[i], &ns) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(hws_parse_duration("213503d", &ns), 0);
	assert_int_equal(hws_parse_duration("213504d", &ns), -ERANGE);
	assert_int_equal(hws_parse_duration("99999999999999999999", &ns),
			 -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_defaults),
		cmocka_unit_test(test_options_every_value_lands),
		cmocka_unit_test(test_options_refuse_bad_values),
		cmocka_unit_test(test_options_level_range_is_zstd_s),
		cmocka_unit_test(test_options_buffer_geometry),
		cmocka_unit_test(test_options_spill),
		cmocka_unit_test(test_options_help_and_version_answer),
		cmocka_unit_test(test_duration_grammar_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
