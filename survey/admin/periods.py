"""Survey periods: create, open (closing any other), close. A closed survey answers 410."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update

from survey import audit
from survey.admin import bp
from survey.admin.forms import done
from survey.extensions import db
from survey.models import Period
from survey.points import checked_code
from survey.validation import InputError, optional_date, required

FIELDS = ("code", "name", "starts_on", "ends_on", "is_open")


def create_period(code: str, name: str, starts: str, ends: str) -> Period:
    """Add a (closed) period and flush."""
    code, name = checked_code(code, _("Code"), 20), required(name, _("Name"))
    starts_on = optional_date(starts, _("Starts on"))
    ends_on = optional_date(ends, _("Ends on"))
    if starts_on is None or ends_on is None:
        raise InputError(_("Starts on and ends on: both dates are required."))
    if ends_on < starts_on:
        raise InputError(_("Ends on: before the first day."))
    if db.session.scalar(select(Period.id).where(Period.code == code)) is not None:
        raise InputError(_("Code: '%(code)s' is already used.", code=code))
    period = Period(code=code, name=name, starts_on=starts_on, ends_on=ends_on, is_open=False)
    db.session.add(period)
    db.session.flush()
    audit.record("period.create", "period", period.code, after=audit.snapshot(period, FIELDS))
    return period


def set_open(period: Period, is_open: bool) -> None:
    """Open a period (the one open before is closed first: only one is ever open) or close it."""
    before = audit.snapshot(period, FIELDS)
    if is_open:
        others = update(Period).where(Period.is_open.is_(True), Period.id != period.id).values(is_open=False)
        db.session.execute(others)
        db.session.flush()
    period.is_open = is_open
    db.session.flush()
    audit.record(
        "period.open" if is_open else "period.close",
        "period",
        period.code,
        before,
        audit.snapshot(period, FIELDS),
    )


@bp.route("/periods", methods=["GET", "POST"])
def periods():  # type: ignore[no-untyped-def]
    """The periods, newest first, and the form for a new one."""
    error = None
    if request.method == "POST":
        form = request.form
        try:
            create_period(
                form.get("code", ""), form.get("name", ""), form.get("starts_on", ""), form.get("ends_on", "")
            )
        except InputError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            return done(_("Period created (closed)."), url_for("admin.periods"))
    rows = db.session.scalars(select(Period).order_by(Period.starts_on.desc()))
    return render_template("admin/periods.html", periods=list(rows), error=error), 422 if error else 200


@bp.post("/periods/<code>/<any(open, close):action>")
def period_action(code: str, action: str):  # type: ignore[no-untyped-def]
    """Open or close a period."""
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        abort(404)
    set_open(period, action == "open")
    message = _("Period opened: the survey accepts answers.") if action == "open" else _("Period closed.")
    return done(message, url_for("admin.periods"))
