/* SPDX-License-Identifier: BSD-3-Clause */
/* test_config.c: CUnit suite of the configuration loader: the shipped
 * configs, defaults, lookups, and every malformed file in tests/configs/bad. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "pf_config.h"
#include "pf_wire.h"

#define BAD_DIR "tests/configs/bad"
#define EXPECT "# expect: "
#define MAX_BAD 128

/* struct pf_config is ~100 KB: always on the heap */
static struct pf_config *cfg;
static char err[PF_CONFIG_ERR_LEN];

static int
setup(void)
{
	cfg = calloc(1, sizeof(*cfg));
	return cfg ? 0 : -1;
}

static int
teardown(void)
{
	free(cfg);
	cfg = NULL;
	return 0;
}

/* Loads a file or a string; prints the loader's message when it fails. */
static int
load(const char *path)
{
	int rc = pf_config_load(path, cfg, err, sizeof(err));

	if (rc)
		fprintf(stderr, "\n    %s\n", err);
	return rc;
}

static int
load_str(const char *name, const char *text)
{
	return pf_config_load_buf(name, text, strlen(text), cfg, err, sizeof(err));
}

static int
set_equals(const struct pf_lcore_set *s, unsigned int n, const uint16_t *ids)
{
	if (s->n != n)
		return 0;
	return memcmp(s->ids, ids, n * sizeof(ids[0])) == 0;
}

#define SET(s, ...) \
	set_equals((s), sizeof((uint16_t[]){ __VA_ARGS__ }) / sizeof(uint16_t), \
		   (uint16_t[]){ __VA_ARGS__ })

#define BIT(id) pf_field_bit(PF_FIELD_##id)

/* ---- the shipped configs ----------------------------------------------- */

