// SPDX-License-Identifier: GPL-2.0
/*
 * A simulated hardware device that publishes statistics
 * through hwstats' exported API only, as a customer's driver would.
 *
 * Each CPU has an hrtimer that takes a sample at @rate per second, in
 * hardirq context. Sample n of CPU c carries:
 *   value[0]           = n (the "ticks" counter: which sample this is)
 *   value[i], counters = n * 1000 * i + (hash(c, i, n) & 0xff), i >= 1
 *   value[j], gauges   = 1000 * (j + 1) + hash(c, j, n) % 200
 * so any record can be checked on its own, and the counters increase.
 * <debugfs>/hwstats_sim/produced says how many records each CPU offered
 * to hwstats while a session ran, and how many of them were dropped.
 */
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "hwstats.h"

static unsigned int rate = 100;
module_param(rate, uint, 0444);
MODULE_PARM_DESC(rate, "samples per second per CPU (0: none)");
static unsigned int counters = 4;
module_param(counters, uint, 0444);
MODULE_PARM_DESC(counters, "monotonic counters per source, ticks included");
static unsigned int gauges = 2;
module_param(gauges, uint, 0444);
MODULE_PARM_DESC(gauges, "gauges per source");

struct hwstats_sim_cpu {
	struct hrtimer timer;
	u64 ticks;		/* samples taken while a session ran */
	u64 produced;		/* records offered to hwstats in sessions */
	u64 lost;		/* of which hwstats dropped */
	u64 *values;
};

static DEFINE_PER_CPU(struct hwstats_sim_cpu, hwstats_sim_cpus);
static struct hwstats_source *hwstats_sim_src;
static struct hwstats_counter_def *hwstats_sim_defs;
static char (*hwstats_sim_names)[HWSTATS_NAME_LEN];
static struct dentry *hwstats_sim_dir;
static enum cpuhp_state hwstats_sim_hp;
static unsigned int hwstats_sim_n;	/* counters + gauges */

static u64 hwstats_sim_hash(u32 cpu, u32 idx, u64 n)
{
	/* splitmix64: cheap, and easy to reproduce in a checker */
	u64 z = n ^ ((u64)cpu << 48) ^ ((u64)idx << 32);

	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 hwstats_sim_value(u32 cpu, u32 idx, u64 n)
{
	if (idx == 0)
		return n;
	if (idx < counters)
		return n * 1000 * idx + (hwstats_sim_hash(cpu, idx, n) & 0xff);
	return 1000ULL * (idx - counters + 1) +
		hwstats_sim_hash(cpu, idx, n) % 200;
}

static void hwstats_sim_fill(u32 cpu, u64 n, u64 *values)
{
	u32 i;

	for (i = 0; i < hwstats_sim_n; i++)
		values[i] = hwstats_sim_value(cpu, i, n);
}

/* Hardirq context, this CPU's timer: nothing else touches @sc here. */
static void hwstats_sim_sample(struct hwstats_sim_cpu *sc, u32 cpu)
{
	unsigned int max = hwstats_max_values();
	u32 first;
	int ret = 0;

	hwstats_sim_fill(cpu, sc->ticks, sc->values);
	for (first = 0; first < hwstats_sim_n; first += max) {
		ret = hwstats_emit(hwstats_sim_src, first,
				   min(max, hwstats_sim_n - first),
				   sc->values + first);
		if (ret == -ENODATA)
			return;		/* no session: nothing offered */
		sc->produced++;
		if (ret == -ENOSPC)
			sc->lost++;
	}
	sc->ticks++;
}

static enum hrtimer_restart hwstats_sim_timer(struct hrtimer *t)
{
	struct hwstats_sim_cpu *sc = container_of(t, struct hwstats_sim_cpu,
						  timer);

	hwstats_sim_sample(sc, smp_processor_id());
	hrtimer_forward_now(t, ns_to_ktime(NSEC_PER_SEC / rate));
	return HRTIMER_RESTART;
}

/* Runs on the CPU coming online: the timer is pinned to it. */
static int hwstats_sim_online(unsigned int cpu)
{
	struct hwstats_sim_cpu *sc = per_cpu_ptr(&hwstats_sim_cpus, cpu);

	if (!rate)
		return 0;
	hrtimer_start(&sc->timer, ns_to_ktime(NSEC_PER_SEC / rate),
		      HRTIMER_MODE_REL_PINNED);
	return 0;
}

static int hwstats_sim_offline(unsigned int cpu)
{
	hrtimer_cancel(&per_cpu_ptr(&hwstats_sim_cpus, cpu)->timer);
	return 0;
}

/* Snapshot: every value summed over CPUs, each at its latest sample. */
static u64 hwstats_sim_read(void *priv, u64 *values)
{
	u64 total = 0;
	u32 i;
	int cpu;

	for_each_possible_cpu(cpu) {
		u64 n = READ_ONCE(per_cpu_ptr(&hwstats_sim_cpus, cpu)->ticks);

		for (i = 0; i < hwstats_sim_n; i++)
			values[i] += hwstats_sim_value(cpu, i, n);
		total += n;
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
			   READ_ONCE(sc->ticks));
		produced += p;
		lost += l;
	}
	seq_printf(m, "total %llu %llu\n", produced, lost);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hwstats_sim_produced);

