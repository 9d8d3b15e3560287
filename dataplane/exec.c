/* SPDX-License-Identifier: BSD-3-Clause */
/* exec.c: placing and running molecule stages -- ring hops (ionic), direct
 * calls (covalent), fan-out and join (metallic, replication) -- and turning
 * the frame into its response or error in place. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_udp.h>

#include "pf_dp.h"

/*
 * A fan-out hands the same mbuf to several lcores; the ring entry then
 * carries the branch index in the pointer's low bits (mbufs are cache-line
 * aligned, so 6 bits are free).
 */
#define TAG_MASK ((uintptr_t)RTE_CACHE_LINE_SIZE - 1)
_Static_assert(PF_MAX_SET < RTE_CACHE_LINE_SIZE, "branch index fits the tag");

static inline void *
tag(struct rte_mbuf *m, unsigned int branch)
{
	return (void *)((uintptr_t)m | (branch + 1));
}

struct rte_mbuf *
pf_untag(void *p, int *branch)
{
	uintptr_t v = (uintptr_t)p;
	*branch = (int)(v & TAG_MASK) - 1;
	return (struct rte_mbuf *)(v & ~TAG_MASK);
}

static inline uint8_t *
pf_hdr(struct rte_mbuf *m, const struct pf_meta *meta)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, meta->pf_off);
}

/* ---- counting sinks ---- */

void
pf_drop(struct pf_lcore *lc, struct rte_mbuf *m, enum pf_drop reason)
{
	lc->st->drops[reason]++;
	rte_pktmbuf_free(m);
}

/* No queue of our own on this port: the owner sends and counts it. */
void
pf_tx_ring(struct pf_lcore *lc, struct rte_mbuf *m)
{
	if (unlikely(rte_ring_mp_enqueue(lc->tx_owner[m->port]->txr, m) != 0))
		pf_drop(lc, m, PF_DROP_TX_FULL);
}

unsigned int
pf_tx_handed(struct pf_lcore *lc, unsigned int burst)
{
	struct rte_mbuf *pkts[PF_BURST_MAX];
	unsigned int n = rte_ring_sc_dequeue_burst(lc->txr, (void **)pkts, burst, NULL);

	for (unsigned int i = 0; i < n; i++)
		pf_tx(lc, pkts[i]);
	return n;
}

void
pf_tx_flush(struct pf_lcore *lc)
{
	for (uint16_t p = 0; p < pf_dp.n_ports; p++) {
		uint16_t port = pf_dp.port_id[p];
		if (lc->txq[port] >= 0)
			rte_eth_tx_buffer_flush(port, (uint16_t)lc->txq[port], lc->txb[port]);
	}
}

/* ---- answering ---- */

static inline void
turn_around(struct rte_mbuf *m, const struct pf_meta *meta, uint16_t plen)
{
	pf_turn_around(m, meta->l3_off, meta->pf_off, plen);
}

/*
 * Latency is RX burst to the end of the loop iteration that answered: a
 * TSC read per packet costs more than the rest of an echo on a VM, so the
 * answers of one iteration share one read.
 */
void
pf_latency_flush(struct pf_lcore *lc)
{
	if (lc->n_lat)
		pf_latency_flush_at(lc, rte_rdtsc());
}

void
pf_latency_flush_at(struct pf_lcore *lc, uint64_t now)
{
	for (unsigned int i = 0; i < lc->n_lat; i++) {
		struct pf_stats_cap *c = &lc->st->caps[lc->lat[i].slot];
		uint64_t cycles = now - lc->lat[i].rx_tsc, n = lc->lat[i].n;
		if (lc->lat[i].err)
			c->errors += n;
		else
			c->exec += n;
		c->cycles += cycles * n;
		c->hist[pf_hist_bucket(cycles)] += n;
	}
	lc->n_lat = 0;
}

static inline void
count_latency(struct pf_lcore *lc, const struct pf_meta *meta, bool error)
{
	pf_count_latency(lc, meta->cap_slot, error, meta->rx_tsc, 1);
}

