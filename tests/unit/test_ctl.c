/* SPDX-License-Identifier: BSD-3-Clause */
/* test_ctl.c: CUnit suite of the control socket's framing: every message type
 * over a socketpair, header checks, peers that vanish, and pf_ctl_call(). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "pf_ctl.h"
#include "pf_rules.h"

static int sv[2] = { -1, -1 };

static int
setup(void)
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}

static int
teardown(void)
{
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	sv[0] = sv[1] = -1;
	return 0;
}

/* A fresh pair for tests that close one end. */
static void
repair(void)
{
	teardown();
	CU_ASSERT_EQUAL_FATAL(setup(), 0);
}

static void
set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static struct pf_ctl_hdr
good_hdr(uint16_t type, uint32_t len)
{
	struct pf_ctl_hdr h = {
		.magic = PF_CTL_MAGIC,
		.version = PF_CTL_VERSION,
		.type = type,
		.len = len,
		.seq = 42,
		.layout = pf_ctl_layout(),
	};
	return h;
}

/* ---- names, layout, header checks ------------------------------------------ */

static void
test_names_and_layout(void)
{
	CU_ASSERT_STRING_EQUAL(pf_ctl_type_name(PF_CTL_PING), "ping");
	CU_ASSERT_STRING_EQUAL(pf_ctl_type_name(PF_CTL_REGISTRY_SET), "registry_set");
	CU_ASSERT_STRING_EQUAL(pf_ctl_type_name(PF_CTL_RULES_SET), "rules_set");
	CU_ASSERT_STRING_EQUAL(pf_ctl_type_name(PF_CTL_ACK), "ack");
	CU_ASSERT_PTR_NULL(pf_ctl_type_name(0));
	CU_ASSERT_PTR_NULL(pf_ctl_type_name(5));
	CU_ASSERT_PTR_NULL(pf_ctl_type_name(~0u));
	/* a fingerprint: not a constant like 0, and the same on every call */
	CU_ASSERT_NOT_EQUAL(pf_ctl_layout(), 0);
	CU_ASSERT_EQUAL(pf_ctl_layout(), pf_ctl_layout());
}

static void
test_hdr_check(void)
{
	struct pf_ctl_hdr h;

	h = good_hdr(PF_CTL_PING, 0);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), 0);
	h = good_hdr(PF_CTL_ACK, sizeof(struct pf_ctl_ack));
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), 0);
	h = good_hdr(PF_CTL_REGISTRY_SET, sizeof(struct pf_ctl_registry));
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), 0);
	h = good_hdr(PF_CTL_RULES_SET, PF_CTL_MAX_BODY);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), 0);

	h = good_hdr(PF_CTL_PING, 0);
	h.magic = 0x4c434650u; /* byte-swapped */
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EPROTO);
	h = good_hdr(PF_CTL_PING, 0);
	h.version = PF_CTL_VERSION + 1;
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EPROTO);
	h = good_hdr(PF_CTL_PING, 0);
	h.layout ^= 1; /* another build's structs */
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EPROTO);
	h = good_hdr(0, 0);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EPROTO);
	h = good_hdr(5, 0);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EPROTO);

	h = good_hdr(PF_CTL_RULES_SET, PF_CTL_MAX_BODY + 1);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EMSGSIZE);
	h = good_hdr(PF_CTL_RULES_SET, UINT32_MAX);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EMSGSIZE);
	h = good_hdr(PF_CTL_RULES_SET, 0); /* clears the rules */
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), 0);
	h = good_hdr(PF_CTL_PING, 1);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EMSGSIZE);
	h = good_hdr(PF_CTL_ACK, sizeof(struct pf_ctl_ack) - 1);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EPROTO);
	h = good_hdr(PF_CTL_ACK, sizeof(struct pf_ctl_ack) + 1);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EMSGSIZE);
	h = good_hdr(PF_CTL_REGISTRY_SET, sizeof(struct pf_ctl_registry) - 8);
	CU_ASSERT_EQUAL(pf_ctl_hdr_check(&h), -EPROTO);
}

/* ---- round trips --------------------------------------------------------------- */

struct sender {
	int fd;
	uint16_t type;
	uint32_t seq;
	const void *body;
	uint32_t len;
	int rc;
};

static void *
send_thread(void *arg)
{
	struct sender *s = arg;

	s->rc = pf_ctl_send(s->fd, s->type, s->seq, s->body, s->len);
	return NULL;
}

/* Sends from a thread (bodies larger than the socket buffer block until
 * read) and receives here; checks header and body came through intact. */
