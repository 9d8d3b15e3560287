/* SPDX-License-Identifier: BSD-3-Clause */
/* gen.h: private header of pf-gen -- options, the request model, per-lcore
 * state, the run control block and results shared by the modules. */
#ifndef PF_GEN_H
#define PF_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pf_hist.h"
#include "pf_profile.h"
#include "pf_wire.h"

struct rte_mempool;
struct rte_mempool_cache;

#define GEN_BURST 32                 /**< frames per TX / RX burst */
#define GEN_MAX_TX 16                /**< TX lcores */
#define GEN_MAX_RXQ 16               /**< RX queues the RX lcore polls */
#define GEN_ERR_CODES 32             /**< error codes counted by value */
#define GEN_HIST_SUB_BITS 7          /**< 128 sub-buckets: < 0.8 % error */
#define GEN_HIST_HIGHEST (UINT64_C(1) << 40) /**< cycles; larger RTTs clamp */
#define GEN_WINDOW_DEFAULT 4096      /**< seqs tracked per session (bits) */
#define GEN_L2_HDR 42                /**< Ethernet + IPv4 + UDP, no options */
#define GEN_PF_OFF GEN_L2_HDR
#define GEN_PCAP_COOKIE 0x70666765u  /**< "pfge": cookie of --pcap-out / --rx-only */
#define GEN_DEFAULT_PORT "net_memif0,role=client,socket=/tmp/packetflow-memif.sock"
#define GEN_ERR_LEN 512
#define GEN_TMPL_BLOCK 16            /**< templates are copied in blocks of this */
#define GEN_TMPL_MAX 1536            /**< PF_PROFILE_FRAME_MAX rounded up to a block */
_Static_assert(GEN_TMPL_MAX >= PF_PROFILE_FRAME_MAX && GEN_TMPL_MAX % GEN_TMPL_BLOCK == 0,
	       "a template holds the largest frame in whole blocks");

/** Exit codes. */
enum {
	GEN_EXIT_OK = 0,
	GEN_EXIT_RUNTIME = 1, /**< EAL, device, link, file failures */
	GEN_EXIT_USAGE = 2,   /**< options, profile, rate above line rate */
};

/* ---- options ---- */

struct gen_opts {
	const char *port;           /**< vdev string or PCI address */
	const char *profile_path;   /**< NULL: built-in echo profile */
	const char *json_path;
	const char *pcap_out;
	const char *check_profile;
	uint16_t tx_lcores[GEN_MAX_TX];
	uint16_t n_tx;              /**< 0: default (first worker lcore) */
	int rx_lcore;               /**< -1: default */
	struct pf_rate rate;        /**< kind UNSET: the profile's, else 10 kpps */
	const char *rate_text;      /**< as written, for messages */
	bool duration_set, warmup_set;
	uint64_t duration_ms, warmup_ms;
	uint64_t count;             /**< measured frames to send, 0 = no limit */
	uint32_t drain_ms;
	uint8_t dst_mac[6];
	uint32_t src_ip, dst_ip;    /**< host order */
	uint16_t udp_port, src_port;
	uint64_t seed;
	uint32_t cookie;
	bool cookie_set;
	const char *size_text, *sessions_text, *order_text, *priority_text;
	bool ndr;
	struct pf_rate ndr_min, ndr_max;
	double ndr_resolution;      /**< percent of the search range's top */
	double ndr_loss;            /**< percent of loss a trial may have and pass */
	uint64_t trial_ms;
	bool rx_only;
	uint32_t window;            /**< bits per session, power of two */
	uint32_t link_timeout_ms;
	uint16_t rx_queues;         /**< RX queues the RX lcore polls (0: default) */
	uint32_t bucket;            /**< token bucket depth in frames (GEN_BURST) */
	bool quiet;                 /**< no live lines */
	bool hold;                  /**< port up after the report until link down/SIGINT */
};

/**
 * Parse pf-gen's own options (those after "--", or all of them when there
 * is no "--"). Prints the message on stderr.
 * @return 0, 1 when --help was printed, or -EINVAL (usage error).
 */
int gen_opts_parse(int argc, char **argv, struct gen_opts *o);

/** Print the usage text. */
void gen_usage(FILE *f, const char *prog);