/* Room for a PF frame of plen payload bytes in this mbuf. */
static inline bool
fits(const struct rte_mbuf *m, const struct pf_meta *meta, size_t plen)
{
	return (size_t)meta->pf_off + PF_HDR_LEN + plen <=
	       (size_t)m->buf_len - m->data_off;
}

void
pf_send_back(struct pf_lcore *lc, struct rte_mbuf *m, uint16_t plen)
{
	turn_around(m, pf_meta(m), plen);
	pf_tx(lc, m);
}

void
pf_answer_error(struct pf_lcore *lc, struct rte_mbuf *m, uint16_t code, const char *msg)
{
	struct pf_meta *meta = pf_meta(m);
	uint8_t *pf = pf_hdr(m, meta);
	size_t cap = (size_t)m->buf_len - m->data_off - meta->pf_off;

	if (code < RTE_DIM(lc->st->errors))
		lc->st->errors[code]++;
	if (meta->cap_id) {
		count_latency(lc, meta, true);
		if (meta->audit)
			pf_audit(lc, meta->cap_id, pf[4] <= PF_GROUP_COUNT && pf[5] &&
				 pf[5] <= PF_ELEMENTS_PER_GROUP && pf[4] ?
				 (uint8_t)((pf[4] - 1) * PF_ELEMENTS_PER_GROUP + pf[5]) : 0,
				 pf, code, meta->rx_tsc);
	}
	if (pf[9] & PF_FLAG_NOREPLY) {
		pf_drop(lc, m, PF_DROP_NOREPLY);
		return;
	}
	/* The request's header becomes the error's where it is. */
	int n = pf_encode_error_inplace(pf, cap, code, msg);
	if (n < 0)
		n = pf_encode_error_inplace(pf, cap, code, NULL);
	if (n < 0) {
		pf_drop(lc, m, PF_DROP_NO_MBUF);
		return;
	}
	turn_around(m, meta, (uint16_t)(n - PF_HDR_LEN));
	pf_tx(lc, m);
}

/* Answer from the current frame contents: it becomes the response. */
static void
respond(struct pf_lcore *lc, struct rte_mbuf *m, struct pf_meta *meta)
{
	uint8_t *pf = pf_hdr(m, meta);
	uint16_t plen = (uint16_t)((pf[12] << 8) | pf[13]);

	count_latency(lc, meta, false);
	if (meta->audit)
		pf_audit(lc, meta->cap_id,
			 (uint8_t)((pf[4] - 1) * PF_ELEMENTS_PER_GROUP + pf[5]), pf, 0,
			 meta->rx_tsc);
	if (pf[9] & PF_FLAG_NOREPLY) {
		pf_drop(lc, m, PF_DROP_NOREPLY);
		return;
	}
	pf[3] = PF_MSG_RESPONSE;
	pf[9] &= PF_FLAG_TRACE | PF_FLAG_REPLICA;
	turn_around(m, meta, plen);
	pf_tx(lc, m);
}

/* ---- running a stage ---- */

/* Decode the frame as it is now into x->in, unless x->in already is. */
static int
decode_current(struct pf_exec *x)
{
	if (x->in_fresh)
		return 0;
	uint8_t *pf = pf_hdr(x->m, x->meta);
	uint16_t plen = (uint16_t)((pf[12] << 8) | pf[13]);
	int rc = pf_decode(pf, PF_HDR_LEN + (size_t)plen, x->in);

	x->in_fresh = rc == 0;
	return rc;
}

/* Run one stage's element on the frame; its output TLVs land in lc->out. */
static uint16_t
run_element(struct pf_lcore *lc, struct pf_exec *x, const struct pf_cap_rt *sc)
{
	struct pf_stats_lcore *st = lc->st;
	const struct pf_element *e = &pf_elements[sc->number - 1];

	x->cap = sc;
	x->arg = sc->conf->arg;
	x->absorb = false;
	x->err = 0;
	x->errmsg = NULL;
	pf_build_payload(&x->out, lc->out, sizeof(lc->out));
	/* An identity element (no run) neither reads nor writes: its stage is
	 * counted, nothing else. */
	if (!sc->run) {
		/* nothing */
	} else if (decode_current(x) < 0) {
		x->err = PF_ERR_EXECUTION_FAILED;
		x->errmsg = "frame damaged between stages";
	} else if (sc->run(lc, x) < 0 && !x->err) {
		x->err = PF_ERR_EXECUTION_FAILED;
	}
	if (!x->err && x->out.err) {
		x->err = PF_ERR_EXECUTION_FAILED;
		x->errmsg = "output larger than the stage's buffer";
	}
	st->element_exec[sc->number]++;
	st->group_exec[e->group]++;
	if (x->err)
		st->element_errors[sc->number]++;
	return x->err;
}

