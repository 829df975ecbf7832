"""The SIPAS drop alert of the daily digest: has a unit's index fallen in the last 30 days?

For one unit (its subtree and history, as its report counts it) the SIPAS index of the **last
30 days** (the 30 whole days before today, in Vietnam) is compared with that of the **90 days
before them**. Both ranges are domains of the report's design (counters as strata), and the
change last − before has its SE by joint linearisation, a t interval on the design's degrees
of freedom and a p-value: :func:`survey.reports.indices.compare_ranges`, the test the reports
and the improvement actions already use (METHOD §6).

The alert fires when the change is negative and its **one-sided p-value** — the probability,
if the index had not fallen, of a t statistic at least this far below zero, ``P(T ≤ t)`` on the
contrast's degrees of freedom (half the reports' two-sided p for a fall) — is below
``SIPAS_CASES_ALERT_ALPHA`` (default 0.01). The question is only "has it fallen?", so a rise
never fires, and with no real change a unit sees a false alarm on about one day in 100.

The test runs only when both ranges meet the reports' minimums: at least 30 responses and at
least 2 degrees of freedom each (fewer responses: no test at all, so no alert). Pure of e-mail:
the digest (:mod:`survey.cases.digest`) words the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from flask import current_app
from scipy import special
from sqlalchemy import func, select

from analysis.cells import CellStats
from analysis.contrast import period_mask
from analysis.reference import SMALL_SAMPLE_N
from analysis.report import MIN_DF
from survey.auth.access import family_ids
from survey.extensions import db
from survey.models import Response, Unit
from survey.periods import LOCAL_TZ, local_today
from survey.reports import indices

__all__ = ["AFTER_DAYS", "BEFORE_DAYS", "CODE", "Drop", "assess", "p_in_words", "ranges", "unit_drop"]

AFTER_DAYS = 30
BEFORE_DAYS = 90
CODE = "sipas"


@dataclass(frozen=True)
class Drop:
    """The comparison of one unit's SIPAS: ``before`` and ``after`` ranges (ends included).

    ``tested`` is False when a range is below the minimums (then every number but the counts is
    None); ``fired`` says whether the alert fires at ``alpha``.
    """

    before: tuple[date, date]
    after: tuple[date, date]
    n_before: int
    n_after: int
    alpha: float
    tested: bool = False
    value_before: float | None = None
    value_after: float | None = None
    diff: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    df: float | None = None
    p_one_sided: float | None = None

    @property
    def fired(self) -> bool:
        """A fall whose one-sided p is below alpha."""
        return (
            self.tested
            and self.diff is not None
            and self.diff < 0
            and self.p_one_sided is not None
            and self.p_one_sided < self.alpha
        )


def ranges(today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(before, after): the 90 days before the last 30, and the last 30 whole days before ``today``."""
    after = (today - timedelta(days=AFTER_DAYS), today - timedelta(days=1))
    before = (after[0] - timedelta(days=BEFORE_DAYS), after[0] - timedelta(days=1))
    return before, after


def _alpha(alpha: float | None) -> float:
    return float(current_app.config["CASES_ALERT_ALPHA"] if alpha is None else alpha)


def _responses(data: pd.DataFrame | CellStats, lo: date, hi: date) -> int:
    if not len(data):
        return 0
    mask = period_mask(data, lo, hi)
    if isinstance(data, CellStats):
        return int(round(data.stats[mask, 0].sum()))  # column 0: responses in the cell
    return int(mask.sum())


def assess(data: pd.DataFrame | CellStats, today: date, alpha: float | None = None) -> Drop:
    """The drop test on a unit's responses (an interchange frame such as :func:`indices.load`
    gives) or on their cells by day (:func:`indices.day_cells`): the same result."""
    before, after = ranges(today)
    alpha = _alpha(alpha)
    rows_before, rows_after = _responses(data, *before), _responses(data, *after)
    untested = Drop(before, after, rows_before, rows_after, alpha)
    if min(rows_before, rows_after) < SMALL_SAMPLE_N:
        return untested  # too few responses: no test
    c = indices.compare_ranges(data, before, after, [CODE])[CODE]
    n_before, n_after = c.b.n, c.a.n
    kept = Drop(before, after, n_before, n_after, alpha)
    if min(n_before, n_after) < SMALL_SAMPLE_N or min(c.a.df or 0, c.b.df or 0) < MIN_DF:
        return kept
    if c.diff is None or c.p_value is None or c.t is None or c.df is None:
        return kept  # no variance, or no estimate: the reports give no test either
    return Drop(
        before,
        after,
        n_before,
        n_after,
        alpha,
        tested=True,
        value_before=c.b.value,
        value_after=c.a.value,
        diff=c.diff,
        ci_low=c.ci_low,
        ci_high=c.ci_high,
        df=c.df,
        p_one_sided=float(special.stdtr(c.df, c.t)),
    )


def _utc(day: date) -> datetime:
    """The naive UTC instant at which ``day`` begins in Vietnam."""
    return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def unit_drop(unit: Unit, today: date | None = None, alpha: float | None = None) -> Drop:
    """The drop test of a unit over its subtree and history; the responses are read only when both
    ranges hold enough of them."""
    today = today or local_today()
    before, after = ranges(today)
    family = sorted(family_ids({unit.id}))

    def count(lo: date, hi: date) -> int:
        query = select(func.count(Response.id)).where(
            Response.unit_id.in_(family),
            Response.submitted_at >= _utc(lo),
            Response.submitted_at < _utc(hi + timedelta(days=1)),
        )
        return int(db.session.scalar(query) or 0)

    n_before, n_after = count(*before), count(*after)
    if min(n_before, n_after) < SMALL_SAMPLE_N:
        return Drop(before, after, n_before, n_after, _alpha(alpha))
    return assess(indices.day_cells(set(family)), today, alpha)


def p_in_words(p: float) -> str:
    """The one-sided p-value said in Vietnamese: how often chance alone would give such a fall."""
    if p < 0.001:
        chance = "chưa đến 1 lần trong 1.000"
    else:
        n = 1 / p
        step = 1 if n < 20 else 10 if n < 100 else 50
        chance = f"khoảng 1 lần trong {max(step, round(n / step) * step)}"
    return f"nếu chỉ số thực tế không giảm, một mức giảm như vậy chỉ xảy ra do ngẫu nhiên {chance}"
