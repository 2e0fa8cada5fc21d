"""`branch-audit notice`: the week's rectification notice of every branch, and an index per
region (pipeline/report/notice.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.options import DB_HELP
from pipeline.report.notice import write_notices
from pipeline.store.db import Database
from rules.checklist import load_checklist
from rules.policies import load_policy


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "notice",
        help="write each branch's weekly rectification notice (每周检查整改通知)",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("--week", required=True, help="ISO week, e.g. 2026-W48")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--evidence", type=Path, default=Path("evidence"), help="evidence root")
    p.add_argument("--out", type=Path, required=True, help="folder for the notices")
    p.add_argument("--branch", action="append", help="only this branch (repeatable)")
    p.add_argument("--checklist", type=Path, help="checklist YAML (default: the shipped one)")
    p.add_argument(
        "--policy", default="B", help="the policy whose fines the notice shows (default B)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = Database(args.db)
    fines = load_policy(args.policy).fines
    with db.session() as session:
        written = write_notices(
            session, args.week, load_checklist(args.checklist), fines, args.evidence, args.out,
            args.branch,
        )  # fmt: skip
    db.dispose()
    print(
        f"notices: {len(written.notices)} branch(es), {len(written.indexes)} region index(es) "
        f"in {args.out.resolve()}"
    )
    return 0
