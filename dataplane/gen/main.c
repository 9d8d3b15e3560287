/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c: pf-gen start-up and shutdown -- options, profile, EAL, lcores,
 * port, then one run, an NDR search, a replay, or a pcap file. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include "gen.h"

#define MAX_ARGS 128
#define DEFAULT_PPS 10000.0

volatile int gen_sigint;

static struct gen gen;

/* Source MAC of --pcap-out's frames (no port to take one from). */
static const uint8_t pcap_src_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void
on_signal(int sig)
{
	(void)sig;
	gen_sigint++;
}

/* --hold: the report is out; keep the port up, not polled, until the
 * peer takes the link down or a signal comes. A memif PMD (DPDK 22.11)
 * unmaps its rings from the interrupt thread when the peer leaves, under
 * a receive in progress: the side that leaves last must not be polling,
 * so a harness stops the forwarder first and this side then sees the link
 * go down. */
static void
hold_port(struct gen *g)
{
	int sig = gen_sigint;
	struct rte_eth_link link;

	printf("holding: port %s stays up until its peer leaves or SIGINT\n", g->o.port);
	fflush(stdout);
	while (gen_sigint == sig) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(g->port, &link) == 0 && !link.link_status) {
			/* memif marks the link down inside its disconnect, which
			 * the interrupt thread is still running: stopping the
			 * port now runs a second disconnect beside it (a crash in
			 * DPDK 22.11). Let it finish first. */
			rte_delay_us_sleep(500 * 1000);
			break;
		}
		rte_delay_us_sleep(10 * 1000);
	}
	printf("hold ended: %s\n", gen_sigint != sig ? "signal" : "link down");
	fflush(stdout);
}

/* The command line's traffic options over the profile's. */
static int
apply_overrides(struct gen *g)
{
	struct gen_opts *o = &g->o;
	struct pf_profile *p = &g->prof;
	char why[PF_PROFILE_ERR_LEN];

	if (o->size_text) {
		pf_size_parse(o->size_text, &p->size);
		for (unsigned int i = 0; i < p->n_entries; i++)
			p->entries[i].has_size = false; /* --size is every entry's */
	}
	if (o->sessions_text)
		pf_sessions_parse(o->sessions_text, &p->pools[0]);
	if (o->order_text)
		p->session_order = strcmp(o->order_text, "random") == 0 ? PF_SESSIONS_RANDOM
									: PF_SESSIONS_ROUND_ROBIN;
	if (o->priority_text)
		p->n_prio = (uint8_t)pf_weights_parse(o->priority_text, p->prio,
						      PF_PROFILE_MAX_WEIGHTS, 0, 255);
	if (o->rate.kind == PF_RATE_UNSET)
		o->rate = p->rate;
	if (o->rate.kind == PF_RATE_UNSET) {
		o->rate.kind = PF_RATE_PPS;
		o->rate.value = DEFAULT_PPS;
	}
	if (!o->duration_set)
		o->duration_ms = p->duration_ms;
	if (!o->warmup_set)
		o->warmup_ms = p->warmup_ms;
	if (pf_profile_check_pools(p, why, sizeof(why)) < 0) {
		fprintf(stderr, "pf-gen: --sessions %s: %s\n", o->sessions_text, why);
		return -EINVAL;
	}
	if (!o->cookie_set)
		o->cookie = o->pcap_out || o->rx_only ? GEN_PCAP_COOKIE
						      : (uint32_t)(rte_rdtsc() ^ ((uint64_t)getpid() << 16));
	return 0;
}

