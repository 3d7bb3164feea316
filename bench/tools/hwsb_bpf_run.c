// SPDX-License-Identifier: MIT
/* The BPF loaders' shared part: see hwsb_bpf_run.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "hwstats_abi.h"
#include "hwsb_bpf_run.h"

static atomic_int stop;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int hwsb_bpf_on_record(void *ctx, void *data, size_t len)
{
	struct hwsb_bpf_consumer *c = ctx;
	const struct hwstats_sample *r = data;
	uint32_t cpu = r->reserved;

	c->records++;
	if (len != c->rec_len || r->hdr.len != c->rec_len ||
	    cpu >= HWSB_BPF_MAX_CPUS) {
		c->bad++;
		return 0;
	}
	if (c->from_first && !c->seen[cpu])
		c->next_seq[cpu] = r->seq;
	c->seen[cpu] = true;
	if (r->seq < c->next_seq[cpu])
		c->bad++;
	else
		c->gaps += r->seq - c->next_seq[cpu];
	c->next_seq[cpu] = r->seq + 1;
	if (c->out && fwrite(data, len, 1, c->out) != 1)
		c->write_error = true;
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int hwsb_bpf_setup(struct hwsb_bpf *b, const char *prog,
		   struct bpf_object *obj, const char *ring_map,
		   unsigned long ring, const char *counts_map,
		   const char *what, struct hwsb_bpf_consumer *cons)
{
	struct bpf_map *rb_map = bpf_object__find_map_by_name(obj, ring_map);
	struct bpf_program *p;

	memset(b, 0, sizeof(*b));
	b->obj = obj;
	libbpf_set_print(libbpf_quiet);
	b->counts = bpf_object__find_map_by_name(obj, counts_map);
	if (!rb_map || !b->counts) {
		fprintf(stderr, "%s: maps %s and %s not found\n", prog,
			ring_map, counts_map);
		return -1;
	}
	if (bpf_map__set_max_entries(rb_map, ring)) {
		fprintf(stderr, "%s: ring size %lu rejected\n", prog, ring);
		return -1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "%s: load: %s\n", prog, strerror(errno));
		return -1;
	}
	p = bpf_object__next_program(obj, NULL);
	b->link = p ? bpf_program__attach(p) : NULL;
	if (!b->link) {
		fprintf(stderr, "%s: attach to tracepoint %s: %s\n", prog, what,
			strerror(errno));
		return -1;
	}
	b->rb = ring_buffer__new(bpf_map__fd(rb_map), hwsb_bpf_on_record, cons,
				 NULL);
	if (!b->rb) {
		fprintf(stderr, "%s: ring_buffer__new: %s\n", prog,
			strerror(errno));
		return -1;
	}
	return 0;
}

void hwsb_bpf_close(struct hwsb_bpf *b)
{
	ring_buffer__free(b->rb);
	bpf_link__destroy(b->link);
	memset(b, 0, sizeof(*b));
}

static void *poller(void *arg)
{
	struct ring_buffer *rb = arg;

	while (!atomic_load(&stop))
		if (ring_buffer__poll(rb, 100) < 0 && errno != EINTR)
			break;
	return NULL;
}

int hwsb_bpf_run(const char *prog, struct ring_buffer *rb, bool poll_while,
		 char **argv, uint64_t *wall, uint64_t *total, int *status)
{
	uint64_t t0;
	pthread_t thr;
	pid_t pid;
	int st;

	atomic_store(&stop, 0);
	if (poll_while && pthread_create(&thr, NULL, poller, rb)) {
		fprintf(stderr, "%s: pthread_create failed\n", prog);
		return -1;
	}
	t0 = now_ns();
	pid = fork();
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		fprintf(stderr, "%s: command: %s\n", prog, strerror(errno));
		if (poll_while) {
			atomic_store(&stop, 1);
			pthread_join(thr, NULL);
		}
		return -1;
	}
	*wall = now_ns() - t0;
	if (poll_while) {
		atomic_store(&stop, 1);
		pthread_join(thr, NULL);
	}
	while (ring_buffer__consume(rb) > 0)
		;
	*total = now_ns() - t0;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return 0;
}

void hwsb_bpf_report(const struct hwsb_bpf *b, unsigned long ring,
		     bool poll_while, bool per_cpu,
		     const struct hwsb_bpf_consumer *cons, uint64_t wall,
		     uint64_t total, int status)
{
	int ncpu = libbpf_num_possible_cpus(), i, key;
	uint64_t *vals = ncpu > 0 ? calloc(ncpu, sizeof(*vals)) : NULL;
	uint64_t stored = 0, dropped = 0;

	printf("bpf ring=%lu poll=%d", ring, poll_while);
	for (key = 0; key < 2 && vals; key++) {
		if (bpf_map__lookup_elem(b->counts, &key, sizeof(key), vals,
					 sizeof(*vals) * ncpu, 0))
			break;
		for (i = 0; i < ncpu; i++) {
			*(key ? &dropped : &stored) += vals[i];
			if (key && per_cpu && vals[i])
				printf(" dropped_cpu%d=%llu", i,
				       (unsigned long long)vals[i]);
		}
	}
	free(vals);
	/* wall: while the command ran; total: until everything was consumed */
	printf(" delivered=%llu stored=%llu dropped=%llu gaps=%llu bad=%llu wall=%llu total=%llu status=%d\n",
	       (unsigned long long)cons->records, (unsigned long long)stored,
	       (unsigned long long)dropped, (unsigned long long)cons->gaps,
	       (unsigned long long)cons->bad, (unsigned long long)wall,
	       (unsigned long long)total, status);
}
