/* SPDX-License-Identifier: BSD-3-Clause */
/* test_rules.c: CUnit suite of the rules loader, compiler and packed form:
 * the shipped rule files scanned with Hyperscan, every file in tests/rules/bad. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <hs/hs.h>

#include "pf_config.h"
#include "pf_rules.h"

#define CONF "configs/default.conf"
#define EXAMPLE "configs/rules/example.rules"
#define BENCH "configs/rules/bench-1k.rules"
#define BAD_DIR "tests/rules/bad"
#define EXPECT "# expect: "
#define MAX_BAD 64
#define ERR_LEN 512
#define NO_RULE UINT32_MAX

static struct pf_config *cfg; /* ~100 KB: on the heap */
static struct pf_ruleset rs;
static hs_database_t *db;
static hs_scratch_t *scratch;
static char err[ERR_LEN];

static int
setup(void)
{
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -1;
	if (pf_config_load(CONF, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "\n    %s\n", err);
		return -1;
	}
	return 0;
}

static void
release(void)
{
	hs_free_scratch(scratch);
	hs_free_database(db);
	pf_rules_free(&rs);
	scratch = NULL;
	db = NULL;
}

static int
teardown(void)
{
	release();
	free(cfg);
	cfg = NULL;
	return 0;
}

/* Loads and compiles path into rs/db/scratch; prints the message on failure. */
static int
load_compile(const char *path)
{
	int rc;

	release();
	rc = pf_rules_load(path, cfg, &rs, err, sizeof(err));
	if (rc == 0)
		rc = pf_rules_compile(&rs, &db, err, sizeof(err));
	if (rc == 0 && hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
		rc = -ENOMEM;
	if (rc)
		fprintf(stderr, "\n    %s: %s (rc %d)\n", path, err, rc);
	return rc;
}

static const struct pf_rule *
rule_by_id(const struct pf_ruleset *set, uint32_t id)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (set->rules[i].id == id)
			return &set->rules[i];
	return NULL;
}

/* ---- scanning, with the precedence of docs/rules.md ---------------------- */

struct hits {
	uint32_t n;
	uint32_t idx[256]; /* Hyperscan ids = rule indexes */
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
	 unsigned int flags, void *ctx)
{
	struct hits *h = ctx;

	(void)from;
	(void)to;
	(void)flags;
	if (h->n < sizeof(h->idx) / sizeof(h->idx[0]))
		h->idx[h->n++] = id;
	return 0;
}

static int
scan(hs_database_t *d, hs_scratch_t *s, const char *text, struct hits *h)
{
	memset(h, 0, sizeof(*h));
	return hs_scan(d, text, (unsigned int)strlen(text), 0, s, on_match, h);
}

/* Winner among the hits: a deny/drop rule over any classify rule, then the
 * lowest index. Returns the rule index or NO_RULE. */
static uint32_t
winner(const struct pf_rule_rt *rt, const struct hits *h)
{
	uint32_t best = NO_RULE;
	int best_refuses = 0;

	for (uint32_t i = 0; i < h->n; i++) {
		uint32_t x = h->idx[i];
		int refuses = rt[x].action != PF_RULE_CLASSIFY;

		if (best == NO_RULE || refuses > best_refuses ||
		    (refuses == best_refuses && x < best)) {
			best = x;
			best_refuses = refuses;
		}
	}
	return best;
}

static struct pf_rule_rt *
rt_of(const struct pf_ruleset *set)
{
	struct pf_rule_rt *rt = calloc(set->n, sizeof(*rt));

	for (uint32_t i = 0; rt && i < set->n; i++) {
		rt[i].id = set->rules[i].id;
		rt[i].action = set->rules[i].action;
		rt[i].cap_id = set->rules[i].cap_id;
	}
	return rt;
}

