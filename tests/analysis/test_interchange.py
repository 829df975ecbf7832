"""Reading, validating and writing the response interchange format (SPEC 3.5)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analysis_fixtures import ROWS, csv_text, read_text

import analysis.interchange as interchange_module
from analysis.errors import DataError
from analysis.interchange import columns, read_responses, validate_frame, write_responses


def test_columns_follow_the_documented_order(instrument):
    """Metadata first, then every non-text item in questionnaire order, then the tail columns."""
    cols = columns(instrument)
    assert cols[:8] == [
        "response_id",
        "submitted_at",
        "unit_code",
        "point_code",
        "channel",
        "weight",
        "S1",
        "B5.0",
    ]
    assert cols[8:10] == ["B1.1", "B1.2"]
    assert cols.index("B0") == cols.index("B5.3") + 1
    assert cols[cols.index("A1.G1") : cols.index("A1.G1") + 2] == ["A1.G1", "A1.G2"]
    assert cols[-7:] == ["E1", "P1", "P2", "comment", "duration_s", "device_hash", "flags"]
    assert "C1" not in cols


def test_read_fills_missing_optional_columns(instrument):
    """Absent optional columns come back empty, weights default to 1, times become local."""
    df = read_text(csv_text(), instrument)
    assert list(df.columns) == columns(instrument)
    assert df["weight"].tolist() == [1.0, 2.5]
    assert df["B1.2"].isna().all() and str(df["B1.2"].dtype) == "Int16"
    assert df["point_code"].tolist() == ["P1", ""]
    assert df["E1"].tolist() == ["1;4", ""]
    assert df["submitted_at"].iloc[1] == pd.Timestamp("2025-07-01 09:00:00")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("r2,", "r1,", "row 3, column response_id: duplicate response_id 'r1'"),
        (",1,,9,", ",1,,7,", "row 3, column B1.1: 7 is not a code of B1.1"),
        (",1,,9,,", ",1,,9,4", "row 3, column B4.1: answer 4 given but B4.1 applies only when S1 is 2"),
        ("2.5", "-1", "row 3, column weight: -1 is not allowed"),
        ("2.5", "heavy", "row 3, column weight: 'heavy' is not a number"),
        ("paper", "fax", "row 3, column channel: 'fax' is not one of qr, link, paper, kiosk"),
        ("1;4", "1;7", "row 2, column E1: '1;7': '7' is not a code"),
        ("1;4", "1;2;3", "row 2, column E1: '1;2;3': at most 2"),
        ("09:00:00+07:00", "9h", "row 3, column submitted_at: '2025-07-01T9h' is not an ISO 8601"),
        (",4,5,", ",4.5,5,", "row 2, column B1.1: 4.5 is not a code"),
    ],
)
def test_bad_cells_name_row_and_column(instrument, old, new, message):
    """Each kind of bad cell raises a DataError naming the file row and the column."""
    with pytest.raises(DataError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        read_text(csv_text().replace(old, new, 1), instrument)


def test_unknown_column_is_an_error(instrument):
    """A column that is not in the instrument is reported on the header row."""
    with pytest.raises(DataError, match="row 1, column B9.9: unknown column"):
        read_text(csv_text(header=csv_text().splitlines()[0].replace("duration_s", "B9.9")), instrument)


def test_two_policy_groups_in_one_response_is_an_error(instrument):
    """A response answers about one policy group only."""
    header = "response_id,submitted_at,unit_code,channel,A1.G2,A2.G5"
    with pytest.raises(DataError, match="row 2, column A2.G5: answers about policy groups G2 and G5"):
        read_text(csv_text(["r1,2025-07-01T08:00:00,SNV,qr,4,4"], header), instrument)


def test_csv_round_trip_keeps_everything(instrument, tmp_path):
    """Writing then reading gives the same frame; integers are written without '.0'."""
    df = read_text(csv_text(), instrument)
    path = tmp_path / "out.csv"
    write_responses(df, path, instrument)
    text = path.read_text()
    assert ",2.5," in text and ",1,2,2,4," in text and ".0," not in text.split("\n", 1)[1]
    pd.testing.assert_frame_equal(read_responses(path, instrument), df)


def test_xlsx_round_trip_keeps_everything(instrument):
    """The XLSX export reads back to the same frame."""
    df = read_text(csv_text(), instrument)
    buf = io.BytesIO()
    write_responses(df, buf, instrument, format="xlsx")
    buf.seek(0)
    pd.testing.assert_frame_equal(read_responses(buf, instrument), df)


def test_validate_frame_accepts_database_shaped_values(instrument):
    """Floats with NaN and None cells (as a database bridge builds them) normalise to the read dtypes."""
    df = read_text(csv_text(), instrument)
    raw = df.astype(object).where(df.notna(), None)
    raw["B1.1"] = [4.0, 9.0]
    raw["E1"] = ["1;4", None]
    raw["A1.G2"] = [3.0, np.nan]
    pd.testing.assert_frame_equal(validate_frame(raw, instrument), df)


def test_validate_frame_does_not_modify_input(instrument):
    """The caller's frame is left as it was."""
    df = read_text(csv_text(), instrument)
    copy = df.copy()
    validate_frame(df, instrument)
    pd.testing.assert_frame_equal(df, copy)


