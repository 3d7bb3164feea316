// SPDX-License-Identifier: MIT
/*
 * hws-ioctl-fuzz - random and boundary calls on /dev/hwstats and the
 * channels, from several processes at once.
 *
 * Usage: hws-ioctl-fuzz [--seed N] [--calls N] [--procs N] [--device PATH]
 *                       [--unprivileged N]
 *
 * Every process makes --calls operations, drawn from a generator seeded
 * with the seed and the process number, so a run is replayed by giving its
 * seed again (the interleaving of the processes is the scheduler's). The
 * operations:
 *  - ioctls with every valid command and with foreign ones (other numbers
 *    of the hwstats magic, the valid numbers with a size or direction
 *    encoded, other magics, terminal ioctls, random words; not the few the
 *    VFS answers itself that would change the file, such as FIONBIO);
 *  - arguments whose size field runs from 0 to 4096 and beyond, with zero or
 *    random tails, random flags and reserved fields, random counts, and
 *    pointers (to the struct, or inside it) that are NULL, small, read-only,
 *    unmapped, kernel addresses, non-canonical, or end at an unmapped page;
 *  - random orders of START (mostly valid, small buffers), STOP, RESET,
 *    FLUSH, GET_STATS and SNAPSHOT, from several files and processes;
 *  - closing and reopening the control file (which ends a session it owns);
 *  - read(), poll() and mmap() of the channel files with bad buffers, while
 *    sessions come and go.
 * The --unprivileged N processes with the highest numbers give up root
 * after opening the device, so the permission checks are exercised too.
 *
 * Checks, beyond the kernel's own (the VM harness fails on any oops, WARN,
 * KASAN or lockdep report): every ioctl returns 0 or -1 with an errno the
 * ABI documents; a command of the hwstats magic that hwstats does not
 * know is ENOTTY; a NULL argument to a command that takes one is EFAULT;
 * an unprivileged START, STOP, FLUSH or RESET is EPERM; and when every
 * process has exited no session is left (the state is IDLE). Prints the seed first, then per-command counts of each result,
 * and "hws-ioctl-fuzz: PASS" or "FAIL". Exit 0 only on PASS.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hwstats_abi.h"

#define MAX_PROCS	64
#define NR_FDS		3
#define PAGE		4096UL
#define ARG_PAGES	4	/* the argument area; one more, unmapped, after it */
#define DATA_SIZE	(1UL << 20)
#define MAX_ERRNO	134

enum op {
	OP_VERSION, OP_INFO, OP_LIST, OP_SCHEMA, OP_START, OP_STOP, OP_FLUSH,
	OP_RESET, OP_STATS, OP_SNAPSHOT, OP_FOREIGN, OP_REOPEN, OP_READ,
	OP_POLL, OP_MMAP, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"GET_VERSION", "GET_INFO", "LIST_SOURCES", "GET_SCHEMA", "START",
	"STOP", "FLUSH", "RESET", "GET_STATS", "SNAPSHOT", "foreign cmd",
	"close+open", "read channel", "poll channel", "mmap channel",
};

static const unsigned long op_cmds[] = {
	HWSTATS_IOC_GET_VERSION, HWSTATS_IOC_GET_INFO,
	HWSTATS_IOC_LIST_SOURCES, HWSTATS_IOC_GET_SCHEMA, HWSTATS_IOC_START,
	HWSTATS_IOC_STOP, HWSTATS_IOC_FLUSH, HWSTATS_IOC_RESET,
	HWSTATS_IOC_GET_STATS, HWSTATS_IOC_SNAPSHOT,
};

/* Per op: how often each result came (index 0: success). */
struct tally {
	uint64_t res[NR_OPS][MAX_ERRNO + 1];
	uint64_t bad;		/* results that broke a rule */
	uint64_t calls;
};

static struct tally *tallies;	/* shared: one per process */
static const char *device = "/dev/" HWSTATS_DEVICE_NAME;
static char chandir[256] = "/sys/kernel/debug/" HWSTATS_DEBUGFS_DIR;
static uint32_t nr_cpu_ids = 1;

