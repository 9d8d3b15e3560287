/* SPDX-License-Identifier: BSD-3-Clause */
/* store.c: durable state files, written through io_uring as temp file,
 * write, fsync, rename, fsync of the directory: a write acknowledged is on
 * disk, and a crash at any step leaves the old file or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfc.h"

enum { ST_OPEN, ST_WRITE, ST_FSYNC, ST_CLOSE, ST_RENAME, ST_DIRSYNC };

int
pf_store_init(struct pfc *d, const char *dir, char *err, size_t errlen)
{
	struct pf_store *s = &d->store;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "--state-dir %s: cannot create: %s", dir, strerror(errno));
		return -errno;
	}
	s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		snprintf(err, errlen, "--state-dir %s: cannot open: %s", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

int
pf_store_read(struct pfc *d, const char *name, struct pf_buf *out)
{
	char path[PF_PATH_LEN + 80];

	snprintf(path, sizeof(path), "%s/%s", d->store.dir, name);
	return pf_read_file(path, 256u << 20, out);
}

static void step(struct pf_store *s);

static void
finish(struct pf_store *s, int rc)
{
	struct pfc *d = container_of(s, struct pfc, store);
	pf_store_cb cb = s->cb;
	void *arg = s->arg;

	if (s->fd >= 0) {
		close(s->fd); /* error path only: the normal one closes in the ring */
		s->fd = -1;
	}
	if (rc < 0)
		unlinkat(s->dir_fd, s->tmp, 0);
	s->busy = false;
	s->data.len = 0;
	cb(d, arg, rc);
}

static void
done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_store *s = container_of(op, struct pf_store, op);

	(void)flags;
	if (res < 0 && s->step != ST_CLOSE) {
		finish(s, res);
		return;
	}
	switch (s->step) {
	case ST_OPEN:
		s->fd = res;
		s->step = s->data.len ? ST_WRITE : ST_FSYNC;
		break;
	case ST_WRITE:
		if (res == 0) {
			finish(s, -EIO);
			return;
		}
		s->off += (size_t)res;
		if (s->off >= s->data.len)
			s->step = ST_FSYNC;
		break;
	case ST_FSYNC:
		s->step = ST_CLOSE;
		s->fsyncs++;
		break;
	case ST_CLOSE:
		s->fd = -1;
		s->step = ST_RENAME;
		break;
	case ST_RENAME:
		s->step = ST_DIRSYNC;
		break;
	case ST_DIRSYNC:
		s->fsyncs++;
		s->writes++;
		finish(s, 0);
		return;
	}
	step(s);
}

static void
step(struct pf_store *s)
{
	struct pfc *d = container_of(s, struct pfc, store);
	struct io_uring_sqe *sqe = pf_loop_sqe(&d->loop, &s->op);

	s->op.fn = done;
	switch (s->step) {
	case ST_OPEN:
		io_uring_prep_openat(sqe, s->dir_fd, s->tmp,
				     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		break;
	case ST_WRITE:
		io_uring_prep_write(sqe, s->fd, s->data.p + s->off,
				    (unsigned int)(s->data.len - s->off), s->off);
		break;
	case ST_FSYNC:
		io_uring_prep_fsync(sqe, s->fd, 0);
		break;
	case ST_CLOSE:
		io_uring_prep_close(sqe, s->fd);
		break;
	case ST_RENAME:
		io_uring_prep_renameat(sqe, s->dir_fd, s->tmp, s->dir_fd, s->name, 0);
		break;
	case ST_DIRSYNC:
		/* the rename is durable once the directory is */
		io_uring_prep_fsync(sqe, s->dir_fd, 0);
		break;
	}
}

int
pf_store_write(struct pfc *d, const char *name, const void *data, size_t len,
	       pf_store_cb cb, void *arg)
{
	struct pf_store *s = &d->store;

	if (s->busy)
		return -EBUSY;
	s->data.len = 0;
	if (pf_buf_add(&s->data, data, len) < 0)
		return -ENOMEM;
	s->busy = true;
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->tmp, sizeof(s->tmp), ".%s.tmp", name);
	s->cb = cb;
	s->arg = arg;
	s->off = 0;
	s->fd = -1;
	s->step = ST_OPEN;
	step(s);
	return 0;
}
