/* SPDX-License-Identifier: BSD-3-Clause */
/* run.c: one measured run -- counters reset, lcores launched, a live line
 * each second, the end of sending, the drain, and the sums. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "gen.h"

double
gen_rate_pps(const struct gen *g, const struct pf_rate *r)
{
	switch (r->kind) {
	case PF_RATE_PPS:
		return r->value;
	case PF_RATE_PERCENT:
		return g->line_pps * r->value / 100.0;
	default:
		return 0; /* flat out */
	}
}

void
gen_set_rate(struct gen *g, double target_pps)
{
	unsigned int n_tx = 0;

	for (unsigned int i = 0; i < g->n_lcores; i++)
		n_tx += (g->lcores[i]->roles & GEN_ROLE_TX) != 0;
	for (unsigned int i = 0; i < g->n_lcores; i++) {
		struct gen_lcore *lc = g->lcores[i];
		if (!(lc->roles & GEN_ROLE_TX))
			continue;
		if (target_pps <= 0 || n_tx == 0) {
			lc->cost_fp = 0;
			continue;
		}
		double per = target_pps / n_tx;
		lc->cost_fp = (uint64_t)((double)g->tsc_hz * 65536.0 / per);
		if (lc->cost_fp == 0)
			lc->cost_fp = 1;
		lc->depth_fp = lc->cost_fp * g->o.bucket;
	}
}

