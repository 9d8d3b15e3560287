/* SPDX-License-Identifier: BSD-3-Clause */
/* tx.c: pf-gen's transmit side -- a token bucket on the TSC, bursts built
 * from the model, one timestamp per burst, refused frames taken back. */
#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "gen.h"

/*
 * Pacing: next_fp is the time the next frame is due, in TSC cycles << 16
 * (the fraction keeps 1 Mpps on a 2.1 GHz TSC -- 2100 cycles a frame --
 * exact over a run). A burst takes every frame that is due, up to 32, and
 * the bucket holds --bucket frames (32: one burst): after a stall the
 * lcore catches up at most that many frames, back to back, and the rest
 * of the schedule is skipped (counted). With cost_fp 0 it sends flat out.
 */
static inline unsigned int
due(struct gen_lcore *lc, uint64_t now)
{
	uint64_t now_fp = now << 16;
	unsigned int n;

	if (lc->cost_fp == 0)
		return GEN_BURST;
	if (lc->next_fp > now_fp)
		return 0;
	if (unlikely(now_fp - lc->next_fp > lc->depth_fp)) {
		/* Fell behind (descheduled, or slower than the rate): keep a
		 * bucket's worth, and count what the schedule lost. */
		uint64_t slip = now_fp - lc->depth_fp - lc->next_fp;
		if (now >= lc->ctl->measure_tsc) {
			lc->c.tx_slipped += slip / lc->cost_fp;
			lc->c.tx_slips++;
		}
		lc->next_fp = now_fp - lc->depth_fp;
	}
	n = (unsigned int)((now_fp - lc->next_fp) / lc->cost_fp) + 1;
	return n > GEN_BURST ? GEN_BURST : n;
}

unsigned int
gen_tx_step(struct gen_lcore *lc, uint64_t now)
{
	struct rte_mbuf *pkts[GEN_BURST];
	struct gen_counters *c = &lc->c;
	unsigned int n = due(lc, now);
	bool measured = now >= lc->ctl->measure_tsc;

	if (n == 0)
		return 0;
	if (measured && n > lc->quota)
		n = (unsigned int)lc->quota;
	if (unlikely(n == 0))
		return 0;
	/* Raw mbufs: a pool's free mbufs already have next NULL, nb_segs 1
	 * and refcnt 1 (the mbuf library's invariant), so only the fields of
	 * the first cache line that a frame sets are written -- what
	 * rte_pktmbuf_alloc_bulk() would reset besides costs a second line. */
	if (unlikely(rte_mempool_generic_get(lc->pool, (void **)pkts, n, lc->mcache) != 0)) {
		c->tx_no_mbuf++;
		return 0;
	}
	uint8_t *data[GEN_BURST];
	uint64_t bytes = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->ol_flags = 0;
		m->packet_type = 0;
		m->port = lc->port;
		data[i] = rte_pktmbuf_mtod(m, uint8_t *);
		uint16_t len = gen_build(lc->m, &lc->pk, data[i], lc->room, &lc->sess[i]);
		m->data_len = len;
		m->pkt_len = len;
		lc->len[i] = len;
		bytes += len;
	}
	/* Stamp when the burst is handed to the port, not when its building
	 * began (32 frames take a microsecond or two). A burst that crossed
	 * the end of the warm-up while being built keeps the earlier time, so
	 * that the RX side, which judges by the stamp, calls it unmeasured
	 * too, as this side counted it. */
	uint64_t stamp = rte_rdtsc();
	if ((stamp >= lc->ctl->measure_tsc) != measured)
		stamp = now;
	for (unsigned int i = 0; i < n; i++)
		gen_stamp(data[i], stamp);
	uint16_t sent = rte_eth_tx_burst(lc->port, lc->txq, pkts, (uint16_t)n);
	if (unlikely(sent < n)) {
		/* Take the refused tail back: its sequence numbers were never
		 * on the wire, and handing them out again keeps every
		 * session's numbers gap-free (a gap would read as loss). */
		for (unsigned int i = n; i-- > sent;) {
			lc->pk.next_seq[lc->sess[i]]--;
			lc->pk.frames--;
			bytes -= lc->len[i];
		}
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		c->tx_full += n - sent;
	}
	if (lc->cost_fp)
		lc->next_fp += sent * lc->cost_fp;
	c->tx_frames += sent;
	if (measured && sent) {
		if (!c->tx_measured)
			c->tx_first_tsc = now;
		c->tx_last_tsc = now;
		c->tx_measured += sent;
		c->tx_bytes += bytes;
		lc->quota -= sent;
	}
	return sent;
}
