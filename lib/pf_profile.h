/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_profile.h: pf-gen's traffic profile -- the mix of requests, frame sizes,
 * sessions, priorities, intents, timing -- and its YAML loader. No EAL. */
#ifndef PF_PROFILE_H
#define PF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PF_PROFILE_MAX_ENTRIES 32   /**< mix entries */
#define PF_PROFILE_MAX_WEIGHTS 16   /**< W:V pairs of an imix or priority mix */
#define PF_PROFILE_MAX_POOLS 16     /**< distinct session ranges */
#define PF_PROFILE_MAX_SESSIONS 65536 /**< sessions over all pools */
#define PF_PROFILE_MAX_INTENTS 65536 /**< intents over all entries */
#define PF_PROFILE_INTENT_LEN 256   /**< bytes of one intent, NUL included */
#define PF_PROFILE_ERR_LEN 512
/** Frame sizes are Ethernet frame bytes with the 4-byte FCS, as line rate counts them. */
#define PF_PROFILE_FRAME_MIN 64
#define PF_PROFILE_FRAME_MAX 1518
#define PF_PROFILE_FCS 4
#define PF_PROFILE_DEFAULT_FIRST_SESSION 1000
#define PF_PROFILE_DEFAULT_KEYS 1024
#define PF_PROFILE_DEFAULT_VALUE_SIZE 16
#define PF_PROFILE_VALUE_MAX 1024
/** TLV id of the padding field (ids >= 64 are carried, never part of a contract). */
#define PF_PROFILE_PAD_FIELD 64

/** How a rate was given. */
enum pf_rate_kind {
	PF_RATE_UNSET = 0,
	PF_RATE_PPS,     /**< value: frames per second */
	PF_RATE_PERCENT, /**< value: percent of the port's line rate, (0, 100] */
	PF_RATE_MAX,     /**< as fast as the port takes them */
};

struct pf_rate {
	uint8_t kind;    /**< enum pf_rate_kind */
	double value;
};

/** A weighted value: an imix size or a priority. */
struct pf_weighted {
	uint32_t weight;
	uint32_t value;
};

enum pf_size_kind {
	PF_SIZE_UNSET = 0,
	PF_SIZE_FIXED, /**< min == max */
	PF_SIZE_RANGE, /**< uniform in [min, max] */
	PF_SIZE_IMIX,  /**< weighted sizes */
};

/** Frame sizes: "128", "64-1518", "imix" (7:64,4:570,1:1518) or "W:S,W:S...". */
struct pf_size_spec {
	uint8_t kind;  /**< enum pf_size_kind */
	uint8_t n;     /**< imix pairs */
	uint16_t min, max;
	struct pf_weighted w[PF_PROFILE_MAX_WEIGHTS];
};

/** A range of session ids. */
struct pf_session_pool {
	uint32_t first;
	uint32_t count;
};

enum pf_session_order {
	PF_SESSIONS_ROUND_ROBIN = 0,
	PF_SESSIONS_RANDOM,
};

/** One kind of request in the mix. */
struct pf_profile_entry {
	char name[PF_NAME_LEN];
	uint32_t weight;
	bool classify;       /**< header names nothing: Hyperscan classifies the intent */
	uint16_t capability; /**< header capability, 0 = not named */
	uint8_t group;       /**< header group, 0 = not named */
	uint8_t element;     /**< header element within the group, 0 = not named */
	uint64_t fields;     /**< pf_field_bit() of intent / data / key / value */
	char intent[PF_PROFILE_INTENT_LEN]; /**< intent text of a non-classify entry */
	uint32_t first_intent, n_intents; /**< classify: intents[first .. first+n) */
	uint32_t keys;       /**< key TLV is "k<n>", n uniform in [0, keys) */
	uint16_t value_size; /**< bytes of the value TLV */
	bool has_size;       /**< size overrides the profile's */
	struct pf_size_spec size;
	uint16_t pool;       /**< index into pools[] */
	int line;
};

/** A traffic profile. */
struct pf_profile {
	char path[PF_PATH_LEN]; /**< file it came from ("(built-in)" otherwise) */
	char description[PF_PROFILE_INTENT_LEN];

	/* timing and load; the command line overrides each */
	struct pf_rate rate;       /**< kind PF_RATE_UNSET: the tool's default */
	uint64_t duration_ms;      /**< 0: until SIGINT or --count */
	uint64_t warmup_ms;        /**< frames sent during warm-up are not measured */

