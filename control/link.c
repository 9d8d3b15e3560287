/* SPDX-License-Identifier: BSD-3-Clause */
/* link.c: pf-control's side of the dataplane's UNIX control socket, over
 * io_uring: connect, one request in flight, ACK matched by seq, reconnect
 * with back-off, a retry after a dropped connection, ping when idle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pfc.h"

#define CALL_TIMEOUT_MS 5000
#define RETRY_MS 250      /* between connection attempts */
#define PING_IDLE_MS 1000 /* ping when nothing was said for this long */

static void link_kick(struct pfc *d);

static void
req_finish(struct pfc *d, struct pf_link_req *q, int rc, const struct pf_ctl_ack *ack)
{
	if (rc < 0) {
		d->link.failures++;
		snprintf(d->link.last_error, sizeof(d->link.last_error), "%s: %s",
			 pf_ctl_type_name(q->type), strerror(-rc));
	}
	if (q->cb)
		q->cb(d, q->arg, rc, ack);
	free(q);
}

static struct pf_link_req *
pop(struct pf_link *l)
{
	struct pf_link_req *q = l->head;

	if (q) {
		l->head = q->next;
		if (!l->head)
			l->tail = NULL;
	}
	return q;
}

/* Every queued request fails with rc (no dataplane to ask). */
static void
fail_all(struct pfc *d, int rc)
{
	struct pf_link_req *q;

	while ((q = pop(&d->link)))
		req_finish(d, q, rc, NULL);
}

static void
closed(struct pfc *d)
{
	struct pf_link *l = &d->link;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->state = PF_LINK_DOWN;
	l->busy = l->sending = l->receiving = false;
	link_kick(d);
}

/* Drops the connection; the request in flight is retried once (requests
 * are whole-state replacements: sending one twice is harmless). */
static void
link_drop(struct pfc *d, int why)
{
	struct pf_link *l = &d->link;

	if (l->state == PF_LINK_CLOSING || l->state == PF_LINK_DOWN)
		return;
	if (l->busy && l->head) {
		l->head->tries++;
		if (l->head->tries >= 2 || why == -ETIMEDOUT)
			req_finish(d, pop(l), why, NULL);
	}
	l->busy = false;
	l->reconnects++;
	l->state = PF_LINK_CLOSING;
	if (l->pending_ops) {
		/* completes the send or recv in flight; closed() follows them */
		shutdown(l->fd, SHUT_RDWR);
		return;
	}
	closed(d);
}

static void
op_done(struct pfc *d)
{
	struct pf_link *l = &d->link;

	l->pending_ops--;
	if (l->state == PF_LINK_CLOSING && l->pending_ops == 0)
		closed(d);
}

static void recv_more(struct pfc *d);

static void
recv_done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_link *l = container_of(op, struct pf_link, recv_op);
	struct pfc *d = container_of(l, struct pfc, link);
	struct pf_ctl_hdr h;
	struct pf_ctl_ack ack;

	(void)flags;
	l->receiving = false;
	op_done(d);
	if (l->state != PF_LINK_UP)
		return;
	if (res <= 0) {
		link_drop(d, res < 0 ? res : -ECONNRESET);
		return;
	}
	l->got += (size_t)res;
	if (l->got < sizeof(l->rbuf)) {
		recv_more(d);
		return;
	}
	memcpy(&h, l->rbuf, sizeof(h));
	memcpy(&ack, l->rbuf + sizeof(h), sizeof(ack));
	ack.msg[sizeof(ack.msg) - 1] = '\0';
	if (pf_ctl_hdr_check(&h) < 0 || h.type != PF_CTL_ACK || !l->head ||
	    h.seq != l->head->seq) {
		/* "bad message" (seq 0) or out of step: start over */
		snprintf(l->last_error, sizeof(l->last_error), "unexpected answer: %.200s",
			 ack.msg);
		if (l->head)
			l->head->tries = 2;
		link_drop(d, -EPROTO);
		return;
	}
	l->busy = false;
	l->last_ok_ms = d->loop.now_ms;
	l->registry_gen = ack.registry_gen;
	l->rules_gen = ack.rules_gen;
	l->pid = ack.pid;
	struct pf_link_req *q = pop(l);
	req_finish(d, q, 0, &ack);
	pfc_dataplane_seen(d, ack.pid, "control socket");
	link_kick(d);
}

static void
recv_more(struct pfc *d)
{
	struct pf_link *l = &d->link;

	l->receiving = true;
	l->pending_ops++;
	l->recv_op.fn = recv_done;
	io_uring_prep_recv(pf_loop_sqe(&d->loop, &l->recv_op), l->fd, l->rbuf + l->got,
			   sizeof(l->rbuf) - l->got, 0);
}

static void send_more(struct pfc *d);

static void
send_done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_link *l = container_of(op, struct pf_link, send_op);
	struct pfc *d = container_of(l, struct pfc, link);

	(void)flags;
	l->sending = false;
	op_done(d);
	if (l->state != PF_LINK_UP)
		return;
	if (res <= 0) {
		link_drop(d, res < 0 ? res : -EPIPE);
		return;
	}
	l->sent += (size_t)res;
	if (l->sent < l->total)
		send_more(d);
	else
		link_kick(d); /* the ACK may have come before this completion */
}

