#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_errors.py: pf-gen's start-up errors -- each bad option, profile,
# port or lcore gives one clear line on stderr and the documented exit code
# (2: usage, 1: runtime).
"""Start-up errors: message and exit code, case by case.

Options and profiles are checked before EAL starts (no DPDK process);
ports, lcores and rates against the line rate after it (net_null0 as a
port that exists, with a 10 Gb/s link; a memif client without a server as
one whose link never comes up).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genlib  # noqa: E402
from genlib import check  # noqa: E402

BAD_PROFILE = """# a profile with a bad rate
mix: [{capability: 1, fields: [data]}]
rate: 12 parsecs
"""

OPERATORS = """mix:
  - {capability: 4, element: RM.ca, fields: [key], sessions: 100-199}
"""

# (arguments, expected exit code, regular expression the last stderr line matches)
NO_EAL = [
    (["--rate", "fast"], 2,
     r"^pf-gen: --rate fast: expected a rate: N \(pps\), Nkpps, NMpps, N% of line rate, or max$"),
    (["--rate", "0"], 2, r"^pf-gen: --rate 0: expected a rate"),
    (["--duration", "soon"], 2,
     r"^pf-gen: --duration soon: expected a duration: Ns, Nms, Nm or Nh \(N >= 0\)$"),
    (["--warmup", "-1s"], 2, r"^pf-gen: --warmup -1s: expected a duration"),
    (["--size", "40"], 2,
     r"^pf-gen: --size 40: expected frame sizes in bytes with FCS, 64\.\.1518: N, A-B, imix or W:S,W:S,\.\.\.$"),
    (["--size", "0:64"], 2, r"^pf-gen: --size 0:64: expected frame sizes"),
    (["--sessions", "0"], 2, r"^pf-gen: --sessions 0: expected a count N \(1\.\.65536\) or ids A-B$"),
    (["--session-order", "sorted"], 2,
     r"^pf-gen: --session-order sorted: expected round-robin or random$"),
    (["--priority", "300"], 2, r"^pf-gen: --priority 300: expected a priority 0\.\.255 or W:P,W:P,\.\.\.$"),
    (["--tx-lcores", "1,1"], 2, r"^pf-gen: --tx-lcores 1,1: expected distinct lcore ids$"),
    (["--tx-lcores", "a"], 2, r"^pf-gen: --tx-lcores a: expected lcore ids: N, N,M or N-M$"),
    (["--rx-lcore", "-1"], 2, r"^pf-gen: --rx-lcore -1: expected an lcore id$"),
    (["--dst-mac", "02:00:00"], 2,
     r"^pf-gen: --dst-mac 02:00:00: expected a MAC address like 02:00:00:00:00:02$"),
    (["--src-ip", "10.0.0.256"], 2,
     r"^pf-gen: --src-ip 10\.0\.0\.256: expected an IPv4 address like 10\.0\.0\.2$"),
    (["--udp-port", "0"], 2, r"^pf-gen: --udp-port 0: expected a UDP port, 1\.\.65535$"),
    (["--src-port", "65000"], 2, r"^pf-gen: --src-port 65000: expected a UDP port, 1\.\.64512"),
    (["--count", "0"], 2, r"^pf-gen: --count 0: expected a number of frames, at least 1$"),
    (["--drain-ms", "x"], 2, r"^pf-gen: --drain-ms x: expected milliseconds"),
    (["--window", "100"], 2, r"^pf-gen: --window 100: expected a power of two, 64\.\.1048576$"),
    (["--rx-queues", "0"], 2, r"^pf-gen: --rx-queues 0: expected a number of queues, 1\.\.16$"),
    (["--bucket", "8"], 2, r"^pf-gen: --bucket 8: expected frames, 32\.\.1048576$"),
    (["--ndr-resolution", "0"], 2, r"^pf-gen: --ndr-resolution 0: expected a percentage"),
    (["--ndr-max", "max"], 2, r"^pf-gen: --ndr-max max: expected a rate in pps or % of line rate$"),
    (["--trial-seconds", "0"], 2, r"^pf-gen: --trial-seconds 0: expected seconds of at least 0\.1$"),
    (["--cookie", "0x100000000"], 2, r"^pf-gen: --cookie 0x100000000: expected a 32-bit integer$"),
    (["--bogus"], 2, r"^pf-gen: unknown option --bogus \(see pf-gen --help\)$"),
    (["--rate"], 2, r"^pf-gen: --rate needs a value \(see pf-gen --help\)$"),
    (["stray"], 2, r"^pf-gen: unexpected argument 'stray' \(EAL options go before --\)$"),
    (["--rx-only"], 2, r"^pf-gen: --rx-only needs --count N"),
    (["--ndr", "--count", "5"], 2, r"^pf-gen: --ndr trials last --trial-seconds; --count does not apply$"),
    (["--ndr", "--pcap-out", "x.pcap"], 2, r"^pf-gen: --ndr needs a port"),
    (["--hold", "--pcap-out", "x.pcap"], 2, r"^pf-gen: --hold keeps a port up; it cannot be combined with --pcap-out$"),
    (["--profile", "/nonexistent/p.yaml"], 2,
     r"^/nonexistent/p\.yaml: cannot open: No such file or directory$"),
    (["--profile", "{bad}"], 2,
     r"^\S+/bad\.yaml:3: rate: expected a rate \(max, N%, Npps, Nkpps or NMpps\), found \"12 parsecs\"$"),
    (["--check-profile", "{bad}"], 2, r"^\S+/bad\.yaml:3: rate: expected a rate"),
    (["--profile", "{operators}", "--sessions", "150-160", "--pcap-out", "x.pcap"], 2,
     r"^pf-gen: --sessions 150-160: expected session ranges that are equal or disjoint, "
     r"found 150-160 and 100-199 overlapping$"),
    (["--pcap-out", "/nonexistent/dir/x.pcap", "--count", "1"], 1,
     r"^pf-gen: --pcap-out /nonexistent/dir/x\.pcap: cannot open: No such file or directory$"),
]

WITH_EAL = [
    (["--port", "net_nosuch0"], 1,
     r"^pf-gen: --port net_nosuch0: no such device \(EAL could not parse or probe it"),
    (["--port", "0000:00:1f.7"], 1,
     r"^pf-gen: --port 0000:00:1f\.7: no such device \(DPDK probed no port of that name"),
    (["--port", "net_null0", "--rate", "100Mpps"], 2,
     r"^pf-gen: --rate 100000000 pps: above the line rate of port net_null0 \(10000 Mb/s carries "
     r"11363636 pps of 90\.0 B frames, 20 B of preamble and gap each\)$"),
    (["--port", "net_null0", "--ndr", "--ndr-max", "20Mpps"], 2,
     r"^pf-gen: --ndr-max 20000000 pps: above the line rate of port net_null0"),
    (["--port", "net_null0", "--tx-lcores", "5"], 2,
     r"^pf-gen: --tx-lcores: lcore 5 is not enabled \(EAL's --lcores or -l decides which lcores exist\)$"),
    (["--port", "net_null0", "--rx-lcore", "0"], 2,
     r"^pf-gen: --rx-lcore: lcore 0 is the main lcore, which prints the live lines; pick another$"),
    (["--port", "net_null0", "--tx-lcores", "1,2", "--sessions", "1"], 2,
     r"^pf-gen: \(built-in\): mix entry echo: its 1 session\(s\) from 1000 are fewer than the 2 TX lcores"),
    (["--port", "net_memif0,role=client,socket={nosock}", "--link-timeout", "300"], 1,
     r"^pf-gen: --port net_memif0,role=client,socket=\S+: cannot start it: .* \(is the peer running\?"),
]


def test(env):
    bad = env.path("bad.yaml")
    with open(bad, "w") as f:
        f.write(BAD_PROFILE)
    ops = env.path("operators.yaml")
    with open(ops, "w") as f:
        f.write(OPERATORS)
    subst = {"{bad}": bad, "{operators}": ops, "{nosock}": env.path("no-server.sock")}

    def run(args, rc, pattern, eal):
        args = [subst.get(a, a) for a in args]
        for k, v in subst.items():
            args = [a.replace(k, v) for a in args]
        r = env.gen(args, eal=eal, lcores="0@0,1@1,2@1", check_rc=None, timeout=60)
        lines = [l for l in r.err.splitlines() if l.startswith(("pf-gen", "/", env.tmp))]
        last = lines[-1] if lines else ""
        print("exit %d: %s" % (r.rc, last))
        check(r.rc == rc, "%s: exit %d, expected %d (stderr: %s)" % (" ".join(args), r.rc, rc,
                                                                  r.err.strip()[-600:]))
        check(re.search(pattern, last), "%s: message %r does not match %r"
              % (" ".join(args), last, pattern))
        check(len(lines) == 1, "%s: %d lines of pf-gen messages, expected one:\n%s"
              % (" ".join(args), len(lines), "\n".join(lines)))

    for args, rc, pattern in NO_EAL:
        run(args, rc, pattern, eal=False)
    # The same option error after "--", behind EAL options: still before EAL.
    run(["--rate", "fast"], 2, r"^pf-gen: --rate fast: expected a rate", eal=None)
    for args, rc, pattern in WITH_EAL:
        run(args, rc, pattern, eal=None)

    # The good cases next to the bad: --help, --check-profile, --pcap-out.
    r = env.gen(["--help"], eal=False)
    check("Usage: pf-gen [EAL options] -- [options]" in r.out and "--ndr" in r.out, "--help text")
    r = env.gen(["--check-profile", "configs/profiles/default.yaml"], eal=False)
    check(r.out.rstrip().endswith("profile OK"), "--check-profile default.yaml: %s" % r.out[-300:])


if __name__ == "__main__":
    genlib.main(test)
