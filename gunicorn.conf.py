"""Gunicorn settings for SIPAS: `make demo` uses them, and so can a production unit.

Nothing here logs a client address, a user agent or a query string: gunicorn's access log is
off, the app writes its own line per request with the route pattern (logger `sipas.access`),
and every gunicorn error line goes through survey.logs.Redact. Override with the usual
gunicorn options or environment (GUNICORN_CMD_ARGS); SIPAS_WORKERS and SIPAS_THREADS set the
worker and thread counts.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from survey.logs import GUNICORN_LOGGING  # noqa: E402

bind = os.environ.get("SIPAS_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("SIPAS_WORKERS", "2"))
threads = int(os.environ.get("SIPAS_THREADS", "4"))
# Longer than the app's own database call bound (SIPAS_DB_CALL_TIMEOUT, 20 s), so the app
# answers 503 with the citizen's answers before gunicorn would kill the worker.
timeout = int(os.environ.get("SIPAS_WORKER_TIMEOUT", "60"))
accesslog = None
errorlog = "-"
loglevel = os.environ.get("SIPAS_LOG_LEVEL", "info")

# Gunicorn's error lines pass through survey.logs.Redact; its access lines go nowhere (gunicorn
# writes them whenever a logging config exists); the app's own line names the route pattern.
logconfig_dict = GUNICORN_LOGGING
