"""The schema migrates on both databases, and scores follow finding status changes."""

from datetime import UTC, date, datetime

from sqlalchemy import inspect, select

from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.scores import recompute_scores
from rules.checklist import load_checklist
from rules.findings import finding_id

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _finding(day: date, item: str, hour: int, status="pending") -> m.Finding:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return m.Finding(
        id=finding_id("B1", item, "post-1", start), branch_id="B1", date=day, item=item,
        zone="post-1", cameras=["cam"], start=start, end=start.replace(minute=30),
        duration_s=1800, confidence=0.9, support=[], status=status, detector_version="t",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def test_migrations_create_every_table_twice_over(db_url):
    db = Database(db_url)
    db.migrate()  # a second upgrade is a no-op
    tables = set(inspect(db.engine).get_table_names())
    assert {"branches", "runs", "work_units", "coverage_gaps", "findings", "reviews",
            "appeals", "check_scores", "api_tokens", "audit_log", "run_leases"} <= tables  # fmt: skip
    db.dispose()


def test_scores_follow_status_and_repeats_within_the_month(db_url):
    db = Database(db_url)
    checklist = load_checklist()
    d1, d2 = date(2026, 11, 2), date(2026, 11, 3)
    with db.session() as s:
        s.add(m.Branch(id="B1", name="b", region="r", timezone="Asia/Shanghai", updated_at=NOW))
        s.flush()
        s.add_all([_finding(d1, "TELLER_ABSENT", 2), _finding(d2, "TELLER_ABSENT", 3)])
        for d in (d1, d2):
            s.add(m.CheckScore(branch_id="B1", date=d, provisional=100, final=100, coverage=1.0,
                               findings={}, updated_at=NOW))  # fmt: skip
        s.flush()
        recompute_scores(s, "B1", d1, checklist)
    with db.session() as s:
        one, two = s.scalars(select(m.CheckScore).order_by(m.CheckScore.date)).all()
        assert (one.provisional, one.final) == (98, 100)  # pending counts provisionally
        assert two.provisional == 96  # the second occurrence in the month counts double
        assert one.findings == {"TELLER_ABSENT": 1}
        first = s.scalars(select(m.Finding).where(m.Finding.date == d1)).one()
        first.status = "dismissed"
        s.flush()
        recompute_scores(s, "B1", d1, checklist)
    with db.session() as s:
        one, two = s.scalars(select(m.CheckScore).order_by(m.CheckScore.date)).all()
        assert one.provisional == 100 and one.findings == {}
        assert two.provisional == 98  # no longer a repeat
    db.dispose()
