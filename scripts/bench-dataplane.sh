#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-dataplane.sh: pf-dataplane Mpps vs dpdk-testpmd io-forward on the
# same replayed pcap (net_pcap infinite_rx), measured in one run.
#
#   scripts/bench-dataplane.sh [--seconds S] [--rounds N] [--huge] [--build DIR] [--update-doc]
#                              [--workdir DIR]
#
# (a) a header-routed echo mix, (b) intents classified by Hyperscan against
# configs/rules/bench-1k.rules (1,000 rules), with the default
# classification cache (the pcap's 1,024 intents all fit it: after the first
# pass every verdict is remembered), (c) the same with classify_cache: 0, so
# that Hyperscan scans every request; (a') is (a) with dataplane.fast_path
# off, what the full path costs (no target). Each program gets one
# forwarding lcore on CPU 1 (main lcore on CPU 0). Each mix runs N rounds
# (default 3) of testpmd then pf-dataplane, so that both see the same
# moments of a shared host; a figure is the median of its rounds, the ratio
# the median of the rounds' ratios (their range is printed too). Prints
# Mpps, ratios, the share of the window each forwarding lcore was on a CPU,
# and memory (RSS, hugepages) as a Markdown table; --update-doc rewrites the
# table in docs/benchmarks.md between its BEGIN/END dataplane markers.
# --workdir DIR writes the pcaps and configs there (scripts/bench-cost.sh
# uses them); with --rounds 0 nothing is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/bench-lib.sh

SECONDS_RUN=10
ROUNDS=3
BENCH_HUGE=0
BUILD=build
UPDATE_DOC=0
WORKDIR=
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--huge) BENCH_HUGE=1; shift ;;
	--build) BUILD=$2; shift 2 ;;
	--update-doc) UPDATE_DOC=1; shift ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	-h|--help) sed -n '3,25p' "$0"; exit 0 ;;
	*) echo "bench-dataplane: unknown option $1" >&2; exit 2 ;;
	esac
done
command -v dpdk-testpmd >/dev/null || { echo "bench-dataplane: dpdk-testpmd not found (scripts/setup.sh)" >&2; exit 77; }
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
BUILD=$(cd "$BUILD" && pwd)
bench_init dataplane
TMP=${WORKDIR:-$BENCH_TMP}

# ---- traffic ----
python3 - "$TMP" <<'EOF'
import subprocess, sys
sys.path.insert(0, "tests/integration")
import pfpkt as p
tmp = sys.argv[1]
# (a) echo, header-routed: 64 sessions, 16..64-byte data
pkts = []
for i in range(1024):
    data = bytes((i + j) & 0xff for j in range(16 + (i % 4) * 16))
    pf = p.request(capability=1, group=1, element=1, session_id=i % 64, seq=i,
                   tlvs=[p.tlv(p.F_DATA, data)])
    pkts.append(p.udp_packet(pf, sport=10000 + i % 64))
p.write_pcap(f"{tmp}/echo.pcap", pkts)
# (b) intents for the 1,000-rule set, 90% of them built to match a rule
intents = subprocess.run(["python3", "scripts/gen-rules.py", "1000", "--intents", "1024",
                          "--match-share", "0.9"], check=True, capture_output=True,
                         text=True).stdout.splitlines()
pkts = []
for i, text in enumerate(intents):
    pf = p.request(capability=0, session_id=i % 64, seq=i,
                   tlvs=[p.tlv(p.F_INTENT, text.encode()), p.tlv(p.F_DATA, b"payload-" + bytes([i & 0xff]))])
    pkts.append(p.udp_packet(pf, sport=10000 + i % 64))
p.write_pcap(f"{tmp}/classify.pcap", pkts)
EOF
bench_replay_conf "$TMP/echo.conf" "$TMP/echo.pcap" ""
# the same echo with RX's fast path off: what the full path costs
cp "$TMP/echo.pcap" "$TMP/echo-full.pcap"
sed 's|^dataplane:$|dataplane:\n  fast_path: off|; s|/echo\.|/echo-full.|g' "$TMP/echo.conf" >"$TMP/echo-full.conf"
bench_replay_conf "$TMP/classify.conf" "$TMP/classify.pcap" "$ROOT/configs/rules/bench-1k.rules"
cp "$TMP/classify.pcap" "$TMP/scan.pcap"
bench_replay_conf "$TMP/scan.conf" "$TMP/scan.pcap" "$ROOT/configs/rules/bench-1k.rules" 0

