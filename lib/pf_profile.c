/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_profile.c: pf-gen's traffic profile -- value parsers shared with the
 * command line, and the libyaml document walk with one-line errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "pf_periodic.h"
#include "pf_profile.h"
#include "pf_wire.h"
#include "pf_yaml_private.h"

#define MAX_WEIGHT 1000000u
#define MAX_DURATION_MS (10ull * 24 * 3600 * 1000)

#define ROOT_KEYS(X)                                                          \
	X(RK_DESCRIPTION, "description") X(RK_RATE, "rate")                    \
	X(RK_DURATION, "duration") X(RK_WARMUP, "warmup") X(RK_SIZE, "size")   \
	X(RK_SESSIONS, "sessions") X(RK_SESSION_ORDER, "session_order")        \
	X(RK_PRIORITY, "priority") X(RK_MIX, "mix")
#define ENTRY_KEYS(X)                                                         \
	X(EK_NAME, "name") X(EK_WEIGHT, "weight") X(EK_CAPABILITY, "capability") \
	X(EK_ELEMENT, "element") X(EK_CLASSIFY, "classify") X(EK_FIELDS, "fields") \
	X(EK_INTENT, "intent") X(EK_INTENTS, "intents")                        \
	X(EK_INTENTS_FILE, "intents_file") X(EK_KEYS, "keys")                  \
	X(EK_VALUE_SIZE, "value_size") X(EK_SIZE, "size") X(EK_SESSIONS, "sessions")
#define POOL_KEYS(X) X(PL_FIRST, "first") X(PL_NUM, "count")

PF_YAML_DEFINE_KEYS(ROOT_KEYS, RK);
PF_YAML_DEFINE_KEYS(ENTRY_KEYS, EK);
PF_YAML_DEFINE_KEYS(POOL_KEYS, PL);

/* The fields an entry may ask for. */
static const char *const field_names[] = { "intent", "data", "key", "value" };

static const struct pf_weighted imix_default[] = { { 7, 64 }, { 4, 570 }, { 1, 1518 } };

/* ---- value parsers (also the command line's) --------------------------- */

/* A decimal number, digits first, optional fraction; *end past it. */
static int
number(const char *s, double *v, const char **end)
{
	char *e;

	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '.' && s[1] >= '0' && s[1] <= '9')))
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &e);
	if (errno || e == s)
		return -EINVAL;
	*end = e;
	return 0;
}

/* An unsigned decimal integer filling the whole of s[0..len). */
static int
uint_n(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

int
pf_rate_parse(const char *s, struct pf_rate *r)
{
	const char *e;
	double v, mult = 1;

	if (!s)
		return -EINVAL;
	if (strcasecmp(s, "max") == 0) {
		r->kind = PF_RATE_MAX;
		r->value = 0;
		return 0;
	}
	if (number(s, &v, &e) < 0)
		return -EINVAL;
	if (strcmp(e, "%") == 0) {
		if (!(v > 0 && v <= 100))
			return -EINVAL;
		r->kind = PF_RATE_PERCENT;
		r->value = v;
		return 0;
	}
	switch (*e) {
	case 'k': case 'K': mult = 1e3; e++; break;
	case 'm': case 'M': mult = 1e6; e++; break;
	case 'g': case 'G': mult = 1e9; e++; break;
	default: break;
	}
	if (*e && strcasecmp(e, "pps") != 0)
		return -EINVAL;
	v *= mult;
	if (!(v > 0 && v <= 1e10))
		return -EINVAL;
	r->kind = PF_RATE_PPS;
	r->value = v;
	return 0;
}

int
pf_duration_parse(const char *s, uint64_t *ms)
{
	const char *e;
	double v, mult;

	if (!s || number(s, &v, &e) < 0)
		return -EINVAL;
	if (!*e || strcmp(e, "s") == 0)
		mult = 1000;
	else if (strcmp(e, "ms") == 0)
		mult = 1;
	else if (strcmp(e, "m") == 0 || strcmp(e, "min") == 0)
		mult = 60000;
	else if (strcmp(e, "h") == 0)
		mult = 3600000;
	else
		return -EINVAL;
	v = v * mult + 0.5;
	if (!(v >= 0) || v > (double)MAX_DURATION_MS)
		return -EINVAL;
	*ms = (uint64_t)v;
	return 0;
}

int
pf_weights_parse(const char *s, struct pf_weighted *out, unsigned int max,
		 uint32_t vmin, uint32_t vmax)
{
	unsigned int n = 0;
	uint64_t total = 0;
	bool single = strchr(s, ',') == NULL && strchr(s, ':') == NULL;

	if (!*s)
		return -EINVAL;
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		const char *colon = memchr(s, ':', len);
		uint64_t w = 1, v = 0;

		if (n == max)
			return -EINVAL;
		if (colon) {
			if (uint_n(s, (size_t)(colon - s), MAX_WEIGHT, &w) < 0)
				return -EINVAL;
			if (uint_n(colon + 1, len - (size_t)(colon - s) - 1, vmax, &v) < 0)
				return -EINVAL;
		} else if (!single || uint_n(s, len, vmax, &v) < 0) {
			return -EINVAL;
		}
		if (v < vmin)
			return -EINVAL;
		out[n].weight = (uint32_t)w;
		out[n].value = (uint32_t)v;
		total += w;
		n++;
		s += len;
		if (*s == ',' && !*++s)
			return -EINVAL; /* trailing comma */
	}
	return total > 0 ? (int)n : -EINVAL;
}

