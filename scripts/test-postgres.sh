#!/usr/bin/env bash
# Print a PostgreSQL URL for the test suite, starting a throwaway cluster when needed.
#   SIPAS_TEST_POSTGRES_URL set      -> use it as it is
#   a server answers on 127.0.0.1:5432 -> postgresql://postgres@127.0.0.1:5432/test
#   otherwise                        -> initdb + start a private cluster on port 54329 as an
#                                       unprivileged user (PostgreSQL refuses to run as root);
#                                       `scripts/test-postgres.sh stop` stops it.
set -euo pipefail
DIR=${SIPAS_TEST_PGDATA:-/tmp/sipas-test-pg}
PORT=54329

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "${1:-}" = stop ]; then
  [ -f "$DIR/data/postmaster.pid" ] && as_pg "$(pgbin)/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true
  exit 0
fi
if [ -n "${SIPAS_TEST_POSTGRES_URL:-}" ]; then
  echo "$SIPAS_TEST_POSTGRES_URL"; exit 0
fi
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  echo "postgresql://postgres@127.0.0.1:5432/test"; exit 0
fi
BIN=$(pgbin)
[ -n "$BIN" ] || { echo "PostgreSQL server binaries not found (apt package postgresql)" >&2; exit 1; }
if ! pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
  mkdir -p "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust >/dev/null
  fi
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -Atc "select 1 from pg_database where datname='test'" \
    | grep -q 1 || as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres test
fi
echo "postgresql://postgres@127.0.0.1:$PORT/test"
