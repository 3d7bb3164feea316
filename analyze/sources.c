// SPDX-License-Identifier: MIT
/*
 * sources.c - cross-file source identity: sources merged across files and
 * ids by name and schema, their registrations, each file's ids mapped to
 * the merged sources, and the --source/--counter selection.
 *
 * Everything here is looked up by hash, never by a linear search: a 16
 * MiB header can hold 400,000 sources.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

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

/* What @s holds of its own as the engine feeds it: its series and counters
 * (with their sketches) and its per-slot sequence state. */
void hwr_source_free_state(struct hwr_source *s)
{
	uint32_t i, k;

	for (i = 0; s->series && i < s->slot_cap; i++) {
		if (!s->series[i])
			continue;
		for (k = 0; k < s->nr_counters; k++)
			hwr_qsketch_free(s->series[i][k].q);
		free(s->series[i]);
	}
	for (k = 0; s->counters && k < s->nr_counters; k++)
		hwr_qsketch_free(s->counters[k].q);
	free(s->series);
	free(s->counters);
	free(s->next_seq);
	free(s->last_ts);
	free(s->last_reg);
}

static void hwr_source_free(struct hwr_source *s)
{
	hwr_source_free_state(s);
	free(s->regs);
}

/* Make room in @s for slots < @n. */
int hwr_source_slots(struct hwr_source *s, uint32_t n)
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
	if (hdr->nr_cpus > c->v.nr_cpus)
		c->v.nr_cpus = hdr->nr_cpus;

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
int hwr_map_sources(struct hwr_ctx *c)
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

struct hwr_source *hwr_lookup_slow(struct hwr_ctx *c, uint32_t file,
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

void hwr_sources_free(struct hwr_ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->nr_sources; i++)
		hwr_source_free(&c->sources[i]);
	free(c->sources);
	for (i = 0; i < c->nr_files; i++) {
		free(c->files[i].path);
		free(c->files[i].direct);
		free(c->files[i].byid);
	}
	free(c->files);
	hwr_htab_free(c->src_tab);
	hwr_htab_free(c->base_tab);
	hwr_htab_free(c->reg_tab);
}

int hwr_select(struct hwr_ctx *c, uint32_t *total, uint32_t *nsel,
	       const char **bad)
{
	uint32_t i, k;

	*total = 0;
	*nsel = 0;
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
			*total += s->nr_counters;
			*nsel += s->nr_selected;
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
	return 0;
}
