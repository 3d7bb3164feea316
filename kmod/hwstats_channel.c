// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU relay channels and the emit path.
 *
 * Each CPU writes only its own relay buffer, with interrupts off, so a
 * record is reserved and filled without any lock and without allocation.
 * The session an emitter sees is published with RCU; an irq-off region is
 * an RCU read-side critical section, so stopping a session needs no more
 * than one grace period to know no emitter still uses its channel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <asm/local64.h>
#include <linux/relay.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#include "hwstats_internal.h"
#include "hwstats_compat.h"

struct hwstats_session __rcu *hwstats_active;

/*
 * Runs on the buffer's own CPU with interrupts off (an emit, the flush
 * IPI), or from STOP's relay_flush() once no writer is left.
 *
 * Publication (see docs/design.md, "Memory ordering"): relay counts a
 * sub-buffer produced before this callback runs, and with no barrier
 * between its records and that count, so read() does not trust the count.
 * It trusts a sub-buffer's header: the previous sub-buffer's @used is
 * stored here with release semantics, after all of its records, and before
 * the full check, so that a full buffer publishes it too. A new header's
 * @used is zeroed before its @seq is stored, and its @seq before anything
 * else of the new lap is written: a reader that sees the new @seq does not
 * take the last lap's @used, and a reader that copied anything of the new
 * lap sees @seq changed when it looks again.
 */
static int hwstats_subbuf_start(HWSTATS_SUBBUF_START_ARGS)
{
	struct hwstats_session *s = buf->chan->private_data;
	struct hwstats_cpu *pc = per_cpu_ptr(s->cpu, buf->cpu);
	struct hwstats_subbuf_hdr *h = subbuf;
	u64 seq;

	if (!prev_subbuf) {
		/*
		 * relay calls us last in setting the buffer up, after its
		 * reference count is initialised: its file may open now.
		 * Pairs with hwstats_chan_open()'s acquire.
		 */
		smp_store_release(&pc->ready, buf);
	} else {
		struct hwstats_subbuf_hdr *ph = prev_subbuf;

		/* Its records, then used: pairs with read()'s acquire. */
		smp_store_release(&ph->used,
				  s->subbuf_size - HWSTATS_PREV_PADDING(buf));
	}
	/*
	 * No-overwrite: refuse to reuse a sub-buffer the reader has not
	 * consumed. relay then fails every write until the reader catches
	 * up, and hwstats_emit() counts each failure as a lost record.
	 */
	if (!(s->flags & HWSTATS_START_OVERWRITE) && relay_buf_full(buf))
		return 0;

	/* Equal to relay's subbufs_produced: the reader's sub-buffer number. */
	seq = local64_inc_return(&pc->subbufs) - 1;
	WRITE_ONCE(h->used, 0);
	smp_wmb();	/* used = 0, then seq: pairs with read()'s acquire of seq */
	WRITE_ONCE(h->seq, seq);
	smp_wmb();	/* seq, then the lap's bytes: pairs with read()'s re-check */
	h->hdr.type = HWSTATS_REC_SUBBUF;
	h->hdr.len = sizeof(*h);
	h->hdr.source = buf->cpu;
	h->hdr.ts = ktime_get_boot_fast_ns();
	h->magic = HWSTATS_SUBBUF_MAGIC;
	h->cpu = buf->cpu;
	/*
	 * A buffer just created (no previous sub-buffer) has not switched:
	 * the next flush tick must complete it, not take it for a busy one.
	 */
	if (!prev_subbuf)
		WRITE_ONCE(pc->flushed_at, (unsigned long)seq + 1);
	h->lost = local64_read(&pc->lost);
	h->subbuf_size = s->subbuf_size;
	subbuf_start_reserve(buf, sizeof(*h));
	return 1;
}