static void
round_trip(uint16_t type, uint32_t seq, const void *body, uint32_t len)
{
	struct sender s = { sv[0], type, seq, body, len, -1 };
	struct pf_ctl_hdr h;
	void *got = (void *)1;
	pthread_t t;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, send_thread, &s), 0);
	CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &got), 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(s.rc, 0);
	CU_ASSERT_EQUAL(h.magic, PF_CTL_MAGIC);
	CU_ASSERT_EQUAL(h.version, PF_CTL_VERSION);
	CU_ASSERT_EQUAL(h.layout, pf_ctl_layout());
	CU_ASSERT_EQUAL(h.type, type);
	CU_ASSERT_EQUAL(h.seq, seq);
	CU_ASSERT_EQUAL(h.len, len);
	if (len == 0) {
		CU_ASSERT_PTR_NULL(got);
	} else {
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_EQUAL(memcmp(got, body, len), 0);
	}
	free(got);
}

static void
test_round_trips(void)
{
	struct pf_ctl_registry *reg = calloc(1, sizeof(*reg));
	struct pf_ctl_ack ack = { .status = -EINVAL, .registry_gen = 3, .rules_gen = 9,
				  .pid = 1234 };
	size_t big = 3u << 20; /* several socket buffers: short writes happen */
	uint8_t *rules = malloc(big);

	CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rules);
	round_trip(PF_CTL_PING, 1, NULL, 0);

	reg->cfg.udp_port = 7447;
	reg->cfg.n_caps = 1;
	reg->cfg.caps[0].id = 4;
	snprintf(reg->cfg.caps[0].name, PF_NAME_LEN, "cache");
	snprintf(reg->cfg.path, PF_PATH_LEN, "configs/default.conf");
	reg->cfg.sessions[PF_MAX_SESSIONS - 1].last = 0xdeadbeef; /* the far end */
	round_trip(PF_CTL_REGISTRY_SET, 2, reg, sizeof(*reg));

	for (size_t i = 0; i < big; i++)
		rules[i] = (uint8_t)(i * 131 + (i >> 13));
	round_trip(PF_CTL_RULES_SET, 3, rules, (uint32_t)big);
	round_trip(PF_CTL_RULES_SET, 4, rules, 1);
	round_trip(PF_CTL_RULES_SET, 5, NULL, 0);

	snprintf(ack.msg, sizeof(ack.msg), "rules: bad database");
	round_trip(PF_CTL_ACK, 0xffffffffu, &ack, sizeof(ack));

	/* two messages back to back on one stream stay apart */
	CU_ASSERT_EQUAL(pf_ctl_send(sv[0], PF_CTL_PING, 10, NULL, 0), 0);
	CU_ASSERT_EQUAL(pf_ctl_send(sv[0], PF_CTL_ACK, 11, &ack, sizeof(ack)), 0);
	{
		struct pf_ctl_hdr h;
		void *b = NULL;

		CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), 0);
		CU_ASSERT_EQUAL(h.seq, 10);
		CU_ASSERT_PTR_NULL(b);
		CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), 0);
		CU_ASSERT_EQUAL(h.seq, 11);
		CU_ASSERT_PTR_NOT_NULL(b);
		CU_ASSERT_STRING_EQUAL(((struct pf_ctl_ack *)b)->msg, "rules: bad database");
		free(b);
	}
	free(rules);
	free(reg);
}

