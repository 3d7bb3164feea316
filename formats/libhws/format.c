// SPDX-License-Identifier: MIT
/*
 * The layouts of the hws frames (FORMAT.md, "Frames"), and the small
 * functions every part of libhws shares. Fields are written one by one at
 * fixed offsets, never by copying C structs, so the layout is the same on
 * every compiler and host.
 */
#include <errno.h>
#include <stdlib.h>

#include "hws_internal.h"

uint32_t hwsi_sig_for_magic(uint32_t magic)
{
	switch (magic) {
	case HWS_MAGIC_HEADER:
		return HWS_SIG_HEADER;
	case HWS_MAGIC_CHUNK:
		return HWS_SIG_CHUNK;
	case HWS_MAGIC_INDEX:
		return HWS_SIG_INDEX;
	case HWS_MAGIC_FOOTER:
		return HWS_SIG_FOOTER;
	case HWS_MAGIC_SOURCE:
		return HWS_SIG_SOURCE;
	default:
		return 0;
	}
}

void hwsi_frame_begin(uint8_t *frame, uint32_t magic, uint32_t sig,
		     uint32_t payload_len)
{
	memset(frame, 0, HWS_SKIP_HDR + (size_t)payload_len);
	hwsi_put32(frame, magic);
	hwsi_put32(frame + 4, payload_len);
	hwsi_put32(frame + 8, sig);
	hwsi_put32(frame + 12, payload_len);
}

void hwsi_frame_seal(uint8_t *frame, uint32_t payload_len)
{
	uint8_t *payload = frame + HWS_SKIP_HDR;

	hwsi_put32(payload + payload_len - 4,
		  hwsi_crc32c(0, payload, payload_len - 4));
}

int hwsi_payload_check(const uint8_t *payload, uint32_t len, uint32_t sig)
{
	if (len < HWS_PROLOGUE_LEN + 4)
		return -EBADMSG;
	if (hwsi_get32(payload) != sig || hwsi_get32(payload + 4) != len)
		return -EBADMSG;
	if (!hwsi_crc_match(hwsi_crc32c(0, payload, len - 4),
			   hwsi_get32(payload + len - 4)))
		return -EILSEQ;	/* structure intact, checksum wrong */
	return 0;
}

/* ---- strings: fixed NUL-padded arrays; a reader forces termination ---- */

static void put_str(uint8_t *p, const char *s, size_t size)
{
	size_t n = strnlen(s, size - 1);

	memcpy(p, s, n);	/* the rest is already zero */
}

static void get_str(char *dst, const uint8_t *p, size_t size)
{
	memcpy(dst, p, size);
	dst[size - 1] = '\0';
}

/* ---- source entries: the header's table and source frames ---- */

static size_t source_entry_len(const struct hws_source *s)
{
	return HWS_SOURCE_LEN + (size_t)s->nr_counters * HWS_COUNTER_LEN;
}

/* A source entry and its counter entries at @p; returns the bytes used. */
static size_t put_source(uint8_t *p, const struct hws_source *s)
{
	size_t off = HWS_SOURCE_LEN;

	hwsi_put32(p, s->id);
	hwsi_put32(p + 4, s->nr_counters);
	put_str(p + 8, s->name, sizeof(s->name));
	for (uint32_t c = 0; c < s->nr_counters; c++) {
		const struct hws_counter *k = &s->counters[c];

		put_str(p + off, k->name, sizeof(k->name));
		put_str(p + off + 32, k->unit, sizeof(k->unit));
		hwsi_put32(p + off + 48, k->kind);
		off += HWS_COUNTER_LEN;
	}
	return off;
}

/*
 * The source entry at p[*off] of entries @source_len and @counter_len
 * long, within p[0, end): -EBADMSG if it does not fit, -ENOMEM.
 */
static int get_source(const uint8_t *p, size_t *off, size_t end,
		      uint32_t source_len, uint32_t counter_len,
		      struct hws_source *s)
{
	size_t o = *off;

	memset(s, 0, sizeof(*s));
	if (o > end || end - o < source_len)
		return -EBADMSG;
	s->id = hwsi_get32(p + o);
	s->nr_counters = hwsi_get32(p + o + 4);
	get_str(s->name, p + o + 8, sizeof(s->name));
	o += source_len;
	/* Each counter needs counter_len bytes: this bounds the allocation. */
	if (s->nr_counters > (end - o) / counter_len) {
		s->nr_counters = 0;
		return -EBADMSG;
	}
	if (s->nr_counters) {
		s->counters = calloc(s->nr_counters, sizeof(*s->counters));
		if (!s->counters) {
			s->nr_counters = 0;
			return -ENOMEM;
		}
	}
	for (uint32_t c = 0; c < s->nr_counters; c++) {
		struct hws_counter *k = &s->counters[c];

		get_str(k->name, p + o, sizeof(k->name));
		get_str(k->unit, p + o + 32, sizeof(k->unit));
		k->kind = hwsi_get32(p + o + 48);
		o += counter_len;
	}
	*off = o;
	return 0;
}

