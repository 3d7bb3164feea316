// SPDX-License-Identifier: MIT
/*
 * The session: open the device, start the kernel session, run the main
 * loop (signals, deadlines, rotation, flight-recorder dumps), stop, close
 * the last file and print the summary.
 *
 * Signals only set flags; the main loop stops the session, the threads
 * drain until read() returns 0, and the file is closed with its footer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "rec.h"

volatile sig_atomic_t rec_stop_signals;

static const char *rec_start_error(int err)
{
	switch (err) {
	case -EBUSY:
		return "a session is already running (another hwstats-record?), or a reader still holds the last one's channel files open";
	case -EPERM:
		return "starting a session needs root (CAP_SYS_ADMIN)";
	case -EOPNOTSUPP:
		return "the module has no debugfs (not mounted at load, or blocked by kernel lockdown)";
	case -ENOMEM:
		return "the kernel could not allocate the buffers; try a smaller --buffer-size or --buffers";
	case -ENOENT:
		return "a selected source went away";
	default:
		return strerror(-err);
	}
}

static int rec_build_header(struct rec *r)
{
	struct hwstats_info info;
	struct hws_header *h = &r->hdr;
	struct utsname u;
	int ret;

	ret = hwsdev_info(r->dev, &info);
	if (ret)
		return ret;
	memset(h, 0, sizeof(*h));
	if (gethostname(h->host, sizeof(h->host) - 1) < 0)
		strcpy(h->host, "unknown");
	/* Both fit: 64 >= sizeof(u.release) here, 32 == the ABI's field. */
	if (uname(&u) == 0)
		memcpy(h->kernel, u.release,
		       sizeof(h->kernel) < sizeof(u.release) ?
		       sizeof(h->kernel) - 1 : sizeof(u.release));
	memcpy(h->module_version, r->ver.module_version,
	       sizeof(h->module_version) - 1);
	h->clock = 0;
	h->nr_cpus = info.nr_cpu_ids;
	h->subbuf_size = info.subbuf_size;
	h->n_subbufs = info.n_subbufs;
	h->session_flags = info.session_flags;
	h->session_id = info.session_id;
	h->period_ns = info.period_ns;
	h->start_boot_ns = info.start_boot_ns;
	h->start_real_ns = info.start_real_ns;
	h->nr_sources = r->nr_src;
	h->sources = r->src;
	r->nr_cpus = info.nr_cpu_ids;
	return 0;
}

/* CPUs online now: each gets a buffer (relay follows CPUs coming online). */
static uint32_t rec_nr_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (uint32_t)n : 1;
}

static int rec_session_start(struct rec *r)
{
	struct hwstats_start start = { .size = sizeof(start) };
	int ret;

	start.flags = r->o.overwrite ? HWSTATS_START_OVERWRITE : 0;
	start.subbuf_size = r->o.subbuf_size;
	start.n_subbufs = rec_n_subbufs(&r->o, rec_nr_online());
	start.period_ns = r->o.period_ns;
	start.flush_interval_ns = r->o.flush_ns;
	start.nr_sources = r->nr_ids;
	start.source_ids = (uintptr_t)r->ids;
	ret = hwsdev_start(r->dev, &start);
	if (ret) {
		hwsdev_err("%s: cannot start: %s", r->o.device,
			   rec_start_error(ret));
		return ret;
	}
	ret = rec_build_header(r);
	if (ret)
		hwsdev_err("%s: session information: %s", r->o.device,
			   strerror(-ret));
	return ret;
}

static void rec_progress(struct rec *r, double elapsed)
{
	uint64_t samples = 0, raw, file;
	uint32_t i;

	pthread_rwlock_rdlock(&r->wlock);
	file = r->closed_bytes + (r->w ? hws_writer_file_bytes(r->w) : 0);
	raw = r->closed_raw + (r->w ? hws_writer_raw_bytes(r->w) : 0);
	pthread_rwlock_unlock(&r->wlock);
	for (i = 0; i < r->nr_cpus; i++)
		samples += atomic_load(&r->cpus[i].samples);
	fprintf(stderr, "\r%7.1fs  %10llu records  %8.0f rec/s  %9.1f KiB  ratio %5.1fx ",
		elapsed, (unsigned long long)samples,
		elapsed > 0 ? samples / elapsed : 0.0, file / 1024.0,
		file ? (double)raw / file : 0.0);
	fflush(stderr);
}

