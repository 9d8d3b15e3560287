/* SPDX-License-Identifier: BSD-3-Clause */
/* api.c: the REST API's routing table, bearer-token checks (401 / 403 with
 * JSON reasons), control-change audit records, /health. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfc.h"

typedef void (*handler_fn)(struct pfc *d, struct pf_req *r, const char *arg);

struct route {
	unsigned int method;
	const char *pattern; /* a trailing "/ *" (no space) matches one segment */
	int role;            /* least role allowed */
	handler_fn fn;
};

/* viewer reads; operator changes policy and rules; admin everything */
static const struct route routes[] = {
	{ HTTP_GET, "/", PF_API_NONE, pf_api_status_page },
	{ HTTP_GET, "/status", PF_API_NONE, pf_api_status_page },
	{ HTTP_GET, "/health", PF_API_VIEWER, pf_api_health },
	{ HTTP_GET, "/metrics", PF_API_VIEWER, pf_api_metrics },
	{ HTTP_GET, "/stats", PF_API_VIEWER, pf_api_stats },
	{ HTTP_GET, "/capabilities", PF_API_VIEWER, pf_api_caps_list },
	{ HTTP_POST, "/capabilities", PF_API_ADMIN, pf_api_cap_create },
	{ HTTP_GET, "/capabilities/*", PF_API_VIEWER, pf_api_cap_get },
	{ HTTP_PUT, "/capabilities/*", PF_API_ADMIN, pf_api_cap_put },
	{ HTTP_PATCH, "/capabilities/*", PF_API_ADMIN, pf_api_cap_patch },
	{ HTTP_DELETE, "/capabilities/*", PF_API_ADMIN, pf_api_cap_delete },
	{ HTTP_GET, "/policy", PF_API_VIEWER, pf_api_policy_get },
	{ HTTP_GET, "/policy/groups/*", PF_API_VIEWER, pf_api_policy_group_get },
	{ HTTP_PUT, "/policy/groups/*", PF_API_OPERATOR, pf_api_policy_group_put },
	{ HTTP_PATCH, "/policy/groups/*", PF_API_OPERATOR, pf_api_policy_group_patch },
	{ HTTP_GET, "/policy/capabilities/*", PF_API_VIEWER, pf_api_policy_cap_get },
	{ HTTP_PUT, "/policy/capabilities/*", PF_API_OPERATOR, pf_api_policy_cap_put },
	{ HTTP_DELETE, "/policy/capabilities/*", PF_API_OPERATOR, pf_api_policy_cap_delete },
	{ HTTP_GET, "/access", PF_API_VIEWER, pf_api_access_get },
	{ HTTP_PUT, "/access", PF_API_ADMIN, pf_api_access_put },
	{ HTTP_GET, "/molecules", PF_API_VIEWER, pf_api_molecules_get },
	{ HTTP_PUT, "/molecules", PF_API_ADMIN, pf_api_molecules_put },
	{ HTTP_GET, "/rules", PF_API_VIEWER, pf_api_rules_get },
	{ HTTP_PUT, "/rules", PF_API_OPERATOR, pf_api_rules_put },
	{ HTTP_DELETE, "/rules", PF_API_OPERATOR, pf_api_rules_delete },
};

/* Whether path matches pattern; *arg gets the wildcard segment. */
static bool
match(const char *pattern, const char *path, const char **arg)
{
	size_t n = strlen(pattern);

	*arg = NULL;
	if (n >= 2 && strcmp(pattern + n - 2, "/*") == 0) {
		if (strncmp(path, pattern, n - 1) != 0)
			return false;
		const char *seg = path + n - 1;
		if (*seg == '\0' || strchr(seg, '/'))
			return false;
		*arg = seg;
		return true;
	}
	/* a trailing slash is the same resource */
	size_t m = strlen(path);
	if (m > 1 && path[m - 1] == '/')
		m--;
	return m == n && strncmp(path, pattern, n) == 0;
}

void
pf_api_dispatch(struct pfc *d, struct pf_req *r)
{
	const struct route *found = NULL;
	const char *arg = NULL;
	char allow[128] = "";
	size_t o = 0;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const char *a;

		if (!match(routes[i].pattern, r->path, &a))
			continue;
		if (routes[i].method == r->method) {
			found = &routes[i];
			arg = a;
			break;
		}
		o += (size_t)snprintf(allow + o, o < sizeof(allow) ? sizeof(allow) - o : 0,
				      "%s%s", o ? ", " : "",
				      http_method_str(routes[i].method));
	}
	if (!found) {
		if (o)
			pf_http_error(r, 405, json_pack("{s:s}", "allow", allow),
				      "method %s not allowed on %s", http_method_str(r->method),
				      r->path);
		else
			pf_http_error(r, 404, NULL, "no such resource: %s", r->path);
		return;
	}
	if (found->role > PF_API_NONE) {
		bool write = r->method != HTTP_GET;

		if (!r->auth[0]) {
			if (write)
				pfc_audit_change(d, r, NULL, 401, "no token");
			pf_http_error(r, 401, NULL,
				      "authentication required: send Authorization: Bearer TOKEN");
			return;
		}
		r->role = pf_auth_check(&d->auth, r->auth, r->who, sizeof(r->who));
		if (r->role == PF_API_NONE) {
			if (write)
				pfc_audit_change(d, r, NULL, 401, "invalid token");
			pf_http_error(r, 401, NULL, "invalid bearer token");
			return;
		}
		if (r->role < found->role) {
			if (write)
				pfc_audit_change(d, r, NULL, 403, "role too low");
			pf_http_error(r, 403,
				      json_pack("{s:s, s:s}", "role", pf_api_role_name(r->role),
						"required_role", pf_api_role_name(found->role)),
				      "%s %s needs the %s role; this token has %s",
				      http_method_str(r->method), r->path,
				      pf_api_role_name(found->role), pf_api_role_name(r->role));
			return;
		}
	}
	found->fn(d, r, arg);
}

