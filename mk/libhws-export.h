/* SPDX-License-Identifier: MIT */
/*
 * Forced in front of every source file of the shared libhws (gcc -include),
 * which is compiled with -fvisibility=hidden: what hws.h declares is the
 * library's API and keeps default visibility; everything else, the
 * internal helpers that the tools and tests reach through the static
 * library, stays inside libhws.so. mk/libhws.map gives the
 * exported symbols their version.
 */
#pragma GCC visibility push(default)
#include "hws.h"
#pragma GCC visibility pop
