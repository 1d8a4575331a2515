#!/usr/bin/env bash
# Benchmark (issue 17, SPEC §6): the ceilings on this machine, against
# which the endpoints' figures are read.
#   - HTTP: `server bench-hello`, axum answering "hello" and nothing else
#     on the runtime the server uses (wrk, the same connections);
#   - PostgreSQL: pgbench running an empty tenant transaction (BEGIN, the
#     identity settings, SELECT 1, COMMIT) as the application role, and
#     `SELECT 1` alone.
# Each endpoint's own SQL ceiling is its baseline in
# scripts/bench/vs-pgbench.sh (pgbench running the statements it sends).
#
# Runs the three interleaved, three rounds, and prints the median of each
# with CPU time per request (server) or per transaction (database).
#
# Usage: scripts/bench/ceiling.sh [SECONDS=10] [CONNECTIONS=16]
#   BENCH_PROFILE=release (default) or debug; BENCH_BIN=path.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
SECS=${1:-10}
CONNS=${2:-16}
PORT=${BENCH_PORT:-3306}
HELLO_PORT=${BENCH_HELLO_PORT:-3310}
PG_PORT=${BENCH_PG_PORT:-5555}
MERCY=de000000-0000-4000-8000-000000000201

source scripts/bench/lib.sh
bench_need wrk
bench_need pgbench
bench_refuse_if_busy
bench_bin
hello_pid=""
bench_at_exit '[ -z "$hello_pid" ] || kill "$hello_pid" 2>/dev/null'
bench_serve ceiling "$PORT" "$PG_PORT" "${BENCH_SMTP_PORT:-2537}"
"$BIN" bench-hello --bind "127.0.0.1:$HELLO_PORT" &
hello_pid=$!
until curl -fsS -o /dev/null "http://127.0.0.1:$HELLO_PORT/" 2>/dev/null; do
  kill -0 "$hello_pid" 2>/dev/null || { echo "server bench-hello did not start" >&2; exit 1; }
  sleep 0.2
done

mkdir -p target/bench
cat > target/bench/ceiling-tenant.pgbench <<EOF
BEGIN;
SELECT set_config('app.user_id', '', true), set_config('app.org_id', '$MERCY', true), set_config('app.role', 'referrer', true);
SELECT 1;
COMMIT;
EOF
echo "SELECT 1;" > target/bench/ceiling-select.pgbench

pgb() {
  PGPASSWORD=$EMBEDDED_PG_APP_PASSWORD pgbench -n -M prepared -h 127.0.0.1 -p "$PG_PORT" \
    -U carethread_app -c "$CONNS" -j 2 -T "$1" -f "$2" "$PGDB" 2>&1
}
run_hello() {
  local s0 out
  s0=$(bench_ticks "$hello_pid")
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" "http://127.0.0.1:$HELLO_PORT/")
  echo "hello $(awk '/Requests\/sec/ { print $2 }' <<<"$out") $(( $(bench_ticks "$hello_pid") - s0 )) $(awk '/requests in/ { print $1 }' <<<"$out")"
}
run_pg() {
  local d0 out
  d0=$(bench_db_ticks)
  out=$(pgb "$SECS" "target/bench/ceiling-$1.pgbench") || { echo "$out" >&2; exit 1; }
  echo "$1 $(awk '/^tps = / { print $3; exit }' <<<"$out") $(( $(bench_db_ticks) - d0 )) \
$(awk '/number of transactions actually processed/ { print $NF }' <<<"$out" | cut -d/ -f1)"
}

wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$HELLO_PORT/" >/dev/null
pgb 2 target/bench/ceiling-tenant.pgbench >/dev/null
results=()
for round in 1 2 3; do
  say "round $round of 3"
  results+=("$(run_hello)" "$(run_pg tenant)" "$(run_pg select)")
done
printf '%s\n' "${results[@]}" > target/bench/ceiling.results
python3 - target/bench/ceiling.results "$(getconf CLK_TCK)" "$cores" "$load" \
  "$(basename "$(dirname "$BIN")")" "$CONNS" "$SECS" <<'PY'
import statistics, sys
path, hz, cores, load, profile, conns, secs = sys.argv[1:8]
rows = {}
for line in open(path):
    what, rate, ticks, n = line.split()
    rows.setdefault(what, []).append((float(rate), 1000.0 * int(ticks) / int(hz) / max(int(n), 1)))
names = {
    "hello": ("axum hello-world (wrk)", "server"),
    "tenant": ("pgbench: empty tenant transaction", "database"),
    "select": ("pgbench: SELECT 1", "database"),
}
print(f"Ceilings ({profile} build, {conns} connections, {secs} s each, median of 3, {cores} cores, load {load} at start)")
print()
print("| what | per second | CPU ms each |")
print("|---|---|---|")
for key, (name, whose) in names.items():
    rate = statistics.median(r for r, _ in rows[key])
    cpu = statistics.median(c for _, c in rows[key])
    print(f"| {name} | {rate:,.0f} | {cpu:.3f} ({whose}) |")
PY
