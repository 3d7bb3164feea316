// SPDX-License-Identifier: MIT
/*
 * The file set: names (FILE, or STEM-NNNNNN.hws), the ring of the newest
 * --max-files, rotation, and the cut that makes a closed file hold every
 * record written before it closed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rec.h"

/* The name of file number @seq. */
void rec_file_name(const struct rec *r, uint64_t seq, char *out, size_t len)
{
	const char *o = r->o.output;
	size_t n = strlen(o);
	bool ext = n > 4 && !strcmp(o + n - 4, ".hws");

	if (!r->numbered && seq == 0)
		snprintf(out, len, "%s", o);
	else
		snprintf(out, len, "%.*s-%06llu%s", (int)(ext ? n - 4 : n), o,
			 (unsigned long long)seq, ext ? ".hws" : "");
}

static int rec_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A numbered set continues after the files already there, and they count
 * toward --max-files: a restarted recorder (a service, after a reboot)
 * never overwrites a capture and keeps disk use bounded all the same.
 */
int rec_scan_existing(struct rec *r)
{
	char dir[sizeof(r->path)], first[sizeof(r->path)];
	const char *base, *slash;
	size_t stem_len, ext_len;
	struct dirent *e;
	DIR *d;

	rec_file_name(r, 0, first, sizeof(first));
	slash = strrchr(first, '/');
	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - first), first);
		base = slash + 1;
	} else {
		strcpy(dir, ".");
		base = first;
	}
	/* base is STEM-000000[.hws] */
	ext_len = strlen(base) >= 4 && !strcmp(base + strlen(base) - 4, ".hws") ? 4 : 0;
	stem_len = strlen(base) - ext_len - 6;
	d = opendir(dir[0] ? dir : "/");
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		unsigned long long seq;
		char **ring;
		char *end;

		if (strlen(n) != stem_len + 6 + ext_len ||
		    strncmp(n, base, stem_len) ||
		    strcmp(n + stem_len + 6, base + stem_len + 6))
			continue;
		errno = 0;
		seq = strtoull(n + stem_len, &end, 10);
		if (errno || end != n + stem_len + 6)
			continue;
		if (seq + 1 > r->file_seq)
			r->file_seq = seq + 1;
		ring = realloc(r->ring, (r->nr_ring + 1) * sizeof(*ring));
		if (!ring)
			break;
		r->ring = ring;
		if (asprintf(&r->ring[r->nr_ring], "%s/%s", dir, n) < 0)
			break;
		r->nr_ring++;
	}
	closedir(d);
	qsort(r->ring, r->nr_ring, sizeof(*r->ring), rec_cmp_str);
	return 0;
}

/*
 * The directory the output files go in: the part of -o before its last
 * slash ("/" for a file in the root), or "." for a bare name.
 */
void rec_output_dir(const struct rec *r, char *dir, size_t len)
{
	const char *slash = strrchr(r->o.output, '/');

	if (slash)
		snprintf(dir, len, "%.*s",
			 slash == r->o.output ? 1 : (int)(slash - r->o.output),
			 r->o.output);
	else
		snprintf(dir, len, ".");
}

/*
 * Make the directory entries of files created or removed so far durable
 * (--sync rotate or chunk): a file whose data reached the disk is no use
 * after a power cut if its name did not.
 */
static int rec_sync_dir(const struct rec *r)
{
	char dir[sizeof(r->path)];
	int fd, ret = 0;

	if (r->o.sync == REC_SYNC_NONE)
		return 0;
	rec_output_dir(r, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret)
		hwsdev_err("%s: syncing the directory: %s", dir,
			   strerror(-ret));
	return ret;
}

