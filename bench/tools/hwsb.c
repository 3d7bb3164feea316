// SPDX-License-Identifier: MIT
/*
 * hwsb - the guest side of the hwstats benchmarks (the scenarios in bench/vm).
 *
 *   hwsb session [-w] [-s NAMES] [-b SIZE] [-n N] -- CMD [ARG]...
 *       Start a session (overwrite mode with -w), run CMD, stop; print each
 *       CPU's records and lost counts as the kernel reports them.
 *   hwsb drain [-s NAMES] [-b SIZE] [-n N] -- CMD [ARG]...
 *       Start a no-overwrite session and drain every CPU's channel with a
 *       thread pinned to it (read() into a buffer, records counted and
 *       thrown away) while CMD runs; then stop and drain the rest. Prints
 *       what was delivered, what the kernel dropped, and the time.
 *   hwsb wait [SECONDS]
 *       Wait until a session runs (default at most 30 s; exit 1 if none).
 *   hwsb snap -m ioctl|seqfile|genl|relay [-r REPS]
 *       Fetch every source's values (the bench_snapK sources of module
 *       hwstats_bench) REPS times by one transport; print the median and
 *       the fastest time. Every transport's answer is compared with the
 *       ioctl's, value for value.
 *
 * Output lines are "key=value" words, for bench/run.sh to parse. It talks
 * to the module through the ABI header only.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hwstats_abi.h"

#define DEV		"/dev/" HWSTATS_DEVICE_NAME
#define CHANDIR		"/sys/kernel/debug/" HWSTATS_DEBUGFS_DIR
#define BENCHDIR	"/sys/kernel/debug/hwstats_bench"
#define READ_SIZE	(1u << 20)

static void die(const char *what)
{
	fprintf(stderr, "hwsb: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- the control device ------------------------------------------------ */

static uint32_t nr_cpu_ids(int fd)
{
	struct hwstats_info in = { .size = sizeof(in) };

	if (ioctl(fd, HWSTATS_IOC_GET_INFO, &in))
		die("GET_INFO");
	return in.nr_cpu_ids;
}

/* Source ids of the comma-separated names (all sources if NULL). */
static uint32_t source_ids(int fd, const char *names, uint32_t *ids,
			   uint32_t cap)
{
	struct hwstats_source_info si[256];
	struct hwstats_list_sources ls = {
		.size = sizeof(ls), .count = 256,
		.sources = (uintptr_t)si,
	};
	char *list, *tok, *save;
	uint32_t n = 0;

	if (!names)
		return 0;
	if (ioctl(fd, HWSTATS_IOC_LIST_SOURCES, &ls))
		die("LIST_SOURCES");
	list = strdup(names);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint32_t i;

		for (i = 0; i < ls.count && i < 256; i++)
			if (!strcmp(si[i].name, tok))
				break;
		if (i == ls.count || i == 256 || n == cap) {
			fprintf(stderr, "hwsb: no source '%s'\n", tok);
			exit(2);
		}
		ids[n++] = si[i].id;
	}
	free(list);
	return n;
}

struct sess_opts {
	const char *sources;
	uint32_t subbuf_size;
	uint32_t n_subbufs;
	bool overwrite;
};

static int start_session(const struct sess_opts *o)
{
	uint32_t ids[64];
	struct hwstats_start st = { .size = sizeof(st) };
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(DEV);
	st.nr_sources = source_ids(fd, o->sources, ids, 64);
	st.source_ids = (uintptr_t)ids;
	st.flags = o->overwrite ? HWSTATS_START_OVERWRITE : 0;
	st.subbuf_size = o->subbuf_size;
	st.n_subbufs = o->n_subbufs;
	if (ioctl(fd, HWSTATS_IOC_START, &st))
		die("START");
	return fd;
}

static struct hwstats_cpu_stats *session_stats(int fd, uint32_t *nr)
{
	struct hwstats_cpu_stats *cs;
	struct hwstats_stats s = { .size = sizeof(s) };

	*nr = nr_cpu_ids(fd);
	cs = calloc(*nr, sizeof(*cs));
	s.nr_cpus = *nr;
	s.cpus = (uintptr_t)cs;
	if (!cs || ioctl(fd, HWSTATS_IOC_GET_STATS, &s))
		die("GET_STATS");
	return cs;
}

