// SPDX-License-Identifier: GPL-2.0
/*
 * A simulated hardware device that publishes statistics
 * through hwstats' exported API only, as a customer's driver would.
 *
 * It has @sources sources, "sim", "sim1", "sim2", ..., each with the same
 * schema: @counters monotonic counters ("ticks" first) and @gauges gauges.
 * Each CPU takes samples: by an hrtimer at @rate per second in hardirq
 * context or, with @burst, by a thread bound to the CPU that emits as fast
 * as it can while a session runs. Sample n of CPU c, for source k, carries:
 *   value[0]           = n (the "ticks" counter: which sample this is,
 *                        counted from @ticks_base)
 *   value[i], counters = n * 1000 * i + (hash(k, c, i, n) & 0xff), i >= 1
 *   value[j], gauges   = 1000 * (j - counters + 1) + hash(k, c, j, n) % 200
 * where hash is splitmix64 of n ^ c << 48 ^ i << 32 with the increment
 * 0x9e3779b97f4a7c15 * (k + 1), so any record can be checked on its own,
 * the counters increase, and source 0 ("sim") has the values it always had.
 * A sample wider than one record (hwstats_max_values()) is emitted as
 * several records, each with its first counter.
 *
 * A snapshot reads, for every value, the sum over the possible CPUs of
 * that CPU's latest sample (n = its ticks; @ticks_base before any session).
 * With @cpu_mask only the CPUs it names take samples.
 *
 * <debugfs>/hwstats_sim/produced says, per CPU, how many records the
 * sources offered to hwstats while a session ran, how many of them were
 * dropped, and the ticks ("cpuN produced lost ticks", then "total produced
 * lost"). The same lines are logged when the module is unloaded, prefixed
 * "final ", so that a capture that outlives the module can still be
 * checked exactly.
 *
 * Writing N to <debugfs>/hwstats_sim/nmi_emit takes N samples on the
 * writer's CPU as an NMI handler would: in NMI context as in_nmi() sees it
 * (the preempt count's NMI bits set, interrupts off); rate mode only (a
 * burst thread may be preempted mid-sample). hwstats must refuse
 * each record and count it lost; the counts above include them.
 *
 * Writing N to <debugfs>/hwstats_sim/churn registers and unregisters a
 * source named "churn" N times while a thread bound to another CPU emits
 * to it in a tight loop, preemption disabled around each use of the
 * pointer but interrupts on (so an interrupt may stretch any instant of
 * hwstats_emit()), and the writer unregisters with no synchronisation of
 * its own: hwstats_source_unregister() alone must wait for the emitter.
 * Reading the file gives "rounds R emits E written W bad B": B counts
 * returns other than 0, -ENODATA and -ENOSPC (a freed source read back
 * poisoned shows there, or as an oops).
 *
 * With @open_race_ms, every channel file hwstats creates is held that long
 * between its creation and relay's setting up of its buffer (a kretprobe on
 * hwstats' create_buf_file callback that spins), so that a test can open the
 * file in that window at will. Needs CONFIG_KRETPROBES; test use only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smpboot.h>
#include <asm/local64.h>
#include "hwstats.h"
#include "hwstats_compat.h"

#define HWSTATS_SIM_MAX_SOURCES	64
/* How long an idle burst thread sleeps before it looks for a session. */
#define HWSTATS_SIM_IDLE_MS	20

