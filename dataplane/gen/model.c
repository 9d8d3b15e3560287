/* SPDX-License-Identifier: BSD-3-Clause */
/* model.c: the request model -- profile tables made ready for the TX path,
 * the per-lcore picker, and building one frame with pf_wire's builder. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* Bytes of data and value fields come from here: lower-case letters, so
 * that DF.tr's upper-casing visibly changes them. */
static uint8_t filler[PF_PROFILE_FRAME_MAX];

/* ---- random numbers: xorshift64*, one state per TX lcore ---- */

static inline uint64_t
rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n) (Lemire's multiply; the bias is below 2^-32). */
static inline uint64_t
below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)(rnd(s) >> 32) * n) >> 32);
}

static uint64_t
splitmix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- the model ---- */

static unsigned int
digits(uint32_t v)
{
	unsigned int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* One's complement sum of the template's IPv4 header (length field 0). */
static uint16_t
ip_csum(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
size_rt(struct gen_size_rt *r, const struct pf_size_spec *s)
{
	memset(r, 0, sizeof(*r));
	r->kind = s->kind;
	r->min = s->min;
	r->max = s->max;
	if (s->kind != PF_SIZE_IMIX)
		return;
	r->n = s->n;
	for (unsigned int i = 0; i < s->n; i++) {
		r->total += s->w[i].weight;
		r->cum[i] = r->total;
		r->val[i] = (uint16_t)s->w[i].value;
	}
}

/* Expected value of max(size, floor) over a size distribution. */
static double
mean_clamped(const struct gen_size_rt *s, double floor)
{
	double sum = 0;

	switch (s->kind) {
	case PF_SIZE_RANGE:
		for (unsigned int v = s->min; v <= s->max; v++)
			sum += v > floor ? v : floor;
		return sum / (s->max - s->min + 1);
	case PF_SIZE_IMIX: {
		uint32_t prev = 0;
		for (unsigned int i = 0; i < s->n; i++) {
			double v = s->val[i] > floor ? s->val[i] : floor;
			sum += v * (s->cum[i] - prev);
			prev = s->cum[i];
		}
		return s->total ? sum / s->total : floor;
	}
	default:
		return s->min > floor ? s->min : floor;
	}
}

int
gen_model_init(struct gen_model *m, const struct pf_profile *p, const struct gen_opts *o,
	       const uint8_t src_mac[6], uint16_t n_tx, char *err, size_t errlen)
{
	double mean = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(filler); i++)
		filler[i] = (uint8_t)('a' + i % 26);
	m->n_tx = n_tx ? n_tx : 1;
	m->cookie = o->cookie;
	m->src_port = o->src_port;
	m->session_order = p->session_order;

	uint32_t base = 0;
	m->n_pools = p->n_pools;
	for (unsigned int i = 0; i < p->n_pools; i++) {
		m->pools[i].first = p->pools[i].first;
		m->pools[i].count = p->pools[i].count;
		m->pools[i].base = base;
		base += p->pools[i].count;
	}
	m->n_sessions = base;

	m->n_entries = p->n_entries;
	for (unsigned int i = 0; i < p->n_entries; i++) {
		const struct pf_profile_entry *pe = &p->entries[i];
		struct gen_entry_rt *e = &m->e[i];
		const struct gen_pool_rt *pool = &m->pools[pe->pool];

		m->entry_total += pe->weight;
		m->entry_cum[i] = m->entry_total;
		e->group = pe->group;
		e->element = pe->element;
		e->classify = pe->classify;
		e->capability = pe->capability;
		e->fields = pe->fields;
		e->intent = pe->intent;
		e->intent_len = (uint16_t)strlen(pe->intent);
		e->intents = pe->n_intents ? &p->intents[pe->first_intent] : NULL;
		e->n_intents = pe->n_intents;
		e->keys = pe->keys;
		e->value_size = pe->value_size;
		e->pool = pe->pool;
		size_rt(&e->size, pe->has_size ? &pe->size : &p->size);
		if (pool->count < m->n_tx) {
			snprintf(err, errlen,
				 "%s: mix entry %s: its %u session(s) from %u are fewer than the %u TX lcores "
				 "(each session belongs to one TX lcore): give it more sessions or use fewer TX lcores",
				 p->path, pe->name, pool->count, pool->first, m->n_tx);
			return -EINVAL;
		}

		/* The smallest frame this entry makes, and its mean size. */
		double avg_intent = e->intent_len;
		size_t longest = e->intent_len;
		if (e->classify) {
			double sum = 0;
			for (uint32_t k = 0; k < e->n_intents; k++) {
				size_t l = strlen(e->intents[k]);
				sum += (double)l;
				if (l > longest)
					longest = l;
			}
			avg_intent = sum / e->n_intents;
		}
		double fixed = GEN_L2_HDR + PF_HDR_LEN + PF_PROFILE_FCS;
		if (e->fields & pf_field_bit(PF_FIELD_INTENT))
			fixed += PF_TLV_HDR_LEN;
		if (e->fields & pf_field_bit(PF_FIELD_KEY))
			fixed += PF_TLV_HDR_LEN + 1 + digits(e->keys - 1);
		if (e->fields & pf_field_bit(PF_FIELD_VALUE))
			fixed += PF_TLV_HDR_LEN + e->value_size;
		if (e->fields & pf_field_bit(PF_FIELD_DATA))
			fixed += PF_TLV_HDR_LEN;
		e->min_frame = (uint16_t)(fixed + (double)longest);
		mean += pe->weight * mean_clamped(&e->size, fixed + avg_intent);
	}
	m->mean_frame = m->entry_total ? mean / (double)m->entry_total : 0;

	m->n_prio = p->n_prio;
	for (unsigned int i = 0; i < p->n_prio; i++) {
		m->prio_total += p->prio[i].weight;
		m->prio_cum[i] = m->prio_total;
		m->prio_val[i] = (uint8_t)p->prio[i].value;
	}

	/* Ethernet II, IPv4 (DF, TTL 64, no options), UDP without checksum. */
	uint8_t *l2 = m->l2;
	memcpy(l2, o->dst_mac, 6);
	memcpy(l2 + 6, src_mac, 6);
	l2[12] = 0x08;
	l2[13] = 0x00;
	uint8_t *ip = l2 + 14;
	ip[0] = 0x45;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 17;
	for (int i = 0; i < 4; i++) {
		ip[12 + i] = (uint8_t)(o->src_ip >> (24 - 8 * i));
		ip[16 + i] = (uint8_t)(o->dst_ip >> (24 - 8 * i));
	}
	m->ip_csum_base = ip_csum(ip);
	uint8_t *udp = ip + 20;
	udp[2] = (uint8_t)(o->udp_port >> 8);
	udp[3] = (uint8_t)o->udp_port;
	return gen_model_templates(m, err, errlen);
}

void
gen_picker_init(struct gen_picker *pk, const struct gen_model *m, uint16_t tx_idx,
		uint64_t seed, uint32_t *next_seq)
{
	memset(pk, 0, sizeof(*pk));
	pk->rng = splitmix(seed * 0x100000001b3ull + tx_idx) | 1;
	pk->tx_idx = tx_idx;
	pk->next_seq = next_seq;
	for (unsigned int i = 0; i < m->n_pools; i++) {
		uint32_t c = m->pools[i].count;
		pk->owned[i] = c > tx_idx ? (c - tx_idx + m->n_tx - 1) / m->n_tx : 0;
	}
}

/* ---- one frame ---- */

static inline uint32_t
pick_cum(uint64_t *rng, const uint32_t *cum, unsigned int n, uint32_t total)
{
	uint64_t r = below(rng, total);
	unsigned int i = 0;

	while (i + 1 < n && r >= cum[i])
		i++;
	return i;
}

static inline uint16_t
pick_size(uint64_t *rng, const struct gen_size_rt *s)
{
	switch (s->kind) {
	case PF_SIZE_RANGE:
		return (uint16_t)(s->min + below(rng, (uint64_t)(s->max - s->min) + 1));
	case PF_SIZE_IMIX:
		return s->val[pick_cum(rng, s->cum, s->n, s->total)];
	default:
		return s->min;
	}
}

/*
 * The frame after the session is chosen: Ethernet/IPv4/UDP from the
 * template, the PacketFlow header h, then the entry's fields. Draws from
 * rng only for what varies frame to frame (size range, intent, key).
 * Returns the frame length without FCS, 0 when cap is too small.
 */
static uint16_t
build_fields(const struct gen_model *m, const struct gen_entry_rt *e,
	     const struct pf_hdr_fields *h, uint64_t *rng, uint8_t *buf, uint16_t cap)
{
	int target = (int)pick_size(rng, &e->size) - PF_PROFILE_FCS - GEN_L2_HDR - PF_HDR_LEN;
	struct pf_builder b;

	if (cap < GEN_L2_HDR + PF_HDR_LEN)
		return 0;
	memcpy(buf, m->l2, GEN_L2_HDR);
	pf_build_start(&b, buf + GEN_PF_OFF, (size_t)cap - GEN_PF_OFF, h);
	if (e->fields & pf_field_bit(PF_FIELD_INTENT)) {
		if (e->classify) {
			const char *t = e->intents[below(rng, e->n_intents)];
			pf_build_tlv(&b, PF_FIELD_INTENT, t, strlen(t));
		} else {
			pf_build_tlv(&b, PF_FIELD_INTENT, e->intent, e->intent_len);
		}
	}
	if (e->fields & pf_field_bit(PF_FIELD_KEY)) {
		char key[12], *p = key + sizeof(key);
		uint32_t v = (uint32_t)below(rng, e->keys);
		do {
			*--p = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		*--p = 'k';
		pf_build_tlv(&b, PF_FIELD_KEY, p, (size_t)(key + sizeof(key) - p));
	}
	if (e->fields & pf_field_bit(PF_FIELD_VALUE))
		pf_build_tlv(&b, PF_FIELD_VALUE, filler, e->value_size);
	/* The data field, or a padding field, makes up the frame size asked for. */
	int room = target - (int)(b.len - PF_HDR_LEN) - PF_TLV_HDR_LEN;
	if (e->fields & pf_field_bit(PF_FIELD_DATA))
		pf_build_tlv(&b, PF_FIELD_DATA, filler, room > 0 ? (size_t)room : 0);
	else if (room >= 0)
		pf_build_tlv(&b, PF_PROFILE_PAD_FIELD, filler, (size_t)room);
	int len = pf_build_finish(&b);
	if (len < 0)
		return 0;

	/* Lengths and the IPv4 checksum (incremental over the template's). */
	uint16_t ip_len = (uint16_t)(20 + 8 + len), udp_len = (uint16_t)(8 + len);
	uint8_t *ip = buf + 14, *udp = buf + 34;
	uint32_t sum = (uint32_t)m->ip_csum_base + ip_len;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	uint16_t csum = (uint16_t)~sum;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[10] = (uint8_t)(csum >> 8);
	ip[11] = (uint8_t)csum;
	udp[4] = (uint8_t)(udp_len >> 8);
	udp[5] = (uint8_t)udp_len;
	return (uint16_t)(GEN_L2_HDR + len);
}

/* Big-endian stores at any alignment, one instruction each. */
static inline void
put_be32(uint8_t *p, uint32_t v)
{
	v = gen_be32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	v = gen_be64(v);
	memcpy(p, &v, sizeof(v));
}

int
gen_model_templates(struct gen_model *m, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < m->n_entries; i++) {
		struct gen_entry_rt *e = &m->e[i];

		free(e->tmpl);
		e->tmpl = NULL;
		if (m->no_templates || e->size.kind != PF_SIZE_FIXED || e->classify ||
		    (e->fields & pf_field_bit(PF_FIELD_KEY)))
			continue;
		e->tmpl = calloc(1, GEN_TMPL_MAX);
		if (!e->tmpl) {
			snprintf(err, errlen, "out of memory for the frame templates");
			return -ENOMEM;
		}
		/* Zero where gen_build() writes per-frame values. */
		struct pf_hdr_fields h = {
			.type = PF_MSG_REQUEST,
			.group = e->group,
			.element = e->element,
			.capability = e->capability,
		};
		uint64_t rng = 1; /* not drawn from: fixed size, no intent or key choice */
		e->tmpl_len = build_fields(m, e, &h, &rng, e->tmpl, PF_PROFILE_FRAME_MAX);
		e->tmpl_copy = (uint16_t)((e->tmpl_len + GEN_TMPL_BLOCK - 1) / GEN_TMPL_BLOCK * GEN_TMPL_BLOCK);
		if (!e->tmpl_len) {
			free(e->tmpl);
			e->tmpl = NULL;
		}
	}
	return 0;
}

void
gen_model_fini(struct gen_model *m)
{
	for (unsigned int i = 0; i < PF_PROFILE_MAX_ENTRIES; i++) {
		free(m->e[i].tmpl);
		m->e[i].tmpl = NULL;
	}
}

uint16_t
gen_build(const struct gen_model *m, struct gen_picker *pk, uint8_t *buf, uint16_t cap,
	  uint32_t *sess)
{
	uint64_t *rng = &pk->rng;
	unsigned int ei = 0;

	if (m->n_entries > 1) {
		uint64_t r = below(rng, m->entry_total);
		while (ei + 1 < m->n_entries && r >= m->entry_cum[ei])
			ei++;
	}
	const struct gen_entry_rt *e = &m->e[ei];
	const struct gen_pool_rt *pool = &m->pools[e->pool];
	uint32_t owned = pk->owned[e->pool], k;

	if (m->session_order == PF_SESSIONS_RANDOM) {
		k = (uint32_t)below(rng, owned);
	} else {
		k = pk->rr[e->pool];
		pk->rr[e->pool] = k + 1 == owned ? 0 : k + 1;
	}
	uint32_t i = pk->tx_idx + k * m->n_tx; /* this lcore's k-th session of the pool */
	uint32_t idx = pool->base + i;
	uint8_t prio = m->n_prio > 1 ? m->prio_val[pick_cum(rng, m->prio_cum, m->n_prio,
							     m->prio_total)]
				     : m->prio_val[0];
	uint64_t trace = (uint64_t)m->cookie << 32 | (uint32_t)pk->frames;
	uint16_t len;

	if (e->tmpl) {
		/* The frame is the template but for these fields. */
		if (cap < e->tmpl_copy)
			return 0;
		/* Whole 16-byte blocks: fixed-size copies the compiler inlines
		 * as vector moves, rather than a call to memcpy's dispatcher. */
		for (unsigned int off = 0; off < e->tmpl_copy; off += GEN_TMPL_BLOCK)
			memcpy(buf + off, e->tmpl + off, GEN_TMPL_BLOCK);
		uint8_t *pf = buf + GEN_PF_OFF;
		pf[offsetof(struct pf_wire_hdr, priority)] = prio;
		put_be64(pf + offsetof(struct pf_wire_hdr, trace_id), trace);
		put_be32(pf + offsetof(struct pf_wire_hdr, session_id), pool->first + i);
		put_be32(pf + offsetof(struct pf_wire_hdr, seq), pk->next_seq[idx]);
		len = e->tmpl_len;
	} else {
		struct pf_hdr_fields h = {
			.type = PF_MSG_REQUEST,
			.group = e->group,
			.element = e->element,
			.capability = e->capability,
			.priority = prio,
			.trace_id = trace,
			.session_id = pool->first + i,
			.seq = pk->next_seq[idx],
		};
		len = build_fields(m, e, &h, rng, buf, cap);
		if (!len)
			return 0;
	}
	uint16_t sport = (uint16_t)(m->src_port + (idx & 1023));
	buf[34] = (uint8_t)(sport >> 8); /* UDP source port */
	buf[35] = (uint8_t)sport;

	pk->next_seq[idx]++;
	pk->frames++;
	*sess = idx;
	return len;
}
