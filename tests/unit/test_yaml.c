/* SPDX-License-Identifier: BSD-3-Clause */
/* test_yaml.c: CUnit suite of lib/'s shared libyaml helpers: quoting, key
 * and list building, mapping and list checks, documents and files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "pf_yaml_private.h"

static char err[256];
static struct pf_yaml y;
static yaml_parser_t parser;
static yaml_document_t doc;
static bool have_doc;

static void
unload(void)
{
	if (have_doc)
		yaml_document_delete(&doc);
	have_doc = false;
	yaml_parser_delete(&parser);
}

/* Loads text as "t.yaml"; returns pf_yaml_load()'s code, the root in *root. */
static int
load(const char *text, const yaml_node_t **root)
{
	int rc;

	memset(&y, 0, sizeof(y));
	y.name = "t.yaml";
	y.err = err;
	y.errlen = sizeof(err);
	err[0] = '\0';
	CU_ASSERT_FATAL(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	rc = pf_yaml_load(&y, &parser, &doc, text, strlen(text));
	have_doc = rc == 0;
	if (root)
		*root = rc == 0 ? yaml_document_get_root_node(&doc) : NULL;
	return rc;
}

static void
test_printable(void)
{
	char out[16];

	pf_yaml_printable(out, sizeof(out), (const unsigned char *)"a\"b\\c\n", 6);
	CU_ASSERT_STRING_EQUAL(out, "a\\\"b\\\\c\\x0a");
	pf_yaml_printable(out, sizeof(out), (const unsigned char *)"0123456789abcdefgh", 18);
	CU_ASSERT_STRING_EQUAL(out, "0123456789ab...");
	/* "é" is two bytes: the cut never leaves half of one */
	pf_yaml_printable(out, sizeof(out), (const unsigned char *)"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 16);
	CU_ASSERT_STRING_EQUAL(out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...");
}

static void
test_join_and_keys(void)
{
	static const char *const names[] = { "alpha", "beta", "gamma", "delta" };
	char list[24], k[PF_YAML_KEY_LEN], longk[300];

	CU_ASSERT_STRING_EQUAL(pf_yaml_join(list, sizeof(list), names, 2), "alpha, beta");
	/* room is kept for ", ..." */
	CU_ASSERT_STRING_EQUAL(pf_yaml_join(list, sizeof(list), names, 4),
			       "alpha, beta, gamma, ...");
	CU_ASSERT_STRING_EQUAL(pf_yaml_kjoin(k, "", "ports"), "ports");
	CU_ASSERT_STRING_EQUAL(pf_yaml_kjoin(k, "ports[0]", "name"), "ports[0].name");
	CU_ASSERT_STRING_EQUAL(pf_yaml_kidx(k, "ports", 3), "ports[3]");
	memset(longk, 'k', sizeof(longk) - 1);
	longk[sizeof(longk) - 1] = '\0';
	pf_yaml_kjoin(k, "a", longk);
	CU_ASSERT_EQUAL(strlen(k), PF_YAML_KEY_LEN - 1);
	CU_ASSERT_STRING_EQUAL(k + PF_YAML_KEY_LEN - 4, "...");
}

#define TK(X) X(TK_A, "a") X(TK_B, "b")
PF_YAML_DEFINE_KEYS(TK, TK);

static void
test_map(void)
{
	const yaml_node_t *root, *v[TK_COUNT], *k[TK_COUNT];

	CU_ASSERT_EQUAL(load("a: 1\nb: [x]\n", &root), 0);
	CU_ASSERT_EQUAL(pf_yaml_map(&y, root, "", TK_names, TK_COUNT, v), 0);
	CU_ASSERT_STRING_EQUAL(pf_yaml_scalar(v[TK_A]), "1");
	CU_ASSERT_EQUAL(v[TK_B]->type, YAML_SEQUENCE_NODE);
	CU_ASSERT_EQUAL(pf_yaml_seq_len(v[TK_B]), 1);
	CU_ASSERT_STRING_EQUAL(pf_yaml_scalar(pf_yaml_seq_at(&y, v[TK_B], 0)), "x");
	unload();

	CU_ASSERT_EQUAL(load("a: 1\nc: 2\n", &root), 0);
	CU_ASSERT_EQUAL(pf_yaml_map(&y, root, "top", TK_names, TK_COUNT, v), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:2: top.c: expected one of a, b, found unknown key");
	unload();

	CU_ASSERT_EQUAL(load("a: 1\nb: 2\na: 3\n", &root), 0);
	CU_ASSERT_EQUAL(pf_yaml_map_strict(&y, root, "", TK_names, TK_COUNT, v, k), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
			       "t.yaml:3: a: expected each key once, found it again (first at line 1)");
	unload();

	/* null: an empty mapping, unless strict */
	CU_ASSERT_EQUAL(load("m: ~\n", &root), 0);
	root = pf_yaml_node(&y, root->data.mapping.pairs.start[0].value);
	CU_ASSERT_EQUAL(pf_yaml_map(&y, root, "m", TK_names, TK_COUNT, v), 0);
	CU_ASSERT_PTR_NULL(v[TK_A]);
	CU_ASSERT_EQUAL(pf_yaml_map_strict(&y, root, "m", TK_names, TK_COUNT, v, k), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:1: m: expected a mapping of a, b, found nothing");
	unload();
}

static void
test_seq_text_word(void)
{
	static const char *const words[] = { "drop", "pass" };
	const yaml_node_t *root, *v[TK_COUNT];
	const char *s;
	unsigned int idx;
	size_t len;

	CU_ASSERT_EQUAL(load("a: []\nb: \"x\\0y\"\n", &root), 0);
	CU_ASSERT_EQUAL(pf_yaml_map(&y, root, "", TK_names, TK_COUNT, v), 0);
	CU_ASSERT_EQUAL(pf_yaml_seq(&y, v[TK_A], "a", "a list", 0, 4, &len), 0);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(pf_yaml_seq(&y, v[TK_A], "a", "a list", 1, 4, &len), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:1: a: expected a list, found an empty list");
	CU_ASSERT_EQUAL(pf_yaml_seq(&y, NULL, "z", "a list", 1, 4, &len), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:1: z: expected a list, found nothing");
	CU_ASSERT_EQUAL(pf_yaml_text(&y, v[TK_B], "b", "a name", 8, &s), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:2: b: expected a name, found text with a NUL byte");
	unload();

	CU_ASSERT_EQUAL(load("a: [1, 2, 3]\nb: abcdef\n", &root), 0);
	CU_ASSERT_EQUAL(pf_yaml_map(&y, root, "", TK_names, TK_COUNT, v), 0);
	CU_ASSERT_EQUAL(pf_yaml_seq(&y, v[TK_A], "a", "a list of 1 to 2", 1, 2, &len), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:1: a: expected a list of 1 to 2, found 3 entries");
	CU_ASSERT_EQUAL(pf_yaml_text(&y, v[TK_B], "b", "a name", 8, &s), 0);
	CU_ASSERT_STRING_EQUAL(s, "abcdef");
	CU_ASSERT_EQUAL(pf_yaml_text(&y, v[TK_B], "b", "a name", 4, &s), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
			       "t.yaml:2: b: expected a name of at most 3 characters, found 6 characters");
	y.unit = "bytes";
	CU_ASSERT_EQUAL(pf_yaml_text(&y, v[TK_B], "b", "a name", 4, &s), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:2: b: expected a name of at most 3 bytes, found 6 bytes");
	CU_ASSERT_EQUAL(pf_yaml_word(&y, v[TK_B], "b", words, 2, &idx), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:2: b: expected one of drop, pass, found \"abcdef\"");
	CU_ASSERT_EQUAL(pf_yaml_missing(&y, root, "", "c", "a c"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:1: c: expected a c (required), found nothing");
	unload();

	CU_ASSERT_EQUAL(load("pass", &root), 0);
	CU_ASSERT_EQUAL(pf_yaml_word(&y, root, "w", words, 2, &idx), 0);
	CU_ASSERT_EQUAL(idx, 1);
	unload();
}

static void
test_documents(void)
{
	const yaml_node_t *root;

	CU_ASSERT_EQUAL(load("", &root), 0);
	CU_ASSERT_PTR_NULL(root);
	unload();
	CU_ASSERT_EQUAL(load("a: 1\n---\nb: 2\n", NULL), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
			       "t.yaml:3: (top level): expected one YAML document, found a second one");
	unload();
	CU_ASSERT_EQUAL(load("a: 1\nb: [1\n", NULL), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:3: syntax error: "));
	unload();
	/* bad UTF-8 on line 3: the line is counted in the buffer */
	CU_ASSERT_EQUAL(load("a: 1\nb: 2\nc: \xff\n", NULL), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
			       "t.yaml:3: syntax error: invalid leading UTF-8 octet (at byte 13)");
	unload();
}

static void
test_read_file(void)
{
	char *buf = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL(pf_yaml_read_file("tests/no/such.yaml", &buf, &len, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "tests/no/such.yaml: cannot open: No such file or directory");
	CU_ASSERT_EQUAL(pf_yaml_read_file("tests", &buf, &len, err, sizeof(err)), -EISDIR);
	CU_ASSERT_STRING_EQUAL(err, "tests: cannot open: Is a directory");
	CU_ASSERT_EQUAL(pf_yaml_read_file("configs/default.conf", &buf, &len, err, sizeof(err)), 0);
	CU_ASSERT(len > 0 && buf && memcmp(buf, "# SPDX", 6) == 0);
	free(buf);
}

int
main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("yaml", NULL, NULL);
	CU_add_test(s, "printable quoting and cuts", test_printable);
	CU_add_test(s, "lists and dotted keys", test_join_and_keys);
	CU_add_test(s, "mappings: unknown, repeated, null keys", test_map);
	CU_add_test(s, "lists, text and words", test_seq_text_word);
	CU_add_test(s, "documents: empty, second, syntax, UTF-8", test_documents);
	CU_add_test(s, "whole files", test_read_file);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned int failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
