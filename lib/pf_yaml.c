/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_yaml.c: the libyaml document walk shared by the config, rules and
 * profile loaders -- typed readers and one-line operator messages. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_yaml_private.h"

/* A config or profile is a few KB; refuse to read more than this. */
#define MAX_FILE (4u << 20)

/* ---- messages ---------------------------------------------------------- */

unsigned long
pf_yaml_line(const yaml_node_t *n)
{
	return n ? (unsigned long)n->start_mark.line + 1 : 1;
}

int
pf_yaml_fail(struct pf_yaml *y, const yaml_node_t *n, const char *key,
	     const char *fmt, ...)
{
	va_list ap;
	int off;

	if (!y->err || y->errlen == 0)
		return -EINVAL;
	off = snprintf(y->err, y->errlen, "%s:%lu: %s: ", y->name, pf_yaml_line(n),
		       *key ? key : "(top level)");
	if (off >= 0 && (size_t)off < y->errlen) {
		va_start(ap, fmt);
		vsnprintf(y->err + off, y->errlen - (size_t)off, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void
pf_yaml_printable(char *out, size_t size, const unsigned char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char tmp[8];
		int t;

		if (s[i] == '"' || s[i] == '\\')
			t = snprintf(tmp, sizeof(tmp), "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			t = snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
		else
			t = snprintf(tmp, sizeof(tmp), "%c", s[i]);
		if (o + (size_t)t + 4 > size) {
			/* do not cut a UTF-8 sequence in half */
			while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
				o--;
			if (o > 0 && (unsigned char)out[o - 1] >= 0xc0)
				o--;
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, tmp, (size_t)t);
		o += (size_t)t;
	}
	out[o] = '\0';
}

const char *
pf_yaml_found(struct pf_yaml *y, const yaml_node_t *n)
{
	char body[PF_YAML_FOUND_LEN];

	if (pf_yaml_is_null(n))
		return "nothing";
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SCALAR_NODE:
		pf_yaml_printable(body, sizeof(body), n->data.scalar.value,
				  n->data.scalar.length);
		snprintf(y->found, sizeof(y->found), "\"%s\"", body);
		return y->found;
	default:
		return "nothing";
	}
}

const char *
pf_yaml_join(char *out, size_t size, const char *const names[], size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t need = strlen(names[i]) + (i ? 2 : 0);

		/* room for ", ..." and the NUL whatever comes next */
		if (o + need + 6 > size) {
			snprintf(out + o, size - o, "%s...", i ? ", " : "");
			break;
		}
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? ", " : "",
				      names[i]);
	}
	return out;
}

const char *
pf_yaml_kjoin(char *buf, const char *parent, const char *child)
{
	if (snprintf(buf, PF_YAML_KEY_LEN, "%s%s%s", parent, *parent ? "." : "",
		     child) >= PF_YAML_KEY_LEN)
		memcpy(buf + PF_YAML_KEY_LEN - 4, "...", 4);
	return buf;
}

const char *
pf_yaml_kidx(char *buf, const char *parent, size_t i)
{
	if (snprintf(buf, PF_YAML_KEY_LEN, "%s[%zu]", parent, i) >= PF_YAML_KEY_LEN)
		memcpy(buf + PF_YAML_KEY_LEN - 4, "...", 4);
	return buf;
}

int
pf_yaml_missing(struct pf_yaml *y, const yaml_node_t *m, const char *parent,
		const char *child, const char *what)
{
	char k[PF_YAML_KEY_LEN];

	return pf_yaml_fail(y, m, pf_yaml_kjoin(k, parent, child),
			    "expected %s (required), found nothing", what);
}

/* ---- nodes ------------------------------------------------------------- */

bool
pf_yaml_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(pf_yaml_scalar(n), nulls[i]) == 0)
			return true;
	return false;
}

bool
pf_yaml_scalar_is(const yaml_node_t *n, const char *s)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       strcmp(pf_yaml_scalar(n), s) == 0;
}

const yaml_node_t *
pf_yaml_node(struct pf_yaml *y, int index)
{
	return yaml_document_get_node(y->doc, index);
}

