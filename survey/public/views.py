"""Survey views: the first page, a page turn or the final send (both POST), thanks.

No answer and no readable token ever appears in a URL: answers travel in POST bodies and the
form-load token is encrypted (formload.py), so an access log cannot link a visit to answers.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from survey.aggregates import lookups
from survey.extensions import csrf, db, limiter
from survey.i18n import current_language
from survey.instrument import instrument
from survey.models import Period, ServicePoint
from survey.periods import local_today
from survey.public import bp, formload, receipts
from survey.public.device import device_hash, device_key, ensure_cookie, no_device
from survey.public.navigation import navigate
from survey.public.questionnaire import FormError, parse_submission
from survey.public.render import render_fresh, render_survey, render_thanks
from survey.public.rotation import assign_group
from survey.responses import find_by_key, store_response

bp.after_request(ensure_cookie)


def load_point(token: str) -> ServicePoint:
    """The active service point of a QR token, or the Vietnamese 404 page."""
    point = lookups.point_by_token(token)  # kept per process while the setup is unchanged
    if point is None:
        abort(replaced_token_page(token) or 404)
    if not point.active:
        abort(404)
    return point


def replaced_token_page(token: str) -> WerkzeugResponse | None:
    """An old poster's token: a page saying the code was replaced or withdrawn (still 404)."""
    from survey.points import retired_token

    retired = retired_token(token)
    if retired is None:
        return None
    if retired.reason == "rotated":
        title = _("This QR code has been replaced")
        message = _(
            "The counter has a new poster. Please scan the QR code on the new poster, or ask at the counter."
        )
    else:
        title = _("This QR code is no longer in use")
        message = _("This counter no longer takes the survey through this code. Please ask at the counter.")
    page = render_template("errors/page.html", title=title, message=message)
    return current_app.make_response((page, 404))


def load_open_period() -> Period:
    """The open survey period, or the 410 page when the survey is closed."""
    period = lookups.open_period_on(local_today())
    if period is None:
        abort(410)
    return period


@bp.get("/s/<token>")
# Fresh forms per address (a generous budget: a service centre shares one Wi-Fi address). Every
# GET is a fresh form load: the pages after the first are POSTs.
@limiter.limit(lambda: str(current_app.config["SURVEY_LIMIT_FORM_LOADS"]))
def survey(token: str):  # type: ignore[no-untyped-def]
    """The first page of a fresh form load: a new encrypted form-load token, nothing in the URL."""
    point = load_point(token)
    period = load_open_period()
    if (answered := receipts.used_code_page(point)) is not None:
        return answered
    group = assign_group(instrument(), point, period)
    return render_fresh(point, t=formload.issue(group), group=group)


def _turning_page() -> bool:
    """A POST that only moves between pages (or changes language): nothing is stored."""
    return request.method == "POST" and (
        request.form.get("nav", "send") != "send" or bool(request.form.get("setlang"))
    )


def _limit(per: str):  # type: ignore[no-untyped-def]
    return lambda: str(current_app.config[f"SURVEY_LIMIT_PER_{per}"])


@bp.post("/s/<token>")
# Two budgets: a small one per phone (signed device cookie), and a large one per address that
# every submit also counts against, since a whole service centre may share one Wi-Fi address.
# Turning a page stores nothing and is not counted.
@limiter.limit(_limit("DEVICE"), key_func=device_key, exempt_when=lambda: no_device() or _turning_page())
@limiter.limit(_limit("ADDRESS"), key_func=get_remote_address, exempt_when=_turning_page)
@csrf.exempt  # checked just below, once the rate limits have counted the request
def submit(token: str):  # type: ignore[no-untyped-def]
    """Store the answers once per form load and send the respondent to the thank-you page."""
    csrf.protect()  # a CSRFError keeps the answers (errors.py): a flood of forged POSTs is throttled too
    point = load_point(token)
    period = load_open_period()
    if _turning_page():
        return navigate(point, request.form)
    load = formload.read(request.form.get("t"))
    if load is None and (stored := _already_stored(request.form.get("t"))) is not None:
        return stored
    try:
        sub = parse_submission(request.form, instrument())
    except FormError as exc:
        errors = dict(exc.errors)
    else:
        errors = {}
    if load is None:
        errors.setdefault("_form", _expired())
    if errors or load is None:
        t = request.form["t"] if load else formload.issue(request.form.get("policy_group"))
        return render_survey(point, request.form, t=t, errors=errors, status=422)
    try:
        store_response(
            point=point,
            period=period,
            answers=sub.answers,
            policy_group=sub.policy_group,
            language=current_language(),
            duration_s=load.duration_s(),
            device_hash=device_hash(period.id),
            idempotency_key=load.key,
        )
        # A receipt code is used up in the same transaction as the insert: of two
        # concurrent submissions with one code, exactly one commits.
        if not receipts.redeem_pending(point):
            db.session.rollback()
            return receipts.refused(point)
        db.session.commit()
    except IntegrityError:
        # A concurrent POST of the same form load won the race: its response is the one.
        db.session.rollback()
        if find_by_key(load.key) is None:
            raise
    return receipts.forget(redirect(url_for("public.thanks", token=token), 303), point)


@bp.get("/s/<token>/thanks")
def thanks(token: str):  # type: ignore[no-untyped-def]
    """Thank-you page of a point (kept per process unless it shows a new case's code)."""
    return render_thanks(load_point(token), token)


def _already_stored(t: str | None) -> WerkzeugResponse | None:
    """A late retry of an expired form load whose answers were stored: straight to thanks."""
    old = formload.read(t, max_age_s=None)
    if old is None or find_by_key(old.key) is None:
        return None
    token = (request.view_args or {})["token"]
    return redirect(url_for("public.thanks", token=token), 303)


def _expired() -> str:
    return _("Your session had expired. Your answers are kept: please press Send again.")


def resubmit_after_csrf() -> WerkzeugResponse | tuple[str, int]:
    """A failed CSRF check on the survey keeps every answer and asks to send again."""
    token = (request.view_args or {}).get("token", "")
    point = load_point(token)
    t = request.form.get("t") or formload.issue(None)
    current_app.logger.info("survey CSRF failure at point %s", point.id)
    return render_survey(point, request.form, t=t, errors={"_form": _expired()}, status=400)
