/* SPDX-License-Identifier: BSD-3-Clause */
/* test_stats.c: CUnit suite of the stats segment: histogram buckets and
 * quantiles, a 3-lcore segment summed and read back, the directory's seqlock. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "pf_stats.h"

static char path[128];
static struct pf_stats_hdr *hdr;
static struct pf_stats_lcore *lc;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* splitmix64: the same data on every run */
static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
setup(void)
{
	snprintf(path, sizeof(path), "/tmp/pf-test-stats-%d", (int)getpid());
	return 0;
}

static int
teardown(void)
{
	if (hdr)
		pf_stats_destroy(hdr, path);
	hdr = NULL;
	unlink(path);
	return 0;
}

/* ---- drop reasons -------------------------------------------------------- */

static void
test_drop_names(void)
{
	CU_ASSERT_STRING_EQUAL(pf_drop_name(PF_DROP_NOT_IPV4), "not_ipv4");
	CU_ASSERT_STRING_EQUAL(pf_drop_name(PF_DROP_RING_FULL), "ring_full");
	CU_ASSERT_STRING_EQUAL(pf_drop_name(PF_DROP_MAX - 1), "shutdown");
	CU_ASSERT_STRING_EQUAL(pf_drop_desc(PF_DROP_RING_FULL), "the worker's ring was full");
	CU_ASSERT_PTR_NULL(pf_drop_name(PF_DROP_MAX));
	CU_ASSERT_PTR_NULL(pf_drop_desc(PF_DROP_MAX));
	CU_ASSERT_PTR_NULL(pf_drop_name(~0u));
	for (unsigned int i = 0; i < PF_DROP_MAX; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(pf_drop_name(i));
		CU_ASSERT_PTR_NOT_NULL_FATAL(pf_drop_desc(i));
		CU_ASSERT_TRUE(strlen(pf_drop_desc(i)) > 0);
		/* metric labels: lower case, digits and '_' only */
		CU_ASSERT_EQUAL(strspn(pf_drop_name(i), "abcdefghijklmnopqrstuvwxyz0123456789_"),
				strlen(pf_drop_name(i)));
		for (unsigned int j = 0; j < i; j++)
			CU_ASSERT_STRING_NOT_EQUAL(pf_drop_name(i), pf_drop_name(j));
	}
}

/* ---- histogram --------------------------------------------------------------- */

static void
check_value(uint64_t v, unsigned int *bad)
{
	unsigned int b = pf_hist_bucket(v);

	if (b >= PF_HIST_BUCKETS || pf_hist_lower(b) > v || v > pf_hist_upper(b)) {
		if ((*bad)++ < 5)
			fprintf(stderr, "\n    value %llu: bucket %u [%llu, %llu]\n",
				(unsigned long long)v, b,
				(unsigned long long)pf_hist_lower(b),
				(unsigned long long)pf_hist_upper(b));
	}
}

/* Heap copies of the 64-byte aligned per-lcore block: aligned (a compiler
 * may use 64-byte aligned vector moves on them) and zeroed, at sizes that
 * are and are not multiples of 64, after allocations that shift the heap. */
