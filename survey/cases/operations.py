"""Working a case: status, assignee, internal notes, public reply, category, call-back contact.

Each operation checks its input (InputError naming the field), changes the case, flushes and
records the change in the audit log in the same transaction; the view commits. The audit
entry never holds the citizen's phone number: the contact is deleted when the case closes,
and the audit log is never changed.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from survey import audit
from survey.cases.access import readers_of
from survey.extensions import db
from survey.models import CASE_CATEGORIES, CASE_STATUSES, Case, CaseContact, CaseNote, User, utcnow
from survey.validation import InputError, required

__all__ = [
    "MAX_TEXT",
    "add_note",
    "assign",
    "delete_contact",
    "publish_reply",
    "set_category",
    "set_contact",
    "set_status",
]

MAX_TEXT = 4000
FIELDS = ("status", "category", "assignee", "reply", "answered_at", "closed_at")


def _state(case: Case) -> dict[str, Any]:
    state = audit.snapshot(case, [f for f in FIELDS if f != "assignee"])
    state["assignee"] = case.assignee.email if case.assignee else None
    return state


def _record(
    action: str, case: Case, before: dict[str, Any] | None, after: dict[str, Any] | None = None
) -> None:
    case.updated_at = utcnow()
    db.session.flush()
    audit.record(action, "case", case.id, before, after if after is not None else _state(case))


def set_status(case: Case, status: str) -> None:
    """Move a case to a status; closing deletes its call-back contact, reopening clears the close."""
    if status not in CASE_STATUSES:
        raise InputError(_("Status: '%(value)s' is not a status.", value=status))
    if status == "answered" and not case.reply:
        raise InputError(_("Status: write and publish the public reply first."))
    if status == case.status:
        return
    before = _state(case)
    case.status = status
    case.closed_at = utcnow() if status == "closed" else None
    if status == "closed" and case.contact is not None:
        delete_contact(case, reason="closed")
    _record("case.status", case, before)


def publish_reply(case: Case, text: str) -> None:
    """Publish (or correct) the reply the citizen reads at /c/<code>; an open case becomes answered."""
    reply = required(text, _("Public reply"), MAX_TEXT)
    before = _state(case)
    now = utcnow()
    case.reply, case.replied_at = reply, now
    case.answered_at = case.answered_at or now
    if case.is_open:
        case.status = "answered"
    _record("case.reply", case, before)


def add_note(case: Case, author: User, text: str) -> CaseNote:
    """Add an internal note (officials only; the citizen never sees it)."""
    note = CaseNote(
        case=case, author_id=author.id, author=author.email, text=required(text, _("Note"), MAX_TEXT)
    )
    db.session.add(note)
    _record("case.note", case, None, {"note": note.text})
    return note


def assign(case: Case, user_id: int | None) -> None:
    """Give the case to an official who may read it, or to nobody."""
    user = None
    if user_id is not None:
        user = next((u for u in readers_of(case) if u.id == user_id), None)
        if user is None:
            raise InputError(_("Assignee: this account may not read the case."))
    if user == case.assignee:
        return
    before = _state(case)
    case.assignee = user
    _record("case.assign", case, before)


def set_category(case: Case, category: str) -> None:
    """Recategorise; ``misconduct`` escalates to Sở Nội vụ, another category returns it to the unit.

    The assignee is cleared when the case is escalated: a unit's official must not keep it.
    """
    if category not in CASE_CATEGORIES:
        raise InputError(_("Category: '%(value)s' is not a category.", value=category))
    if category == case.category:
        return
    before = _state(case)
    case.category = category
    if case.escalated and case.assignee is not None and case.assignee.role == "viewer":
        case.assignee = None
    _record("case.category", case, before)


def set_contact(case: Case, phone: str, consent: str, language: str) -> CaseContact:
    """Store (or replace) the consented call-back number of an open case."""
    if case.status == "closed":
        raise InputError(_("This case is closed: a call back is no longer possible."))
    contact = case.contact or CaseContact(case=case)
    contact.phone, contact.consent, contact.language, contact.consented_at = (
        phone,
        consent,
        language,
        utcnow(),
    )
    db.session.add(contact)
    _record("case.contact_add", case, None, {"consent": consent, "language": language})
    return contact


def delete_contact(case: Case, reason: str) -> None:
    """Delete the call-back number (on close, or when the citizen or an official asks)."""
    if case.contact is None:
        return
    db.session.delete(case.contact)
    case.contact = None
    _record("case.contact_delete", case, None, {"reason": reason})
