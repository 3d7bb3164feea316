// SPDX-License-Identifier: MIT
/*
 * frames - where the bytes of an .hws file go, by frame kind.
 *
 *   frames FILE.hws...
 *
 * Walks the frames of an intact file (FORMAT.md §3) and prints, per file,
 * the bytes of each kind in all, per chunk and per record: the file
 * header, source frames, chunk-header frames, data frames (and of those,
 * what zstd's framing takes: frame header, block headers and checksum),
 * index frames, the footer, and other frames (later kinds, other tools',
 * a regular frame no chunk header announced). For the per-chunk accounting
 * of bench/README.md part 3; a damaged file is refused, not analysed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawstream.h"

enum { K_HEADER, K_SOURCE, K_CHUNK, K_DATA, K_ZSTD, K_INDEX, K_FOOTER,
       K_OTHER, NK };

static const char *const names[NK] = {
	"file header", "source frames", "chunk headers", "data frames",
	"  zstd framing", "index frames", "footer", "other frames",
};

/*
 * The bytes of zstd's own framing in the regular frame at @p, of at most
 * @len bytes (RFC 8878 §3.1.1): frame header, block headers, checksum; 0
 * if it is not a well-formed frame. Its whole length goes to *end.
 */
static uint64_t zstd_framing(const uint8_t *p, uint64_t len, uint64_t *end)
{
	static const int fcs_len[4] = { 0, 2, 4, 8 }, did_len[4] = { 0, 1, 2, 4 };
	uint8_t fhd;
	uint64_t h, pos;
	int single, last = 0;

	if (len < 5 || hwsi_get32(p) != 0xFD2FB528U)
		return 0;
	fhd = p[4];
	single = (fhd >> 5) & 1;
	h = 5 + !single + did_len[fhd & 3] +
	    (single && !(fhd >> 6) ? 1 : fcs_len[fhd >> 6]);
	for (pos = h; !last; pos += 3) {
		uint32_t bh;

		if (len - pos < 3)
			return 0;
		bh = p[pos] | p[pos + 1] << 8 | (uint32_t)p[pos + 2] << 16;
		last = bh & 1;
		h += 3;
		if (((bh >> 1) & 3) == 1)
			pos += 1;
		else
			pos += bh >> 3;
		if (pos > len - 3)
			return 0;
	}
	*end = pos + ((fhd >> 2) & 1 ? 4 : 0);
	if (*end > len)
		return 0;
	return h + ((fhd >> 2) & 1 ? 4 : 0);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: frames FILE.hws...\n");
		return 1;
	}
	for (int a = 1; a < argc; a++) {
		uint64_t sum[NK] = { 0 }, chunks = 0, records = 0, total = 0;
		size_t len, off = 0;
		uint8_t *f = raw_load(argv[a], &len);

		while (off < len) {
			uint32_t magic, fsz;
			uint64_t flen;
			int k;

			if (len - off < 8)
				break;
			magic = hwsi_get32(f + off);
			if (magic == 0xFD2FB528U) {
				/* a later kind's data, not a chunk's */
				if (!zstd_framing(f + off, len - off, &flen))
					break;
				sum[K_OTHER] += flen;
				off += flen;
				continue;
			}
			fsz = hwsi_get32(f + off + 4);
			flen = 8 + (uint64_t)fsz;
			if (flen > len - off || (magic & 0xFFFFFFF0U) != 0x184D2A50U)
				break;
			switch (magic) {
			case HWS_MAGIC_HEADER: k = K_HEADER; break;
			case HWS_MAGIC_SOURCE: k = K_SOURCE; break;
			case HWS_MAGIC_CHUNK: k = K_CHUNK; break;
			case HWS_MAGIC_INDEX: k = K_INDEX; break;
			case HWS_MAGIC_FOOTER: k = K_FOOTER; break;
			default: k = K_OTHER; break;
			}
			sum[k] += flen;
			off += flen;
			if (k == K_CHUNK) {
				const uint8_t *c = f + off - flen + HWS_SKIP_HDR;
				uint64_t dlen, zf, zend;

				if (fsz < 96)
					break;
				dlen = hwsi_get32(c + 80);
				if (dlen > len - off ||
				    !(zf = zstd_framing(f + off, dlen, &zend)) ||
				    zend != dlen)
					break;
				records += hwsi_get32(c + 12);
				chunks++;
				sum[K_DATA] += dlen;
				sum[K_ZSTD] += zf;
				off += dlen;
			}
		}
		if (off != len) {
			fprintf(stderr, "frames: %s: not an intact .hws file at offset %zu\n",
				argv[a], off);
			return 1;
		}
		for (int k = 0; k < NK; k++)
			total += k == K_ZSTD ? 0 : sum[k];
		printf("%s: %llu bytes, %llu chunks, %llu records\n", argv[a],
		       (unsigned long long)total, (unsigned long long)chunks,
		       (unsigned long long)records);
		printf("  %-15s %10s %10s %10s\n", "", "bytes", "per chunk",
		       "per record");
		for (int k = 0; k < NK; k++)
			if (sum[k])
				printf("  %-15s %10llu %10.1f %10.3f\n", names[k],
				       (unsigned long long)sum[k],
				       chunks ? (double)sum[k] / chunks : 0.0,
				       records ? (double)sum[k] / records : 0.0);
		free(f);
	}
	return 0;
}
