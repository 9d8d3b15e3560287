/* SPDX-License-Identifier: BSD-3-Clause */
/* metrics.c: GET /metrics in the Prometheus text format (0.0.4), from the
 * telemetry snapshot: the seed's capability metrics, drops by reason, per
 * lcore, group and element, and pf-control's own counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_wire.h"
#include "pfc.h"

/* Histogram bounds: one per octave of cycles, 2^10 .. 2^34 (about 0.3 us
 * to 6 s at 3 GHz). Each is the upper edge of a bucket of the dataplane's
 * log-linear histogram, so the cumulative counts are exact. */
#define LE_FIRST_OCTAVE 8   /* bucket 4k+3 ends at 2^(k+2) - 1 cycles */
#define LE_LAST_OCTAVE 32

static void
head(struct pf_buf *b, const char *name, const char *type, const char *help)
{
	pf_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
cap_labels(char *out, size_t n, const struct pf_stats_cap_info *ci)
{
	const struct pf_element *e = pf_element_at(ci->group, ci->element);
	const struct pf_group_info *g = pf_group_get(ci->group);

	snprintf(out, n, "capability=\"%s\",id=\"%u\",group=\"%s\",element=\"%s.%s\"",
		 ci->name, ci->id, g ? g->symbol : "", g ? g->symbol : "",
		 e ? e->symbol : "");
}

static void
render_caps(struct pfc *d, struct pf_buf *b)
{
	const struct pf_tele_snap *s = &d->tele.snap;
	char lab[160];

	head(b, "packetflow_capability_execution_count", "counter",
	     "Executions of a capability that produced a response.");
	for (unsigned int i = 0; i < s->n_dir; i++)
		if (s->dir[i].id) {
			cap_labels(lab, sizeof(lab), &s->dir[i]);
			pf_buf_printf(b, "packetflow_capability_execution_count{%s} %llu\n", lab,
				      (unsigned long long)s->sum->caps[i].exec);
		}
	head(b, "packetflow_capability_execution_error", "counter",
	     "Executions or admissions of a capability answered by an error frame.");
	for (unsigned int i = 0; i < s->n_dir; i++)
		if (s->dir[i].id) {
			cap_labels(lab, sizeof(lab), &s->dir[i]);
			pf_buf_printf(b, "packetflow_capability_execution_error{%s} %llu\n", lab,
				      (unsigned long long)s->sum->caps[i].errors);
		}
	if (!s->tsc_hz)
		return;
	head(b, "packetflow_capability_execution_duration_seconds", "histogram",
	     "Latency from RX to answer of a capability's requests.");
	for (unsigned int i = 0; i < s->n_dir; i++) {
		const struct pf_stats_cap *c = &s->sum->caps[i];
		uint64_t cum = 0, total = 0;
		unsigned int b_i = 0;

		if (!s->dir[i].id)
			continue;
		cap_labels(lab, sizeof(lab), &s->dir[i]);
		for (unsigned int k = 0; k < PF_HIST_BUCKETS; k++)
			total += c->hist[k];
		for (unsigned int oct = LE_FIRST_OCTAVE; oct <= LE_LAST_OCTAVE; oct++) {
			unsigned int last = 4 * oct + 3;

			for (; b_i <= last && b_i < PF_HIST_BUCKETS; b_i++)
				cum += c->hist[b_i];
			pf_buf_printf(b,
				      "packetflow_capability_execution_duration_seconds_bucket{%s,le=\"%.9g\"} %llu\n",
				      lab, (double)pf_hist_upper(last) / (double)s->tsc_hz,
				      (unsigned long long)cum);
		}
		pf_buf_printf(b,
			      "packetflow_capability_execution_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n"
			      "packetflow_capability_execution_duration_seconds_sum{%s} %.9g\n"
			      "packetflow_capability_execution_duration_seconds_count{%s} %llu\n",
			      lab, (unsigned long long)total, lab,
			      (double)c->cycles / (double)s->tsc_hz, lab,
			      (unsigned long long)total);
	}
}

static void
render_lcores(struct pfc *d, struct pf_buf *b)
{
	const struct pf_tele_snap *s = &d->tele.snap;

#define PER_LCORE(name, type, help, expr)                                           \
	do {                                                                         \
		head(b, name, type, help);                                           \
		for (unsigned int i = 0; i < s->n_lcores; i++)                       \
			pf_buf_printf(b, name "{lcore=\"%u\"} %llu\n",               \
				      s->info[i].lcore_id, (unsigned long long)(expr)); \
	} while (0)
	PER_LCORE("packetflow_protocol_messages_processed", "counter",
		  "Packets received by an lcore.", s->lc[i].rx);
	PER_LCORE("packetflow_protocol_messages_sent", "counter",
		  "Packets sent by an lcore (answers, error frames, passed traffic).",
		  s->lc[i].tx);
	PER_LCORE("packetflow_lcore_busy_polls", "counter",
		  "Poll-loop iterations that found work.", s->lc[i].busy_polls);
	PER_LCORE("packetflow_lcore_idle_polls", "counter",
		  "Poll-loop iterations that found none.", s->lc[i].idle_polls);
	PER_LCORE("packetflow_lcore_heartbeat", "counter",
		  "Heartbeat counter, advanced every poll-loop iteration.", s->lc[i].heartbeat);
	PER_LCORE("packetflow_lcore_ring_enqueued", "counter",
		  "Frames an lcore handed to another.", s->lc[i].ring_enq);
	PER_LCORE("packetflow_lcore_fast_path", "counter",
		  "Requests the lcore's RX answered by itself (the fast path).",
		  s->lc[i].fast_path);
	PER_LCORE("packetflow_lcore_alive", "gauge",
		  "1 while the lcore's heartbeat advances.", pf_tele_lcore_alive(d, i));
#undef PER_LCORE
	head(b, "packetflow_dataplane_drops", "counter", "Packets dropped, by reason and lcore.");
	for (unsigned int k = 0; k < PF_DROP_MAX; k++)
		for (unsigned int i = 0; i < s->n_lcores; i++)
			pf_buf_printf(b, "packetflow_dataplane_drops{reason=\"%s\",lcore=\"%u\"} %llu\n",
				      pf_drop_name(k), s->info[i].lcore_id,
				      (unsigned long long)s->lc[i].drops[k]);
	head(b, "packetflow_group_execution_count", "counter",
	     "Executions by periodic group, on each lcore.");
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		for (unsigned int i = 0; i < s->n_lcores; i++)
			pf_buf_printf(b, "packetflow_group_execution_count{group=\"%s\",lcore=\"%u\"} %llu\n",
				      pf_group_get(g)->symbol, s->info[i].lcore_id,
				      (unsigned long long)s->lc[i].group_exec[g]);
	head(b, "packetflow_element_execution_count", "counter", "Executions by element.");
	for (unsigned int n = 1; n <= PF_ELEMENT_COUNT; n++) {
		const struct pf_element *e = pf_element_get(n);

		pf_buf_printf(b, "packetflow_element_execution_count{element=\"%s.%s\",group=\"%s\"} %llu\n",
			      pf_group_get(e->group)->symbol, e->symbol, pf_group_get(e->group)->symbol,
			      (unsigned long long)s->sum->element_exec[n]);
	}
	head(b, "packetflow_element_execution_error", "counter", "Failed executions by element.");
	for (unsigned int n = 1; n <= PF_ELEMENT_COUNT; n++) {
		const struct pf_element *e = pf_element_get(n);

		pf_buf_printf(b, "packetflow_element_execution_error{element=\"%s.%s\",group=\"%s\"} %llu\n",
			      pf_group_get(e->group)->symbol, e->symbol, pf_group_get(e->group)->symbol,
			      (unsigned long long)s->sum->element_errors[n]);
	}
	head(b, "packetflow_protocol_errors_sent", "counter", "Error frames sent, by error code.");
	for (unsigned int c = 1; c < 32; c++)
		if (s->sum->errors[c] || pf_err_code_name((uint16_t)c))
			pf_buf_printf(b, "packetflow_protocol_errors_sent{code=\"%u\",error=\"%s\"} %llu\n",
				      c, pf_err_code_name((uint16_t)c) ? pf_err_code_name((uint16_t)c) : "",
				      (unsigned long long)s->sum->errors[c]);
	head(b, "packetflow_protocol_malformed", "counter", "Frames the decoder refused, by verdict.");
	for (int v = 1; v < PF_DECODE_ERR_MAX; v++)
		pf_buf_printf(b, "packetflow_protocol_malformed{verdict=\"%s\"} %llu\n",
			      pf_decode_err_name(-v), (unsigned long long)s->sum->malformed[v]);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
render_control(struct pfc *d, struct pf_buf *b)
{
	const size_t cap = sizeof(d->apply_lat_us) / sizeof(d->apply_lat_us[0]);
	size_t n = d->n_apply_lat < cap ? d->n_apply_lat : cap;
	uint32_t lat[sizeof(d->apply_lat_us) / sizeof(d->apply_lat_us[0])];

	head(b, "packetflow_registry_capabilities_registered", "gauge",
	     "Capabilities in pf-control's registry.");
	pf_buf_printf(b, "packetflow_registry_capabilities_registered %u\n", d->cfg->n_caps);
	head(b, "packetflow_rules_loaded", "gauge", "Hyperscan rules in force.");
	pf_buf_printf(b, "packetflow_rules_loaded %u\n", d->n_rules);
	head(b, "packetflow_dataplane_up", "gauge",
	     "1 when the dataplane runs and every lcore's heartbeat advances.");
	pf_buf_printf(b, "packetflow_dataplane_up %d\n", pf_tele_dataplane_alive(d));
	head(b, "packetflow_dataplane_synced", "gauge",
	     "1 when the dataplane holds pf-control's committed registry and rules.");
	pf_buf_printf(b, "packetflow_dataplane_synced %d\n", d->dp_synced);
	if (d->tele.snap.valid) {
		head(b, "packetflow_dataplane_registry_generation", "gauge",
		     "Registry generation the dataplane applied.");
		pf_buf_printf(b, "packetflow_dataplane_registry_generation %llu\n",
			      (unsigned long long)d->tele.snap.registry_gen);
		head(b, "packetflow_dataplane_rules_generation", "gauge",
		     "Rules generation the dataplane applied.");
		pf_buf_printf(b, "packetflow_dataplane_rules_generation %llu\n",
			      (unsigned long long)d->tele.snap.rules_gen);
	}
	head(b, "packetflow_channel_connections_active", "gauge", "Open API connections.");
	pf_buf_printf(b, "packetflow_channel_connections_active %u\n", d->http.n_conns);
	head(b, "packetflow_control_http_requests", "counter", "API requests answered.");
	pf_buf_printf(b, "packetflow_control_http_requests %llu\n",
		      (unsigned long long)d->http.requests);
	head(b, "packetflow_control_changes", "counter", "State changes, by result.");
	pf_buf_printf(b, "packetflow_control_changes{result=\"ok\"} %llu\n"
			 "packetflow_control_changes{result=\"refused\"} %llu\n",
		      (unsigned long long)d->jobs_done, (unsigned long long)d->jobs_failed);
	head(b, "packetflow_control_state_version", "gauge", "Committed changes since start-up.");
	pf_buf_printf(b, "packetflow_control_state_version %llu\n", (unsigned long long)d->version);
	head(b, "packetflow_audit_records", "counter", "Lines appended to the audit log.");
	pf_buf_printf(b, "packetflow_audit_records %llu\n", (unsigned long long)d->audit.lines);
	head(b, "packetflow_audit_lost", "counter",
	     "Audit records overwritten in the dataplane's rings before pf-control read them.");
	pf_buf_printf(b, "packetflow_audit_lost %llu\n", (unsigned long long)d->tele.audit_lost);
	if (n) {
		memcpy(lat, d->apply_lat_us, n * sizeof(lat[0]));
		qsort(lat, n, sizeof(lat[0]), cmp_u32);
		head(b, "packetflow_control_apply_seconds", "summary",
		     "Delay from an API write to the dataplane's ACK, last 1024 writes.");
		pf_buf_printf(b,
			      "packetflow_control_apply_seconds{quantile=\"0.5\"} %.6f\n"
			      "packetflow_control_apply_seconds{quantile=\"0.99\"} %.6f\n"
			      "packetflow_control_apply_seconds_count %llu\n",
			      lat[n / 2] / 1e6, lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1e6,
			      (unsigned long long)d->n_apply_lat);
	}
}

int
pf_metrics_render(struct pfc *d, struct pf_buf *b)
{
	b->len = 0;
	if (d->tele.snap.valid) {
		render_caps(d, b);
		render_lcores(d, b);
	}
	render_control(d, b);
	return pf_buf_reserve(b, 0);
}

void
pf_api_metrics(struct pfc *d, struct pf_req *r, const char *arg)
{
	(void)arg;
	/* the counters move once per telemetry tick: render once per tick */
	if (!d->metrics_cache.len || d->metrics_cache_ms != d->tele.snap.t_ms ||
	    d->loop.now_ms - d->tele.snap.t_ms > 1000) {
		if (pf_metrics_render(d, &d->metrics_cache) < 0) {
			pf_http_error(r, 503, NULL, "out of memory");
			return;
		}
		d->metrics_cache_ms = d->tele.snap.t_ms;
	}
	pf_http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", d->metrics_cache.p,
		      d->metrics_cache.len);
}