static unsigned int hwstats_sim_rate = 100;
module_param_named(rate, hwstats_sim_rate, uint, 0444);
MODULE_PARM_DESC(rate, "samples per second per CPU (0: none)");
static unsigned int hwstats_sim_counters = 4;
module_param_named(counters, hwstats_sim_counters, uint, 0444);
MODULE_PARM_DESC(counters, "monotonic counters per source, ticks included");
static unsigned int hwstats_sim_gauges = 2;
module_param_named(gauges, hwstats_sim_gauges, uint, 0444);
MODULE_PARM_DESC(gauges, "gauges per source");
static unsigned int hwstats_sim_nr_sources = 1;
module_param_named(sources, hwstats_sim_nr_sources, uint, 0444);
MODULE_PARM_DESC(sources, "number of sources: sim, sim1, sim2, ... (1 to 64)");
static bool hwstats_sim_burst_mode;
module_param_named(burst, hwstats_sim_burst_mode, bool, 0444);
MODULE_PARM_DESC(burst, "emit as fast as possible from a thread per CPU while a session runs, instead of at rate");
static unsigned int hwstats_sim_burst_ms = 10;
module_param_named(burst_ms, hwstats_sim_burst_ms, uint, 0444);
MODULE_PARM_DESC(burst_ms, "with burst: milliseconds a thread emits before it lets others run (1 to 1000)");
static unsigned long hwstats_sim_cpu_mask = ~0UL;
module_param_named(cpu_mask, hwstats_sim_cpu_mask, ulong, 0444);
MODULE_PARM_DESC(cpu_mask, "CPUs that take samples, one bit each (the top bit also stands for every CPU above it)");
static unsigned long long hwstats_sim_ticks_base;
module_param_named(ticks_base, hwstats_sim_ticks_base, ullong, 0444);
MODULE_PARM_DESC(ticks_base, "the first sample's number n on every CPU (to cross 2^32 on 32-bit kernels)");
static unsigned int hwstats_sim_open_race_ms;
module_param_named(open_race_ms, hwstats_sim_open_race_ms, uint, 0444);
MODULE_PARM_DESC(open_race_ms, "test only: hold each new channel file this long before relay sets its buffer up (0 to 1000)");

struct hwstats_sim_src {
	struct hwstats_source *src;
	u32 index;		/* k: 0 for "sim", k for "sim<k>" */
};

/*
 * A CPU's producer state. Only that CPU's producer writes it: its hrtimer
 * or, in burst mode (which starts no timer), its bound thread.
 */
struct hwstats_sim_cpu {
	struct hrtimer timer;
	/*
	 * Samples taken while a session ran, from ticks_base: read by the
	 * snapshot on other CPUs, so local64_t (no torn value on 32-bit).
	 */
	local64_t ticks;
	u64 produced;		/* records offered to hwstats in sessions */
	u64 lost;		/* of which hwstats dropped */
	u64 *values;		/* one sample of one source */
};

static DEFINE_PER_CPU(struct hwstats_sim_cpu, hwstats_sim_cpus);
static DEFINE_PER_CPU(struct task_struct *, hwstats_sim_tasks);
static struct hwstats_sim_src *hwstats_sim_srcs;
static struct hwstats_counter_def *hwstats_sim_defs;
static char (*hwstats_sim_names)[HWSTATS_NAME_LEN];
static struct dentry *hwstats_sim_dir;
static int hwstats_sim_hp;		/* > 0 once the timers' state is set up */
/* The churn test (see the top): the source the emitter may use, or NULL. */
static struct hwstats_source *hwstats_sim_churn_src;
static DEFINE_MUTEX(hwstats_sim_churn_lock);	/* one churn at a time */
static atomic_long_t hwstats_sim_churn_rounds;
static atomic_long_t hwstats_sim_churn_emits;
static atomic_long_t hwstats_sim_churn_written;
static atomic_long_t hwstats_sim_churn_bad;
static atomic_long_t hwstats_sim_churn_sections;
/* Emits per preemption-disabled section of the churn emitter. */
#define HWSTATS_SIM_CHURN_EMITS	512
static bool hwstats_sim_threads;	/* the burst threads exist */
static unsigned int hwstats_sim_n;	/* counters + gauges */

