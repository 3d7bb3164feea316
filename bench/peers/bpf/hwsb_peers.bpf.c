// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF ring-buffer peer of the peers benchmark: on every hit of the
 * hwsb_peers_rec tracepoint (hwsb_peers.ko fires it once per record with
 * the sequence number and a pointer to the 6 values, the record that goes
 * to hwstats_emit() and to ftrace, perf and LTTng), build the same 80-byte
 * hwstats sample record in a BPF ring buffer. One ring serves every CPU, so
 * the record carries its CPU in the reserved word. A record the ring has
 * no room for is counted in a per-CPU array: the loss, exact, per CPU.
 *
 * A raw tracepoint program: no BTF of the kernel or of the module needed.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hwstats_abi.h"

#define HWSP_NVALUES 6
#define HWSP_REC_LEN (sizeof(struct hwstats_sample) + HWSP_NVALUES * 8)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* user space sets the size */
} hwsp_rb SEC(".maps");

/* [0]: records stored, [1]: records dropped (ring full) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hwsp_counts SEC(".maps");

static __always_inline void hwsp_count(__u32 k)
{
	__u64 *c = bpf_map_lookup_elem(&hwsp_counts, &k);

	if (c)
		(*c)++;
}

SEC("raw_tp/hwsb_peers_rec")
int hwsp_rec(struct bpf_raw_tracepoint_args *ctx)
{
	const void *values = (const void *)ctx->args[1];
	struct hwstats_sample *rec;

	rec = bpf_ringbuf_reserve(&hwsp_rb, HWSP_REC_LEN, 0);
	if (!rec) {
		hwsp_count(1);
		return 0;
	}
	rec->hdr.type = HWSTATS_REC_SAMPLE;
	rec->hdr.len = HWSP_REC_LEN;
	rec->hdr.source = 0;
	rec->hdr.ts = bpf_ktime_get_boot_ns();
	rec->seq = ctx->args[0];
	rec->first = 0;
	rec->reserved = bpf_get_smp_processor_id();
	bpf_probe_read_kernel((void *)rec + sizeof(*rec), HWSP_NVALUES * 8,
			      values);
	bpf_ringbuf_submit(rec, 0);
	hwsp_count(0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
