"""Grouping keys: any column, or ``month`` / ``quarter`` derived from ``submitted_at``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError

__all__ = ["PERIODS", "group_codes", "key_series"]

PERIODS = ("month", "quarter")


def _period(times: pd.Series, kind: str) -> pd.Series:
    """Labels like ``2025-07`` or ``2025-Q3``, formatted once per distinct period, not per row."""
    stamp = pd.to_datetime(times)
    year = stamp.dt.year.to_numpy(dtype=np.int64, na_value=0)
    month = stamp.dt.month.to_numpy(dtype=np.int64, na_value=0)
    part = month if kind == "month" else (month + 2) // 3
    codes, uniques = pd.factorize(year * 100 + part, sort=True)
    fmt = "{}-{:02d}" if kind == "month" else "{}-Q{}"
    labels = np.asarray([fmt.format(u // 100, u % 100) for u in uniques], dtype=object)
    return pd.Series(labels[codes] if len(codes) else [], index=times.index, dtype="str")


def key_series(df: pd.DataFrame, name: str) -> pd.Series:
    """A grouping column as text; ``month`` and ``quarter`` come from ``submitted_at``.

    Raises
    ------
    AnalysisError
        If the column does not exist.
    """
    if name in df:
        col = df[name]
        if col.dtype.kind in "iuf":
            return (
                col.astype("Int64").astype("str").fillna("") if col.dtype.kind != "f" else col.astype("str")
            )
        return col.astype("str").fillna("")
    if name in PERIODS and "submitted_at" in df:
        return _period(df["submitted_at"], name)
    raise AnalysisError(f"column {name}: no such column to group by")


def group_codes(df: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Group number per row (0..G-1, sorted by key) and the key of each group."""
    if not by:
        return np.zeros(len(df), dtype=np.int64), [{}]
    combined = np.zeros(len(df), dtype=np.int64)
    parts = []
    for name in by:
        codes, uniques = pd.factorize(key_series(df, name), sort=True)
        combined = combined * (len(uniques) + 1) + codes
        parts.append((name, np.asarray(uniques, dtype=object), len(uniques) + 1))
    group, combos = pd.factorize(combined, sort=True)
    keys = []
    for value in combos:
        key, rest = {}, int(value)
        for name, uniques, radix in reversed(parts):
            key[name] = str(uniques[rest % radix])
            rest //= radix
        keys.append(dict(reversed(list(key.items()))))
    return group.astype(np.int64), keys
