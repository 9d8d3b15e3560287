/* SPDX-License-Identifier: BSD-3-Clause */
/* registry.c: the registry tables of a struct pf_config as JSON in the
 * config file's schema, and back through the config loader, which stays the
 * one place where a registry is validated (JSON is YAML in flow style). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_wire.h"
#include "pfc.h"

/* Top-level keys a registry document may hold (the rest of a config file
 * describes hardware, which pf-control never changes). */
static const char *const reg_keys[] = {
	"groups", "roles", "default_roles", "sessions", "molecules", "capabilities",
};

static json_t *
lcores_json(const struct pf_lcore_set *s)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < s->n; i++)
		json_array_append_new(a, json_integer(s->ids[i]));
	return a;
}

json_t *
pf_reg_policy_json(const struct pf_policy *p)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	/* a group without lcores keeps its mode; replicate needs lcores */
	if (p->lcores.n) {
		json_object_set_new(o, "lcores", lcores_json(&p->lcores));
		json_object_set_new(o, "replicate", json_integer(p->replicate));
	}
	json_object_set_new(o, "balance", json_string(pf_balance_name(p->balance)));
	json_object_set_new(o, "priority", json_string(p->high_prio ? "high" : "normal"));
	return o;
}

/* Names of the roles whose bits are set. */
static json_t *
roles_json(const struct pf_config *cfg, uint64_t mask, int skip)
{
	json_t *a = json_array();

	for (int i = 0; a && i < cfg->n_roles; i++)
		if ((mask & (UINT64_C(1) << i)) && i != skip)
			json_array_append_new(a, json_string(cfg->roles[i].name));
	return a;
}

static json_t *
fields_json(uint64_t mask)
{
	json_t *a = json_array();

	for (uint16_t id = 1; a && id <= PF_FIELD_CONTRACT_MAX; id++) {
		const char *n;

		if (!(mask & pf_field_bit(id)))
			continue;
		n = pf_field_name(id);
		json_array_append_new(a, n ? json_string(n) : json_integer(id));
	}
	return a;
}

json_t *
pf_reg_cap_json(const struct pf_config *cfg, const struct pf_cap_conf *c)
{
	const struct pf_element *e = pf_element_at(c->group, c->element);
	json_t *o = json_object(), *eff;
	char el[16];

	if (!o || !e)
		goto fail;
	snprintf(el, sizeof(el), "%s.%s", pf_group_get(c->group)->symbol, e->symbol);
	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "element", json_string(el));
	if (c->intent[0])
		json_object_set_new(o, "intent", json_string(c->intent));
	if (c->arg[0])
		json_object_set_new(o, "arg", json_string(c->arg));
	json_object_set_new(o, "requires", fields_json(c->requires));
	json_object_set_new(o, "provides", fields_json(c->provides));
	eff = json_array();
	for (unsigned int b = 0; eff && b < 32; b++)
		if (c->effects & (1u << b) && pf_effect_name(1u << b))
			json_array_append_new(eff, json_string(pf_effect_name(1u << b)));
	json_object_set_new(o, "effects", eff);
	json_object_set_new(o, "max_payload", json_integer(c->max_payload));
	json_object_set_new(o, "roles", roles_json(cfg, c->roles, -1));
	if (c->rate_pps)
		json_object_set_new(o, "rate", json_pack("{s:I, s:I}", "pps",
							 (json_int_t)c->rate_pps, "burst",
							 (json_int_t)c->rate_burst));
	if (c->molecule >= 0 && c->molecule < cfg->n_molecules)
		json_object_set_new(o, "molecule",
				    json_string(cfg->molecules[c->molecule].name));
	if (c->has_policy)
		json_object_set_new(o, "routing", pf_reg_policy_json(&c->policy));
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *
molecule_json(const struct pf_config *cfg, const struct pf_molecule_conf *m)
{
	json_t *o = json_object(), *st = json_array();

	for (unsigned int i = 0; o && st && i < m->n_stages; i++) {
		const struct pf_stage_conf *s = &m->stages[i];
		const struct pf_cap_conf *c = pf_config_cap(cfg, s->cap_id);
		const char *name = c ? c->name : "?";

		if (i == 0) { /* the first stage has no bond */
			json_array_append_new(st, json_string(name));
			continue;
		}
		json_t *so = json_pack("{s:s, s:s}", "capability", name, "bond",
				       pf_bond_get(s->bond)->name);
		if (so && s->bond == PF_BOND_METALLIC)
			json_object_set_new(so, "width", json_integer(s->width));
		json_array_append_new(st, so);
	}
	json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "stages", st);
	return o;
}

