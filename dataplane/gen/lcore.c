/* SPDX-License-Identifier: BSD-3-Clause */
/* lcore.c: the loop every pf-gen lcore runs -- send while the run lasts,
 * receive until the main lcore ends the drain; TX and RX may share it. */
#include <stddef.h>
#include <sys/resource.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gen.h"

/* One lcore's state fills whole cache lines: no neighbour shares its last one. */
_Static_assert(sizeof(struct gen_lcore) % 64 == 0, "gen_lcore is cache-line sized");
_Static_assert(offsetof(struct gen_lcore, c) == 0, "counters are the hot fields, first");

int
gen_lcore_main(void *arg)
{
	struct gen_lcore *lc = arg;
	const struct gen_ctl *ctl = lc->ctl;
	const bool tx = lc->roles & GEN_ROLE_TX, rx = lc->roles & GEN_ROLE_RX;

	/* How much of the run this thread was on a CPU: a busy-polling loop
	 * that shares its CPU is descheduled, and that limits pacing and
	 * latency. One syscall before and one after the loop, none inside. */
	struct rusage ru0, ru1;
	getrusage(RUSAGE_THREAD, &ru0);
	uint64_t t0 = rte_rdtsc();

	if (tx) {
		lc->mcache = rte_mempool_default_cache(lc->pool, rte_lcore_id());
		lc->room = (uint16_t)(rte_pktmbuf_data_room_size(lc->pool) - RTE_PKTMBUF_HEADROOM);
		/* First frame due at once; the pacing clock starts here. */
		lc->next_fp = t0 << 16;
		lc->tx_done = 0;
	}
	while (!ctl->stop) {
		if (rx)
			gen_rx_step(lc);
		if (!tx || lc->tx_done)
			continue;
		uint64_t now = rte_rdtsc();
		if (unlikely(now >= ctl->end_tsc || ctl->stop_tx ||
			     (lc->quota == 0 && now >= ctl->measure_tsc))) {
			lc->c.tx_done_tsc = now;
			lc->tx_done = 1;
			continue;
		}
		gen_tx_step(lc, now);
	}
	if (tx && !lc->tx_done) {
		lc->c.tx_done_tsc = rte_rdtsc();
		lc->tx_done = 1;
	}
	uint64_t wall = rte_rdtsc() - t0;
	getrusage(RUSAGE_THREAD, &ru1);
	double on_cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec +
				 ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
			(double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec +
				 ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	lc->cpu_pct = wall ? 100.0 * on_cpu * (double)rte_get_tsc_hz() / (double)wall : 0;
	return 0;
}
