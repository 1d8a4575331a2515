#!/usr/bin/env bash
# Regenerates .sqlx/ (the offline query data that lets every build check SQL
# without a database) after a query or a migration changes; with --check,
# verifies instead that the committed .sqlx/ matches the code and the
# migrations, and fails if it does not.
#
# Needs an embedded cluster running: the development one by default
# (`scripts/run.sh` or `target/debug/server db start`), or the one named by
# EMBEDDED_PG_DIR / EMBEDDED_PG_PORT. Migrations are applied with psql to a
# scratch database, so this works even while the server itself does not
# compile because .sqlx/ is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-write}

source scripts/env.sh
PORT=${EMBEDDED_PG_PORT:-5433}
# The cluster may live under the temp dir instead of EMBEDDED_PG_DIR (see
# server/src/embedded_pg.rs): the server knows where.
if [ -x "$TARGET_DIR/debug/server" ]; then
  PG_DIR=$(LOG_FORMAT=json RUST_LOG=error "$TARGET_DIR/debug/server" db dir)
else
  PG_DIR=${EMBEDDED_PG_DIR:-target/pg}
fi
# shellcheck disable=SC1091
source "$PG_DIR/credentials.env"
ADMIN="postgres://postgres:${EMBEDDED_PG_ADMIN_PASSWORD}@127.0.0.1:${PORT}"
SCRATCH=carethread_sqlx

psql -q -v ON_ERROR_STOP=1 "$ADMIN/postgres" <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $SCRATCH WITH (FORCE);
CREATE DATABASE $SCRATCH;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carethread_owner') THEN
    CREATE ROLE carethread_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carethread_app') THEN
    CREATE ROLE carethread_app LOGIN NOBYPASSRLS NOINHERIT; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carethread_worker') THEN
    CREATE ROLE carethread_worker LOGIN NOBYPASSRLS NOINHERIT; END IF;
END \$\$;
SQL
{
  echo "CREATE EXTENSION IF NOT EXISTS btree_gist;"
  echo "GRANT USAGE, CREATE ON SCHEMA public TO carethread_owner;"
  echo "GRANT USAGE ON SCHEMA public TO carethread_app;"
  echo "GRANT USAGE ON SCHEMA public TO carethread_worker;"
  echo "SET ROLE carethread_owner;"
  for f in migrations/*.sql; do echo "\\i $f"; done
} | psql -q -v ON_ERROR_STOP=1 "$ADMIN/$SCRATCH"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# Touch the crates with queries so their macros run again and write $OUT.
touch app/src/lib.rs server/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$OUT" DATABASE_URL="$ADMIN/$SCRATCH" \
  cargo check -q -p server --all-targets

if [ "$MODE" = "--check" ]; then
  if ! diff -r "$OUT" .sqlx >/dev/null; then
    echo ".sqlx/ is stale: run scripts/sqlx-prepare.sh and commit the result" >&2
    diff -r "$OUT" .sqlx | head -20 >&2
    exit 1
  fi
  echo ".sqlx/ matches the queries and the migrations ($(ls .sqlx | wc -l) queries)"
else
  rm -rf .sqlx && cp -r "$OUT" .sqlx
  echo "wrote $(ls .sqlx | wc -l) query files to .sqlx/"
fi
