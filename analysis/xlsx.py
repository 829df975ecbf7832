"""An Excel workbook of a result: one sheet per level (indices, elements, items, priorities, …)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd

from analysis.results import IndexResult
from analysis.serialise import result_frames

__all__ = ["write_xlsx"]


def write_xlsx(result: IndexResult, target: str | Path | IO[bytes]) -> None:
    """Write :func:`analysis.serialise.result_frames` as sheets, in that order, with openpyxl."""
    frames = result_frames(result)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