/*
 * An output that only replaces fields with values of the same lengths (a
 * transform of the data) is written over the input's values where they
 * are: nothing moves, x->in stays true. False (nothing written) otherwise.
 */
static bool
overwrite(struct pf_msg *in, const uint8_t *out, size_t out_len)
{
	struct { uint8_t *to; const uint8_t *from; uint16_t len; } w[4];
	unsigned int n = 0;

	for (size_t off = 0; off < out_len; n++) {
		struct pf_tlv o, t;
		o.id = (uint16_t)(out[off] << 8 | out[off + 1]);
		o.len = (uint16_t)(out[off + 2] << 8 | out[off + 3]);
		/* Contract fields only: an input may carry another id twice,
		 * and then the output's is added, not written over either. */
		if (n == RTE_DIM(w) || !pf_field_bit(o.id) || !pf_tlv_find(in, o.id, &t) ||
		    t.len != o.len)
			return false;
		w[n].to = (uint8_t *)(uintptr_t)t.value; /* the frame's own bytes */
		w[n].from = out + off + PF_TLV_HDR_LEN;
		w[n].len = o.len;
		off += PF_TLV_HDR_LEN + (size_t)o.len;
	}
	for (unsigned int i = 0; i < n; i++)
		memcpy(w[i].to, w[i].from, w[i].len);
	return true;
}

/*
 * Make the stage's output part of the frame: output TLVs first, then every
 * input TLV whose contract field the output did not replace. x->in follows
 * the frame (its header fields do not change): the next stage on this
 * lcore reads it without decoding the frame again.
 */
static uint16_t
commit(struct pf_lcore *lc, struct pf_exec *x)
{
	const uint8_t *out = lc->out + PF_HDR_LEN;
	size_t out_len = x->out.len - PF_HDR_LEN, n;
	struct pf_msg *in = x->in;
	uint64_t replaced = 0;

	if (out_len == 0)
		return 0;
	/* The fields the output holds; an output the decoder would refuse
	 * (a field twice) must not become an answer. */
	if (pf_tlv_walk(out, out_len, &replaced, NULL, NULL) < 0) {
		x->errmsg = "stage output malformed";
		return PF_ERR_EXECUTION_FAILED;
	}

	uint8_t *pf = pf_hdr(x->m, x->meta);
	uint8_t *payload = pf + PF_HDR_LEN;
	if ((replaced & in->field_mask) == replaced && overwrite(in, out, out_len))
		return 0; /* every output field was the same size as the input's */
	if (!(replaced & in->field_mask)) {
		/* The common case: the output only adds fields (a count, the
		 * matches, the stage trace). The input moves up as a whole. */
		n = out_len + in->payload_len;
		if (n > sizeof(lc->merge) || n > PF_MAX_PAYLOAD) {
			x->errmsg = "response too large";
			return PF_ERR_EXECUTION_FAILED;
		}
		if (!fits(x->m, x->meta, n)) {
			x->errmsg = "response larger than the mbuf";
			return PF_ERR_EXECUTION_FAILED;
		}
		memmove(payload + out_len, in->payload, in->payload_len);
		memcpy(payload, out, out_len);
		if (in->intent)
			in->intent = payload + (in->intent - in->payload) + out_len;
		in->field_mask |= replaced;
	} else {
		/* Some input fields are replaced: the rest is gathered after the
		 * output in the lcore's merge buffer, then copied back. */
		uint8_t *buf = lc->merge;
		const uint8_t *intent = NULL;
		uint64_t mask = replaced;
		struct pf_tlv t;
		size_t off = 0;

		memcpy(buf, out, out_len);
		n = out_len;
		while (pf_tlv_next(in, &off, &t)) {
			uint64_t bit = pf_field_bit(t.id);
			if (bit & replaced)
				continue;
			size_t l = PF_TLV_HDR_LEN + t.len;
			if (n + l > sizeof(lc->merge) || n + l > PF_MAX_PAYLOAD) {
				x->errmsg = "response too large";
				return PF_ERR_EXECUTION_FAILED;
			}
			if (t.id == PF_FIELD_INTENT)
				intent = payload + n + PF_TLV_HDR_LEN;
			mask |= bit;
			memcpy(buf + n, t.value - PF_TLV_HDR_LEN, l);
			n += l;
		}
		if (!fits(x->m, x->meta, n)) {
			x->errmsg = "response larger than the mbuf";
			return PF_ERR_EXECUTION_FAILED;
		}
		memcpy(payload, buf, n);
		in->field_mask = mask;
		in->intent = intent;
		if (!intent)
			in->intent_len = 0;
	}
	pf[12] = (uint8_t)(n >> 8);
	pf[13] = (uint8_t)n;
	x->m->data_len = (uint16_t)(x->meta->pf_off + PF_HDR_LEN + n);
	x->m->pkt_len = x->m->data_len;
	in->payload = payload;
	in->payload_len = (uint16_t)n;
	if (unlikely(replaced & pf_field_bit(PF_FIELD_INTENT)))
		x->in_fresh = pf_tlv_walk(payload, n, &in->field_mask, &in->intent,
					  &in->intent_len) == 0; /* an output intent */
	return 0;
}

