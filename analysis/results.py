"""Result objects: small frozen dataclasses with a ``confidence_interval()`` like scipy.stats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import pandas as pd

__all__ = [
    "Alpha",
    "Comparison",
    "ConfidenceInterval",
    "Difference",
    "Estimate",
    "GroupResult",
    "ImproveEntry",
    "IndexResult",
    "Left",
    "Priority",
    "RankRange",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class ConfidenceInterval(NamedTuple):
    """Lower and upper bound; both None when the estimate is null."""

    low: float | None
    high: float | None


@dataclass(frozen=True)
class Estimate:
    """A percentage (0-100) with its linearised standard error and its interval.

    ``value`` and ``se`` are None when they cannot be estimated; ``flags`` says why.
    ``n`` counts the responses with at least one valid answer entering the estimate; ``df``
    is the design's degrees of freedom for it (R ``degf``). ``low``/``high`` are the interval
    at ``confidence``: Student's t on ``df`` for indices, Korn–Graubard for rates
    (``method``); None where it cannot be given (see ``flags``). ``n_eff`` is the effective
    sample size ``p(1−p)/Var(p)`` of a rate (``n`` when the variance is 0), or ``n / deff``
    (design effect floored at 1) of an index.
    """

    value: float | None
    se: float | None
    n: int
    confidence: float = 0.95
    flags: tuple[str, ...] = ()
    df: float | None = None
    low: float | None = None
    high: float | None = None
    n_eff: float | None = None
    method: str = "t"

    def confidence_interval(self) -> ConfidenceInterval:
        """The interval at the result's confidence (both None when it cannot be given)."""
        return ConfidenceInterval(self.low, self.high)

    @property
    def half_width(self) -> float | None:
        """Half the interval's width in percentage points (None without an interval)."""
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2.0


@dataclass(frozen=True)
class Comparison:
    """An estimate against a reference figure: difference in pp, t on ``df`` and two-sided p.

    ``z`` repeats ``t`` (the field name before tests used the design's degrees of freedom).
    """

    reference: float
    diff_pp: float | None
    z: float | None
    p_value: float | None
    t: float | None = None
    df: float | None = None


@dataclass(frozen=True)
class Difference:
    """Difference of two estimates in pp with its SE, t interval on ``df`` and two-sided p."""

    diff_pp: float | None
    se: float | None
    z: float | None
    p_value: float | None
    df: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RankRange:
    """A group's rank by SIPAS among the groups, with the ranks its interval allows."""

    rank: int | None
    best: int | None
    worst: int | None
    of: int


@dataclass(frozen=True)
class Priority:
    """One 'improve first' criterion: score = (100 - rate) x importance (METHOD §4)."""

    item: str
    estimate: Estimate
    importance: float
    score: float
    importance_from: str


@dataclass(frozen=True)
class ImproveEntry:
    """One entry of 'improve first': a service criterion or a policy element.

    ``score = importance × (100 − upper bound of satisfaction)``: the share dissatisfied that
    the data support at the stated confidence, weighted by how much the criterion moves overall
    satisfaction. ``reason`` says why it is there (see :mod:`analysis.improve`).
    """

    code: str
    kind: str
    estimate: Estimate
    importance: float
    importance_from: str
    score: float
    reason: str


@dataclass(frozen=True)
class Left:
    """A criterion left out of 'improve first', with why (``low_precision``, ``no_importance``,
    ``no_data``) and its effective sample size."""

    code: str
    kind: str
    reason: str
    n: int
    n_eff: float | None


@dataclass(frozen=True)
class Alpha:
    """Cronbach's alpha of an element's items with its Feldt interval."""

    element: str
    value: float | None
    n: int
    k: int
    low: float | None
    high: float | None
    confidence: float = 0.95
    flags: tuple[str, ...] = ()

    def confidence_interval(self) -> ConfidenceInterval:
        """The Feldt (1965) interval at the result's confidence."""
        return ConfidenceInterval(self.low, self.high)


@dataclass(frozen=True)
class GroupResult:
    """Every index of one group (``key`` empty for the whole selection)."""

    key: Mapping[str, str]
    n: int
    sipas: Estimate
    policy: Estimate
    service: Estimate
    elements: Mapping[str, Estimate]
    items: Mapping[str, Estimate]
    vs_baseline: Comparison
    flags: tuple[str, ...]
    vs_national: Comparison | None = None
    quality: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    needed_for_5pp: int | None = None
    rank: RankRange | None = None
    priorities: tuple[Priority, ...] = ()
    alpha: Mapping[str, Alpha] = field(default_factory=lambda: _EMPTY)
    df: float | None = None
    improve_first: tuple[ImproveEntry, ...] = ()
    improve_left: tuple[Left, ...] = ()
    e1: Mapping[str, Estimate] = field(default_factory=lambda: _EMPTY)
    e1_n: int = 0
    outcome: Estimate | None = None
    including_flagged: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class IndexResult:
    """The indices of every group of one computation, with its settings."""

    instrument: str
    confidence: float
    baseline: float
    national: float
    groups: tuple[GroupResult, ...]
    by: tuple[str, ...] = ()
    design: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    quality: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    weighting: pd.DataFrame | None = field(default=None, compare=False)
    weighting_points: pd.DataFrame | None = field(default=None, compare=False)

    def group(self, **key: str) -> GroupResult:
        """The group with exactly this key (no arguments: the whole selection)."""
        for g in self.groups:
            if dict(g.key) == key:
                return g
        raise KeyError(key)
