/* SPDX-License-Identifier: BSD-3-Clause */
/* audit.c: the audit log -- JSON lines of control changes and of the
 * dataplane's audited executions and denials, written and fsynced in
 * batches through io_uring, rotated by size (FILE, FILE.1 .. FILE.keep). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfc.h"

#define FLUSH_MS 200            /* fsync at most this long after a record */
#define FLUSH_BYTES (256u << 10) /* or as soon as this much waits */

enum { A_IDLE, A_WRITE, A_FSYNC, A_CLOSE, A_RENAME, A_OPEN };

static void step(struct pf_audit_log *a);

int
pf_audit_init(struct pfc *d, const char *path, uint64_t max_size, unsigned int keep,
	      char *err, size_t errlen)
{
	struct pf_audit_log *a = &d->audit;
	struct stat st;

	memset(a, 0, sizeof(*a));
	snprintf(a->path, sizeof(a->path), "%s", path);
	a->max_size = max_size;
	a->keep = keep ? keep : 1;
	a->flush_ms = FLUSH_MS;
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (a->fd < 0 || fstat(a->fd, &st) < 0) {
		snprintf(err, errlen, "audit log %s: %s", path, strerror(errno));
		return -errno;
	}
	a->size = (uint64_t)st.st_size;
	return 0;
}

void
pf_audit_append_raw(struct pfc *d, const char *line, size_t len)
{
	struct pf_audit_log *a = &d->audit;

	if (a->closing)
		return;
	if (pf_buf_add(&a->pending, line, len) < 0 || pf_buf_add(&a->pending, "\n", 1) < 0) {
		a->errors++;
		return;
	}
	a->lines++;
	if (a->pending.len >= FLUSH_BYTES)
		pf_audit_tick(d);
}

void
pf_audit_append(struct pfc *d, json_t *rec)
{
	char *s = rec ? json_dumps(rec, JSON_COMPACT) : NULL;

	json_decref(rec);
	if (!s) {
		d->audit.errors++;
		return;
	}
	pf_audit_append_raw(d, s, strlen(s));
	free(s);
}

static void
done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_audit_log *a = container_of(op, struct pf_audit_log, op);

	(void)flags;
	switch (a->step) {
	case A_WRITE:
		if (res <= 0) {
			/* keep the batch: a full disk may clear; retry next tick */
			a->errors++;
			a->step = A_IDLE;
			return;
		}
		a->woff += (size_t)res;
		a->size += (uint64_t)res;
		if (a->woff < a->writing.len)
			break;
		a->step = A_FSYNC;
		break;
	case A_FSYNC:
		if (res < 0) {
			a->errors++;
		} else {
			a->fsyncs++;
			a->durable_lines = a->writing_lines;
		}
		a->writing.len = 0;
		a->woff = 0;
		if (a->size < a->max_size || a->closing) {
			a->step = A_IDLE;
			return;
		}
		a->step = A_CLOSE;
		break;
	case A_CLOSE:
		a->fd = -1;
		a->step = A_RENAME;
		a->keep_i = a->keep;
		break;
	case A_RENAME:
		/* FILE.(i-1) -> FILE.i, down to FILE -> FILE.1; missing ones are fine */
		if (res < 0 && res != -ENOENT)
			a->errors++;
		if (--a->keep_i == 0)
			a->step = A_OPEN;
		break;
	case A_OPEN:
		if (res < 0) {
			a->errors++;
			a->step = A_OPEN; /* try again next tick */
			a->retry_open = true;
			return;
		}
		a->fd = res;
		a->size = 0;
		a->rotations++;
		a->step = A_IDLE;
		return;
	}
	step(a);
}

static void
step(struct pf_audit_log *a)
{
	struct pfc *d = container_of(a, struct pfc, audit);
	struct io_uring_sqe *sqe = pf_loop_sqe(&d->loop, &a->op);

	a->op.fn = done;
	switch (a->step) {
	case A_WRITE:
		/* O_APPEND: each write lands at the end whatever the offset */
		io_uring_prep_write(sqe, a->fd, a->writing.p + a->woff,
				    (unsigned int)(a->writing.len - a->woff), (uint64_t)-1);
		break;
	case A_FSYNC:
		io_uring_prep_fsync(sqe, a->fd, IORING_FSYNC_DATASYNC);
		break;
	case A_CLOSE:
		io_uring_prep_close(sqe, a->fd);
		break;
	case A_RENAME:
		if (a->keep_i > 1)
			snprintf(a->from, sizeof(a->from), "%s.%u", a->path, a->keep_i - 1);
		else
			snprintf(a->from, sizeof(a->from), "%s", a->path);
		snprintf(a->to, sizeof(a->to), "%s.%u", a->path, a->keep_i);
		io_uring_prep_renameat(sqe, AT_FDCWD, a->from, AT_FDCWD, a->to, 0);
		break;
	case A_OPEN:
		io_uring_prep_openat(sqe, AT_FDCWD, a->path,
				     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		break;
	}
}

void
pf_audit_tick(struct pfc *d)
{
	struct pf_audit_log *a = &d->audit;

	if (a->retry_open && a->step == A_OPEN) {
		a->retry_open = false;
		step(a);
		return;
	}
	if (a->step != A_IDLE || a->fd < 0)
		return;
	if (a->writing.len == 0) {
		if (!a->pending.len)
			return;
		if (a->pending.len < FLUSH_BYTES && d->loop.now_ms - a->last_flush_ms < a->flush_ms)
			return;
		/* the batch being written and the one filling swap places */
		struct pf_buf t = a->writing;

		a->writing = a->pending;
		a->pending = t;
		a->pending.len = 0;
		a->woff = 0;
		a->writing_lines = a->lines;
	}
	a->last_flush_ms = d->loop.now_ms;
	a->bytes += a->writing.len - a->woff;
	a->step = A_WRITE;
	step(a);
}

bool
pf_audit_busy(const struct pfc *d)
{
	const struct pf_audit_log *a = &d->audit;

	return a->step != A_IDLE && !(a->step == A_OPEN && a->retry_open);
}

void
pf_audit_fini(struct pfc *d)
{
	struct pf_audit_log *a = &d->audit;

	a->closing = true;
	/* the loop has stopped: what is left is written here, synchronously */
	if (a->fd >= 0) {
		const struct pf_buf *bufs[2] = { &a->writing, &a->pending };
		size_t offs[2] = { a->woff, 0 };
		bool complete = true;

		for (int i = 0; i < 2; i++) {
			size_t off = offs[i];

			while (off < bufs[i]->len) {
				ssize_t n = write(a->fd, bufs[i]->p + off, bufs[i]->len - off);

				if (n <= 0) {
					complete = false;
					break;
				}
				off += (size_t)n;
			}
		}
		if (fdatasync(a->fd) == 0 && complete)
			a->durable_lines = a->lines;
		close(a->fd);
		a->fd = -1;
	}
	pf_buf_free(&a->writing);
	pf_buf_free(&a->pending);
}
