"""The indices part of a unit page: which period was asked for, and the cached report's view."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from sqlalchemy import select

from survey.extensions import db
from survey.i18n import current_language
from survey.models import Period, Unit
from survey.reports.indices import default_period
from survey.reports.payloads import unit_report
from survey.reports.present import report_view

__all__ = ["ALL", "chosen_period", "indices_context", "periods_context"]

ALL = "all"  # ?period=all: every response, whatever its period


def chosen_period() -> tuple[Period | None, str]:
    """The period of ``?period=CODE`` (404 if unknown), ``all``, or by default the open one."""
    code = request.args.get("period")
    if code == ALL:
        return None, ALL
    if code is None:
        period = default_period()
        return period, period.code if period is not None else ALL
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        abort(404)
    return period, period.code


def indices_context(unit: Unit) -> dict[str, Any]:
    """Template variables of templates/reports/_indices.html for this unit and the asked period."""
    period, code = chosen_period()
    return periods_context(period, code) | {
        "view": report_view(unit_report(unit, period), current_language()),
        "pdf": False,
    }


def periods_context(period: Period | None, code: str) -> dict[str, Any]:
    """The chosen period and the list the period menu offers."""
    return {
        "period": period,
        "period_code": code,
        "periods": list(db.session.scalars(select(Period).order_by(Period.starts_on.desc(), Period.id))),
    }
