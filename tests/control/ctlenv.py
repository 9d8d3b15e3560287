#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# ctlenv.py: what pf-control's tests share -- a pf-dataplane on a pcap (no
# NIC, no hugepages), a pf-control in front of it, an HTTP/1.1 client.
"""Test environment for pf-control.

    env = Env(build)                # temp dir, tokens file (mode 600)
    env.start_dataplane(packets)    # pf-dataplane on net_pcap, stats + ctl in env.dir
    env.start_control()             # pf-control on 127.0.0.1:<free port>
    st, body = env.api("GET", "/health", role="viewer")
    env.stop()                      # SIGINT both, collect logs

A test exits 77 (skipped) when a binary it needs is not built.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC_ROOT, "tests", "integration"))
import pfpkt  # noqa: E402

TOKENS = {
    "viewer": "viewer-token-0123456789abcdef",
    "operator": "operator-token-0123456789abcdef",
    "admin": "admin-token-0123456789abcdef",
}


def skip(msg):
    print("SKIP: %s" % msg)
    sys.exit(77)


def find(build, sub, name):
    p = os.path.join(build, sub, name)
    return p if os.path.isfile(p) and os.access(p, os.X_OK) else None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def echo_packets(n, session=5, cap=1, seq0=0, data=b"hello"):
    """n echo requests (capability 1) as Ethernet frames."""
    return [pfpkt.udp_packet(pfpkt.request(cap, [(pfpkt.F_DATA, data)],
                                           session_id=session, seq=seq0 + i))
            for i in range(n)]


class Checker:
    """Counts checks; prints each failure with where it came from."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s" % what, flush=True)
        return cond

    def eq(self, got, want, what):
        return self.ok(got == want, "%s: got %r, expected %r" % (what, got, want))

    def done(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        return 0 if self.failed == 0 else 1


class Env:
    def __init__(self, build, name="ctl", config="configs/default.conf"):
        self.build = os.path.abspath(build)
        self.name = name
        self.config = os.path.join(SRC_ROOT, config)
        self.dp_exe = find(self.build, "dataplane", "pf-dataplane")
        self.pfc_exe = find(self.build, "control", "pf-control")
        self.pfctl_exe = find(self.build, "control", "pfctl")
        if not self.pfc_exe:
            skip("pf-control is not built under %s" % self.build)
        self.dir = tempfile.mkdtemp(prefix="pf-ctl-%s-" % name)
        self.state = os.path.join(self.dir, "state")
        self.stats = os.path.join(self.dir, "stats")
        self.ctl = os.path.join(self.dir, "ctl.sock")
        self.tokens = os.path.join(self.dir, "tokens")
        with open(self.tokens, "w") as f:
            for role, tok in TOKENS.items():
                f.write("%s %s %s-user\n" % (tok, role, role))
        os.chmod(self.tokens, 0o600)
        self.dp = None
        self.pfc = None
        self.port = None
        self.conn = None
        self.dp_runs = 0
        self.pfc_runs = 0

    # ---- processes ----

    def start_dataplane(self, packets=(), wait=True, replay=False, memif=False):
        """replay: loop the packets forever as fast as the port takes them
        (net_pcap infinite_rx), answers to /dev/null: steady traffic.
        memif: a memif server port at self.memif for pf-gen instead."""
        if not self.dp_exe:
            skip("pf-dataplane is not built")
        self.dp_runs += 1
        inp = os.path.join(self.dir, "in%d.pcap" % self.dp_runs)
        pfpkt.write_pcap(inp, list(packets))
        self.dp_log = os.path.join(self.dir, "dp%d.log" % self.dp_runs)
        prefix = "pfctl-%s-%d-%d" % (self.name, os.getpid(), self.dp_runs)
        self.memif = os.path.join(self.dir, "memif.sock")
        port = "p0=net_pcap0,rx_pcap=%s,%stx_pcap=%s" % (
            inp, "infinite_rx=1," if replay else "",
            "/dev/null" if replay else os.path.join(self.dir, "out%d.pcap" % self.dp_runs))
        if memif:
            port = "p0=net_memif0,role=server,socket=%s" % self.memif
        cmd = [self.dp_exe, "--lcores", "0@0,1@0,2@1", "--file-prefix", prefix, "--",
               "-c", self.config, "--port", port,
               "--stats", self.stats, "--control", self.ctl]
        with open(self.dp_log, "w") as log:
            self.dp = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=SRC_ROOT,
                                       start_new_session=True)
        if wait:
            self.wait_log(self.dp_log, "running; SIGINT", self.dp, 30)
        return self.dp

    def start_control(self, extra=(), wait=True, port=None):
        self.pfc_runs += 1
        self.port = port or self.port or free_port()
        self.pfc_log = os.path.join(self.dir, "pfc%d.log" % self.pfc_runs)
        cmd = [self.pfc_exe, "--config", self.config, "--state-dir", self.state,
               "--listen", "127.0.0.1:%d" % self.port, "--tokens", self.tokens,
               "--control", self.ctl, "--stats", self.stats] + list(extra)
        with open(self.pfc_log, "w") as log:
            self.pfc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=SRC_ROOT,
                                        start_new_session=True)
        self.conn = None
        if wait:
            self.wait_http(20)
        return self.pfc

    def wait_log(self, path, text, proc, timeout):
        end = time.time() + timeout
        while time.time() < end:
            with open(path, errors="replace") as f:
                if text in f.read():
                    return
            if proc.poll() is not None:
                raise RuntimeError("%s exited (%s):\n%s" % (path, proc.returncode, self.log(path)))
            time.sleep(0.05)
        raise RuntimeError("%s: no %r after %d s:\n%s" % (path, text, timeout, self.log(path)))

    def wait_http(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if self.pfc.poll() is not None:
                raise RuntimeError("pf-control exited (%s):\n%s" % (self.pfc.returncode,
                                                                     self.log(self.pfc_log)))
            # the pid tells this pf-control from a killed one whose
            # listener the kernel has not closed yet
            try:
                self.conn = None
                st, h = self.api("GET", "/health", role="viewer", timeout=2)
                if st == 200 and h["control"]["pid"] == self.pfc.pid:
                    return
            except (OSError, ValueError, KeyError, TypeError, http.client.HTTPException):
                pass
            self.conn = None
            time.sleep(0.05)
        raise RuntimeError("pf-control not listening after %d s" % timeout)

    def wait_synced(self, timeout=20):
        """Until /health says the dataplane is alive and holds our state."""
        end = time.time() + timeout
        h = None
        while time.time() < end:
            st, h = self.api("GET", "/health")
            dp = h["dataplane"] if st == 200 else {}
            if dp.get("alive") and dp.get("synced") and \
                    (self.dp is None or dp.get("pid") == self.dp.pid):
                return h
            time.sleep(0.1)
        raise RuntimeError("dataplane not synced after %d s: %s" % (timeout, h))

    def log(self, path):
        try:
            with open(path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop_proc(self, proc, sig=signal.SIGINT, timeout=30):
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def stop(self, keep=False):
        rc_c = self.stop_proc(self.pfc)
        rc_d = self.stop_proc(self.dp)
        if not keep and os.environ.get("PF_IT_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("kept %s" % self.dir)
        return rc_c, rc_d

    # ---- HTTP ----

    def api(self, method, path, body=None, role="admin", token=None, raw=False,
            headers=None, timeout=20):
        """One request on a kept-alive connection: (status, JSON or text)."""
        h = dict(headers or {})
        tok = token if token is not None else TOKENS.get(role)
        if tok:
            h["Authorization"] = "Bearer " + tok
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=body, headers=h)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        if raw:
            return resp.status, data
        ctype = resp.getheader("Content-Type", "")
        if ctype.startswith("application/json") and data:
            return resp.status, json.loads(data)
        return resp.status, data.decode(errors="replace")

    def metric(self, name, labels=None, role="viewer"):
        """Value of one sample of /metrics (labels: dict that must match)."""
        st, text = self.api("GET", "/metrics", role=role)
        if st != 200:
            return None
        total = None
        for line in text.splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            key, _, val = line.rpartition(" ")
            mname, _, lab = key.partition("{")
            if mname != name:
                continue
            got = {}
            for part in lab.rstrip("}").split(","):
                if "=" in part:
                    k, v = part.split("=", 1)
                    got[k] = v.strip('"')
            if labels and any(got.get(k) != str(v) for k, v in labels.items()):
                continue
            total = (total or 0) + float(val)
        return total
