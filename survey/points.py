"""Service points (counters): create, edit, activate, rotate or revoke the QR token."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from survey import audit
from survey.extensions import db
from survey.models import RetiredToken, ServicePoint, Unit, new_token
from survey.validation import InputError, required

__all__ = [
    "checked_code",
    "create_point",
    "retired_token",
    "revoke_token",
    "rotate_token",
    "set_active",
    "update_point",
]

FIELDS = ("unit_id", "code", "name", "opening_hours", "active")

# Codes end up in URL paths, file names and Content-Disposition headers: a slash, a quote or a
# line break would make the record unreachable or break the header. Starting with a letter or
# digit also keeps out "." and "..", which a browser would resolve away in a URL path.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def checked_code(value: str | None, label: str, max_length: int) -> str:
    """A required code of letters A-Z, digits, '.', '_' and '-'; InputError naming the field otherwise."""
    code = required(value, label, max_length)
    if not CODE.fullmatch(code):
        raise InputError(
            _(
                "%(field)s: '%(value)s' may contain only letters A-Z, digits, '.', '_' and '-'.",
                field=label,
                value=code,
            )
        )
    return code


def _check_code(unit: Unit, code: str, point: ServicePoint | None = None) -> None:
    clash = db.session.scalar(
        select(ServicePoint).where(ServicePoint.unit_id == unit.id, ServicePoint.code == code)
    )
    if clash is not None and clash is not point:
        raise InputError(_("Code: '%(code)s' is already used in this unit.", code=code))


def create_point(unit: Unit, code: str, name: str, opening_hours: str = "") -> ServicePoint:
    """Add a counter under a unit (active, with a fresh token) and flush."""
    code, name = checked_code(code, _("Code"), 32), required(name, _("Name"))
    _check_code(unit, code)
    point = ServicePoint(unit=unit, code=code, name=name)
    if opening_hours.strip():
        point.opening_hours = opening_hours.strip()[:200]
    db.session.add(point)
    db.session.flush()
    audit.record("point.create", "service_point", point.id, after=audit.snapshot(point, FIELDS))
    return point


def update_point(point: ServicePoint, code: str, name: str, opening_hours: str) -> None:
    """Change a counter's code, name and opening hours."""
    before = audit.snapshot(point, FIELDS)
    code, name = checked_code(code, _("Code"), 32), required(name, _("Name"))
    _check_code(point.unit, code, point)
    point.code, point.name = code, name
    point.opening_hours = required(opening_hours, _("Opening hours"))
    db.session.flush()
    audit.record("point.update", "service_point", point.id, before, audit.snapshot(point, FIELDS))


def set_active(point: ServicePoint, active: bool) -> None:
    """Activate or deactivate a counter (an inactive counter's QR code answers 404)."""
    before = audit.snapshot(point, FIELDS)
    point.active = active
    db.session.flush()
    action = "point.activate" if active else "point.deactivate"
    audit.record(action, "service_point", point.id, before, audit.snapshot(point, FIELDS))


def _retire(point: ServicePoint, reason: str) -> str:
    old = point.token
    db.session.add(RetiredToken(token=old, point_id=point.id, reason=reason))
    point.token = new_token()
    db.session.flush()
    return old


def rotate_token(point: ServicePoint) -> None:
    """Give the counter a new token; posters with the old one show a 'code replaced' page."""
    old = _retire(point, "rotated")
    # Tokens are credentials of a sort: the log keeps only their first characters.
    audit.record(
        "point.rotate", "service_point", point.id, {"token": old[:6] + "…"}, {"token": point.token[:6] + "…"}
    )


def revoke_token(point: ServicePoint) -> None:
    """Withdraw the counter's code: the old posters show a 'code withdrawn' page; the counter stops."""
    before = audit.snapshot(point, FIELDS)
    _retire(point, "revoked")
    point.active = False
    db.session.flush()
    audit.record("point.revoke", "service_point", point.id, before, audit.snapshot(point, FIELDS))


def retired_token(token: str) -> RetiredToken | None:
    """The record of a rotated or revoked token, if the token is one."""
    return db.session.scalar(select(RetiredToken).where(RetiredToken.token == token))
