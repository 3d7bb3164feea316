/* SPDX-License-Identifier: MIT */
/*
 * hwsdev - what hwstats-record and hwstats-stat share: the control device,
 * the channels in debugfs, and parsing of sizes and durations.
 *
 * Error convention: int functions return 0 or -errno; pointer functions
 * return NULL and set errno. Messages for people are printed by the tools,
 * never here, except through hwsdev_err(), which every tool uses so that
 * each error is one line: "<prog>: <what>: <reason>".
 */
#ifndef HWSDEV_H
#define HWSDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hwstats_abi.h"
#include "hws.h"

#define HWSDEV_DEFAULT_DEVICE "/dev/" HWSTATS_DEVICE_NAME

extern const char *hwsdev_prog;

void hwsdev_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Open the control device and check the ABI major. Errors: -ENOENT (module
 * not loaded), -EACCES, -EPROTONOSUPPORT (module of another ABI major).
 */
int hwsdev_open(const char *path, struct hwstats_version *ver);

/* One line of advice for an errno from hwsdev_open(), for people. */
const char *hwsdev_open_hint(int err);

int hwsdev_info(int fd, struct hwstats_info *info);
int hwsdev_start(int fd, const struct hwstats_start *start);
int hwsdev_stop(int fd);
int hwsdev_flush(int fd);
/* End a stopped session this file owns, so that the next START can run. */
int hwsdev_reset(int fd);

/*
 * Per-CPU stats of the session: fills *stats (malloc'd, nr_cpu_ids
 * entries; caller frees) and *nr.
 */
int hwsdev_stats(int fd, struct hwstats_cpu_stats **stats, uint32_t *nr);

/*
 * Every registered source with its schema, in the file header's form
 * (malloc'd; free with hwsdev_sources_free()).
 */
int hwsdev_sources(int fd, struct hws_source **sources, uint32_t *nr);
void hwsdev_sources_free(struct hws_source *sources, uint32_t nr);

/*
 * The schema of source @id into @src (src->counters malloc'd, also on some
 * failures: free it). -ENOENT: no source has that id (any more).
 */
int hwsdev_schema(int fd, uint32_t id, struct hws_source *src);

/*
 * Snapshot of every counter: *buf (malloc'd) holds nr sources, each a
 * struct hwstats_snapshot_source followed by its values; the buffer is
 * grown until the kernel's answer fits, however large.
 */
int hwsdev_snapshot(int fd, void **buf, size_t *len, uint32_t *nr,
		    uint64_t *ts);

/*
 * Zero-copy reading (ABI minor 1; hwstats_abi.h, "Zero-copy reading").
 * hwsdev_map(): CPU @cpu's buffer of the session, @size bytes (subbuf_size
 * * n_subbufs), mapped read-only; NULL and errno on failure (ENOENT: the
 * CPU has no buffer yet). Unmap with munmap().
 * hwsdev_consume(): the sub-buffers of @cpu before number @consumed are
 * read; *produced (may be NULL) gets how many are complete.
 */
void *hwsdev_map(int fd, uint32_t cpu, size_t size);
int hwsdev_consume(int fd, uint32_t cpu, uint64_t session_id,
		   uint64_t consumed, uint64_t *produced);

/*
 * Where the channels are: <debugfs>/hwstats. Errors: -ENOENT when debugfs
 * is not mounted, -EPERM when it is blocked (kernel lockdown).
 */
int hwsdev_channel_dir(char *dir, size_t len);

/* "256K", "4M", "1G", plain bytes. */
int hwsdev_parse_size(const char *s, uint64_t *out);
/* "10", "10s", "500ms", "250us", "100ns", "2m", "1h", "1d" -> ns */
int hwsdev_parse_duration(const char *s, uint64_t *ns);

#endif /* HWSDEV_H */
