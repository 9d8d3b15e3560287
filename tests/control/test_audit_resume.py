#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_audit_resume.py: audit records the dataplane writes while pf-control
# is down reach the audit log once it is back. pf-gen sends audited requests
# (capability 4, cache) over memif in phases, each with its own trace-id
# cookie; between phases pf-control is stopped (SIGTERM: no duplicates
# either) or killed (SIGKILL: at least once), and records overwritten in
# the ring while it is down are counted in packetflow_audit_lost.
import json
import os
import signal
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import Checker, Env, find, skip  # noqa: E402

N = 400             # requests per phase: far below one ring (one lcore runs RM)
AUDIT_RING = 4096   # PF_AUDIT_RING, lib/pf_stats.h
REC_SIZE = 32       # sizeof(struct pf_audit_rec)
PROFILE = """\
sessions: 100-107          # operators: the cache is theirs
mix:
  - { name: cache-put, capability: 4, element: RM.ca, fields: [key, value] }
"""


def audit_heads(stats):
    """Records ever written to each lcore's audit ring (lib/pf_stats.h)."""
    with open(stats, "rb") as f:
        data = f.read()
    n_lcores, lcores_off, stride = struct.unpack_from("<III", data, 40)
    base = lcores_off + n_lcores * stride
    ring = 64 + AUDIT_RING * REC_SIZE
    return sum(struct.unpack_from("<Q", data, base + i * ring)[0] for i in range(n_lcores))


def audit_log(env):
    """(session, seq) -> times logged, by trace-id cookie; lines that are
    not JSON (a SIGKILL can cut one short)."""
    recs, bad = {}, 0
    with open(os.path.join(env.state, "audit.log"), errors="replace") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if r.get("type") in ("executed", "denied"):
                per = recs.setdefault(r["trace_id"] >> 32, {})
                key = (r["session"], r["seq"])
                per[key] = per.get(key, 0) + 1
    return recs, bad


