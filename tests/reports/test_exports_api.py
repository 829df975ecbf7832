"""Report files (Excel, CSV, PDF) and the indices API, scoped like the page."""

from __future__ import annotations

import csv
import io
import json
import re
import zlib

import pytest
from openpyxl import load_workbook

from survey.reports.sheets import ESTIMATE_HEADERS
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


def test_excel_is_for_people_with_the_tidy_data_kept(as_viewer, runner, answer: Answer, world: World) -> None:
    """The workbook: README sheet first; Vietnamese headers; one row per estimate with the question
    text beside its code, values rounded to 2 decimals as numbers with a number format; a frozen
    header; and the tidy CSV rows of `sipas compute` in the sheet "dữ liệu"."""
    answer(world.point, 30)
    expected = cli_json(runner)
    group = next(g for g in expected["groups"] if g["key"] == {"unit_code": "03408"})
    reply = as_viewer.get("/reports/03408/report.xlsx?period=2026")
    assert reply.status_code == 200 and reply.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(reply.data))
    assert book.sheetnames[:2] == ["Đọc trước", "Chỉ số"] and book.sheetnames[-1] == "dữ liệu"
    sheet = book["Chỉ số"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ESTIMATE_HEADERS and sheet.freeze_panes == "A2"
    by_code = {r[1]: r for r in rows[1:]}
    assert len(by_code) == len(rows) - 1  # one row per estimate, none twice
    assert set(by_code) == {"SIPAS", "policy", "service", *group["elements"], *group["items"]}
    b11 = by_code["B1.1"]
    assert b11[2] == "Biển chỉ dẫn ở nơi làm thủ tục rõ ràng, dễ tìm"
    for code, est in [
        ("SIPAS", group["sipas"]),
        ("B1.1", group["items"]["B1.1"]),
        ("B2", group["elements"]["B2"]),
    ]:
        r = by_code[code]
        assert r[3:8] == (
            round(est["value"], 2),
            round(est["ci_low"], 2),
            round(est["ci_high"], 2),
            round(est["se"], 2),
            est["n"],
        )
    cell = sheet.cell(2, 4)
    assert isinstance(cell.value, float) and cell.number_format == "0.00"
    tidy = [list(r) for r in book["dữ liệu"].iter_rows(values_only=True)]
    csv_rows = list(csv.reader(io.StringIO(cli_csv(runner))))
    assert tidy[0] == csv_rows[0] and len(tidy) == len(csv_rows)
    value_col = csv_rows[0].index("value")
    shown = [r[value_col] for r in tidy[1:]]
    assert [v is None for v in shown] == [not r[value_col] for r in csv_rows[1:]]
    assert [v for v in shown if v is not None] == pytest.approx(
        [float(r[value_col]) for r in csv_rows[1:] if r[value_col]], rel=1e-12
    )


def cli_json(runner) -> dict:  # type: ignore[no-untyped-def,type-arg]
    args = ["sipas", "compute", "--unit", "03408", "--by", "unit", "--period", "2026", "--format", "json"]
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


def cli_csv(runner) -> str:  # type: ignore[no-untyped-def]
    args = ["sipas", "compute", "--unit", "03408", "--by", "unit", "--period", "2026", "--format", "csv"]
    return runner.invoke(args=args).output


def test_csv_equals_sipas_compute(as_viewer, runner, answer: Answer, world: World) -> None:
    """The CSV export is the tidy CSV of `sipas compute --unit --by unit` for the same period."""
    answer(world.point, 30)
    expected = runner.invoke(
        args=["sipas", "compute", "--unit", "03408", "--by", "unit", "--period", "2026", "--format", "csv"]
    ).output
    reply = as_viewer.get("/reports/03408/report.csv?period=2026")
    assert reply.mimetype == "text/csv"
    got, want = list(csv.reader(io.StringIO(reply.text))), list(csv.reader(io.StringIO(expected)))
    assert len(got) > 1 and got[0] == want[0]
    # The command's cells are split by month as well (for the dossier counts), so its sums are
    # added in another order: the figures agree to rounding, not always to the last bit (the
    # answers span 20 days, across a month's end early in a month).
    assert numbers_equal([[_cell(c) for c in row] for row in got], [[_cell(c) for c in row] for row in want])


def _cell(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


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
    body = dict(reply.json)
    assert body.pop("period") == "2026"
    assert numbers_equal(body, expected)


def test_one_default_period_for_page_api_and_exports(
    as_admin, runner, answer: Answer, world: World, db
) -> None:
    """Without a period the page, the API and the CSV export all use the open period, not every
    period: a response of a closed earlier period changes none of them."""
    from datetime import date

    from sqlalchemy import select, update

    from survey.models import Period, Response
    from tests.factories import make_period

    answer(world.point, 20)
    old = make_period("2025", is_open=False, starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    answer(world.point, 6)
    newest = list(db.session.scalars(select(Response.id).order_by(Response.id.desc()).limit(6)))
    db.session.execute(update(Response).where(Response.id.in_(newest)).values(period_id=old.id))
    db.session.commit()
    args = ["sipas", "compute", "--unit", "03408", "--by", "unit", "--period", "2026", "--format", "json"]
    open_period = json.loads(runner.invoke(args=args).output)
    api = as_admin.get("/api/v1/indices?unit=03408&by=unit").json
    assert api["period"] == "2026" and api["groups"][0]["n"] == 20
    assert numbers_equal({k: v for k, v in api.items() if k != "period"}, open_period)
    assert as_admin.get("/api/v1/indices?unit=03408&period=all").json["groups"][0]["n"] == 26
    csv_default = as_admin.get("/reports/03408/report.csv").text
    assert csv_default == as_admin.get("/reports/03408/report.csv?period=2026").text
    page = as_admin.get("/reports/03408").text
    assert '<option value="2026" selected>' in page and "Số phiếu được tính: 20 trên 20" in page
    assert db.session.get(Period, old.id).is_open is False


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
