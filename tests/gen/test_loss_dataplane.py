#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_loss_dataplane.py: exact loss end to end -- a DF.cs capability with
# arg 10 absorbs every 10th request; pf-gen must report exactly K/10 lost.
"""Loss through pf-dataplane's consumer element.

default.conf plus one capability (id 20, DF.cs, arg "10"): each lcore's
consumer absorbs every 10th request it runs, counted under the drop reason
`absorbed`. DF runs round-robin on lcores 1 and 2, so K requests (K a
multiple of 20) split evenly and exactly K/10 go unanswered. pf-gen sends K
with --count, no warm-up, and must report lost == K/10, which must also be
the dataplane's `absorbed`. Exits 77 when the dataplane has no DF.cs.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genlib  # noqa: E402
from genlib import check  # noqa: E402

K = 2000

CAPABILITY = """
  - id: 20
    name: consume
    element: DF.cs
    intent: "absorb every 10th request"
    arg: "10"
    requires: [data]
    provides: [count]
    effects: [metrics]
"""

PROFILE = """
description: consumer only (every 10th absorbed by the dataplane)
size: 128
sessions: 16
mix:
  - name: consume
    capability: 20
    element: DF.cs
    fields: [data]
"""


def test(env):
    with open(os.path.join(genlib.SRC_ROOT, "configs", "default.conf")) as f:
        conf = f.read()
    rules = os.path.join(genlib.SRC_ROOT, "configs", "rules", "example.rules")
    conf = conf.replace("rules: rules/example.rules", "rules: %s" % rules)
    at = conf.index("\nmolecules:")
    at = conf.rindex("\n\n", 0, at)        # before the comment block of molecules
    conf = conf[:at] + "\n" + CAPABILITY.rstrip("\n") + conf[at:]
    cfg = env.path("consume.conf")
    with open(cfg, "w") as f:
        f.write(conf)
    prof = env.path("consume.yaml")
    with open(prof, "w") as f:
        f.write(PROFILE)

    exe = genlib.find_tool(env.build, "pf-dataplane")
    if not exe:
        genlib.skip("pf-dataplane is not built")
    chk = subprocess.run([exe, "--check-config", cfg], capture_output=True, text=True,
                         cwd=genlib.SRC_ROOT, timeout=60)
    if chk.returncode != 0:
        if "DF.cs" in chk.stderr:
            genlib.skip("pf-dataplane has no DF.cs behaviour yet: %s" % chk.stderr.strip())
        raise genlib.TestFailure("--check-config %s: %s" % (cfg, chk.stderr.strip()))

    sock = env.sock()
    dp = env.dataplane(cfg, sock)
    js = env.path("loss.json")
    r, final = env.gen_peer(["--port", "net_memif0,role=client,socket=%s" % sock, "--profile", prof,
                             "--rate", "2kpps", "--count", "%d" % K, "--warmup", "0",
                             "--rx-queues", "2", "--json", js], dp, env.stop_dataplane,
                            lcores="0@0,1@1")
    res = r.json["result"]
    print("pf-gen: sent %d received %d lost %d (%.2f %%); pf-dataplane %r"
          % (res["sent"], res["received"], res["lost"], res["loss_pct"], final))
    check(res["sent"] == K, "sent %d, asked --count %d" % (res["sent"], K))
    check(res["lost"] == K // 10, "lost %d, expected exactly %d" % (res["lost"], K // 10))
    check(res["received"] == K - K // 10 and res["responses"] == res["received"],
          "received %d (%d responses)" % (res["received"], res["responses"]))
    check(res["duplicates"] == 0 and res["late"] == 0 and res["misaddressed"] == 0,
          "duplicates %d late %d misaddressed %d" % (res["duplicates"], res["late"],
                                                     res["misaddressed"]))
    check(final["rx"] == K, "pf-dataplane rx %d" % final["rx"])
    check(final["reasons"] == {"absorbed": K // 10},
          "pf-dataplane drops %r, expected absorbed=%d only" % (final["reasons"], K // 10))
    check(final["tx"] == K - K // 10, "pf-dataplane tx %d" % final["tx"])


if __name__ == "__main__":
    genlib.main(test)