/* ------------------------------------------------------------------ */
/* generator: splitmix64, reproducible from the seed                   */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* true with probability 1 in n */
static bool one_in(uint64_t n)
{
	return below(n) == 0;
}

/* ------------------------------------------------------------------ */
/* memory: where arguments and the buffers they point to live          */

static uint8_t *arg_area;	/* ARG_PAGES read-write, then an unmapped page */
static uint8_t *data_area;	/* DATA_SIZE read-write, then an unmapped page */
static uint8_t *ro_page;	/* read-only */
static uint8_t *gone_page;	/* unmapped */

static void *map_guarded(size_t len)
{
	uint8_t *p = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("hws-ioctl-fuzz: mmap");
		exit(2);
	}
	munmap(p + len, PAGE);
	return p;
}

static void setup_memory(void)
{
	arg_area = map_guarded(ARG_PAGES * PAGE);
	data_area = map_guarded(DATA_SIZE);
	ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gone_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED || gone_page == MAP_FAILED) {
		perror("hws-ioctl-fuzz: mmap");
		exit(2);
	}
	munmap(gone_page, PAGE);
}

/* A pointer for the kernel to read or write @len bytes at: good or not. */
static uint64_t rand_ptr(size_t len)
{
	if (len > DATA_SIZE)
		len = DATA_SIZE;
	switch (below(16)) {
	case 0:
		return 0;
	case 1:
		return 16;
	case 2:
		return (uintptr_t)ro_page;
	case 3:
		return (uintptr_t)gone_page + below(PAGE);
	case 4:
		return 0xffffffff81000000ULL;		/* kernel text */
	case 5:
		return 0xffff888000000000ULL;		/* the direct map */
	case 6:
		return 0x0000800000000000ULL;		/* non-canonical */
	case 7:
		return ~0ULL - below(64);
	case 8:
		/* ends before the unmapped page after the data area */
		return (uintptr_t)data_area + DATA_SIZE - below(len + 1);
	default:
		return (uintptr_t)data_area + below(DATA_SIZE - len + 1);
	}
}

/* A size field: around the struct's own size, 0..4096, or wild. */
static uint32_t rand_size(uint32_t ksize)
{
	switch (below(12)) {
	case 0:
		return 0;
	case 1:
		return (uint32_t)below(ksize);
	case 2:
		return ksize + 8 * (uint32_t)below(8);
	case 3:
		return (uint32_t)below(4097);
	case 4:
		return 4096;
	case 5:
		return (uint32_t)rnd();
	case 6:
		return ksize - 1;
	default:
		return ksize;
	}
}

static uint32_t rand_flags(void)
{
	if (one_in(4))
		return one_in(2) ? 1u << below(32) : (uint32_t)rnd();
	return 0;
}

/*
 * Lay out an argument of @ksize bytes whose size field says @usize: at the
 * start of the argument area, or ending right at its unmapped guard page
 * (so the tail the kernel checks runs into it). The tail beyond ksize is
 * zero or carries a stray byte. Returns where it is.
 */
