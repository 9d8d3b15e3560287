#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_dataplane.py: pf-dataplane integration scenarios -- frames in over a
# net_pcap port, frames out, counters checked; one scenario per meson test.
"""Usage: test_dataplane.py SCENARIO --build BUILD_DIR

Scenarios: builtins classify ccache admission malformed l2l3 order replicate
priority rcu startup. Each prints one summary line and exits 0, or prints
every failed check and exits 1 (77: skipped, a tool it needs is missing).
Set PF_IT_KEEP=1 to keep each run's temp dir (pcaps, stats, log).
"""

import argparse
import os
import random
import re
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pfpkt  # noqa: E402
from pfpkt import (F_COUNT, F_DATA, F_ERROR_CODE, F_ERROR_MSG, F_INTENT,  # noqa: E402
                   F_KEY, F_MATCH, F_RESULT, F_STAGE, F_VALUE, tlv_get, tlv_int)
import harness  # noqa: E402
from harness import Dataplane, RunError  # noqa: E402

SKIP = 77
DEFAULT_CONF = "configs/default.conf"
LCORES3 = "0@0,1@0,2@1"       # main + lcores 1, 2 of configs/default.conf
LCORES4 = "0@0,1@0,2@1,3@1"


class Skip(Exception):
    pass


class Checker:
    """Collects failed checks; a scenario reports all of them at once."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.n = 0

    def ok(self, cond, msg):
        self.n += 1
        if not cond:
            self.failures.append(msg if len(msg) <= 600 else msg[:600] + "...")
        return bool(cond)

    def eq(self, got, want, what):
        return self.ok(got == want, "%s: got %r, expected %r" % (what, got, want))

    def fail(self, msg):
        self.ok(False, msg)


# ---- building requests ----

class Traffic:
    """Packets to send, with what each request expects; answers are matched
    by (session_id, seq), which every request here makes unique."""

    def __init__(self):
        self.packets = []
        self.reqs = {}        # (session, seq) -> (frame kwargs, packet)
        self.next_seq = {}

    def seq(self, session):
        s = self.next_seq.get(session, 0) + 1
        self.next_seq[session] = s
        return s

    def add(self, pkt):
        self.packets.append(pkt)
        return pkt

    def request(self, capability=0, tlvs=(), session=5, seq=None, l2=None, **kw):
        """A request frame in a UDP packet; returns its (session, seq)."""
        if seq is None:
            seq = self.seq(session)
        kw.setdefault("trace_id", (session << 32) | seq)
        kw.setdefault("timestamp", 0x1000000000 + seq)
        kw.setdefault("type", pfpkt.REQUEST)
        fr = pfpkt.frame(capability=capability, tlvs=tlvs, session_id=session, seq=seq, **kw)
        l2 = dict(l2 or {})
        l2.setdefault("ident", len(self.packets) & 0xFFFF)
        pkt = pfpkt.udp_packet(fr, **l2)
        self.reqs[(session, seq)] = (dict(kw, capability=capability, session_id=session,
                                          seq=seq), pkt)
        self.add(pkt)
        return (session, seq)


def answer_of(ck, res, key, what):
    """The one answer to request key; records a failure when there is not
    exactly one."""
    a = res.answers.get(key, [])
    if len(a) != 1:
        ck.fail("%s (session %d seq %d): %d answers, expected 1%s"
                % (what, key[0], key[1], len(a),
                   "" if not a else ": " + "; ".join(pfpkt.describe_frame(x["pf"]) for x in a)))
        return None
    return a[0]


def check_turned_around(ck, req_pkt, ans, what):
    """The answer goes back where the request came from: MACs, IPv4
    addresses and UDP ports swapped, tags kept, lengths and checksum right."""
    q = pfpkt.decode_packet(req_pkt)
    ok = True
    ok &= ck.eq((ans["eth"]["src"], ans["eth"]["dst"]), (q["eth"]["dst"], q["eth"]["src"]),
                what + ": answer MACs (src, dst)")
    ok &= ck.eq(ans["eth"]["vlans"], q["eth"]["vlans"], what + ": VLAN tags")
    ok &= ck.eq((ans["ip"]["src"], ans["ip"]["dst"]), (q["ip"]["dst"], q["ip"]["src"]),
                what + ": answer IPv4 (src, dst)")
    ok &= ck.eq((ans["udp"]["sport"], ans["udp"]["dport"]),
                (q["udp"]["dport"], q["udp"]["sport"]), what + ": answer UDP ports")
    ok &= ck.ok(ans["ip"]["checksum_ok"], what + ": answer's IPv4 header checksum is wrong")
    ok &= ck.eq(ans["ip"]["options"], q["ip"]["options"], what + ": IPv4 options")
    ok &= ck.eq(ans["ip"]["total_length"] + ans["l3_off"], len(ans["raw"]) - len(ans["padding"]),
                what + ": IPv4 total length vs frame")
    ok &= ck.eq(ans["udp"]["length"], ans["ip"]["total_length"] - ans["ip"]["ihl"],
                what + ": UDP length vs IPv4 length")
    ok &= ck.eq(ans["udp"]["checksum"], 0, what + ": UDP checksum (none)")
    ok &= ck.eq(ans.get("verdict"), "ok", what + ": answer frame verdict")
    return ok


def check_answer(ck, t, res, key, what, type_=pfpkt.RESPONSE, error=None, cap=None,
                 group=None, element=None):
    """Exactly one answer of this type, header fields copied from the
    request, sent back. error: expected error code name. Returns the
    decoded PacketFlow frame (dict) or None."""
    ans = answer_of(ck, res, key, what)
    if ans is None:
        return None
    kw, pkt = t.reqs[key]
    pf = ans["pf"]
    desc = pfpkt.describe_frame(pf)
    if error is not None:
        type_ = pfpkt.ERROR
    if not ck.eq(pfpkt.TYPES.get(pf.get("type")), pfpkt.TYPES[type_],
                 "%s: answer type (%s)" % (what, desc)):
        return pf
    check_turned_around(ck, pkt, ans, what)
    for k in ("trace_id", "session_id", "seq", "timestamp"):
        ck.eq(pf[k], kw.get(k, 0), "%s: %s copied from the request" % (what, k))
    if type_ in (pfpkt.RESPONSE, pfpkt.ERROR):
        ck.eq(pf["priority"], kw.get("priority", 0), what + ": priority copied")
        ck.eq(pf["flags"] & pfpkt.FLAG_TRACE, kw.get("flags", 0) & pfpkt.FLAG_TRACE,
              what + ": TRACE flag copied")
        ck.eq(pf["flags"] & pfpkt.FLAG_NOREPLY, 0, what + ": answer has NOREPLY set")
    if error is not None:
        code = tlv_int(pf, F_ERROR_CODE)
        ck.eq(pfpkt.ERRORS.get(code, code), error, "%s: error code (%s)" % (what, desc))
    if cap is not None:
        ck.eq(pf["capability"], cap, "%s: answer's capability (%s)" % (what, desc))
    if group is not None:
        ck.eq((pf["group"], pf["element"]), (group, element),
              "%s: answer's group/element (%s)" % (what, desc))
    return pf


def check_no_answer(ck, res, key, what):
    a = res.answers.get(key, [])
    ck.ok(not a, "%s: expected no answer, got %s"
          % (what, "; ".join(pfpkt.describe_frame(x["pf"]) for x in a)))


def check_all_answered_once(ck, res, keys, what):
    missing = [k for k in keys if len(res.answers.get(k, [])) == 0]
    dup = [k for k in keys if len(res.answers.get(k, [])) > 1]
    ck.ok(not missing, "%s: %d of %d requests unanswered, e.g. %r"
          % (what, len(missing), len(keys), missing[:5]))
    ck.ok(not dup, "%s: %d requests answered more than once, e.g. %r"
          % (what, len(dup), dup[:5]))


def cap_stat(res, name, field="exec"):
    for c in res.stats.get("caps", []):
        if c.get("name") == name:
            return c.get(field, 0)
    return None


def summary(name, n_frames, res, extra=""):
    f = res.final
    return "%s: %d frames, rx %d == tx %d + drops %d%s" % (
        name, n_frames, f["rx"], f["tx"], f["drops"], extra)


# ---- scenarios ----

def sc_builtins(build, ck):
    t = Traffic()
    # echo: same data, same trace/session/seq/timestamp, turned around
    echo = t.request(1, [(F_DATA, b"hello, world")], session=5, priority=4, complexity=1,
                     flags=pfpkt.FLAG_TRACE, trace_id=0x0102030405060708,
                     timestamp=0x1122334455667788)
    echo2 = t.request(1, [(F_DATA, b"\x00\xffbinary\x00"), (100, b"x"), (100, b"y")],
                      session=6)
    # transform upper
    tr = t.request(2, [(F_DATA, b"Hello, World 123 z{")], session=7)
    # aggregate: 1, 2, 3 for k1, 1 for k2; an explicit u64 increment; a bad value
    agg = [t.request(3, [(F_KEY, b"k1")], session=8) for _ in range(3)]
    agg_k2 = t.request(3, [(F_KEY, b"k2")], session=8)
    agg_inc = [t.request(3, [(F_KEY, b"k3"), pfpkt.tlv_u64(F_VALUE, n)], session=9)
               for n in (5, 10)]
    agg_bad = t.request(3, [(F_KEY, b"k4"), (F_VALUE, b"abc")], session=9)
    # cache (operators: session 100): put, get, get of a missing key
    put = t.request(4, [(F_KEY, b"user:1"), (F_VALUE, b"alice")], session=100)
    get = t.request(4, [(F_KEY, b"user:1")], session=100)
    miss = t.request(4, [(F_KEY, b"user:404")], session=100)
    # pattern: ids of the rules of configs/rules/example.rules that match
    pattern_cases = [
        # data, expected rule ids in the order their matches end
        (b"echo: transform to upper case", [1, 10, 11]),
        (b"nothing to see", []),
        (b"please ingest; ping", [20, 2]),
        (b"cache get then count", [40, 30]),
    ]
    pat = [(t.request(5, [(F_DATA, d)], session=10), ids) for d, ids in pattern_cases]
    # deny rules apply to requests that name their capability too
    denied = t.request(5, [(F_DATA, b"please drop table users; ping")], session=10)
    # broadcast: CO replicate 2 -> one answer, count 2
    bc = [t.request(6, [(F_DATA, b"to all %d" % i)], session=100 + i) for i in range(5)]
    # ingest: transform then aggregate, across an ionic bond
    ing = [t.request(10, [(F_DATA, b"abc"), (F_KEY, b"ingest-key")], session=11)
           for _ in range(2)]

    # edges: key lengths 31/32 through the ingest molecule, cache value
    # 120/121 bytes, overwrite, empty key, a broadcast that wants no answer
    ing31 = t.request(10, [(F_DATA, b"x"), (F_KEY, b"k" * 31)], session=12)
    ing32 = t.request(10, [(F_DATA, b"x"), (F_KEY, b"k" * 32)], session=12)
    c120 = t.request(4, [(F_KEY, b"big"), (F_VALUE, b"v" * 120)], session=101)
    c121 = t.request(4, [(F_KEY, b"big2"), (F_VALUE, b"v" * 121)], session=101)
    over = [t.request(4, [(F_KEY, b"ow"), (F_VALUE, v)], session=102) for v in (b"v1", b"v2")]
    over_get = t.request(4, [(F_KEY, b"ow")], session=102)
    agg_empty = t.request(3, [(F_KEY, b"")], session=13)
    bc_noreply = t.request(6, [(F_DATA, b"quiet")], session=150, flags=pfpkt.FLAG_NOREPLY)

    res = Dataplane(build, "dp-builtins", DEFAULT_CONF, LCORES3).run(t.packets)

    pf = check_answer(ck, t, res, echo, "echo", cap=1, group=1, element=1)
    if pf:
        ck.eq(pf["tlvs"], [(F_DATA, b"hello, world")], "echo: TLVs")
        ck.eq((pf["priority"], pf["complexity"]), (4, 1), "echo: priority, complexity")
    pf = check_answer(ck, t, res, echo2, "echo of binary data and extra TLVs", cap=1)
    if pf:
        ck.eq(pf["tlvs"], [(F_DATA, b"\x00\xffbinary\x00"), (100, b"x"), (100, b"y")],
              "echo of binary data: TLVs carried unchanged")
    pf = check_answer(ck, t, res, tr, "transform", cap=2, group=2, element=3)
    if pf:
        ck.eq(tlv_get(pf, F_DATA), b"HELLO, WORLD 123 Z{", "transform upper: data")
    counts = []
    for k in agg:
        pf = check_answer(ck, t, res, k, "aggregate k1", cap=3)
        counts.append(tlv_int(pf, F_COUNT) if pf else None)
    ck.eq(counts, [1, 2, 3], "aggregate k1: counts in seq order")
    pf = check_answer(ck, t, res, agg_k2, "aggregate k2", cap=3)
    if pf:
        ck.eq(tlv_int(pf, F_COUNT), 1, "aggregate k2: count")
        ck.eq(len(tlv_get(pf, F_COUNT, b"")), 8, "aggregate: count is a u64")
    incs = []
    for k in agg_inc:
        pf = check_answer(ck, t, res, k, "aggregate k3 with value", cap=3)
        incs.append(tlv_int(pf, F_COUNT) if pf else None)
    ck.eq(incs, [5, 15], "aggregate k3: counts after +5, +10")
    check_answer(ck, t, res, agg_bad, "aggregate with a 3-byte value", error="bad_argument")
    pf = check_answer(ck, t, res, put, "cache put", cap=4, group=6, element=4)
    if pf:
        ck.eq(tlv_get(pf, F_VALUE), b"alice", "cache put: value carried back")
    pf = check_answer(ck, t, res, get, "cache get", cap=4)
    if pf:
        ck.eq(tlv_get(pf, F_VALUE), b"alice", "cache get: value")
    check_answer(ck, t, res, miss, "cache get of a missing key", error="not_found")
    for k, ids in pat:
        pf = check_answer(ck, t, res, k, "pattern %r" % t.reqs[k][0].get("seq"), cap=5)
        if pf:
            m = tlv_get(pf, F_MATCH)
            if ck.ok(m is not None and len(m) % 4 == 0,
                     "pattern: match TLV missing or not u32s: %r" % m):
                got = list(struct.unpack("!%dI" % (len(m) // 4), m))
                ck.eq(got, ids, "pattern seq %d: matching rule ids" % k[1])
    check_answer(ck, t, res, denied, "pattern request carrying a deny-rule phrase",
                 error="denied")
    for k in bc:
        pf = check_answer(ck, t, res, k, "broadcast", cap=6, group=4, element=2)
        if pf:
            ck.eq(tlv_int(pf, F_COUNT), 2, "broadcast: count (replicas that agreed)")
            ck.eq(pf["flags"] & pfpkt.FLAG_REPLICA, pfpkt.FLAG_REPLICA,
                  "broadcast: answer flagged REPLICA (replicated execution)")
            ck.eq(tlv_get(pf, F_DATA), b"to all %d" % (k[0] - 100), "broadcast: data")
    pf = check_answer(ck, t, res, ing31, "ingest with a 31-byte key", cap=10)
    ck.eq(pf and tlv_int(pf, F_COUNT), 1, "ingest 31-byte key: count")
    pf = check_answer(ck, t, res, ing32, "ingest with a 32-byte key (stage 2 fails)",
                      error="bad_argument", cap=10)
    check_answer(ck, t, res, c120, "cache put of a 120-byte value", cap=4)
    check_answer(ck, t, res, c121, "cache put of a 121-byte value", error="bad_argument")
    for k in over:
        check_answer(ck, t, res, k, "cache put (overwrite)", cap=4)
    pf = check_answer(ck, t, res, over_get, "cache get after an overwrite", cap=4)
    ck.eq(pf and tlv_get(pf, F_VALUE), b"v2", "cache get after an overwrite: value")
    check_answer(ck, t, res, agg_empty, "aggregate with an empty key", error="bad_argument")
    check_no_answer(ck, res, bc_noreply, "broadcast with NOREPLY")
    tot = res.totals
    n_bc = len(bc) + 1
    ck.eq((tot["fanout_copies"], tot["fanout_joins"]), (n_bc, n_bc),
          "fanout_copies, fanout_joins after %d broadcasts (replicate 2)" % n_bc)
    ck.eq(res.drop("noreply"), 1, "drops noreply (the quiet broadcast)")
    for i, k in enumerate(ing):
        pf = check_answer(ck, t, res, k, "ingest", cap=10)
        if pf:
            ck.eq(tlv_get(pf, F_DATA), b"ABC", "ingest: data transformed")
            ck.eq(tlv_int(pf, F_COUNT), i + 1, "ingest: count of its key")
            st = tlv_get(pf, F_STAGE, b"")
            ck.eq(list(st[0::2]), [7, 8], "ingest: stage TLV elements (tr=7, ag=8)")
            ck.ok(all(x in (1, 2) for x in st[1::2]),
                  "ingest: stage TLV lcores %r not among 1, 2" % list(st[1::2]))
    ck.eq(tot["drops_total"], 1, "drops (%r)" % {k: v for k, v in tot["drops"].items() if v})
    ck.eq(res.final["tx"], len(t.packets) - 1, "tx: every request answered")
    n_err = 6  # denied, not_found, 4 x bad_argument
    ck.eq(sum(tot["errors"].values()), n_err, "error frames (%r)" % tot["errors"])
    for name, n in (("echo", 2), ("transform", 1), ("aggregate", 6), ("cache", 6),
                    ("pattern", len(pat)), ("broadcast", len(bc) + 1),
                    ("ingest", len(ing) + 1)):
        got = cap_stat(res, name)
        if got is not None:
            ck.eq(got, n, "caps[%s].exec" % name)
    line = summary("dp-builtins", len(t.packets), res)
    return line + "; elements.conf: " + _builtins_args(build, ck)


def crc32c_raw(data, crc):
    """CRC-32C update without pre/post inversion, as rte_hash_crc() and
    SSE4.2's crc32 instruction compute it."""
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc


