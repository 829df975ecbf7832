"""Who may see what: role checks and the units a user may read (their subtree and its history)."""

from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import select

from survey.extensions import db, login_manager
from survey.models import Unit, User

__all__ = ["family_ids", "load_unit_or_404", "require_role", "visible_unit_ids"]


def require_role(*roles: str) -> None:
    """Anonymous visitors go to the login page (401 JSON on the API); other roles get 403."""
    if not current_user.is_authenticated:
        abort(current_app.make_response(login_manager.unauthorized()))
    if current_user.role not in roles:
        abort(403)


def family_ids(root_ids: set[int]) -> set[int]:
    """The units under the roots, plus every retired unit whose successor chain leads into them.

    Responses stay stored against the unit they were given to; a merged commune's history
    counts for the unit it went into, so a report of the new unit includes it. A predecessor
    brings only itself and its own predecessors, never its children: the communes of a retired
    district may have gone into other new communes, whose reports already count them.
    """
    links = db.session.execute(select(Unit.id, Unit.parent_id, Unit.successor_id)).all()
    children: dict[int, list[int]] = {}
    predecessors: dict[int, list[int]] = {}
    for uid, parent, successor in links:
        if parent is not None:
            children.setdefault(parent, []).append(uid)
        if successor is not None:
            predecessors.setdefault(successor, []).append(uid)
    seen: set[int] = set()
    expanded: set[int] = set()  # units whose children are in too
    todo = [(uid, True) for uid in root_ids]
    while todo:
        uid, with_children = todo.pop()
        if uid in expanded or (uid in seen and not with_children):
            continue
        seen.add(uid)
        if with_children:
            expanded.add(uid)
            todo.extend((child, True) for child in children.get(uid, ()))
        todo.extend((old, False) for old in predecessors.get(uid, ()))
    return seen


def visible_unit_ids(user: User) -> set[int] | None:
    """Ids of the units a user may read; None means every unit (admin, analyst)."""
    if user.role in ("admin", "analyst"):
        return None
    return family_ids({user.unit_id}) if user.unit_id is not None else set()


def load_unit_or_404(code: str) -> Unit:
    """The unit of a code if the current user may read it; 404 otherwise, so nothing leaks."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        abort(404)
    visible = visible_unit_ids(current_user)
    if visible is not None and unit.id not in visible:
        abort(404)
    return unit
