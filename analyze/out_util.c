// SPDX-License-Identifier: MIT
/*
 * out_util.c - small things every output format needs: escaping, number
 * formatting that does not depend on the locale, and a text table that
 * sizes its columns from its cells.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

struct hwr_sink *hwr_sink_new(FILE *f, const struct hwr_sink_ops *ops,
			      size_t priv_size)
{
	struct hwr_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (priv_size) {
		s->priv = calloc(1, priv_size);
		if (!s->priv) {
			free(s);
			errno = ENOMEM;
			return NULL;
		}
	}
	s->ops = ops;
	s->f = f;
	return s;
}

void hwr_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			/* Names come from a kernel module: never trust them
			 * to be printable. Bytes >= 0x80 pass as UTF-8. */
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

size_t hwr_fmt_fixed3(char *buf, double v)
{
	double m = v * 1000, fl;
	uint64_t u;
	size_t n = 0;

	if (!isfinite(v))
		return (size_t)snprintf(buf, 32, "%.3f", v);
	/* -0.000 would read oddly and compare unequal in goldens. */
	if (v < 0 && v > -0.0005)
		m = 0;
	fl = floor(m);
	/*
	 * printf("%.3f") is the reference but costs a few hundred ns in
	 * its exact decimal expansion; rounding v * 1000 gives the same
	 * digits unless the product lies next to a tie or is too large
	 * for 64 bits, where printf decides.
	 */
	if (fabs(m) >= 9e15 || fabs(m - fl - 0.5) < 1e-6)
		return (size_t)snprintf(buf, 32, "%.3f", m == 0 ? 0.0 : v);
	if (m < 0) {
		buf[n++] = '-';
		m = -m;
		fl = floor(m);
	}
	u = (uint64_t)fl + (m - fl >= 0.5);
	n += hwr_u64_dec(buf + n, u / 1000);
	buf[n++] = '.';
	buf[n++] = (char)('0' + u / 100 % 10);
	buf[n++] = (char)('0' + u / 10 % 10);
	buf[n++] = (char)('0' + u % 10);
	buf[n] = 0;
	return n;
}

void hwr_json_num(FILE *f, double v, int decimals)
{
	char buf[40];

	if (!isfinite(v)) {
		fputs("null", f);
		return;
	}
	if (decimals == 3) {
		fwrite(buf, 1, hwr_fmt_fixed3(buf, v), f);
		return;
	}
	/* -0.000 would read oddly and compare unequal in goldens. */
	if (v < 0 && v > -0.5 * pow(10, -decimals))
		v = 0;
	fprintf(f, "%.*f", decimals, v);
}

void hwr_csv_str(FILE *f, const char *s)
{
	const char *p;

	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

size_t hwr_u64_dec(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

int hwr_table_init(struct hwr_table *t, uint32_t ncols, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->align = strdup(align);
	return t->align ? 0 : -ENOMEM;
}

int hwr_table_row(struct hwr_table *t, const char *const *cells)
{
	size_t need = 0, l;
	uint32_t i;

	if (t->nrows == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		size_t *o = realloc(t->off, (size_t)cap * t->ncols * sizeof(*o));

		if (!o)
			return -ENOMEM;
		t->off = o;
		t->cap = cap;
	}
	for (i = 0; i < t->ncols; i++)
		need += strlen(cells[i] ? cells[i] : "-") + 1;
	if (t->len + need > t->text_cap) {
		size_t cap = t->text_cap ? t->text_cap : 1024;
		char *n;

		while (cap < t->len + need)
			cap *= 2;
		n = realloc(t->text, cap);
		if (!n)
			return -ENOMEM;
		t->text = n;
		t->text_cap = cap;
	}
	for (i = 0; i < t->ncols; i++) {
		const char *c = cells[i] ? cells[i] : "-";

		l = strlen(c) + 1;
		memcpy(t->text + t->len, c, l);
		t->off[(size_t)t->nrows * t->ncols + i] = t->len;
		t->len += l;
	}
	t->nrows++;
	return 0;
}

void hwr_table_print(const struct hwr_table *t, FILE *f, const char *indent)
{
	const char *align = t->align;
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));
	uint32_t r, i;

	if (!w)
		return;
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++) {
			size_t l = strlen(t->text +
					  t->off[(size_t)r * t->ncols + i]);

			if (l > w[i])
				w[i] = l;
		}
	for (r = 0; r < t->nrows; r++) {
		fputs(indent, f);
		for (i = 0; i < t->ncols; i++) {
			const char *s = t->text +
					t->off[(size_t)r * t->ncols + i];
			bool last = i + 1 == t->ncols;

			if (align[i] == 'r')
				fprintf(f, "%*s", (int)w[i], s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s", (int)w[i], s);
			if (!last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	free(w);
}

void hwr_table_free(struct hwr_table *t)
{
	free(t->off);
	free(t->text);
	free(t->align);
	memset(t, 0, sizeof(*t));
}
