"""Sở Nội vụ's administration: units, counters, QR posters, periods, imports, accounts, audit.

Every page needs the admin role (others get 403, anonymous visitors the login page); every
write is audited in the same transaction. Views validate, call an operation, commit, redirect.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from survey.auth.access import require_role
from survey.extensions import db
from survey.models import AuditLog, Period, Response, ServicePoint, Unit, User
from survey.periods import local_today, open_period

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only() -> None:
    require_role("admin")


@bp.get("/")
def index() -> str:
    """The officer's start page: what exists, and where to go next."""
    counts = {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in (
            ("units", Unit),
            ("points", ServicePoint),
            ("periods", Period),
            ("responses", Response),
            ("users", User),
            ("audit", AuditLog),
        )
    }
    return render_template("admin/index.html", counts=counts, open_period=open_period(local_today()))


from survey.admin import accounts, audit, imports, languages, periods, points, units  # noqa: E402,F401
