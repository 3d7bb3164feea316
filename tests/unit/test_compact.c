// SPDX-License-Identifier: MIT
/*
 * Unit tests of compaction (formats/libhws/compact.c): a finished file
 * rewritten into longer chunks keeps every record byte, its order per CPU,
 * the sources, totals, loss and flags; it pays at low rates and is skipped
 * at high ones; damaged files, a full disk, a cancel and a file replaced
 * meanwhile leave the original untouched; a kill between the steps leaves
 * exactly one complete file under the name. And the recorder's use of it:
 * files closed at a rotation compacted in the background, the last one at
 * the end, the ring's removals never undone by a compaction's rename.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#include "hws_gen.h"
#include "rec.h"
#include "report.h"

#define NR_CPUS	2
#define SEC	1000000000ULL

static char dir[256];

/*
 * pwritev, interposed: with full_disk set, writes to a compaction's
 * temporary file fail with ENOSPC once it holds full_disk bytes, as a
 * full file system answers.
 */
static off_t full_disk;

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	char link[64], target[PATH_MAX];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, target, sizeof(target) - 1);
	target[len > 0 ? len : 0] = '\0';
	if (full_disk && strstr(target, ".compact-") && off >= full_disk) {
		errno = ENOSPC;
		return -1;
	}
	return (ssize_t)syscall(SYS_pwritev, fd, iov, n, (long)off, 0L);
}

/*
 * fsync, interposed (this program's fsync() is the one every call in it
 * reaches): with interrupt_at_sync set, the sync of a compaction's
 * temporary file raises SIGINT first, as a user's second Ctrl-C would
 * arrive while the recorder compacts its last file.
 */
static int interrupt_at_sync;

int fsync(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	if (interrupt_at_sync && strstr(target, ".compact-")) {
		interrupt_at_sync = 0;
		raise(SIGINT);
	}
	return (int)syscall(SYS_fsync, fd);
}

static char *path(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/hws-compact-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	setenv("TZ", "UTC", 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* ---- a recording, made record by record ---- */

static struct hws_counter counters1[3] = {
	{ "rx_packets", "packets", 0 }, { "rx_bytes", "bytes", 0 },
	{ "queue", "entries", 1 },
};
static struct hws_counter counters2[2] = {
	{ "tx_packets", "packets", 0 }, { "tx_bytes", "bytes", 0 },
};
static struct hws_source src1 = { 1, 3, "nic0", counters1 };
static struct hws_source src2 = { 2, 2, "nic1", counters2 };

struct cpu_gen {
	uint64_t subbuf_seq;
	uint64_t lost;
	uint64_t seq[3];	/* per source */
	uint64_t v[8];
	uint32_t in_subbuf;
};

static size_t put_subbuf(uint8_t *p, uint32_t cpu, uint64_t ts,
			 struct cpu_gen *g)
{
	memset(p, 0, HWS_SUBBUF_LEN);
	hwsi_put16(p, HWSTATS_REC_SUBBUF);
	hwsi_put16(p + 2, HWS_SUBBUF_LEN);
	hwsi_put32(p + 4, cpu);
	hwsi_put64(p + 8, ts);
	hwsi_put32(p + 16, HWSTATS_SUBBUF_MAGIC);
	hwsi_put32(p + 20, cpu);
	hwsi_put64(p + 24, g->subbuf_seq++);
	hwsi_put64(p + 32, g->lost);
	hwsi_put32(p + 44, 4096);
	return HWS_SUBBUF_LEN;
}

static size_t put_sample(uint8_t *p, uint32_t id, uint32_t n, uint64_t ts,
			 struct cpu_gen *g, uint64_t step)
{
	size_t len = HWS_SAMPLE_HDR_LEN + 8 * n;

	memset(p, 0, len);
	hwsi_put16(p, HWSTATS_REC_SAMPLE);
	hwsi_put16(p + 2, (uint16_t)len);
	hwsi_put32(p + 4, id);
	hwsi_put64(p + 8, ts);
	hwsi_put64(p + 16, g->seq[id]++);
	for (uint32_t i = 0; i < n; i++) {
		g->v[i] += (step * 2654435761ULL >> (i * 3)) % 97;
		hwsi_put64(p + 32 + 8 * i, g->v[i]);
	}
	return len;
}

struct file_opts {
	uint32_t rate;		/* samples per second per CPU */
	uint32_t seconds;
	uint64_t chunk_ns;	/* the recorder's flush interval: 1 s */
	bool source2;		/* a source met mid-file (a source frame) */
	bool rung;		/* CPU 1 stored raw to keep up for a while */
};

static const struct hws_cpu_totals totals[NR_CPUS] = {
	{ 0, 0, 12345, 999999, 7, 41 }, { 1, 0, 54321, 888888, 0, 43 },
};

/* Write a finished file as hwstats-record would. */
static void make_file(const char *file, const struct file_opts *ro)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo) };
	struct hws_header h = { 0 };
	struct cpu_gen g[NR_CPUS] = { 0 };
	uint64_t period = SEC / ro->rate, n = (uint64_t)ro->rate * ro->seconds;
	struct hws_writer *w;
	uint8_t buf[512];

	h.nr_cpus = NR_CPUS;
	h.subbuf_size = 4096;
	h.n_subbufs = 8;
	h.period_ns = period;
	h.start_boot_ns = 1000 * SEC;
	h.start_real_ns = 1700000000ULL * SEC;
	strcpy(h.host, "testhost");
	strcpy(h.kernel, "6.1.0");
	strcpy(h.module_version, "0.1.0");
	h.nr_sources = 1;
	h.sources = &src1;
	wo.chunk_ns = ro->chunk_ns;
	w = hws_writer_open(file, &h, &wo);
	assert_non_null(w);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t ts = h.start_boot_ns + i * period;

		if (ro->source2 && i == n / 2)
			assert_int_equal(hws_writer_add_source(w, &src2), 0);
		if (ro->rung && (i == n / 3 || i == 2 * n / 3))
			assert_int_equal(hwsi_writer_set_raw(w, 1, i == n / 3),
					 0);
		for (uint32_t cpu = 0; cpu < NR_CPUS; cpu++) {
			struct cpu_gen *c = &g[cpu];
			size_t len = 0;

			if (c->in_subbuf == 0) {
				/* a few records lost at some switches */
				if (cpu == 0 && c->subbuf_seq % 5 == 4)
					c->lost += 3;
				len += put_subbuf(buf, cpu, ts + cpu, c);
			}
			c->in_subbuf = (c->in_subbuf + 1) % 37;
			len += put_sample(buf + len, 1, 3, ts + 100 + cpu, c, i);
			if (ro->source2 && i >= n / 2)
				len += put_sample(buf + len, 2, 2, ts + 200 + cpu,
						  c, i);
			assert_int_equal(hws_writer_append(w, cpu, buf, len), 0);
		}
	}
	assert_int_equal(hws_writer_close(w, totals, NR_CPUS), 0);
}

