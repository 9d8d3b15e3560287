/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_ethdev.h: ethdev helpers both DPDK programs compile (pf-dataplane and
 * pf-gen) -- finding the port EAL probed for a device string. */
#ifndef PF_ETHDEV_H
#define PF_ETHDEV_H

#include <stdint.h>

/**
 * The ethdev port of a device string as a config's ports[].device or
 * pf-gen's --port writes it: a vdev by its name (up to the first comma), a
 * PCI device by its address, short ("BB:DD.F") or canonical
 * ("DDDD:BB:DD.F"). Call after rte_eal_init().
 * @return 0 with *port_id set, or -ENODEV (no port of that name; a name
 *   too long for ethdev is none either)
 */
int pf_ethdev_find(const char *device, uint16_t *port_id);

#endif /* PF_ETHDEV_H */
