"""The one database writer of a run: the driver stores every unit's result as it arrives.

A unit's observations and gaps are its row, written in one transaction with its status,
so after a crash a unit is either done (and skipped next time) or still to do, never
half-written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pipeline.batch.candidates import PER_ZONE
from pipeline.batch.units import RECORDINGS_KEY, BranchDay, Unit, UnitSettings
from pipeline.batch.worker import UnitResult
from pipeline.evidence.store import EvidenceStoreError, store, temp_file
from pipeline.footage.coverage import GapReason
from pipeline.store import models as m
from pipeline.store.candidates import replace_unit_candidates
from pipeline.store.db import Database, reconnecting
from pipeline.store.models import DONE, FAILED
from rules.calendar import CoverageGap, weekly_hours

RUNNING, INTERRUPTED = "running", "interrupted"


def failed_gap_reason(ref_key: str, reason: str) -> str:
    """A failed unit's time is unknown, never absent: it is a coverage gap saying why. A
    camera whose recordings are not there at all (no folder, no file matching) is footage
    not provided ("no file"); any other failure is the tool's (rules/checklist.py)."""
    if ref_key == RECORDINGS_KEY:
        return GapReason.NO_FILE
    return f"unit failed: {reason}"


def _upsert(s: Session, model: type[m.Base], key: tuple[str, ...], **values) -> None:
    """Insert the row, or update it where it exists: runs of two dates of one branch
    register it at once, and a read-then-insert (Session.merge) would fail one of them."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[s.get_bind().dialect.name]
    rest = {k: v for k, v in values.items() if k not in key}
    s.execute(insert(model).values(**values).on_conflict_do_update(index_elements=key, set_=rest))


class Writer:
    def __init__(self, db: Database, settings: UnitSettings, evidence: Path | None = None) -> None:
        """`evidence`: where the phone candidates' crops go (none kept without it)."""
        self.db, self.settings, self.evidence = db, settings, evidence
        #: branch → why its phone candidates' crops were not kept (the store is full)
        self.evidence_errors: dict[str, str] = {}

    @reconnecting
    def open_run(self, bd: BranchDay, executor: str) -> tuple[int, list[Unit]]:
        """Register the branch and a new run; forget units no longer planned (files gone);
        return the run id and the units still to do (not done, or done otherwise)."""
        now = datetime.now(UTC)
        site = bd.site
        with self.db.session() as s:
            _upsert(
                s, m.Branch, ("id",), id=bd.branch, name=site.branch.name,
                region=site.branch.region, timezone=site.branch.timezone,
                site_path=str(bd.site_path.resolve()), hours=weekly_hours(site.schedule()),
                updated_at=now,
            )  # fmt: skip
            for camera in site.cameras:
                _upsert(s, m.Camera, ("branch_id", "id"), branch_id=bd.branch, id=camera.id,
                        role=camera.role)  # fmt: skip
            zones = site.schedule().zones  # stored so that no page reads the site file
            for z in zones:
                _upsert(s, m.Zone, ("branch_id", "camera_id", "id"), branch_id=bd.branch,
                        camera_id=z.camera, id=z.zone_id, purpose=str(z.purpose), post=z.post,
                        updated_at=now)  # fmt: skip
            kept = {(z.camera, z.zone_id) for z in zones}
            for row in s.scalars(select(m.Zone).where(m.Zone.branch_id == bd.branch)):
                if (row.camera_id, row.id) not in kept:
                    s.delete(row)
            planned = {(u.ref.camera, u.ref.key) for u in bd.units}
            done = set()
            for row in self._units(s, bd):
                key = (row.camera_id, row.key)
                if key not in planned:
                    s.delete(row)
                elif row.status == DONE and row.params == self.settings.params:
                    done.add(key)
            s.execute(
                update(m.Run)
                .where(m.Run.branch_id == bd.branch, m.Run.date == bd.date, m.Run.status == RUNNING)
                .values(status=INTERRUPTED)
            )
            run = m.Run(
                branch_id=bd.branch,
                date=bd.date,
                started_at=now,
                status=RUNNING,
                executor=executor,
            )
            s.add(run)
            s.flush()
            return run.id, [u for u in bd.units if (u.ref.camera, u.ref.key) not in done]

    @staticmethod
    def _units(s: Session, bd: BranchDay) -> list[m.WorkUnit]:
        return list(
            s.scalars(
                select(m.WorkUnit).where(
                    m.WorkUnit.branch_id == bd.branch, m.WorkUnit.date == bd.date
                )
            )
        )

    @reconnecting
    def record(self, result: UnitResult) -> None:
        ref = result.ref
        now = datetime.now(UTC)
        with self.db.session() as s:
            row = s.scalars(
                select(m.WorkUnit).where(
                    m.WorkUnit.branch_id == ref.branch,
                    m.WorkUnit.date == ref.date,
                    m.WorkUnit.camera_id == ref.camera,
                    m.WorkUnit.key == ref.key,
                )
            ).one_or_none()
            if row is None:
                row = m.WorkUnit(
                    branch_id=ref.branch,
                    date=ref.date,
                    camera_id=ref.camera,
                    key=ref.key,
                    attempts=0,
                )
                s.add(row)
            row.status, row.reason = result.status, result.reason
            row.attempts += 1
            row.samples, row.inferences = result.samples, result.inferences
            row.params = self.settings.params
            row.detector_version = result.detector_version
            row.observations = (
                result.observations.stored(result.observed)
                if result.status == DONE and result.observations is not None
                else None
            )
            gaps = result.gaps
            if result.status == FAILED:
                gaps = (CoverageGap(ref.lo, ref.hi, failed_gap_reason(ref.key, result.reason)),)
            row.gaps = [[g.start.timestamp(), g.end.timestamp(), str(g.reason)] for g in gaps]
            row.updated_at = now
            if result.status == DONE and self.evidence is not None:
                try:
                    self._candidates(s, result, now)
                except EvidenceStoreError as exc:  # the unit stands; its crops are lost
                    self.evidence_errors[ref.branch] = f"{exc}; phone candidates not kept"

    def _candidates(self, s: Session, result: UnitResult, now: datetime) -> None:
        """The unit's phone candidates: crops into the evidence store (by content, so a
        crash leaves at most an unreferenced file), rows with the unit's own."""
        ref, rows = result.ref, []
        for c in result.candidates:
            with temp_file(self.evidence, ".jpg") as tmp:
                tmp.write_bytes(c.jpeg)
                image = store(tmp, self.evidence)
            rows.append(
                m.PhoneCandidate(
                    branch_id=ref.branch,
                    date=ref.date,
                    camera_id=c.camera,
                    zone=c.zone,
                    unit_key=ref.key,
                    kind=c.kind,
                    t=c.t,
                    score=c.score,
                    image=image,
                    width=c.width,
                    height=c.height,
                    box=list(c.box),
                    persons=[list(p) for p in c.persons],
                    status="pending",
                    detector_version=result.detector_version,
                    created_at=now,
                )  # fmt: skip
            )
        replace_unit_candidates(s, ref.branch, ref.date, ref.camera, ref.key, rows, PER_ZONE)

    @reconnecting
    def finish_run(self, run_id: int, status: str, detector_version: str, summary: dict) -> None:
        with self.db.session() as s:
            run = s.get(m.Run, run_id)
            run.status, run.detector_version, run.summary = status, detector_version, summary
            run.finished_at = datetime.now(UTC)
