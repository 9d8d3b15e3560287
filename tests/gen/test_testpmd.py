#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_testpmd.py: pf-gen against dpdk-testpmd in 5-tuple-swap mode over
# memif: every request comes back, turned around, in order; then SIGINT.
"""pf-gen <-> testpmd (5tswap) over memif.

testpmd's 5tswap engine swaps the MACs, the IPv4 addresses and the UDP
ports of every frame and sends it back: a perfect reflector. pf-gen counts
those answers as `reflected` and checks, for each, that it came back to the
request's own MAC, IP and port (`misaddressed` stays 0 only if 5tswap swaps
all three). Lcores: testpmd forwards on CPU 1, pf-gen sends and receives on
CPU 0; both main lcores sleep.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genlib  # noqa: E402
from genlib import check  # noqa: E402

RATE = 20000
SECONDS = 3


def fresh_testpmd(env):
    """A testpmd of its own for each pf-gen run: a memif server once kept a
    second client out for over 10 s after the first left (seen on this VM
    under load), and these tests are about pf-gen, not about that."""
    sock = env.sock()
    return env.testpmd(sock), "net_memif0,role=client,socket=%s" % sock


def test(env):
    tp, port = fresh_testpmd(env)

    # 1. A paced run: nothing lost, nothing duplicated or reordered.
    js = env.path("run.json")
    r, tp_final = env.gen_peer(["--port", port, "--rate", "%d" % RATE, "--duration", "%d" % SECONDS,
                                "--warmup", "0.5", "--json", js], tp, env.stop_testpmd)
    res = r.json["result"]
    print("run: sent %d received %d lost %d, tx %.0f pps (asked %d), p50 %.1f us p99 %.1f us"
          % (res["sent"], res["received"], res["lost"], res["throughput"]["tx_pps"], RATE,
             res["latency_ns"]["p50"] / 1e3, res["latency_ns"]["p99"] / 1e3))
    check(res["sent"] > 0, "nothing sent")
    check(res["received"] == res["sent"], "received %d != sent %d" % (res["received"], res["sent"]))
    check(res["lost"] == 0 and res["loss_pct"] == 0, "lost %d" % res["lost"])
    check(res["duplicates"] == 0, "duplicates %d" % res["duplicates"])
    check(res["reordered"] == 0, "reordered %d" % res["reordered"])
    check(res["late"] == 0, "late %d" % res["late"])
    check(res["reflected"] == res["received"], "testpmd reflects requests: reflected %d of %d"
          % (res["reflected"], res["received"]))
    check(res["misaddressed"] == 0,
          "%d answers not swapped back to our MAC/IP/port (5tswap swaps all three)"
          % res["misaddressed"])
    check(res["errors_total"] == 0 and res["errors"] == {}, "errors %r" % res["errors"])
    lat = res["latency_ns"]
    check(lat["count"] == res["received"], "latency count %d != received" % lat["count"])
    check(0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99_9"]
          <= lat["p99_99"] <= lat["max"],
          "latency figures out of order: %r" % lat)
    check(lat["min"] <= lat["mean"] <= lat["max"], "mean outside [min, max]: %r" % lat)
    check(lat["max"] < 10e9, "a round trip over 10 s: %r" % lat)
    # The warm-up's answers are counted apart.
    check(res["warmup_sent"] > 0 and res["unmatched"]["warmup"] == res["warmup_sent"],
          "warm-up sent %d, warm-up answers %d" % (res["warmup_sent"], res["unmatched"]["warmup"]))
    check(abs(res["seconds"] - SECONDS) < 0.5, "measured %.3f s, asked %d" % (res["seconds"], SECONDS))
    # The text report says the same.
    check("lost           0 (0.0000 %)" in r.out, "text report: no `lost 0` line")
    check(r.out.count(" s  tx ") >= SECONDS, "fewer live lines than seconds:\n" + r.out)

    print("testpmd at exit: %r" % tp_final)
    # testpmd stopped before pf-gen left (--hold), so its counters cover
    # the whole run: it received and sent back what pf-gen says it sent.
    check(tp_final is not None and tp_final["rx"] == res["sent"] + res["warmup_sent"]
          and tp_final["tx"] == tp_final["rx"] and tp_final["rx_dropped"] == 0,
          "testpmd forwarded %r, pf-gen sent %d + %d warm-up"
          % (tp_final, res["sent"], res["warmup_sent"]))

    # 2. Until SIGINT: the report so far, exit 0.
    tp, port = fresh_testpmd(env)
    js2 = env.path("sigint.json")
    r2 = env.gen_peer(["--port", port, "--rate", "5kpps", "--json", js2], tp, env.stop_testpmd,
                      sigint_after=2)[0]
    res2 = r2.json["result"]
    print("sigint: sent %d received %d lost %d" % (res2["sent"], res2["received"], res2["lost"]))
    check(r2.json["interrupted"] is True and res2["interrupted"] is True,
          "report not marked interrupted")
    check("interrupted by SIGINT" in r2.out, "text report does not say it was interrupted")
    check(res2["sent"] > 0 and res2["lost"] == 0, "after SIGINT and the drain: lost %d of %d"
          % (res2["lost"], res2["sent"]))

    # 3. --count: exactly that many measured frames.
    tp, port = fresh_testpmd(env)
    js3 = env.path("count.json")
    r3, tp_final = env.gen_peer(["--port", port, "--rate", "10kpps", "--count", "1234",
                                 "--warmup", "0.2", "--json", js3, "--quiet"], tp, env.stop_testpmd)
    res3 = r3.json["result"]
    check(res3["sent"] == 1234 and res3["received"] == 1234,
          "--count 1234: sent %d received %d" % (res3["sent"], res3["received"]))

    print("testpmd at exit: %r" % tp_final)
    check(tp_final is not None and tp_final["rx"] == 1234 + res3["warmup_sent"]
          and tp_final["tx"] == tp_final["rx"],
          "--count 1234: testpmd forwarded %r, warm-up %d" % (tp_final, res3["warmup_sent"]))


if __name__ == "__main__":
    genlib.main(test)
