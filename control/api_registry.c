/* SPDX-License-Identifier: BSD-3-Clause */
/* api_registry.c: REST handlers of the capability registry, routing policy,
 * roles and sessions, and molecules. Reads answer from the committed state;
 * writes become jobs that edit a copy of the registry JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfc.h"

/* Edits of the registry JSON, decided when the job runs. */
enum edit {
	E_CAP_CREATE, E_CAP_PUT, E_CAP_PATCH, E_CAP_DELETE,
	E_GROUP_PUT, E_GROUP_PATCH, E_ROUTING_PUT, E_ROUTING_DELETE, E_ACCESS_PUT, E_MOLECULES_PUT,
};

struct edit_job {
	int edit;
	char arg[PF_NAME_LEN * 2];
};

static const struct pf_cap_conf *
cap_of(struct pfc *d, const char *ref)
{
	unsigned int id = pf_reg_cap_ref(d->cfg, ref);

	return id ? pf_config_cap(d->cfg, (uint16_t)id) : NULL;
}

/* Smallest unused capability id, or 0. */
static unsigned int
free_id(const struct pf_config *cfg)
{
	for (unsigned int id = 1; id <= PF_MAX_CAP_ID; id++)
		if (!pf_config_cap(cfg, (uint16_t)id))
			return id;
	return 0;
}

/* RFC 7386 merge patch of one level: null removes a key. */
static void
merge_patch(json_t *target, json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach(patch, k, v) {
		if (json_is_null(v))
			json_object_del(target, k);
		else
			json_object_set(target, k, v);
	}
}

