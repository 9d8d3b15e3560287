/* SPDX-License-Identifier: BSD-3-Clause */
/* rx.c: the receive path -- Ethernet (VLAN) / IPv4 / UDP parse, frame
 * validation, classification (header, else Hyperscan), admission, routing. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "pf_dp.h"

/* The one's-complement sum of an IPv4 header is 0xffff when its checksum is
 * right. Options-free headers (the common case) are five 32-bit words, as
 * loaded from memory (the sum is byte order independent, RFC 1071). A
 * one's-complement sum is the plain sum modulo 0xffff, with 0xffff for a
 * non-zero multiple: one test of divisibility by a constant (a multiply)
 * instead of folding the carries back in four times. */
static inline bool
cksum5_ok(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3, uint32_t w4)
{
	uint64_t sum = (uint64_t)w0 + w1 + w2 + w3 + w4;

	return sum != 0 && sum % 0xffff == 0;
}

static inline bool
ipv4_cksum_ok(const void *ip, uint32_t ihl)
{
	if (likely(ihl == 20)) {
		const uint8_t *p = ip;
		uint32_t w0, w1, w2, w3, w4; /* loads at any alignment */
		memcpy(&w0, p, 4);
		memcpy(&w1, p + 4, 4);
		memcpy(&w2, p + 8, 4);
		memcpy(&w3, p + 12, 4);
		memcpy(&w4, p + 16, 4);
		return cksum5_ok(w0, w1, w2, w3, w4);
	}
	return rte_raw_cksum(ip, ihl) == 0xffff;
}

/* parse() returns a drop reason, or this when the packet is ours. */
#define PARSE_OK PF_DROP_MAX

/* Where the layers start, or why the packet is not ours. */
struct parsed {
	uint16_t l3_off;
	uint16_t pf_off;
	uint16_t pf_len;
};

static inline unsigned int
parse(struct rte_mbuf *m, uint16_t udp_port, struct parsed *p)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t off = sizeof(struct rte_ether_hdr);

	if (unlikely(len < off))
		return PF_DROP_NOT_IPV4;
	uint16_t type = ((const struct rte_ether_hdr *)d)->ether_type;
	/* Up to two tags (802.1Q, 802.1ad / QinQ). */
	for (int tags = 0; tags < 2; tags++) {
		if (type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) &&
		    type != rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ))
			break;
		if (len < off + sizeof(struct rte_vlan_hdr))
			return PF_DROP_NOT_IPV4;
		type = ((const struct rte_vlan_hdr *)(d + off))->eth_proto;
		off += sizeof(struct rte_vlan_hdr);
	}
	if (type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return PF_DROP_NOT_IPV4;

	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + off);
	if (unlikely(len < off + sizeof(*ip)))
		return PF_DROP_BAD_IPV4;
	uint32_t ihl = (ip->version_ihl & 0xf) * 4u;
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
		     tot < ihl || off + tot > len))
		return PF_DROP_BAD_IPV4;
	/* The answer's checksum is updated incrementally from the request's,
	 * so the request's must be right: trust the NIC's verdict when it
	 * gives one, else check it here. */
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (unlikely(ck == RTE_MBUF_F_RX_IP_CKSUM_BAD))
		return PF_DROP_BAD_IPV4;
	if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && unlikely(!ipv4_cksum_ok(ip, ihl)))
		return PF_DROP_BAD_IPV4;
	if (unlikely(ip->fragment_offset &
		     rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return PF_DROP_IP_FRAGMENT;
	if (ip->next_proto_id != IPPROTO_UDP)
		return PF_DROP_NOT_UDP;
	if (unlikely(tot < ihl + sizeof(struct rte_udp_hdr)))
		return PF_DROP_BAD_UDP;
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(d + off + ihl);
	if (udp->dst_port != rte_cpu_to_be_16(udp_port))
		return PF_DROP_WRONG_PORT;
	uint32_t ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(ulen < sizeof(*udp) || ulen > tot - ihl))
		return PF_DROP_BAD_UDP;

	p->l3_off = (uint16_t)off;
	p->pf_off = (uint16_t)(off + ihl + sizeof(*udp));
	p->pf_len = (uint16_t)(ulen - sizeof(*udp));
	return PARSE_OK;
}

/* ---- classification ---- */

struct scan_ctx {
	uint32_t best;   /**< lowest index of a classify rule that matched */
	uint32_t deny;   /**< lowest index of a deny/drop rule that matched */
	uint32_t hits;
	const struct pf_rule_rt *actions;
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
	 unsigned int flags, void *arg)
{
	struct scan_ctx *c = arg;

	RTE_SET_USED(from);
	RTE_SET_USED(to);
	RTE_SET_USED(flags);
	c->hits++;
	if (c->actions[id].action == PF_RULE_CLASSIFY) {
		if (id < c->best)
			c->best = id;
	} else if (id < c->deny) {
		c->deny = id;
	}
	return 0; /* keep scanning: a later deny rule still wins */
}

