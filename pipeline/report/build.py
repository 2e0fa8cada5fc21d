"""The report of a reviewed date from the database: per branch its scores, both policies'
outcomes, each zone's day chart and the findings with their key frames."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select

from pipeline.report.charts import Band, day_chart, zone_tracks
from pipeline.report.html import BranchSection, ReportFinding, render_report
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.readback import day_gaps, load_stored
from pipeline.store.zones import stored_zones
from rules.assessment import OUTCOME_NAMES, assessment_rows
from rules.checklist import Checklist
from rules.findings import FindingStatus
from rules.policies import load_policy
from rules.wording import finding_zone

POLICIES = ("A", "B")


class ReportError(Exception):
    """Nothing to report on that date."""


def policy_outcomes(
    checks: list[m.CheckScore],
    branches: dict[str, m.Branch],
    checklist: Checklist,
    pending: dict[str, int] | None = None,
) -> dict[str, dict]:
    """Each policy's outcome for each branch, the day's final score taken as a check round
    (an incomplete check counts for no rank or reward: rules/assessment.py). The final
    score is final only once no finding of the day awaits review (`pending`: branch → how
    many do): until then an outcome, a reward too, is stated as provisional (暂定)."""
    scores = pd.DataFrame(
        [
            {"branch": c.branch_id, "region": branches[c.branch_id].region,
             "date": c.date, "score": c.final, "coverage": c.coverage}
            for c in checks
        ]
    )  # fmt: skip
    out: dict[str, dict] = {c.branch_id: {} for c in checks}
    for code in POLICIES:
        policy = load_policy(code)
        period, rows = assessment_rows(scores, policy, None, checklist.min_coverage)
        for row in rows:
            yuan = f", {row.yuan:+g} yuan" if row.yuan else ""
            outcome = OUTCOME_NAMES.get(row.outcome, row.outcome)
            text = f"{outcome}{yuan}: {row.rule}"
            waiting = (pending or {}).get(row.branch, 0)
            if waiting:
                text = (
                    f"暂定 provisional — {waiting} 条发现待复核，复核完成前不作准 · {waiting} "
                    f"finding(s) still await review: not final until they are decided. {text}"
                )
            out[row.branch][f"{policy.name} ({period.label})"] = text
    return out


def _business_hours(branch: m.Branch, on: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Opening and closing on `on` by the calendar the night run stored with the branch
    (rules/calendar.weekly_hours); None when it was closed or no calendar is stored."""
    hours = (branch.hours or {}).get(str(on.weekday()))
    if not hours:
        return None
    opening, closing = (time.fromisoformat(h) for h in hours)
    return datetime.combine(on, opening, tz), datetime.combine(on, closing, tz)


def _section(
    db: Database, branch: m.Branch, check: m.CheckScore, checklist: Checklist, evidence: Path
) -> BranchSection:
    """The branch's part of the report, from the database alone: its clock, calendar and
    zones as the night run stored them (pipeline/store/zones.py), so a moved site file
    changes nothing the report shows."""
    tz = ZoneInfo(branch.timezone)
    business = _business_hours(branch, check.date, tz)
    stored = load_stored(db, branch.id, check.date, tz)
    with db.session() as s:
        rows = s.scalars(
            select(m.Finding)
            .where(m.Finding.branch_id == branch.id, m.Finding.date == check.date)
            .order_by(m.Finding.start)
        ).all()
        zones = stored_zones(s, branch.id)
    gaps: dict[str, list[Band]] = {}
    for g in day_gaps(db, branch.id, check.date, tz):
        gaps.setdefault(g.camera, []).append(Band(g.start, g.end, g.reason))
    findings = [
        ReportFinding(
            r.id, r.item, ",".join(r.cameras), r.zone, r.start.astimezone(tz),
            r.end.astimezone(tz), r.confidence, r.status,
            (evidence / r.keyframe) if r.keyframe else None,
        )
        for r in rows
    ]  # fmt: skip
    marks: dict[tuple[str, str], list[Band]] = {}
    for f in findings:
        for camera in f.camera.split(","):
            marks.setdefault((camera, f.zone), []).append(Band(f.start, f.end, f.item))
    # A finding judged over all zones of a purpose (any lobby camera) names the purpose.
    for zone in zones:
        marks.setdefault((zone.camera, zone.zone_id), []).extend(
            Band(f.start, f.end, f.item) for f in findings if f.zone == str(zone.purpose)
        )
    tracks = zone_tracks(
        stored.frames, checklist.enabled, gaps, marks, checklist.sampling.max_gap_s
    )
    chart = day_chart(tracks, *business) if business else ""
    shown = [replace(f, zone=finding_zone(zones, f.camera.split(","), f.zone)) for f in findings]
    return BranchSection(
        branch.id, branch.name, branch.region, check.provisional, check.final, check.coverage,
        chart, shown, failed_units=stored.failed, complete=checklist.complete(check.coverage),
        timezone=branch.timezone,
    )  # fmt: skip


def build_report(
    db: Database, on: date, checklist: Checklist, evidence: Path, branches: list[str] | None
) -> tuple[str, int]:
    """The report's HTML and how many branches it covers."""
    with db.session() as s:
        query = select(m.CheckScore).where(m.CheckScore.date == on)
        if branches:
            query = query.where(m.CheckScore.branch_id.in_(branches))
        checks = s.scalars(query.order_by(m.CheckScore.branch_id)).all()
        rows = {b.id: b for b in s.scalars(select(m.Branch)).all()}
        pending = dict(
            s.execute(
                select(m.Finding.branch_id, func.count())
                .where(m.Finding.date == on, m.Finding.status == FindingStatus.PENDING)
                .group_by(m.Finding.branch_id)
            ).all()
        )
    if not checks:
        raise ReportError(f"no reviewed branch on {on} in {db.url}: run `branch-audit run` first")
    outcomes = policy_outcomes(checks, rows, checklist, pending)
    sections = []
    for check in checks:
        section = _section(db, rows[check.branch_id], check, checklist, evidence)
        section.outcomes.update(outcomes[check.branch_id])
        sections.append(section)
    return render_report(on.isoformat(), sections, checklist), len(sections)
