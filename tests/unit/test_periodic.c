/* SPDX-License-Identifier: BSD-3-Clause */
/* test_periodic.c: CUnit suite of the periodic table: numbering, lookups by
 * symbol and number, properties and routing hints, bonds. */
#include <errno.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "pf_periodic.h"
#include "pf_wire.h"

static const char *const symbols[PF_GROUP_COUNT][PF_ELEMENTS_PER_GROUP] = {
	{ "seq", "br", "lp", "ex" }, { "pr", "cs", "tr", "ag" },
	{ "sg", "tm", "th", "pt" },  { "ba", "bc", "ga", "el" },
	{ "sp", "mg", "ad", "rf" },  { "al", "rl", "lk", "ca" },
};

static void
test_numbering(void)
{
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++) {
		for (unsigned int i = 1; i <= PF_ELEMENTS_PER_GROUP; i++) {
			const struct pf_element *e = pf_element_at(g, i);
			CU_ASSERT_PTR_NOT_NULL_FATAL(e);
			CU_ASSERT_EQUAL(e->group, g);
			CU_ASSERT_EQUAL(e->index, i);
			CU_ASSERT_EQUAL(e->number, (g - 1) * 4 + i);
			CU_ASSERT_STRING_EQUAL(e->symbol, symbols[g - 1][i - 1]);
			CU_ASSERT_PTR_EQUAL(pf_element_get(e->number), e);
			CU_ASSERT_PTR_NOT_NULL(e->name);
			CU_ASSERT_PTR_NOT_NULL(e->behaviour);
			CU_ASSERT_TRUE(e->hint.replicate >= 1);
			CU_ASSERT_TRUE(e->hint.balance < PF_BALANCE_COUNT);
		}
	}
	CU_ASSERT_PTR_NULL(pf_element_get(0));
	CU_ASSERT_PTR_NULL(pf_element_get(25));
	CU_ASSERT_PTR_NULL(pf_element_at(0, 1));
	CU_ASSERT_PTR_NULL(pf_element_at(7, 1));
	CU_ASSERT_PTR_NULL(pf_element_at(1, 0));
	CU_ASSERT_PTR_NULL(pf_element_at(1, 5));
	/* The header's byte ranges are the table's. */
	CU_ASSERT_EQUAL(PF_GROUP_COUNT, 6);
	CU_ASSERT_EQUAL(PF_ELEMENT_COUNT, 24);
}

static void
test_symbols_unique(void)
{
	for (unsigned int a = 1; a <= PF_ELEMENT_COUNT; a++)
		for (unsigned int b = a + 1; b <= PF_ELEMENT_COUNT; b++)
			CU_ASSERT_STRING_NOT_EQUAL(pf_element_get(a)->symbol,
						   pf_element_get(b)->symbol);
}

static void
test_lookup_by_symbol(void)
{
	CU_ASSERT_EQUAL(pf_element_by_symbol("tr")->number, 7);
	CU_ASSERT_EQUAL(pf_element_by_symbol("DF.tr")->number, 7);
	CU_ASSERT_EQUAL(pf_element_by_symbol("df.TR")->number, 7);
	CU_ASSERT_EQUAL(pf_element_by_symbol("RM.ca")->number, 24);
	CU_ASSERT_EQUAL(pf_element_by_symbol("seq")->number, 1);
	CU_ASSERT_PTR_NULL(pf_element_by_symbol("CF.tr")); /* wrong group */
	CU_ASSERT_PTR_NULL(pf_element_by_symbol("XX.tr"));
	CU_ASSERT_PTR_NULL(pf_element_by_symbol("zz"));
	CU_ASSERT_PTR_NULL(pf_element_by_symbol(".tr"));
	CU_ASSERT_PTR_NULL(pf_element_by_symbol("LONGGROUP.tr"));

	CU_ASSERT_EQUAL(pf_group_by_symbol("ED")->number, PF_GROUP_ED);
	CU_ASSERT_EQUAL(pf_group_by_symbol("rm")->number, PF_GROUP_RM);
	CU_ASSERT_PTR_NULL(pf_group_by_symbol("XX"));
	CU_ASSERT_STRING_EQUAL(pf_group_get(4)->symbol, "CO");
	CU_ASSERT_STRING_EQUAL(pf_group_get(4)->name, "collective");
	CU_ASSERT_PTR_NULL(pf_group_get(0));
	CU_ASSERT_PTR_NULL(pf_group_get(7));
}

