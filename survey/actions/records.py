"""Recording an action (validated, audited) and measuring its effect.

The effect of an action compares its criterion over two date ranges of the unit's responses
(subtree and history): *after* runs from the start date to today; *before* is the same number
of days (at least MIN_DAYS) just before the start, so both sides cover a like stretch of the
year. The numbers come from survey.reports.indices.compare_ranges (the analysis) on the unit's
stored cells by counter and day; they are kept in report_cache per unit, recomputed when a
response or an action of the unit changes.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from survey import audit
from survey.auth.access import family_ids
from survey.extensions import db
from survey.instrument import instrument
from survey.models import ImprovementAction, Unit
from survey.periods import local_today
from survey.reports import indices
from survey.validation import InputError, optional_date, required

__all__ = ["MIN_DAYS", "criteria", "delete_action", "effects", "record_action", "windows"]

MIN_DAYS = 30
FIELDS = ("unit_id", "criterion", "description", "responsible", "starts_on")


def criteria() -> list[str]:
    """What an action may target: service elements and criteria, and policy elements (never one
    policy area's item: no unit can act on a figure of a handful of answers)."""
    ins = instrument()
    out: list[str] = []
    for code, element in ins.elements.items():
        out.append(code)
        if element.subindex == "service":
            out.extend(element.items)
    return out


def record_action(unit: Unit, form: dict[str, str], user_id: int | None) -> ImprovementAction:
    """Validate the form, add the action, audit it and flush; InputError names the field."""
    criterion = (form.get("criterion") or "").strip()
    if criterion not in criteria():
        raise InputError(_("%(field)s: choose a criterion from the list.", field=_("Criterion")))
    description = required(form.get("description"), _("What will be done"), 2000)
    responsible = required(form.get("responsible"), _("Who is responsible"), 200)
    starts_on = optional_date(form.get("starts_on"), _("Start date"))
    if starts_on is None:
        raise InputError(_("%(field)s: required.", field=_("Start date")))
    if starts_on > local_today() + timedelta(days=366):
        raise InputError(_("%(field)s: more than a year ahead.", field=_("Start date")))
    action = ImprovementAction(
        unit_id=unit.id,
        criterion=criterion,
        description=description,
        responsible=responsible,
        starts_on=starts_on,
        created_by_id=user_id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record("action.create", "improvement_action", action.id, after=audit.snapshot(action, FIELDS))
    return action


def delete_action(action: ImprovementAction) -> None:
    """Remove an action recorded by mistake; the audit log keeps what it was."""
    audit.record("action.delete", "improvement_action", action.id, before=audit.snapshot(action, FIELDS))
    db.session.delete(action)
    db.session.flush()


def windows(starts_on: date, today: date) -> tuple[tuple[date, date], tuple[date, date]] | None:
    """The (before, after) date ranges of an action started on ``starts_on``; None before it starts."""
    if starts_on > today:
        return None
    days = max((today - starts_on).days + 1, MIN_DAYS)
    return (starts_on - timedelta(days=days), starts_on - timedelta(days=1)), (starts_on, today)


def effects(unit: Unit, own_only: bool = False) -> list[dict[str, Any]]:
    """The unit's actions (with its subtree's unless ``own_only``), newest first, each with its
    effect measured on the responses of the unit that recorded it (subtree and history)."""
    family = family_ids({unit.id})
    actions = list(
        db.session.scalars(
            select(ImprovementAction)
            .where(ImprovementAction.unit_id.in_({unit.id} if own_only else family))
            .order_by(ImprovementAction.starts_on.desc(), ImprovementAction.id.desc())
        )
    )
    today = local_today()
    out = []
    for owner_id in dict.fromkeys(a.unit_id for a in actions):
        own = [a for a in actions if a.unit_id == owner_id]
        measured = _measured(owner_id, own, today)
        out.extend(_row(a, measured.get(str(a.id))) for a in own)
    return sorted(out, key=lambda r: (r["starts_on"], r["id"]), reverse=True)


def _measured(unit_id: int, actions: list[ImprovementAction], today: date) -> dict[str, Any]:
    """The effects of one unit's actions, from report_cache while its data and actions are unchanged."""
    family = family_ids({unit_id})
    salt = repr([(a.id, a.criterion, a.starts_on) for a in actions]) + f"|{today}"
    return indices.cached(f"actions:{unit_id}", family, None, lambda: _measure(actions, family, today), salt)


def _measure(actions: list[ImprovementAction], family: set[int], today: date) -> dict[str, Any]:
    cells = indices.day_cells(family)
    out: dict[str, Any] = {}
    for action in actions:
        ranges = windows(action.starts_on, today)
        if ranges is None:
            continue
        contrast = indices.compare_ranges(cells, ranges[0], ranges[1], [action.criterion])
        out[str(action.id)] = indices.comparison_dict(contrast, action.criterion) | {
            "before_range": [d.isoformat() for d in ranges[0]],
            "after_range": [d.isoformat() for d in ranges[1]],
        }
    return out


def _row(action: ImprovementAction, effect: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": action.id,
        "unit_code": action.unit.code,
        "unit_name": action.unit.name,
        "criterion": action.criterion,
        "description": action.description,
        "responsible": action.responsible,
        "starts_on": action.starts_on,
        "effect": effect,
    }
