"""Sở Nội vụ's administration: units, counters, QR posters, periods, imports, accounts, audit.

Every page needs the admin role (others get 403, anonymous visitors the login page); every
write is audited in the same transaction. Views validate, call an operation, commit, redirect.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import func, select

from survey.auth.access import require_role
from survey.extensions import db
from survey.models import AuditLog, Period, Response, ServicePoint, Unit, User
from survey.periods import local_today, open_period
from survey.reports.indices import default_period
from survey.reports.payloads import province_report, silent_points
from survey.reports.present import verdict

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only() -> None:
    require_role("admin")


def key_figures(period: Period | None) -> dict[str, Any]:
    """The province's SIPAS and sub-indices of the default period, each with its verdict against
    the baseline, from the province overview's cached result."""
    payload = province_report(period)
    group = payload["indices"]["groups"][0]
    baseline = payload["indices"]["baseline"]
    return {
        "baseline": baseline,
        "as_of": payload.get("as_of"),
        "rows": [
            (name, group[name], verdict(group[name], baseline)) for name in ("sipas", "policy", "service")
        ],
    }


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
    period = default_period()
    return render_template(
        "admin/index.html",
        counts=counts,
        open_period=open_period(local_today()),
        figures=key_figures(period),
        period=period,
        silent=len(silent_points()),
    )


from survey.admin import accounts, audit, dossiers, imports, languages, periods, points, units  # noqa: E402,F401
