// SPDX-License-Identifier: MIT
/*
 * The .hws reader.
 *
 * The reader walks the file frame by frame with pread(), keeping at most one
 * chunk in memory, so its memory is bounded by the format's limits, never by
 * the file. Nothing in the file is trusted before its checksum is: a frame
 * whose own size cannot be believed is skipped by scanning for the next
 * intact hws frame (its magic, signature, length and CRC must all agree),
 * and the skipped bytes are reported as damage (FORMAT.md, "Reading a
 * damaged file").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "hws_internal.h"

#define SCAN_WIN	(64 * 1024)
#define MAX_DAMAGE	1024U	/* kept by default */
#define MAX_DAMAGE_OPT	4096U	/* most a caller may ask to keep */

struct hws_reader {
	int fd;
	bool own_fd;
	uint64_t size;		/* at open */
	struct hws_header hdr;
	uint64_t data_start;	/* first frame after the header */
	uint64_t pos;		/* next frame for hws_reader_next_chunk() */

	/* footer, if intact */
	bool has_footer;
	uint64_t footer_off;
	struct hws_cpu_totals *totals;
	uint32_t nr_totals;
	uint32_t nr_refs;
	uint32_t ref_len;
	uint64_t refs_off;	/* file offset of the index references */

	bool quiet;		/* the walk at open: record no damage */
	struct hws_damage *damage;	/* max_damage, allocated once */
	uint32_t nr_damage;
	uint32_t max_damage;
	struct hws_reader_stats stats;

	uint8_t *fbuf;		/* a frame as stored */
	size_t fbuf_cap;
	struct hwsi_decoder dc;	/* this reader's own chunk decoding */
	uint8_t *rbuf;		/* decoded records */
	size_t rbuf_cap;
	uint8_t *scan;		/* SCAN_WIN, for find_sync() */
	uint8_t *crcbuf;	/* SCAN_WIN, for crc_stream() */
	/*
	 * Resynchronising: every walk of the file (the merge's cursors, seeks,
	 * the source walk at open) meets the same damage, so where a scan from
	 * an offset ended is remembered; and the bytes CRC-checked for
	 * candidates are bounded by a budget linear in the file size.
	 */
	struct sync_memo { uint64_t from, at; } *sync_memo;
	uint32_t sync_cap, sync_n;
	uint64_t sync_budget;
};

