"""Access logging that cannot link a citizen to their answers.

A web server's usual access line (client address, user agent, the full address with its query
string) joined to the stored responses re-identified most respondents: the survey's step-2
address carried the form token. The app therefore writes its own access line, naming the
route *pattern* (`GET /s/<token>`), the status and the time taken, and nothing about the
client; gunicorn's own access log is off (gunicorn.conf.py) and its error log goes through
`Redact`, which removes query strings and addresses from any line that would carry them.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, request

__all__ = ["GUNICORN_LOGGING", "Redact", "init_app", "redact"]

access_log = logging.getLogger("sipas.access")

_QUERY = re.compile(r"\?[^\s\"']*")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Full (eight groups) or compressed (with "::") IPv6; clock times like 12:13:59 are neither.
_IPV6 = re.compile(
    r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4}::(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4})(?![\w:])"
)
# Receipt codes and form tokens in a path: /r/<code>, /c/<code> are as personal as a query.
_CODE_PATH = re.compile(r"/([rc])/[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    """The text without query strings, IP addresses and receipt or case codes."""
    text = _QUERY.sub("?…", text)
    text = _CODE_PATH.sub(r"/\1/<code>", text)
    return _IPV6.sub("<addr>", _IPV4.sub("<addr>", text))


class Redact(logging.Filter):
    """A logging filter (for gunicorn's and any other logger) applying :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _start() -> None:
    g.access_start = time.perf_counter()


def _line(response: Response) -> Response:
    rule = request.url_rule.rule if request.url_rule is not None else "<no route>"
    took_ms = (time.perf_counter() - g.get("access_start", time.perf_counter())) * 1000
    access_log.info("%s %s %d %.0fms", request.method, rule, response.status_code, took_ms)
    return response


def init_app(app: Flask) -> None:
    """Log one line per request with the route pattern (logger `sipas.access`, level INFO)."""
    if app.config.get("SIPAS_ACCESS_LOG", True):
        app.before_request(_start)
        app.after_request(_line)


# gunicorn's `logconfig_dict`: error lines redacted, gunicorn's own access lines sent nowhere (it
# writes them whenever a logging config exists, even with `accesslog = None`), the app's access
# line (route pattern, status, time) kept. Any gunicorn config may use it:
# `from survey.logs import GUNICORN_LOGGING as logconfig_dict`.
GUNICORN_LOGGING = {
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
        },
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": ["null"], "propagate": False},
        "sipas.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": ["stderr"]},
}