static u64 hwstats_sim_hash(u32 k, u32 cpu, u32 idx, u64 n)
{
	/* splitmix64: cheap, and easy to reproduce in a checker */
	u64 z = n ^ ((u64)cpu << 48) ^ ((u64)idx << 32);

	/* One stream per source; source 0 keeps the classic increment. */
	z += 0x9e3779b97f4a7c15ULL * (k + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 hwstats_sim_value(u32 k, u32 cpu, u32 idx, u64 n)
{
	if (idx == 0)
		return n;
	if (idx < hwstats_sim_counters)
		return n * 1000 * idx +
			(hwstats_sim_hash(k, cpu, idx, n) & 0xff);
	return 1000ULL * (idx - hwstats_sim_counters + 1) +
		hwstats_sim_hash(k, cpu, idx, n) % 200;
}

/*
 * One sample of every source on @cpu, from its producer (see struct
 * hwstats_sim_cpu). Each record's values are computed just before it is
 * emitted, so a source no session samples costs one record's worth.
 * Returns whether a session took any record.
 */
static bool hwstats_sim_sample(struct hwstats_sim_cpu *sc, u32 cpu)
{
	unsigned int max = hwstats_max_values();
	u64 n = local64_read(&sc->ticks);
	bool offered = false;
	u32 k, i, first, count;
	int ret;

	for (k = 0; k < hwstats_sim_nr_sources; k++) {
		for (first = 0; first < hwstats_sim_n; first += count) {
			count = min(max, hwstats_sim_n - first);
			for (i = first; i < first + count; i++)
				sc->values[i] = hwstats_sim_value(k, cpu, i, n);
			ret = hwstats_emit(hwstats_sim_srcs[k].src, first, count,
					   sc->values + first);
			if (ret == -ENODATA)
				break;	/* no session samples this source */
			offered = true;
			WRITE_ONCE(sc->produced, sc->produced + 1);
			/* Dropped: buffer full, or refused in an NMI. */
			if (ret == -ENOSPC || ret == -EPERM)
				WRITE_ONCE(sc->lost, sc->lost + 1);
		}
	}
	if (offered)
		local64_inc(&sc->ticks);
	return offered;
}

static enum hrtimer_restart hwstats_sim_timer(struct hrtimer *t)
{
	struct hwstats_sim_cpu *sc = container_of(t, struct hwstats_sim_cpu,
						  timer);

	hwstats_sim_sample(sc, smp_processor_id());
	hrtimer_forward_now(t, ns_to_ktime(NSEC_PER_SEC / hwstats_sim_rate));
	return HRTIMER_RESTART;
}

/* Runs on the CPU coming online: the timer is pinned to it. */
static bool hwstats_sim_cpu_on(unsigned int cpu)
{
	return hwstats_sim_cpu_mask & BIT(min(cpu, BITS_PER_LONG - 1U));
}

static int hwstats_sim_online(unsigned int cpu)
{
	struct hwstats_sim_cpu *sc = per_cpu_ptr(&hwstats_sim_cpus, cpu);

	if (!hwstats_sim_cpu_on(cpu))
		return 0;
	hrtimer_start(&sc->timer, ns_to_ktime(NSEC_PER_SEC / hwstats_sim_rate),
		      HRTIMER_MODE_REL_PINNED);
	return 0;
}

static int hwstats_sim_offline(unsigned int cpu)
{
	hrtimer_cancel(&per_cpu_ptr(&hwstats_sim_cpus, cpu)->timer);
	return 0;
}

/*
 * Burst mode: the smpboot framework keeps one thread bound to each online
 * CPU and parks it while its CPU is offline. The thread decides by itself
 * whether a session runs (hwstats_emit() says so), so it always runs.
 */
static int hwstats_sim_burst_should_run(unsigned int cpu)
{
	return 1;
}

static void hwstats_sim_burst(unsigned int cpu)
{
	struct hwstats_sim_cpu *sc = per_cpu_ptr(&hwstats_sim_cpus, cpu);
	unsigned long end = jiffies + msecs_to_jiffies(hwstats_sim_burst_ms);

	do {
		if (!hwstats_sim_cpu_on(cpu) || !hwstats_sim_sample(sc, cpu)) {
			/* Parking and stopping wake this sleep up. */
			schedule_timeout_interruptible(msecs_to_jiffies(HWSTATS_SIM_IDLE_MS));
			return;
		}
	} while (time_before(jiffies, end) && !kthread_should_park() &&
		 !kthread_should_stop());
	/* Bounded slices: the CPU's other work, and hotplug, get their turn. */
	cond_resched();
}

static struct smp_hotplug_thread hwstats_sim_burst_threads = {
	.store = &hwstats_sim_tasks,
	.thread_should_run = hwstats_sim_burst_should_run,
	.thread_fn = hwstats_sim_burst,
	.thread_comm = "hwstats_sim/%u",
};

/* Snapshot: every value summed over CPUs, each at its latest sample. */
static u64 hwstats_sim_read(void *priv, u64 *values)
{
	const struct hwstats_sim_src *s = priv;
	u64 total = 0;
	u32 i;
	int cpu;

	for_each_possible_cpu(cpu) {
		u64 n = local64_read(&per_cpu_ptr(&hwstats_sim_cpus, cpu)->ticks);

		for (i = 0; i < hwstats_sim_n; i++)
			values[i] += hwstats_sim_value(s->index, cpu, i, n);
		total += n;
		/* Thousands of counters on many CPUs: let others run. */
		cond_resched();
	}
	return total;
}

static int hwstats_sim_produced_show(struct seq_file *m, void *v)
{
	u64 produced = 0, lost = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct hwstats_sim_cpu *sc = per_cpu_ptr(&hwstats_sim_cpus, cpu);
		u64 p = READ_ONCE(sc->produced), l = READ_ONCE(sc->lost);

		seq_printf(m, "cpu%d %llu %llu %llu\n", cpu, p, l,
			   (u64)local64_read(&sc->ticks));
		produced += p;
		lost += l;
	}
	seq_printf(m, "total %llu %llu\n", produced, lost);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hwstats_sim_produced);

/*
 * Interrupts off keep this CPU's timer and burst thread out, as an NMI
 * would; the NMI bits of the preempt count make in_nmi() true, which is
 * all hwstats_emit() looks at.
 */
static ssize_t hwstats_sim_nmi_write(struct file *file, const char __user *ubuf,
				     size_t len, loff_t *ppos)
{
	unsigned long flags;
	unsigned int n, i;
	int ret, cpu;

	ret = kstrtouint_from_user(ubuf, len, 0, &n);
	if (ret)
		return ret;
	if (n > 100000 || hwstats_sim_burst_mode)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		local_irq_save(flags);
		cpu = smp_processor_id();
		__preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
		hwstats_sim_sample(per_cpu_ptr(&hwstats_sim_cpus, cpu), cpu);
		__preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
		local_irq_restore(flags);
	}
	return len;
}

