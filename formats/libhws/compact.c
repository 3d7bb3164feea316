// SPDX-License-Identifier: MIT
/*
 * Compaction: a finished .hws file rewritten into longer chunks, with no
 * format change, and put in the original's place atomically.
 *
 * A recorder at a low rate closes a chunk every flush interval (1 s), so
 * that a power cut loses at most what its --sync policy says. Each chunk
 * costs about 300 bytes whatever it holds (chunk-header frame, index
 * entry, zstd framing, the sub-buffer header and the column layout of its
 * encoding), which at 100 records/s is a third of the file. Once a file is
 * finished (it has its footer) nothing more is written to it and crash
 * safety no longer needs short chunks: each CPU's consecutive chunks are
 * joined up to HWSI_COMPACT_CHUNK_BYTES of records or HWSI_COMPACT_CHUNK_NS
 * of time, the same records in the same order per CPU, the same header
 * frame (byte for byte), the same source frames (each still before the
 * first chunk that uses it), the same footer totals and flags, a new index.
 *
 * It refuses (and leaves the original untouched) whatever it does not
 * expect: damage of any kind, no footer, frames of later kinds or other
 * tools, a format version other than the one libhws writes, chunk headers
 * whose lost/seq fields are not what the records say. The new file is read
 * back and compared (per-CPU record bytes, totals, footer) before it
 * replaces the original.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hws_internal.h"

/* What the footer says; the reader has found it intact. */
struct footer_info {
	uint32_t flags;
	uint64_t nr_chunks;
	uint64_t nr_records;
	uint64_t raw_bytes;
	uint32_t nr_totals;
	int32_t level_min;
	int32_t level_max;
};

/* Per CPU: the writer's carried chunk-header state, and the records. */
struct cpu_walk {
	bool seen_subbuf;
	uint64_t cur_seq;
	uint64_t lost;
	uint32_t crc;		/* CRC32C of every record byte, in order */
	uint64_t bytes;
	uint64_t records;
	bool rung;		/* the writer is set to store raw (input) */
};

struct walk {
	struct hws_reader *r;
	int fd;
	uint32_t nr_cpus;
	struct cpu_walk *cpu;
	struct hws_writer *w;	/* input walk: where the records go */
	bool rung_flag;		/* footer says raw-rung chunks exist */
	uint64_t nr_rung;	/* chunks found stored raw */
	uint64_t nr_chunks;
	uint64_t nr_enc0;	/* encoding 0 chunks, raw-rung ones excepted */
	uint64_t nr_sources;	/* source frames */
	uint32_t *src_ids;	/* the ids described so far: a hash set */
	size_t nr_ids, cap_ids;
	const struct hwsi_compact_opts *o;
};

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int footer_read(int fd, uint64_t size, struct footer_info *f)
{
	uint8_t t[HWS_FOOTER_TRAILER], p[HWS_FOOTER_FIXED];
	uint64_t off;
	int err;

	if (size < HWS_FOOTER_TRAILER)
		return -EBADMSG;
	err = pread_all(fd, t, sizeof(t), size - sizeof(t));
	if (err)
		return err;
	if (hwsi_get32(t) < HWS_FOOTER_FIXED + HWS_FOOTER_TRAILER ||
	    hwsi_get32(t) > size - HWS_SKIP_HDR)
		return -EBADMSG;
	off = size - HWS_SKIP_HDR - hwsi_get32(t);
	err = pread_all(fd, p, sizeof(p), off + HWS_SKIP_HDR);
	if (err)
		return err;
	f->flags = hwsi_get32(p + 12);
	f->nr_chunks = hwsi_get64(p + 16);
	f->nr_records = hwsi_get64(p + 24);
	f->raw_bytes = hwsi_get64(p + 32);
	f->nr_totals = hwsi_get32(p + 40);
	f->level_min = (int32_t)hwsi_get32(p + 56);
	f->level_max = (int32_t)hwsi_get32(p + 60);
	return 0;
}

/*
 * Is the data frame of @fr made of zstd raw blocks only (the raw rung,
 * FORMAT.md 6.4)? 1, 0, or -errno.
 */
