/* SPDX-License-Identifier: BSD-3-Clause */
/* rx.c: pf-gen's receive side -- answers matched to requests by session and
 * sequence number in per-session windows: loss, duplicates, order, RTT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "gen.h"

/* ---- session windows ---- */

int
gen_rxwin_init(struct gen_rxwin *w, uint32_t n_sessions, uint32_t window)
{
	memset(w, 0, sizeof(*w));
	if (window < 64 || window > (1u << 20) || (window & (window - 1)))
		return -EINVAL;
	w->window = window;
	w->words = window / 64;
	w->base = calloc(n_sessions, sizeof(*w->base));
	w->hi = calloc(n_sessions, sizeof(*w->hi));
	/* Plain memory, not the EAL's: a million sessions' windows need not
	 * fit -m; only the RX lcore touches it. */
	w->bits = aligned_alloc(64, (size_t)n_sessions * w->words * sizeof(uint64_t));
	if (!w->base || !w->hi || !w->bits) {
		gen_rxwin_free(w);
		return -ENOMEM;
	}
	gen_rxwin_reset(w, n_sessions);
	return 0;
}

void
gen_rxwin_reset(struct gen_rxwin *w, uint32_t n_sessions)
{
	memset(w->base, 0, n_sessions * sizeof(*w->base));
	memset(w->hi, 0, n_sessions * sizeof(*w->hi));
	memset(w->bits, 0, (size_t)n_sessions * w->words * sizeof(uint64_t));
}

void
gen_rxwin_free(struct gen_rxwin *w)
{
	free(w->base);
	free(w->hi);
	free(w->bits);
	memset(w, 0, sizeof(*w));
}

enum seen { SEEN_FIRST, SEEN_AGAIN, SEEN_LATE };

/*
 * Mark seq seen in session s's window of the last `window` sequence
 * numbers. A seq past the window's top slides it up; the bits that fall
 * out are cleared (they were answered or not: the totals already say
 * which). A seq below the window cannot be told apart -- first answer or
 * duplicate -- and is reported late: loss and duplicates are exact as long
 * as no answer arrives more than `window` seqs behind its session's
 * newest (the report prints late so that this is checked, not assumed).
 */
static inline enum seen
window_mark(struct gen_rxwin *w, uint32_t s, uint32_t seq)
{
	uint32_t base = w->base[s];
	uint64_t *bits = &w->bits[(size_t)s * w->words];

	if (unlikely(seq - base >= w->window)) {
		if ((int32_t)(seq - base) < 0)
			return SEEN_LATE;
		uint32_t nb = seq - w->window + 1;
		if (nb - base >= w->window) {
			memset(bits, 0, w->words * sizeof(uint64_t));
		} else {
			for (uint32_t q = base; q != nb; q++) {
				uint32_t b = q & (w->window - 1);
				bits[b >> 6] &= ~(UINT64_C(1) << (b & 63));
			}
		}
		w->base[s] = nb;
	}
	uint32_t b = seq & (w->window - 1);
	uint64_t bit = UINT64_C(1) << (b & 63);
	if (bits[b >> 6] & bit)
		return SEEN_AGAIN;
	bits[b >> 6] |= bit;
	return SEEN_FIRST;
}

