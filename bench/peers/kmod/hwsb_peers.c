// SPDX-License-Identifier: GPL-2.0
/*
 * hwsb_peers - a benchmark-only module: the simulated device's record
 * (sequence number, 4 counters, 2 gauges; kmod/hwstats_sim.c's closed
 * form) handed to hwstats_emit() and to a trace event, hwsb_peers_rec,
 * which ftrace (trace-cmd), perf or an LTTng probe records, whichever is
 * attached. Never installed; bench/peers/run.sh loads it in the VM.
 *
 * Writing to <debugfs>/hwsb_peers/run:
 *   "cost one|all N"        a thread on CPU 0 (one) or on every CPU at once
 *                           (all) builds N records for each of "emit"
 *                           (hwstats_emit() of source peer_sim), "tp" (the
 *                           trace event) and "empty" (the values alone),
 *                           the three taking turns a batch of 1024 each;
 *   "pace emit|tp RATE N"   every CPU emits N records to one of the two,
 *                           RATE per second (0: flat out), making up for
 *                           late wakeups.
 * The write returns when every thread is done; <debugfs>/hwsb_peers/results
 * then holds one line per thread and method:
 *   cost METHOD one|all cpu=C n=N fail=F batch_min=NS batch_med=NS vs_emit=R
 *   pace SINK cpu=C n=N fail=F ns=WALL
 * (batch times of 1024 records; R: the median over turns of the method's
 * batch time over emit's in the same turn, in thousandths; fail: records
 * hwstats_emit() refused). No timing is ever checked here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include "hwstats.h"
#include "hwsb_batch.h"
#include "hwstats_compat.h"

#define CREATE_TRACE_POINTS
#include "hwsb_peers_trace.h"

#define HWSP_COUNTERS		4
#define HWSP_VALUES		6
#define HWSP_BATCH		1024
#define HWSP_MAX_N		(100ULL * 1000 * 1000)
#define HWSP_RESULTS_SIZE	(16 * 1024)

enum hwsp_method { HWSP_EMIT, HWSP_TP, HWSP_EMPTY, HWSP_NR };

static const char *const hwsp_names[HWSP_NR] = { "emit", "tp", "empty" };

struct hwsp_job {
	unsigned int cpu;
	bool pace;
	enum hwsp_method sink;
	u64 n;
	u64 rate;
	u64 fail[HWSP_NR];
	u64 wall;
	struct hwsb_batches batches[HWSP_NR];	/* each full batch */
	atomic_t *ready;
	unsigned int nr_threads;
	struct completion done;
};

static DEFINE_MUTEX(hwsp_lock);
static struct dentry *hwsp_dir;
static struct hwstats_source *hwsp_src;
static char *hwsp_results;
static size_t hwsp_results_len;

