/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The trigger of the BPF ring-buffer peer: one tracepoint per record, with
 * the same arguments hwstats_emit() gets. A raw_tp BPF program attached to
 * it builds the same record in a BPF ring buffer; with nothing attached it
 * costs a not-taken static branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM hwstats_bench

#if !defined(_HWSTATS_BENCH_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _HWSTATS_BENCH_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(hwstats_bench_rec,
	TP_PROTO(u64 seq, const u64 *values),
	TP_ARGS(seq, values),
	TP_STRUCT__entry(
		__field(u64, seq)
		__array(u64, value, 4)
	),
	TP_fast_assign(
		__entry->seq = seq;
		memcpy(__entry->value, values, sizeof(__entry->value));
	),
	TP_printk("seq=%llu %llu %llu %llu %llu", __entry->seq,
		  __entry->value[0], __entry->value[1], __entry->value[2],
		  __entry->value[3])
);

#endif /* _HWSTATS_BENCH_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE hwstats_bench_trace
#include <trace/define_trace.h>
