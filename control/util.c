/* SPDX-License-Identifier: BSD-3-Clause */
/* util.c: the growable byte buffer every response, state file and log
 * batch is built in, and a whole-file reader for start-up. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfc.h"

int
pf_buf_reserve(struct pf_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->len + n + 1 <= b->cap)
		return 0;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
pf_buf_add(struct pf_buf *b, const void *p, size_t n)
{
	if (pf_buf_reserve(b, n) < 0)
		return -ENOMEM;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0'; /* always a C string too */
	return 0;
}

int
pf_buf_printf(struct pf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pf_buf_reserve(b, 128) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= b->cap - b->len) {
		if (pf_buf_reserve(b, (size_t)n + 1) < 0)
			return -ENOMEM;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

void
pf_buf_consume(struct pf_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + n, b->len - n);
		b->len -= n;
	}
	if (b->p)
		b->p[b->len] = '\0';
}

void
pf_buf_free(struct pf_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
pf_read_file(const char *path, size_t max, struct pf_buf *out)
{
	char chunk[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	out->len = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			rc = -EFBIG;
			break;
		}
		if (pf_buf_add(out, chunk, (size_t)n) < 0) {
			rc = -ENOMEM;
			break;
		}
	}
	if (rc == 0 && pf_buf_reserve(out, 0) == 0)
		out->p[out->len] = '\0';
	close(fd);
	return rc;
}