static const struct file_operations hwstats_sim_nmi_fops = {
	.owner = THIS_MODULE,
	.write = hwstats_sim_nmi_write,
	.llseek = noop_llseek,
};

static const struct hwstats_counter_def hwstats_sim_churn_counter = {
	.name = "ticks",
	.unit = "samples",
	.kind = HWSTATS_KIND_COUNTER,
};

/*
 * The emitter holds the pointer only with preemption disabled, as a driver
 * using it from a timer or under a spinlock would: that is what
 * hwstats_source_unregister()'s wait covers. Hundreds of emits per
 * section, so that an unregister nearly always begins while one is under
 * way, and a source freed too early would be used for most of a section.
 */
static int hwstats_sim_churn_emitter(void *unused)
{
	u64 n = 0;
	int i, ret;

	while (!kthread_should_stop()) {
		struct hwstats_source *src;

		preempt_disable();
		src = READ_ONCE(hwstats_sim_churn_src);
		for (i = 0; src && i < HWSTATS_SIM_CHURN_EMITS; i++) {
			ret = hwstats_emit(src, 0, 1, &n);
			n++;
			atomic_long_inc(&hwstats_sim_churn_emits);
			if (!ret)
				atomic_long_inc(&hwstats_sim_churn_written);
			else if (ret != -ENODATA && ret != -ENOSPC)
				atomic_long_inc(&hwstats_sim_churn_bad);
		}
		preempt_enable();
		atomic_long_inc(&hwstats_sim_churn_sections);
		cond_resched();
	}
	return 0;
}