/* kmod/hwstats_sim.c's closed form for its source 0, "sim". */
static u64 hwsp_hash(u32 cpu, u32 idx, u64 n)
{
	u64 z = n ^ ((u64)cpu << 48) ^ ((u64)idx << 32);

	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __always_inline void hwsp_values(u64 *v, u32 cpu, u64 n)
{
	u32 i;

	v[0] = n;
	for (i = 1; i < HWSP_COUNTERS; i++)
		v[i] = n * 1000 * i + (hwsp_hash(cpu, i, n) & 0xff);
	for (; i < HWSP_VALUES; i++)
		v[i] = 1000ULL * (i - HWSP_COUNTERS + 1) +
		       hwsp_hash(cpu, i, n) % 200;
}

/* One record; returns whether it was refused. */
static __always_inline bool hwsp_one(enum hwsp_method m, u32 cpu, u64 n)
{
	u64 v[HWSP_VALUES];

	hwsp_values(v, cpu, n);
	switch (m) {
	case HWSP_EMIT:
		return hwstats_emit(hwsp_src, 0, HWSP_VALUES, v) != 0;
	case HWSP_TP:
		trace_hwsb_peers_rec(n, v);
		return false;
	default:
		barrier_data(v);
		return false;
	}
}

/* The method is a constant in each instance: no switch in the loop. */
static __always_inline u64 hwsp_batch_of(enum hwsp_method m, u32 cpu,
					 u64 first, u64 count)
{
	u64 n, fail = 0;

	for (n = first; n < first + count; n++)
		fail += hwsp_one(m, cpu, n);
	return fail;
}

static noinline u64 hwsp_batch(enum hwsp_method m, u32 cpu, u64 first,
			       u64 count)
{
	switch (m) {
	case HWSP_EMIT:
		return hwsp_batch_of(HWSP_EMIT, cpu, first, count);
	case HWSP_TP:
		return hwsp_batch_of(HWSP_TP, cpu, first, count);
	default:
		return hwsp_batch_of(HWSP_EMPTY, cpu, first, count);
	}
}

static void hwsp_pace(struct hwsp_job *j)
{
	u64 t0 = ktime_get_ns(), n = 0;

	while (n < j->n) {
		u64 due = j->n, end = n + 4096;

		if (j->rate)
			due = min(j->n, div64_u64((ktime_get_ns() - t0) *
						  j->rate, NSEC_PER_SEC) + 1);
		for (; n < due && n < end; n++)
			j->fail[j->sink] += hwsp_one(j->sink, j->cpu, n);
		if (n < due || !j->rate)
			cond_resched();
		else
			usleep_range(50, 200);
	}
	j->wall = ktime_get_ns() - t0;
}

static int hwsp_thread(void *arg)
{
	struct hwsp_job *j = arg;
	u64 first, t0 = ktime_get_ns();

	atomic_inc(j->ready);
	while (atomic_read(j->ready) < j->nr_threads)
		cond_resched();
	if (j->pace) {
		hwsp_pace(j);
		goto out;
	}
	for (first = 0; first < j->n; first += HWSP_BATCH) {
		u64 count = min_t(u64, HWSP_BATCH, j->n - first);
		unsigned int k;

		for (k = 0; k < HWSP_NR; k++) {
			u64 a = ktime_get_ns();

			j->fail[k] += hwsp_batch(k, j->cpu, first, count);
			if (count == HWSP_BATCH)
				j->batches[k].ns[j->batches[k].nr++] =
					ktime_get_ns() - a;
			cond_resched();
		}
	}
	j->wall = ktime_get_ns() - t0;
out:
	complete(&j->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static __printf(1, 2) void hwsp_result(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hwsp_results_len += vscnprintf(hwsp_results + hwsp_results_len,
				       HWSP_RESULTS_SIZE - hwsp_results_len,
				       fmt, ap);
	va_end(ap);
}

static void hwsp_report(struct hwsp_job *j, const char *where, u64 *tmp)
{
	unsigned int k;

	if (j->pace) {
		hwsp_result("pace %s cpu=%u n=%llu fail=%llu ns=%llu\n",
			    hwsp_names[j->sink], j->cpu, j->n,
			    j->fail[j->sink], j->wall);
		return;
	}
	for (k = 0; k < HWSP_NR; k++) {
		struct hwsb_batch_sum sum;

		sum = hwsb_batch_sum(&j->batches[k], &j->batches[HWSP_EMIT],
				     tmp);
		hwsp_result("cost %s %s cpu=%u n=%llu fail=%llu batch_min=%llu batch_med=%llu vs_emit=%llu\n",
			    hwsp_names[k], where, j->cpu, j->n, j->fail[k],
			    sum.min, sum.med, sum.vs);
	}
}

static int hwsp_run(bool pace, enum hwsp_method sink, bool all, u64 n,
		    u64 rate)
{
	unsigned int nr = all ? num_online_cpus() : 1, t = 0, cpu, k;
	u64 nb = n / HWSP_BATCH;
	struct task_struct **th;
	struct hwsp_job *jobs;
	atomic_t ready = ATOMIC_INIT(0);
	u64 *tmp;
	int ret = 0;

	jobs = kcalloc(nr, sizeof(*jobs), GFP_KERNEL);
	th = kcalloc(nr, sizeof(*th), GFP_KERNEL);
	tmp = kvmalloc_array(nb + 1, sizeof(u64), GFP_KERNEL);
	if (!jobs || !th || !tmp) {
		ret = -ENOMEM;
		goto out;
	}
	for_each_online_cpu(cpu) {
		struct hwsp_job *j = &jobs[t];

		if (t == nr)
			break;
		j->cpu = cpu;
		j->pace = pace;
		j->sink = sink;
		j->n = n;
		j->rate = rate;
		j->ready = &ready;
		j->nr_threads = nr;
		init_completion(&j->done);
		for (k = 0; !pace && k < HWSP_NR; k++) {
			j->batches[k].ns = kvmalloc_array(nb + 1, sizeof(u64),
							  GFP_KERNEL);
			if (!j->batches[k].ns) {
				ret = -ENOMEM;
				goto out;
			}
		}
		t++;
	}
	nr = t;
	for (t = 0; t < nr; t++) {
		th[t] = kthread_create(hwsp_thread, &jobs[t], "hwsb_peers/%u",
				       jobs[t].cpu);
		if (IS_ERR(th[t])) {
			ret = PTR_ERR(th[t]);
			th[t] = NULL;
			/* Let the started ones go: they wait for nr threads. */
			atomic_add(nr - t, &ready);
			break;
		}
		kthread_bind(th[t], jobs[t].cpu);
		wake_up_process(th[t]);
	}
	for (t = 0; t < nr && th[t]; t++) {
		wait_for_completion(&jobs[t].done);
		kthread_stop(th[t]);
	}
	if (ret)
		goto out;
	hwsp_results_len = 0;
	hwsp_results[0] = '\0';
	for (t = 0; t < nr; t++)
		hwsp_report(&jobs[t], all ? "all" : "one", tmp);
out:
	for (t = 0; jobs && t < nr; t++)
		for (k = 0; k < HWSP_NR; k++)
			kvfree(jobs[t].batches[k].ns);
	kvfree(tmp);
	kfree(th);
	kfree(jobs);
	return ret;
}

static ssize_t hwsp_run_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	char buf[64], what[8], where[8];
	unsigned long long n, rate;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	mutex_lock(&hwsp_lock);
	if (sscanf(buf, "cost %7s %llu", where, &n) == 2 &&
	    (!strcmp(where, "one") || !strcmp(where, "all")) &&
	    n && n <= HWSP_MAX_N)
		ret = hwsp_run(false, HWSP_EMIT, !strcmp(where, "all"), n, 0);
	else if (sscanf(buf, "pace %7s %llu %llu", what, &rate, &n) == 3 &&
		 (!strcmp(what, "emit") || !strcmp(what, "tp")) &&
		 n && n <= HWSP_MAX_N)
		ret = hwsp_run(true, strcmp(what, "emit") ? HWSP_TP : HWSP_EMIT,
			       true, n, rate);
	else
		ret = -EINVAL;
	mutex_unlock(&hwsp_lock);
	return ret ? ret : len;
}

static const struct file_operations hwsp_run_fops = {
	.owner = THIS_MODULE,
	.write = hwsp_run_write,
	.llseek = noop_llseek,
};

static int hwsp_results_show(struct seq_file *m, void *v)
{
	mutex_lock(&hwsp_lock);
	seq_write(m, hwsp_results, hwsp_results_len);
	mutex_unlock(&hwsp_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hwsp_results);

static const struct hwstats_counter_def hwsp_counters[HWSP_VALUES] = {
	{ .name = "ticks", .unit = "samples", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter1", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter2", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "counter3", .unit = "events", .kind = HWSTATS_KIND_COUNTER },
	{ .name = "gauge0", .unit = "level", .kind = HWSTATS_KIND_GAUGE },
	{ .name = "gauge1", .unit = "level", .kind = HWSTATS_KIND_GAUGE },
};

static int __init hwsp_init(void)
{
	static const struct hwstats_source_def def = {
		.name = "peer_sim",
		.nr_counters = HWSP_VALUES,
		.counters = hwsp_counters,
	};

	hwsp_results = kzalloc(HWSP_RESULTS_SIZE, GFP_KERNEL);
	if (!hwsp_results)
		return -ENOMEM;
	hwsp_src = hwstats_source_register(&def);
	if (IS_ERR(hwsp_src)) {
		kfree(hwsp_results);
		return PTR_ERR(hwsp_src);
	}
	hwsp_dir = debugfs_create_dir("hwsb_peers", NULL);
	debugfs_create_file("run", 0200, hwsp_dir, NULL, &hwsp_run_fops);
	debugfs_create_file("results", 0400, hwsp_dir, NULL,
			    &hwsp_results_fops);
	return 0;
}

static void __exit hwsp_exit(void)
{
	debugfs_remove(hwsp_dir);
	hwstats_source_unregister(hwsp_src);
	kfree(hwsp_results);
}

module_init(hwsp_init);
module_exit(hwsp_exit);

MODULE_DESCRIPTION("hwstats benchmarks: the same record through hwstats and the tracers");
MODULE_AUTHOR("hwstats developers");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(HWSTATS_NS);
