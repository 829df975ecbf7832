"""Result objects: small frozen dataclasses with a ``confidence_interval()`` like scipy.stats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import pandas as pd
from scipy import special

__all__ = [
    "Alpha",
    "Comparison",
    "ConfidenceInterval",
    "Difference",
    "Estimate",
    "GroupResult",
    "IndexResult",
    "Priority",
    "RankRange",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class ConfidenceInterval(NamedTuple):
    """Lower and upper bound; both None when the estimate is null."""

    low: float | None
    high: float | None


def z_value(confidence: float) -> float:
    """The two-sided normal quantile ``z_{(1+confidence)/2}``."""
    return float(special.ndtri((1.0 + confidence) / 2.0))


@dataclass(frozen=True)
class Estimate:
    """A percentage (0-100) with its linearised standard error.

    ``value`` and ``se`` are None when the estimate cannot be made; ``flags`` says why.
    ``n`` counts the responses with at least one valid answer entering the estimate.
    """

    value: float | None
    se: float | None
    n: int
    confidence: float = 0.95
    flags: tuple[str, ...] = ()

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """``value ± z·se`` clipped to [0, 100]; at the result's confidence unless one is given."""
        if self.value is None or self.se is None:
            return ConfidenceInterval(None, None)
        half = z_value(confidence_level or self.confidence) * self.se
        return ConfidenceInterval(max(0.0, self.value - half), min(100.0, self.value + half))

    @property
    def half_width(self) -> float | None:
        """Unclipped half-width ``z·se`` of the interval, in percentage points."""
        return None if self.se is None else z_value(self.confidence) * self.se


@dataclass(frozen=True)
class Comparison:
    """An estimate against a reference figure: difference in pp, z and two-sided normal p."""

    reference: float
    diff_pp: float | None
    z: float | None
    p_value: float | None


@dataclass(frozen=True)
class Difference:
    """Difference of two independent estimates (e.g. two units, separate strata), in pp."""

    diff_pp: float | None
    se: float | None
    z: float | None
    p_value: float | None


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
