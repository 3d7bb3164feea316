// SPDX-License-Identifier: GPL-2.0
/*
 * hwstats_bench - a benchmark-only module: what one record costs through
 * hwstats_emit() and through its peers, and what a statistics snapshot
 * costs through ioctl, a seq_file, generic netlink and the relay stream.
 * Never installed; bench/run.sh loads it in the VM.
 *
 * Emit cost. Writing "METHOD[,METHOD...] one|all N" to
 * <debugfs>/hwstats_bench/run makes a thread bound to CPU 0 (one) or to
 * every online CPU at once (all) build N records of 4 values (64 bytes:
 * the 32-byte sample header and 4 counters) for each METHOD and hand each
 * record to it; several methods take turns, a batch each. The methods:
 *   empty    nothing: the loop and the values alone
 *   emit     hwstats_emit() (a session must enable the "bench" source)
 *   reserve  relay_reserve() and an in-place fill under local_irq_save(),
 *            on a relay channel of this module
 *   reserve_memcpy  the same, but the values copied with memcpy() of a
 *            length known only at run time, as hwstats_emit() copies them
 *   reserve_loop  the same, the values copied by a loop of 8-byte stores
 *            whose count is known only at run time
 *   write    relay_write() of a record prepared on the stack, same channel
 *   printk   trace_printk() of the seq and the 4 values (binary printk)
 *   puts     trace_puts() of a 63-character string (copied)
 *   tp       the tracepoint hwstats_bench_rec (the BPF ring-buffer peer's
 *            trigger: a not-taken branch unless a program is attached)
 *   pace     (with a 4th number, RATE) records of the simulated device's
 *            shape and values (source "bench_sim": 4 counters, 2 gauges,
 *            80 bytes) through hwstats_emit(), RATE per second on each
 *            CPU, or flat out when RATE is 0 (see hwsb_pace())
 * The relay methods stamp the record with ktime_get_boot_fast_ns(), as
 * hwstats_emit() does, so they store the same bytes; the tracers stamp
 * their events themselves. The threads
 * run in batches of HWSB_BATCH records, each batch timed with ktime (TSC),
 * with a cond_resched() between batches outside the timed part. The write
 * returns when every thread is done; each thread appends one line to
 * <debugfs>/hwstats_bench/results:
 *   METHOD one|all cpu=C n=N ns=NS ok=OK fail=F wall=W batch=B batches=K
 *   batch_min=MIN batch_med=MED rate=RATE first=FIRST vs_first=VS
 * (ns: the sum of the method's timed batches; wall: the thread's first
 * batch start to its last batch end; MIN and MED: the fastest and the
 * median of its K full batches of B records; VS: the median over turns of
 * its batch time over the first method's in the same turn, in thousandths.
 * The fastest batch is the cost undisturbed; the median is what a busy
 * host, which preempts the emulator, leaves of it; VS is the ratio such a
 * host disturbs least. pace has no batches: ns and wall are its whole run,
 * fail the records dropped). Writing "clear" empties the results.
 *
 * The bare relay channel has the hwstats session's default geometry (8
 * sub-buffers of 256 KiB per CPU), the same sub-buffer header, and never
 * refuses a sub-buffer: the hwstats session of the emit runs in overwrite
 * mode too, so no case ever takes a buffer-full path.
 *
 * Snapshots. With snap_sources=K snap_values=N the module registers K
 * sources "bench_snap0".. of N counters each (hwstats allows at most 65536
 * per source), whose read callback copies a prepared array, so that
 * HWSTATS_IOC_SNAPSHOT returns K * (48 + 8 * N) bytes. The same bytes (for
 * each source the struct hwstats_snapshot_source, id 0, then the values)
 * come from:
 *   <debugfs>/hwstats_bench/snap   a seq_file: the sources are read at
 *                                  open, then handed out a page per element
 *   generic netlink family "hwsb_snap", command 1, dump: the sources are
 *                                  read at the dump's start, then handed
 *                                  out as attribute 1 in as many messages
 *                                  as needed
 *   "relaysnap" written to run     hwstats_emit() of the values, as many
 *                                  records as needed, on the writer's CPU
 *
 * The results are printed nowhere else; no timing is ever checked here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/relay.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <net/genetlink.h>
#include "hwstats.h"
#include "hwsb_batch.h"
#include "hwstats_compat.h"

#define CREATE_TRACE_POINTS
#include "hwstats_bench_trace.h"

#define HWSB_NVALUES		4
#define HWSB_REC_LEN		(sizeof(struct hwstats_sample) + \
				 HWSB_NVALUES * sizeof(u64))
#define HWSB_BATCH		1024
#define HWSB_MAX_N		(100ULL * 1000 * 1000)
#define HWSB_RESULTS_SIZE	(64 * 1024)

static unsigned int hwsb_snap_sources;
module_param_named(snap_sources, hwsb_snap_sources, uint, 0444);
MODULE_PARM_DESC(snap_sources, "number of bench_snapK sources (0: none)");
static unsigned int hwsb_snap_values = 1;
module_param_named(snap_values, hwsb_snap_values, uint, 0444);
MODULE_PARM_DESC(snap_values, "counters of each bench_snapK source");
static bool hwsb_emit_source = true;
module_param_named(emit_source, hwsb_emit_source, bool, 0444);
MODULE_PARM_DESC(emit_source, "register the sources \"bench\" (4 counters) and \"bench_sim\" (the simulated device's schema)");
static unsigned int hwsb_subbuf_size = HWSTATS_DEFAULT_SUBBUF_SIZE;
module_param_named(subbuf_size, hwsb_subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "sub-buffer size of the bare relay channel");
static unsigned int hwsb_n_subbufs = HWSTATS_DEFAULT_N_SUBBUFS;
module_param_named(n_subbufs, hwsb_n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per CPU of the bare relay channel");

enum hwsb_method {
	HWSB_EMPTY,
	HWSB_EMIT,
	HWSB_RESERVE,
	HWSB_RESERVE_MEMCPY,
	HWSB_RESERVE_LOOP,
	HWSB_WRITE,
	HWSB_PRINTK,
	HWSB_PUTS,
	HWSB_TP,
	HWSB_PACE,
	HWSB_NR_METHODS,
};

static const char *const hwsb_method_names[HWSB_NR_METHODS] = {
	[HWSB_EMPTY] = "empty",
	[HWSB_EMIT] = "emit",
	[HWSB_RESERVE] = "reserve",
	[HWSB_RESERVE_MEMCPY] = "reserve_memcpy",
	[HWSB_RESERVE_LOOP] = "reserve_loop",
	[HWSB_WRITE] = "write",
	[HWSB_PRINTK] = "printk",
	[HWSB_PUTS] = "puts",
	[HWSB_TP] = "tp",
	[HWSB_PACE] = "pace",
};

#define HWSB_MAX_MIX		10

/* One method's account in one thread. */
struct hwsb_stat {
	u64 ns;
	u64 ok;
	u64 fail;
	struct hwsb_batches batches;	/* each full batch's time */
};

