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
 * CMD ran (wall) and the time until every record was consumed (total);
 * gaps counts the records missing in a CPU's seq after its first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "hwsb_bpf_run.h"
#include "hwsb_ringbuf.skel.h"

int main(int argc, char **argv)
{
	unsigned long ring = 4ul << 20;
	struct hwsb_bpf_consumer cons = { .rec_len = 64, .from_first = true };
	struct hwsb_ringbuf *skel;
	struct hwsb_bpf b;
	uint64_t wall, total;
	int c, status;
	bool poll_while = false;

	while ((c = getopt(argc, argv, "+s:p")) != -1) {
		if (c == 's')
			ring = strtoul(optarg, NULL, 0);
		else if (c == 'p')
			poll_while = true;
		else
			return 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: hwsb-bpf [-s RING_BYTES] [-p] -- CMD...\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	skel = hwsb_ringbuf__open();
	if (!skel) {
		perror("hwsb-bpf: open");
		return 2;
	}
	if (hwsb_bpf_setup(&b, "hwsb-bpf", skel->obj, "hwsb_rb", ring,
			   "hwsb_counts", "hwstats_bench_rec", &cons))
		return 2;
	if (hwsb_bpf_run("hwsb-bpf", b.rb, poll_while, argv + optind, &wall,
			 &total, &status))
		return 2;
	/* wall: while CMD ran; total: until everything was consumed */
	hwsb_bpf_report(&b, ring, poll_while, false, &cons, wall, total, status);
	hwsb_bpf_close(&b);
	hwsb_ringbuf__destroy(skel);
	return cons.bad ? 3 : 0;
}
