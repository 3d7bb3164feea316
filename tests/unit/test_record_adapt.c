// SPDX-License-Identifier: MIT
/*
 * Adaptive compression: the recorder's ladder of levels and when a CPU
 * steps down or back, and the writer making each CPU's chunks at its own
 * level and keeping the levels used in the footer.
 */
#include <errno.h>
#include <math.h>
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
	/* the last rung: -64 again, the records stored raw */
	static const int want[] = { 3, 2, 1, -1, -2, -4, -8, -16, -32, -64, -64 };
	struct rec_cpu c;
	struct rec r;
	uint32_t i;

	(void)state;
	rec_fake(&r, &c, 0, true);
	assert_int_equal(r.nr_ladder, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < r.nr_ladder; i++) {
		assert_int_equal(r.ladder[i], want[i]);
		assert_int_equal(r.ladder_raw[i], i == r.nr_ladder - 1);
	}
	rec_fake(&r, &c, 19, true);
	assert_int_equal(r.ladder[0], 19);
	assert_int_equal(r.ladder[18], 1);
	assert_int_equal(r.nr_ladder, 19 + 7 + 1);
	assert_int_equal(r.ladder[r.nr_ladder - 2], -64);
	assert_false(r.ladder_raw[r.nr_ladder - 2]);
	assert_int_equal(r.ladder[r.nr_ladder - 1], -64);
	assert_true(r.ladder_raw[r.nr_ladder - 1]);
	/* the highest level still fits, with its raw rung */
	rec_fake(&r, &c, 22, true);
	assert_int_equal(r.ladder[r.nr_ladder - 1], -64);
	assert_true(r.ladder_raw[r.nr_ladder - 1]);
	assert_true(r.nr_ladder <= sizeof(r.ladder) / sizeof(r.ladder[0]));
	rec_fake(&r, &c, 3, false);
	assert_int_equal(r.nr_ladder, 1);
	assert_false(r.ladder_raw[0]);
}

/* Every rung measured: each next one cheaper, the bottom cheapest. */
static void cost_falling(double *cost, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		cost[i] = 100.0 - 9 * i;
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
	cost_falling(c.cost, r.nr_ladder);
	/* half a buffer waiting: half the way to the bottom rung (10) */
	assert_int_equal(r.nr_ladder, 11);
	rec_adapt(&c, CAP / 2, false);
	assert_int_equal(c.rung, 5);
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, 7);
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, 8);
	/* between a quarter and a half: stay */
	rec_adapt(&c, CAP / 3, true);
	assert_int_equal(c.rung, 8);
	/* records dropped: the fastest level at once; the bottom rung,
	 * measured cheapest, only when records are dropped there too */
	c.seen_lost = 5;
	rec_adapt(&c, 0, true);
	assert_int_equal(c.rung, 9);
	rec_adapt(&c, CAP, false);	/* behind, no new loss: stay */
	assert_int_equal(c.rung, 9);
	c.seen_lost = 6;
	rec_adapt(&c, 0, true);
	assert_int_equal(c.rung, 10);
	rec_adapt(&c, 0, true);		/* no new loss: calm */
	assert_int_equal(c.rung, 10);
	assert_true(r.ladder_raw[c.rung]);
	/* 16 calm wakes in a row climb one rung */
	for (i = 2; i < 16; i++)
		rec_adapt(&c, CAP / 4, true);
	assert_int_equal(c.rung, 10);
	rec_adapt(&c, CAP / 4, true);
	assert_int_equal(c.rung, 9);
	assert_false(r.ladder_raw[c.rung]);
	/* a busy wake in between starts the count again */
	for (i = 0; i < 15; i++)
		rec_adapt(&c, 0, true);
	rec_adapt(&c, CAP / 3, true);
	rec_adapt(&c, 0, true);
	assert_int_equal(c.rung, 9);
	/* and back to the user's level when calm long enough */
	for (i = 0; i < 16 * 9; i++)
		rec_adapt(&c, 0, true);
	assert_int_equal(c.rung, 0);
	/* far behind from the top: the fastest level within 4 reads, and
	 * never the bottom rung without a loss */
	for (i = 0; i < 4; i++)
		rec_adapt(&c, CAP / 2, false);
	assert_int_equal(c.rung, 9);
	for (i = 0; i < 40; i++)
		rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, r.nr_ladder - 2);
	pthread_rwlock_destroy(&r.wlock);
}

