// SPDX-License-Identifier: MIT
/*
 * gen_golden - writes the golden damaged .hws files and what a reader must
 * report for each (NAME.expect), into the directory given.
 *
 * One small intact file is written with libhws; every other file is a copy
 * damaged in one precise way. The expectations follow from FORMAT.md's rules
 * and the file's frame layout, which this program walks itself: they do not
 * come from the reader under test.
 *
 * Usage: gen_golden DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "hws.h"
#include "hws_gen.h"
#include "hws_internal.h"

enum unit_kind { U_HEADER, U_CHUNK, U_INDEX, U_FOOTER };

struct unit {
	enum unit_kind kind;
	uint64_t off;
	uint64_t len;
	uint32_t nr_records;
};

struct file {
	uint8_t *p;
	size_t len;
	struct unit u[256];
	size_t n;
};

static const char *outdir;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("gen_golden: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void walk(struct file *f)
{
	uint64_t pos = 0;

	f->n = 0;
	while (pos < f->len) {
		uint32_t magic = hwsi_get32(f->p + pos);
		struct unit *u = &f->u[f->n++];

		u->off = pos;
		u->len = 8 + (uint64_t)hwsi_get32(f->p + pos + 4);
		u->nr_records = 0;
		switch (magic) {
		case HWS_MAGIC_HEADER:
			u->kind = U_HEADER;
			break;
		case HWS_MAGIC_CHUNK:
			u->kind = U_CHUNK;
			u->nr_records = hwsi_get32(f->p + pos + 8 + 12);
			u->len += hwsi_get32(f->p + pos + 8 + 80);
			break;
		case HWS_MAGIC_INDEX:
			u->kind = U_INDEX;
			break;
		case HWS_MAGIC_FOOTER:
			u->kind = U_FOOTER;
			break;
		default:
			die("no frame at %llu", (unsigned long long)pos);
		}
		pos += u->len;
	}
}

/* The @k-th (from 1) unit of @kind. */
static const struct unit *nth(const struct file *f, enum unit_kind kind,
			      int k)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->u[i].kind == kind && --k == 0)
			return &f->u[i];
	die("no unit %d of kind %d", k, kind);
	return NULL;
}

static const struct unit *after(const struct file *f, const struct unit *u)
{
	return u + 1 < f->u + f->n ? u + 1 : NULL;
}

struct expect {
	const char *open;	/* "ok", "EBADMSG", "EPROTONOSUPPORT" */
	const char *why;
	char damage[16][64];
	int nd;
	uint64_t chunks;
	uint64_t records;
};

static void damage(struct expect *e, const char *kind, uint64_t off,
		   uint64_t len)
{
	snprintf(e->damage[e->nd++], sizeof(e->damage[0]), "damage %s %llu %llu",
		 kind, (unsigned long long)off, (unsigned long long)len);
}

/* Chunks of @f that end at or before @end, minus the one at @skip. */
static void count_chunks(struct expect *e, const struct file *f,
			 uint64_t end, const struct unit *skip1,
			 const struct unit *skip2)
{
	e->chunks = e->records = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct unit *u = &f->u[i];

		if (u->kind != U_CHUNK || u->off + u->len > end || u == skip1 ||
		    u == skip2)
			continue;
		e->chunks++;
		e->records += u->nr_records;
	}
}

static void emit(const char *name, const void *p, size_t len,
		 const struct expect *e)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f))
		die("%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s.expect", outdir, name);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "# %s\n# written by tests/golden/gen_golden.c\n", e->why);
	fprintf(f, "open %s\n", e->open);
	if (!strcmp(e->open, "ok")) {
		fprintf(f, "chunks %llu\n", (unsigned long long)e->chunks);
		fprintf(f, "records %llu\n", (unsigned long long)e->records);
		for (int i = 0; i < e->nd; i++)
			fprintf(f, "%s\n", e->damage[i]);
	}
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

static void read_file(const char *path, struct file *f, bool known_only)
{
	struct stat st;
	FILE *fp = fopen(path, "rb");

	if (!fp || fstat(fileno(fp), &st))
		die("%s: %s", path, strerror(errno));
	f->len = (size_t)st.st_size;
	f->p = malloc(f->len);
	if (!f->p || fread(f->p, 1, f->len, fp) != f->len)
		die("%s: short read", path);
	fclose(fp);
	if (known_only)
		walk(f);
}