static int run_cmd(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int parse_sess(int argc, char **argv, struct sess_opts *o)
{
	static const struct option opts[] = {
		{ .name = "overwrite", .has_arg = no_argument, .val = 'w' },
		{ .name = "sources", .has_arg = required_argument, .val = 's' },
		{ .name = "buffer-size", .has_arg = required_argument, .val = 'b' },
		{ .name = "buffers", .has_arg = required_argument, .val = 'n' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+ws:b:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o->overwrite = true;
			break;
		case 's':
			o->sources = optarg;
			break;
		case 'b':
			o->subbuf_size = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o->n_subbufs = strtoul(optarg, NULL, 0);
			break;
		default:
			exit(1);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "hwsb: a command to run is needed\n");
		exit(1);
	}
	return optind;
}

static void print_stats(const char *tag, int fd)
{
	uint32_t nr, cpu;
	struct hwstats_cpu_stats *cs = session_stats(fd, &nr);

	for (cpu = 0; cpu < nr; cpu++)
		if (cs[cpu].flags & HWSTATS_CPU_HAS_BUFFER)
			printf("%s cpu=%u records=%llu lost=%llu subbufs=%llu\n",
			       tag, cpu, (unsigned long long)cs[cpu].records,
			       (unsigned long long)cs[cpu].lost,
			       (unsigned long long)cs[cpu].subbufs);
	free(cs);
}

static int cmd_session(int argc, char **argv)
{
	struct sess_opts o = { 0 };
	int i = parse_sess(argc, argv, &o), fd, rc;
	uint64_t t;

	fd = start_session(&o);
	t = now_ns();
	rc = run_cmd(argv + i);
	t = now_ns() - t;
	if (ioctl(fd, HWSTATS_IOC_STOP))
		die("STOP");
	print_stats("session", fd);
	printf("session wall=%llu status=%d\n", (unsigned long long)t, rc);
	close(fd);
	return rc;
}

/* ---- drain ------------------------------------------------------------- */

struct drainer {
	pthread_t thread;
	uint32_t cpu;
	int fd;
	uint64_t records;	/* sample records */
	uint64_t bytes;
	uint64_t reads;
};

static atomic_int drain_stop;

/*
 * Bytes of whole records at the start of [p, p + len). hwstats.ko's read()
 * ends on a record boundary; should a read ever end inside one, its tail
 * waits for the next read instead of being counted as garbage.
 */
static size_t whole_records(const char *p, size_t len)
{
	size_t off = 0;

	while (off + sizeof(struct hwstats_rec) <= len) {
		const struct hwstats_rec *h = (const void *)(p + off);

		if (h->len < sizeof(*h) || h->len % HWSTATS_REC_ALIGN) {
			fprintf(stderr, "hwsb: malformed record stream\n");
			exit(3);
		}
		if (off + h->len > len)
			break;
		off += h->len;
	}
	return off;
}

/* One read() after the @keep bytes already at @buf; returns n or -errno. */
static ssize_t read_records(int fd, char *buf, size_t *keep, size_t *whole)
{
	ssize_t n = read(fd, buf + *keep, READ_SIZE - *keep);

	if (n < 0)
		return -errno;
	*whole = whole_records(buf, *keep + (size_t)n);
	return n;
}

static void drain_count(struct drainer *d, const char *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const struct hwstats_rec *h = (const void *)(p + off);

		if (h->type == HWSTATS_REC_SAMPLE)
			d->records++;
		off += h->len;
	}
	d->bytes += len;
	d->reads++;
}

static void *drain_main(void *arg)
{
	struct drainer *d = arg;
	char *buf = malloc(READ_SIZE);
	size_t keep = 0, whole = 0;
	ssize_t n;

	if (!buf)
		die("malloc");
	pin((int)d->cpu);
	for (;;) {
		struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
		int stop = atomic_load(&drain_stop);

		if (!stop)
			poll(&pfd, 1, 100);
		do {
			n = read_records(d->fd, buf, &keep, &whole);
			if (n > 0) {
				drain_count(d, buf, whole);
				keep = keep + (size_t)n - whole;
				memmove(buf, buf + whole, keep);
			}
		} while (n > 0);
		if (n < 0 && n != -EAGAIN) {
			errno = (int)-n;
			die("read");
		}
		if (stop)
			break;
	}
	free(buf);
	return NULL;
}