/* @n calm wakes of CPU @c; the rung it is at after them. */
static uint32_t calm_wakes(struct rec_cpu *c, int n)
{
	while (n-- > 0)
		rec_adapt(c, 0, true);
	return c->rung;
}

/*
 * A climb that falls behind before the next one is due doubles the calm
 * a climb waits for, up to REC_CALM_MAX; a climb that holds until the
 * next halves it again, down to REC_CALM_WAKES.
 */
static void test_climb_that_falls_behind_waits_longer(void **state)
{
	struct rec_cpu c;
	struct rec r;
	uint32_t need, low;
	int i;

	(void)state;
	rec_fake(&r, &c, 3, true);
	cost_falling(c.cost, r.nr_ladder);
	rec_adapt(&c, CAP / 2, false);
	low = c.rung;
	assert_true(low > 1);
	/* the first climb after the usual 16 calm wakes */
	assert_int_equal(calm_wakes(&c, REC_CALM_WAKES - 1), low);
	assert_int_equal(calm_wakes(&c, 1), low - 1);
	/* it falls behind: back down, and the next climb waits 32 */
	rec_adapt(&c, CAP / 2, false);
	assert_true(c.rung >= low);
	low = c.rung;
	assert_int_equal(calm_wakes(&c, 2 * REC_CALM_WAKES - 1), low);
	assert_int_equal(calm_wakes(&c, 1), low - 1);
	/* again and again: the wait doubles up to REC_CALM_MAX, no more */
	for (need = 4 * REC_CALM_WAKES, i = 0; i < 10; i++) {
		rec_adapt(&c, CAP / 2, false);
		low = c.rung;
		assert_int_equal(calm_wakes(&c, (int)need - 1), low);
		assert_int_equal(calm_wakes(&c, 1), low - 1);
		if (need < REC_CALM_MAX)
			need *= 2;
	}
	assert_int_equal(c.calm_need, REC_CALM_MAX);
	/*
	 * Climbs that hold halve it: the climb just made holds until the
	 * next, after REC_CALM_MAX; the one after that comes after half.
	 */
	for (need = REC_CALM_MAX; need >= REC_CALM_WAKES && c.rung;
	     need /= 2) {
		low = c.rung;
		assert_int_equal(calm_wakes(&c, (int)need - 1), low);
		assert_int_equal(calm_wakes(&c, 1), low - 1);
	}
	/* loss counts as falling behind too */
	rec_adapt(&c, CAP / 2, false);
	low = c.rung;
	need = c.calm_need;
	assert_int_equal(calm_wakes(&c, (int)need), low - 1);
	c.seen_lost = 1;
	rec_adapt(&c, 0, true);
	assert_int_equal(c.calm_need, 2 * need);
	pthread_rwlock_destroy(&r.wlock);
}

/*
 * A CPU behind for @rounds decisions, each rung measured as it is used
 * (its true cost @truth, noise-free); the rung it ends at, and how often
 * it moved in the last half of the rounds.
 */
static uint32_t settle(const double *truth, uint32_t n, int rounds,
		       int *late_moves)
{
	double cost[33] = { 0 };
	uint32_t rung = 0, next;
	int i;

	*late_moves = 0;
	for (i = 0; i < rounds; i++) {
		cost[rung] = truth[rung];	/* a chunk written there */
		next = rec_ladder_choose(cost, n, rung, REC_PACE_BEHIND, 0, true);
		if (next != rung && i >= rounds / 2)
			(*late_moves)++;
		rung = next;
	}
	return rung;
}

