"""`branch-audit run`: the nightly review of every camera of every branch for one date.

Units (camera-files) of all branches go to one executor; the driver is the only database
writer and reviews a branch as soon as its last unit is in. Re-running a date finishes
what is left and replaces its findings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from dataclasses import asdict
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from detectors.base import BACKENDS
from pipeline.batch.executors import EXECUTORS, make_executor
from pipeline.batch.review import BranchReport, review_branch_day
from pipeline.batch.units import BranchDay, DetectorSpec, Settings, Unit, plan_branch_day
from pipeline.batch.worker import FAILED, UnitResult, detector_for, run_unit
from pipeline.batch.writer import Writer
from pipeline.cli import UserError
from pipeline.sampler import KEYFRAMES, SamplingSpec
from pipeline.site import SiteError
from pipeline.store.db import Database
from rules.checklist import load_checklist


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="review every camera of every branch for one date: findings, evidence, scores",
        description=__doc__.splitlines()[0],
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--site", type=Path, help="one site file (YAML)")
    where.add_argument("--sites", type=Path, help="a folder of site files (*.yaml)")
    p.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    p.add_argument("--db", help="database URL (default: $BRANCH_AUDIT_DB, else ./branch_audit.db)")
    p.add_argument("--checklist", type=Path, help="checklist YAML (default: the shipped one)")
    p.add_argument("--executor", choices=EXECUTORS, default="local")
    p.add_argument("--ray-address", help="Ray cluster address (default: a local Ray)")
    p.add_argument(
        "--workers", type=int, default=len(os.sched_getaffinity(0)), help="parallel units"
    )
    p.add_argument(
        "--evidence", type=Path, default=Path("evidence"), help="evidence root (default ./evidence)"
    )
    p.add_argument("--no-evidence", action="store_true", help="store findings without clips")
    p.add_argument("--rate", default="0.5", help="samples per second, or 'keyframes' (default 0.5)")
    p.add_argument(
        "--max-side", type=int, default=640, help="longest side of analysed frames (default 640)"
    )
    p.add_argument("--no-gate", action="store_true", help="run the detector on every sample")
    p.add_argument(
        "--no-phone-stage",
        action="store_true",
        help="judge phone use from the full-frame detector only: faster, finds little at "
        "CCTV distances (docs/benchmarks.md)",
    )
    p.add_argument("--backend", choices=BACKENDS, default="onnx")
    p.add_argument("--weights", help="model file for the backend")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _site_files(args: argparse.Namespace) -> list[Path]:
    if args.site:
        return [args.site]
    if not args.sites.is_dir():
        raise UserError(f"--sites {args.sites}: not a folder")
    files = sorted([*args.sites.glob("*.yaml"), *args.sites.glob("*.yml")])
    if not files:
        raise UserError(f"--sites {args.sites}: no site files (*.yaml) in it")
    return files


def _settings(args: argparse.Namespace) -> Settings:
    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    try:
        rate = args.rate if args.rate == KEYFRAMES else float(args.rate)
        cores = len(os.sched_getaffinity(0))
        threads = 1 if args.ray_address else max(1, cores // args.workers)
        sampling = SamplingSpec(rate=rate, max_side=args.max_side, threads=threads)
    except ValueError as exc:
        raise UserError(f"--rate/--max-side: {exc}") from None
    detector = DetectorSpec(
        args.backend, args.weights, gate=not args.no_gate, phone_stage=not args.no_phone_stage
    )
    return Settings(sampling, detector)


class _Night:
    """The run's state: which branch-days wait for how many units, progress, reports."""

    def __init__(self, args, db: Database, settings: Settings, console: Console) -> None:
        self.args, self.db, self.settings = args, db, settings
        self.checklist = load_checklist(args.checklist)
        self.writer = Writer(db, settings)
        self.evidence = None if args.no_evidence else args.evidence.resolve()
        self.progress = Progress(
            TextColumn("{task.description:<36}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.days: dict[str, BranchDay] = {}
        self.runs: dict[str, int] = {}
        self.left: Counter[str] = Counter()
        self.tasks: dict[tuple[str, str], int] = {}
        self.reports: dict[str, BranchReport] = {}
        self.stages: Counter[str] = Counter()
        self.units: Counter[str] = Counter()

    def open(self, bd: BranchDay) -> list[Unit]:
        run_id, todo = self.writer.open_run(bd, self.args.executor)
        self.days[bd.branch], self.runs[bd.branch] = bd, run_id
        self.left[bd.branch] = len(todo)
        waiting = Counter(u.ref.camera for u in todo)
        for plan in bd.cameras:
            self.tasks[bd.branch, plan.camera] = self.progress.add_task(
                f"{bd.branch}/{plan.camera}",
                total=len(plan.units),
                completed=len(plan.units) - waiting[plan.camera],
            )
        return todo

    def record(self, result: UnitResult) -> None:
        ref = result.ref
        self.writer.record(result)
        self.units[result.status] += 1
        self.stages.update(result.timings)
        self.progress.advance(self.tasks[ref.branch, ref.camera])
        self.left[ref.branch] -= 1
        if self.left[ref.branch] == 0:
            self.review(ref.branch)

    def review(self, branch: str) -> None:
        bd = self.days[branch]
        spec = self.settings.detector
        report = review_branch_day(
            self.db,
            bd,
            self.checklist,
            self.runs[branch],
            self.evidence,
            lambda: detector_for(spec, 0),
        )
        self.stages.update(report.timings)
        self.reports[branch] = report
        status = "done" if report.open else "closed"
        summary = {"findings": len(report.findings), "failed_units": len(report.failed_units)}
        self.writer.finish_run(self.runs[branch], status, report.detector_version, summary)


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    console = Console(stderr=True)
    db = Database(args.db)
    night = _Night(args, db, settings, console)
    started = time.perf_counter()
    days, bad_sites = [], []
    for path in _site_files(args):
        try:
            days.append(plan_branch_day(path, args.date, settings))
        except SiteError as exc:
            if args.site:  # the one file asked for: the user's mistake, said at once
                raise
            # In a night's folder one broken site file costs its own branch, not the night.
            console.print(f"[red]skipped[/red] {exc}")
            bad_sites.append({"unit": str(path), "reason": str(exc)})
    branches = Counter(bd.branch for bd in days)
    if twice := sorted(b for b, n in branches.items() if n > 1):
        raise UserError(f"branch(es) {', '.join(twice)} appear in more than one site file")
    todo: list[Unit] = []
    with night.progress:
        for bd in days:
            todo += night.open(bd)
            if night.left[bd.branch] == 0:  # closed, or every unit already done
                night.review(bd.branch)
        for unit in [u for u in todo if u.error]:  # fail without a worker
            night.record(run_unit(unit))
        executor = make_executor(args.executor, args.workers, args.ray_address)
        for result in executor.run(u for u in todo if not u.error):
            night.record(result)
    db.dispose()
    doc = _document(args.date, night.reports)
    doc["failed_units"] += bad_sites
    doc["timings"] = {k: round(v, 3) for k, v in night.stages.items()}
    doc["wall_s"] = round(time.perf_counter() - started, 3)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print_summary(Console(), night, doc)
    return 0


def _document(on: date, reports: dict[str, BranchReport]) -> dict:
    return {
        "date": on.isoformat(),
        "branches": {
            branch: {
                k: v for k, v in asdict(r).items() if k in ("score", "coverage", "findings", "open")
            }
            for branch, r in reports.items()
        },
        "failed_units": [u for r in reports.values() for u in r.failed_units],
    }


def _print_summary(console: Console, night: _Night, doc: dict) -> None:
    table = Table(title=f"branch-audit run {doc['date']}")
    for column in ("branch", "coverage", "findings", "provisional score", "failed units"):
        table.add_column(column, justify="left" if column in ("branch", "findings") else "right")
    for branch, r in night.reports.items():
        if not r.open:
            table.add_row(branch, "closed", "", "", "")
            continue
        items = Counter(f["item"] for f in r.findings)
        table.add_row(
            branch,
            f"{r.coverage:.1%}",
            "\n".join(f"{code} × {n}" for code, n in sorted(items.items())) or "none",
            f"{r.score:g}",
            str(len(r.failed_units)),
        )
    console.print(table)
    for branch, r in night.reports.items():
        if r.findings:
            console.print(_findings_table(branch, r.findings))
    for unit in doc["failed_units"]:
        console.print(f"[red]failed[/red] {unit['unit']}: {unit['reason']}")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in doc["timings"].items())
    console.print(
        f"{night.units['done']} units done, {night.units[FAILED]} failed, "
        f"wall {doc['wall_s']:.1f} s; {stages}"
    )
    sys.stdout.flush()


def _findings_table(branch: str, findings: list[dict]) -> Table:
    table = Table(title=f"{branch}: findings (pending review)")
    for column in ("item", "camera / zone", "from", "to", "key frame"):
        table.add_column(column)
    for f in findings:
        table.add_row(
            f["item"], f"{f['camera']} / {f['zone']}", f["start"][11:19], f["end"][11:19],
            f["keyframe"] or "",
        )  # fmt: skip
    return table
