// SPDX-License-Identifier: MIT
/*
 * summary.c - the engine: records in, in time order; intervals, loss
 * events and a summary out, to the sinks.
 *
 * Memory is bounded by the schema (sources x counters x CPUs) and never
 * by the length of the trace: each series keeps running sums, each gauge
 * a fixed-size quantile sketch, each interval is handed to the sinks and
 * forgotten as soon as time moves past it, and loss events beyond
 * HWR_MAX_EVENTS are counted rather than kept.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"

/*
 * Call @op of every sink that has one, with (sink, ctx, ...); the first
 * error ends the round and is kept with its sink for the message. The one
 * loop over the sinks, for every kind of call.
 */
#define hwr_sinks_call(c, op, ...)					\
({									\
	int ret_ = 0;							\
									\
	for (uint32_t i_ = 0; !ret_ && i_ < (c)->nr_sinks; i_++) {	\
		struct hwr_sink *s_ = (c)->sinks[i_];			\
									\
		if (!s_->ops->op)					\
			continue;					\
		ret_ = s_->ops->op(s_, (c), ##__VA_ARGS__);		\
		if (ret_) {						\
			(c)->sink_err = ret_;				\
			(c)->err_sink = s_;				\
		}							\
	}								\
	ret_;								\
})

/* CPU numbers a footer's totals may name (the format's limit). */
#define HWS_MAX_CPUS_REPORT	65536U

/* Ids up to this get a direct lookup table per file. */
#define HWR_DIRECT_MAX	(1U << 20)

/*
 * A small open-addressing table of (64-bit hash, value) pairs. Equal
 * hashes are not trusted: a lookup walks every entry of that hash and the
 * caller compares. A file's header holds up to ~400000 sources, so every
 * lookup by name or registration must be hashed, never a linear search.
 */
struct hwr_htab {
	uint64_t *key;
	uint32_t *val;
	uint32_t cap, n;
};

static void hwr_htab_free(struct hwr_htab *t)
{
	if (!t)
		return;
	free(t->key);
	free(t->val);
	free(t);
}

static int hwr_htab_put(struct hwr_htab **tp, uint64_t key, uint32_t val);

static int hwr_htab_grow(struct hwr_htab **tp)
{
	struct hwr_htab *t = *tp, *n = calloc(1, sizeof(*n));
	uint32_t i;

	if (!n)
		return -ENOMEM;
	n->cap = t && t->cap ? t->cap * 2 : 64;
	n->key = calloc(n->cap, sizeof(*n->key));
	n->val = calloc(n->cap, sizeof(*n->val));
	if (!n->key || !n->val) {
		hwr_htab_free(n);
		return -ENOMEM;
	}
	*tp = n;
	for (i = 0; t && i < t->cap; i++)
		if (t->key[i])
			(void)hwr_htab_put(tp, t->key[i], t->val[i]);
	hwr_htab_free(t);
	return 0;
}

static uint64_t hwr_hkey(uint64_t h)
{
	h ^= h >> 31;
	h *= 0x9E3779B97F4A7C15ULL;
	h ^= h >> 29;
	return h ? h : 1;	/* 0 marks a free slot */
}

static int hwr_htab_put(struct hwr_htab **tp, uint64_t key, uint32_t val)
{
	struct hwr_htab *t = *tp;
	uint32_t i;

	if (!t || (t->n + 1) * 2 > t->cap) {
		int ret = hwr_htab_grow(tp);

		if (ret)
			return ret;
		t = *tp;
	}
	for (i = (uint32_t)(key >> 32) & (t->cap - 1); t->key[i];
	     i = (i + 1) & (t->cap - 1))
		;
	t->key[i] = key;
	t->val[i] = val;
	t->n++;
	return 0;
}

/*
 * Entries of @key in turn: start with *pos = UINT32_MAX; returns a pointer
 * to the value, NULL at the end.
 */
static uint32_t *hwr_htab_next(struct hwr_htab *t, uint64_t key, uint32_t *pos)
{
	uint32_t i;

	if (!t)
		return NULL;
	i = *pos == UINT32_MAX ? (uint32_t)(key >> 32) & (t->cap - 1) :
	    (*pos + 1) & (t->cap - 1);
	for (; t->key[i]; i = (i + 1) & (t->cap - 1)) {
		if (t->key[i] == key) {
			*pos = i;
			return &t->val[i];
		}
	}
	return NULL;
}

static uint64_t hwr_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001B3ULL;
	return h;
}

static uint64_t hwr_hash_str(uint64_t h, const char *s, size_t max)
{
	return hwr_hash_bytes(h, s, strnlen(s, max) + 0);
}

struct hwr_ctx *hwr_new(const struct hwr_config *cfg)
{
	struct hwr_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->interval_ns = cfg->interval_ns ? cfg->interval_ns :
			 HWR_DEFAULT_INTERVAL;
	c->epoch = 1;
	c->name = "";
	return c;
}

static void hwr_source_free(struct hwr_source *s)
{
	uint32_t i, k;

	if (s->series) {
		for (i = 0; i < s->slot_cap; i++) {
			if (!s->series[i])
				continue;
			for (k = 0; k < s->nr_counters; k++)
				hwr_qsketch_free(s->series[i][k].q);
			free(s->series[i]);
		}
	}
	for (k = 0; s->counters && k < s->nr_counters; k++)
		hwr_qsketch_free(s->counters[k].q);
	free(s->series);
	free(s->counters);
	free(s->next_seq);
	free(s->last_ts);
	free(s->last_reg);
	free(s->regs);
}

void hwr_free(struct hwr_ctx *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < c->nr_sinks; i++) {
		struct hwr_sink *s = c->sinks[i];

		if (s->ops->free)
			s->ops->free(s);
		if (s->close_f && s->f)
			fclose(s->f);
		free(s->path);
		free(s);
	}
	free(c->sinks);
	for (i = 0; i < c->nr_sources; i++)
		hwr_source_free(&c->sources[i]);
	free(c->sources);
	for (i = 0; i < c->nr_files; i++) {
		free(c->files[i].path);
		free(c->files[i].direct);
		free(c->files[i].byid);
	}
	hwr_htab_free(c->src_tab);
	hwr_htab_free(c->base_tab);
	hwr_htab_free(c->reg_tab);
	free(c->files);
	free(c->cpu_last_ts);
	free(c->cpu_samples);
	free(c->cpu_slot);
	free(c->cpu_rotated);
	free(c->cpu_cut);
	free(c->pending);
	free(c->slot_data);
	free(c->sb_next_seq);
	free(c->sb_lost);
	free(c->lost);
	free(c->dirty);
	free(c->dirty_c);
	hwr_patterns_clear(&c->cfg.sources);
	hwr_patterns_clear(&c->cfg.counters);
	hwr_cpuset_clear(&c->cfg.cpus);
	free(c);
}

