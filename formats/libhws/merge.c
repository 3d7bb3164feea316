// SPDX-License-Identifier: MIT
/*
 * Time-merged record stream across CPUs and files.
 *
 * A file holds each CPU's chunks in that CPU's time order, interleaved with
 * the other CPUs' in the order they filled up. One walk per file reads the
 * frame headers front to back (never a chunk's data) and hands every chunk
 * it meets to its CPU's cursor, as a queue of file offsets: each frame is
 * read once, whatever the number of CPUs. A cursor holds one decoded chunk,
 * as long as they fit in MERGE_BUDGET, and knows where its next one is; a
 * heap on (timestamp, CPU, file) picks the next record.
 *
 * Decoding (zstd, the column codec, the record check) can run on other
 * threads: the chunk each cursor needs next is decoded ahead by a pool of
 * workers, a bounded number at a time, and the merge takes it when its turn
 * comes. Everything a caller can see happens in the calling thread and in
 * the same order whatever the number of threads: the walks advance at the
 * same points, and a chunk's outcome (its stats, or its damage) is recorded
 * when the merge takes it, not when a worker finishes it. The records, the
 * damage list and the stats are therefore the same with one thread or many.
 *
 * Why not the index: a merge reads every chunk, so it needs every chunk
 * header anyway (frame length, encoding, sizes), and the frames between the
 * chunks are where damage that the index does not know of hides (a damaged
 * source frame, stray bytes); the walk reads the same headers the index
 * would make it read, plus those few frames, and reports damage exactly as
 * hws_reader_next_chunk() does. The index serves hws_reader_seek_time().
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "hws_internal.h"

#define NO_POS		UINT64_MAX

struct merge_cur {
	struct hws_reader *r;
	size_t ri;		/* index into the readers */
	uint32_t cpu;
	/* this CPU's chunks the walk found and the cursor has not taken */
	uint64_t *q;
	uint32_t q_head, q_n, q_cap;	/* a ring */
	uint64_t solo_pos;	/* NO_POS, or where the cursor walks alone */
	bool has_next;		/* nx is the chunk after the current one */
	struct hws_frame nx;
	int job;		/* the job decoding nx, or -1 */
	struct hws_frame fr;	/* the current chunk, to load it again */
	uint8_t *buf;		/* its records, NULL while evicted */
	size_t cap;
	size_t len;
	size_t off;		/* of the current record */
	uint64_t ts;		/* of the current record */
	bool done;
};

/* One walk over a file's frames, shared by its cursors. */
struct merge_walk {
	struct hws_reader *r;
	size_t ri;
	uint64_t pos;		/* the next frame it reads */
	bool end;
	bool solo;		/* the queues are full: cursors walk alone */
	uint32_t nr_cpus;
	uint32_t *cur_of;	/* CPU -> cursor index + 1 (0: none yet) */
	uint32_t nr_found;
};

/* walk->cur_of for a CPU outside the merge's part (hws_merge_opts) */
#define CUR_NOT_MINE	UINT32_MAX

enum job_state { JOB_FREE, JOB_QUEUED, JOB_BUSY, JOB_DONE };

struct merge_job {
	enum job_state state;
	uint64_t ticket;	/* workers take the oldest first */
	int fd;
	struct hws_frame fr;
	uint64_t hold;		/* bytes it accounts for (main thread) */
	uint8_t *buf;		/* kept when free, for the next job */
	size_t cap;
	int res;
	uint32_t kind;
	const char *why;
};

struct hws_merge {
	struct merge_cur *cur;
	size_t nr_cur, cap_cur;
	struct merge_walk *walk;
	size_t nr_walk;
	uint64_t queued;	/* offsets in all queues */
	size_t *heap;
	size_t nr_heap;
	uint64_t resident;	/* bytes of the cursors' decoded chunks */
	uint64_t peak;		/* most of resident + job_bytes at once */
	uint64_t decodes;	/* chunks decoded, again ones included */
	uint32_t cpu_parts, cpu_part;	/* only CPUs of this part */
	/*
	 * merge_budget, or its share for a merge over a part of the CPUs:
	 * the merges of all parts, run at once, hold what one merge may.
	 */
	uint64_t budget;
	bool started;		/* heap[0] holds the record returned last */

