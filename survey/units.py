"""Import of the unit tree (code, name, kind, parent, validity dates, successor).

All rows are checked before anything is written; an error names the row (header = row 1) and
the column. Parents and successors may appear in any order in the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from survey.extensions import db
from survey.models import UNIT_KINDS, Unit

__all__ = ["UNIT_COLUMNS", "UnitImportError", "import_units", "read_unit_rows"]

UNIT_COLUMNS = ("code", "name", "kind", "parent_code", "valid_from", "valid_to", "successor_code")


class UnitImportError(ValueError):
    """A unit file that cannot be imported; the message names the row and column."""


@dataclass(frozen=True)
class UnitRow:
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
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UnitImportError(f"row {row}, column {column}: '{value}' is not a date (YYYY-MM-DD)") from None


def _rows_from_records(records: Iterable[Mapping[str, str]], header: list[str]) -> list[UnitRow]:
    missing = [c for c in ("code", "name", "kind") if c not in header]
    if missing:
        raise UnitImportError(f"row 1: missing column(s) {', '.join(missing)}")
    out = []
    for n, raw in enumerate(records, start=2):
        rec = {str(k).strip(): str(v or "").strip() for k, v in raw.items() if k}
        if not any(rec.values()):
            continue
        for column in ("code", "name"):
            if not rec.get(column):
                raise UnitImportError(f"row {n}, column {column}: empty")
        if rec.get("kind") not in UNIT_KINDS:
            raise UnitImportError(
                f"row {n}, column kind: '{rec.get('kind', '')}' is not one of {', '.join(UNIT_KINDS)}"
            )
        vf, vt = (
            _date(rec.get("valid_from", ""), n, "valid_from"),
            _date(rec.get("valid_to", ""), n, "valid_to"),
        )
        if vf and vt and vt < vf:
            raise UnitImportError(f"row {n}, column valid_to: before valid_from")
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


def read_unit_rows(source: str | Path | bytes, filename: str = "") -> list[UnitRow]:
    """Parse a CSV or XLSX unit file into checked rows (dates parsed, kinds known)."""
    name = filename or str(source)
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        values = [
            ["" if v is None else (v.date().isoformat() if hasattr(v, "date") else str(v)) for v in r]
            for r in sheet.iter_rows(values_only=True)
        ]
        header = [h.strip() for h in values[0]] if values else []
        records = [dict(zip(header, r, strict=False)) for r in values[1:]]
        return _rows_from_records(records, header)
    text = source.decode("utf-8-sig") if isinstance(source, bytes) else Path(source).read_text("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return _rows_from_records(reader, [h.strip() for h in reader.fieldnames or []])


def import_units(rows: list[UnitRow]) -> tuple[int, int]:
    """Create or update units from checked rows, in the caller's transaction.

    Returns (created, updated). Raises UnitImportError naming the row when a parent or
    successor is unknown or a code repeats; nothing is flushed before every row is checked.
    """
    seen: dict[str, int] = {}
    for r in rows:
        if r.code in seen:
            raise UnitImportError(f"row {r.row}, column code: '{r.code}' repeats row {seen[r.code]}")
        seen[r.code] = r.row
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    known = set(existing) | set(seen)
    for r in rows:
        for column, ref in (("parent_code", r.parent_code), ("successor_code", r.successor_code)):
            if ref and ref not in known:
                raise UnitImportError(f"row {r.row}, column {column}: unknown unit '{ref}'")
            if ref == r.code:
                raise UnitImportError(f"row {r.row}, column {column}: a unit cannot refer to itself")
    created = updated = 0
    for r in rows:
        unit = existing.get(r.code)
        if unit is None:
            unit = existing[r.code] = Unit(code=r.code)
            db.session.add(unit)
            created += 1
        else:
            updated += 1
        unit.name, unit.kind, unit.valid_from, unit.valid_to, unit.source = (
            r.name,
            r.kind,
            r.valid_from,
            r.valid_to,
            r.source,
        )
    for r in rows:
        unit = existing[r.code]
        unit.parent = existing[r.parent_code] if r.parent_code else None
        unit.successor = existing[r.successor_code] if r.successor_code else None
    db.session.flush()
    return created, updated
