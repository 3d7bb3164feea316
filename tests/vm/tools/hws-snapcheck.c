// SPDX-License-Identifier: MIT
/*
 * hws-snapcheck - check HWSTATS_IOC_SNAPSHOT against hwstats_sim's closed
 * form, however large the snapshot.
 *
 * Usage: hws-snapcheck [--json FILE] [--min-size BYTES]
 *
 * Run in the VM with hwstats.ko and hwstats_sim.ko loaded and no session
 * running (the simulated device then takes no samples, so its values stand
 * still). The simulator's parameters come from
 * /sys/module/hwstats_sim/parameters, each CPU's tick count from
 * <debugfs>/hwstats_sim/produced, the possible CPUs from
 * /sys/devices/system/cpu/possible. It asserts:
 *  - a snapshot with no buffer, and with a buffer one byte short, fails with
 *    ENOSPC, leaves the buffer untouched and sets size_needed to exactly
 *    the sum over the listed sources of the per-source header and values;
 *  - with a larger buffer it succeeds, size_needed is that size, the bytes
 *    after it are untouched, and the sources are those listed, in order;
 *  - every value of every source "sim", "sim1", ... is the sum over the
 *    possible CPUs of the closed form at that CPU's tick count, and the
 *    source's seq is the sum of the tick counts;
 *  - with --json, the output of `hwstats-stat --json` has the same sources,
 *    counter names and values;
 *  - with --min-size, the snapshot is at least that large.
 * Prints the exact counts. Exit 0 only if all of that holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hwstats_abi.h"

#define MAX_CPUS 1024

static int failed;
static uint32_t sim_counters, sim_gauges, sim_sources;
static uint64_t ticks[MAX_CPUS];
static int possible[MAX_CPUS];

__attribute__((format(printf, 2, 3)))
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failed = 1;
}

/* ------------------------------------------------------------------ */
/* The simulator's closed form (kmod/hwstats_sim.c)                    */

