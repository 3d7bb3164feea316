// SPDX-License-Identifier: MIT
/*
 * Damaged .hws files: what the reader recovers and exactly what it reports.
 *
 * Expectations come from the file's structure as FORMAT.md describes it,
 * walked here independently of the reader: a file is a header frame, then
 * units (a chunk = its header frame and data frame; an index; the footer).
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hws.h"
#include "hws_gen.h"
#include "hws_internal.h"

static char tmpdir[] = "/tmp/hws-damage-XXXXXX";

static const char *tpath(const char *name)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

enum unit_kind { U_HEADER, U_CHUNK, U_INDEX, U_FOOTER };

struct unit {
	enum unit_kind kind;
	uint64_t off;
	uint64_t len;
	uint32_t nr_records;
	uint8_t *records;	/* a chunk's, as read from the intact file */
	size_t raw_len;
};

struct layout {
	uint8_t *file;
	size_t size;
	struct unit u[256];
	size_t n;
	uint64_t header_end;
};

/* Walk frame headers as FORMAT.md lays them out; no reader code. */
static void walk(struct layout *l)
{
	uint64_t pos = 0;

	l->n = 0;
	while (pos < l->size) {
		uint32_t magic = hwsi_get32(l->file + pos);
		uint32_t fsz = hwsi_get32(l->file + pos + 4);
		struct unit *u = &l->u[l->n++];

		assert_true(l->n < 256);
		u->off = pos;
		u->len = 8 + (uint64_t)fsz;
		switch (magic) {
		case 0x184D2A51:
			u->kind = U_HEADER;
			l->header_end = pos + u->len;
			break;
		case 0x184D2A52:
			u->kind = U_CHUNK;
			u->nr_records = hwsi_get32(l->file + pos + 8 + 12);
			u->len += hwsi_get32(l->file + pos + 8 + 80);
			break;
		case 0x184D2A53:
			u->kind = U_INDEX;
			break;
		case 0x184D2A54:
			u->kind = U_FOOTER;
			break;
		default:
			fail_msg("no frame at %llu", (unsigned long long)pos);
		}
		pos += u->len;
	}
	assert_int_equal(pos, l->size);
}

static void layout_free(struct layout *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->u[i].records);
	free(l->file);
}

/* A small file: 2 CPUs, chunks of a few records, indexes between. */
static void make_small(const char *path, struct layout *l, bool raw)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_bytes = 1200,
				      .index_every = 3, .raw_chunks = raw };
	struct hws_gen_opts go = { .seed = 77, .nr_sources = 2,
				   .min_counters = 6, .max_counters = 9,
				   .subbuf_size = 2048 };
	struct hws_gen *g[2];
	struct hws_header h;
	struct hws_writer *w;
	struct hws_reader *r;
	struct hws_chunk_info ci;
	uint8_t piece[700];
	const void *rec;
	struct stat st;
	size_t len;
	FILE *f;

	for (uint32_t c = 0; c < 2; c++) {
		struct hws_gen_opts o = go;

		o.cpu = c;
		g[c] = hws_gen_new(&o);
	}
	assert_int_equal(hws_gen_header(g[0], 2, &h), 0);
	w = hws_writer_open(path, &h, &wo);
	assert_non_null(w);
	for (int i = 0; i < 16; i++) {
		uint32_t c = (uint32_t)(i % 3 == 2);
		size_t n = hws_gen_fill(g[c], piece, sizeof(piece));

		assert_int_equal(hws_writer_append(w, c, piece, n), 0);
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);
	hws_gen_header_free(&h);
	hws_gen_free(g[0]);
	hws_gen_free(g[1]);

	assert_int_equal(stat(path, &st), 0);
	l->size = (size_t)st.st_size;
	l->file = malloc(l->size);
	f = fopen(path, "rb");
	assert_int_equal(fread(l->file, 1, l->size, f), l->size);
	fclose(f);
	walk(l);

	/* every chunk's records, to compare what a damaged file yields */
	r = hws_reader_open(path);
	assert_non_null(r);
	while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1) {
		for (size_t i = 0; i < l->n; i++) {
			if (l->u[i].off != ci.file_offset)
				continue;
			l->u[i].records = malloc(len);
			memcpy(l->u[i].records, rec, len);
			l->u[i].raw_len = len;
		}
	}
	assert_int_equal(hws_reader_damage(r, NULL), 0);
	hws_reader_close(r);
	for (size_t i = 0; i < l->n; i++)
		if (l->u[i].kind == U_CHUNK)
			assert_non_null(l->u[i].records);
}

