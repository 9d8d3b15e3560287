#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# harness.py: runs pf-dataplane on a pcap over net_pcap (no NIC, no
# hugepages), waits for it to take every packet, stops it, checks the books.
"""One dataplane run: packets in, packets out, counters checked.

    dp = Dataplane(build, "builtins", "configs/default.conf")
    res = dp.run(packets)            # list of bytes (Ethernet frames)
    res.final      {"rx", "tx", "drops", "reasons": {name: n}}  (stdout)
    res.stats      pf-stats JSON (or the same shape read from the segment)
    res.out        decoded output packets (pfpkt.decode_packet dicts)
    res.answers    {(session_id, seq): [decoded packet, ...]}

Every run asserts exit code 0 and rx == tx + sum(drops) from both the
dataplane's last lines and the stats segment. A failed run raises
RunError with the dataplane's log attached, after killing what is left.
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
sys.path.insert(0, HERE)
import pfpkt  # noqa: E402

SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CONFIGS = os.path.join(HERE, "configs")

_run_counter = [0]


class RunError(Exception):
    """A dataplane run went wrong; str() says what, .log holds its output."""

    def __init__(self, msg, log=""):
        super().__init__(msg)
        self.log = log


def find_tool(build, name):
    """Path of a built tool (build/dataplane/NAME), or None."""
    for sub in ("dataplane", "control", "tools", "."):
        p = os.path.join(build, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


# ---- the stats segment, read directly (fallback while pf-stats is absent) ----

DECODE_ERR_MAX = 11   # PF_DECODE_ERR_MAX: 0 (ok) + 10 verdicts
N_ERRORS = 32
GROUP_COUNT = 6
ELEMENT_COUNT = 24
CAP_SLOTS = 256           # PF_STATS_CAP_SLOTS
CAP_DIR_OFF = 120 + 64 * 16   # hdr->caps[]: after lcore_info[64]
# struct pf_stats_lcore's scalars after errors[], in order (lib/pf_stats.h)
_LCORE_TAIL = ["classified", "rule_hits", "cls_cache_hits", "cls_cache_misses",
               "passed", "ring_enq", "ring_deq",
               "high_prio", "fanout_copies", "fanout_joins", "busy_polls",
               "idle_polls", "heartbeat", "fast_path"]


def drop_reason_names():
    """Drop reason names in enum order, from lib/pf_stats.h's PF_DROP_LIST
    (the list grows; pfpkt.DROP_REASONS is the fallback)."""
    try:
        with open(os.path.join(SRC_ROOT, "lib", "pf_stats.h")) as f:
            text = f.read()
        body = text[text.index("#define PF_DROP_LIST"):]
        body = body[:body.index("\n\n")]
        names = re.findall(r'X\(\w+,\s*"(\w+)"', body)
        if names:
            return names
    except (OSError, ValueError):
        pass
    return list(pfpkt.DROP_REASONS)


def read_segment(path):
    """Totals of a stats segment, in pf-stats' JSON shape (the keys the
    tests use). Reads lib/pf_stats.h's layout with the offsets its header
    publishes; raises OSError / ValueError when it is not (yet) readable."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 128:
        raise ValueError("segment %s: %d bytes" % (path, len(data)))
    (magic, version, size, pid, start_ns, tsc_hz, n_lcores, lcores_off, stride,
     n_drop) = struct.unpack_from("<IIQQQQIIII", data, 0)
    if magic != 0x50465354:
        raise ValueError("segment %s: not published yet (magic 0x%x)" % (path, magic))
    running, updated_ns, registry_gen, rules_gen = struct.unpack_from("<QQQQ", data, 64)
    names = drop_reason_names()
    names = names + ["reason_%d" % i for i in range(len(names), n_drop)]
    tot = {"rx": 0, "tx": 0, "drops": {n: 0 for n in names[:n_drop]},
           "malformed": {}, "errors": {}}
    for k in _LCORE_TAIL:
        tot[k] = 0
    hist_buckets = struct.unpack_from("<I", data, 56)[0]
    # This reader knows the layout by hand: fail loudly when it drifts.
    words = (2 + n_drop + DECODE_ERR_MAX + N_ERRORS + len(_LCORE_TAIL) +
             GROUP_COUNT + 1 + 2 * (ELEMENT_COUNT + 1))
    want = words * 8 + CAP_SLOTS * (24 + 8 * hist_buckets)
    want = (want + 63) // 64 * 64
    if stride != want:
        raise ValueError("segment %s: lcore stride %d, this reader expects %d: "
                         "update harness._LCORE_TAIL from lib/pf_stats.h" % (path, stride, want))
    cap_exec = [0] * CAP_SLOTS
    cap_errors = [0] * CAP_SLOTS
    tot["elements"] = {}
    lcores = []
    for i in range(n_lcores):
        base = lcores_off + i * stride
        off = base
        rx, tx = struct.unpack_from("<QQ", data, off)
        off += 16
        drops = struct.unpack_from("<%dQ" % n_drop, data, off)
        off += 8 * n_drop
        mal = struct.unpack_from("<%dQ" % DECODE_ERR_MAX, data, off)
        off += 8 * DECODE_ERR_MAX
        errs = struct.unpack_from("<%dQ" % N_ERRORS, data, off)
        off += 8 * N_ERRORS
        tail = struct.unpack_from("<%dQ" % len(_LCORE_TAIL), data, off)
        off += 8 * len(_LCORE_TAIL)
        off += 8 * (GROUP_COUNT + 1)
        elem_exec = struct.unpack_from("<%dQ" % (ELEMENT_COUNT + 1), data, off)
        off += 16 * (ELEMENT_COUNT + 1)
        for slot in range(CAP_SLOTS):
            ex, er = struct.unpack_from("<QQ", data, off + slot * (24 + 8 * hist_buckets))
            cap_exec[slot] += ex
            cap_errors[slot] += er
        for j, n in enumerate(elem_exec):
            if n:
                tot["elements"][j] = tot["elements"].get(j, 0) + n
        lcore_id = struct.unpack_from("<H", data, 120 + 16 * i)[0]
        tot["rx"] += rx
        tot["tx"] += tx
        for j, n in enumerate(drops):
            tot["drops"][names[j]] += n
        for j, n in enumerate(mal):
            if j and n:
                name = pfpkt.VERDICTS.get(j, "verdict_%d" % j)
                tot["malformed"][name] = tot["malformed"].get(name, 0) + n
        for j, n in enumerate(errs):
            if n:
                name = pfpkt.ERRORS.get(j, "code_%d" % j)
                tot["errors"][name] = tot["errors"].get(name, 0) + n
        for k, n in zip(_LCORE_TAIL, tail):
            tot[k] += n
        lc = {"lcore": lcore_id, "rx": rx, "tx": tx, "drops": sum(drops)}
        lc.update(zip(_LCORE_TAIL, tail))
        lcores.append(lc)
    tot["drops_total"] = sum(tot["drops"].values())
    caps = []
    for slot in range(CAP_SLOTS):
        cid, = struct.unpack_from("<H", data, CAP_DIR_OFF + 40 * slot)
        if cid:
            name = data[CAP_DIR_OFF + 40 * slot + 8:CAP_DIR_OFF + 40 * slot + 40]
            caps.append({"id": cid, "name": name.split(b"\0")[0].decode(),
                         "exec": cap_exec[slot], "errors": cap_errors[slot]})
    return {"running": bool(running), "registry_gen": registry_gen,
            "rules_gen": rules_gen, "totals": tot,
            "invariant": {"holds": tot["rx"] == tot["tx"] + tot["drops_total"],
                          "rx": tot["rx"], "tx_plus_drops": tot["tx"] + tot["drops_total"]},
            "lcores": lcores, "caps": caps, "source": "segment"}


