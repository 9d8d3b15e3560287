# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-lib.sh: helpers the bench-*.sh scripts source -- process tracking and
# clean stops, pcap replays through testpmd io-forward and pf-dataplane, the
# CPU share of a forwarding lcore, and rewriting a section of the docs.
#
# Source it from the repository root after `set -euo pipefail`:
#   . scripts/bench-lib.sh
#   bench_init NAME        # scratch dir $BENCH_TMP, EXIT trap that stops everything
#
# Every DPDK process gets its own --file-prefix (its /var/run/dpdk dir is
# removed at the end) and is stopped by its own pid, never by name.

# The TP_* and PF_* variables are the replay functions' results.
# shellcheck disable=SC2034
BENCH_PIDS=()
BENCH_PREFIXES=()
BENCH_TMP=

# One line naming the machine: "2 CPUs (AMD EPYC)".
bench_machine() {
	echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
}

# What the binaries of build dir BUILD were built from: "commit abc1234
# (clean)", or with the files that differed from it (docs/ aside, which the
# benchmarks write), so that a figure is never taken for a commit's when
# the work tree held someone's uncommitted changes.
bench_source() { # build
	local src dirty
	src=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["directories"]["source"])' \
		"$1/meson-info/meson-info.json" 2>/dev/null) || { echo "sources unknown"; return 0; }
	if ! git -C "$src" rev-parse --short HEAD >/dev/null 2>&1; then
		echo "sources of $src (not a git checkout)"
		return 0
	fi
	dirty=$(git -C "$src" status --porcelain --untracked-files=no -- . ':!docs' | awk '{print $2}' |
		head -8 | paste -sd, -)
	if [ -z "$dirty" ]; then
		echo "commit $(git -C "$src" rev-parse --short HEAD) (clean)"
	else
		echo "commit $(git -C "$src" rev-parse --short HEAD) with uncommitted changes to $dirty"
	fi
}

# Load average (1, 5, 15 min) now.
bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

# Scratch dir, and traps that stop every process this script started. On
# SIGINT the script then dies of SIGINT itself, so that a calling shell
# (scripts/bench.sh) stops too instead of taking it for handled.
bench_init() { # name
	BENCH_TMP=$(mktemp -d "/tmp/pf-bench-$1.XXXXXX")
	trap bench_cleanup EXIT
	trap 'bench_cleanup; trap - INT; kill -INT $$' INT
	trap 'exit 143' TERM
}

bench_cleanup() {
	local p
	for p in "${BENCH_PIDS[@]:-}"; do [ -n "$p" ] && bench_stop "$p" 2>/dev/null; done
	for p in "${BENCH_PREFIXES[@]:-}"; do [ -n "$p" ] && rm -rf "/var/run/dpdk/$p"; done
	[ -n "$BENCH_TMP" ] && [ "${BENCH_KEEP:-0}" != 1 ] && rm -rf "$BENCH_TMP"
	BENCH_PIDS=()
	BENCH_PREFIXES=()
	return 0
}

# A --file-prefix of its own for one DPDK process, in BENCH_PREFIX (not
# printed: a $(...) subshell could not record it for the cleanup).
bench_prefix() { # what
	BENCH_PREFIX="pfb-$1-$$-${#BENCH_PREFIXES[@]}"
	BENCH_PREFIXES+=("$BENCH_PREFIX")
}

