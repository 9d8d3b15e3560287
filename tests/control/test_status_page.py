#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_status_page.py: the status page in headless Chromium (Debian's) while
# the dataplane replays traffic: the DOM after its scripts ran holds the
# periodic table with live rates, and a screenshot shows the table drawn
# (checked on the PNG's pixels: the six group colours, dark text).
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import TOKENS, Checker, Env, echo_packets, skip  # noqa: E402

GROUP_COLOURS = {"CF": (0x3b, 0x82, 0xf6), "DF": (0x10, 0xb9, 0x81), "ED": (0xf5, 0x9e, 0x0b),
                 "CO": (0x8b, 0x5c, 0xf6), "MC": (0xef, 0x44, 0x44), "RM": (0x6b, 0x72, 0x80)}


def read_png(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), "PNG type %d/%d" % (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def chromium(exe, args, timeout=60):
    return subprocess.run([exe, "--headless=new", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--no-first-run", "--window-size=1280,900",
                           "--virtual-time-budget=6000"] + args,
                          capture_output=True, text=True, timeout=timeout)


def main(build):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        skip("chromium is not installed (scripts/setup.sh installs it)")
    ck = Checker("control-status-page")
    env = Env(build, "page")
    try:
        env.start_dataplane(echo_packets(32), replay=True)
        env.start_control()
        env.wait_synced()
        url = "http://127.0.0.1:%d/status#token=%s" % (env.port, TOKENS["viewer"])
        # rates need two telemetry samples a second apart
        for _ in range(50):
            st, s = env.api("GET", "/stats", role="viewer")
            if st == 200 and s.get("totals", {}).get("rx_rate", 0) > 0:
                break
            import time
            time.sleep(0.1)
        r = chromium(exe, ["--dump-dom", url])
        dom = r.stdout
        ck.ok("<table id=\"ptable\">" in dom or "id=\"ptable\"" in dom, "page has the table")
        m = re.search(r'id="el-CF-seq" data-exec="(\d+)" data-rate="([\d.]+)"', dom)
        ck.ok(m, "CF.seq cell rendered by the script: %s" % dom[:300])
        if m:
            ck.ok(int(m.group(1)) > 0, "CF.seq total is live: %s" % m.group(1))
            ck.ok(float(m.group(2)) > 0, "CF.seq rate is live: %s/s" % m.group(2))
        ck.ok(re.search(r'id="state" class="ok">alive<', dom), "dataplane shown alive")
        ck.ok(not re.search(r'id="upd">never<', dom), "page refreshed itself")
        cells = re.findall(r'id="el-(\w\w)-(\w+)"', dom)
        ck.eq(len(cells), 24, "24 elements in the table")

        png = os.path.join(env.dir, "status.png")
        r = chromium(exe, ["--screenshot=" + png, url])
        ck.ok(os.path.exists(png), "screenshot written: %s" % r.stderr[-300:])
        if os.path.exists(png):
            keep = os.environ.get("PF_SCREENSHOT")
            if keep:
                shutil.copy(png, keep)
            w, h, rows = read_png(png)
            ck.eq((w, h), (1280, 900), "screenshot size")
            # the table's top 450 px: each group's colour bars, and text
            seen = {g: 0 for g in GROUP_COLOURS}
            dark = 0
            for y in range(80, 460):
                for px in rows[y][:1000]:
                    for g, c in GROUP_COLOURS.items():
                        if all(abs(px[i] - c[i]) < 8 for i in range(3)):
                            seen[g] += 1
                    if sum(px) < 150:
                        dark += 1
            ck.ok(all(n > 300 for n in seen.values()), "every group's colour drawn: %s" % seen)
            ck.ok(dark > 2000, "text drawn in the table (%d dark pixels)" % dark)
    finally:
        env.stop()
    return ck.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
