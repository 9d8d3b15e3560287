/* SPDX-License-Identifier: BSD-3-Clause */
/* test_wire.c: CUnit suite of the frame codec. The test vectors are read
 * from docs/wire-protocol.md itself, so the document and the code agree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "pf_wire.h"

#define DOC "docs/wire-protocol.md"
#define MAX_VECTORS 64

struct vector {
	int number;
	char title[160];
	char expect[512];
	uint8_t bytes[512];
	size_t len;
};

static struct vector vectors[MAX_VECTORS];
static int n_vectors;

/* Reads "### Vector N: title", then "Expect: ...", then a ```hex block. */
static int
load_vectors(void)
{
	FILE *f = fopen(DOC, "r");
	char line[1024];
	struct vector *v = NULL;
	int in_hex = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "### Vector ", 11) == 0) {
			if (n_vectors == MAX_VECTORS)
				break;
			v = &vectors[n_vectors++];
			memset(v, 0, sizeof(*v));
			v->number = atoi(line + 11);
			const char *colon = strchr(line, ':');
			snprintf(v->title, sizeof(v->title), "%.150s", colon ? colon + 2 : "");
			in_hex = 0;
		} else if (v && strncmp(line, "Expect: ", 8) == 0) {
			snprintf(v->expect, sizeof(v->expect), "%.500s", line + 8);
		} else if (v && strcmp(line, "```hex") == 0) {
			in_hex = 1;
		} else if (v && in_hex && strncmp(line, "```", 3) == 0) {
			in_hex = 0;
			v = NULL;
		} else if (v && in_hex) {
			char *p = line, *end;
			for (;;) {
				unsigned long b = strtoul(p, &end, 16);
				if (end == p)
					break;
				if (v->len < sizeof(v->bytes))
					v->bytes[v->len++] = (uint8_t)b;
				p = end;
			}
		}
	}
	fclose(f);
	return n_vectors;
}

/* Value of key=... in an Expect line; quoted values may contain spaces. */
static int
expect_get(const char *expect, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = expect;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == expect || p[-1] == ' ') && p[klen] == '=') {
			p += klen + 1;
			const char *end;
			if (*p == '"') {
				p++;
				end = strchr(p, '"');
			} else {
				end = strchr(p, ' ');
			}
			if (!end)
				end = p + strlen(p);
			size_t n = (size_t)(end - p);
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 1;
		}
		p += klen;
	}
	return 0;
}

static unsigned long long
expect_num(const struct vector *v, const char *key)
{
	char val[64];

	if (!expect_get(v->expect, key, val, sizeof(val))) {
		fprintf(stderr, "vector %d: Expect has no %s\n", v->number, key);
		CU_FAIL("Expect line lacks a key");
		return ~0ULL;
	}
	return strtoull(val, NULL, 0);
}

