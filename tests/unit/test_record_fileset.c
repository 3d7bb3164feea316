// SPDX-License-Identifier: MIT
/*
 * hwstats-record's file set: names, continuing after the files already
 * there, the ring of the newest --max-files, refusing to overwrite, and
 * exactly where --sync makes data and names durable (fsync is interposed:
 * this program's fsync() is the one every call in it reaches). Also the
 * lock a rotation takes: a waiting rotation goes before new appends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "hws_gen.h"
#include "rec.h"

/* ---- fsync, interposed: what was synced, in order ---- */

#define MAX_SYNCS 64
static char synced[MAX_SYNCS][PATH_MAX];
static int nr_synced;

int fsync(int fd)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (nr_synced < MAX_SYNCS) {
		n = readlink(link, synced[nr_synced], PATH_MAX - 1);
		synced[nr_synced][n > 0 ? n : 0] = '\0';
		nr_synced++;
	}
	return (int)syscall(SYS_fsync, fd);
}

struct fixture {
	char dir[PATH_MAX];
	char out[PATH_MAX + 16];
	struct rec r;
	struct hws_gen *gen;
	char *buf;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct hws_gen_opts go = { .seed = 7, .nr_sources = 1 };
	char real[PATH_MAX];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_record_fileset.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* the real path: /proc/self/fd links name it so */
	if (!realpath(f->dir, real))
		return -1;
	memcpy(f->dir, real, sizeof(f->dir));
	snprintf(f->out, sizeof(f->out), "%s/run.hws", f->dir);
	rec_init(&f->r);
	f->r.o.output = f->out;
	f->r.o.sync = REC_SYNC_ROTATE;
	f->r.hdr.nr_cpus = 2;
	f->r.nr_cpus = 2;
	f->gen = hws_gen_new(&go);
	f->buf = malloc(1 << 16);
	if (!f->gen || !f->buf)
		return -1;
	nr_synced = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	char p[PATH_MAX + 300];
	DIR *d = opendir(f->dir);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	if (f->r.w)
		hws_writer_close(f->r.w, NULL, 0);
	f->r.w = NULL;
	if (f->r.next_fd >= 0)
		close(f->r.next_fd);
	rec_files_free(&f->r);
	pthread_rwlock_destroy(&f->r.wlock);
	hws_gen_free(f->gen);
	free(f->buf);
	free(f);
	return 0;
}

static bool exists(const struct fixture *f, const char *name)
{
	char p[PATH_MAX + 300];

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	return access(p, F_OK) == 0;
}

