/* SPDX-License-Identifier: BSD-3-Clause */
/* store.c: durable state files, written through io_uring as temp file,
 * write, fsync, rename, fsync of the directory: a write acknowledged is on
 * disk, and a crash at any step leaves the old file or the new one. Each
 * user has its own writer (jobs; the audit read positions), so one never
 * finds the other's write in progress. */
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
	s->jobs.fd = -1;
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

static void step(struct pf_store_w *w);

static void
finish(struct pf_store_w *w, int rc)
{
	pf_store_cb cb = w->cb;
	void *arg = w->arg;

	if (w->fd >= 0) {
		close(w->fd); /* error path only: the normal one closes in the ring */
		w->fd = -1;
	}
	if (rc < 0)
		unlinkat(w->d->store.dir_fd, w->tmp, 0);
	w->busy = false;
	w->data.len = 0;
	cb(w->d, arg, rc);
}

static void
done(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_store_w *w = container_of(op, struct pf_store_w, op);
	struct pf_store *s = &w->d->store;

	(void)flags;
	if (res < 0 && w->step != ST_CLOSE) {
		finish(w, res);
		return;
	}
	switch (w->step) {
	case ST_OPEN:
		w->fd = res;
		w->step = w->data.len ? ST_WRITE : ST_FSYNC;
		break;
	case ST_WRITE:
		if (res == 0) {
			finish(w, -EIO);
			return;
		}
		w->off += (size_t)res;
		if (w->off >= w->data.len)
			w->step = ST_FSYNC;
		break;
	case ST_FSYNC:
		w->step = ST_CLOSE;
		s->fsyncs++;
		break;
	case ST_CLOSE:
		w->fd = -1;
		w->step = ST_RENAME;
		break;
	case ST_RENAME:
		w->step = ST_DIRSYNC;
		break;
	case ST_DIRSYNC:
		s->fsyncs++;
		s->writes++;
		finish(w, 0);
		return;
	}
	step(w);
}

static void
step(struct pf_store_w *w)
{
	int dir_fd = w->d->store.dir_fd;
	struct io_uring_sqe *sqe = pf_loop_sqe(&w->d->loop, &w->op);

	w->op.fn = done;
	switch (w->step) {
	case ST_OPEN:
		io_uring_prep_openat(sqe, dir_fd, w->tmp,
				     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		break;
	case ST_WRITE:
		io_uring_prep_write(sqe, w->fd, w->data.p + w->off,
				    (unsigned int)(w->data.len - w->off), w->off);
		break;
	case ST_FSYNC:
		io_uring_prep_fsync(sqe, w->fd, 0);
		break;
	case ST_CLOSE:
		io_uring_prep_close(sqe, w->fd);
		break;
	case ST_RENAME:
		io_uring_prep_renameat(sqe, dir_fd, w->tmp, dir_fd, w->name, 0);
		break;
	case ST_DIRSYNC:
		/* the rename is durable once the directory is */
		io_uring_prep_fsync(sqe, dir_fd, 0);
		break;
	}
}

int
pf_store_write(struct pfc *d, struct pf_store_w *w, const char *name, const void *data,
	       size_t len, pf_store_cb cb, void *arg)
{
	if (w->busy)
		return -EBUSY;
	w->data.len = 0;
	if (pf_buf_add(&w->data, data, len) < 0)
		return -ENOMEM;
	w->d = d;
	w->busy = true;
	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->tmp, sizeof(w->tmp), ".%s.tmp", name);
	w->cb = cb;
	w->arg = arg;
	w->off = 0;
	w->fd = -1;
	w->step = ST_OPEN;
	step(w);
	return 0;
}

/* write() all of it; EINTR is retried. */
static int
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pf_store_write_now(struct pfc *d, const char *name, const void *data, size_t len)
{
	struct pf_store *s = &d->store;
	char tmp[96];
	int fd, rc;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(s->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(s->dir_fd, tmp, s->dir_fd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(s->dir_fd, tmp, 0);
		return rc;
	}
	s->fsyncs += 2;
	s->writes++;
	return fsync(s->dir_fd) < 0 ? -errno : 0;
}
