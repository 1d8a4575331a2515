#!/usr/bin/env bash
# Benchmark (SPEC §6): the REST read `GET /api/v1/discharge-referrals/{id}`
# (API key, rate count, tenant transaction, row-level security, JSON, audit
# event) against pgbench running the very statements that request sends,
# as the application role, on the same database in the same run.
#
# The baseline's statements are not written by hand: one request is made
# with statement logging on, and scripts/bench/capture-sql.py turns what the
# application role sent (BEGIN and COMMIT included) into the pgbench
# script. A change to the request path changes its baseline with it.
#
# Runs A (wrk against the server) and B (pgbench) interleaved, A B A B A B,
# reports the median of the three of each, their ratio (target >= 70%), and
# the CPU time the server and the database spent per request (from /proc).
# Refuses to run on a machine already busy (BENCH_FORCE=1 overrides; the
# figures are then not worth keeping).
#
# Usage: scripts/bench/rest-read.sh [SECONDS=10] [CONNECTIONS=16]
#   BENCH_PROFILE=release (default) or debug: which build of the server;
#   BENCH_BIN=path: a server already built (no build step);
#   BENCH_PG_SETTINGS="name=value ...": database settings to try.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
SECS=${1:-10}
CONNS=${2:-16}
PROFILE=${BENCH_PROFILE:-release}
PORT=${BENCH_PORT:-3301}
PG_PORT=${BENCH_PG_PORT:-5548}
MERCY=de000000-0000-4000-8000-000000000201

say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null; then
  say "installing wrk (Debian)"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi

cores=$(nproc)
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c * 0.5) }' && [ "${BENCH_FORCE:-0}" != 1 ]; then
  echo "the machine is busy (load $load on $cores cores): figures would mean nothing; BENCH_FORCE=1 runs anyway" >&2
  exit 2
fi

if [ -n "${BENCH_BIN:-}" ]; then
  BIN=$BENCH_BIN
elif [ "$PROFILE" = release ]; then
  say "building the server (release)"
  cargo build -q --release -p server
else
  export RUSTFLAGS="--cfg erase_components"
  say "building the server (debug: figures are for trying the script, not for keeping)"
  cargo build -q -p server
fi
BIN=${BIN:-"$TARGET_DIR/$PROFILE/server"}

export EMBEDDED_PG_DIR=target/pg-bench-rest EMBEDDED_PG_PORT=$PG_PORT EMBEDDED_PG_EPHEMERAL=true
"$BIN" db destroy >/dev/null 2>&1 || true
BIND_ADDR=127.0.0.1:$PORT DEV_MAIL_SINK_ADDR=127.0.0.1:${BENCH_SMTP_PORT:-2529} \
  LOG_FORMAT=json RUST_LOG=error "$BIN" serve --demo > target/bench-rest-server.log 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  "$BIN" db destroy >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 180); do
  curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat target/bench-rest-server.log >&2; exit 1; }
  sleep 1
done

# The highest limits the schema allows (every request is still counted),
# and a fresh key for each timed run, so that no run meets another's minute.
"$BIN" api-key limits --org "$MERCY" --per-minute 100000 --per-day 100000000 >/dev/null \
  || { echo "could not raise the key limits" >&2; exit 1; }
new_key() { "$BIN" api-key create --org "$MERCY" --name "REST benchmark" 2>/dev/null | tail -n 1; }
KEY=$(new_key)

set -a; source "$EMBEDDED_PG_DIR/credentials.env"; set +a
PGDB=${EMBEDDED_PG_DATABASE:-carethread}
admin() { PGPASSWORD=$EMBEDDED_PG_ADMIN_PASSWORD psql -qAtX -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PGDB" "$@"; }
ID=$(admin -c "SELECT id FROM referrals WHERE organization_id = '$MERCY' ORDER BY id LIMIT 1")
URL="http://127.0.0.1:$PORT/api/v1/discharge-referrals/$ID"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$URL")
[ "$status" = 200 ] || { echo "the read answered $status" >&2; exit 1; }

# Experiments: BENCH_PG_SETTINGS="plan_cache_mode=force_generic_plan ..."
# applies server settings (ALTER SYSTEM, reloaded) before anything is timed.
for setting in ${BENCH_PG_SETTINGS:-}; do
  admin -c "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'" >/dev/null
  say "database setting: $setting"
done
admin -c "SELECT pg_reload_conf()" >/dev/null

# --- capture the statements of one request ---------------------------------
PGLOG="$EMBEDDED_PG_DIR/data/server.log"
admin -c "ALTER SYSTEM SET log_statement = 'all'" \
      -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] %u '" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
