/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The one ABI shared by hwstats.ko and its user-space tools.
 *
 * This header is used verbatim by the kernel module and by user space.
 * Rules, so that no compat ioctl is ever needed:
 *  - only fixed-width __u16/__u32/__u64 fields, naturally aligned, with
 *    explicit padding: the layout is the same for 32- and 64-bit builds;
 *  - every ioctl argument struct starts with __u32 size and __u32 flags; the
 *    kernel reads it with copy_struct_from_user(), so a struct may grow at
 *    its end. A size from its first version (HWSTATS_*_SIZE_VER0) up to a
 *    page is accepted: a shorter one is -EINVAL, a longer one -E2BIG, as
 *    are unknown trailing bytes that are not zero; unknown flags and
 *    non-zero reserved bytes are -EINVAL. Fields marked "out" are ignored
 *    on input, so a struct the kernel filled can be passed again;
 *  - every 64-bit field is __aligned_u64, user pointers included;
 *  - every multi-byte field of the record stream is little-endian (the
 *    module is built for little-endian machines only).
 */
#ifndef _UAPI_HWSTATS_ABI_H
#define _UAPI_HWSTATS_ABI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * ABI 2 gave the ioctls that pass a struct _IOWR numbers carrying their
 * VER0 size (ABI 1 used _IO): a tool of one and a module of the other
 * get ENOTTY even for GET_VERSION, which the tools report as "the module
 * speaks another ABI version". Growth within a major is by struct size,
 * never by new numbers.
 */
#define HWSTATS_ABI_MAJOR	2
/*
 * Minor 1 added mmap() of a CPU's buffer on /dev/hwstats and
 * HWSTATS_IOC_CONSUME (see "Zero-copy reading" below).
 */
#define HWSTATS_ABI_MINOR	1

#define HWSTATS_DEVICE_NAME	"hwstats"	/* /dev/hwstats */
#define HWSTATS_DEBUGFS_DIR	"hwstats"	/* <debugfs>/hwstats/cpuN */
#define HWSTATS_CHANNEL_BASE	"cpu"

#define HWSTATS_NAME_LEN	32
#define HWSTATS_UNIT_LEN	16
#define HWSTATS_MAX_COUNTERS	65536	/* per source */

/*
 * ---------------------------------------------------------------------------
 * The record stream (what read() on <debugfs>/hwstats/cpuN returns)
 * ---------------------------------------------------------------------------
 *
 * A stream is a sequence of records. Every record starts with this header,
 * is a multiple of 8 bytes long (len includes the header) and starts 8-byte
 * aligned, so a reader can walk any stream without a schema and skip record
 * types it does not know by their length.
 */
struct hwstats_rec {
	__u16 type;		/* enum hwstats_rec_type */
	__u16 len;		/* whole record in bytes, header included */
	__u32 source;		/* source id; for HWSTATS_REC_SUBBUF, the CPU */
	__aligned_u64 ts;		/* ns, CLOCK_BOOTTIME (see hwstats_info) */
};

#define HWSTATS_REC_ALIGN	8
#define HWSTATS_REC_MAX_LEN	0xfff8	/* largest multiple of 8 in a __u16 */

enum hwstats_rec_type {
	HWSTATS_REC_PAD		= 0,	/* skip len bytes */
	HWSTATS_REC_SUBBUF	= 1,	/* struct hwstats_subbuf_hdr */
	HWSTATS_REC_SAMPLE	= 2,	/* struct hwstats_sample */
};

#define HWSTATS_SUBBUF_MAGIC	0x42535748	/* "HWSB" little-endian */

/*
 * Every relay sub-buffer begins with this record. It is written by the
 * sub-buffer switch callback, so it is the first thing read() returns of a
 * sub-buffer. read() drains a channel file (mmap() of the channel file is
 * not offered: ENODEV); a buffer may also be mapped through /dev/hwstats
 * and drained with HWSTATS_IOC_CONSUME (ABI minor 1, below).
 *
 * A gap in @seq means sub-buffers were lost (overwrite mode); a rise of
 * @lost between two headers means that many records were dropped in between
 * (no-overwrite mode, buffer full). hdr.ts is the time of the switch.
 */
struct hwstats_subbuf_hdr {
	struct hwstats_rec hdr;	/* type HWSTATS_REC_SUBBUF, source = CPU */
	__u32 magic;		/* HWSTATS_SUBBUF_MAGIC */
	__u32 cpu;
	__aligned_u64 seq;		/* sub-buffer sequence number on this CPU, from 0 */
	__aligned_u64 lost;		/* records dropped on this CPU so far */
	/*
	 * Bytes used in this sub-buffer, written back at the switch; 0 until
	 * then. read() needs none; a reader of a mapped buffer takes a
	 * sub-buffer by it (see "Zero-copy reading").
	 */
	__u32 used;
	__u32 subbuf_size;
};

