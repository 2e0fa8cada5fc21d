"""`branch-audit dataset export`: reviewed phone evidence as a YOLO dataset
(pipeline/dataset/export.py), for `branch-audit train`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cli.main import UserError
from cli.options import DB_HELP
from pipeline.dataset.export import DatasetError, export_dataset
from pipeline.dataset.reviewed import SOURCES
from pipeline.store.db import Database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dataset", help="datasets for the bank's own phone model")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    e = verbs.add_parser(
        "export",
        help="reviewed phone candidates and PHONE_USE findings as a YOLO dataset",
        description=__doc__.splitlines()[0],
    )
    e.add_argument("--db", help=DB_HELP)
    e.add_argument("--evidence", type=Path, required=True, help="evidence root of the runs")
    e.add_argument("--out", type=Path, required=True, help="dataset folder (data.yaml, …)")
    e.add_argument("--since", type=date.fromisoformat, help="only reviews of days from YYYY-MM-DD")
    e.add_argument(
        "--items", nargs="+", choices=SOURCES, default=list(SOURCES),
        help="which reviewed pools: candidates (their page), findings (PHONE_USE) (default both)",
    )  # fmt: skip
    e.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    bar = Progress(TextColumn("export"), BarColumn(), MofNCompleteColumn(), console=console)
    with bar:
        task = bar.add_task("export", total=None)
        try:
            report = export_dataset(
                Database(args.db), args.evidence, args.out, args.since, tuple(args.items),
                lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
        except DatasetError as exc:
            raise UserError(str(exc)) from None
    for s in report.skipped:
        console.print(f"[yellow]skipped[/yellow] {s['key']} ({s['image']}): {s['reason']}")
    days = {k: len(v) for k, v in report.camera_days.items()}
    print(
        f"dataset: {(args.out / 'data.yaml').resolve()}: train {report.images['train']} "
        f"image(s) of {days.get('train', 0)} camera-day(s), val {report.images['val']} of "
        f"{days.get('val', 0)}; {report.phones} phone box(es), {report.negatives} hard "
        f"negative(s), {len(report.skipped)} skipped"
    )
    return 0
