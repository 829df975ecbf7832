"""Import of paper and household responses: validated, all or nothing, channel kept, duplicates refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey.models import Answer, AuditLog, Response
from tests.admin.conftest import World, post

HEADER = "response_id,submitted_at,unit_code,point_code,channel,weight,S1,B1.1,B2.1,E1,A1.G3,comment\n"
GOOD = (
    "p-001,2026-03-02T09:15:00,03408,Q01,paper,,2,4,5,1;4,5,Cần thêm ghế\n"
    "p-002,2026-03-02T10:00:00,LC-OLD-03412,,paper,2.5,1,3,,,,\n"
    "h-001,2026-03-03T14:00:00,03388,,kiosk,,3,9,2,,,\n"
)


def count(db) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(Response))


def upload(client, data: bytes, name: str = "paper.csv"):  # type: ignore[no-untyped-def]
    files = {"file": (io.BytesIO(data), name)}
    return post(client, "/admin/imports/responses", files, content_type="multipart/form-data")


def test_valid_file_is_imported_with_channel_weight_and_answers(as_admin, db, world: World) -> None:
    """Every row becomes a response with its channel, weight, unit, counter and answers; audited."""
    reply = upload(as_admin, (HEADER + GOOD).encode())
    assert reply.status_code == 303
    assert count(db) == 3
    first = db.session.scalars(select(Response).where(Response.public_id == "p-001")).one()
    assert (first.channel, first.point_id, first.unit_id, first.policy_group) == (
        "paper",
        world.point.id,
        world.ward.id,
        "G3",
    )
    assert first.submitted_at.hour == 2  # 09:15 in Lai Châu is 02:15 UTC
    answers = {
        (a.item_code, a.value, a.text)
        for a in db.session.scalars(select(Answer).where(Answer.response_id == first.id))
    }
    assert answers == {
        ("S1", 2, None),
        ("B1.1", 4, None),
        ("B2.1", 5, None),
        ("E1", 1, None),
        ("E1", 4, None),
        ("A1.G3", 5, None),
        ("C1", None, "Cần thêm ghế"),
    }
    second = db.session.scalars(select(Response).where(Response.public_id == "p-002")).one()
    assert (second.weight, second.point_id) == (2.5, None)
    assert db.session.scalars(select(Response.channel).where(Response.public_id == "h-001")).one() == "kiosk"
    assert (
        '"rows": 3'
        in db.session.scalars(select(AuditLog.after).where(AuditLog.action == "responses.import")).one()
    )


GOOD_ROW = "p-0,2026-03-02T09:00:00,03408,Q01,paper,,2,4,,,,\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("p-9,2026-03-02T09:00:00,03408,Q01,paper,,2,7,,,,\n", "dòng 3, cột B1.1"),
        ("p-9,2026-03-02T09:00:00,NOPE,,paper,,2,4,,,,\n", "dòng 3, cột unit_code: không có đơn vị 'NOPE'"),
        ("p-9,2026-03-02T09:00:00,03408,Q7,paper,,2,4,,,,\n", "dòng 3, cột point_code"),
        ("p-9,2026-03-02T09:00:00,03408,,letter,,2,4,,,,\n", "dòng 3, cột channel"),
        ("p-9,yesterday,03408,,paper,,2,4,,,,\n", "dòng 3, cột submitted_at"),
        (GOOD_ROW, "dòng 3, cột response_id"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_imported(
    as_admin, db, world: World, row: str, message: str
) -> None:
    """A bad row after a good one answers 422 naming row and column in the page, and nothing is stored."""
    reply = upload(as_admin, (HEADER + GOOD_ROW + row).encode())
    assert reply.status_code == 422
    assert message in reply.text.replace("&#39;", "'")
    assert count(db) == 0


def test_unknown_question_column_is_refused(as_admin, db, world: World) -> None:
    """A column that is not a question of the instrument is an error naming it."""
    reply = upload(
        as_admin, b"response_id,submitted_at,unit_code,point_code,channel,Z9.9\nx,2026-03-02,03408,,paper,1\n"
    )
    assert reply.status_code == 422
    assert "Z9.9" in reply.text
    assert count(db) == 0


def test_a_response_id_already_imported_is_refused(as_admin, db, world: World) -> None:
    """Importing the same file twice refuses the second time, naming the first duplicate row."""
    assert upload(as_admin, (HEADER + GOOD).encode()).status_code == 303
    again = upload(as_admin, (HEADER + GOOD).encode())
    assert again.status_code == 422
    assert "dòng 2, cột response_id: &#39;p-001&#39; đã được nhập trước đây" in again.text
    assert count(db) == 3


def test_xlsx_file_is_imported(as_admin, db, world: World) -> None:
    """An XLSX with the same columns imports like the CSV."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["x-1", "2026-03-02T09:00:00", "03408", "Q01", "paper", None, 2, 4, 5, "1;4", None, None])
    buf = io.BytesIO()
    book.save(buf)
    assert upload(as_admin, buf.getvalue(), "paper.xlsx").status_code == 303
    assert count(db) == 1


