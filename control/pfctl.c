/* SPDX-License-Identifier: BSD-3-Clause */
/* pfctl.c: command-line client of pf-control's API -- capabilities, policy,
 * rules, health, and a top-like live view; tables for people, --json. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static const char *opt_url = "127.0.0.1:8080";
static const char *opt_unix;
static const char *opt_token;
static bool opt_json;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pfctl [-a HOST:PORT | -U PATH] [-t TOKEN | -T FILE] [--json] COMMAND\n"
		"  health                       dataplane liveness, registry, rules, versions\n"
		"  caps                         capabilities\n"
		"  cap get ID|NAME              one capability\n"
		"  cap create FILE|-            create from JSON\n"
		"  cap set ID FILE|-            replace (PUT) from JSON\n"
		"  cap patch ID JSON            merge JSON into it (null removes a key)\n"
		"  cap delete ID                delete\n"
		"  policy                       groups' and capabilities' routing\n"
		"  policy group G JSON          merge JSON into group G's policy\n"
		"  policy cap ID JSON|clear     set or clear a capability's routing override\n"
		"  rules                        Hyperscan rules in force\n"
		"  rules upload FILE|-          replace the rules (YAML or JSON)\n"
		"  metrics                      the Prometheus text\n"
		"  top [-n COUNT] [-i SECONDS]  live rates per group and element\n"
		"Environment: PFCTL_ADDR, PFCTL_UNIX, PFCTL_TOKEN (or PFCTL_TOKEN_FILE).\n");
}

/* ---- HTTP ---------------------------------------------------------------- */

static int
dial(void)
{
	int fd;

	if (opt_unix) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(opt_unix) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, opt_unix, strlen(opt_unix) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
		return fd;
	}
	char host[256];
	snprintf(host, sizeof(host), "%s", opt_url);
	char *port = strrchr(host, ':');
	if (!port)
		return -EINVAL;
	*port++ = '\0';
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		freeaddrinfo(res);
		goto fail;
	}
	freeaddrinfo(res);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -errno;
}

/* One request; *body gets the answer's body (malloc'd). @return the status
 * or -errno. */
static int
http(const char *method, const char *path, const char *in, size_t inlen, char **body)
{
	char head[1024];
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	int fd, n, status = -EPROTO;

	*body = NULL;
	if (!buf)
		return -ENOMEM;
	fd = dial();
	if (fd < 0) {
		free(buf);
		return fd;
	}
	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: pfctl\r\nConnection: close\r\n"
		     "%s%s%sContent-Length: %zu\r\n\r\n",
		     method, path, opt_token ? "Authorization: Bearer " : "",
		     opt_token ? opt_token : "", opt_token ? "\r\n" : "", inlen);
	if (write(fd, head, (size_t)n) != n || (inlen && write(fd, in, inlen) != (ssize_t)inlen)) {
		status = -errno;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (len + 1 >= cap) {
			char *g = realloc(buf, cap * 2);
			if (!g) {
				status = -ENOMEM;
				goto out;
			}
			buf = g;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	char *sep = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) != 0 || !sep || sscanf(buf + 9, "%d", &status) != 1)
		goto out;
	*body = strdup(sep + 4);
out:
	close(fd);
	free(buf);
	return status;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *b;

	if (!f)
		return NULL;
	b = malloc(cap);
	while (b) {
		size_t r = fread(b + n, 1, cap - n - 1, f);

		n += r;
		if (r == 0)
			break;
		if (n + 1 >= cap) {
			char *g = realloc(b, cap *= 2);
			if (!g) {
				free(b);
				b = NULL;
				break;
			}
			b = g;
		}
	}
	if (f != stdin)
		fclose(f);
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

/* Runs a request and hands back its JSON, or prints why not. */
static json_t *
call(const char *method, const char *path, const char *in, size_t inlen, int *status)
{
	char *body = NULL;
	json_error_t e;
	json_t *j;

	*status = http(method, path, in, inlen, &body);
	if (*status < 0) {
		fprintf(stderr, "pfctl: %s: %s\n", opt_unix ? opt_unix : opt_url, strerror(-*status));
		free(body);
		return NULL;
	}
	j = body && *body ? json_loads(body, 0, &e) : json_object();
	if (*status >= 300) {
		json_t *m = json_object_get(j, "error");

		fprintf(stderr, "pfctl: %d: %s\n", *status,
			json_is_string(m) ? json_string_value(m) : (body ? body : ""));
		json_decref(j);
		j = NULL;
	} else if (!j) {
		/* not JSON: show it as it came */
		fputs(body, stdout);
		j = json_null();
	}
	free(body);
	return j;
}