static void
check_good(const struct vector *v, const struct pf_msg *m)
{
	char val[256], names[256] = "";
	size_t off = 0;
	struct pf_tlv t;

	CU_ASSERT_TRUE(expect_get(v->expect, "type", val, sizeof(val)));
	CU_ASSERT_STRING_EQUAL(pf_msg_type_name(m->type), val);
	CU_ASSERT_EQUAL(m->group, expect_num(v, "group"));
	CU_ASSERT_EQUAL(m->element, expect_num(v, "element"));
	CU_ASSERT_EQUAL(m->capability, expect_num(v, "capability"));
	CU_ASSERT_EQUAL(m->priority, expect_num(v, "priority"));
	CU_ASSERT_EQUAL(m->flags, expect_num(v, "flags"));
	CU_ASSERT_EQUAL(m->complexity, expect_num(v, "complexity"));
	CU_ASSERT_EQUAL(m->payload_len, expect_num(v, "payload_len"));
	CU_ASSERT_EQUAL(m->trace_id, expect_num(v, "trace_id"));
	CU_ASSERT_EQUAL(m->session_id, expect_num(v, "session_id"));
	CU_ASSERT_EQUAL(m->seq, expect_num(v, "seq"));
	CU_ASSERT_EQUAL(m->timestamp, expect_num(v, "timestamp"));

	while (pf_tlv_next(m, &off, &t)) {
		const char *n = pf_field_name(t.id);
		if (names[0])
			strcat(names, ",");
		strncat(names, n ? n : "?", sizeof(names) - strlen(names) - 1);
	}
	CU_ASSERT_EQUAL(off, m->payload_len);
	CU_ASSERT_TRUE(expect_get(v->expect, "fields", val, sizeof(val)));
	CU_ASSERT_STRING_EQUAL(names, val);

	if (expect_get(v->expect, "intent", val, sizeof(val))) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(m->intent);
		CU_ASSERT_EQUAL(m->intent_len, strlen(val));
		CU_ASSERT_EQUAL(memcmp(m->intent, val, m->intent_len), 0);
	}
	if (expect_get(v->expect, "error_code", val, sizeof(val))) {
		uint16_t code = 0;
		CU_ASSERT_TRUE_FATAL(pf_tlv_find(m, PF_FIELD_ERROR_CODE, &t));
		CU_ASSERT_EQUAL(pf_tlv_u16(&t, &code), 0);
		CU_ASSERT_EQUAL(code, strtoul(val, NULL, 0));
	}
	if (expect_get(v->expect, "error_msg", val, sizeof(val))) {
		CU_ASSERT_TRUE_FATAL(pf_tlv_find(m, PF_FIELD_ERROR_MSG, &t));
		CU_ASSERT_EQUAL(t.len, strlen(val));
		CU_ASSERT_EQUAL(memcmp(t.value, val, t.len), 0);
	}
}

static void
test_doc_vectors(void)
{
	int good = 0, bad = 0;

	CU_ASSERT_TRUE_FATAL(n_vectors >= 10);
	for (int i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		struct pf_msg m;
		int rc = pf_decode(v->bytes, v->len, &m);
		CU_ASSERT_TRUE(v->len > 0);

		if (strncmp(v->expect, "ok", 2) == 0) {
			if (rc != 0)
				fprintf(stderr, "vector %d (%s): expected ok, got %s\n",
					v->number, v->title, pf_decode_err_name(rc));
			CU_ASSERT_EQUAL_FATAL(rc, 0);
			check_good(v, &m);
			good++;
		} else if (strncmp(v->expect, "error ", 6) == 0) {
			const char *want = v->expect + 6;
			if (strcmp(pf_decode_err_name(rc), want) != 0)
				fprintf(stderr, "vector %d (%s): expected %s, got %s\n",
					v->number, v->title, want, pf_decode_err_name(rc));
			CU_ASSERT_TRUE(rc < 0);
			CU_ASSERT_STRING_EQUAL(pf_decode_err_name(rc), want);
			bad++;
		} else {
			fprintf(stderr, "vector %d: bad Expect line '%s'\n",
				v->number, v->expect);
			CU_FAIL("unparseable Expect line");
		}
	}
	/* Every message type and every decoder verdict has a vector. */
	CU_ASSERT_TRUE(good >= 4);
	CU_ASSERT_TRUE(bad >= PF_DECODE_ERR_MAX - 1);
}

/* Every decoder verdict appears in the document's vectors. */
static void
test_doc_covers_every_verdict(void)
{
	for (int e = 1; e < PF_DECODE_ERR_MAX; e++) {
		char want[64];
		int found = 0;
		snprintf(want, sizeof(want), "error %s", pf_decode_err_name(e));
		for (int i = 0; i < n_vectors; i++)
			if (strcmp(vectors[i].expect, want) == 0)
				found = 1;
		if (!found)
			fprintf(stderr, "no vector for verdict %s\n", want);
		CU_ASSERT_TRUE(found);
	}
}

