#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# make_corpus.py: writes the fuzz seed corpus -- one file per "### Vector N" of
# docs/wire-protocol.md plus a few edge frames; --check compares instead.
"""Regenerate (or, with --check, verify) tests/fuzz/corpus/."""

import argparse
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DOC = os.path.join(ROOT, "docs", "wire-protocol.md")
CORPUS = os.path.join(HERE, "corpus")

HDR_LEN = 40
MAX_PAYLOAD = 65507 - HDR_LEN  # PF_MAX_PAYLOAD in lib/pf_wire.h


def doc_vectors(path):
    """Yield (number, bytes) for each hex block that follows a Vector heading."""
    text = open(path, encoding="utf-8").read()
    heading = re.compile(r"^### Vector (\d+)\b.*$", re.M)
    block = re.compile(r"^```hex\n(.*?)^```", re.M | re.S)
    heads = list(heading.finditer(text))
    if not heads:
        sys.exit(f"{path}: no '### Vector N' headings found")
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        m = block.search(text, h.end(), end)
        if m is None:
            sys.exit(f"{path}: Vector {h.group(1)} has no ```hex block")
        try:
            data = bytes.fromhex(" ".join(m.group(1).split()))
        except ValueError as e:
            sys.exit(f"{path}: Vector {h.group(1)}: bad hex: {e}")
        yield int(h.group(1)), data


def header(typ, payload_len, group=0, element=0, capability=0, priority=0,
           flags=0, complexity=0, reserved0=0, reserved1=0, trace_id=0,
           session_id=0, seq=0, timestamp=0):
    return struct.pack(">HBBBBHBBBBHHQIIQ", 0x5046, 1, typ, group, element,
                       capability, priority, flags, complexity, reserved0,
                       payload_len, reserved1, trace_id, session_id, seq,
                       timestamp)


def tlv(fid, value):
    return struct.pack(">HH", fid, len(value)) + value


def frame(typ, payload, **kw):
    return header(typ, len(payload), **kw) + payload


def extras():
    """Edge frames the document's vectors do not cover."""
    # Every well-known contract field once, then non-contract ids (0, 64+)
    # repeated with empty and one-byte values.
    small = b"".join(tlv(i, bytes([i])) for i in range(1, 13))
    small += b"".join(tlv(fid, b"" if k % 2 else b"x")
                      for k, fid in enumerate([0, 64, 65, 0xFFFF] * 8))
    yield "extra-many-small-tlvs", frame(1, small, group=2, element=3,
                                         capability=7, session_id=5, seq=9)

    # One TLV filling the largest payload the encoder accepts.
    big = bytes(i & 0xFF for i in range(MAX_PAYLOAD - 4))
    yield "extra-max-tlv", frame(1, tlv(2, big), group=1, element=1,
                                 capability=1, trace_id=1)

    # payload_len 0xffff: the decoder accepts it, the encoder cannot
    # reproduce it (over PF_MAX_PAYLOAD).
    huge = bytes((i * 7) & 0xFF for i in range(0xFFFF - 4))
    yield "extra-payload-65535", frame(2, tlv(200, huge), session_id=3)

    # Empty payload with every header field at its largest legal value and
    # non-zero reserved bytes (ignored on receive).
    yield "extra-empty-request", header(1, 0, group=6, element=4,
                                        capability=4095, priority=255,
                                        flags=0x07, complexity=255,
                                        reserved0=0xAA, reserved1=0x5555,
                                        trace_id=(1 << 64) - 1,
                                        session_id=(1 << 32) - 1,
                                        seq=(1 << 32) - 1,
                                        timestamp=(1 << 64) - 1)

    # Zero-length intent: intent points at the payload end, length 0.
    yield "extra-empty-intent", frame(1, tlv(1, b""), flags=0x01)

    # Three payload bytes: a TLV header that does not fit.
    yield "extra-short-tlv-header", frame(1, b"\x00\x02\x00")


def generate():
    files = {}
    for n, data in doc_vectors(DOC):
        files[f"vector-{n:02d}"] = data
    for name, data in extras():
        files[name] = data
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the corpus differs from what would be written")
    ap.add_argument("--out", default=CORPUS, help="corpus directory")
    args = ap.parse_args()

    files = generate()
    if args.check:
        have = set(os.listdir(args.out)) if os.path.isdir(args.out) else set()
        bad = []
        for name, data in sorted(files.items()):
            p = os.path.join(args.out, name)
            if name not in have:
                bad.append(f"missing {name}")
            elif open(p, "rb").read() != data:
                bad.append(f"stale {name}")
        bad += [f"unexpected {n}" for n in sorted(have - set(files))]
        for b in bad:
            print(f"{args.out}: {b}", file=sys.stderr)
        if bad:
            print("run tests/fuzz/make_corpus.py to regenerate", file=sys.stderr)
            return 1
        print(f"{args.out}: {len(files)} files up to date")
        return 0

    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name not in files:
            os.remove(os.path.join(args.out, name))
    for name, data in sorted(files.items()):
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
