// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry points.
 */
#include <linux/module.h>
#include "hwstats_internal.h"

static int __init hwstats_init(void)
{
	return hwstats_ctl_init();
}

static void __exit hwstats_exit(void)
{
	hwstats_ctl_exit();
}

module_init(hwstats_init);
module_exit(hwstats_exit);

MODULE_DESCRIPTION("Lossless streaming of driver statistics through relay");
MODULE_AUTHOR("hwstats developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(HWSTATS_MODULE_VERSION);