static uint8_t *place_arg(const void *karg, uint32_t ksize, uint32_t usize)
{
	size_t room = ARG_PAGES * PAGE, span = usize > room ? room : usize;
	uint8_t *p;

	if (span < ksize)
		span = ksize;
	if (one_in(4))
		p = arg_area + room - span + (one_in(2) ? below(span) & ~7UL : 0);
	else
		p = arg_area;
	if ((size_t)(p - arg_area) + ksize > room)
		p = arg_area + room - ksize;
	memset(arg_area, 0, room);
	memcpy(p, karg, ksize);
	if (usize > ksize && one_in(8)) {
		size_t off = ksize + below(usize - ksize);

		if ((size_t)(p - arg_area) + off < room)
			p[off] = (uint8_t)(1 + below(255));
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* results                                                             */

static int nr_procs = 4;

static void rule_broken(struct tally *t, int proc, enum op op, const char *why,
			int err)
{
	t->bad++;
	printf("hws-ioctl-fuzz: proc %d: %s: %s (errno %d %s)\n", proc,
	       op_names[op], why, err, strerror(err));
	fflush(stdout);
}

/* Every errno the ABI gives for these calls. */
static bool documented(int err)
{
	switch (err) {
	case EINVAL: case EFAULT: case ENOTTY: case EBUSY: case EPERM:
	case ENOSPC: case ENODATA: case ENOENT: case E2BIG: case ENOMEM:
	case EOPNOTSUPP:
		return true;
	default:
		return false;
	}
}

static void record(struct tally *t, int proc, enum op op, long ret, int err)
{
	t->calls++;
	if (ret == 0) {
		t->res[op][0]++;
		return;
	}
	if (ret != -1) {
		rule_broken(t, proc, op, "returned neither 0 nor -1", 0);
		return;
	}
	t->res[op][err > 0 && err <= MAX_ERRNO ? err : 0]++;
	if (op < OP_FOREIGN && !documented(err))
		rule_broken(t, proc, op, "an errno the ABI does not document", err);
}

/* ------------------------------------------------------------------ */
/* the ioctls                                                          */

struct proc {
	int id;
	bool unpriv;
	int fd[NR_FDS];
	struct tally *t;
	uint32_t source_ids[8];
	uint32_t nr_sources;
};

/* Learn the source ids (for START and GET_SCHEMA) once in a while. */
static void learn_sources(struct proc *p, int fd)
{
	struct hwstats_source_info si[8];
	struct hwstats_list_sources ls = {
		.size = sizeof(ls), .count = 8, .sources = (uintptr_t)si,
	};
	uint32_t i;

	if (ioctl(fd, HWSTATS_IOC_LIST_SOURCES, &ls) < 0)
		return;
	p->nr_sources = ls.count < 8 ? ls.count : 8;
	for (i = 0; i < p->nr_sources; i++)
		p->source_ids[i] = si[i].id;
}

static uint32_t rand_source_id(struct proc *p)
{
	if (p->nr_sources && !one_in(5))
		return p->source_ids[below(p->nr_sources)];
	return one_in(2) ? (uint32_t)below(16) : (uint32_t)rnd();
}

/* A START that is valid most of the time, with small buffers. */
static void make_start(struct proc *p, struct hwstats_start *a)
{
	static const uint32_t subbufs[] = { 0, 4096, 8192, 16384, 65536,
					    4095, 4097, 1000, 128u << 20 };
	uint32_t *ids = (uint32_t *)(data_area + 4096);
	uint32_t i;

	memset(a, 0, sizeof(*a));
	a->flags = one_in(4) ? HWSTATS_START_OVERWRITE : rand_flags();
	a->subbuf_size = subbufs[below(one_in(8) ? 9 : 5)];
	a->n_subbufs = one_in(8) ? (uint32_t)rnd() : (uint32_t)below(9);
	/*
	 * A valid request never asks for more than 8 MiB per CPU (the guest
	 * is small); the ones over the limit are refused before allocating.
	 */
	if ((uint64_t)(a->subbuf_size ?: HWSTATS_DEFAULT_SUBBUF_SIZE) *
	    (a->n_subbufs ?: HWSTATS_DEFAULT_N_SUBBUFS) <= HWSTATS_MAX_BUFFER_SIZE &&
	    a->n_subbufs <= HWSTATS_MAX_N_SUBBUFS &&
	    (uint64_t)(a->subbuf_size ?: HWSTATS_DEFAULT_SUBBUF_SIZE) *
	    (a->n_subbufs ?: HWSTATS_DEFAULT_N_SUBBUFS) > (8u << 20))
		a->n_subbufs = 2;
	if (one_in(3))
		a->period_ns = one_in(3) ? below(200000) :
			       HWSTATS_MIN_PERIOD_NS + below(20000000);
	if (one_in(3))
		a->flush_interval_ns = one_in(3) ? below(20000000) :
				       HWSTATS_MIN_FLUSH_NS + below(500000000);
	if (one_in(10))
		a->reserved = (uint32_t)rnd();
	if (one_in(3)) {
		a->nr_sources = one_in(8) ? (uint32_t)below(5000) :
					    (uint32_t)below(4) + 1;
		if (a->nr_sources <= 1024)
			for (i = 0; i < a->nr_sources; i++)
				ids[i] = rand_source_id(p);
		a->source_ids = one_in(4) ? rand_ptr(a->nr_sources * 4ULL) :
					    (uintptr_t)ids;
	}
}

static void do_ioctl(struct proc *p, enum op op)
{
	union {
		struct hwstats_version v;
		struct hwstats_info in;
		struct hwstats_list_sources ls;
		struct hwstats_schema sc;
		struct hwstats_start st;
		struct hwstats_stats ss;
		struct hwstats_snapshot sn;
	} u;
	uint32_t ksize = 0;
	int fd = p->fd[below(NR_FDS)];
	uint64_t argp;
	bool null_arg = false, takes_arg = true;
	long ret;
	int err;

	memset(&u, 0, sizeof(u));
	switch (op) {
	case OP_VERSION:
		ksize = sizeof(u.v);
		u.v.flags = rand_flags();
		break;
	case OP_INFO:
		ksize = sizeof(u.in);
		u.in.flags = rand_flags();
		if (one_in(6))	/* output fields given as input */
			u.in.state = (uint32_t)rnd();
		break;
	case OP_LIST:
		ksize = sizeof(u.ls);
		u.ls.flags = rand_flags();
		u.ls.count = one_in(3) ? (uint32_t)rnd() : (uint32_t)below(10);
		u.ls.reserved = one_in(10) ? (uint32_t)rnd() : 0;
		u.ls.sources = rand_ptr((size_t)u.ls.count *
					sizeof(struct hwstats_source_info));
		break;
	case OP_SCHEMA:
		ksize = sizeof(u.sc);
		u.sc.flags = rand_flags();
		u.sc.source_id = rand_source_id(p);
		u.sc.count = one_in(3) ? (uint32_t)rnd() : (uint32_t)below(10);
		u.sc.counters = rand_ptr((size_t)u.sc.count *
					 sizeof(struct hwstats_counter_desc));
		break;
	case OP_START:
		ksize = sizeof(u.st);
		make_start(p, &u.st);
		break;
	case OP_STOP:
	case OP_FLUSH:
	case OP_RESET:
		takes_arg = false;
		break;
	case OP_STATS:
		ksize = sizeof(u.ss);
		u.ss.flags = rand_flags();
		u.ss.nr_cpus = one_in(3) ? (uint32_t)rnd() :
			       (uint32_t)below(nr_cpu_ids + 3);
		u.ss.reserved = one_in(10) ? (uint32_t)rnd() : 0;
		u.ss.cpus = rand_ptr((size_t)u.ss.nr_cpus *
				     sizeof(struct hwstats_cpu_stats));
		break;
	case OP_SNAPSHOT:
		ksize = sizeof(u.sn);
		u.sn.flags = rand_flags();
		u.sn.buf_size = one_in(3) ? rnd() : below(DATA_SIZE + 1);
		u.sn.buf = rand_ptr(u.sn.buf_size);
		if (one_in(8))
			u.sn.size_needed = rnd();
		if (one_in(8))
			u.sn.nr_sources = (uint32_t)rnd();
		if (one_in(8))
			u.sn.ts = rnd();
		break;
	default:
		return;
	}

	if (!takes_arg) {
		/* Commands without an argument ignore whatever is passed. */
		argp = one_in(2) ? 0 : rand_ptr(8);
	} else if (one_in(12)) {
		argp = rand_ptr(ksize);
		null_arg = argp == 0;
	} else {
		uint32_t usize = rand_size(ksize);

		memcpy(&u, &usize, sizeof(usize));
		argp = (uintptr_t)place_arg(&u, ksize, usize);
	}
	errno = 0;
	ret = ioctl(fd, op_cmds[op], (void *)(uintptr_t)argp);
	err = errno;
	record(p->t, p->id, op, ret, err);
	if (ret == -1 && null_arg && err != EFAULT && err != EPERM)
		rule_broken(p->t, p->id, op, "a NULL argument is not EFAULT", err);
	if (p->unpriv && (op == OP_START || op == OP_STOP || op == OP_FLUSH ||
			  op == OP_RESET) && !(ret == -1 && err == EPERM))
		rule_broken(p->t, p->id, op, "allowed without CAP_SYS_ADMIN", err);
	if (ret == 0 && op == OP_START)
		learn_sources(p, fd);
}

static const unsigned long vfs_cmds[] = {
	FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC, FIOQSIZE, FIONREAD, FIFREEZE,
	FITHAW, FS_IOC_FIEMAP, FIGETBSZ, FICLONE, FICLONERANGE, FIDEDUPERANGE,
	FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR, FS_IOC_FSSETXATTR,
};

#define IOC_NOSIZE(cmd)	((cmd) & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT))

/* A command hwstats does not have: ENOTTY. */
static void do_foreign(struct proc *p)
{
	unsigned long cmd;
	long ret;
	int err;

	switch (below(6)) {
	case 0:		/* an unused number of our magic */
		cmd = _IO(HWSTATS_IOC_MAGIC, 0x16 + below(256 - 0x16));
		if (one_in(2))
			cmd = _IO(HWSTATS_IOC_MAGIC, 0x04 + below(12));
		break;
	case 1: {	/* a valid number with another direction, any size */
		unsigned long v = op_cmds[below(10)];

		cmd = _IOC((_IOC_DIR(v) + 1 + below(3)) & 3, HWSTATS_IOC_MAGIC,
			   _IOC_NR(v), 1 + below(1 << 13));
		break;
	}
	case 2:		/* another magic, same number */
		cmd = _IOC(_IOC_NONE, (HWSTATS_IOC_MAGIC + 1 + below(255)) & 0xff,
			   _IOC_NR(op_cmds[below(10)]), 0);
		break;
	case 3:		/* terminal ioctls: nothing to do with us */
		cmd = TCGETS + below(16);
		break;
	default:
		cmd = (uint32_t)rnd();
		break;
	}
	/* The driver ignores the size bits: any size of a valid number is it. */
	for (size_t i = 0; i < sizeof(op_cmds) / sizeof(op_cmds[0]); i++)
		if (IOC_NOSIZE(cmd) == IOC_NOSIZE(op_cmds[i]))
			return;
	/*
	 * The VFS answers some commands itself, before the driver; a few
	 * change the file or the inode (FIONBIO, FS_IOC_SETFLAGS): skip them.
	 */
	for (size_t i = 0; i < sizeof(vfs_cmds) / sizeof(vfs_cmds[0]); i++)
		if (cmd == vfs_cmds[i])
			return;
	errno = 0;
	ret = ioctl(p->fd[below(NR_FDS)], cmd, (void *)(uintptr_t)rand_ptr(64));
	err = errno;
	p->t->calls++;
	p->t->res[OP_FOREIGN][ret == 0 ? 0 : err > 0 && err <= MAX_ERRNO ? err : 0]++;
	/* hwstats' own magic: the driver alone decides, and says ENOTTY. */
	if (_IOC_TYPE(cmd) == HWSTATS_IOC_MAGIC && !(ret == -1 && err == ENOTTY))
		rule_broken(p->t, p->id, OP_FOREIGN, "an unknown command is not ENOTTY", err);
}

static int open_dev(void)
{
	return open(device, O_RDWR | O_CLOEXEC);
}

static int open_channel(void)
{
	char path[300];
	int flags = O_RDONLY | O_CLOEXEC | (one_in(2) ? O_NONBLOCK : 0);

	snprintf(path, sizeof(path), "%s/%s%u", chandir, HWSTATS_CHANNEL_BASE,
		 (unsigned int)below(nr_cpu_ids + 1));
	return open(path, flags);
}

/* read(), poll() or mmap() of a channel file, whatever the session does. */
static void do_channel(struct proc *p, enum op op)
{
	int fd = open_channel();
	long ret;
	int err;

	if (fd < 0) {
		record(p->t, p->id, op, -1, errno);
		return;
	}
	errno = 0;
	if (op == OP_READ) {
		size_t len = one_in(4) ? (size_t)rnd() : below(1 << 16);

		ret = read(fd, (void *)(uintptr_t)rand_ptr(len), len);
		err = errno;
		record(p->t, p->id, op, ret > 0 ? 0 : ret, err);
	} else if (op == OP_POLL) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		ret = poll(&pfd, 1, (int)below(3));
		err = errno;
		record(p->t, p->id, op, ret >= 0 ? 0 : ret, err);
	} else {
		size_t len = PAGE * (1 + below(64));
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);

		err = errno;
		if (m != MAP_FAILED) {
			volatile uint8_t sink = *(volatile uint8_t *)m;

			(void)sink;
			munmap(m, len);
		}
		record(p->t, p->id, op, m == MAP_FAILED ? -1 : 0, err);
	}
	close(fd);
}