/*
 * read() of a channel file: complete sub-buffers only, each trusted by its
 * header, never by relay's counters alone.
 *
 * relay's own read() also hands out the current sub-buffer, and it
 * interprets the buffer state (write offset, padding, produced count)
 * without any lock: a sub-buffer switch landing in the middle of it - an
 * emit in an interrupt, a flush, relay_flush() from another CPU at STOP -
 * can make it return a range that ends inside a record, and while a full
 * buffer is retried relay briefly shows a write offset of 0, which its
 * read() takes for an overrun and skips a whole unread sub-buffer.
 *
 * Here relay's produced count is only a hint of how far to look. Sub-buffer
 * number c is taken when its header says seq == c (acquire) and then a
 * non-zero used (acquire, pairing with hwstats_subbuf_start()'s release):
 * its records are then complete and visible. In no-overwrite mode no
 * writer touches it again until we count it consumed, which we do with
 * release semantics after copying it. In overwrite mode the writer may
 * come round while we copy: after the copy the seq is read again, and a
 * sub-buffer whose seq changed is dropped from the read, never returned.
 * The periodic flush bounds how long a record waits in the current
 * sub-buffer.
 */
/* The bytes of the whole records that start in [p, p + max). */
static size_t hwstats_whole_records(const void *p, size_t max)
{
	size_t off = 0;

	while (off + sizeof(struct hwstats_rec) <= max) {
		const struct hwstats_rec *r = p + off;

		if (r->len < sizeof(*r) || off + r->len > max)
			break;
		off += r->len;
	}
	return off;
}

/*
 * The used size of sub-buffer number @c at @h: > 0 once it is complete and
 * published, 0 while it is not yet, -ESTALE when the writer has come
 * round and it holds a later lap.
 */
static long hwstats_subbuf_used(struct hwstats_subbuf_hdr *h, size_t c,
				size_t size)
{
	u64 seq;
	u32 used;

	/*
	 * A load and smp_rmb() rather than an acquire: 32-bit kernels have
	 * no 64-bit acquire, and only loads follow. There a torn read can
	 * only mix the halves of two consecutive laps' numbers, which differ
	 * in the high half once in 2^32 sub-buffers.
	 */
	seq = READ_ONCE(h->seq);
	/* seq, then used: pairs with the first smp_wmb() in subbuf_start */
	smp_rmb();
	if (seq != c)
		return (s64)(seq - c) > 0 ? -ESTALE : 0;
	/* Pairs with the release of used: the records are visible. */
	used = smp_load_acquire(&h->used);
	if (used < sizeof(*h) || used > size)
		return 0;
	return used;
}

/*
 * The session is not looked at here: a reader may hold a channel file open
 * after its session is gone. Lapping tells the mode: in no-overwrite mode
 * the writer never enters the oldest unread sub-buffer, in overwrite mode
 * it is the one being written when all n are unread.
 */
