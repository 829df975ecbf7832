"""Import of paper and household-survey responses in the interchange format (SPEC 3.5).

The analysis reader validates the file (columns, codes, skip rules, duplicate ids); this module
then checks what only the database knows (units, counters, ids already imported) and inserts
everything in the caller's transaction, or nothing.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from flask_babel import gettext as _
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select

from analysis.errors import DataError
from analysis.instrument import Instrument
from analysis.interchange import iter_response_chunks
from analysis.xlsx import WorkbookError
from survey import aggregates, audit
from survey.cases.intake import open_imported_cases
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Answer, Period, Response, ServicePoint, Unit
from survey.periods import LOCAL_TZ, local_today
from survey.sanitize import clean_text
from survey.validation import InputError

__all__ = ["import_responses"]


# Text columns of a response with a length limit in the database. PostgreSQL refuses a longer
# value and SQLite silently keeps it, so the limit is checked here, naming the row.
_COLUMNS = Response.__table__.c
BOUNDED = {
    "response_id": _COLUMNS.public_id.type.length,
    "device_hash": _COLUMNS.device_hash.type.length,
    "flags": _COLUMNS.flags.type.length,
}


# Responses validated and inserted at a time: memory stays flat whatever the file's size.
CHUNK_ROWS = 5000


class _RowProblem(Exception):
    """A problem at a chunk position; the import names it with the file's row number."""

    def __init__(self, pos: int, column: str, problem: str) -> None:
        super().__init__(problem)
        self.pos, self.column, self.problem = pos, column, problem

    def message(self, offset: int) -> InputError:
        # Row numbers as in the file (header = row 1), like the analysis reader's messages; the
        # same catalogue entry as the unit import's, so both pages say it the same way.
        row = self.pos + offset + 2
        return InputError(
            _(
                "row %(row)d, column %(column)s: %(problem)s",
                row=row,
                column=self.column,
                problem=self.problem,
            )
        )


def _row_error(pos: int, column: str, problem: str) -> _RowProblem:
    return _RowProblem(pos, column, problem)


def _chunks(source: bytes | Path, ins: Instrument, filename: str) -> Iterator[tuple[int, pd.DataFrame]]:
    """Validated chunks of the file; reader errors become one message in the user's language."""
    try:
        yield from iter_response_chunks(
            io.BytesIO(source) if isinstance(source, bytes) else source, ins, CHUNK_ROWS
        )
    except WorkbookError as exc:
        if exc.refused:
            raise InputError(
                _(
                    "File '%(name)s': refused, it is too large or not a plain workbook (%(detail)s).",
                    name=filename,
                    detail=str(exc),
                )
            ) from None
        raise InputError(_("File '%(name)s': not a readable CSV or XLSX file.", name=filename)) from None
    except DataError as exc:
        raise InputError(localised(str(exc))) from None
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        UnicodeDecodeError,
        ValueError,
        OverflowError,
        KeyError,
    ):
        # A damaged or renamed file, or a value no reader expected: one line naming the file,
        # never the reader's traceback.
        raise InputError(_("File '%(name)s': not a readable CSV or XLSX file.", name=filename)) from None


def localised(message: str) -> str:
    """A reader's "row N, column C: problem" message with its place named in the user's language."""
    match = _PLACE.match(message)
    if match is None:
        return message
    row, column, problem = match.groups()
    if column is None:
        return _("row %(row)d: %(problem)s", row=int(row), problem=problem)
    return _("row %(row)d, column %(column)s: %(problem)s", row=int(row), column=column, problem=problem)


_PLACE = re.compile(r"row (\d+)(?:, column ([^:]+))?: (.*)\Z", re.S)


def _check_lengths(frame: pd.DataFrame) -> None:
    for column, limit in BOUNDED.items():
        if column not in frame:
            continue
        too_long = frame[column].fillna("").astype(str).str.len() > limit
        if too_long.any():
            pos = int(too_long.to_numpy().nonzero()[0][0])
            raise _row_error(pos, column, _("at most %(n)d characters", n=limit))


def _check_dates(frame: pd.DataFrame) -> None:
    """Submission times from 2000 to tomorrow: year 1 or 9999 is a typing error (and breaks time zones)."""
    local = frame["submitted_at"]
    tomorrow = pd.Timestamp(local_today()) + pd.Timedelta(days=2)
    bad = (local < pd.Timestamp("2000-01-01")) | (local >= tomorrow)
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise _row_error(
            pos, "submitted_at", _("'%(value)s' is not a plausible date", value=str(local.iloc[pos]))
        )


class _Places:
    """Unit and counter ids by code, read once per import."""

    def __init__(self) -> None:
        self.units = dict(db.session.execute(select(Unit.code, Unit.id)).all())
        self.points = {
            (u, p): pid
            for pid, u, p in db.session.execute(
                select(ServicePoint.id, Unit.code, ServicePoint.code).join(Unit)
            )
        }

    def of(self, frame: pd.DataFrame) -> tuple[list[int], list[int | None]]:
        """Unit and point ids of every row; unknown codes are errors naming the row."""
        unit_ids, point_ids = [], []
        for pos, (unit, point) in enumerate(zip(frame["unit_code"], frame["point_code"], strict=True)):
            if unit not in self.units:
                raise _row_error(pos, "unit_code", _("unknown unit '%(code)s'", code=unit))
            if point and (unit, point) not in self.points:
                raise _row_error(pos, "point_code", _("unknown counter '%(code)s' in this unit", code=point))
            unit_ids.append(self.units[unit])
            point_ids.append(self.points[(unit, point)] if point else None)
        return unit_ids, point_ids


