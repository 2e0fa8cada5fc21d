"""Frames of a camera-day at a fixed rate, decoding as little as the rate allows.

Decoding, not detection, is the main CPU cost, and its price depends on the keyframe
interval (GOP): a keyframe decodes alone, any other frame needs every frame back to its
keyframe. So the sampler reads packets a GOP at a time and decides per GOP which frames
it needs before decoding anything:

- keyframes only, when the GOP is no longer than the sampling interval (or the caller asks
  for keyframe cadence): one frame decoded per sample;
- otherwise the GOP's packets in order up to the last frame it needs, skipping frames
  that are neither wanted nor referenced (B-frames), then nothing until the next
  keyframe; a GOP with no sample in it is not decoded at all.

It never seeks inside a GOP (each seek decodes again from the previous keyframe); it seeks
only to jump to the start of the window, to the keyframe at or before it (containers
without an index land where the bytes say, so the landing is checked). Only sampled frames become arrays, resized once
by the scaler while converting.

Samples fall on a grid of slots of one interval counted from the epoch, the first frame
at or after each slot's start, so files sampled in separate processes line up. A caller
that needs the full rate only at times (`dense`, asked before each GOP) gets every
`coarse_s`-th slot in between: one decode pass serves both cadences.

On GOPs longer than the interval that caller may also give `gap_s`, the longest a coarse
sample may stand for (the checklist's `max_gap_s`): there the coarse samples are the
keyframes, each decoded alone, plus the fewest, earliest frames that keep samples at most
`gap_s` apart where keyframes are farther (a 10-s GOP: its second frame). The full rate is
decoded only while `dense` says so, and `dense` is asked again after every sample: a
state change seen on a keyframe turns the rest of its GOP dense (decoded again from the
keyframe), a state that settles mid-GOP stops the decoding there. `decoded` counts the
frames the decoder produced, which is what the time goes on.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import av
import numpy as np
from pydantic import Field, field_validator

from detectors.config_base import StrictModel
from pipeline.footage.coverage import TOLERANCE, GapReason
from pipeline.footage.packets import PacketClock
from pipeline.footage.planes import PlanarPixels
from pipeline.footage.recordings import Segment, probe
from rules.calendar import CoverageGap
from rules.intervals import Interval

log = logging.getLogger(__name__)

KEYFRAMES = "keyframes"  # rate: one sample per keyframe, whatever their cadence
MIN_RATE, MAX_RATE = 0.1, 5.0
SEEK_MIN_S = 30.0  # a shorter jump costs less to read through than to seek
#: seconds: frame times (stream timestamps) land on slot boundaries up to this error, far
#: above the rules' float rounding (rules/intervals.py EPS)
SLOT_EPS = 1e-3
_SEEK_TRIES = 6  # steps back, each twice the last, before reading from the start
_PEEK_PACKETS = 3000  # packets read after a seek to find a keyframe (2 min at 25/s)


#: frames per second a night samples at
Rate = Annotated[float, Field(ge=MIN_RATE, le=MAX_RATE)]


class SamplingSpec(StrictModel):
    """How a file is sampled: the rate, the frames' size, the decoder's threads."""

    rate: Rate | Literal["keyframes"] = Field(
        0.5, title="sampling rate",
        description=f"frames per second ({MIN_RATE:g}-{MAX_RATE:g}), or `{KEYFRAMES}` for "
        "coarse items that tolerate the recording's keyframe cadence",
    )  # fmt: skip
    max_side: int | None = Field(
        None, ge=16, le=100_000, title="largest side",
        description="longest side of the returned frames in pixels (None: native size)",
    )  # fmt: skip
    threads: int = Field(
        0, ge=0, le=1024, title="decoder threads",
        description="decoder threads per file (0: FFmpeg's choice)",
    )  # fmt: skip
    native_crops: bool = Field(
        False, title="native crops",
        description="keep each scaled sample's recording pixels for crops "
        "(pipeline/footage/planes.py)",
    )  # fmt: skip
    decode: bool = Field(
        True, title="decode",
        description="False reads packets only, no frame (`coverage` without `--decode`): the "
        "observed time and truncated tails are the same, decode errors go unseen",
    )  # fmt: skip

    @field_validator("rate", mode="before")
    @classmethod
    def _in_range(cls, rate: object) -> object:
        if isinstance(rate, int | float) and not MIN_RATE <= rate <= MAX_RATE:
            raise ValueError(f"sampling rate must be {MIN_RATE}-{MAX_RATE}/s, got {rate}")
        return rate

    @property
    def interval(self) -> float | None:
        return None if self.rate == KEYFRAMES else 1.0 / float(self.rate)


@dataclass(frozen=True)
class Sample:
    t: datetime  # wall clock, branch time zone
    frame: np.ndarray  # BGR uint8 (H, W, 3)
    source: Path
    pts: float  # seconds from the file's first frame
    #: the recording's own pixels when `frame` was scaled and native crops were asked for
    native: PlanarPixels | None = None
    #: width of a recording pixel over its height (the stream's sample aspect ratio): a
    #: D1 substream's 704×576 is a 4:3 picture. Analysis works on the pixels as stored
    #: (zones are fractions); pictures shown to people are widened by it
    aspect: float = 1.0


@dataclass(frozen=True)
class FileTask:
    """The part [lo, hi) of one segment to sample: the window, minus what earlier segments
    already cover. An unreadable segment's task spans until the next segment begins."""

    segment: Segment
    lo: datetime
    hi: datetime


