/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c: pf-dataplane start-up and shutdown -- options, configuration,
 * EAL, ports, lcores, tables; the main lcore serves the control socket. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "pf_dp.h"

struct pf_dp pf_dp;

#define MAX_ARGS 128

struct options {
	const char *config;
	const char *check;
	const char *stats;
	const char *control;
	const char *rules;
	int n_port_over;
	const char *port_over[PF_MAX_PORTS];
};

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL options] -- --config FILE [options]\n"
		"       %s --check-config FILE\n"
		"\n"
		"PacketFlow dataplane: parses, classifies, admits and routes PacketFlow\n"
		"requests to worker lcores pinned per periodic group, and answers them.\n"
		"\n"
		"Options (after --):\n"
		"  -c, --config FILE        configuration (YAML, see docs/configuration.md)\n"
		"      --check-config FILE  validate FILE and its rules, print a summary, exit\n"
		"      --port NAME=DEVICE   replace the device of port NAME (vdev or PCI)\n"
		"      --stats PATH         stats segment (overrides dataplane.stats_segment)\n"
		"      --control PATH       control socket (overrides dataplane.control_socket)\n"
		"      --rules FILE         rules file (overrides dataplane.rules; '' = none)\n"
		"  -h, --help               this text\n"
		"\n"
		"EAL options from the config's `eal:` list come first; those on the command\n"
		"line follow and win. Each vdev port adds its own --vdev.\n"
		"Signals: SIGINT/SIGTERM stop RX, drain the rings, flush TX, close ports.\n",
		prog, prog);
}