static void touch(const struct fixture *f, const char *name)
{
	char p[PATH_MAX + 300];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

/* Some records for CPU @cpu of the current file. */
static void append(struct fixture *f, uint32_t cpu)
{
	size_t n = hws_gen_fill(f->gen, f->buf, 1 << 16);

	assert_true(n > 0);
	assert_int_equal(hws_writer_append(f->r.w, cpu, f->buf, n), 0);
}

static void test_fileset_names(void **state)
{
	struct fixture *f = *state;
	char name[PATH_MAX + 64], want[PATH_MAX + 64];

	rec_file_name(&f->r, 0, name, sizeof(name));
	assert_string_equal(name, f->out);
	rec_file_name(&f->r, 1, name, sizeof(name));
	snprintf(want, sizeof(want), "%s/run-000001.hws", f->dir);
	assert_string_equal(name, want);
	f->r.numbered = true;
	rec_file_name(&f->r, 0, name, sizeof(name));
	snprintf(want, sizeof(want), "%s/run-000000.hws", f->dir);
	assert_string_equal(name, want);
	f->r.o.output = "plain";
	rec_file_name(&f->r, 42, name, sizeof(name));
	assert_string_equal(name, "plain-000042");
	f->r.o.output = f->out;
}

static void test_fileset_continues_after_existing_files(void **state)
{
	struct fixture *f = *state;

	touch(f, "run-000003.hws");
	touch(f, "run-000010.hws");
	touch(f, "run-1.hws");		/* not six digits */
	touch(f, "run-000004.txt");
	touch(f, "other-000099.hws");
	f->r.numbered = true;
	assert_int_equal(rec_scan_existing(&f->r), 0);
	assert_int_equal(f->r.file_seq, 11);
	assert_int_equal(f->r.nr_ring, 2);
	assert_non_null(strstr(f->r.ring[0], "run-000003.hws"));
	assert_non_null(strstr(f->r.ring[1], "run-000010.hws"));
}

static void test_fileset_refuses_existing_file_and_directory(void **state)
{
	struct fixture *f = *state;

	touch(f, "run.hws");
	assert_int_equal(rec_create_file(&f->r, 0), -EEXIST);
	assert_int_equal(f->r.next_fd, -1);
	f->r.o.output = f->dir;		/* -o /tmp */
	assert_int_equal(rec_create_file(&f->r, 0), -EEXIST);
	f->r.o.force = true;
	assert_int_equal(rec_create_file(&f->r, 0), -EISDIR);
	f->r.o.output = f->out;
	assert_int_equal(rec_create_file(&f->r, 0), 0);
	assert_true(f->r.next_fd >= 0);
}

/*
 * A header too large for any file: rec_file_begin() fails and leaves no
 * empty file behind.
 */
static void test_fileset_failed_begin_leaves_no_file(void **state)
{
	struct fixture *f = *state;

	f->r.hdr.nr_cpus = 0;		/* a header a writer refuses */
	assert_int_equal(rec_create_file(&f->r, 0), 0);
	assert_true(exists(f, "run.hws"));
	assert_int_equal(rec_file_begin(&f->r), -EINVAL);
	assert_false(exists(f, "run.hws"));
	assert_null(f->r.w);
}

static void test_fileset_ring_keeps_the_newest(void **state)
{
	struct fixture *f = *state;
	int i;

	touch(f, "run-000000.hws");	/* from an earlier run: counts */
	f->r.numbered = true;
	f->r.o.max_files = 2;
	f->r.o.sync = REC_SYNC_NONE;
	assert_int_equal(rec_scan_existing(&f->r), 0);
	assert_int_equal(f->r.file_seq, 1);
	assert_int_equal(rec_create_file(&f->r, f->r.file_seq), 0);
	assert_int_equal(rec_file_begin(&f->r), 0);
	for (i = 0; i < 3; i++) {
		append(f, 0);
		assert_int_equal(rec_rotate(&f->r, false), 0);
	}
	assert_false(exists(f, "run-000000.hws"));
	assert_false(exists(f, "run-000001.hws"));
	assert_false(exists(f, "run-000002.hws"));
	assert_true(exists(f, "run-000003.hws"));
	assert_true(exists(f, "run-000004.hws"));
	assert_int_equal(f->r.nr_ring, 2);
	assert_int_equal(f->r.nr_files, 4);
	assert_int_equal(nr_synced, 0);		/* --sync none */
	assert_int_equal(rec_file_end(&f->r, NULL, 0), 0);
	assert_int_equal(nr_synced, 0);
}

/* The sync points of --sync rotate, in order. */
static void test_sync_rotate_syncs_files_at_close_and_the_directory(void **state)
{
	struct fixture *f = *state;
	char f0[PATH_MAX + 64], f1[PATH_MAX + 64];

	f->r.numbered = true;
	f->r.o.max_files = 1;
	rec_file_name(&f->r, 0, f0, sizeof(f0));
	rec_file_name(&f->r, 1, f1, sizeof(f1));
	assert_int_equal(rec_create_file(&f->r, 0), 0);
	assert_int_equal(nr_synced, 0);
	assert_int_equal(rec_file_begin(&f->r), 0);
	/* the new file's name */
	assert_int_equal(nr_synced, 1);
	assert_string_equal(synced[0], f->dir);
	append(f, 0);
	append(f, 1);
	assert_int_equal(hws_writer_flush_cpu(f->r.w, 0), 0);
	assert_int_equal(nr_synced, 1);		/* no sync per chunk */
	assert_int_equal(rec_rotate(&f->r, false), 0);
	/* the closed file's data, then the directory: new name, ring removal */
	assert_int_equal(nr_synced, 3);
	assert_string_equal(synced[1], f0);
	assert_string_equal(synced[2], f->dir);
	assert_false(exists(f, "run-000000.hws"));
	append(f, 1);
	assert_int_equal(rec_file_end(&f->r, NULL, 0), 0);
	assert_int_equal(nr_synced, 4);
	assert_string_equal(synced[3], f1);
}

/* --sync chunk: each chunk as it is written, then as --sync rotate. */
static void test_sync_chunk_syncs_every_chunk(void **state)
{
	struct fixture *f = *state;

	f->r.o.sync = REC_SYNC_CHUNK;
	assert_int_equal(rec_create_file(&f->r, 0), 0);
	assert_int_equal(rec_file_begin(&f->r), 0);
	assert_int_equal(nr_synced, 1);
	assert_string_equal(synced[0], f->dir);
	append(f, 0);
	append(f, 1);
	assert_int_equal(nr_synced, 1);		/* chunks still open */
	assert_int_equal(hws_writer_flush_cpu(f->r.w, 0), 0);
	assert_int_equal(nr_synced, 2);
	assert_string_equal(synced[1], f->out);
	assert_int_equal(hws_writer_flush_cpu(f->r.w, 0), 0);
	assert_int_equal(nr_synced, 2);		/* nothing to write */
	assert_int_equal(hws_writer_flush_cpu(f->r.w, 1), 0);
	assert_int_equal(nr_synced, 3);
	assert_int_equal(rec_file_end(&f->r, NULL, 0), 0);
	assert_int_equal(nr_synced, 4);
	assert_string_equal(synced[3], f->out);
}

/* ---- the rotation lock ---- */

struct lock_test {
	pthread_rwlock_t *lock;
	pthread_t thread;
	volatile pid_t tid;
	volatile int state;	/* 1: about to take it, 2: took it */
};

static void *take_for_writing(void *arg)
{
	struct lock_test *t = arg;

	t->tid = (pid_t)syscall(SYS_gettid);
	__atomic_store_n(&t->state, 1, __ATOMIC_SEQ_CST);
	pthread_rwlock_wrlock(t->lock);
	__atomic_store_n(&t->state, 2, __ATOMIC_SEQ_CST);
	pthread_rwlock_unlock(t->lock);
	return NULL;
}

/* Whether thread @tid sleeps (in the lock: it does nothing else). */
static bool sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *fp;
	bool s = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fp = fopen(path, "r");
	if (!fp)
		return false;
	if (fgets(buf, sizeof(buf), fp)) {
		p = strrchr(buf, ')');
		s = p && p[1] == ' ' && p[2] == 'S';
	}
	fclose(fp);
	return s;
}

