"""Cell statistics: everything the indices and the reports need, without the responses.

Contract
--------
A *cell* is the set of responses sharing the values of some key columns the caller chooses
(e.g. unit, counter, day) and the same data-quality label (key column ``flags``: the
``;``-joined flags, ``''`` for a clean response). Its statistics are sums over its responses:

* ``n``, ``Σw``, ``Σw²``; for every 0/1 rate variable ``v`` (per index item: satisfied and
  valid; the outcome B0 likewise; per E1 option: chosen, and E1 answered) ``Σv``, ``Σw·v``,
  ``Σw²·v`` and the cross-products ``Σw²·v_i·v_j`` that can be non-zero and are not implied
  (items of two policy groups never meet; see :mod:`analysis.layout`);
* per index item the item × B0 table of valid answer pairs (exact Spearman importances);
* per Cronbach block the complete cases, ``Σx_j`` and ``Σx_j·x_m`` of the answer codes;
* per composite estimate (element, sub-index, SIPAS) the responses with a valid answer to it.

These are the sufficient statistics of every estimate of a design whose primary units are the
responses (R ``svydesign(ids = ~1, strata = ~s, weights = ~w)``, optionally
``postStratify``-ed), provided strata, post-strata and domains are made of whole cells: keep
their columns among the keys. Cells add and subtract (``+``, ``-``: a new response, a deleted
one, a response whose flags changed moves from one cell to another), roll up to fewer keys
(days → months: :meth:`CellStats.rollup`), and one cell serialises to compact bytes tagged with
the instrument layout (:meth:`CellStats.to_bytes`; a stale layout is refused on reading).
:func:`compute_from_cells` returns the :class:`~analysis.results.IndexResult` that
:func:`~analysis.compute.compute_indices` gives on the same responses and design — values and
SEs agree to rounding (1e-9), because ``compute_indices`` without clusters runs on these cells.

Examples
--------
>>> cells = cell_stats(df, ins, keys=["unit_code", "point_code", "day"])       # doctest: +SKIP
>>> monthly = cells.rollup(["unit_code", "point_code", "month"])               # doctest: +SKIP
>>> blob = monthly.take(0).to_bytes()                                          # doctest: +SKIP
>>> compute_from_cells(monthly, ins, by="unit_code",
...                    strata=["unit_code", "point_code"])                     # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.answers import Answers, rating_answers
from analysis.cellbytes import StaleLayoutError, decode, encode
from analysis.cellsum import columns_of, multi_choices, row_sums
from analysis.errors import AnalysisError
from analysis.groups import PERIODS, derived_key, key_series
from analysis.instrument import Instrument
from analysis.layout import Layout, layout_of
from analysis.quality import flags_with_answers
from analysis.reference import BASELINE, NATIONAL
from analysis.results import IndexResult
from analysis.run import Options, excluded_labels, run

__all__ = ["FLAGS_KEY", "CellStats", "StaleLayoutError", "cell_stats", "check_weights", "compute_from_cells"]

#: The key column holding a cell's data-quality label ('' = clean).
FLAGS_KEY = "flags"


@dataclass(frozen=True, eq=False)
class CellStats:
    """Sufficient statistics of cells: ``keys`` (one row of text per cell) and ``stats``
    (cells × width, positions in :func:`analysis.cellsum.columns_of`).

    ``unit_weights`` says every response had weight 1, so every sum is a whole count.
    """

    layout: Layout
    keys: pd.DataFrame
    stats: np.ndarray
    unit_weights: bool = True

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def key_names(self) -> tuple[str, ...]:
        """The key columns (``flags`` last)."""
        return tuple(self.keys.columns)

    @property
    def responses(self) -> int:
        """Responses in all cells."""
        return int(round(self.stats[:, 0].sum()))

    def _check(self, other: CellStats) -> None:
        if self.layout.fingerprint != other.layout.fingerprint:
            raise AnalysisError("cells: statistics of two different instrument layouts cannot be combined")
        if set(self.key_names) != set(other.key_names):
            raise AnalysisError(
                f"cells: keys {', '.join(self.key_names)} and {', '.join(other.key_names)} differ"
            )

    def __add__(self, other: CellStats) -> CellStats:
        self._check(other)
        keys = pd.concat([self.keys, other.keys[list(self.key_names)]], ignore_index=True)
        stats = np.concatenate([self.stats, other.stats])
        return _grouped(self.layout, keys, stats, self.unit_weights and other.unit_weights)

    def __sub__(self, other: CellStats) -> CellStats:
        """Remove responses (deleted, or moved to another flags cell); emptied cells disappear."""
        self._check(other)
        keys = pd.concat([self.keys, other.keys[list(self.key_names)]], ignore_index=True)
        out = _grouped(
            self.layout,
            keys,
            np.concatenate([self.stats, -other.stats]),
            self.unit_weights and other.unit_weights,
        )
        if (out.stats[:, 0] < -0.5).any():
            bad = out.keys.iloc[int(np.flatnonzero(out.stats[:, 0] < -0.5)[0])].to_dict()
            raise AnalysisError(f"cells: removing more responses than cell {bad} holds")
        keep = out.stats[:, 0] > 0.5
        return CellStats(
            self.layout, out.keys[keep].reset_index(drop=True), out.stats[keep], out.unit_weights
        )

    def rollup(self, keys: Sequence[str]) -> CellStats:
        """Cells summed over every key not listed (``flags`` is always kept); ``month`` and
        ``quarter`` may be derived from a ``day`` (or ``month``) key.

        Raises
        ------
        AnalysisError
            If a key is neither a key column nor derivable.
        """
        wanted = [k for k in dict.fromkeys([*keys, FLAGS_KEY])]
        table = {}
        for name in wanted:
            series = derived_key(self.keys, name)
            if series is None:
                raise AnalysisError(
                    f"cells: key {name} is not among the cell keys ({', '.join(self.key_names)})"
                )
            table[name] = series.to_numpy(dtype=object)
        return _grouped(self.layout, pd.DataFrame(table), self.stats, self.unit_weights)

    def select(self, mask: np.ndarray | pd.Series) -> CellStats:
        """The cells where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        return CellStats(
            self.layout, self.keys[mask].reset_index(drop=True), self.stats[mask], self.unit_weights
        )

    def take(self, position: int) -> CellStats:
        """One cell, by position."""
        return self.select(np.arange(len(self)) == position)

    def to_bytes(self) -> bytes:
        """One cell as compact bytes, tagged with the layout's fingerprint (keys not included).

        Raises
        ------
        AnalysisError
            If this holds more than one cell.
        """
        if len(self) != 1:
            raise AnalysisError(f"cells: to_bytes serialises one cell, not {len(self)}")
        return encode(self.layout, self.stats[0])

    def records(self) -> Iterable[tuple[dict[str, str], bytes]]:
        """Each cell as (key, bytes)."""
        for k in range(len(self)):
            yield self.keys.iloc[k].to_dict(), encode(self.layout, self.stats[k])

    @classmethod
    def from_bytes(
        cls, data: bytes, instrument: Instrument, key: Mapping[str, str] | None = None
    ) -> CellStats:
        """One cell from :meth:`to_bytes`, under the given key (``flags`` defaults to '').

        Raises
        ------
        StaleLayoutError
            If the bytes were written under another instrument layout.
        """
        return cls.from_records([(key or {}, data)], instrument)

    @classmethod
    def from_records(
        cls,
        records: Iterable[tuple[Mapping[str, str], bytes]],
        instrument: Instrument,
        rollup: Sequence[str] | None = None,
    ) -> CellStats:
        """Cells from (key, bytes) pairs, summed on the fly into the ``rollup`` keys if given
        (memory grows with the rolled-up cells, not with the records)."""
        layout = layout_of(instrument)
        acc: dict[tuple[str, ...], np.ndarray] = {}
        names: list[str] | None = None
        for key, data in records:
            full = {**key, FLAGS_KEY: str(key.get(FLAGS_KEY, "") or "")}
            if names is None:
                names = list(dict.fromkeys([*(rollup if rollup is not None else full), FLAGS_KEY]))
            row = tuple(_key_value(full, name) for name in names)
            values = decode(layout, data)
            if row in acc:
                acc[row] += values
            else:
                acc[row] = values
        names = names or [FLAGS_KEY]
        keys = pd.DataFrame(list(acc), columns=names, dtype=object)
        stats = np.stack(list(acc.values())) if acc else np.zeros((0, columns_of(layout).width))
        integral = bool(np.all(stats == np.round(stats)))
        return _grouped(layout, keys, stats, integral)


