"""The response export, streamed: each chunk of the bridge is written before the next is read.

A million responses as one DataFrame needed about 9 GB; chunk by chunk the export stays
within a few hundred MB whatever the number of responses. Cells are those of
``analysis.interchange.write_responses`` (formula defusing included): each chunk goes
through it as CSV, and for XLSX its rows are appended to a write-only sheet with answers
and numbers as numbers, as the one-shot writer does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.instrument import Instrument
from analysis.interchange import columns, write_responses
from analysis.validate import question_items
from analysis.xlsx import xml_safe

__all__ = ["write_stream"]


def _csv_text(frame: pd.DataFrame, instrument: Instrument) -> str:
    buf = io.StringIO()
    write_responses(frame, buf, instrument, format="csv")
    return buf.getvalue()


def write_stream(frames: Iterable[pd.DataFrame], path: Path, instrument: Instrument, format: str) -> int:
    """Write the frames one after the other as one CSV or XLSX file; returns the rows written."""
    if format == "xlsx":
        return _write_xlsx(frames, path, instrument)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        for n, frame in enumerate(frames):
            text = _csv_text(frame, instrument)
            fh.write(text if n == 0 else text.split("\n", 1)[1])  # the header once
            rows += len(frame)
        if fh.tell() == 0:  # no response: the header alone
            csv.writer(fh, lineterminator="\n").writerow(columns(instrument))
    return rows


def _number(text: str) -> int | float | str | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def _write_xlsx(frames: Iterable[pd.DataFrame], path: Path, instrument: Instrument) -> int:
    from openpyxl import Workbook

    numeric = {i.code for i in question_items(instrument) if i.kind == "single"} | {"weight", "duration_s"}
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    rows, header = 0, None
    for frame in frames:
        reader = csv.reader(io.StringIO(_csv_text(frame, instrument)))
        head = next(reader)
        if header is None:
            header = head
            sheet.append(header)
        typed = [c in numeric for c in head]
        for record in reader:
            sheet.append(
                [_number(v) if t else (xml_safe(v) or None) for v, t in zip(record, typed, strict=True)]
            )
            rows += 1
    if header is None:
        sheet.append(list(columns(instrument)))
    book.save(path)
    return rows
