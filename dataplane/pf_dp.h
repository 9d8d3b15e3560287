/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_dp.h: private header of pf-dataplane -- the per-lcore context, the
 * RCU-protected runtime tables, per-packet metadata and the module API. */
#ifndef PF_DP_H
#define PF_DP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_meter.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <hs/hs.h>

#include "pf_config.h"
#include "pf_periodic.h"
#include "pf_rules.h"
#include "pf_stats.h"
#include "pf_wire.h"

#define PF_BURST_MAX 256 /**< dataplane.burst is at most this */
#define PF_MAX_RXQ 16          /**< (port, queue) pairs one lcore polls */
#define PF_MAX_MATCHES 64      /**< rule ids an ED.pt answer carries */
#define PF_OUT_MAX 4096        /**< scratch for a stage's output TLVs */
#define PF_STATE_ENTRIES 16384 /**< keys per lcore in aggregate / cache tables */
#define PF_CACHE_VALUE_MAX 120 /**< bytes of one cached value */
#define PF_KEY_MAX 32          /**< bytes of a key (aggregate, cache) */
#define PF_CCACHE_KEY 64       /**< classification cache: texts under this many bytes */
#define PF_CCACHE_WAYS 8       /**< entries per set of the classification cache */

/**
 * One set of an lcore's classification cache: the tags and verdicts of its
 * ways in one cache line, the texts beside (pf_lcore.ccache_text). A way is
 * valid when its bit is in `valid`; `victim` is the next way to replace.
 * Eight ways: a cache filled to its size with texts hashed at random has
 * almost no set with more texts than ways (with four, about 2 % of a full
 * cache's texts would evict each other on every pass).
 */
struct pf_ccache_set {
	uint16_t tag[PF_CCACHE_WAYS];   /**< high half of the text's hash */
	uint16_t cap_id[PF_CCACHE_WAYS];
	uint8_t len[PF_CCACHE_WAYS];
	uint8_t verdict[PF_CCACHE_WAYS];
	uint8_t valid;
	uint8_t victim;
} __rte_cache_aligned;
_Static_assert(sizeof(struct pf_ccache_set) == RTE_CACHE_LINE_SIZE, "a set is one line");

/* ---- per-packet metadata, in the mbuf's private area ---- */

/** Result a fan-out branch leaves for the joiner. */
struct pf_branch {
	uint32_t digest; /**< hash of the branch's output TLVs */
	uint16_t err;    /**< 0 or PF_ERR_* */
	uint16_t done;   /**< 1 once written */
	struct rte_mbuf *park; /**< metallic: the output TLVs, for the joiner */
};

struct pf_meta {
	uint64_t rx_tsc;     /**< when RX took the packet */
	uint16_t pf_off;     /**< offset of the PacketFlow header in the frame */
	uint16_t l3_off;     /**< offset of the IPv4 header */
	uint16_t cap_id;     /**< capability being executed */
	uint16_t cap_slot;   /**< its stats slot */
	uint8_t stage;       /**< molecule stage to run next */
	uint8_t placed;      /**< 1: arrived over a ring for this stage */
	uint8_t branch;      /**< index of this reference in a fan-out */
	uint8_t fanout;      /**< width of the running fan-out, 0 = none */
	uint8_t consensus;   /**< fan-out is a replication: results must agree */
	uint8_t high;        /**< travels on high-priority rings */
	uint8_t audit;       /**< the capability has the audit_log effect */
	uint32_t flow_hash;  /**< key of flow-hash placement (session or key) */
	uint8_t stage_trace[2 * PF_MAX_STAGES]; /**< (element, lcore) per stage run */
	uint8_t n_trace;
	uint16_t join;       /**< branches still running (atomic) */
	struct pf_branch br[PF_MAX_SET];
};

static inline struct pf_meta *
pf_meta(struct rte_mbuf *m)
{
	return (struct pf_meta *)rte_mbuf_to_priv(m);
}

/* ---- runtime tables (swapped with RCU) ---- */

struct pf_lcore;
struct pf_exec;

/** Behaviour of an element: reads the input, appends output TLVs. */
typedef int (*pf_element_fn)(struct pf_lcore *lc, struct pf_exec *x);

