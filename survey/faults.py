"""What a citizen sees when the database fails while they send the survey: their answers, kept.

The page is the survey form itself, every answer re-rendered from the POST, with a message to
send again in a few minutes (status 503). It is built without the database: the counter's
token comes from the address, its unit's name is not needed (the heading says what the
survey is), and the form-load token in the POST keeps its idempotency key, so a retry that
reaches a recovered database stores exactly one response.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import current_app, request
from flask_babel import gettext as _

__all__ = ["survey_unavailable"]


def survey_unavailable():  # type: ignore[no-untyped-def]
    """The survey form with the POSTed answers and a 503 status, or None if it cannot be built."""
    from survey.public import formload
    from survey.public.render import render_survey

    token = (request.view_args or {}).get("token")
    if not token:
        return None
    point = SimpleNamespace(token=token, unit=SimpleNamespace(name=_("Citizen satisfaction survey")))
    t = request.form.get("t") or ""
    if formload.read(t) is None:
        t = formload.issue(request.form.get("policy_group"))
    message = _(
        "Your answers could not be saved just now: the service is briefly unavailable. "
        "Nothing you entered has been lost. Please press Send again in a few minutes."
    )
    try:
        return render_survey(point, request.form, t=t, errors={"_form": message}, status=503)
    except Exception:  # noqa: BLE001 - a plain 503 page is still better than a 500
        current_app.logger.warning("survey form could not be re-rendered after a database fault")
        return None
