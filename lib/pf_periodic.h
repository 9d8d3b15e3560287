/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_periodic.h: the periodic table of computational packets -- six groups,
 * 24 elements with behavioural properties and routing hints, four bonds. */
#ifndef PF_PERIODIC_H
#define PF_PERIODIC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PF_GROUP_COUNT 6
#define PF_ELEMENTS_PER_GROUP 4
#define PF_ELEMENT_COUNT (PF_GROUP_COUNT * PF_ELEMENTS_PER_GROUP)

/** Groups: header byte 4. 0 means "not named, classify". */
#define PF_GROUP_LIST(X)                                                   \
	X(CF, 1, "control flow", "sequential ordering")                    \
	X(DF, 2, "data flow", "parallel processing")                       \
	X(ED, 3, "event driven", "reactive responses")                     \
	X(CO, 4, "collective", "multi-party coordination")                 \
	X(MC, 5, "meta-computational", "system adaptation")                \
	X(RM, 6, "resource management", "lifecycle control")

enum pf_group {
	PF_GROUP_NONE = 0,
#define X(sym, num, name, purpose) PF_GROUP_##sym = num,
	PF_GROUP_LIST(X)
#undef X
};

/** Behavioural properties of an element (bit flags). */
#define PF_PROP_LIST(X)                                                       \
	X(DETERMINISTIC, 0, "deterministic", "same input, same output, same order") \
	X(BLOCKING, 1, "blocking", "later packets of the session wait for it")  \
	X(PARALLEL, 2, "parallelizable", "instances may run on any lcore at once") \
	X(LATENCY, 3, "latency_sensitive", "served before bulk work")          \
	X(CONSENSUS, 4, "needs_consensus", "result agreed by several replicas") \
	X(STATEFUL, 5, "stateful", "keeps state between packets")               \
	X(SELF_MODIFYING, 6, "self_modifying", "changes the runtime's own tables") \
	X(MEMORY, 7, "memory_intensive", "touches large tables")

enum pf_prop {
#define X(name, bit, str, desc) PF_PROP_##name = 1u << bit,
	PF_PROP_LIST(X)
#undef X
};

/** How a group's traffic is spread over its lcores. */
#define PF_BALANCE_LIST(X)                                                 \
	X(ROUND_ROBIN, 0, "round-robin", "next lcore of the set, per burst")   \
	X(FLOW_HASH, 1, "flow-hash", "hash of the session id: a session stays in order") \
	X(LEAST_LOADED, 2, "least-loaded", "lcore whose ring holds the fewest packets")

enum pf_balance {
#define X(name, val, str, desc) PF_BALANCE_##name = val,
	PF_BALANCE_LIST(X)
#undef X
	PF_BALANCE_COUNT
};

/** Default routing hints of an element; a config's policy overrides them. */
struct pf_route_hint {
	uint8_t balance;   /**< enum pf_balance */
	uint8_t high_prio; /**< 1: use the high-priority ring */
	uint8_t replicate; /**< copies sent to distinct workers (>= 1) */
};

struct pf_element {
	uint8_t number;  /**< 1..24, "atomic number" */
	uint8_t group;   /**< enum pf_group */
	uint8_t index;   /**< 1..4 within the group: header byte 5 */
	const char *symbol; /**< "seq", "br", ... unique across the table */
	const char *name;   /**< "sequence", ... */
	const char *behaviour; /**< what the built-in does, one line */
	uint32_t props;     /**< enum pf_prop bits */
	struct pf_route_hint hint;
};

struct pf_group_info {
	uint8_t number;
	const char *symbol;  /**< "CF" */
	const char *name;    /**< "control flow" */
	const char *purpose;
};

/** Bond types between molecule stages:
 *  X(NAME, value, name, scheduling, failure, ordered, colocated, parallel, cascades) */
#define PF_BOND_LIST(X)                                                      \
	X(IONIC, 0, "ionic", "strict order across a ring hop",                \
	  "failure cascades: later stages are skipped, an error frame answers", 1, 0, 0, 1) \
	X(COVALENT, 1, "covalent", "co-located: direct call on the same lcore, shared state", \
	  "synchronized: the molecule fails as one", 1, 1, 0, 1)               \
	X(METALLIC, 2, "metallic", "parallel fan-out to several lcores, then join", \
	  "independent: a failed branch is reported, others complete", 0, 0, 1, 0) \
	X(VDW, 3, "van-der-waals", "placement hint only: prefer the same NUMA socket", \
	  "minimal: no effect on the other stage", 0, 0, 0, 0)

enum pf_bond {
#define X(name, val, str, sched, fail, o, c, p, k) PF_BOND_##name = val,
	PF_BOND_LIST(X)
#undef X
	PF_BOND_COUNT
};

struct pf_bond_info {
	uint8_t type;
	const char *name;
	const char *scheduling;
	const char *failure;
	uint8_t ordered;   /**< keeps per-session order between the stages */
	uint8_t colocated; /**< both stages run on one lcore */
	uint8_t parallel;  /**< the later stage fans out */
	uint8_t cascades;  /**< a failure of the earlier stage fails the molecule */
};

/** The 24 elements, ordered by number. */
extern const struct pf_element pf_elements[PF_ELEMENT_COUNT];

/** Group by number (1..6), or NULL. */
const struct pf_group_info *pf_group_get(unsigned int number);
/** Group by symbol, case-insensitive ("CF", "df"), or NULL. */
const struct pf_group_info *pf_group_by_symbol(const char *sym);
/** Element by atomic number 1..24, or NULL. */
const struct pf_element *pf_element_get(unsigned int number);
/** Element by group and index within the group (1..4), or NULL. */
const struct pf_element *pf_element_at(unsigned int group, unsigned int index);
/**
 * Element by symbol, case-insensitive. Accepts "tr" and "DF.tr"; in the
 * second form the group must match. NULL if none.
 */
const struct pf_element *pf_element_by_symbol(const char *sym);
/** Bond by type, or NULL. */
const struct pf_bond_info *pf_bond_get(unsigned int type);
/** Bond by name ("ionic", "van-der-waals" or "vdw"), or NULL. */
const struct pf_bond_info *pf_bond_by_name(const char *name);
/** Balance mode name, or NULL. */
const char *pf_balance_name(unsigned int mode);
/** Balance mode by name, or -ENOENT. */
int pf_balance_by_name(const char *name);
/** Property name of a single bit, or NULL. */
const char *pf_prop_name(uint32_t bit);

#ifdef __cplusplus
}
#endif
#endif /* PF_PERIODIC_H */