static void
print_profile(FILE *f, const struct pf_profile *p, const struct gen_model *m)
{
	char sz[96];
	uint64_t total = m->entry_total;

	fprintf(f, "profile %s: %s\n", p->path, p->description[0] ? p->description : "-");
	fprintf(f, "  %u kinds of request, %u sessions (%s), mean frame %.1f B with FCS\n",
		p->n_entries, m->n_sessions,
		p->session_order == PF_SESSIONS_RANDOM ? "random" : "round-robin", m->mean_frame);
	for (unsigned int i = 0; i < p->n_entries; i++) {
		const struct pf_profile_entry *e = &p->entries[i];
		const struct gen_entry_rt *r = &m->e[i];
		char fields[64] = "";
		for (uint16_t id = PF_FIELD_INTENT; id <= PF_FIELD_VALUE; id++)
			if (e->fields & pf_field_bit(id))
				snprintf(fields + strlen(fields), sizeof(fields) - strlen(fields), "%s%s",
					 fields[0] ? "," : "", pf_field_name(id));
		fprintf(f, "  %-12s %5.1f %%  ", e->name, total ? 100.0 * e->weight / total : 0);
		if (e->classify)
			fprintf(f, "classify (%u intents)", e->n_intents);
		else if (e->group)
			fprintf(f, "cap %u %s.%s", e->capability, pf_group_get(e->group)->symbol,
				pf_element_at(e->group, e->element)->symbol);
		else
			fprintf(f, "cap %u", e->capability);
		fprintf(f, "  fields %s  size %s  sessions %u-%u\n", fields[0] ? fields : "none",
			pf_size_format(e->has_size ? &e->size : &p->size, sz, sizeof(sz)),
			p->pools[e->pool].first, p->pools[e->pool].first + p->pools[e->pool].count - 1);
		if (r->size.min < r->min_frame)
			fprintf(f, "  note: %s frames below %u B (headers and fields) go out at %u B\n",
				e->name, r->min_frame, r->min_frame);
	}
}