/*
 * Where storing costs less (natively: 3-5x less), the bottom rung, once
 * records are lost at the fastest level, and kept while behind.
 */
static void test_choose_stored_rung_when_cheaper(void **state)
{
	double truth[11], cost[33] = { 0 };
	int moves, i;

	(void)state;
	cost_falling(truth, 11);
	truth[10] = truth[9] / 4;
	assert_int_equal(settle(truth, 11, 100, &moves), 9);
	assert_int_equal(moves, 0);
	for (i = 0; i < 10; i++)
		cost[i] = truth[i];
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_LOST, 0, true), 10);
	cost[10] = truth[10];
	assert_int_equal(rec_ladder_choose(cost, 11, 10, REC_PACE_BEHIND, 0, true), 10);
	assert_int_equal(rec_ladder_choose(cost, 11, 10, REC_PACE_OK, 0, true), 10);
	/* records lost while storing: it does not keep up either */
	assert_int_equal(rec_ladder_choose(cost, 11, 10, REC_PACE_LOST, 0, true), 9);
	/* once that happened (rec_adapt() says so), never again */
	assert_int_equal(rec_ladder_choose(cost, 11, 10, REC_PACE_BEHIND, 0, false), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_LOST, 0, false), 9);
}

/*
 * rec_adapt() at the bottom rung: the loss the sub-buffer headers show
 * in the first buffer's worth read there was there before; loss after
 * that sends the CPU back to the fastest level, and the bottom rung is
 * not taken again, however many records are lost.
 */
static void test_bottom_rung_left_when_storing_loses_too(void **state)
{
	struct rec_cpu c;
	struct rec r;
	uint32_t bottom;

	(void)state;
	rec_fake(&r, &c, 3, true);
	bottom = r.nr_ladder - 1;
	c.rung = bottom - 1;
	c.seen_lost = 10;
	c.raw_bytes = 1000;
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, bottom);
	assert_int_equal(c.bottom_from, 1000);
	/* loss seen within a buffer's worth: stays */
	c.raw_bytes += CAP - 1;
	c.seen_lost = 20;
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, bottom);
	assert_false(c.bottom_failed);
	/* behind, no new loss, past a buffer: stays */
	c.raw_bytes += CAP;
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, bottom);
	/* new loss after a buffer's worth: back up, and not again */
	c.seen_lost = 30;
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, bottom - 1);
	assert_true(c.bottom_failed);
	c.seen_lost = 40;
	rec_adapt(&c, CAP, false);
	assert_int_equal(c.rung, bottom - 1);
	pthread_rwlock_destroy(&r.wlock);
}

/*
 * Where storing costs more (under emulation, 2x: its 12x the bytes go
 * through slow copies): it is tried, found costlier, left for the rung
 * above it, and never taken again; no back and forth.
 */
