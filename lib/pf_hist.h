/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_hist.h: a log-linear latency histogram in HdrHistogram's layout, with a
 * chosen number of sub-buckets per octave, exact min/max/mean, and merge. */
#ifndef PF_HIST_H
#define PF_HIST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Layout, for S = 2^sub_bits sub-buckets per octave: values 0 .. 2S-1 have a
 * bucket each (exact); from 2S on, every octave [2^k, 2^(k+1)) is split into
 * S equal buckets of width 2^(k - sub_bits). A value is therefore known to
 * within one bucket, whose width is less than value / S: sub_bits 7 (128
 * sub-buckets) bounds the relative error of any quantile to 1/128 = 0.78 %.
 *
 * This is a different histogram from the dataplane's fixed 2-bit one in
 * pf_stats.h (pf_hist_bucket() and friends), which lives in shared memory
 * with a fixed size; this one is sized at run time and kept in private
 * memory. Names here use the pf_histogram_ prefix so both can be included.
 */

/** Smallest and largest sub_bits accepted. */
#define PF_HISTOGRAM_SUB_BITS_MIN 1
#define PF_HISTOGRAM_SUB_BITS_MAX 16

/**
 * A histogram. Counters are plain 64-bit words written by one thread; a
 * reader on another thread may see a bucket a few records old, never a torn
 * one (aligned 64-bit stores), which is good enough for a live display (see
 * pf_histogram_subtract()).
 */
struct pf_histogram {
	uint32_t sub_bits;  /**< log2 of sub-buckets per octave */
	uint32_t n_buckets; /**< entries of counts[] */
	uint64_t highest;   /**< the top bucket holds this value (and larger) */
	uint64_t count;     /**< values recorded */
	uint64_t sum;       /**< their sum (wraps after 2^64: mean is then wrong) */
	uint64_t min;       /**< exact smallest value (UINT64_MAX when empty) */
	uint64_t max;       /**< exact largest value (0 when empty) */
	uint64_t overflow;  /**< values above the top bucket's range, clamped into it */
	uint64_t counts[];  /**< n_buckets counters */
};

/** Bucket index of value v for a histogram of 2^sub_bits sub-buckets (unclamped). */
static inline uint32_t
pf_histogram_index(uint32_t sub_bits, uint64_t v)
{
	const uint64_t sub = UINT64_C(1) << sub_bits;

	if (v < 2 * sub)
		return (uint32_t)v;
	uint32_t msb = 63u - (uint32_t)__builtin_clzll(v);
	uint32_t shift = msb - sub_bits;
	return (uint32_t)((msb - sub_bits + 1) * sub + ((v >> shift) & (sub - 1)));
}

/** Smallest value of bucket i. */
uint64_t pf_histogram_lower(const struct pf_histogram *h, uint32_t i);

/** Largest value of bucket i (UINT64_MAX for the top bucket when it overflows). */
uint64_t pf_histogram_upper(const struct pf_histogram *h, uint32_t i);

/**
 * Bytes a histogram of 2^sub_bits sub-buckets needs to tell apart every
 * value up to highest, header included; 0 when sub_bits is out of range.
 */
size_t pf_histogram_size(uint32_t sub_bits, uint64_t highest);

/**
 * Set up a histogram in caller memory (at least pf_histogram_size() bytes,
 * 8-byte aligned), for callers that place it themselves (per-lcore memory).
 * @return 0, or -EINVAL (sub_bits out of range, size too small, h NULL).
 */
int pf_histogram_init(struct pf_histogram *h, size_t size, uint32_t sub_bits,
		      uint64_t highest);

/**
 * Allocate (malloc) and set up a histogram.
 * @return the histogram, or NULL with errno EINVAL (sub_bits out of range)
 *   or ENOMEM.
 */
struct pf_histogram *pf_histogram_create(uint32_t sub_bits, uint64_t highest);

/** Free a histogram made by pf_histogram_create(). NULL is a no-op. */
void pf_histogram_free(struct pf_histogram *h);

/** Bytes of this histogram (header and counters). */
size_t pf_histogram_bytes(const struct pf_histogram *h);

/** Forget every value; the layout stays. */
void pf_histogram_reset(struct pf_histogram *h);

/** Record n occurrences of v. No allocation, no branch on the hot side but the range checks. */
static inline void
pf_histogram_record_n(struct pf_histogram *h, uint64_t v, uint64_t n)
{
	uint32_t i = pf_histogram_index(h->sub_bits, v);

	if (__builtin_expect(i >= h->n_buckets, 0)) {
		i = h->n_buckets - 1;
		h->overflow += n;
	}
	h->counts[i] += n;
	h->count += n;
	h->sum += v * n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/** Record one value. */
static inline void
pf_histogram_record(struct pf_histogram *h, uint64_t v)
{
	pf_histogram_record_n(h, v, 1);
}

/**
 * Add src's values to dst (per-lcore histograms into one).
 * @return 0, or -EINVAL when the layouts differ (sub_bits or n_buckets).
 */
int pf_histogram_merge(struct pf_histogram *dst, const struct pf_histogram *src);

/** Copy src into dst. @return 0, or -EINVAL when the layouts differ. */
int pf_histogram_copy(struct pf_histogram *dst, const struct pf_histogram *src);

/**
 * dst -= older: what was recorded between a snapshot (older) and dst, for
 * interval figures ("p99 of the last second"). count is recomputed from
 * the buckets (so that a snapshot taken while the writer ran stays
 * self-consistent); min and max become the bounds of the lowest and
 * highest non-empty bucket, clamped to dst's exact min and max.
 * @return 0, or -EINVAL when the layouts differ.
 */
int pf_histogram_subtract(struct pf_histogram *dst, const struct pf_histogram *older);

/**
 * Value at quantile q (0..1): the nearest-rank definition -- the value of
 * rank ceil(q * count) (at least 1) in sorted order -- reported as the
 * largest value of the bucket that holds that rank, clamped to [min, max].
 * The result r and the exact value x satisfy x <= r <= x + x / 2^sub_bits
 * (r == x below 2^(sub_bits+1)). q <= 0 gives min, q >= 1 gives max.
 * @return the value, or 0 when the histogram is empty.
 */
uint64_t pf_histogram_quantile(const struct pf_histogram *h, double q);

/** Exact mean (sum / count), 0 when empty. */
double pf_histogram_mean(const struct pf_histogram *h);

#ifdef __cplusplus
}
#endif
#endif /* PF_HIST_H */
