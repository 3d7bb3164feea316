// SPDX-License-Identifier: MIT
/*
 * out_dump.c - every record on one line, in time order, as blkparse
 * prints a block trace:
 *
 *       0.010000000   0  SAMPLE  sim      seq=0 ticks=0 counter1=195 ...
 *       0.250000000   1  SUBBUF  seq=3 lost=0 used=0 size=262144
 *
 * time (s from the session start), CPU, type, then what the type holds;
 * a sample names each value by its counter. The --cpu, --source,
 * --counter, --from and --to filters apply.
 *
 * A dump of a long trace is big, so lines are built by hand into one
 * buffer and written in one call, without printf's format parsing per
 * value.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"


struct hwr_dump {
	char *buf;
	size_t cap;
};

static size_t hwr_dump_time(char *p, const struct hwr_view *c, uint64_t ts)
{
	char tmp[32];
	size_t n = 0, w, i;
	uint64_t d;

	if (ts >= c->t0) {
		d = ts - c->t0;
	} else {
		d = c->t0 - ts;
		tmp[n++] = '-';
	}
	n += hwr_u64_dec(tmp + n, d / HWR_NS_PER_SEC);
	tmp[n++] = '.';
	d %= HWR_NS_PER_SEC;
	for (i = 0; i < 9; i++) {
		tmp[n + 8 - i] = (char)('0' + d % 10);
		d /= 10;
	}
	n += 9;
	/* Right-aligned in 14 columns, as blkparse aligns its times. */
	w = n < 14 ? 14 - n : 0;
	memset(p, ' ', w);
	memcpy(p + w, tmp, n);
	return w + n;
}

static size_t hwr_put(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return n;
}

static int hwr_dump_record(struct hwr_sink *s, const struct hwr_view *c,
			   const struct hwstats_rec *rec, uint32_t cpu,
			   const struct hwr_source *src)
{
	struct hwr_dump *d = s->priv;
	char *p = d->buf, num[24];
	size_t n;

	p += hwr_dump_time(p, c, rec->ts);
	n = (size_t)snprintf(num, sizeof(num), " %3u  ", cpu);
	memcpy(p, num, n);
	p += n;
	if (rec->type == HWSTATS_REC_SAMPLE && src) {
		const struct hwstats_sample *sm = (const void *)rec;
		uint32_t count = (rec->len - (uint32_t)sizeof(*sm)) / 8, i;
		size_t nl = strlen(src->name);

		p += hwr_put(p, "SAMPLE  ");
		memcpy(p, src->name, nl);
		p += nl;
		for (; nl < 8; nl++)
			*p++ = ' ';
		p += hwr_put(p, " seq=");
		p += hwr_u64_dec(p, sm->seq);
		if (sm->first) {
			p += hwr_put(p, " first=");
			p += hwr_u64_dec(p, sm->first);
		}
		for (i = 0; i < count; i++) {
			uint32_t k = sm->first + i;

			if (k < src->nr_counters) {
				if (!src->counters[k].selected)
					continue;
				*p++ = ' ';
				p += hwr_put(p, src->counters[k].name);
			} else {
				/* Beyond the schema: show it, by index. */
				p += hwr_put(p, " #");
				p += hwr_u64_dec(p, k);
			}
			*p++ = '=';
			p += hwr_u64_dec(p, sm->value[i]);
		}
	} else if (rec->type == HWSTATS_REC_SUBBUF &&
		   rec->len >= sizeof(struct hwstats_subbuf_hdr)) {
		const struct hwstats_subbuf_hdr *h = (const void *)rec;

		p += hwr_put(p, "SUBBUF  seq=");
		p += hwr_u64_dec(p, h->seq);
		p += hwr_put(p, " lost=");
		p += hwr_u64_dec(p, h->lost);
		p += hwr_put(p, " used=");
		p += hwr_u64_dec(p, h->used);
		p += hwr_put(p, " size=");
		p += hwr_u64_dec(p, h->subbuf_size);
		if (h->magic != HWSTATS_SUBBUF_MAGIC)
			p += hwr_put(p, " BAD-MAGIC");
	} else {
		p += hwr_put(p, "TYPE");
		p += hwr_u64_dec(p, rec->type);
		p += hwr_put(p, "   len=");
		p += hwr_u64_dec(p, rec->len);
		p += hwr_put(p, " source=");
		p += hwr_u64_dec(p, rec->source);
	}
	*p++ = '\n';
	if (fwrite(d->buf, 1, (size_t)(p - d->buf), s->f) !=
	    (size_t)(p - d->buf))
		return -EIO;
	return 0;
}

static int hwr_dump_begin(struct hwr_sink *s, const struct hwr_view *c)
{
	struct hwr_dump *d = s->priv;
	size_t longest = 0;
	uint32_t i, k;

	/*
	 * Worst line: a record of HWSTATS_REC_MAX_LEN holds 8189 values;
	 * each prints as a name, '=', 20 digits and a space.
	 */
	for (i = 0; i < c->nr_sources; i++)
		for (k = 0; k < c->sources[i].nr_counters; k++) {
			size_t l = strlen(c->sources[i].counters[k].name);

			if (l > longest)
				longest = l;
		}
	if (longest < 8)
		longest = 8;
	d->cap = 256 + (HWSTATS_REC_MAX_LEN / 8) * (longest + 24);
	d->buf = malloc(d->cap);
	return d->buf ? 0 : -ENOMEM;
}

static int hwr_dump_end(struct hwr_sink *s, const struct hwr_view *c)
{
	(void)c;
	return fflush(s->f) || ferror(s->f) ? -EIO : 0;
}

static void hwr_dump_free(struct hwr_sink *s)
{
	struct hwr_dump *d = s->priv;

	if (d)
		free(d->buf);
	free(d);
}

static const struct hwr_sink_ops hwr_dump_ops = {
	.name = "dump",
	.begin = hwr_dump_begin,
	.record = hwr_dump_record,
	.end = hwr_dump_end,
	.free = hwr_dump_free,
};

struct hwr_sink *hwr_sink_dump(FILE *f)
{
	return hwr_sink_new(f, &hwr_dump_ops, sizeof(struct hwr_dump));
}
