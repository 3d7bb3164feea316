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
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/irqflags.h>
#include <linux/relay.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#include "hwstats_internal.h"
#include "hwstats_compat.h"

struct hwstats_session __rcu *hwstats_active;

static int hwstats_subbuf_start(HWSTATS_SUBBUF_START_ARGS)
{
	struct hwstats_session *s = buf->chan->private_data;
	struct hwstats_cpu *pc = per_cpu_ptr(s->cpu, buf->cpu);
	struct hwstats_subbuf_hdr *h = subbuf;

	/*
	 * No-overwrite: refuse to reuse a sub-buffer the reader has not
	 * consumed. relay then fails every write until the reader catches
	 * up, and hwstats_emit() counts each failure as a lost record.
	 */
	if (!(s->flags & HWSTATS_START_OVERWRITE) && relay_buf_full(buf))
		return 0;

	if (prev_subbuf) {
		struct hwstats_subbuf_hdr *ph = prev_subbuf;

		ph->used = s->subbuf_size - HWSTATS_PREV_PADDING(buf);
	}
	h->hdr.type = HWSTATS_REC_SUBBUF;
	h->hdr.len = sizeof(*h);
	h->hdr.source = buf->cpu;
	h->hdr.ts = ktime_get_boot_fast_ns();
	h->magic = HWSTATS_SUBBUF_MAGIC;
	h->cpu = buf->cpu;
	h->seq = pc->subbufs++;
	/*
	 * A buffer just created (no previous sub-buffer) has not switched:
	 * the next flush tick must complete it, not take it for a busy one.
	 */
	if (!prev_subbuf)
		pc->flushed_at = pc->subbufs;
	h->lost = pc->lost;
	h->used = 0;
	h->subbuf_size = s->subbuf_size;
	subbuf_start_reserve(buf, sizeof(*h));
	return 1;
}

/*
 * read() of a channel file: complete sub-buffers only, with relay's
 * buffer state read in one well-defined order.
 *
 * relay's own read() also hands out the current sub-buffer, and it
 * interprets the buffer state (write offset, padding, produced count)
 * without any lock: a sub-buffer switch landing in the middle of it - an
 * emit in an interrupt, a flush, relay_flush() from another CPU at STOP -
 * can make it return a range that ends inside a record, and while a full
 * buffer is retried relay briefly shows a write offset of 0, which its
 * read() takes for an overrun and skips a whole unread sub-buffer.
 *
 * Here: sub-buffers before subbufs_produced are final - relay stores their
 * padding before it counts them produced - and in no-overwrite mode no
 * writer touches one again until we count it consumed, which we do with
 * release semantics after copying it. The periodic flush bounds how long a
 * record waits in the current sub-buffer.
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
	ssize_t done = 0;

	inode_lock(file_inode(filp));
	/* Pairs with the full barrier after the count in relay_switch_subbuf(). */
	produced = smp_load_acquire(&buf->subbufs_produced);
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
		size_t len = size - buf->padding[idx] - buf->bytes_consumed;
		size_t take = min_t(size_t, len, count - done);
		void *from = buf->start + idx * size + buf->bytes_consumed;

		/* A read ends on a record boundary, always. */
		if (take < len) {
			take = hwstats_whole_records(from, take);
			if (!take) {
				if (!done)
					done = -EINVAL;	/* smaller than a record */
				break;
			}
		}
		if (copy_to_user(ubuf + done, from, take)) {
			if (!done)
				done = -EFAULT;
			break;
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
}

/*
 * relay's open() takes a buffer reference unconditionally, even while the
 * last reference is being dropped (a session ending as a reader opens its
 * file): that reference then points at freed memory. The buffer is still
 * valid here - its file's removal waits for this open to return - so take
 * the reference only if the buffer is not already on its way out.
 */
static int hwstats_chan_open(struct inode *inode, struct file *filp)
{
	struct rchan_buf *buf = inode->i_private;

	if (!kref_get_unless_zero(&buf->kref))
		return -ENOENT;
	filp->private_data = buf;
	return nonseekable_open(inode, filp);
}

static struct file_operations hwstats_chan_fops __ro_after_init;

