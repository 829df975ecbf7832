"""The December rules equal R's survey package (values stored in r_design.py).

Degrees of freedom and t intervals (``confint(svycontrast(...), df = degf(...))``), item
intervals (``svyciprop(method = "beta")``), ``svyby`` domains, ``postStratify`` variances,
lonely PSUs (``survey.lonely.psu = "adjust"``) and the contrast of two domains
(``svyby(covmat = TRUE)`` + ``svycontrast``). The R script is tests/analysis/r/design.R;
regenerate with ``Rscript tests/analysis/r/design.R > tests/analysis/r_design.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import r_design as R
from analysis_fixtures import DATA
from scipy import stats

from analysis.cells import cell_stats, compute_from_cells
from analysis.compute import compute_indices
from analysis.contrast import compare_domains, period_mask
from analysis.interchange import read_responses
from analysis.weighting import read_counts

TOL = 1e-8
COMPOSITES = {"sipas", "policy", "service", "B1", "B2", "B3", "B4", "B5", "A1", "A2", "A3", "A4"}


@pytest.fixture(scope="module")
def survey(instrument):
    """The survey file R reads."""
    return read_responses(DATA / "survey.csv", instrument)


def _lookup(group, code):
    return {
        "sipas": group.sipas,
        "policy": group.policy,
        "service": group.service,
        **group.elements,
        **group.items,
    }[code]


def _check(result, reference, by, intervals=True):
    """Value, SE (null only where R's variance is rounding), df and t interval of each estimate."""
    compared = 0
    for (domain, code), (value, se, df, low, high) in reference.items():
        e = _lookup(result.group(**({by: domain} if domain else {})), code)
        assert math.isclose(e.value, value, abs_tol=TOL), (domain, code, e.value, value)
        if e.se is None:
            assert se <= 1e-5 and "single_cluster" in e.flags, (domain, code, se)
            continue
        assert math.isclose(e.se, se, abs_tol=TOL), (domain, code, e.se, se)
        if code in COMPOSITES:
            assert e.df == df, (domain, code, e.df, df)
            if intervals and e.low is not None:
                assert math.isclose(e.low, max(low, 0.0), abs_tol=TOL), (domain, code, e.low, low)
                assert math.isclose(e.high, min(high, 100.0), abs_tol=TOL), (domain, code, e.high, high)
                compared += 1
    return compared


def _check_beta(result, reference, by):
    for (domain, code), (low, high) in reference.items():
        e = result.group(**({by: domain} if domain else {})).items[code]
        assert e.method == "korn-graubard", (domain, code)
        assert math.isclose(e.low, low, abs_tol=TOL), (domain, code, e.low, low)
        assert math.isclose(e.high, high, abs_tol=TOL), (domain, code, e.high, high)


COUNTERS = {"by": "unit_code", "strata": "point_code", "weight": "weight", "include_flagged": True}


def test_counter_strata_by_unit_equal_r_with_degf_intervals(survey, instrument):
    """Counters as strata, units as domains: values, SEs, degf and confint(df = degf) equal R."""
    result = compute_indices(survey, instrument, **COUNTERS)
    assert _check(result, R.COUNTERS_BY_UNIT, "unit_code") > 20


def test_item_intervals_equal_svyciprop_beta(survey, instrument):
    """Every item interval R defines equals svyciprop(method = "beta") on the domain's answers."""
    result = compute_indices(survey, instrument, **COUNTERS)
    assert len(R.COUNTERS_BETA) > 100
    _check_beta(result, R.COUNTERS_BETA, "unit_code")


def test_months_are_domains_of_a_unit_stratified_design(survey, instrument):
    """--by month with units as strata equals R's domains (subset / svyby) by month."""
    result = compute_indices(
        survey, instrument, by="month", strata="unit_code", weight="weight", include_flagged=True
    )
    _check(result, R.UNITS_BY_MONTH, "month")
    for (month, code), (value, se) in R.SVYBY_MONTH.items():
        e = result.group(month=month).items[code]
        assert math.isclose(e.value, value, abs_tol=TOL) and math.isclose(e.se, se, abs_tol=TOL)


def _counts():
    return read_counts(DATA / "counts.csv")


def test_poststratified_variance_equals_r_poststratify(survey, instrument):
    """Post-stratified per counter × month: values, SEs, degf and intervals equal postStratify."""
    counts = _counts()
    options = {"by": "unit_code", "strata": "point_code", "counts": counts, "include_flagged": True}
    result = compute_indices(survey, instrument, **options)
    _check(result, R.POSTSTRAT_BY_UNIT, "unit_code")
    _check_beta(result, R.POSTSTRAT_BETA, "unit_code")
    # and the same from cells by counter and day
    cells = cell_stats(survey, instrument, ["unit_code", "point_code", "day"])
    _check(compute_from_cells(cells, instrument, **options), R.POSTSTRAT_BY_UNIT, "unit_code")


def test_poststratification_is_not_fixed_weights(survey, instrument):
    """The post-stratified SE differs from treating N_c / n_c as fixed weights (R's PLAIN design
    with those weights gives the fixed-weight SE); ours is R's postStratify one."""
    counts = _counts()
    month = survey["submitted_at"].dt.strftime("%Y-%m")
    n_cell = survey.groupby([survey["point_code"], month])["response_id"].transform("size")
    table = counts.set_index(["point_code", "month"])["dossiers"]
    fixed = (
        table.reindex(pd.MultiIndex.from_arrays([survey["point_code"], month])).to_numpy() / n_cell.to_numpy()
    )
    as_weights = compute_indices(
        survey.assign(w=fixed), instrument, strata="point_code", weight="w", include_flagged=True
    ).group()
    post = compute_indices(
        survey, instrument, strata="point_code", counts=counts, include_flagged=True
    ).group()
    assert post.sipas.value == pytest.approx(as_weights.sipas.value, abs=1e-9)
    assert post.sipas.se == pytest.approx(R.POSTSTRAT_BY_UNIT[("", "sipas")][1], abs=TOL)
    assert not math.isclose(post.sipas.se, as_weights.sipas.se, rel_tol=1e-3)


def test_lonely_psu_is_adjusted_as_in_r(survey, instrument):
    """A counter with one response is a lonely stratum: centred at zero (survey.lonely.psu
    "adjust"), every value and SE equals R; the group says single_cluster."""
    lone = survey[(survey["point_code"] != "P5") | (survey["response_id"] == R.LONELY_ID)]
    result = compute_indices(lone, instrument, **COUNTERS)
    _check(result, R.LONELY_BY_UNIT, "unit_code")
    assert "single_cluster" in result.group(unit_code="U2").flags
    assert "single_cluster" not in result.group(unit_code="U1").flags


def _halves(survey):
    return np.where(survey["submitted_at"].dt.strftime("%Y-%m") <= "2025-09", "Q3", "Q4")


def _contrast(survey, instrument, inside, reference):
    half = _halves(survey)
    a, b = inside & (half == "Q3"), inside & (half == "Q4")
    options = {"strata": "point_code", "weight": "weight", "include_flagged": True}
    return compare_domains(survey, instrument, a, b, estimates=tuple(reference), **options)


def test_two_half_years_of_the_province_equal_svycontrast(survey, instrument):
    """Q3 vs Q4 in the counters design: difference, SE, degf and t interval equal R."""
    found = _contrast(survey, instrument, np.ones(len(survey), dtype=bool), R.CONTRAST_ALL)
    for code, (diff, se, df, low, high) in R.CONTRAST_ALL.items():
        c = found[code]
        assert math.isclose(c.diff, diff, abs_tol=TOL) and math.isclose(c.se, se, abs_tol=TOL), code
        assert (
            c.df == df
            and math.isclose(c.ci_low, low, abs_tol=TOL)
            and math.isclose(c.ci_high, high, abs_tol=TOL)
        )
        assert math.isclose(c.p_value, 2 * stats.t.sf(abs(diff / se), df), rel_tol=1e-9)


def test_two_half_years_of_a_small_unit_have_no_interval(survey, instrument):
    """U2 (under 30 responses per half-year): R's difference and SE, but no interval or p."""
    found = _contrast(survey, instrument, (survey["unit_code"] == "U2").to_numpy(), R.CONTRAST_U2)
    for code, (diff, se, df, _, _) in R.CONTRAST_U2.items():
        c = found[code]
        assert math.isclose(c.diff, diff, abs_tol=TOL) and math.isclose(c.se, se, abs_tol=TOL), code
        assert c.df == df and c.ci_low is None and c.p_value is None and "small_sample" in c.flags


def test_contrast_from_cells_equals_r(survey, instrument):
    """The same contrast from cells by counter and day (date ranges from the day key)."""
    cells = cell_stats(survey, instrument, ["unit_code", "point_code", "day"], weight="weight")
    a = period_mask(cells, "2025-07-01", "2025-09-30")
    b = period_mask(cells, "2025-10-01", "2025-12-31")
    codes = tuple(R.CONTRAST_ALL)
    found = compare_domains(
        cells, instrument, a, b, estimates=codes, strata="point_code", include_flagged=True
    )
    for code, (diff, se, df, low, _) in R.CONTRAST_ALL.items():
        c = found[code]
        assert math.isclose(c.diff, diff, abs_tol=TOL) and math.isclose(c.se, se, abs_tol=TOL), code
        assert c.df == df and math.isclose(c.ci_low, low, abs_tol=TOL)