json_t *
pf_api_body_object(struct pf_req *r)
{
	json_error_t e;
	json_t *j;

	if (r->body_len == 0) {
		pf_http_error(r, 400, NULL, "expected a JSON object in the request body");
		return NULL;
	}
	j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		pf_http_error(r, 400,
			      json_pack("{s:i, s:i}", "line", e.line, "column", e.column),
			      "invalid JSON: %s", e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		pf_http_error(r, 400, NULL, "expected a JSON object, found another JSON value");
		return NULL;
	}
	return j;
}

void
pfc_audit_change(struct pfc *d, struct pf_req *r, const char *what, int status,
		 const char *error)
{
	json_t *rec = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:I}",
				"type", "control", "ts_ns", (json_int_t)pf_real_ns(),
				"who", r->who[0] ? r->who : "-", "role",
				pf_api_role_name(r->role), "method",
				http_method_str(r->method), "path", r->path, "status", status,
				"version", (json_int_t)d->version);

	if (rec && error)
		json_object_set_new(rec, "refused", json_string(error));
	else if (rec && what && what[0])
		json_object_set_new(rec, "change", json_string(what));
	pf_audit_append(d, rec);
}

/* ---- /health ------------------------------------------------------------ */

void
pf_api_health(struct pfc *d, struct pf_req *r, const char *arg)
{
	const struct pf_tele *t = &d->tele;
	json_t *dp, *lcores = json_array(), *o;
	bool alive = pf_tele_dataplane_alive(d);
	const char *status;

	(void)arg;
	/* synced with the dataplane that runs now, not one that ran before */
	bool synced = d->dp_synced && (!t->open || t->pid == d->dp_pid);

	dp = json_pack("{s:b, s:I, s:b, s:b}", "connected", d->link.state == PF_LINK_UP,
		       "pid", (json_int_t)(t->open ? t->pid : d->link.pid), "stats_segment",
		       t->open, "synced", synced);
	if (t->open && t->snap.valid) {
		const struct pf_tele_snap *h = &t->snap;

		json_object_set_new(dp, "running", json_boolean(h->running));
		json_object_set_new(dp, "registry_gen", json_integer((json_int_t)h->registry_gen));
		json_object_set_new(dp, "rules_gen", json_integer((json_int_t)h->rules_gen));
		json_object_set_new(dp, "capabilities", json_integer((json_int_t)h->n_caps));
		json_object_set_new(dp, "rules", json_integer((json_int_t)h->n_rules));
		json_object_set_new(dp, "start_ns", json_integer((json_int_t)t->start_ns));
		for (unsigned int i = 0; i < h->n_lcores; i++)
			json_array_append_new(
				lcores,
				json_pack("{s:i, s:b, s:I, s:I}", "lcore",
					  h->info[i].lcore_id, "alive",
					  pf_tele_lcore_alive(d, i), "heartbeat",
					  (json_int_t)t->live[i].heartbeat, "since_advance_ms",
					  (json_int_t)(d->loop.now_ms - t->live[i].changed_ms)));
	}
	json_object_set_new(dp, "alive", json_boolean(alive));
	json_object_set_new(dp, "lcores", lcores);
	json_object_set_new(dp, "restarts_seen", json_integer((json_int_t)t->restarts_seen));
	if (d->link.last_error[0])
		json_object_set_new(dp, "last_error", json_string(d->link.last_error));
	status = alive && synced ? "ok" : alive ? "syncing" : "degraded";
	o = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:o, "
		      "s:{s:i, s:i, s:i, s:i, s:I}, s:{s:i, s:I}}",
		      "status", status, "version", PF_VERSION_STRING,
		      "control", "pid", (json_int_t)getpid(), "uptime_s",
		      (json_int_t)((pf_real_ns() - d->start_ns) / 1000000000ull),
		      "state_version", (json_int_t)d->version, "jobs_done",
		      (json_int_t)d->jobs_done, "resyncs", (json_int_t)d->resyncs,
		      "dataplane", dp,
		      "registry", "capabilities", d->cfg->n_caps, "molecules",
		      d->cfg->n_molecules, "roles", d->cfg->n_roles, "sessions",
		      d->cfg->n_sessions, "version", (json_int_t)d->reg_version,
		      "rules", "count", (int)d->n_rules, "version",
		      (json_int_t)d->rules_version);
	pf_http_reply_json(r, 200, o);
}