/* ---- what a file holds ---- */

static uint8_t *slurp(const char *file, size_t *len)
{
	struct stat st;
	uint8_t *b;
	int fd = open(file, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *b = slurp(from, &len);
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
	free(b);
}

static bool same_bytes(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);
	bool same = la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

/* Each CPU's records concatenated, as the file gives them. */
struct content {
	uint8_t *rec[NR_CPUS];
	size_t len[NR_CPUS];
	uint64_t chunks;
	uint32_t nr_sources;
	uint32_t footer_flags;
	uint32_t ndamage;
	bool footer;
	struct hws_cpu_totals tot[NR_CPUS];
	uint32_t ntot;
	uint64_t last_lost[NR_CPUS], last_seq[NR_CPUS];
};

static void content_read(const char *file, struct content *c)
{
	const struct hws_cpu_totals *t;
	const struct hws_damage *d;
	struct hws_reader_stats st;
	struct hws_chunk_info ci;
	struct hws_reader *r;
	const void *rec;
	uint8_t tr[HWS_FOOTER_TRAILER], f[HWS_SKIP_HDR + 16];
	size_t len;
	int fd, n;

	memset(c, 0, sizeof(*c));
	r = hws_reader_open(file);
	assert_non_null(r);
	while ((n = hws_reader_next_chunk(r, &ci, &rec, &len)) > 0) {
		c->rec[ci.cpu] = realloc(c->rec[ci.cpu], c->len[ci.cpu] + len);
		memcpy(c->rec[ci.cpu] + c->len[ci.cpu], rec, len);
		c->len[ci.cpu] += len;
		c->last_lost[ci.cpu] = ci.lost;
		c->last_seq[ci.cpu] = ci.seq_last;
		c->chunks++;
	}
	assert_int_equal(n, 0);
	c->nr_sources = hws_reader_header(r)->nr_sources;
	c->ndamage = hws_reader_damage(r, &d);
	hws_reader_stats(r, &st);
	c->footer = st.has_footer;
	c->ntot = hws_reader_totals(r, &t);
	if (c->ntot == NR_CPUS)
		memcpy(c->tot, t, sizeof(c->tot));
	hws_reader_close(r);
	if (!c->footer)
		return;
	fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	off_t sz = lseek(fd, 0, SEEK_END);

	assert_int_equal(pread(fd, tr, sizeof(tr), sz - (off_t)sizeof(tr)),
			 (ssize_t)sizeof(tr));
	assert_int_equal(pread(fd, f, sizeof(f),
			       sz - HWS_SKIP_HDR - hwsi_get32(tr)),
			 (ssize_t)sizeof(f));
	c->footer_flags = hwsi_get32(f + HWS_SKIP_HDR + 12);
	close(fd);
}

static void content_free(struct content *c)
{
	for (int i = 0; i < NR_CPUS; i++)
		free(c->rec[i]);
}

static void assert_same_records(const struct content *a,
				const struct content *b)
{
	for (int i = 0; i < NR_CPUS; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->rec[i], b->rec[i], a->len[i]);
		assert_int_equal(a->last_lost[i], b->last_lost[i]);
		assert_int_equal(a->last_seq[i], b->last_seq[i]);
	}
	assert_int_equal(a->nr_sources, b->nr_sources);
	assert_int_equal(a->footer_flags, b->footer_flags);
	assert_int_equal(a->ntot, b->ntot);
	assert_memory_equal(a->tot, b->tot, sizeof(a->tot));
}