/* Create file @seq before it is needed, so a bad path costs no data. */
int rec_create_file(struct rec *r, uint64_t seq)
{
	char path[sizeof(r->path)];
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC;
	int fd;

	rec_file_name(r, seq, path, sizeof(path));
	if (!r->o.force)
		flags |= O_EXCL;
	fd = open(path, flags, 0644);
	if (fd < 0) {
		int err = -errno;

		struct stat st;

		if ((err == -EEXIST || err == -EISDIR) && !stat(path, &st) &&
		    S_ISDIR(st.st_mode))
			hwsdev_err("%s: is a directory; name a file in it (e.g. %s/hwstats.hws)",
				   path, path);
		else
			hwsdev_err("%s: %s", path, err == -EEXIST ?
				   "file exists (use --force to overwrite)" :
				   err == -ENOSPC ? "disk full" : strerror(-err));
		return err;
	}
	r->next_fd = fd;
	return 0;
}

/* Take the pre-created next file into use. Caller holds wlock for writing. */
int rec_file_begin(struct rec *r)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo) };
	char **ring;

	wo.level = r->o.level;
	wo.fsync = r->o.sync == REC_SYNC_CHUNK;
	wo.fsync_close = r->o.sync != REC_SYNC_NONE;
	wo.chunk_ns = r->o.flush_ns ? r->o.flush_ns : HWSTATS_DEFAULT_FLUSH_NS;
	rec_file_name(r, r->file_seq, r->path, sizeof(r->path));
	r->w = hws_writer_fdopen(r->next_fd, &r->hdr, &wo);
	if (!r->w) {
		int err = -errno;

		hwsdev_err("%s: %s", r->path, err == -ENOSPC ? "disk full" :
			   strerror(-err));
		/* Nothing went into it: leave no empty file behind. */
		close(r->next_fd);
		r->next_fd = -1;
		unlink(r->path);
		return err;
	}
	r->next_fd = -1;
	/* Each CPU goes on at the level it had reached. */
	for (uint32_t i = 0; r->cpus && i < r->nr_cpus; i++)
		if (r->cpus[i].rung < r->nr_ladder)
			hws_writer_set_level(r->w, i, r->ladder[r->cpus[i].rung]);
	r->file_t0 = rec_now();
	r->nr_files++;
	ring = realloc(r->ring, (r->nr_ring + 1) * sizeof(*ring));
	if (ring) {
		r->ring = ring;
		r->ring[r->nr_ring] = strdup(r->path);
		if (r->ring[r->nr_ring])
			r->nr_ring++;
	}
	/* The ring: the oldest files go, the newest max_files stay. */
	while (r->o.max_files && r->nr_ring > r->o.max_files) {
		/* not while a compaction renames it (rec_compact.c) */
		pthread_mutex_lock(&r->ring_lock);
		if (unlink(r->ring[0]) < 0 && errno != ENOENT)
			hwsdev_err("%s: cannot remove: %s", r->ring[0],
				   strerror(errno));
		pthread_mutex_unlock(&r->ring_lock);
		free(r->ring[0]);
		memmove(r->ring, r->ring + 1, --r->nr_ring * sizeof(*r->ring));
	}
	/* This file's name, and the removals, reach the disk. */
	return rec_sync_dir(r);
}

/*
 * Session totals so far, for a footer: cumulative per CPU, so the newest
 * file of a rotated set holds the totals of the whole session.
 */
struct hws_cpu_totals *rec_totals(struct rec *r, uint32_t *nr,
				  struct hwstats_cpu_stats **stats)
{
	struct hwstats_cpu_stats *st = NULL;
	struct hws_cpu_totals *tot;
	uint32_t nr_st = 0, i;
	int ret;

	ret = hwsdev_stats(r->dev, &st, &nr_st);
	if (ret) {
		hwsdev_err("%s: statistics: %s", r->o.device, strerror(-ret));
		*nr = 0;
		return NULL;
	}
	tot = calloc(nr_st ? nr_st : 1, sizeof(*tot));
	for (i = 0; tot && i < nr_st; i++) {
		tot[i].cpu = st[i].cpu;
		tot[i].flags = st[i].flags;
		tot[i].records = st[i].records;
		tot[i].bytes = st[i].bytes;
		tot[i].lost = st[i].lost;
		tot[i].subbufs = st[i].subbufs;
	}
	*nr = tot ? nr_st : 0;
	if (stats)
		*stats = st;
	else
		free(st);
	return tot;
}

