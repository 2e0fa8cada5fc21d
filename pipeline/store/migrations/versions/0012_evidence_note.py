"""findings.evidence_note: why a finding has no clip or key frame

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-07 20:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("findings", sa.Column("evidence_note", sa.Text(), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite ≥ 3.35): a batch copy of `findings` would break the
    # foreign keys of the reviews, appeals and orders that name it
    op.drop_column("findings", "evidence_note")