def test_cli_import_responses(runner, db, world: World, tmp_path: Path) -> None:
    """`sipas import-responses FILE` imports a valid file and refuses a bad one with a one-line error."""
    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD, "utf-8")
    result = runner.invoke(args=["sipas", "import-responses", str(good)])
    assert result.exit_code == 0, result.output
    assert "3 responses imported" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "z-1,2026-03-02T09:00:00,NOPE,,paper,,2,4,,,,\n", "utf-8")
    failed = runner.invoke(args=["sipas", "import-responses", str(bad)])
    assert failed.exit_code != 0
    assert failed.output.strip() == "Error: row 2, column unit_code: unknown unit 'NOPE'"
    assert count(db) == 3


def test_imported_responses_fall_in_the_period_of_their_date(as_admin, db, world: World) -> None:
    """A paper response dated inside a period belongs to it; one dated outside every period to none."""
    from survey.periods import local_today

    today = local_today().isoformat()
    rows = f"d-1,{today}T09:00:00,03408,,paper,,2,4,,,,\nd-2,2001-01-01T09:00:00,03408,,paper,,2,4,,,,\n"
    assert upload(as_admin, (HEADER + rows).encode()).status_code == 303
    periods = dict(db.session.execute(select(Response.public_id, Response.period_id)).all())
    assert periods["d-1"] is not None
    assert periods["d-2"] is None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            f"{'r' * 65},2026-03-02T09:00:00,03408,Q01,paper,,2,4,,,,\n",
            "dòng 3, cột response_id: tối đa 64 ký tự",
        ),
        (
            "p-9,2026-03-02T09:00:00,03408,Q01,paper,,2,4,,,,," + "d" * 65 + ",\n",
            "dòng 3, cột device_hash: tối đa 64 ký tự",
        ),
        (
            "p-9,2026-03-02T09:00:00,03408,Q01,paper,,2,4,,,,,," + "f" * 201 + "\n",
            "dòng 3, cột flags: tối đa 200 ký tự",
        ),
    ],
)
def test_over_long_text_is_refused_by_row_on_every_database(
    as_admin, db, world: World, row: str, message: str
) -> None:
    """A response_id, device_hash or flags longer than its column is a row-numbered 422, never a crash."""
    header = HEADER.strip() + ",device_hash,flags\n"
    good = GOOD_ROW.strip() + ",,\n"
    reply = upload(as_admin, (header + good + row).encode())
    assert reply.status_code == 422
    assert message in reply.text
    assert count(db) == 0


def test_a_damaged_xlsx_is_one_error_naming_the_file(
    as_admin, runner, db, world: World, tmp_path: Path
) -> None:
    """A .xlsx that is not a real workbook answers 422 on the page and one error line on the CLI."""
    broken = b"PK\x03\x04 this is not really a workbook"
    reply = upload(as_admin, broken, "bad.xlsx")
    assert reply.status_code == 422
    assert "Tệp &#39;bad.xlsx&#39;: không đọc được như tệp CSV hoặc XLSX." in reply.text
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"response_id,submitted_at\nnot,a workbook\n")
    result = runner.invoke(args=["sipas", "import-responses", str(path)])
    assert result.exit_code != 0
    assert result.output.strip() == "Error: File 'bad.xlsx': not a readable CSV or XLSX file."
    assert count(db) == 0


def test_row_errors_are_vietnamese_on_the_page_and_english_on_the_cli(
    as_admin, runner, db, world: World, tmp_path: Path
) -> None:
    """The row and column prefix of an import error follows the reader's language."""
    bad = HEADER + "z-1,2026-03-02T09:00:00,NOPE,,paper,,2,4,,,,\n"
    page = upload(as_admin, bad.encode()).text
    assert "dòng 2, cột unit_code: không có đơn vị &#39;NOPE&#39;" in page
    path = tmp_path / "bad.csv"
    path.write_text(bad, "utf-8")
    result = runner.invoke(args=["sipas", "import-responses", str(path)])
    assert result.output.strip() == "Error: row 2, column unit_code: unknown unit 'NOPE'"
