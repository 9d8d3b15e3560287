#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# pfpkt.py: PacketFlow frames and their Ethernet/VLAN/IPv4/UDP wrapping, pcap
# files, and a decoder -- a second implementation of docs/wire-protocol.md.
"""Build, write, read and decode PacketFlow packets (standard library only).

This module is the integration tests' oracle: it is written from
docs/wire-protocol.md, not from lib/pf_wire.c, so that the dataplane's
codec is checked against an independent reading of the document.

Building:
    frame(...)             a PacketFlow frame (header + TLVs), also malformed
    tlv(id, value)         one TLV (bytes, str, or an int with tlv_u16/u32/u64)
    udp_packet(payload)    Ethernet (+802.1Q/QinQ) / IPv4 (+options, fragments) / UDP
    arp_packet(), icmp_packet()
Files:
    write_pcap(path, packets), read_pcap(path)
Decoding:
    decode_frame(payload)  -> (verdict, fields dict)  (verdict "ok" or a name)
    decode_packet(bytes)   -> dict with eth / ip / udp / pf parts

Run it as a script (`pfpkt.py --self-test DOC`) to check the decoder and the
builder against the document's test vectors.
"""

import struct
import sys

PF_UDP_PORT = 7447
PF_MAGIC = 0x5046
PF_VERSION = 1
HDR_LEN = 40
TLV_HDR_LEN = 4

# ---- the protocol's numbers, as the document lists them ----

TYPES = {1: "request", 2: "response", 3: "error", 4: "heartbeat"}
REQUEST, RESPONSE, ERROR, HEARTBEAT = 1, 2, 3, 4

GROUPS = {1: "CF", 2: "DF", 3: "ED", 4: "CO", 5: "MC", 6: "RM"}
GROUP_ID = {v: k for k, v in GROUPS.items()}
ELEMENTS = {  # group -> symbols of elements 1..4
    "CF": ["seq", "br", "lp", "ex"],
    "DF": ["pr", "cs", "tr", "ag"],
    "ED": ["sg", "tm", "th", "pt"],
    "CO": ["ba", "bc", "ga", "el"],
    "MC": ["sp", "mg", "ad", "rf"],
    "RM": ["al", "rl", "lk", "ca"],
}

FLAG_TRACE, FLAG_NOREPLY, FLAG_REPLICA = 0x01, 0x02, 0x04
FLAGS_ALL = FLAG_TRACE | FLAG_NOREPLY | FLAG_REPLICA

FIELDS = {1: "intent", 2: "data", 3: "key", 4: "value", 5: "error_code",
          6: "error_msg", 7: "count", 8: "match", 9: "result", 10: "ttl",
          11: "token", 12: "stage"}
FIELD_ID = {v: k for k, v in FIELDS.items()}
F_INTENT, F_DATA, F_KEY, F_VALUE, F_ERROR_CODE, F_ERROR_MSG = 1, 2, 3, 4, 5, 6
F_COUNT, F_MATCH, F_RESULT, F_TTL, F_TOKEN, F_STAGE = 7, 8, 9, 10, 11, 12

ERRORS = {1: "malformed", 2: "unsupported_version", 3: "unknown_capability",
          4: "missing_field", 5: "payload_too_large", 6: "denied",
          7: "forbidden", 8: "rate_limited", 9: "unclassified",
          10: "execution_failed", 11: "overloaded", 12: "not_found",
          13: "bad_argument"}
ERROR_CODE = {v: k for k, v in ERRORS.items()}

# Decoder verdicts, in the order the checks run.
VERDICTS = {1: "truncated", 2: "bad_magic", 3: "bad_version", 4: "bad_type",
            5: "length_mismatch", 6: "bad_group", 7: "bad_element",
            8: "bad_flags", 9: "bad_tlv", 10: "dup_tlv"}

# Drop reasons of the stats segment (lib/pf_stats.h), in enum order.
DROP_REASONS = ["not_ipv4", "not_udp", "wrong_port", "bad_ipv4", "ip_fragment",
                "bad_udp", "frame_truncated", "frame_bad_magic", "not_request",
                "noreply", "deny_drop", "ring_full", "tx_full", "no_mbuf",
                "shutdown"]


def element_number(group, element):
    """Atomic number of (group, element index): (group - 1) * 4 + index."""
    return (group - 1) * 4 + element


# ---- PacketFlow frames ----

