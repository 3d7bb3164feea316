/* SPDX-License-Identifier: MIT */
/*
 * hwsb_subbuf.h - one CPU's record stream as read() returns it from
 * <debugfs>/hwstats/cpuN, for the generators hwsb-gen and hwsb-netdev:
 * sub-buffers that begin with the 48-byte header record, a record that
 * does not fit the rest of one starting the next (the rest is relay's
 * padding, which read() skips), and the session's flush tick switching a
 * sub-buffer that holds records and did not switch since the last tick,
 * as hwstats.ko does. Also the generators' xorshift64* random numbers.
 */
#ifndef HWSB_SUBBUF_H
#define HWSB_SUBBUF_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwstats_abi.h"

/* xorshift64*: *s must not be 0. */
static inline uint64_t hwsb_rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

struct hwsb_out {
	FILE *f;
	const char *prog;	/* for the error message */
	uint8_t *sb;		/* the current sub-buffer, size bytes */
	uint32_t size, cpu, off;
	uint64_t seq;		/* sub-buffer sequence */
	uint64_t bytes;		/* written */
	uint64_t next_tick, flush_ns;
	uint64_t switches_since_tick;
};

static inline void hwsb_sb_flush(struct hwsb_out *w)
{
	struct hwstats_subbuf_hdr *h = (void *)w->sb;

	h->used = w->off;
	if (fwrite(w->sb, 1, w->off, w->f) != w->off) {
		fprintf(stderr, "%s: write: %s\n", w->prog, strerror(errno));
		exit(2);
	}
	w->bytes += w->off;
}

static inline void hwsb_sb_start(struct hwsb_out *w, uint64_t ts)
{
	struct hwstats_subbuf_hdr *h = (void *)w->sb;

	memset(h, 0, sizeof(*h));
	h->hdr.type = HWSTATS_REC_SUBBUF;
	h->hdr.len = sizeof(*h);
	h->hdr.source = w->cpu;
	h->hdr.ts = ts;
	h->magic = HWSTATS_SUBBUF_MAGIC;
	h->cpu = w->cpu;
	h->seq = w->seq++;
	h->subbuf_size = w->size;
	w->off = sizeof(*h);
	w->switches_since_tick++;
}

/* Starts the stream: its first sub-buffer at ts, the first tick a flush
 * interval later. */
static inline void hwsb_begin(struct hwsb_out *w, uint64_t ts)
{
	hwsb_sb_start(w, ts);
	w->next_tick = ts + w->flush_ns;
}

/* Room for a len-byte record of time ts, after the flush ticks due
 * before it; the record is to be built at the returned address. */
static inline void *hwsb_reserve(struct hwsb_out *w, uint32_t len,
				 uint64_t ts)
{
	void *r;

	while (w->next_tick <= ts) {
		if (!w->switches_since_tick &&
		    w->off > sizeof(struct hwstats_subbuf_hdr)) {
			hwsb_sb_flush(w);
			hwsb_sb_start(w, w->next_tick);
		}
		w->switches_since_tick = 0;
		w->next_tick += w->flush_ns;
	}
	if (w->off + len > w->size) {
		hwsb_sb_flush(w);
		/* The switch comes just before the record's ts. */
		hwsb_sb_start(w, ts - 150);
	}
	r = w->sb + w->off;
	w->off += len;
	return r;
}

/* A sample record of @nv values at ts, its header filled in; the caller
 * writes the values. */
static inline struct hwstats_sample *hwsb_sample(struct hwsb_out *w,
						 uint32_t nv, uint64_t ts,
						 uint32_t source, uint64_t seq)
{
	uint32_t len = sizeof(struct hwstats_sample) + nv * 8;
	struct hwstats_sample *r = hwsb_reserve(w, len, ts);

	r->hdr.type = HWSTATS_REC_SAMPLE;
	r->hdr.len = len;
	r->hdr.source = source;
	r->hdr.ts = ts;
	r->seq = seq;
	r->first = 0;
	r->reserved = 0;
	return r;
}

/* Writes the last sub-buffer and closes the file: 0, or -1 (reported). */
static inline int hwsb_end(struct hwsb_out *w)
{
	hwsb_sb_flush(w);
	if (fclose(w->f)) {
		fprintf(stderr, "%s: close: %s\n", w->prog, strerror(errno));
		return -1;
	}
	return 0;
}

#endif
