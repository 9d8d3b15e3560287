/* SPDX-License-Identifier: BSD-3-Clause */
/* stats.c: the shared-memory stats segment (written in place by the lcores)
 * and the DPDK telemetry commands that read it. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>

#include "pf_dp.h"

int
pf_stats_init(struct pf_dp *dp, char *err, size_t errlen)
{
	int rc;

	snprintf(dp->stats_path, sizeof(dp->stats_path), "%s", dp->cfg->stats_segment);
	rc = pf_stats_create(dp->stats_path, dp->n_lcores, &dp->shdr, &dp->slcores);
	if (rc < 0) {
		snprintf(err, errlen,
			 "dataplane.stats_segment: cannot create %s: %s (choose another "
			 "path with --stats)", dp->stats_path, strerror(-rc));
		return rc;
	}
	struct pf_stats_hdr *h = dp->shdr;
	h->tsc_hz = dp->tsc_hz;
	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++) {
		struct pf_lcore *lc = dp->lcores[id];
		if (!lc)
			continue;
		struct pf_stats_lcore_info *li = &h->lcore_info[lc->idx];
		rte_cpuset_t cpus = rte_lcore_cpuset(id);
		li->lcore_id = (uint16_t)id;
		li->socket = (uint16_t)rte_lcore_to_socket_id(id);
		li->roles = lc->roles;
		li->groups = lc->groups;
		for (unsigned int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &cpus)) {
				li->cpu = (uint16_t)c;
				break;
			}
		lc->st = &dp->slcores[lc->idx];
		lc->audit = pf_stats_audit(h, lc->idx);
	}
	h->running = 1;
	return 0;
}

/* n_rxq is known once the ports are up. */
static void
publish_rxq(struct pf_dp *dp)
{
	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++) {
		struct pf_lcore *lc = dp->lcores[id];
		if (lc)
			dp->shdr->lcore_info[lc->idx].n_rxq = (uint8_t)lc->n_rxq;
	}
}

void
pf_stats_publish_dir(struct pf_dp *dp, const struct pf_tables *t)
{
	struct pf_stats_hdr *h = dp->shdr;

	bool live[PF_STATS_CAP_SLOTS] = { false };

	pf_stats_dir_begin(h);
	for (int i = 0; i < t->cfg->n_caps; i++)
		live[t->caps[i].slot] = true;
	/* Slots of removed capabilities leave the directory; their counters
	 * stay in the lcores' arrays until the id comes back. */
	for (unsigned int s = 0; s < PF_STATS_CAP_SLOTS; s++)
		if (!live[s])
			memset(&h->caps[s], 0, sizeof(h->caps[s]));
	for (int i = 0; i < t->cfg->n_caps; i++) {
		const struct pf_cap_rt *c = &t->caps[i];
		struct pf_stats_cap_info *ci = &h->caps[c->slot];
		ci->id = c->conf->id;
		ci->group = c->conf->group;
		ci->element = c->conf->element;
		snprintf(ci->name, sizeof(ci->name), "%s", c->conf->name);
	}
	h->n_caps = t->cfg->n_caps;
	h->registry_gen = t->gen;
	pf_stats_dir_end(h);
	publish_rxq(dp);
}

void
pf_stats_fini(struct pf_dp *dp)
{
	/* The segment stays: the last counters remain readable after exit. */
	if (dp->shdr) {
		__atomic_store_n(&dp->shdr->running, 0, __ATOMIC_RELEASE);
		pf_stats_destroy(dp->shdr, NULL);
		dp->shdr = NULL;
	}
}

/* ---- telemetry ---- */