int
pf_size_parse(const char *s, struct pf_size_spec *out)
{
	struct pf_size_spec z;
	const char *dash;
	uint64_t a, b;

	if (!s)
		return -EINVAL;
	memset(&z, 0, sizeof(z));
	if (strcasecmp(s, "imix") == 0) {
		z.kind = PF_SIZE_IMIX;
		z.n = (uint8_t)(sizeof(imix_default) / sizeof(imix_default[0]));
		memcpy(z.w, imix_default, sizeof(imix_default));
	} else if (strchr(s, ':')) {
		int n = pf_weights_parse(s, z.w, PF_PROFILE_MAX_WEIGHTS,
					 PF_PROFILE_FRAME_MIN, PF_PROFILE_FRAME_MAX);
		if (n < 0)
			return -EINVAL;
		z.kind = PF_SIZE_IMIX;
		z.n = (uint8_t)n;
	} else if ((dash = strchr(s, '-')) != NULL) {
		if (uint_n(s, (size_t)(dash - s), PF_PROFILE_FRAME_MAX, &a) < 0 ||
		    uint_n(dash + 1, strlen(dash + 1), PF_PROFILE_FRAME_MAX, &b) < 0 ||
		    a < PF_PROFILE_FRAME_MIN || a > b)
			return -EINVAL;
		z.kind = PF_SIZE_RANGE;
		z.min = (uint16_t)a;
		z.max = (uint16_t)b;
	} else {
		if (uint_n(s, strlen(s), PF_PROFILE_FRAME_MAX, &a) < 0 ||
		    a < PF_PROFILE_FRAME_MIN)
			return -EINVAL;
		z.kind = PF_SIZE_FIXED;
		z.min = z.max = (uint16_t)a;
	}
	if (z.kind == PF_SIZE_IMIX) {
		z.min = UINT16_MAX;
		for (unsigned int i = 0; i < z.n; i++) {
			if (z.w[i].value < z.min)
				z.min = (uint16_t)z.w[i].value;
			if (z.w[i].value > z.max)
				z.max = (uint16_t)z.w[i].value;
		}
	}
	*out = z;
	return 0;
}

int
pf_sessions_parse(const char *s, struct pf_session_pool *pool)
{
	const char *dash;
	uint64_t a, b;

	if (!s)
		return -EINVAL;
	dash = strchr(s, '-');
	if (!dash) {
		if (uint_n(s, strlen(s), PF_PROFILE_MAX_SESSIONS, &a) < 0 || a == 0 ||
		    (uint64_t)pool->first + a - 1 > UINT32_MAX)
			return -EINVAL;
		pool->count = (uint32_t)a;
		return 0;
	}
	if (uint_n(s, (size_t)(dash - s), UINT32_MAX, &a) < 0 ||
	    uint_n(dash + 1, strlen(dash + 1), UINT32_MAX, &b) < 0 || a > b ||
	    b - a + 1 > PF_PROFILE_MAX_SESSIONS)
		return -EINVAL;
	pool->first = (uint32_t)a;
	pool->count = (uint32_t)(b - a + 1);
	return 0;
}

double
pf_size_mean(const struct pf_size_spec *s)
{
	double sum = 0, w = 0;

	switch (s->kind) {
	case PF_SIZE_RANGE:
		return (s->min + s->max) / 2.0;
	case PF_SIZE_IMIX:
		for (unsigned int i = 0; i < s->n; i++) {
			sum += (double)s->w[i].weight * s->w[i].value;
			w += s->w[i].weight;
		}
		return w > 0 ? sum / w : 0;
	default:
		return s->min;
	}
}

const char *
pf_size_format(const struct pf_size_spec *s, char *buf, size_t len)
{
	size_t o = 0;

	switch (s->kind) {
	case PF_SIZE_RANGE:
		snprintf(buf, len, "%u-%u", s->min, s->max);
		break;
	case PF_SIZE_IMIX:
		buf[0] = '\0';
		for (unsigned int i = 0; i < s->n && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%u:%u", i ? "," : "",
					      s->w[i].weight, s->w[i].value);
		break;
	default:
		snprintf(buf, len, "%u", s->min);
		break;
	}
	return buf;
}