/* One thread: its methods take turns, a batch each. */
struct hwsb_job {
	enum hwsb_method method[HWSB_MAX_MIX];
	unsigned int nr_methods;
	unsigned int cpu;
	u64 n;			/* records per method */
	u64 rate;		/* pace: records per second, 0: flat out */
	u64 wall;
	struct hwsb_stat st[HWSB_MAX_MIX];
	atomic_t *ready;
	unsigned int nr_threads;
	struct completion done;
};

static DEFINE_MUTEX(hwsb_lock);		/* runs, the results, the channel */
static struct dentry *hwsb_dir;
static struct rchan *hwsb_chan;
static DEFINE_PER_CPU(u64, hwsb_subbufs);
static char *hwsb_results;
static size_t hwsb_results_len;
static struct hwstats_source *hwsb_src;
static struct hwstats_source *hwsb_sim_src;
static struct hwstats_source **hwsb_snap_src;
static u64 *hwsb_snap_data;
static char (*hwsb_snap_names)[HWSTATS_NAME_LEN];
static struct hwstats_counter_def *hwsb_snap_defs;
static atomic64_t hwsb_snap_seq;

/* ---- the bare relay channel ---------------------------------------- */

/* The same header as an hwstats sub-buffer; never refuses (overwrite). */
static int hwsb_subbuf_start(HWSTATS_SUBBUF_START_ARGS)
{
	struct hwstats_subbuf_hdr *h = subbuf;

	h->hdr.type = HWSTATS_REC_SUBBUF;
	h->hdr.len = sizeof(*h);
	h->hdr.source = buf->cpu;
	h->hdr.ts = ktime_get_boot_fast_ns();
	h->magic = HWSTATS_SUBBUF_MAGIC;
	h->cpu = buf->cpu;
	h->seq = (*per_cpu_ptr(&hwsb_subbufs, buf->cpu))++;
	h->lost = 0;
	h->used = 0;
	h->subbuf_size = hwsb_subbuf_size;
	subbuf_start_reserve(buf, sizeof(*h));
	return 1;
}

static struct dentry *hwsb_create_buf_file(const char *filename,
					   struct dentry *parent, umode_t mode,
					   struct rchan_buf *buf, int *is_global)
{
	return debugfs_create_file(filename, 0400, parent, buf,
				   &relay_file_operations);
}

static int hwsb_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks hwsb_relay_cb = {
	.subbuf_start = hwsb_subbuf_start,
	.create_buf_file = hwsb_create_buf_file,
	.remove_buf_file = hwsb_remove_buf_file,
};

