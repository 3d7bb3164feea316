// SPDX-License-Identifier: MIT
/*
 * hws-mmapcheck - the edges of zero-copy reading (ABI minor 1): mmap() of
 * a CPU's buffer on /dev/hwstats and HWSTATS_IOC_CONSUME, each bad
 * argument refused with its errno, and a mapping that outlives STOP, RESET
 * and the closing of the device file, still holding the buffer's pages.
 *
 * It starts its own session (4 x 4 KiB sub-buffers per CPU) and needs a
 * source emitting on CPU 0 (hwstats_sim). NOBUF is a possible CPU that
 * was offline at START (it has no buffer), or -1 for none. After RESET it
 * prints "held", and keeps the mapping until the file GO exists; then it
 * reads the mapping once more and exits 0. Every failed check prints one
 * line and exits 1.
 *
 * Usage: hws-mmapcheck NOBUF GO
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwstats_abi.h"

static int fails;

#define CHECK(cond, ...)                                         \
	do {                                                     \
		if (!(cond)) {                                   \
			printf("FAIL line %d: ", __LINE__);      \
			printf(__VA_ARGS__);                     \
			printf("\n");                            \
			fails++;                                 \
		}                                                \
	} while (0)

/* mmap() that must fail with @err. */
static void map_refused(int fd, size_t len, int prot, int flags, off_t off,
			int err, const char *what)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		CHECK(0, "%s: mapped, expected %s", what, strerror(err));
		return;
	}
	CHECK(errno == err, "%s: %s, expected %s", what, strerror(errno),
	      strerror(err));
	if (errno == err)
		printf("ok: %s: %s\n", what, strerror(err));
}

static int consume(int fd, __u32 cpu, __u64 sid, __u64 consumed,
		   __u64 *produced, __u32 flags)
{
	struct hwstats_consume a = {
		.size = sizeof(a),
		.flags = flags,
		.cpu = cpu,
		.session_id = sid,
		.consumed = consumed,
	};
	int ret = ioctl(fd, HWSTATS_IOC_CONSUME, &a) ? -errno : 0;

	if (produced)
		*produced = a.produced;
	return ret;
}

static void consume_refused(int fd, __u32 cpu, __u64 sid, __u64 consumed,
			    __u32 flags, int err, const char *what)
{
	int ret = consume(fd, cpu, sid, consumed, NULL, flags);

	CHECK(ret == -err, "%s: %s, expected %s", what,
	      ret ? strerror(-ret) : "accepted", strerror(err));
	if (ret == -err)
		printf("ok: %s: %s\n", what, strerror(err));
}

/*
 * The header in the mapping's first sub-buffer: a header of @cpu, of a
 * sub-buffer number that goes there (a multiple of @n). Returns its seq.
 */
static __u64 check_header(const void *map, unsigned int cpu, unsigned int n,
			  const char *when)
{
	const volatile struct hwstats_subbuf_hdr *h = map;
	__u64 seq = h->seq;

	CHECK(h->magic == HWSTATS_SUBBUF_MAGIC && h->cpu == cpu &&
	      seq % n == 0 && h->hdr.type == HWSTATS_REC_SUBBUF,
	      "%s: first sub-buffer of cpu%u: magic %#x cpu %u seq %llu",
	      when, cpu, h->magic, h->cpu, (unsigned long long)seq);
	printf("ok: %s: a header of cpu%u, seq %llu\n", when, cpu,
	       (unsigned long long)seq);
	return seq;
}

/* Without CAP_SYS_ADMIN (a child that dropped root), both are EPERM. */
static void check_unprivileged(int fd, size_t size, __u64 sid)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		void *p;

		if (setresuid(65534, 65534, 65534))
			_exit(3);
		p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED || errno != EPERM)
			_exit(1);
		if (consume(fd, 0, sid, 0, NULL, 0) != -EPERM)
			_exit(2);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      !WEXITSTATUS(st), "unprivileged mmap/CONSUME not EPERM (%d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	printf("ok: unprivileged mmap and CONSUME: EPERM\n");
}

