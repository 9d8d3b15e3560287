/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_stats.h: layout of the dataplane's shared-memory stats segment, the
 * drop-reason list and the latency histogram buckets. Readers need no EAL. */
#ifndef PF_STATS_H
#define PF_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "pf_config.h"
#include "pf_periodic.h"
#include "pf_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every packet received ends in exactly one sink: transmitted (a response,
 * an error frame, or a passed non-PacketFlow packet) or one of the drop
 * reasons below. Hence, per dataplane and at rest:
 *
 *     rx == tx + sum(drops)
 *
 * Replicated copies and metallic branches are references to one received
 * mbuf, joined back into one answer; they are counted in fanout_copies and
 * fanout_joins and never in rx or tx.
 */
#define PF_DROP_LIST(X)                                                        \
	X(NOT_IPV4, "not_ipv4", "not IPv4 (and non-PacketFlow traffic is dropped)") \
	X(NOT_UDP, "not_udp", "IPv4 but not UDP")                               \
	X(WRONG_PORT, "wrong_port", "UDP to a port other than the PacketFlow port") \
	X(BAD_IPV4, "bad_ipv4", "IPv4 header too short or lengths inconsistent")  \
	X(IP_FRAGMENT, "ip_fragment", "IPv4 fragment")                            \
	X(BAD_UDP, "bad_udp", "UDP length inconsistent with the IP length")      \
	X(FRAME_TRUNCATED, "frame_truncated", "PacketFlow header incomplete")    \
	X(FRAME_BAD_MAGIC, "frame_bad_magic", "UDP payload on the port without the magic") \
	X(NOT_REQUEST, "not_request", "a response or error frame sent to the dataplane") \
	X(NOREPLY, "noreply", "executed; the request asked for no answer")      \
	X(DENY_DROP, "deny_drop", "a deny rule with the drop action matched")     \
	X(ABSORBED, "absorbed", "a consumer element (DF.cs) absorbed it by design") \
	X(RING_FULL, "ring_full", "the worker's ring was full")                   \
	X(TX_FULL, "tx_full", "the TX queue refused the packet")                  \
	X(NO_MBUF, "no_mbuf", "no mbuf for an answer")                            \
	X(SHUTDOWN, "shutdown", "still queued when the dataplane stopped")

enum pf_drop {
#define X(name, str, desc) PF_DROP_##name,
	PF_DROP_LIST(X)
#undef X
	PF_DROP_MAX
};

/** Name of a drop reason ("ring_full"), or NULL. */
const char *pf_drop_name(unsigned int reason);
/** One-line description of a drop reason, or NULL. */
const char *pf_drop_desc(unsigned int reason);

/*
 * Latency histogram: log-linear buckets over TSC cycles, 4 sub-buckets per
 * power of two (HdrHistogram's layout with 2 bits of precision): values
 * 0..7 have a bucket each, then every octave [2^k, 2^(k+1)) is split in 4.
 * 160 buckets reach 2^41 cycles (about 12 minutes at 3 GHz).
 */
#define PF_HIST_SUB_BITS 2
#define PF_HIST_BUCKETS 160

/** Bucket of a value. */
static inline unsigned int
pf_hist_bucket(uint64_t v)
{
	const unsigned int sub = 1u << PF_HIST_SUB_BITS;

	if (v < 2 * sub)
		return (unsigned int)v;
	unsigned int msb = 63u - (unsigned int)__builtin_clzll(v);
	unsigned int shift = msb - PF_HIST_SUB_BITS;
	unsigned int b = (msb - PF_HIST_SUB_BITS + 1) * sub +
			 (unsigned int)((v >> shift) & (sub - 1));
	return b < PF_HIST_BUCKETS ? b : PF_HIST_BUCKETS - 1;
}

/** Smallest value that falls in bucket b. */
static inline uint64_t
pf_hist_lower(unsigned int b)
{
	const unsigned int sub = 1u << PF_HIST_SUB_BITS;

	if (b < 2 * sub)
		return b;
	unsigned int octave = b / sub - 1; /* msb - SUB_BITS */
	return ((uint64_t)(sub + b % sub)) << octave;
}

