// SPDX-License-Identifier: MIT
/*
 * The record-stream generator described in hws_gen.h. A xorshift PRNG keeps
 * the output identical on every machine and libc.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hws_gen.h"

enum gen_kind { GEN_MONO, GEN_CONST, GEN_BURSTY, GEN_GAUGE };

struct gen_counter {
	enum gen_kind kind;
	uint32_t k;		/* step bits (mono), walk step (gauge) */
	uint64_t value;
	uint64_t lo, hi;	/* gauge range */
};

struct gen_source {
	uint32_t id;
	uint32_t nr;
	uint64_t seq;
	struct gen_counter *c;
};

struct hws_gen {
	struct hws_gen_opts o;
	uint64_t rng;
	uint32_t nr_sources;
	struct gen_source *src;

	uint64_t tick_ts;
	uint64_t ticks;
	bool in_tick;
	uint32_t next_src;	/* next source to sample in this tick */
	uint64_t subbuf_seq;
	uint32_t subbuf_used;
	uint64_t lost;
	bool started;
	uint32_t drop;		/* samples still to drop */

	/* the next record, made but not yet handed out */
	uint8_t staged[HWSTATS_REC_MAX_LEN + 8];
	size_t staged_len;
	uint64_t staged_ts;
	/* the record hws_gen_fill() hands out next */
	uint8_t pending[HWSTATS_REC_MAX_LEN + 8];
	size_t pending_len;
	uint64_t pending_ts;

	uint64_t records;
	uint64_t last_ts;
};

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t seed_of(uint64_t s)
{
	/* splitmix64, so that close seeds give unrelated streams */
	s += 0x9E3779B97F4A7C15ULL;
	s = (s ^ (s >> 30)) * 0xBF58476D1CE4E5B9ULL;
	s = (s ^ (s >> 27)) * 0x94D049BB133111EBULL;
	s ^= s >> 31;
	return s ? s : 1;
}

struct hws_gen *hws_gen_new(const struct hws_gen_opts *opts)
{
	struct hws_gen *g = calloc(1, sizeof(*g));
	uint64_t srng;

	if (!g)
		return NULL;
	g->o = *opts;
	if (!g->o.schema_seed)
		g->o.schema_seed = g->o.seed;
	if (!g->o.min_counters)
		g->o.min_counters = 4;
	if (!g->o.max_counters)
		g->o.max_counters = 32;
	if (g->o.max_counters < g->o.min_counters)
		g->o.max_counters = g->o.min_counters;
	if (!g->o.period_ns)
		g->o.period_ns = 1000000;
	if (!g->o.jitter_ns)
		g->o.jitter_ns = 3000;
	else if (g->o.jitter_ns == ~0ULL)
		g->o.jitter_ns = 0;
	if (!g->o.start_ns)
		g->o.start_ns = 1000000000000ULL;
	if (!g->o.subbuf_size)
		g->o.subbuf_size = 256 * 1024;
	g->rng = seed_of(g->o.seed * 31 + g->o.cpu);
	srng = seed_of(g->o.schema_seed);

	g->nr_sources = g->o.nr_sources ? g->o.nr_sources
					 : 1 + (uint32_t)(rnd(&srng) % 4);
	g->src = calloc(g->nr_sources, sizeof(*g->src));
	if (!g->src)
		goto err;
	for (uint32_t i = 0; i < g->nr_sources; i++) {
		struct gen_source *s = &g->src[i];
		uint32_t span = g->o.max_counters - g->o.min_counters + 1;

		s->id = i + 1;
		s->nr = g->o.min_counters + (uint32_t)(rnd(&srng) % span);
		s->c = calloc(s->nr, sizeof(*s->c));
		if (!s->c)
			goto err;
		for (uint32_t j = 0; j < s->nr; j++) {
			struct gen_counter *c = &s->c[j];
			uint32_t r = (uint32_t)(rnd(&srng) % 100);

			if (r < 50) {
				c->kind = GEN_MONO;
				c->k = 4 + (uint32_t)(rnd(&srng) % 9);
			} else if (r < 65) {
				c->kind = GEN_CONST;
			} else if (r < 80) {
				c->kind = GEN_BURSTY;
			} else {
				c->kind = GEN_GAUGE;
				c->k = 1U << (rnd(&srng) % 9);
			}
		}
	}
	/* Initial values depend on the CPU: counters since boot. */
	for (uint32_t i = 0; i < g->nr_sources; i++) {
		struct gen_source *s = &g->src[i];

		s->seq = g->o.first_seq;
		for (uint32_t j = 0; j < s->nr; j++) {
			struct gen_counter *c = &s->c[j];

			if (c->kind == GEN_GAUGE) {
				c->lo = rnd(&g->rng) % 1000000;
				c->hi = c->lo + 1000 + rnd(&g->rng) % 100000;
				c->value = (c->lo + c->hi) / 2;
			} else {
				c->value = rnd(&g->rng) >> 24;
			}
		}
	}
	g->tick_ts = g->o.start_ns;
	return g;
err:
	hws_gen_free(g);
	return NULL;
}

