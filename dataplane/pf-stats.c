/* SPDX-License-Identifier: BSD-3-Clause */
/* pf-stats.c: reads pf-dataplane's shared-memory stats segment -- a snapshot
 * as text or JSON, a wait for a finite input to be processed, live rates. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pf_periodic.h"
#include "pf_stats.h"
#include "pf_wire.h"

#define DEFAULT_SEGMENT "/dev/shm/packetflow-stats"
#define DEFAULT_TIMEOUT_S 30.0
#define WAIT_POLL_NS 10000000ull     /* --wait-rx polls every 10 ms */
#define WAIT_STABLE_NS 200000000ull  /* ... and wants 200 ms without change */

/* Error-frame codes that have a counter: every named one (1..13 today). */
#define N_ERR_COUNTERS (sizeof(((struct pf_stats_lcore *)0)->errors) / sizeof(uint64_t))

/* Exit codes: 0 done, 1 --wait-rx timed out, 2 no usable segment / usage. */
enum { EXIT_TIMEOUT = 1, EXIT_NOSEG = 2 };

struct options {
	const char *path;
	bool all;
	bool json;
	bool wait;
	uint64_t wait_rx;
	double timeout_s;
	bool watch;
	double interval_s;
};

/* One lcore's row of the snapshot. */
struct lcore_row {
	struct pf_stats_lcore_info info;
	uint64_t rx, tx, drops, heartbeat, busy_polls, idle_polls;
};

/* Everything one report prints, copied out of the segment at one time. */
struct snapshot {
	uint64_t pid;
	bool running;     /* running flag set and the writer's pid alive */
	bool flag_running;/* the segment's own running flag */
	uint64_t registry_gen, rules_gen, n_caps, n_rules;
	uint64_t tsc_hz, start_ns, updated_ns;
	unsigned int n_lcores;
	struct lcore_row rows[PF_STATS_MAX_LCORES];
	unsigned int n_slots; /* 1 + highest directory slot in use */
	struct pf_stats_cap_info dir[PF_STATS_CAP_SLOTS];
	struct pf_stats_lcore sum; /* every lcore's counters added up */
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t
now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};

	nanosleep(&ts, NULL); /* EINTR: the caller's loop looks at quit */
}

static uint64_t
load(const uint64_t *p)
{
	/* each counter is stored whole by its lcore: read it whole */
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* ---- opening the segment ---------------------------------------------- */

/*
 * pf_stats_open() says -EPROTO for every kind of mismatch; read the header
 * ourselves to tell the operator which one.
 */
static void
explain_eproto(const char *path, char *why, size_t len)
{
	struct pf_stats_hdr h;
	struct stat st;
	ssize_t n = -1;
	int fd;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, len, "not a regular file, so not a stats segment");
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = pread(fd, &h, sizeof(h), 0);
		close(fd);
	}
	if (n < (ssize_t)offsetof(struct pf_stats_hdr, lcore_info))
		snprintf(why, len, "too short to be a stats segment");
	else if (h.magic != PF_STATS_MAGIC)
		snprintf(why, len, "not a stats segment (magic %#x, expected %#x), or "
			 "one still being created: retry", h.magic, PF_STATS_MAGIC);
	else if (h.version != PF_STATS_VERSION)
		snprintf(why, len, "layout version %u, this pf-stats reads version %u: use "
			 "the pf-stats built with that pf-dataplane", h.version,
			 PF_STATS_VERSION);
	else
		snprintf(why, len, "layout differs from this build's (%u lcores, lcore "
			 "record %u bytes vs %zu, %u drop reasons vs %u, %u histogram "
			 "buckets vs %u): use the pf-stats built with that pf-dataplane",
			 h.n_lcores, h.lcore_stride, sizeof(struct pf_stats_lcore),
			 h.n_drop_reasons, (unsigned int)PF_DROP_MAX, h.hist_buckets,
			 (unsigned int)PF_HIST_BUCKETS);
}