# ---- stdout ----

_FINAL_RE = re.compile(r"^final: rx (\d+) tx (\d+) drops (\d+)(.*)$", re.M)
_INV_RE = re.compile(r"^invariant: rx (==|!=) tx \+ drops \((\d+) (==|!=) (\d+)\)$", re.M)


def parse_final(log):
    """The dataplane's `final:` and `invariant:` lines, or None."""
    m = _FINAL_RE.search(log)
    i = _INV_RE.search(log)
    if not m or not i:
        return None
    reasons = {}
    for tok in m.group(4).split():
        k, _, v = tok.partition("=")
        reasons[k] = int(v)
    return {"rx": int(m.group(1)), "tx": int(m.group(2)), "drops": int(m.group(3)),
            "reasons": reasons, "invariant_ok": i.group(1) == "==" and i.group(3) == "==",
            "invariant_rx": int(i.group(2)), "invariant_rhs": int(i.group(4))}


class Result:
    """What one run produced."""

    def __init__(self, name, log, final, stats, out_packets, rc):
        self.name = name
        self.log = log
        self.final = final
        self.stats = stats
        self.rc = rc
        self.out_packets = out_packets
        self._out = None
        self._answers = None

    @property
    def out(self):
        """Output packets, decoded (pfpkt.decode_packet), in wire order."""
        if self._out is None:
            self._out = [pfpkt.decode_packet(p) for p in self.out_packets]
        return self._out

    @property
    def answers(self):
        """{(session_id, seq): [decoded packets]} of the PacketFlow output."""
        if self._answers is None:
            self._answers = {}
            for d in self.out:
                pf = d.get("pf")
                if pf and "session_id" in pf:
                    self._answers.setdefault((pf["session_id"], pf["seq"]), []).append(d)
        return self._answers

    @property
    def totals(self):
        return self.stats["totals"]

    def drop(self, reason):
        return self.totals["drops"].get(reason, 0)

    def errors(self, name):
        return self.totals["errors"].get(name, 0)

    def malformed(self, name):
        return self.totals["malformed"].get(name, 0)

    def answer(self, session, seq):
        """The single answer to (session, seq), or None (several: the first)."""
        a = self.answers.get((session, seq))
        return a[0] if a else None

    def summary(self):
        f = self.final
        return "rx %d == tx %d + drops %d" % (f["rx"], f["tx"], f["drops"])


