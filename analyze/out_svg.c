// SPDX-License-Identifier: MIT
/*
 * out_svg.c - a time-series plot per selected counter, as one hand-written
 * SVG file that any browser shows: title, axes with ticks and units, a
 * legend, a line per series (all CPUs, and each CPU with --per-cpu), and
 * red bands where records went missing.
 *
 * Memory stays bounded however long the trace: each series keeps at most
 * HWR_SVG_POINTS points. When a series fills up, its bins double in width
 * and neighbours merge (mean, plus min/max kept as a shaded envelope so a
 * short peak does not vanish into an average). A plot is ~900 px wide, so
 * 1024 points lose nothing a reader could see. A series' points are
 * allocated as they come (doubling up to that bound), so a short trace
 * with a huge selection costs the points it has, not the bound times the
 * series: memory follows the size of the SVG written.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

#define HWR_SVG_POINTS	1024
#define HWR_SVG_W	900
#define HWR_SVG_PANEL_H	260
#define HWR_SVG_TOP	56
#define HWR_SVG_ML	80
#define HWR_SVG_MR	24
#define HWR_SVG_MT	44
#define HWR_SVG_MB	46

struct hwr_svg_pt {
	uint64_t bin;		/* bin start, ns from the time zero */
	double sum, min, max;
	uint32_t n;
};

struct hwr_svg_series {
	struct hwr_svg_pt *pt;
	uint32_t n, cap;	/* cap <= HWR_SVG_POINTS, grown as filled */
	int cpu;		/* -1: all CPUs */
};

struct hwr_svg_panel {
	const struct hwr_counter *ct;
	struct hwr_svg_series *ser;	/* [0] all, [1 + cpu] */
	uint32_t nser;
	uint64_t width;		/* current bin width, ns */
};

struct hwr_svg {
	struct hwr_svg_panel *panel;
	uint32_t npanel;
	uint64_t t_min, t_max;	/* ns from the time zero */
	bool any;
};

static const char *const hwr_svg_colors[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79",
};

static int hwr_svg_begin(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_svg *g = s->priv;
	uint32_t i, n = 0;

	for (i = 0; i < c->nr_sources; i++)
		if (c->sources[i].selected)
			n += c->sources[i].nr_selected;
	g->panel = calloc(n ? n : 1, sizeof(*g->panel));
	if (!g->panel)
		return -ENOMEM;
	hwr_for_each_selected(c, ct) {
		g->panel[g->npanel].ct = ct;
		g->panel[g->npanel].width = c->interval_ns;
		g->npanel++;
	}
	g->t_min = UINT64_MAX;
	return 0;
}

/* Halve the resolution of every series of a panel. */
static void hwr_svg_coarsen(struct hwr_svg_panel *p)
{
	uint64_t w = p->width * 2;
	uint32_t j, i, o;

	for (j = 0; j < p->nser; j++) {
		struct hwr_svg_series *se = &p->ser[j];

		for (i = 0, o = 0; i < se->n; i++) {
			struct hwr_svg_pt pt = se->pt[i];

			pt.bin = pt.bin / w * w;
			if (o && se->pt[o - 1].bin == pt.bin) {
				struct hwr_svg_pt *q = &se->pt[o - 1];

				q->sum += pt.sum;
				q->n += pt.n;
				if (pt.min < q->min)
					q->min = pt.min;
				if (pt.max > q->max)
					q->max = pt.max;
			} else {
				se->pt[o++] = pt;
			}
		}
		se->n = o;
	}
	p->width = w;
}