/* One line on stderr saying why path cannot be read, and what to do. */
static void
report_open_error(const char *path, int rc)
{
	char why[320];

	switch (rc) {
	case -ENOENT:
		fprintf(stderr, "pf-stats: %s: no such stats segment (is pf-dataplane "
			"running with --stats %s?)\n", path, path);
		return;
	case -EPROTO:
		explain_eproto(path, why, sizeof(why));
		fprintf(stderr, "pf-stats: %s: %s\n", path, why);
		return;
	case -EACCES:
	case -EPERM:
		fprintf(stderr, "pf-stats: %s: %s (run as the dataplane's user, or as "
			"root)\n", path, strerror(-rc));
		return;
	default:
		fprintf(stderr, "pf-stats: %s: cannot map the stats segment: %s\n", path,
			strerror(-rc));
	}
}

/* Identity of a mapped segment, to notice a dataplane restarted over it. */
struct seg_id {
	uint64_t pid, start_ns;
	dev_t dev;
	ino_t ino;
};

static void
seg_identify(const struct pf_stats_view *v, struct seg_id *id)
{
	struct stat st = { 0 };

	fstat(v->fd, &st);
	id->pid = v->hdr->pid;
	id->start_ns = v->hdr->start_ns;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
}

/*
 * The mapping no longer shows the segment at path: another dataplane
 * created a new file there, or truncated ours and wrote a new header.
 */
static bool
seg_changed(const char *path, const struct pf_stats_view *v,
	    const struct seg_id *id)
{
	struct stat st;

	if (stat(path, &st) < 0 || st.st_dev != id->dev || st.st_ino != id->ino ||
	    (size_t)st.st_size != v->size)
		return true;
	return __atomic_load_n(&v->hdr->magic, __ATOMIC_ACQUIRE) != PF_STATS_MAGIC ||
	       v->hdr->pid != id->pid || v->hdr->start_ns != id->start_ns;
}

/* ---- the snapshot ------------------------------------------------------ */

