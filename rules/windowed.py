"""Items judged over stretches of time and events, not sample by sample: the guard's patrol
in 30-minute windows (GUARD_IDLE), the morning meeting in its window before opening
(MORNING_MEETING), the teller's raised hand around each customer's arrival (HAND_RAISE).

Unknown is not absent here either: a window, a day or an arrival is a violation only if
what no camera saw could not have made it right — a patrol point not seen throughout a
window may have been visited, a meeting may have been held in time no camera saw, a teller
whose pose was not read may have raised a hand. Their findings span what was judged (the
patrol window, the meeting window, the first to the last miss), so unlike the per-sample
items' they may hold unseen time too short to have changed the verdict.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from detectors.observations import FrameObservation, ZonePurpose
from rules.checklist import (
    ChecklistItem,
    HandRaiseEvidence,
    MeetingEvidence,
    PatrolEvidence,
)
from rules.context import DayContext
from rules.debounce import debounced_violations
from rules.findings import Finding
from rules.intervals import EPS, Span, intersect, merge, subtract, total
from rules.timeline import (
    Piece,
    PostSample,
    camera_pieces,
    camera_samples,
    combine,
    posts,
    runs,
    violating_samples,
)


def windowed_findings(item: ChecklistItem, ctx: DayContext) -> list[Finding]:
    """The findings of one windowed item (its evidence says which) on one branch day."""
    ev = item.evidence
    if isinstance(ev, PatrolEvidence):
        return _patrol(item, ev, ctx)
    if isinstance(ev, MeetingEvidence):
        return _meeting(item, ev, ctx)
    assert isinstance(ev, HandRaiseEvidence)
    return _hand_raise(item, ev, ctx)


def _timeline(
    cameras: Mapping[str, frozenset[str]], ctx: DayContext, violates
) -> tuple[dict[str, list[PostSample]], list[Piece]]:
    """A place's samples per camera and its combined timeline (rules/timeline.py)."""
    samples = {
        c: camera_samples(ctx.frames.get(c, []), ids, violates) for c, ids in cameras.items()
    }
    return samples, combine({c: camera_pieces(samples[c], ctx.known[c]) for c in cameras})


def _spans(pieces: Sequence[Piece], violating: bool | None = None) -> list[Span]:
    """The pieces' time (`violating` given: only the pieces in that state)."""
    return [(p.start, p.end) for p in pieces if violating is None or p.violating is violating]


def _times(values: Sequence[tuple[float, str]], ctx: DayContext) -> tuple[datetime, ...]:
    return tuple(ctx.at(t) for t, _ in values)


def patrol_windows(judged: Sequence[Span], length: float) -> list[Span]:
    """Whole windows of `length` laid end to end from the start of each stretch of judged
    time (business hours minus exempt windows); a shorter remainder is not judged."""
    return [
        (a + i * length, a + (i + 1) * length)
        for a, b in judged
        for i in range(math.floor((b - a + EPS) / length))
    ]


def _patrol(item: ChecklistItem, ev: PatrolEvidence, ctx: DayContext) -> list[Finding]:
    """A window in which the guard was seen at some patrol point but at fewer than
    `min_points` points that were, or may have been (not seen throughout), visited."""
    points = posts(ev.purposes, "zone", ctx.zones)
    if len(points) < ev.min_points:
        return []  # too few patrol points drawn to judge a patrol by
    [key] = posts(ev.purposes, "purpose", ctx.zones)
    timelines = {
        point: _timeline(cameras, ctx, lambda z: not ev.at_point(z))
        for point, cameras in points.items()
    }
    guarded = {p: _spans(tl, False) for p, (_, tl) in timelines.items()}
    watched = {p: _spans(tl) for p, (_, tl) in timelines.items()}
    length = item.trigger.duration_s
    findings = []
    for window in patrol_windows(ctx.day.judged(item.code), length):
        there = {p: total(intersect(guarded[p], [window])) for p in points}
        seen = {p: total(intersect(watched[p], [window])) for p in points}
        visited = [p for p in points if there[p] >= ev.visit_s - EPS]
        possible = [p for p in points if there[p] + length - seen[p] >= ev.visit_s - EPS]
        if not visited or len(possible) >= ev.min_points:
            continue
        support = sorted(
            s for p in visited for s in violating_samples(timelines[p][0], window, state=False)
        )
        unvisited = [p for p in points if p not in visited]
        shown = {c for _, c in support} or {c for p in visited for c in points[p]}
        findings.append(
            Finding(
                item=item.code,
                branch=ctx.branch,
                cameras=tuple(sorted(shown)),
                zone=key,
                start=ctx.at(window[0]),
                end=ctx.at(window[1]),
                confidence=min(seen[p] for p in unvisited) / length,
                support=_times(support, ctx),
            )
        )
    return findings