static ssize_t hwstats_chan_read(struct file *filp, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct rchan_buf *buf = filp->private_data;
	size_t n = buf->chan->n_subbufs, size = buf->chan->subbuf_size;
	size_t produced, consumed, writing;
	unsigned int laps = 0;
	ssize_t done = 0;

	inode_lock(file_inode(filp));
relap:
	produced = READ_ONCE(buf->subbufs_produced);
	consumed = buf->subbufs_consumed;
	writing = (READ_ONCE(buf->data) - buf->start) / size;
	if (produced - consumed > n ||
	    (produced - consumed == n && writing == consumed % n)) {
		/* Lapped: the n - 1 sub-buffers before the one written remain. */
		consumed = produced - n + 1;
		buf->bytes_consumed = 0;
	}
	while (done < count && consumed != produced) {
		size_t idx = consumed % n;
		struct hwstats_subbuf_hdr *h = buf->start + idx * size;
		long used = hwstats_subbuf_used(h, consumed, size);
		size_t len, take;
		void *from;

		if (used == -ESTALE) {
			/* Overwritten before we got to it: start again. */
			if (++laps > 3 * n)
				break;
			buf->bytes_consumed = 0;
			/* Skipped, not read: the writer may have it (release). */
			smp_store_release(&buf->subbufs_consumed, consumed + 1);
			goto relap;
		}
		if (!used)
			break;	/* not published yet: poll() will say when */
		len = used - buf->bytes_consumed;
		take = min_t(size_t, len, count - done);
		from = (void *)h + buf->bytes_consumed;
		/* A read ends on a record boundary, always. */
		if (take < len) {
			take = hwstats_whole_records(from, take);
			if (!take) {
				if (!done)
					done = -EINVAL;	/* smaller than a record */
				break;
			}
		}
		if (!buf->bytes_consumed) {
			/* The header as validated, with its final used. */
			struct hwstats_subbuf_hdr hdr;

			memcpy(&hdr, h, sizeof(hdr));
			hdr.used = used;
			if (copy_to_user(ubuf + done, &hdr, sizeof(hdr)) ||
			    copy_to_user(ubuf + done + sizeof(hdr),
					 from + sizeof(hdr), take - sizeof(hdr)))
				goto fault;
		} else if (copy_to_user(ubuf + done, from, take)) {
			goto fault;
		}
		/* Pairs with the second smp_wmb() in hwstats_subbuf_start(). */
		smp_rmb();
		if (READ_ONCE(h->seq) != consumed) {
			/* Overwritten while we copied: not returned. */
			if (++laps > 3 * n)
				break;
			buf->bytes_consumed = 0;
			/* Dropped, not read: the writer may have it (release). */
			smp_store_release(&buf->subbufs_consumed, consumed + 1);
			goto relap;
		}
		done += take;
		if (take < len) {
			buf->bytes_consumed += take;
			break;
		}
		buf->bytes_consumed = 0;
		consumed++;
		/* The writer may reuse it once it sees it consumed. */
		smp_store_release(&buf->subbufs_consumed, consumed);
	}
	/* Also publishes the lapped skip above (release: see the loop). */
	smp_store_release(&buf->subbufs_consumed, consumed);
	inode_unlock(file_inode(filp));
	return done;
fault:
	if (!done)
		done = -EFAULT;
	/* What was copied before the fault is consumed (release). */
	smp_store_release(&buf->subbufs_consumed, consumed);
	inode_unlock(file_inode(filp));
	return done;
}

/*
 * The buffer of CPU @cpu in session @s, or an ERR_PTR: -ENXIO for a CPU
 * number that is not possible, -ENOENT for a CPU without a buffer (never
 * online since START).
 * Context: the channel cannot close: hwstats_lock held, or an RCU read
 * side of hwstats_readable.
 */
static struct rchan_buf *hwstats_channel_buf(struct hwstats_session *s,
					     unsigned long cpu)
{
	struct rchan_buf *buf;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return ERR_PTR(-ENXIO);
	/* relay's hotplug callback may be publishing it right now. */
	buf = READ_ONCE(*per_cpu_ptr(s->chan->buf, cpu));
	return buf ?: ERR_PTR(-ENOENT);
}

/*
 * The session whose buffers mmap() maps: from START until the session is
 * torn down, which clears it and waits a grace period before it closes
 * the channel. mmap() runs with the mapping's lock held; were it to wait
 * for hwstats_lock, whose holders may wait for a read() of a channel file
 * (the teardown's removal of the file waits for one in progress), and
 * that read() fault on the same mapping's lock, nothing would move on.
 */
struct hwstats_session __rcu *hwstats_readable;

/* Take a reference on each page of the buffer @vma asks for, into @pages. */
static int hwstats_channel_pages(struct vm_area_struct *vma,
				 struct page **pages, unsigned long npages)
{
	struct hwstats_session *s;
	struct rchan_buf *buf;
	unsigned long i;
	int ret = 0;

	rcu_read_lock();
	s = rcu_dereference(hwstats_readable);
	if (!s) {
		ret = -ENODATA;
		goto out;
	}
	if (npages << PAGE_SHIFT != s->chan->alloc_size ||
	    vma->vm_pgoff % npages) {
		ret = -EINVAL;
		goto out;
	}
	buf = hwstats_channel_buf(s, vma->vm_pgoff / npages);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto out;
	}
	if (WARN_ON_ONCE(buf->page_count != npages)) {
		ret = -EINVAL;
		goto out;
	}
	/* relay holds them until a grace period after we leave. */
	for (i = 0; i < npages; i++) {
		pages[i] = buf->page_array[i];
		get_page(pages[i]);
	}