/* The writer's running flag says so and its process still exists. */
static bool
writer_alive(uint64_t flag, uint64_t pid)
{
	if (!flag || pid == 0 || pid > INT_MAX)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static void
take_snapshot(const struct pf_stats_view *v, struct snapshot *s)
{
	const struct pf_stats_hdr *h = v->hdr;

	s->pid = h->pid;
	s->flag_running = __atomic_load_n(&h->running, __ATOMIC_ACQUIRE) != 0;
	s->running = writer_alive(s->flag_running, s->pid);
	s->registry_gen = h->registry_gen;
	s->rules_gen = h->rules_gen;
	s->n_caps = h->n_caps;
	s->n_rules = h->n_rules;
	s->tsc_hz = h->tsc_hz;
	s->start_ns = h->start_ns;
	s->updated_ns = h->updated_ns;
	s->n_lcores = h->n_lcores;
	for (unsigned int i = 0; i < s->n_lcores; i++) {
		const struct pf_stats_lcore *l = &v->lcores[i];
		struct lcore_row *r = &s->rows[i];

		r->info = h->lcore_info[i];
		r->rx = load(&l->rx);
		r->tx = load(&l->tx);
		r->drops = 0;
		for (unsigned int d = 0; d < PF_DROP_MAX; d++)
			r->drops += load(&l->drops[d]);
		r->heartbeat = load(&l->heartbeat);
		r->busy_polls = load(&l->busy_polls);
		r->idle_polls = load(&l->idle_polls);
	}
	s->n_slots = pf_stats_dir(v, s->dir);
	pf_stats_sum(v, &s->sum);
}

/* rx, tx and drops summed over lcores, without the rest of the snapshot. */
static void
quick_totals(const struct pf_stats_view *v, uint64_t *rx, uint64_t *tx,
	     uint64_t *drops)
{
	*rx = *tx = *drops = 0;
	for (unsigned int i = 0; i < v->hdr->n_lcores; i++) {
		const struct pf_stats_lcore *l = &v->lcores[i];

		*rx += load(&l->rx);
		*tx += load(&l->tx);
		for (unsigned int d = 0; d < PF_DROP_MAX; d++)
			*drops += load(&l->drops[d]);
	}
}

/* cycles to nanoseconds, saturating (the last bucket's bound is 2^64 - 1) */
static uint64_t
cycles_to_ns(uint64_t cycles, uint64_t tsc_hz)
{
	unsigned __int128 ns;

	if (tsc_hz == 0)
		return 0;
	ns = (unsigned __int128)cycles * 1000000000u / tsc_hz;
	return ns > INT64_MAX ? INT64_MAX : (uint64_t)ns;
}

/* Latency figures of one capability, in nanoseconds. */
struct latency {
	uint64_t samples, mean, p50, p90, p99, p999, max;
};

static void
cap_latency(const struct pf_stats_cap *c, uint64_t tsc_hz, struct latency *l)
{
	int top = -1;

	memset(l, 0, sizeof(*l));
	for (unsigned int b = 0; b < PF_HIST_BUCKETS; b++) {
		l->samples += c->hist[b];
		if (c->hist[b])
			top = (int)b;
	}
	if (l->samples == 0)
		return;
	l->mean = cycles_to_ns(c->cycles / l->samples, tsc_hz);
	l->p50 = cycles_to_ns(pf_hist_quantile(c->hist, 0.50), tsc_hz);
	l->p90 = cycles_to_ns(pf_hist_quantile(c->hist, 0.90), tsc_hz);
	l->p99 = cycles_to_ns(pf_hist_quantile(c->hist, 0.99), tsc_hz);
	l->p999 = cycles_to_ns(pf_hist_quantile(c->hist, 0.999), tsc_hz);
	l->max = cycles_to_ns(pf_hist_upper((unsigned int)top), tsc_hz);
}

/*
 * A directory name with every byte outside printable ASCII replaced by '?':
 * json_dumpf() fails on invalid UTF-8, and a stray byte must not cost the
 * whole report.
 */
static const char *
printable(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && in[i]; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
	return out;
}

static const char *
roles_str(uint8_t roles)
{
	if ((roles & PF_LCORE_RX) && (roles & PF_LCORE_WORKER))
		return "rx,worker";
	if (roles & PF_LCORE_RX)
		return "rx";
	if (roles & PF_LCORE_WORKER)
		return "worker";
	return "";
}

/* "CF,DF" for the bits (1 << group) set in mask; "" when none. */
static const char *
groups_str(uint8_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++) {
		if (!(mask & (1u << g)))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
					pf_group_get(g)->symbol);
		if (off >= len)
			break;
	}
	return buf;
}

static const char *
group_sym(unsigned int g)
{
	const struct pf_group_info *gi = pf_group_get(g);

	return gi ? gi->symbol : "?";
}

static const char *
element_sym(unsigned int group, unsigned int index)
{
	const struct pf_element *e = pf_element_at(group, index);

	return e ? e->symbol : "?";
}

/* ---- text ---------------------------------------------------------------- */

static void
print_counter(const char *name, uint64_t v, bool all)
{
	if (v || all)
		printf("    %-22s %" PRIu64 "\n", name, v);
}

