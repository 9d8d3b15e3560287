/* SPDX-License-Identifier: BSD-3-Clause */
/* elements.c: built-in behaviours of the periodic table's elements, as a
 * table of operations indexed by atomic number. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "pf_dp.h"

static inline int
fail_with(struct pf_exec *x, uint16_t code, const char *why)
{
	x->err = code;
	x->errmsg = why;
	return -1;
}

/* Hash-table key of a KEY field: length byte, then the bytes, zero padded,
 * so that "ab" and "ab\0" stay different keys. */
static inline int
table_key(struct pf_exec *x, uint8_t key[PF_KEY_MAX])
{
	struct pf_tlv t;

	if (!pf_tlv_find(x->in, PF_FIELD_KEY, &t))
		return fail_with(x, PF_ERR_MISSING_FIELD, "missing field key");
	if (t.len == 0 || t.len > PF_KEY_MAX - 1)
		return fail_with(x, PF_ERR_BAD_ARGUMENT, "key must be 1..31 bytes");
	memset(key, 0, PF_KEY_MAX);
	key[0] = (uint8_t)t.len;
	memcpy(key + 1, t.value, t.len);
	return 0;
}

/* CF.lp: applies CRC-32C to the data `arg` times (default 1), a bounded
 * loop whose cost the caller chooses; returns the last value. */
static int
el_loop(struct pf_lcore *lc, struct pf_exec *x)
{
	struct pf_tlv t;
	unsigned long n = x->arg[0] ? strtoul(x->arg, NULL, 10) : 1;
	uint32_t v = 0;

	RTE_SET_USED(lc);
	if (!pf_tlv_find(x->in, PF_FIELD_DATA, &t))
		return fail_with(x, PF_ERR_MISSING_FIELD, "missing field data");
	for (unsigned long i = 0; i < n; i++)
		v = pf_crc(t.value, t.len, v);
	pf_build_u32(&x->out, PF_FIELD_RESULT, v);
	return 0;
}

/* DF.cs: consumes values and acknowledges them with the number consumed on
 * this lcore; with arg N, every Nth request is absorbed without an answer
 * (counted as the drop reason "absorbed"), which makes loss measurable. */
static int
el_consumer(struct pf_lcore *lc, struct pf_exec *x)
{
	unsigned long every = x->arg[0] ? strtoul(x->arg, NULL, 10) : 0;

	lc->consumed++;
	if (every && lc->consumed % every == 0) {
		x->absorb = true;
		return 0;
	}
	pf_build_u64(&x->out, PF_FIELD_COUNT, lc->consumed);
	return 0;
}

/*
 * DF.tr: maps the data field where it is; arg is upper (the default when
 * empty), lower, reverse, rot13 or none.
 *
 * Case maps go 8 bytes at a time (SWAR): letters(w, lo) has 0x20 in each
 * byte of w that lies in lo..lo+25 (bytes over 0x7f excluded), and a case
 * map flips that bit. Both maps are idempotent, so the last word overlaps
 * the one before rather than ending in a byte loop.
 */
static inline uint64_t
letters(uint64_t w, uint8_t lo)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = ones << 7;
	uint64_t x = w & ~high;                         /* 7 bits a byte: no carries */
	uint64_t ge = x + ones * (uint8_t)(0x80 - lo);       /* high bit: x >= lo */
	uint64_t past = x + ones * (uint8_t)(0x80 - lo - 26); /* x >= lo + 26 */

	return ((ge ^ past) & ~w & high) >> 2;
}

static inline void
map_case(uint8_t *d, unsigned int len, uint8_t lo)
{
	uint64_t w;

	if (len < 8) {
		for (unsigned int i = 0; i < len; i++)
			d[i] = (uint8_t)(d[i] ^ (((uint8_t)(d[i] - lo) < 26) << 5));
		return;
	}
	for (unsigned int i = 0; i + 8 < len; i += 8) {
		memcpy(&w, d + i, 8);
		w ^= letters(w, lo);
		memcpy(d + i, &w, 8);
	}
	memcpy(&w, d + len - 8, 8);
	w ^= letters(w, lo);
	memcpy(d + len - 8, &w, 8);
}

static void
tr_upper(uint8_t *d, unsigned int len)
{
	map_case(d, len, 'a');
}