def _meeting(item: ChecklistItem, ev: MeetingEvidence, ctx: DayContext) -> list[Finding]:
    """The day's meeting window, when no stretch of `trigger.duration_s` in it held the
    meeting or could have (time unseen or exempt counts as may-have)."""
    day = ctx.day
    place = posts(ev.purposes, "purpose", ctx.zones)
    judged = day.judged(item.code, day.meeting)
    if not place or not judged:
        return []
    [(key, cameras)] = place.items()
    window = (day.meeting[0].timestamp(), day.meeting[1].timestamp())
    samples, timeline = _timeline(cameras, ctx, lambda z: not ev.meets(z))
    held = [
        span
        for run in runs(timeline)
        for span in debounced_violations(  # "violating" here: the meeting is on
            [Piece(p.start, p.end, not p.violating) for p in run], ctx.checklist.hysteresis
        )
    ]
    unseen = subtract([window], _spans(timeline))
    may_have = intersect(merge([*held, *unseen, *subtract([window], judged)]), [window])
    if any(b - a >= item.trigger.duration_s - EPS for a, b in may_have):
        return []
    support = violating_samples(samples, window)
    return [
        Finding(
            item=item.code,
            branch=ctx.branch,
            cameras=tuple(sorted({c for _, c in support} or cameras)),
            zone=key,
            start=day.meeting[0],
            end=day.meeting[1],
            confidence=total(intersect(_spans(timeline, True), [window])) / (window[1] - window[0]),
            support=_times(support, ctx),
        )
    ]


def arrivals(line: Sequence[Piece], settle_s: float) -> list[float]:
    """Times a customer arrived at a one-metre zone (pieces violating while it is empty):
    the zone, debounced to states that last `settle_s`, goes from empty to occupied. A
    flicker shorter than that changes nothing; the start of known time is no arrival."""
    out = []
    for run in runs(line):
        state: bool | None = None  # occupied, once a state has lasted
        for piece in run:
            if piece.end - piece.start >= settle_s - EPS:
                if not piece.violating and state is False:
                    out.append(piece.start)
                state = not piece.violating
    return out


def greeted(
    raised: Sequence[float], read: Mapping[str, Sequence[Span]], arrival: float, within_s: float
) -> bool | None:
    """True if a sample within `within_s` of the arrival shows the teller's hand up (the
    sorted times of those that do: `raised`); False if none does and some camera read the
    teller's pose throughout that time (`read`: its merged spans of read time); else None."""
    lo, hi = arrival - within_s, arrival + within_s
    first = bisect_left(raised, lo - EPS)
    if first < len(raised) and raised[first] <= hi + EPS:
        return True
    if any(a <= lo + EPS and hi - EPS <= b for spans in read.values() for a, b in spans):
        return False
    return None


def hand_samples(frames: Sequence[FrameObservation], post: str) -> list[PostSample]:
    """A post's samples as raised (False: not violating), not raised, or unread (None)."""
    out = []
    for frame in frames:
        zone = frame.zones.get(post)
        up = zone.hand_raised if zone is not None else None
        out.append(PostSample(frame.t.timestamp(), frame.camera, None if up is None else not up))
    return out


def _hand_raise(item: ChecklistItem, ev: HandRaiseEvidence, ctx: DayContext) -> list[Finding]:
    """Per teller post: its customers' arrivals in judged time (at the one-metre zones that
    name it), each greeted, missed or unknown; a finding when misses exceed the count."""
    tellers = posts(ev.purposes, "zone", ctx.zones)
    lines = posts({ZonePurpose.ONE_METRE_ZONE}, "zone", ctx.zones)
    named: dict[str, list[str]] = defaultdict(list)
    for ref in ctx.zones:
        if ref.purpose is ZonePurpose.ONE_METRE_ZONE and ref.post in tellers:
            named[ref.post].append(ref.zone_id)
    judged = ctx.day.judged(item.code)
    findings = []
    for post, line_ids in sorted(named.items()):
        cameras = tellers[post]
        hands = {c: hand_samples(ctx.frames.get(c, []), post) for c in cameras}
        raised = sorted(s.t for ss in hands.values() for s in ss if s.violating is False)
        read = {c: merge(_spans(camera_pieces(hands[c], ctx.known[c]))) for c in cameras}
        times = sorted(
            a
            for line in sorted(set(line_ids))
            for a in arrivals(
                _timeline(lines[line], ctx, lambda z: z.persons == 0)[1],
                item.trigger.duration_s,
            )
            if any(lo <= a < hi for lo, hi in judged)
        )
        verdicts = [(a, greeted(raised, read, a, ev.within_s)) for a in times]
        misses = [a for a, v in verdicts if v is False]
        assert item.trigger.count is not None
        if len(misses) <= item.trigger.count:
            continue
        findings.append(
            Finding(
                item=item.code,
                branch=ctx.branch,
                cameras=tuple(sorted(cameras)),
                zone=post,
                start=ctx.at(misses[0]),
                end=ctx.at(misses[-1] + ev.within_s),
                confidence=len(misses) / sum(v is not None for _, v in verdicts),
                support=tuple(ctx.at(a) for a in misses),
            )
        )
    return findings
