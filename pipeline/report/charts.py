"""The report's picture of a branch-day: each zone's state over business hours, with the
findings and the gaps (unknown time) marked, as inline SVG.

One row per zone: green where the zone was as it should be, red where the checklist item
reading it was violated, grey hatching where no camera saw it. A supervisor reads a day
at a glance: when the post was empty, and whether the system could see at all.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from detectors.observations import FrameObservation, ZoneObservation  # noqa: E402
from pipeline.report.webfont import FONT_STACK  # noqa: E402
from rules.checklist import ChecklistItem  # noqa: E402
from rules.wording import zone_label  # noqa: E402

OK, BAD, GAP, FINDING = "#4caf50", "#e53935", "#9e9e9e", "#b71c1c"
SVG_FONTS = FONT_STACK.replace('"', "'")  # inside a style attribute


@dataclass(frozen=True)
class Band:
    start: datetime
    end: datetime
    label: str = ""


@dataclass(frozen=True)
class ZoneTrack:
    """What the chart draws for one zone of one camera."""

    camera: str
    zone_id: str
    purpose: str
    states: Sequence[tuple[datetime, datetime, bool]]  # (from, to, violating)
    gaps: Sequence[Band]
    findings: Sequence[Band]


def zone_tracks(
    frames: Sequence[FrameObservation],
    items: Sequence[ChecklistItem],
    gaps: dict[str, list[Band]],
    findings: dict[tuple[str, str], list[Band]],
    max_gap_s: float,
) -> list[ZoneTrack]:
    """Per (camera, zone): sample states held until the next sample (at most max_gap_s),
    violating where the sample shows one of `items` violated (ChecklistItem.violated_in):
    the day's enabled items for the report, the finding's one item for its timeline."""
    by_zone: dict[tuple[str, str], list[tuple[datetime, ZoneObservation]]] = {}
    for frame in sorted(frames, key=lambda f: f.t):
        for zone_id, zone in frame.zones.items():
            by_zone.setdefault((frame.camera, zone_id), []).append((frame.t, zone))
    tracks = []
    for (camera, zone_id), samples in sorted(by_zone.items()):
        states = []
        for (t, zone), nxt in zip(samples, [*samples[1:], None], strict=True):
            end = nxt[0] if nxt and (nxt[0] - t).total_seconds() <= max_gap_s else t
            violating = any(i.violated_in(zone) for i in items)
            states.append((t, max(end, t), violating))
        tracks.append(
            ZoneTrack(
                camera,
                zone_id,
                samples[0][1].purpose,
                states,
                gaps.get(camera, []),
                findings.get((camera, zone_id), []),
            )
        )
    return tracks


def day_chart(tracks: Sequence[ZoneTrack], opening: datetime, closing: datetime) -> str:
    """An SVG of every zone's day, ready to inline in HTML."""
    height = 0.55 * max(len(tracks), 1) + 1.0
    fig, ax = plt.subplots(figsize=(11, height))
    tz = opening.tzinfo
    for row, track in enumerate(tracks):
        y = len(tracks) - 1 - row
        for start, end, violating in track.states:
            width = mdates.date2num(end) - mdates.date2num(start)
            if width > 0:
                ax.broken_barh([(mdates.date2num(start), width)], (y - 0.3, 0.6),
                               color=BAD if violating else OK, linewidth=0)  # fmt: skip
        for gap in track.gaps:
            ax.broken_barh(
                [(mdates.date2num(gap.start), mdates.date2num(gap.end) - mdates.date2num(gap.start))],
                (y - 0.3, 0.6), facecolor="white", edgecolor=GAP, hatch="///", linewidth=0.5,
            )  # fmt: skip
        for finding in track.findings:
            x0, x1 = mdates.date2num(finding.start), mdates.date2num(finding.end)
            ax.broken_barh([(x0, x1 - x0)], (y - 0.42, 0.84), facecolor="none",
                           edgecolor=FINDING, linewidth=1.6)  # fmt: skip
            ax.annotate(finding.label, (x0, y + 0.45), fontsize=7, color=FINDING)
    ax.set_yticks(range(len(tracks)))
    ax.set_yticklabels(
        [f"{t.camera} / {zone_label(t.zone_id, t.purpose)}" for t in reversed(tracks)], fontsize=8
    )
    ax.set_xlim(mdates.date2num(opening), mdates.date2num(closing))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.set_ylim(-0.7, len(tracks) - 0.3)
    ax.grid(axis="x", linestyle=":", linewidth=0.5)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=OK),
        plt.Rectangle((0, 0), 1, 1, color=BAD),
        plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor=GAP, hatch="///"),
        plt.Rectangle((0, 0), 1, 1, facecolor="none", edgecolor=FINDING, linewidth=1.6),
    ]
    ax.legend(handles, ["正常 as it should be", "违规 violating", "未看到 not seen (unknown)", "发现 finding"],
              loc="upper center", bbox_to_anchor=(0.5, -0.25 / height * 4), ncol=4,
              fontsize=8, frameon=False)  # fmt: skip
    out = io.StringIO()
    # labels as text, not paths, in the page's font: matplotlib's own has no Chinese, and
    # measures them without their glyphs (the browser draws them)
    with warnings.catch_warnings(), plt.rc_context({"svg.fonttype": "none"}):
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        fig.tight_layout()
        fig.savefig(out, format="svg")
    plt.close(fig)
    svg = out.getvalue().replace("font-family: 'DejaVu Sans'", "font-family: " + SVG_FONTS)
    return svg[svg.index("<svg") :]