static void
tr_lower(uint8_t *d, unsigned int len)
{
	map_case(d, len, 'A');
}

static void
tr_rot13(uint8_t *d, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++) {
		uint8_t c = d[i];
		if (c >= 'a' && c <= 'z')
			d[i] = (uint8_t)('a' + (c - 'a' + 13) % 26);
		else if (c >= 'A' && c <= 'Z')
			d[i] = (uint8_t)('A' + (c - 'A' + 13) % 26);
	}
}

static void
tr_reverse(uint8_t *d, unsigned int len)
{
	for (unsigned int i = 0; i < len / 2; i++) {
		uint8_t c = d[i];
		d[i] = d[len - 1 - i];
		d[len - 1 - i] = c;
	}
}

static void
tr_none(uint8_t *d, unsigned int len)
{
	RTE_SET_USED(d);
	RTE_SET_USED(len);
}

static pf_rewrite_fn
tr_for(const char *arg)
{
	static const struct { const char *name; pf_rewrite_fn fn; } maps[] = {
		{ "", tr_upper }, { "upper", tr_upper }, { "lower", tr_lower },
		{ "reverse", tr_reverse }, { "rot13", tr_rot13 }, { "none", tr_none },
	};

	for (size_t i = 0; i < RTE_DIM(maps); i++)
		if (strcmp(arg, maps[i].name) == 0)
			return maps[i].fn;
	return NULL;
}

/* The table build resolved the capability's arg (cap->rewrite). */
static int
el_transform(struct pf_lcore *lc, struct pf_exec *x)
{
	struct pf_tlv t;

	RTE_SET_USED(lc);
	if (!pf_tlv_find(x->in, PF_FIELD_DATA, &t))
		return fail_with(x, PF_ERR_MISSING_FIELD, "missing field data");
	uint8_t *d = pf_exec_rewrite(x, &t);
	if (!d)
		return -1;
	x->cap->rewrite(d, t.len);
	return 0;
}

/* DF.ag: per-key counters on this lcore (flow-hash keeps a key here);
 * adds the u64 value field, or 1, and returns the new count. */
static int
el_aggregate(struct pf_lcore *lc, struct pf_exec *x)
{
	uint8_t key[PF_KEY_MAX];
	uint64_t inc = 1;
	struct pf_tlv t;

	if (table_key(x, key) < 0)
		return -1;
	if (pf_tlv_find(x->in, PF_FIELD_VALUE, &t) && pf_tlv_u64(&t, &inc) < 0)
		return fail_with(x, PF_ERR_BAD_ARGUMENT, "value must be a u64");
	int32_t idx = rte_hash_lookup(lc->agg, key);
	if (idx < 0) {
		idx = rte_hash_add_key(lc->agg, key);
		if (idx < 0)
			return fail_with(x, PF_ERR_EXECUTION_FAILED, "aggregate table full");
		lc->agg_count[idx] = 0;
	}
	lc->agg_count[idx] += inc;
	pf_build_u64(&x->out, PF_FIELD_COUNT, lc->agg_count[idx]);
	return 0;
}

/* RM.ca: with a value field, put; without, get (not_found on a miss). */
static int
el_cache(struct pf_lcore *lc, struct pf_exec *x)
{
	uint8_t key[PF_KEY_MAX];
	struct pf_tlv t;

	if (table_key(x, key) < 0)
		return -1;
	if (pf_tlv_find(x->in, PF_FIELD_VALUE, &t)) {
		if (t.len > PF_CACHE_VALUE_MAX)
			return fail_with(x, PF_ERR_BAD_ARGUMENT, "value over 120 bytes");
		int32_t idx = rte_hash_add_key(lc->cache, key);
		if (idx < 0)
			return fail_with(x, PF_ERR_EXECUTION_FAILED, "cache full");
		lc->cache_val[idx].len = t.len;
		memcpy(lc->cache_val[idx].val, t.value, t.len);
		return 0; /* the value is carried back as the answer */
	}
	int32_t idx = rte_hash_lookup(lc->cache, key);
	if (idx < 0)
		return fail_with(x, PF_ERR_NOT_FOUND, "key not in cache");
	pf_build_tlv(&x->out, PF_FIELD_VALUE, lc->cache_val[idx].val,
		     lc->cache_val[idx].len);
	return 0;
}