/* intent -> the rule id that must win, or NO_RULE */
static const struct {
	const char *intent;
	uint32_t rule;
} example_intents[] = {
	{ "echo hello", 1 },
	{ "ECHO: once more", 1 },
	{ "echoes of the past", NO_RULE },     /* \b after echo */
	{ "hello, are  you there?", 2 },
	{ "please transform this text", 10 },
	{ "Transformer", NO_RULE },            /* \btransform\b */
	{ "make it UPPER CASE", 11 },
	{ "ingest and count per key", 20 },    /* 20 and 30 match: 20 is first */
	{ "count the words", 30 },
	{ "sum by region", 31 },
	{ "cache get user:42", 40 },
	{ "CACHE   PUT session", 40 },
	{ "lookup key=abc", 41 },
	{ "Lookup key=abc", NO_RULE },         /* rule 41 is case-sensitive */
	{ "match the data against patterns", 50 },
	{ "fan-out to all", 60 },
	{ "diffusion générale", 61 },
	{ "RÉPANDRE la nouvelle", 61 },
	{ "transform, then DROP  TABLE users", 900 }, /* deny beats classify 10 */
	{ "ls; rm -rf /", 901 },
	{ "ls && rm -fr /tmp", 901 },
	{ "probe-deadbeef", 950 },
	{ "probe-deadbeef2", NO_RULE },        /* anchored at both ends */
	{ "hello world", NO_RULE },
};

static void
check_example_intents(hs_database_t *d, hs_scratch_t *s,
		      const struct pf_rule_rt *rt, uint32_t n)
{
	for (size_t i = 0; i < sizeof(example_intents) / sizeof(example_intents[0]); i++) {
		struct hits h;
		uint32_t w, got;

		CU_ASSERT_EQUAL_FATAL(scan(d, s, example_intents[i].intent, &h), HS_SUCCESS);
		w = winner(rt, &h);
		CU_ASSERT_TRUE_FATAL(w == NO_RULE || w < n);
		got = w == NO_RULE ? NO_RULE : rt[w].id;
		CU_ASSERT_EQUAL(got, example_intents[i].rule);
		if (got != example_intents[i].rule)
			fprintf(stderr, "\n    \"%s\": rule %d, want %d\n",
				example_intents[i].intent, (int)got,
				(int)example_intents[i].rule);
	}
}

/* ---- the shipped files ------------------------------------------------------ */

/* 1-based line of the first line of path that equals text, or 0. */
static int
line_of_text(const char *path, const char *text)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, text) == 0) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	return 0;
}

static void
test_example_load(void)
{
	const struct pf_rule *r;

	CU_ASSERT_EQUAL_FATAL(load_compile(EXAMPLE), 0);
	CU_ASSERT_STRING_EQUAL(rs.path, EXAMPLE);
	CU_ASSERT_TRUE(rs.n >= 15);

	r = rule_by_id(&rs, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->pattern, "\\btransform\\b");
	CU_ASSERT_EQUAL(r->action, PF_RULE_CLASSIFY);
	CU_ASSERT_EQUAL(r->cap_id, pf_config_cap_by_name(cfg, "transform")->id);
	CU_ASSERT_EQUAL(r->hs_flags, HS_FLAG_CASELESS);
	CU_ASSERT_EQUAL(r->line, line_of_text(EXAMPLE, "  - id: 10"));

	r = rule_by_id(&rs, 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->cap_id, pf_config_cap_by_name(cfg, "ingest")->id);

	r = rule_by_id(&rs, 41); /* capability given by number */
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->cap_id, 4);
	CU_ASSERT_EQUAL(r->hs_flags, 0);

	r = rule_by_id(&rs, 61);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->hs_flags, HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_UCP);

	r = rule_by_id(&rs, 900);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->action, PF_RULE_DENY);
	CU_ASSERT_EQUAL(r->cap_id, 0);
	r = rule_by_id(&rs, 950);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->action, PF_RULE_DROP);

	/* every capability of default.conf has at least one rule */
	for (uint16_t c = 0; c < cfg->n_caps; c++) {
		int found = 0;

		for (uint32_t i = 0; i < rs.n; i++)
			found |= rs.rules[i].action == PF_RULE_CLASSIFY &&
				 rs.rules[i].cap_id == cfg->caps[c].id;
		CU_ASSERT_TRUE(found);
		if (!found)
			fprintf(stderr, "\n    no rule for %s\n", cfg->caps[c].name);
	}
}

