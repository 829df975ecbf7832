"""'Improve first' as a unit reads it: what to fix, how sure we are, and why it is on the list.

The ranking itself is the analysis's (per group ``improve_first``: service criteria and policy
elements by a precision-aware score, METHOD §6). Results computed before that field existed
carry only ``priorities`` (METHOD §4, every item); from those, only service criteria are shown,
because a per-policy-group item rests on a handful of answers and no unit can act on it alone.
Citizens' own choice of what to improve first (E1) is shown beside it when the result has it.
"""

from __future__ import annotations

from typing import Any

from survey.instrument import instrument

__all__ = ["SHOWN", "improve_first", "left_out", "voted"]

SHOWN = 5


def _code(entry: dict[str, Any]) -> str:
    return str(entry.get("code") or entry.get("item") or "")


def _actionable(code: str) -> bool:
    """A service criterion or an element; never one policy group's item (A2.G9 …)."""
    ins = instrument()
    if code in ins.elements:
        return True
    item = ins.items.get(code)
    return item is not None and item.group is None


def improve_first(group: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The top criteria to improve with their numbers, names and the reason in words."""
    from survey.reports.present import criterion_name

    ranked = group.get("improve_first")
    legacy = ranked is None
    entries = [e for e in (group.get("priorities", []) if legacy else ranked) if _actionable(_code(e))]
    out = []
    for entry in entries[:SHOWN]:
        code = _code(entry)
        out.append(
            {
                "code": code,
                "name": criterion_name(code, lang),
                "value": entry.get("value"),
                "ci_low": entry.get("ci_low"),
                "ci_high": entry.get("ci_high"),
                "n": entry.get("n"),
                "n_eff": entry.get("n_eff"),
                "score": entry.get("score"),
                "importance": entry.get("importance"),
                "reason": entry.get("reason") if not legacy else None,
                "flags": entry.get("flags", []),
                "element": code in instrument().elements,
            }
        )
    return out


def left_out(group: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Candidates the analysis did not rank, with why (``low_precision``: too few effective
    answers for a usable interval; ``no_importance``; ``no_data``), named."""
    from survey.reports.present import criterion_name

    return [
        {"code": e["code"], "name": criterion_name(e["code"], lang), "reason": e["reason"], "n": e["n"]}
        for e in group.get("improve_first_left") or []
        if e.get("reason") in ("low_precision", "no_importance")
    ]


def voted(group: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Citizens' votes (E1): share choosing each area with its interval, most chosen first."""
    shares = group.get("e1")
    if isinstance(shares, dict) and "options" in shares:
        shares = shares["options"]
    if not shares:
        return []
    scale = instrument().items["E1"].scale
    default = instrument().default_language
    options = scale.options if scale else ()
    labels = {str(o.code): o.label.get(lang) or o.label.get(default, "") for o in options}
    if isinstance(shares, dict):
        shares = [{"option": k, **v} for k, v in shares.items()]
    rows = [
        {
            "option": str(s.get("option", s.get("code"))),
            "label": labels.get(str(s.get("option", s.get("code"))), ""),
            "value": s.get("value"),
            "ci_low": s.get("ci_low"),
            "ci_high": s.get("ci_high"),
            "n": s.get("n"),
        }
        for s in shares
    ]
    return sorted(rows, key=lambda r: -(r["value"] or 0))
