// SPDX-License-Identifier: MIT
/*
 * The drain threads. One per CPU, pinned to that CPU (its data stays in
 * that CPU's caches). The kernel hands out complete sub-buffers only and
 * switches a partly filled one on its flush timer, so every read() returns
 * whole records. Each thread compresses its own chunks (libhws does it in
 * the caller), so compression scales with the CPUs being recorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "rec.h"

/*
 * The levels a CPU steps through: the user's (default 3), one by one down
 * to 1, then zstd's fast levels -1, -2, -4, ... -64, where compression
 * costs little more than a copy; then the bottom rung, for a CPU far
 * behind: the records stored as they are, neither column-encoded nor
 * compressed (a zstd frame of raw blocks), which costs a copy and two
 * checksums. Its ladder[] entry repeats the fastest level, unused.
 */
void rec_ladder_init(struct rec *r)
{
	int l = r->o.level ? r->o.level : 3, n = 0;
	int max = (int)(sizeof(r->ladder) / sizeof(r->ladder[0])) - 1;

	memset(r->ladder_raw, 0, sizeof(r->ladder_raw));
	r->ladder[n++] = l;
	while (r->o.adapt && n < max) {
		if (l > 1)
			l--;
		else if (l == 1)
			l = -1;
		else if (l > -64)
			l *= 2;
		else
			break;
		if (l < ZSTD_minCLevel())
			break;
		r->ladder[n++] = l;
	}
	if (r->o.adapt) {
		r->ladder[n] = r->ladder[n - 1];
		r->ladder_raw[n++] = true;
	}
	r->nr_ladder = (uint32_t)n;
}

static void rec_set_rung(struct rec_cpu *c, uint32_t rung)
{
	struct rec *r = c->r;

	if (rung == c->rung)
		return;
	c->rung = rung;
	pthread_rwlock_rdlock(&r->wlock);
	if (r->w) {
		hws_writer_set_level(r->w, c->cpu, r->ladder[rung]);
		hwsi_writer_set_raw(r->w, c->cpu, r->ladder_raw[rung]);
	}
	pthread_rwlock_unlock(&r->wlock);
}

/*
 * Where a CPU goes next, from its @pace, @calm (its calm wakes in a row)
 * and what its rungs were measured to cost (@cost: per record at each of
 * the @n rungs, on one scale, 0: not measured; see rec_cost_note()).
 * The compressed rungs go by their order, which zstd promises (each fast
 * level does less), down when behind and back up when calm, as zstd
 * --adapt does; the bottom rung is taken and kept by cost too, for it
 * stores 12 times the bytes, which where copies are slow costs more than
 * compressing.
 *
 * - Calm (no more than a quarter of a buffer waiting): one rung back up
 *   after REC_CALM_WAKES calm wakes in a row. Not on a measure that the
 *   rung above is cheaper: traced in bench part 5's guest, such climbs
 *   came every few milliseconds at levels -4 to 2, whose measures moved
 *   by a third from one chunk to the next, and each fell behind again.
 * - Behind (half a buffer waiting): half the way down to the bottom rung,
 *   at least one rung; records lost: to the fastest level at once. Never
 *   up: measures taken while the load moves scatter more than the fast
 *   levels differ (in bench part 5's guest, levels -1 to -64 within a
 *   tenth of each other), and a CPU that climbed on them while behind
 *   lost records at every step.
 * - The bottom rung is the last resort: taken only when records are lost
 *   at the fastest level, and not when it was measured dearer than that
 *   level (what its bytes cost beyond this thread, page cache memory,
 *   writeback, the disk, is no part of the measure); left, whatever the
 *   pace, once measured dearer than the rung above, or measured while the
 *   rung above, jumped over, is not: that one is tried once.
 */
uint32_t rec_ladder_choose(const double *cost, uint32_t n, uint32_t rung,
			   enum rec_pace pace, uint32_t calm, bool bottom)
{
	uint32_t last, step;
	bool cheaper_above;