static void
test_default_conf(void)
{
	uint16_t ids[PF_MAX_LCORE];
	const struct pf_cap_conf *c;
	uint64_t admin, operator, viewer;

	CU_ASSERT_EQUAL_FATAL(load("configs/default.conf"), 0);
	CU_ASSERT_STRING_EQUAL(cfg->path, "configs/default.conf");

	/* dataplane: the rules path is resolved against configs/ */
	CU_ASSERT_EQUAL(cfg->udp_port, 7447);
	CU_ASSERT_FALSE(cfg->pass_non_pf);
	CU_ASSERT_EQUAL(cfg->high_prio_min, 192);
	CU_ASSERT_EQUAL(cfg->burst, 32);
	CU_ASSERT_EQUAL(cfg->tx_flush_us, 100);
	CU_ASSERT_TRUE(cfg->idle_yield);
	CU_ASSERT_STRING_EQUAL(cfg->control_socket, "/run/packetflow/dataplane.sock");
	CU_ASSERT_STRING_EQUAL(cfg->stats_segment, "/dev/shm/packetflow-stats");
	CU_ASSERT_STRING_EQUAL(cfg->rules_file, "configs/rules/example.rules");

	/* no hugepages, no PCI; numbers come back as strings */
	CU_ASSERT_EQUAL_FATAL(cfg->n_eal_args, 4);
	CU_ASSERT_STRING_EQUAL(cfg->eal_args[0], "--no-huge");
	CU_ASSERT_STRING_EQUAL(cfg->eal_args[1], "-m");
	CU_ASSERT_STRING_EQUAL(cfg->eal_args[2], "512");
	CU_ASSERT_STRING_EQUAL(cfg->eal_args[3], "--no-pci");

	CU_ASSERT_EQUAL(cfg->mbufs, 8191);
	CU_ASSERT_EQUAL(cfg->mbuf_cache, 256);
	CU_ASSERT_EQUAL(cfg->mbuf_data_room, 2176);
	CU_ASSERT_EQUAL(cfg->ring_size, 1024);
	CU_ASSERT_EQUAL(cfg->high_ring_size, 256);

	CU_ASSERT_EQUAL_FATAL(cfg->n_ports, 1);
	CU_ASSERT_STRING_EQUAL(cfg->ports[0].name, "p0");
	CU_ASSERT_STRING_EQUAL(cfg->ports[0].device,
			       "net_memif0,role=server,socket=/tmp/packetflow-memif.sock");
	CU_ASSERT_TRUE(cfg->ports[0].is_vdev);
	CU_ASSERT_TRUE(SET(&cfg->ports[0].rx_lcores, 1));
	CU_ASSERT_EQUAL(cfg->ports[0].rx_desc, 1024);
	CU_ASSERT_EQUAL(cfg->ports[0].tx_desc, 1024);

	/* two worker lcores; the RX lcore 1 serves groups too */
	CU_ASSERT_TRUE(SET(&cfg->groups[PF_GROUP_CF].lcores, 1));
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_CF].balance, PF_BALANCE_FLOW_HASH);
	CU_ASSERT_TRUE(SET(&cfg->groups[PF_GROUP_DF].lcores, 1, 2));
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_DF].balance, PF_BALANCE_ROUND_ROBIN);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_ED].high_prio, 1);
	CU_ASSERT_TRUE(SET(&cfg->groups[PF_GROUP_CO].lcores, 1, 2));
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_CO].replicate, 2);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_MC].balance, PF_BALANCE_FLOW_HASH);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_MC].replicate, 1);
	CU_ASSERT_EQUAL(pf_config_lcores(cfg, ids), 2);
	CU_ASSERT_TRUE(ids[0] == 1 && ids[1] == 2);

	/* roles: each holds the closure of what it implies */
	admin = pf_config_role_bit(cfg, "admin");
	operator = pf_config_role_bit(cfg, "operator");
	viewer = pf_config_role_bit(cfg, "viewer");
	CU_ASSERT_TRUE(admin && operator && viewer);
	CU_ASSERT_EQUAL(pf_config_role_bit(cfg, "root"), 0);
	CU_ASSERT_EQUAL(cfg->roles[0].implies, admin | operator | viewer);
	CU_ASSERT_EQUAL(cfg->roles[1].implies, operator | viewer);
	CU_ASSERT_EQUAL(cfg->roles[2].implies, viewer);
	CU_ASSERT_EQUAL(cfg->default_roles, viewer);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 1), admin | operator | viewer);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 100), operator | viewer);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 199), operator | viewer);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 99), viewer);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 200), viewer);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 2), viewer);

	CU_ASSERT_EQUAL(cfg->n_caps, 7);
	c = pf_config_cap(cfg, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->name, "echo");
	CU_ASSERT_EQUAL(c->group, PF_GROUP_CF);
	CU_ASSERT_EQUAL(c->element, 1);
	CU_ASSERT_EQUAL(c->requires, BIT(DATA));
	CU_ASSERT_EQUAL(c->provides, BIT(DATA));
	CU_ASSERT_EQUAL(c->effects, PF_EFFECT_METRICS | PF_EFFECT_TRACE);
	CU_ASSERT_EQUAL(c->max_payload, 1400);
	CU_ASSERT_EQUAL(c->roles, 0);
	CU_ASSERT_EQUAL(c->molecule, -1);
	CU_ASSERT_PTR_EQUAL(pf_config_policy(cfg, c), &cfg->groups[PF_GROUP_CF]);

	c = pf_config_cap_by_name(cfg, "transform");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->id, 2);
	CU_ASSERT_EQUAL(c->group, PF_GROUP_DF);
	CU_ASSERT_EQUAL(c->element, 3);
	CU_ASSERT_STRING_EQUAL(c->arg, "upper");

	/* aggregate overrides only the balance: the lcores are DF's */
	c = pf_config_cap_by_name(cfg, "aggregate");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->requires, BIT(KEY));
	CU_ASSERT_EQUAL(c->provides, BIT(COUNT));
	CU_ASSERT_TRUE(c->has_policy);
	CU_ASSERT_PTR_EQUAL(pf_config_policy(cfg, c), &c->policy);
	CU_ASSERT_TRUE(SET(&c->policy.lcores, 1, 2));
	CU_ASSERT_EQUAL(c->policy.balance, PF_BALANCE_FLOW_HASH);
	CU_ASSERT_EQUAL(c->policy.replicate, 1);

	c = pf_config_cap_by_name(cfg, "cache");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->group, PF_GROUP_RM);
	CU_ASSERT_EQUAL(c->provides, BIT(VALUE));
	CU_ASSERT_EQUAL(c->roles, operator);
	CU_ASSERT_EQUAL(c->effects, PF_EFFECT_METRICS | PF_EFFECT_AUDIT);
	CU_ASSERT_EQUAL(c->max_payload, 1024);
	/* a viewer session may not call it, an admin session may */
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 2) & c->roles, 0);
	CU_ASSERT_NOT_EQUAL(pf_config_session_roles(cfg, 1) & c->roles, 0);

	c = pf_config_cap_by_name(cfg, "pattern");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->provides, BIT(MATCH));
	CU_ASSERT_EQUAL(c->rate_pps, 100000);
	CU_ASSERT_EQUAL(c->rate_burst, 10000);
	CU_ASSERT_EQUAL(pf_config_policy(cfg, c)->high_prio, 1);

	c = pf_config_cap_by_name(cfg, "broadcast");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->id, 6);
	CU_ASSERT_EQUAL(pf_config_policy(cfg, c)->replicate, 2);

	/* the molecule: transform, then aggregate across an ionic bond */
	c = pf_config_cap(cfg, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->name, "ingest");
	CU_ASSERT_EQUAL_FATAL(c->molecule, 0);
	CU_ASSERT_EQUAL(cfg->n_molecules, 1);
	CU_ASSERT_STRING_EQUAL(cfg->molecules[0].name, "ingest");
	CU_ASSERT_EQUAL_FATAL(cfg->molecules[0].n_stages, 2);
	CU_ASSERT_EQUAL(cfg->molecules[0].stages[0].cap_id, 2);
	CU_ASSERT_EQUAL(cfg->molecules[0].stages[1].cap_id, 3);
	CU_ASSERT_EQUAL(cfg->molecules[0].stages[1].bond, PF_BOND_IONIC);
	CU_ASSERT_EQUAL(cfg->molecules[0].stages[1].width, 1);

	CU_ASSERT_PTR_NULL(pf_config_cap(cfg, 7));
	CU_ASSERT_PTR_NULL(pf_config_cap_by_name(cfg, "nope"));
}