/* ---- hwstats-report, in-process ---- */

static char *report(const char *a1, const char *a2)
{
	char *argv[4] = { "hwstats-report", (char *)a1, (char *)a2, NULL };
	char *out = NULL, *err = NULL;
	size_t ol, el;
	FILE *o = open_memstream(&out, &ol), *e = open_memstream(&err, &el);

	assert_int_equal(hwr_main(3, argv, o, e), 0);
	fclose(o);
	fclose(e);
	free(err);
	return out;
}

/* Lines of @s but the one naming the file (the report gives no sizes). */
static char *without_path(const char *s)
{
	char *out = malloc(strlen(s) + 1), *q = out;

	assert_non_null(out);
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s + 1) : strlen(s);
		char line[4096];

		snprintf(line, sizeof(line), "%.*s", (int)n, s);
		if (!strstr(line, "\"path\": ")) {
			memcpy(q, s, n);
			q += n;
		}
		s += n;
	}
	*q = 0;
	return out;
}

static uint32_t dir_entries(void)
{
	struct dirent *e;
	uint32_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || hwsi_compact_temp_name(e->d_name);
	closedir(d);
	return n;
}

static const struct file_opts low = {
	.rate = 100, .seconds = 40, .chunk_ns = SEC, .source2 = true,
	.rung = true,
};

/* ---- the tests ---- */

static void test_compact_keeps_every_record_and_shrinks_low_rate(void **s)
{
	struct hwsi_compact_result res;
	struct content a, b;
	char *d1, *d2, *j1, *j2, *x1, *x2;
	struct stat st;

	(void)s;
	make_file(path("orig.hws"), &low);
	copy_file(path("orig.hws"), path("run.hws"));
	content_read(path("orig.hws"), &a);
	assert_int_equal(a.ndamage, 0);
	assert_int_equal(a.nr_sources, 2);
	assert_int_equal(a.footer_flags, HWS_FOOTER_F_RAW_RUNG);
	assert_true(a.chunks >= 2 * 39);

	assert_int_equal(hwsi_compact(path("run.hws"), NULL, &res), 1);
	assert_int_equal(stat(path("run.hws"), &st), 0);
	assert_int_equal(res.size_after, (uint64_t)st.st_size);
	assert_true(res.size_after < res.size_before);
	assert_int_equal(res.chunks_before, a.chunks);
	content_read(path("run.hws"), &b);
	assert_int_equal(res.chunks_after, b.chunks);
	/* 40 s at 100/s per CPU: 1 chunk, or 3 where raw-rung chunks split
	 * the run (before, stored, after) */
	assert_int_equal(b.chunks, 1 + 3);
	assert_int_equal(b.ndamage, 0);
	assert_true(b.footer);
	assert_same_records(&a, &b);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* nothing else left in the directory */
	assert_int_equal(dir_entries(), 2);

	/* the report sees the same records, the same everything but sizes */
	d1 = report("--dump", path("orig.hws"));
	d2 = report("--dump", path("run.hws"));
	assert_string_equal(d1, d2);
	j1 = report("--json", path("orig.hws"));
	j2 = report("--json", path("run.hws"));
	x1 = without_path(j1);
	x2 = without_path(j2);
	assert_string_equal(x1, x2);
	assert_true(strlen(x1) > 1000);
	free(d1);
	free(d2);
	free(j1);
	free(j2);
	free(x1);
	free(x2);
	content_free(&a);
	content_free(&b);

	/* a second pass finds nothing to gain */
	assert_int_equal(hwsi_compact(path("run.hws"), NULL, &res), 0);
	assert_int_equal(res.size_after, res.size_before);
	unlink(path("orig.hws"));
	unlink(path("run.hws"));
}

