/* SPDX-License-Identifier: BSD-3-Clause */
/* pf-dpctl.c: low-level client of pf-dataplane's control socket -- ping,
 * registry replacement from a config file, Hyperscan rules swaps. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs/hs.h>

#include "pf_config.h"
#include "pf_ctl.h"
#include "pf_rules.h"

#define DEFAULT_SOCKET "/run/packetflow/dataplane.sock"
#define MAX_REPEAT 1000000u
#define MAX_INTERVAL_MS 3600000u

struct options {
	const char *sock;
	const char *config;   /* rules: resolves capability names */
	unsigned long repeat;
	unsigned long interval_ms;
	bool quiet;
	const char *cmd;
	const char *arg;      /* registry CONFIG, rules RULES */
};

/* One prepared request, sent --repeat times. */
struct request {
	uint16_t type;
	const char *what;     /* "ping", "registry configs/x.conf", ... */
	void *body;
	uint32_t len;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pf-dpctl [-s SOCK] [--repeat N] [--interval-ms M] [--quiet] COMMAND\n"
		"Commands:\n"
		"  ping                          is the dataplane there? (pid, lcores)\n"
		"  registry CONFIG               load CONFIG and replace the running\n"
		"                                capabilities, molecules, group policies,\n"
		"                                roles and sessions (ports, memory and EAL\n"
		"                                settings of CONFIG are ignored)\n"
		"  rules RULES --config CONFIG   compile RULES (capability names resolved\n"
		"                                with CONFIG) and swap the Hyperscan database\n"
		"  rules-clear                   remove every rule\n"
		"Options:\n"
		"  -s, --socket SOCK     control socket (default " DEFAULT_SOCKET ")\n"
		"  -c, --config CONFIG   for rules\n"
		"  -n, --repeat N        send the request N times (default 1)\n"
		"  -i, --interval-ms M   pause between repeats (default 0)\n"
		"  -q, --quiet           print nothing on success\n"
		"  -h, --help\n"
		"Exit: 0 every request acknowledged with success, 1 otherwise.\n");
}

static int
parse_ulong(const char *opt, const char *s, unsigned long min, unsigned long max,
	    unsigned long *out)
{
	char *end;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		goto fail;
	*out = strtoul(s, &end, 10);
	if (errno || *end != '\0' || *out < min || *out > max)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "pf-dpctl: %s: expected a number from %lu to %lu, found '%s'\n",
		opt, min, max, s);
	return -EINVAL;
}

static int
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, n_pos;

	*o = (struct options){ .sock = DEFAULT_SOCKET, .repeat = 1 };
	/* options may follow the command ("rules R --config C") */
	while ((c = getopt_long(argc, argv, "s:c:n:i:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->sock = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'n':
			if (parse_ulong("--repeat", optarg, 1, MAX_REPEAT, &o->repeat) < 0)
				return -EINVAL;
			break;
		case 'i':
			if (parse_ulong("--interval-ms", optarg, 0, MAX_INTERVAL_MS,
					&o->interval_ms) < 0)
				return -EINVAL;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "pf-dpctl: see pf-dpctl --help\n");
			return -EINVAL;
		}
	}
	n_pos = argc - optind;
	if (n_pos == 0) {
		fprintf(stderr, "pf-dpctl: no command (ping, registry, rules, "
			"rules-clear); see pf-dpctl --help\n");
		return -EINVAL;
	}
	o->cmd = argv[optind];
	if (strcmp(o->cmd, "ping") == 0 || strcmp(o->cmd, "rules-clear") == 0) {
		if (n_pos != 1)
			goto extra;
	} else if (strcmp(o->cmd, "registry") == 0 || strcmp(o->cmd, "rules") == 0) {
		if (n_pos < 2) {
			fprintf(stderr, "pf-dpctl: %s: missing the %s file\n", o->cmd,
				o->cmd[1] == 'e' ? "CONFIG" : "RULES");
			return -EINVAL;
		}
		if (n_pos != 2)
			goto extra;
		o->arg = argv[optind + 1];
	} else {
		fprintf(stderr, "pf-dpctl: unknown command '%s' (ping, registry, rules, "
			"rules-clear)\n", o->cmd);
		return -EINVAL;
	}
	if (strcmp(o->cmd, "rules") == 0 && !o->config) {
		fprintf(stderr, "pf-dpctl: rules: --config CONFIG is needed to resolve "
			"the rules' capability names (give the config the dataplane runs)\n");
		return -EINVAL;
	}
	if (strcmp(o->cmd, "rules") != 0 && o->config) {
		fprintf(stderr, "pf-dpctl: --config is for the rules command\n");
		return -EINVAL;
	}
	return 0;
extra:
	fprintf(stderr, "pf-dpctl: %s: unexpected argument '%s'\n", o->cmd,
		argv[argc - 1]);
	return -EINVAL;
}

/* registry CONFIG: the whole loaded config is the message's body. */
static int
prepare_registry(const char *path, struct request *req)
{
	struct pf_ctl_registry *reg = calloc(1, sizeof(*reg));
	char err[PF_CONFIG_ERR_LEN];
	int rc;

	if (!reg) {
		fprintf(stderr, "pf-dpctl: registry %s: out of memory\n", path);
		return -ENOMEM;
	}
	rc = pf_config_load(path, &reg->cfg, err, sizeof(err));
	if (rc < 0) {
		/* the loader's line already names the file, line and key */
		fprintf(stderr, "pf-dpctl: %s\n", err);
		free(reg);
		return rc;
	}
	req->type = PF_CTL_REGISTRY_SET;
	req->body = reg;
	req->len = sizeof(*reg);
	return 0;
}

