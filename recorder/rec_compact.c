// SPDX-License-Identifier: MIT
/*
 * Compaction of finished files (formats/libhws/compact.c): the live file
 * keeps the short chunks that bound what a crash loses; once a file is
 * closed with its footer, its chunks are joined into long ones and the
 * compacted file replaces it atomically.
 *
 * At a rotation the closed file goes to one background thread, at the
 * lowest priority, one file at a time; the drain never waits for it (it
 * takes no lock a drain thread takes). The ring's removal of the oldest
 * file and the compaction's rename take r->ring_lock in turn, and the
 * rename happens only if the name still holds the file that was read. At
 * the end of the capture the main thread waits for the queue and compacts
 * the last file itself, before the summary, which then gives the final
 * size. A stop signal during that last phase abandons the compaction (the
 * original stays, the temporary file is removed); one more leaves at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rec.h"

struct rec_compactor {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;	/* the queue, done, and the totals below */
	pthread_cond_t cond;
	char **queue;
	uint32_t nr_queue;
	bool done;		/* no more files: finish the queue and end */
	uint64_t files;		/* compacted */
	uint64_t saved;		/* bytes the compacted files lost */
};

/* Set by a stop signal during the last phase: leave the originals. */
static volatile sig_atomic_t rec_compact_abandon;

static bool rec_compact_cancelled(void *arg)
{
	(void)arg;
	return rec_compact_abandon;
}

static void rec_compact_one(struct rec *r, const char *path)
{
	struct rec_compactor *cz = r->compactor;
	struct hwsi_compact_opts o = {
		.cancelled = rec_compact_cancelled,
		.lock = &r->ring_lock,
	};
	struct hwsi_compact_result res;
	int ret = hwsi_compact(path, &o, &res);

	if (ret == 1) {
		pthread_mutex_lock(&cz->lock);
		cz->files++;
		cz->saved += res.size_before - res.size_after;
		pthread_mutex_unlock(&cz->lock);
	} else if (ret < 0 && ret != -ENOENT && ret != -ESTALE &&
		   ret != -ECANCELED) {
		/* the file is as it was written: still complete */
		hwsdev_err("%s: not compacted, kept as written: %s", path,
			   ret == -EBADMSG ? "damaged or not finished" :
			   ret == -EPROTO ? "not a file this recorder compacts" :
			   ret == -ENOSPC ? "disk full" :
			   ret == -ELOOP ? "a symbolic link (only a file is replaced)" :
			   strerror(-ret));
	}
}

static void *rec_compact_thread(void *arg)
{
	struct rec *r = arg;
	struct rec_compactor *cz = r->compactor;

	/*
	 * The lowest priority, CPU and disk (the idle I/O class: 3 << 13):
	 * it must not take time from the drain. Either may be refused; it
	 * then runs at the recorder's own.
	 */
	pthread_setname_np(pthread_self(), "hws-compact");
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */,
		(int)syscall(SYS_gettid), 3 << 13);
	pthread_mutex_lock(&cz->lock);
	for (;;) {
		char *path;

		while (!cz->nr_queue && !cz->done)
			pthread_cond_wait(&cz->cond, &cz->lock);
		if (!cz->nr_queue)
			break;
		path = cz->queue[0];
		memmove(cz->queue, cz->queue + 1,
			--cz->nr_queue * sizeof(*cz->queue));
		pthread_mutex_unlock(&cz->lock);
		rec_compact_one(r, path);
		free(path);
		pthread_mutex_lock(&cz->lock);
	}
	pthread_mutex_unlock(&cz->lock);
	return NULL;
}

/*
 * At the start: remove what a killed compaction left in the output's
 * directory, and start the background thread unless --no-compact.
 */
int rec_compact_start(struct rec *r)
{
	char dir[sizeof(r->path)], stem[sizeof(r->path)];
	const char *slash = strrchr(r->o.output, '/');
	struct rec_compactor *cz;
	size_t n;
	sigset_t all, old;
	int ret;

	rec_output_dir(r, dir, sizeof(dir));
	/* FILE, STEM.hws or STEM-NNNNNN.hws: STEM (or FILE) */
	snprintf(stem, sizeof(stem), "%s", slash ? slash + 1 : r->o.output);
	n = strlen(stem);
	if (n > 4 && !strcmp(stem + n - 4, ".hws"))
		stem[n - 4] = 0;
	hwsi_compact_clean(dir, stem);
	rec_compact_abandon = 0;
	if (r->o.no_compact)
		return 0;
	cz = calloc(1, sizeof(*cz));
	if (!cz)
		return -ENOMEM;
	pthread_mutex_init(&cz->lock, NULL);
	pthread_cond_init(&cz->cond, NULL);
	r->compactor = cz;
	/* signals are the main thread's: the new thread starts blocking all */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&cz->thread, NULL, rec_compact_thread, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		/* files stay as written: no compaction, nothing else lost */
		hwsdev_err("cannot start the compaction thread: %s; files stay as written",
			   strerror(-ret));
		return 0;
	}
	cz->started = true;
	return 0;
}

/* A file closed at a rotation: compact it in the background. */
void rec_compact_queue(struct rec *r, const char *path)
{
	struct rec_compactor *cz = r->compactor;
	char **q, *p;

	if (!cz || !cz->started)
		return;
	p = strdup(path);
	if (!p)
		return;
	pthread_mutex_lock(&cz->lock);
	q = realloc(cz->queue, (cz->nr_queue + 1) * sizeof(*q));
	if (q) {
		cz->queue = q;
		cz->queue[cz->nr_queue++] = p;
		p = NULL;
		pthread_cond_signal(&cz->cond);
	}
	pthread_mutex_unlock(&cz->lock);
	free(p);
}

static void rec_compact_on_signal(int sig)
{
	(void)sig;
	rec_stop_signals++;
	if (rec_compact_abandon)
		_exit(REC_EXIT_INCOMPLETE);
	rec_compact_abandon = 1;
}

/*
 * The end: finish the queue, compact the last file (@path, NULL if none),
 * and take the bytes saved off r->closed_bytes for the summary.
 */
void rec_compact_finish(struct rec *r, const char *path)
{
	struct rec_compactor *cz = r->compactor;
	struct sigaction sa = { .sa_handler = rec_compact_on_signal,
				 .sa_flags = SA_RESTART }, oint, oterm;

	if (!cz)
		return;
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);
	if (cz->started) {
		pthread_mutex_lock(&cz->lock);
		cz->done = true;
		pthread_cond_signal(&cz->cond);
		pthread_mutex_unlock(&cz->lock);
		pthread_join(cz->thread, NULL);
		cz->started = false;
		if (path && !rec_compact_abandon)
			rec_compact_one(r, path);
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	r->closed_bytes -= cz->saved;
	r->compacted_files = cz->files;
	r->compact_saved = cz->saved;
	for (uint32_t i = 0; i < cz->nr_queue; i++)
		free(cz->queue[i]);
	free(cz->queue);
	pthread_mutex_destroy(&cz->lock);
	pthread_cond_destroy(&cz->cond);
	free(cz);
	r->compactor = NULL;
}
