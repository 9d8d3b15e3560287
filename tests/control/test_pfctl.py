#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_pfctl.py: pfctl against a pf-control and a dataplane: tables, --json,
# writes, the top view, exit codes and the API's reasons on stderr.
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import TOKENS, Checker, Env, echo_packets, skip  # noqa: E402


def main(build):
    ck = Checker("control-pfctl")
    env = Env(build, "pfctl")
    if not env.pfctl_exe:
        skip("pfctl is not built")
    try:
        env.start_dataplane(echo_packets(25))
        env.start_control()
        env.wait_synced()

        def pfctl(*args, role="admin", stdin=None):
            e = dict(os.environ, PFCTL_ADDR="127.0.0.1:%d" % env.port,
                     PFCTL_TOKEN=TOKENS[role])
            return subprocess.run([env.pfctl_exe] + list(args), input=stdin, env=e,
                                  capture_output=True, text=True, timeout=20)

        r = pfctl("health")
        ck.eq(r.returncode, 0, "health: %s" % r.stderr)
        ck.ok("alive, synced" in r.stdout, "health table: %s" % r.stdout)
        r = pfctl("caps", role="viewer")
        ck.ok(r.stdout.splitlines()[0].split()[:3] == ["ID", "NAME", "ELEMENT"], "caps header")
        ck.ok(any(l.split()[:3] == ["4", "cache", "RM.ca"] for l in r.stdout.splitlines()),
              "caps rows: %s" % r.stdout)
        r = pfctl("--json", "caps", role="viewer")
        ck.eq(len(json.loads(r.stdout)["capabilities"]), 7, "caps --json")
        r = pfctl("policy", role="viewer")
        ck.ok("aggregate*" in r.stdout, "policy marks overrides: %s" % r.stdout)
        r = pfctl("rules", role="viewer")
        ck.ok(r.stdout.startswith("15 rules"), "rules table: %s" % r.stdout[:80])
        r = pfctl("cap", "create", "-", stdin='{"name": "up", "element": "DF.tr", "arg": "upper"}')
        ck.eq(r.returncode, 0, "create from stdin: %s" % r.stderr)
        r = pfctl("cap", "patch", "up", '{"intent": "upper case"}')
        ck.ok(r.returncode == 0 and '"upper case"' in r.stdout, "patch: %s" % r.stdout)
        r = pfctl("policy", "group", "DF", '{"balance": "least-loaded"}', role="operator")
        ck.eq(r.returncode, 0, "policy group: %s" % r.stderr)
        r = pfctl("cap", "delete", "up", role="viewer")
        ck.eq(r.returncode, 1, "viewer delete fails")
        ck.ok("403" in r.stderr and "admin" in r.stderr, "the reason is shown: %s" % r.stderr)
        r = pfctl("cap", "delete", "up")
        ck.eq((r.returncode, r.stdout.strip()), (0, "deleted"), "delete")
        r = pfctl("cap", "get", "up")
        ck.eq(r.returncode, 1, "get a deleted capability")
        r = pfctl("--json", "top", "-n", "2", "-i", "0.3", role="viewer")
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        ck.eq(len(lines), 2, "top -n 2 --json gives two samples")
        ck.ok(lines and lines[-1]["groups"]["CF"]["exec"] == 25, "top sees CF executions")
        r = pfctl("top", "-n", "1", role="viewer")
        ck.ok("CF.seq" in r.stdout and "GROUP" in r.stdout, "top table: %s" % r.stdout[:200])
        e = dict(os.environ, PFCTL_ADDR="127.0.0.1:1")
        r = subprocess.run([env.pfctl_exe, "health"], env=e, capture_output=True, text=True)
        ck.eq(r.returncode, 2, "no server: exit 2")
    finally:
        env.stop()
    return ck.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
