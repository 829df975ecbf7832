"""Gunicorn settings for SIPAS: `make demo` uses them, and so can a production unit.

Nothing here logs a client address, a user agent or a query string: gunicorn's access log is
off, the app writes its own line per request with the route pattern (logger `sipas.access`),
and every gunicorn error line goes through survey.logs.Redact. Override with the usual
gunicorn options or environment (GUNICORN_CMD_ARGS); SIPAS_WORKERS and SIPAS_THREADS set the
worker and thread counts.
"""

import os

bind = os.environ.get("SIPAS_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("SIPAS_WORKERS", "2"))
threads = int(os.environ.get("SIPAS_THREADS", "4"))
# Longer than the app's own database call bound (SIPAS_DB_CALL_TIMEOUT, 20 s), so the app
# answers 503 with the citizen's answers before gunicorn would kill the worker.
timeout = int(os.environ.get("SIPAS_WORKER_TIMEOUT", "60"))
accesslog = None
errorlog = "-"
loglevel = os.environ.get("SIPAS_LOG_LEVEL", "info")

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "survey.logs.Redact"}},
    "formatters": {"plain": {"format": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "null": {"class": "logging.NullHandler"},
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        # gunicorn writes access lines whenever a logging config exists: send them nowhere.
        "gunicorn.access": {"level": "CRITICAL", "handlers": ["null"], "propagate": False},
        "sipas.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": ["stderr"]},
}