struct pt_ctx {
	unsigned int n;
	uint8_t *ids;
	const struct pf_rule_rt *actions;
};

static int
pt_match(unsigned int id, unsigned long long from, unsigned long long to,
	 unsigned int flags, void *arg)
{
	struct pt_ctx *c = arg;

	RTE_SET_USED(from);
	RTE_SET_USED(to);
	RTE_SET_USED(flags);
	if (c->n == PF_MAX_MATCHES)
		return 1; /* enough: stop scanning */
	uint32_t rid = c->actions[id].id;
	uint8_t *p = &c->ids[c->n++ * 4];
	p[0] = (uint8_t)(rid >> 24);
	p[1] = (uint8_t)(rid >> 16);
	p[2] = (uint8_t)(rid >> 8);
	p[3] = (uint8_t)rid;
	return 0;
}

/*
 * ED.pt's work: Hyperscan over the data, the match field of the ids of the
 * rules that matched (each once, in the order matches ended) written at out
 * (room for PF_TLV_HDR_LEN + 4 * PF_MAX_MATCHES bytes). Its length, or -1
 * when the scan failed. Without rules, no ids.
 */
static int
pt_output(struct pf_lcore *lc, const struct pf_rules_tables *r, const uint8_t *data,
	  uint16_t len, uint8_t *out)
{
	struct pt_ctx c = { 0, out + PF_TLV_HDR_LEN, r->actions };

	if (r->db) {
		hs_error_t e = hs_scan(r->db, (const char *)data, len, 0,
				       r->scratch[lc->lcore_id], pt_match, &c);
		if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
			return -1;
	}
	out[0] = (uint8_t)(PF_FIELD_MATCH >> 8);
	out[1] = (uint8_t)PF_FIELD_MATCH;
	out[2] = (uint8_t)((c.n * 4) >> 8);
	out[3] = (uint8_t)(c.n * 4);
	return (int)(PF_TLV_HDR_LEN + c.n * 4);
}

/* ED.pt: its output (pt_output()) appended to the stage's. */
static int
el_pattern(struct pf_lcore *lc, struct pf_exec *x)
{
	struct pf_tlv t;

	if (!pf_tlv_find(x->in, PF_FIELD_DATA, &t))
		return fail_with(x, PF_ERR_MISSING_FIELD, "missing field data");
	if (x->out.err || x->out.cap - x->out.len < PF_TLV_HDR_LEN + 4 * PF_MAX_MATCHES) {
		x->out.err = -ENOSPC; /* run_element(): "output larger than..." */
		return 0;
	}
	int n = pt_output(lc, x->r, t.value, t.len, x->out.buf + x->out.len);
	if (n < 0)
		return fail_with(x, PF_ERR_EXECUTION_FAILED, "pattern scan failed");
	x->out.len += (size_t)n;
	return 0;
}

/* Indexed by atomic number; neither run nor identity: no built-in
 * behaviour in this version. CF.seq runs in session order (flow-hash) and
 * answers with its input; CO.bc is delivered to every replica, and the join
 * answers with how many agreed (the routing policy's replication factor):
 * identities both, nothing to run. */
#define NEEDS(field) (UINT64_C(1) << PF_FIELD_##field)
static const struct pf_element_ops ops[PF_ELEMENT_COUNT + 1] = {
	[1] = { .name = "sequence", .identity = true },
	[3] = { .name = "loop", .run = el_loop, .needs = NEEDS(DATA) },
	[6] = { .name = "consumer", .run = el_consumer },
	[7] = { .name = "transform", .run = el_transform, .needs = NEEDS(DATA),
		.rewrite_for = tr_for, .args = "upper, lower, reverse, rot13 or none" },
	[8] = { .name = "aggregate", .run = el_aggregate, .needs = NEEDS(KEY) },
	[12] = { .name = "pattern", .run = el_pattern, .needs = NEEDS(DATA),
		 .output = pt_output, .output_field = PF_FIELD_MATCH },
	[14] = { .name = "broadcast", .identity = true },
	[24] = { .name = "cache", .run = el_cache, .needs = NEEDS(KEY) },
};

const struct pf_element_ops *
pf_element_ops(unsigned int number)
{
	if (number < 1 || number > PF_ELEMENT_COUNT ||
	    (!ops[number].run && !ops[number].identity))
		return NULL;
	return &ops[number];
}
