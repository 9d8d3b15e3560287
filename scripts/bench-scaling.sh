#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-scaling.sh: how pf-dataplane's cost grows with the Hyperscan ruleset
# and with the payload, each row against testpmd io-forward on the same pcap.
#
#   scripts/bench-scaling.sh [--seconds S] [--build DIR] [--plots DIR]
#                            [--rules 10,100,1000,10000] [--payloads 64,128,...]
#
# Rules: scripts/gen-rules.py N rules, 1,024 intents for them (90 % built to
# match a rule, --match-share 0.9) in classify requests (header names no
# capability), one pcap per N; pf-dataplane runs it twice, with
# classify_cache: 0 (Hyperscan scans every request: the cost of the rules)
# and with the default cache (4096 verdicts: the 1,024 intents are all
# remembered after the first pass). Payloads: configs/profiles/echo.yaml through
# `pf-gen --pcap-out --size` so that the data TLV holds P bytes (frame
# P + 90 bytes with FCS). Each pcap is replayed with net_pcap infinite_rx=1
# into testpmd io-forward (TX to net_null) and into pf-dataplane (one lcore
# running every group, answers dropped by the pcap PMD), one forwarding
# lcore on CPU 1, for S seconds each (default 5). Prints two Markdown tables;
# writes scaling-rules.png and scaling-payload.png (gnuplot) to --plots
# (default docs/img) when gnuplot is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

SECS=5
BUILD=build
PLOTS=docs/img
RULES=10,100,1000,10000
PAYLOADS=64,128,256,512,1024,1400
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--plots) PLOTS=$2; shift 2 ;;
	--rules) RULES=$2; shift 2 ;;
	--payloads) PAYLOADS=$2; shift 2 ;;
	-h|--help) sed -n '3,21p' "$0"; exit 0 ;;
	*) echo "bench-scaling: unknown option $1" >&2; exit 2 ;;
	esac
done
command -v dpdk-testpmd >/dev/null || { echo "bench-scaling: dpdk-testpmd not found (scripts/setup.sh)" >&2; exit 77; }
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
BUILD=$(cd "$BUILD" && pwd)
bench_init scaling
TMP=$BENCH_TMP

# ---- traffic: one ruleset and one pcap of intents per rule count ----
python3 - "$TMP" "$RULES" <<'EOF'
import subprocess, sys
sys.path.insert(0, "tests/integration")
import pfpkt as p
tmp, counts = sys.argv[1], sys.argv[2].split(",")
for n in counts:
    with open(f"{tmp}/r{n}.rules", "w") as f:
        subprocess.run(["python3", "scripts/gen-rules.py", n], check=True, stdout=f)
    intents = subprocess.run(["python3", "scripts/gen-rules.py", n, "--intents", "1024",
                              "--match-share", "0.9"], check=True, capture_output=True,
                             text=True).stdout.splitlines()
    pkts = []
    for i, text in enumerate(intents):
        pf = p.request(capability=0, session_id=i % 64, seq=i,
                       tlvs=[p.tlv(p.F_INTENT, text.encode()),
                             p.tlv(p.F_DATA, b"payload-" + bytes([i & 0xff]))])
        pkts.append(p.udp_packet(pf, sport=10000 + i % 64))
    p.write_pcap(f"{tmp}/r{n}.pcap", pkts)
EOF
IFS=, read -r -a payloads <<<"$PAYLOADS"
for p in "${payloads[@]}"; do
	"$BUILD/dataplane/gen/pf-gen" --pcap-out "$TMP/p$p.pcap" --count 1024 \
		--profile configs/profiles/echo.yaml --size $((p + 90)) >/dev/null
done

echo "machine: $(bench_machine), load average $(bench_load) at the start, ${SECS}s per run" >&2

# One row: testpmd, then pf-dataplane, on the same pcap.
measure() { # name pcap rules [classify_cache]
	bench_replay_conf "$TMP/$1.conf" "$2" "$3" "${4:-}"
	bench_testpmd_pcap "$2" "$SECS" "$TMP/testpmd-$1.log"
	bench_pf_pcap "$TMP/$1.conf" "$SECS" "$TMP/pf-$1.log" "$BUILD"
	echo "bench-scaling: $1: testpmd $TP_MPPS Mpps, pf-dataplane $PF_MPPS Mpps" >&2
}

