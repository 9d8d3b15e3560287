/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_decode.c: libFuzzer target for pf_decode(): checks the verdict against a
 * model of docs/wire-protocol.md, the TLV walk, and encode/decode round trips. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_wire.h"

/* A violated invariant aborts with a message; libFuzzer saves the input. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_decode: %s:%d: check failed: %s\n", \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/* Longest frame the header can describe: 40 + 0xffff. */
#define MAX_FRAME (PF_HDR_LEN + UINT16_MAX)
/* Cap on the error message taken from the input, so it always fits. */
#define MAX_ERR_MSG 1024

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)be16(p) << 16) | be16(p + 2);
}

static uint64_t
be64(const uint8_t *p)
{
	return ((uint64_t)be32(p) << 32) | be32(p + 4);
}

/* The decoder's verdict as docs/wire-protocol.md states it, written from the
 * document's numbers rather than the header's macros, checks in the listed
 * order. Returns 0 or a positive PF_DECODE_* value. */
static int
model_verdict(const uint8_t *d, size_t n)
{
	if (n < 40)
		return PF_DECODE_TRUNCATED;
	if (d[0] != 0x50 || d[1] != 0x46)
		return PF_DECODE_BAD_MAGIC;
	if (d[2] != 1)
		return PF_DECODE_BAD_VERSION;
	if (d[3] < 1 || d[3] > 4)
		return PF_DECODE_BAD_TYPE;
	size_t plen = be16(d + 12);
	if (n < 40 + plen)
		return PF_DECODE_TRUNCATED;
	if (n > 40 + plen)
		return PF_DECODE_LENGTH_MISMATCH;
	if (d[4] > 6)
		return PF_DECODE_BAD_GROUP;
	if (d[5] > 4 || (d[5] != 0 && d[4] == 0))
		return PF_DECODE_BAD_ELEMENT;
	if (d[9] & ~0x07)
		return PF_DECODE_BAD_FLAGS;

	uint8_t seen[64] = {0};
	size_t off = 0;
	while (off < plen) {
		if (plen - off < 4)
			return PF_DECODE_BAD_TLV;
		uint16_t id = be16(d + 40 + off);
		size_t len = be16(d + 40 + off + 2);
		if (len > plen - off - 4)
			return PF_DECODE_BAD_TLV;
		if (id >= 1 && id <= 63) {
			if (seen[id])
				return PF_DECODE_DUP_TLV;
			seen[id] = 1;
		}
		off += 4 + len;
	}
	return 0;
}

static int
inside(const uint8_t *p, size_t plen, const uint8_t *base, size_t blen)
{
	return p >= base && p <= base + blen && plen <= (size_t)(base + blen - p);
}

/* Every header field equals the big-endian bytes it came from (payload_len
 * aside: pf_decode_header() zeroes it). */
static void
check_header_fields(const struct pf_msg *m, const uint8_t *d)
{
	CHECK(m->version == d[2]);
	CHECK(m->type == d[3]);
	CHECK(m->group == d[4]);
	CHECK(m->element == d[5]);
	CHECK(m->capability == be16(d + 6));
	CHECK(m->priority == d[8]);
	CHECK(m->flags == d[9]);
	CHECK(m->complexity == d[10]);
	CHECK(m->trace_id == be64(d + 16));
	CHECK(m->session_id == be32(d + 24));
	CHECK(m->seq == be32(d + 28));
	CHECK(m->timestamp == be64(d + 32));
	CHECK(m->payload == d + PF_HDR_LEN);
}

/* An accepted frame: header fields, and the payload fills the input. */
static void
check_fields(const struct pf_msg *m, const uint8_t *d, size_t n)
{
	check_header_fields(m, d);
	CHECK(m->payload_len == be16(d + 12));
	CHECK((size_t)PF_HDR_LEN + m->payload_len == n);
}

/* pf_decode_header(): reads any 40-byte header without judging it, payload
 * fields zeroed; only a short buffer is refused. */
static int
check_decode_header(const uint8_t *d, size_t n, struct pf_msg *h)
{
	int r = pf_decode_header(d, n, h);

	if (n < PF_HDR_LEN) {
		CHECK(r == -PF_DECODE_TRUNCATED);
		return r;
	}
	CHECK(r == 0);
	check_header_fields(h, d);
	CHECK(h->payload_len == 0);
	CHECK(h->field_mask == 0);
	CHECK(h->intent == NULL && h->intent_len == 0);
	return 0;
}

/* Two decodes of equal frames agree on every field; views sit at the same
 * offset in their own buffers. */
