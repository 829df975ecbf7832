"""Geometry of the trend chart: SIPAS per month or quarter with its interval, drawn as inline SVG.

The page must print and work without JavaScript or any other host, so the chart is plain SVG
computed here and drawn by templates/reports/_chart.html; the numbers are in a table next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Chart", "Point", "trend_chart"]

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 40


@dataclass(frozen=True)
class Point:
    """One period: its centre x, the value's y and the interval's ends (SVG user units)."""

    x: float
    y: float
    y_low: float
    y_high: float
    label: str
    small: bool


@dataclass(frozen=True)
class Chart:
    """Everything the template draws; ``ticks`` are (y, label) of the horizontal grid lines."""

    width: int
    height: int
    left: int
    right: float
    bottom: float
    points: tuple[Point, ...]
    ticks: tuple[tuple[float, int], ...]
    baseline_y: float | None
    label_step: int


def _floor_to_ten(value: float) -> int:
    return max(0, int(math.floor(value / 10.0)) * 10)


def trend_chart(groups: Sequence[dict[str, Any]], baseline: float, series: str = "sipas") -> Chart | None:
    """The chart of ``series`` over the groups (oldest first); None when no group has a value."""
    shown = [g for g in groups if g[series]["value"] is not None]
    if not shown:
        return None
    # Zoom on the range that holds every interval and the baseline: satisfaction rarely drops
    # under 50 %, and a 0-100 axis would flatten the differences officials need to see.
    low = min([g[series]["ci_low"] for g in shown] + [baseline])
    bottom_value = _floor_to_ten(min(low, 90.0))
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (100.0 - value) / (100.0 - bottom_value), 1)

    step = plot_w / len(groups)
    points = tuple(
        Point(
            x=round(LEFT + step * (i + 0.5), 1),
            y=y_of(g[series]["value"]),
            y_low=y_of(g[series]["ci_low"]),
            y_high=y_of(g[series]["ci_high"]),
            label=g["label"],
            small="small_sample" in g[series].get("flags", ()),
        )
        for i, g in enumerate(groups)
        if g[series]["value"] is not None
    )
    ticks = tuple((y_of(v), v) for v in range(bottom_value, 101, 10))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        bottom=HEIGHT - BOTTOM,
        points=points,
        ticks=ticks,
        baseline_y=y_of(baseline) if baseline >= bottom_value else None,
        label_step=max(1, math.ceil(len(groups) / 12)),  # at most 12 axis labels stay legible
    )
