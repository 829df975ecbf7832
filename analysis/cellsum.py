"""The one pass over responses: every sufficient statistic of every cell (see :mod:`analysis.layout`).

A cell's statistics are one row of numbers; :class:`Columns` says where each kind lives. Rows are
sorted by cell and, within a cell, by policy group, so the cross-products are a few small matrix
products per cell (service × service once, service × group and group × group per group present)
instead of one product over all 115 variables.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from analysis.answers import Answers
from analysis.errors import DataError
from analysis.layout import Layout

__all__ = ["Columns", "columns_of", "multi_choices", "row_sums"]

# numpy's BLAS on one thread, for the whole process, set once on import. The products here are
# tall and thin (a few dozen variables × 16,384 rows), and the BLAS's own threads fight the
# pass's threads for the cores: measured on 1,000,000 responses, the pass takes 1.7 s with one
# BLAS thread and 3.0–3.7 s with the default. Set once and never undone: changing the BLAS's
# process-wide thread count around each pass is unsafe when web threads run passes at once.
threadpool_limits(limits=1, user_api="blas")

#: Rows turned into 0/1 variables at a time (16k × 115 × 8 B = 15 MB: stays near the cache).
CHUNK = 1 << 14


@dataclass(frozen=True)
class Columns:
    """Slices of a cell's row of statistics."""

    n: int
    sw: int
    sw2: int
    s0: slice
    s1: slice
    s1sq: slice
    pairs: slice
    tables: slice
    alpha: slice
    counts: slice
    width: int


