"""batch: what each work unit was computed with; a run's summary

Revision ID: 0002_batch
Revises: 0001
Create Date: 2026-11-27 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_batch"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("params", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("detector_version", sa.String(length=128), nullable=False, server_default="")
        )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("summary")
    with op.batch_alter_table("work_units", schema=None) as batch_op:
        batch_op.drop_column("detector_version")
        batch_op.drop_column("params")