static void
print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s)
		puts(s);
	free(s);
}

/* ---- tables -------------------------------------------------------------- */

static const char *
str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* "a,b,c" from a JSON array of strings or numbers. */
static const char *
list(json_t *a, char *buf, size_t n)
{
	size_t o = 0;
	size_t i;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		if (json_is_string(v))
			o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "%s%s", i ? "," : "",
					      json_string_value(v));
		else if (json_is_integer(v))
			o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "%s%lld", i ? "," : "",
					      (long long)json_integer_value(v));
	}
	return buf;
}

static void
table_caps(json_t *j)
{
	json_t *caps = json_object_get(j, "capabilities"), *c;
	char req[96], eff[64], roles[64];
	size_t i;

	printf("%-5s %-14s %-8s %-20s %-22s %-12s %8s %s\n", "ID", "NAME", "ELEMENT", "REQUIRES",
	       "EFFECTS", "ROLES", "MAXPAY", "INTENT");
	json_array_foreach(caps, i, c) {
		printf("%-5lld %-14s %-8s %-20s %-22s %-12s %8lld %s\n",
		       (long long)json_integer_value(json_object_get(c, "id")), str(c, "name"),
		       str(c, "element"), list(json_object_get(c, "requires"), req, sizeof(req)),
		       list(json_object_get(c, "effects"), eff, sizeof(eff)),
		       list(json_object_get(c, "roles"), roles, sizeof(roles)),
		       (long long)json_integer_value(json_object_get(c, "max_payload")),
		       str(c, "intent"));
	}
}

static void
policy_row(const char *what, json_t *p)
{
	char lc[64], rep[24] = "-";
	json_t *r = json_object_get(p, "replicate");

	if (json_is_integer(r))
		snprintf(rep, sizeof(rep), "%lld", (long long)json_integer_value(r));
	printf("%-16s %-10s %-13s %-8s %s\n", what,
	       list(json_object_get(p, "lcores"), lc, sizeof(lc)), str(p, "balance"),
	       str(p, "priority"), rep);
}

static void
table_policy(json_t *j)
{
	const char *g;
	json_t *p, *c;
	size_t i;
	char what[64];

	printf("%-16s %-10s %-13s %-8s %s\n", "GROUP/CAPABILITY", "LCORES", "BALANCE", "PRIORITY",
	       "REPLICATE");
	json_object_foreach(json_object_get(j, "groups"), g, p)
		policy_row(g, p);
	json_array_foreach(json_object_get(j, "capabilities"), i, c) {
		snprintf(what, sizeof(what), "%s%s", str(c, "name"),
			 json_is_true(json_object_get(c, "override")) ? "*" : "");
		policy_row(what, json_object_get(c, "routing"));
	}
	printf("(* capability with its own routing; the others follow their group)\n");
}

static void
table_rules(json_t *j)
{
	json_t *r;
	size_t i;
	char fl[64];

	printf("%d rules (version %lld)\n%-6s %-9s %-12s %-10s %s\n",
	       (int)json_integer_value(json_object_get(j, "count")),
	       (long long)json_integer_value(json_object_get(j, "version")), "ID", "ACTION",
	       "CAPABILITY", "FLAGS", "PATTERN");
	json_array_foreach(json_object_get(j, "rules"), i, r)
		printf("%-6lld %-9s %-12s %-10s %s\n",
		       (long long)json_integer_value(json_object_get(r, "id")), str(r, "action"),
		       str(r, "capability"), list(json_object_get(r, "flags"), fl, sizeof(fl)),
		       str(r, "pattern"));
}

static void
table_health(json_t *j)
{
	json_t *dp = json_object_get(j, "dataplane"), *l;
	size_t i;

	printf("status     %s (pf-control %s, state version %lld)\n", str(j, "status"),
	       str(j, "version"),
	       (long long)json_integer_value(json_object_get(json_object_get(j, "control"),
							     "state_version")));
	printf("dataplane  pid %lld, %s, %s, registry gen %lld, rules gen %lld\n",
	       (long long)json_integer_value(json_object_get(dp, "pid")),
	       json_is_true(json_object_get(dp, "alive")) ? "alive" : "NOT ALIVE",
	       json_is_true(json_object_get(dp, "synced")) ? "synced" : "not synced",
	       (long long)json_integer_value(json_object_get(dp, "registry_gen")),
	       (long long)json_integer_value(json_object_get(dp, "rules_gen")));
	json_array_foreach(json_object_get(dp, "lcores"), i, l)
		printf("  lcore %-3lld %-5s heartbeat %lld\n",
		       (long long)json_integer_value(json_object_get(l, "lcore")),
		       json_is_true(json_object_get(l, "alive")) ? "alive" : "DEAD",
		       (long long)json_integer_value(json_object_get(l, "heartbeat")));
	printf("registry   %lld capabilities, %lld molecules, %lld roles, %lld sessions\n",
	       (long long)json_integer_value(json_object_get(json_object_get(j, "registry"), "capabilities")),
	       (long long)json_integer_value(json_object_get(json_object_get(j, "registry"), "molecules")),
	       (long long)json_integer_value(json_object_get(json_object_get(j, "registry"), "roles")),
	       (long long)json_integer_value(json_object_get(json_object_get(j, "registry"), "sessions")));
	printf("rules      %lld\n",
	       (long long)json_integer_value(json_object_get(json_object_get(j, "rules"), "count")));
	if (*str(dp, "last_error"))
		printf("last error %s\n", str(dp, "last_error"));
}