struct want_damage {
	uint32_t kind;		/* 0: any of TRUNCATED, CHECKSUM, CORRUPT */
	uint64_t off;
	uint64_t len;
};

/*
 * Read @path; the chunks must be exactly those of @l for which keep(i) holds
 * (and byte-exact), and the damage exactly @want.
 */
static void check_read(const char *path, const struct layout *l,
		       const bool *keep, const struct want_damage *want,
		       size_t nwant)
{
	struct hws_reader *r = hws_reader_open(path);
	const struct hws_damage *d;
	struct hws_chunk_info ci;
	const void *rec;
	size_t len, next = 0;
	uint32_t nd;

	assert_non_null(r);
	while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1) {
		while (next < l->n && (l->u[next].kind != U_CHUNK || !keep[next]))
			next++;
		assert_true(next < l->n);
		assert_int_equal(ci.file_offset, l->u[next].off);
		assert_int_equal(len, l->u[next].raw_len);
		assert_memory_equal(rec, l->u[next].records, len);
		next++;
	}
	while (next < l->n && (l->u[next].kind != U_CHUNK || !keep[next]))
		next++;
	assert_int_equal(next, l->n);	/* nothing left that should be */
	nd = hws_reader_damage(r, &d);
	if (nd != nwant) {
		for (uint32_t i = 0; i < nd; i++)
			print_message("damage %u %llu %llu %s\n", d[i].kind,
				      (unsigned long long)d[i].offset,
				      (unsigned long long)d[i].length,
				      d[i].what);
	}
	assert_int_equal(nd, nwant);
	for (size_t i = 0; i < nwant; i++) {
		if (want[i].kind)
			assert_int_equal(d[i].kind, want[i].kind);
		else
			assert_true(d[i].kind == HWS_DAMAGE_TRUNCATED ||
				    d[i].kind == HWS_DAMAGE_CHECKSUM ||
				    d[i].kind == HWS_DAMAGE_CORRUPT);
		assert_int_equal(d[i].offset, want[i].off);
		assert_int_equal(d[i].length, want[i].len);
		assert_true(d[i].what[0] != '\0');
	}
	hws_reader_close(r);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void truncate_everywhere(bool raw)
{
	const char *path = tpath(raw ? "cut-raw.hws" : "cut.hws");
	struct layout l = { 0 };
	bool keep[256];
	size_t chunks = 0;
	int fd;

	make_small(path, &l, raw);
	for (size_t i = 0; i < l.n; i++)
		chunks += l.u[i].kind == U_CHUNK;
	assert_true(chunks >= 8);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	/* from the whole file down to nothing, one byte at a time */
	for (uint64_t x = l.size + 1; x-- > 0;) {
		struct want_damage want[2];
		size_t nwant = 0;
		struct hws_reader *r;

		assert_int_equal(ftruncate(fd, (off_t)x), 0);
		if (x < l.header_end) {
			errno = 0;
			r = hws_reader_open(path);
			assert_null(r);
			assert_int_equal(errno, EBADMSG);
			continue;
		}
		for (size_t i = 0; i < l.n; i++)
			keep[i] = l.u[i].off + l.u[i].len <= x;
		if (x < l.size)
			want[nwant++] = (struct want_damage){
				HWS_DAMAGE_NO_FOOTER, x, 0 };
		for (size_t i = 0; i < l.n; i++) {
			if (l.u[i].off < x && x < l.u[i].off + l.u[i].len)
				want[nwant++] = (struct want_damage){
					HWS_DAMAGE_TRUNCATED, l.u[i].off,
					x - l.u[i].off };
		}
		check_read(path, &l, keep, want, nwant);
		if (x % 97 == 0) {
			struct hws_reader_stats st;
			uint64_t end = l.header_end;

			for (size_t i = 0; i < l.n; i++)
				if (keep[i])
					end = l.u[i].off + l.u[i].len;
			r = hws_reader_open(path);
			while (hws_reader_next_chunk(r, &(struct hws_chunk_info){ 0 },
						     &(const void *){ NULL },
						     &(size_t){ 0 }) == 1)
				;
			assert_int_equal(hws_reader_stats(r, &st), 0);
			assert_int_equal(st.end_offset, end);
			assert_int_equal(st.has_footer, x == l.size);
			hws_reader_close(r);
		}
	}
	close(fd);
	layout_free(&l);
}