static bool rec_summary(struct rec *r, const struct hwstats_cpu_stats *st,
			uint32_t nr_st, double elapsed)
{
	uint64_t t_samples = 0, t_raw = 0, t_lost = 0;
	bool incomplete = false;
	uint32_t i, peak;

	if (!r->o.quiet)
		printf("\n%-5s %12s %12s %10s %8s\n", "cpu", "records",
		       "raw bytes", "lost", "% lost");
	for (i = 0; i < r->nr_cpus; i++) {
		struct rec_cpu *c = &r->cpus[i];
		uint64_t s = atomic_load(&c->samples);
		uint64_t raw = atomic_load(&c->raw_bytes);
		uint64_t lost = i < nr_st ? st[i].lost : c->seen_lost;
		uint64_t kern = i < nr_st ? st[i].records : s;

		/*
		 * Overwrite mode drops old data by design, and after an output
		 * failure the files hold less than was taken: no comparison.
		 */
		if (kern != s && !r->o.overwrite && !atomic_load(&r->fatal)) {
			incomplete = true;
			hwsdev_err("cpu%u: the kernel wrote %llu records, the files have %llu",
				   i, (unsigned long long)kern,
				   (unsigned long long)s);
		}
		t_samples += s;
		t_raw += raw;
		t_lost += lost;
		if (r->o.quiet || (!s && !lost))
			continue;
		printf("%-5u %12llu %12llu %10llu %7.3f%%\n", i,
		       (unsigned long long)s, (unsigned long long)raw,
		       (unsigned long long)lost,
		       s + lost ? 100.0 * lost / (s + lost) : 0.0);
	}
	if (r->o.quiet)
		return incomplete;
	printf("%-5s %12llu %12llu %10llu %7.3f%%\n", "total",
	       (unsigned long long)t_samples, (unsigned long long)t_raw,
	       (unsigned long long)t_lost,
	       t_samples + t_lost ? 100.0 * t_lost / (t_samples + t_lost) : 0.0);
	if (atomic_load(&r->fatal))
		printf("the output failed: the records above were read, the files hold those of every chunk completed before the failure\n");
	printf("%s%s: %llu records in %.2f s, %llu bytes (%.1fx smaller than raw), %llu lost\n",
	       r->nr_files > 1 ? "last of the files, " : "", r->path,
	       (unsigned long long)t_samples, elapsed,
	       (unsigned long long)r->closed_bytes,
	       r->closed_bytes ? (double)t_raw / r->closed_bytes : 0.0,
	       (unsigned long long)t_lost);
	if (r->nr_files > 1)
		printf("%u files written, %u kept\n", r->nr_files, r->nr_ring);
	if (r->compacted_files)
		printf("%llu finished file%s compacted into longer chunks: %llu bytes smaller\n",
		       (unsigned long long)r->compacted_files,
		       r->compacted_files > 1 ? "s" : "",
		       (unsigned long long)r->compact_saved);
	if (r->level_min && r->level_min != r->level_max)
		printf("compression levels %d to %d: a CPU that fell behind got faster levels (each file's footer keeps its own)\n",
		       r->level_max, r->level_min);
	else if (r->level_min)
		printf("compression level %d\n", r->level_min);
	if (r->raw_rung_chunks)
		printf("%llu chunks stored raw, neither column-encoded nor compressed, to keep up\n",
		       (unsigned long long)r->raw_rung_chunks);
	for (i = 0, peak = 0; r->cpus && i < r->nr_cpus; i++)
		if (r->cpus[i].spill_peak > peak)
			peak = r->cpus[i].spill_peak;
	if (peak)
		printf("spill: up to %llu KiB of a CPU's records waited in memory to be compressed (--spill %llu KiB)\n",
		       (unsigned long long)peak * r->hdr.subbuf_size >> 10,
		       (unsigned long long)r->cpus[0].spill_slots *
		       r->hdr.subbuf_size >> 10);
	if (t_lost && !r->o.overwrite)
		printf("advice: records were dropped because a CPU's buffer was full; "
		       "raise --buffer-size or --buffers (now %u x %u bytes per CPU), "
		       "or lower the rate. 'hwstats-report' shows when.\n",
		       (unsigned)r->hdr.n_subbufs, (unsigned)r->hdr.subbuf_size);
	return incomplete;
}

/*
 * Whether @path is the hwstats control device: the misc device's number
 * in sysfs against the file's. Only asked when the version query failed,
 * to tell "not our device" from "our device, another ABI".
 */
static bool rec_is_hwstats_dev(const char *path)
{
	unsigned int maj, min;
	struct stat st;
	FILE *f;
	bool ok;

	if (stat(path, &st) || !S_ISCHR(st.st_mode))
		return false;
	f = fopen("/sys/class/misc/" HWSTATS_DEVICE_NAME "/dev", "re");
	if (!f)
		return false;
	ok = fscanf(f, "%u:%u", &maj, &min) == 2 &&
	     major(st.st_rdev) == maj && minor(st.st_rdev) == min;
	fclose(f);
	return ok;
}

