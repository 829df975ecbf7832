"""Excel workbook of a computed result: one sheet per level, for the statistician and officials."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd

from analysis.results import IndexResult
from analysis.serialise import result_frames

__all__ = ["SHEETS", "write_xlsx"]

# result_frames key -> sheet title (Vietnamese first: the workbook goes to provincial officials)
SHEETS = {
    "indices": "SIPAS và chỉ số thành phần",
    "elements": "Yếu tố",
    "items": "Tiêu chí",
    "e1": "Người dân chọn cần cải thiện",
    "priorities": "Ưu tiên cải thiện",
    "alpha": "Độ tin cậy (alpha)",
    "quality": "Chất lượng dữ liệu",
    "weighting": "Trọng số",
    "weighting_points": "Tỷ lệ phản hồi theo điểm",
}


def write_xlsx(result: IndexResult, target: str | Path | IO[bytes]) -> None:
    """Write the result as an .xlsx workbook: a README sheet, then one sheet per level.

    Values stay unrounded numbers (percentages 0–100) so that they can be checked in any tool.
    """
    frames = result_frames(result)
    about = pd.DataFrame(
        {
            "key": ["instrument", "confidence", "baseline", "national", "groups by"],
            "value": [
                result.instrument,
                result.confidence,
                result.baseline,
                result.national,
                ", ".join(result.by) or "(toàn bộ)",
            ],
        }
    )
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        about.to_excel(writer, sheet_name="Thông tin", index=False)
        for key, title in SHEETS.items():
            if key in frames:
                frames[key].to_excel(writer, sheet_name=title[:31], index=False)
        for sheet in writer.book.worksheets:
            for column in sheet.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
                sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
            sheet.freeze_panes = "A2"