static int frame_stored(int fd, const struct hws_frame *fr)
{
	uint64_t end = fr->off + fr->len, off = end - fr->ch.frame_len;
	uint8_t h[5];
	unsigned int fhd, hlen;
	int err;

	err = pread_all(fd, h, 5, off);
	if (err)
		return err;
	fhd = h[4];
	hlen = 5 + !((fhd >> 5) & 1) +
	       (unsigned int[]){ 0, 1, 2, 4 }[fhd & 3] +
	       ((fhd >> 6) == 0 ? ((fhd >> 5) & 1) : 1U << (fhd >> 6));
	off += hlen;
	for (;;) {
		uint32_t b;

		if (end - off < 3)
			return 0;
		err = pread_all(fd, h, 3, off);
		if (err)
			return err;
		b = h[0] | h[1] << 8 | (uint32_t)h[2] << 16;
		if ((b >> 1) & 3)
			return 0;
		off += 3 + (b >> 3);
		if (off > end)
			return 0;
		if (b & 1)
			return 1;
	}
}

/*
 * The source ids described so far, hashed (open addressing, 0 is a free
 * slot: ids are > 0): a header may describe 400000 sources.
 */
static size_t ids_slot(const struct walk *k, uint32_t id)
{
	size_t i = (id * 2654435761U) & (k->cap_ids - 1);

	while (k->src_ids[i] && k->src_ids[i] != id)
		i = (i + 1) & (k->cap_ids - 1);
	return i;
}

static bool ids_have(const struct walk *k, uint32_t id)
{
	return k->cap_ids && k->src_ids[ids_slot(k, id)] == id;
}

static int ids_add(struct walk *k, uint32_t id)
{
	if (!id || ids_have(k, id))
		return 0;
	if (2 * (k->nr_ids + 1) > k->cap_ids) {
		size_t nc = k->cap_ids ? 2 * k->cap_ids : 64;
		uint32_t *old = k->src_ids, *n = calloc(nc, sizeof(*n));
		size_t oc = k->cap_ids;

		if (!n)
			return -ENOMEM;
		k->src_ids = n;
		k->cap_ids = nc;
		for (size_t i = 0; i < oc; i++)
			if (old[i])
				k->src_ids[ids_slot(k, old[i])] = old[i];
		free(old);
	}
	k->src_ids[ids_slot(k, id)] = id;
	k->nr_ids++;
	return 0;
}

/*
 * A source frame: kept, as the same bytes, before every chunk that follows
 * it. Only a frame as libhws writes it (re-encoded, it is the same bytes),
 * describing a source not described before, is expected.
 */
static int walk_source(struct walk *k, const struct hws_frame *fr)
{
	struct hws_source s = { 0 };
	uint8_t *buf = NULL, *again = NULL;
	int err;

	if (fr->len > HWS_SKIP_HDR + (uint64_t)HWS_MAX_HEADER_LEN)
		return -EPROTO;
	buf = malloc(fr->len);
	if (!buf)
		return -ENOMEM;
	err = pread_all(k->fd, buf, fr->len, fr->off);
	if (!err)
		err = hwsi_source_frame_decode(buf + HWS_SKIP_HDR,
					       (uint32_t)(fr->len - HWS_SKIP_HDR),
					       &s);
	if (err)
		goto out;
	if (!s.id || ids_have(k, s.id) ||
	    hwsi_source_frame_len(&s) != fr->len) {
		err = -EPROTO;
		goto out;
	}
	again = malloc(fr->len);
	if (!again) {
		err = -ENOMEM;
		goto out;
	}
	hwsi_source_frame_encode(again, fr->len, &s);
	if (memcmp(again, buf, fr->len)) {
		err = -EPROTO;
		goto out;
	}
	err = ids_add(k, s.id);
	if (!err && k->w)
		err = hws_writer_add_source(k->w, &s);
	k->nr_sources++;
out:
	free(again);
	free(buf);
	free(s.counters);
	return err;
}