/* The signals the main thread waits for; blocked in every thread. */
static void rec_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

void rec_init(struct rec *r)
{
	pthread_rwlockattr_t attr;
	sigset_t set;

	memset(r, 0, sizeof(*r));
	/*
	 * Blocked from the start; rec_run() lets SIGINT and SIGTERM through
	 * to main's handler, the main loop takes them all with sigtimedwait(),
	 * and drain threads start with every signal blocked.
	 */
	rec_sigset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	r->dev = -1;
	r->next_fd = -1;
	/*
	 * Appends take wlock for reading all the time, from every drain
	 * thread: glibc's default kind lets new readers in while a writer
	 * waits, so a rotation could wait for as long as the CPUs are busy.
	 * A waiting writer goes first.
	 */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&r->wlock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&r->ring_lock, NULL);
}

/* Device, debugfs, the sources registered. -errno after one line. */
int rec_setup(struct rec *r)
{
	int ret;

	r->numbered = r->o.rotate_size || r->o.rotate_ns || r->o.max_files ||
		      r->o.overwrite;
	r->dev = hwsdev_open(r->o.device, &r->ver);
	if (r->dev < 0) {
		ret = r->dev;
		r->dev = -1;
		if (ret == -EPROTONOSUPPORT && !rec_is_hwstats_dev(r->o.device))
			hwsdev_err("%s: not the hwstats control device (that is " HWSDEV_DEFAULT_DEVICE ")",
				   r->o.device);
		else
			hwsdev_err("%s: %s", r->o.device, hwsdev_open_hint(ret));
		return ret;
	}
	r->use_map = r->ver.abi_minor >= 1 && !getenv(REC_MAP_ENV);
	r->trace_ladder = getenv(REC_LADDER_ENV) != NULL;
	r->t_start = rec_now();
	ret = hwsdev_channel_dir(r->chandir, sizeof(r->chandir));
	if (ret) {
		hwsdev_err("debugfs: %s", ret == -ENOENT ?
			   "not mounted (mount -t debugfs none /sys/kernel/debug)" :
			   ret == -EACCES || ret == -EPERM ?
			   "permission denied: capturing needs root (CAP_SYS_ADMIN); without it, hwstats-stat takes snapshots" :
			   ret == -ENOTDIR ?
			   "no hwstats directory (debugfs mounted after the module loaded, or blocked by kernel lockdown)" :
			   strerror(-ret));
		return ret;
	}
	ret = hwsdev_sources(r->dev, &r->src, &r->nr_src);
	if (ret) {
		hwsdev_err("%s: listing sources: %s", r->o.device,
			   strerror(-ret));
		return ret;
	}
	return 0;
}

/* Per-CPU state, once the session said how many CPUs there can be. */
static int rec_cpus_alloc(struct rec *r)
{
	uint64_t slots = r->hdr.subbuf_size ?
			 rec_spill_bytes(&r->o, rec_nr_online()) /
			 r->hdr.subbuf_size : 0;
	uint32_t i;

	r->cpus = calloc(r->nr_cpus, sizeof(*r->cpus));
	if (!r->cpus)
		return -ENOMEM;
	for (i = 0; i < r->nr_cpus; i++) {
		r->cpus[i].r = r;
		r->cpus[i].cpu = i;
		r->cpus[i].fd = -1;
		pthread_mutex_init(&r->cpus[i].lock, NULL);
		r->cpus[i].buf = malloc(REC_READ_SIZE);
		if (!r->cpus[i].buf)
			return -ENOMEM;
		r->cpus[i].spill_slots = slots > 65536 ? 65536 : (uint32_t)slots;
	}
	/* One thread per online CPU, or --threads T sharing them. */
	r->step = r->o.threads && r->o.threads < r->nr_cpus ?
		  (uint32_t)r->o.threads : r->nr_cpus;
	r->nr_threads = r->step == r->nr_cpus ? 0 : r->step;
	return 0;
}

/*
 * A drain thread saw the file reach --rotate-size: wake the main thread,
 * once until it rotated.
 */
void rec_size_reached(struct rec *r)
{
	if (!atomic_exchange(&r->size_due, 1))
		pthread_kill(r->main_thread, SIGUSR2);
}

/*
 * Whether the current file reached --rotate-size. Asked again when a
 * drain thread said so: threads appending to the file just closed say it
 * again, and a file of a header and a footer must not follow.
 */