static void
sum(struct pf_stats_lcore *out)
{
	struct pf_stats_view v = {
		.hdr = pf_dp.shdr,
		.lcores = pf_dp.slcores,
		.size = pf_stats_size(pf_dp.n_lcores),
		.fd = -1,
	};
	pf_stats_sum(&v, out);
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pf_stats_lcore *s = pf_stats_zalloc(sizeof(*s));

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	if (!s)
		return -ENOMEM;
	sum(s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx", s->rx);
	rte_tel_data_add_dict_u64(d, "tx", s->tx);
	rte_tel_data_add_dict_u64(d, "drops", pf_stats_drops_total(s));
	for (unsigned int r = 0; r < PF_DROP_MAX; r++) {
		char name[64];
		snprintf(name, sizeof(name), "drop_%s", pf_drop_name(r));
		rte_tel_data_add_dict_u64(d, name, s->drops[r]);
	}
	for (unsigned int e = 1; e < PF_DECODE_ERR_MAX; e++) {
		char name[64];
		snprintf(name, sizeof(name), "malformed_%s", pf_decode_err_name(e));
		rte_tel_data_add_dict_u64(d, name, s->malformed[e]);
	}
	rte_tel_data_add_dict_u64(d, "classified", s->classified);
	rte_tel_data_add_dict_u64(d, "rule_hits", s->rule_hits);
	rte_tel_data_add_dict_u64(d, "passed", s->passed);
	rte_tel_data_add_dict_u64(d, "ring_enq", s->ring_enq);
	rte_tel_data_add_dict_u64(d, "high_prio", s->high_prio);
	rte_tel_data_add_dict_u64(d, "fanout_copies", s->fanout_copies);
	rte_tel_data_add_dict_u64(d, "fanout_joins", s->fanout_joins);
	rte_tel_data_add_dict_u64(d, "registry_gen", pf_dp.shdr->registry_gen);
	rte_tel_data_add_dict_u64(d, "rules_gen", pf_dp.shdr->rules_gen);
	free(s);
	return 0;
}

static int
tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < pf_dp.n_lcores; i++) {
		const struct pf_stats_lcore_info *li = &pf_dp.shdr->lcore_info[i];
		const struct pf_stats_lcore *s = &pf_dp.slcores[i];
		struct rte_tel_data *l = rte_tel_data_alloc();
		char name[32], groups[32] = "";
		if (!l)
			return -ENOMEM;
		for (int g = 1; g <= PF_GROUP_COUNT; g++) {
			if (!(li->groups & (1u << g)))
				continue;
			if (groups[0])
				strcat(groups, ",");
			strcat(groups, pf_group_get(g)->symbol);
		}
		rte_tel_data_start_dict(l);
		rte_tel_data_add_dict_int(l, "cpu", li->cpu);
		rte_tel_data_add_dict_int(l, "socket", li->socket);
		rte_tel_data_add_dict_string(l, "roles",
			li->roles == (PF_LCORE_RX | PF_LCORE_WORKER) ? "rx,worker" :
			li->roles & PF_LCORE_RX ? "rx" : "worker");
		rte_tel_data_add_dict_string(l, "groups", groups);
		rte_tel_data_add_dict_int(l, "rx_queues", li->n_rxq);
		rte_tel_data_add_dict_u64(l, "rx", s->rx);
		rte_tel_data_add_dict_u64(l, "tx", s->tx);
		rte_tel_data_add_dict_u64(l, "drops", pf_stats_drops_total(s));
		rte_tel_data_add_dict_u64(l, "busy_polls", s->busy_polls);
		rte_tel_data_add_dict_u64(l, "idle_polls", s->idle_polls);
		snprintf(name, sizeof(name), "%u", li->lcore_id);
		rte_tel_data_add_dict_container(d, name, l, 0);
	}
	return 0;
}

static int
tel_caps(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pf_stats_lcore *s = pf_stats_zalloc(sizeof(*s));
	struct pf_stats_cap_info *dir = calloc(PF_STATS_CAP_SLOTS, sizeof(*dir));

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	if (!s || !dir) {
		free(s);
		free(dir);
		return -ENOMEM;
	}
	sum(s);
	struct pf_stats_view v = { .hdr = pf_dp.shdr, .lcores = pf_dp.slcores };
	pf_stats_dir(&v, dir);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < PF_STATS_CAP_SLOTS; i++) {
		if (!dir[i].id)
			continue;
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (!c)
			break;
		const struct pf_stats_cap *sc = &s->caps[i];
		const struct pf_element *e = pf_element_at(dir[i].group, dir[i].element);
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_int(c, "id", dir[i].id);
		rte_tel_data_add_dict_string(c, "group", pf_group_get(dir[i].group)->symbol);
		rte_tel_data_add_dict_string(c, "element", e ? e->symbol : "?");
		rte_tel_data_add_dict_u64(c, "exec", sc->exec);
		rte_tel_data_add_dict_u64(c, "errors", sc->errors);
		uint64_t n = sc->exec + sc->errors;
		rte_tel_data_add_dict_u64(c, "mean_ns", n && pf_dp.tsc_hz ?
			(uint64_t)((double)sc->cycles / (double)n * 1e9 / (double)pf_dp.tsc_hz) : 0);
		rte_tel_data_add_dict_u64(c, "p99_ns", pf_dp.tsc_hz ?
			(uint64_t)((double)pf_hist_quantile(sc->hist, 0.99) * 1e9 /
				   (double)pf_dp.tsc_hz) : 0);
		rte_tel_data_add_dict_container(d, dir[i].name, c, 0);
	}
	free(s);
	free(dir);
	return 0;
}

int
pf_telemetry_init(struct pf_dp *dp)
{
	RTE_SET_USED(dp);
	rte_telemetry_register_cmd("/packetflow/stats", tel_stats,
		"PacketFlow counters summed over lcores: rx, tx, drops by reason. No parameters");
	rte_telemetry_register_cmd("/packetflow/lcores", tel_lcores,
		"PacketFlow lcore map: roles, groups, queues and counters. No parameters");
	rte_telemetry_register_cmd("/packetflow/caps", tel_caps,
		"PacketFlow capabilities: executions, errors, latency. No parameters");
	return 0;
}
