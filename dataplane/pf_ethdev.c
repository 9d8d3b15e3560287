/* SPDX-License-Identifier: BSD-3-Clause */
/* pf_ethdev.c: ethdev helpers shared by pf-dataplane and pf-gen -- the port
 * of a device string, by vdev name or PCI address. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "pf_ethdev.h"

int
pf_ethdev_find(const char *device, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t len = strcspn(device, ",");

	/* ethdev allocates no port with a longer name: do not look up a cut one */
	if (len >= sizeof(name))
		return -ENODEV;
	memcpy(name, device, len);
	name[len] = '\0';
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	/* PCI names are canonical "DDDD:BB:DD.F"; accept the short form. */
	if (len == 7) {
		char full[16];

		snprintf(full, sizeof(full), "0000:%.7s", name);
		if (rte_eth_dev_get_port_by_name(full, port_id) == 0)
			return 0;
	}
	return -ENODEV;
}
