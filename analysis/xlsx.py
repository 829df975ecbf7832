"""Excel workbooks: a computed result written for officials, and uploaded sheets read safely."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

import pandas as pd

from analysis.errors import DataError
from analysis.results import IndexResult
from analysis.serialise import result_frames

__all__ = [
    "SHEETS",
    "WorkbookError",
    "XlsxLimits",
    "column_letter",
    "iter_xlsx_rows",
    "read_xlsx",
    "write_xlsx",
    "xml_safe",
]

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


# --- Reading -------------------------------------------------------------------------------
# A workbook is a zip of XML files, so a few kilobytes can declare gigabytes (a zip bomb), a
# billion-cell sheet, or an XML entity that expands a million times. The reader below looks at
# the zip's directory before reading anything, streams each sheet row by row with the C
# parser, refuses any DTD (defusedxml's rule: no entities, no external references), and
# stops the moment a declared or actual size passes a limit. Every refusal is a DataError
# naming the row and column (or the part of the file).


class WorkbookError(DataError):
    """The file is not a readable workbook, or it breaks a limit and is refused unread."""

    @property
    def refused(self) -> bool:
        """True for a refusal (a limit, a DTD), False for a file that simply cannot be read."""
        return "refused" in str(self)


@dataclass(frozen=True)
class XlsxLimits:
    """What one uploaded workbook may hold (defaults fit 1,000,000 responses of SIPAS)."""

    max_part_bytes: int = 512 * 1024 * 1024  # one XML part, uncompressed
    max_total_bytes: int = 1024 * 1024 * 1024  # all parts, uncompressed
    max_ratio: int = 200  # uncompressed / compressed, for parts over 1 MB (XML: 5-30 typically)
    max_parts: int = 1000
    max_rows: int = 1_048_576
    max_columns: int = 512
    max_strings: int = 5_000_000  # shared strings
    max_strings_chars: int = 100_000_000  # all shared strings together
    max_string_chars: int = 32_767  # Excel's own cell limit


def xml_safe(value: object) -> object:
    """Text with the characters XML (so XLSX) cannot hold removed; other values unchanged."""
    if isinstance(value, str) and not value.isprintable():
        return _XML_ILLEGAL.sub("", value)
    return value


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_EXCEL_EPOCH = datetime(1899, 12, 30)
_MAX_SERIAL = 2_958_465  # 9999-12-31
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letter(n: int) -> str:
    """Spreadsheet letters of a 1-based column number (1 -> A, 27 -> AA)."""
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class _Bounded(io.RawIOBase):
    """A zip member stream that fails once more bytes come out than the limit allows."""

    def __init__(self, raw: IO[bytes], limit: int, part: str) -> None:
        self._raw, self._left, self._part = raw, limit, part

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise WorkbookError(f"XLSX part {self._part}: not readable ({exc})") from None
        self._left -= len(data)
        if self._left < 0:
            raise WorkbookError(f"{self._part}: larger than declared or allowed (refused)")
        buffer[: len(data)] = data
        return len(data)


def _parse(stream: IO[bytes], part: str, start: Any, end: Any, text: Any) -> None:
    """Run expat over a stream with the given handlers; no DTD, no entity, no external reference."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def refuse(*_: object) -> None:
        raise WorkbookError(f"{part}: a DTD or entity declaration (not allowed in a workbook; refused)")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        while chunk := stream.read(65536):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise WorkbookError(
            f"{part}: not well-formed XML ({expat.ErrorString(exc.code)}, line {exc.lineno})"
        ) from None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


