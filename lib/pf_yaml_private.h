/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_yaml_private.h: libyaml helpers shared by lib/'s loaders (config, rules,
 * profiles) -- one-line "FILE:LINE: KEY: expected WHAT, found WHAT" errors. */
#ifndef PF_YAML_PRIVATE_H
#define PF_YAML_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

/* Private to lib/: not installed, not part of any public header. */

/** Longest dotted key a message names; longer ones end in "...". */
#define PF_YAML_KEY_LEN 160
/** Longest excerpt of a value quoted back in a message. */
#define PF_YAML_FOUND_LEN 72
/** Longest "a, b, c" list of names in a message. */
#define PF_YAML_LIST_LEN 240
/** Most keys one mapping may be checked against (pf_yaml_map()). */
#define PF_YAML_MAX_KEYS 16

/*
 * The keys of a mapping as an X-macro list X(ID, "name"):
 * PF_YAML_DEFINE_KEYS(LIST, PREFIX) makes the enum of ids, PREFIX_COUNT
 * and PREFIX_names[], in the order messages list them.
 */
#define PF_YAML_KEY_ENUM(id, str) id,
#define PF_YAML_KEY_NAME(id, str) str,
#define PF_YAML_DEFINE_KEYS(list, prefix)                                    \
	enum { list(PF_YAML_KEY_ENUM) prefix##_COUNT };                        \
	_Static_assert(prefix##_COUNT <= PF_YAML_MAX_KEYS,                     \
		       #prefix " has too many keys");                          \
	static const char *const prefix##_names[] = { list(PF_YAML_KEY_NAME) }

/** One document being checked, and where its error message goes. */
struct pf_yaml {
	const char *name;      /**< file name in messages */
	yaml_document_t *doc;  /**< set by pf_yaml_load() */
	char *err;             /**< the message, one line */
	size_t errlen;
	/** How "at most N ..." counts text: "characters" (NULL) or "bytes". */
	const char *unit;
	char found[PF_YAML_FOUND_LEN + 8]; /**< the "found WHAT" in progress */
};

/* ---- messages ---------------------------------------------------------- */

/** 1-based line where n starts; 1 for NULL (a key left out of the file). */
unsigned long pf_yaml_line(const yaml_node_t *n);

/**
 * Write "FILE:LINE: KEY: <fmt>" to y->err; KEY "" reads "(top level)".
 * @return -EINVAL, always, so that callers can return it.
 */
int pf_yaml_fail(struct pf_yaml *y, const yaml_node_t *n, const char *key,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/**
 * Copy len bytes of s to out as one printable line: quotes, backslashes
 * and control bytes escaped, so that a value cannot split the message;
 * what does not fit in size ends in "..." (never in half a UTF-8 sequence).
 */
void pf_yaml_printable(char *out, size_t size, const unsigned char *s,
		       size_t len);

/**
 * The "found WHAT" of a message: "nothing", "a list", "a mapping", or the
 * scalar quoted and made printable. Valid until the next call with y.
 */
const char *pf_yaml_found(struct pf_yaml *y, const yaml_node_t *n);

/** "a, b, c" from names[0..n-1] into out; ends in "..." if it does not fit. */
const char *pf_yaml_join(char *out, size_t size, const char *const names[],
			 size_t n);

/** "parent.child" (or "child" at the top) into buf of PF_YAML_KEY_LEN. */
const char *pf_yaml_kjoin(char *buf, const char *parent, const char *child);

/** "parent[i]" into buf of PF_YAML_KEY_LEN. */
const char *pf_yaml_kidx(char *buf, const char *parent, size_t i);

/**
 * "FILE:LINE: KEY: expected WHAT (required), found nothing" for the key
 * child left out of the mapping m (KEY is parent.child).
 * @return -EINVAL
 */
int pf_yaml_missing(struct pf_yaml *y, const yaml_node_t *m,
		    const char *parent, const char *child, const char *what);

/* ---- nodes ------------------------------------------------------------- */

/** The text of a scalar node (NUL-terminated; may hold NUL bytes too). */
static inline const char *
pf_yaml_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/** A plain scalar YAML reads as null ("", "~", "null"...), or NULL. */
bool pf_yaml_is_null(const yaml_node_t *n);

/** n is a scalar whose whole text (NUL bytes counted) is s. */
bool pf_yaml_scalar_is(const yaml_node_t *n, const char *s);

/** The node of an index found in a mapping pair or a sequence. */
const yaml_node_t *pf_yaml_node(struct pf_yaml *y, int index);

/** Entries of the sequence node n. */
size_t pf_yaml_seq_len(const yaml_node_t *n);

/** Entry i of the sequence node n. */
const yaml_node_t *pf_yaml_seq_at(struct pf_yaml *y, const yaml_node_t *n,
				  size_t i);

/* ---- checked readers: 0 or -EINVAL with y->err written ------------------ */

/**
 * Check that n is a mapping whose keys are all among names[] (count at
 * most PF_YAML_MAX_KEYS), each once: unknown and repeated keys are errors.
 * vals[i] gets the value of names[i], or NULL when it is left out. A null
 * node is an empty mapping, so that a section whose entries are all
 * commented out is valid.
 */
int pf_yaml_map(struct pf_yaml *y, const yaml_node_t *n, const char *key,
		const char *const names[], size_t count,
		const yaml_node_t *vals[]);

/**
 * pf_yaml_map(), except that a null node is an error ("expected a mapping
 * of ..., found nothing"), and keys[i] gets the key node of names[i] (for
 * a message about the key itself rather than its value).
 */
int pf_yaml_map_strict(struct pf_yaml *y, const yaml_node_t *n,
		       const char *key, const char *const names[],
		       size_t count, const yaml_node_t *vals[],
		       const yaml_node_t *keys[]);

/**
 * Check that n is a list of min..max entries; *len gets its length. A null
 * node is an empty list (an error when min > 0).
 */
int pf_yaml_seq(struct pf_yaml *y, const yaml_node_t *n, const char *key,
		const char *what, size_t min, size_t max, size_t *len);

/**
 * Check that n is a non-null scalar of fewer than size bytes without NUL
 * bytes; *out gets its text.
 */
int pf_yaml_text(struct pf_yaml *y, const yaml_node_t *n, const char *key,
		 const char *what, size_t size, const char **out);

/**
 * Check that n is one of words[] ("drop", "pass"...): *idx gets its
 * position. Compared as C strings, as the config always has.
 */
int pf_yaml_word(struct pf_yaml *y, const yaml_node_t *n, const char *key,
		 const char *const words[], size_t count, unsigned int *idx);

/* ---- documents ---------------------------------------------------------- */

/**
 * Write the message of a failed yaml_parser_load() to err: "FILE:LINE:
 * syntax error: PROBLEM (CONTEXT at line N)". A reader error (bad UTF-8)
 * has no line of its own: it is counted in buf when the input is in
 * memory, taken from the parser's position when buf is NULL.
 * @return -EINVAL, or -ENOMEM when libyaml ran out of memory
 */
int pf_yaml_syntax_error(const yaml_parser_t *p, const char *name,
			 const char *buf, size_t len, char *err, size_t errlen);

/**
 * Load the first document of p's input into doc and refuse a second one
 * (which libyaml would otherwise ignore silently); y->doc = doc. buf and
 * len are p's input when it is in memory (NULL otherwise), for the line of
 * a reader error. On success the caller deletes doc.
 * @return 0, -EINVAL (syntax error, second document) or -ENOMEM, with
 *   y->err written and doc not held
 */
int pf_yaml_load(struct pf_yaml *y, yaml_parser_t *p, yaml_document_t *doc,
		 const char *buf, size_t len);

/**
 * Read the whole of path (a pipe too) into *buf (malloc'd, freed by the
 * caller), refusing more than 4 MiB.
 * @return 0, or -ENOENT/-EACCES/-EISDIR... ("FILE: cannot open: WHY" in
 *   err), -EFBIG/-ENOMEM/-EIO... ("FILE: cannot read: WHY")
 */
int pf_yaml_read_file(const char *path, char **buf, size_t *len, char *err,
		      size_t errlen);

#endif /* PF_YAML_PRIVATE_H */