static void
trace_stage(struct pf_lcore *lc, struct pf_meta *meta, const struct pf_cap_rt *sc)
{
	if ((size_t)meta->n_trace + 2 <= sizeof(meta->stage_trace)) {
		meta->stage_trace[meta->n_trace++] = sc->number;
		meta->stage_trace[meta->n_trace++] = (uint8_t)lc->lcore_id;
	}
}

/* ---- placement ---- */

static inline uint16_t
pick(struct pf_lcore *lc, const struct pf_policy *p, const struct pf_meta *meta)
{
	if (p->lcores.n == 1)
		return p->lcores.ids[0];
	switch (p->balance) {
	case PF_BALANCE_FLOW_HASH:
		return p->lcores.ids[meta->flow_hash % p->lcores.n];
	case PF_BALANCE_LEAST_LOADED: {
		uint16_t best = p->lcores.ids[0];
		unsigned int load = UINT32_MAX;
		for (int i = 0; i < p->lcores.n; i++) {
			const struct pf_lcore *o = pf_dp.lcores[p->lcores.ids[i]];
			unsigned int l = rte_ring_count(o->ring) + rte_ring_count(o->ring_hi);
			if (l < load) {
				load = l;
				best = p->lcores.ids[i];
			}
		}
		return best;
	}
	default:
		return p->lcores.ids[lc->rr++ % p->lcores.n];
	}
}

/* Queue a ring entry for another lcore; flushed once per burst. */
static inline void
hand_over(struct pf_lcore *lc, uint16_t lcore, void *entry, bool high)
{
	struct pf_pending *pd = &lc->pending[pf_dp.lcore_idx[lcore] - 1];
	unsigned int h = high ? 1 : 0;

	if (unlikely(pd->n[h] == PF_BURST_MAX))
		pf_flush_pending(lc);
	pd->pkts[h][pd->n[h]++] = entry;
}

static void run_stages(struct pf_lcore *lc, struct rte_mbuf *m, bool fresh);
static void run_branch(struct pf_lcore *lc, struct rte_mbuf *m, unsigned int b);

