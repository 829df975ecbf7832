"""Beyond the index (METHOD §4): weighting, priorities, reliability, trend."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from analysis_fixtures import frame
from scipy import stats

from analysis.compute import compute_indices
from analysis.drivers import spearman_from_table
from analysis.errors import DataError
from analysis.reliability import alpha_from_cov, feldt_interval
from analysis.serialise import to_json_dict
from analysis.weighting import read_counts

COUNTS = "point_code,month,dossiers\nP1,2025-07,10\nP2,2025-07,30\nP3,2025-07,5\n"
WEIGHTED_ROWS = [
    {"B1.1": 5, "point_code": "P1"},
    {"B1.1": 1, "point_code": "P1"},
    {"B1.1": 1, "point_code": "P2"},
]


def test_poststratification_weights_by_hand(instrument):
    """w = N_c / n_c: 10/2, 10/2, 30/1, so B1.1 = 100 · 5 / 40 = 12.5 %."""
    result = compute_indices(
        frame(instrument, WEIGHTED_ROWS), instrument, counts=read_counts(io.StringIO(COUNTS))
    )
    assert result.group().items["B1.1"].value == pytest.approx(12.5)
    cells = result.weighting.set_index("point_code")
    assert cells.loc["P1", "response_rate"] == pytest.approx(0.2)
    assert cells.loc["P3", "flag"] == "no_responses"


def test_cell_without_count_is_an_error(instrument):
    """Responses in a cell the counts do not list cannot be weighted."""
    counts = read_counts(io.StringIO("point_code,month,dossiers\nP1,2025-07,10\n"))
    with pytest.raises(DataError, match="no dossier count for cell point_code=P2,month=2025-07"):
        compute_indices(frame(instrument, WEIGHTED_ROWS), instrument, counts=counts)


def test_negative_dossiers_are_an_error():
    """A negative count is reported with its row."""
    with pytest.raises(DataError, match="row 2, column dossiers"):
        read_counts(io.StringIO("point_code,dossiers\nP1,-3\n"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_spearman_from_table_equals_scipy(seed):
    """Rho from the contingency table equals scipy.stats.spearmanr on the expanded data (ties)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 6, 80)
    b = np.clip(a + rng.integers(-2, 3, 80), 1, 5)
    table = np.zeros((6, 6))
    np.add.at(table, (a, b), 1)
    assert spearman_from_table(table) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)


def test_priorities_rank_weak_items_that_matter(instrument):
    """An item that moves with B0 and is rated low comes first; one unrelated to B0 is not listed.

    B1.1 is 20 of 40 satisfied, rho = 1. Unstratified, Var(p) = p(1−p)/(n−1), so the
    Korn–Graubard n_eff is 39 on 39 df (no df factor): the upper bound is the Clopper–Pearson
    one, Beta quantile 0.975 of (19.5 + 1, 19.5); score = 1 · (100 − 100·high).
    """
    rows = []
    for k in range(40):
        good = k % 2 == 0
        rows.append(
            {"B0": 5 if good else 2, "B1.1": 4 if good else 1, "B1.2": 5 if k % 4 else 1, "B2.1": 3 + good}
        )
    group = compute_indices(frame(instrument, rows), instrument, include_flagged=True).group()
    assert group.priorities[0].item == "B1.1"
    high = stats.beta.ppf(0.975, 20.5, 19.5)
    assert group.priorities[0].score == pytest.approx(100 - 100 * high, abs=1e-9)
    assert "B1.2" not in [p.item for p in group.priorities if p.score > 0]


def test_small_group_borrows_importance_from_the_selection(instrument):
    """A unit with fewer than 100 responses ranks with the whole selection's correlations."""
    rows = [
        {"B0": 5 if k % 4 else 2, "B1.1": 4 if k % 4 else 1, "unit_code": f"U{k % 2}"} for k in range(120)
    ]
    result = compute_indices(frame(instrument, rows), instrument, by="unit_code", include_flagged=True)
    assert result.group(unit_code="U1").priorities[0].importance_from == "selection"


# Cronbach's alpha of 8 respondents × 3 items, by hand in base R (tests/analysis/r/alpha.R):
#   Rscript tests/analysis/r/alpha.R  ->  alpha = 0.925190839694656,
#   Feldt 95 % interval [0.747150059534361, 0.983723319559607].
ALPHA_DATA = [(4, 5, 4), (3, 3, 2), (5, 5, 5), (2, 3, 3), (4, 4, 5), (1, 2, 2), (5, 4, 4), (3, 4, 3)]
R_ALPHA, R_LOW, R_HIGH = 0.925190839694656, 0.747150059534361, 0.983723319559607


