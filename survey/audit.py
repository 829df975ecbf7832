"""Writing the audit log: one call per admin write, in the same transaction as the write."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask import g, has_request_context

from survey.extensions import db
from survey.models import AuditLog

__all__ = ["record", "snapshot"]


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_plain)


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _actor() -> tuple[str, int | None]:
    """The logged-in official, or the command-line operator when there is no request."""
    if has_request_context():
        from flask_login import current_user

        if current_user.is_authenticated:
            return current_user.email, current_user.id
    return g.get("audit_actor", "cli"), None


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of an object, for the before/after columns."""
    return {f: getattr(obj, f) for f in fields}


def record(
    action: str,
    target_type: str,
    target_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditLog:
    """Add an audit entry to the session (the caller's commit writes it with the change)."""
    who, who_id = _actor()
    entry = AuditLog(
        actor=(actor or who)[:254],
        actor_id=who_id if actor is None else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        before=_json(before),
        after=_json(after),
    )
    db.session.add(entry)
    return entry