/* ---- one CPU's loop -------------------------------------------------- */

static __always_inline void hwsb_values(u64 *v, u64 n)
{
	u32 i;

	v[0] = n;
	for (i = 1; i < HWSB_NVALUES; i++)
		v[i] = n * 1000 * i + (((u32)n * 2654435761U + i) >> 24);
}

/* Not a constant to the compiler: the copy length of reserve_memcpy. */
static unsigned int hwsb_nvalues_rt = HWSB_NVALUES;

static __always_inline void hwsb_fill_hdr(struct hwstats_sample *rec, u64 n)
{
	rec->hdr.type = HWSTATS_REC_SAMPLE;
	rec->hdr.len = HWSB_REC_LEN;
	rec->hdr.source = 0;
	rec->hdr.ts = ktime_get_boot_fast_ns();
	rec->seq = n;
	rec->first = 0;
	rec->reserved = 0;
}

static __always_inline void hwsb_fill(struct hwstats_sample *rec, u64 n,
				      const u64 *v)
{
	hwsb_fill_hdr(rec, n);
	rec->value[0] = v[0];
	rec->value[1] = v[1];
	rec->value[2] = v[2];
	rec->value[3] = v[3];
}

/* One record by @m; returns whether it was stored. */
static __always_inline bool hwsb_one(enum hwsb_method m, u64 n, u64 *v,
				     const char *str)
{
	unsigned long flags;

	hwsb_values(v, n);
	switch (m) {
	case HWSB_EMPTY:
		barrier_data(v);
		return true;
	case HWSB_EMIT:
		return hwstats_emit(hwsb_src, 0, HWSB_NVALUES, v) == 0;
	case HWSB_RESERVE: {
		struct hwstats_sample *rec;

		local_irq_save(flags);
		rec = relay_reserve(hwsb_chan, HWSB_REC_LEN);
		if (rec)
			hwsb_fill(rec, n, v);
		local_irq_restore(flags);
		return rec;
	}
	case HWSB_RESERVE_MEMCPY: {
		struct hwstats_sample *rec;

		local_irq_save(flags);
		rec = relay_reserve(hwsb_chan, HWSB_REC_LEN);
		if (rec) {
			hwsb_fill_hdr(rec, n);
			memcpy(rec->value, v,
			       READ_ONCE(hwsb_nvalues_rt) * sizeof(u64));
		}
		local_irq_restore(flags);
		return rec;
	}
	case HWSB_RESERVE_LOOP: {
		struct hwstats_sample *rec;
		unsigned int i, nv;

		local_irq_save(flags);
		rec = relay_reserve(hwsb_chan, HWSB_REC_LEN);
		if (rec) {
			hwsb_fill_hdr(rec, n);
			nv = READ_ONCE(hwsb_nvalues_rt);
			/* The barrier keeps the compiler from making it a memcpy(). */
			for (i = 0; i < nv; i++) {
				rec->value[i] = v[i];
				barrier();
			}
		}
		local_irq_restore(flags);
		return rec;
	}
	case HWSB_WRITE: {
		u64 rec[HWSB_REC_LEN / sizeof(u64)];

		hwsb_fill((struct hwstats_sample *)rec, n, v);
		relay_write(hwsb_chan, rec, HWSB_REC_LEN);
		return true;
	}
	case HWSB_PRINTK:
		/* Neither macro says whether it stored: count them stored. */
		trace_printk("hwstats %llu %llu %llu %llu %llu\n", n,
			     v[0], v[1], v[2], v[3]);
		return true;
	case HWSB_PUTS:
		trace_puts(str);
		return true;
	case HWSB_TP:
		trace_hwstats_bench_rec(n, v);
		return true;
	default:
		return false;
	}
}

/* The method is a constant in each instance: no switch in the loop. */
static __always_inline void hwsb_batch(struct hwsb_stat *j, enum hwsb_method m,
				       u64 first, u64 count, const char *str)
{
	u64 v[HWSB_NVALUES], n, ok = 0;

	for (n = first; n < first + count; n++)
		ok += hwsb_one(m, n, v, str);
	j->ok += ok;
	j->fail += count - ok;
}

static noinline void hwsb_run_batch(struct hwsb_stat *j, enum hwsb_method m,
				    u64 first, u64 count, const char *str)
{
	switch (m) {
	case HWSB_EMPTY:
		hwsb_batch(j, HWSB_EMPTY, first, count, str);
		break;
	case HWSB_EMIT:
		hwsb_batch(j, HWSB_EMIT, first, count, str);
		break;
	case HWSB_RESERVE:
		hwsb_batch(j, HWSB_RESERVE, first, count, str);
		break;
	case HWSB_RESERVE_MEMCPY:
		hwsb_batch(j, HWSB_RESERVE_MEMCPY, first, count, str);
		break;
	case HWSB_RESERVE_LOOP:
		hwsb_batch(j, HWSB_RESERVE_LOOP, first, count, str);
		break;
	case HWSB_WRITE:
		hwsb_batch(j, HWSB_WRITE, first, count, str);
		break;
	case HWSB_PRINTK:
		hwsb_batch(j, HWSB_PRINTK, first, count, str);
		break;
	case HWSB_PUTS:
		hwsb_batch(j, HWSB_PUTS, first, count, str);
		break;
	case HWSB_TP:
		hwsb_batch(j, HWSB_TP, first, count, str);
		break;
	default:
		break;
	}
}

