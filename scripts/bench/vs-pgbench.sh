#!/usr/bin/env bash
# Benchmark (issue 17, SPEC §6): one API request under load against pgbench
# running the very statements that request sends, as the application role,
# on the same database in the same run. Cases and targets:
#   read           GET /api/v1/discharge-referrals/{id}          >= 70%
#   fhir-create    POST /api/v1/fhir/ServiceRequest (routed,     >= 50%
#                  matched, audited, events for the webhooks)
#   fhir-search-50 GET /api/v1/fhir/ServiceRequest?_count=50      >= 50%
#   fhir-search-100  the same with _count=100                     >= 50%
#   visit-sync     POST /rpc/visits/sync: a visit worked offline   (none set)
#                  arrives from the clinician's phone (check-in,
#                  check-out, the signed and hashed log), from 100
#                  clients at once; pgbench runs with as many
#                  connections as the server's pool (10), through
#                  which the server must funnel its 100 clients
# Each API request carries an API key (authentication, the rate count);
# the sync carries the demo nurse's session cookie. Each runs in a tenant
# transaction under row-level security and writes its audit events.
#
# The baseline's statements are not written by hand: one request is made
# with statement logging on, and scripts/bench/capture-sql.py turns what the
# application role sent (BEGIN and COMMIT included) into the pgbench
# script. A change to the request path changes its baseline with it. A
# create cannot be replayed as it was (its id and reference are taken), so
# the create's script draws a fresh id and reference per transaction; a
# sync signs a visit once, so every request and every baseline
# transaction signs a visit of its own, made beforehand by SQL (accepted
# visits of the demo nurse at Riverbend).
#
# Runs A (wrk against the server) and B (pgbench) interleaved, A B A B A B,
# reports the median of the three of each, their ratio, and the CPU time
# the server and the database spent per request (from /proc). Refuses to
# run on a machine already busy (BENCH_FORCE=1 overrides; the figures are
# then not worth keeping).
#
# Usage: scripts/bench/vs-pgbench.sh CASE [SECONDS=10] [CONNECTIONS=16, 100 for visit-sync]
#   BENCH_PROFILE=release (default) or debug: which build of the server;
#   BENCH_BIN=path: a server already built (no build step);
#   BENCH_PG_SETTINGS="name=value ...": database settings to try.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
CASE=${1:?usage: vs-pgbench.sh read|fhir-create|fhir-search-50|fhir-search-100|visit-sync [SECONDS] [CONNECTIONS]}
SECS=${2:-10}
if [ "$CASE" = visit-sync ]; then CONNS=${3:-100}; else CONNS=${3:-16}; fi
PG_CONNS=$CONNS
PORT=${BENCH_PORT:-3301}
PG_PORT=${BENCH_PG_PORT:-5548}
MERCY=de000000-0000-4000-8000-000000000201
RIVERBEND=de000000-0000-4000-8000-000000000101

case "$CASE" in
  read) TITLE="REST read"; TARGET=70 ;;
  fhir-create) TITLE="FHIR ServiceRequest create"; TARGET=50 ;;
  fhir-search-50) TITLE="FHIR ServiceRequest search, _count=50"; TARGET=50 ;;
  fhir-search-100) TITLE="FHIR ServiceRequest search, _count=100"; TARGET=50 ;;
  visit-sync) TITLE="Visit-log sync"; TARGET=""; PG_CONNS=10 ;;
  *) echo "unknown case: $CASE" >&2; exit 2 ;;
esac


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

