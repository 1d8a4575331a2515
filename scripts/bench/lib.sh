# Shared by the benchmark scripts that start their own server (sourced, not
# run): whether the machine is quiet enough to measure, which server
# binary, and a server with the demo data on a throw-away cluster, removed
# again when the script exits.
#
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
bench_serve() {
  local name=$1 port=$2
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
}

bench_cleanup() {
  if [ -n "${server_pid:-}" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  "$BIN" db destroy >/dev/null 2>&1 || true
}
