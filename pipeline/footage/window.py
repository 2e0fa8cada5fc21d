"""A window of a camera-day's recordings as samples, in one process or one per file.

`sample_window` chains the files of a window in time order (evidence clips, key frames);
`map_files` runs a function beside the decoder of each file, one process per file, and
only its (picklable) result comes back, so frames never cross processes (`coverage`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from pipeline.footage.coverage import Coverage, assemble
from pipeline.footage.recordings import CameraDay, Segment
from pipeline.footage.sampler import FileSampler, FileTask, Sample, SamplingSpec, plan
from rules.intervals import Interval

R = TypeVar("R")


def sample_window(
    segments: tuple[Segment, ...], window: Interval, spec: SamplingSpec
) -> Iterator[Sample]:
    """The samples of every segment's part of `window`, strictly increasing in time."""
    for task in plan(segments, window):
        yield from FileSampler(task, spec)


def map_files(
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
        spec = spec.model_copy(update={"threads": max(1, cores // workers)})
    if workers == 1:
        runs = [_run(fn, task, spec) for task in tasks]
    else:
        # spawned, not forked: a forked child inherits FFmpeg's converter threads as dead
        # locks (the first conversion there waits forever), as pipeline/batch/executors.py
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            runs = list(pool.map(_run, [fn] * len(tasks), tasks, [spec] * len(tasks)))
    observed = [span for _, spans, _ in runs for span in spans]
    gaps = [gap for _, _, file_gaps in runs for gap in file_gaps]
    return [r for r, _, _ in runs], assemble(day.camera, window, observed, gaps)


def _run(fn, task: FileTask, spec: SamplingSpec):
    sampler = FileSampler(task, spec)
    result = fn(iter(sampler))
    return result, sampler.observed, sampler.gaps