def _key_value(key: Mapping[str, str], name: str) -> str:
    if name in key:
        return str(key[name])
    frame = pd.DataFrame({k: [str(v)] for k, v in key.items()})
    derived = derived_key(frame, name)
    if derived is None:
        raise AnalysisError(f"cells: key {name} is not among the cell keys ({', '.join(key)})")
    return str(derived.iloc[0])


def _grouped(layout: Layout, keys: pd.DataFrame, stats: np.ndarray, unit_weights: bool) -> CellStats:
    """Cells with equal keys summed; keys sorted."""
    keys = keys.astype("str").fillna("") if len(keys.columns) else keys
    if len(keys) == 0:
        return CellStats(
            layout, keys.reset_index(drop=True), stats.reshape(0, columns_of(layout).width), unit_weights
        )
    codes, uniques = _factorize_rows(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order], prepend=-1))
    summed = np.add.reduceat(stats[order], bounds, axis=0)
    out_keys = uniques.reset_index(drop=True)
    return CellStats(layout, out_keys, summed, unit_weights)


def _factorize_rows(keys: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number per row (sorted by key) and the distinct keys in that order."""
    combined = np.zeros(len(keys), dtype=np.int64)
    parts = []
    for name in keys.columns:
        codes, uniques = pd.factorize(keys[name], sort=True)
        combined = combined * (len(uniques) + 1) + codes
        parts.append((name, np.asarray(uniques, dtype=object), len(uniques) + 1))
    group, combos = pd.factorize(combined, sort=True)
    columns: dict[str, list[str]] = {name: [] for name, _, _ in parts}
    for value in combos:
        rest = int(value)
        for name, uniques, radix in reversed(parts):
            columns[name].append(str(uniques[rest % radix]))
            rest //= radix
    return group.astype(np.int64), pd.DataFrame(columns, columns=list(keys.columns), dtype=object)


def check_weights(frame: pd.DataFrame, weight: str | None) -> np.ndarray:
    """The weight column as finite numbers ≥ 0 (1 when None).

    Raises
    ------
    AnalysisError
        Naming the column and the first bad response.
    """
    if weight is None:
        return np.ones(len(frame))
    w = pd.to_numeric(frame[weight], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(w) | (w < 0) | np.isinf(w)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0]) + 1
        raise AnalysisError(f"column {weight}: weight of response {pos} is not a finite number ≥ 0")
    return w


def key_frame(df: pd.DataFrame, keys: Sequence[str], flags: pd.Series) -> pd.DataFrame:
    """The key columns of every response (text), the quality label last."""
    table = {name: key_series(df, name) for name in keys if name != FLAGS_KEY}
    if flags.index.equals(df.index):
        table[FLAGS_KEY] = flags.astype("str")
    else:
        table[FLAGS_KEY] = pd.Series(flags.to_numpy(), index=df.index, dtype="str")
    return pd.DataFrame(table, index=df.index)


def sums_of(
    df: pd.DataFrame,
    answers: Answers,
    layout: Layout,
    keys: pd.DataFrame,
    weight: np.ndarray,
    psu: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, tuple | None]:
    """Cells of the responses: distinct keys, statistics, each response's cell number, and with
    ``psu`` (a code per response) the parts (cell of each, PSU of each, ``Σw·v``, ``Σw``, ``n``,
    ``Σv``) — the PSU totals within each cell."""
    codes, uniques = _factorize_rows(keys)
    multi = [_multi(df, m) for m in layout.multi]
    if psu is None:
        stats, _ = row_sums(answers, layout, weight, codes, len(uniques), multi)
        return uniques, stats, codes, None
    width = int(psu.max(initial=0)) + 1
    part, pairs = pd.factorize(codes * width + psu)
    part = part.astype(np.int64)
    stats, (s1, s0) = row_sums(answers, layout, weight, codes, len(uniques), multi, part, len(pairs))
    parts = (
        (pairs // width).astype(np.int64),
        (pairs % width).astype(np.int64),
        s1,
        np.bincount(part, weights=weight, minlength=len(pairs)),
        np.bincount(part, minlength=len(pairs)).astype(float),
        s0,
    )
    return uniques, stats, codes, parts


def _multi(df: pd.DataFrame, m) -> tuple[np.ndarray, np.ndarray]:
    """Choices and 'answered' of a multi item (none when the column is absent)."""
    if m.code in df:
        return multi_choices(df[m.code], m.options)
    return np.zeros((len(df), len(m.options)), dtype=bool), np.zeros(len(df), dtype=bool)


def cell_stats(
    df: pd.DataFrame,
    instrument: Instrument,
    keys: Sequence[str] = (),
    *,
    weight: str | None = None,
    flags: pd.Series | None = None,
    opening_hours: Mapping[str, str] | None = None,
) -> CellStats:
    """Responses → cells, in one pass.

    Parameters
    ----------
    df : DataFrame
        Responses in the interchange format (``read_responses`` / ``validate_frame``).
    keys : column names
        The cell keys; ``day``, ``month`` and ``quarter`` are derived from ``submitted_at``.
        ``flags`` (the quality label) is always added.
    weight : column name, optional
        Design weights (default 1). Post-stratification is applied later, per cell.
    flags : Series of text, optional
        Stored quality labels (``;``-joined); by default computed as ``compute_indices`` does
        (:func:`analysis.quality.flag_responses`, with ``opening_hours``).

    Raises
    ------
    AnalysisError
        A key column is missing, an index item is missing, or a weight is not a finite number ≥ 0.
    """
    for name in keys:
        if name not in df and not (name in PERIODS and "submitted_at" in df) and name != FLAGS_KEY:
            raise AnalysisError(f"column {name}: no such column (given as a cell key)")
    missing = [i.code for i in instrument.index_items if i.code not in df]
    if missing:
        raise AnalysisError(f"column {missing[0]}: index item missing from the responses")
    if weight is not None and weight not in df:
        raise AnalysisError(f"column {weight}: no such column (given as weight)")
    answers = rating_answers(df, instrument)
    if flags is None:
        flags = flags_with_answers(df, answers, opening_hours)
    w = check_weights(df, weight)
    layout = layout_of(instrument)
    uniques, stats, _, _ = sums_of(df, answers, layout, key_frame(df, keys, flags), w)
    return CellStats(layout, uniques, stats, bool((w == 1).all()))


def compute_from_cells(
    cells: CellStats,
    instrument: Instrument,
    *,
    by: str | Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    counts: pd.DataFrame | None = None,
    confidence: float = 0.95,
    baseline: float = BASELINE,
    national: float = NATIONAL,
    include_flagged: bool = False,
    importance_from: CellStats | None = None,
    weight: str | None = None,
) -> IndexResult:
    """The indices of the responses behind ``cells``, as :func:`~analysis.compute.compute_indices`
    gives them on those responses with ``weight`` as when the cells were made, no cluster, and
    the same ``by``, ``strata``, ``counts`` and ``include_flagged``.

    ``by``, ``strata`` and the cell columns of ``counts`` must be cell keys (``month`` and
    ``quarter`` may be derived from a ``day`` key). ``importance_from`` are the reference cells
    (e.g. the province's) for the importances of domains under 100 responses. ``weight`` names
    the weight column the cells were made with, as the result's design records it (default:
    none when every weight was 1, else ``weight``).

    Raises
    ------
    AnalysisError
        The cells were made under another instrument layout, a key is missing, or the
        confidence or a reference figure is out of range; (DataError) a post-stratum has
        responses but no count.
    """
    layout = layout_of(instrument)
    for part in (cells, importance_from):
        if part is not None and part.layout.fingerprint != layout.fingerprint:
            raise AnalysisError(
                "cells: made under another instrument layout; recompute them from the responses"
            )
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence: {confidence} must be between 0 and 1")
    for option, value in {"baseline": baseline, "national": national}.items():
        if not math.isfinite(value):
            raise AnalysisError(f"{option}: {value} is not a finite number")
    by_cols = (by,) if isinstance(by, str) else tuple(by or ())
    strata_cols = (strata,) if isinstance(strata, str) else tuple(strata or ())
    reference = None
    if importance_from is not None:
        keep = np.ones(len(importance_from), bool)
        if not include_flagged:
            keep = ~excluded_labels(importance_from.keys[FLAGS_KEY])
        reference = importance_from.stats[keep][:, columns_of(layout).tables].sum(axis=0)
    count_cols = () if counts is None else tuple(c for c in counts.columns if c != "dossiers")
    design = {
        "weight": weight if weight is not None else None if cells.unit_weights else "weight",
        "cluster": None,
        "strata": "+".join(strata_cols) or None,
        "poststrata": "+".join(count_cols) or None,
        "lonely_psu": "adjust",
    }
    options = Options(
        by_cols, strata_cols, counts, confidence, baseline, national, include_flagged, reference, design
    )
    return run(instrument, layout, cells.keys, cells.stats, None, options)