static bool rec_file_full(struct rec *r)
{
	bool full;

	pthread_rwlock_rdlock(&r->wlock);
	full = r->w && hws_writer_file_bytes(r->w) >= r->o.rotate_size;
	pthread_rwlock_unlock(&r->wlock);
	return full;
}

static double rec_min(double a, double b)
{
	return a < b ? a : b;
}

/*
 * Record one kernel session into the current file set, until a stop
 * signal, the end of --duration, an output failure, or (@dump set) a
 * flight-recorder dump on SIGUSR1. The main thread sleeps in
 * sigtimedwait() until a signal or the next deadline: the end, the
 * progress line, a look for CPUs come online, a timed rotation.
 */
static int rec_capture(struct rec *r, double t0, bool tty, bool *dump)
{
	double next_progress = rec_now() + 0.5, next_poll;
	/*
	 * How often to look for CPUs come online: a new CPU's buffer must not
	 * fill before its drain starts, and its flush timer completes a
	 * sub-buffer every flush interval; half of one, at most 1 s.
	 */
	double poll_s = rec_min(1.0, (r->o.flush_ns ? r->o.flush_ns :
				      HWSTATS_DEFAULT_FLUSH_NS) / 2e9);
	double end = r->o.duration_ns ? t0 + r->o.duration_ns / 1e9 : 1e300;
	bool hup = false;
	sigset_t set, stop;
	int ret;

	next_poll = rec_now() + poll_s;
	rec_sigset(&set);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	*dump = false;
	while (!rec_stop_signals && !atomic_load(&r->fatal)) {
		double now = rec_now(), deadline;
		bool timed, sized;
		struct timespec ts;
		int sig;

		if (now >= end)
			break;
		if (tty && now >= next_progress) {
			rec_progress(r, now - t0);
			next_progress = now + 0.5;
		}
		if (now >= next_poll) {
			ret = rec_threads_poll(r);
			if (ret)
				return ret;
			next_poll = now + poll_s;
		}
		timed = r->o.rotate_ns &&
			now - r->file_t0 >= r->o.rotate_ns / 1e9;
		sized = r->o.rotate_size && atomic_exchange(&r->size_due, 0) &&
			rec_file_full(r);
		if (hup || timed || sized) {
			ret = rec_rotate(r, hup || timed);
			if (ret)
				return ret;
			hup = false;
			continue;
		}
		deadline = rec_min(end, next_poll);
		if (tty)
			deadline = rec_min(deadline, next_progress);
		if (r->o.rotate_ns)
			deadline = rec_min(deadline,
					   r->file_t0 + r->o.rotate_ns / 1e9);
		deadline -= now;
		if (deadline < 0)
			deadline = 0;
		ts.tv_sec = (time_t)deadline;
		ts.tv_nsec = (long)((deadline - ts.tv_sec) * 1e9) + 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		/*
		 * Stop signals reach main's handler while there is work (a
		 * second one then ends the recorder even in a stuck write);
		 * here they are taken, checked for first so none is missed.
		 */
		pthread_sigmask(SIG_BLOCK, &stop, NULL);
		if (rec_stop_signals) {
			pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
			break;
		}
		sig = sigtimedwait(&set, NULL, &ts);
		pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
		if (sig == SIGINT || sig == SIGTERM)
			rec_stop_signals++;
		else if (sig == SIGHUP)
			hup = true;
		else if (sig == SIGUSR1 && r->o.overwrite) {
			*dump = true;
			break;
		}
	}
	return 0;
}

/* Stop the kernel session, drain every channel, join the threads. */
static int rec_stop(struct rec *r)
{
	int ret = hwsdev_stop(r->dev);

	if (ret && ret != -EINVAL)
		hwsdev_err("%s: stop: %s", r->o.device, strerror(-ret));
	else
		ret = 0;
	rec_threads_stop(r);
	return ret;
}

/*
 * Flight recorder dump: the kernel session is stopped and drained; close
 * this file, and go on with a new session into the next.
 */
static int rec_dump(struct rec *r)
{
	struct hws_cpu_totals *tot;
	uint32_t nr_tot;
	int ret;

	ret = rec_create_file(r, r->file_seq + 1);
	if (ret)
		return ret;
	pthread_rwlock_wrlock(&r->wlock);
	tot = rec_totals(r, &nr_tot, NULL);
	ret = rec_file_end(r, tot, nr_tot);
	free(tot);
	r->file_seq++;
	pthread_rwlock_unlock(&r->wlock);
	if (ret)
		return ret;
	rec_compact_queue(r, r->path);
	ret = hwsdev_reset(r->dev);
	if (ret) {
		hwsdev_err("%s: ending the dumped session: %s", r->o.device,
			   strerror(-ret));
		return ret;
	}
	rec_sources_prune(r);
	return rec_session_start(r);
}