static int
parse_app_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "port", required_argument, NULL, 'p' },
		{ "stats", required_argument, NULL, 's' },
		{ "control", required_argument, NULL, 'S' },
		{ "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'C': o->check = optarg; break;
		case 's': o->stats = optarg; break;
		case 'S': o->control = optarg; break;
		case 'r': o->rules = optarg; break;
		case 'p':
			if (o->n_port_over == PF_MAX_PORTS || !strchr(optarg, '=')) {
				fprintf(stderr, "--port %s: expected NAME=DEVICE\n", optarg);
				return -EINVAL;
			}
			o->port_over[o->n_port_over++] = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s' (EAL options go before --)\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int
apply_overrides(struct pf_config *cfg, const struct options *o)
{
	for (int i = 0; i < o->n_port_over; i++) {
		const char *eq = strchr(o->port_over[i], '=');
		size_t nlen = (size_t)(eq - o->port_over[i]);
		int found = 0;
		for (int p = 0; p < cfg->n_ports; p++) {
			struct pf_port_conf *pc = &cfg->ports[p];
			if (strlen(pc->name) != nlen ||
			    strncmp(pc->name, o->port_over[i], nlen) != 0)
				continue;
			snprintf(pc->device, sizeof(pc->device), "%s", eq + 1);
			pc->line = 0; /* errors about it name --port, not the file */
			pc->is_vdev = strncmp(pc->device, "net_", 4) == 0 ||
				      strncmp(pc->device, "eth_", 4) == 0;
			found = 1;
		}
		if (!found) {
			fprintf(stderr, "--port %s: the config has no port named '%.*s'\n",
				o->port_over[i], (int)nlen, o->port_over[i]);
			return -EINVAL;
		}
	}
	if (o->stats)
		snprintf(cfg->stats_segment, sizeof(cfg->stats_segment), "%s", o->stats);
	if (o->control)
		snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", o->control);
	if (o->rules)
		snprintf(cfg->rules_file, sizeof(cfg->rules_file), "%s", o->rules);
	return 0;
}

static void
print_summary(FILE *f, const struct pf_config *cfg, uint32_t n_rules)
{
	uint16_t ids[PF_MAX_LCORE];
	unsigned int n = pf_config_lcores(cfg, ids);

	fprintf(f, "config %s: %u port(s), %u lcore(s), %u capabilities, %u molecules, "
		"%u roles, %u session ranges, %u rules\n",
		cfg->path, cfg->n_ports, n, cfg->n_caps, cfg->n_molecules,
		cfg->n_roles, cfg->n_sessions, n_rules);
	for (int p = 0; p < cfg->n_ports; p++) {
		const struct pf_port_conf *pc = &cfg->ports[p];
		fprintf(f, "  port %s: %s, rx lcores", pc->name, pc->device);
		for (int i = 0; i < pc->rx_lcores.n; i++)
			fprintf(f, " %u", pc->rx_lcores.ids[i]);
		fprintf(f, ", %u/%u descriptors\n", pc->rx_desc, pc->tx_desc);
	}
	for (int g = 1; g <= PF_GROUP_COUNT; g++) {
		const struct pf_policy *pol = &cfg->groups[g];
		if (!pol->lcores.n)
			continue;
		fprintf(f, "  group %s: lcores", pf_group_get(g)->symbol);
		for (int i = 0; i < pol->lcores.n; i++)
			fprintf(f, " %u", pol->lcores.ids[i]);
		fprintf(f, ", %s%s, replicate %u\n", pf_balance_name(pol->balance),
			pol->high_prio ? ", high priority" : "", pol->replicate);
	}
	for (int i = 0; i < cfg->n_caps; i++) {
		const struct pf_cap_conf *c = &cfg->caps[i];
		const struct pf_element *e = pf_element_at(c->group, c->element);
		fprintf(f, "  capability %u %s: %s.%s%s%s\n", c->id, c->name,
			pf_group_get(c->group)->symbol, e->symbol,
			c->molecule >= 0 ? ", molecule " : "",
			c->molecule >= 0 ? cfg->molecules[c->molecule].name : "");
	}
}

/* Every capability must name an element with a built-in behaviour, and an
 * arg that behaviour knows. */
static int
check_behaviours(const struct pf_config *cfg, char *err, size_t errlen)
{
	for (int i = 0; i < cfg->n_caps; i++) {
		const struct pf_cap_conf *c = &cfg->caps[i];
		const struct pf_element *e = pf_element_at(c->group, c->element);
		const struct pf_element_ops *ops = pf_element_ops(e->number);
		if (!ops) {
			snprintf(err, errlen,
				 "%s:%d: capabilities[%d].element: expected an element with a "
				 "built-in behaviour, found %s.%s (not implemented in this version)",
				 cfg->path, c->line, i, pf_group_get(c->group)->symbol,
				 e->symbol);
			return -ENOTSUP;
		}
		if (ops->rewrite_for && !ops->rewrite_for(c->arg)) {
			snprintf(err, errlen, "%s:%d: capabilities[%d].arg: expected %s for %s.%s, "
				 "found \"%s\"", cfg->path, c->line, i, ops->args,
				 pf_group_get(c->group)->symbol, e->symbol, c->arg);
			return -EINVAL;
		}
	}
	return 0;
}

static int
check_config(const char *path)
{
	struct pf_config *cfg = calloc(1, sizeof(*cfg));
	struct pf_ruleset rs = { 0 };
	hs_database_t *db = NULL;
	char err[PF_CONFIG_ERR_LEN];
	int rc = 1;

	if (!cfg)
		return 1;
	if (pf_config_load(path, cfg, err, sizeof(err)) < 0 ||
	    check_behaviours(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (cfg->rules_file[0]) {
		if (pf_rules_load(cfg->rules_file, cfg, &rs, err, sizeof(err)) < 0 ||
		    pf_rules_compile(&rs, &db, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			goto out;
		}
	}
	print_summary(stdout, cfg, rs.n);
	printf("config OK\n");
	rc = 0;
out:
	if (db)
		hs_free_database(db);
	pf_rules_free(&rs);
	free(cfg);
	return rc;
}

/*
 * Phase two of a stop: RX is off (quit == 1); wait until no ring holds a
 * packet and no lcore has found work for a while, so that every stage
 * still running has finished and handed its answer to a TX queue; then let
 * the lcores leave (quit == 2). Bounded: what is left after 5 s is counted
 * as the drop reason "shutdown".
 */
static void
drain(struct pf_dp *dp)
{
	uint64_t last[PF_STATS_MAX_LCORES] = { 0 };
	unsigned int quiet = 0;

	/* Quiet: no ring holds a packet, and every lcore has finished a whole
	 * loop iteration that found no work since the last look (an lcore
	 * inside a long stage does not finish iterations). */
	for (int i = 0; i < 5000 && quiet < 20; i++) {
		bool all_idle = pf_lcores_idle();
		for (unsigned int l = 0; l < dp->n_lcores; l++) {
			uint64_t idle = __atomic_load_n(&dp->slcores[l].idle_polls,
							__ATOMIC_RELAXED);
			if (idle == last[l])
				all_idle = false;
			last[l] = idle;
		}
		quiet = all_idle ? quiet + 1 : 0;
		rte_delay_us_sleep(1000);
	}
	dp->quit = 2;
}

static void
on_signal(int sig)
{
	(void)sig;
	pf_dp.quit = 1;
}

/* argv for rte_eal_init: program, config's eal list, command line, vdevs. */
static int
build_eal_argv(const struct pf_config *cfg, int argc, char **argv, int n_eal,
	       char **out)
{
	int n = 0;

	out[n++] = argv[0];
	for (int i = 0; i < cfg->n_eal_args && n < MAX_ARGS - 2; i++)
		out[n++] = (char *)cfg->eal_args[i];
	for (int i = 1; i < n_eal && n < MAX_ARGS - 2; i++)
		out[n++] = argv[i];
	for (int p = 0; p < cfg->n_ports && n < MAX_ARGS - 3; p++) {
		out[n++] = cfg->ports[p].is_vdev ? "--vdev" : "-a";
		out[n++] = (char *)cfg->ports[p].device;
	}
	(void)argc;
	out[n] = NULL;
	return n;
}

static void
print_final(const struct pf_dp *dp)
{
	struct pf_stats_lcore *sum = pf_stats_zalloc(sizeof(*sum));

	if (!sum)
		return;
	for (unsigned int i = 0; i < dp->n_lcores; i++) {
		const struct pf_stats_lcore *s = &dp->slcores[i];
		sum->rx += s->rx;
		sum->tx += s->tx;
		for (int d = 0; d < PF_DROP_MAX; d++)
			sum->drops[d] += s->drops[d];
		sum->fanout_copies += s->fanout_copies;
		sum->fanout_joins += s->fanout_joins;
	}
	uint64_t drops = pf_stats_drops_total(sum);
	printf("final: rx %" PRIu64 " tx %" PRIu64 " drops %" PRIu64, sum->rx, sum->tx, drops);
	for (int d = 0; d < PF_DROP_MAX; d++)
		if (sum->drops[d])
			printf(" %s=%" PRIu64, pf_drop_name(d), sum->drops[d]);
	printf("\ninvariant: rx %s tx + drops (%" PRIu64 " %s %" PRIu64 ")\n",
	       sum->rx == sum->tx + drops ? "==" : "!=", sum->rx,
	       sum->rx == sum->tx + drops ? "==" : "!=", sum->tx + drops);
	free(sum);
}

int
main(int argc, char **argv)
{
	struct pf_dp *dp = &pf_dp;
	struct options o = { 0 };
	char err[PF_CONFIG_ERR_LEN];
	char *eal_argv[MAX_ARGS];
	int n_eal = argc, rc;

	/* Split at "--": EAL options before, ours after. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			n_eal = i;
			break;
		}
	}
	if (n_eal == argc) {
		/* No "--": accept our options alone (--help, --check-config). */
		if (parse_app_args(argc, argv, &o) < 0) {
			usage(stderr, argv[0]);
			return 2;
		}
		n_eal = 1;
	} else {
		argv[n_eal] = argv[0];
		if (parse_app_args(argc - n_eal, argv + n_eal, &o) < 0) {
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (o.check)
		return check_config(o.check);
	if (!o.config) {
		fprintf(stderr, "pf-dataplane: --config FILE is required\n");
		usage(stderr, argv[0]);
		return 2;
	}

	dp->cfg = calloc(1, sizeof(*dp->cfg));
	if (!dp->cfg)
		return 1;
	if (pf_config_load(o.config, dp->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (apply_overrides(dp->cfg, &o) < 0)
		return 2;
	if (check_behaviours(dp->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}

	int eal_argc = build_eal_argv(dp->cfg, argc, argv, n_eal, eal_argv);
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "pf-dataplane: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	dp->tsc_hz = rte_get_tsc_hz();
	dp->tx_drain_tsc = dp->tsc_hz / 1000000 * dp->cfg->tx_flush_us;
	if (!dp->tx_drain_tsc)
		dp->tx_drain_tsc = 1;
	dp->ctl_fd = -1;

	printf("pf-dataplane %s on %s, main lcore %u, tsc %.3f GHz\n",
	       PF_VERSION_STRING, rte_version(), rte_get_main_lcore(),
	       (double)dp->tsc_hz / 1e9);

	if (pf_lcores_init(dp, err, sizeof(err)) < 0 ||
	    pf_stats_init(dp, err, sizeof(err)) < 0 ||
	    pf_ports_init(dp, err, sizeof(err)) < 0)
		goto fail;

	struct pf_tables *t;
	struct pf_rules_tables *r;
	if (pf_tables_build(dp, dp->cfg, &t, err, sizeof(err)) < 0 ||
	    pf_rules_tables_from_file(dp, dp->cfg, &r, err, sizeof(err)) < 0)
		goto fail;
	pf_tables_publish(dp, t);
	pf_rules_publish(dp, r);
	pf_telemetry_init(dp);
	if (pf_ctl_init(dp, err, sizeof(err)) < 0)
		goto fail;

	print_summary(stdout, dp->cfg, r->n_rules);
	printf("lcore map:\n");
	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++) {
		const struct pf_lcore *lc = dp->lcores[id];
		if (!lc)
			continue;
		printf("  lcore %u (socket %u):%s", id, rte_lcore_to_socket_id(id),
		       lc->roles & PF_LCORE_RX ? " rx" : "");
		for (int q = 0; q < lc->n_rxq; q++)
			printf(" %u/%u", lc->rxq[q].port, lc->rxq[q].queue);
		if (lc->groups) {
			printf(" | groups");
			for (int g = 1; g <= PF_GROUP_COUNT; g++)
				if (lc->groups & (1u << g))
					printf(" %s", pf_group_get(g)->symbol);
		}
		printf(" | tx");
		for (int p = 0; p < dp->n_ports; p++) {
			uint16_t port = dp->port_id[p];
			if (lc->txq[port] >= 0)
				printf(" %u/%d", port, lc->txq[port]);
			else
				printf(" %u/via-lcore-%u", port, lc->tx_owner[port]->lcore_id);
		}
		printf("\n");
	}
	printf("stats segment %s, control socket %s\n", dp->stats_path, dp->ctl_path);
	printf("running; SIGINT or SIGTERM to stop\n");
	fflush(stdout);

	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++)
		if (dp->lcores[id])
			rte_eal_remote_launch(pf_lcore_main, dp->lcores[id], id);

	while (!dp->quit) {
		pf_ctl_poll(dp, 20);
		pf_tables_reclaim(dp, false);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		__atomic_store_n(&dp->shdr->updated_ns,
				 (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
				 __ATOMIC_RELAXED);
	}

	printf("stopping: RX off, draining rings\n");
	fflush(stdout);
	drain(dp);
	rte_eal_mp_wait_lcore();
	pf_lcores_drain(dp);
	pf_ports_stop(dp);
	pf_tables_reclaim(dp, true);
	dp->shdr->running = 0;
	print_final(dp);
	pf_ctl_fini(dp);
	pf_stats_fini(dp);
	pf_lcores_free(dp);
	rte_eal_cleanup();
	return 0;

fail:
	fprintf(stderr, "%s\n", err);
	dp->quit = 2;
	rte_eal_mp_wait_lcore();
	pf_ctl_fini(dp);
	pf_ports_stop(dp);
	pf_stats_fini(dp);
	rte_eal_cleanup();
	return 1;
}
