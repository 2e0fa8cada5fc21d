"""Weekly notices as they were issued (pipeline/report/notice.py builds and renders them):
the page and the facts it carried, stored once and never rebuilt, so a branch reads the
copy it was sent however later reviews change the live one. Issuing a week again adds a
version; the older ones stay readable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.store import models as m
from pipeline.store.reviews import lock_branch


def issue_notice(
    session: Session, branch_id: str, week: str, html: str, facts: dict, by: str, at: datetime
) -> m.IssuedNotice:
    """Store the week's notice as version n + 1; the branch is locked so that two reviewers
    issuing at once get two versions, not one refused."""
    lock_branch(session, branch_id)
    last = session.scalar(
        select(func.max(m.IssuedNotice.version)).where(
            m.IssuedNotice.branch_id == branch_id, m.IssuedNotice.week == week
        )
    )
    row = m.IssuedNotice(
        branch_id=branch_id, week=week, version=(last or 0) + 1, html=html, facts=facts,
        issued_by=by, issued_at=at,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def issued_notices(
    session: Session, branch_id: str, week: str | None = None
) -> list[m.IssuedNotice]:
    """The branch's issued notices (of one week, when given), newest first."""
    stmt = select(m.IssuedNotice).where(m.IssuedNotice.branch_id == branch_id)
    if week is not None:
        stmt = stmt.where(m.IssuedNotice.week == week)
    return list(
        session.scalars(stmt.order_by(m.IssuedNotice.week.desc(), m.IssuedNotice.version.desc()))
    )


def issued_weeks(session: Session, branch_id: str) -> list[str]:
    """The weeks the branch has an issued notice of, newest first."""
    return list(
        session.scalars(
            select(m.IssuedNotice.week)
            .where(m.IssuedNotice.branch_id == branch_id)
            .distinct()
            .order_by(m.IssuedNotice.week.desc())
        )
    )
