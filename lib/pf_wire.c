/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_wire.c: decoder and encoder of the PacketFlow frame. Every read and
 * write is checked against the caller's length before it happens. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "pf_periodic.h"
#include "pf_wire.h"

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t
rd64(const uint8_t *p)
{
	return ((uint64_t)rd32(p) << 32) | rd32(p + 4);
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static inline void
wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)(v >> 32));
	wr32(p + 4, (uint32_t)v);
}

static const char *const decode_err_names[] = {
	[PF_DECODE_OK] = "ok",
#define X(name, val, str, desc) [val] = str,
	PF_DECODE_ERR_LIST(X)
#undef X
};

const char *
pf_decode_err_name(int err)
{
	/* unsigned: -INT_MIN would overflow */
	unsigned int e = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;

	if (e >= PF_DECODE_ERR_MAX)
		return "unknown";
	return decode_err_names[e];
}

const char *
pf_err_code_name(uint16_t code)
{
	switch (code) {
#define X(name, val, str, desc) case val: return str;
	PF_ERR_LIST(X)
#undef X
	}
	return NULL;
}

const char *
pf_field_name(uint16_t id)
{
	switch (id) {
#define X(name, val, str, desc) case val: return str;
	PF_FIELD_LIST(X)
#undef X
	}
	return NULL;
}

int
pf_field_by_name(const char *name)
{
#define X(nm, val, str, desc) if (strcmp(name, str) == 0) return val;
	PF_FIELD_LIST(X)
#undef X
	return -ENOENT;
}

const char *
pf_msg_type_name(uint8_t type)
{
	switch (type) {
	case PF_MSG_REQUEST: return "request";
	case PF_MSG_RESPONSE: return "response";
	case PF_MSG_ERROR: return "error";
	case PF_MSG_HEARTBEAT: return "heartbeat";
	}
	return NULL;
}

/* Remembers the intent too, so the hot path never walks the payload twice. */
static inline int
scan_tlvs(struct pf_msg *m)
{
	return pf_tlv_walk(m->payload, m->payload_len, &m->field_mask, &m->intent,
			   &m->intent_len);
}

static void
read_header(const uint8_t *buf, struct pf_msg *m)
{
	m->version = buf[2];
	m->type = buf[3];
	m->group = buf[4];
	m->element = buf[5];
	m->capability = rd16(buf + 6);
	m->priority = buf[8];
	m->flags = buf[9];
	m->complexity = buf[10];
	m->payload_len = rd16(buf + 12);
	m->trace_id = rd64(buf + 16);
	m->session_id = rd32(buf + 24);
	m->seq = rd32(buf + 28);
	m->timestamp = rd64(buf + 32);
	m->field_mask = 0;
	m->intent = NULL;
	m->intent_len = 0;
}

int
pf_decode_header(const uint8_t *buf, size_t len, struct pf_msg *m)
{
	if (len < PF_HDR_LEN)
		return -PF_DECODE_TRUNCATED;
	read_header(buf, m);
	m->payload = buf + PF_HDR_LEN;
	m->payload_len = 0;
	return 0;
}

int
pf_decode(const uint8_t *buf, size_t len, struct pf_msg *m)
{
	if (len < PF_HDR_LEN)
		return -PF_DECODE_TRUNCATED;
	if (rd16(buf) != PF_MAGIC)
		return -PF_DECODE_BAD_MAGIC;
	if (buf[2] != PF_VERSION)
		return -PF_DECODE_BAD_VERSION;
	if (buf[3] < PF_MSG_REQUEST || buf[3] > PF_MSG_HEARTBEAT)
		return -PF_DECODE_BAD_TYPE;

	uint16_t plen = rd16(buf + 12);
	if (len < (size_t)PF_HDR_LEN + plen)
		return -PF_DECODE_TRUNCATED;
	if (len > (size_t)PF_HDR_LEN + plen)
		return -PF_DECODE_LENGTH_MISMATCH;
	if (buf[4] > PF_GROUP_COUNT)
		return -PF_DECODE_BAD_GROUP;
	if (buf[5] > PF_ELEMENTS_PER_GROUP || (buf[5] != 0 && buf[4] == 0))
		return -PF_DECODE_BAD_ELEMENT;
	if (buf[9] & ~PF_FLAG_ALL)
		return -PF_DECODE_BAD_FLAGS;

	read_header(buf, m);
	m->payload = buf + PF_HDR_LEN;
	return scan_tlvs(m);
}

int
pf_tlv_u16(const struct pf_tlv *t, uint16_t *v)
{
	if (t->len != 2)
		return -EINVAL;
	*v = rd16(t->value);
	return 0;
}

int
pf_tlv_u32(const struct pf_tlv *t, uint32_t *v)
{
	if (t->len != 4)
		return -EINVAL;
	*v = rd32(t->value);
	return 0;
}

int
pf_tlv_u64(const struct pf_tlv *t, uint64_t *v)
{
	if (t->len != 8)
		return -EINVAL;
	*v = rd64(t->value);
	return 0;
}

