"""Edge cases of the index computation: empty groups, lonely clusters, extreme weights, gaps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from analysis_fixtures import SERVICE_ITEMS, frame, full_row

from analysis.compute import compute_indices


def varied(seed: int, n: int, **extra) -> list[dict]:
    """n responses with random answers to the service items and B0 (no quality flag fires)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        row = {code: int(rng.integers(1, 6)) for code in [*SERVICE_ITEMS, "B0"]}
        rows.append(row | {"duration_s": 300} | extra)
    return rows


def test_group_with_every_response_flagged_is_shown(instrument):
    """A unit whose 3 responses are all speeders is listed with n = 0, null values and its counts."""
    rows = varied(1, 40, unit_code="U1") + varied(2, 3, unit_code="U2", duration_s=5)
    result = compute_indices(frame(instrument, rows), instrument, by="unit_code")
    assert [dict(g.key) for g in result.groups] == [{}, {"unit_code": "U1"}, {"unit_code": "U2"}]
    u2 = result.group(unit_code="U2")
    assert u2.n == 0 and u2.sipas.value is None and u2.service.value is None
    assert "all_excluded" in u2.flags and "no_data" in u2.service.flags
    assert (u2.quality["responses"], u2.quality["speeder"], u2.quality["excluded"]) == (3, 3, 3)
    assert u2.priorities == () and u2.rank.rank is None
    assert result.group(unit_code="U1").n == 40


def test_huge_finite_weights_equal_unit_weights(instrument):
    """Weights of 1e307 each give the values and SEs of weight 1 (a common factor cancels)."""
    rows = [full_row(1 + k % 5, 1 + k * 3 % 5) for k in range(40)]
    ones = compute_indices(
        frame(instrument, rows, weight=1), instrument, weight="weight", include_flagged=True
    )
    huge = compute_indices(
        frame(instrument, rows, weight=1e307), instrument, weight="weight", include_flagged=True
    )
    for name in ("sipas", "service", "policy"):
        a, b = getattr(ones.group(), name), getattr(huge.group(), name)
        assert (b.value, b.se) == pytest.approx((a.value, a.se), rel=1e-12)


def test_single_response_unit_claims_no_precision(instrument):
    """One response: no SE (one PSU), no needed_for_5pp and the rank range [1, 2]."""
    rows = [dict(full_row(4 + k % 2, 3 + k % 3), unit_code="U1") for k in range(40)]
    rows.append(dict(full_row(1, 1), unit_code="U2"))  # SIPAS 0, far below U1's interval
    result = compute_indices(frame(instrument, rows), instrument, by="unit_code", include_flagged=True)
    lonely, other = result.group(unit_code="U2"), result.group(unit_code="U1")
    assert lonely.sipas.se is None and "single_cluster" in lonely.flags
    assert "single_cluster" in lonely.sipas.flags and lonely.sipas.confidence_interval() == (None, None)
    assert lonely.needed_for_5pp is None
    # With U2's interval [0, 100] it overlaps U1's: by hand, both ranks may be 1 or 2.
    assert (lonely.rank.best, lonely.rank.worst) == (1, 2)
    assert (other.rank.best, other.rank.worst) == (1, 2)
    assert other.needed_for_5pp is not None


# B1.1 = 5, 1, 5, 5 (S = 75 %, X = 4): z = 100 (y − 0.75 x) / 4 = 6.25, −18.75, 6.25, 6.25.
MISSING_DESIGN = [{"B1.1": a} for a in (5, 1, 5, 5)]


def test_missing_cluster_is_its_own_cluster(instrument):
    """Cluster NaN, NaN, c, c: three clusters 6.25, −18.75, 12.5 → Var = 3/2 · 546.875, by hand."""
    df = frame(instrument, MISSING_DESIGN).assign(point_code=[np.nan, None, "c", "c"])
    item = compute_indices(df, instrument, cluster="point_code", include_flagged=True).group().items["B1.1"]
    assert item.value == 75.0
    assert item.se == pytest.approx(math.sqrt(1.5 * (6.25**2 + 18.75**2 + 12.5**2)), rel=1e-12)


def test_missing_stratum_is_the_empty_stratum(instrument):
    """Strata NaN, NaN, s, s: stratum '' gives 2 · (12.5² + 12.5²), stratum s 0 → SE 25, by hand."""
    df = frame(instrument, MISSING_DESIGN).assign(stratum=[np.nan, np.nan, "s", "s"])
    item = compute_indices(df, instrument, strata="stratum", include_flagged=True).group().items["B1.1"]
    assert item.se == pytest.approx(25.0, rel=1e-12)


def _driven(n: int, seed: int, unit: str, sign: int) -> list[dict]:
    """n responses whose B1.1 follows B0 (sign 1) or runs against it (sign −1); B1.2 is noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        b0 = int(rng.integers(1, 6))
        rows.append({"B0": b0, "B1.1": b0 if sign > 0 else 6 - b0, "B1.2": int(rng.integers(1, 6))})
    return [r | {"unit_code": unit} for r in rows]


def test_small_unit_borrows_importance_from_the_reference(instrument):
    """A unit of 60 responses alone, given the province, ranks as in the province run by unit."""
    province = frame(instrument, _driven(150, 1, "BIG", 1) + _driven(60, 2, "SMALL", -1))
    small = province[province["unit_code"] == "SMALL"]
    options = {"by": "unit_code", "strata": "unit_code", "include_flagged": True}
    wide = compute_indices(province, instrument, **options)
    alone = compute_indices(small, instrument, importance_from=province, **options)
    expected = wide.group(unit_code="SMALL").priorities
    got = alone.group(unit_code="SMALL").priorities
    assert [(p.item, p.importance, p.score) for p in got] == [
        (p.item, p.importance, p.score) for p in expected
    ]
    assert {p.importance_from for p in got} == {"reference"}
    # The province run falls back to its whole selection, the province itself.
    assert {p.importance_from for p in expected} == {"selection"}


def test_undefined_importance_falls_back_per_item(instrument):
    """A unit of 100 with a constant B0 takes the selection's rho (1 for B1.1, by construction)."""
    flat = [{"B0": 3, "B1.1": 1 + k % 5, "unit_code": "FLAT"} for k in range(100)]
    rows = flat + _driven(50, 3, "OTHER", 1)
    result = compute_indices(frame(instrument, rows), instrument, by="unit_code", include_flagged=True)
    first = result.group(unit_code="FLAT").priorities[0]
    assert first.item == "B1.1" and first.importance_from == "selection"
    assert first.importance == result.group().priorities[0].importance


def test_item_without_importance_is_not_ranked(instrument):
    """An item answered 3 by everyone has no rho with B0: it is left out, not scored 0."""
    rows = [{"B0": 1 + k % 5, "B1.1": 1 + k % 5, "B1.2": 3} for k in range(40)]
    group = compute_indices(frame(instrument, rows), instrument, include_flagged=True).group()
    assert [p.item for p in group.priorities] == ["B1.1"]
    assert all(np.isfinite(p.importance) for p in group.priorities)
    assert {x.code: x.reason for x in group.improve_left}["B1.2"] == "no_importance"
