// SPDX-License-Identifier: MIT
/*
 * The duration grammar of hws_duration.h. A decimal like "2.5s" is parsed
 * digit by digit rather than through a double, so interval boundaries
 * never drift by a rounding error and "0x10s" or "1e3" are not times.
 */
#include <errno.h>
#include <string.h>

#include "hws_duration.h"

#define NS_PER_SEC 1000000000ULL

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "ms", 1000000 },
	{ "s", NS_PER_SEC },
	{ "sec", NS_PER_SEC },
	{ "m", 60 * NS_PER_SEC },
	{ "min", 60 * NS_PER_SEC },
	{ "h", 3600 * NS_PER_SEC },
	{ "d", 86400 * NS_PER_SEC },
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int hws_scale_decimal(const char *digits, size_t nint, const char *frac,
		      size_t nfrac, uint64_t unit, uint64_t *out)
{
	uint64_t v = 0, r, w = unit;
	size_t i;

	for (i = 0; i < nint; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(digits[i] - '0');
	}
	if (unit && v > UINT64_MAX / unit)
		return -ERANGE;
	/*
	 * Each fraction digit is worth unit / 10^i; every unit is a multiple
	 * of ten down to a nanosecond, so only what lies below one is lost.
	 */
	r = v * unit;
	for (i = 0; i < nfrac && w; i++) {
		uint64_t add;

		w /= 10;
		add = (uint64_t)(frac[i] - '0') * w;
		if (r > UINT64_MAX - add)
			return -ERANGE;
		r += add;
	}
	*out = r;
	return 0;
}

int hws_parse_duration(const char *s, uint64_t *ns)
{
	const char *p = s, *frac;
	uint64_t v, unit = NS_PER_SEC;
	size_t nint = 0, nfrac = 0, i;

	if (!s || !ns)
		return -EINVAL;
	while (is_digit(*p)) {
		p++;
		nint++;
	}
	frac = p;
	if (*p == '.') {
		frac = ++p;
		while (is_digit(*p)) {
			p++;
			nfrac++;
		}
	}
	if (!nint && !nfrac)
		return -EINVAL;
	/* Too many digits is -ERANGE even before an unknown unit. */
	if (hws_scale_decimal(s, nint, frac, 0, 1, &v))
		return -ERANGE;
	if (*p) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(p, units[i].name))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		unit = units[i].ns;
	}
	return hws_scale_decimal(s, nint, frac, nfrac, unit, ns);
}
