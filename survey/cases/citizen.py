"""The citizen's side of a case: read the answer with the case code, ask for a call back.

``/c/<code>`` shows the case's status, its due date and the unit's public reply — nothing else
of the response (no answer, no comment, no counter, no time). Lookups with a code that does
not exist are rate-limited per address (``SIPAS_CASES_LOOKUP_LIMIT``); lookups that succeed
do not count, so a whole service centre behind one Wi-Fi is never locked out. The pages are
never cached: a shared phone must not show the last person's case.

A call back needs a separate, explicit consent that names its purpose (Law 91/2025/QH15 on
personal data protection); the number is kept apart from the answers and deleted when the
case closes.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, render_template, request
from flask.wrappers import Response
from flask_babel import gettext as _
from sqlalchemy import select

from survey.cases import operations
from survey.cases.codes import code_hash, display, normalise
from survey.cases.figures import due_date
from survey.cases.settings import channel_lines
from survey.extensions import db, limiter
from survey.i18n import current_language
from survey.models import Case
from survey.validation import InputError

__all__ = ["bp", "consent_text", "normalise_phone"]

bp = Blueprint("cases_public", __name__)

_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")


def normalise_phone(typed: str) -> str:
    """A Vietnamese mobile or landline number as ``0…`` digits; InputError naming the field."""
    digits = re.sub(r"[\s.\-()]", "", typed or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not (_MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits)):
        raise InputError(
            _("Phone number: write a Vietnamese mobile (10 digits, e.g. 0912 345 678) or landline number.")
        )
    return digits


def consent_text(unit_name: str) -> str:
    """The consent statement, in the page's language (stored with the number as given)."""
    return _(
        "I agree that the officials handling this case at %(unit)s or at Sở Nội vụ of Lai Châu province "
        "use this phone number only to call me back about this case. The number is kept apart from my "
        "survey answers and deleted when the case is closed (Law 91/2025/QH15 on personal data protection).",
        unit=unit_name,
    )


def _lookup_limit() -> str:
    return str(current_app.config["CASES_LOOKUP_LIMIT"])


def _missed(response: Response) -> bool:
    return response.status_code == 404


# One budget for every way of trying a code; only misses spend it.
guarded = limiter.shared_limit(_lookup_limit, scope="case-code", deduct_when=_missed)


def _find(typed: str) -> Case | None:
    code = normalise(typed)
    if code is None:
        return None
    return db.session.scalar(select(Case).where(Case.code_hash == code_hash(code)))


def _page(template: str, status: int = 200, **context: object) -> Response:
    page = current_app.make_response((render_template(template, **context), status))
    page.headers["Cache-Control"] = "no-store"
    return page


def _case_page(case: Case, code: str, status: int = 200, **extra: object) -> Response:
    return _page(
        "cases/citizen.html",
        status,
        case=case,
        code=display(code),
        due=due_date(case.created_at) if case.is_open else None,
        channels=channel_lines(current_language()),
        consent=consent_text(case.unit.name),
        **extra,
    )


def _not_found(typed: str) -> Response:
    return _page("cases/lookup.html", 404, typed=typed, error=_("No case has this code. Please check it."))


@bp.get("/c")
def lookup() -> Response:
    """The form to type a case code."""
    return _page("cases/lookup.html", typed="")


@bp.post("/c")
@guarded
def lookup_post() -> Response:
    """The case of the typed code (sent in the form body, so it stays out of addresses)."""
    typed = request.form.get("code", "")
    case = _find(typed)
    if case is None:
        return _not_found(typed)
    return _case_page(case, normalise(typed) or "")


@bp.get("/c/<code>")
@guarded
def show(code: str) -> Response:
    """A case's status and public reply."""
    case = _find(code)
    if case is None:
        return _not_found(code)
    return _case_page(case, normalise(code) or "")


@bp.post("/c/contact")
@guarded
def contact() -> Response:
    """Leave a phone number, with consent, to be called back about one case."""
    typed = request.form.get("code", "")
    case = _find(typed)
    if case is None:
        return _not_found(typed)
    code = normalise(typed) or ""
    try:
        if request.form.get("consent") != "yes":
            raise InputError(_("Consent: please tick the box to agree, or leave no number."))
        phone = normalise_phone(request.form.get("phone", ""))
        operations.set_contact(case, phone, consent_text(case.unit.name), current_language())
    except InputError as exc:
        db.session.rollback()
        return _case_page(case, code, 422, contact_error=str(exc), phone=request.form.get("phone", ""))
    db.session.commit()
    return _case_page(case, code, contact_saved=True)
