/* SPDX-License-Identifier: BSD-3-Clause */
/* test_profile.c: CUnit suite of pf-gen's traffic profiles: value parsers,
 * the shipped profiles against configs/default.conf, malformed profiles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "pf_config.h"
#include "pf_periodic.h"
#include "pf_profile.h"
#include "pf_wire.h"

static struct pf_profile *prof;
static char err[PF_PROFILE_ERR_LEN];

static int
setup(void)
{
	prof = calloc(1, sizeof(*prof));
	return prof ? 0 : 1;
}

static int
teardown(void)
{
	pf_profile_free(prof);
	free(prof);
	return 0;
}

static int
load_text(const char *text)
{
	pf_profile_free(prof);
	memset(prof, 0, sizeof(*prof));
	return pf_profile_load_buf("t.yaml", text, strlen(text), prof, err, sizeof(err));
}

#define F(name) pf_field_bit(PF_FIELD_##name)

static void
test_rate(void)
{
	struct pf_rate r;

	CU_ASSERT_EQUAL(pf_rate_parse("100kpps", &r), 0);
	CU_ASSERT_EQUAL(r.kind, PF_RATE_PPS);
	CU_ASSERT_DOUBLE_EQUAL(r.value, 100000, 1e-9);
	CU_ASSERT_EQUAL(pf_rate_parse("1.5Mpps", &r), 0);
	CU_ASSERT_DOUBLE_EQUAL(r.value, 1500000, 1e-6);
	CU_ASSERT_EQUAL(pf_rate_parse("2500", &r), 0);
	CU_ASSERT_DOUBLE_EQUAL(r.value, 2500, 1e-9);
	CU_ASSERT_EQUAL(pf_rate_parse("10k", &r), 0);
	CU_ASSERT_DOUBLE_EQUAL(r.value, 10000, 1e-9);
	CU_ASSERT_EQUAL(pf_rate_parse("50%", &r), 0);
	CU_ASSERT_EQUAL(r.kind, PF_RATE_PERCENT);
	CU_ASSERT_DOUBLE_EQUAL(r.value, 50, 1e-9);
	CU_ASSERT_EQUAL(pf_rate_parse("max", &r), 0);
	CU_ASSERT_EQUAL(r.kind, PF_RATE_MAX);
	CU_ASSERT_EQUAL(pf_rate_parse("0", &r), -EINVAL);
	CU_ASSERT_EQUAL(pf_rate_parse("0%", &r), -EINVAL);
	CU_ASSERT_EQUAL(pf_rate_parse("101%", &r), -EINVAL);
	CU_ASSERT_EQUAL(pf_rate_parse("-5kpps", &r), -EINVAL);
	CU_ASSERT_EQUAL(pf_rate_parse("10 kpps", &r), -EINVAL);
	CU_ASSERT_EQUAL(pf_rate_parse("10kbps", &r), -EINVAL);
	CU_ASSERT_EQUAL(pf_rate_parse("fast", &r), -EINVAL);
	CU_ASSERT_EQUAL(pf_rate_parse("", &r), -EINVAL);
}

static void
test_duration(void)
{
	uint64_t ms;

	CU_ASSERT_EQUAL(pf_duration_parse("10s", &ms), 0);
	CU_ASSERT_EQUAL(ms, 10000);
	CU_ASSERT_EQUAL(pf_duration_parse("10", &ms), 0);
	CU_ASSERT_EQUAL(ms, 10000);
	CU_ASSERT_EQUAL(pf_duration_parse("250ms", &ms), 0);
	CU_ASSERT_EQUAL(ms, 250);
	CU_ASSERT_EQUAL(pf_duration_parse("1.5s", &ms), 0);
	CU_ASSERT_EQUAL(ms, 1500);
	CU_ASSERT_EQUAL(pf_duration_parse("2m", &ms), 0);
	CU_ASSERT_EQUAL(ms, 120000);
	CU_ASSERT_EQUAL(pf_duration_parse("1h", &ms), 0);
	CU_ASSERT_EQUAL(ms, 3600000);
	CU_ASSERT_EQUAL(pf_duration_parse("0", &ms), 0);
	CU_ASSERT_EQUAL(ms, 0);
	CU_ASSERT_EQUAL(pf_duration_parse("-1s", &ms), -EINVAL);
	CU_ASSERT_EQUAL(pf_duration_parse("5x", &ms), -EINVAL);
	CU_ASSERT_EQUAL(pf_duration_parse("s", &ms), -EINVAL);
	CU_ASSERT_EQUAL(pf_duration_parse("11d", &ms), -EINVAL);
	CU_ASSERT_EQUAL(pf_duration_parse("999999h", &ms), -EINVAL);
}

static void
test_size(void)
{
	struct pf_size_spec s;
	char buf[64];

	CU_ASSERT_EQUAL(pf_size_parse("128", &s), 0);
	CU_ASSERT_EQUAL(s.kind, PF_SIZE_FIXED);
	CU_ASSERT_TRUE(s.min == 128 && s.max == 128);
	CU_ASSERT_DOUBLE_EQUAL(pf_size_mean(&s), 128, 1e-9);
	CU_ASSERT_EQUAL(pf_size_parse("64-1518", &s), 0);
	CU_ASSERT_EQUAL(s.kind, PF_SIZE_RANGE);
	CU_ASSERT_DOUBLE_EQUAL(pf_size_mean(&s), 791, 1e-9);
	CU_ASSERT_STRING_EQUAL(pf_size_format(&s, buf, sizeof(buf)), "64-1518");
	CU_ASSERT_EQUAL(pf_size_parse("imix", &s), 0);
	CU_ASSERT_EQUAL(s.kind, PF_SIZE_IMIX);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_TRUE(s.min == 64 && s.max == 1518);
	/* (7*64 + 4*570 + 1*1518) / 12 */
	CU_ASSERT_DOUBLE_EQUAL(pf_size_mean(&s), 4246.0 / 12, 1e-9);
	CU_ASSERT_STRING_EQUAL(pf_size_format(&s, buf, sizeof(buf)), "7:64,4:570,1:1518");
	CU_ASSERT_EQUAL(pf_size_parse("3:100,1:1000", &s), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_DOUBLE_EQUAL(pf_size_mean(&s), 325, 1e-9);
	CU_ASSERT_EQUAL(pf_size_parse("63", &s), -EINVAL);
	CU_ASSERT_EQUAL(pf_size_parse("1519", &s), -EINVAL);
	CU_ASSERT_EQUAL(pf_size_parse("200-100", &s), -EINVAL);
	CU_ASSERT_EQUAL(pf_size_parse("0:64", &s), -EINVAL);
	CU_ASSERT_EQUAL(pf_size_parse("1:64,", &s), -EINVAL);
	CU_ASSERT_EQUAL(pf_size_parse("1:64,128", &s), -EINVAL);
	CU_ASSERT_EQUAL(pf_size_parse("1:20", &s), -EINVAL);
	CU_ASSERT_EQUAL(pf_size_parse("big", &s), -EINVAL);
}

