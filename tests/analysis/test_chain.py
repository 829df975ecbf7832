"""The index chain of METHOD §2 on tiny frames, against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from analysis_fixtures import frame, full_row
from scipy import stats

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


def test_single_cluster_is_flagged_and_claims_no_se(instrument):
    """One cluster in the domain: 0 degrees of freedom, the SE is null with single_cluster, not 0."""
    rows = [{"B1.1": 5, "point_code": "P1"}, {"B1.1": 2, "point_code": "P1"}]
    result = compute_indices(frame(instrument, rows), instrument, by="unit_code", cluster="point_code")
    group = result.group(unit_code="U1")
    assert "single_cluster" in group.flags
    item = group.items["B1.1"]
    assert item.se is None and item.df == 0 and "single_cluster" in item.flags
    assert item.confidence_interval() == (None, None)


# 40 responses: 24 answer everything 5, 6 everything 1, 10 everything 4 about group G2.
FORTY = [full_row(5, 5)] * 24 + [full_row(1, 1)] * 6 + [full_row(4, 4, "G2")] * 10


def test_baseline_comparison_by_hand(instrument):
    """diff = I − 81.51, t = diff / SE, p two-sided from Student's t on n − 1 = 39 df."""
    group = compute_indices(frame(instrument, FORTY), instrument).group()
    diff = group.sipas.value - 81.51
    t = diff / group.sipas.se
    assert group.sipas.df == 39
    assert group.vs_baseline.diff_pp == pytest.approx(diff)
    assert group.vs_baseline.t == pytest.approx(t) and group.vs_baseline.z == group.vs_baseline.t
    assert group.vs_baseline.p_value == pytest.approx(2 * stats.t.sf(abs(t), 39), rel=1e-12)


def test_no_test_below_thirty_responses(instrument):
    """Six responses: the difference from the baseline is shown, no t or p (METHOD §6 minimums)."""
    rows = [full_row(5, 5)] * 3 + [full_row(1, 1)] + [full_row(4, 4, "G2")] * 2
    group = compute_indices(frame(instrument, rows), instrument).group()
    assert group.vs_baseline.diff_pp == pytest.approx(group.sipas.value - 81.51)
    assert group.vs_baseline.p_value is None and group.vs_baseline.t is None
    assert group.sipas.confidence_interval() == (None, None) and "small_sample" in group.sipas.flags
    assert group.needed_for_5pp is None


def test_needed_responses_follow_t_and_the_design_effect(instrument):
    """Unstratified, the design effect is 1: n_needed = n·t²_{39}·SE²/5², minus the 40 there are."""
    group = compute_indices(frame(instrument, FORTY), instrument).group()
    t = stats.t.ppf(0.975, 39)
    assert group.needed_for_5pp == math.ceil(40 * t**2 * group.sipas.se**2 / 25 - 1e-9) - 40
    low, high = group.sipas.confidence_interval()
    assert (high - low) / 2 == pytest.approx(t * group.sipas.se)


def test_confidence_interval_is_clipped(instrument):
    """B1 = (100 + 97.2)/2 with a positive SE: its t interval stays inside [0, 100]."""
    rows = [{"B1.1": 5, "B1.2": 5}] * 35 + [{"B1.1": 5, "B1.2": 1}]
    group = compute_indices(frame(instrument, rows), instrument).group()
    low, high = group.elements["B1"].confidence_interval()
    assert high == 100.0 and 0.0 < low < group.elements["B1"].value


def test_no_responses_give_nulls_not_errors(instrument):
    """An empty selection yields null estimates with flags, not zeros or a crash."""
    df = frame(instrument, [{"B1.1": 4}]).iloc[:0]
    result = compute_indices(df, instrument, by="unit_code")
    assert len(result.groups) == 1
    assert result.group().sipas.value is None and result.group().n == 0
    assert "small_sample" in result.group().flags


def test_difference_between_independent_units(instrument):
    """Two units as strata: diff = a − b, SE = sqrt(SE_a² + SE_b²), Welch–Satterthwaite df."""
    from analysis.report import difference

    rows = [{"B1.1": 5 if k % 3 else 1, "unit_code": "U1"} for k in range(36)]
    rows += [{"B1.1": 4 if k % 3 == 0 else 2, "unit_code": "U2"} for k in range(36)]
    result = compute_indices(frame(instrument, rows), instrument, by="unit_code", strata="unit_code")
    a, b = result.group(unit_code="U1").items["B1.1"], result.group(unit_code="U2").items["B1.1"]
    d = difference(a, b)
    assert d.diff_pp == pytest.approx(200 / 3 - 100 / 3)
    assert d.se == pytest.approx(math.hypot(a.se, b.se))
    df = (a.se**2 + b.se**2) ** 2 / (a.se**4 / 35 + b.se**4 / 35)
    assert d.df == pytest.approx(df)
    assert d.p_value == pytest.approx(2 * stats.t.sf(abs(d.diff_pp / d.se), df))


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


def test_policy_element_with_few_answers_in_a_group_is_marked(instrument):
    """A1 over G1 (40 answers) and G2 (5) is marked few_per_group; with 12 in G2 it is not."""
    few = [full_row(4, 4, "G1")] * 40 + [full_row(4, 2, "G2")] * 5
    enough = [full_row(4, 4, "G1")] * 40 + [full_row(4, 2, "G2")] * 12

    def flags(rows):  # type: ignore[no-untyped-def]
        return compute_indices(frame(instrument, rows), instrument).group().elements["A1"].flags

    assert "few_per_group" in flags(few) and "few_per_group" not in flags(enough)