# SIGINT, up to 20 s to finish (pf-dataplane drains its rings), then SIGKILL.
bench_stop() { # pid
	kill -INT "$1" 2>/dev/null || return 0
	for _ in $(seq 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Wait until FILE contains TEXT (a process's log), PID alive; 1 on timeout.
bench_wait_log() { # file text seconds pid
	for _ in $(seq $(($3 * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Thread id of the thread named NAME of process PID (nothing if none).
# EAL names lcore N's thread rte-worker-N.
bench_thread_tid() { # pid name
	local t
	for t in /proc/"$1"/task/*; do
		if [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ]; then
			basename "$t"
			return 0
		fi
	done
}

# Nanoseconds the thread named NAME of process PID has run on a CPU
# (/proc/PID/task/TID/schedstat).
bench_thread_ns() { # pid name
	local tid
	tid=$(bench_thread_tid "$1" "$2")
	if [ -n "$tid" ]; then
		cut -d' ' -f1 "/proc/$1/task/$tid/schedstat"
	else
		echo 0
	fi
}

bench_rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
bench_huge_used() { awk '/^HugePages_Total/ {t=$2} /^HugePages_Free/ {f=$2} END {print t-f}' /proc/meminfo; }

# A pf-dataplane config replaying PCAP on one lcore (1) that receives and
# runs every group to completion; answers leave through the same pcap port
# (dropped by the PMD, like testpmd's net_null). RULES may be empty;
# CACHE, when given, sets dataplane.classify_cache (0: Hyperscan scans every
# request; the default remembers 4096 verdicts per lcore by intent text).
# Echo takes payloads up to 1,500 bytes: the default max_payload (1,400)
# would answer the payload benchmark's largest data TLV (1,400 bytes, a
# 1,404-byte payload) with payload_too_large errors.
bench_replay_conf() { # conf pcap rules [cache]
	local base=${1%.conf}
	cat >"$1" <<EOF
dataplane:
  stats_segment: $base.stats
  control_socket: $base.sock
  rules: "$3"
  idle: poll
${4:+  classify_cache: $4}
memory: { mbufs: 16383, ring_size: 4096 }
ports:
  - { name: p0, device: "net_pcap0,rx_pcap=$2,infinite_rx=1", rx_lcores: [1] }
groups:
  CF: { lcores: [1] }
  DF: { lcores: [1] }
  ED: { lcores: [1] }
  CO: { lcores: [1], replicate: 1 }
  MC: { lcores: [1] }
  RM: { lcores: [1] }
capabilities:
  - { id: 1, name: echo, element: CF.seq, requires: [data], provides: [data], max_payload: 1500 }
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

# EAL memory options: BENCH_HUGE=1 for hugepages, else --no-huge.
bench_mem() {
	if [ "${BENCH_HUGE:-0}" = 1 ]; then echo "-m 1024"; else echo "--no-huge -m 1024"; fi
}

# testpmd io-forward on PCAP (bench_testpmd_start). Measures for SECS after
# 3 s of start-up. Sets TP_MPPS (mean of its per-second Rx-pps lines in the
# window), TP_CPU (% of the window its forwarding lcore was on a CPU),
# TP_RSS_KB, TP_HP (hugepages it took). testpmd prints once a second: a
# window under 2 s may hold no line, and then the last line printed counts.
# Start testpmd io-forward, PCAP (net_pcap infinite_rx) -> net_null, one
# forwarding lcore on CPU 1, main lcore on CPU 0, printing its rates once a
# second into LOG. Sets BENCH_PID.
bench_testpmd_start() { # pcap log
	bench_prefix tp
	# shellcheck disable=SC2046
	stdbuf -oL dpdk-testpmd $(bench_mem) --no-pci --lcores 0@0,1@1 --file-prefix "$BENCH_PREFIX" \
		--vdev "net_pcap0,rx_pcap=$1,infinite_rx=1" --vdev net_null1,no-rx=1 \
		-- --no-flush-rx --forward-mode=io --stats-period 1 --auto-start \
		>"$2" 2>&1 </dev/null &
	BENCH_PID=$!
	BENCH_PIDS+=("$BENCH_PID")
}

# Start pf-dataplane with CONF (bench_replay_conf), same lcores as testpmd,
# and wait until it runs. Sets BENCH_PID; fails if it did not start.
bench_pf_start() { # conf log build
	bench_prefix pf
	# shellcheck disable=SC2046
	"$3/dataplane/pf-dataplane" $(bench_mem) --no-pci --lcores 0@0,1@1 \
		--file-prefix "$BENCH_PREFIX" -- -c "$1" >"$2" 2>&1 </dev/null &
	BENCH_PID=$!
	BENCH_PIDS+=("$BENCH_PID")
	if ! bench_wait_log "$2" "running; SIGINT" 120 "$BENCH_PID"; then
		echo "bench: pf-dataplane did not start:" >&2
		tail -5 "$2" >&2
		return 1
	fi
}

bench_testpmd_pcap() { # pcap secs log
	local h0 pid n0 n1 t0 t1 lines0
	h0=$(bench_huge_used)
	bench_testpmd_start "$1" "$3"
	pid=$BENCH_PID
	sleep 3
	lines0=$(grep -c 'Rx-pps:' "$3" || true)
	n0=$(bench_thread_ns "$pid" rte-worker-1)
	t0=$(date +%s%N)
	sleep "$2"
	n1=$(bench_thread_ns "$pid" rte-worker-1)
	t1=$(date +%s%N)
	TP_RSS_KB=$(bench_rss_kb "$pid")
	TP_HP=$(($(bench_huge_used) - h0))
	bench_stop "$pid"
	TP_CPU=$(python3 -c "print('%.0f' % (100.0 * ($n1 - $n0) / ($t1 - $t0)))")
	# Port 0's Rx-pps lines printed during the window (2 ports a period).
	TP_MPPS=$(awk -v skip="$lines0" '/statistics for port 0/ {p0=1; next} /statistics for port/ {p0=0}
		/Rx-pps:/ {n++} p0 && /Rx-pps:/ {last = $2} p0 && /Rx-pps:/ && n > skip {s += $2; k++}
		END {printf "%.3f", (k ? s / k : last) / 1e6}' "$3")
}

# Frames pf-dataplane received so far, from its stats segment.
bench_pf_rx() { # build stats
	"$1/dataplane/pf-stats" -s "$2" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["rx"])'
}

# pf-dataplane with CONF (bench_replay_conf), same lcores as testpmd above.
# Measures for SECS from 1 s after it says it runs (a large ruleset takes
# seconds to compile). Sets PF_MPPS (from two snapshots of its stats
# segment), PF_CPU, PF_RSS_KB, PF_HP. Fails unless it stops cleanly with
# rx == tx + drops.
bench_pf_pcap() { # conf secs log build
	local h0 pid r0 r1 t0 t1 n0 n1 stats=${1%.conf}.stats
	h0=$(bench_huge_used)
	bench_pf_start "$1" "$3" "$4" || return 1
	pid=$BENCH_PID
	sleep 1
	r0=$(bench_pf_rx "$4" "$stats")
	n0=$(bench_thread_ns "$pid" rte-worker-1)
	t0=$(date +%s%N)
	sleep "$2"
	r1=$(bench_pf_rx "$4" "$stats")
	n1=$(bench_thread_ns "$pid" rte-worker-1)
	t1=$(date +%s%N)
	PF_RSS_KB=$(bench_rss_kb "$pid")
	PF_HP=$(($(bench_huge_used) - h0))
	bench_stop "$pid"
	if ! grep -q 'invariant: rx == tx + drops' "$3"; then
		echo "bench: pf-dataplane did not stop cleanly or broke the invariant:" >&2
		tail -5 "$3" >&2
		return 1
	fi
	PF_MPPS=$(python3 -c "print('%.3f' % (($r1 - $r0) / (($t1 - $t0) / 1e9) / 1e6))")
	PF_CPU=$(python3 -c "print('%.0f' % (100.0 * ($n1 - $n0) / ($t1 - $t0)))")
}

# One row of scripts/bench.sh's summary of targets, appended to the file
# $BENCH_SUMMARY when bench.sh set it (nothing otherwise).
bench_summary() { # section what target measured verdict
	[ -n "${BENCH_SUMMARY:-}" ] || return 0
	echo "| $1 | $2 | $3 | $4 | $5 |" >>"$BENCH_SUMMARY"
}

# "met" when a >= b, else "missed".
bench_verdict() { python3 -c "print('met' if $1 >= $2 else 'missed')"; }

# a / b with 2 decimals (0 when b is 0).
bench_ratio() { python3 -c "print('%.2f' % ($1 / $2 if $2 else 0))"; }

# Replace what lies between <!-- BEGIN NAME --> and <!-- END NAME --> in
# DOC with the contents of FILE; fails if the markers are missing.
bench_update_doc() { # doc name file
	python3 - "$1" "$2" "$3" <<'EOF'
import re, sys
doc_path, name, body_path = sys.argv[1:]
doc = open(doc_path).read()
body = open(body_path).read().rstrip("\n")
pat = re.compile(r"<!-- BEGIN %s -->\n.*?<!-- END %s -->" % (re.escape(name), re.escape(name)), re.S)
if not pat.search(doc):
    sys.exit("bench: %s has no <!-- BEGIN %s --> ... <!-- END %s --> section" % (doc_path, name, name))
doc = pat.sub(lambda m: "<!-- BEGIN %s -->\n%s\n<!-- END %s -->" % (name, body, name), doc, count=1)
open(doc_path, "w").write(doc)
EOF
}
