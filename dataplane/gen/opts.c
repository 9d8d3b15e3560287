/* SPDX-License-Identifier: BSD-3-Clause */
/* opts.c: pf-gen's command line -- the usage text, option parsing and
 * value checks; every message names the option and what it expected. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

void
gen_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL options] -- [options]\n"
		"       %s --pcap-out FILE [--count N] [options]   (no EAL, no port)\n"
		"       %s --check-profile FILE\n"
		"\n"
		"PacketFlow traffic generator: sends requests at a paced rate, matches every\n"
		"answer by session and sequence number, and reports loss, duplicates,\n"
		"reordering, errors by code, throughput and round-trip latency.\n"
		"\n"
		"Port and lcores:\n"
		"  --port DEVICE          vdev string or PCI address, added to EAL as --vdev/-a\n"
		"                         (default " GEN_DEFAULT_PORT ")\n"
		"  --tx-lcores LIST       lcores that send (\"1\", \"1,2\", \"1-2\"; default: the first\n"
		"                         worker lcore)\n"
		"  --rx-lcore N           lcore that receives (default: the second worker lcore,\n"
		"                         or the TX lcore when there is only one)\n"
		"  --rx-queues N          RX queues the RX lcore polls (default 1); on memif, the\n"
		"                         peer's TX queue count (pf-dataplane: one per lcore)\n"
		"  --link-timeout MS      wait for link up (default 10000)\n"
		"  --hold                 after the report, keep the port up until the peer\n"
		"                         closes the link or SIGINT (stop a memif peer first)\n"
		"Traffic (each overrides the profile):\n"
		"  --profile FILE         traffic profile (YAML, docs/pf-gen.md; default: echo)\n"
		"  --rate R               100kpps, 1.5Mpps, 20000 (pps), 50%% (of line rate), max\n"
		"  --duration D           measured time: 10s, 500ms, 2m (0: until SIGINT/--count)\n"
		"  --warmup D             sent first, not measured (default 0)\n"
		"  --count N              measured frames to send, then stop\n"
		"  --size S               frame bytes with FCS: 128, 64-1518, imix, 7:64,4:570,1:1518\n"
		"  --sessions N|A-B       the profile's own sessions (count from 1000, or ids)\n"
		"  --session-order O      round-robin or random\n"
		"  --priority P           0..255, or weighted W:P,W:P\n"
		"  --seed N               random choices (default 1)\n"
		"  --bucket N             token bucket depth in frames (default 32: one burst);\n"
		"                         deeper catches up after the lcore was descheduled,\n"
		"                         in back-to-back bursts\n"
		"Addresses:\n"
		"  --dst-mac MAC          default 02:00:00:00:00:02\n"
		"  --src-ip IP            default 10.0.0.1\n"
		"  --dst-ip IP            default 10.0.0.2\n"
		"  --udp-port N           destination port (default 7447)\n"
		"  --src-port N           first source port; + session index mod 1024 (default 49152)\n"
		"Measurement:\n"
		"  --drain-ms MS          wait for answers after the last request (default 200)\n"
		"  --window N             sequence numbers tracked per session, a power of two\n"
		"                         64..1048576 (default 4096)\n"
		"  --json FILE            write the report as JSON (docs/pf-gen-report.schema.json)\n"
		"  --quiet                no live line each second\n"
		"NDR search (RFC 2544-style):\n"
		"  --ndr                  binary search for the highest rate with loss <= --ndr-loss\n"
		"  --ndr-min R            lowest rate tried (default: 1%% of --ndr-max)\n"
		"  --ndr-max R            highest rate tried (default: line rate)\n"
		"  --ndr-resolution PCT   stop when the range is below PCT %% of --ndr-max (default 1)\n"
		"  --ndr-loss PCT         loss a trial may have and pass (default 0)\n"
		"  --trial-seconds S      measured time of each trial (default 5)\n"
		"Files and tests:\n"
		"  --pcap-out FILE        write the traffic to a pcap and exit (no EAL)\n"
		"  --check-profile FILE   validate a profile, print a summary, exit\n"
		"  --rx-only              receive only: match answers to the requests --pcap-out\n"
		"                         would write with the same --count/profile/seed (a replay)\n"
		"  --cookie N             trace_id high 32 bits (default random; 0x70666765 with\n"
		"                         --pcap-out and --rx-only)\n"
		"  -h, --help             this text\n"
		"\n"
		"Exit status: 0 done (also after SIGINT, which prints the report so far),\n"
		"1 runtime failure (EAL, device, link, files), 2 usage error (options,\n"
		"profile, rate above line rate).\n",
		prog, prog, prog);
}

enum {
	O_PORT = 256, O_PROFILE, O_CHECK, O_RATE, O_DURATION, O_WARMUP, O_COUNT, O_DRAIN,
	O_SIZE, O_SESSIONS, O_ORDER, O_PRIORITY, O_TX_LCORES, O_RX_LCORE, O_DST_MAC,
	O_SRC_IP, O_DST_IP, O_UDP_PORT, O_SRC_PORT, O_SEED, O_JSON, O_PCAP, O_NDR,
	O_NDR_MIN, O_NDR_MAX, O_NDR_RES, O_NDR_LOSS, O_TRIAL, O_WINDOW, O_LINK_TIMEOUT,
	O_RX_ONLY, O_COOKIE, O_QUIET, O_RX_QUEUES, O_BUCKET, O_HOLD,
};

static const struct option longopts[] = {
	{ "port", required_argument, NULL, O_PORT },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "check-profile", required_argument, NULL, O_CHECK },
	{ "rate", required_argument, NULL, O_RATE },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "count", required_argument, NULL, O_COUNT },
	{ "drain-ms", required_argument, NULL, O_DRAIN },
	{ "size", required_argument, NULL, O_SIZE },
	{ "sessions", required_argument, NULL, O_SESSIONS },
	{ "session-order", required_argument, NULL, O_ORDER },
	{ "priority", required_argument, NULL, O_PRIORITY },
	{ "tx-lcores", required_argument, NULL, O_TX_LCORES },
	{ "rx-lcore", required_argument, NULL, O_RX_LCORE },
	{ "dst-mac", required_argument, NULL, O_DST_MAC },
	{ "src-ip", required_argument, NULL, O_SRC_IP },
	{ "dst-ip", required_argument, NULL, O_DST_IP },
	{ "udp-port", required_argument, NULL, O_UDP_PORT },
	{ "src-port", required_argument, NULL, O_SRC_PORT },
	{ "seed", required_argument, NULL, O_SEED },
	{ "json", required_argument, NULL, O_JSON },
	{ "pcap-out", required_argument, NULL, O_PCAP },
	{ "ndr", no_argument, NULL, O_NDR },
	{ "ndr-min", required_argument, NULL, O_NDR_MIN },
	{ "ndr-max", required_argument, NULL, O_NDR_MAX },
	{ "ndr-resolution", required_argument, NULL, O_NDR_RES },
	{ "ndr-loss", required_argument, NULL, O_NDR_LOSS },
	{ "trial-seconds", required_argument, NULL, O_TRIAL },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "link-timeout", required_argument, NULL, O_LINK_TIMEOUT },
	{ "rx-only", no_argument, NULL, O_RX_ONLY },
	{ "cookie", required_argument, NULL, O_COOKIE },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "rx-queues", required_argument, NULL, O_RX_QUEUES },
	{ "bucket", required_argument, NULL, O_BUCKET },
	{ "hold", no_argument, NULL, O_HOLD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int __attribute__((format(printf, 3, 4)))
bad(const char *opt, const char *val, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pf-gen: --%s %s: ", opt, val);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/* A decimal (or 0x hex) integer in [min, max], nothing else. */
static int
get_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static int
get_pct(const char *s, double min, double max, double *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || (*end && strcmp(end, "%") != 0) || !(*v >= min && *v <= max))
		return -EINVAL;
	return 0;
}

