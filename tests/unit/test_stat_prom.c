// SPDX-License-Identifier: MIT
/*
 * hwstats-stat's Prometheus text output: the exact text for a snapshot
 * with counters, gauges, colliding names, a counter without a schema and
 * characters that need escaping; and the atomic replacement of the file.
 */
#include <errno.h>
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

#include "hwsprom.h"

static struct hws_counter nic_counters[] = {
	{ .name = "rx_packets", .unit = "packets", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "queue-depth", .unit = "entries", .kind = HWSTATS_KIND_GAUGE },
	{ .name = "drops_total", .unit = "", .kind = HWSTATS_KIND_GAUGE },
	{ .name = "rx-bytes", .unit = "bytes", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "rx_bytes", .unit = "bytes", .kind = HWSTATS_KIND_COUNTER },
};

static struct hws_source nic_schema = {
	.id = 1, .nr_counters = 5, .name = "nic\"0\\", .counters = nic_counters,
};

static const uint64_t nic_values[] = { 42, 7, 3, 1000, 18446744073709551615ULL };
static const uint64_t other_values[] = { 5, 6 };

static const struct hwsprom_source snap[] = {
	{ .name = "nic\"0\\", .schema = &nic_schema, .values = nic_values,
	  .nr_values = 5, .seq = 9 },
	/* one counter beyond the schema it has, one source with none */
	{ .name = "raw", .schema = NULL, .values = other_values,
	  .nr_values = 2, .seq = 1 },
};

static const char expected[] =
	"# HELP hwstats_drops_total_gauge hwstats gauge drops_total\n"
	"# TYPE hwstats_drops_total_gauge gauge\n"
	"hwstats_drops_total_gauge{source=\"nic\\\"0\\\\\"} 3\n"
	"# HELP hwstats_queue_depth hwstats gauge queue-depth (entries)\n"
	"# TYPE hwstats_queue_depth gauge\n"
	"hwstats_queue_depth{source=\"nic\\\"0\\\\\"} 7\n"
	"# HELP hwstats_rx_bytes_total hwstats counter rx-bytes (bytes)\n"
	"# TYPE hwstats_rx_bytes_total counter\n"
	"hwstats_rx_bytes_total{source=\"nic\\\"0\\\\\",counter=\"rx-bytes\"} 1000\n"
	"hwstats_rx_bytes_total{source=\"nic\\\"0\\\\\",counter=\"rx_bytes\"} 18446744073709551615\n"
	"# HELP hwstats_rx_packets_total hwstats counter rx_packets (packets)\n"
	"# TYPE hwstats_rx_packets_total counter\n"
	"hwstats_rx_packets_total{source=\"nic\\\"0\\\\\"} 42\n"
	"# HELP hwstats_source_updates hwstats updates of the source's values (updates)\n"
	"# TYPE hwstats_source_updates gauge\n"
	"hwstats_source_updates{source=\"nic\\\"0\\\\\"} 9\n"
	"hwstats_source_updates{source=\"raw\"} 1\n"
	"# HELP hwstats_unnamed hwstats counter without a schema\n"
	"# TYPE hwstats_unnamed untyped\n"
	"hwstats_unnamed{source=\"raw\",counter=\"#0\"} 5\n"
	"hwstats_unnamed{source=\"raw\",counter=\"#1\"} 6\n";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void test_prom_text_is_exact(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(hwsprom_write(f, snap, 2), 0);
	fclose(f);
	assert_string_equal(out, expected);
	free(out);
}

static void test_prom_empty_snapshot_is_empty(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(hwsprom_write(f, NULL, 0), 0);
	fclose(f);
	assert_int_equal(len, 0);
	free(out);
}

static void test_prom_file_is_replaced_whole(void **state)
{
	char dir[] = "/tmp/hwsprom-XXXXXX";
	char path[64], tmp[96];
	char *got;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hwstats.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	got = NULL;
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("old\n", f);
		fclose(f);
	}
	assert_int_equal(hwsprom_write_file(path, snap, 2), 0);
	got = slurp(path);
	assert_non_null(got);
	assert_string_equal(got, expected);
	free(got);
	assert_int_equal(stat(tmp, &st), -1);
	assert_int_equal(errno, ENOENT);
	unlink(path);
	rmdir(dir);
}

static void test_prom_file_failure_leaves_nothing(void **state)
{
	(void)state;
	assert_int_equal(hwsprom_write_file("/nonexistent-dir/x.prom", snap, 2),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_text_is_exact),
		cmocka_unit_test(test_prom_empty_snapshot_is_empty),
		cmocka_unit_test(test_prom_file_is_replaced_whole),
		cmocka_unit_test(test_prom_file_failure_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
