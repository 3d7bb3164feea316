// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hwstats: session control and on-demand snapshots.
 *
 * One session at a time. It belongs to the file that started it: its
 * channels stay readable after STOP, until that file calls RESET or is
 * closed, so a recorder can drain everything that was written.
 *
 *   IDLE --START--> RUNNING --STOP--> STOPPED --RESET/close--> IDLE
 *
 * Any other transition fails: -EBUSY when a session is in the way, -EINVAL
 * when there is nothing to act on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include "hwstats_internal.h"

static struct hwstats_session *hwstats_session;	/* under hwstats_lock */
static enum hwstats_state hwstats_state = HWSTATS_STATE_IDLE;
static u64 hwstats_session_seq;
static struct dentry *hwstats_debugfs;

/*
 * Read an extensible argument: its first __u32 is its size in user space.
 * An older, shorter struct (down to its first version's size) is
 * zero-extended; a newer, longer one is accepted only if the bytes we do
 * not know are zero (-E2BIG otherwise). A size over a page is refused
 * before anything is read (-E2BIG): checking gigabytes for zeroes would
 * hold the CPU without a resched point.
 */
static int hwstats_arg_in(void *karg, size_t ksize, size_t min_size,
			  unsigned long uarg)
{
	u32 usize;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < min_size)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, (void __user *)uarg, usize);
}

/* Write back as much of the struct as the caller's version has room for. */
static int hwstats_arg_out(unsigned long uarg, const void *karg, size_t ksize)
{
	u32 usize;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (copy_to_user((void __user *)uarg, karg, min_t(size_t, usize, ksize)))
		return -EFAULT;
	return 0;
}

/* @ver0: the struct's first published size, HWSTATS_*_SIZE_VER0. */
#define HWSTATS_ARG_IN(karg, uarg, ver0) \
	hwstats_arg_in(&(karg), sizeof(karg), (ver0), (uarg))

/*
 * hwstats_lock from an ioctl: a caller stuck behind a long holder can be
 * killed. No ioctl holds it across a user-memory access, so the wait is
 * bounded by the holders' own work.
 */
static int hwstats_lock_killable(void)
{
	return mutex_lock_killable(&hwstats_lock) ? -EINTR : 0;
}

/*
 * Read an argument whose flags define no bit yet (every one but START's):
 * nonzero @flags, or a nonzero @reserved (NULL for a struct without one),
 * is -EINVAL, once hwstats_arg_in() has accepted the size.
 */
static int hwstats_arg_in_checked(void *karg, size_t ksize, size_t min_size,
				  unsigned long uarg, const u32 *flags,
				  const u32 *reserved)
{
	int ret;

	ret = hwstats_arg_in(karg, ksize, min_size, uarg);
	if (ret)
		return ret;
	if (*flags || (reserved && *reserved))
		return -EINVAL;
	return 0;
}

/*
 * The same, then hwstats_lock taken killably: the prologue of the ioctls
 * with nothing to do before the lock (GET_STATS allocates first, outside
 * it). Returns 0 with hwstats_lock held, or an error without it.
 */
static int hwstats_arg_in_locked(void *karg, size_t ksize, size_t min_size,
				 unsigned long uarg, const u32 *flags,
				 const u32 *reserved)
{
	int ret;

	ret = hwstats_arg_in_checked(karg, ksize, min_size, uarg, flags,
				     reserved);
	if (ret)
		return ret;
	return hwstats_lock_killable();
}

/* @reserved: &karg.reserved, or NULL for a struct without one. */
#define HWSTATS_ARG_IN_CHECKED(karg, uarg, ver0, reserved) \
	hwstats_arg_in_checked(&(karg), sizeof(karg), (ver0), (uarg), \
			       &(karg).flags, (reserved))
#define HWSTATS_ARG_IN_LOCKED(karg, uarg, ver0, reserved) \
	hwstats_arg_in_locked(&(karg), sizeof(karg), (ver0), (uarg), \
			      &(karg).flags, (reserved))

