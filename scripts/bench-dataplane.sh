#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-dataplane.sh: pf-dataplane Mpps vs dpdk-testpmd io-forward on the
# same replayed pcap (net_pcap infinite_rx), measured in one run.
#
#   scripts/bench-dataplane.sh [--seconds S] [--huge] [--build DIR] [--update-doc]
#
# (a) a header-routed echo mix, (b) intents classified by Hyperscan against
# configs/rules/bench-1k.rules (1,000 rules). Each program gets one
# forwarding lcore on CPU 1 (main lcore on CPU 0). Prints Mpps, ratios and
# memory (RSS, hugepages); --update-doc rewrites the table in
# docs/benchmarks.md between its BEGIN/END dataplane markers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECONDS_RUN=10
HUGE=0
BUILD=build
UPDATE_DOC=0
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--huge) HUGE=1; shift ;;
	--build) BUILD=$2; shift 2 ;;
	--update-doc) UPDATE_DOC=1; shift ;;
	-h|--help) sed -n '3,13p' "$0"; exit 0 ;;
	*) echo "bench-dataplane: unknown option $1" >&2; exit 2 ;;
	esac
done

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" >/dev/null
DP=$BUILD/dataplane/pf-dataplane
STATS=$BUILD/dataplane/pf-stats
TESTPMD=$(command -v dpdk-testpmd)

TMP=$(mktemp -d /tmp/pf-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -INT "$p" 2>/dev/null || true; done
	sleep 1
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ $HUGE -eq 1 ]; then
	MEM=(-m 1024)
else
	MEM=(--no-huge -m 1024)
fi

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

# One config per mix: one lcore receives and runs every group (run to
# completion), answers leave through the same pcap port (TX dropped by the
# PMD, like testpmd's net_null).
make_conf() { # mix rules
	cat >"$TMP/$1.conf" <<EOF
dataplane:
  stats_segment: $TMP/$1.stats
  control_socket: $TMP/$1.sock
  rules: ${2}
  idle: poll
memory: { mbufs: 16383, ring_size: 4096 }
ports:
  - { name: p0, device: "net_pcap0,rx_pcap=$TMP/$1.pcap,infinite_rx=1", rx_lcores: [1] }
groups:
  CF: { lcores: [1] }
  DF: { lcores: [1] }
  ED: { lcores: [1] }
  CO: { lcores: [1], replicate: 1 }
  MC: { lcores: [1] }
  RM: { lcores: [1] }
capabilities:
  - { id: 1, name: echo, element: CF.seq, requires: [data], provides: [data] }
  - { id: 2, name: transform, element: DF.tr, arg: upper, requires: [data] }
  - { id: 3, name: aggregate, element: DF.ag }
  - { id: 4, name: cache, element: RM.ca }
  - { id: 5, name: pattern, element: ED.pt, requires: [data] }
  - { id: 6, name: broadcast, element: CO.bc }
  - { id: 10, name: ingest, element: DF.tr, molecule: ingest }
molecules:
  - { name: ingest, stages: [transform, { capability: echo, bond: covalent }] }
EOF
}
make_conf echo ""
make_conf classify "$ROOT/configs/rules/bench-1k.rules"

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
huge_used() { awk '/^HugePages_Total/ {t=$2} /^HugePages_Free/ {f=$2} END {print t-f}' /proc/meminfo; }

# testpmd io-forward pcap -> null; Mpps from its per-second port stats.
run_testpmd() { # mix -> "mpps rss_kb huge_pages"
	local log=$TMP/testpmd-$1.log h0
	h0=$(huge_used)
	"$TESTPMD" "${MEM[@]}" --no-pci --lcores 0@0,1@1 --file-prefix "pfb-tp-$$" \
		--vdev "net_pcap0,rx_pcap=$TMP/$1.pcap,infinite_rx=1" --vdev net_null1,no-rx=1 \
		-- --no-flush-rx --forward-mode=io --stats-period 1 --auto-start \
		>"$log" 2>&1 </dev/null &
	local pid=$!
	PIDS+=("$pid")
	sleep $((SECONDS_RUN + 3))
	local rss hp
	rss=$(rss_kb $pid)
	hp=$(( $(huge_used) - h0 ))
	kill -INT $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	# Port 0's Rx-pps lines; skip the first two (start-up), average the rest.
	awk '/statistics for port 0/ {p0=1; next} /statistics for port/ {p0=0}
	     p0 && /Rx-pps:/ {n++; if (n > 2) {s += $2; k++}}
	     END {printf "%.3f", (k ? s / k : 0) / 1e6}' "$log"
	echo " $rss $hp"
}

