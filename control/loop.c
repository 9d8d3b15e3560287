/* SPDX-License-Identifier: BSD-3-Clause */
/* loop.c: pf-control's one event loop on io_uring -- every socket, file and
 * timer operation is a submission whose completion calls its owner back. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "pfc.h"

uint64_t
pf_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
pf_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
pf_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int
pf_loop_init(struct pf_loop *l, unsigned int entries)
{
	struct io_uring_params p;
	int rc;

	memset(l, 0, sizeof(*l));
	memset(&p, 0, sizeof(p));
	/* completions may outnumber submissions (multishot accept): a CQ four
	 * times the SQ, and the kernel keeps overflowed CQEs (FEAT_NODROP) */
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = entries * 4;
	rc = io_uring_queue_init_params(entries, &l->ring, &p);
	if (rc < 0)
		return rc;
	l->now_ms = pf_mono_ms();
	return 0;
}

void
pf_loop_fini(struct pf_loop *l)
{
	io_uring_queue_exit(&l->ring);
}

struct io_uring_sqe *
pf_loop_sqe(struct pf_loop *l, struct pf_op *op)
{
	struct io_uring_sqe *sqe;

	while (!(sqe = io_uring_get_sqe(&l->ring)))
		io_uring_submit(&l->ring);
	io_uring_sqe_set_data(sqe, op);
	return sqe;
}

/* Dispatch every completion there is. A callback may queue submissions
 * (even submit, when the SQ is full) but never reaps: the CQ head moves
 * only here. */
static void
reap(struct pf_loop *l)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&l->ring, head, cqe) {
		struct pf_op *op = io_uring_cqe_get_data(cqe);

		n++;
		if (op)
			op->fn(op, cqe->res, cqe->flags);
	}
	io_uring_cq_advance(&l->ring, n);
}

int
pf_loop_run(struct pf_loop *l)
{
	while (!l->quit) {
		int rc = io_uring_submit_and_wait(&l->ring, 1);

		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
			return rc;
		l->now_ms = pf_mono_ms();
		l->iterations++;
		reap(l);
	}
	return 0;
}

int
pf_loop_settle(struct pf_loop *l, bool (*busy)(void *arg), void *arg,
	       unsigned int timeout_ms)
{
	uint64_t end = pf_mono_ms() + timeout_ms;

	while (busy(arg)) {
		/* short waits: the deadline is checked between them */
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000000 };
		struct io_uring_cqe *cqe;
		int rc;

		if (pf_mono_ms() >= end)
			return -ETIMEDOUT;
		rc = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
			return rc;
		l->now_ms = pf_mono_ms();
		reap(l);
	}
	return 0;
}

static void
timer_fired(struct pf_op *op, int res, unsigned int flags)
{
	struct pf_timer *t = container_of(op, struct pf_timer, op);

	(void)res;
	(void)flags;
	if (t->stopped)
		return;
	/* re-arm first: the callback may take a while, the period should not */
	struct io_uring_sqe *sqe = pf_loop_sqe(t->loop, &t->op);
	io_uring_prep_timeout(sqe, &t->ts, 0, 0);
	t->fn(t);
}

void
pf_timer_start(struct pf_loop *l, struct pf_timer *t, unsigned int period_ms,
	       void (*fn)(struct pf_timer *t))
{
	t->op.fn = timer_fired;
	t->loop = l;
	t->fn = fn;
	t->stopped = false;
	t->ts.tv_sec = period_ms / 1000;
	t->ts.tv_nsec = (long long)(period_ms % 1000) * 1000000;
	io_uring_prep_timeout(pf_loop_sqe(l, &t->op), &t->ts, 0, 0);
}

void
pf_timer_stop(struct pf_timer *t)
{
	t->stopped = true;
}