/*
 * One chunk's records: its header's lost/seq/flags must be what a writer
 * (FORMAT.md §5) makes of the records, given what came before on its CPU;
 * then the records go on into the CPU's CRC and, on the input walk, into
 * the new file.
 */
static int walk_chunk(struct walk *k, const struct hws_frame *fr,
		      const uint8_t *rec, size_t len)
{
	struct cpu_walk *c = &k->cpu[fr->ch.cpu];
	uint64_t seq_first = 0, seq_last = 0;
	bool has = false;
	int err, stored = 0;

	/* chunk headers of later minors (longer) could not be kept */
	if (fr->len - fr->ch.frame_len != HWS_CHUNK_FRAME_LEN)
		return -EPROTO;

	for (size_t off = 0; off < len;) {
		const uint8_t *p = rec + off;
		uint16_t rlen = hwsi_rec_len(p);

		if (hwsi_rec_type(p) == HWSTATS_REC_SUBBUF &&
		    rlen >= HWS_SUBBUF_LEN &&
		    hwsi_get32(p + 16) == HWSTATS_SUBBUF_MAGIC) {
			uint64_t seq = hwsi_get64(p + 24);

			if (!has)
				seq_first = seq;
			seq_last = seq;
			has = true;
			c->seen_subbuf = true;
			c->cur_seq = seq;
			c->lost = hwsi_get64(p + 32);
		}
		off += rlen;
	}
	if (!has)
		seq_first = seq_last = c->cur_seq;
	if (fr->ch.lost != c->lost || fr->ch.seq_first != seq_first ||
	    fr->ch.seq_last != seq_last ||
	    fr->ch.flags != (c->seen_subbuf ? HWS_CHUNK_F_SEQ : 0))
		return -EPROTO;
	c->crc = hwsi_crc32c(c->crc, rec, len);
	c->bytes += len;
	c->records += fr->ch.nr_records;
	if (!k->w)
		return 0;

	/* the input: raw-rung chunks stay stored raw, joined among
	 * themselves, so that the footer's flag still says what it says */
	if (k->rung_flag && fr->ch.encoding == HWS_ENC_RAW) {
		stored = frame_stored(k->fd, fr);
		if (stored < 0)
			return stored;
	}
	if (stored)
		k->nr_rung++;
	else if (fr->ch.encoding == HWS_ENC_RAW)
		k->nr_enc0++;
	if ((bool)stored != c->rung) {
		err = hws_writer_flush_cpu(k->w, fr->ch.cpu);
		if (err)
			return err;
		hwsi_writer_set_raw(k->w, fr->ch.cpu, stored);
		c->rung = stored;
	}
	return hwsi_writer_append_checked(k->w, fr->ch.cpu, rec, len);
}

/*
 * Walk every frame of a file opened as @k->r: 0 when it is what a libhws
 * writer makes, intact, to its footer; -EPROTO (unexpected), -EBADMSG
 * (damaged), -ECANCELED or another -errno otherwise.
 */
static int walk_file(struct walk *k, uint64_t pos)
{
	const struct hws_damage *dmg;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int err = 0;

	for (;;) {
		struct hws_frame fr;

		if (k->o && k->o->cancelled && k->o->cancelled(k->o->arg)) {
			err = -ECANCELED;
			break;
		}
		err = hwsi_frame_at(k->r, pos, &fr);
		if (err)
			break;
		if (hwsi_at_end(k->r, &fr)) {
			if (fr.kind != HWS_FR_FOOTER)
				err = -EBADMSG;
			break;
		}
		pos = fr.next;
		switch (fr.kind) {
		case HWS_FR_INDEX:
			continue;
		case HWS_FR_SOURCE:
			err = walk_source(k, &fr);
			break;
		case HWS_FR_CHUNK:
			err = hwsi_chunk_load(k->r, &fr, &buf, &cap, true);
			if (err == 0)
				err = -EBADMSG;
			else if (err > 0)
				err = walk_chunk(k, &fr, buf, fr.ch.raw_len);
			k->nr_chunks++;
			break;
		case HWS_FR_BAD:
			err = -EBADMSG;
			break;
		default:
			/* later kinds, other tools' frames, a second header:
			 * where they stand could not be kept */
			err = -EPROTO;
			break;
		}
		if (err)
			break;
	}
	free(buf);
	if (!err && hws_reader_damage(k->r, &dmg))
		err = -EBADMSG;
	return err;
}

