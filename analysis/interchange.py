"""The response interchange format (SPEC 3.5): column order, reading, validating and writing.

A CSV is first read with explicit dtypes by pyarrow's multi-threaded parser, where its reading is
known to equal pandas' (see :func:`_arrow_csv`), else by pandas' C parser; either way no per-row
Python. If a cell does not parse, the file is read again as text so the error can name the row
and column.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.instrument import Instrument
from analysis.validate import FREE_TEXT, META, TAIL, defuse, normalise_frame, question_items
from analysis.xlsx import column_letter, iter_xlsx_rows, read_xlsx, xml_safe

__all__ = ["columns", "iter_response_chunks", "read_responses", "validate_frame", "write_responses"]

Source = str | Path | IO[bytes] | IO[str]


def columns(instrument: Instrument) -> list[str]:
    """The interchange columns in order: metadata, every non-text item, then the tail columns.

    The free-text item (C1) travels in ``comment``, not under its own code.
    """
    return [*META, *(i.code for i in question_items(instrument)), *TAIL]


def validate_frame(df: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Validate an in-memory frame with interchange columns and return it normalised.

    Question cells may be numbers, strings or None/NaN; the result has the dtypes of
    :func:`read_responses` (``Int16`` answers, ``str`` text with '' for empty, ``float64`` weight
    and duration, ``datetime64[us]`` local submission time). The input is not modified.

    Raises
    ------
    DataError
        Naming the row (as in an exported file: first data row = row 2) and the column.
    """
    return normalise_frame(df, instrument)


def _buffer(source: Source) -> Path | io.BytesIO:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"file not found: {path}")
        return path
    data = source.read()
    return io.BytesIO(data.encode("utf-8") if isinstance(data, str) else data)


def _is_xlsx(source: Source, buf: Path | io.BytesIO) -> bool:
    if isinstance(buf, Path):
        return buf.suffix.lower() in (".xlsx", ".xlsm")
    head = buf.getvalue()[:4]
    return head == b"PK\x03\x04"


def _read_csv(buf: Path | io.BytesIO, instrument: Instrument) -> pd.DataFrame:
    options: dict[str, Any] = {
        "keep_default_na": False,
        "na_values": [""],
        "encoding": "utf-8-sig",
        "index_col": False,  # a row with an extra cell must not turn the first column into an index
    }
    try:
        header = list(pd.read_csv(buf, nrows=0, **options).columns)
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"row 1: not a readable CSV file ({exc})") from None
    items = {i.code: i for i in question_items(instrument)}
    dtypes = {c: "Int16" for c in header if c in items and items[c].kind == "single"}
    dtypes.update({c: "float64" for c in header if c in ("weight", "duration_s")})
    fast = _arrow_csv(buf, header, dtypes)
    if fast is not None:
        return fast
    for attempt in (dtypes, {c: "str" for c in header}):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # mixed chunks: read again below
                frame = pd.read_csv(_rewound(buf), dtype=attempt, **options)
        except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as exc:
            raise DataError(f"not a well-formed CSV file: {exc}") from None
        except (ValueError, OverflowError, TypeError):
            continue  # a cell that does not parse: read as text, then name it
        return _as_text(frame, buf, [c for c in header if c not in attempt], options)
    raise DataError("not a readable CSV file")  # pragma: no cover - text reading cannot fail on values


