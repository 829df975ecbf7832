"""Dossier counts per counter and month: import all or nothing, errors by row, export, weighting."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from survey.aggregates import data_version
from survey.models import AuditLog, DossierCount
from survey.responses import store_response
from tests.admin.conftest import World, post

HEADER = "unit_code,point_code,month,dossiers\n"
GOOD = "03408,Q01,2026-03,120\n03388,Q01,2026-03,40\n03408,Q01,2026-04,95\n"


def upload(client, data: bytes, name: str = "counts.csv"):  # type: ignore[no-untyped-def]
    files = {"file": (io.BytesIO(data), name)}
    return post(client, "/admin/dossiers", files, content_type="multipart/form-data")


def stored(db) -> list[tuple[int, str, int]]:  # type: ignore[no-untyped-def]
    rows = db.session.execute(select(DossierCount.point_id, DossierCount.month, DossierCount.dossiers))
    return sorted((p, m.strftime("%Y-%m"), n) for p, m, n in rows)


def test_upload_stores_counts_replaces_them_and_is_audited(as_admin, db, world: World) -> None:
    """Each row is a count of a counter and month; a second file replaces a stored count."""
    assert upload(as_admin, (HEADER + GOOD).encode()).status_code == 303
    p, o = world.point.id, world.other_point.id
    assert stored(db) == [(p, "2026-03", 120), (p, "2026-04", 95), (o, "2026-03", 40)]
    assert upload(as_admin, (HEADER + "03408,Q01,2026-03,130\n").encode()).status_code == 303
    assert stored(db) == [(p, "2026-03", 130), (p, "2026-04", 95), (o, "2026-03", 40)]
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "dossiers.import")).all()
    assert [json.loads(a.after)["rows"] for a in audit] == [3, 1]


def test_a_bad_row_is_named_in_vietnamese_and_nothing_is_stored(as_admin, db, world: World) -> None:
    """An unknown counter, a bad month or count, or a repeated cell: 422 naming the row; no row kept."""
    cases = {
        "03408,Q09,2026-03,5\n": "dòng 3, cột point_code",
        "03408,Q01,2026-13,5\n": "dòng 3, cột month",
        "03408,Q01,2026-05,-4\n": "dòng 3, cột dossiers",
        "03388,Q01,2026-03,5\n": "dòng 3, cột month",
    }
    for line, where in cases.items():
        reply = upload(as_admin, (HEADER + "03388,Q01,2026-03,40\n" + line).encode())
        assert reply.status_code == 422
        assert where in reply.text.lower(), (line, reply.text)
    assert stored(db) == []
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "dossiers.import")
        )
        == 0
    )


def test_xlsx_with_date_cells_is_imported(as_admin, db, world: World) -> None:
    """A spreadsheet whose month cells are dates imports like the CSV."""
    book = Workbook()
    book.active.append(["unit_code", "point_code", "month", "dossiers"])
    book.active.append(["03408", "Q01", datetime(2026, 3, 1), 120])
    buf = io.BytesIO()
    book.save(buf)
    assert upload(as_admin, buf.getvalue(), "counts.xlsx").status_code == 303
    assert stored(db) == [(world.point.id, "2026-03", 120)]


def test_only_admins_reach_the_page(as_analyst, as_viewer) -> None:
    """Analysts and viewers are refused the upload page."""
    assert as_analyst.get("/admin/dossiers").status_code == 403
    assert as_viewer.get("/admin/dossiers").status_code == 403


def test_cli_import_export_round_trip(runner, db, world: World, tmp_path: Path) -> None:
    """`import-dossiers` stores a file, `export-dossiers` writes it back; a bad file is one line."""
    good = tmp_path / "counts.csv"
    good.write_text(HEADER + GOOD, "utf-8")
    result = runner.invoke(args=["sipas", "import-dossiers", str(good)])
    assert result.exit_code == 0 and "3 dossier counts imported" in result.output, result.output
    out = tmp_path / "back.csv"
    assert runner.invoke(args=["sipas", "export-dossiers", "--out", str(out)]).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == HEADER.strip().split(",")
    assert sorted(rows[1:]) == sorted(line.split(",") for line in GOOD.strip().split("\n"))
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "NOPE,Q01,2026-03,4\n", "utf-8")
    failed = runner.invoke(args=["sipas", "import-dossiers", str(bad)])
    assert failed.exit_code != 0
    assert failed.output.strip() == "Error: row 2, column unit_code: unknown unit 'NOPE'"


def _answer(point, b11: int, day: int) -> None:  # type: ignore[no-untyped-def]
    store_response(
        point=point,
        period=None,
        answers={"S1": 1, "B5.0": 2, "B1.1": b11},
        policy_group=None,
        language="vi",
        duration_s=300,
        submitted_at=datetime(2026, 3, day, 2, 30),
    )


def test_compute_weights_responses_by_dossier_counts(runner, db, world: World, tmp_path: Path) -> None:
    """Two satisfied answers at a counter with 30 dossiers and two dissatisfied at one with 10:
    B1.1 is 50 % unweighted and (30·1 + 10·0) / 40 = 75 % weighted by dossiers (by hand)."""
    for day in (2, 3):
        _answer(world.point, 5, day)
        _answer(world.other_point, 2, day)
    db.session.commit()
    version = data_version({world.ward.id}, None)
    counts = tmp_path / "counts.csv"
    counts.write_text(HEADER + "03408,Q01,2026-03,30\n03388,Q01,2026-03,10\n", "utf-8")
    assert runner.invoke(args=["sipas", "import-dossiers", str(counts)]).exit_code == 0
    assert data_version({world.ward.id}, None) != version

    def b11(*extra: str) -> float:
        result = runner.invoke(args=["sipas", "compute", "--format", "json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["groups"][0]["items"]["B1.1"]["value"]

    assert abs(b11() - 75.0) < 1e-9
    assert abs(b11("--no-dossiers") - 50.0) < 1e-9
