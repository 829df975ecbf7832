"""The unit tree: import (CSV, XLSX, the province's real file), errors, edit, retire into a successor."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey.models import AuditLog, Unit
from survey.responses import store_response
from tests.admin.conftest import World, post

SAMPLE = Path(__file__).resolve().parents[2] / "survey" / "data" / "lai-chau-units.csv"
HEADER = "code,name,kind,parent_code,valid_from,valid_to,successor_code\n"


def unit_count(db) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(Unit))


def upload(client, text: str | bytes, name: str = "units.csv"):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return post(
        client, "/admin/units/import", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_the_provinces_real_file_imports_as_it_is(as_admin, db, world: World) -> None:
    """survey/data/lai-chau-units.csv imports unchanged: 168 units, mergers as successors, audited."""
    before = unit_count(db)
    reply = upload(as_admin, SAMPLE.read_bytes(), "lai-chau-units.csv")
    assert reply.status_code == 303
    assert unit_count(db) == before + 168 - 4  # the world's four units are in the file too
    old = db.session.scalar(select(Unit).where(Unit.code == "LC-OLD-03424"))
    assert old.successor.code == "03424"
    assert old.valid_to == date(2025, 6, 30)
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "unit.import")).one()
    assert '"created": 164' in entry.after


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("X1,Xã Một,village,12,,,\n", "dòng 2, cột kind"),
        (
            "X1,Xã Một,commune,12,,,\nX2,Xã Hai,commune,NOPE,,,\n",
            "dòng 3, cột parent_code: không có đơn vị 'NOPE'",
        ),
        ("X1,Xã Một,commune,12,2025-13-01,,\n", "dòng 2, cột valid_from"),
        ("X1,Xã Một,commune,12,,,\nX1,Xã Một bis,commune,12,,,\n", "dòng 3, cột code: 'X1'"),
        ("X1,,commune,12,,,\n", "dòng 2, cột name"),
        ("X1,Xã Một,commune,12,2025-07-01,2025-01-01,\n", "dòng 2, cột valid_to"),
        ("X1,Xã Một,commune,12,,,X1\n", "dòng 2, cột successor_code"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_imported(
    as_admin, db, world: World, rows: str, message: str
) -> None:
    """A file with one bad row answers 422 naming row and column, and no unit is added."""
    before = unit_count(db)
    reply = upload(as_admin, HEADER + rows)
    assert reply.status_code == 422
    assert message in reply.text.replace("&#39;", "'")
    assert unit_count(db) == before


def test_missing_columns_are_named(as_admin, db, world: World) -> None:
    """A file without the kind column is refused naming the column."""
    reply = upload(as_admin, "code,name\nX1,Xã Một\n")
    assert reply.status_code == 422
    assert "thiếu cột kind" in reply.text


def test_a_file_that_is_not_csv_or_xlsx_is_refused(as_admin, world: World) -> None:
    """Only .csv and .xlsx files are accepted."""
    assert upload(as_admin, "x", "units.pdf").status_code == 422


def test_xlsx_file_imports(as_admin, db, world: World) -> None:
    """An XLSX file with the same columns imports like the CSV."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["X1", "Xã Một", "commune", "12", date(2025, 7, 1), None, None])
    buf = io.BytesIO()
    book.save(buf)
    assert upload(as_admin, buf.getvalue(), "units.xlsx").status_code == 303
    assert db.session.scalar(select(Unit).where(Unit.code == "X1")).valid_from == date(2025, 7, 1)


def test_tree_view_indents_children_and_hides_retired_units(as_admin, world: World) -> None:
    """The tree lists current units under their parent; retired ones only with ?all=1."""
    page = as_admin.get("/admin/units").text
    assert page.index("Tỉnh Lai Châu") < page.index("Phường Tân Phong")
    assert "Phường Đông Phong" not in page
    assert "Phường Đông Phong" in as_admin.get("/admin/units?all=1").text


def test_edit_unit_changes_it_and_is_audited(as_admin, db, world: World) -> None:
    """Saving the edit form changes the unit and logs before and after."""
    form = {"name": "Phường Tân Phong (mới)", "kind": "ward", "parent_code": "12", "valid_from": "2025-07-01"}
    reply = post(as_admin, "/admin/units/03408/edit", form)
    assert reply.status_code == 303
    assert world.ward.name == "Phường Tân Phong (mới)"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "unit.update")).one()
    assert "Phường Tân Phong" in entry.before
    assert "(mới)" in entry.after


def test_edit_cannot_put_a_unit_under_its_own_child(as_admin, world: World) -> None:
    """A parent that lies inside the unit's own subtree is refused."""
    form = {"name": "Tỉnh Lai Châu", "kind": "province", "parent_code": "03408"}
    assert post(as_admin, "/admin/units/12/edit", form).status_code == 422


def test_retired_units_history_counts_for_the_successor(as_admin, db, world: World) -> None:
    """After retiring a ward into another, the successor's report counts the retired ward's responses."""
    store_response(
        point=world.other_point, period=None, answers={"B1.1": 4}, policy_group=None, language="vi"
    )
    db.session.commit()
    form = {"successor_code": "03408", "valid_to": "2025-12-31"}
    reply = post(as_admin, "/admin/units/03388/retire", form)
    assert reply.status_code == 303
    assert world.other.successor_id == world.ward.id
    assert world.other_point.unit_id == world.other.id
    report = as_admin.get("/reports/03408").text
    assert "Phường Đoàn Kết" in report
    assert "<h2>Phiếu trả lời: 1</h2>" in report