enum verdict { V_OK, V_DENY, V_DROP, V_NONE, V_NORULES };

/* Hyperscan over one text: deny/drop rules win, then the first classify
 * rule in file order. */
static enum verdict
scan(struct pf_lcore *lc, const struct pf_rules_tables *r, const uint8_t *text,
     unsigned int len, uint16_t *cap_id)
{
	struct scan_ctx c = { UINT32_MAX, UINT32_MAX, 0, r->actions };

	hs_scan(r->db, (const char *)text, len, 0, r->scratch[lc->lcore_id],
		on_match, &c);
	lc->st->rule_hits += c.hits;
	if (c.deny != UINT32_MAX)
		return r->actions[c.deny].action == PF_RULE_DROP ? V_DROP : V_DENY;
	if (c.best == UINT32_MAX)
		return V_NONE;
	*cap_id = r->actions[c.best].cap_id;
	return V_OK;
}

/*
 * The verdict is a function of the text and the rules generation alone, and
 * requests repeat their intents: each lcore remembers the verdicts of the
 * texts it scanned (dataplane.classify_cache), exact match on the whole
 * text, forgotten when the rules change. A set-associative table: the CRC
 * of the text picks a set, whose tags share one cache line; a tag that
 * matches is confirmed by comparing the text; a miss replaces the set's
 * ways in turn.
 */
/* CRC-32C of one 8-byte word: the instruction itself where the build
 * targets SSE 4.2 (DPDK's -march=corei7 does), rather than
 * rte_hash_crc_8byte(), which tests a global for the algorithm per call. */
static inline uint32_t
crc8b(uint64_t w, uint32_t v)
{
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	return (uint32_t)__builtin_ia32_crc32di(v, w);
#else
	return rte_hash_crc_8byte(w, v);
#endif
}

static inline uint64_t
ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v)); /* any alignment */
	return v;
}

/*
 * Hash of a text at any alignment, for the classification cache: CRC-32C
 * in two chains over alternate 8-byte words (a CRC instruction waits for
 * the one before it; two chains halve the wait), the last word overlapping
 * the one before instead of a byte loop, the length mixed in first.
 */
static inline uint32_t
text_hash(const uint8_t *p, unsigned int len)
{
	uint32_t a = len, b = 0x9e3779b9u;
	unsigned int i = 0;

	if (len < 8) {
		uint64_t w = 0;
		memcpy(&w, p, len);
		return crc8b(w, a);
	}
	for (; i + 16 <= len; i += 16) {
		a = crc8b(ld64(p + i), a);
		b = crc8b(ld64(p + i + 8), b);
	}
	if (i + 8 <= len) {
		a = crc8b(ld64(p + i), a);
		i += 8;
	}
	if (i < len)
		b = crc8b(ld64(p + len - 8), b);
	return a ^ ((b << 16) | (b >> 16));
}

/* Equal texts of up to PF_CCACHE_KEY bytes, in word loads (the last word
 * overlaps the one before rather than reading past the end). */