def _builtins_args(build, ck):
    """transform's other args, CF.lp, DF.cs (tests/integration/configs/elements.conf)."""
    assert crc32c_raw(b"123456789", 0xFFFFFFFF) ^ 0xFFFFFFFF == 0xE3069283
    t = Traffic()
    text = b"Hello, World! abc-XYZ 123"
    tr = {cap: t.request(cap, [(F_DATA, text)]) for cap in (1, 2, 3, 4, 5)}
    # Case maps go a word at a time: every byte value, and every length
    # around a word's, of bytes at the letters' edges
    edges = b"`aAzZ@[{\x80\xc1\xe1\xfa\xdb\x7f mQ"
    texts = [bytes(range(256)), b""] + [(edges * 3)[i:i + n] for n in range(1, 25)
                                          for i in (0, 7)]
    more = {cap: [(x, t.request(cap, [(F_DATA, x)])) for x in texts] for cap in (1, 5)}
    loops = {cap: t.request(cap, [(F_DATA, b"loop data")]) for cap in (6, 7)}
    cons = [t.request(8, [], session=20) for _ in range(7)]
    res = Dataplane(build, "dp-builtins-args", "tests/integration/configs/elements.conf",
                    LCORES3).run(t.packets)
    rot13 = bytes((c - 97 + 13) % 26 + 97 if 97 <= c <= 122 else
                  (c - 65 + 13) % 26 + 65 if 65 <= c <= 90 else c for c in text)
    want = {1: text.lower(), 2: text[::-1], 3: rot13, 4: text, 5: text.upper()}
    names = {1: "lower", 2: "reverse", 3: "rot13", 4: "none", 5: "upper (default)"}
    for cap, k in tr.items():
        pf = check_answer(ck, t, res, k, "transform " + names[cap], cap=cap)
        ck.eq(pf and tlv_get(pf, F_DATA), want[cap], "transform %s: data" % names[cap])
    for cap, sent in more.items():
        for x, k in sent:
            pf = check_answer(ck, t, res, k, "transform %s of %r" % (names[cap], x), cap=cap)
            ck.eq(pf and tlv_get(pf, F_DATA), x.lower() if cap == 1 else x.upper(),
                  "transform %s of %r: data" % (names[cap], x))
    for cap, n in ((6, 1), (7, 3)):
        v = 0
        for _ in range(n):
            v = crc32c_raw(b"loop data", v)
        pf = check_answer(ck, t, res, loops[cap], "loop x%d" % n, cap=cap)
        ck.eq(pf and tlv_get(pf, F_RESULT), struct.pack("!I", v),
              "loop x%d: result (CRC-32C iterated)" % n)
    counts = []
    for i, k in enumerate(cons):
        if (i + 1) % 3 == 0:
            check_no_answer(ck, res, k, "consumer request %d (every 3rd is absorbed)" % (i + 1))
        else:
            pf = check_answer(ck, t, res, k, "consumer request %d" % (i + 1), cap=8)
            counts.append(pf and tlv_int(pf, F_COUNT))
    ck.eq(counts, [1, 2, 4, 5, 7], "consumer counts")
    ck.eq(res.drop("absorbed"), 2, "drops absorbed")
    ck.eq(res.totals["drops_total"], 2, "drops")
    return res.summary()


def sc_classify(build, ck):
    t = Traffic()
    D = (F_DATA, b"abc")
    K = (F_KEY, b"kk")
    # intent -> capability, per configs/rules/example.rules (session 100 is
    # an operator, so role checks pass)
    cases = [
        ("echo hello", [D], 1),
        ("ECHO: caseless", [D], 1),
        ("are you there?", [D], 1),                 # rule 2
        ("please transform this", [D], 2),          # rule 10
        ("make it upper case", [D], 2),             # rule 11
        ("capitalise", [D], 2),
        ("ingest and count", [D, K], 10),           # rule 20 listed before 30
        ("count these", [K], 3),
        ("sum of values", [K], 3),                  # rule 31
        ("cache put", [K, (F_VALUE, b"v")], 4),
        ("lookup key=abc", [K], 4),                 # rule 41 names the id
        ("scan all the patterns", [D], 5),
        ("broadcast it", [D], 6),
        ("fan-out", [D], 6),
        ("diffuser", [D], 6),                       # rule 61, caseless utf8
        ("RÉPANDRE", [D], 6),
        ("répandez", [D], 6),
    ]
    groups = {1: (1, 1), 2: (2, 3), 3: (2, 4), 4: (6, 4), 5: (3, 4), 6: (4, 2), 10: (2, 3)}
    keys = []
    for intent, tl, cap in cases:
        keys.append((t.request(0, [(F_INTENT, intent)] + tl, session=100), intent, cap))
    # no intent: the data is classified
    from_data = t.request(0, [(F_DATA, b"echo from the data field")], session=100)
    # header names group and element but no capability: the element's
    # capability runs
    by_elem = t.request(0, [D], group=2, element=3, session=100)
    no_cap_elem = t.request(0, [D], group=5, element=1, session=100)
    # refusals
    deny = [t.request(0, [(F_INTENT, s), D], session=100) for s in
            ("DROP   TABLE users", "ls; rm -rf /", "echo ok && rm -fr /tmp")]
    drop = t.request(0, [(F_INTENT, "probe-0123abcd"), D], session=100)
    not_drop = t.request(0, [(F_INTENT, "probe-0123abcdx"), D], session=100)
    unclass = t.request(0, [(F_INTENT, "hello world"), D], session=100)
    nothing = t.request(0, [K], session=100)            # no intent, no data
    missing = t.request(0, [(F_INTENT, "echo")], session=100)  # echo needs data
    forbidden = t.request(0, [(F_INTENT, "broadcast"), D], session=5)
    # deny rules guard the intent whether or not the header names the
    # capability (docs/wire-protocol.md: "denied: a deny rule matched the
    # request's intent or payload")
    deny_named = t.request(1, [(F_INTENT, "drop table users"), D], session=100)

    res = Dataplane(build, "dp-classify", DEFAULT_CONF, LCORES3).run(t.packets)

    for k, intent, cap in keys:
        g, e = groups[cap]
        pf = check_answer(ck, t, res, k, "intent %r" % intent, cap=cap, group=g, element=e)
    pf = check_answer(ck, t, res, from_data, "data classified without intent", cap=1)
    if pf:
        ck.eq(tlv_get(pf, F_DATA), b"echo from the data field", "classified echo: data")
    pf = check_answer(ck, t, res, by_elem, "header DF.tr without capability", cap=2,
                      group=2, element=3)
    if pf:
        ck.eq(tlv_get(pf, F_DATA), b"ABC", "header DF.tr: transformed data")
    check_answer(ck, t, res, no_cap_elem, "header MC.sp (no capability)",
                 error="unknown_capability")
    for k in deny:
        check_answer(ck, t, res, k, "deny rule %r" % t.reqs[k][0], error="denied")
    check_no_answer(ck, res, drop, "drop rule probe-0123abcd")
    check_answer(ck, t, res, not_drop, "probe-0123abcdx (anchored drop rule misses)",
                 error="unclassified")
    check_answer(ck, t, res, unclass, "intent matching no rule", error="unclassified")
    check_answer(ck, t, res, nothing, "no intent, no data", error="unclassified")
    pf = check_answer(ck, t, res, missing, "classified echo without data",
                      error="missing_field")
    if pf:
        ck.eq(tlv_get(pf, F_ERROR_MSG), b"missing field data", "missing_field message")
    check_answer(ck, t, res, forbidden, "classified broadcast from a viewer",
                 error="forbidden")
    check_answer(ck, t, res, deny_named, "capability 1 named in the header, intent "
                 "'drop table users' (deny rule 900)", error="denied")
    tot = res.totals
    ck.eq(res.drop("deny_drop"), 1, "drops deny_drop")
    ck.eq(tot["drops_total"], 1, "drops (%r)" % {k: v for k, v in tot["drops"].items() if v})
    n_classified = len(keys) + 1 + 1 + 1   # + from_data, missing, forbidden
    ck.eq(tot["classified"], n_classified, "classified")
    ck.ok(tot["rule_hits"] >= n_classified + len(deny) + 1,
          "rule_hits %d < classified + deny + drop" % tot["rule_hits"])
    ck.eq(res.errors("denied"), len(deny) + 1, "errors denied")
    ck.eq(res.errors("unclassified"), 3, "errors unclassified")
    return summary("dp-classify", len(t.packets), res)


