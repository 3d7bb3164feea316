// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of statistics sources.
 *
 * Sources are few and change rarely, so one mutex (hwstats_lock, shared
 * with session control) serialises changes to the list; the emit path never
 * takes it: a driver emits through the source pointer it holds, and the
 * periodic sampler walks the list under RCU. Unregistering waits for a
 * grace period, which covers every irq-off emit and every sampler walk.
 *
 * Ids come from an xarray, allocated cyclically: an id stays taken while
 * its source is registered and, if the running session sampled it, until
 * that session ends (its records may still wait in the buffers, and a
 * recorder that meets an id it does not know asks for its schema with
 * HWSTATS_IOC_GET_SCHEMA: it can never be given another source's). Freed
 * ids come back only after every other id of the range has been handed
 * out, so a driver that registers and unregisters in a loop does not give
 * a recorder of a later session an id it still remembers, yet the module
 * never runs out of ids.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include "hwstats_internal.h"
#include "hwstats_compat.h"

/* Serialises session control and changes to the source list. */
DEFINE_MUTEX(hwstats_lock);
LIST_HEAD(hwstats_sources);
unsigned int hwstats_nr_sources;
/* Every source whose id is taken, by id; ids start at 1. */
static DEFINE_XARRAY_ALLOC1(hwstats_ids);
static u32 hwstats_id_next;		/* where the cyclic search resumes */
/* Lets a test see the ids wrap; a real system keeps the whole range. */
static unsigned int hwstats_max_source_id = U32_MAX;
module_param_named(max_source_id, hwstats_max_source_id, uint, 0444);
MODULE_PARM_DESC(max_source_id, "highest source id handed out before ids wrap round to 1 (1 to 4294967295)");
/* Lets a test cross 2^32 in every source's seq on a 32-bit kernel. */
static unsigned long long hwstats_seq_base;
module_param_named(seq_base, hwstats_seq_base, ullong, 0444);
MODULE_PARM_DESC(seq_base, "the seq of each source's first sample on each CPU in a session (default 0)");
/* Unregistered during the session: schema only, oldest first. */
static LIST_HEAD(hwstats_retired);
static unsigned int hwstats_nr_retired;
#define HWSTATS_MAX_RETIRED	1024

static void hwstats_source_free(struct hwstats_source *src)
{
	if (!src)
		return;
	if (src->id)
		xa_erase(&hwstats_ids, src->id);
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
 * -EEXIST if a source of that name exists, -ENOMEM, -ENOSPC when every
 * id is taken (by registered sources, and by those the running session
 * sampled before they were unregistered).
 */
struct hwstats_source *hwstats_source_register(const struct hwstats_source_def *def)
{
	struct hwstats_source *src, *other;
	unsigned int i;
	int cpu, ret;

	ret = hwstats_source_check(def);
	if (ret)
		return ERR_PTR(ret);

	src = kzalloc(sizeof(*src), GFP_KERNEL);
	if (!src)
		return ERR_PTR(-ENOMEM);
	src->def = *def;
	strscpy(src->name, def->name, sizeof(src->name));
	/* The driver's name may live on its stack: keep only our copy. */
	src->def.name = src->name;
	src->desc = kvcalloc(def->nr_counters, sizeof(*src->desc), GFP_KERNEL);
	src->seq = alloc_percpu(local64_t);
	if (!src->desc || !src->seq) {
		ret = -ENOMEM;
		goto err;
	}
	for_each_possible_cpu(cpu)
		local64_set(per_cpu_ptr(src->seq, cpu), hwstats_seq_base);
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
	ret = xa_alloc_cyclic(&hwstats_ids, &src->id, src,
			      XA_LIMIT(1, hwstats_max_source_id),
			      &hwstats_id_next, GFP_KERNEL);
	if (ret < 0) {
		src->id = 0;
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto err_unlock;
	}
	{
		struct hwstats_session *s;

		s = rcu_dereference_protected(hwstats_active,
					      lockdep_is_held(&hwstats_lock));
		src->sampled = s && s->all_sources;
		WRITE_ONCE(src->enabled, src->sampled);
	}
	src->listed = true;
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
EXPORT_SYMBOL_NS_GPL(hwstats_source_register, HWSTATS_NS);

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
	struct hwstats_source *old = NULL, *it;
	bool free_it;

	if (IS_ERR_OR_NULL(src))
		return;
	mutex_lock(&hwstats_lock);
	WRITE_ONCE(src->enabled, false);
	list_del_rcu(&src->node);
	src->listed = false;
	hwstats_nr_sources--;
	/*
	 * Its records may wait in the buffers: its schema stays findable,
	 * from now on, without a gap, until the session ends.
	 */
	if (src->sampled) {
		list_add_tail(&src->retired_node, &hwstats_retired);
		src->retired = true;
		hwstats_nr_retired++;
	}
	mutex_unlock(&hwstats_lock);
	/*
	 * Emitters run with interrupts off and the sampler under
	 * rcu_read_lock(): one grace period drains them both.
	 */
	synchronize_rcu();
	free_percpu(src->seq);
	src->seq = NULL;
	mutex_lock(&hwstats_lock);
	/* From here the retired list, while it holds it, frees it. */
	src->gone = true;
	free_it = !src->retired;
	if (hwstats_nr_retired > HWSTATS_MAX_RETIRED) {
		list_for_each_entry(it, &hwstats_retired, retired_node) {
			if (it->gone) {
				old = it;
				list_del(&old->retired_node);
				old->retired = false;
				hwstats_nr_retired--;
				break;
			}
		}
	}
	mutex_unlock(&hwstats_lock);
	if (free_it)
		hwstats_source_free(src);
	hwstats_source_free(old);
}
EXPORT_SYMBOL_NS_GPL(hwstats_source_unregister, HWSTATS_NS);

/* A registered source. */
struct hwstats_source *__hwstats_source_find(u32 id)
{
	struct hwstats_source *src;

	lockdep_assert_held(&hwstats_lock);
	src = xa_load(&hwstats_ids, id);
	return src && src->listed ? src : NULL;
}

/* A registered source, or one the session sampled before it went. */
struct hwstats_source *__hwstats_schema_find(u32 id)
{
	struct hwstats_source *src;

	lockdep_assert_held(&hwstats_lock);
	src = xa_load(&hwstats_ids, id);
	/* Neither: it is being unregistered, its id not yet free. */
	return src && (src->listed || src->retired) ? src : NULL;
}

int __init hwstats_sources_init(void)
{
	if (!hwstats_max_source_id) {
		pr_err("max_source_id=0: source ids start at 1\n");
		return -EINVAL;
	}
	return 0;
}

/* The session is gone: forget what it sampled. */
void hwstats_sources_session_end(void)
{
	struct hwstats_source *src, *tmp;

	lockdep_assert_held(&hwstats_lock);
	list_for_each_entry(src, &hwstats_sources, node)
		src->sampled = false;
	list_for_each_entry_safe(src, tmp, &hwstats_retired, retired_node) {
		list_del(&src->retired_node);
		src->retired = false;
		/* Still unregistering: hwstats_source_unregister() frees it. */
		if (src->gone)
			hwstats_source_free(src);
	}
	hwstats_nr_retired = 0;
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
			local64_set(per_cpu_ptr(src->seq, cpu),
				    hwstats_seq_base);
		src->sampled = on;
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
