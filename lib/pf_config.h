/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_config.h: the dataplane's configuration model (ports, lcores, groups,
 * capabilities, molecules, roles, sessions) and its YAML loader. */
#ifndef PF_CONFIG_H
#define PF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_periodic.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PF_NAME_LEN 32
#define PF_DEVICE_LEN 256
#define PF_PATH_LEN 256
#define PF_INTENT_LEN 128
#define PF_MAX_PORTS 8
#define PF_MAX_LCORE 128      /**< lcore ids are 0..PF_MAX_LCORE-1 (RTE_MAX_LCORE) */
#define PF_MAX_SET 16         /**< lcores in one set */
#define PF_MAX_CAPS 256
#define PF_MAX_CAP_ID 4095    /**< capability ids are 1..PF_MAX_CAP_ID */
#define PF_MAX_MOLECULES 64
#define PF_MAX_STAGES 8
#define PF_MAX_ROLES 64
#define PF_MAX_SESSIONS 256
#define PF_MAX_EAL_ARGS 32
#define PF_CONFIG_ERR_LEN 512

/** Effects a capability declares (seed: audit_log, metrics, trace). */
#define PF_EFFECT_LIST(X)                                         \
	X(AUDIT, 0, "audit_log", "each execution or denial is audited") \
	X(METRICS, 1, "metrics", "counters and latency histogram")  \
	X(TRACE, 2, "trace", "trace records carry the frame's trace id")

enum pf_effect {
#define X(name, bit, str, desc) PF_EFFECT_##name = 1u << bit,
	PF_EFFECT_LIST(X)
#undef X
};

/** A set of lcore ids, in the order written. */
struct pf_lcore_set {
	uint16_t n;
	uint16_t ids[PF_MAX_SET];
};

/** Routing policy of a group, or of a capability that overrides it. */
struct pf_policy {
	struct pf_lcore_set lcores;
	uint8_t balance;   /**< enum pf_balance */
	uint8_t high_prio; /**< 1: the group's frames use the high-priority ring */
	uint8_t replicate; /**< copies to distinct lcores, 1..lcores.n */
};

struct pf_port_conf {
	char name[PF_NAME_LEN];
	char device[PF_DEVICE_LEN]; /**< PCI address or vdev string */
	bool is_vdev;               /**< device is a vdev ("net_...") */
	struct pf_lcore_set rx_lcores; /**< queue i is polled by rx_lcores.ids[i] */
	uint16_t rx_desc;
	uint16_t tx_desc;
	int line; /**< where the port was defined, for later errors */
};

struct pf_cap_conf {
	uint16_t id;
	char name[PF_NAME_LEN];
	uint8_t group;   /**< enum pf_group */
	uint8_t element; /**< 1..4 within the group */
	char intent[PF_INTENT_LEN];
	char arg[PF_NAME_LEN]; /**< argument of the element's behaviour ("upper") */
	uint64_t requires;  /**< pf_field_bit() mask */
	uint64_t provides;  /**< pf_field_bit() mask */
	uint32_t effects;   /**< enum pf_effect bits */
	uint32_t max_payload;
	uint64_t roles;     /**< allowed roles (bit per role); 0 = anyone */
	uint32_t rate_pps;  /**< 0 = unlimited */
	uint32_t rate_burst;
	int molecule;       /**< index into molecules[], or -1 */
	bool has_policy;    /**< policy overrides the group's */
	struct pf_policy policy;
	int line;
};

struct pf_stage_conf {
	uint16_t cap_id; /**< capability whose element runs this stage */
	uint8_t bond;    /**< enum pf_bond joining it to the previous stage */
	uint8_t width;   /**< metallic fan-out width (>= 1) */
};

struct pf_molecule_conf {
	char name[PF_NAME_LEN];
	uint16_t n_stages;
	struct pf_stage_conf stages[PF_MAX_STAGES];
	int line;
};

struct pf_role_conf {
	char name[PF_NAME_LEN];
	uint64_t implies; /**< closure: this role's bit and every role it implies */
};

struct pf_session_conf {
	uint32_t first, last; /**< inclusive id range */
	uint64_t roles;       /**< closure of the roles named */
};

struct pf_config {
	char path[PF_PATH_LEN]; /**< file it was loaded from */