/* ---- the paced producer ---------------------------------------------- */

#define HWSB_SIM_COUNTERS	4
#define HWSB_SIM_VALUES		6

/* kmod/hwstats_sim.c's closed form for its source 0, "sim". */
static u64 hwsb_sim_hash(u32 cpu, u32 idx, u64 n)
{
	u64 z = n ^ ((u64)cpu << 48) ^ ((u64)idx << 32);

	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void hwsb_sim_values(u64 *v, u32 cpu, u64 n)
{
	u32 i;

	v[0] = n;
	for (i = 1; i < HWSB_SIM_COUNTERS; i++)
		v[i] = n * 1000 * i + (hwsb_sim_hash(cpu, i, n) & 0xff);
	for (; i < HWSB_SIM_VALUES; i++)
		v[i] = 1000ULL * (i - HWSB_SIM_COUNTERS + 1) +
		       hwsb_sim_hash(cpu, i, n) % 200;
}

/*
 * Emit j->n records of the simulated device's shape at j->rate per second:
 * whenever the clock says records are due, emit them (a late wakeup is
 * made up, unlike an hrtimer's skipped periods), at most 4096 in a row
 * before letting others run. Lost records (buffer full) are j->fail.
 */
static void hwsb_pace(struct hwsb_job *j)
{
	u64 t0 = ktime_get_ns(), n = 0, v[HWSB_SIM_VALUES];

	while (n < j->n) {
		u64 due = j->n, end = n + 4096;

		if (j->rate)
			due = min(j->n, div64_u64((ktime_get_ns() - t0) *
						  j->rate, NSEC_PER_SEC) + 1);
		for (; n < due && n < end; n++) {
			hwsb_sim_values(v, j->cpu, n);
			if (hwstats_emit(hwsb_sim_src, 0, HWSB_SIM_VALUES, v))
				j->st[0].fail++;
			else
				j->st[0].ok++;
		}
		if (n < due || !j->rate)
			cond_resched();
		else
			usleep_range(50, 200);
	}
	j->wall = ktime_get_ns() - t0;
	j->st[0].ns = j->wall;
}

static int hwsb_thread(void *arg)
{
	struct hwsb_job *j = arg;
	/* 63 characters and the NUL: a record's worth, not a constant. */
	char str[64];
	u64 first, t0 = 0, t1 = 0;

	memset(str, 'x', sizeof(str) - 2);
	str[sizeof(str) - 2] = '\n';
	str[sizeof(str) - 1] = '\0';
	str[0] = '0' + j->cpu % 10;

	/* Start together: "all" measures the CPUs writing at once. */
	atomic_inc(j->ready);
	while (atomic_read(j->ready) < j->nr_threads)
		cond_resched();

	if (j->method[0] == HWSB_PACE) {
		hwsb_pace(j);
		goto out;
	}

	/*
	 * The methods take turns, a batch each, over the same record
	 * numbers: a slow spell of the host hits all of them alike.
	 */
	for (first = 0; first < j->n; first += HWSB_BATCH) {
		u64 count = min_t(u64, HWSB_BATCH, j->n - first);
		unsigned int k;

		for (k = 0; k < j->nr_methods; k++) {
			struct hwsb_stat *st = &j->st[k];
			u64 a, b;

			a = ktime_get_ns();
			hwsb_run_batch(st, j->method[k], first, count, str);
			b = ktime_get_ns();
			if (!first && !k)
				t0 = a;
			t1 = b;
			st->ns += b - a;
			if (count == HWSB_BATCH)
				st->batches.ns[st->batches.nr++] = b - a;
			cond_resched();
		}
	}
	j->wall = t1 - t0;
out:
	complete(&j->done);
	/* The creator reads the job, then stops us. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static __printf(1, 2) void hwsb_result(const char *fmt, ...)
{
	va_list ap;

	lockdep_assert_held(&hwsb_lock);
	va_start(ap, fmt);
	hwsb_results_len += vscnprintf(hwsb_results + hwsb_results_len,
				       HWSB_RESULTS_SIZE - hwsb_results_len,
				       fmt, ap);
	va_end(ap);
}

static bool hwsb_needs_chan(enum hwsb_method m)
{
	return m == HWSB_RESERVE || m == HWSB_RESERVE_MEMCPY ||
	       m == HWSB_RESERVE_LOOP || m == HWSB_WRITE;
}

static void hwsb_job_free(struct hwsb_job *j)
{
	unsigned int k;

	for (k = 0; k < HWSB_MAX_MIX; k++)
		kvfree(j->st[k].batches.ns);
}

/*
 * One line per method and thread. vs_first: the median over batch turns
 * of this method's batch time over the first method's in the same turn,
 * in thousandths: the ratio a busy host disturbs least.
 */
static void hwsb_report(struct hwsb_job *j, bool all, u64 *tmp)
{
	unsigned int k;

	for (k = 0; k < j->nr_methods; k++) {
		struct hwsb_stat *st = &j->st[k];
		struct hwsb_batch_sum sum;

		sum = hwsb_batch_sum(&st->batches, &j->st[0].batches, tmp);
		hwsb_result("%s %s cpu=%u n=%llu ns=%llu ok=%llu fail=%llu wall=%llu batch=%u batches=%llu batch_min=%llu batch_med=%llu rate=%llu first=%s vs_first=%llu\n",
			    hwsb_method_names[j->method[k]], all ? "all" : "one",
			    j->cpu, j->n, st->ns, st->ok, st->fail, j->wall,
			    HWSB_BATCH, st->batches.nr, sum.min, sum.med,
			    j->rate, hwsb_method_names[j->method[0]], sum.vs);
	}
}

static int hwsb_run(const enum hwsb_method *m, unsigned int nm, bool all,
		    u64 n, u64 rate)
{
	struct task_struct **tasks;
	struct hwsb_job *jobs;
	atomic_t ready = ATOMIC_INIT(0);
	unsigned int cpu, nr = 0, i, k;
	u64 *tmp;
	int ret = 0;

	lockdep_assert_held(&hwsb_lock);
	for (k = 0; k < nm; k++) {
		if ((m[k] == HWSB_EMIT && !hwsb_src) ||
		    (m[k] == HWSB_PACE && !hwsb_sim_src))
			return -ENODEV;
		if (m[k] == HWSB_PACE && nm > 1)
			return -EINVAL;
		if (hwsb_needs_chan(m[k]) && !hwsb_chan) {
			hwsb_chan = relay_open("bare", hwsb_dir,
					       hwsb_subbuf_size,
					       hwsb_n_subbufs, &hwsb_relay_cb,
					       NULL);
			if (!hwsb_chan)
				return -ENOMEM;
		}
	}
	jobs = kcalloc(nr_cpu_ids, sizeof(*jobs), GFP_KERNEL);
	tasks = kcalloc(nr_cpu_ids, sizeof(*tasks), GFP_KERNEL);
	tmp = kvmalloc_array(n / HWSB_BATCH + 1, sizeof(u64), GFP_KERNEL);
	if (!jobs || !tasks || !tmp) {
		ret = -ENOMEM;
		goto out_free;
	}
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct hwsb_job *j = &jobs[nr];

		if (!all && nr)
			break;
		j->nr_methods = nm;
		memcpy(j->method, m, nm * sizeof(*m));
		j->cpu = cpu;
		j->n = n;
		j->rate = rate;
		j->ready = &ready;
		init_completion(&j->done);
		for (k = 0; k < nm; k++) {
			j->st[k].batches.ns = kvmalloc_array(n / HWSB_BATCH + 1,
							     sizeof(u64),
							     GFP_KERNEL);
			if (!j->st[k].batches.ns)
				ret = -ENOMEM;
		}
		if (ret)
			break;
		tasks[nr] = kthread_create_on_cpu(hwsb_thread, j, cpu,
						  "hwsb/%u");
		if (IS_ERR(tasks[nr])) {
			ret = PTR_ERR(tasks[nr]);
			tasks[nr] = NULL;
			break;
		}
		nr++;
	}
	for (i = 0; i < nr; i++)
		jobs[i].nr_threads = ret ? 0 : nr;
	for (i = 0; i < nr; i++)
		wake_up_process(tasks[i]);
	for (i = 0; i < nr; i++) {
		wait_for_completion(&jobs[i].done);
		kthread_stop(tasks[i]);
	}
	cpus_read_unlock();
	for (i = 0; !ret && i < nr; i++)
		hwsb_report(&jobs[i], all, tmp);
out_free:
	for (i = 0; jobs && i < nr_cpu_ids; i++)
		hwsb_job_free(&jobs[i]);
	kvfree(tmp);
	kfree(tasks);
	kfree(jobs);
	return ret;
}

/* ---- the snapshot sources and their peers ---------------------------- */

/* Source k's values: the prepared array, made distinct per source. */
static u64 hwsb_snap_read(void *priv, u64 *values)
{
	u64 k = (unsigned long)priv;
	unsigned int i;

	for (i = 0; i < hwsb_snap_values; i++)
		values[i] = hwsb_snap_data[i] + k;
	return atomic64_inc_return(&hwsb_snap_seq);
}

static size_t hwsb_snap_src_size(void)
{
	return sizeof(struct hwstats_snapshot_source) +
	       array_size(hwsb_snap_values, sizeof(u64));
}

static size_t hwsb_snap_size(void)
{
	return array_size(hwsb_snap_sources, hwsb_snap_src_size());
}

/*
 * What HWSTATS_IOC_SNAPSHOT returns for our sources (which are all there
 * is when hwstats.ko has netdev=0), each with id 0: read every source into
 * one buffer, as the ioctl does.
 */
static char *hwsb_snap_take(void)
{
	char *buf = kvzalloc(hwsb_snap_size(), GFP_KERNEL);
	unsigned long k;

	if (!buf)
		return NULL;
	for (k = 0; k < hwsb_snap_sources; k++) {
		struct hwstats_snapshot_source *ss =
			(void *)(buf + k * hwsb_snap_src_size());

		ss->nr_counters = hwsb_snap_values;
		snprintf(ss->name, sizeof(ss->name), "bench_snap%lu", k);
		ss->seq = hwsb_snap_read((void *)k, (u64 *)(ss + 1));
	}
	return buf;
}

/* The seq_file hands out the snapshot taken at open, a page per element. */
static void *hwsb_seq_start(struct seq_file *m, loff_t *pos)
{
	return *pos < DIV_ROUND_UP(hwsb_snap_size(), PAGE_SIZE) ? pos : NULL;
}

static void *hwsb_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return hwsb_seq_start(m, pos);
}

