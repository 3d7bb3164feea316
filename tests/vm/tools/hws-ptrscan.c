// SPDX-License-Identifier: MIT
/*
 * hws-ptrscan - look for kernel addresses where user space can see them.
 *
 * Usage: hws-ptrscan [--ioctls] [FILE]...
 *
 * A kernel pointer that reaches user space defeats KASLR; hwstats must
 * never hand one out. What is scanned:
 *  - FILE.hws: every record of every chunk (decoded by libhws), every
 *    byte of the file's skippable frames (header, index, footer), and the
 *    header and footer as libhws reads them;
 *  - any other FILE as text (the output of hwstats-stat or hwstats-report):
 *    every number in it, decimal, 0x-prefixed or a bare 16-digit hex word;
 *  - with --ioctls, the answers of every ioctl a user can make on
 *    /dev/hwstats (GET_VERSION, GET_INFO, LIST_SOURCES, GET_SCHEMA of every
 *    source, GET_STATS, SNAPSHOT), whole, padding and reserved fields
 *    included: the buffers are filled with a pattern first, so what the
 *    kernel wrote is what is scanned.
 * A value looks like a kernel address when it lies in the x86-64 kernel
 * half, 0xffff800000000000 to 0xffffffffff5fffff (the top pages are small
 * negative numbers, not addresses). Binary data is scanned in 8-byte words
 * at 8-byte offsets, as every 64-bit field of the records and the ABI
 * structs lies (a word straddling two fields would be a timestamp's low
 * half, random enough to look like anything). Prints each finding with
 * where it was; exit 0 when there is none, 1 when there is one, 2 when
 * something could not be read.
 */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "hws.h"

#define KLO 0xffff800000000000ULL
#define KHI 0xffffffffff600000ULL
#define PATTERN 0x5a

static uint64_t findings, scanned;

static int kernelish(uint64_t v)
{
	return v >= KLO && v < KHI;
}

static void scan_bin(const char *what, const void *buf, size_t len,
		     uint64_t base)
{
	const uint8_t *p = buf;
	size_t off;

	for (off = 0; off + 8 <= len; off += 8) {
		uint64_t v;

		memcpy(&v, p + off, 8);
		scanned++;
		if (kernelish(v)) {
			findings++;
			if (findings <= 20)
				printf("%s: offset %" PRIu64 ": 0x%016" PRIx64 " looks like a kernel address\n",
				       what, base + off, v);
		}
	}
}

static int scan_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char tok[64];
	size_t n = 0;
	long line = 1;
	int ch;

	if (!f) {
		fprintf(stderr, "hws-ptrscan: %s: %s\n", path, strerror(errno));
		return 2;
	}
	do {
		ch = fgetc(f);
		if (ch != EOF && (isxdigit(ch) || ch == 'x' || ch == 'X')) {
			if (n < sizeof(tok) - 1)
				tok[n++] = (char)ch;
			continue;
		}
		if (n) {
			unsigned long long v = 0;
			int ok = 0;
			size_t i, digits = 0;

			tok[n] = '\0';
			for (i = 0; i < n; i++)
				digits += isdigit((unsigned char)tok[i]) != 0;
			errno = 0;
			if (n > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
				v = strtoull(tok + 2, NULL, 16);
				ok = !errno;
			} else if (digits == n) {
				v = strtoull(tok, NULL, 10);
				ok = !errno;
			} else if (n == 16 && !strchr(tok, 'x') && !strchr(tok, 'X')) {
				v = strtoull(tok, NULL, 16);
				ok = !errno;
			}
			scanned += ok;
			if (ok && kernelish(v)) {
				findings++;
				if (findings <= 20)
					printf("%s:%ld: %s looks like a kernel address\n",
					       path, line, tok);
			}
			n = 0;
		}
		line += ch == '\n';
	} while (ch != EOF);
	fclose(f);
	return 0;
}

/* The file's frames: skippable ones scanned byte for byte. */
static int scan_frames(const char *path)
{
	char what[600];
	uint8_t *buf;
	size_t off = 0, len;
	struct stat sb;
	uint32_t magic;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "hws-ptrscan: %s: %s\n", path, strerror(errno));
		return 2;
	}
	len = (size_t)sb.st_size;
	buf = malloc(len ? len : 1);
	if (!buf || read(fd, buf, len) != (ssize_t)len) {
		fprintf(stderr, "hws-ptrscan: %s: cannot read\n", path);
		close(fd);
		free(buf);
		return 2;
	}
	close(fd);
	while (off < len) {
		size_t fl = ZSTD_findFrameCompressedSize(buf + off, len - off);

		if (ZSTD_isError(fl))
			break;	/* a cut-off last frame: the reader covers it */
		memcpy(&magic, buf + off, sizeof(magic));
		/* zstd's skippable frames: magic 0x184D2A50 to 0x184D2A5F */
		if ((le32toh(magic) & 0xfffffff0u) == 0x184d2a50u) {
			snprintf(what, sizeof(what), "%s (skippable frame)", path);
			scan_bin(what, buf + off, fl, off);
		}
		off += fl;
	}
	free(buf);
	return 0;
}