def sc_admission(build, ck):
    t = Traffic()
    D = (F_DATA, b"abc")
    unknown = [t.request(c, [D]) for c in (99, 4095, 0xFFFF)]
    no_data = t.request(1, [(F_KEY, b"k")])
    no_key = t.request(10, [D])
    # a capability without `requires` whose element cannot run without a key
    elem_no_key = [t.request(11, [D], session=400 + i) for i in range(4)]
    # payload_len boundaries: echo's max_payload is 1400 (default), tiny's 0
    at_max = t.request(1, [(F_DATA, b"x" * (1400 - 4))])
    over = t.request(1, [(F_DATA, b"x" * (1401 - 4))])
    tiny_ok = t.request(8, [])
    tiny_over = t.request(8, [(200, b"")])
    cache_over = t.request(4, [(F_KEY, b"k"), (F_VALUE, b"v" * 1100)], session=100)
    # roles: cache is for operators (100-199, and admin 1 by implication)
    roles = [(s, t.request(4, [(F_KEY, b"r%d" % s), (F_VALUE, b"v")], session=s))
             for s in (5, 99, 100, 150, 199, 200, 1, 0)]
    bc_viewer = t.request(6, [D], session=7)
    # header group/element must agree with the capability's
    agree = [
        (dict(group=2, element=3), "bad_argument"),   # echo is CF.seq
        (dict(group=1, element=2), "bad_argument"),
        (dict(group=3, element=0), "bad_argument"),
        (dict(group=1, element=0), None),
        (dict(group=1, element=1), None),
    ]
    agree_keys = [(t.request(1, [D], **hdr), err, hdr) for hdr, err in agree]
    # rate: 1/s with a burst of 3, 10 requests within far less than a second
    limited = [t.request(7, [D], session=300) for _ in range(10)]

    res = Dataplane(build, "dp-admission", "tests/integration/configs/admission.conf",
                    LCORES3).run(t.packets)

    for k in unknown:
        check_answer(ck, t, res, k, "capability %d" % t.reqs[k][0]["capability"],
                     error="unknown_capability")
    pf = check_answer(ck, t, res, no_data, "echo without data", error="missing_field")
    if pf:
        ck.eq(tlv_get(pf, F_ERROR_MSG), b"missing field data", "missing_field message (data)")
    pf = check_answer(ck, t, res, no_key, "ingest without key", error="missing_field")
    if pf:
        ck.eq(tlv_get(pf, F_ERROR_MSG), b"missing field key", "missing_field message (key)")
    for k in elem_no_key:
        pf = check_answer(ck, t, res, k, "DF.ag capability without requires, no key",
                          error="missing_field")
        if pf:
            ck.eq(tlv_get(pf, F_ERROR_MSG), b"missing field key",
                  "element need: missing_field message")
    # refused at admission: DF.ag (8) never ran, on either of DF's lcores
    ck.eq(res.totals["elements"].get(8, 0), 0, "DF.ag executions")
    check_answer(ck, t, res, at_max, "echo with payload_len == max_payload", cap=1)
    check_answer(ck, t, res, over, "echo with payload_len == max_payload + 1",
                 error="payload_too_large")
    check_answer(ck, t, res, tiny_ok, "max_payload 0, empty payload", cap=8)
    check_answer(ck, t, res, tiny_over, "max_payload 0, one empty TLV",
                 error="payload_too_large")
    check_answer(ck, t, res, cache_over, "cache payload over 1024", error="payload_too_large")
    for s, k in roles:
        allowed = s == 1 or 100 <= s <= 199
        check_answer(ck, t, res, k, "cache from session %d" % s,
                     **({"cap": 4} if allowed else {"error": "forbidden"}))
    check_answer(ck, t, res, bc_viewer, "broadcast from a viewer", error="forbidden")
    for k, err, hdr in agree_keys:
        check_answer(ck, t, res, k, "echo with header %r" % hdr,
                     **({"error": err} if err else {"cap": 1}))
    kinds = []
    for k in limited:
        a = answer_of(ck, res, k, "rate-limited capability")
        if a:
            code = tlv_int(a["pf"], F_ERROR_CODE)
            kinds.append("ok" if a["pf"]["type"] == pfpkt.RESPONSE else pfpkt.ERRORS.get(code))
    n_ok = kinds.count("ok")
    ck.ok(3 <= n_ok <= 4 and kinds[:3] == ["ok"] * 3 and
          kinds.count("rate_limited") == len(kinds) - n_ok,
          "rate 1/s burst 3 over 10 quick requests: %r (expected 3 ok, maybe a 4th, "
          "then rate_limited)" % kinds)
    tot = res.totals
    ck.eq(tot["drops_total"], 0, "drops")
    ck.eq(res.errors("forbidden"), 5, "errors forbidden")
    ck.eq(res.errors("payload_too_large"), 3, "errors payload_too_large")
    ck.eq(res.errors("unknown_capability"), 3, "errors unknown_capability")
    ck.eq(res.errors("bad_argument"), 3, "errors bad_argument")
    return summary("dp-admission", len(t.packets), res)


def sc_malformed(build, ck):
    t = Traffic()
    good = dict(capability=1, tlvs=[(F_DATA, b"hello")])
    v = {}                      # name -> (key or None, expected)

    def raw(name, payload, expect, **l2):
        """A UDP payload that is not a well-formed request."""
        t.add(pfpkt.udp_packet(payload, ident=len(t.packets), **l2))
        v[name] = expect

    def bad(name, expect, session, **kw):
        """A frame whose header is readable: answered by session/seq."""
        seq = t.seq(session)
        fkw = dict(good, session_id=session, seq=seq, trace_id=seq, timestamp=7)
        fkw.update(kw)
        pkt = pfpkt.udp_packet(pfpkt.frame(**fkw), ident=len(t.packets))
        t.reqs[(session, seq)] = (fkw, pkt)
        t.add(pkt)
        v[name] = ((session, seq), expect)

    raw("empty datagram", b"", None)
    raw("20-byte datagram", pfpkt.frame(**good)[:20], None)
    raw("39-byte datagram", pfpkt.frame(**good)[:39], None)
    raw("bad magic", pfpkt.frame(magic=0x5146, **good), None)
    raw("bad magic, short", b"\x51\x46" + b"\0" * 30, None)
    bad("bad version", "unsupported_version", 20, version=2)
    bad("version 0", "unsupported_version", 20, version=0)
    bad("bad type", "malformed:bad_type", 21, type=5)
    bad("type 0", "malformed:bad_type", 21, type=0)
    bad("truncated payload", "malformed:truncated", 22, payload_len=9,
        tlvs=[(F_DATA, b"h")])
    bad("trailing bytes", "malformed:length_mismatch", 23, trailer=b"\0\0\0")
    bad("bad group", "malformed:bad_group", 24, group=7, element=1)
    bad("element without group", "malformed:bad_element", 24, group=0, element=1)
    bad("element 5", "malformed:bad_element", 24, group=1, element=5)
    bad("bad flags", "malformed:bad_flags", 25, flags=0x80)
    bad("TLV past the payload", "malformed:bad_tlv", 26,
        tlvs=[pfpkt.tlv(F_DATA, b"hello", length=6)])
    bad("TLV header cut", "malformed:bad_tlv", 26, payload=b"\x00\x02\x00")
    bad("duplicate data TLV", "malformed:dup_tlv", 27, tlvs=[(F_DATA, b"a"), (F_DATA, b"b")])
    bad("bad TLV with NOREPLY", "noreply", 28, flags=pfpkt.FLAG_NOREPLY,
        tlvs=[pfpkt.tlv(F_DATA, b"x", length=9)])
    bad("response frame", "not_request", 29, type=pfpkt.RESPONSE)
    bad("error frame", "not_request", 29, type=pfpkt.ERROR,
        tlvs=[pfpkt.tlv_u16(pfpkt.F_ERROR_CODE, 3)])
    # a malformed answer is still an answer: never answered (an error frame
    # back would answer an answer); counted as a drop
    bad("response frame with a bad TLV", "not_answered", 33, type=pfpkt.RESPONSE,
        tlvs=[pfpkt.tlv(F_DATA, b"x", length=9)])
    bad("error frame with a duplicate TLV", "not_answered", 33, type=pfpkt.ERROR,
        tlvs=[pfpkt.tlv_u16(pfpkt.F_ERROR_CODE, 3), pfpkt.tlv_u16(pfpkt.F_ERROR_CODE, 3)])
    bad("heartbeat", "heartbeat", 30, type=pfpkt.HEARTBEAT, capability=0, tlvs=[])
    bad("heartbeat with NOREPLY", "noreply", 30, type=pfpkt.HEARTBEAT, capability=0,
        tlvs=[], flags=pfpkt.FLAG_NOREPLY)
    bad("echo with NOREPLY", "noreply", 31, flags=pfpkt.FLAG_NOREPLY)
    bad("unknown capability with NOREPLY", "noreply", 31, capability=99,
        flags=pfpkt.FLAG_NOREPLY)
    bad("a good echo", "ok", 32)

    res = Dataplane(build, "dp-malformed", DEFAULT_CONF, LCORES3).run(t.packets)

    for name, exp in v.items():
        if exp is None:
            continue
        key, expect = exp
        if expect in ("noreply", "not_request", "not_answered"):
            check_no_answer(ck, res, key, name)
        elif expect == "heartbeat":
            pf = check_answer(ck, t, res, key, name, type_=pfpkt.HEARTBEAT)
            if pf:
                ck.eq(pf["payload_len"], 0, name + ": heartbeat answer payload")
        elif expect == "ok":
            check_answer(ck, t, res, key, name, cap=1)
        else:
            code, _, verdict = expect.partition(":")
            pf = check_answer(ck, t, res, key, name, error=code)
            if pf:
                ck.eq(pf["version"], 1, name + ": error frame version")
                if verdict:
                    ck.eq(tlv_get(pf, F_ERROR_MSG), verdict.encode(), name + ": error_msg")
    # everything on the wire must be a well-formed frame (no echo of junk)
    for d in res.out:
        ck.eq(d.get("verdict"), "ok", "an output frame does not decode: %r" % d.get("pf"))
    tot = res.totals
    ck.eq(res.drop("frame_truncated"), 4, "drops frame_truncated (the short bad magic "
          "too: the length check runs first)")
    ck.eq(res.drop("frame_bad_magic"), 1, "drops frame_bad_magic")
    ck.ok(res.drop("not_request") >= 2, "drops not_request %d < 2" % res.drop("not_request"))
    ck.eq(res.drop("noreply"), 4, "drops noreply")
    ck.eq(tot["drops_total"], 13, "drops (%r)" % {k: x for k, x in tot["drops"].items() if x})
    want_mal = {"truncated": 5, "bad_magic": 1, "bad_version": 2, "bad_type": 2,
                "length_mismatch": 1, "bad_group": 1, "bad_element": 2, "bad_flags": 1,
                "bad_tlv": 4, "dup_tlv": 2}
    got_mal = {k: x for k, x in tot["malformed"].items() if x}
    ck.eq(got_mal, want_mal, "malformed counters by verdict")
    ck.eq(res.errors("malformed"), 12, "errors malformed")
    ck.eq(res.errors("unsupported_version"), 2, "errors unsupported_version")
    echo_exec = cap_stat(res, "echo")
    if echo_exec is not None:
        ck.eq(echo_exec, 2, "caps[echo].exec (the NOREPLY echo ran too)")
    return summary("dp-malformed", len(t.packets), res)


def _patch(pkt, off, data):
    return pkt[:off] + data + pkt[off + len(data):]


def _l2l3_traffic():
    """Requests behind tags/options, and packets that are not PacketFlow."""
    t = Traffic()
    D = [(F_DATA, b"tagged")]
    Q, AD = pfpkt.ETH_VLAN, pfpkt.ETH_QINQ
    rr = b"\x07\x0b\x04" + b"\0" * 8 + b"\x00"        # record route, 12 bytes
    answered = {
        "plain": t.request(1, D),
        "802.1Q": t.request(1, D, l2=dict(vlans=[(Q, 0x6064)])),
        "802.1Q transform": t.request(2, D, l2=dict(vlans=[(Q, 100)])),
        "QinQ 88a8+8100": t.request(1, D, l2=dict(vlans=[(AD, 10), (Q, 20)])),
        "QinQ transform": t.request(2, D, l2=dict(vlans=[(AD, 11), (Q, 21)])),
        "two 8100 tags": t.request(1, D, l2=dict(vlans=[(Q, 30), (Q, 31)])),
        "IPv4 options (4)": t.request(1, D, l2=dict(ip_options=b"\x01\x01\x01\x00")),
        "IPv4 options (12)": t.request(2, D, l2=dict(ip_options=rr)),
        "802.1Q + options": t.request(1, D, l2=dict(vlans=[(Q, 40)],
                                                   ip_options=b"\x01\x01\x01\x00")),
        "Ethernet padding": t.request(1, D, l2=dict(pad=20)),
        "DF clear": t.request(1, D, l2=dict(df=False)),
    }
    # IPv4 checksum sweep: varied addresses, TTL, TOS, ident and answer
    # lengths (errors change the length: incremental checksum updates)
    rnd = random.Random(7447)
    for i in range(120):
        l2 = dict(src_ip=bytes([10, rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255)]),
                  ident=rnd.randrange(65536), ttl=rnd.randrange(1, 256))
        cap = rnd.choice((1, 1, 2, 99))
        answered["checksum sweep %d" % i] = t.request(
            cap, [(F_DATA, bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300))))],
            session=500, l2=l2)
    frame = pfpkt.frame(capability=1, tlvs=D, session_id=999, seq=1)
    others = {  # not PacketFlow: dropped, or passed unchanged
        "ARP": (pfpkt.arp_packet(), "not_ipv4"),
        "IPv6 UDP 7447": (pfpkt.ipv6_udp_packet(frame), "not_ipv4"),
        "three VLAN tags": (pfpkt.udp_packet(frame, vlans=[(Q, 1), (Q, 2), (Q, 3)]),
                            "not_ipv4"),
        "ICMP echo": (pfpkt.icmp_packet(), "not_udp"),
        "UDP to port 53": (pfpkt.udp_packet(b"\x12\x34" + b"\0" * 30, dport=53), "wrong_port"),
    }
    good = pfpkt.udp_packet(frame)
    broken = {  # always dropped
        "first fragment (MF)": (pfpkt.udp_packet(frame, mf=True), "ip_fragment"),
        "later fragment": (pfpkt.udp_packet(frame, frag_offset=185, df=False), "ip_fragment"),
        "10-byte datagram padded to 60": (pfpkt.udp_packet(frame[:10], pad=8),
                                          "frame_truncated"),
        "IPv4 total length past the frame": (pfpkt.udp_packet(frame, ip_total_length=200),
                                             "bad_ipv4"),
        "IHL 4": (_patch(good, 14, b"\x44"), "bad_ipv4"),
        "IP version 6 in an IPv4 ethertype": (_patch(good, 14, b"\x65"), "bad_ipv4"),
        "IPv4 header cut": (good[:14 + 12], "bad_ipv4"),
        "UDP length past the IP packet": (pfpkt.udp_packet(frame, udp_len=8 + len(frame) + 1),
                                          "bad_udp"),
        "UDP length 4": (pfpkt.udp_packet(frame, udp_len=4), "bad_udp"),
    }
    for pkt, _ in list(others.values()) + list(broken.values()):
        t.add(pkt)
    # a request whose IPv4 header checksum is wrong: dropped (bad_ipv4) or
    # answered with a right one, never answered with a wrong one
    k = t.request(1, D, session=998)
    kw, pkt = t.reqs[k]
    pkt = _patch(pkt, 24, b"\xde\xad")
    t.reqs[k] = (kw, pkt)
    t.packets[-1] = pkt
    return t, answered, others, broken, k