/* Close the current file with @tot. Caller holds wlock for writing. */
int rec_file_end(struct rec *r, const struct hws_cpu_totals *tot,
		 uint32_t nr_tot)
{
	struct stat st;
	uint64_t bytes;
	int ret, end, lmin, lmax;

	if (!r->w)
		return 0;
	/* Close the chunks first: then the levels of all are known. */
	ret = hws_writer_flush(r->w);
	r->raw_rung_chunks += hwsi_writer_raw_rung_chunks(r->w);
	if (!hws_writer_levels(r->w, &lmin, &lmax)) {
		if (!r->level_min || lmin < r->level_min)
			r->level_min = lmin;
		if (!r->level_max || lmax > r->level_max)
			r->level_max = lmax;
	}
	bytes = hws_writer_file_bytes(r->w);
	r->closed_raw += hws_writer_raw_bytes(r->w);
	end = hws_writer_close(r->w, tot, nr_tot);
	if (!ret)
		ret = end;
	r->w = NULL;
	/* The size with the last chunks, the index and the footer. */
	if (!stat(r->path, &st) && S_ISREG(st.st_mode))
		bytes = (uint64_t)st.st_size;
	r->closed_bytes += bytes;
	if (ret)
		hwsdev_err("%s: closing: %s", r->path,
			   ret == -ENOSPC ? "disk full" : strerror(-ret));
	return ret;
}

/*
 * Cut the capture here, before a new file on SIGHUP or --rotate-time:
 * complete every CPU's current sub-buffer (FLUSH) and read every channel
 * empty from this thread, so the file that closes holds every record
 * written before the rotation, not up to two flush intervals less (a file
 * of an hour holds that hour), what waits in a CPU's spill included.
 * Reading stops after a buffer's worth per CPU beyond what the spill
 * held, so a CPU written faster than it is read cannot hold the rotation
 * up; a CPU gone offline keeps its last partial sub-buffer until it comes
 * back or the session ends. Whatever misses the cut goes into the next
 * file: nothing is lost either way.
 */
static int rec_cut(struct rec *r)
{
	uint64_t max = (uint64_t)r->hdr.subbuf_size * r->hdr.n_subbufs;
	uint32_t i;
	int ret = 0;

	if (r->o.overwrite || hwsdev_flush(r->dev))
		return 0;
	for (i = 0; i < r->nr_cpus && !ret; i++)
		ret = rec_drain_cpu(&r->cpus[i], max);
	return ret;
}

/*
 * A new file, same session: no record is lost or written twice. With
 * @cut, the file that closes holds every record written before this call.
 * The next file is created under the lock, so once it exists no record
 * goes into the one before.
 */
int rec_rotate(struct rec *r, bool cut)
{
	char closed[sizeof(r->path)] = "";
	struct hws_cpu_totals *tot;
	uint32_t nr_tot;
	int ret;

	if (cut) {
		ret = rec_cut(r);
		if (ret)
			return ret;
	}
	pthread_rwlock_wrlock(&r->wlock);
	ret = rec_create_file(r, r->file_seq + 1);
	if (!ret) {
		tot = rec_totals(r, &nr_tot, NULL);
		ret = rec_file_end(r, tot, nr_tot);
		free(tot);
		r->file_seq++;
		if (!ret) {
			strcpy(closed, r->path);
			rec_sources_prune(r);
			ret = rec_file_begin(r);
		}
	}
	pthread_rwlock_unlock(&r->wlock);
	if (closed[0])
		rec_compact_queue(r, closed);
	return ret;
}


/* The next file, opened ahead, will not be used: remove it. */
void rec_file_discard_next(struct rec *r)
{
	char path[sizeof(r->path)];

	if (r->next_fd < 0)
		return;
	rec_file_name(r, r->file_seq + 1, path, sizeof(path));
	close(r->next_fd);
	r->next_fd = -1;
	unlink(path);
	rec_sync_dir(r);
}

void rec_files_free(struct rec *r)
{
	uint32_t i;

	for (i = 0; i < r->nr_ring; i++)
		free(r->ring[i]);
	free(r->ring);
	r->ring = NULL;
	r->nr_ring = 0;
}
