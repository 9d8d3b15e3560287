/* SPDX-License-Identifier: BSD-3-Clause */
/* jobs.c: state changes, one at a time: prepare a candidate from the
 * committed state, push it to the dataplane, make it durable, commit it in
 * memory, answer. A dataplane restart queues a resync in the same line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfc.h"

static void run_next(struct pfc *d);
static void job_push(struct pfc *d, struct pf_job *j);

struct pf_job *
pf_job_new(int kind, struct pf_req *req, pf_job_prepare prepare)
{
	struct pf_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kind = kind;
	j->req = req;
	j->prepare = prepare;
	j->status = 200;
	j->t0_us = pf_mono_us();
	return j;
}

static void
job_free(struct pf_job *j)
{
	json_decref(j->input);
	json_decref(j->reg);
	json_decref(j->result);
	json_decref(j->detail);
	free(j->reg_msg);
	free(j->rules_text);
	free(j->rules_pack);
	pf_rules_free(&j->rs);
	free(j);
}

void
pf_job_submit(struct pfc *d, struct pf_job *j)
{
	if (j->req && d->n_jobs >= PF_JOB_MAX_QUEUED) {
		/* a client flooding writes must not grow the queue without end */
		pf_http_error(j->req, 503, NULL, "%u changes are waiting: try again later",
			      d->n_jobs);
		job_free(j);
		return;
	}
	d->n_jobs++;
	if (d->jobs_tail)
		d->jobs_tail->next = j;
	else
		d->jobs = j;
	d->jobs_tail = j;
	run_next(d);
}

/* Answers the request (if any), logs, and starts the next job. */
static void
job_end(struct pfc *d, struct pf_job *j)
{
	d->jobs = j->next;
	if (!d->jobs)
		d->jobs_tail = NULL;
	d->job_running = false;
	d->n_jobs--;
	if (j->status >= 400)
		d->jobs_failed++;
	else
		d->jobs_done++;
	if (j->kind == PF_JOB_RESYNC)
		d->resync_queued = false;
	if (j->req) {
		pfc_audit_change(d, j->req, j->what, j->status, j->status >= 400 ? j->err : NULL);
		if (j->status >= 400) {
			json_t *det = j->detail;

			j->detail = NULL;
			pf_http_error(j->req, j->status, det, "%s", j->err);
		} else if (j->status == 204) {
			pf_http_reply(j->req, 204, "application/json", "", 0);
		} else {
			json_t *res = j->result ? j->result : json_object();

			j->result = NULL;
			json_object_set_new(res, "version", json_integer((json_int_t)d->version));
			json_object_set_new(res, "applied", json_boolean(j->pushed));
			json_object_set_new(res, "dataplane", json_string(j->dp_msg));
			pf_http_reply_json(j->req, j->status, res);
		}
	}
	job_free(j);
	run_next(d);
}

static void
job_fail(struct pfc *d, struct pf_job *j, int status, const char *fmt, const char *s)
{
	j->status = status;
	snprintf(j->err, sizeof(j->err), fmt, s);
	job_end(d, j);
}

/* The change is durable: it becomes the committed state. */
static void
commit(struct pfc *d, struct pf_job *j)
{
	if (j->kind == PF_JOB_REGISTRY) {
		memcpy(d->cfg, &j->reg_msg->cfg, sizeof(*d->cfg));
		json_decref(d->reg);
		d->reg = j->reg;
		j->reg = NULL;
		d->reg_version++;
		/* rule resolution was checked unchanged: reload against the new names */
		if (j->rs.n) {
			pf_rules_free(&d->rules);
			d->rules = j->rs;
			memset(&j->rs, 0, sizeof(j->rs));
		}
	} else if (j->kind == PF_JOB_RULES) {
		free(d->rules_text);
		free(d->rules_pack);
		pf_rules_free(&d->rules);
		d->rules_text = j->rules_text;
		d->rules_len = j->rules_len;
		d->rules_pack = j->rules_pack;
		d->rules_pack_len = j->rules_pack_len;
		d->n_rules = j->n_rules;
		d->rules = j->rs;
		memset(&j->rs, 0, sizeof(j->rs));
		j->rules_text = NULL;
		j->rules_pack = NULL;
		d->rules_version++;
	}
	d->version++;
}

