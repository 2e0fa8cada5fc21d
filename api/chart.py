"""A branch's check scores over time as inline SVG, drawn on the server (no scripts, no CDN)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup

W, H = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 34
MARKS = (85, "85 Policy A 扣绩效线")


def score_chart(points: Sequence[tuple[date, float, float]]) -> Markup:
    """Final (solid) and provisional (dashed) scores per checked day, with the 85 line."""
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
    mark, label = MARKS
    if mark > y0:
        parts.append(
            f'<line class="mark" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(mark):.1f}" y2="{y(mark):.1f}"/>'
            f'<text class="mark-label" x="{W - RIGHT - 4}" y="{y(mark) - 4:.1f}" '
            f'text-anchor="end">{label}</text>'
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
