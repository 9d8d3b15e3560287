#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_hitless.py: registry, policy and rules change ten times a second while
# the dataplane carries a steady stream of echo requests. No drop may come
# from the changes, every lcore stays alive, rx == tx + drops at the end, and
# the answers follow the new state: while echo requires a key field (which
# the requests lack) every request is refused (missing_field), and after the
# change back every request is executed.
#
# Traffic, by --traffic: "gen" (the default) is pf-gen over memif at a paced
# rate, which also counts loss end to end (skipped, 77, when pf-gen is not
# built); "replay" is net_pcap replaying a pcap in a loop (infinite_rx):
# steady but not paced, losses seen in the dataplane's drop counters.
import json
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import Checker, Env, echo_packets, find, skip  # noqa: E402
import harness  # noqa: E402  (tests/integration: reads the stats segment)

CHANGES_PER_S = 10
SECONDS = float(os.environ.get("PF_HITLESS_SECONDS", "6"))
RULES = [
    "rules:\n  - {id: 1, pattern: '^echo', capability: echo}\n",
    "rules:\n  - {id: 1, pattern: '^echo', capability: echo}\n"
    "  - {id: 900, pattern: 'drop\\s+table', action: deny}\n",
]


def seg(env):
    s = harness.read_segment(env.stats)
    echo = next((c for c in s["caps"] if c["id"] == 1), {"exec": 0, "errors": 0})
    return {"exec": echo["exec"], "errors": echo["errors"],
            "drops": s["totals"]["drops_total"], "rx": s["totals"]["rx"]}


GEN_RATE = os.environ.get("PF_HITLESS_RATE", "10kpps")


