"""The review workflow's tables are what it does (pipeline/store/reviews.py): every step
from every status of a finding and of an appeal, taken through the store on a real
database, ends where FINDING_STEPS and APPEAL_STEPS say, or is refused as a Conflict
that leaves everything as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline.store import models as m
from pipeline.store import reviews
from pipeline.store.db import Database
from pipeline.store.reviews import (
    APPEAL_STEPS,
    FINDING_STEPS,
    Actor,
    AppealStatus,
    Conflict,
    Forbidden,
    Step,
)
from rules.checklist import load_checklist
from rules.findings import FindingStatus

CHECKLIST = load_checklist()
DAY = date(2026, 11, 2)
SAM = Actor("sam", "supervisor")  # the supervisor who decided, and who sets it back
PAT = Actor("pat", "province")  # the level above, who decides appeals


@pytest.fixture
def db(db_url):
    db = Database(db_url)
    yield db
    db.dispose()


def _finding(s, n: int, status: FindingStatus, appeal: AppealStatus | None = None) -> m.Finding:
    now = datetime.now(UTC)
    if s.get(m.Branch, "B1") is None:
        s.add(m.Branch(id="B1", name="b", region="r", timezone="Asia/Shanghai", updated_at=now))
        s.flush()
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC) + timedelta(minutes=10 * n)
    row = m.Finding(
        id=f"f{n}", branch_id="B1", date=DAY, item="TELLER_ABSENT", zone="post-1",
        cameras=["c"], start=start, end=start + timedelta(minutes=6), duration_s=360,
        confidence=1.0, support=[], status=str(status), created_at=now, updated_at=now,
    )  # fmt: skip
    s.add(row)
    if status is not FindingStatus.PENDING:
        decision = "confirm" if status is FindingStatus.CONFIRMED else "dismiss"
        s.add(m.Review(finding_id=row.id, decision=decision, reviewer="sam", at=now))
    if appeal is not None:
        decided = appeal is not AppealStatus.PENDING
        s.add(m.Appeal(
            finding_id=row.id, reason="r", by="bo", at=now, status=str(appeal),
            decided_by="pat" if decided else None, decided_at=now if decided else None,
        ))  # fmt: skip
    s.flush()
    s.refresh(row)
    return row


def _take(s, step: Step, row: m.Finding) -> None:
    if step in reviews.DECISIONS:
        reviews.review(s, SAM, row, step, FindingStatus(row.status), "", CHECKLIST)
    elif step in (Step.UNDO, Step.REOPEN):
        reviews.set_back(s, SAM, row, step, "note", CHECKLIST)
    else:
        assert step is Step.APPEAL
        reviews.file_appeal(s, Actor("bo", "branch"), row, "reason")


FINDING_ONLY = [Step.CONFIRM, Step.DISMISS, Step.UNDO, Step.REOPEN, Step.APPEAL]


def test_every_step_from_every_finding_status_is_the_tables(db):
    with db.session() as s:
        n = 0
        for status in FindingStatus:
            for step in FINDING_ONLY:
                n += 1
                row = _finding(s, n, status)
                allowed = FINDING_STEPS.get((step, status))
                if allowed is None:
                    with pytest.raises(Conflict):
                        _take(s, step, row)
                    s.refresh(row)
                    assert row.status == status, (step, status)
                else:
                    _take(s, step, row)
                    s.refresh(row)
                    assert row.status == allowed, (step, status)
        # and each allowed step on a finding its branch appealed is refused: the appeal decides
        for step in FINDING_ONLY:
            n += 1
            row = _finding(s, n, FindingStatus.CONFIRMED, AppealStatus.PENDING)
            with pytest.raises(Conflict, match="appeal"):
                _take(s, step, row)


@pytest.mark.parametrize("appeal", list(AppealStatus))
@pytest.mark.parametrize("step", [Step.UPHOLD, Step.GRANT, Step.REOPEN_APPEAL])
def test_every_step_from_every_appeal_status_is_the_tables(db, appeal, step):
    with db.session() as s:
        # a granted appeal dismissed its finding; a pending or upheld one left it confirmed
        status = (
            FindingStatus.DISMISSED if appeal is AppealStatus.GRANTED else FindingStatus.CONFIRMED
        )
        row = _finding(s, 1, status, appeal)
        entry = row.appeals[-1]
        allowed = APPEAL_STEPS.get((step, appeal))
        take = (
            (lambda: reviews.reopen_appeal(s, Actor("ada", "admin"), entry, "why", CHECKLIST))
            if step is Step.REOPEN_APPEAL
            else (lambda: reviews.decide_appeal(s, PAT, entry, step, "", CHECKLIST))
        )
        if allowed is None:
            with pytest.raises(Conflict):
                take()
            s.refresh(entry)
            s.refresh(row)
            assert (entry.status, row.status) == (appeal, status)
        else:
            take()
            s.refresh(row)
            assert entry.status == allowed
            assert row.status == FINDING_STEPS[(step, status)]


def test_whoever_reviewed_a_finding_may_not_decide_its_appeal(db):
    with db.session() as s:
        row = _finding(s, 1, FindingStatus.CONFIRMED, AppealStatus.PENDING)
        with pytest.raises(Forbidden, match="separation of duties"):
            reviews.decide_appeal(
                s, Actor("sam", "province"), row.appeals[-1], Step.GRANT, "", CHECKLIST
            )
        assert row.appeals[-1].status == AppealStatus.PENDING
