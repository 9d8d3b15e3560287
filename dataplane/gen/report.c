/* SPDX-License-Identifier: BSD-3-Clause */
/* report.c: pf-gen's final report -- the text for people and the JSON of
 * docs/pf-gen-report.schema.json (jansson), and the NDR trial lines. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "gen.h"

#define REPORT_SCHEMA_VERSION 1

static const char *
code_name(unsigned int code, char *buf, size_t len)
{
	const char *n = code ? pf_err_code_name((uint16_t)code) : NULL;

	if (n)
		return n;
	if (code == 0)
		return "other_code"; /* 0, or 32 and above */
	snprintf(buf, len, "code_%u", code);
	return buf;
}

static void
bps(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.3f Gb/s", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.3f Mb/s", v / 1e6);
	else
		snprintf(buf, len, "%.1f kb/s", v / 1e3);
}

void
gen_report_text(FILE *f, const struct gen *g, const struct gen_result *r)
{
	const struct gen_counters *c = &r->c;
	char a[32], b[32], name[16];

	fprintf(f, "\npf-gen report%s\n", r->interrupted ? " (interrupted by SIGINT: so far)" : "");
	fprintf(f, "  profile        %s, %u kinds of request, %u sessions\n", g->prof.path,
		g->m.n_entries, g->m.n_sessions);
	if (!g->o.rx_only) {
		fprintf(f, "  port           %s, link %u Mb/s%s\n", g->o.port, g->link_mbps,
			g->link_mbps ? "" : " (unknown)");
		if (r->target_pps > 0)
			fprintf(f, "  rate           %.0f pps asked, %.0f pps sent%s\n", r->target_pps,
				r->tx_pps, r->generator_limited ? " (generator-limited: below 99 %)" : "");
		else
			fprintf(f, "  rate           flat out, %.0f pps sent\n", r->tx_pps);
		if (r->c.tx_slips)
			fprintf(f, "  pacing         %" PRIu64 " frames skipped in %" PRIu64 " slips (the TX "
				"lcore fell more than --bucket %u frames behind: descheduled, or the rate "
				"is beyond it)\n", r->c.tx_slipped, r->c.tx_slips, g->o.bucket);
		fprintf(f, "  measured       %.3f s after %.3f s warm-up, then a drain of %.3f s%s\n",
			r->seconds, g->o.warmup_ms / 1000.0, r->drain_seconds,
			r->drain_capped ? " (cut at its cap: answers kept coming)" : "");
		fprintf(f, "  on CPU         TX lcore %.1f %%, RX lcore %.1f %% of the run (below 100: "
			"descheduled, sharing its CPU)\n", r->tx_cpu_pct, r->rx_cpu_pct);
	} else {
		fprintf(f, "  mode           --rx-only: answers replayed into %s\n", g->o.port);
	}
	fprintf(f, "  sent           %" PRIu64 "%s", c->tx_measured,
		g->o.rx_only ? " (the requests --pcap-out --count writes)\n" : "");
	if (!g->o.rx_only)
		fprintf(f, " (%" PRIu64 " in warm-up; %" PRIu64 " refused by the TX queue, taken back and resent)\n",
			c->tx_frames - c->tx_measured, c->tx_full);
	fprintf(f, "  received       %" PRIu64 " answered: %" PRIu64 " responses, %" PRIu64
		" error frames, %" PRIu64 " reflected requests\n",
		c->matched, c->responses, c->errors, c->reflected);
	fprintf(f, "  lost           %" PRIu64 " (%.4f %%)\n", r->lost, r->loss_pct);
	if (r->lost && strncmp(g->o.port, "net_memif", 9) == 0 && !g->o.rx_only)
		fprintf(f, "                 (memif: a peer with more TX queues than --rx-queues %u loses the "
			"answers it sends on the others)\n", g->rx->n_rxq);
	fprintf(f, "  duplicates     %" PRIu64 "\n", c->duplicates);
	fprintf(f, "  reordered      %" PRIu64 "\n", c->reordered);
	fprintf(f, "  late           %" PRIu64 " (answers behind the %u-seq window; while 0, lost and duplicates are exact)\n",
		c->late, g->o.window);
	fprintf(f, "  replica        %" PRIu64 " (answers with the REPLICA flag: from a replicated execution)\n",
		c->replica);
	fprintf(f, "  misaddressed   %" PRIu64 " (answers not sent back to the request's MAC, IP and port)\n",
		c->misaddressed);
	fprintf(f, "  not matched    %" PRIu64 " warm-up answers, %" PRIu64 " foreign, %" PRIu64
		" malformed, %" PRIu64 " other\n",
		c->unmeasured, c->foreign, c->malformed, c->other);
	fprintf(f, "  errors by code");
	if (!c->errors)
		fprintf(f, " none");
	for (unsigned int k = 1; k <= GEN_ERR_CODES; k++) {
		unsigned int code = k % GEN_ERR_CODES; /* 0 (other) last */
		if (c->err_code[code])
			fprintf(f, " %s=%" PRIu64, code_name(code, name, sizeof(name)),
				c->err_code[code]);
	}
	fprintf(f, "\n");
	if (r->seconds > 0) {
		bps(a, sizeof(a), r->tx_bps_l2);
		bps(b, sizeof(b), r->tx_bps_l1);
		fprintf(f, "  throughput tx  %.0f pps, %s L2, %s L1 (mean frame %.1f B with FCS)\n",
			r->tx_pps, a, b,
			c->tx_measured ? (double)c->tx_bytes / c->tx_measured + PF_PROFILE_FCS : 0);
		bps(a, sizeof(a), r->rx_bps_l2);
		bps(b, sizeof(b), r->rx_bps_l1);
		fprintf(f, "  throughput rx  %.0f pps, %s L2, %s L1\n", r->rx_pps, a, b);
	}
	if (r->lat.count)
		fprintf(f, "  latency (us)   min %.2f mean %.2f p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f "
			"p99.99 %.2f max %.2f (%" PRIu64 " answers)\n",
			r->lat.min / 1e3, r->lat.mean / 1e3, r->lat.p50 / 1e3, r->lat.p90 / 1e3,
			r->lat.p99 / 1e3, r->lat.p999 / 1e3, r->lat.p9999 / 1e3, r->lat.max / 1e3,
			r->lat.count);
	else
		fprintf(f, "  latency (us)   none measured\n");
	fflush(f);
}