/*
 * Until the emitter has done what @counter counts once more, or the writer
 * is killed.
 */
static int hwstats_sim_churn_wait(atomic_long_t *counter)
{
	long seen = atomic_long_read(counter);

	while (atomic_long_read(counter) == seen) {
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static ssize_t hwstats_sim_churn_write(struct file *file,
				       const char __user *ubuf, size_t len,
				       loff_t *ppos)
{
	struct hwstats_source_def def = {
		.name = "churn",
		.nr_counters = 1,
		.counters = &hwstats_sim_churn_counter,
	};
	struct hwstats_source *src;
	struct task_struct *t;
	unsigned int rounds, i, cpu;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &rounds);
	if (ret)
		return ret;
	if (!rounds || rounds > 1000000)
		return -EINVAL;
	if (mutex_lock_killable(&hwstats_sim_churn_lock))
		return -EINTR;
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu >= nr_cpu_ids) {
		ret = -ENODEV;		/* one CPU: no other to emit on */
		goto out_unlock;
	}
	t = kthread_create(hwstats_sim_churn_emitter, NULL, "hwstats_churn");
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		goto out_unlock;
	}
	kthread_bind(t, cpu);
	wake_up_process(t);
	for (i = 0; i < rounds && !ret; i++) {
		src = hwstats_source_register(&def);
		if (IS_ERR(src)) {
			ret = PTR_ERR(src);
			break;
		}
		/* The source is set up before the emitter can see it. */
		smp_store_release(&hwstats_sim_churn_src, src);
		/* The race needs a user: one emit with it at least. */
		ret = hwstats_sim_churn_wait(&hwstats_sim_churn_emits);
		WRITE_ONCE(hwstats_sim_churn_src, NULL);
		/* No grace period of ours: unregistering must wait itself. */
		hwstats_source_unregister(src);
		atomic_long_inc(&hwstats_sim_churn_rounds);
		/*
		 * Were the source freed too early, the section that holds it
		 * would run on freed, poisoned memory: the next source is
		 * allocated only after that section, so that it does not get
		 * the same memory back meanwhile.
		 */
		if (!ret)
			ret = hwstats_sim_churn_wait(&hwstats_sim_churn_sections);
	}
	kthread_stop(t);
out_unlock:
	mutex_unlock(&hwstats_sim_churn_lock);
	return ret ? ret : len;
}

static int hwstats_sim_churn_show(struct seq_file *m, void *v)
{
	seq_printf(m, "rounds %ld emits %ld written %ld bad %ld\n",
		   atomic_long_read(&hwstats_sim_churn_rounds),
		   atomic_long_read(&hwstats_sim_churn_emits),
		   atomic_long_read(&hwstats_sim_churn_written),
		   atomic_long_read(&hwstats_sim_churn_bad));
	return 0;
}

static int hwstats_sim_churn_open(struct inode *inode, struct file *file)
{
	return single_open(file, hwstats_sim_churn_show, NULL);
}

static const struct file_operations hwstats_sim_churn_fops = {
	.owner = THIS_MODULE,
	.open = hwstats_sim_churn_open,
	.read = seq_read,
	.write = hwstats_sim_churn_write,
	.llseek = seq_lseek,
	.release = single_release,
};

#ifdef CONFIG_KRETPROBES
/*
 * Runs as hwstats_create_buf_file() returns: the channel file exists and
 * can be opened, and relay has not yet initialised the buffer behind it.
 */
static int hwstats_sim_open_race_ret(struct kretprobe_instance *ri,
				     struct pt_regs *regs)
{
	mdelay(hwstats_sim_open_race_ms);
	return 0;
}

static struct kretprobe hwstats_sim_open_race_probe = {
	.kp.symbol_name = "hwstats_create_buf_file",
	.handler = hwstats_sim_open_race_ret,
};

static bool hwstats_sim_open_race_on;

static int hwstats_sim_open_race_start(void)
{
	int ret;

	if (!hwstats_sim_open_race_ms)
		return 0;
	ret = register_kretprobe(&hwstats_sim_open_race_probe);
	if (ret) {
		pr_err("open_race_ms: cannot probe hwstats_create_buf_file: %d\n",
		       ret);
		return ret;
	}
	hwstats_sim_open_race_on = true;
	return 0;
}