int hwr_add_sink(struct hwr_ctx *c, struct hwr_sink *s)
{
	struct hwr_sink **n;

	if (!s)
		return -errno;
	n = realloc(c->sinks, (c->nr_sinks + 1) * sizeof(*n));
	if (!n) {
		if (s->ops->free)
			s->ops->free(s);
		if (s->close_f && s->f)
			fclose(s->f);
		free(s->path);
		free(s);
		return -ENOMEM;
	}
	c->sinks = n;
	c->sinks[c->nr_sinks++] = s;
	if (s->ops->record)
		c->want_records = true;
	return 0;
}

static int hwr_grow_u64(uint64_t **p, uint32_t old, uint32_t n, uint64_t fill)
{
	uint64_t *a = realloc(*p, n * sizeof(**p));
	uint32_t i;

	if (!a)
		return -ENOMEM;
	for (i = old; i < n; i++)
		a[i] = fill;
	*p = a;
	return 0;
}

/*
 * Make room for CPU numbers < @n; tables only ever grow. These are the
 * engine's own (a few words per CPU number, at most 65536); what each
 * source keeps per CPU is sized by slots instead (hwr_source_slots()).
 */
static int hwr_grow_cpus(struct hwr_ctx *c, uint32_t n)
{
	uint32_t old = c->cpu_cap, *slot;
	bool *cut;

	if (n <= old)
		return 0;
	if (hwr_grow_u64(&c->cpu_last_ts, old, n, 0) ||
	    hwr_grow_u64(&c->cpu_samples, old, n, 0) ||
	    hwr_grow_u64(&c->sb_next_seq, old, n, UINT64_MAX) ||
	    hwr_grow_u64(&c->sb_lost, old, n, 0) ||
	    hwr_grow_u64(&c->lost, old, n, 0))
		return -ENOMEM;
	if (hwr_grow_u64(&c->cpu_rotated, old, n, 0))
		return -ENOMEM;
	cut = realloc(c->cpu_cut, n * sizeof(*cut));
	if (!cut)
		return -ENOMEM;
	memset(cut + old, 0, (n - old) * sizeof(*cut));
	c->cpu_cut = cut;
	slot = realloc(c->cpu_slot, n * sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	memset(slot + old, 0, (n - old) * sizeof(*slot));
	c->cpu_slot = slot;
	c->cpu_cap = n;
	if (n > c->nr_cpus)
		c->nr_cpus = n;
	return 0;
}

/* The slot of @cpu (< cpu_cap), given one when it first has a sample. */
static int hwr_cpu_slot(struct hwr_ctx *c, uint32_t cpu, uint32_t *slot)
{
	if (!c->cpu_slot[cpu]) {
		if (c->nr_slots == c->cap_slot_data) {
			uint32_t cap = c->cap_slot_data ?
				       c->cap_slot_data * 2 : 8;
			bool *d = realloc(c->slot_data, cap * sizeof(*d));

			if (!d)
				return -ENOMEM;
			memset(d + c->cap_slot_data, 0,
			       (cap - c->cap_slot_data) * sizeof(*d));
			c->slot_data = d;
			c->cap_slot_data = cap;
		}
		c->cpu_slot[cpu] = ++c->nr_slots;
	}
	*slot = c->cpu_slot[cpu] - 1;
	return 0;
}

/* Make room in @s for slots < @n. */
static int hwr_source_slots(struct hwr_source *s, uint32_t n)
{
	uint32_t old = s->slot_cap, k;
	struct hwr_series **rows;

	if (n <= old)
		return 0;
	if (n < 2 * old)
		n = 2 * old;
	rows = realloc(s->series, n * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (k = old; k < n; k++)
		rows[k] = NULL;
	s->series = rows;
	if (hwr_grow_u64(&s->next_seq, old, n, UINT64_MAX) ||
	    hwr_grow_u64(&s->last_ts, old, n, 0) ||
	    hwr_grow_u64(&s->last_reg, old, n, UINT64_MAX))
		return -ENOMEM;
	s->slot_cap = n;
	return 0;
}

static void hwr_copy_name(char *dst, const char *src, size_t n)
{
	/* Header strings are fixed arrays, not always NUL-terminated. */
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* Same name and same schema: one source, whatever its ids. */
static bool hwr_source_same(const struct hwr_source *s,
			    const struct hws_source *hs)
{
	char name[HWSTATS_NAME_LEN + 1];
	uint32_t k;

	hwr_copy_name(name, hs->name, HWSTATS_NAME_LEN);
	if (strcmp(s->base, name) || s->nr_counters != hs->nr_counters)
		return false;
	for (k = 0; k < s->nr_counters; k++) {
		const struct hwr_counter *ct = &s->counters[k];
		uint32_t kind = hs->counters[k].kind == HWSTATS_KIND_COUNTER ?
				HWSTATS_KIND_COUNTER : HWSTATS_KIND_GAUGE;

		hwr_copy_name(name, hs->counters[k].name, HWSTATS_NAME_LEN);
		if (strcmp(ct->name, name) || ct->kind != kind)
			return false;
		hwr_copy_name(name, hs->counters[k].unit, HWSTATS_UNIT_LEN);
		if (strcmp(ct->unit, name))
			return false;
	}
	return true;
}

/* Name and schema: what makes two header sources one. */
static uint64_t hwr_source_key(const struct hws_source *hs)
{
	uint64_t h = hwr_hash_str(0xCBF29CE484222325ULL, hs->name,
				  HWSTATS_NAME_LEN);
	uint32_t k;

	h = hwr_hash_bytes(h, &hs->nr_counters, sizeof(hs->nr_counters));
	for (k = 0; k < hs->nr_counters; k++) {
		uint32_t kind = hs->counters[k].kind == HWSTATS_KIND_COUNTER;

		h = hwr_hash_str(h, hs->counters[k].name, HWSTATS_NAME_LEN);
		h = hwr_hash_bytes(h, "", 1);
		h = hwr_hash_str(h, hs->counters[k].unit, HWSTATS_UNIT_LEN);
		h = hwr_hash_bytes(h, &kind, sizeof(kind));
	}
	return hwr_hkey(h);
}

static struct hwr_source *hwr_source_find(struct hwr_ctx *c,
					  const struct hws_source *hs)
{
	uint64_t key = hwr_source_key(hs);
	uint32_t pos = UINT32_MAX, *v;

	while ((v = hwr_htab_next(c->src_tab, key, &pos)))
		if (*v < c->nr_sources && hwr_source_same(&c->sources[*v], hs))
			return &c->sources[*v];
	return NULL;
}

static uint64_t hwr_reg_hkey(uint32_t src, uint64_t session, uint64_t id)
{
	uint64_t h = hwr_hash_bytes(0xCBF29CE484222325ULL, &src, sizeof(src));

	h = hwr_hash_bytes(h, &session, sizeof(session));
	return hwr_hkey(hwr_hash_bytes(h, &id, sizeof(id)));
}

/* Note a registration (session, id) of source @si; 0 or -ENOMEM. */
static int hwr_source_reg(struct hwr_ctx *c, uint32_t si, uint64_t session,
			  uint32_t id)
{
	struct hwr_source *s = &c->sources[si];
	uint64_t key = hwr_reg_hkey(si, session, id);
	uint64_t skey = hwr_reg_hkey(si, session, UINT64_MAX);
	uint32_t pos = UINT32_MAX, *v;
	bool new_session = true;
	struct hwr_reg *r;
	int ret;

	while ((v = hwr_htab_next(c->reg_tab, key, &pos)))
		if (*v < s->nr_regs && s->regs[*v].session == session &&
		    s->regs[*v].id == id)
			return 0;
	pos = UINT32_MAX;
	while (new_session && (v = hwr_htab_next(c->reg_tab, skey, &pos)))
		if (*v < s->nr_regs && s->regs[*v].session == session)
			new_session = false;
	r = realloc(s->regs, (s->nr_regs + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	s->regs = r;
	s->regs[s->nr_regs].session = session;
	s->regs[s->nr_regs].id = id;
	ret = hwr_htab_put(&c->reg_tab, key, s->nr_regs);
	if (!ret && new_session)
		ret = hwr_htab_put(&c->reg_tab, skey, s->nr_regs);
	if (ret)
		return ret;
	s->nr_reg_sessions += new_session;
	s->nr_regs++;
	return 0;
}

/* How many sources before @si have its base name; @si counts from now. */
static int hwr_source_base(struct hwr_ctx *c, uint32_t si, uint32_t *before)
{
	struct hwr_source *s = &c->sources[si];
	uint64_t key = hwr_hkey(hwr_hash_str(0xCBF29CE484222325ULL, s->base,
					     sizeof(s->base)));
	uint32_t pos = UINT32_MAX, *v;

	while ((v = hwr_htab_next(c->base_tab, key, &pos))) {
		struct hwr_source *first = &c->sources[*v];

		if (*v < si && !strcmp(first->base, s->base)) {
			*before = first->nr_same_base++;
			return 0;
		}
	}
	*before = 0;
	s->nr_same_base = 1;
	return hwr_htab_put(&c->base_tab, key, si);
}

static int hwr_source_init(struct hwr_source *s, const struct hws_source *hs)
{
	uint32_t k;

	memset(s, 0, sizeof(*s));
	s->id = hs->id;
	s->nr_counters = hs->nr_counters;
	hwr_copy_name(s->base, hs->name, HWSTATS_NAME_LEN);
	memcpy(s->name, s->base, sizeof(s->name));
	s->counters = calloc(hs->nr_counters ? hs->nr_counters : 1,
			     sizeof(*s->counters));
	if (!s->counters)
		return -ENOMEM;
	for (k = 0; k < hs->nr_counters; k++) {
		struct hwr_counter *ct = &s->counters[k];

		ct->index = k;
		/* A kind this version does not know is reported as levels:
		 * taking differences of it could invent rates. */
		ct->kind = hs->counters[k].kind == HWSTATS_KIND_COUNTER ?
			   HWSTATS_KIND_COUNTER : HWSTATS_KIND_GAUGE;
		hwr_copy_name(ct->name, hs->counters[k].name,
			      HWSTATS_NAME_LEN);
		hwr_copy_name(ct->unit, hs->counters[k].unit,
			      HWSTATS_UNIT_LEN);
		snprintf(ct->rate_unit, sizeof(ct->rate_unit), "%s/s",
			 ct->unit[0] ? ct->unit : "1");
	}
	return 0;
}

int hwr_add_file(struct hwr_ctx *c, const char *path,
		 const struct hws_header *hdr)
{
	struct hwr_file *files, *f;
	uint32_t i, maxid = 0;
	int ret;

	files = realloc(c->files, (c->nr_files + 1) * sizeof(*files));
	if (!files)
		return -ENOMEM;
	c->files = files;
	f = &files[c->nr_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	f->hdr = *hdr;
	f->session = c->nr_files;
	for (i = 0; i < c->nr_files; i++)
		if (c->files[i].hdr.session_id == hdr->session_id) {
			f->session = c->files[i].session;
			break;
		}
	c->nr_files++;
	if (c->nr_files == 1)
		c->name = f->path;

	/*
	 * Time zero is the session start, the earliest of a rotated set;
	 * relative times in every output and in --from/--to count from it.
	 */
	if (c->nr_files == 1 || hdr->start_boot_ns < c->t0) {
		c->t0 = hdr->start_boot_ns;
		c->real_off = (int64_t)(hdr->start_real_ns -
					hdr->start_boot_ns);
	}
	if (hdr->nr_cpus > c->nr_cpus)
		c->nr_cpus = hdr->nr_cpus;

	for (i = 0; i < hdr->nr_sources; i++) {
		const struct hws_source *hs = &hdr->sources[i];
		struct hwr_source *ns, *s;
		uint32_t same_base = 0;

		if (hs->id > maxid)
			maxid = hs->id;
		/*
		 * Sources are merged by name and schema: the files of one
		 * session, and a source registered again (new id) as long as
		 * its schema is the same. Another schema under a known name
		 * (a new driver version) is another source, named NAME#2 ...
		 */
		s = hwr_source_find(c, hs);
		if (!s && c->nr_sources == c->cap_sources) {
			uint32_t cap = c->cap_sources ? c->cap_sources * 2 : 16;

			ns = realloc(c->sources, cap * sizeof(*ns));
			if (!ns)
				return -ENOMEM;
			c->sources = ns;
			c->cap_sources = cap;
		}
		if (!s) {
			s = &c->sources[c->nr_sources];
			ret = hwr_source_init(s, hs);
			if (ret)
				return ret;
			c->nr_sources++;
			ret = hwr_htab_put(&c->src_tab, hwr_source_key(hs),
					   c->nr_sources - 1);
			if (!ret)
				ret = hwr_source_base(c, c->nr_sources - 1,
						      &same_base);
			if (ret)
				return ret;
			if (same_base)
				snprintf(s->name, sizeof(s->name), "%.*s#%u",
					 HWSTATS_NAME_LEN - 4, s->base,
					 same_base + 1);
		}
		ret = hwr_source_reg(c, (uint32_t)(s - c->sources),
				     hdr->session_id, hs->id);
		if (ret)
			return ret;
	}
	if (hdr->nr_sources && maxid < HWR_DIRECT_MAX) {
		f->ndirect = maxid + 1;
		f->direct = calloc(f->ndirect, sizeof(*f->direct));
		if (!f->direct)
			return -ENOMEM;
	}
	return 0;
}

static int hwr_idsrc_cmp(const void *a, const void *b)
{
	const struct hwr_idsrc *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Fill each file's id table, now that c->sources no longer moves. */
static int hwr_map_sources(struct hwr_ctx *c)
{
	uint32_t fi, i;

	for (fi = 0; fi < c->nr_files; fi++) {
		struct hwr_file *f = &c->files[fi];

		if (!f->direct && f->hdr.nr_sources) {
			f->byid = calloc(f->hdr.nr_sources, sizeof(*f->byid));
			if (!f->byid)
				return -ENOMEM;
			f->nbyid = f->hdr.nr_sources;
		}
		for (i = 0; i < f->hdr.nr_sources; i++) {
			const struct hws_source *hs = &f->hdr.sources[i];
			struct hwr_source *src = hwr_source_find(c, hs);

			if (f->direct) {
				/* the first of a duplicated id wins */
				if (!f->direct[hs->id])
					f->direct[hs->id] = src;
			} else {
				f->byid[i].id = hs->id;
				f->byid[i].src = src;
			}
		}
		if (f->byid)
			qsort(f->byid, f->nbyid, sizeof(*f->byid),
			      hwr_idsrc_cmp);
	}
	return 0;
}

static struct hwr_source *hwr_lookup_slow(struct hwr_ctx *c, uint32_t file,
					  uint32_t id)
{
	const struct hwr_file *f = &c->files[file];
	struct hwr_idsrc key = { .id = id }, *e;

	if (f->direct)
		return id < f->ndirect ? f->direct[id] : NULL;
	if (!f->byid)
		return NULL;
	e = bsearch(&key, f->byid, f->nbyid, sizeof(*f->byid), hwr_idsrc_cmp);
	/* the first of a duplicated id, as with the direct table */
	while (e && e > f->byid && e[-1].id == id)
		e--;
	return e ? e->src : NULL;
}

static inline struct hwr_source *hwr_lookup(struct hwr_ctx *c, uint32_t file,
					    uint32_t id)
{
	if (c->last_src && c->last_id == id && c->last_file == file)
		return c->last_src;
	c->last_src = hwr_lookup_slow(c, file, id);
	c->last_id = id;
	c->last_file = file;
	return c->last_src;
}

static int hwr_resolve_time(struct hwr_ctx *c)
{
	int ret;

	c->from_ts = 0;
	c->to_ts = UINT64_MAX;
	if (c->cfg.from.kind) {
		ret = hwr_time_resolve(&c->cfg.from, c->t0, c->real_off,
				       &c->from_ts);
		if (ret)
			return ret;
		c->time_selected = true;
	}
	if (c->cfg.to.kind) {
		ret = hwr_time_resolve(&c->cfg.to, c->t0, c->real_off,
				       &c->to_ts);
		if (ret)
			return ret;
		c->time_selected = true;
	}
	return 0;
}

int hwr_begin(struct hwr_ctx *c, const char **bad)
{
	uint32_t i, k, total = 0, nsel_c = 0;
	int ret;

	*bad = NULL;
	ret = hwr_map_sources(c);
	if (ret)
		return ret;
	for (i = 0; i < c->nr_sources; i++) {
		struct hwr_source *s = &c->sources[i];

		s->selected = hwr_patterns_match(&c->cfg.sources, s->name,
						 NULL);
		for (k = 0; k < s->nr_counters; k++) {
			struct hwr_counter *ct = &s->counters[k];
			char full[2 * HWSTATS_NAME_LEN + 2];

			ct->src = s;
			snprintf(full, sizeof(full), "%s.%s", s->name,
				 ct->name);
			/* A counter pattern only counts as used where its
			 * source is selected. */
			ct->selected = s->selected &&
				hwr_patterns_match(&c->cfg.counters, ct->name,
						   full);
			if (!ct->selected)
				continue;
			s->nr_selected++;
			if (ct->kind == HWSTATS_KIND_GAUGE) {
				ct->q = hwr_qsketch_new();
				if (!ct->q)
					return -ENOMEM;
			}
		}
		/* A source none of whose counters is picked drops out. */
		if (s->selected && c->cfg.counters.n && !s->nr_selected)
			s->selected = false;
		if (s->selected) {
			total += s->nr_counters;
			nsel_c += s->nr_selected;
		}
	}
	for (i = 0; i < c->cfg.sources.n; i++) {
		if (!c->cfg.sources.used[i]) {
			*bad = c->cfg.sources.pat[i];
			return -ENOENT;
		}
	}
	for (i = 0; i < c->cfg.counters.n; i++) {
		if (!c->cfg.counters.used[i]) {
			*bad = c->cfg.counters.pat[i];
			return -ENOENT;
		}
	}
	ret = hwr_resolve_time(c);
	if (ret)
		return ret;
	c->b_base = c->cfg.from.kind ? c->from_ts : c->t0;
	/*
	 * Per-CPU state grows with the CPUs records come from, never to what
	 * a header claims (a file may claim 65536 CPUs and hold one).
	 */
	ret = hwr_grow_cpus(c, 1);
	if (ret)
		return ret;
	c->cap_dirty = total + 16;
	c->dirty = calloc(c->cap_dirty, sizeof(*c->dirty));
	c->cap_dirty_c = nsel_c + 1;
	c->dirty_c = calloc(c->cap_dirty_c, sizeof(*c->dirty_c));
	if (!c->dirty || !c->dirty_c)
		return -ENOMEM;
	c->first_ts = UINT64_MAX;
	return hwr_sinks_call(c, begin);
}

static int hwr_dirty_grow(struct hwr_ctx *c)
{
	uint32_t n = c->cap_dirty * 2 + 16;
	struct hwr_series **d = realloc(c->dirty, n * sizeof(*d));

	if (!d)
		return -ENOMEM;
	c->dirty = d;
	c->cap_dirty = n;
	return 0;
}

static int hwr_sinks_call_event(struct hwr_ctx *c, const struct hwr_event *ev)
{
	return hwr_sinks_call(c, event, ev);
}

static int hwr_event(struct hwr_ctx *c, const struct hwr_event *ev)
{
	switch (ev->kind) {
	case HWR_EV_LOST:
		c->lost[ev->cpu] += ev->count;
		break;
	case HWR_EV_SAMPLE_GAP:
		c->sample_gaps++;
		c->sample_gap_records += ev->count;
		break;
	case HWR_EV_SUBBUF_GAP:
		c->subbuf_gaps++;
		c->subbuf_gap_count += ev->count;
		break;
	case HWR_EV_SEQ_BACK:
		c->seq_backwards++;
		break;
	case HWR_EV_MISSING:
		c->missing += ev->count;
		break;
	}
	if (c->nr_events < HWR_MAX_EVENTS)
		c->events[c->nr_events++] = *ev;
	else
		c->events_dropped++;
	return hwr_sinks_call_event(c, ev);
}

/* Hand the open interval to the sinks, then forget it. */
static int hwr_close_interval(struct hwr_ctx *c)
{
	struct hwr_interval iv = {
		.start_ts = c->b_start,
		.len_ns = c->interval_ns,
	};
	uint32_t i;
	int ret;

	if (!c->b_open)
		return 0;
	iv.index = (c->b_start - c->b_base) / c->interval_ns;
	for (i = 0; i < c->nr_dirty; i++) {
		struct hwr_series *s = c->dirty[i];
		struct hwr_counter *ct = s->ctr;

		hwr_series_close_interval(s, ct->kind);
		if (ct->epoch != c->epoch) {
			ct->epoch = c->epoch;
			ct->b_rate = 0;
			ct->b_sum = (struct hwr_sum){ 0, 0 };
			ct->b_n = 0;
			ct->b_min = UINT64_MAX;
			ct->b_max = 0;
			ct->b_valid = false;
			c->dirty_c[c->nr_dirty_c++] = ct;
		}
		if (ct->kind == HWSTATS_KIND_COUNTER) {
			if (s->b_valid) {
				ct->b_rate += s->b_value;
				ct->b_valid = true;
			}
		} else {
			hwr_sum_merge(&ct->b_sum, &s->b_sum);
			ct->b_n += s->b_n;
			if (s->b_n && s->b_min < ct->b_min)
				ct->b_min = s->b_min;
			if (s->b_n && s->b_max > ct->b_max)
				ct->b_max = s->b_max;
		}
	}
	for (i = 0; i < c->nr_dirty_c; i++) {
		struct hwr_counter *ct = c->dirty_c[i];

		if (ct->kind == HWSTATS_KIND_COUNTER) {
			ct->b_value = ct->b_rate;
			if (ct->b_valid && ct->b_value > ct->peak)
				ct->peak = ct->b_value;
		} else if (ct->b_n) {
			ct->b_value = hwr_sum_mean(&ct->b_sum, ct->b_n);
			ct->b_valid = true;
		}
	}
	if (c->cfg.need_intervals && c->nr_dirty) {
		ret = hwr_sinks_call(c, interval, &iv);
		if (ret)
			return ret;
	}
	c->nr_intervals += c->nr_dirty != 0;
	c->nr_dirty = 0;
	c->nr_dirty_c = 0;
	c->epoch++;
	c->b_open = false;
	return 0;
}

static int hwr_open_interval(struct hwr_ctx *c, uint64_t ts)
{
	uint64_t k;
	int ret;

	ret = hwr_close_interval(c);
	if (ret)
		return ret;
	/* Intervals are aligned to the time zero (or --from): rows read
	 * 1.000, 2.000, ... and two reports of one trace line up. */
	k = ts > c->b_base ? (ts - c->b_base) / c->interval_ns : 0;
	c->b_start = c->b_base + k * c->interval_ns;
	c->b_end = c->b_start + c->interval_ns;
	if (c->b_end < c->b_start)
		c->b_end = UINT64_MAX;
	c->b_open = true;
	return 0;
}

static struct hwr_series *hwr_row(struct hwr_ctx *c, struct hwr_source *s,
				  uint32_t slot)
{
	struct hwr_series *row;
	uint32_t k;

	row = calloc(s->nr_counters ? s->nr_counters : 1, sizeof(*row));
	if (!row)
		return NULL;
	for (k = 0; k < s->nr_counters; k++) {
		row[k].ctr = &s->counters[k];
		row[k].selected = s->counters[k].selected;
		if (row[k].selected && c->cfg.per_cpu &&
		    s->counters[k].kind == HWSTATS_KIND_GAUGE) {
			row[k].q = hwr_qsketch_new();
			if (!row[k].q) {
				while (k--)
					hwr_qsketch_free(row[k].q);
				free(row);
				return NULL;
			}
		}
	}
	s->series[slot] = row;
	c->slot_data[slot] = true;
	return row;
}

static int hwr_sinks_record(struct hwr_ctx *c, const struct hwstats_rec *rec,
			    uint32_t cpu, const struct hwr_source *src)
{
	return hwr_sinks_call(c, record, rec, cpu, src);
}

static int hwr_subbuf(struct hwr_ctx *c, const struct hwstats_rec *rec,
		      uint32_t cpu, bool in_range)
{
	const struct hwstats_subbuf_hdr *h = (const void *)rec;
	uint64_t prev_ts = c->cpu_last_ts[cpu] ? c->cpu_last_ts[cpu] : c->t0;
	int ret;

	if (rec->len < sizeof(*h)) {
		c->malformed++;
		return 0;
	}
	c->subbufs += in_range;
	if (c->sb_next_seq[cpu] == UINT64_MAX) {
		/*
		 * First header of this CPU. Without a time selection the
		 * stream must start at sub-buffer 0 with nothing lost; with
		 * one (and a seek past earlier chunks), it starts wherever
		 * it starts, and only what changes from here on counts.
		 */
		c->sb_next_seq[cpu] = c->time_selected ? h->seq : 0;
		c->sb_lost[cpu] = c->time_selected ? h->lost : 0;
		/*
		 * The recorder drains from the session's first sub-buffer:
		 * a later one first means the files start after the session
		 * did (a ring deleted the older ones, or an overwriting
		 * buffer dropped them). Its history starts here; what came
		 * before, dropped records included, is not loss in it.
		 */
		if (!c->time_selected && h->seq) {
			c->cpu_cut[cpu] = true;
			c->sb_next_seq[cpu] = h->seq;
			c->sb_lost[cpu] = h->lost;
		}
	}
	if (in_range && h->seq > c->sb_next_seq[cpu]) {
		struct hwr_event ev = {
			.kind = HWR_EV_SUBBUF_GAP,
			.cpu = cpu,
			.count = h->seq - c->sb_next_seq[cpu],
			.seq_from = c->sb_next_seq[cpu],
			.from_ts = prev_ts,
			.to_ts = rec->ts,
		};

		ret = hwr_event(c, &ev);
		if (ret)
			return ret;
	}
	c->sb_next_seq[cpu] = h->seq + 1;
	/*
	 * The lost count is cumulative per CPU for the session; records
	 * were dropped while the buffer was full, i.e. after the last
	 * record this CPU wrote and before this header.
	 */
	if (in_range && h->lost > c->sb_lost[cpu]) {
		struct hwr_event ev = {
			.kind = HWR_EV_LOST,
			.cpu = cpu,
			.count = h->lost - c->sb_lost[cpu],
			.from_ts = prev_ts,
			.to_ts = rec->ts,
		};

		ret = hwr_event(c, &ev);
		if (ret)
			return ret;
	}
	c->sb_lost[cpu] = h->lost;
	return 0;
}

/* A registration of a source: its session and its id. */
static inline uint64_t hwr_reg_key(const struct hwr_ctx *c, uint32_t file,
				   uint32_t id)
{
	return (uint64_t)c->files[file].session << 32 | id;
}

/*
 * The source was registered again, or a new session began, on a CPU: the
 * next sample starts its sequence afresh. Counters keep their history: a
 * counter that restarted from zero shows as a reset, one that went on (a
 * new session of the same registration) goes on.
 */
static void hwr_source_restart(struct hwr_source *s, uint32_t slot)
{
	s->next_seq[slot] = UINT64_MAX;
}

/* First touch of @se in the open interval: onto the engine's dirty list. */
static inline int hwr_touch(struct hwr_ctx *c, struct hwr_series *se)
{
	if (!hwr_series_touch(se, c->epoch))
		return 0;
	if (__builtin_expect(c->nr_dirty == c->cap_dirty, 0)) {
		int ret = hwr_dirty_grow(c);

		if (ret)
			return ret;
	}
	c->dirty[c->nr_dirty++] = se;
	return 0;
}

static int hwr_pending_add(struct hwr_ctx *c, const struct hwr_event *ev)
{
	if (c->nr_pending == c->cap_pending) {
		uint32_t cap = c->cap_pending ? c->cap_pending * 2 : 16;
		struct hwr_event *p = realloc(c->pending, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->pending = p;
		c->cap_pending = cap;
	}
	c->pending[c->nr_pending++] = *ev;
	return 0;
}

/*
 * Sample sequences that began above 0: on a CPU whose history starts late
 * (hwr_subbuf()) those samples were rotated out with the older files;
 * elsewhere they are lost, as always.
 */
static int hwr_start_gaps(struct hwr_ctx *c)
{
	uint32_t i;
	int ret;

	for (i = 0; i < c->nr_pending; i++) {
		struct hwr_event *ev = &c->pending[i];
		struct hwr_source *s = (struct hwr_source *)ev->src;

		if (c->cpu_cut[ev->cpu]) {
			c->cpu_rotated[ev->cpu] += ev->count;
			c->rotated_out += ev->count;
			continue;
		}
		s->gaps++;
		s->gap_records += ev->count;
		ret = hwr_event(c, ev);
		if (ret)
			return ret;
	}
	c->nr_pending = 0;
	if (c->rotated_out) {
		c->history_ts = c->first_ts;
		c->history_file = c->first_file;
	}
	return 0;
}

static int hwr_sample(struct hwr_ctx *c, const struct hwstats_rec *rec,
		      uint32_t cpu, uint32_t file, bool in_range)
{
	const struct hwstats_sample *sm = (const void *)rec;
	struct hwr_source *s;
	struct hwr_series *row;
	uint32_t count, i, first, slot;
	bool first_ever;
	uint64_t ts = rec->ts;
	int ret;

	if (__builtin_expect(rec->len < sizeof(*sm), 0)) {
		c->malformed++;
		return 0;
	}
	c->samples += in_range;
	c->cpu_samples[cpu]++;
	s = hwr_lookup(c, file, rec->source);
	if (__builtin_expect(!s, 0)) {
		c->unknown_source++;
		return 0;
	}
	if (!s->selected)
		return 0;
	ret = hwr_cpu_slot(c, cpu, &slot);
	if (!ret)
		ret = hwr_source_slots(s, slot + 1);
	if (ret)
		return ret;

	/*
	 * Another registration of the source on this CPU (registered again,
	 * or a new session): its sequence numbers start afresh.
	 */
	first_ever = s->last_reg[slot] == UINT64_MAX;
	if (__builtin_expect(s->last_reg[slot] !=
			     hwr_reg_key(c, file, rec->source), 0)) {
		if (s->last_reg[slot] != UINT64_MAX)
			hwr_source_restart(s, slot);
		s->last_reg[slot] = hwr_reg_key(c, file, rec->source);
	}

	/* Sequence: any gap is records lost between these two. */
	if (__builtin_expect(sm->seq != s->next_seq[slot], 0)) {
		uint64_t expect = s->next_seq[slot];

		if (expect == UINT64_MAX)
			/* First sight: without a time selection the seq
			 * must start at 0, or the start is missing. */
			expect = c->time_selected ? sm->seq : 0;
		if (in_range && sm->seq != expect) {
			struct hwr_event ev = {
				.kind = sm->seq > expect ? HWR_EV_SAMPLE_GAP :
					HWR_EV_SEQ_BACK,
				.cpu = cpu,
				.src = s,
				.count = sm->seq > expect ?
					 sm->seq - expect : expect - sm->seq,
				.seq_from = sm->seq > expect ? expect : sm->seq,
				.from_ts = s->last_ts[slot] ? s->last_ts[slot] :
					   c->t0,
				.to_ts = ts,
			};

			if (first_ever && !c->time_selected &&
			    sm->seq > expect) {
				/* the set may start after the session:
				 * decided at the end (hwr_start_gaps()) */
				ret = hwr_pending_add(c, &ev);
				if (ret)
					return ret;
				goto seen;
			}
			if (sm->seq > expect) {
				s->gaps++;
				s->gap_records += ev.count;
			} else {
				s->seq_backwards++;
			}
			ret = hwr_event(c, &ev);
			if (ret)
				return ret;
		}
	}
seen:
	s->next_seq[slot] = sm->seq + 1;
	s->last_ts[slot] = ts;
	if (!in_range)
		return 0;

	if (c->want_records) {
		ret = hwr_sinks_record(c, rec, cpu, s);
		if (ret)
			return ret;
	}
	c->sel_last_ts = ts;
	c->sel_samples++;

	if (__builtin_expect(ts >= c->b_end || !c->b_open, 0)) {
		ret = hwr_open_interval(c, ts);
		if (ret)
			return ret;
	}
	row = s->series[slot];
	if (__builtin_expect(!row, 0)) {
		row = hwr_row(c, s, slot);
		if (!row)
			return -ENOMEM;
	}
	first = sm->first;
	count = (rec->len - (uint32_t)sizeof(*sm)) / 8;
	if (__builtin_expect(first >= s->nr_counters ||
			     count > s->nr_counters - first, 0)) {
		/* Values past the schema: keep the ones it describes. */
		s->malformed++;
		if (first >= s->nr_counters)
			return 0;
		count = s->nr_counters - first;
	}
	row += first;
	for (i = 0; i < count; i++) {
		struct hwr_series *se = &row[i];
		uint64_t v = sm->value[i];

		if (!se->selected)
			continue;
		if (__builtin_expect(se->epoch != c->epoch, 0)) {
			ret = hwr_touch(c, se);
			if (ret)
				return ret;
		}
		if (se->ctr->kind == HWSTATS_KIND_COUNTER) {
			hwr_series_counter(se, ts, v);
		} else {
			hwr_series_gauge(se, ts, v);
			ret = hwr_qsketch_add_inline(se->ctr->q, v);
			if (!ret && se->q)
				ret = hwr_qsketch_add_inline(se->q, v);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int hwr_feed(struct hwr_ctx *c, const struct hwstats_rec *rec, uint32_t cpu,
	     uint32_t file)
{
	uint64_t ts = rec->ts;
	bool in_range;
	int ret = 0;

	if (__builtin_expect(cpu >= c->cpu_cap, 0)) {
		ret = hwr_grow_cpus(c, cpu + 1);
		if (ret)
			return ret;
	}
	/*
	 * Records come in time order, so past --to nothing more is wanted;
	 * but a CPU's records keep their order even if a timestamp jumps,
	 * so one wild timestamp must not end the report: stop only after a
	 * long run of records that all lie past --to.
	 */
	if (ts >= c->to_ts) {
		if (++c->past_to >= HWR_STOP_AFTER)
			return 1;
		return 0;
	}
	c->past_to = 0;
	in_range = ts >= c->from_ts;
	/* What the trace holds in the time selected, whatever the CPU. */
	if (in_range) {
		c->records++;
		if (ts < c->first_ts) {
			c->first_ts = ts;
			c->first_file = file;
		}
		if (ts > c->last_ts)
			c->last_ts = ts;
	}

	if (!hwr_cpuset_has(&c->cfg.cpus, cpu)) {
		if (rec->type == HWSTATS_REC_SAMPLE)
			c->samples += in_range;
		else if (rec->type == HWSTATS_REC_SUBBUF)
			c->subbufs += in_range;
		goto out;
	}
	switch (rec->type) {
	case HWSTATS_REC_SAMPLE:
		ret = hwr_sample(c, rec, cpu, file, in_range);
		break;
	case HWSTATS_REC_SUBBUF:
		ret = hwr_subbuf(c, rec, cpu, in_range);
		if (!ret && in_range && c->want_records)
			ret = hwr_sinks_record(c, rec, cpu, NULL);
		break;
	case HWSTATS_REC_PAD:
		c->pads += in_range;
		break;
	default:
		c->unknown += in_range;
		if (in_range && c->want_records)
			ret = hwr_sinks_record(c, rec, cpu, NULL);
		break;
	}
out:
	c->cpu_last_ts[cpu] = ts;
	return ret;
}

void hwr_set_file_end(struct hwr_ctx *c, uint32_t file,
		      const struct hws_cpu_totals *totals, uint32_t nr_totals,
		      const struct hws_damage *damage, uint32_t nr_damage)
{
	struct hwr_file *f = &c->files[file];

	f->totals = totals;
	f->nr_totals = nr_totals;
	f->damage = damage;
	f->nr_damage = nr_damage;
}

/* Loss the headers could not show: only the footer knows it. */
static int hwr_footer_loss(struct hwr_ctx *c)
{
	uint64_t *kern_lost, *kern_records;
	uint32_t fi, i;
	int ret = 0;

	/* CPUs the footers count, even if no record of them is left */
	for (fi = 0; fi < c->nr_files; fi++)
		for (i = 0; i < c->files[fi].nr_totals; i++)
			if (c->files[fi].totals[i].cpu >= c->cpu_cap &&
			    c->files[fi].totals[i].cpu < HWS_MAX_CPUS_REPORT &&
			    (c->files[fi].totals[i].records ||
			     c->files[fi].totals[i].lost)) {
				ret = hwr_grow_cpus(c,
					c->files[fi].totals[i].cpu + 1);
				if (ret)
					return ret;
			}
	kern_lost = calloc(c->cpu_cap, sizeof(uint64_t));
	kern_records = calloc(c->cpu_cap, sizeof(uint64_t));
	if (!kern_lost || !kern_records) {
		ret = -ENOMEM;
		goto out;
	}
	/* Totals are cumulative for the session: a rotated set's newest
	 * footer has the largest; take the largest per CPU. */
	for (fi = 0; fi < c->nr_files; fi++) {
		const struct hwr_file *f = &c->files[fi];

		for (i = 0; i < f->nr_totals; i++) {
			const struct hws_cpu_totals *t = &f->totals[i];

			if (t->cpu >= c->cpu_cap)
				continue;
			if (t->lost > kern_lost[t->cpu])
				kern_lost[t->cpu] = t->lost;
			if (t->records > kern_records[t->cpu])
				kern_records[t->cpu] = t->records;
		}
	}
	for (i = 0; i < c->cpu_cap; i++) {
		uint64_t end = c->last_ts ? c->last_ts : c->t0;

		if (!hwr_cpuset_has(&c->cfg.cpus, i))
			continue;
		if (kern_lost[i] > c->sb_lost[i]) {
			struct hwr_event ev = {
				.kind = HWR_EV_LOST,
				.cpu = i,
				.count = kern_lost[i] - c->sb_lost[i],
				.from_ts = c->cpu_last_ts[i] ?
					   c->cpu_last_ts[i] : c->t0,
				.to_ts = end,
			};

			ret = hwr_event(c, &ev);
			if (ret)
				goto out;
		}
		/* records rotated out are not in the files, as expected */
		if (kern_records[i] > c->cpu_samples[i] + c->cpu_rotated[i]) {
			struct hwr_event ev = {
				.kind = HWR_EV_MISSING,
				.cpu = i,
				.count = kern_records[i] - c->cpu_samples[i] -
					 c->cpu_rotated[i],
				.from_ts = c->t0,
				.to_ts = end,
			};

			ret = hwr_event(c, &ev);
			if (ret)
				goto out;
		}
	}
out:
	free(kern_lost);
	free(kern_records);
	return ret;
}

/* @order: the slots in CPU order, so that sums add up as they always did */
static void hwr_counter_stats(const struct hwr_ctx *c, struct hwr_counter *ct,
			      const uint32_t *order)
{
	struct hwr_stats *st = &ct->st;
	struct hwr_source *s = ct->src;
	struct hwr_sum sum = { 0, 0 };
	uint32_t k;

	memset(st, 0, sizeof(*st));
	st->min = UINT64_MAX;
	for (k = 0; k < c->nr_slots; k++) {
		const struct hwr_series *se;
		uint32_t slot = order[k];

		if (slot >= s->slot_cap || !s->series[slot])
			continue;
		se = &s->series[slot][ct->index];
		if (!se->n)
			continue;
		if (!st->n || se->first_ts < st->first_ts)
			st->first_ts = se->first_ts;
		if (se->last_ts > st->last_ts)
			st->last_ts = se->last_ts;
		st->n += se->n;
		if (ct->kind == HWSTATS_KIND_COUNTER) {
			st->increase += se->increase;
			if (se->span_ns)
				st->mean_rate += (double)se->increase * 1e9 /
						 (double)se->span_ns;
			st->wraps += se->wraps;
			st->resets += se->resets;
		} else {
			if (se->min < st->min)
				st->min = se->min;
			if (se->max > st->max)
				st->max = se->max;
			hwr_sum_merge(&sum, &se->sum);
		}
	}
	if (!st->n)
		st->min = 0;
	if (ct->kind == HWSTATS_KIND_COUNTER) {
		st->peak_rate = ct->peak;
	} else if (st->n) {
		st->mean = hwr_sum_mean(&sum, st->n);
		st->p50 = hwr_qsketch_quantile(ct->q, 0.50);
		st->p95 = hwr_qsketch_quantile(ct->q, 0.95);
		st->p99 = hwr_qsketch_quantile(ct->q, 0.99);
		st->q_exact = hwr_qsketch_exact(ct->q);
	}
}

int hwr_finish(struct hwr_ctx *c)
{
	struct hwr_counter *ct;
	uint32_t i, k, *order;
	int ret;

	if (c->finished)
		return 0;
	c->finished = true;
	ret = hwr_close_interval(c);
	if (ret)
		return ret;
	if (c->first_ts == UINT64_MAX)
		c->first_ts = 0;
	ret = hwr_start_gaps(c);
	if (ret)
		return ret;
	/* The footer speaks for the whole trace, so only without --from
	 * or --to can it add to what the headers showed. */
	if (!c->time_selected) {
		ret = hwr_footer_loss(c);
		if (ret)
			return ret;
	}
	for (i = 0; i < c->cpu_cap; i++)
		c->lost_total += c->lost[i];
	for (i = 0; i < c->nr_files; i++)
		c->nr_damage += c->files[i].nr_damage;
	order = malloc((c->nr_slots ? c->nr_slots : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (i = 0, k = 0; i < c->cpu_cap; i++)
		if (c->cpu_slot[i])
			order[k++] = c->cpu_slot[i] - 1;
	for (ct = hwr_next_selected(c, NULL); ct;
	     ct = hwr_next_selected(c, ct))
		hwr_counter_stats(c, ct, order);
	free(order);
	return hwr_sinks_call(c, end);
}

/* ------------------------------------------------------------------ */
/* For the sinks                                                      */

struct hwr_counter *hwr_next_selected(const struct hwr_ctx *c,
				      const struct hwr_counter *ct)
{
	uint32_t si = 0, k = 0;

	if (ct) {
		si = (uint32_t)(ct->src - c->sources);
		k = ct->index + 1;
	}
	for (; si < c->nr_sources; si++, k = 0) {
		struct hwr_source *s = &c->sources[si];

		for (; s->selected && k < s->nr_counters; k++)
			if (s->counters[k].selected)
				return &s->counters[k];
	}
	return NULL;
}

void hwr_fmt_rel(char *buf, size_t len, const struct hwr_ctx *c, uint64_t ts,
		 int decimals)
{
	uint64_t d, div = 1;
	const char *sign = "";
	int i;

	if (ts >= c->t0) {
		d = ts - c->t0;
	} else {
		d = c->t0 - ts;
		sign = "-";
	}
	if (decimals > 9)
		decimals = 9;
	for (i = decimals; i < 9; i++)
		div *= 10;
	/* Round half up to the decimals shown. */
	d = (d + div / 2) / div;
	if (decimals <= 0)
		snprintf(buf, len, "%s%" PRIu64, sign, d);
	else
		snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64, sign,
			 d / (HWR_NS_PER_SEC / div), decimals,
			 d % (HWR_NS_PER_SEC / div));
}

uint64_t hwr_wall_ns(const struct hwr_ctx *c, uint64_t ts)
{
	/* Unsigned: the offset comes from a header and may be anything. */
	return ts + (uint64_t)c->real_off;
}

const char *hwr_kind_name(uint32_t kind)
{
	return kind == HWSTATS_KIND_COUNTER ? "counter" :
	       kind == HWSTATS_KIND_GAUGE ? "gauge" : "unknown";
}

const char *hwr_event_name(uint32_t kind)
{
	switch (kind) {
	case HWR_EV_LOST: return "lost";
	case HWR_EV_SAMPLE_GAP: return "sample_gap";
	case HWR_EV_SUBBUF_GAP: return "subbuf_gap";
	case HWR_EV_SEQ_BACK: return "seq_backwards";
	case HWR_EV_MISSING: return "missing";
	}
	return "unknown";
}

const char *hwr_damage_name(uint32_t kind)
{
	switch (kind) {
	case HWS_DAMAGE_TRUNCATED: return "truncated";
	case HWS_DAMAGE_CHECKSUM: return "checksum";
	case HWS_DAMAGE_CORRUPT: return "corrupt";
	case HWS_DAMAGE_NO_FOOTER: return "no_footer";
	}
	return "unknown";
}

void hwr_fmt_event(char *buf, size_t len, const struct hwr_ctx *c,
		   const struct hwr_event *ev)
{
	char a[32], b[32];

	hwr_fmt_rel(a, sizeof(a), c, ev->from_ts, 6);
	hwr_fmt_rel(b, sizeof(b), c, ev->to_ts, 6);
	switch (ev->kind) {
	case HWR_EV_LOST:
		snprintf(buf, len, "%s .. %s s  cpu%u  %" PRIu64
			 " records dropped by the kernel (buffer full)",
			 a, b, ev->cpu, ev->count);
		break;
	case HWR_EV_SAMPLE_GAP:
		snprintf(buf, len, "%s .. %s s  cpu%u  %s: %" PRIu64
			 " sample records missing (seq %" PRIu64 "..%" PRIu64
			 ")", a, b, ev->cpu, ev->src ? ev->src->name : "?",
			 ev->count, ev->seq_from, ev->seq_from + ev->count - 1);
		break;
	case HWR_EV_SUBBUF_GAP:
		snprintf(buf, len, "%s .. %s s  cpu%u  %" PRIu64
			 " sub-buffers missing (seq %" PRIu64 "..%" PRIu64 ")",
			 a, b, ev->cpu, ev->count, ev->seq_from,
			 ev->seq_from + ev->count - 1);
		break;
	case HWR_EV_SEQ_BACK:
		snprintf(buf, len, "%s .. %s s  cpu%u  %s: sample seq went back"
			 " by %" PRIu64 " (to %" PRIu64 "): overlapping files"
			 " or a new session", a, b, ev->cpu,
			 ev->src ? ev->src->name : "?", ev->count,
			 ev->seq_from);
		break;
	case HWR_EV_MISSING:
		snprintf(buf, len, "%s .. %s s  cpu%u  %" PRIu64
			 " records the kernel wrote are not in the files",
			 a, b, ev->cpu, ev->count);
		break;
	default:
		snprintf(buf, len, "%s .. %s s  cpu%u  unknown event", a, b,
			 ev->cpu);
	}
}

uint64_t hwr_duration(const struct hwr_ctx *c)
{
	uint64_t start = c->time_selected && c->from_ts > c->t0 ?
			 c->from_ts : c->t0;
	uint64_t end = c->time_selected ? c->sel_last_ts : c->last_ts;

	return end > start ? end - start : 0;
}

bool hwr_cpu_has_data(const struct hwr_ctx *c, uint32_t cpu)
{
	if (cpu >= c->cpu_cap || !c->cpu_slot[cpu])
		return false;
	return c->slot_data[c->cpu_slot[cpu] - 1];
}

uint32_t hwr_source_registrations(const struct hwr_source *s)
{
	/* Registrations within sessions: each session's first is not new. */
	return s->nr_regs - s->nr_reg_sessions + 1;
}
