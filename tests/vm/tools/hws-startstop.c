// SPDX-License-Identifier: MIT
/*
 * hws-startstop - start and stop sessions on /dev/hwstats in a tight loop
 * (START, 2 ms of session, STOP, RESET) until the file STOPFILE exists,
 * so that session starts race whatever else the scenario does (CPU
 * hotplug), and each session lives long enough for the CPUs to emit into
 * it. Small buffers keep each START cheap. Prints how many sessions ran; exits non-zero on
 * the first ioctl that fails.
 *
 * Usage: hws-startstop STOPFILE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hwstats_abi.h"

int main(int argc, char **argv)
{
	struct hwstats_start st = {
		.size = sizeof(st),
		.subbuf_size = HWSTATS_MIN_SUBBUF_SIZE,
		.n_subbufs = HWSTATS_MIN_N_SUBBUFS,
	};
	unsigned long n = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: hws-startstop STOPFILE\n");
		return 2;
	}
	fd = open("/dev/" HWSTATS_DEVICE_NAME, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "hws-startstop: /dev/%s: %s\n",
			HWSTATS_DEVICE_NAME, strerror(errno));
		return 1;
	}
	while (access(argv[1], F_OK)) {
		if (ioctl(fd, HWSTATS_IOC_START, &st)) {
			fprintf(stderr, "hws-startstop: START %lu: %s\n", n,
				strerror(errno));
			return 1;
		}
		usleep(2000);
		if (ioctl(fd, HWSTATS_IOC_STOP, 0) ||
		    ioctl(fd, HWSTATS_IOC_RESET, 0)) {
			fprintf(stderr, "hws-startstop: STOP/RESET %lu: %s\n",
				n, strerror(errno));
			return 1;
		}
		n++;
	}
	printf("%lu sessions started and stopped\n", n);
	return 0;
}