static int cmd_drain(int argc, char **argv)
{
	struct sess_opts o = { 0 };
	int i = parse_sess(argc, argv, &o), fd, rc;
	uint32_t nr, cpu, nd = 0;
	struct drainer *d;
	uint64_t t, t0, records = 0, lost = 0, bytes = 0, written = 0;
	struct hwstats_cpu_stats *cs;

	fd = start_session(&o);
	nr = nr_cpu_ids(fd);
	d = calloc(nr, sizeof(*d));
	for (cpu = 0; cpu < nr; cpu++) {
		char path[128];

		snprintf(path, sizeof(path), CHANDIR "/" HWSTATS_CHANNEL_BASE "%u",
			 cpu);
		d[nd].fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (d[nd].fd < 0)
			continue;
		d[nd].cpu = cpu;
		if (pthread_create(&d[nd].thread, NULL, drain_main, &d[nd]))
			die("pthread_create");
		nd++;
	}
	t0 = now_ns();
	rc = run_cmd(argv + i);
	t = now_ns() - t0;
	if (ioctl(fd, HWSTATS_IOC_STOP))
		die("STOP");
	atomic_store(&drain_stop, 1);
	for (i = 0; i < (int)nd; i++) {
		pthread_join(d[i].thread, NULL);
		close(d[i].fd);
		records += d[i].records;
		bytes += d[i].bytes;
		printf("drain cpu=%u delivered=%llu bytes=%llu reads=%llu\n",
		       d[i].cpu, (unsigned long long)d[i].records,
		       (unsigned long long)d[i].bytes,
		       (unsigned long long)d[i].reads);
	}
	t0 = now_ns() - t0;
	cs = session_stats(fd, &nr);
	for (cpu = 0; cpu < nr; cpu++) {
		lost += cs[cpu].lost;
		written += cs[cpu].records;
	}
	/* wall: while CMD ran; total: until everything was read */
	printf("drain total delivered=%llu written=%llu lost=%llu bytes=%llu wall=%llu total=%llu status=%d\n",
	       (unsigned long long)records, (unsigned long long)written,
	       (unsigned long long)lost, (unsigned long long)bytes,
	       (unsigned long long)t, (unsigned long long)t0, rc);
	free(cs);
	free(d);
	close(fd);
	return rc;
}

/* ---- snapshot transports -------------------------------------------------- */

struct snap {
	int fd;			/* /dev/hwstats */
	char *buf;		/* the ioctl's answer: the reference */
	size_t len;
	char *got;		/* another transport's answer */
	size_t cap;
	size_t keep;		/* relay: bytes of a partial record */
	uint32_t nr;		/* sources in the answer */
	size_t off[64];		/* each one's offset */
	uint32_t id[64];	/* each one's id, for the relay stream */
	char names[64 * (HWSTATS_NAME_LEN + 1)];
};

#define SS_SIZE sizeof(struct hwstats_snapshot_source)

static size_t snap_ioctl(struct snap *s, char *dst, size_t cap)
{
	struct hwstats_snapshot a = {
		.size = sizeof(a), .buf_size = cap, .buf = (uintptr_t)dst,
	};

	/* A NULL buffer asks for the size: ENOSPC, and size_needed. */
	if (ioctl(s->fd, HWSTATS_IOC_SNAPSHOT, &a) && (dst || errno != ENOSPC))
		die("SNAPSHOT");
	return a.size_needed;
}