admin() { PGPASSWORD=$EMBEDDED_PG_ADMIN_PASSWORD psql -qAtX -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PGDB" "$@"; }

mkdir -p target/bench
WRK_SCRIPT=()
case "$CASE" in
  read)
    ID=$(admin -c "SELECT id FROM referrals WHERE organization_id = '$MERCY' ORDER BY id LIMIT 1")
    URL="$BASE/api/v1/discharge-referrals/$ID" ;;
  fhir-search-*)
    URL="$BASE/api/v1/fhir/ServiceRequest?_count=${CASE#fhir-search-}"
    # A history long enough to fill the larger page many times over.
    admin -c "INSERT INTO referrals (organization_id, id, clinic_id, reference, patient_initials,
                  zip, diagnosis_code, care_type, priority, requested_start, received_at)
              SELECT '$MERCY', gen_random_uuid(), 'de000000-0000-4000-8000-000000000101',
                     'R-' || upper(lpad(to_hex(g), 8, '0')), 'GB', '43215', 'I509',
                     'skilled_nursing', 'routine', current_date, now() - g * interval '1 minute'
              FROM generate_series(1, 2000) g" -c "VACUUM ANALYZE referrals" >/dev/null ;;
  fhir-create)
    URL="$BASE/api/v1/fhir/ServiceRequest"
    BODY='{"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"#p1"},"contained":[{"resourceType":"Patient","id":"p1","name":[{"given":["Jane"],"family":"Doe"}],"birthDate":"1948-03-02","address":[{"postalCode":"43215"}]}],"priority":"urgent","reasonCode":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I50.9"}]}],"note":[{"text":"Needs daily weights."}]}'
    cat > target/bench/fhir-create.lua <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.body = [[$BODY]]