/** A rewrite of a field's bytes where they are, the same length. */
typedef void (*pf_rewrite_fn)(uint8_t *d, unsigned int len);

struct pf_rules_tables;
/** One field made from the data field (len bytes at data), written at out
 * (room for PF_OUT_MAX bytes): its length, header included, or -1 when the
 * element fails. */
typedef int (*pf_output_fn)(struct pf_lcore *lc, const struct pf_rules_tables *r,
			    const uint8_t *data, uint16_t len, uint8_t *out);

struct pf_element_ops {
	const char *name;
	pf_element_fn run; /**< NULL for an identity */
	uint64_t needs;    /**< fields it cannot run without: a single-element
			     capability requires them too (admission) */
	bool identity;  /**< answers with its input, no output, no state: a
			     stage of it is counted, never run, and RX's fast
			     path may answer it */
	/** For an element whose whole work is a rewrite of the data field
	 * (no other output, no state): its rewrite for a capability's arg,
	 * NULL for an arg it does not know. RX's fast path may run it. */
	pf_rewrite_fn (*rewrite_for)(const char *arg);
	const char *args; /**< the args rewrite_for knows, for messages */
	/** For an element whose whole work is one field made from the data
	 * field, added before the input (no state): writes that field. RX's
	 * fast path may run it. */
	pf_output_fn output;
	uint16_t output_field; /**< the field output writes */
};

/* pf_cap_rt.fast_work: what RX's fast path does for it besides answering. */
#define PF_FAST_REWRITE 1 /**< its element, or a stage's, rewrites the data */
#define PF_FAST_STAGES 2  /**< a molecule: its stage trace is added */
#define PF_FAST_OUTPUT 4  /**< its element's output field is added */

/**
 * A capability as the hot path sees it. The fields RX reads for every
 * request are copied from the conf, first, so that admission touches this
 * struct's first line and not the conf's four (intent, name...).
 */
struct pf_cap_rt {
	uint64_t requires;              /**< conf->requires */
	uint64_t roles;                 /**< conf->roles */
	uint32_t max_payload;           /**< conf->max_payload */
	uint32_t rate_pps;              /**< conf->rate_pps */
	uint16_t id;                    /**< conf->id */
	uint8_t group;                  /**< conf->group */
	uint8_t element;                /**< conf->element */
	uint8_t audit;                  /**< conf->effects has audit_log */
	uint8_t fast_work;              /**< when fast, PF_FAST_*: more than an identity */
	const struct pf_cap_conf *conf; /**< points into tables->cfg */
	uint16_t slot;                  /**< stats slot */
	uint8_t number;                 /**< element's atomic number */
	uint8_t n_stages;               /**< 0: a single element */
	uint8_t needs_flow;             /**< placement may read meta->flow_hash */
	uint8_t fast;                   /**< RX may answer it on fast_lcore (rx.c) */
	uint16_t fast_lcore;            /**< its only lcore, when fast */
	uint32_t answer_hdr;            /**< an answer's header bytes 4..7 as stored:
					     group, element, id (big endian) */
	pf_rewrite_fn rewrite;          /**< its data rewrite (ops->rewrite_for) */
	pf_output_fn output;            /**< its element's ops->output */
	uint16_t output_field;          /**< and the field it writes */
	struct pf_policy policy;        /**< effective routing policy */
	struct rte_meter_srtcm_profile meter; /**< valid when conf->rate_pps */
	pf_element_fn run;              /**< element behaviour, NULL: an identity */
	const struct pf_molecule_conf *mol;
	/** A molecule's stages, resolved in this generation: running one
	 * reads this struct, not the conf's molecule and the registry. */
	struct pf_stage_rt {
		const struct pf_cap_rt *cap;
		uint8_t bond;           /**< enum pf_bond to the stage before */
		uint8_t width;          /**< metallic fan-out width */
	} stage[PF_MAX_STAGES];
};