	/* dataplane section */
	uint16_t udp_port;
	bool pass_non_pf;        /**< non-PacketFlow traffic: pass (true) or drop */
	uint8_t high_prio_min;   /**< header priority >= this uses the high ring */
	uint16_t burst;          /**< RX/TX burst size */
	uint32_t tx_flush_us;    /**< TX buffer drain deadline */
	bool idle_yield;         /**< dataplane.idle: yield (true) or poll */
	uint32_t classify_cache; /**< intents remembered per lcore, 0 = none */
	bool fast_path;          /**< RX answers the common request in one pass */
	char control_socket[PF_PATH_LEN];
	char stats_segment[PF_PATH_LEN];
	char rules_file[PF_PATH_LEN]; /**< Hyperscan rules, "" = none */

	/* EAL arguments prepended to the command line's */
	uint16_t n_eal_args;
	char eal_args[PF_MAX_EAL_ARGS][PF_DEVICE_LEN];

	/* memory */
	uint32_t mbufs;
	uint32_t mbuf_cache;
	uint16_t mbuf_data_room;
	uint32_t ring_size;
	uint32_t high_ring_size;

	uint16_t n_ports;
	struct pf_port_conf ports[PF_MAX_PORTS];

	struct pf_policy groups[PF_GROUP_COUNT + 1]; /**< indexed by enum pf_group */

	uint16_t n_caps;
	struct pf_cap_conf caps[PF_MAX_CAPS];

	uint16_t n_molecules;
	struct pf_molecule_conf molecules[PF_MAX_MOLECULES];

	uint16_t n_roles;
	struct pf_role_conf roles[PF_MAX_ROLES];
	uint64_t default_roles; /**< roles of sessions not listed */

	uint16_t n_sessions;
	struct pf_session_conf sessions[PF_MAX_SESSIONS]; /**< sorted by first, disjoint */
};

/**
 * Load and validate a configuration file.
 *
 * @param path  YAML file (schema and messages: docs/configuration.md)
 * @param cfg   filled on success; defaults apply to every key left out.
 *   Left untouched on failure, so a reload can load over the config in use.
 * @param err   on failure, one line for the operator:
 *   "FILE:LINE: KEY: expected WHAT, found WHAT" (LINE is 1-based),
 *   "FILE:LINE: syntax error: PROBLEM (CONTEXT)" or "FILE: cannot open: WHY"
 * @param errlen size of err
 * @return 0, -ENOENT/-EACCES/-EISDIR/-ENAMETOOLONG (cannot open; the path
 *   must fit PF_PATH_LEN), -EFBIG (over 4 MiB),
 *   -EINVAL (syntax or validation), -ENOMEM.
 */
int pf_config_load(const char *path, struct pf_config *cfg, char *err,
		   size_t errlen);

/** Same, from a buffer; name is used in error messages in place of a path. */
int pf_config_load_buf(const char *name, const char *buf, size_t len,
		       struct pf_config *cfg, char *err, size_t errlen);

/** Capability by id, or NULL. */
const struct pf_cap_conf *pf_config_cap(const struct pf_config *cfg,
					uint16_t id);
/** Capability by name, or NULL. */
const struct pf_cap_conf *pf_config_cap_by_name(const struct pf_config *cfg,
						const char *name);
/**
 * Roles (closure) of a session id: its listed roles, else default_roles.
 * Bisects sessions[], which the loader sorts by first id.
 */
uint64_t pf_config_session_roles(const struct pf_config *cfg, uint32_t session);
/** Role bit by name, or 0 if unknown. */
uint64_t pf_config_role_bit(const struct pf_config *cfg, const char *name);
/** Effective policy of a capability: its override or its group's. */
const struct pf_policy *pf_config_policy(const struct pf_config *cfg,
					 const struct pf_cap_conf *cap);
/** Effect bit by name, or 0. */
uint32_t pf_effect_by_name(const char *name);
/** Name of one effect bit, or NULL. */
const char *pf_effect_name(uint32_t bit);
/**
 * Every lcore the config uses (RX and workers), sorted, no duplicates.
 * @return how many ids were written to ids[].
 */
unsigned int pf_config_lcores(const struct pf_config *cfg,
			      uint16_t ids[PF_MAX_LCORE]);

#ifdef __cplusplus
}
#endif
#endif /* PF_CONFIG_H */
