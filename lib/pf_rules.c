/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_rules.c: the Hyperscan rules file -- libyaml's document tree checked
 * key by key, compiled with hs_compile_multi, packed for the control socket. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "pf_rules.h"
#include "pf_yaml_private.h"

#define RULE_KEYS(X)                                                         \
	X(RK_ID, "id") X(RK_PATTERN, "pattern") X(RK_FLAGS, "flags")          \
	X(RK_ACTION, "action") X(RK_CAPABILITY, "capability")
#define TOP_KEYS(X) X(TK_RULES, "rules")

PF_YAML_DEFINE_KEYS(RULE_KEYS, RK);
PF_YAML_DEFINE_KEYS(TOP_KEYS, TK);

static const struct {
	const char *name;
	uint32_t hs_flag;
} flag_table[] = {
#define X(sym, str, hs) { str, hs },
	PF_RULE_FLAG_LIST(X)
#undef X
};
#define N_FLAGS (sizeof(flag_table) / sizeof(flag_table[0]))

static const char *const action_names[] = {
#define X(sym, val, str, desc) [val] = str,
	PF_RULE_ACTION_LIST(X)
#undef X
};
#define N_ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

struct loader {
	struct pf_yaml y;             /* file name, document, message */
	const struct pf_config *cfg;  /* for capability names, or NULL */
};

/* ---- one rule ----------------------------------------------------------- */

/* Decimal digits only, no sign: v = their value (saturated past 2^32). */
static bool
parse_uint(const yaml_node_t *n, unsigned long long *v)
{
	const char *s = pf_yaml_scalar(n);

	if (strlen(s) != n->data.scalar.length || s[0] < '0' || s[0] > '9')
		return false;
	*v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (*v <= UINT32_MAX)
			*v = *v * 10 + (unsigned long long)(*s - '0');
	}
	return true;
}

static int
rule_id(struct loader *L, const yaml_node_t *n, const char *key, uint32_t *id)
{
	unsigned long long v;

	if (n->type != YAML_SCALAR_NODE || pf_yaml_is_null(n) || !parse_uint(n, &v))
		return pf_yaml_fail(&L->y, n, key,
				    "expected an integer between 0 and %u, found %s",
				    UINT32_MAX, pf_yaml_found(&L->y, n));
	if (v > UINT32_MAX)
		return pf_yaml_fail(&L->y, n, key,
				    "expected an integer between 0 and %u, found %s",
				    UINT32_MAX, pf_yaml_found(&L->y, n));
	*id = (uint32_t)v;
	return 0;
}

