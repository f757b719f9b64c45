"""Server-rendered SVG charts: no JavaScript library, nothing fetched, readable without CSS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from supportqa.core.intervals import Estimate
from supportqa.core.pareto import ParetoRow
from supportqa.reports.control import Watched

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 28


INSET = 24  # keeps the first bar clear of the axis labels and the last date label on the canvas


def _x(index: int, count: int) -> float:
    span = WIDTH - PAD_LEFT - PAD_RIGHT - 2 * INSET
    return PAD_LEFT + INSET + (span * index / (count - 1) if count > 1 else span / 2)


def _y(value: float, low: float, high: float) -> float:
    span = HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + span * (1 - (value - low) / (high - low or 1))


def _frame(
    title: str,
    body: str,
    labels: Sequence[date],
    low: float,
    high: float,
    unit: str,
    digits: int = 0,
) -> SafeString:
    ticks = []
    for fraction in (0, 0.5, 1):
        value = low + (high - low) * fraction
        y = _y(value, low, high)
        ticks.append(
            f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="tick" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{value:.{digits}f}{escape(unit)}</text>'
        )
    step = max(1, len(labels) // 6)
    for index in range(0, len(labels), step):
        ticks.append(
            f'<text class="tick" x="{_x(index, len(labels)):.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{labels[index]:%d %b}</text>'
        )
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>{''.join(ticks)}{body}</svg>"
    )


def line_with_band(
    title: str,
    series: Sequence[tuple[date, Estimate]],
    *,
    low: float = 0,
    high: float = 100,
    unit: str = "",
) -> SafeString:
    """Weekly means with their 95 % interval drawn as a band."""
    points = [(d, e) for d, e in series if e.value is not None]
    if not points:
        return mark_safe(f'<p class="empty">No data for “{escape(title)}” in this period.</p>')
    count = len(points)
    line = " ".join(_coords(points, low, high, lambda e: e.value))
    upper = _coords(points, low, high, lambda e: e.value if e.high is None else e.high)
    lower = _coords(points, low, high, lambda e: e.value if e.low is None else e.low)
    dots = "".join(
        f'<circle class="dot" cx="{_x(i, count):.1f}" cy="{_y(e.value, low, high):.1f}" r="3">'  # type: ignore[arg-type]
        f"<title>{d:%d %b %Y}: {e.value:.1f}{escape(unit)} (n={e.n})</title></circle>"
        for i, (d, e) in enumerate(points)
    )
    body = (
        f'<polygon class="band" points="{" ".join(upper + lower[::-1])}"/>'
        f'<polyline class="line" points="{line}"/>{dots}'
    )
    return _frame(title, body, [d for d, _ in points], low, high, unit)


def _coords(
    points: Sequence[tuple[date, Estimate]],
    low: float,
    high: float,
    value_of: Callable[[Estimate], float | None],
) -> list[str]:
    """The "x,y" of each point, y being the value `value_of` picks from its estimate, kept
    inside the axis (a t interval of a 0–100 score can reach past either end)."""
    count = len(points)
    return [
        f"{_x(i, count):.1f},{_y(min(high, max(low, value_of(e))), low, high):.1f}"  # type: ignore[type-var]
        for i, (_, e) in enumerate(points)
    ]


def bars(title: str, series: Sequence[tuple[date, int]], unit: str = "week") -> SafeString:
    """One bar per point: a week (labelled by its Monday) or a day."""
    if not series:
        return mark_safe(f'<p class="empty">No data for “{escape(title)}” in this period.</p>')
    high = max(v for _, v in series) or 1
    count = len(series)
    width = max(4.0, (WIDTH - PAD_LEFT - PAD_RIGHT - 2 * INSET) / count * 0.6)
    body = "".join(
        f'<rect class="bar" x="{_x(i, count) - width / 2:.1f}" y="{_y(v, 0, high):.1f}" '
        f'width="{width:.1f}" height="{_y(0, 0, high) - _y(v, 0, high):.1f}">'
        f"<title>{'week of ' if unit == 'week' else ''}{d:%d %b %Y}: {v}</title></rect>"
        for i, (d, v) in enumerate(series)
    )
    return _frame(title, body, [d for d, _ in series], 0, high, "")


def control_chart(watched: Watched) -> SafeString:
    """A KPI's control chart: the points, the centre line, the control limits (stepped where
    each point has its own) and the points of a signalled run ringed."""
    chart = watched.chart
    if chart is None:
        return mark_safe("")
    scale, count = watched.scale, len(chart.points)
    values = [p.value * scale for p in chart.points]
    uppers = [p.upper * scale for p in chart.points]
    lowers = [p.lower * scale for p in chart.points]
    low, high = min(*values, *lowers), max(*values, *uppers)
    margin = (high - low) * 0.08 or 1.0
    low, high = max(low - margin, min(low, 0.0)), high + margin  # no axis below 0 for a rate
    digits = 1 if high - low < 10 else 0

    def path(ys: list[float]) -> str:
        return " ".join(f"{_x(i, count):.1f},{_y(v, low, high):.1f}" for i, v in enumerate(ys))

    dots = _control_dots(
        watched, chart.flagged(), (values, lowers, uppers), (low, high, digits + 1)
    )
    body = (
        f'<polyline class="limit" points="{path(uppers)}"/>'
        f'<polyline class="limit" points="{path(lowers)}"/>'
        f'<polyline class="centre" points="{path([chart.centre * scale] * count)}"/>'
        f'<polyline class="line thin" points="{path(values)}"/>{dots}'
    )
    title = f"{watched.name} per {watched.every} on its control chart"
    axis_unit = watched.unit if len(watched.unit) < 2 else ""  # " min" would not fit the axis
    return _frame(title, body, watched.weeks, low, high, axis_unit, digits)


def pareto_chart(title: str, rows: Sequence[ParetoRow[Any]]) -> SafeString:
    """Bars of each item's share, largest first, numbered as in the table beside it, and the
    cumulative share as a line; the vital few in the stronger colour."""
    if not rows:
        return mark_safe("")
    count = len(rows)
    width = max(6.0, (WIDTH - PAD_LEFT - PAD_RIGHT - 2 * INSET) / count * 0.6)
    bars, ticks = [], []
    for i, row in enumerate(rows):
        x, y = _x(i, count), _y(row.share.value or 0.0, 0, 100)
        bars.append(
            f'<rect class="bar{" vital" if row.vital else ""}" x="{x - width / 2:.1f}" '
            f'y="{y:.1f}" width="{width:.1f}" height="{_y(0, 0, 100) - y:.1f}">'
            f"<title>{i + 1}. {escape(row.label)}: {row.count} ({row.share.value:.1f}%; "
            f"{row.cumulative:.1f}% cumulative)</title></rect>"
        )
        ticks.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{i + 1}</text>'
        )
    line = " ".join(
        f"{_x(i, count):.1f},{_y(r.cumulative, 0, 100):.1f}" for i, r in enumerate(rows)
    )
    body = f'{"".join(bars)}<polyline class="line" points="{line}"/>{"".join(ticks)}'
    return _frame(title, body, [], 0, 100, "%")


def _control_dots(
    watched: Watched,
    flagged: set[int],
    lines: tuple[list[float], list[float], list[float]],
    scale: tuple[float, float, int],
) -> str:
    """A dot per week, ringed when part of a signal, its title the value and its limits."""
    values, lowers, uppers = lines
    low, high, digits = scale
    count = len(values)
    dots = []
    for i, (week, value) in enumerate(zip(watched.weeks, values, strict=True)):
        shown = f"{value:.{digits}f}{watched.unit}"
        limits = f"limits {lowers[i]:.{digits}f} to {uppers[i]:.{digits}f}"
        signal = i in flagged
        dots.append(
            f'<circle class="dot{" signal" if signal else ""}" cx="{_x(i, count):.1f}" '
            f'cy="{_y(value, low, high):.1f}" r="{5 if signal else 3}">'
            f"<title>{'week of ' if watched.every == 'week' else ''}{week:%d %b %Y}: "
            f"{escape(shown)} ({limits}"
            f"{'; part of a signal' if signal else ''})</title></circle>"
        )
    return "".join(dots)
