"""Period scores, ranks and policy outcomes, as JSON, CSV or XLSX.

Ranks are province-wide, so every branch's final check scores enter the computation;
the caller then sees only the rows of the branches they may see.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api import exports
from api.auth import Can, Principal, require
from api.deps import AppSettings, DbSession
from api.errors import error_responses
from api.queries import assess
from api.schemas import AssessmentOut, PeriodLabel, PolicyName

router = APIRouter(prefix="/api/v1", tags=["assessments"])

Reader = Annotated[Principal, require(Can.READ_SCORES)]


def _assessed(
    session: DbSession,
    settings: AppSettings,
    principal: Reader,
    policy: PolicyName = "A",
    period: PeriodLabel = None,
) -> AssessmentOut:
    """The assessment the query asks for: the same parameters for JSON, CSV and XLSX."""
    return assess(session, settings.checklist, principal, policy, period or None)


Assessed = Annotated[AssessmentOut, Depends(_assessed)]


@router.get("/assessments", responses=error_responses(403))
def assessments(report: Assessed) -> AssessmentOut:
    """Each branch's period score, ranks, outcome and yuan, with the rule and arithmetic."""
    return report


def _download(content: bytes, media_type: str, report: AssessmentOut, ext: str) -> Response:
    label = report.period.label if report.period else "none"
    name = f"assessment_{report.policy}_{label}.{ext}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/assessments.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(403)},
)
def assessments_csv(report: Assessed):
    """The assessment as CSV: a top line (generated at, period, pending, final or
    provisional), then bilingual headers and one row per branch (api/exports.py)."""
    return _download(exports.to_csv(report), "text/csv; charset=utf-8", report, "csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/assessments.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}, **error_responses(403)},
)
def assessments_xlsx(report: Assessed):
    """The CSV's lines as a sheet: header frozen, columns sized, yuan and scores formatted."""
    return _download(exports.to_xlsx(report), XLSX, report, "xlsx")