class _Workbook:
    """The parts of one workbook, checked against the limits before any is parsed."""

    def __init__(self, data: IO[bytes], limits: XlsxLimits) -> None:
        try:
            self.zip = zipfile.ZipFile(data)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise WorkbookError(f"not a readable XLSX file ({exc})") from None
        self.limits = limits
        if len(infos) > limits.max_parts:
            raise WorkbookError(f"XLSX file: {len(infos)} parts (at most {limits.max_parts}; refused)")
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > limits.max_part_bytes:
                raise WorkbookError(
                    f"XLSX part {info.filename}: {info.file_size} bytes uncompressed (refused)"
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > 1024 * 1024 and ratio > limits.max_ratio:
                raise WorkbookError(
                    f"XLSX part {info.filename}: compressed {ratio:.0f} to 1 (a zip bomb; refused)"
                )
        if total > limits.max_total_bytes:
            raise WorkbookError(f"XLSX file: {total} bytes uncompressed (refused)")
        self.sizes = {i.filename: i.file_size for i in infos}

    def open(self, part: str) -> IO[bytes] | None:
        if part not in self.sizes:
            return None
        try:
            raw = self.zip.open(part)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            raise WorkbookError(f"XLSX part {part}: not readable ({exc})") from None
        return io.BufferedReader(_Bounded(raw, self.sizes[part], part), 65536)

    def first_sheet(self) -> str:
        """The part name of the workbook's first sheet."""
        sheets: list[str] = []
        rels: dict[str, str] = {}
        stream = self.open("xl/workbook.xml")
        if stream is not None:
            _parse(
                stream,
                "xl/workbook.xml",
                lambda n, a: (
                    _local(n) == "sheet"
                    and sheets.append(next((v for k, v in a.items() if _local(k) == "id"), ""))
                ),
                None,
                None,
            )
        stream = self.open("xl/_rels/workbook.xml.rels")
        if stream is not None:
            _parse(
                stream,
                "workbook.xml.rels",
                lambda n, a: (
                    _local(n) == "Relationship" and rels.update({a.get("Id", ""): a.get("Target", "")})
                ),
                None,
                None,
            )
        target = rels.get(sheets[0], "") if sheets else ""
        if target:
            target = target.lstrip("/")
            return target if target.startswith("xl/") else "xl/" + target
        return "xl/worksheets/sheet1.xml"

    def shared_strings(self) -> list[str]:
        strings: list[str] = []
        stream = self.open("xl/sharedStrings.xml")
        if stream is None:
            return strings
        state = {"in_t": False, "skip": 0, "chars": 0}
        parts: list[str] = []
        limits = self.limits

        def start(name: str, _attrs: dict[str, str]) -> None:
            tag = _local(name)
            if tag == "rPh":  # phonetic guide of East Asian text: not part of the value
                state["skip"] += 1
            elif tag == "t" and not state["skip"]:
                state["in_t"] = True

        def end(name: str) -> None:
            tag = _local(name)
            if tag == "rPh":
                state["skip"] -= 1
            elif tag == "t":
                state["in_t"] = False
            elif tag == "si":
                value = "".join(parts)
                parts.clear()
                if len(value) > limits.max_string_chars:
                    raise DataError(
                        f"XLSX shared string {len(strings)}: longer than {limits.max_string_chars} characters"
                    )
                strings.append(value)
                state["chars"] += len(value)
                if state["chars"] > limits.max_strings_chars:
                    raise WorkbookError(
                        f"XLSX file: more than {limits.max_strings_chars} characters of text (refused)"
                    )
                if len(strings) > limits.max_strings:
                    raise WorkbookError(f"XLSX file: more than {limits.max_strings} distinct texts (refused)")

        def text(data: str) -> None:
            if state["in_t"]:
                parts.append(data)

        _parse(stream, "xl/sharedStrings.xml", start, end, text)
        return strings

    def date_styles(self) -> set[int]:
        """Indexes of the cell formats that show a date or time."""
        stream = self.open("xl/styles.xml")
        if stream is None:
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        depth = {"xfs": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = _local(name)
            if tag == "numFmt":
                custom[_int(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
            elif tag == "cellXfs":
                depth["xfs"] = True
            elif tag == "xf" and depth["xfs"]:
                formats.append(_int(attrs.get("numFmtId")))

        def end(name: str) -> None:
            if _local(name) == "cellXfs":
                depth["xfs"] = False

        _parse(stream, "xl/styles.xml", start, end, None)
        return {
            i
            for i, fmt in enumerate(formats)
            if fmt in _DATE_FORMAT_IDS or _is_date_format(custom.get(fmt, ""))
        }


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return -1


def _is_date_format(code: str) -> bool:
    plain = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code).lower()
    return bool(plain) and plain != "general" and any(ch in plain for ch in "ymdhs")


def _date(serial: float, where: str) -> datetime:
    if not 0 <= serial <= _MAX_SERIAL:
        raise DataError(f"{where}: {serial:g} is not a date Excel can hold")
    return _EXCEL_EPOCH + timedelta(days=serial)


class _SheetState:
    """Where expat is in a sheet: the current row, cell, and the text collected for it."""

    def __init__(self, strings: list[str], dates: set[int], limits: XlsxLimits) -> None:
        self.strings, self.dates, self.limits = strings, dates, limits
        self.rows: list[tuple[int, dict[int, object]]] = []
        self.row: dict[int, object] | None = None
        self.row_number = 0
        self.cell: tuple[int, str, int] | None = None  # column, type, style
        self.text: list[str] = []
        self.collect = False
        self.next_column = 1

    def where(self, column: int) -> str:
        return f"row {self.row_number}, column {column_letter(column)}"

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "row":
            self.row_number = _int(attrs.get("r")) if attrs.get("r") else self.row_number + 1
            if not 1 <= self.row_number <= self.limits.max_rows:
                raise WorkbookError(f"row {self.row_number}: beyond {self.limits.max_rows} rows (refused)")
            self.row, self.next_column = {}, 1
        elif tag == "c":
            ref = _CELL_REF.match(attrs.get("r", ""))
            column = _column_number(ref.group(1)) if ref else self.next_column
            if column > self.limits.max_columns:
                raise WorkbookError(
                    f"{self.where(column)}: beyond {self.limits.max_columns} columns (refused)"
                )
            self.cell, self.next_column = (column, attrs.get("t", "n"), _int(attrs.get("s"))), column + 1
            self.text = []
        elif tag in ("v", "t") and self.cell is not None:
            self.collect = True
        elif tag == "dimension":
            self._dimension(attrs.get("ref", ""))

    def _dimension(self, ref: str) -> None:
        last = _CELL_REF.match(ref.rsplit(":", 1)[-1].replace("$", ""))
        if last is None:
            return
        columns, rows = _column_number(last.group(1)), int(last.group(2))
        if columns > self.limits.max_columns or rows > self.limits.max_rows:
            raise WorkbookError(f"sheet: declares {rows} rows x {columns} columns (refused)")

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag in ("v", "t"):
            self.collect = False
        elif tag == "c" and self.cell is not None and self.row is not None:
            column, kind, style = self.cell
            raw = "".join(self.text)
            if len(raw) > self.limits.max_string_chars:
                raise DataError(
                    f"{self.where(column)}: longer than {self.limits.max_string_chars} characters"
                )
            value = self._value(raw, kind, style, column)
            if value is not None and value != "":
                self.row[column] = value
            self.cell = None
        elif tag == "row" and self.row is not None:
            self.rows.append((self.row_number, self.row))
            self.row = None

    def chars(self, data: str) -> None:
        if self.collect:
            self.text.append(data)

    def _value(self, raw: str, kind: str, style: int, column: int) -> object:
        if kind == "s":
            index = _int(raw)
            if not 0 <= index < len(self.strings):
                raise DataError(f"{self.where(column)}: refers to a missing shared text")
            return self.strings[index]
        if kind in ("inlineStr", "str"):
            return raw
        if kind == "b":
            return raw == "1"
        if kind == "e":
            raise DataError(f"{self.where(column)}: the cell holds a spreadsheet error ({raw})")
        if raw == "":
            return None
        try:
            number = float(raw)
        except ValueError:
            raise DataError(f"{self.where(column)}: '{raw[:40]}' is not a number") from None
        if style in self.dates:
            return _date(number, self.where(column))
        if number != number or number in (float("inf"), float("-inf")):
            raise DataError(f"{self.where(column)}: not a finite number")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number


def iter_xlsx_rows(
    source: IO[bytes] | str | Path, limits: XlsxLimits | None = None
) -> Iterator[tuple[int, list[object]]]:
    """Rows of the first sheet as (row number, values by column from A), streamed.

    Values are str, int, float, bool or datetime (cells formatted as dates); empty cells are
    None. Blank rows are skipped; row numbers are the sheet's own.

    Raises
    ------
    DataError
        When the file is not a workbook, breaks a limit of `limits` (checked on the zip's
        directory before parsing and again while reading), holds a DTD or entity, is not
        well-formed XML, or has a cell that cannot be read; the message names the row and
        column, or the part of the file.
    """
    limits = limits or XlsxLimits()
    if isinstance(source, str | Path):
        with open(source, "rb") as fh:
            yield from _sheet_rows(_Workbook(fh, limits), limits)
    else:
        yield from _sheet_rows(_Workbook(source, limits), limits)


def _sheet_rows(book: _Workbook, limits: XlsxLimits) -> Iterator[tuple[int, list[object]]]:
    with book.zip:
        yield from _stream_sheet(book, limits)


def _stream_sheet(book: _Workbook, limits: XlsxLimits) -> Iterator[tuple[int, list[object]]]:
    sheet_part = book.first_sheet()
    state = _SheetState(book.shared_strings(), book.date_styles(), limits)
    stream = book.open(sheet_part)
    if stream is None:
        raise WorkbookError("XLSX file: the workbook has no sheet")
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def refuse(*_: object) -> None:
        raise WorkbookError(f"{sheet_part}: a DTD or entity declaration (not allowed in a workbook; refused)")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.chars
    final = False
    while not final:
        chunk = stream.read(65536)
        final = not chunk
        try:
            parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            where = f"row {state.row_number}" if state.row_number else sheet_part
            raise DataError(f"{where}: not well-formed XML ({expat.ErrorString(exc.code)})") from None
        for number, cells in state.rows:
            if cells:
                yield number, [cells.get(c) for c in range(1, max(cells) + 1)]
        state.rows.clear()


def read_xlsx(source: IO[bytes] | str | Path, limits: XlsxLimits | None = None) -> pd.DataFrame:
    """The first sheet as a DataFrame of objects: first row = column names, one row per sheet row.

    Rows keep their sheet positions (a blank row inside the data is a row of empty cells), so
    that a message naming "row N" means the sheet's row N.

    Raises
    ------
    DataError
        As :func:`iter_xlsx_rows`, and for a value in a column without a heading.
    """
    rows = iter_xlsx_rows(source, limits)
    first = next(rows, None)
    if first is None:
        return pd.DataFrame()
    header_row, header = first
    names = ["" if h is None else str(h).strip() for h in header]
    width = len(names)
    data: list[list[object]] = []
    for number, values in rows:
        if len(values) > width:
            extra = next(i for i in range(width, len(values)) if values[i] is not None)
            raise DataError(
                f"row {number}, column {column_letter(extra + 1)}: a value in a column without a heading"
            )
        while header_row + 1 + len(data) < number:
            data.append([None] * width)
        data.append(values + [None] * (width - len(values)))
    return pd.DataFrame(data, columns=names, dtype=object)