static void
test_example_scan(void)
{
	struct pf_rule_rt *rt;

	CU_ASSERT_EQUAL_FATAL(load_compile(EXAMPLE), 0);
	rt = rt_of(&rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	check_example_intents(db, scratch, rt, rs.n);
	free(rt);
}

/* Whole output of a command, malloc'd; NULL if it failed. */
static char *
run(const char *cmd, size_t *len)
{
	FILE *p = popen(cmd, "r");
	char *buf = NULL;
	size_t cap = 0;
	int st;

	*len = 0;
	if (!p)
		return NULL;
	for (;;) {
		if (cap - *len < 4096) {
			char *nb = realloc(buf, cap + 65536);
			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		size_t r = fread(buf + *len, 1, cap - *len - 1, p);
		if (r == 0)
			break;
		*len += r;
	}
	st = pclose(p);
	if (!buf || st != 0) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

static void
test_bench_compiles(void)
{
	uint32_t per_cap[PF_MAX_CAP_ID + 1] = { 0 };

	CU_ASSERT_EQUAL_FATAL(load_compile(BENCH), 0);
	CU_ASSERT_EQUAL(rs.n, 1000);
	for (uint32_t i = 0; i < rs.n; i++) {
		CU_ASSERT_EQUAL(rs.rules[i].action, PF_RULE_CLASSIFY);
		per_cap[rs.rules[i].cap_id]++;
	}
	/* spread over the seven capabilities of default.conf */
	for (uint16_t c = 0; c < cfg->n_caps; c++)
		CU_ASSERT_TRUE(per_cap[cfg->caps[c].id] >= 1000 / cfg->n_caps);
}

/* The committed file is what its header's command prints. */
static void
test_bench_regenerates(void)
{
	size_t flen, glen;
	char *file = slurp(BENCH, &flen);
	char *gen = run("python3 scripts/gen-rules.py 1000", &glen);

	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gen);
	CU_ASSERT_PTR_NOT_NULL(strstr(file, "scripts/gen-rules.py 1000\n"));
	CU_ASSERT_EQUAL(flen, glen);
	CU_ASSERT_TRUE(flen == glen && memcmp(file, gen, flen) == 0);
	free(file);
	free(gen);
}

/*
 * gen-rules.py --intents --annotate: "ID<TAB>intent". An intent built for
 * rule ID must match it; a "-" intent must match nothing; and the share of
 * matching ones is the one asked for.
 */
static void
test_bench_intents(void)
{
	size_t len;
	unsigned int total = 0, matched = 0, bad = 0;
	char *out, *line, *save = NULL;

	/* compiled by the test before (a 1000-rule compile takes a while) */
	if (!db || strcmp(rs.path, BENCH) != 0)
		CU_ASSERT_EQUAL_FATAL(load_compile(BENCH), 0);
	out = run("python3 scripts/gen-rules.py 1000 --intents 2000 --match-share 0.3 "
		  "--annotate", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		struct hits h;
		int ok;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tab);
		*tab = '\0';
		CU_ASSERT_EQUAL_FATAL(scan(db, scratch, tab + 1, &h), HS_SUCCESS);
		total++;
		matched += h.n > 0;
		if (strcmp(line, "-") == 0) {
			ok = h.n == 0;
		} else {
			uint32_t want = (uint32_t)strtoul(line, NULL, 10);

			ok = 0;
			for (uint32_t i = 0; i < h.n; i++)
				ok |= rs.rules[h.idx[i]].id == want;
		}
		if (!ok && bad++ < 5)
			fprintf(stderr, "\n    rule %s, intent \"%s\": %u matches\n", line,
				tab + 1, h.n);
	}
	CU_ASSERT_EQUAL(total, 2000);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(matched, 600);
	free(out);
}

/* ---- errors -------------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Each file of tests/rules/bad starts with "# expect: " and the message it
 * must produce, from pf_rules_load() or, if that accepts it, from
 * pf_rules_compile(). Both fail with -EINVAL; no two files alike.
 */
static void
test_bad_files(void)
{
	static char msgs[MAX_BAD][ERR_LEN];
	char *names[MAX_BAD];
	char path[512], line[ERR_LEN + 16];
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(BAD_DIR);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d)) != NULL && n < MAX_BAD) {
		size_t len = strlen(de->d_name);

		if (len > 6 && strcmp(de->d_name + len - 6, ".rules") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	CU_ASSERT_TRUE(n >= 8);

	for (size_t i = 0; i < n; i++) {
		struct pf_ruleset bad = { .n = 0 };
		hs_database_t *bdb = NULL;
		const char *expect;
		FILE *f;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", BAD_DIR, names[i]);
		f = fopen(path, "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		CU_ASSERT_EQUAL(strncmp(line, EXPECT, strlen(EXPECT)), 0);
		expect = line + strlen(EXPECT);
		/* "path:LINE: ..." */
		CU_ASSERT_EQUAL(strncmp(expect, path, strlen(path)), 0);
		CU_ASSERT_TRUE(expect[strlen(path)] == ':' &&
			       expect[strlen(path) + 1] >= '1' &&
			       expect[strlen(path) + 1] <= '9');

		rc = pf_rules_load(path, cfg, &bad, err, sizeof(err));
		if (rc == 0) {
			rc = pf_rules_compile(&bad, &bdb, err, sizeof(err));
			CU_ASSERT_PTR_NULL(bdb);
			pf_rules_free(&bad);
		} else {
			CU_ASSERT_PTR_NULL(bad.rules);
		}
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, expect));
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		if (rc != -EINVAL || !strstr(err, expect))
			fprintf(stderr, "\n    %s (rc %d)\n    want: %s\n    got:  %s\n",
				names[i], rc, expect, err);
		snprintf(msgs[i], sizeof(msgs[i]), "%s", err + strlen(path));
		for (size_t j = 0; j < i; j++)
			if (strcmp(msgs[j], msgs[i]) == 0)
				CU_FAIL("two bad files fail with the same error");
		if (bdb)
			hs_free_database(bdb);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
}

static int
load_str(const char *text, const struct pf_config *c, struct pf_ruleset *out)
{
	return pf_rules_load_buf("t.rules", text, strlen(text), c, out, err,
				 sizeof(err));
}

static void
test_message_format(void)
{
	struct pf_ruleset t = { .n = 0 };
	static const char four[] =
		"rules:\n"
		"  - { id: 1, pattern: a, capability: echo }\n"
		"  - { id: 2, pattern: b, capability: echo }\n"
		"  - { id: 3, pattern: c, capability: echo }\n"
		"  - { id: 4, pattern: d, flags: [foo], capability: echo }\n";

	CU_ASSERT_EQUAL(load_str(four, cfg, &t), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.rules:5: rules[3].flags: expected one of caseless, "
				    "dotall, multiline, utf8, ucp, found \"foo\"");
	CU_ASSERT_PTR_NULL(t.rules);
	CU_ASSERT_EQUAL(pf_rules_load("tests/rules/no-such.rules", cfg, &t, err,
				      sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "tests/rules/no-such.rules: cannot open: "
				    "No such file or directory");
	CU_ASSERT_EQUAL(load_str("", cfg, &t), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.rules:1: (top level): expected a mapping with the "
				    "key rules, found an empty file");
	CU_ASSERT_EQUAL(load_str("rules:\n  - { id: 1, pattern: a, capability: echo }\n"
				 "---\nrules: []\n", cfg, &t), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "found a second one"));
	/* a control byte in a value is escaped: the message stays one line */
	CU_ASSERT_EQUAL(load_str("rules:\n  - { id: 1, pattern: a, action: \"x\\ny\" }\n",
				 cfg, &t), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.rules:2: rules[0].action: expected one of classify, "
				    "deny, drop, found \"x\\x0ay\"");
}

/* Without a configuration: numeric ids only, unchecked. */
static void
test_without_config(void)
{
	struct pf_ruleset t = { .n = 0 };

	CU_ASSERT_EQUAL_FATAL(load_str("rules:\n  - { id: 0, pattern: a, capability: 4095 }\n"
				       "  - { id: 4294967295, pattern: b, action: drop }\n",
				       NULL, &t), 0);
	CU_ASSERT_EQUAL(t.n, 2);
	CU_ASSERT_EQUAL(t.rules[0].id, 0);
	CU_ASSERT_EQUAL(t.rules[0].cap_id, 4095);
	CU_ASSERT_EQUAL(t.rules[1].id, UINT32_MAX);
	CU_ASSERT_EQUAL(t.rules[1].action, PF_RULE_DROP);
	CU_ASSERT_STRING_EQUAL(t.path, "t.rules");
	pf_rules_free(&t);
	CU_ASSERT_PTR_NULL(t.rules);
	CU_ASSERT_EQUAL(t.n, 0);

	CU_ASSERT_EQUAL(load_str("rules:\n  - { id: 1, pattern: a, capability: echo }\n",
				 NULL, &t), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.rules:2: rules[0].capability: expected a numeric "
				    "capability id (names need a configuration), found \"echo\"");
	CU_ASSERT_EQUAL(load_str("rules:\n  - { id: 1, pattern: a, capability: 4096 }\n",
				 NULL, &t), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.rules:2: rules[0].capability: expected a capability "
				    "id between 1 and 4095, found \"4096\"");
}

static void
test_action_names(void)
{
	CU_ASSERT_STRING_EQUAL(pf_rule_action_name(PF_RULE_CLASSIFY), "classify");
	CU_ASSERT_STRING_EQUAL(pf_rule_action_name(PF_RULE_DENY), "deny");
	CU_ASSERT_STRING_EQUAL(pf_rule_action_name(PF_RULE_DROP), "drop");
	CU_ASSERT_PTR_NULL(pf_rule_action_name(3));
	CU_ASSERT_PTR_NULL(pf_rule_action_name(~0u));
}

/* ---- packed form ------------------------------------------------------------ */

/* Offsets of docs/rules.md's "Packed form". */
#define PACK_HDR 32
#define PACK_CHECKSUM 24
#define RT_SIZE 8

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

static void
reseal(uint8_t *buf, size_t len)
{
	uint64_t c = fnv1a64(buf + PACK_HDR, len - PACK_HDR);

	memcpy(buf + PACK_CHECKSUM, &c, sizeof(c));
}

static void
test_pack_round_trip(void)
{
	struct pf_rule_rt *rt = NULL;
	hs_database_t *db2 = NULL;
	hs_scratch_t *s2 = NULL;
	uint8_t *buf = NULL;
	uint32_t n = 0, magic, n_rules;
	uint16_t version;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(load_compile(EXAMPLE), 0);
	CU_ASSERT_EQUAL_FATAL(pf_rules_pack(&rs, db, &buf, &len), 0);
	CU_ASSERT_TRUE_FATAL(len > PACK_HDR + rs.n * RT_SIZE);
	memcpy(&magic, buf, 4);
	memcpy(&version, buf + 4, 2);
	memcpy(&n_rules, buf + 8, 4);
	CU_ASSERT_EQUAL(magic, 0x50465253u);
	CU_ASSERT_EQUAL(version, 1);
	CU_ASSERT_EQUAL(n_rules, rs.n);

	CU_ASSERT_EQUAL_FATAL(pf_rules_unpack(buf, len, &db2, &rt, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, rs.n);
	for (uint32_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(rt[i].id, rs.rules[i].id);
		CU_ASSERT_EQUAL(rt[i].action, rs.rules[i].action);
		CU_ASSERT_EQUAL(rt[i].cap_id, rs.rules[i].cap_id);
		CU_ASSERT_EQUAL(rt[i].pad, 0);
	}
	/* the unpacked database classifies like the original */
	CU_ASSERT_EQUAL_FATAL(hs_alloc_scratch(db2, &s2), HS_SUCCESS);
	check_example_intents(db2, s2, rt, n);

	/* a buffer at an odd address unpacks too */
	{
		uint8_t *odd = malloc(len + 1);
		struct pf_rule_rt *rt3 = NULL;
		hs_database_t *db3 = NULL;
		uint32_t n3 = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(odd);
		memcpy(odd + 1, buf, len);
		CU_ASSERT_EQUAL(pf_rules_unpack(odd + 1, len, &db3, &rt3, &n3), 0);
		CU_ASSERT_EQUAL(n3, n);
		hs_free_database(db3);
		free(rt3);
		free(odd);
	}
	hs_free_scratch(s2);
	hs_free_database(db2);
	free(rt);
	free(buf);
}

static void
expect_rejected(const uint8_t *buf, size_t len, int *worst)
{
	struct pf_rule_rt *rt = (struct pf_rule_rt *)1;
	hs_database_t *d = (hs_database_t *)1;
	uint32_t n = 7;
	int rc = pf_rules_unpack(buf, len, &d, &rt, &n);

	if (rc != -EPROTO && rc != -EINVAL)
		*worst = rc ? rc : 1;
	if (rc == 0) {
		hs_free_database(d);
		free(rt);
	} else if (d || rt || n) {
		*worst = 2; /* outputs not reset on failure */
	}
}

static void
test_pack_truncated(void)
{
	uint8_t *buf = NULL, *copy;
	size_t len;
	int worst = 0;

	CU_ASSERT_EQUAL_FATAL(load_compile(EXAMPLE), 0);
	CU_ASSERT_EQUAL_FATAL(pf_rules_pack(&rs, db, &buf, &len), 0);
	/* every prefix, each in a buffer of exactly that size (for ASan) */
	for (size_t l = 0; l < len; l++) {
		copy = malloc(l ? l : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		memcpy(copy, buf, l);
		expect_rejected(copy, l, &worst);
		free(copy);
	}
	CU_ASSERT_EQUAL(worst, 0);
	/* and one byte too many */
	copy = malloc(len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, buf, len);
	copy[len] = 0;
	worst = 0;
	expect_rejected(copy, len + 1, &worst);
	CU_ASSERT_EQUAL(worst, 0);
	expect_rejected(NULL, 0, &worst);
	CU_ASSERT_EQUAL(worst, 0);
	free(copy);
	free(buf);
}

static void
test_pack_garbled(void)
{
	uint8_t *buf = NULL;
	size_t len;
	int worst = 0;
	unsigned int bad_positions = 0;

	CU_ASSERT_EQUAL_FATAL(load_compile(EXAMPLE), 0);
	CU_ASSERT_EQUAL_FATAL(pf_rules_pack(&rs, db, &buf, &len), 0);
	/* one bit flipped at every byte of the header and the action table,
	 * then at every 13th byte of Hyperscan's: the checksum or a field
	 * catches each (Hyperscan alone accepts some flips of its bytes) */
	for (size_t i = 0; i < len; i += i < PACK_HDR + rs.n * RT_SIZE ? 1 : 13) {
		int before = worst;

		buf[i] ^= (uint8_t)(1u << (i % 8));
		expect_rejected(buf, len, &worst);
		buf[i] ^= (uint8_t)(1u << (i % 8));
		if (worst != before)
			bad_positions++;
		worst = 0;
	}
	CU_ASSERT_EQUAL(bad_positions, 0);

	/* garbled but resealed (checksum recomputed): the fields are checked */
	uint32_t k = 0; /* first classify rule */
	while (k < rs.n && rs.rules[k].action != PF_RULE_CLASSIFY)
		k++;
	CU_ASSERT_TRUE_FATAL(k < rs.n);
	struct {
		size_t off;
		uint16_t val;
		size_t size;
		const char *what;
	} edits[] = {
		{ PACK_HDR + 4, 3, 1, "action 3" },
		{ PACK_HDR + 5, 1, 1, "pad not 0" },
		{ PACK_HDR + k * RT_SIZE + 6, 0, 2, "classify with cap_id 0" },
		{ PACK_HDR + k * RT_SIZE + 6, PF_MAX_CAP_ID + 1, 2, "cap_id too large" },
		{ 8, 0, 2, "n_rules 0" },
		{ 8, (uint16_t)(rs.n + 1), 2, "n_rules one more" },
		{ 16, 0, 1, "db_len off by its low byte" },
	};
	for (size_t e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
		uint8_t *c = malloc(len);
		struct pf_rule_rt *rt = NULL;
		hs_database_t *d = NULL;
		uint32_t n = 0;
		int rc;

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		memcpy(c, buf, len);
		if (edits[e].size == 1)
			c[edits[e].off] = (uint8_t)edits[e].val;
		else
			memcpy(c + edits[e].off, &edits[e].val, 2);
		reseal(c, len);
		rc = pf_rules_unpack(c, len, &d, &rt, &n);
		CU_ASSERT_EQUAL(rc, -EPROTO);
		if (rc != -EPROTO)
			fprintf(stderr, "\n    %s: rc %d\n", edits[e].what, rc);
		if (rc == 0) {
			hs_free_database(d);
			free(rt);
		}
		free(c);
	}
	/* the first rule of example.rules is deny 900: give it a capability */
	{
		uint8_t *c = malloc(len);
		struct pf_rule_rt *rt = NULL;
		hs_database_t *d = NULL;
		uint32_t n = 0;

		CU_ASSERT_EQUAL_FATAL(rs.rules[0].action, PF_RULE_DENY);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		memcpy(c, buf, len);
		c[PACK_HDR + 6] = 1;
		reseal(c, len);
		CU_ASSERT_EQUAL(pf_rules_unpack(c, len, &d, &rt, &n), -EPROTO);
		/* Hyperscan's bytes garbled, sealed: Hyperscan refuses them */
		memcpy(c, buf, len);
		memset(c + PACK_HDR + rs.n * RT_SIZE, 0xa5, 16);
		reseal(c, len);
		CU_ASSERT_EQUAL(pf_rules_unpack(c, len, &d, &rt, &n), -EINVAL);
		free(c);
	}
	free(buf);
}

static void
test_compile_errors(void)
{
	struct pf_ruleset t = { .n = 0 };
	hs_database_t *d = (hs_database_t *)1;

	CU_ASSERT_EQUAL(pf_rules_compile(&t, &d, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL_FATAL(load_str("rules:\n  - { id: 1, pattern: a, capability: echo }\n"
				       "  - { id: 77, pattern: 'a{2,1}', capability: echo }\n",
				       cfg, &t), 0);
	CU_ASSERT_EQUAL(pf_rules_compile(&t, &d, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(strncmp(err, "t.rules:3: rules[1] (id 77): ", 29), 0);
	CU_ASSERT_TRUE(strlen(err) > 29); /* and Hyperscan's message */
	pf_rules_free(&t);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("rules: shipped files", setup, teardown);
	CU_add_test(s, "example.rules loads", test_example_load);
	CU_add_test(s, "example.rules classifies intents", test_example_scan);
	CU_add_test(s, "bench-1k.rules compiles", test_bench_compiles);
	CU_add_test(s, "bench-1k.rules is gen-rules.py's output", test_bench_regenerates);
	CU_add_test(s, "gen-rules.py intents match as annotated", test_bench_intents);
	s = CU_add_suite("rules: errors", setup, teardown);
	CU_add_test(s, "tests/rules/bad", test_bad_files);
	CU_add_test(s, "message format", test_message_format);
	CU_add_test(s, "numeric ids without a config", test_without_config);
	CU_add_test(s, "compile errors", test_compile_errors);
	CU_add_test(s, "action names", test_action_names);
	s = CU_add_suite("rules: packed form", setup, teardown);
	CU_add_test(s, "round trip", test_pack_round_trip);
	CU_add_test(s, "every truncation refused", test_pack_truncated);
	CU_add_test(s, "garbled buffers refused", test_pack_garbled);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
