"""Cronbach's alpha per element (METHOD §4), complete cases, unweighted, with the Feldt interval.

Service elements use their items; the policy block uses A1..A4 of the group each respondent
answered about (a respondent answers one group, so an element's nine group items never have
complete cases on their own). Computed from the complete-case sums the cells keep.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from analysis.layout import Layout
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


def cronbach_alpha(sums: np.ndarray, layout: Layout, confidence: float = 0.95) -> list[dict[str, Alpha]]:
    """Alpha per block for every domain from its complete-case sums (rows of ``sums``).

    ``cov = (Σx xᵀ − Σx Σxᵀ / n) / (n − 1)`` over complete cases. Null (flag
    ``too_few_cases``) below 3 complete cases or without variance; flag ``low_alpha`` below 0.6.
    """
    out: list[dict[str, Alpha]] = [{} for _ in range(len(sums))]
    at = 0
    for block in layout.alpha:
        k = len(block.columns)
        part = sums[:, at : at + block.size]
        at += block.size
        n, s1 = part[:, 0], part[:, 1 : 1 + k]
        s2 = np.zeros((len(sums), k, k))
        upper = np.triu_indices(k)
        s2[:, upper[0], upper[1]] = part[:, 1 + k :]
        s2[:, upper[1], upper[0]] = part[:, 1 + k :]
        centred = s2 - np.einsum("gj,gm->gjm", s1, s1) / np.maximum(n, 1.0)[:, None, None]
        alpha = alpha_from_cov(centred / np.maximum(n - 1.0, 1.0)[:, None, None])
        ok = (n >= 3) & ~np.isnan(alpha)
        low, high = feldt_interval(np.where(ok, alpha, 0.0), n, k, confidence)
        for d in range(len(sums)):
            count = int(round(n[d]))
            if not ok[d]:
                out[d][block.name] = Alpha(
                    block.name, None, count, k, None, None, confidence, ("too_few_cases",)
                )
                continue
            flags = ("low_alpha",) if alpha[d] < LOW_ALPHA else ()
            out[d][block.name] = Alpha(
                block.name, float(alpha[d]), count, k, float(low[d]), float(high[d]), confidence, flags
            )
    return out
