#!/usr/bin/env bash
# Drill (issue 17): two server processes on one database behind a
# round-robin proxy (scripts/drill/round-robin.py: each request to the next
# process), and the whole end-to-end suite run through the proxy. It passes
# only if nothing a journey relies on lives in one process's memory:
# sessions, CSRF, throttles, rate counts, jobs and the audit chain.
#
# Both processes run their job runners. The first runs the development
# mail sink; the second sends its mail there over SMTP (SMTP_URL), and the
# proxy sends `/dev/mail` to the first, the sink's only reader.
#
# Usage: scripts/drill/two-servers.sh   (about as long as the journeys;
# needs `cargo leptos build` done, as scripts/test.sh does before them)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
PROXY_PORT=${DRILL_PROXY_PORT:-3210}
A_PORT=${DRILL_A_PORT:-3211}
B_PORT=${DRILL_B_PORT:-3212}
SINK_PORT=${DRILL_SMTP_PORT:-2533}
BIN="$TARGET_DIR/debug/server"
[ -x "$BIN" ] && [ -d target/site/pkg ] || { echo "run cargo leptos build first" >&2; exit 2; }
say() { printf '\033[1m[drill]\033[0m %s\n' "$*" >&2; }

export EMBEDDED_PG_DIR=target/pg-drill-two EMBEDDED_PG_PORT=${DRILL_PG_PORT:-5551}
export PUBLIC_URL=http://127.0.0.1:$PROXY_PORT WEBHOOKS_ALLOW_LOOPBACK=true LOG_FORMAT=json RUST_LOG=warn
"$BIN" db destroy >/dev/null 2>&1 || true
mkdir -p target/drill
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$BIN" db destroy >/dev/null 2>&1 || true
}
trap cleanup EXIT
# healthy PORT PID: waits for the process to answer, or fails when it exits.
healthy() {
  for _ in $(seq 1 180); do
    curl -fsS "http://127.0.0.1:$1/api/v1/health" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 1
  done
  echo "the process behind $1 did not start; its log is in target/drill/" >&2
  exit 1
}

BIND_ADDR=127.0.0.1:$A_PORT DEV_MAIL_SINK_ADDR=127.0.0.1:$SINK_PORT \
  "$BIN" serve --demo > target/drill/two-servers-a.log 2>&1 &
pids+=($!)
healthy "$A_PORT" $!
BIND_ADDR=127.0.0.1:$B_PORT SMTP_URL=smtp://127.0.0.1:$SINK_PORT \
  "$BIN" serve > target/drill/two-servers-b.log 2>&1 &
pids+=($!)
healthy "$B_PORT" $!
python3 scripts/drill/round-robin.py "$PROXY_PORT" \
  "http://127.0.0.1:$A_PORT" "http://127.0.0.1:$B_PORT" > target/drill/two-servers-proxy.log 2>&1 &
proxy_pid=$!
pids+=("$proxy_pid")
healthy "$PROXY_PORT" "$proxy_pid"
say "two servers ($A_PORT, $B_PORT) behind the proxy on $PROXY_PORT"

# The keys scripts/test.sh makes for the journeys.
fuzz_org=de000000-0000-4000-8000-000000000201
"$BIN" api-key limits --org "$fuzz_org" --per-minute 100000 --per-day 10000000 >/dev/null
mercy_key=$("$BIN" api-key create --org "$fuzz_org" --name "OpenAPI checks" 2>/dev/null | tail -n 1)
clinic_key=$("$BIN" api-key create --org de000000-0000-4000-8000-000000000101 --name "EHR" 2>/dev/null | tail -n 1)

status=0
(cd end2end && E2E_MERCY_KEY="$mercy_key" E2E_RIVERBEND_KEY="$clinic_key" \
  BASE_URL="http://127.0.0.1:$PROXY_PORT" npx playwright test) || status=$?
kill "$proxy_pid" 2>/dev/null || true
wait "$proxy_pid" 2>/dev/null || true
split=$(tail -n 1 target/drill/two-servers-proxy.log)
say "$split"
if [ "$status" -ne 0 ]; then
  say "the journeys failed through the proxy; the servers' logs are in target/drill/"
  exit "$status"
fi
# Both processes must have served a fair share, or the drill proved nothing.
python3 - "$split" <<'PY'
import re, sys
a, b = (int(n) for n in re.findall(r"\d+", sys.argv[1])[:2])
share = min(a, b) / max(1, a + b)
print(f"[drill] the smaller share was {share:.0%} of {a + b} requests")
sys.exit(0 if share >= 0.4 else "DRILL FAILED: one process served almost everything")
PY
say "drill passed: every journey passed across two processes"
