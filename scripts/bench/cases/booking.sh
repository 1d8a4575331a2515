# vs-pgbench.sh's `booking` case (sourced): families book visits from
# their phones, 100 at once. One booking is two requests, as on the
# family's pages: `POST /rpc/family/book/hold` (the slot is checked open
# and held, the visit made, sealed details read for the patient copy) and
# `POST /rpc/family/visits/confirm` (the card authorized through the
# configured processor, the local one here, posted to the ledger, the
# clinician asked). Figures are bookings per second, against pgbench
# running both requests' statements as one script.
#
# Made beforehand by SQL: 100 families (each a family organization, one
# member signed in with the demo password, Walter Lin's sealed record
# copied under the same id, as sealing binds a record to its id and not
# to its organization), and 30 verified clinicians of the directory, each
# given an account (a booking asks the clinician) and opened around the
# clock at $95 a visit. Booking b goes to clinician b mod 30 at the hour
# floor(b / 30) after the start, for family b mod 100, under the form key
# (and so the visit id) 00000000-0000-4000-a000-<b in 12 hex digits>. The
# server's runs take blocks of 20,000 from 1; the check and the capture
# the two after them. pgbench's client c books its own hours far ahead
# (a direct insert is held to no opening, only to the no-overlap rule),
# under ids 00000000-0000-4000-e000-<c * 1,000,000 + n>, all for the
# captured booking's family and with its clinician: the family's person
# is a patient record of its own, which a direct insert cannot vary. So
# the baseline's work per booking grows as its clinician's and its
# family's visits pile up over the runs (see its database CPU per
# booking), and the ratio flatters the server.
TITLE="Booking (hold and confirm)"
REQUESTS_PER_OP=2
FAMILIES=$CONNS
SPREAD=30
BLOCK=20000
CAPTURE_B=$((4 * BLOCK + 2))
LIN_FAMILY=de000000-0000-4000-8000-000000000301
WALTER=de000000-0000-4000-8000-000000030001
GRACE=de000000-0000-4000-8000-000000010007
URL="$BASE/rpc/family/book/hold"
# The first bookable hour: a whole hour, two from now.
T0=$(( ($(date -u +%s) / 3600 + 2) * 3600 ))

say "making $FAMILIES families and opening $SPREAD clinicians"
admin -v ON_ERROR_STOP=1 \
  -c "CREATE TABLE bench_families AS
        SELECT n, ('00000000-0000-4000-b000-' || lpad(to_hex(n), 12, '0'))::uuid AS org,
               ('00000000-0000-4000-c000-' || lpad(to_hex(n), 12, '0'))::uuid AS member
        FROM generate_series(1, $FAMILIES) n" \
  -c "INSERT INTO organizations (id, kind, name)
        SELECT org, 'family', 'Benchmark family ' || n FROM bench_families" \
  -c "INSERT INTO users (id, email, display_name)
        SELECT member, 'family-' || n || '@bench.example', 'Benchmark member ' || n FROM bench_families" \
  -c "INSERT INTO user_credentials (user_id, password_hash, password_changed_at)
        SELECT member, (SELECT password_hash FROM user_credentials WHERE user_id = '$GRACE'), now()
        FROM bench_families" \
  -c "INSERT INTO memberships (organization_id, user_id, role)
        SELECT org, member, 'family' FROM bench_families" \
  -c "INSERT INTO care_recipients (organization_id, id, initials, zip, care_types, diagnoses,
                                   language, key_id, sealed, created_by)
        SELECT f.org, r.id, r.initials, r.zip, r.care_types, r.diagnoses, r.language, r.key_id,
               r.sealed, f.member
        FROM bench_families f, care_recipients r
        WHERE r.organization_id = '$LIN_FAMILY' AND r.id = '$WALTER'" \
  -c "CREATE TABLE bench_clinicians AS
        SELECT c.id FROM clinicians c
        WHERE c.verification_status = 'verified'
          AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.clinician_id = c.id)
        ORDER BY c.id LIMIT $SPREAD" \
  -c "INSERT INTO users (id, email, display_name)
        SELECT ('00000000-0000-4000-d000-' || lpad(to_hex(n), 12, '0'))::uuid,
               'clinician-' || n || '@bench.example', 'Benchmark clinician ' || n
        FROM generate_series(1, $SPREAD) n" \
  -c "UPDATE clinicians c SET user_id = ('00000000-0000-4000-d000-' || lpad(to_hex(b.n), 12, '0'))::uuid
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM bench_clinicians) b
        WHERE c.id = b.id AND c.user_id IS NULL" \
  -c "DELETE FROM clinician_hours WHERE clinician_id IN (SELECT id FROM bench_clinicians)" \
  -c "DELETE FROM clinician_days_off WHERE clinician_id IN (SELECT id FROM bench_clinicians)" \
  -c "INSERT INTO clinician_hours (clinician_id, weekday, start_minute, end_minute)
        SELECT id, d, 0, 1440 FROM bench_clinicians, generate_series(0, 6) d" \
  -c "INSERT INTO clinician_rates (clinician_id, service, cents)
        SELECT id, 'skilled_nursing', 9500 FROM bench_clinicians
        ON CONFLICT (clinician_id, service) DO UPDATE SET cents = 9500" >/dev/null
