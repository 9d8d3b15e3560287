#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# genlib.py: helpers of pf-gen's integration tests -- unique EAL prefixes and
# memif sockets, testpmd / pf-dataplane / pf-gen runs, pcap files,
# PacketFlow frames, and the small JSON Schema validator the tests use.
"""Helpers for tests/gen/*.py (standard library only).

Every DPDK process gets its own --file-prefix and memif socket (Env), runs
with --no-huge, and has its lcores mapped onto CPUs 0 and 1. Processes are
killed, by their own pid, when a test ends however it ends.
"""

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SKIP = 77

EAL_COMMON = ["--no-huge", "-m", "256", "--no-pci"]


class TestFailure(Exception):
    pass


def check(cond, msg):
    """Fail the test with msg unless cond holds."""
    if not cond:
        raise TestFailure(msg)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def find_tool(build, name):
    """build/dataplane/gen/NAME, build/dataplane/NAME, ... or None."""
    for sub in ("dataplane/gen", "dataplane", "control", "."):
        p = os.path.join(build, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def main(test_fn):
    """Run test_fn(env) with the build directory from argv[1]; exit 0, 1 or 77."""
    if len(sys.argv) < 2:
        print("usage: %s BUILD_DIR" % sys.argv[0])
        sys.exit(2)
    env = Env(sys.argv[1], os.path.splitext(os.path.basename(sys.argv[0]))[0])
    rc = 1
    try:
        test_fn(env)
        rc = 0
        print("PASS")
    except TestFailure as e:
        print("FAIL: %s" % e)
        env.dump_logs()
    finally:
        env.cleanup(keep=rc != 0)
    sys.exit(rc)


class Env:
    """One test's scratch: a temp dir, unique names, processes to reap."""

    def __init__(self, build, name):
        self.build = os.path.abspath(build)
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="pfgen-%s-" % name)
        self.n = 0
        self.procs = []
        self.logs = []
        self.prefixes = []
        self.pf_gen = find_tool(self.build, "pf-gen")
        if not self.pf_gen:
            skip("pf-gen is not built under %s (needs DPDK)" % self.build)

    def unique(self, what):
        """A --file-prefix of its own (its EAL runtime dir is removed at the end)."""
        self.n += 1
        prefix = "pfgen-%s-%s-%d-%d" % (self.name, what, os.getpid(), self.n)
        self.prefixes.append(prefix)
        return prefix

    def path(self, name):
        return os.path.join(self.tmp, name)

    def sock(self):
        """A memif socket path no other run uses (short: sun_path is 108 bytes)."""
        self.n += 1
        return "/tmp/pfg-%d-%d.sock" % (os.getpid(), self.n)

    def spawn(self, cmd, log_name, stdin=subprocess.DEVNULL):
        log = self.path(log_name)
        f = open(log, "w")
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=stdin,
                             cwd=SRC_ROOT, start_new_session=True)
        f.close()
        self.procs.append(p)
        self.logs.append(log)
        p.log_path = log
        return p

    def dump_logs(self):
        for log in self.logs:
            try:
                with open(log, errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            print("---- %s (last 60 lines) ----" % log)
            print("\n".join(text.splitlines()[-60:]))

    def cleanup(self, keep=False):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        for prefix in self.prefixes:   # EAL leaves its runtime dir behind
            for root in ("/var/run/dpdk", os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"), "dpdk")):
                shutil.rmtree(os.path.join(root, prefix), ignore_errors=True)
        if keep or os.environ.get("PF_GEN_KEEP") == "1":
            print("(scratch kept in %s)" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- pf-gen --

    def gen(self, args, eal=None, lcores="0@1,1@0", timeout=120, check_rc=0, sigint_after=None,
            peer_stop=None):
        """Run pf-gen to the end; returns a Run (rc, out, err, json).
        sigint_after: seconds after pf-gen says it is running (its port is
        up) to send it SIGINT. peer_stop: a function that stops pf-gen's
        memif peer; pf-gen then runs with --hold, and once its report is
        out (it holds the port, not polling) peer_stop() runs and pf-gen
        exits on the link going down. So the peer is never polling when the
        other side leaves (DPDK 22.11's memif PMD can crash the one that
        is)."""
        if peer_stop is not None:
            args = list(args) + ["--hold"]
        cmd = [self.pf_gen]
        if eal is not False:
            cmd += EAL_COMMON + ["--file-prefix", self.unique("gen"), "--lcores", lcores]
            cmd += list(eal or []) + ["--"]
        json_path = None
        if "--json" in args:
            json_path = args[args.index("--json") + 1]
        cmd += list(args)
        r = Run(cmd)
        n = self.n
        out_path, err_path = self.path("gen-%d.out" % n), self.path("gen-%d.err" % n)
        t0 = time.time()
        with open(out_path, "w") as out, open(err_path, "w") as err:
            p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                 cwd=SRC_ROOT, start_new_session=True)
        self.procs.append(p)
        self.logs += [out_path, err_path]
        sent_sigint = sigint_after is None
        held = peer_stop is None
        while p.poll() is None:
            if time.time() - t0 > timeout:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
                raise TestFailure("pf-gen did not finish within %d s: %s" % (timeout, " ".join(cmd)))
            if not sent_sigint:
                with open(out_path, errors="replace") as f:
                    if "\nrunning: " in f.read():
                        time.sleep(sigint_after)
                        if p.poll() is None:
                            os.kill(p.pid, signal.SIGINT)
                        sent_sigint = True
            if not held:
                with open(out_path, errors="replace") as f:
                    if "\nholding: " in f.read():
                        held = True
                        peer_stop()
                        try:  # the link goes down with the peer
                            p.wait(timeout=10)
                        except subprocess.TimeoutExpired:
                            os.kill(p.pid, signal.SIGINT)
            time.sleep(0.05)
        if not held:  # pf-gen ended without holding (an error): stop the peer all the same
            peer_stop()
        with open(out_path, errors="replace") as f:
            r.out = f.read()
        with open(err_path, errors="replace") as f:
            r.err = f.read()
        r.rc = p.returncode
        r.seconds = time.time() - t0
        if check_rc is not None and r.rc != check_rc:
            raise TestFailure("pf-gen exited %d, expected %d: %s\nstdout: %s\nstderr: %s"
                              % (r.rc, check_rc, " ".join(cmd), r.out[-3000:], r.err[-3000:]))
        if json_path and r.rc == 0:
            with open(json_path) as f:
                r.json = json.load(f)
        return r

    def gen_peer(self, args, peer, stop, **kw):
        """pf-gen against a memif peer process (testpmd, pf-dataplane) that
        stop(peer) ends, stopped first (gen()'s peer_stop); returns
        (Run, what stop(peer) returned)."""
        box = []
        r = self.gen(args, peer_stop=lambda: box.append(stop(peer)), **kw)
        return r, box[0]

    # -- testpmd --

    def testpmd(self, sock, mode="5tswap", lcores="0@0,1@1"):
        exe = shutil.which("dpdk-testpmd")
        if not exe:
            skip("dpdk-testpmd is not installed")
        cmd = [exe] + EAL_COMMON + ["--file-prefix", self.unique("testpmd"), "--lcores", lcores,
                                    "--vdev", "net_memif0,role=server,socket=%s" % sock,
                                    "--", "--forward-mode=%s" % mode, "--auto-start",
                                    "--no-flush-rx", "--total-num-mbufs=8192"]
        if shutil.which("stdbuf"):
            cmd = ["stdbuf", "-oL"] + cmd  # its log as it goes, not at exit
        # testpmd waits for Enter on stdin: keep a pipe open, close it to stop.
        p = self.spawn(cmd, "testpmd-%d.log" % self.n, stdin=subprocess.PIPE)
        # The memif server listens once its port started (the socket is
        # abstract by default: no file to wait for); testpmd then waits for
        # the link, i.e. for our client.
        wait_log(p, "Checking link statuses", 30, "testpmd")
        return p

    def stop_testpmd(self, p):
        """Stop testpmd; returns its forward statistics {rx, tx, rx_dropped, tx_dropped}."""
        if p.poll() is None:
            try:
                p.stdin.write(b"\n")
                p.stdin.close()
            except OSError:
                pass
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGINT)
                p.wait(timeout=15)
        with open(p.log_path, errors="replace") as f:
            log = f.read()
        m = re.search(r"Accumulated forward statistics.*?RX-packets:\s*(\d+)\s+RX-dropped:\s*(\d+)"
                      r".*?TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)", log, re.S)
        if not m:
            return None
        return {"rx": int(m.group(1)), "rx_dropped": int(m.group(2)),
                "tx": int(m.group(3)), "tx_dropped": int(m.group(4))}

    # -- pf-dataplane --

    def dataplane(self, config, sock, lcores="0@0,1@0,2@1", extra=()):
        exe = find_tool(self.build, "pf-dataplane")
        if not exe:
            skip("pf-dataplane is not built")
        d = self.path("dp%d" % self.n)
        os.makedirs(d, exist_ok=True)
        stats, ctl = os.path.join(d, "st"), os.path.join(d, "ctl.sock")
        cmd = [exe, "--lcores", lcores, "--file-prefix", self.unique("dp"), "--",
               "-c", config, "--port", "p0=net_memif0,role=server,socket=%s" % sock,
               "--stats", stats, "--control", ctl] + list(extra)
        p = self.spawn(cmd, "dataplane-%d.log" % self.n)
        p.stats_path = stats
        wait_log(p, "running; SIGINT", 60, "pf-dataplane")
        return p

    def stop_dataplane(self, p):
        """SIGINT, wait, parse `final: rx N tx M drops D reason=n ...`."""
        if p.poll() is None:
            os.kill(p.pid, signal.SIGINT)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                raise TestFailure("pf-dataplane did not exit within 30 s of SIGINT")
        check(p.returncode == 0, "pf-dataplane exited %s" % p.returncode)
        with open(p.log_path, errors="replace") as f:
            log = f.read()
        m = re.search(r"^final: rx (\d+) tx (\d+) drops (\d+)(.*)$", log, re.M)
        check(m is not None, "pf-dataplane printed no `final:` line")
        reasons = {}
        for tok in m.group(4).split():
            k, _, v = tok.partition("=")
            reasons[k] = int(v)
        return {"rx": int(m.group(1)), "tx": int(m.group(2)), "drops": int(m.group(3)),
                "reasons": reasons}

    def pf_stats(self, p):
        """pf-stats --json of a dataplane's segment, or None without the tool."""
        exe = find_tool(self.build, "pf-stats")
        if not exe:
            return None
        r = subprocess.run([exe, "-s", p.stats_path, "--json"], capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None


class Run:
    def __init__(self, cmd):
        self.cmd = cmd
        self.rc = None
        self.out = ""
        self.err = ""
        self.json = None
        self.seconds = 0


def wait_for(cond, p, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        if p.poll() is not None:
            raise TestFailure("%s exited with %s during start-up (log %s)"
                              % (what, p.returncode, p.log_path))
        time.sleep(0.05)
    raise TestFailure("%s: not ready after %d s" % (what, timeout))


def wait_log(p, text, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        with open(p.log_path, errors="replace") as f:
            if text in f.read():
                return
        if p.poll() is not None:
            raise TestFailure("%s exited with %s during start-up (log %s)"
                              % (what, p.returncode, p.log_path))
        time.sleep(0.05)
    raise TestFailure("%s: no %r in its log after %d s" % (what, text, timeout))


# ---- pcap ----

def read_pcap(path):
    """[(ts_ns, bytes)] of a classic pcap (micro- or nanosecond)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        raise ValueError("%s: not a little-endian pcap (magic 0x%x)" % (path, magic))
    scale = 1 if magic == 0xa1b23c4d else 1000
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from("<IIII", data, off)
        off += 16
        out.append((sec * 1000000000 + frac * scale, data[off:off + caplen]))
        off += caplen
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i % 1000000, len(fr), len(fr)))
            f.write(fr)


# ---- PacketFlow frames (docs/wire-protocol.md), Ethernet/IPv4/UDP, no VLAN ----

PF_OFF = 42
HDR = struct.Struct(">HBBBBHBBBBHHQIIQ")
FIELDS = ("magic", "version", "type", "group", "element", "capability", "priority",
          "flags", "complexity", "reserved0", "payload_len", "reserved1", "trace_id",
          "session_id", "seq", "timestamp")


def parse(frame):
    """Header fields and TLVs of a frame pf-gen built (dict), with addresses."""
    h = dict(zip(FIELDS, HDR.unpack_from(frame, PF_OFF)))
    tlvs, off, end = [], PF_OFF + 40, PF_OFF + 40 + h["payload_len"]
    while off + 4 <= end:
        tid, ln = struct.unpack_from(">HH", frame, off)
        tlvs.append((tid, frame[off + 4:off + 4 + ln]))
        off += 4 + ln
    h["tlvs"] = tlvs
    h["eth_dst"], h["eth_src"] = frame[0:6], frame[6:12]
    h["ip_src"], h["ip_dst"] = frame[26:30], frame[30:34]
    h["sport"], h["dport"] = struct.unpack_from(">HH", frame, 34)
    h["len"] = len(frame)
    return h


def _ip_csum(hdr):
    s = sum(struct.unpack(">10H", hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def turn_around(frame, msg_type=2, flags=None, payload=None):
    """The frame sent back: MACs, IPs and ports swapped, type set; payload
    (TLV bytes) replaces the request's when given."""
    b = bytearray(frame)
    b[0:6], b[6:12] = frame[6:12], frame[0:6]
    b[26:30], b[30:34] = frame[30:34], frame[26:30]
    b[34:36], b[36:38] = frame[36:38], frame[34:36]
    b[PF_OFF + 3] = msg_type
    if flags is not None:
        b[PF_OFF + 9] = flags
    if payload is not None:
        b = b[:PF_OFF + 40] + payload
        struct.pack_into(">H", b, PF_OFF + 12, len(payload))
        struct.pack_into(">H", b, 16, 20 + 8 + 40 + len(payload))
        struct.pack_into(">H", b, 38, 8 + 40 + len(payload))
        struct.pack_into(">H", b, 24, 0)
        struct.pack_into(">H", b, 24, _ip_csum(bytes(b[14:34])))
    return bytes(b)


def error_frame(frame, code, msg=b"injected"):
    payload = struct.pack(">HHH", 5, 2, code) + struct.pack(">HH", 6, len(msg)) + msg
    return turn_around(frame, msg_type=3, payload=payload)


# ---- JSON Schema, the subset the report's schema uses ----

SCHEMA_KEYWORDS = {"$schema", "$id", "$defs", "$ref", "title", "description", "type", "required",
                   "properties", "items", "minimum", "additionalProperties", "enum"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def validate(inst, schema, where="$", root=None):
    """Errors (list of str) of inst against schema: type, required,
    properties, items, minimum, additionalProperties (bool or schema),
    enum, and $ref to "#/$defs/NAME". A keyword outside this subset is an
    error too, so that a schema cannot lean on a check this validator would
    silently skip."""
    root = root if root is not None else schema
    errs = []
    unknown = set(schema) - SCHEMA_KEYWORDS
    if unknown:
        return ["%s: schema uses unsupported keywords %s" % (where, sorted(unknown))]
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/") or ref[8:] not in root.get("$defs", {}):
            return ["%s: unsupported or dangling $ref %r" % (where, ref)]
        return validate(inst, root["$defs"][ref[8:]], where, root)
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(TYPES[x](inst) for x in types):
            return ["%s: expected %s, found %s" % (where, "/".join(types), type(inst).__name__)]
    if "enum" in schema and inst not in schema["enum"]:
        errs.append("%s: expected one of %r, found %r" % (where, schema["enum"], inst))
    if "minimum" in schema and TYPES["number"](inst) and inst < schema["minimum"]:
        errs.append("%s: expected >= %s, found %s" % (where, schema["minimum"], inst))
    if isinstance(inst, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in inst:
                errs.append("%s: required property %r missing" % (where, k))
        addl = schema.get("additionalProperties", True)
        for k, v in inst.items():
            if k in props:
                errs += validate(v, props[k], "%s.%s" % (where, k), root)
            elif addl is False:
                errs.append("%s: property %r is not in the schema" % (where, k))
            elif isinstance(addl, dict):
                errs += validate(v, addl, "%s.%s" % (where, k), root)
    if isinstance(inst, list) and "items" in schema:
        for i, v in enumerate(inst):
            errs += validate(v, schema["items"], "%s[%d]" % (where, i), root)
    return errs


def schema_properties(schema, root=None):
    """Every property name the schema defines (for the documentation check)."""
    root = root if root is not None else schema
    out = set()
    for k, v in schema.get("properties", {}).items():
        out.add(k)
        out |= schema_properties(v, root)
        if "items" in v:
            out |= schema_properties(v["items"], root)
    for d in schema.get("$defs", {}).values():
        out |= schema_properties(d, root)
    return out


def load_schema():
    with open(os.path.join(SRC_ROOT, "docs", "pf-gen-report.schema.json")) as f:
        return json.load(f)