class Phases:
    def __init__(self, env, ck, gen_exe):
        self.env, self.ck, self.gen_exe = env, ck, gen_exe
        self.profile = os.path.join(env.dir, "cache.yaml")
        with open(self.profile, "w") as f:
            f.write(PROFILE)
        self.written = {}  # cookie -> audit records the dataplane wrote

    def send(self, cookie, count=N, rate="2kpps"):
        """One pf-gen run of count cache requests; waits for it to end."""
        env = self.env
        h0 = audit_heads(env.stats)
        report = os.path.join(env.dir, "gen-%x.json" % cookie)
        with open(os.path.join(env.dir, "gen-%x.log" % cookie), "w") as log:
            rc = subprocess.run(
                [self.gen_exe, "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
                 "pfctl-resume-%d-%x" % (os.getpid(), cookie), "--lcores", "0@1,1@1", "--",
                 "--port", "net_memif0,role=client,socket=%s" % env.memif,
                 "--rx-queues", "2", "--profile", self.profile, "--rate", rate,
                 "--count", str(count), "--cookie", str(cookie), "--json", report, "--quiet"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                timeout=60).returncode
        self.ck.eq(rc, 0, "pf-gen 0x%x exit status (%s)" % (cookie, log.name))
        # the last answers may still be on their way through the lcore
        end = time.time() + 5
        while audit_heads(env.stats) - h0 < count and time.time() < end:
            time.sleep(0.05)
        self.written[cookie] = audit_heads(env.stats) - h0
        self.ck.eq(self.written[cookie], count, "0x%x: one audit record per request" % cookie)

    def logged(self, cookie):
        return len(audit_log(self.env)[0].get(cookie, {}))

    def wait_logged(self, cookie, want=None, timeout=15):
        want = self.written[cookie] if want is None else want
        end = time.time() + timeout
        while self.logged(cookie) < want and time.time() < end:
            time.sleep(0.1)
        return self.ck.eq(self.logged(cookie), want, "0x%x: records in the audit log" % cookie)


def main(build):
    gen_exe = find(build, "dataplane/gen", "pf-gen")
    if not gen_exe:
        skip("pf-gen (dataplane/gen) is not built: the test sends its requests with it")
    ck = Checker("control-audit-resume")
    env = Env(build, "resume")
    try:
        env.start_dataplane(memif=True)
        env.start_control()
        env.wait_synced()
        ph = Phases(env, ck, gen_exe)

        # ---- SIGTERM: nothing missed, nothing twice ----
        ph.send(0xA1)
        ph.wait_logged(0xA1)
        ck.eq(env.stop_proc(env.pfc, signal.SIGTERM), 0, "pf-control exit on SIGTERM")
        ph.send(0xA2)  # while pf-control is down
        env.start_control()
        ph.wait_logged(0xA2)
        ph.send(0xA3)
        ph.wait_logged(0xA3)
        ck.eq(env.metric("packetflow_audit_lost"), 0, "nothing lost across a SIGTERM restart")
        ck.ok("resumed after the records already logged" in env.log(env.pfc_log),
              "pf-control says it resumed: %s" % env.log(env.pfc_log)[-600:])
        time.sleep(1.5)  # the positions of 0xA3 are saved (every 0.5 s at most)

        # ---- SIGKILL: at least once ----
        ph.send(0xB1)
        env.stop_proc(env.pfc, signal.SIGKILL)  # some of 0xB1 maybe shipped, not saved
        ph.send(0xB2)
        env.start_control()
        ph.wait_logged(0xB1)
        ph.wait_logged(0xB2)

        recs, bad = audit_log(env)
        ck.ok(bad <= 1, "at most the line a SIGKILL cut short is not JSON (%d)" % bad)
        for cookie in (0xA1, 0xA2, 0xA3):
            twice = sum(1 for n in recs.get(cookie, {}).values() if n > 1)
            ck.eq(twice, 0, "0x%x: records logged twice" % cookie)
        dup_b = sum(n - 1 for c in (0xB1, 0xB2) for n in recs.get(c, {}).values())
        print("after SIGKILL: %d records of 0xB1/0xB2 logged twice (allowed)" % dup_b)

        # ---- overwritten while down: counted lost, the rest logged ----
        time.sleep(1.0)
        ck.eq(env.stop_proc(env.pfc, signal.SIGTERM), 0, "pf-control exit on SIGTERM")
        extra = 300
        ph.send(0xC1, count=AUDIT_RING + extra, rate="8kpps")
        env.start_control()
        # a full ring's oldest slot is the writer's next one: pf_audit_read()
        # cannot trust it and counts it lost too, hence RING - 1
        ph.wait_logged(0xC1, want=AUDIT_RING - 1)
        lost = env.metric("packetflow_audit_lost")
        ck.ok(lost is not None and lost >= ph.written[0xC1] - AUDIT_RING,
              "records overwritten while pf-control was down are counted lost: %s" % lost)
        ck.eq(ph.logged(0xC1) + (lost or 0), ph.written[0xC1],
              "every record of 0xC1 is either in the log or counted lost")

        # ---- a corrupt positions file is no reason to fail ----
        ck.eq(env.stop_proc(env.pfc, signal.SIGTERM), 0, "pf-control exit on SIGTERM")
        with open(os.path.join(env.state, "audit.pos"), "w") as f:
            f.write('{"version":1,"pid":')
        env.start_control()
        st, h = env.api("GET", "/health", role="viewer")
        ck.eq(st, 200, "pf-control runs with a corrupt audit.pos")
        ck.ok("audit.pos" in env.log(env.pfc_log) and
              "read from their start" in env.log(env.pfc_log),
              "the corrupt file is reported: %s" % env.log(env.pfc_log)[-600:])
        ph.send(0xD1)
        ph.wait_logged(0xD1)
    finally:
        rc = env.stop()
    ck.eq(rc[0], 0, "pf-control exit code")
    return ck.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