/** Largest value that falls in bucket b. */
static inline uint64_t
pf_hist_upper(unsigned int b)
{
	return b + 1 < PF_HIST_BUCKETS ? pf_hist_lower(b + 1) - 1 : UINT64_MAX;
}

/* ---- the segment ---- */

#define PF_STATS_MAGIC 0x50465354u /* "PFST" */
#define PF_STATS_VERSION 3
#define PF_STATS_MAX_LCORES 64
#define PF_STATS_CAP_SLOTS PF_MAX_CAPS

/*
 * Audit records: capabilities with the audit_log effect (and every denial by
 * a deny rule) leave one record per answer in their lcore's ring. The lcore
 * writes rec[head % PF_AUDIT_RING] then publishes head + 1 (release); it
 * never waits for a reader. A reader keeps its own position: if head has
 * run more than PF_AUDIT_RING ahead, the oldest records were overwritten
 * and are counted as lost; after copying a record it re-reads head to make
 * sure the slot was not overwritten meanwhile (pf_audit_read()).
 */
#define PF_AUDIT_RING 4096

struct pf_audit_rec {
	uint64_t tsc;        /**< when answered, TSC of the writer */
	uint64_t trace_id;
	uint32_t session_id;
	uint32_t seq;
	uint16_t cap_id;     /**< 0: denied by a rule before any capability */
	uint16_t code;       /**< 0 executed, else the PF_ERR_* answered */
	uint8_t element;     /**< atomic number, 0 if none */
	uint8_t lcore;
	uint16_t pad;
};

struct pf_audit_ring {
	volatile uint64_t head; /**< records ever written */
	uint64_t pad[7];
	struct pf_audit_rec rec[PF_AUDIT_RING];
};

/**
 * Copy audit records written since *pos, at most max.
 * @param pos   reader's position (start at 0); advanced past what was copied
 *              and past lost records
 * @param lost  incremented by records overwritten before they were read
 * @return records copied into out.
 */
unsigned int pf_audit_read(const struct pf_audit_ring *r, uint64_t *pos,
			   struct pf_audit_rec *out, unsigned int max,
			   uint64_t *lost);

/** Execution counters of one capability on one lcore. */
struct pf_stats_cap {
	uint64_t exec;   /**< executions that produced a response */
	uint64_t errors; /**< executions or admissions answered by an error frame */
	uint64_t cycles; /**< sum of latencies (RX to answer), TSC cycles */
	uint64_t hist[PF_HIST_BUCKETS]; /**< latency histogram, TSC cycles */
};

/**
 * Counters of one lcore. Written only by that lcore with plain 64-bit
 * stores (atomic on every 64-bit target DPDK supports); readers may see a
 * counter a few packets old, never a torn one.
 */
struct pf_stats_lcore {
	uint64_t rx;
	uint64_t tx;
	uint64_t drops[PF_DROP_MAX];
	uint64_t malformed[PF_DECODE_ERR_MAX]; /**< decoder verdicts, dropped or answered */
	uint64_t errors[32];        /**< error answers made, by code (one lost at TX is also tx_full) */
	uint64_t classified;        /**< capability found by Hyperscan */
	uint64_t rule_hits;         /**< Hyperscan matches reported */
	uint64_t cls_cache_hits;    /**< classifications answered by the lcore's cache */
	uint64_t cls_cache_misses;  /**< classifications that ran Hyperscan */
	uint64_t passed;            /**< non-PacketFlow packets passed (part of tx) */
	uint64_t ring_enq;          /**< frames handed to another lcore */
	uint64_t ring_deq;          /**< frames taken from this lcore's rings */
	uint64_t high_prio;         /**< frames taken from the high-priority ring */
	uint64_t fanout_copies;     /**< extra references made by replication / metallic */
	uint64_t fanout_joins;      /**< fan-outs joined back into one answer */
	uint64_t busy_polls;        /**< loop iterations that found work */
	uint64_t idle_polls;        /**< loop iterations that found none */
	uint64_t heartbeat;         /**< incremented every loop iteration */
	uint64_t fast_path;         /**< requests RX answered in one pass (in tx) */
	uint64_t group_exec[PF_GROUP_COUNT + 1];
	uint64_t element_exec[PF_ELEMENT_COUNT + 1];  /**< by atomic number */
	uint64_t element_errors[PF_ELEMENT_COUNT + 1];
	struct pf_stats_cap caps[PF_STATS_CAP_SLOTS]; /**< by slot, see pf_stats_dir */
} __attribute__((aligned(64)));