static void hwsb_seq_stop(struct seq_file *m, void *v)
{
}

static int hwsb_seq_show(struct seq_file *m, void *v)
{
	size_t off = *(loff_t *)v * PAGE_SIZE;

	seq_write(m, (char *)m->private + off,
		  min_t(size_t, PAGE_SIZE, hwsb_snap_size() - off));
	return 0;
}

static const struct seq_operations hwsb_seq_ops = {
	.start = hwsb_seq_start,
	.next = hwsb_seq_next,
	.stop = hwsb_seq_stop,
	.show = hwsb_seq_show,
};

static int hwsb_snap_open(struct inode *inode, struct file *file)
{
	void *snap;
	int ret;

	if (!hwsb_snap_sources)
		return -ENODEV;
	snap = hwsb_snap_take();
	if (!snap)
		return -ENOMEM;
	ret = seq_open(file, &hwsb_seq_ops);
	if (ret) {
		kvfree(snap);
		return ret;
	}
	((struct seq_file *)file->private_data)->private = snap;
	return 0;
}

static int hwsb_snap_release(struct inode *inode, struct file *file)
{
	kvfree(((struct seq_file *)file->private_data)->private);
	return seq_release(inode, file);
}

static const struct file_operations hwsb_snap_fops = {
	.owner = THIS_MODULE,
	.open = hwsb_snap_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = hwsb_snap_release,
};