static void hwstats_flush_workfn(struct work_struct *work)
{
	struct hwstats_session *s = container_of(to_delayed_work(work),
						 struct hwstats_session,
						 flush_work);

	hwstats_channel_flush_cpus(s, true);
	schedule_delayed_work(&s->flush_work, nsecs_to_jiffies(s->flush_ns));
}

static void hwstats_sample_workfn(struct work_struct *work)
{
	struct hwstats_session *s = container_of(to_delayed_work(work),
						 struct hwstats_session,
						 sample_work);
	struct hwstats_source *src;

	rcu_read_lock();
	list_for_each_entry_rcu(src, &hwstats_sources, node)
		if (src->def.sample && READ_ONCE(src->enabled))
			src->def.sample(src, src->def.priv);
	rcu_read_unlock();
	schedule_delayed_work(&s->sample_work,
			      max(1UL, nsecs_to_jiffies(s->period_ns)));
}

static int hwstats_check_start(const struct hwstats_start *a)
{
	u64 total;

	if (a->flags & ~HWSTATS_START_ALL_FLAGS || a->reserved)
		return -EINVAL;
	if (a->subbuf_size &&
	    (a->subbuf_size < HWSTATS_MIN_SUBBUF_SIZE ||
	     a->subbuf_size > HWSTATS_MAX_SUBBUF_SIZE ||
	     !PAGE_ALIGNED(a->subbuf_size)))
		return -EINVAL;
	if (a->n_subbufs &&
	    (a->n_subbufs < HWSTATS_MIN_N_SUBBUFS ||
	     a->n_subbufs > HWSTATS_MAX_N_SUBBUFS))
		return -EINVAL;
	total = (u64)(a->subbuf_size ?: HWSTATS_DEFAULT_SUBBUF_SIZE) *
		(a->n_subbufs ?: HWSTATS_DEFAULT_N_SUBBUFS);
	if (total > HWSTATS_MAX_BUFFER_SIZE)
		return -EINVAL;
	/*
	 * Every CPU that may come online gets a buffer: all of them together
	 * may take at most a quarter of the memory.
	 */
	if (total * num_possible_cpus() >
	    ((u64)totalram_pages() << PAGE_SHIFT) / 4)
		return -ENOMEM;
	if (a->period_ns && (a->period_ns < HWSTATS_MIN_PERIOD_NS ||
			     a->period_ns > HWSTATS_MAX_PERIOD_NS))
		return -EINVAL;
	if (a->flush_interval_ns &&
	    (a->flush_interval_ns < HWSTATS_MIN_FLUSH_NS ||
	     a->flush_interval_ns > HWSTATS_MAX_FLUSH_NS))
		return -EINVAL;
	if (a->nr_sources > HWSTATS_MAX_START_SOURCES)
		return -EINVAL;
	if (a->nr_sources && !a->source_ids)
		return -EFAULT;
	return 0;
}