/* ---- the request model: profile + options, read-only while running ---- */

struct gen_size_rt {
	uint8_t kind;               /**< enum pf_size_kind */
	uint16_t min, max;
	uint8_t n;
	uint32_t cum[PF_PROFILE_MAX_WEIGHTS]; /**< imix: cumulative weights */
	uint16_t val[PF_PROFILE_MAX_WEIGHTS];
	uint32_t total;
};

struct gen_entry_rt {
	uint8_t group, element, classify;
	uint16_t capability;
	uint64_t fields;
	const char *intent;         /**< fixed intent (non-classify) */
	uint16_t intent_len;
	char *const *intents;       /**< classify: choices */
	uint32_t n_intents;
	uint32_t keys;
	uint16_t value_size;
	uint16_t pool;
	uint16_t min_frame;         /**< smallest frame it can be, FCS included */
	struct gen_size_rt size;
	/** The whole frame when every byte but the per-frame fields (trace id,
	 * session, sequence, priority, source port, timestamp) is the same
	 * for each frame: fixed size, no random intent or key. NULL else. */
	uint8_t *tmpl;
	uint16_t tmpl_len;          /**< without FCS */
	uint16_t tmpl_copy;         /**< tmpl_len rounded up to GEN_TMPL_BLOCK */
};

struct gen_pool_rt {
	uint32_t first;             /**< first session id */
	uint32_t count;
	uint32_t base;              /**< index of its first session in session tables */
};

struct gen_model {
	uint32_t n_entries;
	uint64_t entry_cum[PF_PROFILE_MAX_ENTRIES]; /**< cumulative weights */
	uint64_t entry_total;
	struct gen_entry_rt e[PF_PROFILE_MAX_ENTRIES];
	uint8_t n_prio;
	uint32_t prio_cum[PF_PROFILE_MAX_WEIGHTS];
	uint8_t prio_val[PF_PROFILE_MAX_WEIGHTS];
	uint32_t prio_total;
	uint16_t n_pools;
	struct gen_pool_rt pools[PF_PROFILE_MAX_POOLS];
	uint32_t n_sessions;
	uint8_t session_order;
	uint16_t n_tx;              /**< sessions are split over this many TX lcores */
	uint32_t cookie;            /**< high 32 bits of every trace_id */
	uint16_t src_port;
	uint8_t l2[GEN_L2_HDR];     /**< Ethernet/IPv4/UDP template */
	uint16_t ip_csum_base;      /**< template's IPv4 checksum, length 0 */
	double mean_frame;          /**< expected frame size with FCS */
	bool no_templates;          /**< build every frame field by field (tests) */
};

/** One TX lcore's generator state (PRNG and round-robin cursors). */
struct gen_picker {
	uint64_t rng;
	uint16_t tx_idx;
	uint32_t rr[PF_PROFILE_MAX_POOLS];   /**< round-robin cursor per pool */
	uint32_t owned[PF_PROFILE_MAX_POOLS]; /**< sessions of each pool this lcore owns */
	uint32_t *next_seq;         /**< per session (global index); only this lcore's sessions used */
	uint64_t frames;            /**< low 32 bits of trace_id */
};

/**
 * Build the model from a profile and the options (mac/ip/ports/cookie).
 * @return 0, or -EINVAL with err filled (a pool smaller than the TX lcores).
 */
int gen_model_init(struct gen_model *m, const struct pf_profile *p,
		   const struct gen_opts *o, const uint8_t src_mac[6], uint16_t n_tx,
		   char *err, size_t errlen);

/**
 * (Re)build the frame templates of the entries whose frames differ only in
 * per-frame header fields (none when m->no_templates). gen_model_init()
 * calls it; call it again after changing no_templates.
 * @return 0, or -ENOMEM with err filled.
 */
int gen_model_templates(struct gen_model *m, char *err, size_t errlen);

/** Free what gen_model_init() allocated (a zeroed model is fine). */
void gen_model_fini(struct gen_model *m);

/** Set up a picker for TX lcore tx_idx of m->n_tx. */
void gen_picker_init(struct gen_picker *pk, const struct gen_model *m, uint16_t tx_idx,
		     uint64_t seed, uint32_t *next_seq);

