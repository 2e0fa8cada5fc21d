"""The assessment of branches under a policy and period, as the exports carry it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from api import exports
from api.auth import (
    Can,
    visible_branches,
)
from api.deps import AppSettings, DbSession
from api.queries import (
    assess,
)
from api.rendering import Viewer, render, require_can
from api.schemas import PeriodLabel, PolicyName
from rules.assessment import OUTCOME_NAMES

router = APIRouter(include_in_schema=False)


@router.get("/assessments", response_class=HTMLResponse)
def assessments_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    policy: PolicyName = "B",
    period: PeriodLabel = None,
):
    require_can(principal, Can.READ_SCORES)
    try:
        report, error = assess(session, settings.checklist, principal, policy, period or None), None
    except HTTPException as exc:
        report, error = None, exc.detail
    query = f"policy={policy}" + (f"&period={quote(period)}" if period else "")
    # the generated time on the branches' clock when they share one (else UTC, labelled)
    clocks = {b.timezone for b in visible_branches(session, principal)}
    return render(
        request,
        "assessments.html",
        principal,
        report=report,
        error=error,
        policy=policy,
        period=period or "",
        query=query,
        outcomes=OUTCOME_NAMES,
        columns=exports.PAGE_COLUMNS,
        clock=clocks.pop() if len(clocks) == 1 else "UTC",
        numeric=exports.NUMERIC,
    )
