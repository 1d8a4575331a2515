#!/usr/bin/env bash
# Benchmark: referral matching over 100,000 generated clinicians (SPEC §6:
# <= 20 ms per match). Runs the real matching query as a referrer, through
# the application's principal transaction and row-level security, on a
# throw-away embedded cluster under target/pg-bench. Prints figures; it is
# not a test and never fails on time.
# Usage: scripts/bench-matching.sh [clinicians] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --run
source scripts/env.sh
export RUSTFLAGS="--cfg erase_components"
CLINICIANS=${1:-100000}
RUNS=${2:-200}

cargo build -q -p server
export EMBEDDED_PG_DIR=target/pg-bench EMBEDDED_PG_PORT=5547 EMBEDDED_PG_EPHEMERAL=true
trap '"$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true' EXIT
"$TARGET_DIR/debug/server" db destroy >/dev/null 2>&1 || true
LOG_FORMAT=json RUST_LOG=warn "$TARGET_DIR/debug/server" bench-matching --clinicians "$CLINICIANS" --runs "$RUNS"
