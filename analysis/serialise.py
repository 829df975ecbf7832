"""Results out: the index JSON (SPEC 3.6), a tidy CSV, DataFrames per level and a terminal table."""

from __future__ import annotations

import math
from typing import IO, Any

import pandas as pd

from analysis.results import Estimate, GroupResult, IndexResult

__all__ = ["estimate_dict", "result_frames", "to_csv", "to_json_dict", "to_table"]


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def estimate_dict(estimate: Estimate) -> dict[str, Any]:
    """``{value, se, ci_low, ci_high, n, df, n_eff, ci_method, flags}`` (null never 0)."""
    low, high = estimate.confidence_interval()
    return {
        "value": _num(estimate.value),
        "se": _num(estimate.se),
        "ci_low": _num(low),
        "ci_high": _num(high),
        "n": estimate.n,
        "df": _num(estimate.df),
        "n_eff": _num(estimate.n_eff),
        "ci_method": estimate.method if low is not None else None,
        "flags": list(estimate.flags),
    }


def _comparison(c) -> dict[str, Any]:
    return {"diff_pp": c.diff_pp, "z": c.z, "p_value": c.p_value, "t": c.t, "df": _num(c.df)}


def _improve(g: GroupResult) -> list[dict[str, Any]]:
    return [
        {
            "code": e.code,
            "kind": e.kind,
            "score": e.score,
            "reason": e.reason,
            "importance": e.importance,
            "importance_from": e.importance_from,
            **estimate_dict(e.estimate),
        }
        for e in g.improve_first
    ]


def _group_dict(g: GroupResult) -> dict[str, Any]:
    rank = g.rank
    return {
        "key": dict(g.key),
        "n": g.n,
        "df": _num(g.df),
        "sipas": estimate_dict(g.sipas),
        "policy": estimate_dict(g.policy),
        "service": estimate_dict(g.service),
        "elements": {code: estimate_dict(e) for code, e in g.elements.items()},
        "items": {code: estimate_dict(e) for code, e in g.items.items()},
        "vs_baseline": _comparison(g.vs_baseline),
        "vs_national": None if g.vs_national is None else _comparison(g.vs_national),
        "flags": list(g.flags),
        "quality": dict(g.quality),
        "needed_for_5pp": g.needed_for_5pp,
        "rank": None
        if rank is None
        else {"rank": rank.rank, "best": rank.best, "worst": rank.worst, "of": rank.of},
        "improve_first": _improve(g),
        "improve_first_left": [
            {"code": x.code, "kind": x.kind, "reason": x.reason, "n": x.n, "n_eff": _num(x.n_eff)}
            for x in g.improve_left
        ],
        "priorities": [
            {
                "item": p.item,
                "score": p.score,
                "importance": p.importance,
                "importance_from": p.importance_from,
                **estimate_dict(p.estimate),
            }
            for p in g.priorities
        ],
        "e1": {"n": g.e1_n, "options": {code: estimate_dict(e) for code, e in g.e1.items()}},
        "outcome": None if g.outcome is None else estimate_dict(g.outcome),
        "including_flagged": None
        if g.including_flagged is None
        else {
            name: (value if name == "n" else estimate_dict(value))
            for name, value in g.including_flagged.items()
        },
        "alpha": {
            code: {
                "value": a.value,
                "ci_low": a.low,
                "ci_high": a.high,
                "n": a.n,
                "k": a.k,
                "flags": list(a.flags),
            }
            for code, a in g.alpha.items()
        },
    }