enum {
	HWSB_GENL_A_UNSPEC,
	HWSB_GENL_A_DATA,
	__HWSB_GENL_A_MAX,
};
#define HWSB_GENL_A_MAX (__HWSB_GENL_A_MAX - 1)
#define HWSB_GENL_CMD_SNAP 1

static struct genl_family hwsb_genl_family;

/* cb->args[0]: the snapshot; cb->args[1]: bytes sent so far. */
static int hwsb_genl_start(struct netlink_callback *cb)
{
	if (!hwsb_snap_sources)
		return -ENODEV;
	cb->args[0] = (long)hwsb_snap_take();
	cb->args[1] = 0;
	return cb->args[0] ? 0 : -ENOMEM;
}

/* As many bytes as the message has room for, in one attribute. */
static int hwsb_genl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const char *snap = (const char *)cb->args[0];
	size_t off = cb->args[1], size = hwsb_snap_size();
	int room;
	void *hdr;

	if (off >= size)
		return 0;
	room = skb_tailroom(skb) - (int)(NLMSG_HDRLEN + GENL_HDRLEN +
					 NLA_HDRLEN + NLA_ALIGNTO);
	if (room < (int)sizeof(u64))
		return -EMSGSIZE;
	room = min_t(size_t, round_down(room, sizeof(u64)), size - off);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &hwsb_genl_family, NLM_F_MULTI, HWSB_GENL_CMD_SNAP);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put(skb, HWSB_GENL_A_DATA, room, snap + off)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	cb->args[1] = off + room;
	return skb->len;
}

static int hwsb_genl_done(struct netlink_callback *cb)
{
	kvfree((void *)cb->args[0]);
	return 0;
}

