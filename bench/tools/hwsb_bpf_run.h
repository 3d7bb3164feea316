/* SPDX-License-Identifier: MIT */
/*
 * What the two BPF ring-buffer loaders of the benchmarks share
 * (bench/tools/hwsb-bpf.c, bench/peers/hwsb-peers-bpf.c): checking the
 * records consumed, running the command that makes the module fire its
 * tracepoint while a thread drains the ring or not, and adding up the
 * program's per-CPU counters.
 */
#ifndef HWSB_BPF_RUN_H
#define HWSB_BPF_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#define HWSB_BPF_MAX_CPUS 64

/*
 * Every record is a struct hwstats_sample of rec_len bytes whose reserved
 * field names its CPU. gaps: records missing in a CPU's seq, counted from
 * seq 0, or with from_first from the first record seen on that CPU.
 */
struct hwsb_bpf_consumer {
	size_t rec_len;
	bool from_first;
	FILE *out;		/* every record consumed, as it is; or NULL */
	uint64_t records;
	uint64_t bad;		/* wrong length or CPU, or a CPU's seq going back */
	uint64_t gaps;
	uint64_t next_seq[HWSB_BPF_MAX_CPUS];
	bool seen[HWSB_BPF_MAX_CPUS];
	bool write_error;
};

/* A loaded and attached program, its ring read into a consumer. */
struct hwsb_bpf {
	struct bpf_object *obj;		/* the skeleton's; it owns it */
	struct bpf_link *link;
	struct ring_buffer *rb;
	const struct bpf_map *counts;
};

/*
 * Size @obj's ring buffer map @ring_map to @ring bytes, load @obj, attach
 * its one program (to @what, for the message) and open the ring into
 * @cons; @counts_map: its per-CPU counters. 0, or -1 with a message
 * naming @prog on stderr.
 */
int hwsb_bpf_setup(struct hwsb_bpf *b, const char *prog,
		   struct bpf_object *obj, const char *ring_map,
		   unsigned long ring, const char *counts_map,
		   const char *what, struct hwsb_bpf_consumer *cons);

/* Undo hwsb_bpf_setup(), before the skeleton is destroyed. */
void hwsb_bpf_close(struct hwsb_bpf *b);

/*
 * Run @argv, with a thread draining @rb meanwhile if @poll_while, then
 * consume what is left. @wall: ns while the command ran; @total: ns until
 * everything was consumed; @status: its exit status (128 if killed).
 * 0, or -1 with a message naming @prog on stderr.
 */
int hwsb_bpf_run(const char *prog, struct ring_buffer *rb, bool poll_while,
		 char **argv, uint64_t *wall, uint64_t *total, int *status);

/*
 * Print the one line of results: "bpf ring=... poll=...", with @per_cpu
 * " dropped_cpuN=COUNT" for each CPU whose program dropped, then the
 * records delivered, stored and dropped (the counters' slots 0 and 1),
 * gaps, bad, @wall, @total and @status.
 */
void hwsb_bpf_report(const struct hwsb_bpf *b, unsigned long ring,
		     bool poll_while, bool per_cpu,
		     const struct hwsb_bpf_consumer *cons, uint64_t wall,
		     uint64_t total, int status);

#endif