def _arrow_csv(buf: Path | io.BytesIO, header: list[str], dtypes: dict[str, str]) -> pd.DataFrame | None:
    """The file as :func:`_read_csv` reads it, parsed by pyarrow; None where that might differ.

    pyarrow parses on every core and straight into typed arrays, local times included (faster
    than pandas' typed reading with its conversion of the times; figures in the README). It is
    used only where its reading is the same as pandas'. It refuses more than pandas does — a
    whole number written ``4.0``, a row with too few or too many cells, bytes that are not
    UTF-8 — and all of that goes to pandas, whose errors name the row and column. Where it is
    more lenient than pandas, this function steps aside itself: a repeated heading (pandas
    renames it), a hexadecimal ``0x4`` (pyarrow reads the code 4), a weight or duration
    ``nan`` (pyarrow reads a missing value), a quote left open at the end of the file (pyarrow
    takes the rest of the file into one cell). Times go through pyarrow's strict ISO 8601
    parser, which takes a subset of the forms pandas takes (the exported
    ``2025-07-01T08:00:00`` among them, never a 30 February) and gives the same times; a file
    with a form it refuses (an offset like ``+07:00``) is read again with its times as text.
    Every other column is text exactly as written (``01`` stays ``01``), empty cells missing,
    quoted line breaks kept.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pac
        import pyarrow.csv as pc
    except ImportError:  # pragma: no cover - pyarrow is a requirement; pandas reads alike
        return None
    if "submitted_at" not in header:  # a required column: pandas' reading names the error
        return None
    data = buf.getvalue() if isinstance(buf, io.BytesIO) else buf.read_bytes()
    if _hexadecimal(data):
        return None
    kinds = {"Int16": pa.int16(), "float64": pa.float64()}
    types = {c: kinds[dtypes[c]] if c in dtypes else pa.string() for c in header}
    for kind in (pa.timestamp("us"), pa.string()):
        types["submitted_at"] = kind
        try:
            table = pc.read_csv(
                pa.BufferReader(data),
                parse_options=pc.ParseOptions(newlines_in_values=True),
                convert_options=pc.ConvertOptions(
                    column_types=types,
                    null_values=[""],
                    strings_can_be_null=True,
                    timestamp_parsers=[pc.ISO8601],
                ),
            )
            break
        except (pa.ArrowException, OSError):
            continue
    else:
        return None
    if table.column_names != header or not _ends_outside_quotes(data, table):
        return None
    for column in ("weight", "duration_s"):
        if column in header and pac.any(pac.is_nan(table[column])).as_py():
            return None
    return table.to_pandas(types_mapper={pa.int16(): pd.Int16Dtype()}.get)


def _hexadecimal(data: bytes) -> bool:
    """Whether ``0x`` or ``0X`` may occur (pyarrow reads ``0x4`` in a number column as 4).

    Searching for the pair takes 0.4 s in 140 MB of digits; a letter x is rare in such a file
    and found at memory speed, so only the places of the x's are looked at. A file with very
    many of them counts as possibly hexadecimal (pandas reads it).
    """
    for letter in b"xX":
        at, seen = data.find(letter, 1), 0
        while at > 0:
            seen += 1
            if data[at - 1] == ord("0") or seen > 100_000:
                return True
            at = data.find(letter, at + 1)
    return False


def _ends_outside_quotes(data: bytes, table: Any) -> bool:
    """Whether the file's last cell is closed: unquoted, or quoted with its closing quote.

    pandas refuses a file that ends inside a quoted cell; pyarrow reads that cell on to the end
    of the file, swallowing every row after the open quote. The last cell pyarrow found must
    therefore be the file's last bytes (line ends aside), written either way.
    """
    if table.num_rows == 0 or table.schema.types[-1] != "string":
        return True  # a number or time column cannot hold the rest of a file: pyarrow refuses it
    text = (table.column(table.num_columns - 1)[-1].as_py() or "").encode()
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    quoted = b',"' + text.replace(b'"', b'""') + b'"'
    plain = b"," + text
    return data[max(end - len(quoted), 0) : end] == quoted or (
        not any(c in text for c in b'\r\n"') and data[max(end - len(plain), 0) : end] == plain
    )


def _rewound(buf: Path | io.BytesIO) -> Path | io.BytesIO:
    if isinstance(buf, io.BytesIO):
        buf.seek(0)
    return buf


def _as_text(frame: pd.DataFrame, buf: Path | io.BytesIO, text: list[str], options: dict) -> pd.DataFrame:
    """The text columns as the file wrote them. They are read with the parser's own inference,
    which is much faster than asking for text: a column it read as text is the file's text,
    an empty one is empty text, and any other (numbers, where '01' became 1, or mixed chunks) is
    read again as text."""
    again = []
    for c in text:
        if frame[c].dtype == "str":
            continue
        if frame[c].isna().all():
            frame[c] = pd.Series(np.nan, index=frame.index, dtype="str")
        else:
            again.append(c)
    if again:
        exact = pd.read_csv(_rewound(buf), usecols=again, dtype="str", **options)
        for c in again:
            frame[c] = exact[c]
    return frame


def read_responses(source: Source, instrument: Instrument) -> pd.DataFrame:
    """Read an interchange CSV or XLSX (path or file-like) into a validated DataFrame.

    Raises
    ------
    DataError
        For unknown or missing columns, codes outside an item's scale, answers that break a skip
        rule, duplicate ``response_id``, unparsable dates, weights or durations and negative
        weights; the message names the row (header = row 1) and the column.
    """
    buf = _buffer(source)
    # XLSX: streamed, size-checked before parsing, no DTD (analysis.xlsx): an upload cannot bomb.
    raw = read_xlsx(buf) if _is_xlsx(source, buf) else _read_csv(buf, instrument)
    return normalise_frame(raw, instrument)


def iter_response_chunks(
    source: Source, instrument: Instrument, rows: int = 5000
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Read an interchange CSV or XLSX in validated chunks: (offset, frame) pairs.

    `offset` is the file position of the chunk's first response (0 = the first data row), so
    the row of frame position `pos` is file row ``offset + pos + 2``. Memory stays bounded by
    the chunk, whatever the file's size (150,000 responses import within a few hundred MB).
    Each chunk is validated as :func:`read_responses` validates a file; a response_id that
    repeats across chunks is the caller's to detect.

    Raises
    ------
    DataError
        As :func:`read_responses`, the row named as in the whole file.
    """
    buf = _buffer(source)
    raw_chunks = _xlsx_chunks(buf, rows) if _is_xlsx(source, buf) else _csv_chunks(buf, rows)
    offset = 0
    for raw in raw_chunks:
        try:
            frame = normalise_frame(raw, instrument)
        except DataError as exc:
            raise DataError(_shift_rows(str(exc), offset)) from None
        yield offset, frame
        offset += len(raw)