void hws_gen_free(struct hws_gen *g)
{
	if (!g)
		return;
	if (g->src)
		for (uint32_t i = 0; i < g->nr_sources; i++)
			free(g->src[i].c);
	free(g->src);
	free(g);
}

/* Record fields are little-endian. */
static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static void gen_step(struct hws_gen *g, struct gen_counter *c)
{
	uint64_t r = rnd(&g->rng);

	switch (c->kind) {
	case GEN_MONO:
		c->value += r & ((1ULL << c->k) - 1);
		break;
	case GEN_CONST:
		break;
	case GEN_BURSTY:
		if ((r & 15) == 0)
			c->value += (r >> 8) & 0xffff;
		break;
	case GEN_GAUGE: {
		uint64_t span = 2ULL * c->k + 1;
		int64_t step = (int64_t)((r >> 8) % span) - (int64_t)c->k;
		int64_t v = (int64_t)c->value + step;

		if (v < (int64_t)c->lo)
			v = (int64_t)c->lo;
		if (v > (int64_t)c->hi)
			v = (int64_t)c->hi;
		c->value = (uint64_t)v;
		break;
	}
	}
}

/* A sample (or an unknown-type record) into g->staged; 0 if dropped. */
static size_t gen_make(struct hws_gen *g)
{
	uint8_t *r = g->staged;
	struct gen_source *s;
	uint64_t ts;
	size_t len;

	if (!g->in_tick) {
		if (g->ticks) {
			int64_t j = 0;

			if (g->o.jitter_ns)
				j = (int64_t)(rnd(&g->rng) %
					      (2 * g->o.jitter_ns + 1)) -
				    (int64_t)g->o.jitter_ns;
			g->tick_ts += g->o.period_ns + (uint64_t)j;
		}
		g->ticks++;
		g->in_tick = true;
		if (g->o.extra_types && g->ticks % g->o.extra_types == 0) {
			/* an unknown record type, as a newer module may send */
			memset(r, 0, 40);
			put16(r, 1000);
			put16(r + 2, 40);
			put32(r + 4, 77);
			put64(r + 8, g->tick_ts);
			put64(r + 16, g->ticks);
			put64(r + 24, rnd(&g->rng));
			g->staged_ts = g->tick_ts;
			return 40;
		}
	}
	s = &g->src[g->next_src];
	ts = g->tick_ts + g->next_src * 800 + (rnd(&g->rng) & 63);
	if (++g->next_src == g->nr_sources) {
		g->next_src = 0;
		g->in_tick = false;
	}
	for (uint32_t j = 0; j < s->nr; j++)
		gen_step(g, &s->c[j]);
	if (g->drop) {
		/* dropped by a full buffer: seq moves on, nothing is written */
		g->drop--;
		s->seq++;
		g->lost++;
		return 0;
	}
	len = 32 + 8 * (size_t)s->nr;
	put16(r, HWSTATS_REC_SAMPLE);
	put16(r + 2, (uint16_t)len);
	put32(r + 4, s->id);
	put64(r + 8, ts);
	put64(r + 16, s->seq++);
	put32(r + 24, 0);
	put32(r + 28, 0);
	for (uint32_t j = 0; j < s->nr; j++)
		put64(r + 32 + 8 * j, s->c[j].value);
	g->staged_ts = ts;
	return len;
}

