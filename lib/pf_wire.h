/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_wire.h: the PacketFlow binary frame -- fixed header plus TLV payload --
 * with a bounds-checked zero-copy decoder and an encoder. No EAL needed. */
#ifndef PF_WIRE_H
#define PF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default UDP destination port of PacketFlow requests. */
#define PF_UDP_PORT 7447
/** "PF" in ASCII, first two bytes of every frame. */
#define PF_MAGIC 0x5046
/** The only version this codec speaks. */
#define PF_VERSION 1
/** Size of the fixed header in bytes. */
#define PF_HDR_LEN 40
/** Size of a TLV's own header (id + length). */
#define PF_TLV_HDR_LEN 4
/**
 * Largest payload the builder writes: a frame that fits one IPv4 UDP
 * datagram. The decoder accepts any payload_len whose bytes are present
 * (IPv6 datagrams can be larger), so a decoded frame is not always
 * re-encodable.
 */
#define PF_MAX_PAYLOAD (65507 - PF_HDR_LEN)

/** Message types (header byte 3). */
enum pf_msg_type {
	PF_MSG_REQUEST = 1,
	PF_MSG_RESPONSE = 2,
	PF_MSG_ERROR = 3,
	PF_MSG_HEARTBEAT = 4,
};

/** Header flags (header byte 9). */
#define PF_FLAG_TRACE 0x01   /**< sender asks for the trace effect */
#define PF_FLAG_NOREPLY 0x02 /**< request wants no response frame */
#define PF_FLAG_REPLICA 0x04 /**< response produced by a replicated copy */
#define PF_FLAG_ALL (PF_FLAG_TRACE | PF_FLAG_NOREPLY | PF_FLAG_REPLICA)

/**
 * Well-known TLV field ids. Ids 1..63 are contract fields: a capability's
 * required and provided fields are 64-bit masks over them, checked at line
 * rate. Ids 64 and above are carried but never part of a contract.
 */
#define PF_FIELD_LIST(X)                                                      \
	X(INTENT, 1, "intent", "UTF-8 intent text, classified by Hyperscan") \
	X(DATA, 2, "data", "opaque payload bytes")                          \
	X(KEY, 3, "key", "lookup or aggregation key")                       \
	X(VALUE, 4, "value", "value stored or returned")                    \
	X(ERROR_CODE, 5, "error_code", "u16 error code of an error frame")  \
	X(ERROR_MSG, 6, "error_msg", "UTF-8 error message")                 \
	X(COUNT, 7, "count", "u64 counter value")                           \
	X(MATCH, 8, "match", "u32 ids of the patterns that matched")        \
	X(RESULT, 9, "result", "result bytes of a computation")             \
	X(TTL, 10, "ttl", "u32 time to live in milliseconds")               \
	X(TOKEN, 11, "token", "opaque credential bytes")                    \
	X(STAGE, 12, "stage", "u8 molecule stage trace")

enum pf_field {
#define X(name, id, str, desc) PF_FIELD_##name = id,
	PF_FIELD_LIST(X)
#undef X
	PF_FIELD_CONTRACT_MAX = 63, /**< highest id a contract mask can name */
};

/** Mask bit of a contract field id (0 for ids outside 1..63). */
static inline uint64_t
pf_field_bit(uint16_t id)
{
	return (id >= 1 && id <= PF_FIELD_CONTRACT_MAX) ? (UINT64_C(1) << id) : 0;
}

/** Name of a well-known field id, or NULL. */
const char *pf_field_name(uint16_t id);

/** Field id for a well-known name, or -ENOENT. */
int pf_field_by_name(const char *name);

/**
 * Decode errors. Each kind of malformation has its own value so it can be
 * counted under its own name. Values are positive; decode returns -value.
 */
#define PF_DECODE_ERR_LIST(X)                                                \
	X(TRUNCATED, 1, "truncated", "shorter than the header or its declared payload") \
	X(BAD_MAGIC, 2, "bad_magic", "first two bytes are not 0x5046")   \
	X(BAD_VERSION, 3, "bad_version", "version is not 1")             \
	X(BAD_TYPE, 4, "bad_type", "message type not 1..4")              \
	X(LENGTH_MISMATCH, 5, "length_mismatch", "bytes follow the declared payload") \
	X(BAD_GROUP, 6, "bad_group", "group not 0..6")                   \
	X(BAD_ELEMENT, 7, "bad_element", "element not 0..4, or set without a group") \
	X(BAD_FLAGS, 8, "bad_flags", "undefined flag bits set")          \
	X(BAD_TLV, 9, "bad_tlv", "TLV header or value runs past the payload") \
	X(DUP_TLV, 10, "dup_tlv", "a contract field appears twice")

