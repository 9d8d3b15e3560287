#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_json.py: pf-gen's --json reports -- a run, a replay and an NDR search
# -- validate against docs/pf-gen-report.schema.json; docs/pf-gen.md names
# every field of the schema.
"""The JSON report against its schema.

The schema is closed (additionalProperties false), so a field the program
writes but the schema lacks fails as surely as a missing one. The
validator is genlib.validate(): the subset of JSON Schema the schema uses,
and it refuses any other keyword rather than skip it. It is itself checked
first on reports spoiled on purpose.
"""
import copy
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genlib  # noqa: E402
from genlib import check  # noqa: E402


def best_sent(n):
    return max(t["result"]["throughput"]["tx_pps"] for t in n["trials"] if t["pass"])


def valid(report, schema, what):
    errs = genlib.validate(report, schema)
    check(not errs, "%s report does not validate:\n  %s" % (what, "\n  ".join(errs[:20])))


def test(env):
    schema = genlib.load_schema()

    # 1. A replay (--rx-only): no testpmd needed.
    req = env.path("req.pcap")
    common = ["--profile", "configs/profiles/echo.yaml", "--count", "500"]
    env.gen(["--pcap-out", req] + common, eal=False)
    answers = [genlib.turn_around(f) for _, f in genlib.read_pcap(req)][:-7]
    answers.append(genlib.error_frame(genlib.read_pcap(req)[-1][1], 12))
    resp = env.path("resp.pcap")
    genlib.write_pcap(resp, answers)
    js = env.path("rx-only.json")
    rx = env.gen(["--rx-only", "--port", "net_pcap0,rx_pcap=%s" % resp, "--json", js] + common).json
    valid(rx, schema, "--rx-only")
    check(rx["mode"] == "rx-only" and rx["result"]["lost"] == 6 and
          rx["result"]["errors"] == {"not_found": 1}, "--rx-only figures: %r" % rx["result"])

    # The validator catches what it must.
    spoiled = [
        ("a required field missing", lambda r: r["result"].pop("sent")),
        ("an unknown field", lambda r: r["result"].__setitem__("bogus", 1)),
        ("a negative count", lambda r: r["result"].__setitem__("lost", -1)),
        ("a string for a number", lambda r: r["result"]["latency_ns"].__setitem__("p99", "1")),
        ("a bool for a count", lambda r: r["result"].__setitem__("late", True)),
        ("an unknown mode", lambda r: r.__setitem__("mode", "fast")),
        ("an error count of 0", lambda r: r["result"]["errors"].__setitem__("denied", 0)),
        ("a float for an integer", lambda r: r["config"].__setitem__("sessions", 1.5)),
    ]
    for what, spoil in spoiled:
        bad = copy.deepcopy(rx)
        spoil(bad)
        check(genlib.validate(bad, schema), "the validator accepts a report with %s" % what)

    # 2. A run against testpmd, and 3. an NDR search against it.
    sock = env.sock()
    tp = env.testpmd(sock)
    port = "net_memif0,role=client,socket=%s" % sock
    js = env.path("run.json")
    run = env.gen_peer(["--port", port, "--rate", "10kpps", "--duration", "1", "--json", js,
                        "--quiet"], tp, env.stop_testpmd)[0].json
    valid(run, schema, "run")
    check(run["mode"] == "run" and "ndr" not in run, "run report: mode %r" % run["mode"])

    sock = env.sock()                       # a testpmd for each pf-gen (test_testpmd.py)
    tp = env.testpmd(sock)
    port = "net_memif0,role=client,socket=%s" % sock

    js = env.path("ndr.json")
    # From far above what pf-gen can offer (those trials fail as
    # generator-limited) down to a rate it can: the bisection runs. A deep
    # bucket keeps a short preemption from failing the low trials.
    ndr = env.gen_peer(["--port", port, "--ndr", "--ndr-min", "5kpps", "--ndr-max", "20Mpps",
                        "--ndr-resolution", "5", "--trial-seconds", "0.5", "--warmup", "0.1",
                        "--drain-ms", "100", "--bucket", "8192", "--json", js],
                       tp, env.stop_testpmd)[0].json
    valid(ndr, schema, "--ndr")
    n = ndr["ndr"]
    print("ndr: %s, %d trials: %s" % (n["ndr_pps"], len(n["trials"]),
                                      ", ".join("%.0f %s" % (t["rate_pps"], "pass" if t["pass"] else "fail")
                                                for t in n["trials"])))
    check(ndr["mode"] == "ndr" and n["trials"], "no NDR trials")
    check(n["trials"][0]["rate_pps"] == n["hi_pps"] == 20e6, "the search starts at --ndr-max")
    rates = [t["rate_pps"] for t in n["trials"]]
    check(rates[1] == n["lo_pps"] == 5000, "the second trial is --ndr-min")
    if not n["trials"][1]["pass"]:
        # Legitimately the end of the search (the machine starved pf-gen
        # even at 5 kpps): nothing to bisect.
        check(len(n["trials"]) == 2, "the search went on after --ndr-min failed")
        print("(--ndr-min failed here: %r; no bisection to check)" % n["trials"][1]["result"]["lost"])
    else:
        check(len(n["trials"]) >= 3, "no bisection: %d trials" % len(n["trials"]))
        lo, hi = 5000, 20e6          # each later trial halves the range it is in
        for t in n["trials"][2:]:
            check(t["rate_pps"] == (lo + hi) / 2, "trial at %.0f, not mid-range %.0f"
                  % (t["rate_pps"], (lo + hi) / 2))
            lo, hi = (t["rate_pps"], hi) if t["pass"] else (lo, t["rate_pps"])
        check(hi - lo <= 0.05 * 20e6, "search stopped at a range of %.0f pps" % (hi - lo))
    passed = [t["rate_pps"] for t in n["trials"] if t["pass"]]
    failed = [t["rate_pps"] for t in n["trials"] if not t["pass"]]
    if n["found"]:
        check(n["ndr_pps"] == max(passed), "NDR %s is not the highest passing rate %s"
              % (n["ndr_pps"], max(passed)))
        check(n["zero_loss_pps"] >= best_sent(n), "zero_loss_pps below a passing trial's rate")
        check(all(f > n["ndr_pps"] for f in failed), "a rate below the NDR failed: %r" % failed)
        best = [t for t in n["trials"] if t["pass"] and t["rate_pps"] == n["ndr_pps"]][0]
        check(ndr["result"] == best["result"], "result is not the NDR trial's")
    else:
        check(not passed and n["ndr_pps"] == 0, "found is false, yet %r passed" % passed)
    for t in n["trials"]:
        r = t["result"]
        ok = r["lost"] == 0 and not r["generator_limited"] and r["late"] == 0 and r["sent"] > 0
        check(t["pass"] == ok, "trial at %.0f: pass %s, but lost %d, generator-limited %s"
              % (t["rate_pps"], t["pass"], r["lost"], r["generator_limited"]))

    # 4. docs/pf-gen.md names every field of the schema.
    with open(os.path.join(genlib.SRC_ROOT, "docs", "pf-gen.md")) as f:
        doc = f.read()
    named = set(re.findall(r"`([a-z0-9_.\[\]]+)`", doc))
    leaves = {w.split(".")[-1].replace("[]", "") for w in named}
    missing = sorted(p for p in genlib.schema_properties(schema) if p not in leaves)
    check(not missing, "docs/pf-gen.md does not describe %s" % ", ".join(missing))


if __name__ == "__main__":
    genlib.main(test)