static void test_choose_not_stored_rung_when_costlier(void **state)
{
	double truth[11], cost[33] = { 0 };
	int moves, i;

	(void)state;
	cost_falling(truth, 11);
	truth[10] = truth[9] * 2;
	assert_int_equal(settle(truth, 11, 100, &moves), 9);
	assert_int_equal(moves, 0);
	/* at the stored rung, measured costlier: back at once */
	for (i = 0; i < 11; i++)
		cost[i] = truth[i];
	assert_int_equal(rec_ladder_choose(cost, 11, 10, REC_PACE_BEHIND, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 10, REC_PACE_OK, 0, true), 9);
	/* and from rung 9 it is no candidate however far behind */
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_BEHIND, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_LOST, 0, true), 9);
	/* records lost, nothing below measured: the fastest level at once,
	 * not the stored rung, which is taken only when records are lost at
	 * the rung above it; found costlier, left and not taken again */
	memset(cost, 0, sizeof(cost));
	cost[0] = truth[0];
	assert_int_equal(rec_ladder_choose(cost, 11, 0, REC_PACE_LOST, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_BEHIND, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_LOST, 0, true), 10);
	cost[10] = truth[10];
	cost[9] = truth[9];
	assert_int_equal(rec_ladder_choose(cost, 11, 10, REC_PACE_BEHIND, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_LOST, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_BEHIND, 0, true), 9);
	/* jumped to unmeasured: the bottom rung is no target from rung 5 */
	memset(cost, 0, sizeof(cost));
	cost[5] = truth[5];
	assert_int_equal(rec_ladder_choose(cost, 11, 5, REC_PACE_LOST, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 8, REC_PACE_BEHIND, 0, true), 9);
	/*
	 * The compressed rungs measured dearer the faster they are (a
	 * measure taken as the load rose): behind, down by their order all
	 * the same, never up, however the measures say; calm, up only after
	 * REC_CALM_WAKES calm wakes, one rung, however much cheaper a rung
	 * above was measured.
	 */
	for (i = 6; i < 11; i++)
		truth[i] = truth[5] * (1.5 + i);
	for (i = 0; i < 11; i++)
		cost[i] = truth[i];
	assert_int_equal(rec_ladder_choose(cost, 11, 5, REC_PACE_BEHIND, 0, true), 7);
	assert_int_equal(rec_ladder_choose(cost, 11, 7, REC_PACE_BEHIND, 0, true), 8);
	assert_int_equal(rec_ladder_choose(cost, 11, 8, REC_PACE_BEHIND, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 6, REC_PACE_LOST, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 7, REC_PACE_OK, 0, true), 7);
	assert_int_equal(rec_ladder_choose(cost, 11, 7, REC_PACE_OK, REC_CALM_WAKES - 1, true), 7);
	assert_int_equal(rec_ladder_choose(cost, 11, 7, REC_PACE_OK, REC_CALM_WAKES, true), 6);
	cost[0] = cost[9] / 10;
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_BEHIND, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 9, REC_PACE_OK, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 11, 8, REC_PACE_BEHIND, 0, true), 9);
}

/* Calm: one rung up per REC_CALM_WAKES calm wakes, to the user's level. */
static void test_choose_climbs_back_when_calm(void **state)
{
	double cost[33];
	uint32_t rung = 9, calm = 0;
	int i;

	(void)state;
	cost_falling(cost, 11);
	cost[10] = cost[9] * 2;
	for (i = 0; i < 16 * 9; i++) {
		uint32_t next = rec_ladder_choose(cost, 11, rung, REC_PACE_OK,
						  ++calm, true);

		if (next != rung) {
			assert_int_equal(next, rung - 1);
			assert_int_equal(calm, REC_CALM_WAKES);
			calm = 0;
		}
		rung = next;
	}
	assert_int_equal(rung, 0);
	assert_int_equal(rec_ladder_choose(cost, 11, 0, REC_PACE_OK, 1000, true), 0);
	/* not measured, not calm long: stay; behind: the order expects
	 * each next rung cheaper, half the way down */
	memset(cost, 0, sizeof(cost));
	assert_int_equal(rec_ladder_choose(cost, 11, 3, REC_PACE_OK, 15, true), 3);
	assert_int_equal(rec_ladder_choose(cost, 11, 3, REC_PACE_BEHIND, 0, true), 6);
	assert_int_equal(rec_ladder_choose(cost, 11, 3, REC_PACE_LOST, 0, true), 9);
	assert_int_equal(rec_ladder_choose(cost, 1, 0, REC_PACE_LOST, 100, true), 0);
}

/*
 * The cost of a rung: the appends since the chunk before and the one
 * that closed a full chunk, per record; a chunk the flush timer closes
 * is not a measure and ends the chain of windows.
 */
