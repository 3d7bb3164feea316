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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "hwstats_abi.h"
#include "hwsb_bpf_run.h"
#include "hwsb_peers.skel.h"

#define REC_LEN (sizeof(struct hwstats_sample) + 6 * 8)

int main(int argc, char **argv)
{
	unsigned long ring = 4ul << 20;
	struct hwsb_bpf_consumer cons = { .rec_len = REC_LEN };
	struct hwsb_peers *skel;
	struct hwsb_bpf b;
	uint64_t wall, total;
	int c, status;
	bool poll_while = false;
	const char *path = NULL;

	while ((c = getopt(argc, argv, "+s:po:")) != -1) {
		if (c == 's')
			ring = strtoul(optarg, NULL, 0);
		else if (c == 'p')
			poll_while = true;
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
	skel = hwsb_peers__open();
	if (!skel) {
		perror("hwsb-peers-bpf: open");
		return 2;
	}
	if (hwsb_bpf_setup(&b, "hwsb-peers-bpf", skel->obj, "hwsp_rb", ring,
			   "hwsp_counts", "hwsb_peers_rec", &cons))
		return 2;
	if (hwsb_bpf_run("hwsb-peers-bpf", b.rb, poll_while, argv + optind,
			 &wall, &total, &status))
		return 2;
	if (cons.out && fclose(cons.out))
		cons.write_error = true;
	hwsb_bpf_report(&b, ring, poll_while, true, &cons, wall, total, status);
	hwsb_bpf_close(&b);
	hwsb_peers__destroy(skel);
	if (cons.write_error)
		fprintf(stderr, "hwsb-peers-bpf: %s: write failed\n", path);
	return cons.bad || cons.write_error ? 3 : 0;
}
