"""The audit log page: newest first, filtered by who, what, which object and when."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request
from sqlalchemy import Select, func, select

from survey.admin import bp
from survey.extensions import db
from survey.models import AuditLog
from survey.validation import InputError, optional_date

PAGE_SIZE = 100


def _filtered(query: Select) -> Select:
    args = request.args
    if args.get("actor"):
        query = query.where(AuditLog.actor.contains(args["actor"].strip().lower()))
    if args.get("action"):
        query = query.where(AuditLog.action.startswith(args["action"].strip()))
    if args.get("target_type"):
        query = query.where(AuditLog.target_type == args["target_type"].strip())
    if args.get("target_id"):
        query = query.where(AuditLog.target_id == args["target_id"].strip())
    try:
        since = optional_date(args.get("since"), "since")
        until = optional_date(args.get("until"), "until")
    except InputError:
        since = until = None
    if since:
        query = query.where(AuditLog.at >= since)
    if until:
        query = query.where(AuditLog.at < until + timedelta(days=1))
    return query


@bp.get("/audit")
def audit_log() -> str:
    """The filterable audit log."""
    page = max(1, request.args.get("page", 1, type=int))
    total = db.session.scalar(_filtered(select(func.count()).select_from(AuditLog)))
    rows = db.session.scalars(
        _filtered(select(AuditLog))
        .order_by(AuditLog.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    actions = db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action))
    return render_template(
        "admin/audit.html",
        rows=list(rows),
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        actions=list(actions),
    )