/*
 * relay's file operations, with a read() that takes complete data only.
 * No mmap(): debugfs's proxy would refuse it anyway (ENODEV), and a reader
 * of the whole buffer would need its own way to report consumption; read()
 * is the one way to drain a channel.
 */
void __init hwstats_channel_init(void)
{
	hwstats_chan_fops = relay_file_operations;
	hwstats_chan_fops.open = hwstats_chan_open;
	hwstats_chan_fops.read = hwstats_chan_read;
	hwstats_chan_fops.mmap = NULL;
	/* An open channel file runs our read(): it must pin the module. */
	hwstats_chan_fops.owner = THIS_MODULE;
}

/*
 * Channel files alive. A reader may keep one open after its session ended;
 * relay then keeps the file until that reader closes it, and a new session
 * could not create its own file of the same name.
 */
static atomic_t hwstats_chan_files = ATOMIC_INIT(0);

bool hwstats_channel_files_left(void)
{
	return atomic_read(&hwstats_chan_files) != 0;
}

static struct dentry *hwstats_create_buf_file(const char *filename,
					      struct dentry *parent,
					      umode_t mode,
					      struct rchan_buf *buf,
					      int *is_global)
{
	struct dentry *d;

	/* Channels carry every source's data: root only. */
	d = debugfs_create_file(filename, 0400, parent, buf,
				&hwstats_chan_fops);
	if (!IS_ERR_OR_NULL(d))
		atomic_inc(&hwstats_chan_files);
	return d;
}

static int hwstats_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	atomic_dec(&hwstats_chan_files);
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
	s->chan = relay_open(HWSTATS_CHANNEL_BASE, dir, s->subbuf_size,
			     s->n_subbufs, &hwstats_relay_cb, s);
	if (!s->chan) {
		free_percpu(s->cpu);
		s->cpu = NULL;
		return -ENOMEM;
	}
	return 0;
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
	u64 switched_since = pc->subbufs - pc->flushed_at;

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
	pc->flushed_at = pc->subbufs;
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

	on_each_cpu(hwstats_flush_this_cpu, &fa, 1);
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
EXPORT_SYMBOL_GPL(hwstats_max_values);

/**
 * hwstats_emit - write one sample of a source's counters
 * @src: the source
 * @first: index of the first counter in @values
 * @count: number of values, at most hwstats_max_values()
 * @values: the counter values
 *
 * The record is reserved in this CPU's relay buffer and built in place with
 * interrupts off: no lock, no allocation, no sleep.
 *
 * Context: any, including hardirq and NMI-free atomic context.
 * Return: 0 when written; -ENOSPC when the buffer was full and the record
 * was dropped (and counted as lost); -ENODATA when no session samples this
 * source; -EINVAL for a range outside the schema; -EMSGSIZE when the record
 * would not fit a sub-buffer.
 */
int hwstats_emit(struct hwstats_source *src, u32 first, u32 count,
		 const u64 *values)
{
	size_t len = struct_size((struct hwstats_sample *)NULL, value, count);
	struct hwstats_session *s;
	struct hwstats_sample *rec;
	struct hwstats_cpu *pc;
	unsigned long flags;
	u32 i;
	u64 seq;
	int ret;

	if (unlikely(!count || first >= src->def.nr_counters ||
		     count > src->def.nr_counters - first))
		return -EINVAL;
	if (unlikely(count > hwstats_max_values()))
		return -EMSGSIZE;

	local_irq_save(flags);
	s = rcu_dereference_sched(hwstats_active);
	if (unlikely(!s || !READ_ONCE(src->enabled))) {
		ret = -ENODATA;
		goto out;
	}
	if (unlikely(len > s->subbuf_size - sizeof(struct hwstats_subbuf_hdr))) {
		ret = -EMSGSIZE;
		goto out;
	}
	seq = __this_cpu_read(*src->seq);
	__this_cpu_write(*src->seq, seq + 1);
	pc = this_cpu_ptr(s->cpu);
	rec = relay_reserve(s->chan, len);
	if (unlikely(!rec)) {
		pc->lost++;
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
	pc->records++;
	pc->bytes += len;
	ret = 0;
out:
	local_irq_restore(flags);
	return ret;
}
EXPORT_SYMBOL_GPL(hwstats_emit);
