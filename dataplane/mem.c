/* SPDX-License-Identifier: BSD-3-Clause */
/* mem.c: memory for per-lcore tables the hot path reads at random (the
 * classification cache), backed by huge pages in both memory modes. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "pf_dp.h"

#define HUGE_2M ((size_t)2 << 20)

/*
 * A table read at random, a line per lookup, touches a new 4 KiB page on
 * almost every lookup once it is larger than the TLB covers (64 entries:
 * 256 KiB), and a TLB miss under a hypervisor is a two-level page walk:
 * a 4,096-entry classification cache (288 KiB) cost more in page walks
 * than in everything else a classified request does.
 *
 * With hugepages (EAL's memory), rte_malloc's memory is already in 2 MiB
 * pages, placed on the lcore's socket. Without them (--no-huge), EAL's
 * memory is a memfd of 4 KiB pages (shared memory, which transparent huge
 * pages do not cover by default), so the table is mapped privately instead,
 * 2 MiB aligned, and the kernel asked for transparent huge pages
 * (MADV_HUGEPAGE; honoured when /sys/kernel/mm/transparent_hugepage/enabled
 * is "always" or "madvise"). Memory without hugepages is all on one socket
 * as far as EAL knows, and so is this.
 */
int
pf_mem_alloc(struct pf_mem *m, const char *name, size_t len, int socket)
{
	memset(m, 0, sizeof(*m));
	if (rte_eal_has_hugepages()) {
		m->p = rte_zmalloc_socket(name, len, RTE_CACHE_LINE_SIZE, socket);
		if (!m->p)
			return -(rte_errno ? rte_errno : ENOMEM);
		m->len = len;
		return 0;
	}
	/* Whole 2 MiB pages at a 2 MiB boundary: map one page more and trim
	 * both ends to the boundary. */
	size_t size = RTE_ALIGN_CEIL(len, HUGE_2M);
	uint8_t *p = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	uint8_t *start = RTE_PTR_ALIGN_CEIL(p, HUGE_2M);
	if (start > p)
		munmap(p, (size_t)(start - p));
	munmap(start + size, (size_t)(p + HUGE_2M - start));
	/* Advice only: 4 KiB pages still work, only slower. */
	(void)madvise(start, size, MADV_HUGEPAGE);
	m->p = start; /* anonymous memory reads as zero */
	m->len = size;
	m->mapped = true;
	return 0;
}

void
pf_mem_free(struct pf_mem *m)
{
	if (!m->p)
		return;
	if (m->mapped)
		munmap(m->p, m->len);
	else
		rte_free(m->p);
	memset(m, 0, sizeof(*m));
}
