"""A branch-day, once all its units are in: rules → findings → scores → evidence.

It reads every unit back from the database, never from the run's memory, so a resumed
or repeated run judges exactly what an uninterrupted one would (pipeline/store/readback.py);
the judgement is stored by pipeline/store/findings.py, which keeps every review.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from detectors.base import Detector
from detectors.phone import PhoneStageSettings
from pipeline.batch.units import BranchDay
from pipeline.evidence.clips import EDGE_S, evidence_rolls
from pipeline.evidence.store import EvidenceStoreError
from pipeline.footage.coverage import assemble
from pipeline.site import judged_cameras
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.findings import finding_rows, save_judgement
from pipeline.store.readback import FailedUnit, Stored, load_stored
from rules.calendar import CoverageGap
from rules.checklist import Checklist, FootageEvidence
from rules.findings import Finding
from rules.temporal import judge_day

log = logging.getLogger(__name__)


@dataclass
class BranchReport:
    branch: str
    date: str
    open: bool
    score: float | None = None
    #: mean over the site's judged cameras (pipeline/site.judged_cameras) of the share of
    #: business hours each saw; 0 when none is judged
    coverage: float | None = None
    #: the coverage reaches the checklist's min_coverage: the check counts for ranks
    complete: bool | None = None
    detector_version: str = ""
    findings: list[dict] = field(default_factory=list)
    failed_units: list[FailedUnit] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: why some findings were stored without clips: the evidence store took no more files
    evidence_error: str | None = None


def _reported_gaps(bd: BranchDay, stored: Stored) -> list[CoverageGap]:
    """Per camera, business time no file showed: the files' reasons, else "no file"."""
    window = (bd.business.opening, bd.business.closing)
    return [
        gap
        for camera in bd.site.cameras
        for gap in assemble(
            camera.id, window, stored.observed[camera.id], stored.gaps[camera.id]
        ).gaps
    ]


def _keytime(finding: Finding) -> datetime:
    """The violating sample nearest the middle: the frame that best shows the finding."""
    middle = finding.start + finding.duration / 2
    return min(finding.support, key=lambda t: abs(t - middle), default=middle)


def evidence_requests(request, evidence) -> list[tuple]:
    """How a finding's evidence is cut. Missing footage shows its edges: the last seconds
    before the gap and the first after it, the key frame before it, else after it (a gap
    from the opening has no before)."""
    rolls = evidence_rolls(evidence)
    if not isinstance(evidence, FootageEvidence):
        return [(request, rolls)]
    before = request.start - timedelta(seconds=EDGE_S / 2)
    after = request.end + timedelta(seconds=0.5)
    return [(replace(request, keytime=t), rolls) for t in (before, after)]


def _has_files(root: Path, row: m.Finding) -> bool:
    return bool(row.clip and row.keyframe) and all(
        (root / p).is_file() for p in (row.clip, row.keyframe)
    )


def _evidence(
    db: Database,
    bd: BranchDay,
    findings: tuple[Finding, ...],
    root: Path,
    detector: Callable[[], Detector],
    checklist: Checklist,
    phone: PhoneStageSettings | None,
) -> str | None:
    """Clips and key frames for the findings that have none yet, one finding at a time so
    a slow clip holds no transaction open. An evidence store that takes no more files
    ends it: the findings stay stored without clips (a later run of the date makes them),
    and the reason is returned."""
    from pipeline.evidence import EvidenceError, EvidenceRequest, write_evidence

    rows = finding_rows(db, [f.id for f in findings])
    todo = [f for f, row in zip(findings, rows, strict=True) if not _has_files(root, row)]
    for finding in todo:
        camera = finding.cameras[0]
        plan = bd.camera(camera)
        request = EvidenceRequest(
            finding_id=finding.id,
            item=finding.item,
            camera=camera,
            zone_id=finding.zone,
            start=finding.start,
            end=finding.end,
            keytime=_keytime(finding),
            segments=plan.segments,
            zones=plan.units[0].zones if plan.units else (),
        )
        evidence, why = None, None
        for req, rolls in evidence_requests(request, checklist.item(finding.item).evidence):
            try:
                evidence = write_evidence(
                    req, detector(), root, checklist=checklist, phone=phone, **rolls
                )
                break
            except EvidenceError as exc:
                log.warning("finding %s: no evidence: %s", finding.id, exc)
                why = why or str(exc)  # the first request's reason: the finding's own time
            except EvidenceStoreError as exc:
                left = todo[todo.index(finding):]
                with db.session() as s:  # each says why it has no clip (the finding page)
                    for f in left:
                        s.get(m.Finding, f.id).evidence_note = f"evidence store: {exc}"
                return f"{exc}; {len(left)} finding(s) stored without clips"
        with db.session() as s:
            row = s.get(m.Finding, finding.id)
            if evidence is None:
                row.evidence_note = why
            else:
                row.clip, row.keyframe = evidence.clip, evidence.keyframe
                row.evidence_note = None
    return None


def judge_branch_day(
    db: Database,
    bd: BranchDay,
    checklist: Checklist,
    run_id: int,
    evidence_root: Path | None,
    detector: Callable[[], Detector],
    phone: PhoneStageSettings | None = None,
) -> BranchReport:
    """Everything after the units: `detector` is called only if evidence must be made."""
    report = BranchReport(bd.branch, bd.date.isoformat(), bd.business is not None)
    if bd.business is None:
        return report
    t0 = time.perf_counter()
    stored = load_stored(db, bd.branch, bd.date, bd.site.tz)
    judgement = judge_day(
        stored.frames,
        bd.business,
        checklist,
        branch=bd.branch,
        zones=bd.site.schedule().zones,
        gaps=_reported_gaps(bd, stored),
    )
    # a check that judged nothing saw nothing: no camera shows a zone any item reads
    cameras = judged_cameras(bd.site, checklist)
    report.coverage = (
        sum(judgement.coverage.get(c, 0.0) for c in cameras) / len(cameras) if cameras else 0.0
    )
    report.complete = checklist.complete(report.coverage)
    report.detector_version = ",".join(sorted(stored.versions))
    saved = save_judgement(
        db, bd.branch, bd.date, judgement, checklist, run_id, report.detector_version,
        report.coverage,
    )  # fmt: skip
    report.score = saved.score
    # a re-detected incident is its held row's: its evidence and status are that row's
    incidents: dict[str, Finding] = {}
    for f in judgement.findings:
        incidents.setdefault(saved.rows[f.id], f)
    findings = tuple(replace(f, id=i) for i, f in incidents.items())
    t1 = time.perf_counter()
    if evidence_root is not None and findings:
        report.evidence_error = _evidence(
            db, bd, findings, evidence_root, detector, checklist, phone
        )
    report.timings = {"rules": t1 - t0, "evidence": time.perf_counter() - t1}
    report.failed_units = stored.failed
    rows = finding_rows(db, [f.id for f in findings])
    report.findings = [
        {
            "id": f.id,
            "item": f.item,
            "camera": f.cameras[0],
            "zone": f.zone,
            "start": f.start.isoformat(),
            "end": f.end.isoformat(),
            "status": row.status,
            "clip": row.clip,
            "keyframe": row.keyframe,
        }
        for f, row in zip(findings, rows, strict=True)
    ]
    return report
