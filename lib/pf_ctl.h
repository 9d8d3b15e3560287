/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_ctl.h: messages of the dataplane's UNIX control socket (stream,
 * length-prefixed): registry and policy updates, rules, ping. */
#ifndef PF_CTL_H
#define PF_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "pf_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PF_CTL_MAGIC 0x5046434cu /* "PFCL" */
#define PF_CTL_VERSION 1
#define PF_CTL_MAX_BODY (64u << 20)

/**
 * Message types. Every request gets exactly one PF_CTL_ACK with the same
 * seq. Bodies:
 *   PING           none
 *   REGISTRY_SET   struct pf_ctl_registry: capabilities, molecules, group
 *                  policies, roles and sessions replace the running ones
 *                  atomically (RCU); ports, memory and EAL are not changed
 *   RULES_SET      pf_rules_pack() output: database swapped atomically;
 *                  empty: every rule removed
 *   ACK            struct pf_ctl_ack
 */
#define PF_CTL_TYPE_LIST(X)               \
	X(PING, 1, "ping")                \
	X(REGISTRY_SET, 2, "registry_set") \
	X(RULES_SET, 3, "rules_set")      \
	X(ACK, 4, "ack")

enum pf_ctl_type {
#define X(name, val, str) PF_CTL_##name = val,
	PF_CTL_TYPE_LIST(X)
#undef X
};

struct pf_ctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len;    /**< body bytes after the header */
	uint32_t seq;    /**< echoed in the ACK */
	uint64_t layout; /**< pf_ctl_layout() of the sender: same structs */
};

/** The runtime tables a REGISTRY_SET carries (a config minus hardware). */
struct pf_ctl_registry {
	struct pf_config cfg;
};

struct pf_ctl_ack {
	int32_t status;       /**< 0 or a negative errno */
	uint32_t pad;
	uint64_t registry_gen;/**< generations after the request was applied */
	uint64_t rules_gen;
	uint64_t pid;
	char msg[256];        /**< why, when status != 0; else a summary */
};

/** A value that changes whenever the shared structs change layout. */
uint64_t pf_ctl_layout(void);

/** Name of a message type, or NULL. */
const char *pf_ctl_type_name(unsigned int type);

/**
 * Validate a received header: magic, version, layout, known type, length.
 * PING, REGISTRY_SET and ACK bodies have one exact size; RULES_SET is 0 to
 * PF_CTL_MAX_BODY bytes.
 * @return 0, -EPROTO (not ours / other version / other layout / unknown
 *   type / body shorter than its type needs), -EMSGSIZE (longer).
 */
int pf_ctl_hdr_check(const struct pf_ctl_hdr *h);

/**
 * Send one message on a blocking stream socket (loops over short writes and
 * EINTR; MSG_NOSIGNAL: a closed peer is -EPIPE, not SIGPIPE).
 * @return 0, -EINVAL (unknown type, or a length its type does not allow),
 *   -EMSGSIZE, -ETIMEDOUT (SO_SNDTIMEO), -errno.
 */
int pf_ctl_send(int fd, uint16_t type, uint32_t seq, const void *body,
		uint32_t len);

/**
 * Receive one message on a blocking stream socket. The header is checked
 * (pf_ctl_hdr_check) before the body is allocated. The body is malloc'd
 * into *body (NULL when empty); the caller frees it.
 * @return 0, -ECONNRESET (peer closed before the message's first byte),
 *   -EPROTO (bad header, or peer closed inside the message), -EMSGSIZE,
 *   -ENOMEM, -ETIMEDOUT (SO_RCVTIMEO), -errno.
 */
int pf_ctl_recv(int fd, struct pf_ctl_hdr *h, void **body);

/**
 * Connect to a dataplane's control socket, send one request and wait for
 * its ACK (client side, used by tools and pf-control's tests). Reads and
 * writes time out after 5 s. The request's own verdict is ack->status.
 * @return 0 and *ack filled, -ENAMETOOLONG, -EINVAL (type ACK), -ETIMEDOUT,
 *   -EPROTO (not an ACK, or another seq), or -errno (connect: -ENOENT,
 *   -ECONNREFUSED).
 */
int pf_ctl_call(const char *sock_path, uint16_t type, const void *body,
		uint32_t len, struct pf_ctl_ack *ack);

#ifdef __cplusplus
}
#endif
#endif /* PF_CTL_H */
