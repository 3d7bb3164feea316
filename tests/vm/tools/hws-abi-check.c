// SPDX-License-Identifier: MIT
/*
 * hws-abi-check - every ioctl of /dev/hwstats with bad arguments and in
 * every session state must give its documented error, and the module must
 * keep working afterwards. Run as root in the VM with hwstats.ko and
 * hwstats_sim.ko loaded. Prints one line per check and "N passed, M failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwstats_abi.h"

static int passed, failed;

static void check(int cond, const char *what, int err)
{
	if (cond) {
		passed++;
		printf("ok - %s\n", what);
	} else {
		failed++;
		printf("not ok - %s (errno %d: %s)\n", what, err, strerror(err));
	}
}

/* ioctl returning 0 or the errno */
static int io(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? errno : 0;
}

#define EXPECT(fd, cmd, arg, want, what) do {				\
		int _e = io(fd, cmd, arg);				\
		check(_e == (want), what, _e);				\
	} while (0)

static uint32_t state(int fd)
{
	struct hwstats_info in = { .size = sizeof(in) };

	if (io(fd, HWSTATS_IOC_GET_INFO, &in))
		return ~0u;
	return in.state;
}

static uint32_t first_source(int fd)
{
	struct hwstats_source_info si[4];
	struct hwstats_list_sources ls = {
		.size = sizeof(ls), .count = 4, .sources = (uintptr_t)si,
	};

	if (io(fd, HWSTATS_IOC_LIST_SOURCES, &ls) || !ls.count)
		return 0;
	return si[0].id;
}

static __u64 session_id(int fd)
{
	struct hwstats_info in = { .size = sizeof(in) };

	return io(fd, HWSTATS_IOC_GET_INFO, &in) ? 0 : in.session_id;
}

/*
 * Every ioctl with its struct at the size of its first version (what an
 * old binary passes, forever): it must be accepted, and the kernel must
 * write back nothing past that size.
 */
static void ver0_checks(int fd)
{
	union {
		struct hwstats_version v;
		struct hwstats_info in;
		struct hwstats_list_sources ls;
		struct hwstats_schema sc;
		struct hwstats_start st;
		struct hwstats_stats ss;
		struct hwstats_snapshot sn;
		struct hwstats_consume co;
		unsigned char raw[512];
	} u;
	struct hwstats_source_info si[4];
	struct hwstats_counter_desc cd[4];
	struct hwstats_cpu_stats cs[64];
	static char snap[1 << 20];
	unsigned int i;
	int clean;

#define VER0(cmd, ver0, what) do {							memset(&u, 0xa5, sizeof(u));						memset(&u, 0, (ver0));							u.v.size = (ver0);							setup;									EXPECT(fd, cmd, &u, 0, what " at its VER0 size -> ok");			clean = 1;								for (i = (ver0); i < sizeof(u.raw); i++)					clean &= u.raw[i] == 0xa5;					check(clean, "  ... nothing written past VER0", 0);		} while (0)
#define setup (void)0
	VER0(HWSTATS_IOC_GET_VERSION, HWSTATS_VERSION_SIZE_VER0, "GET_VERSION");
	VER0(HWSTATS_IOC_GET_INFO, HWSTATS_INFO_SIZE_VER0, "GET_INFO");
#undef setup
#define setup (u.ls.count = 4, u.ls.sources = (uintptr_t)si)
	VER0(HWSTATS_IOC_LIST_SOURCES, HWSTATS_LIST_SOURCES_SIZE_VER0, "LIST_SOURCES");
#undef setup
#define setup (u.sc.source_id = first_source(fd), u.sc.count = 4,		       u.sc.counters = (uintptr_t)cd)
	VER0(HWSTATS_IOC_GET_SCHEMA, HWSTATS_SCHEMA_SIZE_VER0, "GET_SCHEMA");
#undef setup
#define setup (u.st.subbuf_size = 16384, u.st.n_subbufs = 4)
	VER0(HWSTATS_IOC_START, HWSTATS_START_SIZE_VER0, "START");
#undef setup
#define setup (u.ss.nr_cpus = 64, u.ss.cpus = (uintptr_t)cs)
	VER0(HWSTATS_IOC_GET_STATS, HWSTATS_STATS_SIZE_VER0, "GET_STATS");
#undef setup
	/* ABI minor 1: nothing consumed yet, so consuming 0 is a no-op. */
#define setup (u.co.session_id = session_id(fd))
	VER0(HWSTATS_IOC_CONSUME, HWSTATS_CONSUME_SIZE_VER0, "CONSUME");
#undef setup
#define setup (void)0
	EXPECT(fd, HWSTATS_IOC_FLUSH, NULL, 0, "FLUSH ok");
	EXPECT(fd, HWSTATS_IOC_STOP, NULL, 0, "STOP ok");
	EXPECT(fd, HWSTATS_IOC_RESET, NULL, 0, "RESET ok");
#undef setup
#define setup (u.sn.buf = (uintptr_t)snap, u.sn.buf_size = sizeof(snap))
	VER0(HWSTATS_IOC_SNAPSHOT, HWSTATS_SNAPSHOT_SIZE_VER0, "SNAPSHOT");
#undef setup
#undef VER0
	/* One byte short of VER0 is refused, for every struct. */
	memset(&u, 0, sizeof(u));
	u.v.size = HWSTATS_INFO_SIZE_VER0 - 8;
	EXPECT(fd, HWSTATS_IOC_GET_INFO, &u, EINVAL, "GET_INFO below its VER0 size -> EINVAL");
	u.v.size = HWSTATS_SNAPSHOT_SIZE_VER0 - 8;
	EXPECT(fd, HWSTATS_IOC_SNAPSHOT, &u, EINVAL, "SNAPSHOT below its VER0 size -> EINVAL");
}