/* Re-encoding every good vector with the builder yields the same bytes. */
static void
test_encode_matches_doc(void)
{
	for (int i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		struct pf_msg m;
		if (strncmp(v->expect, "ok", 2) != 0)
			continue;
		CU_ASSERT_EQUAL_FATAL(pf_decode(v->bytes, v->len, &m), 0);
		struct pf_hdr_fields h = {
			.type = m.type, .group = m.group, .element = m.element,
			.capability = m.capability, .priority = m.priority,
			.flags = m.flags, .complexity = m.complexity,
			.trace_id = m.trace_id, .session_id = m.session_id,
			.seq = m.seq, .timestamp = m.timestamp,
		};
		uint8_t out[512];
		struct pf_builder b;
		struct pf_tlv t;
		size_t off = 0;
		pf_build_start(&b, out, sizeof(out), &h);
		while (pf_tlv_next(&m, &off, &t))
			pf_build_tlv(&b, t.id, t.value, t.len);
		int n = pf_build_finish(&b);
		CU_ASSERT_EQUAL(n, (int)v->len);
		CU_ASSERT_EQUAL(memcmp(out, v->bytes, v->len), 0);
	}
}

static void
test_error_frame(void)
{
	/* Vector 4 is documented as the error answering vector 3. */
	const struct vector *req = NULL, *err = NULL;
	for (int i = 0; i < n_vectors; i++) {
		if (vectors[i].number == 3)
			req = &vectors[i];
		if (vectors[i].number == 4)
			err = &vectors[i];
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);

	struct pf_msg m;
	uint8_t out[256];
	CU_ASSERT_EQUAL_FATAL(pf_decode(req->bytes, req->len, &m), 0);
	int n = pf_encode_error(out, sizeof(out), &m, PF_ERR_UNKNOWN_CAPABILITY,
				"unknown capability");
	CU_ASSERT_EQUAL_FATAL(n, (int)err->len);
	CU_ASSERT_EQUAL(memcmp(out, err->bytes, err->len), 0);
	/* A buffer one byte short is refused, not overrun. */
	CU_ASSERT_EQUAL(pf_encode_error(out, err->len - 1, &m, 3, "unknown capability"),
			-ENOSPC);
	CU_ASSERT_EQUAL(pf_encode_error(out, 10, &m, 3, NULL), -ENOSPC);

	/* In place: the request's own bytes become the same error frame. */
	memcpy(out, req->bytes, req->len);
	n = pf_encode_error_inplace(out, sizeof(out), PF_ERR_UNKNOWN_CAPABILITY,
				    "unknown capability");
	CU_ASSERT_EQUAL_FATAL(n, (int)err->len);
	CU_ASSERT_EQUAL(memcmp(out, err->bytes, err->len), 0);
	CU_ASSERT_EQUAL(pf_encode_error_inplace(out, PF_HDR_LEN - 1, 3, NULL), -ENOSPC);
}

/* pf_encode_error_inplace() gives what pf_encode_error() encodes from the
 * frame's header, for every vector (the malformed ones too: a dataplane
 * answers those whose header it can read) and for headers whose fields
 * are out of range or carry every flag. */
