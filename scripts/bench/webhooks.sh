#!/usr/bin/env bash
# Benchmark (issue 17, SPEC §6): webhook delivery to a local receiver.
# Target: at least 2,000 messages a second, and nothing lost when a fifth
# of the receiver's answers are 500s.
#
# One server (the demo data, the job runner's webhook worker) and
# scripts/bench/receiver.py, which fails one new message in four (a fifth
# of all its answers) and accepts every retry. MESSAGES messages are filed
# at once for one endpoint (rows in webhook_deliveries, inserted by SQL as
# the administrator: the trigger files one `webhook.deliver` job each, as
# for any message). Then the script waits until every message is
# delivered or failed.
#
# Printed: the first pass's rate (first attempts per second, from the
# attempt log's timestamps); the time until the last retry landed (the
# sender's first retry waits 30 s, with jitter); and the check that every
# message was delivered, recorded as delivered by one successful attempt,
# and accepted by the receiver exactly once.
#
# Usage: scripts/bench/webhooks.sh [MESSAGES=10000]
#   BENCH_PROFILE=release (default) or debug; BENCH_BIN=path.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
MESSAGES=${1:-10000}
PORT=${BENCH_PORT:-3305}
PG_PORT=${BENCH_PG_PORT:-5554}
HOOK_PORT=${BENCH_HOOK_PORT:-3399}
MERCY=de000000-0000-4000-8000-000000000201

source scripts/bench/lib.sh
bench_refuse_if_busy
bench_bin

mkdir -p target/bench
received=target/bench/webhooks-received.json
rm -f "$received"
# SIGTERM makes the receiver write its counts and stop.
receiver_pid=""
stop_receiver() {
  if [ -n "$receiver_pid" ] && kill -0 "$receiver_pid" 2>/dev/null; then
    kill -TERM "$receiver_pid"
    wait "$receiver_pid" || true
  fi
}
bench_at_exit stop_receiver
python3 scripts/bench/receiver.py "$HOOK_PORT" 4 "$received" &
receiver_pid=$!
until (exec 3<>"/dev/tcp/127.0.0.1/$HOOK_PORT") 2>/dev/null; do
  kill -0 "$receiver_pid" 2>/dev/null || { echo "the receiver did not start" >&2; exit 1; }
  sleep 0.2
done
export WEBHOOKS_ALLOW_LOOPBACK=true
bench_serve webhooks "$PORT" "$PG_PORT" "${BENCH_SMTP_PORT:-2536}"

KEY=$("$BIN" api-key create --org "$MERCY" --name "webhook benchmark" 2>/dev/null | tail -n 1)
endpoint=$(curl -fsS -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
  --data "{\"url\": \"http://127.0.0.1:$HOOK_PORT/hooks\", \"events\": [\"ping\"], \"description\": \"benchmark\"}" \
  "$BASE/api/v1/webhooks" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["id"])')

say "filing $MESSAGES messages"
admin -c "INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_type, body)
          SELECT '$MERCY', '$endpoint', 'ping', '{\"type\": \"ping\", \"n\": ' || g || '}'
          FROM generate_series(1, $MESSAGES) g" >/dev/null
start=$(date +%s)
while :; do
  read -r pending failed < <(admin -F ' ' -c "SELECT count(*) FILTER (WHERE status = 'pending'),
      count(*) FILTER (WHERE status = 'failed') FROM webhook_deliveries WHERE endpoint_id = '$endpoint'")
  [ "$pending" = 0 ] && break
  if [ $(( $(date +%s) - start )) -gt 600 ]; then
    echo "$pending messages still pending after 10 minutes" >&2; exit 1
  fi
  sleep 1
done
stop_receiver

read -r first_n first_secs all_secs delivered once < <(admin -F ' ' -c "
  SELECT (SELECT count(*) FROM webhook_attempts a WHERE a.attempt = 1 AND a.delivery_id IN
            (SELECT id FROM webhook_deliveries WHERE endpoint_id = '$endpoint')),
         (SELECT extract(epoch FROM max(a.attempted_at) - min(d.created_at))
            FROM webhook_attempts a JOIN webhook_deliveries d
              ON d.organization_id = a.organization_id AND d.id = a.delivery_id
           WHERE a.attempt = 1 AND d.endpoint_id = '$endpoint'),
         (SELECT extract(epoch FROM max(delivered_at) - min(created_at))
            FROM webhook_deliveries WHERE endpoint_id = '$endpoint'),
         (SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '$endpoint' AND status = 'delivered'),
         (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = '$endpoint'
             AND (SELECT count(*) FROM webhook_attempts a WHERE a.organization_id = d.organization_id
                    AND a.delivery_id = d.id AND a.status_code BETWEEN 200 AND 299) = 1)")

python3 - "$received" "$MESSAGES" "$first_n" "$first_secs" "$all_secs" "$delivered" "$once" \
  "$failed" "$(basename "$(dirname "$BIN")")" "$cores" "$load" <<'PY'
import json, sys
path, messages, first_n, first_secs, all_secs, delivered, once, failed, profile, cores, load = sys.argv[1:12]
messages, first_n, delivered, once, failed = map(int, (messages, first_n, delivered, once, failed))
r = json.load(open(path))
accepted = r["accepted"]
twice = sum(1 for n in accepted.values() if n > 1)
rate = first_n / float(first_secs)
print(f"Webhook delivery ({profile} build, {messages:,} messages, {cores} cores, load {load} at start)")
print()
print("| figure | value |")
print("|---|---|")
print(f"| first pass: first attempts per second | **{rate:,.0f}/s** (target >= 2,000) |")
print(f"| receiver answers | {r['seen']:,}, of which 500: {r['failed']:,} ({100 * r['failed'] / max(r['seen'], 1):.0f}%) |")
print(f"| every message delivered, after its retries | {float(all_secs):.1f} s from filing |")
print(f"| delivered / failed | {delivered:,} / {failed:,} of {messages:,} |")
print(f"| delivered by exactly one successful attempt | {once:,} |")
print(f"| accepted by the receiver | {len(accepted):,} messages, {twice} of them more than once |")
ok = delivered == messages and once == messages and len(accepted) == messages and twice == 0
print()
print("nothing lost, nothing sent twice" if ok else "MESSAGES LOST OR DUPLICATED")
sys.exit(0 if ok else 1)
PY
