"""The SIPAS drop alert: a constructed fall fires, noise at a constant level does not, and with
too few responses there is no test at all.

Responses are simulated with a fixed seed: each index item is satisfied (answer 4 or 5 of the
5-point scale) with a chosen probability, so a unit's SIPAS is close to 100 × that probability.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest

from survey.cases import drop
from survey.instrument import instrument
from survey.models import Period, ServicePoint, Unit
from survey.periods import LOCAL_TZ, local_today
from survey.reports import indices
from survey.responses import store_response
from tests.factories import make_period, make_point, make_unit

SCREENERS = {"S1": 2, "B5.0": 1}
OPEN_HOURS = (8, 9, 10, 14, 15, 16)  # local hours within the default opening hours


def answers(rng: np.random.Generator, satisfied: float) -> dict[str, int]:
    """Every index item a respondent of policy group G1 is asked, satisfied with probability ``satisfied``."""
    items = [i for i in instrument().index_items if i.group in (None, "G1") and i.applies(SCREENERS)]
    return {
        **SCREENERS,
        **{
            i.code: int(rng.choice([4, 5]) if rng.random() < satisfied else rng.choice([1, 2, 3]))
            for i in items
        },
    }


def at(day: date, hour: int = 10) -> datetime:
    """Naive UTC of a local hour in Vietnam on ``day`` (10:00 there is 03:00 UTC the same day)."""
    return datetime.combine(day, time(hour), LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def respond(
    rng: np.random.Generator,
    points: list[ServicePoint],
    period: Period,
    days: tuple[date, date],
    n: int,
    satisfied: float,
) -> None:
    """``n`` responses spread over the weekdays of a range (ends included), alternating counters,
    within opening hours (a response after hours is flagged and left out of the indices)."""
    span = [days[0] + timedelta(days=d) for d in range((days[1] - days[0]).days + 1)]
    weekdays = [d for d in span if d.weekday() < 5] or span
    for k in range(n):
        store_response(
            point=points[k % len(points)],
            period=period,
            answers=answers(rng, satisfied),
            policy_group="G1",
            language="vi",
            duration_s=240,
            submitted_at=at(weekdays[k % len(weekdays)], OPEN_HOURS[k % len(OPEN_HOURS)]),
        )


@pytest.fixture
def unit(db) -> tuple[Unit, list[ServicePoint], Period]:  # type: ignore[no-untyped-def]
    """A ward with two counters and a period covering the last 130 days."""
    today = local_today()
    period = make_period("2026", starts_on=today - timedelta(days=130), ends_on=today + timedelta(days=10))
    ward = make_unit("03408", "Phường Tân Phong", "ward")
    points = [make_point(ward, "Q01"), make_point(ward, "Q02", "Quầy 2")]
    db.session.commit()
    return ward, points, period


def test_the_ranges_are_the_last_30_whole_days_and_the_90_before():
    """Today 1 Dec 2026: last 30 days = 1–30 Nov; the 90 before = 2 Aug–31 Oct (31 + 30 + 29 days)."""
    before, after = drop.ranges(date(2026, 12, 1))
    assert after == (date(2026, 11, 1), date(2026, 11, 30))
    assert before == (date(2026, 8, 3), date(2026, 10, 31))
    assert (before[1] - before[0]).days + 1 == 90 and (after[1] - after[0]).days + 1 == 30


def test_a_constructed_fall_from_85_to_60_percent_fires(db, unit):
    """240 responses at ~85 % satisfied over the 90 days, 120 at ~60 % over the last 30, two
    counters: a fall of about 25 points, many standard errors wide — the alert fires."""
    ward, points, period = unit
    before, after = drop.ranges(local_today())
    rng = np.random.default_rng(20261201)
    respond(rng, points, period, before, 240, 0.85)
    respond(rng, points, period, after, 120, 0.60)
    # Outside both ranges: today's responses and older ones count for neither.
    respond(rng, points, period, (local_today(), local_today()), 5, 0.0)
    respond(rng, points, period, (before[0] - timedelta(days=5), before[0] - timedelta(days=1)), 5, 0.0)
    db.session.commit()

    result = drop.unit_drop(ward)
    assert result.tested and result.fired
    assert (result.n_before, result.n_after) == (240, 120)
    assert 80 < result.value_before < 90 and 55 < result.value_after < 65
    assert result.diff == pytest.approx(result.value_after - result.value_before)
    assert result.ci_low < result.diff < result.ci_high < 0
    # Two counters as strata, each response its own PSU: df = 360 responses − 2 strata.
    assert result.df == 358
    assert result.p_one_sided < 1e-6
    # One-sided for a fall = half the two-sided p the reports show; the test reads the stored
    # cells by day, the reference here the rows.
    c = indices.compare_ranges(indices.load(None, {ward.id}), before, after, ["sipas"])["sipas"]
    assert result.p_one_sided == pytest.approx(c.p_value / 2, rel=1e-9)
    assert result.diff == pytest.approx(c.diff, rel=1e-9) and result.df == c.df
    assert "chưa đến 1 lần trong 1.000" in drop.p_in_words(result.p_one_sided)


def test_a_rise_never_fires(db, unit):
    """The same numbers the other way round (60 % → 85 %): significant, but not a fall."""
    ward, points, period = unit
    before, after = drop.ranges(local_today())
    rng = np.random.default_rng(7)
    respond(rng, points, period, before, 120, 0.60)
    respond(rng, points, period, after, 60, 0.85)
    db.session.commit()
    result = drop.unit_drop(ward)
    assert result.tested and result.diff > 0 and result.p_one_sided > 0.99
    assert not result.fired


def test_too_few_responses_give_no_test_and_no_alert(db, unit):
    """29 responses in the last 30 days (one short of 30), however large the fall: no test is run."""
    ward, points, period = unit
    before, after = drop.ranges(local_today())
    rng = np.random.default_rng(3)
    respond(rng, points, period, before, 200, 0.95)
    respond(rng, points, period, after, 29, 0.05)
    db.session.commit()
    result = drop.unit_drop(ward)
    assert (result.n_before, result.n_after) == (200, 29)
    assert not result.tested and not result.fired
    assert result.p_one_sided is None and result.diff is None
    # The pure function says the same on the frame itself.
    assert not drop.assess(indices.load(None, {ward.id}), local_today()).tested


def _replicate(frame: pd.DataFrame, rng: np.random.Generator, satisfied: float) -> pd.DataFrame:
    """The same responses (days, counters, skip pattern) with fresh answers at one constant level."""
    out = frame.copy()
    for item in instrument().index_items:
        asked = out[item.code].notna()
        draws = np.where(
            rng.random(len(out)) < satisfied, rng.choice([4, 5], len(out)), rng.choice([1, 2, 3], len(out))
        )
        out.loc[asked, item.code] = draws[asked.to_numpy()]
    return out


def test_noise_at_a_constant_level_does_not_fire(db, unit):
    """20 replications of 180 + 60 responses, all at 80 % satisfied: no real change.

    With no change a correct one-sided test fires with probability alpha = 0.01 in each
    replication, so the number of alerts in 20 is Binomial(20, 0.01): P(0) = 0.99^20 = 0.818,
    P(1) = 20 · 0.01 · 0.99^19 = 0.165, P(2) = 190 · 0.01² · 0.99^18 = 0.016, P(3 or more) =
    0.001. So alpha allows at most 2 alerts: more would happen once in a thousand runs of a
    correct test. (This fixed seed gives 2, p = 0.008 and 0.004; over 300 replications the
    rate below 0.01 was 1.3 %.) Without a real change the p-values spread over (0, 1), which the
    last line checks: a test that also fired on rises, or with far too small an SE, would not.
    """
    ward, points, period = unit
    before, after = drop.ranges(local_today())
    rng = np.random.default_rng(42)
    respond(rng, points, period, before, 180, 0.80)
    respond(rng, points, period, after, 60, 0.80)
    db.session.commit()
    frame = indices.load(None, {ward.id})
    results = [drop.assess(_replicate(frame, rng, 0.80), local_today()) for _ in range(20)]
    assert all(r.tested and (r.n_before, r.n_after) == (180, 60) for r in results)
    assert sum(r.fired for r in results) <= 2
    p = np.array([r.p_one_sided for r in results])
    assert 0.2 < p.mean() < 0.8 and (p < 0.5).any() and (p > 0.5).any()