def sc_l2l3(build, ck):
    lines = []
    for mode, conf in (("drop", DEFAULT_CONF), ("pass", "tests/integration/configs/pass.conf")):
        t, answered, others, broken, bad_csum = _l2l3_traffic()
        res = Dataplane(build, "dp-l2l3-" + mode, conf, LCORES3).run(t.packets)
        a = res.answers.get(bad_csum, [])
        csum_answered = bool(a)
        if a:
            ck.ok(a[0]["ip"]["checksum_ok"], "%s: a request with a wrong IPv4 header checksum "
                  "(0xdead) is answered with a wrong checksum (0x%04x); expected the "
                  "checksum recomputed (docs/wire-protocol.md) or the request dropped as "
                  "bad_ipv4" % (mode, a[0]["ip"]["checksum"]))
        for name, k in answered.items():
            err = "unknown_capability" if t.reqs[k][0]["capability"] == 99 else None
            pf = check_answer(ck, t, res, k, "%s: %s" % (mode, name), error=err)
            if pf and pf["type"] == pfpkt.RESPONSE and pf["capability"] == 2:
                sent = tlv_get(pfpkt.decode_packet(t.reqs[k][1])["pf"], F_DATA)
                ck.eq(tlv_get(pf, F_DATA), sent.upper(), "%s: %s: data" % (mode, name))
        a = res.answers.get(answered["Ethernet padding"], [])
        if a:
            ck.eq(a[0]["padding"], b"", mode + ": answer to a padded request carries padding")
        want = {}
        for _, reason in list(broken.values()) + ([] if mode == "pass" else list(others.values())):
            want[reason] = want.get(reason, 0) + 1
        if not csum_answered:
            want["bad_ipv4"] = want.get("bad_ipv4", 0) + 1
        got = {k: v for k, v in res.totals["drops"].items() if v}
        ck.eq(got, want, "%s: drops by reason" % mode)
        got_mal = {k: v for k, v in res.totals["malformed"].items() if v}
        ck.eq(got_mal, {"truncated": 1}, "%s: malformed counters (only the 10-byte datagram)"
              % mode)
        passed = [d["raw"] for d in res.out if "pf" not in d or
                  d.get("udp", {}).get("sport") != pfpkt.PF_UDP_PORT]
        if mode == "pass":
            ck.eq(res.totals["passed"], len(others), "pass: passed counter")
            missing = [name for name, (p, _) in others.items() if p not in passed]
            extra = len(passed) - (len(others) - len(missing))
            ck.ok(not missing and not extra,
                  "pass: not passed out unchanged: %r; %d other packets on the wire"
                  % (missing, extra))
        else:
            ck.eq(res.totals["passed"], 0, "drop: passed counter")
            ck.eq(passed, [], "drop: non-PacketFlow packets on the wire")
        ck.eq(res.final["tx"], len(answered) + (len(others) if mode == "pass" else 0) +
              csum_answered, mode + ": tx")
        lines.append("%s: %s" % (mode, res.summary()))
    return "dp-l2l3: %d frames per run, %s" % (len(t.packets), "; ".join(lines))


def sc_order(build, ck):
    t = Traffic()
    sessions = [11, 22, 33, 44]
    n = 500
    keys = []
    for i in range(n):
        for s in sessions:
            keys.append(t.request(10, [(F_DATA, b"Msg-%d-%d" % (s, i)),
                                       (F_KEY, b"key-%d" % s)], session=s))
    res = Dataplane(build, "dp-order", "tests/integration/configs/order.conf",
                    LCORES3).run(t.packets)
    check_all_answered_once(ck, res, keys, "ingest")
    seen = {s: [] for s in sessions}
    bad_data = bad_stage = bad_count = 0
    stages = set()
    for d in res.out:
        pf = d.get("pf")
        if not pf or pf.get("session_id") not in seen:
            ck.fail("unexpected output frame: %s" % pfpkt.describe_frame(pf))
            continue
        s, q = pf["session_id"], pf["seq"]
        seen[s].append(q)
        if pf["type"] != pfpkt.RESPONSE:
            ck.fail("session %d seq %d: %s" % (s, q, pfpkt.describe_frame(pf)))
            continue
        bad_data += tlv_get(pf, F_DATA) != b"MSG-%d-%d" % (s, q - 1)
        bad_count += tlv_int(pf, F_COUNT) != q
        st = tlv_get(pf, F_STAGE, b"")
        stages.add(st)
        bad_stage += st != bytes([7, 1, 8, 2])
    for s in sessions:
        q = seen[s]
        inversions = sum(1 for a, b in zip(q, q[1:]) if b <= a)
        ck.ok(inversions == 0, "session %d: seq not strictly increasing in the output "
              "(%d inversions, first at %r)" % (s, inversions,
                                                next(((a, b) for a, b in zip(q, q[1:]) if b <= a),
                                                     None)))
    ck.eq(bad_data, 0, "answers whose data is not the upper-cased request data")
    ck.eq(bad_count, 0, "answers whose count (per-session key) is not the seq")
    ck.eq(bad_stage, 0, "answers whose stage TLV is not (tr, lcore 1, ag, lcore 2); seen %r"
          % sorted(x.hex() for x in stages)[:5])
    tot = res.totals
    ck.eq(tot["drops_total"], 0, "drops (%r)" % {k: v for k, v in tot["drops"].items() if v})
    ck.ok(tot["ring_enq"] >= len(keys), "ring_enq %d < %d ionic hops"
          % (tot["ring_enq"], len(keys)))
    return summary("dp-order", len(t.packets), res, ", %d sessions in order" % len(sessions))


def sc_replicate(build, ck):
    t = Traffic()
    bc = [t.request(6, [(F_DATA, b"copy %d" % i)], session=1000 + i % 7) for i in range(200)]
    tr = [t.request(7, [(F_DATA, b"rep %d" % i)], session=2000 + i % 5) for i in range(100)]
    ll = [t.request(8, [(F_DATA, b"ll %d" % i)], session=3000 + i % 5) for i in range(200)]
    res = Dataplane(build, "dp-replicate", "tests/integration/configs/replicate.conf",
                    LCORES4).run(t.packets)
    for i, k in enumerate(ll):
        pf = check_answer(ck, t, res, k, "least-loaded transform", cap=8)
        if pf:
            ck.eq((tlv_get(pf, F_DATA), tlv_get(pf, F_COUNT)), (b"LL %d" % i, None),
                  "least-loaded transform: data, no count (replicate 1)")
    check_all_answered_once(ck, res, bc + tr, "replicated requests")
    bad = []
    for k in bc + tr:
        a = res.answers.get(k)
        if not a:
            continue
        pf = a[0]["pf"]
        want = b"copy %d" % bc.index(k) if k in bc else b"REP %d" % tr.index(k)
        if pf["type"] != pfpkt.RESPONSE or tlv_int(pf, F_COUNT) != 3 or \
                tlv_get(pf, F_DATA) != want:
            bad.append(pfpkt.describe_frame(pf))
    ck.ok(not bad, "%d answers without count 3 / right data, e.g. %r" % (len(bad), bad[:3]))
    tot = res.totals
    n = len(bc) + len(tr)
    ck.eq(tot["fanout_copies"], 2 * n, "fanout_copies (2 per request, replicate 3)")
    ck.eq(tot["fanout_joins"], n, "fanout_joins (1 per request)")
    ck.eq(tot["drops_total"], 0, "drops (%r)" % {k: v for k, v in tot["drops"].items() if v})
    return summary("dp-replicate", len(t.packets), res, ", fanout_copies %d, joins %d"
                   % (tot["fanout_copies"], tot["fanout_joins"]))


def sc_priority(build, ck):
    t = Traffic()
    n_slow = 800
    slow = [t.request(3, [(F_DATA, b"0123456789abcdef")], session=1 + i % 8)
            for i in range(n_slow)]
    high = []
    for i in range(20):
        high.append(t.request(1, [(F_DATA, b"urgent")], session=50,
                              priority=(192, 200, 255)[i % 3]))
        high.append(t.request(5, [(F_DATA, b"event")], session=60))
    normal_191 = t.request(1, [(F_DATA, b"not urgent")], session=70, priority=191)
    res = Dataplane(build, "dp-priority", "tests/integration/configs/priority.conf",
                    LCORES3).run(t.packets, wait_timeout=50)
    check_all_answered_once(ck, res, slow + high + [normal_191], "requests")
    pos = {}
    for i, d in enumerate(res.out):
        pf = d.get("pf")
        if pf:
            pos[(pf["session_id"], pf["seq"])] = i
    slow_pos = [pos[k] for k in slow if k in pos]
    high_pos = [pos[k] for k in high if k in pos]
    if slow_pos and high_pos:
        last_slow = max(slow_pos)
        late = [p for p in high_pos if p > last_slow]
        ck.ok(not late, "%d of %d high-priority answers came after the last of the %d-request "
              "backlog (positions %r, last backlog answer at %d)"
              % (len(late), len(high_pos), n_slow, late[:5], last_slow))
        ck.ok(slow_pos == sorted(slow_pos), "backlog answers out of order")
        if normal_191 in pos:
            ck.ok(pos[normal_191] > last_slow,
                  "priority 191 (< high_priority_min 192) was answered at %d, before the "
                  "last backlog answer at %d: it jumped the normal ring"
                  % (pos[normal_191], last_slow))
    tot = res.totals
    ck.eq(tot["high_prio"], len(high), "high_prio (frames taken from high-priority rings)")
    ck.eq(tot["drops_total"], 0, "drops (%r)" % {k: v for k, v in tot["drops"].items() if v})
    before = sum(1 for p in slow_pos if high_pos and p < min(high_pos))
    return summary("dp-priority", len(t.packets), res,
                   ", high_prio %d, first high answer after %d of %d backlog answers"
                   % (tot["high_prio"], before, n_slow))


