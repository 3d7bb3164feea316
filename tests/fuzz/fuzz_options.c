// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the option parsers of the tools, on any string.
 *
 *   hwsdev_parse_size()      --buffer-size, --rotate-size
 *   hwsdev_parse_duration()  --duration, --period, --flush-interval, ...
 *   hwr_cpuset_parse()       hwstats-report --cpu
 *   hwr_patterns_parse()     hwstats-report --source, --counter
 *
 * The input is split at its first NUL byte: the part before is the option
 * argument given to every parser, the part after a name matched against the
 * patterns. Besides never crashing, leaking or reading out of bounds, each
 * parser must return only its documented errors, and what it accepts must
 * mean what it says: a size is its digits times its unit, a plain number of
 * seconds parses to exactly that many seconds, a CPU set holds exactly the
 * CPUs its ranges name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwsdev.h"
#include "report.h"

static void check_size(const char *s)
{
	unsigned long long digits = 0;
	uint64_t v = 0, want;
	int n = 0, ret, shift = 0;
	char unit = 0;

	ret = hwsdev_parse_size(s, &v);
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE)
		abort();
	/* The canonical forms: "123", "123K", "123MiB" ... */
	if (sscanf(s, "%20llu%n", &digits, &n) != 1 || s[0] < '0' ||
	    s[0] > '9' || n > 19)
		return;
	unit = s[n];
	if (unit == 'k' || unit == 'K')
		shift = 10;
	else if (unit == 'm' || unit == 'M')
		shift = 20;
	else if (unit == 'g' || unit == 'G')
		shift = 30;
	else if (unit)
		return;
	if (unit && strcmp(s + n + 1, "") && strcmp(s + n + 1, "iB") &&
	    strcmp(s + n + 1, "B"))
		return;
	if (digits > (UINT64_MAX >> shift)) {
		if (ret != -ERANGE)
			abort();
		return;
	}
	want = (uint64_t)digits << shift;
	if (ret != 0 || v != want)
		abort();
}

static void check_duration(const char *s)
{
	uint64_t ns = 0;
	unsigned int sec;
	int n = 0, ret;

	ret = hwsdev_parse_duration(s, &ns);
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE)
		abort();
	/* A plain number of seconds up to 9 digits is exact. */
	if (sscanf(s, "%9u%n", &sec, &n) == 1 && s[0] >= '0' && s[0] <= '9' &&
	    (!strcmp(s + n, "") || !strcmp(s + n, "s")))
		if (ret != 0 || ns != sec * 1000000000ULL)
			abort();
}

static void check_cpuset(const char *s)
{
	struct hwr_cpuset set = { 0 };
	uint32_t i, count = 0;
	int ret;

	ret = hwr_cpuset_parse(s, &set);
	if (ret != 0 && ret != -EINVAL && ret != -ENOMEM)
		abort();
	if (ret) {
		if (set.bits || set.nbits)
			abort();	/* a failed parse leaves it empty */
		return;
	}
	if (!set.nbits || set.nbits % 64)
		abort();
	for (i = 0; i < set.nbits; i++)
		count += hwr_cpuset_has(&set, i);
	if (!count || hwr_cpuset_has(&set, set.nbits))
		abort();
	/* "a" or "a-b" alone: exactly those CPUs. */
	{
		unsigned int lo, hi;
		int n = 0;

		if (sscanf(s, "%u-%u%n", &lo, &hi, &n) == 2 && !s[n] &&
		    s[0] >= '0' && s[0] <= '9' && count != hi - lo + 1)
			abort();
	}
	hwr_cpuset_clear(&set);
}

static void check_patterns(const char *s, const char *name)
{
	struct hwr_patterns p = { 0 };
	uint32_t i;
	int ret;

	ret = hwr_patterns_parse(s, &p);
	if (ret != 0 && ret != -EINVAL && ret != -ENOMEM)
		abort();
	if (!ret) {
		if (!p.n)
			abort();
		for (i = 0; i < p.n; i++)
			if (!p.pat[i][0])
				abort();	/* no empty pattern */
		hwr_patterns_match(&p, name, NULL);
		hwr_patterns_match(&p, name, s);
	}
	hwr_patterns_clear(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *name;
	size_t n;

	if (size > 4096)
		return 0;
	s = malloc(size + 2);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	s[size + 1] = '\0';
	n = strlen(s);
	name = s + n + (n < size ? 1 : 0);

	check_size(s);
	check_duration(s);
	check_cpuset(s);
	check_patterns(s, name);
	free(s);
	return 0;
}
