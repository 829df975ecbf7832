"""Settings that are fine for `make demo` but unsafe on a server, refused when SIPAS_ENV=production.

`sipas check-config` prints one line per problem, naming the setting to change; the app factory
runs the same checks, so a production server with such settings does not start. Commands still
run (they are how an officer repairs a server), and development (`make demo`) is never checked.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask

from survey.ops import settings
from survey.ops.workers import WorkerSettingError, worker_count

__all__ = ["UnsafeConfiguration", "init_app", "is_production", "problems"]

MIN_SECRET_LENGTH = 32
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")  # noqa: S104 - names, not a bind
logger = logging.getLogger(__name__)


class UnsafeConfiguration(RuntimeError):
    """The app was asked to serve in production with settings that are not safe."""


def is_production(app: Flask) -> bool:
    """Whether SIPAS_ENV says this is a production server."""
    return str(app.config.get("SIPAS_ENV", "")).lower() == "production"


def _workers(app: Flask) -> tuple[int, list[str]]:
    try:
        return worker_count({"SIPAS_WORKERS": str(app.config.get("SIPAS_WORKERS") or "")}), []
    except WorkerSettingError as exc:
        return 2, [str(exc)]  # unknown: reason as if several, which is what a server runs


def _secret_key(app: Flask) -> list[str]:
    key = str(app.config.get("SECRET_KEY") or "")
    generated = Path(app.instance_path) / "secret_key"
    if generated.is_file() and generated.read_text().strip() == key:
        return [
            "SIPAS_SECRET_KEY: the development key generated into instance/secret_key is in use; set a random"
            " key in the environment file: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        ]
    if len(key) < MIN_SECRET_LENGTH:
        return [f"SIPAS_SECRET_KEY: shorter than {MIN_SECRET_LENGTH} characters; set a long random key"]
    return []


def _base_url(app: Flask) -> list[str]:
    url = str(app.config.get("SIPAS_BASE_URL") or "")
    parts = urlsplit(url)
    if parts.scheme != "https":
        return [f"SIPAS_BASE_URL: '{url}' is not https; QR codes and login cookies need https://your.domain"]
    if (parts.hostname or "") in LOCAL_HOSTS:
        return [f"SIPAS_BASE_URL: '{url}' names this machine; QR codes must carry the public domain"]
    return []


def _per_worker(app: Flask, workers: int) -> list[str]:
    out = []
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://") and workers > 1:
        out.append(
            f"SIPAS_RATELIMIT_STORAGE: memory:// keeps separate counts in each of the {workers} workers"
            " (SIPAS_WORKERS), so every limit is multiplied; use redis://127.0.0.1:6379/0"
        )
    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite") and workers > 1:
        out.append(
            f"SIPAS_DATABASE_URL: SQLite with {workers} workers (SIPAS_WORKERS); use PostgreSQL"
            " (postgresql://sipas@/sipas), or SIPAS_WORKERS=1 on a very small server"
        )
    return out


def _proxy(app: Flask) -> list[str]:
    if int(app.config.get("SIPAS_PROXY_COUNT") or 0) < 1:
        return [
            "SIPAS_PROXY_COUNT: 0, but a production server runs behind nginx; set 1, or every citizen"
            " shares nginx's address in the rate limits"
        ]
    return []


def problems(app: Flask) -> list[str]:
    """Every production problem of the app's settings, one line each, naming the setting."""
    workers, found = _workers(app)
    found += _secret_key(app) + _base_url(app) + _per_worker(app, workers) + _proxy(app)
    return found + settings.setting_problems(app)


def init_app(app: Flask) -> None:
    """Load the operations settings; in production, refuse to serve with unsafe ones."""
    settings.init_app(app)
    # A command (check-config, backup, init …) is how an officer repairs a server: it runs.
    if not is_production(app) or click.get_current_context(silent=True) is not None:
        return
    if found := problems(app):
        for line in found:
            logger.critical("unsafe production setting: %s", line)
        raise UnsafeConfiguration(
            "SIPAS_ENV=production: refusing to start; `sipas check-config` lists the same problems:\n  "
            + "\n  ".join(found)
        )