static inline bool
text_eq(const uint8_t *a, const uint8_t *b, unsigned int len)
{
	if (len >= 8) {
		uint64_t x, y;
		for (unsigned int i = 0; i + 8 < len; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + len - 8, 8);
		memcpy(&y, b + len - 8, 8);
		return x == y;
	}
	if (len >= 4) {
		uint32_t x0, y0, x1, y1;
		memcpy(&x0, a, 4);
		memcpy(&y0, b, 4);
		memcpy(&x1, a + len - 4, 4);
		memcpy(&y1, b + len - 4, 4);
		return x0 == y0 && x1 == y1;
	}
	for (unsigned int i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* The cache's verdict on a text (V_* and *cap_id), or -1 when it has none
 * (then *h is the text's hash, for ccache_put()). */
static inline int
ccache_get(struct pf_lcore *lc, const struct pf_rules_tables *r, const uint8_t *text,
	   unsigned int len, uint16_t *cap_id, uint32_t *h)
{
	if (unlikely(lc->ccache_gen != r->gen)) {
		for (uint32_t i = 0; i <= lc->ccache_mask; i++)
			lc->ccache[i].valid = 0;
		lc->ccache_gen = r->gen;
	}
	*h = text_hash(text, len);
	uint32_t si = *h & lc->ccache_mask;
	uint16_t tag = (uint16_t)(*h >> 16);
	const struct pf_ccache_set *set = &lc->ccache[si];
	for (unsigned int w = 0; w < PF_CCACHE_WAYS; w++) {
		if ((set->valid & (1u << w)) && set->tag[w] == tag && set->len[w] == len &&
		    text_eq(lc->ccache_text[si][w], text, len)) {
			*cap_id = set->cap_id[w];
			return set->verdict[w];
		}
	}
	return -1;
}

/* What the fast path learned of a frame's intent in the cache, so that
 * handle() does not look it up a second time. */
struct cls_hint {
	int8_t state;     /**< -1 nothing; 0 a miss (h set); 1 a hit (verdict, cap_id) */
	uint8_t verdict;
	uint16_t cap_id;
	uint32_t h;       /**< the text's hash */
	/* The frame has the fast path's shape and passed every check parse()
	 * and pf_decode() make (shape set): where the TLVs are and what they
	 * hold, so that handle() only reads the header. */
	bool shape;
	uint16_t plen;    /**< payload length */
	uint16_t intent_len;
	const uint8_t *intent;
	uint64_t mask;    /**< contract fields present */
	const struct pf_cap_rt *cap; /**< the capability it named or the cache gave */
};

static inline enum verdict
scan_cached(struct pf_lcore *lc, const struct pf_rules_tables *r,
	    const uint8_t *text, unsigned int len, uint16_t *cap_id,
	    const struct cls_hint *hint)
{
	uint32_t h;
	int hit;

	if (!lc->ccache || len >= PF_CCACHE_KEY)
		return scan(lc, r, text, len, cap_id);
	if (hint->state == 1) {
		hit = hint->verdict;
		*cap_id = hint->cap_id;
	} else if (hint->state == 0) {
		hit = -1;
		h = hint->h;
	} else {
		hit = ccache_get(lc, r, text, len, cap_id, &h);
	}
	if (hit >= 0) {
		lc->st->cls_cache_hits++;
		return (enum verdict)hit;
	}
	uint32_t si = h & lc->ccache_mask;
	uint16_t tag = (uint16_t)(h >> 16);
	struct pf_ccache_set *set = &lc->ccache[si];
	lc->st->cls_cache_misses++;
	enum verdict v = scan(lc, r, text, len, cap_id);
	unsigned int w = set->victim;
	set->victim = (uint8_t)((w + 1) % PF_CCACHE_WAYS);
	set->tag[w] = tag;
	set->len[w] = (uint8_t)len;
	set->cap_id[w] = v == V_OK ? *cap_id : 0;
	set->verdict[w] = (uint8_t)v;
	memcpy(lc->ccache_text[si][w], text, len);
	set->valid |= (uint8_t)(1u << w);
	return v;
}

static inline enum verdict
classify(struct pf_lcore *lc, const struct pf_rules_tables *r,
	 const struct pf_msg *msg, uint16_t *cap_id, const struct cls_hint *hint)
{
	const uint8_t *text = msg->intent;
	unsigned int len = msg->intent_len;
	struct pf_tlv t;

	if (!r->db)
		return V_NORULES;
	if (!text && pf_tlv_find(msg, PF_FIELD_DATA, &t)) {
		text = t.value;
		len = t.len;
	}
	if (!text)
		return V_NONE;
	enum verdict v = scan_cached(lc, r, text, len, cap_id, hint);
	if (v == V_OK && !msg->capability && !(msg->group && msg->element))
		lc->st->classified++;
	return v;
}

/* ---- admission ---- */

static inline uint64_t
session_roles(const struct pf_tables *t, uint32_t session)
{
	int lo = 0, hi = (int)t->n_sessions - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct pf_session_conf *s = &t->sessions[mid];
		if (session < s->first)
			hi = mid - 1;
		else if (session > s->last)
			lo = mid + 1;
		else
			return s->roles;
	}
	return t->cfg->default_roles;
}

/* Meters follow the registry generation; reconfigured off the packet path
 * of any given frame, once per generation. */
static void
sync_meters(struct pf_lcore *lc, const struct pf_tables *t)
{
	for (int i = 0; i < t->cfg->n_caps; i++) {
		const struct pf_cap_rt *c = &t->caps[i];
		if (c->rate_pps)
			rte_meter_srtcm_config(&lc->meters[c->slot],
					       (struct rte_meter_srtcm_profile *)(uintptr_t)&c->meter);
	}
	lc->meter_gen = t->gen;
}

static inline uint16_t
admit(struct pf_lcore *lc, const struct pf_tables *t, const struct pf_cap_rt *cap,
      const struct pf_msg *msg, const char **why)
{
	if (cap->roles && !(session_roles(t, msg->session_id) & cap->roles)) {
		*why = "the session's roles do not allow this capability";
		return PF_ERR_FORBIDDEN;
	}
	uint64_t missing = cap->requires & ~msg->field_mask;
	if (missing) {
		static const char *const names[PF_FIELD_CONTRACT_MAX + 1] = {
#define X(name, id, str, desc) [id] = "missing field " str,
			PF_FIELD_LIST(X)
#undef X
		};
		unsigned int id = (unsigned int)__builtin_ctzll(missing);
		*why = names[id] ? names[id] : "missing a required field";
		return PF_ERR_MISSING_FIELD;
	}
	if (msg->payload_len > cap->max_payload) {
		*why = "payload over the capability's max_payload";
		return PF_ERR_PAYLOAD_TOO_LARGE;
	}
	if (cap->rate_pps) {
		if (unlikely(lc->meter_gen != t->gen))
			sync_meters(lc, t);
		/* DPDK's prototype lacks const; the profile is only read. */
		if (rte_meter_srtcm_color_blind_check(&lc->meters[cap->slot],
			(struct rte_meter_srtcm_profile *)(uintptr_t)&cap->meter,
						      rte_rdtsc(), 1) == RTE_COLOR_RED) {
			*why = "over the capability's rate";
			return PF_ERR_RATE_LIMITED;
		}
	}
	return 0;
}

/* Flow-hash key: a stateful element's key keeps the key on one lcore;
 * otherwise the session keeps the session in order. */
static inline uint32_t
flow_key(const struct pf_cap_rt *cap, const struct pf_msg *msg)
{
	struct pf_tlv t;

	if ((pf_elements[cap->number - 1].props & PF_PROP_STATEFUL) &&
	    (msg->field_mask & pf_field_bit(PF_FIELD_KEY)) &&
	    pf_tlv_find(msg, PF_FIELD_KEY, &t))
		return pf_crc(t.value, t.len, 0);
	return rte_hash_crc_4byte(msg->session_id, 0);
}

static void
answer_heartbeat(struct pf_lcore *lc, struct rte_mbuf *m, const struct pf_msg *msg)
{
	struct pf_meta *meta = pf_meta(m);
	uint8_t *pf = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->pf_off);
	struct pf_hdr_fields h = {
		.type = PF_MSG_HEARTBEAT,
		.flags = PF_FLAG_NOREPLY, /* never answer an answer */
		.trace_id = msg->trace_id,
		.session_id = msg->session_id,
		.seq = msg->seq,
		.timestamp = msg->timestamp,
	};
	struct pf_builder b;

	pf_build_start(&b, pf, PF_HDR_LEN, &h);
	pf_build_finish(&b);
	pf_send_back(lc, m, 0);
}

/* Decode the frame's request into msg; false when the frame was answered
 * or dropped instead (malformed, an answer, a heartbeat). */
static inline bool
decode_request(struct pf_lcore *lc, struct rte_mbuf *m, const uint8_t *pf, uint16_t pf_len,
	       struct pf_msg *msg)
{
	int rc = pf_decode(pf, pf_len, msg);

	if (unlikely(rc < 0)) {
		lc->st->malformed[-rc]++;
		if (pf_len < PF_HDR_LEN) {
			pf_drop(lc, m, PF_DROP_FRAME_TRUNCATED);
			return false;
		}
		if (rc == -PF_DECODE_BAD_MAGIC) {
			pf_drop(lc, m, PF_DROP_FRAME_BAD_MAGIC);
			return false;
		}
		if (pf[3] == PF_MSG_RESPONSE || pf[3] == PF_MSG_ERROR) {
			/* A broken answer is still an answer: never answered. */
			pf_drop(lc, m, PF_DROP_NOT_REQUEST);
			return false;
		}
		/* The header is readable: tell the sender what was wrong. */
		pf_answer_error(lc, m,
				rc == -PF_DECODE_BAD_VERSION ? PF_ERR_UNSUPPORTED_VERSION
							     : PF_ERR_MALFORMED,
				pf_decode_err_name(rc));
		return false;
	}
	if (unlikely(msg->type != PF_MSG_REQUEST)) {
		if (msg->type != PF_MSG_HEARTBEAT)
			pf_drop(lc, m, PF_DROP_NOT_REQUEST);
		else if (msg->flags & PF_FLAG_NOREPLY)
			pf_drop(lc, m, PF_DROP_NOREPLY);
		else
			answer_heartbeat(lc, m, msg);
		return false;
	}
	return true;
}

static __rte_noinline void
handle(struct pf_lcore *lc, struct rte_mbuf *m, const struct pf_tables *t,
       const struct pf_rules_tables *r, uint64_t now, const struct cls_hint *hint)
{
	const struct pf_config *cfg = pf_dp.cfg;
	struct pf_stats_lcore *st = lc->st;
	struct pf_meta *meta = pf_meta(m);
	struct parsed p;
	struct pf_msg *msgp = &lc->msg; /* the stages reuse this decode */

	if (hint->shape) {
		/* fast_answer() checked it all: untagged IPv4 without options. */
		p.l3_off = sizeof(struct rte_ether_hdr);
		p.pf_off = (uint16_t)(p.l3_off + sizeof(struct rte_ipv4_hdr) +
				      sizeof(struct rte_udp_hdr));
		p.pf_len = (uint16_t)(PF_HDR_LEN + hint->plen);
	} else {
		unsigned int drop = parse(m, cfg->udp_port, &p);
		if (unlikely(drop != PARSE_OK)) {
			if (cfg->pass_non_pf && (drop == PF_DROP_NOT_IPV4 ||
						 drop == PF_DROP_NOT_UDP ||
						 drop == PF_DROP_WRONG_PORT)) {
				st->passed++;
				m->port = pf_dp.peer_port[m->port];
				pf_tx(lc, m);
				return;
			}
			pf_drop(lc, m, (enum pf_drop)drop);
			return;
		}
	}
	meta->rx_tsc = now;
	meta->l3_off = p.l3_off;
	meta->pf_off = p.pf_off;
	meta->cap_id = 0;
	meta->audit = 0;

	const uint8_t *pf = rte_pktmbuf_mtod_offset(m, const uint8_t *, p.pf_off);
	if (hint->shape) {
		/* Its TLVs were walked: only the header is left to read. */
		pf_decode_header(pf, PF_HDR_LEN, msgp);
		msgp->payload_len = hint->plen;
		msgp->field_mask = hint->mask;
		msgp->intent = hint->intent;
		msgp->intent_len = hint->intent_len;
	} else if (!decode_request(lc, m, pf, p.pf_len, msgp)) {
		return;
	}

	/* Classify: the header's capability, its element, or Hyperscan. Deny
	 * rules apply to every request: one that names its capability is
	 * scanned too when the rules hold any deny or drop rule. */
	const struct pf_cap_rt *cap;
	uint16_t id = msgp->capability, found = 0;
	enum verdict v = V_OK;
	if (!id && msgp->group && msgp->element) {
		id = t->by_element[(msgp->group - 1) * PF_ELEMENTS_PER_GROUP + msgp->element];
		if (!id) {
			pf_answer_error(lc, m, PF_ERR_UNKNOWN_CAPABILITY,
					"no capability for this element");
			return;
		}
	}
	if (!id || r->n_deny)
		v = classify(lc, r, msgp, &found, hint);
	switch (v) {
	case V_DENY:
		pf_audit(lc, 0, 0, pf, PF_ERR_DENIED, now);
		pf_answer_error(lc, m, PF_ERR_DENIED, "denied by rule");
		return;
	case V_DROP:
		pf_audit(lc, 0, 0, pf, PF_ERR_DENIED, now);
		pf_drop(lc, m, PF_DROP_DENY_DROP);
		return;
	case V_OK:
		if (!id)
			id = found;
		break;
	default:
		if (id)
			break; /* named: no classify rule needed */
		pf_answer_error(lc, m, PF_ERR_UNCLASSIFIED,
				v == V_NORULES ? "no capability named and no rules loaded"
					       : "no capability named and no rule matched");
		return;
	}
	cap = hint->cap && hint->cap->id == id ? hint->cap : pf_cap_lookup(t, id);
	if (unlikely(!cap)) {
		pf_answer_error(lc, m, PF_ERR_UNKNOWN_CAPABILITY, "unknown capability");
		return;
	}
	meta->cap_id = cap->id;
	meta->cap_slot = cap->slot;
	meta->audit = cap->audit;
	if (unlikely(msgp->group && (msgp->group != cap->group ||
				   (msgp->element && msgp->element != cap->element)))) {
		pf_answer_error(lc, m, PF_ERR_BAD_ARGUMENT,
				"header's group/element differ from the capability's");
		return;
	}

	const char *why = NULL;
	uint16_t err = admit(lc, t, cap, msgp, &why);
	if (unlikely(err)) {
		pf_answer_error(lc, m, err, why);
		return;
	}
	meta->flow_hash = cap->needs_flow ? flow_key(cap, msgp) : 0;
	pf_route(lc, m, cap, cap->policy.high_prio || msgp->priority >= cfg->high_prio_min);
}

/* Loads at any alignment, and constants in wire byte order, for checks of
 * several header fields at once. */
static inline uint32_t
ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
wire32(uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	const uint8_t b[4] = { b0, b1, b2, b3 };

	return ld32(b);
}

/* The data field's value in a payload pf_tlv_walk() accepted, whose mask
 * has the field. */
static inline uint8_t *
data_field(uint8_t *p, uint16_t *len)
{
	for (;;) {
		uint16_t id = (uint16_t)((p[0] << 8) | p[1]);
		uint16_t l = (uint16_t)((p[2] << 8) | p[3]);
		if (id == PF_FIELD_DATA) {
			*len = l;
			return p + PF_TLV_HDR_LEN;
		}
		p += PF_TLV_HDR_LEN + l;
	}
}

/*
 * What fast_answer() does for a capability besides answering (fast_work):
 * the data rewritten where it is (DF.tr, or a molecule's stages in turn, as
 * run_stages() runs them), and a field put before the payload -- the
 * element's output (ED.pt's matches, as commit() adds it) or a molecule's
 * stage trace (as finish() adds it). Everything is checked before anything
 * is written: -1 leaves the frame as it was, for the full path, when the
 * data field is missing, the mbuf is shared (a rewrite needs it alone, as
 * pf_exec_rewrite() does), the request carries the field to be added
 * already (commit() would replace it), the longer payload would not fit
 * where commit() puts it, or the element fails. Else the payload's length
 * after it.
 */
static __rte_noinline int32_t
fast_work(struct pf_lcore *lc, const struct rte_mbuf *m, const struct pf_cap_rt *cap,
	  const struct pf_rules_tables *r, uint8_t *pf, uint32_t pf_off, uint32_t plen,
	  uint64_t mask)
{
	uint8_t *p = pf + PF_HDR_LEN, *data = NULL;
	uint16_t data_len = 0;
	uint32_t add = 0; /* bytes of lc->out put before the payload */

	if (cap->fast_work & (PF_FAST_REWRITE | PF_FAST_OUTPUT)) {
		if (!(mask & pf_field_bit(PF_FIELD_DATA)))
			return -1;
		data = data_field(p, &data_len);
	}
	if ((cap->fast_work & PF_FAST_REWRITE) && rte_mbuf_refcnt_read(m) != 1)
		return -1;
	if (cap->fast_work & PF_FAST_OUTPUT) {
		if (mask & pf_field_bit(cap->output_field))
			return -1;
		int n = cap->output(lc, r, data, data_len, lc->out);
		if (n < 0)
			return -1;
		add = (uint32_t)n;
	} else if (cap->n_stages) {
		if (mask & pf_field_bit(PF_FIELD_STAGE))
			return -1;
		add = PF_TLV_HDR_LEN + 2u * cap->n_stages;
		lc->out[0] = 0;
		lc->out[1] = PF_FIELD_STAGE;
		lc->out[2] = 0;
		lc->out[3] = (uint8_t)(2u * cap->n_stages);
		for (unsigned int s = 0; s < cap->n_stages; s++) {
			lc->out[PF_TLV_HDR_LEN + 2 * s] = cap->stage[s].cap->number;
			lc->out[PF_TLV_HDR_LEN + 2 * s + 1] = (uint8_t)lc->lcore_id;
		}
	}
	if (add && (plen + add > RTE_MIN(sizeof(lc->merge), (size_t)PF_MAX_PAYLOAD) ||
		    pf_off + PF_HDR_LEN + plen + add > (uint32_t)m->buf_len - m->data_off))
		return -1;

	/* Checked: from here on the frame changes. */
	if (!cap->n_stages) {
		if (cap->rewrite)
			cap->rewrite(data, data_len);
	} else {
		for (unsigned int s = 0; s < cap->n_stages; s++)
			if (cap->stage[s].cap->rewrite)
				cap->stage[s].cap->rewrite(data, data_len);
	}
	if (add) {
		memmove(p + add, p, plen);
		memcpy(p, lc->out, add);
		plen += add;
		pf[12] = (uint8_t)(plen >> 8);
		pf[13] = (uint8_t)plen;
	}
	return (int32_t)plen;
}

/*
 * The capability the classification cache's verdict on an intent names, or
 * NULL; what the cache said goes into the hint, for handle() (a scan on a
 * miss, an error frame...). Out of line: the loop of header-routed frames
 * keeps its registers.
 */
static __rte_noinline const struct pf_cap_rt *
fast_classify(struct pf_lcore *lc, const struct pf_tables *t, const struct pf_rules_tables *r,
	      const uint8_t *intent, uint16_t intent_len, const struct pf_cap_rt *last,
	      struct cls_hint *hint)
{
	uint16_t cid = 0;
	int v = ccache_get(lc, r, intent, intent_len, &cid, &hint->h);

	hint->state = v >= 0;
	hint->verdict = (uint8_t)v;
	hint->cap_id = cid;
	if (v != V_OK)
		return NULL;
	return last && last->id == cid ? last : pf_cap_lookup(t, cid);
}

/*
 * The fast path. Most requests have one shape: untagged Ethernet, IPv4
 * without options, UDP to our port, a well-formed request that names a
 * capability (or whose intent's verdict the classification cache holds)
 * RX may answer by itself (pf_cap_rt.fast: one element that answers with
 * its input, as it is or with its data rewritten where it is, or adds one
 * field made from the data, or a molecule of identities and rewrites, on
 * this lcore only, no roles, rate or audit
 * record) and carries what it requires. One pass over such a frame checks
 * what handle() would and turns it into the response. It only ever says
 * yes: anything else -- every error, every drop, every other shape --
 * leaves the frame untouched for handle(), which starts over. The answer,
 * the counters and the latency entry are those handle() makes (the
 * fast-path scenario of the integration tests replays the same traffic
 * both ways and compares them).
 */
static inline const struct pf_cap_rt *
fast_answer(struct pf_lcore *lc, struct rte_mbuf *m, const struct pf_tables *t,
	    const struct pf_rules_tables *r, uint16_t port_be, const struct pf_cap_rt *last,
	    struct cls_hint *hint)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	const uint32_t l3 = sizeof(struct rte_ether_hdr);
	const uint32_t l4 = l3 + sizeof(struct rte_ipv4_hdr);
	const uint32_t l5 = l4 + sizeof(struct rte_udp_hdr);

	if (unlikely(len < l5 + PF_HDR_LEN))
		goto plain;
	/* Type IPv4, version 4 and IHL 5, not a fragment (MF clear, offset
	 * 0), protocol UDP, our port, PacketFlow magic, version, request:
	 * every field is or-ed into one test. The IPv4 header's five words
	 * are summed for its checksum on the way. */
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + l3);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(d + l4);
	uint8_t *pf = d + l5;
	const uint8_t *iph = d + l3;
	uint32_t w0 = ld32(iph), w1 = ld32(iph + 4), w2 = ld32(iph + 8);
	uint32_t w3 = ld32(iph + 12), w4 = ld32(iph + 16);
	uint32_t bad = ((ld32(iph - 2) ^ wire32(0x08, 0x00, RTE_IPV4_VHL_DEF, 0)) &
			wire32(0xff, 0xff, 0xff, 0)) |
		       (w1 & wire32(0, 0, 0x3f, 0xff)) |
		       ((w2 ^ wire32(0, IPPROTO_UDP, 0, 0)) & wire32(0, 0xff, 0, 0)) |
		       (uint32_t)(udp->dst_port ^ port_be) |
		       (ld32(pf) ^ wire32(PF_MAGIC >> 8, PF_MAGIC & 0xff, PF_VERSION,
					  PF_MSG_REQUEST));
	if (bad)
		goto plain;
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);
	uint32_t ulen = rte_be_to_cpu_16(udp->dgram_len);
	uint32_t plen = (uint32_t)(pf[12] << 8 | pf[13]);
	if (l3 + tot > len || ulen + sizeof(*ip) > tot ||
	    ulen != sizeof(*udp) + PF_HDR_LEN + plen)
		goto plain;
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD || !cksum5_ok(w0, w1, w2, w3, w4)))
		goto plain;

	/* The rest of the header and the TLVs, as pf_decode() checks them. */
	uint16_t id = (uint16_t)(pf[6] << 8 | pf[7]);
	uint8_t flags = pf[9];
	uint64_t mask;
	const uint8_t *intent = NULL;
	uint16_t intent_len = 0;
	if ((flags & (uint8_t)(~PF_FLAG_ALL | PF_FLAG_NOREPLY)) ||
	    pf_tlv_walk(pf + PF_HDR_LEN, plen, &mask, &intent, &intent_len) != 0)
		goto plain;
	/* Requests come in runs of one capability. A frame that names the
	 * last fast answer's group, element and capability -- its bytes 4..7
	 * as that answer's -- is that capability's, whose own checks passed
	 * in this burst (same tables). Else the id, or the intent. */
	const struct pf_cap_rt *cap;
	bool classified = false;
	int8_t state = -1; /* what the classification cache said, for handle() */
	if (last && ld32(pf + 4) == last->answer_hdr) {
		cap = last;
	} else {
		if (id) {
			cap = last && last->id == id ? last : pf_cap_lookup(t, id);
			/* No group, or the capability's group (and no element,
			 * or its). */
			if (cap && (pf[4] ? pf[4] != cap->group ||
						    (pf[5] && pf[5] != cap->element)
					  : pf[5] != 0))
				goto decline;
		} else {
			/* Named by nothing: classified by its intent, when the
			 * lcore's cache already holds the verdict (a scan is
			 * handle()'s). */
			cap = NULL;
			if (pf[4] || pf[5] || !intent || !r->db || !lc->ccache ||
			    intent_len >= PF_CCACHE_KEY)
				goto decline;
			cap = fast_classify(lc, t, r, intent, intent_len, last, hint);
			state = hint->state;
			if (!cap)
				goto decline;
			classified = true;
		}
		if (!cap || !cap->fast || cap->fast_lcore != lc->lcore_id)
			goto decline;
	}
	if (plen > cap->max_payload || (cap->requires & ~mask))
		goto decline;
	if (unlikely(cap->fast_work)) {
		int32_t n = fast_work(lc, m, cap, r, pf, l5, plen, mask);
		if (n < 0)
			goto decline;
		plen = (uint32_t)n;
	}

	/* Accepted: what classify(), pf_route(), run_single() and respond()
	 * do. */
	if (classified) {
		lc->st->cls_cache_hits++;
		lc->st->classified++;
	}
	/* Bytes 0..3 were magic, version, request: now a response's. */
	uint32_t w = wire32(PF_MAGIC >> 8, PF_MAGIC & 0xff, PF_VERSION, PF_MSG_RESPONSE);
	memcpy(pf, &w, sizeof(w));
	memcpy(pf + 4, &cap->answer_hdr, sizeof(cap->answer_hdr));
	pf[9] = flags & (PF_FLAG_TRACE | PF_FLAG_REPLICA);
	pf_turn_around_at(m, (uint16_t)l3, sizeof(*ip), (uint16_t)l5, (uint16_t)plen);
	return cap;

