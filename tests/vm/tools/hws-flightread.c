// SPDX-License-Identifier: MIT
/*
 * hws-flightread - read a flight recorder's channel while it runs and
 * check that every byte read() returns is whole.
 *
 * Usage: hws-flightread CPU SECONDS
 *
 * Starts an overwrite session (4 x 4 KiB per CPU) on /dev/hwstats, then,
 * from a thread pinned to another CPU, reads <debugfs>/hwstats/cpuCPU
 * for SECONDS while hwstats_sim (burst=1, loaded by the caller) laps that
 * buffer many times a second. Every sub-buffer returned must be one
 * writer's lap: its header's magic and CPU right, its records walking
 * exactly to its used size, its headers' seq rising, each source's sample
 * seq consecutive inside it, time never going backwards, and each of the
 * simulator's samples consistent (value[1] / 1000 == value[0]). A
 * sub-buffer the writer came round to during the copy must not be returned.
 * Prints the counts; exits 1 on the first damaged sub-buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "hwstats_abi.h"

#define MAX_SRC 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bad(const char *what, uint64_t sb_seq, size_t off)
{
	printf("FAIL: sub-buffer seq %" PRIu64 " offset %zu: %s\n", sb_seq, off, what);
	return 1;
}

/* One sub-buffer at p, len bytes (its used size, header included). */
static int check_subbuf(const unsigned char *p, size_t len, unsigned int cpu,
			uint64_t *last_sb, uint64_t *samples)
{
	const struct hwstats_subbuf_hdr *h = (const void *)p;
	static uint64_t next_seq[MAX_SRC];
	static unsigned char seen[MAX_SRC];
	uint64_t last_ts = h->hdr.ts;
	size_t off = sizeof(*h);

	memset(seen, 0, sizeof(seen));
	if (h->hdr.type != HWSTATS_REC_SUBBUF || h->magic != HWSTATS_SUBBUF_MAGIC ||
	    h->cpu != cpu || h->hdr.len != sizeof(*h))
		return bad("not a sub-buffer header of this CPU", h->seq, 0);
	if (h->used != len)
		return bad("used differs from what read() returned", h->seq, 0);
	if (*last_sb != UINT64_MAX && h->seq <= *last_sb)
		return bad("sub-buffer seq does not rise", h->seq, 0);
	*last_sb = h->seq;
	while (off < len) {
		const struct hwstats_rec *r = (const void *)(p + off);
		const struct hwstats_sample *s = (const void *)r;

		if (off + sizeof(*r) > len || r->len < sizeof(*r) || r->len % 8 ||
		    off + r->len > len)
			return bad("a record does not fit", h->seq, off);
		if (r->type == HWSTATS_REC_PAD) {
			off += r->len;
			continue;
		}
		if (r->type != HWSTATS_REC_SAMPLE || r->source >= MAX_SRC ||
		    r->len < sizeof(*s) + 16)
			return bad("unexpected record", h->seq, off);
		if (r->ts < last_ts)
			return bad("time goes backwards", h->seq, off);
		last_ts = r->ts;
		if (seen[r->source] && s->seq != next_seq[r->source])
			return bad("a sample seq jumps inside one sub-buffer", h->seq, off);
		seen[r->source] = 1;
		next_seq[r->source] = s->seq + 1;
		if (s->first == 0 && s->value[1] / 1000 != s->value[0])
			return bad("a sample's values are torn", h->seq, off);
		(*samples)++;
		off += r->len;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct hwstats_start st = {
		.size = sizeof(st),
		.flags = HWSTATS_START_OVERWRITE,
		.subbuf_size = 4096,
		.n_subbufs = 4,
	};
	static unsigned char buf[1 << 16];
	uint64_t last_sb = UINT64_MAX, samples = 0, subbufs = 0, reads = 0;
	unsigned int cpu;
	char path[64];
	cpu_set_t set;
	double end;
	int fd, ch, failed = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: hws-flightread CPU SECONDS\n");
		return 2;
	}
	cpu = atoi(argv[1]);
	fd = open("/dev/" HWSTATS_DEVICE_NAME, O_RDWR);
	if (fd < 0 || ioctl(fd, HWSTATS_IOC_START, &st)) {
		fprintf(stderr, "hws-flightread: START: %s\n", strerror(errno));
		return 1;
	}
	/* Read from another CPU than the writer's. */
	CPU_ZERO(&set);
	CPU_SET(cpu ? 0 : 1, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "hws-flightread: sched_setaffinity: %s\n", strerror(errno));
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s%u",
		 HWSTATS_DEBUGFS_DIR, HWSTATS_CHANNEL_BASE, cpu);
	ch = open(path, O_RDONLY);
	if (ch < 0) {
		fprintf(stderr, "hws-flightread: %s: %s\n", path, strerror(errno));
		return 1;
	}
	end = now() + atof(argv[2]);
	while (!failed && now() < end) {
		ssize_t n = read(ch, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0) {
			fprintf(stderr, "hws-flightread: %s: %s\n", path, strerror(errno));
			return 1;
		}
		reads++;
		while (!failed && off < (size_t)n) {
			const struct hwstats_subbuf_hdr *h = (const void *)(buf + off);

			if ((size_t)n - off < sizeof(*h) || h->used > (size_t)n - off ||
			    h->used < sizeof(*h)) {
				failed = bad("read() ends inside a sub-buffer", h->seq, off);
				break;
			}
			failed = check_subbuf(buf + off, h->used, cpu, &last_sb, &samples);
			off += h->used;
			subbufs++;
		}
	}
	ioctl(fd, HWSTATS_IOC_STOP, 0);
	ioctl(fd, HWSTATS_IOC_RESET, 0);
	printf("%" PRIu64 " reads, %" PRIu64 " sub-buffers, %" PRIu64 " samples checked: %s\n",
	       reads, subbufs, samples, failed ? "FAIL" : "all whole");
	return failed || !subbufs;
}
