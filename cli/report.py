"""`branch-audit report`: the HTML report of a reviewed date, from the database."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from cli.options import DB_HELP
from pipeline.report.build import build_report
from pipeline.store.db import Database
from rules.checklist import load_checklist


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the HTML report of a reviewed date")
    p.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--evidence", type=Path, default=Path("evidence"), help="evidence root")
    p.add_argument("--checklist", type=Path, help="checklist YAML (default: the shipped one)")
    p.add_argument("--branch", action="append", help="only this branch (repeatable)")
    p.add_argument("--out", type=Path, default=Path("report.html"), help="output HTML file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = Database(args.db)
    html, n = build_report(
        db, args.date, load_checklist(args.checklist), args.evidence, args.branch
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(html, encoding="utf-8")
    print(f"report: {args.out.resolve()} ({n} branch(es))")
    return 0