static void
print_text(const struct snapshot *s, const char *path, bool all)
{
	const struct pf_stats_lcore *t = &s->sum;
	uint64_t drops = pf_stats_drops_total(t);
	uint64_t now = now_ns(CLOCK_REALTIME);
	char groups[32];

	printf("segment %s: ", path);
	if (s->running)
		printf("pf-dataplane pid %" PRIu64 " running, updated %.1f s ago\n", s->pid,
		       now > s->updated_ns ? (double)(now - s->updated_ns) / 1e9 : 0.0);
	else if (s->flag_running)
		printf("pf-dataplane pid %" PRIu64 " stopped without closing the segment "
		       "(the process is gone)\n", s->pid);
	else
		printf("pf-dataplane pid %" PRIu64 " stopped; last counters\n", s->pid);
	printf("registry generation %" PRIu64 " (%" PRIu64 " capabilities), rules "
	       "generation %" PRIu64 " (%" PRIu64 " rules), tsc %.3f GHz%s\n",
	       s->registry_gen, s->n_caps, s->rules_gen, s->n_rules,
	       (double)s->tsc_hz / 1e9, s->tsc_hz ? "" : " (not known yet)");

	printf("\ntotals\n");
	printf("  rx %" PRIu64 "  tx %" PRIu64 "  drops %" PRIu64 "\n", t->rx, t->tx, drops);
	printf("  drops by reason%s\n", all ? "" : " (non-zero)");
	for (unsigned int d = 0; d < PF_DROP_MAX; d++)
		print_counter(pf_drop_name(d), t->drops[d], all);
	printf("  error frames by code%s\n", all ? "" : " (non-zero)");
	for (unsigned int c = 1; c < N_ERR_COUNTERS; c++)
		if (pf_err_code_name((uint16_t)c))
			print_counter(pf_err_code_name((uint16_t)c), t->errors[c], all);
	printf("  malformed by verdict%s\n", all ? "" : " (non-zero)");
	for (unsigned int e = 1; e < PF_DECODE_ERR_MAX; e++)
		print_counter(pf_decode_err_name((int)e), t->malformed[e], all);
	printf("  classified %" PRIu64 "  rule_hits %" PRIu64 "  cache hits %" PRIu64
	       " misses %" PRIu64 "  passed %" PRIu64 "\n",
	       t->classified, t->rule_hits, t->cls_cache_hits, t->cls_cache_misses,
	       t->passed);
	printf("  ring_enq %" PRIu64 "  ring_deq %" PRIu64 "  high_prio %" PRIu64 "\n",
	       t->ring_enq, t->ring_deq, t->high_prio);
	printf("  fanout_copies %" PRIu64 "  fanout_joins %" PRIu64 "  fast_path %" PRIu64 "\n",
	       t->fanout_copies, t->fanout_joins, t->fast_path);
	printf("  executions by group:");
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		printf(" %s %" PRIu64, group_sym(g), t->group_exec[g]);
	printf("\n");
	printf("invariant: rx %" PRIu64 " %s tx + drops %" PRIu64 "\n", t->rx,
	       t->rx == t->tx + drops ? "==" : "!=", t->tx + drops);

	printf("\n%5s %4s %6s  %-9s %-17s %12s %12s %10s %6s\n", "lcore", "cpu",
	       "socket", "roles", "groups", "rx", "tx", "drops", "busy%");
	for (unsigned int i = 0; i < s->n_lcores; i++) {
		const struct lcore_row *r = &s->rows[i];
		uint64_t polls = r->busy_polls + r->idle_polls;
		char busy[16];

		if (polls)
			snprintf(busy, sizeof(busy), "%.1f",
				 100.0 * (double)r->busy_polls / (double)polls);
		else
			snprintf(busy, sizeof(busy), "-");
		groups_str(r->info.groups, groups, sizeof(groups));
		printf("%5u %4u %6u  %-9s %-17s %12" PRIu64 " %12" PRIu64 " %10" PRIu64
		       " %6s\n", r->info.lcore_id, r->info.cpu, r->info.socket,
		       roles_str(r->info.roles), groups[0] ? groups : "-", r->rx, r->tx,
		       r->drops, busy);
	}

	printf("\n%5s %-20s %-8s %12s %10s %10s %10s %10s  (latency, us)\n", "id",
	       "capability", "element", "exec", "errors", "p50", "p99", "max");
	for (unsigned int i = 0; i < s->n_slots; i++) {
		const struct pf_stats_cap_info *ci = &s->dir[i];
		const struct pf_stats_cap *c = &t->caps[i];
		struct latency l;
		char el[16], name[PF_NAME_LEN];

		if (ci->id == 0)
			continue;
		cap_latency(c, s->tsc_hz, &l);
		snprintf(el, sizeof(el), "%s.%s", group_sym(ci->group),
			 element_sym(ci->group, ci->element));
		printable(ci->name, name, sizeof(name));
		if (l.samples && s->tsc_hz)
			printf("%5u %-20s %-8s %12" PRIu64 " %10" PRIu64 " %10.3f %10.3f %10.3f\n",
			       ci->id, name, el, c->exec, c->errors, (double)l.p50 / 1e3,
			       (double)l.p99 / 1e3, (double)l.max / 1e3);
		else
			printf("%5u %-20s %-8s %12" PRIu64 " %10" PRIu64 " %10s %10s %10s\n",
			       ci->id, name, el, c->exec, c->errors, "-", "-", "-");
	}
	fflush(stdout);
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *
ju(uint64_t v)
{
	/* jansson's integers are signed 64-bit; no counter gets near 2^63 */
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Adds key: value; a failed allocation is caught once, at json_dumpf(). */
static void
set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value);
}