static void
test_weights_sessions(void)
{
	struct pf_weighted w[PF_PROFILE_MAX_WEIGHTS];
	struct pf_session_pool pool = { 1000, 64 };

	CU_ASSERT_EQUAL(pf_weights_parse("7", w, PF_PROFILE_MAX_WEIGHTS, 0, 255), 1);
	CU_ASSERT_TRUE(w[0].weight == 1 && w[0].value == 7);
	CU_ASSERT_EQUAL(pf_weights_parse("9:0,1:200", w, PF_PROFILE_MAX_WEIGHTS, 0, 255), 2);
	CU_ASSERT_TRUE(w[1].weight == 1 && w[1].value == 200);
	CU_ASSERT_EQUAL(pf_weights_parse("9:0,1:256", w, PF_PROFILE_MAX_WEIGHTS, 0, 255), -EINVAL);
	CU_ASSERT_EQUAL(pf_weights_parse("1:1,1:2,1:3", w, 2, 0, 255), -EINVAL);
	CU_ASSERT_EQUAL(pf_weights_parse("", w, 2, 0, 255), -EINVAL);

	CU_ASSERT_EQUAL(pf_sessions_parse("16", &pool), 0);
	CU_ASSERT_TRUE(pool.first == 1000 && pool.count == 16);
	CU_ASSERT_EQUAL(pf_sessions_parse("100-199", &pool), 0);
	CU_ASSERT_TRUE(pool.first == 100 && pool.count == 100);
	CU_ASSERT_EQUAL(pf_sessions_parse("0", &pool), -EINVAL);
	CU_ASSERT_EQUAL(pf_sessions_parse("5-4", &pool), -EINVAL);
	CU_ASSERT_EQUAL(pf_sessions_parse("1-100000", &pool), -EINVAL);
	CU_ASSERT_EQUAL(pf_sessions_parse("x", &pool), -EINVAL);
}

