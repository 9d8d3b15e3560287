#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_crash.py: crash consistency -- pf-control is killed with SIGKILL in
# the middle of a stream of writes, many times; after each restart every
# acknowledged write is there (and nothing half-written breaks the start).
import copy
import os
import random
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import Checker, Env  # noqa: E402

ROUNDS = int(os.environ.get("PF_CRASH_ROUNDS", "12"))


class Writer(threading.Thread):
    """Creates capabilities one after another and deletes the one before;
    flips DF's balance mode. Records what was acknowledged."""

    def __init__(self, env, round_no, expect):
        super().__init__(daemon=True)
        self.env = copy.copy(env)  # its own connection
        self.env.conn = None
        self.round = round_no
        self.expect = expect      # name -> True (present) / False (deleted)
        self.balance = None       # last acknowledged DF balance
        self.inflight = None      # the operation that may or may not have landed
        self.acked = 0
        self.stop = False

    def run(self):
        env = self.env
        prev = None
        i = 0
        try:
            while not self.stop:
                name = "c%d_%d" % (self.round, i)
                self.inflight = ("create", name)
                st, b = env.api("POST", "/capabilities",
                                {"name": name, "element": "DF.tr", "arg": "upper",
                                 "requires": ["data"], "provides": ["data"]}, timeout=5)
                if st != 201:
                    raise RuntimeError("create %s: %s %s" % (name, st, b))
                self.expect[name] = True
                self.acked += 1
                if prev:
                    self.inflight = ("delete", prev)
                    st, b = env.api("DELETE", "/capabilities/" + prev, timeout=5)
                    if st != 204:
                        raise RuntimeError("delete %s: %s %s" % (prev, st, b))
                    self.expect[prev] = False
                    self.acked += 1
                mode = ("least-loaded", "round-robin")[i % 2]
                self.inflight = ("balance", mode)
                st, b = env.api("PATCH", "/policy/groups/DF", {"balance": mode},
                                role="operator", timeout=5)
                if st != 200:
                    raise RuntimeError("policy: %s %s" % (st, b))
                self.balance = mode
                self.acked += 1
                self.inflight = None
                prev = name
                i += 1
        except (OSError, RuntimeError, ValueError) as e:
            self.error = e  # the kill cut the connection: expected


def main(build):
    ck = Checker("control-crash")
    env = Env(build, "crash")
    expect = {}
    balance = None
    rng = random.Random(7447)
    total_acked = 0
    try:
        for r in range(ROUNDS):
            env.start_control()
            # what the previous rounds acknowledged is all there
            st, b = env.api("GET", "/capabilities", role="viewer")
            ck.eq(st, 200, "round %d: list after restart" % r)
            have = {c["name"] for c in b["capabilities"]}
            for name, present in expect.items():
                if present:
                    ck.ok(name in have, "round %d: acknowledged create of %s kept" % (r, name))
                else:
                    ck.ok(name not in have, "round %d: acknowledged delete of %s kept" % (r, name))
            if balance:
                st, b = env.api("GET", "/policy/groups/DF", role="viewer")
                ck.eq(b["policy"]["balance"], balance, "round %d: acknowledged policy kept" % r)
            for name in list(expect):
                if not expect[name] and name in have:
                    ck.ok(False, "round %d: %s deleted yet present" % (r, name))
            for name in have:
                if name.startswith("c") and "_" in name and name not in expect:
                    expect[name] = True  # an unacknowledged create that landed
            # drop leftovers so the registry stays small
            for name in [n for n in have if n in expect and expect[n]]:
                st, _ = env.api("DELETE", "/capabilities/" + name)
                ck.eq(st, 204, "cleanup %s" % name)
                expect[name] = False

            w = Writer(env, r, expect)
            w.start()
            time.sleep(0.15 + rng.random() * 0.5)
            os.kill(env.pfc.pid, signal.SIGKILL)
            env.pfc.wait()
            w.stop = True
            w.join(10)
            env.conn = None
            total_acked += w.acked
            if getattr(w, "error", None) and not isinstance(w.error, OSError):
                print("round %d: writer stopped: %s" % (r, w.error))
            if w.balance:
                balance = w.balance
            if w.inflight and w.inflight[0] == "balance":
                balance = None  # either value may be there now
            if w.inflight and w.inflight[0] == "delete":
                expect.pop(w.inflight[1], None)
            if w.inflight and w.inflight[0] == "create":
                expect.pop(w.inflight[1], None)
        env.start_control()
        st, b = env.api("GET", "/health")
        ck.eq(st, 200, "pf-control starts after %d kills" % ROUNDS)
        ck.ok(total_acked > ROUNDS, "writes were acknowledged between kills (%d)" % total_acked)
        leftovers = [f for f in os.listdir(env.state) if f.endswith(".tmp")]
        print("acknowledged writes: %d over %d kills; temp files left: %s"
              % (total_acked, ROUNDS, leftovers))
    finally:
        env.stop()
    return ck.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