/** Registry, policy, roles and sessions: one immutable generation. */
struct pf_tables {
	uint64_t gen;
	struct pf_config *cfg;      /**< owned */
	uint16_t slot_of[PF_MAX_CAP_ID + 1]; /**< cap id -> index+1 into caps */
	uint16_t by_element[PF_ELEMENT_COUNT + 1]; /**< default cap id per element */
	struct pf_cap_rt caps[PF_MAX_CAPS];
	uint16_t n_sessions;        /**< sessions sorted by first id */
	struct pf_session_conf sessions[PF_MAX_SESSIONS];
};

/** Rules: one compiled database and its per-lcore scratch. */
struct pf_rules_tables {
	uint64_t gen;
	hs_database_t *db;          /**< NULL: no rules */
	struct pf_rule_rt *actions; /**< by Hyperscan id */
	uint32_t n_rules;
	uint32_t n_deny;            /**< deny and drop rules among them */
	hs_scratch_t *scratch[RTE_MAX_LCORE];
};

/* ---- per-lcore context ---- */

/** Memory of a table the hot path reads at random (mem.c). */
struct pf_mem {
	void *p;     /**< zeroed, cache-line aligned */
	size_t len;
	bool mapped; /**< mmap()ed (no EAL hugepages), else rte_malloc()ed */
};

struct pf_rxq {
	uint16_t port;
	uint16_t queue;
};

/** Pending enqueues to one destination lcore, flushed once per burst. */
struct pf_pending {
	uint16_t n[2]; /**< [0] normal, [1] high priority */
	struct rte_mbuf *pkts[2][PF_BURST_MAX];
};

struct pf_cache_value {
	uint16_t len;
	uint8_t val[PF_CACHE_VALUE_MAX];
};

/**
 * Everything one lcore owns. Hot fields first; one per lcore, cache
 * aligned, reached through a pointer taken once at loop entry.
 */
struct pf_lcore {
	/* hot */
	struct pf_stats_lcore *st;      /**< this lcore's counters, in the segment */
	struct pf_audit_ring *audit;    /**< this lcore's audit records, in the segment */
	struct rte_ring *ring;          /**< input ring (multi-producer) */
	struct rte_ring *ring_hi;       /**< high-priority input ring */
	uint16_t lcore_id;
	uint16_t idx;                   /**< index among the dataplane's lcores */
	uint16_t n_rxq;
	struct rte_ring *txr;           /**< answers handed over by lcores without a TX queue */
	struct pf_rxq rxq[PF_MAX_RXQ];
	struct rte_eth_dev_tx_buffer *txb[RTE_MAX_ETHPORTS];
	int16_t txq[RTE_MAX_ETHPORTS];  /**< own TX queue per port, -1: none */
	struct pf_lcore *tx_owner[RTE_MAX_ETHPORTS]; /**< who sends for us when none */
	uint64_t tx_deadline;
	uint32_t rr;                    /**< round-robin cursor */
	uint8_t groups;                 /**< bit per group this lcore serves */
	uint8_t roles;                  /**< PF_LCORE_* */
	uint8_t draining;

	/* per-capability rate meters, by stats slot */
	struct rte_meter_srtcm meters[PF_MAX_CAPS];
	uint64_t meter_gen;             /**< tables generation the meters follow */

	/* element state, owned by this lcore (flow-hash keeps a key here) */
	uint64_t consumed;              /**< DF.cs: requests consumed here */

	/* classification verdicts of texts already scanned, per rules gen */
	struct pf_mem ccache_mem;       /**< holds ccache and ccache_text */
	struct pf_ccache_set *ccache;   /**< NULL: classify_cache 0 */
	uint8_t (*ccache_text)[PF_CCACHE_WAYS][PF_CCACHE_KEY]; /**< per set and way */
	uint32_t ccache_mask;           /**< sets - 1 */
	uint64_t ccache_gen;
	struct rte_hash *agg;           /**< key -> index into agg_count */
	uint64_t *agg_count;
	struct rte_hash *cache;         /**< key -> index into cache_val */
	struct pf_cache_value *cache_val;