	if (n < 2)
		return 0;
	if (rung >= n)
		rung = n - 1;
	last = n - 1;
	cheaper_above = rung && cost[rung] > 0 && cost[rung - 1] > 0 &&
			cost[rung - 1] * 9 < cost[rung] * 8;
	if (rung == last)
		return cheaper_above || !bottom || pace == REC_PACE_LOST ||
		       (cost[rung] > 0 && !(cost[rung - 1] > 0)) ||
		       (pace == REC_PACE_OK && calm >= REC_CALM_WAKES) ?
		       rung - 1 : rung;
	if (pace == REC_PACE_OK)
		return calm >= REC_CALM_WAKES && rung ? rung - 1 : rung;
	if (rung == last - 1)
		return pace == REC_PACE_LOST && bottom &&
		       !(cost[last] > 0 && cost[rung] > 0 &&
			 cost[last] >= cost[rung]) ? last : rung;
	if (pace == REC_PACE_LOST)
		return last - 1;
	step = (last - rung) / 2 ? (last - rung) / 2 : 1;
	return rung + step < last ? rung + step : last - 1;
}

/*
 * Adapt CPU @c's level to how far its drain is behind, as zstd --adapt
 * does: @bytes were read since its channel was last empty (@empty: it is
 * empty again now). Half a buffer or more waiting is falling behind,
 * records dropped since the last decision far behind; a quarter of a buffer or
 * less, at empty, is a calm wake. rec_ladder_choose() decides. At steady
 * low rates nothing ever waits long, and a CPU stays at the user's level.
 * A climb waits for REC_CALM_WAKES calm wakes in a row; one that falls
 * behind before the next climb doubles that wait (up to REC_CALM_MAX), one
 * that holds halves it, so that a rate the slower rung cannot keep up with
 * does not make the CPU climb and fall again and again.
 */
void rec_adapt(struct rec_cpu *c, uint64_t bytes, bool empty)
{
	struct rec *r = c->r;
	uint64_t cap = (uint64_t)r->hdr.subbuf_size * r->hdr.n_subbufs;
	enum rec_pace pace = REC_PACE_OK;
	uint32_t rung, bottom = r->nr_ladder - 1;
	uint64_t read;

	if (r->nr_ladder < 2 || !cap)
		return;
	if (c->seen_lost > c->lost_adapt) {
		c->lost_adapt = c->seen_lost;
		pace = REC_PACE_LOST;
		c->calm = 0;
	} else if (bytes >= cap / 2) {
		pace = REC_PACE_BEHIND;
		c->calm = 0;
	} else if (empty && bytes <= cap / 4) {
		c->calm++;
	} else if (empty) {
		c->calm = 0;
	}
	if (!c->calm_need)
		c->calm_need = REC_CALM_WAKES;
	if (pace != REC_PACE_OK && c->climb_on_trial) {
		/*
		 * The last climb fell behind before the next was due: under a
		 * rate the slower rung cannot hold, climbing back and falling
		 * again costs records each time. Wait twice as long for the
		 * next one.
		 */
		c->calm_need = c->calm_need * 2 > REC_CALM_MAX ? REC_CALM_MAX :
			       c->calm_need * 2;
		c->climb_on_trial = false;
	}
	/*
	 * At the bottom rung, loss counts once a buffer's worth was read
	 * there, after what the spill held when it was taken: the
	 * sub-buffer headers read before were written before.
	 */
	read = atomic_load(&c->raw_bytes);
	if (c->rung == bottom && pace == REC_PACE_LOST &&
	    read < c->bottom_from + cap)
		pace = REC_PACE_BEHIND;
	/* rec_ladder_choose() climbs at REC_CALM_WAKES; the wait is ours */
	rung = rec_ladder_choose(c->cost, r->nr_ladder, c->rung, pace,
				 c->calm >= c->calm_need ? REC_CALM_WAKES : 0,
				 !c->bottom_failed);
	if (c->rung == bottom && rung != bottom && pace == REC_PACE_LOST)
		c->bottom_failed = true;	/* storing did not keep up */
	if (rung == bottom && c->rung != bottom)	/* the spill too */
		c->bottom_from = read + (uint64_t)c->spill_n *
					r->hdr.subbuf_size;
	if (rung < c->rung && pace == REC_PACE_OK) {
		/* The climb before held until this one: wait less again. */
		if (c->climb_on_trial && c->calm_need > REC_CALM_WAKES)
			c->calm_need /= 2;
		c->climb_on_trial = true;
	}
	if (rung != c->rung) {
		c->calm = 0;
		if (r->trace_ladder)
			fprintf(stderr, "ladder: %.6f s cpu%u rung %u (level %d%s) -> %u (level %d%s): %s, %llu bytes behind, %llu lost, cost %.0f -> %.0f\n",
				rec_now() - r->t_start, c->cpu, c->rung,
				r->ladder[c->rung],
				r->ladder_raw[c->rung] ? ", stored" : "", rung,
				r->ladder[rung],
				r->ladder_raw[rung] ? ", stored" : "",
				pace == REC_PACE_LOST ? "records lost" :
				pace == REC_PACE_BEHIND ? "behind" : "calm",
				(unsigned long long)bytes,
				(unsigned long long)c->seen_lost,
				c->cost[c->rung], c->cost[rung]);
	}
	rec_set_rung(c, rung);
}

