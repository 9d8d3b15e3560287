/* SPDX-License-Identifier: BSD-3-Clause */
/* pcap.c: --pcap-out -- the profile's requests written to a classic pcap
 * file (nanosecond timestamps), with no EAL and no port. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"

/* Classic libpcap file, nanosecond variant: what tcpreplay, Wireshark and
 * DPDK's net_pcap read. */
struct pcap_file_hdr {
	uint32_t magic;      /* 0xa1b23c4d: nanosecond timestamps */
	uint16_t major, minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;   /* 1: Ethernet */
};

struct pcap_rec_hdr {
	uint32_t sec, nsec, caplen, len;
};

int
gen_pcap_write(const char *path, const struct gen_model *m, uint64_t count, double rate_pps,
	       uint64_t seed, char *err, size_t errlen)
{
	struct pcap_file_hdr fh = { 0xa1b23c4d, 2, 4, 0, 0, 65535, 1 };
	uint32_t *next_seq = calloc(m->n_sessions, sizeof(*next_seq));
	uint8_t buf[PF_PROFILE_FRAME_MAX + 64];
	struct gen_picker pk;
	struct timespec now;
	FILE *f = NULL;
	int rc = 0;

	if (!next_seq) {
		snprintf(err, errlen, "pf-gen: --pcap-out %s: out of memory", path);
		return -ENOMEM;
	}
	f = fopen(path, "wb");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "pf-gen: --pcap-out %s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (fwrite(&fh, sizeof(fh), 1, f) != 1)
		goto fail_io;
	/* Frames spaced as the rate asks (1 Mpps when it names none), from
	 * now; the header timestamp holds the same time in ns since the
	 * first frame (there is no TSC to put there). */
	clock_gettime(CLOCK_REALTIME, &now);
	double gap_ns = rate_pps > 0 ? 1e9 / rate_pps : 1000;
	uint64_t t0 = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	gen_picker_init(&pk, m, 0, seed, next_seq);
	for (uint64_t i = 0; i < count; i++) {
		uint32_t sess;
		uint16_t len = gen_build(m, &pk, buf, sizeof(buf), &sess);
		uint64_t off = (uint64_t)((double)i * gap_ns), t = t0 + off;
		struct pcap_rec_hdr rh = { (uint32_t)(t / 1000000000ull),
					   (uint32_t)(t % 1000000000ull), len, len };
		if (len == 0) {
			rc = -EINVAL;
			snprintf(err, errlen, "pf-gen: --pcap-out %s: a frame did not fit %zu bytes",
				 path, sizeof(buf));
			goto out;
		}
		gen_stamp(buf, off);
		if (fwrite(&rh, sizeof(rh), 1, f) != 1 || fwrite(buf, len, 1, f) != 1)
			goto fail_io;
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto fail_io;
	}
	f = NULL;
	goto out;

fail_io:
	rc = errno ? -errno : -EIO;
	snprintf(err, errlen, "pf-gen: --pcap-out %s: write failed: %s", path, strerror(-rc));
out:
	if (f)
		fclose(f);
	free(next_seq);
	return rc;
}