/* ---- file header ---- */

size_t hwsi_header_frame_len(const struct hws_header *h)
{
	size_t len = HWS_SKIP_HDR + HWS_HEADER_FIXED + 4;

	for (uint32_t i = 0; i < h->nr_sources; i++)
		len += source_entry_len(&h->sources[i]);
	return len;
}

void hwsi_header_encode(uint8_t *frame, size_t frame_len,
		       const struct hws_header *h)
{
	uint32_t plen = (uint32_t)(frame_len - HWS_SKIP_HDR);
	uint8_t *p = frame + HWS_SKIP_HDR;
	size_t off;

	hwsi_frame_begin(frame, HWS_MAGIC_HEADER, HWS_SIG_HEADER, plen);
	hwsi_put16(p + 8, HWS_FORMAT_MAJOR);
	hwsi_put16(p + 10, HWS_FORMAT_MINOR);
	hwsi_put32(p + 12, HWS_HEADER_FIXED);
	hwsi_put32(p + 16, 0);			/* flags */
	hwsi_put32(p + 20, h->clock);
	hwsi_put32(p + 24, h->nr_cpus);
	hwsi_put32(p + 28, h->subbuf_size);
	hwsi_put32(p + 32, h->n_subbufs);
	hwsi_put32(p + 36, h->session_flags);
	hwsi_put64(p + 40, h->session_id);
	hwsi_put64(p + 48, h->period_ns);
	hwsi_put64(p + 56, h->start_boot_ns);
	hwsi_put64(p + 64, h->start_real_ns);
	hwsi_put32(p + 72, h->nr_sources);
	hwsi_put32(p + 76, HWS_SOURCE_LEN);
	hwsi_put32(p + 80, HWS_COUNTER_LEN);
	put_str(p + 88, h->host, sizeof(h->host));
	put_str(p + 152, h->kernel, sizeof(h->kernel));
	put_str(p + 216, h->module_version, sizeof(h->module_version));

	off = HWS_HEADER_FIXED;
	for (uint32_t i = 0; i < h->nr_sources; i++)
		off += put_source(p + off, &h->sources[i]);
	hwsi_frame_seal(frame, plen);
}

void hwsi_header_release(struct hws_header *h)
{
	if (!h || !h->sources)
		return;
	for (uint32_t i = 0; i < h->nr_sources; i++)
		free(h->sources[i].counters);
	free(h->sources);
	h->sources = NULL;
	h->nr_sources = 0;
}

int hwsi_header_decode(const uint8_t *p, uint32_t len, struct hws_header *h)
{
	uint32_t fixed, source_len, counter_len, nr_sources;
	size_t off, end = len - 4;

	memset(h, 0, sizeof(*h));
	if (end < 88)
		return -EBADMSG;
	h->format_major = hwsi_get16(p + 8);
	h->format_minor = hwsi_get16(p + 10);
	fixed = hwsi_get32(p + 12);
	h->clock = hwsi_get32(p + 20);
	h->nr_cpus = hwsi_get32(p + 24);
	h->subbuf_size = hwsi_get32(p + 28);
	h->n_subbufs = hwsi_get32(p + 32);
	h->session_flags = hwsi_get32(p + 36);
	h->session_id = hwsi_get64(p + 40);
	h->period_ns = hwsi_get64(p + 48);
	h->start_boot_ns = hwsi_get64(p + 56);
	h->start_real_ns = hwsi_get64(p + 64);
	nr_sources = hwsi_get32(p + 72);
	source_len = hwsi_get32(p + 76);
	counter_len = hwsi_get32(p + 80);
	/* Later minors may lengthen every part, never shorten one. */
	if (fixed < HWS_HEADER_FIXED || fixed > end ||
	    source_len < HWS_SOURCE_LEN || counter_len < HWS_COUNTER_LEN)
		return -EBADMSG;
	if (h->nr_cpus == 0 || h->nr_cpus > HWS_MAX_CPUS)
		return -EBADMSG;
	get_str(h->host, p + 88, sizeof(h->host));
	get_str(h->kernel, p + 152, sizeof(h->kernel));
	get_str(h->module_version, p + 216, sizeof(h->module_version));

	/* Each source needs source_len bytes, so this bounds the allocation. */
	if (nr_sources > (end - fixed) / source_len)
		return -EBADMSG;
	if (nr_sources) {
		h->sources = calloc(nr_sources, sizeof(*h->sources));
		if (!h->sources)
			return -ENOMEM;
	}
	h->nr_sources = nr_sources;
	off = fixed;
	for (uint32_t i = 0; i < nr_sources; i++) {
		int err = get_source(p, &off, end, source_len, counter_len,
				     &h->sources[i]);

		if (err) {
			hwsi_header_release(h);
			return err;
		}
	}
	return 0;
}

