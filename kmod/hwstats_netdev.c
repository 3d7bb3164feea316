// SPDX-License-Identifier: GPL-2.0
/*
 * One source per network interface: "net:<ifname>", whose counters are the
 * fields of struct rtnl_link_stats64, sampled at the session period and
 * read for snapshots.
 *
 * Only the interfaces of the initial network namespace are published:
 * source names are global, interface names are unique only within a
 * namespace.
 *
 * The netdevice notifier runs under RTNL. Registering a source takes
 * hwstats_lock and unregistering one waits for an RCU grace period, so
 * both are left to a work item: RTNL is never held across a grace period,
 * and hwstats_lock is never taken inside RTNL. The list of interfaces keeps
 * the order of the notifier's events, and the work item handles them in
 * that order, so the source of a name is always withdrawn before a renamed
 * or new interface claims that name again.
 *
 * What cannot wait for the work item is letting go of the device: once the
 * NETDEV_UNREGISTER notifiers return, the driver's ndo_uninit runs and its
 * statistics may be gone. The notifier therefore takes the last values,
 * detaches the device under the interface's lock (which every reader of the
 * device holds) and drops its reference at once, so that unregistering an
 * interface never waits for hwstats.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include "hwstats_internal.h"
#include "hwstats_netdev.h"

static bool hwstats_netdev_enable = true;
module_param_named(netdev, hwstats_netdev_enable, bool, 0444);
MODULE_PARM_DESC(netdev, "publish a source per network interface (default: yes)");

#define HWSTATS_NETDEV_PREFIX	"net:"

struct hwstats_netdev_field {
	const char *name;
	const char *unit;
	size_t offset;		/* in struct rtnl_link_stats64 */
};

#define HWSTATS_NETDEV_FIELD(f, u) {					\
	.name = #f,							\
	.unit = u,							\
	.offset = offsetof(struct rtnl_link_stats64, f),		\
}

/* In the order of struct rtnl_link_stats64, as `ip -s link` knows them. */
static const struct hwstats_netdev_field hwstats_netdev_fields[] = {
	HWSTATS_NETDEV_FIELD(rx_packets, "packets"),
	HWSTATS_NETDEV_FIELD(tx_packets, "packets"),
	HWSTATS_NETDEV_FIELD(rx_bytes, "bytes"),
	HWSTATS_NETDEV_FIELD(tx_bytes, "bytes"),
	HWSTATS_NETDEV_FIELD(rx_errors, "errors"),
	HWSTATS_NETDEV_FIELD(tx_errors, "errors"),
	HWSTATS_NETDEV_FIELD(rx_dropped, "packets"),
	HWSTATS_NETDEV_FIELD(tx_dropped, "packets"),
	HWSTATS_NETDEV_FIELD(multicast, "packets"),
	HWSTATS_NETDEV_FIELD(collisions, "errors"),
	HWSTATS_NETDEV_FIELD(rx_length_errors, "errors"),
	HWSTATS_NETDEV_FIELD(rx_over_errors, "errors"),
	HWSTATS_NETDEV_FIELD(rx_crc_errors, "errors"),
	HWSTATS_NETDEV_FIELD(rx_frame_errors, "errors"),
	HWSTATS_NETDEV_FIELD(rx_fifo_errors, "errors"),
	HWSTATS_NETDEV_FIELD(rx_missed_errors, "errors"),
	HWSTATS_NETDEV_FIELD(tx_aborted_errors, "errors"),
	HWSTATS_NETDEV_FIELD(tx_carrier_errors, "errors"),
	HWSTATS_NETDEV_FIELD(tx_fifo_errors, "errors"),
	HWSTATS_NETDEV_FIELD(tx_heartbeat_errors, "errors"),
	HWSTATS_NETDEV_FIELD(tx_window_errors, "errors"),
	HWSTATS_NETDEV_FIELD(rx_compressed, "packets"),
	HWSTATS_NETDEV_FIELD(tx_compressed, "packets"),
	HWSTATS_NETDEV_FIELD(rx_nohandler, "packets"),
	HWSTATS_NETDEV_FIELD(rx_otherhost_dropped, "packets"),
};

#define HWSTATS_NETDEV_NR	ARRAY_SIZE(hwstats_netdev_fields)

/* The schema every interface shares, built from the table at init. */
static struct hwstats_counter_def hwstats_netdev_defs[HWSTATS_NETDEV_NR];