static uint64_t sim_hash(uint32_t k, uint32_t cpu, uint32_t idx, uint64_t n)
{
	uint64_t z = n ^ ((uint64_t)cpu << 48) ^ ((uint64_t)idx << 32);

	z += 0x9e3779b97f4a7c15ULL * (k + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t sim_value(uint32_t k, uint32_t cpu, uint32_t idx, uint64_t n)
{
	if (idx == 0)
		return n;
	if (idx < sim_counters)
		return n * 1000 * idx + (sim_hash(k, cpu, idx, n) & 0xff);
	return 1000ULL * (idx - sim_counters + 1) + sim_hash(k, cpu, idx, n) % 200;
}

/* What a snapshot of source k holds: the sum over the possible CPUs. */
static uint64_t sim_expected(uint32_t k, uint32_t idx)
{
	uint64_t sum = 0;
	uint32_t cpu;

	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (possible[cpu])
			sum += sim_value(k, cpu, idx, ticks[cpu]);
	return sum;
}

static void sim_counter_name(uint32_t idx, char *buf, size_t len)
{
	if (idx == 0)
		snprintf(buf, len, "ticks");
	else if (idx < sim_counters)
		snprintf(buf, len, "counter%u", idx);
	else
		snprintf(buf, len, "gauge%u", idx - sim_counters);
}

/* "sim" is source 0, "simK" source K; -1 for any other name. */
static int sim_index(const char *name)
{
	char *end;
	unsigned long k;

	if (strncmp(name, "sim", 3))
		return -1;
	if (!name[3])
		return 0;
	if (name[3] < '1' || name[3] > '9')
		return -1;
	k = strtoul(name + 3, &end, 10);
	return *end || k >= sim_sources ? -1 : (int)k;
}

/* ------------------------------------------------------------------ */
/* What the VM says about the simulator                                */

static int read_u32_file(const char *path, uint32_t *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f) {
		fprintf(stderr, "hws-snapcheck: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fscanf(f, "%" SCNu32, v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int read_possible(void)
{
	const char *path = "/sys/devices/system/cpu/possible";
	FILE *f = fopen(path, "r");
	char line[256], *p;

	if (!f || !fgets(line, sizeof(line), f)) {
		fprintf(stderr, "hws-snapcheck: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	for (p = strtok(line, ",\n"); p; p = strtok(NULL, ",\n")) {
		unsigned int a, b, c;

		if (sscanf(p, "%u-%u", &a, &b) != 2) {
			if (sscanf(p, "%u", &a) != 1)
				return -1;
			b = a;
		}
		for (c = a; c <= b && c < MAX_CPUS; c++)
			possible[c] = 1;
	}
	return 0;
}

static int read_ticks(void)
{
	const char *path = "/sys/kernel/debug/hwstats_sim/produced";
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f) {
		fprintf(stderr, "hws-snapcheck: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned int cpu;
		uint64_t p, l, t;

		if (sscanf(line, "cpu%u %" SCNu64 " %" SCNu64 " %" SCNu64,
			   &cpu, &p, &l, &t) == 4 && cpu < MAX_CPUS)
			ticks[cpu] = t;
	}
	fclose(f);
	return 0;
}

/* ------------------------------------------------------------------ */
/* A small JSON reader, enough for hwstats-stat's output               */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	char *str;			/* J_STR; J_NUM: its text */
	uint64_t num;			/* J_NUM, when an unsigned integer */
	int is_uint;
	size_t n;			/* J_ARR, J_OBJ: members */
	char **keys;			/* J_OBJ */
	struct jval **items;
};

struct jparser {
	const char *p, *end;
	const char *err;
};

static void jskip(struct jparser *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' ||
				 *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

static struct jval *jparse(struct jparser *j);

static char *jstring(struct jparser *j)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	j->p++;		/* opening quote */
	while (s && j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if (c == '\\') {
			if (j->p >= j->end)
				break;
			c = *j->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				unsigned int u;

				if (j->end - j->p < 4 || sscanf(j->p, "%4x", &u) != 1) {
					j->err = "bad \\u escape";
					free(s);
					return NULL;
				}
				j->p += 4;
				c = u < 0x80 ? (char)u : '?';
				break;
			}
			default: break;	/* \" \\ \/ */
			}
		}
		if (n + 2 > cap) {
			cap *= 2;
			s = realloc(s, cap);
			if (!s)
				break;
		}
		s[n++] = c;
	}
	if (!s || j->p >= j->end) {
		j->err = "unterminated string";
		free(s);
		return NULL;
	}
	j->p++;		/* closing quote */
	s[n] = '\0';
	return s;
}

static int jadd(struct jval *v, char *key, struct jval *item)
{
	if ((v->n & (v->n - 1)) == 0) {	/* 0, 1, 2, 4, ...: grow */
		size_t cap = v->n ? 2 * v->n : 1;

		v->items = realloc(v->items, cap * sizeof(*v->items));
		v->keys = realloc(v->keys, cap * sizeof(*v->keys));
		if (!v->items || !v->keys)
			return -1;
	}
	v->keys[v->n] = key;
	v->items[v->n++] = item;
	return 0;
}

static struct jval *jparse(struct jparser *j)
{
	struct jval *v = calloc(1, sizeof(*v));

	if (!v) {
		j->err = "out of memory";
		return NULL;
	}
	jskip(j);
	if (j->p >= j->end) {
		j->err = "unexpected end";
		return NULL;
	}
	if (*j->p == '{' || *j->p == '[') {
		int obj = *j->p == '{';
		char close = obj ? '}' : ']';

		v->type = obj ? J_OBJ : J_ARR;
		j->p++;
		jskip(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return v;
		}
		for (;;) {
			char *key = NULL;
			struct jval *item;

			jskip(j);
			if (obj) {
				if (j->p >= j->end || *j->p != '"') {
					j->err = "expected a key";
					return NULL;
				}
				key = jstring(j);
				if (!key)
					return NULL;
				jskip(j);
				if (j->p >= j->end || *j->p != ':') {
					j->err = "expected ':'";
					return NULL;
				}
				j->p++;
			}
			item = jparse(j);
			if (!item || jadd(v, key, item))
				return NULL;
			jskip(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				return v;
			}
			j->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
			return NULL;
		}
	}
	if (*j->p == '"') {
		v->type = J_STR;
		v->str = jstring(j);
		return v->str ? v : NULL;
	}
	if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4)) {
		v->type = *j->p == 't' ? J_BOOL : J_NULL;
		j->p += 4;
		return v;
	}
	if (!strncmp(j->p, "false", 5)) {
		v->type = J_BOOL;
		j->p += 5;
		return v;
	}
	{
		const char *s = j->p;
		char *end;

		while (j->p < j->end && strchr("+-0123456789.eE", *j->p))
			j->p++;
		if (j->p == s) {
			j->err = "unexpected character";
			return NULL;
		}
		v->type = J_NUM;
		v->str = strndup(s, j->p - s);
		errno = 0;
		v->num = strtoull(v->str, &end, 10);
		v->is_uint = !errno && !*end && v->str[0] != '-';
		return v;
	}
}

