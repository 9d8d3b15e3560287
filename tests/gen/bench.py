#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# bench.py: the figures docs/pf-gen.md quotes -- pacing accuracy into a sink
# port (net_null, no RX), the flat-out rate, and round trips through
# testpmd's 5tswap over memif. Prints a Markdown table.
"""pf-gen's accuracy on this machine, and the memif sections of
docs/benchmarks.md.

    python3 tests/gen/bench.py BUILD_DIR [--seconds S] [--repeat N]
    meson test -C BUILD_DIR --benchmark gen-bench -v
    python3 tests/gen/bench.py BUILD_DIR --section generator|latency|ndr [--quick]

Without --section: the figures docs/pf-gen.md quotes (below). With
--section: one Markdown block of docs/benchmarks.md on stdout (progress on
stderr), each figure beside its same-run baseline; scripts/bench.sh runs
them (see the docstrings of section_generator, section_latency, section_ndr).

Pacing: pf-gen sends the echo profile to net_null0 (no-rx=1: a sink that
frees what it is given) at 10 kpps, 100 kpps and 1 Mpps, and flat out;
each rate is run --repeat times; the table shows, run by run, the error of
the sent rate against the asked one, the frames the schedule skipped, and
the share of the run the TX lcore was on a CPU (getrusage).
Latency: 20 kpps through dpdk-testpmd --forward-mode=5tswap over memif.
pf-dataplane (when built): echo.yaml flat out through configs/default.conf,
and an NDR search from 500 kpps to 12 Mpps with an 8192-frame bucket.
Lcores: pf-gen's TX/RX lcore on CPU 1, its main lcore on CPU 0 (pacing);
testpmd forwards on CPU 1 and pf-gen runs on CPU 0 (latency).
"""
import argparse
import os
import re
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genlib  # noqa: E402


def pacing(env, rate, seconds, repeat):
    rows = []
    for i in range(repeat):
        js = env.path("pace-%s-%d.json" % (rate, i))
        r = env.gen(["--port", "net_null0,no-rx=1", "--rate", rate, "--duration", str(seconds),
                     "--quiet", "--json", js], lcores="0@0,1@1")
        rows.append(r.json["result"])
    return rows


def dataplane(env, seconds):
    """Echo through pf-dataplane (configs/default.conf) flat out, then an
    NDR search (a pf-dataplane each); pf-gen's TX/RX lcore shares CPU 1
    with dataplane lcore 2."""
    sock = env.sock()
    dp = env.dataplane("configs/default.conf", sock)
    port = "net_memif0,role=client,socket=%s" % sock
    js = env.path("dp-max.json")
    r, final = env.gen_peer(["--port", port, "--profile", "configs/profiles/echo.yaml",
                             "--rate", "max", "--duration", str(seconds), "--rx-queues", "2",
                             "--quiet", "--json", js], dp, env.stop_dataplane,
                            lcores="0@0,1@1")
    r = r.json["result"]
    sock = env.sock()
    dp = env.dataplane("configs/default.conf", sock)
    port = "net_memif0,role=client,socket=%s" % sock
    js = env.path("dp-ndr.json")
    n = env.gen_peer(["--port", port, "--profile", "configs/profiles/echo.yaml", "--ndr",
                      "--ndr-min", "500kpps", "--ndr-max", "12Mpps", "--ndr-resolution", "2",
                      "--trial-seconds", "1", "--warmup", "0.3", "--rx-queues", "2",
                      "--bucket", "8192", "--json", js], dp, env.stop_dataplane,
                     lcores="0@0,1@1")[0].json["ndr"]
    lat = r["latency_ns"]
    print()
    print("| pf-dataplane, echo.yaml, flat out | sent pps | lost | dataplane drops | on CPU | p50 | p99 | max |")
    print("|---|---|---|---|---|---|---|---|")
    print("| %g s | %.0f | %d (%.4f %%) | %s | %.0f %% | %.1f us | %.1f us | %.1f us |"
          % (seconds, r["throughput"]["tx_pps"], r["lost"], r["loss_pct"],
             " ".join("%s=%d" % kv for kv in final["reasons"].items()) or "0",
             r["tx_cpu_pct"], lat["p50"] / 1e3, lat["p99"] / 1e3, lat["max"] / 1e3))
    print()
    print("NDR (echo.yaml, 500 kpps .. 12 Mpps, 2 %%, 1 s trials, --bucket 8192): %s; highest rate sent "
          "without loss %.0f pps" % ("%.0f pps" % n["ndr_pps"] if n["found"] else "none found",
                                     n["zero_loss_pps"]))
    for t in n["trials"]:
        tr = t["result"]
        print("  %9.0f pps asked: sent %.0f pps, lost %d, %s%s" %
              (t["rate_pps"], tr["throughput"]["tx_pps"], tr["lost"],
               "pass" if t["pass"] else "fail",
               " (generator-limited, TX lcore on CPU %.0f %%)" % tr["tx_cpu_pct"]
               if tr["generator_limited"] else ""))