/* ---- source frames (1.1): a source that joined after the header ---- */

size_t hwsi_source_frame_len(const struct hws_source *s)
{
	return HWS_SKIP_HDR + HWS_SOURCE_FIXED + source_entry_len(s) + 4;
}

void hwsi_source_frame_encode(uint8_t *frame, size_t frame_len,
			     const struct hws_source *s)
{
	uint32_t plen = (uint32_t)(frame_len - HWS_SKIP_HDR);
	uint8_t *p = frame + HWS_SKIP_HDR;

	hwsi_frame_begin(frame, HWS_MAGIC_SOURCE, HWS_SIG_SOURCE, plen);
	hwsi_put32(p + 8, HWS_SOURCE_FIXED);
	hwsi_put32(p + 12, HWS_SOURCE_LEN);
	hwsi_put32(p + 16, HWS_COUNTER_LEN);
	put_source(p + HWS_SOURCE_FIXED, s);
	hwsi_frame_seal(frame, plen);
}

int hwsi_source_frame_decode(const uint8_t *p, uint32_t len,
			    struct hws_source *s)
{
	uint32_t fixed, source_len, counter_len;
	size_t off, end = len - 4;

	memset(s, 0, sizeof(*s));
	if (end < HWS_SOURCE_FIXED)
		return -EBADMSG;
	fixed = hwsi_get32(p + 8);
	source_len = hwsi_get32(p + 12);
	counter_len = hwsi_get32(p + 16);
	if (fixed < HWS_SOURCE_FIXED || fixed > end ||
	    source_len < HWS_SOURCE_LEN || counter_len < HWS_COUNTER_LEN)
		return -EBADMSG;
	off = fixed;
	return get_source(p, &off, end, source_len, counter_len, s);
}

int hwsi_header_copy(struct hws_header *dst, const struct hws_header *src)
{
	*dst = *src;
	dst->sources = NULL;
	dst->nr_sources = 0;
	if (!src->nr_sources)
		return 0;
	if (!src->sources)
		return -EINVAL;
	dst->sources = calloc(src->nr_sources, sizeof(*dst->sources));
	if (!dst->sources)
		return -ENOMEM;
	dst->nr_sources = src->nr_sources;
	for (uint32_t i = 0; i < src->nr_sources; i++) {
		const struct hws_source *s = &src->sources[i];
		struct hws_source *d = &dst->sources[i];

		*d = *s;
		d->counters = NULL;
		if (!s->nr_counters)
			continue;
		if (!s->counters) {
			hwsi_header_release(dst);
			return -EINVAL;
		}
		d->counters = calloc(s->nr_counters, sizeof(*d->counters));
		if (!d->counters) {
			hwsi_header_release(dst);
			return -ENOMEM;
		}
		memcpy(d->counters, s->counters,
		       s->nr_counters * sizeof(*d->counters));
	}
	return 0;
}

const struct hws_source *hws_header_source(const struct hws_header *h,
					   uint32_t id)
{
	if (!h)
		return NULL;
	for (uint32_t i = 0; i < h->nr_sources; i++)
		if (h->sources[i].id == id)
			return &h->sources[i];
	return NULL;
}

/* ---- chunk header ---- */

void hwsi_chunk_hdr_encode(uint8_t *frame, const struct hws_chunk_hdr *c)
{
	hwsi_chunk_hdr_encode_len(frame, c, HWS_CHUNK_LEN);
}

/* A longer payload is how a later minor adds fields: zeros before the CRC. */
void hwsi_chunk_hdr_encode_len(uint8_t *frame, const struct hws_chunk_hdr *c,
			      uint32_t plen)
{
	uint8_t *p = frame + HWS_SKIP_HDR;

	hwsi_frame_begin(frame, HWS_MAGIC_CHUNK, HWS_SIG_CHUNK, plen);
	hwsi_put32(p + 8, c->cpu);
	hwsi_put32(p + 12, c->nr_records);
	hwsi_put64(p + 16, c->first_ts);
	hwsi_put64(p + 24, c->last_ts);
	hwsi_put64(p + 32, c->lost);
	hwsi_put64(p + 40, c->seq_first);
	hwsi_put64(p + 48, c->seq_last);
	hwsi_put64(p + 56, c->chunk_seq);
	hwsi_put64(p + 64, c->raw_len);
	hwsi_put64(p + 72, c->content_len);
	hwsi_put32(p + 80, c->frame_len);
	hwsi_put32(p + 84, c->frame_crc);
	hwsi_put16(p + 88, c->encoding);
	hwsi_put16(p + 90, c->flags);
	hwsi_frame_seal(frame, plen);
}