# pf-dataplane; Mpps from two snapshots of its stats segment.
run_pf() { # mix -> "mpps rss_kb huge_pages"
	local log=$TMP/pf-$1.log h0
	h0=$(huge_used)
	"$DP" "${MEM[@]}" --no-pci --lcores 0@0,1@1 --file-prefix "pfb-pf-$$" \
		-- -c "$TMP/$1.conf" >"$log" 2>&1 </dev/null &
	local pid=$!
	PIDS+=("$pid")
	sleep 3
	local r0 t0 r1 t1 rss hp
	r0=$("$STATS" -s "$TMP/$1.stats" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["rx"])')
	t0=$(date +%s.%N)
	sleep "$SECONDS_RUN"
	r1=$("$STATS" -s "$TMP/$1.stats" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["rx"])')
	t1=$(date +%s.%N)
	rss=$(rss_kb $pid)
	hp=$(( $(huge_used) - h0 ))
	kill -INT $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	if ! grep -q 'invariant: rx == tx + drops' "$log"; then
		echo "bench-dataplane: pf-dataplane did not stop cleanly or broke the invariant:" >&2
		tail -5 "$log" >&2
		exit 1
	fi
	python3 -c "print('%.3f' % (($r1 - $r0) / ($t1 - $t0) / 1e6), end='')"
	echo " $rss $hp"
}

echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "memory mode: $([ $HUGE -eq 1 ] && echo hugepages || echo --no-huge), ${SECONDS_RUN}s per run"
read -r tp_a tp_a_rss tp_a_hp <<<"$(run_testpmd echo)"
read -r pf_a pf_a_rss pf_a_hp <<<"$(run_pf echo)"
read -r tp_b tp_b_rss tp_b_hp <<<"$(run_testpmd classify)"
read -r pf_b pf_b_rss pf_b_hp <<<"$(run_pf classify)"

ratio() { python3 -c "print('%.2f' % ($1 / $2 if $2 else 0))"; }
ra=$(ratio "$pf_a" "$tp_a")
rb=$(ratio "$pf_b" "$tp_b")
table=$(cat <<EOF
| mix | testpmd io-fwd Mpps | pf-dataplane Mpps | ratio | target | pf RSS MiB | testpmd RSS MiB | hugepages used (pf / testpmd) |
|---|---:|---:|---:|---:|---:|---:|---:|
| (a) header-routed echo | $tp_a | $pf_a | $ra | 0.6 | $((pf_a_rss / 1024)) | $((tp_a_rss / 1024)) | $pf_a_hp / $tp_a_hp |
| (b) Hyperscan, 1,000 rules | $tp_b | $pf_b | $rb | 0.3 | $((pf_b_rss / 1024)) | $((tp_b_rss / 1024)) | $pf_b_hp / $tp_b_hp |
EOF
)
echo "$table"

if [ $UPDATE_DOC -eq 1 ]; then
	python3 - "$table" "$SECONDS_RUN" "$HUGE" <<'EOF'
import datetime, platform, re, subprocess, sys
table, secs, huge = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
block = (f"<!-- BEGIN dataplane -->\n"
         f"Measured {datetime.date.today()} on {subprocess.getoutput('nproc')} CPUs ({cpu}), "
         f"{'hugepages' if huge else '--no-huge'}, {secs} s per run, with\n"
         f"`scripts/bench-dataplane.sh --seconds {secs}{' --huge' if huge else ''} --update-doc`:\n\n"
         f"{table}\n<!-- END dataplane -->")
path = "docs/benchmarks.md"
doc = open(path).read()
doc = re.sub(r"<!-- BEGIN dataplane -->.*<!-- END dataplane -->", lambda m: block, doc, flags=re.S)
open(path, "w").write(doc)
EOF
	echo "docs/benchmarks.md updated"
fi
