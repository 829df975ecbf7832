"""Dossier counts per counter and month: import (CSV/XLSX, all rows or none), export, and the
counts table the analysis post-stratifies with (``w = N_c / n_c``, METHOD §4).

File columns: ``unit_code``, ``point_code``, ``month`` (``YYYY-MM``), ``dossiers``. A row for a
counter and month already stored replaces its count; every import is in the audit log and
raises the data version of the units it touches, so their reports are computed again.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import select, update

from survey import audit
from survey.extensions import db
from survey.models import DataVersion, DossierCount, ServicePoint, Unit
from survey.validation import InputError

__all__ = ["COLUMNS", "DossierRow", "counts_frame", "export_rows", "import_dossiers", "read_dossier_rows"]

COLUMNS = ("unit_code", "point_code", "month", "dossiers")
MAX_ROWS = 200_000  # 40 years of 400 counters: a bigger file is not a count file
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _t(message: str, **params: Any) -> str:
    """Translated in a request (the admin page in Vietnamese, the command in English)."""
    return gettext(message, **params) if has_request_context() else message % params


def _fail(row: int, column: str, problem: str) -> InputError:
    return InputError(
        _t("row %(row)d, column %(column)s: %(problem)s", row=row, column=column, problem=problem)
    )


@dataclass(frozen=True)
class DossierRow:
    """One checked row: the file's row number, the counter's codes, the month and the count."""

    row: int
    unit_code: str
    point_code: str
    month: date
    dossiers: int


def _month(value: str, row: int) -> date:
    match = _MONTH.fullmatch(value[:7] if len(value) >= 10 and value[7] == "-" else value)
    if match and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    raise _fail(row, "month", _t("'%(value)s' is not a month (YYYY-MM)", value=value))


def _count(value: str, row: int) -> int:
    text = value[:-2] if value.endswith(".0") else value  # a spreadsheet's 120.0
    if not text.isdigit() or len(text) > 9:
        raise _fail(row, "dossiers", _t("'%(value)s' is not a whole number ≥ 0", value=value))
    return int(text)


def _rows(records: Iterable[Mapping[str, Any]], header: list[str]) -> list[DossierRow]:
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(_t("row 1: missing column(s) %(columns)s", columns=", ".join(missing)))
    out: list[DossierRow] = []
    seen: dict[tuple[str, str, date], int] = {}
    for n, raw in enumerate(records, start=2):
        if n > MAX_ROWS + 1:
            raise InputError(_t("The file has more than %(n)d rows.", n=MAX_ROWS))
        rec = {str(k).strip(): str("" if v is None else v).strip() for k, v in raw.items() if k}
        if not any(rec.values()):
            continue
        for column in ("unit_code", "point_code"):
            if not rec.get(column):
                raise _fail(n, column, _t("empty"))
        row = DossierRow(
            n, rec["unit_code"], rec["point_code"], _month(rec["month"], n), _count(rec["dossiers"], n)
        )
        key = (row.unit_code, row.point_code, row.month)
        if key in seen:
            raise _fail(n, "month", _t("this counter and month repeat row %(other)d", other=seen[key]))
        seen[key] = n
        out.append(row)
    if not out:
        raise InputError(_t("The file holds no rows."))
    return out


def read_dossier_rows(source: bytes | Path, filename: str = "") -> list[DossierRow]:
    """Parse a CSV or XLSX count file into checked rows; errors name the row and column."""
    name = filename or str(source)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        if name.lower().endswith(".xlsx"):
            return _xlsx_rows(data)
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        return _rows(reader, [h.strip() for h in reader.fieldnames or []])
    except (zipfile.BadZipFile, UnicodeDecodeError, csv.Error, KeyError, OSError):
        raise InputError(_t("File '%(name)s': not a readable CSV or XLSX file.", name=name)) from None


def _xlsx_rows(data: bytes) -> list[DossierRow]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, ())]

    def records() -> Iterable[dict[str, Any]]:
        for values in rows:
            cells = [v.strftime("%Y-%m") if hasattr(v, "strftime") else v for v in values]
            yield dict(zip(header, cells, strict=False))

    return _rows(records(), header)


def import_dossiers(source: bytes | Path, filename: str = "") -> int:
    """Check and store every row of a count file in the caller's transaction; returns how many."""
    rows = read_dossier_rows(source, filename)
    points = {
        (u, p): (pid, uid)
        for pid, uid, u, p in db.session.execute(
            select(ServicePoint.id, Unit.id, Unit.code, ServicePoint.code).join(Unit)
        )
    }
    units = set(db.session.scalars(select(Unit.code)))
    for r in rows:
        if r.unit_code not in units:
            raise _fail(r.row, "unit_code", _t("unknown unit '%(code)s'", code=r.unit_code))
        if (r.unit_code, r.point_code) not in points:
            raise _fail(r.row, "point_code", _t("unknown counter '%(code)s' in this unit", code=r.point_code))
    stored = {
        (pid, month): row
        for row, pid, month in db.session.execute(
            select(DossierCount, DossierCount.point_id, DossierCount.month).where(
                DossierCount.point_id.in_({points[(r.unit_code, r.point_code)][0] for r in rows})
            )
        )
    }
    for r in rows:
        pid = points[(r.unit_code, r.point_code)][0]
        row = stored.get((pid, r.month))
        if row is None:
            db.session.add(DossierCount(point_id=pid, month=r.month, dossiers=r.dossiers))
        else:
            row.dossiers = r.dossiers
    touched = sorted({points[(r.unit_code, r.point_code)][1] for r in rows})
    # Weights change with the counts: every report of these units is stale.
    db.session.execute(
        update(DataVersion).where(DataVersion.unit_id.in_(touched)).values(version=DataVersion.version + 1)
    )
    db.session.flush()
    audit.record(
        "dossiers.import",
        "dossier_count",
        "",
        after={"file": filename, "rows": len(rows), "units": len(touched)},
    )
    return len(rows)


def export_rows(unit_ids: Iterable[int] | None = None) -> list[tuple[str, str, str, int]]:
    """The stored counts as file rows (unit_code, point_code, YYYY-MM, dossiers), sorted."""
    query = (
        select(Unit.code, ServicePoint.code, DossierCount.month, DossierCount.dossiers)
        .join(ServicePoint, DossierCount.point_id == ServicePoint.id)
        .join(Unit, ServicePoint.unit_id == Unit.id)
        .order_by(Unit.code, ServicePoint.code, DossierCount.month)
    )
    if unit_ids is not None:
        query = query.where(Unit.id.in_(sorted(unit_ids)))
    return [(u, p, m.strftime("%Y-%m"), int(n)) for u, p, m, n in db.session.execute(query)]


def counts_frame(unit_codes: Mapping[str, str] | None = None) -> pd.DataFrame | None:
    """Dossier counts as the analysis takes them: cells ``unit_code``, ``point_code``, ``month``
    and ``dossiers``; None when none are stored.

    ``unit_codes`` maps unit codes as the responses carry them (e.g. a merged unit's code to
    its successor's): counters that then share a cell have their counts added up.
    """
    rows = export_rows()
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).astype({"dossiers": "float64"})
    if unit_codes is not None:
        frame["unit_code"] = frame["unit_code"].map(lambda c: unit_codes.get(c, c))
        frame = frame.groupby(["unit_code", "point_code", "month"], as_index=False)["dossiers"].sum()
    return frame
