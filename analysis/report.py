"""Turn the estimate arrays into result objects: intervals, flags, tests, ranks, sample size.

Rules (METHOD §6, R equivalents in docs/statistics.md):

* a SE that cannot be estimated is null with a flag — ``single_cluster`` when the estimate's
  degrees of freedom are below 1 (one PSU), never 0; a SE of exactly 0 (every answer alike
  within every stratum) is kept with the flag ``no_variance``;
* ``few_clusters`` when df < 5; ``small_sample`` when n < 30 or the half-width exceeds 10 pp;
* an index interval, a test and "responses needed" need ≥ 2 df and ≥ 30 responses
  (``MIN_DF``, ``SMALL_SAMPLE_N``), and a positive SE;
* rates (items, E1 options, B0) use Korn–Graubard (:mod:`analysis.inference`).
"""

from __future__ import annotations

import math

import numpy as np

from analysis.estimate import Estimates
from analysis.inference import korn_graubard, t_p_value, t_quantile
from analysis.reference import SMALL_SAMPLE_HALF_WIDTH, SMALL_SAMPLE_N, TARGET_HALF_WIDTH
from analysis.results import Comparison, Difference, Estimate, RankRange

__all__ = [
    "FEW_CLUSTERS_DF",
    "MIN_DF",
    "compare",
    "difference",
    "index_estimate",
    "needed_responses",
    "rate_estimate",
    "ranks",
]

#: Fewer design degrees of freedom than this: the interval rests on few clusters (flagged).
FEW_CLUSTERS_DF = 5
#: An index interval, test or "responses needed" needs at least this many degrees of freedom.
MIN_DF = 2


#: A variance this small relative to the estimate's square is rounding noise of a true zero
#: (sums of weighted scores that cancel leave ~1e-15 relative); as an SE it is under 1e-4 pp.
ZERO_VARIANCE = 1e-12


def _se(var: float, df: float, value: float) -> tuple[float | None, list[str]]:
    """The SE and its flags. With under 1 df (one PSU) there is no interval; a variance of 0
    there means nothing was measured, so the SE is null (R's domain variance can still be
    positive then, from the other PSUs of the strata, and is kept). A variance within rounding
    of zero is zero, so that the result does not depend on the scale of the weights."""
    if math.isnan(var):
        return None, ["single_cluster"]
    zero = var <= ZERO_VARIANCE * (value * value + 1.0)
    if not df >= 1:
        return (None, ["single_cluster"]) if zero else (math.sqrt(var), ["single_cluster"])
    if zero:
        return 0.0, ["no_variance"]
    return math.sqrt(var), []


def _size_flags(n: int, df: float, half: float | None) -> list[str]:
    flags = []
    if df >= 1 and df < FEW_CLUSTERS_DF:
        flags.append("few_clusters")
    if n < SMALL_SAMPLE_N or (half is not None and half > SMALL_SAMPLE_HALF_WIDTH):
        flags.append("small_sample")
    return flags


def interval_allowed(se: float | None, n: int, df: float | None) -> bool:
    """Whether an index may have an interval, a test and a sample-size figure (METHOD §6)."""
    return se is not None and se > 0 and df is not None and df >= MIN_DF and n >= SMALL_SAMPLE_N


def index_estimate(value, var, var_srs, n, df, confidence) -> Estimate:
    """An index (element, sub-index, SIPAS): linearised SE, t interval on ``df``."""
    if math.isnan(value):
        return Estimate(None, None, int(n), confidence, ("no_data",))
    value, var, var_srs, df = float(value), float(var), float(var_srs), float(df)
    se, flags = _se(var, df, value)
    var = 0.0 if se == 0.0 else var
    low = high = None
    if interval_allowed(se, n, df):
        half = float(t_quantile(confidence, df)) * se
        low, high = max(0.0, value - half), min(100.0, value + half)
    flags += _size_flags(n, df, None if low is None else (high - low) / 2)
    deff = var / var_srs if var_srs > 0 and not math.isnan(var) else 1.0
    n_eff = float(n / max(deff, 1.0)) if se is not None else None
    return Estimate(float(value), se, int(n), confidence, tuple(flags), _num(df), low, high, n_eff, "t")


def rate_estimate(value, var, n, rows, df, confidence) -> Estimate:
    """A proportion (item rate, E1 option, B0) with its Korn–Graubard interval."""
    if math.isnan(value):
        return Estimate(None, None, int(n), confidence, ("no_data",), method="korn-graubard")
    value, var, rows, df = float(value), float(var), float(rows), float(df)
    se, flags = _se(var, df, value)
    var = 0.0 if se == 0.0 else var
    low = high = n_eff = None
    if se is not None and df >= 1:
        lo, hi, ne = korn_graubard(
            np.array([value / 100]),
            np.array([var / 1e4]),
            np.array([n]),
            np.array([rows]),
            np.array([df]),
            confidence,
        )
        if not math.isnan(lo[0]):
            low, high, n_eff = 100 * float(lo[0]), 100 * float(hi[0]), float(ne[0])
    flags += _size_flags(n, df, None if low is None else (high - low) / 2)
    method = "clopper-pearson" if value in (0.0, 100.0) or var == 0 else "korn-graubard"
    return Estimate(float(value), se, int(n), confidence, tuple(flags), _num(df), low, high, n_eff, method)