IFS=, read -r -a rules <<<"$RULES"
: >"$TMP/rules.dat"
{
	echo "| rules | testpmd io-fwd Mpps | pf-dataplane, every request scanned (classify_cache 0) Mpps | ratio | ns per request | pf-dataplane, classify_cache 4096 (default) Mpps | ratio | forwarding lcore on CPU (testpmd / scanned / cached) |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in "${rules[@]}"; do
		# The cached run first: its testpmd figure is the row's baseline;
		# the scanning run replays the same pcap (testpmd measured again).
		measure "rules$n-cache" "$TMP/r$n.pcap" "$TMP/r$n.rules"
		c_mpps=$PF_MPPS c_cpu=$PF_CPU tp1=$TP_MPPS
		measure "rules$n" "$TMP/r$n.pcap" "$TMP/r$n.rules" 0
		tp=$(python3 -c "print('%.3f' % (($tp1 + $TP_MPPS) / 2))")
		ns=$(python3 -c "print('%.0f' % (1e3 / $PF_MPPS if $PF_MPPS else 0))")
		echo "| $n | $tp | $PF_MPPS | $(bench_ratio "$PF_MPPS" "$tp") | $ns | $c_mpps | $(bench_ratio "$c_mpps" "$tp") | $TP_CPU / $PF_CPU / $c_cpu % |"
		echo "$n $tp $PF_MPPS $c_mpps" >>"$TMP/rules.dat"
	done
} >"$TMP/rules.md"

: >"$TMP/payload.dat"
{
	echo "| payload bytes (frame with FCS) | testpmd io-fwd Mpps | pf-dataplane Mpps | ratio | pf-dataplane Gb/s (L2) | forwarding lcore on CPU (testpmd / pf) |"
	echo "|---:|---:|---:|---:|---:|---:|"
	for p in "${payloads[@]}"; do
		measure "payload$p" "$TMP/p$p.pcap" ""
		gbps=$(python3 -c "print('%.2f' % ($PF_MPPS * 1e6 * ($p + 90) * 8 / 1e9))")
		echo "| $p ($((p + 90))) | $TP_MPPS | $PF_MPPS | $(bench_ratio "$PF_MPPS" "$TP_MPPS") | $gbps | $TP_CPU / $PF_CPU % |"
		echo "$p $TP_MPPS $PF_MPPS" >>"$TMP/payload.dat"
	done
} >"$TMP/payload.md"

echo "Hyperscan classification (classify requests, 1,024 intents, 90 % matching), by rule count;"
echo "testpmd's figure is the mean of its two runs on the row's pcap:"
echo
cat "$TMP/rules.md"
echo
echo "Header-routed echo (configs/profiles/echo.yaml frames), by data TLV size:"
echo
cat "$TMP/payload.md"

if command -v gnuplot >/dev/null; then
	mkdir -p "$PLOTS"
	stamp="$(bench_machine), $(date -u +%F), scripts/bench-scaling.sh"
	gnuplot <<EOF
set terminal pngcairo size 800,480 font "DejaVu Sans,10"
set grid
set key top right
set ylabel "Mpps (one forwarding lcore)"
set yrange [0:*]
set style data linespoints

set output "$PLOTS/scaling-rules.png"
set title "pf-dataplane classify vs testpmd io-forward, by Hyperscan rule count\n{/*0.8 $stamp}"
set xlabel "rules (log scale)"
set logscale x 10
set logscale y 10
set yrange [*:*]
plot "$TMP/rules.dat" using 1:2 title "testpmd io-forward (same pcap)" lw 2 pt 7, \
     "" using 1:3 title "pf-dataplane, classification cache off (every request scanned)" lw 2 pt 5, \
     "" using 1:4 title "pf-dataplane, classification cache of 4096 (the default)" lw 2 pt 9

set output "$PLOTS/scaling-payload.png"
unset logscale
set yrange [0:*]
set title "pf-dataplane echo vs testpmd io-forward, by payload size\n{/*0.8 $stamp}"
set xlabel "data TLV bytes (frame = bytes + 90 with FCS)"
plot "$TMP/payload.dat" using 1:2 title "testpmd io-forward (same pcap)" lw 2 pt 7, \
     "" using 1:3 title "pf-dataplane (echo)" lw 2 pt 5
EOF
	echo "bench-scaling: plots in $PLOTS/scaling-rules.png and $PLOTS/scaling-payload.png" >&2
else
	echo "bench-scaling: gnuplot not found, no plots (scripts/setup.sh installs gnuplot-nox)" >&2
fi