[ "$ROUNDS" -gt 0 ] || exit 0
echo "machine: $(bench_machine), load average $(bench_load) at the start" >&2
echo "memory mode: $([ "$BENCH_HUGE" = 1 ] && echo hugepages || echo --no-huge), ${SECONDS_RUN}s per run, $ROUNDS rounds" >&2
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : sprintf("%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
row() { # label mix target (- for a row without one)
	local k tps=() pfs=() rs=() r tp pf
	for k in $(seq "$ROUNDS"); do
		bench_testpmd_pcap "$TMP/$2.pcap" "$SECONDS_RUN" "$TMP/testpmd-$2-$k.log"
		bench_pf_pcap "$TMP/$2.conf" "$SECONDS_RUN" "$TMP/pf-$2-$k.log" "$BUILD"
		tps+=("$TP_MPPS")
		pfs+=("$PF_MPPS")
		rs+=("$(bench_ratio "$PF_MPPS" "$TP_MPPS")")
		echo "  $2 round $k: testpmd $TP_MPPS Mpps, pf-dataplane $PF_MPPS Mpps, ratio ${rs[-1]}" >&2
	done
	tp=$(median "${tps[@]}")
	pf=$(median "${pfs[@]}")
	r=$(bench_ratio "$(median "${rs[@]}")" 1)
	local lo hi
	lo=$(printf '%s\n' "${rs[@]}" | sort -g | head -1)
	hi=$(printf '%s\n' "${rs[@]}" | sort -g | tail -1)
	echo "| $1 | $tp | $pf | $r ($lo-$hi) | $3 | $TP_CPU / $PF_CPU % | $((PF_RSS_KB / 1024)) | $((TP_RSS_KB / 1024)) | $PF_HP / $TP_HP |"
	[ "$3" = - ] && return 0
	bench_summary dataplane "$1: pf-dataplane / testpmd io-fwd Mpps" ">= $3" "$r ($pf / $tp, median of $ROUNDS rounds; $lo-$hi)" "$(bench_verdict "$r" "$3")"
}
# Into a file, not through $(...): the runs must not happen in a subshell,
# whose process and prefix lists the EXIT trap would not see.
{
	echo "| mix | testpmd io-fwd Mpps | pf-dataplane Mpps | ratio (range) | target | forwarding lcore on CPU (testpmd / pf) | pf RSS MiB | testpmd RSS MiB | hugepages used (pf / testpmd) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	row "(a) header-routed echo" echo 0.6
	row "(a') the same, dataplane.fast_path: off (the full path)" echo-full -
	row "(b) Hyperscan, 1,000 rules, classify_cache 4096 (default)" classify 0.3
	row "(c) Hyperscan, 1,000 rules, classify_cache 0 (every request scanned)" scan 0.3
} >"$TMP/table.md"
table=$(cat "$TMP/table.md")
echo "$table"

if [ $UPDATE_DOC -eq 1 ]; then
	huge=
	[ "$BENCH_HUGE" = 1 ] && huge=" --huge"
	{
		echo "Measured $(date -u '+%F %H:%M UTC') on $(bench_machine), $(bench_source "$BUILD"),"
		echo "load average $(bench_load) at the end,"
		echo "$([ "$BENCH_HUGE" = 1 ] && echo hugepages || echo --no-huge), $SECONDS_RUN s per run, with"
		echo "\`scripts/bench-dataplane.sh --seconds $SECONDS_RUN --rounds $ROUNDS$huge --update-doc\`"
		echo "(medians of $ROUNDS rounds, each testpmd then pf-dataplane; ratio: the median of the"
		echo "rounds' ratios, their range in brackets):"
		echo
		echo "$table"
	} >"$TMP/section.md"
	bench_update_doc docs/benchmarks.md dataplane "$TMP/section.md"
	echo "docs/benchmarks.md updated" >&2
fi