static void
test_baremetal_conf(void)
{
	static const uint16_t want[] = { 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15 };
	uint16_t ids[PF_MAX_LCORE];
	unsigned int n;
	const struct pf_cap_conf *c;
	uint64_t auditor;

	CU_ASSERT_EQUAL_FATAL(load("configs/baremetal-example.conf"), 0);
	CU_ASSERT_TRUE(cfg->pass_non_pf);
	CU_ASSERT_FALSE(cfg->idle_yield);
	CU_ASSERT_EQUAL(cfg->tx_flush_us, 50);
	CU_ASSERT_TRUE(cfg->fast_path);
	/* an absolute rules path is kept as written */
	CU_ASSERT_STRING_EQUAL(cfg->rules_file, "/etc/packetflow/rules/production.rules");
	for (unsigned int i = 0; i < cfg->n_eal_args; i++)
		CU_ASSERT_STRING_NOT_EQUAL(cfg->eal_args[i], "--no-huge");
	CU_ASSERT_EQUAL(cfg->mbufs, 262143);
	CU_ASSERT_EQUAL(cfg->ring_size, 4096);

	CU_ASSERT_EQUAL_FATAL(cfg->n_ports, 2);
	CU_ASSERT_STRING_EQUAL(cfg->ports[0].device, "0000:3b:00.0");
	CU_ASSERT_STRING_EQUAL(cfg->ports[1].device, "0000:af:00.0");
	CU_ASSERT_FALSE(cfg->ports[0].is_vdev);
	CU_ASSERT_FALSE(cfg->ports[1].is_vdev);
	/* each port is polled from its own socket: CPUs 0-7 and 8-15 */
	CU_ASSERT_TRUE(SET(&cfg->ports[0].rx_lcores, 1, 2));
	CU_ASSERT_TRUE(SET(&cfg->ports[1].rx_lcores, 9, 10));
	CU_ASSERT_EQUAL(cfg->ports[0].rx_desc, 4096);

	/* every group has lcores on both sockets */
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++) {
		const struct pf_lcore_set *s = &cfg->groups[g].lcores;
		int low = 0, high = 0;

		for (unsigned int i = 0; i < s->n; i++) {
			low += s->ids[i] < 8;
			high += s->ids[i] >= 8;
		}
		CU_ASSERT_TRUE(low > 0 && high > 0);
	}
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_CO].replicate, 3);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_DF].balance, PF_BALANCE_LEAST_LOADED);

	/* lcores 0 (main) and 8 (left to the kernel) run no PacketFlow work */
	n = pf_config_lcores(cfg, ids);
	CU_ASSERT_EQUAL_FATAL(n, sizeof(want) / sizeof(want[0]));
	CU_ASSERT_EQUAL(memcmp(ids, want, sizeof(want)), 0);

	/* the cache is pinned to one lcore and inherits RM's balance */
	c = pf_config_cap_by_name(cfg, "cache");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(c->has_policy);
	CU_ASSERT_TRUE(SET(&c->policy.lcores, 6));
	CU_ASSERT_EQUAL(c->policy.balance, PF_BALANCE_FLOW_HASH);
	CU_ASSERT_EQUAL(c->policy.replicate, 1);

	c = pf_config_cap_by_name(cfg, "pattern");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->rate_pps, 2000000);
	CU_ASSERT_EQUAL(c->rate_burst, 50000);

	/* no default roles; admin implies the auditor too */
	auditor = pf_config_role_bit(cfg, "auditor");
	CU_ASSERT_NOT_EQUAL(auditor, 0);
	CU_ASSERT_EQUAL(cfg->default_roles, 0);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 5), 0);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 42), auditor);
	CU_ASSERT_NOT_EQUAL(pf_config_session_roles(cfg, 1) & auditor, 0);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 1500) & auditor, 0);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 9999),
			pf_config_role_bit(cfg, "viewer"));

	/* scan fans transform out over 4 lcores */
	c = pf_config_cap_by_name(cfg, "scan");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE_FATAL(c->molecule >= 0);
	CU_ASSERT_STRING_EQUAL(cfg->molecules[c->molecule].name, "scan");
	CU_ASSERT_EQUAL(cfg->molecules[c->molecule].stages[0].cap_id, 5);
	CU_ASSERT_EQUAL(cfg->molecules[c->molecule].stages[1].bond, PF_BOND_METALLIC);
	CU_ASSERT_EQUAL(cfg->molecules[c->molecule].stages[1].width, 4);
}

