// SPDX-License-Identifier: MIT
/*
 * select.c - what --source, --counter and --cpu pick.
 *
 * Names are matched with fnmatch(3), so "net*" and "rx_?" work; a counter
 * pattern may also be written "source.counter" to pick one source's
 * counter when two sources share a counter name.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* A CPU number bigger than any machine has is a typo, not a request. */
#define HWR_MAX_CPU	65536

static int hwr_cpuset_add(struct hwr_cpuset *set, uint32_t lo, uint32_t hi)
{
	uint32_t need = (hi / 64 + 1) * 64, i;

	if (need > set->nbits) {
		uint64_t *b = realloc(set->bits, need / 8);

		if (!b)
			return -ENOMEM;
		memset(b + set->nbits / 64, 0, (need - set->nbits) / 8);
		set->bits = b;
		set->nbits = need;
	}
	for (i = lo; i <= hi; i++)
		set->bits[i / 64] |= 1ULL << (i % 64);
	return 0;
}

static int hwr_cpu_num(const char **pp, uint32_t *v)
{
	const char *p = *pp;
	unsigned long n = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		n = n * 10 + (unsigned long)(*p++ - '0');
		if (n >= HWR_MAX_CPU)
			return -EINVAL;
	}
	*v = (uint32_t)n;
	*pp = p;
	return 0;
}

int hwr_cpuset_parse(const char *s, struct hwr_cpuset *set)
{
	const char *p = s;
	uint32_t lo, hi;
	int ret;

	hwr_cpuset_clear(set);
	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		if (hwr_cpu_num(&p, &lo))
			goto bad;
		hi = lo;
		if (*p == '-') {
			p++;
			if (hwr_cpu_num(&p, &hi) || hi < lo)
				goto bad;
		}
		ret = hwr_cpuset_add(set, lo, hi);
		if (ret) {
			hwr_cpuset_clear(set);
			return ret;
		}
		if (!*p)
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	hwr_cpuset_clear(set);
	return -EINVAL;
}

void hwr_cpuset_clear(struct hwr_cpuset *set)
{
	free(set->bits);
	set->bits = NULL;
	set->nbits = 0;
}

int hwr_patterns_parse(const char *s, struct hwr_patterns *p)
{
	const char *q = s, *comma;
	uint32_t n = 1, i = 0;

	hwr_patterns_clear(p);
	if (!s || !*s)
		return -EINVAL;
	for (; *q; q++)
		n += *q == ',';
	p->pat = calloc(n, sizeof(*p->pat));
	p->used = calloc(n, sizeof(*p->used));
	if (!p->pat || !p->used) {
		hwr_patterns_clear(p);
		return -ENOMEM;
	}
	for (q = s; ; q = comma + 1) {
		size_t len;

		comma = strchr(q, ',');
		len = comma ? (size_t)(comma - q) : strlen(q);
		/* "rx, tx" means what it says: spaces are no part of names */
		while (len && isspace((unsigned char)*q)) {
			q++;
			len--;
		}
		while (len && isspace((unsigned char)q[len - 1]))
			len--;
		if (!len) {
			hwr_patterns_clear(p);
			return -EINVAL;
		}
		p->pat[i] = strndup(q, len);
		if (!p->pat[i]) {
			hwr_patterns_clear(p);
			return -ENOMEM;
		}
		p->n = ++i;
		if (!comma)
			break;
	}
	return 0;
}

void hwr_patterns_clear(struct hwr_patterns *p)
{
	uint32_t i;

	for (i = 0; i < p->n; i++)
		free(p->pat[i]);
	free(p->pat);
	free(p->used);
	memset(p, 0, sizeof(*p));
}

bool hwr_patterns_match(struct hwr_patterns *p, const char *name,
			const char *alt)
{
	bool any = false;
	uint32_t i;

	if (!p->n)
		return true;
	/* Every pattern is tried, so each learns whether it was ever used. */
	for (i = 0; i < p->n; i++) {
		if (!fnmatch(p->pat[i], name, 0) ||
		    (alt && !fnmatch(p->pat[i], alt, 0))) {
			p->used[i] = true;
			any = true;
		}
	}
	return any;
}