static const struct genl_ops hwsb_genl_ops[] = {
	{
		.cmd = HWSB_GENL_CMD_SNAP,
		.start = hwsb_genl_start,
		.dumpit = hwsb_genl_dump,
		.done = hwsb_genl_done,
	},
};

static const struct nla_policy hwsb_genl_policy[HWSB_GENL_A_MAX + 1] = {
	[HWSB_GENL_A_DATA] = { .type = NLA_BINARY },
};

static struct genl_family hwsb_genl_family __ro_after_init = {
	.name = "hwsb_snap",
	.version = 1,
	.maxattr = HWSB_GENL_A_MAX,
	.policy = hwsb_genl_policy,
	.module = THIS_MODULE,
	.ops = hwsb_genl_ops,
	.n_ops = ARRAY_SIZE(hwsb_genl_ops),
};

/* Every source's values as hwstats records, on the caller's CPU. */
static int hwsb_relaysnap(void)
{
	unsigned int max = hwstats_max_values(), first, count, nrec = 0;
	size_t n = hwsb_snap_values;
	unsigned long k;
	u64 *values;
	int ret = 0, cpu;

	lockdep_assert_held(&hwsb_lock);
	if (!hwsb_snap_sources)
		return -ENODEV;
	values = kvmalloc_array(array_size(hwsb_snap_sources, n), sizeof(u64),
				GFP_KERNEL);
	if (!values)
		return -ENOMEM;
	for (k = 0; k < hwsb_snap_sources; k++)
		hwsb_snap_read((void *)k, values + k * n);
	cpu = get_cpu();
	for (k = 0; !ret && k < hwsb_snap_sources; k++) {
		for (first = 0; first < n; first += count) {
			count = min_t(size_t, max, n - first);
			ret = hwstats_emit(hwsb_snap_src[k], first, count,
					   values + k * n + first);
			if (ret)
				break;
			nrec++;
		}
	}
	put_cpu();
	kvfree(values);
	if (!ret)
		hwsb_result("relaysnap cpu=%d records=%u\n", cpu, nrec);
	return ret;
}

/* ---- control ---------------------------------------------------------- */

static ssize_t hwsb_run_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	enum hwsb_method m[HWSB_MAX_MIX];
	char cmd[160], meth[128], where[8], *list, *tok;
	unsigned long long n, rate = 0;
	unsigned int nm = 0;
	int i, ret;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	mutex_lock(&hwsb_lock);
	if (sysfs_streq(cmd, "clear")) {
		hwsb_results_len = 0;
		hwsb_results[0] = '\0';
		ret = 0;
	} else if (sysfs_streq(cmd, "relaysnap")) {
		ret = hwsb_relaysnap();
	} else if (sscanf(cmd, "%127s %7s %llu %llu", meth, where, &n,
			  &rate) >= 3 &&
		   (!strcmp(where, "one") || !strcmp(where, "all")) &&
		   n && n <= HWSB_MAX_N && rate <= 100000000) {
		ret = 0;
		list = meth;
		while (!ret && (tok = strsep(&list, ","))) {
			i = match_string(hwsb_method_names, HWSB_NR_METHODS, tok);
			if (i < 0 || nm == HWSB_MAX_MIX)
				ret = -EINVAL;
			else
				m[nm++] = i;
		}
		if (!ret)
			ret = hwsb_run(m, nm, !strcmp(where, "all"), n, rate);
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&hwsb_lock);
	return ret ? ret : len;
}

static const struct file_operations hwsb_run_fops = {
	.owner = THIS_MODULE,
	.write = hwsb_run_write,
	.llseek = noop_llseek,
};