def columns_of(layout: Layout) -> Columns:
    """Positions of each statistic in a cell's row: n, Σw, Σw², Σv, Σw·v, Σw²·v, the stored
    products Σw²·v_i·v_j, the contingency tables, the alpha sums and the estimate counts."""
    hit = _COLUMNS.get(layout.fingerprint)
    if hit is not None:
        return hit
    v = layout.n_vars
    spans = [v, v, v, layout.n_pairs, layout.table_size, layout.alpha_size, len(layout.count_names)]
    cuts = np.cumsum([3, *spans])
    s = [slice(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    out = Columns(0, 1, 2, *s, width=int(cuts[-1]))
    _COLUMNS[layout.fingerprint] = out
    return out


#: Positions per layout fingerprint: decoding thousands of cells asks for them each time.
_COLUMNS: dict[bytes, Columns] = {}


def multi_choices(values: pd.Series, options: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A multi-choice column ('1;4', '' or NaN) as (n × options) 0/1 choices and whether answered."""
    text = values.astype("str").where(values.notna(), "")
    codes, uniques = pd.factorize(text)
    table = np.zeros((len(uniques), len(options)), dtype=bool)
    for k, cell in enumerate(uniques):
        chosen = {p.strip() for p in str(cell).split(";") if p.strip()}
        table[k] = [str(o) in chosen for o in options]
    chosen = table[codes] if len(codes) else np.zeros((0, len(options)), dtype=bool)
    return chosen, chosen.any(axis=1)


@dataclass(frozen=True)
class _Blocks:
    """Where each block product lands among the stored pairs."""

    service: np.ndarray
    ss: tuple[np.ndarray, np.ndarray, np.ndarray]
    group_vars: tuple[np.ndarray, ...]
    sa: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    aa: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    mm: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]


def _blocks(layout: Layout) -> _Blocks:
    q = layout.n_items
    item = lambda var: var % q  # noqa: E731 - index variables only
    service_items = np.flatnonzero(layout.group < 0)
    service = np.concatenate([service_items, q + service_items])
    s_at = {int(v): k for k, v in enumerate(service)}
    group_vars, g_at = [], []
    for g in range(len(layout.groups)):
        items = np.flatnonzero(layout.group == g)
        group_vars.append(np.concatenate([items, q + items]))
        g_at.append({int(v): k for k, v in enumerate(group_vars[-1])})
    ss: list[list[int]] = [[], [], []]
    sa: list[list[list[int]]] = [[[], [], []] for _ in group_vars]
    aa: list[list[list[int]]] = [[[], [], []] for _ in group_vars]
    index_pairs = np.flatnonzero(layout.pairs[:, 1] < 2 * q)
    for p in index_pairs:
        i, j = (int(v) for v in layout.pairs[p])
        gi, gj = layout.group[item(i)], layout.group[item(j)]
        if gi < 0 and gj < 0:
            target = ss
            r, c = s_at[i], s_at[j]
        elif gi < 0 or gj < 0:
            g = gj if gi < 0 else gi
            target = sa[g]
            r, c = (s_at[i], g_at[g][j]) if gi < 0 else (s_at[j], g_at[g][i])
        else:
            target = aa[gi]
            r, c = g_at[gi][i], g_at[gi][j]
        for lst, val in zip(target, (p, r, c), strict=True):
            lst.append(val)
    mm = []
    for m in layout.multi:
        at = {v: k for k, v in enumerate(m.y)}
        ps = [p for p in range(len(layout.pairs)) if int(layout.pairs[p, 0]) in at]
        mm.append(
            (
                np.array(m.y, dtype=np.int64),
                np.array(ps, dtype=np.int64),
                np.array([at[int(layout.pairs[p, 0])] for p in ps], dtype=np.int64),
                np.array([at[int(layout.pairs[p, 1])] for p in ps], dtype=np.int64),
            )
        )
    arr = lambda t: tuple(np.array(x, dtype=np.int64) for x in t)  # noqa: E731
    return _Blocks(
        service,
        arr(ss),
        tuple(group_vars),
        tuple(arr(t) for t in sa),
        tuple(arr(t) for t in aa),
        tuple(mm),
    )


_BLOCKS: dict[bytes, _Blocks] = {}


@dataclass(frozen=True)
class _Lookups:
    """Flat tables indexed by ``item × width + code + 1`` (``at``: each item's offset), so one
    ``take`` turns a chunk's answer codes into 0/1 variables or table positions."""

    columns: np.ndarray
    at: np.ndarray
    satisfied: np.ndarray
    valid: np.ndarray
    table_key: np.ndarray
    outcome: int
    outcome_key: np.ndarray
    onehot: np.ndarray
    members: np.ndarray
    outcome_satisfied: np.ndarray
    outcome_valid: np.ndarray


def _lookups(answers: Answers, layout: Layout) -> _Lookups:
    columns = np.array([answers.index(c) for c in layout.items], dtype=np.intp)
    width = answers.valid_table.shape[1]
    n_out = len(layout.outcome_codes)
    size = layout.table_size
    # A pair (item answer, outcome answer) lands at table_key[item answer] + outcome_key[outcome
    # answer]; either one not counted is at least ``size``, the bucket thrown away.
    table_key = np.full((layout.n_items, width), size, dtype=np.int64)
    at = 0
    for k, codes in enumerate(layout.table_codes):
        table_key[k, [c + 1 for c in codes]] = at + n_out * np.arange(len(codes))
        at += len(codes) * n_out
    has_outcome = layout.outcome is not None and layout.outcome in answers.columns
    outcome_key = np.full(width, size, dtype=np.int64)
    if has_outcome:
        outcome_key[[c + 1 for c in layout.outcome_codes]] = np.arange(n_out)
    onehot = np.zeros((max(len(layout.groups), 1), layout.n_items))
    inside = layout.group >= 0
    onehot[layout.group[inside], np.flatnonzero(inside)] = 1.0
    return _Lookups(
        columns,
        (np.arange(layout.n_items) * width).astype(np.intp),
        answers.satisfied_table[columns].astype(float).ravel(),
        answers.valid_table[columns].astype(float).ravel(),
        table_key.ravel(),
        answers.index(layout.outcome) if has_outcome else -1,
        outcome_key,
        onehot,
        layout.count_members.astype(float),
        answers.satisfied_table[answers.index(layout.outcome)] if has_outcome else outcome_key < size,
        answers.valid_table[answers.index(layout.outcome)] if has_outcome else outcome_key < size,
    )


def _row_group(x: np.ndarray, look: _Lookups, rows: np.ndarray) -> np.ndarray:
    """The policy group each response answered validly (-1: none), from the items' validity
    ``x`` (Q × rows); two groups are an error (their products are not kept)."""
    per = (look.onehot @ x) > 0
    several = per.sum(axis=0) > 1
    if several.any():
        raise DataError(f"row {int(rows[np.flatnonzero(several)[0]]) + 2}: answers about two policy groups")
    return np.where(per.any(axis=0), per.argmax(axis=0), -1).astype(np.int64)


def _variables(codes: np.ndarray, look: _Lookups, layout: Layout, rows: np.ndarray, multi: list):
    """The 0/1 rate variables of some responses, one variable per row (V × rows), and the flat
    table index of each item's answer (Q × rows). ``codes``: every column's answer codes
    (K × rows, -1 empty)."""
    q = layout.n_items
    flat = codes[look.columns].astype(np.intp)
    flat += look.at[:, None] + 1
    out = np.empty((layout.n_vars, len(rows)))
    np.take(look.satisfied, flat, out=out[:q])
    np.take(look.valid, flat, out=out[q : 2 * q])
    out[2 * q :] = 0.0
    if layout.outcome_y is not None and look.outcome >= 0:
        c = codes[look.outcome].astype(np.intp) + 1
        out[layout.outcome_y] = look.outcome_satisfied[c]
        out[layout.outcome_y + 1] = look.outcome_valid[c]
    for m, (chosen, answered) in zip(layout.multi, multi, strict=True):
        out[list(m.y)] = chosen[rows].T
        out[m.x] = answered[rows]
    return out, flat


def _products(out: np.ndarray, vw: np.ndarray, group: np.ndarray, blocks: _Blocks) -> None:
    """Add the stored cross-products Σw²·v_i·v_j of one cell's rows to ``out`` (P,), from
    ``vw`` = w·v (variables × rows; v is 0/1, so w·v_i·w·v_j is w²·v_i·v_j exactly)."""
    us = vw[blocks.service]
    pos, r, c = blocks.ss
    out[pos] += (us @ us.T)[r, c]
    for g in np.unique(group):
        if g < 0:
            continue
        inside = group == g
        ua = vw[blocks.group_vars[g]][:, inside]
        pos, r, c = blocks.sa[g]
        out[pos] += (us[:, inside] @ ua.T)[r, c]
        pos, r, c = blocks.aa[g]
        out[pos] += (ua @ ua.T)[r, c]
    for ys, pos, r, c in blocks.mm:
        um = vw[ys]
        out[pos] += (um @ um.T)[r, c]


def _blocks_of(layout: Layout) -> _Blocks:
    blocks = _BLOCKS.get(layout.fingerprint)
    if blocks is None:
        blocks = _BLOCKS[layout.fingerprint] = _blocks(layout)
    return blocks


def _tables_chunk(out: np.ndarray, flat: np.ndarray, codes: np.ndarray, look: _Lookups) -> None:
    """Item × outcome counts of valid answer pairs of one cell's rows, added to ``out``."""
    if look.outcome < 0:
        return
    key = np.take(look.table_key, flat)
    key += look.outcome_key[codes[look.outcome].astype(np.intp) + 1]
    np.minimum(key, len(out), out=key)
    out += np.bincount(key.ravel(), minlength=len(out) + 1)[:-1]


def _alpha_chunk(out: np.ndarray, codes: np.ndarray, x: np.ndarray, look: _Lookups, layout: Layout) -> None:
    """Complete-case count, Σx_j and Σx_j·x_m per alpha block (unweighted answer codes)."""
    answered = np.where(x > 0, codes[look.columns], -1)  # Q × rows, the valid codes
    at = 0
    for block in layout.alpha:
        values = np.stack([answered[list(m)].max(axis=0) for m in block.columns])
        v = values[:, (values >= 0).all(axis=0)].astype(float)
        k = len(block.columns)
        out[at] += v.shape[1]
        out[at + 1 : at + 1 + k] += v.sum(axis=1)
        out[at + 1 + k : at + block.size] += (v @ v.T)[np.triu_indices(k)]
        at += block.size


def _workers(rows: int) -> int:
    """Threads for the pass: one per core, at most 4 (``SIPAS_ANALYSIS_THREADS`` overrides, up
    to 64); one for fewer than four chunks of rows."""
    wanted = os.environ.get("SIPAS_ANALYSIS_THREADS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), 64)
    if rows < 4 * CHUNK:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(4, cores))


def _shares(sizes: list[int], workers: int) -> list[list[int]]:
    """Indices of ``sizes`` dealt largest first to the least loaded worker (deterministic)."""
    load = [0] * workers
    out: list[list[int]] = [[] for _ in range(workers)]
    for k in sorted(range(len(sizes)), key=lambda k: (-sizes[k], k)):
        w = min(range(workers), key=lambda w: (load[w], w))
        out[w].append(k)
        load[w] += sizes[k]
    return [sorted(share) for share in out if share]


def _moments(stats, cols, answers, layout, weight, cell, multi, part, parts) -> None:
    """Every sum of every cell, chunk by chunk over the rows sorted by (cell, part); ``Σv`` and
    ``Σw·v`` per part (the cell's when parts are cells).

    Whole cells are shared among threads: a cell's row and its parts are written by one thread
    only, chunk after chunk in the order one thread would take, so the sums are the same to the
    last bit however many threads run (numpy releases the GIL in the array work). A data error
    is the one of the first cell that has one, as with one thread.
    """
    order = np.lexsort((part, cell))
    if not len(order):
        return
    cuts = (np.flatnonzero(np.diff(cell[order])) + 1).tolist()
    spans = list(zip([0, *cuts], [*cuts, len(order)], strict=True))
    blocks = _blocks_of(layout)
    look = _lookups(answers, layout)

    def run(share: list[int]) -> tuple[int, DataError] | None:
        """The cells of one share in order; the first with a data error ends the share."""
        for k in share:
            start, stop = spans[k]
            row = stats[int(cell[order[start]])]
            try:
                for a in range(start, stop, CHUNK):
                    rows = order[a : min(a + CHUNK, stop)]
                    _chunk(row, cols, answers, layout, weight, multi, part[rows], parts, rows, blocks, look)
            except DataError as exc:
                return k, exc
        return None

    shares = _shares([b - a for a, b in spans], min(_workers(len(order)), len(spans)))
    if len(shares) == 1:
        failed = [run(shares[0])]
    else:
        with ThreadPoolExecutor(len(shares)) as pool:
            failed = [future.result() for future in [pool.submit(run, s) for s in shares]]
    found = [f for f in failed if f is not None]
    if found:
        raise min(found, key=lambda f: f[0])[1]


def _chunk(row, cols, answers, layout, weight, multi, p, parts, rows, blocks, look) -> None:
    """Add the sums of some rows of one cell (sorted by part ``p``) to the cell's ``row`` and
    to its parts."""
    s1, s0 = parts
    codes = answers.codes.T[:, rows]  # K × rows: the codes are stored column by column
    v, flat = _variables(codes, look, layout, rows, multi)
    x = v[layout.n_items : 2 * layout.n_items]
    group = _row_group(x, look, rows)
    w = weight[rows]
    vw = v * w
    first = np.flatnonzero(np.diff(p, prepend=-1))
    s1[p[first]] += np.add.reduceat(vw, first, axis=1).T
    s0[p[first]] += np.add.reduceat(v, first, axis=1).T
    row[cols.s1sq] += v @ (w * w)
    _products(row[cols.pairs], vw, group, blocks)
    _tables_chunk(row[cols.tables], flat, codes, look)
    _alpha_chunk(row[cols.alpha], codes, x, look, layout)
    row[cols.counts] += ((look.members @ x) > 0).sum(axis=1)


def row_sums(
    answers: Answers,
    layout: Layout,
    weight: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    multi: list[tuple[np.ndarray, np.ndarray]],
    part: np.ndarray | None = None,
    n_parts: int = 0,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """The statistics of every cell (``n_cells`` × width) from the responses' cell numbers.

    ``multi`` holds, per multi item of the layout, the (choices, answered) arrays of
    :func:`multi_choices`. With ``part`` (a finer grouping, e.g. clusters within cells, each
    part inside one cell) also ``Σw·v`` and ``Σv`` per part (parts × V each).
    """
    cols = columns_of(layout)
    stats = np.zeros((n_cells, cols.width))
    stats[:, cols.n] = np.bincount(cell, minlength=n_cells)
    stats[:, cols.sw] = np.bincount(cell, weights=weight, minlength=n_cells)
    stats[:, cols.sw2] = np.bincount(cell, weights=weight * weight, minlength=n_cells)
    own = part is None
    if own:
        part, n_parts = cell, n_cells
    sums = (np.zeros((n_parts, layout.n_vars)), np.zeros((n_parts, layout.n_vars)))
    _moments(stats, cols, answers, layout, weight, cell, multi, part, sums)
    if own:
        stats[:, cols.s1], stats[:, cols.s0] = sums
        return stats, None
    part_cell = np.zeros(n_parts, dtype=np.int64)
    part_cell[part] = cell
    np.add.at(stats[:, cols.s1], part_cell, sums[0])
    np.add.at(stats[:, cols.s0], part_cell, sums[1])
    return stats, sums