EOF
    WRK_SCRIPT=(-s target/bench/fhir-create.lua) ;;
  visit-sync)
    URL="$BASE/rpc/visits/sync"
    # The nurse, signed in and switched to Riverbend, whose visits these are.
    bench_sign_in nurse@carethread.example /clinician
    curl -fsS -o /dev/null -H "Cookie: $COOKIE" -H "Origin: $BASE" \
      --data-urlencode "org_id=$RIVERBEND" "$BASE/rpc/auth/switch-organization"
    AUTH="Cookie: $COOKIE"
    # Visit number g has the id 00000000-0000-4000-8000-<g in 12 hex
    # digits> and is synced under the key ...-9000-<the same>. The server's
    # runs take blocks of 10,000 from 1 (the warm-up's, then a round's
    # each); the check and the capture take the two after them (a second
    # sync of one visit would only replay its receipt); pgbench's client c
    # takes 1,000,000,000 + c * 1,000,000 + 1, 2, ...
    template=$(admin -c "SELECT v.id FROM visits v JOIN clinicians c ON c.id = v.clinician_id
                         JOIN users u ON u.id = c.user_id
                         WHERE u.email = 'nurse@carethread.example' AND v.organization_id = '$RIVERBEND'
                           AND v.status = 'accepted' ORDER BY v.starts_at LIMIT 1")
    [ -n "$template" ] || { echo "the demo nurse has no accepted Riverbend visit" >&2; exit 1; }
    BLOCK=10000
    PER_CLIENT=${BENCH_SYNCS_PER_CLIENT:-4000}
    CAPTURE_G=$((4 * BLOCK + 2))
    say "making $((CAPTURE_G + PG_CONNS * PER_CLIENT)) accepted visits to sign"
    # Inserted as proposed and then accepted, as the visits' trigger
    # requires; an hour apart, as no clinician is in two places at once.
    admin -v ON_ERROR_STOP=1 \
      -c "CREATE TABLE bench_visit_numbers AS
            SELECT g FROM generate_series(1, $CAPTURE_G) g
            UNION ALL SELECT 1000000000 + c * 1000000 + n
              FROM generate_series(0, $((PG_CONNS - 1))) c, generate_series(1, $PER_CLIENT) n" \
      -c "INSERT INTO visits (organization_id, id, patient_id, referral_id, clinician_id, service,
                              starts_at, ends_at, tasks, created_by, branch_id)
          SELECT t.organization_id, ('00000000-0000-4000-8000-' || lpad(to_hex(b.g), 12, '0'))::uuid,
                 t.patient_id, t.referral_id, t.clinician_id, t.service,
                 timestamptz '2031-01-01' + (row_number() OVER ()) * interval '1 hour',
                 timestamptz '2031-01-01' + (row_number() OVER ()) * interval '1 hour' + interval '45 minutes',
                 t.tasks, t.created_by, t.branch_id
          FROM visits t, bench_visit_numbers b WHERE t.id = '$template'" \
      -c "UPDATE visits SET status = 'accepted' WHERE id::text LIKE '00000000-0000-4000-8000-%'" \
      -c "DROP TABLE bench_visit_numbers" -c "VACUUM ANALYZE visits" >/dev/null
    # A visit's tasks, each done, with vitals, notes and the signature.
    TASKS=$(admin -c "SELECT string_agg(format('{\"task\":%s,\"outcome\":\"done\",\"reason\":null}', to_json(t)), ',')
                      FROM visits v, unnest(v.tasks) t WHERE v.id = '$template'")
    AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    sync_body() {  # VISIT-ID SYNC-KEY (printf formats for the lua script)
      echo '{"id":"'"$1"'","visit":{"sync_key":"'"$2"'","check_in":{"at":"'"$AT"'","location":{"Device":{"lat":39.96,"lon":-82.99}}},"check_out":{"at":"'"$AT"'","location":{"Device":{"lat":39.961,"lon":-82.991}}},"log":{"visit_id":"'"$1"'","tasks":['"$TASKS"'],"vitals":{"systolic":122,"diastolic":78,"pulse":72,"temperature_f10":984,"spo2":97,"respirations":16,"pain":1},"notes":"Worked offline; all well.","patient_signature":{"name":"Mae Brooks","strokes":[[[20,60],[80,30],[140,80]]]},"clinician_signature":{"name":"Luis Moreno","strokes":[]}}}}'
    }
    # sync_lua START: a wrk script signing visits START, START + 1, ...,
    # each thread taking every other one.
    sync_lua() {
      cat > target/bench/visit-sync.lua <<EOF
local threads, made = 0, 0
function setup(thread)
  thread:set("first", $1 + threads)
  threads = threads + 1
  thread:set("step", 2)
end
local body = [==[$(sync_body "00000000-0000-4000-8000-%012x" "00000000-0000-4000-9000-%012x")]==]
local headers
function request()
  if not headers then
    -- wrk.format's headers replace wrk.headers (the cookie): copy them.
    headers = { ["Content-Type"] = "application/json", ["Origin"] = "$BASE" }
    for name, value in pairs(wrk.headers) do headers[name] = value end
  end
  local g = first + made * step
  made = made + 1
  return wrk.format("POST", nil, headers, string.format(body, g, g, g))
end
EOF
      WRK_SCRIPT=(-s target/bench/visit-sync.lua)
    }
    BODY=$(sync_body "00000000-0000-4000-8000-$(printf %012x $((CAPTURE_G - 1)))" \
                     "00000000-0000-4000-9000-$(printf %012x $((CAPTURE_G - 1)))")
    CAPTURE_BODY=$(sync_body "00000000-0000-4000-8000-$(printf %012x "$CAPTURE_G")" \
                             "00000000-0000-4000-9000-$(printf %012x "$CAPTURE_G")") ;;
esac
request() {
  case "$CASE" in
    fhir-create)
      curl -sS -D - -o /dev/null -w '%{http_code}\n' -H "$AUTH" \
        -H "Content-Type: application/fhir+json" --data "$BODY" "$URL" ;;
    visit-sync)
      curl -sS -o /dev/null -w '%{http_code}\n' -H "$AUTH" -H "Origin: $BASE" \
        -H "Content-Type: application/json" --data "$BODY" "$URL" ;;
    *)
      curl -sS -o /dev/null -w '%{http_code}\n' -H "$AUTH" "$URL" ;;
  esac
}
status=$(request | tail -n 1)
case "$status" in 200|201) ;; *) echo "the request answered $status" >&2; exit 1 ;; esac
[ "$CASE" != visit-sync ] || BODY=$CAPTURE_BODY

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
answer=$(request)
case "$(tail -n 1 <<<"$answer")" in 200|201) ;; *) echo "the captured request failed: $answer" >&2; exit 1 ;; esac
sleep 1
admin -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix" \
      -c "SELECT pg_reload_conf()" >/dev/null
tail -c +"$((from + 1))" "$PGLOG" > "target/bench/$CASE.log"
vary=()
if [ "$CASE" = fhir-create ]; then
  # The created referral's id and its reference (R- and the id's first
  # eight hex digits, capitals): each transaction draws its own.
  created=$(awk 'tolower($1) == "location:" { print $2 }' <<<"$answer" | tr -d '\r' | sed 's|.*/||')
  [ -n "$created" ] || { echo "the create answered no Location" >&2; exit 1; }
  ref="R-$(tr 'a-f' 'A-F' <<<"${created:0:8}")"
  vary=(--set "n=random(1, 4294967295)" --set "m=random(1, 9223372036854775807)"
        --vary "$created=(lpad(to_hex(:n::bigint), 8, '0') || lpad(to_hex(:m::bigint), 24, '0'))::uuid"
        --vary "$ref='R-' || upper(lpad(to_hex(:n::bigint), 8, '0'))")
