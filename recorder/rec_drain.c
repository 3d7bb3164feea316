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
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"

/* Walk whole records: count them, note the newest lost count. */
static void rec_account(struct rec_cpu *c, const char *p, size_t len)
{
	uint64_t samples = 0, records = 0;
	size_t off = 0;

	while (off + sizeof(struct hwstats_rec) <= len) {
		const struct hwstats_rec *h = (const void *)(p + off);

		if (h->type == HWSTATS_REC_SAMPLE)
			samples++;
		else if (h->type == HWSTATS_REC_SUBBUF &&
			 h->len >= sizeof(struct hwstats_subbuf_hdr))
			c->seen_lost = ((const struct hwstats_subbuf_hdr *)h)->lost;
		records++;
		off += h->len;
	}
	atomic_fetch_add(&c->samples, samples);
	atomic_fetch_add(&c->records, records);
	atomic_fetch_add(&c->raw_bytes, len);
}

static void rec_channel_path(const struct rec_cpu *c, char *path, size_t len)
{
	snprintf(path, len, "%s/%s%u", c->r->chandir, HWSTATS_CHANNEL_BASE,
		 c->cpu);
}

static int rec_open_channel(struct rec_cpu *c)
{
	char path[600];

	rec_channel_path(c, path, sizeof(path));
	c->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	return c->fd < 0 ? -errno : 0;
}

/*
 * Read once; returns bytes of whole records appended, 0 if none, -errno.
 * Caller holds c->lock.
 */
static ssize_t rec_read_locked(struct rec_cpu *c)
{
	struct rec *r = c->r;
	size_t bad = 0;
	ssize_t n;
	long whole;
	int ret;

	if (c->fd < 0)
		return 0;
	n = read(c->fd, c->buf, REC_READ_SIZE);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 0;
	whole = hws_stream_check(c->buf, n, &bad);
	if (whole < 0 || whole != n) {
		/* The kernel hands out whole records only; this is a bug. */
		hwsdev_err("%s/cpu%u: malformed record stream at byte %zu of a %zd-byte read",
			   r->chandir, c->cpu, bad, n);
		return -EBADMSG;
	}
	ret = rec_append(c, c->buf, n);
	if (ret)
		return ret;
	rec_account(c, c->buf, n);
	return n;
}

static ssize_t rec_read_once(struct rec_cpu *c)
{
	ssize_t n;

	pthread_mutex_lock(&c->lock);
	n = rec_read_locked(c);
	pthread_mutex_unlock(&c->lock);
	return n;
}

/*
 * Read a CPU's channel until it is empty, or until @max bytes (0: no
 * limit); 0, or -errno on a failure. Its own thread and, at a cut, the
 * main thread call it; c->lock makes them take turns.
 */
int rec_drain_cpu(struct rec_cpu *c, uint64_t max)
{
	uint64_t got = 0;
	ssize_t n;

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

	pthread_rwlock_rdlock(&r->wlock);
	ret = r->w ? hws_writer_flush_cpu(r->w, c->cpu) : 0;
	pthread_rwlock_unlock(&r->wlock);
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
				ssize_t n;

				if (r->cpus[cpu].fd < 0)
					continue;
				n = rec_read_once(&r->cpus[cpu]);
				if (n < 0)
					err = (int)n;
				else if (n > 0)
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
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
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
 * Start a drain for every CPU that has a channel and none yet: at the
 * start those online, later those that come online. With --threads, all
 * T shared workers at the first call.
 */
int rec_threads_poll(struct rec *r)
{
	char path[600];
	uint32_t i;
	int ret;

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
	for (i = 0; i < r->nr_cpus; i++) {
		struct rec_cpu *c = &r->cpus[i];

		if (c->started)
			continue;
		rec_channel_path(c, path, sizeof(path));
		if (access(path, F_OK))
			continue;
		ret = rec_thread_start(r, c);
		if (ret)
			return ret;
		r->nr_threads++;
	}
	return 0;
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

	rec_threads_poll(r);
	atomic_store(&r->drain, 1);
	for (i = 0; i < r->nr_cpus; i++) {
		struct rec_cpu *c = &r->cpus[i];

		if (!c->started)
			continue;
		pthread_join(c->thread, NULL);
		c->started = false;
	}
}
