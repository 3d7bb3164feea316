// SPDX-License-Identifier: MIT
/*
 * Sources and schemas: which sources a file describes, and the check
 * before each append that every record's source is described in the file
 * it goes to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

static int rec_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Copy every id the recorder knows into this CPU's sorted list. */
static bool rec_ids_have(const uint32_t *ids, uint32_t n, uint32_t id)
{
	while (n--)
		if (ids[n] == id)
			return true;
	return false;
}

static int rec_known_refresh(struct rec_cpu *c)
{
	struct rec *r = c->r;
	uint32_t n = r->nr_src + r->nr_absent, i;
	uint32_t *k = realloc(c->known, (n ? n : 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	for (i = 0; i < r->nr_src; i++)
		k[i] = r->src[i].id;
	memcpy(k + r->nr_src, r->absent, r->nr_absent * sizeof(*k));
	qsort(k, n, sizeof(*k), rec_cmp_u32);
	c->known = k;
	c->nr_known = n;
	c->known_gen = r->src_gen;
	c->last_id = 0;
	return 0;
}

/*
 * A source id not described yet: a source registered after the start (the
 * session samples every source), or between listing and starting. Ask the
 * module for its schema, keep it for the next files' headers and describe
 * it in the current file. Ids are never reused, so the schema is that
 * source's. Caller holds wlock for writing.
 */
static int rec_learn_source(struct rec *r, uint32_t id)
{
	struct hws_source s = { 0 }, *ns;
	uint32_t i, *na;
	int ret;

	for (i = 0; i < r->nr_src; i++)
		if (r->src[i].id == id)
			return 0;
	for (i = 0; i < r->nr_absent; i++)
		if (r->absent[i] == id)
			return 0;
	ret = hwsdev_schema(r->dev, id, &s);
	if (ret) {
		free(s.counters);
		if (ret == -ENOMEM)
			return ret;
		/* Kept in the file all the same, as records of an unknown source. */
		hwsdev_err("source id %u: no schema (%s); its records are kept without names",
			   id, ret == -ENOENT ? "it is gone and the session did not sample it" :
			   strerror(-ret));
		na = realloc(r->absent, (r->nr_absent + 1) * sizeof(*na));
		if (!na)
			return -ENOMEM;
		r->absent = na;
		r->absent[r->nr_absent++] = id;
		return 0;
	}
	ns = realloc(r->src, (r->nr_src + 1) * sizeof(*ns));
	if (!ns) {
		free(s.counters);
		return -ENOMEM;
	}
	r->src = ns;
	r->src[r->nr_src++] = s;
	r->hdr.sources = r->src;
	r->hdr.nr_sources = r->nr_src;
	return r->w ? hws_writer_add_source(r->w, &s) : -EBADF;
}

/*
 * The first sample of these records whose source this CPU has not seen
 * described, or 0. The drain's walk asks it of each sample as it passes;
 * c->known changes only under c->lock, which the caller holds.
 */
uint32_t rec_source_unknown(struct rec_cpu *c, uint32_t id)
{
	if (id == c->last_id)
		return 0;
	if (!c->nr_known ||
	    !bsearch(&id, c->known, c->nr_known, sizeof(id), rec_cmp_u32))
		return id;
	c->last_id = id;
	return 0;
}

static uint32_t rec_unknown_source(struct rec_cpu *c, const char *p,
				   size_t len)
{
	size_t off = 0;

	while (off + sizeof(struct hwstats_rec) <= len) {
		const struct hwstats_rec *h = (const void *)(p + off);
		uint32_t id;

		off += h->len;
		if (h->type != HWSTATS_REC_SAMPLE)
			continue;
		id = rec_source_unknown(c, h->source);
		if (id)
			return id;
	}
	return 0;
}

/* Caller holds wlock: the file cannot go away under the look. */
static void rec_check_size(struct rec *r)
{
	if (r->o.rotate_size && r->w &&
	    hws_writer_file_bytes(r->w) >= r->o.rotate_size)
		rec_size_reached(r);
}

/*
 * Append whole records, every source of them described in the file first:
 * @p is a whole record stream and @unknown what rec_source_unknown() said
 * of its first sample of a source not known, or 0 (the caller's one walk).
 * The usual case takes wlock for reading. A source met late, or a table
 * pruned by a rotation, takes it alone until the records are appended: the
 * descriptions and the records then go to the same file, and a rotation
 * cannot leave a file describing sources whose records went to the next.
 */
int rec_append(struct rec_cpu *c, const char *p, size_t len, uint32_t unknown)
{
	struct rec *r = c->r;
	uint32_t id;
	int ret;

	pthread_rwlock_rdlock(&r->wlock);
	if (c->known_gen == r->src_gen && !unknown) {
		/* the drain's walk checked the stream and the sources */
		ret = r->w ? hwsi_writer_append_checked(r->w, c->cpu, p, len) :
			     -EBADF;
		rec_check_size(r);
		pthread_rwlock_unlock(&r->wlock);
		return ret;
	}
	pthread_rwlock_unlock(&r->wlock);

	pthread_rwlock_wrlock(&r->wlock);
	for (;;) {
		if (c->known_gen == r->src_gen) {
			id = rec_unknown_source(c, p, len);
			if (!id)
				break;
			ret = rec_learn_source(r, id);
			if (ret)
				goto out;
		}
		/* Copy the table again: pruned, or @id added to it. */
		ret = rec_known_refresh(c);
		if (ret)
			goto out;
	}
	ret = r->w ? hwsi_writer_append_checked(r->w, c->cpu, p, len) : -EBADF;
	rec_check_size(r);
out:
	pthread_rwlock_unlock(&r->wlock);
	return ret;
}

/* Resolve --sources names to ids; every name must exist. */
static int rec_select_names(struct rec *r)
{
	char *copy = strdup(r->o.sources), *save = NULL, *name;
	uint32_t *out = calloc(r->nr_src ? r->nr_src : 1, sizeof(*out));
	uint32_t n = 0, i;

	if (!copy || !out) {
		free(copy);
		free(out);
		hwsdev_err("out of memory");
		return -ENOMEM;
	}
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < r->nr_src; i++)
			if (!strcmp(r->src[i].name, name))
				break;
		if (i == r->nr_src) {
			hwsdev_err("--sources: no source named '%s' is registered", name);
			free(copy);
			free(out);
			return -ENOENT;
		}
		if (n < r->nr_src && !rec_ids_have(out, n, r->src[i].id))
			out[n++] = r->src[i].id;
	}
	free(copy);
	if (!n) {
		free(out);
		hwsdev_err("--sources: empty list");
		return -EINVAL;
	}
	r->ids = out;
	r->nr_ids = n;
	return 0;
}