/* ---- one frame ---- */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An answer goes back the way its request came: MACs, IPv4 addresses and
 * UDP ports of the request, swapped (the template holds the request's). */
static inline bool
turned_around(const struct gen_model *mo, const uint8_t *eth, const uint8_t *ip,
	      const uint8_t *udp)
{
	const uint8_t *t = mo->l2;

	return memcmp(eth, t + 6, 6) == 0 && memcmp(eth + 6, t, 6) == 0 &&
	       memcmp(ip + 12, t + 30, 4) == 0 && memcmp(ip + 16, t + 26, 4) == 0 &&
	       rd16(udp) == rd16(t + 36) && (uint16_t)(rd16(udp + 2) - mo->src_port) < 1024;
}

static inline void
handle(struct gen_lcore *lc, struct rte_mbuf *m, uint64_t now)
{
	struct gen_counters *c = &lc->c;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = RTE_ETHER_HDR_LEN;
	uint16_t type;
	struct pf_msg msg;

	if (unlikely(len < GEN_L2_HDR + PF_HDR_LEN)) {
		c->other++;
		return;
	}
	type = rd16(d + 12);
	if (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) {
		type = rd16(d + 16);
		off += 4;
	}
	if (unlikely(type != RTE_ETHER_TYPE_IPV4)) {
		c->other++;
		return;
	}
	const uint8_t *ip = d + off;
	uint32_t ihl = (ip[0] & 0xf) * 4u;
	if (unlikely(ip[9] != IPPROTO_UDP || ihl < 20 || off + ihl + 8 > len)) {
		c->other++;
		return;
	}
	const uint8_t *udp = ip + ihl;
	uint32_t ulen = rd16(udp + 4);
	if (unlikely(ulen < 8 || off + ihl + ulen > len)) {
		c->other++;
		return;
	}
	const uint8_t *pf = udp + 8;
	if (unlikely(ulen - 8 < PF_HDR_LEN || rd16(pf) != PF_MAGIC)) {
		c->other++;
		return;
	}
	if (unlikely(pf_decode(pf, ulen - 8, &msg) < 0)) {
		c->malformed++;
		return;
	}

	const struct gen_model *mo = lc->m;
	uint32_t s = gen_session_index(mo, msg.session_id);
	if (unlikely((uint32_t)(msg.trace_id >> 32) != mo->cookie || s == UINT32_MAX ||
		     msg.type == PF_MSG_HEARTBEAT ||
		     (!lc->ctl->rx_only && msg.timestamp > now))) {
		c->foreign++;
		return;
	}
	if (unlikely(lc->sent_seq && msg.seq >= lc->sent_seq[s])) {
		c->foreign++; /* a replay answering a request never sent */
		return;
	}
	bool measured = msg.timestamp >= lc->ctl->measure_tsc;
	bool replica = msg.flags & PF_FLAG_REPLICA;
	enum seen seen = window_mark(lc->win, s, msg.seq);
	if (!measured) {
		c->unmeasured++;
		if (seen == SEEN_FIRST && msg.seq + 1 > lc->win->hi[s])
			lc->win->hi[s] = msg.seq + 1;
		return;
	}
	/* REPLICA: the answer comes from a replicated execution. The first
	 * answer to a request is its answer either way; further answers with
	 * the flag are more replicas' (by design, not duplicates). */
	if (replica)
		c->replica++;
	if (unlikely(seen != SEEN_FIRST)) {
		if (seen == SEEN_LATE)
			c->late++;
		else if (!replica)
			c->duplicates++;
		return;
	}
	c->matched++;
	c->rx_bytes += len;
	if (unlikely(!turned_around(mo, d, ip, udp)))
		c->misaddressed++;
	if (msg.type == PF_MSG_RESPONSE) {
		c->responses++;
	} else if (msg.type == PF_MSG_ERROR) {
		struct pf_tlv t;
		uint16_t code = 0;
		if (pf_tlv_find(&msg, PF_FIELD_ERROR_CODE, &t))
			pf_tlv_u16(&t, &code);
		c->errors++;
		c->err_code[code < GEN_ERR_CODES ? code : 0]++;
	} else {
		c->reflected++;
	}
	if (msg.seq + 1 <= lc->win->hi[s])
		c->reordered++;
	else
		lc->win->hi[s] = msg.seq + 1;
	if (!lc->ctl->rx_only)
		pf_histogram_record(lc->hist, now - msg.timestamp);
}

unsigned int
gen_rx_step(struct gen_lcore *lc)
{
	struct rte_mbuf *pkts[GEN_BURST];
	unsigned int total = 0;

	for (uint16_t q = 0; q < lc->n_rxq; q++) {
		uint16_t n = rte_eth_rx_burst(lc->port, q, pkts, GEN_BURST);
		if (n == 0)
			continue;
		/* One TSC read per burst: every answer of it arrived by now. */
		uint64_t now = rte_rdtsc();
		lc->last_rx_tsc = now;
		lc->c.rx_frames += n;
		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			handle(lc, pkts[i], now);
		}
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	/* Draining, an empty poll of every queue is news for the main lcore:
	 * everything sent before now has been taken. */
	if (unlikely(total == 0 && lc->ctl->draining))
		lc->last_poll_tsc = rte_rdtsc();
	return total;
}
