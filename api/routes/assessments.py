"""Period scores, ranks and policy outcomes, as JSON, CSV or XLSX.

Ranks are province-wide, so every branch's final check scores enter the computation;
the caller then sees only the rows of the branches they may see.
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Query, Response

from api.auth import Can, Principal, require
from api.deps import AppSettings, DbSession
from api.queries import assess
from api.schemas import AssessmentOut, AssessmentRow

router = APIRouter(prefix="/api/v1", tags=["assessments"])

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
    session: DbSession,
    settings: AppSettings,
    principal: Reader,
    policy: PolicyName = "A",
    period: PeriodLabel = None,
) -> AssessmentOut:
    """Each branch's period score, ranks, outcome and yuan, with the rule and arithmetic."""
    return assess(session, settings.checklist, principal, policy, period or None)


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
    session: DbSession,
    settings: AppSettings,
    principal: Reader,
    policy: PolicyName = "A",
    period: PeriodLabel = None,
):
    report = assess(session, settings.checklist, principal, policy, period or None)
    text = _frame(report).to_csv(index=False)
    # a BOM so that Excel opens the Chinese rule texts as UTF-8
    return _download(("\ufeff" + text).encode(), "text/csv; charset=utf-8", report, "csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/assessments.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def assessments_xlsx(
    session: DbSession,
    settings: AppSettings,
    principal: Reader,
    policy: PolicyName = "A",
    period: PeriodLabel = None,
):
    report = assess(session, settings.checklist, principal, policy, period or None)
    buffer = io.BytesIO()
    _frame(report).to_excel(buffer, index=False, sheet_name="assessment")
    return _download(buffer.getvalue(), XLSX, report, "xlsx")
