/* SPDX-License-Identifier: BSD-3-Clause */
/* http.c: HTTP/1.1 over io_uring -- multishot accept, keep-alive, pipelined
 * requests answered in order, nodejs http-parser, limits and idle timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pfc.h"

#define RECV_CHUNK 16384
#define OUT_HIGH (4u << 20)  /* stop parsing requests while this much waits */
#define MAX_CONNS 4096
#define IN_MAX (PF_HTTP_MAX_BODY + 128 * 1024)

enum hdr_kind { H_NONE, H_AUTH, H_CTYPE, H_EXPECT };

struct pf_conn {
	struct pf_op rop, wop, xop; /* recv, send, shutdown then close */
	struct pfc *d;
	struct pf_conn *prev, *next;
	int fd;
	http_parser parser;
	struct pf_buf in;      /* received; [0, parsed) already parsed */
	size_t parsed;
	struct pf_buf out;     /* answers being sent: the kernel reads it */
	size_t out_sent;
	struct pf_buf queue;   /* answers made meanwhile, sent next */
	struct pf_req *req;    /* being parsed */
	struct pf_req *ready;  /* parsed, to dispatch */
	struct pf_buf url, body;
	char hfield[32];
	size_t hflen;
	bool hfield_long, in_value;
	int hkind;
	size_t hvlen;
	int err_status;        /* what a parse failure answers (400, 413, 414) */
	char expect[32];       /* Expect header of the request being parsed */
	bool busy;             /* a request is with its handler */
	bool in_drive;
	bool recv_posted, send_posted, shut_posted, close_posted;
	bool closing, close_after, peer_closed;
	uint64_t last_ms;
};

static void conn_drive(struct pf_conn *c);
static void conn_close(struct pf_conn *c);

/* ---- parser callbacks --------------------------------------------------- */

static int
on_message_begin(http_parser *p)
{
	struct pf_conn *c = p->data;

	c->req = calloc(1, sizeof(*c->req));
	if (!c->req) {
		c->err_status = 503;
		return -1;
	}
	c->req->conn = c;
	c->req->t0_ms = c->d->loop.now_ms;
	c->url.len = 0;
	c->body.len = 0;
	c->hflen = 0;
	c->hfield_long = false;
	c->in_value = false;
	c->hkind = H_NONE;
	c->expect[0] = '\0';
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct pf_conn *c = p->data;

	if (c->url.len + len > PF_HTTP_MAX_URL) {
		c->err_status = 414;
		return -1;
	}
	return pf_buf_add(&c->url, at, len) < 0 ? -1 : 0;
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct pf_conn *c = p->data;

	if (c->in_value) { /* a new header starts */
		c->in_value = false;
		c->hflen = 0;
		c->hfield_long = false;
	}
	if (c->hflen + len >= sizeof(c->hfield)) {
		c->hfield_long = true;
		return 0;
	}
	memcpy(c->hfield + c->hflen, at, len);
	c->hflen += len;
	c->hfield[c->hflen] = '\0';
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct pf_conn *c = p->data;
	char *dst = NULL;
	size_t cap = 0;

	if (!c->in_value) {
		c->in_value = true;
		c->hvlen = 0;
		c->hkind = H_NONE;
		if (!c->hfield_long && strcasecmp(c->hfield, "authorization") == 0)
			c->hkind = H_AUTH;
		else if (!c->hfield_long && strcasecmp(c->hfield, "content-type") == 0)
			c->hkind = H_CTYPE;
		else if (!c->hfield_long && strcasecmp(c->hfield, "expect") == 0)
			c->hkind = H_EXPECT;
	}
	if (c->hkind == H_AUTH) {
		dst = c->req->auth;
		cap = sizeof(c->req->auth);
	} else if (c->hkind == H_CTYPE) {
		dst = c->req->ctype;
		cap = sizeof(c->req->ctype);
	} else if (c->hkind == H_EXPECT) {
		dst = c->expect;
		cap = sizeof(c->expect);
	}
	if (!dst)
		return 0;
	if (c->hvlen + len >= cap) { /* longer than any token we issue */
		c->err_status = 431;
		return -1;
	}
	memcpy(dst + c->hvlen, at, len);
	c->hvlen += len;
	dst[c->hvlen] = '\0';
	return 0;
}