	/* latencies of answers since the last flush: one TSC read per loop;
	 * answers of one capability from one burst share an entry (n) */
	uint16_t n_lat;
	struct { uint16_t slot; uint16_t err; uint32_t n; uint64_t rx_tsc; } lat[256];
	/* per stats slot and error flag: 1 + the lat[] entry it last used, so
	 * that a burst's answers of one capability share an entry even when
	 * other capabilities' come between them */
	uint16_t lat_at[PF_STATS_CAP_SLOTS][2];

	/* scratch */
	struct pf_msg msg;              /**< the frame being worked on */
	uint8_t out[PF_OUT_MAX];
	uint8_t merge[PF_OUT_MAX];
	struct pf_pending *pending;     /**< [n_lcores] */
} __rte_cache_aligned;

/** One execution of a stage. */
struct pf_exec {
	struct rte_mbuf *m;
	struct pf_meta *meta;
	const struct pf_tables *t;
	const struct pf_rules_tables *r;
	const struct pf_cap_rt *cap;    /**< capability of the running stage */
	const char *arg;                /**< its arg ("" if none) */
	struct pf_msg *in;              /**< decoded input (the lcore's lc->msg) */
	bool in_fresh;                  /**< *in already decodes the frame */
	struct pf_builder out;          /**< output TLVs (header part unused) */
	uint16_t err;                   /**< PF_ERR_* set by a failing element */
	const char *errmsg;
	uint8_t branch, width;          /**< metallic branch index and width */
	bool absorb;                    /**< the element consumed the request: no answer */
};

/*
 * Where a stage may rewrite the value of input field t (same length): the
 * frame's own bytes when the frame is this lcore's alone -- not a branch
 * of a fan-out, whose outputs are compared or joined, and no other
 * reference -- so there is nothing to commit; else a copy appended to the
 * output, which commit() writes over the input's. NULL when the output
 * has no room (x->out.err).
 */
static inline uint8_t *
pf_exec_rewrite(struct pf_exec *x, const struct pf_tlv *t)
{
	if (!x->width && rte_mbuf_refcnt_read(x->m) == 1)
		return (uint8_t *)(uintptr_t)t->value;
	size_t at = x->out.len + PF_TLV_HDR_LEN;
	pf_build_tlv(&x->out, t->id, t->value, t->len);
	return x->out.err ? NULL : x->out.buf + at;
}

/* ---- the process ---- */

struct pf_dp {
	struct pf_config *cfg;          /**< start-up configuration */
	volatile int quit;              /**< 1: stop RX and drain; 2: lcores leave */
	uint16_t n_lcores;
	uint16_t lcore_idx[RTE_MAX_LCORE]; /**< lcore id -> index+1 */
	struct pf_lcore *lcores[RTE_MAX_LCORE]; /**< by lcore id */
	struct pf_lcore *by_idx[PF_STATS_MAX_LCORES]; /**< by index */
	uint16_t port_id[PF_MAX_PORTS];    /**< config port -> ethdev port */
	uint16_t n_ports;
	uint16_t peer_port[RTE_MAX_ETHPORTS]; /**< where passed traffic goes */
	struct rte_mempool *pool[RTE_MAX_NUMA_NODES];
	uint64_t tsc_hz;
	uint64_t tx_drain_tsc;

	struct pf_tables *tables;           /**< RCU-protected */
	struct pf_rules_tables *rules;      /**< RCU-protected */
	struct rte_rcu_qsbr *qsbr;

	struct pf_stats_hdr *shdr;
	struct pf_stats_lcore *slcores;
	char stats_path[PF_PATH_LEN];
	char ctl_path[PF_PATH_LEN];
	int ctl_fd;
	uint64_t registry_gen;
	uint64_t rules_gen;
	uint16_t slot_next;
	uint16_t slot_of_id[PF_MAX_CAP_ID + 1]; /**< stable stats slot per id, +1 */
};

extern struct pf_dp pf_dp;

/* mem.c */
/**
 * Zeroed memory of len bytes for a table the hot path reads at random, in
 * huge pages: EAL's when it has hugepages (on socket), else transparent
 * huge pages of a private mapping (docs/operations.md). Not for memory
 * another process or a device reads.
 * @return 0, or -ENOMEM (or another errno of rte_malloc() / mmap()).
 */
