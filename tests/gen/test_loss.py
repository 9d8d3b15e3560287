#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_loss.py: pf-gen's matching is exact -- answers to --pcap-out's
# requests, crafted with known drops, duplicates, swaps, errors, replicas
# and strangers, replayed into --rx-only through net_pcap.
"""Loss, duplicates, reordering and lateness counted exactly.

pf-gen --pcap-out writes K requests; this test turns them into answers
(addresses swapped, type response) and then spoils the stream on purpose:
every 10th answer dropped, some repeated, some pairs of the same session
swapped, some turned into error frames, REPLICA answers (one the only
answer to its request, two extra copies of answered ones), frames of another
run (cookie), of a seq never sent, a malformed frame and an ARP frame.
pf-gen --rx-only --count K reads that pcap through net_pcap and must count
each kind exactly. The expected figures are computed twice: by hand from
the plan, and by a reference model of the per-session window -- then the
window is shrunk below one displaced answer's lag to check `late`.
"""
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genlib  # noqa: E402
from genlib import check  # noqa: E402

K = 3000
SESSIONS = 8
COOKIE = 0x70666765
COMMON = ["--profile", "configs/profiles/echo.yaml", "--sessions", "%d" % SESSIONS,
          "--count", "%d" % K, "--seed", "7"]

DROPPED = [i for i in range(K) if i % 10 == 9]
SWAPS = [100, 240, 1000, 2002, 2500]          # answer i and i+8 (same session) swapped
ERRORS = {5: 12, 6: 4, 7: 12}                 # index -> error code
DUPS = [3, 50, 777, 777]                      # sent again at the end
REPLICAS = [11, 12]                           # a REPLICA-flagged copy each, sent again
REPLICA_FIRST = 13                            # its one answer carries the REPLICA flag
MALFORMED = 20                                # a copy with an undefined flag bit


def craft(reqs, late_index=None):
    """Answer frames in the order the test wants them received."""
    order = list(range(K))
    for i in SWAPS:
        order[i], order[i + 8] = order[i + 8], order[i]
    if late_index is not None:
        order.remove(late_index)
        order.append(late_index)
    dropped = set(DROPPED)

    def answer(i, flags=None):
        if i in ERRORS:
            return genlib.error_frame(reqs[i], ERRORS[i])
        if i == REPLICA_FIRST:
            flags = 0x04
        return genlib.turn_around(reqs[i], 2, flags)

    out = [answer(i) for i in order if i not in dropped]
    out += [answer(i) for i in DUPS]
    out += [answer(i, flags=0x04) for i in REPLICAS]
    bad = bytearray(answer(MALFORMED))
    bad[genlib.PF_OFF + 9] = 0x80
    out.append(bytes(bad))
    stranger = bytearray(answer(30))
    struct.pack_into(">I", stranger, genlib.PF_OFF + 16, 0x12345678)   # cookie
    out.append(bytes(stranger))
    never = bytearray(answer(31))
    struct.pack_into(">I", never, genlib.PF_OFF + 28, 100000)          # seq not sent
    out.append(bytes(never))
    arp = bytes(12) + b"\x08\x06" + bytes(46)
    out.append(arp)
    return out


def reference(frames, sent_per_session, window):
    """The per-session window, in Python: what pf-gen must count."""
    c = dict(matched=0, responses=0, errors=0, duplicates=0, reordered=0, late=0,
             replica=0, foreign=0, malformed=0, other=0, codes={})
    base, seen, hi = {}, {}, {}
    for fr in frames:
        if struct.unpack_from(">H", fr, 12)[0] != 0x0800:
            c["other"] += 1
            continue
        h = genlib.parse(fr)
        if h["flags"] & ~0x07:
            c["malformed"] += 1
            continue
        s, seq = h["session_id"], h["seq"]
        if h["trace_id"] >> 32 != COOKIE or s not in sent_per_session or \
                seq >= sent_per_session[s]:
            c["foreign"] += 1
            continue
        replica = bool(h["flags"] & 0x04)
        c["replica"] += replica
        b = base.get(s, 0)
        ss = seen.setdefault(s, set())
        if seq < b:
            c["late"] += 1
            continue
        if seq >= b + window:
            nb = seq - window + 1
            ss.difference_update(range(b, nb))
            base[s] = nb
        if seq in ss:
            c["duplicates"] += not replica
            continue
        ss.add(seq)
        c["matched"] += 1
        if h["type"] == 3:
            c["errors"] += 1
            code = struct.unpack_from(">H", h["tlvs"][0][1])[0]
            c["codes"][code] = c["codes"].get(code, 0) + 1
        else:
            c["responses"] += 1
        if seq + 1 <= hi.get(s, 0):
            c["reordered"] += 1
        else:
            hi[s] = seq + 1
    return c