/*
 * The whole capture: the first file, the session, the loop, the last
 * file and the summary. Returns 0 or -errno; r->stage says where it
 * failed, r->incomplete whether records the kernel wrote are missing.
 */
int rec_run(struct rec *r)
{
	struct hwstats_cpu_stats *st = NULL;
	struct hws_cpu_totals *tot;
	uint32_t nr_st, nr_tot;
	double t0, elapsed;
	bool tty, dump;
	sigset_t set;
	int ret, end;

	r->main_thread = pthread_self();
	/*
	 * SIGINT and SIGTERM reach main's handler from here on, except while
	 * the capture loop waits for them: the first one stops, a second one
	 * ends the recorder wherever it is. The other signals stay blocked
	 * and wait for the loop.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	rec_ladder_init(r);
	r->stage = REC_STAGE_OUTPUT;
	if (r->numbered) {
		ret = rec_scan_existing(r);
		if (ret) {
			hwsdev_err("%s: cannot list the files already there: %s",
				   r->o.output, strerror(-ret));
			return ret;
		}
	}
	ret = rec_create_file(r, r->file_seq);
	if (ret)
		return ret;
	r->stage = REC_STAGE_SESSION;
	ret = rec_session_start(r);
	if (!ret) {
		ret = rec_cpus_alloc(r);
		if (ret)
			hwsdev_err("out of memory");
	}
	if (ret) {
		char path[sizeof(r->path)];

		rec_file_name(r, r->file_seq, path, sizeof(path));
		close(r->next_fd);
		r->next_fd = -1;
		unlink(path);
		return ret;
	}
	r->stage = REC_STAGE_CAPTURE;
	if (rec_compact_start(r))
		hwsdev_err("out of memory: files stay as written");
	tty = !r->o.quiet && isatty(STDERR_FILENO);
	t0 = rec_now();
	for (;;) {
		/* One kernel session: the first, or the next after a dump. */
		pthread_rwlock_wrlock(&r->wlock);
		ret = rec_file_begin(r);
		pthread_rwlock_unlock(&r->wlock);
		if (ret) {
			rec_set_fatal(r, ret);
			hwsdev_stop(r->dev);
			break;
		}
		ret = rec_threads_start(r);
		if (!ret)
			ret = rec_capture(r, t0, tty, &dump);
		if (ret)
			rec_set_fatal(r, ret);
		ret = rec_stop(r);
		if (ret)
			rec_set_fatal(r, ret);
		if (!dump || atomic_load(&r->fatal))
			break;
		ret = rec_dump(r);
		if (ret) {
			rec_set_fatal(r, ret);
			break;
		}
		if (!r->o.quiet)
			fprintf(stderr, "%s: flight recorder dumped, recording into %s\n",
				hwsdev_prog, r->path);
	}
	elapsed = rec_now() - t0;
	if (tty)
		fputc('\n', stderr);

	pthread_rwlock_wrlock(&r->wlock);
	tot = rec_totals(r, &nr_tot, &st);
	nr_st = st ? nr_tot : 0;
	ret = atomic_load(&r->fatal);
	if (ret)
		hwsdev_err("%s: %s; the file keeps every chunk written before",
			   r->path, ret == -ENOSPC ? "disk full" : strerror(-ret));
	end = rec_file_end(r, tot, nr_tot);	/* it said why */
	if (end && !ret)
		ret = end;
	pthread_rwlock_unlock(&r->wlock);
	rec_file_discard_next(r);
	/* the last file too, so that the summary gives the final size */
	rec_compact_finish(r, end || atomic_load(&r->fatal) ? NULL : r->path);
	r->incomplete = rec_summary(r, st, nr_st, elapsed);
	free(st);
	free(tot);
	return ret;
}

void rec_free(struct rec *r)
{
	uint32_t i;

	for (i = 0; r->cpus && i < r->nr_cpus; i++) {
		free(r->cpus[i].buf);
		free(r->cpus[i].spill);
		free(r->cpus[i].spill_len);
		free(r->cpus[i].known);
		pthread_mutex_destroy(&r->cpus[i].lock);
	}
	free(r->cpus);
	rec_files_free(r);
	free(r->ids);
	free(r->absent);
	hwsdev_sources_free(r->src, r->nr_src);
	if (r->dev >= 0)
		close(r->dev);
	pthread_rwlock_destroy(&r->wlock);
	pthread_mutex_destroy(&r->ring_lock);
}
