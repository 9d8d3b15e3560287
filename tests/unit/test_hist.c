/* SPDX-License-Identifier: BSD-3-Clause */
/* test_hist.c: CUnit suite of the log-linear histogram: bucket bounds, exact
 * min/max/mean, quantiles against sorted data, merge, subtract, overflow. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "pf_hist.h"

#define N_VALUES 200000

static uint64_t *vals;
static uint64_t *sorted;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* splitmix64: deterministic data, the same on every run. */
static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank: the value of rank ceil(ppm * n / 1e6) in sorted order,
 * computed in integers (the reference the histogram is held to). */
static uint64_t
exact_quantile(const uint64_t *s, uint64_t n, uint64_t ppm)
{
	uint64_t rank = (ppm * n + 999999) / 1000000;
	if (rank < 1)
		rank = 1;
	return s[rank - 1];
}

static const uint64_t ppms[] = { 1, 10000, 250000, 500000, 900000, 990000, 999000,
				 999900, 999990, 1000000 };

/* Records n values, then checks every quantile, min, max, mean and count
 * against the sorted data: r >= exact and r - exact <= exact >> sub_bits. */
static void
check_against_sorted(uint32_t sub_bits, uint64_t highest, const uint64_t *v, uint64_t n)
{
	struct pf_histogram *h = pf_histogram_create(sub_bits, highest);
	unsigned __int128 sum = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (uint64_t i = 0; i < n; i++) {
		pf_histogram_record(h, v[i]);
		sorted[i] = v[i];
		sum += v[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	CU_ASSERT_EQUAL(h->count, n);
	CU_ASSERT_EQUAL(h->min, sorted[0]);
	CU_ASSERT_EQUAL(h->max, sorted[n - 1]);
	CU_ASSERT_EQUAL(h->overflow, 0);
	CU_ASSERT_DOUBLE_EQUAL(pf_histogram_mean(h), (double)sum / (double)n, 1e-6);
	for (size_t k = 0; k < sizeof(ppms) / sizeof(ppms[0]); k++) {
		uint64_t x = exact_quantile(sorted, n, ppms[k]);
		uint64_t r = pf_histogram_quantile(h, (double)ppms[k] / 1e6);
		if (!(r >= x && r - x <= (x >> sub_bits)))
			fprintf(stderr, "\n  sub_bits %u q %.6f: exact %llu, histogram %llu\n",
				sub_bits, (double)ppms[k] / 1e6, (unsigned long long)x,
				(unsigned long long)r);
		CU_ASSERT_TRUE(r >= x);
		CU_ASSERT_TRUE(r - x <= (x >> sub_bits));
	}
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.0), sorted[0]);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 1.0), sorted[n - 1]);
	pf_histogram_free(h);
}

static void
test_bucket_bounds(void)
{
	for (uint32_t b = PF_HISTOGRAM_SUB_BITS_MIN; b <= 10; b++) {
		struct pf_histogram *h = pf_histogram_create(b, UINT64_MAX);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		/* Buckets tile the value range with no gap and no overlap. */
		for (uint32_t i = 0; i + 1 < h->n_buckets; i++) {
			CU_ASSERT_EQUAL_FATAL(pf_histogram_upper(h, i) + 1,
					      pf_histogram_lower(h, i + 1));
			CU_ASSERT_EQUAL_FATAL(pf_histogram_index(b, pf_histogram_lower(h, i)), i);
			CU_ASSERT_EQUAL_FATAL(pf_histogram_index(b, pf_histogram_upper(h, i)), i);
		}
		CU_ASSERT_EQUAL(pf_histogram_upper(h, h->n_buckets - 1), UINT64_MAX);
		CU_ASSERT_EQUAL(pf_histogram_index(b, UINT64_MAX), h->n_buckets - 1);
		/* Width over lower bound never exceeds 1 / 2^b. */
		for (uint32_t i = 2u << b; i < h->n_buckets; i++) {
			uint64_t lo = pf_histogram_lower(h, i);
			uint64_t w = pf_histogram_upper(h, i) - lo + 1;
			CU_ASSERT_TRUE_FATAL(w <= (lo >> b));
		}
		pf_histogram_free(h);
	}
	/* 2^7 sub-buckets: values up to 255 exact, then 128 per octave. */
	CU_ASSERT_EQUAL(pf_histogram_index(7, 255), 255);
	CU_ASSERT_EQUAL(pf_histogram_index(7, 256), 256);
	CU_ASSERT_EQUAL(pf_histogram_index(7, 257), 256);
	CU_ASSERT_EQUAL(pf_histogram_index(7, 258), 257);
	CU_ASSERT_EQUAL(pf_histogram_index(7, 511), 383);
	CU_ASSERT_EQUAL(pf_histogram_index(7, 512), 384);
}