static void
test_error_inplace(void)
{
	uint8_t want[512], got[512];

	for (int i = 0; i < n_vectors; i++) {
		const struct vector *v = &vectors[i];
		if (v->len < PF_HDR_LEN || v->len > sizeof(got))
			continue;
		for (int variant = 0; variant < 4; variant++) {
			uint8_t frame[512];
			memcpy(frame, v->bytes, v->len);
			if (variant == 1) {
				frame[4] = 9;   /* group out of range */
				frame[5] = 3;
			} else if (variant == 2) {
				frame[4] = 2;   /* element out of range */
				frame[5] = 7;
			} else if (variant == 3) {
				frame[9] = 0xff; /* every flag, complexity, reserved */
				frame[10] = 0xaa;
				frame[11] = 0x55;
				frame[14] = 0x12;
				frame[15] = 0x34;
			}
			struct pf_msg h;
			CU_ASSERT_EQUAL_FATAL(pf_decode_header(frame, v->len, &h), 0);
			int nw = pf_encode_error(want, sizeof(want), &h, PF_ERR_MALFORMED, "bad");
			memcpy(got, frame, v->len);
			int ng = pf_encode_error_inplace(got, sizeof(got), PF_ERR_MALFORMED, "bad");
			CU_ASSERT_EQUAL(ng, nw);
			if (ng == nw && nw > 0 && memcmp(got, want, (size_t)nw) != 0)
				CU_FAIL("in-place error frame differs from pf_encode_error()'s");
		}
	}
	/* Every capacity around the header and the TLVs, with no message,
	 * a short and a long one: the same result, -ENOSPC included. */
	const struct vector *v = &vectors[0];
	static const char *const msgs[] = { NULL, "bad", "a message of a few dozen bytes, longer" };
	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		for (size_t cap = PF_HDR_LEN - 1; cap <= PF_HDR_LEN + 60; cap++) {
			struct pf_msg h;
			CU_ASSERT_EQUAL_FATAL(pf_decode_header(v->bytes, v->len, &h), 0);
			int nw = pf_encode_error(want, cap, &h, PF_ERR_MALFORMED, msgs[m]);
			memset(got, 0, sizeof(got));
			memcpy(got, v->bytes, v->len < sizeof(got) ? v->len : sizeof(got));
			int ng = pf_encode_error_inplace(got, cap, PF_ERR_MALFORMED, msgs[m]);
			CU_ASSERT_EQUAL(ng, nw);
			if (ng == nw && nw > 0 && memcmp(got, want, (size_t)nw) != 0)
				CU_FAIL("in-place error frame differs at a capacity limit");
		}
	}
}

/* Every prefix of a valid frame is rejected as truncated, never read past. */
static void
test_truncation(void)
{
	const struct vector *v = &vectors[0];
	struct pf_msg m;

	for (size_t len = 0; len < v->len; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, v->bytes, len);
		CU_ASSERT_EQUAL(pf_decode(copy, len, &m), -PF_DECODE_TRUNCATED);
		free(copy);
	}
}

static void
test_builder_bounds(void)
{
	uint8_t buf[PF_HDR_LEN + 8];
	struct pf_hdr_fields h = { .type = PF_MSG_REQUEST };
	struct pf_builder b;
	struct pf_msg m;

	pf_build_start(&b, buf, PF_HDR_LEN - 1, &h);
	CU_ASSERT_EQUAL(pf_build_finish(&b), -ENOSPC);

	pf_build_start(&b, buf, sizeof(buf), &h);
	pf_build_tlv(&b, PF_FIELD_DATA, "abcd", 4); /* 8 bytes: fits exactly */
	CU_ASSERT_EQUAL(b.err, 0);
	pf_build_tlv(&b, PF_FIELD_KEY, "", 0); /* 4 more: does not */
	CU_ASSERT_EQUAL(pf_build_finish(&b), -ENOSPC);

	pf_build_start(&b, buf, sizeof(buf), &h);
	pf_build_tlv(&b, PF_FIELD_DATA, "abcd", 4);
	int n = pf_build_finish(&b);
	CU_ASSERT_EQUAL(n, (int)sizeof(buf));
	CU_ASSERT_EQUAL(pf_decode(buf, (size_t)n, &m), 0);
	CU_ASSERT_EQUAL(m.field_mask, pf_field_bit(PF_FIELD_DATA));
	CU_ASSERT_PTR_NULL(m.intent);
}

