"""`sipas compute` gives the numbers of `python -m analysis compute` on the exported data."""

from __future__ import annotations

import contextlib
import io
import json

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from analysis.cli import main as analysis_main
from survey.models import ServicePoint
from survey.periods import local_today
from tests.factories import make_open_point
from tests.survey_client import open_form, post_answers


def numbers_equal(a, b) -> bool:  # type: ignore[no-untyped-def]
    """Deep equality with floats compared to 1e-9 relative."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(numbers_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(numbers_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12)
    return a == b


@pytest.fixture
def demo(runner):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["sipas", "seed-demo", "--responses", "400"])
    assert result.exit_code == 0, result.output
    return runner


@pytest.mark.parametrize(("by", "column"), [(None, None), ("unit", "unit_code"), ("month", "month")])
def test_app_and_analysis_package_agree(demo, tmp_path, by, column):
    """The JSON of `flask sipas compute` equals `python -m analysis compute` on the export."""
    args = ["sipas", "compute", "--format", "json"] + (["--by", by] if by else [])
    app_json = json.loads(demo.invoke(args=args).output)
    export = tmp_path / "export.csv"
    assert demo.invoke(args=["sipas", "export-responses", "--out", str(export)]).exit_code == 0
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = analysis_main(
            ["compute", str(export), "--weight", "weight", "--strata", "unit_code,point_code"]
            + ["--format", "json"]
            + (["--by", column] if column else [])
        )
    assert code == 0
    package_json = json.loads(out.getvalue())
    assert len(app_json["groups"]) == (1 if by is None else len(package_json["groups"])) >= 1
    assert numbers_equal(app_json, package_json)
    assert app_json["baseline"] == 81.51 and app_json["national"] == 83.94


def test_compute_for_one_unit_matches_its_group_in_the_province_run(demo):
    """A unit's own computation shows exactly its numbers in the province-wide run by unit."""
    province = json.loads(demo.invoke(args=["sipas", "compute", "--by", "unit", "--format", "json"]).output)
    one = json.loads(
        demo.invoke(args=["sipas", "compute", "--unit", "03408", "--by", "unit", "--format", "json"]).output
    )
    [group] = [g for g in province["groups"] if g["key"] == {"unit_code": "03408"}]
    [mine] = [g for g in one["groups"] if g["key"] == {"unit_code": "03408"}]
    for level in ("sipas", "policy", "service"):
        assert numbers_equal(mine[level], group[level])


