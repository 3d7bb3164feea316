/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of hwstats.ko share.
 */
#ifndef _HWSTATS_INTERNAL_H
#define _HWSTATS_INTERNAL_H

#include <linux/list.h>
#include <asm/local64.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/relay.h>
#include <linux/workqueue.h>
#include "hwstats.h"

#define HWSTATS_MODULE_VERSION "0.1.0"

struct hwstats_source {
	/* In hwstats_sources: read under RCU, changed under hwstats_lock. */
	struct list_head node;
	u32 id;
	bool enabled;			/* sampled by the running session */
	/* Under hwstats_lock: in hwstats_sources */
	bool listed;
	/* Under hwstats_lock: enabled in this session: keep the schema */
	bool sampled;
	bool retired;			/* on the retired list, by retired_node */
	bool gone;			/* unregistered, grace period over */
	struct list_head retired_node;
	char name[HWSTATS_NAME_LEN];
	struct hwstats_source_def def;
	struct hwstats_counter_desc *desc;	/* nr_counters, ABI form */
	local64_t __percpu *seq;	/* samples emitted on each CPU */
	struct rcu_head rcu;
};

/*
 * Per-CPU accounting of a session. Its own CPU writes it, interrupts off
 * (lost also from an NMI); other CPUs read it. local64_t: no torn 64-bit
 * values on 32-bit kernels, and an NMI's increment cannot be lost in the
 * middle of an interrupted one.
 */
struct hwstats_cpu {
	local64_t records;
	local64_t bytes;
	local64_t lost;
	local64_t subbufs;		/* switches; also the next header's seq */
	/* Low bits of subbufs at the last flush tick: own CPU writes it. */
	unsigned long flushed_at;
	/* This CPU's buffer once relay has set it up: its file may open. */
	struct rchan_buf *ready;
};

struct hwstats_session {
	struct rchan *chan;
	struct hwstats_cpu __percpu *cpu;
	struct file *owner;
	u32 flags;			/* HWSTATS_START_* */
	u32 subbuf_size;
	u32 n_subbufs;
	bool all_sources;
	u64 period_ns;
	u64 flush_ns;
	u64 id;
	u64 start_boot_ns;
	u64 start_real_ns;
	u64 stop_boot_ns;
	struct delayed_work flush_work;
	struct delayed_work sample_work;
};

/* hwstats_source.c */
extern struct mutex hwstats_lock;	/* sessions and the source list */
extern struct list_head hwstats_sources;
extern unsigned int hwstats_nr_sources;
void hwstats_sources_enable(struct hwstats_session *s, const u32 *ids,
			    u32 nr);
void hwstats_sources_disable(void);
struct hwstats_source *__hwstats_source_find(u32 id);
struct hwstats_source *__hwstats_schema_find(u32 id);
void hwstats_sources_session_end(void);
int hwstats_sources_init(void);

/* hwstats_channel.c */
extern struct hwstats_session __rcu *hwstats_active;
void hwstats_channel_init(void);
int hwstats_channel_open(struct hwstats_session *s, struct dentry *dir);
void hwstats_channel_flush_cpus(struct hwstats_session *s, bool idle_only);
void hwstats_channel_close(struct hwstats_session *s);
void hwstats_channel_debugfs(struct dentry *dir);
extern struct hwstats_session __rcu *hwstats_readable;
int hwstats_channel_mmap(struct vm_area_struct *vma);
int __hwstats_channel_consume(struct hwstats_session *s, u32 cpu,
			      u64 consumed, u64 *produced);

/* hwstats_ctl.c */
int hwstats_ctl_init(void);
void hwstats_ctl_exit(void);

#endif /* _HWSTATS_INTERNAL_H */
