/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_periodic.c: the data of the periodic table and its lookups. The
 * behaviours named here are implemented by dataplane/pf_elements.c. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "pf_periodic.h"

static const struct pf_group_info groups[PF_GROUP_COUNT] = {
#define X(sym, num, nm, purp) [num - 1] = { .number = num, .symbol = #sym, .name = nm, .purpose = purp },
	PF_GROUP_LIST(X)
#undef X
};

#define P(x) PF_PROP_##x
#define RR PF_BALANCE_ROUND_ROBIN
#define FH PF_BALANCE_FLOW_HASH
#define LL PF_BALANCE_LEAST_LOADED

/*
 * Routing hints follow the group's nature: control flow keeps a session in
 * order (flow-hash), data flow spreads (round-robin), events jump the queue
 * (high priority), collectives replicate to three workers, meta-computation
 * and resource management keep a key on one lcore (flow-hash) so that their
 * state needs no lock.
 */
const struct pf_element pf_elements[PF_ELEMENT_COUNT] = {
	/* CF: control flow */
	{ 1, PF_GROUP_CF, 1, "seq", "sequence", "runs in session order; echoes its input",
	  P(DETERMINISTIC) | P(BLOCKING), { FH, 0, 1 } },
	{ 2, PF_GROUP_CF, 2, "br", "branch", "chooses the next stage from a predicate on the input",
	  P(DETERMINISTIC), { FH, 0, 1 } },
	{ 3, PF_GROUP_CF, 3, "lp", "loop", "applies a transform a bounded number of times",
	  P(DETERMINISTIC) | P(BLOCKING), { FH, 0, 1 } },
	{ 4, PF_GROUP_CF, 4, "ex", "exception", "turns a failed input into a structured error",
	  P(DETERMINISTIC), { FH, 0, 1 } },
	/* DF: data flow */
	{ 5, PF_GROUP_DF, 1, "pr", "producer", "emits a sequence of values",
	  P(PARALLEL), { RR, 0, 1 } },
	{ 6, PF_GROUP_DF, 2, "cs", "consumer", "absorbs values and acknowledges them",
	  P(PARALLEL), { RR, 0, 1 } },
	{ 7, PF_GROUP_DF, 3, "tr", "transform", "maps the data field to a new value",
	  P(PARALLEL) | P(DETERMINISTIC), { RR, 0, 1 } },
	{ 8, PF_GROUP_DF, 4, "ag", "aggregate", "folds values into per-key counters",
	  P(STATEFUL), { FH, 0, 1 } },
	/* ED: event driven */
	{ 9, PF_GROUP_ED, 1, "sg", "signal", "raises an event to subscribers",
	  P(LATENCY), { RR, 1, 1 } },
	{ 10, PF_GROUP_ED, 2, "tm", "timer", "fires after a delay",
	  P(LATENCY) | P(STATEFUL), { FH, 1, 1 } },
	{ 11, PF_GROUP_ED, 3, "th", "threshold", "triggers when a value crosses a limit",
	  P(LATENCY) | P(STATEFUL), { FH, 1, 1 } },
	{ 12, PF_GROUP_ED, 4, "pt", "pattern", "matches the payload against patterns",
	  P(LATENCY) | P(PARALLEL), { RR, 1, 1 } },
	/* CO: collective */
	{ 13, PF_GROUP_CO, 1, "ba", "barrier", "waits for N parties",
	  P(CONSENSUS) | P(BLOCKING) | P(STATEFUL), { FH, 0, 3 } },
	{ 14, PF_GROUP_CO, 2, "bc", "broadcast", "delivers a value to every party",
	  P(CONSENSUS), { RR, 0, 3 } },
	{ 15, PF_GROUP_CO, 3, "ga", "gather", "collects values from every party",
	  P(CONSENSUS) | P(STATEFUL), { FH, 0, 3 } },
	{ 16, PF_GROUP_CO, 4, "el", "election", "agrees on a leader",
	  P(CONSENSUS) | P(STATEFUL) | P(DETERMINISTIC), { FH, 0, 3 } },
	/* MC: meta-computational */
	{ 17, PF_GROUP_MC, 1, "sp", "spawn", "creates a new session or task",
	  P(SELF_MODIFYING), { FH, 0, 1 } },
	{ 18, PF_GROUP_MC, 2, "mg", "migrate", "moves state to another lcore",
	  P(SELF_MODIFYING) | P(STATEFUL), { FH, 0, 1 } },
	{ 19, PF_GROUP_MC, 3, "ad", "adapt", "tunes a routing parameter from measurements",
	  P(SELF_MODIFYING) | P(STATEFUL), { FH, 0, 1 } },
	{ 20, PF_GROUP_MC, 4, "rf", "reflect", "reports the runtime's own state",
	  P(DETERMINISTIC), { RR, 0, 1 } },
	/* RM: resource management */
	{ 21, PF_GROUP_RM, 1, "al", "allocate", "reserves a resource for a session",
	  P(STATEFUL), { FH, 0, 1 } },
	{ 22, PF_GROUP_RM, 2, "rl", "release", "returns a reserved resource",
	  P(STATEFUL), { FH, 0, 1 } },
	{ 23, PF_GROUP_RM, 3, "lk", "lock", "grants exclusive ownership of a key",
	  P(STATEFUL) | P(BLOCKING), { FH, 0, 1 } },
	{ 24, PF_GROUP_RM, 4, "ca", "cache", "gets and puts key/value pairs",
	  P(STATEFUL) | P(MEMORY), { FH, 0, 1 } },
};

