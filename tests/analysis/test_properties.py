"""Properties that must hold for any data (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.compute import compute_indices
from analysis.instrument import load_instrument
from analysis.interchange import validate_frame

INSTRUMENT = load_instrument("sipas-2025")
ITEMS = ["B1.1", "B1.2", "B2.1", "B3.1", "B4.1", "B5.1", "A1.G1", "A1.G2", "A2.G1", "A3.G1", "A4.G1"]
ANSWER = st.sampled_from([None, 1, 2, 3, 4, 5, 9])
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def responses(draw) -> pd.DataFrame:
    """A small valid frame: 1-30 responses over up to 3 units and 4 points, random weights."""
    n = draw(st.integers(1, 24))
    rows = []
    for k in range(n):
        row = {code: draw(ANSWER) for code in ITEMS}
        group = draw(st.sampled_from(["G1", "G2"]))
        for code in ITEMS:
            if code.startswith("A") and not code.endswith(group):
                row[code] = None
        row["S1"] = 2 if row["B4.1"] is not None else draw(st.sampled_from([1, 2, 3]))
        row.update(
            response_id=f"r{k}",
            submitted_at="2025-07-01T09:00:00",
            unit_code=draw(st.sampled_from(["U1", "U2", "U3"])),
            point_code=draw(st.sampled_from(["P1", "P2", "P3", "P4"])),
            channel="qr",
            weight=draw(st.floats(0.1, 5.0)),
        )
        rows.append(row)
    return validate_frame(pd.DataFrame(rows), INSTRUMENT)


def _estimates(result):
    for group in result.groups:
        yield from (group.sipas, group.policy, group.service, *group.elements.values(), *group.items.values())


def _values(result):
    return [(e.value, e.se) for e in _estimates(result)]


def _same_se(a: float, b: float) -> bool:
    """SEs agree up to rounding (a zero variance can carry ~1e-15 of noise, 1e-7 after sqrt)."""
    return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-6)


OPTIONS = {"by": "unit_code", "cluster": "point_code", "weight": "weight", "include_flagged": True}


@SETTINGS
@given(responses())
def test_indices_stay_within_0_and_100(df):
    """Every estimate and interval lies in [0, 100]; an SE is never negative."""
    for e in _estimates(compute_indices(df, INSTRUMENT, **OPTIONS)):
        if e.value is not None:
            low, high = e.confidence_interval()
            assert 0 <= e.value <= 100 and (e.se is None or e.se >= 0)
            if low is not None:
                assert 0 <= low <= e.value <= high <= 100


def _alike_within_strata(df: pd.DataFrame, code: str, strata: str, weight: pd.Series) -> bool:
    """Whether each stratum's responses are alike for an item: the same ``w·(y − p·x)`` (a
    response without a valid answer, x = 0, agrees only when everyone valid agrees with p)."""
    y = df[code].isin([4, 5]).to_numpy(dtype=float)
    x = df[code].isin([1, 2, 3, 4, 5]).to_numpy(dtype=float)
    w = weight.to_numpy(dtype=float)
    p = (w * y).sum() / (w * x).sum()
    score = pd.Series(np.round(w * (y - p * x), 9), index=df.index)
    return bool((score.groupby(df[strata]).nunique() <= 1).all())


@SETTINGS
@given(responses())
def test_zero_se_only_when_every_answer_is_alike_within_strata(df):
    """se = 0 only with the flag no_variance, and for an item only when its answers are alike
    within every stratum of the domain (counters as strata, weighted)."""
    options = {"by": "unit_code", "strata": "point_code", "weight": "weight", "include_flagged": True}
    result = compute_indices(df, INSTRUMENT, **options)
    for group in result.groups:
        rows = df if not group.key else df[df["unit_code"] == group.key["unit_code"]]
        for e in (group.sipas, group.policy, group.service, *group.elements.values()):
            assert e.se != 0 or "no_variance" in e.flags
        for code, e in group.items.items():
            if e.se == 0:
                assert "no_variance" in e.flags
                assert _alike_within_strata(rows, code, "point_code", rows["weight"]), (group.key, code)


@SETTINGS
@given(responses(), st.randoms(use_true_random=False))
def test_permuting_rows_changes_nothing(df, rnd):
    """The order of the responses does not matter."""
    order = list(range(len(df)))
    rnd.shuffle(order)
    before = _values(compute_indices(df, INSTRUMENT, **OPTIONS))
    after = _values(compute_indices(df.iloc[order], INSTRUMENT, **OPTIONS))
    for (v1, s1), (v2, s2) in zip(before, after, strict=True):
        assert (v1 is None) == (v2 is None) and (s1 is None) == (s2 is None)
        if v1 is not None:
            assert math.isclose(v1, v2, abs_tol=1e-9) and (s1 is None or _same_se(s1, s2))


@SETTINGS
@given(responses(), st.floats(0.01, 100.0))
def test_scaling_all_weights_changes_no_value(df, factor):
    """Multiplying every weight by the same factor changes no value and no SE."""
    scaled = df.assign(weight=df["weight"] * factor)
    before = _values(compute_indices(df, INSTRUMENT, **OPTIONS))
    after = _values(compute_indices(scaled, INSTRUMENT, **OPTIONS))
    for (v1, s1), (v2, s2) in zip(before, after, strict=True):
        if v1 is not None:
            assert math.isclose(v1, v2, abs_tol=1e-9) and (s1 is None) == (s2 is None)
            assert s1 is None or _same_se(s1, s2)


@SETTINGS
@given(responses())
def test_item_without_valid_answers_is_null_not_zero(df):
    """Blanking an item (or making it all 'don't know') gives null with no_data, never 0."""
    blank = df.assign(**{"B1.2": pd.array([9] * len(df), dtype="Int16")})
    result = compute_indices(blank, INSTRUMENT, **OPTIONS)
    for group in result.groups:
        assert group.items["B1.2"].value is None and group.items["B1.2"].n == 0
        assert "no_data:B1.2" in group.flags
    assert not np.isnan([v for v, _ in _values(result) if v is not None]).any()
