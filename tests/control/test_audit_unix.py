#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_audit_unix.py: pf-control bound to a UNIX socket only (no TCP
# listener at all), pfctl over that socket, and the audit log rotated by
# size: FILE, FILE.1 .. FILE.keep, every line a JSON object.
import glob
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import TOKENS, Checker, Env  # noqa: E402

AUDIT_MAX = 4096
AUDIT_KEEP = 3


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path_ = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path_)


def tcp_listeners(pid):
    """TCP sockets of a process that are listening (state 0A)."""
    inodes = set()
    for fd in glob.glob("/proc/%d/fd/*" % pid):
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if cols[3] == "0A" and cols[9] in inodes:
                        found.append(cols[1])
        except OSError:
            pass
    return found


def main(build):
    ck = Checker("control-audit-unix")
    env = Env(build, "unix")
    sock = os.path.join(env.dir, "api.sock")
    audit = os.path.join(env.dir, "audit.log")
    log = open(os.path.join(env.dir, "pfc.log"), "w")
    proc = subprocess.Popen([env.pfc_exe, "--config", env.config, "--state-dir", env.state,
                             "--unix", sock, "--tokens", env.tokens, "--control", env.ctl,
                             "--stats", env.stats, "--audit", audit,
                             "--audit-max", str(AUDIT_MAX), "--audit-keep", str(AUDIT_KEEP)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        ck.eq(oct(os.stat(sock).st_mode & 0o777), oct(0o660), "socket mode 660")
        ck.eq(tcp_listeners(proc.pid), [], "no TCP listener in UNIX-only mode")
        c = UnixHTTP(sock)
        h = {"Authorization": "Bearer " + TOKENS["operator"], "Content-Type": "application/json"}
        c.request("GET", "/health", headers=h)
        r = c.getresponse()
        ck.eq(r.status, 200, "health over the UNIX socket")
        r.read()
        for i in range(160):
            c.request("PATCH", "/policy/groups/DF",
                      json.dumps({"balance": ("least-loaded", "round-robin")[i % 2]}), h)
            r = c.getresponse()
            r.read()
            ck.eq(r.status, 200, "change %d" % i)
            if i % 10 == 9:
                time.sleep(0.25)  # let a batch be written: rotation is per batch
        if env.pfctl_exe:
            p = subprocess.run([env.pfctl_exe, "-U", sock, "-t", TOKENS["viewer"], "policy"],
                               capture_output=True, text=True, timeout=10)
            ck.ok(p.returncode == 0 and "DF" in p.stdout, "pfctl -U: %s" % p.stderr)
        time.sleep(0.6)  # one batched fsync and rotation later
    finally:
        proc.send_signal(2)
        rc = proc.wait(20)
    ck.eq(rc, 0, "exit on SIGINT")
    files = sorted(glob.glob(audit + "*"))
    names = [os.path.basename(f) for f in files]
    ck.eq(names, ["audit.log"] + ["audit.log.%d" % i for i in range(1, AUDIT_KEEP + 1)],
          "rotated files, %d kept" % AUDIT_KEEP)
    changes = 0
    for f in files:
        size = os.path.getsize(f)
        ck.ok(size < AUDIT_MAX + 64 * 1024, "%s: %d bytes" % (f, size))
        with open(f) as fh:
            for n, line in enumerate(fh, 1):
                try:
                    rec = json.loads(line)
                except ValueError:
                    ck.ok(False, "%s:%d: not JSON: %r" % (f, n, line[:80]))
                    continue
                changes += rec.get("change", "").startswith("group DF")
    ck.ok(changes >= 20, "policy changes audited in the kept files (%d)" % changes)
    env.stop()
    return ck.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