def _write_rcu_pcap(path, n, sessions):
    """n requests to `paced` (id 10), round-robin over sessions, seq 1, 2, ...
    per session; built from one template (a pcap of 200k in well under 1 s)."""
    data = b"MiXeD-CaSe-DaTa"
    tmpl = bytearray(pfpkt.udp_packet(pfpkt.frame(capability=10, tlvs=[(F_DATA, data)])))
    rec = struct.pack("<IIII", pfpkt.PCAP_EPOCH, 0, len(tmpl), len(tmpl))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            struct.pack_into("!QII", tmpl, 42 + 16, i, sessions[i % len(sessions)],
                             1 + i // len(sessions))
            f.write(rec)
            f.write(tmpl)
    return data


def sc_rcu(build, ck):
    n = 200000
    n_updates = 10
    sessions = [1, 2, 3, 4, 5, 6, 7, 8]
    dp = Dataplane(build, "dp-rcu", "tests/integration/configs/rcu.conf", "0@0,1@1")
    if not dp.pf_dpctl:
        raise Skip("pf-dpctl is not built (build/dataplane/pf-dpctl)")
    confs = [os.path.join(harness.CONFIGS, c) for c in ("rcu-lower.conf", "rcu.conf")]
    updates = []

    def during(d):
        # wait for the traffic to flow, then swap lower/upper 10 times
        end = time.time() + 20
        while time.time() < end:
            try:
                if harness.read_segment(d.stats_path)["totals"]["rx"] >= 1000:
                    break
            except (OSError, ValueError, struct.error):
                pass
            time.sleep(0.002)
        for i in range(n_updates):
            r = d.dpctl("registry", confs[i % 2])
            rx = harness.read_segment(d.stats_path)["totals"]["rx"]
            updates.append((r.returncode, (r.stdout + r.stderr).strip(), rx))
            time.sleep(0.08)

    tmp = harness.tempfile.mkdtemp(prefix="pf-it-rcu-in-")
    try:
        pcap = os.path.join(tmp, "in.pcap")
        data = _write_rcu_pcap(pcap, n, sessions)
        res = dp.run(None, expect_rx=n, during=during, pcap_path=pcap, wait_timeout=50)
    finally:
        harness.shutil.rmtree(tmp, ignore_errors=True)

    ok_updates = [u for u in updates if u[0] == 0]
    for i, (rc, msg, rx) in enumerate(updates):
        ck.eq(rc, 0, "pf-dpctl registry #%d: exit code (%s)" % (i + 1, msg))
        ck.ok(("generation %d" % (i + 2)) in msg,
              "pf-dpctl registry #%d: ack %r does not name generation %d" % (i + 1, msg, i + 2))
    during_traffic = sum(1 for u in updates if u[2] < n)
    ck.ok(during_traffic >= n_updates // 2,
          "only %d of %d registry updates landed while traffic flowed (rx at each: %r); "
          "the box is too slow for this pacing" % (during_traffic, n_updates,
                                                   [u[2] for u in updates]))
    ck.eq(res.stats["registry_gen"], 1 + len(ok_updates), "registry_gen after the updates")
    tot = res.totals
    ck.eq((tot["rx"], tot["tx"], tot["drops_total"]), (n, n, 0), "rx, tx, drops")
    forms = {data.upper(): "U", data.lower(): "L"}
    last = {}
    flips_global, prev = 0, None
    per_session_flips = {s: 0 for s in sessions}
    answered = {}
    bad = []
    for raw in res.out_packets:
        verdict, pf = pfpkt.decode_frame(raw[42:])
        if verdict != "ok" or pf["type"] != pfpkt.RESPONSE:
            bad.append("%s %s" % (verdict, pfpkt.describe_frame(pf)))
            continue
        s, q = pf["session_id"], pf["seq"]
        form = forms.get(tlv_get(pf, F_DATA))
        if form is None or s not in per_session_flips:
            bad.append(pfpkt.describe_frame(pf))
            continue
        answered[(s, q)] = answered.get((s, q), 0) + 1
        if prev is not None and form != prev:
            flips_global += 1
        prev = form
        if s in last:
            if q <= last[s][0]:
                bad.append("session %d: seq %d after %d" % (s, q, last[s][0]))
            if form != last[s][1]:
                per_session_flips[s] += 1
        last[s] = (q, form)
    ck.ok(not bad, "%d unexpected answers, e.g. %r" % (len(bad), bad[:3]))
    ck.eq(len(answered), n, "distinct requests answered")
    ck.eq(sum(1 for c in answered.values() if c > 1), 0, "requests answered twice")
    n_upper = sum(1 for raw in res.out_packets if data.upper() in raw)
    n_lower = sum(1 for raw in res.out_packets if data.lower() in raw)
    ck.ok(n_upper > 0 and n_lower > 0, "answers upper %d, lower %d: expected both forms"
          % (n_upper, n_lower))
    ck.ok(flips_global <= len(ok_updates),
          "the answers switch between upper and lower %d times in output order, but only "
          "%d registry updates were made" % (flips_global, len(ok_updates)))
    worst = max(per_session_flips.values())
    ck.ok(worst <= len(ok_updates), "a session's answers flip %d times for %d updates"
          % (worst, len(ok_updates)))
    return summary("dp-rcu", n, res, ", %d registry updates (%d during traffic), "
                   "registry_gen %d, %d upper / %d lower, %d flips"
                   % (len(ok_updates), during_traffic, res.stats["registry_gen"],
                      n_upper, n_lower, flips_global))


def sc_control(build, ck):
    """Registry and rules swapped between phases of traffic: each phase's
    answers must follow exactly the tables applied before it."""
    dp = Dataplane(build, "dp-control", "tests/integration/configs/control.conf", "0@0,1@1")
    if not dp.pf_dpctl:
        raise Skip("pf-dpctl is not built (build/dataplane/pf-dpctl)")
    conf = lambda n: os.path.join(harness.CONFIGS, n)  # noqa: E731
    t = Traffic()
    acks = []

    def ctl(*args, expect_rc=0, expect_gen=None):
        def act(d, n_done):
            r = d.dpctl(*args)
            msg = (r.stdout + r.stderr).strip()
            acks.append((args, r.returncode, msg))
            ck.eq(r.returncode, expect_rc, "pf-dpctl %s: exit code (%s)" % (" ".join(args), msg))
            st = d.stats_now()
            if expect_gen:
                ck.eq((st["registry_gen"], st["rules_gen"]), expect_gen,
                      "after pf-dpctl %s: (registry_gen, rules_gen)" % args[0])
        return act

    def phase(reqs):
        start = len(t.packets)
        keys = [t.request(*r[:2], **r[2]) if len(r) > 2 else t.request(*r) for r in reqs]
        return t.packets[start:], keys

    D = (F_DATA, b"AbC")
    p1, k1 = phase([(2, [D]), (4, [(F_KEY, b"k"), (F_VALUE, b"v1")], dict(session=100)),
                    (3, [(F_KEY, b"a")]), (0, [(F_INTENT, "echo hi"), D]),
                    (5, [(F_DATA, b"echo x")]), (6, [D], dict(session=100)),
                    (20, [D])])
    p2, k2 = phase([(2, [D]), (20, [D]), (4, [(F_KEY, b"k")], dict(session=100)),
                    (3, [(F_KEY, b"a")]), (0, [(F_INTENT, "echo hi"), D]),
                    (6, [D], dict(session=100))])
    p3, k3 = phase([(0, [(F_INTENT, "echo hi"), D]), (5, [(F_DATA, b"echo x")]), (2, [D])])
    p4, k4 = phase([(0, [(F_INTENT, "echo hi"), D]), (5, [(F_DATA, b"echo x")]),
                    (0, [(F_INTENT, "cache get"), (F_KEY, b"k")], dict(session=100))])
    p5, k5 = phase([(2, [D]), (3, [(F_KEY, b"a")]), (20, [D])])

    cleared = []

    def clear(d, n_done):
        before = len(ck.failures)
        ctl("rules-clear")(d, n_done)
        cleared.append(len(ck.failures) == before)
        st = d.stats_now()
        ck.eq((st["registry_gen"], st["rules_gen"]), (2, 2),
              "after pf-dpctl rules-clear: (registry_gen, rules_gen)")

    def both(*acts):
        def act(d, n_done):
            for a in acts:
                a(d, n_done)
        return act

    def rules_gen():
        return 2 + (1 if cleared and cleared[0] else 0)

    res = dp.run_phased([
        (p1, both(ctl("ping", expect_gen=(1, 1)),
                  ctl("registry", conf("control-b.conf"), expect_gen=(2, 1)))),
        ([], ctl("registry", conf("control-bad.conf"), expect_rc=1, expect_gen=(2, 1))),
        (p2, clear),
        (p3, lambda d, n: ctl("rules", "configs/rules/example.rules", "--config",
                              conf("control.conf"), expect_gen=(2, rules_gen()))(d, n)),
        (p4, lambda d, n: ctl("registry", conf("control.conf"),
                              expect_gen=(3, rules_gen()))(d, n)),
        (p5, None),
    ])
    rules_cleared = bool(cleared and cleared[0])

    def data(k):
        a = res.answers.get(k)
        return tlv_get(a[0]["pf"], F_DATA) if a else None

    # phase 1: control.conf, example.rules
    check_answer(ck, t, res, k1[0], "1: transform (upper)", cap=2)
    ck.eq(data(k1[0]), b"ABC", "1: transform data")
    check_answer(ck, t, res, k1[1], "1: cache put", cap=4)
    pf = check_answer(ck, t, res, k1[2], "1: aggregate", cap=3)
    ck.eq(pf and tlv_int(pf, F_COUNT), 1, "1: aggregate count")
    check_answer(ck, t, res, k1[3], "1: intent echo", cap=1)
    pf = check_answer(ck, t, res, k1[4], "1: pattern", cap=5)
    ck.eq(pf and tlv_get(pf, F_MATCH), struct.pack("!I", 1), "1: pattern match ids")
    check_answer(ck, t, res, k1[5], "1: broadcast (no roles needed)", cap=6)
    check_answer(ck, t, res, k1[6], "1: reverse (not yet defined)", error="unknown_capability")
    # phase 2: control-b.conf
    check_answer(ck, t, res, k2[0], "2: transform (lower)", cap=2)
    ck.eq(data(k2[0]), b"abc", "2: transform data after the registry swap")
    check_answer(ck, t, res, k2[1], "2: reverse (new)", cap=20)
    ck.eq(data(k2[1]), b"CbA", "2: reverse data")
    check_answer(ck, t, res, k2[2], "2: cache (removed)", error="unknown_capability")
    pf = check_answer(ck, t, res, k2[3], "2: aggregate", cap=3)
    ck.eq(pf and tlv_int(pf, F_COUNT), 2, "2: aggregate count (lcore state outlives the "
          "registry)")
    check_answer(ck, t, res, k2[4], "2: intent echo (rules unchanged)", cap=1)
    check_answer(ck, t, res, k2[5], "2: broadcast (now operators only; session 100 has no "
                 "role in control-b)", error="forbidden")
    # phase 3: the bad registry was refused; rules cleared
    if rules_cleared:
        pf = check_answer(ck, t, res, k3[0], "3: intent echo without rules",
                          error="unclassified")
        ck.eq(pf and tlv_get(pf, F_ERROR_MSG), b"no capability named and no rules loaded",
              "3: unclassified message")
        pf = check_answer(ck, t, res, k3[1], "3: pattern without rules", cap=5)
        ck.eq(pf and tlv_get(pf, F_MATCH), b"", "3: pattern match without rules")
    else:  # rules-clear failed (reported above): the rules stayed
        check_answer(ck, t, res, k3[0], "3: intent echo, rules not cleared", cap=1)
    check_answer(ck, t, res, k3[2], "3: transform", cap=2)
    ck.eq(data(k3[2]), b"abc", "3: transform after a refused registry (still lower)")
    # phase 4: rules back (compiled against control.conf: "cache" is id 4)
    check_answer(ck, t, res, k4[0], "4: intent echo with rules again", cap=1)
    pf = check_answer(ck, t, res, k4[1], "4: pattern", cap=5)
    ck.eq(pf and tlv_get(pf, F_MATCH), struct.pack("!I", 1), "4: pattern match ids")
    check_answer(ck, t, res, k4[2], "4: intent classified to cache, not in the registry",
                 error="unknown_capability")
    # phase 5: control.conf again
    check_answer(ck, t, res, k5[0], "5: transform", cap=2)
    ck.eq(data(k5[0]), b"ABC", "5: transform upper again")
    pf = check_answer(ck, t, res, k5[1], "5: aggregate", cap=3)
    ck.eq(pf and tlv_int(pf, F_COUNT), 3, "5: aggregate count")
    check_answer(ck, t, res, k5[2], "5: reverse (removed again)", error="unknown_capability")
    bad_ack = [a for a in acks if a[0][0] == "registry" and "control-bad" in a[0][1]]
    if bad_ack:
        ck.ok("lcore 2" in bad_ack[0][2], "refused registry: message %r does not name lcore 2"
              % bad_ack[0][2])
    ck.eq((res.stats["registry_gen"], res.stats["rules_gen"]), (3, rules_gen()),
          "final (registry_gen, rules_gen)")
    ex = cap_stat(res, "transform")
    if ex is not None:
        ck.eq(ex, 4, "caps[transform].exec over three registries")
    ck.eq(res.totals["drops_total"], 0, "drops")
    return summary("dp-control", len(t.packets), res, ", 5 phases, 2 registry swaps, "
                   "1 refused, rules %s and reloaded"
                   % ("cleared" if rules_cleared else "NOT cleared"))


def sc_molecules(build, ck):
    """One molecule per bond (docs/configuration.md's table): scheduling and
    what a failing second stage does to the answer."""
    t = Traffic()
    DK = [(F_DATA, b"abc"), (F_KEY, b"mk")]
    Donly = [(F_DATA, b"abc")]
    ionic = (t.request(30, DK, session=1), t.request(30, Donly, session=1))
    coval = (t.request(31, DK, session=2), t.request(31, Donly, session=2))
    vdw = (t.request(32, DK, session=3), t.request(32, Donly, session=3))
    metal = [t.request(33, Donly, session=4) for _ in range(20)]
    # metallic fan-out of a cache get: the key lives on one lcore of three,
    # so one branch finds it and two fail; "independent: a failed branch is
    # reported, others complete" -> the molecule completes with the value
    keys = [b"mkey%d" % i for i in range(6)]
    for k in keys:
        t.request(4, [(F_KEY, k), (F_VALUE, b"val-" + k)], session=5)
    gets = [(k, t.request(34, [(F_DATA, b"x"), (F_KEY, k)], session=6))
            for k in keys for _ in range(4)]
    res = Dataplane(build, "dp-molecules", "tests/integration/configs/molecules.conf",
                    LCORES4).run(t.packets)

    def stage(pf):
        return list(tlv_get(pf, F_STAGE, b""))

    pf = check_answer(ck, t, res, ionic[0], "ionic", cap=30)
    if pf:
        ck.eq((tlv_get(pf, F_DATA), tlv_int(pf, F_COUNT), stage(pf)), (b"ABC", 1, [7, 1, 8, 2]),
              "ionic: data, count, stage trace (aggregate across the ring on lcore 2)")
    check_answer(ck, t, res, ionic[1], "ionic, stage 2 fails (no key): failure cascades",
                 error="missing_field")
    pf = check_answer(ck, t, res, coval[0], "covalent", cap=31)
    if pf:
        ck.eq((tlv_get(pf, F_DATA), stage(pf)), (b"ABC", [7, 1, 8, 1]),
              "covalent: data, stage trace (co-located: both stages on lcore 1)")
    check_answer(ck, t, res, coval[1], "covalent, stage 2 fails: the molecule fails as one",
                 error="missing_field")
    pf = check_answer(ck, t, res, vdw[0], "van der Waals", cap=32)
    if pf:
        ck.eq((tlv_get(pf, F_DATA), stage(pf)[0::2]), (b"ABC", [7, 8]),
              "van der Waals: data, stage elements")
    pf = check_answer(ck, t, res, vdw[1], "van der Waals, stage 2 fails: no effect on the "
                      "other stage", cap=32)
    if pf:
        ck.eq((tlv_get(pf, F_DATA), tlv_get(pf, F_COUNT)), (b"ABC", None),
              "van der Waals, failed stage 2: transform's data, no count")
    for k in metal:
        pf = check_answer(ck, t, res, k, "metallic width 3", cap=33)
        if pf:
            ck.eq(tlv_get(pf, F_DATA), b"CBA", "metallic: data (upper, then reversed)")
    outcome = {}
    for key, k in gets:
        a = res.answers.get(k)
        if a:
            pf = a[0]["pf"]
            got = ("value %s" % tlv_get(pf, F_VALUE).decode() if pf["type"] == pfpkt.RESPONSE
                   else pfpkt.ERRORS.get(tlv_int(pf, F_ERROR_CODE)))
            outcome.setdefault(key.decode(), []).append(got)
    bad = {k: v for k, v in outcome.items() if any(not x.startswith("value") for x in v)}
    ck.ok(not bad, "metallic fan-out of a cache get (one branch of three finds the key): "
          "expected every get to complete with the value; the answer is the last-finishing "
          "branch's own result instead: %r" % bad)
    check_all_answered_once(ck, res, [k for _, k in gets], "metallic cache gets")
    tot = res.totals
    n_fan = len(metal) + len(gets)
    ck.eq((tot["fanout_copies"], tot["fanout_joins"]), (2 * n_fan, n_fan),
          "fanout_copies, fanout_joins (%d width-3 fan-outs)" % n_fan)
    ck.eq(tot["drops_total"], 0, "drops")
    return summary("dp-molecules", len(t.packets), res)


def sc_overload(build, ck):
    """Rings of 64 and a slow worker: what is lost is counted, once."""
    t = Traffic()
    slow, bc = [], []
    for i in range(1500):
        slow.append(t.request(3, [(F_DATA, b"0123456789abcdef")], session=1))
        bc.append(t.request(6, [(F_DATA, b"b%d" % i)], session=2))
    res = Dataplane(build, "dp-overload", "tests/integration/configs/overload.conf",
                    LCORES4).run(t.packets, wait_timeout=60)
    tot = res.totals
    dup = [k for k in slow + bc if len(res.answers.get(k, [])) > 1]
    ck.ok(not dup, "%d requests answered more than once" % len(dup))
    slow_ok = sum(1 for k in slow if res.answers.get(k))
    bc_ok = bc_over = bc_other = 0
    for k in bc:
        a = res.answers.get(k)
        if not a:
            continue
        pf = a[0]["pf"]
        if pf["type"] == pfpkt.RESPONSE and tlv_int(pf, F_COUNT) == 3:
            bc_ok += 1
        elif pf["type"] == pfpkt.ERROR and tlv_int(pf, F_ERROR_CODE) == 11:
            bc_over += 1
        else:
            bc_other += 1
    lost = tot["drops_total"]
    ck.ok(tot["drops"].get("ring_full", 0) > 0, "no ring_full drop: the test did not overload")
    ck.eq(bc_other, 0, "broadcast answers neither count 3 nor overloaded")
    ck.eq(slow_ok + bc_ok + bc_over + lost, len(t.packets),
          "answered + dropped vs packets sent (drops %r)"
          % {k: v for k, v in tot["drops"].items() if v})
    # errors[] counts error frames when they are built; one lost at TX
    # (tx_full: lcore 1's 64-entry handoff ring) is counted there too
    tx_lost = tot["drops"].get("tx_full", 0)
    ck.ok(bc_over <= res.errors("overloaded") <= bc_over + tx_lost,
          "errors overloaded %d vs %d overloaded answers on the wire (+ %d tx_full drops)"
          % (res.errors("overloaded"), bc_over, tx_lost))
    ck.eq(tot["fanout_copies"], 2 * len(bc), "fanout_copies")
    ck.eq(tot["fanout_joins"], len(bc), "fanout_joins (every fan-out joined once, failed "
          "replicas included)")
    return summary("dp-overload", len(t.packets), res,
                   ", slow answered %d, broadcasts ok %d / overloaded %d, drops %r"
                   % (slow_ok, bc_ok, bc_over, {k: v for k, v in tot["drops"].items() if v}))


def sc_shutdown(build, ck):
    """SIGINT with work in flight: --help promises 'stop RX, drain the
    rings, flush TX'; the process must exit 0 and the books must balance."""
    lines = []
    # 1. a worker without a TX queue still executing when RX stops
    t = Traffic()
    keys = [t.request(3, [(F_DATA, b"0123456789abcdef")], session=1 + i) for i in range(8)]
    try:
        res = Dataplane(build, "dp-shutdown-slow", "tests/integration/configs/shutdown.conf",
                        LCORES3).run(t.packets, stop_at_rx=len(t.packets))
        ck.eq(res.final["tx"], res.final["rx"], "slow worker: every received request "
              "answered after SIGINT (drops %r)" % res.final["reasons"])
        check_all_answered_once(ck, res, keys, "slow worker")
        lines.append("slow worker: " + res.summary())
    except RunError as e:
        ck.fail("SIGINT while lcore 2 executes 8 requests of ~50 ms whose answers go out "
                "through lcore 1's TX queue: %s" % e)
        tail = [ln for ln in e.log.splitlines() if ln.strip()][-3:]
        ck.fail("slow worker: the dataplane's last lines: %r" % tail)
        lines.append("slow worker: FAILED")
    # 2. overload: rings full, replicas in flight, when RX stops
    t = Traffic()
    for i in range(1500):
        t.request(3, [(F_DATA, b"0123456789abcdef")], session=1)
        t.request(6, [(F_DATA, b"b%d" % i)], session=2)
    try:
        res = Dataplane(build, "dp-shutdown-overload", "tests/integration/configs/overload.conf",
                        LCORES4).run(t.packets, stop_at_rx=1000)
        tot = res.totals
        ck.eq(tot["fanout_copies"], 2 * tot["fanout_joins"],
              "overload: fanout_copies vs joins (every fan-out joined, also at shutdown)")
        lines.append("overload: " + res.summary())
    except RunError as e:
        ck.fail("SIGINT during overload: %s" % e)
        lines.append("overload: FAILED")
    return "dp-shutdown: " + "; ".join(lines)


def _mutate(rnd, fr):
    """A random fault in a frame; trace_id, session and seq (16..31) are
    left alone so that an answer can be matched to its request."""
    fr = bytearray(fr)
    kind = rnd.randrange(8)
    if kind == 0:      # any header byte outside 16..31
        i = rnd.choice([x for x in range(40) if not 16 <= x < 32])
        fr[i] = rnd.randrange(256)
    elif kind == 1:    # payload_len
        fr[12:14] = rnd.randrange(0, len(fr) - 40 + 8).to_bytes(2, "big")
    elif kind == 2:    # cut inside the payload (the header stays whole)
        fr = fr[:rnd.randrange(40, len(fr) + 1)]
    elif kind == 3:    # trailing bytes
        fr += bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 6)))
    elif kind == 4 and len(fr) > 44:   # a TLV length
        fr[42:44] = rnd.randrange(0, 64).to_bytes(2, "big")
    elif kind == 5:    # a payload byte
        if len(fr) > 40:
            fr[rnd.randrange(40, len(fr))] = rnd.randrange(256)
    elif kind == 6:    # type / version / flags / group / element, one of them
        i = rnd.choice([2, 3, 4, 5, 9])
        fr[i] = rnd.choice([0, 1, 2, 3, 4, 5, 6, 7, 0x80, 0xff])
    # kind 7: unchanged
    return bytes(fr)