/* A point: the interval's value @v, and for gauges its extremes. */
static int hwr_svg_put(struct hwr_svg_panel *p, uint32_t idx, int cpu,
		       uint64_t t, double v, double lo, double hi)
{
	struct hwr_svg_series *se;
	uint64_t bin;

	if (idx >= p->nser) {
		struct hwr_svg_series *n = realloc(p->ser,
						   (idx + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + p->nser, 0, (idx + 1 - p->nser) * sizeof(*n));
		p->ser = n;
		p->nser = idx + 1;
	}
	se = &p->ser[idx];
	se->cpu = cpu;
	bin = t / p->width * p->width;
	if (se->n && se->pt[se->n - 1].bin == bin) {
		struct hwr_svg_pt *q = &se->pt[se->n - 1];

		q->sum += v;
		q->n++;
		if (lo < q->min)
			q->min = lo;
		if (hi > q->max)
			q->max = hi;
		return 0;
	}
	while (se->n == HWR_SVG_POINTS) {
		hwr_svg_coarsen(p);
		bin = t / p->width * p->width;
		if (se->n && se->pt[se->n - 1].bin == bin)
			return hwr_svg_put(p, idx, cpu, t, v, lo, hi);
	}
	if (se->n == se->cap) {
		uint32_t cap = se->cap ? se->cap * 2 : 4;
		struct hwr_svg_pt *n;

		if (cap > HWR_SVG_POINTS)
			cap = HWR_SVG_POINTS;
		n = realloc(se->pt, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		se->pt = n;
		se->cap = cap;
	}
	se->pt[se->n++] = (struct hwr_svg_pt){ bin, v, lo, hi, 1 };
	return 0;
}

static int hwr_svg_interval(struct hwr_sink *s, const struct hwr_view *c,
			    const struct hwr_interval *iv)
{
	struct hwr_svg *g = s->priv;
	uint64_t t = iv->start_ts >= c->t0 ? iv->start_ts - c->t0 : 0;
	uint32_t i, cpu;
	uint64_t lo, hi;
	double v;
	int ret;

	for (i = 0; i < g->npanel; i++) {
		struct hwr_svg_panel *p = &g->panel[i];
		const struct hwr_series *se;

		if (hwr_counter_value(c, p->ct, &v)) {
			if (!hwr_counter_range(c, p->ct, &lo, &hi))
				lo = hi = 0;
			ret = p->ct->kind == HWSTATS_KIND_GAUGE ?
			      hwr_svg_put(p, 0, -1, t, v, (double)lo, (double)hi) :
			      hwr_svg_put(p, 0, -1, t, v, v, v);
			if (ret)
				return ret;
			g->any = true;
		}
		for (cpu = 0; c->cfg->per_cpu && cpu < c->cpu_cap; cpu++) {
			se = hwr_series_of(c, p->ct, cpu);
			if (!hwr_series_value(c, se, &v))
				continue;
			if (p->ct->kind == HWSTATS_KIND_GAUGE &&
			    hwr_series_range(c, se, &lo, &hi))
				ret = hwr_svg_put(p, 1 + cpu, (int)cpu, t, v,
						  (double)lo, (double)hi);
			else
				ret = hwr_svg_put(p, 1 + cpu, (int)cpu, t, v, v, v);
			if (ret)
				return ret;
		}
	}
	if (t < g->t_min)
		g->t_min = t;
	if (t + iv->len_ns > g->t_max)
		g->t_max = t + iv->len_ns;
	return 0;
}

/* A "nice" step (1, 2 or 5 x 10^k) giving about @n ticks over @range. */
static double hwr_nice_step(double range, int n)
{
	double raw = range / n, mag, f;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	if (f <= 1)
		f = 1;
	else if (f <= 2)
		f = 2;
	else if (f <= 5)
		f = 5;
	else
		f = 10;
	return f * mag;
}

static void hwr_svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

/*
 * An axis label: an SI prefix chosen once for the whole axis (from its
 * largest value, and only from 10000 up, so 1050 stays 1050), and as many
 * decimals as the step needs, so neighbouring labels always differ.
 */
static void hwr_svg_tick(char *buf, size_t len, double v, double step,
			 double amax)
{
	static const char *const pre[] = { "", "k", "M", "G", "T", "P", "E" };
	double scale = 1;
	int i = 0, dec;

	while (amax / scale >= 10000 && i < 6) {
		scale *= 1000;
		i++;
	}
	dec = (int)ceil(-log10(step / scale) - 1e-9);
	if (dec < 0)
		dec = 0;
	if (dec > 6)
		dec = 6;
	snprintf(buf, len, "%.*f%s", dec, v / scale, v ? pre[i] : "");
}

static const char *hwr_svg_color(const struct hwr_svg_series *se, bool multi)
{
	if (se->cpu < 0)
		return multi ? "#222222" : hwr_svg_colors[0];
	return hwr_svg_colors[(unsigned)se->cpu % 10];
}

static void hwr_svg_panel_draw(FILE *f, const struct hwr_view *c,
			       const struct hwr_svg *g,
			       const struct hwr_svg_panel *p, double y0)
{
	const struct hwr_counter *ct = p->ct;
	const double pw = HWR_SVG_W - HWR_SVG_ML - HWR_SVG_MR;
	const double ph = HWR_SVG_PANEL_H - HWR_SVG_MT - HWR_SVG_MB;
	const double px = HWR_SVG_ML, py = y0 + HWR_SVG_MT;
	double tmin = (double)g->t_min / 1e9, tmax = (double)g->t_max / 1e9;
	double lo = INFINITY, hi = -INFINITY, step, t, v, xs;
	bool multi = p->nser > 1, counter = ct->kind == HWSTATS_KIND_COUNTER;
	char buf[64], iv[32];
	uint32_t j, i, nleg = 0;
	int dec;

	for (j = 0; j < p->nser; j++)
		for (i = 0; i < p->ser[j].n; i++) {
			if (p->ser[j].pt[i].min < lo)
				lo = p->ser[j].pt[i].min;
			if (p->ser[j].pt[i].max > hi)
				hi = p->ser[j].pt[i].max;
		}
	if (lo > hi) {
		lo = 0;
		hi = 1;
	}
	/* Rates start at zero; gauges get the range they use, padded. */
	if (counter || (lo >= 0 && lo < (hi - lo) * 0.5))
		lo = lo < 0 ? lo : 0;
	if (hi == lo)
		hi = lo + (lo ? fabs(lo) * 0.1 : 1);
	/* Headroom, so a flat line at the maximum is not hidden in the
	 * frame. */
	hi += (hi - lo) * 0.04;
	step = hwr_nice_step(hi - lo, 5);
	lo = floor(lo / step) * step;
	hi = ceil(hi / step) * step;
	if (!(tmax > tmin))
		tmax = tmin + 1;

#define X(tt) (px + ((tt) - tmin) / (tmax - tmin) * pw)
#define Y(vv) (py + ph - ((vv) - lo) / (hi - lo) * ph)

	/* Title and legend */
	if (p->width == c->interval_ns)
		snprintf(iv, sizeof(iv), "%.6g s", (double)p->width / 1e9);
	else
		snprintf(iv, sizeof(iv), "%.6g s, averaged",
			 (double)p->width / 1e9);
	fprintf(f, "<g>\n<text x=\"%d\" y=\"%.1f\" font-size=\"15\" "
		"font-weight=\"bold\">", HWR_SVG_ML, y0 + 18);
	hwr_svg_text(f, ct->src->name);
	fputc('.', f);
	hwr_svg_text(f, ct->name);
	fprintf(f, " &#8212; %s", counter ? "rate" : "mean, min&#8211;max band");
	fprintf(f, " (");
	hwr_svg_text(f, counter ? ct->rate_unit : ct->unit);
	fprintf(f, ", per %s)</text>\n", iv);
	for (j = 0; j < p->nser; j++) {
		const struct hwr_svg_series *se = &p->ser[j];
		double lx = px + 76.0 * nleg;

		if (!se->n)
			continue;
		if (lx + 76 > px + pw) {
			uint32_t more = 0;

			for (; j < p->nser; j++)
				more += p->ser[j].n != 0;
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" "
				"font-size=\"11\">+%u more</text>\n", lx,
				y0 + 38, more);
			break;
		}
		if (se->cpu < 0)
			snprintf(buf, sizeof(buf), multi ? "all CPUs" : "all");
		else
			snprintf(buf, sizeof(buf), "cpu%d", se->cpu);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s"
			"</text>\n", lx, y0 + 34, lx + 16, y0 + 34,
			hwr_svg_color(se, multi), lx + 20, y0 + 38, buf);
		nleg++;
	}

	/* Frame, grid and ticks */
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
		" fill=\"#ffffff\" stroke=\"#444444\"/>\n", px, py, pw, ph);
	for (v = lo; v <= hi + step / 2; v += step) {
		double y = Y(v);

		hwr_svg_tick(buf, sizeof(buf), fabs(v) < step / 1e6 ? 0 : v,
			     step, fmax(fabs(lo), fabs(hi)));
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#e0e0e0\"/>"
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#444444\"/><text x=\"%.1f\" y=\"%.1f\" "
			"font-size=\"11\" text-anchor=\"end\">%s</text>\n",
			px, y, px + pw, y, px - 5, y, px, y, px - 8, y + 4,
			buf);
	}
	step = hwr_nice_step(tmax - tmin, 8);
	dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	for (t = ceil(tmin / step - 1e-9) * step; t <= tmax + step * 1e-6;
	     t += step) {
		double x = X(t);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#f0f0f0\"/>"
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#444444\"/><text x=\"%.1f\" y=\"%.1f\" "
			"font-size=\"11\" text-anchor=\"middle\">%.*f</text>\n",
			x, py, x, py + ph, x, py + ph, x, py + ph + 5, x,
			py + ph + 18, dec, fabs(t) < step / 1e6 ? 0 : t);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
		"text-anchor=\"middle\">time since start (s)</text>\n",
		px + pw / 2, py + ph + 36);
	fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" "
		"text-anchor=\"middle\" transform=\"rotate(-90 %d %.1f)\">",
		18, py + ph / 2, 18, py + ph / 2);
	hwr_svg_text(f, counter ? ct->rate_unit : ct->unit);
	fputs("</text>\n", f);

	/* Loss, behind the data */
	for (i = 0; i < c->nr_events; i++) {
		const struct hwr_event *ev = &c->events[i];
		double a = hwr_rel_s(c, ev->from_ts), b = hwr_rel_s(c, ev->to_ts);
		char line[256];

		if (ev->kind == HWR_EV_MISSING || ev->kind == HWR_EV_SEQ_BACK)
			continue;
		if (a < tmin)
			a = tmin;
		if (b > tmax)
			b = tmax;
		if (b < a)
			continue;
		xs = X(b) - X(a);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\" fill=\"#d62728\" fill-opacity=\"0.25\">"
			"<title>", X(a), py, xs < 2 ? 2 : xs, ph);
		hwr_fmt_event(line, sizeof(line), c, ev);
		hwr_svg_text(f, line);
		fputs("</title></rect>\n", f);
	}

	/* Data: envelope where bins were merged, then the lines */
	for (j = 0; j < p->nser; j++) {
		const struct hwr_svg_series *se = &p->ser[j];
		double w = (double)p->width / 1e9;
		bool pen = false;

		if (!se->n)
			continue;
		/*
		 * Gauges always: the band is each interval's min to max
		 * (of all CPUs' series only, when CPUs are drawn too: bands
		 * of every CPU on top of each other hide the lines).
		 */
		if (p->width != c->interval_ns ||
		    (ct->kind == HWSTATS_KIND_GAUGE && (se->cpu < 0 || !multi))) {
			fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.15\" "
				"stroke=\"none\" d=\"", hwr_svg_color(se, multi));
			for (i = 0; i < se->n; i++) {
				const struct hwr_svg_pt *q = &se->pt[i];
				double x0 = X((double)q->bin / 1e9);
				double x1 = X((double)q->bin / 1e9 + w);

				fprintf(f, "M%.1f %.1fH%.1fV%.1fH%.1fZ", x0,
					Y(q->max), x1, Y(q->min), x0);
			}
			fputs("\"/>\n", f);
		}
		fprintf(f, "<path fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"%s\" stroke-linejoin=\"round\" d=\"",
			hwr_svg_color(se, multi),
			se->cpu < 0 ? "1.8" : "1.2");
		for (i = 0; i < se->n; i++) {
			const struct hwr_svg_pt *q = &se->pt[i];
			double x = X((double)q->bin / 1e9 + w / 2);

			/* A missing bin breaks the line: no data is not a
			 * straight line between its neighbours. */
			pen = pen && q->bin - se->pt[i - 1].bin <= p->width;
			fprintf(f, "%s%.1f %.1f", pen ? "L" : "M", x,
				Y(q->sum / q->n));
			pen = true;
		}
		fputs("\"/>\n", f);
		/* Lone points would be invisible as a path: dot them. */
		for (i = 0; i < se->n; i++) {
			const struct hwr_svg_pt *q = &se->pt[i];
			bool before = i && q->bin - se->pt[i - 1].bin <=
					   p->width;
			bool after = i + 1 < se->n &&
				     se->pt[i + 1].bin - q->bin <= p->width;

			if (!before && !after)
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" "
					"r=\"2\" fill=\"%s\"/>\n",
					X((double)q->bin / 1e9 + w / 2),
					Y(q->sum / q->n),
					hwr_svg_color(se, multi));
		}
	}
	fputs("</g>\n", f);
