"""unit gaps in the unit's row; coverage_gaps holds the day's gaps only

A unit's gaps were rows of coverage_gaps (unit_id set) beside the day's gaps the rules
made of them (unit_id NULL): every truncated or failed stretch was stored twice. They move
into work_units.gaps, [[start, end, reason], ...] in epoch seconds.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

units = sa.table(
    "work_units",
    sa.column("id", sa.Integer),
    sa.column("branch_id", sa.String),
    sa.column("date", sa.Date),
    sa.column("camera_id", sa.String),
    sa.column("gaps", sa.JSON),
)
gaps = sa.table(
    "coverage_gaps",
    sa.column("branch_id", sa.String),
    sa.column("date", sa.Date),
    sa.column("camera_id", sa.String),
    sa.column("start", sa.DateTime(timezone=True)),
    sa.column("end", sa.DateTime(timezone=True)),
    sa.column("reason", sa.Text),
    sa.column("unit_id", sa.Integer),
)


def _epoch(value: datetime) -> float:
    # SQLite hands back naive values; they went in as UTC (pipeline/store/models.py)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def upgrade() -> None:
    # Read first, write last: SQLite rebuilds a table to alter it, and dropping the old
    # work_units would cascade to the coverage_gaps rows that name its units.
    bind = op.get_bind()
    moved: dict[int, list] = {}
    for row in bind.execute(
        sa.select(gaps.c.unit_id, gaps.c.start, gaps.c.end, gaps.c.reason)
        .where(gaps.c.unit_id.is_not(None))
        .order_by(gaps.c.unit_id, gaps.c.start)
    ):
        moved.setdefault(row.unit_id, []).append([_epoch(row.start), _epoch(row.end), row.reason])
    bind.execute(gaps.delete().where(gaps.c.unit_id.is_not(None)))
    with op.batch_alter_table("coverage_gaps", schema=None) as batch_op:
        batch_op.drop_column("unit_id")
    with op.batch_alter_table("work_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gaps", sa.JSON(), nullable=True))
    for unit_id, rows in moved.items():
        bind.execute(units.update().where(units.c.id == unit_id).values(gaps=rows))


def downgrade() -> None:
    bind = op.get_bind()
    rows = [
        {"branch_id": unit.branch_id, "date": unit.date, "camera_id": unit.camera_id,
         "start": datetime.fromtimestamp(a, UTC), "end": datetime.fromtimestamp(b, UTC),
         "reason": reason, "unit_id": unit.id}
        for unit in bind.execute(sa.select(units).where(units.c.gaps.is_not(None)))
        for a, b, reason in unit.gaps
    ]  # fmt: skip
    with op.batch_alter_table("work_units", schema=None) as batch_op:
        batch_op.drop_column("gaps")
    with op.batch_alter_table("coverage_gaps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_coverage_gaps_unit_id", "work_units", ["unit_id"], ["id"], ondelete="CASCADE"
        )
    if rows:
        bind.execute(gaps.insert(), rows)