static const struct jval *jget(const struct jval *o, const char *key)
{
	size_t i;

	if (!o || o->type != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return o->items[i];
	return NULL;
}

static void jfree(struct jval *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->keys[i]);
		jfree(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->str);
	free(v);
}

/* ------------------------------------------------------------------ */

struct src_list {
	uint32_t n;
	struct hwstats_source_info *info;
};

static int list_sources(int fd, struct src_list *l)
{
	struct hwstats_list_sources ls = { .size = sizeof(ls) };

	if (ioctl(fd, HWSTATS_IOC_LIST_SOURCES, &ls))
		return -errno;
	l->info = calloc(ls.count ? ls.count : 1, sizeof(*l->info));
	if (!l->info)
		return -ENOMEM;
	ls.sources = (uintptr_t)l->info;
	if (ioctl(fd, HWSTATS_IOC_LIST_SOURCES, &ls))
		return -errno;
	l->n = ls.count;
	return 0;
}

static int snapshot(int fd, void *buf, uint64_t size, struct hwstats_snapshot *sn)
{
	memset(sn, 0, sizeof(*sn));
	sn->size = sizeof(*sn);
	sn->buf = (uintptr_t)buf;
	sn->buf_size = size;
	return ioctl(fd, HWSTATS_IOC_SNAPSHOT, sn) ? errno : 0;
}

static int untouched(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0xa5)
			return 0;
	return 1;
}

/* Every sim source's values in the ioctl's answer; returns values checked. */
static uint64_t check_buffer(const struct src_list *l, const char *buf,
			     uint64_t len, uint32_t nr)
{
	uint64_t off = 0, checked = 0, tick_sum = 0;
	uint32_t i, c;

	for (c = 0; c < MAX_CPUS; c++)
		if (possible[c])
			tick_sum += ticks[c];
	for (i = 0; i < nr && i < l->n; i++) {
		const struct hwstats_snapshot_source *ss = (const void *)(buf + off);
		const uint64_t *v = (const uint64_t *)(ss + 1);
		char name[HWSTATS_NAME_LEN + 1];
		uint64_t bad = 0;
		int k;

		if (off + sizeof(*ss) > len) {
			check(0, "source %u header within the %" PRIu64 " bytes", i, len);
			return checked;
		}
		memcpy(name, ss->name, HWSTATS_NAME_LEN);
		name[HWSTATS_NAME_LEN] = '\0';
		check(ss->id == l->info[i].id && ss->nr_counters == l->info[i].nr_counters &&
		      !strncmp(name, l->info[i].name, HWSTATS_NAME_LEN),
		      "snapshot source %u is %s (id %u, %u counters), as listed", i,
		      name, ss->id, ss->nr_counters);
		off += sizeof(*ss) + (uint64_t)ss->nr_counters * 8;
		if (off > len) {
			check(0, "%s: values within the %" PRIu64 " bytes", name, len);
			return checked;
		}
		k = sim_index(name);
		if (k < 0)
			continue;
		check(ss->nr_counters == sim_counters + sim_gauges,
		      "%s: %u counters = %u counters + %u gauges", name,
		      ss->nr_counters, sim_counters, sim_gauges);
		check(ss->seq == tick_sum, "%s: seq %" PRIu64 " = ticks summed over CPUs %" PRIu64,
		      name, (uint64_t)ss->seq, tick_sum);
		for (c = 0; c < ss->nr_counters; c++) {
			uint64_t want = sim_expected(k, c);

			if (v[c] != want) {
				if (bad < 5)
					printf("  %s value[%u] = %" PRIu64 ", expected %" PRIu64 "\n",
					       name, c, (uint64_t)v[c], want);
				bad++;
			}
		}
		checked += ss->nr_counters;
		check(!bad, "%s: %u values match the closed form, %" PRIu64 " differ",
		      name, ss->nr_counters, bad);
	}
	check(off == len, "the sources fill the %" PRIu64 " bytes exactly (%" PRIu64 ")",
	      len, off);
	return checked;
}

