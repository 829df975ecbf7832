"""The unit report's workbook: what each sheet holds, in Vietnamese (survey/reports/workbook.py
does the formatting). One row per estimate of the unit (its whole subtree), question text
beside each code, and the tidy rows of the statisticians' run kept as "dữ liệu"."""

from __future__ import annotations

from typing import Any

from survey.reports.workbook import COUNT, PERCENT, add_sheet, new_book, to_bytes

__all__ = ["ESTIMATE_HEADERS", "unit_workbook"]

ESTIMATE_HEADERS = (
    "Cấp",
    "Mã",
    "Nội dung",
    "Tỷ lệ hài lòng (%)",
    "Cận dưới (%)",
    "Cận trên (%)",
    "Sai số chuẩn (điểm %)",
    "Số phiếu (n)",
    "Ghi chú",
)
_FLAGS = {"small_sample": "ít phiếu", "no_data": "không có dữ liệu", "few_clusters": "ít quầy"}


def _note(e: dict[str, Any]) -> str:
    return ", ".join(_FLAGS.get(f, f) for f in e.get("flags") or [])


def _row(level: str, code: str, text: str, e: dict[str, Any]) -> list[Any]:
    return [level, code, text, e["value"], e["ci_low"], e["ci_high"], e["se"], e["n"], _note(e)]


def _estimates(view: dict[str, Any]) -> list[list[Any]]:
    g = view["group"]
    rows = [
        _row("Chỉ số", "SIPAS", "Chỉ số hài lòng (SIPAS)", g["sipas"]),
        _row("Chỉ số thành phần", "policy", "Chính sách công", g["policy"]),
        _row("Chỉ số thành phần", "service", "Dịch vụ hành chính công", g["service"]),
    ]
    rows += [_row("Yếu tố", c, n, e) for c, n, e in view["service_elements"] + view["policy_elements"]]
    rows += [_row("Tiêu chí", q, t, e) for _c, _n, items in view["criteria"] for q, t, e in items]
    return rows


def _columns(first: list[tuple[str, str | None, int]]) -> list[tuple[str, str | None, int]]:
    return first + [
        ("Tỷ lệ hài lòng (%)", PERCENT, 12),
        ("Cận dưới (%)", PERCENT, 12),
        ("Cận trên (%)", PERCENT, 12),
        ("Số phiếu (n)", COUNT, 10),
    ]


def unit_workbook(unit: Any, context: dict[str, Any], tidy: list[list[str]], generated: str) -> bytes:
    """The workbook as bytes; ``tidy`` is the CSV of `sipas compute` (header row first)."""
    view, period = context["view"], context["period"]
    level = round(view["confidence"] * 100)
    dates = f"{period.starts_on:%d/%m/%Y} – {period.ends_on:%d/%m/%Y}" if period is not None else "mọi đợt"
    book = new_book(
        [
            ("Đơn vị", f"{unit.name} ({unit.code})"),
            ("Đợt khảo sát", f"{period.name if period is not None else 'Mọi đợt'} ({dates})"),
            ("Dữ liệu đến", view["as_of"] or "chưa có phiếu"),
            ("Lập lúc", generated),
            (
                "Cách đọc",
                f"Tỷ lệ hài lòng tính bằng % (0–100), làm tròn 2 chữ số; cận dưới và cận trên là "
                f"khoảng tin cậy {level} %. Mốc so sánh: Lai Châu năm 2024 = {view['baseline']:.2f} %, "
                f"cả nước năm 2024 = {view['national']:.2f} %. 'ít phiếu': dưới 30 phiếu hoặc khoảng tin "
                "cậy rộng hơn ±10 điểm.",
            ),
            (
                "Trang 'Chỉ số'",
                "SIPAS, hai chỉ số thành phần, các yếu tố và từng tiêu chí: mỗi ước lượng một dòng.",
            ),
            ("Trang 'Cải thiện trước'", "Các tiêu chí nên cải thiện trước, theo điểm ưu tiên."),
            ("Trang 'Theo quầy'", "Kết quả từng quầy (khi đơn vị có nhiều quầy)."),
            ("Trang 'Theo tháng'", "SIPAS từng tháng."),
            (
                "Trang 'dữ liệu'",
                "Số liệu gốc dạng bảng (như `sipas compute --format csv`) cho người làm thống kê.",
            ),
        ]
    )
    add_sheet(
        book,
        "Chỉ số",
        [("Cấp", None, 16), ("Mã", None, 9), ("Nội dung", None, 60)]
        + [(h, PERCENT, 12) for h in ESTIMATE_HEADERS[3:7]]
        + [("Số phiếu (n)", COUNT, 10), ("Ghi chú", None, 16)],
        _estimates(view),
    )
    add_sheet(
        book,
        "Cải thiện trước",
        [("Thứ tự", COUNT, 8), ("Mã", None, 9), ("Nội dung", None, 60)]
        + _columns([])
        + [("Điểm ưu tiên", PERCENT, 12)],
        [
            [i, p["code"], p["name"], p["value"], p["ci_low"], p["ci_high"], p["n"], p["score"]]
            for i, p in enumerate(view["improve"], start=1)
        ],
    )
    if view["counters"]:
        add_sheet(
            book,
            "Theo quầy",
            _columns([("Quầy", None, 40), ("Mã quầy", None, 9)]),
            [[c["name"], c["key"]["point_code"], *_ci(c["group"]["sipas"])] for c in view["counters"]],
        )
    add_sheet(
        book,
        "Theo tháng",
        _columns([("Tháng", None, 10)]),
        [[t["label"], *_ci(t["sipas"])] for t in view["month"]],
    )
    add_sheet(
        book, "dữ liệu", [(h, None, 12) for h in tidy[0]] if tidy else [], [_typed(r) for r in tidy[1:]], True
    )
    return to_bytes(book)


def _ci(e: dict[str, Any]) -> list[Any]:
    return [e["value"], e["ci_low"], e["ci_high"], e["n"]]


def _typed(row: list[str]) -> list[Any]:
    """CSV text back to numbers where it is one (the tidy sheet keeps full precision)."""
    out: list[Any] = []
    for cell in row:
        try:
            out.append(int(cell) if cell.lstrip("-").isdigit() else float(cell) if cell else None)
        except ValueError:
            out.append(cell)
    return out
