"""Citizens' comments as cases a unit answers: element B5 of the index, as a closed loop.

The stages, one module each:

* ``masking`` — personal data out of free text, at write time;
* ``classify`` — suggestion, complaint, praise or allegation of misconduct (keywords);
* ``intake`` — the write path's call: mask, open the case, hand the code to the thank-you
  page (``receipt``, a signed cookie read once; ``codes``, only a hash is stored);
* ``access`` — who reads which case (allegations escalated to Sở Nội vụ, never the accused);
* ``operations`` — status, assignee, notes, public reply, category, call-back contact; audited;
* ``workdays`` and ``figures`` — due dates in working days, per-unit counts for the reports;
* ``views`` and ``citizen`` — officials' pages (``/cases``) and the citizen's (``/c/<code>``);
* ``report`` — the figures and comments the unit report and the province overview include;
* ``drop`` and ``digest`` — the SIPAS drop alert, and the daily e-mail (``sipas digest``) that
  brings each unit's viewers and Sở Nội vụ their new and overdue cases and the alert.

Retention of case text and call-back numbers is in ``survey.ops.retention``.

For the reports (contract "cases in reports"): :func:`unit_figures`, :func:`report_comments`
and the template partials ``cases/_unit_report.html`` (a unit's figures) and ``cases/_report.html``
(its newest comments) in the unit report, ``cases/_province_overview.html`` in the province
overview.
"""

from __future__ import annotations

from flask import Flask

from survey.cases.figures import Figures, report_comments, unit_figures

__all__ = ["Figures", "init_app", "report_comments", "unit_figures"]


def init_app(app: Flask) -> None:
    """Settings from the environment, the code cookie, and the helpers templates call."""
    from survey.cases import receipt, settings
    from survey.cases.citizen import consent_text
    from survey.cases.labels import CATEGORY, STATUS, local_date, local_time
    from survey.cases.report import province_cases, unit_case_comments, unit_case_figures
    from survey.i18n import current_language

    settings.configure(app)
    receipt.init_app(app)
    app.jinja_env.globals.update(
        case_receipt=receipt.read_once,
        case_consent=consent_text,
        case_channels=lambda: settings.channel_lines(current_language()),
        case_status=STATUS,
        case_category=CATEGORY,
        case_date=local_date,
        case_time=local_time,
        unit_case_figures=unit_case_figures,
        unit_case_comments=unit_case_comments,
        province_cases=province_cases,
    )
