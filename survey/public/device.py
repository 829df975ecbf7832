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

__all__ = ["COOKIE", "device_hash", "device_key", "ensure_cookie", "no_device"]

COOKIE = "sipas_device"


def _mac(device: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"device-cookie:" + device.encode(), hashlib.sha256).hexdigest()[:16]


def _device_id() -> str | None:
    """The random id of a cookie we issued; a made-up or altered cookie counts as none.

    The cookie is ``<random>.<mac>``: without the mac anyone could mint fresh ids to escape
    the per-phone rate limit or to spread one person's answers over many "devices".
    """
    device, _, mac = request.cookies.get(COOKIE, "").partition(".")
    if not (16 <= len(device) <= 64) or not hmac.compare_digest(mac, _mac(device)):
        return None
    return device


def device_hash(period_id: int | None = None) -> str | None:
    """HMAC of the device id and the survey period with the app secret (32 hex chars).

    The period is part of the message, so one phone's answers link within a period (enough to
    flag a burst) but not across periods: a phone is not followed for a year. None without a
    valid cookie.
    """
    device = _device_id()
    if device is None:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    message = f"period:{period_id if period_id is not None else '-'}:{device}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def ensure_cookie(response: Response) -> Response:
    """Give a device without a valid cookie its random, signed one (one year)."""
    if _device_id() is None:
        device = secrets.token_urlsafe(16)
        response.set_cookie(
            COOKIE,
            f"{device}.{_mac(device)}",
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def device_key() -> str:
    """Rate-limit key of one phone."""
    return f"device:{_device_id()}"


def no_device() -> bool:
    """True when the request has no valid device cookie (the per-phone limit does not apply)."""
    return _device_id() is None