void
pf_build_start(struct pf_builder *b, uint8_t *buf, size_t cap,
	       const struct pf_hdr_fields *h)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->err = 0;
	if (cap < PF_HDR_LEN) {
		b->err = -ENOSPC;
		return;
	}
	wr16(buf, PF_MAGIC);
	buf[2] = PF_VERSION;
	buf[3] = h->type;
	buf[4] = h->group;
	buf[5] = h->element;
	wr16(buf + 6, h->capability);
	buf[8] = h->priority;
	buf[9] = h->flags;
	buf[10] = h->complexity;
	buf[11] = 0;
	wr16(buf + 12, 0);
	wr16(buf + 14, 0);
	wr64(buf + 16, h->trace_id);
	wr32(buf + 24, h->session_id);
	wr32(buf + 28, h->seq);
	wr64(buf + 32, h->timestamp);
	b->len = PF_HDR_LEN;
}

void
pf_build_payload(struct pf_builder *b, uint8_t *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->len = PF_HDR_LEN;
	b->err = cap < PF_HDR_LEN ? -ENOSPC : 0;
}

void
pf_build_tlv(struct pf_builder *b, uint16_t id, const void *val, size_t len)
{
	if (b->err)
		return;
	if (len > UINT16_MAX) {
		b->err = -EINVAL;
		return;
	}
	if (b->cap - b->len < PF_TLV_HDR_LEN + len ||
	    b->len - PF_HDR_LEN + PF_TLV_HDR_LEN + len > PF_MAX_PAYLOAD) {
		b->err = -ENOSPC;
		return;
	}
	uint8_t *p = b->buf + b->len;
	wr16(p, id);
	wr16(p + 2, (uint16_t)len);
	if (len)
		memmove(p + PF_TLV_HDR_LEN, val, len);
	b->len += PF_TLV_HDR_LEN + len;
}

void
pf_build_u16(struct pf_builder *b, uint16_t id, uint16_t v)
{
	uint8_t tmp[2];

	wr16(tmp, v);
	pf_build_tlv(b, id, tmp, sizeof(tmp));
}

void
pf_build_u32(struct pf_builder *b, uint16_t id, uint32_t v)
{
	uint8_t tmp[4];

	wr32(tmp, v);
	pf_build_tlv(b, id, tmp, sizeof(tmp));
}

void
pf_build_u64(struct pf_builder *b, uint16_t id, uint64_t v)
{
	uint8_t tmp[8];

	wr64(tmp, v);
	pf_build_tlv(b, id, tmp, sizeof(tmp));
}

int
pf_build_finish(struct pf_builder *b)
{
	if (b->err)
		return b->err;
	wr16(b->buf + 12, (uint16_t)(b->len - PF_HDR_LEN));
	return (int)b->len;
}

int
pf_encode_error(uint8_t *buf, size_t cap, const struct pf_msg *req,
		uint16_t code, const char *message)
{
	/* A rejected request may carry out-of-range fields: never echo
	 * them, an error frame must itself decode. */
	uint8_t group = req->group <= PF_GROUP_COUNT ? req->group : 0;
	uint8_t element = group && req->element <= PF_ELEMENTS_PER_GROUP ? req->element : 0;
	struct pf_hdr_fields h = {
		.type = PF_MSG_ERROR,
		.group = group,
		.element = element,
		.capability = req->capability,
		.priority = req->priority,
		.flags = req->flags & PF_FLAG_TRACE,
		.complexity = 0,
		.trace_id = req->trace_id,
		.session_id = req->session_id,
		.seq = req->seq,
		.timestamp = req->timestamp,
	};
	struct pf_builder b;

	pf_build_start(&b, buf, cap, &h);
	pf_build_u16(&b, PF_FIELD_ERROR_CODE, code);
	if (message)
		pf_build_tlv(&b, PF_FIELD_ERROR_MSG, message, strlen(message));
	return pf_build_finish(&b);
}

int
pf_encode_error_inplace(uint8_t *buf, size_t cap, uint16_t code, const char *message)
{
	size_t mlen = message ? strlen(message) : 0;
	size_t plen = PF_TLV_HDR_LEN + 2 + (message ? PF_TLV_HDR_LEN + mlen : 0);

	if (cap < PF_HDR_LEN)
		return -ENOSPC;
	/* As pf_encode_error() does with a decoded header: never echo an
	 * out-of-range group or element. */
	uint8_t group = buf[4] <= PF_GROUP_COUNT ? buf[4] : 0;
	uint8_t element = group && buf[5] <= PF_ELEMENTS_PER_GROUP ? buf[5] : 0;
	wr16(buf, PF_MAGIC);
	buf[2] = PF_VERSION;
	buf[3] = PF_MSG_ERROR;
	buf[4] = group;
	buf[5] = element;
	buf[9] &= PF_FLAG_TRACE;
	buf[10] = 0; /* complexity */
	buf[11] = 0;
	wr16(buf + 14, 0);
	/* The builder's checks, in its order, and its TLVs written directly:
	 * a dataplane makes one of these for every refused request. */
	if (mlen > UINT16_MAX)
		return -EINVAL;
	if (cap - PF_HDR_LEN < plen || plen > PF_MAX_PAYLOAD)
		return -ENOSPC;
	uint8_t *p = buf + PF_HDR_LEN;
	wr16(p, PF_FIELD_ERROR_CODE);
	wr16(p + 2, 2);
	wr16(p + 4, code);
	if (message) {
		wr16(p + 6, PF_FIELD_ERROR_MSG);
		wr16(p + 8, (uint16_t)mlen);
		memcpy(p + 6 + PF_TLV_HDR_LEN, message, mlen);
	}
	wr16(buf + 12, (uint16_t)plen);
	return (int)(PF_HDR_LEN + plen);
}
