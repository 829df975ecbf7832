"""Turning the pages without JavaScript: next, back, "I don't know this policy", language.

Each button posts every answer given so far; the answer is the next page drawn with them.
Nothing is stored, so a page turn costs no database write and is not rate-limited. A page
is checked before moving on (only "choose at most 2" or a tampered value can fail), so an
error is shown on the page where the question is.
"""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from survey.instrument import instrument
from survey.models import ServicePoint
from survey.public import formload
from survey.public.pages import field_name, path_for
from survey.public.questionnaire import (
    FormError,
    applicable_only,
    parse_screen,
    parse_submission,
    without_policy,
)
from survey.public.render import render_survey

__all__ = ["navigate"]


def _page_errors(form: MultiDict[str, str], fields: set[str]) -> dict[str, str]:
    """Errors of the fields on one page (the rest of the form is checked when it is sent)."""
    try:
        parse_submission(form, instrument())
    except FormError as exc:
        return {k: v for k, v in exc.errors.items() if k in fields or k == "_form"}
    return {}


def navigate(point: ServicePoint, posted: MultiDict[str, str]) -> tuple[str, int]:
    """The page a button leads to, with every answer kept."""
    ins = instrument()
    form = applicable_only(posted, ins)
    nav = form.get("nav", "")
    t = form.get("t", "")
    if formload.read(t, max_age_s=None) is None:
        # A forged or mangled token: start a fresh form load, keeping the answers shown.
        t = formload.issue(form.get("policy_group"))
    path = path_for(ins, parse_screen(form, ins))
    here = path.index(form.get("page"))
    if nav == "skip":
        form = without_policy(form, ins)
    if nav in ("next", "skip"):
        fields = {field_name(i) for i in path.pages[here].items} | {"policy_group"}
        errors = _page_errors(form, fields)
        if errors:
            return render_survey(point, form, t=t, page=path.pages[here].id, errors=errors, status=422)
        here = min(here + 1, len(path.pages) - 1)
    elif nav == "back":
        here = max(here - 1, 0)
    elif nav not in ("", "stay"):
        return render_survey(
            point, form, t=t, page=path.pages[here].id, errors={"_form": _("Unknown button.")}, status=422
        )
    return render_survey(point, form, t=t, page=path.pages[here].id)
