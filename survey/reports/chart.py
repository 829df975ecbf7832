"""Geometry of the trend chart: SIPAS per month or quarter with its interval, drawn as inline SVG.

The page must print and work without JavaScript or any other host, so the chart is plain SVG
computed here and drawn by templates/reports/_chart.html; the numbers are in a table next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Bar", "BarChart", "Chart", "Point", "bar_chart", "trend_chart"]

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


def trend_chart(
    groups: Sequence[dict[str, Any]], baseline: float | None, series: str = "sipas"
) -> Chart | None:
    """The chart of ``series`` over the groups (oldest first); None when no group has a value.

    ``baseline`` draws a dashed reference line (None: no line, e.g. for a single criterion)."""
    shown = [g for g in groups if g[series]["value"] is not None]
    if not shown:
        return None
    # Zoom on the range that holds every interval and the baseline: satisfaction rarely drops
    # under 50 %, and a 0-100 axis would flatten the differences officials need to see.
    low = min([g[series]["ci_low"] for g in shown if g[series]["ci_low"] is not None] + [baseline or 100.0])
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
            # An interval that could not be computed (one counter, no variance) is not drawn.
            y_low=y_of(g[series]["ci_low"] if g[series]["ci_low"] is not None else g[series]["value"]),
            y_high=y_of(g[series]["ci_high"] if g[series]["ci_high"] is not None else g[series]["value"]),
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
        baseline_y=y_of(baseline) if baseline is not None and baseline >= bottom_value else None,
        label_step=max(1, math.ceil(len(groups) / 8)),  # at most 8 axis labels stay legible
    )


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its row's y, the value's width and the interval's ends (user units)."""

    y: float
    width: float
    x_low: float
    x_high: float
    label: str
    value: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars from 0 to 100 % with intervals; ``ticks`` are (x, label) of grid lines."""

    width: int
    height: int
    left: int
    right: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, int], ...]
    baseline_x: float | None
    bar_height: int


def bar_chart(rows: Sequence[tuple[str, dict[str, Any]]], baseline: float | None = None) -> BarChart | None:
    """Bars of (label, estimate) rows on a 0–100 axis; None when no row has a value.

    A 0–100 axis, unlike the trend's zoom, keeps bar lengths proportional to the values.
    """
    shown = [(label, e) for label, e in rows if e.get("value") is not None]
    if not shown:
        return None
    width, left, right, row_h, bar_h, top = 640, 44, 16, 26, 16, 6
    plot_w = width - left - right

    def x_of(value: float) -> float:
        return round(left + plot_w * value / 100.0, 1)

    bars = tuple(
        Bar(
            y=top + i * row_h,
            width=round(plot_w * e["value"] / 100.0, 1),
            x_low=x_of(e["ci_low"] if e.get("ci_low") is not None else e["value"]),
            x_high=x_of(e["ci_high"] if e.get("ci_high") is not None else e["value"]),
            label=label,
            value=e["value"],
        )
        for i, (label, e) in enumerate(shown)
    )
    height = top + len(shown) * row_h + 20
    return BarChart(
        width=width,
        height=height,
        left=left,
        right=width - right,
        bars=bars,
        ticks=tuple((x_of(v), v) for v in range(0, 101, 20)),
        baseline_x=None if baseline is None else x_of(baseline),
        bar_height=bar_h,
    )
