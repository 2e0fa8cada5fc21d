"""What deciding a set of pending findings at once will do, shown before it is done: the
review page's bulk confirm step (api/static/bulk.js) names, per branch, how many findings,
the points of final score and the yuan of fines they move.

The decisions are taken in a savepoint and rolled back, so the numbers are the workflow's
own (pipeline/store/reviews.py rescoring the branch-days, api/queries.pricing for the
fines), never a second sum that could disagree with what the decisions then do."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.queries import actor_of, check_of, finding_or_404, pricing
from api.schemas import FINDING_ID
from pipeline.store import reviews
from pipeline.store.reviews import Step
from rules.checklist import Checklist
from rules.config import StrictModel
from rules.findings import FindingStatus
from rules.fines import FineRule

#: as many as the review queue holds (api/routes/pages/findings.py)
MAX_BULK = 200


class BulkIn(StrictModel):
    ids: list[Annotated[str, Field(pattern=FINDING_ID)]] = Field(min_length=1, max_length=MAX_BULK)
    decision: Literal["confirm", "dismiss"]


class BulkDayOut(BaseModel):
    date: date
    final_before: float | None = Field(description="the day's final score now")
    final_after: float | None = Field(description="the day's final score once decided")


class BulkBranchOut(BaseModel):
    branch: str
    findings: int
    points: float = Field(description="points of final score the decisions take off its days")
    yuan: float = Field(description="Policy B fines the decisions bring")
    days: list[BulkDayOut]


class BulkPreviewOut(BaseModel):
    decision: Literal["confirm", "dismiss"]
    findings: int = Field(description="how many of the ids would be decided")
    left_out: list[str] = Field(description="ids not pending any more, or under appeal")
    branches: list[BulkBranchOut]


def bulk_preview(
    session: Session,
    checklist: Checklist,
    fines: dict[str, FineRule],
    principal: Principal,
    body: BulkIn,
) -> BulkPreviewOut:
    rows = [finding_or_404(session, principal, fid) for fid in dict.fromkeys(body.ids)]
    days = sorted({(r.branch_id, r.date) for r in rows})

    def finals() -> dict[tuple[str, date], float | None]:
        out = {}
        for branch, day in days:
            check = check_of(session, branch, day)
            out[branch, day] = float(check.final) if check else None
        return out

    savepoint = session.begin_nested()
    try:
        before = finals()
        taken, left_out = [], []
        for row in rows:
            if row.status != FindingStatus.PENDING:
                left_out.append(row.id)
                continue
            try:
                reviews.review(
                    session, actor_of(principal), row, Step(body.decision),
                    FindingStatus.PENDING, "", checklist,
                )  # fmt: skip
            except reviews.WorkflowError:
                left_out.append(row.id)
                continue
            taken.append(row)
        after = finals()
        priced = pricing(session, checklist, fines, taken)
        per_branch: dict[str, list] = defaultdict(list)
        for row in taken:
            per_branch[row.branch_id].append(row)
        branches = []
        for branch, found in sorted(per_branch.items()):
            own = [d for b, d in days if b == branch and any(r.date == d for r in found)]
            moved = [
                before[branch, d] - after[branch, d]
                for d in own
                if before[branch, d] is not None and after[branch, d] is not None
            ]
            branches.append(
                BulkBranchOut(
                    branch=branch,
                    findings=len(found),
                    points=round(sum(moved), 2),
                    yuan=round(sum(priced[r.id].fine_yuan or 0.0 for r in found), 2),
                    days=[
                        BulkDayOut(
                            date=d, final_before=before[branch, d], final_after=after[branch, d]
                        )
                        for d in own
                    ],  # fmt: skip
                )
            )
    finally:
        savepoint.rollback()
    return BulkPreviewOut(
        decision=body.decision, findings=len(taken), left_out=left_out, branches=branches
    )
