/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c: pf-control's options, start-up (config, durable state, tokens,
 * listeners), the tick that drives telemetry, the link and the audit log,
 * signals read through the ring, and shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "pfc.h"

#define SETTLE_MS 2000 /* at exit, wait this long for audit writes in flight */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pf-control --config FILE --state-dir DIR --tokens FILE\n"
		"                  [--listen HOST:PORT] [--unix PATH] [options]\n"
		"  -c, --config FILE      dataplane config: initial registry, policy, roles,\n"
		"                         sessions, rules file, control socket, stats segment\n"
		"  -s, --state-dir DIR    durable state; once written it wins over the config\n"
		"  -l, --listen HOST:PORT HTTP API on TCP (default 127.0.0.1:8080 unless --unix)\n"
		"  -u, --unix PATH        HTTP API on a UNIX socket (alone: no TCP at all)\n"
		"  -t, --tokens FILE      bearer tokens, \"TOKEN ROLE [NAME]\" per line, mode 600\n"
		"      --control PATH     dataplane control socket (overrides the config)\n"
		"      --stats PATH       dataplane stats segment (overrides the config)\n"
		"      --audit FILE       audit log (default DIR/audit.log)\n"
		"      --audit-max BYTES  rotate the audit log past this size (default 64 MiB)\n"
		"      --audit-keep N     rotated files kept (default 5)\n"
		"      --tick-ms MS       telemetry period (default 100)\n"
		"  -h, --help\n");
}