mapfile -t CLINICIANS < <(admin -c "SELECT id FROM bench_clinicians ORDER BY id")
[ "${#CLINICIANS[@]}" = "$SPREAD" ] || { echo "only ${#CLINICIANS[@]} clinicians to open" >&2; exit 1; }
admin -c "DROP TABLE bench_families" -c "DROP TABLE bench_clinicians" >/dev/null

# Every family signs in (a plain form post each), each from its own
# loopback address, as families are not all in one house.
say "signing $FAMILIES families in"
COOKIES=()
for n in $(seq 1 "$FAMILIES"); do
  bench_sign_in "family-$n@bench.example" /family "127.0.$((n / 250 + 1)).$((n % 250 + 1))"
  COOKIES+=("$COOKIE")
done
AUTH="Cookie: ${COOKIES[0]}"

key_of() { printf '00000000-0000-4000-a000-%012x' "$1"; }
clinician_of() { echo "${CLINICIANS[$(($1 % SPREAD))]}"; }
starts_of() { date -u -d "@$((T0 + $1 / SPREAD * 3600))" +%Y-%m-%dT%H:%M:%SZ; }

# case_request with BOOKING: hold, then confirm (each status printed).
BOOKING=$((CAPTURE_B - 1))
case_request() {
  local b=$BOOKING cookie=${COOKIES[$((BOOKING % FAMILIES))]} held
  held=$(curl -sS -o target/bench/booking-hold.json -w '%{http_code}\n' -H "Cookie: $cookie" -H "Origin: $BASE" \
    --data-urlencode "clinician=$(clinician_of "$b")" --data-urlencode "starts=$(starts_of "$b")" \
    --data-urlencode "service=skilled_nursing" --data-urlencode "recipient=$WALTER" \
    --data-urlencode "key=$(key_of "$b")" "$BASE/rpc/family/book/hold")
  echo "$held"
  [ "$held" = 200 ] || return 0
  curl -sS -o target/bench/booking-confirm.json -w '%{http_code}\n' -H "Cookie: $cookie" -H "Origin: $BASE" \
    --data-urlencode "id=$(key_of "$b")" --data-urlencode "card=4242 4242 4242 4242" \
    "$BASE/rpc/family/visits/confirm"
}
case_capture_next() { BOOKING=$CAPTURE_B; }
case_vary() {
  # PostgreSQL logs a timestamp parameter as "2026-12-03 09:00:00+00".
  local at=$((T0 + CAPTURE_B / SPREAD * 3600))
  local starts ends
  starts=$(date -u -d "@$at" '+%Y-%m-%d %H:%M:%S+00')
  ends=$(date -u -d "@$((at + 3600))" '+%Y-%m-%d %H:%M:%S+00')
  local key visit literal
  key=$(key_of "$CAPTURE_B")
  visit="('00000000-0000-4000-e000-' || lpad(to_hex(:g::bigint), 12, '0'))"
  vary=(--set "n=:n + 1" --set "g=:client_id * 1000000 + :n"
        --vary "$key=$visit::uuid")
  # The ledger's and the processor's idempotency keys name the visit.
  for literal in $(grep -o "'[a-z_]*-$key[^']*'" "target/bench/$CASE.log" | tr -d "'" | sort -u); do
    vary+=(--vary "$literal='${literal%%-"$key"*}-' || $visit || '${literal#*"$key"}'")
  done
  # The local processor's payment id, drawn by the server.
  for literal in $(grep -o "'lp_[0-9a-f]*'" "target/bench/$CASE.log" | tr -d "'" | sort -u); do
    vary+=(--vary "$literal='lp_' || md5(random()::text)")
  done
  vary+=(
        --vary "$starts=timestamptz '2035-01-01 00:00:00+00' + :g * interval '1 hour'"
        --vary "$ends=timestamptz '2035-01-01 01:00:00+00' + :g * interval '1 hour'")
}
# made and confirmed: the benchmark's bookings, held or further along.
bookings() {
  admin -c "SELECT count(*), count(*) FILTER (WHERE status <> 'held') FROM visits
            WHERE id::text LIKE '00000000-0000-4000-a000-%'" | tr '|' ' '
}
case_round() {
  # The holds a run left unconfirmed (wrk stops mid-booking) are let go,
  # as their families would: a family may hold only three at a time.
  admin -v ON_ERROR_STOP=1 -c "UPDATE visits SET status = 'cancelled'
            WHERE status = 'held' AND id::text LIKE '00000000-0000-4000-a000-%'" >/dev/null
  rm -f target/bench/booking-refused.txt
  booking_lua $(($1 * BLOCK + 1))
  local now
  now=$(bookings)
  read -r made_before confirmed_before <<<"$now"
}
case_check() {
  # Each answered request made a hold or confirmed one; the requests in
  # flight when wrk stopped may have done so too.
  local made confirmed done now
  now=$(bookings)
  read -r made confirmed <<<"$now"
  done=$((made - made_before + confirmed - confirmed_before))
  if [ "$done" -lt "$1" ] || [ "$done" -gt $(($1 + CONNS)) ]; then
    echo "$1 requests answered, but $((made - made_before)) holds and $((confirmed - confirmed_before)) confirmations made" >&2
    exit 1
  fi
}
case_pgbench_args() { echo "-D n=$(($1 * 100000))"; }