static void hwstats_sim_open_race_stop(void)
{
	if (hwstats_sim_open_race_on)
		unregister_kretprobe(&hwstats_sim_open_race_probe);
	hwstats_sim_open_race_on = false;
}
#else
static int hwstats_sim_open_race_start(void)
{
	return hwstats_sim_open_race_ms ? -EOPNOTSUPP : 0;
}

static void hwstats_sim_open_race_stop(void)
{
}
#endif

/* The producers are stopped: these are the final counts. */
static void hwstats_sim_log_produced(void)
{
	u64 produced = 0, lost = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct hwstats_sim_cpu *sc = per_cpu_ptr(&hwstats_sim_cpus, cpu);

		pr_info("final cpu%d %llu %llu %llu\n", cpu, sc->produced,
			sc->lost, (u64)local64_read(&sc->ticks));
		produced += sc->produced;
		lost += sc->lost;
	}
	pr_info("final total %llu %llu\n", produced, lost);
}

/* Stop every producer; once this returns nothing emits any more. */
static void hwstats_sim_stop(void)
{
	if (hwstats_sim_threads)
		smpboot_unregister_percpu_thread(&hwstats_sim_burst_threads);
	hwstats_sim_threads = false;
	if (hwstats_sim_hp > 0)
		cpuhp_remove_state(hwstats_sim_hp);
	hwstats_sim_hp = 0;
}

static void hwstats_sim_unregister(void)
{
	u32 k;

	for (k = 0; hwstats_sim_srcs && k < hwstats_sim_nr_sources; k++)
		hwstats_source_unregister(hwstats_sim_srcs[k].src);
}

/* Copes with a half-built device: everything may be NULL. */
static void hwstats_sim_free(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kvfree(per_cpu_ptr(&hwstats_sim_cpus, cpu)->values);
	kfree(hwstats_sim_srcs);
	kvfree(hwstats_sim_defs);
	kvfree(hwstats_sim_names);
}

static int hwstats_sim_build_schema(void)
{
	unsigned int i, counters = hwstats_sim_counters;

	/* Thousands of counters are allowed: no need for contiguous pages. */
	hwstats_sim_defs = kvcalloc(hwstats_sim_n, sizeof(*hwstats_sim_defs),
				    GFP_KERNEL);
	hwstats_sim_names = kvcalloc(hwstats_sim_n, sizeof(*hwstats_sim_names),
				     GFP_KERNEL);
	if (!hwstats_sim_defs || !hwstats_sim_names)
		return -ENOMEM;
	for (i = 0; i < hwstats_sim_n; i++) {
		struct hwstats_counter_def *d = &hwstats_sim_defs[i];

		if (i == 0)
			strscpy(hwstats_sim_names[i], "ticks", HWSTATS_NAME_LEN);
		else if (i < counters)
			snprintf(hwstats_sim_names[i], HWSTATS_NAME_LEN,
				 "counter%u", i);
		else
			snprintf(hwstats_sim_names[i], HWSTATS_NAME_LEN,
				 "gauge%u", i - counters);
		d->name = hwstats_sim_names[i];
		d->unit = i == 0 ? "samples" : i < counters ? "events" : "level";
		d->kind = i < counters ? HWSTATS_KIND_COUNTER : HWSTATS_KIND_GAUGE;
	}
	return 0;
}

static int hwstats_sim_register(void)
{
	char name[HWSTATS_NAME_LEN];
	struct hwstats_source_def def = {
		.name = name,
		.nr_counters = hwstats_sim_n,
		.counters = hwstats_sim_defs,
		.read = hwstats_sim_read,
	};
	u32 k;

	hwstats_sim_srcs = kcalloc(hwstats_sim_nr_sources,
				   sizeof(*hwstats_sim_srcs), GFP_KERNEL);
	if (!hwstats_sim_srcs)
		return -ENOMEM;
	for (k = 0; k < hwstats_sim_nr_sources; k++) {
		struct hwstats_sim_src *s = &hwstats_sim_srcs[k];
		struct hwstats_source *src;

		if (k)
			snprintf(name, sizeof(name), "sim%u", k);
		else
			strscpy(name, "sim", sizeof(name));
		s->index = k;
		def.priv = s;
		src = hwstats_source_register(&def);
		if (IS_ERR(src))
			return PTR_ERR(src);
		s->src = src;
	}
	return 0;
}