static void test_truncation_at_every_offset(void **state)
{
	(void)state;
	truncate_everywhere(false);
}

static void test_truncation_at_every_offset_raw_chunks(void **state)
{
	(void)state;
	truncate_everywhere(true);
}

/* Records a merge yields, and that it adds no damage of its own. */
static size_t merge_count(const char *path, uint32_t ndamage)
{
	struct hws_reader *r = hws_reader_open(path);
	const struct hwstats_rec *rec;
	struct hws_merge *m;
	uint64_t prev = 0;
	size_t n = 0;

	assert_non_null(r);
	m = hws_merge_new(&r, 1);
	assert_non_null(m);
	while (hws_merge_next(m, &rec, NULL, NULL) == 1) {
		assert_true(rec->ts >= prev || rec->type != HWSTATS_REC_SAMPLE);
		if (rec->type == HWSTATS_REC_SAMPLE)
			prev = rec->ts;
		n++;
	}
	assert_int_equal(hws_reader_damage(r, NULL), ndamage);
	hws_merge_free(m);
	hws_reader_close(r);
	return n;
}

static void test_bit_flip_anywhere_costs_one_unit(void **state)
{
	const char *path = tpath("flip.hws");
	struct layout l = { 0 };
	size_t all_records = 0;
	bool keep[256];
	int fd;

	(void)state;
	make_small(path, &l, false);
	for (size_t i = 0; i < l.n; i++)
		all_records += l.u[i].nr_records;
	fd = open(path, O_WRONLY);
	for (uint64_t b = 0; b < l.size; b++) {
		uint8_t v = l.file[b] ^ (uint8_t)(1u << (b % 8));
		struct want_damage want[2];
		size_t nwant = 0, ui = 0;

		assert_int_equal(pwrite(fd, &v, 1, (off_t)b), 1);
		if (b < l.header_end) {
			errno = 0;
			assert_null(hws_reader_open(path));
			assert_int_equal(errno, EBADMSG);
			goto restore;
		}
		for (size_t i = 0; i < l.n; i++) {
			keep[i] = !(l.u[i].off <= b && b < l.u[i].off + l.u[i].len);
			if (!keep[i])
				ui = i;
		}
		if (l.u[ui].kind == U_FOOTER)
			want[nwant++] = (struct want_damage){
				HWS_DAMAGE_NO_FOOTER, l.size, 0 };
		want[nwant++] = (struct want_damage){ 0, l.u[ui].off,
						      l.u[ui].len };
		check_read(path, &l, keep, want, nwant);
		if (b % 11 == 0)
			assert_int_equal(merge_count(path, (uint32_t)nwant),
					 all_records - (l.u[ui].kind == U_CHUNK ?
							l.u[ui].nr_records : 0));
restore:
		assert_int_equal(pwrite(fd, &l.file[b], 1, (off_t)b), 1);
	}
	close(fd);
	layout_free(&l);
}

static void test_seek_skips_damage_and_reports_it_once(void **state)
{
	const char *path = tpath("seekdmg.hws");
	struct layout l = { 0 };
	struct hws_chunk_info ci;
	const void *rec;
	size_t len, victim = 0;
	uint8_t v;
	int fd;

	(void)state;
	make_small(path, &l, false);
	for (size_t i = 0, k = 0; i < l.n; i++)
		if (l.u[i].kind == U_CHUNK && ++k == 3)
			victim = i;
	fd = open(path, O_WRONLY);
	v = l.file[l.u[victim].off + l.u[victim].len - 2] ^ 0x40;
	assert_int_equal(pwrite(fd, &v, 1, (off_t)(l.u[victim].off +
						   l.u[victim].len - 2)), 1);
	close(fd);
	{
		struct hws_reader *r = hws_reader_open(path);

		for (int pass = 0; pass < 3; pass++) {
			assert_int_equal(hws_reader_seek_time(r, 0), 0);
			while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1)
				assert_true(ci.file_offset != l.u[victim].off);
		}
		assert_int_equal(hws_reader_damage(r, NULL), 1);
		hws_reader_close(r);
	}
	layout_free(&l);
}

/*
 * Seeking lands on the first chunk (in file order) with last_ts >= t, also
 * when the index is stale, and finds no damage that is not there.
 */
