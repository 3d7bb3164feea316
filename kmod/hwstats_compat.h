/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernel series hwstats
 * builds for, in one place.
 */
#ifndef _HWSTATS_COMPAT_H
#define _HWSTATS_COMPAT_H

#include <linux/version.h>
#include <linux/relay.h>

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
