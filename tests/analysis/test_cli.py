"""The command line (SPEC 3.4), the index JSON (SPEC 3.6), the other outputs and package purity."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from analysis_fixtures import DATA, frame

from analysis.cli import main
from analysis.compute import compute_indices
from analysis.errors import DataError
from analysis.interchange import read_responses
from analysis.serialise import result_frames, to_csv, to_json_dict, to_table
from analysis.weighting import read_counts
from analysis.xlsx import SHEETS, write_xlsx

ROOT = DATA.parents[2]
SURVEY = str(DATA / "survey.csv")
ESTIMATE_KEYS = {"value", "se", "ci_low", "ci_high", "n"}
VARIED_ROW = {f"B{e}.{k}": 1 + (e * 3 + k) % 5 for e, k in ((1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3))}
VARIED_ROW |= {"B3.1": 4, "B3.2": 2, "B3.3": 5, "B5.1": 3}


@pytest.fixture(scope="module")
def result(instrument):
    """The survey file by unit with clusters and weights."""
    df = read_responses(SURVEY, instrument)
    return compute_indices(df, instrument, by="unit_code", cluster="point_code", weight="weight")


def test_json_follows_spec(capsys):
    """The JSON has the SPEC 3.6 keys at every level, the whole selection first with key {}."""
    code = main(["compute", SURVEY, "--by", "unit_code", "--cluster", "point_code", "--weight", "weight"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"instrument", "confidence", "baseline", "national", "groups"} <= set(doc)
    assert (doc["instrument"], doc["confidence"], doc["baseline"], doc["national"]) == (
        "sipas-2025",
        0.95,
        81.51,
        83.94,
    )
    assert [g["key"] for g in doc["groups"]] == [{}, *({"unit_code": f"U{k}"} for k in range(1, 5))]
    for group in doc["groups"]:
        assert {"key", "n", "sipas", "policy", "service", "elements", "items", "vs_baseline", "flags"} <= set(
            group
        )
        for name in ("sipas", "policy", "service", *group["elements"].values(), *group["items"].values()):
            entry = group[name] if isinstance(name, str) else name
            assert set(entry) >= ESTIMATE_KEYS
        assert set(group["vs_baseline"]) == {"diff_pp", "z", "t", "df", "p_value"}
        assert {"df", "improve_first", "improve_first_left", "e1", "outcome", "including_flagged"} <= set(
            group
        )
        assert list(group["elements"]) == ["B1", "B2", "B3", "B4", "B5", "A1", "A2", "A3", "A4"]


def test_null_estimates_are_null_with_a_flag(instrument):
    """An item without data is null (never 0) in the JSON and its group says no_data."""
    df = frame(instrument, [{"B1.1": 4}, {"B1.1": 2, "unit_code": "U2"}])
    doc = to_json_dict(compute_indices(df, instrument, by="unit_code"))
    for group in doc["groups"]:
        assert group["items"]["B1.1"]["value"] is not None
        assert group["items"]["B2.1"] == {
            "value": None,
            "se": None,
            "ci_low": None,
            "ci_high": None,
            "n": 0,
            "df": None,
            "n_eff": None,
            "ci_method": None,
            "flags": ["no_data"],
        }
        assert group["sipas"]["value"] is None and group["vs_baseline"]["diff_pp"] is None
        assert {"no_data:B2.1", "incomplete:B2", "missing_service", "missing_policy"} <= set(group["flags"])


def test_confidence_option_widens_intervals(capsys):
    """--confidence 0.99 gives wider intervals than the default 0.95."""
    main(["compute", SURVEY, "--confidence", "0.99"])
    wide = json.loads(capsys.readouterr().out)["groups"][0]["sipas"]
    main(["compute", SURVEY])
    narrow = json.loads(capsys.readouterr().out)["groups"][0]["sipas"]
    assert wide["ci_high"] - wide["ci_low"] > narrow["ci_high"] - narrow["ci_low"]
    assert wide["value"] == narrow["value"]


def test_csv_format_is_tidy(capsys):
    """--format csv gives per group one group row, then one row per estimate."""
    main(["compute", SURVEY, "--by", "unit_code", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["code"] for r in rows if r["level"] == "element"} == {
        "B1",
        "B2",
        "B3",
        "B4",
        "B5",
        "A1",
        "A2",
        "A3",
        "A4",
    }
    # the group, SIPAS and sub-indices, elements, 17 service and 36 policy items, B0, 6 E1 options
    assert len(rows) == 5 * (1 + 3 + 9 + 53 + 1 + 6)


def test_table_format_is_readable(result):
    """The table shows each group with SIPAS rounded to 2 decimals."""
    text = to_table(result)
    assert "unit_code=U3" in text and f"{result.group().sipas.value:6.2f}" in text


def test_result_frames_and_xlsx(result, tmp_path):
    """Frames per level feed an XLSX with one sheet each."""
    frames = result_frames(result)
    assert {"indices", "elements", "items", "priorities", "alpha", "quality"} <= set(frames)
    path = tmp_path / "report.xlsx"
    write_xlsx(result, path)
    import openpyxl

    names = [SHEETS[k] for k in ("indices", "elements", "items", "priorities")]
    assert set(openpyxl.load_workbook(path).sheetnames) >= set(names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "nowhere"], "column nowhere"),
        (["--confidence", "1.5"], "confidence"),
        (["--instrument", "no-such-instrument"], "instrument file not found"),
    ],
)
def test_bad_options_exit_2_with_one_line(capsys, args, message):
    """Bad input: exit code 2, one line on stderr naming the problem, nothing on stdout."""
    assert main(["compute", SURVEY, *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err


def test_module_entry_point_reports_bad_rows(tmp_path):
    """python -m analysis on a file with a bad cell exits 2 naming row and column, stdout empty."""
    bad = tmp_path / "bad.csv"
    lines = (DATA / "survey.csv").read_text().splitlines()
    fields = lines[6].split(",")
    fields[8] = "7"  # B1.1 of the sixth response
    bad.write_text("\n".join([*lines[:6], ",".join(fields), *lines[7:]]) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "compute", str(bad)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "error: row 7, column B1.1: 7 is not a code of B1.1 (1, 2, 3, 4, 5, 9)"


def test_analysis_imports_no_web_stack():
    """Importing analysis loads no Flask, SQLAlchemy, Werkzeug or R survey bridge."""
    code = "import sys, analysis, analysis.cli; print(sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in eval(done.stdout)}  # noqa: S307 - our own output
    assert not loaded & {"flask", "sqlalchemy", "werkzeug", "survey", "jinja2"}


def test_csv_carries_group_counts_and_reasons(instrument):
    """The level=group row has n, the exclusion counts and the group flags (e.g. incomplete:B4)."""
    rows = [dict(VARIED_ROW, S1=1, duration_s=300, unit_code="U1") for _ in range(4)]
    rows += [dict(VARIED_ROW, S1=1, duration_s=5, unit_code="U2") for _ in range(2)]
    buf = io.StringIO()
    to_csv(compute_indices(frame(instrument, rows), instrument, by="unit_code"), buf)
    groups = {r["unit_code"]: r for r in csv.DictReader(io.StringIO(buf.getvalue())) if r["level"] == "group"}
    assert set(groups) == {"", "U1", "U2"}
    assert (groups[""]["n"], groups[""]["responses"], groups[""]["speeder"], groups[""]["excluded"]) == (
        "4",
        "6",
        "2",
        "2",
    )
    assert {"incomplete:B4", "missing_policy"} <= set(groups["U1"]["flags"].split(";"))
    assert "all_excluded" in groups["U2"]["flags"].split(";")


def test_infinite_dossiers_are_rejected():
    """A count of inf is not a count: DataError with its row."""
    with pytest.raises(DataError, match="row 3, column dossiers"):
        read_counts(io.StringIO("point_code,dossiers\nP1,4\nP2,inf\n"))


@pytest.mark.parametrize(
    ("option", "value"), [("--baseline", "nan"), ("--baseline", "inf"), ("--confidence", "nan")]
)
def test_non_finite_options_exit_2(capsys, option, value):
    """--baseline nan / inf and --confidence nan are bad input naming the option, not NaN in JSON."""
    assert main(["compute", SURVEY, option, value]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and option.strip("-") in err


@pytest.mark.parametrize("content", ['["x"]', '{"P1": 5}', '"mon-fri 07:00-11:00"'])
def test_opening_hours_file_must_map_points_to_text(capsys, tmp_path, content):
    """An opening-hours file that is not an object of point → text exits 2 with one line."""
    path = tmp_path / "hours.json"
    path.write_text(content, encoding="utf-8")
    assert main(["compute", SURVEY, "--opening-hours", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "opening hours file" in err


@pytest.mark.parametrize("args", [["compute", SURVEY, "--format", "xml"], ["compute"], ["export"]])
def test_usage_errors_are_one_line(capsys, args):
    """A usage mistake prints one line 'error: …' on stderr and exits 2."""
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    assert done.value.code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
