"""Import of paper and household-survey responses in the interchange format (SPEC 3.5).

The analysis reader validates the file (columns, codes, skip rules, duplicate ids); this module
then checks what only the database knows (units, counters, ids already imported) and inserts
everything in the caller's transaction, or nothing.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
from flask_babel import gettext as _
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import insert, select

from analysis.errors import DataError
from analysis.instrument import Instrument
from analysis.interchange import read_responses
from survey import aggregates, audit
from survey.cases.intake import open_imported_cases
from survey.extensions import db
from survey.instrument import instrument
from survey.models import Answer, Period, Response, ServicePoint, Unit
from survey.periods import LOCAL_TZ
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


def _row_error(pos: int, column: str, problem: str) -> InputError:
    # Row numbers as in the file (header = row 1), like the analysis reader's messages; the
    # same catalogue entry as the unit import's, so both pages say it the same way.
    return InputError(
        _("row %(row)d, column %(column)s: %(problem)s", row=pos + 2, column=column, problem=problem)
    )


def _read(source: bytes | Path, ins: Instrument, filename: str) -> pd.DataFrame:
    try:
        if isinstance(source, bytes):
            return read_responses(io.BytesIO(source), ins)
        return read_responses(source, ins)
    except DataError as exc:
        raise InputError(str(exc)) from None
    except (zipfile.BadZipFile, InvalidFileException, UnicodeDecodeError):
        # A damaged or renamed file: one line naming it, not the reader's traceback.
        raise InputError(_("File '%(name)s': not a readable CSV or XLSX file.", name=filename)) from None


def _check_lengths(frame: pd.DataFrame) -> None:
    for column, limit in BOUNDED.items():
        if column not in frame:
            continue
        too_long = frame[column].fillna("").astype(str).str.len() > limit
        if too_long.any():
            pos = int(too_long.to_numpy().nonzero()[0][0])
            raise _row_error(pos, column, _("at most %(n)d characters", n=limit))


def _places(frame: pd.DataFrame) -> tuple[list[int], list[int | None]]:
    """Unit and point ids of every row; unknown codes are errors naming the row."""
    units = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    points = {
        (u, p): pid
        for pid, u, p in db.session.execute(select(ServicePoint.id, Unit.code, ServicePoint.code).join(Unit))
    }
    unit_ids, point_ids = [], []
    for pos, (unit_code, point_code) in enumerate(zip(frame["unit_code"], frame["point_code"], strict=True)):
        if unit_code not in units:
            raise _row_error(pos, "unit_code", _("unknown unit '%(code)s'", code=unit_code))
        if point_code and (unit_code, point_code) not in points:
            raise _row_error(pos, "point_code", _("unknown counter '%(code)s' in this unit", code=point_code))
        unit_ids.append(units[unit_code])
        point_ids.append(points[(unit_code, point_code)] if point_code else None)
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
            if text:
                rows.append({"pos": pos, "item_code": text_code, "value": None, "text": text})
    return rows, groups


def import_responses(source: bytes | Path, filename: str = "") -> int:
    """Validate and insert every response of the file (in the caller's transaction); returns how many."""
    ins = instrument()
    name = filename or (source.name if isinstance(source, Path) else "-")
    frame = _read(source, ins, name).reset_index(drop=True)
    if frame.empty:
        raise InputError(_("The file holds no responses."))
    _check_lengths(frame)
    unit_ids, point_ids = _places(frame)
    ids = frame["response_id"].tolist()
    _refuse_known_ids(ids)
    local = frame["submitted_at"]
    utc = local.dt.tz_localize(LOCAL_TZ.key).dt.tz_convert("UTC").dt.tz_localize(None)
    answers, groups = _answers(frame, ins)
    responses = [
        {
            "public_id": ids[pos],
            "unit_id": unit_ids[pos],
            "point_id": point_ids[pos],
            "period_id": period_id,
            "channel": frame.at[pos, "channel"],
            "language": "vi",
            "submitted_at": utc[pos].to_pydatetime(),
            "duration_s": None if pd.isna(frame.at[pos, "duration_s"]) else int(frame.at[pos, "duration_s"]),
            "device_hash": frame.at[pos, "device_hash"] or None,
            "policy_group": groups[pos],
            "weight": float(frame.at[pos, "weight"]),
            "flags": frame.at[pos, "flags"],
            "flags_given": frame.at[pos, "flags"],
        }
        for pos, period_id in enumerate(_period_ids(local))
    ]
    new_ids = db.session.scalars(
        insert(Response).returning(Response.id, sort_by_parameter_order=True), responses
    ).all()
    if answers:
        db.session.execute(
            insert(Answer),
            [{"response_id": new_ids[a.pop("pos")], **a} for a in answers],  # type: ignore[call-overload]
        )
    # Comments are masked and opened as cases of their units before the import commits.
    open_imported_cases(new_ids)
    aggregates.record_responses(new_ids)  # versions, counts; the quality checks run on first read
    audit.record("responses.import", "response", "", after={"file": filename, "rows": len(new_ids)})
    return len(new_ids)