static void
test_sizes(void)
{
	struct pf_histogram *h;

	CU_ASSERT_EQUAL(pf_histogram_size(0, 1000), 0);
	CU_ASSERT_EQUAL(pf_histogram_size(17, 1000), 0);
	errno = 0;
	CU_ASSERT_PTR_NULL(pf_histogram_create(0, 1000));
	CU_ASSERT_EQUAL(errno, EINVAL);
	h = pf_histogram_create(7, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	/* 1000 has msb 9: octaves 8 and 9 after the 256 exact buckets. */
	CU_ASSERT_EQUAL(h->n_buckets, 512);
	CU_ASSERT_TRUE(h->highest >= 1000);
	CU_ASSERT_EQUAL(pf_histogram_bytes(h), pf_histogram_size(7, 1000));
	pf_histogram_free(h);
	/* 2^40 cycles (6 minutes at 3 GHz) at 1 % error: under 50 KB. */
	CU_ASSERT_TRUE(pf_histogram_size(7, UINT64_C(1) << 40) < 50000);

	uint64_t mem[64];
	CU_ASSERT_EQUAL(pf_histogram_init((struct pf_histogram *)mem, sizeof(mem), 7, 1000),
			-EINVAL);
	CU_ASSERT_EQUAL(pf_histogram_init((struct pf_histogram *)mem, sizeof(mem), 3, 20), 0);
	CU_ASSERT_EQUAL(pf_histogram_init(NULL, sizeof(mem), 3, 20), -EINVAL);
}

static void
test_empty(void)
{
	struct pf_histogram *h = pf_histogram_create(7, 1u << 20);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.5), 0);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 1.0), 0);
	CU_ASSERT_DOUBLE_EQUAL(pf_histogram_mean(h), 0.0, 0.0);
	CU_ASSERT_EQUAL(h->count, 0);
	CU_ASSERT_EQUAL(h->min, UINT64_MAX);
	CU_ASSERT_EQUAL(h->max, 0);
	pf_histogram_free(h);
}

/* Below 2^(sub_bits+1) every value has its own bucket: quantiles are exact. */
static void
test_small_values_exact(void)
{
	struct pf_histogram *h = pf_histogram_create(7, 1u << 20);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (uint64_t v = 1; v <= 100; v++)
		pf_histogram_record(h, v);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.5), 50);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.9), 90);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.99), 99);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.999), 100);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.01), 1);
	CU_ASSERT_DOUBLE_EQUAL(pf_histogram_mean(h), 50.5, 1e-12);
	pf_histogram_free(h);
}

static void
test_uniform(void)
{
	for (uint64_t i = 0; i < N_VALUES; i++)
		vals[i] = 1000 + rnd() % 1000000;
	for (uint32_t b = 1; b <= 12; b++)
		check_against_sorted(b, UINT64_C(1) << 40, vals, N_VALUES);
}

/* Latency-like data: a body around 20 us at 3 GHz, a long tail over five
 * decades, and a few huge outliers. */
