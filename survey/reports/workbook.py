"""Excel files for people (openpyxl): Vietnamese headers, question text beside codes, values
rounded to 2 decimals as numbers with a number format, one row per estimate, the header row
frozen, and a README sheet first. The tidy sheet (`sipas compute --format csv` rows) is kept
as "dữ liệu" for statisticians.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["PERCENT", "add_sheet", "new_book", "to_bytes"]

PERCENT = "0.00"  # values are percentages 0–100 already
COUNT = "0"
_HEAD_FILL = PatternFill("solid", fgColor="EEF1F4")


def new_book(readme: Sequence[tuple[str, str]]) -> Workbook:
    """A workbook whose first sheet, "Đọc trước", explains the file (label, text rows)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Đọc trước"
    for label, text in readme:
        sheet.append([label, text])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 100
    return book


def _rounded(value: Any, keep: bool) -> Any:
    return round(value, 2) if isinstance(value, float) and not keep else value


def add_sheet(
    book: Workbook,
    title: str,
    columns: Sequence[tuple[str, str | None, int]],
    rows: Sequence[Sequence[Any]],
    full_precision: bool = False,
) -> Worksheet:
    """A sheet with a bold, frozen header; ``columns`` are (header, number format, width).

    Numbers are rounded to 2 decimals unless ``full_precision`` (the statisticians' sheet)."""
    sheet = book.create_sheet(title[:31])
    sheet.append([header for header, _fmt, _w in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([_rounded(v, full_precision) for v in row])
    for index, (_header, fmt, width) in enumerate(columns, start=1):
        letter = sheet.cell(1, index).column_letter
        sheet.column_dimensions[letter].width = width
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
    sheet.freeze_panes = "A2"
    return sheet


def to_bytes(book: Workbook) -> bytes:
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
