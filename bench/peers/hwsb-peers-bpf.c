// SPDX-License-Identifier: MIT
/*
 * hwsb-peers-bpf - the BPF ring-buffer row of the peers benchmark, guest
 * side (bench/README.md, "Peers").
 *
 *   hwsb-peers-bpf [-s RING_BYTES] [-p] [-o FILE] -- CMD [ARG]...
 *
 * Loads bench/peers/bpf/hwsb_peers.bpf.c (a raw_tp program on
 * hwsb_peers.ko's hwsb_peers_rec tracepoint that builds the same 80-byte
 * record hwstats_emit() writes, in a BPF ring buffer of RING_BYTES,
 * default 4 MiB), attaches it, runs CMD (which makes the module fire the
 * tracepoint), then consumes what is left. With -p a thread drains the
 * ring with ring_buffer__poll() while CMD runs (a capture); without,
 * nothing reads until CMD is done (the cost with nobody draining; the ring
 * must then hold every record). With -o every record consumed is written
 * to FILE as it is (80 bytes, no file format: BPF has none). Prints one
 * line of key=value words: records delivered, stored and dropped by the
 * program (dropped also per CPU), seq gaps and malformed records seen,
 * the time CMD ran (wall) and until every record was consumed (total).
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
#include "hwsb_peers.skel.h"

#define MAX_CPUS 64
#define REC_LEN (sizeof(struct hwstats_sample) + 6 * 8)

struct consumer {
	FILE *out;
	uint64_t records;
	uint64_t bad;		/* wrong length, or a CPU's seq going back */
	uint64_t next_seq[MAX_CPUS];
	uint64_t gaps;		/* records missing in a CPU's seq */
	int write_error;
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
	if (len != REC_LEN || r->hdr.len != REC_LEN || cpu >= MAX_CPUS) {
		c->bad++;
		return 0;
	}
	if (r->seq < c->next_seq[cpu])
		c->bad++;
	else
		c->gaps += r->seq - c->next_seq[cpu];
	c->next_seq[cpu] = r->seq + 1;
	if (c->out && fwrite(data, len, 1, c->out) != 1)
		c->write_error = 1;
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
	struct hwsb_peers *skel;
	struct ring_buffer *rb;
	pthread_t thr;
	uint64_t t, t0, stored = 0, dropped = 0, *vals;
	int c, poll_while = 0, status, ncpu, i, key;
	const char *path = NULL;
	pid_t pid;

	while ((c = getopt(argc, argv, "+s:po:")) != -1) {
		if (c == 's')
			ring = strtoul(optarg, NULL, 0);
		else if (c == 'p')
			poll_while = 1;
		else if (c == 'o')
			path = optarg;
		else
			return 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: hwsb-peers-bpf [-s RING_BYTES] [-p] [-o FILE] -- CMD...\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (path && !(cons.out = fopen(path, "w"))) {
		fprintf(stderr, "hwsb-peers-bpf: %s: %s\n", path, strerror(errno));
		return 2;
	}
	libbpf_set_print(libbpf_quiet);
	skel = hwsb_peers__open();
	if (!skel) {
		perror("hwsb-peers-bpf: open");
		return 2;
	}
	if (bpf_map__set_max_entries(skel->maps.hwsp_rb, ring)) {
		fprintf(stderr, "hwsb-peers-bpf: ring size %lu rejected\n", ring);
		return 2;
	}
	if (hwsb_peers__load(skel)) {
		fprintf(stderr, "hwsb-peers-bpf: load: %s\n", strerror(errno));
		return 2;
	}
	if (hwsb_peers__attach(skel)) {
		fprintf(stderr, "hwsb-peers-bpf: attach to tracepoint hwsb_peers_rec: %s\n",
			strerror(errno));
		return 2;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.hwsp_rb), on_record,
			      &cons, NULL);
	if (!rb) {
		perror("hwsb-peers-bpf: ring_buffer__new");
		return 2;
	}
	if (poll_while && pthread_create(&thr, NULL, poller, rb)) {
		perror("hwsb-peers-bpf: pthread_create");
		return 2;
	}
	t0 = now_ns();
	pid = fork();
	if (!pid) {
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		perror("hwsb-peers-bpf: command");
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
	if (cons.out && fclose(cons.out))
		cons.write_error = 1;
	printf("bpf ring=%lu poll=%d", ring, poll_while);
	ncpu = libbpf_num_possible_cpus();
	vals = ncpu > 0 ? calloc(ncpu, sizeof(*vals)) : NULL;
	for (key = 0; key < 2 && vals; key++) {
		if (bpf_map__lookup_elem(skel->maps.hwsp_counts, &key,
					 sizeof(key), vals,
					 sizeof(*vals) * ncpu, 0))
			break;
		for (i = 0; i < ncpu; i++) {
			*(key ? &dropped : &stored) += vals[i];
			if (key && vals[i])
				printf(" dropped_cpu%d=%llu", i,
				       (unsigned long long)vals[i]);
		}
	}
	printf(" delivered=%llu stored=%llu dropped=%llu gaps=%llu bad=%llu wall=%llu total=%llu status=%d\n",
	       (unsigned long long)cons.records,
	       (unsigned long long)stored, (unsigned long long)dropped,
	       (unsigned long long)cons.gaps, (unsigned long long)cons.bad,
	       (unsigned long long)t, (unsigned long long)t0,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	free(vals);
	ring_buffer__free(rb);
	hwsb_peers__destroy(skel);
	if (cons.write_error)
		fprintf(stderr, "hwsb-peers-bpf: %s: write failed\n", path);
	return cons.bad || cons.write_error ? 3 : 0;
}