static void
persisted(struct pfc *d, void *arg, int rc)
{
	struct pf_job *j = arg;

	if (rc < 0) {
		/* the dataplane may run what is not durable: put it back */
		if (j->pushed)
			d->dp_synced = false;
		job_fail(d, j, 500, "state not saved: %s", strerror(-rc));
		if (!d->dp_synced)
			pf_job_resync(d, "a change failed to persist");
		return;
	}
	commit(d, j);
	job_end(d, j);
}

static void
persist(struct pfc *d, struct pf_job *j)
{
	char *text = NULL;
	int rc;

	if (j->kind == PF_JOB_REGISTRY) {
		text = json_dumps(j->reg, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		rc = text ? pf_store_write(d, &d->store.jobs, "registry.json", text, strlen(text),
					   persisted, j)
			  : -ENOMEM;
		free(text);
	} else {
		rc = pf_store_write(d, &d->store.jobs, "rules.yaml", j->rules_text, j->rules_len,
				    persisted, j);
	}
	if (rc < 0)
		persisted(d, j, rc);
}

static void
record_latency(struct pfc *d, struct pf_job *j)
{
	uint64_t us = pf_mono_us() - j->t0_us;

	d->apply_lat_us[d->n_apply_lat++ % (sizeof(d->apply_lat_us) /
					    sizeof(d->apply_lat_us[0]))] =
		us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void resync_rules(struct pfc *d, struct pf_job *j);

static void
pushed(struct pfc *d, void *arg, int rc, const struct pf_ctl_ack *ack)
{
	struct pf_job *j = arg;

	if (rc == 0 && ack->status < 0) {
		snprintf(j->dp_msg, sizeof(j->dp_msg), "%s", ack->msg);
		if (j->kind == PF_JOB_RESYNC) {
			fprintf(stderr, "pf-control: resync refused by the dataplane: %s\n",
				ack->msg);
			job_end(d, j);
			return;
		}
		job_fail(d, j, 422, "the dataplane refused the change: %s", ack->msg);
		return;
	}
	if (rc < 0) {
		/* no dataplane now: the change is kept and pushed on reconnect */
		snprintf(j->dp_msg, sizeof(j->dp_msg), "not applied: dataplane unreachable (%s)",
			 strerror(-rc));
		d->dp_synced = false;
		if (j->kind == PF_JOB_RESYNC) {
			job_end(d, j);
			return;
		}
	} else {
		j->pushed = true;
		snprintf(j->dp_msg, sizeof(j->dp_msg), "%s", ack->msg);
		if (j->kind != PF_JOB_RESYNC)
			record_latency(d, j);
	}
	if (j->kind == PF_JOB_RESYNC) {
		resync_rules(d, j);
		return;
	}
	persist(d, j);
}

static void
resync_done(struct pfc *d, void *arg, int rc, const struct pf_ctl_ack *ack)
{
	struct pf_job *j = arg;

	if (rc == 0 && ack->status == 0) {
		d->dp_synced = true;
		d->resyncs++;
	} else {
		fprintf(stderr, "pf-control: rules resync failed: %s\n",
			rc < 0 ? strerror(-rc) : ack->msg);
	}
	job_end(d, j);
}

static void
resync_rules(struct pfc *d, struct pf_job *j)
{
	/* the committed pack stays alive: jobs run one at a time. No pack is
	 * an empty RULES_SET: the dataplane may have loaded its config's rules,
	 * which pf-control's state (rules cleared) overrides. */
	pf_link_call(d, PF_CTL_RULES_SET, d->rules_pack, (uint32_t)d->rules_pack_len,
		     resync_done, j);
}

static void
job_push(struct pfc *d, struct pf_job *j)
{
	switch (j->kind) {
	case PF_JOB_REGISTRY:
	case PF_JOB_RESYNC:
		pf_link_call(d, PF_CTL_REGISTRY_SET, j->reg_msg, sizeof(*j->reg_msg), pushed, j);
		break;
	case PF_JOB_RULES:
		pf_link_call(d, PF_CTL_RULES_SET, j->rules_pack, (uint32_t)j->rules_pack_len,
			     pushed, j);
		break;
	}
}

void
pf_job_prepared(struct pfc *d, struct pf_job *j, int status)
{
	if (status != 0) {
		j->status = status;
		job_end(d, j);
		return;
	}
	job_push(d, j);
}

static void
run_next(struct pfc *d)
{
	struct pf_job *j = d->jobs;
	int st;

	if (d->job_running || !j)
		return;
	d->job_running = true;
	st = j->prepare ? j->prepare(d, j) : 0;
	if (st == PF_JOB_LATER)
		return;
	pf_job_prepared(d, j, st);
}

static int
resync_prepare(struct pfc *d, struct pf_job *j)
{
	j->reg_msg = malloc(sizeof(*j->reg_msg));
	if (!j->reg_msg) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return 500;
	}
	memcpy(&j->reg_msg->cfg, d->cfg, sizeof(*d->cfg));
	return 0;
}

void
pf_job_resync(struct pfc *d, const char *why)
{
	struct pf_job *j;

	if (d->resync_queued)
		return;
	j = pf_job_new(PF_JOB_RESYNC, NULL, resync_prepare);
	if (!j)
		return;
	fprintf(stderr, "pf-control: pushing registry and rules to the dataplane (%s)\n", why);
	d->resync_queued = true;
	pf_job_submit(d, j);
}

void
pfc_dataplane_seen(struct pfc *d, uint64_t pid, const char *how)
{
	char why[96];

	if (pid == 0)
		return;
	if (pid != d->dp_pid) {
		d->dp_pid = pid;
		d->dp_synced = false;
	}
	if (!d->dp_synced) {
		snprintf(why, sizeof(why), "dataplane pid %llu seen on the %s",
			 (unsigned long long)pid, how);
		pf_job_resync(d, why);
	}
}

/* "capabilities[7].element: ..." -> "element: ..." when 7 was edited. */
static void
strip_prefix(char *err, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;

	if (n && strncmp(err, prefix, n) == 0 && (err[n] == '.' || err[n] == ':')) {
		const char *rest = err + n + (err[n] == '.' ? 1 : 0);

		memmove(err, rest, strlen(rest) + 1);
		if (err[0] == ':') /* the edited entry itself */
			memmove(err, err + 2, strlen(err + 2) + 1);
	}
}

int
pf_job_registry_candidate(struct pfc *d, struct pf_job *j, json_t *cand,
			  const char *edited_prefix)
{
	char err[PFC_ERR_LEN];
	int rc;

	j->reg_msg = calloc(1, sizeof(*j->reg_msg));
	if (!j->reg_msg || !cand) {
		json_decref(cand);
		snprintf(j->err, sizeof(j->err), "out of memory");
		return 500;
	}
	rc = pf_reg_from_json(d->base, cand, &j->reg_msg->cfg, err, sizeof(err));
	json_decref(cand);
	if (rc < 0) {
		strip_prefix(err, edited_prefix);
		snprintf(j->err, sizeof(j->err), "%s", err);
		return rc == -ENOMEM ? 500 : 422;
	}
	/* the committed rules name capabilities: they must still mean the same */
	if (d->rules_len) {
		rc = pf_rules_load_buf("rules", d->rules_text, d->rules_len,
				       &j->reg_msg->cfg, &j->rs, err, sizeof(err));
		if (rc < 0) {
			snprintf(j->err, sizeof(j->err),
				 "the rules in force no longer load with this change: %.400s "
				 "(change the rules first)", err);
			return 409;
		}
		for (uint32_t i = 0; i < j->rs.n && i < d->rules.n; i++)
			if (j->rs.rules[i].cap_id != d->rules.rules[i].cap_id) {
				snprintf(j->err, sizeof(j->err),
					 "rule %u would classify to capability %u instead of %u: "
					 "upload the rules again after this change",
					 j->rs.rules[i].id, j->rs.rules[i].cap_id,
					 d->rules.rules[i].cap_id);
				return 409;
			}
	}
	j->reg = pf_reg_to_json(&j->reg_msg->cfg);
	if (!j->reg) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return 500;
	}
	return 0;
}
