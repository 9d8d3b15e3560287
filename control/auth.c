/* SPDX-License-Identifier: BSD-3-Clause */
/* auth.c: API bearer tokens -- the token file (owner-only permissions),
 * roles viewer < operator < admin, constant-time comparison. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfc.h"

static const char *const role_names[] = {
#define X(name, val, str) [val] = str,
	PF_API_ROLE_LIST(X)
#undef X
};

const char *
pf_api_role_name(int role)
{
	return role >= 0 && role <= PF_API_ADMIN ? role_names[role] : "?";
}

static int
role_by_name(const char *s)
{
	for (int i = PF_API_VIEWER; i <= PF_API_ADMIN; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

int
pf_auth_load(struct pf_auth *a, const char *path, char *err, size_t errlen)
{
	struct pf_buf text = { 0 };
	struct stat st;
	char *line, *save = NULL;
	int rc, lineno = 0;

	memset(a, 0, sizeof(*a));
	if (stat(path, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	/* tokens are secrets: a file others can read (or write) is refused */
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, errlen,
			 "%s: permissions %03o owner %u: expected owner %u and no access "
			 "for group or others (chmod 600 %s)", path,
			 (unsigned int)(st.st_mode & 0777), (unsigned int)st.st_uid,
			 (unsigned int)geteuid(), path);
		return -EPERM;
	}
	rc = pf_read_file(path, 1 << 20, &text);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
		goto fail;
	}
	for (line = strtok_r(text.p ? text.p : (char *)"", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char tok[256], role[32], name[64] = "";
		int n, r;

		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || *line == '\0' || *line == '\r')
			continue;
		n = sscanf(line, "%255s %31s %63s", tok, role, name);
		if (n < 2 || (r = role_by_name(role)) < 0) {
			snprintf(err, errlen,
				 "%s:%d: expected TOKEN ROLE [NAME] with ROLE one of viewer, "
				 "operator, admin", path, lineno);
			rc = -EINVAL;
			goto fail;
		}
		if (strlen(tok) < 16 || strlen(tok) >= sizeof(a->tokens[0].secret)) {
			snprintf(err, errlen, "%s:%d: expected a token of 16 to %zu characters",
				 path, lineno, sizeof(a->tokens[0].secret) - 1);
			rc = -EINVAL;
			goto fail;
		}
		struct pf_token *t = realloc(a->tokens, (a->n + 1) * sizeof(*t));
		if (!t) {
			rc = -ENOMEM;
			goto fail;
		}
		a->tokens = t;
		t = &a->tokens[a->n++];
		memset(t, 0, sizeof(*t));
		memcpy(t->secret, tok, strlen(tok) + 1); /* length checked above */
		snprintf(t->name, sizeof(t->name), "%s", n == 3 ? name : role);
		t->role = r;
	}
	if (a->n == 0) {
		snprintf(err, errlen, "%s: no tokens", path);
		rc = -EINVAL;
		goto fail;
	}
	pf_buf_free(&text);
	return 0;
fail:
	pf_buf_free(&text);
	pf_auth_free(a);
	return rc;
}

/* Same time whatever the mismatch: no byte-by-byte timing oracle. */
static bool
same(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	unsigned char diff = (unsigned char)(alen != blen);

	for (size_t i = 0; i < blen; i++)
		diff |= (unsigned char)(a[i < alen ? i : 0] ^ b[i]);
	return diff == 0;
}

int
pf_auth_check(const struct pf_auth *a, const char *header, char *who, size_t wholen)
{
	const char *tok;
	int role = PF_API_NONE;

	if (strncasecmp(header, "Bearer ", 7) != 0)
		return PF_API_NONE;
	tok = header + 7;
	while (*tok == ' ')
		tok++;
	size_t len = strlen(tok);
	while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
		len--;
	for (unsigned int i = 0; i < a->n; i++)
		if (same(a->tokens[i].secret, tok, len)) {
			role = a->tokens[i].role;
			snprintf(who, wholen, "%s", a->tokens[i].name);
		}
	return role;
}

void
pf_auth_free(struct pf_auth *a)
{
	if (a->tokens)
		memset(a->tokens, 0, a->n * sizeof(*a->tokens));
	free(a->tokens);
	a->tokens = NULL;
	a->n = 0;
}