static void
test_send_refuses(void)
{
	struct pf_ctl_ack ack = { 0 };
	char byte = 0;

	CU_ASSERT_EQUAL(pf_ctl_send(sv[0], 0, 1, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(pf_ctl_send(sv[0], 9, 1, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(pf_ctl_send(sv[0], PF_CTL_RULES_SET, 1, NULL, 10), -EINVAL);
	CU_ASSERT_EQUAL(pf_ctl_send(sv[0], PF_CTL_ACK, 1, &ack, sizeof(ack) - 1), -EINVAL);
	CU_ASSERT_EQUAL(pf_ctl_send(sv[0], PF_CTL_RULES_SET, 1, &byte,
				    PF_CTL_MAX_BODY + 1), -EMSGSIZE);
	/* nothing was written by any of the above */
	set_rcvtimeo(sv[1], 50);
	CU_ASSERT_EQUAL(recv(sv[1], &byte, 1, MSG_DONTWAIT), -1);

	/* a closed peer is an error code, not a SIGPIPE */
	close(sv[1]);
	sv[1] = -1;
	CU_ASSERT_EQUAL(pf_ctl_send(sv[0], PF_CTL_PING, 1, NULL, 0), -EPIPE);
	repair();
	/* not a socket: a pipe works too */
	{
		int p[2];
		struct pf_ctl_hdr h;
		void *b = NULL;

		CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
		CU_ASSERT_EQUAL(pf_ctl_send(p[1], PF_CTL_ACK, 5, &ack, sizeof(ack)), 0);
		CU_ASSERT_EQUAL(pf_ctl_recv(p[0], &h, &b), 0);
		CU_ASSERT_EQUAL(h.seq, 5);
		free(b);
		close(p[0]);
		close(p[1]);
	}
}

/* ---- receiving from peers that misbehave ------------------------------------- */

static void
test_recv_errors(void)
{
	struct pf_ctl_hdr h, bad;
	void *b = (void *)1;
	uint8_t body[100] = { 0 };

	/* closed between messages */
	close(sv[0]);
	sv[0] = -1;
	CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), -ECONNRESET);
	CU_ASSERT_PTR_NULL(b);

	/* closed inside the header */
	repair();
	bad = good_hdr(PF_CTL_PING, 0);
	CU_ASSERT_EQUAL(write(sv[0], &bad, 10), 10);
	close(sv[0]);
	sv[0] = -1;
	CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), -EPROTO);

	/* closed inside the body */
	repair();
	bad = good_hdr(PF_CTL_RULES_SET, 1000);
	CU_ASSERT_EQUAL(write(sv[0], &bad, sizeof(bad)), (ssize_t)sizeof(bad));
	CU_ASSERT_EQUAL(write(sv[0], body, sizeof(body)), (ssize_t)sizeof(body));
	close(sv[0]);
	sv[0] = -1;
	b = (void *)1;
	CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), -EPROTO);
	CU_ASSERT_PTR_NULL(b);

	/* bad headers are refused before any body is read: the peer stays
	 * open and sends nothing more, so reading on would time out */
	repair();
	set_rcvtimeo(sv[1], 2000);
	bad = good_hdr(PF_CTL_RULES_SET, PF_CTL_MAX_BODY + 1);
	CU_ASSERT_EQUAL(write(sv[0], &bad, sizeof(bad)), (ssize_t)sizeof(bad));
	CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), -EMSGSIZE);
	bad = good_hdr(PF_CTL_RULES_SET, 60u << 20);
	bad.layout ^= 0x100;
	CU_ASSERT_EQUAL(write(sv[0], &bad, sizeof(bad)), (ssize_t)sizeof(bad));
	CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), -EPROTO);
	memset(&bad, 0x41, sizeof(bad)); /* "AAAA...": not ours at all */
	CU_ASSERT_EQUAL(write(sv[0], &bad, sizeof(bad)), (ssize_t)sizeof(bad));
	CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), -EPROTO);
	CU_ASSERT_PTR_NULL(b);

	/* nothing arrives: SO_RCVTIMEO is reported as a timeout */
	set_rcvtimeo(sv[1], 100);
	CU_ASSERT_EQUAL(pf_ctl_recv(sv[1], &h, &b), -ETIMEDOUT);
}

/* ---- pf_ctl_call against a server thread --------------------------------------- */

enum server_mode {
	SERVE_OK,        /* ACK with the request's seq */
	SERVE_WRONG_SEQ, /* ACK with another seq */
	SERVE_NOT_ACK,   /* answers with a PING */
	SERVE_CLOSE,     /* reads the request, closes */
	SERVE_SILENT,    /* reads the request, never answers */
};

struct server {
	int lfd;
	enum server_mode mode;
	struct pf_ctl_hdr req;  /* what it received */
	uint32_t req_body_len;
	uint8_t req_first;      /* first body byte */
	int rc;
};

static void *
server_thread(void *arg)
{
	struct server *s = arg;
	struct pf_ctl_ack ack = { .status = 0, .registry_gen = 7, .rules_gen = 8,
				  .pid = (uint64_t)getpid() };
	void *body = NULL;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0) {
		s->rc = -errno;
		return NULL;
	}
	s->rc = pf_ctl_recv(fd, &s->req, &body);
	if (s->rc == 0) {
		s->req_body_len = s->req.len;
		s->req_first = body ? *(uint8_t *)body : 0;
	}
	free(body);
	snprintf(ack.msg, sizeof(ack.msg), "%s done",
		 pf_ctl_type_name(s->req.type) ? pf_ctl_type_name(s->req.type) : "?");
	switch (s->mode) {
	case SERVE_OK:
		pf_ctl_send(fd, PF_CTL_ACK, s->req.seq, &ack, sizeof(ack));
		break;
	case SERVE_WRONG_SEQ:
		pf_ctl_send(fd, PF_CTL_ACK, s->req.seq + 1, &ack, sizeof(ack));
		break;
	case SERVE_NOT_ACK:
		pf_ctl_send(fd, PF_CTL_PING, s->req.seq, NULL, 0);
		break;
	case SERVE_CLOSE:
		break;
	case SERVE_SILENT: {
		char c;
		/* until the client gives up and closes */
		while (read(fd, &c, 1) > 0)
			;
		break;
	}
	}
	close(fd);
	return NULL;
}

