# Shared by the benchmark scripts that start their own server (sourced, not
# run): whether the machine is quiet enough to measure, which server
# binary, and a server with the demo data on a throw-away cluster, removed
# again when the script exits.
#
# A command substitution (`x=$(run_a)`) keeps `set -e`: a failing wrk or
# pgbench inside one stops the script instead of leaving an empty figure.
shopt -s inherit_errexit

say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

# bench_need TOOL: exits (2) unless TOOL (wrk, pgbench) is installed.
bench_need() {
  command -v "$1" >/dev/null || { echo "needs $1 (Debian: apt-get install $1)" >&2; exit 2; }
}

# bench_refuse_if_busy: exits (2) when the load average is already above
# half the cores, unless BENCH_FORCE=1 (the figures are then not worth
# keeping). Sets cores and load for the scripts' reports.
bench_refuse_if_busy() {
  cores=$(nproc)
  load=$(cut -d' ' -f1 /proc/loadavg)
  if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c * 0.5) }' && [ "${BENCH_FORCE:-0}" != 1 ]; then
    echo "the machine is busy (load $load on $cores cores): figures would mean nothing; BENCH_FORCE=1 runs anyway" >&2
    exit 2
  fi
}
#
# bench_bin: sets BIN to BENCH_BIN, or builds BENCH_PROFILE (release by
# default, or debug) and uses that.
bench_bin() {
  if [ -n "${BENCH_BIN:-}" ]; then
    BIN=$(realpath "$BENCH_BIN")
    return
  fi
  local profile=${BENCH_PROFILE:-release}
  if [ "$profile" = release ]; then
    cargo build -q --release -p server
  else
    RUSTFLAGS="--cfg erase_components" cargo build -q -p server
  fi
  BIN="$TARGET_DIR/$profile/server"
}

# bench_serve NAME PORT PG_PORT SMTP_PORT: starts `serve --demo` on the
# cluster target/pg-bench-NAME (logging to target/bench/NAME-server.log),
# waits until it answers, and sets server_pid and BASE. The cluster and the
# server go when the script exits.
# Then: the database's credentials (EMBEDDED_PG_*), PGDB, and postmaster
# (the cluster's main process, for bench_db_ticks).
bench_serve() {
  local name=$1 port=$2
  # The server reads .env too: whatever a developer keeps there must not
  # send the benchmark (its demo accounts, its thousands of bookings and
  # mails) to a real database, card processor or mail relay. Empty counts
  # as unset, and .env never overrides what is set.
  export DATABASE_URL= APP_DATABASE_URL= WORKER_DATABASE_URL= SMTP_URL= \
    PAYMENTS_PROCESSOR=local CARETHREAD_ENV=development
  export EMBEDDED_PG_DIR=target/pg-bench-$name EMBEDDED_PG_PORT=$3 EMBEDDED_PG_EPHEMERAL=true
  "$BIN" db destroy >/dev/null 2>&1 || true
  mkdir -p target/bench
  server_pid=""
  trap bench_cleanup EXIT
  BIND_ADDR=127.0.0.1:$port DEV_MAIL_SINK_ADDR=127.0.0.1:$4 \
    LOG_FORMAT=json RUST_LOG=error "$BIN" serve --demo > "target/bench/$name-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 180); do
    curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "target/bench/$name-server.log" >&2; exit 1; }
    sleep 1
  done
  BASE="http://127.0.0.1:$port"
  set -a; source "$EMBEDDED_PG_DIR/credentials.env"; set +a
  PGDB=${EMBEDDED_PG_DATABASE:-carethread}
  postmaster=$(head -n 1 "$EMBEDDED_PG_DIR/data/postmaster.pid")
}

# bench_sign_in EMAIL PAGE [FROM]: signs the demo account EMAIL in with a
# plain form post (as without JavaScript) and sets COOKIE to its session
# cookie for curl and wrk (-H "Cookie: $COOKIE"); exits unless it then
# reaches PAGE (the account's home page) with 200. FROM is the loopback
# address to sign in from (127.0.0.N): the sign-in throttle counts per
# address, and many accounts signing in from one would meet it.
bench_sign_in() {
  local jar=target/bench/cookies-$$.txt
  rm -f "$jar"
  curl -fsS -o /dev/null -c "$jar" -H "Origin: $BASE" ${3:+--interface "$3"} \
    --data-urlencode "email=$1" --data-urlencode "password=carethread-demo-2026" \
    --data-urlencode "_rpc=/rpc/auth/login" "$BASE/rpc/auth/login" || true
  COOKIE=$(awk '{ sub(/^#HttpOnly_/, "") } !/^#/ && NF >= 7 { printf "%s=%s; ", $6, $7 }' "$jar")
  rm -f "$jar"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE$2")" = 200 ] \
    || { echo "could not sign in as $1" >&2; exit 1; }
}

# admin ARGS: psql as the cluster's administrator on bench_serve's
# database, unaligned and quiet, stopping at the first failing command.
admin() {
  PGPASSWORD=$EMBEDDED_PG_ADMIN_PASSWORD psql -qAtX -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p "$EMBEDDED_PG_PORT" -U postgres -d "$PGDB" "$@"
}

# The statements requests send, from the cluster's statement log:
# bench_log_on, then the requests, each followed by bench_log_cut NAME
# (what was logged since the last cut goes to target/bench/NAME.log, for
# scripts/bench/capture-sql.py), then bench_log_off. Cut in the script's
# own shell, not in a $(...): a cut moves the mark on for the next.
bench_log_on() {
  admin -c "ALTER SYSTEM SET log_statement = 'all'" \
        -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] %u '" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  bench_log_from=$(wc -c < "$EMBEDDED_PG_DIR/data/server.log")
}
bench_log_cut() {
  sleep 1
  tail -c +"$((bench_log_from + 1))" "$EMBEDDED_PG_DIR/data/server.log" > "target/bench/$1.log"
  bench_log_from=$(wc -c < "$EMBEDDED_PG_DIR/data/server.log")
}
bench_log_off() {
  admin -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix" \
        -c "SELECT pg_reload_conf()" >/dev/null
}

# bench_at_exit COMMAND: runs COMMAND (a helper process's stop) when the
# script exits, before the server and its cluster go. For what a script
# starts besides the server; set it up before starting the thing.
bench_exit_hooks=()
bench_at_exit() {
  bench_exit_hooks+=("$1")
  trap bench_cleanup EXIT
}

# bench_ticks PID [with-children]: CPU time (user + system) of PID in clock
# ticks, with its reaped children's when asked.
bench_ticks() {
  awk -v kids="${2:-}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (kids != "") t += $14 + $15; print t }' "/proc/$1/stat"
}

# bench_db_ticks: CPU ticks of the whole database (the postmaster, its
# reaped children, and every live backend).
bench_db_ticks() {
  local t child
  t=$(bench_ticks "$postmaster" with-children)
  for child in $(pgrep -P "$postmaster"); do
    t=$((t + $(bench_ticks "$child" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

bench_cleanup() {
  local hook
  for hook in "${bench_exit_hooks[@]}"; do
    eval "$hook" || true
  done
  if [ -n "${server_pid:-}" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  "$BIN" db destroy >/dev/null 2>&1 || true
}