def sc_fuzz(build, ck):
    """Random faults in frames: the dataplane's verdict on each (drop
    reason, error frame and its error_msg, malformed counters) against
    pfpkt's independent decoder."""
    rnd = random.Random(0x5046)
    t = Traffic()
    expect = {}      # key -> (oracle verdict, header fields or {})
    n = 3000
    bodies = [
        (1, [(F_DATA, b"hello")]),
        (2, [(F_DATA, b"MiXeD")]),
        (3, [(F_KEY, b"fz")]),
        (0, [(F_INTENT, "echo this"), (F_DATA, b"x")]),
        (5, [(F_DATA, b"scan for patterns")]),
        (1, [(F_DATA, b"a"), (F_KEY, b"b"), (200, b"c")]),
    ]
    for i in range(n):
        cap, tl = rnd.choice(bodies)
        seq = i + 1
        fr = pfpkt.frame(capability=cap, tlvs=tl, session_id=4242, seq=seq,
                         trace_id=seq, group=0)
        fr = _mutate(rnd, fr)
        verdict, hdr = pfpkt.decode_frame(fr)
        t.add(pfpkt.udp_packet(fr, ident=i))
        expect[(4242, seq)] = (verdict, hdr, len(fr))
    res = Dataplane(build, "dp-fuzz", DEFAULT_CONF, LCORES3).run(t.packets)
    want_mal, want_drop = {}, {}
    wrong = []
    n_err_frames = 0
    for key, (verdict, hdr, ln) in expect.items():
        a = res.answers.get(key, [])
        if len(a) > 1:
            wrong.append("%r: %d answers" % (key, len(a)))
            continue
        if verdict != "ok":
            want_mal[verdict] = want_mal.get(verdict, 0) + 1
        if ln < 40 or verdict == "bad_magic":
            reason = "frame_truncated" if ln < 40 else "frame_bad_magic"
            want_drop[reason] = want_drop.get(reason, 0) + 1
            if a:
                wrong.append("%r (%s): answered" % (key, verdict))
            continue
        if verdict != "ok":
            if hdr["flags"] & pfpkt.FLAG_NOREPLY:
                want_drop["noreply"] = want_drop.get("noreply", 0) + 1
                if a:
                    wrong.append("%r (%s, NOREPLY): answered" % (key, verdict))
                continue
            if not a:
                if hdr["type"] in (pfpkt.RESPONSE, pfpkt.ERROR):
                    continue   # a malformed answer: see dp-malformed
                wrong.append("%r (%s): no error frame" % (key, verdict))
                continue
            pf = a[0]["pf"]
            n_err_frames += 1
            code = "unsupported_version" if verdict == "bad_version" else "malformed"
            got = (pfpkt.TYPES.get(pf.get("type")), pfpkt.ERRORS.get(tlv_int(pf, F_ERROR_CODE)),
                   (tlv_get(pf, F_ERROR_MSG) or b"").decode(errors="replace"))
            if got != ("error", code, verdict):
                wrong.append("%r: decoder says %s, dataplane answered %r" % (key, verdict, got))
    ck.ok(not wrong, "%d frames handled unlike the oracle, e.g. %r" % (len(wrong), wrong[:6]))
    got_mal = {k: v for k, v in res.totals["malformed"].items() if v}
    ck.eq(got_mal, want_mal, "malformed counters vs the oracle's verdicts")
    for reason, nr in want_drop.items():
        if reason == "noreply":
            ck.ok(res.drop(reason) >= nr, "drops noreply %d < %d malformed NOREPLY frames"
                  % (res.drop(reason), nr))
        else:
            ck.eq(res.drop(reason), nr, "drops " + reason)
    for d in res.out:
        if d.get("verdict") != "ok":
            ck.fail("an output frame does not decode (%s): %s"
                    % (d.get("verdict"), d.get("payload", b"")[:48].hex()))
            break
    return summary("dp-fuzz", n, res, ", %d malformed by the oracle, %d error frames checked"
                   % (sum(want_mal.values()), n_err_frames))


def sc_burst(build, ck):
    """dataplane.burst over its documented range (1..256): RX bursts and
    ring drains of that size, answers unchanged."""
    with open(os.path.join(harness.CONFIGS, "burst256.conf")) as f:
        template = f.read()
    tmp = harness.tempfile.mkdtemp(prefix="pf-it-burst-")
    lines = []
    try:
        for burst in (1, 64, 65, 256):
            conf = os.path.join(tmp, "burst%d.conf" % burst)
            with open(conf, "w") as f:
                f.write(template.replace("burst: 256", "burst: %d" % burst))
            t = Traffic()
            keys = [t.request(1 + i % 2, [(F_DATA, b"b%d" % i)], session=1 + i % 8)
                    for i in range(2000)]
            try:
                res = Dataplane(build, "dp-burst-%d" % burst, conf, LCORES3).run(
                    t.packets, wait_timeout=30)
            except RunError as e:
                ck.fail("burst %d: %s" % (burst, e))
                lines.append("burst %d: FAILED" % burst)
                continue
            check_all_answered_once(ck, res, keys, "burst %d" % burst)
            bad = 0
            for i, k in enumerate(keys):
                a = res.answers.get(k)
                want = b"b%d" % i if i % 2 == 0 else b"B%d" % i
                bad += bool(a) and tlv_get(a[0]["pf"], F_DATA) != want
            ck.eq(bad, 0, "burst %d: answers with the wrong data" % burst)
            lines.append("burst %d: %s" % (burst, res.summary()))
    finally:
        harness.shutil.rmtree(tmp, ignore_errors=True)
    return "dp-burst: " + "; ".join(lines)


