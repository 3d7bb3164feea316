/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The network interface sources of hwstats.ko (hwstats_netdev.c).
 */
#ifndef _HWSTATS_NETDEV_H
#define _HWSTATS_NETDEV_H

int hwstats_netdev_init(void);
void hwstats_netdev_exit(void);

#endif /* _HWSTATS_NETDEV_H */
