"""`/`: where a person who types the site's address lands. Citizens arrive by a counter's QR
link (/s/<token>); anyone else is an official: the login page, or after login their home."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from survey.auth.access import visible_unit_ids
from survey.tree import unit_tree

__all__ = ["bp", "home_url"]

bp = Blueprint("home", __name__)


def home_url() -> str:
    """The start page of the logged-in user's role: administration, the province overview, or
    for a viewer the report of their unit when it has no sub-units (else their list of units)."""
    if current_user.role == "admin":
        return url_for("admin.index")
    if current_user.role == "analyst":
        return url_for("reports.overview")
    visible = visible_unit_ids(current_user) or set()
    current = [u for u, _depth in unit_tree() if u.id in visible]
    if len(current) == 1:
        return url_for("reports.unit", code=current[0].code)
    return url_for("reports.index")


@bp.get("/")
def index() -> Response:
    """The login page for a visitor; the role's start page for a logged-in official."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"), 303)
    return redirect(home_url(), 303)
