"""Intervals and tests on the design's degrees of freedom (METHOD §6).

* Composite indices (SIPAS, sub-indices, elements): ``value ± t_{df} · SE`` — R
  ``confint(svycontrast(...), df = degf(design))``.
* Item rates and other proportions: Korn–Graubard — R ``svyciprop(method = "beta")``:
  ``n_eff = p(1−p)/Var(p) · (t_{n−1} / t_{df})²`` (``n`` = rows of the design the proportion is
  estimated on), then the Clopper–Pearson interval of ``n_eff·p`` successes in ``n_eff`` trials.
  Where ``Var(p)`` is 0 (every answer alike, e.g. 100 %) R's formula is undefined; the
  design effect is then taken as 1 (``n_eff = n`` answers before the df factor), which at
  0 % and 100 % is the Clopper–Pearson interval, never a zero-width one.
* Tests: ``t = diff / SE`` with two-sided p from Student's t on ``df``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["korn_graubard", "t_p_value", "t_quantile"]


def t_quantile(confidence: float, df: np.ndarray | float) -> np.ndarray:
    """``t_{df, (1+confidence)/2}``; NaN where ``df < 1`` (no interval on zero df)."""
    df = np.asarray(df, dtype=float)
    safe = np.where(df >= 1, df, 1.0)
    q = special.stdtrit(safe, (1.0 + confidence) / 2.0)
    return np.where(df >= 1, q, np.nan)


def t_p_value(t: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided p of a t statistic on ``df`` degrees of freedom (NaN where ``df < 1``)."""
    df = np.asarray(df, dtype=float)
    t = np.asarray(t, dtype=float)
    p = 2.0 * special.stdtr(np.where(df >= 1, df, 1.0), -np.abs(t))
    return np.where(df >= 1, p, np.nan)


def korn_graubard(
    p: np.ndarray,
    var: np.ndarray,
    answers: np.ndarray,
    rows: np.ndarray,
    df: np.ndarray,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Korn–Graubard interval of proportions ``p`` (0–1) with design variances ``var``.

    Parameters
    ----------
    answers : unweighted number of answers behind each proportion (``n`` when Var = 0)
    rows : rows of the design R's ``nrow(design)`` sees (the answers, or for a post-stratified
        design every row of it, as R keeps them in a subset)
    df : design degrees of freedom of each proportion

    Returns
    -------
    low, high, n_eff : the bounds (0–1) and the effective sample size before the df factor;
    NaN where ``df < 1`` or no answer.

    Examples
    --------
    >>> low, high, n_eff = korn_graubard(np.array([0.62]), np.array([0.0089]),
    ...     np.array([30]), np.array([30]), np.array([27]), 0.95)  # doctest: +SKIP
    """
    p, var = np.asarray(p, float), np.asarray(var, float)
    answers, rows, df = (np.asarray(a, float) for a in (answers, rows, df))
    alpha = 1.0 - confidence
    defined = (var > 0) & (p > 0) & (p < 1)
    n_eff = np.where(defined, p * (1 - p) / np.where(defined, var, 1.0), answers)
    ok = (df >= 1) & (rows >= 2) & (answers >= 1) & np.isfinite(p)
    t_rows = special.stdtrit(np.where(ok, rows - 1, 1.0), alpha / 2)
    t_df = special.stdtrit(np.where(ok, df, 1.0), alpha / 2)
    adjusted = n_eff * (t_rows / t_df) ** 2
    x = adjusted * p
    low = np.where(p > 0, special.betaincinv(np.maximum(x, 1e-300), adjusted - x + 1, alpha / 2), 0.0)
    high = np.where(p < 1, special.betaincinv(x + 1, np.maximum(adjusted - x, 1e-300), 1 - alpha / 2), 1.0)
    nan = np.full(p.shape, np.nan)
    return np.where(ok, low, nan), np.where(ok, high, nan), np.where(ok, n_eff, nan)
