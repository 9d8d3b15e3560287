#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench.sh: every benchmark in one go; rewrites each section's table in
# docs/benchmarks.md (between <!-- BEGIN name --> and <!-- END name -->).
#
#   scripts/bench.sh [--quick] [--only NAME[,NAME]] [--build DIR] [--no-doc] [--doc FILE]
#
# Sections, in order (each against a baseline measured in the same run):
#   generator  pf-gen flat out vs testpmd txonly on net_null; pacing accuracy
#   latency    round trips through pf-dataplane vs testpmd 5tswap over memif
#   ndr        pf-gen --ndr through the same two over memif
#   dataplane  scripts/bench-dataplane.sh (echo, Hyperscan 1k vs testpmd io-fwd)
#   scaling    scripts/bench-scaling.sh (rule count, payload size; PNG plots)
#   control    scripts/bench-control.sh (wrk vs nginx, API write -> ACK)
# and a summary of the targets (rewritten by a complete run only).
# --quick: short runs for a smoke check; it writes no doc unless --doc FILE
# is given. --no-doc: print only. The full suite takes about 11 minutes on
# 2 CPUs. Exit 0 when every section ran, 1 when one failed (the others still
# run; a failed or skipped section keeps its previous table).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

ALL=generator,latency,ndr,dataplane,scaling,control
ONLY=$ALL
BUILD=build
QUICK=0
DOC=docs/benchmarks.md
DOC_SET=0
NO_DOC=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--only) ONLY=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--no-doc) NO_DOC=1; shift ;;
	--doc) DOC=$2; DOC_SET=1; shift 2 ;;
	-h|--help) sed -n '3,19p' "$0"; exit 0 ;;
	*) echo "bench: unknown option $1 (--help)" >&2; exit 2 ;;
	esac
done
IFS=, read -r -a sections <<<"$ONLY"
for s in "${sections[@]}"; do
	case ",$ALL," in *",$s,"*) ;; *) echo "bench: --only $s: expected one of $ALL" >&2; exit 2 ;; esac
done
WRITE_DOC=1
if [ $NO_DOC -eq 1 ] || { [ $QUICK -eq 1 ] && [ $DOC_SET -eq 0 ]; }; then WRITE_DOC=0; fi

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
BUILD=$(cd "$BUILD" && pwd)
bench_init all
IMG=$BENCH_TMP/img
[ $WRITE_DOC -eq 1 ] && IMG=$(dirname "$DOC")/img

if [ $QUICK -eq 1 ]; then
	PY_Q=(--quick); DP_SECS=2; SC_SECS=2; CTL=(BENCH_SECONDS=2 BENCH_WRITES=50)
else
	PY_Q=(); DP_SECS=10; SC_SECS=5; CTL=(BENCH_SECONDS=10 BENCH_WRITES=300)
fi
QFLAG=
[ $QUICK -eq 1 ] && QFLAG=" --quick"

# The command each section runs (stdout: its Markdown), and how a reader
# reruns it alone.
section_cmd() { # name -> command line, one word per line
	case $1 in
	generator|latency|ndr) printf '%s\n' python3 tests/gen/bench.py "$BUILD" --section "$1" "${PY_Q[@]}" ;;
	dataplane) printf '%s\n' scripts/bench-dataplane.sh --seconds "$DP_SECS" --build "$BUILD" ;;
	scaling) printf '%s\n' scripts/bench-scaling.sh --seconds "$SC_SECS" --build "$BUILD" --plots "$IMG" ;;
	control) printf '%s\n' env "${CTL[@]}" scripts/bench-control.sh "$BUILD" ;;
	esac
}
section_alone() { # name -> the command as the doc shows it
	case $1 in
	generator|latency|ndr) echo "python3 tests/gen/bench.py build --section $1${QFLAG}" ;;
	dataplane) echo "scripts/bench-dataplane.sh --seconds $DP_SECS" ;;
	scaling) echo "scripts/bench-scaling.sh --seconds $SC_SECS" ;;
	control) echo "${CTL[*]} scripts/bench-control.sh" ;;
	esac
}

SOURCE=$(bench_source "$BUILD")
echo "bench: $(bench_machine), $SOURCE, load average $(bench_load), sections ${sections[*]}$QFLAG" >&2
export BENCH_SUMMARY=$BENCH_TMP/summary.rows
: >"$BENCH_SUMMARY"
load_all=$(bench_load)
t_all=$(date +%s)
failed=()
for s in "${sections[@]}"; do
	mapfile -t cmd < <(section_cmd "$s")
	echo "bench: == $s: ${cmd[*]}" >&2
	load0=$(bench_load)
	t0=$(date +%s)
	set +e
	"${cmd[@]}" >"$BENCH_TMP/$s.md"
	rc=$?
	set -e
	secs=$(($(date +%s) - t0))
	cat "$BENCH_TMP/$s.md"
	echo
	if [ $rc -eq 77 ]; then
		echo "bench: $s skipped (a tool is missing: scripts/setup.sh)" >&2
		continue
	elif [ $rc -ne 0 ]; then
		echo "bench: $s FAILED (exit $rc) after ${secs}s" >&2
		failed+=("$s")
		continue
	fi
	echo "bench: $s done in ${secs}s" >&2
	if [ $WRITE_DOC -eq 1 ]; then
		{
			echo "Measured $(date -u '+%F %H:%M UTC') on $(bench_machine), $SOURCE,"
			echo "load average $load0 before and $(bench_load) after (1, 5, 15 min), in ${secs} s,"
			echo "by \`scripts/bench.sh${QFLAG}\`"
			echo "(this section alone: \`scripts/bench.sh --only $s${QFLAG}\`, which runs"
			echo "\`$(section_alone "$s")\`):"
			echo
			cat "$BENCH_TMP/$s.md"
		} >"$BENCH_TMP/$s.section"
		bench_update_doc "$DOC" "$s" "$BENCH_TMP/$s.section"
		echo "bench: $DOC: section $s rewritten" >&2
	fi
done
secs_all=$(($(date +%s) - t_all))
{
	echo "| section | what | target | measured | verdict |"
	echo "|---|---|---|---|---|"
	cat "$BENCH_SUMMARY"
} >"$BENCH_TMP/summary.md"
echo "Targets:"
cat "$BENCH_TMP/summary.md"
# The summary is rewritten only by a complete run, so that its rows always
# come from one run of every section.
if [ $WRITE_DOC -eq 1 ] && [ "$ONLY" = "$ALL" ] && [ ${#failed[@]} -eq 0 ]; then
	{
		echo "Measured $(date -u '+%F %H:%M UTC') on $(bench_machine), $SOURCE,"
		echo "load average $load_all before and $(bench_load) after, in ${secs_all} s,"
		echo "by \`scripts/bench.sh${QFLAG}\` (the rows"
		echo "come from the sections below, where each figure stands beside its baseline):"
		echo
		cat "$BENCH_TMP/summary.md"
	} >"$BENCH_TMP/summary.section"
	bench_update_doc "$DOC" summary "$BENCH_TMP/summary.section"
	echo "bench: $DOC: summary rewritten" >&2
fi
echo "bench: all done in ${secs_all}s${failed:+; failed: ${failed[*]}}" >&2
[ ${#failed[@]} -eq 0 ]