static void
test_long_tail(void)
{
	for (uint64_t i = 0; i < N_VALUES; i++) {
		uint64_t r = rnd();
		uint64_t v = 55000 + r % 10000;
		if (r % 100 == 0)
			v <<= 1 + (r >> 40) % 10;
		if (r % 100000 == 7)
			v = UINT64_C(1) << 38;
		vals[i] = v;
	}
	check_against_sorted(7, UINT64_C(1) << 40, vals, N_VALUES);
	check_against_sorted(4, UINT64_C(1) << 40, vals, N_VALUES);
	check_against_sorted(10, UINT64_C(1) << 40, vals, N_VALUES);
}

/* Few values: nearest rank on tiny counts, and repeated values. */
static void
test_few_values(void)
{
	static const uint64_t v1[] = { 123456789 };
	static const uint64_t v3[] = { 3000, 1000, 2000 };
	static const uint64_t vrep[] = { 777777, 777777, 777777, 777777, 5 };

	check_against_sorted(7, UINT64_C(1) << 40, v1, 1);
	check_against_sorted(7, UINT64_C(1) << 40, v3, 3);
	check_against_sorted(7, UINT64_C(1) << 40, vrep, 5);
	/* A single value: every quantile is that value exactly (clamped). */
	struct pf_histogram *h = pf_histogram_create(7, UINT64_C(1) << 40);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	pf_histogram_record(h, 123456789);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.5), 123456789);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.9999), 123456789);
	pf_histogram_free(h);
}

static void
test_merge(void)
{
	struct pf_histogram *a = pf_histogram_create(7, UINT64_C(1) << 40);
	struct pf_histogram *b = pf_histogram_create(7, UINT64_C(1) << 40);
	struct pf_histogram *all = pf_histogram_create(7, UINT64_C(1) << 40);
	struct pf_histogram *other = pf_histogram_create(6, UINT64_C(1) << 40);

	CU_ASSERT_FATAL(a && b && all && other);
	for (uint64_t i = 0; i < N_VALUES; i++) {
		uint64_t v = 100 + rnd() % 5000000;
		pf_histogram_record(i % 3 ? a : b, v);
		pf_histogram_record(all, v);
	}
	CU_ASSERT_EQUAL(pf_histogram_merge(a, b), 0);
	CU_ASSERT_EQUAL(a->count, all->count);
	CU_ASSERT_EQUAL(a->sum, all->sum);
	CU_ASSERT_EQUAL(a->min, all->min);
	CU_ASSERT_EQUAL(a->max, all->max);
	CU_ASSERT_EQUAL(memcmp(a->counts, all->counts, all->n_buckets * sizeof(uint64_t)), 0);
	for (size_t k = 0; k < sizeof(ppms) / sizeof(ppms[0]); k++)
		CU_ASSERT_EQUAL(pf_histogram_quantile(a, (double)ppms[k] / 1e6),
				pf_histogram_quantile(all, (double)ppms[k] / 1e6));
	CU_ASSERT_EQUAL(pf_histogram_merge(a, other), -EINVAL);
	CU_ASSERT_EQUAL(pf_histogram_copy(other, a), -EINVAL);
	/* Merging an empty histogram changes nothing. */
	pf_histogram_reset(b);
	CU_ASSERT_EQUAL(pf_histogram_merge(a, b), 0);
	CU_ASSERT_EQUAL(a->min, all->min);
	CU_ASSERT_EQUAL(a->count, all->count);
	pf_histogram_free(a);
	pf_histogram_free(b);
	pf_histogram_free(all);
	pf_histogram_free(other);
}

