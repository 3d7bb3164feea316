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

#include <stddef.h>
#include <stdint.h>

/* 0, -EINVAL (not a duration), or -ERANGE (over 2^64 - 1 ns). */
int hws_parse_duration(const char *s, uint64_t *ns);

/*
 * The exact scaling behind it, for other decimal grammars (the fraction of
 * a second in hwstats-report's times): the @nint digits at @digits and the
 * @nfrac fraction digits at @frac (both '0'..'9', unchecked) times @unit,
 * a power of ten (or ten times one) in ns. 0 or -ERANGE.
 */
int hws_scale_decimal(const char *digits, size_t nint, const char *frac,
		      size_t nfrac, uint64_t unit, uint64_t *out);

#endif
