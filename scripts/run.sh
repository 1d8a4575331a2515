#!/usr/bin/env bash
# Runs Carethread at http://127.0.0.1:3000 with its own embedded PostgreSQL
# (under target/pg) and the demo data. Ctrl-C stops the server and the
# database. Demo organizations and accounts are created on first start
# (the README lists them); mail goes to a local SMTP sink readable at
# /dev/mail. CARETHREAD_RELEASE=1 builds an optimised release instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --run
source scripts/env.sh

if [ -n "${CARETHREAD_RELEASE:-}" ]; then
  cargo leptos build --release
  profile=release
else
  cargo leptos build
  profile=debug
fi
# The demo is for trying things on this machine: webhooks may go to a
# receiver on loopback (never allowed in production).
export WEBHOOKS_ALLOW_LOOPBACK=${WEBHOOKS_ALLOW_LOOPBACK:-true}
echo
echo "Starting Carethread at ${PUBLIC_URL:-http://127.0.0.1:3000} (Ctrl-C to stop)"
exec "$TARGET_DIR/$profile/server" serve --demo