json_t *
pf_reg_to_json(const struct pf_config *cfg)
{
	json_t *o = json_object(), *groups = json_object(), *roles = json_array(),
	       *sessions = json_array(), *mols = json_array(), *caps = json_array();

	if (!o || !groups || !roles || !sessions || !mols || !caps)
		goto fail;
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		json_object_set_new(groups, pf_group_get(g)->symbol,
				    pf_reg_policy_json(&cfg->groups[g]));
	for (int i = 0; i < cfg->n_roles; i++) {
		json_t *r = json_pack("{s:s}", "name", cfg->roles[i].name);

		/* the closure, minus the role itself: loading it gives it back */
		json_object_set_new(r, "implies", roles_json(cfg, cfg->roles[i].implies, i));
		json_array_append_new(roles, r);
	}
	for (int i = 0; i < cfg->n_sessions; i++) {
		const struct pf_session_conf *s = &cfg->sessions[i];
		json_t *so;

		if (s->first == s->last) {
			so = json_pack("{s:I}", "id", (json_int_t)s->first);
		} else {
			char range[32];

			snprintf(range, sizeof(range), "%u-%u", s->first, s->last);
			so = json_pack("{s:s}", "ids", range);
		}
		json_object_set_new(so, "roles", roles_json(cfg, s->roles, -1));
		json_array_append_new(sessions, so);
	}
	for (int i = 0; i < cfg->n_molecules; i++)
		json_array_append_new(mols, molecule_json(cfg, &cfg->molecules[i]));
	for (int i = 0; i < cfg->n_caps; i++)
		json_array_append_new(caps, pf_reg_cap_json(cfg, &cfg->caps[i]));
	json_object_set_new(o, "groups", groups);
	json_object_set_new(o, "roles", roles);
	json_object_set_new(o, "default_roles", roles_json(cfg, cfg->default_roles, -1));
	json_object_set_new(o, "sessions", sessions);
	json_object_set_new(o, "molecules", mols);
	json_object_set_new(o, "capabilities", caps);
	return o;
fail:
	json_decref(o);
	json_decref(groups);
	json_decref(roles);
	json_decref(sessions);
	json_decref(mols);
	json_decref(caps);
	return NULL;
}

/* The loader needs the ports section: the base config's, as written. */
static json_t *
ports_json(const struct pf_config *base)
{
	json_t *a = json_array();

	for (int i = 0; a && i < base->n_ports; i++) {
		const struct pf_port_conf *p = &base->ports[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:i, s:i}", "name",
						   p->name, "device", p->device, "rx_lcores",
						   lcores_json(&p->rx_lcores), "rx_desc",
						   p->rx_desc, "tx_desc", p->tx_desc));
	}
	return a;
}

/* "registry:12: capabilities[3].id: expected ..." -> "capabilities[3].id: ..." */
static void
strip_location(char *err)
{
	char *p = strchr(err, ':');

	if (!p || strncmp(err, "registry:", 9) != 0)
		return;
	p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == ':')
		p++;
	while (*p == ' ')
		p++;
	memmove(err, p, strlen(p) + 1);
}

int
pf_reg_from_json(const struct pf_config *base, const json_t *reg,
		 struct pf_config *out, char *err, size_t errlen)
{
	struct pf_config *tmp = NULL;
	json_t *doc = NULL;
	const char *key;
	json_t *val;
	char *text = NULL;
	int rc = -EINVAL;

	if (!json_is_object(reg)) {
		snprintf(err, errlen, "registry: expected a JSON object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)reg, key, val) {
		bool known = false;

		for (size_t i = 0; i < sizeof(reg_keys) / sizeof(reg_keys[0]); i++)
			known |= strcmp(key, reg_keys[i]) == 0;
		if (!known) {
			snprintf(err, errlen,
				 "%.64s: expected one of groups, roles, default_roles, sessions, "
				 "molecules, capabilities", key);
			return -EINVAL;
		}
	}
	doc = json_deep_copy(reg);
	tmp = malloc(sizeof(*tmp));
	if (!doc || !tmp || json_object_set_new(doc, "ports", ports_json(base)) < 0)
		goto nomem;
	/* an indented dump puts a space after every ':', as YAML wants */
	text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!text)
		goto nomem;
	rc = pf_config_load_buf("registry", text, strlen(text), tmp, err, errlen);
	if (rc < 0) {
		strip_location(err);
		goto out;
	}
	memcpy(out, base, sizeof(*out));
	memcpy(out->groups, tmp->groups, sizeof(out->groups));
	out->n_caps = tmp->n_caps;
	memcpy(out->caps, tmp->caps, sizeof(out->caps));
	out->n_molecules = tmp->n_molecules;
	memcpy(out->molecules, tmp->molecules, sizeof(out->molecules));
	out->n_roles = tmp->n_roles;
	memcpy(out->roles, tmp->roles, sizeof(out->roles));
	out->default_roles = tmp->default_roles;
	out->n_sessions = tmp->n_sessions;
	memcpy(out->sessions, tmp->sessions, sizeof(out->sessions));
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "registry: out of memory");
	rc = -ENOMEM;
out:
	free(text);
	free(tmp);
	json_decref(doc);
	return rc;
}

int
pf_reg_find_cap(const json_t *reg, unsigned int id)
{
	json_t *caps = json_object_get(reg, "capabilities"), *c;
	size_t i;

	json_array_foreach(caps, i, c) {
		json_t *v = json_object_get(c, "id");

		if (json_is_integer(v) && json_integer_value(v) == (json_int_t)id)
			return (int)i;
	}
	return -1;
}

unsigned int
pf_reg_cap_ref(const struct pf_config *cfg, const char *s)
{
	const struct pf_cap_conf *c;
	char *end;
	unsigned long v;

	v = strtoul(s, &end, 10);
	if (*s && *end == '\0' && v <= PF_MAX_CAP_ID) {
		c = pf_config_cap(cfg, (uint16_t)v);
		return c ? c->id : 0;
	}
	c = pf_config_cap_by_name(cfg, s);
	return c ? c->id : 0;
}
