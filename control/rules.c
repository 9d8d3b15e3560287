/* SPDX-License-Identifier: BSD-3-Clause */
/* rules.c: Hyperscan rule sets uploaded through the API -- parsed with the
 * lib's loader, compiled and packed in a worker thread that reports back
 * through an eventfd read by the loop; GET and PUT /rules. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pfc.h"

struct task {
	struct task *next;
	char *text;
	size_t len;
	struct pf_config *cfg;
	pf_rules_cb cb;
	void *arg;
	struct pf_rules_result res;
};

struct worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct task *todo, *done;
	bool stop, started;
	int efd;
	struct pf_op op;
	uint64_t ebuf;
	struct pfc *d;
};

/* "rules:12: rules[3] (id 40): <message>" -> index 3, id 40, message. */
static void
parse_pattern_error(struct pf_rules_result *res)
{
	const char *p = strstr(res->err, "rules[");
	unsigned int idx, id;
	int n = 0;

	res->bad_index = -1;
	if (p && sscanf(p, "rules[%u] (id %u): %n", &idx, &id, &n) == 2 && n > 0) {
		res->bad_index = (int)idx;
		res->bad_id = id;
		snprintf(res->hs_msg, sizeof(res->hs_msg), "%s", p + n);
	}
}

void
pf_rules_build_now(const char *name, const char *text, size_t len,
		   const struct pf_config *cfg, struct pf_rules_result *res)
{
	hs_database_t *db = NULL;

	memset(res, 0, sizeof(*res));
	res->bad_index = -1;
	res->rc = pf_rules_load_buf(name, text, len, cfg, &res->rs, res->err,
				    sizeof(res->err));
	if (res->rc < 0)
		return;
	res->rc = pf_rules_compile(&res->rs, &db, res->err, sizeof(res->err));
	if (res->rc < 0) {
		parse_pattern_error(res);
		return;
	}
	res->rc = pf_rules_pack(&res->rs, db, &res->pack, &res->pack_len);
	if (res->rc < 0)
		snprintf(res->err, sizeof(res->err), "%s: cannot pack the database: %s", name,
			 strerror(-res->rc));
	hs_free_database(db);
}

