#!/usr/bin/env bash
# Benchmark (issue 17, SPEC §6): one API request under load against pgbench
# running the very statements that request sends, as the application role,
# on the same database in the same run. Cases and targets:
#   read           GET /api/v1/discharge-referrals/{id}          >= 70%
#   fhir-create    POST /api/v1/fhir/ServiceRequest (routed,     >= 50%
#                  matched, audited, events for the webhooks)
#   fhir-search-50 GET /api/v1/fhir/ServiceRequest?_count=50      >= 50%
#   fhir-search-100  the same with _count=100                     >= 50%
#   visit-sync     POST /rpc/visits/sync from 100 clients          (none set)
#   booking        a family's hold and confirm, 100 families       (none set)
# The last two are signed-in journeys from the phone and the family's
# pages, set up by scripts/bench/cases/NAME.sh (see there); pgbench runs
# them with as many connections as the server's request pool
# (DATABASE_MAX_CONNECTIONS, 10), through which the server must funnel its
# 100 clients.
# Each API request carries an API key (authentication, the rate count);
# the signed-in cases carry their session cookies. Each runs in a tenant
# transaction under row-level security and writes its audit events.
#
# The baseline's statements are not written by hand: one request is made
# with statement logging on, and scripts/bench/capture-sql.py turns what the
# application role sent (BEGIN and COMMIT included) into the pgbench
# script. A change to the request path changes its baseline with it. A
# create cannot be replayed as it was (its id and reference are taken), so
# the create's script draws a fresh id and reference per transaction; the
# signed-in cases give every request and every baseline transaction rows
# of its own to act on (a visit to sign, an hour to book), as their files
# say.
#
# Runs A (wrk against the server) and B (pgbench) interleaved, A B A B A B,
# reports the median of the three of each, their ratio, and the CPU time
# the server and the database spent per request (from /proc). A case whose
# operation is several requests (a booking) reports operations. Refuses to
# run on a machine already busy (BENCH_FORCE=1 overrides; the figures are
# then not worth keeping).
#
# Usage: scripts/bench/vs-pgbench.sh CASE [SECONDS=10] [CONNECTIONS=16, 100 for visit-sync and booking]
#   BENCH_PROFILE=release (default) or debug: which build of the server;
#   BENCH_BIN=path: a server already built (no build step);
#   BENCH_PG_SETTINGS="name=value ...": database settings to try.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
CASE=${1:?usage: vs-pgbench.sh read|fhir-create|fhir-search-50|fhir-search-100|visit-sync|booking [SECONDS] [CONNECTIONS]}
SECS=${2:-10}
PORT=${BENCH_PORT:-3301}
PG_PORT=${BENCH_PG_PORT:-5548}
MERCY=de000000-0000-4000-8000-000000000201
RIVERBEND=de000000-0000-4000-8000-000000000101

# What a case may set or override (the API cases use the defaults):
#   TITLE, TARGET (a percentage, or empty for none), CONNS, PG_CONNS;
#   URL, BODY, AUTH (a header), WRK_SCRIPT (wrk's -s arguments);
#   REQUESTS_PER_OP: requests one operation takes (pgbench's transaction
#     file holds the whole operation);
#   case_request: makes one operation with curl, printing each answer's
#     status last;
#   case_capture_next: after the first, checked operation (the capture
#     must not repeat it);
#   case_vary: sets `vary` (capture-sql.py's --set/--vary) after the
#     capture, with the captured operation's answer in $answer;
#   case_round ROUND: before each timed server run (0: the warm-up);
#   case_check REQUESTS: after each timed server run, exits if the
#     database does not show what the answers said;
#   case_pgbench_args ROUND: prints pgbench's extra arguments.
TARGET=50
CONNS=${3:-16}
PG_CONNS=""
REQUESTS_PER_OP=1
WRK_SCRIPT=()
case_capture_next() { :; }
case_vary() { vary=(); }
case_round() { KEY=$(new_key); AUTH="Authorization: Bearer $KEY"; }
case_check() { :; }
case_pgbench_args() { :; }
case_request() {
  curl -sS -o /dev/null -w '%{http_code}\n' -H "$AUTH" "$URL"
}

source scripts/bench/lib.sh
bench_need wrk
bench_need pgbench
bench_refuse_if_busy
bench_bin
bench_serve "vs-$CASE" "$PORT" "$PG_PORT" "${BENCH_SMTP_PORT:-2529}"

# The highest limits the schema allows (every request is still counted),
# and a fresh key for each timed run, so that no run meets another's minute.
"$BIN" api-key limits --org "$MERCY" --per-minute 100000 --per-day 100000000 >/dev/null \
  || { echo "could not raise the key limits" >&2; exit 1; }
new_key() { "$BIN" api-key create --org "$MERCY" --name "benchmark" 2>/dev/null | tail -n 1; }
KEY=$(new_key)
AUTH="Authorization: Bearer $KEY"