def to_json_dict(result: IndexResult) -> dict[str, Any]:
    """The index JSON of SPEC 3.6 as a dict (values in percent, unrounded; null never 0)."""
    out: dict[str, Any] = {
        "instrument": result.instrument,
        "confidence": result.confidence,
        "baseline": result.baseline,
        "national": result.national,
        "design": dict(result.design),
        "quality": dict(result.quality),
        "groups": [_group_dict(g) for g in result.groups],
    }
    if result.weighting is not None:
        out["weighting"] = _records(result.weighting)
    if result.weighting_points is not None:
        out["weighting_points"] = _records(result.weighting_points)
    return out


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with None for missing numbers (JSON has no NaN)."""
    return table.astype(object).where(table.notna(), None).to_dict(orient="records")


def _rows(g: GroupResult, by: tuple[str, ...]) -> list[dict[str, Any]]:
    key = {name: g.key.get(name, "") for name in by}
    levels = [
        ("sipas", "sipas", g.sipas),
        ("subindex", "policy", g.policy),
        ("subindex", "service", g.service),
    ]
    levels += [("element", c, e) for c, e in g.elements.items()]
    levels += [("item", c, e) for c, e in g.items.items()]
    if g.outcome is not None:
        levels.append(("outcome", "B0", g.outcome))
    levels += [("e1", f"E1:{c}", e) for c, e in g.e1.items()]
    rows = []
    for level, code, e in levels:
        low, high = e.confidence_interval()
        rows.append(
            {
                **key,
                "level": level,
                "code": code,
                "value": e.value,
                "se": e.se,
                "ci_low": low,
                "ci_high": high,
                "n": e.n,
                "df": e.df,
                "n_eff": e.n_eff,
                "flags": ";".join(e.flags),
            }
        )
    return rows


def _priority_rows(g: GroupResult, key: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for r, e in enumerate(g.improve_first):
        low, high = e.estimate.confidence_interval()
        rows.append(
            {
                **key,
                "rank": r + 1,
                "item": e.code,
                "kind": e.kind,
                "value": e.estimate.value,
                "ci_low": low,
                "ci_high": high,
                "n": e.estimate.n,
                "n_eff": e.estimate.n_eff,
                "importance": e.importance,
                "score": e.score,
                "reason": e.reason,
            }
        )
    rows += [
        {**key, "rank": None, "item": x.code, "kind": x.kind, "n": x.n, "n_eff": x.n_eff, "reason": x.reason}
        for x in g.improve_left
    ]
    return rows


def _alpha_rows(g: GroupResult, key: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            **key,
            "element": a.element,
            "alpha": a.value,
            "ci_low": a.low,
            "ci_high": a.high,
            "n": a.n,
            "k": a.k,
            "flags": ";".join(a.flags),
        }
        for a in g.alpha.values()
    ]


def result_frames(result: IndexResult) -> dict[str, pd.DataFrame]:
    """DataFrames per level: ``indices`` (SIPAS, sub-indices), ``elements``, ``items`` (and B0),
    ``e1`` (citizens' choices), ``priorities`` (improve first, ranked and left out), ``alpha``,
    ``quality`` (and ``weighting`` when weighted)."""
    tidy = pd.DataFrame([r for g in result.groups for r in _rows(g, result.by)])
    frames = {
        "indices": tidy[tidy["level"].isin(["sipas", "subindex"])].reset_index(drop=True),
        "elements": tidy[tidy["level"] == "element"].reset_index(drop=True),
        "items": tidy[tidy["level"].isin(["item", "outcome"])].reset_index(drop=True),
        "e1": tidy[tidy["level"] == "e1"].reset_index(drop=True),
    }
    keyed = [(g, {name: g.key.get(name, "") for name in result.by}) for g in result.groups]
    frames["priorities"] = pd.DataFrame([r for g, key in keyed for r in _priority_rows(g, key)])
    frames["alpha"] = pd.DataFrame([r for g, key in keyed for r in _alpha_rows(g, key)])
    frames["quality"] = pd.DataFrame(
        [{**key, "n": g.n, **g.quality, "flags": ";".join(g.flags)} for g, key in keyed]
    )
    if result.weighting is not None:
        frames["weighting"] = result.weighting
    if result.weighting_points is not None:
        frames["weighting_points"] = result.weighting_points
    return frames


def _group_row(g: GroupResult, by: tuple[str, ...]) -> dict[str, Any]:
    """The group itself: responses kept, quality counts and the group flags (why a value is null)."""
    key = {name: g.key.get(name, "") for name in by}
    return {**key, "level": "group", "code": "", "n": g.n, "flags": ";".join(g.flags), **g.quality}


def to_csv(result: IndexResult, buf: IO[str]) -> None:
    """Tidy CSV: per group one ``level=group`` row (n, quality counts, group flags), then one row
    per estimate (level, code, value, se, ci_low, ci_high, n, flags)."""
    rows = [r for g in result.groups for r in [_group_row(g, result.by), *_rows(g, result.by)]]
    table = pd.DataFrame(rows)
    counts = list(dict.fromkeys(k for g in result.groups for k in g.quality))
    table[counts] = table[counts].astype("Int64")  # counts, empty on the estimate rows
    table.to_csv(buf, index=False, lineterminator="\n")


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:6.2f}"


def to_table(result: IndexResult) -> str:
    """A readable table: per group SIPAS, sub-indices and elements with CI, rounded to 2 decimals."""
    lines = [
        f"{result.instrument}  confidence {result.confidence:g}  baseline {result.baseline:.2f}  "
        f"national {result.national:.2f}"
    ]
    for g in result.groups:
        name = ", ".join(f"{k}={v}" for k, v in g.key.items()) or "all"
        lines.append("")
        lines.append(f"{name}  (n={g.n}, excluded {g.quality.get('excluded', 0)})")
        rows = [("SIPAS", g.sipas), ("policy", g.policy), ("service", g.service), *g.elements.items()]
        for label, e in rows:
            low, high = e.confidence_interval()
            df = "" if e.df is None else f"  df={e.df:g}"
            lines.append(
                f"  {label:<8} {_fmt(e.value)}  [{_fmt(low)}, {_fmt(high)}]  se {_fmt(e.se)}  n={e.n}{df}"
            )
        diff = g.vs_baseline.diff_pp
        if diff is not None:
            p = g.vs_baseline.p_value
            lines.append(f"  vs baseline {diff:+.2f} pp" + ("" if p is None else f" (t test, p={p:.3f})"))
        if g.improve_first:
            lines.append(
                "  improve first: "
                + ", ".join(f"{e.code} {_fmt(e.estimate.value).strip()}" for e in g.improve_first[:5])
            )
        if g.e1:
            top = sorted(g.e1.items(), key=lambda kv: -(kv[1].value or 0))[:2]
            lines.append(
                "  citizens' E1 choice: " + ", ".join(f"{c} {_fmt(e.value).strip()} %" for c, e in top)
            )
        shown = [f for f in g.flags if not f.startswith("no_data:")]
        if shown:
            lines.append("  flags: " + ", ".join(shown))
    return "\n".join(lines) + "\n"