/* The seed's characterisation of each group shows in its elements. */
static void
test_properties(void)
{
	for (unsigned int i = 1; i <= 4; i++) {
		const struct pf_element *cf = pf_element_at(PF_GROUP_CF, i);
		const struct pf_element *ed = pf_element_at(PF_GROUP_ED, i);
		const struct pf_element *co = pf_element_at(PF_GROUP_CO, i);
		const struct pf_element *mc = pf_element_at(PF_GROUP_MC, i);
		CU_ASSERT_TRUE(cf->props & PF_PROP_DETERMINISTIC);
		CU_ASSERT_TRUE(ed->props & PF_PROP_LATENCY);
		CU_ASSERT_EQUAL(ed->hint.high_prio, 1);
		CU_ASSERT_TRUE(co->props & PF_PROP_CONSENSUS);
		CU_ASSERT_EQUAL(co->hint.replicate, 3);
		CU_ASSERT_EQUAL(cf->hint.balance, PF_BALANCE_FLOW_HASH);
		if (i < 4)
			CU_ASSERT_TRUE(mc->props & PF_PROP_SELF_MODIFYING);
	}
	CU_ASSERT_TRUE(pf_element_by_symbol("tr")->props & PF_PROP_PARALLEL);
	CU_ASSERT_TRUE(pf_element_by_symbol("ca")->props & PF_PROP_STATEFUL);
	CU_ASSERT_STRING_EQUAL(pf_prop_name(PF_PROP_CONSENSUS), "needs_consensus");
	CU_ASSERT_PTR_NULL(pf_prop_name(3));
}

static void
test_bonds(void)
{
	const struct pf_bond_info *ionic = pf_bond_by_name("ionic");
	const struct pf_bond_info *cov = pf_bond_by_name("covalent");
	const struct pf_bond_info *met = pf_bond_by_name("Metallic");
	const struct pf_bond_info *vdw = pf_bond_by_name("vdw");

	CU_ASSERT_PTR_NOT_NULL_FATAL(ionic);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cov);
	CU_ASSERT_PTR_NOT_NULL_FATAL(met);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vdw);
	CU_ASSERT_PTR_EQUAL(pf_bond_by_name("van-der-waals"), vdw);
	CU_ASSERT_PTR_NULL(pf_bond_by_name("hydrogen"));
	CU_ASSERT_PTR_NULL(pf_bond_get(PF_BOND_COUNT));

	/* ionic: ordered hop, failure cascades */
	CU_ASSERT_TRUE(ionic->ordered && ionic->cascades && !ionic->colocated);
	/* covalent: same lcore */
	CU_ASSERT_TRUE(cov->colocated && cov->ordered);
	/* metallic: parallel, failures independent */
	CU_ASSERT_TRUE(met->parallel && !met->cascades);
	/* van der Waals: hint only */
	CU_ASSERT_FALSE(vdw->ordered || vdw->colocated || vdw->parallel || vdw->cascades);
	for (unsigned int b = 0; b < PF_BOND_COUNT; b++) {
		CU_ASSERT_EQUAL(pf_bond_get(b)->type, b);
		CU_ASSERT_PTR_NOT_NULL(pf_bond_get(b)->scheduling);
		CU_ASSERT_PTR_NOT_NULL(pf_bond_get(b)->failure);
	}
}

static void
test_balance(void)
{
	CU_ASSERT_EQUAL(pf_balance_by_name("round-robin"), PF_BALANCE_ROUND_ROBIN);
	CU_ASSERT_EQUAL(pf_balance_by_name("flow-hash"), PF_BALANCE_FLOW_HASH);
	CU_ASSERT_EQUAL(pf_balance_by_name("least-loaded"), PF_BALANCE_LEAST_LOADED);
	CU_ASSERT_EQUAL(pf_balance_by_name("random"), -ENOENT);
	CU_ASSERT_STRING_EQUAL(pf_balance_name(PF_BALANCE_FLOW_HASH), "flow-hash");
	CU_ASSERT_PTR_NULL(pf_balance_name(PF_BALANCE_COUNT));
}

/* The wire decoder accepts exactly the table's group and element ranges. */
static void
test_wire_agrees(void)
{
	uint8_t buf[PF_HDR_LEN];
	struct pf_builder b;
	struct pf_msg m;

	for (unsigned int g = 0; g <= PF_GROUP_COUNT + 1; g++) {
		for (unsigned int e = 0; e <= PF_ELEMENTS_PER_GROUP + 1; e++) {
			struct pf_hdr_fields h = { .type = PF_MSG_REQUEST,
						   .group = (uint8_t)g,
						   .element = (uint8_t)e };
			pf_build_start(&b, buf, sizeof(buf), &h);
			CU_ASSERT_EQUAL_FATAL(pf_build_finish(&b), PF_HDR_LEN);
			int rc = pf_decode(buf, sizeof(buf), &m);
			int valid = g <= PF_GROUP_COUNT &&
				    (e == 0 || (g != 0 && pf_element_at(g, e)));
			CU_ASSERT_EQUAL(rc == 0, valid);
		}
	}
}

int
main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("periodic", NULL, NULL);
	CU_add_test(s, "numbering", test_numbering);
	CU_add_test(s, "symbols are unique", test_symbols_unique);
	CU_add_test(s, "lookup by symbol", test_lookup_by_symbol);
	CU_add_test(s, "behavioural properties and hints", test_properties);
	CU_add_test(s, "bonds", test_bonds);
	CU_add_test(s, "balance modes", test_balance);
	CU_add_test(s, "decoder accepts the table's ranges", test_wire_agrees);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned int failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