static void
test_builtin(void)
{
	pf_profile_default(prof);
	CU_ASSERT_EQUAL(prof->n_entries, 1);
	CU_ASSERT_EQUAL(prof->entries[0].capability, 1);
	CU_ASSERT_EQUAL(prof->entries[0].group, PF_GROUP_CF);
	CU_ASSERT_EQUAL(prof->entries[0].element, 1);
	CU_ASSERT_EQUAL(prof->entries[0].fields, F(DATA));
	CU_ASSERT_EQUAL(pf_profile_sessions(prof), 64);
	CU_ASSERT_EQUAL(prof->rate.kind, PF_RATE_UNSET);
	pf_profile_free(prof);
}

static const struct pf_profile_entry *
entry(const char *name)
{
	for (unsigned int i = 0; i < prof->n_entries; i++)
		if (strcmp(prof->entries[i].name, name) == 0)
			return &prof->entries[i];
	return NULL;
}

/* default.yaml names what default.conf registers: every header-routed
 * entry's capability exists there with the same element, carries the
 * fields it requires, and uses operator sessions when the capability is
 * for operators only. */
static void
test_default_matches_config(void)
{
	struct pf_config *cfg = calloc(1, sizeof(*cfg));
	char cerr[PF_CONFIG_ERR_LEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(pf_config_load("configs/default.conf", cfg, cerr, sizeof(cerr)), 0);
	pf_profile_free(prof);
	int rc = pf_profile_load("configs/profiles/default.yaml", prof, err, sizeof(err));
	if (rc)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(prof->rate.kind, PF_RATE_PPS);
	CU_ASSERT_EQUAL(prof->duration_ms, 10000);
	CU_ASSERT_EQUAL(prof->warmup_ms, 1000);
	CU_ASSERT_EQUAL(prof->size.kind, PF_SIZE_IMIX);
	CU_ASSERT_EQUAL(prof->n_prio, 2);
	CU_ASSERT_EQUAL(prof->n_pools, 2);
	CU_ASSERT_TRUE(prof->pools[0].first == 1000 && prof->pools[0].count == 64);
	CU_ASSERT_TRUE(prof->pools[1].first == 100 && prof->pools[1].count == 100);

	uint64_t operator = pf_config_role_bit(cfg, "operator");
	int seen[PF_MAX_CAP_ID + 1] = { 0 };
	for (unsigned int i = 0; i < prof->n_entries; i++) {
		const struct pf_profile_entry *e = &prof->entries[i];
		if (e->classify)
			continue;
		const struct pf_cap_conf *c = pf_config_cap(cfg, e->capability);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		seen[c->id] = 1;
		CU_ASSERT_EQUAL(e->group, c->group);
		CU_ASSERT_EQUAL(e->element, c->element);
		CU_ASSERT_EQUAL(c->requires & ~e->fields, 0);
		const struct pf_session_pool *pool = &prof->pools[e->pool];
		for (uint32_t s = pool->first; s < pool->first + pool->count; s++)
			CU_ASSERT_TRUE(!c->roles ||
				       (pf_config_session_roles(cfg, s) & c->roles));
		(void)operator;
	}
	/* ... and every registered capability appears in the mix. */
	for (int i = 0; i < cfg->n_caps; i++)
		CU_ASSERT_TRUE(seen[cfg->caps[i].id]);
	const struct pf_profile_entry *put = entry("cache-put"), *get = entry("cache-get");
	CU_ASSERT_PTR_NOT_NULL_FATAL(put);
	CU_ASSERT_PTR_NOT_NULL_FATAL(get);
	CU_ASSERT_EQUAL(put->fields, F(KEY) | F(VALUE));
	CU_ASSERT_EQUAL(get->fields, F(KEY));
	CU_ASSERT_EQUAL(put->value_size, 32);
	CU_ASSERT_TRUE(put->has_size && put->size.max == 128);

	const struct pf_profile_entry *cl = entry("classified");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
	CU_ASSERT_TRUE(cl->classify);
	CU_ASSERT_EQUAL(cl->capability, 0);
	CU_ASSERT_EQUAL(cl->group, 0);
	CU_ASSERT_EQUAL(cl->fields, F(INTENT) | F(DATA) | F(KEY));
	CU_ASSERT_EQUAL(cl->n_intents, 14);
	CU_ASSERT_STRING_EQUAL(prof->intents[cl->first_intent], "echo: hello");
	CU_ASSERT_STRING_EQUAL(prof->intents[cl->first_intent + 12], "DROP TABLE users");
	free(cfg);
}

static void
test_echo_profile(void)
{
	pf_profile_free(prof);
	CU_ASSERT_EQUAL_FATAL(pf_profile_load("configs/profiles/echo.yaml", prof, err,
					      sizeof(err)), 0);
	CU_ASSERT_EQUAL(prof->n_entries, 1);
	CU_ASSERT_EQUAL(prof->entries[0].capability, 1);
	CU_ASSERT_EQUAL(prof->entries[0].fields, F(DATA));
	CU_ASSERT_EQUAL(prof->size.kind, PF_SIZE_FIXED);
	CU_ASSERT_EQUAL(prof->size.min, 64);
	CU_ASSERT_EQUAL(pf_profile_sessions(prof), 16);
	CU_ASSERT_TRUE(prof->n_prio == 1 && prof->prio[0].value == 0);
}

static const struct {
	const char *text;
	const char *message;
} bad[] = {
	{ "mix: [{capability: 1}]\nspeed: 10\n",
	  "t.yaml:2: speed: expected one of description, rate, duration, warmup, size, sessions, session_order, priority, mix, found unknown key" },
	{ "rate: 10 kpps\nmix: [{capability: 1}]\n",
	  "t.yaml:1: rate: expected a rate (max, N%, Npps, Nkpps or NMpps), found \"10 kpps\"" },
	{ "rate: 120%\nmix: [{capability: 1}]\n",
	  "t.yaml:1: rate: expected a rate (max, N%, Npps, Nkpps or NMpps), found \"120%\"" },
	{ "duration: soon\nmix: [{capability: 1}]\n",
	  "t.yaml:1: duration: expected a duration (Nms, Ns, Nm or Nh), found \"soon\"" },
	{ "size: 40\nmix: [{capability: 1}]\n",
	  "t.yaml:1: size: expected frame sizes in bytes with FCS, 64..1518 (N, A-B, imix or W:S,W:S,...), found \"40\"" },
	{ "priority: 300\nmix: [{capability: 1}]\n",
	  "t.yaml:1: priority: expected a priority 0..255 or a weighted list W:P,W:P,..., found \"300\"" },
	{ "session_order: sorted\nmix: [{capability: 1}]\n",
	  "t.yaml:1: session_order: expected round-robin or random, found \"sorted\"" },
	{ "sessions: {first: 5}\nmix: [{capability: 1}]\n",
	  "t.yaml:1: sessions.count: expected a number of sessions (required), found nothing" },
	{ "sessions: 0\nmix: [{capability: 1}]\n",
	  "t.yaml:1: sessions: expected sessions (a count N, ids A-B, or a mapping of first, count), found \"0\"" },
	{ "rate: max\n",
	  "t.yaml:1: mix: expected a list of requests (required), found nothing" },
	{ "mix: []\n",
	  "t.yaml:1: mix: expected a list of requests, found an empty list" },
	{ "mix:\n  - weight: 3\n",
	  "t.yaml:2: mix[0].capability: expected a capability id, an element, or classify: true (required), found nothing" },
	{ "mix:\n  - capability: 5000\n",
	  "t.yaml:2: mix[0].capability: expected an integer between 1 and 4095, found 5000" },
	{ "mix:\n  - capability: 1\n    element: CF.xx\n",
	  "t.yaml:3: mix[0].element: expected an element of the periodic table (GROUP.symbol, such as DF.tr), found \"CF.xx\"" },
	{ "mix:\n  - capability: 1\n    fields: [data, count]\n",
	  "t.yaml:3: mix[0].fields[1]: expected one of intent, data, key, value, found \"count\"" },
	{ "mix:\n  - capability: 1\n    fields: [data, data]\n",
	  "t.yaml:3: mix[0].fields[1]: expected each field once, found data again" },
	{ "mix:\n  - capability: 1\n    weight: -1\n",
	  "t.yaml:3: mix[0].weight: expected an integer, found \"-1\"" },
	{ "mix:\n  - capability: 1\n    weight: 0\n",
	  "t.yaml:2: mix: expected at least one entry with a positive weight, found every weight 0" },
	{ "mix:\n  - classify: true\n    capability: 1\n",
	  "t.yaml:3: mix[0].capability: expected no capability in a classify entry (the header names nothing), found \"1\"" },
	{ "mix:\n  - classify: true\n",
	  "t.yaml:2: mix[0].intents: expected a list of intents or an intents_file for a classify entry (required), found nothing" },
	{ "mix:\n  - classify: maybe\n",
	  "t.yaml:2: mix[0].classify: expected true or false, found \"maybe\"" },
	{ "mix:\n  - capability: 1\n    intents: [hello]\n",
	  "t.yaml:3: mix[0].intents: expected intents only with classify: true, found a list for a header-routed entry" },
	{ "mix:\n  - classify: true\n    intents: []\n",
	  "t.yaml:3: mix[0].intents: expected a list of intent texts, found an empty list" },
	{ "mix:\n  - classify: true\n    intents_file: no-such-intents.txt\n",
	  "t.yaml:3: mix[0].intents_file: expected a readable file, found \"no-such-intents.txt\" (no-such-intents.txt: No such file or directory)" },
	{ "mix:\n  - capability: 1\n    value_size: 5000\n",
	  "t.yaml:3: mix[0].value_size: expected an integer between 0 and 1024, found 5000" },
	{ "mix:\n  - {name: a, capability: 1}\n  - {name: a, capability: 2}\n",
	  "t.yaml:3: mix[1].name: expected a name no other entry has, found \"a\" (also mix[0])" },
	{ "mix:\n  - {capability: 1, colour: red}\n",
	  "t.yaml:2: mix[0].colour: expected one of name, weight, capability, element, classify, fields, intent, intents, intents_file, keys, value_size, size, sessions, found unknown key" },
	{ "mix:\n  - {capability: 1, sessions: 100-199}\n  - {capability: 2, sessions: 150-249}\n",
	  "t.yaml:3: mix[1].sessions: expected a session range equal to or disjoint from the others, found 150-249 overlapping 100-199" },
	{ "sessions: 16\nmix:\n  - {capability: 1, sessions: 1010-1020}\n",
	  "t.yaml:3: mix[0].sessions: expected a session range equal to or disjoint from the others, found 1010-1020 overlapping 1000-1015" },
	{ "mix:\n  - capability: 1\n  - capability: 2\nmix: []\n",
	  "t.yaml:4: mix: expected each key once, found it again (first at line 1)" },
	{ "mix: [{capability: 1}\n",
	  "t.yaml:2: syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 1)" },
	{ "mix: [{capability: 1}]\n---\nmix: []\n",
	  "t.yaml:3: (top level): expected one YAML document, found a second one" },
	{ "- 1\n- 2\n",
	  "t.yaml:1: (top level): expected a mapping of description, rate, duration, warmup, size, sessions, session_order, priority, mix, found a list" },
	{ "",
	  "t.yaml:1: mix: expected a list of requests (required), found an empty file" },
};

static void
test_bad_profiles(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = load_text(bad[i].text);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		if (strcmp(err, bad[i].message) != 0)
			fprintf(stderr, "\n  case %zu:\n    expected: %s\n    got:      %s\n", i,
				bad[i].message, err);
		CU_ASSERT_STRING_EQUAL(err, bad[i].message);
	}
}