static json_t *
json_totals(const struct pf_stats_lcore *t)
{
	json_t *o = json_object(), *drops = json_object(), *mal = json_object();
	json_t *errs = json_object(), *groups = json_object();
	json_t *els = json_object(), *el_errs = json_object();

	set(o, "rx", ju(t->rx));
	set(o, "tx", ju(t->tx));
	set(o, "drops_total", ju(pf_stats_drops_total(t)));
	for (unsigned int d = 0; d < PF_DROP_MAX; d++)
		set(drops, pf_drop_name(d), ju(t->drops[d]));
	set(o, "drops", drops);
	for (unsigned int e = 1; e < PF_DECODE_ERR_MAX; e++)
		set(mal, pf_decode_err_name((int)e), ju(t->malformed[e]));
	set(o, "malformed", mal);
	for (unsigned int c = 1; c < N_ERR_COUNTERS; c++)
		if (pf_err_code_name((uint16_t)c))
			set(errs, pf_err_code_name((uint16_t)c), ju(t->errors[c]));
	set(o, "errors", errs);
	set(o, "classified", ju(t->classified));
	set(o, "rule_hits", ju(t->rule_hits));
	set(o, "classify_cache_hits", ju(t->cls_cache_hits));
	set(o, "classify_cache_misses", ju(t->cls_cache_misses));
	set(o, "passed", ju(t->passed));
	set(o, "ring_enq", ju(t->ring_enq));
	set(o, "ring_deq", ju(t->ring_deq));
	set(o, "high_prio", ju(t->high_prio));
	set(o, "fanout_copies", ju(t->fanout_copies));
	set(o, "fanout_joins", ju(t->fanout_joins));
	set(o, "fast_path", ju(t->fast_path));
	for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
		set(groups, group_sym(g), ju(t->group_exec[g]));
	set(o, "groups", groups);
	for (unsigned int n = 1; n <= PF_ELEMENT_COUNT; n++) {
		const char *sym = pf_element_get(n)->symbol;

		set(els, sym, ju(t->element_exec[n]));
		set(el_errs, sym, ju(t->element_errors[n]));
	}
	set(o, "elements", els);
	set(o, "element_errors", el_errs);
	return o;
}