static int hwstats_start(struct file *file, unsigned long uarg)
{
	struct hwstats_start a;
	struct hwstats_session *s;
	u32 *ids = NULL;
	u32 i;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = HWSTATS_ARG_IN(a, uarg, HWSTATS_START_SIZE_VER0);
	if (ret)
		return ret;
	ret = hwstats_check_start(&a);
	if (ret)
		return ret;
	if (a.nr_sources) {
		ids = memdup_user(u64_to_user_ptr(a.source_ids),
				  array_size(a.nr_sources, sizeof(u32)));
		if (IS_ERR(ids))
			return PTR_ERR(ids);
	}
	if (IS_ERR_OR_NULL(hwstats_debugfs)) {
		ret = -EOPNOTSUPP;
		goto out_free_ids;
	}

	ret = hwstats_lock_killable();
	if (ret)
		goto out_free_ids;
	if (hwstats_state != HWSTATS_STATE_IDLE) {
		ret = -EBUSY;
		goto out_unlock;
	}
	for (i = 0; i < a.nr_sources; i++) {
		if (!__hwstats_source_find(ids[i])) {
			ret = -ENOENT;
			goto out_unlock;
		}
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	s->owner = file;
	s->flags = a.flags;
	s->subbuf_size = a.subbuf_size ?: HWSTATS_DEFAULT_SUBBUF_SIZE;
	s->n_subbufs = a.n_subbufs ?: HWSTATS_DEFAULT_N_SUBBUFS;
	s->period_ns = a.period_ns ?: HWSTATS_DEFAULT_PERIOD_NS;
	s->flush_ns = a.flush_interval_ns ?: HWSTATS_DEFAULT_FLUSH_NS;
	s->all_sources = !a.nr_sources;
	s->id = ++hwstats_session_seq;
	INIT_DELAYED_WORK(&s->flush_work, hwstats_flush_workfn);
	INIT_DELAYED_WORK(&s->sample_work, hwstats_sample_workfn);
	/*
	 * The two clocks read back to back: their difference maps ts to dates.
	 * Before the channel opens, so that its first headers are not older.
	 */
	s->start_boot_ns = ktime_get_boot_fast_ns();
	s->start_real_ns = ktime_get_real_ns();
	ret = hwstats_channel_open(s, hwstats_debugfs);
	if (ret) {
		kfree(s);
		goto out_unlock;
	}
	hwstats_sources_enable(s, ids, a.nr_sources);
	hwstats_session = s;
	rcu_assign_pointer(hwstats_readable, s);
	hwstats_state = HWSTATS_STATE_RUNNING;
	rcu_assign_pointer(hwstats_active, s);
	/*
	 * A flight recorder keeps all its buffers can hold: no tick switches
	 * its sub-buffers early (each switch of a quiet CPU would throw away
	 * a whole sub-buffer of history). Its reader reads after STOP, whose
	 * relay_flush() completes the last sub-buffers.
	 */
	if (!(s->flags & HWSTATS_START_OVERWRITE))
		schedule_delayed_work(&s->flush_work,
				      nsecs_to_jiffies(s->flush_ns));
	schedule_delayed_work(&s->sample_work, 0);
	ret = 0;
out_unlock:
	mutex_unlock(&hwstats_lock);
out_free_ids:
	kfree(ids);
	return ret;
}

/* RUNNING -> STOPPED: no record is written after this returns. */
static void __hwstats_stop(struct hwstats_session *s)
{
	lockdep_assert_held(&hwstats_lock);
	RCU_INIT_POINTER(hwstats_active, NULL);
	hwstats_sources_disable();
	/* Every emitter that saw the session has left its irq-off region. */
	synchronize_rcu();
	/* The work functions do not take hwstats_lock: safe to wait here. */
	cancel_delayed_work_sync(&s->sample_work);
	cancel_delayed_work_sync(&s->flush_work);
	/*
	 * No writer is left, so relay_flush() may switch every CPU's buffer
	 * from here: it completes the last sub-buffers and wakes readers.
	 */
	relay_flush(s->chan);
	s->stop_boot_ns = ktime_get_boot_fast_ns();
	hwstats_state = HWSTATS_STATE_STOPPED;
}

static void __hwstats_teardown(void)
{
	struct hwstats_session *s = hwstats_session;

	lockdep_assert_held(&hwstats_lock);
	if (!s)
		return;
	if (hwstats_state == HWSTATS_STATE_RUNNING)
		__hwstats_stop(s);
	/* No mmap() still looks at the buffers: relay may free them. */
	RCU_INIT_POINTER(hwstats_readable, NULL);
	synchronize_rcu();
	hwstats_channel_close(s);
	kfree(s);
	hwstats_session = NULL;
	hwstats_state = HWSTATS_STATE_IDLE;
	hwstats_sources_session_end();
}

static void hwstats_flush_all(struct hwstats_session *s)
{
	hwstats_channel_flush_cpus(s, false);
}

/*
 * The prologue of STOP, FLUSH and RESET, which take no argument: the
 * privilege, then hwstats_lock taken killably. Returns 0 with hwstats_lock
 * held, or an error without it.
 */
static int hwstats_admin_lock(void)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return hwstats_lock_killable();
}