decline:
	/* Group and element in range, an element only with a group: all that
	 * pf_decode() checks is checked, and handle() need not start over. */
	hint->state = state;
	hint->shape = pf[4] <= PF_GROUP_COUNT && pf[5] <= PF_ELEMENTS_PER_GROUP &&
		      (pf[4] || !pf[5]);
	if (hint->shape) {
		hint->plen = (uint16_t)plen;
		hint->mask = mask;
		hint->intent = intent;
		hint->intent_len = intent_len;
	}
	hint->cap = cap;
	return NULL;
plain:
	/* Declined before the header was read: handle() starts over. */
	hint->state = -1;
	hint->shape = false;
	hint->cap = NULL;
	return NULL;
}

/* Count a run of n fast answers of one capability: an execution of its
 * element (of each stage of a molecule) each, and an answer received at
 * now. */
static inline void
fast_count(struct pf_lcore *lc, const struct pf_cap_rt *cap, uint32_t n, uint64_t now)
{
	struct pf_stats_lcore *st = lc->st;

	if (!cap->n_stages) {
		st->element_exec[cap->number] += n;
		st->group_exec[pf_elements[cap->number - 1].group] += n;
	}
	for (unsigned int s = 0; s < cap->n_stages; s++) {
		unsigned int number = cap->stage[s].cap->number;
		st->element_exec[number] += n;
		st->group_exec[pf_elements[number - 1].group] += n;
	}
	st->fast_path += n;
	pf_count_latency(lc, cap->slot, false, now, n);
}

