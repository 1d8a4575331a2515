# vs-pgbench.sh's `visit-sync` case (sourced): a visit worked offline
# arrives from the clinician's phone, `POST /rpc/visits/sync` with the
# check-in, the check-out and the signed log, which the server validates,
# hashes, seals and locks, with its audit events. 100 clients at once, all
# signed in as the demo nurse (switched to Riverbend, whose visits these
# are).
#
# A visit is signed once (a second sync only replays its receipt), so
# every request and every baseline transaction signs a visit of its own,
# made beforehand by SQL: accepted visits copied from one of the nurse's,
# an hour apart. After each timed run the database must hold one signed
# log per answered sync.
TITLE="Visit-log sync"
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
                         "00000000-0000-4000-9000-$(printf %012x "$CAPTURE_G")")

case_request() {
  curl -sS -o /dev/null -w '%{http_code}\n' -H "$AUTH" -H "Origin: $BASE" \
    -H "Content-Type: application/json" --data "$BODY" "$URL"
}
case_capture_next() { BODY=$CAPTURE_BODY; }
case_vary() {
  # Each client signs its own visits in turn (pgbench keeps a client's
  # variables from one transaction to the next; n starts where -D puts it).
  local g
  g=$(printf %012x "$CAPTURE_G")
  vary=(--set "n=:n + 1" --set "g=1000000000 + :client_id * 1000000 + :n"
        --vary "00000000-0000-4000-8000-$g=('00000000-0000-4000-8000-' || lpad(to_hex(:g::bigint), 12, '0'))::uuid"
        --vary "00000000-0000-4000-9000-$g=('00000000-0000-4000-9000-' || lpad(to_hex(:g::bigint), 12, '0'))::uuid")
}
# signed: how many of the benchmark's visits are signed.
signed() { admin -c "SELECT count(*) FROM visit_logs WHERE visit_id::text LIKE '00000000-0000-4000-8000-%'"; }
case_round() {
  sync_lua $(($1 * BLOCK + 1))
  signed_before=$(signed)
}
case_check() {
  # Every answered sync signed a visit of its own (wrk does not count the
  # requests still in flight when it stops; they may have signed too).
  local now_signed
  now_signed=$(signed)
  if [ "$now_signed" -lt $((signed_before + $1)) ] || [ "$now_signed" -gt $((signed_before + $1 + CONNS)) ]; then
    echo "$1 syncs answered but $((now_signed - signed_before)) visits signed" >&2; exit 1
  fi
}
# A round's clients start at a fresh quarter of their ranges (0: warm-up).
case_pgbench_args() { echo "-D n=$(($1 * PER_CLIENT / 4))"; }