static void check_seeks(const char *path, uint32_t ndamage)
{
	struct hws_reader *r = hws_reader_open(path);
	struct hws_chunk_info ci, all[256];
	const void *rec;
	size_t len, n = 0;

	assert_non_null(r);
	while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1) {
		assert_true(n < 256);
		all[n++] = ci;
	}
	for (size_t k = 0; k < n; k++) {
		for (int d = -1; d <= 1; d++) {
			uint64_t t = all[k].last_ts + (uint64_t)d;
			size_t want = 0;

			while (want < n && all[want].last_ts < t)
				want++;
			assert_int_equal(hws_reader_seek_time(r, t), 0);
			if (want == n) {
				assert_int_equal(hws_reader_next_chunk(r, &ci, &rec,
								       &len), 0);
				continue;
			}
			assert_int_equal(hws_reader_next_chunk(r, &ci, &rec, &len),
					 1);
			assert_int_equal(ci.file_offset, all[want].file_offset);
		}
	}
	assert_int_equal(hws_reader_damage(r, NULL), ndamage);
	hws_reader_close(r);
}

static void test_garbage_and_zeroes_are_skipped(void **state)
{
	const char *path = tpath("garbage.hws");
	struct layout l = { 0 }, g = { 0 };
	size_t c2 = 0, c3 = 0, k = 0;
	bool keep[256];
	uint64_t s = 1;
	FILE *f;

	(void)state;
	make_small(path, &l, false);
	for (size_t i = 0; i < l.n; i++) {
		if (l.u[i].kind != U_CHUNK)
			continue;
		if (++k == 2)
			c2 = i;
		if (k == 3)
			c3 = i;
	}
	/* 333 bytes of noise before the second chunk */
	f = fopen(path, "wb");
	fwrite(l.file, 1, l.u[c2].off, f);
	for (int i = 0; i < 333; i++) {
		s = s * 6364136223846793005ULL + 1;
		fputc((int)(s >> 56), f);
	}
	fwrite(l.file + l.u[c2].off, 1, l.size - l.u[c2].off, f);
	fclose(f);
	{
		struct want_damage want[] = {
			{ HWS_DAMAGE_CORRUPT, l.u[c2].off, 333 },
		};
		struct layout shifted = l;

		for (size_t i = 0; i < l.n; i++) {
			keep[i] = true;
			if (i >= c2)
				shifted.u[i].off += 333;
		}
		check_read(path, &shifted, keep, want, 1);
		check_seeks(path, 1);
	}

	/* zeroes over the end of chunk 2 and the start of chunk 3, as a
	 * crash can leave unwritten blocks */
	g.file = malloc(l.size);
	memcpy(g.file, l.file, l.size);
	memset(g.file + l.u[c2].off + l.u[c2].len - 40, 0, 100);
	f = fopen(path, "wb");
	fwrite(g.file, 1, l.size, f);
	fclose(f);
	{
		struct want_damage want[] = {
			{ HWS_DAMAGE_CHECKSUM, l.u[c2].off, l.u[c2].len },
			{ HWS_DAMAGE_CORRUPT, l.u[c3].off,
			  l.u[c3 + 1].off - l.u[c3].off },
		};

		for (size_t i = 0; i < l.n; i++)
			keep[i] = i != c2 && i != c3;
		check_read(path, &l, keep, want, 2);
		check_seeks(path, 2);
	}
	free(g.file);
	layout_free(&l);
}

/* ------------------------------------------------------------------ */
/* Golden files: tests/golden/hws/NAME with NAME.expect                */

static const char *golden_dir(void)
{
	const char *d = getenv("HWS_GOLDEN_DIR");

	return d ? d : "tests/golden/hws";
}

static uint32_t kind_of(const char *s)
{
	if (!strcmp(s, "TRUNCATED"))
		return HWS_DAMAGE_TRUNCATED;
	if (!strcmp(s, "CHECKSUM"))
		return HWS_DAMAGE_CHECKSUM;
	if (!strcmp(s, "CORRUPT"))
		return HWS_DAMAGE_CORRUPT;
	if (!strcmp(s, "NO_FOOTER"))
		return HWS_DAMAGE_NO_FOOTER;
	fail_msg("unknown damage kind %s", s);
	return 0;
}

