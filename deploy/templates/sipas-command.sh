#!/bin/sh
# `sipas …` on the server: the application's commands with the server's settings, as the app's
# user (so files it writes belong to the app). Rendered by deploy/render.py; installed as
# /usr/local/bin/sipas. Examples: sipas check-config · sipas backup --out FILE · sipas retention --dry-run
set -e
if [ "$(id -un)" != "{{ USER }}" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        exec runuser -u {{ USER }} -- "$0" "$@"
    fi
    echo "sipas: run as {{ USER }} or root" >&2
    exit 1
fi
cd {{ APP_DIR }}
set -a
. {{ ENV_FILE }}
set +a
exec {{ APP_DIR }}/.venv/bin/flask --app wsgi sipas "$@"
