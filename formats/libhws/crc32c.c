// SPDX-License-Identifier: MIT
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and
 * final xor 0xFFFFFFFF), as used by iSCSI, ext4 and btrfs.
 *
 * libzstd checksums only the content of its regular frames and does not
 * export its XXH64, so hws frames (skippable frames zstd never checks) and
 * the compressed bytes of every data frame carry a CRC32C of their own. On
 * x86-64 with SSE4.2 the crc32 instruction does it at memory speed; the
 * portable path is slicing-by-8.
 *
 * Where the instruction is emulated rather than executed (QEMU's TCG does
 * it a bit at a time: 150 MB/s, against 750 MB/s for slicing-by-8 in the
 * same emulator, and 9 GB/s natively) it is the slow path. So the first
 * call times both on a few KiB and keeps the faster: they compute the same
 * function, only the speed differs.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "hws_internal.h"

#define HWS_CRC32C_POLY 0x82F63B78U

static uint32_t hws_crc_table[8][256];
static pthread_once_t hws_crc_once = PTHREAD_ONCE_INIT;
static int hws_crc_forced = HWSI_CRC_AUTO;

#if defined(__x86_64__)
static bool hws_crc_hw_ok;	/* the CPU has SSE4.2 */
static bool hws_crc_hw;		/* ... and it is the faster path */

__attribute__((target("sse4.2")))
static uint32_t hws_crc32c_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

static uint32_t hws_crc32c_sw(uint32_t crc, const uint8_t *p, size_t len);

#if defined(__x86_64__)
static uint64_t hws_crc_clock(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* Best of three, in ns, of one path over @len bytes at @p. */
static uint64_t hws_crc_time(bool hw, const uint8_t *p, size_t len)
{
	uint64_t best = UINT64_MAX;
	volatile uint32_t sink;

	for (int r = 0; r < 3; r++) {
		uint64_t t0 = hws_crc_clock(), t;

		sink = hw ? hws_crc32c_hw(~0U, p, len) :
			    hws_crc32c_sw(~0U, p, len);
		t = hws_crc_clock() - t0;
		best = t < best ? t : best;
	}
	(void)sink;
	return best;
}
#endif

static void hws_crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (HWS_CRC32C_POLY & (0U - (c & 1)));
		hws_crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			hws_crc_table[t][i] = (hws_crc_table[t - 1][i] >> 8) ^
				hws_crc_table[0][hws_crc_table[t - 1][i] & 0xff];
#if defined(__x86_64__)
	__builtin_cpu_init();
	hws_crc_hw_ok = __builtin_cpu_supports("sse4.2");
	/* the tables themselves are the bytes timed: 8 KiB */
	hws_crc_hw = hws_crc_hw_ok &&
		     hws_crc_time(true, (const uint8_t *)hws_crc_table,
				  sizeof(hws_crc_table)) <=
		     hws_crc_time(false, (const uint8_t *)hws_crc_table,
				  sizeof(hws_crc_table));
#endif
}

static uint32_t hws_crc32c_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ hws_crc_table[0][(crc ^ *p++) & 0xff];
		len--;
	}
	while (len >= 8) {
		uint32_t lo = hwsi_get32(p) ^ crc;
		uint32_t hi = hwsi_get32(p + 4);

		crc = hws_crc_table[7][lo & 0xff] ^
		      hws_crc_table[6][(lo >> 8) & 0xff] ^
		      hws_crc_table[5][(lo >> 16) & 0xff] ^
		      hws_crc_table[4][lo >> 24] ^
		      hws_crc_table[3][hi & 0xff] ^
		      hws_crc_table[2][(hi >> 8) & 0xff] ^
		      hws_crc_table[1][(hi >> 16) & 0xff] ^
		      hws_crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ hws_crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

/*
 * Continue a CRC: start with crc = 0 and feed the pieces in order; the
 * pre- and post-inversion are applied inside so the result composes.
 */
uint32_t hwsi_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&hws_crc_once, hws_crc_init);
	crc = ~crc;
#if defined(__x86_64__)
	if (hws_crc_forced == HWSI_CRC_AUTO ? hws_crc_hw :
	    hws_crc_forced == HWSI_CRC_HW)
		return ~hws_crc32c_hw(crc, p, len);
#endif
	return ~hws_crc32c_sw(crc, p, len);
}

int hwsi_crc32c_force(int impl)
{
	pthread_once(&hws_crc_once, hws_crc_init);
	switch (impl) {
	case HWSI_CRC_AUTO:
	case HWSI_CRC_SW:
		break;
	case HWSI_CRC_HW:
#if defined(__x86_64__)
		if (hws_crc_hw_ok)
			break;
#endif
		return -ENOTSUP;
	default:
		return -EINVAL;
	}
	hws_crc_forced = impl;
	return 0;
}
