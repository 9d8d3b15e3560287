/* SPDX-License-Identifier: BSD-3-Clause */
/* pfc.h: pf-control's private header -- the daemon's state and the entry
 * points its files share (event loop, HTTP, registry, dataplane link, ...). */
#ifndef PFC_H
#define PFC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <http_parser.h>
#include <jansson.h>
#include <liburing.h>

#include "pf_config.h"
#include "pf_ctl.h"
#include "pf_rules.h"
#include "pf_stats.h"

#define PFC_ERR_LEN 512

#ifndef container_of
#define container_of(p, type, member) \
	((type *)(void *)((char *)(p)-offsetof(type, member)))
#endif

struct pfc;

/* ---- event loop (loop.c) ------------------------------------------------ */

struct pf_op;
/** Completion of one submitted operation: res is the CQE's result. */
typedef void (*pf_op_fn)(struct pf_op *op, int res, unsigned int flags);

/** Embedded in whatever owns an in-flight operation; user_data points here. */
struct pf_op {
	pf_op_fn fn;
};

struct pf_loop {
	struct io_uring ring;
	bool quit;
	uint64_t now_ms; /**< CLOCK_MONOTONIC, refreshed once per iteration */
	uint64_t iterations;
};

/**
 * Set up the ring.
 * @return 0 or -errno of io_uring_queue_init.
 */
int pf_loop_init(struct pf_loop *l, unsigned int entries);
/** Tear the ring down (in-flight operations are abandoned). */
void pf_loop_fini(struct pf_loop *l);
/**
 * A submission entry whose completion calls op->fn. Never NULL: a full
 * submission queue is submitted to make room.
 */
struct io_uring_sqe *pf_loop_sqe(struct pf_loop *l, struct pf_op *op);
/** Run until quit: submit, wait, dispatch completions. @return 0 or -errno. */
int pf_loop_run(struct pf_loop *l);
/**
 * After pf_loop_run() returned: keep dispatching completions while
 * busy(arg) says operations that must finish are in flight, at most
 * timeout_ms. Every owner must still be alive.
 * @return 0, -ETIMEDOUT (still busy), or -errno of the ring.
 */
int pf_loop_settle(struct pf_loop *l, bool (*busy)(void *arg), void *arg,
		   unsigned int timeout_ms);
/** CLOCK_MONOTONIC in milliseconds. */
uint64_t pf_mono_ms(void);
/** CLOCK_MONOTONIC in microseconds. */
uint64_t pf_mono_us(void);
/** CLOCK_REALTIME in nanoseconds. */
uint64_t pf_real_ns(void);

/** A repeating timer (IORING_OP_TIMEOUT). */
struct pf_timer {
	struct pf_op op;
	struct __kernel_timespec ts;
	struct pf_loop *loop;
	void (*fn)(struct pf_timer *t);
	bool stopped;
};

/** Start a timer firing every period_ms until pf_timer_stop(). */
void pf_timer_start(struct pf_loop *l, struct pf_timer *t, unsigned int period_ms,
		    void (*fn)(struct pf_timer *t));
/** Stop re-arming (the pending expiry still completes, harmlessly). */
void pf_timer_stop(struct pf_timer *t);

/* ---- growable byte buffer (util.c) -------------------------------------- */

struct pf_buf {
	char *p;
	size_t len, cap;
};

