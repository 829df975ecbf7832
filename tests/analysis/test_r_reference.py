"""Every estimate and SE equals R's survey package (values stored in r_reference.py).

The R script is tests/analysis/r/reference.R; regenerate the literals with
``Rscript tests/analysis/r/reference.R > tests/analysis/r_reference.py``.
"""

from __future__ import annotations

import math

import pytest
import r_reference as R
from analysis_fixtures import DATA

from analysis.compute import compute_indices
from analysis.interchange import read_responses

# Values agree to ~1e-12. SEs too, except where the true variance is exactly 0 (a rate whose
# data sit in one cluster): R's derivative algebra leaves ~1e-13 of rounding in the variance,
# which its square root turns into ~1e-6. So SEs are compared as SE to 1e-8, or as variance to
# 1e-10 when that is the only difference.
VALUE_TOL = 1e-8
SE_TOL = 1e-8
VAR_TOL = 1e-10


@pytest.fixture(scope="module")
def survey(instrument):
    """The small weighted, clustered, stratified survey file R reads."""
    return read_responses(DATA / "survey.csv", instrument)


def _lookup(group, code):
    named = {"sipas": group.sipas, "policy": group.policy, "service": group.service}
    return {**named, **group.elements, **group.items}[code]


def _all_estimates(result):
    for group in result.groups:
        domain = next(iter(group.key.values()), "")
        for code in ("sipas", "policy", "service", *group.elements, *group.items):
            yield domain, code, _lookup(group, code)


def _assert_matches(result, reference, by):
    for (domain, code), (value, se) in reference.items():
        estimate = _lookup(result.group(**({by: domain} if domain else {})), code)
        assert estimate.value is not None, (domain, code)
        assert math.isclose(estimate.value, value, abs_tol=VALUE_TOL), (domain, code, estimate.value, value)
        if estimate.se is None:  # one PSU and no variance: R's ~0 is not an estimate; null here
            assert se**2 <= VAR_TOL and "single_cluster" in estimate.flags, (domain, code, se)
            continue
        close_se = math.isclose(estimate.se, se, abs_tol=SE_TOL)
        assert close_se or abs(estimate.se**2 - se**2) <= VAR_TOL, (domain, code, estimate.se, se)
    defined = {(d, c) for d, c, e in _all_estimates(result) if e.value is not None}
    assert defined == set(reference), "the same estimates are null in R and here"


DESIGNS = {
    "clusters, strata = by, weights": (
        R.CLUSTERED_BY_UNIT,
        {"by": "unit_code", "cluster": "point_code", "weight": "weight", "strata": "unit_code"},
    ),
    "no clusters, strata = by, weights": (
        R.UNCLUSTERED_BY_UNIT,
        {"by": "unit_code", "weight": "weight", "strata": "unit_code"},
    ),
    "clusters without strata, units as domains": (
        R.CLUSTERED_NO_STRATA,
        {"by": "unit_code", "cluster": "point_code", "weight": "weight", "strata": "one_stratum"},
    ),
    "domains across strata and clusters": (
        R.CLUSTERED_BY_CHANNEL,
        {"by": "channel", "cluster": "point_code", "weight": "weight", "strata": "unit_code"},
    ),
}


@pytest.mark.parametrize("design", DESIGNS, ids=list(DESIGNS))
def test_every_estimate_equals_r_survey(survey, instrument, design):
    """Items, elements, sub-indices and SIPAS of every group equal svycontrast on svytotal in R."""
    reference, options = DESIGNS[design]
    data = survey.assign(one_stratum="all")  # a constant column: the whole file is one stratum
    result = compute_indices(data, instrument, include_flagged=True, **options)
    by = options["by"]
    _assert_matches(result, reference, by)


def test_simple_random_sample_equals_r(survey, instrument):
    """Without design information the whole selection equals R's svydesign(ids=~1)."""
    group = compute_indices(survey, instrument, include_flagged=True).group()
    for code, (value, se) in R.SIMPLE.items():
        estimate = _lookup(group, code)
        assert math.isclose(estimate.value, value, abs_tol=VALUE_TOL)
        assert math.isclose(estimate.se, se, abs_tol=SE_TOL)


def test_item_rates_equal_svyby_svyratio(survey, instrument):
    """Item rates per unit equal svyby(~y, ~unit_code, design, svyratio, denominator=~x)."""
    options = {"by": "unit_code", "strata": "unit_code", "cluster": "point_code", "weight": "weight"}
    result = compute_indices(survey, instrument, **options)
    for (unit, code), (value, se) in R.SVYBY_RATIO.items():
        estimate = result.group(unit_code=unit).items[code]
        assert math.isclose(estimate.value, value, abs_tol=VALUE_TOL)
        assert math.isclose(estimate.se, se, abs_tol=SE_TOL)


def test_unit_report_equals_province_run(survey, instrument):
    """A unit computed from its own rows shows the numbers of the province-wide run when units are
    strata (to rounding)."""
    options = {"cluster": "point_code", "weight": "weight", "include_flagged": True, "strata": "unit_code"}
    province = compute_indices(survey, instrument, by="unit_code", **options).group(unit_code="U2")
    alone = compute_indices(survey[survey["unit_code"] == "U2"], instrument, **options).group()
    for code in ("sipas", "policy", "service", *province.elements, *province.items):
        mine, theirs = _lookup(alone, code), _lookup(province, code)
        assert mine.value == pytest.approx(theirs.value, abs=1e-9, nan_ok=True)
        assert mine.se == pytest.approx(theirs.se, abs=1e-9, nan_ok=True)


def test_cli_json_equals_r(capsys):
    """The documented command's JSON carries R's values and SEs for every group and estimate."""
    import json

    from analysis.cli import main

    args = ["compute", str(DATA / "survey.csv"), "--by", "unit_code", "--cluster", "point_code"]
    args += ["--strata", "unit_code"]
    assert main([*args, "--weight", "weight", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for (domain, code), (value, se) in R.CLUSTERED_BY_UNIT.items():
        group = next(g for g in doc["groups"] if g["key"] == ({"unit_code": domain} if domain else {}))
        entry = (
            group[code]
            if code in ("sipas", "policy", "service")
            else {**group["elements"], **group["items"]}[code]
        )
        assert math.isclose(entry["value"], value, abs_tol=VALUE_TOL)
        if entry["se"] is None:  # one PSU and no variance: null here, R's rounding there
            assert se**2 <= VAR_TOL and "single_cluster" in entry["flags"]
            continue
        assert math.isclose(entry["se"], se, abs_tol=SE_TOL) or abs(entry["se"] ** 2 - se**2) <= VAR_TOL
