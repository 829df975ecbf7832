"""The signed form-load token: idempotency key, assigned policy group and load time.

Issued when step 1 is served and carried through step 2 to the POST, so that a reload or a
double tap finds the same key, and `duration_s` is measured from the first page without any
server-side session state.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = ["FormLoad", "issue", "read"]

SALT = "sipas-form-load"
MAX_AGE_S = 24 * 3600


@dataclass(frozen=True)
class FormLoad:
    """One form load: the key that makes its submission unique, and when it was served."""

    key: str
    group: str | None
    loaded_at: datetime

    def duration_s(self, now: datetime | None = None) -> int:
        """Whole seconds from the form load to now."""
        now = now or datetime.now(UTC)
        return max(0, int((now - self.loaded_at).total_seconds()))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue(group: str | None) -> str:
    """A new signed token for a fresh form load."""
    return _serializer().dumps({"k": secrets.token_urlsafe(18), "g": group})


def read(token: str | None) -> FormLoad | None:
    """The form load behind a token, or None if it is missing, forged or older than a day."""
    if not token:
        return None
    try:
        data, stamp = _serializer().loads(token, max_age=MAX_AGE_S, return_timestamp=True)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("k"), str):
        return None
    return FormLoad(data["k"], data.get("g"), stamp)