/**
 * Build one request frame (Ethernet/IPv4/UDP/PacketFlow) into buf with the
 * builder of lib/pf_wire.h. The timestamp is left 0 (gen_stamp() writes it).
 * @param sess  set to the session's index in the session tables
 * @return the frame length without FCS, or 0 when cap is too small.
 */
uint16_t gen_build(const struct gen_model *m, struct gen_picker *pk, uint8_t *buf,
		   uint16_t cap, uint32_t *sess);

/** Host to network order (the wire is big-endian), without DPDK headers. */
static inline uint64_t
gen_be64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline uint32_t
gen_be32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

/** Write the TX timestamp into a built frame (header bytes 32..39). */
static inline void
gen_stamp(uint8_t *frame, uint64_t ts)
{
	ts = gen_be64(ts);
	memcpy(frame + GEN_PF_OFF + 32, &ts, sizeof(ts)); /* one store, any alignment */
}

/** Session index of a session id, or UINT32_MAX when it is not ours. */
static inline uint32_t
gen_session_index(const struct gen_model *m, uint32_t id)
{
	for (unsigned int i = 0; i < m->n_pools; i++) {
		uint32_t off = id - m->pools[i].first;
		if (off < m->pools[i].count)
			return m->pools[i].base + off;
	}
	return UINT32_MAX;
}

/* ---- per-lcore state ---- */

#define GEN_ROLE_TX 0x1
#define GEN_ROLE_RX 0x2

/**
 * Counters of one lcore, written only by it (plain 64-bit stores, read by
 * the main lcore for the live line and after the lcore stopped).
 */
struct gen_counters {
	/* TX */
	uint64_t tx_frames;      /**< frames sent, warm-up included */
	uint64_t tx_measured;    /**< frames sent after warm-up */
	uint64_t tx_bytes;       /**< their bytes, without FCS */
	uint64_t tx_full;        /**< frames the TX queue refused (taken back, retried) */
	uint64_t tx_no_mbuf;     /**< bursts the pool could not fill */
	uint64_t tx_slipped;     /**< frames the schedule dropped: the lcore fell more than a burst behind */
	uint64_t tx_slips;       /**< times it did */
	uint64_t tx_first_tsc;   /**< first measured burst */
	uint64_t tx_last_tsc;    /**< last measured burst */
	uint64_t tx_done_tsc;    /**< when this lcore stopped sending */
	/* RX */
	uint64_t rx_frames;      /**< every frame received */
	uint64_t rx_bytes;       /**< bytes of matched measured answers, without FCS */
	uint64_t matched;        /**< measured requests answered (first answer) */
	uint64_t responses;      /**< ... by a response */
	uint64_t errors;         /**< ... by an error frame */
	uint64_t reflected;      /**< ... by the request itself, turned around (a reflector) */
	uint64_t err_code[GEN_ERR_CODES]; /**< error frames by code (0: out of range) */
	uint64_t duplicates;     /**< answers to a measured request already answered */
	uint64_t reordered;      /**< first answers below the session's highest seq */
	uint64_t late;           /**< answers older than the session's window */
	uint64_t misaddressed;   /**< matched answers whose MACs, IPs or ports are not ours swapped */
	uint64_t replica;        /**< responses with the REPLICA flag */
	uint64_t unmeasured;     /**< answers to warm-up requests */
	uint64_t foreign;        /**< PacketFlow frames not from this run */
	uint64_t malformed;      /**< PacketFlow frames pf_decode() refused */
	uint64_t other;          /**< not PacketFlow (ARP, other UDP ...) */
};

/** Receive-side session tables (one RX lcore owns them). */
struct gen_rxwin {
	uint32_t window;         /**< bits per session, power of two */
	uint32_t words;          /**< window / 64 */
	uint32_t *base;          /**< per session: lowest seq the window holds */
	uint32_t *hi;            /**< per session: highest seq answered + 1 (0: none) */
	uint64_t *bits;          /**< per session: words of seen bits */
};

struct gen_ctl;

