"""Single-use receipt codes: one survey answer per printed receipt, and nothing about the person.

A code is random and opaque; only its SHA-256 is stored with the point and an expiry. It is
marked used in the same transaction as the response insert, with a conditional UPDATE, so of
two concurrent submissions exactly one commits; the mark is a flag and a date, never a time.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from survey import audit
from survey.extensions import db
from survey.models import ReceiptCode, ServicePoint, utcnow
from survey.periods import local_today
from survey.validation import InputError

__all__ = ["MAX_COUNT", "code_hash", "lookup", "mint", "receipt_url", "redeem"]

MAX_COUNT = 1000
MAX_TTL_DAYS = 365


def code_hash(code: str) -> str:
    """The stored form of a code."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


def receipt_url(code: str) -> str:
    """The address printed (as a QR code) on the receipt."""
    return f"{current_app.config['SIPAS_BASE_URL']}/r/{code}"


def mint(point: ServicePoint, count: int = 1, ttl_days: int = 30) -> list[str]:
    """New codes for an active point; returns the codes themselves (not stored) and flushes."""
    if not point.active:
        raise InputError(_("Point: the counter is not active."))
    if not 1 <= count <= MAX_COUNT:
        raise InputError(_("Count: between 1 and %(n)d.", n=MAX_COUNT))
    if not 1 <= ttl_days <= MAX_TTL_DAYS:
        raise InputError(_("Days valid: between 1 and %(n)d.", n=MAX_TTL_DAYS))
    expires = utcnow() + timedelta(days=ttl_days)
    codes = [secrets.token_urlsafe(12) for _ in range(count)]
    db.session.add_all(
        ReceiptCode(code_hash=code_hash(c), point_id=point.id, expires_at=expires) for c in codes
    )
    db.session.flush()
    audit.record("receipt.mint", "service_point", point.id, after={"count": count, "ttl_days": ttl_days})
    return codes


def lookup(code: str) -> ReceiptCode | None:
    """The record of a code, if it exists."""
    return db.session.scalar(select(ReceiptCode).where(ReceiptCode.code_hash == code_hash(code)))


def redeem(code: str, point: ServicePoint) -> bool:
    """Mark the code used for this point, if it is still unused and unexpired; in the caller's transaction.

    Only the flag and the local date are written: the minute of use would name the response.
    """
    now = utcnow()
    result = db.session.execute(
        update(ReceiptCode)
        .where(
            ReceiptCode.code_hash == code_hash(code),
            ReceiptCode.point_id == point.id,
            ReceiptCode.used.is_(False),
            ReceiptCode.expires_at > now,
        )
        .values(used=True, used_on=local_today())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