struct hwstats_netdev {
	/* In hwstats_netdevs, in event order; under hwstats_netdev_lock. */
	struct list_head node;
	/*
	 * Guards @dev, @last and @updates. A spinlock: the sample callback
	 * runs under rcu_read_lock() and must not sleep.
	 */
	spinlock_t lock;
	/* NULL once detached; changed under both locks. */
	struct net_device *dev;
	netdevice_tracker tracker;
	struct rtnl_link_stats64 last;	/* the values at detach */
	/*
	 * How many times a reading found the counters changed: the snapshot
	 * seq. A device keeps no update count of its own, so this counts
	 * the updates that readings saw (equal readings: equal seq).
	 */
	u64 updates;
	struct rtnl_link_stats64 seen;	/* the last reading */
	/* Set and used by the work item only (and by exit after it). */
	struct hwstats_source *src;
	bool tried;			/* the work item tried to publish it */
	bool gone;			/* detached: the work item frees it */
	char name[HWSTATS_NAME_LEN];
};

static LIST_HEAD(hwstats_netdevs);
/* The list and every entry's @tried and @gone; nests inside RTNL. */
static DEFINE_MUTEX(hwstats_netdev_lock);

static void hwstats_netdev_workfn(struct work_struct *work);
static DECLARE_WORK(hwstats_netdev_work, hwstats_netdev_workfn);

/*
 * Read the device's counters into @values, or the last ones if it is gone.
 * dev_get_stats() must not sleep: ndo_get_stats64 may be called under RCU
 * (as /proc/net/dev does), which is what the sample callback runs under.
 * Returns whether the device was still there.
 */
static bool hwstats_netdev_fetch(struct hwstats_netdev *nd, u64 *values,
				 u64 *updates)
{
	struct rtnl_link_stats64 st;
	bool live;
	unsigned int i;

	spin_lock(&nd->lock);
	live = nd->dev;
	if (live)
		dev_get_stats(nd->dev, &st);
	else
		st = nd->last;
	if (memcmp(&st, &nd->seen, sizeof(st))) {
		nd->seen = st;
		nd->updates++;
	}
	*updates = nd->updates;
	spin_unlock(&nd->lock);
	for (i = 0; i < HWSTATS_NETDEV_NR; i++)
		values[i] = *(u64 *)((u8 *)&st + hwstats_netdev_fields[i].offset);
	return live;
}

/* The session's periodic sampler: under rcu_read_lock(), must not sleep. */
static void hwstats_netdev_sample(struct hwstats_source *src, void *priv)
{
	u64 values[HWSTATS_NETDEV_NR];
	u64 updates;

	/* A detached interface has nothing new to say until it is withdrawn. */
	if (!hwstats_netdev_fetch(priv, values, &updates))
		return;
	/* A full buffer is counted as loss by hwstats itself. */
	hwstats_emit(src, 0, HWSTATS_NETDEV_NR, values);
}

/* Snapshots: process context, serialised by hwstats_lock. */
static u64 hwstats_netdev_read(void *priv, u64 *values)
{
	u64 updates;

	hwstats_netdev_fetch(priv, values, &updates);
	return updates;
}

/* Called under RTNL, from the notifier. */
static void hwstats_netdev_add(struct net_device *dev)
{
	struct hwstats_netdev *nd;

	ASSERT_RTNL();
	if (!net_eq(dev_net(dev), &init_net))
		return;
	nd = kzalloc(sizeof(*nd), GFP_KERNEL);
	if (!nd) {
		/* Never veto a registration for want of statistics. */
		pr_warn("%s: no memory for its statistics source\n", dev->name);
		return;
	}
	spin_lock_init(&nd->lock);
	snprintf(nd->name, sizeof(nd->name), HWSTATS_NETDEV_PREFIX "%s",
		 dev->name);
	netdev_hold(dev, &nd->tracker, GFP_KERNEL);
	nd->dev = dev;
	mutex_lock(&hwstats_netdev_lock);
	list_add_tail(&nd->node, &hwstats_netdevs);
	mutex_unlock(&hwstats_netdev_lock);
	schedule_work(&hwstats_netdev_work);
}

/*
 * Let go of the device: keep its last values, and drop the reference now
 * rather than when the work item runs, so that the device's unregistration
 * never waits for us. Called with RTNL and hwstats_netdev_lock held; the
 * work item frees @nd only once it sees @gone, which is set last, under
 * that lock.
 */
static void __hwstats_netdev_detach(struct hwstats_netdev *nd)
{
	struct net_device *dev = nd->dev;

	ASSERT_RTNL();
	lockdep_assert_held(&hwstats_netdev_lock);
	spin_lock(&nd->lock);
	dev_get_stats(dev, &nd->last);
	nd->dev = NULL;
	spin_unlock(&nd->lock);
	netdev_put(dev, &nd->tracker);
	nd->gone = true;
}