static void test_cost_measured_per_full_chunk(void **state)
{
	struct rec_cpu c;
	struct rec r;

	(void)state;
	rec_fake(&r, &c, 3, true);
	rec_cost_note(&c, 1000, 100, REC_CHUNK_BYTES / 2, false);
	assert_true(c.cost[0] == 0);
	rec_cost_note(&c, 0, 0, 0, true);	/* timer: partial chunk */
	rec_cost_note(&c, 1000, 100, REC_CHUNK_BYTES / 2, false);
	assert_true(c.cost[0] == 0);
	rec_cost_note(&c, 9000, 100, REC_CHUNK_BYTES / 2 + 8, false);
	/* 10000 ns for 200 records: the first measure sets the scale */
	assert_true(c.cost[0] == 50.0);
	assert_int_equal(c.chunk_fill, 8);
	/* the same rung again says only how the load moved */
	rec_cost_note(&c, 30000, 200, REC_CHUNK_BYTES, false);
	assert_true(c.cost[0] == 50.0);
	/* the next rung: 100 ns against 150 in the window before */
	c.rung = 10;
	rec_cost_note(&c, 10000, 100, REC_CHUNK_BYTES, false);
	assert_true(c.cost[10] == 50.0 * 100 / 150);
	/* back and forth: a new measure weighs a quarter */
	c.rung = 0;
	rec_cost_note(&c, 10000, 100, REC_CHUNK_BYTES, false);
	assert_true(c.cost[0] == 50.0 * 0.75 + 50.0 * 100 / 150 * 0.25);
	/* after the timer closed a chunk, the next window compares with none */
	rec_cost_note(&c, 0, 0, 0, true);
	c.rung = 10;
	rec_cost_note(&c, 99000, 100, REC_CHUNK_BYTES, false);
	assert_true(c.cost[10] == 50.0 * 100 / 150);
	pthread_rwlock_destroy(&r.wlock);
}

/*
 * Costs measured under a load that moves: rungs 0 and 1 cost the same at
 * any one time, rung 2 a fifth less, while the load triples the cost and
 * back, between windows at one rung. Compared across time, rung 1 (at
 * load 3) would look three times rung 0's cost (at load 1) and rung 2
 * dearer than rung 0; windows in a row give each rung its cost.
 */
static void test_cost_follows_rungs_not_load(void **state)
{
	static const struct { uint32_t rung; double load; } w[] = {
		{ 0, 1 }, { 1, 1 }, { 1, 3 }, { 2, 3 }, { 2, 1 }, { 0, 1 },
		{ 0, 3 }, { 1, 3 }, { 1, 2 }, { 2, 2 }, { 0, 2 },
	};
	struct rec_cpu c;
	struct rec r;
	uint32_t i;

	(void)state;
	rec_fake(&r, &c, 3, true);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		c.rung = w[i].rung;
		rec_cost_note(&c, (uint64_t)(1000 * w[i].load *
				(c.rung == 2 ? 0.8 : 1)), 10, REC_CHUNK_BYTES,
			      false);
	}
	assert_true(fabs(c.cost[0] - 100) < 1e-9);
	assert_true(fabs(c.cost[1] - 100) < 1e-9);
	assert_true(fabs(c.cost[2] - 80) < 1e-9);
	/* and the choice follows at the bottom rung (a fourth, stored):
	 * measured dearer than the rung above, left; cheaper, kept */
	c.cost[3] = 90;
	assert_int_equal(rec_ladder_choose(c.cost, 4, 3, REC_PACE_BEHIND, 0, true), 3);
	c.cost[3] = 100;
	assert_int_equal(rec_ladder_choose(c.cost, 4, 3, REC_PACE_BEHIND, 0, true), 2);
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
	/* no raw rung: flags 0; offsets 56 and 60: the lowest and highest level */
	assert_int_equal(get32(foot + 12), 0);
	assert_int_equal((int32_t)get32(foot + 56), -32);
	assert_int_equal((int32_t)get32(foot + 60), 3);
	free(foot);
	close(fd);
	unlink(path);
	hws_gen_header_free(&h);
	hws_gen_free(g);
}

