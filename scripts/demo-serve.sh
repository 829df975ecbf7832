#!/usr/bin/env bash
# Serve the demo with gunicorn (called by `make demo`).
#
# Rate-limit counters must be shared by the two workers, or every limit counts double. Unless
# SIPAS_RATELIMIT_STORAGE is set: a private redis-server on a unix socket in instance/ when
# the binary is installed (stopped again on exit), otherwise a SQLite file in instance/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p instance
redis_pid=""
cleanup() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
if [ -z "${SIPAS_RATELIMIT_STORAGE:-}" ]; then
  if command -v redis-server >/dev/null 2>&1; then
    sock="$PWD/instance/redis.sock"
    rm -f "$sock"
    redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save "" --appendonly no \
      --dir "$PWD/instance" --logfile "$PWD/instance/redis.log" &
    redis_pid=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    export SIPAS_RATELIMIT_STORAGE="redis+unix://$sock"
  else
    export SIPAS_RATELIMIT_STORAGE="sqlite:///$PWD/instance/ratelimit.sqlite3"
  fi
fi
echo "Rate-limit counters: $SIPAS_RATELIMIT_STORAGE"
.venv/bin/gunicorn -c gunicorn.conf.py --bind "${HOST:-127.0.0.1}:${PORT:-5000}" wsgi:app