static int __init hwstats_sim_init(void)
{
	int cpu, ret;

	if (hwstats_sim_counters < 1 || hwstats_sim_rate > 1000000 ||
	    hwstats_sim_counters + (u64)hwstats_sim_gauges > HWSTATS_MAX_COUNTERS ||
	    hwstats_sim_nr_sources < 1 ||
	    hwstats_sim_nr_sources > HWSTATS_SIM_MAX_SOURCES ||
	    hwstats_sim_burst_ms < 1 || hwstats_sim_burst_ms > 1000 ||
	    hwstats_sim_open_race_ms > 1000)
		return -EINVAL;
	hwstats_sim_n = hwstats_sim_counters + hwstats_sim_gauges;
	ret = hwstats_sim_build_schema();
	if (ret)
		goto err_free;
	/*
	 * Allocated here, not per sample: a producer runs in hardirq
	 * context, where there is no allocating.
	 */
	for_each_possible_cpu(cpu) {
		struct hwstats_sim_cpu *sc = per_cpu_ptr(&hwstats_sim_cpus, cpu);

		sc->values = kvcalloc(hwstats_sim_n, sizeof(u64), GFP_KERNEL);
		if (!sc->values) {
			ret = -ENOMEM;
			goto err_free;
		}
		local64_set(&sc->ticks, hwstats_sim_ticks_base);
		hwstats_hrtimer_setup(&sc->timer, hwstats_sim_timer,
				      CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	}
	ret = hwstats_sim_open_race_start();
	if (ret)
		goto err_free;
	ret = hwstats_sim_register();
	if (ret)
		goto err_unregister;
	hwstats_sim_dir = debugfs_create_dir("hwstats_sim", NULL);
	debugfs_create_file("produced", 0444, hwstats_sim_dir, NULL,
			    &hwstats_sim_produced_fops);
	debugfs_create_file("nmi_emit", 0200, hwstats_sim_dir, NULL,
			    &hwstats_sim_nmi_fops);
	debugfs_create_file("churn", 0600, hwstats_sim_dir, NULL,
			    &hwstats_sim_churn_fops);
	/* The producers start last: the sources they emit to exist. */
	if (hwstats_sim_burst_mode) {
		ret = smpboot_register_percpu_thread(&hwstats_sim_burst_threads);
		if (ret)
			goto err_remove_dir;
		hwstats_sim_threads = true;
	} else if (hwstats_sim_rate) {
		ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hwstats_sim:online",
					hwstats_sim_online, hwstats_sim_offline);
		if (ret < 0)
			goto err_remove_dir;
		hwstats_sim_hp = ret;
	}
	return 0;

err_remove_dir:
	debugfs_remove(hwstats_sim_dir);
err_unregister:
	hwstats_sim_unregister();
	hwstats_sim_open_race_stop();
err_free:
	hwstats_sim_free();
	return ret;
}

static void __exit hwstats_sim_exit(void)
{
	/* Producers first, so nothing emits once the sources go. */
	hwstats_sim_stop();
	hwstats_sim_log_produced();
	hwstats_sim_unregister();
	debugfs_remove(hwstats_sim_dir);
	hwstats_sim_open_race_stop();
	hwstats_sim_free();
}

module_init(hwstats_sim_init);
module_exit(hwstats_sim_exit);

MODULE_DESCRIPTION("Simulated hardware statistics for hwstats");
MODULE_IMPORT_NS(HWSTATS_NS);
MODULE_AUTHOR("hwstats developers");
MODULE_LICENSE("GPL");
