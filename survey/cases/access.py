"""Who may see and work which case.

* Sở Nội vụ — the ``admin`` and ``analyst`` roles — sees and works every case, allegations
  included.
* A unit viewer sees the cases of their unit's subtree and history, **except allegations of
  misconduct**: an escalated case does not exist for them (lists, counts, reports, digests;
  its URL answers 404, like a case of another unit).
* Accounts named in ``SIPAS_CASES_ESCALATE_TO`` (e.g. the provincial inspectorate's) read the
  allegations too: an admin or analyst all of them, a viewer those within their subtree except
  the ones against their own unit.
"""

from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, false, or_, select, true

from survey.auth.access import family_ids
from survey.extensions import db
from survey.models import Case, User

__all__ = ["can_read", "case_scope", "escalation_reader", "load_case_or_404", "readers_of"]

SNV_ROLES = ("admin", "analyst")


def _listed(user: User) -> bool:
    return user.email.lower() in current_app.config.get("CASES_ESCALATE_TO", ())


def escalation_reader(user: User) -> bool:
    """Whether the account reads allegations of misconduct at all."""
    return user.role in SNV_ROLES or _listed(user)


def case_scope(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Case`` selecting the cases the user may read."""
    if user.role in SNV_ROLES:
        return true()
    if user.unit_id is None:
        return false()
    units = Case.unit_id.in_(sorted(family_ids({user.unit_id})))
    if _listed(user):
        return and_(units, or_(Case.category != "misconduct", Case.unit_id != user.unit_id))
    return and_(units, Case.category != "misconduct")


def can_read(user: User, case: Case, family: set[int] | None = None) -> bool:
    """The same rule as :func:`case_scope`, for one case (``family``: the user's units, if known)."""
    if user.role in SNV_ROLES:
        return True
    if user.unit_id is None:
        return False
    units = family if family is not None else family_ids({user.unit_id})
    if case.unit_id not in units:
        return False
    if not case.escalated:
        return True
    return _listed(user) and case.unit_id != user.unit_id


def load_case_or_404(case_id: int) -> Case:
    """The case if the current user may read it; 404 otherwise, so nothing leaks."""
    case = db.session.scalar(select(Case).where(Case.id == case_id, case_scope(current_user)))
    if case is None:
        abort(404)
    return case


def readers_of(case: Case) -> list[User]:
    """Active accounts that may read the case: who it can be assigned to."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.role, User.email))
    families: dict[int, set[int]] = {}
    out = []
    for user in users:
        if user.unit_id is not None and user.unit_id not in families:
            families[user.unit_id] = family_ids({user.unit_id})
        if can_read(user, case, families.get(user.unit_id) if user.unit_id else None):
            out.append(user)
    return out
