/* SPDX-License-Identifier: MIT */
/*
 * engine.h - what the engine's files share, and nothing a sink needs:
 *
 *   summary.c   records in (hwr_feed), per-CPU state, the summary at the end
 *   sources.c   cross-file source identity: sources merged by name and
 *               schema, registrations, each file's ids to merged sources,
 *               the selection
 *   loss.c      loss: sub-buffer and sample sequence gaps, the kernel's
 *               lost counts, the footer's totals, rotated-out history
 *   interval.c  intervals: the series touched in the open one, closing it
 *               into per-counter values for the sinks
 */
#ifndef HWR_ENGINE_H
#define HWR_ENGINE_H

#include "report.h"
#include "series.h"

/*
 * Call @op of every sink that has one, with (sink, view, ...); the first
 * error ends the round and is kept with its sink for the message. The one
 * loop over the sinks, for every kind of call.
 */
#define hwr_sinks_call(c, op, ...)					\
({									\
	int ret_ = 0;							\
									\
	for (uint32_t i_ = 0; !ret_ && i_ < (c)->nr_sinks; i_++) {	\
		struct hwr_sink *s_ = (c)->sinks[i_];			\
									\
		if (!s_->ops->op)					\
			continue;					\
		ret_ = s_->ops->op(s_, &(c)->v, ##__VA_ARGS__);	\
		if (ret_) {						\
			(c)->sink_err = ret_;				\
			(c)->err_sink = s_;				\
		}							\
	}								\
	ret_;								\
})

/* summary.c */
/* Free the per-CPU and per-interval state (not sources, sinks, config). */
void hwr_free_cpu_state(struct hwr_ctx *c);
int hwr_grow_u64(uint64_t **p, uint32_t old, uint32_t n, uint64_t fill);
/* Make room for CPU numbers < @n. */
int hwr_grow_cpus(struct hwr_ctx *c, uint32_t n);
/* The slot of @cpu (< cpu_cap), given one when it first has a sample. */
int hwr_cpu_slot(struct hwr_ctx *c, uint32_t cpu, uint32_t *slot);

/*
 * split.c: the run split by CPU, each part analysed on its own thread.
 * 0 when done, 1 when the split cannot print what the one merge would
 * (nothing in @c changed: run the merge), -errno on error.
 */
int hwr_split_run(struct hwr_input *in, struct hwr_ctx *c, uint32_t parts);

/* sources.c */
void hwr_sources_free(struct hwr_ctx *c);
/* Free what @s holds as the engine feeds it (not its registrations). */
void hwr_source_free_state(struct hwr_source *s);
/* Make room in @s for slots < @n. */
int hwr_source_slots(struct hwr_source *s, uint32_t n);
/*
 * Mark the sources and counters the patterns pick; @total and @nsel are
 * the counters of the selected sources and the selected counters.
 * -ENOENT with *bad when a pattern matches nothing.
 */
int hwr_select(struct hwr_ctx *c, uint32_t *total, uint32_t *nsel,
	       const char **bad);
/* Fill each file's id table, once c->sources no longer moves. */
int hwr_map_sources(struct hwr_ctx *c);
struct hwr_source *hwr_lookup_slow(struct hwr_ctx *c, uint32_t file,
				   uint32_t id);

/* loss.c */
/* Count a loss event, keep it (up to HWR_MAX_EVENTS), hand it on. */
int hwr_event(struct hwr_ctx *c, const struct hwr_event *ev);
int hwr_subbuf(struct hwr_ctx *c, const struct hwstats_rec *rec,
	       uint32_t cpu, bool in_range);
/*
 * Sample @seq of @s on @slot is not the one expected (s->next_seq[slot]):
 * a gap, a sequence going backwards, or a start above 0.
 */
int hwr_seq_gap(struct hwr_ctx *c, struct hwr_source *s, uint32_t slot,
		uint64_t seq, uint32_t cpu, uint64_t ts, bool first_ever,
		bool in_range);
int hwr_start_gaps(struct hwr_ctx *c);
int hwr_footer_loss(struct hwr_ctx *c);

/* interval.c */
/* The dirty lists, sized for @total series and @nsel counters. */
int hwr_intervals_init(struct hwr_ctx *c, uint32_t total, uint32_t nsel);
int hwr_dirty_grow(struct hwr_ctx *c);
int hwr_close_interval(struct hwr_ctx *c);
int hwr_open_interval(struct hwr_ctx *c, uint64_t ts);

static inline struct hwr_source *hwr_lookup(struct hwr_ctx *c, uint32_t file,
					    uint32_t id)
{
	if (c->last_src && c->last_id == id && c->last_file == file)
		return c->last_src;
	c->last_src = hwr_lookup_slow(c, file, id);
	if (c->lookup_base && c->last_src)
		c->last_src = c->sources + (c->last_src - c->lookup_base);
	c->last_id = id;
	c->last_file = file;
	return c->last_src;
}

/* First touch of @se in the open interval: onto the engine's dirty list. */
static inline int hwr_touch(struct hwr_ctx *c, struct hwr_series *se)
{
	if (!hwr_series_touch(se, c->v.epoch))
		return 0;
	if (__builtin_expect(c->nr_dirty == c->cap_dirty, 0)) {
		int ret = hwr_dirty_grow(c);

		if (ret)
			return ret;
	}
	c->dirty[c->nr_dirty++] = se;
	return 0;
}

/* A registration of a source: its session and its id. */
static inline uint64_t hwr_reg_key(const struct hwr_ctx *c, uint32_t file,
				   uint32_t id)
{
	return (uint64_t)c->files[file].session << 32 | id;
}

#endif /* HWR_ENGINE_H */
