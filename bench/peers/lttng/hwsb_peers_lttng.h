/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM hwsb_peers

#if !defined(LTTNG_TRACE_HWSB_PEERS_H) || defined(TRACE_HEADER_MULTI_READ)
#define LTTNG_TRACE_HWSB_PEERS_H

#include <lttng/tracepoint-event.h>

LTTNG_TRACEPOINT_EVENT(hwsb_peers_rec,
	TP_PROTO(u64 seq, const u64 *v),
	TP_ARGS(seq, v),
	TP_FIELDS(
		ctf_integer(u64, seq, seq)
		ctf_integer(u64, c0, v[0])
		ctf_integer(u64, c1, v[1])
		ctf_integer(u64, c2, v[2])
		ctf_integer(u64, c3, v[3])
		ctf_integer(u64, g0, v[4])
		ctf_integer(u64, g1, v[5])
	)
)

#endif /* LTTNG_TRACE_HWSB_PEERS_H */

#include <lttng/define_trace.h>