/** Make room for n more bytes. @return 0 or -ENOMEM. */
int pf_buf_reserve(struct pf_buf *b, size_t n);
/** Append bytes. @return 0 or -ENOMEM. */
int pf_buf_add(struct pf_buf *b, const void *p, size_t n);
/** Append formatted text. @return 0 or -ENOMEM. */
int pf_buf_printf(struct pf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Drop the first n bytes. */
void pf_buf_consume(struct pf_buf *b, size_t n);
/** Free the storage. */
void pf_buf_free(struct pf_buf *b);
/** Read a whole file before the loop starts (blocking). @return 0 or -errno. */
int pf_read_file(const char *path, size_t max, struct pf_buf *out);

/* ---- HTTP/1.1 server (http.c) ------------------------------------------- */

/** Roles of API tokens, each implying the ones below it. */
#define PF_API_ROLE_LIST(X)                          \
	X(NONE, 0, "none")                           \
	X(VIEWER, 1, "viewer")                       \
	X(OPERATOR, 2, "operator")                   \
	X(ADMIN, 3, "admin")

enum pf_api_role {
#define X(name, val, str) PF_API_##name = val,
	PF_API_ROLE_LIST(X)
#undef X
};

#define PF_HTTP_MAX_URL 4096
#define PF_HTTP_MAX_BODY (16u << 20)

struct pf_conn;

/** One parsed request; valid until it is answered. */
struct pf_req {
	struct pf_conn *conn;
	unsigned int method;   /**< enum http_method */
	char *url;             /**< as received (path and query) */
	char *path;            /**< decoded path, no query */
	char *query;           /**< after '?', or "" */
	char *body;            /**< NUL-terminated; body_len bytes before it */
	size_t body_len;
	char auth[512];        /**< Authorization header value */
	char ctype[128];       /**< Content-Type header value */
	int role;              /**< enum pf_api_role of the token */
	char who[64];          /**< token's name, for the audit log */
	bool keep_alive;
	uint64_t t0_ms;
};

struct pf_listener {
	struct pf_op op;
	struct pfc *d;
	int fd;
	bool is_unix;
};

struct pf_http {
	struct pf_listener tcp, unix_l;
	struct pf_conn *conns;  /**< doubly linked, for the idle sweep */
	unsigned int n_conns;
	uint64_t requests, bad_requests;
	unsigned int idle_ms;
};

/** Start listening (TCP host:port and/or a UNIX path). @return 0 or -errno. */
int pf_http_init(struct pfc *d, const char *listen_addr, const char *unix_path,
		 char *err, size_t errlen);
/** Close idle connections; called from the periodic tick. */
void pf_http_sweep(struct pfc *d);
/** Stop accepting and close every connection. */
void pf_http_fini(struct pfc *d);

/**
 * Answer a request. body is copied; the request is done afterwards (its
 * pointers are invalid). Safe when the client went away meanwhile.
 */
void pf_http_reply(struct pf_req *r, int status, const char *ctype,
		   const char *body, size_t len);
/** Answer with a JSON document (stolen) and the right content type. */
void pf_http_reply_json(struct pf_req *r, int status, json_t *doc);
/** Answer {"error": REASON, "status": N} (plus detail when not NULL, stolen). */
void pf_http_error(struct pf_req *r, int status, json_t *detail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- API routing and handlers (api.c, api_*.c) -------------------------- */

/** Dispatch a complete request (auth, route, handler). */
void pf_api_dispatch(struct pfc *d, struct pf_req *r);
/** Parse the body as a JSON object; answers 400 itself and returns NULL. */
json_t *pf_api_body_object(struct pf_req *r);

/* handlers, by file */
void pf_api_health(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_metrics(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_stats(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_status_page(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_caps_list(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_cap_get(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_cap_create(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_cap_put(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_cap_patch(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_cap_delete(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_policy_get(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_policy_group_get(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_policy_group_put(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_policy_group_patch(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_policy_cap_get(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_policy_cap_put(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_policy_cap_delete(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_access_get(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_access_put(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_molecules_get(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_molecules_put(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_rules_get(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_rules_put(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_rules_delete(struct pfc *d, struct pf_req *r, const char *arg);
void pf_api_audit_get(struct pfc *d, struct pf_req *r, const char *arg);

/* ---- API tokens (auth.c) ------------------------------------------------ */

struct pf_token {
	char secret[128];
	char name[64];
	int role;
};

struct pf_auth {
	struct pf_token *tokens;
	unsigned int n;
};

/**
 * Load the token file: lines "TOKEN ROLE [NAME]", '#' comments. The file
 * must belong to this user and not be readable by group or others.
 * @return 0, -EPERM (permissions), -EINVAL (syntax), -errno of open/read.
 */
int pf_auth_load(struct pf_auth *a, const char *path, char *err, size_t errlen);
/** Role of an Authorization header value (PF_API_NONE if unknown). */
int pf_auth_check(const struct pf_auth *a, const char *header, char *who,
		  size_t wholen);
/** Role name. */
const char *pf_api_role_name(int role);
/** Free the tokens. */
void pf_auth_free(struct pf_auth *a);

/* ---- registry JSON and validation (registry.c) -------------------------- */

/** The registry sections of a config as JSON, in the config file's schema. */
json_t *pf_reg_to_json(const struct pf_config *cfg);
/** One capability as JSON (config schema). */
json_t *pf_reg_cap_json(const struct pf_config *cfg, const struct pf_cap_conf *c);
/** One group's policy as JSON. */
json_t *pf_reg_policy_json(const struct pf_policy *p);
/**
 * Validate a JSON registry (groups, roles, default_roles, sessions,
 * molecules, capabilities) with the config loader, against base's ports.
 * @param out  base with the registry tables replaced, on success
 * @param err  "KEY: expected WHAT, found WHAT" (the loader's message)
 * @return 0, -EINVAL, -ENOMEM.
 */
int pf_reg_from_json(const struct pf_config *base, const json_t *reg,
		     struct pf_config *out, char *err, size_t errlen);
/** Index of a capability in a JSON registry by id, or -1. */
int pf_reg_find_cap(const json_t *reg, unsigned int id);
/** Parse "12" or a capability name against cfg; 0 if neither. */
unsigned int pf_reg_cap_ref(const struct pf_config *cfg, const char *s);

/* ---- durable state (store.c) -------------------------------------------- */

typedef void (*pf_store_cb)(struct pfc *d, void *arg, int rc);

/** One file replacement at a time; each user of the store has its own. */
struct pf_store_w {
	struct pfc *d;
	bool busy;
	struct pf_op op;
	int step, fd;
	char name[64], tmp[96];
	struct pf_buf data;
	size_t off;
	pf_store_cb cb;
	void *arg;
};

struct pf_store {
	int dir_fd;
	char dir[PF_PATH_LEN];
	struct pf_store_w jobs;  /**< registry and rules (the job queue serializes them) */
	uint64_t writes, fsyncs;
};

/** Open (create) the state directory. @return 0 or -errno. */
int pf_store_init(struct pfc *d, const char *dir, char *err, size_t errlen);
/**
 * Replace file name in the state directory durably and asynchronously:
 * temp file (".NAME.tmp"), write, fsync, rename, fsync of the directory;
 * then cb(rc). One write at a time per writer w; writers of different
 * files run independently. data is copied.
 * @return 0 (cb will run), -EBUSY (w has a write in progress), -ENOMEM.
 */
int pf_store_write(struct pfc *d, struct pf_store_w *w, const char *name, const void *data,
		   size_t len, pf_store_cb cb, void *arg);
/**
 * The same steps, blocking: shutdown only, after the loop has stopped and
 * no asynchronous write of name is in flight.
 * @return 0 or -errno of the failed step.
 */
int pf_store_write_now(struct pfc *d, const char *name, const void *data, size_t len);
/** Read a state file at start-up (blocking, before the loop). -ENOENT if none. */
int pf_store_read(struct pfc *d, const char *name, struct pf_buf *out);

/* ---- dataplane control socket (link.c) ---------------------------------- */

typedef void (*pf_link_cb)(struct pfc *d, void *arg, int rc,
			   const struct pf_ctl_ack *ack);

struct pf_link_req {
	struct pf_link_req *next;
	uint16_t type;
	uint32_t seq;
	const void *body;
	uint32_t len;
	pf_link_cb cb;
	void *arg;
	int tries;
};

enum pf_link_state { PF_LINK_DOWN, PF_LINK_CONNECTING, PF_LINK_UP, PF_LINK_CLOSING };

struct pf_link {
	char path[PF_PATH_LEN];
	int fd;
	int state;
	struct pf_op conn_op, send_op, recv_op, close_op;
	struct pf_link_req *head, *tail; /**< head is in flight when busy */
	bool busy, sending, receiving;
	struct pf_ctl_hdr shdr;
	struct iovec siov[2];
	struct msghdr smsg;
	size_t sent, total;
	uint8_t rbuf[sizeof(struct pf_ctl_hdr) + sizeof(struct pf_ctl_ack)];
	size_t got;
	uint32_t seq;
	uint64_t deadline_ms;    /**< of the request in flight */
	uint64_t next_try_ms;    /**< reconnect back-off */
	uint64_t last_ok_ms;
	uint64_t pid;            /**< dataplane pid from the last ACK */
	uint64_t registry_gen, rules_gen;
	uint64_t calls, failures, reconnects;
	char last_error[320];
	int pending_ops;         /**< ops in flight on fd */
};

/** Prepare the link (connects lazily). */
void pf_link_init(struct pfc *d, const char *path);
/**
 * Queue one request; cb runs with rc 0 and the ACK (whose status may be
 * negative), or rc < 0 when no ACK came (-ENOENT/-ECONNREFUSED: no
 * dataplane; -ETIMEDOUT; -EPROTO). body must live until cb.
 */
void pf_link_call(struct pfc *d, uint16_t type, const void *body, uint32_t len,
		  pf_link_cb cb, void *arg);
/** Deadlines and keep-alive pings; from the tick. */
void pf_link_tick(struct pfc *d);
/** Close the socket (shutdown). */
void pf_link_fini(struct pfc *d);
/** A dataplane process was seen (ACK or stats segment): a new one is resynced. */
void pfc_dataplane_seen(struct pfc *d, uint64_t pid, const char *how);

/* ---- jobs: serialized state changes (jobs.c) ---------------------------- */

enum pf_job_kind { PF_JOB_REGISTRY, PF_JOB_RULES, PF_JOB_RESYNC };

struct pf_job;
/** Computes the job's candidate state from the committed one. @return 0 or
 *  an HTTP status with job->err set (and job->detail optionally). */
typedef int (*pf_job_prepare)(struct pfc *d, struct pf_job *j);

struct pf_job {
	struct pf_job *next;
	int kind;
	struct pf_req *req;      /**< NULL for internal jobs (resync) */
	pf_job_prepare prepare;
	/* the request's parameters */
	json_t *input;           /**< body, stolen */
	char arg[128] __attribute__((aligned(8))); /**< prepare()'s parameters */
	char what[96];           /**< "capability 7 updated", for the audit log */
	/* the candidate */
	struct pf_ctl_registry *reg_msg; /**< REGISTRY_SET body */
	json_t *reg;             /**< candidate registry JSON */
	char *rules_text;
	size_t rules_len;
	uint8_t *rules_pack;
	size_t rules_pack_len;
	uint32_t n_rules;
	/* the outcome */
	int status;              /**< HTTP status to answer with */
	json_t *result;          /**< body of the answer */
	json_t *detail;
	char err[PFC_ERR_LEN];
	bool pushed;
	char dp_msg[256];
	uint64_t t0_us;
	struct pf_ruleset rs;    /**< candidate rules, parsed */
};

/** New job for a request (or NULL req). */
struct pf_job *pf_job_new(int kind, struct pf_req *req, pf_job_prepare prepare);
/** Jobs a queue holds before requests are refused with 503. */
#define PF_JOB_MAX_QUEUED 256
/** Queue it; it runs when the ones before it are done (or, past
 *  PF_JOB_MAX_QUEUED, its request is answered 503 at once). */
void pf_job_submit(struct pfc *d, struct pf_job *j);
/** Queue a re-push of the committed registry and rules (dataplane restart). */
void pf_job_resync(struct pfc *d, const char *why);
/** prepare() returns this when it finishes later with pf_job_prepared(). */
#define PF_JOB_LATER (-EINPROGRESS)
/** An asynchronous prepare() is done: status 0 or an HTTP error status. */
void pf_job_prepared(struct pfc *d, struct pf_job *j, int status);
/**
 * For prepare(): validate a candidate registry (stolen) with the loader,
 * check that the committed rules still resolve the same, and fill
 * j->reg_msg and j->reg (normalized). @return 0 or an HTTP status.
 */
int pf_job_registry_candidate(struct pfc *d, struct pf_job *j, json_t *cand,
			      const char *edited_prefix);

/* ---- rules (rules.c) ---------------------------------------------------- */

/** What compiling a rules document gave. */
struct pf_rules_result {
	int rc;                 /**< 0, -EINVAL (load or pattern error), -ENOMEM, -EIO */
	char err[PFC_ERR_LEN];
	int bad_index;          /**< rule index of a pattern error, else -1 */
	uint32_t bad_id;        /**< its id */
	char hs_msg[256];       /**< Hyperscan's message */
	struct pf_ruleset rs;   /**< parsed rules (taken by the callback or freed) */
	uint8_t *pack;          /**< RULES_SET body (taken or freed) */
	size_t pack_len;
};
typedef void (*pf_rules_cb)(struct pfc *d, void *arg, struct pf_rules_result *res);
/**
 * Parse, compile and pack a rules document against cfg, in the compile
 * worker thread (Hyperscan can take seconds); cb runs in the loop.
 * @return 0 or -ENOMEM.
 */
int pf_rules_build(struct pfc *d, const char *text, size_t len,
		   const struct pf_config *cfg, pf_rules_cb cb, void *arg);
/** The same, synchronously (start-up). */
void pf_rules_build_now(const char *name, const char *text, size_t len,
			const struct pf_config *cfg, struct pf_rules_result *res);
/** Start the compile worker. @return 0 or -errno. */
int pf_rules_worker_init(struct pfc *d);
/** Stop it. */
void pf_rules_worker_fini(struct pfc *d);
/** Rules of the committed document as JSON (list), or NULL if none. */
json_t *pf_rules_json(struct pfc *d);

/* ---- telemetry (tele.c) ------------------------------------------------- */

#define PF_RATE_WINDOW_MS 1000

/** Per-lcore liveness. */
struct pf_lcore_live {
	uint64_t heartbeat;
	uint64_t changed_ms;  /**< when heartbeat last advanced */
};

/**
 * What the last tick copied out of the segment. Everything else reads this
 * copy, never the mapping: a segment truncated under a reader faults
 * (SIGBUS) on access, and only the tick is guarded against that.
 */
struct pf_tele_snap {
	bool valid;
	uint64_t t_ms;
	uint64_t running, registry_gen, rules_gen, n_caps, n_rules, tsc_hz;
	uint32_t n_lcores;
	struct pf_stats_lcore_info info[PF_STATS_MAX_LCORES];
	struct pf_stats_cap_info dir[PF_STATS_CAP_SLOTS];
	unsigned int n_dir;
	struct pf_stats_lcore *sum;  /**< every lcore summed (caps too) */
	struct pf_stats_lcore *lc;   /**< per lcore, counters before caps[] only */
};

/** Totals at one time, for rates. */
struct pf_rate_snap {
	uint64_t t_ms;
	uint64_t rx, tx, drops;
	uint64_t lc_rx[PF_STATS_MAX_LCORES], lc_busy[PF_STATS_MAX_LCORES],
		lc_idle[PF_STATS_MAX_LCORES];
	uint64_t group[PF_GROUP_COUNT + 1];
	uint64_t element[PF_ELEMENT_COUNT + 1];
	uint64_t drop[PF_DROP_MAX];
};

struct pf_tele {
	char path[PF_PATH_LEN];
	struct pf_stats_view v;
	bool open;
	uint64_t pid, start_ns, ino;
	uint64_t last_try_ms, last_snap_ms;
	struct pf_lcore_live live[PF_STATS_MAX_LCORES];
	struct pf_tele_snap snap;
	struct pf_rate_snap rate_prev, rate_cur;
	bool have_rates;
	uint64_t audit_pos[PF_STATS_MAX_LCORES];
	uint64_t audit_lost, audit_read;
	uint64_t restarts_seen, faults;
	bool had_dataplane;
};

/** Prepare; opens the segment when it appears. @return 0 or -ENOMEM. */
int pf_tele_init(struct pfc *d, const char *path);
/** Periodic: re-open on dataplane restart, heartbeats, snapshot, rates,
 *  audit rings. */
void pf_tele_tick(struct pfc *d);
/** Whether an lcore (index in the segment) looks alive now. */
bool pf_tele_lcore_alive(const struct pfc *d, unsigned int i);
/** True when the segment is mapped, running, and every lcore advances. */
bool pf_tele_dataplane_alive(const struct pfc *d);
/** Unmap. */
void pf_tele_fini(struct pfc *d);

/** Render /metrics into b. */
int pf_metrics_render(struct pfc *d, struct pf_buf *b);
/** Live rates (for the status page and pfctl top) as JSON. */
json_t *pf_tele_rates_json(struct pfc *d);

/* ---- audit log (audit.c) ------------------------------------------------ */

struct pf_audit_log {
	char path[PF_PATH_LEN];
	int fd;
	struct pf_op op;
	struct pf_buf pending;  /**< appended, not yet written */
	struct pf_buf writing;  /**< being written */
	size_t woff;
	int step;               /**< idle, write, fsync, then the rotation's steps */
	unsigned int keep_i;    /**< rotation: the rename in progress */
	bool retry_open;
	char from[PF_PATH_LEN + 16], to[PF_PATH_LEN + 16];
	uint64_t size, max_size;
	unsigned int keep;
	uint64_t last_flush_ms;
	unsigned int flush_ms;
	uint64_t lines, bytes, fsyncs, rotations, errors;
	uint64_t writing_lines;  /**< lines appended up to the end of the batch being written */
	uint64_t durable_lines;  /**< lines appended up to the end of the last batch fsynced */
	bool closing;
};

/** Open (append) the log. @return 0 or -errno. */
int pf_audit_init(struct pfc *d, const char *path, uint64_t max_size,
		  unsigned int keep, char *err, size_t errlen);
/** Append one JSON object as a line (stolen); written and fsynced in batches. */
void pf_audit_append(struct pfc *d, json_t *rec);
/** Append one line already formatted (without its newline). */
void pf_audit_append_raw(struct pfc *d, const char *line, size_t len);
/** Flush when due; from the tick. */
void pf_audit_tick(struct pfc *d);
/** True while a write, fsync or rotation step is in flight in the ring. */
bool pf_audit_busy(const struct pfc *d);
/**
 * Write and fsync what is pending, synchronously (shutdown only; settle
 * the loop first, see pf_audit_busy()). durable_lines reaches lines if
 * that succeeded.
 */
void pf_audit_fini(struct pfc *d);

/* ---- audit read positions (audit_pos.c) --------------------------------- */

/** Where the reader stands in each audit ring of one dataplane instance. */
struct pf_audit_mark {
	uint64_t pid, start_ns;  /**< the instance, from the segment header; pid 0: none */
	uint32_t n;              /**< rings (lcores) */
	uint64_t pos[PF_STATS_MAX_LCORES];
};

/**
 * The positions that follow the audit log to disk: a checkpoint (positions
 * read when the log had cand_lines lines) becomes durable once the log's
 * batched fsync covered cand_lines; durable positions are saved in
 * STATE/audit.pos, and a restarted pf-control resumes from them.
 */
struct pf_audit_pos {
	struct pf_audit_mark resume;   /**< where to start on an instance's (re)open */
	struct pf_audit_mark cand;     /**< checkpoint waiting for the log's fsync */
	uint64_t cand_lines;
	bool cand_valid;
	struct pf_audit_mark durable;  /**< records before these are fsynced in the log */
	struct pf_audit_mark saved;    /**< what STATE/audit.pos holds */
	struct pf_audit_mark writing;  /**< what the write in progress will hold */
	uint32_t n;                    /**< rings of the instance being read */
	bool reading;                  /**< tele's audit_pos[] are that instance's */
	struct pf_store_w w;
	uint64_t last_save_ms;
	uint64_t saves, save_errors;
	bool save_failing;             /**< the last save failed (logged once) */
};

/**
 * Read STATE/audit.pos before the loop starts (blocking). A missing file
 * is a first start; a corrupt one is logged in one line and ignored. Either
 * way the next instance seen is read from its rings' start.
 */
void pf_audit_pos_load(struct pfc *d);
/**
 * Start positions for the segment just mapped (t->pid, t->start_ns): the
 * saved or last read ones if they are that instance's, clamped to the
 * heads; else every ring from 0.
 */
void pf_audit_pos_open(struct pfc *d);
/** The segment is being unmapped: remember where its reading stopped. */
void pf_audit_pos_close(struct pfc *d);
/** Per tick, after shipping: checkpoint, follow the log's fsync, save. */
void pf_audit_pos_tick(struct pfc *d);
/** After pf_audit_fini(): save what is durable now, blocking. */
void pf_audit_pos_fini(struct pfc *d);

/* ---- the daemon --------------------------------------------------------- */

struct pfc_opts {
	const char *config;
	const char *state_dir;
	const char *listen;
	const char *unix_path;
	const char *tokens;
	const char *control;   /**< overrides the config's control socket */
	const char *stats;     /**< overrides the config's stats segment */
	const char *audit;     /**< audit log path (default STATE/audit.log) */
	uint64_t audit_max;
	unsigned int audit_keep;
	unsigned int tick_ms;
};

struct pfc {
	struct pf_loop loop;
	struct pfc_opts o;
	struct pf_timer tick;
	struct pf_op sig_op;
	int sig_fd;
	uint8_t sig_buf[128] __attribute__((aligned(8))); /* a signalfd_siginfo */

	struct pf_config *base;  /**< the config file: hardware sections */
	struct pf_config *cfg;   /**< committed: base + registry */
	json_t *reg;             /**< committed registry, JSON */
	uint64_t version;        /**< committed changes since start-up */
	uint64_t reg_version;    /**< bumps when cfg/reg change */
	struct pf_buf caps_cache;/**< GET /capabilities body at reg_version */
	uint64_t caps_cache_ver;

	struct pf_ruleset rules; /**< committed rules, parsed (n == 0: none) */
	char *rules_text;        /**< committed rules document, or NULL */
	size_t rules_len;
	uint8_t *rules_pack;
	size_t rules_pack_len;
	uint32_t n_rules;
	uint64_t rules_version;

	struct pf_job *jobs, *jobs_tail; /**< head runs */
	bool job_running;
	unsigned int n_jobs;     /**< queued, the running one included */
	uint64_t jobs_done, jobs_failed;
	uint32_t apply_lat_us[1024];     /**< last API-write-to-ACK delays */
	uint64_t n_apply_lat;
	bool resync_queued;

	bool dp_synced;          /**< the dataplane holds the committed state */
	uint64_t dp_pid;         /**< the dataplane last seen */
	uint64_t resyncs;

	struct pf_http http;
	struct pf_auth auth;
	struct pf_store store;
	struct pf_link link;
	struct pf_tele tele;
	struct pf_audit_log audit;
	struct pf_audit_pos apos;
	void *rules_worker;

	uint64_t start_ns;
	struct pf_buf metrics_cache;
	uint64_t metrics_cache_ms;
};

/** Record a control change (or a refused attempt: error set) in the audit log. */
void pfc_audit_change(struct pfc *d, struct pf_req *r, const char *what, int status,
		      const char *error);

#endif /* PFC_H */
