// SPDX-License-Identifier: MIT
/*
 * recspeed - what the recorder pays per record on one CPU, step by step:
 * the column encoder (hwsi_enc_chunk, encoding 3), zstd on its output at
 * the levels of the recorder's ladder (3, 1, -1, -8, -64), the encoder at
 * the FAST effort the writer uses below level 0, and the whole
 * writer append path (hwsi_writer_append_checked, pieces of 256 KiB as
 * read() returns them: chunk walk, copy, encoder, zstd, CRC32C, write)
 * at the same levels, into /dev/null. Nanoseconds of thread CPU time per
 * record: the sum over the chunks (the writer's pieces) of each one's
 * best of ROUNDS, so that other load on a shared machine counts little.
 *
 *   recspeed [-r ROUNDS] [-m MIB] [-e EFFORT]
 *
 * Streams:
 *  - bench_sim: hwstats_bench's paced producer (bench/kmod, the records of
 *    bench part 5): one source, 80-byte samples of 6 values (4 counters
 *    rising, 2 gauges), seq + 1 a sample, timestamps in bursts, a
 *    sub-buffer header every 256 KiB;
 *  - mixed: tests/unit/hws_gen.c's default stream (1..4 sources of 4..32
 *    counters on a 1 ms tick).
 * The encoder's and the files' output bytes are summed into a hash, so
 * that a change meant to be invisible can be checked to be so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "hws_gen.h"
#include "hws_internal.h"

#define CHUNK		(1U << 20)
#define PIECE		(256U << 10)
#define SUBBUF		(256U << 10)
#define NLEVELS		5

static const int levels[NLEVELS] = { 3, 1, -1, -8, -64 };

#define MIN(a, b)	do { if ((b) < (a)) (a) = (b); } while (0)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "recspeed: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* bench/kmod/hwstats_bench.c's hwsb_sim_values() for CPU 0. */
static void sim_values(uint64_t *v, uint64_t n)
{
	v[0] = n;
	for (uint32_t i = 1; i < 4; i++)
		v[i] = n * 1000 * i + (mix(n ^ ((uint64_t)i << 32)) & 0xff);
	for (uint32_t i = 4; i < 6; i++)
		v[i] = 1000ULL * (i - 4 + 1) +
		       mix(n ^ ((uint64_t)i << 32)) % 200;
}

/*
 * @len bytes of bench_sim records: a paced producer emits what is due in
 * a burst (records ~250 ns apart), then sleeps 50..200 us.
 */
static size_t gen_sim(uint8_t *buf, size_t len)
{
	uint64_t ts = 1000000000000ULL, n = 0, sb = 0;
	size_t off = 0, in_sb = SUBBUF;

	while (off + 80 <= len) {
		uint8_t *r = buf + off;

		if (in_sb + 80 > SUBBUF) {
			if (off + 48 + 80 > len)
				break;
			memset(r, 0, 48);
			hwsi_put16(r, HWSTATS_REC_SUBBUF);
			hwsi_put16(r + 2, 48);
			hwsi_put64(r + 8, ts);
			hwsi_put32(r + 16, HWSTATS_SUBBUF_MAGIC);
			hwsi_put64(r + 24, sb++);
			hwsi_put32(r + 44, SUBBUF);
			off += 48;
			in_sb = 48;
			continue;
		}
		uint64_t v[6];

		ts += n % 48 ? 200 + mix(n) % 100 : 50000 + mix(n) % 150000;
		memset(r, 0, 32);
		hwsi_put16(r, HWSTATS_REC_SAMPLE);
		hwsi_put16(r + 2, 80);
		hwsi_put32(r + 4, 7);
		hwsi_put64(r + 8, ts);
		hwsi_put64(r + 16, n);
		sim_values(v, n);
		for (int i = 0; i < 6; i++)
			hwsi_put64(r + 32 + 8 * i, v[i]);
		n++;
		off += 80;
		in_sb += 80;
	}
	return off;
}

struct chunk {
	const uint8_t *p;
	size_t len;
	uint32_t n;
};

struct stream {
	const char *name;
	uint8_t *buf;
	size_t len;
	uint64_t nrec;
	struct chunk *ch;
	size_t nch;
	struct hws_header hdr;
};

/* Cut as the writer does: whole records up to 1 MiB. */
static void cut(struct stream *s)
{
	size_t off = 0, cap = 0;

	s->nrec = 0;
	while (off < s->len) {
		size_t st = off;
		uint32_t n = 0;

		while (off < s->len &&
		       off - st + hwsi_rec_len(s->buf + off) <= CHUNK) {
			off += hwsi_rec_len(s->buf + off);
			n++;
		}
		if (s->nch == cap) {
			cap = cap ? 2 * cap : 64;
			s->ch = realloc(s->ch, cap * sizeof(*s->ch));
			if (!s->ch)
				die("memory");
		}
		s->ch[s->nch++] = (struct chunk){ s->buf + st, off - st, n };
		s->nrec += n;
	}
}

