// SPDX-License-Identifier: MIT
/*
 * hws-permcheck - what a user without CAP_SYS_ADMIN may do with hwstats.
 *
 * Usage: hws-permcheck --no-access | --snapshots [--running]
 *
 * Run as an unprivileged user in the VM, hwstats.ko loaded.
 *  --no-access   the user may not open /dev/hwstats at all (EACCES);
 *  --snapshots   the user may open it (a group the device is shared with):
 *                GET_VERSION, GET_INFO, LIST_SOURCES, GET_SCHEMA, GET_STATS
 *                and SNAPSHOT answer; START, STOP, FLUSH and RESET are
 *                EPERM and change nothing (with --running, a session some
 *                root process runs is still RUNNING, with the same id,
 *                after every one of them).
 * In both cases no channel file can be opened for reading (EACCES: they
 * are root's only). Prints one line per check; exit 0 only if all hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hwstats_abi.h"

#define DEV "/dev/" HWSTATS_DEVICE_NAME
#define CHANDIR "/sys/kernel/debug/" HWSTATS_DEBUGFS_DIR

static int failed;

static void check(int ok, const char *what, int err)
{
	if (ok) {
		printf("ok - %s\n", what);
	} else {
		failed = 1;
		printf("not ok - %s (errno %d: %s)\n", what, err, strerror(err));
	}
}

static int io(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? errno : 0;
}

static int get_info(int fd, struct hwstats_info *in)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	return io(fd, HWSTATS_IOC_GET_INFO, in);
}

/* Every channel file there is: none may be opened by this user. */
static void check_channels(void)
{
	char path[300];
	int fd, e, n = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < 64; cpu++) {
		snprintf(path, sizeof(path), "%s/%s%u", CHANDIR,
			 HWSTATS_CHANNEL_BASE, cpu);
		fd = open(path, O_RDONLY | O_NONBLOCK);
		e = errno;
		if (fd >= 0) {
			close(fd);
			check(0, path, 0);
			n++;
		} else if (e == EACCES) {
			n++;
		} else if (e != ENOENT) {
			check(0, "opening a channel: EACCES or ENOENT", e);
		}
	}
	printf("# %d channel file(s) refused\n", n);
	/* The directory's mode may already stop us: also try cpu0 directly. */
	fd = open(CHANDIR "/cpu0", O_RDONLY | O_NONBLOCK);
	e = errno;
	if (fd >= 0)
		close(fd);
	check(fd < 0 && (e == EACCES || e == ENOENT),
	      "a channel file cannot be opened without root", e);
}

int main(int argc, char **argv)
{
	struct hwstats_info before, after;
	struct hwstats_start st = { .size = sizeof(st) };
	struct hwstats_version v = { .size = sizeof(v) };
	struct hwstats_source_info si[16];
	struct hwstats_list_sources ls = {
		.size = sizeof(ls), .count = 16, .sources = (uintptr_t)si,
	};
	struct hwstats_counter_desc cd[8];
	struct hwstats_schema sc = {
		.size = sizeof(sc), .count = 8, .counters = (uintptr_t)cd,
	};
	struct hwstats_cpu_stats cs[64];
	struct hwstats_stats ss = {
		.size = sizeof(ss), .nr_cpus = 64, .cpus = (uintptr_t)cs,
	};
	struct hwstats_snapshot sn = { .size = sizeof(sn) };
	int no_access = 0, snapshots = 0, running = 0, fd, e, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-access"))
			no_access = 1;
		else if (!strcmp(argv[i], "--snapshots"))
			snapshots = 1;
		else if (!strcmp(argv[i], "--running"))
			running = 1;
		else
			break;
	}
	if (i != argc || no_access == snapshots) {
		fprintf(stderr, "usage: hws-permcheck --no-access | --snapshots [--running]\n");
		return 2;
	}
	printf("# uid %d euid %d gid %d\n", (int)getuid(), (int)geteuid(),
	       (int)getgid());
	check(geteuid() != 0, "running without root", 0);

	fd = open(DEV, O_RDWR);
	e = errno;
	if (no_access) {
		check(fd < 0 && e == EACCES, "open " DEV " -> EACCES", e);
		if (fd >= 0)
			close(fd);
		check_channels();
		printf("hws-permcheck: %s\n", failed ? "FAIL" : "PASS");
		return failed;
	}
	check(fd >= 0, "open " DEV " (group access)", e);
	if (fd < 0)
		return 1;

	e = io(fd, HWSTATS_IOC_GET_VERSION, &v);
	check(!e, "GET_VERSION", e);
	e = get_info(fd, &before);
	check(!e, "GET_INFO", e);
	check(!running || before.state == HWSTATS_STATE_RUNNING,
	      running ? "a session runs" : "no session needed", 0);
	e = io(fd, HWSTATS_IOC_LIST_SOURCES, &ls);
	check(!e && ls.count > 0, "LIST_SOURCES", e);
	sc.source_id = si[0].id;
	e = io(fd, HWSTATS_IOC_GET_SCHEMA, &sc);
	check(!e, "GET_SCHEMA", e);
	e = io(fd, HWSTATS_IOC_SNAPSHOT, &sn);
	check(e == ENOSPC && sn.size_needed, "SNAPSHOT without a buffer -> ENOSPC and the size", e);
	sn.buf_size = sn.size_needed;
	sn.buf = (uintptr_t)malloc(sn.size_needed);
	sn.size_needed = 0;
	sn.nr_sources = 0;
	e = io(fd, HWSTATS_IOC_SNAPSHOT, &sn);
	check(!e && sn.nr_sources > 0, "SNAPSHOT", e);
	e = io(fd, HWSTATS_IOC_GET_STATS, &ss);
	check(running ? !e : e == ENODATA, running ? "GET_STATS of the session" :
	      "GET_STATS without a session -> ENODATA", e);

	e = io(fd, HWSTATS_IOC_START, &st);
	check(e == EPERM, "START -> EPERM", e);
	e = io(fd, HWSTATS_IOC_STOP, NULL);
	check(e == EPERM, "STOP -> EPERM", e);
	e = io(fd, HWSTATS_IOC_FLUSH, NULL);
	check(e == EPERM, "FLUSH -> EPERM", e);
	e = io(fd, HWSTATS_IOC_RESET, NULL);
	check(e == EPERM, "RESET -> EPERM", e);
	e = get_info(fd, &after);
	check(!e && after.state == before.state &&
	      after.session_id == before.session_id,
	      "the session state did not change", e);
	close(fd);
	check_channels();
	printf("hws-permcheck: %s\n", failed ? "FAIL" : "PASS");
	return failed;
}
