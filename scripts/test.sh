#!/usr/bin/env bash
# Runs every check and test: formatting, clippy for the server and the wasm
# build, unit and integration tests against a real PostgreSQL, the
# end-to-end journeys in Chromium (with JavaScript on and off) against a
# freshly started server, and the per-route size budget of the release
# browser bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh

# cargo-leptos builds debug code with `--cfg erase_components` (smaller
# types, faster builds); clippy and the tests use the same flags so all
# three share one set of compiled dependencies instead of building twice.
export RUSTFLAGS="--cfg erase_components"

E2E_PORT=${E2E_PORT:-3100}
# The throw-away clusters' ports; override when another checkout on this
# machine is running its tests at the same time.
export TEST_PG_PORT=${TEST_PG_PORT:-5544}
E2E_PG_PORT=${E2E_PG_PORT:-5545}
server_pid=""
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  # The test clusters are throw-away: remove them, data and all.
  if [ -x "$TARGET_DIR/debug/server" ]; then
    EMBEDDED_PG_DIR=target/pg-test EMBEDDED_PG_PORT=$TEST_PG_PORT \
      "$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true
    EMBEDDED_PG_DIR=target/pg-e2e EMBEDDED_PG_PORT=$E2E_PG_PORT \
      "$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

step "formatting"
cargo fmt --all --check

step "supply chain: licences, banned crates, sources (cargo deny, deny.toml)"
# Advisories are not checked here: they need the RustSec database from
# GitHub, which this machine cannot reach.
cargo deny --locked check --hide-inclusion-graph licenses bans sources

step "clippy: server and app (ssr)"
# One invocation, so both crates see one feature set and share artefacts.
cargo clippy -p server -p app --all-targets --features app/ssr -- -D warnings

step "clippy: browser (hydrate, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "build: server and hydrate bundle (cargo leptos)"
cargo leptos build

step "build: the release browser bundle (wasm-release, wasm-bindgen, wasm-opt) for the size budget"
# Sizes are measured on what a release serves; the server is not built in
# release for it (scripts/bundle.sh says how).
scripts/bundle.sh >/dev/null

step "unit and integration tests (real PostgreSQL, as the application role)"
# A fresh throw-away test cluster each run.
EMBEDDED_PG_DIR=target/pg-test EMBEDDED_PG_PORT=$TEST_PG_PORT "$TARGET_DIR/debug/server" db destroy
cargo test -p server -p app --features app/ssr

step "compile-time SQL data (.sqlx/) matches the queries and migrations"
EMBEDDED_PG_DIR=target/pg-test EMBEDDED_PG_PORT=$TEST_PG_PORT scripts/sqlx-prepare.sh --check

step "reliability drill: PostgreSQL crashes and restarts under a write load"
# About 40 s; the other drills that fit in a minute are in server/tests/drills.rs.
DRILL_BIN="$TARGET_DIR/debug/server" scripts/drill/pg-restart.sh

step "end-to-end journeys in Chromium"
EMBEDDED_PG_DIR=target/pg-e2e EMBEDDED_PG_PORT=$E2E_PG_PORT "$TARGET_DIR/debug/server" db destroy
BIND_ADDR=127.0.0.1:$E2E_PORT DEV_MAIL_SINK_ADDR=127.0.0.1:${E2E_SMTP_PORT:-2526} \
  EMBEDDED_PG_DIR=target/pg-e2e EMBEDDED_PG_PORT=$E2E_PG_PORT EMBEDDED_PG_EPHEMERAL=true \
  WEBHOOKS_ALLOW_LOOPBACK=true LOG_FORMAT=json RUST_LOG=warn \
  "$TARGET_DIR/debug/server" serve --demo > target/e2e-server.log 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$E2E_PORT/api/v1/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server exited; its log:"; cat target/e2e-server.log; exit 1
  fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$E2E_PORT/api/v1/health" >/dev/null
# A live key for the demo referring organization (made with the operator's
# command: platform administrators make no keys for another organization),
# with limits the OpenAPI checks cannot exhaust; the rate limiter itself is
# tested in the integration tests. The FHIR journey uses it too.
fuzz_org=de000000-0000-4000-8000-000000000201
EMBEDDED_PG_DIR=target/pg-e2e EMBEDDED_PG_PORT=$E2E_PG_PORT \
  "$TARGET_DIR/debug/server" api-key limits --org "$fuzz_org" --per-minute 100000 --per-day 10000000 >/dev/null
fuzz_key=$(EMBEDDED_PG_DIR=target/pg-e2e EMBEDDED_PG_PORT=$E2E_PG_PORT \
  "$TARGET_DIR/debug/server" api-key create --org "$fuzz_org" --name "OpenAPI checks" 2>/dev/null | tail -n 1)
# And one for the demo clinic: its EHR reads its patients, visits and vitals.
clinic_key=$(EMBEDDED_PG_DIR=target/pg-e2e EMBEDDED_PG_PORT=$E2E_PG_PORT \
  "$TARGET_DIR/debug/server" api-key create --org de000000-0000-4000-8000-000000000101 --name "EHR" 2>/dev/null | tail -n 1)

if ! (cd end2end && E2E_MERCY_KEY="$fuzz_key" E2E_RIVERBEND_KEY="$clinic_key" BASE_URL="http://127.0.0.1:$E2E_PORT" npx playwright test); then
  echo "end-to-end tests failed; the server's log ends:"
  tail -n 50 target/e2e-server.log
  exit 1
fi

step "size budget: what a first visit to each route downloads (release bundle, brotli) <= 150 KB"
# Deterministic sizes, not timings: every route of the app is fetched as
# the user who sees it and the css, js and wasm it loads are measured.
node scripts/bundle-budget.mjs "http://127.0.0.1:$E2E_PORT" --check

step "OpenAPI document: valid (openapi-spec-validator), and a client generated from it works"
# The document as served, kept in target/ to read when a check fails.
curl -fsS "http://127.0.0.1:$E2E_PORT/api/v1/openapi.json" -o target/openapi.json
tools/venv/bin/openapi-spec-validator target/openapi.json
if ! tools/venv/bin/python scripts/openapi-client-check.py target/openapi.json \
    "http://127.0.0.1:$E2E_PORT/api/v1" "$fuzz_key"; then
  echo "the generated client failed; the server's log ends:"
  tail -n 50 target/e2e-server.log
  exit 1
fi

step "OpenAPI fuzz run (schemathesis): no server errors, responses as documented"
if ! tools/venv/bin/schemathesis run "http://127.0.0.1:$E2E_PORT/api/v1/openapi.json" \
    --header "Authorization: Bearer $fuzz_key" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance \
    --max-examples 50 --seed 1 --no-color; then
  echo "the fuzz run failed; the server's log ends:"
  tail -n 50 target/e2e-server.log
  exit 1
fi

step "PHI canaries: no demo patient's name or clinical note in the server's log of the whole run"
# The end-to-end journeys, the size budget, the generated client and the
# fuzz run all went through this server: its log must name no patient.
canaries=$(grep -v '^#' end2end/phi-canaries.txt | grep -v '^$')
if printf '%s\n' "$canaries" | grep -F -f - target/e2e-server.log >/dev/null; then
  echo "PHI found in the server's log:"
  printf '%s\n' "$canaries" | grep -n -F -f - target/e2e-server.log | cut -c1-200
  exit 1
fi
echo "$(printf '%s\n' "$canaries" | wc -l) canaries, none in $(wc -l < target/e2e-server.log) log lines"

step "all checks passed"
