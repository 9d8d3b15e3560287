/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl.c: the UNIX control socket, served by the main lcore: registry and
 * policy replacement and rules swaps, applied with RCU, never stopping RX. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pf_ctl.h"
#include "pf_dp.h"

int
pf_ctl_init(struct pf_dp *dp, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(dp->ctl_path, sizeof(dp->ctl_path), "%s", dp->cfg->control_socket);
	if (strlen(dp->ctl_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "dataplane.control_socket: path longer than %zu bytes",
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, dp->ctl_path);
	/* The socket's directory (e.g. /run/packetflow) may not exist yet. */
	char dir[PF_PATH_LEN];
	snprintf(dir, sizeof(dir), "%s", dp->ctl_path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	unlink(dp->ctl_path); /* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		close(fd);
		goto fail;
	}
	chmod(dp->ctl_path, 0660);
	dp->ctl_fd = fd;
	return 0;
fail:
	snprintf(err, errlen,
		 "dataplane.control_socket: cannot listen on %s: %s (does its directory "
		 "exist? choose another path with --control)", dp->ctl_path, strerror(errno));
	return -errno;
}

static void
ack(int fd, uint32_t seq, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
ack(int fd, uint32_t seq, int status, const char *fmt, ...)
{
	struct pf_ctl_ack a = {
		.status = status,
		.registry_gen = pf_dp.registry_gen,
		.rules_gen = pf_dp.rules_gen,
		.pid = (uint64_t)getpid(),
	};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a.msg, sizeof(a.msg), fmt, ap);
	va_end(ap);
	pf_ctl_send(fd, PF_CTL_ACK, seq, &a, sizeof(a));
}

static void
do_registry(struct pf_dp *dp, int fd, const struct pf_ctl_hdr *h, void *body)
{
	struct pf_tables *t;
	char err[PF_CONFIG_ERR_LEN];

	if (h->len != sizeof(struct pf_ctl_registry)) {
		ack(fd, h->seq, -EPROTO, "registry_set: body of %u bytes, expected %zu",
		    h->len, sizeof(struct pf_ctl_registry));
		return;
	}
	struct pf_config *cfg = &((struct pf_ctl_registry *)body)->cfg;
	cfg->path[sizeof(cfg->path) - 1] = '\0';
	int rc = pf_tables_build(dp, cfg, &t, err, sizeof(err));
	if (rc < 0) {
		ack(fd, h->seq, rc, "%s", err);
		return;
	}
	pf_tables_publish(dp, t);
	ack(fd, h->seq, 0, "registry generation %" PRIu64 ": %u capabilities",
	    t->gen, t->cfg->n_caps);
}

static void
do_rules(struct pf_dp *dp, int fd, const struct pf_ctl_hdr *h, void *body)
{
	hs_database_t *db = NULL;
	struct pf_rule_rt *actions = NULL;
	struct pf_rules_tables *r;
	uint32_t n = 0;
	char err[PF_CONFIG_ERR_LEN];
	int rc;

	if (h->len == 0) {
		rc = pf_rules_tables_build(dp, NULL, NULL, 0, &r, err, sizeof(err));
	} else {
		rc = pf_rules_unpack(body, h->len, &db, &actions, &n);
		if (rc < 0) {
			ack(fd, h->seq, rc, "rules_set: %s",
			    rc == -EPROTO ? "malformed rules body" :
			    "Hyperscan refused the database (built for another CPU or version?)");
			return;
		}
		rc = pf_rules_tables_build(dp, db, actions, n, &r, err, sizeof(err));
	}
	if (rc < 0) {
		if (db)
			hs_free_database(db);
		free(actions);
		ack(fd, h->seq, rc, "%s", err);
		return;
	}
	pf_rules_publish(dp, r);
	ack(fd, h->seq, 0, "rules generation %" PRIu64 ": %u rules", r->gen, r->n_rules);
}

/* Clients stay connected (pf-control keeps one connection); a request is
 * read whole once its first byte arrives. The main lcore is not a packet
 * path: blocking here for a message's bytes delays only the control plane. */
#define MAX_CLIENTS 8
static int clients[MAX_CLIENTS] = { -1, -1, -1, -1, -1, -1, -1, -1 };

/* Serve one request; false when the client is gone or misbehaved. */
static bool
serve_one(struct pf_dp *dp, int fd)
{
	struct pf_ctl_hdr h;
	void *body = NULL;
	int rc = pf_ctl_recv(fd, &h, &body);

	if (rc < 0) {
		if (rc == -EPROTO || rc == -EMSGSIZE)
			ack(fd, 0, rc, "bad message: %s", strerror(-rc));
		return false;
	}
	switch (h.type) {
	case PF_CTL_PING:
		ack(fd, h.seq, 0, "pf-dataplane pid %d, %u lcores", getpid(), dp->n_lcores);
		break;
	case PF_CTL_REGISTRY_SET:
		do_registry(dp, fd, &h, body);
		break;
	case PF_CTL_RULES_SET:
		do_rules(dp, fd, &h, body);
		break;
	default:
		ack(fd, h.seq, -EOPNOTSUPP, "message type %u not accepted", h.type);
		break;
	}
	free(body);
	pf_tables_reclaim(dp, false);
	return true;
}

void
pf_ctl_poll(struct pf_dp *dp, int timeout_ms)
{
	struct pollfd p[MAX_CLIENTS + 1];
	int map[MAX_CLIENTS + 1];
	int n = 0;

	if (dp->ctl_fd < 0)
		return;
	p[n].fd = dp->ctl_fd;
	p[n].events = POLLIN;
	map[n++] = -1;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i] < 0)
			continue;
		p[n].fd = clients[i];
		p[n].events = POLLIN;
		map[n++] = i;
	}
	if (poll(p, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int k = 1; k < n; k++) {
		if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		int i = map[k];
		if (!serve_one(dp, clients[i])) {
			close(clients[i]);
			clients[i] = -1;
		}
	}
	if (p[0].revents & POLLIN) {
		int fd = accept4(dp->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct timeval tv = { .tv_sec = 2 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (clients[i] < 0) {
				clients[i] = fd;
				return;
			}
		}
		ack(fd, 0, -EBUSY, "too many control clients (%d)", MAX_CLIENTS);
		close(fd);
	}
}

void
pf_ctl_fini(struct pf_dp *dp)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i] >= 0)
			close(clients[i]);
		clients[i] = -1;
	}
	if (dp->ctl_fd >= 0) {
		close(dp->ctl_fd);
		unlink(dp->ctl_path);
		dp->ctl_fd = -1;
	}
}