static void
check_same_msg(const struct pf_msg *a, const uint8_t *abuf,
	       const struct pf_msg *b, const uint8_t *bbuf)
{
	CHECK(a->version == b->version);
	CHECK(a->type == b->type);
	CHECK(a->group == b->group);
	CHECK(a->element == b->element);
	CHECK(a->capability == b->capability);
	CHECK(a->priority == b->priority);
	CHECK(a->flags == b->flags);
	CHECK(a->complexity == b->complexity);
	CHECK(a->payload_len == b->payload_len);
	CHECK(a->trace_id == b->trace_id);
	CHECK(a->session_id == b->session_id);
	CHECK(a->seq == b->seq);
	CHECK(a->timestamp == b->timestamp);
	CHECK(a->field_mask == b->field_mask);
	CHECK(a->payload - abuf == b->payload - bbuf);
	CHECK((a->intent == NULL) == (b->intent == NULL));
	if (a->intent != NULL)
		CHECK(a->intent - abuf == b->intent - bbuf);
	CHECK(a->intent_len == b->intent_len);
}

/* Walk the TLVs of an accepted frame; returns how many there were. */
static size_t
check_tlv_walk(const struct pf_msg *m, const uint8_t *d, size_t n)
{
	struct pf_tlv t, first_intent = {0};
	uint64_t mask = 0;
	size_t off = 0, count = 0, covered = 0;
	int have_intent = 0;

	while (pf_tlv_next(m, &off, &t)) {
		CHECK(t.value == m->payload + covered + PF_TLV_HDR_LEN);
		CHECK(inside(t.value, t.len, d, n));
		CHECK(be16(t.value - 4) == t.id && be16(t.value - 2) == t.len);
		covered += PF_TLV_HDR_LEN + (size_t)t.len;
		CHECK(off == covered);
		CHECK(off <= m->payload_len);
		/* A contract id never comes back twice from an accepted frame. */
		CHECK((mask & pf_field_bit(t.id)) == 0);
		mask |= pf_field_bit(t.id);
		if (t.id == PF_FIELD_INTENT && !have_intent) {
			first_intent = t;
			have_intent = 1;
		}

		uint16_t v16;
		uint32_t v32;
		uint64_t v64;
		CHECK((pf_tlv_u16(&t, &v16) == 0) == (t.len == 2));
		CHECK((pf_tlv_u32(&t, &v32) == 0) == (t.len == 4));
		CHECK((pf_tlv_u64(&t, &v64) == 0) == (t.len == 8));
		if (t.len == 2)
			CHECK(v16 == be16(t.value));
		if (t.len == 4)
			CHECK(v32 == be32(t.value));
		if (t.len == 8)
			CHECK(v64 == be64(t.value));
		count++;
	}
	/* The TLVs fill the payload exactly and the cursor stays at the end. */
	CHECK(covered == m->payload_len);
	CHECK(off == m->payload_len);
	CHECK(pf_tlv_next(m, &off, &t) == 0);
	CHECK(mask == m->field_mask);

	if (have_intent) {
		CHECK(m->intent == first_intent.value);
		CHECK(m->intent_len == first_intent.len);
		CHECK(inside(m->intent, m->intent_len, d, n));
	} else {
		CHECK(m->intent == NULL);
		CHECK(m->intent_len == 0);
	}
	struct pf_tlv found;
	CHECK(pf_tlv_find(m, PF_FIELD_INTENT, &found) == have_intent);
	if (have_intent)
		CHECK(found.value == m->intent && found.len == m->intent_len);
	return count;
}

static int
rebuild(const struct pf_msg *m, uint8_t *buf, size_t cap)
{
	struct pf_hdr_fields h = {
		.type = m->type,
		.group = m->group,
		.element = m->element,
		.capability = m->capability,
		.priority = m->priority,
		.flags = m->flags,
		.complexity = m->complexity,
		.trace_id = m->trace_id,
		.session_id = m->session_id,
		.seq = m->seq,
		.timestamp = m->timestamp,
	};
	struct pf_builder b;
	struct pf_tlv t;
	size_t off = 0;

	pf_build_start(&b, buf, cap, &h);
	while (pf_tlv_next(m, &off, &t))
		pf_build_tlv(&b, t.id, t.value, t.len);
	return pf_build_finish(&b);
}

/* Re-encode the message; the bytes must equal the input apart from the
 * reserved bytes, which the encoder zeroes. */
static void
check_reencode(const struct pf_msg *m, const uint8_t *d, size_t n)
{
	/* Exact-size heap buffers, so that ASan sees any write past cap. */
	uint8_t *out = malloc(n);
	CHECK(out != NULL);
	int r = rebuild(m, out, n);

	if (m->payload_len > PF_MAX_PAYLOAD) {
		/* The decoder takes any 16-bit payload_len; the builder refuses
		 * payloads over PF_MAX_PAYLOAD. */
		CHECK(r == -ENOSPC);
		free(out);
		return;
	}
	CHECK(r >= 0 && (size_t)r == n);
	for (size_t i = 0; i < n; i++) {
		if (i == 11 || i == 14 || i == 15)
			CHECK(out[i] == 0);
		else
			CHECK(out[i] == d[i]);
	}

	struct pf_msg again;
	CHECK(pf_decode(out, n, &again) == 0);
	check_same_msg(m, d, &again, out);
	free(out);

	/* One byte short must fail cleanly. */
	out = malloc(n - 1);
	CHECK(out != NULL);
	CHECK(rebuild(m, out, n - 1) == -ENOSPC);
	free(out);
}