/** Roles of an lcore in the map. */
#define PF_LCORE_RX 0x1
#define PF_LCORE_WORKER 0x2

/** What an lcore does: published once at start-up. */
struct pf_stats_lcore_info {
	uint16_t lcore_id;  /**< DPDK lcore id */
	uint16_t socket;    /**< NUMA socket */
	uint16_t cpu;       /**< first CPU of its cpuset */
	uint8_t roles;      /**< PF_LCORE_* */
	uint8_t n_rxq;      /**< (port, queue) pairs it polls */
	uint8_t groups;     /**< bit (1 << group) per group it serves */
	uint8_t pad[7];
};

/** Directory entry of a capability slot. */
struct pf_stats_cap_info {
	uint16_t id;      /**< capability id; 0 = slot unused */
	uint8_t group;
	uint8_t element;
	uint32_t pad;
	char name[PF_NAME_LEN];
};

/**
 * Segment header, at offset 0 of the file. Fields above `dir_seq` are set
 * once before `magic` is stored (release); the capability directory is
 * updated under a sequence counter (odd while writing), so a reader copies
 * it and retries if dir_seq changed or was odd.
 */
struct pf_stats_hdr {
	uint32_t magic;
	uint32_t version;
	uint64_t size;          /**< bytes of the whole segment */
	uint64_t pid;           /**< writer's pid */
	uint64_t start_ns;      /**< CLOCK_REALTIME at start-up */
	uint64_t tsc_hz;        /**< to turn cycles into seconds */
	uint32_t n_lcores;      /**< entries in lcores[] and lcore_info[] */
	uint32_t lcores_off;    /**< offset of pf_stats_lcore[n_lcores] */
	uint32_t lcore_stride;  /**< sizeof(struct pf_stats_lcore) */
	uint32_t n_drop_reasons;/**< PF_DROP_MAX of the writer */
	uint32_t hist_buckets;  /**< PF_HIST_BUCKETS of the writer */
	uint32_t hist_sub_bits;
	volatile uint64_t running;     /**< 1 while the dataplane runs */
	volatile uint64_t updated_ns;  /**< CLOCK_REALTIME of the last publication */
	volatile uint64_t registry_gen;/**< registry generation applied */
	volatile uint64_t rules_gen;   /**< rules generation applied */
	volatile uint64_t n_caps;      /**< capabilities in the registry */
	volatile uint64_t n_rules;     /**< rules in the Hyperscan database */
	volatile uint64_t dir_seq;     /**< sequence counter of the directory */
	struct pf_stats_lcore_info lcore_info[PF_STATS_MAX_LCORES];
	struct pf_stats_cap_info caps[PF_STATS_CAP_SLOTS];
} __attribute__((aligned(64)));

/**
 * Bytes of a segment with n lcores: the header rounded up to a page, the
 * lcores' counters, then one audit ring per lcore.
 */
static inline size_t
pf_stats_size(unsigned int n_lcores)
{
	size_t hdr = (sizeof(struct pf_stats_hdr) + 4095) & ~(size_t)4095;
	return hdr + (size_t)n_lcores * (sizeof(struct pf_stats_lcore) +
					 sizeof(struct pf_audit_ring));
}

