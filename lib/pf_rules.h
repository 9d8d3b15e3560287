/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_rules.h: Hyperscan classification rules -- the YAML rules file, its
 * compilation into a block-mode database, and the packed form shipped to
 * the dataplane. No EAL needed. */
#ifndef PF_RULES_H
#define PF_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include "pf_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PF_PATTERN_LEN 1024
#define PF_MAX_RULES 100000

/** What a rule does when it matches. */
#define PF_RULE_ACTION_LIST(X)                                              \
	X(CLASSIFY, 0, "classify", "route the frame to the rule's capability") \
	X(DENY, 1, "deny", "answer with an error frame (code 6, denied)")      \
	X(DROP, 2, "drop", "drop silently, counted as deny_drop")

enum pf_rule_action {
#define X(name, val, str, desc) PF_RULE_##name = val,
	PF_RULE_ACTION_LIST(X)
#undef X
};

/** Rule flags (a subset of Hyperscan's, by name in the file). */
#define PF_RULE_FLAG_LIST(X)                       \
	X(CASELESS, "caseless", HS_FLAG_CASELESS)  \
	X(DOTALL, "dotall", HS_FLAG_DOTALL)        \
	X(MULTILINE, "multiline", HS_FLAG_MULTILINE) \
	X(UTF8, "utf8", HS_FLAG_UTF8)              \
	X(UCP, "ucp", HS_FLAG_UCP)

struct pf_rule {
	uint32_t id;          /**< user's id, unique; reported in MATCH TLVs */
	uint8_t action;       /**< enum pf_rule_action */
	uint16_t cap_id;      /**< CLASSIFY: capability id */
	uint32_t hs_flags;    /**< HS_FLAG_* */
	int line;             /**< line in the rules file */
	char pattern[PF_PATTERN_LEN];
};

/** A parsed rules file. */
struct pf_ruleset {
	char path[PF_PATH_LEN];
	uint32_t n;
	struct pf_rule *rules; /**< heap, n entries, file order */
};

/**
 * Load a rules file:
 *
 *     rules:
 *       - id: 1
 *         pattern: 'transform\s+upper'
 *         flags: [caseless]
 *         capability: transform      # name or id, from cfg
 *       - { id: 900, pattern: 'drop\s+table', action: deny }
 *
 * @param cfg   registry used to resolve capability names (and check ids);
 *              NULL accepts numeric ids only, unchecked
 * @param err   "FILE:LINE: KEY: expected WHAT, found WHAT"
 * @return 0, -ENOENT/-EACCES, -EINVAL, -ENOMEM.
 */
int pf_rules_load(const char *path, const struct pf_config *cfg,
		  struct pf_ruleset *rs, char *err, size_t errlen);

/** Same from a buffer; name stands for the path in errors. */
int pf_rules_load_buf(const char *name, const char *buf, size_t len,
		      const struct pf_config *cfg, struct pf_ruleset *rs,
		      char *err, size_t errlen);

/** Free what pf_rules_load() allocated. */
void pf_rules_free(struct pf_ruleset *rs);

/**
 * Compile a ruleset into a block-mode database. Hyperscan ids are rule
 * indexes (0..n-1); every pattern gets HS_FLAG_SINGLEMATCH.
 * @param err   on a pattern error: "FILE:LINE: rules[i] (id N): <hs message>"
 * @return 0, -EINVAL (pattern error), -ENOMEM, -EIO (other hs error).
 */
int pf_rules_compile(const struct pf_ruleset *rs, hs_database_t **db,
		     char *err, size_t errlen);

/** A rule's action as the dataplane needs it at match time. */
struct pf_rule_rt {
	uint32_t id;
	uint8_t action;
	uint8_t pad;
	uint16_t cap_id;
};

/**
 * Pack actions and a compiled database into one buffer, the body of a
 * PF_CTL_RULES_SET message. *out is malloc'd.
 * @return 0, -ENOMEM, -EIO.
 */
int pf_rules_pack(const struct pf_ruleset *rs, const hs_database_t *db,
		  uint8_t **out, size_t *out_len);

/**
 * Unpack: validates the buffer, deserializes the database (which must suit
 * this host's CPU) and fills a malloc'd action table indexed by Hyperscan id.
 * @return 0, -EPROTO (malformed buffer), -EINVAL (database rejected), -ENOMEM.
 */
int pf_rules_unpack(const uint8_t *buf, size_t len, hs_database_t **db,
		    struct pf_rule_rt **actions, uint32_t *n_rules);

/** Action name, or NULL. */
const char *pf_rule_action_name(unsigned int action);

#ifdef __cplusplus
}
#endif
#endif /* PF_RULES_H */