out:
	rcu_read_unlock();
	return ret;
}

/**
 * hwstats_channel_mmap - map one CPU's buffer of the session, read-only
 * @vma: the area: the buffer's length, at the offset cpu * that length
 *
 * The pages are inserted now, each with a reference of the mapping's own:
 * relay frees its buffer at the end of the session with __free_page(),
 * which then only drops relay's reference, and the mapping keeps reading
 * the last contents until munmap(). Nothing is mapped on a fault later,
 * so no vm_ops is needed, and nothing of the session is looked at after
 * this.
 *
 * Context: process context, the mapping's lock held for writing (->mmap).
 * Takes no lock of ours (see hwstats_readable).
 * Return: 0, or -errno as hwstats_abi.h lists for mmap().
 */
int hwstats_channel_mmap(struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long npages = len >> PAGE_SHIFT, i, num;
	struct page **pages;
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EACCES;
	/* No buffer is larger: no allocation sized by a caller's whim. */
	if (!npages || len > HWSTATS_MAX_BUFFER_SIZE)
		return -EINVAL;
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	ret = hwstats_channel_pages(vma, pages, npages);
	if (ret)
		goto out_free;
	/* Read-only for good; a fixed size (mremap cannot grow it). */
	hwstats_vm_flags_mod(vma, VM_DONTEXPAND, VM_MAYWRITE);
	num = npages;
	/* A partial insert is undone by the caller's unmap of the area. */
	ret = vm_insert_pages(vma, vma->vm_start, pages, &num);
	for (i = 0; i < npages; i++)
		put_page(pages[i]);
out_free:
	kvfree(pages);
	return ret;
}

/*
 * HWSTATS_IOC_CONSUME: set CPU @cpu's consumed count to @consumed, as
 * read() does when it has returned sub-buffers, so that the writer may
 * reuse them. Serialised with read() of the same buffer by the channel
 * file's inode lock (read() takes it); the file cannot go away while
 * hwstats_lock is held. The counts are size_t, as relay's: compared by
 * their differences, so that they may wrap on 32-bit kernels. @produced
 * gets relay's produced count, extended to 64 bits from @consumed.
 * Context: process context, hwstats_lock held.
 */
int __hwstats_channel_consume(struct hwstats_session *s, u32 cpu,
			      u64 consumed, u64 *produced)
{
	struct rchan_buf *buf;
	size_t prod, cur, ahead;
	struct inode *inode;
	int ret = 0;

	lockdep_assert_held(&hwstats_lock);
	buf = hwstats_channel_buf(s, cpu);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	inode = d_inode(buf->dentry);
	inode_lock(inode);
	prod = READ_ONCE(buf->subbufs_produced);
	cur = buf->subbufs_consumed;
	/* Backwards wraps round to far ahead: refused as well. */
	ahead = (size_t)consumed - cur;
	if (ahead > prod - cur) {
		ret = -EINVAL;
	} else if (ahead) {
		buf->bytes_consumed = 0;
		/* The reader is done with them: the writer may reuse them. */
		smp_store_release(&buf->subbufs_consumed, (size_t)consumed);
	}
	inode_unlock(inode);
	*produced = consumed + (size_t)(prod - (size_t)consumed);
	return ret;
}

static struct file_operations hwstats_chan_fops __ro_after_init;

/*
 * relay creates a buffer's file before it sets the buffer up, and setting
 * it up initialises the buffer's reference count (kref_init()). An open()
 * in that window would take a reference that is then overwritten: the
 * buffer would be freed while its file is still there, and used after.
 * So the file opens only once hwstats_subbuf_start() has seen relay's last
 * setup step for this very buffer; before that the open fails with ENOENT,
 * as if the file were not there yet (a reader retries).
 *
 * The buffer and the session are alive here: debugfs's proxy holds the
 * file across ->open, relay_close() removes the file before it drops the
 * buffer, and the session is freed only after relay_close().
 */