static bool rec_cost_known(const double *cost, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (cost[i] > 0)
			return true;
	return false;
}

/* A new measure weighs a quarter. */
static void rec_cost_fold(double *cost, double sample)
{
	*cost = *cost > 0 ? *cost * 0.75 + sample * 0.25 : sample;
}

/*
 * Note what writing cost CPU @c: @ns of its thread's CPU time appending
 * @recs records of @bytes (@flushed: closing its open chunk on the flush
 * timer). Each full chunk closed (the writer closes one at 1 MiB, here
 * followed from the bytes appended) ends a window: the appends since the
 * chunk before and this one's encoding and write, per record, at the rung
 * the chunk was encoded at, the current one.
 *
 * What a record costs moves with the machine's load far more than from one
 * rung to the next (in the emulated guest of bench part 5 the same rung
 * measured 580 and 2100 ns within six seconds, every rung within a
 * tenth of the others at any one time), so measures taken at different
 * times do not compare. Two windows in a row do: a window at a new rung
 * gives its cost as the rung before's times the ratio of the two windows,
 * which the load, the same in both, leaves alone. The first window
 * measured sets the scale; a window at the same rung as the one before
 * says only how the load moved. A chunk the timer closes, partly filled,
 * ends the chain: small chunks cost more per record at any rung, and the
 * next window is not next to the last in time.
 */
void rec_cost_note(struct rec_cpu *c, uint64_t ns, uint64_t recs,
		   uint64_t bytes, bool flushed)
{
	uint32_t n = sizeof(c->cost) / sizeof(c->cost[0]);
	uint64_t chunk = REC_CHUNK_BYTES;
	double s;

	if (flushed) {
		c->win_ns = c->win_recs = 0;
		c->chunk_fill = 0;
		c->last_ns = 0;
		return;
	}
	c->win_ns += ns;
	c->win_recs += recs;
	c->chunk_fill += bytes;
	if (c->chunk_fill < chunk)
		return;
	c->chunk_fill %= chunk;
	if (!c->win_recs || !c->win_ns || c->rung >= n) {
		c->win_ns = c->win_recs = 0;
		c->last_ns = 0;
		return;
	}
	s = (double)c->win_ns / (double)c->win_recs;
	c->win_ns = c->win_recs = 0;
	if (c->last_ns > 0 && c->last_rung != c->rung &&
	    c->cost[c->last_rung] > 0)
		rec_cost_fold(&c->cost[c->rung],
			      c->cost[c->last_rung] * s / c->last_ns);
	else if (!(c->cost[c->rung] > 0) && !rec_cost_known(c->cost, n))
		c->cost[c->rung] = s;
	c->last_ns = s;
	c->last_rung = c->rung;
}

