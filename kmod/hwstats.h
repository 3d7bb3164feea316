/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The API a driver uses to publish statistics through hwstats.
 *
 * A driver registers a source: a name and a schema of counters (name, unit,
 * kind). While a capture session runs it emits samples of those counters
 * with hwstats_emit(), from process, softirq or hardirq context (not from
 * an NMI handler: there the record is refused with -EPERM and counted
 * lost); hwstats-record writes them to a trace file together with the
 * schema, so no tool needs to know the driver.
 *
 * Before hwstats_source_unregister(), a driver stops every caller of
 * hwstats_emit() for that source that runs in preemptible process context
 * (kthread_stop(), flush_work(), ...). Callers that run with preemption
 * disabled (interrupt handlers, timers, softirqs, spinlocked sections) may
 * still be running: unregistering waits for them. No call may start after
 * hwstats_source_unregister() has returned.
 *
 * The exports are in a symbol namespace: a module using them says
 * MODULE_IMPORT_NS(HWSTATS_NS) (hwstats_compat.h spells the namespace for
 * the kernel it is built for).
 */
#ifndef _HWSTATS_H
#define _HWSTATS_H

#include <linux/types.h>
#include "hwstats_abi.h"

struct hwstats_source;

struct hwstats_counter_def {
	const char *name;		/* < HWSTATS_NAME_LEN chars */
	const char *unit;		/* < HWSTATS_UNIT_LEN chars, may be NULL */
	enum hwstats_counter_kind kind;
};

struct hwstats_source_def {
	const char *name;		/* < HWSTATS_NAME_LEN chars */
	unsigned int nr_counters;
	const struct hwstats_counter_def *counters;
	/*
	 * Optional: fill values[0..nr_counters) with the current values, for
	 * HWSTATS_IOC_SNAPSHOT, and return the source's update count. Called
	 * in process context (may sleep) with hwstats_lock held, so it must
	 * not call into hwstats; never concurrently for one source; the set
	 * must be consistent (the source's seqcount or lock guards it).
	 */
	u64 (*read)(void *priv, u64 *values);
	/*
	 * Optional: called once per session period while a session that
	 * enables this source runs, from a workqueue under rcu_read_lock():
	 * it must not sleep. It emits samples.
	 */
	void (*sample)(struct hwstats_source *src, void *priv);
	void *priv;
};

struct hwstats_source *hwstats_source_register(const struct hwstats_source_def *def);
void hwstats_source_unregister(struct hwstats_source *src);
int hwstats_emit(struct hwstats_source *src, u32 first, u32 count,
		 const u64 *values);
unsigned int hwstats_max_values(void);

#endif /* _HWSTATS_H */