/*
 * Before the walk: are all chunks but the raw-rung ones stored raw
 * (the writer's raw_chunks, for zstd -dc)? Chunk headers only.
 */
static int count_enc0(struct walk *k, uint64_t pos, bool *all_raw)
{
	uint64_t n = 0, enc0 = 0;
	int err;

	for (;;) {
		struct hws_frame fr;

		err = hwsi_frame_at(k->r, pos, &fr);
		if (err)
			return err;
		if (hwsi_at_end(k->r, &fr))
			break;
		pos = fr.next;
		if (fr.kind != HWS_FR_CHUNK)
			continue;
		if (fr.ch.encoding == HWS_ENC_RAW && k->rung_flag) {
			int s = frame_stored(k->fd, &fr);

			if (s < 0)
				return s;
			if (s)
				continue;
		}
		n++;
		enc0 += fr.ch.encoding == HWS_ENC_RAW;
	}
	*all_raw = n && enc0 == n;
	return 0;
}

static int walk_init(struct walk *k, struct hws_reader *r,
		     const struct hws_header *h, uint32_t nr_hdr_sources,
		     const struct hwsi_compact_opts *o)
{
	memset(k, 0, sizeof(*k));
	k->r = r;
	k->fd = hwsi_reader_fd(r);
	k->o = o;
	k->nr_cpus = h->nr_cpus;
	k->cpu = calloc(h->nr_cpus, sizeof(*k->cpu));
	if (!k->cpu)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr_hdr_sources; i++)
		if (ids_add(k, h->sources[i].id))
			return -ENOMEM;
	return 0;
}

static void walk_fini(struct walk *k)
{
	free(k->cpu);
	free(k->src_ids);
}

static int stop_at(const struct hwsi_compact_opts *o,
		   enum hwsi_compact_step s)
{
	return o && o->stop_at && o->stop_at(s, o->arg) ? -EINTR : 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		err = -errno;
	close(fd);
	return err;
}

/* Is @name a temporary file of a compaction (".NAME.compact-XXXXXX")? */
bool hwsi_compact_temp_name(const char *name)
{
	size_t n = strlen(name), t = strlen(".compact-XXXXXX");

	return name[0] == '.' && n > t + 1 &&
	       !strncmp(name + n - t, ".compact-", 9);
}

int hwsi_compact_clean(const char *dir, const char *stem)
{
	size_t sl = stem ? strlen(stem) : 0;
	struct dirent *e;
	int removed = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		const char *n = e->d_name;

		if (!hwsi_compact_temp_name(n))
			continue;
		/* ".STEM.hws.compact-…" or ".STEM-000001.hws.compact-…" */
		if (stem && (strncmp(n + 1, stem, sl) ||
			     (n[1 + sl] != '.' && n[1 + sl] != '-')))
			continue;
		if (!unlinkat(dirfd(d), n, 0))
			removed++;
	}
	closedir(d);
	return removed;
}

/* Compare the new file with what the walk of the original found. */
static int verify(int fd, const struct walk *in, const struct footer_info *fi,
		  const struct hws_cpu_totals *tot, uint32_t nr_tot,
		  const struct hws_header *h, uint32_t nr_hdr_src,
		  struct hwsi_compact_result *res)
{
	const struct hws_cpu_totals *t2;
	struct footer_info f2;
	struct hws_reader *r;
	struct walk k;
	struct stat st;
	int err;