static uint64_t rec_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The one walk over what a read returned: checks the records are a
 * stream of whole records (hws_stream_check()'s rules), counts them,
 * notes the newest lost count and the first source not yet described.
 * The writer then walks them once more to cut them into chunks.
 */
void rec_walk(struct rec_cpu *c, const char *p, size_t len,
	      struct rec_walk *w)
{
	size_t off = 0;

	memset(w, 0, sizeof(*w));
	while (len - off >= sizeof(struct hwstats_rec)) {
		const struct hwstats_rec *h = (const void *)(p + off);
		uint16_t rlen = h->len;

		if (rlen < sizeof(struct hwstats_rec) ||
		    rlen % HWSTATS_REC_ALIGN) {
			w->bad = true;
			break;
		}
		if (rlen > len - off)
			break;
		if (h->type == HWSTATS_REC_SAMPLE) {
			w->samples++;
			/* the last source known, without a call */
			if (!w->unknown && h->source != c->last_id)
				w->unknown = rec_source_unknown(c, h->source);
		} else if (h->type == HWSTATS_REC_SUBBUF &&
			   rlen >= sizeof(struct hwstats_subbuf_hdr)) {
			w->lost = ((const struct hwstats_subbuf_hdr *)h)->lost;
			w->have_lost = true;
		}
		w->records++;
		off += rlen;
	}
	w->whole = off;
}

static void rec_channel_path(const struct rec_cpu *c, char *path, size_t len)
{
	snprintf(path, len, "%s/%s%u", c->r->chandir, HWSTATS_CHANNEL_BASE,
		 c->cpu);
}

static size_t rec_map_size(const struct rec *r)
{
	return (size_t)r->hdr.subbuf_size * r->hdr.n_subbufs;
}

/*
 * Open the channel file (poll() says when a sub-buffer is complete, for
 * read() and the mapping alike), and map the buffer if the module offers
 * it. A CPU whose mapping fails (its buffer not there yet, an older
 * module) is read with read(), as is a flight recorder's CPU whose
 * sub-buffers do not fit c->buf (overwrite mode copies each one before
 * using it, see rec_map_locked()).
 */
static int rec_open_channel(struct rec_cpu *c)
{
	struct rec *r = c->r;
	char path[600];

	rec_channel_path(c, path, sizeof(path));
	c->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (c->fd < 0)
		return -errno;
	c->map = NULL;
	c->next_seq = c->consumed = 0;
	if (r->use_map &&
	    (!r->o.overwrite || r->hdr.subbuf_size <= REC_READ_SIZE))
		c->map = hwsdev_map(r->dev, c->cpu, rec_map_size(r));
	return 0;
}

static void rec_close_channel(struct rec_cpu *c)
{
	if (c->map)
		munmap((void *)c->map, rec_map_size(c->r));
	c->map = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * Take what a read() or a mapped sub-buffer gave: @p, @n bytes that must
 * be whole records. Returns 0 or -errno.
 */
static int rec_take(struct rec_cpu *c, const char *p, size_t n,
		    struct rec_walk *sum, uint64_t *ns)
{
	struct rec *r = c->r;
	struct rec_walk w;
	uint64_t t0;
	int ret;

	rec_walk(c, p, n, &w);
	if (w.bad || w.whole != n) {
		/* The kernel hands out whole records only; this is a bug. */
		hwsdev_err("%s/cpu%u: malformed record stream at byte %zu of %zu",
			   r->chandir, c->cpu, w.whole, n);
		return -EBADMSG;
	}
	/* What the ladder weighs is the writing: the append alone. */
	t0 = rec_thread_ns();
	ret = rec_append(c, p, n, w.unknown);
	*ns += rec_thread_ns() - t0;
	if (ret)
		return ret;
	if (w.have_lost) {
		sum->lost = w.lost;
		sum->have_lost = true;
	}
	sum->samples += w.samples;
	sum->records += w.records;
	sum->whole += n;
	return 0;
}

static void rec_took(struct rec_cpu *c, const struct rec_walk *sum,
		     uint64_t ns)
{
	if (!sum->whole)
		return;
	rec_cost_note(c, ns, sum->records, sum->whole, false);
	if (sum->have_lost)
		c->seen_lost = sum->lost;
	atomic_fetch_add(&c->samples, sum->samples);
	atomic_fetch_add(&c->records, sum->records);
	atomic_fetch_add(&c->raw_bytes, (uint64_t)sum->whole);
}

/*
 * The mapped buffer's complete sub-buffers, up to REC_READ_SIZE bytes of
 * them, taken by the protocol read() follows in the kernel (hwstats_abi.h,
 * "Zero-copy reading"), then one CONSUME for all of them (one per
 * REC_CONSUME_BYTES on the way). In no-overwrite
 * mode the writer keeps off a sub-buffer until it is consumed, so its
 * records go to the writer straight from the mapping. In overwrite mode
 * (drained after STOP, but the protocol does not lean on it) each is
 * copied first and dropped if the writer came round meanwhile; one the
 * writer has lapped is skipped, as read() skips it: the gap in the
 * sub-buffer numbers is the loss the file shows.
 * Returns bytes taken, 0 if none, -errno. Caller holds c->lock.
 */
/* Tell the kernel the sub-buffers before c->next_seq are done with. */
static int rec_consume(struct rec_cpu *c)
{
	struct rec *r = c->r;
	int ret;

	if (c->consumed == c->next_seq)
		return 0;
	ret = hwsdev_consume(r->dev, c->cpu, r->hdr.session_id, c->next_seq,
			     NULL);
	if (ret) {
		hwsdev_err("%s: cpu%u: consume: %s", r->o.device, c->cpu,
			   strerror(-ret));
		return ret;
	}
	c->consumed = c->next_seq;
	return 0;
}

/*
 * Whether CPU @c's complete sub-buffers go to the spill: while it holds
 * any (they are taken in order), or when the sub-buffer a quarter of the
 * buffer ahead of the next one to take has been entered (in no-overwrite
 * mode relay writes a sub-buffer's header as it enters it, and never laps).
 */
static bool rec_spill_wanted(const struct rec_cpu *c)
{
	const struct rec *r = c->r;
	uint64_t n = r->hdr.n_subbufs, ahead = n / 4 ? n / 4 : 1;
	const struct hwstats_subbuf_hdr *sh;

	if (!c->spill_slots || r->o.overwrite)
		return false;
	if (c->spill_n)
		return true;
	sh = (const void *)(c->map + ((c->next_seq + ahead) % n) *
			    r->hdr.subbuf_size);
	return *(volatile const __u64 *)&sh->seq == c->next_seq + ahead;
}

/* Copy one complete sub-buffer into the spill; false if it is full. */
static bool rec_spill_put(struct rec_cpu *c, const char *h, uint32_t used)
{
	size_t size = c->r->hdr.subbuf_size;
	uint32_t slot;

	if (c->spill_n == c->spill_slots)
		return false;
	if (!c->spill) {
		c->spill = malloc((size_t)c->spill_slots * size);
		c->spill_len = calloc(c->spill_slots, sizeof(*c->spill_len));
		if (!c->spill || !c->spill_len) {
			free(c->spill);
			free(c->spill_len);
			c->spill = NULL;
			c->spill_len = NULL;
			c->spill_slots = 0;	/* no memory: no spill */
			return false;
		}
	}
	slot = (c->spill_head + c->spill_n) % c->spill_slots;
	hwsi_copy(c->spill + (size_t)slot * size, h, used);
	c->spill_len[slot] = used;
	c->spill_n++;
	if (c->spill_n > c->spill_peak)
		c->spill_peak = c->spill_n;
	return true;
}

static ssize_t rec_map_locked(struct rec_cpu *c, uint64_t *moved)
{
	struct rec *r = c->r;
	uint64_t n = r->hdr.n_subbufs, size = r->hdr.subbuf_size;
	uint64_t laps = 0, held = 0, ns = 0;
	uint64_t limit = UINT64_MAX;
	bool spill = rec_spill_wanted(c);
	struct rec_walk sum;
	int ret = 0;

	memset(&sum, 0, sizeof(sum));
	if (r->o.overwrite) {
		/*
		 * Only sub-buffers relay counts produced have a header of this
		 * session: the pages of one not yet entered hold whatever
		 * they held before. Those lapped are gone.
		 */
		ret = hwsdev_consume(r->dev, c->cpu, r->hdr.session_id,
				     c->consumed, &limit);
		if (ret) {
			hwsdev_err("%s: cpu%u: consume: %s", r->o.device,
				   c->cpu, strerror(-ret));
			return ret;
		}
		if (limit - c->next_seq > n)
			c->next_seq = limit - n;
	}
	while (sum.whole < REC_READ_SIZE && c->next_seq < limit) {
		const char *h = c->map + (c->next_seq % n) * size;
		const struct hwstats_subbuf_hdr *sh = (const void *)h;
		const char *p = h;
		uint64_t seq;
		uint32_t used;

		/*
		 * A plain load and a fence, as the kernel's read(): a 64-bit
		 * acquire is no single instruction on 32-bit machines.
		 */
		seq = *(volatile const __u64 *)&sh->seq;
		atomic_thread_fence(memory_order_acquire);
		if (seq != c->next_seq) {
			/*
			 * In no-overwrite mode the writer never laps: the
			 * next sub-buffer, whose header the writer wrote when
			 * it completed the one before, is not complete yet.
			 */
			if (!r->o.overwrite ||
			    (int64_t)(seq - c->next_seq) < 0 || ++laps > 3 * n)
				break;
			/* Overwritten: what is left starts at seq - n + 1. */
			c->next_seq = seq - n + 1 > c->next_seq ?
				      seq - n + 1 : c->next_seq + 1;
			continue;
		}
		used = __atomic_load_n(&sh->used, __ATOMIC_ACQUIRE);
		if (used < sizeof(*sh) || used > size)
			break;	/* not published yet: poll() says when */
		if (spill) {
			/* the spill full: the rest waits in the kernel */
			if (!rec_spill_put(c, h, used))
				break;
			*moved += used;
		} else {
			if (r->o.overwrite) {
				memcpy(c->buf, h, used);
				atomic_thread_fence(memory_order_acquire);
				if (*(volatile const __u64 *)&sh->seq != seq) {
					/* overwritten while copied */
					c->next_seq++;
					continue;
				}
				p = c->buf;
			}
			ret = rec_take(c, p, used, &sum, &ns);
			if (ret)
				break;
		}
		c->next_seq++;
		held += used;
		/*
		 * An append may encode and compress a whole chunk, which
		 * under load takes a good part of a second: what it holds
		 * unconsumed meanwhile is buffer the kernel cannot fill.
		 */
		if (held >= REC_CONSUME_BYTES) {
			ret = rec_consume(c);
			if (ret)
				break;
			held = 0;
		}
	}
	if (!ret)
		ret = rec_consume(c);
	else
		rec_consume(c);	/* what was taken is in the file */
	/*
	 * Then one sub-buffer out of the spill, the kernel told first that
	 * what was copied is free again: the next call looks at the kernel's
	 * buffer before it compresses another.
	 */
	if (!ret && c->spill_n) {
		uint32_t h = c->spill_head;

		ret = rec_take(c, c->spill + (size_t)h * size,
			       c->spill_len[h], &sum, &ns);
		if (!ret) {
			c->spill_head = (h + 1) % c->spill_slots;
			c->spill_n--;
		}
	}
	rec_took(c, &sum, ns);
	return ret ? ret : (ssize_t)sum.whole;
}

/*
 * Read once; returns bytes of whole records appended, 0 if none, -errno.
 * Caller holds c->lock.
 */
static ssize_t rec_read_locked(struct rec_cpu *c, uint64_t *moved)
{
	struct rec_walk sum;
	uint64_t ns = 0;
	ssize_t n;
	int ret;

	if (c->fd < 0)
		return 0;
	if (c->map)
		return rec_map_locked(c, moved);
	n = read(c->fd, c->buf, REC_READ_SIZE);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 0;
	memset(&sum, 0, sizeof(sum));
	ret = rec_take(c, c->buf, (size_t)n, &sum, &ns);
	if (ret)
		return ret;
	rec_took(c, &sum, ns);
	return n;
}

/*
 * Read once and adapt the level: every read counts, the final drain's and
 * a cut's too, so that what was read at a level is compressed at the
 * level the reading asked for. Behind: adapt at once; caught up: at empty.
 */
static ssize_t rec_read_once(struct rec_cpu *c)
{
	uint64_t half = (uint64_t)c->r->hdr.subbuf_size * c->r->hdr.n_subbufs / 2;
	uint64_t moved = 0;
	ssize_t n;

	pthread_mutex_lock(&c->lock);
	n = rec_read_locked(c, &moved);
	if (n >= 0) {
		/* what was compressed since the channel and the spill were
		 * last empty: copies into the spill are no measure of it */
		c->wake_bytes += (uint64_t)n;
		if ((!n && !moved) || c->wake_bytes >= half) {
			rec_adapt(c, c->wake_bytes, !n && !moved);
			c->wake_bytes = 0;
		}
		n += (ssize_t)moved;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

/*
 * Read a CPU's channel and its spill until both are empty, or until @max
 * bytes (0: no limit) beyond twice what the spill held at the start (a
 * byte taken through the spill counts twice: copied in, compressed out);
 * 0, or -errno on a failure. Its own thread and, at a cut, the main
 * thread call it; c->lock makes them take turns.
 */
int rec_drain_cpu(struct rec_cpu *c, uint64_t max)
{
	uint64_t got = 0;
	ssize_t n;

	if (max) {
		pthread_mutex_lock(&c->lock);
		max += 2 * (uint64_t)c->spill_n * c->r->hdr.subbuf_size;
		pthread_mutex_unlock(&c->lock);
	}
	do {
		n = rec_read_once(c);
		got += n > 0 ? n : 0;
	} while (n > 0 && (!max || got < max));
	return n < 0 ? (int)n : 0;
}

/*
 * Close this CPU's chunk: what it holds has waited a flush interval. Each
 * drain thread closes its own CPUs' chunks, so a busy CPU never waits for
 * a quiet one's compression; wlock for reading only keeps the file from
 * changing under it.
 */
static int rec_flush_cpu(struct rec_cpu *c)
{
	struct rec *r = c->r;
	int ret;

	pthread_mutex_lock(&c->lock);
	pthread_rwlock_rdlock(&r->wlock);
	ret = r->w ? hws_writer_flush_cpu(r->w, c->cpu) : 0;
	pthread_rwlock_unlock(&r->wlock);
	rec_cost_note(c, 0, 0, 0, true);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/*
 * One worker serves CPUs lead, lead + step, ...: its own CPU alone (one
 * thread per online CPU, the default), or every T-th CPU of --threads T.
 * A CPU whose channel file is missing (never online so far) is looked for
 * again on every round by a shared worker.
 */
static void *rec_worker_main(void *arg)
{
	struct rec_cpu *lead = arg;
	struct rec *r = lead->r;
	uint32_t step = r->step, cpu, nfds;
	struct pollfd *pfd = calloc(r->nr_cpus / step + 1, sizeof(*pfd));
	double flush_s = (r->o.flush_ns ? r->o.flush_ns :
			  HWSTATS_DEFAULT_FLUSH_NS) / 1e9;
	double next_flush = rec_now() + flush_s;
	bool got;
	int err = 0;
	char name[16];

	/* "hws-drain/N" in top -H and in each task's comm under /proc */
	snprintf(name, sizeof(name), "hws-drain/%u", lead->cpu);
	pthread_setname_np(pthread_self(), name);
	if (!pfd) {
		rec_set_fatal(r, -ENOMEM);
		return NULL;
	}
	while (!atomic_load(&r->fatal) && !err) {
		bool drain = atomic_load(&r->drain);
		double now;
		int wait_ms;

		nfds = 0;
		for (cpu = lead->cpu; cpu < r->nr_cpus; cpu += step) {
			struct rec_cpu *c = &r->cpus[cpu];

			pthread_mutex_lock(&c->lock);
			if (c->fd < 0)
				rec_open_channel(c);
			pfd[nfds].fd = c->fd;
			pthread_mutex_unlock(&c->lock);
			if (pfd[nfds].fd < 0)
				continue;
			pfd[nfds].events = POLLIN;
			nfds++;
		}
		if (drain) {
			/* The session is stopped and flushed: empty it. */
			for (cpu = lead->cpu; cpu < r->nr_cpus && !err; cpu += step)
				if (r->cpus[cpu].fd >= 0)
					err = rec_drain_cpu(&r->cpus[cpu], 0);
			break;
		}
		now = rec_now();
		if (now >= next_flush && !r->o.overwrite) {
			for (cpu = lead->cpu; cpu < r->nr_cpus && !err;
			     cpu += step)
				err = rec_flush_cpu(&r->cpus[cpu]);
			next_flush = now + flush_s;
		}
		wait_ms = (int)((next_flush - now) * 1000) + 1;
		if (wait_ms > REC_POLL_MS)
			wait_ms = REC_POLL_MS;
		if (r->o.overwrite || !nfds) {
			/* Flight recorder: the kernel keeps the newest data. */
			usleep(REC_POLL_MS * 1000);
			continue;
		}
		poll(pfd, nfds, wait_ms);
		/*
		 * One read per CPU per round, rounds until all are empty: a
		 * worker serving several CPUs must not stay on a busy one
		 * while the buffers of the others fill up.
		 */
		do {
			got = false;
			for (cpu = lead->cpu; cpu < r->nr_cpus && !err;
			     cpu += step) {
				struct rec_cpu *c = &r->cpus[cpu];
				ssize_t n;

				if (c->fd < 0)
					continue;
				n = rec_read_once(c);
				if (n < 0) {
					err = (int)n;
					continue;
				}
				if (n > 0)
					got = true;
			}
		} while (got && !err && !atomic_load(&r->fatal) &&
			 !atomic_load(&r->drain));
	}
	if (err) {
		lead->err = err;
		rec_set_fatal(r, err);
	}
	for (cpu = lead->cpu; cpu < r->nr_cpus; cpu += step) {
		struct rec_cpu *c = &r->cpus[cpu];

		pthread_mutex_lock(&c->lock);
		rec_close_channel(c);
		pthread_mutex_unlock(&c->lock);
	}
	free(pfd);
	return NULL;
}

/*
 * Start the worker led by @c. With one thread per CPU it is pinned to its
 * CPU once, here (its data stays in that CPU's caches, and a reader on
 * the writing CPU never meets a record being written); if the CPU went
 * offline in between, the thread starts unpinned and says so. Signals
 * stay blocked in it: the main thread alone takes them.
 */
static int rec_thread_start(struct rec *r, struct rec_cpu *c)
{
	sigset_t all, old;
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	ret = pthread_attr_init(&attr);
	if (ret)
		return -ret;
	c->fd = -1;
	if (r->step == r->nr_cpus) {
		CPU_ZERO(&set);
		CPU_SET(c->cpu, &set);
		ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (ret)
			goto out;
	}
	/* Every signal blocked in the thread: the main thread takes them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&c->thread, &attr, rec_worker_main, c);
	if (ret == EINVAL && r->step == r->nr_cpus) {
		/* The CPU is offline: affinity to it cannot be set. */
		c->pinned = false;
		pthread_attr_destroy(&attr);
		ret = pthread_attr_init(&attr);
		if (!ret)
			ret = pthread_create(&c->thread, &attr, rec_worker_main, c);
	} else if (!ret) {
		c->pinned = r->step == r->nr_cpus;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ret)
		c->started = true;
out:
	pthread_attr_destroy(&attr);
	if (ret)
		hwsdev_err("cpu%u: cannot start a drain thread: %s", c->cpu,
			   strerror(ret));
	return -ret;
}

/*
 * The CPUs online now, from sysfs ("0-3,6"), into @on (nr_cpus bytes).
 * 0, or -errno (then every CPU counts as online).
 */
static int rec_online(const struct rec *r, uint8_t *on)
{
	char buf[4096], *p = buf, *end;
	unsigned long a, b;
	ssize_t n;
	int fd;

	memset(on, 1, r->nr_cpus);
	fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EINVAL;
	buf[n] = '\0';
	memset(on, 0, r->nr_cpus);
	while (*p >= '0' && *p <= '9') {
		a = b = strtoul(p, &end, 10);
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (; a <= b && a < r->nr_cpus; a++)
			on[a] = 1;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/*
 * Start a drain for every online CPU that has a channel and none yet: at
 * the start those online, later those that come online (the main thread
 * calls this often; it reads one sysfs file and looks only at online CPUs
 * without a drain). With --threads, all T shared workers at the first call.
 */
int rec_threads_poll(struct rec *r)
{
	char path[600];
	uint8_t *on;
	uint32_t i;
	int ret = 0;

	if (r->step != r->nr_cpus) {
		for (i = 0; i < r->nr_threads; i++) {
			if (r->cpus[i].started)
				continue;
			ret = rec_thread_start(r, &r->cpus[i]);
			if (ret)
				return ret;
		}
		return 0;
	}
	on = malloc(r->nr_cpus);
	if (!on)
		return -ENOMEM;
	rec_online(r, on);
	for (i = 0; i < r->nr_cpus && !ret; i++) {
		struct rec_cpu *c = &r->cpus[i];

		/* offline CPUs too, once they have a channel, when stopping */
		if (c->started || (!on[i] && !atomic_load(&r->drain)))
			continue;
		rec_channel_path(c, path, sizeof(path));
		if (access(path, F_OK))
			continue;
		ret = rec_thread_start(r, c);
		if (!ret)
			r->nr_threads++;
	}
	free(on);
	return ret;
}

int rec_threads_start(struct rec *r)
{
	uint32_t i;

	atomic_store(&r->drain, 0);
	for (i = 0; i < r->nr_cpus; i++)
		r->cpus[i].fd = -1;
	if (r->step == r->nr_cpus)
		r->nr_threads = 0;
	return rec_threads_poll(r);
}

/*
 * The session is stopped: drain every channel, wait for the threads. A
 * channel that appeared since the last poll gets its drain first.
 */
void rec_threads_stop(struct rec *r)
{
	uint32_t i;

	atomic_store(&r->drain, 1);
	rec_threads_poll(r);
	for (i = 0; i < r->nr_cpus; i++) {
		struct rec_cpu *c = &r->cpus[i];

		if (!c->started)
			continue;
		pthread_join(c->thread, NULL);
		c->started = false;
	}
}