/* STOP and FLUSH: privileged, and only while a session runs. */
static int hwstats_while_running(void (*op)(struct hwstats_session *s))
{
	int ret;

	ret = hwstats_admin_lock();
	if (ret)
		return ret;
	if (hwstats_state != HWSTATS_STATE_RUNNING)
		ret = -EINVAL;
	else
		op(hwstats_session);
	mutex_unlock(&hwstats_lock);
	return ret;
}

static int hwstats_reset(struct file *file)
{
	int ret;

	ret = hwstats_admin_lock();
	if (ret)
		return ret;
	if (hwstats_state == HWSTATS_STATE_IDLE)
		ret = -EINVAL;
	else if (hwstats_state == HWSTATS_STATE_RUNNING)
		ret = -EBUSY;
	else if (hwstats_session->owner != file)
		ret = -EPERM;
	else
		__hwstats_teardown();
	mutex_unlock(&hwstats_lock);
	return ret;
}

static int hwstats_get_version(unsigned long uarg)
{
	struct hwstats_version v;
	int ret;

	ret = HWSTATS_ARG_IN_CHECKED(v, uarg, HWSTATS_VERSION_SIZE_VER0, NULL);
	if (ret)
		return ret;
	v.abi_major = HWSTATS_ABI_MAJOR;
	v.abi_minor = HWSTATS_ABI_MINOR;
	strscpy(v.module_version, HWSTATS_MODULE_VERSION,
		sizeof(v.module_version));
	return hwstats_arg_out(uarg, &v, sizeof(v));
}

static int hwstats_get_info(unsigned long uarg)
{
	struct hwstats_info in;
	struct hwstats_session *s;
	int ret;

	ret = HWSTATS_ARG_IN_LOCKED(in, uarg, HWSTATS_INFO_SIZE_VER0, NULL);
	if (ret)
		return ret;
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.nr_cpu_ids = nr_cpu_ids;
	in.nr_possible_cpus = num_possible_cpus();
	in.nr_online_cpus = num_online_cpus();
	s = hwstats_session;
	in.state = hwstats_state;
	in.nr_sources = hwstats_nr_sources;
	in.subbuf_size = s ? s->subbuf_size : HWSTATS_DEFAULT_SUBBUF_SIZE;
	in.n_subbufs = s ? s->n_subbufs : HWSTATS_DEFAULT_N_SUBBUFS;
	in.period_ns = s ? s->period_ns : HWSTATS_DEFAULT_PERIOD_NS;
	in.flush_interval_ns = s ? s->flush_ns : HWSTATS_DEFAULT_FLUSH_NS;
	if (s) {
		in.session_flags = s->flags;
		in.session_id = s->id;
		in.start_boot_ns = s->start_boot_ns;
		in.start_real_ns = s->start_real_ns;
		in.stop_boot_ns = s->stop_boot_ns;
	}
	mutex_unlock(&hwstats_lock);
	return hwstats_arg_out(uarg, &in, sizeof(in));
}

/*
 * The answers of LIST_SOURCES, GET_SCHEMA, GET_STATS and SNAPSHOT are
 * built in kernel memory under hwstats_lock and copied out after it is
 * dropped: a destination that faults for ever (a userfaultfd range never
 * resolved, a FUSE mapping whose server hangs) then blocks only its caller,
 * never session control, source registration or module unload.
 */
