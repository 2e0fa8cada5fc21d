"""A camera-day's samples and coverage, in one process or one process per file.

Frames never cross processes: in parallel, the caller's function runs next to the decoder
on one file's samples and only its (picklable) result comes back. One file is one job, so
a worker decodes minutes of video per task, not a frame.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TypeVar

from pipeline.coverage import Coverage, Gap, Interval, assemble
from pipeline.recordings import CameraDay
from pipeline.sampler import FileSampler, FileTask, Sample, SamplingSpec, plan

R = TypeVar("R")


@dataclass
class CameraSampler:
    """Iterate for the samples of every segment in time order (strictly increasing
    timestamps); then `coverage()` says what the window's files showed and what not."""

    day: CameraDay
    spec: SamplingSpec = field(default_factory=SamplingSpec)
    window: Interval | None = None
    _files: list[FileSampler] = field(default_factory=list, init=False)

    def __iter__(self) -> Iterator[Sample]:
        for task in plan(self.day.segments, self._window()):
            sampler = FileSampler(task, self.spec)
            self._files.append(sampler)
            yield from sampler

    def coverage(self) -> Coverage:
        return _coverage(self.day, self._window(), ((f.observed, f.gaps) for f in self._files))

    def _window(self) -> Interval:
        return self.window or self.day.bounds


def map_camera(
    fn: Callable[[Iterator[Sample]], R],
    day: CameraDay,
    spec: SamplingSpec | None = None,
    window: Interval | None = None,
    workers: int | None = None,
) -> tuple[list[R], Coverage]:
    """`fn(samples of one file)` for every file, one process per file, up to `workers`
    (default: the usable cores) at a time; results in time order. `fn` must be picklable
    (module level) and consume its samples: the coverage is what the files were read for.
    """
    spec = spec or SamplingSpec()
    window = window or day.bounds
    tasks = plan(day.segments, window)
    cores = len(os.sched_getaffinity(0))
    workers = max(1, min(workers or cores, len(tasks)))
    if spec.threads == 0:
        spec = replace(spec, threads=max(1, cores // workers))
    if workers == 1:
        runs = [_run(fn, task, spec) for task in tasks]
    else:
        with ProcessPoolExecutor(workers) as pool:
            runs = list(pool.map(_run, [fn] * len(tasks), tasks, [spec] * len(tasks)))
    return [r for r, _, _ in runs], _coverage(day, window, ((o, g) for _, o, g in runs))


def _run(fn, task: FileTask, spec: SamplingSpec):
    sampler = FileSampler(task, spec)
    result = fn(iter(sampler))
    return result, sampler.observed, sampler.gaps


def _coverage(
    day: CameraDay, window: Interval, files: Iterable[tuple[list[Interval], list[Gap]]]
) -> Coverage:
    observed: list[Interval] = []
    gaps: list[Gap] = []
    for o, g in files:
        observed += o
        gaps += g
    return assemble(day.camera, window, observed, gaps)
