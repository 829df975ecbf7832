"""Turn the estimate arrays into result objects: flags, baseline test, ranks, sample size."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
from scipy import special

from analysis.drivers import TOP, DriverTable
from analysis.estimate import Estimates
from analysis.reference import SMALL_SAMPLE_HALF_WIDTH, SMALL_SAMPLE_N, TARGET_HALF_WIDTH
from analysis.results import (
    Alpha,
    Comparison,
    Difference,
    Estimate,
    GroupResult,
    Priority,
    RankRange,
    z_value,
)

__all__ = ["build_groups", "compare", "difference", "needed_responses"]

SUBINDICES = ("service", "policy", "sipas")


def compare(estimate: Estimate, reference: float) -> Comparison:
    """``diff = I − B`` in pp, ``z = diff / SE``, two-sided normal ``p``; None where undefined."""
    if estimate.value is None:
        return Comparison(reference, None, None, None)
    diff = estimate.value - reference
    if not estimate.se:
        return Comparison(reference, diff, None, None)
    z = diff / estimate.se
    return Comparison(reference, diff, z, float(2.0 * special.ndtr(-abs(z))))


def difference(a: Estimate, b: Estimate) -> Difference:
    """``a − b`` with ``SE = sqrt(SE_a² + SE_b²)``.

    Precondition: ``a`` and ``b`` are independent, i.e. estimated from separate strata (units
    when ``--by`` is the stratum, METHOD §3 "Between two units: difference and its SE from
    independent strata"). Two estimates sharing responses or strata (a unit and its province,
    two months of one unit with strata other than the month) are correlated, and this SE is
    then wrong; such comparisons need the joint linearisation instead.
    """
    if a.value is None or b.value is None or a.se is None or b.se is None:
        return Difference(None, None, None, None)
    diff, se = a.value - b.value, math.hypot(a.se, b.se)
    if se == 0:
        return Difference(diff, se, None, None)
    z = diff / se
    return Difference(diff, se, z, float(2.0 * special.ndtr(-abs(z))))


def needed_responses(estimate: Estimate, n: int, target: float = TARGET_HALF_WIDTH) -> int | None:
    """Further responses for a half-width of ``target`` pp, at the observed design effect.

    Notes
    -----
    The variance scales as 1/n at a fixed design effect, so ``n_needed = n · (h / target)²``
    with ``h`` the current half-width; the answer is ``max(0, ceil(n_needed) − n)``.
    """
    half = estimate.half_width
    if half is None or n == 0:
        return None
    return max(0, math.ceil(n * (half / target) ** 2 - 1e-9) - n)


def _estimate(est: Estimates, g: int, m: int, confidence: float) -> Estimate:
    value, se, n = est.value[g, m], est.se[g, m], int(est.n[g, m])
    if np.isnan(value):
        return Estimate(None, None, n, confidence, ("no_data",))
    result = Estimate(float(value), float(se), n, confidence)
    half = result.half_width or 0.0
    if n < SMALL_SAMPLE_N or half > SMALL_SAMPLE_HALF_WIDTH:
        result = Estimate(float(value), float(se), n, confidence, ("small_sample",))
    return result


def _no_precision(est: Estimates, m: int) -> np.ndarray:
    """Per domain: an SE of 0 that only reflects one cluster (or one response), not precision."""
    return (est.se[:, m] == 0) & (est.single_cluster | (est.n[:, m] < 2))


def _ranks(est: Estimates, confidence: float) -> list[RankRange | None]:
    """Rank by SIPAS among the groups, with the best and worst ranks their intervals allow.

    A group whose SE is 0 only for want of a second cluster has the interval [0, 100]: it
    neither claims an exact rank nor narrows anyone else's range.
    """
    m = est.codes.index("sipas")
    value = est.value[1:, m]
    half = z_value(confidence) * est.se[1:, m]
    low, high = np.clip(value - half, 0.0, 100.0), np.clip(value + half, 0.0, 100.0)
    unknown = _no_precision(est, m)[1:]
    low, high = np.where(unknown, 0.0, low), np.where(unknown, 100.0, high)
    ok = ~np.isnan(value)
    total = int(ok.sum())
    out: list[RankRange | None] = [None]
    for g in range(len(value)):
        if not ok[g]:
            out.append(RankRange(None, None, None, total))
            continue
        rank = 1 + int((value[ok] > value[g]).sum())
        best = 1 + int((low[ok] > high[g]).sum())
        worst = total - int((high[ok] < low[g]).sum())
        out.append(RankRange(rank, best, worst, total))
    return out


def _priorities(drivers: DriverTable, items: Mapping[str, Estimate], g: int) -> tuple[Priority, ...]:
    score = drivers.score[g]
    order = [
        q for q in np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable") if not np.isnan(score[q])
    ]
    default = "group" if drivers.own[g] else "selection"
    return tuple(
        Priority(
            drivers.items[q],
            items[drivers.items[q]],
            float(drivers.importance[g, q]),
            float(score[q]),
            default if drivers.source is None else str(drivers.source[g, q]),
        )
        for q in order[:TOP]
    )


def build_groups(
    est: Estimates,
    keys: Sequence[Mapping[str, str]],
    confidence: float,
    baseline: float,
    national: float,
    quality: Sequence[Mapping[str, int]],
    drivers: DriverTable,
    alpha: Sequence[Mapping[str, Alpha]],
) -> tuple[GroupResult, ...]:
    """One :class:`GroupResult` per domain (0 = whole selection); flags explain every null."""
    ranks = _ranks(est, confidence)
    n_items = len(drivers.items)
    no_precision = {m: _no_precision(est, est.codes.index(m)) for m in ("sipas", "service")}
    out = []
    for g, key in enumerate(keys):
        made = {code: _estimate(est, g, m, confidence) for m, code in enumerate(est.codes)}
        items = {code: made[code] for code in est.codes[:n_items]}
        elements = {code: made[code] for code in est.codes[n_items:-3]}
        size = quality[g]["responses"] - quality[g]["excluded"]
        head = "sipas" if made["sipas"].value is not None else "service"
        headline = made[head]
        flags = list(est.reasons[g])
        if size == 0 and quality[g]["responses"] > 0:
            flags.append("all_excluded")
        if size < SMALL_SAMPLE_N or "small_sample" in headline.flags:
            flags.append("small_sample")
        if est.single_cluster[g]:
            flags.append("single_cluster")
        out.append(
            GroupResult(
                key=MappingProxyType(dict(key)),
                n=size,
                sipas=made["sipas"],
                policy=made["policy"],
                service=made["service"],
                elements=MappingProxyType(elements),
                items=MappingProxyType(items),
                vs_baseline=compare(made["sipas"], baseline),
                vs_national=compare(made["sipas"], national),
                flags=tuple(flags),
                quality=MappingProxyType(dict(quality[g])),
                needed_for_5pp=None if no_precision[head][g] else needed_responses(headline, size),
                rank=ranks[g],
                priorities=_priorities(drivers, items, g),
                alpha=MappingProxyType(dict(alpha[g])),
            )
        )
    return tuple(out)