/** Everything one lcore owns; hot fields first. */
struct gen_lcore {
	struct gen_counters c;
	const struct gen_ctl *ctl;
	const struct gen_model *m;
	struct rte_mempool *pool;
	struct rte_mempool_cache *mcache; /**< this lcore's cache of pool (set by the lcore) */
	uint16_t room;           /**< data room after the headroom of pool's mbufs */
	uint16_t lcore_id;
	uint16_t port;
	uint16_t txq;
	uint16_t n_rxq;          /**< RX queues 0..n_rxq-1 (the RX lcore) */
	uint8_t roles;           /**< GEN_ROLE_* */
	volatile uint8_t tx_done;
	/* TX pacing: token bucket in cycles << 16 */
	uint64_t next_fp;        /**< when the next frame is due */
	uint64_t cost_fp;        /**< cycles per frame << 16; 0: flat out */
	uint64_t depth_fp;       /**< bucket depth: --bucket frames (32) */
	uint64_t quota;          /**< measured frames left (--count), UINT64_MAX: none */
	struct gen_picker pk;
	/* RX */
	struct pf_histogram *hist; /**< RTTs in cycles (measured answers) */
	struct gen_rxwin *win;
	const uint32_t *sent_seq;  /**< --rx-only: seqs each session sent; NULL live */
	/* drain: the RX lcore's last answer and last empty poll (main reads) */
	volatile uint64_t last_rx_tsc;
	volatile uint64_t last_poll_tsc;
	/* on-CPU share of the last run's loop, % (getrusage around the loop) */
	double cpu_pct;
	/* scratch of a burst */
	uint32_t sess[GEN_BURST];
	uint16_t len[GEN_BURST];
} __attribute__((aligned(64)));

/** What the main lcore tells the others; set before launch. */
struct gen_ctl {
	volatile int stop;       /**< 1: leave the loop (after the drain) */
	volatile int stop_tx;    /**< 1: stop sending (end, SIGINT) */
	volatile int draining;   /**< 1: the RX lcore notes its empty polls */
	uint64_t measure_tsc;    /**< frames stamped at or after it are measured */
	uint64_t end_tsc;        /**< TX stops here; UINT64_MAX: no end */
	bool rx_only;            /**< answers need no plausible timestamp */
};

/** The lcore loop: TX and/or RX by roles, until ctl->stop. */
int gen_lcore_main(void *arg);

/** One TX step: pace, build, stamp, send. Returns frames sent. */
unsigned int gen_tx_step(struct gen_lcore *lc, uint64_t now);

/** One RX step: receive a burst and match it. Returns frames received. */
unsigned int gen_rx_step(struct gen_lcore *lc);

/**
 * Allocate the receive tables for n sessions of window bits each.
 * @return 0, -EINVAL (window not a power of two 64..2^20), -ENOMEM.
 */
int gen_rxwin_init(struct gen_rxwin *w, uint32_t n_sessions, uint32_t window);
/** Forget every answer seen. */
void gen_rxwin_reset(struct gen_rxwin *w, uint32_t n_sessions);
/** Free the tables (w may be half set up). */
void gen_rxwin_free(struct gen_rxwin *w);

/* ---- results ---- */

/** Latency figures, nanoseconds. */
struct gen_latency {
	uint64_t count;
	double min, mean, p50, p90, p99, p999, p9999, max;
};

/** One measured run (or NDR trial), summed over lcores. */
struct gen_result {
	double target_pps;       /**< 0: flat out */
	double seconds;          /**< measured window */
	bool interrupted;        /**< SIGINT cut it short */
	struct gen_counters c;   /**< sums */
	uint64_t lost;           /**< tx_measured - matched (>= 0) */
	double loss_pct;
	double tx_pps, rx_pps;
	double tx_bps_l2, tx_bps_l1, rx_bps_l2, rx_bps_l1;
	struct gen_latency lat;
	bool generator_limited;  /**< sent < 99 % of the target rate */
	double drain_seconds;    /**< how long the drain lasted */
	bool drain_capped;       /**< it ended at its cap: answers kept coming */
	double tx_cpu_pct;       /**< lowest on-CPU share of a TX lcore's loop, % */
	double rx_cpu_pct;       /**< the RX lcore's */
};