/* Sum of every lcore's counters (first/last/done TSCs: min/max). */
static void
sum_counters(const struct gen *g, struct gen_counters *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < g->n_lcores; i++) {
		const struct gen_counters *c = &g->lcores[i]->c;
		const uint64_t *src = (const uint64_t *)c;
		uint64_t *dst = (uint64_t *)s;
		for (size_t k = 0; k < sizeof(*c) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
	/* The TSC fields are not sums. */
	s->tx_first_tsc = UINT64_MAX;
	s->tx_last_tsc = 0;
	s->tx_done_tsc = 0;
	for (unsigned int i = 0; i < g->n_lcores; i++) {
		const struct gen_counters *c = &g->lcores[i]->c;
		if (c->tx_measured && c->tx_first_tsc < s->tx_first_tsc)
			s->tx_first_tsc = c->tx_first_tsc;
		if (c->tx_last_tsc > s->tx_last_tsc)
			s->tx_last_tsc = c->tx_last_tsc;
		if (c->tx_done_tsc > s->tx_done_tsc)
			s->tx_done_tsc = c->tx_done_tsc;
	}
	if (s->tx_first_tsc == UINT64_MAX)
		s->tx_first_tsc = 0;
}

_Static_assert(sizeof(struct gen_counters) % sizeof(uint64_t) == 0,
	       "counters are 64-bit words");

static bool
tx_all_done(const struct gen *g)
{
	for (unsigned int i = 0; i < g->n_lcores; i++) {
		const struct gen_lcore *lc = g->lcores[i];
		if ((lc->roles & GEN_ROLE_TX) && !lc->tx_done)
			return false;
	}
	return true;
}

static void
fmt_rate(char *buf, size_t len, double pps)
{
	if (pps >= 1e6)
		snprintf(buf, len, "%.3f Mpps", pps / 1e6);
	else if (pps >= 1e3)
		snprintf(buf, len, "%.1f kpps", pps / 1e3);
	else
		snprintf(buf, len, "%.0f pps", pps);
}

/* The live line: rates of the last second, loss so far, p50/p99 of the
 * answers of the last second (a copy of the RX histogram minus the copy
 * taken a second ago; copies race with the RX lcore, which is fine for a
 * display: a bucket may be a few records behind). */
static void
live_line(struct gen *g, double t, const struct gen_counters *now,
	  const struct gen_counters *before, double dt)
{
	char tx[32], rx[32];
	double p50 = 0, p99 = 0;

	if (pf_histogram_copy(g->live_tmp, g->rx->hist) == 0 &&
	    pf_histogram_subtract(g->live_tmp, g->live_prev) == 0 && g->live_tmp->count) {
		p50 = (double)pf_histogram_quantile(g->live_tmp, 0.5) * 1e6 / (double)g->tsc_hz;
		p99 = (double)pf_histogram_quantile(g->live_tmp, 0.99) * 1e6 / (double)g->tsc_hz;
	}
	pf_histogram_copy(g->live_prev, g->rx->hist);
	fmt_rate(tx, sizeof(tx), (double)(now->tx_frames - before->tx_frames) / dt);
	fmt_rate(rx, sizeof(rx), (double)(now->rx_frames - before->rx_frames) / dt);
	uint64_t unanswered = now->tx_measured > now->matched ? now->tx_measured - now->matched : 0;
	printf("%6.1f s  tx %-12s rx %-12s unanswered %-8" PRIu64 " p50 %8.1f us  p99 %8.1f us\n",
	       t, tx, rx, unanswered, p50, p99);
	fflush(stdout);
}

void
gen_latency_from(struct gen_latency *l, const struct pf_histogram *h, uint64_t tsc_hz)
{
	double ns = 1e9 / (double)tsc_hz;

	memset(l, 0, sizeof(*l));
	l->count = h->count;
	if (!h->count)
		return;
	l->min = (double)h->min * ns;
	l->mean = pf_histogram_mean(h) * ns;
	l->p50 = (double)pf_histogram_quantile(h, 0.5) * ns;
	l->p90 = (double)pf_histogram_quantile(h, 0.9) * ns;
	l->p99 = (double)pf_histogram_quantile(h, 0.99) * ns;
	l->p999 = (double)pf_histogram_quantile(h, 0.999) * ns;
	l->p9999 = (double)pf_histogram_quantile(h, 0.9999) * ns;
	l->max = (double)h->max * ns;
}

static void
collect(struct gen *g, double target, struct gen_result *r)
{
	struct gen_counters *c = &r->c;
	double hz = (double)g->tsc_hz;

	sum_counters(g, c);
	if (g->o.rx_only)
		c->tx_measured = c->tx_frames = g->o.count; /* the requests the replay answers */
	r->target_pps = target;
	uint64_t end = c->tx_done_tsc > g->ctl.measure_tsc ? c->tx_done_tsc : c->tx_last_tsc;
	r->seconds = end > g->ctl.measure_tsc && c->tx_measured && !g->o.rx_only ?
		     (double)(end - g->ctl.measure_tsc) / hz : 0;
	r->lost = c->tx_measured > c->matched ? c->tx_measured - c->matched : 0;
	r->loss_pct = c->tx_measured ? 100.0 * (double)r->lost / (double)c->tx_measured : 0;
	if (r->seconds > 0) {
		/* L2 counts the FCS; L1 adds preamble, SFD and the inter-frame gap. */
		double s = r->seconds;
		r->tx_pps = (double)c->tx_measured / s;
		r->rx_pps = (double)c->matched / s;
		r->tx_bps_l2 = (double)(c->tx_bytes + PF_PROFILE_FCS * c->tx_measured) * 8 / s;
		r->tx_bps_l1 = r->tx_bps_l2 + 20.0 * 8 * (double)c->tx_measured / s;
		r->rx_bps_l2 = (double)(c->rx_bytes + PF_PROFILE_FCS * c->matched) * 8 / s;
		r->rx_bps_l1 = r->rx_bps_l2 + 20.0 * 8 * (double)c->matched / s;
	}
	r->generator_limited = target > 0 && r->tx_pps < 0.99 * target;
	r->tx_cpu_pct = 0;
	for (unsigned int i = 0; i < g->n_lcores; i++) {
		const struct gen_lcore *lc = g->lcores[i];
		if ((lc->roles & GEN_ROLE_TX) && (r->tx_cpu_pct == 0 || lc->cpu_pct < r->tx_cpu_pct))
			r->tx_cpu_pct = lc->cpu_pct;
	}
	r->rx_cpu_pct = g->rx->cpu_pct;
	gen_latency_from(&r->lat, g->rx->hist, g->tsc_hz);
}

void
gen_run_once(struct gen *g, double target, uint64_t duration_ms, bool live,
	     struct gen_result *res)
{
	struct gen_ctl *ctl = &g->ctl;
	const uint64_t hz = g->tsc_hz;
	struct gen_counters prev = { 0 }, now_c;

	memset(res, 0, sizeof(*res));
	unsigned int n_tx = 0;
	for (unsigned int i = 0; i < g->n_lcores; i++)
		n_tx += (g->lcores[i]->roles & GEN_ROLE_TX) != 0;
	unsigned int k = 0;
	for (unsigned int i = 0; i < g->n_lcores; i++) {
		struct gen_lcore *lc = g->lcores[i];
		memset(&lc->c, 0, sizeof(lc->c));
		lc->tx_done = !(lc->roles & GEN_ROLE_TX);
		lc->quota = UINT64_MAX;
		if ((lc->roles & GEN_ROLE_TX) && g->o.count && !g->o.ndr) {
			/* --count is split; the first lcores take the remainder. */
			lc->quota = g->o.count / n_tx + (k < g->o.count % n_tx);
			k++;
		}
	}
	pf_histogram_reset(g->rx->hist);
	pf_histogram_reset(g->live_prev);
	gen_set_rate(g, target);
	ctl->stop = 0;
	ctl->stop_tx = 0;
	ctl->draining = 0;
	g->rx->last_rx_tsc = 0;
	g->rx->last_poll_tsc = 0;
	ctl->rx_only = g->o.rx_only;

	uint64_t start = rte_rdtsc();
	ctl->measure_tsc = g->o.rx_only ? 0 : start + g->o.warmup_ms * hz / 1000;
	ctl->end_tsc = duration_ms && !g->o.rx_only ? ctl->measure_tsc + duration_ms * hz / 1000
						    : UINT64_MAX;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (unsigned int i = 0; i < g->n_lcores; i++)
		rte_eal_remote_launch(gen_lcore_main, g->lcores[i], g->lcores[i]->lcore_id);

	/* Sending: a live line a second, until every TX lcore is done. */
	uint64_t next_live = start + hz, last = start;
	int sigint_seen = gen_sigint;
	while (!tx_all_done(g)) {
		usleep(5000);
		if (gen_sigint != sigint_seen) {
			ctl->stop_tx = 1;
			res->interrupted = true;
		}
		uint64_t t = rte_rdtsc();
		if (live && t >= next_live) {
			sum_counters(g, &now_c);
			live_line(g, (double)(t - start) / (double)hz, &now_c, &prev,
				  (double)(t - last) / (double)hz);
			prev = now_c;
			last = t;
			next_live += hz;
		}
	}

	/*
	 * Drain: answers still in flight arrive. It ends when the RX lcore
	 * itself has polled and found nothing for drain-ms since the last
	 * answer (or since the drain began) -- not after drain-ms of wall
	 * time: an RX lcore descheduled by a busy neighbour would otherwise
	 * leave answers in its queue and count them lost. A peer that never
	 * falls silent ends it at 20 drain periods (at least 2 s). Replaying
	 * answers (--rx-only), it also waits for the first one, up to the
	 * link timeout.
	 */
	const uint64_t drain = (uint64_t)g->o.drain_ms * hz / 1000;
	uint64_t cap = 20 * drain > 2 * hz ? 20 * drain : 2 * hz;
	uint64_t t0 = rte_rdtsc();
	int sig_at_drain = gen_sigint;
	__atomic_store_n(&g->rx->last_poll_tsc, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ctl->draining, 1, __ATOMIC_RELEASE);
	for (;;) {
		uint64_t t = rte_rdtsc();
		if (gen_sigint != sig_at_drain) {
			res->interrupted = true;
			break; /* a second SIGINT: no more waiting */
		}
		uint64_t lr = __atomic_load_n(&g->rx->last_rx_tsc, __ATOMIC_RELAXED);
		uint64_t lp = __atomic_load_n(&g->rx->last_poll_tsc, __ATOMIC_RELAXED);
		uint64_t from = lr > t0 ? lr : t0;
		bool first = !g->o.rx_only || __atomic_load_n(&g->rx->c.rx_frames, __ATOMIC_RELAXED);
		if (first && lp >= from + drain)
			break;
		if (!first && t - t0 >= (uint64_t)g->o.link_timeout_ms * hz / 1000)
			break;
		if (first && t - t0 >= cap) {
			res->drain_capped = true;
			break;
		}
		usleep(2000);
	}
	res->drain_seconds = (double)(rte_rdtsc() - t0) / (double)hz;
	ctl->draining = 0;
	ctl->stop = 1;
	rte_eal_mp_wait_lcore();
	collect(g, target, res);
	if (gen_sigint)
		res->interrupted = true;
}
