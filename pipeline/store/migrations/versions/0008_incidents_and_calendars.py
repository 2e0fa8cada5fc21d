"""re-detected incidents and branch calendars: findings.redetected, branches.hours

A re-run's finding that overlaps a reviewed one is the same incident: it is kept on the
reviewed row as `redetected` (pipeline/store/findings.py), never a second row. A branch's
weekly hours are kept with it, so an assessment can count the business days without a
complete check (rules/assessment.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 20:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("findings", sa.Column("redetected", sa.JSON(), nullable=True))
    op.add_column("branches", sa.Column("hours", sa.JSON(), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite ≥ 3.35): a batch copy of `branches` would break the
    # foreign keys of every table that names it
    op.drop_column("branches", "hours")
    op.drop_column("findings", "redetected")
