"""Sở Nội vụ's settings of case handling: the classifier's phrases, the official channels."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _

from survey.admin.forms import done
from survey.auth.access import require_role
from survey.cases import settings
from survey.cases.classify import CATEGORIES
from survey.cases.figures import calendar
from survey.cases.views import bp
from survey.extensions import db
from survey.validation import InputError


@bp.route("/settings", methods=["GET", "POST"])
def settings_page():  # type: ignore[no-untyped-def]
    """Edit the phrases (one a line, per category) and the channels text (per language)."""
    require_role("admin")
    error = None
    if request.method == "POST":
        try:
            settings.save_keywords({c: request.form.get(f"kw_{c}", "") for c in CATEGORIES})
            settings.save_channels({lang: request.form.get(f"channels_{lang}", "") for lang in ("vi", "en")})
        except InputError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            return done(_("Case settings saved."), url_for("cases.settings_page"))
    form = request.form if error else None
    keywords = settings.keywords()
    return render_template(
        "cases/settings.html",
        error=error,
        categories=CATEGORIES,
        keywords={c: form.get(f"kw_{c}", "") if form else "\n".join(keywords[c]) for c in CATEGORIES},
        channels={
            lang: form.get(f"channels_{lang}", "") if form else settings.channels_text(lang)
            for lang in ("vi", "en")
        },
        placeholders=settings.placeholders(),
        due_days=current_app.config["CASES_DUE_DAYS"],
        escalate_to=current_app.config["CASES_ESCALATE_TO"],
        holiday_years=sorted(calendar().years),
    ), 422 if error else 200