static int
edit_prepare(struct pfc *d, struct pf_job *j)
{
	const struct edit_job *e = (const struct edit_job *)j->arg;
	json_t *cand = json_deep_copy(d->reg);
	json_t *caps = json_object_get(cand, "capabilities");
	const struct pf_cap_conf *c = NULL;
	char prefix[96] = "";
	int idx = -1, st;

	if (!cand) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return 500;
	}
	if (e->edit == E_CAP_PUT || e->edit == E_CAP_PATCH || e->edit == E_CAP_DELETE ||
	    e->edit == E_ROUTING_PUT || e->edit == E_ROUTING_DELETE) {
		c = cap_of(d, e->arg);
		idx = c ? pf_reg_find_cap(cand, c->id) : -1;
		if (idx < 0) {
			json_decref(cand);
			snprintf(j->err, sizeof(j->err), "no capability %s", e->arg);
			return 404;
		}
		snprintf(prefix, sizeof(prefix), "capabilities[%d]", idx);
	}
	switch (e->edit) {
	case E_CAP_CREATE: {
		json_t *in = json_deep_copy(j->input);
		json_t *id = json_object_get(in, "id");

		if (!id) {
			unsigned int fid = free_id(d->cfg);

			json_object_set_new(in, "id", json_integer(fid));
		}
		snprintf(prefix, sizeof(prefix), "capabilities[%zu]", json_array_size(caps));
		json_array_append_new(caps, in);
		j->status = 201;
		break;
	}
	case E_CAP_PUT: {
		json_t *in = json_deep_copy(j->input);

		json_object_set_new(in, "id", json_integer(c->id));
		json_array_set_new(caps, (size_t)idx, in);
		break;
	}
	case E_CAP_PATCH: {
		json_t *cur = json_array_get(caps, (size_t)idx);

		merge_patch(cur, j->input);
		json_object_set_new(cur, "id", json_integer(c->id));
		break;
	}
	case E_CAP_DELETE:
		json_array_remove(caps, (size_t)idx);
		j->status = 204;
		prefix[0] = '\0';
		break;
	case E_GROUP_PUT:
		json_object_set(json_object_get(cand, "groups"), e->arg, j->input);
		snprintf(prefix, sizeof(prefix), "groups.%s", e->arg);
		break;
	case E_GROUP_PATCH:
		merge_patch(json_object_get(json_object_get(cand, "groups"), e->arg), j->input);
		snprintf(prefix, sizeof(prefix), "groups.%s", e->arg);
		break;
	case E_ROUTING_PUT:
		json_object_set(json_array_get(caps, (size_t)idx), "routing", j->input);
		break;
	case E_ROUTING_DELETE:
		json_object_del(json_array_get(caps, (size_t)idx), "routing");
		break;
	case E_ACCESS_PUT:
	case E_MOLECULES_PUT:
		json_object_update(cand, j->input);
		prefix[0] = '\0';
		break;
	}
	st = pf_job_registry_candidate(d, j, cand, prefix[0] ? prefix : NULL);
	if (st == 422 && e->edit == E_CAP_DELETE)
		st = 409; /* something still refers to it */
	if (st)
		return st;
	/* the answer shows the entry as it now stands */
	const struct pf_config *nc = &j->reg_msg->cfg;
	switch (e->edit) {
	case E_CAP_CREATE: {
		const struct pf_cap_conf *nc_cap = &nc->caps[nc->n_caps - 1];

		j->result = json_pack("{s:o}", "capability", pf_reg_cap_json(nc, nc_cap));
		snprintf(j->what, sizeof(j->what), "capability %u (%s) created", nc_cap->id,
			 nc_cap->name);
		break;
	}
	case E_CAP_PUT:
	case E_CAP_PATCH:
	case E_ROUTING_PUT:
	case E_ROUTING_DELETE: {
		const struct pf_cap_conf *n = pf_config_cap(nc, c->id);

		j->result = json_pack("{s:o}", "capability", pf_reg_cap_json(nc, n));
		snprintf(j->what, sizeof(j->what), "capability %u (%s) %s", c->id, n->name,
			 e->edit == E_ROUTING_PUT ? "routing set" :
			 e->edit == E_ROUTING_DELETE ? "routing override removed" : "updated");
		break;
	}
	case E_CAP_DELETE:
		snprintf(j->what, sizeof(j->what), "capability %u (%s) deleted", c->id, c->name);
		break;
	case E_GROUP_PUT:
	case E_GROUP_PATCH:
		j->result = json_pack("{s:s, s:O}", "group", e->arg, "policy",
				      json_object_get(json_object_get(j->reg, "groups"), e->arg));
		snprintf(j->what, sizeof(j->what), "group %s policy set", e->arg);
		break;
	case E_ACCESS_PUT:
		j->result = json_pack("{s:O, s:O, s:O}", "roles",
				      json_object_get(j->reg, "roles"), "default_roles",
				      json_object_get(j->reg, "default_roles"), "sessions",
				      json_object_get(j->reg, "sessions"));
		snprintf(j->what, sizeof(j->what), "roles and sessions set");
		break;
	case E_MOLECULES_PUT:
		j->result = json_pack("{s:O}", "molecules", json_object_get(j->reg, "molecules"));
		snprintf(j->what, sizeof(j->what), "molecules set");
		break;
	}
	return 0;
}

static void
submit_edit(struct pfc *d, struct pf_req *r, int edit, const char *arg, json_t *input)
{
	struct pf_job *j = pf_job_new(PF_JOB_REGISTRY, r, edit_prepare);
	struct edit_job *e;

	_Static_assert(sizeof(struct edit_job) <= sizeof(j->arg), "edit_job fits arg");
	if (!j) {
		json_decref(input);
		pf_http_error(r, 503, NULL, "out of memory");
		return;
	}
	e = (struct edit_job *)j->arg;
	e->edit = edit;
	snprintf(e->arg, sizeof(e->arg), "%s", arg ? arg : "");
	j->input = input;
	pf_job_submit(d, j);
}

/* ---- capabilities ------------------------------------------------------- */

