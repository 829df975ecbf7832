"""The unit tree in the admin: list it, import it, edit a unit, retire it into a successor."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select

from survey import audit
from survey.extensions import db
from survey.models import UNIT_KINDS, Unit
from survey.units import UnitImportError, import_units, read_unit_rows
from survey.validation import InputError, optional_date, required

__all__ = ["FIELDS", "import_unit_file", "retire_unit", "unit_by_code", "unit_tree", "update_unit"]

FIELDS = ("code", "name", "kind", "parent_id", "valid_from", "valid_to", "successor_id")


def unit_by_code(code: str) -> Unit | None:
    """The unit with this code, if any."""
    return db.session.scalar(select(Unit).where(Unit.code == code.strip()))


def unit_tree(include_retired: bool = False, on: date | None = None) -> list[tuple[Unit, int]]:
    """Units in tree order with their depth; retired ones only when asked."""
    units = list(db.session.scalars(select(Unit).order_by(Unit.kind, Unit.name)))
    on = on or date.today()
    shown = {u.id for u in units if include_retired or u.is_current(on)}
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        parent = u.parent_id if u.parent_id in shown else None
        children.setdefault(parent, []).append(u)
    out: list[tuple[Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in children.get(parent, []):
            if u.id in shown:
                out.append((u, depth))
                walk(u.id, depth + 1)

    walk(None, 0)
    return out


def import_unit_file(data: bytes | Path, filename: str) -> tuple[int, int]:
    """Import a CSV/XLSX unit file into the session (UnitImportError names the row); audited."""
    try:
        rows = read_unit_rows(data, filename)
    except (UnicodeDecodeError, zipfile.BadZipFile, InvalidFileException, KeyError) as exc:
        raise UnitImportError(
            f"row 1: not a readable UTF-8 CSV or XLSX file ({exc.__class__.__name__})"
        ) from None
    created, updated = import_units(rows)
    audit.record("unit.import", "unit", "", after={"file": filename, "created": created, "updated": updated})
    return created, updated


def _ancestors(unit: Unit | None) -> set[int]:
    seen: set[int] = set()
    while unit is not None and unit.id not in seen:
        seen.add(unit.id)
        unit = unit.parent
    return seen


def update_unit(unit: Unit, form: dict[str, str]) -> None:
    """Change a unit's name, kind, parent and validity dates."""
    before = audit.snapshot(unit, FIELDS)
    name = required(form.get("name"), _("Name"))
    kind = form.get("kind", "")
    if kind not in UNIT_KINDS:
        raise InputError(_("Kind: '%(value)s' is not a known kind.", value=kind))
    parent = None
    if form.get("parent_code", "").strip():
        parent = unit_by_code(form["parent_code"])
        if parent is None:
            raise InputError(_("Parent: unknown unit code '%(code)s'.", code=form["parent_code"]))
        if unit.id in _ancestors(parent):
            raise InputError(_("Parent: a unit cannot be placed under itself."))
    valid_from = optional_date(form.get("valid_from"), _("Valid from"))
    valid_to = optional_date(form.get("valid_to"), _("Valid to"))
    if valid_from and valid_to and valid_to < valid_from:
        raise InputError(_("Valid to: before valid from."))
    unit.name, unit.kind, unit.parent = name, kind, parent
    unit.valid_from, unit.valid_to = valid_from, valid_to
    db.session.flush()
    audit.record("unit.update", "unit", unit.code, before, audit.snapshot(unit, FIELDS))


def _refuse_retired(unit: Unit) -> None:
    # Retiring twice would silently re-point the unit's history (and, for a district, pull
    # its old communes into a second successor's reports).
    if unit.successor is not None:
        raise InputError(_("Successor: the unit is already retired into %(code)s.", code=unit.successor.code))
    if unit.valid_to is not None:
        raise InputError(_("Last day: the unit already ended on %(day)s.", day=unit.valid_to.isoformat()))


def retire_unit(unit: Unit, successor_code: str, last_day: date | None, move_points: bool) -> None:
    """End a unit on its last day and name its successor, whose reports then include its history.

    With move_points, the unit's counters move to the successor (a merged commune's one-stop
    counter usually keeps serving people under the new commune); past responses stay where they are.
    """
    _refuse_retired(unit)
    before = audit.snapshot(unit, FIELDS)
    successor = unit_by_code(successor_code) if successor_code.strip() else None
    if successor is None:
        raise InputError(_("Successor: unknown unit code '%(code)s'.", code=successor_code))
    chain, cursor = set(), successor
    while cursor is not None and cursor.id not in chain:
        if cursor.id == unit.id:
            raise InputError(_("Successor: a unit cannot be its own successor."))
        chain.add(cursor.id)
        cursor = cursor.successor
    if last_day is None:
        raise InputError(_("Last day: required."))
    if unit.valid_from and last_day < unit.valid_from:
        raise InputError(_("Last day: before the unit's first day."))
    unit.valid_to, unit.successor = last_day, successor
    moved = []
    if move_points:
        taken = {p.code for p in successor.points}
        if clash := sorted(taken & {p.code for p in unit.points}):
            raise InputError(
                _("Counters: the successor already has counter(s) %(codes)s.", codes=", ".join(clash))
            )
        for point in list(unit.points):
            point.unit = successor
            moved.append(point.code)
    db.session.flush()
    after = {**audit.snapshot(unit, FIELDS), "points_moved": moved}
    audit.record("unit.retire", "unit", unit.code, before, after)
