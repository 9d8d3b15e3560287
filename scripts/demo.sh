#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# demo.sh: the main job on any Debian 12 box -- pf-dataplane with
# configs/default.conf on memif, pf-gen driving it with a mixed profile.
#
#   scripts/demo.sh [--seconds S] [--rate R] [--profile FILE] [--build DIR]
#
# Sets up what is missing (scripts/setup.sh), builds, starts pf-dataplane as
# the memif server, runs pf-gen as the client for S seconds (default 10) at
# R (default 20kpps), prints pf-gen's report and the dataplane's counters,
# then stops the dataplane cleanly (SIGINT) and prints its final line and
# invariant. No NIC and no hugepages needed (--no-huge); fits 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=10
RATE=20kpps
PROFILE=configs/profiles/default.yaml
BUILD=build
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--profile) PROFILE=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	-h|--help) sed -n '3,12p' "$0"; exit 0 ;;
	*) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

bash scripts/setup.sh
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" >/dev/null
fi
ninja -C "$BUILD" >/dev/null
DP=$BUILD/dataplane/pf-dataplane
GEN=$BUILD/dataplane/gen/pf-gen
STATS=$BUILD/dataplane/pf-stats

RUN=$(mktemp -d /tmp/pf-demo.XXXXXX)
DP_PID=
cleanup() {
	if [ -n "$DP_PID" ] && kill -0 "$DP_PID" 2>/dev/null; then
		kill -INT "$DP_PID" 2>/dev/null || true
		sleep 2
		kill -9 "$DP_PID" 2>/dev/null || true
	fi
	rm -rf "$RUN"
}
trap cleanup EXIT

# Two CPUs: the dataplane's lcores on the last CPU (its main lcore mostly
# sleeps in the control socket's poll, and its idle lcores yield), the
# generator on the first. One CPU: everything shares it, slowly.
last=$(( $(nproc) - 1 ))
DP_LCORES="0@$last,1@$last,2@$last"
GEN_LCORES="0@0,1@0"

echo "== pf-dataplane: configs/default.conf, memif server, lcores $DP_LCORES"
"$DP" --lcores "$DP_LCORES" --file-prefix "pf-demo-dp-$$" -- \
	-c configs/default.conf \
	--port "p0=net_memif0,role=server,socket=$RUN/memif.sock" \
	--stats "$RUN/stats" --control "$RUN/ctl.sock" >"$RUN/dataplane.log" 2>&1 &
DP_PID=$!
for _ in $(seq 100); do
	grep -q '^running' "$RUN/dataplane.log" && break
	if ! kill -0 "$DP_PID" 2>/dev/null; then
		cat "$RUN/dataplane.log" >&2
		echo "demo: pf-dataplane did not start" >&2
		exit 1
	fi
	sleep 0.1
done
sed -n '/^lcore map/,/^stats segment/p' "$RUN/dataplane.log"
# pf-gen must poll every TX queue the dataplane answers on: one per lcore.
n_lcores=$(grep -c '^  lcore [0-9]' "$RUN/dataplane.log")

echo
echo "== pf-gen: $PROFILE at $RATE for ${SECS}s (1 s warm-up), memif client, lcores $GEN_LCORES"
gen_rc=0
"$GEN" --no-huge -m 256 --no-pci --lcores "$GEN_LCORES" --file-prefix "pf-demo-gen-$$" -- \
	--port "net_memif0,role=client,socket=$RUN/memif.sock" --rx-queues "$n_lcores" \
	--profile "$PROFILE" --rate "$RATE" --duration "${SECS}s" --warmup 1s \
	--json "$RUN/report.json" 2>&1 | sed -n '/^pf-gen report/,$p' || gen_rc=$?

echo
echo "== pf-dataplane counters"
"$STATS" -s "$RUN/stats"

echo
echo "== stopping pf-dataplane (SIGINT)"
kill -INT "$DP_PID"
wait "$DP_PID" || { echo "demo: pf-dataplane exited with $?" >&2; exit 1; }
DP_PID=
grep -E '^(final|invariant):' "$RUN/dataplane.log"
grep -q '^invariant: rx == tx + drops' "$RUN/dataplane.log" || {
	echo "demo: the dataplane's accounting does not balance" >&2
	exit 1
}
if [ "$gen_rc" -ne 0 ]; then
	echo "demo: pf-gen failed ($gen_rc)" >&2
	exit 1
fi