static void
send_more(struct pfc *d)
{
	struct pf_link *l = &d->link;
	size_t skip = l->sent;
	int i = 0;

	/* rebuild the vector past what went out already */
	struct iovec all[2] = {
		{ .iov_base = &l->shdr, .iov_len = sizeof(l->shdr) },
		{ .iov_base = (void *)l->head->body, .iov_len = l->head->len },
	};
	for (int k = 0; k < 2; k++) {
		if (skip >= all[k].iov_len) {
			skip -= all[k].iov_len;
			continue;
		}
		l->siov[i].iov_base = (uint8_t *)all[k].iov_base + skip;
		l->siov[i].iov_len = all[k].iov_len - skip;
		skip = 0;
		i++;
	}
	memset(&l->smsg, 0, sizeof(l->smsg));
	l->smsg.msg_iov = l->siov;
	l->smsg.msg_iovlen = (size_t)i;
	l->sending = true;
	l->pending_ops++;
	l->send_op.fn = send_done;
	io_uring_prep_sendmsg(pf_loop_sqe(&d->loop, &l->send_op), l->fd, &l->smsg,
			      MSG_NOSIGNAL);
}

static void
start_request(struct pfc *d)
{
	struct pf_link *l = &d->link;
	struct pf_link_req *q = l->head;

	q->seq = ++l->seq;
	l->shdr = (struct pf_ctl_hdr){
		.magic = PF_CTL_MAGIC,
		.version = PF_CTL_VERSION,
		.type = q->type,
		.len = q->len,
		.seq = q->seq,
		.layout = pf_ctl_layout(),
	};
	l->busy = true;
	l->calls++;
	l->sent = 0;
	l->total = sizeof(l->shdr) + q->len;
	l->got = 0;
	l->deadline_ms = d->loop.now_ms + CALL_TIMEOUT_MS;
	send_more(d);
	/* the ACK is read while the body is still going out */
	recv_more(d);
}

static void
connect_done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_link *l = container_of(op, struct pf_link, conn_op);
	struct pfc *d = container_of(l, struct pfc, link);

	(void)flags;
	l->pending_ops--;
	if (res < 0) {
		snprintf(l->last_error, sizeof(l->last_error), "connect %.200s: %s", l->path,
			 strerror(-res));
		close(l->fd);
		l->fd = -1;
		l->state = PF_LINK_DOWN;
		l->next_try_ms = d->loop.now_ms + RETRY_MS;
		fail_all(d, res);
		return;
	}
	l->state = PF_LINK_UP;
	l->last_ok_ms = d->loop.now_ms;
	link_kick(d);
}

static void
link_connect(struct pfc *d)
{
	struct pf_link *l = &d->link;
	static struct sockaddr_un sa; /* read by the kernel when the SQE runs */

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, l->path, strnlen(l->path, sizeof(sa.sun_path) - 1));
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		l->next_try_ms = d->loop.now_ms + RETRY_MS;
		fail_all(d, -errno);
		return;
	}
	l->state = PF_LINK_CONNECTING;
	l->pending_ops++;
	l->conn_op.fn = connect_done;
	io_uring_prep_connect(pf_loop_sqe(&d->loop, &l->conn_op), l->fd,
			      (struct sockaddr *)&sa, sizeof(sa));
}

/* Moves the queue along: connect, or send the next request. */
static void
link_kick(struct pfc *d)
{
	struct pf_link *l = &d->link;

	if (!l->head)
		return;
	switch (l->state) {
	case PF_LINK_DOWN:
		if (d->loop.now_ms < l->next_try_ms && l->head->tries == 0) {
			fail_all(d, -ENOTCONN); /* backing off: fail fast */
			return;
		}
		link_connect(d);
		break;
	case PF_LINK_UP:
		/* one request at a time, and its ops all reaped before the next */
		if (!l->busy && !l->sending && !l->receiving)
			start_request(d);
		break;
	default:
		break;
	}
}

void
pf_link_init(struct pfc *d, const char *path)
{
	struct pf_link *l = &d->link;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	snprintf(l->path, sizeof(l->path), "%s", path);
}

void
pf_link_call(struct pfc *d, uint16_t type, const void *body, uint32_t len,
	     pf_link_cb cb, void *arg)
{
	struct pf_link *l = &d->link;
	struct pf_link_req *q = calloc(1, sizeof(*q));

	if (!q) {
		if (cb)
			cb(d, arg, -ENOMEM, NULL);
		return;
	}
	q->type = type;
	q->body = body;
	q->len = len;
	q->cb = cb;
	q->arg = arg;
	if (l->tail)
		l->tail->next = q;
	else
		l->head = q;
	l->tail = q;
	link_kick(d);
}

static void
ping_done(struct pfc *d, void *arg, int rc, const struct pf_ctl_ack *ack)
{
	(void)d;
	(void)arg;
	(void)rc;
	(void)ack;
}

void
pf_link_tick(struct pfc *d)
{
	struct pf_link *l = &d->link;
	uint64_t now = d->loop.now_ms;

	if (l->busy && now > l->deadline_ms) {
		snprintf(l->last_error, sizeof(l->last_error),
			 "no answer within %d ms", CALL_TIMEOUT_MS);
		link_drop(d, -ETIMEDOUT);
		return;
	}
	/* a ping finds a (new) dataplane and keeps the connection warm */
	if (!l->head && now >= l->next_try_ms && now - l->last_ok_ms >= PING_IDLE_MS) {
		l->last_ok_ms = now; /* one ping per period, answered or not */
		pf_link_call(d, PF_CTL_PING, NULL, 0, ping_done, NULL);
	}
}

void
pf_link_fini(struct pfc *d)
{
	struct pf_link *l = &d->link;

	if (l->fd >= 0) {
		shutdown(l->fd, SHUT_RDWR);
		close(l->fd);
	}
	l->fd = -1;
	l->state = PF_LINK_DOWN;
	fail_all(d, -ESHUTDOWN);
}
