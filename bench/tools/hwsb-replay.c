// SPDX-License-Identifier: MIT
/*
 * hwsb-replay - hwstats-record's drain pipeline, fed from files instead of
 * relay channels, as fast as it goes.
 *
 *   hwsb-replay [-p] [-c] [-l LEVEL] [-F CHUNK_NS] -o OUT.hws CPU0.raw ...
 *
 * One thread per input does what the recorder's drain thread does with
 * each read(): read up to 1 MiB, check the records are whole
 * (hws_stream_check), append them under the writer's read lock
 * (hws_writer_append: the chunk is compressed in this thread), count them.
 * The writer has the recorder's options: the level (default 3), chunks
 * closed at 1 MiB or at the flush interval of record time (default 1 s).
 * At the end the file is closed with per-CPU totals in its footer; with -c
 * it is then compacted as hwstats-record finishes a file (the live file's
 * size is file_bytes, the finished one's final_bytes; the time excludes it).
 *
 * The recorder pins each thread to the CPU whose buffer it reads, where
 * the data is in the cache; here no CPU wrote the data, so the threads
 * are pinned only with -p (index mod online CPUs). On a shared machine a
 * pinned thread waits for its CPU while another is free.
 *
 * The inputs are read from the page cache (run it twice, or read them
 * first), so the time is the pipeline's, not the disk's. Prints one line of
 * key=value words: records, raw bytes, file bytes, seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hws_internal.h"

#define READ_SIZE (1u << 20)

struct feeder {
	pthread_t thread;
	uint32_t cpu;
	const char *path;
	struct hws_writer *w;
	pthread_rwlock_t *lock;
	bool pin;
	uint64_t records, samples, bytes;
	int err;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *feed(void *arg)
{
	struct feeder *f = arg;
	char *buf = malloc(READ_SIZE);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	size_t keep = 0;
	int fd;

	if (f->pin) {
		CPU_ZERO(&set);
		CPU_SET(f->cpu % (ncpu > 0 ? ncpu : 1), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		f->err = -errno;
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, buf + keep, READ_SIZE - keep);
		size_t len, off = 0, bad = 0;
		long whole;
		int ret;

		if (n < 0) {
			f->err = -errno;
			break;
		}
		len = keep + (size_t)n;
		if (!len)
			break;
		/*
		 * The kernel hands out whole records; a file read in 1 MiB
		 * pieces does not, so carry a partial record over.
		 */
		whole = hws_stream_check(buf, len, &bad);
		if (whole <= 0) {
			f->err = whole < 0 ? (int)whole : -EBADMSG;
			break;
		}
		pthread_rwlock_rdlock(f->lock);
		ret = hws_writer_append(f->w, f->cpu, buf, (size_t)whole);
		pthread_rwlock_unlock(f->lock);
		if (ret) {
			f->err = ret;
			break;
		}
		while (off + sizeof(struct hwstats_rec) <= (size_t)whole) {
			const struct hwstats_rec *h = (const void *)(buf + off);

			f->samples += h->type == HWSTATS_REC_SAMPLE;
			f->records++;
			off += h->len;
		}
		f->bytes += (size_t)whole;
		keep = len - (size_t)whole;
		memmove(buf, buf + whole, keep);
		if (!n)
			break;
	}
	close(fd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct hws_counter ctr[64];
	struct hws_source src = { .id = 1, .name = "sim", .counters = ctr };
	struct hws_header h = {
		.host = "bench", .kernel = "replay", .module_version = "0.1.0",
		.subbuf_size = HWSTATS_DEFAULT_SUBBUF_SIZE,
		.n_subbufs = HWSTATS_DEFAULT_N_SUBBUFS,
		.period_ns = HWSTATS_DEFAULT_PERIOD_NS,
		.start_boot_ns = 1000ULL * 1000000000ULL,
		.start_real_ns = 1795813200ULL * 1000000000ULL,
		.nr_sources = 1, .sources = &src,
	};
	struct hws_writer_opts wo = { .sz = sizeof(wo), .level = 3,
				      .chunk_ns = 1000000000ULL };
	uint32_t counters = 4, gauges = 2, i, n;
	struct hws_cpu_totals *tot;
	pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
	const char *out = NULL;
	struct feeder *f;
	uint64_t records = 0, samples = 0, bytes = 0;
	double t;
	int c, ret = 0;
	bool pin = false, compact = false;
	long final = -1;
	double ctime_s = 0;

	while ((c = getopt(argc, argv, "pcl:F:o:C:G:")) != -1) {
		switch (c) {
		case 'p': pin = true; break;
		case 'c': compact = true; break;
		case 'l': wo.level = atoi(optarg); break;
		case 'F': wo.chunk_ns = strtoull(optarg, NULL, 0); break;
		case 'o': out = optarg; break;
		case 'C': counters = atoi(optarg); break;
		case 'G': gauges = atoi(optarg); break;
		default: return 1;
		}
	}
	n = (uint32_t)(argc - optind);
	if (!out || !n || counters + gauges > 64 || !counters) {
		fprintf(stderr, "usage: hwsb-replay [-p] [-c] [-l LEVEL] [-F CHUNK_NS] [-C COUNTERS] [-G GAUGES] -o OUT.hws CPU0.raw ...\n");
		return 1;
	}
	/* The simulated device's schema, as hwstats-record would write it. */
	src.nr_counters = counters + gauges;
	for (i = 0; i < src.nr_counters; i++) {
		if (!i)
			snprintf(ctr[i].name, sizeof(ctr[i].name), "ticks");
		else if (i < counters)
			snprintf(ctr[i].name, sizeof(ctr[i].name), "counter%u", i);
		else
			snprintf(ctr[i].name, sizeof(ctr[i].name), "gauge%u",
				 i - counters);
		snprintf(ctr[i].unit, sizeof(ctr[i].unit), "%s",
			 !i ? "samples" : i < counters ? "events" : "level");
		ctr[i].kind = i < counters ? HWSTATS_KIND_COUNTER :
			      HWSTATS_KIND_GAUGE;
	}
	h.nr_cpus = n;
	f = calloc(n, sizeof(*f));
	tot = calloc(n, sizeof(*tot));
	if (!f || !tot)
		return 2;
	t = now();
	f[0].w = hws_writer_open(out, &h, &wo);
	if (!f[0].w) {
		fprintf(stderr, "hwsb-replay: %s: %s\n", out, strerror(errno));
		return 2;
	}
	for (i = 0; i < n; i++) {
		f[i].cpu = i;
		f[i].path = argv[optind + i];
		f[i].w = f[0].w;
		f[i].lock = &lock;
		f[i].pin = pin;
		if (pthread_create(&f[i].thread, NULL, feed, &f[i]))
			return 2;
	}
	for (i = 0; i < n; i++) {
		pthread_join(f[i].thread, NULL);
		if (f[i].err) {
			fprintf(stderr, "hwsb-replay: %s: %s\n", f[i].path,
				strerror(-f[i].err));
			ret = 2;
		}
		tot[i] = (struct hws_cpu_totals){
			.cpu = i, .flags = HWSTATS_CPU_HAS_BUFFER,
			.records = f[i].samples, .bytes = f[i].bytes,
		};
		records += f[i].records;
		samples += f[i].samples;
		bytes += f[i].bytes;
	}
	if (hws_writer_close(f[0].w, tot, n)) {
		fprintf(stderr, "hwsb-replay: %s: close failed\n", out);
		ret = 2;
	}
	t = now() - t;
	{
		FILE *o = fopen(out, "r");
		long size = -1;

		if (o && !fseek(o, 0, SEEK_END))
			size = ftell(o);
		if (o)
			fclose(o);
		/* -c: then as hwstats-record finishes a file (compact.c) */
		if (compact && !ret) {
			struct hwsi_compact_result res;
			double ct = now();
			int c2 = hwsi_compact(out, NULL, &res);

			ctime_s = now() - ct;

			if (c2 < 0) {
				fprintf(stderr, "hwsb-replay: %s: compaction: %s\n",
					out, strerror(-c2));
				ret = 2;
			}
			final = (long)res.size_after;
		}
		printf("replay records=%llu samples=%llu raw_bytes=%llu file_bytes=%ld seconds=%.6f level=%d",
		       (unsigned long long)records, (unsigned long long)samples,
		       (unsigned long long)bytes, size, t, wo.level);
		if (compact)
			printf(" final_bytes=%ld compact_seconds=%.6f", final,
			       ctime_s);
		printf("\n");
	}
	free(f);
	free(tot);
	return ret;
}