static int scan_hws(const char *path)
{
	const struct hws_cpu_totals *tot;
	const struct hws_header *h;
	struct hws_chunk_info ci;
	struct hws_reader *r;
	const void *recs;
	char what[600];
	size_t len;
	uint32_t i, n;
	int ret;

	ret = scan_frames(path);
	if (ret)
		return ret;
	r = hws_reader_open(path);
	if (!r) {
		fprintf(stderr, "hws-ptrscan: %s: %s\n", path, strerror(errno));
		return 2;
	}
	h = hws_reader_header(r);
	snprintf(what, sizeof(what), "%s (header)", path);
	scan_bin(what, h, offsetof(struct hws_header, sources), 0);
	for (i = 0; i < h->nr_sources; i++) {
		scan_bin(what, h->sources[i].name, sizeof(h->sources[i].name), 0);
		scan_bin(what, h->sources[i].counters,
			 (size_t)h->sources[i].nr_counters *
			 sizeof(*h->sources[i].counters), 0);
	}
	snprintf(what, sizeof(what), "%s (records)", path);
	while ((ret = hws_reader_next_chunk(r, &ci, &recs, &len)) == 1)
		scan_bin(what, recs, len, 0);
	if (ret < 0) {
		fprintf(stderr, "hws-ptrscan: %s: %s\n", path, strerror(-ret));
		hws_reader_close(r);
		return 2;
	}
	n = hws_reader_totals(r, &tot);
	snprintf(what, sizeof(what), "%s (footer totals)", path);
	scan_bin(what, tot, (size_t)n * sizeof(*tot), 0);
	hws_reader_close(r);
	return 0;
}

/* ioctl with @arg of @len bytes, pattern-filled beyond the input fields. */
static int scan_ioctls(void)
{
	struct hwstats_source_info si[256];
	struct hwstats_list_sources ls;
	struct hwstats_counter_desc *cd;
	struct hwstats_cpu_stats cs[256];
	struct hwstats_snapshot sn;
	struct hwstats_version v;
	struct hwstats_schema sc;
	struct hwstats_stats ss;
	struct hwstats_info in;
	void *snap;
	uint32_t i;
	int fd = open("/dev/" HWSTATS_DEVICE_NAME, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "hws-ptrscan: /dev/hwstats: %s\n", strerror(errno));
		return 2;
	}
#define FILL(x) do { memset(&(x), 0, sizeof(x)); (x).size = sizeof(x); } while (0)
	FILL(v);
	if (!ioctl(fd, HWSTATS_IOC_GET_VERSION, &v))
		scan_bin("GET_VERSION", &v, sizeof(v), 0);
	FILL(in);
	if (!ioctl(fd, HWSTATS_IOC_GET_INFO, &in))
		scan_bin("GET_INFO", &in, sizeof(in), 0);
	memset(si, PATTERN, sizeof(si));
	FILL(ls);
	ls.count = 256;
	ls.sources = (uintptr_t)si;
	if (ioctl(fd, HWSTATS_IOC_LIST_SOURCES, &ls)) {
		fprintf(stderr, "hws-ptrscan: LIST_SOURCES: %s\n", strerror(errno));
		close(fd);
		return 2;
	}
	scan_bin("LIST_SOURCES", &ls, sizeof(ls), 0);
	scan_bin("LIST_SOURCES entries", si,
		 (ls.count < 256 ? ls.count : 256) * sizeof(si[0]), 0);
	for (i = 0; i < ls.count && i < 256; i++) {
		FILL(sc);
		sc.source_id = si[i].id;
		if (ioctl(fd, HWSTATS_IOC_GET_SCHEMA, &sc))
			continue;
		cd = malloc((sc.count ? sc.count : 1) * sizeof(*cd));
		memset(cd, PATTERN, (sc.count ? sc.count : 1) * sizeof(*cd));
		sc.counters = (uintptr_t)cd;
		if (!ioctl(fd, HWSTATS_IOC_GET_SCHEMA, &sc)) {
			scan_bin("GET_SCHEMA", &sc, sizeof(sc), 0);
			scan_bin("GET_SCHEMA counters", cd, sc.count * sizeof(*cd), 0);
		}
		free(cd);
	}
	memset(cs, PATTERN, sizeof(cs));
	FILL(ss);
	ss.nr_cpus = 256;
	ss.cpus = (uintptr_t)cs;
	if (!ioctl(fd, HWSTATS_IOC_GET_STATS, &ss)) {
		scan_bin("GET_STATS", &ss, sizeof(ss), 0);
		scan_bin("GET_STATS cpus", cs,
			 (ss.nr_cpus < 256 ? ss.nr_cpus : 256) * sizeof(cs[0]), 0);
	}
	FILL(sn);
	ioctl(fd, HWSTATS_IOC_SNAPSHOT, &sn);
	snap = malloc(sn.size_needed + 4096);
	memset(snap, PATTERN, sn.size_needed + 4096);
	sn.buf_size = sn.size_needed + 4096;
	sn.buf = (uintptr_t)snap;
	sn.size_needed = 0;
	sn.nr_sources = 0;
	sn.ts = 0;
	if (ioctl(fd, HWSTATS_IOC_SNAPSHOT, &sn)) {
		fprintf(stderr, "hws-ptrscan: SNAPSHOT: %s\n", strerror(errno));
		close(fd);
		return 2;
	}
	scan_bin("SNAPSHOT", &sn, sizeof(sn), 0);
	scan_bin("SNAPSHOT buffer", snap, sn.size_needed, 0);
	printf("hws-ptrscan: ioctls: %u sources, snapshot of %" PRIu64 " bytes scanned\n",
	       ls.count, (uint64_t)sn.size_needed);
	free(snap);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int i, ret, err = 0;

	for (i = 1; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (!strcmp(argv[i], "--ioctls"))
			ret = scan_ioctls();
		else if (l > 4 && !strcmp(argv[i] + l - 4, ".hws"))
			ret = scan_hws(argv[i]);
		else
			ret = scan_text(argv[i]);
		if (ret)
			err = ret;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: hws-ptrscan [--ioctls] [FILE]...\n");
		return 2;
	}
	printf("hws-ptrscan: %" PRIu64 " values scanned, %" PRIu64 " look like kernel addresses\n",
	       scanned, findings);
	if (err)
		return 2;
	return findings ? 1 : 0;
}