# booking_lua START: a wrk script booking START, START + 1, ..., each
# thread taking every other one; a connection confirms a hold as soon as
# its answer is in (the answer names the visit).
booking_lua() {
  {
    echo "local first_of, step, t0, spread = $1, 2, $T0, $SPREAD"
    echo "local cookies = {"
    printf '  "%s",\n' "${COOKIES[@]}"
    echo "}"
    echo "local clinicians = {"
    printf '  "%s",\n' "${CLINICIANS[@]}"
    echo "}"
    cat <<EOF
local threads = 0
function setup(thread)
  thread:set("first", first_of + threads)
  threads = threads + 1
end
local made, pending = 0, {}
local function key(b) return string.format("00000000-0000-4000-a000-%012x", b) end
local function post(path, b, body)
  return wrk.format("POST", path, {
    ["Cookie"] = cookies[(b % #cookies) + 1],
    ["Origin"] = "$BASE",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
function request()
  local b = table.remove(pending, 1)
  if b then
    return post("/rpc/family/visits/confirm", b, "id=" .. key(b) .. "&card=4242+4242+4242+4242")
  end
  b = first + made * step
  made = made + 1
  local starts = os.date("!%Y-%m-%dT%H:%M:%SZ", t0 + math.floor(b / spread) * 3600)
  return post("/rpc/family/book/hold", b, "clinician=" .. clinicians[(b % spread) + 1]
    .. "&starts=" .. starts .. "&service=skilled_nursing&recipient=$WALTER&key=" .. key(b))
end
local told = false
function response(status, headers, body)
  local hex = status == 200 and body:match('^"00000000%-0000%-4000%-a000%-(%x+)"$')
  if hex then table.insert(pending, tonumber(hex, 16)) end
  if status ~= 200 and not told then
    -- The first refusal's answer, for the one reading the failure.
    told = true
    local f = io.open("target/bench/booking-refused.txt", "a")
    f:write(status, " ", body, "\n")
    f:close()
  end
end
EOF
  } > target/bench/booking.lua
  WRK_SCRIPT=(-s target/bench/booking.lua)
}
