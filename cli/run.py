"""`branch-audit run`: the nightly review of every camera of every branch for one date.

Parses, shows progress and prints; the night itself is pipeline/batch/night.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import asdict
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import InterfaceError, OperationalError

from cli.main import UserError
from cli.options import (
    DB_HELP,
    add_model_options,
    add_rate_option,
    model_config,
    phone_settings,
    sampling_rate,
)
from detectors.config_base import validate
from pipeline.batch.executors import EXECUTORS, make_executor
from pipeline.batch.night import Night, NightReport, plan_night
from pipeline.batch.units import CadenceSpec, DetectorSpec, UnitSettings
from pipeline.footage.sampler import SamplingSpec
from pipeline.store.db import Database
from pipeline.store.models import FAILED
from rules.checklist import Checklist, load_checklist


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
    p.add_argument("--db", help=DB_HELP)
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
    add_rate_option(p)
    p.add_argument(
        "--max-side", type=int, default=640, help="longest side of analysed frames (default 640)"
    )
    p.add_argument(
        "--full-rate",
        action="store_true",
        help="every camera at --rate throughout (default: at the rate only while a zone's "
        "items need it, else every 0.6 × the checklist's max_gap_s, or on recordings whose "
        "keyframes are farther apart than the rate's interval the keyframes, at most "
        "max_gap_s apart: docs/footage.md)",
    )
    add_model_options(p)
    p.add_argument(
        "--wait",
        action="store_true",
        help="a branch-day another run is doing: wait for it, then finish it (default: skip it)",
    )
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


def _settings(args: argparse.Namespace, checklist: Checklist) -> UnitSettings:
    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    cores = len(os.sched_getaffinity(0))
    threads = 1 if args.ray_address else max(1, cores // args.workers)
    given = {"rate": sampling_rate(args), "max_side": args.max_side, "threads": threads}
    sampling = validate(given, SamplingSpec, "--rate/--max-side")
    models = model_config(args)
    weights = None if models.weights is None else str(models.weights)
    detector = DetectorSpec(
        backend=models.backend, weights=weights, gate=models.gate, phone=phone_settings(args)
    )
    return UnitSettings(sampling, detector, None if args.full_rate else CadenceSpec.of(checklist))


class _RichProgress:
    """The night's progress as one bar per camera of a branch-day."""

    def __init__(self, console: Console) -> None:
        self.bars = Progress(
            TextColumn("{task.description:<36}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )

    def add(self, name: str, total: int, completed: int) -> int:
        return self.bars.add_task(name, total=total, completed=completed)

    def advance(self, task: int) -> None:
        self.bars.advance(task)


def run(args: argparse.Namespace) -> int:
    checklist = load_checklist(args.checklist)
    settings = _settings(args, checklist)
    console = Console(stderr=True)
    days, bad_sites = plan_night(
        _site_files(args), args.date, settings, strict=bool(args.site), checklist=checklist
    )
    for site in bad_sites:
        console.print(f"[red]skipped[/red] {site.reason}")
    db = Database(args.db)
    progress = _RichProgress(console)
    night = Night(
        db,
        settings,
        checklist,
        None if args.no_evidence else args.evidence.resolve(),
        make_executor(args.executor, args.workers, args.ray_address),
        progress,
        wait=args.wait,
    )
    try:
        with progress.bars:
            report = night.run(days, args.date)
    except (
        OperationalError,
        InterfaceError,
    ) as exc:  # away past every retry (pipeline/store/db.py)
        raise db.lost(exc) from None
    report.bad_sites += bad_sites
    db.dispose()
    for day in [d for d in report.skipped if not d.lost]:
        console.print(
            f"[yellow]skipped[/yellow] {day.branch} {day.date}: another run has it "
            f"({day.holder}, since {day.since}); --wait waits for it",
            soft_wrap=True,  # one line, whatever the terminal's width
        )
    doc = _document(report)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print_summary(Console(), report, doc)
    for day in report.failed:
        console.print(f"[red]failed[/red] {day.branch} {day.date}: {day.reason}",
                      soft_wrap=True)  # fmt: skip
    return report.exit_status


def _document(report: NightReport) -> dict:
    return {
        "date": report.date.isoformat(),
        "branches": {
            branch: {
                k: v
                for k, v in asdict(r).items()
                if k in ("score", "coverage", "complete", "findings", "open")
                or (k == "evidence_error" and v)
            }
            for branch, r in report.reports.items()
        },
        "failed_units": [asdict(u) for u in report.failed_units],
        "failed": [asdict(d) for d in report.failed],
        "skipped": [asdict(d) for d in report.skipped],
        "timings": {k: round(v, 3) for k, v in report.stages.items()},
        "frames": dict(report.frames),
        "wall_s": round(report.wall_s, 3),
    }


def _print_summary(console: Console, night: NightReport, doc: dict) -> None:
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
            "–" if r.coverage is None else f"{r.coverage:.1%}",
            "\n".join(f"{code} × {n}" for code, n in sorted(items.items())) or "none",
            "–" if r.score is None else f"{r.score:g}",
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