/* The base file: 2 CPUs, small chunks, an index every 3 chunks. */
static void write_base(const char *path, bool minor9)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 1200,
				      .index_every = 3 };
	struct hws_gen_opts go = { .seed = 2024, .nr_sources = 2,
				   .min_counters = 5, .max_counters = 8,
				   .subbuf_size = 2048, .loss_every = 3 };
	struct hws_cpu_totals tot[2] = {
		{ .cpu = 0, .records = 40, .bytes = 8000, .lost = 2, .subbufs = 4 },
		{ .cpu = 1, .records = 20, .bytes = 4000, .lost = 1, .subbufs = 2 },
	};
	struct hws_gen *g[2];
	struct hws_header h;
	struct hws_writer *w;
	uint8_t piece[600];

	for (uint32_t c = 0; c < 2; c++) {
		struct hws_gen_opts o = go;

		o.cpu = c;
		g[c] = hws_gen_new(&o);
		if (!g[c])
			die("out of memory");
	}
	if (hws_gen_header(g[0], 2, &h))
		die("out of memory");
	if (!minor9) {
		w = hws_writer_open(path, &h, &wo);
	} else {
		/* as a minor-9 writer: a longer chunk header, an unknown frame
		 * kind followed by a regular zstd frame, another tool's
		 * skippable frame */
		size_t len = hwsi_header_frame_len(&h);
		uint8_t *fr = malloc(len);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		hwsi_header_encode(fr, len, &h);
		hwsi_put16(fr + HWS_SKIP_HDR + 10, 9);
		hwsi_frame_seal(fr, (uint32_t)(len - HWS_SKIP_HDR));
		w = hwsi_writer_fdopen_frame(fd, fr, len, &h, &wo);
		free(fr);
		if (w)
			hwsi_writer_set_chunk_hdr_len(w, HWS_CHUNK_LEN + 16);
	}
	if (!w)
		die("%s: %s", path, strerror(errno));
	for (int i = 0; i < 14; i++) {
		uint32_t c = (uint32_t)(i % 3 == 2);
		size_t n = hws_gen_fill(g[c], piece, sizeof(piece));

		if (hws_writer_append(w, c, piece, n))
			die("append failed");
		if (minor9 && i % 4 == 3) {
			uint8_t x[64], z[64];
			size_t zn = ZSTD_compress(z, sizeof(z), "later", 5, 1);

			hwsi_frame_begin(x, 0x184D2A56, HWS_SIG('Z'), 40);
			memset(x + 16, 0x77, 28);
			hwsi_frame_seal(x, 40);
			if (hws_writer_flush(w) ||
			    hwsi_writer_put_frame(w, x, 48) ||
			    hwsi_writer_put_frame(w, z, zn))
				die("put_frame failed");
			hwsi_put32(x, 0x184D2A5E);
			hwsi_put32(x + 4, 12);
			memset(x + 8, 0, 12);
			if (hwsi_writer_put_frame(w, x, 20))
				die("put_frame failed");
		}
	}
	if (hws_writer_close(w, tot, 2))
		die("close failed");
	hws_gen_header_free(&h);
	hws_gen_free(g[0]);
	hws_gen_free(g[1]);
}

