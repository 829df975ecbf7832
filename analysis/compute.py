"""The entry point: responses → every index of every group, with uncertainty (METHOD §2-§4)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.answers import rating_answers
from analysis.drivers import priorities, reference_importance
from analysis.errors import AnalysisError
from analysis.estimate import estimate_all
from analysis.groups import group_codes
from analysis.instrument import Instrument
from analysis.linearise import make_design
from analysis.quality import FLAGS, flags_with_answers
from analysis.reference import BASELINE, NATIONAL
from analysis.reliability import cronbach_alpha
from analysis.report import build_groups
from analysis.results import IndexResult
from analysis.weighting import poststratify

__all__ = ["compute_indices"]


def _as_tuple(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    return (by,) if isinstance(by, str) else tuple(by)


def _check(
    df: pd.DataFrame,
    instrument: Instrument,
    confidence: float,
    columns: dict[str, str | None],
    references: Mapping[str, float] | None = None,
) -> None:
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence: {confidence} must be between 0 and 1")
    for option, value in (references or {}).items():
        if not math.isfinite(value):
            raise AnalysisError(f"{option}: {value} is not a finite number")
    for role, name in columns.items():
        if name is not None and name not in df:
            raise AnalysisError(f"column {name}: no such column (given as {role})")
    _check_items(df, instrument)


def _check_items(df: pd.DataFrame, instrument: Instrument) -> None:
    missing = [i.code for i in instrument.index_items if i.code not in df]
    if missing:
        raise AnalysisError(f"column {missing[0]}: index item missing from the responses")


def _subset(df, answers, keep, by_cols, weight, cluster, strata, counts):
    """The kept responses: only the columns the design needs are copied, never the whole frame."""
    if keep.all():
        return df, answers
    needed = {*by_cols, weight, cluster, strata, "submitted_at"} - {None}
    if counts is not None:
        needed |= {c for c in counts.columns if c != "dossiers"}
    columns = [c for c in df.columns if c in needed]
    return df.loc[keep, columns], answers.take(keep)


def _weights(frame: pd.DataFrame, weight: str | None, counts: pd.DataFrame | None):
    """Weights divided by the largest one: rates and linearised SEs do not change under a common
    factor, and sums of huge finite weights (1e307) no longer overflow."""
    if counts is not None:
        result = poststratify(frame, counts)
        return _scaled(result.weights), result
    if weight is None:
        return np.ones(len(frame)), None
    w = pd.to_numeric(frame[weight], errors="coerce").to_numpy(dtype=float)
    if np.isnan(w).any() or (w < 0).any() or np.isinf(w).any():
        pos = int(np.flatnonzero(np.isnan(w) | (w < 0) | np.isinf(w))[0])
        raise AnalysisError(f"column {weight}: weight of response {pos + 1} is not a finite number ≥ 0")
    return _scaled(w), None


def _scaled(w: np.ndarray) -> np.ndarray:
    top = w.max(initial=0.0)
    return w / top if top > 0 else w


def _reference(
    ref: pd.DataFrame | None,
    instrument: Instrument,
    include_flagged: bool,
    opening_hours: Mapping[str, str] | None,
) -> np.ndarray | None:
    """Item importances over the reference responses, quality-flagged ones left out as in the run."""
    if ref is None:
        return None
    _check_items(ref, instrument)
    answers = rating_answers(ref, instrument)
    if not include_flagged:
        answers = answers.take((flags_with_answers(ref, answers, opening_hours) == "").to_numpy())
    return reference_importance(answers, instrument)


def compute_indices(
    df: pd.DataFrame,
    instrument: Instrument,
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    confidence: float = 0.95,
    baseline: float = BASELINE,
    national: float = NATIONAL,
    include_flagged: bool = False,
    counts: pd.DataFrame | None = None,
    opening_hours: Mapping[str, str] | None = None,
    importance_from: pd.DataFrame | None = None,
) -> IndexResult:
    """SIPAS, sub-indices, elements and item rates with linearised SEs, overall and per group.

    Parameters
    ----------
    df : DataFrame
        Responses in the interchange format (from ``read_responses`` / ``validate_frame``).
    by : column name(s), optional
        Grouping; ``month`` and ``quarter`` are derived from ``submitted_at``. Without
        ``strata`` the groups are the strata, so a group's numbers use its rows alone.
    weight, cluster, strata : column names, optional
        Design: weights (default 1), primary sampling units (default: each response), strata
        (default: the ``by`` groups, or none). Clusters are nested in strata.
    counts : DataFrame, optional
        Dossier counts (cell columns + ``dossiers``): post-stratification ``w = N_c / n_c``
        replaces ``weight``.
    confidence : float
        Confidence level of the intervals (default 0.95).
    baseline, national : float
        Reference figures in percent (default 81.51, Lai Châu 2024, and 83.94, national 2024).
    include_flagged : bool
        Keep responses with data-quality flags (default: leave them out, and count them).
    opening_hours : mapping point_code -> text, optional
        Opening hours per service point for the ``after_hours`` flag.
    importance_from : DataFrame, optional
        Responses (interchange format) whose item-B0 correlations serve any domain with fewer
        than 100 responses, e.g. the whole province for a unit report (METHOD §4); default: the
        whole selection. Priorities say which was used (``importance_from``).

    Returns
    -------
    IndexResult
        Group ``{}`` (the whole selection, stratified) first, then each group in key order,
        including groups whose responses were all left out (null values, flag ``all_excluded``).

    Raises
    ------
    AnalysisError
        A named column is missing, the confidence is not in (0, 1), the baseline or national
        figure is not finite, a weight is negative or not finite, or
        (DataError) a weighting cell has responses but no dossier count.

    Examples
    --------
    >>> result = compute_indices(df, ins, by="unit_code", cluster="point_code")  # doctest: +SKIP
    >>> result.group(unit_code="SNV").sipas.confidence_interval()  # doctest: +SKIP
    ConfidenceInterval(low=82.04, high=86.36)

    Notes
    -----
    ``S_q = 100 Σ w·sat / Σ w·valid``; each index ``I = Σ c_q S_q`` (METHOD §2) with
    ``Var(I) = cᵀ V c`` and ``V`` the Taylor-linearised covariance of the rates (METHOD §3).
    """
    by_cols = _as_tuple(by)
    references = {"baseline": baseline, "national": national}
    _check(df, instrument, confidence, {"weight": weight, "cluster": cluster, "strata": strata}, references)
    answers = rating_answers(df, instrument)
    flags = flags_with_answers(df, answers, opening_hours)
    keep = np.ones(len(df), dtype=bool) if include_flagged else (flags == "").to_numpy()
    frame, kept = _subset(df, answers, keep, by_cols, weight, cluster, strata, counts)
    # Groups come from every response, so a group whose responses were all left out is shown.
    all_group, keys = group_codes(df, by_cols)
    group = all_group if frame is df else all_group[keep]
    w, weighting = _weights(frame, weight, counts)
    stratum = frame[strata] if strata else (pd.Series(group, index=frame.index) if by_cols else None)
    design = make_design(group, len(keys), stratum, frame[cluster] if cluster else None)
    est = estimate_all(kept, instrument, w, design)
    quality = _quality(flags, all_group, len(keys), bool(by_cols), include_flagged)
    reference = _reference(importance_from, instrument, include_flagged, opening_hours)
    ranked = priorities(kept, instrument, group, len(keys), est, reference=reference)
    alpha = cronbach_alpha(kept, instrument, group, len(keys), confidence)
    shown = [{}, *keys] if by_cols else [{}]
    groups = build_groups(est, shown, confidence, baseline, national, quality, ranked, alpha)
    if weighting is not None and weighting.flags:  # coverage: cells with dossiers, no responses
        groups = (replace(groups[0], flags=(*groups[0].flags, *weighting.flags)), *groups[1:])
    return IndexResult(
        instrument=instrument.id,
        confidence=confidence,
        baseline=baseline,
        national=national,
        groups=groups,
        by=by_cols,
        design={
            "weight": "dossiers" if counts is not None else weight,
            "cluster": cluster,
            "strata": strata or ("+".join(by_cols) or None),
        },
        quality=quality[0],
        weighting=None if weighting is None else weighting.cells,
        weighting_points=None if weighting is None else weighting.points,
    )


def _quality(flags: pd.Series, group: np.ndarray, n_groups: int, by_group: bool, included: bool):
    """Flag counts for the whole selection and (``by_group``) each group, in the order of the results."""
    codes, uniques = pd.factorize(flags)
    table = np.bincount(group * len(uniques) + codes, minlength=n_groups * len(uniques))
    table = table.reshape(n_groups, len(uniques))
    rows = [table.sum(axis=0), *(table if by_group else [])]
    out = []
    for row in rows:
        counts = {"responses": int(row.sum()), "flagged": 0, **dict.fromkeys(FLAGS, 0)}
        for label, k in zip(uniques, row, strict=True):
            names = [f for f in str(label).split(";") if f]
            counts["flagged"] += int(k) if names else 0
            for name in names:
                counts[name] = counts.get(name, 0) + int(k)
        counts["excluded"] = 0 if included else counts["flagged"]
        out.append(counts)
    return out
