/* SPDX-License-Identifier: BSD-3-Clause */
/* test_registry.c: CUnit suite of pf-control's registry JSON (round trip
 * through the config loader, normalization, messages) and token files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "pfc.h"

static struct pf_config *cfg, *out;
static char err[PFC_ERR_LEN];

static int
setup(void)
{
	cfg = calloc(1, sizeof(*cfg));
	out = calloc(1, sizeof(*out));
	return cfg && out ? 0 : -1;
}

static int
teardown(void)
{
	free(cfg);
	free(out);
	return 0;
}

/* The registry tables of two configs are the same (line numbers aside). */
static void
assert_same_registry(const struct pf_config *a, const struct pf_config *b)
{
	CU_ASSERT_EQUAL(a->n_caps, b->n_caps);
	for (int i = 0; i < a->n_caps && i < b->n_caps; i++) {
		struct pf_cap_conf x = a->caps[i], y = b->caps[i];

		x.line = y.line = 0;
		CU_ASSERT(memcmp(&x, &y, sizeof(x)) == 0);
	}
	CU_ASSERT_EQUAL(a->n_molecules, b->n_molecules);
	for (int i = 0; i < a->n_molecules && i < b->n_molecules; i++) {
		struct pf_molecule_conf x = a->molecules[i], y = b->molecules[i];

		x.line = y.line = 0;
		CU_ASSERT(memcmp(&x, &y, sizeof(x)) == 0);
	}
	CU_ASSERT_EQUAL(a->n_roles, b->n_roles);
	CU_ASSERT(memcmp(a->roles, b->roles, sizeof(a->roles)) == 0);
	CU_ASSERT_EQUAL(a->default_roles, b->default_roles);
	CU_ASSERT_EQUAL(a->n_sessions, b->n_sessions);
	CU_ASSERT(memcmp(a->sessions, b->sessions, sizeof(a->sessions)) == 0);
	for (int g = 1; g <= PF_GROUP_COUNT; g++) {
		CU_ASSERT_EQUAL(a->groups[g].lcores.n, b->groups[g].lcores.n);
		CU_ASSERT(memcmp(&a->groups[g].lcores, &b->groups[g].lcores,
				 sizeof(a->groups[g].lcores)) == 0);
		CU_ASSERT_EQUAL(a->groups[g].balance, b->groups[g].balance);
		CU_ASSERT_EQUAL(a->groups[g].high_prio, b->groups[g].high_prio);
		CU_ASSERT_EQUAL(a->groups[g].replicate, b->groups[g].replicate);
	}
}