	/* decoding ahead; nr_jobs == 0: everything in the calling thread */
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a job was queued, or stop */
	pthread_cond_t done;	/* a job was done */
	pthread_t *th;
	unsigned int nr_th;
	bool stop;
	struct merge_job *jobs;
	unsigned int nr_jobs;
	uint64_t tickets;
	uint64_t job_bytes;	/* sum of the jobs' hold */
	struct hwsi_decoder dc;	/* the calling thread's, for jobs */
};

/*
 * Decoded chunks held at once, in bytes, those decoded ahead included. A
 * file may have any number of CPUs, each with a chunk of up to 64 MiB that
 * compresses to almost nothing: past this, the chunk whose next record is
 * needed last is dropped and decoded again when its turn comes, and nothing
 * is decoded ahead. Real files (1 MiB chunks) stay far below it.
 */
#define MERGE_BUDGET	(256ULL << 20)
static uint64_t merge_budget = MERGE_BUDGET;
/* Chunk offsets the walks may queue at once (8 MiB; the rings' doubling
 * may hold twice that). */
#define MERGE_QUEUE_MAX	(1U << 20)
static uint32_t merge_queue_max = MERGE_QUEUE_MAX;

#ifndef HWS_SHARED_LIB
/* Test hook (static library only): a small queue bound, 0 = the default. */
void hwsi_merge_set_queue_max(uint32_t n)
{
	merge_queue_max = n ? n : MERGE_QUEUE_MAX;
}

/* Test hooks: a small budget (0 = the default), and what it came to. */
void hwsi_merge_set_budget(uint64_t bytes)
{
	merge_budget = bytes ? bytes : MERGE_BUDGET;
}

void hwsi_merge_stats(const struct hws_merge *m, uint64_t *peak,
		      uint64_t *decodes)
{
	*peak = m->peak;
	*decodes = m->decodes;
}
#endif

/* Threads that decode, the calling one included; chunks decoded ahead. */
#define MERGE_MAX_THREADS	16U
#define MERGE_JOBS_PER_THREAD	2U
/* Cursors near the top of the heap considered for decoding ahead. */
#define MERGE_AHEAD_SCAN	64U

static bool cur_before(const struct merge_cur *a, const struct merge_cur *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return a->ri < b->ri;
}

/* What reserve() will hold for @raw_len bytes: a power of two from 64 KiB. */
static uint64_t buf_est(uint64_t raw_len)
{
	uint64_t want = 64 * 1024;

	while (want < raw_len)
		want *= 2;
	return want;
}

static void cur_evict(struct hws_merge *m, struct merge_cur *c)
{
	m->resident -= c->cap;
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
}

static void merge_note_peak(struct hws_merge *m)
{
	if (m->resident + m->job_bytes > m->peak)
		m->peak = m->resident + m->job_bytes;
}

static void merge_drop_spare(struct hws_merge *m);

/*
 * Make room for @need more bytes, sparing @keep: first the buffers free
 * jobs keep for reuse, then the chunk whose next record is needed last.
 */