static int
parse_opts(int argc, char **argv, struct pfc_opts *o)
{
	enum { O_CONTROL = 256, O_STATS, O_AUDIT, O_AUDIT_MAX, O_AUDIT_KEEP, O_TICK };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "unix", required_argument, NULL, 'u' },
		{ "tokens", required_argument, NULL, 't' },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "stats", required_argument, NULL, O_STATS },
		{ "audit", required_argument, NULL, O_AUDIT },
		{ "audit-max", required_argument, NULL, O_AUDIT_MAX },
		{ "audit-keep", required_argument, NULL, O_AUDIT_KEEP },
		{ "tick-ms", required_argument, NULL, O_TICK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->audit_max = 64u << 20;
	o->audit_keep = 5;
	o->tick_ms = 100;
	while ((c = getopt_long(argc, argv, "c:s:l:u:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 's': o->state_dir = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'u': o->unix_path = optarg; break;
		case 't': o->tokens = optarg; break;
		case O_CONTROL: o->control = optarg; break;
		case O_STATS: o->stats = optarg; break;
		case O_AUDIT: o->audit = optarg; break;
		case O_AUDIT_MAX: o->audit_max = strtoull(optarg, NULL, 0); break;
		case O_AUDIT_KEEP: o->audit_keep = (unsigned int)strtoul(optarg, NULL, 0); break;
		case O_TICK: o->tick_ms = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (!o->config || !o->state_dir || !o->tokens || optind != argc) {
		fprintf(stderr, "pf-control: --config, --state-dir and --tokens are required\n");
		usage(stderr);
		return -EINVAL;
	}
	if (!o->listen && !o->unix_path)
		o->listen = "127.0.0.1:8080";
	if (o->tick_ms < 10 || o->tick_ms > 10000)
		o->tick_ms = 100;
	if (o->audit_max < 4096)
		o->audit_max = 4096;
	return 0;
}

/* Registry and rules: the state directory's when it has them, else the
 * config's. Blocking reads: the loop has not started. */
static int
load_state(struct pfc *d, char *err, size_t errlen)
{
	struct pf_buf text = { 0 };
	struct pf_rules_result res;
	json_error_t je;
	int rc;

	rc = pf_store_read(d, "registry.json", &text);
	if (rc == 0) {
		d->reg = json_loadb(text.p, text.len, 0, &je);
		if (!d->reg) {
			snprintf(err, errlen, "%s/registry.json:%d: %s", d->o.state_dir, je.line,
				 je.text);
			rc = -EINVAL;
			goto out;
		}
	} else if (rc == -ENOENT) {
		d->reg = pf_reg_to_json(d->base);
	} else {
		snprintf(err, errlen, "%s/registry.json: %s", d->o.state_dir, strerror(-rc));
		goto out;
	}
	/* validated like any change; normalized, so the JSON and the struct agree */
	rc = d->reg ? pf_reg_from_json(d->base, d->reg, d->cfg, err, errlen) : -ENOMEM;
	if (rc < 0)
		goto out;
	json_decref(d->reg);
	d->reg = pf_reg_to_json(d->cfg);

	text.len = 0;
	rc = pf_store_read(d, "rules.yaml", &text);
	if (rc == 0 && text.len == 0) {
		d->rules_text = strdup(""); /* cleared through the API */
		rc = d->rules_text ? 0 : -ENOMEM;
		goto out;
	}
	if (rc == -ENOENT && d->base->rules_file[0]) {
		rc = pf_read_file(d->base->rules_file, 64u << 20, &text);
		if (rc < 0) {
			snprintf(err, errlen, "rules file %s: %s", d->base->rules_file, strerror(-rc));
			goto out;
		}
	} else if (rc == -ENOENT) {
		rc = 0;
		goto out; /* no rules at all */
	} else if (rc < 0) {
		snprintf(err, errlen, "%s/rules.yaml: %s", d->o.state_dir, strerror(-rc));
		goto out;
	}
	pf_rules_build_now("rules", text.p, text.len, d->cfg, &res);
	if (res.rc < 0) {
		snprintf(err, errlen, "%s", res.err);
		pf_rules_free(&res.rs);
		rc = res.rc;
		goto out;
	}
	d->rules = res.rs;
	d->rules_pack = res.pack;
	d->rules_pack_len = res.pack_len;
	d->n_rules = res.rs.n;
	d->rules_text = strndup(text.p, text.len);
	d->rules_len = text.len;
	rc = d->rules_text ? 0 : -ENOMEM;
out:
	pf_buf_free(&text);
	return rc;
}

static void
tick(struct pf_timer *t)
{
	struct pfc *d = container_of(t, struct pfc, tick);
	static uint64_t last_sweep;

	pf_tele_tick(d);
	pf_link_tick(d);
	pf_audit_tick(d);
	pf_audit_pos_tick(d);
	if (d->loop.now_ms - last_sweep >= 1000) {
		last_sweep = d->loop.now_ms;
		pf_http_sweep(d);
	}
}

/* What must finish before the final synchronous writes: the audit log's
 * write, fsync or rotation, and a save of the audit positions. */
static bool
writes_in_flight(void *arg)
{
	struct pfc *d = arg;

	return pf_audit_busy(d) || d->apos.w.busy;
}

static void sig_arm(struct pfc *d);

static void
sig_done(struct pf_op *op, int res, unsigned int flags)
{
	struct pfc *d = container_of(op, struct pfc, sig_op);
	const struct signalfd_siginfo *si = (const void *)d->sig_buf;

	(void)flags;
	if (res >= (int)sizeof(*si)) {
		if (si->ssi_signo == SIGHUP) {
			struct pf_auth a;
			char err[PFC_ERR_LEN];

			/* new tokens take effect at once; a bad file keeps the old */
			if (pf_auth_load(&a, d->o.tokens, err, sizeof(err)) == 0) {
				pf_auth_free(&d->auth);
				d->auth = a;
				fprintf(stderr, "pf-control: tokens reloaded (%u)\n", a.n);
			} else {
				fprintf(stderr, "pf-control: tokens not reloaded: %s\n", err);
			}
		} else {
			fprintf(stderr, "pf-control: signal %u, stopping\n", si->ssi_signo);
			d->loop.quit = true;
			return;
		}
	}
	sig_arm(d);
}

static void
sig_arm(struct pfc *d)
{
	d->sig_op.fn = sig_done;
	io_uring_prep_read(pf_loop_sqe(&d->loop, &d->sig_op), d->sig_fd, d->sig_buf,
			   sizeof(struct signalfd_siginfo), 0);
}

int
main(int argc, char **argv)
{
	static struct pfc daemon;
	struct pfc *d = &daemon;
	char err[PFC_ERR_LEN] = "";
	sigset_t mask;
	int rc;

	if (parse_opts(argc, argv, &d->o) < 0)
		return 2;
	d->start_ns = pf_real_ns();
	d->sig_fd = -1;
	d->base = malloc(sizeof(*d->base));
	d->cfg = malloc(sizeof(*d->cfg));
	if (!d->base || !d->cfg) {
		fprintf(stderr, "pf-control: out of memory\n");
		return 1;
	}
	rc = pf_config_load(d->o.config, d->base, err, sizeof(err));
	if (rc < 0)
		goto fail;
	if (d->o.control)
		snprintf(d->base->control_socket, PF_PATH_LEN, "%s", d->o.control);
	if (d->o.stats)
		snprintf(d->base->stats_segment, PF_PATH_LEN, "%s", d->o.stats);
	memcpy(d->cfg, d->base, sizeof(*d->cfg));

	if ((rc = pf_auth_load(&d->auth, d->o.tokens, err, sizeof(err))) < 0 ||
	    (rc = pf_store_init(d, d->o.state_dir, err, sizeof(err))) < 0 ||
	    (rc = load_state(d, err, sizeof(err))) < 0)
		goto fail;
	char audit_path[PF_PATH_LEN + 16];
	snprintf(audit_path, sizeof(audit_path), "%s/audit.log", d->o.state_dir);
	if ((rc = pf_audit_init(d, d->o.audit ? d->o.audit : audit_path, d->o.audit_max,
				d->o.audit_keep, err, sizeof(err))) < 0)
		goto fail;
	pf_audit_pos_load(d);

	/* signals arrive as reads in the ring, never as handlers */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (d->sig_fd < 0) {
		rc = -errno;
		snprintf(err, sizeof(err), "signalfd: %s", strerror(errno));
		goto fail;
	}
	rc = pf_loop_init(&d->loop, 1024);
	if (rc < 0) {
		snprintf(err, sizeof(err), "io_uring: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = pf_tele_init(d, d->base->stats_segment)) < 0) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	pf_link_init(d, d->base->control_socket);
	if ((rc = pf_rules_worker_init(d)) < 0) {
		snprintf(err, sizeof(err), "rules worker: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = pf_http_init(d, d->o.listen, d->o.unix_path, err, sizeof(err))) < 0)
		goto fail;
	sig_arm(d);
	pf_timer_start(&d->loop, &d->tick, d->o.tick_ms, tick);
	pf_audit_append(d, json_pack("{s:s, s:I, s:s, s:I}", "type", "control", "ts_ns",
				     (json_int_t)pf_real_ns(), "change", "pf-control started",
				     "pid", (json_int_t)getpid()));
	printf("pf-control %s: %u capabilities, %u rules; API on %s%s%s; dataplane %s, stats %s\n",
	       PF_VERSION_STRING, d->cfg->n_caps, d->n_rules,
	       d->o.listen ? d->o.listen : "", d->o.listen && d->o.unix_path ? " and " : "",
	       d->o.unix_path ? d->o.unix_path : "", d->base->control_socket,
	       d->base->stats_segment);
	fflush(stdout);
	/* a first telemetry pass now: the dataplane may already be there */
	tick(&d->tick);

	rc = pf_loop_run(&d->loop);
	if (rc < 0)
		fprintf(stderr, "pf-control: event loop: %s\n", strerror(-rc));
	/* no more ticks (nothing more is read); what is in flight completes,
	 * so that the writes below neither repeat nor race it */
	pf_timer_stop(&d->tick);
	if (rc == 0 && pf_loop_settle(&d->loop, writes_in_flight, d, SETTLE_MS) < 0)
		fprintf(stderr, "pf-control: audit writes still in flight at exit\n");
	pf_http_fini(d);
	pf_link_fini(d);
	pf_rules_worker_fini(d);
	pf_audit_fini(d);
	pf_audit_pos_fini(d);
	pf_tele_fini(d);
	pf_loop_fini(&d->loop);
	pf_auth_free(&d->auth);
	return rc < 0 ? 1 : 0;
fail:
	fprintf(stderr, "pf-control: %s\n", err[0] ? err : strerror(-rc));
	return 1;
}
