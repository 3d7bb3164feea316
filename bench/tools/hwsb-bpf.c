// SPDX-License-Identifier: MIT
/*
 * hwsb-bpf - the BPF ring-buffer peer of the hwstats benchmarks, guest side.
 *
 *   hwsb-bpf [-s RING_BYTES] [-p] -- CMD [ARG]...
 *
 * Loads bench/bpf/hwsb_ringbuf.bpf.c (a raw_tp program on the bench
 * module's hwstats_bench_rec tracepoint that writes the same 64-byte record
 * hwstats_emit() writes into a BPF ring buffer of RING_BYTES, default
 * 4 MiB), attaches it, runs CMD (which makes the module fire the
 * tracepoint), then consumes what is left with libbpf's ring buffer API.
 * With -p a thread drains the ring with ring_buffer__poll() while CMD runs
 * (throughput); without, nothing reads until CMD is done (producer cost;
 * the ring must then hold every record). Prints one line of key=value
 * words: records delivered, stored and dropped by the program, the time
 * CMD ran (wall) and the time until every record was consumed (total).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hwstats_abi.h"
#include "hwsb_ringbuf.skel.h"

#define MAX_CPUS 64

struct consumer {
	uint64_t records;
	uint64_t bad;		/* wrong length, or a CPU's seq going back */
	uint64_t last_seq[MAX_CPUS];
	uint64_t gaps;		/* a CPU's seq skipping (drops show as gaps) */
};

static atomic_int stop;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct consumer *c = ctx;
	const struct hwstats_sample *r = data;
	uint32_t cpu = r->reserved;

	c->records++;
	if (len != 64 || r->hdr.len != 64 || cpu >= MAX_CPUS) {
		c->bad++;
		return 0;
	}
	if (c->last_seq[cpu] && r->seq + 1 <= c->last_seq[cpu])
		c->bad++;
	else if (c->last_seq[cpu] && r->seq + 1 != c->last_seq[cpu] + 1)
		c->gaps++;
	c->last_seq[cpu] = r->seq + 1;
	return 0;
}

static void *poller(void *arg)
{
	struct ring_buffer *rb = arg;

	while (!atomic_load(&stop))
		if (ring_buffer__poll(rb, 100) < 0 && errno != EINTR)
			break;
	return NULL;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	unsigned long ring = 4ul << 20;
	struct consumer cons = { 0 };
	struct hwsb_ringbuf *skel;
	struct ring_buffer *rb;
	pthread_t thr;
	uint64_t t, t0, stored = 0, dropped = 0, *vals;
	int c, poll_while = 0, status, ncpu, i, key;
	pid_t pid;

	while ((c = getopt(argc, argv, "+s:p")) != -1) {
		if (c == 's')
			ring = strtoul(optarg, NULL, 0);
		else if (c == 'p')
			poll_while = 1;
		else
			return 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: hwsb-bpf [-s RING_BYTES] [-p] -- CMD...\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_quiet);
	skel = hwsb_ringbuf__open();
	if (!skel) {
		perror("hwsb-bpf: open");
		return 2;
	}
	if (bpf_map__set_max_entries(skel->maps.hwsb_rb, ring)) {
		fprintf(stderr, "hwsb-bpf: ring size %lu rejected\n", ring);
		return 2;
	}
	if (hwsb_ringbuf__load(skel)) {
		fprintf(stderr, "hwsb-bpf: load: %s\n", strerror(errno));
		return 2;
	}
	if (hwsb_ringbuf__attach(skel)) {
		fprintf(stderr, "hwsb-bpf: attach to tracepoint hwstats_bench_rec: %s\n",
			strerror(errno));
		return 2;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.hwsb_rb), on_record,
			      &cons, NULL);
	if (!rb) {
		perror("hwsb-bpf: ring_buffer__new");
		return 2;
	}
	if (poll_while && pthread_create(&thr, NULL, poller, rb)) {
		perror("hwsb-bpf: pthread_create");
		return 2;
	}
	t0 = now_ns();
	pid = fork();
	if (!pid) {
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		perror("hwsb-bpf: command");
		return 2;
	}
	t = now_ns() - t0;
	if (poll_while) {
		atomic_store(&stop, 1);
		pthread_join(thr, NULL);
	}
	while (ring_buffer__consume(rb) > 0)
		;
	t0 = now_ns() - t0;
	ncpu = libbpf_num_possible_cpus();
	vals = calloc(ncpu, sizeof(*vals));
	for (key = 0; key < 2 && vals; key++) {
		if (bpf_map__lookup_elem(skel->maps.hwsb_counts, &key,
					 sizeof(key), vals,
					 sizeof(*vals) * ncpu, 0))
			break;
		for (i = 0; i < ncpu; i++)
			*(key ? &dropped : &stored) += vals[i];
	}
	/* wall: while CMD ran; total: until everything was consumed */
	printf("bpf ring=%lu poll=%d delivered=%llu stored=%llu dropped=%llu gaps=%llu bad=%llu wall=%llu total=%llu status=%d\n",
	       ring, poll_while, (unsigned long long)cons.records,
	       (unsigned long long)stored, (unsigned long long)dropped,
	       (unsigned long long)cons.gaps, (unsigned long long)cons.bad,
	       (unsigned long long)t, (unsigned long long)t0,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	free(vals);
	ring_buffer__free(rb);
	hwsb_ringbuf__destroy(skel);
	return cons.bad ? 3 : 0;
}