def replay(env, frames, name, window=None):
    path = env.path(name + ".pcap")
    genlib.write_pcap(path, frames)
    js = env.path(name + ".json")
    args = ["--rx-only", "--port", "net_pcap0,rx_pcap=%s" % path, "--json", js,
            "--drain-ms", "300"] + COMMON
    if window:
        args += ["--window", "%d" % window]
    return env.gen(args).json["result"]


def compare(res, exp, what):
    names = {4: "missing_field", 12: "not_found"}
    got = {k: res[k] for k in ("duplicates", "reordered", "late", "replica", "responses")}
    got.update(matched=res["received"], errors=res["errors_total"],
               foreign=res["unmatched"]["foreign"], malformed=res["unmatched"]["malformed"],
               other=res["unmatched"]["other"])
    for k, v in got.items():
        check(v == exp[k], "%s: %s is %d, expected %d" % (what, k, v, exp[k]))
    check(res["errors"] == {names[c]: n for c, n in exp["codes"].items()},
          "%s: errors by code %r, expected %r" % (what, res["errors"], exp["codes"]))
    check(res["sent"] == K and res["lost"] == K - exp["matched"],
          "%s: sent %d lost %d, expected %d and %d" % (what, res["sent"], res["lost"], K,
                                                       K - exp["matched"]))


def check_default_pcap(env):
    """--pcap-out of default.yaml: every frame valid to the Lua dissector
    (an implementation independent of lib/pf_wire.c), and as the profile
    says -- header-routed entries name their capability, classify ones
    nothing and lead with an intent."""
    path = env.path("default.pcap")
    env.gen(["--pcap-out", path, "--count", "2000", "--profile", "configs/profiles/default.yaml"],
            eal=False)
    frames = [f for _, f in genlib.read_pcap(path)]
    check(len(frames) == 2000, "default.yaml pcap: %d frames" % len(frames))
    caps = {}
    for i, f in enumerate(frames):
        h = genlib.parse(f)
        ids = [t for t, _ in h["tlvs"]]
        caps[h["capability"]] = caps.get(h["capability"], 0) + 1
        if h["capability"] == 0:
            check(h["group"] == 0 and h["element"] == 0 and ids[:1] == [1],
                  "frame %d: a classify frame names a group or has no leading intent" % i)
            check(100 <= h["session_id"] <= 199, "frame %d: classify session %d" % (i, h["session_id"]))
        else:
            check(h["group"] != 0, "frame %d: capability %d without its group" % (i, h["capability"]))
        check(len(f) + 4 in (90, 98, 128, 130, 256, 570, 1486) or len(f) + 4 < 300,
              "frame %d: %d bytes" % (i, len(f) + 4))
    check(sorted(caps) == [0, 1, 2, 3, 4, 5, 6, 10], "capabilities in the pcap: %r" % sorted(caps))
    lua = os.path.join(genlib.SRC_ROOT, "scripts", "wireshark", "packetflow.lua")
    tshark = shutil.which("tshark")
    if not tshark or not os.path.exists(lua):
        print("(tshark or the dissector missing: pcap not dissected)")
        return
    r = subprocess.run([tshark, "-X", "lua_script:" + lua, "-r", path, "-T", "fields",
                        "-e", "pf.verdict"], capture_output=True, text=True, timeout=120)
    verdicts = r.stdout.split()
    check(len(verdicts) == 2000 and set(verdicts) == {"ok"},
          "tshark's verdicts on default.yaml's frames: %r" %
          {v: verdicts.count(v) for v in set(verdicts)})


