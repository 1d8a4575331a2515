#!/usr/bin/env bash
# Drill (issue 17): PostgreSQL crashes and restarts under a write load.
#
# The server runs on its own durable cluster (not the tests' ephemeral
# kind: fsync stays on) with the demo data. Clients POST referrals through
# the REST API; meanwhile the database is stopped in `immediate` mode (no
# checkpoint: the start after it is a crash recovery from the WAL), kept
# down for OUTAGE seconds, and started again. Passes when
#   - every referral acknowledged to a client with 201 is in the database;
#   - nothing answered but 201 or 503, and nothing took longer than
#     MAX_WAIT seconds (the pool's 5 s acquire timeout, plus slack): an
#     outage is a quick "try again", not a hang;
#   - writes succeed again within 10 s of the database's return, and keep
#     succeeding;
#   - the server process is still running.
#
# Usage: scripts/drill/pg-restart.sh   (about a minute)
#   DRILL_BIN=path: a server already built (otherwise a debug build).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
PORT=${DRILL_PORT:-3302}
PG_PORT=${DRILL_PG_PORT:-5549}
SECONDS_OF_LOAD=${DRILL_SECONDS:-24}
OUTAGE=${DRILL_OUTAGE:-4}
MAX_WAIT=${DRILL_MAX_WAIT:-8}
MERCY=de000000-0000-4000-8000-000000000201
say() { printf '\033[1m[drill]\033[0m %s\n' "$*" >&2; }

if [ -n "${DRILL_BIN:-}" ]; then
  BIN=$(realpath "$DRILL_BIN")
else
  export RUSTFLAGS="--cfg erase_components"
  cargo build -q -p server
  BIN="$TARGET_DIR/debug/server"
fi

export EMBEDDED_PG_DIR=target/pg-drill EMBEDDED_PG_PORT=$PG_PORT
"$BIN" db destroy >/dev/null 2>&1 || true
mkdir -p target/drill
server_pid="" load_pid=""
cleanup() {
  [ -z "$load_pid" ] || kill "$load_pid" 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  "$BIN" db destroy >/dev/null 2>&1 || true
}
trap cleanup EXIT
# The cluster first, so the role's setting below holds for every
# connection the server opens.
"$BIN" db start >/dev/null 2>&1
DIR=$("$BIN" db dir)
DATA="$DIR/data"
# The binaries the server itself chose (embedded_pg::find_bin_dir).
PG_BIN=${PG_BIN_DIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
set -a; source "$DIR/credentials.env"; set +a
admin() {
  PGPASSWORD=$EMBEDDED_PG_ADMIN_PASSWORD psql -qAtX -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -d "${EMBEDDED_PG_DATABASE:-carethread}" "$@"
}
# The embedded cluster commits without waiting for the disk
# (synchronous_commit = off, for development speed); a deployment waits.
# The drill is about a deployment, so the application role waits here too
# (a role's setting overrides the server's).
admin -c "ALTER ROLE carethread_app SET synchronous_commit = on" >/dev/null
LOG=target/drill/pg-restart-server.log
BIND_ADDR=127.0.0.1:$PORT DEV_MAIL_SINK_ADDR=127.0.0.1:${DRILL_SMTP_PORT:-2532} \
  LOG_FORMAT=json RUST_LOG=warn "$BIN" serve --demo > "$LOG" 2>&1 &
server_pid=$!
for _ in $(seq 1 180); do
  curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null || { tail -n 30 "$LOG" >&2; exit 1; }
"$BIN" api-key limits --org "$MERCY" --per-minute 100000 --per-day 100000000 >/dev/null
KEY=$("$BIN" api-key create --org "$MERCY" --name "PostgreSQL restart drill" 2>/dev/null | tail -n 1)

before=$(admin -c "SELECT count(*) FROM referrals")
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$(stat -c %U "$DATA")" -- "$@"; else "$@"; fi
}

say "write load for ${SECONDS_OF_LOAD}s; the database crashes at 6s and is down ${OUTAGE}s"
python3 scripts/drill/write-load.py "http://127.0.0.1:$PORT" "$KEY" "$SECONDS_OF_LOAD" \
  > target/drill/pg-restart-answers.json &
load_pid=$!
sleep 6
down_at=$(date +%s.%N)
as_pg_owner "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null
say "database stopped (immediate: no checkpoint)"
sleep "$OUTAGE"
"$BIN" db start >/dev/null 2>&1
up_at=$(date +%s.%N)
say "database back (crash recovery done) after $(python3 -c "print(round($up_at - $down_at, 1))")s"
wait "$load_pid"

load_pid=""
alive=yes
kill -0 "$server_pid" 2>/dev/null || alive=no
admin -c "SELECT id FROM referrals" > target/drill/pg-restart-ids.txt
after=$(admin -c "SELECT count(*) FROM referrals")

python3 - "$down_at" "$up_at" "$MAX_WAIT" "$alive" "$((after - before))" <<'PY'
import json, sys
down, up, max_wait, alive = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
written = int(sys.argv[5])
answers = json.load(open("target/drill/pg-restart-answers.json"))["answers"]
if not answers:
    sys.exit("DRILL FAILED: the load sent nothing")
stored = set(open("target/drill/pg-restart-ids.txt").read().split())
acked = [a for a in answers if a[2] == 201]
lost = [a[3] for a in acked if a[3] not in stored]
others = sorted({a[2] for a in answers} - {201, 503})
slowest = max(a[1] for a in answers)
during = [a for a in answers if a[0] + a[1] >= down and a[0] <= up]
back = [a[0] + a[1] for a in acked if a[0] + a[1] >= up]
recovered = (min(back) - up) if back else None
after = [a for a in answers if recovered is not None and a[0] >= up + recovered]
relapses = [a for a in after if a[2] != 201]
rows = [
    ("requests answered", str(len(answers)), ""),
    ("acknowledged (201)", str(len(acked)), ""),
    ("acknowledged but missing after recovery", str(len(lost)), "must be 0"),
    ("stored though answered 503 (commit outcome unknown)", str(written - len(acked)), "a client retry would duplicate these"),
    ("answers other than 201/503", ",".join(map(str, others)) or "none", "must be none"),
    ("answers in the outage: 503 / 201", f"{sum(a[2] == 503 for a in during)} / {sum(a[2] == 201 for a in during)}", ""),
    ("slowest answer (s)", f"{slowest:.2f}", f"<= {max_wait:g}"),
    ("first write after the database's return (s)", "never" if recovered is None else f"{recovered:.2f}", "<= 10"),
    ("failed writes after that", str(len(relapses)), "must be 0"),
    ("server still running", alive, "must be yes"),
]
width = max(len(r[0]) for r in rows)
for name, value, bar in rows:
    print(f"  {name:<{width}}  {value:>10}  {bar}")
ok = (not lost and not others and slowest <= max_wait and recovered is not None
      and recovered <= 10 and not relapses and alive == "yes" and len(acked) > 0
      and any(a[2] == 503 for a in during))
print("drill passed" if ok else "DRILL FAILED")
sys.exit(0 if ok else 1)
PY
