// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry points.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "hwstats_internal.h"
#include "hwstats_netdev.h"

static int __init hwstats_init(void)
{
	int ret;

	ret = hwstats_sources_init();
	if (ret)
		return ret;
	hwstats_channel_init();
	ret = hwstats_netdev_init();
	if (ret)
		return ret;
	/* The device last: once it exists, user space can use all of it. */
	ret = hwstats_ctl_init();
	if (ret)
		hwstats_netdev_exit();
	return ret;
}

static void __exit hwstats_exit(void)
{
	/* The device first: no new user, and open files pin the module. */
	hwstats_ctl_exit();
	hwstats_netdev_exit();
}

module_init(hwstats_init);
module_exit(hwstats_exit);

MODULE_DESCRIPTION("Lossless streaming of driver statistics through relay");
MODULE_AUTHOR("hwstats developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(HWSTATS_MODULE_VERSION);