int main(int argc, char **argv)
{
	struct file f, m9;
	struct expect e;
	const struct unit *c2, *c3, *ix, *ft, *hd;
	char base[512];
	uint8_t *buf;
	uint64_t cut;

	if (argc != 2)
		die("usage: gen_golden DIR");
	outdir = argv[1];
	snprintf(base, sizeof(base), "%s/.base.hws", outdir);
	write_base(base, false);
	read_file(base, &f, true);
	unlink(base);
	hd = nth(&f, U_HEADER, 1);
	c2 = nth(&f, U_CHUNK, 2);
	c3 = nth(&f, U_CHUNK, 3);
	ix = nth(&f, U_INDEX, 1);
	ft = nth(&f, U_FOOTER, 1);
	buf = malloc(f.len + 1024);

	e = (struct expect){ .open = "ok", .why = "an intact file" };
	count_chunks(&e, &f, f.len, NULL, NULL);
	emit("intact.hws", f.p, f.len, &e);

	cut = c3->off + HWS_CHUNK_FRAME_LEN + (c3->len - HWS_CHUNK_FRAME_LEN) / 2;
	e = (struct expect){ .open = "ok", .why = "cut in the middle of chunk 3's data frame" };
	count_chunks(&e, &f, cut, NULL, NULL);
	damage(&e, "NO_FOOTER", cut, 0);
	damage(&e, "TRUNCATED", c3->off, cut - c3->off);
	emit("truncated-in-chunk-data.hws", f.p, cut, &e);

	cut = c3->off + 5;
	e = (struct expect){ .open = "ok", .why = "cut 5 bytes into chunk 3's header frame" };
	count_chunks(&e, &f, cut, NULL, NULL);
	damage(&e, "NO_FOOTER", cut, 0);
	damage(&e, "TRUNCATED", c3->off, 5);
	emit("truncated-in-chunk-header.hws", f.p, cut, &e);

	cut = c3->off + HWS_CHUNK_FRAME_LEN;
	e = (struct expect){ .open = "ok", .why = "cut between chunk 3's header and data frames" };
	count_chunks(&e, &f, cut, NULL, NULL);
	damage(&e, "NO_FOOTER", cut, 0);
	damage(&e, "TRUNCATED", c3->off, HWS_CHUNK_FRAME_LEN);
	emit("truncated-between-chunk-frames.hws", f.p, cut, &e);

	cut = ix->off + 20;
	e = (struct expect){ .open = "ok", .why = "cut inside the first index frame" };
	count_chunks(&e, &f, cut, NULL, NULL);
	damage(&e, "NO_FOOTER", cut, 0);
	damage(&e, "TRUNCATED", ix->off, 20);
	emit("truncated-in-index.hws", f.p, cut, &e);

	cut = ft->off + 30;
	e = (struct expect){ .open = "ok", .why = "cut inside the footer" };
	count_chunks(&e, &f, cut, NULL, NULL);
	damage(&e, "NO_FOOTER", cut, 0);
	damage(&e, "TRUNCATED", ft->off, 30);
	emit("truncated-in-footer.hws", f.p, cut, &e);

	e = (struct expect){ .open = "ok", .why = "ends where the footer would start: not closed" };
	count_chunks(&e, &f, ft->off, NULL, NULL);
	damage(&e, "NO_FOOTER", ft->off, 0);
	emit("no-footer.hws", f.p, ft->off, &e);

	e = (struct expect){ .open = "ok", .why = "only the header: a recording that wrote nothing" };
	count_chunks(&e, &f, hd->len, NULL, NULL);
	damage(&e, "NO_FOOTER", hd->len, 0);
	emit("header-only.hws", f.p, hd->len, &e);

	memcpy(buf, f.p, f.len);
	buf[c2->off + HWS_CHUNK_FRAME_LEN + 20] ^= 0x08;
	e = (struct expect){ .open = "ok", .why = "one bit flipped in chunk 2's compressed data" };
	count_chunks(&e, &f, f.len, c2, NULL);
	damage(&e, "CHECKSUM", c2->off, c2->len);
	emit("flipped-bit-in-chunk-data.hws", buf, f.len, &e);

	memcpy(buf, f.p, f.len);
	buf[c2->off + HWS_SKIP_HDR + 20] ^= 0x01;
	e = (struct expect){ .open = "ok", .why = "one bit flipped in chunk 2's first_ts" };
	count_chunks(&e, &f, f.len, c2, NULL);
	damage(&e, "CHECKSUM", c2->off, c2->len);
	emit("flipped-bit-in-chunk-header.hws", buf, f.len, &e);

	memcpy(buf, f.p, f.len);
	buf[c2->off + 1] ^= 0x01;
	e = (struct expect){ .open = "ok", .why = "chunk 2's frame magic damaged: found again by scanning" };
	count_chunks(&e, &f, f.len, c2, NULL);
	damage(&e, "CORRUPT", c2->off, c2->len);
	emit("flipped-chunk-magic.hws", buf, f.len, &e);

	memcpy(buf, f.p, f.len);
	hwsi_put32(buf + c2->off + 4, 200);
	e = (struct expect){ .open = "ok", .why = "chunk 2's frame size lies: found again by scanning" };
	count_chunks(&e, &f, f.len, c2, NULL);
	damage(&e, "CORRUPT", c2->off, c2->len);
	emit("chunk-size-lies.hws", buf, f.len, &e);

	memcpy(buf, f.p, f.len);
	hwsi_put16(buf + c2->off + HWS_SKIP_HDR + 88, 9);
	hwsi_frame_seal(buf + c2->off, HWS_CHUNK_LEN);
	e = (struct expect){ .open = "ok", .why = "chunk 2 in an encoding this version does not know" };
	count_chunks(&e, &f, f.len, c2, NULL);
	damage(&e, "CORRUPT", c2->off, c2->len);
	emit("unknown-encoding.hws", buf, f.len, &e);

	memcpy(buf, f.p, c2->off);
	for (int i = 0; i < 333; i++)
		buf[c2->off + i] = (uint8_t)(i * 37 + 11);
	memcpy(buf + c2->off + 333, f.p + c2->off, f.len - c2->off);
	e = (struct expect){ .open = "ok", .why = "333 bytes of noise before chunk 2" };
	count_chunks(&e, &f, f.len, NULL, NULL);
	damage(&e, "CORRUPT", c2->off, 333);
	emit("garbage-between-chunks.hws", buf, f.len + 333, &e);

	memcpy(buf, f.p, f.len);
	memset(buf + c2->off + c2->len - 40, 0, 100);
	e = (struct expect){ .open = "ok", .why = "zeroes over the end of chunk 2 and the start of chunk 3" };
	count_chunks(&e, &f, f.len, c2, c3);
	damage(&e, "CHECKSUM", c2->off, c2->len);
	damage(&e, "CORRUPT", c3->off, after(&f, c3)->off - c3->off);
	emit("zeroed-block.hws", buf, f.len, &e);

	memcpy(buf, f.p, f.len);
	buf[ix->off + HWS_SKIP_HDR + 30] ^= 0x10;
	e = (struct expect){ .open = "ok", .why = "a damaged index costs no chunk" };
	count_chunks(&e, &f, f.len, NULL, NULL);
	damage(&e, "CHECKSUM", ix->off, ix->len);
	emit("flipped-bit-in-index.hws", buf, f.len, &e);

	memcpy(buf, f.p, f.len);
	buf[ft->off + HWS_SKIP_HDR + 20] ^= 0x02;
	e = (struct expect){ .open = "ok", .why = "a damaged footer: no footer, and the damage" };
	count_chunks(&e, &f, f.len, NULL, NULL);
	damage(&e, "NO_FOOTER", f.len, 0);
	damage(&e, "CHECKSUM", ft->off, ft->len);
	emit("flipped-bit-in-footer.hws", buf, f.len, &e);

	memcpy(buf, f.p, f.len);
	memcpy(buf + f.len, "xyz", 3);
	e = (struct expect){ .open = "ok", .why = "stray bytes after the footer" };
	count_chunks(&e, &f, f.len, NULL, NULL);
	damage(&e, "NO_FOOTER", f.len + 3, 0);
	damage(&e, "CORRUPT", f.len, 3);
	emit("stray-bytes-after-footer.hws", buf, f.len + 3, &e);

	memcpy(buf, f.p, f.len);
	hwsi_put16(buf + HWS_SKIP_HDR + 8, HWS_FORMAT_MAJOR + 1);
	hwsi_frame_seal(buf, (uint32_t)(hd->len - HWS_SKIP_HDR));
	e = (struct expect){ .open = "EPROTONOSUPPORT", .why = "written by a newer major version" };
	emit("newer-major.hws", buf, f.len, &e);

	memcpy(buf, f.p, f.len);
	buf[HWS_SKIP_HDR + 100] ^= 0x04;
	e = (struct expect){ .open = "EBADMSG", .why = "the file header's checksum fails" };
	emit("bad-header-checksum.hws", buf, f.len, &e);

	e = (struct expect){ .open = "EBADMSG", .why = "not an .hws file" };
	emit("not-hws.txt", "hwstats\n", 8, &e);

	e = (struct expect){ .open = "EBADMSG", .why = "an empty file" };
	emit("empty.hws", "", 0, &e);

	snprintf(base, sizeof(base), "%s/.base9.hws", outdir);
	write_base(base, true);
	read_file(base, &m9, false);
	unlink(base);
	e = (struct expect){ .open = "ok", .why = "minor 9: longer chunk headers, unknown frames: all read" };
	e.chunks = e.records = 0;
	/* walk() stops at frames it does not know: walk with zstd's help */
	for (uint64_t pos = 0; pos < m9.len;) {
		uint32_t magic = hwsi_get32(m9.p + pos);
		uint64_t len;

		if (magic == HWS_ZSTD_MAGIC) {
			len = ZSTD_findFrameCompressedSize(m9.p + pos,
							   m9.len - pos);
		} else {
			len = 8 + (uint64_t)hwsi_get32(m9.p + pos + 4);
			if (magic == HWS_MAGIC_CHUNK) {
				e.chunks++;
				e.records += hwsi_get32(m9.p + pos + 8 + 12);
				len += hwsi_get32(m9.p + pos + 8 + 80);
			}
		}
		pos += len;
	}
	emit("newer-minor-unknown-frames.hws", m9.p, m9.len, &e);

	free(buf);
	free(f.p);
	free(m9.p);
	return 0;
}