#undef P
#undef RR
#undef FH
#undef LL

static const struct pf_bond_info bonds[PF_BOND_COUNT] = {
#define X(nm, val, str, sched, fail, o, c, p, k) \
	[val] = { val, str, sched, fail, o, c, p, k },
	PF_BOND_LIST(X)
#undef X
};

static const char *const balance_names[PF_BALANCE_COUNT] = {
#define X(name, val, str, desc) [val] = str,
	PF_BALANCE_LIST(X)
#undef X
};

const struct pf_group_info *
pf_group_get(unsigned int number)
{
	if (number < 1 || number > PF_GROUP_COUNT)
		return NULL;
	return &groups[number - 1];
}

const struct pf_group_info *
pf_group_by_symbol(const char *sym)
{
	for (unsigned int i = 0; i < PF_GROUP_COUNT; i++)
		if (strcasecmp(groups[i].symbol, sym) == 0)
			return &groups[i];
	return NULL;
}

const struct pf_element *
pf_element_get(unsigned int number)
{
	if (number < 1 || number > PF_ELEMENT_COUNT)
		return NULL;
	return &pf_elements[number - 1];
}

const struct pf_element *
pf_element_at(unsigned int group, unsigned int index)
{
	if (group < 1 || group > PF_GROUP_COUNT || index < 1 ||
	    index > PF_ELEMENTS_PER_GROUP)
		return NULL;
	return &pf_elements[(group - 1) * PF_ELEMENTS_PER_GROUP + index - 1];
}

const struct pf_element *
pf_element_by_symbol(const char *sym)
{
	const char *dot = strchr(sym, '.');
	unsigned int want_group = 0;

	if (dot) {
		char gs[4];
		size_t n = (size_t)(dot - sym);
		if (n == 0 || n >= sizeof(gs))
			return NULL;
		memcpy(gs, sym, n);
		gs[n] = '\0';
		const struct pf_group_info *g = pf_group_by_symbol(gs);
		if (!g)
			return NULL;
		want_group = g->number;
		sym = dot + 1;
	}
	for (unsigned int i = 0; i < PF_ELEMENT_COUNT; i++) {
		if (strcasecmp(pf_elements[i].symbol, sym) != 0)
			continue;
		if (want_group && pf_elements[i].group != want_group)
			return NULL;
		return &pf_elements[i];
	}
	return NULL;
}

const struct pf_bond_info *
pf_bond_get(unsigned int type)
{
	return type < PF_BOND_COUNT ? &bonds[type] : NULL;
}

const struct pf_bond_info *
pf_bond_by_name(const char *name)
{
	if (strcasecmp(name, "vdw") == 0 || strcasecmp(name, "van_der_waals") == 0)
		return &bonds[PF_BOND_VDW];
	for (unsigned int i = 0; i < PF_BOND_COUNT; i++)
		if (strcasecmp(bonds[i].name, name) == 0)
			return &bonds[i];
	return NULL;
}

const char *
pf_balance_name(unsigned int mode)
{
	return mode < PF_BALANCE_COUNT ? balance_names[mode] : NULL;
}

int
pf_balance_by_name(const char *name)
{
	for (unsigned int i = 0; i < PF_BALANCE_COUNT; i++)
		if (strcasecmp(balance_names[i], name) == 0)
			return (int)i;
	return -ENOENT;
}

const char *
pf_prop_name(uint32_t bit)
{
	switch (bit) {
#define X(name, b, str, desc) case 1u << b: return str;
	PF_PROP_LIST(X)
#undef X
	}
	return NULL;
}
