/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_config.c: the configuration loader -- libyaml's document tree walked
 * against the schema of docs/configuration.md, with defaults and cross-checks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "pf_config.h"
#include "pf_wire.h"
#include "pf_yaml_private.h"

/* Keys of each mapping, in the order messages list them. */
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
	X(DK_RULES, "rules") X(DK_CCACHE, "classify_cache")                  \
	X(DK_FAST, "fast_path")
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

PF_YAML_DEFINE_KEYS(ROOT_KEYS, RK);
PF_YAML_DEFINE_KEYS(DATAPLANE_KEYS, DK);
PF_YAML_DEFINE_KEYS(MEMORY_KEYS, MK);
PF_YAML_DEFINE_KEYS(PORT_KEYS, PK);
PF_YAML_DEFINE_KEYS(POLICY_KEYS, PO);
PF_YAML_DEFINE_KEYS(ROLE_KEYS, RO);
PF_YAML_DEFINE_KEYS(SESSION_KEYS, SE);
PF_YAML_DEFINE_KEYS(CAP_KEYS, CK);
PF_YAML_DEFINE_KEYS(RATE_KEYS, RA);
PF_YAML_DEFINE_KEYS(MOLECULE_KEYS, MO);
PF_YAML_DEFINE_KEYS(STAGE_KEYS, ST);

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
	struct pf_yaml y;      /* file name, document, message */
	struct pf_config *cfg; /* scratch copy, handed over on success */
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

/* ---- typed readers ------------------------------------------------------
 * Config-only readers over pf_yaml's. Each takes the value node (NULL when
 * the key was left out: the default stays) and the dotted key for messages. */

static int
get_str(struct loader *L, const yaml_node_t *n, const char *key,
	const char *what, char *out, size_t size)
{
	const char *s;
	int rc;

	if (!n)
		return 0;
	rc = pf_yaml_text(&L->y, n, key, what, size, &s);
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
	if (!n || n->type != YAML_SCALAR_NODE || pf_yaml_is_null(n) ||
	    strlen(pf_yaml_scalar(n)) != n->data.scalar.length || !parse_int(pf_yaml_scalar(n), v))
		return pf_yaml_fail(&L->y, n, key, "expected an integer, found %s",
				    pf_yaml_found(&L->y, n));
	if (*v < min || *v > max)
		return pf_yaml_fail(&L->y, n, key,
				    "expected an integer between %lld and %lld, found %s",
				    min, max, pf_yaml_scalar(n));
	return 0;
}