int pf_mem_alloc(struct pf_mem *m, const char *name, size_t len, int socket);
/** Free what pf_mem_alloc() gave; m zeroed (freeing twice is harmless). */
void pf_mem_free(struct pf_mem *m);

/* port.c */
int pf_ports_init(struct pf_dp *dp, char *err, size_t errlen);
void pf_ports_stop(struct pf_dp *dp);

/* tables.c */
int pf_tables_build(struct pf_dp *dp, const struct pf_config *cfg,
		    struct pf_tables **out, char *err, size_t errlen);
void pf_tables_free(struct pf_tables *t);
int pf_rules_tables_build(struct pf_dp *dp, hs_database_t *db,
			  struct pf_rule_rt *actions, uint32_t n,
			  struct pf_rules_tables **out, char *err, size_t errlen);
int pf_rules_tables_from_file(struct pf_dp *dp, const struct pf_config *cfg,
			      struct pf_rules_tables **out, char *err,
			      size_t errlen);
void pf_rules_tables_free(struct pf_rules_tables *r);
void pf_tables_publish(struct pf_dp *dp, struct pf_tables *t);
void pf_rules_publish(struct pf_dp *dp, struct pf_rules_tables *r);
void pf_tables_reclaim(struct pf_dp *dp, bool wait);

/* lcore.c */
int pf_lcores_init(struct pf_dp *dp, char *err, size_t errlen);
int pf_lcore_main(void *arg);
void pf_lcores_free(struct pf_dp *dp);
void pf_lcores_drain(struct pf_dp *dp);
bool pf_lcores_idle(void);

/* rx.c */
unsigned int pf_rx_burst(struct pf_lcore *lc, struct pf_rxq *q);

/* exec.c */
void pf_exec_packet(struct pf_lcore *lc, struct rte_mbuf *m);
/** Answer m with an error frame made of its own header, in place (or
 * count it under noreply when the request asked for no answer). */
void pf_answer_error(struct pf_lcore *lc, struct rte_mbuf *m, uint16_t code, const char *msg);
void pf_route(struct pf_lcore *lc, struct rte_mbuf *m,
	      const struct pf_cap_rt *cap, uint8_t high);
void pf_flush_pending(struct pf_lcore *lc);
void pf_send_back(struct pf_lcore *lc, struct rte_mbuf *m, uint16_t plen);
void pf_tx_ring(struct pf_lcore *lc, struct rte_mbuf *m);
void pf_tx_flush(struct pf_lcore *lc);
void pf_latency_flush(struct pf_lcore *lc);
void pf_latency_flush_at(struct pf_lcore *lc, uint64_t now);
unsigned int pf_tx_handed(struct pf_lcore *lc, unsigned int burst);
struct rte_mbuf *pf_untag(void *p, int *branch);
void pf_drop(struct pf_lcore *lc, struct rte_mbuf *m, enum pf_drop reason);

/** Send n frames, in order, from this lcore's TX queue on port (buffered,
 * flushed when full and by the loop), else hand them to the lcore that
 * owns one. */
static inline void
pf_tx_bulk(struct pf_lcore *lc, uint16_t port, struct rte_mbuf **pkts, unsigned int n)
{
	if (unlikely(lc->txq[port] < 0)) {
		for (unsigned int i = 0; i < n; i++)
			pf_tx_ring(lc, pkts[i]);
		return;
	}
	struct rte_eth_dev_tx_buffer *b = lc->txb[port];
	uint16_t queue = (uint16_t)lc->txq[port];
	uint16_t len = b->length; /* in a register, not reloaded per frame */

	lc->st->tx += n; /* undone by the TX buffer's error callback */
	for (unsigned int i = 0; i < n; i++) {
		b->pkts[len++] = pkts[i];
		if (len == b->size) {
			b->length = len;
			rte_eth_tx_buffer_flush(port, queue, b);
			len = 0;
		}
	}
	b->length = len;
}

/** Send m by the port it came in on (pf_tx_bulk()). */
static inline void
pf_tx(struct pf_lcore *lc, struct rte_mbuf *m)
{
	pf_tx_bulk(lc, m->port, &m, 1);
}

