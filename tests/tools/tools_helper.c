/* SPDX-License-Identifier: BSD-3-Clause */
/* tools_helper.c: test helper for pf-stats and pf-dpctl -- writes synthetic
 * stats segments with known counters, prints the control protocol's sizes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pf_ctl.h"
#include "pf_stats.h"

/*
 * The "good" scenario. test_tools.py holds the same numbers, written out
 * independently: change both together.
 *
 *   lcore 1 (cpu 1, socket 0, rx+worker, CF,DF) and lcore 2 (cpu 3,
 *   socket 1, worker, MC,RM); tsc 2 GHz;
 *   rx 1000 + 200, tx 600 + 450, drops 55 + 95: rx 1200 == 1050 + 150.
 *   Capability slots 0 (id 10 "echo", CF.1) and 3 (id 42 "upper", DF.1);
 *   slot 1 has stale counters and no directory entry.
 */
static void
fill_good(struct pf_stats_hdr *h, struct pf_stats_lcore *l, uint64_t pid)
{
	struct pf_stats_lcore *a = &l[0], *b = &l[1];

	h->pid = pid;
	h->tsc_hz = 2000000000ull;
	h->lcore_info[0] = (struct pf_stats_lcore_info){
		.lcore_id = 1, .cpu = 1, .socket = 0,
		.roles = PF_LCORE_RX | PF_LCORE_WORKER, .n_rxq = 1,
		.groups = (1u << PF_GROUP_CF) | (1u << PF_GROUP_DF),
	};
	h->lcore_info[1] = (struct pf_stats_lcore_info){
		.lcore_id = 2, .cpu = 3, .socket = 1, .roles = PF_LCORE_WORKER,
		.groups = (1u << PF_GROUP_MC) | (1u << PF_GROUP_RM),
	};

	a->rx = 1000;
	a->tx = 600;
	a->drops[PF_DROP_NOT_IPV4] = 40;
	a->drops[PF_DROP_WRONG_PORT] = 10;
	a->drops[PF_DROP_NOREPLY] = 5;
	a->heartbeat = 123456;
	a->busy_polls = 300;
	a->idle_polls = 700;
	b->rx = 200;
	b->tx = 450;
	b->drops[PF_DROP_RING_FULL] = 20;
	b->drops[PF_DROP_DENY_DROP] = 75;
	b->heartbeat = 654321;
	b->busy_polls = 50;
	b->idle_polls = 150;

	a->malformed[PF_DECODE_TRUNCATED] = 3;
	a->malformed[PF_DECODE_BAD_MAGIC] = 2;
	b->malformed[PF_DECODE_DUP_TLV] = 1;
	a->errors[PF_ERR_UNKNOWN_CAPABILITY] = 4;
	b->errors[PF_ERR_DENIED] = 7;
	b->errors[PF_ERR_BAD_ARGUMENT] = 1;

	a->classified = 900;
	b->classified = 100;
	a->rule_hits = 11;
	a->cls_cache_hits = 50;
	b->cls_cache_hits = 20;
	a->cls_cache_misses = 30;
	a->passed = 8;
	a->ring_enq = 500;
	b->ring_deq = 500;
	b->high_prio = 12;
	b->fanout_copies = 30;
	b->fanout_joins = 10;
	a->fast_path = 400;
	b->fast_path = 7;

	a->group_exec[PF_GROUP_CF] = 100;
	a->group_exec[PF_GROUP_DF] = 200;
	b->group_exec[PF_GROUP_MC] = 50;
	b->group_exec[PF_GROUP_RM] = 6;
	a->element_exec[1] = 100;  /* seq */
	a->element_exec[5] = 200;  /* DF.1 */
	b->element_exec[17] = 50;  /* MC.1 */
	b->element_exec[24] = 6;   /* RM.4 */
	b->element_errors[24] = 2;

	/* slot 0: 90 x 1000 cycles on lcore 1; 9 x 10000 + 1 x 100000 on 2 */
	a->caps[0].exec = 90;
	a->caps[0].cycles = 90 * 1000;
	a->caps[0].hist[pf_hist_bucket(1000)] = 90;
	b->caps[0].exec = 8;
	b->caps[0].errors = 2;
	b->caps[0].cycles = 9 * 10000 + 100000;
	b->caps[0].hist[pf_hist_bucket(10000)] = 9;
	b->caps[0].hist[pf_hist_bucket(100000)] = 1;
	/* slot 1: a removed capability's counters, not in the directory */
	a->caps[1].exec = 77;
	a->caps[1].hist[pf_hist_bucket(5)] = 77;
	/* slot 3: 5 x 3 cycles and 5 x 7 (the linear buckets) on lcore 2 */
	b->caps[3].exec = 10;
	b->caps[3].cycles = 5 * 3 + 5 * 7;
	b->caps[3].hist[3] = 5;
	b->caps[3].hist[7] = 5;

	pf_stats_dir_begin(h);
	h->caps[0] = (struct pf_stats_cap_info){ .id = 10, .group = PF_GROUP_CF,
						 .element = 1, .name = "echo" };
	h->caps[3] = (struct pf_stats_cap_info){ .id = 42, .group = PF_GROUP_DF,
						 .element = 1, .name = "upper" };
	pf_stats_dir_end(h);
	h->n_caps = 2;
	h->registry_gen = 3;
	h->rules_gen = 5;
	h->n_rules = 7;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * The "grow" scenario: 50 steps, 20 ms apart, of 10 received packets on
 * lcore 1, sunk a few ms later (8 sent by lcore 1, 2 dropped by lcore 2),
 * so that rx == tx + drops holds only between steps and for good after the
 * last one (500 == 400 + 100). Then the writer stays for hold_ms.
 */
static void
grow(struct pf_stats_hdr *h, struct pf_stats_lcore *l, unsigned int hold_ms)
{
	for (int i = 0; i < 50; i++) {
		__atomic_store_n(&l[0].rx, l[0].rx + 10, __ATOMIC_RELAXED);
		sleep_ms(3);
		__atomic_store_n(&l[0].tx, l[0].tx + 8, __ATOMIC_RELAXED);
		__atomic_store_n(&l[1].drops[PF_DROP_NOREPLY],
				 l[1].drops[PF_DROP_NOREPLY] + 2, __ATOMIC_RELAXED);
		h->updated_ns++;
		sleep_ms(17);
	}
	sleep_ms(hold_ms);
}

static int
usage(void)
{
	fprintf(stderr,
		"usage: tools_helper segment PATH good|broken|grow [--pid PID] [--stopped]"
		" [--hold MS]\n"
		"       tools_helper ctl-info\n");
	return 2;
}

static int
cmd_segment(int argc, char **argv)
{
	struct pf_stats_hdr *h;
	struct pf_stats_lcore *l;
	uint64_t pid = (uint64_t)getpid();
	unsigned int hold_ms = 3000;
	int running = 1, rc;

	if (argc < 4)
		return usage();
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc)
			pid = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc)
			hold_ms = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--stopped") == 0)
			running = 0;
		else
			return usage();
	}
	rc = pf_stats_create(argv[2], 2, &h, &l);
	if (rc < 0) {
		fprintf(stderr, "tools_helper: pf_stats_create %s: %s\n", argv[2],
			strerror(-rc));
		return 1;
	}
	if (strcmp(argv[3], "good") == 0 || strcmp(argv[3], "broken") == 0) {
		fill_good(h, l, pid);
		if (strcmp(argv[3], "broken") == 0)
			l[1].tx = 449; /* one packet in no sink */
		h->running = (uint64_t)running;
	} else if (strcmp(argv[3], "grow") == 0) {
		h->pid = pid;
		h->tsc_hz = 1000000000ull;
		h->lcore_info[0] = (struct pf_stats_lcore_info){ .lcore_id = 0,
								  .roles = PF_LCORE_RX };
		h->lcore_info[1] = (struct pf_stats_lcore_info){ .lcore_id = 1,
								  .roles = PF_LCORE_WORKER };
		h->running = 1;
		grow(h, l, hold_ms);
		h->running = 0;
	} else {
		pf_stats_destroy(h, argv[2]);
		return usage();
	}
	pf_stats_destroy(h, NULL); /* the file stays for the readers */
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "segment") == 0)
		return cmd_segment(argc, argv);
	if (argc == 2 && strcmp(argv[1], "ctl-info") == 0) {
		printf("{\"layout\": %" PRIu64 ", \"hdr_len\": %zu, \"registry_len\": %zu, "
		       "\"ack_len\": %zu, \"cfg_path_len\": %d}\n", pf_ctl_layout(),
		       sizeof(struct pf_ctl_hdr), sizeof(struct pf_ctl_registry),
		       sizeof(struct pf_ctl_ack), PF_PATH_LEN);
		return 0;
	}
	return usage();
}
