#!/usr/bin/env bash
# Benchmark (SPEC §6): the REST read `GET /api/v1/discharge-referrals/{id}`
# against pgbench running the statements it sends (target >= 70%). The
# case `read` of scripts/bench/vs-pgbench.sh, which says how it measures.
#
# Usage: scripts/bench/rest-read.sh [SECONDS=10] [CONNECTIONS=16]
exec "$(dirname "$0")/vs-pgbench.sh" read "$@"
