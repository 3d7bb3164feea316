/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record of the simulated device (sequence number, 4 counters, 2
 * gauges) as a trace event: what ftrace (trace-cmd), perf and an LTTng
 * probe record, each with its own header and timestamp.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM hwsb_peers

#if !defined(_HWSB_PEERS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _HWSB_PEERS_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(hwsb_peers_rec,
	TP_PROTO(u64 seq, const u64 *v),
	TP_ARGS(seq, v),
	TP_STRUCT__entry(
		__field(u64, seq)
		__field(u64, c0)
		__field(u64, c1)
		__field(u64, c2)
		__field(u64, c3)
		__field(u64, g0)
		__field(u64, g1)
	),
	TP_fast_assign(
		__entry->seq = seq;
		__entry->c0 = v[0];
		__entry->c1 = v[1];
		__entry->c2 = v[2];
		__entry->c3 = v[3];
		__entry->g0 = v[4];
		__entry->g1 = v[5];
	),
	TP_printk("seq=%llu c0=%llu c1=%llu c2=%llu c3=%llu g0=%llu g1=%llu",
		  __entry->seq, __entry->c0, __entry->c1, __entry->c2,
		  __entry->c3, __entry->g0, __entry->g1)
);

#endif /* _HWSB_PEERS_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE hwsb_peers_trace
#include <trace/define_trace.h>