unsigned int
pf_rx_burst(struct pf_lcore *lc, struct pf_rxq *q)
{
	/* One more than a burst: the last frame again, so that the loop
	 * prefetches the next frame without a test. */
	struct rte_mbuf *pkts[PF_BURST_MAX + 1];
	uint16_t n = rte_eth_rx_burst(q->port, q->queue, pkts, pf_dp.cfg->burst);

	if (n == 0)
		return 0;
	lc->st->rx += n;
	pkts[n] = pkts[n - 1];

	const struct pf_tables *t = pf_tables_get();
	const struct pf_rules_tables *r = pf_rules_get();
	uint64_t now = rte_rdtsc();
	/* What state says is not set is not read; set once, for the compiler.
	 * fast_answer() sets the rest when it declines. */
	struct cls_hint hint = { .state = -1, .verdict = 0, .cap_id = 0, .h = 0 };

	/* Deny rules are checked on every request: none takes the fast path. */
	if (unlikely(r->n_deny)) {
		for (uint16_t i = 0; i < n; i++) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			hint.state = -1;
			hint.shape = false;
			hint.cap = NULL;
			handle(lc, pkts[i], t, r, now, &hint);
		}
		return n;
	}

	uint16_t port_be = rte_cpu_to_be_16(pf_dp.cfg->udp_port);
	/* Fast answers are counted by runs of one capability, and leave
	 * before any answer of a later frame of the burst (handle()'s). */
	const struct pf_cap_rt *run = NULL, *c;
	uint32_t run_n = 0;
	struct rte_mbuf *ans[PF_BURST_MAX];
	unsigned int n_ans = 0;

	for (uint16_t i = 0; i < n; i++) {
		/* The next frame's headers and its first TLVs (line 1). */
		const uint8_t *next = rte_pktmbuf_mtod(pkts[i + 1], const uint8_t *);
		rte_prefetch0(next);
		rte_prefetch0(next + RTE_CACHE_LINE_SIZE);
		if ((c = fast_answer(lc, pkts[i], t, r, port_be, run, &hint)) != NULL) {
			if (c != run) {
				if (run_n)
					fast_count(lc, run, run_n, now);
				run = c;
				run_n = 0;
			}
			run_n++;
			ans[n_ans++] = pkts[i];
			continue;
		}
		if (n_ans) {
			pf_tx_bulk(lc, q->port, ans, n_ans);
			n_ans = 0;
		}
		handle(lc, pkts[i], t, r, now, &hint);
	}
	if (n_ans)
		pf_tx_bulk(lc, q->port, ans, n_ans);
	if (run_n)
		fast_count(lc, run, run_n, now);
	return n;
}
