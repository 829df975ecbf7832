"""Configuration from the environment (SPEC 3.2), with safe defaults.

The SQLite file and a generated secret key live in the instance folder; nothing secret is
committed. Production sets SIPAS_DATABASE_URL (PostgreSQL), SIPAS_SECRET_KEY and
SIPAS_BASE_URL; several app servers share rate-limit counters through SIPAS_RATELIMIT_STORAGE.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

__all__ = ["load_config"]


def _secret_key(instance: Path) -> str:
    """Return SIPAS_SECRET_KEY, or a key generated once into instance/secret_key."""
    key = os.environ.get("SIPAS_SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temporary file, then linked into place: two workers
        # starting together never read a half-written or empty key, and the first one wins.
        tmp = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it (a new key is generated) or set SIPAS_SECRET_KEY")
    return key


def _database_url(instance: Path) -> str:
    url = os.environ.get("SIPAS_DATABASE_URL")
    if url:
        # The psycopg 3 driver is the one we install; plain postgresql:// URLs mean it.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    instance.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance / 'sipas.sqlite3'}"


def load_config(instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    instance = Path(instance_path)
    url = _database_url(instance)
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": url,
        # A server connection may die between requests; a SQLite file cannot.
        "SQLALCHEMY_ENGINE_OPTIONS": {} if url.startswith("sqlite") else {"pool_pre_ping": True},
        "SIPAS_BASE_URL": os.environ.get("SIPAS_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SIPAS_INSTRUMENT": os.environ.get("SIPAS_INSTRUMENT", "sipas-2025"),
        "SIPAS_ORGANISER": os.environ.get("SIPAS_ORGANISER", "Sở Nội vụ tỉnh Lai Châu"),
        # Where seed-demo keeps the demo logins (default: instance/demo-login.txt).
        "SIPAS_DEMO_LOGIN_FILE": os.environ.get("SIPAS_DEMO_LOGIN_FILE"),
        "RATELIMIT_STORAGE_URI": os.environ.get("SIPAS_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_STRATEGY": "moving-window",
        # Survey submissions: per phone (device cookie), and a far larger budget per address for
        # phones without the cookie, since a whole service centre may share one Wi-Fi address.
        "SURVEY_LIMIT_PER_DEVICE": os.environ.get("SIPAS_SURVEY_LIMIT_PER_DEVICE", "20 per minute"),
        "SURVEY_LIMIT_PER_ADDRESS": os.environ.get("SIPAS_SURVEY_LIMIT_PER_ADDRESS", "300 per minute"),
        # A citizen may take their time; the CSRF token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SIPAS_BASE_URL", "").startswith("https://"),
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto are then
        # trusted, so rate limits see the real client and cookies know the request was https.
        "SIPAS_PROXY_COUNT": int(os.environ.get("SIPAS_PROXY_COUNT", "0")),
    }