static void test_compact_leaves_high_rate_file_alone(void **s)
{
	struct file_opts hi = { .rate = 20000, .seconds = 10, .chunk_ns = SEC };
	struct hwsi_compact_result res;
	struct stat st1, st2;

	(void)s;
	make_file(path("hi.hws"), &hi);
	assert_int_equal(stat(path("hi.hws"), &st1), 0);
	assert_int_equal(hwsi_compact(path("hi.hws"), NULL, &res), 0);
	assert_int_equal(stat(path("hi.hws"), &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
	assert_int_equal(res.size_after, res.size_before);
	assert_int_equal(res.chunks_after, res.chunks_before);
	assert_true(res.chunks_before >= 20);
	assert_int_equal(dir_entries(), 1);
	unlink(path("hi.hws"));
}

static void flip_bit(const char *file, off_t off)
{
	uint8_t b;
	int fd = open(file, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void test_compact_refuses_damaged_and_truncated_files(void **s)
{
	struct stat st;
	int fd;

	(void)s;
	make_file(path("orig.hws"), &low);
	assert_int_equal(stat(path("orig.hws"), &st), 0);

	/* a flipped bit in the middle of the file */
	copy_file(path("orig.hws"), path("bad.hws"));
	flip_bit(path("bad.hws"), st.st_size / 2);
	copy_file(path("bad.hws"), path("bad.copy"));
	assert_int_equal(hwsi_compact(path("bad.hws"), NULL, NULL), -EBADMSG);
	assert_true(same_bytes(path("bad.hws"), path("bad.copy")));

	/* cut: no footer */
	copy_file(path("orig.hws"), path("cut.hws"));
	fd = open(path("cut.hws"), O_RDWR);
	assert_int_equal(ftruncate(fd, st.st_size - 100), 0);
	close(fd);
	copy_file(path("cut.hws"), path("cut.copy"));
	assert_int_equal(hwsi_compact(path("cut.hws"), NULL, NULL), -EBADMSG);
	assert_true(same_bytes(path("cut.hws"), path("cut.copy")));

	/* not a .hws file at all, and no file */
	fd = open(path("junk.hws"), O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "hello world, not a trace", 24), 24);
	close(fd);
	assert_int_equal(hwsi_compact(path("junk.hws"), NULL, NULL), -EBADMSG);
	assert_int_equal(hwsi_compact(path("none.hws"), NULL, NULL), -ENOENT);
	assert_int_equal(hwsi_compact(dir, NULL, NULL), -EINVAL);
	/* no temporary file is left behind */
	assert_int_equal(hwsi_compact_clean(dir, NULL), 0);
	assert_int_equal(dir_entries(), 6);
	unlink(path("orig.hws"));
	unlink(path("bad.hws"));
	unlink(path("bad.copy"));
	unlink(path("cut.hws"));
	unlink(path("cut.copy"));
	unlink(path("junk.hws"));
}

/* A file system that cannot take the new file: a file size limit
 * (RLIMIT_FSIZE: EFBIG) and a full disk (ENOSPC, pwritev interposed). */
static void put_file(const char *file, const uint8_t *b, size_t len)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
}

/*
 * Files libhws reads but compaction could not keep as they are: a chunk
 * header whose lost count is not its records' (resealed: intact), chunk
 * headers longer than this version's, another tool's frame between
 * chunks. Each is refused and left untouched.
 */
static void test_compact_refuses_unexpected_files(void **s)
{
	struct hws_writer_opts wo = { .sz = sizeof(wo), .chunk_ns = SEC };
	struct hws_header h = { 0 };
	struct hws_writer *w;
	uint8_t *b, *c, foreign[16] = { 0x50, 0x2a, 0x4d, 0x18, 8 };
	uint8_t rec[256];
	struct cpu_gen g = { 0 };
	size_t len;
	uint32_t hlen;

	(void)s;
	make_file(path("orig.hws"), &low);
	b = slurp(path("orig.hws"), &len);
	hlen = hwsi_get32(b + 4);
	c = b + HWS_SKIP_HDR + hlen;
	assert_int_equal(hwsi_get32(c), HWS_MAGIC_CHUNK);
	hwsi_put64(c + HWS_SKIP_HDR + 32, hwsi_get64(c + HWS_SKIP_HDR + 32) + 1);
	hwsi_frame_seal(c, HWS_CHUNK_LEN);
	put_file(path("lost.hws"), b, len);
	free(b);
	copy_file(path("lost.hws"), path("lost.copy"));
	assert_int_equal(hwsi_compact(path("lost.hws"), NULL, NULL), -EPROTO);
	assert_true(same_bytes(path("lost.hws"), path("lost.copy")));

	/* longer chunk headers; another tool's skippable frame */
	h.nr_cpus = 1;
	h.nr_sources = 1;
	h.sources = &src1;
	for (int kind = 0; kind < 2; kind++) {
		const char *f = path(kind ? "foreign.hws" : "long.hws");

		w = hws_writer_open(f, &h, &wo);
		assert_non_null(w);
		if (!kind)
			hwsi_writer_set_chunk_hdr_len(w, HWS_CHUNK_LEN + 8);
		for (uint64_t i = 0; i < 500; i++) {
			size_t n = put_sample(rec, 1, 3, 1000 * SEC + i * SEC / 100,
					      &g, i);

			if (kind && i == 250)
				assert_int_equal(hwsi_writer_put_frame(w, foreign,
								       16), 0);
			assert_int_equal(hws_writer_append(w, 0, rec, n), 0);
		}
		assert_int_equal(hws_writer_close(w, NULL, 0), 0);
		copy_file(f, path("copy"));
		assert_int_equal(hwsi_compact(f, NULL, NULL), -EPROTO);
		assert_true(same_bytes(f, path("copy")));
		unlink(f);
	}
	assert_int_equal(hwsi_compact_clean(dir, NULL), 0);
	unlink(path("orig.hws"));
	unlink(path("lost.hws"));
	unlink(path("lost.copy"));
	unlink(path("copy"));
	assert_int_equal(dir_entries(), 0);
}

static void test_compact_leaves_original_when_temp_cannot_be_written(void **s)
{
	struct rlimit old, lim;
	struct stat st;
	void (*prev)(int);

	(void)s;
	make_file(path("run.hws"), &low);
	copy_file(path("run.hws"), path("copy"));
	assert_int_equal(stat(path("run.hws"), &st), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	prev = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size / 8;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(hwsi_compact(path("run.hws"), NULL, NULL), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_true(same_bytes(path("run.hws"), path("copy")));
	assert_int_equal(dir_entries(), 2);

	/* a full disk: ENOSPC after 4 KiB of the new file */
	full_disk = 4096;
	assert_int_equal(hwsi_compact(path("run.hws"), NULL, NULL), -ENOSPC);
	full_disk = 0;
	assert_true(same_bytes(path("run.hws"), path("copy")));
	assert_int_equal(dir_entries(), 2);
	/* and when there is room again, it goes through */
	assert_int_equal(hwsi_compact(path("run.hws"), NULL, NULL), 1);
	unlink(path("run.hws"));
	unlink(path("copy"));
}

static enum hwsi_compact_step stop_step;

static bool stop_here(enum hwsi_compact_step step, void *arg)
{
	(void)arg;
	return step == stop_step;
}

/* A kill after each step: one complete file under the name, and the
 * temporary file removed by the next start's clean-up. */
static void test_compact_kill_between_steps_leaves_one_complete_file(void **s)
{
	static const enum hwsi_compact_step steps[] = {
		HWSI_CS_TEMP_CREATED, HWSI_CS_TEMP_WRITTEN, HWSI_CS_RENAMED,
	};
	struct hwsi_compact_opts o = { .stop_at = stop_here };
	struct content a, b;

	(void)s;
	make_file(path("orig.hws"), &low);
	content_read(path("orig.hws"), &a);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		copy_file(path("orig.hws"), path("run.hws"));
		stop_step = steps[i];
		assert_int_equal(hwsi_compact(path("run.hws"), &o, NULL), -EINTR);
		/* orig.hws, run.hws and, before the rename, the temp */
		assert_int_equal(dir_entries(),
				 steps[i] == HWSI_CS_RENAMED ? 2 : 3);
		if (steps[i] == HWSI_CS_RENAMED)
			assert_false(same_bytes(path("run.hws"),
						path("orig.hws")));
		else
			assert_true(same_bytes(path("run.hws"),
					       path("orig.hws")));
		content_read(path("run.hws"), &b);
		assert_int_equal(b.ndamage, 0);
		assert_true(b.footer);
		assert_same_records(&a, &b);
		content_free(&b);
		assert_int_equal(hwsi_compact_clean(dir, NULL),
				 steps[i] == HWSI_CS_RENAMED ? 0 : 1);
		assert_int_equal(dir_entries(), 2);
	}
	content_free(&a);
	unlink(path("orig.hws"));
	unlink(path("run.hws"));
}

static int cancel_calls;

static bool cancel_after(void *arg)
{
	return ++cancel_calls > *(int *)arg;
}

static bool replace_it(void *arg)
{
	char from[512], to[512], orig[512];

	(void)arg;
	/* not path(): its buffers hold the name being compacted */
	snprintf(orig, sizeof(orig), "%s/orig.hws", dir);
	snprintf(from, sizeof(from), "%s/new.hws", dir);
	snprintf(to, sizeof(to), "%s/run.hws", dir);
	if (++cancel_calls == 3) {
		copy_file(orig, from);
		assert_int_equal(rename(from, to), 0);
	}
	return false;
}

static void test_compact_cancel_and_replaced_file_leave_it(void **s)
{
	int after = 10;
	struct hwsi_compact_opts o = { .cancelled = cancel_after, .arg = &after };

	(void)s;
	make_file(path("orig.hws"), &low);
	copy_file(path("orig.hws"), path("run.hws"));
	cancel_calls = 0;
	assert_int_equal(hwsi_compact(path("run.hws"), &o, NULL), -ECANCELED);
	assert_true(same_bytes(path("run.hws"), path("orig.hws")));
	assert_int_equal(dir_entries(), 2);

	/* the ring (or a person) replaced the file meanwhile: not renamed */
	o.cancelled = replace_it;
	cancel_calls = 0;
	assert_int_equal(hwsi_compact(path("run.hws"), &o, NULL), -ESTALE);
	assert_true(same_bytes(path("run.hws"), path("orig.hws")));
	assert_int_equal(dir_entries(), 2);
	unlink(path("orig.hws"));
	unlink(path("run.hws"));
}

static void test_compact_temp_names_are_hidden_from_readers(void **s)
{
	char *r1, *r2;
	int fd;

	(void)s;
	assert_true(hwsi_compact_temp_name(".run-000001.hws.compact-a1B2c3"));
	assert_false(hwsi_compact_temp_name("run-000001.hws"));
	assert_false(hwsi_compact_temp_name(".compact-a1B2c3"));
	assert_false(hwsi_compact_temp_name(".run.hws"));
	make_file(path("run-000000.hws"), &low);
	r1 = report("--json", dir);
	/* a killed compaction's leftover, half written */
	fd = open(path(".run-000000.hws.compact-Xy12Zz"), O_WRONLY | O_CREAT,
		  0644);
	assert_int_equal(write(fd, "\x51\x2a\x4d\x18", 4), 4);
	close(fd);
	r2 = report("--json", dir);
	assert_string_equal(r1, r2);
	/* another recording's leftovers are not this one's to remove */
	assert_int_equal(hwsi_compact_clean(dir, "other"), 0);
	assert_int_equal(hwsi_compact_clean(dir, "run-"), 0);
	assert_int_equal(hwsi_compact_clean(dir, "run"), 1);
	assert_int_equal(dir_entries(), 1);
	free(r1);
	free(r2);
	unlink(path("run-000000.hws"));
}

/* ---- hwstats-record: rotation, the end, the ring ---- */

struct recf {
	struct rec r;
	struct hws_gen *gen;
	char out[512];
	uint8_t buf[1 << 16];
	uint64_t records;
};

static struct recf *recf_new(bool numbered, uint64_t max_files, bool no_compact)
{
	struct hws_gen_opts go = { .seed = 11, .nr_sources = 1 };
	struct recf *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->out, sizeof(f->out), "%s/rec.hws", dir);
	rec_init(&f->r);
	f->r.o.output = f->out;
	f->r.o.sync = REC_SYNC_NONE;
	f->r.o.max_files = max_files;
	f->r.o.no_compact = no_compact;
	f->r.numbered = numbered;
	f->r.hdr.nr_cpus = 2;
	f->r.nr_cpus = 2;
	f->gen = hws_gen_new(&go);
	assert_non_null(f->gen);
	assert_int_equal(rec_compact_start(&f->r), 0);
	assert_int_equal(rec_create_file(&f->r, 0), 0);
	assert_int_equal(rec_file_begin(&f->r), 0);
	return f;
}

/* About @sec seconds of 1 ms samples on CPU 0: 1-s chunks, as live. */
static void recf_fill(struct recf *f, int sec)
{
	uint64_t end = hws_gen_last_ts(f->gen);

	/* the generator starts at 1000 s: its last ts is 0 before that */
	end = (end ? end : 1000 * SEC) + (uint64_t)sec * SEC;
	while (hws_gen_last_ts(f->gen) < end) {
		size_t n = hws_gen_fill(f->gen, f->buf, sizeof(f->buf));

		assert_int_equal(hws_writer_append(f->r.w, 0, f->buf, n), 0);
	}
	f->records = hws_gen_records(f->gen);
}

/* Close the current file as the end of a capture does. */
static void recf_end(struct recf *f)
{
	pthread_rwlock_wrlock(&f->r.wlock);
	assert_int_equal(rec_file_end(&f->r, NULL, 0), 0);
	pthread_rwlock_unlock(&f->r.wlock);
}

static void recf_free(struct recf *f)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' || hwsi_compact_temp_name(e->d_name))
			unlink(path(e->d_name));
	if (d)
		closedir(d);
	rec_files_free(&f->r);
	rec_free(&f->r);
	hws_gen_free(f->gen);
	free(f);
}

/* Chunks and records of @file, which must be intact and finished. */
static uint64_t file_chunks(const char *file, uint64_t *records)
{
	struct hws_reader_stats st;
	struct hws_chunk_info ci;
	const struct hws_damage *d;
	struct hws_reader *r = hws_reader_open(file);
	const void *rec;
	uint64_t n = 0;
	size_t len;

	assert_non_null(r);
	while (hws_reader_next_chunk(r, &ci, &rec, &len) > 0)
		n++;
	assert_int_equal(hws_reader_damage(r, &d), 0);
	hws_reader_stats(r, &st);
	assert_true(st.has_footer);
	*records += st.records;
	hws_reader_close(r);
	return n;
}

static uint64_t file_size(const char *file)
{
	struct stat st;

	assert_int_equal(stat(file, &st), 0);
	return (uint64_t)st.st_size;
}

static void test_record_compacts_rotated_and_last_files(void **s)
{
	struct recf *f = recf_new(true, 0, false);
	uint64_t recs = 0, live;

	(void)s;
	recf_fill(f, 3);
	assert_int_equal(rec_rotate(&f->r, false), 0);
	recf_fill(f, 3);
	recf_end(f);
	live = f->r.closed_bytes;
	rec_compact_finish(&f->r, f->r.path);
	assert_int_equal(f->r.compacted_files, 2);
	/* one chunk per file: 3 s of one CPU, under 1 MiB */
	assert_int_equal(file_chunks(path("rec-000000.hws"), &recs), 1);
	assert_int_equal(file_chunks(path("rec-000001.hws"), &recs), 1);
	assert_int_equal(recs, f->records);
	/* the summary's size is the files' size now */
	assert_int_equal(f->r.closed_bytes,
			 file_size(path("rec-000000.hws")) +
			 file_size(path("rec-000001.hws")));
	assert_int_equal(f->r.closed_bytes + f->r.compact_saved, live);
	assert_true(f->r.compact_saved > 0);
	assert_int_equal(dir_entries(), 2);
	recf_free(f);
}

static void test_record_no_compact_keeps_files_as_written(void **s)
{
	struct recf *f = recf_new(false, 0, true);
	uint64_t recs = 0;

	(void)s;
	/* and a stale temporary file of this recording is removed at start */
	recf_fill(f, 5);
	recf_end(f);
	rec_compact_finish(&f->r, f->r.path);
	assert_int_equal(f->r.compacted_files, 0);
	assert_true(file_chunks(path("rec.hws"), &recs) >= 5);
	assert_int_equal(recs, f->records);
	recf_free(f);
}

static void test_record_start_removes_stale_temporary_files(void **s)
{
	struct recf *f;
	int fd;

	(void)s;
	fd = open(path(".rec-000003.hws.compact-AbC123"), O_WRONLY | O_CREAT,
		  0644);
	assert_true(fd >= 0);
	close(fd);
	fd = open(path(".other.hws.compact-AbC123"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	f = recf_new(true, 0, false);
	/* ours removed, another recording's kept */
	assert_int_equal(access(path(".rec-000003.hws.compact-AbC123"), F_OK),
			 -1);
	assert_int_equal(access(path(".other.hws.compact-AbC123"), F_OK), 0);
	recf_end(f);
	rec_compact_finish(&f->r, f->r.path);
	recf_free(f);
}

/*
 * A ring of 2 rotated every 3 s of records: the compaction of a file
 * races the ring's removal of it; whatever the order, removed files stay
 * removed, kept ones are complete, and no temporary file is left.
 */
static void test_record_ring_removal_and_compaction_do_not_race(void **s)
{
	struct recf *f = recf_new(true, 2, false);
	uint64_t recs = 0;
	char name[64];

	(void)s;
	for (int i = 0; i < 8; i++) {
		recf_fill(f, 3);
		assert_int_equal(rec_rotate(&f->r, false), 0);
	}
	recf_fill(f, 3);
	recf_end(f);
	rec_compact_finish(&f->r, f->r.path);
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "rec-%06d.hws", i);
		assert_int_equal(access(path(name), F_OK), -1);
	}
	assert_int_equal(file_chunks(path("rec-000007.hws"), &recs), 1);
	assert_int_equal(file_chunks(path("rec-000008.hws"), &recs), 1);
	assert_int_equal(dir_entries(), 2);
	assert_true(f->r.compacted_files >= 2);
	recf_free(f);
}

/* A stop signal while the last file is compacted: it stays as written. */
static void test_record_signal_abandons_the_last_compaction(void **s)
{
	struct recf *f = recf_new(false, 0, false);
	sig_atomic_t before = rec_stop_signals;
	struct sigaction sa, was;
	sigset_t set;

	(void)s;
	/* what SIGINT did before (SIG_IGN when started in the background) */
	assert_int_equal(sigaction(SIGINT, NULL, &was), 0);
	recf_fill(f, 3);
	recf_end(f);
	copy_file(path("rec.hws"), path("copy"));
	/* as rec_run() lets them through to the main thread */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	interrupt_at_sync = 1;
	rec_compact_finish(&f->r, f->r.path);
	assert_int_equal(interrupt_at_sync, 0);		/* it was raised */
	assert_int_equal(rec_stop_signals, before + 1);
	assert_int_equal(f->r.compacted_files, 0);
	assert_true(same_bytes(path("rec.hws"), path("copy")));
	assert_int_equal(dir_entries(), 2);	/* no temporary file */
	/* SIGINT does what it did before (the recorder's own in main) */
	assert_int_equal(sigaction(SIGINT, NULL, &sa), 0);
	assert_true(sa.sa_handler == was.sa_handler);
	rec_stop_signals = before;
	recf_free(f);
}

static void test_record_option_no_compact(void **s)
{
	char *on[] = { "hwstats-record", NULL };
	char *off[] = { "hwstats-record", "--no-compact", NULL };
	struct rec_opts o;

	(void)s;
	memset(&o, 0, sizeof(o));
	assert_int_equal(rec_parse_args(1, on, &o), 0);
	assert_false(o.no_compact);
	memset(&o, 0, sizeof(o));
	assert_int_equal(rec_parse_args(2, off, &o), 0);
	assert_true(o.no_compact);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact_keeps_every_record_and_shrinks_low_rate),
		cmocka_unit_test(test_compact_leaves_high_rate_file_alone),
		cmocka_unit_test(test_compact_refuses_damaged_and_truncated_files),
		cmocka_unit_test(test_compact_refuses_unexpected_files),
		cmocka_unit_test(test_compact_leaves_original_when_temp_cannot_be_written),
		cmocka_unit_test(test_compact_kill_between_steps_leaves_one_complete_file),
		cmocka_unit_test(test_compact_cancel_and_replaced_file_leave_it),
		cmocka_unit_test(test_compact_temp_names_are_hidden_from_readers),
		cmocka_unit_test(test_record_compacts_rotated_and_last_files),
		cmocka_unit_test(test_record_no_compact_keeps_files_as_written),
		cmocka_unit_test(test_record_start_removes_stale_temporary_files),
		cmocka_unit_test(test_record_ring_removal_and_compaction_do_not_race),
		cmocka_unit_test(test_record_signal_abandons_the_last_compaction),
		cmocka_unit_test(test_record_option_no_compact),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