/*
 * A sample of a source's counters: values of counters
 * [first, first + count) in the order of the source's schema, where
 * count = (hdr.len - sizeof(struct hwstats_sample)) / 8.
 * @seq counts the sample records of this source on this CPU in the session,
 * from 0, dropped ones included, so a gap in it shows exactly which were
 * lost.
 */
struct hwstats_sample {
	struct hwstats_rec hdr;	/* type HWSTATS_REC_SAMPLE */
	__aligned_u64 seq;
	__u32 first;
	__u32 reserved;		/* 0 */
	__aligned_u64 value[];
};

/*
 * ---------------------------------------------------------------------------
 * Control: ioctls on /dev/hwstats
 * ---------------------------------------------------------------------------
 *
 * Numbers that pass a struct are _IOWR with the size of the struct's first
 * version (HWSTATS_*_SIZE_VER0); the kernel ignores the size bits when it
 * dispatches, since the size that counts travels in the struct: a struct
 * can grow without a new number. The type 0xE8 has no entry in the
 * kernel's Documentation/userspace-api/ioctl/ioctl-number.rst (its table
 * goes from 0xE5, fuse, to 0xEC); the numbers only ever reach our own
 * misc device, so a clash could only confuse a tracer, not a driver.
 */
#define HWSTATS_IOC_MAGIC	0xE8

enum hwstats_state {
	HWSTATS_STATE_IDLE	= 0,	/* no session */
	HWSTATS_STATE_RUNNING	= 1,	/* channels open, records flowing */
	/*
	 * No new records; the channels stay readable until the owner closes
	 * its file or calls RESET.
	 */
	HWSTATS_STATE_STOPPED	= 2,
};

enum hwstats_counter_kind {
	HWSTATS_KIND_COUNTER	= 0,	/* monotonic, may wrap */
	HWSTATS_KIND_GAUGE	= 1,	/* instantaneous value */
};

/* HWSTATS_IOC_GET_VERSION: ask this first. */
struct hwstats_version {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 abi_major;	/* out */
	__u32 abi_minor;	/* out */
	char module_version[32];/* out, NUL-terminated */
};

/* HWSTATS_IOC_GET_INFO */
struct hwstats_info {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 nr_cpu_ids;	/* out: CPU numbers are < this */
	__u32 nr_possible_cpus;
	__u32 nr_online_cpus;
	__u32 state;		/* enum hwstats_state */
	__u32 nr_sources;	/* registered now */
	__u32 session_flags;	/* HWSTATS_START_* of the session */
	__u32 subbuf_size;	/* of the session, or the defaults if idle */
	__u32 n_subbufs;
	__aligned_u64 period_ns;	/* sampling period of the session */
	__aligned_u64 flush_interval_ns;
	__aligned_u64 session_id;	/* increases with every START */
	__aligned_u64 start_boot_ns;	/* CLOCK_BOOTTIME at START */
	/*
	 * CLOCK_REALTIME at the same instant: add (start_real_ns -
	 * start_boot_ns) to a record's ts to get wall-clock time.
	 */
	__aligned_u64 start_real_ns;
	__aligned_u64 stop_boot_ns;	/* at STOP, 0 while running */
};

/* One entry of HWSTATS_IOC_LIST_SOURCES */
struct hwstats_source_info {
	__u32 id;		/* > 0; never reused while hwstats.ko is loaded */
	__u32 nr_counters;
	__u32 flags;		/* HWSTATS_SOURCE_* */
	__u32 reserved;
	char name[HWSTATS_NAME_LEN];
};

#define HWSTATS_SOURCE_ENABLED	(1U << 0)	/* sampled by the session */

/* HWSTATS_IOC_LIST_SOURCES: count in = capacity of the array; out = total */
struct hwstats_list_sources {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 count;
	__u32 reserved;
	__aligned_u64 sources;	/* struct hwstats_source_info[count] */
};

struct hwstats_counter_desc {
	char name[HWSTATS_NAME_LEN];
	char unit[HWSTATS_UNIT_LEN];
	__u32 kind;		/* enum hwstats_counter_kind */
	__u32 reserved;
};

/*
 * HWSTATS_IOC_GET_SCHEMA: count in = capacity; out = nr_counters. Also
 * answers, until the session ends, for a source the session sampled and
 * that was unregistered since (its records may still be in the buffers);
 * ENOENT for an id no source has.
 */
struct hwstats_schema {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 source_id;	/* in */
	__u32 count;
	__aligned_u64 counters;	/* struct hwstats_counter_desc[count] */
	char name[HWSTATS_NAME_LEN];	/* out */
};