/* The next record into g->pending. */
static void gen_next(struct hws_gen *g)
{
	uint8_t *r = g->pending;

	while (!g->staged_len)
		g->staged_len = gen_make(g);
	if (!g->started || g->subbuf_used + g->staged_len > g->o.subbuf_size) {
		/* a sub-buffer switch: the new sub-buffer's header first */
		if (g->started) {
			g->subbuf_seq++;
			if (g->o.loss_every &&
			    g->subbuf_seq % g->o.loss_every == 0)
				g->drop = 1 + (uint32_t)(rnd(&g->rng) % 7);
		}
		g->started = true;
		memset(r, 0, 48);
		put16(r, HWSTATS_REC_SUBBUF);
		put16(r + 2, 48);
		put32(r + 4, g->o.cpu);
		put64(r + 8, g->staged_ts);
		put32(r + 16, HWSTATS_SUBBUF_MAGIC);
		put32(r + 20, g->o.cpu);
		put64(r + 24, g->subbuf_seq);
		put64(r + 32, g->lost);
		put32(r + 40, 0);
		put32(r + 44, g->o.subbuf_size);
		g->pending_len = 48;
		g->pending_ts = g->staged_ts;
		g->subbuf_used = 48;
		return;
	}
	memcpy(r, g->staged, g->staged_len);
	g->pending_len = g->staged_len;
	g->pending_ts = g->staged_ts;
	g->subbuf_used += (uint32_t)g->staged_len;
	g->staged_len = 0;
}

size_t hws_gen_fill(struct hws_gen *g, void *buf, size_t cap)
{
	uint8_t *out = buf;
	size_t n = 0;

	for (;;) {
		if (!g->pending_len)
			gen_next(g);
		if (g->pending_len > cap - n)
			break;
		memcpy(out + n, g->pending, g->pending_len);
		n += g->pending_len;
		g->last_ts = g->pending_ts;
		g->records++;
		g->pending_len = 0;
	}
	return n;
}

uint64_t hws_gen_records(const struct hws_gen *g)
{
	return g->records;
}

uint64_t hws_gen_last_ts(const struct hws_gen *g)
{
	return g->last_ts;
}

static void gen_name(char *dst, size_t size, const char *pfx, uint32_t i)
{
	char tmp[64];
	size_t n = 0;

	/* no snprintf: the names must not depend on the locale */
	while (*pfx && n < sizeof(tmp) - 12)
		tmp[n++] = *pfx++;
	{
		char d[12];
		int k = 0;

		do {
			d[k++] = (char)('0' + i % 10);
			i /= 10;
		} while (i);
		while (k)
			tmp[n++] = d[--k];
	}
	tmp[n] = 0;
	strncpy(dst, tmp, size - 1);
	dst[size - 1] = 0;
}

int hws_gen_header(const struct hws_gen *g, uint32_t nr_cpus,
		   struct hws_header *h)
{
	static const char *const units[] = { "packets", "bytes", "events",
					     "ns", "celsius" };

	memset(h, 0, sizeof(*h));
	strcpy(h->host, "testhost");
	strcpy(h->kernel, "6.1.0-test-amd64");
	strcpy(h->module_version, "0.1.0");
	h->nr_cpus = nr_cpus;
	h->subbuf_size = g->o.subbuf_size;
	h->n_subbufs = 8;
	h->session_id = 42;
	h->period_ns = g->o.period_ns;
	h->start_boot_ns = g->o.start_ns;
	h->start_real_ns = 1700000000000000000ULL;
	h->sources = calloc(g->nr_sources, sizeof(*h->sources));
	if (!h->sources)
		return -ENOMEM;
	h->nr_sources = g->nr_sources;
	for (uint32_t i = 0; i < g->nr_sources; i++) {
		const struct gen_source *s = &g->src[i];
		struct hws_source *d = &h->sources[i];

		d->id = s->id;
		d->nr_counters = s->nr;
		gen_name(d->name, sizeof(d->name), "dev", i);
		d->counters = calloc(s->nr, sizeof(*d->counters));
		if (!d->counters) {
			hws_gen_header_free(h);
			return -ENOMEM;
		}
		for (uint32_t j = 0; j < s->nr; j++) {
			struct hws_counter *c = &d->counters[j];

			gen_name(c->name, sizeof(c->name), "counter_", j);
			strcpy(c->unit, units[s->c[j].kind == GEN_GAUGE ? 4 : j % 4]);
			c->kind = s->c[j].kind == GEN_GAUGE ? HWSTATS_KIND_GAUGE
							    : HWSTATS_KIND_COUNTER;
		}
	}
	return 0;
}

void hws_gen_header_free(struct hws_header *h)
{
	if (!h->sources)
		return;
	for (uint32_t i = 0; i < h->nr_sources; i++)
		free(h->sources[i].counters);
	free(h->sources);
	h->sources = NULL;
	h->nr_sources = 0;
}