elif [ "$CASE" = visit-sync ]; then
  # Each client signs its own visits in turn (pgbench keeps a client's
  # variables from one transaction to the next; n starts at 0 by -D).
  g=$(printf %012x "$CAPTURE_G")
  vary=(--set "n=:n + 1" --set "g=1000000000 + :client_id * 1000000 + :n"
        --vary "00000000-0000-4000-8000-$g=('00000000-0000-4000-8000-' || lpad(to_hex(:g::bigint), 12, '0'))::uuid"
        --vary "00000000-0000-4000-9000-$g=('00000000-0000-4000-9000-' || lpad(to_hex(:g::bigint), 12, '0'))::uuid")
fi
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
# load_baseline SECONDS ROUND: a sync's client starts each round at a
# fresh quarter of its range (0 for the warm-up), as a round's visits are
# signed. PER_CLIENT is what one client may sign in all rounds together.
load_baseline() {
  local defines=()
  if [ "$CASE" = visit-sync ]; then
    defines=(-D "n=$(($2 * PER_CLIENT / 4))")
  fi
  PGPASSWORD=$EMBEDDED_PG_APP_PASSWORD pgbench -n -M prepared -h 127.0.0.1 -p "$PG_PORT" \
    -U carethread_app -c "$PG_CONNS" -j 2 -T "$1" "${defines[@]}" -f "target/bench/$CASE.pgbench" "$PGDB" 2>&1
}

# signed: how many of the benchmark's visits are signed.
signed() { admin -c "SELECT count(*) FROM visit_logs WHERE visit_id::text LIKE '00000000-0000-4000-8000-%'"; }
# run_a ROUND and run_b ROUND (each in a subshell: the round says which
# visits are fresh).
run_a() {
  local s0 d0 out signed_before
  if [ "$CASE" = visit-sync ]; then
    sync_lua $(($1 * BLOCK + 1))
    signed_before=$(signed)
  else
    KEY=$(new_key); AUTH="Authorization: Bearer $KEY"
  fi
  s0=$(bench_ticks "$server_pid"); d0=$(bench_db_ticks)
  out=$(load_server "$SECS")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "errors under load" >&2; exit 1; fi
  local n rps
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  if [ "$CASE" = visit-sync ]; then
    # Every answered sync signed a visit of its own (wrk does not count
    # the requests still in flight when it stops; they may have signed).
    local now_signed
    now_signed=$(signed)
    if [ "$now_signed" -lt $((signed_before + n)) ] || [ "$now_signed" -gt $((signed_before + n + CONNS)) ]; then
      echo "$n syncs answered but $((now_signed - signed_before)) visits signed" >&2; exit 1
    fi
  fi
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  echo "$rps $(( $(bench_ticks "$server_pid") - s0 )) $(( $(bench_db_ticks) - d0 )) $n"
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
[ "$CASE" = visit-sync ] && sync_lua 1
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
  "$CONNS" "$SECS" "$TITLE" "$TARGET" "$PG_CONNS" <<'EOF'
import statistics, sys
path, hz, cores, load, profile, conns, secs, title, target, pg_conns = sys.argv[1:11]
hz = int(hz)
with open(path) as f:
    rows = [line.split() for line in f if line.strip()]
def ms(ticks, n):
    return 1000.0 * int(ticks) / hz / max(int(n), 1)
clients = f"{conns} connections" if conns == pg_conns else f"{conns} clients (pgbench: {pg_conns} connections)"
print(f"{title} vs pgbench with the same statements "
      f"({profile} build, {clients}, {secs} s each, {cores} cores, load {load} at start)")
print()
print("| run | what | per second | server CPU ms/req | database CPU ms/req |")
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
print(f"median CPU per request: server {statistics.median(s for _, s, _ in a):.3f} ms, "
      f"database {statistics.median(d for _, _, d in a):.3f} ms (pgbench: database "
      f"{statistics.median(d for _, _, d in b):.3f} ms)")
EOF