/*
 * Every "in: 0" flags field and every reserved field: an argument the call
 * accepts (first checked) is -EINVAL once either is not zero. Runs from
 * IDLE to IDLE, through a session, which GET_STATS and CONSUME need.
 */
static void zero_field_checks(int fd)
{
	struct hwstats_version v;
	struct hwstats_info in;
	struct hwstats_list_sources ls;
	struct hwstats_schema sc;
	struct hwstats_stats ss;
	struct hwstats_snapshot sn;
	struct hwstats_consume co;
	struct hwstats_start st = {
		.size = sizeof(st), .subbuf_size = 16384, .n_subbufs = 4,
	};
	struct hwstats_source_info si[4];
	struct hwstats_counter_desc cd[4];
	struct hwstats_cpu_stats cs[64];
	static char snap[1 << 20];
	__u32 src = first_source(fd);
	__u64 sid;

#define ZERO_FIELD(cmd, arg, setup, field, what) do {				\
		memset(&(arg), 0, sizeof(arg));					\
		(arg).size = sizeof(arg);					\
		setup;								\
		EXPECT(fd, cmd, &(arg), 0, what " -> ok");			\
		memset(&(arg), 0, sizeof(arg));					\
		(arg).size = sizeof(arg);					\
		setup;								\
		(arg).field = 1;						\
		EXPECT(fd, cmd, &(arg), EINVAL,					\
		       what ", " #field " not zero -> EINVAL");			\
	} while (0)
	/* no session: the fields are checked before the state */
	memset(&co, 0, sizeof(co));
	co.size = sizeof(co);
	EXPECT(fd, HWSTATS_IOC_CONSUME, &co, ENODATA, "CONSUME with no session -> ENODATA");
	co.flags = 1;
	EXPECT(fd, HWSTATS_IOC_CONSUME, &co, EINVAL,
	       "CONSUME with no session, flags not zero -> EINVAL");
	co.flags = 0;
	co.reserved = 1;
	EXPECT(fd, HWSTATS_IOC_CONSUME, &co, EINVAL,
	       "CONSUME with no session, reserved not zero -> EINVAL");

	EXPECT(fd, HWSTATS_IOC_START, &st, 0, "START ok");
	sid = session_id(fd);
	ZERO_FIELD(HWSTATS_IOC_GET_VERSION, v, (void)0, flags, "GET_VERSION");
	ZERO_FIELD(HWSTATS_IOC_GET_INFO, in, (void)0, flags, "GET_INFO");
#define LS_SETUP (ls.count = 4, ls.sources = (uintptr_t)si)
	ZERO_FIELD(HWSTATS_IOC_LIST_SOURCES, ls, LS_SETUP, flags, "LIST_SOURCES");
	ZERO_FIELD(HWSTATS_IOC_LIST_SOURCES, ls, LS_SETUP, reserved, "LIST_SOURCES");
#define SC_SETUP (sc.source_id = src, sc.count = 4, sc.counters = (uintptr_t)cd)
	ZERO_FIELD(HWSTATS_IOC_GET_SCHEMA, sc, SC_SETUP, flags, "GET_SCHEMA");
#define SS_SETUP (ss.nr_cpus = 64, ss.cpus = (uintptr_t)cs)
	ZERO_FIELD(HWSTATS_IOC_GET_STATS, ss, SS_SETUP, flags, "GET_STATS");
	ZERO_FIELD(HWSTATS_IOC_GET_STATS, ss, SS_SETUP, reserved, "GET_STATS");
#define SN_SETUP (sn.buf = (uintptr_t)snap, sn.buf_size = sizeof(snap))
	ZERO_FIELD(HWSTATS_IOC_SNAPSHOT, sn, SN_SETUP, flags, "SNAPSHOT");
	ZERO_FIELD(HWSTATS_IOC_SNAPSHOT, sn, SN_SETUP, reserved, "SNAPSHOT");
	/* nothing consumed yet, so consuming 0 is a no-op */
#define CO_SETUP (co.session_id = sid)
	ZERO_FIELD(HWSTATS_IOC_CONSUME, co, CO_SETUP, flags, "CONSUME");
	ZERO_FIELD(HWSTATS_IOC_CONSUME, co, CO_SETUP, reserved, "CONSUME");
#undef LS_SETUP
#undef SC_SETUP
#undef SS_SETUP
#undef SN_SETUP
#undef CO_SETUP
#undef ZERO_FIELD
	EXPECT(fd, HWSTATS_IOC_STOP, NULL, 0, "STOP ok");
	EXPECT(fd, HWSTATS_IOC_RESET, NULL, 0, "RESET ok");
	check(state(fd) == HWSTATS_STATE_IDLE, "state IDLE after the field checks", 0);
}

