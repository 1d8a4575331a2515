#!/usr/bin/env bash
# Benchmark (issue 17, SPEC §6): the clinic inbox page as Leptos renders it
# on the server, against the same page written by hand as an askama
# template (`server bench-inbox`, server/src/bench/inbox.rs). Target: the
# Leptos page reaches >= 70% of the hand-written one's throughput.
#
# Both are release builds of the same binary on the same database, signed
# in with the same session (Riverbend's director): the same layers, the
# same queries through the same domain operation, the same markup. Before
# anything is timed the script shows that:
#   - the two pages are the same document (scripts/bench/same-page.py:
#     elements, attributes and text, without Leptos's hydration markers
#     and scripts);
#   - each page view sends the same statements to PostgreSQL, their values
#     and order aside (from the statement log, by
#     scripts/bench/capture-sql.py; Leptos runs the page's two resources
#     at once, the hand-written page one after the other).
# So the figure is the cost of Leptos's rendering and nothing else.
#
# Runs A (wrk against the Leptos page) and B (wrk against the askama
# page) interleaved, A B A B A B, and reports the median of three of
# each, their ratio, and the CPU time each server process and the
# database spent per page (from /proc). Refuses to run on a busy machine
# (BENCH_FORCE=1 overrides).
#
# Usage: scripts/bench/inbox-vs-askama.sh [SECONDS=10] [CONNECTIONS=16]
#   BENCH_PROFILE=release (default) or debug; BENCH_BIN=path.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
SECS=${1:-10}
CONNS=${2:-16}
PORT=${BENCH_PORT:-3304}
ASKAMA_PORT=${BENCH_ASKAMA_PORT:-3305}
PG_PORT=${BENCH_PG_PORT:-5553}

source scripts/bench/lib.sh
bench_need wrk
bench_refuse_if_busy
bench_bin
bench_serve inbox "$PORT" "$PG_PORT" "${BENCH_SMTP_PORT:-2535}"
bench_sign_in director@riverbend.example /clinic/inbox
LEPTOS=$BASE/clinic/inbox
ASKAMA=http://127.0.0.1:$ASKAMA_PORT/clinic/inbox

# The hand-written page's process, on the same cluster (it reuses the
# running one and leaves it running when it stops).
askama_pid=""
bench_at_exit 'kill "$askama_pid" 2>/dev/null; wait "$askama_pid" 2>/dev/null'
LOG_FORMAT=json RUST_LOG=error "$BIN" bench-inbox --bind "127.0.0.1:$ASKAMA_PORT" \
  > target/bench/inbox-askama.log 2>&1 &
askama_pid=$!
for _ in $(seq 1 60); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$ASKAMA")" = 200 ] && break
  kill -0 "$askama_pid" 2>/dev/null || { cat target/bench/inbox-askama.log >&2; exit 1; }
  sleep 1
done

# --- the same document, the same statements --------------------------------
curl -fsS -H "Cookie: $COOKIE" "$LEPTOS" > target/bench/inbox-leptos.html
curl -fsS -H "Cookie: $COOKIE" "$ASKAMA" > target/bench/inbox-askama.html
same=$(python3 scripts/bench/same-page.py target/bench/inbox-leptos.html target/bench/inbox-askama.html) \
  || { echo "$same" >&2; echo "the two pages are not the same document" >&2; exit 1; }
say "$same"
say "page sizes: Leptos $(wc -c < target/bench/inbox-leptos.html) bytes, askama $(wc -c < target/bench/inbox-askama.html) bytes"