#undef X
#undef Y
}

static int hwr_svg_end(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_svg *g = s->priv;
	const struct hws_header *h = &c->files[0].hdr;
	uint32_t i, n = g->npanel ? g->npanel : 1;
	double height = HWR_SVG_TOP + (double)n * HWR_SVG_PANEL_H;
	char wall[64];
	FILE *f = s->f;

	if (g->t_min == UINT64_MAX) {
		g->t_min = 0;
		g->t_max = hwr_duration(c);
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
		"font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n",
		HWR_SVG_W, height, HWR_SVG_W, height);
	hwr_fmt_wall_local(wall, sizeof(wall), hwr_wall_ns(c, c->t0), 3);
	fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"17\" "
		"font-weight=\"bold\">hwstats: ", HWR_SVG_ML);
	hwr_svg_text(f, c->name);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"44\" font-size=\"12\" "
		"fill=\"#555555\">", HWR_SVG_ML);
	{
		char host[80];

		snprintf(host, sizeof(host), "%.*s", (int)sizeof(h->host),
			 h->host);
		hwr_svg_text(f, host);
	}
	fprintf(f, ", started %s; ", wall);
	if (c->lost_total || c->sample_gaps || c->subbuf_gaps)
		fprintf(f, "%" PRIu64 " record%s lost, %" PRIu64
			" sequence gap%s (red bands)", c->lost_total,
			c->lost_total == 1 ? "" : "s",
			c->sample_gaps + c->subbuf_gaps,
			c->sample_gaps + c->subbuf_gaps == 1 ? "" : "s");
	else
		fputs("no loss", f);
	fputs("</text>\n", f);
	if (!g->npanel || !g->any)
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\">"
			"no data in the selection</text>\n", HWR_SVG_ML,
			HWR_SVG_TOP + 40);
	for (i = 0; g->any && i < g->npanel; i++)
		hwr_svg_panel_draw(f, c, g, &g->panel[i],
				   HWR_SVG_TOP + (double)i * HWR_SVG_PANEL_H);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}

static void hwr_svg_free(struct hwr_sink *s)
{
	struct hwr_svg *g = s->priv;
	uint32_t i, j;

	if (!g)
		return;
	for (i = 0; i < g->npanel; i++) {
		for (j = 0; j < g->panel[i].nser; j++)
			free(g->panel[i].ser[j].pt);
		free(g->panel[i].ser);
	}
	free(g->panel);
	free(g);
}

static const struct hwr_sink_ops hwr_svg_ops = {
	.name = "svg",
	.begin = hwr_svg_begin,
	.interval = hwr_svg_interval,
	.end = hwr_svg_end,
	.free = hwr_svg_free,
};

struct hwr_sink *hwr_sink_svg(FILE *f)
{
	return hwr_sink_new(f, &hwr_svg_ops, sizeof(struct hwr_svg));
}