/* Interval figures: (after - snapshot) holds exactly what came in between. */
static void
test_subtract(void)
{
	struct pf_histogram *run = pf_histogram_create(7, UINT64_C(1) << 40);
	struct pf_histogram *snap = pf_histogram_create(7, UINT64_C(1) << 40);
	struct pf_histogram *second = pf_histogram_create(7, UINT64_C(1) << 40);

	CU_ASSERT_FATAL(run && snap && second);
	for (int i = 0; i < 1000; i++)
		pf_histogram_record(run, 10);
	CU_ASSERT_EQUAL(pf_histogram_copy(snap, run), 0);
	for (uint64_t v = 1000; v < 2000; v++) {
		pf_histogram_record(run, v);
		pf_histogram_record(second, v);
	}
	CU_ASSERT_EQUAL(pf_histogram_subtract(run, snap), 0);
	CU_ASSERT_EQUAL(run->count, 1000);
	CU_ASSERT_EQUAL(run->sum, second->sum);
	CU_ASSERT_EQUAL(memcmp(run->counts, second->counts, run->n_buckets * sizeof(uint64_t)), 0);
	/* min and max now come from the buckets: within one bucket. */
	CU_ASSERT_TRUE(run->min <= 1000 && 1000 - run->min <= 1000 >> 7);
	CU_ASSERT_EQUAL(run->max, 1999);
	CU_ASSERT_EQUAL(pf_histogram_quantile(run, 0.5), pf_histogram_quantile(second, 0.5));
	CU_ASSERT_EQUAL(pf_histogram_quantile(run, 0.99), pf_histogram_quantile(second, 0.99));
	/* Nothing new: empty. */
	CU_ASSERT_EQUAL(pf_histogram_copy(snap, second), 0);
	CU_ASSERT_EQUAL(pf_histogram_subtract(second, snap), 0);
	CU_ASSERT_EQUAL(second->count, 0);
	CU_ASSERT_EQUAL(pf_histogram_quantile(second, 0.5), 0);
	pf_histogram_free(run);
	pf_histogram_free(snap);
	pf_histogram_free(second);
}

/* Values past the top bucket are clamped into it and counted; max stays exact. */
static void
test_overflow(void)
{
	struct pf_histogram *h = pf_histogram_create(7, 100000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (int i = 0; i < 99; i++)
		pf_histogram_record(h, 50);
	pf_histogram_record(h, UINT64_C(1) << 50);
	CU_ASSERT_EQUAL(h->overflow, 1);
	CU_ASSERT_EQUAL(h->count, 100);
	CU_ASSERT_EQUAL(h->max, UINT64_C(1) << 50);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 1.0), UINT64_C(1) << 50);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.99), 50);
	CU_ASSERT_TRUE(pf_histogram_quantile(h, 0.999) >= 100000);
	pf_histogram_record_n(h, 60, 100);
	CU_ASSERT_EQUAL(h->count, 200);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.75), 60);
	pf_histogram_reset(h);
	CU_ASSERT_EQUAL(h->count, 0);
	CU_ASSERT_EQUAL(h->overflow, 0);
	CU_ASSERT_EQUAL(pf_histogram_quantile(h, 0.5), 0);
	pf_histogram_free(h);
}

int
main(void)
{
	vals = calloc(N_VALUES, sizeof(*vals));
	sorted = calloc(N_VALUES, sizeof(*sorted));
	if (!vals || !sorted || CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("hist", NULL, NULL);
	CU_add_test(s, "bucket bounds tile the range", test_bucket_bounds);
	CU_add_test(s, "sizes and argument checks", test_sizes);
	CU_add_test(s, "empty histogram", test_empty);
	CU_add_test(s, "small values are exact", test_small_values_exact);
	CU_add_test(s, "uniform data vs sorted quantiles", test_uniform);
	CU_add_test(s, "long-tailed data vs sorted quantiles", test_long_tail);
	CU_add_test(s, "one, three and repeated values", test_few_values);
	CU_add_test(s, "merge of per-lcore histograms", test_merge);
	CU_add_test(s, "subtract a snapshot", test_subtract);
	CU_add_test(s, "overflow and reset", test_overflow);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned int failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	free(vals);
	free(sorted);
	return failed ? 1 : 0;
}
