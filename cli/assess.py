"""`branch-audit assess`: period scores, ranks and the policy outcome of every branch."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from cli.main import UserError
from rules.assessment import assessment_rows
from rules.checklist import load_checklist
from rules.periods import PeriodError
from rules.policies import load_policy


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "assess",
        help="assess branches' period scores under Policy A, B or a policy file",
        description="Mean the check scores of the period, rank branches in the province and "
        "their region, and apply the policy; each outcome shows its rule and arithmetic.",
    )
    p.add_argument(
        "--scores", required=True, type=Path,
        help="CSV: branch,region,date,score[,coverage]; checks whose coverage is below "
        "--min-coverage count for no mean, rank or reward",
    )  # fmt: skip
    p.add_argument(
        "--min-coverage", type=float,
        help="share of business hours a check must have seen (default: the checklist's)",
    )  # fmt: skip
    p.add_argument("--policy", required=True, help="A, B or a policy YAML file")
    p.add_argument(
        "--period",
        help="2024 (a year), 2024-Q4 (a quarter), 2024-S3 (a stage of the policy) or 2024-05 "
        "(a month); any other label is an error, there are no free labels any more "
        "(default: the policy's stage of the dates, else all dates)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    scores = pd.read_csv(args.scores, dtype={"branch": str, "region": str})
    floor = load_checklist().min_coverage if args.min_coverage is None else args.min_coverage
    period, rows = assessment_rows(scores, policy, args.period, floor)
    if period is None:
        raise UserError(f"{args.scores}: no scores in it")
    if not rows:
        raise PeriodError(f"no scores in period {period.label}")
    keep = (
        "region", "score", "checks", "incomplete_checks", "coverage", "missing_days", "rank",
        "region_rank", "outcome", "yuan", "rule", "recheck",
    )  # fmt: skip
    branches = {r.branch: {k: getattr(r, k) for k in keep} for r in rows}
    if args.json:
        report = {
            "policy": policy.name,
            "period": {"label": period.label, "kind": period.kind},
            "branches": branches,
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"{policy.name} — period {period.label} ({period.kind})")
    print(
        f"{'branch':<14} {'region':<10} {'score':>7} {'rank':>5} {'reg.':>5} "
        f"{'outcome':<13} {'yuan':>9}  rule"
    )
    for branch, b in branches.items():
        print(
            f"{branch:<14} {b['region']:<10} {'-' if b['score'] is None else format(b['score'], 'g'):>7} {b['rank'] or '-':>5} "
            f"{b['region_rank'] or '-':>5} {b['outcome']:<13} {b['yuan']:>9g}  {b['rule']}"
        )
    return 0