static int
get_ip(const char *s, uint32_t *ip)
{
	unsigned int a[4];
	char tail;

	if (sscanf(s, "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &tail) != 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		if (a[i] > 255)
			return -EINVAL;
	*ip = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
	return 0;
}

static int
get_mac(const char *s, uint8_t mac[6])
{
	unsigned int a[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)a[i];
	return 0;
}

/* "1", "1,2", "1-3": distinct lcore ids below 1024. */
static int
get_lcores(const char *s, uint16_t *ids, uint16_t *n)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t a, b;
		char *dash = strchr(tok, '-');
		if (dash) {
			*dash = '\0';
			if (get_u64(tok, 0, 1023, &a) < 0 || get_u64(dash + 1, 0, 1023, &b) < 0 ||
			    a > b)
				return -EINVAL;
		} else if (get_u64(tok, 0, 1023, &a) < 0) {
			return -EINVAL;
		} else {
			b = a;
		}
		for (uint64_t x = a; x <= b; x++) {
			if (*n == GEN_MAX_TX)
				return -E2BIG;
			for (uint16_t i = 0; i < *n; i++)
				if (ids[i] == x)
					return -EEXIST;
			ids[(*n)++] = (uint16_t)x;
		}
	}
	return *n ? 0 : -EINVAL;
}

