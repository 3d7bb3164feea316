// SPDX-License-Identifier: MIT
/*
 * hwsprom - snapshots in the Prometheus text format (see hwsprom.h).
 *
 * The format wants all series of a family together under one TYPE line,
 * while a snapshot comes source by source: every value becomes an entry,
 * the entries are sorted by family (then by source and counter, so the
 * output is stable), and written family by family.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwsprom.h"

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_UNTYPED };

struct prom_entry {
	char *family;
	const char *counter;	/* the name as the source gave it */
	const char *unit;
	uint32_t src;		/* index into the source array */
	uint32_t k;		/* counter index, for ordering */
	enum prom_type type;
	bool label_counter;	/* family not unique within its source */
	uint64_t value;
};

static const char *const prom_type_name[] = {
	[PROM_COUNTER] = "counter",
	[PROM_GAUGE] = "gauge",
	[PROM_UNTYPED] = "untyped",
};

/* "hwstats_" + name with anything outside [a-zA-Z0-9_:] as '_' + suffix. */
static char *prom_family(const char *name, size_t max, const char *suffix)
{
	static const char prefix[] = "hwstats_";
	size_t n = strnlen(name, max), i, sl = strlen(suffix);
	char *f = malloc(sizeof(prefix) + n + sl);

	if (!f)
		return NULL;
	memcpy(f, prefix, sizeof(prefix) - 1);
	for (i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == ':';

		f[sizeof(prefix) - 1 + i] = ok ? c : '_';
	}
	memcpy(f + sizeof(prefix) - 1 + n, suffix, sl + 1);
	return f;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

static int prom_entry_cmp(const void *a, const void *b)
{
	const struct prom_entry *x = a, *y = b;
	int c = strcmp(x->family, y->family);

	if (c)
		return c;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* A label value: backslash, double quote and newline escaped. */
static void prom_label_value(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		if (s[i] == '\\' || s[i] == '"')
			fprintf(f, "\\%c", s[i]);
		else if (s[i] == '\n')
			fputs("\\n", f);
		else
			fputc(s[i], f);
	}
}

/* HELP text: backslash and newline escaped. */
static void prom_help_text(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		if (s[i] == '\\')
			fputs("\\\\", f);
		else if (s[i] == '\n')
			fputs("\\n", f);
		else
			fputc(s[i], f);
	}
}

static void prom_entries_free(struct prom_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].family);
	free(e);
}

static int prom_entries(const struct hwsprom_source *src, uint32_t nr,
			struct prom_entry **out, size_t *nout)
{
	struct prom_entry *e;
	size_t n = 0, cap = nr, i, j;
	uint32_t s, k;

	for (s = 0; s < nr; s++)
		cap += src[s].nr_values;
	e = calloc(cap ? cap : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (s = 0; s < nr; s++) {
		const struct hws_source *sch = src[s].schema;

		for (k = 0; k < src[s].nr_values; k++) {
			const struct hws_counter *c =
				sch && k < sch->nr_counters ? &sch->counters[k] : NULL;
			struct prom_entry *p = &e[n];

			p->src = s;
			p->k = k;
			p->value = src[s].values[k];
			if (!c) {
				p->type = PROM_UNTYPED;
				p->family = prom_family("unnamed", 7, "");
				p->counter = NULL;
				p->unit = "";
				p->label_counter = true;
			} else if (c->kind == HWSTATS_KIND_GAUGE) {
				p->type = PROM_GAUGE;
				p->family = prom_family(c->name, sizeof(c->name), "");
				if (p->family && ends_with(p->family, "_total")) {
					char *g = prom_family(c->name, sizeof(c->name),
							      "_gauge");

					free(p->family);
					p->family = g;
				}
			} else {
				p->type = PROM_COUNTER;
				p->family = prom_family(c->name, sizeof(c->name),
							"_total");
			}
			if (c) {
				p->counter = c->name;
				p->unit = c->unit;
			}
			n++;
			if (!p->family) {
				prom_entries_free(e, n);
				return -ENOMEM;
			}
		}
		e[n].src = s;
		e[n].k = UINT32_MAX;
		e[n].type = PROM_GAUGE;
		e[n].family = prom_family("source_updates", 14, "");
		e[n].unit = "updates";
		e[n].counter = NULL;
		e[n].value = src[s].seq;
		n++;
		if (!e[n - 1].family) {
			prom_entries_free(e, n);
			return -ENOMEM;
		}
	}
	qsort(e, n, sizeof(*e), prom_entry_cmp);
	/* One series per family and source, unless names collided there. */
	for (i = 0; i < n; i = j) {
		bool dup;

		for (j = i + 1; j < n && e[j].src == e[i].src &&
		     !strcmp(e[j].family, e[i].family); j++)
			;
		dup = j - i > 1;
		for (; i < j; i++)
			e[i].label_counter |= dup;
	}
	*out = e;
	*nout = n;
	return 0;
}

int hwsprom_write(FILE *f, const struct hwsprom_source *src, uint32_t nr)
{
	struct prom_entry *e;
	size_t n, i;
	int ret;

	ret = prom_entries(src, nr, &e, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		const struct prom_entry *p = &e[i];

		if (!i || strcmp(p->family, e[i - 1].family)) {
			fprintf(f, "# HELP %s hwstats ", p->family);
			if (p->counter) {
				fputs(prom_type_name[p->type], f);
				fputs(" ", f);
				prom_help_text(f, p->counter, HWSTATS_NAME_LEN);
			} else if (p->k == UINT32_MAX) {
				fputs("updates of the source's values", f);
			} else {
				fputs("counter without a schema", f);
			}
			if (p->unit && *p->unit) {
				fputs(" (", f);
				prom_help_text(f, p->unit, HWSTATS_UNIT_LEN);
				fputs(")", f);
			}
			fprintf(f, "\n# TYPE %s %s\n", p->family,
				prom_type_name[p->type]);
		}
		fprintf(f, "%s{source=\"", p->family);
		prom_label_value(f, src[p->src].name, HWSTATS_NAME_LEN);
		if (p->label_counter) {
			fputs("\",counter=\"", f);
			if (p->counter)
				prom_label_value(f, p->counter, HWSTATS_NAME_LEN);
			else
				fprintf(f, "#%" PRIu32, p->k);
		}
		fprintf(f, "\"} %" PRIu64 "\n", p->value);
	}
	prom_entries_free(e, n);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

int hwsprom_write_file(const char *path, const struct hwsprom_source *src,
		       uint32_t nr)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 32);
	FILE *f = NULL;
	int fd = -1, ret;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto out_unlink;
	}
	ret = hwsprom_write(f, src, nr);
	if (!ret && fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = errno ? -errno : -EIO;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (!ret) {
		free(tmp);
		return 0;
	}
out_unlink:
	unlink(tmp);
	free(tmp);
	return ret;
}
