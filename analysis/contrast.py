"""Comparing two domains of one design (e.g. two date ranges of one unit), METHOD §6.

For chosen estimates the difference ``I_A − I_B``, its SE by joint linearisation,

    Var(I_A − I_B) = ∇_Aᵀ V_AA ∇_A + ∇_Bᵀ V_BB ∇_B − 2 ∇_Aᵀ V_AB ∇_B,

with ``V`` the covariance of the domains' totals (:func:`analysis.design.totals_cov`) and ``∇``
each index's gradient on them (R: ``svyby(~y + x, ~period, design, svytotal, covmat = TRUE)``
then ``svycontrast``), a t interval on the degrees of freedom of the two domains together (PSUs
minus strata of A ∪ B: R ``degf(subset(design, A | B))``) and a two-sided p. The design is the
data given: pass the responses (or cells) whose design you mean, e.g. the unit's whole history
with counters as strata. A and B must not overlap. Used for improvement actions (before/after)
and for the "last 30 days vs the 90 before" drop alert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

import numpy as np
import pandas as pd

from analysis.answers import rating_answers
from analysis.cells import FLAGS_KEY, CellStats, check_weights, key_frame, sums_of
from analysis.chain import chain_coefficients
from analysis.compute import _as_tuple, _scaled, psu_codes
from analysis.design import domain_totals, totals_cov
from analysis.errors import AnalysisError
from analysis.estimate import estimate_domains
from analysis.inference import t_p_value, t_quantile
from analysis.instrument import Instrument
from analysis.layout import Layout, layout_of
from analysis.quality import flags_with_answers
from analysis.reference import SMALL_SAMPLE_N
from analysis.report import FEW_CLUSTERS_DF, MIN_DF, estimates_of, extras_of
from analysis.results import Estimate
from analysis.run import Options, Parts, _design, excluded_labels

__all__ = ["Contrast", "ContrastEstimate", "compare_domains", "period_mask"]

_DOMAIN = "__domain__"


@dataclass(frozen=True)
class ContrastEstimate:
    """One estimate in domains A and B and their difference ``diff = A − B`` (pp)."""

    code: str
    a: Estimate
    b: Estimate
    diff: float | None
    se: float | None
    df: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    p_value: float | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contrast:
    """The compared estimates by code, at ``confidence``; ``n_a``/``n_b`` responses kept."""

    confidence: float
    n_a: int
    n_b: int
    df: float | None
    estimates: Mapping[str, ContrastEstimate]

    def __getitem__(self, code: str) -> ContrastEstimate:
        return self.estimates[code]


def period_mask(
    data: pd.DataFrame | CellStats, start: date | str, end: date | str, column: str = "submitted_at"
) -> np.ndarray:
    """Rows (responses, or cells by their ``day`` key) dated from ``start`` to ``end``, both included."""
    lo, hi = pd.Timestamp(start).date().isoformat(), pd.Timestamp(end).date().isoformat()
    if isinstance(data, CellStats):
        if "day" not in data.keys:
            raise AnalysisError("cells: a date range needs a 'day' key")
        days = data.keys["day"].astype("str")
    else:
        days = pd.to_datetime(data[column]).dt.strftime("%Y-%m-%d")
    return ((days >= lo) & (days <= hi)).to_numpy(dtype=bool)


def _labels(a, b, size: int) -> np.ndarray:
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != (size,) or b.shape != (size,):
        raise AnalysisError(f"domains: a and b must be {size} true/false values, one per row")
    if (a & b).any():
        raise AnalysisError(f"domains: a and b overlap (row {int(np.flatnonzero(a & b)[0]) + 1})")
    return np.where(a, "a", np.where(b, "b", "")).astype(object)


def _from_frame(df, instrument, layout, label, weight, cluster, strata, counts, opening_hours):
    count_cols = () if counts is None else tuple(c for c in counts.columns if c != "dossiers")
    answers = rating_answers(df, instrument)
    flags = flags_with_answers(df, answers, opening_hours)
    keys = key_frame(df, tuple(dict.fromkeys([*strata, *count_cols])), flags)
    keys.insert(0, _DOMAIN, label)
    w = _scaled(check_weights(df, weight))
    psu = psu_codes(df, keys, strata, cluster) if cluster else None
    uniques, stats, _, found = sums_of(df, answers, layout, keys, w, psu)
    return uniques, stats, None if found is None else Parts(*found)


def gradient(layout: Layout, totals: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """∂I/∂T of an index ``I = Σ c_q·100·Y_q/X_q`` on the v-space totals."""
    q = layout.n_items
    big_x = totals[q : 2 * q]
    has = big_x > 0
    inv = np.divide(100.0, big_x, out=np.zeros(q), where=has)
    ratio = np.divide(totals[:q], big_x, out=np.zeros(q), where=has)
    out = np.zeros(layout.n_vars)
    out[:q] = coef * inv
    out[q : 2 * q] = -coef * inv * ratio
    return out


def _rate_gradient(layout: Layout, totals: np.ndarray, y: int, x: int) -> np.ndarray:
    out = np.zeros(layout.n_vars)
    if totals[x] > 0:
        out[y] = 100.0 / totals[x]
        out[x] = -100.0 * totals[y] / totals[x] ** 2
    return out


def compare_domains(
    data: pd.DataFrame | CellStats,
    instrument: Instrument,
    a: np.ndarray | pd.Series,
    b: np.ndarray | pd.Series,
    *,
    estimates: Sequence[str] = ("sipas", "policy", "service"),
    weight: str | None = None,
    cluster: str | None = None,
    strata: str | Sequence[str] | None = None,
    counts: pd.DataFrame | None = None,
    confidence: float = 0.95,
    include_flagged: bool = False,
    opening_hours: Mapping[str, str] | None = None,
) -> Contrast:
    """Difference of chosen estimates between domains A and B of one design (see module doc).

    Parameters
    ----------
    data : responses (interchange DataFrame) or :class:`~analysis.cells.CellStats`
    a, b : true/false per row of ``data`` (responses, or cells); :func:`period_mask` makes them
        from dates.
    estimates : codes: ``sipas``, ``policy``, ``service``, elements (``B1`` …), items
        (``B1.1`` …), the outcome ``B0`` or a multi-choice option (``E1:3``).
    weight, cluster, strata, counts : the design, as in :func:`~analysis.compute.compute_indices`
        (for cells only ``strata`` and ``counts``; their weights are in the cells).

    Returns
    -------
    Contrast
        Per code: both estimates, ``diff``, ``se``, ``df``, t interval and p. Interval and p are
        None below the minimums (df ≥ 2, ≥ 30 responses on each side, a positive SE), with flags.

    Examples
    --------
    >>> last = period_mask(df, "2026-11-02", "2026-12-01")                # doctest: +SKIP
    >>> before = period_mask(df, "2026-08-04", "2026-11-01")              # doctest: +SKIP
    >>> compare_domains(df, ins, last, before, strata="point_code")["sipas"].p_value  # doctest: +SKIP
    """
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence: {confidence} must be between 0 and 1")
    layout = layout_of(instrument)
    strata_cols = _as_tuple(strata)
    if isinstance(data, CellStats):
        keys = data.keys.copy()
        keys.insert(0, _DOMAIN, _labels(a, b, len(data)))
        stats, parts = data.stats, None
    else:
        for name in (*strata_cols, *_as_tuple(weight), *_as_tuple(cluster)):
            if name not in data:
                raise AnalysisError(f"column {name}: no such column")
        label = _labels(a, b, len(data))
        keys, stats, parts = _from_frame(
            data, instrument, layout, label, weight, cluster, strata_cols, counts, opening_hours
        )
    options = Options(
        strata=strata_cols, counts=counts, confidence=confidence, include_flagged=include_flagged
    )
    kept = np.ones(len(keys), bool) if include_flagged else ~excluded_labels(keys[FLAGS_KEY])
    design, _ = _design(layout, keys, stats, parts, kept, options)
    dom = keys[_DOMAIN].to_numpy(dtype=object)[kept]
    in_a, in_b = dom == "a", dom == "b"
    return _contrast(design, instrument, layout, in_a, in_b, tuple(estimates), confidence)


def _contrast(design, instrument, layout, in_a, in_b, codes, confidence) -> Contrast:
    est = estimate_domains(design, [in_a, in_b, in_a | in_b], instrument)
    q = layout.n_items
    made = [{**estimates_of(est, d, q, confidence), **extras_of(est, d, confidence)} for d in (0, 1)]
    unknown = [c for c in codes if c not in made[0]]
    if unknown:
        raise AnalysisError(f"estimates: unknown code {unknown[0]}")
    totals = [domain_totals(design, m) for m in (in_a, in_b)]
    cov_aa, cov_bb = totals_cov(design, in_a), totals_cov(design, in_b)
    cov_ab = totals_cov(design, in_a, in_b)
    chains = [chain_coefficients(~np.isnan(est.value[d, :q])[None, :], instrument) for d in (0, 1)]
    rates = layout.rates()
    df = float(est.domain_df[2])
    out = {}
    for code in codes:
        if code in rates and code not in layout.items:
            grads = [_rate_gradient(layout, t, *rates[code]) for t in totals]
        else:
            m = est.codes.index(code)
            grads = [gradient(layout, totals[d], chains[d].coef[0, m]) for d in (0, 1)]
        var = grads[0] @ cov_aa @ grads[0] + grads[1] @ cov_bb @ grads[1] - 2 * grads[0] @ cov_ab @ grads[1]
        out[code] = _difference(code, made[0][code], made[1][code], var, df, confidence)
    return Contrast(
        confidence, int(est.size[0]), int(est.size[1]), None if math.isnan(df) else df, MappingProxyType(out)
    )


def _difference(
    code, ea: Estimate, eb: Estimate, var: float, df: float, confidence: float
) -> ContrastEstimate:
    if ea.value is None or eb.value is None:
        return ContrastEstimate(code, ea, eb, None, None, None, None, None, None, None, ("no_data",))
    diff = ea.value - eb.value
    flags = []
    if not df >= 1:
        return ContrastEstimate(code, ea, eb, diff, None, None, None, None, None, None, ("single_cluster",))
    se = math.sqrt(max(var, 0.0)) if var > 1e-12 * (ea.value**2 + eb.value**2 + 1) else 0.0
    if df < FEW_CLUSTERS_DF:
        flags.append("few_clusters")
    if min(ea.n, eb.n) < SMALL_SAMPLE_N:
        flags.append("small_sample")
    if se == 0:
        flags.append("no_variance")
    if se == 0 or df < MIN_DF or min(ea.n, eb.n) < SMALL_SAMPLE_N:
        return ContrastEstimate(code, ea, eb, diff, se, df, None, None, None, None, tuple(flags))
    half = float(t_quantile(confidence, df)) * se
    t = diff / se
    return ContrastEstimate(
        code, ea, eb, diff, se, df, diff - half, diff + half, t, float(t_p_value(t, df)), tuple(flags)
    )