#define WHAT_RATE "expected a rate: N (pps), Nkpps, NMpps, N% of line rate, or max"
#define WHAT_DURATION "expected a duration: Ns, Nms, Nm or Nh (N >= 0)"

int
gen_opts_parse(int argc, char **argv, struct gen_opts *o)
{
	int c, rc;
	uint64_t v;
	double d;

	o->port = GEN_DEFAULT_PORT;
	o->rx_lcore = -1;
	o->drain_ms = 200;
	memcpy(o->dst_mac, (const uint8_t[]){ 0x02, 0, 0, 0, 0, 0x02 }, 6);
	o->src_ip = 0x0a000001;
	o->dst_ip = 0x0a000002;
	o->udp_port = PF_UDP_PORT;
	o->src_port = 49152;
	o->seed = 1;
	o->ndr_resolution = 1;
	o->ndr_loss = 0;
	o->trial_ms = 5000;
	o->window = GEN_WINDOW_DEFAULT;
	o->bucket = GEN_BURST;
	o->link_timeout_ms = 10000;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		const char *name = NULL;
		for (const struct option *lo = longopts; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		switch (c) {
		case O_PORT:
			if (!*optarg)
				return bad(name, "\"\"", "expected a vdev string or a PCI address");
			o->port = optarg;
			break;
		case O_PROFILE: o->profile_path = optarg; break;
		case O_CHECK: o->check_profile = optarg; break;
		case O_JSON: o->json_path = optarg; break;
		case O_PCAP: o->pcap_out = optarg; break;
		case O_RATE:
		case O_NDR_MIN:
		case O_NDR_MAX: {
			struct pf_rate *r = c == O_RATE ? &o->rate :
					    c == O_NDR_MIN ? &o->ndr_min : &o->ndr_max;
			if (pf_rate_parse(optarg, r) < 0)
				return bad(name, optarg, "%s", WHAT_RATE);
			if (c == O_RATE)
				o->rate_text = optarg;
			else if (r->kind == PF_RATE_MAX)
				return bad(name, optarg, "expected a rate in pps or %% of line rate");
			break;
		}
		case O_DURATION:
		case O_WARMUP:
			if (pf_duration_parse(optarg, c == O_DURATION ? &o->duration_ms :
						      &o->warmup_ms) < 0)
				return bad(name, optarg, "%s", WHAT_DURATION);
			if (c == O_DURATION)
				o->duration_set = true;
			else
				o->warmup_set = true;
			break;
		case O_TRIAL:
			if (pf_duration_parse(optarg, &v) < 0 || v < 100)
				return bad(name, optarg, "expected seconds of at least 0.1");
			o->trial_ms = v;
			break;
		case O_COUNT:
			if (get_u64(optarg, 1, UINT64_MAX / 2, &o->count) < 0)
				return bad(name, optarg, "expected a number of frames, at least 1");
			break;
		case O_DRAIN:
			if (get_u64(optarg, 0, 600000, &v) < 0)
				return bad(name, optarg, "expected milliseconds, 0..600000");
			o->drain_ms = (uint32_t)v;
			break;
		case O_LINK_TIMEOUT:
			if (get_u64(optarg, 0, 3600000, &v) < 0)
				return bad(name, optarg, "expected milliseconds, 0..3600000");
			o->link_timeout_ms = (uint32_t)v;
			break;
		case O_SIZE: {
			struct pf_size_spec s;
			if (pf_size_parse(optarg, &s) < 0)
				return bad(name, optarg,
					   "expected frame sizes in bytes with FCS, 64..1518: N, A-B, imix or W:S,W:S,...");
			o->size_text = optarg;
			break;
		}
		case O_SESSIONS: {
			struct pf_session_pool p = { PF_PROFILE_DEFAULT_FIRST_SESSION, 0 };
			if (pf_sessions_parse(optarg, &p) < 0)
				return bad(name, optarg, "expected a count N (1..%d) or ids A-B",
					   PF_PROFILE_MAX_SESSIONS);
			o->sessions_text = optarg;
			break;
		}
		case O_ORDER:
			if (strcmp(optarg, "round-robin") && strcmp(optarg, "random"))
				return bad(name, optarg, "expected round-robin or random");
			o->order_text = optarg;
			break;
		case O_PRIORITY: {
			struct pf_weighted w[PF_PROFILE_MAX_WEIGHTS];
			if (pf_weights_parse(optarg, w, PF_PROFILE_MAX_WEIGHTS, 0, 255) < 0)
				return bad(name, optarg, "expected a priority 0..255 or W:P,W:P,...");
			o->priority_text = optarg;
			break;
		}
		case O_TX_LCORES:
			rc = get_lcores(optarg, o->tx_lcores, &o->n_tx);
			if (rc == -E2BIG)
				return bad(name, optarg, "expected at most %d lcores", GEN_MAX_TX);
			if (rc == -EEXIST)
				return bad(name, optarg, "expected distinct lcore ids");
			if (rc < 0)
				return bad(name, optarg, "expected lcore ids: N, N,M or N-M");
			break;
		case O_RX_LCORE:
			if (get_u64(optarg, 0, 1023, &v) < 0)
				return bad(name, optarg, "expected an lcore id");
			o->rx_lcore = (int)v;
			break;
		case O_DST_MAC:
			if (get_mac(optarg, o->dst_mac) < 0)
				return bad(name, optarg, "expected a MAC address like 02:00:00:00:00:02");
			break;
		case O_SRC_IP:
		case O_DST_IP:
			if (get_ip(optarg, c == O_SRC_IP ? &o->src_ip : &o->dst_ip) < 0)
				return bad(name, optarg, "expected an IPv4 address like 10.0.0.2");
			break;
		case O_UDP_PORT:
			if (get_u64(optarg, 1, 65535, &v) < 0)
				return bad(name, optarg, "expected a UDP port, 1..65535");
			o->udp_port = (uint16_t)v;
			break;
		case O_SRC_PORT:
			if (get_u64(optarg, 1, 65535 - 1023, &v) < 0)
				return bad(name, optarg, "expected a UDP port, 1..64512 (sessions add up to 1023)");
			o->src_port = (uint16_t)v;
			break;
		case O_SEED:
			if (get_u64(optarg, 0, INT64_MAX, &o->seed) < 0)
				return bad(name, optarg, "expected an integer, 0..2^63-1");
			break;
		case O_COOKIE:
			if (get_u64(optarg, 0, UINT32_MAX, &v) < 0)
				return bad(name, optarg, "expected a 32-bit integer");
			o->cookie = (uint32_t)v;
			o->cookie_set = true;
			break;
		case O_NDR: o->ndr = true; break;
		case O_NDR_RES:
			if (get_pct(optarg, 0.01, 50, &d) < 0)
				return bad(name, optarg, "expected a percentage, 0.01..50");
			o->ndr_resolution = d;
			break;
		case O_NDR_LOSS:
			if (get_pct(optarg, 0, 100, &d) < 0)
				return bad(name, optarg, "expected a percentage, 0..100");
			o->ndr_loss = d;
			break;
		case O_WINDOW:
			if (get_u64(optarg, 64, 1u << 20, &v) < 0 || (v & (v - 1)))
				return bad(name, optarg, "expected a power of two, 64..1048576");
			o->window = (uint32_t)v;
			break;
		case O_RX_QUEUES:
			if (get_u64(optarg, 1, GEN_MAX_RXQ, &v) < 0)
				return bad(name, optarg, "expected a number of queues, 1..%d", GEN_MAX_RXQ);
			o->rx_queues = (uint16_t)v;
			break;
		case O_BUCKET:
			if (get_u64(optarg, GEN_BURST, 1u << 20, &v) < 0)
				return bad(name, optarg, "expected frames, %d..1048576", GEN_BURST);
			o->bucket = (uint32_t)v;
			break;
		case O_RX_ONLY: o->rx_only = true; break;
		case O_QUIET: o->quiet = true; break;
		case O_HOLD: o->hold = true; break;
		case 'h':
			gen_usage(stdout, "pf-gen");
			return 1;
		case ':':
			fprintf(stderr, "pf-gen: %s needs a value (see pf-gen --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "pf-gen: unknown option %s (see pf-gen --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pf-gen: unexpected argument '%s' (EAL options go before --)\n",
			argv[optind]);
		return -EINVAL;
	}
	/* Combinations. */
	if (o->rx_only && !o->count) {
		fprintf(stderr, "pf-gen: --rx-only needs --count N (the requests whose answers are replayed)\n");
		return -EINVAL;
	}
	if (o->rx_only && (o->ndr || o->pcap_out)) {
		fprintf(stderr, "pf-gen: --rx-only cannot be combined with --ndr or --pcap-out\n");
		return -EINVAL;
	}
	if (o->ndr && o->pcap_out) {
		fprintf(stderr, "pf-gen: --ndr needs a port; it cannot be combined with --pcap-out\n");
		return -EINVAL;
	}
	if (o->hold && o->pcap_out) {
		fprintf(stderr, "pf-gen: --hold keeps a port up; it cannot be combined with --pcap-out\n");
		return -EINVAL;
	}
	if (o->ndr && o->count) {
		fprintf(stderr, "pf-gen: --ndr trials last --trial-seconds; --count does not apply\n");
		return -EINVAL;
	}
	return 0;
}
