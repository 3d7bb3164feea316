/* SPDX-License-Identifier: MIT */
/*
 * rawstream.h - raw record streams (as hwsb-gen writes them, one per CPU)
 * for colstat and encspeed: the whole file in memory, cut into chunks as
 * the recorder cuts them.
 */
#ifndef RAWSTREAM_H
#define RAWSTREAM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hws_internal.h"

/* The whole of @path, malloc'ed, its length in *len; exits on failure. */
static inline uint8_t *raw_load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	if (!f) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	if (!buf || fread(buf, 1, *len, f) != *len) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	fclose(f);
	return buf;
}

/*
 * The end of the chunk that starts at @off: whole records up to 1 MiB,
 * spanning less than @chunk_ns of record time (0: no limit); their number
 * in *n.
 */
static inline size_t raw_chunk_end(const uint8_t *buf, size_t off,
				   size_t len, uint64_t chunk_ns, uint32_t *n)
{
	size_t s = off;
	uint64_t t0 = hwsi_rec_ts(buf + off);

	*n = 0;
	while (off < len && off - s + hwsi_rec_len(buf + off) <= (1 << 20) &&
	       (!chunk_ns || *n == 0 || hwsi_rec_ts(buf + off) - t0 < chunk_ns)) {
		off += hwsi_rec_len(buf + off);
		(*n)++;
	}
	return off;
}

#endif
