"""zones stored with the branch: ids, purposes and posts as the site file gave them

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zones",
        sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.id"), primary_key=True),
        sa.Column("camera_id", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("post", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zones")