static int
on_headers_complete(http_parser *p)
{
	struct pf_conn *c = p->data;

	if (p->http_major != 1) { /* HTTP/1.0 and 1.1 only */
		c->err_status = 400;
		return -1;
	}
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > PF_HTTP_MAX_BODY) {
		c->err_status = 413;
		return -1;
	}
	/* curl waits a second for this before it sends a large body */
	if (strcasecmp(c->expect, "100-continue") == 0 && p->content_length > 0 &&
	    pf_buf_add(&c->queue, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
		return -1;
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct pf_conn *c = p->data;

	if (c->body.len + len > PF_HTTP_MAX_BODY) {
		c->err_status = 413;
		return -1;
	}
	return pf_buf_add(&c->body, at, len) < 0 ? -1 : 0;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Percent-decodes the path in place; refuses %00 and bad escapes. */
static bool
decode_path(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			int hi = hexval((unsigned char)s[1]), lo;

			if (hi < 0 || (lo = hexval((unsigned char)s[2])) < 0 || (hi | lo) == 0)
				return false;
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return true;
}

static int
on_message_complete(http_parser *p)
{
	struct pf_conn *c = p->data;
	struct pf_req *r = c->req;
	size_t plen;
	char *q;

	r->method = p->method;
	r->keep_alive = http_should_keep_alive(p);
	r->url = strdup(c->url.p ? c->url.p : "");
	r->body = malloc(c->body.len + 1);
	if (!r->url || !r->body) {
		c->err_status = 503;
		return -1;
	}
	memcpy(r->body, c->body.p ? c->body.p : "", c->body.len);
	r->body[c->body.len] = '\0';
	r->body_len = c->body.len;
	q = strchr(r->url, '?');
	plen = q ? (size_t)(q - r->url) : strlen(r->url);
	r->path = strndup(r->url, plen);
	r->query = strdup(q ? q + 1 : "");
	if (!r->path || !r->query) {
		c->err_status = 503;
		return -1;
	}
	if (r->path[0] != '/' || !decode_path(r->path)) {
		c->err_status = 400;
		return -1;
	}
	c->ready = r;
	c->req = NULL;
	/* one request at a time: the next is parsed once this one is answered */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* ---- requests and answers ----------------------------------------------- */

static void
req_free(struct pf_req *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->path);
	free(r->query);
	free(r->body);
	free(r);
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* Appends one answer to the connection's output. */
static void
conn_emit(struct pf_conn *c, int status, const char *ctype, const char *body,
	  size_t len, bool close)
{
	int rc;

	if (status == 204)
		len = 0;
	rc = pf_buf_printf(&c->queue,
			   "HTTP/1.1 %d %s\r\n"
			   "Content-Type: %s\r\n"
			   "Content-Length: %zu\r\n"
			   "Cache-Control: no-store\r\n"
			   "%s"
			   "Connection: %s\r\n\r\n",
			   status, status_text(status), ctype, len,
			   status == 401 ? "WWW-Authenticate: Bearer realm=\"pf-control\"\r\n" : "",
			   close ? "close" : "keep-alive");
	if (rc == 0 && len)
		rc = pf_buf_add(&c->queue, body, len);
	if (rc < 0)
		close = true;
	if (close)
		c->close_after = true;
	c->d->http.requests++;
}

void
pf_http_reply(struct pf_req *r, int status, const char *ctype, const char *body,
	      size_t len)
{
	struct pf_conn *c = r->conn;
	bool close = !r->keep_alive;

	req_free(r);
	c->busy = false;
	if (!c->closing)
		conn_emit(c, status, ctype, body, len, close);
	if (!c->in_drive)
		conn_drive(c);
}

void
pf_http_reply_json(struct pf_req *r, int status, json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	if (doc && !s) {
		json_decref(doc);
		pf_http_reply(r, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
		return;
	}
	if (s) {
		size_t n = strlen(s);

		s[n] = '\0';
		/* a trailing newline makes curl output readable */
		char *t = realloc(s, n + 2);
		if (t) {
			s = t;
			s[n++] = '\n';
			s[n] = '\0';
		}
		pf_http_reply(r, status, "application/json", s, n);
	} else {
		pf_http_reply(r, status, "application/json", "", 0);
	}
	free(s);
	json_decref(doc);
}

void
pf_http_error(struct pf_req *r, int status, json_t *detail, const char *fmt, ...)
{
	char msg[PFC_ERR_LEN];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s, s:i}", "error", msg, "status", status);
	if (o && detail)
		json_object_update(o, detail);
	json_decref(detail);
	pf_http_reply_json(r, status, o);
}

/* ---- connection life ---------------------------------------------------- */

static void
conn_unlink_free(struct pf_conn *c)
{
	struct pf_http *h = &c->d->http;

	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->n_conns--;
	req_free(c->req);
	req_free(c->ready);
	pf_buf_free(&c->in);
	pf_buf_free(&c->out);
	pf_buf_free(&c->queue);
	pf_buf_free(&c->url);
	pf_buf_free(&c->body);
	free(c);
}

static void
close_done(struct pf_op *op, int res, unsigned int flags)
{
	(void)res;
	(void)flags;
	conn_unlink_free(container_of(op, struct pf_conn, xop));
}

/* Frees the connection once nothing refers to it any more. */
static void
conn_maybe_free(struct pf_conn *c)
{
	if (!c->closing || c->busy || c->recv_posted || c->send_posted ||
	    c->shut_posted || c->close_posted)
		return;
	c->close_posted = true;
	c->xop.fn = close_done;
	io_uring_prep_close(pf_loop_sqe(&c->d->loop, &c->xop), c->fd);
}

static void
shut_done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_conn *c = container_of(op, struct pf_conn, xop);

	(void)res;
	(void)flags;
	c->shut_posted = false;
	conn_maybe_free(c);
}

static void
conn_close(struct pf_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->recv_posted || c->send_posted) {
		/* wakes the recv (and fails the send) so that they complete */
		c->shut_posted = true;
		c->xop.fn = shut_done;
		io_uring_prep_shutdown(pf_loop_sqe(&c->d->loop, &c->xop), c->fd, SHUT_RDWR);
		return;
	}
	conn_maybe_free(c);
}

/* Bytes not yet handed to the kernel, in both buffers. */
static size_t
unsent(const struct pf_conn *c)
{
	return c->out.len - c->out_sent + c->queue.len;
}

static void
send_done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_conn *c = container_of(op, struct pf_conn, wop);

	(void)flags;
	c->send_posted = false;
	c->last_ms = c->d->loop.now_ms;
	if (res <= 0 || c->closing) {
		conn_close(c);
		conn_maybe_free(c);
		return;
	}
	c->out_sent += (size_t)res;
	if (c->out_sent >= c->out.len) {
		c->out.len = 0;
		c->out_sent = 0;
	}
	conn_drive(c);
}