def main(build, traffic):
    gen_exe = find(build, "dataplane", "pf-gen") or find(build, "dataplane/gen", "pf-gen")
    if traffic == "gen" and not gen_exe:
        skip("pf-gen (dataplane/gen) is not built: the paced hitless test needs it; "
             "control-hitless-replay runs the same checks on replayed traffic")
    ck = Checker("control-hitless-%s" % traffic)
    env = Env(build, "hitless-" + traffic)
    gen = None
    try:
        env.start_dataplane(echo_packets(64), replay=traffic == "replay", memif=traffic == "gen")
        env.start_control()
        env.wait_synced()
        if gen_exe and traffic == "gen":
            report = os.path.join(env.dir, "gen.json")
            gen_log = open(os.path.join(env.dir, "gen.log"), "w")
            gen = subprocess.Popen(
                [gen_exe, "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
                 "pfctl-gen-%d" % os.getpid(), "--lcores", "0@1,1@1", "--",
                 "--port", "net_memif0,role=client,socket=%s" % env.memif,
                 "--rate", GEN_RATE, "--warmup", "1s", "--duration", "%ds" % int(SECONDS + 4),
                 "--json", report, "--quiet", "--hold"],
                stdout=gen_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
            time.sleep(1.5)
        time.sleep(0.5)
        a0 = seg(env)
        time.sleep(2.0)
        a1 = seg(env)
        base_drops = a1["drops"] - a0["drops"]
        ck.ok(a1["rx"] - a0["rx"] > 2000, "steady traffic: %d packets in the baseline"
              % (a1["rx"] - a0["rx"]))

        n = int(SECONDS * CHANGES_PER_S)
        start = time.time()
        strict = False
        window = None
        windows = {True: 0, False: 0}
        lat = []
        b0 = seg(env)
        for i in range(n):
            delay = start + i / CHANGES_PER_S - time.time()
            if delay > 0:
                time.sleep(delay)
            kind = i % 3
            if kind == 0:
                if window:
                    end = seg(env)
                    d_exec = end["exec"] - window["exec"]
                    d_err = end["errors"] - window["errors"]
                    if strict:
                        ck.ok(d_exec == 0 and d_err > 0,
                              "change %d: echo needs a key: %d refused, %d executed"
                              % (i, d_err, d_exec))
                    else:
                        ck.ok(d_err == 0 and d_exec > 0,
                              "change %d: echo back to data only: %d executed, %d refused"
                              % (i, d_exec, d_err))
                    windows[strict] += 1
                strict = not strict
                t = time.time()
                st, b = env.api("PATCH", "/capabilities/echo",
                                {"requires": ["data", "key"] if strict else ["data"]})
            elif kind == 1:
                t = time.time()
                st, b = env.api("PATCH", "/policy/groups/DF",
                                {"balance": ("least-loaded", "round-robin")[i % 2]},
                                role="operator")
            else:
                t = time.time()
                st, b = env.api("PUT", "/rules", RULES[i % 2], role="operator")
            lat.append(time.time() - t)
            ck.ok(st == 200 and b.get("applied") is True, "change %d applied: %s %s" % (i, st, b))
            if kind == 0:
                time.sleep(0.03)  # answers already in flight finish
                window = seg(env)
        b1 = seg(env)
        dur = time.time() - start
        change_drops = b1["drops"] - b0["drops"]
        ck.ok(windows[True] >= 3 and windows[False] >= 3,
              "both echo states observed: %s" % windows)
        ck.ok(change_drops <= base_drops * max(1.0, dur / 2.0),
              "no drops from the changes: %d during %.1f s of changes, %d in the 2 s baseline"
              % (change_drops, dur, base_drops))
        st, h = env.api("GET", "/health", role="viewer")
        ck.ok(all(l["alive"] for l in h["dataplane"]["lcores"]), "every lcore alive")
        lat.sort()
        print("hitless: %d changes in %.1f s (%.1f/s); API write to ACK p50 %.1f ms p99 %.1f ms; "
              "%d packets, drops %d (baseline %d in 2 s)"
              % (n, dur, n / dur, lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3,
                 b1["rx"] - b0["rx"], change_drops, base_drops))
        if gen:
            # pf-gen --hold: once its report is out it keeps the memif link
            # up, not polling, so the dataplane stops first (DPDK 22.11's
            # memif PMD can crash the side still polling when its peer
            # leaves); the link going down then ends pf-gen.
            end = time.time() + SECONDS + 30
            while gen.poll() is None and "\nholding: " not in env.log(gen_log.name) \
                    and time.time() < end:
                time.sleep(0.1)
        env.stop_proc(env.pfc)
        env.stop_proc(env.dp)
        r = None
        if gen:
            try:
                gen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                gen.kill()
                gen.wait()
            ck.eq(gen.returncode, 0, "pf-gen exit status (log: %s)" % env.log(gen_log.name)[-300:])
            try:
                with open(report) as f:
                    r = json.load(f)["result"]
            except (OSError, ValueError, KeyError) as e:
                ck.ok(False, "pf-gen wrote no JSON report: %s" % e)
        if gen and r:
            codes = {e.get("name", e.get("code")): e.get("count")
                     for e in r.get("errors", [])} if isinstance(r.get("errors"), list) \
                else r.get("errors", {})
            print("pf-gen: sent %s received %s lost %s (%.4f %%) responses %s errors %s %s"
                  % (r["sent"], r["received"], r["lost"], r["loss_pct"], r["responses"],
                     r["errors_total"], codes))
            ck.eq(r["lost"], 0, "pf-gen counts no lost request")
            ck.ok(r["responses"] > 0 and r["errors_total"] > 0,
                  "pf-gen saw answers of both states (responses and missing_field errors)")
        log = env.log(env.dp_log)
        m = re.search(r"invariant: rx (==|!=) tx \+ drops", log)
        ck.ok(m and m.group(1) == "==", "dataplane's invariant at exit: %s"
              % (m.group(0) if m else log[-300:]))
    finally:
        env.stop()
    return ck.done()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    mode = "replay" if "--traffic=replay" in sys.argv else "gen"
    sys.exit(main(args[0] if args else "build", mode))