/* rules RULES --config CONFIG: load, compile and pack, as the body. */
static int
prepare_rules(const char *rules, const char *config, struct request *req)
{
	struct pf_config *cfg = calloc(1, sizeof(*cfg));
	struct pf_ruleset rs = { 0 };
	hs_database_t *db = NULL;
	char err[PF_CONFIG_ERR_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (!cfg) {
		rc = -ENOMEM;
		fprintf(stderr, "pf-dpctl: rules %s: out of memory\n", rules);
		goto fail;
	}
	rc = pf_config_load(config, cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "pf-dpctl: %s\n", err);
		goto fail;
	}
	rc = pf_rules_load(rules, cfg, &rs, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "pf-dpctl: %s\n", err);
		goto fail;
	}
	rc = pf_rules_compile(&rs, &db, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "pf-dpctl: %s\n", err);
		goto fail;
	}
	rc = pf_rules_pack(&rs, db, &buf, &len);
	if (rc < 0) {
		fprintf(stderr, "pf-dpctl: rules %s: cannot pack the compiled database: "
			"%s\n", rules, strerror(-rc));
		goto fail;
	}
	if (len > PF_CTL_MAX_BODY) {
		fprintf(stderr, "pf-dpctl: rules %s: compiled database of %zu bytes, over "
			"the control socket's limit of %u: split or simplify the rules\n",
			rules, len, PF_CTL_MAX_BODY);
		free(buf);
		rc = -EMSGSIZE;
		goto fail;
	}
	req->type = PF_CTL_RULES_SET;
	req->body = buf;
	req->len = (uint32_t)len;
	rc = 0;
fail:
	hs_free_database(db); /* NULL is fine */
	pf_rules_free(&rs);
	free(cfg);
	return rc;
}

/* One line for a failed call: what failed, why, and what to do. */
static void
report_call_error(const struct options *o, const struct request *req, int rc)
{
	switch (rc) {
	case -ENOENT:
	case -ECONNREFUSED:
	case -ENOTSOCK:
		fprintf(stderr, "pf-dpctl: %s: cannot reach %s: %s (is pf-dataplane "
			"running with --control %s?)\n", req->what, o->sock,
			strerror(-rc), o->sock);
		break;
	case -EACCES:
	case -EPERM:
		fprintf(stderr, "pf-dpctl: %s: cannot reach %s: %s (run as the "
			"dataplane's user or group, or as root)\n", req->what, o->sock,
			strerror(-rc));
		break;
	case -ENAMETOOLONG:
		fprintf(stderr, "pf-dpctl: %s: socket path %s is too long for a UNIX "
			"socket (108 bytes at most)\n", req->what, o->sock);
		break;
	case -ETIMEDOUT:
		fprintf(stderr, "pf-dpctl: %s: %s: no answer within 5 s (is the "
			"dataplane's main lcore stuck?)\n", req->what, o->sock);
		break;
	case -EPROTO:
	case -ECONNRESET:
	case -EPIPE:
		fprintf(stderr, "pf-dpctl: %s: %s: %s (the peer closed the connection "
			"or answered something else: a pf-dataplane of another build?)\n",
			req->what, o->sock, strerror(-rc));
		break;
	case -EINVAL:
		if (req->type == PF_CTL_RULES_SET && req->len == 0) {
			fprintf(stderr, "pf-dpctl: %s: this build's lib/pf_ctl refuses "
				"a RULES_SET without a body (pf_ctl_send: %s), so rules "
				"cannot be cleared over the socket yet\n", req->what,
				strerror(-rc));
			break;
		}
		/* fall through */
	default:
		fprintf(stderr, "pf-dpctl: %s: %s: %s\n", req->what, o->sock,
			strerror(-rc));
	}
}

static void
sleep_ms(unsigned long ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Sends req o->repeat times; stops at the first failure. */
static int
run(const struct options *o, const struct request *req)
{
	for (unsigned long i = 0; i < o->repeat; i++) {
		struct pf_ctl_ack ack;
		int rc;

		if (i > 0 && o->interval_ms)
			sleep_ms(o->interval_ms);
		rc = pf_ctl_call(o->sock, req->type, req->body, req->len, &ack);
		if (rc < 0) {
			report_call_error(o, req, rc);
			return -1;
		}
		if (ack.status != 0) {
			fprintf(stderr, "pf-dpctl: %s: %s\n", req->what,
				ack.msg[0] ? ack.msg : strerror(-ack.status));
			return -1;
		}
		if (!o->quiet)
			printf("%s\n", ack.msg);
	}
	if (!o->quiet && fflush(stdout) == EOF)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct request req = { .type = PF_CTL_PING };
	struct options o;
	char what[PF_PATH_LEN + 32];
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return 1;
	if (o.arg)
		snprintf(what, sizeof(what), "%s %s", o.cmd, o.arg);
	else
		snprintf(what, sizeof(what), "%s", o.cmd);
	req.what = what;
	rc = 0;
	if (strcmp(o.cmd, "registry") == 0)
		rc = prepare_registry(o.arg, &req);
	else if (strcmp(o.cmd, "rules") == 0)
		rc = prepare_rules(o.arg, o.config, &req);
	else if (strcmp(o.cmd, "rules-clear") == 0)
		req.type = PF_CTL_RULES_SET; /* no body: no rules */
	if (rc < 0)
		return 1;
	rc = run(&o, &req);
	free(req.body);
	return rc < 0 ? 1 : 0;
}