	if (lseek(fd, 0, SEEK_SET) < 0 || fstat(fd, &st) < 0)
		return -errno;
	r = hws_reader_fdopen(fd);
	if (!r)
		return -errno;
	err = walk_init(&k, r, h, nr_hdr_src, NULL);
	if (!err)
		err = walk_file(&k, hwsi_reader_pos(r));
	if (!err)
		err = footer_read(fd, (uint64_t)st.st_size, &f2);
	if (!err && (f2.flags != fi->flags || f2.nr_records != fi->nr_records ||
		     f2.raw_bytes != fi->raw_bytes ||
		     f2.nr_chunks != k.nr_chunks ||
		     k.nr_sources != in->nr_sources))
		err = -EIO;
	if (!err && (hws_reader_totals(r, &t2) != nr_tot ||
		     (nr_tot && memcmp(t2, tot, nr_tot * sizeof(*tot)))))
		err = -EIO;
	for (uint32_t i = 0; !err && i < k.nr_cpus; i++)
		if (k.cpu[i].crc != in->cpu[i].crc ||
		    k.cpu[i].bytes != in->cpu[i].bytes ||
		    k.cpu[i].records != in->cpu[i].records)
			err = -EIO;
	if (!err && res) {
		res->chunks_after = k.nr_chunks;
		res->size_after = (uint64_t)st.st_size;
	}
	walk_fini(&k);
	hws_reader_close(r);
	return err;
}

