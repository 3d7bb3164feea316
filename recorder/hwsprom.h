/* SPDX-License-Identifier: MIT */
/*
 * hwsprom - a snapshot of every counter in the Prometheus text exposition
 * format (version 0.0.4), as node_exporter's textfile collector reads it.
 *
 * Naming: every counter becomes the metric family
 * "hwstats_<counter name>_total" (kind counter) or "hwstats_<counter name>"
 * (kind gauge), with the counter name's characters outside [a-zA-Z0-9_:]
 * replaced by '_', and the label source="<source name>". Two counters of one
 * source that map to the same family are told apart by a label
 * counter="<original name>" on every series of that source in that family.
 * A gauge whose family name would end in "_total" gets "_gauge" appended,
 * so that it can never meet a counter's family. Each source's update count
 * is the gauge hwstats_source_updates{source=...}. No timestamps: the
 * textfile collector refuses them; the scrape time is the sample time.
 *
 * Error convention: 0 or -errno.
 */
#ifndef HWSPROM_H
#define HWSPROM_H

#include <stdint.h>
#include <stdio.h>

#include "hws.h"

struct hwsprom_source {
	const char *name;
	const struct hws_source *schema;	/* NULL: counters unnamed */
	const uint64_t *values;
	uint32_t nr_values;
	uint64_t seq;
};

/* Write @nr sources to @f. -ENOMEM, or -EIO when @f failed. */
int hwsprom_write(FILE *f, const struct hwsprom_source *src, uint32_t nr);

/*
 * Replace @path atomically: write "<path>.tmp.<pid>" in the same
 * directory (a name a textfile collector, which reads "*.prom", skips),
 * fsync it, rename it over @path. A scrape sees the old file or the new
 * one, never half of one. On failure the temporary file is removed and
 * @path is untouched.
 */
int hwsprom_write_file(const char *path, const struct hwsprom_source *src,
		       uint32_t nr);

#endif /* HWSPROM_H */