def plan(segments: tuple[Segment, ...], window: Interval) -> list[FileTask]:
    """One task per segment that contributes to `window`, in time order. Overlapping parts
    go to the earlier segment, so timestamps strictly increase across a camera."""
    tasks = []
    reach = window[0]
    for i, seg in enumerate(segments):
        end = seg.end
        if seg.error:
            end = segments[i + 1].start if i + 1 < len(segments) else window[1]
        lo, hi = max(seg.start, reach), min(end, window[1])
        if hi > lo:
            tasks.append(FileTask(seg, lo, hi))
        reach = max(reach, end)
    return tasks


@dataclass
class FileSampler:
    """Iterate for the samples of one task; afterwards `observed` and `gaps` say what was
    read. A broken file yields what it can and explains the rest, it never raises."""

    task: FileTask
    spec: SamplingSpec
    #: asked before each GOP whether the full rate is needed now; False: only slots on the
    #: coarser grid of `coarse_s` (None: always the full rate)
    dense: Callable[[], bool] | None = None
    coarse_s: float | None = None
    #: with `dense`: on GOPs longer than the interval, keyframes stand for the coarse
    #: samples where they are at most this far apart (None: the coarse grid everywhere)
    gap_s: float | None = None
    observed: list[Interval] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    #: frames the decoder produced (decoded), wanted or not
    decoded: int = 0

    def __iter__(self) -> Iterator[Sample]:
        task = self.task
        if task.segment.error:
            self.gaps.append(CoverageGap(task.lo, task.hi, GapReason.UNREADABLE))
            return
        try:
            container = av.open(str(task.segment.path))
        except (av.error.FFmpegError, OSError) as exc:
            log.warning("%s: unreadable: %s", task.segment.path, exc)
            self.gaps.append(CoverageGap(task.lo, task.hi, GapReason.UNREADABLE))
            return
        with container:
            yield from _Decode(self, container)