/*
 * Drain threads hold the lock for reading one after another, overlapping:
 * with glibc's default kind a waiting rotation would let every new reader
 * in and could wait for as long as the CPUs stay busy. With the lock
 * rec_init() makes, a reader arriving while a rotation waits waits too.
 */
static void test_rotation_lock_goes_before_new_appends(void **state)
{
	struct fixture *f = *state;
	struct lock_test t = { .lock = &f->r.wlock };

	assert_int_equal(pthread_rwlock_rdlock(&f->r.wlock), 0);
	assert_int_equal(pthread_create(&t.thread, NULL, take_for_writing, &t),
			 0);
	while (__atomic_load_n(&t.state, __ATOMIC_SEQ_CST) != 1 ||
	       !sleeping(t.tid))
		usleep(1000);
	/* an append arriving now must not pass the rotation */
	assert_int_equal(pthread_rwlock_tryrdlock(&f->r.wlock), EBUSY);
	assert_int_equal(__atomic_load_n(&t.state, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(pthread_rwlock_unlock(&f->r.wlock), 0);
	assert_int_equal(pthread_join(t.thread, NULL), 0);
	assert_int_equal(t.state, 2);
}

/* ---- the writer: one CPU's chunk closed while others append ---- */

struct appender {
	struct hws_writer *w;
	uint32_t cpu;
	uint64_t bytes;
	volatile int *stop;
};

static void *append_until_stopped(void *arg)
{
	struct appender *a = arg;
	struct hws_gen_opts go = { .seed = 11 + a->cpu, .cpu = a->cpu,
				   .nr_sources = 1, .schema_seed = 1 };
	struct hws_gen *g = hws_gen_new(&go);
	char *buf = malloc(1 << 14);

	while (g && buf && !__atomic_load_n(a->stop, __ATOMIC_SEQ_CST)) {
		size_t n = hws_gen_fill(g, buf, 1 << 14);

		if (hws_writer_append(a->w, a->cpu, buf, n))
			break;
		a->bytes += n;
	}
	hws_gen_free(g);
	free(buf);
	return NULL;
}

/*
 * CPUs 1..3 append without pause; CPU 0's chunk is closed by its own
 * flush, under its own lock, while they go on: every flush writes one
 * chunk holding exactly CPU 0's records since the last, and every record
 * of every CPU is in the file.
 */
static void test_writer_flushes_one_cpu_while_others_append(void **state)
{
	struct fixture *f = *state;
	struct hws_gen_opts go = { .seed = 3, .nr_sources = 1,
				   .schema_seed = 1 };
	struct hws_gen *g0 = hws_gen_new(&go);
	uint64_t recs[4] = { 0 }, want0[20], raw[4] = { 0 };
	struct hws_chunk_info ci;
	struct appender a[3];
	pthread_t th[3];
	struct hws_header h;
	struct hws_reader *rd;
	struct hws_writer *w;
	volatile int stop = 0;
	const void *p;
	size_t len;
	int i, k = 0;

	assert_non_null(g0);
	assert_int_equal(hws_gen_header(g0, 4, &h), 0);
	w = hws_writer_open(f->out, &h, NULL);
	assert_non_null(w);
	for (i = 0; i < 3; i++) {
		a[i] = (struct appender){ .w = w, .cpu = (uint32_t)i + 1,
					  .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL,
						append_until_stopped, &a[i]), 0);
	}
	for (i = 0; i < 20; i++) {
		uint64_t before = hws_gen_records(g0);
		size_t n = hws_gen_fill(g0, f->buf, 4096);

		assert_int_equal(hws_writer_append(w, 0, f->buf, n), 0);
		raw[0] += n;
		want0[i] = hws_gen_records(g0) - before;
		assert_int_equal(hws_writer_flush_cpu(w, 0), 0);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		raw[i + 1] = a[i].bytes;
	}
	assert_int_equal(hws_writer_close(w, NULL, 0), 0);

	rd = hws_reader_open(f->out);
	assert_non_null(rd);
	while (hws_reader_next_chunk(rd, &ci, &p, &len) == 1) {
		assert_true(ci.cpu < 4);
		if (ci.cpu == 0) {
			assert_true(k < 20);
			assert_int_equal(ci.nr_records, want0[k]);
			k++;
		}
		recs[ci.cpu] += len;
	}
	assert_int_equal(k, 20);
	for (i = 0; i < 4; i++)
		assert_int_equal(recs[i], raw[i]);
	hws_reader_close(rd);
	hws_gen_header_free(&h);
	hws_gen_free(g0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fileset_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileset_continues_after_existing_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileset_refuses_existing_file_and_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileset_failed_begin_leaves_no_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileset_ring_keeps_the_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_rotate_syncs_files_at_close_and_the_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_chunk_syncs_every_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_lock_goes_before_new_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_flushes_one_cpu_while_others_append, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