static int
check_profile(struct gen *g)
{
	char err[PF_PROFILE_ERR_LEN];
	if (pf_profile_load(g->o.check_profile, &g->prof, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return GEN_EXIT_USAGE;
	}
	if (apply_overrides(g) < 0 ||
	    gen_model_init(&g->m, &g->prof, &g->o, pcap_src_mac, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return GEN_EXIT_USAGE;
	}
	print_profile(stdout, &g->prof, &g->m);
	printf("profile OK\n");
	gen_model_fini(&g->m);
	return GEN_EXIT_OK;
}

static int
pcap_out(struct gen *g)
{
	char err[GEN_ERR_LEN];
	uint64_t count = g->o.count;
	double pps = g->o.rate.kind == PF_RATE_PPS ? g->o.rate.value : 0;

	if (gen_model_init(&g->m, &g->prof, &g->o, pcap_src_mac, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return GEN_EXIT_USAGE;
	}
	if (!count)
		count = pps > 0 && g->o.duration_ms ? (uint64_t)(pps * g->o.duration_ms / 1000) : 1000;
	if (gen_pcap_write(g->o.pcap_out, &g->m, count, pps, g->o.seed, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return GEN_EXIT_RUNTIME;
	}
	printf("pf-gen: wrote %" PRIu64 " frames to %s (profile %s, cookie 0x%08x, seed %" PRIu64 ")\n",
	       count, g->o.pcap_out, g->prof.path, g->m.cookie, g->o.seed);
	return GEN_EXIT_OK;
}

/* TX lcores and the RX lcore, from the options or the enabled lcores. */
static int
pick_lcores(struct gen *g, uint16_t *tx, uint16_t *n_tx, uint16_t *rx)
{
	unsigned int main_lc = rte_get_main_lcore();
	unsigned int first = rte_get_next_lcore(-1, 1, 0);

	if (first >= RTE_MAX_LCORE) {
		fprintf(stderr, "pf-gen: needs an lcore besides the main one: give EAL "
			"--lcores 0@0,1@1 (or -l 0-1); TX and RX may share it\n");
		return -EINVAL;
	}
	*n_tx = 0;
	if (!g->o.rx_only) {
		if (g->o.n_tx) {
			memcpy(tx, g->o.tx_lcores, g->o.n_tx * sizeof(*tx));
			*n_tx = g->o.n_tx;
		} else {
			tx[0] = (uint16_t)first;
			*n_tx = 1;
		}
	}
	for (unsigned int i = 0; i < *n_tx; i++) {
		if (tx[i] >= RTE_MAX_LCORE || !rte_lcore_is_enabled(tx[i])) {
			fprintf(stderr, "pf-gen: --tx-lcores: lcore %u is not enabled "
				"(EAL's --lcores or -l decides which lcores exist)\n", tx[i]);
			return -EINVAL;
		}
		if (tx[i] == main_lc) {
			fprintf(stderr, "pf-gen: --tx-lcores: lcore %u is the main lcore, which "
				"prints the live lines; pick another\n", tx[i]);
			return -EINVAL;
		}
	}
	if (g->o.rx_lcore >= 0) {
		*rx = (uint16_t)g->o.rx_lcore;
	} else {
		/* The first worker that does not send, else the first that does. */
		*rx = *n_tx ? tx[0] : (uint16_t)first;
		unsigned int id;
		RTE_LCORE_FOREACH_WORKER(id) {
			bool sends = false;
			for (unsigned int i = 0; i < *n_tx; i++)
				sends |= tx[i] == id;
			if (!sends) {
				*rx = (uint16_t)id;
				break;
			}
		}
	}
	if (*rx >= RTE_MAX_LCORE || !rte_lcore_is_enabled(*rx)) {
		fprintf(stderr, "pf-gen: --rx-lcore: lcore %u is not enabled "
			"(EAL's --lcores or -l decides which lcores exist)\n", *rx);
		return -EINVAL;
	}
	if (*rx == main_lc) {
		fprintf(stderr, "pf-gen: --rx-lcore: lcore %u is the main lcore, which prints "
			"the live lines; pick another\n", *rx);
		return -EINVAL;
	}
	return 0;
}

static struct gen_lcore *
new_lcore(struct gen *g, uint16_t id)
{
	int socket = (int)rte_lcore_to_socket_id(id);
	struct gen_lcore *lc = rte_zmalloc_socket("pfgen_lcore", sizeof(*lc), 64, socket);

	if (!lc)
		return NULL;
	lc->lcore_id = id;
	lc->ctl = &g->ctl;
	lc->m = &g->m;
	lc->win = &g->win;
	g->lcores[g->n_lcores++] = lc;
	return lc;
}

static int
setup_lcores(struct gen *g)
{
	uint16_t tx[GEN_MAX_TX], n_tx, rx;

	if (pick_lcores(g, tx, &n_tx, &rx) < 0)
		return GEN_EXIT_USAGE;
	for (unsigned int i = 0; i < n_tx; i++) {
		struct gen_lcore *lc = new_lcore(g, tx[i]);
		if (!lc)
			goto nomem;
		lc->roles = GEN_ROLE_TX;
		lc->txq = (uint16_t)i;
		if (tx[i] == rx) {
			lc->roles |= GEN_ROLE_RX;
			g->rx = lc;
		}
	}
	if (!g->rx) {
		g->rx = new_lcore(g, rx);
		if (!g->rx)
			goto nomem;
		g->rx->roles = GEN_ROLE_RX;
	}
	size_t hsize = pf_histogram_size(GEN_HIST_SUB_BITS, GEN_HIST_HIGHEST);
	g->rx->hist = rte_malloc_socket("pfgen_hist", hsize, 64,
					(int)rte_lcore_to_socket_id(rx));
	g->live_prev = pf_histogram_create(GEN_HIST_SUB_BITS, GEN_HIST_HIGHEST);
	g->live_tmp = pf_histogram_create(GEN_HIST_SUB_BITS, GEN_HIST_HIGHEST);
	if (!g->rx->hist || !g->live_prev || !g->live_tmp)
		goto nomem;
	pf_histogram_init(g->rx->hist, hsize, GEN_HIST_SUB_BITS, GEN_HIST_HIGHEST);
	return 0;
nomem:
	fprintf(stderr, "pf-gen: out of memory for the lcores' state (raise -m)\n");
	return GEN_EXIT_RUNTIME;
}

/* --rx-only: the requests --pcap-out would write, replayed through the
 * model to know each session's sequence numbers. */
static int
replay_map(struct gen *g)
{
	uint32_t *sent = calloc(g->m.n_sessions, sizeof(*sent));
	uint8_t buf[PF_PROFILE_FRAME_MAX + 64];
	struct gen_picker pk;

	if (!sent)
		return -ENOMEM;
	gen_picker_init(&pk, &g->m, 0, g->o.seed, sent);
	for (uint64_t i = 0; i < g->o.count; i++) {
		uint32_t s;
		gen_build(&g->m, &pk, buf, sizeof(buf), &s);
	}
	g->rx->sent_seq = sent;
	return 0;
}

/* argv for rte_eal_init: program, the user's EAL options, the port. */
static int
eal_argv(const struct gen *g, int n_eal, char **argv, char **out)
{
	int n = 0;
	bool vdev = strncmp(g->o.port, "net_", 4) == 0 || strncmp(g->o.port, "eth_", 4) == 0;

	out[n++] = argv[0];
	for (int i = 1; i < n_eal && n < MAX_ARGS - 3; i++)
		out[n++] = argv[i];
	out[n++] = vdev ? "--vdev" : "-a";
	out[n++] = (char *)g->o.port;
	out[n] = NULL;
	return n;
}

static int
run(struct gen *g, int n_eal, char **argv)
{
	char err[GEN_ERR_LEN];
	char *eargv[MAX_ARGS];
	struct gen_result res;
	struct gen_ndr *ndr = NULL;
	struct rte_ether_addr mac;
	int rc;

	int eargc = eal_argv(g, n_eal, argv, eargv);
	if (rte_eal_init(eargc, eargv) < 0) {
		int e = rte_errno;
		if (e == ENODEV)
			fprintf(stderr, "pf-gen: --port %s: no such device (EAL could not parse or "
				"probe it: %s; check the vdev string or the PCI address)\n",
				g->o.port, rte_strerror(e));
		else
			fprintf(stderr, "pf-gen: EAL initialisation failed: %s\n", rte_strerror(e));
		return GEN_EXIT_RUNTIME;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	g->tsc_hz = rte_get_tsc_hz();

	if ((rc = setup_lcores(g)) != 0)
		goto out;
	uint16_t n_txq = 0;
	for (unsigned int i = 0; i < g->n_lcores; i++)
		n_txq += (g->lcores[i]->roles & GEN_ROLE_TX) != 0;
	if (gen_port_init(g, n_txq ? n_txq : 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		rc = GEN_EXIT_RUNTIME;
		goto out;
	}
	rte_eth_macaddr_get(g->port, &mac);
	if (g->o.rx_only) /* answers to --pcap-out's requests, which have its MAC */
		memcpy(mac.addr_bytes, pcap_src_mac, 6);
	if (gen_model_init(&g->m, &g->prof, &g->o, mac.addr_bytes, n_txq ? n_txq : 1, err,
			   sizeof(err)) < 0) {
		fprintf(stderr, "pf-gen: %s\n", err);
		rc = GEN_EXIT_USAGE;
		goto out;
	}
	g->line_pps = g->link_mbps ? g->link_mbps * 1e6 / ((g->m.mean_frame + 20) * 8) : 0;

	/* Rates against the line rate. */
	const struct pf_rate *checks[] = { &g->o.rate, &g->o.ndr_min, &g->o.ndr_max };
	const char *names[] = { "--rate", "--ndr-min", "--ndr-max" };
	for (unsigned int i = 0; i < 3; i++) {
		const struct pf_rate *r = checks[i];
		if (r->kind == PF_RATE_PERCENT && !g->line_pps) {
			fprintf(stderr, "pf-gen: %s %g%%: port %s reports no link speed; give the rate in pps\n",
				names[i], r->value, g->o.port);
			rc = GEN_EXIT_USAGE;
			goto out;
		}
		if (r->kind == PF_RATE_PPS && g->line_pps && r->value > g->line_pps * 1.000001) {
			fprintf(stderr, "pf-gen: %s %.0f pps: above the line rate of port %s "
				"(%u Mb/s carries %.0f pps of %.1f B frames, 20 B of preamble and gap each)\n",
				names[i], r->value, g->o.port, g->link_mbps, g->line_pps,
				g->m.mean_frame);
			rc = GEN_EXIT_USAGE;
			goto out;
		}
	}
	if (g->o.ndr && !g->o.ndr_max.kind && !g->line_pps) {
		fprintf(stderr, "pf-gen: --ndr: port %s reports no link speed; give --ndr-max in pps\n",
			g->o.port);
		rc = GEN_EXIT_USAGE;
		goto out;
	}

	/* Sessions: sequence numbers (TX) and windows (RX). Each TX lcore
	 * has its own array of sequence numbers (it only uses its own
	 * sessions' entries): neighbouring sessions belong to different
	 * lcores, and one shared array would bounce cache lines between them. */
	if (gen_rxwin_init(&g->win, g->m.n_sessions, g->o.window) < 0) {
		fprintf(stderr, "pf-gen: out of memory for %u sessions' windows of %u seqs\n",
			g->m.n_sessions, g->o.window);
		rc = GEN_EXIT_RUNTIME;
		goto out;
	}
	for (unsigned int i = 0; i < g->n_lcores; i++) {
		struct gen_lcore *lc = g->lcores[i];
		if (!(lc->roles & GEN_ROLE_TX))
			continue;
		uint32_t *seq = rte_zmalloc_socket("pfgen_seq", g->m.n_sessions * sizeof(*seq), 64,
						   (int)rte_lcore_to_socket_id(lc->lcore_id));
		if (!seq) {
			fprintf(stderr, "pf-gen: out of memory for %u sessions (raise -m)\n",
				g->m.n_sessions);
			rc = GEN_EXIT_RUNTIME;
			goto out;
		}
		gen_picker_init(&lc->pk, &g->m, lc->txq, g->o.seed, seq);
	}
	if (g->o.rx_only && replay_map(g) < 0) {
		fprintf(stderr, "pf-gen: out of memory\n");
		rc = GEN_EXIT_RUNTIME;
		goto out;
	}

	double target = gen_rate_pps(g, &g->o.rate);
	printf("pf-gen %s (%s): port %s, link %u Mb/s, tsc %.3f GHz\n", PF_VERSION_STRING,
	       rte_version(), g->o.port, g->link_mbps, (double)g->tsc_hz / 1e9);
	print_profile(stdout, &g->prof, &g->m);
	printf("lcores: tx");
	for (unsigned int i = 0; i < g->n_lcores; i++)
		if (g->lcores[i]->roles & GEN_ROLE_TX)
			printf(" %u", g->lcores[i]->lcore_id);
	printf("%s, rx %u; line rate %.0f pps at the mean frame\n", n_txq ? "" : " none",
	       g->rx->lcore_id, g->line_pps);
	fflush(stdout);

	const char *mode = "run";
	if (g->o.ndr) {
		mode = "ndr";
		ndr = calloc(1, sizeof(*ndr));
		if (!ndr) {
			rc = GEN_EXIT_RUNTIME;
			goto out;
		}
		gen_ndr_run(g, ndr);
		memset(&res, 0, sizeof(res));
		if (ndr->best >= 0)
			res = ndr->trials[ndr->best].r;
		else if (ndr->n_trials)
			res = ndr->trials[ndr->n_trials - 1].r;
		res.interrupted |= ndr->interrupted;
		gen_report_ndr_text(stdout, g, ndr);
		if (ndr->n_trials)
			gen_report_text(stdout, g, &res);
	} else if (g->o.rx_only) {
		mode = "rx-only";
		printf("receiving the answers to %" PRIu64 " requests (cookie 0x%08x, seed %" PRIu64 ")\n",
		       g->o.count, g->m.cookie, g->o.seed);
		gen_run_once(g, 0, 0, false, &res);
		gen_report_text(stdout, g, &res);
	} else {
		printf("running: %s, %s%s; SIGINT stops and reports\n",
		       target > 0 ? "paced" : "flat out",
		       g->o.duration_ms ? "for the duration" : g->o.count ? "until --count" : "until SIGINT",
		       g->o.warmup_ms ? " after the warm-up" : "");
		fflush(stdout);
		gen_run_once(g, target, g->o.duration_ms, !g->o.quiet, &res);
		gen_report_text(stdout, g, &res);
	}
	if (g->o.json_path && (rc = gen_report_json(g->o.json_path, g, mode, &res, ndr)) < 0) {
		fprintf(stderr, "pf-gen: --json %s: cannot write: %s\n", g->o.json_path,
			strerror(-rc));
		rc = GEN_EXIT_RUNTIME;
		goto out;
	}
	rc = GEN_EXIT_OK;
	if (g->o.hold)
		hold_port(g);
out:
	free(ndr);
	if (g->rx) {
		free((void *)(uintptr_t)g->rx->sent_seq); /* --rx-only's map */
		g->rx->sent_seq = NULL;
	}
	gen_port_stop(g);
	rte_eal_cleanup();
	return rc;
}

int
main(int argc, char **argv)
{
	struct gen *g = &gen;
	char err[PF_PROFILE_ERR_LEN];
	int n_eal = argc, rc;

	/* Split at "--": EAL options before, ours after. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			n_eal = i;
			break;
		}
	}
	if (n_eal == argc) {
		rc = gen_opts_parse(argc, argv, &g->o);
		n_eal = 1;
	} else {
		char *prog = argv[n_eal];
		argv[n_eal] = argv[0];
		rc = gen_opts_parse(argc - n_eal, argv + n_eal, &g->o);
		argv[n_eal] = prog;
	}
	if (rc == 1)
		return GEN_EXIT_OK;
	if (rc < 0)
		return GEN_EXIT_USAGE;
	if (g->o.check_profile)
		return check_profile(g);

	if (g->o.profile_path) {
		if (pf_profile_load(g->o.profile_path, &g->prof, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return GEN_EXIT_USAGE;
		}
	} else {
		pf_profile_default(&g->prof);
	}
	if (apply_overrides(g) < 0)
		return GEN_EXIT_USAGE;
	if (g->o.pcap_out)
		rc = pcap_out(g);
	else
		rc = run(g, n_eal, argv);
	gen_model_fini(&g->m);
	pf_profile_free(&g->prof);
	return rc;
}
