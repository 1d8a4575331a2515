#!/usr/bin/env bash
# Benchmark (issue 17, SPEC §6): the server's resident memory, idle and
# with 1,000 open connections (target <= 30 MB with them open).
#
# Starts the server on a throw-away cluster with the demo data, reads its
# RSS from /proc after start-up, after a warm-up of every kind of request
# (a page, the API, a static file), and while CONNS clients each hold a
# keep-alive connection open after one request, all at once.
#
# Usage: scripts/bench/memory.sh [CONNS=1000]
#   BENCH_PROFILE=release (default) or debug; BENCH_BIN=path.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
CONNS=${1:-1000}
PORT=${BENCH_PORT:-3304}
PG_PORT=${BENCH_PG_PORT:-5553}
MERCY=de000000-0000-4000-8000-000000000201

source scripts/bench/lib.sh
bench_bin
ulimit -n 8192

bench_serve memory "$PORT" "$PG_PORT" "${BENCH_SMTP_PORT:-2535}"
# "total heap-and-stacks binary-and-libraries" in MB: VmRSS, RssAnon and
# RssFile (the mapped executable's pages count, though they are shared and
# the kernel can drop them).
rss() {
  awk '/^VmRSS/ { t = $2 } /^RssAnon/ { a = $2 } /^RssFile/ { f = $2 }
       END { printf "%.1f %.1f %.1f", t / 1024, a / 1024, f / 1024 }' "/proc/$server_pid/status"
}
sleep 2
idle=$(rss)

"$BIN" api-key limits --org "$MERCY" --per-minute 100000 --per-day 100000000 >/dev/null
KEY=$("$BIN" api-key create --org "$MERCY" --name "memory benchmark" 2>/dev/null | tail -n 1)
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "$BASE/trust"
  curl -fsS -o /dev/null "$BASE/login"
  curl -fsS -o /dev/null -H "Authorization: Bearer $KEY" "$BASE/api/v1/fhir/ServiceRequest?_count=50"
done
warm=$(rss)

# CONNS keep-alive connections, each after one request, all held open
# while the RSS is read.
held=$(python3 - "$PORT" "$CONNS" "$server_pid" <<'PY'
import socket, sys, time
port, conns, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for _ in range(conns):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    socks.append(s)
answered = 0
for s in socks:
    s.settimeout(30)
    if s.recv(4096).startswith(b"HTTP/1.1 200"):
        answered += 1
time.sleep(1)
with open(f"/proc/{pid}/status") as f:
    status = dict(l.split(":", 1) for l in f)
mb = lambda k: int(status[k].split()[0]) / 1024
print(f"{mb('VmRSS'):.1f} {mb('RssAnon'):.1f} {mb('RssFile'):.1f} {answered}")
for s in socks:
    s.close()
PY
)
read -r with_conns with_anon with_file answered <<<"$held"
sleep 2
after=$(rss)
row() { read -r t a f <<<"$2"; echo "| $1 | $t | $a | $f |"; }

echo "Server RSS ($(basename "$(dirname "$BIN")") build, $(nproc) cores)"
echo
echo "| state | RSS MB | heap and stacks (anon) | executable and libraries (file) |"
echo "|---|---|---|---|"
row "started, idle" "$idle"
row "after 150 requests (pages, FHIR search)" "$warm"
row "$CONNS keep-alive connections open ($answered answered 200)" "$with_conns $with_anon $with_file"
row "connections closed" "$after"
echo
python3 -c "import sys; v=float(sys.argv[1]); print(f'with {sys.argv[2]} connections: {v:.1f} MB (target <= 30)')" "$with_conns" "$CONNS"
