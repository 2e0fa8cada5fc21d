"""The appeals to decide and those decided."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.auth import (
    Can,
)
from api.deps import AppSettings, DbSession
from api.queries import (
    find_appeals,
    pricing,
    zone_labels,
)
from api.rendering import Viewer, render
from api.schemas import finding_out
from pipeline.store import models as m
from pipeline.store.reviews import AppealStatus

router = APIRouter(include_in_schema=False)


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(request: Request, session: DbSession, settings: AppSettings, principal: Viewer):
    """Appeals to decide (each with its clip, who confirmed the finding and why, and the
    points and yuan at stake) and those decided, on the branch's clock."""
    appeals = find_appeals(session, principal)
    rows = session.execute(
        select(m.Finding, m.Branch.timezone)
        .join(m.Branch)
        .where(m.Finding.id.in_([a.finding_id for a in appeals]))
    ).all()
    prices = pricing(session, settings.checklist, settings.fines, [f for f, _ in rows])
    findings = {f.id: finding_out(f, tz, settings.checklist, prices[f.id]) for f, tz in rows}
    confirmed = {  # the review that confirmed each finding: who, when, with what note
        f.id: next((r for r in reversed(f.reviews) if r.decision == "confirm"), None)
        for f, _ in rows
    }
    return render(
        request,
        "appeals.html",
        principal,
        pending=[(a, findings[a.finding_id]) for a in appeals if a.status == AppealStatus.PENDING],
        decided=[
            (a, findings[a.finding_id])
            for a in reversed(appeals)
            if a.status != AppealStatus.PENDING
        ],
        zone_of={f.id: tz for f, tz in rows},
        confirmed=confirmed,
        zones=zone_labels(session, findings.values()),
        can_decide=principal.can(Can.DECIDE_APPEALS),
        can_appeal=principal.can(Can.APPEAL),
    )