static json_t *
json_snapshot(const struct snapshot *s)
{
	const struct pf_stats_lcore *t = &s->sum;
	uint64_t drops = pf_stats_drops_total(t);
	json_t *o = json_object(), *inv = json_object();
	json_t *lcores = json_array(), *caps = json_array();
	char groups[32];

	set(o, "pid", ju(s->pid));
	set(o, "running", json_boolean(s->running));
	set(o, "registry_gen", ju(s->registry_gen));
	set(o, "rules_gen", ju(s->rules_gen));
	set(o, "n_caps", ju(s->n_caps));
	set(o, "n_rules", ju(s->n_rules));
	set(o, "tsc_hz", ju(s->tsc_hz));
	set(o, "totals", json_totals(t));
	set(inv, "holds", json_boolean(t->rx == t->tx + drops));
	set(inv, "rx", ju(t->rx));
	set(inv, "tx_plus_drops", ju(t->tx + drops));
	set(o, "invariant", inv);
	for (unsigned int i = 0; i < s->n_lcores; i++) {
		const struct lcore_row *r = &s->rows[i];
		json_t *l = json_object();

		set(l, "lcore", ju(r->info.lcore_id));
		set(l, "cpu", ju(r->info.cpu));
		set(l, "socket", ju(r->info.socket));
		set(l, "roles", json_string(roles_str(r->info.roles)));
		set(l, "groups", json_string(groups_str(r->info.groups, groups,
							sizeof(groups))));
		set(l, "rx", ju(r->rx));
		set(l, "tx", ju(r->tx));
		set(l, "drops_total", ju(r->drops));
		set(l, "heartbeat", ju(r->heartbeat));
		set(l, "busy_polls", ju(r->busy_polls));
		set(l, "idle_polls", ju(r->idle_polls));
		json_array_append_new(lcores, l);
	}
	set(o, "lcores", lcores);
	for (unsigned int i = 0; i < s->n_slots; i++) {
		const struct pf_stats_cap_info *ci = &s->dir[i];
		const struct pf_stats_cap *c = &t->caps[i];
		json_t *cap, *lat;
		struct latency l;
		char name[PF_NAME_LEN];

		if (ci->id == 0)
			continue;
		cap_latency(c, s->tsc_hz, &l);
		cap = json_object();
		lat = json_object();
		set(cap, "slot", ju(i));
		set(cap, "id", ju(ci->id));
		set(cap, "name", json_string(printable(ci->name, name, sizeof(name))));
		set(cap, "group", json_string(group_sym(ci->group)));
		set(cap, "element", json_string(element_sym(ci->group, ci->element)));
		set(cap, "exec", ju(c->exec));
		set(cap, "errors", ju(c->errors));
		set(lat, "mean", ju(l.mean));
		set(lat, "p50", ju(l.p50));
		set(lat, "p90", ju(l.p90));
		set(lat, "p99", ju(l.p99));
		set(lat, "p999", ju(l.p999));
		set(lat, "max", ju(l.max));
		set(cap, "latency_ns", lat);
		json_array_append_new(caps, cap);
	}
	set(o, "caps", caps);
	return o;
}

/* @return 0, or -ENOMEM/-EIO when the JSON could not be built or written */
static int
print_json(const struct snapshot *s)
{
	json_t *o = json_snapshot(s);
	int rc;

	if (!o)
		return -ENOMEM;
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc < 0 || fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		return -EIO;
	return 0;
}

static int
report(const struct pf_stats_view *v, const struct options *o)
{
	struct snapshot *s = pf_stats_zalloc(sizeof(*s));
	int rc = 0;

	if (!s) {
		fprintf(stderr, "pf-stats: out of memory\n");
		return -ENOMEM;
	}
	take_snapshot(v, s);
	if (o->json) {
		rc = print_json(s);
		if (rc < 0)
			fprintf(stderr, "pf-stats: cannot write the JSON report: %s\n",
				strerror(-rc));
	} else {
		print_text(s, o->path, o->all);
	}
	free(s);
	return rc;
}

/* ---- --wait-rx ------------------------------------------------------------ */

/*
 * Waits for a finite input to be fully processed: at least N packets
 * received, every one of them in a sink (rx == tx + drops), and no counter
 * of the three moving for WAIT_STABLE_NS. The segment may not exist yet
 * when we start (the dataplane is still starting): it is waited for too.
 */
static int
wait_rx(const struct options *o)
{
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)(o->timeout_s * 1e9);
	uint64_t rx = 0, tx = 0, drops = 0, stable_since = 0;
	bool have = false, ok = false;
	struct pf_stats_view v = { .fd = -1 };
	struct seg_id id;
	int rc = -ENOENT, ret;

	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		if (v.hdr && seg_changed(o->path, &v, &id)) {
			pf_stats_close(&v);
			have = false;
		}
		if (!v.hdr) {
			rc = pf_stats_open(o->path, &v);
			if (rc == 0)
				seg_identify(&v, &id);
			else if (rc != -ENOENT && rc != -EPROTO)
				break; /* permissions, I/O: waiting will not help */
		}
		if (v.hdr) {
			uint64_t r, t, d;

			quick_totals(&v, &r, &t, &d);
			if (!have || r != rx || t != tx || d != drops) {
				rx = r;
				tx = t;
				drops = d;
				stable_since = now;
				have = true;
			}
			if (rx >= o->wait_rx && rx == tx + drops &&
			    now - stable_since >= WAIT_STABLE_NS) {
				ok = true;
				break;
			}
		}
		if (now >= deadline || quit)
			break;
		sleep_ns(WAIT_POLL_NS);
	}
	if (!v.hdr) {
		report_open_error(o->path, rc);
		return EXIT_NOSEG;
	}
	ret = report(&v, o) < 0 ? EXIT_NOSEG : ok ? 0 : EXIT_TIMEOUT;
	if (!ok)
		fprintf(stderr, "pf-stats: %s after %g s waiting for rx >= %" PRIu64
			" with rx == tx + drops, unchanged for %llu ms; saw rx %" PRIu64
			", tx %" PRIu64 ", drops %" PRIu64 " (tx + drops %" PRIu64 ")\n",
			quit ? "interrupted" : "timed out", o->timeout_s, o->wait_rx,
			WAIT_STABLE_NS / 1000000ull, rx, tx, drops, tx + drops);
	pf_stats_close(&v);
	return ret;
}