static void hwstats_sim_free(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kfree(per_cpu_ptr(&hwstats_sim_cpus, cpu)->values);
	kfree(hwstats_sim_defs);
	kfree(hwstats_sim_names);
}

static int __init hwstats_sim_init(void)
{
	struct hwstats_source_def def = {
		.name = "sim",
		.read = hwstats_sim_read,
	};
	unsigned int i;
	int cpu, ret;

	if (counters < 1 || rate > 1000000 ||
	    counters + gauges > HWSTATS_MAX_COUNTERS)
		return -EINVAL;
	hwstats_sim_n = counters + gauges;
	hwstats_sim_defs = kcalloc(hwstats_sim_n, sizeof(*hwstats_sim_defs),
				   GFP_KERNEL);
	hwstats_sim_names = kcalloc(hwstats_sim_n, sizeof(*hwstats_sim_names),
				    GFP_KERNEL);
	if (!hwstats_sim_defs || !hwstats_sim_names) {
		ret = -ENOMEM;
		goto err_free;
	}
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
	for_each_possible_cpu(cpu) {
		struct hwstats_sim_cpu *sc = per_cpu_ptr(&hwstats_sim_cpus, cpu);

		sc->values = kcalloc(hwstats_sim_n, sizeof(u64), GFP_KERNEL);
		if (!sc->values) {
			ret = -ENOMEM;
			goto err_free;
		}
		hrtimer_init(&sc->timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED);
		sc->timer.function = hwstats_sim_timer;
	}
	def.nr_counters = hwstats_sim_n;
	def.counters = hwstats_sim_defs;
	hwstats_sim_src = hwstats_source_register(&def);
	if (IS_ERR(hwstats_sim_src)) {
		ret = PTR_ERR(hwstats_sim_src);
		goto err_free;
	}
	hwstats_sim_dir = debugfs_create_dir("hwstats_sim", NULL);
	debugfs_create_file("produced", 0444, hwstats_sim_dir, NULL,
			    &hwstats_sim_produced_fops);
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hwstats_sim:online",
				hwstats_sim_online, hwstats_sim_offline);
	if (ret < 0)
		goto err_unregister;
	hwstats_sim_hp = ret;
	return 0;

err_unregister:
	debugfs_remove(hwstats_sim_dir);
	hwstats_source_unregister(hwstats_sim_src);
err_free:
	hwstats_sim_free();
	return ret;
}

static void __exit hwstats_sim_exit(void)
{
	/* Stops every timer, so nothing emits once the source goes. */
	cpuhp_remove_state(hwstats_sim_hp);
	hwstats_source_unregister(hwstats_sim_src);
	debugfs_remove(hwstats_sim_dir);
	hwstats_sim_free();
}

module_init(hwstats_sim_init);
module_exit(hwstats_sim_exit);

MODULE_DESCRIPTION("Simulated hardware statistics for hwstats");
MODULE_AUTHOR("hwstats developers");
MODULE_LICENSE("GPL");
