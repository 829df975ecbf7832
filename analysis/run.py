"""Cells (and, for clustered designs, PSU parts) → the :class:`IndexResult` of every group.

The one code path behind :func:`analysis.compute.compute_indices` and
:func:`analysis.cells.compute_from_cells`: exclusions by quality flag, the design (strata,
post-strata, PSUs) over the kept cells, every domain's estimates, then the report objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.cellsum import columns_of
from analysis.design import CellDesign, PsuParts
from analysis.drivers import importance
from analysis.errors import AnalysisError
from analysis.estimate import Estimates, estimate_domains
from analysis.groups import derived_key
from analysis.improve import improve_first, priorities_view
from analysis.instrument import Instrument
from analysis.layout import Layout
from analysis.poststrata import poststrata
from analysis.quality import FLAGS
from analysis.reference import SMALL_SAMPLE_N
from analysis.reliability import cronbach_alpha
from analysis.report import FEW_CLUSTERS_DF, compare, estimates_of, extras_of, needed_responses, ranks
from analysis.results import GroupResult, IndexResult

__all__ = ["KEPT_FLAGS", "Options", "Parts", "excluded_labels", "run"]

#: A policy element of a group (unit) rests on each policy group's few answers; below this many
#: in a group that has data, the element is marked ``few_per_group`` (METHOD §6 minimums).
MIN_PER_GROUP = 10

#: Flags that are counted but do not leave a response out by default (METHOD §6: excluding
#: straight-liners who answer all 4s or all 5s would bias the index down where satisfaction is high).
KEPT_FLAGS = frozenset({"straightliner"})


@dataclass(frozen=True)
class Parts:
    """PSU parts over all cells (before exclusions): see :class:`analysis.design.PsuParts`."""

    cell: np.ndarray
    psu: np.ndarray
    s1: np.ndarray
    sw: np.ndarray
    n: np.ndarray
    s0: np.ndarray


@dataclass(frozen=True)
class Options:
    """What to compute: domains, design and references."""

    by: tuple[str, ...] = ()
    strata: tuple[str, ...] = ()
    counts: pd.DataFrame | None = None
    confidence: float = 0.95
    baseline: float = 0.0
    national: float = 0.0
    include_flagged: bool = False
    reference: np.ndarray | None = None
    design: Mapping[str, Any] = field(default_factory=dict)


def excluded_labels(labels: pd.Series | np.ndarray) -> np.ndarray:
    """Whether a quality label leaves its responses out by default (any flag but straightliner)."""
    values = pd.Series(np.asarray(labels, dtype=object)).astype("str")
    codes, uniques = pd.factorize(values)
    out = np.array([bool({f for f in str(u).split(";") if f} - KEPT_FLAGS) for u in uniques], dtype=bool)
    return out[codes] if len(codes) else np.zeros(0, dtype=bool)


def _key_columns(keys: pd.DataFrame, names: Sequence[str], role: str) -> pd.DataFrame:
    table = {}
    for name in names:
        series = derived_key(keys, name)
        if series is None:
            raise AnalysisError(
                f"cells: {role} {name} is not among the cell keys ({', '.join(keys.columns)})"
            )
        table[name] = series.to_numpy(dtype=object)
    return pd.DataFrame(table, index=keys.index)


def _codes(frame: pd.DataFrame) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Group number per row (sorted by key) and the key of each group."""
    if frame.shape[1] == 0:
        return np.zeros(len(frame), dtype=np.int64), [{}]
    combined = pd.MultiIndex.from_frame(frame.astype("str"))
    codes, uniques = pd.factorize(combined, sort=True)
    return codes.astype(np.int64), [dict(zip(frame.columns, u, strict=True)) for u in uniques]