/**
 * Turn a frame around into an answer of a PF payload of plen bytes:
 * addresses and ports swapped, lengths set, IPv4 checksum updated, UDP
 * checksum zero. l3_off, ihl and pf_off: where IPv4 starts, its header
 * length, where PacketFlow starts (the fast path passes constants).
 */
static inline void
pf_turn_around_at(struct rte_mbuf *m, uint16_t l3_off, uint16_t ihl, uint16_t pf_off,
		  uint16_t plen)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + l3_off);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(d + l3_off + ihl);

	/* MACs: bytes 0-5 and 6-11 trade places, in two loads and two stores
	 * (shifts of little-endian words; bytes by hand elsewhere). */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint64_t w;
	uint32_t v;
	memcpy(&w, d, sizeof(w));
	memcpy(&v, d + 8, sizeof(v));
	uint64_t dst = w & UINT64_C(0xffffffffffff);         /* bytes 0-5 */
	uint64_t w2 = (w >> 48) | ((uint64_t)v << 16) | (dst << 48);
	uint32_t v2 = (uint32_t)(dst >> 16);
	memcpy(d, &w2, sizeof(w2));
	memcpy(d + 8, &v2, sizeof(v2));
#else
	uint8_t mac[RTE_ETHER_ADDR_LEN];
	memcpy(mac, d, sizeof(mac));
	memmove(d, d + RTE_ETHER_ADDR_LEN, sizeof(mac));
	memcpy(d + RTE_ETHER_ADDR_LEN, mac, sizeof(mac));
#endif
	uint32_t addr = ip->src_addr;
	uint16_t port = udp->src_port;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	/* Swapping addresses leaves the checksum as it was; a new total length
	 * and a fresh TTL change it incrementally (RFC 1624: HC' = ~(~HC + ~m
	 * + m')). The request's checksum was verified on RX. */
	uint16_t old_len = ip->total_length;
	uint16_t new_len = rte_cpu_to_be_16((uint16_t)(ihl + sizeof(*udp) + PF_HDR_LEN + plen));
	/* TTL and protocol share a 16-bit word: compute the new word from the
	 * old one rather than storing the byte and reloading the word (a
	 * store-forwarding stall that cost a tenth of an echo), in a register
	 * (not a byte array the compiler keeps on the stack). Sums of raw
	 * words are byte order independent (RFC 1071), so the word stays as
	 * it is in memory. */
	uint16_t old_ttl, new_ttl;
	memcpy(&old_ttl, &ip->time_to_live, sizeof(old_ttl));
	new_ttl = (uint16_t)((old_ttl & rte_cpu_to_be_16(0x00ff)) | rte_cpu_to_be_16(64 << 8));
	memcpy(&ip->time_to_live, &new_ttl, sizeof(new_ttl));
	if (old_len != new_len || old_ttl != new_ttl) {
		uint32_t sum = (uint16_t)~ip->hdr_checksum;
		sum += (uint16_t)~old_len;
		sum += new_len;
		sum += (uint16_t)~old_ttl;
		sum += new_ttl;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip->total_length = new_len;
		ip->hdr_checksum = (uint16_t)~sum;
	}
	udp->src_port = udp->dst_port;
	udp->dst_port = port;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + PF_HDR_LEN + plen));
	udp->dgram_cksum = 0;

	uint16_t total = (uint16_t)(pf_off + PF_HDR_LEN + plen);
	m->data_len = total;
	m->pkt_len = total;
}

/** pf_turn_around_at() for a frame whose IPv4 header length is read. */
static inline void
pf_turn_around(struct rte_mbuf *m, uint16_t l3_off, uint16_t pf_off, uint16_t plen)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								l3_off);

	pf_turn_around_at(m, l3_off, (uint16_t)((ip->version_ihl & 0xf) * 4), pf_off, plen);
}

/**
 * Count n answers of capability slot (errors or not) received at rx_tsc;
 * their latency is taken when the loop flushes. Answers of one burst share
 * rx_tsc: those of one capability share an entry (lat_at finds it).
 */
