#!/usr/bin/env bash
# Measures a signed-in page's latency while a flood of bad sign-ins arrives
# (SPEC §6: figures against a baseline from the same run, never a timed
# test). Starts its own server on a throw-away cluster with the demo data,
# trusting loopback as a proxy so the flood comes "from" many addresses.
# Usage: scripts/bench/sign-in-flood.sh [FLOOD=200] [LOADS=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
export RUSTFLAGS="--cfg erase_components"
cargo build -q -p server
PORT=${BENCH_PORT:-3300}
export EMBEDDED_PG_DIR=target/pg-bench EMBEDDED_PG_PORT=${BENCH_PG_PORT:-5547} EMBEDDED_PG_EPHEMERAL=true
BIND_ADDR=127.0.0.1:$PORT DEV_MAIL_SINK_ADDR=127.0.0.1:${BENCH_SMTP_PORT:-2528} \
  TRUSTED_PROXIES=127.0.0.1 LOG_FORMAT=json RUST_LOG=error \
  "$TARGET_DIR/debug/server" serve --demo > target/bench-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; "$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
  sleep 1
done
python3 scripts/bench/sign-in-flood.py "http://127.0.0.1:$PORT" director@riverbend.example \
  carethread-demo-2026 "${1:-200}" "${2:-20}"
