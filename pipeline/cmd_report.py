"""`branch-audit report`: the HTML report of a reviewed date, from the database."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from pipeline.batch.review import aware, load_stored
from pipeline.cli import UserError
from pipeline.report import BranchSection, ReportFinding, render_report
from pipeline.report_charts import Span, day_chart, zone_tracks
from pipeline.site import SiteError, load_site
from pipeline.store import models as m
from pipeline.store.db import Database
from rules.checklist import Checklist, load_checklist
from rules.periods import check_scores, resolve_period
from rules.policies import load_policy

POLICIES = ("A", "B")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the HTML report of a reviewed date")
    p.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    p.add_argument("--db", help="database URL (default: $BRANCH_AUDIT_DB, else ./branch_audit.db)")
    p.add_argument("--evidence", type=Path, default=Path("evidence"), help="evidence root")
    p.add_argument("--checklist", type=Path, help="checklist YAML (default: the shipped one)")
    p.add_argument("--branch", action="append", help="only this branch (repeatable)")
    p.add_argument("--out", type=Path, default=Path("report.html"), help="output HTML file")
    p.set_defaults(func=run)


def policy_outcomes(checks: list[m.CheckScore], branches: dict[str, m.Branch]) -> dict[str, dict]:
    """Each policy's outcome for each branch, the day's final score taken as a check round."""
    frame = check_scores(
        pd.DataFrame(
            [
                {"branch": c.branch_id, "region": branches[c.branch_id].region,
                 "date": c.date, "score": c.final}
                for c in checks
            ]
        )
    )  # fmt: skip
    out: dict[str, dict] = {c.branch_id: {} for c in checks}
    for code in POLICIES:
        policy = load_policy(code)
        period = resolve_period(list(frame["date"]), None, policy.stage_months)
        _, outcomes = policy.assess(frame, period)
        for branch, outcome in outcomes.items():
            yuan = f", {outcome.yuan:+g} yuan" if outcome.yuan else ""
            out[branch][f"{policy.name} ({period.label})"] = f"{outcome.code}{yuan}: {outcome.rule}"
    return out


def _section(
    db: Database, branch: m.Branch, check: m.CheckScore, checklist: Checklist, evidence: Path
) -> BranchSection:
    try:
        site = load_site(branch.site_path)
    except SiteError as exc:
        raise UserError(
            f"branch {branch.id}: its site file is needed for the report: {exc}"
        ) from exc
    tz = site.tz
    business = site.schedule().day(check.date)
    stored = load_stored(db, branch.id, check.date, tz)
    with db.session() as s:
        rows = s.scalars(
            select(m.Finding)
            .where(m.Finding.branch_id == branch.id, m.Finding.date == check.date)
            .order_by(m.Finding.start)
        ).all()
        gap_rows = s.scalars(
            select(m.CoverageGap).where(
                m.CoverageGap.branch_id == branch.id,
                m.CoverageGap.date == check.date,
                m.CoverageGap.unit_id.is_(None),
            )
        ).all()
    gaps: dict[str, list[Span]] = {}
    for g in gap_rows:
        gaps.setdefault(g.camera_id, []).append(
            Span(aware(g.start).astimezone(tz), aware(g.end).astimezone(tz), g.reason)
        )
    findings = [
        ReportFinding(
            r.id, r.item, ",".join(r.cameras), r.zone, aware(r.start).astimezone(tz),
            aware(r.end).astimezone(tz), r.confidence, r.status,
            (evidence / r.keyframe) if r.keyframe else None,
        )
        for r in rows
    ]  # fmt: skip
    marks: dict[tuple[str, str], list[Span]] = {}
    for f in findings:
        for camera in f.camera.split(","):
            marks.setdefault((camera, f.zone), []).append(Span(f.start, f.end, f.item))
    # A finding judged over all zones of a purpose (any lobby camera) names the purpose.
    for camera in site.cameras:
        for zone in camera.zones:
            marks.setdefault((camera.id, zone.id), []).extend(
                Span(f.start, f.end, f.item) for f in findings if f.zone == str(zone.purpose)
            )
    tracks = zone_tracks(stored.frames, checklist, gaps, marks, checklist.sampling.max_gap_s)
    chart = day_chart(tracks, business.opening, business.closing) if business else ""
    return BranchSection(
        branch.id, branch.name, branch.region, check.provisional, check.final, check.coverage,
        chart, findings, failed_units=stored.failed,
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    db = Database(args.db)
    checklist = load_checklist(args.checklist)
    with db.session() as s:
        query = select(m.CheckScore).where(m.CheckScore.date == args.date)
        if args.branch:
            query = query.where(m.CheckScore.branch_id.in_(args.branch))
        checks = s.scalars(query.order_by(m.CheckScore.branch_id)).all()
        branches = {b.id: b for b in s.scalars(select(m.Branch)).all()}
    if not checks:
        raise UserError(
            f"no reviewed branch on {args.date} in {db.url}: run `branch-audit run` first"
        )
    outcomes = policy_outcomes(checks, branches)
    sections = []
    for check in checks:
        section = _section(db, branches[check.branch_id], check, checklist, args.evidence)
        section.outcomes.update(outcomes[check.branch_id])
        sections.append(section)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_report(args.date.isoformat(), sections, checklist), encoding="utf-8")
    print(f"report: {args.out.resolve()} ({len(sections)} branch(es))")
    return 0
