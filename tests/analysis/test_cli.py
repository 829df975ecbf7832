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
from analysis.interchange import read_responses
from analysis.serialise import result_frames, to_json_dict, to_table
from analysis.xlsx import SHEETS, write_xlsx

ROOT = DATA.parents[2]
SURVEY = str(DATA / "survey.csv")
ESTIMATE_KEYS = {"value", "se", "ci_low", "ci_high", "n"}


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
        assert set(group["vs_baseline"]) == {"diff_pp", "z", "p_value"}
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
    """--format csv gives one row per group × estimate."""
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
    assert len(rows) == 5 * (3 + 9 + 53)  # 17 service and 36 policy items


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