# One view of each page, its statements cut from the log after it (in
# this shell: a cut moves the log's mark on).
bench_log_on
curl -fsS -o /dev/null -H "Cookie: $COOKIE" "$LEPTOS"
bench_log_cut inbox-leptos
curl -fsS -o /dev/null -H "Cookie: $COOKIE" "$ASKAMA"
bench_log_cut inbox-askama
bench_log_off
# statements NAME: how many statements the page sent.
statements() {
  python3 scripts/bench/capture-sql.py "target/bench/inbox-$1.log" carethread_app "target/bench/inbox-$1.sql"
}
n_leptos=$(statements leptos)
n_askama=$(statements askama)
say "statements per page view: Leptos $n_leptos, askama $n_askama (target/bench/inbox-*.sql)"
# The same statements, their values aside (ids, times, the session's),
# in any order: Leptos runs the page's two resources at once, so their
# transactions interleave; the hand-written page runs them in turn.
masked() { sed -E "s/'[^']*'/?/g" "target/bench/inbox-$1.sql" | sort; }
diff <(masked leptos) <(masked askama) >&2 \
  || { echo "the two pages do not send the same statements" >&2; exit 1; }

HZ=$(getconf CLK_TCK)
load() { wrk -t2 -c"$CONNS" -d"${2}s" -H "Cookie: $COOKIE" "$1"; }
# run PID URL: "rate server-ticks database-ticks requests" for one timed run.
run() {
  local s0 d0 out
  s0=$(bench_ticks "$1"); d0=$(bench_db_ticks)
  out=$(load "$2" "$SECS")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "errors under load" >&2; exit 1; fi
  echo "$(awk '/Requests\/sec/ { print $2 }' <<<"$out") $(( $(bench_ticks "$1") - s0 )) \
$(( $(bench_db_ticks) - d0 )) $(awk '/requests in/ { print $1 }' <<<"$out")"
}

# Warm both once (connections, caches), untimed.
load "$LEPTOS" 2 >/dev/null
load "$ASKAMA" 2 >/dev/null
results=()
for round in 1 2 3; do
  say "round $round of 3"
  results+=("A $(run "$server_pid" "$LEPTOS")")
  results+=("B $(run "$askama_pid" "$ASKAMA")")
done
printf '%s\n' "${results[@]}" > target/bench/inbox.results

python3 - target/bench/inbox.results "$HZ" "$cores" "$load" "$(basename "$(dirname "$BIN")")" \
  "$CONNS" "$SECS" "$n_leptos" <<'PY'
import statistics, sys
path, hz, cores, load, profile, conns, secs, statements = sys.argv[1:9]
hz = int(hz)
rows = [line.split() for line in open(path) if line.strip()]
def ms(ticks, n):
    return 1000.0 * int(ticks) / hz / max(int(n), 1)
print(f"Clinic inbox: Leptos SSR vs a hand-written askama page with the same queries and HTML "
      f"({profile} build, {conns} connections, {secs} s each, {cores} cores, load {load} at start; "
      f"{statements} statements per page view in both)")
print()
print("| run | what | pages per second | server CPU ms/page | database CPU ms/page |")
print("|---|---|---|---|---|")
a, b = [], []
for i, (kind, rate, server, db, n) in enumerate(rows):
    what = "Leptos SSR (`serve`)" if kind == "A" else "askama (`bench-inbox`)"
    (a if kind == "A" else b).append((float(rate), ms(server, n), ms(db, n)))
    print(f"| {i // 2 + 1}{kind} | {what} | {float(rate):,.0f} | {ms(server, n):.3f} | {ms(db, n):.3f} |")
ma = statistics.median(r for r, _, _ in a)
mb = statistics.median(r for r, _, _ in b)
print()
print(f"median: Leptos {ma:,.0f}/s, askama {mb:,.0f}/s: {100 * ma / mb:.0f}% of the baseline (target >= 70%)")
print(f"median server CPU per page: Leptos {statistics.median(s for _, s, _ in a):.3f} ms, "
      f"askama {statistics.median(s for _, s, _ in b):.3f} ms; database: "
      f"{statistics.median(d for _, _, d in a):.3f} ms and {statistics.median(d for _, _, d in b):.3f} ms")
PY
