"""A unit report as files: Excel for people, tidy CSV, the full A4 PDF and the one-page summary.

Scoped like the page: a unit the user may not read answers 404. The numbers are those of the
page (`sipas compute --unit CODE --by unit --period P`); the CSV and the workbook's "dữ liệu"
sheet hold that run's tidy rows for statisticians.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from typing import Any

from flask import Response, current_app, render_template, request

from analysis import to_csv
from survey.auth.access import load_unit_or_404
from survey.i18n import current_language
from survey.periods import LOCAL_TZ
from survey.reports import bp, unit_context
from survey.reports.chart import bar_chart
from survey.reports.indices import unit_result
from survey.reports.page import chosen_period, indices_context
from survey.reports.sheets import unit_workbook

__all__ = ["XLSX", "issuer", "render_pdf", "report_csv", "report_pdf", "report_xlsx", "summary_pdf"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ISSUER = ("Ủy ban nhân dân tỉnh Lai Châu", "Sở Nội vụ")


def issuer() -> tuple[str, str]:
    """The issuing body printed on top of a summary: SIPAS_REPORT_ISSUER = "parent|body"."""
    text = current_app.config.get("SIPAS_REPORT_ISSUER") or os.environ.get("SIPAS_REPORT_ISSUER", "")
    parent, _sep, body = str(text).partition("|")
    return (parent.strip(), body.strip()) if parent.strip() and body.strip() else ISSUER


def attachment(body: bytes | str, mimetype: str, name: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def tidy_csv(unit: Any, period: Any) -> str:
    buf = io.StringIO()
    to_csv(unit_result(unit, period), buf)
    return buf.getvalue()


@bp.get("/<code>/report.xlsx")
def report_xlsx(code: str) -> Response:
    """The unit's report as an Excel workbook for people, with the tidy data sheet at the end."""
    unit = load_unit_or_404(code)
    context = indices_context(unit)
    tidy = list(csv.reader(io.StringIO(tidy_csv(unit, context["period"]))))
    body = unit_workbook(unit, context, tidy, _now())
    return attachment(body, XLSX, f"sipas-{unit.code}-{context['period_code']}.xlsx")


@bp.get("/<code>/report.csv")
def report_csv(code: str) -> Response:
    """The unit's indices as tidy CSV: one row per group and estimate."""
    unit = load_unit_or_404(code)
    period, period_code = chosen_period()
    return attachment(tidy_csv(unit, period), "text/csv", f"sipas-{unit.code}-{period_code}.csv")


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report is self-contained: WeasyPrint must not fetch anything, from any host."""
    raise ValueError(f"report PDF: not fetching {url}")


def render_pdf(html: str) -> bytes:
    """A4 PDF of self-contained HTML (DejaVu Sans carries the Vietnamese marks)."""
    from weasyprint import HTML  # a heavy import, paid only when someone asks for a PDF

    return HTML(string=html, base_url=request.url_root, url_fetcher=_refuse).write_pdf()


def _now() -> str:
    return datetime.now(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def _actions(unit: Any) -> list[dict[str, Any]]:
    from survey.actions.records import effects
    from survey.actions.views import named

    return named(effects(unit))


@bp.get("/<code>/report.pdf")
def report_pdf(code: str) -> Response:
    """The full unit page printed on A4 (the annex of the one-page summary)."""
    unit = load_unit_or_404(code)
    context = indices_context(unit) | {"pdf": True, "actions": _actions(unit), "can_act": False}
    html = render_template("reports/unit.html", **unit_context(unit), **context)
    return attachment(render_pdf(html), "application/pdf", f"sipas-{unit.code}-{context['period_code']}.pdf")


@bp.get("/<code>/summary.pdf")
def summary_pdf(code: str) -> Response:
    """One A4 page a chairman can sign off: header, the three indices in words, the service
    elements as bars, what to improve first and the actions' effect."""
    unit = load_unit_or_404(code)
    context = indices_context(unit)
    view = context["view"]
    chart = bar_chart([(c, e) for c, _n, e in view["service_elements"]], view["baseline"])
    html = render_template(
        "reports/summary.html",
        unit=unit,
        issuer=issuer(),
        generated=_now(),
        chart=chart,
        actions=_actions(unit)[:4],
        lang=current_language(),
        **context,
    )
    return attachment(
        render_pdf(html), "application/pdf", f"tom-tat-{unit.code}-{context['period_code']}.pdf"
    )