static inline void
pf_count_latency(struct pf_lcore *lc, uint16_t slot, bool err, uint64_t rx_tsc,
		 uint32_t count)
{
	unsigned int n = lc->n_lat, i = lc->lat_at[slot][err];

	if (i && i <= n && lc->lat[i - 1].rx_tsc == rx_tsc && lc->lat[i - 1].slot == slot &&
	    lc->lat[i - 1].err == err) {
		lc->lat[i - 1].n += count;
		return;
	}
	if (unlikely(n == RTE_DIM(lc->lat))) {
		pf_latency_flush(lc);
		n = 0;
	}
	lc->lat[n].slot = slot;
	lc->lat[n].err = err;
	lc->lat[n].n = count;
	lc->lat[n].rx_tsc = rx_tsc;
	lc->lat_at[slot][err] = (uint16_t)(n + 1);
	lc->n_lat = (uint16_t)(n + 1);
}

/** Leave an audit record (never waits: a slow reader loses the oldest). */
static inline void
pf_audit(struct pf_lcore *lc, uint16_t cap_id, uint8_t element,
	 const uint8_t *pf_hdr_bytes, uint16_t code, uint64_t tsc)
{
	struct pf_audit_ring *r = lc->audit;
	uint64_t h = r->head;
	struct pf_audit_rec *rec = &r->rec[h % PF_AUDIT_RING];
	const uint8_t *p = pf_hdr_bytes;

	uint64_t trace;
	uint32_t session, seq;

	/* The header sits at any alignment in the frame: copy, don't cast. */
	memcpy(&trace, p + 16, sizeof(trace));
	memcpy(&session, p + 24, sizeof(session));
	memcpy(&seq, p + 28, sizeof(seq));
	rec->tsc = tsc;
	rec->trace_id = rte_be_to_cpu_64(trace);
	rec->session_id = rte_be_to_cpu_32(session);
	rec->seq = rte_be_to_cpu_32(seq);
	rec->cap_id = cap_id;
	rec->code = code;
	rec->element = element;
	rec->lcore = (uint8_t)lc->lcore_id;
	/* Release: the record is complete before readers see it. */
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
}

/**
 * CRC-32C of bytes at any alignment: rte_hash_crc() loads 8 and 4 bytes at
 * a time from wherever it is given, which is undefined behaviour (and a
 * UBSan report) on a TLV value in the middle of a frame.
 */
static inline uint32_t
pf_crc(const void *data, uint32_t len, uint32_t v)
{
	const uint8_t *p = data;

	while (len && ((uintptr_t)p & 7)) {
		v = rte_hash_crc_1byte(*p++, v);
		len--;
	}
	return rte_hash_crc(p, len, v);
}

/* elements.c */
const struct pf_element_ops *pf_element_ops(unsigned int number);

/* stats.c */
int pf_stats_init(struct pf_dp *dp, char *err, size_t errlen);
void pf_stats_publish_dir(struct pf_dp *dp, const struct pf_tables *t);
void pf_stats_fini(struct pf_dp *dp);
int pf_telemetry_init(struct pf_dp *dp);

/* ctl.c */
int pf_ctl_init(struct pf_dp *dp, char *err, size_t errlen);
void pf_ctl_poll(struct pf_dp *dp, int timeout_ms);
void pf_ctl_fini(struct pf_dp *dp);

/** Current tables; call only between two quiescent-state reports. */
static inline const struct pf_tables *
pf_tables_get(void)
{
	return __atomic_load_n(&pf_dp.tables, __ATOMIC_ACQUIRE);
}

static inline const struct pf_rules_tables *
pf_rules_get(void)
{
	return __atomic_load_n(&pf_dp.rules, __ATOMIC_ACQUIRE);
}

/** Capability of an id in a table generation, or NULL. */
static inline const struct pf_cap_rt *
pf_cap_lookup(const struct pf_tables *t, uint16_t id)
{
	if (unlikely(id > PF_MAX_CAP_ID))
		return NULL;
	uint16_t s = t->slot_of[id];
	return s ? &t->caps[s - 1] : NULL;
}

#endif /* PF_DP_H */