#define HWSTATS_START_OVERWRITE	(1U << 0)	/* flight recorder */
#define HWSTATS_START_ALL_FLAGS	(HWSTATS_START_OVERWRITE)

#define HWSTATS_DEFAULT_SUBBUF_SIZE	(256U * 1024)
#define HWSTATS_DEFAULT_N_SUBBUFS	8U
#define HWSTATS_MIN_SUBBUF_SIZE		4096U
#define HWSTATS_MAX_SUBBUF_SIZE		(64U * 1024 * 1024)
#define HWSTATS_MIN_N_SUBBUFS		2U
#define HWSTATS_MAX_N_SUBBUFS		4096U
#define HWSTATS_DEFAULT_PERIOD_NS	(10ULL * 1000 * 1000)	/* 10 ms */
#define HWSTATS_DEFAULT_FLUSH_NS	(1000ULL * 1000 * 1000)	/* 1 s */
#define HWSTATS_MIN_PERIOD_NS		(100ULL * 1000)		/* 100 us */
#define HWSTATS_MIN_FLUSH_NS		(10ULL * 1000 * 1000)	/* 10 ms */
/* Upper bounds: an hour, far below where jiffies would wrap on 32 bits. */
#define HWSTATS_MAX_PERIOD_NS		(3600ULL * 1000 * 1000 * 1000)
#define HWSTATS_MAX_FLUSH_NS		(3600ULL * 1000 * 1000 * 1000)
#define HWSTATS_MAX_BUFFER_SIZE		(256ULL * 1024 * 1024)	/* per CPU */
#define HWSTATS_MAX_START_SOURCES	4096U

/*
 * HWSTATS_IOC_START: needs CAP_SYS_ADMIN. Zero in a field means its default.
 * nr_sources == 0 enables every source registered now and later.
 */
struct hwstats_start {
	__u32 size;
	__u32 flags;		/* HWSTATS_START_* */
	__u32 subbuf_size;	/* bytes, power of two, page multiple */
	__u32 n_subbufs;
	__aligned_u64 period_ns;	/* sampling period for periodic sources */
	/* The longest a record waits in a partly filled sub-buffer. */
	__aligned_u64 flush_interval_ns;
	__u32 nr_sources;
	__u32 reserved;
	__aligned_u64 source_ids;	/* __u32[nr_sources] */
};

/* HWSTATS_IOC_GET_STATS: nr_cpus in = capacity; out = nr_cpu_ids */
struct hwstats_cpu_stats {
	__u32 cpu;
	__u32 flags;		/* HWSTATS_CPU_* */
	__aligned_u64 records;		/* records written */
	__aligned_u64 bytes;		/* bytes of records written */
	__aligned_u64 lost;		/* records dropped: buffer full */
	__aligned_u64 subbufs;		/* sub-buffer switches */
};

#define HWSTATS_CPU_HAS_BUFFER	(1U << 0)

struct hwstats_stats {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 nr_cpus;
	__u32 reserved;
	__aligned_u64 cpus;	/* struct hwstats_cpu_stats[nr_cpus] */
};

/*
 * HWSTATS_IOC_SNAPSHOT: every counter of every source, now, in one call.
 * If buf_size is too small the call fails with ENOSPC and sets size_needed;
 * call again with a buffer at least that large. The buffer receives, for
 * each source, a struct hwstats_snapshot_source followed by its values.
 */
struct hwstats_snapshot {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__aligned_u64 buf_size;		/* in */
	__aligned_u64 buf;	/* in */
	__aligned_u64 size_needed;	/* out: bytes written, or needed on ENOSPC */
	__u32 nr_sources;	/* out */
	__u32 reserved;
	__aligned_u64 ts;		/* out: CLOCK_BOOTTIME of the snapshot */
};

struct hwstats_snapshot_source {
	__u32 id;
	__u32 nr_counters;
	__aligned_u64 seq;		/* the source's update count at the read */
	char name[HWSTATS_NAME_LEN];
	/* followed by __u64 value[nr_counters] */
};