void
pf_api_caps_list(struct pfc *d, struct pf_req *r, const char *arg)
{
	(void)arg;
	/* the list is rendered once per registry version: reads are the hot path */
	if (d->caps_cache_ver != d->reg_version || !d->caps_cache.len) {
		json_t *o = json_pack("{s:I, s:O}", "version", (json_int_t)d->reg_version,
				      "capabilities", json_object_get(d->reg, "capabilities"));
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		json_decref(o);
		if (!s) {
			pf_http_error(r, 503, NULL, "out of memory");
			return;
		}
		d->caps_cache.len = 0;
		pf_buf_add(&d->caps_cache, s, strlen(s));
		pf_buf_add(&d->caps_cache, "\n", 1);
		free(s);
		d->caps_cache_ver = d->reg_version;
	}
	pf_http_reply(r, 200, "application/json", d->caps_cache.p, d->caps_cache.len);
}

void
pf_api_cap_get(struct pfc *d, struct pf_req *r, const char *arg)
{
	const struct pf_cap_conf *c = cap_of(d, arg);

	if (!c) {
		pf_http_error(r, 404, NULL, "no capability %s", arg);
		return;
	}
	pf_http_reply_json(r, 200, pf_reg_cap_json(d->cfg, c));
}

void
pf_api_cap_create(struct pfc *d, struct pf_req *r, const char *arg)
{
	json_t *in = pf_api_body_object(r);

	(void)arg;
	if (in)
		submit_edit(d, r, E_CAP_CREATE, NULL, in);
}

/* PUT and PATCH may repeat the id; a different one is a mistake. */
static json_t *
body_for(struct pfc *d, struct pf_req *r, const char *arg)
{
	const struct pf_cap_conf *c = cap_of(d, arg);
	json_t *in, *id;

	if (!c) {
		pf_http_error(r, 404, NULL, "no capability %s", arg);
		return NULL;
	}
	in = pf_api_body_object(r);
	if (!in)
		return NULL;
	id = json_object_get(in, "id");
	if (id && !(json_is_integer(id) && json_integer_value(id) == c->id)) {
		json_decref(in);
		pf_http_error(r, 400, NULL, "id: the body names another capability than %s "
			      "(ids do not change; delete and create instead)", arg);
		return NULL;
	}
	return in;
}

void
pf_api_cap_put(struct pfc *d, struct pf_req *r, const char *arg)
{
	json_t *in = body_for(d, r, arg);

	if (in)
		submit_edit(d, r, E_CAP_PUT, arg, in);
}

void
pf_api_cap_patch(struct pfc *d, struct pf_req *r, const char *arg)
{
	json_t *in = body_for(d, r, arg);

	if (in)
		submit_edit(d, r, E_CAP_PATCH, arg, in);
}

void
pf_api_cap_delete(struct pfc *d, struct pf_req *r, const char *arg)
{
	if (!cap_of(d, arg)) {
		pf_http_error(r, 404, NULL, "no capability %s", arg);
		return;
	}
	submit_edit(d, r, E_CAP_DELETE, arg, NULL);
}

/* ---- routing policy ----------------------------------------------------- */

static json_t *
cap_policy_json(struct pfc *d, const struct pf_cap_conf *c)
{
	return json_pack("{s:i, s:s, s:s, s:b, s:o}", "id", c->id, "name", c->name,
			 "group", pf_group_get(c->group)->symbol, "override", c->has_policy,
			 "routing", pf_reg_policy_json(pf_config_policy(d->cfg, c)));
}

void
pf_api_policy_get(struct pfc *d, struct pf_req *r, const char *arg)
{
	json_t *caps = json_array();

	(void)arg;
	for (int i = 0; i < d->cfg->n_caps; i++)
		json_array_append_new(caps, cap_policy_json(d, &d->cfg->caps[i]));
	pf_http_reply_json(r, 200,
			   json_pack("{s:O, s:o}", "groups", json_object_get(d->reg, "groups"),
				     "capabilities", caps));
}

static const struct pf_group_info *
group_of(struct pf_req *r, const char *arg)
{
	const struct pf_group_info *g = pf_group_by_symbol(arg);

	if (!g)
		pf_http_error(r, 404, NULL, "no group %s (CF, DF, ED, CO, MC, RM)", arg);
	return g;
}

void
pf_api_policy_group_get(struct pfc *d, struct pf_req *r, const char *arg)
{
	const struct pf_group_info *g = group_of(r, arg);

	if (g)
		pf_http_reply_json(r, 200, json_pack("{s:s, s:o}", "group", g->symbol, "policy",
						     pf_reg_policy_json(&d->cfg->groups[g->number])));
}

