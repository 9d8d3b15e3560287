/* SPDX-License-Identifier: BSD-3-Clause */
/* lcore.c: per-lcore contexts, their rings and element state, and the one
 * poll loop every dataplane lcore runs (RX, then its rings, then TX). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "pf_dp.h"

static struct rte_hash *
make_hash(const char *what, unsigned int id, int socket, uint32_t entries,
	  uint32_t key_len)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = entries,
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = socket,
	};

	snprintf(name, sizeof(name), "pf_%s_%u", what, id);
	return rte_hash_create(&p);
}

static int
lcore_alloc(struct pf_dp *dp, unsigned int id, char *err, size_t errlen)
{
	int socket = (int)rte_lcore_to_socket_id(id);
	char name[RTE_RING_NAMESIZE];
	struct pf_lcore *lc;

	lc = rte_zmalloc_socket("pf_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE, socket);
	if (!lc)
		goto nomem;
	dp->lcores[id] = lc;
	dp->by_idx[dp->n_lcores] = lc;
	lc->lcore_id = (uint16_t)id;
	lc->idx = dp->n_lcores;
	for (unsigned int p = 0; p < RTE_MAX_ETHPORTS; p++)
		lc->txq[p] = -1;
	dp->lcore_idx[id] = (uint16_t)(dp->n_lcores + 1);
	dp->n_lcores++;

	snprintf(name, sizeof(name), "pf_ring_%u", id);
	lc->ring = rte_ring_create(name, dp->cfg->ring_size, socket, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "pf_ringhi_%u", id);
	lc->ring_hi = rte_ring_create(name, dp->cfg->high_ring_size, socket,
				      RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "pf_txr_%u", id);
	lc->txr = rte_ring_create(name, dp->cfg->ring_size, socket, RING_F_SC_DEQ);
	if (!lc->ring || !lc->ring_hi || !lc->txr)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen,
		 "lcore %u: cannot allocate its context and rings (%s); raise -m or "
		 "lower memory.ring_size", id, rte_strerror(rte_errno));
	return -ENOMEM;
}

/* Element state only where a group with state may run. */
static int
lcore_state(struct pf_dp *dp, struct pf_lcore *lc, char *err, size_t errlen)
{
	int socket = (int)rte_lcore_to_socket_id(lc->lcore_id);

	lc->agg = make_hash("agg", lc->lcore_id, socket, PF_STATE_ENTRIES, PF_KEY_MAX);
	lc->cache = make_hash("cache", lc->lcore_id, socket, PF_STATE_ENTRIES, PF_KEY_MAX);
	if (dp->cfg->classify_cache) {
		/* Sets of PF_CCACHE_WAYS, a power of two of them, holding at
		 * least classify_cache texts. */
		uint32_t sets = rte_align32pow2((dp->cfg->classify_cache + PF_CCACHE_WAYS - 1) /
						PF_CCACHE_WAYS);
		size_t set_bytes = (size_t)sets * sizeof(*lc->ccache);
		int rc = pf_mem_alloc(&lc->ccache_mem, "pf_cls",
				      set_bytes + (size_t)sets * sizeof(*lc->ccache_text), socket);
		if (rc < 0) {
			snprintf(err, errlen,
				 "lcore %u: cannot allocate a classification cache of %u "
				 "entries (%s); raise -m or lower dataplane.classify_cache",
				 lc->lcore_id, dp->cfg->classify_cache, strerror(-rc));
			return -ENOMEM;
		}
		lc->ccache_mask = sets - 1;
		lc->ccache = lc->ccache_mem.p;
		lc->ccache_text = (void *)((uint8_t *)lc->ccache_mem.p + set_bytes);
		lc->ccache_gen = UINT64_MAX;
	}
	lc->agg_count = rte_zmalloc_socket("pf_agg", PF_STATE_ENTRIES * sizeof(uint64_t),
					   RTE_CACHE_LINE_SIZE, socket);
	lc->cache_val = rte_zmalloc_socket("pf_cache",
					   PF_STATE_ENTRIES * sizeof(struct pf_cache_value),
					   RTE_CACHE_LINE_SIZE, socket);
	lc->pending = rte_zmalloc_socket("pf_pending",
					 dp->n_lcores * sizeof(struct pf_pending),
					 RTE_CACHE_LINE_SIZE, socket);
	if (!lc->agg || !lc->cache || !lc->agg_count || !lc->cache_val || !lc->pending) {
		snprintf(err, errlen,
			 "lcore %u: cannot allocate element state (%s); raise -m",
			 lc->lcore_id, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int
check_lcore(const struct pf_dp *dp, unsigned int id, const char *where,
	    char *err, size_t errlen)
{
	if (id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(id)) {
		snprintf(err, errlen,
			 "%s: %s: lcore %u is not enabled in EAL: give it with -l/--lcores "
			 "(e.g. --lcores 0@0,1@1,2@1 runs lcores 0-2 on two CPUs)",
			 dp->cfg->path, where, id);
		return -EINVAL;
	}
	if (id == rte_get_main_lcore()) {
		snprintf(err, errlen,
			 "%s: %s: lcore %u is EAL's main lcore, which serves the control "
			 "socket; pin RX and groups to other lcores (or change --main-lcore)",
			 dp->cfg->path, where, id);
		return -EINVAL;
	}
	return 0;
}

int
pf_lcores_init(struct pf_dp *dp, char *err, size_t errlen)
{
	const struct pf_config *cfg = dp->cfg;
	uint16_t ids[PF_MAX_LCORE];
	unsigned int n = pf_config_lcores(cfg, ids);
	char where[64];

	for (int p = 0; p < cfg->n_ports; p++) {
		for (int i = 0; i < cfg->ports[p].rx_lcores.n; i++) {
			snprintf(where, sizeof(where), "ports[%d].rx_lcores", p);
			int rc = check_lcore(dp, cfg->ports[p].rx_lcores.ids[i], where,
					     err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	for (int g = 1; g <= PF_GROUP_COUNT; g++) {
		for (int i = 0; i < cfg->groups[g].lcores.n; i++) {
			snprintf(where, sizeof(where), "groups.%s.lcores",
				 pf_group_get(g)->symbol);
			int rc = check_lcore(dp, cfg->groups[g].lcores.ids[i], where,
					     err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	for (int c = 0; c < cfg->n_caps; c++) {
		if (!cfg->caps[c].has_policy)
			continue;
		for (int i = 0; i < cfg->caps[c].policy.lcores.n; i++) {
			snprintf(where, sizeof(where), "capabilities[%d].routing.lcores", c);
			int rc = check_lcore(dp, cfg->caps[c].policy.lcores.ids[i], where,
					     err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	if (n > PF_STATS_MAX_LCORES) {
		snprintf(err, errlen, "%s: the config uses %u lcores, at most %d are supported",
			 cfg->path, n, PF_STATS_MAX_LCORES);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		int rc = lcore_alloc(dp, ids[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct pf_lcore *lc = dp->lcores[ids[i]];
		int rc = lcore_state(dp, lc, err, errlen);
		if (rc < 0)
			return rc;
	}
	/* Roles: RX where a port's queue is polled, worker where a group is. */
	for (int p = 0; p < cfg->n_ports; p++)
		for (int i = 0; i < cfg->ports[p].rx_lcores.n; i++)
			dp->lcores[cfg->ports[p].rx_lcores.ids[i]]->roles |= PF_LCORE_RX;
	for (int g = 1; g <= PF_GROUP_COUNT; g++) {
		for (int i = 0; i < cfg->groups[g].lcores.n; i++) {
			struct pf_lcore *lc = dp->lcores[cfg->groups[g].lcores.ids[i]];
			lc->roles |= PF_LCORE_WORKER;
			lc->groups |= (uint8_t)(1u << g);
		}
	}
	for (int c = 0; c < cfg->n_caps; c++)
		if (cfg->caps[c].has_policy)
			for (int i = 0; i < cfg->caps[c].policy.lcores.n; i++)
				dp->lcores[cfg->caps[c].policy.lcores.ids[i]]->roles |=
					PF_LCORE_WORKER;

	/* One RCU reader slot per dataplane lcore. */
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	dp->qsbr = rte_zmalloc("pf_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!dp->qsbr || rte_rcu_qsbr_init(dp->qsbr, RTE_MAX_LCORE) < 0) {
		snprintf(err, errlen, "cannot allocate the RCU state");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++)
		rte_rcu_qsbr_thread_register(dp->qsbr, ids[i]);
	return 0;
}

void
pf_lcores_free(struct pf_dp *dp)
{
	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++) {
		struct pf_lcore *lc = dp->lcores[id];
		if (!lc)
			continue;
		rte_ring_free(lc->ring);
		rte_ring_free(lc->ring_hi);
		rte_ring_free(lc->txr);
		rte_hash_free(lc->agg);
		rte_hash_free(lc->cache);
		pf_mem_free(&lc->ccache_mem);
		rte_free(lc->agg_count);
		rte_free(lc->cache_val);
		rte_free(lc->pending);
		for (unsigned int p = 0; p < RTE_MAX_ETHPORTS; p++)
			rte_free(lc->txb[p]);
		rte_free(lc);
		dp->lcores[id] = NULL;
	}
	rte_free(dp->qsbr);
	dp->qsbr = NULL;
}

/* Take a burst from a ring and run what it holds. */
static inline unsigned int
drain_ring(struct pf_lcore *lc, struct rte_ring *r, unsigned int burst)
{
	struct rte_mbuf *pkts[PF_BURST_MAX];
	unsigned int n = rte_ring_sc_dequeue_burst(r, (void **)pkts, burst, NULL);

	for (unsigned int i = 0; i < n; i++) {
		if (i + 1 < n) {
			int b; /* entries of a fan-out carry a tag: untag first */
			rte_prefetch0(rte_pktmbuf_mtod(pf_untag(pkts[i + 1], &b), void *));
		}
		pf_exec_packet(lc, pkts[i]);
	}
	lc->st->ring_deq += n;
	return n;
}

/* Rings of every lcore are empty: nothing is in flight between lcores. */
bool
pf_lcores_idle(void)
{
	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++) {
		const struct pf_lcore *o = pf_dp.lcores[id];
		if (o && (rte_ring_count(o->ring) || rte_ring_count(o->ring_hi) ||
			  rte_ring_count(o->txr)))
			return false;
	}
	return true;
}

int
pf_lcore_main(void *arg)
{
	struct pf_lcore *lc = arg;
	struct pf_dp *dp = &pf_dp;
	struct pf_stats_lcore *st = lc->st;
	const unsigned int burst = dp->cfg->burst;

	rte_rcu_qsbr_thread_online(dp->qsbr, lc->lcore_id);
	lc->tx_deadline = rte_rdtsc() + dp->tx_drain_tsc;

	while (dp->quit < 2) {
		unsigned int work = 0;

		if (likely(!dp->quit))
			for (unsigned int q = 0; q < lc->n_rxq; q++)
				work += pf_rx_burst(lc, &lc->rxq[q]);

		/* High priority first: a full burst of it, then the rest. */
		unsigned int hi = drain_ring(lc, lc->ring_hi, burst);
		st->high_prio += hi;
		work += hi;
		work += drain_ring(lc, lc->ring, burst);
		pf_flush_pending(lc);
		work += pf_tx_handed(lc, burst);

		/* Answers wait in the TX buffers only while work comes in full
		 * bursts (more answers follow at once and fill them); after a
		 * short iteration they leave now, so a light load never waits
		 * tx_flush_us. The deadline still bounds the wait under load. */
		uint64_t now = rte_rdtsc();
		if (work < burst || now >= lc->tx_deadline) {
			pf_tx_flush(lc);
			lc->tx_deadline = now + dp->tx_drain_tsc;
		}

		pf_latency_flush_at(lc, now);

		/* Tables read above are no longer referenced. */
		rte_rcu_qsbr_quiescent(dp->qsbr, lc->lcore_id);
		st->heartbeat++;

		if (work) {
			st->busy_polls++;
			continue;
		}
		st->idle_polls++;
		if (unlikely(dp->quit)) {
			/* Stopping: RX is off; keep serving rings and flushing
			 * TX until the main lcore sees everything quiet. */
			pf_tx_flush(lc);
		} else if (dp->cfg->idle_yield) {
			/* Oversubscribed host: let the lcore sharing our CPU run. */
			sched_yield();
		}
	}
	pf_tx_flush(lc);
	pf_latency_flush(lc);
	rte_rcu_qsbr_thread_offline(dp->qsbr, lc->lcore_id);
	return 0;
}

/* After the lcores stopped: whatever a stage handed to an lcore that had
 * already left is counted, not lost. */
void
pf_lcores_drain(struct pf_dp *dp)
{
	struct rte_mbuf *m;

	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++) {
		struct pf_lcore *lc = dp->lcores[id];
		if (!lc)
			continue;
		void *p;
		int b;
		while (rte_ring_sc_dequeue(lc->ring_hi, &p) == 0 ||
		       rte_ring_sc_dequeue(lc->ring, &p) == 0) {
			lc->st->ring_deq++;
			m = pf_untag(p, &b);
			if (b >= 0 && __atomic_sub_fetch(&pf_meta(m)->join, 1,
							 __ATOMIC_ACQ_REL) != 0) {
				rte_pktmbuf_free(m); /* a copy: the last one counts */
				continue;
			}
			pf_drop(lc, m, PF_DROP_SHUTDOWN);
		}
		while (rte_ring_sc_dequeue(lc->txr, &p) == 0) {
			pf_drop(lc, p, PF_DROP_SHUTDOWN);
		}
	}
}
