#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# bench.py: the figures docs/pf-gen.md quotes -- pacing accuracy into a sink
# port (net_null, no RX), the flat-out rate, and round trips through
# testpmd's 5tswap over memif. Prints a Markdown table.
"""pf-gen's accuracy on this machine.

    python3 tests/gen/bench.py BUILD_DIR [--seconds S] [--repeat N]
    meson test -C BUILD_DIR --benchmark gen-bench -v

Pacing: pf-gen sends the echo profile to net_null0 (no-rx=1: a sink that
frees what it is given) at 10 kpps, 100 kpps and 1 Mpps, and flat out;
each rate is run --repeat times; the table shows, run by run, the error of
the sent rate against the asked one, the frames the schedule skipped, and
the share of the run the TX lcore was on a CPU (getrusage).
Latency: 20 kpps through dpdk-testpmd --forward-mode=5tswap over memif.
pf-dataplane (when built): echo.yaml flat out through configs/default.conf,
and an NDR search from 500 kpps to 12 Mpps with an 8192-frame bucket.
Lcores: pf-gen's TX/RX lcore on CPU 1, its main lcore on CPU 0 (pacing);
testpmd forwards on CPU 1 and pf-gen runs on CPU 0 (latency).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genlib  # noqa: E402


def pacing(env, rate, seconds, repeat):
    rows = []
    for i in range(repeat):
        js = env.path("pace-%s-%d.json" % (rate, i))
        r = env.gen(["--port", "net_null0,no-rx=1", "--rate", rate, "--duration", str(seconds),
                     "--quiet", "--json", js], lcores="0@0,1@1")
        rows.append(r.json["result"])
    return rows


def dataplane(env, seconds):
    """Echo through pf-dataplane (configs/default.conf) flat out, then an
    NDR search; pf-gen's TX/RX lcore shares CPU 1 with dataplane lcore 2."""
    sock = env.sock()
    dp = env.dataplane("configs/default.conf", sock)
    port = "net_memif0,role=client,socket=%s" % sock
    js = env.path("dp-max.json")
    r = env.gen(["--port", port, "--profile", "configs/profiles/echo.yaml", "--rate", "max",
                 "--duration", str(seconds), "--rx-queues", "2", "--quiet", "--json", js],
                lcores="0@0,1@1").json["result"]
    js = env.path("dp-ndr.json")
    stats = env.pf_stats(dp)
    n = env.gen(["--port", port, "--profile", "configs/profiles/echo.yaml", "--ndr",
                 "--ndr-min", "500kpps", "--ndr-max", "12Mpps", "--ndr-resolution", "2",
                 "--trial-seconds", "1", "--warmup", "0.3", "--rx-queues", "2",
                 "--bucket", "8192", "--json", js],
                lcores="0@0,1@1").json["ndr"]
    final = env.stop_dataplane(dp)
    if stats:   # the dataplane's drops during the flat-out run alone
        final["reasons"] = {k: v for k, v in stats["totals"]["drops"].items() if v}
    lat = r["latency_ns"]
    print()
    print("| pf-dataplane, echo.yaml, flat out | sent pps | lost | dataplane drops | on CPU | p50 | p99 | max |")
    print("|---|---|---|---|---|---|---|---|")
    print("| %g s | %.0f | %d (%.4f %%) | %s | %.0f %% | %.1f us | %.1f us | %.1f us |"
          % (seconds, r["throughput"]["tx_pps"], r["lost"], r["loss_pct"],
             " ".join("%s=%d" % kv for kv in final["reasons"].items()) or "0",
             r["tx_cpu_pct"], lat["p50"] / 1e3, lat["p99"] / 1e3, lat["max"] / 1e3))
    print()
    print("NDR (echo.yaml, 500 kpps .. 12 Mpps, 2 %%, 1 s trials, --bucket 8192): %s; highest rate sent "
          "without loss %.0f pps" % ("%.0f pps" % n["ndr_pps"] if n["found"] else "none found",
                                     n["zero_loss_pps"]))
    for t in n["trials"]:
        tr = t["result"]
        print("  %9.0f pps asked: sent %.0f pps, lost %d, %s%s" %
              (t["rate_pps"], tr["throughput"]["tx_pps"], tr["lost"],
               "pass" if t["pass"] else "fail",
               " (generator-limited, TX lcore on CPU %.0f %%)" % tr["tx_cpu_pct"]
               if tr["generator_limited"] else ""))


def test(env, seconds, repeat):
    print("| rate asked | runs | error of the sent rate (each run) | frames skipped | TX lcore on CPU |")
    print("|---|---|---|---|---|")
    for rate, pps in (("10kpps", 1e4), ("100kpps", 1e5), ("1Mpps", 1e6)):
        rows = pacing(env, rate, seconds, repeat)
        print("| %s | %d | %s | %s | %s |"
              % (rate, repeat,
                 ", ".join("%+.2f %%" % ((r["throughput"]["tx_pps"] - pps) / pps * 100) for r in rows),
                 ", ".join("%d" % r["tx_slipped"] for r in rows),
                 ", ".join("%.0f %%" % r["tx_cpu_pct"] for r in rows)))
    rows = pacing(env, "max", seconds, 1)
    print("| max (flat out) | 1 | %.0f pps sent | - | %.0f %% |"
          % (rows[0]["throughput"]["tx_pps"], rows[0]["tx_cpu_pct"]))

    sock = env.sock()
    tp = env.testpmd(sock)
    js = env.path("rtt.json")
    r = env.gen(["--port", "net_memif0,role=client,socket=%s" % sock, "--rate", "20kpps",
                 "--duration", str(seconds), "--warmup", "0.5", "--quiet", "--json", js])
    env.stop_testpmd(tp)
    res = r.json["result"]
    lat = res["latency_ns"]
    print()
    print("| testpmd 5tswap, 20 kpps asked | sent pps | lost | on CPU | min | p50 | p90 | p99 | p99.9 | max |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("| round trip (us) | %.0f | %d | %.0f %% | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f |"
          % (res["throughput"]["tx_pps"], res["lost"], res["tx_cpu_pct"], lat["min"] / 1e3,
             lat["p50"] / 1e3, lat["p90"] / 1e3, lat["p99"] / 1e3, lat["p99_9"] / 1e3,
             lat["max"] / 1e3))
    if res["sent"] == 0 or res["tx_refused"]:
        print("(sent %d, refused by the TX queue %d: the memif link went down?)"
              % (res["sent"], res["tx_refused"]))
    if genlib.find_tool(env.build, "pf-dataplane"):
        dataplane(env, seconds)
    with open("/proc/loadavg") as f:
        print("\n(load average at the end: %s)" % " ".join(f.read().split()[:3]))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    sys.argv = [sys.argv[0], a.build]
    genlib.main(lambda env: test(env, a.seconds, a.repeat))
