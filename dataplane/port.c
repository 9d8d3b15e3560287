/* SPDX-License-Identifier: BSD-3-Clause */
/* port.c: mbuf pools and ports from the configuration -- one RX queue per
 * RX lcore (RSS when several), one TX queue per lcore, no TX locks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "pf_dp.h"
#include "pf_ethdev.h"

static struct rte_mempool *
pool_for_socket(struct pf_dp *dp, int socket, char *err, size_t errlen)
{
	unsigned int s = socket < 0 ? 0 : (unsigned int)socket;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (s >= RTE_MAX_NUMA_NODES)
		s = 0;
	if (dp->pool[s])
		return dp->pool[s];
	snprintf(name, sizeof(name), "pf_mbuf_%u", s);
	uint16_t priv = RTE_ALIGN_CEIL(sizeof(struct pf_meta), RTE_MBUF_PRIV_ALIGN);
	dp->pool[s] = rte_pktmbuf_pool_create(name, dp->cfg->mbufs,
					      dp->cfg->mbuf_cache, priv,
					      dp->cfg->mbuf_data_room, (int)s);
	if (!dp->pool[s] && socket >= 0)
		dp->pool[s] = rte_pktmbuf_pool_create(name, dp->cfg->mbufs,
						      dp->cfg->mbuf_cache, priv,
						      dp->cfg->mbuf_data_room,
						      SOCKET_ID_ANY);
	if (!dp->pool[s])
		snprintf(err, errlen,
			 "memory.mbufs: cannot create a pool of %u mbufs of %u bytes "
			 "on socket %u: %s (raise -m, or lower memory.mbufs)",
			 dp->cfg->mbufs, dp->cfg->mbuf_data_room, s,
			 rte_strerror(rte_errno));
	return dp->pool[s];
}

static void
tx_dropped(struct rte_mbuf **pkts, uint16_t unsent, void *arg)
{
	struct pf_lcore *lc = arg;

	lc->st->tx -= unsent; /* counted when buffered */
	lc->st->drops[PF_DROP_TX_FULL] += unsent;
	rte_pktmbuf_free_bulk(pkts, unsent);
}

static int
port_init(struct pf_dp *dp, int p, char *err, size_t errlen)
{
	const struct pf_port_conf *pc = &dp->cfg->ports[p];
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t port, nb_rx = pc->rx_lcores.n, nb_tx;
	uint16_t rx_desc = pc->rx_desc, tx_desc = pc->tx_desc;
	int rc;

	if (pf_ethdev_find(pc->device, &port) < 0) {
		char where[PF_PATH_LEN + 32];
		if (pc->line)
			snprintf(where, sizeof(where), "%s:%d: ports[%d].device",
				 dp->cfg->path, pc->line, p);
		else
			snprintf(where, sizeof(where), "--port %s", pc->name);
		snprintf(err, errlen,
			 "%s: expected a device DPDK probed, found \"%s\" (no such "
			 "device: check the PCI address and its driver binding, or the "
			 "vdev string)", where, pc->device);
		return -ENODEV;
	}
	dp->port_id[p] = port;
	dp->n_ports = (uint16_t)(p + 1);
	rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0)
		goto fail_rc;
	if (nb_rx > info.max_rx_queues) {
		snprintf(err, errlen,
			 "%s:%d: ports[%d].rx_lcores: device %s has %u RX queues, the "
			 "config polls %u (one per RX lcore)",
			 dp->cfg->path, pc->line, p, pc->device, info.max_rx_queues, nb_rx);
		return -EINVAL;
	}
	/* One TX queue per lcore when the device has enough; otherwise the
	 * lcores without one hand their answers to one that has (a ring, not
	 * a lock). */
	nb_tx = RTE_MIN(dp->n_lcores, info.max_tx_queues);
	if (nb_tx == 0) {
		snprintf(err, errlen, "%s:%d: ports[%d]: device %s has no TX queue",
			 dp->cfg->path, pc->line, p, pc->device);
		return -EINVAL;
	}
	if (nb_rx > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	/* No RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE: fan-outs hand one mbuf to
	 * several lcores by reference count, which it forbids. */

	rc = rte_eth_dev_configure(port, nb_rx, nb_tx, &conf);
	if (rc < 0)
		goto fail_rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
	if (rc < 0)
		goto fail_rc;

	int socket = rte_eth_dev_socket_id(port);
	for (uint16_t q = 0; q < nb_rx; q++) {
		uint16_t lcore = pc->rx_lcores.ids[q];
		struct pf_lcore *lc = dp->lcores[lcore];
		struct rte_mempool *mp = pool_for_socket(dp, socket, err, errlen);
		if (!mp)
			return -ENOMEM;
		rc = rte_eth_rx_queue_setup(port, q, rx_desc, socket, NULL, mp);
		if (rc < 0)
			goto fail_rc;
		lc->rxq[lc->n_rxq].port = port;
		lc->rxq[lc->n_rxq].queue = q;
		lc->n_rxq++;
	}
	for (uint16_t q = 0; q < nb_tx; q++) {
		rc = rte_eth_tx_queue_setup(port, q, tx_desc, socket, NULL);
		if (rc < 0)
			goto fail_rc;
	}
	/* Every lcore may answer on every port: a queue and a TX buffer each,
	 * or the lcore that sends for it. */
	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++) {
		struct pf_lcore *lc = dp->lcores[id];
		if (!lc)
			continue;
		lc->txq[port] = lc->idx < nb_tx ? (int16_t)lc->idx : -1;
		lc->tx_owner[port] = dp->by_idx[lc->idx % nb_tx];
		if (lc->txq[port] < 0)
			continue;
		lc->txb[port] = rte_zmalloc_socket("pf_txb",
			RTE_ETH_TX_BUFFER_SIZE(dp->cfg->burst), 0,
			(int)rte_lcore_to_socket_id(id));
		if (!lc->txb[port]) {
			snprintf(err, errlen, "no memory for TX buffers (raise -m)");
			return -ENOMEM;
		}
		rte_eth_tx_buffer_init(lc->txb[port], dp->cfg->burst);
		rte_eth_tx_buffer_set_err_callback(lc->txb[port], tx_dropped, lc);
	}
	rc = rte_eth_dev_start(port);
	if (rc < 0)
		goto fail_rc;
	rte_eth_promiscuous_enable(port); /* vdevs may not support it: ignore */
	return 0;

fail_rc:
	snprintf(err, errlen, "%s:%d: ports[%d] (%s): %s", dp->cfg->path, pc->line,
		 p, pc->device, rte_strerror(-rc));
	return rc;
}

int
pf_ports_init(struct pf_dp *dp, char *err, size_t errlen)
{
	dp->n_ports = 0;
	for (int p = 0; p < dp->cfg->n_ports; p++) {
		int rc = port_init(dp, p, err, errlen);
		if (rc < 0)
			return rc;
	}
	/* Passed traffic leaves by the peer port (0<->1, 2<->3 ...), or by the
	 * port it came in on when it has no peer. */
	for (int p = 0; p < dp->n_ports; p++) {
		int peer = (p ^ 1) < dp->n_ports ? (p ^ 1) : p;
		dp->peer_port[dp->port_id[p]] = dp->port_id[peer];
	}
	return 0;
}

void
pf_ports_stop(struct pf_dp *dp)
{
	for (int p = 0; p < dp->n_ports; p++) {
		uint16_t port = dp->port_id[p];
		if (!rte_eth_dev_is_valid_port(port))
			continue;
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	dp->n_ports = 0;
}