int main(void)
{
	struct {
		struct hwstats_version v;
		char tail[64];
	} big;
	struct hwstats_version v;
	struct hwstats_start st;
	struct hwstats_stats ss;
	struct hwstats_cpu_stats cs[64];
	struct hwstats_snapshot sn;
	struct hwstats_schema sc;
	struct hwstats_counter_desc cd[4];
	uint32_t ids[2];
	char *snapbuf;
	int fd, fd2, e;
	pid_t pid;

	fd = open("/dev/hwstats", O_RDWR);
	fd2 = open("/dev/hwstats", O_RDWR);
	if (fd < 0 || fd2 < 0) {
		perror("/dev/hwstats");
		return 2;
	}

	/* Extensible structs */
	memset(&v, 0, sizeof(v));
	EXPECT(fd, HWSTATS_IOC_GET_VERSION, &v, EINVAL, "GET_VERSION size 0 -> EINVAL");
	v.size = 4;
	EXPECT(fd, HWSTATS_IOC_GET_VERSION, &v, EINVAL, "GET_VERSION size too small -> EINVAL");
	v.size = sizeof(v);
	v.flags = 1;
	EXPECT(fd, HWSTATS_IOC_GET_VERSION, &v, EINVAL, "GET_VERSION unknown flag -> EINVAL");
	v.flags = 0;
	EXPECT(fd, HWSTATS_IOC_GET_VERSION, &v, 0, "GET_VERSION ok");
	check(v.abi_major == HWSTATS_ABI_MAJOR, "GET_VERSION reports this header's ABI major", 0);
	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	EXPECT(fd, HWSTATS_IOC_GET_VERSION, &big, 0, "GET_VERSION larger struct, zero tail -> ok");
	big.tail[10] = 1;
	EXPECT(fd, HWSTATS_IOC_GET_VERSION, &big, E2BIG, "GET_VERSION larger struct, non-zero tail -> E2BIG");
	EXPECT(fd, HWSTATS_IOC_GET_VERSION, NULL, EFAULT, "GET_VERSION NULL -> EFAULT");
	EXPECT(fd, HWSTATS_IOC_GET_VERSION, (void *)16, EFAULT, "GET_VERSION bad pointer -> EFAULT");
	{
		/* A struct a page long or more: refused before it is read. */
		size_t pg = (size_t)sysconf(_SC_PAGESIZE);
		struct hwstats_version *hv = calloc(1, 2 * pg);

		hv->size = pg + 8;
		EXPECT(fd, HWSTATS_IOC_GET_VERSION, hv, E2BIG, "GET_VERSION size over a page -> E2BIG");
		hv->size = 0xffffffffu;
		EXPECT(fd, HWSTATS_IOC_GET_VERSION, hv, E2BIG, "GET_VERSION size 4 GiB - 1 -> E2BIG");
		hv->size = pg;
		EXPECT(fd, HWSTATS_IOC_GET_VERSION, hv, 0, "GET_VERSION size of a page, zero tail -> ok");
		free(hv);
	}
	/* The size bits of a number are ignored: the struct's size counts. */
	v.size = sizeof(v);
	EXPECT(fd, _IOC(_IOC_READ | _IOC_WRITE, HWSTATS_IOC_MAGIC, 0x00, 200), &v, 0,
	       "GET_VERSION numbered with another size -> ok");
	EXPECT(fd, _IO(HWSTATS_IOC_MAGIC, 0x00), &v, ENOTTY,
	       "GET_VERSION numbered without a direction -> ENOTTY");
	EXPECT(fd, _IO(HWSTATS_IOC_MAGIC, 0x7f), &v, ENOTTY, "unknown command -> ENOTTY");
	EXPECT(fd, _IO('T', 0x01), &v, ENOTTY, "foreign command -> ENOTTY");

	/* Schema */
	memset(&sc, 0, sizeof(sc));
	sc.size = sizeof(sc);
	sc.source_id = 999999;
	EXPECT(fd, HWSTATS_IOC_GET_SCHEMA, &sc, ENOENT, "GET_SCHEMA unknown source -> ENOENT");
	sc.source_id = first_source(fd);
	sc.count = 4;
	sc.counters = 16;
	EXPECT(fd, HWSTATS_IOC_GET_SCHEMA, &sc, EFAULT, "GET_SCHEMA bad counters pointer -> EFAULT");
	sc.counters = (uintptr_t)cd;
	EXPECT(fd, HWSTATS_IOC_GET_SCHEMA, &sc, 0, "GET_SCHEMA ok");

	/* Idle state */
	check(state(fd) == HWSTATS_STATE_IDLE, "state IDLE at first", 0);
	EXPECT(fd, HWSTATS_IOC_STOP, NULL, EINVAL, "STOP while IDLE -> EINVAL");
	EXPECT(fd, HWSTATS_IOC_FLUSH, NULL, EINVAL, "FLUSH while IDLE -> EINVAL");
	EXPECT(fd, HWSTATS_IOC_RESET, NULL, EINVAL, "RESET while IDLE -> EINVAL");
	memset(&ss, 0, sizeof(ss));
	ss.size = sizeof(ss);
	ss.nr_cpus = 64;
	ss.cpus = (uintptr_t)cs;
	EXPECT(fd, HWSTATS_IOC_GET_STATS, &ss, ENODATA, "GET_STATS while IDLE -> ENODATA");

	/* START argument checks */
#define START_EXPECT(field, value, want, what) do {			\
		memset(&st, 0, sizeof(st));				\
		st.size = sizeof(st);					\
		st.field = value;					\
		EXPECT(fd, HWSTATS_IOC_START, &st, want, what);		\
		check(state(fd) == HWSTATS_STATE_IDLE,			\
		      "  ... and the state stays IDLE", 0);		\
	} while (0)
	START_EXPECT(flags, 1u << 7, EINVAL, "START unknown flag -> EINVAL");
	START_EXPECT(reserved, 1, EINVAL, "START non-zero reserved -> EINVAL");
	START_EXPECT(subbuf_size, 1000, EINVAL, "START sub-buffer size not page aligned -> EINVAL");
	START_EXPECT(subbuf_size, 128u << 20, EINVAL, "START sub-buffer size too large -> EINVAL");
	START_EXPECT(n_subbufs, 1, EINVAL, "START one sub-buffer -> EINVAL");
	START_EXPECT(n_subbufs, 100000, EINVAL, "START too many sub-buffers -> EINVAL");
	START_EXPECT(period_ns, 10, EINVAL, "START period too short -> EINVAL");
	START_EXPECT(flush_interval_ns, 10, EINVAL, "START flush interval too short -> EINVAL");
	START_EXPECT(period_ns, HWSTATS_MAX_PERIOD_NS + 1, EINVAL, "START period over an hour -> EINVAL");
	START_EXPECT(flush_interval_ns, HWSTATS_MAX_FLUSH_NS + 1, EINVAL, "START flush interval over an hour -> EINVAL");
	START_EXPECT(nr_sources, 100000, EINVAL, "START too many sources -> EINVAL");
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.subbuf_size = 64u << 20;
	st.n_subbufs = 64;
	EXPECT(fd, HWSTATS_IOC_START, &st, EINVAL, "START buffer over 256 MiB per CPU -> EINVAL");
	{
		/* All CPUs' buffers together: at most a quarter of memory. */
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
		long ncpu = sysconf(_SC_NPROCESSORS_CONF);
		uint64_t all = (uint64_t)256 * 1024 * 1024 * ncpu;

		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		st.subbuf_size = 64u << 20;
		st.n_subbufs = 4;
		if (all > (uint64_t)pages * psz / 4) {
			EXPECT(fd, HWSTATS_IOC_START, &st, ENOMEM,
			       "START 256 MiB per CPU, over a quarter of memory in all -> ENOMEM");
			check(state(fd) == HWSTATS_STATE_IDLE, "  ... and the state stays IDLE", 0);
		} else {
			printf("skip - 256 MiB per CPU fits a quarter of memory here\n");
		}
	}
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.nr_sources = 1;
	st.source_ids = 16;
	EXPECT(fd, HWSTATS_IOC_START, &st, EFAULT, "START bad source_ids pointer -> EFAULT");
	ids[0] = 999999;
	st.source_ids = (uintptr_t)ids;
	EXPECT(fd, HWSTATS_IOC_START, &st, ENOENT, "START unknown source id -> ENOENT");
	check(state(fd) == HWSTATS_STATE_IDLE, "state IDLE after every refused START", 0);

	/* Unprivileged: no start, no stop */
	pid = fork();
	if (pid == 0) {
		struct hwstats_start s2 = { .size = sizeof(s2) };

		if (setuid(65534))
			_exit(3);
		_exit(io(fd, HWSTATS_IOC_START, &s2) == EPERM ? 0 : 1);
	}
	waitpid(pid, &e, 0);
	check(WIFEXITED(e) && WEXITSTATUS(e) == 0, "START without CAP_SYS_ADMIN -> EPERM", 0);

	/* State machine */
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.subbuf_size = 16384;
	st.n_subbufs = 4;
	EXPECT(fd, HWSTATS_IOC_START, &st, 0, "START ok");
	check(state(fd) == HWSTATS_STATE_RUNNING, "state RUNNING", 0);
	EXPECT(fd, HWSTATS_IOC_START, &st, EBUSY, "START while RUNNING -> EBUSY");
	EXPECT(fd2, HWSTATS_IOC_START, &st, EBUSY, "START from another file while RUNNING -> EBUSY");
	EXPECT(fd, HWSTATS_IOC_RESET, NULL, EBUSY, "RESET while RUNNING -> EBUSY");
	EXPECT(fd, HWSTATS_IOC_FLUSH, NULL, 0, "FLUSH while RUNNING ok");
	EXPECT(fd, HWSTATS_IOC_GET_STATS, &ss, 0, "GET_STATS while RUNNING ok");
	ss.cpus = 16;
	EXPECT(fd, HWSTATS_IOC_GET_STATS, &ss, EFAULT, "GET_STATS bad pointer -> EFAULT");
	ss.cpus = (uintptr_t)cs;
	ss.reserved = 1;
	EXPECT(fd, HWSTATS_IOC_GET_STATS, &ss, EINVAL, "GET_STATS non-zero reserved -> EINVAL");
	ss.reserved = 0;
	EXPECT(fd, HWSTATS_IOC_STOP, NULL, 0, "STOP ok");
	check(state(fd) == HWSTATS_STATE_STOPPED, "state STOPPED", 0);
	EXPECT(fd, HWSTATS_IOC_STOP, NULL, EINVAL, "STOP while STOPPED -> EINVAL");
	EXPECT(fd, HWSTATS_IOC_FLUSH, NULL, EINVAL, "FLUSH while STOPPED -> EINVAL");
	EXPECT(fd, HWSTATS_IOC_START, &st, EBUSY, "START while STOPPED -> EBUSY");
	EXPECT(fd2, HWSTATS_IOC_RESET, NULL, EPERM, "RESET by another file -> EPERM");
	EXPECT(fd, HWSTATS_IOC_GET_STATS, &ss, 0, "GET_STATS while STOPPED ok");
	EXPECT(fd, HWSTATS_IOC_RESET, NULL, 0, "RESET by the owner ok");
	check(state(fd) == HWSTATS_STATE_IDLE, "state IDLE after RESET", 0);
	EXPECT(fd2, HWSTATS_IOC_START, &st, 0, "START from the second file ok");
	close(fd2);
	check(state(fd) == HWSTATS_STATE_IDLE, "closing the owner's file ends its session", 0);
	ids[0] = first_source(fd);
	st.nr_sources = 1;
	st.source_ids = (uintptr_t)ids;
	EXPECT(fd, HWSTATS_IOC_START, &st, 0, "START with a source list ok");
	EXPECT(fd, HWSTATS_IOC_STOP, NULL, 0, "STOP ok");
	EXPECT(fd, HWSTATS_IOC_RESET, NULL, 0, "RESET ok");

	/* Snapshot of any size */
	memset(&sn, 0, sizeof(sn));
	sn.size = sizeof(sn);
	EXPECT(fd, HWSTATS_IOC_SNAPSHOT, &sn, ENOSPC, "SNAPSHOT with no buffer -> ENOSPC");
	check(sn.size_needed > 0, "  ... and size_needed says how much", 0);
	snapbuf = malloc(sn.size_needed);
	/* The documented retry: the same struct, outputs left as filled. */
	sn.buf = (uintptr_t)snapbuf;
	sn.buf_size = sn.size_needed;
	EXPECT(fd, HWSTATS_IOC_SNAPSHOT, &sn, 0,
	       "SNAPSHOT retried with the struct ENOSPC filled -> ok");
	check(sn.ts != 0 && sn.nr_sources >= 1, "  ... and it fills ts and nr_sources", 0);
	sn.buf = 16;
	sn.buf_size = sn.size_needed;
	sn.size_needed = 0;
	sn.nr_sources = 0;
	EXPECT(fd, HWSTATS_IOC_SNAPSHOT, &sn, EFAULT, "SNAPSHOT bad buffer -> EFAULT");
	sn.buf = (uintptr_t)snapbuf;
	sn.size_needed = 0;
	sn.nr_sources = 0;
	sn.flags = 2;
	EXPECT(fd, HWSTATS_IOC_SNAPSHOT, &sn, EINVAL, "SNAPSHOT unknown flag -> EINVAL");
	sn.flags = 0;
	EXPECT(fd, HWSTATS_IOC_SNAPSHOT, &sn, 0, "SNAPSHOT ok");
	check(sn.nr_sources >= 1, "SNAPSHOT returns the sources", 0);
	free(snapbuf);

	zero_field_checks(fd);
	ver0_checks(fd);
	close(fd);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