static void run_proc(struct proc *p, uint64_t seed, uint64_t calls)
{
	uint64_t i;
	int j;

	rng_state = seed;
	for (i = 0; i < calls; i++) {
		uint64_t r = below(100);
		enum op op;

		if (r < 70)
			op = (enum op)below(OP_FOREIGN);
		else if (r < 80)
			op = OP_FOREIGN;
		else if (r < 84)
			op = OP_REOPEN;
		else if (r < 92)
			op = OP_READ;
		else if (r < 96)
			op = OP_POLL;
		else
			op = OP_MMAP;
		/* Session control in runs, so sessions live a while. */
		if (op == OP_START && one_in(2))
			op = OP_SNAPSHOT;
		switch (op) {
		case OP_FOREIGN:
			do_foreign(p);
			break;
		case OP_REOPEN:
			j = (int)below(NR_FDS);
			if (!p->unpriv) {
				/* Closing the owner's file ends its session. */
				close(p->fd[j]);
				p->fd[j] = open_dev();
				record(p->t, p->id, op, p->fd[j] < 0 ? -1 : 0, errno);
				if (p->fd[j] < 0)
					p->fd[j] = p->fd[(j + 1) % NR_FDS];
			}
			break;
		case OP_READ:
		case OP_POLL:
		case OP_MMAP:
			do_channel(p, op);
			break;
		default:
			do_ioctl(p, op);
			break;
		}
	}
	for (j = 0; j < NR_FDS; j++)
		close(p->fd[j]);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: hws-ioctl-fuzz [--seed N] [--calls N] [--procs N] [--unprivileged N]\n"
"                      [--device PATH]\n"
"Random and boundary ioctls, reads, polls and mmaps on hwstats from several\n"
"processes; replay a run with its --seed. Defaults: seed from the clock,\n"
"5000 calls per process, 4 processes of which 1 unprivileged.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ .name = "seed", .has_arg = required_argument, .val = 's' },
		{ .name = "calls", .has_arg = required_argument, .val = 'c' },
		{ .name = "procs", .has_arg = required_argument, .val = 'p' },
		{ .name = "unprivileged", .has_arg = required_argument, .val = 'u' },
		{ .name = "device", .has_arg = required_argument, .val = 'D' },
		{ .name = "help", .has_arg = no_argument, .val = 'h' },
		{ 0 }
	};
	struct hwstats_info info = { .size = sizeof(info) };
	struct timespec t0, t1;
	uint64_t seed, calls = 5000, total = 0, bad = 0;
	int nr_unpriv = 1, opt, i, fd, failed = 0;
	pid_t pids[MAX_PROCS];

	clock_gettime(CLOCK_REALTIME, &t0);
	seed = (uint64_t)t0.tv_sec * 1000003u ^ (uint64_t)t0.tv_nsec ^
	       (uint64_t)getpid() << 32;
	while ((opt = getopt_long(argc, argv, "s:c:p:u:D:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			calls = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			nr_procs = atoi(optarg);
			break;
		case 'u':
			nr_unpriv = atoi(optarg);
			break;
		case 'D':
			device = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nr_procs < 1 || nr_procs > MAX_PROCS || nr_unpriv < 0 ||
	    nr_unpriv > nr_procs) {
		usage(stderr);
		return 2;
	}
	printf("hws-ioctl-fuzz: seed %" PRIu64 " (replay: hws-ioctl-fuzz --seed %" PRIu64
	       " --calls %" PRIu64 " --procs %d --unprivileged %d)\n",
	       seed, seed, calls, nr_procs, nr_unpriv);
	fflush(stdout);

	fd = open_dev();
	if (fd < 0 || ioctl(fd, HWSTATS_IOC_GET_INFO, &info) < 0) {
		fprintf(stderr, "hws-ioctl-fuzz: %s: %s\n", device, strerror(errno));
		return 2;
	}
	nr_cpu_ids = info.nr_cpu_ids;
	close(fd);
	tallies = mmap(NULL, sizeof(*tallies) * nr_procs, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tallies == MAP_FAILED) {
		perror("hws-ioctl-fuzz: mmap");
		return 2;
	}
	setup_memory();
	signal(SIGPIPE, SIG_IGN);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nr_procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("hws-ioctl-fuzz: fork");
			return 2;
		}
		if (pids[i] == 0) {
			struct proc p = { .id = i, .t = &tallies[i] };
			int j;

			for (j = 0; j < NR_FDS; j++) {
				p.fd[j] = open_dev();
				if (p.fd[j] < 0) {
					perror("hws-ioctl-fuzz: open");
					_exit(2);
				}
			}
			learn_sources(&p, p.fd[0]);
			/* The last ones drop root, keeping their open files. */
			if (i >= nr_procs - nr_unpriv) {
				p.unpriv = true;
				if (setgid(65534) || setuid(65534))
					_exit(2);
			}
			run_proc(&p, seed + 0x1000193ULL * (uint64_t)i, calls);
			_exit(0);
		}
	}
	for (i = 0; i < nr_procs; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			printf("hws-ioctl-fuzz: proc %d ended badly (status 0x%x)\n",
			       i, st);
			failed = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* Per operation: calls, successes, and each errno. */
	for (int op = 0; op < NR_OPS; op++) {
		uint64_t n = 0, ok = 0;

		for (i = 0; i < nr_procs; i++) {
			ok += tallies[i].res[op][0];
			for (int e = 0; e <= MAX_ERRNO; e++)
				n += tallies[i].res[op][e];
		}
		printf("%-14s %7" PRIu64 " calls %7" PRIu64 " ok", op_names[op], n, ok);
		for (int e = 1; e <= MAX_ERRNO; e++) {
			uint64_t c = 0;

			for (i = 0; i < nr_procs; i++)
				c += tallies[i].res[op][e];
			if (c)
				printf("  %s %" PRIu64, strerrorname_np(e) ?: "?", c);
		}
		putchar('\n');
	}
	for (i = 0; i < nr_procs; i++) {
		total += tallies[i].calls;
		bad += tallies[i].bad;
	}
	printf("hws-ioctl-fuzz: %" PRIu64 " calls by %d processes in %.1f s, %" PRIu64 " broke a rule\n",
	       total, nr_procs,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, bad);

	/* Every file is closed: no session may be left. */
	fd = open_dev();
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (fd < 0 || ioctl(fd, HWSTATS_IOC_GET_INFO, &info) < 0) {
		printf("hws-ioctl-fuzz: %s afterwards: %s\n", device, strerror(errno));
		failed = 1;
	} else if (info.state != HWSTATS_STATE_IDLE) {
		printf("hws-ioctl-fuzz: state %u with every file closed, not IDLE\n",
		       info.state);
		failed = 1;
	}
	if (fd >= 0)
		close(fd);
	failed |= bad != 0;
	printf("hws-ioctl-fuzz: %s (seed %" PRIu64 ")\n", failed ? "FAIL" : "PASS", seed);
	return failed;
}
