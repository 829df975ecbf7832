"""Hostile workbooks and files: refused before they cost memory, with one message naming where.

Every fixture is generated here, small: a real workbook from openpyxl with one part replaced.
On the page the refusal is a 422 in Vietnamese; on the command line one line and a non-zero exit.
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from analysis.errors import DataError
from analysis.xlsx import XlsxLimits, iter_xlsx_rows, read_xlsx
from tests.admin.conftest import World, post

COLUMNS = ["response_id", "submitted_at", "unit_code", "point_code", "channel", "B1.1"]


def workbook(rows: list[list[object]] | None = None) -> bytes:
    """A small valid interchange workbook."""
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows if rows is not None else [["x-1", "2026-03-02T09:00:00", "03408", "Q01", "paper", 4]]:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def replaced(data: bytes, part: str, content: bytes, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The workbook with one part's content replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", compress) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info.filename))
        dst.writestr(part, content)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet_xml(body: str, head: str = "") -> bytes:
    return f'<?xml version="1.0"?>{head}<worksheet {NS}><sheetData>{body}</sheetData></worksheet>'.encode()


HEADER_ROW = (
    '<row r="1">'
    + "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{c}</t></is></c>' for i, c in enumerate(COLUMNS))
    + "</row>"
)


def declared_size(data: bytes, part: str, size: int) -> bytes:
    """The workbook with the central directory claiming `size` uncompressed bytes for a part."""
    buf = bytearray(data)
    name = part.encode()
    pos = buf.find(b"PK\x01\x02" + b"", 0)
    while pos != -1:
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + name_len]) == name:
            struct.pack_into("<I", buf, pos + 24, size)
            return bytes(buf)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(part)


HOSTILE = {
    # A sheet that inflates 2 MB of zeros from a few kilobytes: a zip bomb by its ratio.
    "zip bomb (ratio)": lambda: replaced(workbook(), SHEET, sheet_xml(HEADER_ROW) + b" " * 2_000_000),
    # A part claiming 10 GB uncompressed: refused from the zip directory alone.
    "declared size": lambda: declared_size(workbook(), SHEET, 4_000_000_000),
    "XXE": lambda: replaced(
        workbook(),
        SHEET,
        sheet_xml(
            HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&e;</t></is></c></row>',
            '<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        ),
    ),
    "billion laughs": lambda: replaced(
        workbook(),
        "xl/sharedStrings.xml",
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&d;&d;&d;&d;</t></si></sst>',
    ),
    "declared dimension": lambda: replaced(
        workbook(),
        SHEET,
        f'<?xml version="1.0"?><worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData>{HEADER_ROW}'
        "</sheetData></worksheet>".encode(),
    ),
    "cell far right": lambda: replaced(
        workbook(), SHEET, sheet_xml(HEADER_ROW + '<row r="2"><c r="XFD2"><v>1</v></c></row>')
    ),
}

MALFORMED = {
    "broken sheet XML": (
        lambda: replaced(workbook(), SHEET, sheet_xml(HEADER_ROW + '<row r="2"><c r="A2"><v>1</c></row>')),
        "row 2",
    ),
    "year 1 date": (
        lambda: replaced(
            replaced(
                workbook(),
                SHEET,
                sheet_xml(
                    HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>y-1</t></is></c>'
                    '<c r="B2" s="1"><v>-693593</v></c></row>'
                ),
            ),
            "xl/styles.xml",
            b'<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>',
        ),
        "row 2, column B",
    ),
    "spreadsheet error cell": (
        lambda: replaced(
            workbook(), SHEET, sheet_xml(HEADER_ROW + '<row r="2"><c r="F2" t="e"><v>#REF!</v></c></row>')
        ),
        "row 2, column F",
    ),
    "not a zip": (lambda: b"PK\x03\x04 garbage that is no workbook", "not a readable XLSX"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_workbook_is_refused_by_the_reader(name: str) -> None:
    """Bombs, entities and absurd sizes raise a DataError that says it was refused."""
    with pytest.raises(DataError, match="refused"):
        read_xlsx(io.BytesIO(HOSTILE[name]()))


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_workbook_names_the_row_and_column(name: str) -> None:
    """Broken XML, impossible dates and error cells raise a DataError naming the place."""
    make, where = MALFORMED[name]
    with pytest.raises(DataError, match=where):
        read_xlsx(io.BytesIO(make()))


def test_shared_strings_over_the_limit_are_refused_while_reading() -> None:
    """Past the limit of distinct texts the reader stops (it does not collect them all first)."""
    strings = "".join(f"<si><t>text {n}</t></si>" for n in range(30))
    sst = f'<?xml version="1.0"?><sst {NS}>{strings}</sst>'.encode()
    with pytest.raises(DataError, match="distinct texts"):
        list(
            iter_xlsx_rows(
                io.BytesIO(replaced(workbook(), "xl/sharedStrings.xml", sst)), XlsxLimits(max_strings=20)
            )
        )


def test_valid_workbook_reads_with_types_and_sheet_positions() -> None:
    """A plain workbook reads back: text, whole numbers as int, blank rows kept in place."""
    rows = [
        ["a-1", "2026-03-02T09:00:00", "03408", "Q01", "paper", 4],
        [],
        ["a-2", "2026-03-03", "03408", None, "qr", 9],
    ]
    frame = read_xlsx(io.BytesIO(workbook(rows)))
    assert list(frame.columns) == COLUMNS
    assert frame["response_id"].tolist() == ["a-1", None, "a-2"]
    assert frame["B1.1"].tolist() == [4, None, 9]


@pytest.mark.parametrize("name", [*HOSTILE, *MALFORMED])
def test_hostile_upload_is_one_message_on_the_page(as_admin, world: World, name: str) -> None:
    """On the import page every such file is a 422 with one Vietnamese message, never a 500."""
    data = HOSTILE[name]() if name in HOSTILE else MALFORMED[name][0]()
    files = {"file": (io.BytesIO(data), "bad.xlsx")}
    reply = post(as_admin, "/admin/imports/responses", files, content_type="multipart/form-data")
    assert reply.status_code == 422
    text = reply.text.replace("&#39;", "'")
    assert "Tệp 'bad.xlsx'" in text or "dòng 2" in text


@pytest.mark.parametrize("name", ["zip bomb (ratio)", "XXE", "broken sheet XML", "year 1 date"])
def test_hostile_file_on_the_command_line_is_one_line(runner, world: World, tmp_path, name: str) -> None:
    """`sipas import-responses` prints one error line and exits non-zero: no traceback."""
    data = HOSTILE[name]() if name in HOSTILE else MALFORMED[name][0]()
    path = tmp_path / "bad.xlsx"
    path.write_bytes(data)
    result = runner.invoke(args=["sipas", "import-responses", str(path)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_year_one_date_in_a_csv_is_a_row_message(as_admin, world: World) -> None:
    """A CSV date in year 1 is a 422 naming the row and column, not a 500."""
    body = ",".join(COLUMNS) + "\nz-1,0001-01-01T00:00:00,03408,Q01,paper,4\n"
    files = {"file": (io.BytesIO(body.encode()), "old.csv")}
    reply = post(as_admin, "/admin/imports/responses", files, content_type="multipart/form-data")
    assert reply.status_code == 422
    assert "dòng 2, cột submitted_at" in reply.text


def test_unit_import_refuses_a_bomb_too(as_admin, world: World) -> None:
    """The unit tree import reads XLSX through the same bounded reader."""
    bomb = HOSTILE["XXE"]()
    files = {"file": (io.BytesIO(bomb), "units.xlsx")}
    reply = post(as_admin, "/admin/units/import", files, content_type="multipart/form-data")
    assert reply.status_code == 422
    assert "refused" in reply.text


HEAD = "response_id,submitted_at,unit_code,point_code,channel,weight,S1,B1.1\n"


def _csv_rows(n: int, bad_at: int | None = None, repeat_at: int | None = None) -> bytes:
    rows = []
    for i in range(n):
        rating = "7" if i == bad_at else "4"
        rid = "c-0" if i == repeat_at else f"c-{i}"
        rows.append(f"{rid},2026-03-02T09:00:00,03408,Q01,paper,,2,{rating}\n")
    return (HEAD + "".join(rows)).encode()


@pytest.mark.parametrize(("kind", "row"), [("csv", 6), ("xlsx", 6)])
def test_chunked_import_names_the_files_row_and_stores_nothing(
    app, db, world: World, monkeypatch, kind, row
) -> None:
    """Read in chunks of 2, a bad answer in the 5th response is 'row 6' and nothing is stored."""
    import survey.paper as paper
    from survey.models import Response
    from survey.validation import InputError

    monkeypatch.setattr(paper, "CHUNK_ROWS", 2)
    data = _csv_rows(7, bad_at=4)
    if kind == "xlsx":
        import csv as _csv

        rows = list(_csv.reader(io.StringIO(data.decode())))
        data = workbook_of(rows)
    with app.test_request_context(), pytest.raises(InputError, match=f"dòng {row}, cột B1.1"):
        paper.import_responses(data, f"p.{kind}")
    db.session.rollback()
    assert db.session.query(Response).count() == 0


def workbook_of(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append([int(v) if v.isdigit() and v[0] != "0" else (v or None) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_chunked_import_finds_a_repeat_in_another_chunk(app, db, world: World, monkeypatch) -> None:
    """A response_id repeated three chunks later is refused, naming the repeat's row."""
    import survey.paper as paper
    from survey.validation import InputError

    monkeypatch.setattr(paper, "CHUNK_ROWS", 2)
    with app.test_request_context(), pytest.raises(InputError, match="dòng 8, cột response_id"):
        paper.import_responses(_csv_rows(7, repeat_at=6), "p.csv")
    db.session.rollback()


def test_chunked_import_stores_every_row(app, db, world: World, monkeypatch) -> None:
    """Across chunk boundaries every response and answer is stored once."""
    import survey.paper as paper
    from survey.models import Answer, Response

    monkeypatch.setattr(paper, "CHUNK_ROWS", 3)
    with app.test_request_context():
        assert paper.import_responses(_csv_rows(8), "p.csv") == 8
        db.session.commit()
    assert sorted(db.session.scalars(select(Response.public_id))) == sorted(f"c-{i}" for i in range(8))
    assert db.session.scalar(select(func.count(Answer.id)).where(Answer.item_code == "B1.1")) == 8