static void check_golden(const char *name)
{
	char path[512], exp[600], line[256], word[32], kind[32];
	unsigned long long a, b;
	struct want_damage want[32];
	size_t nwant = 0;
	long want_chunks = -1, want_records = -1, chunks = 0, records = 0;
	int want_err = 0;
	struct hws_reader *r;
	const struct hws_damage *d;
	struct hws_chunk_info ci;
	const void *rec;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", golden_dir(), name);
	snprintf(exp, sizeof(exp), "%s.expect", path);
	f = fopen(exp, "r");
	if (!f)
		fail_msg("%s: %s", exp, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "open %31s", word) == 1) {
			want_err = !strcmp(word, "ok") ? 0 :
				   !strcmp(word, "EBADMSG") ? EBADMSG :
				   !strcmp(word, "EPROTONOSUPPORT") ?
				   EPROTONOSUPPORT : -1;
			assert_true(want_err >= 0);
		} else if (sscanf(line, "chunks %llu", &a) == 1) {
			want_chunks = (long)a;
		} else if (sscanf(line, "records %llu", &a) == 1) {
			want_records = (long)a;
		} else if (sscanf(line, "damage %31s %llu %llu", kind, &a, &b) ==
			   3) {
			assert_true(nwant < 32);
			want[nwant++] = (struct want_damage){ kind_of(kind), a, b };
		} else {
			fail_msg("%s: bad line: %s", exp, line);
		}
	}
	fclose(f);

	errno = 0;
	r = hws_reader_open(path);
	if (want_err) {
		assert_null(r);
		assert_int_equal(errno, want_err);
		return;
	}
	if (!r)
		fail_msg("%s: %s", path, strerror(errno));
	while (hws_reader_next_chunk(r, &ci, &rec, &len) == 1) {
		chunks++;
		records += ci.nr_records;
	}
	assert_int_equal(chunks, want_chunks);
	assert_int_equal(records, want_records);
	assert_int_equal(hws_reader_damage(r, &d), nwant);
	for (size_t i = 0; i < nwant; i++) {
		assert_int_equal(d[i].kind, want[i].kind);
		assert_int_equal(d[i].offset, want[i].off);
		assert_int_equal(d[i].length, want[i].len);
	}
	hws_reader_close(r);
	/* a merge over it yields the same records, and no new damage */
	assert_int_equal(merge_count(path, (uint32_t)nwant), records);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden_files_give_their_exact_report(void **state)
{
	DIR *dir = opendir(golden_dir());
	char *names[128];
	size_t n = 0;
	struct dirent *e;

	(void)state;
	if (!dir)
		fail_msg("%s: %s", golden_dir(), strerror(errno));
	while ((e = readdir(dir))) {
		size_t l = strlen(e->d_name);

		if (l > 7 && !strcmp(e->d_name + l - 7, ".expect")) {
			assert_true(n < 128);
			names[n] = strndup(e->d_name, l - 7);
			n++;
		}
	}
	closedir(dir);
	assert_true(n >= 10);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		print_message("golden: %s\n", names[i]);
		check_golden(names[i]);
		free(names[i]);
	}
}

/* ------------------------------------------------------------------ */
/* FORMAT.md section 12, made from tests/golden/hws/intact.hws         */

/* A whole file into memory (NUL-terminated); NULL if it cannot be read. */
static char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*size = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static void ex_line(char **out, size_t *len, const uint8_t *f, uint64_t off,
		    size_t n, const char *note, ...)
{
	char hex[64] = "", text[200];
	size_t h = 0;
	va_list ap;
	FILE *m;

	for (size_t i = 0; i < 16; i += 2) {
		if (i < n)
			h += (size_t)snprintf(hex + h, sizeof(hex) - h, "%02x%02x ",
					      f[off + i],
					      i + 1 < n ? f[off + i + 1] : 0);
	}
	va_start(ap, note);
	vsnprintf(text, sizeof(text), note, ap);
	va_end(ap);
	m = open_memstream(out, len);
	assert_non_null(m);
	fprintf(m, "%08llx: %-42s %s\n", (unsigned long long)off, hex, text);
	fclose(m);
}

/*
 * The annotated bytes of FORMAT.md section 12, from the file itself: the
 * header frame's start, the first chunk, the footer trailer.
 */