uint32_t
pf_profile_sessions(const struct pf_profile *p)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i < p->n_pools; i++)
		n += p->pools[i].count;
	return n;
}

int
pf_profile_check_pools(const struct pf_profile *p, char *why, size_t len)
{
	/* Distinct session ranges must not share ids: a session's sequence
	 * numbers would come from two counters. */
	for (unsigned int i = 0; i < p->n_pools; i++) {
		for (unsigned int j = i + 1; j < p->n_pools; j++) {
			const struct pf_session_pool *a = &p->pools[i], *b = &p->pools[j];
			if ((uint64_t)a->first + a->count > b->first &&
			    (uint64_t)b->first + b->count > a->first) {
				snprintf(why, len,
					 "expected session ranges that are equal or disjoint, found %u-%u and %u-%u overlapping",
					 a->first, a->first + a->count - 1, b->first,
					 b->first + b->count - 1);
				return -EINVAL;
			}
		}
	}
	if (pf_profile_sessions(p) > PF_PROFILE_MAX_SESSIONS) {
		snprintf(why, len, "expected at most %d sessions over all ranges, found %u",
			 PF_PROFILE_MAX_SESSIONS, pf_profile_sessions(p));
		return -EINVAL;
	}
	return 0;
}

void
pf_profile_default(struct pf_profile *p)
{
	struct pf_profile_entry *e = &p->entries[0];

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "(built-in)");
	snprintf(p->description, sizeof(p->description),
		 "header-routed echo (capability 1, CF.seq) with a data field");
	pf_size_parse("64", &p->size);
	p->n_pools = 1;
	p->pools[0].first = PF_PROFILE_DEFAULT_FIRST_SESSION;
	p->pools[0].count = 64;
	p->n_prio = 1;
	p->prio[0].weight = 1;
	p->n_entries = 1;
	snprintf(e->name, sizeof(e->name), "echo");
	e->weight = 1;
	e->capability = 1;
	e->group = PF_GROUP_CF;
	e->element = 1;
	e->fields = pf_field_bit(PF_FIELD_DATA);
	e->keys = PF_PROFILE_DEFAULT_KEYS;
	e->value_size = PF_PROFILE_DEFAULT_VALUE_SIZE;
}

void
pf_profile_free(struct pf_profile *p)
{
	if (!p || !p->intents)
		return;
	for (uint32_t i = 0; i < p->n_intents; i++)
		free(p->intents[i]);
	free(p->intents);
	p->intents = NULL;
	p->n_intents = 0;
}

/* ---- the loader -------------------------------------------------------- */

struct loader {
	struct pf_yaml y;      /* file name, document, message (in bytes) */
	struct pf_profile *p;  /* scratch copy, handed over on success */
	uint32_t intents_cap;
};

/* An integer written as the command line writes it (uint_n(): digits only,
 * no sign), unlike the config's, which takes a sign. */
static int
get_uint(struct loader *L, const yaml_node_t *n, const char *key, uint64_t min,
	 uint64_t max, uint64_t *v)
{
	if (!n || n->type != YAML_SCALAR_NODE || pf_yaml_is_null(n) ||
	    strlen(pf_yaml_scalar(n)) != n->data.scalar.length ||
	    uint_n(pf_yaml_scalar(n), n->data.scalar.length, UINT64_MAX / 2, v) < 0)
		return pf_yaml_fail(&L->y, n, key, "expected an integer, found %s",
				    pf_yaml_found(&L->y, n));
	if (*v < min || *v > max)
		return pf_yaml_fail(&L->y, n, key,
				    "expected an integer between %llu and %llu, found %s",
				    (unsigned long long)min, (unsigned long long)max,
				    pf_yaml_scalar(n));
	return 0;
}