static void
test_zalloc(void)
{
	void *keep[16];

	for (unsigned int i = 0; i < 16; i++) {
		keep[i] = malloc(24 + 40 * i);
		size_t size = i % 2 ? sizeof(struct pf_stats_lcore) : 100 + 7 * i;
		unsigned char *p = pf_stats_zalloc(size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL((uintptr_t)p % 64, 0);
		size_t nonzero = 0;
		for (size_t b = 0; b < size; b++)
			nonzero += p[b] != 0;
		CU_ASSERT_EQUAL(nonzero, 0);
		free(p);
	}
	for (unsigned int i = 0; i < 16; i++)
		free(keep[i]);
}

static void
test_hist_buckets(void)
{
	unsigned int bad = 0, prev = 0;

	/* every value up to 2^16, monotonic */
	for (uint64_t v = 0; v < 65536; v++) {
		unsigned int b = pf_hist_bucket(v);

		check_value(v, &bad);
		CU_ASSERT_TRUE(b >= prev);
		prev = b;
	}
	/* around every power of two, and random values of every magnitude */
	for (unsigned int k = 0; k < 64; k++)
		for (int64_t d = -2; d <= 2; d++)
			check_value((1ull << k) + (uint64_t)d, &bad);
	for (int i = 0; i < 200000; i++)
		check_value(rnd() >> (rnd() % 64), &bad);
	check_value(UINT64_MAX, &bad);
	CU_ASSERT_EQUAL(bad, 0);

	/* contiguous: each bucket starts right after the previous one ends,
	 * and its bounds fall in it */
	CU_ASSERT_EQUAL(pf_hist_lower(0), 0);
	for (unsigned int b = 0; b + 1 < PF_HIST_BUCKETS; b++) {
		CU_ASSERT_EQUAL(pf_hist_upper(b) + 1, pf_hist_lower(b + 1));
		CU_ASSERT_EQUAL(pf_hist_bucket(pf_hist_lower(b)), b);
		CU_ASSERT_EQUAL(pf_hist_bucket(pf_hist_upper(b)), b);
		CU_ASSERT_TRUE(pf_hist_lower(b) <= pf_hist_upper(b));
	}
	CU_ASSERT_EQUAL(pf_hist_upper(PF_HIST_BUCKETS - 1), UINT64_MAX);
	/* exact below 8, then 4 per octave: the header's numbers */
	for (unsigned int v = 0; v < 8; v++)
		CU_ASSERT_EQUAL(pf_hist_bucket(v), v);
	CU_ASSERT_EQUAL(pf_hist_bucket(8), 8);
	CU_ASSERT_EQUAL(pf_hist_bucket(16), 12);
	CU_ASSERT_EQUAL(pf_hist_lower(12), 16);
	CU_ASSERT_EQUAL(pf_hist_upper(12), 19);
	CU_ASSERT_EQUAL(pf_hist_bucket((1ull << 41) - 1), PF_HIST_BUCKETS - 1);
	CU_ASSERT_EQUAL(pf_hist_bucket(1ull << 41), PF_HIST_BUCKETS - 1);
	CU_ASSERT_EQUAL(pf_hist_bucket(1ull << 40), PF_HIST_BUCKETS - 4);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_hist_quantiles(void)
{
	static uint64_t hist[PF_HIST_BUCKETS];
	static uint64_t vals[10007];
	static const uint32_t ppms[] = { 1, 1000, 250000, 500000, 900000, 990000,
					 999000, 1000000 };
	const uint64_t n = sizeof(vals) / sizeof(vals[0]);

	memset(hist, 0, sizeof(hist));
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 0.5), 0); /* empty */

	/* 1..100 once each: the median is 50, whose bucket is [48, 55] */
	for (uint64_t v = 1; v <= 100; v++)
		hist[pf_hist_bucket(v)]++;
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 0.5), 55);
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 0.0), 1);  /* the smallest */
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 0.01), 1);
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 0.02), 2);
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 0.07), 7);
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 0.08), 9); /* 8 is in [8, 9] */
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 0.09), 9);
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 1.0), 111); /* 100 is in [96, 111] */
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 7.0), 111); /* clamped */
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, -1.0), 1);
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, NAN), 1); /* as 0 */

	/* random latencies: the answer is the upper bound of the bucket of
	 * the value at rank ceil(q n) of the sorted data */
	memset(hist, 0, sizeof(hist));
	for (uint64_t i = 0; i < n; i++) {
		vals[i] = 100 + rnd() % (1u << (rnd() % 24));
		hist[pf_hist_bucket(vals[i])]++;
	}
	qsort(vals, n, sizeof(vals[0]), cmp_u64);
	for (size_t i = 0; i < sizeof(ppms) / sizeof(ppms[0]); i++) {
		uint64_t rank = ((uint64_t)ppms[i] * n + 999999) / 1000000;
		uint64_t want = pf_hist_upper(pf_hist_bucket(vals[(rank ? rank : 1) - 1]));

		CU_ASSERT_EQUAL(pf_hist_quantile(hist, ppms[i] / 1e6), want);
	}
	/* and a value in the last bucket answers UINT64_MAX at q = 1 */
	hist[PF_HIST_BUCKETS - 1]++;
	CU_ASSERT_EQUAL(pf_hist_quantile(hist, 1.0), UINT64_MAX);
}

