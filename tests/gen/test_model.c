/* SPDX-License-Identifier: BSD-3-Clause */
/* test_model.c: pf-gen's request model. Frames built from templates (the
 * fast path for entries whose frames differ only in per-frame header
 * fields) must be byte for byte the frames built field by field, and
 * every frame must decode with the wire codec as what its entry asked. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gen.h"

#define FRAMES 5000
#define ROOM 1920 /* an mbuf's data room after the headroom */

static const uint8_t src_mac[6] = { 0x02, 0, 0, 0, 0, 1 };

static void
opts(struct gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	o->src_ip = 0x0a000001;
	o->dst_ip = 0x0a000002;
	o->udp_port = PF_UDP_PORT;
	o->src_port = 40000;
	o->cookie = 0x12345678;
}

/* Build FRAMES frames of profile p with and without templates, from the
 * same seed; n_tmpl: how many of its entries have a template. */
static void
compare(const struct pf_profile *p, uint16_t n_tx, unsigned int *n_tmpl)
{
	static struct gen_model fast, slow;
	struct gen_opts o;
	char err[256];

	opts(&o);
	CU_ASSERT_FATAL(gen_model_init(&fast, p, &o, src_mac, n_tx, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(gen_model_init(&slow, p, &o, src_mac, n_tx, err, sizeof(err)) == 0);
	slow.no_templates = true;
	CU_ASSERT_FATAL(gen_model_templates(&slow, err, sizeof(err)) == 0);
	*n_tmpl = 0;
	for (unsigned int i = 0; i < fast.n_entries; i++) {
		CU_ASSERT(slow.e[i].tmpl == NULL);
		*n_tmpl += fast.e[i].tmpl != NULL;
	}

	uint32_t *seq_f = calloc(fast.n_sessions, sizeof(*seq_f));
	uint32_t *seq_s = calloc(fast.n_sessions, sizeof(*seq_s));
	uint8_t *a = malloc(ROOM), *b = malloc(ROOM);
	CU_ASSERT_FATAL(seq_f && seq_s && a && b);

	for (uint16_t tx = 0; tx < n_tx; tx++) {
		struct gen_picker pf, ps;
		gen_picker_init(&pf, &fast, tx, 7, seq_f);
		gen_picker_init(&ps, &slow, tx, 7, seq_s);
		unsigned int mismatches = 0;
		for (int k = 0; k < FRAMES; k++) {
			uint32_t sf, ss;
			memset(a, 0xa5, ROOM);
			memset(b, 0x5a, ROOM);
			uint16_t lf = gen_build(&fast, &pf, a, ROOM, &sf);
			uint16_t ls = gen_build(&slow, &ps, b, ROOM, &ss);
			CU_ASSERT_FATAL(lf > 0);
			CU_ASSERT_EQUAL(lf, ls);
			CU_ASSERT_EQUAL(sf, ss);
			if (lf != ls || memcmp(a, b, lf) != 0)
				mismatches++;

			/* What a receiver sees: a valid request of this session. */
			struct pf_msg msg;
			CU_ASSERT_EQUAL(pf_decode(a + GEN_PF_OFF, lf - GEN_PF_OFF, &msg), 0);
			CU_ASSERT_EQUAL(msg.type, PF_MSG_REQUEST);
			CU_ASSERT_EQUAL(msg.seq + 1, seq_f[sf]);
			CU_ASSERT_EQUAL(msg.trace_id >> 32, o.cookie);
			CU_ASSERT_EQUAL((uint32_t)msg.trace_id, (uint32_t)k);
			/* IPv4 total length and header checksum (sum of the header
			 * in one's complement is 0xffff when it is right). */
			const uint8_t *ip = a + 14;
			CU_ASSERT_EQUAL(ip[2] << 8 | ip[3], lf - 14);
			uint32_t sum = 0;
			for (int i = 0; i < 20; i += 2)
				sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			CU_ASSERT_EQUAL(sum, 0xffff);
			CU_ASSERT_EQUAL(a[34] << 8 | a[35], o.src_port + (sf & 1023));
		}
		CU_ASSERT_EQUAL(mismatches, 0);
	}
	free(seq_f);
	free(seq_s);
	free(a);
	free(b);
	gen_model_fini(&fast);
	gen_model_fini(&slow);
}

static void
load(const char *path, struct pf_profile *p)
{
	char err[PF_PROFILE_ERR_LEN];
	int rc = pf_profile_load(path, p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_FATAL(rc == 0);
}

/* echo.yaml: one fixed-size entry, every frame from the template. */
static void
test_echo(void)
{
	struct pf_profile p;
	unsigned int n;

	load("configs/profiles/echo.yaml", &p);
	compare(&p, 1, &n);
	CU_ASSERT_EQUAL(n, 1);
	compare(&p, 4, &n); /* sessions split over four TX lcores */
	pf_profile_free(&p);
}

/* default.yaml: IMIX sizes, keys, intents chosen at random, priorities --
 * only its fixed-size entries without random content get templates. */
static void
test_default(void)
{
	struct pf_profile p;
	unsigned int n;

	load("configs/profiles/default.yaml", &p);
	compare(&p, 1, &n);
	pf_profile_free(&p);
}

/* A mix of template entries and others, two priorities, random sessions. */
static void
test_mixed(void)
{
	static const char y[] =
		"size: 200\n"
		"sessions: 40\n"
		"session_order: random\n"
		"priority: \"3:0,1:250\"\n"
		"mix:\n"
		"  - { name: a, capability: 1, element: CF.seq, fields: [data], weight: 3 }\n"
		"  - { name: b, capability: 2, element: DF.tr, fields: [data], size: 1486 }\n"
		"  - { name: c, capability: 3, element: DF.ag, fields: [key], keys: 99 }\n"
		"  - { name: d, capability: 1, element: CF.seq, fields: [data], size: 64-300 }\n";
	struct pf_profile p;
	char err[PF_PROFILE_ERR_LEN];
	unsigned int n;

	int rc = pf_profile_load_buf("mixed.yaml", y, sizeof(y) - 1, &p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_FATAL(rc == 0);
	compare(&p, 2, &n);
	CU_ASSERT_EQUAL(n, 2); /* a and b; c draws a key, d a size */
	pf_profile_free(&p);
}

int
main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	CU_pSuite s = CU_add_suite("gen_model", NULL, NULL);
	CU_add_test(s, "echo.yaml: templates equal field-by-field frames", test_echo);
	CU_add_test(s, "default.yaml: templates equal field-by-field frames", test_default);
	CU_add_test(s, "mixed entries, priorities, random sessions", test_mixed);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned int failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
