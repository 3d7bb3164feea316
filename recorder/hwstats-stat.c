// SPDX-License-Identifier: MIT
/*
 * hwstats-stat - every counter of every source, now, in one ioctl.
 *
 * However many statistics there are, one HWSTATS_IOC_SNAPSHOT returns them
 * all, consistent per source (the buffer is grown until they fit), so the
 * output never mixes two moments the way page-by-page procfs reads did.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hws_duration.h"
#include "hwsdev.h"
#include "hwsprom.h"

struct stat_opts {
	const char *device;
	const char *source;
	const char *prom;
	uint64_t watch_ns;
	uint64_t count;
	bool json;
	bool quiet;
};

static volatile sig_atomic_t stat_stop;

static void stat_on_signal(int sig)
{
	(void)sig;
	stat_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: hwstats-stat [OPTION]...\n"
"Print every hwstats counter, fetched in one call.\n"
"\n"
"  -j, --json            JSON instead of a table\n"
"  -s, --source NAME     only this source\n"
"  -w, --watch TIME      every TIME (e.g. 1, 500ms), print per-second rates\n"
"                        of counters and current gauge values\n"
"  -c, --count N         with --watch, stop after N intervals\n"
"  -P, --prometheus FILE also write the snapshot in the Prometheus text\n"
"                        format to FILE, replaced atomically (for\n"
"                        node_exporter's textfile collector; '-': stdout)\n"
"  -q, --quiet           no table or JSON on stdout (with --prometheus)\n"
"  -D, --device PATH     control device (default " HWSDEV_DEFAULT_DEVICE ")\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"\n"
"Exit status: 0 ok; 1 bad usage; 2 the device cannot be used;\n"
"3 the --prometheus file cannot be written.\n");
}

static const struct hws_source *stat_schema(const struct hws_source *src,
					    uint32_t nr, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < nr; i++)
		if (src[i].id == id)
			return &src[i];
	return NULL;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/*
 * Print one snapshot. With @prev (the previous snapshot of the same layout)
 * and @dt seconds, counters print as rates per second.
 */
static void stat_print(const struct stat_opts *o, const struct hws_source *sch,
		       uint32_t nr_sch, const void *buf, size_t len,
		       uint32_t nr, uint64_t ts, const void *prev, double dt)
{
	size_t off = 0;
	uint32_t i, k;
	bool first_src = true;

	if (o->json)
		printf("{\"ts_ns\":%" PRIu64 ",%s\"sources\":[", ts,
		       prev ? "\"rates\":true," : "");
	else
		printf("%-16s %-24s %-10s %-8s %20s\n", "source", "counter",
		       "unit", "kind", prev ? "value or rate/s" : "value");
	for (i = 0; i < nr && off + sizeof(struct hwstats_snapshot_source) <= len; i++) {
		const struct hwstats_snapshot_source *ss =
			(const void *)((const char *)buf + off);
		const uint64_t *v = (const uint64_t *)(ss + 1);
		const uint64_t *pv = prev ? (const uint64_t *)
			((const char *)prev + off + sizeof(*ss)) : NULL;
		const struct hws_source *s = stat_schema(sch, nr_sch, ss->id);
		char name[HWSTATS_NAME_LEN + 1];

		off += sizeof(*ss) + (size_t)ss->nr_counters * 8;
		memcpy(name, ss->name, HWSTATS_NAME_LEN);
		name[HWSTATS_NAME_LEN] = '\0';
		if (o->source && strcmp(o->source, name))
			continue;
		if (o->json) {
			printf("%s{\"id\":%u,\"name\":", first_src ? "" : ",",
			       ss->id);
			json_str(name);
			printf(",\"seq\":%" PRIu64 ",\"counters\":[",
			       (uint64_t)ss->seq);
		}
		first_src = false;
		for (k = 0; k < ss->nr_counters; k++) {
			const struct hws_counter *c =
				s && k < s->nr_counters ? &s->counters[k] : NULL;
			bool gauge = c && c->kind == HWSTATS_KIND_GAUGE;
			char cname[24];

			if (!c)
				snprintf(cname, sizeof(cname), "#%u", k);
			if (o->json) {
				printf("%s{\"name\":", k ? "," : "");
				json_str(c ? c->name : cname);
				printf(",\"unit\":");
				json_str(c ? c->unit : "");
				printf(",\"kind\":\"%s\"", gauge ? "gauge" : "counter");
				if (pv && !gauge)
					printf(",\"rate\":%.3f",
					       dt > 0 ? (double)(v[k] - pv[k]) / dt : 0.0);
				else
					printf(",\"value\":%" PRIu64, v[k]);
				putchar('}');
				continue;
			}
			if (pv && !gauge)
				printf("%-16s %-24s %-10s %-8s %20.1f\n", name,
				       c ? c->name : cname, c ? c->unit : "",
				       "counter",
				       dt > 0 ? (double)(v[k] - pv[k]) / dt : 0.0);
			else
				printf("%-16s %-24s %-10s %-8s %20" PRIu64 "\n",
				       name, c ? c->name : cname, c ? c->unit : "",
				       gauge ? "gauge" : "counter", v[k]);
		}
		if (o->json)
			printf("]}");
	}
	if (o->json)
		printf("]}\n");
	fflush(stdout);
}