static int hwstats_list_sources(unsigned long uarg)
{
	struct hwstats_list_sources a;
	struct hwstats_source_info *si = NULL;
	struct hwstats_source *src;
	u32 n = 0, cap;
	int ret;

	ret = HWSTATS_ARG_IN_LOCKED(a, uarg, HWSTATS_LIST_SOURCES_SIZE_VER0,
				    &a.reserved);
	if (ret)
		return ret;
	cap = min(a.count, hwstats_nr_sources);
	if (cap) {
		si = kvcalloc(cap, sizeof(*si), GFP_KERNEL);
		if (!si) {
			mutex_unlock(&hwstats_lock);
			return -ENOMEM;
		}
	}
	list_for_each_entry(src, &hwstats_sources, node) {
		if (n < cap) {
			si[n].id = src->id;
			si[n].nr_counters = src->def.nr_counters;
			si[n].flags = READ_ONCE(src->enabled) ?
				      HWSTATS_SOURCE_ENABLED : 0;
			strscpy(si[n].name, src->name, sizeof(si[n].name));
		}
		n++;
	}
	mutex_unlock(&hwstats_lock);
	if (cap && copy_to_user(u64_to_user_ptr(a.sources), si,
				array_size(cap, sizeof(*si))))
		ret = -EFAULT;
	kvfree(si);
	if (ret)
		return ret;
	a.count = n;
	return hwstats_arg_out(uarg, &a, sizeof(a));
}

static int hwstats_get_schema(unsigned long uarg)
{
	struct hwstats_counter_desc *desc = NULL;
	struct hwstats_schema a;
	struct hwstats_source *src;
	u32 n = 0;
	int ret;

	ret = HWSTATS_ARG_IN_LOCKED(a, uarg, HWSTATS_SCHEMA_SIZE_VER0, NULL);
	if (ret)
		return ret;
	src = __hwstats_schema_find(a.source_id);
	if (!src) {
		ret = -ENOENT;
	} else {
		n = min(a.count, src->def.nr_counters);
		if (n) {
			desc = kvmalloc_array(n, sizeof(*desc), GFP_KERNEL);
			if (desc)
				memcpy(desc, src->desc,
				       array_size(n, sizeof(*desc)));
			else
				ret = -ENOMEM;
		}
		a.count = src->def.nr_counters;
		memset(a.name, 0, sizeof(a.name));
		strscpy(a.name, src->name, sizeof(a.name));
	}
	mutex_unlock(&hwstats_lock);
	if (!ret && n && copy_to_user(u64_to_user_ptr(a.counters), desc,
				      array_size(n, sizeof(*desc))))
		ret = -EFAULT;
	kvfree(desc);
	if (ret)
		return ret;
	return hwstats_arg_out(uarg, &a, sizeof(a));
}

