// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: hws_stream_check(), and the chunk codec behind it.
 *
 * Any bytes: hws_stream_check() must agree with a plain walk of the records.
 * Its walkable prefix: encoding then decoding must give back exactly those
 * bytes. And the same bytes taken as encoded chunk content: the decoder must
 * refuse or decode them safely (a reader meets such content only behind a
 * CRC32C and zstd's checksum, so only this target reaches it with garbage).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hws.h"
#include "hws_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hws_enc *e;
	static struct hws_dec *d;
	static uint8_t *buf, *out;
	size_t bad = (size_t)-1, off = 0, clen;
	const void *content;
	uint32_t nrec = 0;
	uint16_t enc;
	long n;

	if (!e) {
		e = hwsi_enc_new();
		d = hwsi_dec_new();
		buf = malloc(1 << 20);
		out = malloc(1 << 20);
		if (!e || !d || !buf || !out)
			abort();
	}
	if (size > (1 << 20) - 8)
		return 0;

	n = hws_stream_check(data, size, &bad);
	/* the reference walk */
	while (size - off >= 16) {
		uint16_t rl = (uint16_t)(data[off + 2] | data[off + 3] << 8);

		if (rl < 16 || rl % 8) {
			if (n != -EBADMSG || bad != off)
				abort();
			break;
		}
		if (rl > size - off)
			break;
		off += rl;
		nrec++;
	}
	if (n != -EBADMSG && (n < 0 || (size_t)n != off))
		abort();

	/* round trip of the walkable prefix, both encodings */
	if (n > 0) {
		memcpy(buf, data, (size_t)n);
		for (int raw = 0; raw < 2; raw++) {
			if (hwsi_enc_chunk(e, buf, (size_t)n, nrec, raw, &content,
					  &clen, &enc))
				abort();
			if (hwsi_dec_chunk(d, enc, content, clen, out, (size_t)n,
					  nrec))
				abort();
			if (memcmp(out, buf, (size_t)n))
				abort();
		}
	}

	/* the input as encoded content: raw_len and count from its tail */
	if (size >= 5) {
		size_t raw_len = ((size_t)data[size - 1] << 8 |
				  data[size - 2]) * 8;
		uint32_t cnt = data[size - 3] | (uint32_t)data[size - 4] << 8;
		int err = hwsi_dec_chunk(d, data[size - 5] & 1, data, size - 5,
					out, raw_len, cnt);

		if (err == 0 &&
		    hws_stream_check(out, raw_len, NULL) != (long)raw_len)
			abort();
		if (err && err != -EBADMSG && err != -ENOMEM)
			abort();
	}
	return 0;
}
