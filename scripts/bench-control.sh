#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-control.sh: pf-control's API under wrk, against nginx serving static
# files of the same sizes on loopback in the same run (GET /metrics and GET
# /capabilities), then the delay from an API write to the dataplane's ACK.
#
#   scripts/bench-control.sh [BUILD_DIR]      (default: build)
#   BENCH_SECONDS=10 BENCH_CONNS=32 BENCH_THREADS=2 BENCH_WRITES=300
#
# Needs wrk and nginx (scripts/setup.sh installs them) and a built
# pf-dataplane and pf-control. Everything listens on 127.0.0.1 only and
# stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-32}
THREADS=${BENCH_THREADS:-2}
WRITES=${BENCH_WRITES:-300}

for t in wrk nginx python3; do
	command -v "$t" >/dev/null || { echo "bench-control: $t not found (scripts/setup.sh)" >&2; exit 77; }
done
DP=$BUILD/dataplane/pf-dataplane
PFC=$BUILD/control/pf-control
[ -x "$DP" ] && [ -x "$PFC" ] || { echo "bench-control: build $BUILD first" >&2; exit 77; }

T=$(mktemp -d /tmp/pf-bench-control.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A dataplane with some counters to show, and pf-control in front of it.
python3 - "$T/in.pcap" <<'EOF'
import sys
sys.path.insert(0, "tests/integration")
import pfpkt
pk = [pfpkt.udp_packet(pfpkt.request(1 + i % 2, [(pfpkt.F_DATA, b"bench")], session_id=7, seq=i))
      for i in range(1000)]
pfpkt.write_pcap(sys.argv[1], pk)
EOF
TOKEN=bench-admin-token-0123456789
printf '%s admin bench\n' "$TOKEN" >"$T/tokens"
chmod 600 "$T/tokens"
"$DP" --lcores 0@0,1@0,2@1 --file-prefix "pfbench$$" -- -c configs/default.conf \
	--port "p0=net_pcap0,rx_pcap=$T/in.pcap,tx_pcap=$T/out.pcap" \
	--stats "$T/stats" --control "$T/ctl.sock" >"$T/dp.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "running; SIGINT" "$T/dp.log" && break; sleep 0.1; done
PORT=$(free_port)
"$PFC" --config configs/default.conf --state-dir "$T/state" --listen "127.0.0.1:$PORT" \
	--tokens "$T/tokens" --control "$T/ctl.sock" --stats "$T/stats" >"$T/pfc.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/health" | grep -q '"synced":true' && break
	sleep 0.1
done

# nginx serves the same bytes as static files.
mkdir -p "$T/www" "$T/nginx"
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/metrics" >"$T/www/metrics"
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/capabilities" >"$T/www/capabilities"
NPORT=$(free_port)
cat >"$T/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
daemon off;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 1000000;
	default_type application/octet-stream;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 127.0.0.1:$NPORT;
		root $T/www;
	}
}
EOF
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NPORT/metrics" >/dev/null && break; sleep 0.1; done

run_wrk() { # URL -> "rps p50 p99"
	wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" "$1" |
		awk '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {print rps, p50, p99}'
}

echo "bench-control: wrk -t$THREADS -c$CONNS -d${SECS}s on loopback, $(nproc) CPUs, $(date -u +%F)"
printf '%-22s %8s %12s %10s %10s\n' "target" "bytes" "requests/s" "p50" "p99"
declare -A RPS
for path in metrics capabilities; do
	size=$(stat -c %s "$T/www/$path")
	read -r r1 a1 b1 <<<"$(run_wrk "http://127.0.0.1:$PORT/$path")"
	read -r r2 a2 b2 <<<"$(run_wrk "http://127.0.0.1:$NPORT/$path")"
	printf '%-22s %8s %12s %10s %10s\n' "pf-control /$path" "$size" "$r1" "$a1" "$b1"
	printf '%-22s %8s %12s %10s %10s\n' "nginx /$path" "$size" "$r2" "$a2" "$b2"
	RPS[$path]=$(python3 -c "print('%.2f' % ($r1 / $r2))")
	echo "  ratio pf-control / nginx on /$path: ${RPS[$path]}x (target >= 0.5x)"
done

# The delay from an API write to the dataplane applying it: pf-control's own
# measure (request received -> ACK after the RCU publication), and what the
# client sees (that plus the fsyncs that make the write durable).
python3 - "$PORT" "$TOKEN" "$WRITES" <<'EOF'
import http.client, json, sys, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
lat = []
for i in range(n):
    body = json.dumps({"balance": ("least-loaded", "round-robin")[i % 2]})
    t = time.perf_counter()
    c.request("PATCH", "/policy/groups/DF", body, h)
    r = c.getresponse()
    d = json.loads(r.read())
    lat.append(time.perf_counter() - t)
    assert r.status == 200 and d["applied"], d
lat.sort()
c.request("GET", "/metrics", headers=h)
m = {}
for line in c.getresponse().read().decode().splitlines():
    if line.startswith("packetflow_control_apply_seconds{"):
        q = line.split('quantile="')[1].split('"')[0]
        m[q] = float(line.rsplit(" ", 1)[1])
print("API write -> dataplane ACK over %d writes (PATCH /policy/groups/DF):" % n)
print("  pf-control measured (request in -> ACK): p50 %.2f ms, p99 %.2f ms"
      % (m.get("0.5", 0) * 1e3, m.get("0.99", 0) * 1e3))
print("  client round trip (ACK + durable write): p50 %.2f ms, p99 %.2f ms, max %.2f ms"
      % (lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3, lat[-1] * 1e3))
EOF
