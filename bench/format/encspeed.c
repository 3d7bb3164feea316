// SPDX-License-Identifier: MIT
/*
 * encspeed - the chunk encoder alone, encoding 1 against encoding 3, and
 * each followed by zstd -3 as the writer does: raw MB per CPU second.
 *
 *   encspeed [-r ROUNDS] FILE...
 *
 * FILEs are raw record streams (hwsb-gen's); each is cut in 1 MiB chunks.
 * Best of ROUNDS (default 5) rounds, rounds alternating the encodings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "rawstream.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const uint16_t encs[2] = { HWS_ENC_COLUMNS, HWS_ENC_COLUMNS2 };
	double best[2][2] = { { 1e9, 1e9 }, { 1e9, 1e9 } }, total = 0;
	size_t nchunks = 0, cap = 0, zcap = ZSTD_compressBound(1 << 21);
	struct { const uint8_t *p; size_t len; uint32_t n; } *ch = NULL;
	ZSTD_CCtx *z = ZSTD_createCCtx();
	uint8_t *zb = malloc(zcap);
	int rounds = 5, a = 1;
	uint64_t out[2] = { 0, 0 };

	if (a + 1 < argc && !strcmp(argv[a], "-r")) {
		rounds = atoi(argv[a + 1]);
		a += 2;
	}
	for (; a < argc; a++) {
		size_t len, off = 0;
		uint8_t *buf = raw_load(argv[a], &len);

		total += (double)len;
		while (off < len) {
			size_t s = off;
			uint32_t n;

			off = raw_chunk_end(buf, off, len, 0, &n);
			if (nchunks == cap) {
				cap = cap ? 2 * cap : 64;
				ch = realloc(ch, cap * sizeof(*ch));
			}
			ch[nchunks].p = buf + s;
			ch[nchunks].len = off - s;
			ch[nchunks++].n = n;
		}
	}
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < 2; k++) {
			struct hws_enc *e = hwsi_enc_new();
			double t0, t1, tz = 0;

			hwsi_enc_set_encoding(e, encs[k]);
			out[k] = 0;
			t0 = now();
			for (size_t i = 0; i < nchunks; i++) {
				const void *o;
				size_t olen;
				uint16_t enc;
				double a0;

				if (hwsi_enc_chunk(e, ch[i].p, ch[i].len, ch[i].n,
						  false, &o, &olen, &enc))
					return 1;
				a0 = now();
				out[k] += ZSTD_compressCCtx(z, zb, zcap, o, olen, 3);
				tz += now() - a0;
			}
			t1 = now();
			if (t1 - t0 - tz < best[k][0])
				best[k][0] = t1 - t0 - tz;
			if (t1 - t0 < best[k][1])
				best[k][1] = t1 - t0;
			hwsi_enc_free(e);
		}
	}
	printf("%.1f MB raw in %zu chunks; raw MB per CPU second, best of %d\n",
	       total / 1e6, nchunks, rounds);
	for (int k = 0; k < 2; k++)
		printf("  encoding %u: encoder %6.0f MB/s, encoder + zstd -3 %6.0f MB/s, %llu bytes out\n",
		       encs[k], total / 1e6 / best[k][0], total / 1e6 / best[k][1],
		       (unsigned long long)out[k]);
	return 0;
}
