/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_audit.c: the reader side of the lcores' audit rings in the stats
 * segment (the writer is the dataplane's answer path). */
#include "pf_stats.h"

unsigned int
pf_audit_read(const struct pf_audit_ring *r, uint64_t *pos,
	      struct pf_audit_rec *out, unsigned int max, uint64_t *lost)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	if (head - *pos > PF_AUDIT_RING) {
		*lost += head - *pos - PF_AUDIT_RING;
		*pos = head - PF_AUDIT_RING;
	}
	while (*pos < head && n < max) {
		out[n] = r->rec[*pos % PF_AUDIT_RING];
		/* Order the copy before the re-read of head (seqlock reader). */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		/* The writer may have lapped us while we copied: the slot is
		 * good only if it was not rewritten, i.e. head has not reached
		 * pos + RING since. */
		uint64_t now = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
		if (now - *pos >= PF_AUDIT_RING) {
			*lost += 1;
			(*pos)++;
			continue;
		}
		(*pos)++;
		n++;
	}
	return n;
}