/* Start a fan-out of width n over distinct lcores of p. */
static void
fan_out(struct pf_lcore *lc, struct rte_mbuf *m, struct pf_meta *meta,
	const struct pf_policy *p, unsigned int n, bool consensus)
{
	unsigned int start = (p->balance == PF_BALANCE_FLOW_HASH ? meta->flow_hash : lc->rr++)
			     % p->lcores.n;
	int local = -1;

	meta->fanout = (uint8_t)n;
	meta->consensus = consensus;
	for (unsigned int i = 0; i < n; i++) {
		meta->br[i].done = 0;
		meta->br[i].park = NULL;
	}
	__atomic_store_n(&meta->join, (uint16_t)n, __ATOMIC_RELAXED);
	rte_mbuf_refcnt_update(m, (int16_t)(n - 1));
	lc->st->fanout_copies += n - 1;
	for (unsigned int i = 0; i < n; i++) {
		uint16_t id = p->lcores.ids[(start + i) % p->lcores.n];
		if (id == lc->lcore_id)
			local = (int)i;
		else
			hand_over(lc, id, tag(m, i), meta->high);
	}
	if (local >= 0)
		run_branch(lc, m, (unsigned int)local);
}

/* True when lcore id is this one; else the frame goes over id's ring. */
static inline bool
here_or_hand_over(struct pf_lcore *lc, struct rte_mbuf *m, struct pf_meta *meta,
		  uint16_t id)
{
	if (id == lc->lcore_id)
		return true;
	meta->placed = 1;
	hand_over(lc, id, m, meta->high);
	lc->st->ring_enq++;
	return false;
}

/* Decide where stage meta->stage runs. Returns true when it runs here. */
static bool
place(struct pf_lcore *lc, struct rte_mbuf *m, struct pf_meta *meta,
      const struct pf_cap_rt *cap, const struct pf_cap_rt *sc)
{
	const struct pf_policy *p = &sc->policy;
	uint8_t bond = PF_BOND_IONIC, width = 1;

	if (cap->n_stages && meta->stage > 0) {
		bond = cap->stage[meta->stage].bond;
		width = cap->stage[meta->stage].width;
	}
	if (meta->stage == 0 && cap->policy.replicate > 1 && !cap->n_stages) {
		fan_out(lc, m, meta, &cap->policy, cap->policy.replicate, true);
		return false;
	}
	switch (bond) {
	case PF_BOND_COVALENT:
		return true;
	case PF_BOND_METALLIC:
		if (width > 1) {
			fan_out(lc, m, meta, p, width, false);
			return false;
		}
		break;
	case PF_BOND_VDW: {
		/* A hint: stay on this NUMA socket when the set allows it. */
		unsigned int here = rte_lcore_to_socket_id(lc->lcore_id);
		for (int i = 0; i < p->lcores.n; i++) {
			uint16_t id = p->lcores.ids[(meta->flow_hash + i) % p->lcores.n];
			if (rte_lcore_to_socket_id(id) == here)
				return here_or_hand_over(lc, m, meta, id);
		}
		break;
	}
	default:
		break;
	}
	return here_or_hand_over(lc, m, meta, pick(lc, p, meta));
}

/* The capability of the molecule and the one of its current stage. */
static inline int
current(const struct pf_tables *t, const struct pf_meta *meta,
	const struct pf_cap_rt **cap, const struct pf_cap_rt **sc)
{
	*cap = pf_cap_lookup(t, meta->cap_id);
	if (unlikely(!*cap))
		return -1;
	if (!(*cap)->n_stages) {
		*sc = *cap;
		return 0;
	}
	if (unlikely(meta->stage >= (*cap)->n_stages))
		return -1;
	*sc = (*cap)->stage[meta->stage].cap;
	return 0;
}

static void
finish(struct pf_lcore *lc, struct rte_mbuf *m, struct pf_meta *meta,
       const struct pf_cap_rt *cap, struct pf_exec *x)
{
	/* A molecule's response says which element ran where. */
	if (cap->n_stages && meta->n_trace) {
		pf_build_payload(&x->out, lc->out, sizeof(lc->out));
		pf_build_tlv(&x->out, PF_FIELD_STAGE, meta->stage_trace, meta->n_trace);
		if (decode_current(x) == 0) {
			uint16_t err = commit(lc, x);
			if (err) {
				pf_answer_error(lc, m, err, x->errmsg);
				return;
			}
		}
	}
	respond(lc, m, meta);
}