static void
test_good_inline(void)
{
	int rc = load_text("rate: 50%\nduration: 2s\nwarmup: 500ms\nsize: 100-200\n"
			   "sessions: 8\nsession_order: random\npriority: \"1:0,1:255\"\n"
			   "mix:\n"
			   "  - {name: e, element: CF.seq, fields: [data], intent: \"say it\"}\n"
			   "  - {name: c, capability: 4, fields: [key, value], sessions: 100-109,"
			   " keys: 7, value_size: 0, size: 80}\n");
	if (rc)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(prof->rate.kind, PF_RATE_PERCENT);
	CU_ASSERT_EQUAL(prof->duration_ms, 2000);
	CU_ASSERT_EQUAL(prof->warmup_ms, 500);
	CU_ASSERT_EQUAL(prof->size.kind, PF_SIZE_RANGE);
	CU_ASSERT_EQUAL(prof->session_order, PF_SESSIONS_RANDOM);
	CU_ASSERT_TRUE(prof->pools[0].first == 1000 && prof->pools[0].count == 8);
	CU_ASSERT_EQUAL(prof->n_prio, 2);
	const struct pf_profile_entry *e = entry("e");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->capability, 0);
	CU_ASSERT_EQUAL(e->group, PF_GROUP_CF);
	CU_ASSERT_EQUAL(e->fields, F(DATA) | F(INTENT));
	CU_ASSERT_STRING_EQUAL(e->intent, "say it");
	const struct pf_profile_entry *c = entry("c");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->group, 0);
	CU_ASSERT_EQUAL(c->pool, 1);
	CU_ASSERT_EQUAL(c->keys, 7);
	CU_ASSERT_EQUAL(c->value_size, 0);
	CU_ASSERT_TRUE(c->has_size && c->size.min == 80);
}

