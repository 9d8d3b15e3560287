/* SPDX-License-Identifier: BSD-3-Clause */
/* port.c: pf-gen's port -- found by the name EAL probed it under, one RX
 * queue, one TX queue per TX lcore, an mbuf pool, and the wait for link. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "gen.h"
#include "pf_ethdev.h"

#define GEN_RX_DESC 1024
#define GEN_TX_DESC 1024
#define GEN_MBUF_CACHE 256

static int
wait_link(struct gen *g, char *err, size_t errlen)
{
	struct rte_eth_link link;
	uint32_t waited = 0;

	for (;;) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(g->port, &link) == 0 && link.link_status)
			break;
		if (gen_sigint || waited >= g->o.link_timeout_ms) {
			snprintf(err, errlen,
				 "pf-gen: --port %s: link still down after %u ms (is the peer running? a memif "
				 "client needs a server on its socket, with at least as many TX queues as "
				 "--rx-queues and RX queues as TX lcores; --link-timeout MS waits longer)",
				 g->o.port, waited);
			return -ETIMEDOUT;
		}
		usleep(50 * 1000);
		waited += 50;
	}
	g->link_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
	return 0;
}

int
gen_port_init(struct gen *g, uint16_t n_txq, char *err, size_t errlen)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t rx_desc = GEN_RX_DESC, tx_desc = GEN_TX_DESC;
	struct rte_mempool *mp;
	int rc;

	if (pf_ethdev_find(g->o.port, &g->port) < 0) {
		snprintf(err, errlen,
			 "pf-gen: --port %s: no such device (DPDK probed no port of that name: "
			 "check the vdev string, or the PCI address and its driver binding)",
			 g->o.port);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(g->port, &info);
	if (rc < 0)
		goto fail_rc;
	if (n_txq > info.max_tx_queues) {
		snprintf(err, errlen,
			 "pf-gen: --tx-lcores: port %s has %u TX queue(s), %u TX lcores need one each",
			 g->o.port, info.max_tx_queues, n_txq);
		return -EINVAL;
	}
	int socket = rte_eth_dev_socket_id(g->port);
	/* Enough for every descriptor of every queue plus the lcore caches
	 * and a burst in flight each. */
	unsigned int n_mbufs = rte_align32pow2(GEN_MAX_RXQ * GEN_RX_DESC / 4 + n_txq * GEN_TX_DESC +
					       (n_txq + 2) * (GEN_MBUF_CACHE + GEN_BURST)) - 1;
	mp = rte_pktmbuf_pool_create("pfgen_mbuf", n_mbufs, GEN_MBUF_CACHE, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, socket < 0 ? SOCKET_ID_ANY : socket);
	if (!mp)
		mp = rte_pktmbuf_pool_create("pfgen_mbuf", n_mbufs, GEN_MBUF_CACHE, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!mp) {
		snprintf(err, errlen, "pf-gen: cannot create a pool of %u mbufs: %s (raise -m)",
			 n_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < g->n_lcores; i++)
		g->lcores[i]->pool = mp;

	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	/* memif connects exactly: the server refuses a client with more RX
	 * queues than it has TX queues, and transmits into nothing on the TX
	 * queues a client with fewer left unconnected. --rx-queues must match
	 * the peer's TX queues (pf-dataplane opens one per lcore). */
	uint16_t n_rxq = g->o.rx_queues ? g->o.rx_queues : 1;
	if (n_rxq > info.max_rx_queues) {
		snprintf(err, errlen, "pf-gen: --rx-queues: port %s has %u RX queue(s), %u asked",
			 g->o.port, info.max_rx_queues, n_rxq);
		return -EINVAL;
	}
	g->rx->n_rxq = n_rxq;
	if (n_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		if (!conf.rx_adv_conf.rss_conf.rss_hf)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	rc = rte_eth_dev_configure(g->port, n_rxq, n_txq, &conf);
	if (rc < 0)
		goto fail_rc;
	g->port_configured = true;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(g->port, &rx_desc, &tx_desc);
	if (rc < 0)
		goto fail_rc;
	for (uint16_t q = 0; q < n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(g->port, q, rx_desc,
					    socket < 0 ? SOCKET_ID_ANY : socket, NULL, mp);
		if (rc < 0)
			goto fail_rc;
	}
	for (uint16_t q = 0; q < n_txq; q++) {
		rc = rte_eth_tx_queue_setup(g->port, q, tx_desc,
					    socket < 0 ? SOCKET_ID_ANY : socket, NULL);
		if (rc < 0)
			goto fail_rc;
	}
	/* A memif client cannot start before its server listens: a peer
	 * started a moment later is normal, so retry until the link timeout. */
	uint32_t log_level = rte_log_get_global_level();
	for (uint32_t waited = 0;; waited += 50) {
		rc = rte_eth_dev_start(g->port);
		if (waited == 0 && rc < 0)
			rte_log_set_global_level(RTE_LOG_CRIT); /* one complaint, not one per try */
		if (rc == 0) {
			g->port_started = true;
			break;
		}
		if (gen_sigint || waited >= g->o.link_timeout_ms) {
			rte_log_set_global_level(log_level);
			snprintf(err, errlen,
				 "pf-gen: --port %s: cannot start it: %s (is the peer running? a memif "
				 "client needs a server on its socket; --link-timeout MS waits longer)",
				 g->o.port, rte_strerror(-rc));
			return rc;
		}
		usleep(50 * 1000);
	}
	rte_log_set_global_level(log_level);
	rte_eth_promiscuous_enable(g->port); /* answers carry our MAC; vdevs may refuse */
	return wait_link(g, err, errlen);

fail_rc:
	snprintf(err, errlen, "pf-gen: --port %s: %s", g->o.port, rte_strerror(-rc));
	return rc;
}

void
gen_port_stop(struct gen *g)
{
	if (!g->port_configured || !rte_eth_dev_is_valid_port(g->port))
		return;
	if (g->port_started)
		rte_eth_dev_stop(g->port);
	rte_eth_dev_close(g->port);
}