/* What rec_walk() makes of a stream the generator wrote. */
static void test_walk_counts_checks_and_finds_unknown_sources(void **state)
{
	struct hws_gen_opts go = { .seed = 9, .nr_sources = 2,
				   .schema_seed = 1 };
	struct hws_gen *g = hws_gen_new(&go);
	static char buf[65536];
	uint64_t samples = 0, records = 0, lost = 0;
	bool have_lost = false;
	uint32_t known[1], first_id = 0;
	struct rec_walk w;
	struct rec_cpu c;
	struct rec r;
	size_t n, off = 0;

	(void)state;
	assert_non_null(g);
	rec_fake(&r, &c, 3, true);
	n = hws_gen_fill(g, buf, sizeof(buf));
	assert_true(n > 1000);
	/* the expected figures, by a walk of the test's own */
	while (off < n) {
		const struct hwstats_rec *h = (const void *)(buf + off);

		if (h->type == HWSTATS_REC_SAMPLE) {
			samples++;
			if (!first_id)
				first_id = h->source;
		} else if (h->type == HWSTATS_REC_SUBBUF) {
			lost = ((const struct hwstats_subbuf_hdr *)h)->lost;
			have_lost = true;
		}
		records++;
		off += h->len;
	}
	assert_true(samples > 0);
	/* no source known: the first sample's */
	rec_walk(&c, buf, n, &w);
	assert_false(w.bad);
	assert_int_equal(w.whole, n);
	assert_int_equal(w.samples, samples);
	assert_int_equal(w.records, records);
	assert_int_equal(w.have_lost, have_lost);
	assert_int_equal(w.lost, lost);
	assert_int_equal(w.unknown, first_id);
	/* the first one known: the other source's, if any sample has it */
	known[0] = first_id;
	c.known = known;
	c.nr_known = 1;
	c.last_id = 0;
	rec_walk(&c, buf, n, &w);
	assert_int_not_equal(w.unknown, first_id);
	/* a partial record at the end: the whole ones only */
	rec_walk(&c, buf, n - 8, &w);
	assert_false(w.bad);
	assert_true(w.whole < n - 8);
	assert_int_equal(w.records, records - 1);
	/* a length that cannot be: bad, at the record's offset */
	buf[w.whole + 2] = 12;
	buf[w.whole + 3] = 0;
	rec_walk(&c, buf, n, &w);
	assert_true(w.bad);
	assert_int_equal(w.records, records - 1);
	c.known = NULL;
	pthread_rwlock_destroy(&r.wlock);
	hws_gen_free(g);
}

/*
 * The bottom rung: a CPU's chunks stored raw (encoding 0, no column
 * encoding, in a zstd frame of raw blocks: no compression) while it is
 * set, column-encoded and compressed again after; one file mixes both,
 * reads back to exactly the records given (zstd checks the stored frames'
 * content checksum), and its footer says the raw rung was used.
 */
