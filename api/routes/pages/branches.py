"""The branches list, a branch's page and its rectification orders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from api.auth import (
    Can,
    scoped,
    visible_branches,
)
from api.chart import score_chart
from api.deps import AppSettings, DbSession
from api.orders import list_orders
from api.queries import (
    branch_or_404,
    last_decisions,
    pricing,
    zone_labels,
)
from api.rendering import Viewer, render, require_can
from api.schemas import BRANCH_ID, check_out, finding_out
from pipeline.store import models as m
from pipeline.store.notices import issued_weeks
from rules.findings import FindingStatus
from rules.policies import load_policy

router = APIRouter(include_in_schema=False)


@router.get("/branches", response_class=HTMLResponse)
def branches_page(request: Request, session: DbSession, principal: Viewer):
    require_can(principal, Can.READ_SCORES)
    latest = {
        row.branch_id: row
        for row in session.scalars(
            scoped(select(m.CheckScore), principal, m.CheckScore.branch_id).order_by(
                m.CheckScore.date
            )
        )
    }
    pending = dict(
        session.execute(
            scoped(
                select(m.Finding.branch_id, func.count()).where(
                    m.Finding.status == FindingStatus.PENDING
                ),
                principal,
                m.Finding.branch_id,
            ).group_by(m.Finding.branch_id)
        ).all()
    )
    return render(
        request,
        "branches.html",
        principal,
        branches=visible_branches(session, principal),
        latest=latest,
        pending=pending,
        can_review=principal.can(Can.REVIEW),  # others see the count, not the queue's link
    )


@router.get("/branches/{branch_id}", response_class=HTMLResponse)
def branch_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    branch_id: Annotated[str, PathParam(pattern=BRANCH_ID)],
):
    """Score over time, the branch's findings, and (for the branch) appeals to file."""
    require_can(principal, Can.READ_SCORES)
    branch = branch_or_404(session, principal, branch_id)
    rows = session.scalars(
        select(m.CheckScore).where(m.CheckScore.branch_id == branch.id).order_by(m.CheckScore.date)
    ).all()
    findings = []
    if principal.can(Can.READ_FINDINGS):
        found = session.scalars(
            select(m.Finding)
            .where(m.Finding.branch_id == branch.id)
            .order_by(m.Finding.start.desc())
        ).all()
        prices = pricing(session, settings.checklist, settings.fines, list(found))
        last = last_decisions(session, [f.id for f in found])
        tz = ZoneInfo(branch.timezone)
        findings = [
            (
                finding_out(f, branch.timezone, settings.checklist, prices[f.id]),
                f.appeals[-1] if f.appeals else None,
                f"{last[f.id].reviewer} · {last[f.id].at.astimezone(tz):%m-%d %H:%M} "
                f"({branch.timezone})"
                if f.id in last
                else "",
            )
            for f in found
        ]
    orders = list_orders(session, principal, branch.id) if principal.can(Can.READ_FINDINGS) else []
    checked = sorted({iso_week(r.date) for r in rows}, reverse=True)
    # a reviewer opens the live draft of any checked week; everyone else the issued copies
    weeks = checked if principal.can(Can.REVIEW) else issued_weeks(session, branch.id)
    return render(
        request,
        "branch.html",
        principal,
        branch=branch,
        checks=[check_out(r, branch.region, settings.checklist) for r in rows],
        chart=score_chart(
            [(r.date, r.provisional, r.final) for r in rows],
            load_policy("A").deduct_below,
            load_policy("B").stages,
        ),
        findings=findings,
        zones=zone_labels(session, [f for f, *_ in findings]),
        can_appeal=principal.can(Can.APPEAL),
        can_review=principal.can(Can.REVIEW),
        names={item.code: item.name_zh for item in settings.checklist.items},
        weeks=weeks,
        issued=set(issued_weeks(session, branch.id)),
        open_orders=sum(o.status == "open" for o in orders),
        can_read_findings=principal.can(Can.READ_FINDINGS),
    )


def iso_week(day: date) -> str:
    """The ISO week a day falls in, as the notices name it: 2026-W45."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@router.get("/branches/{branch_id}/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    branch_id: Annotated[str, PathParam(pattern=BRANCH_ID)],
):
    """The branch's rectification orders, open first: what, why, by when, who gave and
    who closed each, on the branch's clock; a reviewer closes one here with a note."""
    require_can(principal, Can.READ_FINDINGS)
    branch = branch_or_404(session, principal, branch_id)
    rank = {"open": 0, "closed": 1, "withdrawn": 2}
    orders = sorted(
        list_orders(session, principal, branch.id), key=lambda o: (rank[o.status], -o.id)
    )
    today = datetime.now(ZoneInfo(branch.timezone)).date()
    return render(
        request,
        "orders.html",
        principal,
        branch=branch,
        orders=orders,
        today=today,
        items={i.code: i for i in settings.checklist.items},
        clock=lambda at: (
            f"{at.astimezone(ZoneInfo(branch.timezone)):%Y-%m-%d %H:%M} ({branch.timezone})"
        ),
        can_review=principal.can(Can.REVIEW),
    )
