"""Where units run: local worker processes or Ray tasks. Both yield results as units
complete, so the single writer stores each one as soon as it exists.

Either way a worker process keeps its detector between units (worker.detector_for), and
whatever kills a unit's process becomes that unit's failed result.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Protocol

from pipeline.batch.units import Unit
from pipeline.batch.worker import UnitResult, run_unit

log = logging.getLogger(__name__)

EXECUTORS = ("local", "ray")
#: times Ray runs a unit again whose worker or node was lost under it: units are
#: idempotent (the driver stores a unit's result once, by its key)
RAY_RETRIES = 3


class Executor(Protocol):
    name: str

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]: ...


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(parent: int) -> None:
    """A worker's first act (Linux): be killed when the run's driver ends, however it ends.
    Workers hold each other's queue pipes open, so a driver killed with SIGKILL would leave
    them waiting for work forever (some hundred MB each), and with them the resource
    tracker, which ends once every process holding its pipe has. The signal follows the
    thread that started the worker: the pool starts them all from the submitting thread,
    the driver's main thread."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:  # the driver ended before the signal was asked for
        os._exit(1)


class LocalExecutor:
    """One process per file at a time, `workers` at once. Spawned, not forked: the driver
    runs progress and database threads that a fork would copy mid-lock. The workers die
    with the driver (die_with)."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]:
        units = list(units)
        if not units:
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            min(self.workers, len(units)),
            mp_context=context,
            initializer=die_with,
            initargs=(os.getpid(),),
        ) as pool:
            futures = {pool.submit(run_unit, unit): unit for unit in units}
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:  # the worker process died under this unit
                    yield UnitResult.failed(futures[future].ref, f"worker lost: {exc!r}")


class RayExecutor:
    """The same units as Ray tasks: a local Ray with `workers` CPUs, or a cluster. A unit
    whose node is lost is run again elsewhere (RAY_RETRIES): a lost node costs time, not
    coverage; a unit still lost after that is a failed unit."""

    name = "ray"

    def __init__(self, workers: int, address: str | None = None) -> None:
        self.workers, self.address = workers, address

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]:
        import ray

        units = list(units)
        if not units:
            return
        started = not ray.is_initialized()
        if started and self.address:
            ray.init(address=self.address, log_to_driver=False)
        elif started:
            ray.init(
                num_cpus=self.workers,
                include_dashboard=False,
                log_to_driver=False,
                object_store_memory=100 * 1024 * 1024,
            )
        try:
            task = ray.remote(num_cpus=1, max_retries=RAY_RETRIES)(run_unit)
            pending = {task.remote(unit): unit for unit in units}
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    unit = pending.pop(ref)
                    try:
                        yield ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        yield UnitResult.failed(unit.ref, f"ray task lost: {exc}")
        finally:
            if started:
                ray.shutdown()


def make_executor(name: str, workers: int, address: str | None = None) -> Executor:
    if name == "ray":
        return RayExecutor(workers, address)
    return LocalExecutor(workers)
