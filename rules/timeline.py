"""From sampled frames to piecewise-constant, three-valued timelines of one post.

A sample stands for the time up to the next sample of its camera when that is close
enough; everything else is unknown. A post seen by several cameras is OK when any camera
shows it OK and in violation only when every camera covering it is known and agrees, so
that neither a blind camera nor one that cannot see the person makes an absence.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from rules.calendar import ZoneRef
from rules.intervals import Span, intersect, merge, subtract

Violates = Callable[[ZoneObservation], bool]


@dataclass(frozen=True)
class Piece:
    start: float
    end: float
    violating: bool


@dataclass(frozen=True)
class PostSample:
    t: float
    camera: str
    violating: bool | None  # None: none of the post's zones was reported in the frame


def posts(
    purposes: Collection[ZonePurpose], scope: Literal["zone", "purpose"], zones: Iterable[ZoneRef]
) -> dict[str, dict[str, frozenset[str]]]:
    """Post key → camera → that camera's zone ids of the post: one post per zone id, or
    (`purpose`) one of all the zones of the purposes, keyed by their names."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for ref in zones:
        if ref.purpose in purposes:
            key = ref.zone_id if scope == "zone" else "+".join(sorted(purposes))
            out[key][ref.camera].add(ref.zone_id)
    return {k: {c: frozenset(z) for c, z in cams.items()} for k, cams in out.items()}


def camera_samples(
    frames: Iterable[FrameObservation], zone_ids: frozenset[str], violates: Violates
) -> list[PostSample]:
    """One camera's samples of a post: OK if any of its zones is OK in the frame."""
    out = []
    for frame in sorted(frames, key=lambda f: f.t):
        seen = [zone for zone_id, zone in frame.zones.items() if zone_id in zone_ids]
        state: bool | None = None
        if any(not violates(zone) for zone in seen):
            state = False
        elif seen and len(seen) == len(zone_ids):
            state = True
        out.append(PostSample(frame.t.timestamp(), frame.camera, state))
    return out


def known_spans(times: Sequence[float], max_gap: float, blind: Iterable[Span] = ()) -> list[Span]:
    """Time a camera saw: between consecutive samples at most `max_gap` apart, minus `blind`."""
    spans = [(a, b) for a, b in zip(times, times[1:], strict=False) if 0 < b - a <= max_gap]
    return subtract(merge(spans), blind)


def camera_pieces(samples: Sequence[PostSample], known: Sequence[Span]) -> list[Piece]:
    """Each sample's value held until the next sample, kept only inside known time."""
    held = [
        (a.t, b.t, a.violating)
        for a, b in zip(samples, samples[1:], strict=False)
        if a.violating is not None and b.t > a.t
    ]
    out = []
    for start, end, violating in held:
        out.extend(Piece(s, e, violating) for s, e in intersect([(start, end)], known))
    return out


def combine(per_camera: Mapping[str, Sequence[Piece]]) -> list[Piece]:
    """One post's timeline from all cameras covering it (any OK wins; all must agree)."""
    cameras = list(per_camera)
    if len(cameras) == 1:
        return _joined(per_camera[cameras[0]])
    bounds = sorted(
        {p.start for ps in per_camera.values() for p in ps}
        | {p.end for ps in per_camera.values() for p in ps}
    )
    cursor = dict.fromkeys(cameras, 0)
    out = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        states = []
        for cam in cameras:
            pieces = per_camera[cam]
            while cursor[cam] < len(pieces) and pieces[cursor[cam]].end <= start:
                cursor[cam] += 1
            piece = pieces[cursor[cam]] if cursor[cam] < len(pieces) else None
            states.append(piece.violating if piece is not None and piece.start <= start else None)
        if False in states:
            out.append(Piece(start, end, False))
        elif None not in states:
            out.append(Piece(start, end, True))
    return _joined(out)


def _joined(pieces: Iterable[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        last = out[-1] if out else None
        if last and last.end == piece.start and last.violating == piece.violating:
            out[-1] = Piece(last.start, piece.end, last.violating)
        else:
            out.append(piece)
    return out


def runs(pieces: Sequence[Piece]) -> list[list[Piece]]:
    """Maximal stretches of contiguous known time."""
    out: list[list[Piece]] = []
    for piece in pieces:
        if out and out[-1][-1].end == piece.start:
            out[-1].append(piece)
        else:
            out.append([piece])
    return out


def violating_samples(
    samples: Mapping[str, Sequence[PostSample]], span: Span, state: bool = True
) -> list[tuple[float, str]]:
    """(time, camera) of the samples inside `span` that showed the violation (`state`
    False: that showed the post as it should be): a finding's support, from which its
    evidence clip's key frame is chosen."""
    out = []
    for camera, series in samples.items():
        times = [s.t for s in series]
        lo, hi = bisect_left(times, span[0]), bisect_left(times, span[1])
        out += [(s.t, camera) for s in series[lo:hi] if s.violating is state]
    return sorted(out)