def test(env):
    check_default_pcap(env)
    req = env.path("req.pcap")
    env.gen(["--pcap-out", req] + COMMON, eal=False)
    reqs = [f for _, f in genlib.read_pcap(req)]
    check(len(reqs) == K, "--pcap-out --count %d wrote %d frames" % (K, len(reqs)))

    # The requests themselves: one cookie, the sessions asked for, each
    # session's seqs 0, 1, 2 ... without a gap, trace ids all distinct.
    per = {}
    traces = set()
    for i, f in enumerate(reqs):
        h = genlib.parse(f)
        check(h["magic"] == 0x5046 and h["version"] == 1 and h["type"] == 1,
              "frame %d is not a request" % i)
        check(h["trace_id"] >> 32 == COOKIE, "frame %d: cookie %x" % (i, h["trace_id"] >> 32))
        check(h["capability"] == 1 and h["group"] == 1 and h["element"] == 1,
              "frame %d: not echo CF.seq" % i)
        check(1000 <= h["session_id"] < 1000 + SESSIONS, "frame %d: session %d" % (i, h["session_id"]))
        check(h["seq"] == per.get(h["session_id"], 0), "frame %d: session %d seq %d after %d"
              % (i, h["session_id"], h["seq"], per.get(h["session_id"], 0)))
        per[h["session_id"]] = h["seq"] + 1
        traces.add(h["trace_id"])
        check(h["tlvs"] and h["tlvs"][0][0] == 2, "frame %d: no data field" % i)
        check(h["len"] == 86, "frame %d: %d bytes, the smallest echo frame is 86 + FCS" % (i, h["len"]))
    check(len(traces) == K, "trace ids repeat")
    check(all(s == 1000 + i % SESSIONS for i, s in
              enumerate(genlib.parse(f)["session_id"] for f in reqs)),
          "round-robin sessions out of order")

    # The spoiled stream, by hand: 300 dropped, 5 swapped pairs, 3 errors,
    # 4 duplicates, 3 replica answers (one a request's only answer, two
    # more copies of answered ones), 2 strangers, 1 malformed, 1 ARP.
    frames = craft(reqs)
    exp = reference(frames, per, 4096)
    hand = dict(matched=K - len(DROPPED), duplicates=len(DUPS), reordered=len(SWAPS), late=0,
                replica=len(REPLICAS) + 1, foreign=2, malformed=1, other=1, errors=3,
                codes={12: 2, 4: 1})
    hand["responses"] = hand["matched"] - hand["errors"]
    for k, v in hand.items():
        check(exp[k] == v, "the reference model disagrees with the plan on %s: %r vs %r"
              % (k, exp[k], v))
    res = replay(env, frames, "spoiled")
    print("spoiled: received %d lost %d dup %d reordered %d late %d replica %d errors %r"
          % (res["received"], res["lost"], res["duplicates"], res["reordered"], res["late"],
             res["replica"], res["errors"]))
    compare(res, exp, "spoiled stream")
    check(res["lost"] == K // 10, "lost %d, expected exactly K/10 = %d" % (res["lost"], K // 10))
    check(res["misaddressed"] == 0, "misaddressed %d" % res["misaddressed"])
    check(res["latency_ns"]["count"] == 0, "--rx-only measures no latency")

    # One answer held back to the very end: within the default window it
    # is a late-arriving first answer (reordered); with a 64-seq window it
    # has fallen out (late), so it counts as lost -- and says so. So have
    # the duplicates and replica copies sent at the end: late, then.
    frames = craft(reqs, late_index=400)
    for window in (4096, 64):
        exp = reference(frames, per, window)
        res = replay(env, frames, "held-%d" % window, window)
        print("held back, window %d: lost %d reordered %d late %d"
              % (window, res["lost"], res["reordered"], res["late"]))
        compare(res, exp, "answer 400 held back, window %d" % window)
    check(res["late"] == 1 + len(DUPS) + len(REPLICAS) and res["duplicates"] == 0 and res["lost"] == K // 10 + 1,
          "window 64: late %d duplicates %d lost %d" % (res["late"], res["duplicates"], res["lost"]))


if __name__ == "__main__":
    genlib.main(test)
