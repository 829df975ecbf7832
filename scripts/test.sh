#!/usr/bin/env bash
# The whole test suite on SQLite and PostgreSQL, browser tests included (called by `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
export SIPAS_TEST_POSTGRES_URL
SIPAS_TEST_POSTGRES_URL=$(scripts/test-postgres.sh)
echo "PostgreSQL for the tests: $SIPAS_TEST_POSTGRES_URL"
case "$SIPAS_TEST_POSTGRES_URL" in *:54329/*) trap 'scripts/test-postgres.sh stop' EXIT ;; esac
.venv/bin/ruff check .
.venv/bin/pytest -n 2 "$@"
