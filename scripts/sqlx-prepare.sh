#!/usr/bin/env bash
# Regenerates .sqlx/ (the offline query data that lets every build check SQL
# without a database) after a query or a migration changes.
#
# Needs the embedded development cluster running (`scripts/run.sh` starts
# it, or `cargo run -p server -- db start`). Migrations are applied with psql
# to a scratch database, so this works even while the server itself does not
# compile yet because .sqlx/ is stale.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_DIR=${EMBEDDED_PG_DIR:-target/pg}
PORT=${EMBEDDED_PG_PORT:-5433}
# shellcheck disable=SC1091
source "$PG_DIR/credentials.env"
ADMIN="postgres://postgres:${EMBEDDED_PG_ADMIN_PASSWORD}@127.0.0.1:${PORT}"
SCRATCH=carethread_sqlx

psql -q -v ON_ERROR_STOP=1 "$ADMIN/postgres" <<SQL
DROP DATABASE IF EXISTS $SCRATCH WITH (FORCE);
CREATE DATABASE $SCRATCH;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carethread_owner') THEN
    CREATE ROLE carethread_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carethread_app') THEN
    CREATE ROLE carethread_app LOGIN NOBYPASSRLS NOINHERIT; END IF;
END \$\$;
SQL
{
  echo "GRANT USAGE, CREATE ON SCHEMA public TO carethread_owner;"
  echo "GRANT USAGE ON SCHEMA public TO carethread_app;"
  echo "SET ROLE carethread_owner;"
  for f in migrations/*.sql; do echo "\\i $f"; done
} | psql -q -v ON_ERROR_STOP=1 "$ADMIN/$SCRATCH"

rm -rf .sqlx && mkdir .sqlx
# Touch the crates with queries so their macros run again and write .sqlx/.
touch app/src/lib.rs server/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" DATABASE_URL="$ADMIN/$SCRATCH" \
  cargo check -p server --all-targets
echo "wrote $(ls .sqlx | wc -l) query files to .sqlx/"