/* ---- the segment ------------------------------------------------------------- */

/* Fills lcore l with counters that depend on (l, field), so that a sum that
 * mixes fields up, or skips an lcore, gives a different total. */
static void
fill(struct pf_stats_lcore *s, unsigned int l)
{
	s->rx = 1000 * (l + 1);
	s->tx = 900 * (l + 1);
	for (unsigned int d = 0; d < PF_DROP_MAX; d++)
		s->drops[d] = l + d + 1;
	s->errors[6] = 7 * l;
	s->classified = 11 + l;
	s->heartbeat = 1u << l;
	s->element_exec[PF_ELEMENT_COUNT] = 5 + l;
	s->group_exec[PF_GROUP_COUNT] = 3;
	s->caps[3].exec = 100 + l;
	s->caps[3].cycles = 12345ull * (l + 1);
	s->caps[3].hist[pf_hist_bucket(1000)] = 10 + l;
	s->caps[PF_STATS_CAP_SLOTS - 1].hist[PF_HIST_BUCKETS - 1] = l;
}

static void
test_create_open_sum(void)
{
	struct pf_stats_lcore *sum = calloc(1, sizeof(*sum));
	struct pf_stats_cap_info dir[PF_STATS_CAP_SLOTS];
	struct pf_stats_view v;
	uint64_t drops = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_EQUAL_FATAL(pf_stats_create(path, 3, &hdr, &lc), 0);
	CU_ASSERT_EQUAL(hdr->magic, PF_STATS_MAGIC);
	CU_ASSERT_EQUAL(hdr->version, PF_STATS_VERSION);
	CU_ASSERT_EQUAL(hdr->size, pf_stats_size(3));
	CU_ASSERT_EQUAL(hdr->pid, (uint64_t)getpid());
	CU_ASSERT_EQUAL(hdr->n_lcores, 3);
	CU_ASSERT_EQUAL(hdr->lcores_off % 4096, 0);
	CU_ASSERT_EQUAL((uintptr_t)lc % 64, 0);
	CU_ASSERT_EQUAL((uint8_t *)lc - (uint8_t *)hdr, (ptrdiff_t)hdr->lcores_off);
	CU_ASSERT_EQUAL(hdr->dir_seq, 0);
	CU_ASSERT_TRUE(hdr->start_ns > 0);

	for (unsigned int l = 0; l < 3; l++)
		fill(&lc[l], l);
	pf_stats_dir_begin(hdr);
	CU_ASSERT_EQUAL(hdr->dir_seq & 1, 1);
	hdr->caps[0].id = 1;
	snprintf(hdr->caps[0].name, PF_NAME_LEN, "echo");
	hdr->caps[7].id = 10;
	hdr->caps[7].group = 2;
	snprintf(hdr->caps[7].name, PF_NAME_LEN, "ingest");
	pf_stats_dir_end(hdr);
	CU_ASSERT_EQUAL(hdr->dir_seq, 2);

	CU_ASSERT_EQUAL_FATAL(pf_stats_open(path, &v), 0);
	CU_ASSERT_EQUAL(v.size, pf_stats_size(3));
	CU_ASSERT_EQUAL(v.hdr->n_lcores, 3);
	CU_ASSERT_TRUE(v.fd >= 0);

	pf_stats_sum(&v, sum);
	CU_ASSERT_EQUAL(sum->rx, 6000);
	CU_ASSERT_EQUAL(sum->tx, 5400);
	for (unsigned int d = 0; d < PF_DROP_MAX; d++) {
		CU_ASSERT_EQUAL(sum->drops[d], 3 * d + 6);
		drops += 3 * d + 6;
	}
	CU_ASSERT_EQUAL(pf_stats_drops_total(sum), drops);
	CU_ASSERT_EQUAL(pf_stats_drops_total(&v.lcores[0]), (uint64_t)PF_DROP_MAX * (PF_DROP_MAX + 1) / 2);
	CU_ASSERT_EQUAL(sum->errors[6], 21);
	CU_ASSERT_EQUAL(sum->errors[5], 0);
	CU_ASSERT_EQUAL(sum->classified, 36);
	CU_ASSERT_EQUAL(sum->heartbeat, 7);
	CU_ASSERT_EQUAL(sum->element_exec[PF_ELEMENT_COUNT], 18);
	CU_ASSERT_EQUAL(sum->group_exec[PF_GROUP_COUNT], 9);
	CU_ASSERT_EQUAL(sum->caps[3].exec, 303);
	CU_ASSERT_EQUAL(sum->caps[3].cycles, 12345ull * 6);
	CU_ASSERT_EQUAL(sum->caps[3].hist[pf_hist_bucket(1000)], 33);
	CU_ASSERT_EQUAL(sum->caps[3].hist[pf_hist_bucket(1000) + 1], 0);
	CU_ASSERT_EQUAL(sum->caps[PF_STATS_CAP_SLOTS - 1].hist[PF_HIST_BUCKETS - 1], 3);
	CU_ASSERT_EQUAL(sum->caps[2].exec, 0);
	CU_ASSERT_EQUAL(sum->passed, 0);

	/* MAP_SHARED: the writer's later stores show through */
	lc[1].rx += 5;
	pf_stats_sum(&v, sum);
	CU_ASSERT_EQUAL(sum->rx, 6005);

	CU_ASSERT_EQUAL(pf_stats_dir(&v, dir), 8);
	CU_ASSERT_EQUAL(dir[0].id, 1);
	CU_ASSERT_STRING_EQUAL(dir[0].name, "echo");
	CU_ASSERT_EQUAL(dir[7].id, 10);
	CU_ASSERT_EQUAL(dir[7].group, 2);
	CU_ASSERT_STRING_EQUAL(dir[7].name, "ingest");
	CU_ASSERT_EQUAL(dir[3].id, 0);

	pf_stats_close(&v);
	CU_ASSERT_PTR_NULL(v.hdr);
	CU_ASSERT_EQUAL(v.fd, -1);
	free(sum);
}