static void
round_trip(const char *path)
{
	json_t *j, *j2;
	int rc;

	rc = pf_config_load(path, cfg, err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	j = pf_reg_to_json(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	rc = pf_reg_from_json(cfg, j, out, err, sizeof(err));
	if (rc)
		fprintf(stderr, "\n%s: %s\n", path, err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	assert_same_registry(cfg, out);
	/* hardware sections come from the base untouched */
	CU_ASSERT_EQUAL(out->n_ports, cfg->n_ports);
	CU_ASSERT_STRING_EQUAL(out->control_socket, cfg->control_socket);
	/* the JSON is already normal: once more gives the same document */
	j2 = pf_reg_to_json(out);
	CU_ASSERT(json_equal(j, j2));
	json_decref(j);
	json_decref(j2);
}

static void
test_round_trip_default(void)
{
	round_trip("configs/default.conf");
}

static void
test_round_trip_baremetal(void)
{
	round_trip("configs/baremetal-example.conf");
}

/* One change to the default registry; the loader's message comes back. */
static int
edit(const char *json_patch_cap, char *msg)
{
	json_t *j, *c;
	json_error_t je;
	int rc;

	CU_ASSERT_EQUAL_FATAL(pf_config_load("configs/default.conf", cfg, err, sizeof(err)), 0);
	j = pf_reg_to_json(cfg);
	c = json_loads(json_patch_cap, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	json_array_append_new(json_object_get(j, "capabilities"), c);
	rc = pf_reg_from_json(cfg, j, out, msg, PFC_ERR_LEN);
	json_decref(j);
	return rc;
}

static void
test_validation_messages(void)
{
	char msg[PFC_ERR_LEN];

	CU_ASSERT_EQUAL(edit("{\"id\": 30, \"name\": \"ok\", \"element\": \"DF.tr\"}", msg), 0);
	CU_ASSERT_EQUAL(out->n_caps, cfg->n_caps + 1);
	CU_ASSERT_EQUAL(edit("{\"id\": 30, \"name\": \"x\", \"element\": \"DF.zz\"}", msg), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "capabilities[7].element: expected"));
	/* no "registry:LINE:" prefix: lines of a generated document mean nothing */
	CU_ASSERT(strncmp(msg, "registry", 8) != 0);
	CU_ASSERT_EQUAL(edit("{\"id\": 1, \"name\": \"x\", \"element\": \"DF.tr\"}", msg), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "capabilities[7].id"));
	CU_ASSERT_EQUAL(edit("{\"id\": 31, \"name\": \"q\\\"uote\", \"element\": \"DF.tr\"}", msg),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "capabilities[7].name"));
	CU_ASSERT_EQUAL(edit("{\"id\": 31, \"name\": \"y\", \"element\": \"DF.tr\", "
			     "\"intent\": \"a: b\\n- c {d} [e] #f &g *h !i\"}", msg), 0);
	CU_ASSERT_STRING_EQUAL(out->caps[out->n_caps - 1].intent, "a: b\n- c {d} [e] #f &g *h !i");
	CU_ASSERT_EQUAL(edit("{\"id\": 32, \"name\": \"y\", \"element\": \"DF.tr\", \"id2\": 1}", msg),
			-EINVAL);
}

static void
test_unknown_section(void)
{
	json_t *j = json_pack("{s:[]}", "ports");

	CU_ASSERT_EQUAL_FATAL(pf_config_load("configs/default.conf", cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(pf_reg_from_json(cfg, j, out, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ports: expected one of groups"));
	json_decref(j);
	CU_ASSERT_EQUAL(pf_reg_from_json(cfg, NULL, out, err, sizeof(err)), -EINVAL);
}

static void
write_tokens(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
test_tokens(void)
{
	char path[] = "/tmp/pfc-tokens-XXXXXX", who[64];
	struct pf_auth a;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	write_tokens(path, "# comment\n0123456789abcdefX viewer v\n\n"
			   "0123456789abcdefY admin root\n", 0644);
	CU_ASSERT_EQUAL(pf_auth_load(&a, path, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
	chmod(path, 0600);
	CU_ASSERT_EQUAL_FATAL(pf_auth_load(&a, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.n, 2);
	CU_ASSERT_EQUAL(pf_auth_check(&a, "Bearer 0123456789abcdefY", who, sizeof(who)),
			PF_API_ADMIN);
	CU_ASSERT_STRING_EQUAL(who, "root");
	CU_ASSERT_EQUAL(pf_auth_check(&a, "bearer 0123456789abcdefX ", who, sizeof(who)),
			PF_API_VIEWER);
	CU_ASSERT_EQUAL(pf_auth_check(&a, "Bearer 0123456789abcdef", who, sizeof(who)),
			PF_API_NONE);
	CU_ASSERT_EQUAL(pf_auth_check(&a, "Basic 0123456789abcdefY", who, sizeof(who)),
			PF_API_NONE);
	pf_auth_free(&a);
	write_tokens(path, "shorttoken admin\n", 0600);
	CU_ASSERT_EQUAL(pf_auth_load(&a, path, err, sizeof(err)), -EINVAL);
	write_tokens(path, "0123456789abcdefY superuser\n", 0600);
	CU_ASSERT_EQUAL(pf_auth_load(&a, path, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1: expected TOKEN ROLE"));
	unlink(path);
}

static void
test_buf(void)
{
	struct pf_buf b = { 0 };

	CU_ASSERT_EQUAL(pf_buf_printf(&b, "%s-%d", "x", 42), 0);
	CU_ASSERT_STRING_EQUAL(b.p, "x-42");
	for (int i = 0; i < 1000; i++)
		pf_buf_add(&b, "0123456789", 10);
	CU_ASSERT_EQUAL(b.len, 10004);
	pf_buf_consume(&b, 10000);
	CU_ASSERT_EQUAL(b.len, 4);
	CU_ASSERT_STRING_EQUAL(b.p, "6789");
	pf_buf_free(&b);
}

int
main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("control_registry", setup, teardown);
	CU_add_test(s, "round trip of configs/default.conf", test_round_trip_default);
	CU_add_test(s, "round trip of the bare-metal example", test_round_trip_baremetal);
	CU_add_test(s, "validation messages name the key", test_validation_messages);
	CU_add_test(s, "only registry sections", test_unknown_section);
	CU_add_test(s, "token files", test_tokens);
	CU_add_test(s, "byte buffers", test_buf);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned int failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