static size_t snap_seqfile(struct snap *s)
{
	int fd = open(BENCHDIR "/snap", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		die(BENCHDIR "/snap");
	while ((n = read(fd, s->got + len, s->cap - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		die("read snap");
	close(fd);
	return len;
}

struct genl {
	int sock;
	uint16_t family;
	uint32_t seq;
};

static void genl_send(struct genl *g, uint16_t type, uint16_t flags,
		      uint8_t cmd, const void *attr, size_t alen)
{
	char buf[256] __attribute__((aligned(4)));
	struct nlmsghdr *nh = (void *)buf;
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	memset(buf, 0, sizeof(buf));
	nh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + alen;
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_REQUEST | flags;
	nh->nlmsg_seq = ++g->seq;
	gh->cmd = cmd;
	gh->version = 1;
	memcpy((char *)gh + GENL_HDRLEN, attr, alen);
	if (sendto(g->sock, buf, nh->nlmsg_len, 0, (void *)&sa, sizeof(sa)) < 0)
		die("netlink send");
}

static void genl_open(struct genl *g)
{
	char buf[8192] __attribute__((aligned(4)));
	char abuf[64] __attribute__((aligned(4)));
	struct nlattr *na = (void *)abuf;
	const char *name = "hwsb_snap";
	struct nlmsghdr *nh = (void *)buf;
	ssize_t n;
	int len;

	g->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->sock < 0)
		die("netlink socket");
	na->nla_type = CTRL_ATTR_FAMILY_NAME;
	na->nla_len = NLA_HDRLEN + strlen(name) + 1;
	memcpy(abuf + NLA_HDRLEN, name, strlen(name) + 1);
	genl_send(g, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, abuf,
		  NLA_ALIGN(na->nla_len));
	n = recv(g->sock, buf, sizeof(buf), 0);
	if (n < 0 || !NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type == NLMSG_ERROR) {
		errno = ENOENT;
		die("genl family hwsb_snap");
	}
	len = (int)nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	na = (void *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
	for (; len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN;
	     len -= NLA_ALIGN(na->nla_len),
	     na = (void *)((char *)na + NLA_ALIGN(na->nla_len)))
		if (na->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(&g->family, (char *)na + NLA_HDRLEN, 2);
	if (!g->family) {
		errno = ENOENT;
		die("genl family id");
	}
}

static size_t snap_genl(struct snap *s, struct genl *g)
{
	static char buf[65536] __attribute__((aligned(4)));
	size_t len = 0;

	genl_send(g, g->family, NLM_F_DUMP, 1, NULL, 0);
	for (;;) {
		ssize_t n = recv(g->sock, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (void *)buf;

		if (n < 0)
			die("netlink recv");
		for (; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			struct nlattr *na;

			if (nh->nlmsg_type == NLMSG_DONE)
				return len;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				errno = EPROTO;
				die("netlink dump");
			}
			na = (void *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
			if (na->nla_type != 1 || len + na->nla_len - NLA_HDRLEN > s->cap) {
				errno = EPROTO;
				die("netlink attribute");
			}
			memcpy(s->got + len, (char *)na + NLA_HDRLEN,
			       na->nla_len - NLA_HDRLEN);
			len += na->nla_len - NLA_HDRLEN;
		}
	}
}

/*
 * Emit the values as hwstats records on CPU 0 (the module does it in the
 * write), complete the sub-buffer, read them back from cpu0's channel.
 */
static size_t snap_relay(struct snap *s, int run_fd, int chan_fd,
			 char *rbuf)
{
	uint64_t want = 0, got = 0;
	uint32_t i;

	for (i = 0; i < s->nr; i++) {
		const struct hwstats_snapshot_source *ss =
			(const void *)(s->buf + s->off[i]);

		memcpy(s->got + s->off[i], ss, SS_SIZE);
		want += ss->nr_counters;
	}
	if (write(run_fd, "relaysnap", 9) != 9)
		die("relaysnap");
	if (ioctl(s->fd, HWSTATS_IOC_FLUSH))
		die("FLUSH");
	while (got < want) {
		size_t whole = 0, off = 0;
		ssize_t n = read_records(chan_fd, rbuf, &s->keep, &whole);

		if (n < 0 && n != -EAGAIN) {
			errno = (int)-n;
			die("read cpu0");
		}
		if (n <= 0) {
			struct pollfd pfd = { .fd = chan_fd, .events = POLLIN };

			poll(&pfd, 1, 10);
			continue;
		}
		while (off < whole) {
			const struct hwstats_sample *r = (const void *)(rbuf + off);
			uint32_t k = (r->hdr.len - sizeof(*r)) / 8;

			for (i = 0; r->hdr.type == HWSTATS_REC_SAMPLE && i < s->nr; i++) {
				if (r->hdr.source != s->id[i])
					continue;
				memcpy(s->got + s->off[i] + SS_SIZE +
				       (size_t)r->first * 8, r->value,
				       (size_t)k * 8);
				got += k;
			}
			off += r->hdr.len;
		}
		s->keep = s->keep + (size_t)n - whole;
		memmove(rbuf, rbuf + whole, s->keep);
	}
	return s->len;
}

/* Each source's name, size and values equal the ioctl's (not id, seq). */
static bool snap_same(const struct snap *s, size_t len)
{
	uint32_t i;

	if (len != s->len)
		return false;
	for (i = 0; i < s->nr; i++) {
		const struct hwstats_snapshot_source *a =
			(const void *)(s->buf + s->off[i]);
		const struct hwstats_snapshot_source *b =
			(const void *)(s->got + s->off[i]);

		if (a->nr_counters != b->nr_counters ||
		    strncmp(a->name, b->name, sizeof(a->name)) ||
		    memcmp(a + 1, b + 1, (size_t)a->nr_counters * 8))
			return false;
	}
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_snap(int argc, char **argv)
{
	const char *method = NULL;
	int reps = 20, c, r, run_fd = -1, chan_fd = -1, sess_fd = -1;
	struct snap s = { 0 };
	struct genl g = { 0 };
	uint64_t *t;
	char *rbuf = NULL;

	while ((c = getopt(argc, argv, "m:r:")) != -1) {
		if (c == 'm')
			method = optarg;
		else if (c == 'r')
			reps = atoi(optarg);
		else
			exit(1);
	}
	if (!method || reps < 1) {
		fprintf(stderr, "hwsb snap: -m METHOD [-r REPS]\n");
		exit(1);
	}
	pin(0);
	s.fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (s.fd < 0)
		die(DEV);
	s.len = snap_ioctl(&s, NULL, 0);
	s.cap = s.len + 4096;
	s.buf = malloc(s.cap);
	s.got = malloc(s.cap);
	t = calloc(reps, sizeof(*t));
	if (!s.buf || !s.got || !t)
		die("malloc");
	/* Touch the buffers first: no transport pays for page faults. */
	memset(s.buf, 0, s.cap);
	memset(s.got, 0, s.cap);
	s.len = snap_ioctl(&s, s.buf, s.cap);
	for (size_t off = 0; off < s.len && s.nr < 64; s.nr++) {
		const struct hwstats_snapshot_source *ss = (const void *)(s.buf + off);

		s.off[s.nr] = off;
		if (s.nr)
			strcat(s.names, ",");
		strncat(s.names, ss->name, HWSTATS_NAME_LEN);
		off += SS_SIZE + (size_t)ss->nr_counters * 8;
	}
	if (!strcmp(method, "genl")) {
		genl_open(&g);
	} else if (!strcmp(method, "relay")) {
		struct sess_opts o = { .sources = s.names };

		source_ids(s.fd, s.names, s.id, 64);
		sess_fd = start_session(&o);
		run_fd = open(BENCHDIR "/run", O_WRONLY | O_CLOEXEC);
		chan_fd = open(CHANDIR "/" HWSTATS_CHANNEL_BASE "0",
			       O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		rbuf = malloc(READ_SIZE);
		if (run_fd < 0 || chan_fd < 0 || !rbuf)
			die("relay setup");
		memset(rbuf, 0, READ_SIZE);
	} else if (strcmp(method, "ioctl") && strcmp(method, "seqfile")) {
		fprintf(stderr, "hwsb snap: unknown method %s\n", method);
		exit(1);
	}
	for (r = 0; r < reps; r++) {
		uint64_t t0 = now_ns();
		size_t len;

		if (!strcmp(method, "ioctl"))
			len = snap_ioctl(&s, s.got, s.cap);
		else if (!strcmp(method, "seqfile"))
			len = snap_seqfile(&s);
		else if (!strcmp(method, "genl"))
			len = snap_genl(&s, &g);
		else
			len = snap_relay(&s, run_fd, chan_fd, rbuf);
		t[r] = now_ns() - t0;
		/* The same values (the headers' id and seq differ by design). */
		if (!snap_same(&s, len)) {
			fprintf(stderr, "hwsb snap: %s returned other data (%zu bytes, expected %zu)\n",
				method, len, s.len);
			exit(3);
		}
	}
	qsort(t, reps, sizeof(*t), cmp_u64);
	printf("snap method=%s bytes=%zu sources=%u reps=%d median_ns=%llu min_ns=%llu\n",
	       method, s.len, s.nr, reps, (unsigned long long)t[reps / 2],
	       (unsigned long long)t[0]);
	if (sess_fd >= 0) {
		ioctl(sess_fd, HWSTATS_IOC_STOP);
		close(sess_fd);
	}
	return 0;
}

static int cmd_wait(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 30;
	uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
	int fd = open(DEV, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(DEV);
	while (now_ns() < end) {
		struct hwstats_info in = { .size = sizeof(in) };

		if (ioctl(fd, HWSTATS_IOC_GET_INFO, &in))
			die("GET_INFO");
		if (in.state == HWSTATS_STATE_RUNNING)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "hwsb: no session started within %.0f s\n", secs);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: hwsb session|drain|wait|snap ...\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "session"))
		return cmd_session(argc - 1, argv + 1);
	if (!strcmp(argv[1], "drain"))
		return cmd_drain(argc - 1, argv + 1);
	if (!strcmp(argv[1], "snap"))
		return cmd_snap(argc - 1, argv + 1);
	if (!strcmp(argv[1], "wait"))
		return cmd_wait(argc - 1, argv + 1);
	fprintf(stderr, "hwsb: unknown command %s\n", argv[1]);
	return 1;
}