void
gen_report_trial_line(FILE *f, unsigned int i, const struct gen_trial *t)
{
	const struct gen_result *r = &t->r;

	fprintf(f, "trial %2u: %10.0f pps asked, %10.0f sent, lost %" PRIu64 " (%.4f %%), "
		"p99 %.1f us: %s%s\n",
		i, t->rate_pps, r->tx_pps, r->lost, r->loss_pct, r->lat.p99 / 1e3,
		t->pass ? "pass" : "fail",
		r->generator_limited ? " (generator-limited)" : r->c.late ? " (late answers)" : "");
	fflush(f);
}

void
gen_report_ndr_text(FILE *f, const struct gen *g, const struct gen_ndr *n)
{
	fprintf(f, "\nNDR%s: ", n->interrupted ? " (interrupted)" : "");
	if (n->best < 0)
		fprintf(f, "no rate from %.0f pps up passed (loss tolerance %.4f %%)\n", n->lo,
			g->o.ndr_loss);
	else
		fprintf(f, "%.0f pps (%.3f Mb/s L1 at %.1f B mean frames), %u trials\n",
			n->ndr_pps, n->ndr_pps * (g->m.mean_frame + 20) * 8 / 1e6, g->m.mean_frame,
			n->n_trials);
	if (n->zero_loss_pps > n->ndr_pps)
		fprintf(f, "highest rate sent without loss: %.0f pps, by a generator-limited trial "
			"(pf-gen could not offer more: the device under test's NDR is at least that)\n",
			n->zero_loss_pps);
	fflush(f);
}

/* ---- JSON ---- */

static json_t *
result_json(const struct gen_result *r)
{
	const struct gen_counters *c = &r->c;
	json_t *errs = json_object(), *o;
	char name[16];

	for (unsigned int code = 0; code < GEN_ERR_CODES; code++)
		if (c->err_code[code])
			json_object_set_new(errs, code_name(code, name, sizeof(name)),
					    json_integer((json_int_t)c->err_code[code]));
	/* One key a line: a json_pack format string this long miscounts easily. */
	o = json_object();
#define NUM(k, v) json_object_set_new(o, k, json_real(v))
#define INT(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
#define BOOL(k, v) json_object_set_new(o, k, json_boolean(v))
	NUM("seconds", r->seconds);
	NUM("target_pps", r->target_pps);
	BOOL("interrupted", r->interrupted);
	NUM("drain_seconds", r->drain_seconds);
	BOOL("drain_capped", r->drain_capped);
	INT("sent", c->tx_measured);
	INT("received", c->matched);
	INT("lost", r->lost);
	NUM("loss_pct", r->loss_pct);
	INT("duplicates", c->duplicates);
	INT("reordered", c->reordered);
	INT("late", c->late);
	INT("misaddressed", c->misaddressed);
	INT("replica", c->replica);
	INT("responses", c->responses);
	INT("errors_total", c->errors);
	INT("reflected", c->reflected);
	json_object_set_new(o, "errors", errs);
	INT("warmup_sent", c->tx_frames - c->tx_measured);
	INT("tx_refused", c->tx_full);
	INT("tx_no_mbuf", c->tx_no_mbuf);
	INT("tx_slipped", c->tx_slipped);
	BOOL("generator_limited", r->generator_limited);
	NUM("tx_cpu_pct", r->tx_cpu_pct);
	NUM("rx_cpu_pct", r->rx_cpu_pct);
#undef NUM
#undef INT
#undef BOOL
	if (!o)
		return NULL;
	json_object_set_new(o, "unmatched",
			    json_pack("{s:I, s:I, s:I, s:I}",
				      "warmup", (json_int_t)c->unmeasured,
				      "foreign", (json_int_t)c->foreign,
				      "malformed", (json_int_t)c->malformed,
				      "other", (json_int_t)c->other));
	json_object_set_new(o, "throughput",
			    json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}",
				      "tx_pps", r->tx_pps, "rx_pps", r->rx_pps,
				      "tx_bps_l2", r->tx_bps_l2, "tx_bps_l1", r->tx_bps_l1,
				      "rx_bps_l2", r->rx_bps_l2, "rx_bps_l1", r->rx_bps_l1));
	json_object_set_new(o, "latency_ns",
			    json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
				      "count", (json_int_t)r->lat.count,
				      "min", r->lat.min, "mean", r->lat.mean,
				      "p50", r->lat.p50, "p90", r->lat.p90, "p99", r->lat.p99,
				      "p99_9", r->lat.p999, "p99_99", r->lat.p9999,
				      "max", r->lat.max));
	return o;
}

