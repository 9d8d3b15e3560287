#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# vectors_to_pcap.py: reads the test vectors of docs/wire-protocol.md and
# writes them as a pcap of Ethernet/IPv4/UDP packets (standard library only).
"""Turn the wire-protocol document's test vectors into a capture file.

Usage:
    vectors_to_pcap.py DOC OUT.pcap       one packet per vector, doc order
    vectors_to_pcap.py --json DOC [OUT]   print the parsed vectors as JSON
    vectors_to_pcap.py --port N ...       send to UDP port N, not 7447

Importable: parse_vectors(path) returns the vectors, write_pcap(path,
payloads) writes UDP payloads as a capture; other tests reuse both.
"""

import argparse
import json
import re
import struct
import sys

PF_UDP_PORT = 7447

# Addresses of the synthetic packets: a client talking to the dataplane.
SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")
SRC_IP = bytes([10, 0, 0, 1])
DST_IP = bytes([10, 0, 0, 2])
SRC_PORT = 40000

# pcap timestamps start here (2023-11-14) and advance one second per packet,
# so that the same document always gives the same file
EPOCH = 1700000000

_VECTOR_RE = re.compile(r"^### Vector (\d+):\s*(.*)$")
_EXPECT_RE = re.compile(r"^Expect:\s*(ok|error)\b\s*(.*)$")
_TOKEN_RE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
_NUMBER_RE = re.compile(r"^(0[xX][0-9a-fA-F]+|\d+)$")


class VectorError(ValueError):
    """The document's vectors section does not parse; says file and line."""


def _value(key, raw):
    """Typed value of one key=value token of an Expect line."""
    if raw.startswith('"'):
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if key == "fields":
        return [f for f in raw.split(",") if f]
    if _NUMBER_RE.match(raw):
        return int(raw, 0)
    return raw


def parse_expect(text):
    """Parse what follows 'Expect:'.

    Returns (verdict, expect): verdict is "ok" or the error name, expect a
    dict of the key=value pairs with numbers as int, quoted strings
    unquoted and `fields` as a list of names.
    """
    m = _EXPECT_RE.match("Expect: " + text.strip())
    if not m:
        raise ValueError("not an Expect line: %r" % text)
    kind, rest = m.group(1), m.group(2).strip()
    if kind == "error":
        if not re.fullmatch(r"\w+", rest):
            raise ValueError("'Expect: error' wants one verdict name, got %r" % rest)
        return rest, {}
    expect = {}
    pos = 0
    for tok in _TOKEN_RE.finditer(rest):
        if rest[pos:tok.start()].strip():
            raise ValueError("cannot parse %r" % rest[pos:tok.start()].strip())
        key = tok.group(1)
        if key in expect:
            raise ValueError("key %s given twice" % key)
        expect[key] = _value(key, tok.group(2))
        pos = tok.end()
    if rest[pos:].strip():
        raise ValueError("cannot parse %r" % rest[pos:].strip())
    return "ok", expect


def parse_vectors(path):
    """Read every '### Vector N: title' section of a document.

    Returns a list, in document order, of dicts with keys number, title,
    line (of the heading), verdict ("ok" or the error name), expect (see
    parse_expect) and payload (bytes of the ```hex block). Raises
    VectorError naming the file and line of anything it cannot read.
    """
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()

    vectors = []
    cur = None
    in_hex = False
    hexlines = []

    def fail(lineno, msg):
        raise VectorError("%s:%d: %s" % (path, lineno, msg))

    def close(lineno):
        if cur is None:
            return
        if "verdict" not in cur:
            fail(cur["line"], "vector %d has no Expect line" % cur["number"])
        if "payload" not in cur:
            fail(cur["line"], "vector %d has no ```hex block" % cur["number"])
        vectors.append(cur)

    for lineno, line in enumerate(lines, 1):
        if in_hex:
            if line.strip().startswith("```"):
                in_hex = False
                try:
                    cur["payload"] = bytes.fromhex(" ".join(hexlines))
                except ValueError as e:
                    fail(lineno, "bad hex in vector %d: %s" % (cur["number"], e))
            else:
                if not re.fullmatch(r"(\s*[0-9a-fA-F]{2})*\s*", line):
                    fail(lineno, "hex block line is not hex bytes: %r" % line)
                hexlines.append(line)
            continue
        m = _VECTOR_RE.match(line)
        if m:
            close(lineno)
            cur = {"number": int(m.group(1)), "title": m.group(2).strip(),
                   "line": lineno}
            continue
        if cur is None:
            continue
        if line.startswith("#"):
            # a heading of another kind ends the vector
            close(lineno)
            cur = None
            continue
        if line.startswith("Expect:"):
            if "verdict" in cur:
                fail(lineno, "vector %d has two Expect lines" % cur["number"])
            try:
                cur["verdict"], cur["expect"] = parse_expect(line[len("Expect:"):])
            except ValueError as e:
                fail(lineno, str(e))
        elif line.strip() == "```hex":
            if "payload" in cur:
                fail(lineno, "vector %d has two hex blocks" % cur["number"])
            in_hex = True
            hexlines = []
    if in_hex:
        fail(len(lines), "unterminated ```hex block")
    close(len(lines))
    if not vectors:
        raise VectorError("%s: no '### Vector N:' sections" % path)
    return vectors


def _checksum(data):
    """Internet checksum (RFC 1071) of an even-length byte string."""
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_frame(payload, dst_port=PF_UDP_PORT, ident=0):
    """One Ethernet II / IPv4 / UDP frame around payload.

    The IPv4 header checksum is valid; the UDP checksum is 0 (none), as
    IPv4 allows and as the dataplane sends its answers.
    """
    udp_len = 8 + len(payload)
    ip_len = 20 + udp_len
    if ip_len > 0xFFFF:
        raise ValueError("payload of %d bytes does not fit a datagram" % len(payload))
    udp = struct.pack("!HHHH", SRC_PORT, dst_port, udp_len, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, ident & 0xFFFF,
                     0x4000, 64, 17, 0, SRC_IP, DST_IP)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    eth = DST_MAC + SRC_MAC + struct.pack("!H", 0x0800)
    return eth + ip + udp + payload


def write_pcap(path, payloads, dst_port=PF_UDP_PORT):
    """Write one packet per UDP payload to a pcap (LINKTYPE_ETHERNET).

    An item of payloads is bytes, or a (bytes, port) pair to send that
    packet to another destination port than dst_port.
    """
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, item in enumerate(payloads):
            if isinstance(item, (bytes, bytearray)):
                payload, port = bytes(item), dst_port
            else:
                payload, port = bytes(item[0]), item[1]
            frame = udp_frame(payload, port, ident=i + 1)
            f.write(struct.pack("<IIII", EPOCH + i, 0, len(frame), len(frame)))
            f.write(frame)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true",
                    help="print the parsed vectors (payload as hex) as JSON")
    ap.add_argument("--port", type=int, default=PF_UDP_PORT,
                    help="UDP destination port of the packets (default %(default)s)")
    ap.add_argument("doc", help="the document, e.g. docs/wire-protocol.md")
    ap.add_argument("out", nargs="?", help="pcap file to write")
    args = ap.parse_args(argv)
    if not args.json and not args.out:
        ap.error("give OUT.pcap, --json, or both")

    try:
        vectors = parse_vectors(args.doc)
    except (OSError, VectorError) as e:
        print("vectors_to_pcap: %s" % e, file=sys.stderr)
        return 1
    if args.out:
        write_pcap(args.out, [v["payload"] for v in vectors], dst_port=args.port)
    if args.json:
        out = [dict(v, payload=v["payload"].hex()) for v in vectors]
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