class Dataplane:
    """pf-dataplane with one net_pcap port, in a fresh temp dir per run."""

    def __init__(self, build, name, config, lcores="0@0,1@0,2@1", port="p0",
                 extra_args=(), udp_port=pfpkt.PF_UDP_PORT):
        self.build = os.path.abspath(build)
        self.name = name
        self.config = config if os.path.isabs(config) else os.path.join(SRC_ROOT, config)
        self.lcores = lcores
        self.port = port
        self.extra_args = list(extra_args)
        self.udp_port = udp_port
        self.exe = find_tool(self.build, "pf-dataplane")
        if not self.exe:
            raise RunError("pf-dataplane not found under %s (build it: ninja -C %s)"
                           % (self.build, self.build))
        self.pf_stats = find_tool(self.build, "pf-stats")
        self.pf_dpctl = find_tool(self.build, "pf-dpctl")
        self.keep = os.environ.get("PF_IT_KEEP") == "1"

    # -- helpers a `during` callback may use --

    def stats_now(self):
        """Current counters (stats JSON shape), read without waiting."""
        if self.pf_stats:
            r = subprocess.run([self.pf_stats, "-s", self.stats_path, "--json"],
                               capture_output=True, text=True, timeout=20)
            if r.returncode == 0:
                try:
                    return json.loads(r.stdout)
                except ValueError:
                    pass
        return read_segment(self.stats_path)

    def dpctl(self, *args, timeout=20):
        """Run pf-dpctl -s CTL ARGS; returns the CompletedProcess."""
        if not self.pf_dpctl:
            raise RunError("pf-dpctl is not built")
        return subprocess.run([self.pf_dpctl, "-s", self.ctl_path] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # -- the run --

    def run(self, packets, expect_rx=None, during=None, wait_timeout=40,
            pcap_path=None, stop_at_rx=None, extra_ports=None):
        """Feed packets (or an existing pcap_path) through the dataplane.

        expect_rx: how many packets to wait for (default: all of them).
        during(dp): called once the dataplane runs, before waiting.
        stop_at_rx: SIGINT as soon as rx reaches this, whatever is still
        in flight (the shutdown path); the invariant must hold all the same.
        extra_ports: {port name: packets} for more net_pcap ports of the
        config (net_pcap1, ...); their output is in Result.port_out[name].
        """
        self.extra = dict(extra_ports or {})
        if stop_at_rx is not None:
            def during(d, _n=stop_at_rx, _during=during):
                if _during:
                    _during(d)
                end = time.time() + wait_timeout
                while time.time() < end:
                    try:
                        if read_segment(d.stats_path)["totals"]["rx"] >= _n:
                            return
                    except (OSError, ValueError, struct.error):
                        pass
                    if not d.alive():
                        d._fail("exited with %s before rx reached %d"
                                % (d.proc.returncode, _n))
                    time.sleep(0.002)
                d._fail("rx did not reach %d within %d s" % (_n, wait_timeout))
            expect_rx = -1
        self._setup()
        n_in = expect_rx
        if pcap_path is None:
            pfpkt.write_pcap(self.in_pcap, packets)
            for name, pk in self.extra.items():
                pfpkt.write_pcap(os.path.join(self.tmp, "in-%s.pcap" % name), pk)
            if n_in is None:
                n_in = len(packets) + sum(len(pk) for pk in self.extra.values())
        else:
            self.in_pcap = pcap_path
        ok = False
        try:
            self._start()
            self._wait_running()
            if during:
                during(self)
            if n_in == -1:     # stop_at_rx: no waiting, no count to match
                n_in = None
            elif n_in is not None:
                self._wait_rx(n_in, wait_timeout)
            res = self._finish(n_in)
            ok = True
            return res
        finally:
            self._cleanup(ok)

    def run_phased(self, phases, wait_timeout=40):
        """Feed the traffic in phases, acting on the dataplane in between.

        phases: a list of (packets, after); after(dp, n_done) or None runs
        once every packet so far is received and accounted for
        (rx == tx + drops, stable). The input is a FIFO the test writes
        pcap records to, so nothing of a later phase is read before the
        action of the one before it. The config must use `burst: 1` (the
        pcap PMD would otherwise hold a partial burst while it waits for
        the next record) and must not hand answers to an lcore that polls
        the FIFO (it sleeps in read()).
        """
        self._setup()
        self.extra = {}
        self.in_pcap = os.path.join(self.tmp, "in.fifo")
        os.mkfifo(self.in_pcap)
        ok = False
        try:
            self._start()
            self._open_fifo()
            self._wait_running()
            total = 0
            for packets, after in phases:
                for p in packets:
                    p = bytes(p)
                    os.write(self.fifo_fd, struct.pack("<IIII", pfpkt.PCAP_EPOCH, total,
                                                       len(p), len(p)) + p)
                    total += 1
                self._wait_rx(total, wait_timeout)
                if after:
                    after(self, total)
            os.close(self.fifo_fd)   # EOF: the PMD reads nothing more
            self.fifo_fd = None
            res = self._finish(total)
            ok = True
            return res
        finally:
            self._cleanup(ok)

    def _setup(self):
        _run_counter[0] += 1
        tag = "%s-%d-%d" % (self.name, os.getpid(), _run_counter[0])
        self.prefix = "pfit-" + tag
        self.tmp = tempfile.mkdtemp(prefix="pf-it-%s-" % self.name)
        self.in_pcap = os.path.join(self.tmp, "in.pcap")
        self.out_pcap = os.path.join(self.tmp, "out.pcap")
        self.stats_path = os.path.join(self.tmp, "stats")
        self.ctl_path = os.path.join(self.tmp, "ctl.sock")
        self.log_path = os.path.join(self.tmp, "dataplane.log")
        self.proc = None
        self.fifo_fd = None

    def _open_fifo(self, timeout=20):
        """Open the FIFO for writing once the PMD opened it for reading (its
        probe blocks in pcap_open_offline until the file header arrives)."""
        end = time.time() + timeout
        while True:
            try:
                fd = os.open(self.in_pcap, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                if not self.alive():
                    self._fail("exited with %s before opening its input"
                               % self.proc.returncode)
                if time.time() > end:
                    self._fail("did not open its input FIFO within %d s" % timeout)
                time.sleep(0.01)
        os.set_blocking(fd, True)
        self.fifo_fd = fd
        os.write(fd, struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def _log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _fail(self, msg):
        raise RunError("%s: %s" % (self.name, msg), self._log())

    def _start(self):
        cmd = [self.exe, "--lcores", self.lcores, "--file-prefix", self.prefix, "--",
               "-c", self.config,
               "--port", "%s=net_pcap0,rx_pcap=%s,tx_pcap=%s" % (self.port, self.in_pcap,
                                                                 self.out_pcap),
               "--stats", self.stats_path, "--control", self.ctl_path] + self.extra_args
        for i, name in enumerate(self.extra, 1):
            cmd[cmd.index("--stats"):cmd.index("--stats")] = [
                "--port", "%s=net_pcap%d,rx_pcap=%s,tx_pcap=%s"
                % (name, i, os.path.join(self.tmp, "in-%s.pcap" % name),
                   os.path.join(self.tmp, "out-%s.pcap" % name))]
        self.cmd = cmd
        logf = open(self.log_path, "w")
        logf.write("$ %s\n" % " ".join(cmd))
        logf.flush()
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=SRC_ROOT,
                                     start_new_session=True)
        logf.close()

    def _wait_running(self, timeout=20):
        """Until the log says `running` (the control socket is up)."""
        end = time.time() + timeout
        while time.time() < end:
            if "running; SIGINT" in self._log():
                return
            if not self.alive():
                self._fail("exited with %s during start-up" % self.proc.returncode)
            time.sleep(0.02)
        self._fail("not running after %d s" % timeout)

    def _wait_rx(self, n, timeout):
        """pf-stats --wait-rx N, or the same done here on the segment."""
        if self.pf_stats:
            # pf-stats waits; the dataplane dying meanwhile ends the wait too
            w = subprocess.Popen([self.pf_stats, "-s", self.stats_path, "--wait-rx", str(n),
                                  "--timeout", str(int(timeout)), "--json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            end = time.time() + timeout + 15
            while w.poll() is None and self.alive() and time.time() < end:
                time.sleep(0.01)
            if w.poll() is None:
                w.kill()
            out, err = w.communicate()
            r = subprocess.CompletedProcess(w.args, w.returncode, out, err)
            if r.returncode != 0 or not self.alive():
                if not self.alive():
                    self._fail("exited with %s while packets were in flight"
                               % self.proc.returncode)
                try:
                    st = read_segment(self.stats_path)
                    seen = "segment says rx %d tx %d drops %d" % (
                        st["totals"]["rx"], st["totals"]["tx"], st["totals"]["drops_total"])
                except (OSError, ValueError) as e:
                    seen = "segment unreadable: %s" % e
                self._fail("pf-stats --wait-rx %d failed (exit %d): %s; %s"
                           % (n, r.returncode, r.stderr.strip()[-400:], seen))
            try:
                return json.loads(r.stdout)
            except ValueError:
                self._fail("pf-stats --json printed no JSON: %r" % r.stdout[:400])
        end = time.time() + timeout
        last, stable_since = None, None
        st = None
        while time.time() < end:
            if not self.alive():
                self._fail("exited with %s while packets were in flight"
                           % self.proc.returncode)
            try:
                st = read_segment(self.stats_path)
            except (OSError, ValueError, struct.error):
                time.sleep(0.02)
                continue
            t = st["totals"]
            key = (t["rx"], t["tx"], t["drops_total"])
            if t["rx"] >= n and st["invariant"]["holds"]:
                if key == last:
                    if time.time() - stable_since >= 0.3:
                        return st
                else:
                    last, stable_since = key, time.time()
            else:
                last = None
            time.sleep(0.02)
        t = st["totals"] if st else None
        self._fail("timed out after %d s waiting for rx >= %d with rx == tx + drops: %s"
                   % (timeout, n, "rx %d tx %d drops %d" % (t["rx"], t["tx"], t["drops_total"])
                      if t else "segment never readable"))

    def _stop(self):
        try:
            os.kill(self.proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._fail("did not exit within 30 s of SIGINT")
        return rc

    def _finish(self, n_in):
        """SIGINT, exit code 0, the invariant on stdout and in the stats,
        the output pcap; returns the Result."""
        rc = self._stop()
        log = self._log()
        if rc != 0:
            self._fail("exit code %s after SIGINT, expected 0" % rc)
        final = parse_final(log)
        if not final:
            self._fail("no `final:` / `invariant:` lines on stdout")
        # The invariant, as the dataplane prints it ...
        f = final
        if not f["invariant_ok"] or f["rx"] != f["tx"] + f["drops"] or \
                sum(f["reasons"].values()) != f["drops"] or \
                f["invariant_rx"] != f["rx"] or f["invariant_rhs"] != f["tx"] + f["drops"]:
            self._fail("invariant broken on stdout: rx %d, tx %d, drops %d, reasons %r "
                       "(sum %d), invariant line %d vs %d"
                       % (f["rx"], f["tx"], f["drops"], f["reasons"],
                          sum(f["reasons"].values()), f["invariant_rx"], f["invariant_rhs"]))
        if n_in is not None and f["rx"] != n_in:
            self._fail("rx %d, but the pcap holds %d packets" % (f["rx"], n_in))
        # ... and as the stats segment holds it after exit.
        stats = self._final_stats(f)
        port_out = {}
        try:
            out = pfpkt.read_pcap(self.out_pcap)
            for name in self.extra:
                port_out[name] = pfpkt.read_pcap(os.path.join(self.tmp, "out-%s.pcap" % name))
        except (OSError, ValueError) as e:
            self._fail("cannot read an output pcap: %s" % e)
        n_out = len(out) + sum(len(x) for x in port_out.values())
        if n_out != f["tx"]:
            self._fail("output pcaps hold %d packets, the dataplane says tx %d"
                       % (n_out, f["tx"]))
        res = Result(self.name, log, final, stats, out, rc)
        res.port_out = {name: [pfpkt.decode_packet(p) for p in pk]
                        for name, pk in port_out.items()}
        return res

    def _final_stats(self, f):
        seg = read_segment(self.stats_path)
        stats = seg
        if self.pf_stats:
            r = subprocess.run([self.pf_stats, "-s", self.stats_path, "--json"],
                               capture_output=True, text=True, timeout=20)
            if r.returncode != 0:
                self._fail("pf-stats -s %s --json on the stopped dataplane: exit %d: %s"
                           % (self.stats_path, r.returncode, r.stderr.strip()[-300:]))
            try:
                stats = json.loads(r.stdout)
            except ValueError:
                self._fail("pf-stats --json printed no JSON: %r" % r.stdout[:400])
        t = stats["totals"]
        inv = stats.get("invariant", {})
        drops_sum = sum(t["drops"].values())
        problems = []
        if t["rx"] != t["tx"] + t["drops_total"]:
            problems.append("totals rx %d != tx %d + drops_total %d"
                            % (t["rx"], t["tx"], t["drops_total"]))
        if drops_sum != t["drops_total"]:
            problems.append("sum of drops by reason %d != drops_total %d"
                            % (drops_sum, t["drops_total"]))
        if not inv.get("holds") or inv.get("rx") != t["rx"] or \
                inv.get("tx_plus_drops") != t["tx"] + t["drops_total"]:
            problems.append("invariant object %r" % inv)
        if (t["rx"], t["tx"], t["drops_total"]) != (f["rx"], f["tx"], f["drops"]):
            problems.append("stats rx/tx/drops %d/%d/%d differ from stdout %d/%d/%d"
                            % (t["rx"], t["tx"], t["drops_total"], f["rx"], f["tx"], f["drops"]))
        for reason, n in f["reasons"].items():
            if t["drops"].get(reason, 0) != n:
                problems.append("drop %s: stats %d, stdout %d"
                                % (reason, t["drops"].get(reason, 0), n))
        st = seg["totals"]
        if (st["rx"], st["tx"], st["drops_total"]) != (t["rx"], t["tx"], t["drops_total"]):
            problems.append("pf-stats rx/tx/drops %d/%d/%d differ from the segment %d/%d/%d"
                            % (t["rx"], t["tx"], t["drops_total"],
                               st["rx"], st["tx"], st["drops_total"]))
        if problems:
            self._fail("stats after exit: " + "; ".join(problems))
        return stats

    def _cleanup(self, ok):
        if self.fifo_fd is not None:
            os.close(self.fifo_fd)
            self.fifo_fd = None
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(os.path.join("/var/run/dpdk", self.prefix), ignore_errors=True)
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif not ok:
            sys.stderr.write("%s: run files kept in %s\n" % (self.name, self.tmp))
