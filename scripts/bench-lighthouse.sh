#!/usr/bin/env bash
# Lighthouse on a phone against what a release serves: builds the release
# browser bundle (scripts/bundle.sh) and the debug server, lays out a site
# directory whose /pkg is the release bundle, starts the demo on a
# throw-away database with that site, and runs scripts/lighthouse.sh
# (performance, accessibility, LCP, TBT, CLS per page). The server's own
# code being a debug build barely matters here (pages answer in a few
# milliseconds); the wasm, scripts and styles are what a release ships.
# These are the figures the README quotes. Extra arguments (--check) go
# to scripts/lighthouse.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --run
source scripts/env.sh
export RUSTFLAGS="--cfg erase_components"

PORT=${BENCH_PORT:-3400}
PG_PORT=${BENCH_PG_PORT:-5548}
scripts/bundle.sh >/dev/null
cargo leptos build >/dev/null 2>&1
site=target/lighthouse-site
rm -rf "$site" && mkdir -p "$site"
cp -r target/site/. "$site/"
cp target/bundle/carethread.wasm target/bundle/carethread.js target/bundle/carethread.css "$site/pkg/"

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  EMBEDDED_PG_DIR=target/pg-lighthouse EMBEDDED_PG_PORT=$PG_PORT "$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true
}
trap cleanup EXIT
EMBEDDED_PG_DIR=target/pg-lighthouse EMBEDDED_PG_PORT=$PG_PORT "$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true
LEPTOS_SITE_ROOT=$site BIND_ADDR=127.0.0.1:$PORT DEV_MAIL_SINK_ADDR=127.0.0.1:$((PORT + 1)) \
  EMBEDDED_PG_DIR=target/pg-lighthouse EMBEDDED_PG_PORT=$PG_PORT EMBEDDED_PG_EPHEMERAL=true \
  LOG_FORMAT=json RUST_LOG=warn "$TARGET_DIR/debug/server" serve --demo > target/lighthouse-server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
  sleep 1
done
scripts/lighthouse.sh "http://127.0.0.1:$PORT" "$@"
