// SPDX-License-Identifier: MIT
/*
 * Adaptive compression: the recorder's ladder of levels and when a CPU
 * steps down or back, and the writer making each CPU's chunks at its own
 * level and keeping the levels used in the footer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "hws_gen.h"
#include "rec.h"

#define CAP (8u * 256 * 1024)

static void rec_fake(struct rec *r, struct rec_cpu *c, int level, bool adapt)
{
	memset(r, 0, sizeof(*r));
	memset(c, 0, sizeof(*c));
	pthread_rwlock_init(&r->wlock, NULL);
	r->o.level = level;
	r->o.adapt = adapt;
	r->hdr.subbuf_size = 256 * 1024;
	r->hdr.n_subbufs = 8;
	rec_ladder_init(r);
	c->r = r;
}

static void test_ladder_goes_from_the_level_to_the_fastest(void **state)
{
	static const int want[] = { 3, 2, 1, -1, -2, -4, -8, -16, -32, -64 };
	struct rec_cpu c;
	struct rec r;
	uint32_t i;

	(void)state;
	rec_fake(&r, &c, 0, true);
	assert_int_equal(r.nr_ladder, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < r.nr_ladder; i++)
		assert_int_equal(r.ladder[i], want[i]);
	rec_fake(&r, &c, 19, true);
	assert_int_equal(r.ladder[0], 19);
	assert_int_equal(r.ladder[18], 1);
	assert_int_equal(r.ladder[r.nr_ladder - 1], -64);
	rec_fake(&r, &c, 3, false);
	assert_int_equal(r.nr_ladder, 1);
}

static void test_adapt_steps_down_when_behind_and_back_when_calm(void **state)
{
	struct rec_cpu c;
	struct rec r;
	int i;

	(void)state;
	rec_fake(&r, &c, 3, true);
	/* steady low rate: a sub-buffer per wake, never anything else */
	for (i = 0; i < 1000; i++)
		rec_adapt(&c, 256 * 1024, true);
	assert_int_equal(c.rung, 0);
	/* half a buffer waiting: one level faster each time */
	rec_adapt(&c, CAP / 2, false);
	assert_int_equal(c.rung, 1);
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, 2);
	/* between a quarter and a half: stay */
	rec_adapt(&c, CAP / 3, true);
	assert_int_equal(c.rung, 2);
	/* records dropped: two levels at once */
	c.seen_lost = 5;
	rec_adapt(&c, 0, true);
	assert_int_equal(c.rung, 4);
	rec_adapt(&c, 0, true);		/* no new loss: calm */
	assert_int_equal(c.rung, 4);
	/* 16 calm wakes in a row climb one level */
	for (i = 1; i < 15; i++)
		rec_adapt(&c, CAP / 4, true);
	assert_int_equal(c.rung, 4);
	rec_adapt(&c, CAP / 4, true);
	assert_int_equal(c.rung, 3);
	/* a busy wake in between starts the count again */
	for (i = 0; i < 15; i++)
		rec_adapt(&c, 0, true);
	rec_adapt(&c, CAP / 3, true);
	rec_adapt(&c, 0, true);
	assert_int_equal(c.rung, 3);
	/* never past the fastest */
	for (i = 0; i < 40; i++)
		rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, r.nr_ladder - 1);
	pthread_rwlock_destroy(&r.wlock);
}

static void test_fixed_level_never_moves(void **state)
{
	struct rec_cpu c;
	struct rec r;

	(void)state;
	rec_fake(&r, &c, 3, false);
	c.seen_lost = 100;
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, 0);
	pthread_rwlock_destroy(&r.wlock);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Each CPU's chunks at its own level; the footer says the range. */
static void test_writer_levels_per_cpu_and_in_the_footer(void **state)
{
	char path[] = "/tmp/test_record_adapt.XXXXXX";
	struct hws_gen_opts go = { .seed = 5, .nr_sources = 1,
				   .schema_seed = 1 };
	struct hws_gen *g = hws_gen_new(&go);
	struct hws_header h;
	struct hws_writer *w;
	uint8_t tail[12], *foot;
	char buf[8192];
	struct stat st;
	int fd, lo, hi;
	uint32_t len;
	size_t n;

	(void)state;
	assert_non_null(g);
	assert_int_equal(hws_gen_header(g, 2, &h), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	w = hws_writer_fdopen(fd, &h, NULL);
	assert_non_null(w);
	assert_int_equal(hws_writer_levels(w, &lo, &hi), -ENODATA);
	assert_int_equal(hws_writer_set_level(w, 0, 0), -EINVAL);
	assert_int_equal(hws_writer_set_level(w, 2, 1), -EINVAL);
	assert_int_equal(hws_writer_set_level(w, 1, -32), 0);
	n = hws_gen_fill(g, buf, sizeof(buf));
	assert_int_equal(hws_writer_append(w, 0, buf, n), 0);
	assert_int_equal(hws_writer_flush_cpu(w, 0), 0);
	assert_int_equal(hws_writer_levels(w, &lo, &hi), 0);
	assert_int_equal(lo, 3);
	assert_int_equal(hi, 3);
	n = hws_gen_fill(g, buf, sizeof(buf));
	assert_int_equal(hws_writer_append(w, 1, buf, n), 0);
	assert_int_equal(hws_writer_flush_cpu(w, 1), 0);
	assert_int_equal(hws_writer_levels(w, &lo, &hi), 0);
	assert_int_equal(lo, -32);
	assert_int_equal(hi, 3);
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(pread(fd, tail, 12, st.st_size - 12), 12);
	assert_memory_equal(tail + 4, "HWSE", 4);
	len = get32(tail);
	foot = malloc(len);
	assert_non_null(foot);
	assert_int_equal(pread(fd, foot, len, st.st_size - len), len);
	/* payload offsets 56 and 60: the lowest and highest level */
	assert_int_equal((int32_t)get32(foot + 56), -32);
	assert_int_equal((int32_t)get32(foot + 60), 3);
	free(foot);
	close(fd);
	unlink(path);
	hws_gen_header_free(&h);
	hws_gen_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ladder_goes_from_the_level_to_the_fastest),
		cmocka_unit_test(test_adapt_steps_down_when_behind_and_back_when_calm),
		cmocka_unit_test(test_fixed_level_never_moves),
		cmocka_unit_test(test_writer_levels_per_cpu_and_in_the_footer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