mkdir -p target/bench
case "$CASE" in
  read)
    TITLE="REST read"; TARGET=70
    ID=$(admin -c "SELECT id FROM referrals WHERE organization_id = '$MERCY' ORDER BY id LIMIT 1")
    URL="$BASE/api/v1/discharge-referrals/$ID" ;;
  fhir-search-50|fhir-search-100)
    TITLE="FHIR ServiceRequest search, _count=${CASE#fhir-search-}"
    URL="$BASE/api/v1/fhir/ServiceRequest?_count=${CASE#fhir-search-}"
    # A history long enough to fill the larger page many times over.
    admin -c "INSERT INTO referrals (organization_id, id, clinic_id, reference, patient_initials,
                  zip, diagnosis_code, care_type, priority, requested_start, received_at)
              SELECT '$MERCY', gen_random_uuid(), '$RIVERBEND',
                     'R-' || upper(lpad(to_hex(g), 8, '0')), 'GB', '43215', 'I509',
                     'skilled_nursing', 'routine', current_date, now() - g * interval '1 minute'
              FROM generate_series(1, 2000) g" -c "VACUUM ANALYZE referrals" >/dev/null ;;
  fhir-create)
    TITLE="FHIR ServiceRequest create"
    URL="$BASE/api/v1/fhir/ServiceRequest"
    BODY='{"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"#p1"},"contained":[{"resourceType":"Patient","id":"p1","name":[{"given":["Jane"],"family":"Doe"}],"birthDate":"1948-03-02","address":[{"postalCode":"43215"}]}],"priority":"urgent","reasonCode":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I50.9"}]}],"note":[{"text":"Needs daily weights."}]}'
    cat > target/bench/fhir-create.lua <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.body = [[$BODY]]
EOF
    WRK_SCRIPT=(-s target/bench/fhir-create.lua)
    case_request() {
      curl -sS -D - -o /dev/null -w '%{http_code}\n' -H "$AUTH" \
        -H "Content-Type: application/fhir+json" --data "$BODY" "$URL"
    }
    case_vary() {
      # The created referral's id and its reference (R- and the id's first
      # eight hex digits, capitals): each transaction draws its own.
      local created ref
      created=$(awk 'tolower($1) == "location:" { print $2 }' <<<"$answer" | tr -d '\r' | sed 's|.*/||')
      [ -n "$created" ] || { echo "the create answered no Location" >&2; exit 1; }
      ref="R-$(tr 'a-f' 'A-F' <<<"${created:0:8}")"
      vary=(--set "n=random(1, 4294967295)" --set "m=random(1, 9223372036854775807)"
            --vary "$created=(lpad(to_hex(:n::bigint), 8, '0') || lpad(to_hex(:m::bigint), 24, '0'))::uuid"
            --vary "$ref='R-' || upper(lpad(to_hex(:n::bigint), 8, '0'))")
    } ;;
  visit-sync|booking)
    CONNS=${3:-100}
    # As many as the server's request pool (the local card processor has
    # 4 more of its own, which the booking's baseline does in-line).
    PG_CONNS=${DATABASE_MAX_CONNECTIONS:-10}
    TARGET=""
    source "scripts/bench/cases/$CASE.sh" ;;
  *) echo "unknown case: $CASE" >&2; exit 2 ;;
esac
PG_CONNS=${PG_CONNS:-$CONNS}

# ok ANSWER: the last status in ANSWER is a success, or the script stops.
ok() {
  case "$(tail -n 1 <<<"$1")" in 200|201) ;; *) echo "the request failed: $1" >&2; exit 1 ;; esac
}
ok "$(case_request)"
case_capture_next

# Experiments: BENCH_PG_SETTINGS="plan_cache_mode=force_generic_plan ..."
# applies server settings (ALTER SYSTEM, reloaded) before anything is timed.
for setting in ${BENCH_PG_SETTINGS:-}; do
  admin -c "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'" >/dev/null
  say "database setting: $setting"
done
admin -c "SELECT pg_reload_conf()" >/dev/null

# --- capture the statements of one request ---------------------------------
bench_log_on
answer=$(case_request)
ok "$answer"
bench_log_cut "$CASE"
bench_log_off
case_vary
n=$(python3 scripts/bench/capture-sql.py "target/bench/$CASE.log" carethread_app \
      "target/bench/$CASE.pgbench" "${vary[@]}")
say "the request sent $n statements (target/bench/$CASE.pgbench)"

HZ=$(getconf CLK_TCK)