static void test_writer_raw_rung_mixes_encodings(void **state)
{
	char path[] = "/tmp/test_record_adapt.XXXXXX";
	struct hws_gen_opts go = { .seed = 7, .nr_sources = 1,
				   .schema_seed = 1 };
	struct hws_gen *g = hws_gen_new(&go);
	static uint8_t in[6][400000];
	size_t inlen[6], got = 0;
	struct hws_chunk_info ci;
	const struct hws_damage *dmg;
	struct hws_header h;
	struct hws_writer *w;
	struct hws_reader *rd;
	uint8_t tail[12], *foot, ch[104];
	const void *recs;
	struct stat st;
	size_t len;
	uint32_t flen;
	int fd, i, enc_raw = 0, enc_col = 0;

	(void)state;
	assert_non_null(g);
	assert_int_equal(hws_gen_header(g, 1, &h), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	w = hws_writer_fdopen(fd, &h, NULL);
	assert_non_null(w);
	assert_int_equal(hwsi_writer_set_raw(w, 1, true), -EINVAL);
	for (i = 0; i < 6; i++) {
		/* chunks 2 and 3 at the bottom rung */
		assert_int_equal(hwsi_writer_set_raw(w, 0, i == 2 || i == 3), 0);
		assert_int_equal(hws_writer_set_level(w, 0, i == 2 || i == 3 ? -64 : 3), 0);
		inlen[i] = hws_gen_fill(g, in[i], sizeof(in[i]));
		assert_int_equal(hwsi_writer_append_checked(w, 0, in[i], inlen[i]), 0);
		assert_int_equal(hws_writer_flush_cpu(w, 0), 0);
	}
	assert_int_equal(hwsi_writer_raw_rung_chunks(w), 2);
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	rd = hws_reader_open(path);
	assert_non_null(rd);
	for (i = 0; hws_reader_next_chunk(rd, &ci, &recs, &len) == 1; i++) {
		assert_true(i < 6);
		assert_int_equal(len, inlen[i]);
		assert_memory_equal(recs, in[i], len);
		got += len;
		/* the chunk header's encoding (FORMAT.md 5, offset 88) */
		assert_int_equal(pread(fd, ch, sizeof(ch), (off_t)ci.file_offset), sizeof(ch));
		if (ch[8 + 88] == 0)
			enc_raw++;
		else
			enc_col++;
		assert_int_equal(ch[8 + 88], i == 2 || i == 3 ? HWS_ENC_RAW : HWS_ENC_COLUMNS2);
		if (i == 2 || i == 3) {
			/* stored: a zstd frame of raw blocks, the records as
			 * they are, with a header, block headers, checksum */
			uint32_t fl = get32(ch + 8 + 80);
			uint8_t *df = malloc(fl);
			size_t blocks = (len + 131071) / 131072;

			assert_int_equal(fl, len + 9 + 3 * blocks + 4);
			assert_non_null(df);
			assert_int_equal(pread(fd, df, fl, (off_t)ci.file_offset +
					       get32(ch + 4) + 8), fl);
			assert_memory_equal(df + 9 + 3, in[i], len < 131072 ? len : 131072);
			free(df);
		}
	}
	assert_int_equal(i, 6);
	assert_int_equal(enc_raw, 2);
	assert_int_equal(enc_col, 4);
	assert_int_equal(hws_reader_damage(rd, &dmg), 0);
	hws_reader_close(rd);

	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(pread(fd, tail, 12, st.st_size - 12), 12);
	flen = get32(tail);
	foot = malloc(flen);
	assert_non_null(foot);
	assert_int_equal(pread(fd, foot, flen, st.st_size - flen), flen);
	/* payload offset 12: flags, bit 0 the raw rung */
	assert_int_equal(get32(foot + 12), HWS_FOOTER_F_RAW_RUNG);
	/* stored chunks have no zstd level: the others' */
	assert_int_equal((int32_t)get32(foot + 56), 3);
	assert_int_equal((int32_t)get32(foot + 60), 3);
	free(foot);
	close(fd);
	unlink(path);
	assert_int_equal(got, inlen[0] + inlen[1] + inlen[2] + inlen[3] +
			 inlen[4] + inlen[5]);
	hws_gen_header_free(&h);
	hws_gen_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ladder_goes_from_the_level_to_the_fastest),
		cmocka_unit_test(test_adapt_steps_down_when_behind_and_back_when_calm),
		cmocka_unit_test(test_climb_that_falls_behind_waits_longer),
		cmocka_unit_test(test_choose_stored_rung_when_cheaper),
		cmocka_unit_test(test_bottom_rung_left_when_storing_loses_too),
		cmocka_unit_test(test_choose_not_stored_rung_when_costlier),
		cmocka_unit_test(test_choose_climbs_back_when_calm),
		cmocka_unit_test(test_cost_measured_per_full_chunk),
		cmocka_unit_test(test_cost_follows_rungs_not_load),
		cmocka_unit_test(test_fixed_level_never_moves),
		cmocka_unit_test(test_writer_levels_per_cpu_and_in_the_footer),
		cmocka_unit_test(test_walk_counts_checks_and_finds_unknown_sources),
		cmocka_unit_test(test_writer_raw_rung_mixes_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