def test_first_data_row_is_row_two(instrument):
    """With an error on the first data row, the message says row 2."""
    rows = [ROWS[0].replace(",qr,", ",,")]
    with pytest.raises(DataError, match="^row 2, column channel: empty"):
        read_text(csv_text(rows), instrument)


def test_row_with_extra_cell_is_an_error(instrument):
    """A row with more cells than the header is rejected, not silently shifted."""
    text = "response_id,submitted_at,unit_code,channel\nr1,2025-07-01T08:00:00,U1,qr,extra\n"
    with pytest.raises(DataError, match="not a well-formed CSV"):
        read_text(text, instrument)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_is_defused_and_read_back_as_written(instrument, tmp_path, fmt):
    """A comment starting with '=' is no spreadsheet formula in the export, and reads back unchanged."""
    import openpyxl

    df = validate_frame(
        pd.DataFrame(
            {
                "response_id": ["r1", "r2"],
                "submitted_at": ["2025-07-01T09:00:00"] * 2,
                "unit_code": ["U1", "U1"],
                "channel": ["qr", "qr"],
                "comment": ['=HYPERLINK("http://x.example","Click")', "-- rất tốt"],
            }
        ),
        instrument,
    )
    path = tmp_path / f"out.{fmt}"
    write_responses(df, path, instrument, format=fmt)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(path).active
        cells = [c for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
        assert [c.data_type for c in cells] == ["s"]
    else:
        assert "'=HYPERLINK" in path.read_text(encoding="utf-8")
    back = read_responses(path, instrument)
    assert back["comment"].tolist() == ['=HYPERLINK("http://x.example","Click")', "-- rất tốt"]


def test_response_id_that_a_spreadsheet_would_run_is_refused(instrument):
    """A response_id starting with '=' is an error naming its row and column."""
    frame = pd.DataFrame(
        {
            "response_id": ["ok-1", "=1+1"],
            "submitted_at": ["2025-07-01T09:00:00"] * 2,
            "unit_code": ["U1", "U1"],
            "channel": ["qr", "qr"],
        }
    )
    with pytest.raises(DataError, match=r"row 3, column response_id: must not start with"):
        validate_frame(frame, instrument)


@pytest.mark.parametrize("rows", [3, 300_000])
def test_text_columns_keep_what_the_file_wrote(instrument, tmp_path, rows):
    """Codes that look like numbers stay text as written ('01' is not 1), also when the parser
    meets them in one block of rows and letters only in a later block (300,000 rows: the
    parser reads in blocks of a few hundred thousand cells); an all-empty column is empty text."""
    header = "response_id,submitted_at,unit_code,point_code,channel,comment,device_hash,flags\n"
    body = [f"{k:07d},2025-07-01T08:00:00,01,007,qr,12,,\n" for k in range(rows - 1)]
    body.append("r-last,2025-07-01T08:00:00,U1,P1,qr,Cần ghế,d1,\n")
    path = tmp_path / "codes.csv"
    path.write_text(header + "".join(body), encoding="utf-8")
    df = read_responses(path, instrument)
    assert df["response_id"].iloc[0] == "0000000" and df["response_id"].iloc[-1] == "r-last"
    assert df["unit_code"].iloc[0] == "01" and df["unit_code"].iloc[-1] == "U1"
    assert df["point_code"].iloc[0] == "007" and df["comment"].iloc[0] == "12"
    assert df["comment"].iloc[-1] == "Cần ghế"
    assert (df["flags"] == "").all() and (df["device_hash"].iloc[:-1] == "").all()
    assert df["unit_code"].value_counts().to_dict() == {"01": rows - 1, "U1": 1}


@pytest.mark.parametrize(
    "when", ["2025-02-30T08:00:00", "2025-06-31T23:59:59", "2025-07-01T23:59:60", "2025-07-01T 8:00:00"]
)
def test_impossible_times_are_refused_not_moved(instrument, when):
    """A date that does not exist is an error naming the row, never a response moved to the
    next day or month (a file where every time has the exported form included)."""
    text = f"response_id,submitted_at,unit_code,channel\nr1,2025-07-01T08:00:00,U1,qr\nr2,{when},U1,qr\n"
    with pytest.raises(
        DataError, match=f"^row 3, column submitted_at: '{re.escape(when)}' is not an ISO 8601"
    ):
        read_text(text, instrument)


@pytest.mark.parametrize("beside", [True, False])
@pytest.mark.parametrize(
    ("rows", "message"),
    [
        # a repeated id and a later problem (channel, code): the repeat is named, as it is checked first
        (
            [ROWS[0], ROWS[0].replace(",qr,", ",fax,"), ROWS[1].replace(",1,,9,", ",1,,7,")],
            "row 3, column response_id: duplicate response_id 'r1'",
        ),
        ([ROWS[0], ROWS[1].replace(",1,,9,", ",1,,7,")], "row 3, column B1.1: 7 is not a code of B1.1"),
        ([ROWS[0], ROWS[0]], "row 3, column response_id: duplicate response_id 'r1'"),
    ],
)
def test_duplicate_check_beside_the_others_keeps_the_order_of_errors(
    instrument, monkeypatch, beside, rows, message
):
    """On large files the duplicate-id check runs on a second thread beside the later checks;
    the first error named is the same as when it runs in its place (here forced on small files)."""
    import analysis.validate as validate

    monkeypatch.setattr(validate, "BACKGROUND_ROWS", 1 if beside else 10**9)
    with pytest.raises(DataError, match=f"^{re.escape(message)}"):
        read_text(csv_text(rows), instrument)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("4", 4),
        ("4.0", 4),  # forms a number parser takes for a whole number
        ("4e0", 4),
        ("+4", 4),
        (" 4", 4),
        ("04", 4),
        ("", None),  # empty: not answered
        ("4.5", "row 2, column B1.1: 4.5 is not a code of B1.1"),
        ("70000", "row 2, column B1.1: 70000 is not a code of B1.1"),
        ("inf", "row 2, column B1.1: inf is not a code of B1.1"),
        ("four", "row 2, column B1.1: 'four' is not a number"),
    ],
)
def test_answer_cells_in_any_number_form(instrument, cell, expected):
    """A code written as 4.0, 4e0 or +4 is the code 4; anything not a whole code is refused with
    the row and column named (an infinity too: it once escaped as a numpy warning)."""
    text = csv_text().replace(",4,5,", f",{cell},5,", 1)
    if isinstance(expected, str):
        with pytest.raises(DataError, match="^" + re.escape(expected)):
            read_text(text, instrument)
        return
    df = read_text(text, instrument)
    assert str(df["B1.1"].dtype) == "Int16"
    first = df["B1.1"].tolist()[0]
    assert pd.isna(first) if expected is None else first == expected


