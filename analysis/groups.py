"""Grouping keys: any column, or ``day`` / ``month`` / ``quarter`` derived from ``submitted_at``
(or, for cells, from a coarser-grained key column: ``month`` from ``day`` …)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError

__all__ = ["PERIODS", "derived_key", "key_series"]

PERIODS = ("day", "month", "quarter")


def _period(times: pd.Series, kind: str) -> pd.Series:
    """Labels like ``2025-07`` or ``2025-Q3``, formatted once per distinct period, not per row."""
    stamp = pd.to_datetime(times)
    year = stamp.dt.year.to_numpy(dtype=np.int64, na_value=0)
    month = stamp.dt.month.to_numpy(dtype=np.int64, na_value=0)
    if kind == "day":
        day = stamp.dt.day.to_numpy(dtype=np.int64, na_value=0)
        codes, uniques = pd.factorize((year * 100 + month) * 100 + day, sort=True)
        labels = np.asarray(
            [f"{u // 10000}-{u // 100 % 100:02d}-{u % 100:02d}" for u in uniques], dtype=object
        )
        return pd.Series(labels[codes] if len(codes) else [], index=times.index, dtype="str")
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


def derived_key(keys: pd.DataFrame, name: str) -> pd.Series | None:
    """A period key of cells from a finer one: ``month`` from ``day``, ``quarter`` from ``day`` or
    ``month`` (labels as :func:`key_series` makes them); None if it cannot be derived."""
    if name in keys:
        return keys[name].astype("str")
    source = next((c for c in ("day", "month") if c in keys and PERIODS.index(c) < PERIODS.index(name)), None)
    if name not in PERIODS or source is None:
        return None
    text = keys[source].astype("str")
    if name == "month":
        return text.str[:7]
    month = pd.to_numeric(text.str[5:7], errors="coerce").fillna(0).astype(int)
    return text.str[:4] + "-Q" + ((month + 2) // 3).astype(str)