/* One screen of `top`. */
static void
top_screen(json_t *s)
{
	json_t *t = json_object_get(s, "totals"), *e, *l, *d;
	const char *k;
	size_t i;

	printf("pf-control top  %s  rx %.0f/s  tx %.0f/s  drops %.0f/s  (totals rx %lld tx %lld drops %lld)\n\n",
	       json_is_true(json_object_get(s, "alive")) ? "dataplane alive" : "DATAPLANE NOT ALIVE",
	       json_number_value(json_object_get(t, "rx_rate")),
	       json_number_value(json_object_get(t, "tx_rate")),
	       json_number_value(json_object_get(t, "drop_rate")),
	       (long long)json_integer_value(json_object_get(t, "rx")),
	       (long long)json_integer_value(json_object_get(t, "tx")),
	       (long long)json_integer_value(json_object_get(t, "drops")));
	printf("%-6s %12s %14s\n", "GROUP", "EXEC/S", "TOTAL");
	json_object_foreach(json_object_get(s, "groups"), k, e)
		printf("%-6s %12.0f %14lld\n", k, json_number_value(json_object_get(e, "rate")),
		       (long long)json_integer_value(json_object_get(e, "exec")));
	printf("\n%-8s %-14s %12s %14s %10s\n", "ELEMENT", "NAME", "EXEC/S", "TOTAL", "ERRORS");
	json_array_foreach(json_object_get(s, "elements"), i, e) {
		if (!json_integer_value(json_object_get(e, "exec")) &&
		    !json_integer_value(json_object_get(e, "errors")))
			continue; /* only elements that ran */
		printf("%s.%-5s %-14s %12.0f %14lld %10lld\n", str(e, "group"), str(e, "symbol"),
		       str(e, "name"), json_number_value(json_object_get(e, "rate")),
		       (long long)json_integer_value(json_object_get(e, "exec")),
		       (long long)json_integer_value(json_object_get(e, "errors")));
	}
	printf("\n%-6s %-6s %12s %7s\n", "LCORE", "STATE", "RX/S", "LOAD");
	json_array_foreach(json_object_get(s, "lcores"), i, l)
		printf("%-6lld %-6s %12.0f %6.1f%%\n",
		       (long long)json_integer_value(json_object_get(l, "lcore")),
		       json_is_true(json_object_get(l, "alive")) ? "alive" : "DEAD",
		       json_number_value(json_object_get(l, "rx_rate")),
		       100.0 * json_number_value(json_object_get(l, "load")));
	printf("\n%-16s %12s %14s\n", "DROP REASON", "PER S", "TOTAL");
	json_object_foreach(json_object_get(s, "drops"), k, d)
		if (json_integer_value(json_object_get(d, "total")))
			printf("%-16s %12.0f %14lld\n", k, json_number_value(json_object_get(d, "rate")),
			       (long long)json_integer_value(json_object_get(d, "total")));
}

static int
top(int count, double interval)
{
	bool tty = isatty(STDOUT_FILENO);

	for (int n = 0; count <= 0 || n < count; n++) {
		int st;
		json_t *s = call("GET", "/stats", NULL, 0, &st);

		if (!s)
			return 1;
		if (opt_json) {
			char *txt = json_dumps(s, JSON_COMPACT);
			puts(txt ? txt : "null");
			free(txt);
		} else {
			if (tty)
				printf("\033[H\033[2J");
			top_screen(s);
		}
		fflush(stdout);
		json_decref(s);
		if (count <= 0 || n + 1 < count) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - (double)(time_t)interval) * 1e9) };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

/* ---- commands ------------------------------------------------------------ */