static void *
worker_main(void *p)
{
	struct worker *w = p;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		struct task *t = w->todo;

		if (!t) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		w->todo = t->next;
		pthread_mutex_unlock(&w->mu);
		pf_rules_build_now("rules", t->text, t->len, t->cfg, &t->res);
		pthread_mutex_lock(&w->mu);
		t->next = w->done;
		w->done = t;
		uint64_t one = 1;
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow at this rate; nothing to do */
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void arm(struct worker *w);

static void
efd_ready(struct pf_op *op, int res, unsigned int flags)
{
	struct worker *w = container_of(op, struct worker, op);
	struct task *t, *rev = NULL;

	(void)flags;
	if (w->stop)
		return;
	pthread_mutex_lock(&w->mu);
	t = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	while (t) { /* oldest first */
		struct task *n = t->next;

		t->next = rev;
		rev = t;
		t = n;
	}
	for (t = rev; t; t = rev) {
		rev = t->next;
		t->cb(w->d, t->arg, &t->res);
		pf_rules_free(&t->res.rs);
		free(t->res.pack);
		free(t->text);
		free(t->cfg);
		free(t);
	}
	if (res >= 0 || res == -EINTR || res == -EAGAIN)
		arm(w);
}

static void
arm(struct worker *w)
{
	w->op.fn = efd_ready;
	io_uring_prep_read(pf_loop_sqe(&w->d->loop, &w->op), w->efd, &w->ebuf,
			   sizeof(w->ebuf), 0);
}

int
pf_rules_worker_init(struct pfc *d)
{
	struct worker *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	w->d = d;
	w->efd = eventfd(0, EFD_CLOEXEC);
	if (w->efd < 0) {
		rc = -errno;
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	rc = -pthread_create(&w->th, NULL, worker_main, w);
	if (rc < 0) {
		close(w->efd);
		free(w);
		return rc;
	}
	w->started = true;
	d->rules_worker = w;
	arm(w);
	return 0;
}

void
pf_rules_worker_fini(struct pfc *d)
{
	struct worker *w = d->rules_worker;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	d->rules_worker = NULL;
	free(w); /* tasks left are dropped with the process */
}

int
pf_rules_build(struct pfc *d, const char *text, size_t len,
	       const struct pf_config *cfg, pf_rules_cb cb, void *arg)
{
	struct worker *w = d->rules_worker;
	struct task *t = calloc(1, sizeof(*t));

	if (!t || !(t->text = malloc(len + 1)) || !(t->cfg = malloc(sizeof(*cfg)))) {
		if (t)
			free(t->text);
		free(t);
		return -ENOMEM;
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	t->len = len;
	memcpy(t->cfg, cfg, sizeof(*cfg));
	t->cb = cb;
	t->arg = arg;
	pthread_mutex_lock(&w->mu);
	struct task **pp = &w->todo;
	while (*pp)
		pp = &(*pp)->next;
	*pp = t;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* ---- the API ------------------------------------------------------------ */

static const struct {
	const char *name;
	uint32_t flag;
} flag_names[] = {
#define X(sym, str, hs) { str, hs },
	PF_RULE_FLAG_LIST(X)
#undef X
};

json_t *
pf_rules_json(struct pfc *d)
{
	json_t *a = json_array();

	for (uint32_t i = 0; a && i < d->rules.n; i++) {
		const struct pf_rule *r = &d->rules.rules[i];
		const struct pf_cap_conf *c = pf_config_cap(d->cfg, r->cap_id);
		json_t *fl = json_array();
		json_t *o;

		for (size_t k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++)
			if (r->hs_flags & flag_names[k].flag)
				json_array_append_new(fl, json_string(flag_names[k].name));
		o = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)r->id, "pattern",
			      r->pattern, "action", pf_rule_action_name(r->action), "flags", fl);
		if (r->action == PF_RULE_CLASSIFY)
			json_object_set_new(o, "capability",
					    c ? json_string(c->name) : json_integer(r->cap_id));
		json_array_append_new(a, o);
	}
	return a;
}

void
pf_api_rules_get(struct pfc *d, struct pf_req *r, const char *arg)
{
	(void)arg;
	if (strstr(r->query, "format=source")) {
		if (!d->rules_len)
			pf_http_error(r, 404, NULL, "no rules are loaded");
		else
			pf_http_reply(r, 200, "application/yaml", d->rules_text, d->rules_len);
		return;
	}
	pf_http_reply_json(r, 200,
			   json_pack("{s:I, s:i, s:I, s:o}", "version",
				     (json_int_t)d->rules_version, "count", (int)d->n_rules,
				     "packed_bytes", (json_int_t)d->rules_pack_len, "rules",
				     pf_rules_json(d)));
}

static void
compiled(struct pfc *d, void *arg, struct pf_rules_result *res)
{
	struct pf_job *j = arg;

	if (res->rc < 0) {
		snprintf(j->err, sizeof(j->err), "%s", res->err);
		if (res->bad_index >= 0)
			j->detail = json_pack("{s:I, s:i, s:s}", "rule_id", (json_int_t)res->bad_id,
					      "rule_index", res->bad_index, "hyperscan",
					      res->hs_msg);
		pf_job_prepared(d, j, res->rc == -EINVAL ? 422 : 500);
		return;
	}
	j->rules_pack = res->pack;
	j->rules_pack_len = res->pack_len;
	j->n_rules = res->rs.n;
	j->rs = res->rs;
	res->pack = NULL;
	memset(&res->rs, 0, sizeof(res->rs));
	j->result = json_pack("{s:i, s:I}", "count", (int)j->n_rules, "packed_bytes",
			      (json_int_t)j->rules_pack_len);
	snprintf(j->what, sizeof(j->what), "rules replaced: %u rules", j->n_rules);
	pf_job_prepared(d, j, 0);
}

static int
rules_prepare(struct pfc *d, struct pf_job *j)
{
	/* compiled against the registry committed when the job runs */
	if (pf_rules_build(d, j->rules_text, j->rules_len, d->cfg, compiled, j) < 0) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return 503;
	}
	return PF_JOB_LATER;
}

static int
clear_prepare(struct pfc *d, struct pf_job *j)
{
	(void)d;
	/* an empty RULES_SET clears the dataplane's rules; rules.yaml becomes
	 * empty, which a restart reads as "no rules" (not the config's file) */
	j->n_rules = 0;
	j->result = json_pack("{s:i}", "count", 0);
	snprintf(j->what, sizeof(j->what), "rules cleared");
	return 0;
}

void
pf_api_rules_delete(struct pfc *d, struct pf_req *r, const char *arg)
{
	struct pf_job *j;

	(void)arg;
	j = pf_job_new(PF_JOB_RULES, r, clear_prepare);
	if (!j || !(j->rules_text = strdup(""))) {
		free(j);
		pf_http_error(r, 503, NULL, "out of memory");
		return;
	}
	j->rules_len = 0;
	pf_job_submit(d, j);
}

void
pf_api_rules_put(struct pfc *d, struct pf_req *r, const char *arg)
{
	struct pf_job *j;

	(void)arg;
	if (r->body_len == 0) {
		pf_http_error(r, 400, NULL,
			      "expected a rules document (YAML or JSON: {\"rules\": [...]})");
		return;
	}
	j = pf_job_new(PF_JOB_RULES, r, rules_prepare);
	if (!j || !(j->rules_text = malloc(r->body_len + 1))) {
		free(j);
		pf_http_error(r, 503, NULL, "out of memory");
		return;
	}
	memcpy(j->rules_text, r->body, r->body_len);
	j->rules_text[r->body_len] = '\0';
	j->rules_len = r->body_len;
	pf_job_submit(d, j);
}
