/* SPDX-License-Identifier: BSD-3-Clause */
/* tele.c: the dataplane's stats segment, read each tick into a snapshot:
 * restart detection, per-lcore heartbeats, rates, audit records shipped
 * from the lcores' rings to the audit log, and GET /stats. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pf_wire.h"
#include "pfc.h"

#define OPEN_RETRY_MS 250
#define HEARTBEAT_TIMEOUT_MS 1000 /* an lcore whose heartbeat stood still this long is dead */
#define AUDIT_BATCH 256

/*
 * A dataplane re-creates its segment under a temp name and renames it over
 * the path, so a mapping of the previous one stays valid; a segment that is
 * truncated under us all the same (an older writer, a stray tool) would
 * raise SIGBUS on access. Reads of the mapping happen only in the tick,
 * under this guard, which turns that fault into "segment gone, open again".
 */
static sigjmp_buf bus_env;
static volatile sig_atomic_t bus_armed;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_armed)
		siglongjmp(bus_env, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

int
pf_tele_init(struct pfc *d, const char *path)
{
	struct pf_tele *t = &d->tele;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->v.fd = -1;
	t->snap.sum = pf_stats_zalloc(sizeof(struct pf_stats_lcore));
	/* untouched pages cost nothing: only each lcore's head is written */
	t->snap.lc = pf_stats_zalloc(PF_STATS_MAX_LCORES * sizeof(struct pf_stats_lcore));
	return t->snap.sum && t->snap.lc ? 0 : -ENOMEM;
}

static void
tele_close(struct pfc *d)
{
	struct pf_tele *t = &d->tele;

	if (t->open) {
		pf_audit_pos_close(d);
		pf_stats_close(&t->v);
	}
	t->open = false;
	t->snap.valid = false;
	t->have_rates = false;
}

static void
try_open(struct pfc *d)
{
	struct pf_tele *t = &d->tele;
	struct stat st;
	int rc;

	t->last_try_ms = d->loop.now_ms;
	rc = pf_stats_open(t->path, &t->v);
	if (rc < 0)
		return;
	if (fstat(t->v.fd, &st) < 0 || !__atomic_load_n(&t->v.hdr->magic, __ATOMIC_ACQUIRE)) {
		pf_stats_close(&t->v);
		return;
	}
	t->open = true;
	t->ino = (uint64_t)st.st_ino;
	t->pid = t->v.hdr->pid;
	t->start_ns = t->v.hdr->start_ns;
	memset(t->live, 0, sizeof(t->live));
	for (unsigned int i = 0; i < PF_STATS_MAX_LCORES; i++)
		t->live[i].changed_ms = d->loop.now_ms;
	pf_audit_pos_open(d);
	if (t->had_dataplane)
		t->restarts_seen++;
	t->had_dataplane = true;
}

static uint64_t
rec_time_ns(uint64_t tsc_hz, uint64_t rec_tsc, uint64_t now_ns)
{
#if defined(__x86_64__)
	uint64_t now_tsc = __builtin_ia32_rdtsc();

	if (tsc_hz && now_tsc >= rec_tsc) {
		double ago = (double)(now_tsc - rec_tsc) * 1e9 / (double)tsc_hz;

		if (ago < (double)now_ns)
			return now_ns - (uint64_t)ago;
	}
#else
	(void)tsc_hz;
	(void)rec_tsc;
#endif
	return now_ns;
}

/* Audit records of every lcore into the audit log, as JSON lines. */
static void
ship_audit(struct pfc *d)
{
	struct pf_tele *t = &d->tele;
	const struct pf_stats_hdr *h = t->v.hdr;
	struct pf_audit_rec recs[AUDIT_BATCH];
	uint64_t now_ns = pf_real_ns();
	char line[512];

	for (unsigned int i = 0; i < h->n_lcores; i++) {
		/* the position moves past records once they are appended: a
		 * fault in the middle of a batch leaves it to be read again */
		uint64_t pos = t->audit_pos[i];
		unsigned int n;

		while ((n = pf_audit_read(pf_stats_audit(h, i), &pos, recs, AUDIT_BATCH,
					  &t->audit_lost)) > 0) {
			for (unsigned int k = 0; k < n; k++) {
				const struct pf_audit_rec *r = &recs[k];
				const struct pf_element *e = pf_element_get(r->element);
				const char *cap = "";
				const char *err = r->code ? pf_err_code_name(r->code) : NULL;

				for (unsigned int s = 0; s < t->snap.n_dir; s++)
					if (t->snap.dir[s].id == r->cap_id && r->cap_id)
						cap = t->snap.dir[s].name;
				int len = snprintf(
					line, sizeof(line),
					"{\"type\":\"%s\",\"ts_ns\":%llu,\"lcore\":%u,"
					"\"cap_id\":%u,\"capability\":\"%s\",\"element\":\"%s%s%s\","
					"\"session\":%u,\"seq\":%u,\"trace_id\":%llu,\"code\":%u%s%s%s}",
					r->code ? "denied" : "executed",
					(unsigned long long)rec_time_ns(t->snap.tsc_hz, r->tsc, now_ns),
					r->lcore, r->cap_id, cap,
					e ? pf_group_get(e->group)->symbol : "", e ? "." : "",
					e ? e->symbol : "", r->session_id, r->seq,
					(unsigned long long)r->trace_id, r->code,
					err ? ",\"error\":\"" : "", err ? err : "", err ? "\"" : "");
				if (len > 0 && (size_t)len < sizeof(line))
					pf_audit_append_raw(d, line, (size_t)len);
			}
			t->audit_read += n;
			t->audit_pos[i] = pos;
		}
		t->audit_pos[i] = pos; /* past records lost, if any */
	}
}

/* Copies what the others read; may fault (see on_sigbus). */
static void
snapshot(struct pfc *d)
{
	struct pf_tele *t = &d->tele;
	struct pf_tele_snap *s = &t->snap;
	const struct pf_stats_hdr *h = t->v.hdr;
	const size_t head = offsetof(struct pf_stats_lcore, caps);

	s->running = h->running;
	s->registry_gen = h->registry_gen;
	s->rules_gen = h->rules_gen;
	s->n_caps = h->n_caps;
	s->n_rules = h->n_rules;
	s->tsc_hz = h->tsc_hz;
	s->n_lcores = h->n_lcores;
	memcpy(s->info, h->lcore_info, sizeof(s->info));
	s->n_dir = pf_stats_dir(&t->v, s->dir);
	pf_stats_sum(&t->v, s->sum);
	for (unsigned int i = 0; i < h->n_lcores; i++) {
		const uint64_t *in = (const uint64_t *)&t->v.lcores[i];
		uint64_t *out = (uint64_t *)&s->lc[i];

		for (size_t w = 0; w < head / sizeof(uint64_t); w++)
			out[w] = __atomic_load_n(&in[w], __ATOMIC_RELAXED);
		if (s->lc[i].heartbeat != t->live[i].heartbeat) {
			t->live[i].heartbeat = s->lc[i].heartbeat;
			t->live[i].changed_ms = d->loop.now_ms;
		}
	}
	s->t_ms = d->loop.now_ms;
	s->valid = true;
}

static void
rates_take(struct pfc *d)
{
	struct pf_tele *t = &d->tele;
	const struct pf_tele_snap *s = &t->snap;
	struct pf_rate_snap *c = &t->rate_cur;

	if (t->have_rates && d->loop.now_ms - c->t_ms < PF_RATE_WINDOW_MS)
		return;
	t->rate_prev = *c;
	memset(c, 0, sizeof(*c));
	c->t_ms = d->loop.now_ms;
	c->rx = s->sum->rx;
	c->tx = s->sum->tx;
	c->drops = pf_stats_drops_total(s->sum);
	for (unsigned int i = 0; i < s->n_lcores; i++) {
		c->lc_rx[i] = s->lc[i].rx;
		c->lc_busy[i] = s->lc[i].busy_polls;
		c->lc_idle[i] = s->lc[i].idle_polls;
	}
	memcpy(c->group, s->sum->group_exec, sizeof(c->group));
	memcpy(c->element, s->sum->element_exec, sizeof(c->element));
	memcpy(c->drop, s->sum->drops, sizeof(c->drop));
	t->have_rates = t->rate_prev.t_ms != 0;
}

void
pf_tele_tick(struct pfc *d)
{
	struct pf_tele *t = &d->tele;
	struct stat st;
	volatile bool was_open = t->open;

	if (sigsetjmp(bus_env, 1)) {
		bus_armed = 0;
		t->faults++;
		tele_close(d);
		return;
	}
	bus_armed = 1;
	if (t->open && (stat(t->path, &st) < 0 || (uint64_t)st.st_ino != t->ino ||
			(uint64_t)st.st_size != t->v.size || t->v.hdr->pid != t->pid ||
			t->v.hdr->start_ns != t->start_ns)) {
		/* gone, replaced, or re-created in place by a new dataplane */
		tele_close(d);
		was_open = false;
	}
	if (!t->open && d->loop.now_ms - t->last_try_ms >= OPEN_RETRY_MS)
		try_open(d);
	if (t->open) {
		snapshot(d);
		ship_audit(d);
	}
	bus_armed = 0;
	if (!t->open)
		return;
	if (!was_open)
		pfc_dataplane_seen(d, t->pid, "stats segment");
	rates_take(d);
}

bool
pf_tele_lcore_alive(const struct pfc *d, unsigned int i)
{
	const struct pf_tele *t = &d->tele;

	return t->open && t->snap.valid && t->snap.running && i < t->snap.n_lcores &&
	       d->loop.now_ms - t->live[i].changed_ms < HEARTBEAT_TIMEOUT_MS;
}

bool
pf_tele_dataplane_alive(const struct pfc *d)
{
	const struct pf_tele *t = &d->tele;

	if (!t->open || !t->snap.valid || !t->snap.running || !t->snap.n_lcores)
		return false;
	for (unsigned int i = 0; i < t->snap.n_lcores; i++)
		if (!pf_tele_lcore_alive(d, i))
			return false;
	return true;
}

void
pf_tele_fini(struct pfc *d)
{
	tele_close(d);
	free(d->tele.snap.sum);
	free(d->tele.snap.lc);
}

/* ---- GET /stats: live rates --------------------------------------------- */

static double
rate(uint64_t cur, uint64_t prev, double dt)
{
	return dt > 0 && cur >= prev ? (double)(cur - prev) / dt : 0.0;
}

void
pf_api_stats(struct pfc *d, struct pf_req *r, const char *arg)
{
	const struct pf_tele *t = &d->tele;
	const struct pf_tele_snap *s = &t->snap;
	const struct pf_rate_snap *c = &t->rate_cur, *p = &t->rate_prev;
	double dt = t->have_rates ? (double)(c->t_ms - p->t_ms) / 1000.0 : 0.0;
	json_t *o, *groups = json_object(), *elements = json_array(), *drops = json_object(),
		   *lcores = json_array();

	(void)arg;
	if (!s->valid) {
		json_decref(groups);
		json_decref(elements);
		json_decref(drops);
		json_decref(lcores);
		pf_http_reply_json(r, 200, json_pack("{s:b}", "dataplane", 0));
		return;
	}
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		json_object_set_new(groups, pf_group_get(g)->symbol,
				    json_pack("{s:I, s:f}", "exec", (json_int_t)s->sum->group_exec[g],
					      "rate", rate(c->group[g], p->group[g], dt)));
	for (unsigned int n = 1; n <= PF_ELEMENT_COUNT; n++) {
		const struct pf_element *e = pf_element_get(n);

		json_array_append_new(
			elements,
			json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:f}", "number", n, "group",
				  pf_group_get(e->group)->symbol, "symbol", e->symbol, "name",
				  e->name, "exec", (json_int_t)s->sum->element_exec[n], "errors",
				  (json_int_t)s->sum->element_errors[n], "rate",
				  rate(c->element[n], p->element[n], dt)));
	}
	for (unsigned int k = 0; k < PF_DROP_MAX; k++)
		json_object_set_new(drops, pf_drop_name(k),
				    json_pack("{s:I, s:f}", "total", (json_int_t)s->sum->drops[k],
					      "rate", rate(c->drop[k], p->drop[k], dt)));
	for (unsigned int i = 0; i < s->n_lcores; i++) {
		uint64_t busy = c->lc_busy[i] - p->lc_busy[i], idle = c->lc_idle[i] - p->lc_idle[i];

		json_array_append_new(
			lcores,
			json_pack("{s:i, s:b, s:I, s:f, s:f, s:I}", "lcore", s->info[i].lcore_id,
				  "alive", pf_tele_lcore_alive(d, i), "rx",
				  (json_int_t)s->lc[i].rx, "rx_rate",
				  rate(c->lc_rx[i], p->lc_rx[i], dt), "load",
				  dt > 0 && busy + idle ? (double)busy / (double)(busy + idle) : 0.0,
				  "heartbeat", (json_int_t)s->lc[i].heartbeat));
	}
	o = json_pack("{s:b, s:b, s:f, s:{s:I, s:I, s:I, s:f, s:f, s:f}, s:o, s:o, s:o, s:o}",
		      "dataplane", 1, "alive", pf_tele_dataplane_alive(d), "interval_s", dt,
		      "totals", "rx", (json_int_t)s->sum->rx, "tx", (json_int_t)s->sum->tx,
		      "drops", (json_int_t)pf_stats_drops_total(s->sum), "rx_rate",
		      rate(c->rx, p->rx, dt), "tx_rate", rate(c->tx, p->tx, dt), "drop_rate",
		      rate(c->drops, p->drops, dt),
		      "groups", groups, "elements", elements, "drops", drops, "lcores", lcores);
	pf_http_reply_json(r, 200, o);
}