_ARROW_CSV = interchange_module._arrow_csv  # the reader itself, whatever a test patched since


def _both_readers(source, instrument, monkeypatch):
    """The frame (or error text) of read_responses through pyarrow's parser, what that parser
    did with the file ([True]: kept its reading, [False]: stepped aside) and the frame (or
    error text) through pandas' alone."""
    kept: list[bool] = []

    def spy(*args):
        frame = _ARROW_CSV(*args)
        kept.append(frame is not None)
        return frame

    def read(source):
        try:
            return read_responses(source if isinstance(source, Path) else io.BytesIO(source), instrument)
        except DataError as exc:
            return str(exc)

    monkeypatch.setattr(interchange_module, "_arrow_csv", spy)
    first = read(source)
    monkeypatch.setattr(interchange_module, "_arrow_csv", lambda *args: None)
    return first, kept, read(source)


def test_pyarrow_reads_a_file_as_pandas_does(instrument, monkeypatch):
    """The multi-threaded parser gives the very frame pandas gives: a byte-order mark, Windows
    line ends, a comment with a quoted line break, a comma and quotes, codes with leading
    zeros, a defused formula, Vietnamese text, empty text and answer columns, fractional weights."""
    header = csv_text().splitlines()[0]
    rows = [
        ROWS[0].replace("r1,", "007,").replace(",SNV,", ",01,"),
        ROWS[1],
        "r3,2025-07-02T10:30:00,SNV,P2,kiosk,0.1,3,,,,,,",
    ]
    text = csv_text(rows, header + ",comment,device_hash,flags")
    lines = text.splitlines()
    lines[1] += ',"Chờ lâu, ""rất"" lâu\nmà không ai hỏi",d1,'
    lines[2] += ",'=1+1,,"
    lines[3] += ",,,"
    source = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()
    fast, kept, slow = _both_readers(source, instrument, monkeypatch)
    assert kept == [True], "pyarrow stepped aside on a file it reads"
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast["response_id"].tolist()[0] == "007" and fast["unit_code"].tolist()[0] == "01"
    assert fast["comment"].tolist() == ['Chờ lâu, "rất" lâu\nmà không ai hỏi', "=1+1", ""]
    assert fast["weight"].tolist() == [1.0, 2.5, 0.1] and fast["flags"].tolist() == ["", "", ""]


