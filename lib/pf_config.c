/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_config.c: the configuration loader -- libyaml's document tree walked
 * against the schema of docs/configuration.md, with defaults and cross-checks. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "pf_config.h"
#include "pf_wire.h"

/* Longest dotted key ("capabilities[255].routing.lcores[15]"), the longest
 * excerpt of a value quoted back in a message, and "one of a, b, c" lists. */
#define KEY_LEN 160
#define FOUND_LEN 72
#define LIST_LEN 240
/* A config is a few KB; refuse to read more than this. */
#define MAX_FILE (4u << 20)

/* Keys of each mapping, in the order messages list them. */
#define KEY_ENUM(id, str) id,
#define KEY_NAME(id, str) str,

#define ROOT_KEYS(X)                                                         \
	X(RK_DATAPLANE, "dataplane") X(RK_EAL, "eal") X(RK_MEMORY, "memory")  \
	X(RK_PORTS, "ports") X(RK_GROUPS, "groups") X(RK_ROLES, "roles")      \
	X(RK_DEFAULT_ROLES, "default_roles") X(RK_SESSIONS, "sessions")      \
	X(RK_CAPABILITIES, "capabilities") X(RK_MOLECULES, "molecules")
#define DATAPLANE_KEYS(X)                                                    \
	X(DK_UDP_PORT, "udp_port") X(DK_NON_PF, "non_packetflow")             \
	X(DK_HIGH_MIN, "high_priority_min") X(DK_BURST, "burst")              \
	X(DK_TX_FLUSH, "tx_flush_us") X(DK_IDLE, "idle")                      \
	X(DK_CONTROL, "control_socket") X(DK_STATS, "stats_segment")          \
	X(DK_RULES, "rules")
#define MEMORY_KEYS(X)                                                       \
	X(MK_MBUFS, "mbufs") X(MK_CACHE, "mbuf_cache")                        \
	X(MK_DATA_ROOM, "mbuf_data_room") X(MK_RING, "ring_size")             \
	X(MK_HIGH_RING, "high_ring_size")
#define PORT_KEYS(X)                                                         \
	X(PK_NAME, "name") X(PK_DEVICE, "device") X(PK_RX_LCORES, "rx_lcores") \
	X(PK_RX_DESC, "rx_desc") X(PK_TX_DESC, "tx_desc")
#define POLICY_KEYS(X)                                                       \
	X(PO_LCORES, "lcores") X(PO_BALANCE, "balance")                       \
	X(PO_PRIORITY, "priority") X(PO_REPLICATE, "replicate")
#define ROLE_KEYS(X) X(RO_NAME, "name") X(RO_IMPLIES, "implies")
#define SESSION_KEYS(X) X(SE_ID, "id") X(SE_IDS, "ids") X(SE_ROLES, "roles")
#define CAP_KEYS(X)                                                          \
	X(CK_ID, "id") X(CK_NAME, "name") X(CK_ELEMENT, "element")            \
	X(CK_INTENT, "intent") X(CK_ARG, "arg") X(CK_REQUIRES, "requires")    \
	X(CK_PROVIDES, "provides") X(CK_EFFECTS, "effects")                   \
	X(CK_MAX_PAYLOAD, "max_payload") X(CK_ROLES, "roles")                 \
	X(CK_RATE, "rate") X(CK_MOLECULE, "molecule") X(CK_ROUTING, "routing")
#define RATE_KEYS(X) X(RA_PPS, "pps") X(RA_BURST, "burst")
#define MOLECULE_KEYS(X) X(MO_NAME, "name") X(MO_STAGES, "stages")
#define STAGE_KEYS(X)                                                        \
	X(ST_CAPABILITY, "capability") X(ST_BOND, "bond") X(ST_WIDTH, "width")

