/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_stats.c: the stats segment -- creating it (writer), mapping, summing and
 * reading its directory (readers), drop-reason names, histogram quantiles. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pf_stats.h"

/*
 * pf_stats_sum() adds two lcores' counters word by word, which is the same as
 * field by field only while every field is a uint64_t. The counts below are
 * the fields of the structs; adding a field changes the size and fires this
 * assert, so whoever adds it checks that it is a uint64_t counter too.
 */
_Static_assert(sizeof(struct pf_stats_cap) == (3 + PF_HIST_BUCKETS) * sizeof(uint64_t),
	       "struct pf_stats_cap must hold only uint64_t counters");
_Static_assert(offsetof(struct pf_stats_lcore, caps) ==
		       (2 + PF_DROP_MAX + PF_DECODE_ERR_MAX + 32 + 14 +
			(PF_GROUP_COUNT + 1) + 2 * (PF_ELEMENT_COUNT + 1)) * sizeof(uint64_t),
	       "struct pf_stats_lcore must hold only uint64_t counters");
_Static_assert(sizeof(struct pf_stats_lcore) % sizeof(uint64_t) == 0,
	       "pf_stats_lcore is a whole number of words");

static const char *const drop_names[] = {
#define X(name, str, desc) [PF_DROP_##name] = str,
	PF_DROP_LIST(X)
#undef X
};

static const char *const drop_descs[] = {
#define X(name, str, desc) [PF_DROP_##name] = desc,
	PF_DROP_LIST(X)
#undef X
};

const char *
pf_drop_name(unsigned int reason)
{
	return reason < PF_DROP_MAX ? drop_names[reason] : NULL;
}

const char *
pf_drop_desc(unsigned int reason)
{
	return reason < PF_DROP_MAX ? drop_descs[reason] : NULL;
}

/* Offset of the lcore array: the header rounded up to a page. */
static size_t
lcores_offset(void)
{
	return pf_stats_size(0);
}

/* ---- writer ------------------------------------------------------------- */

/*
 * The segment is built under a temporary name and renamed over path once its
 * header is complete. A reader that still maps an older segment at path (a
 * previous run's) keeps that inode and reads stale counters; truncating the
 * file it maps would make its next read SIGBUS instead.
 */
int
pf_stats_create(const char *path, unsigned int n_lcores,
		struct pf_stats_hdr **hdr, struct pf_stats_lcore **lcores)
{
	struct pf_stats_hdr *h;
	struct timespec ts;
	char tmp[PF_PATH_LEN + 32];
	size_t size;
	void *p = MAP_FAILED;
	int fd, rc;

	*hdr = NULL;
	*lcores = NULL;
	if (n_lcores == 0 || n_lcores > PF_STATS_MAX_LCORES)
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	size = pf_stats_size(n_lcores);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* ftruncate from 0 gives zero pages: every counter starts at 0 */
	if (ftruncate(fd, (off_t)size) < 0) {
		rc = -errno;
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}
	h = p;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->version = PF_STATS_VERSION;
	h->size = size;
	h->pid = (uint64_t)getpid();
	h->start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	h->n_lcores = n_lcores;
	h->lcores_off = (uint32_t)lcores_offset();
	h->lcore_stride = sizeof(struct pf_stats_lcore);
	h->n_drop_reasons = PF_DROP_MAX;
	h->hist_buckets = PF_HIST_BUCKETS;
	h->hist_sub_bits = PF_HIST_SUB_BITS;
	h->updated_ns = h->start_ns;
	/* A reader that sees the magic (acquire) sees every field above. */
	__atomic_store_n(&h->magic, PF_STATS_MAGIC, __ATOMIC_RELEASE);
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	close(fd); /* the mapping keeps the file */
	*hdr = h;
	*lcores = (struct pf_stats_lcore *)((uint8_t *)p + h->lcores_off);
	return 0;
fail:
	if (p != MAP_FAILED)
		munmap(p, size);
	close(fd);
	unlink(tmp);
	return rc;
}

void
pf_stats_destroy(struct pf_stats_hdr *hdr, const char *path)
{
	if (hdr)
		munmap(hdr, hdr->size);
	if (path)
		unlink(path);
}