/* ---- defaults and rules ------------------------------------------------- */

static void
test_defaults(void)
{
	static const char minimal[] =
		"ports:\n"
		"  - { name: p0, device: \"00:08.0\", rx_lcores: [3] }\n"
		"groups:\n"
		"  co: { lcores: &four [4, 5, 6, 7] }\n"
		"  ED: { lcores: [3] }\n"
		"  MC: { lcores: *four }\n"
		"capabilities:\n"
		"  - { id: 7, name: bc, element: bc }\n"
		"  - { id: 8, name: bc2, element: CO.bc, routing: { lcores: [4, 5] } }\n"
		"  - { id: 9, name: ev, element: pt, rate: { pps: 5 } }\n";
	const struct pf_cap_conf *c;

	CU_ASSERT_EQUAL_FATAL(load_str("minimal.conf", minimal), 0);
	CU_ASSERT_STRING_EQUAL(cfg->path, "minimal.conf");
	CU_ASSERT_EQUAL(cfg->udp_port, PF_UDP_PORT);
	CU_ASSERT_FALSE(cfg->pass_non_pf);
	CU_ASSERT_EQUAL(cfg->high_prio_min, 192);
	CU_ASSERT_EQUAL(cfg->burst, 32);
	CU_ASSERT_EQUAL(cfg->tx_flush_us, 100);
	CU_ASSERT_FALSE(cfg->idle_yield);
	CU_ASSERT_EQUAL(cfg->classify_cache, 4096);
	CU_ASSERT_TRUE(cfg->fast_path);
	CU_ASSERT_STRING_EQUAL(cfg->control_socket, "/run/packetflow/dataplane.sock");
	CU_ASSERT_STRING_EQUAL(cfg->stats_segment, "/dev/shm/packetflow-stats");
	CU_ASSERT_STRING_EQUAL(cfg->rules_file, "");
	CU_ASSERT_EQUAL(cfg->n_eal_args, 0);
	CU_ASSERT_EQUAL(cfg->mbufs, 8191);
	CU_ASSERT_EQUAL(cfg->mbuf_cache, 256);
	CU_ASSERT_EQUAL(cfg->mbuf_data_room, 2176);
	CU_ASSERT_EQUAL(cfg->ring_size, 1024);
	CU_ASSERT_EQUAL(cfg->high_ring_size, 256);
	CU_ASSERT_FALSE(cfg->ports[0].is_vdev);
	CU_ASSERT_EQUAL(cfg->ports[0].rx_desc, 1024);
	CU_ASSERT_EQUAL(cfg->ports[0].tx_desc, 1024);

	/* group defaults: CF flow-hash, DF round-robin, ED round-robin + high,
	 * CO round-robin replicating to min(3, lcores), MC and RM flow-hash */
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_CF].balance, PF_BALANCE_FLOW_HASH);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_CF].lcores.n, 0);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_DF].balance, PF_BALANCE_ROUND_ROBIN);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_ED].balance, PF_BALANCE_ROUND_ROBIN);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_ED].high_prio, 1);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_CO].balance, PF_BALANCE_ROUND_ROBIN);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_CO].replicate, 3);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_CO].high_prio, 0);
	CU_ASSERT_TRUE(SET(&cfg->groups[PF_GROUP_MC].lcores, 4, 5, 6, 7)); /* alias */
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_MC].balance, PF_BALANCE_FLOW_HASH);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_MC].replicate, 1);
	CU_ASSERT_EQUAL(cfg->groups[PF_GROUP_RM].balance, PF_BALANCE_FLOW_HASH);
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		if (g != PF_GROUP_CO)
			CU_ASSERT_EQUAL(cfg->groups[g].replicate, 1);

	/* a bare symbol finds the element and its group */
	c = pf_config_cap(cfg, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->group, PF_GROUP_CO);
	CU_ASSERT_EQUAL(c->element, 2);
	CU_ASSERT_FALSE(c->has_policy);
	CU_ASSERT_EQUAL(c->max_payload, 1400);
	CU_ASSERT_EQUAL(c->molecule, -1);
	CU_ASSERT_EQUAL(c->roles, 0);
	CU_ASSERT_EQUAL(c->effects, 0);
	CU_ASSERT_EQUAL(c->requires | c->provides, 0);
	CU_ASSERT_EQUAL(c->rate_pps, 0);
	CU_ASSERT_STRING_EQUAL(c->intent, "");

	/* an override of the lcores alone: CO's replicate 3, capped at 2 */
	c = pf_config_cap(cfg, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(c->has_policy);
	CU_ASSERT_TRUE(SET(&c->policy.lcores, 4, 5));
	CU_ASSERT_EQUAL(c->policy.replicate, 2);
	CU_ASSERT_EQUAL(c->policy.balance, PF_BALANCE_ROUND_ROBIN);

	/* the burst is pps / 10, at least 1 */
	c = pf_config_cap(cfg, 9);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->group, PF_GROUP_ED);
	CU_ASSERT_EQUAL(c->rate_pps, 5);
	CU_ASSERT_EQUAL(c->rate_burst, 1);

	/* no roles, no sessions: everyone has no role */
	CU_ASSERT_EQUAL(cfg->n_roles, 0);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 1), 0);
}