static int
simple(const char *method, const char *path, const char *in, size_t inlen,
       void (*table)(json_t *))
{
	int st;
	json_t *j = call(method, path, in, inlen, &st);

	if (!j)
		return st < 0 ? 2 : 1;
	if (table && !opt_json)
		table(j);
	else if (!json_is_null(j) && !(json_is_object(j) && !json_object_size(j) && !opt_json))
		print_json(j); /* an empty answer (204) prints nothing */
	json_decref(j);
	return 0;
}

static int
from_file(const char *method, const char *path, const char *file, void (*table)(json_t *))
{
	size_t len;
	char *in = slurp(file, &len);
	int rc;

	if (!in) {
		fprintf(stderr, "pfctl: %s: %s\n", file, strerror(errno));
		return 2;
	}
	rc = simple(method, path, in, len, table);
	free(in);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' }, { "unix", required_argument, NULL, 'U' },
		{ "token", required_argument, NULL, 't' }, { "token-file", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },        { "help", no_argument, NULL, 'h' },
		{ "count", required_argument, NULL, 'n' }, { "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	static char tokbuf[256];
	const char *tokfile = getenv("PFCTL_TOKEN_FILE");
	int c, count = 0;
	double interval = 1.0;
	char path[512];

	if (getenv("PFCTL_ADDR"))
		opt_url = getenv("PFCTL_ADDR");
	opt_unix = getenv("PFCTL_UNIX");
	opt_token = getenv("PFCTL_TOKEN");
	while ((c = getopt_long(argc, argv, "+a:U:t:T:jhn:i:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': opt_url = optarg; opt_unix = NULL; break;
		case 'U': opt_unix = optarg; break;
		case 't': opt_token = optarg; break;
		case 'T': tokfile = optarg; break;
		case 'j': opt_json = true; break;
		case 'n': count = atoi(optarg); break;
		case 'i': interval = atof(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (tokfile && !opt_token) {
		FILE *f = fopen(tokfile, "r");

		if (!f || !fgets(tokbuf, sizeof(tokbuf), f)) {
			fprintf(stderr, "pfctl: %s: cannot read a token\n", tokfile);
			return 2;
		}
		fclose(f);
		tokbuf[strcspn(tokbuf, " \t\r\n")] = '\0';
		opt_token = tokbuf;
	}
	argv += optind;
	argc -= optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
#define IS(i, s) (argc > (i) && strcmp(argv[i], s) == 0)
	if (IS(0, "health"))
		return simple("GET", "/health", NULL, 0, table_health);
	if (IS(0, "caps"))
		return simple("GET", "/capabilities", NULL, 0, table_caps);
	if (IS(0, "metrics"))
		return simple("GET", "/metrics", NULL, 0, NULL);
	if (IS(0, "policy") && argc == 1)
		return simple("GET", "/policy", NULL, 0, table_policy);
	if (IS(0, "rules") && argc == 1)
		return simple("GET", "/rules", NULL, 0, table_rules);
	if (IS(0, "rules") && IS(1, "upload") && argc == 3)
		return from_file("PUT", "/rules", argv[2], NULL);
	if (IS(0, "top")) {
		for (int i = 1; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "-n") == 0)
				count = atoi(argv[i + 1]);
			else if (strcmp(argv[i], "-i") == 0)
				interval = atof(argv[i + 1]);
		}
		return top(count, interval > 0.05 ? interval : 1.0);
	}
	if (IS(0, "cap") && argc >= 3) {
		snprintf(path, sizeof(path), "/capabilities/%s", argv[2]);
		if (IS(1, "get"))
			return simple("GET", path, NULL, 0, NULL);
		if (IS(1, "create"))
			return from_file("POST", "/capabilities", argv[2], NULL);
		if (IS(1, "set") && argc == 4)
			return from_file("PUT", path, argv[3], NULL);
		if (IS(1, "patch") && argc == 4)
			return simple("PATCH", path, argv[3], strlen(argv[3]), NULL);
		if (IS(1, "delete")) {
			int st = simple("DELETE", path, NULL, 0, NULL);
			if (st == 0 && !opt_json)
				printf("deleted\n");
			return st;
		}
	}
	if (IS(0, "policy") && IS(1, "group") && argc == 4) {
		snprintf(path, sizeof(path), "/policy/groups/%s", argv[2]);
		return simple("PATCH", path, argv[3], strlen(argv[3]), NULL);
	}
	if (IS(0, "policy") && IS(1, "cap") && argc == 4) {
		snprintf(path, sizeof(path), "/policy/capabilities/%s", argv[2]);
		if (strcmp(argv[3], "clear") == 0)
			return simple("DELETE", path, NULL, 0, NULL);
		return simple("PUT", path, argv[3], strlen(argv[3]), NULL);
	}
#undef IS
	usage(stderr);
	return 2;
}