/* ---- --watch --------------------------------------------------------------- */

struct rates_base {
	uint64_t rx, tx, drops;
	uint64_t group_exec[PF_GROUP_COUNT + 1];
	uint64_t t_ns;
};

static void
rates_take(const struct pf_stats_lcore *sum, struct rates_base *b)
{
	b->rx = sum->rx;
	b->tx = sum->tx;
	b->drops = pf_stats_drops_total(sum);
	memcpy(b->group_exec, sum->group_exec, sizeof(b->group_exec));
	b->t_ns = now_ns(CLOCK_MONOTONIC);
}

/* Per-second rate of a counter; 0 when it went backwards (a restart). */
static double
rate(uint64_t now, uint64_t before, double secs)
{
	return now >= before ? (double)(now - before) / secs : 0.0;
}

static int
watch(const struct options *o)
{
	struct pf_stats_lcore *sum = pf_stats_zalloc(sizeof(*sum));
	struct pf_stats_view v = { .fd = -1 };
	struct rates_base prev, cur;
	struct seg_id id;
	int rc, ret = 0;

	if (!sum) {
		fprintf(stderr, "pf-stats: out of memory\n");
		return EXIT_NOSEG;
	}
	rc = pf_stats_open(o->path, &v);
	if (rc < 0) {
		report_open_error(o->path, rc);
		free(sum);
		return EXIT_NOSEG;
	}
	seg_identify(&v, &id);
	pf_stats_sum(&v, sum);
	rates_take(sum, &prev);
	while (!quit) {
		char stamp[16];
		time_t wall;
		double secs;

		sleep_ns((uint64_t)(o->interval_s * 1e9));
		if (quit)
			break;
		if (seg_changed(o->path, &v, &id)) {
			pf_stats_close(&v);
			rc = pf_stats_open(o->path, &v);
			if (rc < 0) {
				/* a dataplane starting over it: try again next tick */
				printf("segment %s: unavailable (%s), waiting\n", o->path,
				       strerror(-rc));
				fflush(stdout);
				continue;
			}
			seg_identify(&v, &id);
			printf("segment %s: new pf-dataplane pid %" PRIu64 "\n", o->path,
			       id.pid);
			pf_stats_sum(&v, sum);
			rates_take(sum, &prev);
			continue;
		}
		pf_stats_sum(&v, sum);
		rates_take(sum, &cur);
		secs = (double)(cur.t_ns - prev.t_ns) / 1e9;
		wall = time(NULL);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&wall));
		printf("%s  rx/s %.0f  tx/s %.0f  drops/s %.0f  exec/s", stamp,
		       rate(cur.rx, prev.rx, secs), rate(cur.tx, prev.tx, secs),
		       rate(cur.drops, prev.drops, secs));
		for (unsigned int g = 1; g <= PF_GROUP_COUNT; g++)
			printf(" %s %.0f", group_sym(g),
			       rate(cur.group_exec[g], prev.group_exec[g], secs));
		if (!writer_alive(v.hdr->running, v.hdr->pid))
			printf("  (stopped)");
		printf("\n");
		if (fflush(stdout) == EOF) {
			ret = EXIT_NOSEG; /* stdout closed (a pipe's reader left) */
			break;
		}
		prev = cur;
	}
	pf_stats_close(&v);
	free(sum);
	return ret;
}