static int hwstats_chan_open(struct inode *inode, struct file *filp)
{
	struct rchan_buf *buf = inode->i_private;
	struct hwstats_session *s = buf->chan->private_data;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct hwstats_cpu *pc = per_cpu_ptr(s->cpu, cpu);

		/* Pairs with hwstats_subbuf_start()'s release. */
		if (smp_load_acquire(&pc->ready) == buf)
			return relay_file_operations.open(inode, filp);
	}
	return -ENOENT;
}

/*
 * relay's file operations, with an open() that waits for relay to finish
 * setting the buffer up (above) and a read() that takes complete data only.
 * relay's own open() does the rest. No mmap() of the channel file:
 * debugfs's proxy would refuse it anyway (ENODEV). A buffer is mapped
 * through /dev/hwstats instead, and its reader reports consumption with
 * HWSTATS_IOC_CONSUME.
 */
void __init hwstats_channel_init(void)
{
	hwstats_chan_fops = relay_file_operations;
	hwstats_chan_fops.open = hwstats_chan_open;
	hwstats_chan_fops.read = hwstats_chan_read;
	hwstats_chan_fops.mmap = NULL;
	/* relay's splice_read (gone in 6.8) would bypass our read(). */
	hwstats_chan_fops.splice_read = NULL;
	/* An open channel file runs our read(): it must pin the module. */
	hwstats_chan_fops.owner = THIS_MODULE;
}

static struct dentry *hwstats_create_buf_file(const char *filename,
					      struct dentry *parent,
					      umode_t mode,
					      struct rchan_buf *buf,
					      int *is_global)
{
	/* Channels carry every source's data: root only. */
	return debugfs_create_file(filename, 0400, parent, buf,
				   &hwstats_chan_fops);
}

/*
 * The file goes at once, even while a reader holds it open: debugfs then
 * fails that reader's read() with -EIO, and a new session creates its own
 * file of the same name. The reader's reference keeps the buffer's memory
 * until it closes the file.
 */
static int hwstats_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks hwstats_relay_cb = {
	.subbuf_start = hwstats_subbuf_start,
	.create_buf_file = hwstats_create_buf_file,
	.remove_buf_file = hwstats_remove_buf_file,
};

