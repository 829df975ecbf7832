"""Working a case from its page: each form posts here, the operation runs, the view commits.

A refused input comes back on the case page (422) with what the official typed, and the
field named; nothing is half-saved.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from survey.cases import operations
from survey.cases.access import can_read, load_case_or_404
from survey.cases.views import bp, case_context
from survey.extensions import db
from survey.models import Case
from survey.validation import InputError


def _apply(case_id: int, change: Callable[[Case], object], message: str) -> Response | tuple[str, int]:
    case = load_case_or_404(case_id)
    try:
        change(case)
    except InputError as exc:
        db.session.rollback()
        case = load_case_or_404(case_id)
        context = case_context(case) | {"error": str(exc), "form": request.form}
        return render_template("cases/case.html", **context), 422
    db.session.commit()
    if not can_read(current_user, case):
        # Escalated by a unit's official: from now on the case is Sở Nội vụ's alone.
        flash(_("The case was sent to Sở Nội vụ; it is no longer shown to your unit."), "ok")
        return redirect(url_for("cases.index"), 303)
    flash(message, "ok")
    return redirect(url_for("cases.show", case_id=case_id), 303)


@bp.post("/<int:case_id>/status")
def status(case_id: int):  # type: ignore[no-untyped-def]
    """Change the status (closing deletes a call-back number)."""
    return _apply(
        case_id, lambda c: operations.set_status(c, request.form.get("status", "")), _("Status saved.")
    )


@bp.post("/<int:case_id>/reply")
def reply(case_id: int):  # type: ignore[no-untyped-def]
    """Publish the public reply the citizen reads with the case code."""
    return _apply(
        case_id, lambda c: operations.publish_reply(c, request.form.get("reply", "")), _("Reply published.")
    )


@bp.post("/<int:case_id>/note")
def note(case_id: int):  # type: ignore[no-untyped-def]
    """Add an internal note."""
    return _apply(
        case_id,
        lambda c: operations.add_note(c, current_user, request.form.get("note", "")),
        _("Note added."),
    )


@bp.post("/<int:case_id>/assign")
def assign(case_id: int):  # type: ignore[no-untyped-def]
    """Give the case to an official (or to nobody)."""
    value = request.form.get("assignee", "")
    user_id = int(value) if value.isdigit() else None
    if value and user_id is None:
        user_id = -1  # not an account id: refused by the operation like any unknown account
    return _apply(case_id, lambda c: operations.assign(c, user_id), _("Assignee saved."))


@bp.post("/<int:case_id>/category")
def category(case_id: int):  # type: ignore[no-untyped-def]
    """Recategorise; an allegation of misconduct goes to Sở Nội vụ."""
    return _apply(
        case_id, lambda c: operations.set_category(c, request.form.get("category", "")), _("Category saved.")
    )


@bp.post("/<int:case_id>/contact/delete")
def delete_contact(case_id: int):  # type: ignore[no-untyped-def]
    """Delete the call-back number (e.g. once the citizen has been called)."""
    return _apply(
        case_id, lambda c: operations.delete_contact(c, reason="official"), _("Phone number deleted.")
    )