static void check_json(const char *path, const struct src_list *l)
{
	struct jparser j;
	struct jval *root;
	const struct jval *srcs;
	uint64_t checked = 0, names_bad = 0, values_bad = 0;
	char *text;
	size_t len = 0, cap = 1 << 20, i;
	FILE *f = fopen(path, "r");

	if (!f) {
		check(0, "%s: %s", path, strerror(errno));
		return;
	}
	text = malloc(cap);
	while (text) {
		size_t got = fread(text + len, 1, cap - len, f);

		len += got;
		if (len < cap)
			break;
		cap *= 2;
		text = realloc(text, cap);
	}
	fclose(f);
	if (!text) {
		check(0, "%s: out of memory", path);
		return;
	}
	j.p = text;
	j.end = text + len;
	j.err = NULL;
	root = jparse(&j);
	if (root) {
		jskip(&j);
		if (j.p != j.end)
			j.err = "text after the document";
	}
	check(root && !j.err, "%s: %zu bytes of valid JSON%s%s", path, len,
	      j.err ? ": " : "", j.err ? j.err : "");
	if (!root || j.err)
		return;
	srcs = jget(root, "sources");
	check(srcs && srcs->type == J_ARR && srcs->n == l->n,
	      "%s: %zu sources, %u listed", path, srcs ? srcs->n : 0, l->n);
	for (i = 0; srcs && srcs->type == J_ARR && i < srcs->n && i < l->n; i++) {
		const struct jval *s = srcs->items[i];
		const struct jval *name = jget(s, "name");
		const struct jval *ctrs = jget(s, "counters");
		size_t c;
		int k;

		if (!name || name->type != J_STR || !ctrs || ctrs->type != J_ARR) {
			check(0, "%s: source %zu has a name and counters", path, i);
			continue;
		}
		if (strncmp(name->str, l->info[i].name, HWSTATS_NAME_LEN) ||
		    ctrs->n != l->info[i].nr_counters) {
			check(0, "%s: source %zu is %s with %zu counters, as listed",
			      path, i, name->str, ctrs->n);
			continue;
		}
		k = sim_index(name->str);
		if (k < 0)
			continue;
		for (c = 0; c < ctrs->n; c++) {
			const struct jval *cn = jget(ctrs->items[c], "name");
			const struct jval *cv = jget(ctrs->items[c], "value");
			char want_name[HWSTATS_NAME_LEN];

			sim_counter_name(c, want_name, sizeof(want_name));
			if (!cn || cn->type != J_STR || strcmp(cn->str, want_name))
				names_bad++;
			if (!cv || cv->type != J_NUM || !cv->is_uint ||
			    cv->num != sim_expected(k, c)) {
				if (values_bad < 5)
					printf("  %s %s = %s, expected %" PRIu64 "\n",
					       name->str, want_name,
					       cv && cv->str ? cv->str : "?",
					       sim_expected(k, c));
				values_bad++;
			}
			checked++;
		}
	}
	check(!names_bad && !values_bad && checked,
	      "%s: %" PRIu64 " sim values checked, %" PRIu64 " wrong names, %" PRIu64 " wrong values",
	      path, checked, names_bad, values_bad);
	jfree(root);
	free(text);
}

