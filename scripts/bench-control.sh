#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-control.sh: pf-control's API under wrk, against nginx serving static
# files of the same sizes on loopback in the same run (GET /metrics and GET
# /capabilities), then the delay from an API write to the dataplane's ACK,
# against the same-run floor of what that write needs: an HTTP round trip
# on the same connection, and a durable file replace (write, fsync, rename,
# fsync of the directory) in the same state directory.
#
#   scripts/bench-control.sh [BUILD_DIR]      (default: build)
#   BENCH_SECONDS=10 BENCH_CONNS=32 BENCH_THREADS=2 BENCH_WRITES=300
#
# Prints Markdown tables on stdout (scripts/bench.sh puts them in
# docs/benchmarks.md). Needs wrk and nginx (scripts/setup.sh installs them)
# and a built pf-dataplane and pf-control. Everything listens on 127.0.0.1
# only and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
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
if [ ! -x "$DP" ] || [ ! -x "$PFC" ]; then echo "bench-control: build $BUILD first" >&2; exit 77; fi

bench_init control
T=$BENCH_TMP

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
bench_prefix control
"$DP" --lcores 0@0,1@0,2@1 --file-prefix "$BENCH_PREFIX" -- -c configs/default.conf \
	--port "p0=net_pcap0,rx_pcap=$T/in.pcap,tx_pcap=$T/out.pcap" \
	--stats "$T/stats" --control "$T/ctl.sock" >"$T/dp.log" 2>&1 &
BENCH_PIDS+=($!)
for _ in $(seq 100); do grep -q "running; SIGINT" "$T/dp.log" && break; sleep 0.1; done
PORT=$(free_port)
"$PFC" --config configs/default.conf --state-dir "$T/state" --listen "127.0.0.1:$PORT" \
	--tokens "$T/tokens" --control "$T/ctl.sock" --stats "$T/stats" >"$T/pfc.log" 2>&1 &
BENCH_PIDS+=($!)
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
BENCH_PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NPORT/metrics" >/dev/null && break; sleep 0.1; done

run_wrk() { # URL -> "rps p50 p99"
	wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" "$1" |
		awk '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {print rps, p50, p99}'
}

echo "bench-control: wrk -t$THREADS -c$CONNS -d${SECS}s on loopback, $(bench_machine), $(date -u +%F)" >&2
echo "| GET | body bytes | pf-control requests/s | p50 | p99 | nginx requests/s (baseline) | p50 | p99 | ratio | target |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for path in metrics capabilities; do
	size=$(stat -c %s "$T/www/$path")
	read -r r1 a1 b1 <<<"$(run_wrk "http://127.0.0.1:$PORT/$path")"
	read -r r2 a2 b2 <<<"$(run_wrk "http://127.0.0.1:$NPORT/$path")"
	ratio=$(bench_ratio "$r1" "$r2")
	met=$(bench_verdict "$ratio" 0.5)
	echo "| /$path | $size | $r1 | $a1 | $b1 | $r2 | $a2 | $b2 | $ratio | >= 0.5 ($met) |"
	bench_summary control "GET /$path: pf-control / nginx requests/s" ">= 0.5" "$ratio ($r1 / $r2)" "$met"
	echo "bench-control: /$path: pf-control $r1/s, nginx $r2/s, ratio $ratio" >&2
done
echo

# The delay from an API write to the dataplane applying it: pf-control's own
# measure (request received -> ACK after the RCU publication), and what the
# client sees (that plus the fsyncs that make the write durable); beside
# them, measured now: a GET /health round trip on the same connection, and
# the durable replace of a file of the state's size in the state directory.
python3 - "$PORT" "$TOKEN" "$WRITES" "$T/state" <<'EOF'
import http.client, json, os, sys, time
port, token, n, state = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}


def q(lat):
    lat = sorted(lat)
    return lat[len(lat) // 2] * 1e3, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3, lat[-1] * 1e3


lat, get = [], []
for i in range(n):
    body = json.dumps({"balance": ("least-loaded", "round-robin")[i % 2]})
    t = time.perf_counter()
    c.request("PATCH", "/policy/groups/DF", body, h)
    r = c.getresponse()
    d = json.loads(r.read())
    lat.append(time.perf_counter() - t)
    assert r.status == 200 and d["applied"], d
    t = time.perf_counter()
    c.request("GET", "/health", headers=h)
    r = c.getresponse()
    r.read()
    get.append(time.perf_counter() - t)
c.request("GET", "/metrics", headers=h)
m = {}
for line in c.getresponse().read().decode().splitlines():
    if line.startswith("packetflow_control_apply_seconds{"):
        qq = line.split('quantile="')[1].split('"')[0]
        m[qq] = float(line.rsplit(" ", 1)[1])
# A durable replace of a file the size of the largest state file.
size = max((os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(state) for f in fs),
           default=4096)
dfd = os.open(state, os.O_RDONLY | os.O_DIRECTORY)
dur, blob = [], os.urandom(size)
for i in range(n):
    t = time.perf_counter()
    fd = os.open(os.path.join(state, "bench.tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, blob)
    os.fsync(fd)
    os.close(fd)
    os.rename(os.path.join(state, "bench.tmp"), os.path.join(state, "bench.dat"))
    os.fsync(dfd)
    dur.append(time.perf_counter() - t)
os.close(dfd)
print("| API write -> dataplane ACK, %d writes of PATCH /policy/groups/DF | p50 ms | p99 ms | max ms |" % n)
print("|---|---:|---:|---:|")
print("| pf-control's own measure (request in -> ACK after the RCU publication) | %.2f | %.2f | - |"
      % (m.get("0.5", 0) * 1e3, m.get("0.99", 0) * 1e3))
print("| client round trip (ACK + durable write) | %.2f | %.2f | %.2f |" % q(lat))
print("| baseline: GET /health round trip, same connection | %.2f | %.2f | %.2f |" % q(get))
print("| baseline: durable replace of a %d-byte file in the state directory "
      "(write, fsync, rename, fsync dir) | %.2f | %.2f | %.2f |" % ((size,) + q(dur)))
EOF
