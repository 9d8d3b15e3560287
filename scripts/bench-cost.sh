#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-cost.sh: the dataplane benchmark's ratios estimated from where the
# CPU time goes, which the host's noise moves far less than Mpps.
#
#   scripts/bench-cost.sh [--seconds S] [--rounds N] [--build DIR] [--mix a,b,...]
#
# Mixes are those of scripts/bench-dataplane.sh: a (header-routed echo), a'
# (the same, fast path off), b (Hyperscan, 1,000 rules, classification
# cache), c (cache off). For each, dpdk-testpmd io-forward and pf-dataplane
# replay the same pcap (net_pcap infinite_rx, one forwarding lcore on CPU
# 1) while `perf record -e cpu-clock` samples that lcore. The pcap PMD does
# the same work per frame in both programs (copy the stored frame into a
# fresh mbuf; free it on TX), so the share of the samples in the PMD's code
# is the inverse of a program's cost per frame in units of the PMD's:
#
#   cost = 100 / (share of librte_net_pcap)           (pf-dataplane)
#   cost = 100 / (share of librte_net_pcap + net_null) (testpmd: its TX is net_null)
#   estimated ratio = testpmd's cost / pf-dataplane's
#
# The estimate takes net_pcap's TX (free the mbufs) to cost what net_null's
# does. At bc15bb1 it gave (a) 0.59 and (b) 0.24 where the Mpps medians of
# scripts/bench-dataplane.sh in the same hour were 0.57 and 0.21, whose
# rounds spread over 0.52-0.58 and 0.17-0.24 (docs/benchmarks.md); its own
# rounds spread over 0.57-0.60 and 0.24-0.24. Each round alternates the
# two programs; medians are
# printed. Needs perf (linux-perf) and dpdk-testpmd.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/bench-lib.sh

SECS=3
ROUNDS=3
BUILD=build
MIXES=a,b
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--mix) MIXES=$2; shift 2 ;;
	-h|--help) sed -n '3,26p' "$0"; exit 0 ;;
	*) echo "bench-cost: unknown option $1" >&2; exit 2 ;;
	esac
done
for tool in perf dpdk-testpmd; do
	command -v $tool >/dev/null || { echo "bench-cost: $tool not found" >&2; exit 77; }
done
perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1 ||
	{ echo "bench-cost: perf cannot sample cpu-clock here" >&2; exit 77; }
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
BUILD=$(cd "$BUILD" && pwd)
bench_init cost
TMP=$BENCH_TMP

# The pcaps and configs of bench-dataplane.sh, made by it (it measures
# nothing with --rounds 0).
BENCH_KEEP=1 scripts/bench-dataplane.sh --build "$BUILD" --rounds 0 --workdir "$TMP" >/dev/null

# Samples the forwarding lcore of process PID for SECS s; prints the
# shares (%) of the DSOs named, summed.
share() { # pid out dso-regex
	perf record -e cpu-clock -F 10000 -t "$(bench_thread_tid "$1" rte-worker-1)" -o "$2" -- sleep "$SECS" >/dev/null 2>&1
	perf report -i "$2" --no-children --sort dso --stdio 2>/dev/null |
		awk -v re="$3" '$2 ~ re {gsub("%", "", $1); s += $1} END {printf "%.2f", s}'
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

echo "machine: $(bench_machine), $(bench_source "$BUILD"), ${SECS}s per sample, $ROUNDS rounds" >&2
echo "| mix | testpmd cost (PMD units) | pf-dataplane cost (PMD units) | estimated ratio (rounds) |"
echo "|---|---:|---:|---:|"
for mix in ${MIXES//,/ }; do
	case $mix in
	a) name=echo ;; "a'") name=echo-full ;; b) name=classify ;; c) name=scan ;;
	*) echo "bench-cost: unknown mix $mix" >&2; exit 2 ;;
	esac
	tps=() pfs=() rs=()
	for k in $(seq "$ROUNDS"); do
		bench_testpmd_start "$TMP/$name.pcap" "$TMP/tp.log"
		sleep 3
		s=$(share "$BENCH_PID" "$TMP/tp.perf" 'net_pcap|net_null')
		bench_stop "$BENCH_PID"
		tps+=("$(python3 -c "print('%.3f' % (100 / $s))")")

		bench_pf_start "$TMP/$name.conf" "$TMP/pf.log" "$BUILD"
		sleep 1
		s=$(share "$BENCH_PID" "$TMP/pf.perf" 'net_pcap')
		bench_stop "$BENCH_PID"
		pfs+=("$(python3 -c "print('%.3f' % (100 / $s))")")
		rs+=("$(python3 -c "print('%.2f' % (${tps[-1]} / ${pfs[-1]}))")")
		echo "  $mix round $k: testpmd ${tps[-1]}, pf-dataplane ${pfs[-1]} PMD units, ratio ${rs[-1]}" >&2
	done
	echo "| ($mix) | $(median "${tps[@]}") | $(median "${pfs[@]}") | $(median "${rs[@]}") ($(printf '%s\n' "${rs[@]}" | sort -g | paste -sd' ')) |"
done
