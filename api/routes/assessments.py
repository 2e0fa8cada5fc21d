"""Period scores, ranks and policy outcomes, as JSON, CSV or XLSX.

Ranks are province-wide, so every branch's final check scores enter the computation;
the caller then sees only the rows of the branches they may see.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from functools import cache
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Can, Principal, require, visible_branches
from api.deps import DbSession
from api.schemas import AssessmentOut, AssessmentRow, PeriodOut
from pipeline.store import models as m
from rules.assessment import assessment_rows
from rules.periods import PeriodError
from rules.policies import load_policy

router = APIRouter(prefix="/api/v1", tags=["assessments"])

policy_load = cache(load_policy)


def _assess(
    session: Session, principal: Principal, policy_name: str, label: str | None
) -> AssessmentOut:
    policy = policy_load(policy_name)
    rows = session.execute(
        select(m.CheckScore.branch_id, m.Branch.region, m.CheckScore.date, m.CheckScore.final)
        .join(m.Branch)
        .order_by(m.CheckScore.branch_id, m.CheckScore.date)
    ).all()
    scores = pd.DataFrame(rows, columns=["branch", "region", "date", "score"])
    try:
        period, assessed = assessment_rows(scores, policy, label)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None
    visible = {b.id: b for b in visible_branches(session, principal)}
    return AssessmentOut(
        policy=policy_name,
        policy_name=policy.name,
        period=PeriodOut(label=period.label, kind=period.kind) if period else None,
        branches=[
            AssessmentRow(**asdict(row), name=visible[row.branch].name)
            for row in assessed
            if row.branch in visible
        ],
    )


PolicyName = Annotated[Literal["A", "B"], Query(description="A (thresholds) or B (staged)")]
PeriodLabel = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9._\-]{0,32}$",
        description="2026, 2026-Q4, 2026-S3 (a stage), 2026-11; default: the stage of the "
        "dates under Policy B, else all dates",
    ),
]
Reader = Annotated[Principal, require(Can.READ_SCORES)]


@router.get("/assessments")
def assessments(
    session: DbSession, principal: Reader, policy: PolicyName = "A", period: PeriodLabel = None
) -> AssessmentOut:
    """Each branch's period score, ranks, outcome and yuan, with the rule and arithmetic."""
    return _assess(session, principal, policy, period or None)


def _frame(report: AssessmentOut) -> pd.DataFrame:
    columns = list(AssessmentRow.model_fields)
    frame = pd.DataFrame([r.model_dump() for r in report.branches], columns=columns)
    frame.insert(0, "period", report.period.label if report.period else "")
    frame.insert(0, "policy", report.policy_name)
    return frame


def _download(content: bytes, media_type: str, report: AssessmentOut, ext: str) -> Response:
    label = report.period.label if report.period else "none"
    name = f"assessment_{report.policy}_{label}.{ext}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/assessments.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}}
)
def assessments_csv(
    session: DbSession, principal: Reader, policy: PolicyName = "A", period: PeriodLabel = None
):
    report = _assess(session, principal, policy, period or None)
    text = _frame(report).to_csv(index=False)
    # a BOM so that Excel opens the Chinese rule texts as UTF-8
    return _download(("\ufeff" + text).encode(), "text/csv; charset=utf-8", report, "csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/assessments.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def assessments_xlsx(
    session: DbSession, principal: Reader, policy: PolicyName = "A", period: PeriodLabel = None
):
    report = _assess(session, principal, policy, period or None)
    buffer = io.BytesIO()
    _frame(report).to_excel(buffer, index=False, sheet_name="assessment")
    return _download(buffer.getvalue(), XLSX, report, "xlsx")
