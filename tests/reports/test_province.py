"""The province overview and the per-counter results: the numbers of the analysis, scoped."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.admin.conftest import World
from tests.reports.conftest import Answer
from tests.reports.test_unit_report import ROW_VALUES, row


def _cli(runner, *args: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    done = runner.invoke(args=["sipas", "compute", *args, "--format", "json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


def test_overview_equals_sipas_compute_by_unit(as_analyst, runner, answer: Answer, world: World) -> None:
    """Province SIPAS and every unit's SIPAS with its interval are those of `sipas compute --by unit`;
    each unit row carries its rank range."""
    answer(world.point, 40)
    answer(world.other_point, 35)
    expected = _cli(runner, "--by", "unit", "--period", "2026")
    page = as_analyst.get("/reports/province").text
    province = expected["groups"][0]["sipas"]
    shown = [float(v) for v in ROW_VALUES.findall(row(page, "est-sipas"))]
    assert shown == pytest.approx([province["value"], province["ci_low"], province["ci_high"]], rel=1e-12)
    for group in expected["groups"][1:]:
        code, est = group["key"]["unit_code"], group["sipas"]
        html = row(page, f"unit-{code}")
        values = [float(v) for v in ROW_VALUES.findall(html)]
        assert values == pytest.approx([est["value"], est["ci_low"], est["ci_high"]], rel=1e-12), code
        rank = group["rank"]
        assert (
            (f">{rank['rank']}<" in html)
            if rank["best"] == rank["worst"]
            else (f"{rank['rank']} ({rank['best']}–{rank['worst']})" in html)
        )
    listed = re.findall(r'<tr id="unit-([^"]+)">', page)
    assert listed[: len(expected["groups"]) - 1] == sorted(
        [g["key"]["unit_code"] for g in expected["groups"][1:]],
        key=lambda c: next(g["rank"]["rank"] for g in expected["groups"] if g["key"].get("unit_code") == c),
    )


def test_overview_filters_by_kind_and_lists_silent_counters(as_admin, answer: Answer, world: World) -> None:
    """Filtering by kind keeps only that kind; a counter with no response in 7 days is listed."""
    from survey.extensions import db
    from tests.factories import make_point, make_unit

    commune = make_unit("03445", "Xã Mường Tè", "commune", parent=world.province)
    make_point(commune, "Q01", "Bộ phận Một cửa xã Mường Tè")
    db.session.commit()
    answer(world.point, 10)
    page = as_admin.get("/reports/province?kind=commune").text
    assert '<tr id="unit-03408">' not in page
    page = as_admin.get("/reports/province?kind=ward&sort=name").text
    assert '<tr id="unit-03408">' in page
    assert 'id="silent-03445-Q01"' in page and 'id="silent-03388-Q01"' in page
    assert 'id="silent-03408-Q01"' not in page


def test_viewer_may_not_see_the_overview(as_viewer, world: World) -> None:
    """The overview shows every unit's figures: a unit viewer gets 403."""
    assert as_viewer.get("/reports/province").status_code == 403
    assert as_viewer.get("/reports/actions").status_code == 403


def test_admin_home_shows_the_province_figures(as_admin, runner, answer: Answer, world: World) -> None:
    """The admin home shows the province SIPAS of the open period and links to the overview."""
    answer(world.point, 30)
    expected = _cli(runner, "--period", "2026")["groups"][0]["sipas"]
    page = as_admin.get("/admin/").text
    values = [float(v) for v in ROW_VALUES.findall(row(page, "key-sipas"))]
    assert values == pytest.approx([expected["value"], expected["ci_low"], expected["ci_high"]], rel=1e-12)
    assert 'href="/reports/province"' in page


def test_counters_equal_the_analysis_of_the_export(as_admin, answer: Answer, world: World, tmp_path) -> None:
    """Per-counter SIPAS, service and elements with their intervals equal `python -m analysis compute --by
    unit_code,point_code --strata unit_code,point_code` (the app's design) on the unit's exported
    responses; weekly counts show every counter."""
    from survey.extensions import db
    from tests.factories import make_point

    second = make_point(world.ward, "Q02", "Quầy Đất đai")
    db.session.commit()
    answer(world.point, 40)
    answer(second, 31)
    export = tmp_path / "export.csv"
    export.write_bytes(as_admin.get("/reports/03408/responses.csv").data)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "compute",
            str(export),
            "--by",
            "unit_code,point_code",
            "--strata",
            "unit_code,point_code",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = json.loads(done.stdout)["groups"][1:]
    page = as_admin.get("/reports/03408?period=all").text
    assert len(expected) == 2
    for group in expected:
        html = row(page, f"counter-03408-{group['key']['point_code']}")
        wanted = [
            group["sipas"],
            group["service"],
            *(group["elements"][c] for c in ("B1", "B2", "B3", "B4", "B5")),
        ]
        # The page prints each value followed by its interval's bounds, as the CLI computes them.
        printed = [float(v) for v in ROW_VALUES.findall(html)]
        expected_numbers = [
            x for e in wanted if e["value"] is not None for x in (e["value"], e["ci_low"], e["ci_high"])
        ]
        assert printed == pytest.approx(expected_numbers, rel=1e-12)
        assert f">{group['n']} " in html
    weeks = row(page, "weeks-03408-Q02")
    assert sum(int(n) for n in re.findall(r'<td class="n[^"]*">(\d+)', weeks)) == 31