def test(env, seconds, repeat):
    print("| rate asked | runs | error of the sent rate (each run) | frames skipped | TX lcore on CPU |")
    print("|---|---|---|---|---|")
    for rate, pps in (("10kpps", 1e4), ("100kpps", 1e5), ("1Mpps", 1e6)):
        rows = pacing(env, rate, seconds, repeat)
        print("| %s | %d | %s | %s | %s |"
              % (rate, repeat,
                 ", ".join("%+.2f %%" % ((r["throughput"]["tx_pps"] - pps) / pps * 100) for r in rows),
                 ", ".join("%d" % r["tx_slipped"] for r in rows),
                 ", ".join("%.0f %%" % r["tx_cpu_pct"] for r in rows)))
    rows = pacing(env, "max", seconds, 1)
    print("| max (flat out) | 1 | %.0f pps sent | - | %.0f %% |"
          % (rows[0]["throughput"]["tx_pps"], rows[0]["tx_cpu_pct"]))

    sock = env.sock()
    tp = env.testpmd(sock)
    js = env.path("rtt.json")
    r = env.gen_peer(["--port", "net_memif0,role=client,socket=%s" % sock, "--rate", "20kpps",
                      "--duration", str(seconds), "--warmup", "0.5", "--quiet", "--json", js],
                     tp, env.stop_testpmd)[0]
    res = r.json["result"]
    lat = res["latency_ns"]
    print()
    print("| testpmd 5tswap, 20 kpps asked | sent pps | lost | on CPU | min | p50 | p90 | p99 | p99.9 | max |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("| round trip (us) | %.0f | %d | %.0f %% | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f |"
          % (res["throughput"]["tx_pps"], res["lost"], res["tx_cpu_pct"], lat["min"] / 1e3,
             lat["p50"] / 1e3, lat["p90"] / 1e3, lat["p99"] / 1e3, lat["p99_9"] / 1e3,
             lat["max"] / 1e3))
    if res["sent"] == 0 or res["tx_refused"]:
        print("(sent %d, refused by the TX queue %d: the memif link went down?)"
              % (res["sent"], res["tx_refused"]))
    if genlib.find_tool(env.build, "pf-dataplane"):
        dataplane(env, seconds)
    with open("/proc/loadavg") as f:
        print("\n(load average at the end: %s)" % " ".join(f.read().split()[:3]))


# ---- sections of docs/benchmarks.md (scripts/bench.sh) ----

LCORES_FWD = "0@0,1@1"    # forwarder: main lcore on CPU 0, forwarding lcore on CPU 1
LCORES_GEN = "0@0,1@0"    # pf-gen: main and its TX/RX lcore on CPU 0
ECHO = "configs/profiles/echo.yaml"


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def summary(section, what, target, measured, verdict):
    """A row of scripts/bench.sh's summary of targets (the file
    $BENCH_SUMMARY, when set)."""
    path = os.environ.get("BENCH_SUMMARY")
    if path:
        with open(path, "a") as f:
            f.write("| %s | %s | %s | %s | %s |\n" % (section, what, target, measured, verdict))


def thread_ns(pid, name="rte-worker-1"):
    """Nanoseconds the thread NAME of PID has run on a CPU (schedstat);
    EAL names lcore N's thread rte-worker-N. None when not found."""
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() != name:
                    continue
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                return int(f.read().split()[0])
        except OSError:
            continue
    return None