from=$(wc -c < "$PGLOG")
curl -fsS -o /dev/null -H "Authorization: Bearer $KEY" "$URL"
sleep 1
admin -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix" \
      -c "SELECT pg_reload_conf()" >/dev/null
mkdir -p target/bench
tail -c +"$((from + 1))" "$PGLOG" > target/bench/rest-read.log
n=$(python3 scripts/bench/capture-sql.py target/bench/rest-read.log carethread_app target/bench/rest-read.pgbench)
say "the request sent $n statements (target/bench/rest-read.pgbench)"

# --- CPU time of the server and of the whole database, in clock ticks -------
postmaster=$(head -n 1 "$EMBEDDED_PG_DIR/data/postmaster.pid")
ticks() {
  # utime + stime of $1, plus its reaped children's when $2 is "with-children".
  awk -v kids="${2:-}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (kids != "") t += $14 + $15; print t }' "/proc/$1/stat"
}
db_ticks() {
  local t
  t=$(ticks "$postmaster" with-children)
  for child in $(pgrep -P "$postmaster"); do
    t=$((t + $(ticks "$child" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)

# The two loads, for $1 seconds: wrk against the read, pgbench running the
# captured statements prepared (as sqlx does; the simple protocol re-plans
# every statement).
load_server() { wrk -t2 -c"$CONNS" -d"${1}s" -H "Authorization: Bearer $KEY" "$URL"; }
load_baseline() {
  PGPASSWORD=$EMBEDDED_PG_APP_PASSWORD pgbench -n -M prepared -h 127.0.0.1 -p "$PG_PORT" \
    -U carethread_app -c "$CONNS" -j 2 -T "$1" -f target/bench/rest-read.pgbench "$PGDB" 2>&1
}

run_a() {
  local s0 d0 out
  KEY=$(new_key)
  s0=$(ticks "$server_pid"); d0=$(db_ticks)
  out=$(load_server "$SECS")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "errors under load" >&2; exit 1; fi
  local n rps
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  echo "$rps $(( $(ticks "$server_pid") - s0 )) $(( $(db_ticks) - d0 )) $n"
}
run_b() {
  local d0 out
  d0=$(db_ticks)
  out=$(load_baseline "$SECS") || { echo "$out" >&2; exit 1; }
  local tps n
  tps=$(awk '/^tps = / { print $3; exit }' <<<"$out")
  n=$(awk '/number of transactions actually processed/ { print $NF }' <<<"$out" | cut -d/ -f1)
  echo "$tps 0 $(( $(db_ticks) - d0 )) $n"
}

# Warm both once (connections, caches), untimed.
load_server 2 >/dev/null
load_baseline 2 >/dev/null

results=()
for round in 1 2 3; do
  say "round $round of 3"
  results+=("A $(run_a)")
  results+=("B $(run_b)")
done

printf '%s\n' "${results[@]}" > target/bench/rest-read.results
python3 - target/bench/rest-read.results "$HZ" "$cores" "$load" "$(basename "$(dirname "$BIN")")" "$CONNS" "$SECS" <<'EOF'
import statistics, sys
path, hz, cores, load, profile, conns, secs = sys.argv[1:8]
hz = int(hz)
with open(path) as f:
    rows = [line.split() for line in f if line.strip()]
def ms(ticks, n):
    return 1000.0 * int(ticks) / hz / max(int(n), 1)
print(f"REST read vs pgbench with the same statements "
      f"({profile} build, {conns} connections, {secs} s each, {cores} cores, load {load} at start)")
print()
print("| run | what | per second | server CPU ms/req | database CPU ms/req |")
print("|---|---|---|---|---|")
a, b = [], []
for i, (kind, rate, server, db, n) in enumerate(rows):
    what = "REST read (wrk)" if kind == "A" else "pgbench, same SQL"
    (a if kind == "A" else b).append((float(rate), ms(server, n), ms(db, n)))
    srv = f"{ms(server, n):.3f}" if kind == "A" else "–"
    print(f"| {i // 2 + 1}{kind} | {what} | {float(rate):,.0f} | {srv} | {ms(db, n):.3f} |")
ma = statistics.median(r for r, _, _ in a)
mb = statistics.median(r for r, _, _ in b)
print()
print(f"median: REST {ma:,.0f}/s, pgbench {mb:,.0f}/s: {100 * ma / mb:.0f}% of the baseline (target >= 70%)")
print(f"median CPU per request: server {statistics.median(s for _, s, _ in a):.3f} ms, "
      f"database {statistics.median(d for _, _, d in a):.3f} ms (pgbench: database "
      f"{statistics.median(d for _, _, d in b):.3f} ms)")
EOF