/*
 * ---------------------------------------------------------------------------
 * Zero-copy reading (ABI minor 1)
 * ---------------------------------------------------------------------------
 *
 * mmap(NULL, subbuf_size * n_subbufs, PROT_READ, MAP_SHARED, devfd,
 *      cpu * subbuf_size * n_subbufs)
 * on /dev/hwstats maps CPU @cpu's relay buffer of the current session
 * (sizes from HWSTATS_IOC_GET_INFO), read-only. Needs CAP_SYS_ADMIN
 * (EPERM). Refused: no session (ENODATA); a length other than the
 * buffer's or an offset not a multiple of it, or MAP_PRIVATE (EINVAL);
 * PROT_WRITE (EACCES; mprotect() cannot add it later); a CPU number not
 * possible (ENXIO); a possible CPU without a buffer in this session, one
 * never online since START (ENOENT: try again once it is online). The
 * mapping holds the buffer's pages: it stays readable, with what the
 * buffer last held, after STOP, RESET and the end of the session, until
 * munmap(). It keeps the device file, and so the module, in use.
 *
 * Sub-buffer number c (from 0) sits at offset (c % n_subbufs) *
 * subbuf_size. It is complete when its header's seq equals c (read it,
 * then a read barrier) and then its used is non-zero (load-acquire): its
 * @used bytes are then whole records, the header first. A seq above c
 * means the writer has come round (overwrite mode): c was overwritten.
 * In overwrite mode the writer may come round while the reader uses the
 * data: the reader copies it, then (read barrier) checks seq again and
 * drops the copy if it changed. In no-overwrite mode the writer does not
 * touch a sub-buffer until the reader says it is consumed:
 *
 * HWSTATS_IOC_CONSUME: @consumed sub-buffers of CPU @cpu are done with
 * (all those before sub-buffer number @consumed); the writer may reuse
 * them. Exactly what read() does when it returns them; poll() on the
 * channel file keeps working (readable while produced != consumed).
 * Needs CAP_SYS_ADMIN (EPERM). Errors: flags or reserved not zero
 * (EINVAL); no session (ENODATA); @session_id not the current session's
 * (ESTALE); CPU not possible (ENXIO) or without a buffer (ENOENT);
 * @consumed below what is already consumed or above what is produced
 * (EINVAL). On success and on EINVAL, @produced holds relay's count of
 * the CPU's completed sub-buffers (the number after the newest one
 * complete): passing the current consumed count asks for it alone.
 * Counts are 64-bit; a 32-bit kernel keeps them modulo 2^32 and compares
 * them so.
 */
struct hwstats_consume {
	__u32 size;
	__u32 flags;		/* in: 0 */
	__u32 cpu;		/* in */
	__u32 reserved;		/* 0 */
	__aligned_u64 session_id;	/* in: hwstats_info.session_id */
	__aligned_u64 consumed;	/* in: sub-buffers consumed in all */
	__aligned_u64 produced;	/* out */
};

/*
 * The sizes of the first version of each argument struct: the smallest
 * size the kernel accepts, forever, and the size in the ioctl number.
 */
#define HWSTATS_VERSION_SIZE_VER0	48
#define HWSTATS_INFO_SIZE_VER0		88
#define HWSTATS_LIST_SOURCES_SIZE_VER0	24
#define HWSTATS_SCHEMA_SIZE_VER0	56
#define HWSTATS_START_SIZE_VER0		48
#define HWSTATS_STATS_SIZE_VER0		24
#define HWSTATS_SNAPSHOT_SIZE_VER0	48
#define HWSTATS_CONSUME_SIZE_VER0	40

#define HWSTATS_IOWR_VER0(nr, ver0) \
	_IOC(_IOC_READ | _IOC_WRITE, HWSTATS_IOC_MAGIC, (nr), (ver0))

#define HWSTATS_IOC_GET_VERSION \
	HWSTATS_IOWR_VER0(0x00, HWSTATS_VERSION_SIZE_VER0)
#define HWSTATS_IOC_GET_INFO	HWSTATS_IOWR_VER0(0x01, HWSTATS_INFO_SIZE_VER0)
#define HWSTATS_IOC_LIST_SOURCES \
	HWSTATS_IOWR_VER0(0x02, HWSTATS_LIST_SOURCES_SIZE_VER0)
#define HWSTATS_IOC_GET_SCHEMA \
	HWSTATS_IOWR_VER0(0x03, HWSTATS_SCHEMA_SIZE_VER0)
#define HWSTATS_IOC_START	HWSTATS_IOWR_VER0(0x10, HWSTATS_START_SIZE_VER0)
#define HWSTATS_IOC_STOP	_IO(HWSTATS_IOC_MAGIC, 0x11)
#define HWSTATS_IOC_FLUSH	_IO(HWSTATS_IOC_MAGIC, 0x12)
#define HWSTATS_IOC_RESET	_IO(HWSTATS_IOC_MAGIC, 0x13)
#define HWSTATS_IOC_GET_STATS	HWSTATS_IOWR_VER0(0x14, HWSTATS_STATS_SIZE_VER0)
#define HWSTATS_IOC_SNAPSHOT \
	HWSTATS_IOWR_VER0(0x15, HWSTATS_SNAPSHOT_SIZE_VER0)
#define HWSTATS_IOC_CONSUME \
	HWSTATS_IOWR_VER0(0x16, HWSTATS_CONSUME_SIZE_VER0)	/* minor 1 */

#endif /* _UAPI_HWSTATS_ABI_H */