size_t
pf_yaml_seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

const yaml_node_t *
pf_yaml_seq_at(struct pf_yaml *y, const yaml_node_t *n, size_t i)
{
	return pf_yaml_node(y, n->data.sequence.items.start[i]);
}

/* ---- checked readers ---------------------------------------------------- */

/* The walk behind pf_yaml_map() and pf_yaml_map_strict(). */
static int
map_walk(struct pf_yaml *y, const yaml_node_t *n, const char *key,
	 const char *const names[], size_t count, const yaml_node_t *vals[],
	 const yaml_node_t *keys[], bool strict)
{
	char list[PF_YAML_LIST_LEN], k[PF_YAML_KEY_LEN], kname[PF_YAML_FOUND_LEN];

	memset(vals, 0, count * sizeof(*vals));
	memset(keys, 0, count * sizeof(*keys));
	if (!strict && pf_yaml_is_null(n))
		return 0;
	pf_yaml_join(list, sizeof(list), names, count);
	if (!n || n->type != YAML_MAPPING_NODE)
		return pf_yaml_fail(y, n, key, "expected a mapping of %s, found %s",
				    list, pf_yaml_found(y, n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *kn = pf_yaml_node(y, p->key);
		size_t i;

		if (kn->type != YAML_SCALAR_NODE || pf_yaml_is_null(kn))
			return pf_yaml_fail(y, kn, key, "expected a key name, found %s",
					    pf_yaml_found(y, kn));
		for (i = 0; i < count; i++)
			if (pf_yaml_scalar_is(kn, names[i]))
				break;
		if (i == count) {
			pf_yaml_printable(kname, sizeof(kname), kn->data.scalar.value,
					  kn->data.scalar.length);
			return pf_yaml_fail(y, kn, pf_yaml_kjoin(k, key, kname),
					    "expected one of %s, found unknown key", list);
		}
		if (keys[i])
			return pf_yaml_fail(y, kn, pf_yaml_kjoin(k, key, names[i]),
					    "expected each key once, found it again (first at line %lu)",
					    pf_yaml_line(keys[i]));
		keys[i] = kn;
		vals[i] = pf_yaml_node(y, p->value);
	}
	return 0;
}

int
pf_yaml_map(struct pf_yaml *y, const yaml_node_t *n, const char *key,
	    const char *const names[], size_t count, const yaml_node_t *vals[])
{
	const yaml_node_t *keys[PF_YAML_MAX_KEYS];

	if (count > PF_YAML_MAX_KEYS)
		return -EINVAL; /* PF_YAML_DEFINE_KEYS asserts it at build time */
	return map_walk(y, n, key, names, count, vals, keys, false);
}

int
pf_yaml_map_strict(struct pf_yaml *y, const yaml_node_t *n, const char *key,
		   const char *const names[], size_t count,
		   const yaml_node_t *vals[], const yaml_node_t *keys[])
{
	return map_walk(y, n, key, names, count, vals, keys, true);
}

int
pf_yaml_seq(struct pf_yaml *y, const yaml_node_t *n, const char *key,
	    const char *what, size_t min, size_t max, size_t *len)
{
	*len = 0;
	if (pf_yaml_is_null(n)) {
		if (min > 0)
			return pf_yaml_fail(y, n, key, "expected %s, found nothing", what);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return pf_yaml_fail(y, n, key, "expected %s, found %s", what,
				    pf_yaml_found(y, n));
	*len = pf_yaml_seq_len(n);
	if (*len == 0 && min > 0)
		return pf_yaml_fail(y, n, key, "expected %s, found an empty list", what);
	if (*len < min || *len > max)
		return pf_yaml_fail(y, n, key, "expected %s, found %zu entries", what,
				    *len);
	return 0;
}

int
pf_yaml_text(struct pf_yaml *y, const yaml_node_t *n, const char *key,
	     const char *what, size_t size, const char **out)
{
	const char *unit = y->unit ? y->unit : "characters";

	if (!n || n->type != YAML_SCALAR_NODE || pf_yaml_is_null(n))
		return pf_yaml_fail(y, n, key, "expected %s, found %s", what,
				    pf_yaml_found(y, n));
	if (strlen(pf_yaml_scalar(n)) != n->data.scalar.length)
		return pf_yaml_fail(y, n, key, "expected %s, found text with a NUL byte",
				    what);
	if (n->data.scalar.length >= size)
		return pf_yaml_fail(y, n, key, "expected %s of at most %zu %s, found %zu %s",
				    what, size - 1, unit, n->data.scalar.length, unit);
	*out = pf_yaml_scalar(n);
	return 0;
}

int
pf_yaml_word(struct pf_yaml *y, const yaml_node_t *n, const char *key,
	     const char *const words[], size_t count, unsigned int *idx)
{
	char list[PF_YAML_LIST_LEN];

	pf_yaml_join(list, sizeof(list), words, count);
	if (n && n->type == YAML_SCALAR_NODE && !pf_yaml_is_null(n))
		for (size_t i = 0; i < count; i++)
			/* Full length: "pass\0x" is not "pass". */
			if (n->data.scalar.length == strlen(words[i]) &&
			    strcmp(pf_yaml_scalar(n), words[i]) == 0) {
				*idx = (unsigned int)i;
				return 0;
			}
	return pf_yaml_fail(y, n, key, "expected one of %s, found %s", list,
			    pf_yaml_found(y, n));
}

/* ---- documents ---------------------------------------------------------- */

int
pf_yaml_syntax_error(const yaml_parser_t *p, const char *name, const char *buf,
		     size_t len, char *err, size_t errlen)
{
	unsigned long line = (unsigned long)p->problem_mark.line + 1;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		/* reader errors carry a byte offset instead of a mark */
		if (buf) {
			line = 1;
			for (size_t i = 0; i < p->problem_offset && i < len; i++)
				line += buf[i] == '\n';
		} else {
			line = (unsigned long)p->mark.line + 1;
		}
		snprintf(err, errlen, "%s:%lu: syntax error: %s (at byte %zu)", name,
			 line, problem, p->problem_offset);
	} else if (p->context) {
		snprintf(err, errlen, "%s:%lu: syntax error: %s (%s at line %lu)", name,
			 line, problem, p->context,
			 (unsigned long)p->context_mark.line + 1);
	} else {
		snprintf(err, errlen, "%s:%lu: syntax error: %s", name, line, problem);
	}
	return -EINVAL;
}

int
pf_yaml_load(struct pf_yaml *y, yaml_parser_t *p, yaml_document_t *doc,
	     const char *buf, size_t len)
{
	yaml_document_t extra;
	const yaml_node_t *second;
	int rc;

	if (!yaml_parser_load(p, doc))
		return pf_yaml_syntax_error(p, y->name, buf, len, y->err, y->errlen);
	y->doc = doc;
	if (!yaml_document_get_root_node(doc))
		return 0; /* empty input: the stream has ended */
	/* a second document would be ignored silently: refuse it */
	if (!yaml_parser_load(p, &extra)) {
		rc = pf_yaml_syntax_error(p, y->name, buf, len, y->err, y->errlen);
		goto fail;
	}
	second = yaml_document_get_root_node(&extra);
	rc = second ? pf_yaml_fail(y, second, "",
				   "expected one YAML document, found a second one") : 0;
	yaml_document_delete(&extra);
	if (rc == 0)
		return 0;
fail:
	yaml_document_delete(doc);
	y->doc = NULL;
	return rc;
}

int
pf_yaml_read_file(const char *path, char **out, size_t *out_len, char *err,
		  size_t errlen)
{
	const char *what = "cannot open";
	char *buf = NULL, *grown;
	size_t len = 0, cap = 0;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto fail;
	}
	what = "cannot read";
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap >= MAX_FILE) {
				rc = -EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 16384;
			grown = realloc(buf, cap);
			if (!grown) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (err && errlen)
		snprintf(err, errlen, "%s: %s: %s", path, what, strerror(-rc));
	return rc;
}
