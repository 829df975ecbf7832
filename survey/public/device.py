"""An anonymous per-device identifier: a random cookie, stored only as a salted hash.

It lets the analysis flag bursts (many answers from one phone) and lets the rate limiter
count per phone, so that a whole service centre behind one Wi-Fi address is not locked out.
Never an IP address, never anything that names a person.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, current_app, request

__all__ = ["COOKIE", "device_hash", "ensure_cookie", "rate_limit_key"]

COOKIE = "sipas_device"


def _device_id() -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else None


def device_hash() -> str | None:
    """HMAC of the device cookie with the app secret (32 hex chars), or None without a cookie."""
    device = _device_id()
    if device is None:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, device.encode(), hashlib.sha256).hexdigest()[:32]


def ensure_cookie(response: Response) -> Response:
    """Give a device without one its random cookie (one year)."""
    if _device_id() is None:
        response.set_cookie(
            COOKIE,
            secrets.token_urlsafe(16),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def rate_limit_key() -> str:
    """Rate-limit per phone when it has the cookie, else per address (with a larger budget)."""
    device = _device_id()
    return f"device:{device}" if device else f"addr:{request.remote_addr}"