enum pf_decode_err {
	PF_DECODE_OK = 0,
#define X(name, val, str, desc) PF_DECODE_##name = val,
	PF_DECODE_ERR_LIST(X)
#undef X
	PF_DECODE_ERR_MAX
};

/** Short name of a decode error ("truncated", ...), "ok" for 0. */
const char *pf_decode_err_name(int err);

/**
 * One pass over a TLV payload: every TLV's bounds, no contract field twice.
 * pf_decode() walks the payload with it; it is inline so that the
 * dataplane's fast path applies the same rules without a call.
 *
 * @param mask        contract mask of the fields seen (pf_field_bit()), set
 * @param intent      INTENT value, or NULL if none (may be NULL: not wanted)
 * @return 0, -PF_DECODE_BAD_TLV or -PF_DECODE_DUP_TLV.
 */
static inline int
pf_tlv_walk(const uint8_t *p, size_t left, uint64_t *mask,
	    const uint8_t **intent, uint16_t *intent_len)
{
	uint64_t seen = 0;

	/* The most common payload, one TLV that fills it, at once. */
	if (left >= PF_TLV_HDR_LEN &&
	    (size_t)((p[2] << 8) | p[3]) == left - PF_TLV_HDR_LEN) {
		uint16_t id = (uint16_t)((p[0] << 8) | p[1]);
		if (intent && id == PF_FIELD_INTENT) {
			*intent = p + PF_TLV_HDR_LEN;
			*intent_len = (uint16_t)(left - PF_TLV_HDR_LEN);
		}
		*mask = pf_field_bit(id);
		return 0;
	}
	while (left > 0) {
		if (left < PF_TLV_HDR_LEN)
			return -PF_DECODE_BAD_TLV;
		uint16_t id = (uint16_t)((p[0] << 8) | p[1]);
		uint16_t len = (uint16_t)((p[2] << 8) | p[3]);
		if ((size_t)len > left - PF_TLV_HDR_LEN)
			return -PF_DECODE_BAD_TLV;
		uint64_t bit = pf_field_bit(id);
		if (seen & bit)
			return -PF_DECODE_DUP_TLV;
		seen |= bit;
		if (intent && id == PF_FIELD_INTENT) {
			*intent = p + PF_TLV_HDR_LEN;
			*intent_len = len;
		}
		p += PF_TLV_HDR_LEN + (size_t)len;
		left -= PF_TLV_HDR_LEN + (size_t)len;
	}
	*mask = seen;
	return 0;
}

/**
 * Error codes carried by error frames (TLV PF_FIELD_ERROR_CODE). This list
 * is part of the protocol: values never change meaning.
 */
#define PF_ERR_LIST(X)                                                         \
	X(MALFORMED, 1, "malformed", "the request frame could not be decoded")  \
	X(UNSUPPORTED_VERSION, 2, "unsupported_version", "version not spoken") \
	X(UNKNOWN_CAPABILITY, 3, "unknown_capability", "no such capability") \
	X(MISSING_FIELD, 4, "missing_field", "a required TLV field is absent") \
	X(PAYLOAD_TOO_LARGE, 5, "payload_too_large", "payload over the capability's limit") \
	X(DENIED, 6, "denied", "a deny rule matched the request")        \
	X(FORBIDDEN, 7, "forbidden", "the session's roles do not allow it") \
	X(RATE_LIMITED, 8, "rate_limited", "over the capability's rate")  \
	X(UNCLASSIFIED, 9, "unclassified", "no capability named and no rule matched") \
	X(EXECUTION_FAILED, 10, "execution_failed", "the capability failed") \
	X(OVERLOADED, 11, "overloaded", "no worker could take the request") \
	X(NOT_FOUND, 12, "not_found", "the key is not present")          \
	X(BAD_ARGUMENT, 13, "bad_argument", "a field has an invalid value")

