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
 * data, and holds one decoded chunk. A heap on (timestamp, CPU, file) picks
 * the next record.
 */
#include <errno.h>
#include <stdlib.h>

#include "hws_internal.h"

struct merge_cur {
	struct hws_reader *r;
	size_t ri;		/* index into the readers */
	uint32_t cpu;
	uint64_t next_pos;	/* where this CPU's next chunk is looked for */
	uint8_t *buf;		/* the current chunk's records */
	size_t cap;
	size_t len;
	size_t off;		/* of the current record */
	bool done;
};

struct hws_merge {
	struct merge_cur *cur;
	size_t nr_cur;
	size_t *heap;
	size_t nr_heap;
	bool started;		/* heap[0] holds the record returned last */
};

/* Load this cursor's next intact chunk, or mark it done. */
static int cur_fill(struct merge_cur *c)
{
	struct hws_frame fr;
	int err;

	c->len = c->off = 0;
	for (;;) {
		err = hws__reader_frame(c->r, c->next_pos, &fr);
		if (err)
			return err;
		if (hws__reader_at_end(c->r, &fr)) {
			c->done = true;
			return 0;
		}
		c->next_pos = fr.next;
		if (fr.kind != HWS_FR_CHUNK || fr.ch.cpu != c->cpu)
			continue;
		err = hws__reader_load(c->r, &fr, &c->buf, &c->cap);
		if (err < 0)
			return err;
		if (err) {
			c->len = fr.ch.raw_len;
			return 0;
		}
	}
}

static uint64_t cur_ts(const struct merge_cur *c)
{
	return hws_rec_ts(c->buf + c->off);
}

static bool cur_before(const struct merge_cur *a, const struct merge_cur *b)
{
	uint64_t ta = cur_ts(a), tb = cur_ts(b);

	if (ta != tb)
		return ta < tb;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return a->ri < b->ri;
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
	uint64_t pos = hws__reader_pos(r), *first;
	struct hws_frame fr;
	size_t found = 0;
	int err = 0;

	first = malloc(nr_cpus * sizeof(*first));
	if (!first)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr_cpus; i++)
		first[i] = UINT64_MAX;
	while (found < nr_cpus) {
		err = hws__reader_frame(r, pos, &fr);
		if (err || hws__reader_at_end(r, &fr))
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
		err = cur_fill(&m->cur[i]);
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
			err = cur_fill(c);
			if (err)
				return err;
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
	*rec = (const struct hwstats_rec *)(c->buf + c->off);
	if (cpu)
		*cpu = c->cpu;
	if (reader)
		*reader = c->ri;
	return 1;
}