static void
test_rules_path(void)
{
	static const char fmt[] =
		"dataplane: { rules: %s }\n"
		"ports: [ { name: p0, device: net_null0, rx_lcores: [1] } ]\n";
	static const struct {
		const char *name, *rules, *want;
	} cases[] = {
		{ "etc/pf/main.conf", "r/x.rules", "etc/pf/r/x.rules" },
		{ "/etc/pf/main.conf", "x.rules", "/etc/pf/x.rules" },
		{ "etc/pf/main.conf", "/abs/x.rules", "/abs/x.rules" },
		{ "main.conf", "x.rules", "x.rules" },
		{ "etc/pf/main.conf", "\"\"", "" },
	};
	char text[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), fmt, cases[i].rules);
		CU_ASSERT_EQUAL_FATAL(load_str(cases[i].name, text), 0);
		CU_ASSERT_STRING_EQUAL(cfg->rules_file, cases[i].want);
	}
}

static void
test_role_closure(void)
{
	static const char text[] =
		"ports: [ { name: p0, device: net_null0, rx_lcores: [1] } ]\n"
		"roles:\n"
		"  - { name: c, implies: [a] }\n" /* names a role defined later */
		"  - { name: a, implies: [b] }\n"
		"  - { name: b, implies: [a] }\n" /* a cycle is harmless */
		"  - { name: d }\n"
		"default_roles: [d]\n"
		"sessions:\n"
		"  - { ids: 10-19, roles: [c] }\n"
		"  - { id: 5, roles: [b, d] }\n"
		"  - { ids: 4294967290-4294967295, roles: [] }\n";
	uint64_t a, b, c, d;

	CU_ASSERT_EQUAL_FATAL(load_str("roles.conf", text), 0);
	a = pf_config_role_bit(cfg, "a");
	b = pf_config_role_bit(cfg, "b");
	c = pf_config_role_bit(cfg, "c");
	d = pf_config_role_bit(cfg, "d");
	CU_ASSERT_EQUAL(c, 1u << 0);
	CU_ASSERT_EQUAL(d, 1u << 3);
	CU_ASSERT_EQUAL(cfg->roles[0].implies, a | b | c);
	CU_ASSERT_EQUAL(cfg->roles[1].implies, a | b);
	CU_ASSERT_EQUAL(cfg->roles[2].implies, a | b);
	CU_ASSERT_EQUAL(cfg->default_roles, d);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 10), a | b | c);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 19), a | b | c);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 5), a | b | d);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 6), d);
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 20), d);
	/* an explicit empty list takes the default roles away */
	CU_ASSERT_EQUAL(pf_config_session_roles(cfg, 4294967295u), 0);

	/* a chain that reaches back to earlier roles: w > y > x > z */
	CU_ASSERT_EQUAL_FATAL(load_str("chain.conf",
		"ports: [ { name: p0, device: net_null0, rx_lcores: [1] } ]\n"
		"roles:\n"
		"  - { name: w, implies: [y] }\n"
		"  - { name: x, implies: [z] }\n"
		"  - { name: y, implies: [x] }\n"
		"  - { name: z }\n"), 0);
	CU_ASSERT_EQUAL(cfg->roles[0].implies, 0xf);
	CU_ASSERT_EQUAL(cfg->roles[1].implies, 0xa);
	CU_ASSERT_EQUAL(cfg->roles[2].implies, 0xe);
	CU_ASSERT_EQUAL(cfg->roles[3].implies, 0x8);
}