@pytest.mark.parametrize(
    "when",
    [
        "2025-07-01T08:00:00",  # as exported
        "2025-07-01 08:00:00",
        "2025-07-01T08:00",
        "2025-07-01",
        "2025-07-01T08:00:00.25",
        "2025-07-01T08:00:00+07:00",  # pyarrow reads the times as text, pandas converts them
        "2025-07-01T01:00:00Z",
        "",  # empty: the same error either way
        "2025-02-30T08:00:00",
        "2025-07-01T23:59:60",
        "20250701T080000",  # a form only pandas takes
    ],
)
def test_pyarrow_reads_times_as_pandas_does(instrument, monkeypatch, when):
    """Every form of time gives the same local time, or the same error, through either parser."""
    text = f"response_id,submitted_at,unit_code,channel\nr1,2025-07-01T07:00:00,U1,qr\nr2,{when},U1,qr\n"
    fast, kept, slow = _both_readers(text.encode(), instrument, monkeypatch)
    assert kept == [True]
    if isinstance(slow, str):
        assert fast == slow and slow.startswith("row 3, column submitted_at:")
    else:
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        assert fast["submitted_at"].iloc[1].date() == pd.Timestamp("2025-07-01").date()


def test_pyarrow_keeps_line_breaks_across_its_blocks(instrument, monkeypatch):
    """Comments with line breaks all through a file of several megabytes (pyarrow parses it in
    blocks on every core): still read, and read as pandas reads them."""
    header = "response_id,submitted_at,unit_code,channel,comment"
    rows = [f'r{k},2025-07-01T08:00:00,U1,qr,"Dòng một\ndòng hai {k}"' for k in range(60_000)]
    fast, kept, slow = _both_readers(csv_text(rows, header).encode(), instrument, monkeypatch)
    assert kept == [True]
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast["comment"].iloc[-1] == "Dòng một\ndòng hai 59999"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (",4,5,", ",4.0,5,"),  # a whole number written as a decimal: pyarrow refuses it, pandas takes it
        (",4,5,", ",70000,5,"),  # beyond the answer type: pandas names it
        (",4,5,", ",0x4,5,"),  # hexadecimal: pyarrow would read the code 4, pandas names the cell
        (",4,5,", ",0XFFFF,5,"),  # pyarrow would read -1
        ("2.5", "nan"),  # pyarrow would read a missing weight, pandas names the cell
        (",2,2,4,5,1;4,3,35", ",2,2,4"),  # a short row: pandas fills it
        ("2.5", "2.5,extra"),  # a long row
        ("response_id,", "B1.1,"),  # a repeated heading: pandas renames it
    ],
)
def test_pyarrow_steps_aside_where_pandas_reads_otherwise(instrument, monkeypatch, old, new):
    """Where the two parsers could differ, pyarrow's result is not used: the frame or the error
    is exactly the one pandas' reading gives."""
    header = csv_text().splitlines()[0]
    text = csv_text(header=header.replace(old, new, 1)) if old == "response_id," else csv_text()
    if old != "response_id,":
        text = text.replace(old, new, 1)
    fast, kept, slow = _both_readers(text.encode(), instrument, monkeypatch)
    assert kept == [False]
    if isinstance(slow, str):
        assert fast == slow
    else:
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)


