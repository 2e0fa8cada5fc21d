"""Debouncing a post's timeline: a person briefly missed by the detector is neither an
absence nor two presences, and a meeting briefly thinned by occlusion is not two meetings.

The one debouncer every item uses (rules/temporal.py, rules/windowed.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from enum import Enum, auto

from rules.checklist import Hysteresis
from rules.intervals import Span
from rules.timeline import Piece


class _State(Enum):
    UNSURE = auto()
    OK = auto()
    VIOLATING = auto()
    ENDED = auto()  # recovered to `end_at` but not yet confirmed OK


def debounced_violations(run: Sequence[Piece], h: Hysteresis) -> list[Span]:
    """Violations in one stretch of known time, by hysteresis on the OK share of a window.

    Within a piece the share moves one way only, so judging it at piece ends sees every
    threshold crossing. A violation is dated from its last uninterrupted violating stretch
    and ends at the first OK piece of the recovering window: when in doubt, shorter.
    """
    out: list[Span] = []
    window: deque[Piece] = deque()
    known = ok = 0.0
    state, start, end = _State.UNSURE, 0.0, 0.0
    streak: float | None = None  # start of the current uninterrupted violating stretch
    for piece in run:
        window.append(piece)
        known += piece.end - piece.start
        ok += 0.0 if piece.violating else piece.end - piece.start
        low = piece.end - h.window_s
        while window[0].end <= low:
            gone = window.popleft()
            known -= gone.end - gone.start
            ok -= 0.0 if gone.violating else gone.end - gone.start
        clipped = max(0.0, low - window[0].start)
        share = (ok - (0.0 if window[0].violating else clipped)) / (known - clipped)
        if piece.violating:
            streak = piece.start if streak is None else streak
            if share < h.start_below and state is not _State.VIOLATING:
                if state is not _State.ENDED:
                    start = streak
                state = _State.VIOLATING
            continue
        streak = None
        if state is _State.VIOLATING and share >= h.end_at:
            state = _State.ENDED
            end = next(p.start for p in window if not p.violating and p.start >= start)
        if share >= h.confirm_ok_at:
            if state is _State.ENDED:
                out.append((start, end))
            if state is not _State.VIOLATING:
                state = _State.OK
    if state is _State.VIOLATING:
        out.append((start, run[-1].end))
    elif state is _State.ENDED:
        out.append((start, end))
    return out