/* Only what the stages read: zeroing the whole struct costs more than an
 * echo. */
static inline void
exec_init(struct pf_exec *x, struct pf_lcore *lc, struct rte_mbuf *m, struct pf_meta *meta,
	  const struct pf_tables *t, bool fresh)
{
	x->m = m;
	x->meta = meta;
	x->t = t;
	x->r = pf_rules_get();
	x->in = &lc->msg;
	x->in_fresh = fresh;
	x->branch = 0;
	x->width = 0;
}

/* Run one stage and make its output part of the frame: its result in *err.
 * False when the element absorbed the frame (counted and freed here). */
static inline bool
run_and_commit(struct pf_lcore *lc, struct pf_exec *x, const struct pf_cap_rt *sc,
	       uint16_t *err)
{
	*err = run_element(lc, x, sc);
	if (unlikely(x->absorb)) {
		count_latency(lc, x->meta, false);
		pf_drop(lc, x->m, PF_DROP_ABSORBED);
		return false;
	}
	if (!*err)
		*err = commit(lc, x);
	return true;
}

/* A single-element capability on this lcore, with the frame RX decoded
 * (run_stages does the same for frames that arrive over a ring). */
static void
run_single(struct pf_lcore *lc, struct rte_mbuf *m, struct pf_meta *meta,
	   const struct pf_cap_rt *cap)
{
	struct pf_exec x;
	uint16_t err;

	exec_init(&x, lc, m, meta, pf_tables_get(), true);
	if (!run_and_commit(lc, &x, cap, &err))
		return;
	if (unlikely(err)) {
		pf_answer_error(lc, m, err, x.errmsg);
		return;
	}
	respond(lc, m, meta);
}

/* Run stages from meta->stage on, here or by handing the frame over. */
static void
run_stages(struct pf_lcore *lc, struct rte_mbuf *m, bool fresh)
{
	struct pf_meta *meta = pf_meta(m);
	const struct pf_tables *t = pf_tables_get();
	const struct pf_cap_rt *cap, *sc;
	struct pf_exec x;
	uint16_t err;

	exec_init(&x, lc, m, meta, t, fresh);
	for (;;) {
		if (unlikely(current(t, meta, &cap, &sc) < 0)) {
			/* The registry changed under this frame. */
			pf_answer_error(lc, m, PF_ERR_UNKNOWN_CAPABILITY,
			     "capability removed while the request was in flight");
			return;
		}
		if (!meta->placed && !place(lc, m, meta, cap, sc))
			return; /* handed over: another lcore decodes it again */
		meta->placed = 0;

		if (!run_and_commit(lc, &x, sc, &err))
			return;
		trace_stage(lc, meta, sc);
		if (err) {
			uint8_t bond = cap->n_stages && meta->stage > 0 ?
				cap->stage[meta->stage].bond : PF_BOND_IONIC;
			if (pf_bond_get(bond)->cascades || meta->stage == 0) {
				pf_answer_error(lc, m, err, x.errmsg);
				return;
			}
			/* metallic / van der Waals: the stage's failure stays
			 * its own; the molecule goes on with its input. */
		}
		if (!cap->n_stages || ++meta->stage >= cap->n_stages) {
			finish(lc, m, meta, cap, &x);
			return;
		}
	}
}

/* Park a branch's output TLVs in an mbuf of their own, for the joiner. */
static struct rte_mbuf *
park(struct rte_mbuf *m, const uint8_t *tlvs, uint16_t len)
{
	struct rte_mbuf *p = rte_pktmbuf_alloc(m->pool);

	if (!p)
		return NULL;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(p, len);
	if (!d && len) {
		rte_pktmbuf_free(p);
		return NULL;
	}
	if (len)
		memcpy(d, tlvs, len);
	return p;
}

static void
unpark_all(struct pf_meta *meta, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		rte_pktmbuf_free(meta->br[i].park); /* NULL is fine */
		meta->br[i].park = NULL;
	}
}