static void
test_numeric_tlvs(void)
{
	uint8_t buf[128];
	struct pf_hdr_fields h = { .type = PF_MSG_RESPONSE, .group = 2, .element = 4 };
	struct pf_builder b;
	struct pf_msg m;
	struct pf_tlv t;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	pf_build_start(&b, buf, sizeof(buf), &h);
	pf_build_u16(&b, PF_FIELD_ERROR_CODE, 0xbeef);
	pf_build_u32(&b, PF_FIELD_TTL, 0x01020304);
	pf_build_u64(&b, PF_FIELD_COUNT, 0x1122334455667788ULL);
	pf_build_tlv(&b, 100, "x", 1); /* beyond contract ids: may repeat */
	pf_build_tlv(&b, 100, "y", 1);
	int n = pf_build_finish(&b);
	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(pf_decode(buf, (size_t)n, &m), 0);
	CU_ASSERT_EQUAL(m.field_mask, pf_field_bit(5) | pf_field_bit(10) | pf_field_bit(7));
	CU_ASSERT_TRUE(pf_tlv_find(&m, PF_FIELD_ERROR_CODE, &t));
	CU_ASSERT_EQUAL(pf_tlv_u16(&t, &v16), 0);
	CU_ASSERT_EQUAL(v16, 0xbeef);
	CU_ASSERT_EQUAL(pf_tlv_u32(&t, &v32), -EINVAL);
	CU_ASSERT_TRUE(pf_tlv_find(&m, PF_FIELD_TTL, &t));
	CU_ASSERT_EQUAL(pf_tlv_u32(&t, &v32), 0);
	CU_ASSERT_EQUAL(v32, 0x01020304);
	CU_ASSERT_TRUE(pf_tlv_find(&m, PF_FIELD_COUNT, &t));
	CU_ASSERT_EQUAL(pf_tlv_u64(&t, &v64), 0);
	CU_ASSERT_EQUAL(v64, 0x1122334455667788ULL);
	CU_ASSERT_FALSE(pf_tlv_find(&m, PF_FIELD_INTENT, &t));
}

static void
test_names(void)
{
	CU_ASSERT_STRING_EQUAL(pf_decode_err_name(-PF_DECODE_BAD_TLV), "bad_tlv");
	CU_ASSERT_STRING_EQUAL(pf_decode_err_name(0), "ok");
	CU_ASSERT_STRING_EQUAL(pf_decode_err_name(999), "unknown");
	CU_ASSERT_STRING_EQUAL(pf_err_code_name(PF_ERR_MISSING_FIELD), "missing_field");
	CU_ASSERT_PTR_NULL(pf_err_code_name(0));
	CU_ASSERT_EQUAL(pf_field_by_name("intent"), PF_FIELD_INTENT);
	CU_ASSERT_EQUAL(pf_field_by_name("nope"), -ENOENT);
	CU_ASSERT_STRING_EQUAL(pf_field_name(PF_FIELD_MATCH), "match");
	CU_ASSERT_EQUAL(pf_field_bit(0), 0);
	CU_ASSERT_EQUAL(pf_field_bit(64), 0);
	CU_ASSERT_EQUAL(pf_field_bit(63), UINT64_C(1) << 63);
}

/* The TLV rules written out plainly, TLV by TLV, to hold pf_tlv_walk()
 * (which takes a one-TLV payload at once) to them. */
static int
ref_walk(const uint8_t *p, size_t n, uint64_t *mask, const uint8_t **intent,
	 uint16_t *intent_len)
{
	uint64_t seen = 0;
	size_t off = 0;

	while (off < n) {
		if (n - off < PF_TLV_HDR_LEN)
			return -PF_DECODE_BAD_TLV;
		unsigned int id = (unsigned int)p[off] << 8 | p[off + 1];
		size_t len = (size_t)p[off + 2] << 8 | p[off + 3];
		if (len > n - off - PF_TLV_HDR_LEN)
			return -PF_DECODE_BAD_TLV;
		if (id >= 1 && id <= 63) {
			if (seen >> id & 1)
				return -PF_DECODE_DUP_TLV;
			seen |= UINT64_C(1) << id;
		}
		if (id == PF_FIELD_INTENT) {
			*intent = p + off + PF_TLV_HDR_LEN;
			*intent_len = (uint16_t)len;
		}
		off += PF_TLV_HDR_LEN + len;
	}
	*mask = seen;
	return 0;
}