/* Read up to @len bytes; returns the count (short only at end of file). */
static ssize_t pread_some(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Exactly @len bytes, or -EIO when the file has shrunk since open. */
static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread_some(fd, buf, len, off);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

static ssize_t rd(struct hws_reader *r, void *buf, size_t len, uint64_t off)
{
	return pread_some(r->fd, buf, len, off);
}

static int rd_full(struct hws_reader *r, void *buf, size_t len, uint64_t off)
{
	return pread_full(r->fd, buf, len, off);
}

static int reserve(uint8_t **buf, size_t *cap, size_t len)
{
	uint8_t *n;
	size_t c;

	if (len <= *cap)
		return 0;
	c = *cap ? *cap : 64 * 1024;
	while (c < len)
		c *= 2;
	n = realloc(*buf, c);
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = c;
	return 0;
}

__attribute__((format(printf, 6, 7)))
static void damage_add(struct hws_reader *r, uint32_t kind, uint64_t off,
		       uint64_t len, bool chunk, const char *fmt, ...)
{
	struct hws_damage *d;
	va_list ap;

	if (r->quiet)
		return;
	/* Merge cursors and seeks may pass the same damage again. */
	for (uint32_t i = 0; i < r->nr_damage; i++)
		if (r->damage[i].offset == off && r->damage[i].kind == kind)
			return;
	r->stats.bytes_skipped += len;
	if (chunk)
		r->stats.damaged_chunks++;
	if (!r->damage)
		r->damage = calloc(r->max_damage, sizeof(*r->damage));
	if (!r->damage || r->nr_damage == r->max_damage) {
		r->stats.damage_dropped++;
		return;
	}
	d = &r->damage[r->nr_damage++];
	d->kind = kind;
	d->offset = off;
	d->length = len;
	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
}

static bool is_skippable(uint32_t magic)
{
	return magic >= HWS_SKIP_MAGIC_MIN && magic <= HWS_SKIP_MAGIC_MAX;
}

static uint32_t magic_cap(uint32_t magic)
{
	switch (magic) {
	case HWS_MAGIC_HEADER:
		return HWS_MAX_HEADER_LEN;
	case HWS_MAGIC_CHUNK:
		return HWS_MAX_CHUNK_HDR_LEN;
	case HWS_MAGIC_INDEX:
		return HWS_MAX_INDEX_LEN;
	case HWS_MAGIC_FOOTER:
		return HWS_MAX_FOOTER_LEN;
	case HWS_MAGIC_SOURCE:
		return HWS_MAX_HEADER_LEN;
	default:
		return HWS_MAX_OTHER_LEN;
	}
}

/* The smallest payload an hws frame of this magic can have. */
static uint32_t magic_min(uint32_t magic)
{
	switch (magic) {
	case HWS_MAGIC_HEADER:
		return HWS_MIN_HEADER_LEN;
	case HWS_MAGIC_CHUNK:
		return HWS_MIN_CHUNK_LEN;
	case HWS_MAGIC_INDEX:
		return HWS_MIN_INDEX_LEN;
	case HWS_MAGIC_FOOTER:
		return HWS_MIN_FOOTER_LEN;
	case HWS_MAGIC_SOURCE:
		return HWS_MIN_SOURCE_LEN;
	default:
		return HWS_PROLOGUE_LEN + 4;
	}
}

/* Could these last < 8 bytes be the start of a frame? */
static bool is_frame_prefix(const uint8_t *h, size_t n)
{
	static const uint8_t zstd[4] = { 0x28, 0xB5, 0x2F, 0xFD };
	static const uint8_t skip[4] = { 0x50, 0x2A, 0x4D, 0x18 };
	bool z = true, s = true;

	for (size_t i = 0; i < n && i < 4; i++) {
		z = z && h[i] == zstd[i];
		s = s && (i ? h[i] == skip[i] : (h[i] & 0xF0) == 0x50);
	}
	return z || s;
}

enum hws_check {
	HC_OK,		/* an intact hws frame */
	HC_FOREIGN,	/* another tool's skippable frame */
	HC_BAD,		/* signature, length or magic do not agree */
	HC_CRC,		/* they agree; the CRC does not */
};

/* CRC of payload [0, len - 4) against its last 4 bytes, in windows. */
static int crc_stream(struct hws_reader *r, uint64_t off, uint32_t len,
		      bool *ok)
{
	uint32_t crc = 0, want;
	uint64_t done = 0;
	uint8_t tail[4];
	int err;

	while (done < (uint64_t)len - 4) {
		size_t n = (size_t)((uint64_t)len - 4 - done);

		if (n > SCAN_WIN)
			n = SCAN_WIN;
		err = rd_full(r, r->crcbuf, n, off + done);
		if (err)
			return err;
		crc = hwsi_crc32c(crc, r->crcbuf, n);
		done += n;
	}
	err = rd_full(r, tail, 4, off + len - 4);
	if (err)
		return err;
	want = hwsi_get32(tail);
	*ok = hwsi_crc_match(crc, want);
	return 0;
}

/*
 * Check the skippable frame at @off (@fsz payload bytes, inside the file).
 * Small known frames are left in r->fbuf for the caller.
 */
static int check_frame(struct hws_reader *r, uint64_t off, uint32_t magic,
		       uint32_t fsz, enum hws_check *res)
{
	uint32_t want = hwsi_sig_for_magic(magic), sig, len;
	uint8_t pro[8];
	bool ok;
	int err;

	if (fsz < HWS_PROLOGUE_LEN + 4) {
		*res = want ? HC_BAD : HC_FOREIGN;
		return 0;
	}
	err = rd_full(r, pro, sizeof(pro), off + HWS_SKIP_HDR);
	if (err)
		return err;
	sig = hwsi_get32(pro);
	len = hwsi_get32(pro + 4);
	if ((sig & HWS_SIG_MASK) != (HWS_SIG_HEADER & HWS_SIG_MASK)) {
		*res = want ? HC_BAD : HC_FOREIGN;
		return 0;
	}
	/* A known kind must come with its own magic, and the reverse. */
	if ((want && sig != want) || fsz < magic_min(magic) ||
	    (!want && (sig == HWS_SIG_HEADER || sig == HWS_SIG_CHUNK ||
		       sig == HWS_SIG_INDEX || sig == HWS_SIG_FOOTER ||
		       sig == HWS_SIG_SOURCE)) ||
	    len != fsz || fsz > magic_cap(magic)) {
		*res = HC_BAD;
		return 0;
	}
	if (magic == HWS_MAGIC_FOOTER || !want) {
		err = crc_stream(r, off + HWS_SKIP_HDR, fsz, &ok);
		if (err)
			return err;
	} else {
		err = reserve(&r->fbuf, &r->fbuf_cap, fsz);
		if (!err)
			err = rd_full(r, r->fbuf, fsz, off + HWS_SKIP_HDR);
		if (err)
			return err;
		ok = hwsi_payload_check(r->fbuf, fsz, want) == 0;
	}
	*res = ok ? HC_OK : HC_CRC;
	return 0;
}

/*
 * The extent of the regular zstd frame at @off, from its frame and block
 * headers (RFC 8878), reading a few bytes per block. 0 and *len, -EBADMSG
 * if it is not a frame, -ENODATA if it runs past the end of the file.
 */
static int zstd_extent(struct hws_reader *r, uint64_t off, uint64_t *len)
{
	static const uint8_t did_size[4] = { 0, 1, 2, 4 };
	static const uint8_t fcs_size[4] = { 0, 2, 4, 8 };
	uint8_t h[5], fhd;
	uint64_t pos;
	bool single;
	int err;

	if (r->size - off < 5)
		return -ENODATA;
	err = rd_full(r, h, 5, off);
	if (err)
		return err;
	if (hwsi_get32(h) != HWS_ZSTD_MAGIC)
		return -EBADMSG;
	fhd = h[4];
	if (fhd & 0x08)		/* reserved bit */
		return -EBADMSG;
	single = fhd & 0x20;
	pos = off + 5 + (single ? 0 : 1) + did_size[fhd & 3] +
	      (single && !(fhd >> 6) ? 1 : fcs_size[fhd >> 6]);
	for (;;) {
		uint8_t b[3];
		uint32_t bh, bsize, type;

		if (pos + 3 > r->size)
			return -ENODATA;
		err = rd_full(r, b, 3, pos);
		if (err)
			return err;
		bh = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
		type = (bh >> 1) & 3;
		bsize = bh >> 3;
		if (type == 3 || bsize > 128 * 1024)
			return -EBADMSG;
		pos += 3 + (type == 1 ? 1 : bsize);
		if (pos > r->size)
			return -ENODATA;
		if (bh & 1)
			break;
	}
	if (fhd & 0x04)
		pos += 4;
	if (pos > r->size)
		return -ENODATA;
	*len = pos - off;
	return 0;
}

#define SYNC_MEMO_MAX	(1U << 20)	/* 16 MiB of remembered scans */

static uint32_t sync_slot(uint64_t from, uint32_t cap)
{
	return (uint32_t)((from * 0x9E3779B97F4A7C15ULL) >> 32) & (cap - 1);
}

/*
 * Cheap tests a resynchronisation candidate at @q must pass before its CRC
 * is computed (FORMAT.md §9.2): fields that say how long the frame must be
 * agree with its size, a footer is only the one found at open, and a frame
 * of a kind this reader does not know is believed only when small. 1 when
 * worth a CRC check, 0 if not, -errno.
 */
static int sync_plausible(struct hws_reader *r, uint64_t q, uint32_t magic,
			  uint32_t fsz)
{
	uint8_t f[12];
	int err;

	switch (magic) {
	case HWS_MAGIC_CHUNK:
		return fsz <= HWS_MAX_CHUNK_HDR_LEN;
	case HWS_MAGIC_FOOTER:
		return r->has_footer && q == r->footer_off;
	case HWS_MAGIC_INDEX:
		if (fsz < HWS_MIN_INDEX_LEN || fsz > HWS_MAX_INDEX_LEN)
			return 0;
		err = rd_full(r, f, 8, q + HWS_SKIP_HDR + 8);
		if (err)
			return err;
		/* nr_entries * entry_len + fixed + CRC, exactly */
		return hwsi_get32(f) <= HWS_MAX_INDEX_ENTRIES &&
		       hwsi_get32(f + 4) >= HWS_INDEX_ENTRY_LEN &&
		       (uint64_t)hwsi_get32(f) * hwsi_get32(f + 4) ==
		       (uint64_t)fsz - HWS_INDEX_FIXED - 4;
	case HWS_MAGIC_SOURCE: {
		uint32_t fixed, slen, clen;

		if (fsz < HWS_MIN_SOURCE_LEN)
			return 0;
		err = rd_full(r, f, 12, q + HWS_SKIP_HDR + 8);
		if (err)
			return err;
		fixed = hwsi_get32(f);
		slen = hwsi_get32(f + 4);
		clen = hwsi_get32(f + 8);
		if (fixed < HWS_SOURCE_FIXED || slen < HWS_SOURCE_LEN ||
		    clen < HWS_COUNTER_LEN || fixed > fsz - 4 ||
		    slen > fsz - 4 - fixed)
			return 0;
		err = rd_full(r, f, 4, q + HWS_SKIP_HDR + fixed + 4);
		if (err)
			return err;
		return hwsi_get32(f) <= HWSTATS_MAX_COUNTERS &&
		       (uint64_t)hwsi_get32(f) * clen ==
		       (uint64_t)fsz - 4 - fixed - slen;
	}
	default:
		/* headers past the first, later minors' kinds */
		return fsz <= SCAN_WIN;
	}
}

static int find_sync_scan(struct hws_reader *r, uint64_t from, uint64_t *at)
{
	uint64_t base = from;

	while (r->size - base >= HWS_SKIP_HDR + HWS_PROLOGUE_LEN + 4 &&
	       base <= r->size) {
		ssize_t n = rd(r, r->scan, SCAN_WIN, base);

		if (n < 0)
			return (int)n;
		if (n < 4)
			break;
		for (ssize_t i = 0; i + 4 <= n; i++) {
			const uint8_t *p = r->scan + i;
			uint64_t q = base + (uint64_t)i;
			enum hws_check res;
			uint8_t h[8];
			uint32_t fsz, magic;
			int err;

			if (p[3] != 0x18 || p[2] != 0x4D || p[1] != 0x2A ||
			    (p[0] & 0xF0) != 0x50)
				continue;
			if (r->size - q < HWS_SKIP_HDR)
				continue;
			err = rd_full(r, h, sizeof(h), q);
			if (err)
				return err;
			magic = hwsi_get32(h);
			fsz = hwsi_get32(h + 4);
			if (fsz > r->size - q - HWS_SKIP_HDR ||
			    fsz < HWS_PROLOGUE_LEN + 4)
				continue;
			/* Another tool's frame is no place to go on at. */
			if (!hwsi_sig_for_magic(magic) && fsz > SCAN_WIN)
				continue;
			err = sync_plausible(r, q, magic, fsz);
			if (err < 0)
				return err;
			/* Past the budget only small candidates are checked. */
			if (!err || (fsz > r->sync_budget && fsz > 4096))
				continue;
			r->sync_budget -= fsz < r->sync_budget ?
					  fsz : r->sync_budget;
			err = check_frame(r, q, magic, fsz, &res);
			if (err)
				return err;
			if (res == HC_OK) {
				*at = q;
				return 0;
			}
		}
		if (n < SCAN_WIN)
			break;
		base += (uint64_t)n - 3;
	}
	*at = r->size;
	return 0;
}

/*
 * The next intact hws frame at or after @from, or the file size: the place
 * to go on after damage. An intact frame cannot be faked by chance: magic,
 * signature, length and CRC all have to agree. Scans already made are
 * remembered, so the walks of the merge's cursors cost one scan each and
 * all see the same frames (a scan made again after the CRC budget ran out
 * could end elsewhere; only past SYNC_MEMO_MAX damaged regions can that
 * happen).
 */
static int find_sync(struct hws_reader *r, uint64_t from, uint64_t *at)
{
	struct sync_memo *m;
	uint32_t i;
	int err;

	if (r->sync_n * 2 >= r->sync_cap && r->sync_cap < SYNC_MEMO_MAX) {
		uint32_t cap = r->sync_cap ? r->sync_cap * 2 : 64;
		struct sync_memo *n = calloc(cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (uint32_t k = 0; k < r->sync_cap; k++) {
			struct sync_memo *o = &r->sync_memo[k];

			if (!o->at)
				continue;
			for (i = sync_slot(o->from, cap); n[i].at;
			     i = (i + 1) & (cap - 1))
				;
			n[i] = *o;
		}
		free(r->sync_memo);
		r->sync_memo = n;
		r->sync_cap = cap;
	}
	for (i = sync_slot(from, r->sync_cap); r->sync_memo[i].at;
	     i = (i + 1) & (r->sync_cap - 1)) {
		if (r->sync_memo[i].from == from) {
			*at = r->sync_memo[i].at;
			return 0;
		}
	}
	m = &r->sync_memo[i];
	err = find_sync_scan(r, from, at);
	if (!err && r->sync_n * 2 < r->sync_cap) {
		m->from = from;
		m->at = *at;
		r->sync_n++;
	}
	return err;
}

/*
 * The frame at @pos cannot be read: skip to the next intact frame. If there
 * is none, the damage runs to the end of the file, and it is a truncation
 * when the frame at @pos was only cut short.
 */
static int resync(struct hws_reader *r, uint64_t pos, struct hws_frame *fr,
		  bool cut_short, bool chunk, const char *why)
{
	uint64_t q = r->size;
	int err;

	err = find_sync(r, pos + 1, &q);
	if (err)
		return err;
	if (q < r->size)
		damage_add(r, HWS_DAMAGE_CORRUPT, pos, q - pos, chunk,
			   "%s at offset %llu; %llu bytes skipped", why,
			   (unsigned long long)pos,
			   (unsigned long long)(q - pos));
	else if (cut_short)
		damage_add(r, HWS_DAMAGE_TRUNCATED, pos, q - pos, chunk,
			   "file ends inside a frame at offset %llu (%llu bytes of it)",
			   (unsigned long long)pos,
			   (unsigned long long)(q - pos));
	else
		damage_add(r, HWS_DAMAGE_CORRUPT, pos, q - pos, chunk,
			   "%s at offset %llu; nothing readable after it",
			   why, (unsigned long long)pos);
	fr->kind = q < r->size ? HWS_FR_BAD : HWS_FR_EOF;
	fr->len = q - pos;
	fr->next = q;
	return 0;
}

int hwsi_frame_at(struct hws_reader *r, uint64_t pos, struct hws_frame *fr)
{
	uint64_t rem, zlen;
	enum hws_check res;
	uint32_t magic, fsz;
	uint8_t h[8];
	ssize_t n;
	int err;

	memset(fr, 0, sizeof(*fr));
	fr->off = pos;
	if (pos >= r->size) {
		fr->kind = HWS_FR_EOF;
		fr->next = r->size;
		return 0;
	}
	rem = r->size - pos;
	n = rd(r, h, rem < 8 ? (size_t)rem : 8, pos);
	if (n < 0)
		return (int)n;
	if ((uint64_t)n < (rem < 8 ? rem : 8))
		return -EIO;
	if (rem < 8) {
		if (is_frame_prefix(h, (size_t)rem))
			damage_add(r, HWS_DAMAGE_TRUNCATED, pos, rem, false,
				   "file ends inside a frame header at offset %llu",
				   (unsigned long long)pos);
		else
			damage_add(r, HWS_DAMAGE_CORRUPT, pos, rem, false,
				   "%llu stray bytes at the end",
				   (unsigned long long)rem);
		fr->kind = HWS_FR_EOF;
		fr->len = rem;
		fr->next = r->size;
		return 0;
	}
	magic = hwsi_get32(h);
	fsz = hwsi_get32(h + 4);

	if (magic == HWS_ZSTD_MAGIC) {
		/* A regular frame no chunk header announced: a later minor's
		 * kind, or another tool's data. Skipped, not damage. */
		err = zstd_extent(r, pos, &zlen);
		if (err == -EBADMSG || err == -ENODATA)
			return resync(r, pos, fr, err == -ENODATA, false,
				      "undecodable zstd frame");
		if (err)
			return err;
		fr->kind = HWS_FR_OTHER;
		fr->len = zlen;
		fr->next = pos + zlen;
		return 0;
	}
	if (!is_skippable(magic))
		return resync(r, pos, fr, false, false, "no frame");
	if (fsz > rem - HWS_SKIP_HDR)
		return resync(r, pos, fr, true, magic == HWS_MAGIC_CHUNK,
			      "frame size past the end of the file");
	err = check_frame(r, pos, magic, fsz, &res);
	if (err)
		return err;
	fr->len = HWS_SKIP_HDR + (uint64_t)fsz;
	fr->next = pos + fr->len;
	switch (res) {
	case HC_FOREIGN:
		fr->kind = HWS_FR_OTHER;
		return 0;
	case HC_BAD:
		return resync(r, pos, fr, false, magic == HWS_MAGIC_CHUNK,
			      "damaged frame header");
	case HC_CRC:
		/* The length inside the payload agrees with the frame size,
		 * so only the payload is bad and the size can be believed.
		 * A chunk's data frame goes down with its header. */
		if (magic == HWS_MAGIC_CHUNK &&
		    zstd_extent(r, fr->next, &zlen) == 0)
			fr->next += zlen;
		damage_add(r, HWS_DAMAGE_CHECKSUM, pos, fr->next - pos,
			   magic == HWS_MAGIC_CHUNK,
			   "%s frame at offset %llu: checksum mismatch",
			   magic == HWS_MAGIC_CHUNK ? "chunk header" :
			   magic == HWS_MAGIC_INDEX ? "index" :
			   magic == HWS_MAGIC_FOOTER ? "footer" :
			   magic == HWS_MAGIC_HEADER ? "header" :
			   magic == HWS_MAGIC_SOURCE ? "source" : "hws",
			   (unsigned long long)pos);
		fr->kind = HWS_FR_BAD;
		fr->len = fr->next - pos;
		return 0;
	case HC_OK:
		break;
	}

	switch (magic) {
	case HWS_MAGIC_CHUNK:
		if (hwsi_chunk_hdr_decode(r->fbuf, fsz, &fr->ch)) {
			if (zstd_extent(r, fr->next, &zlen) == 0)
				fr->next += zlen;
			damage_add(r, HWS_DAMAGE_CORRUPT, pos, fr->next - pos,
				   true,
				   "chunk header at offset %llu: values out of range",
				   (unsigned long long)pos);
			fr->kind = HWS_FR_BAD;
			fr->len = fr->next - pos;
			return 0;
		}
		if (fr->ch.cpu >= r->hdr.nr_cpus) {
			if (zstd_extent(r, fr->next, &zlen) == 0)
				fr->next += zlen;
			damage_add(r, HWS_DAMAGE_CORRUPT, pos, fr->next - pos,
				   true,
				   "chunk at offset %llu: CPU %u, but the header has %u CPUs",
				   (unsigned long long)pos, fr->ch.cpu,
				   r->hdr.nr_cpus);
			fr->kind = HWS_FR_BAD;
			fr->len = fr->next - pos;
			return 0;
		}
		if (fr->ch.frame_len > r->size - fr->next) {
			damage_add(r, HWS_DAMAGE_TRUNCATED, pos, r->size - pos,
				   true,
				   "file ends inside chunk %llu (CPU %u) at offset %llu",
				   (unsigned long long)fr->ch.chunk_seq,
				   fr->ch.cpu, (unsigned long long)pos);
			fr->kind = HWS_FR_EOF;
			fr->len = r->size - pos;
			fr->next = r->size;
			return 0;
		}
		fr->kind = HWS_FR_CHUNK;
		fr->len += fr->ch.frame_len;
		fr->next += fr->ch.frame_len;
		return 0;
	case HWS_MAGIC_INDEX:
		fr->kind = HWS_FR_INDEX;
		return 0;
	case HWS_MAGIC_FOOTER:
		fr->kind = HWS_FR_FOOTER;
		return 0;
	case HWS_MAGIC_SOURCE:
		fr->kind = HWS_FR_SOURCE;
		return 0;
	default:
		/* headers past the first, and later minors' kinds */
		fr->kind = HWS_FR_OTHER;
		return 0;
	}
}

static int verify_records(const uint8_t *rec, size_t len,
			  const struct hws_chunk_hdr *ch)
{
	uint64_t lo = UINT64_MAX, hi = 0, n = 0;
	long ok = hws_stream_check(rec, len, NULL);

	if (ok < 0 || (size_t)ok != len)
		return -EBADMSG;
	for (size_t off = 0; off < len; n++) {
		uint64_t ts = hwsi_rec_ts(rec + off);

		if (ts < lo)
			lo = ts;
		if (ts > hi)
			hi = ts;
		off += hwsi_rec_len(rec + off);
	}
	if (n != ch->nr_records || lo != ch->first_ts || hi != ch->last_ts)
		return -EBADMSG;
	return 0;
}

/*
 * Decode the chunk @fr of the file on @fd into *buf with @d's buffers,
 * touching nothing else: any thread may run it, for any reader, as long as
 * @d and *buf are its own. 1, or 0 with *kind and *why when the chunk is
 * damaged, or -errno.
 */
int hwsi_chunk_decode(int fd, struct hwsi_decoder *d,
		      const struct hws_frame *fr, uint8_t **buf, size_t *cap,
		      uint32_t *kind, const char **why)
{
	const struct hws_chunk_hdr *ch = &fr->ch;
	uint64_t data_off = fr->off + fr->len - ch->frame_len;
	unsigned long long fcs;
	uint8_t *target;
	size_t z;
	int err;

	*kind = HWS_DAMAGE_CORRUPT;
	err = reserve(&d->fbuf, &d->fbuf_cap, ch->frame_len);
	if (!err)
		err = reserve(buf, cap, ch->raw_len ? ch->raw_len : 1);
	if (err)
		return err;
	err = pread_full(fd, d->fbuf, ch->frame_len, data_off);
	if (err)
		return err;
	if (!hwsi_crc_match(hwsi_crc32c(0, d->fbuf, ch->frame_len),
			   ch->frame_crc)) {
		*kind = HWS_DAMAGE_CHECKSUM;
		*why = "data checksum mismatch";
		return 0;
	}
	/* What the header promised must be what the frame says. */
	*why = "data frame does not match its header";
	if (hwsi_get32(d->fbuf) != HWS_ZSTD_MAGIC || !(d->fbuf[4] & 0x04))
		return 0;
	fcs = ZSTD_getFrameContentSize(d->fbuf, ch->frame_len);
	if (fcs != ch->content_len ||
	    ZSTD_findFrameCompressedSize(d->fbuf, ch->frame_len) !=
	    ch->frame_len)
		return 0;
	if (ch->encoding == HWS_ENC_RAW) {
		if (ch->content_len != ch->raw_len)
			return 0;
		target = *buf;
	} else {
		err = reserve(&d->cbuf, &d->cbuf_cap,
			      ch->content_len ? ch->content_len : 1);
		if (err)
			return err;
		target = d->cbuf;
	}
	z = ZSTD_decompressDCtx(d->dctx, target, ch->content_len, d->fbuf,
				ch->frame_len);
	if (ZSTD_isError(z)) {
		if (ZSTD_getErrorCode(z) == ZSTD_error_checksum_wrong) {
			*kind = HWS_DAMAGE_CHECKSUM;
			*why = "content checksum mismatch";
		} else {
			*why = "data frame does not decompress";
		}
		return 0;
	}
	if (z != ch->content_len)
		return 0;
	if (ch->encoding != HWS_ENC_RAW) {
		err = hwsi_dec_chunk(d->dec, ch->encoding, d->cbuf,
				    ch->content_len, *buf, ch->raw_len,
				    ch->nr_records);
		if (err == -ENOMEM)
			return err;
		if (err == -EPROTONOSUPPORT) {
			*why = "unknown chunk encoding (from a newer version?)";
			return 0;
		}
		if (err) {
			*why = "chunk content does not decode";
			return 0;
		}
	}
	if (verify_records(*buf, ch->raw_len, ch)) {
		*why = "records do not match the chunk header";
		return 0;
	}
	return 1;
}

void hwsi_chunk_account(struct hws_reader *r, const struct hws_frame *fr,
			int res, uint32_t kind, const char *why, bool count)
{
	const struct hws_chunk_hdr *ch = &fr->ch;

	if (res > 0) {
		if (count) {
			r->stats.chunks++;
			r->stats.records += ch->nr_records;
			r->stats.raw_bytes += ch->raw_len;
		}
		return;
	}
	if (res == 0)
		damage_add(r, kind, fr->off, fr->len, true,
			   "chunk %llu (CPU %u) at offset %llu: %s",
			   (unsigned long long)ch->chunk_seq, ch->cpu,
			   (unsigned long long)fr->off, why);
}

int hwsi_chunk_load(struct hws_reader *r, const struct hws_frame *fr,
		    uint8_t **buf, size_t *cap, bool count)
{
	const char *why = NULL;
	uint32_t kind = 0;
	int res;

	res = hwsi_chunk_decode(r->fd, &r->dc, fr, buf, cap, &kind, &why);
	hwsi_chunk_account(r, fr, res, kind, why, count);
	return res;
}

int hwsi_decoder_init(struct hwsi_decoder *d)
{
	memset(d, 0, sizeof(*d));
	d->dctx = ZSTD_createDCtx();
	d->dec = hwsi_dec_new();
	if (!d->dctx || !d->dec) {
		hwsi_decoder_fini(d);
		return -ENOMEM;
	}
	return 0;
}

void hwsi_decoder_fini(struct hwsi_decoder *d)
{
	free(d->fbuf);
	free(d->cbuf);
	ZSTD_freeDCtx(d->dctx);
	hwsi_dec_free(d->dec);
	memset(d, 0, sizeof(*d));
}

int hwsi_reader_fd(const struct hws_reader *r)
{
	return r->fd;
}

uint64_t hwsi_reader_pos(const struct hws_reader *r)
{
	return r->pos;
}

bool hwsi_at_end(const struct hws_reader *r, const struct hws_frame *fr)
{
	return fr->kind == HWS_FR_EOF ||
	       (fr->kind == HWS_FR_FOOTER && r->has_footer &&
		fr->off == r->footer_off);
}

int hws_reader_next_chunk(struct hws_reader *r, struct hws_chunk_info *info,
			  const void **records, size_t *len)
{
	struct hws_frame fr;
	int err;

	if (!r || !info || !records || !len)
		return -EINVAL;
	for (;;) {
		err = hwsi_frame_at(r, r->pos, &fr);
		if (err)
			return err;
		if (hwsi_at_end(r, &fr)) {
			if (fr.kind == HWS_FR_FOOTER)
				r->stats.end_offset = r->size;
			r->pos = fr.kind == HWS_FR_EOF ? fr.next : fr.off;
			return 0;
		}
		r->pos = fr.next;
		if (fr.kind != HWS_FR_CHUNK) {
			if (fr.kind != HWS_FR_BAD)
				r->stats.end_offset = fr.next;
			continue;
		}
		err = hwsi_chunk_load(r, &fr, &r->rbuf, &r->rbuf_cap, true);
		if (err < 0)
			return err;
		if (!err)
			continue;
		r->stats.end_offset = fr.next;
		memset(info, 0, sizeof(*info));
		info->cpu = fr.ch.cpu;
		info->nr_records = fr.ch.nr_records;
		info->first_ts = fr.ch.first_ts;
		info->last_ts = fr.ch.last_ts;
		info->lost = fr.ch.lost;
		info->seq_first = fr.ch.seq_first;
		info->seq_last = fr.ch.seq_last;
		info->file_offset = fr.off;
		info->flags = fr.ch.flags & HWS_CHUNK_F_SEQ ?
			      HWS_CHUNK_SEQ_VALID : 0;
		*records = r->rbuf;
		*len = fr.ch.raw_len;
		return 1;
	}
}

/* ---- seeking ---- */

static int seek_linear(struct hws_reader *r, uint64_t ts)
{
	uint64_t pos = r->data_start;
	struct hws_frame fr;
	int err;

	for (;;) {
		err = hwsi_frame_at(r, pos, &fr);
		if (err)
			return err;
		if (hwsi_at_end(r, &fr)) {
			r->pos = fr.kind == HWS_FR_EOF ? fr.next : fr.off;
			return 0;
		}
		if (fr.kind == HWS_FR_CHUNK && fr.ch.last_ts >= ts) {
			r->pos = fr.off;
			return 0;
		}
		pos = fr.next;
	}
}

/*
 * Is the chunk an index entry names where it says: an intact chunk header
 * of that chunk_seq, CPU, count and time span (FORMAT.md §9.4)? 1 yes, 0 no
 * (the index is stale or points elsewhere), -errno. Reports no damage: the
 * walk from wherever seeking lands will.
 */
static int peek_chunk(struct hws_reader *r, const struct hws_index_entry *e)
{
	struct hws_chunk_hdr ch;
	enum hws_check res;
	uint8_t h[8];
	uint32_t fsz;
	int err;

	if (e->offset > r->size || r->size - e->offset < HWS_SKIP_HDR)
		return 0;
	err = rd_full(r, h, sizeof(h), e->offset);
	if (err)
		return err;
	fsz = hwsi_get32(h + 4);
	if (hwsi_get32(h) != HWS_MAGIC_CHUNK ||
	    fsz > r->size - e->offset - HWS_SKIP_HDR)
		return 0;
	err = check_frame(r, e->offset, HWS_MAGIC_CHUNK, fsz, &res);
	if (err)
		return err;
	return res == HC_OK && !hwsi_chunk_hdr_decode(r->fbuf, fsz, &ch) &&
	       ch.chunk_seq == e->chunk_seq && ch.cpu == e->cpu &&
	       ch.nr_records == e->nr_records &&
	       ch.first_ts == e->first_ts && ch.last_ts == e->last_ts;
}

/*
 * Does the frame walk from the header (§9.1) reach a frame at @off? An index
 * entry could otherwise name a chunk header hidden inside another frame, and
 * a seek would show what a walk never does. Reads frame headers only, and
 * reports nothing: damage before a seek target is not the reader's concern.
 */
static int walk_reaches(struct hws_reader *r, uint64_t off)
{
	uint64_t pos = r->data_start;
	struct hws_frame fr;
	bool quiet = r->quiet;
	int err;

	r->quiet = true;
	for (;;) {
		err = hwsi_frame_at(r, pos, &fr);
		if (err || fr.off >= off || hwsi_at_end(r, &fr))
			break;
		pos = fr.next;
	}
	r->quiet = quiet;
	return err ? err : fr.off == off && fr.kind == HWS_FR_CHUNK;
}

/*
 * Through the footer's index references: the first index whose chunks may
 * reach @ts, then its first such entry. Returns 1 when placed, 0 when the
 * index cannot be trusted (then the caller reads chunk headers instead).
 */
static int seek_index(struct hws_reader *r, uint64_t ts)
{
	for (uint32_t i = 0; i < r->nr_refs; i++) {
		uint8_t rb[HWS_INDEX_REF_LEN], h[8];
		struct hws_index_ref ref;
		enum hws_check res;
		uint32_t n, elen, fsz;
		int err;

		err = rd_full(r, rb, sizeof(rb),
			      r->refs_off + (uint64_t)i * r->ref_len);
		if (err)
			return err;
		hwsi_index_ref_decode(rb, &ref);
		if (ref.max_last_ts < ts)
			continue;
		if (ref.offset < r->data_start || ref.offset > r->footer_off ||
		    r->footer_off - ref.offset < HWS_SKIP_HDR)
			return 0;
		err = rd_full(r, h, sizeof(h), ref.offset);
		if (err)
			return err;
		fsz = hwsi_get32(h + 4);
		if (hwsi_get32(h) != HWS_MAGIC_INDEX ||
		    fsz > r->footer_off - ref.offset - HWS_SKIP_HDR)
			return 0;
		err = check_frame(r, ref.offset, HWS_MAGIC_INDEX, fsz, &res);
		if (err)
			return err;
		/* check_frame() refused payloads shorter than fixed + CRC */
		if (res != HC_OK)
			return 0;
		n = hwsi_get32(r->fbuf + 8);
		elen = hwsi_get32(r->fbuf + 12);
		if (elen < HWS_INDEX_ENTRY_LEN ||
		    n > (fsz - HWS_INDEX_FIXED - 4) / elen)
			return 0;
		for (uint32_t k = 0; k < n; k++) {
			struct hws_index_entry e;

			hwsi_index_entry_decode(r->fbuf + HWS_INDEX_FIXED +
					       (size_t)k * elen, &e);
			if (e.last_ts < ts)
				continue;
			if (e.offset < r->data_start || e.offset >= ref.offset)
				return 0;
			err = peek_chunk(r, &e);
			if (err > 0)
				err = walk_reaches(r, e.offset);
			if (err <= 0)
				return err;
			r->pos = e.offset;
			return 1;
		}
		return 0;
	}
	r->pos = r->footer_off;
	return 1;
}

int hws_reader_seek_time(struct hws_reader *r, uint64_t ts)
{
	int err;

	if (!r)
		return -EINVAL;
	if (r->has_footer) {
		err = seek_index(r, ts);
		if (err)
			return err < 0 ? err : 0;
	}
	return seek_linear(r, ts);
}

/* ---- open ---- */

/*
 * The footer, found from the end of the file: its trailer says where it
 * starts. A file without an intact footer was not closed.
 */
static int footer_load(struct hws_reader *r)
{
	uint8_t t[HWS_FOOTER_TRAILER], h[8], *f = NULL;
	uint32_t len, fixed, tlen, nt, nrefs, rlen;
	uint64_t off, need;
	enum hws_check res;
	int err;

	if (r->size - r->data_start < HWS_SKIP_HDR + HWS_FOOTER_FIXED +
				      HWS_FOOTER_TRAILER)
		return 0;
	err = rd_full(r, t, sizeof(t), r->size - sizeof(t));
	if (err)
		return err;
	len = hwsi_get32(t);
	if (hwsi_get32(t + 4) != HWS_SIG_END ||
	    len < HWS_FOOTER_FIXED + HWS_FOOTER_TRAILER ||
	    len > r->size - r->data_start - HWS_SKIP_HDR)
		return 0;
	off = r->size - HWS_SKIP_HDR - len;
	err = rd_full(r, h, sizeof(h), off);
	if (err)
		return err;
	if (hwsi_get32(h) != HWS_MAGIC_FOOTER || hwsi_get32(h + 4) != len)
		return 0;
	err = check_frame(r, off, HWS_MAGIC_FOOTER, len, &res);
	if (err)
		return err;
	if (res != HC_OK)
		return 0;	/* the scan reports it when it gets there */
	f = malloc(HWS_FOOTER_FIXED);
	if (!f)
		return -ENOMEM;
	err = rd_full(r, f, HWS_FOOTER_FIXED, off + HWS_SKIP_HDR);
	if (err)
		goto out;
	fixed = hwsi_get32(f + 8);
	nt = hwsi_get32(f + 40);
	tlen = hwsi_get32(f + 44);
	nrefs = hwsi_get32(f + 48);
	rlen = hwsi_get32(f + 52);
	need = (uint64_t)fixed + (uint64_t)nt * tlen + (uint64_t)nrefs * rlen +
	       HWS_FOOTER_TRAILER;
	if (fixed < HWS_FOOTER_FIXED || tlen < HWS_TOTALS_LEN ||
	    rlen < HWS_INDEX_REF_LEN || nt > HWS_MAX_TOTALS || need > len)
		goto out;	/* intact but not understood: ignore it */
	if (nt) {
		uint8_t tb[HWS_TOTALS_LEN];

		r->totals = calloc(nt, sizeof(*r->totals));
		if (!r->totals) {
			err = -ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < nt; i++) {
			err = rd_full(r, tb, sizeof(tb), off + HWS_SKIP_HDR +
				      fixed + (uint64_t)i * tlen);
			if (err)
				goto out;
			hwsi_totals_decode(tb, &r->totals[i]);
		}
	}
	r->nr_totals = nt;
	r->nr_refs = nrefs;
	r->ref_len = rlen;
	r->refs_off = off + HWS_SKIP_HDR + fixed + (uint64_t)nt * tlen;
	r->footer_off = off;
	r->has_footer = true;
out:
	free(f);
	return err;
}

/* The ids of the header's sources, hashed: a file may hold 400000. */
struct id_set {
	uint32_t *id;		/* id + 1; 0 = free */
	uint32_t cap, n;
};

static bool id_set_add(struct id_set *s, uint32_t id, int *err)
{
	uint32_t i;

	*err = 0;
	if ((s->n + 1) * 2 > s->cap) {
		struct id_set g = { .cap = s->cap ? s->cap * 2 : 256 };

		g.id = calloc(g.cap, sizeof(*g.id));
		if (!g.id) {
			*err = -ENOMEM;
			return false;
		}
		for (i = 0; i < s->cap; i++)
			if (s->id[i])
				(void)id_set_add(&g, s->id[i] - 1, err);
		free(s->id);
		*s = g;
	}
	for (i = (uint32_t)((id * 0x9E3779B1ULL) & (s->cap - 1)); s->id[i];
	     i = (i + 1) & (s->cap - 1))
		if (s->id[i] == id + 1)
			return false;
	s->id[i] = id + 1;
	s->n++;
	return true;
}

/* Add a source frame's source to the header's table, unless known. */
static int source_add(struct hws_reader *r, const struct hws_frame *fr,
		      struct id_set *ids, uint32_t *cap)
{
	struct hws_header *h = &r->hdr;
	struct hws_source s, *n;
	int err;

	err = hwsi_source_frame_decode(r->fbuf, (uint32_t)(fr->len - HWS_SKIP_HDR),
				      &s);
	if (!err && s.id && !id_set_add(ids, s.id, &err) && !err)
		err = -EEXIST;
	if (err == -EBADMSG || err == -EEXIST || (!err && !s.id)) {
		/* Not understood, or a second description: the first stays. */
		free(s.counters);
		return 0;
	}
	if (err) {
		free(s.counters);
		return err;
	}
	if (h->nr_sources == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 16;

		n = realloc(h->sources, nc * sizeof(*n));
		if (!n) {
			free(s.counters);
			return -ENOMEM;
		}
		h->sources = n;
		*cap = nc;
	}
	h->sources[h->nr_sources++] = s;
	return 0;
}

/*
 * Since 1.1 a source that joined the session after the header was written
 * is described by a source frame before its first records. Collect them all
 * now, reading frame headers only, so that hws_reader_header() describes
 * every source whatever the reader later seeks to. Damage is reported by
 * the reads that follow, not here.
 */
static int sources_walk(struct hws_reader *r)
{
	uint64_t pos = r->data_start;
	struct id_set ids = { 0 };
	uint32_t cap = r->hdr.nr_sources;
	struct hws_frame fr;
	int err = 0;

	/* the header's own duplicates keep their first, as before */
	for (uint32_t i = 0; i < r->hdr.nr_sources && !err; i++)
		(void)id_set_add(&ids, r->hdr.sources[i].id, &err);
	r->quiet = true;
	while (!err) {
		err = hwsi_frame_at(r, pos, &fr);
		if (err || hwsi_at_end(r, &fr))
			break;
		if (fr.kind == HWS_FR_SOURCE) {
			err = source_add(r, &fr, &ids, &cap);
			if (err)
				break;
		}
		pos = fr.next;
	}
	r->quiet = false;
	free(ids.id);
	return err;
}

/* The header frame at offset 0: its version first, then its contents. */
static int header_frame(struct hws_reader *r, uint32_t *major,
			uint32_t *minor, uint32_t *fsz)
{
	enum hws_check res;
	uint8_t h[8];
	int err;

	if (r->size < HWS_SKIP_HDR)
		return -EBADMSG;
	err = rd_full(r, h, sizeof(h), 0);
	if (err)
		return err;
	*fsz = hwsi_get32(h + 4);
	if (hwsi_get32(h) != HWS_MAGIC_HEADER ||
	    *fsz > r->size - HWS_SKIP_HDR || *fsz < 12)
		return -EBADMSG;
	err = check_frame(r, 0, HWS_MAGIC_HEADER, *fsz, &res);
	if (err)
		return err;
	if (res != HC_OK)
		return -EBADMSG;
	*major = hwsi_get16(r->fbuf + 8);
	*minor = hwsi_get16(r->fbuf + 10);
	return 0;
}

/* A reader on @fd, which stays the caller's until it sets r->own_fd. */
static struct hws_reader *reader_new(int fd)
{
	struct hws_reader *r = calloc(1, sizeof(*r));
	struct stat st;

	if (!r)
		return NULL;
	r->fd = fd;
	r->max_damage = MAX_DAMAGE;
	if (fstat(fd, &st) < 0)
		goto err;
	/* A FIFO, a device or a directory has no size to read up to. */
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto err;
	}
	r->size = (uint64_t)st.st_size;
	r->sync_budget = (r->size > UINT64_MAX / 16 ? UINT64_MAX / 2 :
			  8 * r->size) + (64U << 20);
	r->scan = malloc(SCAN_WIN);
	r->crcbuf = malloc(SCAN_WIN);
	if (!r->scan || !r->crcbuf)
		goto err;
	return r;
err:
	free(r->scan);
	free(r->crcbuf);
	free(r);
	return NULL;
}

static void reader_free(struct hws_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	hwsi_header_release(&r->hdr);
	free(r->totals);
	free(r->damage);
	free(r->fbuf);
	hwsi_decoder_fini(&r->dc);
	free(r->rbuf);
	free(r->scan);
	free(r->crcbuf);
	free(r->sync_memo);
	free(r);
}

static struct hws_reader *reader_open(int fd, uint32_t max_damage)
{
	struct hws_reader *r = reader_new(fd);
	uint32_t major, minor, fsz;
	int err;

	if (!r)
		return NULL;
	r->max_damage = max_damage;
	err = header_frame(r, &major, &minor, &fsz);
	if (!err && major > HWS_FORMAT_MAJOR)
		err = -EPROTONOSUPPORT;
	else if (!err && major == 0)
		err = -EBADMSG;
	if (!err)
		err = hwsi_header_decode(r->fbuf, fsz, &r->hdr);
	if (err)
		goto err;
	r->data_start = r->pos = HWS_SKIP_HDR + (uint64_t)fsz;
	r->stats.end_offset = r->data_start;
	err = hwsi_decoder_init(&r->dc);
	if (err)
		goto err;
	err = footer_load(r);
	if (!err && (major > 1 || minor >= 1))
		err = sources_walk(r);
	if (err)
		goto err;
	r->stats.has_footer = r->has_footer;
	if (!r->has_footer)
		damage_add(r, HWS_DAMAGE_NO_FOOTER, r->size, 0, false,
			   "no footer: the recording was not closed (stopped early, or still being written)");
	return r;
err:
	reader_free(r);
	errno = -err;
	return NULL;
}

/*
 * Open without blocking (opening a FIFO for reading waits for a writer);
 * reader_new() then refuses anything but a regular file.
 */
static int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	int fl;

	if (fd < 0)
		return -1;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

/* @opts checked in libbpf's manner; what it asks for into *max_damage. */
static int reader_opts(const struct hws_reader_opts *opts,
		       uint32_t *max_damage)
{
	*max_damage = MAX_DAMAGE;
	if (!opts)
		return 0;
	if (opts->sz < sizeof(size_t))
		return -EINVAL;
	/* a caller built against a later version: what this one does not
	 * know of must be zero */
	for (size_t i = sizeof(*opts); i < opts->sz; i++)
		if (((const uint8_t *)opts)[i])
			return -EINVAL;
	if (opts->sz >= offsetof(struct hws_reader_opts, max_damage) +
		       sizeof(opts->max_damage) && opts->max_damage) {
		if (opts->max_damage > MAX_DAMAGE_OPT)
			return -EINVAL;
		*max_damage = opts->max_damage;
	}
	return 0;
}

struct hws_reader *hws_reader_fdopen(int fd)
{
	if (fd < 0) {
		errno = EINVAL;
		return NULL;
	}
	return reader_open(fd, MAX_DAMAGE);
}

struct hws_reader *hws_reader_open_opts(const char *path,
					const struct hws_reader_opts *opts)
{
	struct hws_reader *r;
	uint32_t max_damage;
	int fd, err;

	err = reader_opts(opts, &max_damage);
	if (err || !path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open_regular(path);
	if (fd < 0)
		return NULL;
	r = reader_open(fd, max_damage);
	if (!r) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	r->own_fd = true;
	return r;
}

struct hws_reader *hws_reader_open(const char *path)
{
	return hws_reader_open_opts(path, NULL);
}

void hws_reader_close(struct hws_reader *r)
{
	reader_free(r);
}

int hws_file_version(const char *path, uint32_t *major, uint32_t *minor)
{
	struct hws_reader *r;
	uint32_t fsz, maj = 0, min = 0;
	int fd, err;

	if (!path)
		return -EINVAL;
	fd = open_regular(path);
	if (fd < 0)
		return -errno;
	r = reader_new(fd);
	if (!r) {
		err = -errno;
		close(fd);
		return err;
	}
	r->own_fd = true;
	err = header_frame(r, &maj, &min, &fsz);
	reader_free(r);
	if (err)
		return err;
	if (major)
		*major = maj;
	if (minor)
		*minor = min;
	return 0;
}

const struct hws_header *hws_reader_header(const struct hws_reader *r)
{
	return r ? &r->hdr : NULL;
}

uint32_t hws_reader_totals(const struct hws_reader *r,
			   const struct hws_cpu_totals **totals)
{
	if (!r || !r->has_footer) {
		if (totals)
			*totals = NULL;
		return 0;
	}
	if (totals)
		*totals = r->totals;
	return r->nr_totals;
}

uint32_t hws_reader_damage(const struct hws_reader *r,
			   const struct hws_damage **damage)
{
	if (!r) {
		if (damage)
			*damage = NULL;
		return 0;
	}
	if (damage)
		*damage = r->damage;
	return r->nr_damage;
}

int hws_reader_stats(const struct hws_reader *r, struct hws_reader_stats *st)
{
	if (!r || !st)
		return -EINVAL;
	*st = r->stats;
	return 0;
}