def _refuse_known_ids(ids: list[str]) -> None:
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        known.update(db.session.scalars(select(Response.public_id).where(Response.public_id.in_(chunk))))
    if known:
        pos = next(i for i, rid in enumerate(ids) if rid in known)
        raise _row_error(pos, "response_id", _("'%(id)s' was already imported", id=ids[pos]))


def _period_ids(local: pd.Series) -> list[int | None]:
    """The period whose dates contain each response's local day (paper data arrive after the fact)."""
    periods = list(
        db.session.execute(select(Period.id, Period.starts_on, Period.ends_on).order_by(Period.starts_on))
    )
    out: list[int | None] = []
    for day in local.dt.date:
        out.append(next((pid for pid, start, end in periods if start <= day <= end), None))
    return out


def _answers(frame: pd.DataFrame, ins: Instrument) -> tuple[list[dict[str, object]], list[str | None]]:
    """Answer rows per response position (response_id filled later) and each row's policy group."""
    rows: list[dict[str, object]] = []
    groups: list[str | None] = [None] * len(frame)
    text_code = next((i.code for i in ins.items.values() if i.kind == "text"), None)
    for item in ins.items.values():
        if item.code not in frame:
            continue
        for pos, value in frame[item.code].dropna().items():
            if item.kind == "multi":
                rows.extend(
                    {"pos": pos, "item_code": item.code, "value": int(v), "text": None}
                    for v in str(value).split(";")
                    if v
                )
            elif value != "":
                rows.append({"pos": pos, "item_code": item.code, "value": int(value), "text": None})
                if item.group:
                    groups[pos] = groups[pos] or item.group
    if text_code:
        for pos, text in frame["comment"].items():
            text = clean_text(text) if text else ""
            if text.strip():
                rows.append({"pos": pos, "item_code": text_code, "value": None, "text": text})
    return rows, groups


def import_responses(source: bytes | Path, filename: str = "") -> int:
    """Validate and insert every response of the file (in the caller's transaction); returns how many.

    The file is read, checked and inserted in chunks of CHUNK_ROWS responses, so memory does
    not grow with it; an error in any chunk raises, and the caller's rollback leaves nothing.
    """
    ins = instrument()
    name = filename or (source.name if isinstance(source, Path) else "-")
    places, seen, total = _Places(), set[str](), 0
    for offset, frame in _chunks(source, ins, name):
        try:
            total += _import_chunk(frame, ins, places, seen)
        except _RowProblem as problem:
            raise problem.message(offset) from None
    if total == 0:
        raise InputError(_("The file holds no responses."))
    audit.record("responses.import", "response", "", after={"file": filename, "rows": total})
    return total


def _import_chunk(frame: pd.DataFrame, ins: Instrument, places: _Places, seen: set[str]) -> int:
    frame = frame.reset_index(drop=True)
    if frame.empty:
        return 0
    _check_lengths(frame)
    _check_dates(frame)
    unit_ids, point_ids = places.of(frame)
    ids = frame["response_id"].tolist()
    for pos, rid in enumerate(ids):  # a repeat in another chunk (the reader checks within one)
        if rid in seen:
            raise _row_error(pos, "response_id", _("'%(id)s' appears twice in the file", id=rid))
        seen.add(rid)
    _refuse_known_ids(ids)
    local = frame["submitted_at"]
    utc = local.dt.tz_localize(LOCAL_TZ.key).dt.tz_convert("UTC").dt.tz_localize(None)
    answers, groups = _answers(frame, ins)
    durations = frame["duration_s"].tolist()
    columns = zip(
        ids,
        unit_ids,
        point_ids,
        _period_ids(local),
        frame["channel"].tolist(),
        [stamp.to_pydatetime() for stamp in utc],
        durations,
        frame["device_hash"].tolist(),
        groups,
        frame["weight"].tolist(),
        frame["flags"].tolist(),
        strict=True,
    )
    responses = [
        {
            "public_id": rid,
            "unit_id": unit_id,
            "point_id": point_id,
            "period_id": period_id,
            "channel": channel,
            "language": "vi",
            "submitted_at": submitted,
            "duration_s": None if pd.isna(duration) else int(duration),
            "device_hash": device or None,
            "policy_group": group,
            "weight": float(weight),
            "flags": flags,
            "flags_given": flags,
        }
        for (
            rid,
            unit_id,
            point_id,
            period_id,
            channel,
            submitted,
            duration,
            device,
            group,
            weight,
            flags,
        ) in columns
    ]
    # Core statements, not the ORM's bulk path: at 150,000 responses its per-row bookkeeping
    # cost more than the database's own work.
    connection = db.session.connection()
    table = Response.__table__
    new_ids = (
        connection.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), responses)
        .scalars()
        .all()
    )
    if answers:
        connection.execute(
            Answer.__table__.insert(),
            [{"response_id": new_ids[a.pop("pos")], **a} for a in answers],
        )
    # Comments are masked and opened as cases of their units before the import commits.
    open_imported_cases(new_ids)
    aggregates.record_responses(new_ids)  # versions, counts; the quality checks run on first read
    return len(new_ids)