/* intents_file: relative to the profile; blank lines and comments skipped;
 * gen-rules.py --annotate lines give the text after the tab. */
static void
test_intents_file(void)
{
	char dir[] = "/tmp/pf-test-profile-XXXXXX", path[128], ypath[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/intents.txt", dir);
	snprintf(ypath, sizeof(ypath), "%s/p.yaml", dir);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("# intents\n\nfirst intent\n17\tsecond intent\n-\tmatches nothing\r\n", f);
	fclose(f);
	f = fopen(ypath, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("mix:\n  - classify: true\n    intents_file: intents.txt\n"
	      "    intents: [inline one]\n", f);
	fclose(f);
	pf_profile_free(prof);
	int rc = pf_profile_load(ypath, prof, err, sizeof(err));
	if (rc)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(prof->entries[0].n_intents, 4);
	CU_ASSERT_STRING_EQUAL(prof->intents[0], "inline one");
	CU_ASSERT_STRING_EQUAL(prof->intents[1], "first intent");
	CU_ASSERT_STRING_EQUAL(prof->intents[2], "second intent");
	CU_ASSERT_STRING_EQUAL(prof->intents[3], "matches nothing");
	CU_ASSERT_EQUAL(prof->entries[0].fields, F(INTENT));
	pf_profile_free(prof);
	CU_ASSERT_EQUAL(prof->n_intents, 0);
	unlink(path);
	unlink(ypath);
	rmdir(dir);
	/* A file that cannot be opened. */
	CU_ASSERT_EQUAL(pf_profile_load("/nonexistent/p.yaml", prof, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/p.yaml: cannot open: No such file or directory");
}

/* A failed load leaves the profile as it was. */
static void
test_failure_leaves_profile(void)
{
	CU_ASSERT_EQUAL_FATAL(load_text("mix: [{capability: 7}]\n"), 0);
	CU_ASSERT_EQUAL(pf_profile_load_buf("t.yaml", "mix: []\n", 8, prof, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(prof->n_entries, 1);
	CU_ASSERT_EQUAL(prof->entries[0].capability, 7);
}

int
main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("profile", setup, teardown);
	CU_add_test(s, "rates", test_rate);
	CU_add_test(s, "durations", test_duration);
	CU_add_test(s, "frame sizes", test_size);
	CU_add_test(s, "weights and sessions", test_weights_sessions);
	CU_add_test(s, "built-in profile", test_builtin);
	CU_add_test(s, "default.yaml matches default.conf", test_default_matches_config);
	CU_add_test(s, "echo.yaml", test_echo_profile);
	CU_add_test(s, "malformed profiles: one-line errors", test_bad_profiles);
	CU_add_test(s, "a profile using every key", test_good_inline);
	CU_add_test(s, "intents files", test_intents_file);
	CU_add_test(s, "a failed load leaves the profile", test_failure_leaves_profile);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned int failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