int hwsi_chunk_hdr_decode(const uint8_t *p, uint32_t len,
			 struct hws_chunk_hdr *c)
{
	if (len < HWS_CHUNK_LEN)
		return -EBADMSG;
	c->cpu = hwsi_get32(p + 8);
	c->nr_records = hwsi_get32(p + 12);
	c->first_ts = hwsi_get64(p + 16);
	c->last_ts = hwsi_get64(p + 24);
	c->lost = hwsi_get64(p + 32);
	c->seq_first = hwsi_get64(p + 40);
	c->seq_last = hwsi_get64(p + 48);
	c->chunk_seq = hwsi_get64(p + 56);
	c->raw_len = hwsi_get64(p + 64);
	c->content_len = hwsi_get64(p + 72);
	c->frame_len = hwsi_get32(p + 80);
	c->frame_crc = hwsi_get32(p + 84);
	c->encoding = hwsi_get16(p + 88);
	c->flags = hwsi_get16(p + 90);
	/*
	 * Limits that keep a reader's memory bounded; a writer never exceeds
	 * them. A record is at least 16 bytes, so the count bounds raw_len.
	 */
	if (c->raw_len > HWS_MAX_CHUNK_RAW || c->raw_len % 8 ||
	    c->content_len > HWS_MAX_CHUNK_RAW ||
	    c->nr_records == 0 ||
	    (uint64_t)c->nr_records * HWS_REC_HDR_LEN > c->raw_len ||
	    c->frame_len < 9 || c->frame_len > HWS_DATA_FRAME_MAX(c->content_len) ||
	    c->first_ts > c->last_ts)
		return -EBADMSG;
	return 0;
}

/* ---- index entries, index references, totals ---- */

void hwsi_index_entry_encode(uint8_t *p, const struct hws_index_entry *e)
{
	hwsi_put64(p, e->offset);
	hwsi_put64(p + 8, e->first_ts);
	hwsi_put64(p + 16, e->last_ts);
	hwsi_put32(p + 24, e->cpu);
	hwsi_put32(p + 28, e->nr_records);
	hwsi_put64(p + 32, e->chunk_seq);
}

void hwsi_index_entry_decode(const uint8_t *p, struct hws_index_entry *e)
{
	e->offset = hwsi_get64(p);
	e->first_ts = hwsi_get64(p + 8);
	e->last_ts = hwsi_get64(p + 16);
	e->cpu = hwsi_get32(p + 24);
	e->nr_records = hwsi_get32(p + 28);
	e->chunk_seq = hwsi_get64(p + 32);
}

void hwsi_index_ref_encode(uint8_t *p, const struct hws_index_ref *r)
{
	hwsi_put64(p, r->offset);
	hwsi_put64(p + 8, r->min_first_ts);
	hwsi_put64(p + 16, r->max_last_ts);
	hwsi_put32(p + 24, r->nr_entries);
	hwsi_put32(p + 28, 0);
}

void hwsi_index_ref_decode(const uint8_t *p, struct hws_index_ref *r)
{
	r->offset = hwsi_get64(p);
	r->min_first_ts = hwsi_get64(p + 8);
	r->max_last_ts = hwsi_get64(p + 16);
	r->nr_entries = hwsi_get32(p + 24);
}

void hwsi_totals_encode(uint8_t *p, const struct hws_cpu_totals *t)
{
	hwsi_put32(p, t->cpu);
	hwsi_put32(p + 4, t->flags);
	hwsi_put64(p + 8, t->records);
	hwsi_put64(p + 16, t->bytes);
	hwsi_put64(p + 24, t->lost);
	hwsi_put64(p + 32, t->subbufs);
}

void hwsi_totals_decode(const uint8_t *p, struct hws_cpu_totals *t)
{
	t->cpu = hwsi_get32(p);
	t->flags = hwsi_get32(p + 4);
	t->records = hwsi_get64(p + 8);
	t->bytes = hwsi_get64(p + 16);
	t->lost = hwsi_get64(p + 24);
	t->subbufs = hwsi_get64(p + 32);
}

/* ---- record streams ---- */

long hws_stream_check(const void *buf, size_t len, size_t *bad_off)
{
	const uint8_t *p = buf;
	size_t off = 0;

	if (!buf && len)
		return -EINVAL;
	while (len - off >= HWS_REC_HDR_LEN) {
		uint16_t rlen = hwsi_rec_len(p + off);

		if (rlen < HWS_REC_HDR_LEN || rlen % HWSTATS_REC_ALIGN) {
			if (bad_off)
				*bad_off = off;
			return -EBADMSG;
		}
		if (rlen > len - off)
			break;		/* a partial record at the end */
		off += rlen;
	}
	return (long)off;
}
