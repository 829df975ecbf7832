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

__all__ = ["engine_options", "load_config"]


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


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name}: '{value}' is not a whole number") from None


def engine_options(url: str) -> dict[str, Any]:
    """Timeouts so that a dead or paused database answers 503 in seconds, never hangs a worker."""
    connect_s = _env_int("SIPAS_DB_CONNECT_TIMEOUT", 5)
    if url.startswith("sqlite"):
        # Concurrent writers wait their turn this long, then fail (503) instead of hanging.
        # hide_parameters: an error in the log never carries a citizen's answers or keys.
        return {
            "hide_parameters": True,
            "connect_args": {"timeout": _env_int("SIPAS_SQLITE_BUSY_TIMEOUT_MS", 5000) / 1000},
        }
    # statement_timeout and lock_timeout are set at each checkout (database.py): web requests
    # are bounded, long commands (an import, a compute over a million responses) are not.
    return {
        "hide_parameters": True,
        "pool_timeout": connect_s,
        "connect_args": {"connect_timeout": connect_s},
    }


def load_config(instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    instance = Path(instance_path)
    url = _database_url(instance)
    base_url = os.environ.get("SIPAS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": url,
        # Client-side bound on any one database call (seconds): a paused server (no answer at all,
        # so its own statement_timeout cannot fire) costs a request this long, then a 503.
        "SIPAS_DB_CALL_TIMEOUT": _env_int("SIPAS_DB_CALL_TIMEOUT", 20),
        # PostgreSQL's own bound on one statement of a web request (commands are not bounded).
        "SIPAS_DB_STATEMENT_TIMEOUT_MS": _env_int("SIPAS_DB_STATEMENT_TIMEOUT_MS", 15000),
        # /healthz answers within this many seconds, naming what did not answer in time.
        "SIPAS_HEALTH_TIMEOUT": float(os.environ.get("SIPAS_HEALTH_TIMEOUT", "2")),
        "SIPAS_BASE_URL": base_url,
        "SIPAS_INSTRUMENT": os.environ.get("SIPAS_INSTRUMENT", "sipas-2025"),
        "SIPAS_ORGANISER": os.environ.get("SIPAS_ORGANISER", "Sở Nội vụ tỉnh Lai Châu"),
        # Where seed-demo keeps the demo logins (default: instance/demo-login.txt).
        "SIPAS_DEMO_LOGIN_FILE": os.environ.get("SIPAS_DEMO_LOGIN_FILE"),
        # memory:// counts per process; several workers share counts through redis://… or
        # sqlite:///path (a file all workers of one machine share, see survey/ratelimit.py).
        "RATELIMIT_STORAGE_URI": os.environ.get("SIPAS_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Two counters per key and no timestamps list: cheap on every storage, exact in a first window.
        "RATELIMIT_STRATEGY": os.environ.get("SIPAS_RATELIMIT_STRATEGY", "sliding-window-counter"),
        # Survey submissions: per phone (device cookie), and a far larger budget per address for
        # phones without the cookie, since a whole service centre may share one Wi-Fi address.
        "SURVEY_LIMIT_PER_DEVICE": os.environ.get("SIPAS_SURVEY_LIMIT_PER_DEVICE", "20 per minute"),
        "SURVEY_LIMIT_PER_ADDRESS": os.environ.get("SIPAS_SURVEY_LIMIT_PER_ADDRESS", "300 per minute"),
        # Fresh survey forms (step 1 without a form-load token) per address: generous, since a
        # service centre's citizens share one Wi-Fi, yet a script clearing cookies is stopped.
        "SURVEY_LIMIT_FORM_LOADS": os.environ.get(
            "SIPAS_SURVEY_LIMIT_FORM_LOADS", "60 per minute;600 per hour"
        ),
        # Officials' log-in: failed attempts per address (a right password is never counted), and
        # the per-account backoff that doubles after each failure past the first few.
        "LOGIN_FAILURES_PER_ADDRESS": os.environ.get("SIPAS_LOGIN_FAILURES_PER_ADDRESS", "60 per 15 minutes"),
        "LOGIN_FREE_FAILURES": _env_int("SIPAS_LOGIN_FREE_FAILURES", 5),
        "LOGIN_MAX_BACKOFF_S": _env_int("SIPAS_LOGIN_MAX_BACKOFF_S", 900),
        # Integrations' API keys: requests per key, and receipt codes minted per key.
        "API_LIMIT_PER_KEY": os.environ.get("SIPAS_API_LIMIT_PER_KEY", "120 per minute"),
        "API_CODES_PER_KEY": os.environ.get("SIPAS_API_CODES_PER_KEY", "5000 per day"),
        # A citizen may take their time; the CSRF token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        # Pages send no Referer (Referrer-Policy: no-referrer), so over https Flask-WTF's referrer
        # check would refuse every form; the token and SameSite cookies carry the CSRF defence.
        "WTF_CSRF_SSL_STRICT": False,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        # Request bodies: uploads (imports) up to this, the citizen's survey far less (security.py).
        "MAX_CONTENT_LENGTH": _env_int("SIPAS_UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
        "SIPAS_SURVEY_MAX_BYTES": _env_int("SIPAS_SURVEY_MAX_BYTES", 64 * 1024),
        # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto are then
        # trusted, so rate limits see the real client and cookies know the request was https.
        "SIPAS_PROXY_COUNT": int(os.environ.get("SIPAS_PROXY_COUNT", "0")),
    }