@pytest.mark.parametrize(
    "tail",
    [
        'r3,2025-07-01T08:00:00,U1,qr,"Chờ lâu\nr4,2025-07-01T08:00:00,U1,qr,ok\n',  # rows after it
        'r3,2025-07-01T08:00:00,U1,qr,"Chờ lâu\n',
        'r3,2025-07-01T08:00:00,U1,qr,"Chờ lâu',  # no line end after it
        'r3,2025-07-01T08:00:00,U1,qr,"Chờ ""lâu""',  # only quotes written twice after it
    ],
)
def test_a_quote_left_open_at_the_end_is_refused_as_pandas_refuses_it(instrument, monkeypatch, tail):
    """A quote opened in the last column and never closed: pyarrow would read the rest of the
    file into one comment and drop the rows in it; the error is pandas' instead."""
    head = "response_id,submitted_at,unit_code,channel,comment\n"
    body = "".join(f"r{k},2025-07-01T08:00:00,U1,qr,ổn\n" for k in range(3)).replace("r2,", "r9,")
    fast, kept, slow = _both_readers((head + body + tail).encode(), instrument, monkeypatch)
    assert kept == [False] and isinstance(slow, str) and fast == slow
    assert "not a well-formed CSV file" in slow


@pytest.mark.parametrize(
    "tail",
    [
        'r3,2025-07-01T08:00:00,U1,qr,"Chờ ""lâu"""\r\n',  # closed, ending with a quote written twice
        'r3,2025-07-01T08:00:00,U1,qr,"dòng một\ndòng hai\n"\n\n',  # closed, ending with a line break
        "r3,2025-07-01T08:00:00,U1,qr,\n",  # empty
        'r3,2025-07-01T08:00:00,U1,qr,""',  # empty, quoted, no line end
        "r3,2025-07-01T08:00:00,U1,qr,ổn",
    ],
)
def test_a_closed_last_cell_is_read_by_pyarrow(instrument, monkeypatch, tail):
    """The check for a quote left open keeps pyarrow's reading of every properly closed end."""
    head = "response_id,submitted_at,unit_code,channel,comment\nr1,2025-07-01T08:00:00,U1,qr,ổn\n"
    fast, kept, slow = _both_readers((head + tail).encode(), instrument, monkeypatch)
    assert kept == [True]
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


@pytest.mark.parametrize("suffix", [".csv", ".lz4"])
def test_pyarrow_reads_a_file_by_its_content_not_its_name(instrument, monkeypatch, tmp_path, suffix):
    """A plain CSV whose name ends like a compressed file is read as the plain CSV it is."""
    path = tmp_path / f"responses{suffix}"
    path.write_text(csv_text().replace("+07:00", ""), encoding="utf-8")
    fast, kept, slow = _both_readers(path, instrument, monkeypatch)
    assert kept == [True]
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


@pytest.mark.parametrize("ends", ["\r", "\n", "\r\n"])
def test_pyarrow_reads_any_line_end_and_a_heading_alone(instrument, monkeypatch, ends):
    """Old Mac, Unix and Windows line ends; a file with its heading and no responses."""
    text = csv_text().replace("\n", ends)
    fast, kept, slow = _both_readers(text.encode(), instrument, monkeypatch)
    assert kept == [True]
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    heading = text.split(ends)[0] + ends
    fast, kept, slow = _both_readers(heading.encode(), instrument, monkeypatch)
    assert kept == [True] and len(fast) == 0
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def test_pyarrow_steps_aside_on_bytes_that_are_not_utf8(instrument, monkeypatch):
    """A file saved in the Windows Vietnamese code page is refused as pandas refuses it (the
    odd bytes far down the file, beyond what the heading's reading looks at)."""
    rows = [ROWS[0].replace("r1,", f"r{k},") for k in range(20_000)] + [ROWS[1].replace("SNV", "Sơn")]
    source = csv_text(rows).encode("cp1258")
    fast, kept, slow = _both_readers(source, instrument, monkeypatch)
    assert kept == [False] and isinstance(slow, str) and fast == slow
    assert "utf-8" in slow
