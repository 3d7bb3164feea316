// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of statistics sources.
 *
 * Sources are few and change rarely, so one mutex (hwstats_lock, shared
 * with session control) serialises changes to the list; the emit path never
 * takes it: a driver emits through the source pointer it holds, and the
 * periodic sampler walks the list under RCU. Unregistering waits for a
 * grace period, which covers every irq-off emit and every sampler walk.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/idr.h>
#include "hwstats_internal.h"

/* Serialises session control and changes to the source list. */
DEFINE_MUTEX(hwstats_lock);
LIST_HEAD(hwstats_sources);
unsigned int hwstats_nr_sources;
static DEFINE_IDA(hwstats_source_ida);

static void hwstats_source_free(struct hwstats_source *src)
{
	if (!src)
		return;
	free_percpu(src->seq);
	kvfree(src->desc);
	kfree(src);
}

static int hwstats_source_check(const struct hwstats_source_def *def)
{
	unsigned int i;

	if (!def || !def->name || !def->name[0] ||
	    strlen(def->name) >= HWSTATS_NAME_LEN)
		return -EINVAL;
	if (!def->nr_counters || !def->counters ||
	    def->nr_counters > HWSTATS_MAX_COUNTERS)
		return -EINVAL;
	for (i = 0; i < def->nr_counters; i++) {
		const struct hwstats_counter_def *c = &def->counters[i];

		if (!c->name || !c->name[0] ||
		    strlen(c->name) >= HWSTATS_NAME_LEN)
			return -EINVAL;
		if (c->unit && strlen(c->unit) >= HWSTATS_UNIT_LEN)
			return -EINVAL;
		if (c->kind != HWSTATS_KIND_COUNTER &&
		    c->kind != HWSTATS_KIND_GAUGE)
			return -EINVAL;
	}
	return 0;
}

/**
 * hwstats_source_register - publish a source of statistics
 * @def: name, counter schema and optional callbacks; copied, except the
 *       callbacks' @priv, which must stay valid until unregistering
 *
 * The source is sampled by the running session, if that session enables
 * every source, and by later sessions that select it.
 *
 * Context: process context; may sleep.
 * Return: the source, or an ERR_PTR(): -EINVAL for a malformed @def,
 * -EEXIST if a source of that name exists, -ENOMEM.
 */
struct hwstats_source *hwstats_source_register(const struct hwstats_source_def *def)
{
	struct hwstats_source *src, *other;
	unsigned int i;
	int ret;

	ret = hwstats_source_check(def);
	if (ret)
		return ERR_PTR(ret);

	src = kzalloc(sizeof(*src), GFP_KERNEL);
	if (!src)
		return ERR_PTR(-ENOMEM);
	src->def = *def;
	strscpy(src->name, def->name, sizeof(src->name));
	src->desc = kvcalloc(def->nr_counters, sizeof(*src->desc), GFP_KERNEL);
	src->seq = alloc_percpu(u64);
	if (!src->desc || !src->seq) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < def->nr_counters; i++) {
		strscpy(src->desc[i].name, def->counters[i].name,
			sizeof(src->desc[i].name));
		if (def->counters[i].unit)
			strscpy(src->desc[i].unit, def->counters[i].unit,
				sizeof(src->desc[i].unit));
		src->desc[i].kind = def->counters[i].kind;
	}
	src->def.counters = NULL;	/* the copy in desc is what we keep */

	mutex_lock(&hwstats_lock);
	list_for_each_entry(other, &hwstats_sources, node) {
		if (!strcmp(other->name, src->name)) {
			ret = -EEXIST;
			goto err_unlock;
		}
	}
	ret = ida_alloc_min(&hwstats_source_ida, 1, GFP_KERNEL);
	if (ret < 0)
		goto err_unlock;
	src->id = ret;
	{
		struct hwstats_session *s;

		s = rcu_dereference_protected(hwstats_active,
					      lockdep_is_held(&hwstats_lock));
		WRITE_ONCE(src->enabled, s && s->all_sources);
	}
	list_add_tail_rcu(&src->node, &hwstats_sources);
	hwstats_nr_sources++;
	mutex_unlock(&hwstats_lock);
	return src;

err_unlock:
	mutex_unlock(&hwstats_lock);
err:
	hwstats_source_free(src);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(hwstats_source_register);

/**
 * hwstats_source_unregister - withdraw a source
 * @src: a source from hwstats_source_register(); NULL or an ERR_PTR() is
 *       ignored
 *
 * Safe while a session runs: when this returns, no emit for @src is in
 * flight on any CPU and its samples already in the buffers stay valid.
 *
 * Context: process context; sleeps for an RCU grace period.
 */
void hwstats_source_unregister(struct hwstats_source *src)
{
	if (IS_ERR_OR_NULL(src))
		return;
	mutex_lock(&hwstats_lock);
	WRITE_ONCE(src->enabled, false);
	list_del_rcu(&src->node);
	hwstats_nr_sources--;
	mutex_unlock(&hwstats_lock);
	/*
	 * Emitters run with interrupts off and the sampler under
	 * rcu_read_lock(): one grace period drains them both.
	 */
	synchronize_rcu();
	ida_free(&hwstats_source_ida, src->id);
	hwstats_source_free(src);
}
EXPORT_SYMBOL_GPL(hwstats_source_unregister);

struct hwstats_source *__hwstats_source_find(u32 id)
{
	struct hwstats_source *src;

	lockdep_assert_held(&hwstats_lock);
	list_for_each_entry(src, &hwstats_sources, node)
		if (src->id == id)
			return src;
	return NULL;
}

/* Called with hwstats_lock held, before the session is published. */
void hwstats_sources_enable(struct hwstats_session *s, const u32 *ids, u32 nr)
{
	struct hwstats_source *src;
	int cpu;
	u32 i;

	lockdep_assert_held(&hwstats_lock);
	list_for_each_entry(src, &hwstats_sources, node) {
		bool on = s->all_sources;

		for (i = 0; !on && i < nr; i++)
			on = ids[i] == src->id;
		/* No emit runs for a disabled source: safe to reset. */
		for_each_possible_cpu(cpu)
			per_cpu(*src->seq, cpu) = 0;
		WRITE_ONCE(src->enabled, on);
	}
}

void hwstats_sources_disable(void)
{
	struct hwstats_source *src;

	lockdep_assert_held(&hwstats_lock);
	list_for_each_entry(src, &hwstats_sources, node)
		WRITE_ONCE(src->enabled, false);
}