static void
test_create_bad(void)
{
	struct pf_stats_hdr *h = (struct pf_stats_hdr *)1;
	struct pf_stats_lcore *l = (struct pf_stats_lcore *)1;

	CU_ASSERT_EQUAL(pf_stats_create(path, 0, &h, &l), -EINVAL);
	CU_ASSERT_PTR_NULL(h);
	CU_ASSERT_PTR_NULL(l);
	CU_ASSERT_EQUAL(pf_stats_create(path, PF_STATS_MAX_LCORES + 1, &h, &l), -EINVAL);
	CU_ASSERT_EQUAL(pf_stats_create("/nonexistent-dir/pf-stats", 1, &h, &l), -ENOENT);
	CU_ASSERT_EQUAL(pf_stats_create(path, PF_STATS_MAX_LCORES, &h, &l), 0);
	pf_stats_destroy(h, path);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
}

/* A dataplane restarting while a reader maps the old segment: the reader
 * keeps the old one (no SIGBUS), a new open gets the new one. */
static void
test_recreate_under_reader(void)
{
	struct pf_stats_hdr *h2;
	struct pf_stats_lcore *l2;
	struct pf_stats_lcore *sum = calloc(1, sizeof(*sum));
	struct pf_stats_view old, cur;
	char tmp[160];

	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_EQUAL_FATAL(pf_stats_create(path, 2, &hdr, &lc), 0);
	lc[0].rx = 77;
	CU_ASSERT_EQUAL_FATAL(pf_stats_open(path, &old), 0);
	CU_ASSERT_EQUAL_FATAL(pf_stats_create(path, 1, &h2, &l2), 0);
	l2[0].rx = 5;
	pf_stats_sum(&old, sum); /* touches every page of the old mapping */
	CU_ASSERT_EQUAL(sum->rx, 77);
	CU_ASSERT_EQUAL_FATAL(pf_stats_open(path, &cur), 0);
	CU_ASSERT_EQUAL(cur.hdr->n_lcores, 1);
	pf_stats_sum(&cur, sum);
	CU_ASSERT_EQUAL(sum->rx, 5);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	CU_ASSERT_EQUAL(access(tmp, F_OK), -1); /* no temporary left behind */
	pf_stats_close(&old);
	pf_stats_close(&cur);
	pf_stats_destroy(h2, NULL);
	free(sum);
}

