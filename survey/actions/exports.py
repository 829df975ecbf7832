"""The plan-progress report for the province (Sở Nội vụ): every action, its criterion and its
measured effect, by unit — as an Excel workbook and as an A4 PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, render_template

from survey.actions import bp
from survey.actions.records import MIN_DAYS
from survey.actions.views import province_actions
from survey.auth.access import require_role
from survey.periods import LOCAL_TZ
from survey.reports.exports import XLSX, attachment, issuer, render_pdf
from survey.reports.workbook import COUNT, PERCENT, add_sheet, new_book, to_bytes

__all__ = ["PROGRESS_HEADERS", "progress_pdf", "progress_xlsx"]

PROGRESS_HEADERS = (
    "Đơn vị",
    "Mã đơn vị",
    "Biện pháp",
    "Người phụ trách",
    "Mã tiêu chí",
    "Tiêu chí",
    "Ngày bắt đầu",
    "Trước (%)",
    "Số phiếu trước",
    "Sau (%)",
    "Số phiếu sau",
    "Thay đổi (điểm %)",
    "Cận dưới thay đổi",
    "Cận trên thay đổi",
    "Giá trị p",
)


def _values(row: dict[str, Any]) -> list[Any]:
    e = row["effect"]
    head = [row["unit_name"], row["unit_code"], row["description"], row["responsible"], row["criterion"]]
    head += [row["criterion_name"], row["starts_on"]]
    if e is None:
        return head + [None] * 8
    c = e["change"]
    return head + [
        e["before"]["value"], e["before"]["n"], e["after"]["value"], e["after"]["n"],
        c["diff_pp"], c["ci_low"], c["ci_high"], c["p_value"],
    ]  # fmt: skip


def _now() -> str:
    return datetime.now(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


@bp.get("/actions.xlsx")
def progress_xlsx() -> Response:
    """The plan-progress report as Excel: a README sheet, then one row per action."""
    require_role("admin", "analyst")
    book = new_book(
        [
            ("Báo cáo", "Tiến độ thực hiện kế hoạch nâng cao chỉ số hài lòng (SIPAS): biện pháp và hiệu quả"),
            ("Cơ quan", " – ".join(issuer())),
            ("Lập lúc", _now()),
            (
                "Cách đọc",
                f"Trước: cùng số ngày (ít nhất {MIN_DAYS} ngày) ngay trước ngày bắt đầu; sau: từ ngày bắt "
                "đầu đến hôm nay. Thay đổi = sau − trước, tính bằng điểm %, với khoảng tin cậy 95 % và giá "
                "trị p (dưới 0,05: thay đổi khó có thể chỉ do ngẫu nhiên).",
            ),
        ]
    )
    formats = [None] * 6 + ["DD/MM/YYYY", PERCENT, COUNT, PERCENT, COUNT, PERCENT, PERCENT, PERCENT, "0.000"]
    widths = [28, 10, 50, 22, 9, 50, 12, 10, 10, 10, 10, 12, 12, 12, 10]
    add_sheet(
        book,
        "Biện pháp",
        list(zip(PROGRESS_HEADERS, formats, widths, strict=True)),
        [_values(r) for r in province_actions()],
    )
    return attachment(to_bytes(book), XLSX, "tien-do-ke-hoach-sipas.xlsx")


@bp.get("/actions.pdf")
def progress_pdf() -> Response:
    """The plan-progress report on A4 (landscape), with the issuing body's header."""
    require_role("admin", "analyst")
    html = render_template(
        "actions/progress_pdf.html", actions=province_actions(), issuer=issuer(), generated=_now(), pdf=True
    )
    return attachment(render_pdf(html), "application/pdf", "tien-do-ke-hoach-sipas.pdf")
