// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF ring-buffer peer of hwstats_emit(): on every hit of the
 * hwstats_bench_rec tracepoint (the trigger the bench module fires once per
 * record, with the seq and a pointer to the 4 values hwstats_emit() would
 * get), build the same 64-byte record in a BPF ring buffer. One ring is
 * shared by every CPU, so the record carries its CPU in the reserved word
 * (an hwstats channel knows its CPU).
 *
 * A raw tracepoint program: no BTF of the kernel or of the module is
 * needed (no CO-RE relocation, no fentry).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hwstats_abi.h"

#define HWSB_NVALUES 4
#define HWSB_REC_LEN (sizeof(struct hwstats_sample) + HWSB_NVALUES * 8)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* user space sets the size */
} hwsb_rb SEC(".maps");

/* [0]: records stored, [1]: records dropped (ring full) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hwsb_counts SEC(".maps");

static __always_inline void hwsb_count(__u32 k)
{
	__u64 *c = bpf_map_lookup_elem(&hwsb_counts, &k);

	if (c)
		(*c)++;
}

SEC("raw_tp/hwstats_bench_rec")
int hwsb_rec(struct bpf_raw_tracepoint_args *ctx)
{
	const void *values = (const void *)ctx->args[1];
	struct hwstats_sample *rec;

	rec = bpf_ringbuf_reserve(&hwsb_rb, HWSB_REC_LEN, 0);
	if (!rec) {
		hwsb_count(1);
		return 0;
	}
	rec->hdr.type = HWSTATS_REC_SAMPLE;
	rec->hdr.len = HWSB_REC_LEN;
	rec->hdr.source = 0;
	rec->hdr.ts = bpf_ktime_get_boot_ns();
	rec->seq = ctx->args[0];
	rec->first = 0;
	rec->reserved = bpf_get_smp_processor_id();
	bpf_probe_read_kernel((void *)rec + sizeof(*rec), HWSB_NVALUES * 8,
			      values);
	bpf_ringbuf_submit(rec, 0);
	hwsb_count(0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
