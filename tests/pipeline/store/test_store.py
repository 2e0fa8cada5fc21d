"""The schema migrates on both databases, and scores follow finding status changes."""

from datetime import UTC, date, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import Date, Integer, String, column, inspect, select, table, text

from pipeline.store import models as m
from pipeline.store.db import MIGRATIONS, Database
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


def _alembic(db: Database, verb, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        verb(cfg, revision)


def _table(name: str, **columns):
    return table(name, *(column(c, t) for c, t in columns.items()))


def test_unit_gaps_move_into_their_unit_and_back(db_url):
    """Revision 0006: a unit's gaps leave coverage_gaps for the unit's row."""
    db = Database(db_url, migrate=False)
    _alembic(db, command.upgrade, "0004")
    day, start = date(2026, 11, 27), datetime(2026, 11, 27, 1, tzinfo=UTC)
    when = m.UtcDateTime()
    with db.engine.begin() as c:
        c.execute(
            m.Branch.__table__.insert().values(
                id="B1", name="", region="", timezone="UTC", site_path="", updated_at=NOW
            )
        )
        unit = _table(
            "work_units",
            id=Integer(),
            branch_id=String(),
            date=Date(),
            camera_id=String(),
            key=String(),
            status=String(),
            reason=String(),
            attempts=Integer(),
            samples=Integer(),
            inferences=Integer(),
            updated_at=when,
            params=String(),
            detector_version=String(),
        )
        c.execute(
            unit.insert().values(
                id=7,
                branch_id="B1",
                date=day,
                camera_id="cam",
                key="f.mp4",
                status="done",
                reason="",
                attempts=1,
                samples=0,
                inferences=0,
                updated_at=NOW,
                params="",
                detector_version="",
            )
        )
        gap = _table(
            "coverage_gaps",
            branch_id=String(),
            date=Date(),
            camera_id=String(),
            start=when,
            end=when,
            reason=String(),
            unit_id=Integer(),
        )
        for unit_id in (7, None):  # the unit's gap, and the day's made of it
            c.execute(
                gap.insert().values(
                    branch_id="B1",
                    date=day,
                    camera_id="cam",
                    start=start,
                    end=start.replace(minute=5),
                    reason="truncated",
                    unit_id=unit_id,
                )
            )

    db.migrate()

    with db.session() as s:
        moved = [start.timestamp(), start.timestamp() + 300, "truncated"]
        assert s.get(m.WorkUnit, 7).gaps == [moved]
        assert len(s.scalars(select(m.CoverageGap)).all()) == 1  # the day's, once
    _alembic(db, command.downgrade, "0004")
    with db.engine.connect() as c:
        rows = c.execute(text("SELECT unit_id FROM coverage_gaps")).scalars().all()
        assert sorted(r or 0 for r in rows) == [0, 7]
    db.dispose()