/* ---- command line ---------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pf-stats [-s PATH] [-a] [--json]\n"
		"       pf-stats [-s PATH] [--json] --wait-rx N [--timeout SEC]\n"
		"       pf-stats [-s PATH] --watch [--interval SEC]\n"
		"Reads pf-dataplane's stats segment (no EAL, read-only).\n"
		"  -s, --segment PATH  stats segment (default " DEFAULT_SEGMENT ")\n"
		"  -a, --all           list zero counters too\n"
		"  -j, --json          one JSON object instead of text\n"
		"      --wait-rx N     wait until rx >= N, rx == tx + drops and the\n"
		"                      totals have not moved for 200 ms, then report;\n"
		"                      exit 1 on timeout\n"
		"      --timeout SEC   for --wait-rx (default 30)\n"
		"      --watch         one line of rates per interval until SIGINT\n"
		"      --interval SEC  for --watch (default 1)\n"
		"  -h, --help\n"
		"Exit: 0 done, 1 --wait-rx timed out, 2 no usable segment or bad usage.\n");
}

static int
parse_u64(const char *opt, const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		goto fail;
	*out = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		goto fail;
	return 0;
fail:
	fprintf(stderr, "pf-stats: %s: expected a packet count, found '%s'\n", opt, s);
	return -EINVAL;
}

static int
parse_secs(const char *opt, const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(*out) || *out <= 0 ||
	    *out > 86400.0 * 365) {
		fprintf(stderr, "pf-stats: %s: expected seconds > 0, found '%s'\n", opt, s);
		return -EINVAL;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_WAIT_RX = 256, OPT_TIMEOUT, OPT_WATCH, OPT_INTERVAL };
	static const struct option longopts[] = {
		{ "segment", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "wait-rx", required_argument, NULL, OPT_WAIT_RX },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "watch", no_argument, NULL, OPT_WATCH },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool timeout_set = false, interval_set = false;
	int c;

	*o = (struct options){
		.path = DEFAULT_SEGMENT,
		.timeout_s = DEFAULT_TIMEOUT_S,
		.interval_s = 1.0,
	};
	while ((c = getopt_long(argc, argv, "s:ajh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->path = optarg;
			break;
		case 'a':
			o->all = true;
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_WAIT_RX:
			o->wait = true;
			if (parse_u64("--wait-rx", optarg, &o->wait_rx) < 0)
				return -EINVAL;
			break;
		case OPT_TIMEOUT:
			timeout_set = true;
			if (parse_secs("--timeout", optarg, &o->timeout_s) < 0)
				return -EINVAL;
			break;
		case OPT_WATCH:
			o->watch = true;
			break;
		case OPT_INTERVAL:
			interval_set = true;
			if (parse_secs("--interval", optarg, &o->interval_s) < 0)
				return -EINVAL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "pf-stats: see pf-stats --help\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pf-stats: unexpected argument '%s' (the segment is "
			"given with -s PATH)\n", argv[optind]);
		return -EINVAL;
	}
	if (o->wait && o->watch) {
		fprintf(stderr, "pf-stats: --wait-rx and --watch do not go together\n");
		return -EINVAL;
	}
	if (timeout_set && !o->wait) {
		fprintf(stderr, "pf-stats: --timeout is for --wait-rx\n");
		return -EINVAL;
	}
	if (interval_set && !o->watch) {
		fprintf(stderr, "pf-stats: --interval is for --watch\n");
		return -EINVAL;
	}
	if (o->watch && o->json) {
		fprintf(stderr, "pf-stats: --watch prints text lines; --json is for "
			"snapshots\n");
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pf_stats_view v;
	struct options o;
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_NOSEG;
	/* no SA_RESTART: a signal cuts the sleep short */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o.wait)
		return wait_rx(&o);
	if (o.watch)
		return watch(&o);
	rc = pf_stats_open(o.path, &v);
	if (rc < 0) {
		report_open_error(o.path, rc);
		return EXIT_NOSEG;
	}
	rc = report(&v, &o);
	pf_stats_close(&v);
	return rc < 0 ? EXIT_NOSEG : 0;
}
