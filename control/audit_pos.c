/* SPDX-License-Identifier: BSD-3-Clause */
/* audit_pos.c: the audit rings' read positions follow the audit log to disk
 * (STATE/audit.pos), so that a restarted pf-control resumes after the last
 * records it had fsynced: every record is logged at least once. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfc.h"

#define POS_FILE "audit.pos"
#define POS_VERSION 1
#define SAVE_MS 500 /* at most one save per this period */

static bool
same_instance(const struct pf_audit_mark *m, uint64_t pid, uint64_t start_ns)
{
	return m->pid && m->pid == pid && m->start_ns == start_ns;
}

static bool
mark_eq(const struct pf_audit_mark *a, const struct pf_audit_mark *b)
{
	return a->pid == b->pid && a->start_ns == b->start_ns && a->n == b->n &&
	       !memcmp(a->pos, b->pos, a->n * sizeof(a->pos[0]));
}

/* Where the tele reads now. */
static void
mark_live(const struct pfc *d, struct pf_audit_mark *m)
{
	const struct pf_tele *t = &d->tele;

	memset(m, 0, sizeof(*m));
	m->pid = t->pid;
	m->start_ns = t->start_ns;
	m->n = d->apos.n;
	memcpy(m->pos, t->audit_pos, m->n * sizeof(m->pos[0]));
}

/* {"version":1,"pid":P,"start_ns":S,"positions":[...]}: NULL, or what is wrong. */
static const char *
parse(const json_t *doc, struct pf_audit_mark *m)
{
	const json_t *pid = json_object_get(doc, "pid"), *start = json_object_get(doc, "start_ns"),
		     *pos = json_object_get(doc, "positions"), *v;
	size_t i;

	if (!json_is_object(doc))
		return "expected a JSON object";
	if (json_integer_value(json_object_get(doc, "version")) != POS_VERSION)
		return "version: expected 1";
	if (!json_is_integer(pid) || json_integer_value(pid) <= 0 || !json_is_integer(start) ||
	    json_integer_value(start) < 0)
		return "pid, start_ns: expected the dataplane instance";
	if (!json_is_array(pos) || json_array_size(pos) > PF_STATS_MAX_LCORES)
		return "positions: expected a list of at most 64 integers";
	memset(m, 0, sizeof(*m));
	json_array_foreach(pos, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return "positions: expected integers >= 0";
		m->pos[i] = (uint64_t)json_integer_value(v);
	}
	m->pid = (uint64_t)json_integer_value(pid);
	m->start_ns = (uint64_t)json_integer_value(start);
	m->n = (uint32_t)json_array_size(pos);
	return NULL;
}

void
pf_audit_pos_load(struct pfc *d)
{
	struct pf_audit_pos *p = &d->apos;
	struct pf_buf text = { 0 };
	json_error_t je;
	json_t *doc = NULL;
	const char *why;
	int rc;

	rc = pf_store_read(d, POS_FILE, &text);
	if (rc == 0) {
		doc = json_loadb(text.p, text.len, 0, &je);
		why = doc ? parse(doc, &p->resume) : je.text;
	} else {
		why = rc == -ENOENT ? "none saved yet" : strerror(-rc);
	}
	if (why) {
		/* not fatal: reading from the start logs some records twice at worst */
		memset(&p->resume, 0, sizeof(p->resume));
		fprintf(stderr, "pf-control: %s/" POS_FILE ": %s; audit rings are read from their start\n",
			d->o.state_dir, why);
	} else {
		p->saved = p->resume;
	}
	json_decref(doc);
	pf_buf_free(&text);
}

void
pf_audit_pos_open(struct pfc *d)
{
	struct pf_tele *t = &d->tele;
	struct pf_audit_pos *p = &d->apos;
	const struct pf_stats_hdr *h = t->v.hdr;
	bool resume = same_instance(&p->resume, t->pid, t->start_ns);
	uint64_t pos[PF_STATS_MAX_LCORES] = { 0 }, behind = 0;
	unsigned int n = h->n_lcores < PF_STATS_MAX_LCORES ? h->n_lcores : PF_STATS_MAX_LCORES;
	unsigned int clamped = 0;

	/*
	 * An instance we (or the pf-control before us) were reading resumes
	 * where the durable, or for a re-open our in-memory, positions stand.
	 * Any other instance is read from 0, also one that ran before we
	 * started: had a pf-control logged its records, the saved positions
	 * would name it, so they were logged by no one (or by one that died
	 * before its first save: then some twice, which at-least-once allows).
	 * Records overwritten meanwhile are counted lost by pf_audit_read().
	 */
	for (unsigned int i = 0; i < n; i++) {
		uint64_t head = __atomic_load_n(&pf_stats_audit(h, i)->head, __ATOMIC_ACQUIRE);

		pos[i] = resume && i < p->resume.n ? p->resume.pos[i] : 0;
		if (pos[i] > head) {
			/* never beyond the head: that would skip what comes next */
			pos[i] = head;
			clamped++;
		}
		behind += head - pos[i];
	}
	memcpy(t->audit_pos, pos, sizeof(pos));
	p->n = n;
	p->reading = true;
	if (!same_instance(&p->durable, t->pid, t->start_ns)) {
		/* a new instance: whatever the old one had pending is moot */
		mark_live(d, &p->durable);
		p->cand_valid = false;
	}
	fprintf(stderr,
		"pf-control: audit rings of dataplane %" PRIu64 ": %s, %" PRIu64
		" records to read%s\n",
		t->pid, resume ? "resumed after the records already logged" : "read from their start",
		behind, clamped ? " (positions beyond the head clamped)" : "");
}