def _shift_rows(message: str, offset: int) -> str:
    match = re.match(r"row (\d+)", message)
    if match is None or match.group(1) == "1" or offset == 0:
        return message
    return f"row {int(match.group(1)) + offset}{message[match.end() :]}"


def _csv_chunks(buf: Path | io.BytesIO, rows: int) -> Iterator[pd.DataFrame]:
    options: dict[str, Any] = {
        "keep_default_na": False,
        "na_values": [""],
        "encoding": "utf-8-sig",
        "index_col": False,
        "dtype": "str",
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            with pd.read_csv(buf, chunksize=rows, **options) as reader:
                yield from reader
    except pd.errors.EmptyDataError:
        return
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as exc:
        raise DataError(f"not a well-formed CSV file: {exc}") from None


def _xlsx_chunks(buf: Path | io.BytesIO, rows: int) -> Iterator[pd.DataFrame]:
    sheet = iter_xlsx_rows(buf)
    first = next(sheet, None)
    if first is None:
        return
    header_row, header = first
    names = ["" if h is None else str(h).strip() for h in header]
    width, block, expected = len(names), [], header_row + 1
    for number, values in sheet:
        if len(values) > width:
            extra = next(i for i in range(width, len(values)) if values[i] is not None)
            raise DataError(
                f"row {number}, column {column_letter(extra + 1)}: a value in a column without a heading"
            )
        # Blank rows keep their place, so that rows are named right.
        blanks = ([None] * width for _ in range(expected, number))
        for filler in chain(blanks, [values + [None] * (width - len(values))]):
            block.append(filler)
            if len(block) >= rows:
                yield pd.DataFrame(block, columns=names, dtype=object)
                block = []
        expected = number + 1
    if block:
        yield pd.DataFrame(block, columns=names, dtype=object)


def _cells(df: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Every column as text: empty cells empty, whole numbers without '.0', ISO 8601 times."""
    out = {}
    for column in columns(instrument):
        if column not in df:
            out[column] = pd.Series("", index=df.index, dtype="str")
            continue
        col = df[column]
        if col.dtype.kind == "M":
            text = col.dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif col.dtype.kind in "iuf":
            num = col.astype("Float64")
            whole = (num % 1 == 0).fillna(False).to_numpy(dtype=bool)
            text = pd.Series(np.where(whole, num.round().astype("Int64").astype("str"), num.astype("str")))
            text.index = col.index
        else:
            text = col.astype("str")
        out[column] = text.where(col.notna(), "").astype("str")
    return pd.DataFrame(out)


def write_responses(
    df: pd.DataFrame,
    path_or_buffer: str | Path | IO[str] | IO[bytes],
    instrument: Instrument,
    format: str = "csv",
) -> None:
    """Write responses in interchange column order as CSV or XLSX (empty = empty cell).

    Raises
    ------
    AnalysisError
        If `format` is neither 'csv' nor 'xlsx'.
    """
    cells = _cells(df, instrument)
    for column in FREE_TEXT:
        if column in cells:
            cells[column] = defuse(cells[column])
    if format == "csv":
        cells.to_csv(path_or_buffer, index=False, lineterminator="\n")
    elif format == "xlsx":
        _write_xlsx(cells, path_or_buffer, instrument)
    else:
        raise DataError(f"format: '{format}' is not one of csv, xlsx")


def _write_xlsx(cells: pd.DataFrame, target: Any, instrument: Instrument) -> None:
    """Answers and numbers as numbers, text as text, so spreadsheets can compute with them."""
    numeric = {i.code for i in question_items(instrument) if i.kind == "single"} | {"weight", "duration_s"}
    frame = pd.DataFrame(
        {c: _typed(cells[c]) if c in numeric else cells[c].astype(object) for c in cells.columns}
    )
    frame = frame.astype(object).where(cells != "", None)
    for column in frame.columns.difference(list(numeric)):
        frame[column] = frame[column].map(xml_safe, na_action="ignore")
    frame.to_excel(target, index=False, engine="openpyxl")


def _typed(text: pd.Series) -> pd.Series:
    num = pd.to_numeric(text.where(text != ""), errors="coerce")
    whole = (num % 1 == 0).fillna(False).to_numpy(dtype=bool)
    return pd.Series(
        [int(v) if w else float(v) for v, w in zip(num.to_numpy(), whole, strict=True)],
        index=text.index,
        dtype=object,
    )