class _Decode:
    """One pass over one open file: GOP by GOP, packets first, frames only when needed."""

    def __init__(self, sampler: FileSampler, container) -> None:
        self.sampler, self.container = sampler, container
        self.task, self.spec = sampler.task, sampler.spec
        self.stream = stream = container.streams.video[0]
        ctx = stream.codec_context
        # Slice threads only: frame threads report a frame's decode error on a later
        # packet, so where a gap starts would depend on the thread count (coverage.py).
        ctx.thread_type = "SLICE"
        ctx.thread_count = self.spec.threads
        self.tb = float(stream.time_base)
        self.origin = stream.start_time or 0
        self.t0 = self.task.segment.start.timestamp()
        self.lo, self.hi = self.task.lo.timestamp(), self.task.hi.timestamp()
        sar = stream.sample_aspect_ratio
        self.aspect = float(sar) if sar else 1.0
        rate = stream.average_rate or stream.guessed_rate
        self.frame_s = 1.0 / float(rate) if rate else 0.04
        interval = self.spec.interval
        gop = self.task.segment.keyframe_interval_s
        self.keys_only = interval is None or (gop is not None and gop <= interval + SLOT_EPS)
        coarse = sampler.coarse_s if sampler.dense is not None else None
        #: on the coarse grid only every this many slots is sampled
        self.coarse_every = (
            max(1, math.floor(coarse / interval + SLOT_EPS)) if coarse and interval else 1
        )
        #: long GOPs under a cadence: keyframes as coarse samples (`_sparse_gop`)
        self.sparse = (
            sampler.dense is not None
            and sampler.gap_s is not None
            and interval is not None
            and not self.keys_only
        )
        self.last_slot: int | None = None
        self.sample_t: float | None = None  # time of the last sample delivered (sparse)
        self.wanted: set[int] = set()
        self.size: tuple[int, int] | None = None
        self.cursor = self.lo  # start of what is observed and not yet accounted for
        self.read_end = self.lo
        self.last_t = self.lo  # start of the last packet read: in a cut file, the cut one

    def time(self, pts: int) -> float:
        return self.t0 + (pts - self.origin) * self.tb

    def __iter__(self) -> Iterator[Sample]:
        seeked = self.lo - self.t0 > SEEK_MIN_S and self._seek()
        gop: list = []
        for packet in self._packets():
            if seeked and not gop and not packet.is_keyframe:
                continue  # the tail of the GOP before the one seeked to: undecodable alone
            if packet.is_keyframe and gop:
                key_t = self.time(packet.pts)
                yield from self._any_gop(gop, key_t)
                gop = []
                if key_t >= self.hi:
                    break
            gop.append(packet)
        else:
            yield from self._any_gop(gop, self.read_end)
        yield from self._flush()
        self._finish()

    def _seek(self) -> bool:
        """Seek to the last keyframe at or before the window. Containers without an index
        (MPEG-TS, -PS) seek by bytes and can land after it, in the GOP that holds the
        window's start: step back until the first keyframe read is not after it.
        False: the window starts in the file's first GOPs, read from the start."""
        back = 0.0
        step = max(2 * (self.task.segment.keyframe_interval_s or 2.0), 4.0)
        for _ in range(_SEEK_TRIES):
            target = self.lo - back - self.t0
            if target <= SEEK_MIN_S / 2:
                break
            offset = int(target / self.tb) + self.origin
            self.container.seek(offset, stream=self.stream, backward=True)
            key = self._first_keyframe()
            if key is not None and key <= self.lo + SLOT_EPS:
                self.container.seek(offset, stream=self.stream, backward=True)
                return True
            back, step = back + step, 2 * step
        self.container.seek(self.origin, stream=self.stream, backward=True)
        return False

    def _first_keyframe(self) -> float | None:
        """Time of the first keyframe the demuxer gives from here (packets only)."""
        clock = PacketClock(self.stream)
        try:
            for n, packet in enumerate(self.container.demux(self.stream)):
                if packet.size and clock(packet) and packet.is_keyframe:
                    return self.time(packet.pts)
                if n > _PEEK_PACKETS:
                    break
        except av.error.FFmpegError:
            pass
        return None

    def _packets(self):
        """Packets with a timestamp, their own or their neighbours' (packets.py); a read
        error ends the file early (it is then short)."""
        demux = self.container.demux(self.stream)
        clock = PacketClock(self.stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                return
            except av.error.FFmpegError as exc:
                log.warning("%s: read error: %s", self.task.segment.path, exc)
                return
            if packet.size and clock(packet):
                dur = packet.duration * self.tb if packet.duration else self.frame_s
                self.last_t = max(self.last_t, self.time(packet.pts))
                self.read_end = max(self.read_end, self.last_t + dur)
                yield packet

    def _targets(self, gop: list) -> set[int]:
        """pts of the frames this GOP must deliver: the first in each new slot."""
        interval = self.spec.interval
        frames = gop[:1] if self.keys_only else sorted(gop, key=lambda p: p.pts)
        every = self.coarse_every
        if every > 1 and self.sampler.dense is not None and self.sampler.dense():
            every = 1
        out = set()
        for packet in frames:
            t = self.time(packet.pts)
            if not self.lo - SLOT_EPS <= t < self.hi:
                continue
            slot = math.floor(t / interval + SLOT_EPS) if interval else packet.pts
            if slot != self.last_slot:
                self.last_slot = slot
                if slot % every == 0:
                    out.add(packet.pts)
        return out

    def _any_gop(self, gop: list, end_t: float) -> Iterator[Sample]:
        if self.sparse and gop:
            return self._sparse_gop(gop, end_t)
        return self._gop(gop, end_t)

    def _sparse_gop(self, gop: list, end_t: float) -> Iterator[Sample]:
        """A long GOP under a cadence: its first frame in the window (the keyframe), then
        the full rate while `dense` says so, else the fewest frames that keep samples
        within `gap_s`; decided again after every sample. The decoder is drained at the
        GOP's end, so every frame it owes comes out here (an open GOP's leading pictures,
        which refer to the GOP before, are not sampled)."""
        if not self.spec.decode:
            return
        key = gop[0]
        end_t = min(end_t, self.hi)
        frames = sorted(
            (self.time(p.pts), p.pts)
            for p in gop
            if p.pts >= key.pts and self.lo - SLOT_EPS <= self.time(p.pts) < self.hi
        )
        if not frames:
            return
        dense = bool(self.sampler.dense())
        if dense:  # the full rate's own slots, as on any GOP
            interval = self.spec.interval or 1.0
            after = frames[0][0] - interval if self.sample_t is None else self.sample_t
            self.wanted = self._rest(frames, after, True, end_t)
            first = min((t for t, pts in frames if pts in self.wanted), default=end_t)
            if self.sample_t is not None and first - self.sample_t > self._limit:
                self.wanted.add(frames[0][1])  # after sparse samples: none far apart
        else:
            self.wanted = {frames[0][1]} | self._rest(frames, frames[0][0], False, end_t)
        ctx = self.stream.codec_context
        if not dense and self.wanted == {key.pts}:
            # the keyframe alone serves: decode it and drain the decoder at once
            try:
                ctx.skip_frame = "DEFAULT"
                out = [*ctx.decode(key), *ctx.decode(None)]
            except av.error.FFmpegError as exc:
                self._broken(key, end_t, exc)
                return
            finally:
                ctx.flush_buffers()
            yield from self._deliver(out)
            if key.pts in self.wanted or not self.sampler.dense():
                return  # not decodable (nothing to build on), or the keyframe served
            # a change on the keyframe: the rest of the GOP at the full rate, from the top
            dense = True
            self.wanted = self._rest(frames, self.sample_t, dense, end_t)
        state = {"dense": dense}

        def replan() -> None:
            now = bool(self.sampler.dense())
            if now != state["dense"] and self.sample_t is not None:
                state["dense"] = now
                self.wanted = self._rest(frames, self.sample_t, now, end_t)

        try:
            for packet in gop:
                if not self.wanted:
                    break
                ctx.skip_frame = "DEFAULT" if packet.pts in self.wanted else "NONREF"
                try:
                    out = ctx.decode(packet)
                except av.error.FFmpegError as exc:
                    self._broken(packet, end_t, exc)
                    return
                yield from self._deliver(out, replan)
            if self.wanted:
                try:
                    yield from self._deliver(ctx.decode(None), replan)
                except av.error.FFmpegError as exc:
                    log.debug("%s: drain: %s", self.task.segment.path, exc)
        finally:
            ctx.flush_buffers()
            self.wanted = set()

    @property
    def _limit(self) -> float:
        """The longest spacing of samples on long GOPs (their times are rounded to µs)."""
        assert self.sampler.gap_s is not None
        return self.sampler.gap_s - SLOT_EPS

    def _rest(
        self, frames: list[tuple[float, int]], after: float, dense: bool, end_t: float
    ) -> set[int]:
        """pts of the frames of a long GOP to sample after the one at `after`: the first of
        each later slot (dense), or the fewest, earliest frames that leave no spacing over
        `gap_s` up to `end_t`, where the next GOP's keyframe is sampled (coarse)."""
        later = [(t, pts) for t, pts in frames if t > after + SLOT_EPS]
        interval = self.spec.interval
        assert interval is not None
        if dense:
            out, slot = set(), math.floor(after / interval + SLOT_EPS)
            for t, pts in later:
                s = math.floor(t / interval + SLOT_EPS)
                if s != slot:
                    out.add(pts)
                    slot = s
            return out
        limit = self._limit
        out, edge = set(), end_t
        while edge - after > limit:
            reach = [(t, pts) for t, pts in later if edge - limit <= t < edge]
            if not reach:
                break  # no frame can bridge it (a hole in the GOP): the gap stays
            edge, pts = reach[0]
            out.add(pts)
        return out

    def _gop(self, gop: list, end_t: float) -> Iterator[Sample]:
        """Decode until every wanted frame is out. The decoder's reorder delay holds a frame
        back until later packets arrive, so frames wanted here may come out in a later GOP
        (keyframes only: when later keyframes are fed)."""
        if not self.spec.decode:
            return
        self.wanted |= self._targets(gop)
        ctx = self.stream.codec_context
        for packet in gop[:1] if self.keys_only else gop:
            if not self.wanted:
                return
            # a frame nobody wants and no frame refers to need not be decoded at all
            ctx.skip_frame = "DEFAULT" if packet.pts in self.wanted else "NONREF"
            try:
                frames = ctx.decode(packet)
                if self.keys_only and packet.pts in self.wanted:
                    # A keyframe decodes alone: drain the reorder delay now rather than
                    # decode the next keyframes (scene cuts come in bursts) to push it out.
                    frames = [*frames, *ctx.decode(None)]
                    ctx.flush_buffers()
            except av.error.FFmpegError as exc:
                self._broken(packet, end_t, exc)
                return
            yield from self._deliver(frames)

    def _flush(self) -> Iterator[Sample]:
        if self.wanted:
            try:
                yield from self._deliver(self.stream.codec_context.decode(None))
            except av.error.FFmpegError as exc:
                log.debug("%s: flush: %s", self.task.segment.path, exc)

    def _deliver(self, frames, then: Callable[[], None] | None = None) -> Iterator[Sample]:
        """The wanted frames as samples; `then` runs after each (the caller has seen it)."""
        for frame in frames:
            self.sampler.decoded += 1
            if frame.pts in self.wanted:
                self.wanted.discard(frame.pts)
                self.sample_t = self.time(frame.pts)
                yield self._sample(frame)
                if then is not None:
                    then()

    def _broken(self, packet, end_t: float, exc: Exception) -> None:
        """The rest of this GOP is undecodable: a gap up to the next keyframe."""
        log.warning(
            "%s: decode error at %.2f s: %s",
            self.task.segment.path,
            (packet.pts - self.origin) * self.tb,
            exc,
        )
        start = max(self.time(packet.pts), self.cursor)
        self._observe_until(start)
        self.sampler.gaps.append(
            CoverageGap(_dt(start, self.task), _dt(end_t, self.task), GapReason.DECODE_ERROR)
        )
        self.cursor = max(self.cursor, end_t)
        self.wanted = {p for p in self.wanted if self.time(p) < start}

    def _observe_until(self, t: float) -> None:
        t = min(t, self.hi)
        if t > self.cursor:
            self.sampler.observed.append((_dt(self.cursor, self.task), _dt(t, self.task)))
        self.cursor = max(self.cursor, t)

    def _finish(self) -> None:
        """Close the observed span; a file that stops short of its window is truncated."""
        gaps = self.sampler.gaps
        end = min(self.read_end, self.hi)
        if self.hi - end <= TOLERANCE.total_seconds():
            self._observe_until(self.hi)
            return
        end = min(end, self.last_t)
        self._observe_until(end)
        tail = end
        # an undecodable last packet is where the file was cut, not a separate fault
        if (
            gaps
            and gaps[-1].reason == GapReason.DECODE_ERROR
            and gaps[-1].end.timestamp() >= end - TOLERANCE.total_seconds()
        ):
            tail = gaps.pop().start.timestamp()
        log.warning(
            "%s: truncated: ends %.1f s before its declared end",
            self.task.segment.path,
            self.hi - end,
        )
        gaps.append(CoverageGap(_dt(tail, self.task), self.task.hi, GapReason.TRUNCATED))

    def _sample(self, frame) -> Sample:
        if self.size is None:
            self.size = _fit(frame.width, frame.height, self.spec.max_side)
        width, height = self.size
        # area averaging: antialiased where frames are scaled down, and cheaper than bilinear
        array = frame.to_ndarray(format="bgr24", width=width, height=height, interpolation="AREA")
        scaled = (width, height) != (frame.width, frame.height)
        return Sample(
            _dt(self.time(frame.pts), self.task),
            array,
            self.task.segment.path,
            (frame.pts - self.origin) * self.tb,
            PlanarPixels(frame) if scaled and self.spec.native_crops else None,
            self.aspect,
        )


def _dt(t: float, task: FileTask) -> datetime:
    return datetime.fromtimestamp(t, task.lo.tzinfo)


def _fit(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class VideoError(Exception):
    """A single video given on the command line cannot be read."""


def sample_video(
    path: str | Path,
    rate: float | Literal["keyframes"] = 1.0,
    max_side: int | None = None,
    native_crops: bool = False,
) -> Iterator[Sample]:
    """Samples of one file on its own (`detect`, `observe`): its first frame is t=0, so the
    slots fall on whole multiples of the interval in `pts`."""
    path = Path(path)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    segment = probe(path, epoch, UTC)
    if segment is None or segment.error:
        raise VideoError(
            f"{path}: not a readable video ({segment.error if segment else 'no start'})"
        )
    sampler = FileSampler(
        FileTask(segment, segment.start, segment.end),
        SamplingSpec(rate=rate, max_side=max_side, native_crops=native_crops),
    )
    yielded = False
    for sample in sampler:
        yielded = True
        yield sample
    if not yielded and sampler.gaps:
        raise VideoError(f"{path}: no frame could be decoded ({sampler.gaps[0].reason})")
