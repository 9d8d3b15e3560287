#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_prometheus.py: a real Prometheus server (Debian's) scrapes pf-control's
# /metrics with a bearer token; PromQL returns the echo executions the
# dataplane counted, the histogram is usable, and the scrape target is up.
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import TOKENS, Checker, Env, echo_packets, free_port, skip  # noqa: E402

N_ECHO = 64


def query(port, q):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": q}))
    with urllib.request.urlopen(url, timeout=5) as r:
        d = json.load(r)
    if d.get("status") != "success":
        return None
    return d["data"]["result"]


def main(build):
    prom = shutil.which("prometheus")
    if not prom:
        skip("prometheus is not installed (scripts/setup.sh installs it)")
    ck = Checker("control-prometheus")
    env = Env(build, "prom")
    proc = None
    try:
        env.start_dataplane(echo_packets(N_ECHO))
        env.start_control()
        env.wait_synced()
        tok = os.path.join(env.dir, "prom-token")
        with open(tok, "w") as f:
            f.write(TOKENS["viewer"])
        os.chmod(tok, 0o600)
        cfg = os.path.join(env.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: packetflow\n"
                    "    authorization:\n      type: Bearer\n      credentials_file: %s\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % (tok, env.port))
        pport = free_port()
        log = open(os.path.join(env.dir, "prometheus.log"), "w")
        proc = subprocess.Popen([prom, "--config.file", cfg,
                                 "--storage.tsdb.path", os.path.join(env.dir, "tsdb"),
                                 "--web.listen-address", "127.0.0.1:%d" % pport],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        q = 'sum(packetflow_capability_execution_count{capability="echo"})'
        got, up = None, None
        end = time.time() + 45
        while time.time() < end:
            if proc.poll() is not None:
                break
            try:
                up = query(pport, 'up{job="packetflow"}')
                res = query(pport, q)
                if res:
                    got = float(res[0]["value"][1])
                    if got == N_ECHO:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        ck.ok(proc.poll() is None, "prometheus runs")
        ck.ok(up and up[0]["value"][1] == "1", "scrape target up: %s" % up)
        ck.eq(got, float(N_ECHO), "PromQL %s" % q)
        res = query(pport, 'histogram_quantile(0.99, sum by (le) '
                    '(packetflow_capability_execution_duration_seconds_bucket{capability="echo"}))')
        ck.ok(res and 0 < float(res[0]["value"][1]) < 1.0,
              "p99 echo latency from the histogram: %s" % res)
        res = query(pport, 'packetflow_registry_capabilities_registered')
        ck.ok(res and float(res[0]["value"][1]) == 7, "registry size: %s" % res)
        res = query(pport, 'sum(packetflow_dataplane_drops)')
        ck.ok(res is not None and len(res) == 1, "drops by reason are scraped: %s" % res)
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        env.stop()
    return ck.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