int hwstats_channel_open(struct hwstats_session *s, struct dentry *dir)
{
	s->cpu = alloc_percpu(struct hwstats_cpu);
	if (!s->cpu)
		return -ENOMEM;
	/*
	 * relay_open() gives a buffer to the CPUs online when it walks them,
	 * and relay's hotplug callback to those it prepares after the channel
	 * is listed: a CPU prepared before that but not yet online would get
	 * none. Hotplug held off closes the gap. The order (hotplug lock,
	 * then relay's mutex) is hotplug's own, and nothing in hotplug takes
	 * hwstats_lock.
	 */
	cpus_read_lock();
	s->chan = relay_open(HWSTATS_CHANNEL_BASE, dir, s->subbuf_size,
			     s->n_subbufs, &hwstats_relay_cb, s);
	cpus_read_unlock();
	if (!s->chan) {
		free_percpu(s->cpu);
		s->cpu = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Flush callbacks each CPU has run since the module was loaded, in any
 * session: <debugfs>/hwstats/flushes shows them, so a test can see exactly
 * which CPUs the flush interrupted (an idle CPU must not be). Its own CPU
 * writes it, interrupts off.
 */
static DEFINE_PER_CPU(unsigned long, hwstats_flush_calls);

static int hwstats_flushes_show(struct seq_file *m, void *v)
{
	int cpu;

	for_each_possible_cpu(cpu)
		seq_printf(m, "cpu%d %lu\n", cpu,
			   READ_ONCE(*per_cpu_ptr(&hwstats_flush_calls, cpu)));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hwstats_flushes);

void hwstats_channel_debugfs(struct dentry *dir)
{
	debugfs_create_file("flushes", 0444, dir, NULL, &hwstats_flushes_fops);
}

/* Runs on each CPU with interrupts off (IPI), so it cannot split an emit. */
struct hwstats_flush_arg {
	struct hwstats_session *s;
	bool idle_only;
};

static void hwstats_flush_this_cpu(void *arg)
{
	struct hwstats_flush_arg *fa = arg;
	struct hwstats_session *s = fa->s;
	struct hwstats_cpu *pc = this_cpu_ptr(s->cpu);
	struct rchan_buf *buf = *this_cpu_ptr(s->chan->buf);
	unsigned long switched_since =
		(unsigned long)local64_read(&pc->subbufs) - pc->flushed_at;

	__this_cpu_inc(hwstats_flush_calls);
	if (!buf || buf->offset <= sizeof(struct hwstats_subbuf_hdr) ||
	    buf->offset > s->subbuf_size)
		goto out;
	/*
	 * A periodic tick only switches a sub-buffer that has not switched
	 * since the last tick: a busy CPU fills its sub-buffers anyway, and
	 * switching it early would only waste their space on padding.
	 */
	if (fa->idle_only && switched_since)
		goto out;
	relay_switch_subbuf(buf, 0);
out:
	WRITE_ONCE(pc->flushed_at, (unsigned long)local64_read(&pc->subbufs));
}

/*
 * Which CPUs the flush interrupts: those with records in their current
 * sub-buffer, or whose tick state must move on. An idle CPU with nothing
 * pending stays asleep (NOHZ). Read from another CPU without ordering: a
 * CPU that just wrote its first record is flushed by the next tick.
 */
static bool hwstats_flush_wanted(int cpu, void *arg)
{
	struct hwstats_flush_arg *fa = arg;
	struct hwstats_session *s = fa->s;
	struct hwstats_cpu *pc = per_cpu_ptr(s->cpu, cpu);
	struct rchan_buf *buf = *per_cpu_ptr(s->chan->buf, cpu);
	size_t off;

	if (!buf)
		return false;
	if ((unsigned long)local64_read(&pc->subbufs) != READ_ONCE(pc->flushed_at))
		return true;
	off = READ_ONCE(buf->offset);
	return off > sizeof(struct hwstats_subbuf_hdr) && off <= s->subbuf_size;
}

/*
 * Complete every online CPU's current sub-buffer so that poll() wakes the
 * reader. With @idle_only (the periodic tick) a CPU whose buffer switched
 * since the last tick is left alone, so no record waits longer than two
 * flush intervals.
 * Context: process context, while the channel exists. Two flushes may run
 * at once: each CPU runs them one after the other, interrupts off.
 */
void hwstats_channel_flush_cpus(struct hwstats_session *s, bool idle_only)
{
	struct hwstats_flush_arg fa = { .s = s, .idle_only = idle_only };

	on_each_cpu_cond(hwstats_flush_wanted, hwstats_flush_this_cpu, &fa, true);
}

/* Context: process context; no emitter can reach @s any more. */
void hwstats_channel_close(struct hwstats_session *s)
{
	if (s->chan)
		relay_close(s->chan);
	s->chan = NULL;
	free_percpu(s->cpu);
	s->cpu = NULL;
}

/**
 * hwstats_max_values - the most counter values one sample record can carry
 *
 * A source with more counters emits several records, each with its @first.
 *
 * Context: any.
 * Return: the number of values.
 */
unsigned int hwstats_max_values(void)
{
	return (HWSTATS_REC_MAX_LEN - sizeof(struct hwstats_sample)) /
		sizeof(u64);
}
EXPORT_SYMBOL_NS_GPL(hwstats_max_values, HWSTATS_NS);

/*
 * relay_reserve() on a buffer we have checked: relay's own looks the
 * buffer up and dereferences it, and a CPU may have none (see
 * hwstats_emit()).
 */
static void *hwstats_reserve(struct rchan_buf *buf, size_t len)
{
	void *rec;

	if (unlikely(buf->offset + len > buf->chan->subbuf_size)) {
		len = relay_switch_subbuf(buf, len);
		if (!len)
			return NULL;
	}
	rec = buf->data + buf->offset;
	buf->offset += len;
	return rec;
}

/*
 * An emit in NMI context is refused: relay's reserve is not atomic against
 * an NMI that lands between its bounds check and its offset update on the
 * same CPU, and nothing short of a lock-free reservation protocol makes it
 * so. The record is counted lost and takes its seq number, so the gap shows
 * in the stream as every other loss does. local64_t makes both counters
 * safe against the irq-off emit the NMI interrupted.
 */
static int hwstats_emit_nmi(struct hwstats_source *src)
{
	struct hwstats_session *s = rcu_dereference_sched(hwstats_active);

	if (!s || !READ_ONCE(src->enabled))
		return -ENODATA;
	local64_inc(this_cpu_ptr(src->seq));
	local64_inc(&this_cpu_ptr(s->cpu)->lost);
	return -EPERM;
}

/**
 * hwstats_emit - write one sample of a source's counters
 * @src: the source
 * @first: index of the first counter in @values
 * @count: number of values, at most hwstats_max_values()
 * @values: the counter values
 *
 * The record is reserved in this CPU's relay buffer and built in place with
 * interrupts off: no lock, no allocation, no sleep. @src is only looked at
 * with interrupts off, so a call made with preemption disabled (hardirq,
 * softirq, a timer, a spinlock held) may race hwstats_source_unregister():
 * its grace period waits for it. A call from preemptible process context
 * must have returned before hwstats_source_unregister() is called.
 *
 * Context: process, softirq and hardirq context. Not NMI: an emit from an
 * NMI handler is refused (-EPERM) and counted as a lost record.
 * Return: 0 when written; -ENOSPC when the buffer was full (or this CPU has
 * no buffer) and the record was dropped and counted as lost; -EPERM in NMI
 * context (counted as lost); -ENODATA when no session samples this source;
 * -EINVAL for a range outside the schema; -EMSGSIZE when the record would
 * not fit a sub-buffer.
 */
int hwstats_emit(struct hwstats_source *src, u32 first, u32 count,
		 const u64 *values)
{
	size_t len = struct_size((struct hwstats_sample *)NULL, value, count);
	struct hwstats_session *s;
	struct hwstats_sample *rec;
	struct hwstats_cpu *pc;
	struct rchan_buf *buf;
	unsigned long flags;
	u32 i;
	u64 seq;
	int ret;

	if (unlikely(in_nmi()))
		return hwstats_emit_nmi(src);

	local_irq_save(flags);
	if (unlikely(!count || first >= src->def.nr_counters ||
		     count > src->def.nr_counters - first)) {
		ret = -EINVAL;
		goto out;
	}
	if (unlikely(count > hwstats_max_values())) {
		ret = -EMSGSIZE;
		goto out;
	}
	s = rcu_dereference_sched(hwstats_active);
	if (unlikely(!s || !READ_ONCE(src->enabled))) {
		ret = -ENODATA;
		goto out;
	}
	if (unlikely(len > s->subbuf_size - sizeof(struct hwstats_subbuf_hdr))) {
		ret = -EMSGSIZE;
		goto out;
	}
	seq = local64_inc_return(this_cpu_ptr(src->seq)) - 1;
	pc = this_cpu_ptr(s->cpu);
	/*
	 * Every CPU that can run this has a buffer (the channel was opened
	 * with CPU hotplug held off); were one missing all the same, the
	 * record is lost, not a NULL dereference.
	 */
	buf = *this_cpu_ptr(s->chan->buf);
	rec = likely(buf) ? hwstats_reserve(buf, len) : NULL;
	if (unlikely(!rec)) {
		local64_inc(&pc->lost);
		ret = -ENOSPC;
		goto out;
	}
	rec->hdr.type = HWSTATS_REC_SAMPLE;
	rec->hdr.len = len;
	rec->hdr.source = src->id;
	rec->hdr.ts = ktime_get_boot_fast_ns();
	rec->seq = seq;
	rec->first = first;
	rec->reserved = 0;
	/*
	 * A loop of 8-byte stores rather than memcpy(): the arrays are
	 * short, and where memcpy() is "rep movsb" (ERMS without FSRM) its
	 * start-up cost is most of the copy's.
	 */
	for (i = 0; i < count; i++)
		rec->value[i] = values[i];
	local64_inc(&pc->records);
	local64_add(len, &pc->bytes);
	ret = 0;
out:
	local_irq_restore(flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(hwstats_emit, HWSTATS_NS);