static int
get_u32(struct loader *L, const yaml_node_t *n, const char *key,
	long long min, long long max, uint32_t *out)
{
	long long v = 0; /* set when rc == 0; -O3 cannot tell */
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
	long long v = 0; /* set when rc == 0; -O3 cannot tell */
	int rc;

	if (!n)
		return 0;
	rc = get_int(L, n, key, 0, (long long)UINT32_MAX, &v);
	if (rc == 0 && (v < min || v > max || (v & (v - 1)) != 0))
		rc = pf_yaml_fail(&L->y, n, key,
				  "expected a power of two between %u and %u, found %s",
				  min, max, pf_yaml_scalar(n));
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

/* A name: 1..PF_NAME_LEN-1 characters of [A-Za-z0-9_-]. */
static int
get_name(struct loader *L, const yaml_node_t *n, const char *key,
	 const char *what, char out[PF_NAME_LEN])
{
	const char *s;
	int rc = pf_yaml_text(&L->y, n, key, what, PF_NAME_LEN, &s);

	if (rc)
		return rc;
	if (*s == '\0' || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789_-")] != '\0')
		return pf_yaml_fail(&L->y, n, key,
				    "expected %s made of A-Z a-z 0-9 _ -, found %s", what,
				    pf_yaml_found(&L->y, n));
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* A list of 1..PF_MAX_SET distinct lcore ids. */
static int
get_lcores(struct loader *L, const yaml_node_t *n, const char *key,
	   struct pf_lcore_set *set)
{
	char what[64], k[PF_YAML_KEY_LEN];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of 1 to %d lcore ids", PF_MAX_SET);
	rc = pf_yaml_seq(&L->y, n, key, what, 1, PF_MAX_SET, &len);
	if (rc)
		return rc;
	for (size_t i = 0; i < len; i++) {
		const yaml_node_t *it = pf_yaml_seq_at(&L->y, n, i);
		long long v;

		rc = get_int(L, it, pf_yaml_kidx(k, key, i), 0, PF_MAX_LCORE - 1, &v);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (set->ids[j] == v)
				return pf_yaml_fail(&L->y, it, k,
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
	static const char *const on_off[] = { "off", "on" };
	struct pf_config *cfg = L->cfg;
	const yaml_node_t *v[DK_COUNT];
	char k[PF_YAML_KEY_LEN];
	const char *rules, *slash;
	unsigned int idx;
	int rc;

	rc = pf_yaml_map(&L->y, n, "dataplane", DK_names, DK_COUNT, v);
	if (rc)
		return rc;
	if ((rc = get_u16(L, v[DK_UDP_PORT], "dataplane.udp_port", 1, 65535,
			  &cfg->udp_port)) ||
	    (rc = get_u8(L, v[DK_HIGH_MIN], "dataplane.high_priority_min", 0, 255,
			 &cfg->high_prio_min)) ||
	    (rc = get_u16(L, v[DK_BURST], "dataplane.burst", 1, 256, &cfg->burst)) ||
	    (rc = get_u32(L, v[DK_TX_FLUSH], "dataplane.tx_flush_us", 1, 100000,
			  &cfg->tx_flush_us)) ||
	    (rc = get_u32(L, v[DK_CCACHE], "dataplane.classify_cache", 0, 1048576,
			  &cfg->classify_cache)) ||
	    (rc = get_str(L, v[DK_CONTROL], "dataplane.control_socket", "a path",
			  cfg->control_socket, PF_PATH_LEN)) ||
	    (rc = get_str(L, v[DK_STATS], "dataplane.stats_segment", "a path",
			  cfg->stats_segment, PF_PATH_LEN)))
		return rc;
	if (v[DK_NON_PF]) {
		rc = pf_yaml_word(&L->y, v[DK_NON_PF], "dataplane.non_packetflow", non_pf,
				  2, &idx);
		if (rc)
			return rc;
		cfg->pass_non_pf = idx == 1;
	}
	if (v[DK_IDLE]) {
		rc = pf_yaml_word(&L->y, v[DK_IDLE], "dataplane.idle", idle, 2, &idx);
		if (rc)
			return rc;
		cfg->idle_yield = idx == 1;
	}
	if (v[DK_FAST]) {
		rc = pf_yaml_word(&L->y, v[DK_FAST], "dataplane.fast_path", on_off, 2, &idx);
		if (rc)
			return rc;
		cfg->fast_path = idx == 1;
	}
	if (v[DK_CONTROL] && cfg->control_socket[0] == '\0')
		return pf_yaml_fail(&L->y, v[DK_CONTROL], "dataplane.control_socket",
				    "expected a path, found \"\"");
	if (v[DK_STATS] && cfg->stats_segment[0] == '\0')
		return pf_yaml_fail(&L->y, v[DK_STATS], "dataplane.stats_segment",
				    "expected a path, found \"\"");
	if (!v[DK_RULES])
		return 0;
	/* "" turns the rules off; a quoted empty string is not null */
	if (v[DK_RULES]->type == YAML_SCALAR_NODE &&
	    v[DK_RULES]->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	    v[DK_RULES]->data.scalar.length == 0)
		return 0;
	rc = pf_yaml_text(&L->y, v[DK_RULES], pf_yaml_kjoin(k, "dataplane", "rules"),
			  "a path (\"\" for no rules)", PF_PATH_LEN, &rules);
	if (rc)
		return rc;
	/* relative to the config file's directory, not to the process's */
	slash = strrchr(L->y.name, '/');
	if (rules[0] == '/' || !slash) {
		memcpy(cfg->rules_file, rules, strlen(rules) + 1);
		return 0;
	}
	if ((size_t)(slash - L->y.name) + 1 + strlen(rules) >= PF_PATH_LEN)
		return pf_yaml_fail(&L->y, v[DK_RULES], k,
				    "expected a path of at most %d characters once resolved against %.*s, found %zu characters",
				    PF_PATH_LEN - 1, (int)(slash - L->y.name + 1), L->y.name,
				    (size_t)(slash - L->y.name) + 1 + strlen(rules));
	snprintf(cfg->rules_file, PF_PATH_LEN, "%.*s%s",
		 (int)(slash - L->y.name + 1), L->y.name, rules);
	return 0;
}

static int
load_eal(struct loader *L, const yaml_node_t *n)
{
	struct pf_config *cfg = L->cfg;
	char what[64], k[PF_YAML_KEY_LEN];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d EAL arguments",
		 PF_MAX_EAL_ARGS);
	rc = pf_yaml_seq(&L->y, n, "eal", what, 0, PF_MAX_EAL_ARGS, &len);
	for (size_t i = 0; rc == 0 && i < len; i++)
		rc = get_str(L, pf_yaml_seq_at(&L->y, n, i), pf_yaml_kidx(k, "eal", i),
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

	if ((rc = pf_yaml_map(&L->y, n, "memory", MK_names, MK_COUNT, v)) ||
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
	char key[PF_YAML_KEY_LEN], k[PF_YAML_KEY_LEN];
	int rc;

	pf_yaml_kidx(key, "ports", idx);
	rc = pf_yaml_map(&L->y, n, key, PK_names, PK_COUNT, v);
	if (rc)
		return rc;
	if (pf_yaml_is_null(n))
		return pf_yaml_fail(&L->y, n, key,
				    "expected a mapping of %s, found nothing",
				    "name, device, rx_lcores, rx_desc, tx_desc");
	p->line = (int)pf_yaml_line(n);
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	if (!v[PK_NAME])
		return pf_yaml_missing(&L->y, n, key, "name", "a port name");
	if (!v[PK_DEVICE])
		return pf_yaml_missing(&L->y, n, key, "device",
				       "a PCI address or vdev string");
	if (!v[PK_RX_LCORES])
		return pf_yaml_missing(&L->y, n, key, "rx_lcores",
				       "a list of RX lcore ids");
	if ((rc = get_name(L, v[PK_NAME], pf_yaml_kjoin(k, key, "name"), "a port name",
			   p->name)))
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(cfg->ports[j].name, p->name) == 0)
			return pf_yaml_fail(&L->y, v[PK_NAME], k,
					    "expected a name no other port has, found \"%s\" (also ports[%zu])",
					    p->name, j);
	if ((rc = get_str(L, v[PK_DEVICE], pf_yaml_kjoin(k, key, "device"),
			  "a PCI address or vdev string", p->device, PF_DEVICE_LEN)))
		return rc;
	if (!device_id(p->device, ids[idx], PF_DEVICE_LEN, &p->is_vdev))
		return pf_yaml_fail(&L->y, v[PK_DEVICE], k,
				    "expected a PCI address (DDDD:BB:DD.F or BB:DD.F) or a vdev (net_NAME,ARGS or eth_NAME,ARGS), found %s",
				    pf_yaml_found(&L->y, v[PK_DEVICE]));
	for (size_t j = 0; j < idx; j++)
		if (strcasecmp(ids[j], ids[idx]) == 0)
			return pf_yaml_fail(&L->y, v[PK_DEVICE], k,
					    "expected a device no other port uses, found %s (also ports[%zu])",
					    pf_yaml_found(&L->y, v[PK_DEVICE]), j);
	if ((rc = get_lcores(L, v[PK_RX_LCORES], pf_yaml_kjoin(k, key, "rx_lcores"),
			     &p->rx_lcores)) ||
	    (rc = get_u16(L, v[PK_RX_DESC], pf_yaml_kjoin(k, key, "rx_desc"), 64, 32768,
			  &p->rx_desc)) ||
	    (rc = get_u16(L, v[PK_TX_DESC], pf_yaml_kjoin(k, key, "tx_desc"), 64, 32768,
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
		return pf_yaml_fail(&L->y, root, "ports",
				    "expected %s (required), found nothing", what);
	rc = pf_yaml_seq(&L->y, n, "ports", what, 1, PF_MAX_PORTS, &len);
	for (size_t i = 0; rc == 0 && i < len; i++)
		rc = load_port(L, pf_yaml_seq_at(&L->y, n, i), i);
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
	char k[PF_YAML_KEY_LEN], lk[PF_YAML_KEY_LEN], list[PF_YAML_LIST_LEN];
	const char *balances[PF_BALANCE_COUNT];
	unsigned int idx;
	int rc;

	rc = pf_yaml_map(&L->y, n, key, PO_names, PO_COUNT, v);
	if (rc)
		return rc;
	*replicate_set = v[PO_REPLICATE] != NULL;
	if (v[PO_LCORES] &&
	    (rc = get_lcores(L, v[PO_LCORES], pf_yaml_kjoin(lk, key, "lcores"), &p->lcores)))
		return rc;
	if (!v[PO_LCORES])
		snprintf(lk, sizeof(lk), "%s", inherited_lcores_key);
	if (v[PO_BALANCE]) {
		int b = -ENOENT;

		for (unsigned int i = 0; i < PF_BALANCE_COUNT; i++)
			balances[i] = pf_balance_name(i);
		if (v[PO_BALANCE]->type == YAML_SCALAR_NODE && !pf_yaml_is_null(v[PO_BALANCE]))
			b = pf_balance_by_name(pf_yaml_scalar(v[PO_BALANCE]));
		if (b < 0)
			return pf_yaml_fail(&L->y, v[PO_BALANCE],
					    pf_yaml_kjoin(k, key, "balance"),
					    "expected one of %s, found %s",
					    pf_yaml_join(list, sizeof(list), balances,
							 PF_BALANCE_COUNT),
					    pf_yaml_found(&L->y, v[PO_BALANCE]));
		p->balance = (uint8_t)b;
	}
	if (v[PO_PRIORITY]) {
		rc = pf_yaml_word(&L->y, v[PO_PRIORITY], pf_yaml_kjoin(k, key, "priority"),
				  prios, 2, &idx);
		if (rc)
			return rc;
		p->high_prio = (uint8_t)idx;
	}
	if (v[PO_REPLICATE]) {
		rc = get_u8(L, v[PO_REPLICATE], pf_yaml_kjoin(k, key, "replicate"), 1, PF_MAX_SET,
			    &p->replicate);
		if (rc)
			return rc;
		if (p->replicate > p->lcores.n)
			return pf_yaml_fail(&L->y, v[PO_REPLICATE], k,
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
	char k[PF_YAML_KEY_LEN], lk[PF_YAML_KEY_LEN], list[PF_YAML_LIST_LEN];
	char kname[PF_YAML_FOUND_LEN];
	const char *syms[PF_GROUP_COUNT];
	bool set;
	int rc;

	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		syms[g - 1] = pf_group_get(g)->symbol;
	pf_yaml_join(list, sizeof(list), syms, PF_GROUP_COUNT);
	if (pf_yaml_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return pf_yaml_fail(&L->y, n, "groups",
				    "expected a mapping of %s, found %s", list,
				    pf_yaml_found(&L->y, n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *kn = pf_yaml_node(&L->y, p->key);
		const struct pf_group_info *g = NULL;

		if (kn->type != YAML_SCALAR_NODE || pf_yaml_is_null(kn))
			return pf_yaml_fail(&L->y, kn, "groups",
					    "expected a group symbol, found %s",
					    pf_yaml_found(&L->y, kn));
		if (strlen(pf_yaml_scalar(kn)) == kn->data.scalar.length)
			g = pf_group_by_symbol(pf_yaml_scalar(kn));
		if (!g) {
			pf_yaml_printable(kname, sizeof(kname), kn->data.scalar.value,
					  kn->data.scalar.length);
			return pf_yaml_fail(&L->y, kn, pf_yaml_kjoin(k, "groups", kname),
					    "expected one of %s, found unknown group",
					    list);
		}
		pf_yaml_kjoin(k, "groups", g->symbol);
		if (seen[g->number])
			return pf_yaml_fail(&L->y, kn, k,
					    "expected each group once, found it again (first at line %lu)",
					    pf_yaml_line(seen[g->number]));
		seen[g->number] = kn;
		rc = get_policy(L, pf_yaml_node(&L->y, p->value), k, &L->cfg->groups[g->number],
				group_defaults[g->number].replicate,
				pf_yaml_kjoin(lk, k, "lcores"), &set);
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
	char list[PF_YAML_LIST_LEN];
	size_t o = 0;

	if (n->type == YAML_SCALAR_NODE && !pf_yaml_is_null(n) &&
	    (*bit = pf_config_role_bit(cfg, pf_yaml_scalar(n))) != 0)
		return 0;
	list[0] = '\0';
	for (uint16_t i = 0; i < cfg->n_roles && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i ? ", " : "", cfg->roles[i].name);
	return pf_yaml_fail(&L->y, n, key, "expected a role name (%s), found %s",
			    cfg->n_roles ? list : "no roles are defined",
			    pf_yaml_found(&L->y, n));
}

/* OR of the bits (or of their closures) of a list of role names. */
static int
role_list(struct loader *L, const yaml_node_t *n, const char *key,
	  bool closure, uint64_t *mask)
{
	char what[64], k[PF_YAML_KEY_LEN];
	size_t len;
	int rc;

	*mask = 0;
	snprintf(what, sizeof(what), "a list of at most %d role names", PF_MAX_ROLES);
	rc = pf_yaml_seq(&L->y, n, key, what, 0, PF_MAX_ROLES, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		uint64_t bit;

		rc = role_bit(L, pf_yaml_seq_at(&L->y, n, i), pf_yaml_kidx(k, key, i), &bit);
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
	char what[64], key[PF_YAML_KEY_LEN], k[PF_YAML_KEY_LEN];
	size_t len;
	bool changed;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d roles", PF_MAX_ROLES);
	rc = pf_yaml_seq(&L->y, n, "roles", what, 0, PF_MAX_ROLES, &len);
	/* names first: implies may name a role defined further down */
	for (size_t i = 0; rc == 0 && i < len; i++) {
		const yaml_node_t *it = pf_yaml_seq_at(&L->y, n, i);

		pf_yaml_kidx(key, "roles", i);
		rc = pf_yaml_map(&L->y, it, key, RO_names, RO_COUNT, v);
		if (rc == 0 && !v[RO_NAME])
			rc = pf_yaml_missing(&L->y, it, key, "name", "a role name");
		if (rc == 0)
			rc = get_name(L, v[RO_NAME], pf_yaml_kjoin(k, key, "name"), "a role name",
				      cfg->roles[i].name);
		L->implies[i] = rc == 0 ? v[RO_IMPLIES] : NULL;
		for (size_t j = 0; rc == 0 && j < i; j++)
			if (strcmp(cfg->roles[j].name, cfg->roles[i].name) == 0)
				rc = pf_yaml_fail(&L->y, v[RO_NAME], k,
						  "expected a name no other role has, found \"%s\" (also roles[%zu])",
						  cfg->roles[i].name, j);
		cfg->roles[i].implies = UINT64_C(1) << i;
		cfg->n_roles = (uint16_t)(i + 1);
	}
	for (size_t i = 0; rc == 0 && i < len; i++) {
		uint64_t mask;

		if (!L->implies[i])
			continue;
		pf_yaml_kidx(key, "roles", i);
		rc = role_list(L, L->implies[i], pf_yaml_kjoin(k, key, "implies"), false, &mask);
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
	char what[64], key[PF_YAML_KEY_LEN], k[PF_YAML_KEY_LEN];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d sessions", PF_MAX_SESSIONS);
	rc = pf_yaml_seq(&L->y, n, "sessions", what, 0, PF_MAX_SESSIONS, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		const yaml_node_t *it = pf_yaml_seq_at(&L->y, n, i);
		struct pf_session_conf *s = &cfg->sessions[i];
		uint32_t id = 0;

		pf_yaml_kidx(key, "sessions", i);
		if ((rc = pf_yaml_map(&L->y, it, key, SE_names, SE_COUNT, v)))
			break;
		if (!!v[SE_ID] == !!v[SE_IDS]) {
			rc = pf_yaml_fail(&L->y, it, key,
					  "expected one of id or ids, found %s",
					  v[SE_ID] ? "both" : "neither");
			break;
		}
		if (!v[SE_ROLES]) {
			rc = pf_yaml_missing(&L->y, it, key, "roles",
					     "a list of role names");
			break;
		}
		if (v[SE_ID]) {
			if ((rc = get_u32(L, v[SE_ID], pf_yaml_kjoin(k, key, "id"), 0,
					  UINT32_MAX, &id)))
				break;
			s->first = s->last = id;
		} else if (v[SE_IDS]->type != YAML_SCALAR_NODE ||
			   strlen(pf_yaml_scalar(v[SE_IDS])) != v[SE_IDS]->data.scalar.length ||
			   !parse_range(pf_yaml_scalar(v[SE_IDS]), &s->first, &s->last)) {
			rc = pf_yaml_fail(&L->y, v[SE_IDS], pf_yaml_kjoin(k, key, "ids"),
					  "expected a range FIRST-LAST of session ids with FIRST <= LAST, found %s",
					  pf_yaml_found(&L->y, v[SE_IDS]));
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (s->first <= cfg->sessions[j].last &&
			    cfg->sessions[j].first <= s->last) {
				rc = pf_yaml_fail(&L->y, v[SE_ID] ? v[SE_ID] : v[SE_IDS],
						  pf_yaml_kjoin(k, key, v[SE_ID] ? "id" : "ids"),
						  "expected ids no other entry lists, found %u-%u overlapping sessions[%zu] (%u-%u)",
						  s->first, s->last, j,
						  cfg->sessions[j].first,
						  cfg->sessions[j].last);
				break;
			}
		if (rc == 0)
			rc = role_list(L, v[SE_ROLES], pf_yaml_kjoin(k, key, "roles"), true,
				       &s->roles);
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
	char k[PF_YAML_KEY_LEN];
	int rc;

	st->bond = PF_BOND_COVALENT;
	st->width = 1;
	if (n->type == YAML_SCALAR_NODE) {
		L->stage_cap[m][i] = n;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return pf_yaml_fail(&L->y, n, key,
				    "expected a capability name or a mapping of %s, found %s",
				    "capability, bond, width", pf_yaml_found(&L->y, n));
	rc = pf_yaml_map(&L->y, n, key, ST_names, ST_COUNT, v);
	if (rc)
		return rc;
	if (!v[ST_CAPABILITY])
		return pf_yaml_missing(&L->y, n, key, "capability", "a capability name");
	L->stage_cap[m][i] = v[ST_CAPABILITY];
	L->stage_is_map[m][i] = true;
	if (v[ST_BOND]) {
		if (i == 0)
			return pf_yaml_fail(&L->y, v[ST_BOND],
					    pf_yaml_kjoin(k, key, "bond"),
					    "expected no bond on the first stage, found %s",
					    pf_yaml_found(&L->y, v[ST_BOND]));
		if (v[ST_BOND]->type == YAML_SCALAR_NODE && !pf_yaml_is_null(v[ST_BOND]))
			b = pf_bond_by_name(pf_yaml_scalar(v[ST_BOND]));
		if (!b)
			return pf_yaml_fail(&L->y, v[ST_BOND],
					    pf_yaml_kjoin(k, key, "bond"),
					    "expected one of ionic, covalent, metallic, van-der-waals, vdw, found %s",
					    pf_yaml_found(&L->y, v[ST_BOND]));
		st->bond = b->type;
	}
	if (v[ST_WIDTH]) {
		if (st->bond != PF_BOND_METALLIC)
			return pf_yaml_fail(&L->y, v[ST_WIDTH],
					    pf_yaml_kjoin(k, key, "width"),
					    "expected width only with bond metallic, found bond %s",
					    pf_bond_get(st->bond)->name);
		rc = get_u8(L, v[ST_WIDTH], pf_yaml_kjoin(k, key, "width"), 1, PF_MAX_SET,
			    &st->width);
	}
	return rc;
}

static int
load_molecules(struct loader *L, const yaml_node_t *n)
{
	struct pf_config *cfg = L->cfg;
	const yaml_node_t *v[MO_COUNT];
	char what[64], key[PF_YAML_KEY_LEN], k[PF_YAML_KEY_LEN], sk[PF_YAML_KEY_LEN];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d molecules", PF_MAX_MOLECULES);
	rc = pf_yaml_seq(&L->y, n, "molecules", what, 0, PF_MAX_MOLECULES, &len);
	for (size_t m = 0; rc == 0 && m < len; m++) {
		const yaml_node_t *it = pf_yaml_seq_at(&L->y, n, m);
		struct pf_molecule_conf *mol = &cfg->molecules[m];
		size_t n_stages = 0;

		pf_yaml_kidx(key, "molecules", m);
		if ((rc = pf_yaml_map(&L->y, it, key, MO_names, MO_COUNT, v)))
			break;
		if (!v[MO_NAME] || !v[MO_STAGES]) {
			rc = pf_yaml_missing(&L->y, it, key, v[MO_NAME] ? "stages" : "name",
					     v[MO_NAME] ? "a list of stages" : "a molecule name");
			break;
		}
		mol->line = (int)pf_yaml_line(it);
		if ((rc = get_name(L, v[MO_NAME], pf_yaml_kjoin(k, key, "name"), "a molecule name",
				   mol->name)))
			break;
		for (size_t j = 0; rc == 0 && j < m; j++)
			if (strcmp(cfg->molecules[j].name, mol->name) == 0)
				rc = pf_yaml_fail(&L->y, v[MO_NAME], k,
						  "expected a name no other molecule has, found \"%s\" (also molecules[%zu])",
						  mol->name, j);
		snprintf(what, sizeof(what), "a list of 1 to %d stages", PF_MAX_STAGES);
		if (rc == 0)
			rc = pf_yaml_seq(&L->y, v[MO_STAGES],
					 pf_yaml_kjoin(k, key, "stages"), what, 1,
					 PF_MAX_STAGES, &n_stages);
		for (size_t i = 0; rc == 0 && i < n_stages; i++)
			rc = load_stage(L, pf_yaml_seq_at(&L->y, v[MO_STAGES], i),
					pf_yaml_kidx(sk, k, i), m, i);
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
	char k[PF_YAML_KEY_LEN], list[PF_YAML_LIST_LEN];
	size_t len;
	int rc;

	rc = pf_yaml_seq(&L->y, n, key, "a list of field names or ids", 0, 64, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		const yaml_node_t *it = pf_yaml_seq_at(&L->y, n, i);
		long long id = -ENOENT;

		pf_yaml_kidx(k, key, i);
		if (it->type == YAML_SCALAR_NODE && !pf_yaml_is_null(it) &&
		    strlen(pf_yaml_scalar(it)) == it->data.scalar.length) {
			if (!parse_int(pf_yaml_scalar(it), &id))
				id = pf_field_by_name(pf_yaml_scalar(it));
			else if (id < 1 || id > PF_FIELD_CONTRACT_MAX)
				return pf_yaml_fail(&L->y, it, k,
						    "expected a field id between 1 and %d, found %s",
						    PF_FIELD_CONTRACT_MAX,
						    pf_yaml_scalar(it));
		}
		if (id < 1)
			return pf_yaml_fail(&L->y, it, k,
					    "expected a field name (%s) or an id 1..%d, found %s",
					    pf_yaml_join(list, sizeof(list), fields,
							 sizeof(fields) / sizeof(fields[0])),
					    PF_FIELD_CONTRACT_MAX, pf_yaml_found(&L->y, it));
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
	char k[PF_YAML_KEY_LEN], list[PF_YAML_LIST_LEN];
	size_t len;
	int rc;

	rc = pf_yaml_seq(&L->y, n, key, "a list of effect names", 0, 64, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		const yaml_node_t *it = pf_yaml_seq_at(&L->y, n, i);
		uint32_t bit = 0;

		if (it->type == YAML_SCALAR_NODE && !pf_yaml_is_null(it))
			bit = pf_effect_by_name(pf_yaml_scalar(it));
		if (!bit)
			return pf_yaml_fail(&L->y, it, pf_yaml_kidx(k, key, i),
					    "expected one of %s, found %s",
					    pf_yaml_join(list, sizeof(list), effects,
							 sizeof(effects) / sizeof(effects[0])),
					    pf_yaml_found(&L->y, it));
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
	char syms[PF_YAML_LIST_LEN];
	int rc;

	rc = pf_yaml_text(&L->y, n, key, "an element (GROUP.symbol or symbol)", 16, &s);
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
			return pf_yaml_fail(&L->y, n, key,
					    "expected an element of group %s (%s), found %s",
					    g->symbol, syms, pf_yaml_found(&L->y, n));
		}
	}
	return pf_yaml_fail(&L->y, n, key,
			    "expected an element of the periodic table (GROUP.symbol such as DF.tr, or a symbol such as tr), found %s",
			    pf_yaml_found(&L->y, n));
}

static int
load_rate(struct loader *L, const yaml_node_t *n, const char *key,
	  struct pf_cap_conf *c)
{
	const yaml_node_t *v[RA_COUNT];
	char k[PF_YAML_KEY_LEN];
	int rc;

	if ((rc = pf_yaml_map(&L->y, n, key, RA_names, RA_COUNT, v)) ||
	    (rc = get_u32(L, v[RA_PPS], pf_yaml_kjoin(k, key, "pps"), 0, UINT32_MAX,
			  &c->rate_pps)) ||
	    (rc = get_u32(L, v[RA_BURST], pf_yaml_kjoin(k, key, "burst"), 1, UINT32_MAX,
			  &c->rate_burst)))
		return rc;
	if (v[RA_BURST] && c->rate_pps == 0)
		return pf_yaml_fail(&L->y, v[RA_BURST], k,
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
	char list[PF_YAML_LIST_LEN];
	size_t o = 0;

	if (n->type == YAML_SCALAR_NODE && !pf_yaml_is_null(n))
		for (uint16_t i = 0; i < cfg->n_molecules; i++)
			if (strcmp(cfg->molecules[i].name, pf_yaml_scalar(n)) == 0) {
				c->molecule = i;
				return 0;
			}
	list[0] = '\0';
	for (uint16_t i = 0; i < cfg->n_molecules && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i ? ", " : "", cfg->molecules[i].name);
	return pf_yaml_fail(&L->y, n, key, "expected a molecule name (%s), found %s",
			    cfg->n_molecules ? list : "no molecules are defined",
			    pf_yaml_found(&L->y, n));
}

static int
load_cap(struct loader *L, const yaml_node_t *n, size_t idx)
{
	struct pf_config *cfg = L->cfg;
	struct pf_cap_conf *c = &cfg->caps[idx];
	const yaml_node_t *v[CK_COUNT];
	const struct pf_policy *gp;
	char key[PF_YAML_KEY_LEN], k[PF_YAML_KEY_LEN], lk[PF_YAML_KEY_LEN];
	const char *gsym;
	uint32_t id = 0;
	int rc;

	pf_yaml_kidx(key, "capabilities", idx);
	rc = pf_yaml_map(&L->y, n, key, CK_names, CK_COUNT, v);
	if (rc)
		return rc;
	if (!v[CK_ID])
		return pf_yaml_missing(&L->y, n, key, "id", "a capability id");
	if (!v[CK_NAME])
		return pf_yaml_missing(&L->y, n, key, "name", "a capability name");
	if (!v[CK_ELEMENT])
		return pf_yaml_missing(&L->y, n, key, "element",
				       "an element (GROUP.symbol)");
	c->line = (int)pf_yaml_line(n);
	c->max_payload = 1400;
	c->molecule = -1;
	if ((rc = get_u32(L, v[CK_ID], pf_yaml_kjoin(k, key, "id"), 1, PF_MAX_CAP_ID, &id)))
		return rc;
	c->id = (uint16_t)id;
	for (size_t j = 0; j < idx; j++)
		if (cfg->caps[j].id == c->id)
			return pf_yaml_fail(&L->y, v[CK_ID], k,
					    "expected an id no other capability has, found %u (also capabilities[%zu])",
					    c->id, j);
	if ((rc = get_name(L, v[CK_NAME], pf_yaml_kjoin(k, key, "name"), "a capability name",
			   c->name)))
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(cfg->caps[j].name, c->name) == 0)
			return pf_yaml_fail(&L->y, v[CK_NAME], k,
					    "expected a name no other capability has, found \"%s\" (also capabilities[%zu])",
					    c->name, j);
	if ((rc = load_element(L, v[CK_ELEMENT], pf_yaml_kjoin(k, key, "element"), c)) ||
	    (rc = get_str(L, v[CK_INTENT], pf_yaml_kjoin(k, key, "intent"), "an intent text",
			  c->intent, PF_INTENT_LEN)) ||
	    (rc = get_str(L, v[CK_ARG], pf_yaml_kjoin(k, key, "arg"), "an argument", c->arg,
			  PF_NAME_LEN)) ||
	    (rc = field_mask(L, v[CK_REQUIRES], pf_yaml_kjoin(k, key, "requires"),
			     &c->requires)) ||
	    (rc = field_mask(L, v[CK_PROVIDES], pf_yaml_kjoin(k, key, "provides"),
			     &c->provides)) ||
	    (rc = effect_mask(L, v[CK_EFFECTS], pf_yaml_kjoin(k, key, "effects"), &c->effects)) ||
	    (rc = get_u32(L, v[CK_MAX_PAYLOAD], pf_yaml_kjoin(k, key, "max_payload"), 0,
			  PF_MAX_PAYLOAD, &c->max_payload)) ||
	    (rc = role_list(L, v[CK_ROLES], pf_yaml_kjoin(k, key, "roles"), false, &c->roles)) ||
	    (v[CK_RATE] && (rc = load_rate(L, v[CK_RATE], pf_yaml_kjoin(k, key, "rate"), c))) ||
	    (v[CK_MOLECULE] &&
	     (rc = load_molecule_ref(L, v[CK_MOLECULE], pf_yaml_kjoin(k, key, "molecule"), c))))
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
		rc = get_policy(L, v[CK_ROUTING], pf_yaml_kjoin(k, key, "routing"), &c->policy,
				repl ? repl : group_defaults[c->group].replicate, lk,
				&set);
		if (rc)
			return rc;
	}
	if (pf_config_policy(cfg, c)->lcores.n == 0)
		return pf_yaml_fail(&L->y, v[CK_ELEMENT], pf_yaml_kjoin(k, key, "element"),
				    "expected group %s to have lcores (%s), found none",
				    gsym, lk);
	return 0;
}

static int
load_caps(struct loader *L, const yaml_node_t *n)
{
	char what[64];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "a list of at most %d capabilities", PF_MAX_CAPS);
	rc = pf_yaml_seq(&L->y, n, "capabilities", what, 0, PF_MAX_CAPS, &len);
	for (size_t i = 0; rc == 0 && i < len; i++) {
		rc = load_cap(L, pf_yaml_seq_at(&L->y, n, i), i);
		L->cfg->n_caps = (uint16_t)(i + 1);
	}
	return rc;
}

/* Stages name capabilities, which load after the molecules: resolve now. */
static int
resolve_stages(struct loader *L)
{
	const struct pf_config *cfg = L->cfg;
	char k[PF_YAML_KEY_LEN];

	for (uint16_t m = 0; m < cfg->n_molecules; m++)
		for (uint16_t i = 0; i < cfg->molecules[m].n_stages; i++) {
			const yaml_node_t *n = L->stage_cap[m][i];
			const struct pf_cap_conf *c = NULL;
			char list[PF_YAML_LIST_LEN];
			size_t o = 0;

			snprintf(k, sizeof(k), "molecules[%u].stages[%u]%s", m, i,
				 L->stage_is_map[m][i] ? ".capability" : "");
			if (n->type == YAML_SCALAR_NODE && !pf_yaml_is_null(n))
				c = pf_config_cap_by_name(cfg, pf_yaml_scalar(n));
			if (c && c->molecule >= 0)
				return pf_yaml_fail(&L->y, n, k,
						    "expected a capability that is not itself a molecule, found \"%s\" (runs molecule %s)",
						    c->name,
						    cfg->molecules[c->molecule].name);
			if (c) {
				L->cfg->molecules[m].stages[i].cap_id = c->id;
				continue;
			}
			list[0] = '\0';
			for (uint16_t j = 0; j < cfg->n_caps && o < sizeof(list); j++)
				if (cfg->caps[j].molecule < 0)
					o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
							      o ? ", " : "", cfg->caps[j].name);
			return pf_yaml_fail(&L->y, n, k,
					    "expected a capability name (%s), found %s",
					    o ? list : "no capabilities are defined",
					    pf_yaml_found(&L->y, n));
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
	cfg->classify_cache = 4096;
	cfg->fast_path = true;
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

	if ((rc = pf_yaml_map(&L->y, root, "", RK_names, RK_COUNT, v)) ||
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

int
pf_config_load_buf(const char *name, const char *buf, size_t len,
		   struct pf_config *out, char *err, size_t errlen)
{
	char dummy[1];
	struct loader *L = NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_parser = false, have_doc = false;
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
	L->y.name = name;
	L->y.err = err;
	L->y.errlen = errlen;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	rc = pf_yaml_load(&L->y, &parser, &doc, buf, len);
	if (rc)
		goto out;
	have_doc = true;
	set_defaults(L->cfg, name);
	rc = load_root(L, yaml_document_get_root_node(&doc));
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
	char *buf;
	size_t len;
	int rc;

	rc = pf_yaml_read_file(path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	rc = pf_config_load_buf(path, buf, len, cfg, err, errlen);
	free(buf);
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
