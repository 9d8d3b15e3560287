/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_ctl.c: the control socket's framing -- layout fingerprint, header
 * checks, whole-message send and receive, and a one-shot client call. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "pf_ctl.h"
#include "pf_rules.h"

/* How long pf_ctl_call() waits for each read or write of the exchange. */
#define CALL_TIMEOUT_S 5

static const char *const type_names[] = {
#define X(name, val, str) [val] = str,
	PF_CTL_TYPE_LIST(X)
#undef X
};
#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *
pf_ctl_type_name(unsigned int type)
{
	return type < N_TYPES ? type_names[type] : NULL;
}

/*
 * Every size and offset two processes must agree on before one hands the
 * other a struct as raw bytes. The top-level structs are listed member by
 * member; the nested ones by size (their members move the top-level
 * offsets or sizes when they change).
 */
#define LAYOUT_MEMBERS(X)                                                   \
	X(pf_ctl_hdr, magic) X(pf_ctl_hdr, version) X(pf_ctl_hdr, type)     \
	X(pf_ctl_hdr, len) X(pf_ctl_hdr, seq) X(pf_ctl_hdr, layout)         \
	X(pf_ctl_ack, status) X(pf_ctl_ack, registry_gen)                   \
	X(pf_ctl_ack, rules_gen) X(pf_ctl_ack, pid) X(pf_ctl_ack, msg)      \
	X(pf_rule_rt, id) X(pf_rule_rt, action) X(pf_rule_rt, cap_id)       \
	X(pf_config, path) X(pf_config, udp_port) X(pf_config, pass_non_pf) \
	X(pf_config, high_prio_min) X(pf_config, burst)                     \
	X(pf_config, tx_flush_us) X(pf_config, control_socket)              \
	X(pf_config, stats_segment) X(pf_config, rules_file)                \
	X(pf_config, n_eal_args) X(pf_config, eal_args) X(pf_config, mbufs) \
	X(pf_config, mbuf_cache) X(pf_config, mbuf_data_room)               \
	X(pf_config, ring_size) X(pf_config, high_ring_size)                \
	X(pf_config, n_ports) X(pf_config, ports) X(pf_config, groups)      \
	X(pf_config, n_caps) X(pf_config, caps) X(pf_config, n_molecules)   \
	X(pf_config, molecules) X(pf_config, n_roles) X(pf_config, roles)   \
	X(pf_config, default_roles) X(pf_config, n_sessions)                \
	X(pf_config, sessions)                                              \
	X(pf_cap_conf, id) X(pf_cap_conf, name) X(pf_cap_conf, group)       \
	X(pf_cap_conf, element) X(pf_cap_conf, intent) X(pf_cap_conf, arg)  \
	X(pf_cap_conf, requires) X(pf_cap_conf, provides)                   \
	X(pf_cap_conf, effects) X(pf_cap_conf, max_payload)                 \
	X(pf_cap_conf, roles) X(pf_cap_conf, rate_pps)                      \
	X(pf_cap_conf, rate_burst) X(pf_cap_conf, molecule)                 \
	X(pf_cap_conf, has_policy) X(pf_cap_conf, policy) X(pf_cap_conf, line)
#define LAYOUT_STRUCTS(X)                                                   \
	X(pf_ctl_hdr) X(pf_ctl_ack) X(pf_ctl_registry) X(pf_rule_rt)        \
	X(pf_config) X(pf_cap_conf) X(pf_port_conf) X(pf_policy)            \
	X(pf_lcore_set) X(pf_molecule_conf) X(pf_stage_conf)                \
	X(pf_role_conf) X(pf_session_conf)

static uint64_t
mix(uint64_t h, uint64_t v)
{
	/* FNV-1a over the 8 bytes of v */
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t
pf_ctl_layout(void)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = mix(h, PF_CTL_VERSION);
	h = mix(h, PF_CTL_MAGIC);
#define X(s, m) h = mix(h, offsetof(struct s, m)); h = mix(h, sizeof(((struct s *)0)->m));
	LAYOUT_MEMBERS(X)
#undef X
#define X(s) h = mix(h, sizeof(struct s)); h = mix(h, _Alignof(struct s));
	LAYOUT_STRUCTS(X)
#undef X
	return h;
}

/* Body length a type must carry, or -1 when it varies. */
static long
body_len(unsigned int type)
{
	switch (type) {
	case PF_CTL_PING:
		return 0;
	case PF_CTL_REGISTRY_SET:
		return (long)sizeof(struct pf_ctl_registry);
	case PF_CTL_ACK:
		return (long)sizeof(struct pf_ctl_ack);
	default:
		return -1;
	}
}