int main(int argc, char **argv)
{
	struct hwstats_version v = { .size = sizeof(v) };
	struct hwstats_start st = {
		.size = sizeof(st),
		.subbuf_size = 4096,
		.n_subbufs = 4,
	};
	struct hwstats_info info = { .size = sizeof(info) };
	__u64 sid, produced = 0, last;
	size_t size;
	void *map;
	int fd, nobuf, i;

	if (argc != 3) {
		fprintf(stderr, "usage: hws-mmapcheck NOBUF GO\n");
		return 2;
	}
	nobuf = atoi(argv[1]);
	fd = open("/dev/" HWSTATS_DEVICE_NAME, O_RDWR);
	if (fd < 0) {
		perror("/dev/" HWSTATS_DEVICE_NAME);
		return 1;
	}
	if (ioctl(fd, HWSTATS_IOC_GET_VERSION, &v) || v.abi_minor < 1) {
		printf("FAIL: ABI minor %u, expected >= 1\n", v.abi_minor);
		return 1;
	}
	map_refused(fd, 4096 * 4, PROT_READ, MAP_SHARED, 0, ENODATA,
		    "mmap with no session");
	consume_refused(fd, 0, 1, 0, 0, ENODATA, "CONSUME with no session");
	if (ioctl(fd, HWSTATS_IOC_START, &st) ||
	    ioctl(fd, HWSTATS_IOC_GET_INFO, &info)) {
		printf("FAIL: START/GET_INFO: %s\n", strerror(errno));
		return 1;
	}
	sid = info.session_id;
	size = (size_t)info.subbuf_size * info.n_subbufs;
	CHECK(size == 4096 * 4, "buffer size %zu", size);

	map_refused(fd, size - 4096, PROT_READ, MAP_SHARED, 0, EINVAL,
		    "mmap shorter than the buffer");
	map_refused(fd, size * 2, PROT_READ, MAP_SHARED, 0, EINVAL,
		    "mmap longer than the buffer");
	map_refused(fd, size, PROT_READ, MAP_SHARED, 4096, EINVAL,
		    "mmap offset not a multiple of the buffer size");
	map_refused(fd, size, PROT_READ, MAP_SHARED,
		    (off_t)info.nr_cpu_ids * size, ENXIO,
		    "mmap of a CPU number not possible");
	if (nobuf >= 0)
		map_refused(fd, size, PROT_READ, MAP_SHARED,
			    (off_t)nobuf * size, ENOENT,
			    "mmap of a CPU offline since START");
	map_refused(fd, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0, EACCES,
		    "writable mmap");
	map_refused(fd, size, PROT_READ, MAP_PRIVATE, 0, EINVAL,
		    "private mmap");
	check_unprivileged(fd, size, sid);

	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		printf("FAIL: mmap of cpu0: %s\n", strerror(errno));
		return 1;
	}
	CHECK(mprotect(map, size, PROT_READ | PROT_WRITE) && errno == EACCES,
	      "mprotect to writable: %s", strerror(errno));
	printf("ok: mprotect to writable: EACCES\n");
	check_header(map, 0, info.n_subbufs, "running");

	consume_refused(fd, 0, sid, 0, 1, EINVAL, "CONSUME with flags");
	consume_refused(fd, 0, sid + 1, 0, 0, ESTALE,
			"CONSUME with another session's id");
	consume_refused(fd, info.nr_cpu_ids, sid, 0, 0, ENXIO,
			"CONSUME of a CPU number not possible");
	if (nobuf >= 0)
		consume_refused(fd, nobuf, sid, 0, 0, ENOENT,
				"CONSUME of a CPU offline since START");
	/*
	 * Until cpu0's buffer is full (the sim emits there): with nothing
	 * consumed, no-overwrite mode stops it at n_subbufs produced.
	 */
	for (i = 0; i < 200 && produced < info.n_subbufs; i++) {
		if (i)
			usleep(50000);
		CHECK(!consume(fd, 0, sid, 0, &produced, 0),
		      "CONSUME of nothing: %s", strerror(errno));
		if (ioctl(fd, HWSTATS_IOC_FLUSH, 0))
			printf("FLUSH: %s\n", strerror(errno));
	}
	CHECK(produced == info.n_subbufs, "cpu0 completed %llu sub-buffers",
	      (unsigned long long)produced);
	consume_refused(fd, 0, sid, produced + 1, 0, EINVAL,
			"CONSUME past what was produced");
	CHECK(!consume(fd, 0, sid, 2, NULL, 0), "CONSUME of 2: %s",
	      strerror(errno));
	consume_refused(fd, 0, sid, 1, 0, EINVAL, "CONSUME backwards");

	if (ioctl(fd, HWSTATS_IOC_STOP, 0)) {
		printf("FAIL: STOP: %s\n", strerror(errno));
		return 1;
	}
	last = check_header(map, 0, info.n_subbufs, "stopped");
	if (ioctl(fd, HWSTATS_IOC_RESET, 0)) {
		printf("FAIL: RESET: %s\n", strerror(errno));
		return 1;
	}
	consume_refused(fd, 0, sid, 2, 0, ENODATA,
			"CONSUME after the session ended");
	CHECK(check_header(map, 0, info.n_subbufs, "after RESET") == last,
	      "the freed buffer changed under the mapping");
	/* The mapping holds the pages, and the file the module. */
	close(fd);
	printf("held\n");
	fflush(stdout);
	while (access(argv[2], F_OK))
		usleep(20000);
	CHECK(check_header(map, 0, info.n_subbufs, "device closed") == last,
	      "the freed buffer changed under the mapping");
	munmap(map, size);
	printf("%s\n", fails ? "FAILED" : "all checks passed");
	return fails ? 1 : 0;
}