static char *format_example(const uint8_t *f, size_t size)
{
	uint64_t c = 8 + (uint64_t)hwsi_get32(f + 4);	/* first chunk */
	const uint8_t *p = f + c + 8;
	char *doc = NULL, *line;
	size_t dlen = 0, llen;
	FILE *d = open_memstream(&doc, &dlen);

	assert_non_null(d);
#define L(off, n, ...) do {						\
		ex_line(&line, &llen, f, off, n, __VA_ARGS__);		\
		fputs(line, d);						\
		free(line);						\
	} while (0)
	L(0, 16, "header frame: magic 0x%08X, Frame_Size %u, \"HWSH\", "
	  "length %u", hwsi_get32(f), hwsi_get32(f + 4), hwsi_get32(f + 12));
	L(16, 16, "format %u.%u, fixed_len %u, flags %u, clock %u",
	  hwsi_get16(f + 16), hwsi_get16(f + 18), hwsi_get32(f + 20),
	  hwsi_get32(f + 24), hwsi_get32(f + 28));
	L(32, 16, "nr_cpus %u, subbuf_size %u, n_subbufs %u, session_flags %u",
	  hwsi_get32(f + 32), hwsi_get32(f + 36), hwsi_get32(f + 40),
	  hwsi_get32(f + 44));
	fputs("          …\n", d);
	L(c, 16, "chunk header: magic 0x%08X, Frame_Size %u, \"HWSC\", "
	  "length %u", hwsi_get32(f + c), hwsi_get32(f + c + 4),
	  hwsi_get32(p + 4));
	L(c + 16, 16, "cpu %u, nr_records %u, first_ts %llu", hwsi_get32(p + 8),
	  hwsi_get32(p + 12), (unsigned long long)hwsi_get64(p + 16));
	L(c + 32, 16, "last_ts %llu, lost %llu",
	  (unsigned long long)hwsi_get64(p + 24),
	  (unsigned long long)hwsi_get64(p + 32));
	L(c + 48, 16, "seq_first %llu, seq_last %llu",
	  (unsigned long long)hwsi_get64(p + 40),
	  (unsigned long long)hwsi_get64(p + 48));
	L(c + 64, 16, "chunk_seq %llu, raw_len %llu",
	  (unsigned long long)hwsi_get64(p + 56),
	  (unsigned long long)hwsi_get64(p + 64));
	L(c + 80, 16, "content_len %llu, frame_len %u, frame_crc 0x%08X",
	  (unsigned long long)hwsi_get64(p + 72), hwsi_get32(p + 80),
	  hwsi_get32(p + 84));
	L(c + 96, 12, "encoding %u, flags %u, CRC 0x%08X; the data frame "
	  "(magic 0x%08X) …", hwsi_get16(p + 88), hwsi_get16(p + 90),
	  hwsi_get32(p + 92), hwsi_get32(f + c + 104));
	fputs("          …\n", d);
	L(size - 12, 12, "footer trailer: length %u, \"HWSE\", CRC 0x%08X",
	  hwsi_get32(f + size - 12), hwsi_get32(f + size - 4));
#undef L
	fclose(d);
	return doc;
}

static void test_format_md_example_is_intact_hws(void **state)
{
	char path[512], *md, *got, *start, *end;
	uint8_t *f;
	size_t size, mdlen;

	(void)state;
	snprintf(path, sizeof(path), "%s/intact.hws", golden_dir());
	f = (uint8_t *)slurp(path, &size);
	assert_non_null(f);
	md = slurp("formats/FORMAT.md", &mdlen);
	assert_non_null(md);
	got = format_example(f, size);
	start = strstr(md, "## 12. An example");
	assert_non_null(start);
	start = strstr(start, "```\n");
	assert_non_null(start);
	start += 4;
	end = strstr(start, "```\n");
	assert_non_null(end);
	*end = '\0';
	if (strcmp(start, got)) {
		fprintf(stderr, "FORMAT.md section 12 should read:\n%s", got);
		fail_msg("FORMAT.md section 12 does not show intact.hws");
	}
	free(got);
	free(md);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncation_at_every_offset),
		cmocka_unit_test(test_truncation_at_every_offset_raw_chunks),
		cmocka_unit_test(test_bit_flip_anywhere_costs_one_unit),
		cmocka_unit_test(test_seek_skips_damage_and_reports_it_once),
		cmocka_unit_test(test_garbage_and_zeroes_are_skipped),
		cmocka_unit_test(test_golden_files_give_their_exact_report),
		cmocka_unit_test(test_format_md_example_is_intact_hws),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