int
pf_ctl_hdr_check(const struct pf_ctl_hdr *h)
{
	long want;

	if (h->magic != PF_CTL_MAGIC || h->version != PF_CTL_VERSION ||
	    h->layout != pf_ctl_layout() || !pf_ctl_type_name(h->type))
		return -EPROTO;
	if (h->len > PF_CTL_MAX_BODY)
		return -EMSGSIZE;
	want = body_len(h->type);
	/* RULES_SET varies: pf_rules_pack() output, or empty to clear the
	 * rules; pf_rules_unpack() checks the body itself */
	if (want >= 0 && h->len != (uint32_t)want)
		return h->len > (uint32_t)want ? -EMSGSIZE : -EPROTO;
	return 0;
}

/*
 * Writes every byte of iov[0..n-1]. sendmsg() with MSG_NOSIGNAL, so that a
 * peer gone away is -EPIPE and not a SIGPIPE; writev() when fd is not a
 * socket (a pipe). Short writes advance the vector and go on.
 */
static int
write_all(int fd, struct iovec *iov, int n)
{
	bool sock = true;

	while (n > 0) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w;

		w = sock ? sendmsg(fd, &m, MSG_NOSIGNAL) : writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOTSOCK && sock) {
				sock = false;
				continue;
			}
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
pf_ctl_send(int fd, uint16_t type, uint32_t seq, const void *body, uint32_t len)
{
	struct pf_ctl_hdr h = {
		.magic = PF_CTL_MAGIC,
		.version = PF_CTL_VERSION,
		.type = type,
		.len = len,
		.seq = seq,
		.layout = pf_ctl_layout(),
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)body, .iov_len = len },
	};

	if (len > 0 && !body)
		return -EINVAL;
	/* refuse here what the peer's pf_ctl_hdr_check() would refuse */
	if (!pf_ctl_type_name(type))
		return -EINVAL;
	if (pf_ctl_hdr_check(&h) < 0)
		return len > PF_CTL_MAX_BODY ? -EMSGSIZE : -EINVAL;
	return write_all(fd, iov, len ? 2 : 1);
}

/* Reads exactly len bytes. @return 0, 1 on EOF before the first byte,
 * -EPROTO on EOF after it, -ETIMEDOUT (SO_RCVTIMEO), -errno. */
static int
read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (uint8_t *)buf + got, len - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		if (r == 0)
			return got == 0 ? 1 : -EPROTO;
		got += (size_t)r;
	}
	return 0;
}

int
pf_ctl_recv(int fd, struct pf_ctl_hdr *h, void **body)
{
	void *p = NULL;
	int rc;

	*body = NULL;
	rc = read_all(fd, h, sizeof(*h));
	if (rc == 1)
		return -ECONNRESET; /* peer closed between messages */
	if (rc < 0)
		return rc;
	/* checked before allocating: a bad header never costs a 64 MB malloc */
	rc = pf_ctl_hdr_check(h);
	if (rc < 0)
		return rc;
	if (h->len == 0)
		return 0;
	p = malloc(h->len);
	if (!p)
		return -ENOMEM;
	rc = read_all(fd, p, h->len);
	if (rc != 0) {
		free(p);
		return rc == 1 ? -EPROTO : rc; /* closed inside the message */
	}
	*body = p;
	return 0;
}

int
pf_ctl_call(const char *sock_path, uint16_t type, const void *body,
	    uint32_t len, struct pf_ctl_ack *ack)
{
	static uint32_t next_seq;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CALL_TIMEOUT_S };
	struct pf_ctl_hdr h;
	void *reply = NULL;
	uint32_t seq;
	int fd, rc;

	memset(ack, 0, sizeof(*ack));
	if (strlen(sock_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	if (type == PF_CTL_ACK)
		return -EINVAL; /* an answer, not a request */
	memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
	/* distinct per call and per process, so a stale ACK cannot pass */
	seq = __atomic_add_fetch(&next_seq, 1, __ATOMIC_RELAXED) ^
	      ((uint32_t)getpid() << 16);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		rc = -errno;
		goto out;
	}
	rc = pf_ctl_send(fd, type, seq, body, len);
	if (rc < 0)
		goto out;
	rc = pf_ctl_recv(fd, &h, &reply);
	if (rc < 0)
		goto out;
	/* hdr_check has fixed an ACK's length to sizeof(*ack) */
	if (h.type != PF_CTL_ACK || h.seq != seq) {
		rc = -EPROTO;
		goto out;
	}
	memcpy(ack, reply, sizeof(*ack));
	ack->msg[sizeof(ack->msg) - 1] = '\0';
	rc = 0;
out:
	free(reply);
	close(fd);
	return rc;
}
