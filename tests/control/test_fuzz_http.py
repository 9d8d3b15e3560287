#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_fuzz_http.py: malformed HTTP and JSON, generated from a fixed seed:
# byte-level mutations of valid requests, hostile framing, and mutated JSON
# bodies for every write endpoint. Each answer is a 4xx (or a 2xx when the
# mutation left the request valid), never a 5xx, and pf-control lives on.
import json
import os
import random
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import TOKENS, Checker, Env  # noqa: E402

SECONDS = float(os.environ.get("PF_FUZZ_SECONDS", "20"))
AUTH = "Authorization: Bearer %s\r\n" % TOKENS["admin"]


def send_raw(port, data, timeout=2.0):
    """Sends bytes, half-closes, reads until the server closes: statuses seen."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    statuses = []
    for line in out.split(b"\r\n"):
        if line.startswith(b"HTTP/1.1 "):
            try:
                statuses.append(int(line[9:12]))
            except ValueError:
                statuses.append(-1)
    return statuses, out


def request(method, path, body=b"", extra=""):
    head = "%s %s HTTP/1.1\r\nHost: x\r\n%s%sContent-Length: %d\r\n\r\n" % (
        method, path, AUTH, extra, len(body))
    return head.encode() + body


TEMPLATES = [
    request("GET", "/health"),
    request("GET", "/capabilities/echo"),
    request("POST", "/capabilities", b'{"name": "fz", "element": "DF.tr"}'),
    request("PUT", "/policy/groups/DF", b'{"lcores": [1, 2], "balance": "round-robin"}'),
    request("PATCH", "/capabilities/echo", b'{"intent": "x"}'),
    request("PUT", "/rules", b"rules:\n  - {id: 1, pattern: 'a+b', capability: echo}\n"),
]

HOSTILE = [
    b"\x00\x01\x02\x03\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"GET /health HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"POST /capabilities HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /capabilities HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
    b"GET /health HTTP/1.1\r\nX: " + b"b" * 100000 + b"\r\n\r\n",
    b"GET /health HTTP/1.1\r\nAuthorization: Bearer " + b"c" * 2000 + b"\r\n\r\n",
    b"GET /health HTTP/1.1\r\nBad Header\r\n\r\n",
    b"GET /%00 HTTP/1.1\r\n\r\n",
    b"GET /%zz HTTP/1.1\r\n\r\n",
    b"GET health HTTP/1.1\r\n\r\n",
    b"POST /capabilities HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
    b"GET /health HTTP/1.1\n\n",
]


def mutate(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(6)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 1:
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2 and b:
            del b[pos:pos + rng.randint(1, 8)]
        elif op == 3:
            b[pos:pos] = rng.choice([b"\r\n", b":", b" ", b"\x00", b"%", b"\xff", b"{", b"\""])
        elif op == 4 and b:
            seg = b[pos:pos + rng.randint(1, 32)]
            b[pos:pos] = seg * rng.randint(1, 50)
        else:
            b = b[:pos]
    return bytes(b)


def random_json(rng, depth=0):
    r = rng.randrange(10 if depth < 4 else 6)
    if r == 0:
        return None
    if r == 1:
        return rng.choice([True, False])
    if r == 2:
        return rng.choice([0, -1, 1, 2**31, 2**63 - 1, -2**63, 4096, 65535])
    if r == 3:
        return rng.choice([1.5, -0.0, 1e308])
    if r in (4, 5):
        return rng.choice(["", "DF.tr", "echo", "x" * 300, "\u00e9\u4e2d", "a\u0000b",
                           "round-robin", "high", "1-2", "data", "- [a]: {b}", "*x &y !z"])
    if r in (6, 7):
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["id", "name", "element", "intent", "arg", "requires", "provides", "effects",
            "max_payload", "roles", "rate", "molecule", "routing", "lcores", "balance",
            "priority", "replicate", "pps", "burst", "sessions", "implies", "zz"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}


WRITE_ENDPOINTS = [("POST", "/capabilities"), ("PUT", "/capabilities/echo"),
                   ("PATCH", "/capabilities/2"), ("PUT", "/policy/groups/CF"),
                   ("PATCH", "/policy/groups/RM"), ("PUT", "/policy/capabilities/3"),
                   ("PUT", "/access"), ("PUT", "/molecules"), ("PUT", "/rules")]


def main(build):
    ck = Checker("control-fuzz-http")
    env = Env(build, "fuzz")
    rng = random.Random(0x5046)
    counts = {"http": 0, "json": 0, "4xx": 0, "2xx": 0, "no-answer": 0}
    try:
        env.start_control()
        for data in HOSTILE:
            st, _ = send_raw(env.port, data)
            ck.ok(st and all(400 <= s < 500 for s in st),
                  "hostile %r answered 4xx: %s" % (data[:40], st))
        end = time.time() + SECONDS
        i = 0
        while time.time() < end:
            i += 1
            if i % 2:
                data = mutate(rng, rng.choice(TEMPLATES))
                counts["http"] += 1
            else:
                method, path = rng.choice(WRITE_ENDPOINTS)
                if rng.random() < 0.5:
                    body = json.dumps(random_json(rng)).encode()
                else:
                    body = mutate(rng, json.dumps(random_json(rng)).encode())
                data = request(method, path, body)
                counts["json"] += 1
            st, raw = send_raw(env.port, data)
            if not st:
                counts["no-answer"] += 1  # an incomplete request the client gave up on
            for s in st:
                if 400 <= s < 500:
                    counts["4xx"] += 1
                elif 200 <= s < 300:
                    counts["2xx"] += 1
                else:
                    ck.ok(False, "case %d: status %d for %r" % (i, s, data[:200]))
            if env.pfc.poll() is not None:
                ck.ok(False, "pf-control died on case %d: %r" % (i, data[:300]))
                break
            if i % 200 == 0:
                ck.eq(env.api("GET", "/health", role="viewer")[0], 200, "alive after %d" % i)
        ck.eq(env.api("GET", "/health", role="viewer")[0], 200, "alive at the end")
        st, b = env.api("GET", "/capabilities", role="viewer")
        ck.eq(st, 200, "registry still readable")
        print("fuzz: %d cases (%s)" % (i, ", ".join("%s %d" % kv for kv in counts.items())))
        ck.ok(counts["4xx"] > i / 2, "most cases refused with a 4xx")
    finally:
        rc = env.stop()
    ck.eq(rc[0], 0, "pf-control exits cleanly after the fuzzing")
    return ck.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
