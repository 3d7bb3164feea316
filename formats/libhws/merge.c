// SPDX-License-Identifier: MIT
/*
 * Time-merged record stream across CPUs and files.
 *
 * A file holds each CPU's chunks in that CPU's time order, interleaved with
 * the other CPUs' in the order they filled up. Reading the file front to
 * back and keeping chunks until the merge needs them could hold an unbounded
 * number of them (a quiet CPU's chunk spans what many busy CPUs wrote), so
 * instead every (file, CPU) pair has a cursor with its own file position
 * that skips the other CPUs' chunks by their headers, without reading their
 * data, and holds one decoded chunk, as long as they fit in MERGE_BUDGET.
 * A heap on (timestamp, CPU, file) picks the next record.
 */
#include <errno.h>
#include <stdlib.h>

#include "hws_internal.h"

struct merge_cur {
	struct hws_reader *r;
	size_t ri;		/* index into the readers */
	uint32_t cpu;
	uint64_t next_pos;	/* where this CPU's next chunk is looked for */
	struct hws_frame fr;	/* the current chunk, to load it again */
	uint8_t *buf;		/* its records, NULL while evicted */
	size_t cap;
	size_t len;
	size_t off;		/* of the current record */
	uint64_t ts;		/* of the current record */
	bool done;
};

struct hws_merge {
	struct merge_cur *cur;
	size_t nr_cur;
	size_t *heap;
	size_t nr_heap;
	uint64_t resident;	/* bytes of decoded chunks held */
	bool started;		/* heap[0] holds the record returned last */
};

/*
 * Decoded chunks held at once, in bytes. A file may have any number of
 * CPUs, each with a chunk of up to 64 MiB that compresses to almost
 * nothing: past this, the chunk whose next record is needed last is
 * dropped and decoded again when its turn comes. Real files (1 MiB chunks)
 * stay far below it.
 */
#define MERGE_BUDGET	(256ULL << 20)

static bool cur_before(const struct merge_cur *a, const struct merge_cur *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return a->ri < b->ri;
}

static void cur_evict(struct hws_merge *m, struct merge_cur *c)
{
	m->resident -= c->cap;
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
}

/* Make room for @need more bytes, sparing @keep. */
static void merge_make_room(struct hws_merge *m, const struct merge_cur *keep,
			    uint64_t need)
{
	while (m->resident + need > MERGE_BUDGET) {
		struct merge_cur *victim = NULL;

		for (size_t i = 0; i < m->nr_cur; i++) {
			struct merge_cur *c = &m->cur[i];

			if (c == keep || !c->buf)
				continue;
			/* the one whose next record comes last */
			if (!victim || cur_before(victim, c))
				victim = c;
		}
		if (!victim)
			return;
		cur_evict(m, victim);
	}
}

/* Decode the cursor's chunk (first time: @count it in the stats). */
static int cur_load(struct hws_merge *m, struct merge_cur *c, bool count)
{
	uint64_t want = 64 * 1024;
	size_t before;
	int err;

	/* what reserve() will hold: a power of two from 64 KiB */
	while (want < c->fr.ch.raw_len)
		want *= 2;
	merge_make_room(m, c, want > c->cap ? want - c->cap : 0);
	before = c->cap;
	err = hwsi_chunk_load(c->r, &c->fr, &c->buf, &c->cap, count);
	m->resident += c->cap - before;
	if (err < 0)
		return err;
	/* The chunk was intact a moment ago: the file changed under us. */
	if (!err && !count)
		return -EIO;
	return err;
}

/* Load this cursor's next intact chunk, or mark it done. */
static int cur_fill(struct hws_merge *m, struct merge_cur *c)
{
	int err;

	c->len = c->off = 0;
	for (;;) {
		err = hwsi_frame_at(c->r, c->next_pos, &c->fr);
		if (err)
			return err;
		if (hwsi_at_end(c->r, &c->fr)) {
			c->done = true;
			if (c->buf)
				cur_evict(m, c);
			return 0;
		}
		c->next_pos = c->fr.next;
		if (c->fr.kind != HWS_FR_CHUNK || c->fr.ch.cpu != c->cpu)
			continue;
		err = cur_load(m, c, true);
		if (err < 0)
			return err;
		if (err) {
			c->len = c->fr.ch.raw_len;
			c->ts = hws_rec_ts(c->buf);
			return 0;
		}
	}
}