/*
 * The snapshot in the Prometheus text format, to o->prom. Raw values, also
 * under --watch: Prometheus computes rates itself.
 */
static int stat_prom(const struct stat_opts *o, const struct hws_source *sch,
		     uint32_t nr_sch, const void *buf, size_t len, uint32_t nr)
{
	struct hwsprom_source *ps = calloc(nr ? nr : 1, sizeof(*ps));
	char (*names)[HWSTATS_NAME_LEN + 1] = calloc(nr ? nr : 1, sizeof(*names));
	uint32_t i, n = 0;
	size_t off = 0;
	int ret;

	if (!ps || !names) {
		free(ps);
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < nr && len - off >= sizeof(struct hwstats_snapshot_source); i++) {
		const struct hwstats_snapshot_source *ss =
			(const void *)((const char *)buf + off);

		if ((len - off - sizeof(*ss)) / 8 < ss->nr_counters)
			break;
		off += sizeof(*ss) + (size_t)ss->nr_counters * 8;
		memcpy(names[n], ss->name, HWSTATS_NAME_LEN);
		names[n][HWSTATS_NAME_LEN] = '\0';
		if (o->source && strcmp(o->source, names[n]))
			continue;
		ps[n].name = names[n];
		ps[n].schema = stat_schema(sch, nr_sch, ss->id);
		ps[n].values = (const uint64_t *)(ss + 1);
		ps[n].nr_values = ss->nr_counters;
		ps[n].seq = ss->seq;
		n++;
	}
	if (!strcmp(o->prom, "-"))
		ret = hwsprom_write(stdout, ps, n);
	else
		ret = hwsprom_write_file(o->prom, ps, n);
	free(ps);
	free(names);
	return ret;
}