static int hwstats_get_stats(unsigned long uarg)
{
	struct hwstats_cpu_stats *cs;
	struct hwstats_session *s;
	struct hwstats_stats a;
	u32 cpu, nr;
	int ret;

	ret = HWSTATS_ARG_IN_CHECKED(a, uarg, HWSTATS_STATS_SIZE_VER0,
				     &a.reserved);
	if (ret)
		return ret;
	nr = min_t(u32, a.nr_cpus, nr_cpu_ids);
	cs = kvcalloc(max(nr, 1U), sizeof(*cs), GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	ret = hwstats_lock_killable();
	if (ret)
		goto out_free;
	s = hwstats_session;
	if (!s) {
		mutex_unlock(&hwstats_lock);
		ret = -ENODATA;
		goto out_free;
	}
	for (cpu = 0; cpu < nr; cpu++) {
		cs[cpu].cpu = cpu;
		if (cpu_possible(cpu)) {
			/* Other CPUs update these: a reading, not a barrier. */
			struct hwstats_cpu *pc = per_cpu_ptr(s->cpu, cpu);

			cs[cpu].records = local64_read(&pc->records);
			cs[cpu].bytes = local64_read(&pc->bytes);
			cs[cpu].lost = local64_read(&pc->lost);
			cs[cpu].subbufs = local64_read(&pc->subbufs);
			if (*per_cpu_ptr(s->chan->buf, cpu))
				cs[cpu].flags |= HWSTATS_CPU_HAS_BUFFER;
		}
	}
	mutex_unlock(&hwstats_lock);
	if (nr && copy_to_user(u64_to_user_ptr(a.cpus), cs,
			       array_size(nr, sizeof(*cs))))
		ret = -EFAULT;
	a.nr_cpus = nr_cpu_ids;
out_free:
	kvfree(cs);
	if (ret)
		return ret;
	return hwstats_arg_out(uarg, &a, sizeof(a));
}

/*
 * size_needed, nr_sources and ts are outputs: whatever a caller left in
 * them (the documented retry reuses the struct the -ENOSPC answer filled)
 * is ignored.
 */
static int hwstats_snapshot(unsigned long uarg)
{
	struct hwstats_snapshot a;
	struct hwstats_source *src;
	u64 need = 0, off = 0;
	void *kbuf = NULL;
	u32 n = 0;
	int ret;

	ret = HWSTATS_ARG_IN_LOCKED(a, uarg, HWSTATS_SNAPSHOT_SIZE_VER0,
				    &a.reserved);
	if (ret)
		return ret;
	list_for_each_entry(src, &hwstats_sources, node) {
		need += sizeof(struct hwstats_snapshot_source) +
			(u64)src->def.nr_counters * sizeof(u64);
		n++;
	}
	a.size_needed = need;
	a.nr_sources = n;
	a.ts = 0;
	if (a.buf_size < need) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (need) {
		kbuf = kvzalloc(need, GFP_KERNEL);
		if (!kbuf) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	a.ts = ktime_get_boot_fast_ns();
	list_for_each_entry(src, &hwstats_sources, node) {
		struct hwstats_snapshot_source *ss = kbuf + off;

		ss->id = src->id;
		ss->nr_counters = src->def.nr_counters;
		strscpy(ss->name, src->name, sizeof(ss->name));
		if (src->def.read)
			ss->seq = src->def.read(src->def.priv, (u64 *)(ss + 1));
		off += sizeof(*ss) + array_size(src->def.nr_counters,
						sizeof(u64));
	}
out_unlock:
	mutex_unlock(&hwstats_lock);
	if (!ret && need && copy_to_user(u64_to_user_ptr(a.buf), kbuf, need))
		ret = -EFAULT;
	kvfree(kbuf);
	if (ret && ret != -ENOSPC)
		return ret;
	/* On -ENOSPC the caller still learns size_needed. */
	if (hwstats_arg_out(uarg, &a, sizeof(a)))
		return -EFAULT;
	return ret;
}

/*
 * The reader of a mapped buffer says how far it has read. The session id
 * keeps a mapping of an ended session from moving a new session's buffer.
 */
static int hwstats_consume(unsigned long uarg)
{
	struct hwstats_consume a;
	struct hwstats_session *s;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = HWSTATS_ARG_IN_LOCKED(a, uarg, HWSTATS_CONSUME_SIZE_VER0,
				    &a.reserved);
	if (ret)
		return ret;
	s = hwstats_session;
	if (!s)
		ret = -ENODATA;
	else if (a.session_id != s->id)
		ret = -ESTALE;
	else
		ret = __hwstats_channel_consume(s, a.cpu, a.consumed,
						&a.produced);
	mutex_unlock(&hwstats_lock);
	if (ret && ret != -EINVAL)
		return ret;
	/* On -EINVAL the caller still learns produced. */
	if (hwstats_arg_out(uarg, &a, sizeof(a)))
		return -EFAULT;
	return ret;
}

/*
 * mmap(): one CPU's buffer of the current session (see hwstats_abi.h,
 * "Zero-copy reading"). The channels carry every source's data, hence the
 * privilege, as for the channel files (root only).
 */
static int hwstats_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return hwstats_channel_mmap(vma);
}

/*
 * The size bits of a number are ignored: the size that counts travels in
 * the struct, and a newer user-space build may encode a larger one.
 */
#define HWSTATS_IOC_NOSIZE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

static long hwstats_ioctl(struct file *file, unsigned int cmd,
			  unsigned long uarg)
{
	switch (HWSTATS_IOC_NOSIZE(cmd)) {
	case HWSTATS_IOC_NOSIZE(HWSTATS_IOC_GET_VERSION):
		return hwstats_get_version(uarg);
	case HWSTATS_IOC_NOSIZE(HWSTATS_IOC_GET_INFO):
		return hwstats_get_info(uarg);
	case HWSTATS_IOC_NOSIZE(HWSTATS_IOC_LIST_SOURCES):
		return hwstats_list_sources(uarg);
	case HWSTATS_IOC_NOSIZE(HWSTATS_IOC_GET_SCHEMA):
		return hwstats_get_schema(uarg);
	case HWSTATS_IOC_NOSIZE(HWSTATS_IOC_START):
		return hwstats_start(file, uarg);
	case HWSTATS_IOC_STOP:
		return hwstats_while_running(__hwstats_stop);
	case HWSTATS_IOC_FLUSH:
		return hwstats_while_running(hwstats_flush_all);
	case HWSTATS_IOC_RESET:
		return hwstats_reset(file);
	case HWSTATS_IOC_NOSIZE(HWSTATS_IOC_GET_STATS):
		return hwstats_get_stats(uarg);
	case HWSTATS_IOC_NOSIZE(HWSTATS_IOC_SNAPSHOT):
		return hwstats_snapshot(uarg);
	case HWSTATS_IOC_NOSIZE(HWSTATS_IOC_CONSUME):
		return hwstats_consume(uarg);
	default:
		return -ENOTTY;
	}
}

static int hwstats_release(struct inode *inode, struct file *file)
{
	mutex_lock(&hwstats_lock);
	/* A recorder that exits, or is killed, ends its session. */
	if (hwstats_session && hwstats_session->owner == file)
		__hwstats_teardown();
	mutex_unlock(&hwstats_lock);
	return 0;
}

static const struct file_operations hwstats_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.release = hwstats_release,
	.unlocked_ioctl = hwstats_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = hwstats_mmap,
};

