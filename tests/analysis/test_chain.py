"""The index chain of METHOD §2 on tiny frames, against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from analysis_fixtures import frame, full_row

from analysis.chain import chain_coefficients
from analysis.compute import compute_indices as _compute
from analysis.errors import InstrumentError
from analysis.instrument import INSTRUMENT_DIR, load_instrument


def compute_indices(df, instrument, **options):
    """The indices with every response kept (the hand-made rows are deliberately uniform)."""
    return _compute(df, instrument, include_flagged=True, **options)


def test_item_rate_counts_satisfied_over_valid(instrument):
    """Answers 4, 5, 2 and 'don't know' give 2 satisfied of 3 valid: 66.67 %, n = 3."""
    df = frame(instrument, [{"B1.1": 4}, {"B1.1": 5}, {"B1.1": 2}, {"B1.1": 9}])
    item = compute_indices(df, instrument).group().items["B1.1"]
    assert math.isclose(item.value, 200 / 3)
    assert item.n == 3


def test_item_se_by_hand(instrument):
    """z_r = (y_r − p x_r)/X = 1/9, 1/9, −2/9, 0; Var = 4/3 · Σ z² = 24/243 (in proportions)."""
    df = frame(instrument, [{"B1.1": 4}, {"B1.1": 5}, {"B1.1": 2}, {"B1.1": 9}])
    item = compute_indices(df, instrument).group().items["B1.1"]
    assert math.isclose(item.se, 100 * math.sqrt(24 / 243))


def test_weighted_rate(instrument):
    """Weights 1, 2, 3 on answers 4, 2, 5: 100 · (1 + 3) / 6 = 66.67 %."""
    df = frame(instrument, [{"B1.1": 4, "weight": 1}, {"B1.1": 2, "weight": 2}, {"B1.1": 5, "weight": 3}])
    item = compute_indices(df, instrument, weight="weight").group().items["B1.1"]
    assert math.isclose(item.value, 400 / 6)


def test_element_is_mean_of_items_with_data(instrument):
    """B1 = mean(100, 0) over B1.1 and B1.2; B1.3 has no answer and is left out, not counted as 0."""
    df = frame(instrument, [{"B1.1": 5, "B1.2": 1}, {"B1.1": 4, "B1.2": 2}])
    group = compute_indices(df, instrument).group()
    assert group.items["B1.3"].value is None
    assert group.elements["B1"].value == 50.0
    assert "no_data:B1.3" in group.flags


def test_subindex_and_sipas_by_hand(instrument):
    """Service all satisfied (100) and policy half satisfied (50): SIPAS = (100 + 50) / 2 = 75."""
    rows = [full_row(5, 5, "G1"), full_row(4, 1, "G2"), full_row(5, 4, "G1"), full_row(4, 2, "G2")]
    group = compute_indices(df := frame(instrument, rows), instrument).group()
    assert len(df) == 4
    assert group.service.value == 100.0
    assert group.elements["A1"].value == 50.0  # mean over groups with data: G1 100, G2 0
    assert group.policy.value == 50.0
    assert group.sipas.value == 75.0


def test_missing_policy_makes_sipas_null_not_zero(instrument):
    """Without policy answers SIPAS is null with missing_policy; the service sub-index stays."""
    df = frame(
        instrument, [full_row(5, 5, "G1") | {"A1.G1": None, "A2.G1": None, "A3.G1": None, "A4.G1": None}]
    )
    group = compute_indices(df, instrument).group()
    assert group.sipas.value is None and group.policy.value is None
    assert group.service.value == 100.0
    assert {"missing_policy", "incomplete:A1"} <= set(group.flags)


def test_incomplete_service_is_null(instrument):
    """Without B4 answers (nobody came for a result) the service sub-index is null: incomplete:B4."""
    df = frame(instrument, [{"S1": 1, "B1.1": 5, "B2.1": 5, "B3.1": 5, "B5.1": 5, "A1.G1": 4}])
    group = compute_indices(df, instrument).group()
    assert group.service.value is None
    assert "incomplete:B4" in group.flags and "missing_service" in group.flags


def test_ha_noi_2024_sipas_is_mean_of_subindices(instrument):
    """Published Hà Nội 2024: policy 86.51 %, service 86.49 % → SIPAS 86.50 % (equal weights)."""
    items = [i for i in instrument.index_items]
    rates = np.array([86.51 if i.group else 86.49 for i in items])
    chain = chain_coefficients(np.ones((1, len(items)), dtype=bool), instrument)
    values = dict(zip(chain.codes, chain.coef[0] @ rates, strict=True))
    assert values["policy"] == pytest.approx(86.51)
    assert values["service"] == pytest.approx(86.49)
    assert round(values["sipas"], 2) == 86.50