void
pf_api_policy_group_put(struct pfc *d, struct pf_req *r, const char *arg)
{
	const struct pf_group_info *g = group_of(r, arg);
	json_t *in;

	if (!g || !(in = pf_api_body_object(r)))
		return;
	submit_edit(d, r, E_GROUP_PUT, g->symbol, in);
}

void
pf_api_policy_group_patch(struct pfc *d, struct pf_req *r, const char *arg)
{
	const struct pf_group_info *g = group_of(r, arg);
	json_t *in;

	if (!g || !(in = pf_api_body_object(r)))
		return;
	submit_edit(d, r, E_GROUP_PATCH, g->symbol, in);
}

void
pf_api_policy_cap_get(struct pfc *d, struct pf_req *r, const char *arg)
{
	const struct pf_cap_conf *c = cap_of(d, arg);

	if (!c) {
		pf_http_error(r, 404, NULL, "no capability %s", arg);
		return;
	}
	pf_http_reply_json(r, 200, cap_policy_json(d, c));
}

void
pf_api_policy_cap_put(struct pfc *d, struct pf_req *r, const char *arg)
{
	json_t *in;

	if (!cap_of(d, arg)) {
		pf_http_error(r, 404, NULL, "no capability %s", arg);
		return;
	}
	if ((in = pf_api_body_object(r)))
		submit_edit(d, r, E_ROUTING_PUT, arg, in);
}

void
pf_api_policy_cap_delete(struct pfc *d, struct pf_req *r, const char *arg)
{
	if (!cap_of(d, arg)) {
		pf_http_error(r, 404, NULL, "no capability %s", arg);
		return;
	}
	submit_edit(d, r, E_ROUTING_DELETE, arg, NULL);
}

/* ---- roles, sessions, molecules ----------------------------------------- */

void
pf_api_access_get(struct pfc *d, struct pf_req *r, const char *arg)
{
	(void)arg;
	pf_http_reply_json(r, 200,
			   json_pack("{s:O, s:O, s:O}", "roles", json_object_get(d->reg, "roles"),
				     "default_roles", json_object_get(d->reg, "default_roles"),
				     "sessions", json_object_get(d->reg, "sessions")));
}

/* Only the named sections may be replaced by a PUT. */
static bool
only_keys(struct pf_req *r, json_t *in, const char *const keys[], size_t n)
{
	const char *k;
	json_t *v;

	json_object_foreach(in, k, v) {
		bool ok = false;

		for (size_t i = 0; i < n; i++)
			ok |= strcmp(k, keys[i]) == 0;
		if (!ok) {
			pf_http_error(r, 422, NULL, "%.64s: expected one of %s%s%s%s%s", k, keys[0],
				      n > 1 ? ", " : "", n > 1 ? keys[1] : "",
				      n > 2 ? ", " : "", n > 2 ? keys[2] : "");
			json_decref(in);
			return false;
		}
	}
	return true;
}

void
pf_api_access_put(struct pfc *d, struct pf_req *r, const char *arg)
{
	static const char *const keys[] = { "roles", "default_roles", "sessions" };
	json_t *in = pf_api_body_object(r);

	(void)arg;
	if (in && only_keys(r, in, keys, 3))
		submit_edit(d, r, E_ACCESS_PUT, NULL, in);
}

void
pf_api_molecules_get(struct pfc *d, struct pf_req *r, const char *arg)
{
	(void)arg;
	pf_http_reply_json(r, 200, json_pack("{s:O}", "molecules",
					     json_object_get(d->reg, "molecules")));
}

void
pf_api_molecules_put(struct pfc *d, struct pf_req *r, const char *arg)
{
	static const char *const keys[] = { "molecules" };
	json_t *in = pf_api_body_object(r);

	(void)arg;
	if (in && only_keys(r, in, keys, 1))
		submit_edit(d, r, E_MOLECULES_PUT, NULL, in);
}
