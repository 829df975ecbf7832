"""The audit log page: newest first, filtered by who, what, which object and when."""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from survey.admin import bp
from survey.extensions import db
from survey.models import AuditLog
from survey.validation import InputError, optional_date

PAGE_SIZE = 100


def _like_pattern(text: str) -> str:
    # The officer types plain text: % and _ are characters to find, not wildcards.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _dates() -> tuple[date | None, date | None]:
    """The From and To filters; InputError naming the field when one is not a date."""
    return (
        optional_date(request.args.get("since"), _("From")),
        optional_date(request.args.get("until"), _("To")),
    )


def _filtered(query: Select, since: date | None, until: date | None) -> Select:
    args = request.args
    if args.get("actor", "").strip():
        # ilike: the same case-insensitive match on PostgreSQL as on SQLite.
        query = query.where(AuditLog.actor.ilike(_like_pattern(args["actor"].strip()), escape="\\"))
    if args.get("action"):
        query = query.where(AuditLog.action.startswith(args["action"].strip(), autoescape=True))
    if args.get("target_type"):
        query = query.where(AuditLog.target_type == args["target_type"].strip())
    if args.get("target_id"):
        query = query.where(AuditLog.target_id == args["target_id"].strip())
    if since:
        query = query.where(AuditLog.at >= since)
    if until:
        query = query.where(AuditLog.at < until + timedelta(days=1))
    return query


@bp.get("/audit")
def audit_log():  # type: ignore[no-untyped-def]
    """The filterable audit log; a filter that is not a date answers 422 rather than showing everything."""
    page = max(1, request.args.get("page", 1, type=int))
    actions = list(db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
    try:
        since, until = _dates()
    except InputError as exc:
        view = {"rows": [], "total": 0, "page": 1, "page_size": PAGE_SIZE, "actions": actions}
        return render_template("admin/audit.html", error=str(exc), **view), 422
    total = db.session.scalar(_filtered(select(func.count()).select_from(AuditLog), since, until))
    rows = db.session.scalars(
        _filtered(select(AuditLog), since, until)
        .order_by(AuditLog.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return render_template(
        "admin/audit.html", rows=list(rows), total=total, page=page, page_size=PAGE_SIZE, actions=actions
    )
