// SPDX-License-Identifier: MIT
/*
 * split.c - a run split by CPU: each part of the CPUs has a merge of its
 * own (over readers of its own, hws_merge_opts.cpu_parts) and an engine
 * context of its own, on a thread of its own, so that each record is
 * analysed on the CPU that decoded it. The calling thread combines what
 * only all CPUs together give: each interval's counter rates (for the
 * peak rate), once every part has passed it, then the rest at the end.
 *
 * The result is the one merge's, to the byte, because everything the
 * engine keeps is per CPU except what is combined here, and that is
 * combined as the engine combines it: rates added in CPU order (as
 * hwr_close_interval() adds them), quantile sketches merged (their state
 * does not depend on the order of the values), counts added, the first
 * record the least (ts, CPU, file). That holds while each part's records
 * come in time order; what would need the one merge's order gives up, and
 * the caller runs the merge instead (see docs/design.md, "Decoding on
 * several threads"): a timestamp going back, a loss event, damage.
 * Nothing is handed to a sink before the parts are done, so giving up
 * costs time, never output.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/*
 * Series waiting in a part's queue before the part waits for the calling
 * thread (intervals: a quarter as many); a part hands them over in
 * batches of a quarter of that.
 */
#define HWR_SPLIT_QUEUE	16384U
unsigned int hwr_split_queue = HWR_SPLIT_QUEUE;
/* The spool's stdio buffer. */
#define HWR_SPLIT_SPOOL_BUF	(1U << 20)

/* One series in one interval: what hwr_close_interval() needs of it. */
struct hwr_split_rate {
	struct hwr_counter *ctr;	/* the calling thread's counter */
	uint32_t cpu;
	bool valid;
	double rate;			/* b_value, when valid */
	uint64_t b_inc, b_dt, b_n, b_min, b_max;
	struct hwr_sum b_sum;
};

/* An interval in the spool: its index, then @nr series. */
struct hwr_split_ivh {
	uint64_t index;
	uint64_t nr;
};

struct hwr_split_iv {
	uint64_t index;
	uint32_t nr;			/* rates of the interval */
};

unsigned long hwr_split_runs;

struct hwr_split;

struct hwr_part {
	struct hwr_split *sp;
	uint32_t idx;
	struct hwr_ctx c;
	struct hws_reader **readers;
	pthread_t th;
	bool started;
	/* under sp->lock */
	bool done;
	int ret;
	struct hwr_split_iv *iv;
	uint32_t iv_head, iv_n, iv_cap;
	struct hwr_split_rate *rt;
	uint32_t rt_head, rt_n, rt_cap;
	/* closed intervals not in the queue yet (the part's own) */
	struct hwr_split_iv *st_iv;
	uint32_t st_iv_n, st_iv_cap;
	struct hwr_split_rate *st_rt;
	uint32_t st_rt_n, st_rt_cap;
};

struct hwr_split {
	struct hwr_input *in;
	struct hwr_ctx *main;
	struct hwr_part *p;
	uint32_t nr;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;			/* a part gave up, or failed */
	/*
	 * The sinks print intervals: every series of every interval waits
	 * here, in a temporary file, until the parts are done (one of them
	 * may still give up), then goes through hwr_close_interval().
	 */
	FILE *spool;
	char *spool_buf;
};