static int hwsb_results_show(struct seq_file *m, void *v)
{
	mutex_lock(&hwsb_lock);
	seq_write(m, hwsb_results, hwsb_results_len);
	mutex_unlock(&hwsb_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hwsb_results);

/* ---- module ------------------------------------------------------------ */

static const struct hwstats_counter_def hwsb_counters[HWSB_NVALUES] = {
	{ .name = "ticks", .unit = "samples", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter1", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter2", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter3", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
};

static const struct hwstats_counter_def hwsb_sim_counters[HWSB_SIM_VALUES] = {
	{ .name = "ticks", .unit = "samples", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter1", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter2", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter3", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "gauge0", .unit = "level", .kind = HWSTATS_KIND_GAUGE },
	{ .name = "gauge1", .unit = "level", .kind = HWSTATS_KIND_GAUGE },
};

static void hwsb_free(void)
{
	unsigned int k;

	for (k = 0; hwsb_snap_src && k < hwsb_snap_sources; k++)
		if (!IS_ERR_OR_NULL(hwsb_snap_src[k]))
			hwstats_source_unregister(hwsb_snap_src[k]);
	if (!IS_ERR_OR_NULL(hwsb_sim_src))
		hwstats_source_unregister(hwsb_sim_src);
	if (!IS_ERR_OR_NULL(hwsb_src))
		hwstats_source_unregister(hwsb_src);
	hwsb_sim_src = NULL;
	hwsb_src = NULL;
	kfree(hwsb_snap_src);
	hwsb_snap_src = NULL;
	kvfree(hwsb_snap_defs);
	kvfree(hwsb_snap_names);
	kvfree(hwsb_snap_data);
	kvfree(hwsb_results);
}

static int hwsb_snap_register(void)
{
	char name[HWSTATS_NAME_LEN];
	struct hwstats_source_def def = {
		.name = name,
		.nr_counters = hwsb_snap_values,
		.read = hwsb_snap_read,
	};
	unsigned long k;
	unsigned int i;

	hwsb_snap_src = kcalloc(hwsb_snap_sources, sizeof(*hwsb_snap_src),
				GFP_KERNEL);
	hwsb_snap_data = kvmalloc_array(hwsb_snap_values, sizeof(u64),
					GFP_KERNEL);
	hwsb_snap_names = kvcalloc(hwsb_snap_values, sizeof(*hwsb_snap_names),
				   GFP_KERNEL);
	hwsb_snap_defs = kvcalloc(hwsb_snap_values, sizeof(*hwsb_snap_defs),
				  GFP_KERNEL);
	if (!hwsb_snap_src || !hwsb_snap_data || !hwsb_snap_names ||
	    !hwsb_snap_defs)
		return -ENOMEM;
	for (i = 0; i < hwsb_snap_values; i++) {
		hwsb_snap_data[i] = (u64)i * 0x9e3779b97f4a7c15ULL;
		snprintf(hwsb_snap_names[i], HWSTATS_NAME_LEN, "c%u", i);
		hwsb_snap_defs[i].name = hwsb_snap_names[i];
		hwsb_snap_defs[i].kind = HWSTATS_KIND_COUNTER;
	}
	def.counters = hwsb_snap_defs;
	for (k = 0; k < hwsb_snap_sources; k++) {
		snprintf(name, sizeof(name), "bench_snap%lu", k);
		def.priv = (void *)k;
		hwsb_snap_src[k] = hwstats_source_register(&def);
		if (IS_ERR(hwsb_snap_src[k]))
			return PTR_ERR(hwsb_snap_src[k]);
	}
	return 0;
}

static int __init hwsb_init(void)
{
	static const struct hwstats_source_def def = {
		.name = "bench",
		.nr_counters = HWSB_NVALUES,
		.counters = hwsb_counters,
	};
	static const struct hwstats_source_def sim_def = {
		.name = "bench_sim",
		.nr_counters = HWSB_SIM_VALUES,
		.counters = hwsb_sim_counters,
	};
	int ret;

	if (hwsb_snap_sources > 64 || !hwsb_snap_values ||
	    hwsb_snap_values > HWSTATS_MAX_COUNTERS ||
	    hwsb_n_subbufs < 2 || hwsb_subbuf_size < PAGE_SIZE)
		return -EINVAL;
	hwsb_results = kvzalloc(HWSB_RESULTS_SIZE, GFP_KERNEL);
	if (!hwsb_results)
		return -ENOMEM;
	if (hwsb_emit_source) {
		hwsb_src = hwstats_source_register(&def);
		ret = PTR_ERR_OR_ZERO(hwsb_src);
		if (ret)
			goto err_free;
		hwsb_sim_src = hwstats_source_register(&sim_def);
		ret = PTR_ERR_OR_ZERO(hwsb_sim_src);
		if (ret)
			goto err_free;
	}
	if (hwsb_snap_sources) {
		ret = hwsb_snap_register();
		if (ret)
			goto err_free;
	}
	ret = genl_register_family(&hwsb_genl_family);
	if (ret)
		goto err_free;
	hwsb_dir = debugfs_create_dir("hwstats_bench", NULL);
	debugfs_create_file("run", 0200, hwsb_dir, NULL, &hwsb_run_fops);
	debugfs_create_file("results", 0400, hwsb_dir, NULL,
			    &hwsb_results_fops);
	debugfs_create_file("snap", 0400, hwsb_dir, NULL, &hwsb_snap_fops);
	return 0;

err_free:
	hwsb_free();
	return ret;
}

static void __exit hwsb_exit(void)
{
	/* The channel's files live in our directory: close it first. */
	if (hwsb_chan)
		relay_close(hwsb_chan);
	debugfs_remove(hwsb_dir);
	genl_unregister_family(&hwsb_genl_family);
	hwsb_free();
}

module_init(hwsb_init);
module_exit(hwsb_exit);

MODULE_DESCRIPTION("hwstats benchmarks: emit cost and snapshot transports");
MODULE_IMPORT_NS(HWSTATS_NS);
MODULE_AUTHOR("hwstats developers");
MODULE_LICENSE("GPL");
