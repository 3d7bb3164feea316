// SPDX-License-Identifier: MIT
/*
 * hwsdev.c - the control device, the channels, and option parsing shared by
 * the recorder and hwstats-stat.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwsdev.h"

const char *hwsdev_prog = "hwstats";

void hwsdev_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", hwsdev_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int hwsdev_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int hwsdev_open(const char *path, struct hwstats_version *ver)
{
	struct hwstats_version v = { .size = sizeof(v) };
	int fd, ret;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = hwsdev_ioctl(fd, HWSTATS_IOC_GET_VERSION, &v);
	if (ret) {
		close(fd);
		return ret == -ENOTTY ? -EPROTONOSUPPORT : ret;
	}
	if (v.abi_major != HWSTATS_ABI_MAJOR) {
		close(fd);
		return -EPROTONOSUPPORT;
	}
	if (ver)
		*ver = v;
	return fd;
}

const char *hwsdev_open_hint(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return "is hwstats.ko loaded? (modprobe hwstats)";
	case -EACCES:
	case -EPERM:
		return "permission denied (run as root, or join the hwstats group for snapshots)";
	case -EPROTONOSUPPORT:
		return "the module speaks another ABI version than this tool";
	default:
		return strerror(-err);
	}
}

int hwsdev_info(int fd, struct hwstats_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return hwsdev_ioctl(fd, HWSTATS_IOC_GET_INFO, info);
}

void *hwsdev_map(int fd, uint32_t cpu, size_t size)
{
	void *p;

	if (!size || (uint64_t)cpu * size > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, (off_t)cpu * (off_t)size);
	return p == MAP_FAILED ? NULL : p;
}

int hwsdev_consume(int fd, uint32_t cpu, uint64_t session_id,
		   uint64_t consumed, uint64_t *produced)
{
	struct hwstats_consume a = {
		.size = sizeof(a),
		.cpu = cpu,
		.session_id = session_id,
		.consumed = consumed,
	};
	int ret = hwsdev_ioctl(fd, HWSTATS_IOC_CONSUME, &a);

	if (produced)
		*produced = a.produced;
	return ret;
}

int hwsdev_start(int fd, const struct hwstats_start *start)
{
	return hwsdev_ioctl(fd, HWSTATS_IOC_START, (void *)start);
}

int hwsdev_stop(int fd)
{
	return ioctl(fd, HWSTATS_IOC_STOP) < 0 ? -errno : 0;
}

int hwsdev_reset(int fd)
{
	return ioctl(fd, HWSTATS_IOC_RESET) < 0 ? -errno : 0;
}

int hwsdev_flush(int fd)
{
	return ioctl(fd, HWSTATS_IOC_FLUSH) < 0 ? -errno : 0;
}

int hwsdev_stats(int fd, struct hwstats_cpu_stats **stats, uint32_t *nr)
{
	struct hwstats_stats a = { .size = sizeof(a) };
	struct hwstats_cpu_stats *cs = NULL;
	uint32_t cap = 0;
	int ret;

	/* nr_cpu_ids does not change while we run, but loop to be sure. */
	for (;;) {
		a.nr_cpus = cap;
		a.cpus = (uintptr_t)cs;
		ret = hwsdev_ioctl(fd, HWSTATS_IOC_GET_STATS, &a);
		if (ret) {
			free(cs);
			return ret;
		}
		if (a.nr_cpus <= cap)
			break;
		cap = a.nr_cpus;
		free(cs);
		cs = calloc(cap, sizeof(*cs));
		if (!cs)
			return -ENOMEM;
	}
	*stats = cs;
	*nr = a.nr_cpus;
	return 0;
}

void hwsdev_sources_free(struct hws_source *sources, uint32_t nr)
{
	uint32_t i;

	if (!sources)
		return;
	for (i = 0; i < nr; i++)
		free(sources[i].counters);
	free(sources);
}