static struct miscdevice hwstats_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = HWSTATS_DEVICE_NAME,
	.fops = &hwstats_fops,
	/* Snapshots for a group (see the udev rule); control needs CAP_SYS_ADMIN. */
	.mode = 0660,
};

int hwstats_ctl_init(void)
{
	int ret;

	/* The first versions' sizes are fixed for ever. */
	BUILD_BUG_ON(sizeof(struct hwstats_version) < HWSTATS_VERSION_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct hwstats_info) < HWSTATS_INFO_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct hwstats_list_sources) <
		     HWSTATS_LIST_SOURCES_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct hwstats_schema) < HWSTATS_SCHEMA_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct hwstats_start) < HWSTATS_START_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct hwstats_stats) < HWSTATS_STATS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct hwstats_snapshot) < HWSTATS_SNAPSHOT_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct hwstats_consume) < HWSTATS_CONSUME_SIZE_VER0);

	hwstats_debugfs = debugfs_create_dir(HWSTATS_DEBUGFS_DIR, NULL);
	if (IS_ERR(hwstats_debugfs))
		pr_warn("debugfs unavailable (%ld): no capture, snapshots only\n",
			PTR_ERR(hwstats_debugfs));
	else
		hwstats_channel_debugfs(hwstats_debugfs);
	ret = misc_register(&hwstats_miscdev);
	if (ret)
		debugfs_remove(hwstats_debugfs);
	return ret;
}

void hwstats_ctl_exit(void)
{
	misc_deregister(&hwstats_miscdev);
	/* Open files pin the module, so no session can exist here. */
	debugfs_remove(hwstats_debugfs);
	mutex_lock(&hwstats_lock);
	hwstats_sources_session_end();
	mutex_unlock(&hwstats_lock);
}
