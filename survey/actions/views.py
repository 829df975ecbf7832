"""Pages of improvement actions: record one for a unit, remove one, the province's table."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey.actions import bp
from survey.actions.records import criteria, delete_action, effects, record_action
from survey.admin.forms import done
from survey.auth.access import load_unit_or_404, require_role
from survey.extensions import db
from survey.i18n import current_language
from survey.models import ImprovementAction, Unit
from survey.periods import local_today
from survey.reports.present import criterion_name
from survey.validation import InputError

__all__ = ["ACTORS", "can_act", "named", "new", "province_actions"]

ACTORS = ("admin", "viewer")  # a unit's own officials, and Sở Nội vụ on their behalf


def can_act() -> bool:
    """Whether the current user may record actions (for the units they may read)."""
    return current_user.is_authenticated and current_user.role in ACTORS


def _choices() -> list[tuple[str, str]]:
    lang = current_language()
    return [(code, criterion_name(code, lang)) for code in criteria()]


@bp.route("/<code>/actions/new", methods=["GET", "POST"])
def new(code: str) -> Any:
    """The form of a new action for the unit; a valid POST records it and returns to the report."""
    unit = load_unit_or_404(code)  # scope first: another unit is 404 for a viewer
    require_role(*ACTORS)
    error, form = None, dict(request.form) if request.method == "POST" else {}
    if request.method == "POST":
        try:
            record_action(unit, form, current_user.id)
        except InputError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            return done(_("Action recorded."), url_for("reports.unit", code=unit.code) + "#h-actions")
    form.setdefault("criterion", request.args.get("criterion", ""))
    form.setdefault("starts_on", local_today().isoformat())
    page = render_template("actions/new.html", unit=unit, form=form, choices=_choices(), error=error)
    return page, 422 if error else 200


@bp.post("/<code>/actions/<int:action_id>/delete")
def delete(code: str, action_id: int) -> Any:
    """Remove an action recorded by mistake (audited)."""
    unit = load_unit_or_404(code)
    require_role(*ACTORS)
    action = db.session.get(ImprovementAction, action_id)
    if action is None or action.unit_id != unit.id:
        abort(404)
    delete_action(action)
    return done(_("Action removed."), url_for("reports.unit", code=unit.code) + "#h-actions")


def named(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each criterion's name in the reader's language."""
    lang = current_language()
    return [row | {"criterion_name": criterion_name(row["criterion"], lang)} for row in rows]


def province_actions() -> list[dict[str, Any]]:
    """Every action of the province with its effect, by unit name, newest first within a unit."""
    unit_ids = list(db.session.scalars(select(ImprovementAction.unit_id).distinct()))
    units = sorted((db.session.get(Unit, uid) for uid in unit_ids), key=lambda u: (u.name, u.code))
    return named([row for unit in units for row in effects(unit, own_only=True)])


@bp.get("/actions")
def province() -> str:
    """All improvement actions of the province in one table (Sở Nội vụ: admin, analyst)."""
    require_role("admin", "analyst")
    return render_template("actions/province.html", rows=province_actions(), today=local_today())