enum pf_err_code {
#define X(name, val, str, desc) PF_ERR_##name = val,
	PF_ERR_LIST(X)
#undef X
};

/** Short name of an error-frame code, or NULL if unknown. */
const char *pf_err_code_name(uint16_t code);

/**
 * On-wire header, all multi-byte fields big-endian. Packed so that it can
 * overlay a received buffer at any alignment; read it through pf_decode()
 * or the pf_hdr_* accessors, never field by field with host byte order.
 */
struct pf_wire_hdr {
	uint16_t magic;       /**< 0  PF_MAGIC */
	uint8_t version;      /**< 2  PF_VERSION */
	uint8_t type;         /**< 3  enum pf_msg_type */
	uint8_t group;        /**< 4  0 = unnamed, 1..6 = CF..RM */
	uint8_t element;      /**< 5  0 = unnamed, 1..4 within the group */
	uint16_t capability;  /**< 6  0 = unnamed (classify) */
	uint8_t priority;     /**< 8  0 lowest .. 255 highest */
	uint8_t flags;        /**< 9  PF_FLAG_* */
	uint8_t complexity;   /**< 10 relative cost hint */
	uint8_t reserved0;    /**< 11 zero on send, ignored on receive */
	uint16_t payload_len; /**< 12 bytes of TLV payload after the header */
	uint16_t reserved1;   /**< 14 zero on send, ignored on receive */
	uint64_t trace_id;    /**< 16 end-to-end trace id */
	uint32_t session_id;  /**< 24 client session */
	uint32_t seq;         /**< 28 sequence number within the session */
	uint64_t timestamp;   /**< 32 sender's timestamp (opaque to receivers) */
} __attribute__((packed));

_Static_assert(sizeof(struct pf_wire_hdr) == PF_HDR_LEN, "header is 40 bytes");

/** A decoded frame: header in host order plus a view of the payload. */
struct pf_msg {
	uint8_t version;
	uint8_t type;
	uint8_t group;
	uint8_t element;
	uint16_t capability;
	uint8_t priority;
	uint8_t flags;
	uint8_t complexity;
	uint16_t payload_len;
	uint64_t trace_id;
	uint32_t session_id;
	uint32_t seq;
	uint64_t timestamp;
	const uint8_t *payload; /**< points into the decoded buffer */
	uint64_t field_mask;    /**< pf_field_bit() of every contract TLV */
	const uint8_t *intent;  /**< INTENT value, or NULL */
	uint16_t intent_len;
};

/** One TLV, as walked by pf_tlv_next(). */
struct pf_tlv {
	uint16_t id;
	uint16_t len;
	const uint8_t *value;
};

/**
 * Decode and validate a frame.
 *
 * @param buf  the UDP payload
 * @param len  its length; the decoder never reads past it
 * @param msg  filled on success (payload points into buf)
 * @return 0, or -PF_DECODE_* naming the first malformation found. Checks run
 *   in this order: truncated header, magic, version, type, declared length
 *   (truncated / length_mismatch), group, element, flags, TLVs.
 */
int pf_decode(const uint8_t *buf, size_t len, struct pf_msg *msg);

/**
 * Read the fixed header without validating it, to answer a frame that
 * pf_decode() rejected. Needs len >= PF_HDR_LEN; payload fields are zeroed.
 * @return 0, or -PF_DECODE_TRUNCATED when len is too short.
 */
int pf_decode_header(const uint8_t *buf, size_t len, struct pf_msg *msg);

/**
 * Walk the TLVs of a decoded message (inline: the dataplane walks them for
 * every request).
 *
 * @param msg  a message pf_decode() accepted
 * @param off  cursor, start at 0; advanced past the returned TLV
 * @param tlv  filled with the next TLV
 * @return 1 when a TLV was returned, 0 at the end.
 */
