"""The night's driver: plan every site, run their units on one executor, store each result
as it arrives, and judge a branch-day as soon as its last unit is in.

The driver is the run's only database writer, and works on a branch-day only while it
holds the day's lease (pipeline/store/leases.py): a branch-day another run holds is
skipped, or waited for. Re-running a date finishes what is left and replaces its findings
(pipeline/batch/judge.py keeps every review). A branch-day that fails to be judged, whose
evidence cannot be stored, or whose lease another run took over is that day's failure
alone (NightReport.failed); the night goes on, and no run row it opened stays `running`.
Units go to the executor longest first, so no long one is left to run alone at the end.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from pipeline.batch.executors import Executor
from pipeline.batch.judge import BranchReport, judge_branch_day
from pipeline.batch.units import BranchDay, Unit, UnitSettings, plan_branch_day
from pipeline.batch.worker import UnitResult, detector_for, run_unit
from pipeline.batch.writer import INTERRUPTED, Writer
from pipeline.evidence.store import sweep
from pipeline.site import SiteError, judged_cameras
from pipeline.store.db import Database
from pipeline.store.leases import Leases
from pipeline.store.models import FAILED, RunLease
from pipeline.store.readback import FailedUnit
from rules.checklist import Checklist

log = logging.getLogger(__name__)

WAIT_S = 5.0  # how often a waiting run looks at the leases it waits for


class Progress(Protocol):
    """Where the night reports its units: one task per camera of a branch-day."""

    def add(self, name: str, total: int, completed: int) -> Hashable: ...

    def advance(self, task: Hashable) -> None: ...


class _Quiet:
    def add(self, name: str, total: int, completed: int) -> Hashable:
        return name

    def advance(self, task: Hashable) -> None:
        pass


@dataclass(frozen=True)
class SkippedDay:
    """A branch-day another run held (`lost`: took over from this one before it judged
    the day), with that run and since when it held it."""

    branch: str
    date: str
    holder: str
    since: str
    lost: bool


@dataclass(frozen=True)
class FailedDay:
    """A branch-day this run began and could not finish in full: judging failed, its
    evidence was not stored, or its lease was lost."""

    branch: str
    date: str
    reason: str


@dataclass
class NightReport:
    date: date
    reports: dict[str, BranchReport] = field(default_factory=dict)
    #: site files that could not be planned, as failed units named by their path
    bad_sites: list[FailedUnit] = field(default_factory=list)
    #: seconds per stage over all units and branch-days (decode, inference, rules, …)
    stages: Counter[str] = field(default_factory=Counter)
    #: frames over all units: `decoded` by the decoder, `samples` analysed
    frames: Counter[str] = field(default_factory=Counter)
    #: units by status (done, failed)
    units: Counter[str] = field(default_factory=Counter)
    skipped: list[SkippedDay] = field(default_factory=list)
    failed: list[FailedDay] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def failed_units(self) -> list[FailedUnit]:
        return [u for r in self.reports.values() for u in r.failed_units] + self.bad_sites

    @property
    def exit_status(self) -> int:
        """docs/running.md "Exit status": 1 when a branch-day this run began is not finished in
        full, or the run did nothing (every day skipped); else 0, failed units and broken
        site files being reported in the output."""
        return 1 if self.failed or (self.skipped and not self.reports) else 0


def plan_night(
    site_files: list[Path],
    on: date,
    settings: UnitSettings,
    strict: bool,
    checklist: Checklist | None = None,
) -> tuple[list[BranchDay], list[FailedUnit]]:
    """Every site's branch-day. A broken site file in a night's folder costs its own branch
    (returned as a failed unit), and so does a branch in two files: neither says which is
    right, and, given the checklist, a site on which none of its enabled items can be
    judged (no zone any of them reads). With `strict` (one file asked for) a broken file
    is raised. A camera whose recordings cannot be listed costs only that camera's day
    (pipeline/footage/recordings.py find_segments)."""
    days, bad = [], []
    for path in site_files:
        try:
            bd = plan_branch_day(path, on, settings, checklist)
            if checklist is not None and not judged_cameras(bd.site, checklist):
                raise SiteError(
                    f"{path}: no enabled checklist item can be judged on this site: none of "
                    f"its cameras has a zone of the purposes they read "
                    f"({', '.join(sorted(checklist.cadence()))})"
                )
            days.append(bd)
        except SiteError as exc:
            if strict:
                raise
            bad.append(FailedUnit(str(path), str(exc)))
    files = defaultdict(list)
    for bd in days:
        files[bd.branch].append(str(bd.site_path))
    bad += [
        FailedUnit(
            str(bd.site_path),
            f"branch {bd.branch} is in more than one site file: "
            f"{', '.join(files[bd.branch])}; none of them is run",
        )
        for bd in days
        if len(files[bd.branch]) > 1
    ]
    return [bd for bd in days if len(files[bd.branch]) == 1], bad


class Night:
    """Which branch-days wait for how many units, and what each branch-day came to."""

    def __init__(
        self,
        db: Database,
        settings: UnitSettings,
        checklist: Checklist,
        evidence: Path | None,
        executor: Executor,
        progress: Progress | None = None,
        wait: bool = False,
    ) -> None:
        """`wait`: a branch-day another run holds is done once that run lets it go
        (else it is skipped)."""
        self.db, self.settings, self.checklist = db, settings, checklist
        self.evidence, self.executor = evidence, executor
        self.progress = progress or _Quiet()
        self.wait = wait
        self.writer = Writer(db, settings, evidence)
        self._days: dict[str, BranchDay] = {}
        self._runs: dict[str, int] = {}
        self._left: Counter[str] = Counter()
        self._tasks: dict[tuple[str, str], Hashable] = {}
        self._judged: set[str] = set()

    def run(self, days: Iterable[BranchDay], on: date) -> NightReport:
        report = NightReport(on)
        started = time.perf_counter()
        if self.evidence is not None:
            for path in sweep(self.evidence):
                log.info("removed %s, left by a killed run", path)
        held: list[tuple[BranchDay, RunLease]] = []
        with Leases(self.db) as self.leases:
            try:
                held = self._pass(list(days), report)
                if self.wait:
                    for bd, lease in held:
                        log.info("%s %s: waiting for the run that has it (%s)", bd.branch,
                                 bd.date, lease.holder)  # fmt: skip
                while held and self.wait:
                    time.sleep(WAIT_S)
                    held = self._pass([bd for bd, _ in held], report)
            finally:
                self._close_unjudged()
        report.skipped = [
            SkippedDay(bd.branch, bd.date.isoformat(), lease.holder,
                       lease.acquired_at.isoformat(), lost=False)
            for bd, lease in held
        ] + self._lost(report)  # fmt: skip
        report.wall_s = time.perf_counter() - started
        return report

    def _lost(self, report: NightReport) -> list[SkippedDay]:
        """The branch-days another run took over from this one before it judged them:
        skipped, and failed to this run (it began them)."""
        out = []
        for branch, on in sorted(self.leases.lost):
            if branch in report.reports:
                continue
            with self.db.session() as s:
                lease = s.get(RunLease, (branch, on))
                holder, since = (lease.holder, lease.acquired_at.isoformat()) if lease else ("", "")
            out.append(SkippedDay(branch, on.isoformat(), holder, since, lost=True))
            report.failed.append(
                FailedDay(branch, on.isoformat(), "lease lost: another run took the day over")
            )
        return out

    def _close_unjudged(self) -> None:
        """No run row stays `running`: a branch-day this run opened and did not judge
        (its lease lost, the night stopped by an error) is marked interrupted."""
        for branch in [b for b in self._runs if b not in self._judged]:
            try:
                self.writer.finish_run(self._runs[branch], INTERRUPTED, "", {})
            except SQLAlchemyError as exc:  # the database is away: the next run marks it
                log.error("%s: run %s not marked interrupted: %s", branch, self._runs[branch],
                          exc)  # fmt: skip

    def _pass(self, days: list[BranchDay], report: NightReport) -> list[tuple[BranchDay, RunLease]]:
        """Work every branch-day whose lease this run takes; the others, with their leases."""
        todo, held = [], []
        for bd in days:
            lease = self.leases.take(bd.branch, bd.date)
            if lease is not None:
                held.append((bd, lease))
                continue
            todo += self._open(bd)
            if self._left[bd.branch] == 0:  # closed, or every unit already done
                self._judge(bd.branch, report)
        self._work(todo, report)
        return held

    def _work(self, todo: list[Unit], report: NightReport) -> None:
        for unit in [u for u in todo if u.error]:  # fail without a worker
            self._record(run_unit(unit), report)
        work = sorted((u for u in todo if not u.error), key=lambda u: u.seconds, reverse=True)
        for result in self.executor.run(work):
            self._record(result, report)

    def _open(self, bd: BranchDay) -> list[Unit]:
        run_id, todo = self.writer.open_run(bd, self.executor.name)
        self._days[bd.branch], self._runs[bd.branch] = bd, run_id
        self._left[bd.branch] = len(todo)
        waiting = Counter(u.ref.camera for u in todo)
        for plan in bd.cameras:
            self._tasks[bd.branch, plan.camera] = self.progress.add(
                f"{bd.branch}/{plan.camera}",
                total=len(plan.units),
                completed=len(plan.units) - waiting[plan.camera],
            )
        return todo

    def _record(self, result: UnitResult, report: NightReport) -> None:
        ref = result.ref
        if (ref.branch, ref.date) in self.leases.lost:  # another run does this day now
            return
        self.writer.record(result)
        report.units[result.status] += 1
        report.stages.update(result.timings)
        report.frames.update({"decoded": result.decoded, "samples": result.samples})
        self.progress.advance(self._tasks[ref.branch, ref.camera])
        self._left[ref.branch] -= 1
        if self._left[ref.branch] == 0:
            self._judge(ref.branch, report)

    def _judge(self, branch: str, report: NightReport) -> None:
        """Judge a branch-day whose units are all in. Whatever fails here is that
        branch-day's fault alone: it is reported failed and the night goes on."""
        bd, run_id = self._days[branch], self._runs[branch]
        try:  # a run frozen past its lease learns it here, before judging another's day
            self.leases.renew()
        except SQLAlchemyError as exc:
            log.warning("lease not renewed before judging %s: %s", branch, exc)
        if (branch, bd.date) in self.leases.lost:
            return
        spec = self.settings.detector
        try:
            judged = judge_branch_day(
                self.db,
                bd,
                self.checklist,
                run_id,
                self.evidence,
                lambda: detector_for(spec, 0),
                phone=spec.phone,
            )
        except Exception as exc:  # noqa: BLE001 - one branch's fault is reported, not raised
            reason = f"judging failed: {type(exc).__name__}: {exc}"
            log.error("%s %s: %s", branch, bd.date, reason)
            report.failed.append(FailedDay(branch, bd.date.isoformat(), reason))
            self._finish(run_id, FAILED, "", {"error": reason})
            self.leases.release(branch, bd.date)
            return
        judged.evidence_error = judged.evidence_error or self.writer.evidence_errors.get(branch)
        report.stages.update(judged.timings)
        report.reports[branch] = judged
        status = "done" if judged.open else "closed"
        summary = {"findings": len(judged.findings), "failed_units": len(judged.failed_units)}
        if judged.evidence_error:
            summary["evidence_error"] = judged.evidence_error
            report.failed.append(FailedDay(branch, bd.date.isoformat(), judged.evidence_error))
        self._finish(run_id, status, judged.detector_version, summary)
        self.leases.release(branch, bd.date)

    def _finish(self, run_id: int, status: str, version: str, summary: dict) -> None:
        """Finish a judged (or failed) branch-day's run: not left for `_close_unjudged`."""
        self._judged.update(b for b, r in self._runs.items() if r == run_id)
        try:
            self.writer.finish_run(run_id, status, version, summary)
        except SQLAlchemyError as exc:  # the next run of the day marks it interrupted
            log.error("run %s not marked %s: %s", run_id, status, exc)