/* The part's copy of the main context's sources, without any state. */
static int hwr_part_sources(struct hwr_ctx *pc, const struct hwr_ctx *c)
{
	uint32_t i, k;

	pc->sources = calloc(c->nr_sources ? c->nr_sources : 1,
			     sizeof(*pc->sources));
	if (!pc->sources)
		return -ENOMEM;
	pc->nr_sources = c->nr_sources;
	for (i = 0; i < c->nr_sources; i++) {
		const struct hwr_source *s = &c->sources[i];
		struct hwr_source *d = &pc->sources[i];

		*d = *s;
		d->series = NULL;
		d->slot_cap = 0;
		d->next_seq = d->last_ts = d->last_reg = NULL;
		d->gaps = d->gap_records = d->seq_backwards = 0;
		d->malformed = 0;
		d->counters = calloc(s->nr_counters ? s->nr_counters : 1,
				     sizeof(*d->counters));
		if (!d->counters)
			return -ENOMEM;
		for (k = 0; k < s->nr_counters; k++) {
			struct hwr_counter *ct = &d->counters[k];

			*ct = s->counters[k];
			ct->src = d;
			ct->epoch = 0;
			ct->peak = 0;
			ct->q = NULL;
			if (s->counters[k].q) {
				ct->q = hwr_qsketch_new();
				if (!ct->q)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

static void hwr_part_fini(struct hwr_part *p)
{
	struct hwr_ctx *pc = &p->c;
	uint32_t i;

	for (i = 0; pc->sources && i < pc->nr_sources; i++)
		hwr_source_free_state(&pc->sources[i]);
	free(pc->sources);
	hwr_free_cpu_state(pc);
	for (i = 0; p->readers && i < p->sp->in->n; i++)
		hws_reader_close(p->readers[i]);
	free(p->readers);
	free(p->iv);
	free(p->rt);
	free(p->st_iv);
	free(p->st_rt);
}

/*
 * What the calling thread needs of a series in a closed interval: a
 * counter's rate for the peak, or, when the sinks print intervals, all.
 */
static bool hwr_split_wanted(const struct hwr_split *sp,
			     const struct hwr_series *se)
{
	return sp->spool ||
	       (se->b_valid && se->ctr->kind == HWSTATS_KIND_COUNTER);
}

/* Grow *@a (of @size bytes each, *@cap of them) to hold @n. */
static int hwr_split_grow(void **a, uint32_t *cap, uint32_t n, size_t size)
{
	void *r;
	uint32_t c;

	if (n <= *cap)
		return 0;
	c = n * 2 + 16;
	r = realloc(*a, (size_t)c * size);
	if (!r)
		return -ENOMEM;
	*a = r;
	*cap = c;
	return 0;
}

/*
 * The part's staged intervals to its queue, which the calling thread
 * reads: waits while the queue is full (hwr_split_queue series, or a
 * quarter as many intervals, unless it is empty).
 */
static int hwr_part_flush(struct hwr_part *p)
{
	struct hwr_split *sp = p->sp;
	int ret = 0;

	if (!p->st_iv_n)
		return 0;
	pthread_mutex_lock(&sp->lock);
	while (!sp->stop && p->iv_n > p->iv_head &&
	       (p->rt_n - p->rt_head + p->st_rt_n > hwr_split_queue ||
		p->iv_n - p->iv_head + p->st_iv_n > hwr_split_queue / 4))
		pthread_cond_wait(&sp->cond, &sp->lock);
	if (sp->stop) {
		ret = -ECANCELED;
		goto out;
	}
	/* what the combiner took: move the rest to the front */
	if (p->rt_head) {
		memmove(p->rt, p->rt + p->rt_head,
			(p->rt_n - p->rt_head) * sizeof(*p->rt));
		p->rt_n -= p->rt_head;
		p->rt_head = 0;
	}
	if (p->iv_head) {
		memmove(p->iv, p->iv + p->iv_head,
			(p->iv_n - p->iv_head) * sizeof(*p->iv));
		p->iv_n -= p->iv_head;
		p->iv_head = 0;
	}
	ret = hwr_split_grow((void **)&p->rt, &p->rt_cap,
			     p->rt_n + p->st_rt_n, sizeof(*p->rt));
	if (!ret)
		ret = hwr_split_grow((void **)&p->iv, &p->iv_cap,
				     p->iv_n + p->st_iv_n, sizeof(*p->iv));
	if (ret)
		goto out;
	memcpy(p->rt + p->rt_n, p->st_rt, p->st_rt_n * sizeof(*p->rt));
	p->rt_n += p->st_rt_n;
	memcpy(p->iv + p->iv_n, p->st_iv, p->st_iv_n * sizeof(*p->iv));
	p->iv_n += p->st_iv_n;
	p->st_rt_n = 0;
	p->st_iv_n = 0;
	pthread_cond_broadcast(&sp->cond);
out:
	pthread_mutex_unlock(&sp->lock);
	return ret;
}

/*
 * An interval the part closed, staged for the queue: its series' counter
 * rates (the calling thread adds them up with the other parts'), or every
 * series' interval sums when the sinks print intervals. The queue takes
 * them in batches, so that a part does not wake the calling thread at
 * every interval.
 */
static int hwr_part_close(struct hwr_ctx *pc, uint64_t index)
{
	struct hwr_part *p = pc->part;
	struct hwr_split *sp = p->sp;
	struct hwr_ctx *c = sp->main;
	uint32_t i, n = 0;
	int ret;

	for (i = 0; i < pc->nr_dirty; i++)
		n += hwr_split_wanted(sp, pc->dirty[i]);
	ret = hwr_split_grow((void **)&p->st_rt, &p->st_rt_cap,
			     p->st_rt_n + n, sizeof(*p->st_rt));
	if (!ret)
		ret = hwr_split_grow((void **)&p->st_iv, &p->st_iv_cap,
				     p->st_iv_n + 1, sizeof(*p->st_iv));
	if (ret)
		return ret;
	for (i = 0; i < pc->nr_dirty; i++) {
		const struct hwr_series *se = pc->dirty[i];
		const struct hwr_counter *ct = se->ctr;

		if (!hwr_split_wanted(sp, se))
			continue;
		p->st_rt[p->st_rt_n++] = (struct hwr_split_rate){
			.ctr = &c->sources[ct->src - pc->sources]
				.counters[ct->index],
			.cpu = se->cpu,
			.valid = se->b_valid,
			.rate = se->b_value,
			.b_inc = se->b_inc,
			.b_dt = se->b_dt,
			.b_n = se->b_n,
			.b_min = se->b_min,
			.b_max = se->b_max,
			.b_sum = se->b_sum,
		};
	}
	p->st_iv[p->st_iv_n++] = (struct hwr_split_iv){
		.index = index, .nr = n,
	};
	if (p->st_iv_n >= hwr_split_queue / 16 ||
	    p->st_rt_n >= hwr_split_queue / 4)
		return hwr_part_flush(p);
	return 0;
}

static int hwr_part_run(struct hwr_part *p)
{
	struct hwr_split *sp = p->sp;
	struct hwr_ctx *pc = &p->c;
	struct hws_merge_opts mo = {
		.sz = sizeof(mo),
		.threads = 1,
		.cpu_parts = sp->nr,
		.cpu_part = p->idx,
	};
	const struct hwstats_rec *rec;
	struct hws_merge *m;
	uint64_t last = 0, n = 0;
	uint32_t cpu, i;
	size_t r;
	int ret;

	/* opened here, on the part's thread, at the same time as the others */
	for (i = 0; i < sp->in->n; i++) {
		p->readers[i] = hws_reader_open(sp->in->paths[i]);
		if (!p->readers[i])
			return errno ? -errno : -EIO;
	}
	if (pc->cfg.from.kind && pc->from_ts > pc->t0)
		for (i = 0; i < sp->in->n; i++)
			(void)hws_reader_seek_time(p->readers[i], pc->from_ts);
	m = hws_merge_new_opts(p->readers, sp->in->n, &mo);
	if (!m)
		return errno ? -errno : -EIO;
	for (;;) {
		ret = hws_merge_next(m, &rec, &cpu, &r);
		if (ret <= 0)
			break;
		/* Out of time order: the intervals are the one merge's. */
		if (rec->ts < last) {
			ret = -ECANCELED;
			break;
		}
		last = rec->ts;
		ret = hwr_feed(pc, rec, cpu, (uint32_t)r);
		if (ret)
			break;
		if (!(++n & 4095) && __atomic_load_n(&sp->stop,
						     __ATOMIC_RELAXED)) {
			ret = -ECANCELED;
			break;
		}
	}
	hws_merge_free(m);
	if (ret < 0)
		return ret;
	ret = hwr_close_interval(pc);
	if (!ret)
		ret = hwr_part_flush(pc->part);
	if (ret)
		return ret;
	for (i = 0; i < sp->in->n; i++)
		if (hws_reader_damage(p->readers[i], NULL))
			return -ECANCELED;
	return 0;
}

static void *hwr_part_main(void *arg)
{
	struct hwr_part *p = arg;
	struct hwr_split *sp = p->sp;
	int ret = hwr_part_run(p);

	pthread_mutex_lock(&sp->lock);
	p->done = true;
	p->ret = ret;
	if (ret)
		__atomic_store_n(&sp->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}

static int hwr_part_init(struct hwr_split *sp, struct hwr_part *p,
			 uint32_t idx)
{
	const struct hwr_ctx *c = sp->main;
	struct hwr_ctx *pc = &p->c;
	int ret;

	p->sp = sp;
	p->idx = idx;
	pc->cfg = c->cfg;		/* read only: the main context owns it */
	pc->cfg.need_intervals = false;
	pc->v.interval_ns = c->v.interval_ns;
	pc->v.epoch = 1;
	pc->v.first_ts = UINT64_MAX;
	pc->v.cfg = &pc->cfg;
	pc->name = c->name;
	pc->files = c->files;
	pc->nr_files = c->nr_files;
	pc->t0 = c->t0;
	pc->real_off = c->real_off;
	pc->from_ts = c->from_ts;
	pc->to_ts = c->to_ts;
	pc->t0_known = c->t0_known;
	pc->time_selected = c->time_selected;
	pc->b_base = c->b_base;
	pc->lookup_base = c->sources;
	pc->on_close = hwr_part_close;
	pc->part = p;
	ret = hwr_part_sources(pc, c);
	if (ret)
		return ret;
	ret = hwr_grow_cpus(pc, 1);
	if (ret)
		return ret;
	pc->cap_dirty = c->cap_dirty;
	pc->dirty = calloc(pc->cap_dirty, sizeof(*pc->dirty));
	pc->cap_dirty_c = c->cap_dirty_c;
	pc->dirty_c = calloc(pc->cap_dirty_c, sizeof(*pc->dirty_c));
	if (!pc->dirty || !pc->dirty_c)
		return -ENOMEM;
	p->readers = calloc(sp->in->n, sizeof(*p->readers));
	return p->readers ? 0 : -ENOMEM;
}

static int hwr_rate_cmp(const void *a, const void *b)
{
	const struct hwr_split_rate *x = a, *y = b;

	if (x->ctr != y->ctr)
		return x->ctr < y->ctr ? -1 : 1;
	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

/*
 * One interval, every part's rates in it: each counter's rate is its
 * CPUs' added in CPU order, as hwr_close_interval() adds them.
 */
static void hwr_split_interval(struct hwr_ctx *c, struct hwr_split_rate *rt,
			       uint32_t n)
{
	uint32_t i = 0;

	qsort(rt, n, sizeof(*rt), hwr_rate_cmp);
	while (i < n) {
		struct hwr_counter *ct = rt[i].ctr;
		double sum = 0;

		for (; i < n && rt[i].ctr == ct; i++)
			sum += rt[i].rate;
		if (sum > ct->peak)
			ct->peak = sum;
	}
	c->v.nr_intervals++;
}

/* One interval into the spool, for hwr_split_replay(). */
static int hwr_split_spool(struct hwr_split *sp, const struct hwr_split_iv *iv,
			   const struct hwr_split_rate *rt)
{
	struct hwr_split_ivh h = { .index = iv->index, .nr = iv->nr };

	if (fwrite(&h, sizeof(h), 1, sp->spool) != 1 ||
	    fwrite(rt, sizeof(*rt), iv->nr, sp->spool) != iv->nr)
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * Take from the parts' queues, in time order, every interval all parts
 * have passed (a part whose queue is empty and that has not ended may
 * still close an earlier one), up to @max series: appended to *@buf, one
 * header per interval in *@hdr. Called with the lock held; false when
 * nothing can be taken yet.
 */
static int hwr_split_take(struct hwr_split *sp, struct hwr_split_rate **buf,
			  uint32_t *cap, uint32_t *n, struct hwr_split_iv **hdr,
			  uint32_t *hcap, uint32_t *nh, uint32_t max)
{
	uint32_t i;
	int ret;

	while (*n < max) {
		uint64_t index = UINT64_MAX;

		for (i = 0; i < sp->nr; i++) {
			struct hwr_part *p = &sp->p[i];

			if (p->iv_head < p->iv_n) {
				if (p->iv[p->iv_head].index < index)
					index = p->iv[p->iv_head].index;
			} else if (!p->done) {
				return 0;
			}
		}
		if (index == UINT64_MAX)
			return 0;	/* every part done, nothing left */
		ret = hwr_split_grow((void **)hdr, hcap, *nh + 1,
				     sizeof(**hdr));
		if (ret)
			return ret;
		(*hdr)[*nh] = (struct hwr_split_iv){ .index = index };
		for (i = 0; i < sp->nr; i++) {
			struct hwr_part *p = &sp->p[i];
			uint32_t k;

			if (p->iv_head == p->iv_n ||
			    p->iv[p->iv_head].index != index)
				continue;
			k = p->iv[p->iv_head].nr;
			ret = hwr_split_grow((void **)buf, cap, *n + k,
					     sizeof(**buf));
			if (ret)
				return ret;
			memcpy(*buf + *n, p->rt + p->rt_head,
			       k * sizeof(**buf));
			*n += k;
			(*hdr)[*nh].nr += k;
			p->rt_head += k;
			p->iv_head++;
		}
		(*nh)++;
	}
	return 0;
}

/* Combine the parts' intervals in time order as they come. */
static int hwr_split_combine(struct hwr_split *sp)
{
	struct hwr_split_rate *buf = NULL;
	struct hwr_split_iv *hdr = NULL;
	uint32_t cap = 0, hcap = 0, n, nh, i, at;
	bool end = false;
	int ret = 0;

	while (!end && !ret) {
		n = 0;
		nh = 0;
		pthread_mutex_lock(&sp->lock);
		for (;;) {
			ret = hwr_split_take(sp, &buf, &cap, &n, &hdr, &hcap,
					     &nh, hwr_split_queue);
			if (ret || nh || sp->stop)
				break;
			end = true;
			for (i = 0; i < sp->nr; i++)
				end &= sp->p[i].done &&
				       sp->p[i].iv_head == sp->p[i].iv_n;
			if (end)
				break;
			pthread_cond_wait(&sp->cond, &sp->lock);
		}
		if (ret || sp->stop)
			end = true;
		if (ret)
			__atomic_store_n(&sp->stop, true, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&sp->cond);
		pthread_mutex_unlock(&sp->lock);
		for (i = 0, at = 0; !ret && i < nh; at += hdr[i++].nr) {
			if (sp->spool)
				ret = hwr_split_spool(sp, &hdr[i], buf + at);
			else
				hwr_split_interval(sp->main, buf + at,
						   hdr[i].nr);
		}
	}
	if (ret) {
		pthread_mutex_lock(&sp->lock);
		__atomic_store_n(&sp->stop, true, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&sp->cond);
		pthread_mutex_unlock(&sp->lock);
	}
	free(buf);
	free(hdr);
	return ret;
}

/* A part's event, its source the main context's. */
static struct hwr_event hwr_split_event(const struct hwr_split *sp,
					const struct hwr_part *p,
					const struct hwr_event *e)
{
	struct hwr_event ev = *e;

	if (ev.src)
		ev.src = &sp->main->sources[ev.src - p->c.sources];
	return ev;
}

/*
 * The parts' loss events (@pending: the start gaps decided at the end)
 * in the one merge's order: each part's are in its merge's order, and
 * the record that raised an event is at (to_ts, CPU), a CPU being one
 * part's alone. The events kept are the first HWR_MAX_EVENTS of them, and
 * each part kept its first HWR_MAX_EVENTS.
 */
static int hwr_split_events(struct hwr_split *sp, bool pending)
{
	struct hwr_ctx *c = sp->main;
	uint32_t *at, i;
	int ret = 0;

	at = calloc(sp->nr, sizeof(*at));
	if (!at)
		return -ENOMEM;
	for (;;) {
		const struct hwr_event *best = NULL;
		struct hwr_event ev;
		uint32_t bi = 0;

		for (i = 0; i < sp->nr; i++) {
			const struct hwr_ctx *pc = &sp->p[i].c;
			const struct hwr_event *e;

			if (at[i] == (pending ? pc->nr_pending :
					        pc->v.nr_events))
				continue;
			e = pending ? &pc->pending[at[i]] :
				      &pc->v.events[at[i]];
			if (!best || e->to_ts < best->to_ts ||
			    (e->to_ts == best->to_ts && e->cpu < best->cpu)) {
				best = e;
				bi = i;
			}
		}
		if (!best)
			break;
		at[bi]++;
		ev = hwr_split_event(sp, &sp->p[bi], best);
		if (pending) {
			if (c->nr_pending == c->cap_pending) {
				uint32_t cap = c->cap_pending ?
					       c->cap_pending * 2 : 16;
				struct hwr_event *n = realloc(c->pending,
							cap * sizeof(*n));

				if (!n) {
					ret = -ENOMEM;
					break;
				}
				c->pending = n;
				c->cap_pending = cap;
			}
			c->pending[c->nr_pending++] = ev;
		} else if (c->v.nr_events < HWR_MAX_EVENTS) {
			c->v.events[c->v.nr_events++] = ev;
			c->v.events_dropped--;
		}
	}
	free(at);
	return ret;
}

/* The parts' state into the main context, as if it had taken it all. */
static int hwr_split_commit(struct hwr_split *sp)
{
	struct hwr_ctx *c = sp->main;
	uint32_t cap = 0, i, cpu, si, k;
	const struct hwr_ctx *first = NULL;
	int ret;

	for (i = 0; i < sp->nr; i++) {
		const struct hwr_ctx *pc = &sp->p[i].c;

		c->v.records += pc->v.records;
		c->v.samples += pc->v.samples;
		c->v.subbufs += pc->v.subbufs;
		c->v.pads += pc->v.pads;
		c->v.unknown += pc->v.unknown;
		c->v.malformed += pc->v.malformed;
		c->v.unknown_source += pc->v.unknown_source;
		c->v.sel_samples += pc->v.sel_samples;
		if (pc->v.sel_last_ts > c->v.sel_last_ts)
			c->v.sel_last_ts = pc->v.sel_last_ts;
		if (pc->v.last_ts > c->v.last_ts)
			c->v.last_ts = pc->v.last_ts;
		if (pc->v.first_ts != UINT64_MAX &&
		    (!first || pc->v.first_ts < first->v.first_ts ||
		     (pc->v.first_ts == first->v.first_ts &&
		      (pc->first_cpu < first->first_cpu ||
		       (pc->first_cpu == first->first_cpu &&
			pc->first_file < first->first_file)))))
			first = pc;
		if (pc->v.cpu_cap > cap)
			cap = pc->v.cpu_cap;
	}
	if (first) {
		c->v.first_ts = first->v.first_ts;
		c->first_file = first->first_file;
		c->first_cpu = first->first_cpu;
	}
	ret = hwr_grow_cpus(c, cap);
	if (ret)
		return ret;
	/* per CPU: each CPU is one part's alone */
	for (cpu = 0; cpu < cap; cpu++) {
		struct hwr_part *p = &sp->p[cpu % sp->nr];
		struct hwr_ctx *pc = &p->c;
		uint32_t ps, ms;

		if (cpu >= pc->v.cpu_cap)
			continue;
		c->cpu_last_ts[cpu] = pc->cpu_last_ts[cpu];
		c->cpu_samples[cpu] = pc->cpu_samples[cpu];
		c->sb_next_seq[cpu] = pc->sb_next_seq[cpu];
		c->sb_lost[cpu] = pc->sb_lost[cpu];
		c->cpu_rotated[cpu] = pc->cpu_rotated[cpu];
		c->cpu_cut[cpu] = pc->cpu_cut[cpu];
		c->v.lost[cpu] = pc->v.lost[cpu];
		if (!pc->v.cpu_slot[cpu])
			continue;
		ps = pc->v.cpu_slot[cpu] - 1;
		ret = hwr_cpu_slot(c, cpu, &ms);
		if (ret)
			return ret;
		c->v.slot_data[ms] = pc->v.slot_data[ps];
		for (si = 0; si < c->nr_sources; si++) {
			struct hwr_source *s = &c->sources[si];
			struct hwr_source *d = &pc->sources[si];

			if (ps >= d->slot_cap)
				continue;
			ret = hwr_source_slots(s, ms + 1);
			if (ret)
				return ret;
			s->next_seq[ms] = d->next_seq[ps];
			s->last_ts[ms] = d->last_ts[ps];
			s->last_reg[ms] = d->last_reg[ps];
			s->series[ms] = d->series[ps];
			d->series[ps] = NULL;
			for (k = 0; s->series[ms] && k < s->nr_counters; k++) {
				s->series[ms][k].ctr = &s->counters[k];
				/* not in any of the main context's intervals */
				s->series[ms][k].epoch = 0;
			}
		}
	}
	for (i = 0; i < sp->nr; i++) {
		const struct hwr_ctx *pc = &sp->p[i].c;

		c->v.sample_gaps += pc->v.sample_gaps;
		c->v.sample_gap_records += pc->v.sample_gap_records;
		c->v.subbuf_gaps += pc->v.subbuf_gaps;
		c->v.subbuf_gap_count += pc->v.subbuf_gap_count;
		c->v.seq_backwards += pc->v.seq_backwards;
		c->v.events_dropped += pc->v.nr_events + pc->v.events_dropped;
		for (si = 0; si < c->nr_sources; si++) {
			struct hwr_source *s = &c->sources[si];
			const struct hwr_source *d = &pc->sources[si];

			s->malformed += d->malformed;
			s->gaps += d->gaps;
			s->gap_records += d->gap_records;
			s->seq_backwards += d->seq_backwards;
			for (k = 0; k < s->nr_counters; k++) {
				if (!s->counters[k].q || !d->counters[k].q)
					continue;
				ret = hwr_qsketch_merge(s->counters[k].q,
							d->counters[k].q);
				if (ret)
					return ret;
			}
		}
	}
	ret = hwr_split_events(sp, false);
	if (!ret)
		ret = hwr_split_events(sp, true);
	return ret;
}

/*
 * The spooled intervals, in time order, through hwr_close_interval() as
 * if the main context had seen their records: the sinks get the same
 * calls with the same values.
 */
static int hwr_split_replay(struct hwr_split *sp)
{
	struct hwr_ctx *c = sp->main;
	struct hwr_split_ivh h;
	struct hwr_split_rate e;
	int ret = 0;

	if (fflush(sp->spool) || fseeko(sp->spool, 0, SEEK_SET))
		return errno ? -errno : -EIO;
	while (!ret && fread(&h, sizeof(h), 1, sp->spool) == 1) {
		c->b_start = c->b_base + h.index * c->v.interval_ns;
		c->b_open = true;
		for (uint64_t i = 0; i < h.nr; i++) {
			struct hwr_counter *ct;
			struct hwr_series *se;
			uint32_t slot;

			if (fread(&e, sizeof(e), 1, sp->spool) != 1)
				return -EIO;
			ct = e.ctr;
			slot = c->v.cpu_slot[e.cpu] - 1;
			se = &ct->src->series[slot][ct->index];
			/*
			 * A first touch, every time: hwr_split_commit() left
			 * each series out of the main context's intervals,
			 * and an interval holds a series once (a CPU is one
			 * part's alone).
			 */
			ret = hwr_touch(c, se);
			if (ret)
				return ret;
			se->b_inc = e.b_inc;
			se->b_dt = e.b_dt;
			se->b_n = e.b_n;
			se->b_sum = e.b_sum;
			se->b_min = e.b_min;
			se->b_max = e.b_max;
		}
		ret = hwr_close_interval(c);
	}
	if (!ret && ferror(sp->spool))
		ret = -EIO;
	return ret;
}

int hwr_split_run(struct hwr_input *in, struct hwr_ctx *c, uint32_t parts)
{
	struct hwr_split sp = { .in = in, .main = c, .nr = parts };
	uint32_t i;
	int ret = 0;

	if (c->cfg.need_intervals) {
		sp.spool = tmpfile();
		if (!sp.spool)
			return 1;	/* nowhere to wait: the merge runs */
		/* glibc sizes a buffer it allocates by the file's block size */
		sp.spool_buf = malloc(HWR_SPLIT_SPOOL_BUF);
		if (sp.spool_buf)
			setvbuf(sp.spool, sp.spool_buf, _IOFBF,
				HWR_SPLIT_SPOOL_BUF);
	}
	sp.p = calloc(parts, sizeof(*sp.p));
	if (!sp.p) {
		if (sp.spool)
			fclose(sp.spool);
		free(sp.spool_buf);
		return -ENOMEM;
	}
	pthread_mutex_init(&sp.lock, NULL);
	pthread_cond_init(&sp.cond, NULL);
	for (i = 0; i < parts && !ret; i++)
		ret = hwr_part_init(&sp, &sp.p[i], i);
	if (ret)
		ret = -ECANCELED;
	for (i = 0; i < parts && !ret; i++) {
		ret = -pthread_create(&sp.p[i].th, NULL, hwr_part_main,
				      &sp.p[i]);
		if (!ret)
			sp.p[i].started = true;
	}
	if (ret) {
		ret = 0;	/* a part did not start: the merge runs */
		pthread_mutex_lock(&sp.lock);
		__atomic_store_n(&sp.stop, true, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&sp.cond);
		pthread_mutex_unlock(&sp.lock);
	} else {
		ret = hwr_split_combine(&sp);
	}
	for (i = 0; i < parts; i++)
		if (sp.p[i].started)
			pthread_join(sp.p[i].th, NULL);
	/*
	 * A part that could not finish (it gave up, or failed: a file that
	 * changed under it, no memory) leaves it to the one merge, which
	 * reports what it meets as always.
	 */
	for (i = 0; i < parts && ret >= 0; i++)
		if (!sp.p[i].started || sp.p[i].ret)
			ret = 1;
	if (!ret)
		ret = hwr_split_commit(&sp);
	if (!ret && sp.spool)
		ret = hwr_split_replay(&sp);
	if (!ret)
		hwr_split_runs++;
	if (sp.spool)
		fclose(sp.spool);
	free(sp.spool_buf);
	for (i = 0; i < parts; i++)
		hwr_part_fini(&sp.p[i]);
	free(sp.p);
	pthread_cond_destroy(&sp.cond);
	pthread_mutex_destroy(&sp.lock);
	return ret;
}