/* Called under RTNL, from the notifier. */
static void hwstats_netdev_remove(struct net_device *dev)
{
	struct hwstats_netdev *nd;
	bool found = false;

	mutex_lock(&hwstats_netdev_lock);
	list_for_each_entry(nd, &hwstats_netdevs, node) {
		if (!nd->gone && nd->dev == dev) {
			__hwstats_netdev_detach(nd);
			found = true;
			break;
		}
	}
	mutex_unlock(&hwstats_netdev_lock);
	if (found)
		schedule_work(&hwstats_netdev_work);
}

static int hwstats_netdev_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	switch (event) {
	case NETDEV_REGISTER:
		hwstats_netdev_add(dev);
		break;
	case NETDEV_CHANGENAME:
		/* The name is the source's identity: a new name, a new source. */
		hwstats_netdev_remove(dev);
		hwstats_netdev_add(dev);
		break;
	case NETDEV_UNREGISTER:
		/* Also sent when the interface leaves the namespace. */
		hwstats_netdev_remove(dev);
		break;
	default:
		return NOTIFY_DONE;
	}
	return NOTIFY_OK;
}

static struct notifier_block hwstats_netdev_nb = {
	.notifier_call = hwstats_netdev_event,
};

static void hwstats_netdev_publish(struct hwstats_netdev *nd)
{
	struct hwstats_source_def def = {
		.name = nd->name,
		.nr_counters = HWSTATS_NETDEV_NR,
		.counters = hwstats_netdev_defs,
		.read = hwstats_netdev_read,
		.sample = hwstats_netdev_sample,
		.priv = nd,
	};
	struct hwstats_source *src;

	src = hwstats_source_register(&def);
	if (IS_ERR(src)) {
		pr_warn("%s: cannot publish the source: %pe\n", nd->name, src);
		return;
	}
	nd->src = src;
}

/*
 * Publish new interfaces and withdraw detached ones, one entry at a time
 * and in list order. Only this work item (never running twice at once)
 * registers and unregisters, so an entry it picked stays valid while the
 * notifier goes on adding and detaching others.
 */
static void hwstats_netdev_workfn(struct work_struct *work)
{
	struct hwstats_netdev *nd;
	bool found, gone;

	for (;;) {
		found = false;
		mutex_lock(&hwstats_netdev_lock);
		list_for_each_entry(nd, &hwstats_netdevs, node) {
			if (nd->gone || !nd->tried) {
				found = true;
				break;
			}
		}
		if (found) {
			gone = nd->gone;
			nd->tried = true;
			if (gone)
				list_del(&nd->node);
		}
		mutex_unlock(&hwstats_netdev_lock);
		if (!found)
			return;
		if (gone) {
			/* Waits until no sampler or snapshot uses @nd. */
			hwstats_source_unregister(nd->src);
			kfree(nd);
		} else {
			hwstats_netdev_publish(nd);
		}
	}
}

int hwstats_netdev_init(void)
{
	unsigned int i;
	int ret;

	if (!hwstats_netdev_enable)
		return 0;
	for (i = 0; i < HWSTATS_NETDEV_NR; i++) {
		hwstats_netdev_defs[i].name = hwstats_netdev_fields[i].name;
		hwstats_netdev_defs[i].unit = hwstats_netdev_fields[i].unit;
		hwstats_netdev_defs[i].kind = HWSTATS_KIND_COUNTER;
	}
	/*
	 * Replays NETDEV_REGISTER for every interface already there; should
	 * it fail, it replays NETDEV_UNREGISTER for those before returning.
	 */
	ret = register_netdevice_notifier(&hwstats_netdev_nb);
	/*
	 * Either way the work item runs to the end before the module's load
	 * returns: the sources exist then, or every entry is freed.
	 */
	flush_work(&hwstats_netdev_work);
	return ret;
}

void hwstats_netdev_exit(void)
{
	struct hwstats_netdev *nd;

	if (!hwstats_netdev_enable)
		return;
	/* Replays NETDEV_UNREGISTER for every interface: all are detached. */
	unregister_netdevice_notifier(&hwstats_netdev_nb);
	/* An interface the replay missed would keep its device pinned. */
	rtnl_lock();
	mutex_lock(&hwstats_netdev_lock);
	list_for_each_entry(nd, &hwstats_netdevs, node) {
		if (WARN_ON_ONCE(!nd->gone))
			__hwstats_netdev_detach(nd);
	}
	mutex_unlock(&hwstats_netdev_lock);
	rtnl_unlock();
	/* No notifier can queue it any more: once run, the list is empty. */
	schedule_work(&hwstats_netdev_work);
	flush_work(&hwstats_netdev_work);
	WARN_ON_ONCE(!list_empty(&hwstats_netdevs));
}
