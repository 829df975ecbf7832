"""Cronbach's alpha per element (METHOD §4), complete cases, unweighted, with the Feldt interval.

Service elements use their items; the policy block uses A1..A4 of the group each respondent
answered about (a respondent answers one group, so an element's nine group items never have
complete cases on their own).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from analysis.answers import Answers
from analysis.instrument import Instrument
from analysis.results import Alpha

__all__ = ["LOW_ALPHA", "alpha_from_cov", "cronbach_alpha", "feldt_interval"]

LOW_ALPHA = 0.6


def alpha_from_cov(cov: np.ndarray) -> np.ndarray:
    """``alpha = k/(k−1) · (1 − Σ_j var_j / var(Σ_j x_j))`` from covariance matrices ``(..., k, k)``."""
    k = cov.shape[-1]
    total = cov.sum(axis=(-2, -1))
    trace = np.trace(cov, axis1=-2, axis2=-1)
    ratio = np.divide(trace, total, out=np.full(total.shape, np.nan), where=total > 0)
    return k / (k - 1) * (1.0 - ratio)


def feldt_interval(
    alpha: np.ndarray, n: np.ndarray, k: int, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Feldt (1965): ``(1 − alpha)/(1 − alpha_hat) ~ F(n−1, (n−1)(k−1))``.

    ``low = 1 − (1 − a)·F_{1−γ/2}``, ``high = 1 − (1 − a)·F_{γ/2}`` with ``γ = 1 − confidence``
    (as ``psych::alpha.ci``).
    """
    df1 = np.maximum(n - 1.0, 1.0)
    df2 = df1 * (k - 1)
    gamma = 1.0 - confidence
    low = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, 1.0 - gamma / 2.0)
    high = 1.0 - (1.0 - alpha) * special.fdtri(df1, df2, gamma / 2.0)
    return low, high


def _blocks(answers: Answers, instrument: Instrument) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per element with ≥ 2 items: answer codes (n × k) and whether the row is a complete case."""
    out = {}
    for element in instrument.subindex_elements("service"):
        cols = [answers.index(i.code) for i in instrument.element_items(element.code)]
        if len(cols) >= 2:
            complete = np.logical_and.reduce([answers.valid(k) for k in cols])
            out[element.code] = (answers.codes[:, cols], complete)
    policy = instrument.subindex_elements("policy")
    if len(policy) >= 2:
        codes, valid = [], []
        for e in policy:  # one group per respondent: the element's answer is its one valid group item
            cols = [answers.index(i.code) for i in instrument.element_items(e.code)]
            ok = np.column_stack([answers.valid(k) for k in cols])
            codes.append(np.where(ok, answers.codes[:, cols], -1).max(axis=1))
            valid.append(ok.any(axis=1))
        out["policy"] = (np.column_stack(codes), np.logical_and.reduce(valid))
    return out


def _group_cov(
    codes: np.ndarray, complete: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per domain (0 = all) complete-case count and sample covariance matrix, from sums."""
    g, v = group[complete], codes[complete].astype(float)
    x = codes
    k = x.shape[1]
    n = np.bincount(g, minlength=n_groups).astype(float)
    s1 = np.stack([np.bincount(g, weights=v[:, j], minlength=n_groups) for j in range(k)], 1)
    s2 = np.empty((n_groups, k, k))
    for j in range(k):
        for m in range(j, k):
            s2[:, j, m] = s2[:, m, j] = np.bincount(g, weights=v[:, j] * v[:, m], minlength=n_groups)
    n = np.concatenate([[n.sum()], n])
    s1 = np.concatenate([s1.sum(axis=0, keepdims=True), s1])
    s2 = np.concatenate([s2.sum(axis=0, keepdims=True), s2])
    centred = s2 - np.einsum("gj,gm->gjm", s1, s1) / np.maximum(n, 1.0)[:, None, None]
    cov = centred / np.maximum(n - 1.0, 1.0)[:, None, None]
    return n, cov


def cronbach_alpha(
    answers: Answers, instrument: Instrument, group: np.ndarray, n_groups: int, confidence: float = 0.95
) -> list[dict[str, Alpha]]:
    """Alpha per element for the whole selection (index 0) and each group.

    Null (with flag ``too_few_cases``) below 3 complete cases or without variance; flag
    ``low_alpha`` below 0.6.
    """
    out: list[dict[str, Alpha]] = [{} for _ in range(n_groups + 1)]
    for code, (x, complete) in _blocks(answers, instrument).items():
        n, cov = _group_cov(x, complete, group, n_groups)
        k = x.shape[1]
        alpha = alpha_from_cov(cov)
        ok = (n >= 3) & ~np.isnan(alpha)
        low, high = feldt_interval(np.where(ok, alpha, 0.0), n, k, confidence)
        for d in range(n_groups + 1):
            if not ok[d]:
                out[d][code] = Alpha(code, None, int(n[d]), k, None, None, confidence, ("too_few_cases",))
                continue
            flags = ("low_alpha",) if alpha[d] < LOW_ALPHA else ()
            out[d][code] = Alpha(
                code, float(alpha[d]), int(n[d]), k, float(low[d]), float(high[d]), confidence, flags
            )
    return out
