/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_hist.c: the log-linear histogram -- sizing, bucket bounds, merge,
 * interval subtraction and nearest-rank quantiles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pf_hist.h"

/* Buckets needed so that highest gets a bucket of its own. */
static uint32_t
buckets_for(uint32_t sub_bits, uint64_t highest)
{
	const uint64_t sub = UINT64_C(1) << sub_bits;

	if (highest < 2 * sub)
		return (uint32_t)(2 * sub);
	uint32_t msb = 63u - (uint32_t)__builtin_clzll(highest);
	return (uint32_t)((msb - sub_bits + 2) * sub);
}

size_t
pf_histogram_size(uint32_t sub_bits, uint64_t highest)
{
	if (sub_bits < PF_HISTOGRAM_SUB_BITS_MIN || sub_bits > PF_HISTOGRAM_SUB_BITS_MAX)
		return 0;
	return sizeof(struct pf_histogram) +
	       (size_t)buckets_for(sub_bits, highest) * sizeof(uint64_t);
}

int
pf_histogram_init(struct pf_histogram *h, size_t size, uint32_t sub_bits,
		  uint64_t highest)
{
	size_t need = pf_histogram_size(sub_bits, highest);

	if (!h || need == 0 || size < need)
		return -EINVAL;
	memset(h, 0, need);
	h->sub_bits = sub_bits;
	h->n_buckets = buckets_for(sub_bits, highest);
	h->highest = pf_histogram_upper(h, h->n_buckets - 1);
	h->min = UINT64_MAX;
	return 0;
}

struct pf_histogram *
pf_histogram_create(uint32_t sub_bits, uint64_t highest)
{
	size_t size = pf_histogram_size(sub_bits, highest);
	struct pf_histogram *h;

	if (size == 0) {
		errno = EINVAL;
		return NULL;
	}
	h = malloc(size);
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	pf_histogram_init(h, size, sub_bits, highest);
	return h;
}

void
pf_histogram_free(struct pf_histogram *h)
{
	free(h);
}

size_t
pf_histogram_bytes(const struct pf_histogram *h)
{
	return sizeof(*h) + (size_t)h->n_buckets * sizeof(uint64_t);
}

void
pf_histogram_reset(struct pf_histogram *h)
{
	memset(h->counts, 0, (size_t)h->n_buckets * sizeof(uint64_t));
	h->count = 0;
	h->sum = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->overflow = 0;
}

uint64_t
pf_histogram_lower(const struct pf_histogram *h, uint32_t i)
{
	const uint64_t sub = UINT64_C(1) << h->sub_bits;

	if (i < 2 * sub)
		return i;
	uint32_t octave = (uint32_t)(i / sub) - 1; /* msb - sub_bits */
	return (sub + i % sub) << octave;
}

uint64_t
pf_histogram_upper(const struct pf_histogram *h, uint32_t i)
{
	const uint64_t sub = UINT64_C(1) << h->sub_bits;

	if (i < 2 * sub)
		return i;
	uint32_t octave = (uint32_t)(i / sub) - 1;
	if (octave + h->sub_bits >= 63 && i % sub == sub - 1)
		return UINT64_MAX; /* the octave of 2^63 ends at the type's end */
	return pf_histogram_lower(h, i) + (UINT64_C(1) << octave) - 1;
}

static int
same_layout(const struct pf_histogram *a, const struct pf_histogram *b)
{
	return a->sub_bits == b->sub_bits && a->n_buckets == b->n_buckets;
}

int
pf_histogram_merge(struct pf_histogram *dst, const struct pf_histogram *src)
{
	if (!same_layout(dst, src))
		return -EINVAL;
	for (uint32_t i = 0; i < dst->n_buckets; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->overflow += src->overflow;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

int
pf_histogram_copy(struct pf_histogram *dst, const struct pf_histogram *src)
{
	if (!same_layout(dst, src))
		return -EINVAL;
	memcpy(dst, src, pf_histogram_bytes(src));
	return 0;
}

int
pf_histogram_subtract(struct pf_histogram *dst, const struct pf_histogram *older)
{
	uint64_t n = 0;
	uint32_t lo = UINT32_MAX, hi = 0;

	if (!same_layout(dst, older))
		return -EINVAL;
	for (uint32_t i = 0; i < dst->n_buckets; i++) {
		/* A snapshot taken while the writer ran may hold a bucket
		 * newer than dst's: never let a count go negative. */
		uint64_t c = dst->counts[i] > older->counts[i] ?
			     dst->counts[i] - older->counts[i] : 0;
		dst->counts[i] = c;
		if (!c)
			continue;
		n += c;
		if (lo == UINT32_MAX)
			lo = i;
		hi = i;
	}
	dst->count = n;
	dst->sum = dst->sum > older->sum ? dst->sum - older->sum : 0;
	dst->overflow = dst->overflow > older->overflow ? dst->overflow - older->overflow : 0;
	if (!n) {
		dst->min = UINT64_MAX;
		dst->max = 0;
		dst->sum = 0;
		return 0;
	}
	uint64_t mn = pf_histogram_lower(dst, lo), mx = pf_histogram_upper(dst, hi);
	dst->min = mn > dst->min ? mn : dst->min;
	dst->max = mx < dst->max ? mx : dst->max;
	if (dst->min > dst->max)
		dst->min = dst->max;
	return 0;
}

uint64_t
pf_histogram_quantile(const struct pf_histogram *h, double q)
{
	uint64_t total = 0, rank, seen = 0;

	for (uint32_t i = 0; i < h->n_buckets; i++)
		total += h->counts[i];
	if (total == 0)
		return 0;
	if (q <= 0.0)
		return h->min;
	if (q >= 1.0)
		return h->max;
	/* ceil(q * total), without letting 0.99 * 100 = 99.000000000000014
	 * round up to rank 100: the product is trusted to 1e-12 relative. */
	double r = q * (double)total;
	r -= r * 1e-12;
	rank = (uint64_t)r;
	if ((double)rank < r)
		rank++; /* ceil, without libm */
	if (rank < 1)
		rank = 1;
	if (rank > total)
		rank = total;
	for (uint32_t i = 0; i < h->n_buckets; i++) {
		seen += h->counts[i];
		if (seen < rank)
			continue;
		uint64_t v = pf_histogram_upper(h, i);
		if (v > h->max)
			v = h->max;
		if (v < h->min)
			v = h->min;
		return v;
	}
	return h->max;
}

double
pf_histogram_mean(const struct pf_histogram *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}