static const char *
rate_text(const struct gen *g, char *buf, size_t len)
{
	if (g->o.rate_text)
		return g->o.rate_text;
	switch (g->prof.rate.kind) {
	case PF_RATE_PPS:
		snprintf(buf, len, "%.0fpps", g->prof.rate.value);
		return buf;
	case PF_RATE_PERCENT:
		snprintf(buf, len, "%g%%", g->prof.rate.value);
		return buf;
	case PF_RATE_MAX:
		return "max";
	default:
		return "10kpps";
	}
}

int
gen_report_json(const char *path, const struct gen *g, const char *mode,
		const struct gen_result *r, const struct gen_ndr *n)
{
	json_t *root, *cfg, *txl = json_array();
	char rbuf[32];
	int rc;

	for (unsigned int i = 0; i < g->n_lcores; i++)
		if (g->lcores[i]->roles & GEN_ROLE_TX)
			json_array_append_new(txl, json_integer(g->lcores[i]->lcore_id));
	cfg = json_pack("{s:s, s:s, s:I, s:I, s:o, s:i, s:s, s:I, s:I, s:I, s:I, s:I,"
			" s:I, s:I, s:I, s:f, s:i, s:I}",
			"port", g->o.port,
			"profile", g->prof.path,
			"link_mbps", (json_int_t)g->link_mbps,
			"tsc_hz", (json_int_t)g->tsc_hz,
			"tx_lcores", txl,
			"rx_lcore", g->rx ? (int)g->rx->lcore_id : -1,
			"rate", rate_text(g, rbuf, sizeof(rbuf)),
			"duration_ms", (json_int_t)(g->o.ndr ? g->o.trial_ms : g->o.duration_ms),
			"warmup_ms", (json_int_t)g->o.warmup_ms,
			"drain_ms", (json_int_t)g->o.drain_ms,
			"count", (json_int_t)g->o.count,
			"sessions", (json_int_t)g->m.n_sessions,
			"window", (json_int_t)g->o.window,
			"seed", (json_int_t)g->o.seed,
			"cookie", (json_int_t)g->m.cookie,
			"mean_frame_bytes", g->m.mean_frame,
			"histogram_sub_bits", GEN_HIST_SUB_BITS,
			"bucket", (json_int_t)g->o.bucket);
	root = json_pack("{s:s, s:s, s:i, s:s, s:b, s:o, s:o}",
			 "tool", "pf-gen",
			 "version", PF_VERSION_STRING,
			 "schema_version", REPORT_SCHEMA_VERSION,
			 "mode", mode,
			 "interrupted", r->interrupted || (n && n->interrupted),
			 "config", cfg,
			 "result", result_json(r));
	if (!root)
		return -ENOMEM;
	if (n) {
		json_t *trials = json_array();
		for (unsigned int i = 0; i < n->n_trials; i++)
			json_array_append_new(trials,
					      json_pack("{s:f, s:b, s:o}",
							"rate_pps", n->trials[i].rate_pps,
							"pass", n->trials[i].pass,
							"result", result_json(&n->trials[i].r)));
		json_object_set_new(root, "ndr",
				    json_pack("{s:f, s:f, s:f, s:f, s:f, s:b, s:f, s:f, s:f, s:o}",
					      "lo_pps", n->lo, "hi_pps", n->hi,
					      "resolution_pct", g->o.ndr_resolution,
					      "loss_tolerance_pct", g->o.ndr_loss,
					      "trial_seconds", g->o.trial_ms / 1000.0,
					      "found", n->best >= 0,
					      "ndr_pps", n->ndr_pps,
					      "ndr_bps_l1", n->ndr_pps * (g->m.mean_frame + 20) * 8,
					      "zero_loss_pps", n->zero_loss_pps,
					      "trials", trials));
	}
	rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	return rc == 0 ? 0 : -EIO;
}