def _design(layout, keys, stats, parts: Parts | None, kept: np.ndarray, options: Options):
    """The design over the kept cells, and the weighting tables when post-stratified."""
    cols = columns_of(layout)
    k_keys, k_stats = keys[kept].reset_index(drop=True), stats[kept]
    stratum, _ = _codes(_key_columns(k_keys, options.strata, "stratum"))
    n_strata = int(stratum.max(initial=-1)) + 1
    post, gfac, weighting = poststrata(k_keys, k_stats, cols, options.counts)
    psu_parts = None
    if parts is None:
        n_h = np.bincount(stratum, weights=k_stats[:, cols.n], minlength=max(n_strata, 1))
    else:
        new_index = np.cumsum(kept) - 1
        keep = kept[parts.cell]
        cell = new_index[parts.cell[keep]]
        psu = np.unique(parts.psu[keep], return_inverse=True)[1].astype(np.int64)
        psu_stratum = np.zeros(int(psu.max(initial=-1)) + 1, dtype=np.int64)
        psu_stratum[psu] = stratum[cell]
        n_h = np.bincount(psu_stratum, minlength=max(n_strata, 1))
        psu_parts = PsuParts(cell, psu, parts.s1[keep], parts.sw[keep], parts.n[keep], parts.s0[keep])
    return CellDesign(
        k_stats, cols, layout, stratum, post, gfac, np.rint(n_h).astype(np.int64), psu_parts
    ), weighting


def _masks(domain: np.ndarray, kept: np.ndarray, n_domains: int) -> list[np.ndarray]:
    kd = domain[kept]
    return [np.ones(int(kept.sum()), dtype=bool), *(kd == d for d in range(n_domains))]


def _quality(labels: np.ndarray, n: np.ndarray, domain: np.ndarray, n_domains: int, included: bool):
    """Flag counts of the whole selection and each domain."""
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object).astype("str"))
    table = np.zeros((n_domains, len(uniques)))
    np.add.at(table, (domain, codes), n)
    rows = [table.sum(axis=0), *table]
    excluded = excluded_labels(np.asarray(uniques, dtype=object))
    out = []
    for row in rows:
        counts = {"responses": int(round(row.sum())), "flagged": 0, **dict.fromkeys(FLAGS, 0)}
        for label, k, out_ in zip(uniques, row, excluded, strict=True):
            names = [f for f in str(label).split(";") if f]
            counts["flagged"] += int(round(k)) if names else 0
            for name in names:
                counts[name] = counts.get(name, 0) + int(round(k))
            counts["excluded"] = counts.get("excluded", 0) + (0 if included or not out_ else int(round(k)))
        counts.setdefault("excluded", 0)
        out.append(counts)
    return out


def _policy_elements(instrument: Instrument, layout: Layout) -> dict[str, list[int]]:
    return {
        e.code: [layout.items.index(i.code) for i in instrument.element_items(e.code)]
        for e in instrument.subindex_elements("policy")
    }


def run(
    instrument: Instrument,
    layout: Layout,
    keys: pd.DataFrame,
    stats: np.ndarray,
    parts: Parts | None,
    options: Options,
) -> IndexResult:
    """Every group's indices from cells; see the module docstring."""
    labels = keys["flags"].to_numpy(dtype=object)
    kept = np.ones(len(keys), dtype=bool) if options.include_flagged else ~excluded_labels(labels)
    domain, domain_keys = _codes(_key_columns(keys, options.by, "grouping"))
    n_dom = len(domain_keys) if options.by else 0
    design, weighting = _design(layout, keys, stats, parts, kept, options)
    est = estimate_domains(design, _masks(domain, kept, n_dom), instrument)
    quality = _quality(labels, stats[:, 0], domain, max(n_dom, 1), options.include_flagged)
    if not options.by:
        quality = quality[:1]
    everything = None
    if not options.include_flagged and not kept.all():
        all_design, _ = _design(layout, keys, stats, parts, np.ones(len(keys), dtype=bool), options)
        everything = estimate_domains(all_design, _masks(domain, np.ones(len(keys), bool), n_dom), instrument)
    shown = [{}, *domain_keys] if options.by else [{}]
    groups = _groups(instrument, layout, est, everything, shown, quality, options)
    if weighting is not None and weighting.flags:
        groups = (_with_flags(groups[0], weighting.flags), *groups[1:])
    return IndexResult(
        instrument=instrument.id,
        confidence=options.confidence,
        baseline=options.baseline,
        national=options.national,
        groups=groups,
        by=options.by,
        design=dict(options.design),
        quality=quality[0],
        weighting=None if weighting is None else weighting.cells,
        weighting_points=None if weighting is None else weighting.points,
    )