def test_retire_refuses_to_move_a_counter_whose_code_the_successor_has(as_admin, world: World) -> None:
    """Both wards have a counter Q01: moving the counters is refused rather than renaming one."""
    form = {"successor_code": "03408", "valid_to": "2025-12-31", "move_points": "1"}
    reply = post(as_admin, "/admin/units/03388/retire", form)
    assert reply.status_code == 422
    assert "Q01" in reply.text
    assert world.other.successor_id is None


def test_retire_moves_the_counters_to_the_successor(as_admin, db, world: World) -> None:
    """Retiring with 'move counters' puts the unit's counters under the successor."""
    world.other_point.code = "Q02"
    db.session.commit()
    post(
        as_admin,
        "/admin/units/03388/retire",
        {"successor_code": "03408", "valid_to": "2025-12-31", "move_points": "1"},
    )
    assert world.other_point.unit_id == world.ward.id
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "unit.retire")).one()
    assert '"points_moved": ["Q02"]' in entry.after


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"successor_code": "NOPE", "valid_to": "2025-12-31"}, 422),
        ({"successor_code": "03388", "valid_to": ""}, 422),
        ({"successor_code": "03408", "valid_to": "2025-12-31"}, 422),  # itself
    ],
)
def test_retire_refuses_bad_input(as_admin, world: World, form: dict[str, str], status: int) -> None:
    """An unknown successor, a missing last day or the unit itself is refused."""
    assert post(as_admin, "/admin/units/03408/retire", form).status_code == status


def test_retire_refuses_a_successor_cycle(as_admin, db, world: World) -> None:
    """A unit cannot be retired into a unit that was itself retired into it."""
    form = {"successor_code": "LC-OLD-03412", "valid_to": "2025-12-31"}
    assert post(as_admin, "/admin/units/03408/retire", form).status_code == 422


def test_cli_import_units_reads_the_sample_file(runner, db) -> None:
    """`sipas import-units` imports the province's file and reports the counts."""
    result = runner.invoke(args=["sipas", "import-units", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "168 units created" in result.output
    assert unit_count(db) == 168


def test_cli_import_units_error_is_one_line_and_writes_nothing(runner, db, tmp_path: Path) -> None:
    """A bad row gives a one-line error naming it, a non-zero exit, and no unit."""
    bad = tmp_path / "units.csv"
    bad.write_text(HEADER + "12,Tỉnh,province,,,,\nX1,Xã,commune,NOPE,,,\n", "utf-8")
    result = runner.invoke(args=["sipas", "import-units", str(bad)])
    assert result.exit_code != 0
    assert result.output.strip() == "Error: row 3, column parent_code: unknown unit 'NOPE'"
    assert unit_count(db) == 0


def test_a_file_that_is_not_utf8_is_named_not_a_crash(as_admin, db, world: World) -> None:
    """A CSV saved in a legacy encoding, or a broken XLSX, answers 422 with a readable reason."""
    legacy = (HEADER + "X1,Xã Một,commune,12,,,\n").encode("utf-16")
    assert upload(as_admin, legacy).status_code == 422
    assert upload(as_admin, b"not a zip file", "units.xlsx").status_code == 422
    assert unit_count(db) == 4


def test_an_already_retired_unit_cannot_be_retired_again(as_admin, db, world: World) -> None:
    """Retiring a unit that already has a successor answers 422 naming the field, and changes nothing."""
    reply = post(
        as_admin, "/admin/units/LC-OLD-03412/retire", {"successor_code": "03388", "valid_to": "2025-12-31"}
    )
    assert reply.status_code == 422
    assert "Đơn vị kế thừa: đơn vị này đã sáp nhập vào 03408" in reply.text
    assert (world.old.successor_id, world.old.valid_to) == (world.ward.id, date(2025, 6, 30))


def test_a_unit_that_already_ended_cannot_be_retired(as_admin, db, world: World) -> None:
    """A unit with a last day but no successor is refused too, naming the last day."""
    world.other.valid_to = date(2025, 12, 31)
    db.session.commit()
    reply = post(as_admin, "/admin/units/03388/retire", {"successor_code": "03408", "valid_to": "2026-01-31"})
    assert reply.status_code == 422
    assert "Ngày cuối: đơn vị này đã kết thúc hoạt động ngày 2025-12-31" in reply.text
    assert world.other.successor_id is None


def test_a_loop_in_the_file_is_named_in_vietnamese_and_nothing_is_imported(
    as_admin, db, world: World
) -> None:
    """Two units that are each other's parent: 422, the row and the loop named in Vietnamese."""
    before = unit_count(db)
    reply = upload(as_admin, HEADER + "X1,Xã Một,commune,X2,,,\nX2,Xã Hai,commune,X1,,,\n")
    assert reply.status_code == 422
    assert "dòng 2, cột parent_code: chuỗi quay vòng trở lại: X1 → X2 → X1" in reply.text
    assert unit_count(db) == before
