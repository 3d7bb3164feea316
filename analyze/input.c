// SPDX-License-Identifier: MIT
/*
 * input.c - .hws files in: paths and directories to readers, readers
 * through libhws' time merge into the engine.
 *
 * Everything that can make the input unusable is found before a single
 * record is analysed (a missing file, a file that is not .hws, a newer
 * format), so an error costs nothing and always names the file.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <unistd.h>

#include "engine.h"

static int hwr_input_add(struct hwr_input *in, const char *path)
{
	char **p = realloc(in->paths, (in->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	in->paths = p;
	in->paths[in->n] = strdup(path);
	if (!in->paths[in->n])
		return -ENOMEM;
	in->n++;
	return 0;
}

static int hwr_is_hws(const struct dirent *d)
{
	return !fnmatch("*.hws", d->d_name, 0);
}

/* A directory holds a rotated set: its *.hws files, in name order. */
static int hwr_input_dir(struct hwr_input *in, const char *dir, FILE *err)
{
	struct dirent **ents = NULL;
	int n, i, ret = 0;

	n = scandir(dir, &ents, hwr_is_hws, alphasort);
	if (n < 0) {
		ret = -errno;
		fprintf(err, "hwstats-report: %s: %s\n", dir, strerror(-ret));
		return ret;
	}
	if (!n) {
		fprintf(err, "hwstats-report: %s: no .hws files in this "
			"directory\n", dir);
		free(ents);
		return -ENOENT;
	}
	for (i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(ents[i]->d_name) + 2;
		char *p = malloc(len);
		struct stat st;

		if (!p) {
			ret = -ENOMEM;
		} else {
			snprintf(p, len, "%s%s%s", dir,
				 dir[strlen(dir) - 1] == '/' ? "" : "/",
				 ents[i]->d_name);
			/* Skip a subdirectory that happens to end in .hws. */
			if (!ret && (stat(p, &st) || !S_ISDIR(st.st_mode)))
				ret = hwr_input_add(in, p);
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	if (ret)
		fprintf(err, "hwstats-report: %s: %s\n", dir, strerror(-ret));
	return ret;
}

static const char *hwr_file_type(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a plain file";
}

static void hwr_open_error(FILE *err, const char *path, int e)
{
	uint32_t major, minor;

	switch (e) {
	case EPROTONOSUPPORT:
		if (!hws_file_version(path, &major, &minor))
			fprintf(err, "hwstats-report: %s: written in .hws "
				"format %u.%u, newer than the %u.x this "
				"hwstats-report reads; upgrade hwstats-report\n",
				path, major, minor, HWS_FORMAT_MAJOR);
		else
			fprintf(err, "hwstats-report: %s: written in a newer "
				".hws format than the %u.x this hwstats-report "
				"reads; upgrade hwstats-report\n", path,
				HWS_FORMAT_MAJOR);
		break;
	case EBADMSG:
		fprintf(err, "hwstats-report: %s: not an hwstats trace (.hws) "
			"file, or its header is unreadable\n", path);
		break;
	case EINVAL:
		/* the file was replaced after the stat above */
		fprintf(err, "hwstats-report: %s: not a regular file\n",
			path);
		break;
	default:
		fprintf(err, "hwstats-report: %s: %s\n", path, strerror(e));
	}
}

int hwr_input_open(struct hwr_input *in, char *const *paths, int n,
		   FILE *err)
{
	uint32_t i;
	int ret = 0, k;

	memset(in, 0, sizeof(*in));
	for (k = 0; k < n && !ret; k++) {
		struct stat st;

		if (stat(paths[k], &st)) {
			ret = -errno;
			fprintf(err, "hwstats-report: %s: %s\n", paths[k],
				strerror(-ret));
		} else if (S_ISDIR(st.st_mode)) {
			ret = hwr_input_dir(in, paths[k], err);
		} else if (!S_ISREG(st.st_mode)) {
			ret = -EINVAL;
			fprintf(err, "hwstats-report: %s: not a regular file "
				"(%s); give a .hws file or a directory of "
				"them\n", paths[k], hwr_file_type(st.st_mode));
		} else {
			ret = hwr_input_add(in, paths[k]);
			if (ret)
				fprintf(err, "hwstats-report: %s: %s\n",
					paths[k], strerror(-ret));
		}
	}
	if (ret)
		return ret;
	in->readers = calloc(in->n ? in->n : 1, sizeof(*in->readers));
	if (!in->readers)
		return -ENOMEM;
	for (i = 0; i < in->n; i++) {
		in->readers[i] = hws_reader_open(in->paths[i]);
		if (!in->readers[i]) {
			ret = errno ? -errno : -EIO;
			hwr_open_error(err, in->paths[i], -ret);
			return ret;
		}
	}
	return 0;
}

void hwr_input_close(struct hwr_input *in)
{
	uint32_t i;

	for (i = 0; i < in->n; i++) {
		if (in->readers)
			hws_reader_close(in->readers[i]);
		free(in->paths[i]);
	}
	free(in->readers);
	free(in->paths);
	memset(in, 0, sizeof(*in));
}

/*
 * Threads that decode and analyse: HWSTATS_THREADS if set (1: the calling
 * thread only), else one per online CPU. The report is the same either way.
 */
static int hwr_input_threads(uint32_t *threads, FILE *err)
{
	const char *s = getenv("HWSTATS_THREADS");
	unsigned long v;
	char *end;

	*threads = 0;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v || v > 16 || *s == '-') {
		fprintf(err, "hwstats-report: HWSTATS_THREADS=%s: not a number "
			"of threads from 1 to 16\n", s);
		return -EINVAL;
	}
	*threads = (uint32_t)v;
	return 0;
}

/*
 * How many parts to split the run into by CPU (split.c), or 0 for the one
 * merge: for the sinks that take every record in time order (--dump,
 * OpenMetrics: c->want_records) or each loss event as it comes (Perfetto).
 */
static uint32_t hwr_input_parts(const struct hwr_input *in,
				const struct hwr_ctx *c, uint32_t threads)
{
	uint32_t i, cpus = 0;
	long online;

	if (!threads) {
		online = sysconf(_SC_NPROCESSORS_ONLN);
		threads = online > 0 ? (uint32_t)online : 1;
		if (threads > 16)
			threads = 16;
	}
	if (threads < 2 || c->want_records)
		return 0;
	for (i = 0; i < c->nr_sinks; i++)
		if (c->sinks[i]->ops->event)
			return 0;
	for (i = 0; i < in->n; i++) {
		/*
		 * Damage found on opening (no footer: a file still being
		 * written, or cut) would make the split give up: spare it.
		 */
		if (hws_reader_damage(in->readers[i], NULL))
			return 0;
		if (hws_reader_header(in->readers[i])->nr_cpus > cpus)
			cpus = hws_reader_header(in->readers[i])->nr_cpus;
	}
	if (cpus < 2)
		return 0;
	return cpus < threads ? cpus : threads;
}

int hwr_input_run(struct hwr_input *in, struct hwr_ctx *c, FILE *err)
{
	struct hws_merge_opts mo = { .sz = sizeof(mo) };
	const struct hwstats_rec *rec;
	struct hws_merge *m;
	uint32_t cpu, i;
	size_t r;
	int ret;

	ret = hwr_input_threads(&mo.threads, err);
	if (ret)
		return ret;

	i = hwr_input_parts(in, c, mo.threads);
	if (i) {
		ret = hwr_split_run(in, c, i);
		if (ret < 0)
			goto fail;
		if (!ret)
			goto end;
	}

	/* Skip what lies before --from without decompressing it. The seek
	 * is only an optimisation: a reader that cannot seek reads all. */
	if (c->cfg.from.kind && c->from_ts > c->t0)
		for (i = 0; i < in->n; i++)
			(void)hws_reader_seek_time(in->readers[i], c->from_ts);
	m = hws_merge_new_opts(in->readers, in->n, &mo);
	if (!m) {
		ret = -errno;
		fprintf(err, "hwstats-report: %s: %s\n", c->name,
			strerror(-ret));
		return ret ? ret : -EIO;
	}
	for (;;) {
		ret = hws_merge_next(m, &rec, &cpu, &r);
		if (ret <= 0)
			break;
		ret = hwr_feed(c, rec, cpu, (uint32_t)r);
		if (ret)
			break;
	}
	hws_merge_free(m);
fail:
	if (ret < 0) {
		if (c->sink_err)
			fprintf(err, "hwstats-report: %s: %s\n",
				c->err_sink && c->err_sink->path ?
				c->err_sink->path : "output", strerror(-ret));
		else
			fprintf(err, "hwstats-report: %s: %s\n", c->name,
				strerror(-ret));
		return ret;
	}
end:
	for (i = 0; i < in->n; i++) {
		const struct hws_cpu_totals *tot = NULL;
		const struct hws_damage *dmg = NULL;
		uint32_t nt, nd;

		nt = hws_reader_totals(in->readers[i], &tot);
		nd = hws_reader_damage(in->readers[i], &dmg);
		hwr_set_file_end(c, i, tot, nt, dmg, nd);
	}
	return 0;
}