/* Sends what is queued. The buffer the kernel reads from is never grown
 * while a send is in flight: answers made meanwhile go to the queue. */
static void
conn_flush(struct pf_conn *c)
{
	if (c->send_posted || c->closing)
		return;
	if (c->out_sent >= c->out.len) {
		struct pf_buf t = c->out;

		if (!c->queue.len)
			return;
		c->out = c->queue;
		c->queue = t;
		c->queue.len = 0;
		c->out_sent = 0;
	}
	c->send_posted = true;
	c->wop.fn = send_done;
	io_uring_prep_send(pf_loop_sqe(&c->d->loop, &c->wop), c->fd,
			   c->out.p + c->out_sent, c->out.len - c->out_sent, MSG_NOSIGNAL);
}

static void
recv_done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_conn *c = container_of(op, struct pf_conn, rop);

	(void)flags;
	c->recv_posted = false;
	c->last_ms = c->d->loop.now_ms;
	if (c->closing) {
		conn_maybe_free(c);
		return;
	}
	if (res < 0) {
		conn_close(c);
		return;
	}
	if (res == 0) {
		/* the client is done sending: answer what it asked, then close */
		c->peer_closed = true;
	} else {
		c->in.len += (size_t)res;
		c->in.p[c->in.len] = '\0';
	}
	conn_drive(c);
}

static void
conn_recv(struct pf_conn *c)
{
	if (c->recv_posted || c->closing || c->peer_closed)
		return;
	if (c->in.len > IN_MAX || pf_buf_reserve(&c->in, RECV_CHUNK) < 0) {
		conn_close(c);
		return;
	}
	c->recv_posted = true;
	c->rop.fn = recv_done;
	io_uring_prep_recv(pf_loop_sqe(&c->d->loop, &c->rop), c->fd,
			   c->in.p + c->in.len, c->in.cap - c->in.len - 1, 0);
}

/* Parses and dispatches what can be, then sends and receives as needed. */
static void
conn_drive(struct pf_conn *c)
{
	c->in_drive = true;
	while (!c->busy && !c->closing && !c->close_after && unsent(c) < OUT_HIGH) {
		if (c->parsed < c->in.len) {
			size_t n = http_parser_execute(&c->parser, &settings,
						       c->in.p + c->parsed,
						       c->in.len - c->parsed);
			enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);

			c->parsed += n;
			if (e == HPE_PAUSED) {
				http_parser_pause(&c->parser, 0);
			} else if (e != HPE_OK) {
				int st = c->err_status ? c->err_status : 400;
				char msg[200];
				int len = snprintf(msg, sizeof(msg),
						   "{\"error\":\"%s: %s\",\"status\":%d}\n",
						   status_text(st),
						   c->err_status ? "request refused" :
						   http_errno_description(e), st);

				c->d->http.bad_requests++;
				conn_emit(c, st, "application/json", msg, (size_t)len, true);
				break;
			}
			if (c->ready) {
				struct pf_req *r = c->ready;

				c->ready = NULL;
				c->busy = true;
				pf_api_dispatch(c->d, r);
				continue;
			}
			if (c->parsed < c->in.len)
				continue;
		}
		/* the kernel may be writing into the buffer: leave it alone */
		if (c->recv_posted)
			break;
		/* everything parsed: keep what a partial request left, get more */
		pf_buf_consume(&c->in, c->parsed);
		c->parsed = 0;
		if (c->peer_closed)
			c->close_after = true;
		else
			conn_recv(c);
		break;
	}
	c->in_drive = false;
	if (c->closing) {
		conn_maybe_free(c);
		return;
	}
	if (c->close_after && !c->busy && !unsent(c) && !c->send_posted) {
		conn_close(c);
		return;
	}
	conn_flush(c);
}