def test_xlsx_has_a_sheet_per_level(demo, tmp_path):
    """--format xlsx writes a workbook with the indices, elements, criteria, priorities and quality."""
    out = tmp_path / "result.xlsx"
    result = demo.invoke(args=["sipas", "compute", "--by", "unit", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    as_json = json.loads(demo.invoke(args=["sipas", "compute", "--by", "unit", "--format", "json"]).output)
    book = load_workbook(out, read_only=True)
    assert {
        "SIPAS và chỉ số thành phần",
        "Yếu tố",
        "Tiêu chí",
        "Ưu tiên cải thiện",
        "Chất lượng dữ liệu",
    } <= set(book.sheetnames)
    rows = list(book["SIPAS và chỉ số thành phần"].iter_rows(values_only=True))
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert (first["level"], first["code"]) == ("sipas", "sipas")
    assert first["value"] == pytest.approx(as_json["groups"][0]["sipas"]["value"])


def test_bad_options_fail_with_one_line(demo, tmp_path):
    """Unknown period or unit, and xlsx without --out, are one-line errors with no output file."""
    for args, message in [
        (["--period", "1990"], "unknown period code '1990'"),
        (["--unit", "XX"], "unknown unit code 'XX'"),
        (["--format", "xlsx"], "--out"),
    ]:
        result = demo.invoke(args=["sipas", "compute", *args])
        assert result.exit_code != 0 and message in result.output


def test_export_carries_the_quality_flags(runner, db, client, tmp_path):
    """A response outside the counter's opening hours is exported with the after_hours flag."""
    point = make_open_point()
    other_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(local_today().weekday() + 3) % 7]
    db.session.execute(update(ServicePoint).values(opening_hours=f"{other_day} 07:00-11:00"))
    db.session.commit()
    t, csrf = open_form(client, point.token)
    post_answers(client, point.token, t, csrf, {"B1.1": "4"})
    out = tmp_path / "flags.csv"
    assert runner.invoke(args=["sipas", "export-responses", "--out", str(out)]).exit_code == 0
    assert "after_hours" in out.read_text(encoding="utf-8").splitlines()[1]


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_output_to_a_missing_folder_is_one_line_and_leaves_nothing(demo, tmp_path, fmt):
    """--out in a folder that does not exist is a one-line error; no .part file is left."""
    out = tmp_path / "missing" / f"r.{fmt}"
    result = demo.invoke(args=["sipas", "compute", "--format", fmt, "--out", str(out)])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [f"Error: --out: folder '{out.parent}' does not exist"]
    assert not out.parent.exists() and not list(tmp_path.glob("**/*.part"))


def test_one_units_priorities_match_the_province_run(demo):
    """`--unit` uses the province's importances for a small unit, so its 'improve first' matches."""
    province = json.loads(demo.invoke(args=["sipas", "compute", "--by", "unit", "--format", "json"]).output)
    one = json.loads(
        demo.invoke(args=["sipas", "compute", "--unit", "03408", "--by", "unit", "--format", "json"]).output
    )
    [group] = [g for g in province["groups"] if g["key"] == {"unit_code": "03408"}]
    [mine] = [g for g in one["groups"] if g["key"] == {"unit_code": "03408"}]
    assert group["n"] < 100  # so the importances come from outside the unit

    def without_source(priorities):  # type: ignore[no-untyped-def]
        return [{k: v for k, v in p.items() if k != "importance_from"} for p in priorities]

    assert without_source(mine["priorities"]) == without_source(group["priorities"])
    assert len(mine["priorities"]) == 5
    assert {p["importance_from"] for p in mine["priorities"]} == {"reference"}


ROWS_AND_CELLS = [
    [],
    ["--by", "unit"],
    ["--by", "point"],
    ["--by", "month"],
    ["--by", "quarter"],
    ["--by", "unit", "--include-flagged"],
    ["--unit", "03408", "--by", "unit"],
    ["--confidence", "0.9", "--by", "month"],
]


@pytest.mark.parametrize("extra", ROWS_AND_CELLS, ids=lambda a: " ".join(a) or "province")
def test_stored_cells_give_the_numbers_of_the_rows(demo, extra):
    """`sipas compute` adds up the stored cells; `--from-rows` pivots every response: equal."""
    args = ["sipas", "compute", "--format", "json", *extra]
    cells = demo.invoke(args=args)
    rows = demo.invoke(args=[*args, "--from-rows"])
    assert cells.exit_code == 0 and rows.exit_code == 0, cells.output + rows.output
    from_cells, from_rows = json.loads(cells.output), json.loads(rows.output)
    assert from_rows["groups"] and from_rows["groups"][0]["sipas"]["value"] is not None
    assert numbers_equal(from_cells, from_rows)


def test_stored_cells_give_the_numbers_of_the_rows_with_dossier_counts(demo, tmp_path):
    """Post-stratified to dossier counts per counter and month, cells and rows still agree."""
    export = tmp_path / "export.csv"
    assert demo.invoke(args=["sipas", "export-responses", "--out", str(export)]).exit_code == 0
    frame = pd.read_csv(export, dtype=str)
    cells = sorted(
        set(zip(frame["unit_code"], frame["point_code"], frame["submitted_at"].str[:7], strict=True))
    )
    counts = tmp_path / "counts.csv"
    lines = [f"{u},{p},{m},{10 + 7 * (n % 5)}" for n, (u, p, m) in enumerate(cells)]
    counts.write_text("unit_code,point_code,month,dossiers\n" + "\n".join(lines) + "\n", "utf-8")
    assert demo.invoke(args=["sipas", "import-dossiers", str(counts)]).exit_code == 0
    for extra in ([], ["--by", "unit"]):
        args = ["sipas", "compute", "--format", "json", "--dossiers", *extra]
        from_cells = json.loads(demo.invoke(args=args).output)
        from_rows = json.loads(demo.invoke(args=[*args, "--from-rows"]).output)
        assert from_cells["design"]["poststrata"] == from_rows["design"]["poststrata"] is not None
        assert numbers_equal(from_cells, from_rows)
    plain = json.loads(demo.invoke(args=["sipas", "compute", "--format", "json", "--no-dossiers"]).output)
    assert plain["groups"][0]["sipas"]["value"] != from_cells["groups"][0]["sipas"]["value"]
