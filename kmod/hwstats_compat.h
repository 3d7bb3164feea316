/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernel series hwstats
 * builds for, in one place.
 */
#ifndef _HWSTATS_COMPAT_H
#define _HWSTATS_COMPAT_H

#include <linux/version.h>
#include <linux/hrtimer.h>
#include <linux/relay.h>
#include <linux/mm.h>

/*
 * 6.17 dropped the prev_padding argument of the subbuf_start callback; the
 * padding of the previous sub-buffer is then read from buf->padding[].
 */
#if KERNEL_VERSION(6, 17, 0) <= LINUX_VERSION_CODE
#define HWSTATS_SUBBUF_START_ARGS \
	struct rchan_buf *buf, void *subbuf, void *prev_subbuf
#define HWSTATS_PREV_PADDING(buf) \
	((buf)->padding[((buf)->subbufs_produced + (buf)->chan->n_subbufs - 1) % \
			(buf)->chan->n_subbufs])
#else
#define HWSTATS_SUBBUF_START_ARGS \
	struct rchan_buf *buf, void *subbuf, void *prev_subbuf, \
	size_t prev_padding
#define HWSTATS_PREV_PADDING(buf) (prev_padding)
#endif

/*
 * 6.13 added hrtimer_setup(), which takes the callback with the rest;
 * 6.15 removed hrtimer_init() and the assignment of ->function after it.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define hwstats_hrtimer_setup(timer, fn, clock, mode) \
	hrtimer_setup(timer, fn, clock, mode)
#else
static inline void
hwstats_hrtimer_setup(struct hrtimer *timer,
		      enum hrtimer_restart (*fn)(struct hrtimer *),
		      clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
}
#endif

/*
 * 6.3 made vma->vm_flags read-only outside mm and added vm_flags_mod() to
 * change them (the mapping's write lock held, as in ->mmap).
 */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#define hwstats_vm_flags_mod(vma, set, clear) vm_flags_mod(vma, set, clear)
#else
#define hwstats_vm_flags_mod(vma, set, clear) \
	((vma)->vm_flags = ((vma)->vm_flags | (set)) & ~(clear))
#endif

/*
 * Other relay changes that need nothing here: 6.17 added relay_stats() and
 * per-buffer full/too-big counts (hwstats counts its own losses, per record,
 * in subbuf_start and the emit path, on every series alike) and removed
 * relay_late_setup_files(), which hwstats never used.
 */

/*
 * hwstats' exports live in the symbol namespace HWSTATS_NS: they are
 * EXPORT_SYMBOL_NS_GPL(sym, HWSTATS_NS), and a module that uses them says
 * MODULE_IMPORT_NS(HWSTATS_NS). 6.13 made the namespace argument of both
 * a string literal; before, it was a token the macros stringified (after
 * expanding it, so this macro works there too).
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define HWSTATS_NS	"HWSTATS"
#else
#define HWSTATS_NS	HWSTATS
#endif

#endif /* _HWSTATS_COMPAT_H */