static int
encode_error_into(size_t cap, const struct pf_msg *req, uint16_t code,
		  const char *text, uint8_t **bufp)
{
	uint8_t *buf = malloc(cap); /* exact size: ASan sees a write past cap */
	CHECK(buf != NULL || cap == 0);
	int r = pf_encode_error(buf, cap, req, code, text);
	*bufp = buf;
	return r;
}

/* pf_encode_error(): -ENOSPC when the buffer is short, otherwise a frame
 * that decodes as an error answering req -- also when req is the header of
 * a rejected frame, read by pf_decode_header(). */
static void
check_error_frame(const struct pf_msg *req, uint16_t code, const char *text)
{
	size_t tlen = text ? strlen(text) : 0;
	size_t exact = PF_HDR_LEN + PF_TLV_HDR_LEN + 2 +
		       (text ? PF_TLV_HDR_LEN + tlen : 0);
	const size_t small[] = {0, 1, PF_HDR_LEN - 1, PF_HDR_LEN,
				PF_HDR_LEN + PF_TLV_HDR_LEN + 1, exact - 1};
	uint8_t *buf;

	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		CHECK(encode_error_into(small[i], req, code, text, &buf) == -ENOSPC);
		free(buf);
	}

	int r = encode_error_into(exact, req, code, text, &buf);
	CHECK(r >= 0 && (size_t)r == exact);

	struct pf_msg e;
	struct pf_tlv t;
	uint16_t got;
	CHECK(pf_decode(buf, exact, &e) == 0);
	CHECK(e.type == PF_MSG_ERROR);
	CHECK(e.trace_id == req->trace_id);
	CHECK(e.session_id == req->session_id);
	CHECK(e.seq == req->seq);
	CHECK(e.timestamp == req->timestamp);
	/* A request's out-of-range group/element is not echoed (the error
	 * frame must decode): group 0..6, element 0..4 and only with a group. */
	uint8_t group = req->group <= 6 ? req->group : 0;
	uint8_t element = group != 0 && req->element <= 4 ? req->element : 0;
	CHECK(e.group == group && e.element == element);
	CHECK(e.capability == req->capability);
	CHECK(e.priority == req->priority);
	CHECK(e.flags == (req->flags & PF_FLAG_TRACE));
	CHECK(e.field_mask == (pf_field_bit(PF_FIELD_ERROR_CODE) |
			       (text ? pf_field_bit(PF_FIELD_ERROR_MSG) : 0)));
	CHECK(pf_tlv_find(&e, PF_FIELD_ERROR_CODE, &t) == 1);
	CHECK(pf_tlv_u16(&t, &got) == 0 && got == code);
	if (text) {
		CHECK(pf_tlv_find(&e, PF_FIELD_ERROR_MSG, &t) == 1);
		CHECK(t.len == tlen && memcmp(t.value, text, tlen) == 0);
	}
	free(buf);
}

/* Error frames: one without a message, one whose message is src up to its
 * first NUL (capped), so that its length varies with the input. */
static void
check_error_frames(const struct pf_msg *req, const uint8_t *src, size_t len)
{
	char text[MAX_ERR_MSG + 1];

	if (len > MAX_ERR_MSG)
		len = MAX_ERR_MSG;
	if (len)
		memcpy(text, src, len);
	text[len] = '\0';
	check_error_frame(req, (uint16_t)req->seq, NULL);
	check_error_frame(req, (uint16_t)req->seq, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_msg m, h;
	int r = pf_decode(data, size, &m);
	int want = model_verdict(data, size);
	int hr = check_decode_header(data, size, &h);

	CHECK(r == -want);
	if (r != 0) {
		CHECK(r <= -PF_DECODE_TRUNCATED && r >= -PF_DECODE_DUP_TLV);
		const char *name = pf_decode_err_name(r);
		CHECK(name != NULL && strcmp(name, "unknown") != 0 &&
		      strcmp(name, "ok") != 0);
		/* The dataplane answers a rejected frame whose header it can
		 * read; the answer must be a valid error frame. */
		if (hr == 0)
			check_error_frames(&h, data + PF_HDR_LEN,
					   size - PF_HDR_LEN);
		return 0;
	}
	CHECK(size <= MAX_FRAME);
	check_fields(&m, data, size);
	check_tlv_walk(&m, data, size);
	check_reencode(&m, data, size);
	check_error_frames(&m, m.intent, m.intent ? m.intent_len : 0);
	return 0;
}