def sc_ports(build, ck):
    """Two ports: an answer leaves by the port its request came in on;
    passed traffic by the peer port."""
    t0, t1 = Traffic(), Traffic()
    k0 = [t0.request(1 + i % 2, [(F_DATA, b"p0-%d" % i)], session=10 + i % 4) for i in range(200)]
    k1 = [t1.request(1 + i % 2, [(F_DATA, b"p1-%d" % i)], session=20 + i % 4) for i in range(200)]
    arp0 = t0.add(pfpkt.arp_packet())
    udp1 = t1.add(pfpkt.udp_packet(b"not packetflow", dport=9999))
    res = Dataplane(build, "dp-ports", "tests/integration/configs/twoports.conf",
                    LCORES3).run(t0.packets, extra_ports={"p1": t1.packets})
    out0 = res.out
    out1 = res.port_out["p1"]

    def keys(out):
        return set((d["pf"]["session_id"], d["pf"]["seq"]) for d in out if d.get("pf"))

    got0, got1 = keys(out0), keys(out1)
    ck.eq((len(set(k0) - got0), len(got0 & set(k1))), (0, 0),
          "p0's requests: (missing from p0's output, p1's answers on p0)")
    ck.eq((len(set(k1) - got1), len(got1 & set(k0))), (0, 0),
          "p1's requests: (missing from p1's output, p0's answers on p1)")
    raw0 = [d["raw"] for d in out0]
    raw1 = [d["raw"] for d in out1]
    ck.ok(udp1 in raw0 and udp1 not in raw1, "UDP to port 9999 received on p1: passed out of "
          "p0 (the peer)? on p0 %s, on p1 %s" % (udp1 in raw0, udp1 in raw1))
    ck.ok(arp0 in raw1 and arp0 not in raw0, "ARP received on p0: passed out of p1 (the "
          "peer)? on p1 %s, on p0 %s" % (arp0 in raw1, arp0 in raw0))
    ck.eq(res.totals["drops_total"], 0, "drops (%r)" % {k: v for k, v in
                                                       res.totals["drops"].items() if v})
    return summary("dp-ports", len(t0.packets) + len(t1.packets), res,
                   ", p0 out %d, p1 out %d" % (len(out0), len(out1)))


def _run_cli(build, args, timeout=60):
    exe = harness.find_tool(build, "pf-dataplane")
    r = subprocess.run([exe] + args, capture_output=True, text=True, timeout=timeout,
                       cwd=harness.SRC_ROOT)
    return r.returncode, r.stdout, r.stderr


def sc_startup(build, ck):
    if not harness.find_tool(build, "pf-dataplane"):
        raise RunError("pf-dataplane is not built under %s" % build)
    tmp = harness.tempfile.mkdtemp(prefix="pf-it-startup-")
    prefixes = []

    def run_dp(name, config, lcores=LCORES3, port=None, extra=()):
        """Start the dataplane for real; expected to refuse: (rc, output)."""
        prefix = "pfit-startup-%s-%d" % (name, os.getpid())
        prefixes.append(prefix)
        empty = os.path.join(tmp, "empty.pcap")
        pfpkt.write_pcap(empty, [])
        args = ["--lcores", lcores, "--file-prefix", prefix, "--", "-c", config,
                "--port", port or ("p0=net_pcap0,rx_pcap=%s,tx_pcap=%s"
                                   % (empty, os.path.join(tmp, name + ".out.pcap"))),
                "--stats", os.path.join(tmp, name + ".stats"),
                "--control", os.path.join(tmp, name + ".sock")] + list(extra)
        rc, out, err = _run_cli(build, args)
        return rc, out + err

    def write(name, text):
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    try:
        rc, out, err = _run_cli(build, ["--check-config", DEFAULT_CONF])
        ck.eq(rc, 0, "--check-config %s: exit code (%s)" % (DEFAULT_CONF, err.strip()))
        ck.ok("config OK" in out, "--check-config: no 'config OK' in %r" % out[-300:])
        for c in sorted(os.listdir(harness.CONFIGS)):
            rc, out, err = _run_cli(build, ["--check-config", os.path.join(harness.CONFIGS, c)])
            ck.eq(rc, 0, "--check-config tests/integration/configs/%s (%s)" % (c, err.strip()))
        bad = "tests/configs/bad/ring-size.conf"
        rc, out, err = _run_cli(build, ["--check-config", bad])
        ck.eq(rc, 1, "--check-config %s: exit code" % bad)
        ck.ok(err.startswith(bad + ":8: memory.ring_size:"),
              "--check-config %s: message %r does not start with FILE:LINE: KEY" % (bad, err))
        # the same through the normal start-up path
        rc, out = run_dp("badcfg", bad)
        ck.eq(rc, 1, "-c %s: exit code" % bad)
        ck.ok(bad + ":8: memory.ring_size" in out, "-c %s: no file:line message in %r"
              % (bad, out[-400:]))
        rc, out, err = _run_cli(build, ["--check-config", os.path.join(tmp, "nope.conf")])
        ck.eq(rc, 1, "--check-config of a missing file: exit code")
        ck.ok("cannot open" in err, "--check-config of a missing file: %r" % err)
        def refused(name, text, what, want):
            """--check-config of a config written from text: exit 1 and a
            message holding each of want ({path} is the file's path)."""
            path = write(name, text)
            rc, out, err = _run_cli(build, ["--check-config", path])
            ck.eq(rc, 1, "--check-config with %s: exit code" % what)
            for w in want:
                ck.ok(w.format(path=path) in err, "--check-config with %s: no %r in %r"
                      % (what, w.format(path=path), err))

        refused("nobehaviour.conf", """\
ports:
  - { name: p0, device: net_null0, rx_lcores: [1] }
groups:
  MC: { lcores: [1] }
capabilities:
  - { id: 1, name: spawn, element: MC.sp }
""", "MC.sp (no behaviour)", ["{path}:6:", "MC.sp"])
        refused("badarg.conf", """\
ports:
  - { name: p0, device: net_null0, rx_lcores: [1] }
groups:
  DF: { lcores: [1] }
capabilities:
  - { id: 1, name: shout, element: DF.tr, arg: upper }
  - { id: 2, name: yell, element: DF.tr, arg: uppercase }
""", "DF.tr arg uppercase", ['{path}:7: capabilities[1].arg: expected upper, lower, reverse, '
                            'rot13 or none for DF.tr, found "uppercase"'])
        refused("norules.conf", """\
dataplane: { rules: /nonexistent/x.rules }
ports:
  - { name: p0, device: net_null0, rx_lcores: [1] }
""", "a missing rules file", ["/nonexistent/x.rules"])
        # an lcore EAL was not given
        lc5 = write("lcore5.conf", """\
eal: [--no-huge, -m, 512, --no-pci]
ports:
  - { name: p0, device: net_null0, rx_lcores: [1] }
groups:
  CF: { lcores: [5] }
capabilities:
  - { id: 1, name: echo, element: CF.seq }
""")
        rc, out = run_dp("lcore5", lc5)
        ck.eq(rc, 1, "config with lcore 5 under --lcores %s: exit code" % LCORES3)
        ck.ok("lcore 5" in out and "groups.CF.lcores" in out,
              "config with lcore 5: message does not name the lcore and key: %r" % out[-500:])
        # the main lcore as a worker
        lc0 = write("lcore0.conf", """\
eal: [--no-huge, -m, 512, --no-pci]
ports:
  - { name: p0, device: net_null0, rx_lcores: [0] }
capabilities: []
""")
        rc, out = run_dp("lcore0", lc0)
        ck.eq(rc, 1, "config polling the port on lcore 0 (main): exit code")
        ck.ok("lcore 0" in out and "main lcore" in out,
              "config with lcore 0: message %r" % out[-500:])
        # a device that does not exist
        rc, out = run_dp("nodev", DEFAULT_CONF, port="p0=net_nosuchdriver0,foo=bar")
        ck.eq(rc, 1, "--port p0=net_nosuchdriver0: exit code")
        ck.ok("net_nosuchdriver0" in out, "--port p0=net_nosuchdriver0: the message does "
              "not name the device: %r" % out[-500:])
        # a pcap port whose input file does not exist
        rc, out = run_dp("nofile", DEFAULT_CONF,
                         port="p0=net_pcap0,rx_pcap=%s/missing.pcap,tx_pcap=%s/x.pcap"
                         % (tmp, tmp))
        ck.eq(rc, 1, "--port with a missing rx_pcap: exit code")
        ck.ok("net_pcap0" in out, "--port with a missing rx_pcap: message %r" % out[-500:])
        # a port name the config does not have
        rc, out = run_dp("noport", DEFAULT_CONF, port="p9=net_null0")
        ck.ok(rc != 0, "--port p9=...: exit code 0")
        ck.ok("p9" in out, "--port p9=...: message %r" % out[-300:])
        # --help
        rc, out, err = _run_cli(build, ["--help"])
        ck.eq(rc, 0, "--help: exit code")
        ck.ok("Usage" in out and "--check-config" in out, "--help: text %r" % out[:200])
        rc, out, err = _run_cli(build, ["--lcores", "0@0", "--", "--help"])
        ck.eq(rc, 0, "EAL args -- --help: exit code")
        # no config
        rc, out, err = _run_cli(build, ["--bogus-option"])
        ck.ok(rc not in (0, None), "--bogus-option: exit code 0")
    finally:
        harness.shutil.rmtree(tmp, ignore_errors=True)
        for p in prefixes:
            harness.shutil.rmtree(os.path.join("/var/run/dpdk", p), ignore_errors=True)
    return "dp-startup: check-config, bad configs, lcores, devices, --help"


def sc_ccache(build, ck):
    """The classification cache: repeated intents are answered from it (the
    cache_hits counter says so, answers stay right), a rules swap forgets
    it (the same intent follows the new rules at once), and a working set
    of a quarter of its size stays whole (second pass: hits only)."""
    dp = Dataplane(build, "dp-ccache", "tests/integration/configs/control.conf", "0@0,1@1")
    if not dp.pf_dpctl:
        raise Skip("pf-dpctl is not built (build/dataplane/pf-dpctl)")
    conf = os.path.join(harness.CONFIGS, "control.conf")
    t = Traffic()
    D = (F_DATA, b"AbC")

    def phase(n, intent):
        start = len(t.packets)
        keys = [t.request(0, [(F_INTENT, intent), D]) for _ in range(n)]
        return t.packets[start:], keys

    p1, k1 = phase(20, "echo hi")            # 1 miss, 19 hits
    p2, k2 = phase(20, "echo hi")            # new rules: 1 miss, 19 hits
    # 1,024 distinct texts twice (the default cache holds 4,096): 1,024
    # misses, then 1,024 hits -- no two texts of a set evict each other.
    distinct = ["echo hi, item %d of the working set" % i for i in range(1024)]
    start = len(t.packets)
    k3 = [t.request(0, [(F_INTENT, x), D]) for x in distinct + distinct]
    p3 = t.packets[start:]
    seen = {}

    def swap(d, n_done):
        seen["before"] = d.stats_now()
        seen["thp_kb"] = anon_huge_kb(d.proc.pid)
        r = d.dpctl("rules", "tests/integration/rules/swap.rules", "--config", conf)
        ck.eq(r.returncode, 0, "pf-dpctl rules swap.rules: %s" % (r.stdout + r.stderr).strip())

    res = dp.run_phased([(p1, swap), (p2, None), (p3, None)])
    for k in k1:
        pf = check_answer(ck, t, res, k, "before the swap: 'echo hi' is echo", cap=1)
        if pf:
            ck.eq(tlv_get(pf, F_DATA), b"AbC", "echo data")
    for k in k2:
        pf = check_answer(ck, t, res, k, "after the swap: 'echo hi' is transform", cap=2)
        if pf:
            ck.eq(tlv_get(pf, F_DATA), b"ABC", "transform (upper) data")
    b = seen.get("before", {}).get("totals", {})
    ck.eq((b.get("classify_cache_misses"), b.get("classify_cache_hits")), (1, 19),
          "cache (misses, hits) after 20 identical intents")
    tot = res.totals
    ck.eq((tot["classify_cache_misses"], tot["classify_cache_hits"]), (2 + 1024, 38 + 1024),
          "cache (misses, hits) at the end: the swap forgot the verdicts; "
          "1,024 distinct texts missed once each, then hit")
    kinds = {}
    for k in k3:
        for a in res.answers.get(k, []):
            kinds[a["pf"].get("type")] = kinds.get(a["pf"].get("type"), 0) + 1
    ck.eq(sum(kinds.values()), len(k3), "one answer per request of the working set (%s)" % kinds)
    ck.eq(tot["classified"], 40 + kinds.get(pfpkt.RESPONSE, 0), "classified")
    # --no-huge: the cache asked for transparent huge pages (mem.c), which
    # the kernel gives when THP is not off; then the lcore's cache (288 KiB)
    # sits in one 2 MiB page.
    if thp_mode() in ("always", "madvise"):
        ck.ok(seen.get("thp_kb", 0) >= 2048,
              "classification cache in transparent huge pages: AnonHugePages %s kB, want "
              ">= 2048 (THP %s)" % (seen.get("thp_kb"), thp_mode()))
    return summary("dp-ccache", len(t.packets), res)


def thp_mode():
    """The kernel's transparent huge page mode (always, madvise, never), or None."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            m = re.search(r"\[(\w+)\]", f.read())
            return m.group(1) if m else None
    except OSError:
        return None


def anon_huge_kb(pid):
    """kB of a process's anonymous memory in transparent huge pages."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


FAST_RULES = """rules:
  - { id: 1, pattern: 'echo\\s+this', capability: echo }
  - { id: 2, pattern: 'shout', capability: transform }
"""