static bool rec_selected(const struct rec *r, uint32_t id)
{
	return !r->ids || bsearch(&id, r->ids, r->nr_ids, sizeof(id),
				  rec_cmp_u32);
}

/*
 * Keep in @src what a header describes: the selected sources (--sources),
 * as many as fit in a header frame (16 MiB). Those left out are described
 * through source frames when their first records come, as a source
 * registered later is. Returns how many stay; the rest are freed.
 */
static uint32_t rec_sources_fit(const struct rec *r, struct hws_source *src,
				uint32_t nr)
{
	struct hws_header h = r->hdr;
	uint32_t i, n = 0;

	for (i = 0; i < nr; i++) {
		if (rec_selected(r, src[i].id))
			src[n++] = src[i];
		else
			free(src[i].counters);
	}
	h.sources = src;
	h.nr_sources = n;
	if (!h.nr_cpus)		/* checked before the session says how many */
		h.nr_cpus = 1;
	while (n && hws_writer_header_check(&h) == -E2BIG) {
		free(src[--n].counters);
		h.nr_sources = n;
	}
	return n;
}

/*
 * Resolve --sources, then keep only the sources that the first file's
 * header describes. -ENOENT or -EINVAL: a bad --sources (one line said
 * so); -ENOMEM.
 */
int rec_select_sources(struct rec *r)
{
	int ret;

	if (r->o.sources) {
		ret = rec_select_names(r);
		if (ret)
			return ret;
		qsort(r->ids, r->nr_ids, sizeof(*r->ids), rec_cmp_u32);
	}
	r->nr_src = rec_sources_fit(r, r->src, r->nr_src);
	r->hdr.sources = r->src;
	r->hdr.nr_sources = r->nr_src;
	return 0;
}

/*
 * A new file describes the sources registered now, not every one met so
 * far: a driver reloaded every minute for a month must not grow every
 * header (and the recorder) without end. Records of a source gone since
 * still find their schema: the check before each append meets an id the
 * new file does not describe and asks the module, which keeps the schemas
 * the session sampled. Caller holds wlock for writing, or the threads are
 * stopped. On failure the table stays as it is (larger, still right).
 */
void rec_sources_prune(struct rec *r)
{
	struct hws_source *now;
	uint32_t nr;

	if (hwsdev_sources(r->dev, &now, &nr))
		return;
	nr = rec_sources_fit(r, now, nr);
	hwsdev_sources_free(r->src, r->nr_src);
	r->src = now;
	r->nr_src = nr;
	r->hdr.sources = now;
	r->hdr.nr_sources = nr;
	r->src_gen++;
}
