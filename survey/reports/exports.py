"""A unit report as files: Excel (one sheet per level), tidy CSV and an A4 PDF of the page.

Scoped like the page: a unit the user may not read answers 404. The Excel and CSV files hold
exactly `sipas compute --unit CODE --by unit --period P`; the PDF is the page's own HTML.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, render_template, request

from analysis import to_csv
from analysis.xlsx import write_xlsx
from survey.auth.access import load_unit_or_404
from survey.reports import bp, unit_context
from survey.reports.indices import unit_result
from survey.reports.page import chosen_period, indices_context

__all__ = ["report_csv", "report_pdf", "report_xlsx"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(body: bytes | str, mimetype: str, name: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/<code>/report.xlsx")
def report_xlsx(code: str) -> Response:
    """The unit's indices as an Excel workbook (README sheet, then one sheet per level)."""
    unit = load_unit_or_404(code)
    period, period_code = chosen_period()
    buf = io.BytesIO()
    write_xlsx(unit_result(unit, period), buf)
    return _attachment(buf.getvalue(), XLSX, f"sipas-{unit.code}-{period_code}.xlsx")


@bp.get("/<code>/report.csv")
def report_csv(code: str) -> Response:
    """The unit's indices as tidy CSV: one row per group and estimate."""
    unit = load_unit_or_404(code)
    period, period_code = chosen_period()
    buf = io.StringIO()
    to_csv(unit_result(unit, period), buf)
    return _attachment(buf.getvalue(), "text/csv", f"sipas-{unit.code}-{period_code}.csv")


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report is self-contained: WeasyPrint must not fetch anything, from any host."""
    raise ValueError(f"report PDF: not fetching {url}")


@bp.get("/<code>/report.pdf")
def report_pdf(code: str) -> Response:
    """The unit page printed on A4 by WeasyPrint (DejaVu Sans carries the Vietnamese marks)."""
    from weasyprint import HTML  # a heavy import, paid only when someone asks for a PDF

    unit = load_unit_or_404(code)
    context = indices_context(unit) | {"pdf": True}
    html = render_template("reports/unit.html", **unit_context(unit), **context)
    pdf = HTML(string=html, base_url=request.url_root, url_fetcher=_refuse).write_pdf()
    return _attachment(pdf, "application/pdf", f"sipas-{unit.code}-{context['period_code']}.pdf")