/** The process: options, model, lcores, port. */
struct gen {
	struct gen_opts o;
	struct pf_profile prof;
	struct gen_model m;
	struct gen_ctl ctl;
	uint16_t port;
	bool port_configured;    /**< gen_port_stop() has something to close */
	bool port_started;       /**< ... and to stop */
	uint32_t link_mbps;      /**< 0: unknown */
	uint64_t tsc_hz;
	uint16_t n_lcores;
	struct gen_lcore *lcores[GEN_MAX_TX + 1]; /**< TX lcores, then the RX one if separate */
	struct gen_lcore *rx;    /**< the RX lcore's state */
	struct gen_rxwin win;
	struct pf_histogram *live_prev, *live_tmp; /**< snapshots for the live line */
	double line_pps;         /**< at the profile's mean frame size; 0: unknown */
};

extern volatile int gen_sigint;

/* port.c */
/**
 * Find, configure and start the port (--rx-queues RX queues, n_txq TX
 * queues: one per TX lcore), retrying the start and waiting for the link
 * up to --link-timeout.
 * @return 0, -ENODEV (no such device), -EINVAL (too few queues), -ENOMEM
 *   (mbuf pool), -ETIMEDOUT (link down), or a negative errno of ethdev
 *   (start failed); err holds the message for the operator.
 */
int gen_port_init(struct gen *g, uint16_t n_txq, char *err, size_t errlen);
/** Stop and close the port, as far as gen_port_init() got. */
void gen_port_stop(struct gen *g);

/* run.c */
/** Set rate-dependent pacing for target_pps (0: flat out) over the TX lcores. */
void gen_set_rate(struct gen *g, double target_pps);
/**
 * One measured run: reset, launch the lcores, live lines, stop at the end,
 * drain, collect. duration_ms 0 means until --count or SIGINT.
 */
void gen_run_once(struct gen *g, double target_pps, uint64_t duration_ms, bool live,
		  struct gen_result *res);
/** A rate option in pps: % of the line rate, 0 for max (flat out). */
double gen_rate_pps(const struct gen *g, const struct pf_rate *r);

/* ndr.c */
/** One NDR trial: a run at rate_pps and whether it passed. */
struct gen_trial {
	double rate_pps;
	bool pass;
	struct gen_result r;
};

/** An NDR search: its range, its trials, its result. */
struct gen_ndr {
	double lo, hi;           /**< the range searched */
	unsigned int n_trials;
	struct gen_trial trials[64];
	double ndr_pps;          /**< 0: no rate in the range passed */
	double zero_loss_pps;    /**< highest rate sent by a trial without loss, limited or not */
	int best;                /**< index of the trial that found it, -1 */
	bool interrupted;
};

/**
 * The RFC 2544-style search (docs/pf-gen.md, "NDR search"): --ndr-max,
 * then --ndr-min, then bisection down to --ndr-resolution. Stops early on
 * SIGINT (n->interrupted).
 */
void gen_ndr_run(struct gen *g, struct gen_ndr *n);

/* report.c */
/** The report for people (docs/pf-gen.md, "Report"). */
void gen_report_text(FILE *f, const struct gen *g, const struct gen_result *r);
/** The NDR search's conclusion, one line. */
void gen_report_ndr_text(FILE *f, const struct gen *g, const struct gen_ndr *n);
/** One line per NDR trial, as it ends (i counts from 1). */
void gen_report_trial_line(FILE *f, unsigned int i, const struct gen_trial *t);
/** Write the JSON report (docs/pf-gen.md); n is NULL outside --ndr. 0 or -errno. */
int gen_report_json(const char *path, const struct gen *g, const char *mode,
		    const struct gen_result *r, const struct gen_ndr *n);
/** Fill latency figures (ns) from a histogram of cycles. */
void gen_latency_from(struct gen_latency *l, const struct pf_histogram *h, uint64_t tsc_hz);

/* pcap.c */
/**
 * --pcap-out: write count frames of the model to a pcap (no EAL), spaced
 * at rate_pps (1 Mpps when 0).
 * @return 0, or -errno with err filled.
 */
int gen_pcap_write(const char *path, const struct gen_model *m, uint64_t count,
		   double rate_pps, uint64_t seed, char *err, size_t errlen);

#endif /* PF_GEN_H */