/*
 * The last branch of a fan-out to finish owns the frame. Replication needs
 * every replica to agree; a metallic stage goes on with a successful
 * branch's output (the joiner's own if it succeeded, else the lowest
 * successful index) and fails only if every branch failed.
 * err: the joiner's own result; lc->out holds its output when err == 0.
 */
static void
join(struct pf_lcore *lc, struct rte_mbuf *m, unsigned int b, uint16_t err,
     struct pf_exec *x)
{
	struct pf_meta *meta = pf_meta(m);
	const struct pf_cap_rt *cap, *sc;
	unsigned int n = meta->fanout;
	bool consensus = meta->consensus;

	lc->st->fanout_joins++;
	meta->fanout = 0;
	if (unlikely(current(x->t, meta, &cap, &sc) < 0)) {
		unpark_all(meta, n);
		pf_answer_error(lc, m, PF_ERR_UNKNOWN_CAPABILITY,
		     "capability removed while the request was in flight");
		return;
	}
	trace_stage(lc, meta, sc);
	if (consensus) {
		for (unsigned int i = 0; i < n; i++) {
			if (meta->br[i].err || meta->br[i].digest != meta->br[b].digest) {
				pf_answer_error(lc, m, meta->br[i].err ? meta->br[i].err : PF_ERR_EXECUTION_FAILED,
				     meta->br[i].err ? "a replica failed" : "replicas disagree");
				return;
			}
		}
	} else if (err) {
		/* Ours failed: take the first branch that did not. */
		for (unsigned int i = 0; i < n; i++) {
			struct rte_mbuf *p = meta->br[i].park;
			if (meta->br[i].err || !p)
				continue;
			pf_build_payload(&x->out, lc->out, sizeof(lc->out));
			x->out.len = PF_HDR_LEN + rte_pktmbuf_data_len(p);
			memcpy(lc->out + PF_HDR_LEN, rte_pktmbuf_mtod(p, void *),
			       rte_pktmbuf_data_len(p));
			err = decode_current(x) < 0 ? PF_ERR_EXECUTION_FAILED : 0;
			break;
		}
	}
	unpark_all(meta, n);
	if (!err)
		err = commit(lc, x);
	if (err) {
		pf_answer_error(lc, m, err, x->errmsg);
		return;
	}
	if (consensus) {
		/* Replication: say how many replicas agreed, and that the answer
		 * comes from a replicated execution. */
		pf_build_payload(&x->out, lc->out, sizeof(lc->out));
		pf_build_u64(&x->out, PF_FIELD_COUNT, n);
		if (decode_current(x) == 0 && (err = commit(lc, x)) != 0) {
			pf_answer_error(lc, m, err, x->errmsg);
			return;
		}
		pf_hdr(m, meta)[9] |= PF_FLAG_REPLICA;
	}
	if (!cap->n_stages || ++meta->stage >= cap->n_stages) {
		finish(lc, m, meta, cap, x);
		return;
	}
	run_stages(lc, m, false);
}

/* Branch b of a fan-out: reads the shared frame, writes only its output. */
static inline void
branch_init(struct pf_exec *x, struct pf_lcore *lc, struct rte_mbuf *m, unsigned int b)
{
	exec_init(x, lc, m, pf_meta(m), pf_tables_get(), false);
	x->branch = (uint8_t)b;
	x->width = x->meta->fanout;
	x->errmsg = NULL;
	pf_build_payload(&x->out, lc->out, sizeof(lc->out));
}

/* Record a branch's result; true when it was the last and must join. */
static inline bool
branch_done(struct pf_meta *meta, unsigned int b, uint16_t err, uint32_t digest,
	    struct rte_mbuf *parked)
{
	meta->br[b].err = err;
	meta->br[b].digest = digest;
	meta->br[b].park = parked;
	meta->br[b].done = 1;
	/* Release our result; the last one acquires everybody's. */
	return __atomic_sub_fetch(&meta->join, 1, __ATOMIC_ACQ_REL) == 0;
}