def test_coefficients_sum_to_one(instrument):
    """Every defined index is a weighted mean of item rates: its coefficients sum to 1."""
    has = np.random.default_rng(1).random((5, len(instrument.index_items))) > 0.3
    chain = chain_coefficients(has, instrument)
    sums = chain.coef.sum(axis=2)
    assert np.allclose(sums[chain.defined], 1.0)
    assert np.allclose(sums[~chain.defined], 0.0)


def test_single_cluster_stratum_is_flagged(instrument):
    """A stratum with one cluster contributes no variance and raises single_cluster."""
    rows = [{"B1.1": 5, "point_code": "P1"}, {"B1.1": 2, "point_code": "P1"}]
    result = compute_indices(frame(instrument, rows), instrument, by="unit_code", cluster="point_code")
    group = result.group(unit_code="U1")
    assert "single_cluster" in group.flags
    assert group.items["B1.1"].se == 0.0


def test_baseline_comparison_by_hand(instrument):
    """diff = I − 81.51, z = diff / SE and p two-sided from the normal."""
    rows = [full_row(5, 5)] * 3 + [full_row(1, 1)] + [full_row(4, 4, "G2")] * 2
    group = compute_indices(frame(instrument, rows), instrument).group()
    diff = group.sipas.value - 81.51
    assert group.vs_baseline.diff_pp == pytest.approx(diff)
    assert group.vs_baseline.z == pytest.approx(diff / group.sipas.se)
    assert group.vs_baseline.p_value == pytest.approx(math.erfc(abs(diff / group.sipas.se) / math.sqrt(2)))


def test_small_sample_and_needed_responses(instrument):
    """Six responses are a small sample; the responses needed follow n·(h/5)² − n."""
    rows = [full_row(5, 5)] * 3 + [full_row(1, 1)] + [full_row(4, 4, "G2")] * 2
    group = compute_indices(frame(instrument, rows), instrument).group()
    assert "small_sample" in group.flags
    half = 1.959963984540054 * group.sipas.se
    assert group.needed_for_5pp == math.ceil(6 * (half / 5) ** 2 - 1e-9) - 6


def test_confidence_interval_is_clipped(instrument):
    """A 100 % rate with a positive SE keeps its interval inside [0, 100]."""
    rows = [{"B1.1": 5, "B1.2": 5}, {"B1.1": 5, "B1.2": 1}, {"B1.1": 5, "B1.2": 4}]
    group = compute_indices(frame(instrument, rows), instrument).group()
    low, high = group.elements["B1"].confidence_interval()
    assert high <= 100.0 and low >= 0.0


def test_no_responses_give_nulls_not_errors(instrument):
    """An empty selection yields null estimates with flags, not zeros or a crash."""
    df = frame(instrument, [{"B1.1": 4}]).iloc[:0]
    result = compute_indices(df, instrument, by="unit_code")
    assert len(result.groups) == 1
    assert result.group().sipas.value is None and result.group().n == 0
    assert "small_sample" in result.group().flags


def test_difference_between_independent_units(instrument):
    """Two units in separate strata: diff = a − b, SE = sqrt(SE_a² + SE_b²)."""
    from analysis.report import difference

    rows = [{"B1.1": 5, "unit_code": "U1"}, {"B1.1": 1, "unit_code": "U1"}, {"B1.1": 5, "unit_code": "U1"}]
    rows += [{"B1.1": 1, "unit_code": "U2"}, {"B1.1": 4, "unit_code": "U2"}, {"B1.1": 2, "unit_code": "U2"}]
    result = compute_indices(frame(instrument, rows), instrument, by="unit_code")
    a, b = result.group(unit_code="U1").items["B1.1"], result.group(unit_code="U2").items["B1.1"]
    d = difference(a, b)
    assert d.diff_pp == pytest.approx(200 / 3 - 100 / 3)
    assert d.se == pytest.approx(math.hypot(a.se, b.se))
    assert d.p_value == pytest.approx(math.erfc(abs(d.z) / math.sqrt(2)))


def test_national_comparison_uses_the_national_figure(instrument):
    """vs_national compares SIPAS with 83.94 %."""
    rows = [full_row(5, 5)] * 3 + [full_row(1, 1)]
    group = compute_indices(frame(instrument, rows), instrument).group()
    assert group.vs_national.diff_pp == pytest.approx(group.sipas.value - 83.94)


def test_unknown_policy_element_method_is_an_error(tmp_path):
    """Only mean_over_groups is implemented: another policy_element_method is refused by name."""
    source = (INSTRUMENT_DIR / "sipas-2025.toml").read_text(encoding="utf-8")
    old = 'policy_element_method = "mean_over_groups"'
    assert source.count(old) == 1
    path = tmp_path / "broken.toml"
    path.write_text(source.replace(old, 'policy_element_method = "median_over_groups"'), encoding="utf-8")
    with pytest.raises(InstrumentError, match="policy_element_method"):
        load_instrument(path)
