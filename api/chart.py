"""A branch's check scores over time as inline SVG, drawn on the server (no scripts, no CDN),
with the lines the policies judge them by: Policy A's threshold across the chart, and
Policy B's stage target over the days of each stage (rules/policy_a.yaml, policy_b.yaml)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from itertools import groupby

from markupsafe import Markup

from rules.policies import Stage

W, H = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 34


def score_chart(
    points: Sequence[tuple[date, float, float]],
    threshold: float,
    stages: Sequence[Stage] = (),
) -> Markup:
    """Final (solid) and provisional (dashed) scores per checked day, with Policy A's
    `threshold` line and each of Policy B's `stages`' target over its days."""
    if not points:
        return Markup('<p class="muted">暂无得分 No scores yet.</p>')
    low = min(min(p, f) for _, p, f in points)
    y0 = min(80, 5 * math.floor(low / 5))
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        if first == last:
            return LEFT + (W - LEFT - RIGHT) / 2
        return LEFT + (W - LEFT - RIGHT) * (day - first).days / span

    def y(score: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (100 - score) / (100 - y0)

    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="score over time, {first} to {last}">'
    ]
    for tick in range(y0, 101, 5):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    if threshold > y0:
        parts.append(
            f'<line class="mark" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(threshold):.1f}" '
            f'y2="{y(threshold):.1f}"/><text class="mark-label" x="{W - RIGHT - 4}" '
            f'y="{y(threshold) - 4:.1f}" text-anchor="end">'
            f"方案一 {threshold:g} 扣绩效线 Policy A {threshold:g}</text>"
        )
    of_month = {month: stage for stage in stages for month in stage.months}
    runs = groupby(
        (p[0] for p in points if p[0].month in of_month),
        key=lambda day: (day.year, of_month[day.month].number),
    )
    for (_, number), days in runs:  # one segment per stretch of checked days in a stage
        days = list(days)
        target = next(s.target for s in stages if s.number == number)
        x1, x2 = x(days[0]), x(days[-1])
        if x2 - x1 < 24:  # a stretch of one day still shows
            x1, x2 = max(LEFT, x1 - 12), min(W - RIGHT, x2 + 12)
        parts.append(
            f'<line class="target" data-stage="{number}" x1="{x1:.1f}" x2="{x2:.1f}" '
            f'y1="{y(target):.1f}" y2="{y(target):.1f}"/>'
            f'<text class="target-label" x="{x1 + 2:.1f}" y="{y(target) - 4:.1f}">'
            f"方案二 阶段{number} 目标 {target:g} Policy B stage {number} target</text>"
        )
    step = max(1, math.ceil(len(points) / 8))
    for i, (day, _, _) in enumerate(points):
        if i % step == 0 or i == len(points) - 1:
            parts.append(
                f'<text class="tick" x="{x(day):.1f}" y="{H - 12}" text-anchor="middle">'
                f"{day:%m-%d}</text>"
            )
    for cls, index in (("provisional", 1), ("final", 2)):
        path = " ".join(f"{x(p[0]):.1f},{y(p[index]):.1f}" for p in points)
        parts.append(f'<polyline class="{cls}" points="{path}"/>')
        for p in points:
            parts.append(
                f'<circle class="{cls}" cx="{x(p[0]):.1f}" cy="{y(p[index]):.1f}" r="3.5">'
                f"<title>{p[0]} {cls}: {p[index]:g}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