# The two loads, for $1 seconds: wrk against the request, pgbench running
# the captured statements prepared (as sqlx does; the simple protocol
# re-plans every statement).
load_server() {
  wrk -t2 -c"$CONNS" -d"${1}s" "${WRK_SCRIPT[@]}" -H "$AUTH" "$URL"
}
# load_baseline SECONDS ROUND
load_baseline() {
  local extra args
  args=$(case_pgbench_args "$2")
  read -ra extra <<<"$args"
  PGPASSWORD=$EMBEDDED_PG_APP_PASSWORD pgbench -n -M prepared -h 127.0.0.1 -p "$PG_PORT" \
    -U carethread_app -c "$PG_CONNS" -j 2 -T "$1" "${extra[@]}" -f "target/bench/$CASE.pgbench" "$PGDB" 2>&1
}

# run_a ROUND and run_b ROUND, each printing "rate server-ticks
# database-ticks operations" (in a subshell: what a round needs comes
# from its number).
run_a() {
  local s0 d0 out n rps
  case_round "$1"
  s0=$(bench_ticks "$server_pid"); d0=$(bench_db_ticks)
  out=$(load_server "$SECS")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "$out" >&2; cat target/bench/*-refused.txt 2>/dev/null >&2; echo "errors under load" >&2; exit 1
  fi
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  case_check "$n"
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  echo "$(awk -v r="$rps" -v k="$REQUESTS_PER_OP" 'BEGIN { print r / k }') \
$(( $(bench_ticks "$server_pid") - s0 )) $(( $(bench_db_ticks) - d0 )) $((n / REQUESTS_PER_OP))"
}
run_b() {
  local d0 out
  d0=$(bench_db_ticks)
  out=$(load_baseline "$SECS" "$1") || { echo "$out" >&2; exit 1; }
  # A client that meets an error stops: its share of the load is lost,
  # and the baseline would look slower than it is.
  if grep -qi "aborted\|error" <<<"$out"; then echo "$out" >&2; echo "pgbench had errors" >&2; exit 1; fi
  local tps n
  tps=$(awk '/^tps = / { print $3; exit }' <<<"$out")
  n=$(awk '/number of transactions actually processed/ { print $NF }' <<<"$out" | cut -d/ -f1)
  echo "$tps 0 $(( $(bench_db_ticks) - d0 )) $n"
}

# Warm both once (connections, caches), untimed.
case_round 0
load_server 2 >/dev/null
load_baseline 2 0 > "target/bench/$CASE.warm-up" \
  || { cat "target/bench/$CASE.warm-up" >&2; echo "pgbench failed" >&2; exit 1; }

results=()
for round in 1 2 3; do
  say "round $round of 3"
  results+=("A $(run_a "$round")")
  results+=("B $(run_b "$round")")
done

printf '%s\n' "${results[@]}" > "target/bench/$CASE.results"
python3 - "target/bench/$CASE.results" "$HZ" "$cores" "$load" "$(basename "$(dirname "$BIN")")" \
  "$CONNS" "$SECS" "$TITLE" "$TARGET" "$PG_CONNS" "$REQUESTS_PER_OP" <<'EOF'
import statistics, sys
path, hz, cores, load, profile, conns, secs, title, target, pg_conns, per_op = sys.argv[1:12]
hz = int(hz)
with open(path) as f:
    rows = [line.split() for line in f if line.strip()]
def ms(ticks, n):
    return 1000.0 * int(ticks) / hz / max(int(n), 1)
clients = f"{conns} connections" if conns == pg_conns else f"{conns} clients (pgbench: {pg_conns} connections)"
unit = "request" if per_op == "1" else f"operation ({per_op} requests)"
print(f"{title} vs pgbench with the same statements "
      f"({profile} build, {clients}, {secs} s each, {cores} cores, load {load} at start)")
print()
print(f"| run | what | per second | server CPU ms/{unit.split()[0]} | database CPU ms/{unit.split()[0]} |")
print("|---|---|---|---|---|")
a, b = [], []
for i, (kind, rate, server, db, n) in enumerate(rows):
    what = f"{title} (wrk)" if kind == "A" else "pgbench, same SQL"
    (a if kind == "A" else b).append((float(rate), ms(server, n), ms(db, n)))
    srv = f"{ms(server, n):.3f}" if kind == "A" else "–"
    print(f"| {i // 2 + 1}{kind} | {what} | {float(rate):,.0f} | {srv} | {ms(db, n):.3f} |")
ma = statistics.median(r for r, _, _ in a)
mb = statistics.median(r for r, _, _ in b)
print()
print(f"median: server {ma:,.0f}/s, pgbench {mb:,.0f}/s: {100 * ma / mb:.0f}% of the baseline "
      + (f"(target >= {target}%)" if target else "(no target set)"))
print(f"median CPU per {unit}: server {statistics.median(s for _, s, _ in a):.3f} ms, "
      f"database {statistics.median(d for _, _, d in a):.3f} ms (pgbench: database "
      f"{statistics.median(d for _, _, d in b):.3f} ms)")
EOF
