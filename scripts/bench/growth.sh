#!/usr/bin/env bash
# Benchmark (issue 17, SPEC §6): does a tenant's latency stay flat as its
# own history grows, and as other tenants arrive? Target: p50 within 1.3x.
#
# One server on a throw-away cluster with the demo data. Three requests are
# timed (wrk --latency, p50 and p99) at each size:
#   - the REST read `GET /api/v1/discharge-referrals/{id}` (Mercy's key);
#   - the FHIR search `GET /api/v1/fhir/ServiceRequest?_count=50` (the
#     same key: the newest 50 of everything it sent);
#   - the clinic inbox page `/clinic/inbox`, server-rendered, signed in as
#     Riverbend's director (the newest referrals received).
# Sizes: Mercy -> Riverbend referrals filled to SMALL (10,000), then to
# LARGE (100,000; pass 1000000 for the issue's million), then ORGS other
# referrer/clinic pairs (1,000) with PER_ORG referrals each (100), so
# the table holds a thousand more tenants' rows.
# Rows are inserted by SQL as the administrator (the referral triggers
# still run: history rows, checks), then VACUUM ANALYZE.
#
# Usage: scripts/bench/growth.sh [SMALL=10000] [LARGE=100000] [ORGS=1000] [PER_ORG=100]
#   BENCH_PROFILE=release (default) or debug; BENCH_BIN=path; BENCH_SECS=5.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
SMALL=${1:-10000}
LARGE=${2:-100000}
ORGS=${3:-1000}
PER_ORG=${4:-100}
SECS=${BENCH_SECS:-5}
PORT=${BENCH_PORT:-3303}
PG_PORT=${BENCH_PG_PORT:-5552}
MERCY=de000000-0000-4000-8000-000000000201
RIVERBEND=de000000-0000-4000-8000-000000000101

source scripts/bench/lib.sh
bench_need wrk
bench_refuse_if_busy
bench_bin

bench_serve growth "$PORT" "$PG_PORT" "${BENCH_SMTP_PORT:-2534}"
"$BIN" api-key limits --org "$MERCY" --per-minute 100000 --per-day 100000000 >/dev/null
KEY=$("$BIN" api-key create --org "$MERCY" --name "growth benchmark" 2>/dev/null | tail -n 1)
ID=$(admin -c "SELECT id FROM referrals WHERE organization_id = '$MERCY' ORDER BY received_at LIMIT 1")

bench_sign_in director@riverbend.example /clinic/inbox

# fill_pair N: Mercy -> Riverbend referrals up to N (besides the demo's).
fill_pair() {
  admin -c "INSERT INTO referrals (organization_id, id, clinic_id, reference, patient_initials,
                zip, diagnosis_code, care_type, priority, requested_start, received_at)
            SELECT '$MERCY', gen_random_uuid(), '$RIVERBEND', 'R-' || upper(lpad(to_hex(g), 8, '0')),
                   'GB', '43215', 'I509', 'skilled_nursing', 'routine', current_date,
                   now() - interval '1 day' - g * interval '1 minute'
            FROM generate_series((SELECT count(*) FROM referrals WHERE reference LIKE 'R-0%') + 1, $1) g" \
        -c "VACUUM ANALYZE referrals" -c "VACUUM ANALYZE referral_history" >/dev/null
}
fill_others() {
  admin -c "CREATE TEMP TABLE pairs AS
              SELECT gen_random_uuid() AS referrer, gen_random_uuid() AS clinic, n
              FROM generate_series(1, $ORGS) n;
            INSERT INTO organizations (id, kind, name)
              SELECT referrer, 'referrer'::organization_kind, 'Growth referrer ' || n FROM pairs
              UNION ALL SELECT clinic, 'clinic'::organization_kind, 'Growth clinic ' || n FROM pairs;
            INSERT INTO referrals (organization_id, id, clinic_id, reference, patient_initials,
                zip, diagnosis_code, care_type, priority, requested_start, received_at)
              SELECT p.referrer, gen_random_uuid(), p.clinic, 'R-' || upper(lpad(to_hex(g), 8, '0')),
                     'GB', '43215', 'I509', 'skilled_nursing', 'routine', current_date,
                     now() - g * interval '1 minute'
              FROM pairs p, generate_series(1, $PER_ORG) g;" \
        -c "VACUUM ANALYZE" >/dev/null
}

# p50 and p99 in ms of one request for SECS seconds (4 connections).
measure() {
  local out
  out=$(wrk -t1 -c4 -d"${SECS}s" --timeout 30s --latency "$@")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "errors under load" >&2; exit 1; fi
  awk '
    # wrk prints "50%    1.23ms" in its latency distribution.
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { if (!p50) exit 1; printf "%.2f %.2f\n", p50, p99 }' <<<"$out" \
    || { echo "$out" >&2; echo "no latency distribution in wrk's output" >&2; exit 1; }
}
measure_all() {
  local stage=$1
  echo "$stage read $(measure -H "Authorization: Bearer $KEY" "$BASE/api/v1/discharge-referrals/$ID")"
  echo "$stage search $(measure -H "Authorization: Bearer $KEY" "$BASE/api/v1/fhir/ServiceRequest?_count=50")"
  echo "$stage inbox $(measure -H "Cookie: $COOKIE" "$BASE/clinic/inbox")"
}

results=target/bench/growth.results
: > "$results"
say "filling to $SMALL referrals"; fill_pair "$SMALL"
measure "$BASE/api/v1/health" >/dev/null  # warm-up
measure_all small >> "$results"
say "filling to $LARGE referrals"; fill_pair "$LARGE"
measure_all large >> "$results"
say "adding $ORGS organization pairs with $PER_ORG referrals each"; fill_others
measure_all orgs >> "$results"

python3 - "$results" "$SMALL" "$LARGE" "$ORGS" "$PER_ORG" "$(basename "$(dirname "$BIN")")" "$cores" "$load" <<'PY'
import sys
path, small, large, orgs, per_org, profile, cores, load = sys.argv[1:9]
rows = {}
for line in open(path):
    stage, what, p50, p99 = line.split()
    rows[(stage, what)] = (float(p50), float(p99))
names = {"read": "REST read by id", "search": "FHIR search, _count=50", "inbox": "clinic inbox page (SSR)"}
print(f"Growth: p50 (p99) in ms, {profile} build, 4 connections, {cores} cores, load {load} at start")
print()
print(f"| request | {int(small):,} referrals | {int(large):,} | ratio | +{int(orgs):,} organizations x {per_org} | ratio |")
print("|---|---|---|---|---|---|")
worst = 0.0
for what, name in names.items():
    s, l, o = rows[("small", what)], rows[("large", what)], rows[("orgs", what)]
    r1, r2 = l[0] / s[0], o[0] / l[0]
    worst = max(worst, r1, r2)
    print(f"| {name} | {s[0]:.2f} ({s[1]:.1f}) | {l[0]:.2f} ({l[1]:.1f}) | {r1:.2f} | {o[0]:.2f} ({o[1]:.1f}) | {r2:.2f} |")
print()
print(f"worst p50 ratio {worst:.2f} (target <= 1.3)")
PY
