"""Receipt codes on the citizen's side: /r/<code> opens the survey of its counter once.

The code travels in a cookie scoped to that counter's survey path, so the survey pages need no
extra field; it is marked used in the transaction that stores the response.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.models import ServicePoint, utcnow
from survey.public import bp
from survey.receipts import lookup, redeem

__all__ = ["forget", "redeem_pending", "refused", "used_code_page"]

COOKIE = "sipas_rc"


def _path(point: ServicePoint) -> str:
    return f"/s/{point.token}"


def _answered(status: int) -> tuple[str, int]:
    title = _("Already answered")
    message = _("This receipt code has already been used: the survey was answered (đã trả lời). Thank you.")
    return render_template("errors/page.html", title=title, message=message), status


def _expired() -> tuple[str, int]:
    title = _("This receipt code has expired")
    message = _("You can still answer: scan the QR code on the poster at the counter.")
    return render_template("errors/page.html", title=title, message=message), 410


@bp.get("/r/<code>")
def receipt(code: str) -> WerkzeugResponse | tuple[str, int]:
    """Open the survey of the receipt's counter, or say the code was already answered."""
    record = lookup(code)
    if record is None or not record.point.active:
        abort(404)
    if record.used:
        return _answered(200)
    if record.expires_at <= utcnow():
        return _expired()
    reply = redirect(url_for("public.survey", token=record.point.token), 303)
    max_age = int((record.expires_at - utcnow()).total_seconds())
    secure = current_app.config["SIPAS_BASE_URL"].startswith("https://") and request.is_secure
    reply.set_cookie(
        COOKIE, code, max_age=max_age, path=_path(record.point), httponly=True, samesite="Lax", secure=secure
    )
    return reply


def used_code_page(point: ServicePoint) -> tuple[str, int] | None:
    """The 'đã trả lời' page when this browser carries a receipt code already used, else None."""
    code = request.cookies.get(COOKIE)
    record = lookup(code) if code else None
    if record is not None and record.point_id == point.id and record.used:
        return _answered(200)
    return None


def redeem_pending(point: ServicePoint) -> bool:
    """Use up this browser's receipt code with the response; False only when it was already used.

    A code that expired while the form was open, or that is unknown, just stops counting: the
    answers are still stored (as from the counter's poster) rather than lost.
    """
    code = request.cookies.get(COOKIE)
    if not code or redeem(code, point):
        return True
    record = lookup(code)
    return record is None or not record.used


def refused(point: ServicePoint) -> WerkzeugResponse:
    """The reply when another submission used the code first: 'đã trả lời' (409), nothing stored."""
    page, status = _answered(409)
    return forget(current_app.make_response((page, status)), point)


def forget(reply: WerkzeugResponse, point: ServicePoint) -> WerkzeugResponse:
    """Drop the receipt cookie once its response is stored."""
    if request.cookies.get(COOKIE):
        reply.delete_cookie(COOKIE, path=_path(point))
    return reply