/* get_map() tracks at most MAX_KEYS keys per mapping */
#define MAX_KEYS 16
#define DEFINE_KEYS(list, prefix)                                            \
	enum { list(KEY_ENUM) prefix##_COUNT };                                \
	_Static_assert(prefix##_COUNT <= MAX_KEYS, #prefix " has too many keys"); \
	static const char *const prefix##_names[] = { list(KEY_NAME) }

DEFINE_KEYS(ROOT_KEYS, RK);
DEFINE_KEYS(DATAPLANE_KEYS, DK);
DEFINE_KEYS(MEMORY_KEYS, MK);
DEFINE_KEYS(PORT_KEYS, PK);
DEFINE_KEYS(POLICY_KEYS, PO);
DEFINE_KEYS(ROLE_KEYS, RO);
DEFINE_KEYS(SESSION_KEYS, SE);
DEFINE_KEYS(CAP_KEYS, CK);
DEFINE_KEYS(RATE_KEYS, RA);
DEFINE_KEYS(MOLECULE_KEYS, MO);
DEFINE_KEYS(STAGE_KEYS, ST);

/*
 * A group's policy when the config leaves keys out. Replicate is capped by
 * the group's lcore count, so CO replicates to min(3, lcores).
 */
static const struct {
	uint8_t balance, high_prio, replicate;
} group_defaults[PF_GROUP_COUNT + 1] = {
	[PF_GROUP_CF] = { PF_BALANCE_FLOW_HASH, 0, 1 },
	[PF_GROUP_DF] = { PF_BALANCE_ROUND_ROBIN, 0, 1 },
	[PF_GROUP_ED] = { PF_BALANCE_ROUND_ROBIN, 1, 1 },
	[PF_GROUP_CO] = { PF_BALANCE_ROUND_ROBIN, 0, 3 },
	[PF_GROUP_MC] = { PF_BALANCE_FLOW_HASH, 0, 1 },
	[PF_GROUP_RM] = { PF_BALANCE_FLOW_HASH, 0, 1 },
};

struct loader {
	const char *name;      /* file name in messages */
	yaml_document_t *doc;
	struct pf_config *cfg; /* scratch copy, handed over on success */
	char *err;
	size_t errlen;
	char found[FOUND_LEN + 8]; /* the "found WHAT" of the message in progress */
	/* canonical id of each port's device, to refuse a device used twice */
	char device_ids[PF_MAX_PORTS][PF_DEVICE_LEN];
	/* replicate a group sets explicitly (0: left out), inherited by overrides */
	uint8_t group_replicate[PF_GROUP_COUNT + 1];
	/* each role's implies list, read once every role name is known */
	const yaml_node_t *implies[PF_MAX_ROLES];
	/* where each stage names its capability: resolved after capabilities */
	const yaml_node_t *stage_cap[PF_MAX_MOLECULES][PF_MAX_STAGES];
	bool stage_is_map[PF_MAX_MOLECULES][PF_MAX_STAGES];
};

/* ---- messages ---------------------------------------------------------- */

static unsigned long
line_of(const yaml_node_t *n)
{
	return n ? (unsigned long)n->start_mark.line + 1 : 1;
}

/* Writes "FILE:LINE: KEY: <fmt>" and returns -EINVAL. */
static int __attribute__((format(printf, 4, 5)))
fail(struct loader *L, const yaml_node_t *n, const char *key, const char *fmt,
     ...)
{
	va_list ap;
	int off;

	if (!L->err || L->errlen == 0)
		return -EINVAL;
	off = snprintf(L->err, L->errlen, "%s:%lu: %s: ", L->name, line_of(n),
		       *key ? key : "(top level)");
	if (off >= 0 && (size_t)off < L->errlen) {
		va_start(ap, fmt);
		vsnprintf(L->err + off, L->errlen - (size_t)off, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Copies len bytes of s into out as one printable line: quotes, backslashes
 * and control bytes are escaped, so that a value can never split the
 * message; text longer than the buffer ends in "...".
 */
static void
printable(char *out, size_t size, const unsigned char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char tmp[8];
		int t;

		if (s[i] == '"' || s[i] == '\\')
			t = snprintf(tmp, sizeof(tmp), "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			t = snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
		else
			t = snprintf(tmp, sizeof(tmp), "%c", s[i]);
		if (o + (size_t)t + 4 > size) {
			/* do not cut a UTF-8 sequence in half */
			while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
				o--;
			if (o > 0 && (unsigned char)out[o - 1] >= 0xc0)
				o--;
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, tmp, (size_t)t);
		o += (size_t)t;
	}
	out[o] = '\0';
}

static const char *
text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain scalar YAML reads as null: nothing, "~" or "null". */
static bool
is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(text(n), nulls[i]) == 0)
			return true;
	return false;
}

/* The "found WHAT" of a message: a node's kind, or its text quoted. */
static const char *
found(struct loader *L, const yaml_node_t *n)
{
	char body[FOUND_LEN];

	if (is_null(n))
		return "nothing";
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SCALAR_NODE:
		printable(body, sizeof(body), n->data.scalar.value,
			  n->data.scalar.length);
		snprintf(L->found, sizeof(L->found), "\"%s\"", body);
		return L->found;
	default:
		return "nothing";
	}
}

/* "a, b, c" from a list of names. */
static const char *
join(char *out, size_t size, const char *const names[], size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? ", " : "",
				      names[i]);
	return out;
}

/* parent.child; a key too long for KEY_LEN ends in "..." */
static const char *
kjoin(char *buf, const char *parent, const char *child)
{
	if (snprintf(buf, KEY_LEN, "%s%s%s", parent, *parent ? "." : "", child) >= KEY_LEN)
		memcpy(buf + KEY_LEN - 4, "...", 4);
	return buf;
}

/* parent[i] */
static const char *
kidx(char *buf, const char *parent, size_t i)
{
	if (snprintf(buf, KEY_LEN, "%s[%zu]", parent, i) >= KEY_LEN)
		memcpy(buf + KEY_LEN - 4, "...", 4);
	return buf;
}

/* ---- typed readers ------------------------------------------------------
 * Each takes the value node (NULL when the key was left out: the default
 * stays) and the dotted key for messages. */

static const yaml_node_t *
node(struct loader *L, int index)
{
	return yaml_document_get_node(L->doc, index);
}

static size_t
seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static const yaml_node_t *
seq_at(struct loader *L, const yaml_node_t *n, size_t i)
{
	return node(L, n->data.sequence.items.start[i]);
}

/*
 * Checks that n is a mapping whose keys are all among names[] and appear
 * once; vals[i] is set to the value of names[i], or NULL. Null is an empty
 * mapping, so that a section whose entries are all commented out is valid.
 */
static int
get_map(struct loader *L, const yaml_node_t *n, const char *key,
	const char *const names[], size_t count, const yaml_node_t *vals[])
{
	const yaml_node_t *keys[MAX_KEYS] = { NULL };
	char list[LIST_LEN], k[KEY_LEN], kname[FOUND_LEN];

	memset(vals, 0, count * sizeof(*vals));
	if (is_null(n))
		return 0;
	join(list, sizeof(list), names, count);
	if (n->type != YAML_MAPPING_NODE)
		return fail(L, n, key, "expected a mapping of %s, found %s", list,
			    found(L, n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *kn = node(L, p->key);
		size_t i;

		if (kn->type != YAML_SCALAR_NODE || is_null(kn))
			return fail(L, kn, key, "expected a key name, found %s",
				    found(L, kn));
		for (i = 0; i < count; i++)
			if (strlen(names[i]) == kn->data.scalar.length &&
			    strcmp(text(kn), names[i]) == 0)
				break;
		if (i == count) {
			printable(kname, sizeof(kname), kn->data.scalar.value,
				  kn->data.scalar.length);
			return fail(L, kn, kjoin(k, key, kname),
				    "expected one of %s, found unknown key", list);
		}
		if (keys[i])
			return fail(L, kn, kjoin(k, key, names[i]),
				    "expected each key once, found it again (first at line %lu)",
				    line_of(keys[i]));
		keys[i] = kn;
		vals[i] = node(L, p->value);
	}
	return 0;
}

/* Checks that n is a list of min..max entries (null: empty); *len gets its length. */
static int
get_seq(struct loader *L, const yaml_node_t *n, const char *key,
	const char *what, size_t min, size_t max, size_t *len)
{
	*len = 0;
	if (is_null(n)) {
		if (min > 0)
			return fail(L, n, key, "expected %s, found nothing", what);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(L, n, key, "expected %s, found %s", what, found(L, n));
	*len = seq_len(n);
	if (*len == 0 && min > 0)
		return fail(L, n, key, "expected %s, found an empty list", what);
	if (*len < min || *len > max)
		return fail(L, n, key, "expected %s, found %zu entries", what, *len);
	return 0;
}

/* A required key left out of the mapping m. */
static int
missing(struct loader *L, const yaml_node_t *m, const char *parent,
	const char *child, const char *what)
{
	char k[KEY_LEN];

	return fail(L, m, kjoin(k, parent, child), "expected %s (required), found nothing",
		    what);
}

/* Text of a scalar of fewer than size bytes, without NUL bytes. */
static int
get_text(struct loader *L, const yaml_node_t *n, const char *key,
	 const char *what, size_t size, const char **out)
{
	if (!n || n->type != YAML_SCALAR_NODE || is_null(n))
		return fail(L, n, key, "expected %s, found %s", what, found(L, n));
	if (strlen(text(n)) != n->data.scalar.length)
		return fail(L, n, key, "expected %s, found text with a NUL byte", what);
	if (n->data.scalar.length >= size)
		return fail(L, n, key, "expected %s of at most %zu characters, found %zu characters",
			    what, size - 1, n->data.scalar.length);
	*out = text(n);
	return 0;
}

static int
get_str(struct loader *L, const yaml_node_t *n, const char *key,
	const char *what, char *out, size_t size)
{
	const char *s;
	int rc;

	if (!n)
		return 0;
	rc = get_text(L, n, key, what, size, &s);
	if (rc == 0)
		memcpy(out, s, strlen(s) + 1);
	return rc;
}

/* Decimal integer text (optionally negative), nothing else. */
static bool
parse_int(const char *s, long long *v)
{
	char *end;

	if (!((s[0] >= '0' && s[0] <= '9') ||
	      (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return false;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*end != '\0')
		return false;
	if (errno == ERANGE)
		*v = s[0] == '-' ? -1 : (long long)UINT32_MAX + 1; /* out of any range */
	return true;
}

static int
get_int(struct loader *L, const yaml_node_t *n, const char *key,
	long long min, long long max, long long *v)
{
	if (!n || n->type != YAML_SCALAR_NODE || is_null(n) ||
	    strlen(text(n)) != n->data.scalar.length || !parse_int(text(n), v))
		return fail(L, n, key, "expected an integer, found %s", found(L, n));
	if (*v < min || *v > max)
		return fail(L, n, key, "expected an integer between %lld and %lld, found %s",
			    min, max, text(n));
	return 0;
}

static int
get_u32(struct loader *L, const yaml_node_t *n, const char *key,
	long long min, long long max, uint32_t *out)
{
	long long v;
	int rc;

	if (!n)
		return 0;
	rc = get_int(L, n, key, min, max, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static int
get_u16(struct loader *L, const yaml_node_t *n, const char *key,
	long long min, long long max, uint16_t *out)
{
	uint32_t v = *out;
	int rc = get_u32(L, n, key, min, max, &v);

	*out = (uint16_t)v;
	return rc;
}

static int
get_u8(struct loader *L, const yaml_node_t *n, const char *key,
       long long min, long long max, uint8_t *out)
{
	uint32_t v = *out;
	int rc = get_u32(L, n, key, min, max, &v);

	*out = (uint8_t)v;
	return rc;
}

static int
get_pow2(struct loader *L, const yaml_node_t *n, const char *key,
	 uint32_t min, uint32_t max, uint32_t *out)
{
	long long v;
	int rc;

	if (!n)
		return 0;
	rc = get_int(L, n, key, 0, (long long)UINT32_MAX, &v);
	if (rc == 0 && (v < min || v > max || (v & (v - 1)) != 0))
		rc = fail(L, n, key, "expected a power of two between %u and %u, found %s",
			  min, max, text(n));
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

/* One of a few words (drop|pass, normal|high): *idx gets its position. */
static int
get_word(struct loader *L, const yaml_node_t *n, const char *key,
	 const char *const words[], size_t count, unsigned int *idx)
{
	char list[LIST_LEN];

	join(list, sizeof(list), words, count);
	if (n && n->type == YAML_SCALAR_NODE && !is_null(n))
		for (size_t i = 0; i < count; i++)
			if (strcmp(text(n), words[i]) == 0) {
				*idx = (unsigned int)i;
				return 0;
			}
	return fail(L, n, key, "expected one of %s, found %s", list, found(L, n));
}

/* A name: 1..PF_NAME_LEN-1 characters of [A-Za-z0-9_-]. */
static int
get_name(struct loader *L, const yaml_node_t *n, const char *key,
	 const char *what, char out[PF_NAME_LEN])
{
	const char *s;
	int rc = get_text(L, n, key, what, PF_NAME_LEN, &s);

	if (rc)
		return rc;
	if (*s == '\0' || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789_-")] != '\0')
		return fail(L, n, key,
			    "expected %s made of A-Z a-z 0-9 _ -, found %s", what,
			    found(L, n));
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* A list of 1..PF_MAX_SET distinct lcore ids. */
static int
get_lcores(struct loader *L, const yaml_node_t *n, const char *key,
	   struct pf_lcore_set *set)
{
	char what[64], k[KEY_LEN];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of 1 to %d lcore ids", PF_MAX_SET);
	rc = get_seq(L, n, key, what, 1, PF_MAX_SET, &len);
	if (rc)
		return rc;
	for (size_t i = 0; i < len; i++) {
		const yaml_node_t *it = seq_at(L, n, i);
		long long v;

		rc = get_int(L, it, kidx(k, key, i), 0, PF_MAX_LCORE - 1, &v);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (set->ids[j] == v)
				return fail(L, it, k,
					    "expected distinct lcore ids, found %lld twice", v);
		set->ids[i] = (uint16_t)v;
	}
	set->n = (uint16_t)len;
	return 0;
}

/* ---- sections ----------------------------------------------------------- */

static int
load_dataplane(struct loader *L, const yaml_node_t *n)
{
	static const char *const non_pf[] = { "drop", "pass" };
	static const char *const idle[] = { "poll", "yield" };
	struct pf_config *cfg = L->cfg;
	const yaml_node_t *v[DK_COUNT];
	char k[KEY_LEN];
	const char *rules, *slash;
	unsigned int idx;
	int rc;

	rc = get_map(L, n, "dataplane", DK_names, DK_COUNT, v);
	if (rc)
		return rc;
	if ((rc = get_u16(L, v[DK_UDP_PORT], "dataplane.udp_port", 1, 65535,
			  &cfg->udp_port)) ||
	    (rc = get_u8(L, v[DK_HIGH_MIN], "dataplane.high_priority_min", 0, 255,
			 &cfg->high_prio_min)) ||
	    (rc = get_u16(L, v[DK_BURST], "dataplane.burst", 1, 256, &cfg->burst)) ||
	    (rc = get_u32(L, v[DK_TX_FLUSH], "dataplane.tx_flush_us", 1, 100000,
			  &cfg->tx_flush_us)) ||
	    (rc = get_str(L, v[DK_CONTROL], "dataplane.control_socket", "a path",
			  cfg->control_socket, PF_PATH_LEN)) ||
	    (rc = get_str(L, v[DK_STATS], "dataplane.stats_segment", "a path",
			  cfg->stats_segment, PF_PATH_LEN)))
		return rc;
	if (v[DK_NON_PF]) {
		rc = get_word(L, v[DK_NON_PF], "dataplane.non_packetflow", non_pf, 2, &idx);
		if (rc)
			return rc;
		cfg->pass_non_pf = idx == 1;
	}
	if (v[DK_IDLE]) {
		rc = get_word(L, v[DK_IDLE], "dataplane.idle", idle, 2, &idx);
		if (rc)
			return rc;
		cfg->idle_yield = idx == 1;
	}
	if (v[DK_CONTROL] && cfg->control_socket[0] == '\0')
		return fail(L, v[DK_CONTROL], "dataplane.control_socket",
			    "expected a path, found \"\"");
	if (v[DK_STATS] && cfg->stats_segment[0] == '\0')
		return fail(L, v[DK_STATS], "dataplane.stats_segment",
			    "expected a path, found \"\"");
	if (!v[DK_RULES])
		return 0;
	/* "" turns the rules off; a quoted empty string is not null */
	if (v[DK_RULES]->type == YAML_SCALAR_NODE &&
	    v[DK_RULES]->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	    v[DK_RULES]->data.scalar.length == 0)
		return 0;
	rc = get_text(L, v[DK_RULES], kjoin(k, "dataplane", "rules"),
		      "a path (\"\" for no rules)", PF_PATH_LEN, &rules);
	if (rc)
		return rc;
	/* relative to the config file's directory, not to the process's */
	slash = strrchr(L->name, '/');
	if (rules[0] == '/' || !slash) {
		memcpy(cfg->rules_file, rules, strlen(rules) + 1);
		return 0;
	}
	if ((size_t)(slash - L->name) + 1 + strlen(rules) >= PF_PATH_LEN)
		return fail(L, v[DK_RULES], k,
			    "expected a path of at most %d characters once resolved against %.*s, found %zu characters",
			    PF_PATH_LEN - 1, (int)(slash - L->name + 1), L->name,
			    (size_t)(slash - L->name) + 1 + strlen(rules));
	snprintf(cfg->rules_file, PF_PATH_LEN, "%.*s%s",
		 (int)(slash - L->name + 1), L->name, rules);
	return 0;
}

static int
load_eal(struct loader *L, const yaml_node_t *n)
{
	struct pf_config *cfg = L->cfg;
	char what[64], k[KEY_LEN];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d EAL arguments",
		 PF_MAX_EAL_ARGS);
	rc = get_seq(L, n, "eal", what, 0, PF_MAX_EAL_ARGS, &len);
	for (size_t i = 0; rc == 0 && i < len; i++)
		rc = get_str(L, seq_at(L, n, i), kidx(k, "eal", i),
			     "an argument (string or number)", cfg->eal_args[i],
			     PF_DEVICE_LEN);
	if (rc == 0)
		cfg->n_eal_args = (uint16_t)len;
	return rc;
}

static int
load_memory(struct loader *L, const yaml_node_t *n)
{
	struct pf_config *cfg = L->cfg;
	const yaml_node_t *v[MK_COUNT];
	int rc;

	if ((rc = get_map(L, n, "memory", MK_names, MK_COUNT, v)) ||
	    (rc = get_u32(L, v[MK_MBUFS], "memory.mbufs", 1023, 16777215,
			  &cfg->mbufs)) ||
	    (rc = get_u32(L, v[MK_CACHE], "memory.mbuf_cache", 0, 512,
			  &cfg->mbuf_cache)) ||
	    (rc = get_u16(L, v[MK_DATA_ROOM], "memory.mbuf_data_room", 256, 65535,
			  &cfg->mbuf_data_room)) ||
	    (rc = get_pow2(L, v[MK_RING], "memory.ring_size", 64, 65536,
			   &cfg->ring_size)) ||
	    (rc = get_pow2(L, v[MK_HIGH_RING], "memory.high_ring_size", 64, 65536,
			   &cfg->high_ring_size)))
		return rc;
	return 0;
}

static bool
hex_digits(const char *s, size_t n, unsigned int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return false;
		*v = *v * 16 + d;
	}
	return true;
}

/*
 * Canonical identity of a device, to find two ports on one device:
 * "DDDD:BB:DD.F" for a PCI address (either form), the vdev name before its
 * first comma. Returns false when the string is neither.
 */
static bool
device_id(const char *s, char *id, size_t size, bool *is_vdev)
{
	unsigned int dom = 0, bus, dev, fn;
	size_t len = strlen(s);

	if (strncmp(s, "net_", 4) == 0 || strncmp(s, "eth_", 4) == 0) {
		size_t name = strcspn(s, ",");

		*is_vdev = true;
		if (name == 4 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "abcdefghijklmnopqrstuvwxyz0123456789_") < name)
			return false;
		for (size_t i = name; i < len; i++)
			if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
				return false;
		snprintf(id, size, "%.*s", (int)name, s);
		return true;
	}
	*is_vdev = false;
	if (len == 12) {
		if (s[4] != ':' || !hex_digits(s, 4, &dom))
			return false;
		s += 5;
		len -= 5;
	}
	if (len != 7 || s[2] != ':' || s[5] != '.' || !hex_digits(s, 2, &bus) ||
	    !hex_digits(s + 3, 2, &dev) || !hex_digits(s + 6, 1, &fn) ||
	    dev > 0x1f || fn > 7)
		return false;
	snprintf(id, size, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

static int
load_port(struct loader *L, const yaml_node_t *n, size_t idx)
{
	char (*ids)[PF_DEVICE_LEN] = L->device_ids;
	struct pf_config *cfg = L->cfg;
	struct pf_port_conf *p = &cfg->ports[idx];
	const yaml_node_t *v[PK_COUNT];
	char key[KEY_LEN], k[KEY_LEN];
	int rc;

	kidx(key, "ports", idx);
	rc = get_map(L, n, key, PK_names, PK_COUNT, v);
	if (rc)
		return rc;
	if (is_null(n))
		return fail(L, n, key, "expected a mapping of %s, found nothing",
			    "name, device, rx_lcores, rx_desc, tx_desc");
	p->line = (int)line_of(n);
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	if (!v[PK_NAME])
		return missing(L, n, key, "name", "a port name");
	if (!v[PK_DEVICE])
		return missing(L, n, key, "device", "a PCI address or vdev string");
	if (!v[PK_RX_LCORES])
		return missing(L, n, key, "rx_lcores", "a list of RX lcore ids");
	if ((rc = get_name(L, v[PK_NAME], kjoin(k, key, "name"), "a port name",
			   p->name)))
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(cfg->ports[j].name, p->name) == 0)
			return fail(L, v[PK_NAME], k,
				    "expected a name no other port has, found \"%s\" (also ports[%zu])",
				    p->name, j);
	if ((rc = get_str(L, v[PK_DEVICE], kjoin(k, key, "device"),
			  "a PCI address or vdev string", p->device, PF_DEVICE_LEN)))
		return rc;
	if (!device_id(p->device, ids[idx], PF_DEVICE_LEN, &p->is_vdev))
		return fail(L, v[PK_DEVICE], k,
			    "expected a PCI address (DDDD:BB:DD.F or BB:DD.F) or a vdev (net_NAME,ARGS or eth_NAME,ARGS), found %s",
			    found(L, v[PK_DEVICE]));
	for (size_t j = 0; j < idx; j++)
		if (strcasecmp(ids[j], ids[idx]) == 0)
			return fail(L, v[PK_DEVICE], k,
				    "expected a device no other port uses, found %s (also ports[%zu])",
				    found(L, v[PK_DEVICE]), j);
	if ((rc = get_lcores(L, v[PK_RX_LCORES], kjoin(k, key, "rx_lcores"),
			     &p->rx_lcores)) ||
	    (rc = get_u16(L, v[PK_RX_DESC], kjoin(k, key, "rx_desc"), 64, 32768,
			  &p->rx_desc)) ||
	    (rc = get_u16(L, v[PK_TX_DESC], kjoin(k, key, "tx_desc"), 64, 32768,
			  &p->tx_desc)))
		return rc;
	return 0;
}

static int
load_ports(struct loader *L, const yaml_node_t *root, const yaml_node_t *n)
{
	char what[64];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of 1 to %d ports", PF_MAX_PORTS);
	if (!n)
		return fail(L, root, "ports", "expected %s (required), found nothing", what);
	rc = get_seq(L, n, "ports", what, 1, PF_MAX_PORTS, &len);
	for (size_t i = 0; rc == 0 && i < len; i++)
		rc = load_port(L, seq_at(L, n, i), i);
	if (rc == 0)
		L->cfg->n_ports = (uint16_t)len;
	return rc;
}

/*
 * Reads a policy mapping over *p, which holds what is inherited. When
 * replicate is left out it becomes min(dflt_replicate, lcores), at least 1.
 * inherited_lcores_key names where inherited lcores come from, for messages;
 * *replicate_set tells whether the mapping gave replicate.
 */
static int
get_policy(struct loader *L, const yaml_node_t *n, const char *key,
	   struct pf_policy *p, unsigned int dflt_replicate,
	   const char *inherited_lcores_key, bool *replicate_set)
{
	static const char *const prios[] = { "normal", "high" };
	const yaml_node_t *v[PO_COUNT];
	char k[KEY_LEN], lk[KEY_LEN], list[LIST_LEN];
	const char *balances[PF_BALANCE_COUNT];
	unsigned int idx;
	int rc;

	rc = get_map(L, n, key, PO_names, PO_COUNT, v);
	if (rc)
		return rc;
	*replicate_set = v[PO_REPLICATE] != NULL;
	if (v[PO_LCORES] &&
	    (rc = get_lcores(L, v[PO_LCORES], kjoin(lk, key, "lcores"), &p->lcores)))
		return rc;
	if (!v[PO_LCORES])
		snprintf(lk, sizeof(lk), "%s", inherited_lcores_key);
	if (v[PO_BALANCE]) {
		int b = -ENOENT;

		for (unsigned int i = 0; i < PF_BALANCE_COUNT; i++)
			balances[i] = pf_balance_name(i);
		if (v[PO_BALANCE]->type == YAML_SCALAR_NODE && !is_null(v[PO_BALANCE]))
			b = pf_balance_by_name(text(v[PO_BALANCE]));
		if (b < 0)
			return fail(L, v[PO_BALANCE], kjoin(k, key, "balance"),
				    "expected one of %s, found %s",
				    join(list, sizeof(list), balances, PF_BALANCE_COUNT),
				    found(L, v[PO_BALANCE]));
		p->balance = (uint8_t)b;
	}
	if (v[PO_PRIORITY]) {
		rc = get_word(L, v[PO_PRIORITY], kjoin(k, key, "priority"), prios, 2, &idx);
		if (rc)
			return rc;
		p->high_prio = (uint8_t)idx;
	}
	if (v[PO_REPLICATE]) {
		rc = get_u8(L, v[PO_REPLICATE], kjoin(k, key, "replicate"), 1, PF_MAX_SET,
			    &p->replicate);
		if (rc)
			return rc;
		if (p->replicate > p->lcores.n)
			return fail(L, v[PO_REPLICATE], k,
				    "expected at most %u (one copy per lcore of %s), found %u",
				    p->lcores.n, lk, p->replicate);
	} else {
		p->replicate = (uint8_t)(dflt_replicate < p->lcores.n ? dflt_replicate
								       : p->lcores.n);
		if (p->replicate == 0)
			p->replicate = 1;
	}
	return 0;
}

static int
load_groups(struct loader *L, const yaml_node_t *n)
{
	const yaml_node_t *seen[PF_GROUP_COUNT + 1] = { NULL };
	char k[KEY_LEN], lk[KEY_LEN], list[LIST_LEN], kname[FOUND_LEN];
	const char *syms[PF_GROUP_COUNT];
	bool set;
	int rc;

	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		syms[g - 1] = pf_group_get(g)->symbol;
	join(list, sizeof(list), syms, PF_GROUP_COUNT);
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(L, n, "groups", "expected a mapping of %s, found %s", list,
			    found(L, n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *kn = node(L, p->key);
		const struct pf_group_info *g = NULL;

		if (kn->type != YAML_SCALAR_NODE || is_null(kn))
			return fail(L, kn, "groups", "expected a group symbol, found %s",
				    found(L, kn));
		if (strlen(text(kn)) == kn->data.scalar.length)
			g = pf_group_by_symbol(text(kn));
		if (!g) {
			printable(kname, sizeof(kname), kn->data.scalar.value,
				  kn->data.scalar.length);
			return fail(L, kn, kjoin(k, "groups", kname),
				    "expected one of %s, found unknown group", list);
		}
		kjoin(k, "groups", g->symbol);
		if (seen[g->number])
			return fail(L, kn, k,
				    "expected each group once, found it again (first at line %lu)",
				    line_of(seen[g->number]));
		seen[g->number] = kn;
		rc = get_policy(L, node(L, p->value), k, &L->cfg->groups[g->number],
				group_defaults[g->number].replicate,
				kjoin(lk, k, "lcores"), &set);
		if (rc)
			return rc;
		if (set)
			L->group_replicate[g->number] = L->cfg->groups[g->number].replicate;
	}
	return 0;
}

/* Bit of the role named by n, or fails listing the roles there are. */
static int
role_bit(struct loader *L, const yaml_node_t *n, const char *key, uint64_t *bit)
{
	const struct pf_config *cfg = L->cfg;
	char list[LIST_LEN];
	size_t o = 0;

	if (n->type == YAML_SCALAR_NODE && !is_null(n) &&
	    (*bit = pf_config_role_bit(cfg, text(n))) != 0)
		return 0;
	list[0] = '\0';
	for (uint16_t i = 0; i < cfg->n_roles && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i ? ", " : "", cfg->roles[i].name);
	return fail(L, n, key, "expected a role name (%s), found %s",
		    cfg->n_roles ? list : "no roles are defined", found(L, n));
}

/* OR of the bits (or of their closures) of a list of role names. */
static int
role_list(struct loader *L, const yaml_node_t *n, const char *key,
	  bool closure, uint64_t *mask)
{
	char what[64], k[KEY_LEN];
	size_t len;
	int rc;

	*mask = 0;
	snprintf(what, sizeof(what), "a list of at most %d role names", PF_MAX_ROLES);
	rc = get_seq(L, n, key, what, 0, PF_MAX_ROLES, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		uint64_t bit;

		rc = role_bit(L, seq_at(L, n, i), kidx(k, key, i), &bit);
		if (rc)
			break;
		if (closure)
			bit = L->cfg->roles[__builtin_ctzll(bit)].implies;
		*mask |= bit;
	}
	return rc;
}

static int
load_roles(struct loader *L, const yaml_node_t *n)
{
	struct pf_config *cfg = L->cfg;
	const yaml_node_t *v[RO_COUNT];
	char what[64], key[KEY_LEN], k[KEY_LEN];
	size_t len;
	bool changed;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d roles", PF_MAX_ROLES);
	rc = get_seq(L, n, "roles", what, 0, PF_MAX_ROLES, &len);
	/* names first: implies may name a role defined further down */
	for (size_t i = 0; rc == 0 && i < len; i++) {
		const yaml_node_t *it = seq_at(L, n, i);

		kidx(key, "roles", i);
		rc = get_map(L, it, key, RO_names, RO_COUNT, v);
		if (rc == 0 && !v[RO_NAME])
			rc = missing(L, it, key, "name", "a role name");
		if (rc == 0)
			rc = get_name(L, v[RO_NAME], kjoin(k, key, "name"), "a role name",
				      cfg->roles[i].name);
		L->implies[i] = rc == 0 ? v[RO_IMPLIES] : NULL;
		for (size_t j = 0; rc == 0 && j < i; j++)
			if (strcmp(cfg->roles[j].name, cfg->roles[i].name) == 0)
				rc = fail(L, v[RO_NAME], k,
					  "expected a name no other role has, found \"%s\" (also roles[%zu])",
					  cfg->roles[i].name, j);
		cfg->roles[i].implies = UINT64_C(1) << i;
		cfg->n_roles = (uint16_t)(i + 1);
	}
	for (size_t i = 0; rc == 0 && i < len; i++) {
		uint64_t mask;

		if (!L->implies[i])
			continue;
		kidx(key, "roles", i);
		rc = role_list(L, L->implies[i], kjoin(k, key, "implies"), false, &mask);
		cfg->roles[i].implies |= mask;
	}
	if (rc)
		return rc;
	/* transitive closure; a cycle just gives its roles the same closure */
	do {
		changed = false;
		for (size_t i = 0; i < cfg->n_roles; i++) {
			uint64_t acc = cfg->roles[i].implies;

			for (size_t j = 0; j < cfg->n_roles; j++)
				if (acc & (UINT64_C(1) << j))
					acc |= cfg->roles[j].implies;
			changed |= acc != cfg->roles[i].implies;
			cfg->roles[i].implies = acc;
		}
	} while (changed);
	return 0;
}

/* "FIRST-LAST", two u32 with FIRST <= LAST. */
static bool
parse_range(const char *s, uint32_t *first, uint32_t *last)
{
	const char *dash = strchr(s, '-');
	char a[16];
	long long x, y;

	if (!dash || dash == s || (size_t)(dash - s) >= sizeof(a))
		return false;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (a[0] == '-' || !parse_int(a, &x) || dash[1] == '-' ||
	    !parse_int(dash + 1, &y) || x > UINT32_MAX || y > UINT32_MAX || x > y)
		return false;
	*first = (uint32_t)x;
	*last = (uint32_t)y;
	return true;
}

static int
cmp_session(const void *a, const void *b)
{
	const struct pf_session_conf *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static int
load_sessions(struct loader *L, const yaml_node_t *n)
{
	struct pf_config *cfg = L->cfg;
	const yaml_node_t *v[SE_COUNT];
	char what[64], key[KEY_LEN], k[KEY_LEN];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d sessions", PF_MAX_SESSIONS);
	rc = get_seq(L, n, "sessions", what, 0, PF_MAX_SESSIONS, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		const yaml_node_t *it = seq_at(L, n, i);
		struct pf_session_conf *s = &cfg->sessions[i];
		uint32_t id = 0;

		kidx(key, "sessions", i);
		if ((rc = get_map(L, it, key, SE_names, SE_COUNT, v)))
			break;
		if (!!v[SE_ID] == !!v[SE_IDS]) {
			rc = fail(L, it, key, "expected one of id or ids, found %s",
				  v[SE_ID] ? "both" : "neither");
			break;
		}
		if (!v[SE_ROLES]) {
			rc = missing(L, it, key, "roles", "a list of role names");
			break;
		}
		if (v[SE_ID]) {
			if ((rc = get_u32(L, v[SE_ID], kjoin(k, key, "id"), 0, UINT32_MAX, &id)))
				break;
			s->first = s->last = id;
		} else if (v[SE_IDS]->type != YAML_SCALAR_NODE ||
			   strlen(text(v[SE_IDS])) != v[SE_IDS]->data.scalar.length ||
			   !parse_range(text(v[SE_IDS]), &s->first, &s->last)) {
			rc = fail(L, v[SE_IDS], kjoin(k, key, "ids"),
				  "expected a range FIRST-LAST of session ids with FIRST <= LAST, found %s",
				  found(L, v[SE_IDS]));
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (s->first <= cfg->sessions[j].last &&
			    cfg->sessions[j].first <= s->last) {
				rc = fail(L, v[SE_ID] ? v[SE_ID] : v[SE_IDS],
					  kjoin(k, key, v[SE_ID] ? "id" : "ids"),
					  "expected ids no other entry lists, found %u-%u overlapping sessions[%zu] (%u-%u)",
					  s->first, s->last, j, cfg->sessions[j].first,
					  cfg->sessions[j].last);
				break;
			}
		if (rc == 0)
			rc = role_list(L, v[SE_ROLES], kjoin(k, key, "roles"), true, &s->roles);
	}
	if (rc)
		return rc;
	cfg->n_sessions = (uint16_t)len;
	/* sorted, so that pf_config_session_roles() can bisect */
	qsort(cfg->sessions, len, sizeof(cfg->sessions[0]), cmp_session);
	return 0;
}

static int
load_stage(struct loader *L, const yaml_node_t *n, const char *key,
	   size_t m, size_t i)
{
	struct pf_stage_conf *st = &L->cfg->molecules[m].stages[i];
	const yaml_node_t *v[ST_COUNT];
	const struct pf_bond_info *b = NULL;
	char k[KEY_LEN];
	int rc;

	st->bond = PF_BOND_COVALENT;
	st->width = 1;
	if (n->type == YAML_SCALAR_NODE) {
		L->stage_cap[m][i] = n;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return fail(L, n, key, "expected a capability name or a mapping of %s, found %s",
			    "capability, bond, width", found(L, n));
	rc = get_map(L, n, key, ST_names, ST_COUNT, v);
	if (rc)
		return rc;
	if (!v[ST_CAPABILITY])
		return missing(L, n, key, "capability", "a capability name");
	L->stage_cap[m][i] = v[ST_CAPABILITY];
	L->stage_is_map[m][i] = true;
	if (v[ST_BOND]) {
		if (i == 0)
			return fail(L, v[ST_BOND], kjoin(k, key, "bond"),
				    "expected no bond on the first stage, found %s",
				    found(L, v[ST_BOND]));
		if (v[ST_BOND]->type == YAML_SCALAR_NODE && !is_null(v[ST_BOND]))
			b = pf_bond_by_name(text(v[ST_BOND]));
		if (!b)
			return fail(L, v[ST_BOND], kjoin(k, key, "bond"),
				    "expected one of ionic, covalent, metallic, van-der-waals, vdw, found %s",
				    found(L, v[ST_BOND]));
		st->bond = b->type;
	}
	if (v[ST_WIDTH]) {
		if (st->bond != PF_BOND_METALLIC)
			return fail(L, v[ST_WIDTH], kjoin(k, key, "width"),
				    "expected width only with bond metallic, found bond %s",
				    pf_bond_get(st->bond)->name);
		rc = get_u8(L, v[ST_WIDTH], kjoin(k, key, "width"), 1, PF_MAX_SET,
			    &st->width);
	}
	return rc;
}

static int
load_molecules(struct loader *L, const yaml_node_t *n)
{
	struct pf_config *cfg = L->cfg;
	const yaml_node_t *v[MO_COUNT];
	char what[64], key[KEY_LEN], k[KEY_LEN], sk[KEY_LEN];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d molecules", PF_MAX_MOLECULES);
	rc = get_seq(L, n, "molecules", what, 0, PF_MAX_MOLECULES, &len);
	for (size_t m = 0; rc == 0 && m < len; m++) {
		const yaml_node_t *it = seq_at(L, n, m);
		struct pf_molecule_conf *mol = &cfg->molecules[m];
		size_t n_stages = 0;

		kidx(key, "molecules", m);
		if ((rc = get_map(L, it, key, MO_names, MO_COUNT, v)))
			break;
		if (!v[MO_NAME] || !v[MO_STAGES]) {
			rc = missing(L, it, key, v[MO_NAME] ? "stages" : "name",
				     v[MO_NAME] ? "a list of stages" : "a molecule name");
			break;
		}
		mol->line = (int)line_of(it);
		if ((rc = get_name(L, v[MO_NAME], kjoin(k, key, "name"), "a molecule name",
				   mol->name)))
			break;
		for (size_t j = 0; rc == 0 && j < m; j++)
			if (strcmp(cfg->molecules[j].name, mol->name) == 0)
				rc = fail(L, v[MO_NAME], k,
					  "expected a name no other molecule has, found \"%s\" (also molecules[%zu])",
					  mol->name, j);
		snprintf(what, sizeof(what), "a list of 1 to %d stages", PF_MAX_STAGES);
		if (rc == 0)
			rc = get_seq(L, v[MO_STAGES], kjoin(k, key, "stages"), what, 1,
				     PF_MAX_STAGES, &n_stages);
		for (size_t i = 0; rc == 0 && i < n_stages; i++)
			rc = load_stage(L, seq_at(L, v[MO_STAGES], i), kidx(sk, k, i), m, i);
		mol->n_stages = (uint16_t)n_stages;
		cfg->n_molecules = (uint16_t)(m + 1);
	}
	return rc;
}

/* requires/provides: field names or contract ids 1..63, as a mask. */
static int
field_mask(struct loader *L, const yaml_node_t *n, const char *key, uint64_t *mask)
{
	static const char *const fields[] = {
#define X(name, id, str, desc) str,
		PF_FIELD_LIST(X)
#undef X
	};
	char k[KEY_LEN], list[LIST_LEN];
	size_t len;
	int rc;

	rc = get_seq(L, n, key, "a list of field names or ids", 0, 64, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		const yaml_node_t *it = seq_at(L, n, i);
		long long id = -ENOENT;

		kidx(k, key, i);
		if (it->type == YAML_SCALAR_NODE && !is_null(it) &&
		    strlen(text(it)) == it->data.scalar.length) {
			if (!parse_int(text(it), &id))
				id = pf_field_by_name(text(it));
			else if (id < 1 || id > PF_FIELD_CONTRACT_MAX)
				return fail(L, it, k,
					    "expected a field id between 1 and %d, found %s",
					    PF_FIELD_CONTRACT_MAX, text(it));
		}
		if (id < 1)
			return fail(L, it, k, "expected a field name (%s) or an id 1..%d, found %s",
				    join(list, sizeof(list), fields,
					 sizeof(fields) / sizeof(fields[0])),
				    PF_FIELD_CONTRACT_MAX, found(L, it));
		*mask |= pf_field_bit((uint16_t)id);
	}
	return rc;
}

static int
effect_mask(struct loader *L, const yaml_node_t *n, const char *key, uint32_t *mask)
{
	static const char *const effects[] = {
#define X(name, bit, str, desc) str,
		PF_EFFECT_LIST(X)
#undef X
	};
	char k[KEY_LEN], list[LIST_LEN];
	size_t len;
	int rc;

	rc = get_seq(L, n, key, "a list of effect names", 0, 64, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		const yaml_node_t *it = seq_at(L, n, i);
		uint32_t bit = 0;

		if (it->type == YAML_SCALAR_NODE && !is_null(it))
			bit = pf_effect_by_name(text(it));
		if (!bit)
			return fail(L, it, kidx(k, key, i), "expected one of %s, found %s",
				    join(list, sizeof(list), effects,
					 sizeof(effects) / sizeof(effects[0])),
				    found(L, it));
		*mask |= bit;
	}
	return rc;
}

static int
load_element(struct loader *L, const yaml_node_t *n, const char *key,
	     struct pf_cap_conf *c)
{
	const struct pf_element *e = NULL;
	const struct pf_group_info *g;
	const char *s, *dot;
	char syms[LIST_LEN];
	int rc;

	rc = get_text(L, n, key, "an element (GROUP.symbol or symbol)", 16, &s);
	if (rc)
		return rc;
	e = pf_element_by_symbol(s);
	if (e) {
		c->group = e->group;
		c->element = e->index;
		return 0;
	}
	/* a known symbol in the wrong group deserves the group's own list */
	dot = strchr(s, '.');
	if (dot && dot - s < 3 && pf_element_by_symbol(dot + 1)) {
		char gs[3] = { 0 };

		memcpy(gs, s, (size_t)(dot - s));
		g = pf_group_by_symbol(gs);
		if (g) {
			size_t o = 0;

			for (unsigned int i = 1; i <= PF_ELEMENTS_PER_GROUP; i++)
				o += (size_t)snprintf(syms + o, sizeof(syms) - o, "%s%s.%s",
						      i > 1 ? ", " : "", g->symbol,
						      pf_element_at(g->number, i)->symbol);
			return fail(L, n, key, "expected an element of group %s (%s), found %s",
				    g->symbol, syms, found(L, n));
		}
	}
	return fail(L, n, key,
		    "expected an element of the periodic table (GROUP.symbol such as DF.tr, or a symbol such as tr), found %s",
		    found(L, n));
}

static int
load_rate(struct loader *L, const yaml_node_t *n, const char *key,
	  struct pf_cap_conf *c)
{
	const yaml_node_t *v[RA_COUNT];
	char k[KEY_LEN];
	int rc;

	if ((rc = get_map(L, n, key, RA_names, RA_COUNT, v)) ||
	    (rc = get_u32(L, v[RA_PPS], kjoin(k, key, "pps"), 0, UINT32_MAX,
			  &c->rate_pps)) ||
	    (rc = get_u32(L, v[RA_BURST], kjoin(k, key, "burst"), 1, UINT32_MAX,
			  &c->rate_burst)))
		return rc;
	if (v[RA_BURST] && c->rate_pps == 0)
		return fail(L, v[RA_BURST], k,
			    "expected a burst only with a rate (pps above 0), found a burst alone");
	if (!v[RA_BURST] && c->rate_pps)
		c->rate_burst = c->rate_pps / 10 ? c->rate_pps / 10 : 1;
	return 0;
}

static int
load_molecule_ref(struct loader *L, const yaml_node_t *n, const char *key,
		  struct pf_cap_conf *c)
{
	const struct pf_config *cfg = L->cfg;
	char list[LIST_LEN];
	size_t o = 0;

	if (n->type == YAML_SCALAR_NODE && !is_null(n))
		for (uint16_t i = 0; i < cfg->n_molecules; i++)
			if (strcmp(cfg->molecules[i].name, text(n)) == 0) {
				c->molecule = i;
				return 0;
			}
	list[0] = '\0';
	for (uint16_t i = 0; i < cfg->n_molecules && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i ? ", " : "", cfg->molecules[i].name);
	return fail(L, n, key, "expected a molecule name (%s), found %s",
		    cfg->n_molecules ? list : "no molecules are defined", found(L, n));
}

static int
load_cap(struct loader *L, const yaml_node_t *n, size_t idx)
{
	struct pf_config *cfg = L->cfg;
	struct pf_cap_conf *c = &cfg->caps[idx];
	const yaml_node_t *v[CK_COUNT];
	const struct pf_policy *gp;
	char key[KEY_LEN], k[KEY_LEN], lk[KEY_LEN];
	const char *gsym;
	uint32_t id = 0;
	int rc;

	kidx(key, "capabilities", idx);
	rc = get_map(L, n, key, CK_names, CK_COUNT, v);
	if (rc)
		return rc;
	if (!v[CK_ID])
		return missing(L, n, key, "id", "a capability id");
	if (!v[CK_NAME])
		return missing(L, n, key, "name", "a capability name");
	if (!v[CK_ELEMENT])
		return missing(L, n, key, "element", "an element (GROUP.symbol)");
	c->line = (int)line_of(n);
	c->max_payload = 1400;
	c->molecule = -1;
	if ((rc = get_u32(L, v[CK_ID], kjoin(k, key, "id"), 1, PF_MAX_CAP_ID, &id)))
		return rc;
	c->id = (uint16_t)id;
	for (size_t j = 0; j < idx; j++)
		if (cfg->caps[j].id == c->id)
			return fail(L, v[CK_ID], k,
				    "expected an id no other capability has, found %u (also capabilities[%zu])",
				    c->id, j);
	if ((rc = get_name(L, v[CK_NAME], kjoin(k, key, "name"), "a capability name",
			   c->name)))
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(cfg->caps[j].name, c->name) == 0)
			return fail(L, v[CK_NAME], k,
				    "expected a name no other capability has, found \"%s\" (also capabilities[%zu])",
				    c->name, j);
	if ((rc = load_element(L, v[CK_ELEMENT], kjoin(k, key, "element"), c)) ||
	    (rc = get_str(L, v[CK_INTENT], kjoin(k, key, "intent"), "an intent text",
			  c->intent, PF_INTENT_LEN)) ||
	    (rc = get_str(L, v[CK_ARG], kjoin(k, key, "arg"), "an argument", c->arg,
			  PF_NAME_LEN)) ||
	    (rc = field_mask(L, v[CK_REQUIRES], kjoin(k, key, "requires"),
			     &c->requires)) ||
	    (rc = field_mask(L, v[CK_PROVIDES], kjoin(k, key, "provides"),
			     &c->provides)) ||
	    (rc = effect_mask(L, v[CK_EFFECTS], kjoin(k, key, "effects"), &c->effects)) ||
	    (rc = get_u32(L, v[CK_MAX_PAYLOAD], kjoin(k, key, "max_payload"), 0,
			  PF_MAX_PAYLOAD, &c->max_payload)) ||
	    (rc = role_list(L, v[CK_ROLES], kjoin(k, key, "roles"), false, &c->roles)) ||
	    (v[CK_RATE] && (rc = load_rate(L, v[CK_RATE], kjoin(k, key, "rate"), c))) ||
	    (v[CK_MOLECULE] &&
	     (rc = load_molecule_ref(L, v[CK_MOLECULE], kjoin(k, key, "molecule"), c))))
		return rc;

	/* the override starts from the group's policy: keys left out inherit */
	gp = &cfg->groups[c->group];
	gsym = pf_group_get(c->group)->symbol;
	snprintf(lk, sizeof(lk), "groups.%s.lcores", gsym);
	if (v[CK_ROUTING]) {
		/* replicate left out: the group's, capped by the lcores */
		unsigned int repl = L->group_replicate[c->group];
		bool set;

		c->has_policy = true;
		c->policy = *gp;
		rc = get_policy(L, v[CK_ROUTING], kjoin(k, key, "routing"), &c->policy,
				repl ? repl : group_defaults[c->group].replicate, lk,
				&set);
		if (rc)
			return rc;
	}
	if (pf_config_policy(cfg, c)->lcores.n == 0)
		return fail(L, v[CK_ELEMENT], kjoin(k, key, "element"),
			    "expected group %s to have lcores (%s), found none", gsym, lk);
	return 0;
}

static int
load_caps(struct loader *L, const yaml_node_t *n)
{
	char what[64];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d capabilities", PF_MAX_CAPS);
	rc = get_seq(L, n, "capabilities", what, 0, PF_MAX_CAPS, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		rc = load_cap(L, seq_at(L, n, i), i);
		L->cfg->n_caps = (uint16_t)(i + 1);
	}
	return rc;
}

/* Stages name capabilities, which load after the molecules: resolve now. */
static int
resolve_stages(struct loader *L)
{
	const struct pf_config *cfg = L->cfg;
	char k[KEY_LEN];

	for (uint16_t m = 0; m < cfg->n_molecules; m++)
		for (uint16_t i = 0; i < cfg->molecules[m].n_stages; i++) {
			const yaml_node_t *n = L->stage_cap[m][i];
			const struct pf_cap_conf *c = NULL;
			char list[LIST_LEN];
			size_t o = 0;

			snprintf(k, sizeof(k), "molecules[%u].stages[%u]%s", m, i,
				 L->stage_is_map[m][i] ? ".capability" : "");
			if (n->type == YAML_SCALAR_NODE && !is_null(n))
				c = pf_config_cap_by_name(cfg, text(n));
			if (c && c->molecule >= 0)
				return fail(L, n, k,
					    "expected a capability that is not itself a molecule, found \"%s\" (runs molecule %s)",
					    c->name, cfg->molecules[c->molecule].name);
			if (c) {
				L->cfg->molecules[m].stages[i].cap_id = c->id;
				continue;
			}
			list[0] = '\0';
			for (uint16_t j = 0; j < cfg->n_caps && o < sizeof(list); j++)
				if (cfg->caps[j].molecule < 0)
					o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
							      o ? ", " : "", cfg->caps[j].name);
			return fail(L, n, k, "expected a capability name (%s), found %s",
				    o ? list : "no capabilities are defined", found(L, n));
		}
	return 0;
}

static void
set_defaults(struct pf_config *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	cfg->udp_port = PF_UDP_PORT;
	cfg->high_prio_min = 192;
	cfg->burst = 32;
	cfg->tx_flush_us = 100;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 "/run/packetflow/dataplane.sock");
	snprintf(cfg->stats_segment, sizeof(cfg->stats_segment), "%s",
		 "/dev/shm/packetflow-stats");
	cfg->mbufs = 8191;
	cfg->mbuf_cache = 256;
	cfg->mbuf_data_room = 2176; /* RTE_MBUF_DEFAULT_BUF_SIZE */
	cfg->ring_size = 1024;
	cfg->high_ring_size = 256;
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++) {
		cfg->groups[g].balance = group_defaults[g].balance;
		cfg->groups[g].high_prio = group_defaults[g].high_prio;
		cfg->groups[g].replicate = 1;
	}
}

/* Sections in the order their references need, not the order written. */
static int
load_root(struct loader *L, const yaml_node_t *root)
{
	const yaml_node_t *v[RK_COUNT];
	int rc;

	if ((rc = get_map(L, root, "", RK_names, RK_COUNT, v)) ||
	    (rc = load_dataplane(L, v[RK_DATAPLANE])) ||
	    (rc = load_eal(L, v[RK_EAL])) ||
	    (rc = load_memory(L, v[RK_MEMORY])) ||
	    (rc = load_ports(L, root, v[RK_PORTS])) ||
	    (rc = load_groups(L, v[RK_GROUPS])) ||
	    (rc = load_roles(L, v[RK_ROLES])) ||
	    (v[RK_DEFAULT_ROLES] &&
	     (rc = role_list(L, v[RK_DEFAULT_ROLES], "default_roles", true,
			     &L->cfg->default_roles))) ||
	    (rc = load_sessions(L, v[RK_SESSIONS])) ||
	    (rc = load_molecules(L, v[RK_MOLECULES])) ||
	    (rc = load_caps(L, v[RK_CAPABILITIES])) ||
	    (rc = resolve_stages(L)))
		return rc;
	return 0;
}

/* The message of a parser error; reader errors (bad UTF-8) carry a byte
 * offset instead of a mark, so their line is counted in the input. */
static int
syntax_error(const yaml_parser_t *p, const char *name, const char *buf,
	     size_t len, char *err, size_t errlen)
{
	unsigned long line = (unsigned long)p->problem_mark.line + 1;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		line = 1;
		for (size_t i = 0; i < p->problem_offset && i < len; i++)
			line += buf[i] == '\n';
		snprintf(err, errlen, "%s:%lu: syntax error: %s (at byte %zu)", name,
			 line, problem, p->problem_offset);
	} else if (p->context) {
		snprintf(err, errlen, "%s:%lu: syntax error: %s (%s at line %lu)", name,
			 line, problem, p->context,
			 (unsigned long)p->context_mark.line + 1);
	} else {
		snprintf(err, errlen, "%s:%lu: syntax error: %s", name, line, problem);
	}
	return -EINVAL;
}

int
pf_config_load_buf(const char *name, const char *buf, size_t len,
		   struct pf_config *out, char *err, size_t errlen)
{
	char dummy[1];
	struct loader *L = NULL;
	yaml_parser_t parser;
	yaml_document_t doc, extra;
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
	L = calloc(1, sizeof(*L));
	if (L)
		L->cfg = malloc(sizeof(*L->cfg));
	if (!L || !L->cfg || !(have_parser = yaml_parser_initialize(&parser))) {
		snprintf(err, errlen, "%s: out of memory", name);
		rc = -ENOMEM;
		goto out;
	}
	L->name = name;
	L->doc = &doc;
	L->err = err;
	L->errlen = errlen;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(&parser, name, buf, len, err, errlen);
		goto out;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (root) {
		/* a second document would be ignored silently: refuse it */
		if (!yaml_parser_load(&parser, &extra)) {
			rc = syntax_error(&parser, name, buf, len, err, errlen);
			goto out;
		}
		if (yaml_document_get_root_node(&extra)) {
			rc = fail(L, yaml_document_get_root_node(&extra), "",
				  "expected one YAML document, found a second one");
			yaml_document_delete(&extra);
			goto out;
		}
		yaml_document_delete(&extra);
	}
	set_defaults(L->cfg, name);
	rc = load_root(L, root);
	if (rc == 0)
		memcpy(out, L->cfg, sizeof(*out));
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (L)
		free(L->cfg);
	free(L);
	return rc;
}

/* Reads the whole file (a pipe too), then loads it from memory. */
int
pf_config_load(const char *path, struct pf_config *cfg, char *err, size_t errlen)
{
	const char *what = "cannot open";
	char *buf = NULL, *grown;
	size_t len = 0, cap = 0;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto fail;
	}
	what = "cannot read";
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap >= MAX_FILE) {
				rc = -EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 16384;
			grown = realloc(buf, cap);
			if (!grown) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	rc = pf_config_load_buf(path, buf, len, cfg, err, errlen);
	free(buf);
	return rc;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (err && errlen)
		snprintf(err, errlen, "%s: %s: %s", path, what, strerror(-rc));
	return rc;
}

/* ---- queries ----------------------------------------------------------- */

const struct pf_cap_conf *
pf_config_cap(const struct pf_config *cfg, uint16_t id)
{
	for (uint16_t i = 0; i < cfg->n_caps; i++)
		if (cfg->caps[i].id == id)
			return &cfg->caps[i];
	return NULL;
}

const struct pf_cap_conf *
pf_config_cap_by_name(const struct pf_config *cfg, const char *name)
{
	for (uint16_t i = 0; i < cfg->n_caps; i++)
		if (strcmp(cfg->caps[i].name, name) == 0)
			return &cfg->caps[i];
	return NULL;
}

uint64_t
pf_config_session_roles(const struct pf_config *cfg, uint32_t session)
{
	size_t lo = 0, hi = cfg->n_sessions;

	/* sessions are sorted by first id and do not overlap */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pf_session_conf *s = &cfg->sessions[mid];

		if (session < s->first)
			hi = mid;
		else if (session > s->last)
			lo = mid + 1;
		else
			return s->roles;
	}
	return cfg->default_roles;
}

uint64_t
pf_config_role_bit(const struct pf_config *cfg, const char *name)
{
	for (uint16_t i = 0; i < cfg->n_roles; i++)
		if (strcmp(cfg->roles[i].name, name) == 0)
			return UINT64_C(1) << i;
	return 0;
}

const struct pf_policy *
pf_config_policy(const struct pf_config *cfg, const struct pf_cap_conf *cap)
{
	return cap->has_policy ? &cap->policy : &cfg->groups[cap->group];
}

uint32_t
pf_effect_by_name(const char *name)
{
#define X(nm, bit, str, desc) if (strcmp(name, str) == 0) return PF_EFFECT_##nm;
	PF_EFFECT_LIST(X)
#undef X
	return 0;
}

const char *
pf_effect_name(uint32_t bit)
{
	switch (bit) {
#define X(nm, b, str, desc) case PF_EFFECT_##nm: return str;
	PF_EFFECT_LIST(X)
#undef X
	}
	return NULL;
}

static void
mark_set(bool seen[PF_MAX_LCORE], const struct pf_lcore_set *s)
{
	for (uint16_t i = 0; i < s->n; i++)
		if (s->ids[i] < PF_MAX_LCORE)
			seen[s->ids[i]] = true;
}

unsigned int
pf_config_lcores(const struct pf_config *cfg, uint16_t ids[PF_MAX_LCORE])
{
	bool seen[PF_MAX_LCORE] = { false };
	unsigned int n = 0;

	for (uint16_t i = 0; i < cfg->n_ports; i++)
		mark_set(seen, &cfg->ports[i].rx_lcores);
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		mark_set(seen, &cfg->groups[g].lcores);
	for (uint16_t i = 0; i < cfg->n_caps; i++)
		if (cfg->caps[i].has_policy)
			mark_set(seen, &cfg->caps[i].policy.lcores);
	for (uint16_t id = 0; id < PF_MAX_LCORE; id++)
		if (seen[id])
			ids[n++] = id;
	return n;
}
