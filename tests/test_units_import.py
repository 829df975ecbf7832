"""Importing the unit tree: loops, lengths and codes are refused by row and column, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.models import Unit
from survey.units import UnitImportError, import_units, read_unit_rows

HEADER = "code,name,kind,parent_code,valid_from,valid_to,successor_code\n"


def rows(text: str):  # type: ignore[no-untyped-def]
    return read_unit_rows((HEADER + text).encode(), "units.csv")


def units(db) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(Unit))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "A,Xã A,commune,B,,,\nB,Xã B,commune,A,,,\n",
            "row 2, column parent_code: the chain loops back: A → B → A",
        ),
        (
            "A,Xã A,commune,,,,B\nB,Xã B,commune,,,,C\nC,Xã C,commune,,,,A\n",
            "row 2, column successor_code: the chain loops back: A → B → C → A",
        ),
    ],
)
def test_loops_in_the_file_are_refused(db, text, message):
    """A parent or successor chain that comes back to its start is named by row and column."""
    with pytest.raises(UnitImportError, match=message):
        import_units(rows(text))
    assert units(db) == 0


def test_a_loop_through_stored_units_is_refused_and_nothing_changes(db):
    """Making the province the child of its own department is refused; the stored tree is intact."""
    import_units(rows("12,Tỉnh Lai Châu,province,,,,\nLC-SNV,Sở Nội vụ,department,12,,,\n"))
    db.session.commit()
    with pytest.raises(
        UnitImportError, match=r"row 2, column parent_code: the chain loops back: 12 → LC-SNV → 12"
    ):
        import_units(rows("12,Tỉnh Lai Châu,province,LC-SNV,,,\n"))
    db.session.rollback()
    assert db.session.scalars(select(Unit).where(Unit.code == "12")).one().parent is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{'X' * 33},Xã,commune,,,,\n", "row 2, column code: .* is not a code"),
        ("2026/Q1,Xã,commune,,,,\n", "row 2, column code: '2026/Q1'"),
        (f"A,{'N' * 201},commune,,,,\n", "row 2, column name: longer than 200 characters"),
        ("A,Xã A,commune,,2025-07-01,2025-06-30,\n", "row 2, column valid_to: before valid_from"),
        ("A,Xã A,village,,,,\n", "row 2, column kind: 'village' is not one of"),
        ("A,Xã A,commune,,1/7/2025,,\n", r"row 2, column valid_from: '1/7/2025' is not a date"),
    ],
)
def test_bad_cells_are_named_before_the_database_sees_them(db, text, message):
    """Over-long or odd codes, names, dates and kinds are row-numbered errors on both databases."""
    with pytest.raises(UnitImportError, match=message):
        import_units(rows(text))


def test_real_province_file_has_no_loops(db):
    """The province's real tree (with the 2025 merger successors) imports as it is."""
    path = Path(__file__).resolve().parent.parent / "survey" / "data" / "lai-chau-units.csv"
    created, updated = import_units(read_unit_rows(path))
    assert (created, updated) == (168, 0)