int hwsi_compact(const char *path, const struct hwsi_compact_opts *o,
		 struct hwsi_compact_result *res)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo) };
	struct hwsi_compact_result rs = { 0 };
	const struct hws_cpu_totals *tot;
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	struct hws_header h = { 0 };
	struct hws_reader_stats rst;
	struct hws_reader *r = NULL;
	struct hws_writer *w = NULL;
	struct footer_info fi;
	uint8_t *hframe = NULL;
	uint64_t min_avg;
	struct stat st, now;
	uint32_t nr_tot, hlen;
	const char *slash, *base;
	bool have_h = false;
	int fd = -1, tfd = -1, err;
	struct walk k = { 0 };
	uint8_t hh[8];

	if (res)
		*res = rs;
	if (!path)
		return -EINVAL;
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s",
			 slash == path ? 1 : (int)(slash - path), path);
	else
		strcpy(dir, ".");
	if (strlen(path) >= PATH_MAX || !*base)
		return -EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	rs.size_before = rs.size_after = (uint64_t)st.st_size;
	r = hws_reader_fdopen(fd);
	if (!r) {
		err = -errno;
		goto out;
	}
	/* a finished file, as this libhws writes them */
	if (hws_reader_stats(r, &rst) || !rst.has_footer) {
		err = -EBADMSG;
		goto out;
	}
	if (hws_reader_header(r)->format_major != HWS_FORMAT_MAJOR ||
	    hws_reader_header(r)->format_minor != HWS_FORMAT_MINOR) {
		err = -EPROTO;
		goto out;
	}
	err = footer_read(fd, (uint64_t)st.st_size, &fi);
	if (err)
		goto out;
	rs.chunks_before = rs.chunks_after = fi.nr_chunks;
	/* Only when it pays: long chunks already lose nothing to framing. */
	min_avg = o && o->min_avg ? o->min_avg : HWSI_COMPACT_MIN_AVG;
	if (fi.nr_chunks < 2 || fi.raw_bytes / fi.nr_chunks >= min_avg) {
		err = 0;
		goto out;
	}

	/* the header frame, byte for byte */
	err = pread_all(fd, hh, sizeof(hh), 0);
	if (err)
		goto out;
	hlen = hwsi_get32(hh + 4);
	if (hlen > HWS_MAX_HEADER_LEN) {
		err = -EBADMSG;
		goto out;
	}
	hframe = malloc(HWS_SKIP_HDR + (size_t)hlen);
	if (!hframe) {
		err = -ENOMEM;
		goto out;
	}
	err = pread_all(fd, hframe, HWS_SKIP_HDR + (size_t)hlen, 0);
	if (!err)
		err = hwsi_header_decode(hframe + HWS_SKIP_HDR, hlen, &h);
	if (err)
		goto out;
	have_h = true;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.compact-XXXXXX", dir, base) >=
	    (int)sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	tfd = mkostemp(tmp, O_CLOEXEC);
	if (tfd < 0) {
		err = -errno;
		goto out;
	}
	err = stop_at(o, HWSI_CS_TEMP_CREATED);
	if (err)
		goto out;
	if (fchmod(tfd, st.st_mode & 07777) < 0) {
		err = -errno;
		goto out_unlink;
	}
	/* at the recorder's level (the highest its chunks were made at) */
	wo.level = fi.level_max;
	wo.chunk_bytes = HWSI_COMPACT_CHUNK_BYTES;
	wo.chunk_ns = HWSI_COMPACT_CHUNK_NS;
	wo.fsync_close = true;
	err = walk_init(&k, r, &h, h.nr_sources, o);
	if (err)
		goto out_unlink;
	k.rung_flag = fi.flags & HWS_FOOTER_F_RAW_RUNG;
	/* a file of chunks stored raw for zstd -dc stays one; the others
	 * are decided chunk by chunk, as the writer does */
	err = count_enc0(&k, HWS_SKIP_HDR + (uint64_t)hlen, &wo.raw_chunks);
	if (err)
		goto out_unlink;
	w = hwsi_writer_fdopen_frame(dup(tfd), hframe, HWS_SKIP_HDR + hlen,
				     &h, &wo);
	if (!w) {
		err = -errno;
		goto out_unlink;
	}
	k.w = w;
	err = walk_file(&k, HWS_SKIP_HDR + (uint64_t)hlen);
	if (err)
		goto out_unlink;
	/* The raw-rung flag must stay true, and the footer's counts. */
	if (k.rung_flag && !k.nr_rung) {
		err = -EPROTO;
		goto out_unlink;
	}
	nr_tot = hws_reader_totals(r, &tot);
	err = hws_writer_close(w, tot, nr_tot);
	w = NULL;
	if (err)
		goto out_unlink;
	/* read back and compared: same records, totals and footer */
	err = verify(tfd, &k, &fi, tot, nr_tot, &h, h.nr_sources, &rs);
	if (err)
		goto out_unlink;
	if (rs.chunks_after >= fi.nr_chunks) {
		/* nothing was joined (every chunk a CPU's only one) */
		err = 0;
		rs.chunks_after = fi.nr_chunks;
		rs.size_after = rs.size_before;
		goto out_unlink;
	}
	err = stop_at(o, HWSI_CS_TEMP_WRITTEN);
	if (err)
		goto out;	/* as if killed: nothing is undone */

	if (o && o->cancelled && o->cancelled(o->arg)) {
		err = -ECANCELED;
		goto out_unlink;
	}
	if (o && o->lock)
		pthread_mutex_lock(o->lock);
	/* The original must still be the file that was read. */
	if (stat(path, &now) < 0)
		err = -errno;
	else if (now.st_ino != st.st_ino || now.st_dev != st.st_dev ||
		 now.st_size != st.st_size ||
		 now.st_mtim.tv_sec != st.st_mtim.tv_sec ||
		 now.st_mtim.tv_nsec != st.st_mtim.tv_nsec)
		err = -ESTALE;
	else if (rename(tmp, path) < 0)
		err = -errno;
	if (o && o->lock)
		pthread_mutex_unlock(o->lock);
	if (err)
		goto out_unlink;
	err = stop_at(o, HWSI_CS_RENAMED);
	if (err)
		goto out;
	/*
	 * The name now holds the compacted file. A directory that cannot be
	 * synced leaves the rename to the file system's own write-back: the
	 * name holds one complete file either way, so it is not a failure.
	 */
	sync_dir(dir);
	err = 1;
	goto out;

out_unlink:
	if (tfd >= 0)
		unlink(tmp);
	if (err == 0) {
		rs.size_after = rs.size_before;
		rs.chunks_after = fi.nr_chunks;
	}
out:
	if (w)
		hws_writer_close(w, NULL, 0);
	walk_fini(&k);
	if (tfd >= 0)
		close(tfd);
	if (have_h)
		hwsi_header_release(&h);
	free(hframe);
	hws_reader_close(r);
	if (fd >= 0)
		close(fd);
	if (res)
		*res = rs;
	return err;
}