/* Payloads of one, two and three TLVs whose ids and lengths sit around the
 * edges (ids 0, 1, 63, 64, 256; a length that fills the payload, one byte
 * short or over, a header cut short), against ref_walk(). */
static void
test_tlv_walk_edges(void)
{
	static const uint16_t ids[] = { 0, PF_FIELD_INTENT, PF_FIELD_DATA, PF_FIELD_KEY,
					63, 64, 256, 0x0101, 0xffff };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned int n_ok = 0, n_one = 0, n_bad = 0;

	for (int k = 0; k < 200000; k++) {
		uint8_t p[64];
		size_t n = 0;
		int tlvs = 1 + (int)(k % 3);
		for (int j = 0; j < tlvs && n + PF_TLV_HDR_LEN <= 40; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint16_t id = ids[x % (sizeof(ids) / sizeof(ids[0]))];
			unsigned int len = (unsigned int)(x >> 8) % 9;
			p[n] = (uint8_t)(id >> 8);
			p[n + 1] = (uint8_t)id;
			unsigned int hdr_len = len;
			switch ((x >> 16) % 4) {
			case 0: hdr_len = len + 1; break; /* over by one */
			case 1: hdr_len = len ? len - 1 : 0; break;
			default: break;
			}
			p[n + 2] = (uint8_t)(hdr_len >> 8);
			p[n + 3] = (uint8_t)hdr_len;
			memset(p + n + PF_TLV_HDR_LEN, 0xa5, len);
			n += PF_TLV_HDR_LEN + len;
		}
		if (x >> 40 & 1)
			n -= (x >> 41) % 4; /* cut into the last TLV */
		uint64_t m1 = 0xdead, m2 = 0xbeef;
		const uint8_t *i1 = NULL, *i2 = NULL;
		uint16_t l1 = 7, l2 = 7;
		int rc = pf_tlv_walk(p, n, &m1, &i1, &l1);
		int want = ref_walk(p, n, &m2, &i2, &l2);
		CU_ASSERT_EQUAL_FATAL(rc, want);
		if (rc == 0) {
			CU_ASSERT_EQUAL_FATAL(m1, m2);
			CU_ASSERT_PTR_EQUAL_FATAL(i1, i2);
			CU_ASSERT_EQUAL_FATAL(l1, l2);
			n_ok++;
			n_one += n >= PF_TLV_HDR_LEN && (size_t)(p[2] << 8 | p[3]) + PF_TLV_HDR_LEN == n;
		} else {
			n_bad++;
		}
	}
	/* Each kind was tried, many times. */
	CU_ASSERT(n_one > 10000);
	CU_ASSERT(n_ok - n_one > 10000);
	CU_ASSERT(n_bad > 10000);
}

int
main(void)
{
	if (load_vectors() < 0) {
		perror(DOC);
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("wire", NULL, NULL);
	CU_add_test(s, "vectors from docs/wire-protocol.md", test_doc_vectors);
	CU_add_test(s, "every verdict has a vector", test_doc_covers_every_verdict);
	CU_add_test(s, "encoder reproduces the documented bytes", test_encode_matches_doc);
	CU_add_test(s, "error frame", test_error_frame);
	CU_add_test(s, "error frame in place", test_error_inplace);
	CU_add_test(s, "every prefix is truncated", test_truncation);
	CU_add_test(s, "builder bounds", test_builder_bounds);
	CU_add_test(s, "numeric TLVs", test_numeric_tlvs);
	CU_add_test(s, "names", test_names);
	CU_add_test(s, "TLV walk at the edges", test_tlv_walk_edges);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned int failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