static inline int
pf_tlv_next(const struct pf_msg *msg, size_t *off, struct pf_tlv *tlv)
{
	/* The message was validated by pf_decode(), but stay defensive: a
	 * caller may hand us a hand-built pf_msg. */
	if (*off + PF_TLV_HDR_LEN > msg->payload_len)
		return 0;
	const uint8_t *p = msg->payload + *off;
	uint16_t len = (uint16_t)((p[2] << 8) | p[3]);
	if (*off + PF_TLV_HDR_LEN + len > msg->payload_len)
		return 0;
	tlv->id = (uint16_t)((p[0] << 8) | p[1]);
	tlv->len = len;
	tlv->value = p + PF_TLV_HDR_LEN;
	*off += PF_TLV_HDR_LEN + (size_t)len;
	return 1;
}

/** Find the first TLV with this id; returns 1 and fills tlv, or 0. */
static inline int
pf_tlv_find(const struct pf_msg *msg, uint16_t id, struct pf_tlv *tlv)
{
	size_t off = 0;

	while (pf_tlv_next(msg, &off, tlv))
		if (tlv->id == id)
			return 1;
	return 0;
}

/** Fields of a header to encode, in host order. */
struct pf_hdr_fields {
	uint8_t type;
	uint8_t group;
	uint8_t element;
	uint16_t capability;
	uint8_t priority;
	uint8_t flags;
	uint8_t complexity;
	uint64_t trace_id;
	uint32_t session_id;
	uint32_t seq;
	uint64_t timestamp;
};

/** Incremental frame builder over a caller's buffer. */
struct pf_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err; /**< sticky: 0 or -ENOSPC / -EINVAL */
};

/**
 * Start a frame: writes the header (payload length fixed up by finish).
 * Sets b->err to -ENOSPC if cap < PF_HDR_LEN.
 */
void pf_build_start(struct pf_builder *b, uint8_t *buf, size_t cap,
		    const struct pf_hdr_fields *h);

/**
 * Start a builder for TLVs only: they are written from buf + PF_HDR_LEN on,
 * bytes 0..PF_HDR_LEN-1 are left alone (for callers that keep the header
 * elsewhere). Sets b->err to -ENOSPC if cap < PF_HDR_LEN.
 */
void pf_build_payload(struct pf_builder *b, uint8_t *buf, size_t cap);

/** Append one TLV; -ENOSPC (sticky) if it does not fit, -EINVAL if len > 65535. */
void pf_build_tlv(struct pf_builder *b, uint16_t id, const void *val, size_t len);

/** Append a TLV holding a big-endian u16 / u32 / u64. */
void pf_build_u16(struct pf_builder *b, uint16_t id, uint16_t v);
void pf_build_u32(struct pf_builder *b, uint16_t id, uint32_t v);
void pf_build_u64(struct pf_builder *b, uint16_t id, uint64_t v);

/**
 * Finish the frame: writes the payload length.
 * @return total frame length, or the sticky negative errno.
 */
int pf_build_finish(struct pf_builder *b);

/**
 * Encode an error frame answering req into buf. Out-of-range group and
 * element of a rejected request are not echoed (sent as 0).
 * @return frame length, -ENOSPC (buf too small, or the message would take
 *   the payload over PF_MAX_PAYLOAD), -EINVAL (message over 65535 bytes).
 */
int pf_encode_error(uint8_t *buf, size_t cap, const struct pf_msg *req,
		    uint16_t code, const char *message);

/**
 * Turn the frame in buf, whose header (at least) is there, into the error
 * frame pf_encode_error() would encode from that header, in place: header
 * bytes 16..39 (trace id, session, sequence, timestamp) and the capability
 * and priority stay where they are, the rest of the header is rewritten
 * and the code and message TLVs replace the payload. What a dataplane does
 * to answer a request it received without copying its header out and
 * back.
 * @return frame length, or the errors of pf_encode_error() (-ENOSPC also
 *   when cap < PF_HDR_LEN; then buf is untouched).
 */
int pf_encode_error_inplace(uint8_t *buf, size_t cap, uint16_t code, const char *message);

/** Read a big-endian u16/u32/u64 TLV value; 0 on success, -EINVAL on bad length. */
int pf_tlv_u16(const struct pf_tlv *t, uint16_t *v);
int pf_tlv_u32(const struct pf_tlv *t, uint32_t *v);
int pf_tlv_u64(const struct pf_tlv *t, uint64_t *v);

/** Name of a message type ("request", ...), or NULL. */
const char *pf_msg_type_name(uint8_t type);

#ifdef __cplusplus
}
#endif
#endif /* PF_WIRE_H */
