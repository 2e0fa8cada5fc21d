"""Turning one branch day of sampled observations into findings and coverage gaps.

Decisions are debounced (a person briefly missed by the detector is neither an absence
nor two presences, rules/debounce.py), limited to judged time (business hours minus the
item's exempt windows) and to known time: a finding never spans time no camera saw. Items
judged over windows and events rather than samples are rules/windowed.py's; coverage and
missing footage are about business hours only, even where a camera was sampled before
opening for the morning meeting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from detectors.observations import FrameObservation
from rules.calendar import BusinessDay, CoverageGap, ZoneRef
from rules.checklist import (
    Checklist,
    ChecklistItem,
    FootageEvidence,
    WindowedEvidence,
)
from rules.context import DayContext
from rules.debounce import debounced_violations
from rules.findings import Finding
from rules.intervals import EPS, Span, intersect, merge, subtract, total
from rules.timeline import (
    Piece,
    camera_pieces,
    camera_samples,
    combine,
    known_spans,
    posts,
    runs,
    violating_samples,
)
from rules.windowed import windowed_findings

NO_SAMPLES = "no samples"


@dataclass(frozen=True)
class DayJudgement:
    branch: str
    day: BusinessDay
    findings: tuple[Finding, ...]
    gaps: tuple[CoverageGap, ...]
    #: camera → share of business hours it actually saw
    coverage: Mapping[str, float]


def windowed_violations(spans: Sequence[Span], duration: float, window: float) -> list[Span]:
    """Episodes with at least `duration` of violation inside some `window`.

    Violating stretches less than a window apart are one episode.
    """
    clusters: list[list[Span]] = []
    for span in spans:
        if clusters and span[0] - clusters[-1][-1][1] < window:
            clusters[-1].append(span)
        else:
            clusters.append([span])
    return [
        (cluster[0][0], cluster[-1][1])
        for cluster in clusters
        if max(total(intersect(cluster, [(s, s + window)])) for s, _ in cluster) >= duration - EPS
    ]


def _hits(
    known_runs: Sequence[Sequence[Piece]],
    item: ChecklistItem,
    checklist: Checklist,
    judged: list[Span],
) -> list[list[Span]]:
    """The item's violations, each as its known parts, kept where judged and long enough.

    A violation that runs up to the end of a stretch of known time and one that starts
    the next stretch, at most `sampling.bridge_s` later, are one incident: the state is
    the same on both sides of the unknown time (a motion-only recorder's hole), each side
    seen for a whole debouncing window at least (a few seconds at a file's end are too
    little to say so). The unknown time in it is not counted: the trigger and the
    confidence see the known parts.
    """
    trigger = item.trigger
    incidents: list[list[Span]] = []
    last_end: float | None = None  # end of the previous stretch of known time
    for run in known_runs:
        lo, hi = run[0].start, run[-1].end
        segments = intersect([(lo, hi)], judged)
        if trigger.window_s is not None:
            raw = [(p.start, p.end) for p in run if p.violating]
            incidents += [
                [hit]
                for segment in segments
                for hit in windowed_violations(
                    intersect(raw, [segment]), trigger.duration_s, trigger.window_s
                )
            ]
            continue
        seen_s = checklist.hysteresis.window_s - EPS
        for a, b in intersect(debounced_violations(run, checklist.hysteresis), segments):
            joins = (
                incidents
                and last_end is not None
                and abs(incidents[-1][-1][1] - last_end) < EPS
                and abs(a - lo) < EPS
                and lo - last_end <= checklist.sampling.bridge_s + EPS
                and incidents[-1][-1][1] - incidents[-1][-1][0] >= seen_s
                and b - a >= seen_s
            )
            if joins:
                incidents[-1].append((a, b))
            else:
                incidents.append([(a, b)])
        last_end = hi
    return [parts for parts in incidents if total(parts) >= trigger.duration_s - EPS]


def _item_findings(item: ChecklistItem, ctx: DayContext) -> list[Finding]:
    findings = []
    judged = ctx.day.judged(item.code)
    for post, cameras in sorted(posts(item.evidence.purposes, item.scope, ctx.zones).items()):
        samples = {
            camera: camera_samples(ctx.frames.get(camera, []), zone_ids, item.violated_in)
            for camera, zone_ids in cameras.items()
        }
        timeline = combine(
            {camera: camera_pieces(samples[camera], ctx.known[camera]) for camera in cameras}
        )
        known_runs = runs(timeline)
        raw = [(p.start, p.end) for run in known_runs for p in run if p.violating]
        for parts in _hits(known_runs, item, ctx.checklist, judged):
            start, end = parts[0][0], parts[-1][1]
            support = violating_samples(samples, (start, end))
            findings.append(
                Finding(
                    item=item.code,
                    branch=ctx.branch,
                    cameras=tuple(sorted({camera for _, camera in support} or cameras)),
                    zone=post,
                    start=ctx.at(start),
                    end=ctx.at(end),
                    confidence=total(intersect(raw, parts)) / total(parts),
                    support=tuple(ctx.at(t) for t, _ in support),
                )
            )
    return findings


def _gaps(
    camera: str, business: Span, known: list[Span], reported: Sequence[CoverageGap], tz: tzinfo
) -> list[CoverageGap]:
    """Business time the camera did not see, with the reported reason or `no samples`."""
    out = []
    for gap in reported:
        if gap.camera == camera:
            spans = intersect([(gap.start.timestamp(), gap.end.timestamp())], [business])
            out += [(s, e, gap.reason) for s, e in spans]
    explained = [(s, e) for s, e, _ in out]
    out += [(s, e, NO_SAMPLES) for s, e in subtract(subtract([business], known), explained)]
    return [
        CoverageGap(datetime.fromtimestamp(s, tz), datetime.fromtimestamp(e, tz), why, camera)
        for s, e, why in sorted(out)
    ]


def judge_day(
    observations: Iterable[FrameObservation],
    day: BusinessDay,
    checklist: Checklist,
    *,
    branch: str,
    zones: Sequence[ZoneRef] = (),
    gaps: Sequence[CoverageGap] = (),
) -> DayJudgement:
    """Findings of every enabled item, and the gaps, for one branch day.

    `zones` are the site's zones (a zone on a camera that delivered nothing is still
    expected, so its post is unknown rather than unmanned); zones seen in the observations
    are added. `gaps` are footage problems reported upstream; long silences between
    samples are added as gaps of their own.

    An hour of a teller post sampled every 2 s, empty from 09:20 to 09:40:

    >>> from datetime import date, datetime, timedelta
    >>> from zoneinfo import ZoneInfo
    >>> from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
    >>> from rules.checklist import load_checklist
    >>> opening = datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    >>> day = BusinessDay(date(2026, 11, 27), opening, opening + timedelta(hours=1))
    >>> def sample(s):
    ...     manned = not 1200 <= s < 2400
    ...     post = ZoneObservation("post-1", ZonePurpose.TELLER_POST, present=manned)
    ...     return FrameObservation(opening + timedelta(seconds=s), "counter-1", {"post-1": post})
    >>> frames = [sample(s) for s in range(0, 3601, 2)]
    >>> judged = judge_day(frames, day, load_checklist(), branch="JS-HA-001")
    >>> [(f.item, f.zone, f"{f.start:%H:%M}", f"{f.end:%H:%M}") for f in judged.findings]
    [('TELLER_ABSENT', 'post-1', '09:20', '09:40')]
    >>> judged.gaps, judged.coverage
    ((), {'counter-1': 1.0})

    Samples that stop are unknown time, never an absence: with the camera silent from
    09:30 the absence ends where the samples do, and the silence is a gap, charged as
    footage not provided (FOOTAGE_MISSING), not as the teller away.

    >>> judged = judge_day(frames[:900], day, load_checklist(), branch="JS-HA-001")
    >>> [(f.item, f"{f.start:%H:%M}", f"{f.end:%H:%M}") for f in judged.findings]
    [('TELLER_ABSENT', '09:20', '09:29'), ('FOOTAGE_MISSING', '09:29', '10:00')]
    >>> [(f"{g.start:%H:%M}", f"{g.end:%H:%M}", g.reason) for g in judged.gaps]
    [('09:29', '10:00', 'no samples')]
    """
    tz = day.opening.tzinfo
    frames: dict[str, list[FrameObservation]] = defaultdict(list)
    refs = dict.fromkeys(zones)
    for frame in observations:
        frames[frame.camera].append(frame)
        for zone_id, zone in frame.zones.items():
            refs.setdefault(ZoneRef(frame.camera, zone_id, zone.purpose))
    for camera_frames in frames.values():
        camera_frames.sort(key=lambda f: f.t)
    cameras = sorted({ref.camera for ref in refs} | set(frames))
    business = (day.opening.timestamp(), day.closing.timestamp())
    known = {}
    for camera in cameras:
        blind = [(g.start.timestamp(), g.end.timestamp()) for g in gaps if g.camera == camera]
        times = [f.t.timestamp() for f in frames.get(camera, [])]
        known[camera] = known_spans(times, checklist.sampling.max_gap_s, blind)
    unknown = [g for c in cameras for g in _gaps(c, business, known[c], gaps, tz)]
    ctx = DayContext(branch, day, checklist, frames, known, list(refs))
    findings = []
    for item in checklist.enabled:
        if isinstance(item.evidence, FootageEvidence):
            charged = [g for g in unknown if g.reason in item.evidence.charged]
            findings += _footage_findings(item, charged, ctx)
        elif isinstance(item.evidence, WindowedEvidence):
            findings += windowed_findings(item, ctx)
        else:
            findings += _item_findings(item, ctx)
    findings.sort(key=lambda f: (f.start, f.item, f.zone))
    span = business[1] - business[0]
    return DayJudgement(
        branch=branch,
        day=day,
        findings=tuple(findings),
        gaps=tuple(unknown),
        coverage={c: total(intersect(known[c], [business])) / span for c in cameras},
    )


def _footage_findings(
    item: ChecklistItem, gaps: Sequence[CoverageGap], ctx: DayContext
) -> list[Finding]:
    """Every continuous stretch of judged time a camera did not see for charged reasons
    (whatever the mix of them), lasting at least the item's trigger: one finding per
    camera and stretch."""
    by_camera: dict[str, list[Span]] = defaultdict(list)
    for gap in gaps:
        by_camera[gap.camera].append((gap.start.timestamp(), gap.end.timestamp()))
    return [
        Finding(
            item=item.code,
            branch=ctx.branch,
            cameras=(camera,),
            zone=camera,
            start=ctx.at(start),
            end=ctx.at(end),
            confidence=1.0,
        )
        for camera, spans in sorted(by_camera.items())
        for start, end in intersect(merge(spans), ctx.day.judged(item.code))
        if end - start >= item.trigger.duration_s - EPS
    ]
