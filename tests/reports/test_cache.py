"""Report cache: a second view renders from the stored result; a new response makes it stale."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import ReportCache
from survey.reports import indices
from tests.admin.conftest import World
from tests.reports.conftest import Answer


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every index computation the report module runs, by grouping."""
    calls: list[str] = []
    real = indices.compute_cells

    def counting(cells, by, *args):  # type: ignore[no-untyped-def]
        calls.append(by)
        return real(cells, by, *args)

    monkeypatch.setattr(indices, "compute_cells", counting)
    return calls


def _rows() -> list[ReportCache]:
    return list(db.session.scalars(select(ReportCache).where(ReportCache.scope.like("report:%"))))


def test_second_view_uses_the_cache(as_viewer, answer: Answer, computations: list[str], world: World) -> None:
    """The first view computes and stores one row; the second computes nothing and keeps the row."""
    answer(world.point, 10)
    assert as_viewer.get("/reports/03408").status_code == 200
    first = list(computations)
    assert "unit" in first and "month" in first
    [row] = _rows()
    stored = (row.id, row.version, row.computed_at)
    assert as_viewer.get("/reports/03408").status_code == 200
    assert computations == first
    [row] = _rows()
    assert (row.id, row.version, row.computed_at) == stored


def test_new_response_recomputes(as_viewer, answer: Answer, computations: list[str], world: World) -> None:
    """A response added after the first view changes the data version: the next view recomputes."""
    answer(world.point, 10)
    as_viewer.get("/reports/03408")
    done, before = len(computations), _rows()[0].version
    answer(world.point, 1)
    page = as_viewer.get("/reports/03408").text
    assert len(computations) > done
    [row] = _rows()
    assert row.version != before
    assert re.search(r'<div class="kpi" id="est-sipas">.*?<span class="cnt">11</span>', page, re.S)


def test_periods_are_cached_apart(as_viewer, answer: Answer, computations: list[str], world: World) -> None:
    """The open period and "all periods" are two cache rows of the same unit."""
    answer(world.point, 3)
    as_viewer.get("/reports/03408")
    as_viewer.get("/reports/03408?period=all")
    assert sorted(r.scope.rsplit(":", 1)[1] for r in _rows())[1] == "all"
    assert len(_rows()) == 2


def test_response_elsewhere_in_the_province_recomputes(
    as_viewer, answer: Answer, computations: list[str], world: World
) -> None:
    """A unit report borrows the province's importances, so a response in any unit makes it stale."""
    from tests.factories import make_point, make_unit

    far = make_point(make_unit("LC-SNV", "Sở Nội vụ tỉnh Lai Châu", "department", parent=world.province))
    db.session.commit()
    answer(world.point, 10)
    as_viewer.get("/reports/03408")
    done, own = len(computations), _rows()[0].version
    answer(far, 1)
    as_viewer.get("/reports/03408")
    assert len(computations) > done
    [row] = _rows()
    assert row.version == own  # the unit's own data did not change
