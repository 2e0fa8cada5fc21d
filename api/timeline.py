"""A finding's timeline: the zone's stored samples around the finding (the units' compact
observations), what no sample covers, when the branch was closed, and where the evidence
clip stands on the wall clock, so the page can seek the clip or ask for a clip of a moment
it leaves out (api/moment_clips.py).

Closed is not unknown: before opening and after closing (the branch's calendar as its
last run stored it, m.Branch.hours) nobody is meant to be seen and nothing is judged, so
that time is `closed`, and `unknown` is only the judged time no sample covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas import ClipSpan, TimelineOut, TimelineSample, TimelineSpan
from detectors.observations import FrameObservation
from pipeline.evidence.clips import clip_timing, evidence_rolls
from pipeline.report.charts import ZoneTrack, zone_tracks
from pipeline.store import models as m
from pipeline.store.compact import unpack
from rules.calendar import MEETING_WINDOW
from rules.checklist import Checklist, ChecklistItem
from rules.intervals import Interval, subtract

#: time shown on each side of a finding: this, or the finding's own length if longer
PAD_S = 300.0


def window_of(row: m.Finding) -> tuple[datetime, datetime]:
    pad = timedelta(seconds=max(PAD_S, row.duration_s))
    return row.start - pad, row.end + pad


def _judged_on(row: m.Finding, zone_id: str, purpose: str) -> bool:
    """A finding names its zone, or, judged over all zones of a purpose, the purpose; a
    camera's finding (missing footage) names the camera: all its zones are shown."""
    return row.zone in (zone_id, purpose) or row.zone in row.cameras


def judged_samples(
    frames: list[FrameObservation], items: list[ChecklistItem], max_gap_s: float
) -> tuple[list[TimelineSample], list[ZoneTrack]]:
    """The samples and each zone's states as the finding's item judges them (`items`: it,
    or none for an item of a newer checklist than the server's): the dots and the bars
    ask the same ChecklistItem.violated_in, as the rules do."""
    samples = sorted(
        (
            TimelineSample(
                t=frame.t, camera=frame.camera, zone=zone.zone_id,
                violating=any(i.violated_in(zone) for i in items), persons=zone.persons,
                present=zone.present, phone=zone.phone, clutter=zone.clutter,
            )
            for frame in frames
            for zone in frame.zones.values()
        ),
        key=lambda s: (s.t, s.camera, s.zone),
    )  # fmt: skip
    return samples, zone_tracks(frames, items, {}, {}, max_gap_s)


def open_hours(
    hours: Mapping[str, list[str]], lo: datetime, hi: datetime, tz: ZoneInfo,
    before_opening_min: float = 0.0,
) -> list[Interval]:
    """The branch's business hours on the days around [lo, hi], from its stored calendar
    (weekday → ["HH:MM", "HH:MM"]; a weekday not listed is closed), reaching
    `before_opening_min` before each opening (the morning meeting's window, for the item
    judged then)."""
    out = []
    day = lo.astimezone(tz).date() - timedelta(days=1)
    while day <= hi.astimezone(tz).date() + timedelta(days=1):
        if (span := hours.get(str(day.weekday()))) is not None:
            opening, closing = (_at(day, text, tz) for text in span)
            out.append((opening - timedelta(minutes=before_opening_min), closing))
        day += timedelta(days=1)
    return out


def _at(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tz)


def closed_spans(
    open_: list[Interval], lo: datetime, hi: datetime, tz: ZoneInfo
) -> list[TimelineSpan]:
    """The window's time outside business hours, each saying on the branch's clock when
    it opens or when it closed that day."""
    out = []
    for a, b in subtract([(lo, hi)], open_):
        day_a, day_b = a.astimezone(tz).date(), b.astimezone(tz).date()
        opens = [o for o, _ in open_ if o >= b and o.astimezone(tz).date() == day_b]
        closed = [c for _, c in open_ if c <= a and c.astimezone(tz).date() == day_a]
        if opens:
            why = f"非营业 closed, opens at {min(opens).astimezone(tz):%H:%M}"
        elif closed:
            why = f"非营业 closed at {max(closed).astimezone(tz):%H:%M}"
        else:
            why = "非营业 closed all day"
        out.append(TimelineSpan(start=a, end=b, camera="", reason=why))
    return out