void
pf_audit_pos_close(struct pfc *d)
{
	struct pf_audit_pos *p = &d->apos;

	/* what was read is in the log's buffers: a re-open of the same
	 * instance goes on from there */
	if (p->reading)
		mark_live(d, &p->resume);
	p->reading = false;
}

static void
save_done(struct pfc *d, void *arg, int rc)
{
	struct pf_audit_pos *p = &d->apos;

	(void)arg;
	if (rc < 0) {
		p->save_errors++;
		if (!p->save_failing)
			fprintf(stderr, "pf-control: %s/" POS_FILE " not saved: %s (retrying)\n",
				d->o.state_dir, strerror(-rc));
		p->save_failing = true;
		return;
	}
	if (p->save_failing)
		fprintf(stderr, "pf-control: %s/" POS_FILE " saved again\n", d->o.state_dir);
	p->save_failing = false;
	p->saved = p->writing;
	p->saves++;
}

static int
mark_format(const struct pf_audit_mark *m, struct pf_buf *b)
{
	int rc = pf_buf_printf(b, "{\"version\":%d,\"pid\":%" PRIu64 ",\"start_ns\":%" PRIu64
			       ",\"positions\":[", POS_VERSION, m->pid, m->start_ns);

	for (uint32_t i = 0; i < m->n && rc == 0; i++)
		rc = pf_buf_printf(b, "%s%" PRIu64, i ? "," : "", m->pos[i]);
	return rc == 0 ? pf_buf_printf(b, "]}\n") : rc;
}

void
pf_audit_pos_tick(struct pfc *d)
{
	struct pf_audit_pos *p = &d->apos;
	const struct pf_audit_log *a = &d->audit;
	struct pf_buf text = { 0 };

	/* the batch holding the checkpoint's records is fsynced */
	if (p->cand_valid && a->durable_lines >= p->cand_lines) {
		p->durable = p->cand;
		p->cand_valid = false;
	}
	/* every record read so far is in the lines appended so far */
	if (!p->cand_valid && p->reading && d->tele.snap.valid) {
		mark_live(d, &p->cand);
		p->cand_lines = a->lines;
		p->cand_valid = !mark_eq(&p->cand, &p->durable);
	}
	if (p->w.busy || !p->durable.pid || mark_eq(&p->durable, &p->saved) ||
	    d->loop.now_ms - p->last_save_ms < SAVE_MS)
		return;
	p->last_save_ms = d->loop.now_ms;
	p->writing = p->durable;
	if (mark_format(&p->writing, &text) < 0 ||
	    pf_store_write(d, &p->w, POS_FILE, text.p, text.len, save_done, NULL) < 0)
		save_done(d, NULL, -ENOMEM);
	pf_buf_free(&text);
}

void
pf_audit_pos_fini(struct pfc *d)
{
	struct pf_audit_pos *p = &d->apos;
	const struct pf_audit_log *a = &d->audit;
	struct pf_buf text = { 0 };
	int rc;

	/* pf_audit_fini() fsynced every line: every record read is durable
	 * (in the open segment, or in the one closed last) */
	if (a->durable_lines >= a->lines && p->reading)
		mark_live(d, &p->durable);
	else if (a->durable_lines >= a->lines &&
		 same_instance(&p->resume, p->durable.pid, p->durable.start_ns))
		p->durable = p->resume;
	else if (p->cand_valid && a->durable_lines >= p->cand_lines)
		p->durable = p->cand;
	if (!p->durable.pid || mark_eq(&p->durable, &p->saved))
		return;
	if (p->w.busy) {
		/* the loop did not settle: an older save may still land after ours */
		fprintf(stderr, "pf-control: %s/" POS_FILE " not saved at exit: a save is in flight\n",
			d->o.state_dir);
		return;
	}
	rc = mark_format(&p->durable, &text);
	if (rc == 0)
		rc = pf_store_write_now(d, POS_FILE, text.p, text.len);
	if (rc < 0)
		fprintf(stderr, "pf-control: %s/" POS_FILE " not saved at exit: %s\n",
			d->o.state_dir, strerror(-rc));
	pf_buf_free(&text);
}
