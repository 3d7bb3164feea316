// SPDX-License-Identifier: GPL-2.0
/*
 * The LTTng kernel probe of the hwsb_peers_rec event of hwsb_peers.ko: the
 * same fields, recorded by lttng-sessiond/consumerd into CTF.
 */
#include <linux/module.h>
#include <lttng/tracer.h>

/* The kernel's declaration, for the probe's prototype. */
#include "hwsb_peers_trace.h"

#include <wrapper/tracepoint.h>

#define LTTNG_PACKAGE_BUILD
#define CREATE_TRACE_POINTS
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE hwsb_peers_lttng

#include "hwsb_peers_lttng.h"

MODULE_LICENSE("GPL and additional rights");
MODULE_DESCRIPTION("LTTng probe of the hwstats peer benchmark's event");
