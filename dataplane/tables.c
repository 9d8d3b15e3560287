/* SPDX-License-Identifier: BSD-3-Clause */
/* tables.c: runtime tables built from a configuration or a control message,
 * published with an atomic pointer swap and freed after an RCU grace period. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "pf_dp.h"

/* Old generations wait here until every lcore has passed a quiescent state
 * after their replacement was published. */
#define RECLAIM_MAX 64
static struct {
	uint64_t token;
	struct pf_tables *t;
	struct pf_rules_tables *r;
} reclaim[RECLAIM_MAX];
static unsigned int n_reclaim;

static int
cmp_session(const void *a, const void *b)
{
	const struct pf_session_conf *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* A stats slot that stays with a capability id for the process lifetime,
 * so counters survive registry updates. */
static uint16_t
stats_slot(struct pf_dp *dp, uint16_t id)
{
	if (!dp->slot_of_id[id]) {
		if (dp->slot_next >= PF_STATS_CAP_SLOTS)
			return PF_STATS_CAP_SLOTS - 1; /* shared overflow slot */
		dp->slot_of_id[id] = (uint16_t)(++dp->slot_next);
	}
	return (uint16_t)(dp->slot_of_id[id] - 1);
}

static int
check_lcores_running(const struct pf_dp *dp, const struct pf_lcore_set *s,
		     const char *what, char *err, size_t errlen)
{
	for (int i = 0; i < s->n; i++) {
		unsigned int id = s->ids[i];
		if (id >= RTE_MAX_LCORE || !dp->lcores[id]) {
			snprintf(err, errlen,
				 "%s: lcore %u is not one of this dataplane's lcores "
				 "(they are fixed at start-up)", what, id);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * A molecule RX's fast path may run: every stage answers with its input,
 * as it is or with the data rewritten where it is, and every stage runs on
 * one lcore -- the first stage's only lcore, and each later one there by a
 * covalent bond or by a policy of that one lcore (run_stages() places them
 * so). Sets fast_lcore and fast_work.
 */
static bool
fast_molecule(struct pf_cap_rt *rt)
{
	rt->fast_work = PF_FAST_STAGES;
	for (int s = 0; s < rt->n_stages; s++) {
		const struct pf_cap_rt *sc = rt->stage[s].cap;
		const struct pf_policy *p = &sc->policy;
		uint8_t bond = rt->stage[s].bond;

		if (sc->run && !sc->rewrite)
			return false;
		if (sc->rewrite)
			rt->fast_work |= PF_FAST_REWRITE;
		if (s > 0 && bond == PF_BOND_COVALENT)
			continue;
		if ((s > 0 && bond == PF_BOND_METALLIC && rt->stage[s].width > 1) ||
		    p->lcores.n != 1 || (s > 0 && p->lcores.ids[0] != rt->fast_lcore))
			return false;
		rt->fast_lcore = p->lcores.ids[0];
	}
	return true;
}

int
pf_tables_build(struct pf_dp *dp, const struct pf_config *cfg,
		struct pf_tables **out, char *err, size_t errlen)
{
	struct pf_tables *t = calloc(1, sizeof(*t));
	char what[96];
	int rc = -ENOMEM;

	if (!t)
		goto fail_msg;
	t->cfg = malloc(sizeof(*t->cfg));
	if (!t->cfg)
		goto fail_msg;
	memcpy(t->cfg, cfg, sizeof(*cfg));
	cfg = t->cfg;

	rc = -EINVAL;
	if (cfg->n_caps > PF_MAX_CAPS || cfg->n_molecules > PF_MAX_MOLECULES ||
	    cfg->n_sessions > PF_MAX_SESSIONS || cfg->n_roles > PF_MAX_ROLES) {
		snprintf(err, errlen, "registry: table sizes out of range");
		goto fail;
	}
	for (int g = 1; g <= PF_GROUP_COUNT; g++) {
		snprintf(what, sizeof(what), "groups.%s.lcores", pf_group_get(g)->symbol);
		if ((rc = check_lcores_running(dp, &cfg->groups[g].lcores, what, err,
					       errlen)) < 0)
			goto fail;
	}
	for (int i = 0; i < cfg->n_caps; i++) {
		const struct pf_cap_conf *c = &cfg->caps[i];
		struct pf_cap_rt *rt = &t->caps[i];
		const struct pf_element *e = pf_element_at(c->group, c->element);
		const struct pf_element_ops *ops;

		rc = -EINVAL;
		if (c->id == 0 || c->id > PF_MAX_CAP_ID || !e) {
			snprintf(err, errlen, "capabilities[%d]: bad id or element", i);
			goto fail;
		}
		if (t->slot_of[c->id]) {
			snprintf(err, errlen, "capabilities[%d]: id %u appears twice", i, c->id);
			goto fail;
		}
		ops = pf_element_ops(e->number);
		if (!ops) {
			snprintf(err, errlen,
				 "capabilities[%d] (%s): element %s.%s has no built-in "
				 "behaviour in this version", i, c->name,
				 pf_group_get(c->group)->symbol, e->symbol);
			rc = -ENOTSUP;
			goto fail;
		}
		rt->conf = c;
		/* What the element cannot run without is refused at admission,
		 * before a ring hop, like the capability's own contract (a
		 * molecule's later stages read what earlier ones wrote). */
		rt->requires = c->requires | (c->molecule < 0 ? ops->needs : 0);
		rt->roles = c->roles;
		rt->max_payload = c->max_payload;
		rt->rate_pps = c->rate_pps;
		rt->id = c->id;
		rt->group = c->group;
		rt->element = c->element;
		rt->audit = (c->effects & PF_EFFECT_AUDIT) != 0;
		rt->number = e->number;
		rt->run = ops->run;
		rt->rewrite = NULL;
		if (ops->rewrite_for && !(rt->rewrite = ops->rewrite_for(c->arg))) {
			snprintf(err, errlen, "capabilities[%d] (%s): arg: expected %s, found \"%s\"",
				 i, c->name, ops->args, c->arg);
			goto fail;
		}
		rt->slot = stats_slot(dp, c->id);
		rt->policy = *pf_config_policy(cfg, c);
		snprintf(what, sizeof(what), "capabilities[%d].routing.lcores", i);
		if ((rc = check_lcores_running(dp, &rt->policy.lcores, what, err,
					       errlen)) < 0)
			goto fail;
		if (!rt->policy.lcores.n || rt->policy.replicate < 1 ||
		    rt->policy.replicate > rt->policy.lcores.n ||
		    rt->policy.balance >= PF_BALANCE_COUNT) {
			snprintf(err, errlen,
				 "capabilities[%d] (%s): routing policy needs lcores, a "
				 "balance mode and 1 <= replicate <= lcores", i, c->name);
			rc = -EINVAL;
			goto fail;
		}
		if (c->molecule >= 0) {
			if (c->molecule >= cfg->n_molecules) {
				snprintf(err, errlen, "capabilities[%d]: no molecule %d", i,
					 c->molecule);
				rc = -EINVAL;
				goto fail;
			}
			rt->mol = &cfg->molecules[c->molecule];
			rt->n_stages = (uint8_t)rt->mol->n_stages;
			if (rt->n_stages == 0 || rt->n_stages > PF_MAX_STAGES) {
				snprintf(err, errlen, "molecule %s: 1..%d stages",
					 rt->mol->name, PF_MAX_STAGES);
				rc = -EINVAL;
				goto fail;
			}
		}
		if (c->rate_pps) {
			struct rte_meter_srtcm_params mp = {
				.cir = (uint64_t)c->rate_pps, /* "bytes" = frames */
				.cbs = c->rate_burst ? c->rate_burst : 1,
				.ebs = 0,
			};
			if (rte_meter_srtcm_profile_config(&rt->meter, &mp) < 0) {
				snprintf(err, errlen, "capabilities[%d] (%s): bad rate",
					 i, c->name);
				rc = -EINVAL;
				goto fail;
			}
		}
		/* The flow hash costs a CRC per frame: only where a choice
		 * among several lcores may use it. */
		rt->needs_flow = rt->n_stages || rt->policy.lcores.n > 1;
		/* What RX's fast path may answer by itself: one element that
		 * answers with its input, as it is or rewritten where it is,
		 * or adds one field made from the data, on one lcore, nothing
		 * to check beyond the frame (no roles, rate or audit record). */
		rt->output = ops->output;
		rt->output_field = ops->output_field;
		rt->fast = dp->cfg->fast_path && (ops->identity || rt->rewrite || rt->output) &&
			   !rt->n_stages &&
			   rt->policy.replicate == 1 && rt->policy.lcores.n == 1 &&
			   !rt->roles && !rt->rate_pps && !rt->audit;
		rt->fast_lcore = rt->policy.lcores.ids[0];
		/* A molecule's: fast_molecule(), once its stages are known. */
		rt->fast_work = rt->n_stages ? 0 : (rt->rewrite ? PF_FAST_REWRITE : 0) |
						   (rt->output ? PF_FAST_OUTPUT : 0);
		const uint8_t hdr[4] = { c->group, c->element, (uint8_t)(c->id >> 8),
					 (uint8_t)c->id };
		memcpy(&rt->answer_hdr, hdr, sizeof(hdr));
		t->slot_of[c->id] = (uint16_t)(i + 1);
		if (!t->by_element[e->number])
			t->by_element[e->number] = c->id;
	}
	/* Stages must name capabilities of this same registry. */
	for (int i = 0; i < cfg->n_caps; i++) {
		struct pf_cap_rt *rt = &t->caps[i];
		for (int s = 0; s < rt->n_stages; s++) {
			const struct pf_cap_rt *sc = pf_cap_lookup(t, rt->mol->stages[s].cap_id);
			if (!sc || sc->n_stages || rt->mol->stages[s].bond >= PF_BOND_COUNT ||
			    rt->mol->stages[s].width > sc->policy.lcores.n) {
				snprintf(err, errlen,
					 "molecule %s stage %d: capability %u missing, itself a "
					 "molecule, or wider than its lcore set",
					 rt->mol->name, s, rt->mol->stages[s].cap_id);
				rc = -EINVAL;
				goto fail;
			}
			rt->stage[s].cap = sc;
			rt->stage[s].bond = rt->mol->stages[s].bond;
			rt->stage[s].width = rt->mol->stages[s].width;
		}
		if (rt->n_stages)
			rt->fast = dp->cfg->fast_path && !rt->roles && !rt->rate_pps &&
				   !rt->audit && fast_molecule(rt);
	}
	t->n_sessions = cfg->n_sessions;
	memcpy(t->sessions, cfg->sessions, cfg->n_sessions * sizeof(t->sessions[0]));
	qsort(t->sessions, t->n_sessions, sizeof(t->sessions[0]), cmp_session);
	t->gen = ++dp->registry_gen;
	*out = t;
	return 0;

fail_msg:
	snprintf(err, errlen, "registry: out of memory");
fail:
	if (t)
		free(t->cfg);
	free(t);
	return rc;
}

void
pf_tables_free(struct pf_tables *t)
{
	if (!t)
		return;
	free(t->cfg);
	free(t);
}

int
pf_rules_tables_build(struct pf_dp *dp, hs_database_t *db,
		      struct pf_rule_rt *actions, uint32_t n,
		      struct pf_rules_tables **out, char *err, size_t errlen)
{
	struct pf_rules_tables *r = calloc(1, sizeof(*r));
	hs_scratch_t *proto = NULL;

	if (!r) {
		snprintf(err, errlen, "rules: out of memory");
		return -ENOMEM;
	}
	r->db = db;
	r->actions = actions;
	r->n_rules = n;
	for (uint32_t i = 0; i < n; i++)
		if (actions[i].action != PF_RULE_CLASSIFY)
			r->n_deny++;
	if (db) {
		/* One scratch per lcore, all cloned from one sized for db:
		 * Hyperscan scratch is not shareable between threads. */
		if (hs_alloc_scratch(db, &proto) != HS_SUCCESS)
			goto nomem;
		for (unsigned int id = 0; id < RTE_MAX_LCORE; id++) {
			if (!dp->lcores[id])
				continue;
			if (hs_clone_scratch(proto, &r->scratch[id]) != HS_SUCCESS)
				goto nomem;
		}
		hs_free_scratch(proto);
	}
	r->gen = ++dp->rules_gen;
	*out = r;
	return 0;
nomem:
	if (proto)
		hs_free_scratch(proto);
	r->db = NULL; /* caller keeps ownership on failure */
	r->actions = NULL;
	pf_rules_tables_free(r);
	snprintf(err, errlen, "rules: cannot allocate Hyperscan scratch");
	return -ENOMEM;
}

int
pf_rules_tables_from_file(struct pf_dp *dp, const struct pf_config *cfg,
			  struct pf_rules_tables **out, char *err, size_t errlen)
{
	struct pf_ruleset rs = { 0 };
	hs_database_t *db = NULL;
	struct pf_rule_rt *actions = NULL;
	int rc;

	if (!cfg->rules_file[0])
		return pf_rules_tables_build(dp, NULL, NULL, 0, out, err, errlen);
	rc = pf_rules_load(cfg->rules_file, cfg, &rs, err, errlen);
	if (rc < 0)
		return rc;
	rc = pf_rules_compile(&rs, &db, err, errlen);
	if (rc < 0)
		goto out;
	actions = calloc(rs.n ? rs.n : 1, sizeof(*actions));
	if (!actions) {
		rc = -ENOMEM;
		snprintf(err, errlen, "rules: out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < rs.n; i++) {
		actions[i].id = rs.rules[i].id;
		actions[i].action = rs.rules[i].action;
		actions[i].cap_id = rs.rules[i].cap_id;
	}
	rc = pf_rules_tables_build(dp, db, actions, rs.n, out, err, errlen);
	if (rc == 0) {
		db = NULL;
		actions = NULL;
	}
out:
	if (db)
		hs_free_database(db);
	free(actions);
	pf_rules_free(&rs);
	return rc;
}

void
pf_rules_tables_free(struct pf_rules_tables *r)
{
	if (!r)
		return;
	for (unsigned int id = 0; id < RTE_MAX_LCORE; id++)
		if (r->scratch[id])
			hs_free_scratch(r->scratch[id]);
	if (r->db)
		hs_free_database(r->db);
	free(r->actions);
	free(r);
}

static void
defer(struct pf_dp *dp, struct pf_tables *t, struct pf_rules_tables *r)
{
	/* The token marks "after the swap": once every lcore reports a
	 * quiescent state past it, none can still hold the old pointer. */
	uint64_t token = rte_rcu_qsbr_start(dp->qsbr);

	while (n_reclaim == RECLAIM_MAX)
		pf_tables_reclaim(dp, true);
	reclaim[n_reclaim].token = token;
	reclaim[n_reclaim].t = t;
	reclaim[n_reclaim].r = r;
	n_reclaim++;
}

void
pf_tables_publish(struct pf_dp *dp, struct pf_tables *t)
{
	struct pf_tables *old = dp->tables;

	/* Release: the tables' contents are visible before the pointer. */
	__atomic_store_n(&dp->tables, t, __ATOMIC_RELEASE);
	pf_stats_publish_dir(dp, t);
	if (old)
		defer(dp, old, NULL);
}

void
pf_rules_publish(struct pf_dp *dp, struct pf_rules_tables *r)
{
	struct pf_rules_tables *old = dp->rules;

	__atomic_store_n(&dp->rules, r, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->shdr->rules_gen, r->gen, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->shdr->n_rules, r->n_rules, __ATOMIC_RELEASE);
	if (old)
		defer(dp, NULL, old);
}

void
pf_tables_reclaim(struct pf_dp *dp, bool wait)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < n_reclaim; i++) {
		/* Lcores that stopped are offline and do not hold anything. */
		if (rte_rcu_qsbr_check(dp->qsbr, reclaim[i].token, wait) == 1) {
			pf_tables_free(reclaim[i].t);
			pf_rules_tables_free(reclaim[i].r);
		} else {
			reclaim[kept++] = reclaim[i];
		}
	}
	n_reclaim = kept;
	if (wait && dp->quit) {
		/* Shutting down: the current generation goes too. */
		pf_tables_free(dp->tables);
		pf_rules_tables_free(dp->rules);
		dp->tables = NULL;
		dp->rules = NULL;
	}
}