static char sock_path[108];

static int
listen_on(const char *p)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", p);
	unlink(p);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One pf_ctl_call() against a server thread in the given mode. */
static int
call(enum server_mode mode, uint16_t type, const void *body, uint32_t len,
     struct pf_ctl_ack *ack, struct server *s)
{
	pthread_t t;
	int rc;

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->lfd = listen_on(sock_path);
	CU_ASSERT_TRUE_FATAL(s->lfd >= 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, server_thread, s), 0);
	rc = pf_ctl_call(sock_path, type, body, len, ack);
	pthread_join(t, NULL);
	close(s->lfd);
	unlink(sock_path);
	return rc;
}

static void
test_call(void)
{
	struct pf_ctl_ack ack;
	struct server s;
	uint8_t rules[5000];
	char long_path[200];
	struct timespec t0, t1;
	double waited;

	snprintf(sock_path, sizeof(sock_path), "/tmp/pf-test-ctl-%d.sock", (int)getpid());

	CU_ASSERT_EQUAL(call(SERVE_OK, PF_CTL_PING, NULL, 0, &ack, &s), 0);
	CU_ASSERT_EQUAL(s.rc, 0);
	CU_ASSERT_EQUAL(s.req.type, PF_CTL_PING);
	CU_ASSERT_EQUAL(ack.status, 0);
	CU_ASSERT_EQUAL(ack.registry_gen, 7);
	CU_ASSERT_EQUAL(ack.rules_gen, 8);
	CU_ASSERT_EQUAL(ack.pid, (uint64_t)getpid());
	CU_ASSERT_STRING_EQUAL(ack.msg, "ping done");

	memset(rules, 0x5a, sizeof(rules));
	CU_ASSERT_EQUAL(call(SERVE_OK, PF_CTL_RULES_SET, rules, sizeof(rules), &ack, &s), 0);
	CU_ASSERT_EQUAL(s.req.type, PF_CTL_RULES_SET);
	CU_ASSERT_EQUAL(s.req_body_len, sizeof(rules));
	CU_ASSERT_EQUAL(s.req_first, 0x5a);
	CU_ASSERT_STRING_EQUAL(ack.msg, "rules_set done");
	{
		uint32_t seq1 = s.req.seq;

		CU_ASSERT_EQUAL(call(SERVE_OK, PF_CTL_PING, NULL, 0, &ack, &s), 0);
		CU_ASSERT_NOT_EQUAL(s.req.seq, seq1); /* each call its own seq */
	}

	CU_ASSERT_EQUAL(call(SERVE_WRONG_SEQ, PF_CTL_PING, NULL, 0, &ack, &s), -EPROTO);
	CU_ASSERT_EQUAL(call(SERVE_NOT_ACK, PF_CTL_PING, NULL, 0, &ack, &s), -EPROTO);
	CU_ASSERT_EQUAL(call(SERVE_CLOSE, PF_CTL_PING, NULL, 0, &ack, &s), -ECONNRESET);

	/* no answer: the 5 s SO_RCVTIMEO ends the wait */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(call(SERVE_SILENT, PF_CTL_PING, NULL, 0, &ack, &s), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	CU_ASSERT_TRUE(waited > 4.5 && waited < 8.0);

	/* nobody listening, bad arguments */
	CU_ASSERT_EQUAL(pf_ctl_call(sock_path, PF_CTL_PING, NULL, 0, &ack), -ENOENT);
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	CU_ASSERT_EQUAL(pf_ctl_call(long_path, PF_CTL_PING, NULL, 0, &ack), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(pf_ctl_call(sock_path, PF_CTL_ACK, &ack, sizeof(ack), &ack), -EINVAL);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("ctl: framing", setup, teardown);
	CU_add_test(s, "type names and layout", test_names_and_layout);
	CU_add_test(s, "header checks", test_hdr_check);
	CU_add_test(s, "every message type round trip", test_round_trips);
	CU_add_test(s, "send refuses bad messages", test_send_refuses);
	CU_add_test(s, "recv from peers that misbehave", test_recv_errors);
	s = CU_add_suite("ctl: client call", setup, teardown);
	CU_add_test(s, "pf_ctl_call against a server thread", test_call);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
