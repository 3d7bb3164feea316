// SPDX-License-Identifier: MIT
/*
 * colstat - where the bytes of the column encoding go.
 *
 *   colstat [-F CHUNK_NS] FILE...
 *
 * Reads raw record streams (as hwsb-gen writes them, one per CPU), cuts
 * each into chunks as the recorder does (1 MiB or CHUNK_NS of record
 * time, default 1 s), encodes every chunk with libhws's chunk encoder and
 * prints, per column, the bytes it takes before zstd and after zstd -3 of
 * that column alone, summed over all chunks, per record; then the whole
 * content after zstd -3, and the same without the columns that tell which
 * record is what (TAG, RAW, SRC, SHAPE): what those cost in the whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "rawstream.h"

#define MAXCOLS 16

/* A varint of content the encoder just made. */
static const uint8_t *varint(const uint8_t *p, uint64_t *v)
{
	if (hwsi_get_varint(&p, p + 10, v)) {
		fprintf(stderr, "colstat: a bad varint in encoded content\n");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	uint64_t chunk_ns = 1000000000ULL, nrec_all = 0, chunks = 0;
	double raw[MAXCOLS] = { 0 }, z[MAXCOLS] = { 0 }, whole = 0, hdr = 0;
	double values = 0;
	struct hws_enc *e = hwsi_enc_new();
	int ncols = 0, a = 1;
	const char *names1[] = { "TAG", "RAW", "SRCTAB", "SRC", "SHAPE",
				 "MODES", "BASE", "EXC", "VAL" };
	const char *names2[] = { "TAG", "RAW", "SRCTAB", "SRC", "SHAPE",
				 "HDR", "EXC", "VAL" };
	const char **names = names2;
	struct hws_dec *dec = hwsi_dec_new();
	static uint8_t check[1 << 21];

	if (a + 1 < argc && !strcmp(argv[a], "-F")) {
		chunk_ns = strtoull(argv[a + 1], NULL, 0);
		a += 2;
	}
	if (a < argc && !strcmp(argv[a], "-1")) {
		hwsi_enc_set_encoding(e, HWS_ENC_COLUMNS);
		names = names1;
		a++;
	}
	for (; a < argc; a++) {
		size_t len, off = 0;
		uint8_t *buf = raw_load(argv[a], &len);

		while (off < len) {
			size_t s = off, cap = ZSTD_compressBound(1 << 21);
			uint32_t n;
			const void *out;
			size_t olen;
			uint16_t enc;
			const uint8_t *p;
			uint64_t v, l[MAXCOLS];
			static uint8_t zb[4 << 20];

			off = raw_chunk_end(buf, off, len, chunk_ns, &n);
			if (hwsi_enc_chunk(e, buf + s, off - s, n, false, &out,
					  &olen, &enc))
				return 1;
			if (enc == HWS_ENC_RAW) {
				fprintf(stderr, "a chunk of %u records stored raw\n", n);
				continue;
			}
			if (hwsi_dec_chunk(dec, enc, out, olen, check, off - s, n) ||
			    memcmp(check, buf + s, off - s)) {
				fprintf(stderr, "chunk does not decode back\n");
				return 1;
			}
			chunks++;
			nrec_all += n;
			whole += ZSTD_compress(zb, cap, out, olen, 3) + 104 + 0.0;
			p = out;
			for (int i = 0; i < 3; i++)
				p = varint(p, &v);
			ncols = names == names1 ? 9 : 8;
			hdr += (double)(p - (const uint8_t *)out);
			{
				const uint8_t *q = p;
				for (int i = 0; i < ncols; i++)
					q = varint(q, &l[i]);
				hdr += (double)(q - p);
				p = q;
			}
			{
				/* the content without the columns that say
				 * which record is what (TAG, RAW, SRC, SHAPE) */
				static uint8_t part[2 << 20];
				size_t plen = (size_t)(p - (const uint8_t *)out);

				memcpy(part, out, plen);
				for (int i = 0; i < ncols; i++) {
					raw[i] += (double)l[i];
					if (l[i])
						z[i] += (double)ZSTD_compress(zb, cap, p, l[i], 3);
					if (i != 0 && i != 1 && i != 3 && i != 4) {
						memcpy(part + plen, p, l[i]);
						plen += l[i];
					}
					p += l[i];
				}
				values += (double)ZSTD_compress(zb, cap, part, plen, 3);
			}
		}
		free(buf);
	}
	printf("%llu records, %llu chunks; bytes per record (per chunk)\n",
	       (unsigned long long)nrec_all, (unsigned long long)chunks);
	printf("  %-8s %10s %10s %10s\n", "column", "raw", "zstd", "zstd/chunk");
	printf("  %-8s %10.3f\n", "lens", hdr / nrec_all);
	for (int i = 0; i < ncols; i++)
		printf("  %-8s %10.3f %10.3f %10.1f\n", names[i], raw[i] / nrec_all,
		       z[i] / nrec_all, z[i] / chunks);
	printf("  whole content zstd -3 + 104 B chunk header: %.3f B/record\n",
	       whole / nrec_all);
	printf("  content less TAG, RAW, SRC, SHAPE, zstd -3: %.3f B/record (%.1f a chunk less)\n",
	       values / nrec_all, (whole - 104.0 * chunks - values) / chunks);
	hwsi_enc_free(e);
	return 0;
}