static void
test_effect_names(void)
{
	CU_ASSERT_EQUAL(pf_effect_by_name("audit_log"), PF_EFFECT_AUDIT);
	CU_ASSERT_EQUAL(pf_effect_by_name("metrics"), PF_EFFECT_METRICS);
	CU_ASSERT_EQUAL(pf_effect_by_name("trace"), PF_EFFECT_TRACE);
	CU_ASSERT_EQUAL(pf_effect_by_name("audit"), 0);
	CU_ASSERT_STRING_EQUAL(pf_effect_name(PF_EFFECT_TRACE), "trace");
	CU_ASSERT_STRING_EQUAL(pf_effect_name(PF_EFFECT_AUDIT), "audit_log");
	CU_ASSERT_PTR_NULL(pf_effect_name(PF_EFFECT_AUDIT | PF_EFFECT_TRACE));
	CU_ASSERT_PTR_NULL(pf_effect_name(0));
}

/* ---- errors ------------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The part of a message after "FILE:LINE: ". */
static const char *
after_location(const char *msg, const char *path)
{
	const char *p = msg + strlen(path);

	if (strncmp(msg, path, strlen(path)) != 0 || *p != ':')
		return NULL;
	p = strstr(p + 1, ": ");
	return p ? p + 2 : NULL;
}