	struct pf_size_spec size;  /**< default for entries without their own */
	uint8_t session_order;     /**< enum pf_session_order */
	uint16_t n_pools;          /**< pools[0] is the profile's own `sessions` */
	struct pf_session_pool pools[PF_PROFILE_MAX_POOLS];
	uint8_t n_prio;            /**< priority mix (one entry: a fixed priority) */
	struct pf_weighted prio[PF_PROFILE_MAX_WEIGHTS];

	uint16_t n_entries;
	struct pf_profile_entry entries[PF_PROFILE_MAX_ENTRIES];

	/* intents of classify entries, one NUL-terminated string each (owned) */
	uint32_t n_intents;
	char **intents;
};

/**
 * The built-in profile (no --profile): header-routed echo (capability 1,
 * CF.seq, a data field), frames of 64 bytes asked for (the smallest echo
 * frame is larger: see docs/pf-gen.md), 64 sessions from 1000, round-robin,
 * priority 0, no duration or warm-up.
 */
void pf_profile_default(struct pf_profile *p);

/**
 * Load and validate a profile file (docs/pf-gen.md, "Profile format").
 *
 * @param p    filled on success (free it with pf_profile_free()); left
 *   untouched on failure
 * @param err  on failure one line: "FILE:LINE: KEY: expected WHAT, found
 *   WHAT", "FILE:LINE: syntax error: PROBLEM (CONTEXT)" or
 *   "FILE: cannot open: WHY"
 * @return 0, -ENOENT/-EACCES/-EISDIR/-ENAMETOOLONG (cannot open),
 *   -EFBIG (over 4 MiB), -EINVAL (syntax or validation), -ENOMEM.
 */
int pf_profile_load(const char *path, struct pf_profile *p, char *err, size_t errlen);

/** Same, from a buffer; name stands for the file in messages and relative paths. */
int pf_profile_load_buf(const char *name, const char *buf, size_t len,
			struct pf_profile *p, char *err, size_t errlen);

/** Release what a loaded profile owns (its intents). Safe on a default profile. */
void pf_profile_free(struct pf_profile *p);

/**
 * Parse a rate: "max", "N%" (0 < N <= 100), or a frame rate "N", "Npps",
 * "Nkpps", "NMpps", "NGpps" (N may have decimals; > 0).
 * @return 0, or -EINVAL.
 */
int pf_rate_parse(const char *s, struct pf_rate *r);

/**
 * Parse a duration: "N" (seconds), "Nms", "Ns", "Nm", "Nh" (N may have
 * decimals; >= 0), into milliseconds (rounded to the nearest).
 * @return 0, or -EINVAL (also above 10 days).
 */
int pf_duration_parse(const char *s, uint64_t *ms);

/**
 * Parse frame sizes: "N", "A-B" (A <= B), "imix" (7:64,4:570,1:1518) or a
 * weighted list "W:S,W:S,..." (at most PF_PROFILE_MAX_WEIGHTS pairs);
 * sizes PF_PROFILE_FRAME_MIN..PF_PROFILE_FRAME_MAX.
 * @return 0, or -EINVAL.
 */
int pf_size_parse(const char *s, struct pf_size_spec *out);

/**
 * Parse a weighted list "W:V,W:V,..." or a single value "V" (weight 1),
 * values in [vmin, vmax], weights 0..1000000 with a positive sum.
 * @return the number of pairs (>= 1), or -EINVAL.
 */
int pf_weights_parse(const char *s, struct pf_weighted *out, unsigned int max,
		     uint32_t vmin, uint32_t vmax);

/**
 * Parse session ids: "N" (N sessions from the pool's current first id),
 * "A-B" (inclusive). count 1..PF_PROFILE_MAX_SESSIONS.
 * @return 0, or -EINVAL.
 */
int pf_sessions_parse(const char *s, struct pf_session_pool *pool);

/** Average frame size in bytes (FCS included) a size spec asks for. */
double pf_size_mean(const struct pf_size_spec *s);

/** Text form of a size spec ("128", "64-1518", "7:64,4:570,1:1518"). */
const char *pf_size_format(const struct pf_size_spec *s, char *buf, size_t len);

/**
 * Check that session pools are equal or disjoint and hold at most
 * PF_PROFILE_MAX_SESSIONS sessions (after a command line changed pools[0]).
 * @return 0, or -EINVAL with why filled ("expected ..., found ...").
 */
int pf_profile_check_pools(const struct pf_profile *p, char *why, size_t len);

/** Sessions over all pools. */
uint32_t pf_profile_sessions(const struct pf_profile *p);

#ifdef __cplusplus
}
#endif
#endif /* PF_PROFILE_H */
