#!/usr/bin/env bash
# Benchmark: what a first visit to each route downloads (css + js + wasm of
# the release browser bundle, brotli quality 11), one row per route,
# against the SPEC's 150 KB budget, with each page's own HTML beside it.
# Builds the release bundle (scripts/bundle.sh) and the debug server,
# starts the demo on a throw-away database, measures with
# scripts/bundle-budget.mjs, and stops it. Prints figures; the test
# command runs the same measurement with --check.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --run
source scripts/env.sh
export RUSTFLAGS="--cfg erase_components"

PORT=${BENCH_PORT:-3300}
PG_PORT=${BENCH_PG_PORT:-5547}
scripts/bundle.sh >/dev/null
cargo leptos build >/dev/null 2>&1
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  EMBEDDED_PG_DIR=target/pg-bench EMBEDDED_PG_PORT=$PG_PORT "$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true
}
trap cleanup EXIT
EMBEDDED_PG_DIR=target/pg-bench EMBEDDED_PG_PORT=$PG_PORT "$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true
BIND_ADDR=127.0.0.1:$PORT DEV_MAIL_SINK_ADDR=127.0.0.1:$((PORT + 1)) \
  EMBEDDED_PG_DIR=target/pg-bench EMBEDDED_PG_PORT=$PG_PORT EMBEDDED_PG_EPHEMERAL=true \
  LOG_FORMAT=json RUST_LOG=warn "$TARGET_DIR/debug/server" serve --demo > target/bench-server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
  sleep 1
done
node scripts/bundle-budget.mjs "http://127.0.0.1:$PORT"
