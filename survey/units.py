"""Import of the unit tree (code, name, kind, parent, validity dates, successor).

All rows are checked before anything is written; an error names the row (header = row 1) and
the column, in the reader's language. Parents and successors may appear in any order in the
file; a parent or successor chain that loops back is refused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import select

from analysis.errors import DataError
from analysis.xlsx import iter_xlsx_rows
from survey.extensions import db
from survey.models import UNIT_KINDS, Unit

__all__ = ["CODE_PATTERN", "UNIT_COLUMNS", "UnitImportError", "UnitRow", "import_units", "read_unit_rows"]

UNIT_COLUMNS = ("code", "name", "kind", "parent_code", "valid_from", "valid_to", "successor_code")
# Codes appear in URLs (/reports/<code>), file names and CSV cells: keep them plain.
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
MAX_LENGTH = {"name": 200, "source": 1000}


class UnitImportError(ValueError):
    """A unit file that cannot be imported; the message names the row and column."""


def _t(message: str, **params: Any) -> str:
    """Translated in a request (web page, CLI in English); plain English elsewhere."""
    return gettext(message, **params) if has_request_context() else message % params


def _fail(row: int, column: str, problem: str) -> UnitImportError:
    return UnitImportError(
        _t("row %(row)d, column %(column)s: %(problem)s", row=row, column=column, problem=problem)
    )


@dataclass(frozen=True)
class UnitRow:
    """One checked row of a unit file."""

    row: int
    code: str
    name: str
    kind: str
    parent_code: str
    valid_from: date | None
    valid_to: date | None
    successor_code: str
    source: str


def _date(value: str, row: int, column: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(row, column, _t("'%(value)s' is not a date (YYYY-MM-DD)", value=value)) from None


def _check_record(n: int, rec: Mapping[str, str]) -> None:
    for column in ("code", "name"):
        if not rec.get(column):
            raise _fail(n, column, _t("empty"))
    for column in ("code", "parent_code", "successor_code"):
        if rec.get(column) and not CODE_PATTERN.fullmatch(rec[column]):
            raise _fail(
                n,
                column,
                _t(
                    "'%(value)s' is not a code: up to 32 letters, digits, '.', '_', '-', letter or digit first",  # noqa: E501 (one literal, for the catalogue)
                    value=rec[column],
                ),
            )
    for column, limit in MAX_LENGTH.items():
        if len(rec.get(column, "")) > limit:
            raise _fail(n, column, _t("longer than %(limit)d characters", limit=limit))
    if rec.get("kind") not in UNIT_KINDS:
        raise _fail(
            n,
            "kind",
            _t("'%(value)s' is not one of %(kinds)s", value=rec.get("kind", ""), kinds=", ".join(UNIT_KINDS)),
        )


def _rows_from_records(records: Iterable[Mapping[str, Any]], header: list[str]) -> list[UnitRow]:
    missing = [c for c in ("code", "name", "kind") if c not in header]
    if missing:
        raise UnitImportError(_t("row 1: missing column(s) %(columns)s", columns=", ".join(missing)))
    out = []
    for n, raw in enumerate(records, start=2):
        rec = {str(k).strip(): str(v or "").strip() for k, v in raw.items() if k}
        if not any(rec.values()):
            continue
        _check_record(n, rec)
        vf, vt = (
            _date(rec.get("valid_from", ""), n, "valid_from"),
            _date(rec.get("valid_to", ""), n, "valid_to"),
        )
        if vf and vt and vt < vf:
            raise _fail(n, "valid_to", _t("before valid_from"))
        out.append(
            UnitRow(
                n,
                rec["code"],
                rec["name"],
                rec["kind"],
                rec.get("parent_code", ""),
                vf,
                vt,
                rec.get("successor_code", ""),
                rec.get("source", ""),
            )
        )
    return out


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    return value.date().isoformat() if isinstance(value, datetime) else str(value)


def _xlsx_records(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Header and records of the first sheet, read by the bounded streaming reader.

    Blank rows stay as empty records so that "row N" in a message is the sheet's row N.
    """
    try:
        rows = iter_xlsx_rows(io.BytesIO(data))
        first = next(rows, None)
        if first is None:
            return [], []
        header = ["" if h is None else str(h).strip() for h in first[1]]
        records: list[dict[str, str]] = []
        for number, values in rows:
            records.extend({} for _ in range(number - 2 - len(records)))
            records.append(dict(zip(header, (_cell_text(v) for v in values), strict=False)))
    except DataError as exc:
        raise UnitImportError(str(exc)) from None
    return header, records


def read_unit_rows(source: str | Path | bytes, filename: str = "") -> list[UnitRow]:
    """Parse a CSV or XLSX unit file into checked rows (dates parsed, kinds known)."""
    name = filename or str(source)
    if name.lower().endswith(".xlsx"):
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        header, records = _xlsx_records(data)
        return _rows_from_records(records, header)
    text = source.decode("utf-8-sig") if isinstance(source, bytes) else Path(source).read_text("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return _rows_from_records(reader, [h.strip() for h in reader.fieldnames or []])


def _check_references(rows: list[UnitRow], existing: Mapping[str, Unit]) -> None:
    """Unknown, self and looping parent/successor references, named by row and column."""
    seen: dict[str, int] = {}
    for r in rows:
        if r.code in seen:
            raise _fail(
                r.row, "code", _t("'%(code)s' repeats row %(other)d", code=r.code, other=seen[r.code])
            )
        seen[r.code] = r.row
    known = set(existing) | set(seen)
    links = {
        "parent_code": {c: u.parent.code for c, u in existing.items() if u.parent},
        "successor_code": {c: u.successor.code for c, u in existing.items() if u.successor},
    }
    for r in rows:
        for column, ref in (("parent_code", r.parent_code), ("successor_code", r.successor_code)):
            if ref and ref not in known:
                raise _fail(r.row, column, _t("unknown unit '%(code)s'", code=ref))
            links[column].pop(r.code, None)  # the file's row replaces the stored link
            if ref:
                links[column][r.code] = ref
    for column, link in links.items():
        for r in rows:
            chain = [r.code]
            while chain[-1] in link and len(chain) <= len(link) + 1:
                chain.append(link[chain[-1]])
                if chain[-1] in chain[:-1]:
                    raise _fail(r.row, column, _t("the chain loops back: %(chain)s", chain=" → ".join(chain)))


def import_units(rows: list[UnitRow]) -> tuple[int, int]:
    """Create or update units from checked rows, in the caller's transaction.

    Returns (created, updated). Raises UnitImportError naming the row when a parent or
    successor is unknown, a code repeats or a chain loops; nothing is written before every
    row is checked.
    """
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    _check_references(rows, existing)
    created = updated = 0
    for r in rows:
        unit = existing.get(r.code)
        if unit is None:
            unit = existing[r.code] = Unit(code=r.code)
            db.session.add(unit)
            created += 1
        else:
            updated += 1
        unit.name, unit.kind, unit.valid_from, unit.valid_to = r.name, r.kind, r.valid_from, r.valid_to
        unit.source = r.source
    for r in rows:
        unit = existing[r.code]
        unit.parent = existing[r.parent_code] if r.parent_code else None
        unit.successor = existing[r.successor_code] if r.successor_code else None
    db.session.flush()
    return created, updated