def _value_bytes(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError("TLV value must be bytes or str, not %r" % type(value))


def tlv(fid, value, length=None):
    """One TLV. length overrides the length field (to build bad TLVs)."""
    v = _value_bytes(value)
    return struct.pack("!HH", fid, len(v) if length is None else length) + v


def tlv_u16(fid, n):
    return tlv(fid, struct.pack("!H", n))


def tlv_u32(fid, n):
    return tlv(fid, struct.pack("!I", n))


def tlv_u64(fid, n):
    return tlv(fid, struct.pack("!Q", n))


def frame(type=REQUEST, group=0, element=0, capability=0, priority=0, flags=0,
          complexity=0, trace_id=0, session_id=0, seq=0, timestamp=0,
          tlvs=(), payload=None, payload_len=None, magic=PF_MAGIC,
          version=PF_VERSION, reserved0=0, reserved1=0, trailer=b"", cut=None):
    """A PacketFlow frame.

    tlvs: a sequence of (id, value) pairs or of already encoded TLV bytes;
    payload: raw payload bytes instead of tlvs. Fault injection:
    payload_len overrides the header's length, trailer is appended after
    the payload, cut keeps only the first cut bytes of the frame.
    """
    if isinstance(group, str):
        group = GROUP_ID[group.upper()]
    if payload is None:
        parts = []
        for t in tlvs:
            if isinstance(t, (bytes, bytearray)):
                parts.append(bytes(t))
            else:
                parts.append(tlv(t[0], t[1]))
        payload = b"".join(parts)
    plen = len(payload) if payload_len is None else payload_len
    hdr = struct.pack("!HBBBBHBBBBHHQIIQ", magic, version, type, group, element,
                      capability, priority, flags, complexity, reserved0, plen,
                      reserved1, trace_id, session_id, seq, timestamp)
    assert len(hdr) == HDR_LEN
    out = hdr + payload + trailer
    return out if cut is None else out[:cut]


def request(capability=0, tlvs=(), **kw):
    """A request frame (shorthand)."""
    return frame(type=REQUEST, capability=capability, tlvs=tlvs, **kw)


def decode_frame(buf):
    """Decode and validate a frame as docs/wire-protocol.md describes.

    Returns (verdict, fields): verdict is "ok" or the name of the first
    failing check; fields holds what could be read (the header once 40
    bytes are there; `tlvs`, a list of (id, bytes), when the verdict is ok).
    """
    buf = bytes(buf)
    f = {}
    if len(buf) < HDR_LEN:
        return "truncated", f
    (magic, version, type_, group, element, capability, priority, flags,
     complexity, reserved0, plen, reserved1, trace_id, session_id, seq,
     timestamp) = struct.unpack_from("!HBBBBHBBBBHHQIIQ", buf, 0)
    f.update(magic=magic, version=version, type=type_, group=group,
             element=element, capability=capability, priority=priority,
             flags=flags, complexity=complexity, reserved0=reserved0,
             payload_len=plen, reserved1=reserved1, trace_id=trace_id,
             session_id=session_id, seq=seq, timestamp=timestamp)
    if magic != PF_MAGIC:
        return "bad_magic", f
    if version != PF_VERSION:
        return "bad_version", f
    if type_ not in TYPES:
        return "bad_type", f
    if len(buf) < HDR_LEN + plen:
        return "truncated", f
    if len(buf) > HDR_LEN + plen:
        return "length_mismatch", f
    if group > 6:
        return "bad_group", f
    if element > 4 or (element and not group):
        return "bad_element", f
    if flags & ~FLAGS_ALL:
        return "bad_flags", f
    payload = buf[HDR_LEN:]
    tlvs = []
    seen = set()
    off = 0
    while off < len(payload):
        if off + TLV_HDR_LEN > len(payload):
            return "bad_tlv", f
        fid, ln = struct.unpack_from("!HH", payload, off)
        if off + TLV_HDR_LEN + ln > len(payload):
            return "bad_tlv", f
        if 1 <= fid <= 63:
            if fid in seen:
                return "dup_tlv", f
            seen.add(fid)
        tlvs.append((fid, payload[off + TLV_HDR_LEN:off + TLV_HDR_LEN + ln]))
        off += TLV_HDR_LEN + ln
    f["tlvs"] = tlvs
    return "ok", f


def tlv_get(pf, fid, default=None):
    """Value of the first TLV fid of a decoded frame (dict), or default."""
    for i, v in pf.get("tlvs", ()):
        if i == fid:
            return v
    return default


def tlv_int(pf, fid, default=None):
    """Big-endian integer value of TLV fid, or default when absent."""
    v = tlv_get(pf, fid)
    return default if v is None else int.from_bytes(v, "big")


def describe_frame(pf):
    """Short human description of a decoded frame, for messages."""
    if not pf:
        return "<no frame>"
    parts = ["%s" % TYPES.get(pf.get("type"), pf.get("type")),
             "g%s e%s cap %s" % (pf.get("group"), pf.get("element"), pf.get("capability")),
             "sess %s seq %s" % (pf.get("session_id"), pf.get("seq"))]
    for fid, v in pf.get("tlvs", ()):
        name = FIELDS.get(fid, str(fid))
        if fid == F_ERROR_CODE and len(v) == 2:
            code = int.from_bytes(v, "big")
            parts.append("error_code=%d(%s)" % (code, ERRORS.get(code, "?")))
        elif fid in (F_COUNT, F_TTL) and len(v) in (4, 8):
            parts.append("%s=%d" % (name, int.from_bytes(v, "big")))
        elif fid in (F_MATCH, F_STAGE):
            parts.append("%s=%s" % (name, v.hex()))
        else:
            s = v[:48]
            parts.append("%s=%r%s" % (name, s, "..." if len(v) > 48 else ""))
    return " ".join(parts)


# ---- Ethernet / VLAN / IPv4 / UDP ----

CLIENT_MAC = bytes.fromhex("020000000001")
DP_MAC = bytes.fromhex("020000000002")
CLIENT_IP = bytes([10, 0, 0, 1])
DP_IP = bytes([10, 0, 0, 2])
CLIENT_PORT = 40000

ETH_IPV4, ETH_ARP, ETH_VLAN, ETH_QINQ, ETH_IPV6 = 0x0800, 0x0806, 0x8100, 0x88A8, 0x86DD


def checksum(data):
    """Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_addr(a):
    if isinstance(a, str):
        return bytes(int(x) for x in a.split("."))
    return bytes(a)


def eth_header(ethertype, src=CLIENT_MAC, dst=DP_MAC, vlans=()):
    """Ethernet II header; vlans is a list of (tpid, tci), outermost first."""
    h = bytes(dst) + bytes(src)
    for tpid, tci in vlans:
        h += struct.pack("!HH", tpid, tci)
    return h + struct.pack("!H", ethertype)


def ipv4_header(proto, payload_len, src=CLIENT_IP, dst=DP_IP, ident=0,
                ttl=64, options=b"", df=True, mf=False, frag_offset=0,
                total_length=None, version=4, ihl=None, tos=0):
    """IPv4 header with a valid checksum. frag_offset is in 8-byte units."""
    if len(options) % 4:
        raise ValueError("IPv4 options must be a multiple of 4 bytes")
    hl = 20 + len(options)
    if ihl is None:
        ihl = hl // 4
    tot = hl + payload_len if total_length is None else total_length
    fl = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_offset & 0x1FFF)
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, tot, ident & 0xFFFF,
                    fl, ttl, proto, 0, ip_addr(src), ip_addr(dst)) + options
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:]


def udp_packet(payload, dport=PF_UDP_PORT, sport=CLIENT_PORT, src_mac=CLIENT_MAC,
               dst_mac=DP_MAC, src_ip=CLIENT_IP, dst_ip=DP_IP, vlans=(), ident=0,
               ip_options=b"", df=True, mf=False, frag_offset=0, ttl=64,
               udp_len=None, ip_total_length=None, pad=0, udp_checksum=0):
    """Ethernet / [VLAN tags] / IPv4 / UDP / payload.

    udp_len and ip_total_length override the length fields (to build
    inconsistent packets); pad appends Ethernet padding after the IP packet.
    """
    ulen = 8 + len(payload) if udp_len is None else udp_len
    udp = struct.pack("!HHHH", sport, dport, ulen, udp_checksum) + payload
    ip = ipv4_header(17, len(udp), src_ip, dst_ip, ident, ttl, ip_options, df,
                     mf, frag_offset, ip_total_length)
    return eth_header(ETH_IPV4, src_mac, dst_mac, vlans) + ip + udp + b"\0" * pad


def arp_packet(sender_ip=CLIENT_IP, target_ip=DP_IP, src_mac=CLIENT_MAC):
    """An ARP request (who has target_ip), padded to 60 bytes."""
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes(src_mac),
                       ip_addr(sender_ip), b"\0" * 6, ip_addr(target_ip))
    pkt = eth_header(ETH_ARP, src_mac, b"\xff" * 6) + body
    return pkt + b"\0" * max(0, 60 - len(pkt))


def icmp_packet(ident=1, seq=1, data=b"ping", src_ip=CLIENT_IP, dst_ip=DP_IP):
    """An ICMP echo request."""
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    ip = ipv4_header(1, len(icmp), src_ip, dst_ip, ident=ident)
    return eth_header(ETH_IPV4) + ip + icmp


def ipv6_udp_packet(payload, dport=PF_UDP_PORT, sport=CLIENT_PORT):
    """Ethernet / IPv6 / UDP (the dataplane counts it as not_ipv4)."""
    src = bytes.fromhex("fd000000000000000000000000000001")
    dst = bytes.fromhex("fd000000000000000000000000000002")
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip6 = struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64, src, dst)
    return eth_header(ETH_IPV6) + ip6 + udp


# ---- pcap ----

PCAP_EPOCH = 1700000000


def write_pcap(path, packets, snaplen=65535):
    """Write packets (bytes) to a pcap, LINKTYPE_ETHERNET, microseconds."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        for i, p in enumerate(packets):
            p = bytes(p)
            f.write(struct.pack("<IIII", PCAP_EPOCH + i // 1000000, i % 1000000,
                                len(p), len(p)))
            f.write(p)


def read_pcap(path):
    """Packets of a pcap (either byte order, usec or nsec), as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: %d bytes, not a pcap file" % (path, len(data)))
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        raise ValueError("%s: bad pcap magic 0x%08x" % (path, magic))
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != 1:
        raise ValueError("%s: link type %d, expected Ethernet (1)" % (path, linktype))
    out = []
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        if off + incl > len(data):
            raise ValueError("%s: last record cut short" % path)
        out.append(data[off:off + incl])
        off += incl
    if off != len(data):
        raise ValueError("%s: %d stray bytes at the end" % (path, len(data) - off))
    return out


# ---- decoding whole packets ----

def decode_packet(pkt, udp_port=PF_UDP_PORT):
    """Decode an Ethernet frame down to the PacketFlow frame.

    Returns a dict: raw, eth {dst, src, vlans [(tpid, tci)], type}; for IPv4
    ip {version, ihl, tos, total_length, ident, df, mf, frag_offset, ttl,
    proto, checksum_ok, src, dst, options}; for UDP udp {sport, dport,
    length, checksum}, payload (bytes); for UDP on udp_port pf (fields of
    decode_frame) and verdict. Missing layers are absent; `error` says why
    decoding stopped early.
    """
    pkt = bytes(pkt)
    d = {"raw": pkt}
    if len(pkt) < 14:
        d["error"] = "short ethernet"
        return d
    eth = {"dst": pkt[0:6], "src": pkt[6:12], "vlans": []}
    off = 12
    etype = struct.unpack_from("!H", pkt, off)[0]
    off += 2
    while etype in (ETH_VLAN, ETH_QINQ) and len(eth["vlans"]) < 2:
        if len(pkt) < off + 4:
            d["error"] = "short vlan"
            d["eth"] = eth
            return d
        tci, inner = struct.unpack_from("!HH", pkt, off)
        eth["vlans"].append((etype, tci))
        etype = inner
        off += 4
    eth["type"] = etype
    d["eth"] = eth
    d["l3_off"] = off
    if etype != ETH_IPV4:
        return d
    if len(pkt) < off + 20:
        d["error"] = "short ipv4"
        return d
    vihl, tos, tot, ident, fl, ttl, proto, csum = struct.unpack_from("!BBHHHBBH", pkt, off)
    ihl = (vihl & 0xF) * 4
    hdr = pkt[off:off + ihl]
    ip = {"version": vihl >> 4, "ihl": ihl, "tos": tos, "total_length": tot,
          "ident": ident, "df": bool(fl & 0x4000), "mf": bool(fl & 0x2000),
          "frag_offset": fl & 0x1FFF, "ttl": ttl, "proto": proto,
          "checksum": csum, "checksum_ok": len(hdr) == ihl and checksum(hdr) == 0,
          "src": pkt[off + 12:off + 16], "dst": pkt[off + 16:off + 20],
          "options": pkt[off + 20:off + ihl]}
    d["ip"] = ip
    d["padding"] = pkt[off + tot:] if off + tot <= len(pkt) else b""
    if proto != 17 or ihl < 20 or len(pkt) < off + ihl + 8:
        return d
    uo = off + ihl
    sport, dport, ulen, ucsum = struct.unpack_from("!HHHH", pkt, uo)
    d["udp"] = {"sport": sport, "dport": dport, "length": ulen, "checksum": ucsum}
    end = uo + ulen
    d["payload"] = pkt[uo + 8:end]
    if end > len(pkt) or ulen < 8:
        d["error"] = "udp length %d does not fit the packet" % ulen
        return d
    if udp_port in (sport, dport):
        verdict, pf = decode_frame(d["payload"])
        d["verdict"] = verdict
        d["pf"] = pf
    return d


# ---- self test against the document's vectors ----

def _expect_matches(verdict, fields, want_verdict, expect):
    """Differences between a decode and a vector's Expect line."""
    diffs = []
    if verdict != want_verdict:
        return ["verdict %s, expected %s" % (verdict, want_verdict)]
    if verdict != "ok":
        return diffs
    for k, v in expect.items():
        if k == "type":
            got = TYPES.get(fields["type"])
        elif k == "fields":
            got = [FIELDS.get(i, str(i)) for i, _ in fields["tlvs"]]
        elif k in ("intent", "error_msg"):
            raw = tlv_get(fields, FIELD_ID[k])
            got = raw.decode("utf-8") if raw is not None else None
        elif k == "error_code":
            got = tlv_int(fields, F_ERROR_CODE)
        else:
            got = fields.get(k)
        if got != v:
            diffs.append("%s=%r, expected %r" % (k, got, v))
    return diffs


def self_test(doc, wireshark_dir):
    """Check decode_frame and frame() against every vector; returns failures."""
    sys.path.insert(0, wireshark_dir)
    import vectors_to_pcap  # noqa: E402  (shared vector parser)

    failures = []
    vectors = vectors_to_pcap.parse_vectors(doc)
    for v in vectors:
        verdict, fields = decode_frame(v["payload"])
        for d in _expect_matches(verdict, fields, v["verdict"], v["expect"]):
            failures.append("vector %d: %s" % (v["number"], d))
        if verdict == "ok":
            # the builder must produce the same bytes from the decoded fields
            kw = {k: fields[k] for k in ("type", "group", "element", "capability",
                                         "priority", "flags", "complexity",
                                         "trace_id", "session_id", "seq",
                                         "timestamp")}
            built = frame(tlvs=fields["tlvs"], **kw)
            if built != v["payload"]:
                failures.append("vector %d: frame() gives %s, document %s" %
                                (v["number"], built.hex(), v["payload"].hex()))
    # round trips through the packet layers and a pcap file
    import tempfile, os
    pkts = [
        udp_packet(vectors[0]["payload"]),
        udp_packet(vectors[0]["payload"], vlans=[(ETH_VLAN, 100)]),
        udp_packet(vectors[0]["payload"], vlans=[(ETH_QINQ, 10), (ETH_VLAN, 20)]),
        udp_packet(vectors[0]["payload"], ip_options=b"\x01\x01\x01\x00", pad=7),
        arp_packet(), icmp_packet(),
    ]
    with tempfile.TemporaryDirectory(prefix="pfpkt-") as tmp:
        path = os.path.join(tmp, "x.pcap")
        write_pcap(path, pkts)
        back = read_pcap(path)
    if back != pkts:
        failures.append("pcap round trip changed the packets")
    for i, p in enumerate(pkts[:4]):
        d = decode_packet(p)
        if d.get("verdict") != "ok" or d["pf"]["seq"] != 7:
            failures.append("packet %d: decode_packet gives %r" % (i, d.get("verdict")))
        if not d["ip"]["checksum_ok"]:
            failures.append("packet %d: IPv4 checksum wrong" % i)
    if decode_packet(pkts[1])["eth"]["vlans"] != [(ETH_VLAN, 100)]:
        failures.append("802.1Q tag not decoded")
    if decode_packet(pkts[3])["padding"] != b"\0" * 7:
        failures.append("Ethernet padding not separated from the datagram")
    return len(vectors), failures


if __name__ == "__main__":
    import argparse
    import os
    ap = argparse.ArgumentParser(description="pfpkt self test")
    ap.add_argument("--self-test", metavar="DOC", default="docs/wire-protocol.md")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    n, fails = self_test(args.self_test, os.path.join(here, "..", "wireshark"))
    for f in fails:
        print("pfpkt: FAIL %s" % f)
    print("pfpkt: %d vectors, %d failures" % (n, len(fails)))
    sys.exit(1 if fails else 0)
