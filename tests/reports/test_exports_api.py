"""Report files (Excel, CSV, PDF) and the indices API, scoped like the page."""

from __future__ import annotations

import csv
import io
import json
import re
import zlib

import pytest
from openpyxl import load_workbook

from analysis.xlsx import SHEETS
from tests.admin.conftest import World
from tests.reports.conftest import Answer
from tests.test_compute_cli import numbers_equal

OTHER_UNIT = [
    "/reports/03388",
    "/reports/03388/report.xlsx",
    "/reports/03388/report.csv",
    "/reports/03388/report.pdf",
]


def pdf_text_bytes(pdf: bytes) -> bytes:
    """The PDF with every Flate stream inflated, so that strings inside object streams are searchable."""
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(out)


def test_excel_has_one_sheet_per_level(as_viewer, answer: Answer, world: World) -> None:
    """The workbook opens in openpyxl with the README sheet and the level sheets, SIPAS first."""
    answer(world.point, 30)
    reply = as_viewer.get("/reports/03408/report.xlsx?period=2026")
    assert reply.status_code == 200 and reply.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(reply.data))
    assert book.sheetnames[0] == "Thông tin"
    for key in ("indices", "elements", "items", "priorities", "quality"):
        assert SHEETS[key][:31] in book.sheetnames
    rows = list(book[SHEETS["indices"]].iter_rows(values_only=True))
    assert rows[0][:3] == ("unit_code", "level", "code") and rows[1][2] == "sipas"


def test_csv_equals_sipas_compute(as_viewer, runner, answer: Answer, world: World) -> None:
    """The CSV export is the tidy CSV of `sipas compute --unit --by unit` for the same period."""
    answer(world.point, 30)
    expected = runner.invoke(
        args=["sipas", "compute", "--unit", "03408", "--by", "unit", "--period", "2026", "--format", "csv"]
    ).output
    reply = as_viewer.get("/reports/03408/report.csv?period=2026")
    assert reply.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(reply.text))) == list(csv.reader(io.StringIO(expected)))


def test_pdf_is_the_report_of_the_unit(as_viewer, answer: Answer, world: World) -> None:
    """The PDF names the unit in its title (UTF-16, Vietnamese marks kept) and sets every glyph in
    DejaVu, whose fonts carry all the Vietnamese diacritics."""
    answer(world.point, 30)
    reply = as_viewer.get("/reports/03408/report.pdf")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.data.startswith(b"%PDF")
    inflated = pdf_text_bytes(reply.data)
    assert "Phường Tân Phong".encode("utf-16-be").hex().encode() in inflated.lower()
    fonts = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([A-Za-z-]+)", inflated))
    assert fonts and all(f.startswith(b"DejaVu-Sans") for f in fonts), fonts


@pytest.mark.parametrize("path", OTHER_UNIT)
def test_viewer_gets_404_for_another_units_report(as_viewer, world: World, path: str) -> None:
    """Another ward's page and files answer 404 to the viewer, as if it did not exist."""
    assert as_viewer.get(path).status_code == 404


def test_anonymous_is_sent_to_login_and_api_answers_401(client, world: World) -> None:
    """Without a session the report file goes to the login page; the API answers 401 JSON."""
    assert client.get("/reports/03408/report.xlsx").status_code == 302
    reply = client.get("/api/v1/indices?unit=03408")
    assert reply.status_code == 401 and reply.json["error"] == "unauthorized"


def test_api_is_the_index_json_of_sipas_compute(as_viewer, runner, answer: Answer, world: World) -> None:
    """The API's JSON for a unit equals `sipas compute --unit --by unit --format json`."""
    answer(world.point, 30)
    args = ["sipas", "compute", "--unit", "03408", "--by", "unit", "--period", "2026", "--format", "json"]
    expected = json.loads(runner.invoke(args=args).output)
    reply = as_viewer.get("/api/v1/indices?unit=03408&by=unit&period=2026")
    assert reply.status_code == 200
    assert numbers_equal(reply.json, expected)


def test_api_scopes_a_viewer_to_their_units(as_viewer, as_admin, answer: Answer, world: World) -> None:
    """A viewer's default scope is their ward (and its history); another unit is 404 JSON."""
    answer(world.point, 5)
    answer(world.other_point, 5)
    mine = as_viewer.get("/api/v1/indices?by=unit").json
    assert [g["key"] for g in mine["groups"]] == [{}, {"unit_code": "03408"}]
    everything = as_admin.get("/api/v1/indices?by=unit").json
    assert {"unit_code": "03388"} in [g["key"] for g in everything["groups"]]
    reply = as_viewer.get("/api/v1/indices?unit=03388")
    assert reply.status_code == 404 and reply.is_json


def test_api_refuses_an_unknown_grouping(as_admin, world: World) -> None:
    """`by` outside unit|point|month|quarter is a 422 naming the parameter."""
    reply = as_admin.get("/api/v1/indices?by=colour")
    assert reply.status_code == 422 and reply.json["message"].startswith("by:")
