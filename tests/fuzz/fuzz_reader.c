// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the .hws reader on any bytes.
 *
 * The input becomes a file in memory (memfd) that the reader opens by
 * descriptor; then everything a tool would do: read every chunk, seek, merge
 * (two readers of the same file, as for a rotated set), totals, damage and
 * stats. The reader must never crash, hang, leak or read out of bounds,
 * and the merge must give back exactly the records the chunk walk found.
 * Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, libhws accepts every
 * CRC, so that mutations reach what lies behind the checksums.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hws.h"

static uint64_t walk(const void *rec, size_t len)
{
	const uint8_t *p = rec;
	uint64_t sum = 0;

	/* touch every byte the reader says is there */
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct hws_reader *r, *r2, *r3, *rs[2];
	uint64_t walk_records = 0, walk_tsum = 0;
	bool walked_all = false;
	const struct hws_cpu_totals *tot;
	const struct hws_damage *dmg;
	const struct hwstats_rec *rec;
	struct hws_reader_stats st;
	struct hws_chunk_info ci;
	struct hws_merge *m;
	volatile uint64_t sink = 0;
	uint64_t ts = 0;
	const void *p;
	size_t len;
	int n;

	if (fd < 0) {
		fd = memfd_create("hws-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			abort();
	}
	if (ftruncate(fd, 0) ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	r = hws_reader_fdopen(fd);
	if (!r) {
		if (errno != EBADMSG && errno != EPROTONOSUPPORT &&
		    errno != ENOMEM)
			abort();
		return 0;
	}
	hws_header_source(hws_reader_header(r), 1);
	for (n = 0; n < 10000; n++) {
		int ret = hws_reader_next_chunk(r, &ci, &p, &len);

		if (ret != 1) {
			walked_all = ret == 0;
			break;
		}
		if (ci.first_ts > ci.last_ts ||
		    hws_stream_check(p, len, NULL) != (long)len)
			abort();
		sink += walk(p, len);
		for (size_t off = 0; off < len;) {
			const struct hwstats_rec *x = (const void *)
				((const uint8_t *)p + off);

			walk_records++;
			walk_tsum += x->ts;
			off += x->len;
		}
		ts = ci.first_ts + (ci.last_ts - ci.first_ts) / 2;
	}
	hws_reader_totals(r, &tot);
	hws_reader_damage(r, &dmg);
	hws_reader_stats(r, &st);
	if (size >= 8)
		memcpy(&ts, data + size - 8, 8);
	if (hws_reader_seek_time(r, ts) == 0 &&
	    hws_reader_next_chunk(r, &ci, &p, &len) == 1) {
		/* seeking lands on the first chunk with last_ts >= ts; if that
		 * one is damaged, the next intact one may end earlier */
		if (ci.last_ts < ts && !hws_reader_damage(r, NULL))
			abort();
		sink += walk(p, len);
	}
	hws_reader_seek_time(r, 0);
	/*
	 * The merge of two fresh readers of the file gives every record of
	 * every intact chunk twice, nothing else: count and sum of
	 * timestamps match the chunk walk above (when neither was cut
	 * short by the caps here).
	 */
	r2 = hws_reader_fdopen(fd);
	r3 = hws_reader_fdopen(fd);
	if (r2 && r3) {
		uint64_t cnt = 0, tsum = 0;
		int ret = 0;

		rs[0] = r2;
		rs[1] = r3;
		m = hws_merge_new(rs, 2);
		for (n = 0; m && n < 100000 &&
			    (ret = hws_merge_next(m, &rec, NULL, NULL)) == 1;
		     n++) {
			if (rec->len < sizeof(*rec) || rec->len % 8)
				abort();
			cnt++;
			tsum += rec->ts;
		}
		if (m && ret == 0 && walked_all &&
		    (cnt != 2 * walk_records || tsum != 2 * walk_tsum))
			abort();
		hws_merge_free(m);
	}
	hws_reader_close(r2);
	hws_reader_close(r3);
	hws_reader_damage(r, &dmg);
	hws_reader_close(r);
	(void)sink;
	return 0;
}