static int
write_file(const char *p, const void *data, size_t len)
{
	FILE *f = fopen(p, "wb");
	size_t w;

	if (!f)
		return -1;
	w = fwrite(data, 1, len, f);
	fclose(f);
	return w == len ? 0 : -1;
}

/* pf_stats_open() on path, expecting rc; a success is closed again. */
static int
open_rc(const char *p)
{
	struct pf_stats_view v;
	int rc = pf_stats_open(p, &v);

	if (rc == 0)
		pf_stats_close(&v);
	else if (v.hdr != NULL || v.fd != -1)
		return 1; /* a failed open leaves the view empty */
	return rc;
}

static void
test_open_errors(void)
{
	char other[160];
	char *junk;
	size_t junk_len = pf_stats_size(2);

	snprintf(other, sizeof(other), "%s-other", path);
	CU_ASSERT_EQUAL(open_rc("/tmp/pf-test-stats-no-such-file"), -ENOENT);
	CU_ASSERT_EQUAL(open_rc("/tmp"), -EPROTO); /* a directory */

	/* not a segment: empty, short, and segment-sized garbage */
	CU_ASSERT_EQUAL_FATAL(write_file(other, "", 0), 0);
	CU_ASSERT_EQUAL(open_rc(other), -EPROTO);
	CU_ASSERT_EQUAL_FATAL(write_file(other, "hello\n", 6), 0);
	CU_ASSERT_EQUAL(open_rc(other), -EPROTO);
	junk = malloc(junk_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(junk);
	for (size_t i = 0; i < junk_len; i++)
		junk[i] = (char)rnd();
	CU_ASSERT_EQUAL_FATAL(write_file(other, junk, junk_len), 0);
	CU_ASSERT_EQUAL(open_rc(other), -EPROTO);
	free(junk);
	unlink(other);

	/* a real segment, then one field at a time from another build */
	CU_ASSERT_EQUAL_FATAL(pf_stats_create(path, 2, &hdr, &lc), 0);
	CU_ASSERT_EQUAL(open_rc(path), 0);
#define MISMATCH(field, bad)                                   \
	do {                                                   \
		__typeof__(hdr->field) saved = hdr->field;     \
		hdr->field = (bad);                            \
		CU_ASSERT_EQUAL(open_rc(path), -EPROTO);       \
		hdr->field = saved;                            \
		CU_ASSERT_EQUAL(open_rc(path), 0);             \
	} while (0)
	MISMATCH(magic, 0);
	MISMATCH(version, PF_STATS_VERSION + 1);
	MISMATCH(size, hdr->size + 64);
	MISMATCH(n_lcores, 3);
	MISMATCH(n_lcores, 0);
	MISMATCH(lcores_off, hdr->lcores_off + 64);
	MISMATCH(lcore_stride, hdr->lcore_stride + 64);
	MISMATCH(n_drop_reasons, PF_DROP_MAX - 1);
	MISMATCH(hist_buckets, PF_HIST_BUCKETS * 2);
	MISMATCH(hist_sub_bits, PF_HIST_SUB_BITS + 1);
#undef MISMATCH
	/* the file shorter than its header says */
	CU_ASSERT_EQUAL_FATAL(truncate(path, (off_t)hdr->size - 4096), 0);
	CU_ASSERT_EQUAL(open_rc(path), -EPROTO);
	pf_stats_destroy(hdr, path);
	hdr = NULL;
}

/* ---- the directory's sequence counter ----------------------------------------- */

struct dir_writer {
	struct pf_stats_hdr *h;
	volatile int stop;
	uint64_t rounds;
};

/* Rewrites every slot with the round number, under begin/end, until told. */
static void *
dir_writer(void *arg)
{
	struct dir_writer *w = arg;

	while (!w->stop) {
		uint16_t r = (uint16_t)(w->rounds % 60000 + 1);

		pf_stats_dir_begin(w->h);
		for (unsigned int s = 0; s < PF_STATS_CAP_SLOTS; s++) {
			w->h->caps[s].id = r;
			snprintf(w->h->caps[s].name, PF_NAME_LEN, "cap-%u", r);
		}
		pf_stats_dir_end(w->h);
		w->rounds++;
		/* the directory changes now and then, not all the time: give
		 * the reader windows to copy it whole */
		usleep(20);
	}
	return NULL;
}

static void
test_dir_consistent(void)
{
	static struct pf_stats_cap_info dir[PF_STATS_CAP_SLOTS];
	struct dir_writer w = { .stop = 0, .rounds = 0 };
	struct pf_stats_view v;
	unsigned int torn = 0, reads = 0, distinct = 0;
	uint16_t last = 0;
	pthread_t t;

	CU_ASSERT_EQUAL_FATAL(pf_stats_create(path, 1, &hdr, &lc), 0);
	CU_ASSERT_EQUAL_FATAL(pf_stats_open(path, &v), 0);
	w.h = hdr;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, dir_writer, &w), 0);
	/* every copy must come from one round: same id everywhere, names
	 * matching ids */
	while (reads < 5000 || (distinct < 10 && reads < 200000)) {
		char want[PF_NAME_LEN];
		unsigned int n = pf_stats_dir(&v, dir);

		reads++;
		if (n == 0)
			continue; /* before the first round */
		CU_ASSERT_EQUAL(n, PF_STATS_CAP_SLOTS);
		snprintf(want, sizeof(want), "cap-%u", dir[0].id);
		for (unsigned int s = 0; s < PF_STATS_CAP_SLOTS; s++)
			if (dir[s].id != dir[0].id || strcmp(dir[s].name, want) != 0) {
				torn++;
				break;
			}
		if (dir[0].id != last)
			distinct++;
		last = dir[0].id;
	}
	w.stop = 1;
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(torn, 0);
	CU_ASSERT_TRUE(distinct >= 2); /* the reader did see the writer work */
	CU_ASSERT_TRUE(w.rounds > 0);

	/* a writer that died inside an update: the reader gives up, says 0 */
	pf_stats_dir_begin(hdr);
	CU_ASSERT_EQUAL(pf_stats_dir(&v, dir), 0);
	CU_ASSERT_EQUAL(dir[0].id, 0);
	pf_stats_dir_end(hdr);
	CU_ASSERT_EQUAL(pf_stats_dir(&v, dir), PF_STATS_CAP_SLOTS);
	pf_stats_close(&v);
	pf_stats_destroy(hdr, path);
	hdr = NULL;
}

int
main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("stats: names and histogram", setup, teardown);
	CU_add_test(s, "drop reason names", test_drop_names);
	CU_add_test(s, "histogram buckets", test_hist_buckets);
	CU_add_test(s, "histogram quantiles", test_hist_quantiles);
	CU_add_test(s, "aligned, zeroed copies of the lcore block", test_zalloc);
	s = CU_add_suite("stats: segment", setup, teardown);
	CU_add_test(s, "create, open, sum, directory", test_create_open_sum);
	CU_add_test(s, "create refuses bad sizes", test_create_bad);
	CU_add_test(s, "re-create under a reader", test_recreate_under_reader);
	CU_add_test(s, "open refuses what is not this layout", test_open_errors);
	CU_add_test(s, "directory copies are consistent", test_dir_consistent);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