/** Audit ring of the i-th lcore of a mapped segment. */
static inline struct pf_audit_ring *
pf_stats_audit(const struct pf_stats_hdr *h, unsigned int i)
{
	uint8_t *base = (uint8_t *)(uintptr_t)h;
	return (struct pf_audit_ring *)(base + h->lcores_off +
					(size_t)h->n_lcores * h->lcore_stride +
					(size_t)i * sizeof(struct pf_audit_ring));
}

/**
 * Writer side: create the segment at path for n_lcores lcores, map it
 * read-write and fill the header; magic is stored last (release), so a
 * reader that sees it sees the rest. The file is built as "PATH.tmp.PID"
 * and renamed over path: a reader still mapping a previous segment there
 * keeps reading that one (stale, never SIGBUS). Left for the caller: tsc_hz,
 * lcore_info[], the directory and the volatile fields (readers take
 * tsc_hz == 0 as "not known yet"). The file is zero-filled: every counter
 * starts at 0.
 * @param hdr     the mapped header
 * @param lcores  lcores[0..n_lcores-1], 64-byte aligned, in the same mapping
 * @return 0, -EINVAL (n_lcores not 1..PF_STATS_MAX_LCORES),
 *   -ENAMETOOLONG, -errno of open/ftruncate/mmap/rename.
 */
int pf_stats_create(const char *path, unsigned int n_lcores,
		    struct pf_stats_hdr **hdr, struct pf_stats_lcore **lcores);

/**
 * Unmap a segment made by pf_stats_create(); unlink path too unless it is
 * NULL (a stopped dataplane may leave its last counters for readers).
 */
void pf_stats_destroy(struct pf_stats_hdr *hdr, const char *path);

/**
 * Writer side of the directory's sequence counter: call begin before
 * changing hdr->caps[] (dir_seq becomes odd) and end after (even again).
 * One writer at a time.
 */
void pf_stats_dir_begin(struct pf_stats_hdr *hdr);
/** See pf_stats_dir_begin(). */
void pf_stats_dir_end(struct pf_stats_hdr *hdr);

/** A mapped segment, for readers. */
struct pf_stats_view {
	const struct pf_stats_hdr *hdr;
	const struct pf_stats_lcore *lcores;
	size_t size;
	int fd;
};

/**
 * Map a segment read-only. A segment being created reads as -EPROTO until
 * its header is complete: retry.
 * @return 0, -ENOENT (no such file), -EPROTO (not a segment, or another
 *   layout version), -errno of open/mmap.
 */
int pf_stats_open(const char *path, struct pf_stats_view *v);

/** Unmap. */
void pf_stats_close(struct pf_stats_view *v);

/** Sum of every lcore's counters (caps and hist included). */
void pf_stats_sum(const struct pf_stats_view *v, struct pf_stats_lcore *out);

/**
 * Copy the capability directory consistently (retries while the writer
 * updates it). All PF_STATS_CAP_SLOTS slots are copied; unused ones have
 * id 0.
 * @return 1 + the highest slot in use (0: none); 0 with out[] zeroed also
 *   when the writer stayed in the middle of an update for half a second
 *   (it died there).
 */
unsigned int pf_stats_dir(const struct pf_stats_view *v,
			  struct pf_stats_cap_info out[PF_STATS_CAP_SLOTS]);

/** Sum of every drop reason of one lcore's (or summed) counters. */
uint64_t pf_stats_drops_total(const struct pf_stats_lcore *s);

/**
 * Zeroed heap memory of size bytes for structs holding a pf_stats_lcore,
 * which is 64-byte aligned: calloc()'s 16 bytes are not enough (a compiler
 * may use 64-byte aligned vector moves on it). Release with free().
 */
void *pf_stats_zalloc(size_t size);

/**
 * Value at quantile q (0..1) of a histogram, as the upper bound of the
 * bucket that holds it (0 if empty).
 */
uint64_t pf_hist_quantile(const uint64_t hist[PF_HIST_BUCKETS], double q);

#ifdef __cplusplus
}
#endif
#endif /* PF_STATS_H */