def test_alpha_and_feldt_interval_equal_r(instrument):
    """Alpha of element B1 and its Feldt interval equal the base-R computation."""
    rows = [{"B1.1": a, "B1.2": b, "B1.3": c} for a, b, c in ALPHA_DATA]
    alpha = compute_indices(frame(instrument, rows), instrument, include_flagged=True).group().alpha["B1"]
    assert alpha.value == pytest.approx(R_ALPHA, abs=1e-12)
    assert alpha.confidence_interval() == pytest.approx((R_LOW, R_HIGH), abs=1e-9)
    assert alpha.n == 8 and alpha.k == 3


def test_alpha_functions_on_a_covariance_matrix():
    """alpha_from_cov and feldt_interval reproduce the R values from the sample covariance."""
    cov = np.cov(np.array(ALPHA_DATA, dtype=float), rowvar=False)
    alpha = alpha_from_cov(cov)
    low, high = feldt_interval(alpha, np.array(8.0), 3, 0.95)
    assert (float(alpha), float(low), float(high)) == pytest.approx((R_ALPHA, R_LOW, R_HIGH), abs=1e-9)


def test_low_alpha_is_flagged(instrument):
    """Items that disagree give alpha below 0.6 and the low_alpha flag."""
    rows = [{"B1.1": a, "B1.2": 6 - a, "B1.3": 3} for a in (1, 2, 3, 4, 5, 1, 5)]
    alpha = compute_indices(frame(instrument, rows), instrument).group().alpha["B1"]
    assert alpha.value is None or "low_alpha" in alpha.flags


@pytest.mark.parametrize(("period", "keys"), [("month", ["2025-07", "2025-08"]), ("quarter", ["2025-Q3"])])
def test_trend_by_month_and_quarter(instrument, period, keys):
    """--by month / quarter groups on submitted_at."""
    rows = [
        {"B1.1": 5, "submitted_at": "2025-07-31T23:59:00"},
        {"B1.1": 1, "submitted_at": "2025-08-01T08:00:00"},
    ]
    result = compute_indices(frame(instrument, rows), instrument, by=period)
    assert [g.key[period] for g in result.groups[1:]] == keys
    if period == "month":
        assert result.group(month="2025-07").items["B1.1"].value == 100.0


def test_rank_ranges_come_from_intervals(instrument):
    """Each group's rank comes with the best and worst ranks its interval allows."""
    rng = np.random.default_rng(4)
    rows = []
    for unit, p in (("U1", 0.9), ("U2", 0.5), ("U3", 0.85)):
        for _ in range(40):
            ok = rng.random() < p
            rows.append(
                {
                    "unit_code": unit,
                    "S1": 2,
                    "B5.0": 2,
                    "A1.G1": 4 if ok else 2,
                    "A2.G1": 4,
                    "A3.G1": 4,
                    "A4.G1": 4,
                }
                | {c: (4 if ok else 2) for c in ("B1.1", "B2.1", "B3.1", "B4.1", "B5.1")}
            )
    groups = compute_indices(
        frame(instrument, rows), instrument, by="unit_code", include_flagged=True
    ).groups[1:]
    ci = {g.key["unit_code"]: g.sipas.confidence_interval() for g in groups}
    for g in groups:
        me = ci[g.key["unit_code"]]
        assert g.rank.best == 1 + sum(other.low > me.high for other in ci.values())
        assert g.rank.worst == 3 - sum(other.high < me.low for other in ci.values())
        assert g.rank.best <= g.rank.rank <= g.rank.worst and g.rank.of == 3
    assert {g.key["unit_code"]: g.rank.rank for g in groups}["U2"] == 3
    assert all(math.isfinite(g.sipas.value) for g in groups)


def test_response_rate_per_point_and_coverage_flags(instrument):
    """P1 has 2 responses over 10 + 10 dossiers in two months: rate 0.1; P3's empty cell is flagged."""
    counts = read_counts(io.StringIO(COUNTS + "P1,2025-08,10\n"))
    result = compute_indices(frame(instrument, WEIGHTED_ROWS), instrument, counts=counts)
    points = result.weighting_points.set_index("point_code")
    assert (points.loc["P1", "dossiers"], points.loc["P1", "responses"]) == (20.0, 2)
    assert points.loc["P1", "response_rate"] == pytest.approx(2 / 20)
    assert points.loc["P3", "response_rate"] == 0.0 and points.loc["P3", "flag"] == "no_responses"
    assert "no_responses:point_code=P3,month=2025-07" in result.group().flags
    assert to_json_dict(result)["weighting_points"][0]["point_code"] == "P1"