void
pf_stats_dir_begin(struct pf_stats_hdr *hdr)
{
	/* odd: readers retry; the fence orders the increment before the
	 * directory stores that follow (seqlock writer side) */
	__atomic_store_n(&hdr->dir_seq, hdr->dir_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void
pf_stats_dir_end(struct pf_stats_hdr *hdr)
{
	/* even again, after (release) every directory store */
	__atomic_store_n(&hdr->dir_seq, hdr->dir_seq + 1, __ATOMIC_RELEASE);
}

/* ---- readers ------------------------------------------------------------ */

/* The header describes a segment of this build's layout, of `size` bytes. */
static bool
layout_ok(const struct pf_stats_hdr *h, size_t size)
{
	return __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == PF_STATS_MAGIC &&
	       h->version == PF_STATS_VERSION && h->n_lcores >= 1 &&
	       h->n_lcores <= PF_STATS_MAX_LCORES &&
	       h->lcores_off == lcores_offset() &&
	       h->lcore_stride == sizeof(struct pf_stats_lcore) &&
	       h->n_drop_reasons == PF_DROP_MAX &&
	       h->hist_buckets == PF_HIST_BUCKETS &&
	       h->hist_sub_bits == PF_HIST_SUB_BITS &&
	       h->size == pf_stats_size(h->n_lcores) && h->size == size;
}

int
pf_stats_open(const char *path, struct pf_stats_view *v)
{
	struct stat st;
	void *p = MAP_FAILED;
	int fd, rc;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(struct pf_stats_hdr) ||
	    (size_t)st.st_size > pf_stats_size(PF_STATS_MAX_LCORES)) {
		rc = -EPROTO;
		goto fail;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}
	if (!layout_ok(p, (size_t)st.st_size)) {
		rc = -EPROTO;
		goto fail;
	}
	v->hdr = p;
	v->lcores = (const struct pf_stats_lcore *)((const uint8_t *)p + v->hdr->lcores_off);
	v->size = (size_t)st.st_size;
	v->fd = fd;
	return 0;
fail:
	if (p != MAP_FAILED)
		munmap(p, (size_t)st.st_size);
	close(fd);
	return rc;
}

void
pf_stats_close(struct pf_stats_view *v)
{
	if (v->hdr)
		munmap((void *)v->hdr, v->size);
	if (v->fd >= 0)
		close(v->fd);
	memset(v, 0, sizeof(*v));
	v->fd = -1;
}

void
pf_stats_sum(const struct pf_stats_view *v, struct pf_stats_lcore *out)
{
	const size_t words = sizeof(*out) / sizeof(uint64_t);
	uint64_t *o = (uint64_t *)out;

	memset(out, 0, sizeof(*out));
	for (uint32_t l = 0; l < v->hdr->n_lcores; l++) {
		const uint64_t *in = (const uint64_t *)&v->lcores[l];

		/* each counter is stored whole by its lcore: a relaxed atomic
		 * load reads it whole, never torn */
		for (size_t w = 0; w < words; w++)
			o[w] += __atomic_load_n(&in[w], __ATOMIC_RELAXED);
	}
}

/* How long pf_stats_dir() waits for a writer to finish an update. A
 * writer holds dir_seq odd for microseconds; odd for this long means it
 * died in the middle (or is stopped in a debugger). */
#define DIR_WAIT_NS 500000000ull

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

unsigned int
pf_stats_dir(const struct pf_stats_view *v,
	     struct pf_stats_cap_info out[PF_STATS_CAP_SLOTS])
{
	const struct pf_stats_hdr *h = v->hdr;
	unsigned int used = 0;
	uint64_t deadline = 0;

	for (unsigned int tries = 0;; tries++) {
		uint64_t s1, s2;

		s1 = __atomic_load_n(&h->dir_seq, __ATOMIC_ACQUIRE);
		if (!(s1 & 1)) {
			memcpy(out, h->caps, sizeof(out[0]) * PF_STATS_CAP_SLOTS);
			/* the copy above is done before dir_seq is read again */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			s2 = __atomic_load_n(&h->dir_seq, __ATOMIC_RELAXED);
			if (s1 == s2)
				break;
		}
		/* the clock is read only once the writer is seen busy */
		if (tries == 0) {
			deadline = mono_ns() + DIR_WAIT_NS;
		} else if ((tries & 63) == 0 && mono_ns() > deadline) {
			memset(out, 0, sizeof(out[0]) * PF_STATS_CAP_SLOTS);
			return 0;
		}
		sched_yield();
	}
	for (unsigned int i = 0; i < PF_STATS_CAP_SLOTS; i++) {
		out[i].name[PF_NAME_LEN - 1] = '\0';
		if (out[i].id != 0)
			used = i + 1;
	}
	return used;
}

uint64_t
pf_stats_drops_total(const struct pf_stats_lcore *s)
{
	uint64_t t = 0;

	for (unsigned int i = 0; i < PF_DROP_MAX; i++)
		t += s->drops[i];
	return t;
}

uint64_t
pf_hist_quantile(const uint64_t hist[PF_HIST_BUCKETS], double q)
{
	uint64_t total = 0, rank, cum = 0;

	for (unsigned int b = 0; b < PF_HIST_BUCKETS; b++)
		total += hist[b];
	if (total == 0)
		return 0;
	if (!(q > 0.0)) /* also NaN */
		q = 0.0;
	if (q > 1.0)
		q = 1.0;
	/* rank of the value among 1..total, ceil(q total); q = 0 asks for the
	 * smallest. q total is a product of doubles: 0.07 * 100 is
	 * 7.000000000000001, which must still be rank 7, not 8. */
	double x = q * (double)total;
	rank = (uint64_t)x;
	if (x - (double)rank > x * 1e-12)
		rank++;
	if (rank == 0)
		rank = 1;
	if (rank > total)
		rank = total;
	for (unsigned int b = 0; b < PF_HIST_BUCKETS; b++) {
		cum += hist[b];
		if (cum >= rank)
			return pf_hist_upper(b);
	}
	return pf_hist_upper(PF_HIST_BUCKETS - 1);
}

void *
pf_stats_zalloc(size_t size)
{
	void *p = aligned_alloc(64, (size + 63) & ~(size_t)63);

	if (p)
		memset(p, 0, size);
	return p;
}