static int
get_bool(struct loader *L, const yaml_node_t *n, const char *key, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "on" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "off" };

	if (n && n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(pf_yaml_scalar(n), yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcmp(pf_yaml_scalar(n), no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	return pf_yaml_fail(&L->y, n, key, "expected true or false, found %s",
			    pf_yaml_found(&L->y, n));
}

/* A scalar handed to one of the value parsers above. */
static int
get_parsed(struct loader *L, const yaml_node_t *n, const char *key, const char *what,
	   int (*parse)(const char *, void *), void *out)
{
	const char *s;
	int rc = pf_yaml_text(&L->y, n, key, what, 256, &s);

	if (rc == 0 && parse(s, out) < 0)
		rc = pf_yaml_fail(&L->y, n, key, "expected %s, found %s", what,
				  pf_yaml_found(&L->y, n));
	return rc;
}

static int
parse_rate(const char *s, void *out)
{
	return pf_rate_parse(s, out);
}

static int
parse_duration(const char *s, void *out)
{
	return pf_duration_parse(s, out);
}

static int
parse_size(const char *s, void *out)
{
	return pf_size_parse(s, out);
}

static int
parse_pool(const char *s, void *out)
{
	return pf_sessions_parse(s, out);
}

#define WHAT_RATE "a rate (max, N%, Npps, Nkpps or NMpps)"
#define WHAT_DURATION "a duration (Nms, Ns, Nm or Nh)"
#define WHAT_SIZE "frame sizes in bytes with FCS, 64..1518 (N, A-B, imix or W:S,W:S,...)"
#define WHAT_PRIORITY "a priority 0..255 or a weighted list W:P,W:P,..."
#define WHAT_SESSIONS "sessions (a count N, ids A-B, or a mapping of first, count)"

static int
get_sessions(struct loader *L, const yaml_node_t *n, const char *key,
	     struct pf_session_pool *pool)
{
	const yaml_node_t *v[PL_COUNT];
	char k[PF_YAML_KEY_LEN];
	uint64_t x;
	int rc;

	if (n && n->type == YAML_MAPPING_NODE) {
		if ((rc = pf_yaml_map(&L->y, n, key, PL_names, PL_COUNT, v)) < 0)
			return rc;
		if (v[PL_FIRST]) {
			if ((rc = get_uint(L, v[PL_FIRST], pf_yaml_kjoin(k, key, "first"), 0,
					   UINT32_MAX, &x)) < 0)
				return rc;
			pool->first = (uint32_t)x;
		}
		if (!v[PL_NUM])
			return pf_yaml_missing(&L->y, n, key, "count",
					       "a number of sessions");
		if ((rc = get_uint(L, v[PL_NUM], pf_yaml_kjoin(k, key, "count"), 1,
				   PF_PROFILE_MAX_SESSIONS, &x)) < 0)
			return rc;
		if ((uint64_t)pool->first + x - 1 > UINT32_MAX)
			return pf_yaml_fail(&L->y, n, key,
					    "expected session ids below 2^32, found %u + %llu",
					    pool->first, (unsigned long long)x);
		pool->count = (uint32_t)x;
		return 0;
	}
	return get_parsed(L, n, key, WHAT_SESSIONS, parse_pool, pool);
}

static int
get_priority(struct loader *L, const yaml_node_t *n, const char *key,
	     struct pf_profile *p)
{
	const char *s;
	int rc = pf_yaml_text(&L->y, n, key, WHAT_PRIORITY, 256, &s), k;

	if (rc < 0)
		return rc;
	k = pf_weights_parse(s, p->prio, PF_PROFILE_MAX_WEIGHTS, 0, 255);
	if (k < 0)
		return pf_yaml_fail(&L->y, n, key, "expected %s, found %s", WHAT_PRIORITY,
				    pf_yaml_found(&L->y, n));
	p->n_prio = (uint8_t)k;
	return 0;
}

/* Index of an identical pool, a new pool, or an error for a partial overlap. */
static int
add_pool(struct loader *L, const yaml_node_t *n, const char *key,
	 const struct pf_session_pool *pool, uint16_t *idx)
{
	struct pf_profile *p = L->p;

	for (unsigned int i = 0; i < p->n_pools; i++) {
		if (p->pools[i].first == pool->first && p->pools[i].count == pool->count) {
			*idx = (uint16_t)i;
			return 0;
		}
	}
	for (unsigned int i = 0; i < p->n_pools; i++) {
		const struct pf_session_pool *o = &p->pools[i];
		if ((uint64_t)o->first + o->count > pool->first &&
		    (uint64_t)pool->first + pool->count > o->first)
			return pf_yaml_fail(&L->y, n, key,
					    "expected a session range equal to or disjoint from the others, found %u-%u overlapping %u-%u",
					    pool->first, pool->first + pool->count - 1,
					    o->first, o->first + o->count - 1);
	}
	if (p->n_pools == PF_PROFILE_MAX_POOLS)
		return pf_yaml_fail(&L->y, n, key,
				    "expected at most %d distinct session ranges, found more",
				    PF_PROFILE_MAX_POOLS);
	*idx = p->n_pools;
	p->pools[p->n_pools++] = *pool;
	return 0;
}

/* Appends intents, owned by the profile. */
static int
add_intent(struct loader *L, const char *s, size_t len)
{
	struct pf_profile *p = L->p;

	if (p->n_intents == L->intents_cap) {
		uint32_t cap = L->intents_cap ? L->intents_cap * 2 : 64;
		char **grown = realloc(p->intents, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		p->intents = grown;
		L->intents_cap = cap;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	p->intents[p->n_intents++] = copy;
	return 0;
}

/* Path of a file named in the profile: relative to the profile's folder. */
static int
resolve(struct loader *L, const char *rel, char *out, size_t size)
{
	const char *slash = strrchr(L->y.name, '/');
	int n;

	if (rel[0] == '/' || !slash)
		n = snprintf(out, size, "%s", rel);
	else
		n = snprintf(out, size, "%.*s/%s", (int)(slash - L->y.name), L->y.name, rel);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* One intent per line; blank lines and # comments skipped; a line of
 * gen-rules.py --annotate ("RULE<TAB>intent") gives the part after the tab. */
static int
load_intents_file(struct loader *L, const yaml_node_t *n, const char *key)
{
	char path[PF_PATH_LEN], line[4096];
	unsigned long lineno = 0;
	const char *rel;
	int rc;

	if ((rc = pf_yaml_text(&L->y, n, key, "a file of intents, one a line", PF_PATH_LEN,
			       &rel)) < 0)
		return rc;
	if (resolve(L, rel, path, sizeof(path)) < 0)
		return pf_yaml_fail(&L->y, n, key,
				    "expected a path of at most %d bytes once resolved, found %s",
				    PF_PATH_LEN - 1, pf_yaml_found(&L->y, n));
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		return pf_yaml_fail(&L->y, n, key,
				    "expected a readable file, found %s (%s: %s)",
				    pf_yaml_found(&L->y, n), path, strerror(e));
	}
	uint32_t before = L->p->n_intents;
	rc = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			rc = pf_yaml_fail(&L->y, n, key,
					  "expected intents of at most %d bytes, found a longer line (%s:%lu)",
					  PF_PROFILE_INTENT_LEN - 1, path, lineno);
			break;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		char *s = line, *tab = strchr(line, '\t');
		if (tab)
			s = tab + 1;
		len = strlen(s);
		if (len == 0 || line[0] == '#')
			continue;
		if (len >= PF_PROFILE_INTENT_LEN) {
			rc = pf_yaml_fail(&L->y, n, key,
					  "expected intents of at most %d bytes, found %zu bytes (%s:%lu)",
					  PF_PROFILE_INTENT_LEN - 1, len, path, lineno);
			break;
		}
		if (L->p->n_intents == PF_PROFILE_MAX_INTENTS) {
			rc = pf_yaml_fail(&L->y, n, key,
					  "expected at most %d intents in the profile, found more (%s:%lu)",
					  PF_PROFILE_MAX_INTENTS, path, lineno);
			break;
		}
		if ((rc = add_intent(L, s, len)) < 0) {
			snprintf(L->y.err, L->y.errlen, "%s: out of memory", L->y.name);
			break;
		}
	}
	fclose(f);
	if (rc == 0 && L->p->n_intents == before)
		rc = pf_yaml_fail(&L->y, n, key,
				  "expected at least one intent, found none in %s", path);
	return rc;
}

static int
load_intents_list(struct loader *L, const yaml_node_t *n, const char *key)
{
	char k[PF_YAML_KEY_LEN];
	const char *s;
	size_t len;
	int rc;

	if ((rc = pf_yaml_seq(&L->y, n, key, "a list of intent texts", 1, SIZE_MAX, &len)) < 0)
		return rc;
	for (size_t i = 0; i < len; i++) {
		const yaml_node_t *it = pf_yaml_seq_at(&L->y, n, i);
		if ((rc = pf_yaml_text(&L->y, it, pf_yaml_kidx(k, key, i), "an intent text",
				   PF_PROFILE_INTENT_LEN, &s)) < 0)
			return rc;
		if (L->p->n_intents == PF_PROFILE_MAX_INTENTS)
			return pf_yaml_fail(&L->y, it, k,
					    "expected at most %d intents in the profile, found more",
					    PF_PROFILE_MAX_INTENTS);
		if (add_intent(L, s, strlen(s)) < 0) {
			snprintf(L->y.err, L->y.errlen, "%s: out of memory", L->y.name);
			return -ENOMEM;
		}
	}
	return 0;
}

static int
load_fields(struct loader *L, const yaml_node_t *n, const char *key, uint64_t *mask)
{
	char k[PF_YAML_KEY_LEN], list[PF_YAML_LIST_LEN];
	size_t nf = sizeof(field_names) / sizeof(field_names[0]);
	unsigned int f;
	int rc;

	pf_yaml_join(list, sizeof(list), field_names, nf);
	if (n->type != YAML_SEQUENCE_NODE)
		return pf_yaml_fail(&L->y, n, key,
				    "expected a list of fields (%s), found %s", list,
				    pf_yaml_found(&L->y, n));
	*mask = 0;
	for (size_t i = 0; i < pf_yaml_seq_len(n); i++) {
		const yaml_node_t *it = pf_yaml_seq_at(&L->y, n, i);
		if ((rc = pf_yaml_word(&L->y, it, pf_yaml_kidx(k, key, i), field_names, nf,
				       &f)) < 0)
			return rc;
		uint64_t bit = pf_field_bit((uint16_t)pf_field_by_name(field_names[f]));
		if (*mask & bit)
			return pf_yaml_fail(&L->y, it, k,
					    "expected each field once, found %s again",
					    field_names[f]);
		*mask |= bit;
	}
	return 0;
}

static int
load_entry(struct loader *L, const yaml_node_t *n, size_t idx)
{
	struct pf_profile_entry *e = &L->p->entries[idx];
	const yaml_node_t *v[EK_COUNT];
	char key[PF_YAML_KEY_LEN], k[PF_YAML_KEY_LEN];
	const char *s;
	uint64_t x;
	int rc;

	pf_yaml_kidx(key, "mix", idx);
	if (!n || n->type != YAML_MAPPING_NODE)
		return pf_yaml_fail(&L->y, n, key,
				    "expected a mapping (one kind of request), found %s",
				    pf_yaml_found(&L->y, n));
	if ((rc = pf_yaml_map(&L->y, n, key, EK_names, EK_COUNT, v)) < 0)
		return rc;
	memset(e, 0, sizeof(*e));
	e->line = (int)pf_yaml_line(n);
	e->weight = 1;
	e->keys = PF_PROFILE_DEFAULT_KEYS;
	e->value_size = PF_PROFILE_DEFAULT_VALUE_SIZE;
	snprintf(e->name, sizeof(e->name), "entry%zu", idx);

	if (v[EK_NAME]) {
		if ((rc = pf_yaml_text(&L->y, v[EK_NAME], pf_yaml_kjoin(k, key, "name"), "a name",
				   PF_NAME_LEN, &s)) < 0)
			return rc;
		snprintf(e->name, sizeof(e->name), "%s", s);
		for (size_t i = 0; i < idx; i++)
			if (strcmp(L->p->entries[i].name, e->name) == 0)
				return pf_yaml_fail(&L->y, v[EK_NAME], k,
						    "expected a name no other entry has, found \"%s\" (also mix[%zu])",
						    e->name, i);
	}
	if (v[EK_WEIGHT]) {
		if ((rc = get_uint(L, v[EK_WEIGHT], pf_yaml_kjoin(k, key, "weight"), 0,
				   MAX_WEIGHT, &x)) < 0)
			return rc;
		e->weight = (uint32_t)x;
	}
	if (v[EK_CLASSIFY] &&
	    (rc = get_bool(L, v[EK_CLASSIFY], pf_yaml_kjoin(k, key, "classify"), &e->classify)) < 0)
		return rc;
	if (v[EK_CAPABILITY]) {
		if (e->classify)
			return pf_yaml_fail(&L->y, v[EK_CAPABILITY],
					    pf_yaml_kjoin(k, key, "capability"),
					    "expected no capability in a classify entry (the header names nothing), found %s",
					    pf_yaml_found(&L->y, v[EK_CAPABILITY]));
		if ((rc = get_uint(L, v[EK_CAPABILITY], pf_yaml_kjoin(k, key, "capability"), 1,
				   PF_MAX_CAP_ID, &x)) < 0)
			return rc;
		e->capability = (uint16_t)x;
	}
	if (v[EK_ELEMENT]) {
		const struct pf_element *el;
		pf_yaml_kjoin(k, key, "element");
		if (e->classify)
			return pf_yaml_fail(&L->y, v[EK_ELEMENT], k,
					    "expected no element in a classify entry (the header names nothing), found %s",
					    pf_yaml_found(&L->y, v[EK_ELEMENT]));
		if ((rc = pf_yaml_text(&L->y, v[EK_ELEMENT], k,
				       "an element (GROUP.symbol, such as DF.tr)", 32, &s)) < 0)
			return rc;
		el = pf_element_by_symbol(s);
		if (!el)
			return pf_yaml_fail(&L->y, v[EK_ELEMENT], k,
					    "expected an element of the periodic table (GROUP.symbol, such as DF.tr), found %s",
					    pf_yaml_found(&L->y, v[EK_ELEMENT]));
		e->group = el->group;
		e->element = el->index;
	}
	if (!e->classify && !e->capability && !e->group)
		return pf_yaml_fail(&L->y, n, pf_yaml_kjoin(k, key, "capability"),
				    "expected a capability id, an element, or classify: true (required), found nothing");
	if (v[EK_FIELDS] && (rc = load_fields(L, v[EK_FIELDS], pf_yaml_kjoin(k, key, "fields"),
					      &e->fields)) < 0)
		return rc;
	if (v[EK_INTENT]) {
		pf_yaml_kjoin(k, key, "intent");
		if (e->classify)
			return pf_yaml_fail(&L->y, v[EK_INTENT], k,
					    "expected intents or intents_file in a classify entry, found intent");
		if ((rc = pf_yaml_text(&L->y, v[EK_INTENT], k, "an intent text",
				       PF_PROFILE_INTENT_LEN, &s)) < 0)
			return rc;
		snprintf(e->intent, sizeof(e->intent), "%s", s);
		e->fields |= pf_field_bit(PF_FIELD_INTENT);
	} else if (e->fields & pf_field_bit(PF_FIELD_INTENT)) {
		char nm[PF_NAME_LEN];
		memcpy(nm, e->name, sizeof(nm));
		snprintf(e->intent, sizeof(e->intent), "pf-gen %s", nm);
	}
	if (v[EK_INTENTS] || v[EK_INTENTS_FILE]) {
		const yaml_node_t *at = v[EK_INTENTS] ? v[EK_INTENTS] : v[EK_INTENTS_FILE];
		if (!e->classify)
			return pf_yaml_fail(&L->y, at,
					    pf_yaml_kjoin(k, key, v[EK_INTENTS] ? "intents" : "intents_file"),
					    "expected intents only with classify: true, found a list for a header-routed entry");
		e->first_intent = L->p->n_intents;
		if (v[EK_INTENTS] &&
		    (rc = load_intents_list(L, v[EK_INTENTS],
					    pf_yaml_kjoin(k, key, "intents"))) < 0)
			return rc;
		if (v[EK_INTENTS_FILE] &&
		    (rc = load_intents_file(L, v[EK_INTENTS_FILE],
					    pf_yaml_kjoin(k, key, "intents_file"))) < 0)
			return rc;
		e->n_intents = L->p->n_intents - e->first_intent;
	}
	if (e->classify) {
		if (!e->n_intents)
			return pf_yaml_fail(&L->y, n, pf_yaml_kjoin(k, key, "intents"),
					    "expected a list of intents or an intents_file for a classify entry (required), found nothing");
		e->fields |= pf_field_bit(PF_FIELD_INTENT);
	}
	if (v[EK_KEYS]) {
		if ((rc = get_uint(L, v[EK_KEYS], pf_yaml_kjoin(k, key, "keys"), 1, UINT32_MAX,
				   &x)) < 0)
			return rc;
		e->keys = (uint32_t)x;
	}
	if (v[EK_VALUE_SIZE]) {
		if ((rc = get_uint(L, v[EK_VALUE_SIZE], pf_yaml_kjoin(k, key, "value_size"), 0,
				   PF_PROFILE_VALUE_MAX, &x)) < 0)
			return rc;
		e->value_size = (uint16_t)x;
	}
	if (v[EK_SIZE]) {
		if ((rc = get_parsed(L, v[EK_SIZE], pf_yaml_kjoin(k, key, "size"), WHAT_SIZE,
				     parse_size, &e->size)) < 0)
			return rc;
		e->has_size = true;
	}
	if (v[EK_SESSIONS]) {
		struct pf_session_pool pool = { PF_PROFILE_DEFAULT_FIRST_SESSION, 0 };
		pf_yaml_kjoin(k, key, "sessions");
		if ((rc = get_sessions(L, v[EK_SESSIONS], k, &pool)) < 0 ||
		    (rc = add_pool(L, v[EK_SESSIONS], k, &pool, &e->pool)) < 0)
			return rc;
	}
	return 0;
}

static int
load_root(struct loader *L, const yaml_node_t *root)
{
	struct pf_profile *p = L->p;
	const yaml_node_t *v[RK_COUNT];
	const char *s;
	int rc;

	if ((rc = pf_yaml_map(&L->y, root, "", RK_names, RK_COUNT, v)) < 0)
		return rc;
	if (v[RK_DESCRIPTION]) {
		if ((rc = pf_yaml_text(&L->y, v[RK_DESCRIPTION], "description", "a line of text",
				   sizeof(p->description), &s)) < 0)
			return rc;
		snprintf(p->description, sizeof(p->description), "%s", s);
	}
	if (v[RK_RATE] &&
	    (rc = get_parsed(L, v[RK_RATE], "rate", WHAT_RATE, parse_rate, &p->rate)) < 0)
		return rc;
	if (v[RK_DURATION] && (rc = get_parsed(L, v[RK_DURATION], "duration", WHAT_DURATION,
					       parse_duration, &p->duration_ms)) < 0)
		return rc;
	if (v[RK_WARMUP] && (rc = get_parsed(L, v[RK_WARMUP], "warmup", WHAT_DURATION,
					     parse_duration, &p->warmup_ms)) < 0)
		return rc;
	if (v[RK_SIZE] &&
	    (rc = get_parsed(L, v[RK_SIZE], "size", WHAT_SIZE, parse_size, &p->size)) < 0)
		return rc;
	if (v[RK_SESSIONS] && (rc = get_sessions(L, v[RK_SESSIONS], "sessions", &p->pools[0])) < 0)
		return rc;
	if (v[RK_SESSION_ORDER]) {
		if ((rc = pf_yaml_text(&L->y, v[RK_SESSION_ORDER], "session_order",
				   "round-robin or random", 32, &s)) < 0)
			return rc;
		if (strcmp(s, "round-robin") == 0)
			p->session_order = PF_SESSIONS_ROUND_ROBIN;
		else if (strcmp(s, "random") == 0)
			p->session_order = PF_SESSIONS_RANDOM;
		else
			return pf_yaml_fail(&L->y, v[RK_SESSION_ORDER], "session_order",
					    "expected round-robin or random, found %s",
					    pf_yaml_found(&L->y, v[RK_SESSION_ORDER]));
	}
	if (v[RK_PRIORITY] && (rc = get_priority(L, v[RK_PRIORITY], "priority", p)) < 0)
		return rc;

	const yaml_node_t *mix = v[RK_MIX];
	size_t n_mix;
	if (!mix)
		return pf_yaml_missing(&L->y, root, "", "mix", "a list of requests");
	if ((rc = pf_yaml_seq(&L->y, mix, "mix", "a list of requests", 1, SIZE_MAX, &n_mix)) < 0)
		return rc;
	if (n_mix > PF_PROFILE_MAX_ENTRIES)
		return pf_yaml_fail(&L->y, mix, "mix",
				    "expected at most %d entries, found %zu",
				    PF_PROFILE_MAX_ENTRIES, n_mix);
	uint64_t total = 0;
	for (size_t i = 0; i < n_mix; i++) {
		if ((rc = load_entry(L, pf_yaml_seq_at(&L->y, mix, i), i)) < 0)
			return rc;
		p->n_entries++;
		total += p->entries[i].weight;
	}
	if (total == 0)
		return pf_yaml_fail(&L->y, mix, "mix",
				    "expected at least one entry with a positive weight, found every weight 0");

	char why[PF_YAML_LIST_LEN];
	if (pf_profile_check_pools(p, why, sizeof(why)) < 0)
		return pf_yaml_fail(&L->y, v[RK_SESSIONS] ? v[RK_SESSIONS] : mix,
				    "sessions", "%s", why);
	return 0;
}

int
pf_profile_load_buf(const char *name, const char *buf, size_t len, struct pf_profile *out,
		    char *err, size_t errlen)
{
	char dummy[1];
	struct loader L = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_parser = false, have_doc = false;
	const yaml_node_t *root;
	int rc;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (strlen(name) >= PF_PATH_LEN) {
		snprintf(err, errlen, "%s: cannot open: %s", name, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	L.p = calloc(1, sizeof(*L.p));
	if (!L.p || !(have_parser = yaml_parser_initialize(&parser))) {
		snprintf(err, errlen, "%s: out of memory", name);
		rc = -ENOMEM;
		goto out;
	}
	L.y.name = name;
	L.y.err = err;
	L.y.errlen = errlen;
	L.y.unit = "bytes";
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if ((rc = pf_yaml_load(&L.y, &parser, &doc, buf, len)) < 0)
		goto out;
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = pf_yaml_fail(&L.y, NULL, "mix",
				  "expected a list of requests (required), found an empty file");
		goto out;
	}
	pf_profile_default(L.p);
	L.p->n_entries = 0;
	memset(L.p->entries, 0, sizeof(L.p->entries));
	snprintf(L.p->path, sizeof(L.p->path), "%s", name);
	L.p->description[0] = '\0';
	rc = load_root(&L, root);
	if (rc == 0) {
		memcpy(out, L.p, sizeof(*out));
		L.p->intents = NULL; /* handed over */
		L.p->n_intents = 0;
	}
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (L.p) {
		pf_profile_free(L.p);
		free(L.p);
	}
	return rc;
}

int
pf_profile_load(const char *path, struct pf_profile *p, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	rc = pf_yaml_read_file(path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	rc = pf_profile_load_buf(path, buf, len, p, err, errlen);
	free(buf);
	return rc;
}
