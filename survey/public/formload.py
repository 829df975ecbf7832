"""The form-load token: idempotency key, assigned policy group and load time, encrypted.

Issued when the first page is served and carried in the POST body of every page, so that a
reload, a retry or a double tap finds the same key, and `duration_s` is measured from the
first page, without any server-side session state. The token is AES-GCM ciphertext under a
key derived from the app's secret key: whoever sees it (a log, a screenshot, the phone's
storage) learns nothing from it, and nobody can forge or alter one.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

__all__ = ["FormLoad", "issue", "read"]

MAX_AGE_S = 24 * 3600
_INFO = b"sipas form-load token v1"
_NONCE = 12
_KEY = 16
_HEADER = struct.Struct(">I")  # load time, whole seconds since the epoch
_KEYS: dict[str, AESGCM] = {}


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


def _aead() -> AESGCM:
    secret = current_app.config["SECRET_KEY"]
    if secret not in _KEYS:
        # HKDF gives this purpose its own key: the secret key signs cookies too, and a key
        # used for one thing only cannot be turned against another.
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
        _KEYS[secret] = AESGCM(key)
    return _KEYS[secret]


def issue(group: str | None, now: float | None = None) -> str:
    """A new encrypted token for a fresh form load."""
    plain = _HEADER.pack(int(now if now is not None else time.time())) + os.urandom(_KEY)
    plain += (group or "").encode()
    nonce = os.urandom(_NONCE)
    sealed = nonce + _aead().encrypt(nonce, plain, None)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def read(token: str | None, max_age_s: int | None = MAX_AGE_S) -> FormLoad | None:
    """The form load behind a token, or None if it is missing, forged, altered or too old.

    ``max_age_s=None`` reads an expired token too: a retry a day later must still find the
    response its first attempt stored, not store a second one.
    """
    if not token or len(token) > 200:
        return None
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = _aead().decrypt(sealed[:_NONCE], sealed[_NONCE:], None)
    except (binascii.Error, ValueError, InvalidTag):
        return None
    if len(plain) < _HEADER.size + _KEY:
        return None
    (stamp,) = _HEADER.unpack_from(plain)
    # A few minutes of grace for the clocks of several app servers.
    if max_age_s is not None and not -300 <= time.time() - stamp <= max_age_s:
        return None
    key = base64.urlsafe_b64encode(plain[_HEADER.size : _HEADER.size + _KEY]).rstrip(b"=").decode()
    group = plain[_HEADER.size + _KEY :].decode() or None
    return FormLoad(key, group, datetime.fromtimestamp(stamp, UTC))