def finding_timeline(
    session: Session, row: m.Finding, timezone: str, checklist: Checklist
) -> TimelineOut:
    tz = ZoneInfo(timezone)
    lo, hi = window_of(row)
    units = session.scalars(
        select(m.WorkUnit).where(
            m.WorkUnit.branch_id == row.branch_id,
            m.WorkUnit.date == row.date,
            m.WorkUnit.camera_id.in_([str(c) for c in row.cameras]),
            m.WorkUnit.status == m.DONE,
        )
    ).all()
    frames = [
        FrameObservation(
            frame.t,
            frame.camera,
            {z: o for z, o in frame.zones.items() if _judged_on(row, z, o.purpose)},
        )
        for unit in units
        for frame in unpack(unit.observations, unit.camera_id, tz)
        if lo <= frame.t <= hi
    ]
    items = [i for i in checklist.items if i.code == row.item]  # none: a newer checklist's
    samples, tracks = judged_samples(frames, items, checklist.sampling.max_gap_s)
    states = [
        TimelineSpan(start=a, end=b, camera=t.camera, zone=t.zone_id, violating=bad)
        for t in tracks
        for a, b, bad in t.states
        if b > a
    ]
    unknown = [
        TimelineSpan(
            start=max(g.start, lo), end=min(g.end, hi), camera=g.camera_id, reason=g.reason
        )
        for g in session.scalars(
            select(m.CoverageGap).where(
                m.CoverageGap.branch_id == row.branch_id,
                m.CoverageGap.date == row.date,
                m.CoverageGap.camera_id.in_([str(c) for c in row.cameras]),
                m.CoverageGap.end > lo,
                m.CoverageGap.start < hi,
            )
        )
    ]
    if not tracks:  # nothing stored of the zone: the whole window is unknown
        unknown += [
            TimelineSpan(start=lo, end=hi, camera=str(c), reason="无存储的采样 no stored samples")
            for c in row.cameras
        ]
    for t in tracks:  # the window's time no sample of the zone stands for
        edges = [(lo, lo), *((a, b) for a, b, _ in t.states), (hi, hi)]
        for (_, seen), (nxt, _) in zip(edges, edges[1:], strict=False):
            if (nxt - seen).total_seconds() > 0:
                unknown.append(
                    TimelineSpan(
                        start=seen, end=nxt, camera=t.camera, zone=t.zone_id,
                        reason=f"无采样 no sample for {(nxt - seen).total_seconds():.0f} s",
                    )
                )  # fmt: skip
    try:
        evidence = checklist.item(row.item).evidence
    except KeyError:
        evidence = None
    before = MEETING_WINDOW[0] if getattr(evidence, "signal", "") == "meeting" else 0.0
    hours = session.get(m.Branch, row.branch_id).hours  # None: no calendar stored yet
    closed = [] if hours is None else closed_spans(open_hours(hours, lo, hi, tz, before), lo, hi, tz)
    if closed:  # closed is not unknown: only the judged time no sample covers is unknown
        unknown = [
            u.model_copy(update={"start": a, "end": b})
            for u in unknown
            for a, b in subtract([(u.start, u.end)], [(c.start, c.end) for c in closed])
        ]
    rolls = evidence_rolls(evidence)
    clip = (
        [
            ClipSpan(start=a, end=b, offset_s=o)
            for a, b, o in clip_timing(row.start, row.end, **rolls)
        ]
        if row.clip
        else []
    )
    return TimelineOut(
        finding=row.id,
        timezone=timezone,
        start=lo,
        end=hi,
        zones=sorted({f"{s.camera}/{s.zone}" for s in samples}),
        samples=samples,
        states=states,
        unknown=sorted(unknown, key=lambda u: u.start),
        closed=closed,
        clip=clip,
    )