/*
 * One branch of a fan-out. Branches share the mbuf, so they only read it;
 * each leaves its result (and, for a metallic stage, its output parked in
 * an mbuf of its own) for the joiner.
 */
static void
run_branch(struct pf_lcore *lc, struct rte_mbuf *m, unsigned int b)
{
	struct pf_meta *meta = pf_meta(m);
	const struct pf_cap_rt *cap, *sc;
	struct rte_mbuf *parked = NULL;
	struct pf_exec x;
	uint16_t err;

	branch_init(&x, lc, m, b);
	if (unlikely(current(x.t, meta, &cap, &sc) < 0))
		err = PF_ERR_UNKNOWN_CAPABILITY;
	else
		err = run_element(lc, &x, sc);
	uint16_t out_len = (uint16_t)(x.out.len - PF_HDR_LEN);
	uint32_t digest = err ? 0 : pf_crc(lc->out + PF_HDR_LEN, out_len, 0);
	if (!err && !meta->consensus) {
		parked = park(m, lc->out + PF_HDR_LEN, out_len);
		if (!parked)
			err = PF_ERR_OVERLOADED;
	}
	if (!branch_done(meta, b, err, digest, parked)) {
		rte_pktmbuf_free(m); /* our reference only */
		return;
	}
	join(lc, m, b, err, &x);
}

/* A branch that could not be queued fails; the last one joins. */
static void
branch_lost(struct pf_lcore *lc, struct rte_mbuf *m, unsigned int b)
{
	struct pf_exec x;

	if (!branch_done(pf_meta(m), b, PF_ERR_OVERLOADED, 0, NULL)) {
		rte_pktmbuf_free(m);
		return;
	}
	branch_init(&x, lc, m, b);
	join(lc, m, b, PF_ERR_OVERLOADED, &x);
}

void
pf_exec_packet(struct pf_lcore *lc, struct rte_mbuf *p)
{
	int b;
	struct rte_mbuf *m = pf_untag(p, &b);

	if (b >= 0)
		run_branch(lc, m, (unsigned int)b);
	else
		run_stages(lc, m, false);
}

void
pf_route(struct pf_lcore *lc, struct rte_mbuf *m, const struct pf_cap_rt *cap,
	 uint8_t high)
{
	struct pf_meta *meta = pf_meta(m);
	/* The answer names what ran, also when Hyperscan chose it. */
	uint8_t *pf = pf_hdr(m, meta);
	memcpy(pf + 4, &cap->answer_hdr, sizeof(cap->answer_hdr));
	meta->cap_id = cap->id;
	meta->cap_slot = cap->slot;
	meta->audit = cap->audit;
	meta->high = high;
	meta->stage = 0;
	meta->placed = 0;
	meta->fanout = 0;
	meta->n_trace = 0;

	/* The common case, one element on one of its lcores: straight to it,
	 * without the molecule machinery. */
	if (likely(!cap->n_stages && cap->policy.replicate == 1)) {
		if (here_or_hand_over(lc, m, meta, pick(lc, &cap->policy, meta)))
			run_single(lc, m, meta, cap);
		return;
	}
	run_stages(lc, m, true); /* lc->msg holds the frame RX decoded */
}

void
pf_flush_pending(struct pf_lcore *lc)
{
	for (unsigned int d = 0; d < pf_dp.n_lcores; d++) {
		struct pf_pending *pd = &lc->pending[d];
		for (unsigned int h = 0; h < 2; h++) {
			unsigned int n = pd->n[h];
			if (!n)
				continue;
			pd->n[h] = 0;
			struct pf_lcore *dst = pf_dp.by_idx[d];
			struct rte_ring *r = h ? dst->ring_hi : dst->ring;
			unsigned int ok = rte_ring_mp_enqueue_burst(r, (void **)pd->pkts[h], n, NULL);
			for (unsigned int i = ok; i < n; i++) {
				int b;
				struct rte_mbuf *m = pf_untag(pd->pkts[h][i], &b);
				if (b < 0) {
					pf_drop(lc, m, PF_DROP_RING_FULL);
					continue;
				}
				branch_lost(lc, m, (unsigned int)b);
			}
		}
	}
}