/*
 * -e EFFORT: the encoder alone at that effort, once over each stream, and
 * nothing else (for instruction counts, e.g. under valgrind).
 */
static void enc_only(struct stream *s, int effort)
{
	struct hws_enc *e = hwsi_enc_new();
	size_t total = 0;

	if (!e || hwsi_enc_set_effort(e, effort))
		die("encoder");
	for (size_t i = 0; i < s->nch; i++) {
		const void *o;
		size_t olen;
		uint16_t encoding;

		if (hwsi_enc_chunk(e, s->ch[i].p, s->ch[i].len, s->ch[i].n,
				  false, &o, &olen, &encoding))
			die("encode");
		total += olen;
	}
	printf("%s: %llu records, effort %d: %zu bytes\n", s->name,
	       (unsigned long long)s->nrec, effort, total);
	hwsi_enc_free(e);
}

static void bench_stream(struct stream *s, int rounds)
{
	struct hws_enc *e = hwsi_enc_new();
	ZSTD_CCtx *z = ZSTD_createCCtx();
	size_t zcap = ZSTD_compressBound(2 * CHUNK);
	uint8_t *zb = malloc(zcap);
	double enc = 1e9, zs[NLEVELS], wr[NLEVELS], crc = 1e9;
	uint64_t ehash = 0, zbytes[NLEVELS], fbytes[NLEVELS];
	size_t eout = 0;
	double nrec = (double)s->nrec;

	/* per chunk (per piece for the writer): the best of the rounds */
	double *bt = malloc(s->nch * (2 + NLEVELS) * sizeof(double));
	size_t npieces = s->len / (PIECE / 2) + 2;
	double *bw = malloc(npieces * NLEVELS * sizeof(double));

	double *fast = malloc(s->nch * sizeof(double)), efast = 0;
	struct hws_enc *ef = hwsi_enc_new();
	size_t fout = 0;

	if (!e || !ef || !z || !zb || !bt || !bw || !fast ||
	    hwsi_enc_set_effort(ef, HWSI_ENC_FAST))
		die("memory");
	for (size_t i = 0; i < s->nch; i++)
		fast[i] = 1e9;
	for (size_t i = 0; i < s->nch * (2 + NLEVELS); i++)
		bt[i] = 1e9;
	for (size_t i = 0; i < npieces * NLEVELS; i++)
		bw[i] = 1e9;
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1);
	for (int l = 0; l < NLEVELS; l++)
		zs[l] = wr[l] = 1e9;
	for (int r = 0; r < rounds; r++) {
		double t0, te = 0, tz[NLEVELS] = { 0 }, tc = 0;
		uint64_t h = 0xcbf29ce484222325ULL;

		eout = 0;
		for (int l = 0; l < NLEVELS; l++)
			zbytes[l] = 0;
		for (size_t i = 0; i < s->nch; i++) {
			const void *o, *of;
			size_t olen, olenf;
			uint16_t encoding;
			volatile uint32_t sink;

			t0 = now();
			if (hwsi_enc_chunk(ef, s->ch[i].p, s->ch[i].len,
					  s->ch[i].n, false, &of, &olenf,
					  &encoding))
				die("encode");
			t0 = now() - t0;
			MIN(fast[i], t0);
			if (r == 0)
				fout += olenf;
			t0 = now();
			if (hwsi_enc_chunk(e, s->ch[i].p, s->ch[i].len,
					  s->ch[i].n, false, &o, &olen,
					  &encoding))
				die("encode");
			t0 = now() - t0;
			te += t0;
			MIN(bt[i * (2 + NLEVELS)], t0);
			h = fnv(h, &encoding, sizeof(encoding));
			h = fnv(h, o, olen);
			eout += olen;
			for (int l = 0; l < NLEVELS; l++) {
				size_t k;

				ZSTD_CCtx_setParameter(z,
					ZSTD_c_compressionLevel, levels[l]);
				/* as the writer does: FAST below level 0 */
				t0 = now();
				k = levels[l] < 0 ?
				    ZSTD_compress2(z, zb, zcap, of, olenf) :
				    ZSTD_compress2(z, zb, zcap, o, olen);
				t0 = now() - t0;
				tz[l] += t0;
				MIN(bt[i * (2 + NLEVELS) + 2 + l], t0);
				if (ZSTD_isError(k))
					die("zstd");
				zbytes[l] += k;
				if (l == 0) {
					t0 = now();
					sink = hwsi_crc32c(0, zb, k);
					t0 = now() - t0;
					tc += t0;
					MIN(bt[i * (2 + NLEVELS) + 1], t0);
					(void)sink;
				}
			}
		}
		ehash = h;
		(void)te;
		(void)tc;
		(void)tz;
	}
	/*
	 * One writer a level, the stream appended ROUNDS + 1 times: the first
	 * pass grows the buffers (a recorder does that once), the best of
	 * the others counts.
	 */
	for (int l = 0; l < NLEVELS; l++) {
		struct hws_writer_opts o = { .sz = sizeof(o),
					     .level = levels[l] };
		int fd = open("/dev/null", O_WRONLY);
		struct hws_writer *w;
		uint64_t b0 = 0;

		if (fd < 0)
			die("/dev/null");
		w = hws_writer_fdopen(fd, &s->hdr, &o);
		if (!w)
			die("writer");
		for (int r = 0; r <= rounds; r++) {
			size_t np = 0;
			double t0;

			for (size_t off = 0; off < s->len;) {
				size_t k = 0;

				while (off + k < s->len &&
				       k + hwsi_rec_len(s->buf + off + k) <=
				       PIECE)
					k += hwsi_rec_len(s->buf + off + k);
				t0 = now();
				if (hwsi_writer_append_checked(w, 0,
							      s->buf + off, k))
					die("append");
				t0 = now() - t0;
				if (r)
					MIN(bw[np * NLEVELS + l], t0);
				np++;
				off += k;
			}
			t0 = now();
			if (hws_writer_flush(w))
				die("flush");
			t0 = now() - t0;
			if (r)
				MIN(bw[np * NLEVELS + l], t0);
			if (r == 0)
				b0 = hws_writer_file_bytes(w);
		}
		fbytes[l] = b0;
		if (hws_writer_close(w, NULL, 0))
			die("close");
	}
	enc = crc = 0;
	for (size_t i = 0; i < s->nch; i++) {
		efast += fast[i];
		enc += bt[i * (2 + NLEVELS)];
		crc += bt[i * (2 + NLEVELS) + 1];
	}
	for (int l = 0; l < NLEVELS; l++) {
		zs[l] = wr[l] = 0;
		for (size_t i = 0; i < s->nch; i++)
			zs[l] += bt[i * (2 + NLEVELS) + 2 + l];
		for (size_t i = 0; i < npieces; i++)
			if (bw[i * NLEVELS + l] < 1e9)
				wr[l] += bw[i * NLEVELS + l];
	}
	free(bt);
	free(bw);
	free(fast);
	printf("%s: %.1f MB, %llu records in %zu chunks; ns per record, each chunk's best of %d\n",
	       s->name, (double)s->len / 1e6, (unsigned long long)s->nrec,
	       s->nch, rounds);
	printf("  encoder (COLUMNS2)     %7.1f   -> %zu bytes, hash %016llx\n",
	       enc * 1e9 / nrec, eout, (unsigned long long)ehash);
	printf("  encoder, FAST effort   %7.1f   -> %zu bytes (the writer's at levels < 0)\n",
	       efast * 1e9 / nrec, fout);
	printf("  crc32c of zstd -3 out  %7.1f\n", crc * 1e9 / nrec);
	/* enc: the effort the writer uses at that level */
	printf("  level   zstd   enc+zstd  writer  writer-rest  zstd bytes  file bytes\n");
	for (int l = 0; l < NLEVELS; l++) {
		double el = levels[l] < 0 ? efast : enc;

		printf("  %5d %7.1f %9.1f %7.1f %11.1f %11llu %11llu\n",
		       levels[l], zs[l] * 1e9 / nrec,
		       (el + zs[l]) * 1e9 / nrec, wr[l] * 1e9 / nrec,
		       (wr[l] - el - zs[l]) * 1e9 / nrec,
		       (unsigned long long)zbytes[l],
		       (unsigned long long)fbytes[l]);
	}
	hwsi_enc_free(e);
	hwsi_enc_free(ef);
	ZSTD_freeCCtx(z);
	free(zb);
}

