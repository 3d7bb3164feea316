// SPDX-License-Identifier: MIT
/*
 * hws-uffd-snap - call HWSTATS_IOC_SNAPSHOT (or LIST_SOURCES, GET_SCHEMA,
 * GET_STATS) with its output buffer in a userfaultfd range whose faults
 * are never resolved, so the kernel's copy to user space blocks for ever.
 * Prints "blocking" just before the call; it returns only if the module
 * fails the copy some other way. A scenario then checks that session
 * control and module unload still complete: hwstats_lock must not be held
 * across the copy. Kill it with SIGKILL.
 *
 * Usage: hws-uffd-snap snapshot|sources|schema|stats
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hwstats_abi.h"

static void die(const char *what)
{
	fprintf(stderr, "hws-uffd-snap: %s: %s\n", what, strerror(errno));
	_exit(1);
}

int main(int argc, char **argv)
{
	size_t len = 1 << 20;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct hwstats_snapshot sn = { .size = sizeof(sn) };
	struct hwstats_list_sources ls = { .size = sizeof(ls) };
	struct hwstats_schema sc = { .size = sizeof(sc) };
	struct hwstats_stats ss = { .size = sizeof(ss) };
	struct hwstats_source_info si;
	unsigned long cmd;
	void *arg, *area;
	int fd, uffd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: hws-uffd-snap snapshot|sources|schema|stats\n");
		return 2;
	}
	fd = open("/dev/" HWSTATS_DEVICE_NAME, O_RDWR);
	if (fd < 0)
		die("/dev/hwstats");
	/* Kernel-mode faults too (no UFFD_USER_MODE_ONLY): needs root. */
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	area = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		die("mmap");
	reg.range.start = (uintptr_t)area;
	reg.range.len = len;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");

	ls.count = 1;
	ls.sources = (uintptr_t)&si;
	if (ioctl(fd, HWSTATS_IOC_LIST_SOURCES, &ls) || !ls.count) {
		fprintf(stderr, "hws-uffd-snap: no source registered\n");
		return 1;
	}
	if (!strcmp(argv[1], "snapshot")) {
		sn.buf = (uintptr_t)area;
		sn.buf_size = len;
		cmd = HWSTATS_IOC_SNAPSHOT;
		arg = &sn;
	} else if (!strcmp(argv[1], "sources")) {
		ls.count = 4;
		ls.sources = (uintptr_t)area;
		cmd = HWSTATS_IOC_LIST_SOURCES;
		arg = &ls;
	} else if (!strcmp(argv[1], "schema")) {
		sc.source_id = si.id;
		sc.count = 1;
		sc.counters = (uintptr_t)area;
		cmd = HWSTATS_IOC_GET_SCHEMA;
		arg = &sc;
	} else if (!strcmp(argv[1], "stats")) {
		ss.nr_cpus = 1;
		ss.cpus = (uintptr_t)area;
		cmd = HWSTATS_IOC_GET_STATS;
		arg = &ss;
	} else {
		fprintf(stderr, "hws-uffd-snap: %s: unknown call\n", argv[1]);
		return 2;
	}
	printf("blocking\n");
	fflush(stdout);
	ret = ioctl(fd, cmd, arg);
	printf("returned %d (%s)\n", ret, ret ? strerror(errno) : "ok");
	return 0;
}