static int stat_parse(int argc, char **argv, struct stat_opts *o)
{
	static const struct option longopts[] = {
		{ .name = "json", .has_arg = no_argument, .val = 'j' },
		{ .name = "source", .has_arg = required_argument, .val = 's' },
		{ .name = "watch", .has_arg = required_argument, .val = 'w' },
		{ .name = "count", .has_arg = required_argument, .val = 'c' },
		{ .name = "prometheus", .has_arg = required_argument, .val = 'P' },
		{ .name = "quiet", .has_arg = no_argument, .val = 'q' },
		{ .name = "device", .has_arg = required_argument, .val = 'D' },
		{ .name = "help", .has_arg = no_argument, .val = 'h' },
		{ .name = "version", .has_arg = no_argument, .val = 'V' },
		{ 0 }
	};
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "js:w:c:P:qD:hV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'j':
			o->json = true;
			break;
		case 's':
			o->source = optarg;
			break;
		case 'w':
			if (hws_parse_duration(optarg, &o->watch_ns) ||
			    o->watch_ns < 10000000) {
				hwsdev_err("--watch: '%s' is not a time of at least 10ms", optarg);
				return -1;
			}
			break;
		case 'c':
			errno = 0;
			o->count = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || !o->count) {
				hwsdev_err("--count: '%s' is not a positive number", optarg);
				return -1;
			}
			break;
		case 'P':
			if (!*optarg) {
				hwsdev_err("--prometheus: empty file name");
				return -1;
			}
			o->prom = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'D':
			o->device = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("hwstats-stat %s (ABI %d.%d)\n", HWSTATS_VERSION,
			       HWSTATS_ABI_MAJOR, HWSTATS_ABI_MINOR);
			exit(0);
		default:
			fprintf(stderr, "Try 'hwstats-stat --help'.\n");
			return -1;
		}
	}
	if (optind < argc) {
		hwsdev_err("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->quiet && !o->prom) {
		hwsdev_err("--quiet needs --prometheus (it would print nothing)");
		return -1;
	}
	if (o->count && !o->watch_ns) {
		hwsdev_err("--count needs --watch");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct stat_opts o = { .device = HWSDEV_DEFAULT_DEVICE };
	struct hws_source *sch = NULL;
	struct sigaction sa = { .sa_handler = stat_on_signal };
	void *buf = NULL, *prev = NULL;
	size_t len = 0, prev_len = 0;
	uint32_t nr_sch = 0, nr = 0;
	uint64_t ts = 0, prev_ts = 0, n = 0;
	int fd, ret;

	hwsdev_prog = "hwstats-stat";
	if (stat_parse(argc, argv, &o))
		return 1;
	fd = hwsdev_open(o.device, NULL);
	if (fd < 0) {
		hwsdev_err("%s: %s", o.device, hwsdev_open_hint(fd));
		return 2;
	}
	ret = hwsdev_sources(fd, &sch, &nr_sch);
	if (ret) {
		hwsdev_err("%s: listing sources: %s", o.device, strerror(-ret));
		return 2;
	}
	if (o.source) {
		uint32_t i = 0;

		while (i < nr_sch && strcmp(sch[i].name, o.source))
			i++;
		if (i == nr_sch) {
			hwsdev_err("--source: no source named '%s' is registered", o.source);
			return 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		ret = hwsdev_snapshot(fd, &buf, &len, &nr, &ts);
		if (ret) {
			hwsdev_err("%s: snapshot: %s", o.device, strerror(-ret));
			return 2;
		}
		if (o.prom) {
			ret = stat_prom(&o, sch, nr_sch, buf, len, nr);
			if (ret) {
				hwsdev_err("%s: %s", o.prom, strerror(-ret));
				return 3;
			}
		}
		if (!o.watch_ns) {
			if (!o.quiet)
				stat_print(&o, sch, nr_sch, buf, len, nr, ts, NULL, 0);
			break;
		}
		/* Rates need the same layout twice: sources may come and go. */
		if (o.quiet)
			;
		else if (prev && prev_len == len)
			stat_print(&o, sch, nr_sch, buf, len, nr, ts, prev,
				   (ts - prev_ts) / 1e9);
		else if (!prev)
			stat_print(&o, sch, nr_sch, buf, len, nr, ts, NULL, 0);
		free(prev);
		prev = buf;
		prev_len = len;
		prev_ts = ts;
		buf = NULL;
		if ((o.count && ++n >= o.count) || stat_stop)
			break;
		if (!o.json && !o.quiet)
			putchar('\n');
		{
			struct timespec req = {
				.tv_sec = o.watch_ns / 1000000000ULL,
				.tv_nsec = o.watch_ns % 1000000000ULL,
			};

			nanosleep(&req, NULL);
		}
		if (stat_stop)
			break;
	}
	free(buf);
	free(prev);
	hwsdev_sources_free(sch, nr_sch);
	close(fd);
	return 0;
}