/* ---- listening ---------------------------------------------------------- */

static void accept_arm(struct pf_listener *l);

static void
accept_done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_listener *l = container_of(op, struct pf_listener, op);
	struct pfc *d = l->d;
	struct pf_conn *c;

	if (!(flags & IORING_CQE_F_MORE) && l->fd >= 0)
		accept_arm(l); /* multishot ended (error or ring pressure): again */
	if (res < 0)
		return;
	if (d->http.n_conns >= MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		close(res);
		return;
	}
	if (!l->is_unix) {
		int one = 1;

		setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	c->d = d;
	c->fd = res;
	c->last_ms = d->loop.now_ms;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->next = d->http.conns;
	if (c->next)
		c->next->prev = c;
	d->http.conns = c;
	d->http.n_conns++;
	conn_drive(c);
}

static void
accept_arm(struct pf_listener *l)
{
	l->op.fn = accept_done;
	io_uring_prep_multishot_accept(pf_loop_sqe(&l->d->loop, &l->op), l->fd, NULL,
				       NULL, SOCK_CLOEXEC);
}

static int
listen_tcp(const char *addr, char *err, size_t errlen)
{
	char host[256], *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	int fd = -1, rc, one = 1;

	snprintf(host, sizeof(host), "%s", addr);
	port = strrchr(host, ':');
	if (!port) {
		snprintf(err, errlen, "--listen %s: expected HOST:PORT", addr);
		return -EINVAL;
	}
	*port++ = '\0';
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	rc = getaddrinfo(*h ? h : NULL, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "--listen %s: %s", addr, gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A predecessor killed with SIGKILL keeps its listener until the
	 * kernel has torn its io_uring down (asynchronously): wait for that. */
	for (int tries = 0; fd >= 0 && tries < 100; tries++) {
		rc = bind(fd, res->ai_addr, res->ai_addrlen);
		if (rc == 0 || errno != EADDRINUSE)
			break;
		usleep(50000);
	}
	if (fd < 0 || rc < 0 || listen(fd, 1024) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return rc;
	}
	freeaddrinfo(res);
	return fd;
}

static int
listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--unix %s: path longer than %zu bytes", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(path); /* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0)
		goto fail;
	/* the socket's permissions are the access control of UNIX-only mode */
	chmod(path, 0660);
	return fd;
fail:
	rc = -errno;
	snprintf(err, errlen, "--unix %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int
pf_http_init(struct pfc *d, const char *listen_addr, const char *unix_path,
	     char *err, size_t errlen)
{
	struct pf_http *h = &d->http;
	int fd;

	h->tcp.fd = h->unix_l.fd = -1;
	h->idle_ms = 60000;
	if (listen_addr) {
		fd = listen_tcp(listen_addr, err, errlen);
		if (fd < 0)
			return fd;
		h->tcp = (struct pf_listener){ .d = d, .fd = fd, .is_unix = false };
		accept_arm(&h->tcp);
	}
	if (unix_path) {
		fd = listen_unix(unix_path, err, errlen);
		if (fd < 0)
			return fd;
		h->unix_l = (struct pf_listener){ .d = d, .fd = fd, .is_unix = true };
		accept_arm(&h->unix_l);
	}
	return 0;
}

void
pf_http_sweep(struct pfc *d)
{
	uint64_t now = d->loop.now_ms;

	for (struct pf_conn *c = d->http.conns, *n; c; c = n) {
		n = c->next;
		if (!c->busy && !c->closing && now - c->last_ms > d->http.idle_ms)
			conn_close(c);
	}
}

void
pf_http_fini(struct pfc *d)
{
	struct pf_http *h = &d->http;

	if (h->tcp.fd >= 0)
		close(h->tcp.fd);
	if (h->unix_l.fd >= 0)
		close(h->unix_l.fd);
	h->tcp.fd = h->unix_l.fd = -1;
	for (struct pf_conn *c = h->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
}