static int
rule_pattern(struct loader *L, const yaml_node_t *n, const char *key,
	     char out[PF_PATTERN_LEN])
{
	const char *what = "a non-empty regular expression", *s;
	int rc = pf_yaml_text(&L->y, n, key, what, PF_PATTERN_LEN, &s);

	if (rc)
		return rc;
	if (*s == '\0') /* "" quoted: not null, but no expression either */
		return pf_yaml_fail(&L->y, n, key, "expected %s, found %s", what,
				    pf_yaml_found(&L->y, n));
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int
rule_flags(struct loader *L, const yaml_node_t *n, const char *key,
	   uint32_t *hs_flags)
{
	const char *names[N_FLAGS];
	char list[PF_YAML_LIST_LEN];
	uint32_t seen = 0;

	for (size_t f = 0; f < N_FLAGS; f++)
		names[f] = flag_table[f].name;
	pf_yaml_join(list, sizeof(list), names, N_FLAGS);
	*hs_flags = 0;
	if (pf_yaml_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return pf_yaml_fail(&L->y, n, key,
				    "expected a list of flags (%s), found %s", list,
				    pf_yaml_found(&L->y, n));
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		const yaml_node_t *f = pf_yaml_node(&L->y, *it);
		size_t j;

		for (j = 0; j < N_FLAGS; j++)
			if (pf_yaml_scalar_is(f, flag_table[j].name))
				break;
		if (j == N_FLAGS)
			return pf_yaml_fail(&L->y, f, key, "expected one of %s, found %s",
					    list, pf_yaml_found(&L->y, f));
		if (seen & (1u << j))
			return pf_yaml_fail(&L->y, f, key,
					    "expected each flag once, found %s again",
					    flag_table[j].name);
		seen |= 1u << j;
		*hs_flags |= flag_table[j].hs_flag;
	}
	/* Hyperscan refuses ucp without utf8; say so here, by name. */
	if ((*hs_flags & HS_FLAG_UCP) && !(*hs_flags & HS_FLAG_UTF8))
		return pf_yaml_fail(&L->y, n, key,
				    "expected utf8 along with ucp, found ucp alone");
	return 0;
}

static int
rule_action(struct loader *L, const yaml_node_t *n, const char *key,
	    uint8_t *action)
{
	char list[PF_YAML_LIST_LEN];

	for (size_t a = 0; a < N_ACTIONS; a++) {
		if (pf_yaml_scalar_is(n, action_names[a])) {
			*action = (uint8_t)a;
			return 0;
		}
	}
	return pf_yaml_fail(&L->y, n, key, "expected one of %s, found %s",
			    pf_yaml_join(list, sizeof(list), action_names, N_ACTIONS),
			    pf_yaml_found(&L->y, n));
}

/* Capability by name (needs cfg) or by id (checked when cfg is given). */
static int
rule_capability(struct loader *L, const yaml_node_t *n, const char *key,
		uint16_t *cap_id)
{
	const struct pf_cap_conf *cap;
	const char *names[PF_MAX_CAPS];
	char list[PF_YAML_LIST_LEN];
	unsigned long long v;

	if (n->type != YAML_SCALAR_NODE || pf_yaml_is_null(n))
		return pf_yaml_fail(&L->y, n, key,
				    "expected a capability name or id, found %s",
				    pf_yaml_found(&L->y, n));
	if (parse_uint(n, &v)) {
		if (v < 1 || v > PF_MAX_CAP_ID)
			return pf_yaml_fail(&L->y, n, key,
					    "expected a capability id between 1 and %d, found %s",
					    PF_MAX_CAP_ID, pf_yaml_found(&L->y, n));
		if (L->cfg && !pf_config_cap(L->cfg, (uint16_t)v))
			return pf_yaml_fail(&L->y, n, key,
					    "expected the id of a capability of %s, found %s (no such id)",
					    L->cfg->path[0] ? L->cfg->path : "the configuration",
					    pf_yaml_found(&L->y, n));
		*cap_id = (uint16_t)v;
		return 0;
	}
	if (!L->cfg)
		return pf_yaml_fail(&L->y, n, key,
				    "expected a numeric capability id (names need a configuration), found %s",
				    pf_yaml_found(&L->y, n));
	cap = strlen(pf_yaml_scalar(n)) == n->data.scalar.length ?
		      pf_config_cap_by_name(L->cfg, pf_yaml_scalar(n)) : NULL;
	if (!cap) {
		for (uint16_t i = 0; i < L->cfg->n_caps; i++)
			names[i] = L->cfg->caps[i].name;
		return pf_yaml_fail(&L->y, n, key, "expected one of %s, found %s",
				    L->cfg->n_caps ?
					    pf_yaml_join(list, sizeof(list), names, L->cfg->n_caps) :
					    "(no capabilities configured)",
				    pf_yaml_found(&L->y, n));
	}
	*cap_id = cap->id;
	return 0;
}

static int
load_rule(struct loader *L, const yaml_node_t *n, size_t idx, struct pf_rule *r)
{
	const yaml_node_t *v[RK_COUNT], *k[RK_COUNT];
	char key[PF_YAML_KEY_LEN], sub[PF_YAML_KEY_LEN];
	int rc;

	pf_yaml_kidx(key, "rules", idx);
#define SUB(i) pf_yaml_kjoin(sub, key, RK_names[i])
	rc = pf_yaml_map_strict(&L->y, n, key, RK_names, RK_COUNT, v, k);
	if (rc)
		return rc;
	memset(r, 0, sizeof(*r));
	r->line = (int)pf_yaml_line(n);
	r->action = PF_RULE_CLASSIFY;
	if (!v[RK_ID])
		return pf_yaml_missing(&L->y, n, key, "id", "an integer");
	if ((rc = rule_id(L, v[RK_ID], SUB(RK_ID), &r->id)))
		return rc;
	if (!v[RK_PATTERN])
		return pf_yaml_missing(&L->y, n, key, "pattern", "a regular expression");
	if ((rc = rule_pattern(L, v[RK_PATTERN], SUB(RK_PATTERN), r->pattern)))
		return rc;
	if (v[RK_FLAGS] && (rc = rule_flags(L, v[RK_FLAGS], SUB(RK_FLAGS), &r->hs_flags)))
		return rc;
	if (v[RK_ACTION] && (rc = rule_action(L, v[RK_ACTION], SUB(RK_ACTION), &r->action)))
		return rc;
	if (r->action == PF_RULE_CLASSIFY) {
		if (!v[RK_CAPABILITY])
			return pf_yaml_fail(&L->y, n, SUB(RK_CAPABILITY),
					    "expected a capability name or id (required by action classify), found nothing");
		return rule_capability(L, v[RK_CAPABILITY], SUB(RK_CAPABILITY), &r->cap_id);
	}
	if (v[RK_CAPABILITY])
		return pf_yaml_fail(&L->y, k[RK_CAPABILITY], SUB(RK_CAPABILITY),
				    "expected no capability with action %s (only classify routes), found %s",
				    action_names[r->action],
				    pf_yaml_found(&L->y, v[RK_CAPABILITY]));
#undef SUB
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	const struct pf_rule *x = *(const struct pf_rule *const *)a;
	const struct pf_rule *y = *(const struct pf_rule *const *)b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Ids are unique: sort pointers by (id, line) and compare neighbours, so that
 * the message points at the later of two rules. */
static int
check_unique(struct loader *L, const struct pf_rule *rules, uint32_t n)
{
	const struct pf_rule **p;
	int rc = 0;

	if (n < 2)
		return 0;
	p = malloc(n * sizeof(*p));
	if (!p) {
		snprintf(L->y.err, L->y.errlen, "%s: out of memory", L->y.name);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		p[i] = &rules[i];
	qsort(p, n, sizeof(*p), cmp_id);
	for (uint32_t i = 1; i < n; i++) {
		if (p[i]->id == p[i - 1]->id) {
			snprintf(L->y.err, L->y.errlen,
				 "%s:%d: rules[%zu].id: expected a unique id, found %u again (first at line %d)",
				 L->y.name, p[i]->line, (size_t)(p[i] - rules), p[i]->id,
				 p[i - 1]->line);
			rc = -EINVAL;
			break;
		}
	}
	free(p);
	return rc;
}

static int
load_root(struct loader *L, const yaml_node_t *root, struct pf_ruleset *rs)
{
	const yaml_node_t *v[TK_COUNT], *k[TK_COUNT], *seq;
	size_t n;
	int rc;

	if (!root)
		return pf_yaml_fail(&L->y, NULL, "",
				    "expected a mapping with the key rules, found an empty file");
	rc = pf_yaml_map_strict(&L->y, root, "", TK_names, TK_COUNT, v, k);
	if (rc)
		return rc;
	seq = v[TK_RULES];
	if (!seq)
		return pf_yaml_missing(&L->y, root, "", "rules", "a list of rules");
	rc = pf_yaml_seq(&L->y, seq, "rules", "a list of rules", 1, SIZE_MAX, &n);
	if (rc)
		return rc;
	if (n > PF_MAX_RULES)
		return pf_yaml_fail(&L->y, seq, "rules",
				    "expected at most %d rules, found %zu", PF_MAX_RULES,
				    n);
	rs->rules = calloc(n, sizeof(*rs->rules));
	if (!rs->rules) {
		snprintf(L->y.err, L->y.errlen, "%s: out of memory", L->y.name);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		rc = load_rule(L, pf_yaml_seq_at(&L->y, seq, i), i, &rs->rules[i]);
		if (rc)
			return rc;
	}
	rs->n = (uint32_t)n;
	return check_unique(L, rs->rules, rs->n);
}

/* ---- entry points ------------------------------------------------------- */

/* Both entry points come here, a file or a buffer alike: a reader error
 * (bad UTF-8) takes its line from the parser (buf NULL). */
static int
load(yaml_parser_t *parser, const char *name, const struct pf_config *cfg,
     struct pf_ruleset *rs, char *err, size_t errlen)
{
	struct loader L = {
		.y = { .name = name, .err = err, .errlen = errlen },
		.cfg = cfg,
	};
	struct pf_ruleset tmp = { .n = 0, .rules = NULL };
	yaml_document_t doc;
	int rc;

	rc = pf_yaml_load(&L.y, parser, &doc, NULL, 0);
	if (rc)
		return rc;
	rc = load_root(&L, yaml_document_get_root_node(&doc), &tmp);
	yaml_document_delete(&doc);
	if (rc) {
		free(tmp.rules);
		return rc;
	}
	snprintf(tmp.path, sizeof(tmp.path), "%s", name);
	*rs = tmp;
	return 0;
}

int
pf_rules_load_buf(const char *name, const char *buf, size_t len,
		  const struct pf_config *cfg, struct pf_ruleset *rs, char *err,
		  size_t errlen)
{
	char dummy[1];
	yaml_parser_t parser;
	int rc;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	rc = load(&parser, name, cfg, rs, err, errlen);
	yaml_parser_delete(&parser);
	return rc;
}

int
pf_rules_load(const char *path, const struct pf_config *cfg,
	      struct pf_ruleset *rs, char *err, size_t errlen)
{
	char dummy[1];
	yaml_parser_t parser;
	struct stat st;
	FILE *f;
	int rc;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		goto fail;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto fail;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	rc = load(&parser, path, cfg, rs, err, errlen);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
fail:
	if (f)
		fclose(f);
	snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
	return rc;
}

void
pf_rules_free(struct pf_ruleset *rs)
{
	if (!rs)
		return;
	free(rs->rules);
	rs->rules = NULL;
	rs->n = 0;
}

const char *
pf_rule_action_name(unsigned int action)
{
	return action < N_ACTIONS ? action_names[action] : NULL;
}

/* ---- compilation --------------------------------------------------------- */

int
pf_rules_compile(const struct pf_ruleset *rs, hs_database_t **db, char *err,
		 size_t errlen)
{
	const char **exprs = NULL;
	unsigned int *flags = NULL, *ids = NULL;
	hs_compile_error_t *cerr = NULL;
	char dummy[1];
	hs_error_t hrc;
	int rc;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	*db = NULL;
	if (rs->n == 0 || rs->n > PF_MAX_RULES) {
		snprintf(err, errlen, "%s: expected 1 to %d rules, found %u", rs->path,
			 PF_MAX_RULES, rs->n);
		return -EINVAL;
	}
	exprs = malloc(rs->n * sizeof(*exprs));
	flags = malloc(rs->n * sizeof(*flags));
	ids = malloc(rs->n * sizeof(*ids));
	if (!exprs || !flags || !ids) {
		snprintf(err, errlen, "%s: out of memory", rs->path);
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < rs->n; i++) {
		exprs[i] = rs->rules[i].pattern;
		/* one match per rule and scan is all the dataplane reports */
		flags[i] = rs->rules[i].hs_flags | HS_FLAG_SINGLEMATCH;
		ids[i] = i;
	}
	hrc = hs_compile_multi(exprs, flags, ids, rs->n, HS_MODE_BLOCK, NULL, db,
			       &cerr);
	if (hrc == HS_SUCCESS) {
		rc = 0;
	} else if (hrc == HS_COMPILER_ERROR && cerr && cerr->expression >= 0 &&
		   (uint32_t)cerr->expression < rs->n) {
		const struct pf_rule *r = &rs->rules[cerr->expression];

		snprintf(err, errlen, "%s:%d: rules[%d] (id %u): %s", rs->path,
			 r->line, cerr->expression, r->id, cerr->message);
		rc = -EINVAL;
	} else if (hrc == HS_NOMEM) {
		snprintf(err, errlen, "%s: hyperscan: out of memory", rs->path);
		rc = -ENOMEM;
	} else {
		snprintf(err, errlen, "%s: hyperscan: %s (error %d)", rs->path,
			 cerr && cerr->message ? cerr->message : "compile failed", hrc);
		rc = -EIO;
	}
	if (cerr)
		hs_free_compile_error(cerr);
	if (rc)
		*db = NULL;
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

/* ---- packed form ----------------------------------------------------------
 * docs/rules.md, "Packed form". Host byte order: the Hyperscan database is
 * only valid on a host like the one that compiled it anyway. */

#define PACK_MAGIC 0x50465253u /* "PFRS" */
#define PACK_VERSION 1

struct pack_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_len;   /* sizeof(struct pack_hdr) */
	uint32_t n_rules;   /* entries of the action table */
	uint32_t rt_size;   /* sizeof(struct pf_rule_rt) */
	uint64_t db_len;    /* bytes of hs_serialize_database() output */
	uint64_t checksum;  /* FNV-1a 64 of every byte after this header */
};

_Static_assert(sizeof(struct pack_hdr) == 32, "pack header is 32 bytes");
_Static_assert(sizeof(struct pf_rule_rt) == 8, "pf_rule_rt is 8 bytes");

static uint64_t
fnv1a64(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int
pf_rules_pack(const struct pf_ruleset *rs, const hs_database_t *db,
	      uint8_t **out, size_t *out_len)
{
	struct pack_hdr h = { 0 };
	char *bytes = NULL;
	size_t db_len = 0, total, off;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	if (rs->n == 0 || rs->n > PF_MAX_RULES || !db)
		return -EINVAL;
	if (hs_serialize_database(db, &bytes, &db_len) != HS_SUCCESS)
		return -EIO;
	total = sizeof(h) + (size_t)rs->n * sizeof(struct pf_rule_rt) + db_len;
	buf = malloc(total);
	if (!buf) {
		free(bytes); /* hs's default misc allocator is malloc */
		return -ENOMEM;
	}
	off = sizeof(h);
	for (uint32_t i = 0; i < rs->n; i++) {
		struct pf_rule_rt rt = {
			.id = rs->rules[i].id,
			.action = rs->rules[i].action,
			.pad = 0,
			.cap_id = rs->rules[i].action == PF_RULE_CLASSIFY ?
					  rs->rules[i].cap_id : 0,
		};
		memcpy(buf + off, &rt, sizeof(rt));
		off += sizeof(rt);
	}
	memcpy(buf + off, bytes, db_len);
	free(bytes);
	h.magic = PACK_MAGIC;
	h.version = PACK_VERSION;
	h.hdr_len = sizeof(h);
	h.n_rules = rs->n;
	h.rt_size = sizeof(struct pf_rule_rt);
	h.db_len = db_len;
	h.checksum = fnv1a64(buf + sizeof(h), total - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	*out = buf;
	*out_len = total;
	return 0;
}

int
pf_rules_unpack(const uint8_t *buf, size_t len, hs_database_t **db,
		struct pf_rule_rt **actions, uint32_t *n_rules)
{
	struct pf_rule_rt *rt = NULL;
	struct pack_hdr h;
	size_t table, hs_size;
	hs_error_t hrc;
	int rc;

	*db = NULL;
	*actions = NULL;
	*n_rules = 0;
	if (!buf || len < sizeof(h))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h)); /* buf need not be aligned */
	if (h.magic != PACK_MAGIC || h.version != PACK_VERSION ||
	    h.hdr_len != sizeof(h) || h.rt_size != sizeof(struct pf_rule_rt) ||
	    h.n_rules == 0 || h.n_rules > PF_MAX_RULES || h.db_len == 0)
		return -EPROTO;
	table = (size_t)h.n_rules * sizeof(struct pf_rule_rt);
	/* n_rules is bounded above, so table cannot overflow; db_len can lie */
	if (len - sizeof(h) < table || h.db_len != len - sizeof(h) - table)
		return -EPROTO;
	if (fnv1a64(buf + sizeof(h), len - sizeof(h)) != h.checksum)
		return -EPROTO;
	rt = malloc(table);
	if (!rt)
		return -ENOMEM;
	memcpy(rt, buf + sizeof(h), table);
	for (uint32_t i = 0; i < h.n_rules; i++) {
		bool classify = rt[i].action == PF_RULE_CLASSIFY;

		if (rt[i].action >= N_ACTIONS || rt[i].pad != 0 ||
		    (classify && (rt[i].cap_id < 1 || rt[i].cap_id > PF_MAX_CAP_ID)) ||
		    (!classify && rt[i].cap_id != 0)) {
			rc = -EPROTO;
			goto fail;
		}
	}
	/* Hyperscan's own header must agree with the length we were given */
	if (hs_serialized_database_size((const char *)buf + sizeof(h) + table,
					h.db_len, &hs_size) != HS_SUCCESS) {
		rc = -EINVAL;
		goto fail;
	}
	hrc = hs_deserialize_database((const char *)buf + sizeof(h) + table,
				      h.db_len, db);
	if (hrc != HS_SUCCESS) {
		*db = NULL;
		rc = hrc == HS_NOMEM ? -ENOMEM : -EINVAL;
		goto fail;
	}
	*actions = rt;
	*n_rules = h.n_rules;
	return 0;
fail:
	free(rt);
	return rc;
}