def _num(x) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def compare(estimate: Estimate, reference: float) -> Comparison:
    """``diff = I − B`` in pp, ``t = diff / SE`` on the estimate's df, two-sided p; None where the
    estimate is null or below the minimums (no test on one cluster or a handful of responses)."""
    if estimate.value is None:
        return Comparison(reference, None, None, None)
    diff = estimate.value - reference
    if not interval_allowed(estimate.se, estimate.n, estimate.df):
        return Comparison(reference, diff, None, None, None, estimate.df)
    t = diff / estimate.se
    p = float(t_p_value(t, estimate.df))
    return Comparison(reference, diff, t, p, t, estimate.df)


def difference(a: Estimate, b: Estimate, confidence: float | None = None) -> Difference:
    """``a − b`` of two independent estimates (separate strata or separate designs).

    ``SE = sqrt(SE_a² + SE_b²)`` on Welch–Satterthwaite degrees of freedom
    ``(v_a + v_b)² / (v_a²/df_a + v_b²/df_b)``. Two domains of one design are not independent:
    compare them with :func:`analysis.contrast.compare_domains` (joint linearisation).
    """
    if a.value is None or b.value is None:
        return Difference(None, None, None, None)
    diff = a.value - b.value
    if not (interval_allowed(a.se, a.n, a.df) and interval_allowed(b.se, b.n, b.df)):
        return Difference(diff, None, None, None, flags=("no_interval",))
    va, vb = a.se**2, b.se**2
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / a.df + vb**2 / b.df)
    t = diff / se
    half = float(t_quantile(confidence or a.confidence, df)) * se
    return Difference(diff, se, t, float(t_p_value(t, df)), df, diff - half, diff + half)


def needed_responses(
    estimate: Estimate, n: int, var: float, var_srs: float, target: float = TARGET_HALF_WIDTH
):
    """Further responses for a half-width of ``target`` pp, at the observed design effect
    floored at 1: ``n_needed = n · t_df² · max(Var, Var_srs) / target²``.

    None below the minimums (≥ 2 df, ≥ 30 responses).
    """
    if not interval_allowed(estimate.se, estimate.n, estimate.df) or n == 0:
        return None
    t = float(t_quantile(estimate.confidence, estimate.df))
    per = max(var, var_srs if math.isfinite(var_srs) else 0.0)
    return max(0, math.ceil(n * t * t * per / target**2 - 1e-9) - n)


def ranks(headlines: list[Estimate]) -> list[RankRange]:
    """Rank by value among the groups, with the best and worst ranks their intervals allow.

    A group without an interval (one cluster, or below the minimums) spans [0, 100]: it neither
    claims an exact rank nor narrows anyone else's range.
    """
    value = np.array([np.nan if e.value is None else e.value for e in headlines], dtype=float)
    low = np.array([0.0 if e.low is None else e.low for e in headlines])
    high = np.array([100.0 if e.high is None else e.high for e in headlines])
    ok = ~np.isnan(value)
    total = int(ok.sum())
    out = []
    for g in range(len(value)):
        if not ok[g]:
            out.append(RankRange(None, None, None, total))
            continue
        rank = 1 + int((value[ok] > value[g]).sum())
        best = 1 + int((low[ok] > high[g]).sum())
        worst = total - int((high[ok] < low[g]).sum())
        out.append(RankRange(rank, best, worst, total))
    return out


def estimates_of(est: Estimates, g: int, n_items: int, confidence: float) -> dict[str, Estimate]:
    """Every item (the first ``n_items`` codes), element, sub-index and SIPAS estimate of domain g."""
    q = n_items
    out = {}
    for m, code in enumerate(est.codes):
        args = (est.value[g, m], est.var[g, m])
        if m < q:
            out[code] = rate_estimate(*args, est.n[g, m], est.rows[g, m], est.df[g, m], confidence)
        else:
            out[code] = index_estimate(*args, est.var_srs[g, m], est.n[g, m], est.df[g, m], confidence)
    return out


def extras_of(est: Estimates, g: int, confidence: float) -> dict[str, Estimate]:
    """The outcome and multi-choice option rates of domain g, by name."""
    return {
        code: rate_estimate(
            est.extra_value[g, e],
            est.extra_var[g, e],
            est.extra_n[g, e],
            est.extra_rows[g, e],
            est.extra_df[g, e],
            confidence,
        )
        for e, code in enumerate(est.extra_codes)
    }