int main(int argc, char **argv)
{
	const char *json = NULL;
	uint64_t min_size = 0, need = 0, checked;
	struct hwstats_snapshot sn;
	struct src_list l = { 0 };
	unsigned char *buf;
	uint32_t i, nr_sim = 0;
	int fd, e, a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json") && a + 1 < argc) {
			json = argv[++a];
		} else if (!strcmp(argv[a], "--min-size") && a + 1 < argc) {
			min_size = strtoull(argv[++a], NULL, 10);
		} else {
			fprintf(stderr, "usage: hws-snapcheck [--json FILE] [--min-size BYTES]\n");
			return 2;
		}
	}
	if (read_u32_file("/sys/module/hwstats_sim/parameters/counters", &sim_counters) ||
	    read_u32_file("/sys/module/hwstats_sim/parameters/gauges", &sim_gauges) ||
	    read_u32_file("/sys/module/hwstats_sim/parameters/sources", &sim_sources) ||
	    read_possible() || read_ticks())
		return 2;
	fd = open("/dev/hwstats", O_RDONLY);
	if (fd < 0) {
		perror("hws-snapcheck: /dev/hwstats");
		return 2;
	}
	e = list_sources(fd, &l);
	if (e) {
		fprintf(stderr, "hws-snapcheck: listing sources: %s\n", strerror(-e));
		return 2;
	}
	for (i = 0; i < l.n; i++) {
		need += sizeof(struct hwstats_snapshot_source) +
			(uint64_t)l.info[i].nr_counters * 8;
		nr_sim += sim_index(l.info[i].name) >= 0;
	}
	printf("%u sources listed (%u of the simulator: %u counters, %u gauges each); a snapshot takes %" PRIu64 " bytes\n",
	       l.n, nr_sim, sim_counters, sim_gauges, need);
	check(nr_sim == sim_sources, "%u sim sources listed, %u loaded", nr_sim,
	      sim_sources);
	if (min_size)
		check(need >= min_size, "the snapshot's %" PRIu64 " bytes are at least %" PRIu64,
		      need, min_size);

	/* Too small: ENOSPC, the size needed, and nothing written. */
	e = snapshot(fd, NULL, 0, &sn);
	check(e == ENOSPC && sn.size_needed == need && sn.nr_sources == l.n,
	      "no buffer: %s, size_needed %" PRIu64 ", nr_sources %u",
	      strerror(e), (uint64_t)sn.size_needed, sn.nr_sources);
	buf = malloc(need + 4096);
	if (!buf)
		return 2;
	memset(buf, 0xa5, need + 4096);
	e = snapshot(fd, buf, need - 1, &sn);
	check(e == ENOSPC && sn.size_needed == need && untouched(buf, need + 4096),
	      "%" PRIu64 " bytes, one short: %s, size_needed %" PRIu64 ", buffer untouched",
	      need - 1, strerror(e), (uint64_t)sn.size_needed);

	/* Large enough, with room to spare: exactly need bytes written. */
	e = snapshot(fd, buf, need + 4096, &sn);
	check(!e && sn.size_needed == need && sn.nr_sources == l.n && sn.ts,
	      "%" PRIu64 " bytes: %s, size_needed %" PRIu64 ", nr_sources %u",
	      need + 4096, e ? strerror(e) : "ok", (uint64_t)sn.size_needed,
	      sn.nr_sources);
	check(untouched(buf + need, 4096), "the 4096 bytes after size_needed untouched");
	if (!e) {
		checked = check_buffer(&l, (const char *)buf, need, sn.nr_sources);
		printf("%" PRIu64 " sim values checked in the ioctl's answer\n", checked);
	}
	if (json)
		check_json(json, &l);
	free(buf);
	free(l.info);
	close(fd);
	printf("hws-snapcheck: %s\n", failed ? "FAIL" : "PASS");
	return failed;
}