# Capabilities and molecules sc_fastpath adds to configs/default.conf, all
# on lcore 1 but `spread` (its second stage, transform, may run on lcore 2)
# and `guarded` (roles): FAST_CAPS maps the ones the fast path may answer to
# their (group, element) and whether they are molecules.
FAST_CAPS_CONF = """\
  - { id: 11, name: shout, element: DF.tr, arg: upper, routing: { lcores: [1] } }
  - { id: 12, name: mirror, element: DF.tr, arg: reverse, routing: { lcores: [1] } }
  - { id: 13, name: louder, element: DF.tr, molecule: louder }
  - { id: 14, name: mirrored, element: DF.tr, molecule: mirrored }
  - { id: 15, name: spread, element: DF.tr, molecule: spread }
  - { id: 16, name: guarded, element: DF.tr, molecule: louder, roles: [operator] }
  - { id: 17, name: seek, element: ED.pt, routing: { lcores: [1] } }
"""
FAST_MOLECULES_CONF = """\
  - { name: louder, stages: [shout, { capability: echo, bond: covalent }] }
  - name: mirrored
    stages: [mirror, { capability: shout, bond: ionic }, { capability: echo, bond: vdw },
             { capability: shout, bond: metallic }]
  - { name: spread, stages: [shout, { capability: transform, bond: ionic }] }
"""
DF_TR = (pfpkt.GROUP_ID["DF"], 3)
FAST_CAPS = {1: ((pfpkt.GROUP_ID["CF"], 1), None), 11: (DF_TR, None), 12: (DF_TR, None),
             13: (DF_TR, F_STAGE), 14: (DF_TR, F_STAGE),
             17: ((pfpkt.GROUP_ID["ED"], 4), F_MATCH)}


def _fast_eligible(pkt, seen):
    """Whether RX's fast path should answer this packet, by the oracle's
    decode (docs/architecture.md, "The fast path"): untagged IPv4 without
    options, right checksum, not a fragment, UDP to the PacketFlow port, a
    well-formed request for one of FAST_CAPS (echo, transforms and
    molecules of them on lcore 1 only, no roles, rate or audit) carrying
    data, no NOREPLY, group/element absent or the capability's; for a
    molecule, no stage field (its answer adds one), for ED.pt no match
    field (likewise). Echo is named
    (capability 1) or classified by FAST_RULES from an intent of under 64
    bytes already seen (in `seen`: its verdict is cached)."""
    d = pfpkt.decode_packet(pkt)
    eth, ip, udp, pf = d.get("eth", {}), d.get("ip"), d.get("udp"), d.get("pf")
    if eth.get("vlans") or eth.get("type") != pfpkt.ETH_IPV4 or not ip or not udp:
        return False
    if (ip["version"], ip["ihl"], ip["proto"]) != (4, 20, 17) or not ip["checksum_ok"] \
            or ip["mf"] or ip["frag_offset"] or 14 + ip["total_length"] > len(pkt):
        return False
    if udp["dport"] != pfpkt.PF_UDP_PORT or udp["length"] > ip["total_length"] - 20:
        return False
    if d.get("verdict") != "ok" or pf["type"] != pfpkt.REQUEST:
        return False
    intent = tlv_get(pf, F_INTENT)
    if pf["capability"] == 0 and pf["group"] == 0 and intent is not None and len(intent) < 64:
        # classified: the cache answers from the second time on
        text = bytes(intent)
        hit = text in seen
        seen.add(text)
        if not hit or not re.search(rb"echo\s+this", text) or b"shout" in text:
            return False
    elif pf["capability"] not in FAST_CAPS:
        return False
    (group, element), added = FAST_CAPS.get(pf["capability"], FAST_CAPS[1])
    if pf["flags"] & pfpkt.FLAG_NOREPLY or pf["group"] not in (0, group) or \
            pf["element"] not in (0, element):
        return False
    if added and any(i == added for i, _ in pf["tlvs"]):
        return False
    return any(i == F_DATA for i, _ in pf["tlvs"]) and len(d["payload"]) - 40 <= 1400


def sc_fastpath(build, ck):
    """RX's fast path against the full path: the same traffic (requests of
    every shape around the fast path's edges, plus random faults) through
    fast_path: on and off. Every answer must be the same bytes, every
    counter the same, and the fast path must have answered exactly the
    frames the oracle calls eligible."""
    t, _, _, _, _ = _l2l3_traffic()
    D = [(F_DATA, b"fast")]
    cf = pfpkt.GROUP_ID["CF"]
    for i, data in enumerate((b"", b"x", b"0123456789abcdef" * 4, bytes(range(256)) * 5,
                              b"y" * 1400, b"z" * 1401)):
        t.request(1, [(F_DATA, data)], session=700 + i)
    shapes = [
        dict(group=cf, element=1), dict(group=cf), dict(group=2), dict(group=cf, element=2),
        dict(element=1), dict(flags=pfpkt.FLAG_TRACE), dict(flags=pfpkt.FLAG_REPLICA),
        dict(flags=pfpkt.FLAG_TRACE | pfpkt.FLAG_REPLICA), dict(flags=pfpkt.FLAG_NOREPLY),
        dict(flags=0x80), dict(priority=255), dict(type=pfpkt.HEARTBEAT),
        dict(type=pfpkt.RESPONSE), dict(complexity=9),
    ]
    for i, kw in enumerate(shapes):
        t.request(1, D, session=720 + i, **kw)
    t.request(0, D, session=740, group=cf, element=1)          # by element
    t.request(1, [], session=741)                              # missing data
    t.request(1, [(F_KEY, b"k")], session=742)
    t.request(1, D + [(F_KEY, b"k"), (200, b"unknown field")], session=743)
    t.request(1, D + D, session=744)                           # duplicate
    t.request(7, D, session=745)                               # unknown capability
    t.request(2, D, session=746)                               # DF: two lcores
    t.request(1, D, session=747, l2=dict(pad=30))
    t.request(1, D, session=748, l2=dict(ttl=1))
    # transforms, molecules of them and ED.pt: every data length around a
    # word's, data its rules match, the shapes, no data, a stage or match
    # field of the request's own, roles
    for cap in (11, 12, 13, 14, 15, 16, 17):
        g, e = FAST_CAPS.get(cap, (DF_TR, None))[0]
        for n in (0, 1, 7, 8, 9, 16, 17, 33):
            t.request(cap, [(F_DATA, b"aZ{`@ mixed Case"[:n] * 3)], session=800 + cap)
        for kw in (dict(group=g, element=e), dict(group=g), dict(group=g, element=e % 4 + 1),
                   dict(group=cf), dict(flags=pfpkt.FLAG_NOREPLY), dict(flags=pfpkt.FLAG_TRACE)):
            t.request(cap, D, session=820 + cap, **kw)
        t.request(cap, [], session=840 + cap)                             # no data
        t.request(cap, [(F_KEY, b"k")] + D, session=840 + cap)
        t.request(cap, D + [(F_STAGE, b"\x01\x02\x03\x04")], session=860 + cap)
        t.request(cap, D + [(F_STAGE, b"\x01\x02")], session=860 + cap)
        t.request(cap, [(F_DATA, b"shout, echo  this")], session=860 + cap)
        t.request(cap, [(F_DATA, b"shout")] + [(F_MATCH, b"\x00\x00\x00\x09")],
                  session=860 + cap)
        t.request(cap, D, session=150)                                    # an operator
        t.request(cap, [(F_DATA, b"m" * 1390)], session=880 + cap)
        t.request(cap, [(F_DATA, b"m" * 1396)], session=880 + cap)         # 1400 bytes
    # a UDP datagram shorter than its IP packet: the request ends with UDP
    fr = pfpkt.frame(capability=1, tlvs=D, session_id=749, seq=1)
    t.add(pfpkt.udp_packet(fr + b"trailer", udp_len=8 + len(fr)))
    # classified by an intent: echo (a scan the first time, then the cache),
    # transform, no rule, over the cache's 63 bytes, no data, group set
    intents = [b"echo this", b"please echo   this", b"shout it", b"no rule here",
               b"echo this " + b"x" * 60, b"echo this"]
    for i in range(60):
        text = intents[i % len(intents)]
        tl = [(F_INTENT, text)] + ([] if i % 13 == 12 else [(F_DATA, b"d%d" % i)])
        t.request(0, tl, session=760 + i % 7, group=cf if i % 17 == 16 else 0)
    # IPv4 total lengths under the header and under the UDP datagram (with
    # right checksums): bad_ipv4 and bad_udp, whatever the UDP length says
    for i, tl in enumerate((10, 19, 20, 40)):
        fr = pfpkt.frame(capability=1, tlvs=D, session_id=750 + i, seq=1)
        t.add(pfpkt.udp_packet(fr, ip_total_length=tl))
    rnd = random.Random(0xFA57)
    bodies = [(1, [(F_DATA, b"hello")]), (1, [(F_DATA, b"a"), (F_KEY, b"b")]),
              (1, [(F_DATA, b"q" * 100)])]
    for i in range(1500):
        cap, tl = rnd.choice(bodies)
        fr = pfpkt.frame(capability=cap, tlvs=tl, session_id=4243, seq=i + 1,
                         trace_id=i + 1, group=rnd.choice((0, 0, 0, cf)))
        t.add(pfpkt.udp_packet(_mutate(rnd, fr), ident=i))
    seen = set()
    want_fast = sum(_fast_eligible(p, seen) for p in t.packets)

    with open(DEFAULT_CONF) as f:
        template = f.read()
    template = template.replace("rules: rules/example.rules", "rules: fast.rules")
    template = template.replace("\nmolecules:\n", "\n" + FAST_CAPS_CONF + "molecules:\n")
    template = template.rstrip("\n") + "\n" + FAST_MOLECULES_CONF
    tmp = harness.tempfile.mkdtemp(prefix="pf-it-fastpath-")
    runs = {}
    try:
        with open(os.path.join(tmp, "fast.rules"), "w") as f:
            f.write(FAST_RULES)
        for mode in ("on", "off"):
            conf = os.path.join(tmp, mode + ".conf")
            with open(conf, "w") as f:
                f.write(template.replace("  burst: 32", "  burst: 32\n  fast_path: %s" % mode))
            runs[mode] = Dataplane(build, "dp-fastpath-" + mode, conf, LCORES3).run(t.packets)
    finally:
        harness.shutil.rmtree(tmp, ignore_errors=True)
    on, off = runs["on"], runs["off"]
    ck.eq(on.totals["fast_path"], want_fast, "fast_path on: frames the fast path answered "
          "(the oracle's count of eligible frames)")
    ck.eq(off.totals["fast_path"], 0, "fast_path off: frames the fast path answered")
    ck.ok(want_fast >= 500, "only %d eligible frames in the traffic" % want_fast)
    raw = {m: {k: sorted(d["raw"] for d in v) for k, v in r.answers.items()}
           for m, r in runs.items()}
    diff = [k for k in set(raw["on"]) | set(raw["off"]) if raw["on"].get(k) != raw["off"].get(k)]
    ck.ok(not diff, "%d requests answered differently with and without the fast path, e.g. "
          "%r: on %r, off %r" % (len(diff), diff[:1], [raw["on"].get(k) for k in diff[:1]],
                                 [raw["off"].get(k) for k in diff[:1]]))
    ck.eq(len(on.out_packets), len(off.out_packets), "packets out")
    for key in ("rx", "tx", "drops", "malformed", "errors", "groups", "elements",
                "element_errors", "classified", "passed", "classify_cache_hits",
                "classify_cache_misses", "rule_hits"):
        ck.eq(on.totals[key], off.totals[key], "totals.%s, fast path on vs off" % key)
    for name in ("echo", "transform", "shout", "mirror", "louder", "mirrored", "spread",
                 "guarded", "seek"):
        for field in ("exec", "errors"):
            ck.eq(cap_stat(on, name, field), cap_stat(off, name, field),
                  "%s %s, fast path on vs off" % (name, field))
    return "dp-fastpath: %d frames, %d answered by the fast path; on: %s; off: %s" % (
        len(t.packets), on.totals["fast_path"], on.summary(), off.summary())


SCENARIOS = {
    "fastpath": sc_fastpath,
    "ccache": sc_ccache,
    "ports": sc_ports,
    "burst": sc_burst,
    "fuzz": sc_fuzz,
    "shutdown": sc_shutdown,
    "molecules": sc_molecules,
    "overload": sc_overload,
    "control": sc_control,
    "rcu": sc_rcu,
    "startup": sc_startup,
    "order": sc_order,
    "replicate": sc_replicate,
    "priority": sc_priority,
    "l2l3": sc_l2l3,
    "builtins": sc_builtins,
    "classify": sc_classify,
    "admission": sc_admission,
    "malformed": sc_malformed,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--build", required=True, help="meson build directory")
    args = ap.parse_args()
    os.chdir(harness.SRC_ROOT)
    ck = Checker(args.scenario)
    t0 = time.time()
    try:
        line = SCENARIOS[args.scenario](args.build, ck)
    except Skip as e:
        print("dp-%s: SKIP: %s" % (args.scenario, e))
        return SKIP
    except RunError as e:
        print("dp-%s: FAIL: %s" % (args.scenario, e))
        for f in ck.failures:
            print("dp-%s: FAIL: %s" % (args.scenario, f))
        print("---- dataplane log ----\n%s---- end of log ----" % e.log)
        return 1
    for f in ck.failures:
        print("dp-%s: FAIL: %s" % (args.scenario, f))
    print("%s (%d checks, %d failed, %.1f s)" % (line, ck.n, len(ck.failures), time.time() - t0))
    return 1 if ck.failures else 0


if __name__ == "__main__":
    sys.exit(main())