int main(int argc, char **argv)
{
	struct hws_gen_opts go = { .seed = 1 };
	struct stream s[2] = { { .name = "bench_sim" }, { .name = "mixed" } };
	struct hws_gen *g;
	int rounds = 5, mib = 64, opt, effort = -1;

	while ((opt = getopt(argc, argv, "r:m:e:")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'e')
			effort = atoi(optarg);
		else if (opt == 'm')
			mib = atoi(optarg);
		else
			return 2;
	}
	if (rounds < 1 || mib < 1)
		return 2;
	for (int i = 0; i < 2; i++) {
		s[i].buf = malloc((size_t)mib << 20);
		if (!s[i].buf)
			die("memory");
	}
	s[0].len = gen_sim(s[0].buf, (size_t)mib << 20);
	g = hws_gen_new(&go);
	if (!g)
		die("generator");
	s[1].len = hws_gen_fill(g, s[1].buf, (size_t)mib << 20);
	if (hws_gen_header(g, 1, &s[1].hdr))
		die("header");
	s[0].hdr = s[1].hdr;
	for (int i = 0; i < 2; i++) {
		cut(&s[i]);
		if (effort >= 0)
			enc_only(&s[i], effort);
		else
			bench_stream(&s[i], rounds);
	}
	hws_gen_header_free(&s[1].hdr);
	hws_gen_free(g);
	return 0;
}