class CpuShare:
    """Share of wall time a process's forwarding lcore was on a CPU, %.

    Sampled every 0.2 s by a thread, and computed up to the last sample
    the lcore was alive: testpmd as a memif server (DPDK 22.11) sometimes
    dies in librte_net_memif when pf-gen disconnects at the end of a run
    (dmesg: segfault in rte-worker-1), after the measurement but before
    this share could be read at the end."""

    def __init__(self, pid):
        self.pid = pid
        self.first = self.last = (thread_ns(pid), time.monotonic_ns())
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while not self.done.wait(0.2):
            n = thread_ns(self.pid) if os.path.isdir("/proc/%d/task" % self.pid) else None
            if n is None:
                return
            self.last = (n, time.monotonic_ns())

    def pct(self):
        self.done.set()
        self.thread.join()
        n = thread_ns(self.pid) if os.path.isdir("/proc/%d/task" % self.pid) else None
        if n is not None:
            self.last = (n, time.monotonic_ns())
        (n0, t0), (n1, t1) = self.first, self.last
        if n0 is None or t1 == t0:
            log("pid %d: its forwarding lcore's CPU share could not be read" % self.pid)
            return float("nan")
        return 100.0 * (n1 - n0) / (t1 - t0)


def cpu_then(cpu, stop):
    """A stop(fwd) for Env.gen_peer() that first takes the forwarder's CPU
    share (CpuShare cpu) and returns it."""
    def f(fwd):
        pct = cpu.pct()
        stop(fwd)
        return pct
    return f


def memif_client(sock):
    # rsize=14: 16384-slot rings (the client sets the ring size), so that a
    # few milliseconds off the CPU -- this machine is shared -- do not
    # overflow a ring on either side.
    return "net_memif0,role=client,socket=%s,rsize=14" % sock


def echo_conf(env, flush_us):
    """An echo-only pf-dataplane config: one lcore (1) receives and runs CF,
    busy-polling, one TX queue; --port, --stats and --control come from
    genlib."""
    path = env.path("echo-flush%d.conf" % flush_us)
    with open(path, "w") as f:
        f.write("""dataplane:
  rules: ""
  idle: poll
  tx_flush_us: %d
memory: { mbufs: 16383, ring_size: 4096 }
ports:
  - { name: p0, device: "net_memif0,role=server,socket=/tmp/unused.sock", rx_lcores: [1] }
groups:
  CF: { lcores: [1] }
capabilities:
  - { id: 1, name: echo, element: CF.seq, requires: [data], provides: [data] }
""" % flush_us)
    return path


def forwarders(env, with_flush1):
    """(label, start(sock) -> proc, stop(proc)) of the forwarders compared."""
    out = [("testpmd 5tswap (baseline)",
            lambda sock: env.testpmd(sock, lcores=LCORES_FWD), env.stop_testpmd)]
    conf = echo_conf(env, 100)
    out.append(("pf-dataplane echo, tx_flush_us 100 (the default)",
                lambda sock: env.dataplane(conf, sock, lcores=LCORES_FWD), env.stop_dataplane))
    if with_flush1:
        conf1 = echo_conf(env, 1)
        out.append(("pf-dataplane echo, tx_flush_us 1",
                    lambda sock: env.dataplane(conf1, sock, lcores=LCORES_FWD), env.stop_dataplane))
    return out


def txonly(env, frame_len, seconds):
    """dpdk-testpmd --forward-mode=txonly into net_null0 (no-rx), frames of
    frame_len bytes (no FCS), one lcore on CPU 1: (Mpps, lcore on CPU %)."""
    exe = shutil.which("dpdk-testpmd")
    if not exe:
        genlib.skip("dpdk-testpmd is not installed")
    cmd = ["stdbuf", "-oL", exe] + genlib.EAL_COMMON + [
        "--file-prefix", env.unique("txonly"), "--lcores", LCORES_FWD, "--vdev", "net_null0,no-rx=1",
        "--", "--forward-mode=txonly", "--txpkts=%d" % frame_len, "--burst=32",
        "--stats-period", "1", "--auto-start", "--total-num-mbufs=8192"]
    p = env.spawn(cmd, "txonly-%d.log" % env.n)
    genlib.wait_log(p, "Tx-pps:", 30, "testpmd txonly")

    def lines():
        with open(p.log_path, errors="replace") as f:
            return [int(m) for m in re.findall(r"Tx-pps:\s+(\d+)", f.read())]
    time.sleep(1)
    n0 = len(lines())
    cpu = CpuShare(p.pid)
    time.sleep(seconds)
    pct = cpu.pct()
    n1 = len(lines())
    os.kill(p.pid, signal.SIGINT)
    p.wait(timeout=30)
    window = lines()[n0:n1] or lines()[-1:]
    return sum(window) / len(window) / 1e6, pct


