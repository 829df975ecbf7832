"""'Improve first' (METHOD §4, §6): service criteria and policy elements ranked with precision.

Candidates are the service criteria (index items outside the policy groups) and the policy
*elements* A1–A4, pooled over the groups — never a per-group policy item, whose few answers
would rank on noise. For each candidate with a rate, an interval and an importance:

    score = max(importance, 0) × (100 − high)

where ``high`` is the upper bound of the satisfaction interval, so ``100 − high`` is the share
dissatisfied that the data support at the stated confidence (the lower confidence bound of
dissatisfaction): a criterion measured on few answers cannot rank high on noise. Candidates
whose effective sample size is below ``MIN_N_EFF`` are not ranked but listed apart
(``low_precision``), as are those without importance (``no_importance``) or data (``no_data``).

``reason`` says why an entry is where it is, relative to the other ranked entries of the
group (medians of the two factors of the score): ``weak_and_important`` (both at or above),
``weak`` (dissatisfaction bound at or above), ``important`` (importance at or above), else
``ranked``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from analysis.instrument import Instrument
from analysis.results import Estimate, ImproveEntry, Left, Priority

__all__ = ["MIN_N_EFF", "TOP", "candidates", "improve_first", "priorities_view"]

#: Below this effective sample size a criterion is not ranked (its interval is too wide).
MIN_N_EFF = 30.0
#: n_eff = (Σw)²/Σw² is 30 for 30 unweighted answers only up to rounding, which depends on the
#: order of the sums (rows or stored cells): the threshold allows for that.
N_EFF_TOLERANCE = 1e-9
#: Entries shown as the legacy ``priorities`` list.
TOP = 5


def candidates(instrument: Instrument) -> list[tuple[str, str]]:
    """(code, kind) of every candidate: service criteria, then policy elements."""
    out = [(i.code, "criterion") for i in instrument.index_items if i.group is None]
    out += [(e.code, "policy_element") for e in instrument.subindex_elements("policy")]
    return out


def improve_first(
    instrument: Instrument,
    estimates: Mapping[str, Estimate],
    importance: Mapping[str, tuple[float, str]],
) -> tuple[tuple[ImproveEntry, ...], tuple[Left, ...]]:
    """Ranked entries and the candidates left out, for one group.

    ``estimates`` holds the group's item and element estimates by code; ``importance`` maps a
    code to (rho, source).
    """
    ranked, left = [], []
    for code, kind in candidates(instrument):
        e = estimates[code]
        rho, source = importance.get(code, (math.nan, ""))
        if e.value is None or e.high is None:
            left.append(Left(code, kind, "no_data" if e.value is None else "low_precision", e.n, e.n_eff))
        elif e.n_eff is None or e.n_eff < MIN_N_EFF * (1 - N_EFF_TOLERANCE):
            left.append(Left(code, kind, "low_precision", e.n, e.n_eff))
        elif math.isnan(rho):
            left.append(Left(code, kind, "no_importance", e.n, e.n_eff))
        else:
            ranked.append((code, kind, e, rho, source, max(rho, 0.0) * (100.0 - e.high)))
    ranked.sort(key=lambda r: -r[5])  # stable: questionnaire order breaks ties
    if not ranked:
        return (), tuple(left)
    weak = np.median([100.0 - r[2].high for r in ranked])
    strong = np.median([max(r[3], 0.0) for r in ranked])
    entries = []
    for code, kind, e, rho, source, score in ranked:
        is_weak, is_strong = 100.0 - e.high >= weak, max(rho, 0.0) >= strong
        reason = (
            "weak_and_important"
            if is_weak and is_strong
            else "weak"
            if is_weak
            else "important"
            if is_strong
            else "ranked"
        )
        entries.append(ImproveEntry(code, kind, e, float(rho), source, float(score), reason))
    return tuple(entries), tuple(left)


def priorities_view(entries: tuple[ImproveEntry, ...]) -> tuple[Priority, ...]:
    """The first entries in the shape of the earlier ``priorities`` list (same ranking)."""
    return tuple(
        Priority(e.code, e.estimate, e.importance, e.score, e.importance_from) for e in entries[:TOP]
    )
