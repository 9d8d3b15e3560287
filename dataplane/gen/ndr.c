/* SPDX-License-Identifier: BSD-3-Clause */
/* ndr.c: the RFC 2544-style search for the no-drop rate -- trials with
 * warm-up and drain, a binary search between a rate that passes and one
 * that fails, down to a resolution. */
#include <stdio.h>
#include <string.h>

#include "gen.h"

/*
 * A trial passes when its loss is within --ndr-loss and pf-gen really
 * offered the rate: a trial whose TX fell 1 % short measured the
 * generator, not the device under test, and counts as a failure.
 */
static bool
passes(const struct gen *g, const struct gen_result *r)
{
	if (r->c.tx_measured == 0 || r->generator_limited || r->c.late)
		return false;
	if (g->o.ndr_loss <= 0)
		return r->lost == 0;
	return r->loss_pct <= g->o.ndr_loss;
}

static struct gen_trial *
trial(struct gen *g, struct gen_ndr *n, double rate)
{
	struct gen_trial *t;

	if (n->n_trials == sizeof(n->trials) / sizeof(n->trials[0]) || gen_sigint)
		return NULL;
	t = &n->trials[n->n_trials];
	memset(t, 0, sizeof(*t));
	t->rate_pps = rate;
	gen_run_once(g, rate, g->o.trial_ms, false, &t->r);
	if (t->r.interrupted) {
		n->interrupted = true;
		return NULL; /* a cut-short trial says nothing */
	}
	t->pass = passes(g, &t->r);
	if (t->r.lost == 0 && t->r.c.late == 0 && t->r.c.tx_measured && t->r.tx_pps > n->zero_loss_pps)
		n->zero_loss_pps = t->r.tx_pps;
	n->n_trials++;
	gen_report_trial_line(stdout, n->n_trials, t);
	return t;
}

void
gen_ndr_run(struct gen *g, struct gen_ndr *n)
{
	double hi = g->o.ndr_max.kind ? gen_rate_pps(g, &g->o.ndr_max) : g->line_pps;
	double lo = g->o.ndr_min.kind ? gen_rate_pps(g, &g->o.ndr_min) : hi / 100;
	double step = hi * g->o.ndr_resolution / 100;
	struct gen_trial *t;

	memset(n, 0, sizeof(*n));
	n->lo = lo;
	n->hi = hi;
	n->best = -1;
	printf("NDR search: %.0f .. %.0f pps, resolution %.0f pps (%.2f %%), loss tolerance %.4f %%, "
	       "trials of %.1f s after %.1f s warm-up, %u ms drain\n",
	       lo, hi, step, g->o.ndr_resolution, g->o.ndr_loss, g->o.trial_ms / 1000.0,
	       g->o.warmup_ms / 1000.0, g->o.drain_ms);
	fflush(stdout);

	/* The top first: a device that takes it has no lower NDR. */
	if (!(t = trial(g, n, hi)))
		return;
	if (t->pass) {
		n->ndr_pps = hi;
		n->best = (int)n->n_trials - 1;
		return;
	}
	if (!(t = trial(g, n, lo)))
		return;
	if (!t->pass)
		return; /* nothing in the range passes: NDR below --ndr-min */
	n->ndr_pps = lo;
	n->best = (int)n->n_trials - 1;
	/* Invariant: lo passed, hi failed. */
	while (hi - lo > step) {
		double mid = (lo + hi) / 2;
		if (!(t = trial(g, n, mid)))
			return;
		if (t->pass) {
			lo = mid;
			n->ndr_pps = mid;
			n->best = (int)n->n_trials - 1;
		} else {
			hi = mid;
		}
	}
}
