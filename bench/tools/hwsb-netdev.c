// SPDX-License-Identifier: MIT
/*
 * hwsb-netdev - the record stream of one "net:<ifname>" source of
 * hwstats.ko (kmod/hwstats_netdev.c: the 24 counters of struct
 * rtnl_link_stats64, sampled at the session period), without a kernel: one
 * file, shaped as read() returns it from <debugfs>/hwstats/cpu0.
 *
 *   hwsb-netdev [-n SAMPLES] [-p PERIOD_NS] [-j JITTER_NS] idle|busy FILE
 *
 * The model (bench/README.md, part 3): the sampler's timer fires every
 * PERIOD_NS (default 10 ms, the session default) late by a uniform
 * latency in [0, JITTER_NS) (default 1024 ns). Packets arrive as Poisson
 * processes; each has a size drawn from a mix:
 *
 *   idle: rx 3/s (40 % multicast: ARP, mDNS, router advertisements;
 *         60..342 bytes), tx 1/s (NTP, ARP replies; 60..90 bytes), a
 *         dropped rx packet (no handler) every 20 s;
 *   busy: rx 5000/s (80 % full 1514-byte frames, 20 % 66-byte ACKs), tx
 *         3000/s (90 % ACKs, 10 % full frames), multicast 2/s, rx_dropped
 *         a burst of 1..32 every 10 s on average.
 *
 * The other 16 counters (errors, collisions, compressed, ...) stay at 0,
 * as on a healthy link. Sub-buffers of 256 KiB start with their header
 * record; a flush tick every second switches a sub-buffer that holds
 * records, as hwstats.ko does. Prints key=value words: samples, bytes,
 * counter samples.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwsb_subbuf.h"

#define NR 24		/* counters of a netdev source */
#define SUBBUF (256 * 1024)

enum {
	RX_PACKETS, TX_PACKETS, RX_BYTES, TX_BYTES, RX_ERRORS, TX_ERRORS,
	RX_DROPPED, TX_DROPPED, MULTICAST, COLLISIONS,
	RX_NOHANDLER = 22,
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	return hwsb_rng_next(&rng);
}

static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* Poisson(lambda) by inversion; lambda here is at most about 50. */
static uint64_t poisson(double lambda)
{
	double p = exp(-lambda), s = p, u = unif();
	uint64_t k = 0;

	while (u > s && k < 10000) {
		k++;
		p *= lambda / (double)k;
		s += p;
	}
	return k;
}

int main(int argc, char **argv)
{
	uint64_t n = 60000, period = 10000000, jitter = 1024, v[NR] = { 0 };
	const uint64_t start = 1000ULL * 1000000000ULL, flush = 1000000000ULL;
	static uint8_t sb[SUBBUF];
	struct hwsb_out w = { .prog = "hwsb-netdev", .sb = sb, .size = SUBBUF,
			      .flush_ns = flush };
	bool busy;
	int c;

	while ((c = getopt(argc, argv, "n:p:j:")) != -1) {
		uint64_t x = strtoull(optarg, NULL, 0);

		switch (c) {
		case 'n': n = x; break;
		case 'p': period = x; break;
		case 'j': jitter = x; break;
		default: return 1;
		}
	}
	if (optind != argc - 2 || !n || !period || !jitter ||
	    jitter >= period || (strcmp(argv[optind], "idle") &&
				 strcmp(argv[optind], "busy"))) {
		fprintf(stderr, "usage: hwsb-netdev [-n SAMPLES] [-p PERIOD_NS] [-j JITTER_NS] idle|busy FILE\n");
		return 1;
	}
	busy = !strcmp(argv[optind], "busy");
	w.f = fopen(argv[optind + 1], "w");
	if (!w.f) {
		perror(argv[optind + 1]);
		return 2;
	}
	/* counters as an interface that has been up a while has them */
	v[RX_PACKETS] = 48213377;
	v[TX_PACKETS] = 30210991;
	v[RX_BYTES] = 61234567890ULL;
	v[TX_BYTES] = 3456789012ULL;
	v[RX_DROPPED] = 17;
	v[MULTICAST] = 80211;
	v[RX_NOHANDLER] = 3;
	hwsb_begin(&w, start);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t ts = start + (i + 1) * period + rnd() % jitter;
		double sec = (double)period / 1e9;
		struct hwstats_sample *r;
		uint64_t k;

		if (busy) {
			k = poisson(5000 * sec);
			v[RX_PACKETS] += k;
			for (uint64_t j = 0; j < k; j++)
				v[RX_BYTES] += unif() < 0.8 ? 1514 : 66;
			k = poisson(3000 * sec);
			v[TX_PACKETS] += k;
			for (uint64_t j = 0; j < k; j++)
				v[TX_BYTES] += unif() < 0.9 ? 66 : 1514;
			k = poisson(2 * sec);
			v[MULTICAST] += k;
			v[RX_PACKETS] += k;
			v[RX_BYTES] += 90 * k;
			if (unif() < 0.1 * sec)
				v[RX_DROPPED] += 1 + rnd() % 32;
		} else {
			k = poisson(3 * sec);
			for (uint64_t j = 0; j < k; j++) {
				v[RX_PACKETS]++;
				v[RX_BYTES] += 60 + rnd() % 283;
				if (unif() < 0.4)
					v[MULTICAST]++;
			}
			k = poisson(1 * sec);
			v[TX_PACKETS] += k;
			for (uint64_t j = 0; j < k; j++)
				v[TX_BYTES] += 60 + rnd() % 31;
			if (unif() < 0.05 * sec) {
				v[RX_DROPPED]++;
				v[RX_NOHANDLER]++;
			}
		}
		r = hwsb_sample(&w, NR, ts, 2, i);
		memcpy(r->value, v, sizeof(v));
	}
	if (hwsb_end(&w))
		return 2;
	printf("netdev kind=%s samples=%llu bytes=%llu counters=%d counter_samples=%llu period_ns=%llu\n",
	       busy ? "busy" : "idle", (unsigned long long)n,
	       (unsigned long long)w.bytes, NR, (unsigned long long)(n * NR),
	       (unsigned long long)period);
	return 0;
}