def _with_flags(g: GroupResult, flags: tuple[str, ...]) -> GroupResult:
    return replace(g, flags=(*g.flags, *flags))


def _groups(
    instrument, layout, est: Estimates, everything, shown, quality, options
) -> tuple[GroupResult, ...]:
    conf, q = options.confidence, layout.n_items
    imp = importance(
        est.tables, est.size.astype(float), layout, _policy_elements(instrument, layout), options.reference
    )
    alpha = cronbach_alpha(est.alpha, layout, conf)
    made = [estimates_of(est, g, q, conf) for g in range(len(shown))]
    rank = [None, *ranks([m["sipas"] for m in made[1:]])] if len(shown) > 1 else [None]
    sipas_m = est.codes.index("sipas")
    out = []
    for g, key in enumerate(shown):
        m = _mark_policy(made[g], instrument)
        extras = extras_of(est, g, conf)
        head = "sipas" if m["sipas"].value is not None else "service"
        h = est.codes.index(head)
        size = int(est.size[g])
        flags = list(est.reasons[g])
        if size == 0 and quality[g]["responses"] > 0:
            flags.append("all_excluded")
        if size < SMALL_SAMPLE_N or "small_sample" in m[head].flags:
            flags.append("small_sample")
        df = est.df[g, sipas_m] if not np.isnan(est.df[g, sipas_m]) else est.df[g, h]
        if est.lonely[g] or (size > 0 and not df >= 1):
            flags.append("single_cluster")
        if df >= 1 and df < FEW_CLUSTERS_DF:
            flags.append("few_clusters")
        importance_of = {c: (float(imp.value[g, k]), str(imp.source[g, k])) for k, c in enumerate(imp.codes)}
        entries, left = improve_first(instrument, m, importance_of)
        e1 = {code.split(":", 1)[1]: e for code, e in extras.items() if ":" in code}
        out.append(
            GroupResult(
                key=MappingProxyType(dict(key)),
                n=size,
                sipas=m["sipas"],
                policy=m["policy"],
                service=m["service"],
                elements=MappingProxyType({c: m[c] for c in instrument.elements}),
                items=MappingProxyType({c: m[c] for c in layout.items}),
                vs_baseline=compare(m["sipas"], options.baseline),
                vs_national=compare(m["sipas"], options.national),
                flags=tuple(dict.fromkeys(flags)),
                quality=MappingProxyType(dict(quality[g])),
                needed_for_5pp=needed_responses(m[head], size, est.var[g, h], est.var_srs[g, h]),
                rank=rank[g],
                priorities=priorities_view(entries),
                alpha=MappingProxyType(dict(alpha[g])),
                df=None if np.isnan(df) else float(df),
                improve_first=entries,
                improve_left=left,
                e1=MappingProxyType(e1),
                e1_n=max((e.n for e in e1.values()), default=0),
                outcome=extras.get(layout.outcome) if layout.outcome else None,
                including_flagged=_including(everything, g, q, conf),
            )
        )
    return tuple(out)


def _mark_policy(made: dict, instrument: Instrument) -> dict:
    """Policy elements whose groups with data have under ``MIN_PER_GROUP`` answers are marked."""
    out = dict(made)
    for element in instrument.subindex_elements("policy"):
        counts = [
            made[i.code].n for i in instrument.element_items(element.code) if made[i.code].value is not None
        ]
        e = made[element.code]
        if counts and min(counts) < MIN_PER_GROUP and e.value is not None:
            out[element.code] = replace(e, flags=(*e.flags, "few_per_group"))
    return out


def _including(everything: Estimates | None, g: int, q: int, confidence: float):
    """The headline indices with every response kept (shown beside the default, METHOD §6)."""
    if everything is None:
        return None
    made = estimates_of(everything, g, q, confidence)
    return MappingProxyType(
        {"n": int(everything.size[g]), **{name: made[name] for name in ("sipas", "policy", "service")}}
    )