/*
 * Every file of tests/configs/bad starts with "# expect: " and the message
 * it must produce (file, line, key, what). Each must fail with -EINVAL and
 * that message, on one line, and no two files may fail the same way.
 */
static void
test_bad_configs(void)
{
	static char msgs[MAX_BAD][PF_CONFIG_ERR_LEN];
	char *names[MAX_BAD];
	char path[512], line[PF_CONFIG_ERR_LEN + 16];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(BAD_DIR);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d)) != NULL && n < MAX_BAD) {
		size_t len = strlen(de->d_name);

		if (len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	CU_ASSERT_TRUE(n >= 14);

	for (size_t i = 0; i < n; i++) {
		const char *expect, *what;
		FILE *f;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", BAD_DIR, names[i]);
		f = fopen(path, "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		CU_ASSERT_EQUAL(strncmp(line, EXPECT, strlen(EXPECT)), 0);
		expect = line + strlen(EXPECT);
		/* the expectation names the file and a line: "path:N: key: ..." */
		CU_ASSERT_PTR_NOT_NULL(after_location(expect, path));

		rc = pf_config_load(path, cfg, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, expect));
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		if (rc != -EINVAL || !strstr(err, expect))
			fprintf(stderr, "\n    %s (rc %d)\n    want: %s\n    got:  %s\n",
				names[i], rc, expect, err);

		what = after_location(err, path);
		CU_ASSERT_PTR_NOT_NULL_FATAL(what);
		snprintf(msgs[i], sizeof(msgs[i]), "%s", what);
		for (size_t j = 0; j < i; j++)
			if (strcmp(msgs[j], msgs[i]) == 0) {
				CU_FAIL("two bad configs fail with the same error");
				fprintf(stderr, "\n    %s and %s: %s\n", names[j], names[i],
					msgs[i]);
			}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
}

/*
 * docs/configuration.md quotes messages as "tests/configs/bad/X.conf:N: ...":
 * each must be X.conf's expectation, so the documentation cannot drift.
 */
static void
test_docs_quote_real_messages(void)
{
	char line[1024], first[1024], path[512];
	unsigned int quoted = 0;
	FILE *doc = fopen("docs/configuration.md", "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	while (fgets(line, sizeof(line), doc)) {
		size_t plen = strcspn(line, ":");
		FILE *f;

		if (strncmp(line, BAD_DIR "/", strlen(BAD_DIR) + 1) != 0 ||
		    plen >= sizeof(path))
			continue;
		line[strcspn(line, "\n")] = '\0';
		memcpy(path, line, plen);
		path[plen] = '\0';
		f = fopen(path, "r");
		CU_ASSERT_PTR_NOT_NULL(f);
		if (!f) {
			fprintf(stderr, "\n    docs quote %s, which does not exist\n", path);
			continue;
		}
		if (!fgets(first, sizeof(first), f))
			first[0] = '\0';
		fclose(f);
		first[strcspn(first, "\n")] = '\0';
		CU_ASSERT_STRING_EQUAL(first + strlen(EXPECT), line);
		quoted++;
	}
	fclose(doc);
	CU_ASSERT_TRUE(quoted >= 14);
}

static void
test_missing_file(void)
{
	CU_ASSERT_EQUAL(pf_config_load("tests/configs/no-such.conf", cfg, err,
				       sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "tests/configs/no-such.conf: cannot open: "
				    "No such file or directory");
	CU_ASSERT_EQUAL(pf_config_load("tests/configs", cfg, err, sizeof(err)),
			-EISDIR);
	CU_ASSERT_STRING_EQUAL(err, "tests/configs: cannot open: Is a directory");
	/* cfg->path holds the name: one that does not fit is refused */
	{
		char name[PF_PATH_LEN + 1];

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		CU_ASSERT_EQUAL(pf_config_load(name, cfg, err, sizeof(err)),
				-ENAMETOOLONG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "a: cannot open: File name too long"));
		CU_ASSERT_EQUAL(load_str(name, "ports: []\n"), -ENAMETOOLONG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "a: cannot open: File name too long"));
	}
}

static void
test_syntax_errors(void)
{
	/* an unclosed flow sequence, a tab as indentation, invalid UTF-8 */
	static const char *const texts[] = {
		"ports:\n  - { name: p0, rx_lcores: [1, 2 }\n",
		"ports:\n\t- name: p0\n",
		"dataplane:\n  control_socket: \"\xc3\x28\"\n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		CU_ASSERT_EQUAL(load_str("inline.conf", texts[i]), -EINVAL);
		CU_ASSERT_EQUAL(strncmp(err, "inline.conf:2: syntax error: ",
					strlen("inline.conf:2: syntax error: ")), 0);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
	CU_ASSERT_EQUAL(load_str("inline.conf", texts[0]), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "inline.conf:2: syntax error: did not find "
				    "expected ',' or ']' (while parsing a flow "
				    "sequence at line 2)");
}

/* A value's text is quoted back escaped: a message stays on one line. */
static void
test_message_is_one_line(void)
{
	static const char text[] =
		"dataplane:\n  udp_port: \"7\\n4\\\"7\"\n"
		"ports: [ { name: p0, device: net_null0, rx_lcores: [1] } ]\n";

	CU_ASSERT_EQUAL(load_str("q.conf", text), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "q.conf:2: dataplane.udp_port: expected an "
				    "integer, found \"7\\x0a4\\\"7\"");
}

/* A failed load leaves the caller's config as it was. */
static void
test_failure_keeps_config(void)
{
	struct pf_config *copy = malloc(sizeof(*copy));

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	CU_ASSERT_EQUAL_FATAL(load("configs/default.conf"), 0);
	memcpy(copy, cfg, sizeof(*cfg));
	CU_ASSERT_EQUAL(load_str("late.conf",
				 "ports: [ { name: p0, device: net_null0, rx_lcores: [1] } ]\n"
				 "memory: { mbufs: 10 }\n"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "late.conf:2: memory.mbufs: expected an integer "
				    "between 1023 and 16777215, found 10");
	CU_ASSERT_EQUAL(memcmp(copy, cfg, sizeof(*cfg)), 0);
	free(copy);
}

/*
 * Every prefix of default.conf, cut at each line, either loads or fails
 * with -EINVAL and a one-line message naming the buffer: a half-written
 * file never crashes the loader nor produces a message without a location.
 */
static void
test_truncated_default(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen("configs/default.conf", "r");
	unsigned int ok = 0, failed = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	buf = malloc(1 << 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	for (size_t cut = 0; cut <= len; cut++) {
		int rc;

		if (cut != len && buf[cut] != '\n')
			continue;
		rc = pf_config_load_buf("cut.conf", buf, cut, cfg, err, sizeof(err));
		if (rc == 0) {
			ok++;
			continue;
		}
		failed++;
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_EQUAL(strncmp(err, "cut.conf:", 9), 0);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
	/* before "ports:" nothing loads; the whole file does */
	CU_ASSERT_TRUE(ok > 0 && failed > 0);
	CU_ASSERT_EQUAL(pf_config_load_buf("cut.conf", buf, len, cfg, err,
					   sizeof(err)), 0);
	free(buf);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("config: shipped files", setup, teardown);
	CU_add_test(s, "configs/default.conf", test_default_conf);
	CU_add_test(s, "configs/baremetal-example.conf", test_baremetal_conf);
	s = CU_add_suite("config: defaults and lookups", setup, teardown);
	CU_add_test(s, "defaults of keys left out", test_defaults);
	CU_add_test(s, "rules path relative to the file", test_rules_path);
	CU_add_test(s, "role closure and sessions", test_role_closure);
	CU_add_test(s, "effect names", test_effect_names);
	s = CU_add_suite("config: errors", setup, teardown);
	CU_add_test(s, "tests/configs/bad", test_bad_configs);
	CU_add_test(s, "docs quote real messages", test_docs_quote_real_messages);
	CU_add_test(s, "missing file", test_missing_file);
	CU_add_test(s, "YAML syntax errors", test_syntax_errors);
	CU_add_test(s, "messages stay on one line", test_message_is_one_line);
	CU_add_test(s, "a failed load keeps the config", test_failure_keeps_config);
	CU_add_test(s, "truncated default.conf", test_truncated_default);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