def section_generator(env, quick):
    """pf-gen flat out into net_null0 (no-rx=1, a sink) against testpmd
    txonly on the same vdev with frames of the same size, alternating, one
    TX lcore on CPU 1 each; then pacing at 10 kpps, 100 kpps and 1 Mpps with
    the default 32-frame bucket and with --bucket 8192."""
    secs = 2 if quick else 5
    reps = 1 if quick else 2
    print("| run | pf-gen flat out (Mpps) | TX lcore on CPU | testpmd txonly (Mpps) | its lcore on CPU "
          "| ratio | ratio per CPU-second | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    ratios, norms = [], []
    for i in range(reps):
        js = env.path("max-%d.json" % i)
        r = env.gen(["--port", "net_null0,no-rx=1", "--profile", ECHO, "--rate", "max",
                     "--duration", str(secs), "--warmup", "1", "--quiet", "--json", js],
                    lcores=LCORES_FWD).json
        res = r["result"]
        frame = int(round(r["config"]["mean_frame_bytes"])) - 4
        gen_mpps, gen_cpu = res["throughput"]["tx_pps"] / 1e6, res["tx_cpu_pct"]
        tp_mpps, tp_cpu = txonly(env, frame, secs)
        log("generator %d: pf-gen %.2f Mpps (%.0f %% CPU), testpmd %.2f Mpps (%.0f %% CPU)"
            % (i + 1, gen_mpps, gen_cpu, tp_mpps, tp_cpu))
        ratio = gen_mpps / tp_mpps if tp_mpps else 0
        norm = (gen_mpps / gen_cpu) / (tp_mpps / tp_cpu) if tp_mpps and gen_cpu and tp_cpu else 0
        print("| %d (%d s, %d-byte frames + FCS) | %.2f | %.0f %% | %.2f | %.0f %% | %.2f | %.2f | 0.8 (%s) |"
              % (i + 1, secs, frame, gen_mpps, gen_cpu, tp_mpps, tp_cpu, ratio, norm,
                 "met" if ratio >= 0.8 else "missed"))
        ratios.append(ratio)
        norms.append(norm)
    summary("generator", "pf-gen flat out / testpmd txonly on net_null (median of %d)" % reps, ">= 0.8",
            "%.2f (per CPU-second %.2f)" % (median(ratios), median(norms)),
            "met" if median(ratios) >= 0.8 else "missed")
    print()
    preps = 1 if quick else 2
    print("| rate asked | --bucket | error of the sent rate (each run) | within +-1 % | frames skipped "
          "| TX lcore on CPU |")
    print("|---|---:|---|---:|---|---|")
    for bucket in (32, 8192):
        all_errs = []
        for rate, pps in (("10kpps", 1e4), ("100kpps", 1e5), ("1Mpps", 1e6)):
            rows = []
            for i in range(preps):
                js = env.path("pace-%s-%d-%d.json" % (rate, bucket, i))
                r = env.gen(["--port", "net_null0,no-rx=1", "--profile", ECHO, "--rate", rate,
                             "--duration", str(secs), "--warmup", "0.5", "--bucket", str(bucket),
                             "--quiet", "--json", js], lcores=LCORES_FWD)
                rows.append(r.json["result"])
            errs = [(r["throughput"]["tx_pps"] - pps) / pps * 100 for r in rows]
            log("pacing %s bucket %d: %s" % (rate, bucket, ", ".join("%+.2f %%" % e for e in errs)))
            print("| %s | %d | %s | %d of %d | %s | %s |"
                  % (rate, bucket, ", ".join("%+.2f %%" % (round(e, 2) + 0.0) for e in errs),
                     sum(abs(e) <= 1 for e in errs), len(errs),
                     ", ".join("%d" % r["tx_slipped"] for r in rows),
                     ", ".join("%.0f %%" % r["tx_cpu_pct"] for r in rows)))
            all_errs += errs
        worst = max(all_errs, key=abs)
        inside = sum(abs(e) <= 1 for e in all_errs)
        summary("generator", "pacing at 10k, 100k, 1M pps, --bucket %d%s"
                % (bucket, " (default)" if bucket == 32 else ""), "within +-1 %",
                "worst %+.2f %%, %d of %d runs within" % (worst, inside, len(all_errs)),
                "met" if inside == len(all_errs) else "missed")


def pct_range(xs):
    """'min..max %' of CPU shares; a share that could not be read (NaN:
    the thread was not found) is named, never hidden."""
    ok = [x for x in xs if x == x]
    out = "%.0f..%.0f %%" % (min(ok), max(ok)) if ok else "n/a"
    if len(ok) < len(xs):
        out += " (%d unread)" % (len(xs) - len(ok))
    return out


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def section_latency(env, quick):
    """Round trips through each forwarder over memif at the same offered
    rates, echo.yaml frames, pf-gen on CPU 0, the forwarder's lcore on CPU 1.
    The forwarders take turns, repeat after repeat, so that a noisy minute
    hits them alike; the table gives medians over the repeats."""
    secs = 2 if quick else 5
    # Five: on a shared 2-CPU VM one run's p99 swings by an order of
    # magnitude (testpmd's own from 2 to 79 us), and a median of three
    # flipped the verdict from one full run to the next.
    reps = 1 if quick else 5
    print("| offered | forwarder | runs | sent pps | lost | pf-gen lcore on CPU | forwarder lcore on CPU "
          "| min | p50 | p99 (each run) | p99.9 | max | p99 / testpmd's | target <= 2x |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for rate in ("100kpps", "1Mpps"):
        fwds = forwarders(env, True)
        runs = {label: [] for label, _, _ in fwds}
        for i in range(reps):
            for label, start, stop in fwds:
                sock = env.sock()
                fwd = start(sock)
                cpu = CpuShare(fwd.pid)
                js = env.path("lat-%s-%d.json" % (rate, env.n))
                run, fwd_cpu = env.gen_peer(
                    ["--port", memif_client(sock), "--profile", ECHO, "--rate", rate,
                     "--duration", str(secs), "--warmup", "1", "--rx-queues", "1",
                     "--quiet", "--json", js], fwd, cpu_then(cpu, stop), lcores=LCORES_GEN)
                r = run.json["result"]
                r["fwd_cpu_pct"] = fwd_cpu
                log("latency %s %s run %d: p50 %.1f p99 %.1f us" % (rate, label, i + 1,
                    r["latency_ns"]["p50"] / 1e3, r["latency_ns"]["p99"] / 1e3))
                runs[label].append(r)
        def quiet(rs):   # every lcore of every run had its CPU
            return all(r["tx_cpu_pct"] >= 95 and r["fwd_cpu_pct"] >= 95 for r in rs)
        base, base_quiet = None, True
        for label, _, _ in fwds:
            rs = runs[label]
            # A run whose pf-gen got almost no CPU may measure no round trip
            # at all (empty histogram): it counts in neither median.
            lr = [r for r in rs if r["latency_ns"]["count"]] or rs
            med = {k: median([r["latency_ns"][k] / 1e3 for r in lr])
                   for k in ("min", "p50", "p99", "p99_9")}
            mx = max(r["latency_ns"]["max"] / 1e3 for r in rs)
            if base is None:
                base, base_quiet = med["p99"], quiet(rs)
                rel, verdict = "1.00", "(baseline)"
            else:
                x = med["p99"] / base if base else float("inf")
                rel, verdict = "%.2f" % x, "met" if x <= 2 else "missed"
                if not (base_quiet and quiet(rs)):
                    verdict += " (noisy)"
                summary("latency", "p99 at %s, %s / testpmd's" % (rate, label), "<= 2x",
                        "%s (%.1f / %.1f us)" % (rel, med["p99"], base), verdict)
            print("| %s | %s | %d | %.0f | %d | %s | %s | %.2f | %.2f | %.1f (%s) "
                  "| %.1f | %.0f | %s | %s |"
                  % (rate, label, len(rs), median([r["throughput"]["tx_pps"] for r in rs]),
                     sum(r["lost"] for r in rs),
                     pct_range([r["tx_cpu_pct"] for r in rs]),
                     pct_range([r["fwd_cpu_pct"] for r in rs]),
                     med["min"], med["p50"], med["p99"],
                     ", ".join("%.1f" % (r["latency_ns"]["p99"] / 1e3) if r["latency_ns"]["count"]
                               else "none measured" for r in rs),
                     med["p99_9"], mx, rel, verdict))
    print()
    print("Round trips in microseconds: medians over the runs (p99 of each run in brackets), max "
          "over all runs; `--warmup 1`, %g s measured per run; lost and CPU shares over all runs. "
          "(noisy): in a run of this row or of its baseline a lcore was off its CPU more than 5 %% "
          "of the time, so its tail measures the scheduler more than the forwarder."
          % secs)


def section_ndr(env, quick):
    """pf-gen --ndr through each forwarder over memif, same search for both."""
    trial = "0.5" if quick else "1"
    res_pct = "10" if quick else "1"
    # About what pf-gen can offer over memif while it also receives every
    # answer (~10 Mpps here): above it every trial is generator-limited and
    # fails, and the search measures pf-gen. A forwarder that passes the
    # top trial is reported as "at least" the top.
    top = "10Mpps"
    args = ["--ndr", "--ndr-min", "100kpps", "--ndr-max", top, "--ndr-resolution", res_pct,
            "--trial-seconds", trial, "--warmup", "0.3", "--bucket", "8192", "--rx-queues", "1",
            "--profile", ECHO, "--quiet"]
    print("| forwarder | NDR (pps) | highest rate sent without loss | trials (generator-limited) "
          "| pf-gen TX lcore on CPU (trials) | forwarder lcore on CPU | NDR / testpmd's "
          "| without loss / testpmd's |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    details, base = [], None
    for label, start, stop in forwarders(env, False):
        sock = env.sock()
        fwd = start(sock)
        cpu = CpuShare(fwd.pid)
        js = env.path("ndr-%d.json" % env.n)
        run, fcpu = env.gen_peer(["--port", memif_client(sock), "--json", js] + args, fwd,
                                 cpu_then(cpu, stop), lcores=LCORES_GEN, timeout=600)
        n = run.json["ndr"]
        ndr = n["ndr_pps"] if n["found"] else 0.0
        zl = n["zero_loss_pps"]
        capped = n["found"] and n["trials"][0]["pass"]  # the top passed: NDR is at least that
        if base is None:
            base, zbase = ndr, zl
            rel = zrel = "1.00 (baseline)"
        else:
            rel = "%.2f" % (ndr / base) if base else "-"
            zrel = "%.2f" % (zl / zbase) if zbase else "-"
        cpus = [t["result"]["tx_cpu_pct"] for t in n["trials"]]
        limited = sum(t["result"]["generator_limited"] for t in n["trials"])
        log("ndr %s: %s, zero loss up to %.0f pps" % (label, ndr, n["zero_loss_pps"]))
        print("| %s | %s | %.0f | %d (%d) | %s | %s | %s | %s |"
              % (label, ("%.0f" % ndr + (" (the search's top: at least)" if capped else ""))
                 if n["found"] else "none found", zl,
                 len(n["trials"]), limited, pct_range(cpus), pct_range([fcpu]), rel, zrel))
        details.append((label, n["trials"]))
        if label != details[0][0]:
            summary("ndr", "NDR over memif, %s / testpmd's" % label, "none set",
                    "%s (%s / %.0f pps); without loss %s" % (rel, ("%.0f" % ndr + (" or more" if capped else ""))
                                                             if n["found"] else "none",
                                                             base, zrel),
                    "%d of %d trials generator-limited" % (limited, len(n["trials"])))
    print()
    print("Search: `--ndr-min 100kpps --ndr-max %s --ndr-resolution %s --trial-seconds %s "
          "--warmup 0.3 --bucket 8192`, echo.yaml frames (90 B)." % (top, res_pct, trial))
    for label, trials in details:
        print()
        print("<details><summary>%s: every trial</summary>" % label)
        print()
        print("| asked pps | sent pps | lost | refused by the TX queue | result | TX lcore on CPU |")
        print("|---:|---:|---:|---:|---|---:|")
        for t in trials:
            tr = t["result"]
            print("| %.0f | %.0f | %d | %d | %s | %.0f %% |"
                  % (t["rate_pps"], tr["throughput"]["tx_pps"], tr["lost"], tr["tx_refused"],
                     "pass" if t["pass"] else ("fail, generator-limited" if tr["generator_limited"]
                                               else "fail"), tr["tx_cpu_pct"]))
        print()
        print("</details>")


SECTIONS = {"generator": section_generator, "latency": section_latency, "ndr": section_ndr}


def run_section(build, name, quick):
    """One section's Markdown on stdout; exit 0, 1 (failed) or 77 (skipped)."""
    env = genlib.Env(build, "bench-" + name)
    failed = False
    try:
        SECTIONS[name](env, quick)
    except genlib.TestFailure as e:
        failed = True
        print("bench: %s failed: %s" % (name, e), file=sys.stderr)
        so = sys.stdout
        sys.stdout = sys.stderr
        env.dump_logs()
        sys.stdout = so
    finally:   # the scratch stays only for a failure's logs, not after SIGINT
        env.cleanup(keep=failed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--section", choices=sorted(SECTIONS))
    ap.add_argument("--quick", action="store_true", help="short runs (with --section)")
    a = ap.parse_args()
    if a.section:
        run_section(a.build, a.section, a.quick)
    sys.argv = [sys.argv[0], a.build]
    genlib.main(lambda env: test(env, a.seconds, a.repeat))