static void sift_down(struct hws_merge *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, best = i, t;

		if (l < m->nr_heap &&
		    cur_before(&m->cur[m->heap[l]], &m->cur[m->heap[best]]))
			best = l;
		if (l + 1 < m->nr_heap &&
		    cur_before(&m->cur[m->heap[l + 1]], &m->cur[m->heap[best]]))
			best = l + 1;
		if (best == i)
			return;
		t = m->heap[i];
		m->heap[i] = m->heap[best];
		m->heap[best] = t;
		i = best;
	}
}

void hws_merge_free(struct hws_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nr_cur; i++)
		free(m->cur[i].buf);
	free(m->cur);
	free(m->heap);
	free(m);
}

/*
 * One pass over the chunk headers from the reader's position finds the
 * first chunk of every CPU, so that a CPU without chunks costs nothing later.
 */
static int merge_add_reader(struct hws_merge *m, struct hws_reader *r,
			    size_t ri)
{
	uint32_t nr_cpus = hws_reader_header(r)->nr_cpus;
	uint64_t pos = hwsi_reader_pos(r), *first;
	struct hws_frame fr;
	size_t found = 0;
	int err = 0;

	first = malloc(nr_cpus * sizeof(*first));
	if (!first)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr_cpus; i++)
		first[i] = UINT64_MAX;
	while (found < nr_cpus) {
		err = hwsi_frame_at(r, pos, &fr);
		if (err || hwsi_at_end(r, &fr))
			break;
		if (fr.kind == HWS_FR_CHUNK && first[fr.ch.cpu] == UINT64_MAX) {
			first[fr.ch.cpu] = fr.off;
			found++;
		}
		pos = fr.next;
	}
	if (!err && found) {
		struct merge_cur *n = realloc(m->cur, (m->nr_cur + found) *
					      sizeof(*n));

		if (!n) {
			err = -ENOMEM;
		} else {
			m->cur = n;
			for (uint32_t i = 0; i < nr_cpus; i++) {
				struct merge_cur *c;

				if (first[i] == UINT64_MAX)
					continue;
				c = &m->cur[m->nr_cur++];
				memset(c, 0, sizeof(*c));
				c->r = r;
				c->ri = ri;
				c->cpu = i;
				c->next_pos = first[i];
			}
		}
	}
	free(first);
	return err;
}

struct hws_merge *hws_merge_new(struct hws_reader **readers, size_t n)
{
	struct hws_merge *m;
	int err = 0;

	if (!readers || !n) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!readers[i]) {
			errno = EINVAL;
			return NULL;
		}
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	for (size_t i = 0; i < n && !err; i++)
		err = merge_add_reader(m, readers[i], i);
	if (!err && m->nr_cur) {
		m->heap = calloc(m->nr_cur, sizeof(*m->heap));
		if (!m->heap)
			err = -ENOMEM;
	}
	for (size_t i = 0; i < m->nr_cur && !err; i++) {
		err = cur_fill(m, &m->cur[i]);
		if (!err && !m->cur[i].done)
			m->heap[m->nr_heap++] = i;
	}
	if (err) {
		hws_merge_free(m);
		errno = -err;
		return NULL;
	}
	for (size_t i = m->nr_heap / 2; i-- > 0;)
		sift_down(m, i);
	return m;
}

int hws_merge_next(struct hws_merge *m, const struct hwstats_rec **rec,
		   uint32_t *cpu, size_t *reader)
{
	struct merge_cur *c;
	int err;

	if (!m || !rec)
		return -EINVAL;
	if (m->started && m->nr_heap) {
		/* step past the record handed out last time */
		c = &m->cur[m->heap[0]];
		c->off += hws_rec_len(c->buf + c->off);
		if (c->off >= c->len) {
			err = cur_fill(m, c);
			if (err)
				return err;
		} else {
			c->ts = hws_rec_ts(c->buf + c->off);
		}
		if (c->done)
			m->heap[0] = m->heap[--m->nr_heap];
		if (m->nr_heap)
			sift_down(m, 0);
	}
	m->started = true;
	if (!m->nr_heap)
		return 0;
	c = &m->cur[m->heap[0]];
	if (!c->buf) {
		err = cur_load(m, c, false);
		if (err < 0)
			return err;
	}
	*rec = (const struct hwstats_rec *)(c->buf + c->off);
	if (cpu)
		*cpu = c->cpu;
	if (reader)
		*reader = c->ri;
	return 1;
}
