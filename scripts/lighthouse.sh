#!/usr/bin/env bash
# Lighthouse on a phone: audits a few representative pages of a running
# Carethread for performance and accessibility, with Lighthouse's default
# mobile emulation (a mid-range phone's screen and CPU) and simulated slow
# 4G, in headless Chromium, and prints one row per page: performance and
# accessibility scores (0-100), Largest Contentful Paint, Total Blocking
# Time and Cumulative Layout Shift. Pages behind sign-in are audited as the
# demo user who sees them (signed in with a plain form post, the session
# cookie sent by Lighthouse on every request).
#
#   scripts/lighthouse.sh [BASE_URL] [--check]     (default http://127.0.0.1:3000)
#
# It needs a server already running with the demo data, e.g. scripts/run.sh
# in another terminal. Performance depends on what that server sends: a
# debug build's wasm is about ten times a release one's, so the figures the
# README quotes come from a release bundle (scripts/bench-lighthouse.sh). The
# simulated LCP includes the wasm download whenever, in the real loopback
# load, it finished before the first paint (usually so): the wasm's size
# shows in LCP, and a debug build's LCP flips between ~1.5 and ~15 s. With
# --check it exits 1 when a page scores below 100 for accessibility (those
# audits are deterministic); performance is timing and is only printed.
# The JSON reports are kept in target/lighthouse/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

base=http://127.0.0.1:3000
check=()
for arg in "$@"; do
  case "$arg" in
    --check) check=(--check) ;;
    -*) echo "usage: scripts/lighthouse.sh [BASE_URL] [--check]" >&2; exit 2 ;;
    *) base=${arg%/} ;;
  esac
done
password=carethread-demo-2026

# The page, and the demo user who sees it ("-" for anonymous).
pages=(
  "/trust -"
  "/login -"
  "/clinic/inbox director@riverbend.example"
  "/referrer/referrals/new planner@mercy.example"
  "/clinician nurse@carethread.example"
)

# Pinned, so that scores compare across runs (audits change between
# versions); tools/ is git-ignored.
version=13.5.0
lighthouse=tools/lighthouse/node_modules/.bin/lighthouse
installed=$(node -p "require('./tools/lighthouse/node_modules/lighthouse/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$version" ]; then
  echo "installing lighthouse $version into tools/lighthouse" >&2
  npm install --prefix tools/lighthouse --no-audit --no-fund --silent "lighthouse@$version"
fi

export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
# Headless, and nothing in the background: without these Chromium keeps
# reaching for Google's services, which on a machine without internet
# floods the network with retries and skews the timings.
chrome_flags="--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync"

if ! curl -fs -o /dev/null "$base/api/v1/health"; then
  echo "no Carethread at $base (start one with scripts/run.sh)" >&2
  exit 2
fi

# A session cookie for a demo user: the sign-in form posted as a browser
# without JavaScript would (to /login, naming its function; Sec-Fetch-Site
# passes the server's same-origin check); success is a 303 with the cookie.
sign_in() {
  local headers status cookie
  headers=$(curl -sS -o /dev/null -D - -X POST "$base/login" \
    -H 'Accept: text/html' \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    -H 'Sec-Fetch-Site: same-origin' \
    --data-urlencode "_rpc=/rpc/auth/login" \
    --data-urlencode "email=$1" --data-urlencode "password=$password" --data-urlencode "next=" | tr -d '\r')
  status=$(head -n 1 <<<"$headers" | cut -d ' ' -f 2)
  cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: *\([^;]*\).*/\1/p' <<<"$headers" | paste -sd ';' | sed 's/;/; /g')
  if [ "$status" != 303 ] || [ -z "$cookie" ]; then
    echo "signing in as $1 failed (HTTP $status)" >&2
    exit 2
  fi
  printf '%s' "$cookie"
}

out=target/lighthouse
mkdir -p "$out"
# The cookie goes to Lighthouse as a JSON file of extra headers (JSON
# escaping done by node, not by hand); it is a live session, so it is
# removed on exit rather than kept with the reports.
headers_file=$(mktemp)
trap 'rm -f "$headers_file"' EXIT

reports=()
# One page at a time: each run starts its own Chromium, and two at once on
# a small machine would make both sets of timings meaningless.
for entry in "${pages[@]}"; do
  read -r path user <<<"$entry"
  name=$(sed 's|^/||; s|/|-|g' <<<"$path")
  report="$out/$name.json"
  extra=()
  if [ "$user" = - ]; then
    echo "auditing $path" >&2
  else
    echo "auditing $path as $user" >&2
    cookie=$(sign_in "$user")
    node -e 'process.stdout.write(JSON.stringify({ Cookie: process.argv[1] }))' "$cookie" >"$headers_file"
    extra=(--extra-headers="$headers_file")
  fi
  # Mobile and simulated throttling are Lighthouse's defaults, spelled out
  # so that the figures say what they are. Its log goes beside the report,
  # read only when a run fails.
  if ! "$lighthouse" "$base$path" \
    --form-factor=mobile --throttling-method=simulate \
    --only-categories=performance,accessibility \
    --chrome-flags="$chrome_flags" \
    "${extra[@]}" \
    --output=json --output-path="$report" \
    2>"$out/$name.log"; then
    echo "lighthouse failed on $path; see $out/$name.log" >&2
    tail -n 20 "$out/$name.log" >&2
    exit 2
  fi
  reports+=("$report")
done

echo >&2
node scripts/lighthouse-report.mjs "${check[@]}" "${reports[@]}"