static void merge_make_room(struct hws_merge *m, const struct merge_cur *keep,
			    uint64_t need)
{
	if (m->resident + m->job_bytes + need > m->budget)
		merge_drop_spare(m);
	while (m->resident + m->job_bytes + need > m->budget) {
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

/* Decode the cursor's chunk @fr in this thread (@count: first time). */
static int cur_load(struct hws_merge *m, struct merge_cur *c,
		    const struct hws_frame *fr, bool count)
{
	uint64_t want = buf_est(fr->ch.raw_len);
	size_t before;
	int err;

	merge_make_room(m, c, want > c->cap ? want - c->cap : 0);
	before = c->cap;
	err = hwsi_chunk_load(c->r, fr, &c->buf, &c->cap, count);
	m->resident += c->cap - before;
	m->decodes++;
	merge_note_peak(m);
	if (err < 0)
		return err;
	/* The chunk was intact a moment ago: the file changed under us. */
	if (!err && !count)
		return -EIO;
	return err;
}

/* ---- the walks ---- */

static int q_push(struct hws_merge *m, struct merge_cur *c, uint64_t off)
{
	if (c->q_n == c->q_cap) {
		uint32_t cap = c->q_cap ? c->q_cap * 2 : 8;
		uint64_t *n = malloc(cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (uint32_t i = 0; i < c->q_n; i++)
			n[i] = c->q[(c->q_head + i) % c->q_cap];
		free(c->q);
		c->q = n;
		c->q_cap = cap;
		c->q_head = 0;
	}
	c->q[(c->q_head + c->q_n) % c->q_cap] = off;
	c->q_n++;
	m->queued++;
	return 0;
}

static uint64_t q_pop(struct hws_merge *m, struct merge_cur *c)
{
	uint64_t off = c->q[c->q_head];

	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_n--;
	m->queued--;
	return off;
}

static int cur_add(struct hws_merge *m, struct merge_walk *w, uint32_t cpu)
{
	struct merge_cur *c;

	if (m->nr_cur == m->cap_cur) {
		size_t cap = m->cap_cur ? m->cap_cur * 2 : 8;
		struct merge_cur *n = realloc(m->cur, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->cur = n;
		m->cap_cur = cap;
	}
	c = &m->cur[m->nr_cur];
	memset(c, 0, sizeof(*c));
	c->r = w->r;
	c->ri = w->ri;
	c->cpu = cpu;
	c->solo_pos = NO_POS;
	c->job = -1;
	w->cur_of[cpu] = (uint32_t)++m->nr_cur;
	w->nr_found++;
	return 0;
}

/*
 * One frame of the walk. A chunk goes to its CPU's queue; one of a CPU not
 * seen yet makes a cursor if @discover (while the merge starts), and is
 * passed over otherwise (every CPU's first chunk was found then). When the
 * queues are full, every cursor of the file goes on walking alone from here
 * (the merge as it was before the walk was shared: slower, never wrong).
 */
static int walk_step(struct hws_merge *m, struct merge_walk *w, bool discover)
{
	struct hws_frame fr;
	struct merge_cur *c;
	uint32_t ci;
	int err;

	err = hwsi_frame_at(w->r, w->pos, &fr);
	if (err)
		return err;
	if (hwsi_at_end(w->r, &fr)) {
		w->end = true;
		return 0;
	}
	if (fr.kind != HWS_FR_CHUNK) {
		w->pos = fr.next;
		return 0;
	}
	ci = w->cur_of[fr.ch.cpu];
	if (ci == CUR_NOT_MINE) {
		w->pos = fr.next;
		return 0;
	}
	if (!ci && m->cpu_parts && fr.ch.cpu % m->cpu_parts != m->cpu_part) {
		/* another merge's CPU: found, and passed over from now on */
		w->cur_of[fr.ch.cpu] = CUR_NOT_MINE;
		w->nr_found++;
		w->pos = fr.next;
		return 0;
	}
	if (!ci) {
		if (!discover) {
			w->pos = fr.next;
			return 0;
		}
		err = cur_add(m, w, fr.ch.cpu);
		if (err)
			return err;
		ci = w->cur_of[fr.ch.cpu];
		if (w->solo) {
			m->cur[ci - 1].solo_pos = fr.off;
			w->pos = fr.next;
			return 0;
		}
	}
	if (w->solo) {
		w->pos = fr.next;
		return 0;
	}
	if (m->queued >= merge_queue_max) {
		w->solo = true;
		for (size_t i = 0; i < m->nr_cur; i++) {
			c = &m->cur[i];
			if (c->ri == w->ri && c->solo_pos == NO_POS)
				c->solo_pos = fr.off;
		}
		w->pos = fr.next;
		return 0;
	}
	err = q_push(m, &m->cur[ci - 1], fr.off);
	if (err)
		return err;
	w->pos = fr.next;
	return 0;
}

/* The cursor's next chunk into *fr: 1, 0 when it has no more, -errno. */
static int cur_find_next(struct hws_merge *m, struct merge_cur *c,
			 struct hws_frame *fr)
{
	struct merge_walk *w = &m->walk[c->ri];
	int err;

	for (;;) {
		if (c->q_n) {
			uint64_t off = q_pop(m, c);

			err = hwsi_frame_at(c->r, off, fr);
			if (err)
				return err;
			/* It was a chunk of this CPU a moment ago. */
			if (fr->kind != HWS_FR_CHUNK || fr->ch.cpu != c->cpu)
				return -EIO;
			return 1;
		}
		if (c->solo_pos != NO_POS) {
			err = hwsi_frame_at(c->r, c->solo_pos, fr);
			if (err)
				return err;
			if (hwsi_at_end(c->r, fr))
				return 0;
			c->solo_pos = fr->next;
			if (fr->kind == HWS_FR_CHUNK && fr->ch.cpu == c->cpu)
				return 1;
			continue;
		}
		if (w->end || w->solo)
			return 0;
		err = walk_step(m, w, false);
		if (err)
			return err;
	}
}

/* ---- decoding ahead ---- */

static void *merge_worker(void *arg)
{
	struct hws_merge *m = arg;
	struct hwsi_decoder dc;
	bool have_dc = !hwsi_decoder_init(&dc);

	pthread_mutex_lock(&m->lock);
	for (;;) {
		struct merge_job *j = NULL;

		while (!m->stop) {
			for (unsigned int i = 0; i < m->nr_jobs; i++)
				if (m->jobs[i].state == JOB_QUEUED &&
				    (!j || m->jobs[i].ticket < j->ticket))
					j = &m->jobs[i];
			if (j)
				break;
			pthread_cond_wait(&m->work, &m->lock);
		}
		if (m->stop)
			break;
		j->state = JOB_BUSY;
		pthread_mutex_unlock(&m->lock);
		if (have_dc)
			j->res = hwsi_chunk_decode(j->fd, &dc, &j->fr, &j->buf,
						   &j->cap, &j->kind, &j->why);
		else
			j->res = -ENOMEM;
		pthread_mutex_lock(&m->lock);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&m->done);
	}
	pthread_mutex_unlock(&m->lock);
	if (have_dc)
		hwsi_decoder_fini(&dc);
	return NULL;
}

/* Give back the buffers that free jobs keep for their next chunk. */
static void merge_drop_spare(struct hws_merge *m)
{
	if (!m->nr_jobs)
		return;
	/* only this thread frees a job, but workers write the state of the
	 * others */
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nr_jobs; i++) {
		struct merge_job *f = &m->jobs[i];

		if (f->state != JOB_FREE)
			continue;
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
		m->job_bytes -= f->hold;
		f->hold = 0;
	}
	pthread_mutex_unlock(&m->lock);
}

/*
 * Queue decoding ahead while a job is free and the budget allows: for the
 * cursors near the top of the heap (those whose records come next), the
 * one whose current chunk ends first needs its next chunk first.
 */
static void merge_ahead(struct hws_merge *m)
{
	if (!m->nr_jobs)
		return;
	for (;;) {
		struct merge_cur *best = NULL;
		struct merge_job *j = NULL;
		size_t n = m->nr_heap < MERGE_AHEAD_SCAN ? m->nr_heap :
			   MERGE_AHEAD_SCAN;
		uint64_t est;

		/* only this thread frees a job, but workers write the state
		 * of the others */
		pthread_mutex_lock(&m->lock);
		for (unsigned int i = 0; i < m->nr_jobs && !j; i++)
			if (m->jobs[i].state == JOB_FREE)
				j = &m->jobs[i];
		pthread_mutex_unlock(&m->lock);
		if (!j)
			return;
		for (size_t i = 0; i < n; i++) {
			struct merge_cur *c = &m->cur[m->heap[i]];

			if (!c->has_next || c->job >= 0)
				continue;
			if (!best || c->fr.ch.last_ts < best->fr.ch.last_ts ||
			    (c->fr.ch.last_ts == best->fr.ch.last_ts &&
			     cur_before(c, best)))
				best = c;
		}
		if (!best)
			return;
		est = buf_est(best->nx.ch.raw_len);
		if (est < j->cap)
			est = j->cap;
		if (m->resident + m->job_bytes - j->hold + est > m->budget) {
			/* Tight: give back the buffers kept by free jobs. */
			merge_drop_spare(m);
			est = buf_est(best->nx.ch.raw_len);
			if (m->resident + m->job_bytes + est > m->budget)
				return;
		}
		m->job_bytes += est - j->hold;
		j->hold = est;
		merge_note_peak(m);
		pthread_mutex_lock(&m->lock);
		j->state = JOB_QUEUED;
		j->ticket = m->tickets++;
		j->fd = hwsi_reader_fd(best->r);
		j->fr = best->nx;
		pthread_cond_signal(&m->work);
		pthread_mutex_unlock(&m->lock);
		best->job = (int)(j - m->jobs);
	}
}

/*
 * The outcome of the cursor's job: waited for, or decoded here if no
 * worker has started it. The decoded chunk becomes the cursor's buffer.
 */
static int cur_take_job(struct hws_merge *m, struct merge_cur *c,
			uint32_t *kind, const char **why)
{
	struct merge_job *j = &m->jobs[c->job];
	int res;

	pthread_mutex_lock(&m->lock);
	while (j->state != JOB_DONE) {
		struct merge_job *o = j->state == JOB_QUEUED ? j : NULL;

		/* waiting for a worker: decode another queued job meanwhile */
		for (unsigned int i = 0; i < m->nr_jobs && !o; i++)
			if (m->jobs[i].state == JOB_QUEUED)
				o = &m->jobs[i];
		if (!o) {
			pthread_cond_wait(&m->done, &m->lock);
			continue;
		}
		o->state = JOB_BUSY;
		pthread_mutex_unlock(&m->lock);
		o->res = hwsi_chunk_decode(o->fd, &m->dc, &o->fr, &o->buf,
					   &o->cap, &o->kind, &o->why);
		pthread_mutex_lock(&m->lock);
		o->state = JOB_DONE;
	}
	/* free again: from here on only this thread touches it */
	j->state = JOB_FREE;
	pthread_mutex_unlock(&m->lock);
	res = j->res;
	*kind = j->kind;
	*why = j->why;
	/* Swap: the job keeps the cursor's old buffer for its next chunk. */
	{
		uint8_t *b = c->buf;
		size_t cap = c->cap;

		m->resident += j->cap - cap;
		c->buf = j->buf;
		c->cap = j->cap;
		j->buf = b;
		j->cap = cap;
	}
	m->job_bytes -= j->hold;
	j->hold = j->cap;
	m->job_bytes += j->hold;
	c->job = -1;
	m->decodes++;
	merge_make_room(m, c, 0);
	return res;
}

/*
 * Make the cursor's next intact chunk its current one, or mark it done;
 * then find the chunk after it. Damaged chunks are recorded and passed.
 */
static int cur_fill(struct hws_merge *m, struct merge_cur *c)
{
	int err, res;

	c->len = c->off = 0;
	for (;;) {
		struct hws_frame fr;
		uint32_t kind = 0;
		const char *why = NULL;

		if (!c->has_next) {
			c->done = true;
			if (c->buf)
				cur_evict(m, c);
			return 0;
		}
		fr = c->nx;
		if (c->job >= 0) {
			res = cur_take_job(m, c, &kind, &why);
			hwsi_chunk_account(c->r, &fr, res, kind, why, true);
		} else {
			res = cur_load(m, c, &fr, true);
		}
		err = cur_find_next(m, c, &c->nx);
		if (err < 0)
			return err;
		c->has_next = err > 0;
		if (res < 0)
			return res;
		if (res) {
			c->fr = fr;
			c->len = fr.ch.raw_len;
			c->ts = hwsi_rec_ts(c->buf);
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

static void merge_stop(struct hws_merge *m)
{
	if (!m->nr_jobs)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_broadcast(&m->work);
	pthread_mutex_unlock(&m->lock);
	for (unsigned int i = 0; i < m->nr_th; i++)
		pthread_join(m->th[i], NULL);
	for (unsigned int i = 0; i < m->nr_jobs; i++)
		free(m->jobs[i].buf);
	free(m->jobs);
	free(m->th);
	hwsi_decoder_fini(&m->dc);
	pthread_cond_destroy(&m->done);
	pthread_cond_destroy(&m->work);
	pthread_mutex_destroy(&m->lock);
	m->nr_jobs = 0;
}

void hws_merge_free(struct hws_merge *m)
{
	if (!m)
		return;
	merge_stop(m);
	for (size_t i = 0; i < m->nr_cur; i++) {
		free(m->cur[i].buf);
		free(m->cur[i].q);
	}
	for (size_t i = 0; i < m->nr_walk; i++)
		free(m->walk[i].cur_of);
	free(m->walk);
	free(m->cur);
	free(m->heap);
	free(m);
}

/*
 * Walk the file from the reader's position until every CPU of its header
 * has a cursor, or to its end (a CPU without chunks costs nothing later).
 */
static int merge_add_reader(struct hws_merge *m, struct hws_reader *r,
			    size_t ri)
{
	struct merge_walk *w = &m->walk[ri];
	int err = 0;

	w->r = r;
	w->ri = ri;
	w->pos = hwsi_reader_pos(r);
	w->nr_cpus = hws_reader_header(r)->nr_cpus;
	w->cur_of = calloc(w->nr_cpus ? w->nr_cpus : 1, sizeof(*w->cur_of));
	if (!w->cur_of)
		return -ENOMEM;
	while (!err && !w->end && w->nr_found < w->nr_cpus)
		err = walk_step(m, w, true);
	/* queues full: from here each cursor walks alone, from where its
	 * CPU's next chunk was seen */
	if (w->solo && !err)
		w->end = true;
	return err;
}

static unsigned int merge_threads(const struct hws_merge_opts *opts, int *err)
{
	unsigned int n = 1;
	long online;

	*err = 0;
	if (!opts)
		return 1;
	if (opts->sz < sizeof(size_t)) {
		*err = -EINVAL;
		return 0;
	}
	/* A caller built against a later version: what we do not know of
	 * must be zero (libbpf's OPTS_VALID). */
	for (size_t i = sizeof(*opts); i < opts->sz; i++) {
		if (((const uint8_t *)opts)[i]) {
			*err = -EINVAL;
			return 0;
		}
	}
	if (opts->sz >= offsetof(struct hws_merge_opts, threads) +
		       sizeof(opts->threads))
		n = opts->threads;
	if (!n) {
		online = sysconf(_SC_NPROCESSORS_ONLN);
		n = online > 0 ? (unsigned int)online : 1;
	}
	return n < MERGE_MAX_THREADS ? n : MERGE_MAX_THREADS;
}

static int merge_start_threads(struct hws_merge *m, unsigned int threads)
{
	int err;

	if (threads < 2)
		return 0;
	err = hwsi_decoder_init(&m->dc);
	if (err)
		return err;
	m->jobs = calloc(threads * MERGE_JOBS_PER_THREAD, sizeof(*m->jobs));
	m->th = calloc(threads - 1, sizeof(*m->th));
	if (!m->jobs || !m->th) {
		free(m->jobs);
		free(m->th);
		hwsi_decoder_fini(&m->dc);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->work, NULL);
	pthread_cond_init(&m->done, NULL);
	m->nr_jobs = threads * MERGE_JOBS_PER_THREAD;
	for (unsigned int i = 0; i < threads - 1; i++) {
		err = -pthread_create(&m->th[i], NULL, merge_worker, m);
		if (err)
			break;
		m->nr_th++;
	}
	/* fewer workers than asked: the calling thread decodes the rest */
	return 0;
}

struct hws_merge *hws_merge_new_opts(struct hws_reader **readers, size_t n,
				     const struct hws_merge_opts *opts)
{
	struct hws_merge *m;
	unsigned int threads;
	int err = 0;

	threads = merge_threads(opts, &err);
	if (err || !readers || !n) {
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
	if (opts && opts->sz >= offsetof(struct hws_merge_opts, cpu_part) +
			      sizeof(opts->cpu_part)) {
		m->cpu_parts = opts->cpu_parts;
		m->cpu_part = opts->cpu_part;
		if (m->cpu_parts && m->cpu_part >= m->cpu_parts) {
			free(m);
			errno = EINVAL;
			return NULL;
		}
	}
	m->budget = merge_budget / (m->cpu_parts ? m->cpu_parts : 1);
	m->walk = calloc(n, sizeof(*m->walk));
	if (!m->walk)
		err = -ENOMEM;
	else
		m->nr_walk = n;
	for (size_t i = 0; i < n && !err; i++)
		err = merge_add_reader(m, readers[i], i);
	if (!err && m->nr_cur) {
		m->heap = calloc(m->nr_cur, sizeof(*m->heap));
		if (!m->heap)
			err = -ENOMEM;
	}
	/* every cursor's first chunk, then the one after it */
	for (size_t i = 0; i < m->nr_cur && !err; i++) {
		struct merge_cur *c = &m->cur[i];

		err = cur_find_next(m, c, &c->nx);
		if (err >= 0) {
			c->has_next = err > 0;
			err = 0;
		}
	}
	if (!err)
		err = merge_start_threads(m, threads);
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
	merge_ahead(m);
	return m;
}

struct hws_merge *hws_merge_new(struct hws_reader **readers, size_t n)
{
	return hws_merge_new_opts(readers, n, NULL);
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
		c->off += hwsi_rec_len(c->buf + c->off);
		if (c->off >= c->len) {
			err = cur_fill(m, c);
			if (err)
				return err;
			if (c->done)
				m->heap[0] = m->heap[--m->nr_heap];
			if (m->nr_heap)
				sift_down(m, 0);
			merge_ahead(m);
		} else {
			c->ts = hwsi_rec_ts(c->buf + c->off);
			sift_down(m, 0);
		}
	}
	m->started = true;
	if (!m->nr_heap)
		return 0;
	c = &m->cur[m->heap[0]];
	if (!c->buf) {
		err = cur_load(m, c, &c->fr, false);
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