int hwsdev_schema(int fd, uint32_t id, struct hws_source *src)
{
	struct hwstats_schema a = { .size = sizeof(a), .source_id = id };
	struct hwstats_counter_desc *d = NULL;
	uint32_t i;
	int ret;

	/* Ask for the count, then the counters; the schema never changes. */
	ret = hwsdev_ioctl(fd, HWSTATS_IOC_GET_SCHEMA, &a);
	if (ret)
		return ret;
	d = calloc(a.count ? a.count : 1, sizeof(*d));
	src->counters = calloc(a.count ? a.count : 1, sizeof(*src->counters));
	if (!d || !src->counters) {
		free(d);
		return -ENOMEM;
	}
	a.counters = (uintptr_t)d;
	ret = hwsdev_ioctl(fd, HWSTATS_IOC_GET_SCHEMA, &a);
	if (ret) {
		free(d);
		return ret;
	}
	src->id = id;
	src->nr_counters = a.count;
	memcpy(src->name, a.name, sizeof(src->name));
	src->name[sizeof(src->name) - 1] = '\0';
	for (i = 0; i < a.count; i++) {
		memcpy(src->counters[i].name, d[i].name, HWSTATS_NAME_LEN);
		src->counters[i].name[HWSTATS_NAME_LEN - 1] = '\0';
		memcpy(src->counters[i].unit, d[i].unit, HWSTATS_UNIT_LEN);
		src->counters[i].unit[HWSTATS_UNIT_LEN - 1] = '\0';
		src->counters[i].kind = d[i].kind;
	}
	free(d);
	return 0;
}

int hwsdev_sources(int fd, struct hws_source **sources, uint32_t *nr)
{
	struct hwstats_list_sources a = { .size = sizeof(a) };
	struct hwstats_source_info *si = NULL;
	struct hws_source *out;
	uint32_t i, n;
	int ret;

	for (;;) {
		uint32_t cap = a.count;

		a.sources = (uintptr_t)si;
		ret = hwsdev_ioctl(fd, HWSTATS_IOC_LIST_SOURCES, &a);
		if (ret) {
			free(si);
			return ret;
		}
		if (a.count <= cap)
			break;
		free(si);
		si = calloc(a.count, sizeof(*si));
		if (!si)
			return -ENOMEM;
	}
	out = calloc(a.count ? a.count : 1, sizeof(*out));
	if (!out) {
		free(si);
		return -ENOMEM;
	}
	for (i = 0, n = 0; i < a.count; i++) {
		ret = hwsdev_schema(fd, si[i].id, &out[n]);
		if (ret == -ENOENT) {
			/* Unregistered since the list was taken. */
			free(out[n].counters);
			memset(&out[n], 0, sizeof(out[n]));
			continue;
		}
		if (ret) {
			hwsdev_sources_free(out, n + 1);
			free(si);
			return ret;
		}
		n++;
	}
	free(si);
	*sources = out;
	*nr = n;
	return 0;
}

int hwsdev_snapshot(int fd, void **buf, size_t *len, uint32_t *nr,
		    uint64_t *ts)
{
	struct hwstats_snapshot a;
	size_t cap = 64 * 1024;
	void *b = NULL;
	int ret;

	for (;;) {
		void *nb = realloc(b, cap);

		if (!nb) {
			free(b);
			return -ENOMEM;
		}
		b = nb;
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.buf = (uintptr_t)b;
		a.buf_size = cap;
		ret = hwsdev_ioctl(fd, HWSTATS_IOC_SNAPSHOT, &a);
		if (ret != -ENOSPC)
			break;
		/* Sources may register in between: ask with some room. */
		cap = a.size_needed + a.size_needed / 8 + 4096;
	}
	if (ret) {
		free(b);
		return ret;
	}
	*buf = b;
	*len = a.size_needed;
	*nr = a.nr_sources;
	*ts = a.ts;
	return 0;
}

int hwsdev_channel_dir(char *dir, size_t len)
{
	struct mntent *m;
	FILE *f;
	int found = 0;

	f = setmntent("/proc/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "debugfs")) {
			snprintf(dir, len, "%s/%s", m->mnt_dir,
				 HWSTATS_DEBUGFS_DIR);
			found = 1;
			break;
		}
	}
	endmntent(f);
	if (!found)
		return -ENOENT;
	if (access(dir, F_OK) < 0)
		return errno == ENOENT ? -ENOTDIR : -errno;
	return 0;
}

int hwsdev_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10; end++;
		break;
	case 'm': case 'M':
		shift = 20; end++;
		break;
	case 'g': case 'G':
		shift = 30; end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int hwsdev_parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000ULL }, { "", 1000000000ULL },
		{ "m", 60000000000ULL }, { "h", 3600000000000ULL },
		{ "d", 86400000000000ULL },
	};
	double v;
	char *end;
	size_t i;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0))	/* NaN too */
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].suffix)) {
			double r = v * (double)units[i].mult;

			if (r >= 1.8e19)
				return -ERANGE;
			*ns = (uint64_t)r;
			return 0;
		}
	}
	return -EINVAL;
}
