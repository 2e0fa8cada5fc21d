"""Rectification orders as the scores see them: which items of a branch are under an order
on a given day. An order counts from the day after it was given (the findings it was given
for are not doubled) until the day it is closed; a withdrawn order (given in error) never
counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.store import models as m


def open_orders(session: Session, branch_id: str) -> Callable[[date], list[m.RectificationOrder]]:
    """`on(day)`: the branch's orders open at the start of that day, branch time (withdrawn
    ones left out)."""
    branch = session.get(m.Branch, branch_id)
    tz = ZoneInfo(branch.timezone) if branch else ZoneInfo("UTC")
    orders = session.scalars(
        select(m.RectificationOrder).where(
            m.RectificationOrder.branch_id == branch_id,
            m.RectificationOrder.withdrawn_at.is_(None),
        )
    ).all()

    def on(day: date) -> list[m.RectificationOrder]:
        start = datetime.combine(day, time(), tz)
        return [
            o
            for o in orders
            if o.ordered_at < start and (o.closed_at is None or o.closed_at > start)
        ]

    return on


def under_order(session: Session, branch_id: str) -> Callable[[date], frozenset[str]]:
    """`on(day)`: the items under an open order that day (rules/scoring.py doubles them)."""
    orders = open_orders(session, branch_id)
    return lambda day: frozenset(o.item for o in orders(day))
