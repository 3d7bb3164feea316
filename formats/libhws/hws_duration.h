/* SPDX-License-Identifier: MIT */
/*
 * The one duration grammar of every hwstats tool (hwstats-record,
 * hwstats-stat, hwstats-report):
 *
 *   duration = digits [ "." digits ] [ unit ]  |  "." digits [ unit ]
 *   unit     = "ns" | "us" | "ms" | "s" | "sec" | "m" | "min" | "h" | "d"
 *
 * No unit means seconds. Decimal digits only: no sign, no blanks, no
 * exponent, no hexadecimal. Exact in integer nanoseconds ("0.1s" is
 * 100000000); what lies below a nanosecond is dropped.
 */
#ifndef HWS_DURATION_H
#define HWS_DURATION_H

#include <stdint.h>

/* 0, -EINVAL (not a duration), or -ERANGE (over 2^64 - 1 ns). */
int hws_parse_duration(const char *s, uint64_t *ns);

#endif
